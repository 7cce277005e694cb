/*
 * bench_rsvd.c — ranklab's randomized SVD against scikit-learn's
 * randomized_svd and against the exact SVD, on the same low-rank-plus-noise
 * matrices, timed call by call in one run (a benchmark: it prints tables,
 * asserts nothing).
 *
 * For each n (default 2048 and 4096) it builds A = G1·diag(d)·G2ᵀ/n + σ·E
 * with Gaussian G1, G2 (n×64), d_i = 100·0.9^i and noise σ = 0.01, writes it
 * with rk_npy_write for the scikit-learn peer (rsvd_sklearn.py, a co-process,
 * see peer.h), times the exact SVD once (values only, and with thin vectors;
 * rk_svd_decomp) and then, for k = 8 and 32, calls in rotating order
 *   - scikit-learn's randomized_svd with its defaults (p = 10, n_iter 'auto'
 *     = 7 here, LU normaliser),
 *   - rk_rsvd in several configurations (precision, normaliser, early stop),
 *     all with p = 10 and the same q = 7,
 * REPS times each, and reports medians and the ratios
 *   ×sklearn = scikit-learn's time / this time   (≥ 2: twice as fast),
 *   ×vals, ×usv = exact SVD's time / this time,
 * and err/opt − 1, how far the relative Frobenius error
 * ‖A − U_k·S_k·V_kᵀ‖_F/‖A‖_F lies above the optimal (Eckart–Young) one,
 * √(Σ_{i>k} σ_i²)/‖A‖_F from the exact singular values; both sides' errors
 * are computed the same way, after the clock stopped.
 *
 * usage: bench_rsvd [--peer SCRIPT] [--python PATH] [--sizes N,...] [--threads T]
 *                   [--reps R] [--save DIR] [--no-vectors]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchutil.h"
#include "peer.h"
#include "ranklab.h"

enum { SIGNAL_RANK = 64, MAX_SIZES = 8, MAX_REPS = 9, NVARIANTS = 7, SIDES = NVARIANTS + 1 };
#define TOL 1e-6 /* early-stop tolerance of the tol variants */
static const size_t ks[] = { 8, 32 };

/* The ranklab configurations; the first listed is the default of rk_rsvd_opts_default(). */
typedef struct variant {
    const char *name;
    rk_rsvd_precision prec;
    rk_rsvd_normalizer norm;
    double tol;
    size_t align;
} variant;

static const variant variants[NVARIANTS] = {
    { "ranklab default (mixed LU)", RK_RSVD_PREC_AUTO, RK_RSVD_NORM_AUTO, 0.0, RK_RSVD_ALIGN },
    { "ranklab mixed QR", RK_RSVD_PREC_MIXED, RK_RSVD_NORM_QR, 0.0, RK_RSVD_ALIGN },
    { "ranklab mixed LU, align 1", RK_RSVD_PREC_MIXED, RK_RSVD_NORM_LU, 0.0, 1 },
    { "ranklab mixed tol 1e-6", RK_RSVD_PREC_MIXED, RK_RSVD_NORM_QR, TOL, RK_RSVD_ALIGN },
    { "ranklab double LU", RK_RSVD_PREC_DOUBLE, RK_RSVD_NORM_LU, 0.0, RK_RSVD_ALIGN },
    { "ranklab double QR, align 1", RK_RSVD_PREC_DOUBLE, RK_RSVD_NORM_QR, 0.0, 1 },
    { "ranklab double tol, align 1", RK_RSVD_PREC_DOUBLE, RK_RSVD_NORM_QR, TOL, 1 },
};

typedef struct options {
    size_t sizes[MAX_SIZES];
    int nsizes, threads, reps;
    bool vectors;
    const char *peer, *python, *save;
} options;

/* Timings of one side at one (n, k). */
typedef struct side {
    int reps;
    double wall[MAX_REPS], cpu[MAX_REPS];
    double err;            /* relative error of the first call */
    rk_rsvd_stats stats;   /* ranklab sides */
} side;

static void usage(FILE *f)
{
    fprintf(f, "usage: bench_rsvd [--peer SCRIPT] [--python PATH] [--sizes N,...] [--threads T] "
               "[--reps R] [--save DIR] [--no-vectors]\n");
}

static int parse_sizes(const char *s, options *o)
{
    long v[MAX_SIZES];
    if ((o->nsizes = bench_parse_list(s, 64, 16384, v, MAX_SIZES)) < 0)
        return -1;
    for (int k = 0; k < o->nsizes; k++)
        o->sizes[k] = (size_t)v[k];
    return 0;
}

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){ { 2048, 4096 }, 2, 1, 3, true, NULL, "/usr/bin/python3", NULL };
    o->threads = bench_default_threads();
    for (int i = 1; i < argc; i++) {
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--peer") && arg)
            o->peer = argv[++i];
        else if (!strcmp(argv[i], "--python") && arg)
            o->python = argv[++i];
        else if (!strcmp(argv[i], "--save") && arg)
            o->save = argv[++i];
        else if (!strcmp(argv[i], "--threads") && arg && atoi(arg) > 0)
            o->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && arg && atoi(arg) > 0 && atoi(arg) <= MAX_REPS)
            o->reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sizes") && arg) {
            if (parse_sizes(argv[++i], o))
                return -1;
        } else if (!strcmp(argv[i], "--no-vectors"))
            o->vectors = false;
        else if (!strcmp(argv[i], "--help")) {
            usage(stdout);
            exit(0);
        } else
            return -1;
    }
    return 0;
}

static void die(const char *what, rk_status st)
{
    fprintf(stderr, "bench_rsvd: %s: %s\n", what, rk_strerror(st));
    exit(1);
}

/* A = G1·diag(d)·G2ᵀ/n + 0.01·E (n×n), seeded. */
static void make_matrix(rk_mat *a, size_t n, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat g1 = { 0 }, g2 = { 0 };
    rk_status st = rk_mat_create(&g1, n, SIGNAL_RANK);
    if (!st)
        st = rk_mat_create(&g2, n, SIGNAL_RANK);
    if (!st)
        st = rk_mat_create(a, n, n);
    if (st)
        die("allocating the test matrix", st);
    rk_mat_fill_normal(&g1, &rng);
    rk_mat_fill_normal(&g2, &rng);
    rk_mat_fill_normal(a, &rng);
    rk_mat_scale(a, 0.01);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < SIGNAL_RANK; j++)
            RK_AT(&g1, i, j) *= 100.0 * pow(0.9, (double)j) / (double)n;
    st = rk_mat_gemm(false, true, 1.0, &g1, &g2, 1.0, a);
    if (st)
        die("building the test matrix", st);
    rk_mat_free(&g1);
    rk_mat_free(&g2);
}

/* ‖A − U·diag(s)·Vt‖_F with the first k triplets. */
static double recon_error(const rk_mat *a, const rk_svd *f, size_t k)
{
    rk_mat us = { 0 }, r = { 0 };
    rk_mat u = rk_mat_view_cols(&f->u, 0, k), vt = rk_mat_view_rows(&f->vt, 0, k);
    rk_status st = rk_mat_dup(&us, &u);
    if (!st)
        st = rk_mat_dup(&r, a);
    if (st)
        die("error matrix", st);
    for (size_t i = 0; i < us.rows; i++)
        for (size_t j = 0; j < k; j++)
            RK_AT(&us, i, j) *= f->s[j];
    st = rk_mat_gemm(false, false, -1.0, &us, &vt, 1.0, &r);
    if (st)
        die("error product", st);
    double e = rk_mat_norm_fro(&r);
    rk_mat_free(&us);
    rk_mat_free(&r);
    return e;
}

/* One timed call of side @p si (0: scikit-learn, 1 + v: variant v) for the top k. */
static bool call_side(int si, side *sd, const rk_mat *a, size_t k, int rep, bench_peer *peer)
{
    double fro = rk_mat_norm_fro(a);
    if (si == 0) {
        char req[128], reply[256];
        double w, c, err;
        snprintf(req, sizeof req, "rsvd %zu %d auto", k, rep);
        if (!bench_peer_ask(peer, req, reply, sizeof reply) ||
            sscanf(reply, "time %lf %lf %lf", &w, &c, &err) != 3) {
            fprintf(stderr, "bench_rsvd: scikit-learn peer failed (%s)\n", reply);
            return false;
        }
        sd->wall[sd->reps] = w;
        sd->cpu[sd->reps] = c;
        if (sd->reps++ == 0)
            sd->err = err;
        return true;
    }
    const variant *v = &variants[si - 1];
    rk_rsvd_opts o = rk_rsvd_opts_default(k);
    o.precision = v->prec;
    o.normalizer = v->norm;
    o.tol = v->tol;
    o.align = v->align;
    o.seed = (uint64_t)rep;
    rk_svd f = { 0 };
    double w0 = bench_now(), c0 = bench_cpu_seconds();
    rk_status st = rk_rsvd_with_stats(&f, a, &o, &sd->stats);
    sd->wall[sd->reps] = bench_now() - w0;
    sd->cpu[sd->reps] = bench_cpu_seconds() - c0;
    if (st)
        die("rk_rsvd", st);
    if (sd->reps++ == 0)
        sd->err = recon_error(a, &f, k) / fro;
    rk_svd_free(&f);
    return true;
}

static double med(const double *v, int n)
{
    double tmp[MAX_REPS];
    memcpy(tmp, v, (size_t)n * sizeof *v);
    return bench_median(tmp, (size_t)n);
}

/* The rows of one (n, k): every side, with its ratios to scikit-learn and the exact SVD. */
static void print_point(size_t n, size_t k, const side *sides, bool have_peer, double opt,
                        double t_vals, double t_usv)
{
    double skl = have_peer ? med(sides[0].wall, sides[0].reps) : 0.0;
    double skl_cpu = have_peer ? med(sides[0].cpu, sides[0].reps) : 0.0;
    for (int si = have_peer ? 0 : 1; si < SIDES; si++) {
        const side *sd = &sides[si];
        double w = med(sd->wall, sd->reps), c = med(sd->cpu, sd->reps);
        char prods[32] = "16";
        rk_rsvd_opts dflt = rk_rsvd_opts_default(k);
        int q = rk_rsvd_power_iters(&dflt, n, n); /* scikit-learn's n_iter='auto' rule */
        size_t l = k + 10;
        if (si > 0) {
            q = sd->stats.power_iters;
            l = sd->stats.columns;
            snprintf(prods, sizeof prods, "%d/%d", sd->stats.products_single, sd->stats.products);
        } else {
            snprintf(prods, sizeof prods, "0/%d", 2 * q + 2);
        }
        printf("%5zu %3zu  %-28s %3zu %2d %7s %8.1f", n, k,
               si ? variants[si - 1].name : "scikit-learn (LU, default)", l, q, prods, 1e3 * w);
        if (have_peer)
            printf(" %7.2fx %7.2fx", skl / w, skl_cpu / c);
        else
            printf(" %8s %8s", "-", "-");
        printf(" %7.1fx", t_vals / w);
        if (t_usv > 0)
            printf(" %7.1fx", t_usv / w);
        else
            printf(" %8s", "-");
        printf(" %10.1e\n", sd->err / opt - 1.0);
    }
    /* the default (side 1) in words; at 4096², k = 32 against the goals */
    const side *d = &sides[1];
    double w = med(d->wall, d->reps), r_skl = have_peer ? skl / w : 0.0;
    double r_exact = (t_usv > 0 ? t_usv : t_vals) / w, e = d->err / opt - 1.0;
    printf("%5zu %3zu  -> default on %s (%s): ", n, k, bench_cpu_model(), bench_blas_core());
    if (have_peer)
        printf("%.2fx scikit-learn's speed, ", r_skl);
    printf("%.0fx the exact SVD's%s, err/opt-1 %.1e", r_exact, t_usv > 0 ? " with vectors" : " (values)",
           e);
    printf(" -- goals >= 2.5x scikit-learn: %s, err within 1%%: %s",
           !have_peer ? "not measured" : r_skl >= 2.5 ? "met" : "NOT met", e < 0.01 ? "met" : "NOT met");
    if (n == 4096 && k == 32)
        printf(", >= 10x exact: %s", r_exact >= 10.0 ? "met" : "NOT met");
    printf("\n");
}

static void save_npy(const char *path, const rk_mat *a)
{
    rk_err err;
    rk_status st = rk_npy_write(path, a, RK_DT_F64, &err);
    if (st) {
        fprintf(stderr, "bench_rsvd: %s: %s\n", path, rk_err_message(&err, st));
        exit(1);
    }
}

static bool bench_size(size_t n, const options *o, const char *dir, bench_peer *peer)
{
    rk_mat a = { 0 };
    make_matrix(&a, n, 2024 + n);
    double fro = rk_mat_norm_fro(&a);
    char path[4096];
    snprintf(path, sizeof path, "%s/lowrank_%zu.npy", o->save ? o->save : dir, n);
    save_npy(path, &a);
    char req[4200], reply[256] = "";
    snprintf(req, sizeof req, "load %s", path);
    if (peer && (!bench_peer_ask(peer, req, reply, sizeof reply) || strncmp(reply, "ok ", 3))) {
        fprintf(stderr, "bench_rsvd: the peer could not load %s: %s\n", path, reply);
        return false;
    }
    if (!o->save)
        unlink(path);

    rk_svd vals = { 0 }, full = { 0 };
    double t0 = bench_now();
    rk_status st = rk_svd_decomp(&vals, &a, RK_SVD_VALUES);
    double t_vals = bench_now() - t0, t_usv = 0.0;
    if (st)
        die("exact SVD (values)", st);
    if (o->vectors) {
        t0 = bench_now();
        st = rk_svd_decomp(&full, &a, RK_SVD_THIN);
        t_usv = bench_now() - t0;
        if (st)
            die("exact SVD (vectors)", st);
        rk_svd_free(&full);
    }
    printf("  n=%zu: exact SVD %.2f s (values)%s\n", n, t_vals, o->vectors ? "" : ", vectors skipped");
    if (o->vectors)
        printf("  n=%zu: exact SVD %.2f s (thin vectors)\n", n, t_usv);
    fflush(stdout);
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        size_t k = ks[t];
        double opt = 0.0;
        for (size_t i = k; i < vals.k; i++)
            opt += (vals.s[i] / fro) * (vals.s[i] / fro);
        opt = sqrt(opt);
        side sides[SIDES];
        memset(sides, 0, sizeof sides);
        for (int rep = 0; rep < o->reps; rep++)
            for (int j = 0; j < SIDES; j++) {
                int si = (j + rep * 3) % SIDES; /* rotate the order from round to round */
                if (si == 0 && !peer)
                    continue;
                if (o->threads > 1)
                    bench_settle();
                if (!call_side(si, &sides[si], &a, k, rep, peer))
                    return false;
            }
        print_point(n, k, sides, peer != NULL, opt, t_vals, t_usv);
        fflush(stdout);
    }
    rk_svd_free(&vals);
    rk_mat_free(&a);
    return true;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o)) {
        usage(stderr);
        return 2;
    }
    int seen = rk_blas_set_threads(o.threads);
    printf("bench_rsvd: rk_rsvd vs scikit-learn's randomized_svd vs the exact SVD, same matrices, "
           "interleaved in one run\n");
    printf("  CPU: %s, %ld online\n", bench_cpu_model(), sysconf(_SC_NPROCESSORS_ONLN));
    printf("  ranklab: threads=%d%s core=%s\n", o.threads, seen > 0 ? "" : " (asked; not settable)",
           bench_blas_core());
    char dir[] = "/tmp/ranklab-bench-rsvd-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_rsvd: mkdtemp");
        return 1;
    }
    if (o.save && mkdir(o.save, 0777) != 0 && access(o.save, W_OK) != 0) {
        perror("bench_rsvd: --save");
        return 1;
    }
    bench_peer peer_store;
    bench_peer *peer = bench_peer_start_python(&peer_store, o.python, o.peer, o.threads,
                                               "scikit-learn:", "scikit-learn");
    printf("  A = low rank (64, σ_i ∝ 0.9^i) + 0.01·noise, n×n; p >= 10 and the same q on every side; "
           "%d calls per side, order rotated; medians\n", o.reps);
    bench_print_load("  before: ");
    double t_start = bench_now();
    printf("\n%5s %3s  %-28s %3s %2s %7s %8s %8s %8s %8s %8s %10s\n", "n", "k", "method", "l", "q", "f32/all",
           "ms", "×sklearn", "cpu×skl", "×vals", "×usv", "err/opt-1");
    fflush(stdout);
    bool ok = true;
    for (int i = 0; i < o.nsizes && ok; i++)
        ok = bench_size(o.sizes[i], &o, dir, peer);
    if (peer)
        bench_peer_stop(peer);
    rmdir(dir);
    printf("\nl           sketch columns: k + 10, rounded up to a multiple of 16 (opts.align, the default)\n"
           "            when that adds at most a quarter; align 1: never\n"
           "q           power iterations run (scikit-learn: n_iter='auto', 7 for k < 0.1·n, else 4)\n"
           "f32/all     products with A in float32 / all products with A\n"
           "ms          median wall-clock time of one call\n"
           "×sklearn    scikit-learn's median time / this one (goal for the default: >= 2.5)\n"
           "cpu×skl     the same with process CPU time\n"
           "×vals ×usv  the exact SVD's time (values only / thin vectors, one call) / this one "
           "(goal at n=4096, k=32: >= 10)\n"
           "err/opt-1   relative Frobenius error / the optimal rank-k one − 1 (goal: < 0.01)\n");
    bench_print_load("after: ");
    printf("total %.1f s\n", bench_now() - t_start);
    return ok ? 0 : 1;
}
