/**
 * @file
 * @ingroup linalg
 * gram.h — the top r left singular vectors of A (m×n) from the eigenvectors
 * of the Gram matrix of its smaller side, without a thin SVD of A.
 *
 *   m ≤ n:  G = A·Aᵀ (m×m) = U·diag(σ²)·Uᵀ   → the eigenvectors of the r largest
 *           eigenvalues are u_1 … u_r themselves
 *   m > n:  G = Aᵀ·A (n×n) = V·diag(σ²)·Vᵀ   → A·v_i = σ_i·u_i, so the thin Q of
 *           A·[v_1 … v_r] (m×r) has the columns ±u_1 … ±u_r
 *
 * G by dsyrk (m·n·min(m, n) flops), its top r eigenpairs by dsyevr with
 * RANGE = 'I' (Householder tridiagonal reduction, 4/3·k³ flops, k = min(m, n),
 * then r eigenvectors by MRRR), against ≈ 4·m·n·k + 8·k³ for the thin SVD
 * (gesdd with U): on a 1000×680 block about 6× less work.
 *
 * Accuracy: forming G rounds it by about k·ε·σ_1² in norm, and dsyevr is
 * backward stable on G, so by Davis–Kahan the computed span of the top r
 * vectors is within about k·ε·σ_1² / (σ_r² − σ_{r+1}²) of the exact one (in
 * the sine of the largest principal angle) — rounding level whenever the gap
 * below σ_r is not tiny, as for the SVD (whose bound is ε·σ_1/(σ_r − σ_{r+1})).
 * The singular values themselves are not taken from G (√λ loses all relative
 * accuracy below √ε·σ_1); get them from rk_svd_decomp(…, RK_SVD_VALUES).
 */
#ifndef RK_LINALG_GRAM_H
#define RK_LINALG_GRAM_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Allocate @p u (m×r) with orthonormal columns: the top @p r left singular
 * vectors of @p a, largest first, each up to its sign (when σ_r = σ_{r+1} any
 * basis of the tied directions; when rank(A) < r the columns past the rank are
 * some orthonormal completion, as an SVD's would be). @p a is not modified.
 *
 * @return RK_OK; RK_EINVAL (NULL); RK_ERANGE (r = 0 or r > min(m, n));
 *         RK_ENONFINITE (a holds NaN or Inf); RK_EOVERFLOW (a dimension
 *         exceeds LAPACK's int); RK_ENOMEM; RK_ELAPACK (illegal argument);
 *         RK_ECONVERGE (dsyevr failed). On error *u is left empty.
 */
rk_status rk_gram_top_left(rk_mat *u, const rk_mat *a, size_t r);

#ifdef __cplusplus
}
#endif

#endif
