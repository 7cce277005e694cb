/*
 * gram.c — top left singular vectors through the Gram matrix of the smaller
 * side (gram.h): cblas_dsyrk, then LAPACKE_dsyevr_work for the r largest
 * eigenpairs, every workspace from rk_alloc.
 *
 * Storage: a row-major A (m×n, stride s) is the column-major Aᵀ (n×m, ld s),
 * so with X = Aᵀ column-major, A·Aᵀ = Xᵀ·X and Aᵀ·A = X·Xᵀ. G is symmetric,
 * so its column-major and row-major storage are the same bytes.
 */
#include "linalg/gram.h"

#include <cblas.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>

#include "core/alloc.h"
#include "linalg/qr.h"

static double *alloc_doubles(size_t count)
{
    size_t bytes;
    return rk_size_mul(count, sizeof(double), &bytes) ? rk_alloc(bytes) : NULL;
}

/* The eigenvectors of the r largest eigenvalues of the k×k symmetric @p g
 * (upper triangle used, destroyed) into @p z (k×r column-major, ascending
 * eigenvalues: the largest is the last column). */
static rk_status top_eigvecs(double *g, lapack_int k, lapack_int r, double *z)
{
    lapack_int found = 0, liwork = 0, info, *isuppz = NULL, *iwork = NULL;
    double query = 0.0, *w = alloc_doubles((size_t)k), *work = NULL;
    isuppz = rk_alloc(2 * (size_t)r * sizeof *isuppz);
    rk_status st = w && isuppz ? RK_OK : RK_ENOMEM;
    if (st == RK_OK) {
        info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'U', k, g, k, 0.0, 0.0, k - r + 1,
                                   k, 0.0, &found, w, z, k, isuppz, &query, -1, &liwork, -1);
        st = info < 0 ? RK_ELAPACK : !(query <= (double)INT_MAX) ? RK_EOVERFLOW : RK_OK;
    }
    lapack_int lwork = (lapack_int)query + 1;
    if (st == RK_OK && (!(work = alloc_doubles((size_t)lwork)) ||
                        !(iwork = rk_alloc((size_t)liwork * sizeof *iwork))))
        st = RK_ENOMEM;
    if (st == RK_OK) {
        info = LAPACKE_dsyevr_work(LAPACK_COL_MAJOR, 'V', 'I', 'U', k, g, k, 0.0, 0.0, k - r + 1,
                                   k, 0.0, &found, w, z, k, isuppz, work, lwork, iwork, liwork);
        st = info < 0 ? RK_ELAPACK : info > 0 || found != r ? RK_ECONVERGE : RK_OK;
    }
    rk_free(iwork);
    rk_free(work);
    rk_free(isuppz);
    rk_free(w);
    return st;
}

/* Column j of the row-major @p out (rows×r) = column r−1−j of the column-major z (ld rows). */
static void largest_first(rk_mat *out, const double *z, size_t rows, size_t r)
{
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < r; j++)
            RK_AT(out, i, j) = z[i + (r - 1 - j) * rows];
}

rk_status rk_gram_top_left(rk_mat *u, const rk_mat *a, size_t r)
{
    if (!u)
        return RK_EINVAL;
    *u = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!a || (a->rows && a->cols && (!a->data || a->stride < a->cols)))
        return RK_EINVAL;
    size_t m = a->rows, n = a->cols, k = m < n ? m : n;
    if (r == 0 || r > k)
        return RK_ERANGE;
    if (m > INT_MAX || n > INT_MAX || a->stride > INT_MAX)
        return RK_EOVERFLOW;
    if (!rk_mat_is_finite(a))
        return RK_ENONFINITE;
    bool rows_side = m <= n; /* G = A·Aᵀ: its eigenvectors are U's columns */
    double *g = alloc_doubles(k * k), *z = alloc_doubles(k * r);
    rk_mat v = { 0 }, y = { 0 };
    rk_status st = g && z ? RK_OK : RK_ENOMEM;
    if (st == RK_OK) {
        /* G = A·Aᵀ = Xᵀ·X (m ≤ n) or Aᵀ·A = X·Xᵀ, X = Aᵀ column-major (n×m, ld stride) */
        cblas_dsyrk(CblasColMajor, CblasUpper, rows_side ? CblasTrans : CblasNoTrans, (int)k,
                    (int)(rows_side ? n : m), 1.0, a->data, (int)a->stride, 0.0, g, (int)k);
        st = top_eigvecs(g, (lapack_int)k, (lapack_int)r, z);
    }
    if (st == RK_OK)
        st = rk_mat_create(rows_side ? u : &v, k, r);
    if (st == RK_OK)
        largest_first(rows_side ? u : &v, z, k, r);
    /* m > n: A·[v_1 … v_r] = [σ_1·u_1 … σ_r·u_r]; its thin Q has the columns ±u_i */
    if (st == RK_OK && !rows_side && (st = rk_mat_mul(&y, a, &v)) == RK_OK)
        st = rk_qr_orthonormal(u, &y);
    if (st != RK_OK)
        rk_mat_free(u);
    rk_mat_free(&v);
    rk_mat_free(&y);
    rk_free(z);
    rk_free(g);
    return st;
}
