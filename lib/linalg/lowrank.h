/**
 * @file
 * @ingroup linalg
 * lowrank.h — the best rank-r approximation A_r = U_r·S_r·V_rᵀ and its
 * factor splits A_r = B·A, from an SVD made by rk_svd_decomp().
 *
 * With U_r = the first r columns of U (m×r), S_r = diag(σ₁…σ_r) and
 * V_rᵀ = the first r rows of Vt (r×n):
 *
 *   A_r = U_r · S_r · V_rᵀ                          (m×n)
 *   ‖A − A_r‖_F = √(Σ_{i>r} σ_i²),  ‖A − A_r‖₂ = σ_{r+1}   (Eckart–Young–Mirsky:
 *                                       no matrix of rank ≤ r is closer in either norm)
 *
 *   split          B (m×r)           A (r×n)
 *   RK_SPLIT_US    U_r · S_r         V_rᵀ          the LoRA tutorial: W ≈ B·A
 *   RK_SPLIT_BALANCED U_r · √S_r     √S_r · V_rᵀ   (PiSSA's initialisation)
 *
 * r counts singular triplets: 0 ≤ r ≤ k = min(m, n). r = 0 gives the zero
 * matrix and empty factors. The parameter count drops from m·n to r·(m + n).
 * See docs/concepts/lowrank.md.
 */
#ifndef RK_LINALG_LOWRANK_H
#define RK_LINALG_LOWRANK_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "svd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which of the two factor splits of A_r = B·A rk_lowrank_factors() makes. */
typedef enum rk_split {
    RK_SPLIT_US = 0,      /**< B = U_r·S_r, A = V_rᵀ (the LoRA tutorial's convention) */
    RK_SPLIT_BALANCED     /**< B = U_r·√S_r, A = √S_r·V_rᵀ (both carry √σ) */
} rk_split;

/**
 * Allocate @p ak = U_r·S_r·V_rᵀ (m×n), the best rank-@p r approximation of the
 * matrix @p svd decomposes. @p svd is only read; it must hold U and Vt (thin
 * or full mode). Cost 2·m·n·r flops (one dgemm). On error @p ak is left empty.
 *
 * @return RK_OK; RK_EINVAL (NULL, or @p svd was computed in values-only mode);
 *         RK_ERANGE (r > k); RK_ENOMEM; RK_EOVERFLOW.
 */
rk_status rk_lowrank_approx(rk_mat *ak, const rk_svd *svd, size_t r);

/**
 * Allocate the factors of A_r = @p b · @p a: @p b is m×r and @p a is r×n, as
 * @p split says (see the table at the top of lowrank.h). @p svd is only read
 * and must hold U and Vt. On error both are left empty.
 *
 * @return RK_OK; RK_EINVAL (NULL, values-only svd, unknown split);
 *         RK_ERANGE (r > k); RK_ENOMEM; RK_EOVERFLOW.
 */
rk_status rk_lowrank_factors(rk_mat *b, rk_mat *a, const rk_svd *svd, size_t r, rk_split split);

/**
 * The errors of A_r from the spectrum alone (works on a values-only svd too):
 * @p fro = ‖A − A_r‖_F = √(Σ_{i≥r} s_i²) and @p spectral = ‖A − A_r‖₂ = s[r]
 * (0-based, i.e. σ_{r+1}; 0 when r = k). Either output may be NULL.
 *
 * @return RK_OK; RK_EINVAL (svd NULL); RK_ERANGE (r > k).
 */
rk_status rk_lowrank_errors(const rk_svd *svd, size_t r, double *fro, double *spectral);

/** Parameters of the factors: r·(m + n) (SIZE_MAX if that overflows). Compare with m·n. */
size_t rk_lowrank_param_count(size_t m, size_t n, size_t r);

#ifdef __cplusplus
}
#endif

#endif
