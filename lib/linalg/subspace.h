/**
 * @file
 * @ingroup linalg
 * subspace.h — how much two subspaces overlap: the LoRA paper's φ and the
 * principal angles.
 *
 * Inputs are orthonormal column sets: U1 (d×c1) and U2 (d×c2), e.g. the left
 * singular vectors of two matrices with the same number of rows. The paper's
 * normalised subspace similarity (Hu et al. 2021, eq. 4) of the top i
 * columns of U1 and the top j columns of U2 is
 *
 *     φ(U1, U2, i, j) = ‖U1[:, :i]ᵀ · U2[:, :j]‖_F² / min(i, j)   ∈ [0, 1]
 *
 * The singular values of U1[:, :i]ᵀ·U2[:, :j] are the cosines of the
 * principal angles θ_1 ≤ … ≤ θ_min(i,j) between the two subspaces, so φ is
 * the mean of cos²θ: 1 when the smaller subspace lies inside the larger, 0
 * when they are orthogonal. φ(U1, U2, i, j) = φ(U2, U1, j, i).
 *
 * The whole table φ(i, j), i ≤ I, j ≤ J, costs one product
 * M = U1[:, :I]ᵀ·U2[:, :J] (2·d·I·J flops) and a 2-d prefix sum of M².
 */
#ifndef RK_LINALG_SUBSPACE_H
#define RK_LINALG_SUBSPACE_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "svd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which singular vectors of a matrix span the compared subspace. */
typedef enum rk_side {
    RK_SIDE_LEFT = 0,  /**< columns of U (the column space, rows of the matrix index them) */
    RK_SIDE_RIGHT      /**< rows of Vᵀ (the row space) */
} rk_side;

/**
 * φ(@p u1, @p u2, @p i, @p j) into *@p phi. u1 (d×c1) and u2 (d×c2) must have
 * orthonormal columns (not checked: with other inputs the value is not a
 * similarity). Rounding can push ‖·‖_F²/min(i,j) past 1 by a few ε; the
 * result is clamped to [0, 1].
 *
 * @return RK_OK; RK_EINVAL (NULL); RK_ESHAPE (row counts differ);
 *         RK_ERANGE (i or j is 0, i > c1 or j > c2); RK_ENONFINITE;
 *         RK_ENOMEM.
 */
rk_status rk_subspace_phi(double *phi, const rk_mat *u1, const rk_mat *u2, size_t i, size_t j);

/**
 * Allocate @p phi (ni×nj) with phi(i−1, j−1) = φ(u1, u2, i, j) for
 * i = 1..ni, j = 1..nj (the paper's heatmaps). Same requirements and errors
 * as rk_subspace_phi() with i = ni, j = nj; on error *phi is left empty.
 */
rk_status rk_subspace_phi_table(rk_mat *phi, const rk_mat *u1, const rk_mat *u2, size_t ni, size_t nj);

/**
 * Cosines of the principal angles between span(u1) and span(u2): the
 * min(c1, c2) singular values of u1ᵀ·u2, non-increasing, clamped to [0, 1]
 * (θ_i = acos(cos[i])). Allocates *@p cos (release with rk_free; NULL when
 * *@p count is 0). Same requirements as rk_subspace_phi().
 *
 * @return RK_OK; RK_EINVAL; RK_ESHAPE; RK_ENONFINITE; RK_ENOMEM; the SVD's
 *         RK_ECONVERGE / RK_ELAPACK.
 */
rk_status rk_subspace_cosines(double **cos, size_t *count, const rk_mat *u1, const rk_mat *u2);

/**
 * The φ table of two decompositions already computed (rk_svd_decomp thin or
 * full, or rk_rsvd): compares the top singular vectors of @p s1 and @p s2 on
 * @p side — the columns of u (left) or the rows of vt (right) — without
 * copying them. Allocates @p phi (ni×nj); ni, nj ≤ the number of vectors held.
 *
 * @return as rk_subspace_phi_table() (RK_EINVAL also for a bad @p side).
 */
rk_status rk_subspace_phi_svd(rk_mat *phi, const rk_svd *s1, const rk_svd *s2, rk_side side,
                              size_t ni, size_t nj);

/**
 * The φ table of two matrices: computes thin SVDs of @p a1 and @p a2 and
 * compares their top singular vectors on @p side (left: a1, a2 need the same
 * row count; right: the same column count) through rk_subspace_phi_svd().
 * Allocates @p phi (ni×nj), ni ≤ min(shape of a1), nj ≤ min(shape of a2).
 * Singular vectors beyond a matrix's rank are an arbitrary basis of the null
 * space: keep ni, nj within the ranks for a meaningful table.
 *
 * @return as rk_subspace_phi_table(), plus the SVD's errors.
 */
rk_status rk_subspace_phi_matrices(rk_mat *phi, const rk_mat *a1, const rk_mat *a2, rk_side side,
                                   size_t ni, size_t nj);

#ifdef __cplusplus
}
#endif

#endif
