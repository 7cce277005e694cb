/*
 * tutorial02.c — lesson 2, "Low-rank approximation": Eckart–Young on a real
 * image, one step at a time (docs/tutorials/02-low-rank-approximation.md).
 *
 * The image A is a 280×280 grid of 10×10 Fashion-MNIST test items (pixels in
 * [0, 1]). The lesson takes its SVD, reconstructs it at ranks 1, 5, 20, 50
 * (A_k = U_k·S_k·V_kᵀ), checks that the error ‖A − A_k‖_F formed from the
 * difference equals the tail energy √(Σ_{i>k} σ_i²) of the spectrum, shows
 * the scree plot and the cumulative energy, and compares the storage of the
 * factors, k·(m+n), with the m·n pixels.
 *
 * Shapes: m = n = 280 (GRID·28), k = min(m, n) = 280 singular values.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "tut_plots.h"

#define DOC "docs/tutorials/02-low-rank-approximation.md"

enum { GRID = 10, SIDE = 28, N_RANKS = 4 };
static const size_t ranks[N_RANKS] = { 1, 5, 20, 50 };

typedef struct lesson2 {
    const char *data_dir;   /* --data, NULL = rk_dataset_default_dir() */
    size_t first;           /* --first: index of the first test item in the grid */
    rk_mat a;               /* (280, 280) the image */
    unsigned char labels[GRID * GRID];
    rk_svd svd;             /* thin SVD of a */
    double tol;             /* numerical-rank tolerance of a */
    rk_mat ak[N_RANKS];     /* reconstructions at ranks[] */
} lesson2;

/* ---- step 1 ------------------------------------------------------------ */

static rk_status step_image(tut_runner *t, void *ctx)
{
    lesson2 *L = ctx;
    rk_dataset test = { 0 };
    rk_err err;
    rk_status s = rk_dataset_load_split(&test, L->data_dir, RK_DATASET_TEST, &err);
    if (s != RK_OK) {
        fprintf(stderr, "ranklab-tutorial-02: %s\n", rk_err_message(&err, s));
        return s;
    }
    if (test.dim != SIDE * SIDE || test.n < L->first + GRID * GRID) {
        fprintf(stderr, "ranklab-tutorial-02: the test set has %zu items of %zu pixels; "
                        "the grid needs %d items of %d pixels from item %zu\n",
                test.n, test.dim, GRID * GRID, SIDE * SIDE, L->first);
        rk_dataset_free(&test);
        return RK_EDATA;
    }
    s = rk_mat_create(&L->a, GRID * SIDE, GRID * SIDE);
    if (s != RK_OK) {
        rk_dataset_free(&test);
        return s;
    }
    /* item g goes to block (g / GRID, g % GRID): A[28·bi + r, 28·bj + c] = pixel (r, c) */
    size_t counts[RK_DATASET_CLASSES] = { 0 };
    for (size_t g = 0; g < GRID * GRID; g++) {
        const float *img = test.x + (L->first + g) * test.dim;
        size_t bi = g / GRID, bj = g % GRID;
        L->labels[g] = test.y[L->first + g];
        counts[L->labels[g]]++;
        for (size_t r = 0; r < SIDE; r++)
            for (size_t c = 0; c < SIDE; c++)
                RK_AT(&L->a, bi * SIDE + r, bj * SIDE + c) = img[r * SIDE + c];
    }
    rk_dataset_free(&test);
    tut_printf(t, "test items %zu..%zu of %s, pixels p/255 in [0, 1]\n", L->first,
               L->first + GRID * GRID - 1, L->data_dir ? L->data_dir : rk_dataset_default_dir());
    tut_printf(t, "A: %zu×%zu = a %d×%d grid of %d×%d items,  ‖A‖_F = %.3f\n", L->a.rows,
               L->a.cols, GRID, GRID, SIDE, SIDE, rk_mat_norm_fro(&L->a));
    tut_printf(t, "items per class:\n");
    for (int c = 0; c < RK_DATASET_CLASSES; c++)
        tut_printf(t, "  %d %-12s %2zu%s", c, rk_dataset_class_name((size_t)c), counts[c],
                   c % 4 == 3 || c + 1 == RK_DATASET_CLASSES ? "\n" : "");
    tut_printf(t, "\nThe top-left 2×5 items (rows × columns), one character per 4×2 pixels:\n");
    tut_ascii_image(t, &L->a, 0, 0, 2 * SIDE, 5 * SIDE, 4, 2);
    tut_check(t, "m", "%zu", L->a.rows);
    tut_check(t, "n", "%zu", L->a.cols);
    tut_check(t, "norm_fro", "%.9e", rk_mat_norm_fro(&L->a));
    return RK_OK;
}

/* ---- step 2 ------------------------------------------------------------ */

static rk_status step_svd(tut_runner *t, void *ctx)
{
    lesson2 *L = ctx;
    rk_status s = rk_svd_decomp(&L->svd, &L->a, RK_SVD_THIN);
    if (s != RK_OK)
        return s;
    const double *sv = L->svd.s;
    size_t k = L->svd.k;
    size_t rank = rk_rank_from_values(sv, k, L->a.rows, L->a.cols, NULL, &L->tol);
    tut_printf(t, "A = U·diag(σ)·Vᵀ:  U %zu×%zu   σ %zu   Vᵀ %zu×%zu\n\n", L->svd.u.rows,
               L->svd.u.cols, k, L->svd.vt.rows, L->svd.vt.cols);
    tut_printf(t, "  σ₁   = %8.3f   σ₂   = %8.3f   σ₃   = %8.3f\n", sv[0], sv[1], sv[2]);
    tut_printf(t, "  σ₁₀  = %8.3f   σ₂₀  = %8.3f   σ₅₀  = %8.3f\n", sv[9], sv[19], sv[49]);
    tut_printf(t, "  σ₁₀₀ = %8.3f   σ₂₀₀ = %8.3f   σ_%zu = %.2e\n", sv[99], sv[199], k, sv[k - 1]);
    tut_printf(t, "\nnumerical rank (σ_i > σ₁·max(m,n)·ε = %.2e): %zu of %zu\n", L->tol, rank, k);
    tut_printf(t, "σ₁ holds %.1f%% of the energy Σσ²: the mean brightness pattern every item shares.\n",
               100.0 * rk_spectrum_energy(sv, k, 1));
    tut_check(t, "k", "%zu", k);
    tut_check(t, "rank", "%zu", rank);
    tut_check(t, "sigma1", "%.9e", sv[0]);
    return RK_OK;
}

/* ---- step 3 ------------------------------------------------------------ */

static rk_status step_scree(tut_runner *t, void *ctx)
{
    lesson2 *L = ctx;
    const double *sv = L->svd.s;
    size_t k = L->svd.k;
    static const size_t at[] = { 1, 2, 5, 10, 20, 50, 100, 140, 200 };
    tut_printf(t, "     k     σ_k     energy of the first k = Σ_{i≤k}σ²/Σσ²\n");
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        double e = rk_spectrum_energy(sv, k, at[i]);
        int bar = (int)lround(40.0 * e);
        tut_printf(t, "  %4zu  %7.3f   %7.4f  %.*s\n", at[i], sv[at[i] - 1], e, bar,
                   "########################################");
    }
    size_t r90 = rk_spectrum_rank_for_energy(sv, k, 0.90);
    size_t r99 = rk_spectrum_rank_for_energy(sv, k, 0.99);
    size_t r999 = rk_spectrum_rank_for_energy(sv, k, 0.999);
    tut_printf(t, "\nenergy 90%% needs k = %zu, 99%% k = %zu, 99.9%% k = %zu (of %zu)\n", r90, r99,
               r999, k);
    tut_printf(t, "stable rank ‖A‖_F²/σ₁² = %.2f   effective rank exp(H) = %.1f\n"
                  "(H = −Σ p_i·log p_i with p_i = σ_i/Σσ: the entropy of the spectrum)\n",
               rk_spectrum_stable_rank(sv, k), rk_spectrum_effective_rank(sv, k));
    double e1 = rk_spectrum_energy(sv, k, 1);
    tut_printf(t, "\nA_k keeps the energy E(k) and misses the rest, so its relative error is\n"
                  "√(1 − E(k)): k = 1 keeps %.0f%% and is %.0f%% off (step 5 measures it).\n",
               100.0 * e1, 100.0 * sqrt(1.0 - e1));
    tut_check(t, "rank90", "%zu", r90);
    tut_check(t, "rank99", "%zu", r99);
    tut_check(t, "energy_at_50", "%.9e", rk_spectrum_energy(sv, k, 50));
    tut_scree(t, sv, k, L->tol, "Lesson 2: scree plot of the Fashion-MNIST grid", "scree");
    return RK_OK;
}

/* ---- step 4 ------------------------------------------------------------ */

/* Write A_k into --out as .npy, .pgm and (with lib/plot) .png. */
static rk_status save_image(tut_runner *t, const rk_mat *img, const char *name, const char *title)
{
    const char *dir = tut_out_dir(t);
    if (!dir || tut_quiet(t))
        return RK_OK;
    char path[4096];
    rk_err err;
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    rk_status s = rk_npy_write(path, img, RK_DT_F64, &err);
    if (s == RK_OK) {
        snprintf(path, sizeof path, "%s/%s.pgm", dir, name);
        s = tut_write_pgm(path, img, &err);
    }
    if (s != RK_OK) {
        fprintf(stderr, "ranklab-tutorial-02: %s: %s\n", path, rk_err_message(&err, s));
        return s;
    }
    bool png = tut_image_png(t, img, name, title);
    tut_printf(t, "  wrote %s/%s.npy, .pgm%s\n", dir, name, png ? ", .png" : "");
    return RK_OK;
}

static rk_status step_reconstruct(tut_runner *t, void *ctx)
{
    lesson2 *L = ctx;
    rk_status s = RK_OK;
    for (size_t i = 0; i < N_RANKS && s == RK_OK; i++)
        s = rk_lowrank_approx(&L->ak[i], &L->svd, ranks[i]);   /* A_k = U_k·S_k·V_kᵀ */
    if (s != RK_OK)
        return s;
    tut_printf(t, "The top-left item (class %d %s) in A and in A_k, one character per\n"
                  "4×2 pixels (rows × columns):\n\n",
               L->labels[0], rk_dataset_class_name((size_t)L->labels[0]));
    const rk_mat *panel[N_RANKS + 1] = { &L->a, &L->ak[0], &L->ak[1], &L->ak[2], &L->ak[3] };
    const char *names[N_RANKS + 1] = { "A", "A_1", "A_5", "A_20", "A_50" };
    tut_ascii_panels(t, panel, names, N_RANKS + 1, SIDE);
    tut_printf(t, "Rank 1 is the blur every item shares; by rank 20 the shape is there.\n");
    s = save_image(t, &L->a, "original", "A: 100 Fashion-MNIST test items");
    for (size_t i = 0; i < N_RANKS && s == RK_OK; i++) {
        char name[32], title[64];
        snprintf(name, sizeof name, "rank%03zu", ranks[i]);
        snprintf(title, sizeof title, "A_{%zu} = U_{%zu}·S_{%zu}·V_{%zu}^T (rank %zu)", ranks[i],
                 ranks[i], ranks[i], ranks[i], ranks[i]);
        s = save_image(t, &L->ak[i], name, title);
    }
    if (!tut_out_dir(t))
        tut_printf(t, "(--out DIR writes A and every A_k as .npy, .pgm and .png)\n");
    tut_check(t, "ranks", "%zu,%zu,%zu,%zu", ranks[0], ranks[1], ranks[2], ranks[3]);
    return s;
}

/* ---- step 5 ------------------------------------------------------------ */

static rk_status step_error(tut_runner *t, void *ctx)
{
    lesson2 *L = ctx;
    double af = rk_mat_norm_fro(&L->a), worst = 0;
    tut_printf(t, "     k   ‖A − A_k‖_F     √Σ_{i>k}σ_i²   relative diff   ‖A − A_k‖_F/‖A‖_F\n");
    for (size_t i = 0; i < N_RANKS; i++) {
        rk_mat d = { 0 };
        rk_status s = rk_mat_dup(&d, &L->a);
        if (s == RK_OK)
            s = rk_mat_axpy(&d, -1.0, &L->ak[i]);     /* D = A − A_k, formed entry by entry */
        if (s != RK_OK) {
            rk_mat_free(&d);
            return s;
        }
        double err = rk_mat_norm_fro(&d);
        rk_mat_free(&d);
        double tail = rk_spectrum_tail_fro(L->svd.s, L->svd.k, ranks[i]);
        double rel = fabs(err - tail) / tail;
        worst = fmax(worst, rel);
        tut_printf(t, "  %4zu   %12.6f   %12.6f      %.2e         %6.2f%%\n", ranks[i], err, tail,
                   rel, 100.0 * err / af);
        char key[32];
        snprintf(key, sizeof key, "err_%zu", ranks[i]);
        tut_check(t, key, "%.12e", err);
        snprintf(key, sizeof key, "tail_%zu", ranks[i]);
        tut_check(t, key, "%.12e", tail);
        snprintf(key, sizeof key, "reldiff_%zu", ranks[i]);
        tut_check(t, key, "%.6e", rel);
    }
    tut_printf(t, "\nlargest relative difference %.2e: rounding only (ε = %.1e).\n"
                  "No rank-k matrix comes closer to A (Eckart–Young–Mirsky), and the error\n"
                  "is known from the spectrum alone, before forming A_k:\n"
                  "‖A − A_k‖_F/‖A‖_F = √(1 − E(k)), E(k) the energy kept (step 3); at k = 1,\n"
                  "√(1 − %.4f) = %.2f%%.\n", worst, DBL_EPSILON,
               rk_spectrum_energy(L->svd.s, L->svd.k, 1),
               100.0 * sqrt(1.0 - rk_spectrum_energy(L->svd.s, L->svd.k, 1)));
    tut_check(t, "reldiff_max", "%.6e", worst);
    return RK_OK;
}

/* ---- step 6 ------------------------------------------------------------ */

static rk_status step_storage(tut_runner *t, void *ctx)
{
    lesson2 *L = ctx;
    size_t m = L->a.rows, n = L->a.cols, full = m * n;
    tut_printf(t, "A stores m·n = %zu·%zu = %zu numbers; U_k, σ, V_k store k·(m+n) (+k).\n\n",
               m, n, full);
    tut_printf(t, "     k   k·(m+n)   of m·n   relative error\n");
    static const size_t at[] = { 1, 5, 20, 50, 100, 140, 200 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        size_t st = rk_lowrank_param_count(m, n, at[i]);
        tut_printf(t, "  %4zu  %8zu   %5.1f%%   %6.2f%%\n", at[i], st, 100.0 * (double)st / (double)full,
                   100.0 * rk_spectrum_tail_fro(L->svd.s, L->svd.k, at[i]) / rk_mat_norm_fro(&L->a));
        char key[32];
        snprintf(key, sizeof key, "storage_%zu", at[i]);
        tut_check(t, key, "%zu", st);
    }
    tut_printf(t, "\nThe factors are smaller than A while k < m·n/(m+n) = %.0f. At k = 20 they\n"
                  "take %.0f%% of the pixels' storage for a %.0f%% error: the saving LoRA makes\n"
                  "on a weight update, here seen on a picture.\n",
               (double)full / (double)(m + n),
               100.0 * (double)rk_lowrank_param_count(m, n, 20) / (double)full,
               100.0 * rk_spectrum_tail_fro(L->svd.s, L->svd.k, 20) / rk_mat_norm_fro(&L->a));
    tut_check(t, "storage_full", "%zu", full);
    return RK_OK;
}

/* ---- the lesson -------------------------------------------------------- */

static bool opt_data(void *ctx, const char *v)
{
    ((lesson2 *)ctx)->data_dir = v;
    return *v != '\0';
}

static bool opt_first(void *ctx, const char *v)
{
    char *end;
    unsigned long x = strtoul(v, &end, 10);
    if (end == v || *end || *v == '-' || x > 9900)
        return false;
    ((lesson2 *)ctx)->first = (size_t)x;
    return true;
}

static void cleanup(void *ctx)
{
    lesson2 *L = ctx;
    rk_mat_free(&L->a);
    rk_svd_free(&L->svd);
    for (size_t i = 0; i < N_RANKS; i++)
        rk_mat_free(&L->ak[i]);
}

static const tut_step steps[] = {
    { "A real image: 100 Fashion-MNIST items as one 280×280 matrix",
      "Any grayscale picture is a matrix. This one tiles the first 100 items of\n"
      "the Fashion-MNIST test set in a 10×10 grid: 280×280 pixels in [0, 1].\n"
      "Clothes share shapes and a black background: a few patterns of rows and\n"
      "columns make up most of it, which the SVD will measure.",
      step_image,
      { "lib/nn/data.c rk_dataset_load_split()", "lib/io/idx.c rk_idx_read()", NULL },
      DOC ", docs/data.md" },
    { "Its SVD",
      "A = U·diag(σ)·Vᵀ: 280 singular values in decreasing order, each with a\n"
      "pair of singular vectors (a column pattern and a row pattern).",
      step_svd,
      { "lib/linalg/svd.c rk_svd_decomp()", "lib/linalg/rank.c rk_rank_from_values()", NULL },
      DOC ", docs/concepts/svd.md" },
    { "The scree plot and the cumulative energy",
      "How fast do the σ_i fall? The energy of the first k, Σ_{i≤k}σ_i²/Σσ_i²,\n"
      "is the part of ‖A‖_F² a rank-k approximation keeps.",
      step_scree,
      { "lib/linalg/spectrum.c rk_spectrum_energy()",
        "lib/linalg/spectrum.c rk_spectrum_rank_for_energy()",
        "lib/linalg/spectrum.c rk_spectrum_effective_rank()", NULL },
      DOC ", docs/concepts/rank.md" },
    { "Reconstructions at ranks 1, 5, 20, 50",
      "A_k = U_k·S_k·V_kᵀ keeps the top k singular triplets. Rank 1 is a blur of\n"
      "the average item; by rank 50 the items are recognisable in detail.",
      step_reconstruct,
      { "lib/linalg/lowrank.c rk_lowrank_approx()", "lib/io/npy.c rk_npy_write()", NULL },
      DOC ", docs/concepts/lowrank.md" },
    { "The error is the tail energy (Eckart–Young)",
      "Form A − A_k entry by entry and take its Frobenius norm; compare it with\n"
      "√(σ_{k+1}² + … + σ_280²), computed from the singular values alone.\n"
      "They agree to rounding: the best rank-k error is the dropped tail.",
      step_error,
      { "lib/core/mat.c rk_mat_norm_fro()", "lib/linalg/spectrum.c rk_spectrum_tail_fro()",
        "lib/linalg/lowrank.c rk_lowrank_errors()", NULL },
      DOC ", docs/concepts/lowrank.md" },
    { "Storage: k·(m+n) against m·n",
      "Keeping U_k and V_k (σ folded in) costs k·(m+n) numbers instead of m·n.\n"
      "Where does that pay, and what error does it cost?",
      step_storage,
      { "lib/linalg/lowrank.c rk_lowrank_param_count()", NULL },
      DOC },
};

static const tut_option options[] = {
    { "data", "DIR", "Fashion-MNIST folder (default $RANKLAB_DATA, else Debian's)", opt_data },
    { "first", "I", "first test item of the grid (default 0)", opt_first },
};

int main(int argc, char **argv)
{
    lesson2 L = { 0 };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-02",
        .title = "Lesson 2: Low-rank approximation",
        .intro = "Eckart–Young on a real image: a grid of Fashion-MNIST items, its SVD,\n"
                 "reconstructions at rank 1, 5, 20, 50 and their errors.\nText: " DOC "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
