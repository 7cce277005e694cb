/**
 * @file
 * @ingroup analysis
 * intruders.h — intruder dimensions of a fine-tuned weight matrix and their
 * mitigation (Shuttleworth et al., "LoRA vs Full Fine-tuning: An Illusion of
 * Equivalence", arXiv 2410.21228; the recipe of PEFT's
 * reduce_intruder_dimension).
 *
 * For a pretrained weight W0 (m×n) and a fine-tuned one W_ft = W0 + ΔW, with
 * thin SVDs W0 = U·diag(σ)·Vᵀ and W_ft = U′·diag(σ′)·V′ᵀ (k = min(m, n)
 * columns each), the i-th left singular vector u′_i of W_ft is compared with
 * every left singular vector u_j of W0:
 *
 *     c_i = max_j |u′_iᵀ u_j|,   j = 1..k        (the largest cosine)
 *
 * and u′_i is an intruder dimension when c_i < ε, for i = 1..K (the top K
 * of W_ft; the paper and PEFT: K = 10, ε = 0.5). An intruder is a direction
 * of the fine-tuned weight, among its largest, that no pretrained singular
 * direction resembles.
 *
 * What the test cannot see. U0 spans at most k dimensions of R^m. When it
 * spans all of R^m (m ≤ n) every unit vector has Σ_j (u′ᵀu_j)² = 1, so
 * c_i ≥ 1/√m: with m ≤ 1/ε² no vector can be an intruder. And when K ≥ m the
 * top K of W_ft are a whole basis of R^m, as W0's are: the count only says
 * how the two bases are rotated, not that a direction is new. Both cases are
 * flagged (rk_intruders.trivial) so a tool says so instead of printing a
 * count.
 *
 * Mitigation (PEFT's, on W_ft rather than on ΔW alone): with I the intruder
 * indices and λ ≥ 0,
 *
 *     W′ = W_ft + (λ − 1) · Σ_{i∈I} σ′_i u′_i v′_iᵀ
 *
 * so W′ has the singular triplets of W_ft with σ′_i replaced by λ·σ′_i for
 * i ∈ I: λ = 1 changes nothing, λ = 0 removes the intruders (PEFT's default
 * λ = 0.75). For a LoRA adapter (ΔW = s·B·A of rank r) the mitigated update
 * D = (W′ − W0)/s is re-factored at the same rank from its thin SVD
 * D = U_D·diag(d)·V_Dᵀ: B′ = U_D[:, :r]·diag(√d_{1..r}), A′ = diag(√d_{1..r})·V_D[:, :r]ᵀ
 * (the square root shared as PEFT does). In general D has rank up to
 * r + |I| (u′_i need not lie in B's column span), so the rank-r factors are
 * D's best rank-r approximation (Eckart–Young); the part left out,
 * √(Σ_{i>r} d_i²)/‖D‖_F, is returned so a tool can print it.
 *
 * Cost: two thin SVDs (O(m·n·k) each) and one K×k product.
 */
#ifndef RK_ANALYSIS_INTRUDERS_H
#define RK_ANALYSIS_INTRUDERS_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "../linalg/svd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The paper's default number of top vectors tested: 10. */
#define RK_INTRUDER_TOP 10
/** The paper's default threshold on c_i: 0.5. */
#define RK_INTRUDER_EPS 0.5
/** PEFT's default scale λ of the intruder directions: 0.75. */
#define RK_INTRUDER_LAMBDA 0.75

/** Why the count of a matrix means nothing (see the top of intruders.h). */
typedef enum rk_intruder_trivial {
    RK_INTRUDER_MEANINGFUL = 0,   /**< the count is a finding */
    RK_INTRUDER_WHOLE_BASIS,      /**< K ≥ m: the top K span all of R^m, as W0's vectors do */
    RK_INTRUDER_NONE_POSSIBLE     /**< U0 spans R^m and 1/√m ≥ ε: every c_i ≥ ε */
} rk_intruder_trivial;

/** The intruder test of one matrix; release with rk_intruders_free(). */
typedef struct rk_intruders {
    size_t m;                 /**< rows of W0 and W_ft */
    size_t n;                 /**< columns of W0 and W_ft */
    size_t k;                 /**< min(m, n) */
    size_t top;               /**< K, the vectors tested */
    double eps;               /**< ε */
    size_t count;             /**< #{i ≤ K : c_i < ε} */
    double *max_cos;          /**< (top) c_i = max_j |u′_iᵀ u_j| */
    size_t *argmax;           /**< (top) the j (0-based) where the maximum is reached */
    bool *is_intruder;        /**< (top) c_i < ε */
    rk_intruder_trivial trivial;  /**< whether the count means anything */
    rk_svd base;              /**< thin SVD of W0 (u holds U0, m×k) */
    rk_svd ft;                /**< thin SVD of W_ft: σ′ in ft.s, U′ in ft.u, V′ᵀ in ft.vt */
} rk_intruders;

/**
 * The intruder test of @p w_ft against @p w0 (same shape m×n) with the top
 * @p top left vectors of w_ft and threshold @p eps, into @p out (need not be
 * initialised; on error it is left empty).
 *
 * @return RK_OK; RK_EINVAL (NULL, eps not in (0, 1], NaN); RK_ESHAPE (shapes
 *         differ, or an empty matrix); RK_ERANGE (top = 0 or top > min(m, n));
 *         RK_ENONFINITE; RK_ENOMEM; the SVD's RK_ECONVERGE / RK_ELAPACK.
 */
rk_status rk_intruders_find(rk_intruders *out, const rk_mat *w0, const rk_mat *w_ft, size_t top,
                            double eps);

/**
 * As rk_intruders_find() with W0's thin SVD already computed (@p w0_svd,
 * rk_svd_decomp RK_SVD_THIN of @p w0; its U0 and σ are copied), so that
 * several fine-tunes of one W0 cost one SVD each.
 * @return as rk_intruders_find(); RK_ESHAPE also when @p w0_svd is not a
 *         thin SVD of a matrix of @p w0's shape.
 */
rk_status rk_intruders_find_svd(rk_intruders *out, const rk_mat *w0, const rk_svd *w0_svd,
                                const rk_mat *w_ft, size_t top, double eps);

/** Release what @p r owns and reset it. NULL is accepted. */
void rk_intruders_free(rk_intruders *r);

/**
 * The paper's Figure 1: allocate @p cos (top × nbase) with
 * cos(i, j) = |u′_iᵀ u_j| for the top K of W_ft against W0's top @p nbase.
 * @return RK_OK; RK_EINVAL; RK_ERANGE (nbase = 0 or > k); RK_ENOMEM.
 */
rk_status rk_intruders_cos_table(rk_mat *cos, const rk_intruders *r, size_t nbase);

/**
 * W′ = W_ft + (λ − 1)·Σ_{i∈I} σ′_i u′_i v′_iᵀ, in place on @p w (which holds
 * W_ft, m×n). λ = 1 leaves w as it is.
 * @return RK_OK; RK_EINVAL (NULL, λ < 0 or not finite); RK_ESHAPE.
 */
rk_status rk_intruders_scale(rk_mat *w, const rk_intruders *r, double lambda);

/**
 * Re-factor an update at rank @p rank: @p d (m×n, e.g. (W′ − W0)/s) →
 * @p b (m×rank) and @p a (rank×n), allocated, with B·A the best rank-r
 * approximation of d and the square root of each singular value on both
 * sides (B = U_r·diag(√d), A = diag(√d)·V_rᵀ). *@p rel_left receives
 * √(Σ_{i>r} d_i²) / ‖d‖_F (0 for d = 0).
 * @return RK_OK; RK_EINVAL; RK_ERANGE (rank = 0 or > min(m, n));
 *         RK_ENONFINITE; RK_ENOMEM; the SVD's errors. On error a, b are empty.
 */
rk_status rk_intruders_refactor(rk_mat *b, rk_mat *a, double *rel_left, const rk_mat *d, size_t rank);

/** A one-line description of @p t ("the top K span all of R^m", …). */
const char *rk_intruder_trivial_text(rk_intruder_trivial t);

#ifdef __cplusplus
}
#endif

#endif
