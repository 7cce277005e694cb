/**
 * @file
 * @ingroup analysis
 * experiment.h — the main experiment: how close is the low-rank update LoRA
 * learns to the best low-rank approximation of the update a full fine-tune
 * makes, and which directions do they share (LoRA paper §7, at small scale).
 *
 * The steps (rk_exp_run, then rk_exp_analyze; `ranklab demo` does both):
 *
 *   1. pretrain an MLP on the training set          → W0, per-class accuracy
 *   2. target class = the worst class on the test set (computed)
 *   3. on the training examples of that class only, from the same W0 and
 *      with the same batches in the same order (one shuffling seed):
 *        full fine-tune          → ΔW_full = W_ft − W0  (per layer)
 *        LoRA at each rank r     → ΔW_lora(r) = s·B·A   (biases frozen)
 *        LoRA with N(0,1) A at one rank (the classic tutorial's init)
 *        LoRA with another init seed at one rank (the paper's Figure 4)
 *   4. per layer, in double (rk_exp_analyze, experiment_analysis.c):
 *        spectra of W0, ΔW_full, every ΔW_lora; cumulative energy
 *        rel_err = ‖ΔW_lora − ΔW_full‖_F/‖ΔW_full‖_F next to the
 *        Eckart–Young bound ‖ΔW_full − [ΔW_full]_r‖_F/‖ΔW_full‖_F
 *        φ tables (subspace similarity, paper eq. 4) and amplification
 *        (paper Table 7); accuracy of W0 + [ΔW_full]_r ("SVD-extracted LoRA")
 *
 * The models (rk_exp_models) are what the analysis needs and what
 * `ranklab compare` reads back from files, so demo = runs + compare.
 * Training is float32 (lib/nn), and the LoRA factors stay float32 as they
 * were trained; every comparison is double.
 *
 * One header per job: this one runs steps 1–3 (rk_exp_run),
 * experiment_analysis.h is step 4 (rk_exp_analyze), experiment_output.h
 * writes and reads everything (results.json, plots, report.md, the models
 * on disk).
 */
#ifndef RK_ANALYSIS_EXPERIMENT_H
#define RK_ANALYSIS_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "learn_forget.h"
#include "../nn/data.h"
#include "../nn/eval.h"
#include "../nn/lora.h"
#include "../nn/mlp.h"
#include "../nn/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most LoRA ranks one experiment compares. */
#define RK_EXP_MAX_RANKS 12
/** Most LoRA runs: one per rank, plus the N(0,1)-init, second-seed and rsLoRA runs. */
#define RK_EXP_MAX_RUNS (RK_EXP_MAX_RANKS + 3)
/** Most classes the per-class tables hold. */
#define RK_EXP_MAX_CLASSES 16
/** Largest side of a φ heatmap (φ(i, j) for i, j ≤ this). */
#define RK_EXP_MAX_PHI 64

/**
 * Progress report: @p phase names the step ("pretrain", "full", "lora r=8",
 * "analysis linear2", …). @p tp is the training loop's progress during
 * training, NULL for a step that is not training (called once at its start).
 * Return non-zero to stop (the run then fails with RK_ESTATE).
 */
typedef int (*rk_exp_progress_fn)(const char *phase, const rk_train_progress *tp, void *ctx);

/** Settings of one experiment. rk_exp_config_default() gives `ranklab demo`'s. */
typedef struct rk_exp_config {
    rk_mlp_config net;         /**< network shape (default 784 → 1000 → 2000 → 10) */
    size_t pretrain_epochs;    /**< passes over the training set (default 1) */
    size_t pretrain_batch;     /**< examples per pretraining step (default 64, see experiment.c) */
    size_t pretrain_limit;     /**< use only the first this many training examples; 0 = all */
    double pretrain_lr;        /**< Adam learning rate of pretraining (1e-3) */
    size_t ft_steps;           /**< fine-tuning steps (the tutorial's 100) */
    size_t ft_batch;           /**< fine-tuning batch (the tutorial's 10) */
    double ft_lr;              /**< Adam learning rate of every fine-tune (1e-3) */
    size_t n_ranks;            /**< number of ranks, 1 … RK_EXP_MAX_RANKS */
    size_t ranks[RK_EXP_MAX_RANKS]; /**< LoRA ranks, increasing (default 1, 2, 4, 8, 16, 64) */
    double lora_alpha;         /**< α; 0 means α = r at every rank, so the scale s = α/r is 1 */
    rk_lora_init lora_init;    /**< init of the main LoRA runs (KAIMING, the PEFT default) */
    size_t normal_rank;        /**< rank of the extra run with A ~ N(0,1) (tutorial); 0 = none */
    size_t seed2_rank;         /**< rank of the extra run with another adapter seed; 0 = none */
    size_t rslora_rank;        /**< rank of the extra rsLoRA run, s = α/√r with α as the others
                                    (α = r: s = √r); 0 = none (default 64) */
    size_t pair_lo;            /**< φ(ΔW_lora(pair_lo), ΔW_lora(pair_hi)) (paper Fig. 3: 8 … */
    size_t pair_hi;            /**< … and 64) */
    uint64_t seed;             /**< network init and pretraining order */
    uint64_t ft_seed;          /**< fine-tuning batch order, the same for every method */
    uint64_t lora_seed;        /**< adapter initialisation of the main runs */
    uint64_t lora_seed2;       /**< adapter initialisation of the second-seed run */
    size_t track_every;        /**< learn–forget record every this many fine-tuning steps (and at
                                    step 0 and the last); 0 = no records (default 10) */
    size_t track_n;            /**< images of the records' evaluation subset, drawn from the test
                                    set without replacement; ≥ the test set: all of it, in its
                                    order (default 500) */
    uint64_t track_seed;       /**< which test images form that subset */
    rk_exp_progress_fn progress; /**< may be NULL */
    void *progress_ctx;        /**< passed to progress */
} rk_exp_config;

/** Which kind of LoRA run. */
typedef enum rk_exp_role {
    RK_EXP_ROLE_RANK = 0,  /**< one of the ranks compared */
    RK_EXP_ROLE_NORMAL,    /**< A ~ N(0,1) (the tutorial's init) */
    RK_EXP_ROLE_SEED2,     /**< the main init with another seed */
    RK_EXP_ROLE_RSLORA     /**< rank-stabilised scaling s = α/√r (Kalajdzievski), the main init */
} rk_exp_role;

/**
 * One LoRA adapter over every layer: its factors per layer in float32, as
 * trained and as written (ΔW_l = scale·B_l·A_l), its cost and accuracy. The
 * SVD-extracted adapters of the analysis are of this type too.
 */
typedef struct rk_exp_lora_run {
    char label[48];                    /**< "r=8", "r=8 N(0,1) init", "r=8 seed 2" */
    rk_exp_role role;                  /**< which kind */
    size_t rank;                       /**< R, the same in every layer */
    rk_lora_init init;                 /**< initialisation of A */
    bool rslora;                       /**< s = α/√R instead of α/R */
    double scale;                      /**< s = α/R */
    size_t n_layers;                   /**< layers with factors (rk_exp_lora_run_alloc) */
    size_t out[RK_MLP_MAX_LAYERS];     /**< Out_l */
    size_t in[RK_MLP_MAX_LAYERS];      /**< In_l */
    float *a[RK_MLP_MAX_LAYERS];       /**< A_l (R, In_l), row-major */
    float *b[RK_MLP_MAX_LAYERS];       /**< B_l (Out_l, R), row-major */
    rk_train_result cost;              /**< what training took and held (zero when read from files) */
    rk_eval eval;                      /**< accuracy with the adapter (empty: not evaluated) */
} rk_exp_lora_run;

/** r of φ(r, r) between the full fine-tune's ΔW_t and its final ΔW in the records. */
#define RK_EXP_LF_PHI_RANK 8

/**
 * Learning against forgetting along every fine-tune (lib/analysis/learn_forget.h,
 * experiment_learn_forget.c): a record at step 0, every `every` steps and at
 * the last step, on one fixed evaluation subset of the test set.
 */
typedef struct rk_exp_lf {
    size_t every;                      /**< steps between records; 0: nothing recorded */
    size_t n_eval;                     /**< images of the evaluation subset */
    bool whole_test;                   /**< the subset is the whole test set in its order */
    uint64_t seed;                     /**< the seed that drew it */
    float *x;                          /**< (n_eval, dim) the subset's images */
    unsigned char *y;                  /**< (n_eval) their labels */
    rk_lf_track full;                  /**< the full fine-tune (φ(r, r) against its final ΔW) */
    rk_lf_track runs[RK_EXP_MAX_RUNS]; /**< every LoRA run, the models' order */
} rk_exp_lf;

/** Phases the time table can hold: load, pretrain, full, every LoRA run, analysis, save, plots. */
#define RK_EXP_MAX_PHASES (RK_EXP_MAX_RUNS + 8)

/** A moment of the run: wall (CLOCK_MONOTONIC) and CPU seconds of the whole process
 *  (CLOCK_PROCESS_CPUTIME_ID: every thread, BLAS workers included) and of the child
 *  processes it waited for (RUSAGE_CHILDREN: gnuplot). */
typedef struct rk_exp_clock {
    double wall;                       /**< seconds since some fixed point (monotonic) */
    double cpu;                        /**< CPU seconds used so far, children waited for included */
} rk_exp_clock;

/** What one phase took. */
typedef struct rk_exp_phase {
    char name[56];                     /**< "pretrain", "full fine-tune", "LoRA r=8", "analysis", … */
    double wall;                       /**< wall seconds */
    double cpu;                        /**< CPU seconds of the process (all threads) */
} rk_exp_phase;

/** The time table, in the order the phases ran. */
typedef struct rk_exp_timing {
    size_t n;                          /**< phases recorded */
    rk_exp_phase phase[RK_EXP_MAX_PHASES]; /**< the phases, first to last */
} rk_exp_timing;

/** Now, as rk_exp_clock. */
rk_exp_clock rk_exp_clock_now(void);

/**
 * Append phase @p name timed from @p since to now to @p t (nothing when full
 * or NULL).
 * @return the phase's wall seconds (for a caller that also reports them).
 */
double rk_exp_timing_add(rk_exp_timing *t, const char *name, rk_exp_clock since);

/** Insert @p p at position @p at of @p t (nothing when full, NULL or at > t->n). */
void rk_exp_timing_insert(rk_exp_timing *t, size_t at, const rk_exp_phase *p);

/** Everything the analysis needs: the base weights and every update. */
typedef struct rk_exp_models {
    size_t n_layers;                   /**< adapted layers (all linear layers) */
    char names[RK_MLP_MAX_LAYERS][16]; /**< "linear1", … (PyTorch module names) */
    rk_mat w0[RK_MLP_MAX_LAYERS];      /**< W0 (Out, In) per layer */
    rk_mat full[RK_MLP_MAX_LAYERS];    /**< ΔW_full (Out, In) per layer */
    size_t n_runs;                     /**< LoRA runs */
    rk_exp_lora_run runs[RK_EXP_MAX_RUNS]; /**< in the order of the ranks, then normal, then seed 2 */
    int target_class;                  /**< class fine-tuned on (−1 unknown) */
    rk_eval pretrain_eval;             /**< accuracy of W0 */
    rk_eval full_eval;                 /**< accuracy after the full fine-tune */
    rk_train_result pretrain_cost;     /**< pretraining cost */
    rk_train_result full_cost;         /**< full fine-tune cost */
    size_t n_train;                    /**< training examples used for pretraining */
    size_t n_target_train;             /**< training examples of the target class */
    size_t n_test;                     /**< test examples */
    rk_exp_lf lf;                      /**< learn–forget records (empty when read from files) */
    rk_exp_timing timing;              /**< wall and CPU seconds per phase (rk_exp_run's, and the tools') */
} rk_exp_models;

/**
 * The evaluation subset of the records (@p cfg's track_n images of @p test,
 * drawn with track_seed, kept in test order) into @p lf, which must be zero.
 * Nothing when track_every is 0.
 * @return RK_OK; RK_EINVAL; RK_ENOMEM.
 */
rk_status rk_exp_lf_subset(rk_exp_lf *lf, const rk_exp_config *cfg, const rk_dataset *test);

/**
 * Start the records of one fine-tune on class @p target in @p t: room for
 * every record of @p steps steps, and the record of step 0 (@p net with
 * @p lora, W0 from @p base). @p phi_rank as rk_lf_track_init. Nothing when lf->every is 0.
 * @return RK_OK; the errors of rk_lf_track_init and rk_lf_record.
 */
rk_status rk_exp_lf_start(rk_lf_track *t, const rk_exp_lf *lf, int target, size_t steps,
                          rk_mlp *net, rk_lora *lora, const rk_mlp *base, size_t phi_rank);

/**
 * The observer of a fine-tune: a record of @p tp's model on lf's subset when
 * @p tp->step is a multiple of lf->every or the last step.
 * @return RK_OK; the errors of rk_lf_record.
 */
rk_status rk_exp_lf_observe(rk_lf_track *t, const rk_exp_lf *lf, int target,
                            const rk_train_progress *tp, const rk_mlp *base);

/** The accuracies of @p ev (on the test set) as a record's (target vs other classes). */
rk_lf_point rk_exp_lf_point(const rk_exp_models *m, const rk_eval *ev);

/** Release what @p lf owns and zero it. NULL accepted. */
void rk_exp_lf_free(rk_exp_lf *lf);

/** `ranklab demo`'s defaults (see the fields of rk_exp_config). */
rk_exp_config rk_exp_config_default(void);

/**
 * Check @p cfg: sizes positive, ranks increasing and ≤ every layer's width
 * is NOT required (a rank above min(Out, In) gives an update of rank
 * min(Out, In)), at most RK_EXP_MAX_CLASSES classes.
 * @return RK_OK or RK_EINVAL (message in @p err).
 */
rk_status rk_exp_config_check(const rk_exp_config *cfg, rk_err *err);

/**
 * Steps 1–3: pretrain, pick the target class, fine-tune fully and with LoRA,
 * evaluate each on @p test; fill @p models (need not be initialised; free
 * with rk_exp_models_free, also on error). @p net receives the pretrained
 * network (created here; free with rk_mlp_free) for evaluations and saving.
 * @p train and @p test are standardised datasets with dim = net.sizes[0].
 * Every phase trains with rk_train_run() (a fresh Adam each) and evaluates
 * with rk_evaluate().
 * @return RK_OK; RK_EINVAL (config, dataset shapes); RK_ENOTFOUND (no
 *         training example of the target class); RK_ESTATE (stopped by the
 *         progress callback); RK_ENOMEM; the training loop's errors.
 */
rk_status rk_exp_run(const rk_exp_config *cfg, const rk_dataset *train, const rk_dataset *test,
                     rk_exp_models *models, rk_mlp *net, rk_err *err);

/** Release what @p m owns and zero it. NULL accepted. */
void rk_exp_models_free(rk_exp_models *m);

/** Trainable parameters of @p run: its cost's count, or R·(In + Out) summed over the layers when read from files. */
size_t rk_exp_lora_run_params(const rk_exp_lora_run *run);

/** Accuracy of @p ev on m->target_class (NaN when either is unknown). */
double rk_exp_target_accuracy(const rk_exp_models *m, const rk_eval *ev);

/** Release the factors and the evaluation of @p run and zero it. NULL accepted. */
void rk_exp_lora_run_free(rk_exp_lora_run *run);

/**
 * Allocate @p run's factors for @p n_layers layers of shapes (@p out[l],
 * @p in[l]) at rank run->rank, zero-filled, and record the shapes.
 * @return RK_OK; RK_EINVAL; RK_EOVERFLOW; RK_ENOMEM (nothing left allocated).
 */
rk_status rk_exp_lora_run_alloc(rk_exp_lora_run *run, size_t n_layers, const size_t *out,
                                const size_t *in);

/**
 * The factors of layer @p l in double (exact: rk_mat_from_f32), allocated:
 * @p a (R, In) = A_l and @p b (Out, R) = B_l. On error both are empty.
 * @return RK_OK; RK_EINVAL (NULL, l not a layer of the run); RK_ENOMEM.
 */
rk_status rk_exp_lora_factors(rk_mat *a, rk_mat *b, const rk_exp_lora_run *run, size_t l);

/**
 * ΔW_lora = scale·B·A of run @p run at layer @p l as a dense (Out, In)
 * double matrix, allocated into @p out.
 */
rk_status rk_exp_lora_dense(rk_mat *out, const rk_exp_lora_run *run, size_t l);

#ifdef __cplusplus
}
#endif

#endif
