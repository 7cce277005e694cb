/**
 * @file
 * @ingroup linalg
 * qr.h — an orthonormal basis of a matrix's column space by Householder QR.
 *
 * For an m×n matrix A with k = min(m, n), A = Q·R with Q m×k having
 * orthonormal columns (QᵀQ = I_k) and R k×n upper triangular ("thin" or
 * "economy" QR). When A has full column rank, the columns of Q span the same
 * space as the columns of A, and the first j columns of Q span the first j
 * columns of A — which is what the randomized SVD's range finder needs.
 *
 * Algorithm: LAPACK dgeqrf (Householder reflections) then dorgqr (form Q
 * explicitly). Row-major A is copied once into column-major order (a
 * row-major m×n matrix *is* a column-major n×m one, so the copy is a
 * transpose), and Q is transposed back. Cost ≈ 4·m·n·k − 2·(m+n)·k² + (4/3)k³
 * flops, small next to the products of the randomized SVD.
 */
#ifndef RK_LINALG_QR_H
#define RK_LINALG_QR_H

#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Allocate @p q (m×min(m, n), compact) holding the thin Q factor of @p a
 * (m×n): orthonormal columns with span(Q[:, :j]) = span(A[:, :j]) for every
 * j ≤ rank(A). @p a is not modified. Signs follow LAPACK (R's diagonal may be
 * negative). Empty A gives an m×0 (or 0×0) Q.
 *
 * @return RK_OK; RK_EINVAL (NULL); RK_ENONFINITE (a holds NaN or Inf);
 *         RK_EOVERFLOW (a dimension exceeds LAPACK's int); RK_ENOMEM;
 *         RK_ELAPACK (LAPACK reported an illegal argument). On error *q is
 *         left empty and need not be freed.
 */
rk_status rk_qr_orthonormal(rk_mat *q, const rk_mat *a);

#ifdef __cplusplus
}
#endif

#endif
