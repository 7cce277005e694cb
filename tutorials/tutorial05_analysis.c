/*
 * tutorial05_analysis.c — steps 4-9 of lesson 5, "LoRA vs SVD": the learned
 * updates ΔW_lora(r) against ΔW_full (docs/tutorials/05-lora-vs-svd.md).
 *
 *   step 4   rel_err = ‖ΔW_lora − ΔW_full‖_F/‖ΔW_full‖_F ≥ the Eckart–Young
 *            error ‖ΔW_full − [ΔW_full]_r‖_F/‖ΔW_full‖_F, per layer and r
 *   step 5   φ(i, j) between the left singular vectors of ΔW_lora(r) and ΔW_full
 *   step 6   φ(i, j) between the right singular vectors of ΔW_lora at r = 2
 *            and r = 16 (the paper's Figure 3 at small scale)
 *   step 7   ‖Uᵀ·W0·V‖_F and the amplification factor (the paper's Table 7)
 *   step 8   N(0,1) against kaiming init: size and direction of ΔW
 *   step 9   this run's numbers next to the paper's
 */
#include <math.h>
#include <stdio.h>

#include "tutorial05.h"

/* ---- step 4 ------------------------------------------------------------ */

rk_status l5_step_errors(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    double x[L5_RANKS], y_lora[L5_RANKS], y_ey[L5_RANKS];
    for (size_t k = 0; k < L5_RANKS; k++)
        for (size_t l = 0; l < L5_LAYERS; l++) {
            const rk_svd *d = &L->dfull_svd[l];
            rk_status s = rk_delta_rel_err(&L->rel_err[k][l], &L->dlora[k][l], &L->dfull[l]);
            if (s != RK_OK)
                return s;
            L->ey[k][l] = rk_delta_eckart_young_rel_err(d->s, d->k, L->ranks[k]);
            char key[32];
            snprintf(key, sizeof key, "rel_err_r%zu_l%zu", L->ranks[k], l);
            tut_check(t, key, "%.17g", L->rel_err[k][l]);
            snprintf(key, sizeof key, "ey_r%zu_l%zu", L->ranks[k], l);
            tut_check(t, key, "%.17g", L->ey[k][l]);
        }
    tut_printf(t, "linear%d (%zu×%zu), the main one:\n", L5_MAIN + 1, L->dfull[L5_MAIN].rows,
               L->dfull[L5_MAIN].cols);
    tut_printf(t, "   r   rel_err   Eckart–Young   above the bound   ratio\n");
    for (size_t k = 0; k < L5_RANKS; k++) {
        double e = L->rel_err[k][L5_MAIN], b = L->ey[k][L5_MAIN];
        tut_printf(t, "%4zu   %7.4f   %12.4f   %+15.4f   %5.2f×\n", L->ranks[k], e, b, e - b,
                   e / b);
        x[k] = (double)L->ranks[k];
        y_lora[k] = e;
        y_ey[k] = b;
    }
    tut_printf(t, "\nevery layer: rel_err (Eckart–Young bound)\n   r");
    for (size_t l = 0; l < L5_LAYERS; l++) {
        char name[32];
        snprintf(name, sizeof name, "linear%zu", l + 1);
        tut_printf(t, l + 1 < L5_LAYERS ? "   %-15s" : "   %s", name);
    }
    tut_printf(t, "\n");
    size_t above = 0;
    for (size_t k = 0; k < L5_RANKS; k++) {
        tut_printf(t, "%4zu", L->ranks[k]);
        for (size_t l = 0; l < L5_LAYERS; l++) {
            tut_printf(t, "   %6.4f (%6.4f)", L->rel_err[k][l], L->ey[k][l]);
            above += L->rel_err[k][l] >= L->ey[k][l];
        }
        tut_printf(t, "\n");
    }
    tut_printf(t, "\nrel_err ≥ the bound in %zu of %d cases, as Eckart–Young guarantees.\n", above,
               L5_RANKS * L5_LAYERS);
    rk_plot_series ser[2] = {
        { .name = "LoRA: rel\\_err = ‖ΔW_{lora} − ΔW_{full}‖_F / ‖ΔW_{full}‖_F", .x = x, .y = y_lora,
          .n = L5_RANKS },
        { .name = "Eckart–Young bound: the best rank-r error", .x = x, .y = y_ey, .n = L5_RANKS },
    };
    rk_plot_spec spec = { .kind = RK_PLOT_XY, .title = "Lesson 5, linear2: error of the rank-r update",
                          .xlabel = "rank r (log scale)",
                          .ylabel = "relative error in Frobenius norm",
                          .logx = true, .ymin = 0, .ymax = 1.05, .series = ser, .n_series = 2 };
    tut_show_plot(t, &spec, "05-error-vs-rank");
    return RK_OK;
}

/* ---- step 5 ------------------------------------------------------------ */

/* The table φ(i, j); wider than 12 columns it is printed in hundredths, to fit 80 columns. */
static void print_phi(tut_runner *t, const rk_mat *phi, const char *rows, const char *cols)
{
    bool wide = phi->cols > 12;
    tut_printf(t, "%s, i = top-i of %s (down),\nj = top-j of %s (across):\n      ",
               wide ? "100·φ(i, j)" : "φ(i, j)", rows, cols);
    for (size_t j = 0; j < phi->cols; j++)
        tut_printf(t, wide ? " %3zu" : " %4zu", j + 1);
    tut_printf(t, "\n");
    for (size_t i = 0; i < phi->rows; i++) {
        tut_printf(t, "  %3zu ", i + 1);
        for (size_t j = 0; j < phi->cols; j++)
            tut_printf(t, wide ? " %3.0f" : " %4.2f", (wide ? 100.0 : 1.0) * RK_AT(phi, i, j));
        tut_printf(t, "\n");
    }
}

/* Smallest and largest entry of @p m. */
static void mat_range(const rk_mat *m, double *lo, double *hi)
{
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++) {
            *lo = fmin(*lo, RK_AT(m, i, j));
            *hi = fmax(*hi, RK_AT(m, i, j));
        }
}

static void heatmap(tut_runner *t, const rk_mat *phi, const char *title, const char *ylabel,
                    const char *xlabel, const char *name)
{
    rk_plot_spec spec = { .kind = RK_PLOT_HEATMAP, .title = title, .xlabel = xlabel,
                          .ylabel = ylabel, .zlabel = "φ(i, j)", .z = phi, .zmin = 0, .zmax = 1,
                          .index_base = 1 };
    tut_show_plot(t, &spec, name);
}

rk_status l5_step_phi_full(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    const rk_svd *full = &L->dfull_svd[L5_MAIN];
    rk_mat heat = { 0 };
    double lo = 1, hi = 0;
    tut_printf(t, "linear%d, left singular vectors (d = %zu; random directions: φ(1,1) ≈ 1/d\n"
               "= %.4f). φ(i, i) is also the mean cos² of the principal angles: the angles\n"
               "between the two subspaces' best-aligned pairs of directions.\n\n"
               "   r   φ(1,1)   φ(r,r)\n", L5_MAIN + 1, full->u.rows, 1.0 / (double)full->u.rows);
    for (size_t k = 0; k < L5_RANKS; k++) {
        size_t r = L->ranks[k];
        rk_mat phi = { 0 };
        rk_status s = rk_subspace_phi_svd(&phi, &L->dlora_svd[k], full, RK_SIDE_LEFT, r, r);
        if (s != RK_OK) {
            rk_mat_free(&heat);
            return s;
        }
        mat_range(&phi, &lo, &hi);
        L->phi11_full[k] = RK_AT(&phi, 0, 0);
        tut_printf(t, "%4zu   %6.3f   %6.3f\n", r, RK_AT(&phi, 0, 0), RK_AT(&phi, r - 1, r - 1));
        char key[32];
        snprintf(key, sizeof key, "phi11_r%zu", r);
        tut_check(t, key, "%.6f", RK_AT(&phi, 0, 0));
        if (k == L5_HEAT)
            heat = phi;
        else
            rk_mat_free(&phi);
    }
    tut_printf(t, "\n");
    print_phi(t, &heat, "ΔW_lora(r=8)", "ΔW_full");
    heatmap(t, &heat, "φ(i, j), linear2: LoRA r = 8 vs the full fine-tune, left singular vectors",
            "i: top-i of ΔW_{lora}, r = 8", "j: top-j of ΔW_{full}", "05-phi-lora8-full");
    rk_mat_free(&heat);
    rk_mat self = { 0 };
    rk_status s = rk_subspace_phi_svd(&self, full, full, RK_SIDE_LEFT, 8, 8);
    if (s != RK_OK)
        return s;
    double self_min = 1;
    for (size_t i = 0; i < 8; i++)
        self_min = fmin(self_min, RK_AT(&self, i, i));
    rk_mat_free(&self);
    tut_printf(t, "\nsanity: φ(ΔW_full, ΔW_full, i, i) ≥ %.15f for i ≤ 8 (must be 1)\n",
               self_min);
    tut_check(t, "phi_full_min", "%.17g", lo);
    tut_check(t, "phi_full_max", "%.17g", hi);
    tut_check(t, "phi_self_min", "%.17g", self_min);
    return RK_OK;
}

/* ---- step 6 ------------------------------------------------------------ */

rk_status l5_step_phi_ranks(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    const rk_svd *a = &L->dlora_svd[L5_SMALL], *b = &L->dlora_svd[L5_LARGE];
    size_t ra = L->ranks[L5_SMALL], rb = L->ranks[L5_LARGE];
    rk_mat phi = { 0 }, left = { 0 };
    rk_status s = rk_subspace_phi_svd(&phi, a, b, RK_SIDE_RIGHT, ra, rb);
    if (s == RK_OK)
        s = rk_subspace_phi_svd(&left, a, b, RK_SIDE_LEFT, 1, 1);
    if (s != RK_OK) {
        rk_mat_free(&phi);
        return s;
    }
    double lo = 1, hi = 0, mean = 0;
    mat_range(&phi, &lo, &hi);
    for (size_t j = 0; j < rb; j++)
        mean += RK_AT(&phi, 0, j) / (double)rb;
    L->phi11_small_large = RK_AT(&phi, 0, 0);
    L->phi_small_large_mean = mean;
    size_t d = a->vt.cols;
    print_phi(t, &phi, "ΔW_lora(r=2)", "ΔW_lora(r=16)");
    tut_printf(t, "\nright vectors (d = %zu): φ(1,1) = %.3f; random directions would give %.4f\n",
               d, L->phi11_small_large, 1.0 / (double)d);
    tut_printf(t, "left vectors (d = %zu):  φ(1,1) = %.3f\n", a->u.rows, RK_AT(&left, 0, 0));
    tut_printf(t, "the top direction of r = 2 against the top j of r = 16: φ(1, j) from\n"
               "%.3f (j = 1) to %.3f (j = %zu)\n", RK_AT(&phi, 0, 0), RK_AT(&phi, 0, rb - 1), rb);
    heatmap(t, &phi, "φ(i, j), linear2: LoRA r = 2 vs r = 16, right singular vectors (Figure 3)",
            "i: top-i of ΔW_{lora}, r = 2", "j: top-j of ΔW_{lora}, r = 16", "05-phi-r2-r16");
    tut_check(t, "phi_r2_r16_11", "%.6f", L->phi11_small_large);
    tut_check(t, "phi_r2_r16_left_11", "%.6f", RK_AT(&left, 0, 0));
    tut_check(t, "phi_r2_r16_min", "%.17g", lo);
    tut_check(t, "phi_r2_r16_max", "%.17g", hi);
    rk_mat_free(&phi);
    rk_mat_free(&left);
    return RK_OK;
}

/* ---- step 7 ------------------------------------------------------------ */

static void amp_check(tut_runner *t, const char *who, const rk_amplify *a)
{
    char key[48];
    snprintf(key, sizeof key, "amp_%s_r%zu_proj", who, a->r);
    tut_check(t, key, "%.17g", a->proj_delta);
    snprintf(key, sizeof key, "amp_%s_r%zu_w0", who, a->r);
    tut_check(t, key, "%.17g", a->proj_w0);
    snprintf(key, sizeof key, "amp_%s_r%zu_random", who, a->r);
    tut_check(t, key, "%.17g", a->proj_random);
    snprintf(key, sizeof key, "amp_%s_r%zu_fro", who, a->r);
    tut_check(t, key, "%.17g", a->delta_fro);
    snprintf(key, sizeof key, "amp_%s_r%zu_factor", who, a->r);
    tut_check(t, key, "%.17g", a->factor);
}

rk_status l5_step_amplify(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    rk_mat w0 = { 0 };
    rk_svd w0_svd = { 0 };
    rk_status s = l5_weight(&w0, &L->nn.base, L5_MAIN);
    if (s == RK_OK)
        s = rk_svd_decomp(&w0_svd, &w0, RK_SVD_THIN);
    const size_t idx[2] = { L5_MID, L5_LARGE };
    for (size_t c = 0; s == RK_OK && c < 2; c++) {
        size_t k = idx[c], r = L->ranks[k];
        s = rk_amplify_from_svd(&L->amp_lora[c], &w0, &L->dlora[k][L5_MAIN], &w0_svd,
                                &L->dlora_svd[k], r, tut_seed(t) + 77);
        if (s == RK_OK)
            s = rk_amplify_from_svd(&L->amp_full[c], &w0, &L->dfull[L5_MAIN], &w0_svd,
                                    &L->dfull_svd[L5_MAIN], r, tut_seed(t) + 77);
    }
    if (s != RK_OK) {
        rk_mat_free(&w0);
        rk_svd_free(&w0_svd);
        return s;
    }
    const rk_amplify *col[4] = { &L->amp_lora[0], &L->amp_full[0], &L->amp_lora[1],
                                 &L->amp_full[1] };
    tut_printf(t, "linear%d: W0 %zu×%zu, ‖W0‖_F = %.3f\n\n", L5_MAIN + 1, w0.rows, w0.cols,
               L->amp_full[0].w0_fro);
    tut_printf(t, "                      LoRA r=%-3zu  full r=%-3zu  LoRA r=%-3zu  full r=%-3zu"
               "   paper r=4\n", col[0]->r, col[1]->r, col[2]->r, col[3]->r);
    const char *names[5] = { "‖UᵀW0V‖, ΔW's dirs", "‖UᵀW0V‖, W0's dirs", "‖UᵀW0V‖, random   ",
                             "‖ΔW‖_F            ", "factor            " };
    const char *paper[5] = { "0.32", "21.67", "0.02", "6.91", "21.5" };
    for (int row = 0; row < 5; row++) {
        tut_printf(t, "%s", names[row]);
        for (int c = 0; c < 4; c++) {
            const rk_amplify *a = col[c];
            double v = row == 0 ? a->proj_delta : row == 1 ? a->proj_w0
                     : row == 2 ? a->proj_random : row == 3 ? a->delta_fro : a->factor;
            tut_printf(t, "  %10.4f", v);
        }
        tut_printf(t, "   %9s\n", paper[row]);
    }
    tut_printf(t, "\n(the paper's W_q of GPT-3 layer 48; at r = 64 its factor is ≈ 2)\n");
    amp_check(t, "lora", &L->amp_lora[0]);
    amp_check(t, "full", &L->amp_full[0]);
    amp_check(t, "lora", &L->amp_lora[1]);
    amp_check(t, "full", &L->amp_full[1]);
    rk_mat_free(&w0);
    rk_svd_free(&w0_svd);
    return RK_OK;
}

/* ---- step 8 ------------------------------------------------------------ */

rk_status l5_step_init(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    const rk_mat *full = &L->dfull[L5_MAIN], *kai = &L->dlora[L5_MID][L5_MAIN];
    double ffro = rk_mat_norm_fro(full), kai_err = L->rel_err[L5_MID][L5_MAIN];
    size_t rank = 0;
    rk_status s = rk_delta_cosine(&L->kaiming_cos, kai, full);
    if (s == RK_OK)
        s = rk_delta_cosine(&L->normal_cos, &L->dnormal, full);
    if (s == RK_OK)
        s = rk_delta_rel_err(&L->normal_rel_err, &L->dnormal, full);
    if (s == RK_OK)
        s = rk_delta_rank(&rank, &L->dnormal);
    if (s != RK_OK)
        return s;
    L->kaiming_ratio = rk_mat_norm_fro(kai) / ffro;
    L->normal_ratio = rk_mat_norm_fro(&L->dnormal) / ffro;
    size_t r = L->ranks[L5_MID];
    tut_printf(t, "linear%d, r = %zu         ‖ΔW_lora‖/‖ΔW_full‖   cosine   rel_err   "
               "class %d acc\n", L5_MAIN + 1, r, L->nn.worst);
    tut_printf(t, "A kaiming-uniform         %8.3f          %7.3f   %7.3f   %7.4f\n",
               L->kaiming_ratio, L->kaiming_cos, kai_err, L->lora_target_acc[L5_MID]);
    tut_printf(t, "A ~ N(0,1)                %8.3f          %7.3f   %7.3f   %7.4f\n",
               L->normal_ratio, L->normal_cos, L->normal_rel_err, L->normal_target_acc);
    tut_printf(t, "Eckart–Young bound at r = %zu: %.3f; rank of the N(0,1) update: %zu\n", r,
               L->ey[L5_MID][L5_MAIN], rank);
    tut_printf(t, "(cosine = ⟨ΔW_lora, ΔW_full⟩_F / (‖ΔW_lora‖_F·‖ΔW_full‖_F), 1 = same direction)\n");
    /* The class accuracy does not rank the updates; rel_err against ΔW_full does. */
    if (L->normal_rel_err > kai_err && L->normal_ratio > 1 && fabs(L->normal_cos) < 0.3)
        tut_printf(t, "\nThe N(0,1) run fits class %d too (accuracy %.4f against %.4f), yet it is\n"
                      "the worse update: rel_err %.2f against %.2f. It is %.1f× the size of\n"
                      "ΔW_full and nearly orthogonal to it: it fits the class with a different,\n"
                      "larger change. That is why PEFT starts A small (kaiming-uniform).\n",
                   L->nn.worst, L->normal_target_acc, L->lora_target_acc[L5_MID],
                   L->normal_rel_err, kai_err, L->normal_ratio);
    else
        tut_printf(t, "\nJudge the updates by rel_err (%.2f for N(0,1), %.2f for kaiming), not by\n"
                      "the class accuracy: both runs fit the class.\n", L->normal_rel_err, kai_err);
    tut_check(t, "normal_ratio", "%.6f", L->normal_ratio);
    tut_check(t, "normal_cos", "%.6f", L->normal_cos);
    tut_check(t, "normal_rel_err", "%.17g", L->normal_rel_err);
    tut_check(t, "normal_rank", "%zu", rank);
    tut_check(t, "kaiming_ratio", "%.6f", L->kaiming_ratio);
    tut_check(t, "kaiming_cos", "%.6f", L->kaiming_cos);
    return RK_OK;
}

/* ---- step 9 ----------------------------------------------------------- */

/* One comparison: what, this run's figure, the paper's, and the verdict on the next line. */
static void paper_line(tut_runner *t, const char *what, const char *ours, const char *paper,
                       const char *verdict)
{
    char line[256];
    snprintf(line, sizeof line, "%s: %s (paper: %s)", what, ours, paper);
    size_t cols = 0;   /* UTF-8 code points: one column each here */
    for (const char *c = line; *c; c++)
        cols += ((unsigned char)*c & 0xC0) != 0x80;
    if (cols <= 80)
        tut_printf(t, "%s\n    → %s\n", line, verdict);
    else
        tut_printf(t, "%s: %s\n    (paper: %s)\n    → %s\n", what, ours, paper, verdict);
}

rk_status l5_step_paper(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    double p = L->phi11_small_large;
    char what[96], ours[64];
    tut_printf(t, "this run: %zu parameters, linear%d of %zu×%zu;\nthe paper: 175B, W_q 12288×12288\n\n",
               L->nn.base.n_params, L5_MAIN + 1, L->dfull[L5_MAIN].rows, L->dfull[L5_MAIN].cols);
    snprintf(ours, sizeof ours, "%.2f", p);
    paper_line(t, "φ(1,1) between r=2 and r=16", ours, "GPT-3 r=8 vs r=64: > 0.5",
               p > 0.5 ? "above 0.5, as in the paper" : "not above 0.5, unlike the paper");
    snprintf(ours, sizeof ours, "%.2f", L->phi_small_large_mean);
    paper_line(t, "mean φ(1, j) over j ≤ 16", ours, "not reported",
               L->phi_small_large_mean > 0.5 ? "the top direction of r=2 lies mostly inside r=16's"
                                              : "the top direction of r=2 lies mostly outside r=16's");
    const rk_amplify *a4 = &L->amp_lora[0], *a16 = &L->amp_lora[1];
    snprintf(what, sizeof what, "amplification factor, LoRA r=%zu", a4->r);
    snprintf(ours, sizeof ours, "%.2f", a4->factor);
    paper_line(t, what, ours, "r=4: 21.5", a4->factor > 1 ? "> 1, ΔW amplifies directions of W0"
                                                          : "≤ 1, no amplification");
    snprintf(what, sizeof what, "amplification factor, LoRA r=%zu", a16->r);
    snprintf(ours, sizeof ours, "%.2f", a16->factor);
    paper_line(t, what, ours, "r=64: ≈ 2", a16->factor < a4->factor
                                               ? "smaller than at low r, as in the paper"
                                               : "not smaller than at low r, unlike the paper");
    double rw = a4->proj_delta / a4->proj_w0, rr = a4->proj_delta / a4->proj_random;
    snprintf(what, sizeof what, "‖UᵀW0V‖ along ΔW's dirs / W0's own, r=%zu", a4->r);
    snprintf(ours, sizeof ours, "%.3f", rw);
    paper_line(t, what, ours, "0.32/21.67 = 0.015",
               rw < 0.5 ? "ΔW's directions are not W0's top ones, as in the paper"
                        : "ΔW's directions are close to W0's top ones, unlike the paper");
    snprintf(what, sizeof what, "‖UᵀW0V‖ along ΔW's dirs / random, r=%zu", a4->r);
    snprintf(ours, sizeof ours, "%.2f", rr);
    paper_line(t, what, ours, "0.32/0.02 = 16", rr > 1 ? "ΔW's directions lie in W0 more than random ones"
                                                       : "no more of W0 than in random directions");
    double e = L->rel_err[L5_MID][L5_MAIN], b = L->ey[L5_MID][L5_MAIN];
    snprintf(what, sizeof what, "rel_err at r=%zu", L->ranks[L5_MID]);
    snprintf(ours, sizeof ours, "%.3f, %.2f× the Eckart–Young bound %.3f", e, e / b, b);
    paper_line(t, what, ours, "no counterpart", "LoRA lands above the best rank-r update");
    snprintf(what, sizeof what, "φ(1,1) of ΔW_lora(r=%zu) and ΔW_full", L->ranks[L5_LARGE]);
    snprintf(ours, sizeof ours, "%.2f", L->phi11_full[L5_LARGE]);
    paper_line(t, what, ours, "no counterpart", "1 would mean LoRA's top direction is the full one's");
    snprintf(what, sizeof what, "N(0,1) init, r=%zu", L->ranks[L5_MID]);
    snprintf(ours, sizeof ours, "‖ΔW‖ %.1f× the full one's, cosine %.2f", L->normal_ratio,
             L->normal_cos);
    paper_line(t, what, ours, "the PyTorch version: 3-9×, nearly orthogonal",
               L->normal_ratio > 1 && fabs(L->normal_cos) < 0.3
                   ? "larger and nearly orthogonal, the same picture"
                   : "a different picture");
    tut_check(t, "paper_phi_above_half", "%d", p > 0.5);
    tut_check(t, "paper_factor_falls", "%d", a16->factor < a4->factor);
    return RK_OK;
}
