/**
 * @file
 * @ingroup analysis
 * experiment_analysis.h — step 4 of the main experiment (experiment.h): per
 * adapted layer, in double, every learned LoRA update against the full
 * fine-tune's update and its best rank-r approximation; and the
 * SVD-extracted adapters [ΔW_full]_r, whose accuracy is that of W0 plus the
 * adapter's side path (lib/nn/lora.h) — the model's weights are never written.
 */
#ifndef RK_ANALYSIS_EXPERIMENT_ANALYSIS_H
#define RK_ANALYSIS_EXPERIMENT_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "amplify.h"
#include "experiment.h"
#include "rank_choice.h"
#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

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

/** Fine-tuning weights scaled down by λ in the intruder sweep (PEFT's recipe). */
#define RK_EXP_LAMBDAS 5

/**
 * The intruder test (lib/analysis/intruders.h, K = 10, ε = 0.5) of one
 * fine-tune's weights W0 + ΔW, per layer.
 */
typedef struct rk_exp_intr {
    size_t count[RK_MLP_MAX_LAYERS];     /**< intruders among the top K */
    bool meaningful[RK_MLP_MAX_LAYERS];  /**< false where the test is blind (rk_intruders.trivial) */
    double min_cos[RK_MLP_MAX_LAYERS];   /**< the smallest c_i of the top K */
} rk_exp_intr;

/** The λ sweep of one fine-tune, on the evaluation subset. */
typedef struct rk_exp_sweep {
    double target_acc[RK_EXP_LAMBDAS];   /**< accuracy on the target class */
    double other_acc[RK_EXP_LAMBDAS];    /**< accuracy on the other classes */
} rk_exp_sweep;

/** Results of rk_exp_analyze(). */
typedef struct rk_exp_analysis {
    size_t n_layers;                       /**< layers analysed */
    rk_exp_layer layers[RK_MLP_MAX_LAYERS]; /**< per layer */
    size_t n_extracted;                    /**< ranks with an SVD-extracted adapter */
    size_t extracted_rank[RK_EXP_MAX_RANKS];   /**< r of each, as configured */
    size_t extracted_params[RK_EXP_MAX_RANKS]; /**< Σ_layers r'·(Out + In), r' = min(r, Out, In) */
    /**
     * The SVD-extracted adapters, float32, scale 1: in layer l, B = U_r'·S_r',
     * A = V_r'ᵀ of ΔW_full with r' = min(r, Out, In), padded with zero
     * components to one rank R = max_l r' for all layers; so s·B·A =
     * [ΔW_full]_r exactly up to the float rounding of the factors. Their
     * eval is W0 + [ΔW_full]_r on the test set (empty without one).
     */
    rk_exp_lora_run extracted[RK_EXP_MAX_RANKS];
    int pair_run_lo;                       /**< run index of the φ pair's smaller rank (−1 absent) */
    int pair_run_hi;                       /**< run index of the φ pair's larger rank (−1 absent) */
    int seed_run_a;                        /**< run index of the first seed (−1 absent) */
    int seed_run_b;                        /**< run index of the second seed (−1 absent) */
    double seconds;                        /**< wall time of the analysis */
    rk_exp_intr intr_full;                 /**< intruders of W0 + ΔW_full */
    rk_exp_intr intr_run[RK_EXP_MAX_RUNS]; /**< intruders of W0 + ΔW_lora, per run */
    bool have_sweep;                       /**< the λ sweep was run (a network and a test set given) */
    int sweep_run;                         /**< run index of the swept LoRA run (rank 8, or the nearest), −1 none */
    size_t sweep_n;                        /**< images of the evaluation subset (the first of the test set) */
    double lambda[RK_EXP_LAMBDAS];         /**< 1, 0.75, 0.5, 0.25, 0 */
    rk_exp_sweep sweep_lora;               /**< W0 + ΔW_lora with its intruders times λ */
    rk_exp_sweep sweep_full;               /**< W0 + ΔW_full (pretrained biases) with its intruders times λ */
    /**
     * The report's intruder heatmap (lib/analysis/intruders_plot.h): |U'ᵀU0| of the LoRA run
     * and layer with the most intruders (with none anywhere: the swept run in the largest layer
     * where the test means something), the top K against W0's first ≤ RK_INTRUDERS_HEAT_COLS
     * left vectors; empty without one.
     */
    rk_mat heat;
    int heat_run;                          /**< its run (models' order), −1 none */
    size_t heat_layer;                     /**< its layer */
    bool have_rules;                       /**< the rank rules were compared (rk_exp_rules) */
    rk_rank_choice rules;                  /**< every rule's ranks on ΔW_full, W0 + [ΔW_full]_r evaluated (values kept, vectors freed) */
    size_t rules_uniform;                  /**< row of fixed:RK_EXP_RULES_UNIFORM in rules */
    size_t rules_budget;                   /**< row of budget:P, P = the parameters of that uniform rank */
} rk_exp_analysis;

/** The uniform LoRA rank the budget of the rank-rule comparison is measured against. */
#define RK_EXP_RULES_UNIFORM 4

/**
 * Intruder dimensions of every fine-tune in @p m (experiment_intruders.c):
 * per layer, W0's SVD once and the test of W0 + ΔW for the full fine-tune
 * and every LoRA run; with @p net (weights W0, not written) and @p test, the
 * λ sweep (1, 0.75, 0.5, 0.25, 0) of the full fine-tune and of the main LoRA
 * run closest to rank 8 on the first 2,000 test images.
 * @return RK_OK; RK_ENOMEM; the SVD's errors.
 */
rk_status rk_exp_intruders(const rk_exp_models *m, rk_mlp *net, const rk_dataset *test,
                           rk_exp_analysis *a);

/**
 * Step 4: the per-layer analysis of @p m into @p out (need not be
 * initialised; free with rk_exp_analysis_free, also on error). The SVD of
 * each ΔW_full is computed once; from it come the Eckart–Young bounds, the φ
 * tables and the SVD-extracted adapters at every rank of @p cfg. When
 * @p net (the pretrained network, weights W0) and @p test are not NULL, each
 * extracted adapter is evaluated as an rk_lora side path on @p net (whose
 * parameters are not written). @p cfg gives the ranks, the φ pair and seeds
 * and the progress callback.
 * @return RK_OK; RK_EINVAL; RK_ESHAPE (updates, W0 and @p net disagree);
 *         RK_ENOMEM; the SVD's errors.
 */
rk_status rk_exp_analyze(const rk_exp_config *cfg, const rk_exp_models *m, rk_mlp *net,
                         const rk_dataset *test, rk_exp_analysis *out, rk_err *err);

/**
 * The rank rules on ΔW_full (experiment_rules.c): the standard rules of
 * rk_rank_choice_standard() with r = RK_EXP_RULES_UNIFORM into a->rules,
 * from the thin SVDs @p sfull (n_layers of @p m; taken over, left empty),
 * evaluated on @p test when @p net and @p test are given. Called by
 * rk_exp_analyze().
 * @return RK_OK; the errors of rk_rank_choice_add / rk_rank_choice_evaluate.
 */
rk_status rk_exp_rules(const rk_exp_models *m, rk_svd *sfull, rk_mlp *net, const rk_dataset *test,
                       rk_exp_analysis *a);

/** The share of ΔW_full's energy, all layers together, that row @p row of a->rules keeps. */
double rk_exp_rules_energy(const rk_exp_analysis *a, size_t row);

/** Release what @p a owns and zero it. NULL accepted. */
void rk_exp_analysis_free(rk_exp_analysis *a);

#ifdef __cplusplus
}
#endif

#endif
