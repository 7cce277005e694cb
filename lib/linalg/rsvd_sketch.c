/*
 * rsvd_sketch.c — the randomized SVD's range finder (Gaussian sketch, power
 * iterations normalised by QR or LU) in float32 or float64, and the finish
 * that is always float64: Q = qr(Y), B = Qᵀ·A, B = Ũ·diag(s)·Vᵀ, U = Q·Ũ.
 *
 * Layout: blocks are column-major; A (row-major) is read as the column-major
 * Aᵀ, so both products put A in the BLAS's first operand (see
 * rsvd_internal.h). In float32 A is first rounded once (scaled by a power of
 * two, exactly, if some entry would overflow or become subnormal); that pass
 * also checks A for NaN and Inf.
 */
#define _DEFAULT_SOURCE /* madvise, MADV_HUGEPAGE (Linux) */
#include "linalg/rsvd_internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "core/alloc.h"
#include "core/parallel.h"
#include "core/rng.h"

/* The sketch's working state. Blocks y (m×l), z and w (n×l) hold floats or
 * doubles according to `single`; tau and work are sized for doubles, so
 * they serve both precisions. */
typedef struct sketch {
    bool single;
    const rk_mat *a;        /* the double A, or NULL when A is float32 (fa) */
    const float *fa;        /* a float32 A: single products use it as it is, double ones widen it by row blocks */
    double *wide;           /* fa's rows widened to double, a block of WIDE_BYTES at a time */
    size_t wide_rows;       /* rows per block */
    float *af;              /* single: scale·A rounded, row-major m×n (= column-major n×m) */
    bool af_owned;          /* af is a copy made here (else it is fa) */
    int m, n, l;
    void *y, *z, *w;
    double *tau, *work;
    lapack_int lwork, *ipiv;
    rk_svd vals;            /* singular values of a tol check */
} sketch;

static void *alloc_elems(size_t count, size_t size)
{
    size_t bytes;
    return rk_size_mul(count, size, &bytes) ? rk_alloc(bytes) : NULL;
}

/* Rows converted per block of the parallel conversion: each block keeps its
 * own partial Σ and max, combined in block order afterwards, so the sums do
 * not depend on how many threads took the blocks. */
#define CONVERT_ROWS 16

/* One conversion: af = round(scale·A) (row-major m×n, leading dimension n),
 * with per-block partial sums and maxima. */
typedef struct convert_job {
    float *af;
    const rk_mat *a;
    double scale;
    double *ss, *mx;   /* one per block of CONVERT_ROWS rows */
} convert_job;

/* Rows of blocks [b0, b1): af = round(scale·A), subnormals flushed to zero
 * (they lie below 2^-100 relative to the largest entry: far below float's
 * resolution); ss[b] = Σ (scale·a_ij)² in double, mx[b] = max |a_ij|. */
static void convert_blocks(void *ctx, size_t b0, size_t b1)
{
    const convert_job *j = ctx;
    const rk_mat *a = j->a;
    for (size_t b = b0; b < b1; b++) {
        double sum = 0.0, mx = 0.0;
        size_t end = (b + 1) * CONVERT_ROWS < a->rows ? (b + 1) * CONVERT_ROWS : a->rows;
        for (size_t i = b * CONVERT_ROWS; i < end; i++) {
            const double *src = a->data + i * a->stride;
            float *dst = j->af + i * a->cols;
            for (size_t c = 0; c < a->cols; c++) {
                double v = j->scale * src[c], x = fabs(src[c]);
                float f = (float)v;
                sum += v * v;
                mx = x > mx ? x : mx;
                dst[c] = fabsf(f) < FLT_MIN ? 0.0f : f;
            }
        }
        j->ss[b] = sum;
        j->mx[b] = mx;
    }
}

/* af = round(scale·A) on all threads (rk_parallel_for; a pass that only
 * streams memory: ≈ 12 bytes per entry); *ss = Σ (scale·a_ij)², *maxabs =
 * max |a_ij|. False when A holds NaN or Inf; RK_ENOMEM is reported through
 * *st. */
static bool convert(float *af, const rk_mat *a, double scale, double *ss, double *maxabs,
                    rk_status *st)
{
    size_t blocks = (a->rows + CONVERT_ROWS - 1) / CONVERT_ROWS;
    convert_job j = { .af = af, .a = a, .scale = scale, .ss = alloc_elems(blocks, sizeof(double)),
                      .mx = alloc_elems(blocks, sizeof(double)) };
    *st = j.ss && j.mx ? RK_OK : RK_ENOMEM;
    double sum = 0.0, mx = 0.0;
    if (*st == RK_OK) {
        rk_parallel_for(blocks, 1, convert_blocks, &j);
        for (size_t b = 0; b < blocks; b++) {
            sum += j.ss[b];
            mx = j.mx[b] > mx ? j.mx[b] : mx;
        }
    }
    rk_free(j.ss);
    rk_free(j.mx);
    *ss = sum;
    *maxabs = mx;
    return *st == RK_OK && mx <= DBL_MAX && sum == sum; /* an Inf makes mx Inf, a NaN makes sum NaN */
}

/* The float copy of A in one pass when its entries fit float32 as they
 * are (max |a_ij| ∈ [2^-26, 2^100], or all zero), else in a second pass
 * scaled by the power of two that brings max |a_ij| into [0.5, 1). */
static rk_status make_float_copy(float *af, rsvd_run *run)
{
    double maxabs = 0.0;
    rk_status st;
    run->scale = 1.0;
    if (!convert(af, run->a, 1.0, &run->fro2, &maxabs, &st))
        return st ? st : RK_ENONFINITE;
    if (maxabs == 0.0 || (maxabs >= 0x1p-26 && maxabs <= 0x1p100))
        return RK_OK;
    int e = 0;
    (void)frexp(maxabs, &e); /* maxabs = f·2^e, f ∈ [0.5, 1) */
    run->scale = ldexp(1.0, -e);
    (void)convert(af, run->a, run->scale, &run->fro2, &maxabs, &st);
    return st;
}

/* Ask the kernel to back the 2 MiB-aligned interior of a large block with
 * huge pages: a fresh 64 MB float copy of A otherwise takes 16 384 page
 * faults, each zeroing 4 KiB — measured at 4096² on one thread, filling the
 * block took 39 ms with 4 KiB pages and 16 ms with the hint. Only a hint:
 * where it is not supported nothing changes. */
static void advise_huge(void *p, size_t bytes)
{
#if defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t b = ((uintptr_t)p + huge - 1) & ~(huge - 1), e = ((uintptr_t)p + bytes) & ~(huge - 1);
    if (e > b)
        (void)madvise((void *)b, e - b, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/* Bytes of the double block a float32 A is widened into for a double product. */
#define WIDE_BYTES ((size_t)8 << 20)

/* Rows i0 .. i0 + rows of the float A, widened into s->wide (row-major, leading dimension n). */
static void widen(const sketch *s, size_t i0, size_t rows)
{
    const float *src = s->fa + i0 * (size_t)s->n;
    for (size_t i = 0; i < rows * (size_t)s->n; i++)
        s->wide[i] = src[i];
}

/* The double products with a float32 A, a row block A_b (rows × n) at a time:
 * y_b = A_b·x (the rows of y), z = Σ_b A_bᵀ·y_b. Exact widening, so the
 * result is that of dgemm on the double A. */
static void prod_wide(const sketch *s, const double *x_or_y, double *out, bool transposed)
{
    size_t m = (size_t)s->m, step = s->wide_rows;
    for (size_t i0 = 0; i0 < m; i0 += step) {
        int rows = (int)(m - i0 < step ? m - i0 : step);
        widen(s, i0, (size_t)rows);
        if (!transposed)
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, rows, s->l, s->n, 1.0, s->wide, s->n,
                        x_or_y, s->n, 0.0, out + i0, s->m);
        else
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, s->n, s->l, rows, 1.0, s->wide,
                        s->n, x_or_y + i0, s->m, i0 ? 1.0 : 0.0, out, s->n);
    }
}

/* y (m×l) = A·x (x n×l). */
static void prod_a(const sketch *s, const void *x, void *y)
{
    if (!s->single && s->fa)
        prod_wide(s, x, y, false);
    else if (s->single)
        cblas_sgemm(CblasColMajor, CblasTrans, CblasNoTrans, s->m, s->l, s->n, 1.0f, s->af, s->n,
                    x, s->n, 0.0f, y, s->m);
    else
        cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, s->m, s->l, s->n, 1.0, s->a->data,
                    (int)s->a->stride, x, s->n, 0.0, y, s->m);
}

/* z (n×l) = Aᵀ·y (y m×l). */
static void prod_at(const sketch *s, const void *y, void *z)
{
    if (!s->single && s->fa)
        prod_wide(s, y, z, true);
    else if (s->single)
        cblas_sgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, s->n, s->l, s->m, 1.0f, s->af,
                    s->n, y, s->m, 0.0f, z, s->n);
    else
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, s->n, s->l, s->m, 1.0, s->a->data,
                    (int)s->a->stride, y, s->m, 0.0, z, s->n);
}

/* The l×l triangle R of a geqrf result b (rows×l), as a double matrix, and
 * its singular values into s->vals (they are those of b before the QR). */
static rk_status r_values(sketch *s, const void *b, int rows, bool single)
{
    rk_mat r = { 0 };
    rk_status st = rk_mat_create(&r, (size_t)s->l, (size_t)s->l);
    if (st)
        return st;
    for (int j = 0; j < s->l; j++)
        for (int i = 0; i <= j; i++) {
            size_t at = (size_t)i + (size_t)j * (size_t)rows;
            RK_AT(&r, i, j) = single ? (double)((const float *)b)[at] : ((const double *)b)[at];
        }
    rk_svd_free(&s->vals);
    st = rk_svd_decomp(&s->vals, &r, RK_SVD_VALUES);
    rk_mat_free(&r);
    return st;
}

/* b (rows×l) ← Q of its Householder QR (orthonormal columns, same span);
 * with want_values, s->vals gets b's singular values (from R). */
static rk_status norm_qr(sketch *s, void *b, int rows, bool single, bool want_values)
{
    lapack_int info, lw = s->lwork;
    if (single)
        info = LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, rows, s->l, b, rows, (float *)s->tau,
                                   (float *)s->work, lw);
    else
        info = LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, rows, s->l, b, rows, s->tau, s->work, lw);
    if (info != 0)
        return RK_ELAPACK;
    if (want_values) {
        rk_status st = r_values(s, b, rows, single);
        if (st)
            return st;
    }
    if (single)
        info = LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, rows, s->l, s->l, b, rows, (float *)s->tau,
                                   (float *)s->work, lw);
    else
        info = LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, rows, s->l, s->l, b, rows, s->tau, s->work,
                                   lw);
    return info == 0 ? RK_OK : RK_ELAPACK;
}

/* b (rows×l) ← P·L of its LU factorisation with partial pivoting, b = P·L·U:
 * the same span as b when U is invertible, and a basis of full rank even
 * when it is not (L is unit lower trapezoidal with |l_ij| ≤ 1). Cheaper
 * than a QR (≈ rows·l² flops instead of ≈ 4·rows·l²), but not orthonormal. */
static rk_status norm_lu(sketch *s, void *b, int rows)
{
    lapack_int info = s->single ? LAPACKE_sgetrf_work(LAPACK_COL_MAJOR, rows, s->l, b, rows, s->ipiv)
                                : LAPACKE_dgetrf_work(LAPACK_COL_MAJOR, rows, s->l, b, rows, s->ipiv);
    if (info < 0)
        return RK_ELAPACK; /* info > 0: an exactly zero pivot, L is still fine */
    for (size_t j = 0; j < (size_t)s->l; j++)
        for (size_t i = 0; i <= j; i++) {
            size_t at = i + j * (size_t)rows;
            if (s->single)
                ((float *)b)[at] = i == j ? 1.0f : 0.0f;
            else
                ((double *)b)[at] = i == j ? 1.0 : 0.0;
        }
    /* L's rows are in pivot order: undo the interchanges, last first. */
    info = s->single ? LAPACKE_slaswp_work(LAPACK_COL_MAJOR, s->l, b, rows, 1, s->l, s->ipiv, -1)
                     : LAPACKE_dlaswp_work(LAPACK_COL_MAJOR, s->l, b, rows, 1, s->l, s->ipiv, -1);
    return info == 0 ? RK_OK : RK_ELAPACK;
}

/* Workspace of geqrf and orgqr for rows×l blocks, rows ∈ {m, n}, in both
 * precisions (the finish is double), in elements. */
static rk_status query_work(sketch *s)
{
    lapack_int lw = s->l;
    int rows[2] = { s->m, s->n };
    float wf = 0.0f, tf = 0.0f, bf = 0.0f;
    double wd = 0.0, td = 0.0, bd = 0.0;
    for (int i = 0; i < 2; i++) {
        lapack_int info = 0;
        info |= LAPACKE_dgeqrf_work(LAPACK_COL_MAJOR, rows[i], s->l, &bd, rows[i], &td, &wd, -1);
        lw = (lapack_int)wd > lw ? (lapack_int)wd : lw;
        info |= LAPACKE_dorgqr_work(LAPACK_COL_MAJOR, rows[i], s->l, s->l, &bd, rows[i], &td, &wd, -1);
        lw = (lapack_int)wd > lw ? (lapack_int)wd : lw;
        if (s->single) {
            info |= LAPACKE_sgeqrf_work(LAPACK_COL_MAJOR, rows[i], s->l, &bf, rows[i], &tf, &wf, -1);
            lw = (lapack_int)wf > lw ? (lapack_int)wf : lw;
            info |= LAPACKE_sorgqr_work(LAPACK_COL_MAJOR, rows[i], s->l, s->l, &bf, rows[i], &tf,
                                        &wf, -1);
            lw = (lapack_int)wf > lw ? (lapack_int)wf : lw;
        }
        if (info != 0)
            return RK_ELAPACK;
    }
    s->lwork = lw;
    return (s->work = alloc_elems((size_t)lw, sizeof(double))) ? RK_OK : RK_ENOMEM;
}

static rk_status sketch_init(sketch *s, rsvd_run *run)
{
    size_t m = run->m, n = run->n, es = run->single ? sizeof(float) : sizeof(double), mn;
    *s = (sketch){ .single = run->single, .a = run->a, .fa = run->fa, .m = (int)m, .n = (int)n,
                   .l = (int)run->l };
    if (!rk_size_mul(m, n, &mn))
        return RK_EOVERFLOW;
    if (run->single && run->fa) {
        s->af = (float *)run->fa; /* used as it is: never written */
    } else if (run->single) {
        if (!(s->af = alloc_elems(mn, sizeof(float))))
            return RK_ENOMEM;
        s->af_owned = true;
        advise_huge(s->af, mn * sizeof(float));
        rk_status st = make_float_copy(s->af, run);
        if (st)
            return st;
    }
    if (run->fa) {
        /* the finish (and a refinement) is double: widened row blocks of ≈ WIDE_BYTES */
        s->wide_rows = WIDE_BYTES / (n * sizeof(double) + 1);
        s->wide_rows = s->wide_rows < 1 ? 1 : s->wide_rows > m ? m : s->wide_rows;
        if (!(s->wide = alloc_elems(s->wide_rows * n, sizeof(double))))
            return RK_ENOMEM;
    }
    if (!(s->y = alloc_elems(m * run->l, es)) || !(s->z = alloc_elems(n * run->l, es)) ||
        !(s->tau = alloc_elems(run->l, sizeof(double))))
        return RK_ENOMEM;
    bool check = run->tol > 0.0 || run->err_tol > 0.0;
    if (check && !(s->w = alloc_elems(n * run->l, es)))
        return RK_ENOMEM;
    if (run->lu && !check && !(s->ipiv = alloc_elems(run->l, sizeof(lapack_int))))
        return RK_ENOMEM;
    return query_work(s);
}

static void sketch_free(sketch *s)
{
    if (s->af_owned)
        rk_free(s->af);
    rk_free(s->wide);
    rk_free(s->y);
    rk_free(s->z);
    rk_free(s->w);
    rk_free(s->tau);
    rk_free(s->work);
    rk_free(s->ipiv);
    rk_svd_free(&s->vals);
}

/* The start block: y = A·Ω with Ω (n×l) Gaussian from the seed, or a copy of run->start. */
static void start_block(sketch *s, rsvd_run *run)
{
    size_t nl = (size_t)s->n * (size_t)s->l, ml = (size_t)s->m * (size_t)s->l;
    if (run->start) {
        for (size_t i = 0; i < ml; i++)
            if (s->single)
                ((float *)s->y)[i] = (float)run->start[i];
            else
                ((double *)s->y)[i] = run->start[i];
        return;
    }
    rk_rng rng;
    rk_rng_seed(&rng, run->seed);
    for (size_t i = 0; i < nl; i++) {
        double g = rk_rng_normal(&rng);
        if (s->single)
            ((float *)s->z)[i] = (float)g;
        else
            ((double *)s->z)[i] = g;
    }
    prod_a(s, s->z, s->y);
    run->stats.products++;
    run->stats.products_single += s->single;
}

/* max_{j<k} |v_j − prev_j| ≤ tol·v_0: the top-k estimates have settled. */
static bool settled(const double *v, const double *prev, size_t k, double tol)
{
    for (size_t j = 0; j < k; j++)
        if (!(fabs(v[j] - prev[j]) <= tol * v[0]))
            return false;
    return true;
}

/* The rank-k error estimate e = √(‖A‖_F² − Σ_{j<k} v_j²) of the current values. */
static double error_estimate(const double *v, size_t k, double fro2)
{
    double kept = 0.0;
    for (size_t j = 0; j < k; j++)
        kept += v[j] * v[j];
    return fro2 > kept ? sqrt(fro2 - kept) : 0.0;
}

/* Whether the iterations may stop after this one: the values (tol) or the
 * error estimate (err_tol, kept in *prev_err) have settled. */
static bool may_stop(const sketch *s, const rsvd_run *run, const double *prev, double *prev_err, int i)
{
    if (run->err_tol > 0.0) {
        double e = error_estimate(s->vals.s, run->k, run->fro2);
        bool done = i > 0 && fabs(*prev_err - e) <= run->err_tol * e;
        *prev_err = e;
        return done;
    }
    return i > 0 && settled(s->vals.s, prev, run->k, run->tol);
}

/*
 * The power iterations. y = A·Ω, then per round: y ← normalise(y),
 * z = Aᵀ·y, z ← normalise(z), y = A·z. With tol > 0 both normalisations are
 * QRs, so z = Aᵀ·Q for an orthonormal Q and the singular values of z — those
 * of R in z's QR — are the current estimates of the top singular values.
 * Returns with *b_ready when (double precision only) z holds Aᵀ·Q for the
 * orthonormal Q in y, i.e. Bᵀ — the finish then needs no product of its own.
 */
static rk_status iterate(sketch *s, rsvd_run *run, bool *b_ready)
{
    double *prev = NULL, prev_err = 0.0;
    rk_status st = RK_OK;
    bool check = run->tol > 0.0 || run->err_tol > 0.0, lu = run->lu && !check;
    *b_ready = false;
    if (check && !(prev = alloc_elems(run->k, sizeof(double))))
        return RK_ENOMEM;
    start_block(s, run);
    size_t zbytes = (size_t)s->n * (size_t)s->l * (s->single ? sizeof(float) : sizeof(double));
    for (int i = 0; i < run->iters; i++) {
        st = lu ? norm_lu(s, s->y, s->m) : norm_qr(s, s->y, s->m, s->single, false);
        if (st)
            break;
        prod_at(s, s->y, s->z);
        run->stats.products++;
        run->stats.products_single += s->single;
        if (check) {
            memcpy(s->w, s->z, zbytes);
            if ((st = norm_qr(s, s->w, s->n, s->single, true)))
                break;
            if (may_stop(s, run, prev, &prev_err, i)) {
                *b_ready = !s->single || run->single_finish;
                break;
            }
            memcpy(prev, s->vals.s, run->k * sizeof(double));
            void *t = s->z;
            s->z = s->w;
            s->w = t;
        } else if ((st = lu ? norm_lu(s, s->z, s->n) : norm_qr(s, s->z, s->n, s->single, false))) {
            break;
        }
        prod_a(s, s->z, s->y);
        run->stats.products++;
        run->stats.products_single += s->single;
        run->stats.power_iters++;
    }
    rk_free(prev);
    return st;
}

/* out = the top k of A ≈ Q·B from the SVD of B = Qᵀ·A (l×n), which is the
 * column-major n×l block bt = Aᵀ·Q read row-major:
 *   B = Ũ·diag(s)·Vᵀ  ⇒  A ≈ (Q·Ũ)·diag(s)·Vᵀ,  U = Q·Ũ[:, :k]. */
static rk_status lift(rk_svd *out, const double *q, double *bt, size_t m, size_t n, size_t l,
                      size_t k)
{
    rk_svd bs = { 0 };
    rk_mat b = rk_mat_wrap(bt, l, n), qt = rk_mat_wrap((double *)q, l, m);
    rk_status st = rk_svd_decomp(&bs, &b, RK_SVD_THIN);
    if (st == RK_OK && !(out->s = alloc_elems(k, sizeof(double))))
        st = RK_ENOMEM;
    if (st == RK_OK) {
        memcpy(out->s, bs.s, k * sizeof(double));
        st = rk_mat_create(&out->u, m, k);
    }
    if (st == RK_OK) {
        rk_mat uk = rk_mat_view_cols(&bs.u, 0, k);
        st = rk_mat_gemm(true, false, 1.0, &qt, &uk, 0.0, &out->u); /* Q·Ũ[:, :k] */
    }
    if (st == RK_OK) {
        rk_mat vk = rk_mat_view_rows(&bs.vt, 0, k);
        st = rk_mat_dup(&out->vt, &vk);
    }
    rk_svd_free(&bs);
    return st;
}

/* The float32 finish (run->single_finish): Q = qr(y) and B = Qᵀ·A by sgemm
 * unless the iterations stopped with them ready, then both widened to double
 * for the small SVD and the lift. Q is orthonormal to float rounding. */
static rk_status finish_single(sketch *s, rsvd_run *run, double **q, double **bt, bool b_ready)
{
    size_t ml = (size_t)s->m * (size_t)s->l, nl = (size_t)s->n * (size_t)s->l;
    rk_status st = RK_OK;
    if (!b_ready && (st = norm_qr(s, s->y, s->m, true, false)) == RK_OK) {
        prod_at(s, s->y, s->z);
        run->stats.products++;
        run->stats.products_single++;
    }
    *q = alloc_elems(ml, sizeof(double));
    *bt = alloc_elems(nl, sizeof(double));
    if (st == RK_OK && (!*q || !*bt))
        st = RK_ENOMEM;
    for (size_t i = 0; st == RK_OK && i < ml; i++)
        (*q)[i] = ((const float *)s->y)[i];
    for (size_t i = 0; st == RK_OK && i < nl; i++)
        (*bt)[i] = ((const float *)s->z)[i];
    return st;
}

/* The double-precision finish from the m×l block in s->y: Q = qr(y),
 * B = Qᵀ·A (skipped when b_ready), then lift. In float32 the block is first
 * widened to double and Q is kept in run->q for a refinement. */
static rk_status finish(sketch *s, rsvd_run *run, rk_svd *out, bool b_ready)
{
    size_t m = (size_t)s->m, n = (size_t)s->n, l = (size_t)s->l, ml = m * l;
    double *q = s->y, *bt = s->z;
    rk_status st = RK_OK;
    if (s->single && run->single_finish) {
        st = finish_single(s, run, &q, &bt, b_ready);
        b_ready = true;
    } else if (s->single) {
        if (s->af_owned)
            rk_free(s->af); /* the float copy of A is no longer needed */
        s->af = NULL;
        s->af_owned = false;
        q = alloc_elems(ml, sizeof(double));
        bt = alloc_elems(n * l, sizeof(double));
        if (!q || !bt) {
            rk_free(q);
            rk_free(bt);
            return RK_ENOMEM;
        }
        for (size_t i = 0; i < ml; i++)
            q[i] = (double)((const float *)s->y)[i];
        s->single = false; /* from here on: double blocks, double A */
    }
    if (st == RK_OK && !b_ready) {
        if ((st = norm_qr(s, q, s->m, false, false)) == RK_OK) {
            prod_at(s, q, bt);
            run->stats.products++;
        }
    }
    if (st == RK_OK)
        st = lift(out, q, bt, m, n, l, run->k);
    if (q != s->y) {
        rk_free(bt);
        if (st == RK_OK)
            run->q = q;
        else
            rk_free(q);
    }
    return st;
}

rk_status rk_rsvd_sketch_run(rk_svd *out, rsvd_run *run)
{
    sketch s;
    bool b_ready = false;
    run->q = NULL;
    rk_status st = sketch_init(&s, run);
    if (st == RK_OK)
        st = iterate(&s, run, &b_ready);
    if (st == RK_OK)
        st = finish(&s, run, out, b_ready);
    sketch_free(&s);
    return st;
}
