/*
 * bench_svd.c — ranklab's SVD (rk_svd_decomp) against numpy.linalg.svd on the
 * same matrices, the same LAPACK and the same number of BLAS threads, timed
 * call by call in one run (a benchmark: it prints a table, asserts nothing).
 *
 * For each n (default 256, 512, 1024, 2048) a seeded Gaussian n×n matrix is
 * written with rk_npy_write into a temporary directory; svd_numpy_peer.py
 * (a co-process, see peer.h) loads it. For each mode — singular values only
 * (RK_SVD_VALUES / compute_uv=False) and thin vectors (RK_SVD_THIN /
 * full_matrices=False) — the two sides are called alternately in the order
 * R N N R R N … until each has at least 3 calls and the per-point budget is
 * spent. Reported: both medians, their ratio ranklab/numpy, the median of the
 * ratios of adjacent pairs (robust to a drift in machine speed), the ratio of
 * CPU times, and the relative difference of Σσ (the two sides decomposed the
 * same matrix). Goal: ratio ≤ 1.05.
 *
 * With --breakdown a third side is timed in the same rotation: LAPACKE's
 * dgesdd on a ready column-major Aᵀ with a ready workspace — LAPACK alone,
 * so rk_svd_decomp's own overhead (input copy, workspace query, allocation)
 * is the difference.
 *
 * usage: bench_svd --peer SCRIPT [--python PATH] [--sizes N,...] [--threads T]
 *                  [--budget SECONDS] [--breakdown] [--quick]
 */
#define _GNU_SOURCE /* dladdr: which library supplies dgesdd_ */
#include <dlfcn.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "peer.h"
#include "ranklab.h"

enum { MAX_SIZES = 8, MIN_REPS = 3, MAX_REPS = 9, SIDES = 3 };
enum { SIDE_RK = 0, SIDE_NP = 1, SIDE_RAW = 2 };

typedef struct options {
    size_t sizes[MAX_SIZES];
    int nsizes, threads;
    double budget;
    bool breakdown;
    const char *peer, *python;
} options;

/* Timings of one (n, mode) point, per side. */
typedef struct point {
    size_t n;
    bool vecs;
    int reps[SIDES];
    double wall[SIDES][MAX_REPS], cpu[SIDES][MAX_REPS];
    double pair_ratio[MAX_REPS];
    int npairs;
    double sum_s[SIDES];
} point;

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_svd --peer SCRIPT [--python PATH] [--sizes N,...] [--threads T] "
               "[--budget SECONDS] [--breakdown] [--quick]\n");
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){ { 256, 512, 1024, 2048 }, 4, 0, 2.0, false, NULL, "/usr/bin/python3" };
    o->threads = bench_default_threads();
    for (int i = 1; i < argc; i++) {
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--quick")) {
            o->sizes[0] = 128, o->sizes[1] = 256, o->nsizes = 2, o->budget = 0.2;
        } else if (!strcmp(argv[i], "--breakdown")) {
            o->breakdown = true;
        } else if (!strcmp(argv[i], "--peer") && arg) {
            o->peer = argv[++i];
        } else if (!strcmp(argv[i], "--python") && arg) {
            o->python = argv[++i];
        } else if (!strcmp(argv[i], "--threads") && arg && atoi(arg) > 0) {
            o->threads = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--budget") && arg && atof(arg) > 0) {
            o->budget = atof(argv[++i]);
        } else if (!strcmp(argv[i], "--sizes") && arg) {
            long v[MAX_SIZES]; /* up to 32768: 32768² doubles = 8 GiB, far beyond a benchmark */
            if ((o->nsizes = bench_parse_list(argv[++i], 1, 32768, v, MAX_SIZES)) < 0)
                return -1;
            for (int k = 0; k < o->nsizes; k++)
                o->sizes[k] = (size_t)v[k];
        } else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            exit(0);
        } else {
            return -1;
        }
    }
    return 0;
}

static void die(const char *what, rk_status st)
{
    fprintf(stderr, "bench_svd: %s: %s\n", what, rk_strerror(st));
    exit(1);
}

/* The file that supplies the dgesdd_ LAPACKE calls in this process. */
static const char *lapack_file(void)
{
    Dl_info info;
    void *sym = dlsym(RTLD_DEFAULT, "dgesdd_");
    if (sym && dladdr(sym, &info) && info.dli_fname) {
        static char path[4096];
        if (realpath(info.dli_fname, path))
            return path;
        return info.dli_fname;
    }
    return "unknown";
}

/* LAPACK alone: dgesdd on a fresh copy of the column-major Aᵀ (the bytes of
 * row-major A) with workspace allocated beforehand, as rk_svd_decomp calls it. */
typedef struct raw_gesdd {
    size_t n;
    double *at, *s, *u, *vt, *work;
    lapack_int *iwork, lwork;
} raw_gesdd;

/* rk_alloc of count × size bytes, overflow-checked; NULL on failure. */
static void *alloc_array(size_t count, size_t size)
{
    size_t bytes;
    return rk_size_mul(count, size, &bytes) ? rk_alloc(bytes) : NULL;
}

static void raw_setup(raw_gesdd *r, size_t n)
{
    lapack_int ni = (lapack_int)n;
    double query = 0.0;
    *r = (raw_gesdd){ .n = n };
    r->at = alloc_array(n * n, sizeof(double));
    r->u = alloc_array(n * n, sizeof(double));
    r->vt = alloc_array(n * n, sizeof(double));
    r->s = alloc_array(n, sizeof(double));
    r->iwork = alloc_array(8 * n, sizeof(lapack_int));
    if (!r->at || !r->u || !r->vt || !r->s || !r->iwork)
        die("raw gesdd buffers", RK_ENOMEM);
    /* the larger of the two workspaces ('S' needs more than 'N') */
    LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'S', ni, ni, r->at, ni, r->s, r->u, ni, r->vt, ni,
                        &query, -1, r->iwork);
    r->lwork = (lapack_int)query + 1;
    if (!(r->work = alloc_array((size_t)r->lwork, sizeof(double))))
        die("raw gesdd workspace", RK_ENOMEM);
}

static void raw_free(raw_gesdd *r)
{
    rk_free(r->at);
    rk_free(r->u);
    rk_free(r->vt);
    rk_free(r->s);
    rk_free(r->iwork);
    rk_free(r->work);
}

/* One timed call of side @p side; returns false when the peer failed. */
static bool call_side(int side, point *p, const rk_mat *a, raw_gesdd *raw, bench_peer *peer)
{
    double w0 = bench_now(), c0 = bench_cpu_seconds(), sum = 0.0;
    int k = p->reps[side];
    if (side == SIDE_RK) {
        rk_svd out;
        rk_status st = rk_svd_decomp(&out, a, p->vecs ? RK_SVD_THIN : RK_SVD_VALUES);
        p->wall[side][k] = bench_now() - w0;
        p->cpu[side][k] = bench_cpu_seconds() - c0;
        if (st)
            die("rk_svd_decomp", st);
        for (size_t i = 0; i < out.k; i++)
            sum += out.s[i];
        rk_svd_free(&out);
    } else if (side == SIDE_RAW) {
        lapack_int ni = (lapack_int)p->n;
        memcpy(raw->at, a->data, p->n * p->n * sizeof(double));
        lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, p->vecs ? 'S' : 'N', ni, ni,
                                              raw->at, ni, raw->s, raw->u, ni, raw->vt, ni,
                                              raw->work, raw->lwork, raw->iwork);
        p->wall[side][k] = bench_now() - w0;
        p->cpu[side][k] = bench_cpu_seconds() - c0;
        if (info != 0)
            die("raw dgesdd", info < 0 ? RK_ELAPACK : RK_ECONVERGE);
        for (size_t i = 0; i < p->n; i++)
            sum += raw->s[i];
    } else {
        char reply[256];
        if (!bench_peer_ask(peer, p->vecs ? "svd vecs" : "svd vals", reply, sizeof reply) ||
            sscanf(reply, "time %lf %lf %lf", &p->wall[side][k], &p->cpu[side][k], &sum) != 3) {
            fprintf(stderr, "bench_svd: numpy peer failed\n");
            return false;
        }
    }
    p->sum_s[side] = sum;
    p->reps[side]++;
    return true;
}

/* Alternate the sides in the order R N (raw) / (raw) N R / … */
static bool measure(point *p, const options *o, const rk_mat *a, raw_gesdd *raw,
                    bench_peer *peer)
{
    int order[SIDES] = { SIDE_RK, SIDE_NP, SIDE_RAW }, nsides = o->breakdown ? 3 : 2;
    if (!peer)
        order[1] = SIDE_RAW, nsides = o->breakdown ? 2 : 1;
    double start = bench_now();
    for (int round = 0; round < MAX_REPS; round++) {
        if (round >= MIN_REPS && bench_now() - start >= o->budget)
            break;
        for (int j = 0; j < nsides; j++) {
            int side = order[round % 2 ? nsides - 1 - j : j];
            if (o->threads > 1)
                bench_settle(); /* the other side's idle BLAS threads stop spinning */
            if (!call_side(side, p, a, raw, peer))
                return false;
        }
        int r = p->reps[SIDE_RK] - 1;
        if (peer && p->wall[SIDE_NP][r] > 0)
            p->pair_ratio[p->npairs++] = p->wall[SIDE_RK][r] / p->wall[SIDE_NP][r];
    }
    return true;
}

static double med(const double *v, int n)
{
    double tmp[MAX_REPS];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    return bench_median(tmp, (size_t)n);
}

static void print_table(const point *pts, int npts, bool breakdown)
{
    printf("\n%5s %-5s %4s %11s %10s %8s %10s %10s %9s %11s", "n", "mode", "reps", "ranklab ms",
           "numpy ms", "ratio", "pair ratio", "best ratio", "cpu ratio", "sum(s) diff");
    if (breakdown)
        printf(" %12s %7s %10s", "raw gesdd ms", "rk/raw", "rk/raw cpu");
    printf("\n");
    for (int i = 0; i < npts; i++) {
        const point *p = &pts[i];
        double rk = med(p->wall[SIDE_RK], p->reps[SIDE_RK]);
        printf("%5zu %-5s %4d %11.2f", p->n, p->vecs ? "vecs" : "vals", p->reps[SIDE_RK],
               1e3 * rk);
        if (p->reps[SIDE_NP] > 0) {
            double np = med(p->wall[SIDE_NP], p->reps[SIDE_NP]);
            double crk = med(p->cpu[SIDE_RK], p->reps[SIDE_RK]);
            double cnp = med(p->cpu[SIDE_NP], p->reps[SIDE_NP]);
            double diff = fabs(p->sum_s[SIDE_RK] - p->sum_s[SIDE_NP]) / p->sum_s[SIDE_NP];
            double best = bench_min(p->wall[SIDE_RK], (size_t)p->reps[SIDE_RK]) /
                          bench_min(p->wall[SIDE_NP], (size_t)p->reps[SIDE_NP]);
            printf(" %10.2f %8.3f %10.3f %10.3f %9.3f %11.1e", 1e3 * np, rk / np,
                   med(p->pair_ratio, p->npairs), best, cnp > 0 ? crk / cnp : 0.0, diff);
        } else {
            printf(" %10s %8s %10s %10s %9s %11s", "-", "-", "-", "-", "-", "-");
        }
        if (breakdown) {
            double raw = med(p->wall[SIDE_RAW], p->reps[SIDE_RAW]);
            double craw = med(p->cpu[SIDE_RAW], p->reps[SIDE_RAW]);
            printf(" %12.2f %7.3f %10.3f", 1e3 * raw, rk / raw,
                   craw > 0 ? med(p->cpu[SIDE_RK], p->reps[SIDE_RK]) / craw : 0.0);
        }
        printf("\n");
    }
}

/* Seeded N(0, 1) matrix, written to DIR/a_N.npy and loaded by the peer. */
static void make_matrix(rk_mat *a, size_t n, const char *dir, bench_peer *peer, char *path,
                        size_t size)
{
    rk_rng rng;
    rk_rng_seed(&rng, 4242 + n);
    rk_status st = rk_mat_create(a, n, n);
    if (st)
        die("matrix", st);
    rk_mat_fill_normal(a, &rng);
    snprintf(path, size, "%s/a_%zu.npy", dir, n);
    rk_err err;
    if ((st = rk_npy_write(path, a, RK_DT_F64, &err)))
        die(rk_err_message(&err, st), st);
    char req[4200], reply[256] = "";
    snprintf(req, sizeof req, "load %s", path);
    if (peer && (!bench_peer_ask(peer, req, reply, sizeof reply) || strncmp(reply, "ok ", 3))) {
        fprintf(stderr, "bench_svd: numpy peer could not load %s: %s\n", path, reply);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    int seen = rk_blas_set_threads(o.threads);
    printf("bench_svd: rk_svd_decomp vs numpy.linalg.svd, same matrices, interleaved in one run\n");
    printf("  ranklab: threads=%d%s core=%s lapack=%s\n", o.threads,
           seen > 0 ? "" : " (asked; not settable)", bench_blas_core(), lapack_file());
    char dir[] = "/tmp/ranklab-bench-svd-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_svd: mkdtemp");
        return 1;
    }
    bench_peer peer_store;
    bench_peer *peer = bench_peer_start_python(&peer_store, o.python, o.peer, o.threads,
                                               "numpy:  ", "numpy");
    printf("  sides alternate R N N R ...; >= %d calls each and >= %.1f s per point; medians\n",
           MIN_REPS, o.budget);
    bench_print_load("  before: ");
    fflush(stdout);

    double t_start = bench_now();
    point pts[2 * MAX_SIZES];
    int npts = 0;
    char path[4096];
    for (int si = 0; si < o.nsizes; si++) {
        size_t n = o.sizes[si];
        rk_mat a = { 0 };
        raw_gesdd raw = { 0 };
        make_matrix(&a, n, dir, peer, path, sizeof path);
        if (o.breakdown)
            raw_setup(&raw, n);
        for (int mode = 0; mode < 2; mode++) {
            point *p = &pts[npts++];
            *p = (point){ .n = n, .vecs = mode == 1 };
            if (si == 0) { /* warm-up: libraries' first-call setup, thread start */
                point w = *p;
                for (int side = 0; side < SIDES; side++)
                    if ((side != SIDE_NP || peer) && (side != SIDE_RAW || o.breakdown))
                        call_side(side, &w, &a, &raw, peer);
            }
            if (!measure(p, &o, &a, &raw, peer)) {
                bench_peer_stop(peer);
                peer = NULL;
                p->reps[SIDE_NP] = 0;
            }
            printf("  n=%zu %s done\n", n, p->vecs ? "vecs" : "vals");
            fflush(stdout);
        }
        raw_free(&raw);
        rk_mat_free(&a);
        unlink(path);
    }
    if (peer)
        bench_peer_stop(peer);
    rmdir(dir);
    print_table(pts, npts, o.breakdown);
    printf("\nratio       median ranklab time / median numpy time (goal <= 1.05)\n"
           "pair ratio  median over rounds of ranklab/numpy for calls made side by side\n"
           "best ratio  fastest ranklab call / fastest numpy call\n"
           "cpu ratio   the median ratio for process CPU time instead of wall time\n"
           "sum(s) diff |sum(s_ranklab) - sum(s_numpy)| / sum(s_numpy): the same matrix\n");
    if (o.breakdown)
        printf("raw gesdd   LAPACKE_dgesdd_work alone on a ready copy and workspace; rk/raw = "
               "rk_svd_decomp's own overhead\n");
    bench_print_load("after: ");
    printf("total %.1f s\n", bench_now() - t_start);
    return 0;
}
