/*
 * bench_blas.c — how close the BLAS's matrix product gets to this machine's
 * floating-point peak (a benchmark: it prints a table, asserts nothing).
 *
 * Measured in one run:
 *   - the FMA peak (fma_peak.h) in fp32 and fp64 on each thread count,
 *     right before the products on that thread count (flops per CPU second
 *     of each thread: the hardware's rate even when others share the cores);
 *   - sgemm and dgemm C = A·B on n×n row-major matrices for each n and thread
 *     count: one warm-up product per thread count, then products until at
 *     least 3 are timed and the per-point budget is spent (at most 15);
 *     GFLOP/s = 2n³ / median.
 * The verdict is the fraction GFLOP/s / FMA peak on the same threads, and the
 * 2-thread/1-thread scaling. A few entries of C are checked against a double
 * dot product so a fast wrong kernel cannot pass unnoticed.
 *
 * usage: bench_blas [--sizes N,N,...] [--threads T,T,...] [--budget SECONDS] [--quick]
 *   defaults: --sizes 1024,2048,4096 --threads 1,2 --budget 1.0
 *   --quick:  --sizes 256,512 --budget 0.1 (a smoke run)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchutil.h"
#include "fma_peak.h"
#include "ranklab.h"

#include <cblas.h>

enum { MAX_LIST = 8, MIN_REPS = 3, MAX_REPS = 15, CHECKS = 16 };

typedef struct options {
    size_t sizes[MAX_LIST];
    int nsizes;
    int threads[MAX_LIST];
    int nthreads;
    double budget;
} options;

typedef struct point {
    bench_prec prec;
    size_t n;
    int threads, threads_seen, reps;
    double median_s, best_s, peak;
    double share, peak_share; /* CPU time got / (threads × wall): 1 = cores were free */
    double max_rel_err;
} point;

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_blas [--sizes N,N,...] [--threads T,T,...] [--budget SECONDS] "
               "[--quick]\n");
}

/* "a,b,c" of whole numbers 1..32768 (which keeps n·n and the thread count far from overflow) */
static int list(const char *s, long *out)
{
    return bench_parse_list(s, 1, 32768, out, MAX_LIST);
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){ { 1024, 2048, 4096 }, 3, { 1, 2 }, 2, 1.0 };
    for (int i = 1; i < argc; i++) {
        long v[MAX_LIST];
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        int n;
        if (!strcmp(argv[i], "--quick")) {
            *o = (options){ { 256, 512 }, 2, { 1, 2 }, 2, 0.1 };
        } else if (!strcmp(argv[i], "--sizes") && arg && (n = list(arg, v)) > 0) {
            for (int k = 0; k < n; k++)
                o->sizes[k] = (size_t)v[k];
            o->nsizes = n;
            i++;
        } else if (!strcmp(argv[i], "--threads") && arg && (n = list(arg, v)) > 0) {
            for (int k = 0; k < n; k++)
                o->threads[k] = (int)v[k];
            o->nthreads = n;
            i++;
        } else if (!strcmp(argv[i], "--budget") && arg && (o->budget = atof(arg)) > 0) {
            i++;
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            exit(0);
        } else {
            usage(stderr);
            return -1;
        }
    }
    return 0;
}

/* One product C = A·B (n×n, row-major, packed) in the given precision. */
static void gemm(bench_prec prec, size_t n, const void *a, const void *b, void *c)
{
    int ni = (int)n;
    if (prec == BENCH_F32)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a, ni, b, ni,
                    0.0f, c, ni);
    else
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0, a, ni, b, ni,
                    0.0, c, ni);
}

static double elem(bench_prec prec, const void *p, size_t i)
{
    return prec == BENCH_F32 ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

/* Max over CHECKS seeded entries of |C_ij − Σ_k A_ik B_kj| / Σ_k |A_ik B_kj|. */
static double check_entries(bench_prec prec, size_t n, const void *a, const void *b,
                            const void *c)
{
    rk_rng rng;
    rk_rng_seed(&rng, 99 + n);
    double worst = 0.0;
    for (int t = 0; t < CHECKS; t++) {
        size_t i = (size_t)rk_rng_below(&rng, n), j = (size_t)rk_rng_below(&rng, n);
        double dot = 0.0, mag = 0.0;
        for (size_t k = 0; k < n; k++) {
            double p = elem(prec, a, i * n + k) * elem(prec, b, k * n + j);
            dot += p;
            mag += fabs(p);
        }
        double e = fabs(elem(prec, c, i * n + j) - dot) / (mag > 0 ? mag : 1.0);
        if (e > worst)
            worst = e;
    }
    return worst;
}

/* Time products of size n until MIN_REPS are timed and the budget is spent;
 * first one untimed product when @p warm_up (the first size of a thread
 * count: BLAS thread start, packing buffers). The buffers are already
 * touched, so later sizes need none. */
static void measure(point *p, double budget, bool warm_up, const void *a, const void *b,
                    void *c)
{
    double t[MAX_REPS];
    int reps = 0;
    if (warm_up)
        gemm(p->prec, p->n, a, b, c);
    double start = bench_now(), cpu0 = bench_cpu_seconds();
    while (reps < MAX_REPS && (reps < MIN_REPS || bench_now() - start < budget)) {
        double t0 = bench_now();
        gemm(p->prec, p->n, a, b, c);
        t[reps++] = bench_now() - t0;
    }
    p->share = (bench_cpu_seconds() - cpu0) / ((bench_now() - start) * p->threads);
    p->reps = reps;
    p->best_s = bench_min(t, (size_t)reps);
    p->median_s = bench_median(t, (size_t)reps);
    p->max_rel_err = check_entries(p->prec, p->n, a, b, c);
}

static double gflops(size_t n, double seconds)
{
    double nn = (double)n;
    return seconds > 0 ? 2.0 * nn * nn * nn / seconds / 1e9 : 0.0;
}

/* Buffers for the largest n, filled with seeded uniform values in [−1, 1). */
static void *alloc_filled(bench_prec prec, size_t count, rk_rng *rng)
{
    size_t esize = prec == BENCH_F32 ? sizeof(float) : sizeof(double), bytes;
    void *p = rk_size_mul(count, esize, &bytes) ? rk_alloc(bytes) : NULL;
    if (!p) {
        fprintf(stderr, "bench_blas: out of memory (%zu elements)\n", count);
        exit(1);
    }
    for (size_t i = 0; i < count; i++) {
        double v = rk_rng_uniform_range(rng, -1.0, 1.0);
        if (prec == BENCH_F32)
            ((float *)p)[i] = (float)v;
        else
            ((double *)p)[i] = v;
    }
    return p;
}

static void print_table(const point *pts, int npts)
{
    printf("\n%-6s %5s %7s %5s %10s %9s %9s %10s %8s %8s %9s\n", "gemm", "n", "threads", "reps",
           "median ms", "GFLOP/s", "best", "FMA peak", "of peak", "scaling", "rel.err");
    for (int i = 0; i < npts; i++) {
        const point *p = &pts[i];
        double g = gflops(p->n, p->median_s);
        char scaling[16] = "";
        for (int j = 0; j < npts; j++)
            if (pts[j].prec == p->prec && pts[j].n == p->n && pts[j].threads == 1 &&
                p->threads > 1 && pts[j].median_s > 0)
                snprintf(scaling, sizeof scaling, "%.2fx", pts[j].median_s / p->median_s);
        char thr[16];
        snprintf(thr, sizeof thr, p->threads_seen > 0 ? "%d" : "%d?", p->threads);
        printf("%-6s %5zu %7s %5d %10.1f %9.1f %9.1f %10.1f %7.0f%% %8s %9.1e %4.0f%%/%3.0f%%\n",
               p->prec == BENCH_F32 ? "sgemm" : "dgemm", p->n, thr, p->reps, 1e3 * p->median_s,
               g, gflops(p->n, p->best_s), p->peak, p->peak > 0 ? 100.0 * g / p->peak : 0.0,
               scaling, p->max_rel_err, 100.0 * p->share, 100.0 * p->peak_share);
    }
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o))
        return 2;
    size_t nmax = 0;
    for (int i = 0; i < o.nsizes; i++)
        nmax = o.sizes[i] > nmax ? o.sizes[i] : nmax;

    printf("bench_blas: sgemm/dgemm throughput against the FMA peak, measured in one run\n");
    printf("  BLAS core: %s\n  BLAS config: %s\n", bench_blas_core(), bench_blas_config());
    printf("  OPENBLAS_NUM_THREADS=%s OPENBLAS_CORETYPE=%s\n",
           getenv("OPENBLAS_NUM_THREADS") ? getenv("OPENBLAS_NUM_THREADS") : "(unset)",
           getenv("OPENBLAS_CORETYPE") ? getenv("OPENBLAS_CORETYPE") : "(unset)");
    printf("  FMA peak: %s; best of 3 runs of 0.2 s, flops per CPU second of each thread\n",
           bench_fma_kind());
    printf("  gemm: a warm-up per thread count, then >= %d timed products and >= %.2f s per "
           "point; median\n",
           MIN_REPS, o.budget);
    if (!bench_blas_threads_settable())
        printf("  note: the BLAS is not OpenBLAS, its thread count cannot be set from here: the "
               "'threads' column is what was asked for, marked '?'\n");
    bench_print_load("  before: ");
    fflush(stdout);

    point pts[2 * MAX_LIST * MAX_LIST];
    int npts = 0;
    double t_start = bench_now();
    for (int pr = 0; pr < 2; pr++) {
        bench_prec prec = pr == 0 ? BENCH_F32 : BENCH_F64;
        rk_rng rng;
        rk_rng_seed(&rng, 2024 + (uint64_t)pr);
        void *a = alloc_filled(prec, nmax * nmax, &rng), *b = alloc_filled(prec, nmax * nmax, &rng);
        void *c = alloc_filled(prec, nmax * nmax, &rng);
        for (int ti = 0; ti < o.nthreads; ti++) {
            int th = o.threads[ti];
            bench_settle(); /* idle BLAS workers stop spinning before the FMA loop */
            bench_peak pk;
            if (bench_fma_peak(prec, th, 0.2, &pk) != RK_OK)
                fprintf(stderr, "bench_blas: cannot start %d threads for the FMA peak\n", th);
            double peak = pk.gflops, peak_share = pk.cpu_share;
            int seen = rk_blas_set_threads(th);
            printf("  %s FMA peak on %d thread%s: %.1f GFLOP/s per CPU second (%.1f by the wall "
                   "clock, cpu share %.0f%%); BLAS threads now %d\n",
                   prec == BENCH_F32 ? "fp32" : "fp64", th, th > 1 ? "s" : "", peak,
                   pk.wall_gflops, 100.0 * peak_share, seen);
            fflush(stdout);
            for (int si = 0; si < o.nsizes; si++) {
                point *p = &pts[npts++];
                *p = (point){ .prec = prec, .n = o.sizes[si], .threads = th, .threads_seen = seen,
                              .peak = peak, .peak_share = peak_share };
                measure(p, o.budget, si == 0, a, b, c);
            }
        }
        rk_free(a);
        rk_free(b);
        rk_free(c);
    }
    print_table(pts, npts);
    printf("\nGFLOP/s    2n^3 / median time; best = 2n^3 / fastest time\n"
           "of peak    GFLOP/s / FMA peak on the same number of threads\n"
           "scaling    1-thread time / this time\n"
           "rel.err    max |C - A*B| / (|A|*|B|) over %d entries, against a double dot product\n"
           "cpu share  CPU time this process got / (threads x wall time), for the products / "
           "for the FMA peak:\n           the figures are trustworthy when both are near 100%%\n",
           CHECKS);
    bench_print_load("after: ");
    printf("total %.1f s\n", bench_now() - t_start);
    return 0;
}
