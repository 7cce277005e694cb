/*
 * tutorial07.c — lesson 7, "What LoRA forgets" (docs/tutorials/07-what-lora-forgets.md).
 *
 * Intruder dimensions (Shuttleworth et al., arXiv 2410.21228) on a case you
 * can see — a 3×2 weight whose two left singular vectors span a plane, and
 * an update that adds a direction out of it — and where the test is blind
 * (a 3×3 weight); then on the small network of lessons 3–5 (lesson_nn.h),
 * fine-tuned fully and with LoRA on its worst class while a fixed evaluation
 * subset is measured every 10 steps (learning: the target class; forgetting:
 * the other nine; Biderman et al., arXiv 2405.09673); the intruders of each
 * layer, scaling them down by λ, and the learn–forget curves.
 *
 * Shapes: W (Out, In) row-major; in the toy steps W0 is 3×2 (three outputs,
 * two inputs) and U0 its 3×2 thin left singular vectors.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lesson_nn.h"
#include "runner.h"
#include "tut_plots.h"

#define DOC "docs/tutorials/07-what-lora-forgets.md"

enum { L7_LAYERS = 3, L7_TOP = 10, L7_SEED_FT = 17, L7_RECORDS = LNN_FT_STEPS / LNN_TRACK_EVERY + 1,
       L7_PHI_RANK = 8, L7_LAMBDAS = 5 };

static const double lambdas[L7_LAMBDAS] = { 1.0, 0.75, 0.5, 0.25, 0.0 };

typedef struct lesson7 {
    lesson_nn nn;               /* data, the pretrained network, the worst class */
    size_t rank;                /* --rank: LoRA rank (default 1) */
    rk_lora_init init;          /* --init: normal (the notebook's, default) or kaiming */
    size_t n_eval;              /* examples of the evaluation subset */
    size_t n_target;            /* of which of the target class */
    rk_lf_eval ev;              /* the first n_eval test images */
    rk_mlp full;                /* full fine-tune of a copy of the base */
    rk_mlp lnet;                /* a copy of the base, frozen under the adapter */
    rk_lora lora;               /* the adapter */
    rk_lf_track tr_full, tr_lora;
    rk_mat w0[L7_LAYERS], wfull[L7_LAYERS], wlora[L7_LAYERS];   /* (Out, In) in double */
    size_t n_full[L7_LAYERS], n_lora[L7_LAYERS];               /* intruders in the top 10 */
    rk_lf_point sweep[2][L7_LAMBDAS];                           /* [0] LoRA, [1] full */
} lesson7;

/* ---- steps 1 and 2: toy weights ------------------------------------------ */

/* Print W, the test's numbers for W_ft against W0 with the top @p top, and return the count. */
static rk_status toy_case(tut_runner *t, const char *what, const rk_mat *w0, const rk_mat *wft,
                          size_t top, size_t *count, double *c1)
{
    rk_intruders r;
    rk_status s = rk_intruders_find(&r, w0, wft, top, 0.5);
    if (s != RK_OK)
        return s;
    rk_mat d = { 0 };
    if ((s = rk_mat_dup(&d, wft)) == RK_OK)
        s = rk_mat_axpy(&d, -1.0, w0);
    if (s == RK_OK) {
        tut_printf(t, "%s   ‖ΔW‖_F = %.3f\n", what, rk_mat_norm_fro(&d));
        tut_print_mat(t, "  W_ft", wft, "%7.3f", 3);
        for (size_t i = 0; i < top; i++) {
            double u[3], big = 0; /* a singular vector's sign is arbitrary: show its largest entry positive */
            for (size_t p = 0; p < 3; p++) {
                u[p] = RK_AT(&r.ft.u, p, i);
                big = fabs(u[p]) > fabs(big) ? u[p] : big;
            }
            double sg = big < 0 ? -1.0 : 1.0;
            for (size_t p = 0; p < 3; p++)
                u[p] = fabs(u[p]) < 5e-4 ? 0.0 : sg * u[p]; /* no "-0.000" from rounding */
            sg = 1.0;
            tut_printf(t, "  u'_%zu = (%6.3f, %6.3f, %6.3f)  σ' = %.3f   c = max_j |u'·u_j| = %.3f%s\n", i + 1,
                       sg * u[0], sg * u[1], sg * u[2], r.ft.s[i], r.max_cos[i],
                       r.is_intruder[i] ? "\n      < 0.5: an intruder" : "");
        }
        tut_printf(t, "  intruders: %zu%s\n\n", r.count,
                   r.trivial == RK_INTRUDER_MEANINGFUL ? "" : "  (the test cannot find any here)");
        *count = r.count;
        *c1 = r.max_cos[0];
    }
    rk_mat_free(&d);
    rk_intruders_free(&r);
    return s;
}

/* @p text indented by two spaces, broken at spaces to fit 80 columns. */
static void print_wrapped(tut_runner *t, const char *text)
{
    enum { WIDTH = 78 };
    const char *p = text;
    while (*p) {
        size_t len = strlen(p), cut = len, cols = 0;
        for (size_t i = 0; i < len; i++) {
            if (((unsigned char)p[i] & 0xC0) != 0x80 && ++cols > WIDTH - 2) {
                cut = i;
                break;
            }
        }
        if (cut < len)
            while (cut > 0 && p[cut] != ' ')
                cut--;
        if (cut == 0)
            cut = len;
        tut_printf(t, "  %.*s\n", (int)cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

static rk_status step_toy(tut_runner *t, void *ctx)
{
    (void)ctx;
    double w0d[6] = { 3, 0, 0, 1, 0, 0 };  /* (3, 2): U0 = e1, e2, the plane z = 0 */
    double small[6] = { 3, 0, 0, 1, 0, 0.5 }, large[6] = { 3, 0, 0, 1, 0, 4 };
    double c = sqrt(3.0) / 2, sn = 0.5; /* cos 30°, sin 30° */
    double rot[6] = { 3 * c, -sn, 3 * sn, c, 0, 0 };  /* R·W0, R a 30° turn inside the plane */
    rk_mat w0 = rk_mat_wrap(w0d, 3, 2), ws = rk_mat_wrap(small, 3, 2), wl = rk_mat_wrap(large, 3, 2);
    rk_mat wr = rk_mat_wrap(rot, 3, 2);
    tut_print_mat(t, "W0", &w0, "%7.3f", 3);
    tut_printf(t, "U0 = (e1, e2): W0's two left singular vectors span the plane z = 0.\n\n");
    size_t n_small, n_large, n_rot;
    double c_small, c_large, c_rot;
    rk_status s = toy_case(t, "ΔW = 0.5·e3·(0, 1): a small step out of the plane", &w0, &ws, 2, &n_small, &c_small);
    if (s == RK_OK)
        s = toy_case(t, "ΔW = 4·e3·(0, 1): the same direction, 8 times stronger", &w0, &wl, 2, &n_large, &c_large);
    if (s == RK_OK)
        s = toy_case(t, "W_ft = R·W0, R a 30° rotation inside the plane", &w0, &wr, 2, &n_rot, &c_rot);
    if (s != RK_OK)
        return s;
    tut_printf(t, "The strong update out of the plane makes W_ft's top direction (0, 0.243, 0.970)\n"
                  "a new one: cosine 1/√17 = 0.243 with e2 and 0 with e1. The rotation moves W0's\n"
                  "directions by 30° but keeps them in the plane: cosines cos 30° = 0.866, no\n"
                  "intruder.\n");
    tut_check(t, "toy_small_intruders", "%zu", n_small);
    tut_check(t, "toy_large_intruders", "%zu", n_large);
    tut_check(t, "toy_large_c1", "%.6f", c_large);
    tut_check(t, "toy_rotation_intruders", "%zu", n_rot);
    return RK_OK;
}

static rk_status step_blind(tut_runner *t, void *ctx)
{
    (void)ctx;
    double w0d[9] = { 3, 0, 0, 0, 2, 0, 0, 0, 1 }, wd[9];
    memcpy(wd, w0d, sizeof wd);
    for (size_t i = 0; i < 3; i++)
        wd[i * 3 + 2] += 4.0 / sqrt(3.0);  /* ΔW = 4·(1, 1, 1)/√3 · e3ᵀ */
    rk_mat w0 = rk_mat_wrap(w0d, 3, 3), wft = rk_mat_wrap(wd, 3, 3);
    tut_print_mat(t, "W0", &w0, "%7.3f", 3);
    size_t n;
    double c1;
    rk_status s = toy_case(t, "ΔW = 4·(1, 1, 1)/√3 · e3ᵀ: a diagonal direction", &w0, &wft, 2, &n, &c1);
    if (s != RK_OK)
        return s;
    rk_intruders r;
    if ((s = rk_intruders_find(&r, &w0, &wft, 2, 0.5)) != RK_OK)
        return s;
    tut_printf(t, "A 3×3 W0 has three left vectors: a whole basis of R³. Any unit vector u has\n"
                  "Σ_j (u·u_j)² = 1, so its largest cosine is at least 1/√3 = 0.577 > 0.5: no\n"
                  "vector of R³ can be an intruder. ranklab says so instead of counting:\n");
    print_wrapped(t, rk_intruder_trivial_text(r.trivial));
    tut_printf(t, "The network's last layer has the other blind spot: 10 outputs and K = 10,\n"
                  "so W_ft's top 10 are a whole basis of R^10 just as W0's are.\n");
    tut_check(t, "blind_c1", "%.6f", c1);
    tut_check(t, "blind_trivial", "%d", r.trivial == RK_INTRUDER_NONE_POSSIBLE);
    rk_intruders_free(&r);
    return RK_OK;
}

/* ---- step 3: pretrain ---------------------------------------------------- */

static rk_status step_pretrain(tut_runner *t, void *ctx)
{
    lesson7 *L = ctx;
    rk_status s = lnn_pretrain_step(t, &L->nn, NULL, NULL);
    if (s != RK_OK)
        return s;
    L->n_eval = L->nn.test.n < (L->nn.quick ? 1000u : 2000u) ? L->nn.test.n : (L->nn.quick ? 1000u : 2000u);
    L->ev = (rk_lf_eval){ L->nn.test.x, L->nn.test.y, L->n_eval, L->nn.worst };
    size_t n_t = 0;
    for (size_t i = 0; i < L->n_eval; i++)
        n_t += L->ev.y[i] == L->nn.worst;
    L->n_target = n_t;
    tut_printf(t, "\nevaluation subset: the first %zu test images,\n%zu of class %d, %zu of the others\n",
               L->n_eval, n_t, L->nn.worst, L->n_eval - n_t);
    tut_check(t, "eval_n", "%zu", L->n_eval);
    return RK_OK;
}

/* ---- step 4: fine-tune, watched ---------------------------------------- */

static rk_status finetunes(tut_runner *t, lesson7 *L)
{
    const rk_mlp *base = &L->nn.base;
    rk_status s = rk_mlp_create(&L->full, &base->cfg, base->max_batch);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&L->full, base);
    if (s == RK_OK)
        s = rk_mlp_create(&L->lnet, &base->cfg, base->max_batch);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&L->lnet, base);
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t) + 2);
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = L->rank;
    lc.alpha = (double)L->rank;   /* s = α/r = 1, as the notebook's α = r = 1 */
    lc.init = L->init;
    if (s == RK_OK)
        s = rk_lora_create(&L->lora, &L->lnet, &lc, &rng);
    if (s == RK_OK)
        s = rk_lf_track_init(&L->tr_full, L7_LAYERS, L7_RECORDS, L7_PHI_RANK);
    if (s == RK_OK)
        s = rk_lf_track_init(&L->tr_lora, L7_LAYERS, L7_RECORDS, 0);
    uint64_t seed = tut_seed(t) + L7_SEED_FT;   /* the same batches for both */
    if (s == RK_OK)
        s = lnn_finetune_tracked(&L->nn, &L->full, NULL, seed, &L->tr_full, &L->ev, NULL);
    if (s == RK_OK)
        s = lnn_finetune_tracked(&L->nn, &L->lnet, &L->lora, seed, &L->tr_lora, &L->ev, NULL);
    if (s == RK_OK)
        s = rk_lf_finish(&L->tr_full);
    return s;
}

static rk_status step_finetune(tut_runner *t, void *ctx)
{
    lesson7 *L = ctx;
    rk_status s = finetunes(t, L);
    if (s != RK_OK)
        return s;
    const rk_lf_track *f = &L->tr_full, *o = &L->tr_lora;
    tut_printf(t, "class %d = target; accuracy on the evaluation subset every %d steps\n\n", L->nn.worst,
               LNN_TRACK_EVERY);
    tut_printf(t, "step    full: target  others    LoRA r=%zu: target  others\n", L->rank);
    for (size_t i = 0; i < f->n && i < o->n; i++)
        tut_printf(t, "%4zu          %6.3f  %6.3f              %6.3f  %6.3f\n", f->points[i].step,
                   f->points[i].target_acc, f->points[i].other_acc, o->points[i].target_acc,
                   o->points[i].other_acc);
    rk_lf_point pre, fin_full, fin_lora;
    if ((s = rk_lf_accuracy(&pre, &L->nn.base, NULL, &L->ev)) == RK_OK &&
        (s = rk_lf_accuracy(&fin_full, &L->full, NULL, &L->ev)) == RK_OK)
        s = rk_lf_accuracy(&fin_lora, &L->lnet, &L->lora, &L->ev);
    if (s != RK_OK)
        return s;
    const rk_lf_point *f0 = &f->points[0], *fl = &f->points[f->n - 1], *ol = &o->points[o->n - 1];
    bool step0 = f0->target_acc == pre.target_acc && f0->other_acc == pre.other_acc &&
                 o->points[0].target_acc == pre.target_acc && o->points[0].other_acc == pre.other_acc;
    bool last = fl->target_acc == fin_full.target_acc && fl->other_acc == fin_full.other_acc &&
                ol->target_acc == fin_lora.target_acc && ol->other_acc == fin_lora.other_acc;
    tut_printf(t, "\nstep 0 is the pretrained network (%s);\nthe last row is the final evaluation (%s).\n",
               step0 ? "equal" : "NOT equal", last ? "equal" : "NOT equal");
    tut_check(t, "lf_step0_is_pretrained", "%d", step0);
    tut_check(t, "lf_last_is_final", "%d", last);
    tut_check(t, "full_target_last", "%.6f", fl->target_acc);
    tut_check(t, "full_other_last", "%.6f", fl->other_acc);
    tut_check(t, "lora_target_last", "%.6f", ol->target_acc);
    tut_check(t, "lora_other_last", "%.6f", ol->other_acc);
    tut_check(t, "pre_other", "%.6f", pre.other_acc);
    return RK_OK;
}

/* ---- step 5: intruders per layer -------------------------------------- */

/* W0, W_full, W0 + s·B·A of layer @p l in double. */
static rk_status layer_weights(lesson7 *L, size_t l)
{
    size_t in = L->nn.cfg.sizes[l], out = L->nn.cfg.sizes[l + 1];
    rk_mat d = { 0 };
    rk_status s = rk_mat_from_f32(&L->w0[l], L->nn.base.p.w[l], out, in);
    if (s == RK_OK)
        s = rk_mat_from_f32(&L->wfull[l], L->full.p.w[l], out, in);
    if (s == RK_OK)
        s = rk_lora_delta(&d, &L->lora, l);
    if (s == RK_OK)
        s = rk_mat_dup(&L->wlora[l], &L->w0[l]);
    if (s == RK_OK)
        s = rk_mat_axpy(&L->wlora[l], 1.0, &d);
    rk_mat_free(&d);
    return s;
}

static void heatmap(tut_runner *t, const rk_intruders *r, size_t l, const char *who)
{
    rk_mat cos = { 0 };
    size_t nb = r->k < 60 ? r->k : 60;
    if (rk_intruders_cos_table(&cos, r, nb) != RK_OK)
        return;
    char title[160], what[64], name[64];
    snprintf(what, sizeof what, "linear%zu, %s", l + 1, who);
    rk_intruders_heatmap_title(title, sizeof title, what, r->count, r->top,
                               r->trivial == RK_INTRUDER_MEANINGFUL, r->eps);
    snprintf(name, sizeof name, "07-intruders-linear%zu", l + 1);
    rk_plot_spec spec = rk_intruders_heatmap(&cos, title);
    tut_show_plot(t, &spec, name);
    rk_mat_free(&cos);
}

static void print_row(tut_runner *t, const char *who, const rk_intruders *r)
{
    tut_printf(t, "  %-10s", who);
    if (r->trivial != RK_INTRUDER_MEANINGFUL) {
        tut_printf(t, "  not meaningful (10 outputs: the top 10 are a whole basis)\n");
        return;
    }
    tut_printf(t, "  %2zu      ", r->count);
    for (size_t i = 0; i < 5; i++)
        tut_printf(t, " %5.2f", r->max_cos[i]);
    tut_printf(t, "\n");
}

static rk_status step_intruders(tut_runner *t, void *ctx)
{
    lesson7 *L = ctx;
    rk_status s = RK_OK;
    size_t show = 0, most = 0;
    tut_printf(t, "top %d left singular vectors of W_ft against all of W0's; intruder: c < 0.5\n\n",
               L7_TOP);
    tut_printf(t, "layer     run        intruders  c_1 … c_5\n");
    for (size_t l = 0; s == RK_OK && l < L7_LAYERS; l++) {
        rk_intruders rf, rl;
        if ((s = layer_weights(L, l)) != RK_OK ||
            (s = rk_intruders_find(&rf, &L->w0[l], &L->wfull[l], L7_TOP, 0.5)) != RK_OK)
            break;
        if ((s = rk_intruders_find(&rl, &L->w0[l], &L->wlora[l], L7_TOP, 0.5)) != RK_OK) {
            rk_intruders_free(&rf);
            break;
        }
        tut_printf(t, "linear%zu %zu×%zu\n", l + 1, L->w0[l].rows, L->w0[l].cols);
        print_row(t, "full", &rf);
        char who[32];
        snprintf(who, sizeof who, "LoRA r=%zu", L->rank);
        print_row(t, who, &rl);
        L->n_full[l] = rf.trivial == RK_INTRUDER_MEANINGFUL ? rf.count : 0;
        L->n_lora[l] = rl.trivial == RK_INTRUDER_MEANINGFUL ? rl.count : 0;
        if (L->n_lora[l] > most) {
            most = L->n_lora[l];
            show = l;
        }
        static const char *const kf[L7_LAYERS] = { "full_intruders_l1", "full_intruders_l2", "full_intruders_l3" };
        static const char *const kl[L7_LAYERS] = { "lora_intruders_l1", "lora_intruders_l2", "lora_intruders_l3" };
        tut_check(t, kf[l], "%zu", L->n_full[l]);
        tut_check(t, kl[l], "%zu", L->n_lora[l]);
        if (l == 2)
            tut_check(t, "l3_trivial", "%d", rl.trivial != RK_INTRUDER_MEANINGFUL);
        rk_intruders_free(&rf);
        rk_intruders_free(&rl);
    }
    if (s != RK_OK)
        return s;
    tut_printf(t, "\nThe heatmap of linear%zu, LoRA: row i is W_ft's i-th direction, column j W0's;\n"
                  "a row without a dark cell is an intruder.\n", show + 1);
    rk_intruders r;
    if ((s = rk_intruders_find(&r, &L->w0[show], &L->wlora[show], L7_TOP, 0.5)) != RK_OK)
        return s;
    heatmap(t, &r, show, "LoRA");
    rk_intruders_free(&r);
    return RK_OK;
}

/* ---- step 6: the λ sweep -------------------------------------------------- */

/* Accuracies of W′ (every layer's intruders times λ) of W_ft = @p w, in a scratch net. */
static rk_status scaled_point(lesson7 *L, rk_mlp *net, const rk_mat *w, const rk_mlp *biases, double lambda,
                              rk_lf_point *p)
{
    rk_status s = rk_mlp_copy_params(net, biases);
    for (size_t l = 0; s == RK_OK && l < L7_LAYERS; l++) {
        rk_intruders r;
        rk_mat wl = { 0 };
        if ((s = rk_intruders_find(&r, &L->w0[l], &w[l], L7_TOP, 0.5)) != RK_OK)
            break;
        /* where the test means nothing (the last layer) nothing is scaled */
        if ((s = rk_mat_dup(&wl, &w[l])) == RK_OK && r.trivial == RK_INTRUDER_MEANINGFUL)
            s = rk_intruders_scale(&wl, &r, lambda);
        if (s == RK_OK)
            s = rk_mat_to_f32(net->p.w[l], &wl);
        rk_mat_free(&wl);
        rk_intruders_free(&r);
    }
    return s == RK_OK ? rk_lf_accuracy(p, net, NULL, &L->ev) : s;
}

static rk_status step_lambda(tut_runner *t, void *ctx)
{
    lesson7 *L = ctx;
    rk_mlp net = { 0 };
    rk_status s = rk_mlp_create(&net, &L->nn.cfg, LNN_EVAL_BATCH);
    for (size_t k = 0; s == RK_OK && k < L7_LAMBDAS; k++) {
        s = scaled_point(L, &net, L->wlora, &L->nn.base, lambdas[k], &L->sweep[0][k]);
        if (s == RK_OK)
            s = scaled_point(L, &net, L->wfull, &L->full, lambdas[k], &L->sweep[1][k]);
    }
    rk_mlp_free(&net);
    if (s != RK_OK)
        return s;
    tut_printf(t, "W' = W_ft + (λ − 1)·Σ_intruders σ'_i u'_i v'_iᵀ in linear1 and linear2\n\n");
    tut_printf(t, "   λ     LoRA r=%zu: target  others     full: target  others\n", L->rank);
    for (size_t k = 0; k < L7_LAMBDAS; k++)
        tut_printf(t, "%5.2f              %6.3f  %6.3f             %6.3f  %6.3f\n", lambdas[k],
                   L->sweep[0][k].target_acc, L->sweep[0][k].other_acc, L->sweep[1][k].target_acc,
                   L->sweep[1][k].other_acc);
    const rk_lf_point *lora_last = &L->tr_lora.points[L->tr_lora.n - 1];
    /* merged in float, W0 + s·B·A rounds differently from the side path: allow 2 images either way */
    double n_t = (double)L->n_target, n_o = (double)(L->n_eval - L->n_target);
    bool same = fabs(L->sweep[0][0].target_acc - lora_last->target_acc) * n_t <= 2.5 &&
                fabs(L->sweep[0][0].other_acc - lora_last->other_acc) * n_o <= 2.5;
    tut_printf(t, "\nλ = 1 is the fine-tune itself: the merged LoRA weights give the adapter's\nfigures%s.\n",
               same ? " (to 2 images)" : " NOT EVEN to 2 images");
    tut_check(t, "lambda1_is_lora", "%d", same);
    tut_check(t, "lora_lambda0_other", "%.6f", L->sweep[0][L7_LAMBDAS - 1].other_acc);
    tut_check(t, "lora_lambda0_target", "%.6f", L->sweep[0][L7_LAMBDAS - 1].target_acc);
    return RK_OK;
}

/* ---- step 7: learning against forgetting, and the update's rank ------ */

static rk_status step_curves(tut_runner *t, void *ctx)
{
    lesson7 *L = ctx;
    const rk_lf_track *tr[2] = { &L->tr_full, &L->tr_lora };
    double x[2][L7_RECORDS], y[2][L7_RECORDS];
    for (size_t k = 0; k < 2; k++)
        for (size_t i = 0; i < tr[k]->n; i++) {
            x[k][i] = tr[k]->points[i].other_acc;
            y[k][i] = tr[k]->points[i].target_acc;
        }
    char lname[32];
    snprintf(lname, sizeof lname, "LoRA r = %zu", L->rank);
    rk_plot_series series[2] = {
        { .name = "full fine-tune", .x = x[0], .y = y[0], .n = tr[0]->n },
        { .name = lname, .x = x[1], .y = y[1], .n = tr[1]->n },
    };
    rk_plot_spec spec = { .kind = RK_PLOT_XY, .title = "Learning against forgetting, every 10 steps",
                          .xlabel = "accuracy on the other classes (forgetting: leftwards)",
                          .ylabel = "accuracy on the target class (learning: upwards)", .series = series,
                          .n_series = 2 };
    tut_show_plot(t, &spec, "07-learn-forget");
    tut_printf(t, "\nΔW_full along training (linear2): how many directions hold its energy\n\n");
    tut_printf(t, "step   ‖ΔW‖_F   rank 90%%  rank 99%%  eff. rank   φ(%d, %d) vs final\n", L7_PHI_RANK,
               L7_PHI_RANK);
    for (size_t i = 1; i < L->tr_full.n; i++) {
        const rk_lf_layer *g = &L->tr_full.layers[i * L7_LAYERS + 1];
        tut_printf(t, "%4zu  %7.3f  %8zu  %8zu  %9.1f   %6.3f\n", L->tr_full.points[i].step, g->fro,
                   g->rank_90, g->rank_99, g->eff_rank, g->phi);
    }
    const rk_lf_layer *gl = &L->tr_lora.layers[(L->tr_lora.n - 1) * L7_LAYERS + 1];
    const rk_lf_layer *gf = &L->tr_full.layers[(L->tr_full.n - 1) * L7_LAYERS + 1];
    tut_printf(t, "\nlinear2 at the end: LoRA's ΔW (rank ≤ %zu) holds 90%% of its energy in %zu direction%s,\n"
                  "the full fine-tune's in %zu (99%%: %zu of %zu).\n", L->rank, gl->rank_90,
               gl->rank_90 == 1 ? "" : "s", gf->rank_90, gf->rank_99, L->w0[1].cols);
    tut_check(t, "full_rank90_l2", "%zu", gf->rank_90);
    tut_check(t, "lora_rank90_l2", "%zu", gl->rank_90);
    tut_check(t, "full_phi_first_l2", "%.6f", L->tr_full.layers[1 * L7_LAYERS + 1].phi);
    return RK_OK;
}

/* ---- the lesson --------------------------------------------------------- */

static bool opt_quick(void *ctx, const char *v) { return lnn_opt_quick(&((lesson7 *)ctx)->nn, v); }

static bool opt_data(void *ctx, const char *v) { return lnn_opt_data(&((lesson7 *)ctx)->nn, v); }

static bool opt_rank(void *ctx, const char *v) { return lnn_parse_rank(v, &((lesson7 *)ctx)->rank); }

static bool opt_init(void *ctx, const char *v)
{
    lesson7 *L = ctx;
    if (!strcmp(v, "kaiming"))
        L->init = RK_LORA_INIT_KAIMING;
    else if (!strcmp(v, "normal"))
        L->init = RK_LORA_INIT_NORMAL;
    else
        return false;
    return true;
}

static void cleanup(void *ctx)
{
    lesson7 *L = ctx;
    for (size_t l = 0; l < L7_LAYERS; l++) {
        rk_mat_free(&L->w0[l]);
        rk_mat_free(&L->wfull[l]);
        rk_mat_free(&L->wlora[l]);
    }
    rk_lf_track_free(&L->tr_full);
    rk_lf_track_free(&L->tr_lora);
    rk_lora_free(&L->lora);
    rk_mlp_free(&L->lnet);
    rk_mlp_free(&L->full);
    lnn_free(&L->nn);
}

static const tut_step steps[] = {
    { "An intruder you can see: a 3×2 weight",
      "W0's left singular vectors span a plane of R³. An update adds a direction\n"
      "out of it: when it is strong enough to be among W_ft's top directions, no\n"
      "direction of W0 resembles it (largest cosine < 0.5): an intruder dimension.",
      step_toy,
      { "lib/analysis/intruders.c rk_intruders_find()", NULL },
      DOC ", docs/concepts/intruders.md" },
    { "Where the test is blind: a 3×3 weight",
      "When W0's left vectors are a whole basis, every direction has a large\n"
      "cosine with one of them.",
      step_blind,
      { "lib/analysis/intruders.c rk_intruders_find()", NULL },
      DOC ", docs/concepts/intruders.md" },
    { "Pretrain the small network and fix an evaluation subset",
      "Lessons 3–5's network and worst class. Learning and forgetting are measured\n"
      "on the same test images every time: the target class, and the other nine.",
      step_pretrain,
      { "lib/nn/train.c rk_train_run()", "lib/analysis/learn_forget.c rk_lf_accuracy()", NULL },
      DOC },
    { "Fine-tune fully and with LoRA, measured every 10 steps",
      "The same 100 batches of the worst class for both runs. Every 10 steps:\n"
      "accuracy on the target class and on the others, and the update's spectrum.",
      step_finetune,
      { "lib/analysis/learn_forget.c rk_lf_record()", "lib/nn/train.c rk_train_run()", NULL },
      DOC },
    { "Intruder dimensions, layer by layer",
      "For each weight: the top 10 left singular vectors of W_ft, each against\n"
      "all of W0's. The paper: LoRA makes intruders, full fine-tuning mostly not.",
      step_intruders,
      { "lib/analysis/intruders.c rk_intruders_find()", "lib/analysis/intruders.c rk_intruders_cos_table()",
        NULL },
      DOC ", docs/concepts/intruders.md" },
    { "Scaling the intruders down: λ from 1 to 0",
      "PEFT's recipe: each intruder's singular value times λ. Does the network\n"
      "get back what it forgot, and what does it lose on the target?",
      step_lambda,
      { "lib/analysis/intruders.c rk_intruders_scale()", NULL },
      DOC },
    { "Learning against forgetting, and the rank of the update",
      "The records as curves: one point per 10 steps, target accuracy against the\n"
      "others'. And how many directions the full update needs as it grows.",
      step_curves,
      { "lib/analysis/learn_forget.c rk_lf_finish()", "lib/linalg/spectrum.c rk_spectrum_rank_for_energy()",
        NULL },
      DOC ", docs/concepts/intruders.md" },
};

static const tut_option options[] = {
    { "data", "DIR", "Fashion-MNIST folder (default $RANKLAB_DATA, else Debian's)", opt_data },
    { "quick", NULL, "a smaller net and data (the test suite's run)", opt_quick },
    { "rank", "R", "the fine-tune's LoRA rank, 1..64 (default 1, the notebook's)", opt_rank },
    { "init", "I", "A's initialisation: normal (N(0, 1), the notebook's;\n"
                   "default) or kaiming (PEFT's)", opt_init },
};

int main(int argc, char **argv)
{
    lesson7 L = { .rank = 1, .init = RK_LORA_INIT_NORMAL, .nn.prog = "ranklab-tutorial-07" };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-07",
        .title = "Lesson 7: What LoRA forgets",
        .intro = "Intruder dimensions on a 3×2 weight, then on a trained network fine-tuned\n"
                 "fully and with LoRA; scaling them down; learning against forgetting along\n"
                 "training. Text: " DOC "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
