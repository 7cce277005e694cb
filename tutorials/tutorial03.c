/*
 * tutorial03.c — lesson 3, "Weight deltas": fine-tune every weight of a
 * pretrained network on its worst class and look at what changed,
 * ΔW = W_ft − W0, layer by layer (docs/tutorials/03-weight-deltas.md).
 *
 * The network is lessons 3–4's small one (lesson_nn.h: 784 → 200 → 400 → 10
 * on 12,000 images, or smaller with --quick); the full-size run is
 * `ranklab demo`. After the fine-tune the lesson takes the SVD of each ΔW
 * (Out × In, in double), reports how much of its energy the top directions
 * hold, and evaluates W0 + [ΔW]_r — the delta truncated to rank r in every
 * layer, biases at their fine-tuned values — for growing r.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lesson_nn.h"
#include "runner.h"
#include "tut_plots.h"

#define DOC "docs/tutorials/03-weight-deltas.md"

enum { NL = 3, C = RK_DATASET_CLASSES };

typedef struct lesson3 {
    lesson_nn nn;           /* data and the pretrained network (W0) */
    rk_mlp ft;              /* the fully fine-tuned network (W_ft) */
    double pre_acc, pre_target, ft_acc, ft_target;
    rk_mat dw[NL];          /* ΔW_l = W_ft − W0, (Out, In), double */
    rk_svd svd[NL];         /* thin SVD of dw[l] */
    rk_svd w0svd[NL];       /* singular values of W0 (for comparison) */
    size_t kmax;            /* the largest min(Out, In) over the layers */
} lesson3;

/* ---- step 1 ------------------------------------------------------------ */

static rk_status step_pretrain(tut_runner *t, void *ctx)
{
    lesson3 *L = ctx;
    return lnn_pretrain_step(t, &L->nn, &L->pre_acc, &L->pre_target);
}

/* ---- step 2 ------------------------------------------------------------ */

static rk_status step_finetune(tut_runner *t, void *ctx)
{
    lesson3 *L = ctx;
    lesson_nn *n = &L->nn;
    rk_status s = rk_mlp_create(&L->ft, &n->cfg, LNN_EVAL_BATCH);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&L->ft, &n->base);   /* start from W0 */
    rk_train_result res = { 0 };
    if (s == RK_OK)
        s = lnn_finetune(n, &L->ft, NULL, tut_seed(t) + 1, &res);
    rk_eval ev = { 0 };
    if (s == RK_OK)
        s = lnn_evaluate(n, &L->ft, NULL, &ev, &L->ft_acc, &L->ft_target);
    if (s != RK_OK)
        return s;
    const char *wname = rk_dataset_class_name((size_t)n->worst);
    tut_printf(t, "fine-tune: %zu steps of %d images of class %d %s (%zu of them), every\n"
                  "one of the %zu parameters trains; loss %.3f → %.3f in %.2f s\n\n",
               res.steps, LNN_BATCH, n->worst, wname, n->n_target, L->ft.n_params, res.loss_first,
               res.loss_last, res.seconds);
    tut_printf(t, "                 accuracy   class %d %s\n", n->worst, wname);
    tut_printf(t, "  pretrained      %.4f    %.4f\n", L->pre_acc, L->pre_target);
    tut_printf(t, "  fine-tuned      %.4f    %.4f\n\n", L->ft_acc, L->ft_target);
    lnn_print_wrong_head(t);
    lnn_print_wrong(t, "pretrained", &n->pre);
    lnn_print_wrong(t, "fine-tuned", &ev);
    size_t w = (size_t)n->worst, pre_t = rk_metrics_class_wrong(n->pre.confusion, C, w);
    size_t ft_t = rk_metrics_class_wrong(ev.confusion, C, w), pre_o = 0, ft_o = 0;
    for (size_t c = 0; c < C; c++)
        if (c != w) {
            pre_o += rk_metrics_class_wrong(n->pre.confusion, C, c);
            ft_o += rk_metrics_class_wrong(ev.confusion, C, c);
        }
    rk_eval_free(&ev);
    tut_printf(t, "\nwrong: class %d %s %zu → %zu, the other classes %zu → %zu. Trained on\n"
                  "one class only, the network learnt to answer %d; what it knew of the others\n"
                  "is overwritten (catastrophic forgetting).\n", n->worst, wname, pre_t, ft_t,
               pre_o, ft_o, n->worst);
    tut_check(t, "pre_target_acc", "%.6f", L->pre_target);
    tut_check(t, "ft_acc", "%.6f", L->ft_acc);
    tut_check(t, "ft_target_acc", "%.6f", L->ft_target);
    return RK_OK;
}

/* ---- step 3 ------------------------------------------------------------ */

static rk_status step_delta(tut_runner *t, void *ctx)
{
    lesson3 *L = ctx;
    tut_printf(t, "ΔW shape: Out×In (rows × columns); ‖M‖_F = √(sum of all entries²)\n\n");
    tut_printf(t, "                                                     rank            zero in ΔW\n");
    tut_printf(t, "layer    ΔW shape      ‖W0‖_F    ‖ΔW‖_F ‖ΔW‖/‖W0‖    (ΔW)    of   rows  columns\n");
    for (size_t l = 0; l < NL; l++) {
        rk_mat w0 = { 0 };
        rk_status s = rk_mlp_weight_delta(&L->dw[l], &L->ft, &L->nn.base, l);
        if (s == RK_OK)
            s = rk_svd_decomp(&L->svd[l], &L->dw[l], RK_SVD_THIN);
        if (s == RK_OK)   /* W0 as double: its delta from a zero network is not needed, copy it */
            s = rk_mat_create(&w0, L->dw[l].rows, L->dw[l].cols);
        if (s == RK_OK) {
            for (size_t i = 0; i < w0.rows * w0.cols; i++)
                w0.data[i] = L->nn.base.p.w[l][i];
            s = rk_svd_decomp(&L->w0svd[l], &w0, RK_SVD_VALUES);
        }
        double w0f = rk_mat_norm_fro(&w0);
        rk_mat_free(&w0);
        if (s != RK_OK)
            return s;
        const rk_svd *d = &L->svd[l];
        size_t rank = rk_rank_from_values(d->s, d->k, L->dw[l].rows, L->dw[l].cols, NULL, NULL);
        double df = rk_spectrum_fro(d->s, d->k);
        L->kmax = d->k > L->kmax ? d->k : L->kmax;
        char shape[32];
        snprintf(shape, sizeof shape, "%zu×%zu", L->dw[l].rows, L->dw[l].cols);
        size_t zero_rows = 0, zero_cols = 0;   /* weights of silent units did not move */
        for (size_t i = 0; i < L->dw[l].rows; i++) {
            bool zero = true;
            for (size_t j = 0; j < L->dw[l].cols && zero; j++)
                zero = RK_AT(&L->dw[l], i, j) == 0.0;
            zero_rows += zero;
        }
        for (size_t j = 0; j < L->dw[l].cols; j++) {
            bool zero = true;
            for (size_t i = 0; i < L->dw[l].rows && zero; i++)
                zero = RK_AT(&L->dw[l], i, j) == 0.0;
            zero_cols += zero;
        }
        tut_printf(t, "linear%zu  %-10s  %8.3f  %8.4f    %.4f    %4zu  %4zu   %4zu  %7zu\n", l + 1,
                   shape, w0f, df, df / w0f, rank, d->k, zero_rows, zero_cols);
        char key[32];
        snprintf(key, sizeof key, "dw_rank_%zu", l + 1);
        tut_check(t, key, "%zu", rank);
        snprintf(key, sizeof key, "dw_k_%zu", l + 1);
        tut_check(t, key, "%zu", d->k);
    }
    tut_printf(t, "\nThe update is small next to the weights. Where its rank falls short of\n"
                  "min(Out, In), rows or columns of ΔW are exactly zero: a unit that never\n"
                  "fired on the fine-tuning images gets no gradient, neither for the weights\n"
                  "into it (a row) nor for those reading it in the next layer (a column).\n"
                  "Everything else moved a little; the spectrum says how unevenly.\n");
    return RK_OK;
}

/* ---- step 4 ------------------------------------------------------------ */

static rk_status step_spectrum(tut_runner *t, void *ctx)
{
    lesson3 *L = ctx;
    tut_printf(t, "                                    energy kept      rank for  stable effective\n"
                  "               σ₁     σ₂     σ₅    r=1   r=4  r=16   90%%   99%%    rank     rank\n");
    for (size_t l = 0; l < NL; l++) {
        const double *s = L->svd[l].s;
        size_t k = L->svd[l].k;
        size_t r90 = rk_spectrum_rank_for_energy(s, k, 0.90);
        size_t r99 = rk_spectrum_rank_for_energy(s, k, 0.99);
        double st = rk_spectrum_stable_rank(s, k), ef = rk_spectrum_effective_rank(s, k);
        tut_printf(t, "linear%zu ΔW %6.3f %6.3f %6.3f  %5.3f %5.3f %5.3f  %4zu  %4zu  %6.2f  %7.1f\n",
                   l + 1, s[0], s[1], k > 4 ? s[4] : 0.0, rk_spectrum_energy(s, k, 1),
                   rk_spectrum_energy(s, k, 4), rk_spectrum_energy(s, k, 16), r90, r99, st, ef);
        const double *w = L->w0svd[l].s;
        size_t kw = L->w0svd[l].k;
        tut_printf(t, "linear%zu W0 %6.3f %6.3f %6.3f  %5.3f %5.3f %5.3f  %4zu  %4zu  %6.2f  %7.1f\n",
                   l + 1, w[0], w[1], kw > 4 ? w[4] : 0.0, rk_spectrum_energy(w, kw, 1),
                   rk_spectrum_energy(w, kw, 4), rk_spectrum_energy(w, kw, 16),
                   rk_spectrum_rank_for_energy(w, kw, 0.90), rk_spectrum_rank_for_energy(w, kw, 0.99),
                   rk_spectrum_stable_rank(w, kw), rk_spectrum_effective_rank(w, kw));
        char key[32];
        snprintf(key, sizeof key, "dw_r90_%zu", l + 1);
        tut_check(t, key, "%zu", r90);
        snprintf(key, sizeof key, "dw_r99_%zu", l + 1);
        tut_check(t, key, "%zu", r99);
        snprintf(key, sizeof key, "dw_stable_%zu", l + 1);
        tut_check(t, key, "%.6f", st);
        snprintf(key, sizeof key, "w0_r90_%zu", l + 1);
        tut_check(t, key, "%zu", rk_spectrum_rank_for_energy(w, kw, 0.90));
    }
    tut_printf(t, "\nenergy kept at r: Σ_{i≤r}σ_i²/Σσ²; stable rank ‖·‖_F²/σ₁²; effective rank\n"
                  "exp(H), H = −Σ p_i·log p_i of p_i = σ_i/Σσ (lesson 2, step 3).\n");
    tut_printf(t, "\nCompare the 90%% columns: a handful of directions carry most of each ΔW,\n"
                  "while W0 spreads its energy over many. The fine-tune is low-rank in\n"
                  "practice although no rank was imposed: LoRA bets on exactly this.\n");
    const char *names[NL] = { "ΔW linear1", "ΔW linear2", "ΔW linear3" };
    const double *sv[NL] = { L->svd[0].s, L->svd[1].s, L->svd[2].s };
    /* Every value: the plot leaves out the zeros a log axis cannot show and counts them. */
    size_t ks[NL] = { L->svd[0].k, L->svd[1].k, L->svd[2].k };
    tut_spectra(t, names, sv, ks, NL, "Lesson 3: spectra of the fine-tuning deltas", "dw_spectra");
    return RK_OK;
}

/* ---- step 5 ------------------------------------------------------------ */

/* net ← W0 + [ΔW]_r in every layer (r clamped to the layer's k), fine-tuned biases. */
static rk_status truncated_net(lesson3 *L, rk_mlp *net, size_t r)
{
    rk_status s = rk_mlp_copy_params(net, &L->ft);
    for (size_t l = 0; l < NL && s == RK_OK; l++) {
        rk_mat dr = { 0 }, w = { 0 };
        size_t rl = r < L->svd[l].k ? r : L->svd[l].k;
        s = rk_lowrank_approx(&dr, &L->svd[l], rl);    /* [ΔW]_r = U_r·S_r·V_rᵀ */
        if (s == RK_OK)
            s = rk_mat_from_f32(&w, L->nn.base.p.w[l], dr.rows, dr.cols);
        if (s == RK_OK)
            s = rk_mat_axpy(&w, 1.0, &dr);              /* W0 + [ΔW]_r in double */
        if (s == RK_OK)
            s = rk_mat_to_f32(net->p.w[l], &w);         /* rounded once */
        rk_mat_free(&w);
        rk_mat_free(&dr);
    }
    return s;
}

static rk_status step_truncate(tut_runner *t, void *ctx)
{
    lesson3 *L = ctx;
    rk_mlp net = { 0 };
    rk_status s = rk_mlp_create(&net, &L->nn.cfg, LNN_EVAL_BATCH);
    size_t rs[12], nr = 0;
    for (size_t r = 1; r < L->kmax && nr < 11; r *= 2)
        rs[nr++] = r;
    rs[nr++] = L->kmax;
    int w = L->nn.worst;
    tut_printf(t, "      r   accuracy   class %d %s   (every layer: W0 + [ΔW]_r)\n", w,
               rk_dataset_class_name((size_t)w));
    tut_printf(t, "      0    %.4f    %.4f   pretrained W0 (its own biases)\n", L->pre_acc,
               L->pre_target);
    size_t r_close = 0;   /* from r_close on, class w is within 0.01 of W_ft's */
    for (size_t i = 0; i < nr && s == RK_OK; i++) {
        double acc = 0, tacc = 0;
        s = truncated_net(L, &net, rs[i]);
        if (s == RK_OK)
            s = lnn_evaluate(&L->nn, &net, NULL, NULL, &acc, &tacc);
        if (s != RK_OK)
            break;
        if (r_close == 0 && fabs(tacc - L->ft_target) <= 0.01)
            r_close = rs[i];
        else if (fabs(tacc - L->ft_target) > 0.01)
            r_close = 0;
        tut_printf(t, "  %5zu    %.4f    %.4f%s\n", rs[i], acc, tacc,
                   i + 1 == nr ? "   = full rank: ΔW itself" : "");
        char key[32];
        snprintf(key, sizeof key, "trunc_acc_%zu", rs[i]);
        tut_check(t, key, "%.6f", acc);
        snprintf(key, sizeof key, "trunc_target_%zu", rs[i]);
        tut_check(t, key, "%.6f", tacc);
    }
    if (s == RK_OK) {
        /* r = full: every weight is fl(W0 + ΔW) = W_ft up to one rounding */
        double worst = 0;
        for (size_t l = 0; l < NL; l++) {
            size_t nw = L->nn.cfg.sizes[l] * L->nn.cfg.sizes[l + 1];
            double diff = 0, scale = 0;
            for (size_t i = 0; i < nw; i++) {
                double ft = L->ft.p.w[l][i];
                diff = fmax(diff, fabs((double)net.p.w[l][i] - ft));
                scale = fmax(scale, fabs(ft));
            }
            worst = fmax(worst, diff / (FLT_EPSILON * scale));
        }
        tut_printf(t, "      full fine-tune: %.4f    %.4f\n", L->ft_acc, L->ft_target);
        tut_printf(t, "\nAt full rank every weight equals W_ft to %.2f units of float rounding\n"
                      "(max |W − W_ft| / (ε₃₂·max |W_ft|) over the layers, ε₃₂ = float32's ε).\n",
                   worst);
        if (r_close > 0)
            tut_printf(t, "Class %d %s is within 0.01 of the full fine-tune's accuracy from r = %zu\n"
                          "on: a few directions of ΔW carry the change.\n", w,
                       rk_dataset_class_name((size_t)w), r_close);
        tut_check(t, "trunc_full_r", "%zu", L->kmax);
        tut_check(t, "trunc_full_weight_ulps", "%.6e", worst);
        tut_check(t, "trunc_target_close_r", "%zu", r_close);
    }
    rk_mlp_free(&net);
    return s;
}

/* ---- the lesson -------------------------------------------------------- */

static bool opt_quick(void *ctx, const char *v) { return lnn_opt_quick(&((lesson3 *)ctx)->nn, v); }

static bool opt_data(void *ctx, const char *v) { return lnn_opt_data(&((lesson3 *)ctx)->nn, v); }

static void cleanup(void *ctx)
{
    lesson3 *L = ctx;
    lnn_free(&L->nn);
    rk_mlp_free(&L->ft);
    for (size_t l = 0; l < NL; l++) {
        rk_mat_free(&L->dw[l]);
        rk_svd_free(&L->svd[l]);
        rk_svd_free(&L->w0svd[l]);
    }
}

static const tut_step steps[] = {
    { "Pretrain a small network and find its worst class",
      "The LoRA notebook's recipe on Fashion-MNIST, made small enough for a\n"
      "lesson: a net a fifth as wide, on 12,000 images for one epoch (the full\n"
      "run is `ranklab demo`). Its weakest class is computed from the test set.",
      step_pretrain,
      { "lib/nn/train.c rk_train_run()", "lib/nn/mlp.c rk_mlp_evaluate()",
        "lib/nn/metrics.c rk_metrics_worst_class()", NULL },
      DOC ", docs/nn.md" },
    { "Fine-tune every weight on the worst class",
      "A copy of the network trains on that class alone: 100 steps of 10\n"
      "images, every parameter free (a full fine-tune, no adapter).",
      step_finetune,
      { "lib/nn/mlp.c rk_mlp_copy_params()", "lib/nn/train.c rk_train_step()", NULL },
      DOC },
    { "ΔW = W_ft − W0, layer by layer",
      "What did the fine-tune change? Subtract the weights, in double, and take\n"
      "the SVD of each layer's delta.",
      step_delta,
      { "lib/nn/mlp.c rk_mlp_weight_delta()", "lib/linalg/svd.c rk_svd_decomp()",
        "lib/linalg/rank.c rk_rank_from_values()", NULL },
      DOC ", docs/concepts/svd.md" },
    { "The spectrum of ΔW: few directions hold its energy",
      "The energy of the top r directions, the rank needed for 90% and 99% of\n"
      "‖ΔW‖_F², and the stable and effective ranks — next to the same numbers\n"
      "for the pretrained weights W0.",
      step_spectrum,
      { "lib/linalg/spectrum.c rk_spectrum_rank_for_energy()",
        "lib/linalg/spectrum.c rk_spectrum_stable_rank()",
        "lib/linalg/spectrum.c rk_spectrum_effective_rank()", NULL },
      DOC ", docs/concepts/rank.md" },
    { "Truncate ΔW to rank r: what accuracy survives",
      "Keep only the top r directions of every layer's delta, W0 + [ΔW]_r, and\n"
      "evaluate overall and on the target class. As r grows both approach the\n"
      "full fine-tune's; how small an r already carries the change?",
      step_truncate,
      { "lib/linalg/lowrank.c rk_lowrank_approx()", "lib/nn/mlp.c rk_mlp_evaluate()", NULL },
      DOC ", docs/concepts/lowrank.md" },
};

static const tut_option options[] = {
    { "data", "DIR", "Fashion-MNIST folder (default $RANKLAB_DATA, else Debian's)", opt_data },
    { "quick", NULL, "a smaller net and data (the test suite's run)", opt_quick },
};

int main(int argc, char **argv)
{
    lesson3 L = { .nn.prog = "ranklab-tutorial-03" };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-03",
        .title = "Lesson 3: Weight deltas",
        .intro = "Fine-tune a whole network on one class and look at ΔW = W_ft − W0: its\n"
                 "spectrum, and what truncating it to rank r keeps.\nText: " DOC "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
