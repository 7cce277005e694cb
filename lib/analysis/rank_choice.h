/**
 * @file
 * @ingroup analysis
 * rank_choice.h — the rank rules (lib/linalg/rankrule.h) side by side on the
 * updates ΔW_l of a network's layers: each rule's rank per layer, the energy
 * it keeps and the error it leaves, and the accuracy of the network with
 * every layer at W0 + [ΔW_l]_{r_l}, the SVD truncation at the rule's rank.
 *
 *   [ΔW]_r = U_r·S_r·V_rᵀ     the best rank-r approximation (Eckart–Young)
 *   energy kept  Σ_{i≤r} σ_i² / Σ_i σ_i²,   rel_err  √(Σ_{i>r} σ_i²) / ‖ΔW‖_F
 *   params       Σ_l r_l·(Out_l + In_l)  (a LoRA adapter of those ranks)
 *
 * The accuracy is that of W0 plus the adapter's side path (lib/nn/lora.h,
 * scale 1, B = U_r·S_r and A = V_rᵀ in float32, zero-padded to one rank for
 * all layers), so the network's weights are never written; a rule whose
 * ranks equal an earlier row's shares its evaluation. Used by lesson 6 and
 * `ranklab demo`.
 */
#ifndef RK_ANALYSIS_RANK_CHOICE_H
#define RK_ANALYSIS_RANK_CHOICE_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "../linalg/rankrule.h"
#include "../linalg/svd.h"
#include "../nn/data.h"
#include "../nn/eval.h"
#include "../nn/mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Rows a comparison holds. */
enum { RK_RANK_CHOICE_MAX_ROWS = 16 };

/** One rule's choice for every layer. */
typedef struct rk_rank_choice_row {
    rk_rank_rule rule;                     /**< the rule */
    char name[40];                         /**< the rule as text, "energy:0.9" */
    size_t rank[RK_MLP_MAX_LAYERS];        /**< r_l */
    double energy[RK_MLP_MAX_LAYERS];      /**< Σ_{i≤r_l} σ_i² / Σ σ_i² of layer l */
    double rel_err[RK_MLP_MAX_LAYERS];     /**< ‖ΔW_l − [ΔW_l]_{r_l}‖_F / ‖ΔW_l‖_F (0 for ΔW_l = 0) */
    size_t params;                         /**< Σ_l r_l·(Out_l + In_l) */
    double shortfall;                      /**< budget:P: greedy's bound on the energy it misses; else 0 */
    rk_eval eval;                          /**< W0 + [ΔW]_r on the test set (empty: not evaluated) */
} rk_rank_choice_row;

/** The layers' SVDs and the rows; zero-initialise, free with rk_rank_choice_free(). */
typedef struct rk_rank_choice {
    size_t n_layers;                       /**< layers */
    size_t out[RK_MLP_MAX_LAYERS];         /**< Out_l, rows of ΔW_l */
    size_t in[RK_MLP_MAX_LAYERS];          /**< In_l, columns of ΔW_l */
    rk_svd svd[RK_MLP_MAX_LAYERS];         /**< thin SVD of each ΔW_l (all min(Out, In) values) */
    size_t n_rows;                         /**< rows filled */
    rk_rank_choice_row rows[RK_RANK_CHOICE_MAX_ROWS];  /**< in the order added */
} rk_rank_choice;

/**
 * Start a comparison of @p n_layers updates @p delta (Out_l × In_l): their
 * thin SVDs, computed once. @p c need not be initialised; on error it is
 * left empty. Cost O(Out·In·min(Out, In)) per layer.
 * @return RK_OK; RK_EINVAL (NULL, n_layers 0 or above RK_MLP_MAX_LAYERS);
 *         the SVD's errors (RK_ENONFINITE, RK_ENOMEM, …).
 */
rk_status rk_rank_choice_init(rk_rank_choice *c, const rk_mat *delta, size_t n_layers);

/**
 * As rk_rank_choice_init(), from thin SVDs already computed (U, S and Vᵀ of
 * each ΔW_l): @p c takes them over and @p svd[0..n_layers) are left empty.
 * @return RK_OK; RK_EINVAL (NULL, n_layers 0 or above RK_MLP_MAX_LAYERS, an
 *         SVD without its vectors; nothing is taken then).
 */
rk_status rk_rank_choice_init_svd(rk_rank_choice *c, rk_svd *svd, size_t n_layers);

/**
 * Add the row of @p rule: each layer's rank (rk_rule_rank on its whole
 * spectrum, or rk_rule_budget over all layers for budget:P), the energy it
 * keeps, the error it leaves and its parameters. Not evaluated yet.
 * @return RK_OK; RK_EINVAL (NULL, a rule out of range); RK_ERANGE (the rows
 *         are full, or budget:P below one rank-1 factor pair of the
 *         smallest layer); RK_ENOMEM.
 */
rk_status rk_rank_choice_add(rk_rank_choice *c, const rk_rank_rule *rule);

/**
 * Evaluate every row not evaluated yet: the accuracy of @p net (weights W0,
 * layers matching the updates; not written) with W0 + [ΔW_l]_{r_l} in every
 * layer on @p test, once per distinct rank vector (a row with an earlier
 * row's ranks gets a copy of its evaluation).
 * @return RK_OK; RK_EINVAL (NULL); RK_ESHAPE (@p net does not match);
 *         RK_ENOMEM; rk_evaluate()'s errors.
 */
rk_status rk_rank_choice_evaluate(rk_rank_choice *c, rk_mlp *net, const rk_dataset *test);

/**
 * The rules lesson 6 and the demo compare, into @p rules (room for
 * RK_RANK_CHOICE_MAX_ROWS): the defaults of rk_rule_defaults() (energy:0.9,
 * sv_fro:0.9, sv_cumulative:0.9, sv_ratio:10, gd), then fixed:@p r and
 * budget:P with P = @p r·Σ_l (Out_l + In_l), the parameters of a rank-r LoRA
 * adapter on every layer of @p c. Returns the count.
 */
size_t rk_rank_choice_standard(const rk_rank_choice *c, size_t r, rk_rank_rule *rules);

/** Release what @p c owns and zero it. NULL is accepted. */
void rk_rank_choice_free(rk_rank_choice *c);

#ifdef __cplusplus
}
#endif

#endif
