/* subspace.c — φ (LoRA paper eq. 4) as a full table by 2-d prefix sums, and principal angles. */
#include "linalg/subspace.h"

#include <stdbool.h>

#include "core/alloc.h"
#include "linalg/svd.h"

static rk_status check_pair(const rk_mat *u1, const rk_mat *u2, size_t ni, size_t nj)
{
    if (!u1 || !u2)
        return RK_EINVAL;
    if (u1->rows != u2->rows)
        return RK_ESHAPE;
    if (ni == 0 || nj == 0 || ni > u1->cols || nj > u2->cols)
        return RK_ERANGE;
    rk_mat a = rk_mat_view_cols(u1, 0, ni), b = rk_mat_view_cols(u2, 0, nj);
    if (!rk_mat_is_finite(&a) || !rk_mat_is_finite(&b))
        return RK_ENONFINITE;
    return RK_OK;
}

static double clamp01(double x)
{
    return x < 0.0 ? 0.0 : (x > 1.0 ? 1.0 : x);
}

/* Turn M (I×J, M_ab = ⟨u1_a, u2_b⟩) into the φ table in place:
 * S(i, j) = Σ_{a<i, b<j} M_ab² = S(i−1, j) + Σ_{b<j} M_{i−1,b}², then
 * φ(i, j) = S(i, j)/min(i, j). Row i−1 still holds S when row i is built,
 * because the division comes in a second pass. */
static void phi_from_inner_products(rk_mat *m)
{
    for (size_t i = 0; i < m->rows; i++) {
        double row = 0.0;
        for (size_t j = 0; j < m->cols; j++) {
            double x = RK_AT(m, i, j);
            row += x * x;
            RK_AT(m, i, j) = row + (i ? RK_AT(m, i - 1, j) : 0.0);
        }
    }
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            RK_AT(m, i, j) = clamp01(RK_AT(m, i, j) / (double)(i < j ? i + 1 : j + 1));
}

/* *phi = φ table from a product op(x)·op(y) (I×J) of two vector sets. */
static rk_status phi_table_of_product(rk_mat *phi, bool ta, const rk_mat *x, bool tb,
                                      const rk_mat *y, size_t ni, size_t nj)
{
    rk_status st = rk_mat_create(phi, ni, nj);
    if (st)
        return st;
    st = rk_mat_gemm(ta, tb, 1.0, x, y, 0.0, phi);
    if (st) {
        rk_mat_free(phi);
        return st;
    }
    phi_from_inner_products(phi);
    return RK_OK;
}

rk_status rk_subspace_phi_table(rk_mat *phi, const rk_mat *u1, const rk_mat *u2, size_t ni, size_t nj)
{
    if (!phi)
        return RK_EINVAL;
    *phi = (rk_mat){ 0, 0, 0, NULL, 0 };
    rk_status st = check_pair(u1, u2, ni, nj);
    if (st)
        return st;
    rk_mat a = rk_mat_view_cols(u1, 0, ni), b = rk_mat_view_cols(u2, 0, nj);
    return phi_table_of_product(phi, true, &a, false, &b, ni, nj); /* M = U1[:, :I]ᵀ·U2[:, :J] */
}

rk_status rk_subspace_phi(double *phi, const rk_mat *u1, const rk_mat *u2, size_t i, size_t j)
{
    if (!phi)
        return RK_EINVAL;
    rk_status st = check_pair(u1, u2, i, j);
    if (st)
        return st;
    rk_mat a = rk_mat_view_cols(u1, 0, i), b = rk_mat_view_cols(u2, 0, j), m = { 0 };
    st = rk_mat_create(&m, i, j);
    if (st)
        return st;
    st = rk_mat_gemm(true, false, 1.0, &a, &b, 0.0, &m); /* U1[:, :i]ᵀ·U2[:, :j] */
    if (st == RK_OK) {
        double f = rk_mat_norm_fro(&m);
        *phi = clamp01(f * f / (double)(i < j ? i : j));
    }
    rk_mat_free(&m);
    return st;
}

rk_status rk_subspace_cosines(double **cos, size_t *count, const rk_mat *u1, const rk_mat *u2)
{
    if (!cos || !count)
        return RK_EINVAL;
    *cos = NULL;
    *count = 0;
    if (!u1 || !u2)
        return RK_EINVAL;
    if (u1->rows != u2->rows)
        return RK_ESHAPE;
    if (!rk_mat_is_finite(u1) || !rk_mat_is_finite(u2))
        return RK_ENONFINITE;
    rk_mat m = { 0 };
    rk_svd svd = { 0 };
    rk_status st = rk_mat_create(&m, u1->cols, u2->cols);
    if (st)
        return st;
    st = rk_mat_gemm(true, false, 1.0, u1, u2, 0.0, &m); /* U1ᵀ·U2 (c1, c2) */
    if (st == RK_OK)
        st = rk_svd_decomp(&svd, &m, RK_SVD_VALUES);
    rk_mat_free(&m);
    if (st)
        return st;
    if (svd.k) {
        *cos = rk_alloc(svd.k * sizeof(double));
        if (!*cos) {
            rk_svd_free(&svd);
            return RK_ENOMEM;
        }
        for (size_t i = 0; i < svd.k; i++)
            (*cos)[i] = clamp01(svd.s[i]);
        *count = svd.k;
    }
    rk_svd_free(&svd);
    return RK_OK;
}

rk_status rk_subspace_phi_svd(rk_mat *phi, const rk_svd *s1, const rk_svd *s2, rk_side side,
                              size_t ni, size_t nj)
{
    if (!phi)
        return RK_EINVAL;
    *phi = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!s1 || !s2 || (side != RK_SIDE_LEFT && side != RK_SIDE_RIGHT))
        return RK_EINVAL;
    if (side == RK_SIDE_LEFT)
        return rk_subspace_phi_table(phi, &s1->u, &s2->u, ni, nj);
    /* Right: the vectors are the rows of Vᵀ, so M = Vt1[:I, :]·Vt2[:J, :]ᵀ. */
    if (s1->vt.cols != s2->vt.cols)
        return RK_ESHAPE;
    if (ni == 0 || nj == 0 || ni > s1->vt.rows || nj > s2->vt.rows)
        return RK_ERANGE;
    rk_mat a = rk_mat_view_rows(&s1->vt, 0, ni), b = rk_mat_view_rows(&s2->vt, 0, nj);
    if (!rk_mat_is_finite(&a) || !rk_mat_is_finite(&b))
        return RK_ENONFINITE;
    return phi_table_of_product(phi, false, &a, true, &b, ni, nj);
}

rk_status rk_subspace_phi_matrices(rk_mat *phi, const rk_mat *a1, const rk_mat *a2, rk_side side,
                                   size_t ni, size_t nj)
{
    if (!phi)
        return RK_EINVAL;
    *phi = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!a1 || !a2 || (side != RK_SIDE_LEFT && side != RK_SIDE_RIGHT))
        return RK_EINVAL;
    if (side == RK_SIDE_LEFT ? a1->rows != a2->rows : a1->cols != a2->cols)
        return RK_ESHAPE;
    size_t k1 = a1->rows < a1->cols ? a1->rows : a1->cols, k2 = a2->rows < a2->cols ? a2->rows : a2->cols;
    if (ni == 0 || nj == 0 || ni > k1 || nj > k2)
        return RK_ERANGE;
    rk_svd s1 = { 0 }, s2 = { 0 };
    rk_status st = rk_svd_decomp(&s1, a1, RK_SVD_THIN);
    if (st == RK_OK)
        st = rk_svd_decomp(&s2, a2, RK_SVD_THIN);
    if (st == RK_OK)
        st = rk_subspace_phi_svd(phi, &s1, &s2, side, ni, nj);
    rk_svd_free(&s1);
    rk_svd_free(&s2);
    return st;
}
