/**
 * @file
 * @ingroup linalg
 * svd.h — the singular value decomposition A = U · diag(S) · Vᵀ via LAPACKE.
 *
 * For an m×n matrix A with k = min(m, n):
 *
 *   RK_SVD_THIN    U is m×k, S has k values, Vt is k×n      (A = U·diag(S)·Vt)
 *   RK_SVD_FULL    U is m×m, S has k values, Vt is n×n      (U, V square, orthogonal)
 *   RK_SVD_VALUES  S only; U and Vt are left empty
 *
 * S is non-negative and non-increasing: s[0] ≥ s[1] ≥ … ≥ s[k−1] ≥ 0.
 * The caller's A is never modified (LAPACK's gesdd destroys its input, so a
 * copy is made). Outputs are named by what they hold: `vt` is Vᵀ, whose rows
 * are the right singular vectors.
 *
 * Algorithm: LAPACKE_dgesdd (divide and conquer) on the row-major data. When
 * gesdd reports no convergence (info > 0) the decomposition is retried with
 * LAPACKE_dgesvd (QR iteration), which converges in cases gesdd does not;
 * rk_svd.used_gesvd records it. Cost O(m·n·k) flops. A matrix whose largest
 * |a_ij| is beyond 2^±400 is decomposed scaled by a power of two, as LAPACK's
 * drivers do, and its singular values scaled back (svd.c).
 */
#ifndef RK_LINALG_SVD_H
#define RK_LINALG_SVD_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which factors to compute. */
typedef enum rk_svd_mode {
    RK_SVD_THIN = 0,   /**< U m×k, Vt k×n (the default) */
    RK_SVD_FULL,       /**< U m×m, Vt n×n */
    RK_SVD_VALUES      /**< singular values only */
} rk_svd_mode;

/** The result of rk_svd_decomp(); release with rk_svd_free(). */
typedef struct rk_svd {
    size_t m;          /**< rows of the decomposed matrix */
    size_t n;          /**< columns of the decomposed matrix */
    size_t k;          /**< number of singular values, min(m, n) */
    double *s;         /**< (k) singular values, non-increasing, ≥ 0; NULL when k = 0 */
    rk_mat u;          /**< (m, k) thin, (m, m) full, empty for values only */
    rk_mat vt;         /**< (k, n) thin, (n, n) full, empty for values only */
    int used_gesvd;    /**< 1 when gesdd did not converge and gesvd was used */
} rk_svd;

/**
 * Decompose @p a into @p out (which need not be initialised; on error it is
 * left empty and need not be freed).
 *
 * @return RK_OK; RK_EINVAL (NULL); RK_ENONFINITE (a holds NaN or Inf —
 *         checked before LAPACK is called); RK_EOVERFLOW (a dimension exceeds
 *         LAPACK's int); RK_ENOMEM; RK_ECONVERGE (neither gesdd nor gesvd
 *         converged); RK_ELAPACK (LAPACK reported an illegal argument);
 *         RK_EMAGNITUDE (σ₁, or the nuclear norm Σσᵢ, is beyond the largest
 *         double: values near DBL_MAX; on success Σσᵢ is finite, and so are
 *         ‖A‖_F, every truncation error and every entry of a truncation).
 *         Empty matrices (0×n, m×0) succeed with k = 0 and empty factors
 *         (U is m×0 thin / m×m identity full, likewise Vt).
 */
rk_status rk_svd_decomp(rk_svd *out, const rk_mat *a, rk_svd_mode mode);

/** Release everything @p svd owns and reset it to empty. NULL is accepted. */
void rk_svd_free(rk_svd *svd);

#ifdef __cplusplus
}
#endif

#endif
