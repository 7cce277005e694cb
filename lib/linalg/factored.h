/**
 * @file
 * @ingroup linalg
 * factored.h — the SVD of a matrix given as a product of thin factors,
 * ΔW = s · B · A with B (m×r) and A (r×n), r small (a LoRA update), without
 * forming the m×n matrix.
 *
 * Algorithm (cost O((m + n)·r² + r³) instead of O(m·n·min(m, n))):
 *
 *   B  = Q_B · R_B      QR of B,  Q_B (m×p) orthonormal columns, R_B (p×r), p = min(m, r)
 *   Aᵀ = Q_A · R_A      QR of Aᵀ, Q_A (n×q),                     R_A (q×r), q = min(n, r)
 *   ΔW = s·Q_B·R_B·R_Aᵀ·Q_Aᵀ = Q_B · C · Q_Aᵀ   with the small core C = s·R_B·R_Aᵀ (p×q)
 *   C  = U'·diag(S)·V'ᵀ                          (dense SVD, rk_svd_decomp)
 *   ΔW = (Q_B·U') · diag(S) · (V'ᵀ·Q_Aᵀ)
 *
 * Since Q_B and Q_A have orthonormal columns, S are the singular values of ΔW,
 * U = Q_B·U' its left and Vᵀ = V'ᵀ·Q_Aᵀ its right singular vectors. ΔW has at
 * most k = min(m, n, r) non-zero singular values; the other min(m, n) − k are
 * exactly zero and are not stored.
 */
#ifndef RK_LINALG_FACTORED_H
#define RK_LINALG_FACTORED_H

#include "../core/mat.h"
#include "../core/status.h"
#include "svd.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The SVD of ΔW = @p scale · @p b · @p a, b (m×r), a (r×n), into @p out
 * (need not be initialised; on error it is left empty).
 *
 * On success out->m = m, out->n = n, out->k = min(m, n, r); out->s holds the
 * k largest singular values of ΔW, non-increasing, ≥ 0 (all others are 0).
 * Mode RK_SVD_THIN also gives out->u (m×k) and out->vt (k×n) with
 * ΔW = U·diag(S)·Vt; RK_SVD_VALUES only the values. The inputs are not
 * modified (copies are factored with LAPACK dgelqf/dorglq on their
 * transposes, i.e. a QR of each; every workspace comes from rk_alloc).
 *
 * @return RK_OK; RK_EINVAL (NULL, RK_SVD_FULL, non-finite scale); RK_ESHAPE
 *         (b's columns ≠ a's rows); RK_ENONFINITE (NaN/Inf in a or b);
 *         RK_EOVERFLOW (a dimension exceeds LAPACK's int); RK_ENOMEM;
 *         RK_ELAPACK; RK_ECONVERGE (the core's SVD did not converge).
 */
rk_status rk_factored_svd(rk_svd *out, const rk_mat *b, const rk_mat *a, double scale,
                          rk_svd_mode mode);

/**
 * New LoRA factors of rank @p r from a thin SVD ΔW = U·diag(S)·Vt (as
 * rk_factored_svd or rk_svd_decomp give it), for the scale @p scale the new
 * adapter will be applied with:
 *
 *   B' = U_r · S_r / scale   (m×r, into @p b, row-major float32)
 *   A' = Vt_r                (r×n, into @p a, row-major float32)
 *
 * so that scale·B'·A' = U_r·S_r·Vt_r = [ΔW]_r, the best rank-r approximation
 * (Eckart–Young–Mirsky), up to the float32 rounding of the factors.
 * @return RK_OK; RK_EINVAL (NULL, no U/Vt, scale not finite or 0);
 *         RK_ERANGE (r = 0 or r > svd->k).
 */
rk_status rk_factored_truncate(const rk_svd *svd, size_t r, double scale, float *b, float *a);

#ifdef __cplusplus
}
#endif

#endif
