/*
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
 * Training is float32 (lib/nn); every comparison is double.
 */
#ifndef RK_ANALYSIS_EXPERIMENT_H
#define RK_ANALYSIS_EXPERIMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analysis/amplify.h"
#include "core/mat.h"
#include "core/status.h"
#include "nn/data.h"
#include "nn/lora.h"
#include "nn/mlp.h"
#include "nn/train.h"
#include "plot/plot.h"

/** Most LoRA ranks one experiment compares. */
#define RK_EXP_MAX_RANKS 12
/** Most LoRA runs: one per rank, plus the N(0,1)-init run and the second-seed run. */
#define RK_EXP_MAX_RUNS (RK_EXP_MAX_RANKS + 2)
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
    size_t pair_lo;            /**< φ(ΔW_lora(pair_lo), ΔW_lora(pair_hi)) (paper Fig. 3: 8 … */
    size_t pair_hi;            /**< … and 64) */
    uint64_t seed;             /**< network init and pretraining order */
    uint64_t ft_seed;          /**< fine-tuning batch order, the same for every method */
    uint64_t lora_seed;        /**< adapter initialisation of the main runs */
    uint64_t lora_seed2;       /**< adapter initialisation of the second-seed run */
    rk_exp_progress_fn progress; /**< may be NULL */
    void *progress_ctx;        /**< passed to progress */
} rk_exp_config;

/** Accuracy of one network on the test set. */
typedef struct rk_exp_eval {
    double accuracy;                        /**< overall */
    double target_accuracy;                 /**< on the target class (NaN before it is known) */
    double per_class[RK_EXP_MAX_CLASSES];   /**< per class (NaN: no example) */
    int n_classes;                          /**< entries of per_class */
    bool done;                              /**< false: not evaluated (e.g. compare without data) */
} rk_exp_eval;

/** Which kind of LoRA run. */
typedef enum rk_exp_role {
    RK_EXP_ROLE_RANK = 0,  /**< one of the ranks compared */
    RK_EXP_ROLE_NORMAL,    /**< A ~ N(0,1) (the tutorial's init) */
    RK_EXP_ROLE_SEED2      /**< the main init with another seed */
} rk_exp_role;

/** What a training method cost. */
typedef struct rk_exp_cost {
    size_t trainable_params;   /**< parameters the optimizer updates */
    size_t train_bytes;        /**< bytes of training state: gradients + Adam moments + adapter scratch (counted) */
    double seconds;            /**< wall time of training */
    size_t steps;              /**< steps taken */
    double loss_first;         /**< loss of the first step */
    double loss_last;          /**< loss of the last step */
} rk_exp_cost;

/** One LoRA run: its factors per layer, unscaled (ΔW = scale·B·A). */
typedef struct rk_exp_lora_run {
    char label[48];                    /**< "r=8", "r=8 N(0,1) init", "r=8 seed 2" */
    rk_exp_role role;                  /**< which kind */
    size_t rank;                       /**< r */
    rk_lora_init init;                 /**< initialisation of A */
    double scale;                      /**< s = α/r */
    rk_mat a[RK_MLP_MAX_LAYERS];       /**< A (r, In) per layer, double */
    rk_mat b[RK_MLP_MAX_LAYERS];       /**< B (Out, r) per layer, double */
    rk_exp_cost cost;                  /**< training cost (zero when read from files) */
    rk_exp_eval eval;                  /**< accuracy with the adapter */
} rk_exp_lora_run;

/** Everything the analysis needs: the base weights and every update. */
typedef struct rk_exp_models {
    size_t n_layers;                   /**< adapted layers (all linear layers) */
    char names[RK_MLP_MAX_LAYERS][16]; /**< "linear1", … (PyTorch module names) */
    rk_mat w0[RK_MLP_MAX_LAYERS];      /**< W0 (Out, In) per layer */
    rk_mat full[RK_MLP_MAX_LAYERS];    /**< ΔW_full (Out, In) per layer */
    size_t n_runs;                     /**< LoRA runs */
    rk_exp_lora_run runs[RK_EXP_MAX_RUNS]; /**< in the order of the ranks, then normal, then seed 2 */
    int target_class;                  /**< class fine-tuned on (−1 unknown) */
    rk_exp_eval pretrain_eval;         /**< accuracy of W0 */
    rk_exp_eval full_eval;             /**< accuracy after the full fine-tune */
    rk_exp_cost pretrain_cost;         /**< pretraining cost */
    rk_exp_cost full_cost;             /**< full fine-tune cost */
    size_t n_train;                    /**< training examples used for pretraining */
    size_t n_target_train;             /**< training examples of the target class */
    size_t n_test;                     /**< test examples */
} rk_exp_models;

/** Comparison of one LoRA run with the full update in one layer. */
typedef struct rk_exp_cmp {
    size_t rank;               /**< r of the run */
    size_t numerical_rank;     /**< rank(ΔW_lora) by numpy's rule (≤ r) */
    double fro;                /**< ‖ΔW_lora‖_F */
    double rel_err;            /**< ‖ΔW_lora − ΔW_full‖_F / ‖ΔW_full‖_F */
    double ey_rel_err;         /**< ‖ΔW_full − [ΔW_full]_r‖_F / ‖ΔW_full‖_F (Eckart–Young) */
    double cosine;             /**< ⟨ΔW_lora, ΔW_full⟩_F / (‖·‖_F‖·‖_F) */
    size_t phi_dim;            /**< d = min(r, Out, In, RK_EXP_MAX_PHI): size of the φ tables */
    double phi;                /**< φ(d, d), left singular vectors (column spaces) */
    double phi_right;          /**< φ(d, d), right singular vectors (row spaces) */
    rk_mat phi_left_table;     /**< (d, d) φ(i, j) of ΔW_lora (i) vs ΔW_full (j), left */
    rk_mat phi_right_table;    /**< (d, d) the same for the right singular vectors */
    double *s;                 /**< (k) singular values of ΔW_lora, k = min(r, Out, In) */
    size_t k;                  /**< entries of s */
    rk_amplify amp;            /**< amplification of W0 by ΔW_lora at r' = min(r, k, In, Out) */
} rk_exp_cmp;

/** Analysis of one adapted layer. */
typedef struct rk_exp_layer {
    char name[16];             /**< "linear1", … */
    size_t out;                /**< rows of W0 and ΔW */
    size_t in;                 /**< columns of W0 and ΔW */
    double *s_w0;              /**< (k) singular values of W0, k = min(Out, In) */
    double *s_full;            /**< (k) singular values of ΔW_full */
    size_t k;                  /**< min(Out, In) */
    double full_fro;           /**< ‖ΔW_full‖_F */
    double w0_fro;             /**< ‖W0‖_F */
    size_t full_rank;          /**< numerical rank of ΔW_full */
    rk_exp_cmp cmp[RK_EXP_MAX_RUNS];   /**< per LoRA run (models' order) */
    rk_amplify amp_full[RK_EXP_MAX_RUNS]; /**< ΔW_full's amplification at the same r' as cmp[i] */
    rk_mat phi_pair;           /**< φ(i, j) of ΔW_lora(pair_lo) (i) vs ΔW_lora(pair_hi) (j); empty if absent */
    rk_mat phi_seeds;          /**< φ(i, j) of the two seeds at seed2_rank; empty if absent */
} rk_exp_layer;

/** Results of rk_exp_analyze(). */
typedef struct rk_exp_analysis {
    size_t n_layers;                       /**< layers analysed */
    rk_exp_layer layers[RK_MLP_MAX_LAYERS]; /**< per layer */
    size_t n_extracted;                    /**< ranks with an SVD-extracted adapter */
    size_t extracted_rank[RK_EXP_MAX_RANKS];   /**< r of each */
    size_t extracted_params[RK_EXP_MAX_RANKS]; /**< Σ_layers r'·(Out + In), r' = min(r, Out, In) */
    rk_exp_eval extracted_eval[RK_EXP_MAX_RANKS]; /**< accuracy of W0 + [ΔW_full]_r */
    int pair_run_lo;                       /**< run index of the φ pair's smaller rank (−1 absent) */
    int pair_run_hi;                       /**< run index of the φ pair's larger rank (−1 absent) */
    int seed_run_a;                        /**< run index of the first seed (−1 absent) */
    int seed_run_b;                        /**< run index of the second seed (−1 absent) */
    double seconds;                        /**< wall time of the analysis */
} rk_exp_analysis;

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
 * @return RK_OK; RK_EINVAL (config, dataset shapes); RK_ENOTFOUND (no
 *         training example of the target class); RK_ESTATE (stopped by the
 *         progress callback); RK_ENOMEM; the training loop's errors.
 */
rk_status rk_exp_run(const rk_exp_config *cfg, const rk_dataset *train, const rk_dataset *test,
                     rk_exp_models *models, rk_mlp *net, rk_err *err);

/** Release what @p m owns and zero it. NULL accepted. */
void rk_exp_models_free(rk_exp_models *m);

/**
 * Accuracy of @p net on @p test (overall, per class, and on @p target when
 * ≥ 0), with @p lora when not NULL.
 */
rk_status rk_exp_evaluate(rk_exp_eval *ev, rk_mlp *net, rk_lora *lora, const rk_dataset *test,
                          int target);

/**
 * Step 4: the per-layer analysis of @p m into @p out (need not be
 * initialised; free with rk_exp_analysis_free, also on error). When @p net
 * (the pretrained network, weights W0) and @p test are not NULL, the
 * SVD-extracted adapters W0 + [ΔW_full]_r are evaluated at every rank of
 * @p cfg (net's weights are restored afterwards). @p cfg gives the ranks,
 * the φ pair and seeds and the progress callback.
 * @return RK_OK; RK_EINVAL; RK_ESHAPE (updates and W0 disagree); RK_ENOMEM;
 *         the SVD's errors.
 */
rk_status rk_exp_analyze(const rk_exp_config *cfg, const rk_exp_models *m, rk_mlp *net,
                         const rk_dataset *test, rk_exp_analysis *out, rk_err *err);

/** Release what @p a owns and zero it. NULL accepted. */
void rk_exp_analysis_free(rk_exp_analysis *a);

/**
 * ΔW_lora = scale·B·A of run @p run at layer @p l as a dense (Out, In)
 * matrix, allocated into @p out.
 */
rk_status rk_exp_lora_dense(rk_mat *out, const rk_exp_lora_run *run, size_t l);

struct json_t;

/**
 * The results as a JSON object (the layout of results.json, see
 * docs/experiment.md): config, pretrain, target_class, full, lora (one entry
 * per rank with its layers), lora_extra (N(0,1) init, second seed),
 * svd_extracted, layers (spectra, φ pair and seed tables). NaN and ±Inf are
 * written as null. Returns a new reference (json_decref), NULL on ENOMEM.
 */
struct json_t *rk_exp_results_json(const rk_exp_config *cfg, const rk_exp_models *m,
                                   const rk_exp_analysis *a);

/** Write rk_exp_results_json() to @p path (indented), atomically. */
rk_status rk_exp_results_write(const char *path, const rk_exp_config *cfg, const rk_exp_models *m,
                               const rk_exp_analysis *a, rk_err *err);

/** Most plots one report draws. */
#define RK_EXP_MAX_PLOTS 48

/** One plot of the report: its image, data file, and whether the image was drawn. */
typedef struct rk_exp_plot {
    char file[64];      /**< image name relative to the output folder ("error_linear2.png") */
    char data[64];      /**< data file beside it ("error_linear2.dat") */
    rk_status status;   /**< RK_OK: drawn; RK_EPLOT: gnuplot missing or failed (data written) */
} rk_exp_plot;

/** The plots drawn by rk_exp_plots_write(). */
typedef struct rk_exp_plots {
    size_t n;                              /**< plots attempted */
    rk_exp_plot plots[RK_EXP_MAX_PLOTS];   /**< in drawing order */
    char gnuplot_error[RK_ERRMSG_MAX];     /**< first gnuplot problem, empty if none */
} rk_exp_plots;

/**
 * Draw the report's plots into folder @p dir (created if missing) as PNG or
 * SVG (@p format RK_PLOT_PNG or RK_PLOT_SVG): accuracy.EXT (accuracy
 * against r for LoRA and the SVD-extracted adapters), and per layer
 * error_L.EXT (rel_err and the Eckart–Young bound against r), spectra_L.EXT
 * (scree of W0, ΔW_full and every ΔW_lora), energy_L.EXT (cumulative
 * energy of W0 and ΔW_full),
 * phi_L_rR_left/right.EXT (φ(i, j) of ΔW_lora(R) vs ΔW_full),
 * phi_L_pair.EXT and phi_L_seeds.EXT. A missing gnuplot is not an error:
 * the data files are written and each plot's status says RK_EPLOT.
 * @return RK_OK; RK_EIO/RK_ENOMEM/RK_EINVAL when a data file cannot be written.
 */
rk_status rk_exp_plots_write(const char *dir, rk_plot_format format, const rk_exp_config *cfg,
                             const rk_exp_models *m, const rk_exp_analysis *a, rk_exp_plots *plots,
                             rk_err *err);

/** Facts about the run that the report prints but the results do not hold. */
typedef struct rk_exp_report_info {
    const char *command;       /**< command line that produced the run ("ranklab demo …") */
    const char *data_dir;      /**< dataset folder, or NULL */
    double total_seconds;      /**< wall time of the whole run */
    int threads;               /**< BLAS threads */
    bool ftz;                  /**< flush-to-zero was on during training */
} rk_exp_report_info;

/**
 * Write @p dir/report.md: the tables (accuracy, cost, rel_err against the
 * Eckart–Young bound, amplification, per class), every plot of @p plots
 * with a paragraph generated from the measured numbers, and a pointer to
 * the lib/ function behind each number. Only files that exist in @p dir
 * are linked (checked when writing).
 * @return RK_OK; RK_EIO; RK_ENOMEM.
 */
rk_status rk_exp_report_write(const char *dir, const rk_exp_config *cfg, const rk_exp_models *m,
                              const rk_exp_analysis *a, const rk_exp_plots *plots,
                              const rk_exp_report_info *info, rk_err *err);

/** Folder name of a LoRA run under adapters/: "lora_r8", "lora_r8_normal", "lora_r8_seed2". */
void rk_exp_run_dirname(const rk_exp_lora_run *run, char *buf, size_t n);

/**
 * Save a run under @p dir: weights/base.safetensors (the pretrained @p net,
 * rk_checkpoint_save), full/delta.safetensors (ΔW_full, F64,
 * rk_checkpoint_save_deltas), adapters/lora_rR…/ for every LoRA run and
 * adapters/extracted_rR/ (B = U_R·S_R, A = V_Rᵀ of ΔW_full, scale 1, R
 * capped by the smallest layer) in PEFT's layout.
 * @return RK_OK; RK_EIO; RK_ENOMEM; the SVD's errors.
 */
rk_status rk_exp_save(const char *dir, const rk_exp_config *cfg, const rk_mlp *net,
                      const rk_exp_models *m, rk_err *err);

/**
 * Read a run back for the analysis: the base model @p base (safetensors,
 * PyTorch names; created into @p net, free with rk_mlp_free), the full
 * update @p full (a delta .safetensors file, or a folder holding
 * delta.safetensors) and @p n_lora PEFT adapters (modules linear1 …, one
 * rank and scale each). A second adapter with a rank already seen becomes
 * the "second seed" run. Accuracies and costs are left empty.
 * @return RK_OK; the readers' errors; RK_ENOTFOUND, RK_ESHAPE, RK_ECONFIG
 *         (an adapter or delta that does not fit the base; err says which).
 */
rk_status rk_exp_load(rk_exp_models *m, rk_mlp *net, const char *base, const char *full,
                      const char *const *lora, size_t n_lora, rk_err *err);

#endif
