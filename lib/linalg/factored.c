/* factored.c — SVD of s·B·A through QR of the thin factors and an r×r core (see factored.h). */
#include "linalg/factored.h"

#include <lapacke.h>
#include <limits.h>
#include <math.h>

#include "core/alloc.h"

static rk_status lapack_status(lapack_int info)
{
    return info ? RK_ELAPACK : RK_OK;
}

/* A workspace of the size LAPACK asked for in @p query (lwork = −1), from rk_alloc. */
static rk_status alloc_work(double query, double **work, lapack_int *lwork)
{
    if (!(query <= (double)INT_MAX))
        return RK_EOVERFLOW;
    lapack_int w = (lapack_int)query;
    if ((double)w < query)
        w++;
    *lwork = w < 1 ? 1 : w;
    *work = rk_calloc((size_t)*lwork, sizeof(double));
    return *work ? RK_OK : RK_ENOMEM;
}

/*
 * A thin QR of the compact m×r row-major matrix x (overwritten): R (p×r,
 * p = min(m, r)) is copied out upper-triangular; when want_q, x's first p
 * columns are turned into Q (m×p). tau has room for p.
 *
 * The transpose trick of svd.c: row-major X is column-major Xᵀ (r×m, ld r).
 * Its LQ factorisation Xᵀ = L·Q (dgelqf; L r×p lower, Q p×m orthonormal rows)
 * is X = Qᵀ·Lᵀ, a QR of X. Read row-major, L's lower triangle is Lᵀ's upper
 * one, so R = Lᵀ is the upper triangle of x as it stands, and the Q that
 * dorglq forms (p×m column-major) is Qᵀ (m×p) in x's first p columns. The
 * _work functions with rk_alloc'd workspaces are used (not LAPACKE's
 * high-level ones, which would malloc a workspace and a transposed copy).
 */
static rk_status thin_qr(rk_mat *x, rk_mat *rmat, double *tau, bool want_q)
{
    size_t m = x->rows, r = x->cols, p = m < r ? m : r;
    rk_status st = rk_mat_create(rmat, p, r);
    if (st || p == 0)
        return st;
    lapack_int lr = (lapack_int)r, lm = (lapack_int)m, lp = (lapack_int)p, ld = (lapack_int)x->stride;
    double query = 0.0, *work = NULL;
    lapack_int lwork = 0;
    lapack_int info = LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, lr, lm, x->data, ld, tau, &query, -1);
    if (!(st = lapack_status(info)) && !(st = alloc_work(query, &work, &lwork)))
        st = lapack_status(LAPACKE_dgelqf_work(LAPACK_COL_MAJOR, lr, lm, x->data, ld, tau, work, lwork));
    rk_free(work);
    work = NULL;
    if (st)
        return st;
    for (size_t i = 0; i < p; i++)
        for (size_t j = i; j < r; j++)
            RK_AT(rmat, i, j) = RK_AT(x, i, j);
    if (!want_q)
        return RK_OK;
    info = LAPACKE_dorglq_work(LAPACK_COL_MAJOR, lp, lm, lp, x->data, ld, tau, &query, -1);
    if (!(st = lapack_status(info)) && !(st = alloc_work(query, &work, &lwork)))
        st = lapack_status(LAPACKE_dorglq_work(LAPACK_COL_MAJOR, lp, lm, lp, x->data, ld, tau, work, lwork));
    rk_free(work);
    return st;
}

static rk_status check_args(const rk_svd *out, const rk_mat *b, const rk_mat *a, double scale,
                            rk_svd_mode mode)
{
    if (!out || !b || !a || mode == RK_SVD_FULL || !isfinite(scale))
        return RK_EINVAL;
    if (b->cols != a->rows)
        return RK_ESHAPE;
    if (b->rows > INT_MAX || b->cols > INT_MAX || a->cols > INT_MAX)
        return RK_EOVERFLOW;
    if (!rk_mat_is_finite(a) || !rk_mat_is_finite(b))
        return RK_ENONFINITE;
    return RK_OK;
}

rk_status rk_factored_svd(rk_svd *out, const rk_mat *b, const rk_mat *a, double scale,
                          rk_svd_mode mode)
{
    if (out)
        *out = (rk_svd){ 0 };
    rk_status st = check_args(out, b, a, scale, mode);
    if (st)
        return st;
    size_t m = b->rows, n = a->cols, r = b->cols;
    size_t p = m < r ? m : r, q = n < r ? n : r;
    bool vectors = mode == RK_SVD_THIN;
    rk_mat qb = { 0 }, qa = { 0 }, rb = { 0 }, ra = { 0 }, core = { 0 };
    rk_svd cs = { 0 };
    double *tau = rk_calloc(r ? 2 * r : 1, sizeof *tau);
    if (!tau)
        return RK_ENOMEM;
    /* QR of B and of Aᵀ; the core C = s·R_B·R_Aᵀ (p×q) has ΔW's singular values */
    if (!(st = rk_mat_dup(&qb, b)) && !(st = rk_mat_transpose(&qa, a)) &&
        !(st = thin_qr(&qb, &rb, tau, vectors)) && !(st = thin_qr(&qa, &ra, tau + r, vectors)) &&
        !(st = rk_mat_create(&core, p, q)))
        st = rk_mat_gemm(false, true, scale, &rb, &ra, 0.0, &core);
    if (!st)
        st = rk_svd_decomp(&cs, &core, vectors ? RK_SVD_THIN : RK_SVD_VALUES);
    if (!st && vectors) {
        /* U = Q_B·U' (m×k), Vᵀ = V'ᵀ·Q_Aᵀ (k×n) */
        size_t k = cs.k;
        rk_mat q_b = rk_mat_view_cols(&qb, 0, p), q_a = rk_mat_view_cols(&qa, 0, q);
        if (!(st = rk_mat_create(&out->u, m, k)) && !(st = rk_mat_create(&out->vt, k, n)) &&
            !(st = rk_mat_gemm(false, false, 1.0, &q_b, &cs.u, 0.0, &out->u)))
            st = rk_mat_gemm(false, true, 1.0, &cs.vt, &q_a, 0.0, &out->vt);
    }
    if (!st) {
        out->m = m;
        out->n = n;
        out->k = cs.k;
        out->s = cs.s;
        cs.s = NULL;
        out->used_gesvd = cs.used_gesvd;
    } else {
        rk_svd_free(out);
    }
    rk_svd_free(&cs);
    rk_mat_free(&qb);
    rk_mat_free(&qa);
    rk_mat_free(&rb);
    rk_mat_free(&ra);
    rk_mat_free(&core);
    rk_free(tau);
    return st;
}

rk_status rk_factored_truncate(const rk_svd *svd, size_t r, double scale, float *b, float *a)
{
    if (!svd || !b || !a || !svd->u.data || !svd->vt.data || !isfinite(scale) || scale == 0)
        return RK_EINVAL;
    if (r == 0 || r > svd->k)
        return RK_ERANGE;
    for (size_t i = 0; i < svd->m; i++) /* B' = U_r·S_r / s */
        for (size_t j = 0; j < r; j++)
            b[i * r + j] = (float)(RK_AT(&svd->u, i, j) * svd->s[j] / scale);
    for (size_t i = 0; i < r; i++) /* A' = Vt_r */
        for (size_t j = 0; j < svd->n; j++)
            a[i * svd->n + j] = (float)RK_AT(&svd->vt, i, j);
    return RK_OK;
}
