/*
 * tutorial06.c — lesson 6, "How low can the rank go?"
 * (docs/tutorials/06-how-low-can-the-rank-go.md).
 *
 * The rank rules the LoRA tools use (lib/linalg/rankrule.h), side by side:
 * first on a spectrum of six values, where each rule's sum or threshold can
 * be followed by hand; then the noise floor on a matrix whose rank is known
 * (a planted rank 5 under Gaussian noise: Gavish–Donoho finds it, the 90%
 * energy rule does not), and what gd does with an exactly low-rank matrix
 * in float64; then on the update ΔW_full of a real fine-tune (the small net
 * of lessons 3–5, lesson_nn.h): every rule's rank per layer, what it keeps,
 * the accuracy of W0 + [ΔW_full]_r at those ranks
 * (lib/analysis/rank_choice.h), and a parameter budget against uniform r = 4.
 *
 * Shapes: ΔW (Out, In) row-major; k = min(Out, In) singular values.
 */
#include <math.h>
#include <string.h>

#include "lesson_nn.h"
#include "runner.h"

#define DOC "docs/tutorials/06-how-low-can-the-rank-go.md"

enum { L6_LAYERS = 3, L6_SEED_FT = 17, L6_UNIFORM = 4, L6_PLANT_M = 200, L6_PLANT_N = 100, L6_PLANT_R = 5 };

typedef struct lesson6 {
    lesson_nn nn;                 /* data, the pretrained network, the worst class */
    double base_acc, base_tacc;   /* the pretrained network: all classes, the target class */
    rk_mlp full;                  /* the full fine-tune of a copy */
    double full_acc, full_tacc;
    rk_mat dfull[L6_LAYERS];      /* ΔW_full per layer, (Out, In) in double */
    rk_rank_choice rc;            /* the rules on ΔW_full (their SVDs inside) */
    size_t fixed_row, budget_row; /* rows of fixed:4 and budget:P in rc */
} lesson6;

/* The rank @p text picks on s[0..k) of an m×n matrix (no cap). */
static rk_status rank_of(const char *text, const double *s, size_t k, size_t m, size_t n, size_t *r)
{
    rk_rank_rule rule;
    rk_err err;
    rk_status st = rk_rule_parse(text, &rule, &err);
    return st == RK_OK ? rk_rule_rank(&rule, s, k, m, n, 0, r) : st;
}

/* ---- step 1: one spectrum, every rule -------------------------------------- */

static const char *const toy_rules[] = { "energy:0.9", "sv_fro:0.9", "sv_cumulative:0.9", "sv_ratio:10",
                                         "eps:1.5", "gd", "fixed:2" };

static rk_status step_toy(tut_runner *t, void *ctx)
{
    (void)ctx;
    const double s[] = { 8, 5, 3, 2, 1, 0.5 };   /* σ of a 6×10 matrix, k = 6 */
    const size_t k = 6, m = 6, n = 10;
    double sq = 0, sum = 0, acc_sq = 0, acc = 0;
    for (size_t i = 0; i < k; i++) {
        sq += s[i] * s[i];
        sum += s[i];
    }
    tut_printf(t, "σ of a 6×10 matrix: 8, 5, 3, 2, 1, 0.5   (Σσ² = %g, Σσ = %g)\n\n", sq, sum);
    tut_printf(t, "   r    σ_r   Σ_{i≤r} σ_i² / Σσ²   √(that)   Σ_{i≤r} σ_i / Σσ\n");
    for (size_t i = 0; i < k; i++) {
        acc_sq += s[i] * s[i];
        acc += s[i];
        tut_printf(t, "%4zu %6.1f %20.4f %9.4f %18.4f\n", i + 1, s[i], acc_sq / sq, sqrt(acc_sq / sq), acc / sum);
    }
    double tau = rk_rule_gd_threshold(s, k, m, n);
    tut_printf(t, "\nβ = k/max(m, n) = %.1f, ω(β) = %.4f, median σ = %g\ngd's threshold τ = ω(β)·median = %.4f\n\n",
               (double)k / (double)n, rk_rule_gd_omega((double)k / (double)n), rk_rule_median(s, k), tau);
    tut_printf(t, "rule                 r   energy kept\n");
    for (size_t i = 0; i < sizeof toy_rules / sizeof *toy_rules; i++) {
        size_t r;
        rk_status st = rank_of(toy_rules[i], s, k, m, n, &r);
        if (st != RK_OK)
            return st;
        tut_printf(t, "%-18s %3zu   %.4f\n", toy_rules[i], r, rk_spectrum_energy(s, k, r));
        char key[40];
        snprintf(key, sizeof key, "toy_%.*s", (int)strcspn(toy_rules[i], ":"), toy_rules[i]);
        tut_check(t, key, "%zu", r);
    }
    tut_printf(t, "\nThe same six values, seven answers from 1 to 5. sv_fro:0.9 asks for 0.81 of\n"
                  "the energy (it squares F), sv_cumulative sums σ, not σ², so the small values\n"
                  "weigh more. On six values the median is no estimate of noise: gd is for\n"
                  "large noisy matrices (step 2).\n");
    return RK_OK;
}

/* ---- step 2: the noise floor ------------------------------------------------ */

/* X (m×n) = U·diag(σ)·Vᵀ + N(0, 1) noise, U and V orthonormal (QR of Gaussian matrices). */
static rk_status planted(rk_mat *x, const double *sig, size_t r, size_t m, size_t n, rk_rng *rng)
{
    rk_mat gu = { 0 }, gv = { 0 }, u = { 0 }, v = { 0 };
    rk_status s = rk_mat_create(&gu, m, r);
    if (s == RK_OK)
        s = rk_mat_create(&gv, n, r);
    for (size_t i = 0; s == RK_OK && i < m * r; i++)
        gu.data[i] = rk_rng_normal(rng);
    for (size_t i = 0; s == RK_OK && i < n * r; i++)
        gv.data[i] = rk_rng_normal(rng);
    if (s == RK_OK)
        s = rk_qr_orthonormal(&u, &gu);
    if (s == RK_OK)
        s = rk_qr_orthonormal(&v, &gv);
    for (size_t j = 0; s == RK_OK && j < r; j++)   /* U·diag(σ) */
        for (size_t i = 0; i < m; i++)
            RK_AT(&u, i, j) *= sig[j];
    if (s == RK_OK)
        s = rk_mat_create(x, m, n);
    for (size_t i = 0; s == RK_OK && i < m * n; i++)
        x->data[i] = rk_rng_normal(rng);
    if (s == RK_OK)
        s = rk_mat_gemm(false, true, 1.0, &u, &v, 1.0, x);
    rk_mat_free(&gu);
    rk_mat_free(&gv);
    rk_mat_free(&u);
    rk_mat_free(&v);
    return s;
}

static rk_status step_noise(tut_runner *t, void *ctx)
{
    (void)ctx;
    const double sig[L6_PLANT_R] = { 100, 80, 60, 50, 40 };
    const size_t m = L6_PLANT_M, n = L6_PLANT_N;
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t) + 6);
    rk_mat x = { 0 };
    rk_svd d = { 0 };
    rk_status s = planted(&x, sig, L6_PLANT_R, m, n, &rng);
    if (s == RK_OK)
        s = rk_svd_decomp(&d, &x, RK_SVD_VALUES);
    rk_mat_free(&x);
    if (s != RK_OK)
        return s;
    tut_printf(t, "X = U·diag(100, 80, 60, 50, 40)·Vᵀ + noise, 200×100, noise entries N(0, 1)\n");
    tut_printf(t, "σ_1..σ_8 of X: ");
    for (size_t i = 0; i < 8; i++)
        tut_printf(t, "%.1f%s", d.s[i], i < 7 ? " " : "\n");
    double tau = rk_rule_gd_threshold(d.s, d.k, m, n);
    tut_printf(t, "median σ = %.2f, β = %.1f, τ = ω(β)·median = %.2f\n", rk_rule_median(d.s, d.k),
               (double)d.k / (double)m, tau);
    tut_printf(t, "the noise's energy ‖N‖_F² ≈ 200·100 = 20000, the signal's Σσ² = 24100\n\n");
    const char *rules[] = { "gd", "energy:0.9", "sv_fro:0.9", "sv_ratio:10" };
    size_t r[4];
    for (size_t i = 0; i < 4 && s == RK_OK; i++) {
        s = rank_of(rules[i], d.s, d.k, m, n, &r[i]);
        if (s == RK_OK)
            tut_printf(t, "%-12s keeps %3zu   (energy %.3f)\n", rules[i], r[i], rk_spectrum_energy(d.s, d.k, r[i]));
    }
    if (s == RK_OK) {
        tut_printf(t, "\nThe true rank is 5. gd keeps %zu: the values above the noise's edge. The 90%%\n"
                      "energy rule keeps %zu: 90%% of ‖X‖_F² includes most of the noise's energy,\n"
                      "which is spread over every direction.\n", r[0], r[1]);
        tut_check(t, "noise_gd", "%zu", r[0]);
        tut_check(t, "noise_energy", "%zu", r[1]);
        tut_check(t, "noise_tau", "%.6f", tau);
        tut_check(t, "noise_s5", "%.6f", d.s[4]);
        tut_check(t, "noise_s6", "%.6f", d.s[5]);
    }
    rk_svd_free(&d);
    return s;
}

/* ---- step 3: exactly low rank in float64 ------------------------------------ */

static rk_status step_exact(tut_runner *t, void *ctx)
{
    (void)ctx;
    const size_t m = 60, n = 40, r = 3;
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t) + 3);
    rk_mat b = { 0 }, c = { 0 }, a = { 0 };
    rk_svd d = { 0 };
    rk_status s = rk_mat_create(&b, m, r);
    if (s == RK_OK)
        s = rk_mat_create(&c, r, n);
    for (size_t i = 0; s == RK_OK && i < m * r; i++)
        b.data[i] = rk_rng_normal(&rng);
    for (size_t i = 0; s == RK_OK && i < r * n; i++)
        c.data[i] = rk_rng_normal(&rng);
    if (s == RK_OK)
        s = rk_mat_create(&a, m, n);
    if (s == RK_OK)
        s = rk_mat_gemm(false, false, 1.0, &b, &c, 0.0, &a);
    if (s == RK_OK)
        s = rk_svd_decomp(&d, &a, RK_SVD_VALUES);
    rk_mat_free(&b);
    rk_mat_free(&c);
    rk_mat_free(&a);
    if (s != RK_OK)
        return s;
    size_t gd = rk_rule_gd(d.s, d.k, m, n);
    double tau = rk_rule_gd_threshold(d.s, d.k, m, n);
    tut_printf(t, "A = B·C, B 60×3 and C 3×40 of N(0, 1) entries: rank exactly 3\n");
    tut_printf(t, "σ_3 = %.3g, σ_4 = %.3g (rounding: about 1e-16·σ_1·√40)\n", d.s[2], d.s[3]);
    tut_printf(t, "median σ = %.3g, τ = %.3g: gd keeps %zu, of them %zu rounding values\n",
               rk_rule_median(d.s, d.k), tau, gd, gd > r ? gd - r : 0);
    tut_printf(t, "\nIn float64 an exactly low-rank matrix has no noise, only rounding: its median\n"
                  "singular value is a rounding value, and gd counts the rounding values above\n"
                  "ω·median. A noise floor needs noise; for exact low rank use a tolerance\n"
                  "(eps:E, or `ranklab rank`).\n");
    tut_check(t, "exact_gd", "%zu", gd);
    tut_check(t, "exact_s3", "%.6g", d.s[2]);
    tut_check(t, "exact_s4_rel", "%.6g", d.s[3] / d.s[0]);
    rk_svd_free(&d);
    return RK_OK;
}

/* ---- step 4: the network ------------------------------------------------------ */

static rk_status step_pretrain(tut_runner *t, void *ctx)
{
    lesson6 *L = ctx;
    rk_status s = lnn_pretrain_step(t, &L->nn, &L->base_acc, &L->base_tacc);
    if (s != RK_OK)
        return s;
    tut_printf(t, "the fine-tune below trains on class %d %s: %zu of the training images\n", L->nn.worst,
               rk_dataset_class_name((size_t)L->nn.worst), L->nn.n_target);
    tut_check(t, "worst_class", "%d", L->nn.worst);
    tut_check(t, "target_acc", "%.6f", L->base_tacc);
    return RK_OK;
}

/* ---- step 5: the rules on every layer of ΔW_full -------------------------------- */

static rk_status full_finetune(tut_runner *t, lesson6 *L)
{
    rk_status s = rk_mlp_create(&L->full, &L->nn.base.cfg, L->nn.base.max_batch);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&L->full, &L->nn.base);
    if (s == RK_OK)
        s = lnn_finetune(&L->nn, &L->full, NULL, tut_seed(t) + L6_SEED_FT, NULL);
    if (s == RK_OK)
        s = lnn_evaluate(&L->nn, &L->full, NULL, NULL, &L->full_acc, &L->full_tacc);
    for (size_t l = 0; s == RK_OK && l < L6_LAYERS; l++)
        s = rk_mlp_weight_delta(&L->dfull[l], &L->full, &L->nn.base, l);
    if (s == RK_OK)
        s = rk_rank_choice_init(&L->rc, L->dfull, L6_LAYERS);
    return s;
}

static rk_status step_rules(tut_runner *t, void *ctx)
{
    lesson6 *L = ctx;
    rk_status s = full_finetune(t, L);
    if (s != RK_OK)
        return s;
    rk_rank_rule rules[RK_RANK_CHOICE_MAX_ROWS];
    size_t n = rk_rank_choice_standard(&L->rc, L6_UNIFORM, rules);
    for (size_t i = 0; i < n && s == RK_OK; i++)
        s = rk_rank_choice_add(&L->rc, &rules[i]);
    if (s != RK_OK)
        return s;
    L->fixed_row = n - 2;
    L->budget_row = n - 1;
    tut_printf(t, "100 steps of full fine-tuning on class %d: ΔW_full = W_ft − W0 per layer\n\n", L->nn.worst);
    tut_printf(t, "%-18s", "");
    for (size_t l = 0; l < L6_LAYERS; l++) {
        char head[32];
        snprintf(head, sizeof head, "linear%zu %zu×%zu", l + 1, L->rc.out[l], L->rc.in[l]);
        tut_printf(t, " %-17s", head); /* 16 columns: "×" is two bytes, one column */
    }
    tut_printf(t, " %9s\n%-18s", "params", "rule");
    for (size_t l = 0; l < L6_LAYERS; l++)
        tut_printf(t, l + 1 < L6_LAYERS ? " %4s %-10s" : " %4s %s", "r", "energy");
    tut_printf(t, "\n");
    for (size_t i = 0; i < L->rc.n_rows; i++) {
        const rk_rank_choice_row *row = &L->rc.rows[i];
        tut_printf(t, "%-18s", row->name);
        for (size_t l = 0; l < L6_LAYERS; l++)
            tut_printf(t, " %4zu %-10.4f", row->rank[l], row->energy[l]);
        tut_printf(t, " %9zu\n", row->params);
        for (size_t l = 0; l < L6_LAYERS; l++) {
            char key[64];
            snprintf(key, sizeof key, "rank_%.*s_l%zu", (int)strcspn(row->name, ":"), row->name, l + 1);
            tut_check(t, key, "%zu", row->rank[l]);
        }
    }
    tut_printf(t, "\nfixed:4 is LoRA's rank 4 on every layer; budget:%zu spends the same number\n"
                  "of parameters where σ²/(Out + In) is largest, layer by layer.\n",
               L->rc.rows[L->budget_row].rule.count);
    tut_check(t, "budget_p", "%zu", L->rc.rows[L->budget_row].rule.count);
    tut_check(t, "budget_params", "%zu", L->rc.rows[L->budget_row].params);
    tut_check(t, "fixed_params", "%zu", L->rc.rows[L->fixed_row].params);
    return RK_OK;
}

/* ---- step 6: the accuracy of W0 + [ΔW_full]_r ------------------------------- */

static rk_status step_accuracy(tut_runner *t, void *ctx)
{
    lesson6 *L = ctx;
    rk_status s = rk_rank_choice_evaluate(&L->rc, &L->nn.base, &L->nn.test);
    if (s != RK_OK)
        return s;
    int c = L->nn.worst;
    tut_printf(t, "%-18s %9s  %10s  %13s\n", "", "params", "accuracy", "class accuracy");
    tut_printf(t, "%-18s %9s  %10.4f  %13.4f\n", "W0 (pretrained)", "0", L->base_acc, L->base_tacc);
    size_t best = L->rc.n_rows;
    for (size_t i = 0; i < L->rc.n_rows; i++) {
        const rk_rank_choice_row *row = &L->rc.rows[i];
        double tacc = rk_eval_class_accuracy(&row->eval, c);
        tut_printf(t, "%-18s %9zu  %10.4f  %13.4f\n", row->name, row->params, row->eval.accuracy, tacc);
        char key[64];
        snprintf(key, sizeof key, "acc_%.*s", (int)strcspn(row->name, ":"), row->name);
        tut_check(t, key, "%.6f", row->eval.accuracy);
        snprintf(key, sizeof key, "tacc_%.*s", (int)strcspn(row->name, ":"), row->name);
        tut_check(t, key, "%.6f", tacc);
        bool close = tacc >= L->full_tacc - 0.01;
        if (close && (best == L->rc.n_rows || row->params < L->rc.rows[best].params))
            best = i;
    }
    tut_printf(t, "%-19s %9zu  %10.4f  %13.4f\n", "W0 + ΔW_full", L->nn.base.n_params, L->full_acc,
               L->full_tacc); /* "Δ" is two bytes, one column */
    tut_check(t, "full_acc", "%.6f", L->full_acc);
    tut_check(t, "full_target_acc", "%.6f", L->full_tacc);
    tut_printf(t, "\nEach row is W0 + [ΔW_full]_r with the rule's r in each layer, as an adapter\n"
                  "on the side path (scale 1); params counts r·(Out + In), against the full\n"
                  "fine-tune's every weight.\n");
    size_t close = 0;
    for (size_t i = 0; i < L->rc.n_rows; i++)
        close += rk_eval_class_accuracy(&L->rc.rows[i].eval, c) >= L->full_tacc - 0.01;
    tut_printf(t, "%zu of the %zu rules' choices reach the full fine-tune's class accuracy within\n"
                  "0.01: what the fine-tune learned (and what it made the net forget) lies in\n"
                  "the top directions of ΔW_full.\n", close, L->rc.n_rows);
    tut_check(t, "close_rules", "%zu", close);
    if (best < L->rc.n_rows)
        tut_printf(t, "The fewest parameters within 0.01 of the full fine-tune's class accuracy:\n"
                      "%s, %zu parameters.\n", L->rc.rows[best].name, L->rc.rows[best].params);
    else
        tut_printf(t, "No rule comes within 0.01 of the full fine-tune's class accuracy.\n");
    tut_check(t, "fewest_close", "%s", best < L->rc.n_rows ? L->rc.rows[best].name : "none");
    return RK_OK;
}

/* ---- step 7: a budget against uniform r = 4 ---------------------------------- */

static rk_status step_budget(tut_runner *t, void *ctx)
{
    lesson6 *L = ctx;
    const rk_rank_choice_row *u = &L->rc.rows[L->fixed_row], *b = &L->rc.rows[L->budget_row];
    int c = L->nn.worst;
    double ut = rk_eval_class_accuracy(&u->eval, c), bt = rk_eval_class_accuracy(&b->eval, c);
    tut_printf(t, "%-14s %9s  %-12s  %8s  %14s\n", "", "params", "ranks", "accuracy", "class accuracy");
    const rk_rank_choice_row *rows[2] = { u, b };
    for (size_t i = 0; i < 2; i++) {
        char ranks[48];
        snprintf(ranks, sizeof ranks, "%zu, %zu, %zu", rows[i]->rank[0], rows[i]->rank[1], rows[i]->rank[2]);
        tut_printf(t, "%-14s %9zu  %-12s  %8.4f  %14.4f\n", rows[i]->name, rows[i]->params, ranks,
                   rows[i]->eval.accuracy, i ? bt : ut);
    }
    double eu = 0, eb = 0, tot = 0;
    for (size_t l = 0; l < L6_LAYERS; l++) {
        double e = rk_spectrum_fro(L->rc.svd[l].s, L->rc.svd[l].k);
        eu += u->energy[l] * e * e;
        eb += b->energy[l] * e * e;
        tot += e * e;
    }
    tut_printf(t, "\nenergy of ΔW_full kept, all layers: uniform %.4f, budget %.4f\n", eu / tot, eb / tot);
    tut_printf(t, "greedy's shortfall bound: %.3g (of a total Σσ² = %.4g)\n\n", b->shortfall, tot);
    tut_printf(t, "The budget keeps %s energy with %s parameters. Its class accuracy\n"
                  "is %s (%.4f against %.4f), its accuracy on all classes %s\n(%.4f against %.4f).\n",
               eb >= eu ? "more" : "less", b->params <= u->params ? "no more" : "more",
               bt > ut ? "higher" : bt < ut ? "lower" : "the same", bt, ut,
               b->eval.accuracy > u->eval.accuracy ? "higher" : b->eval.accuracy < u->eval.accuracy ? "lower"
                                                                                                  : "the same",
               b->eval.accuracy, u->eval.accuracy);
    tut_printf(t, "Energy is what the rules optimise; accuracy is what the fine-tune was for, and\n"
                  "the two need not agree.\n");
    tut_check(t, "budget_energy", "%.6f", eb / tot);
    tut_check(t, "uniform_energy", "%.6f", eu / tot);
    tut_check(t, "budget_tacc_higher", "%d", bt > ut);
    return RK_OK;
}

static void cleanup(void *ctx)
{
    lesson6 *L = ctx;
    rk_rank_choice_free(&L->rc);
    for (size_t l = 0; l < L6_LAYERS; l++)
        rk_mat_free(&L->dfull[l]);
    rk_mlp_free(&L->full);
    lnn_free(&L->nn);
}

static const tut_step steps[] = {
    { "Seven rules on one spectrum",
      "Six singular values and every rule the LoRA tools use to pick r: sums of\n"
      "σ² (PEFT's energy, kohya's sv_fro), of σ (kohya's sv_cumulative), a ratio\n"
      "to σ₁ (kohya's sv_ratio), an absolute ε (mergekit), the Gavish–Donoho\n"
      "threshold, and a fixed r. Each is a function of the spectrum alone.",
      step_toy,
      { "lib/linalg/rankrule.c rk_rule_energy()", "lib/linalg/rankrule.c rk_rule_sv_cumulative()",
        "lib/linalg/rankrule.c rk_rule_gd_threshold()", NULL },
      DOC ", docs/concepts/rank-rules.md" },
    { "The noise floor: a planted rank under noise",
      "A rank-5 matrix plus Gaussian noise: the true rank is known. Noise spreads\n"
      "its energy over every direction, so a share-of-energy rule keeps noise;\n"
      "Gavish–Donoho's τ = ω(β)·median σ estimates the noise's edge from the\n"
      "median and keeps what stands above it.",
      step_noise,
      { "lib/linalg/rankrule.c rk_rule_gd()", "lib/linalg/rankrule.c rk_rule_median()",
        "lib/linalg/qr.c rk_qr_orthonormal()", NULL },
      DOC ", docs/concepts/rank-rules.md" },
    { "No noise: an exactly low-rank float64 matrix",
      "gd assumes noise. A product B·C of rank 3 has 37 zero singular values,\n"
      "which float64 computes as rounding: the median, and so τ, is rounding.",
      step_exact,
      { "lib/linalg/rankrule.c rk_rule_gd()", "lib/linalg/svd.c rk_svd_decomp()", NULL },
      DOC ", docs/concepts/rank.md" },
    { "Pretrain the lessons' net and find its worst class",
      "The net of lessons 3–5 (784 → 200 → 400 → 10 on 12,000 images) and\n"
      "the class it gets wrong most often, computed from the test set.",
      step_pretrain,
      { "lib/nn/train.c rk_train_run()", "lib/nn/metrics.c rk_metrics_worst_class()", NULL },
      DOC ", docs/nn.md" },
    { "Every rule on every layer of ΔW_full",
      "A copy trains every weight for 100 steps of 10 images of that class;\n"
      "ΔW_full = W_ft − W0 per layer. Each rule picks r per layer from that\n"
      "layer's spectrum; budget:P shares P = 4·Σ(Out + In) parameters, what LoRA\n"
      "r = 4 on every layer costs, among the layers by σ²/(Out + In).",
      step_rules,
      { "lib/analysis/rank_choice.c rk_rank_choice_add()", "lib/linalg/rankrule_budget.c rk_rule_budget()",
        "lib/nn/mlp.c rk_mlp_weight_delta()", NULL },
      DOC ", docs/concepts/rank-rules.md" },
    { "The accuracy of W0 + [ΔW_full]_r at each rule's ranks",
      "Keep each layer's top r_l directions of ΔW_full (Eckart–Young: the best\n"
      "rank-r_l update) and evaluate the net on the test set: what each rule's\n"
      "choice keeps of what the fine-tune learned.",
      step_accuracy,
      { "lib/analysis/rank_choice.c rk_rank_choice_evaluate()", "lib/nn/eval.c rk_evaluate()", NULL },
      DOC ", docs/concepts/lowrank.md" },
    { "A budget against uniform r = 4",
      "The same number of parameters, placed by the spectra or spread evenly:\n"
      "which keeps more energy, and which reaches the better accuracy?",
      step_budget,
      { "lib/linalg/rankrule_budget.c rk_rule_budget()", "lib/linalg/spectrum.c rk_spectrum_energy()", NULL },
      DOC ", docs/concepts/rank-rules.md" },
};

static const tut_option options[] = {
    { "data", "DIR", "Fashion-MNIST folder (default $RANKLAB_DATA, else Debian's)", lnn_opt_data },
    { "quick", NULL, "a smaller net and data (the test suite's run)", lnn_opt_quick },
};

int main(int argc, char **argv)
{
    lesson6 L = { .nn.prog = "ranklab-tutorial-06" };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-06",
        .title = "Lesson 6: How low can the rank go?",
        .intro = "The rules the LoRA tools use to choose a rank, side by side: on six values,\n"
                 "on a noisy matrix whose rank is known, and on a real fine-tune's update,\n"
                 "with the accuracy each rule's choice keeps.\n"
                 "Text: " DOC "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
