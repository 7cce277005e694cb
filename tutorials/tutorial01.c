/*
 * tutorial01.c — lesson 1, "Rank and the SVD": the classic "SVD and rank"
 * notebook, in C, one step at a time (docs/tutorials/01-rank-and-svd.md).
 *
 * W = randn(10,2)·randn(2,10) has rank 2. The lesson computes that rank the
 * way numpy does, takes W's SVD, keeps the top two singular triplets as
 * B = U_r·S_r (10×2) and A = V_rᵀ (2×10), checks that W·x + b and
 * (B·A)·x + b agree (in float32 as the notebook did, and in double), counts
 * 100 against 40 parameters, and finally adds noise to W to show what the
 * rank tolerance is for.
 *
 * Shapes: m = 10 rows, n = 10 columns, r = 2. Everything is double except
 * the float32 replay of the notebook's comparison in step 6.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "runner.h"

#define DOC "docs/tutorials/01-rank-and-svd.md"

typedef struct lesson1 {
    size_t m, n, r;     /* 10, 10, 2 */
    double noise;       /* step 8: standard deviation of the noise (--noise) */
    double tol;         /* step 8: tolerance above the noise (--tol), 0 = derived */
    rk_rng rng;
    rk_mat p, q;        /* (m, r), (r, n): the random factors */
    rk_mat w;           /* (m, n) = p·q */
    rk_svd svd;         /* full SVD of w */
    size_t rank;        /* numerical rank of w */
    rk_mat b, a;        /* (m, r) = U_r·S_r, (r, n) = V_rᵀ */
} lesson1;

/* ---- step 1 ------------------------------------------------------------ */

static rk_status step_make_w(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    rk_rng_seed(&L->rng, tut_seed(t));
    rk_status s = rk_mat_create(&L->p, L->m, L->r);
    if (s == RK_OK)
        s = rk_mat_create(&L->q, L->r, L->n);
    if (s != RK_OK)
        return s;
    rk_mat_fill_normal(&L->p, &L->rng);
    rk_mat_fill_normal(&L->q, &L->rng);
    s = rk_mat_mul(&L->w, &L->p, &L->q);   /* W = P·Q */
    if (s != RK_OK)
        return s;
    tut_printf(t, "seed %llu: P = randn(%zu,%zu), Q = randn(%zu,%zu), W = P·Q\n\n",
               (unsigned long long)tut_seed(t), L->m, L->r, L->r, L->n);
    tut_print_mat(t, "W", &L->w, "%7.3f", L->m);
    tut_printf(t, "\nColumn j of W is P·(column j of Q): a mix of the same %zu columns of P.\n", L->r);
    tut_check(t, "m", "%zu", L->w.rows);
    tut_check(t, "n", "%zu", L->w.cols);
    return RK_OK;
}

/* ---- step 2 ------------------------------------------------------------ */

static rk_status step_rank(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    double tol = 0;
    rk_status s = rk_rank(&L->w, NULL, &L->rank, &tol);
    if (s != RK_OK)
        return s;
    rk_svd sv;
    s = rk_svd_decomp(&sv, &L->w, RK_SVD_VALUES);
    if (s != RK_OK)
        return s;
    size_t nonzero = 0;
    tut_printf(t, "singular values of W (σ₁ ≥ … ≥ σ₁₀):\n");
    for (size_t i = 0; i < sv.k; i++) {
        nonzero += sv.s[i] > 0;
        tut_printf(t, "  σ%-2zu = %.3e  %s\n", i + 1, sv.s[i],
                   sv.s[i] > tol ? "> tol: counted" : "≤ tol: rounding noise");
    }
    tut_printf(t, "\ntol = σ_max·max(m,n)·ε = %.3e · %zu · %.3e = %.3e\n", sv.s[0],
               L->m > L->n ? L->m : L->n, DBL_EPSILON, tol);
    tut_printf(t, "(ε = %.3e: the gap between 1 and the next double, the relative\n"
                  " size of one rounding)\n", DBL_EPSILON);
    tut_printf(t, "rank(W) = #{σ_i > tol} = %zu     (#{σ_i > 0} would say %zu)\n", L->rank,
               nonzero);
    tut_check(t, "rank", "%zu", L->rank);
    tut_check(t, "tol", "%.6e", tol);
    tut_check(t, "sigma3_over_tol", "%.6e", sv.k > 2 ? sv.s[2] / tol : 0.0);
    rk_svd_free(&sv);
    return RK_OK;
}

/* ---- step 3 ------------------------------------------------------------ */

/* ‖W − U_k·diag(s)·Vt_k‖₁ / (‖W‖₁·max(m,n)·ε) and ‖I − UᵀU‖₁ / (m·ε), LAPACK's test ratios. */
static rk_status svd_ratios(const rk_mat *w, const rk_svd *d, double *resid, double *orth)
{
    rk_mat us = { 0 }, rec = { 0 }, utu = { 0 };
    rk_mat uk = rk_mat_view_cols(&d->u, 0, d->k), vk = rk_mat_view_rows(&d->vt, 0, d->k);
    rk_status s = rk_mat_dup(&us, &uk);
    for (size_t i = 0; s == RK_OK && i < us.rows; i++)
        for (size_t j = 0; j < d->k; j++)
            RK_AT(&us, i, j) *= d->s[j];
    if (s == RK_OK)
        s = rk_mat_mul(&rec, &us, &vk);
    if (s == RK_OK)
        s = rk_mat_create(&utu, d->u.cols, d->u.cols);
    if (s == RK_OK)
        s = rk_mat_gemm(true, false, 1.0, &d->u, &d->u, 0.0, &utu);   /* UᵀU */
    if (s == RK_OK) {
        rk_mat_axpy(&rec, -1.0, w);
        size_t mn = w->rows > w->cols ? w->rows : w->cols;
        *resid = rk_mat_norm_1(&rec) / (rk_mat_norm_1(w) * (double)mn * DBL_EPSILON);
        for (size_t i = 0; i < utu.rows; i++)
            RK_AT(&utu, i, i) -= 1.0;
        *orth = rk_mat_norm_1(&utu) / ((double)d->u.rows * DBL_EPSILON);
    }
    rk_mat_free(&us);
    rk_mat_free(&rec);
    rk_mat_free(&utu);
    return s;
}

static rk_status step_svd(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    rk_status s = rk_svd_decomp(&L->svd, &L->w, RK_SVD_FULL);
    if (s != RK_OK)
        return s;
    tut_printf(t, "W (%zu×%zu), full SVD:  U %zu×%zu   S %zu   Vᵀ %zu×%zu\n", L->m, L->n,
               L->svd.u.rows, L->svd.u.cols, L->svd.k, L->svd.vt.rows, L->svd.vt.cols);
    tut_printf(t, "           thin SVD:  the same, because W is square (k = min(m,n) = %zu)\n",
               L->svd.k);
    rk_svd full, thin;
    s = rk_svd_decomp(&full, &L->p, RK_SVD_FULL);
    if (s != RK_OK)
        return s;
    s = rk_svd_decomp(&thin, &L->p, RK_SVD_THIN);
    if (s != RK_OK) {
        rk_svd_free(&full);
        return s;
    }
    tut_printf(t, "P (%zu×%zu),  full SVD:  U %zu×%zu   S %zu    Vᵀ %zu×%zu\n", L->m, L->r,
               full.u.rows, full.u.cols, full.k, full.vt.rows, full.vt.cols);
    tut_printf(t, "           thin SVD:  U %zu×%zu    S %zu    Vᵀ %zu×%zu"
               "   (only the columns S multiplies)\n",
               thin.u.rows, thin.u.cols, thin.k, thin.vt.rows, thin.vt.cols);
    tut_check(t, "thin_u_of_p", "%zux%zu", thin.u.rows, thin.u.cols);
    rk_svd_free(&full);
    rk_svd_free(&thin);
    double resid = 0, orth = 0;
    s = svd_ratios(&L->w, &L->svd, &resid, &orth);
    if (s != RK_OK)
        return s;
    tut_printf(t, "\nIs it right? LAPACK's acceptance ratios (each must stay below 50;\n"
                  "‖M‖₁ = the largest sum of |entries| down a column of M):\n"
                  "  ‖W − U·diag(S)·Vᵀ‖₁ / (‖W‖₁·max(m,n)·ε) = %.3f\n"
                  "  ‖I − UᵀU‖₁ / (m·ε)                     = %.3f\n", resid, orth);
    tut_check(t, "svd_u", "%zux%zu", L->svd.u.rows, L->svd.u.cols);
    tut_check(t, "svd_s", "%zu", L->svd.k);
    tut_check(t, "svd_vt", "%zux%zu", L->svd.vt.rows, L->svd.vt.cols);
    tut_check(t, "svd_resid_ratio", "%.6e", resid);
    tut_check(t, "svd_orth_ratio", "%.6e", orth);
    return RK_OK;
}

/* ---- step 4 ------------------------------------------------------------ */

static rk_status step_truncate(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    size_t r = L->rank;
    rk_mat ur = rk_mat_view_cols(&L->svd.u, 0, r), vtr = rk_mat_view_rows(&L->svd.vt, 0, r);
    tut_print_mat(t, "U_r = U[:, :r]", &ur, "%8.4f", L->m);
    tut_printf(t, "S_r = diag(");
    for (size_t i = 0; i < r; i++)
        tut_printf(t, "%s%.4f", i ? ", " : "", L->svd.s[i]);
    tut_printf(t, ")\n");
    tut_print_mat(t, "V_rᵀ = Vᵀ[:r, :]", &vtr, "%7.3f", r);
    rk_mat wr = { 0 };
    rk_status s = rk_lowrank_approx(&wr, &L->svd, r);
    if (s != RK_OK)
        return s;
    double tail = 0;
    s = rk_lowrank_errors(&L->svd, r, &tail, NULL);
    rk_mat_axpy(&wr, -1.0, &L->w);
    double err = rk_mat_norm_fro(&wr), wf = rk_mat_norm_fro(&L->w);
    rk_mat_free(&wr);
    if (s != RK_OK)
        return s;
    tut_printf(t, "\n‖W − U_r·S_r·V_rᵀ‖_F = %.3e   (‖W‖_F = %.3f, relative %.1e)\n", err, wf,
               err / wf);
    tut_printf(t, "√(σ₃² + … + σ₁₀²)     = %.3e   (Eckart–Young: the dropped tail)\n", tail);
    tut_printf(t, "‖M‖_F = √(sum of all entries²). Both numbers are rounding noise, a few\n"
                  "ε·‖W‖_F: the rank-2 truncation is W itself, and that they differ means\n"
                  "nothing.\n");
    tut_check(t, "truncation_rel_err", "%.6e", err / wf);
    return RK_OK;
}

/* ---- step 5 ------------------------------------------------------------ */

static rk_status step_factors(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    rk_status s = rk_lowrank_factors(&L->b, &L->a, &L->svd, L->rank, RK_SPLIT_US);
    if (s != RK_OK)
        return s;
    tut_print_mat(t, "B = U_r·S_r", &L->b, "%8.4f", L->m);
    tut_print_mat(t, "A = V_rᵀ", &L->a, "%7.3f", L->rank);
    rk_mat ba = { 0 };
    s = rk_mat_mul(&ba, &L->b, &L->a);
    if (s != RK_OK)
        return s;
    double d = rk_mat_max_abs_diff(&ba, &L->w);
    rk_mat_free(&ba);
    tut_printf(t, "\nmax |W − B·A| = %.3e\n", d);
    tut_check(t, "b_shape", "%zux%zu", L->b.rows, L->b.cols);
    tut_check(t, "a_shape", "%zux%zu", L->a.rows, L->a.cols);
    tut_check(t, "w_minus_ba", "%.6e", d);
    return RK_OK;
}

/* ---- step 6 ------------------------------------------------------------ */

/* y = M·x + b in float32, M (m, n) row-major. */
static void matvec_f32(float *y, const float *mat, const float *x, const float *b, size_t m, size_t n)
{
    for (size_t i = 0; i < m; i++) {
        float acc = 0.0f;
        for (size_t j = 0; j < n; j++)
            acc += mat[i * n + j] * x[j];
        y[i] = acc + b[i];
    }
}

/* The notebook's float32 comparison: W, B, A, x, bias rounded to float; (B·A) formed in float. */
static double max_diff_f32(const lesson1 *L, const rk_mat *x, const rk_mat *bias)
{
    enum { N = 16 };   /* room for the 10×10 lesson */
    float w[N * N] = { 0 }, ba[N * N] = { 0 }, xf[N] = { 0 }, bf[N] = { 0 }, y[N] = { 0 }, y2[N] = { 0 };
    float bk[N * N] = { 0 }, ak[N * N] = { 0 };   /* B (m, r), A (r, n) in float */
    size_t m = L->m, n = L->n, r = L->rank;
    rk_mat_to_f32(w, &L->w);
    rk_mat_to_f32(bk, &L->b);
    rk_mat_to_f32(ak, &L->a);
    rk_mat_to_f32(xf, x);
    rk_mat_to_f32(bf, bias);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (size_t k = 0; k < r; k++)
                acc += bk[i * r + k] * ak[k * n + j];
            ba[i * n + j] = acc;
        }
    matvec_f32(y, w, xf, bf, m, n);
    matvec_f32(y2, ba, xf, bf, m, n);
    double d = 0;
    for (size_t i = 0; i < m; i++)
        d = fmax(d, fabs((double)y[i] - (double)y2[i]));
    return d;
}

/* c = max_i Σ_j |W_ij|·|x_j| + |b_i|: a computed W·x + b is off by at most about n·ε·c. */
static double rounding_scale(const rk_mat *w, const rk_mat *x, const rk_mat *bias)
{
    double c = 0;
    for (size_t i = 0; i < w->rows; i++) {
        double row = fabs(bias->data[i]);
        for (size_t j = 0; j < w->cols; j++)
            row += fabs(RK_AT(w, i, j)) * fabs(x->data[j]);
        c = fmax(c, row);
    }
    return c;
}

static rk_status step_forward(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    rk_mat x = { 0 }, bias = { 0 }, y = { 0 }, y2 = { 0 }, ba = { 0 };
    rk_status s = rk_mat_create(&x, L->n, 1);
    if (s == RK_OK)
        s = rk_mat_create(&bias, L->m, 1);
    if (s == RK_OK) {
        rk_mat_fill_normal(&bias, &L->rng);
        rk_mat_fill_normal(&x, &L->rng);
        s = rk_mat_dup(&y, &bias);
    }
    if (s == RK_OK)
        s = rk_mat_dup(&y2, &bias);
    if (s == RK_OK)
        s = rk_mat_gemm(false, false, 1.0, &L->w, &x, 1.0, &y);      /* y  = W·x + b */
    if (s == RK_OK)
        s = rk_mat_mul(&ba, &L->b, &L->a);
    if (s == RK_OK)
        s = rk_mat_gemm(false, false, 1.0, &ba, &x, 1.0, &y2);       /* y' = (B·A)·x + b */
    if (s == RK_OK && L->m <= 16 && L->n <= 16) {
        double d64 = rk_mat_max_abs_diff(&y, &y2), d32 = max_diff_f32(L, &x, &bias);
        double scale = rounding_scale(&L->w, &x, &bias);
        tut_printf(t, "        y = W·x + b    y' = (B·A)·x + b\n");
        for (size_t i = 0; i < L->m; i++)
            tut_printf(t, "  %2zu  %12.6f    %12.6f\n", i, y.data[i], y2.data[i]);
        tut_printf(t, "\nmax |y − y'|  float32: %.3e = %.2f·ε₃₂·c   (ε₃₂ = %.2e: float32's ε)\n", d32,
                   d32 / (FLT_EPSILON * scale), (double)FLT_EPSILON);
        tut_printf(t, "              double:  %.3e = %.2f·ε₆₄·c   (ε₆₄ = %.2e: double's ε)\n", d64,
                   d64 / (DBL_EPSILON * scale), DBL_EPSILON);
        tut_printf(t, "with c = max_i (|W|·|x| + |b|)_i = %.3f, the size rounding errors scale with.\n"
                      "The difference is rounding only: B·A is W, up to the precision used.\n",
                   scale);
        tut_check(t, "maxdiff_f32", "%.6e", d32);
        tut_check(t, "maxdiff_f64", "%.6e", d64);
        tut_check(t, "maxdiff_f32_ratio", "%.6e", d32 / (FLT_EPSILON * scale));
        tut_check(t, "maxdiff_f64_ratio", "%.6e", d64 / (DBL_EPSILON * scale));
    }
    rk_mat_free(&x);
    rk_mat_free(&bias);
    rk_mat_free(&y);
    rk_mat_free(&y2);
    rk_mat_free(&ba);
    return s;
}

/* ---- step 7 ------------------------------------------------------------ */

static rk_status step_params(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    size_t full = L->m * L->n, low = rk_lowrank_param_count(L->m, L->n, L->rank);
    char lhs[2][64];
    snprintf(lhs[0], sizeof lhs[0], "%zu·%zu", L->m, L->n);
    snprintf(lhs[1], sizeof lhs[1], "%zu·(%zu+%zu)", L->rank, L->m, L->n);
    tut_printf(t, "W:        m·n     = %-12s = %4zu parameters\n", lhs[0], full);
    tut_printf(t, "B and A:  r·(m+n) = %-12s = %4zu parameters  (%.0f%% of W)\n", lhs[1], low,
               100.0 * (double)low / (double)full);
    size_t big = 4096, rb = 8, bigf = big * big, bigl = rk_lowrank_param_count(big, big, rb);
    tut_printf(t, "\nAt the size of a large model's layer, %zu×%zu with r = %zu:\n"
                  "  %zu against %zu parameters (%.2f%%)\n",
               big, big, rb, bigf, bigl, 100.0 * (double)bigl / (double)bigf);
    tut_check(t, "params_full", "%zu", full);
    tut_check(t, "params_lowrank", "%zu", low);
    return RK_OK;
}

/* ---- step 8 ------------------------------------------------------------ */

/* W + level·E (E ~ randn), its singular values, and its rank by the default rule and by @p tol. */
static rk_status noisy_rank(tut_runner *t, lesson1 *L, double level, double tol, const char *key)
{
    rk_mat wn = { 0 }, e = { 0 };
    rk_svd sv = { 0 }, se = { 0 };
    rk_status s = rk_mat_dup(&wn, &L->w);
    if (s == RK_OK)
        s = rk_mat_create(&e, L->m, L->n);
    if (s == RK_OK) {
        rk_mat_fill_normal(&e, &L->rng);
        rk_mat_scale(&e, level);
        s = rk_mat_axpy(&wn, 1.0, &e);
    }
    if (s == RK_OK)
        s = rk_svd_decomp(&sv, &wn, RK_SVD_VALUES);
    if (s == RK_OK)
        s = rk_svd_decomp(&se, &e, RK_SVD_VALUES);
    if (s == RK_OK) {
        double tol_default = 0, tol_used = 0;
        rk_rank_opts abs = { RK_TOL_ABS, tol };
        size_t r_default = rk_rank_from_values(sv.s, sv.k, L->m, L->n, NULL, &tol_default);
        size_t r_tol = rk_rank_from_values(sv.s, sv.k, L->m, L->n, &abs, &tol_used);
        tut_printf(t, "noise %.0e:  σ₁ %.3f  σ₂ %.3f  σ₃ %.2e … σ₁₀ %.2e   ‖E‖₂ %.2e\n", level,
                   sv.s[0], sv.s[1], sv.s[2], sv.s[sv.k - 1], se.s[0]);
        tut_printf(t, "  default tol %.2e → rank %zu;   tol %.2e → rank %zu\n", tol_default,
                   r_default, tol_used, r_tol);
        tut_check(t, key, "%zu", r_default);
        char k2[64];
        snprintf(k2, sizeof k2, "%s_tol", key);
        tut_check(t, k2, "%zu", r_tol);
    }
    rk_mat_free(&wn);
    rk_mat_free(&e);
    rk_svd_free(&sv);
    rk_svd_free(&se);
    return s;
}

static rk_status step_noise(tut_runner *t, void *ctx)
{
    lesson1 *L = ctx;
    /* A Gaussian m×n matrix with entries of size δ has ‖E‖₂ ≈ δ·(√m + √n); by Weyl's
     * inequality σ₃(W + E) ≤ σ₃(W) + ‖E‖₂ = ‖E‖₂. Twice that bound is a safe tolerance. */
    double spread = sqrt((double)L->m) + sqrt((double)L->n);
    double tiny = 1e-10;
    double tol_tiny = 2.0 * tiny * spread, tol = L->tol > 0 ? L->tol : 2.0 * L->noise * spread;
    tut_printf(t, "W + E with E = δ·randn(%zu,%zu); tolerance above the noise: 2·δ·(√m+√n)\n"
                  "(‖E‖₂ = σ₁(E), the most E stretches a unit vector: about δ·(√m+√n))\n\n",
               L->m, L->n);
    rk_status s = noisy_rank(t, L, tiny, tol_tiny, "rank_noise_tiny");
    if (s == RK_OK)
        s = noisy_rank(t, L, L->noise, tol, "rank_noise");
    if (s != RK_OK)
        return s;
    tut_printf(t, "\nNoise makes every σ_i non-zero, far above ε·σ₁: by the default rule W is\n"
                  "full rank. A tolerance chosen above the noise (rk_rank_opts RK_TOL_ABS, or\n"
                  "RK_TOL_REL = numpy's rtol) recovers the 2 directions that carry W.\n");
    return RK_OK;
}

/* ---- the lesson -------------------------------------------------------- */

static bool parse_positive(const char *v, double *out)
{
    char *end;
    double d = strtod(v, &end);
    if (end == v || *end || !isfinite(d) || d <= 0)
        return false;
    *out = d;
    return true;
}

static bool opt_noise(void *ctx, const char *v) { return parse_positive(v, &((lesson1 *)ctx)->noise); }
static bool opt_tol(void *ctx, const char *v) { return parse_positive(v, &((lesson1 *)ctx)->tol); }

static void cleanup(void *ctx)
{
    lesson1 *L = ctx;
    rk_mat_free(&L->p);
    rk_mat_free(&L->q);
    rk_mat_free(&L->w);
    rk_svd_free(&L->svd);
    rk_mat_free(&L->b);
    rk_mat_free(&L->a);
}

static const tut_step steps[] = {
    { "A 10×10 matrix of rank 2",
      "W = randn(10,2)·randn(2,10), as in the notebook. It has 10×10 entries,\n"
      "but every column is a combination of the same 2 columns: its rank is 2.\n"
      "The random numbers come from a seeded generator (--seed), so every run\n"
      "prints the same matrix.",
      step_make_w,
      { "lib/core/rng.c rk_rng_seed()", "lib/core/mat.c rk_mat_fill_normal()",
        "lib/core/mat.c rk_mat_mul()", NULL },
      DOC },
    { "The rank by numpy's rule",
      "In floating point the 8 'zero' singular values of W come out near 1e-16,\n"
      "not 0, so counting non-zero values gives the wrong answer. numpy's\n"
      "matrix_rank counts the values above tol = σ_max·max(m,n)·ε, the size of\n"
      "the rounding error an SVD makes.",
      step_rank,
      { "lib/linalg/rank.c rk_rank()", "lib/linalg/rank.c rk_rank_from_values()", NULL },
      DOC ", docs/concepts/rank.md" },
    { "The SVD and its shapes",
      "W = U·diag(S)·Vᵀ with U, V orthogonal and S non-increasing. The full SVD\n"
      "has square U (m×m) and V (n×n); the thin one keeps k = min(m,n) columns.\n"
      "Rows of Vᵀ are the right singular vectors. Checked as LAPACK checks it.",
      step_svd,
      { "lib/linalg/svd.c rk_svd_decomp()", NULL },
      DOC ", docs/concepts/svd.md" },
    { "Keep r = 2 singular triplets",
      "A singular triplet is (u_i, σ_i, v_i): a column of U, its σ, a row of Vᵀ.\n"
      "U_r = the first r columns of U, S_r = diag(σ₁..σ_r), V_rᵀ = the first r\n"
      "rows of Vᵀ. Their product U_r·S_r·V_rᵀ is the best rank-r approximation\n"
      "of W; since W has rank 2, it is W itself, up to rounding.",
      step_truncate,
      { "lib/linalg/lowrank.c rk_lowrank_approx()", "lib/linalg/lowrank.c rk_lowrank_errors()",
        NULL },
      DOC ", docs/concepts/lowrank.md" },
    { "Two factors: B = U_r·S_r and A = V_rᵀ",
      "Fold S_r into the left factor: B (10×2) and A (2×10) with W = B·A.\n"
      "This is LoRA's shape: a weight update ΔW = B·A of rank r.",
      step_factors,
      { "lib/linalg/lowrank.c rk_lowrank_factors()", NULL },
      DOC ", docs/concepts/lowrank.md" },
    { "Same output: W·x + b against (B·A)·x + b",
      "A layer computes y = W·x + b. With random x and b, compare it with\n"
      "y' = (B·A)·x + b: in float32, as the notebook did with PyTorch, and in\n"
      "double. The notebook compared them by eye; here max |y − y'| is printed.",
      step_forward,
      { "lib/core/mat.c rk_mat_gemm()", "lib/linalg/lowrank.c rk_lowrank_factors()", NULL },
      DOC },
    { "100 against 40 parameters",
      "W stores m·n numbers; B and A store r·(m+n). For a big layer and a\n"
      "small r that is a tiny fraction: the saving LoRA is built on.",
      step_params,
      { "lib/linalg/lowrank.c rk_lowrank_param_count()", NULL },
      DOC },
    { "Noise: the tolerance at work",
      "Real weights are never exactly low-rank. Add noise E to W: the 8 small\n"
      "singular values jump from 1e-16 to the size of the noise, and numpy's\n"
      "rule reports full rank. A tolerance above the noise level (--tol) finds\n"
      "the rank-2 structure again.",
      step_noise,
      { "lib/linalg/rank.c rk_rank_from_values()", NULL },
      DOC ", docs/concepts/rank.md" },
};

static const tut_option options[] = {
    { "noise", "E", "size of the noise added in step 8 (default 1e-3)", opt_noise },
    { "tol", "T", "step 8's tolerance (default 2·E·(√m+√n))", opt_tol },
};

int main(int argc, char **argv)
{
    lesson1 L = { .m = 10, .n = 10, .r = 2, .noise = 1e-3 };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-01",
        .title = "Lesson 1: Rank and the SVD",
        .intro = "The 'SVD and rank' notebook in C: a rank-2 matrix, its SVD, and the two\n"
                 "thin factors B·A that LoRA is made of. Text: " DOC "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
