/*
 * svd.c — A = U·diag(S)·Vᵀ through LAPACKE_dgesdd_work, retried with
 * LAPACKE_dgesvd_work when gesdd does not converge.
 *
 * The transpose trick. ranklab stores A (m×n) row-major; LAPACK works
 * column-major. The same bytes read column-major are Aᵀ (n×m). Asking
 * LAPACKE for LAPACK_ROW_MAJOR would make its _work functions transpose A
 * into a temporary, call LAPACK, then transpose U and Vᵀ back: hidden copies
 * allocated with malloc, outside rk_alloc. Instead LAPACK is given Aᵀ itself:
 *
 *     Aᵀ = U'·S·V'ᵀ   ⇒   A = V'·S·U'ᵀ,   so  U = V'  and  Vᵀ = U'ᵀ.
 *
 * The storage lines up too. LAPACK's U' (n×k, column-major, ld n) read
 * row-major is U'ᵀ (k×n, stride n), which is our Vt; LAPACK's V'ᵀ (k×m,
 * column-major, ld k) read row-major is V' (m×k, stride k), which is our U.
 * So LAPACK writes straight into rk_svd.vt (as its "U") and rk_svd.u (as its
 * "VT"): the roles swap and nothing is transposed. Full mode is the same with
 * k replaced by n and m. The only copy is the one gesdd needs anyway, since it
 * destroys its input.
 *
 * Workspace sizes are asked for with lwork = −1 and every buffer comes from
 * rk_alloc, so allocation-failure injection reaches the whole path.
 */
#include "linalg/svd.h"

#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "linalg/svd_internal.h"

/* One LAPACK problem: the column-major Aᵀ (rows = n, cols = m) and where the
 * factors go. lu receives LAPACK's U' (= our Vt), lvt LAPACK's V'ᵀ (= our U). */
typedef struct lapack_problem {
    char job;                 /* 'S' thin, 'A' full, 'N' values only */
    lapack_int rows, cols;    /* of Aᵀ: n, m */
    double *at;               /* (n, m) column-major, lda = n; destroyed by LAPACK */
    double *s;                /* (k) */
    double *lu;               /* our vt data, or NULL */
    lapack_int ldlu;          /* our vt stride (n), or 1 */
    double *lvt;              /* our u data, or NULL */
    lapack_int ldlvt;         /* our u stride (k thin, m full), or 1 */
} lapack_problem;

/* LAPACK reports the optimal lwork as a double in work[0]. */
static rk_status lwork_from_query(double query, lapack_int *lwork)
{
    if (!(query <= (double)INT_MAX))
        return RK_EOVERFLOW;
    lapack_int w = (lapack_int)query;
    if ((double)w < query)
        w++;
    *lwork = w < 1 ? 1 : w;
    return RK_OK;
}

static double *alloc_doubles(size_t count)
{
    size_t bytes;
    if (!rk_size_mul(count, sizeof(double), &bytes))
        return NULL;
    return rk_alloc(bytes);
}

/* Divide and conquer. iwork is 8·min(rows, cols) integers. */
static rk_status run_gesdd(const lapack_problem *p, lapack_int *info)
{
    size_t k = (size_t)(p->rows < p->cols ? p->rows : p->cols), niw, bytes;
    if (!rk_size_mul(8, k, &niw) || !rk_size_mul(niw, sizeof(lapack_int), &bytes))
        return RK_EOVERFLOW;
    lapack_int *iwork = rk_alloc(bytes);
    if (!iwork)
        return RK_ENOMEM;
    double query = 0.0;
    *info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, p->job, p->rows, p->cols, p->at, p->rows,
                                p->s, p->lu, p->ldlu, p->lvt, p->ldlvt, &query, -1, iwork);
    rk_status st = RK_OK;
    if (*info == 0) {
        lapack_int lwork = 0;
        double *work = NULL;
        st = lwork_from_query(query, &lwork);
        if (st == RK_OK && !(work = alloc_doubles((size_t)lwork)))
            st = RK_ENOMEM;
        if (st == RK_OK)
            *info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, p->job, p->rows, p->cols, p->at,
                                        p->rows, p->s, p->lu, p->ldlu, p->lvt, p->ldlvt, work,
                                        lwork, iwork);
        rk_free(work);
    }
    rk_free(iwork);
    return st;
}

/* QR iteration. jobu = jobvt = job: 'S' gives U' (n×k) and V'ᵀ (k×m). */
static rk_status run_gesvd(const lapack_problem *p, lapack_int *info)
{
    double query = 0.0;
    *info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, p->job, p->job, p->rows, p->cols, p->at,
                                p->rows, p->s, p->lu, p->ldlu, p->lvt, p->ldlvt, &query, -1);
    if (*info != 0)
        return RK_OK;
    lapack_int lwork = 0;
    rk_status st = lwork_from_query(query, &lwork);
    if (st)
        return st;
    double *work = alloc_doubles((size_t)lwork);
    if (!work)
        return RK_ENOMEM;
    *info = LAPACKE_dgesvd_work(LAPACK_COL_MAJOR, p->job, p->job, p->rows, p->cols, p->at,
                                p->rows, p->s, p->lu, p->ldlu, p->lvt, p->ldlvt, work, lwork);
    rk_free(work);
    return RK_OK;
}

/*
 * Scaling, as LAPACK's drivers do it (dgesdd's anrm/bignum): singular values
 * scale with A, σ(c·A) = c·σ(A), so A is decomposed as A/c with c = 2^e a
 * power of two near max |a_ij| (exact: only the exponent changes), and
 * σ = c·σ(A/c) afterwards. The scaled problem has max |a_ij| in [1, 2): no
 * product inside the SVD overflows, and the only value that can is σ's
 * unscaling itself — checked, never returned as Inf. Matrices of ordinary
 * size (max |a_ij| within 2^±400) are not scaled.
 */
#define SCALE_LIMIT 400

/* Copy row-major A (any stride) into compact row-major storage: the
 * column-major Aᵀ with leading dimension n, multiplied by 2^-e. */
static void copy_compact(double *dst, const rk_mat *a, int e)
{
    for (size_t i = 0; i < a->rows; i++) {
        double *d = dst + i * a->cols;
        memcpy(d, a->data + i * a->stride, a->cols * sizeof(double));
        for (size_t j = 0; e && j < a->cols; j++)
            d[j] = ldexp(d[j], -e);
    }
}

/* The exponent e of the scaling 2^e (0: none) for A's largest |a_ij|. */
static int scale_exponent(const rk_mat *a)
{
    double amax = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            amax = fmax(amax, fabs(RK_AT(a, i, j)));
    if (amax == 0.0)
        return 0;
    int e = ilogb(amax);
    return (e > SCALE_LIMIT || e < -SCALE_LIMIT) ? e : 0;
}

/* σ = 2^e·σ(A/2^e), and Σσ — the nuclear norm, the largest norm of A and a
 * bound of every |entry| of a truncation — must be finite too. */
static rk_status unscale(rk_svd *r, int e)
{
    double sum = 0.0;
    for (size_t i = 0; i < r->k; i++) {
        r->s[i] = ldexp(r->s[i], e);
        sum += r->s[i];
    }
    return isfinite(sum) ? RK_OK : RK_EMAGNITUDE;
}

/* S, and U, Vt of the shapes the mode asks for. For an empty A (k = 0) the
 * full factors are the identities, the only orthogonal completion there is. */
static rk_status alloc_outputs(rk_svd *r, rk_svd_mode mode)
{
    if (r->k > 0 && !(r->s = alloc_doubles(r->k)))
        return RK_ENOMEM;
    if (mode == RK_SVD_VALUES)
        return RK_OK;
    size_t ucols = mode == RK_SVD_FULL ? r->m : r->k;
    size_t vtrows = mode == RK_SVD_FULL ? r->n : r->k;
    rk_status st = rk_mat_create(&r->u, r->m, ucols);
    if (st == RK_OK)
        st = rk_mat_create(&r->vt, vtrows, r->n);
    if (st == RK_OK && r->k == 0) {
        rk_mat_set_identity(&r->u);
        rk_mat_set_identity(&r->vt);
    }
    return st;
}

static rk_status check_input(const rk_mat *a, rk_svd_mode mode, rk_svd_path path)
{
    if (!a || (mode != RK_SVD_THIN && mode != RK_SVD_FULL && mode != RK_SVD_VALUES) ||
        (path != RK_SVD_PATH_AUTO && path != RK_SVD_PATH_FALLBACK))
        return RK_EINVAL;
    /* An empty matrix never reaches LAPACK, so its dimensions may be any
     * size_t: k = 0, and the thin factors are empty too. */
    if (a->rows && a->cols && (a->rows > INT_MAX || a->cols > INT_MAX))
        return RK_EOVERFLOW; /* LAPACK takes int dimensions */
    if (a->rows && a->cols && (!a->data || a->stride < a->cols))
        return RK_EINVAL;
    if (!rk_mat_is_finite(a))
        return RK_ENONFINITE; /* LAPACK would loop or return garbage */
    return RK_OK;
}

/* gesdd on the copy; on info > 0 (or when the fallback path is forced)
 * restore the copy and run gesvd. Maps info to a status. */
static rk_status decompose(rk_svd *r, const rk_mat *a, double *at, rk_svd_mode mode,
                           rk_svd_path path)
{
    lapack_problem p = { 'S', (lapack_int)r->n, (lapack_int)r->m, at, r->s, NULL, 1, NULL, 1 };
    if (mode == RK_SVD_VALUES) {
        p.job = 'N';
    } else {
        p.job = mode == RK_SVD_FULL ? 'A' : 'S';
        p.lu = r->vt.data;
        p.ldlu = (lapack_int)r->vt.stride;
        p.lvt = r->u.data;
        p.ldlvt = (lapack_int)r->u.stride;
    }
    lapack_int info = 0;
    int e = scale_exponent(a);
    copy_compact(at, a, e);
    rk_status st = run_gesdd(&p, &info);
    if (st)
        return st;
    if (info > 0 || (info == 0 && path == RK_SVD_PATH_FALLBACK)) {
        copy_compact(at, a, e); /* gesdd destroyed it */
        r->used_gesvd = 1;
        st = run_gesvd(&p, &info);
        if (st)
            return st;
    }
    if (info < 0)
        return RK_ELAPACK;
    return info > 0 ? RK_ECONVERGE : unscale(r, e);
}

rk_status rk_svd_decomp_path(rk_svd *out, const rk_mat *a, rk_svd_mode mode, rk_svd_path path)
{
    if (!out)
        return RK_EINVAL;
    *out = (rk_svd){ 0 };
    rk_status st = check_input(a, mode, path);
    if (st)
        return st;

    rk_svd r = { 0 };
    r.m = a->rows;
    r.n = a->cols;
    r.k = r.m < r.n ? r.m : r.n;
    st = alloc_outputs(&r, mode);
    if (st == RK_OK && r.k > 0) {
        size_t mn, bytes;
        double *at = NULL;
        if (!rk_size_mul(r.m, r.n, &mn) || !rk_size_mul(mn, sizeof(double), &bytes))
            st = RK_EOVERFLOW;
        else if (!(at = rk_alloc(bytes)))
            st = RK_ENOMEM;
        else
            st = decompose(&r, a, at, mode, path);
        rk_free(at);
    }
    if (st) {
        rk_svd_free(&r);
        return st;
    }
    *out = r;
    return RK_OK;
}

rk_status rk_svd_decomp(rk_svd *out, const rk_mat *a, rk_svd_mode mode)
{
    return rk_svd_decomp_path(out, a, mode, RK_SVD_PATH_AUTO);
}

void rk_svd_free(rk_svd *svd)
{
    if (!svd)
        return;
    rk_free(svd->s);
    rk_mat_free(&svd->u);
    rk_mat_free(&svd->vt);
    *svd = (rk_svd){ 0 };
}
