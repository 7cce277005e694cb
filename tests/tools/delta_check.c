/*
 * delta_check.c — fixtures and checks for tests/tools/test_delta.sh.
 *
 *   delta_check fixtures DIR
 *       DIR/base.npy     20×13 Gaussian (seed 1)
 *       DIR/ft.npy       base + an exactly rank-3 update (U·V, U 20×3, V 3×13)
 *       DIR/wide.npy     20×14 Gaussian (a shape that does not fit)
 *       DIR/base.safetensors, DIR/ft.safetensors (float64):
 *         linear1.weight  16×12, ft = base + rank-2 update
 *         linear2.weight   8×16, ft = base + rank-5 update
 *         linear1.bias    16 (1-d: skipped, not a matrix)
 *         shape.weight     5×6 in base, 6×5 in ft (skipped: shapes differ)
 *         only_base.weight 4×4, only_ft.weight 4×4 (skipped: in one file)
 *       DIR/bigbase.npy  600×520 Gaussian, DIR/bigft.npy = bigbase + a rank-4
 *                        update: large enough for the randomized SVD
 *
 *   delta_check check ADAPTER BASE FT R [TENSOR]
 *       Read ADAPTER with lib/io/peft.h, find the module of TENSOR (or the
 *       only module), and compare W0 + s·B·A with W0 + [ΔW]_R, ΔW = FT − BASE
 *       ([ΔW]_R from the SVD in double). Prints the max abs difference and its
 *       ratio to ‖ΔW‖₂·max(m, n)·ε_f32 (the factors are float32); exit 0 when
 *       the ratio is below 10, 1 otherwise.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranklab.h"

static int die(const char *what, rk_status s, const rk_err *err)
{
    fprintf(stderr, "delta_check: %s: %s\n", what, rk_err_message(err, s));
    exit(2);
}

static void gauss(rk_mat *x, size_t m, size_t n, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_status s = rk_mat_create(x, m, n);
    if (s != RK_OK)
        die("alloc", s, NULL);
    rk_mat_fill_normal(x, &rng);
}

/* x = base + U·V with U m×r, V r×n Gaussian. */
static void plus_rank(rk_mat *x, const rk_mat *base, size_t r, uint64_t seed)
{
    rk_mat u, v;
    gauss(&u, base->rows, r, seed);
    gauss(&v, r, base->cols, seed + 100);
    rk_status s = rk_mat_dup(x, base);
    if (s == RK_OK)
        s = rk_mat_gemm(false, false, 1.0, &u, &v, 1.0, x);
    if (s != RK_OK)
        die("plus_rank", s, NULL);
    rk_mat_free(&u);
    rk_mat_free(&v);
}

static void add(rk_st_writer *w, const char *name, const rk_mat *x, int ndim)
{
    size_t shape[2] = { x->rows, x->cols };
    if (ndim == 1)
        shape[0] = x->cols;
    rk_status s = rk_st_writer_add_f64(w, name, x->data, ndim, shape);
    if (s != RK_OK)
        die(name, s, NULL);
}

static void save_npy(const char *dir, const char *name, const rk_mat *x)
{
    char path[4096];
    rk_err err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rk_status s = rk_npy_write(path, x, RK_DT_F64, &err);
    if (s != RK_OK)
        die(path, s, &err);
}

static void save_st(rk_st_writer *w, const char *dir, const char *name)
{
    char path[4096];
    rk_err err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    rk_status s = rk_st_writer_save(w, path, &err);
    if (s != RK_OK)
        die(path, s, &err);
    rk_st_writer_free(w);
}

static int fixtures(const char *dir)
{
    rk_mat base, ft, wide;
    gauss(&base, 20, 13, 1);
    plus_rank(&ft, &base, 3, 2);
    gauss(&wide, 20, 14, 3);
    save_npy(dir, "base.npy", &base);
    save_npy(dir, "ft.npy", &ft);
    save_npy(dir, "wide.npy", &wide);
    rk_mat_free(&base);
    rk_mat_free(&ft);
    rk_mat_free(&wide);
    gauss(&base, 600, 520, 4);
    plus_rank(&ft, &base, 4, 5);
    save_npy(dir, "bigbase.npy", &base);
    save_npy(dir, "bigft.npy", &ft);
    rk_mat_free(&base);
    rk_mat_free(&ft);

    rk_mat l1, l1f, l2, l2f, bias, biasf, sh, shf, ob, of;
    gauss(&l1, 16, 12, 10);
    plus_rank(&l1f, &l1, 2, 11);
    gauss(&l2, 8, 16, 20);
    plus_rank(&l2f, &l2, 5, 21);
    gauss(&bias, 1, 16, 30);
    gauss(&biasf, 1, 16, 31);
    gauss(&sh, 5, 6, 40);
    gauss(&shf, 6, 5, 41);
    gauss(&ob, 4, 4, 50);
    gauss(&of, 4, 4, 51);
    rk_st_writer *w;
    if (rk_st_writer_new(&w) != RK_OK)
        die("writer", RK_ENOMEM, NULL);
    add(w, "linear1.weight", &l1, 2);
    add(w, "linear2.weight", &l2, 2);
    add(w, "linear1.bias", &bias, 1);
    add(w, "shape.weight", &sh, 2);
    add(w, "only_base.weight", &ob, 2);
    save_st(w, dir, "base.safetensors");
    if (rk_st_writer_new(&w) != RK_OK)
        die("writer", RK_ENOMEM, NULL);
    add(w, "linear1.weight", &l1f, 2);
    add(w, "linear2.weight", &l2f, 2);
    add(w, "linear1.bias", &biasf, 1);
    add(w, "shape.weight", &shf, 2);
    add(w, "only_ft.weight", &of, 2);
    save_st(w, dir, "ft.safetensors");
    rk_mat *all[] = { &l1, &l1f, &l2, &l2f, &bias, &biasf, &sh, &shf, &ob, &of };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rk_mat_free(all[i]);
    return 0;
}

/* "x.weight" → module "x" (as ranklab extract names it). */
static const rk_peft_module *find_module(const rk_peft_adapter *ad, const char *tensor)
{
    if (!tensor)
        return ad->n_modules == 1 ? &ad->modules[0] : NULL;
    size_t len = strlen(tensor);
    if (len > 7 && !strcmp(tensor + len - 7, ".weight"))
        len -= 7;
    for (size_t i = 0; i < ad->n_modules; i++)
        if (strlen(ad->modules[i].name) == len && !strncmp(ad->modules[i].name, tensor, len))
            return &ad->modules[i];
    return NULL;
}

static void load(const char *spec, rk_mat *x)
{
    rk_err err;
    rk_status s = rk_matrix_load(spec, x, &err);
    if (s != RK_OK)
        die(spec, s, &err);
}

static int check(const char *adapter, const char *base, const char *ft, size_t r, const char *tensor)
{
    char sb[4096], sf[4096];
    if (tensor) {
        snprintf(sb, sizeof sb, "%s:%s", base, tensor);
        snprintf(sf, sizeof sf, "%s:%s", ft, tensor);
        base = sb;
        ft = sf;
    }
    rk_peft_adapter ad;
    rk_err err;
    rk_status s = rk_peft_read(&ad, adapter, &err);
    if (s != RK_OK)
        die(adapter, s, &err);
    const rk_peft_module *mod = find_module(&ad, tensor);
    if (!mod || mod->r != r) {
        fprintf(stderr, "delta_check: no module of rank %zu for %s\n", r, tensor ? tensor : "the pair");
        return 1;
    }
    rk_mat w0, w1, d, dr, got, want;
    load(base, &w0);
    load(ft, &w1);
    if ((s = rk_mat_dup(&d, &w1)) != RK_OK || (s = rk_mat_axpy(&d, -1.0, &w0)) != RK_OK)
        die("delta", s, NULL);
    rk_svd svd;
    if ((s = rk_svd_decomp(&svd, &d, RK_SVD_THIN)) != RK_OK || (s = rk_lowrank_approx(&dr, &svd, r)) != RK_OK)
        die("svd", s, NULL);
    /* want = W0 + [ΔW]_R; got = W0 + s·B·A */
    if ((s = rk_mat_dup(&want, &w0)) != RK_OK || (s = rk_mat_axpy(&want, 1.0, &dr)) != RK_OK ||
        (s = rk_mat_dup(&got, &w0)) != RK_OK ||
        (s = rk_mat_gemm(false, false, mod->scale, &mod->b, &mod->a, 1.0, &got)) != RK_OK)
        die("product", s, NULL);
    double diff = rk_mat_max_abs_diff(&got, &want);
    size_t mx = d.rows > d.cols ? d.rows : d.cols;
    double scale = svd.s[0] * (double)mx * FLT_EPSILON;
    double ratio = scale > 0 ? diff / scale : diff;
    printf("max |W0 + s*B*A - (W0 + [dW]_R)| = %.3g, ratio to ||dW||_2*max(m,n)*eps_f32 = %.3g (scale %g)\n",
           diff, ratio, mod->scale);
    rk_mat *all[] = { &w0, &w1, &d, &dr, &got, &want };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rk_mat_free(all[i]);
    rk_svd_free(&svd);
    rk_peft_free(&ad);
    return ratio < 10 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "fixtures"))
        return fixtures(argv[2]);
    if ((argc == 6 || argc == 7) && !strcmp(argv[1], "check"))
        return check(argv[2], argv[3], argv[4], (size_t)strtoul(argv[5], NULL, 10), argc == 7 ? argv[6] : NULL);
    fprintf(stderr, "usage: delta_check fixtures DIR | check ADAPTER BASE FT R [TENSOR]\n");
    return 2;
}
