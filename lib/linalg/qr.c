/* qr.c — thin Q of a Householder QR (LAPACK dgeqrf + dorgqr), row-major in and out. */
#include "linalg/qr.h"

#include <lapacke.h>
#include <limits.h>

#include "core/alloc.h"

/* Workspace size LAPACK asks for in a query (lwork = −1), at least n. */
static lapack_int query_lwork(double w, lapack_int n)
{
    lapack_int lw = (lapack_int)w;
    return lw < n ? n : lw;
}

rk_status rk_qr_orthonormal(rk_mat *q, const rk_mat *a)
{
    if (!q)
        return RK_EINVAL;
    *q = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!a)
        return RK_EINVAL;
    size_t m = a->rows, n = a->cols, k = m < n ? m : n;
    if (m > INT_MAX || n > INT_MAX)
        return RK_EOVERFLOW;
    if (k == 0)
        return rk_mat_create(q, m, 0);
    if (!rk_mat_is_finite(a))
        return RK_ENONFINITE;

    /* Column-major copy of A (= row-major Aᵀ, n×m, leading dimension m). */
    rk_mat at = { 0 };
    double *tau = NULL, *work = NULL;
    rk_status st = rk_mat_transpose(&at, a);
    if (st)
        return st;
    lapack_int lm = (lapack_int)m, ln = (lapack_int)n, lk = (lapack_int)k;
    tau = rk_alloc(k * sizeof(double));
    if (!tau) {
        st = RK_ENOMEM;
        goto done;
    }

    /* One workspace for both calls, sized by LAPACK's own queries. */
    double w1 = 0.0, w2 = 0.0;
    lapack_int info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, lm, ln, at.data, lm, tau, &w1, -1);
    if (info == 0)
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, lm, lk, lk, at.data, lm, tau, &w2, -1);
    if (info != 0) {
        st = RK_ELAPACK;
        goto done;
    }
    lapack_int lwork = query_lwork(w1 > w2 ? w1 : w2, ln);
    size_t wbytes;
    if (!rk_size_mul((size_t)lwork, sizeof(double), &wbytes)) {
        st = RK_EOVERFLOW;
        goto done;
    }
    work = rk_alloc(wbytes);
    if (!work) {
        st = RK_ENOMEM;
        goto done;
    }
    info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, lm, ln, at.data, lm, tau, work, lwork);
    if (info == 0)
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, lm, lk, lk, at.data, lm, tau, work, lwork);
    if (info != 0) {
        st = RK_ELAPACK;
        goto done;
    }

    /* The first k columns of the column-major buffer are Q (m×k, ld m): as
     * row-major data that is Qᵀ (k×m) with stride m; transpose it back. */
    rk_mat qt = { k, m, m, at.data, 0 };
    st = rk_mat_transpose(q, &qt);

done:
    rk_free(work);
    rk_free(tau);
    rk_mat_free(&at);
    return st;
}
