/* rsvd.c — randomized SVD (HMT 2011): options, checks, the choice of precision and the
 * mixed-precision guard; the sketch itself is in rsvd_sketch.c. */
#include "linalg/rsvd.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/parallel.h"
#include "linalg/rsvd_internal.h"

rk_rsvd_opts rk_rsvd_opts_default(size_t k)
{
    return (rk_rsvd_opts){ .k = k, .oversample = 10, .power_iters = RK_RSVD_AUTO_ITERS, .seed = 0,
                           .tol = 0.0, .precision = RK_RSVD_PREC_AUTO, .normalizer = RK_RSVD_NORM_AUTO,
                           .align = RK_RSVD_ALIGN };
}

int rk_rsvd_power_iters(const rk_rsvd_opts *opts, size_t m, size_t n)
{
    if (!opts)
        return 0;
    if (opts->power_iters != RK_RSVD_AUTO_ITERS)
        return opts->power_iters;
    size_t mn = m < n ? m : n;
    /* k < 0.1·min(m, n), in integers: 10·k < min(m, n). */
    return (opts->k <= SIZE_MAX / 10 && 10 * opts->k < mn) ? 7 : 4;
}

bool rk_rsvd_worthwhile(size_t m, size_t n, size_t k)
{
    size_t mn = m < n ? m : n;
    return mn >= 512 && k >= 1 && k <= mn / 8;
}

/* Whether rk_rsvd() sketches an m×n matrix in float32 under @p prec. */
static bool use_single(rk_rsvd_precision prec, size_t m, size_t n)
{
    if (prec != RK_RSVD_PREC_AUTO)
        return prec == RK_RSVD_PREC_MIXED;
    size_t mn;
    return rk_size_mul(m, n, &mn) && mn >= RK_RSVD_MIXED_MIN_ENTRIES;
}

/*
 * The mixed-precision guard. A float32 sketch perturbs the subspace by about
 * u_f·‖A‖ (u_f = 2⁻²⁴ for the rounding of A, times a modest growth factor in
 * the products), while the rank-k error is ‖A − A_k‖ ≥ the optimum. When
 * that error is a sizeable fraction of ‖A‖_F the perturbation is invisible;
 * when it is tiny (A is nearly of rank ≤ k) the float subspace may be the
 * limit. The error is known exactly without touching A again:
 *   ‖A − U_k·S_k·V_kᵀ‖_F² = ‖A‖_F² − Σ_{i<k} s_i²   (Q orthonormal, B = QᵀA),
 * all in units of the scaled A. Refine in double below RK_RSVD_MIXED_GUARD.
 */
static bool needs_refinement(const rsvd_run *run, const rk_svd *out)
{
    double kept = 0.0;
    for (size_t i = 0; i < run->k; i++)
        kept += (run->scale * out->s[i]) * (run->scale * out->s[i]);
    double err2 = run->fro2 - kept;
    return run->fro2 > 0.0 && err2 <= RK_RSVD_MIXED_GUARD * RK_RSVD_MIXED_GUARD * run->fro2;
}

/* l = k + p, rounded up to a multiple of align when that adds at most l/4
 * columns, at most mn (k ≤ mn); without overflow. */
static size_t sketch_width(size_t k, size_t p, size_t align, size_t mn)
{
    if (p >= mn - k)
        return mn;
    size_t l = k + p;
    if (align > 1 && l % align != 0) {
        size_t up = align - l % align;
        if (up <= l / 4)
            l = up >= mn - l ? mn : l + up;
    }
    return l;
}

rk_status rk_rsvd(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts)
{
    return rk_rsvd_with_stats(out, a, opts, NULL);
}

static rk_status check_args(const rk_rsvd_opts *opts, size_t m, size_t n, size_t stride)
{
    if (!opts || opts->power_iters < RK_RSVD_AUTO_ITERS ||
        opts->power_iters > 1000 || !(opts->tol >= 0.0) || !(opts->err_tol >= 0.0) ||
        (unsigned)opts->precision > (unsigned)RK_RSVD_PREC_SINGLE ||
        (unsigned)opts->normalizer > (unsigned)RK_RSVD_NORM_LU)
        return RK_EINVAL;
    if (opts->k > (m < n ? m : n))
        return RK_ERANGE;
    if (m > INT_MAX || n > INT_MAX || stride > INT_MAX)
        return RK_EOVERFLOW; /* BLAS and LAPACK take int dimensions */
    return RK_OK;
}

/* k = 0: empty factors of the right shapes. */
static rk_status empty_result(rk_svd *out, size_t m, size_t n)
{
    rk_status st = rk_mat_create(&out->u, m, 0);
    if (st == RK_OK)
        st = rk_mat_create(&out->vt, 0, n);
    if (st)
        rk_svd_free(out);
    return st;
}

/* Run the sketch (and the refinement the guard asks for) on run's A. */
static rk_status run_sketch(rk_svd *out, rsvd_run *run, rk_rsvd_stats *stats)
{
    size_t m = run->m, n = run->n, k = run->k;
    run->stats.columns = run->l;
    rk_status st = rk_rsvd_sketch_run(out, run);
    if (st == RK_OK && run->single) {
        run->stats.mixed = true;
        if (needs_refinement(run, out)) {
            rsvd_run ref = *run;
            ref.single = false;
            ref.start = run->q;
            rk_svd_free(out);
            out->m = m, out->n = n, out->k = k;
            st = rk_rsvd_sketch_run(out, &ref);
            run->stats = ref.stats;
            run->stats.refined = true;
        }
    }
    rk_free(run->q);
    if (st) {
        rk_svd_free(out);
        memset(out, 0, sizeof *out);
        return st;
    }
    *stats = run->stats;
    return RK_OK;
}

/* Zero *stats (or point it at @p ignored when NULL) and *out; false when out is NULL. */
static bool reset(rk_svd *out, rk_rsvd_stats **stats, rk_rsvd_stats *ignored)
{
    if (!*stats)
        *stats = ignored;
    **stats = (rk_rsvd_stats){ 0 };
    if (out)
        memset(out, 0, sizeof *out);
    return out != NULL;
}

rk_status rk_rsvd_with_stats(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts,
                             rk_rsvd_stats *stats)
{
    rk_rsvd_stats ignored;
    if (!reset(out, &stats, &ignored))
        return RK_EINVAL;
    if (!a)
        return RK_EINVAL;
    rk_status st = check_args(opts, a->rows, a->cols, a->stride);
    if (st)
        return st;
    if (opts->precision == RK_RSVD_PREC_SINGLE)
        return RK_EINVAL; /* a double A is finished in double: MIXED */
    size_t m = a->rows, n = a->cols, mn = m < n ? m : n, k = opts->k;
    bool single = k > 0 && use_single(opts->precision, m, n);
    if (!single && !rk_mat_is_finite(a)) /* a float32 sketch checks A as it converts it */
        return RK_ENONFINITE;
    out->m = m;
    out->n = n;
    out->k = k;
    if (k == 0)
        return empty_result(out, m, n);
    rsvd_run run = {
        .a = a, .m = m, .n = n, .k = k, .l = sketch_width(k, opts->oversample, opts->align, mn),
        .iters = rk_rsvd_power_iters(opts, m, n), .tol = opts->tol, .err_tol = opts->err_tol,
        .lu = opts->normalizer != RK_RSVD_NORM_QR, .single = single,
        .scale = 1.0, .seed = opts->seed,
    };
    if (opts->err_tol > 0.0 && !single)
        run.fro2 = rk_mat_norm_fro(a) * rk_mat_norm_fro(a);
    return run_sketch(out, &run, stats);
}

/* Σ a_i² in double over n floats. Four partial sums, so the compiler can
 * vectorise without reordering a single sum. */
static double fro2_span(const float *a, size_t n)
{
    double s[4] = { 0 };
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int j = 0; j < 4; j++) {
            double v = a[i + j];
            s[j] += v * v;
        }
    for (; i < n; i++)
        s[0] += (double)a[i] * a[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

/* The blocks float_fro2 cuts A into: FRO2_BLOCKS (fewer for a small A). */
enum { FRO2_BLOCKS = 64, FRO2_MIN_BLOCK = 1 << 16 };

typedef struct fro2_job {
    const float *a;
    size_t n, block;
    double part[FRO2_BLOCKS];
} fro2_job;

static void fro2_blocks(void *ctx, size_t begin, size_t end)
{
    fro2_job *j = ctx;
    for (size_t k = begin; k < end; k++) {
        size_t first = k * j->block, count = j->n - first < j->block ? j->n - first : j->block;
        j->part[k] = fro2_span(j->a + first, count);
    }
}

/* Σ a_i² in double over n floats; false when one is NaN or Inf (a float's
 * square cannot overflow a double, so the sum is finite exactly when every
 * entry is). The blocks are fixed by n alone and run on the library's
 * threads (rk_parallel_for), their sums added in order: the same result
 * whatever the thread count. */
static bool float_fro2(const float *a, size_t n, double *fro2)
{
    fro2_job j = { .a = a, .n = n };
    j.block = n / FRO2_BLOCKS + (n % FRO2_BLOCKS != 0);
    j.block = j.block < FRO2_MIN_BLOCK ? FRO2_MIN_BLOCK : j.block;
    size_t blocks = n / j.block + (n % j.block != 0);
    rk_parallel_for(blocks, 1, fro2_blocks, &j);
    *fro2 = 0.0;
    for (size_t k = 0; k < blocks; k++)
        *fro2 += j.part[k];
    return isfinite(*fro2);
}

rk_status rk_rsvd_f32(rk_svd *out, const float *a, size_t m, size_t n, const rk_rsvd_opts *opts,
                      rk_rsvd_stats *stats, double *fro)
{
    rk_rsvd_stats ignored;
    if (!reset(out, &stats, &ignored))
        return RK_EINVAL;
    size_t mn;
    if (!a || !rk_size_mul(m, n, &mn))
        return a ? RK_EOVERFLOW : RK_EINVAL;
    rk_status st = check_args(opts, m, n, n);
    if (st)
        return st;
    double fro2;
    if (!float_fro2(a, mn, &fro2))
        return RK_ENONFINITE;
    if (fro)
        *fro = sqrt(fro2);
    out->m = m;
    out->n = n;
    out->k = opts->k;
    if (opts->k == 0)
        return empty_result(out, m, n);
    rsvd_run run = {
        .fa = a, .m = m, .n = n, .k = opts->k,
        .l = sketch_width(opts->k, opts->oversample, opts->align, m < n ? m : n),
        .iters = rk_rsvd_power_iters(opts, m, n), .tol = opts->tol, .err_tol = opts->err_tol,
        .lu = opts->normalizer != RK_RSVD_NORM_QR, .single = opts->precision != RK_RSVD_PREC_DOUBLE,
        .single_finish = opts->precision == RK_RSVD_PREC_SINGLE,
        .scale = 1.0, .fro2 = fro2, .seed = opts->seed,
    };
    return run_sketch(out, &run, stats);
}
