/*
 * bench_rsvd.c — randomized SVD against the exact SVD on large low-rank-plus-
 * noise matrices (a benchmark, not a test: it prints figures, asserts nothing).
 *
 * For each n (default 2048 and 4096) it builds A = G1·diag(d)·G2ᵀ/n + σ·E with
 * Gaussian G1, G2 (n×64), d_i = 100·0.9^i and noise σ = 0.01, then times in
 * the same run:
 *   - the exact SVD, values only and with (thin) vectors (rk_svd_decomp),
 *   - rk_rsvd for k = 8 and 32 (defaults: p = 10, q = 7), best of 3, once
 *     with the fixed q and once stopping early at tol = 1e-6,
 * and reports the ratio exact/randomized (wall clock and process CPU time)
 * and how far the relative Frobenius error ‖A − U_k·S_k·V_kᵀ‖_F/‖A‖_F lies
 * above the optimal (Eckart–Young) one "opt".
 *
 * usage: bench_rsvd [--save DIR] [N ...]
 *   --save DIR   also write DIR/lowrank_N.npy (float64, N×N) and
 *                DIR/lowrank_N.txt (per line: k, optimal error, ranklab's
 *                wall and CPU time, its error, mode, power iterations) for
 *                tests/bench/rsvd_sklearn.py.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "ranklab.h"

#ifdef RK_HAVE_OPENBLAS
#include <cblas.h>
#endif

enum { SIGNAL_RANK = 64, REPEATS = 3 };
#define TOL 1e-6 /* early-stop tolerance of the second mode */
static const size_t ks[] = { 8, 32 };

/* Wall-clock and process CPU seconds. On a shared machine the CPU time of a
 * single-threaded run is the steadier measure of the work done; with more
 * BLAS threads it adds up their (partly spinning) time. */
typedef struct stamp {
    double wall, cpu;
} stamp;

static double clock_s(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static stamp now(void)
{
    return (stamp){ clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID) };
}

static stamp since(stamp t0)
{
    stamp t1 = now();
    return (stamp){ t1.wall - t0.wall, t1.cpu - t0.cpu };
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

static void save_npy(const char *dir, size_t n, const rk_mat *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/lowrank_%zu.npy", dir, n);
    rk_err err;
    rk_status st = rk_npy_write(path, a, RK_DT_F64, &err);
    if (st) {
        fprintf(stderr, "bench_rsvd: %s: %s\n", path, rk_err_message(&err, st));
        exit(1);
    }
}

static void bench_size(size_t n, const char *save_dir)
{
    rk_mat a = { 0 };
    make_matrix(&a, n, 2024 + n);
    double fro = rk_mat_norm_fro(&a);

    rk_svd vals = { 0 }, full = { 0 };
    stamp t0 = now();
    rk_status st = rk_svd_decomp(&vals, &a, RK_SVD_VALUES);
    stamp t_vals = since(t0);
    if (st)
        die("exact SVD (values)", st);
    t0 = now();
    st = rk_svd_decomp(&full, &a, RK_SVD_THIN);
    stamp t_full = since(t0);
    if (st)
        die("exact SVD (vectors)", st);
    rk_svd_free(&full);

    FILE *txt = NULL;
    if (save_dir) {
        save_npy(save_dir, n, &a);
        char path[4096];
        snprintf(path, sizeof path, "%s/lowrank_%zu.txt", save_dir, n);
        txt = fopen(path, "w");
        if (!txt) {
            fprintf(stderr, "bench_rsvd: %s: %s\n", path, strerror(errno));
            exit(1);
        }
    }
    for (size_t t = 0; t < sizeof ks / sizeof ks[0]; t++) {
        size_t k = ks[t];
        double opt = 0.0;
        for (size_t i = k; i < vals.k; i++)
            opt += (vals.s[i] / fro) * (vals.s[i] / fro);
        opt = sqrt(opt);
        /* mode 0: q by scikit-learn's rule (its defaults); mode 1: the same
         * maximum with the early stop at tol = TOL */
        for (int mode = 0; mode < 2; mode++) {
            rk_rsvd_opts o = rk_rsvd_opts_default(k);
            o.tol = mode ? TOL : 0.0;
            rk_rsvd_stats stats = { 0, 0 };
            stamp best = { INFINITY, INFINITY };
            double err = 0.0;
            for (int rep = 0; rep < REPEATS; rep++) {
                rk_svd f = { 0 };
                t0 = now();
                st = rk_rsvd_with_stats(&f, &a, &o, &stats);
                stamp dt = since(t0);
                if (st)
                    die("randomized SVD", st);
                best.wall = fmin(best.wall, dt.wall);
                best.cpu = fmin(best.cpu, dt.cpu);
                if (rep == 0)
                    err = recon_error(&a, &f, k) / fro;
                rk_svd_free(&f);
            }
            printf("%5zu %3zu %-5s %2d | %7.2f %7.2f %7.3f %6.1fx %6.1fx | %7.2f %7.2f %7.3f %6.1fx "
                   "%6.1fx | %9.3e %9.1e\n",
                   n, k, mode ? "tol" : "fixed", stats.power_iters, t_vals.wall, t_full.wall,
                   best.wall, t_vals.wall / best.wall, t_full.wall / best.wall, t_vals.cpu,
                   t_full.cpu, best.cpu, t_vals.cpu / best.cpu, t_full.cpu / best.cpu, opt,
                   err / opt - 1.0);
            fflush(stdout);
            if (txt)
                fprintf(txt, "%zu %.17g %.9g %.9g %.17g %s %d\n", k, opt, best.wall, best.cpu, err,
                        mode ? "tol" : "fixed", stats.power_iters);
        }
    }
    if (txt && fclose(txt) != 0) {
        fprintf(stderr, "bench_rsvd: writing %s/lowrank_%zu.txt failed\n", save_dir, n);
        exit(1);
    }
    rk_svd_free(&vals);
    rk_mat_free(&a);
}

int main(int argc, char **argv)
{
    const char *save_dir = NULL;
    size_t sizes[16], nsizes = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--save") == 0 && i + 1 < argc) {
            save_dir = argv[++i];
            if (mkdir(save_dir, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "bench_rsvd: %s: %s\n", save_dir, strerror(errno));
                return 1;
            }
        } else if (nsizes < 16 && atol(argv[i]) >= 64) {
            sizes[nsizes++] = (size_t)atol(argv[i]);
        } else {
            fprintf(stderr, "usage: bench_rsvd [--save DIR] [N ...]   (N ≥ 64)\n");
            return 2;
        }
    }
    if (nsizes == 0) {
        sizes[0] = 2048;
        sizes[1] = 4096;
        nsizes = 2;
    }
#ifdef RK_HAVE_OPENBLAS
    printf("# BLAS: OpenBLAS, core %s, %d threads\n", openblas_get_corename(), openblas_get_num_threads());
#endif
    printf("# randomized SVD (p = 10, best of %d) vs exact SVD (gesdd, one run each), same process\n",
           REPEATS);
    printf("# fixed: q by scikit-learn's rule (7 for these k); tol: same maximum, early stop at %.0e\n",
           TOL);
    printf("# A = low rank (64, σ_i ∝ 0.9^i) + 0.01·noise; err = ‖A − A_k‖_F/‖A‖_F, opt = Eckart–Young\n");
    printf("%5s %3s %-5s %2s | %-46s | %-46s | %9s %9s\n", "", "", "", "",
           "wall clock: exact values, with vectors, rsvd", "process CPU: the same", "", "");
    printf("%5s %3s %-5s %2s | %7s %7s %7s %7s %7s | %7s %7s %7s %7s %7s | %9s %9s\n", "n", "k",
           "mode", "q", "vals[s]", "usv[s]", "rsvd[s]", "×vals", "×usv", "vals[s]", "usv[s]",
           "rsvd[s]", "×vals", "×usv", "opt", "err/opt-1");
    for (size_t i = 0; i < nsizes; i++)
        bench_size(sizes[i], save_dir);
    return 0;
}
