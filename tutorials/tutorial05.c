/*
 * tutorial05.c — lesson 5, "LoRA vs SVD": how close is the update LoRA
 * learns to the best low-rank approximation of the update a full fine-tune
 * makes, and which directions do they share (docs/tutorials/05-lora-vs-svd.md).
 *
 * Steps 1-3 (this file): load Fashion-MNIST, pretrain the small MLP of
 * lessons 3 and 4 (lesson_nn.c) on a subset, pick its worst class, fine-tune a copy fully and LoRA adapters at
 * r = 1, 2, 4, 8, 16 (kaiming init) — all on the same 100 batches of 10
 * images of that class — and an adapter with the classic tutorial's N(0,1)
 * init at r = 4. Steps 4-9 (tutorial05_analysis.c) compare the updates.
 *
 * The net is smaller than the tutorial's 784 → 1000 → 2000 → 10 and the
 * pretraining sees a subset, so the lesson runs in well under a minute on two
 * cores; `ranklab demo` runs the full-size experiment.
 */
#include "tutorial05.h"

/* ---- helpers ----------------------------------------------------------- */

rk_status l5_weight(rk_mat *out, const rk_mlp *net, size_t l)
{
    size_t rows = net->cfg.sizes[l + 1], cols = net->cfg.sizes[l];
    rk_status s = rk_mat_create(out, rows, cols);
    for (size_t i = 0; s == RK_OK && i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            RK_AT(out, i, j) = net->p.w[l][i * cols + j];
    return s;
}

/* ---- step 1 ------------------------------------------------------------ */

static rk_status step_pretrain(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    lnn_configure(&L->nn);
    rk_status s = lnn_pretrain(t, &L->nn);
    if (s != RK_OK)
        return s;
    L->base_acc = L->nn.pre.accuracy;
    L->base_target_acc = rk_eval_class_accuracy(&L->nn.pre, L->nn.worst);
    tut_printf(t, "every fine-tune below trains on class %d %s: %zu of the training images\n",
               L->nn.worst, rk_dataset_class_name((size_t)L->nn.worst), L->nn.n_target);
    tut_check(t, "target_acc", "%.6f", L->base_target_acc);
    return RK_OK;
}

/* ---- step 2 ------------------------------------------------------------ */

static rk_status step_full(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    rk_status s = rk_mlp_create(&L->full, &L->nn.base.cfg, L->nn.base.max_batch);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&L->full, &L->nn.base);
    rk_train_result res = { 0 };
    if (s == RK_OK)
        s = lnn_finetune(&L->nn, &L->full, NULL, tut_seed(t) + L5_SEED_FT, &res);
    if (s == RK_OK)
        s = lnn_evaluate(&L->nn, &L->full, NULL, NULL, &L->full_acc, &L->full_target_acc);
    if (s != RK_OK)
        return s;
    const char *wname = rk_dataset_class_name((size_t)L->nn.worst);
    tut_printf(t, "%zu steps of %d '%s' images, Adam lr 1e-3, every parameter trains\n",
               res.steps, LNN_BATCH, wname);
    tut_printf(t, "class %d %s accuracy %.4f → %.4f, overall %.4f → %.4f\n\n", L->nn.worst,
               wname, L->base_target_acc, L->full_target_acc, L->base_acc, L->full_acc);
    tut_printf(t, "shape: Out×In (rows × columns); ‖M‖_F = √(sum of all entries²)\n");
    tut_printf(t, "layer    shape      ‖ΔW_full‖_F  rank   energy in top 1 / 4 / 16 directions\n");
    for (size_t l = 0; l < L5_LAYERS; l++) {
        s = rk_mlp_weight_delta(&L->dfull[l], &L->full, &L->nn.base, l);
        if (s == RK_OK)
            s = rk_svd_decomp(&L->dfull_svd[l], &L->dfull[l], RK_SVD_THIN);
        size_t rank = 0;
        if (s == RK_OK)
            s = rk_delta_rank(&rank, &L->dfull[l]);
        if (s != RK_OK)
            return s;
        const rk_svd *d = &L->dfull_svd[l];
        char shape[32];
        snprintf(shape, sizeof shape, "%zu×%zu", L->dfull[l].rows, L->dfull[l].cols);
        tut_printf(t, "linear%zu  %-9s  %11.4f  %4zu   %.3f / %.3f / %.3f\n", l + 1, shape,
                   rk_spectrum_fro(d->s, d->k), rank, rk_spectrum_energy(d->s, d->k, 1),
                   rk_spectrum_energy(d->s, d->k, 4), rk_spectrum_energy(d->s, d->k, 16));
    }
    tut_printf(t, "\nΔW_full has high rank but most of its energy in a few directions:\n"
                  "that is what lets a rank-r update come close to it.\n");
    tut_check(t, "full_target_acc", "%.6f", L->full_target_acc);
    return RK_OK;
}

/* ---- step 3 ------------------------------------------------------------ */

/* One LoRA fine-tune at rank @p r with @p init on the shared batches; the
 * update of every layer goes to @p delta[l] (NULL: the main layer to *main). */
static rk_status lora_run(lesson5 *L, tut_runner *t, size_t r, rk_lora_init init, rk_mat *delta,
                          rk_mat *main, double *acc, double *tacc, size_t *params)
{
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t) + 1000 + r);
    rk_lora lo;
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = r;
    lc.init = init;
    rk_status s = rk_lora_create(&lo, &L->nn.base, &lc, &rng);
    if (s != RK_OK)
        return s;
    s = lnn_finetune(&L->nn, &L->nn.base, &lo, tut_seed(t) + L5_SEED_FT, NULL);
    if (s == RK_OK)
        s = lnn_evaluate(&L->nn, &L->nn.base, &lo, NULL, acc, tacc);
    for (size_t l = 0; s == RK_OK && l < L5_LAYERS; l++)
        if (delta)
            s = rk_lora_delta(&delta[l], &lo, l);
        else if (l == L5_MAIN)
            s = rk_lora_delta(main, &lo, l);
    *params = lo.n_params;
    rk_lora_free(&lo);
    return s;
}

static rk_status step_lora(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    tut_printf(t, "                                        rank(ΔW_lora) (≤ r)\n"
                  "   r  trainable  class %d acc  overall   linear1 linear2 linear3\n", L->nn.worst);
    for (size_t k = 0; k < L5_RANKS; k++) {
        size_t r = L->ranks[k];
        rk_status s = lora_run(L, t, r, RK_LORA_INIT_KAIMING, L->dlora[k], NULL, &L->lora_acc[k],
                               &L->lora_target_acc[k], &L->lora_params[k]);
        if (s == RK_OK)
            s = rk_svd_decomp(&L->dlora_svd[k], &L->dlora[k][L5_MAIN], RK_SVD_THIN);
        if (s != RK_OK)
            return s;
        tut_printf(t, "%4zu  %9zu  %11.4f  %7.4f  ", r, L->lora_params[k],
                   L->lora_target_acc[k], L->lora_acc[k]);
        size_t rank[L5_LAYERS];
        for (size_t l = 0; l < L5_LAYERS; l++) {
            s = rk_delta_rank(&rank[l], &L->dlora[k][l]);
            if (s != RK_OK)
                return s;
            tut_printf(t, "     %3zu", rank[l]);
        }
        tut_printf(t, "\n");
        for (size_t l = 0; l < L5_LAYERS; l++) {
            char key[32];
            snprintf(key, sizeof key, "rank_r%zu_l%zu", r, l);
            tut_check(t, key, "%zu", rank[l]);
        }
    }
    size_t r = L->ranks[L5_MID], params = 0;
    rk_status s = lora_run(L, t, r, RK_LORA_INIT_NORMAL, NULL, &L->dnormal, &L->normal_acc,
                           &L->normal_target_acc, &params);
    if (s != RK_OK)
        return s;
    tut_printf(t, "%4zu  %9zu  %11.4f  %7.4f   (A ~ N(0,1), the notebook's init)\n", r,
               params, L->normal_target_acc, L->normal_acc);
    tut_printf(t, "full  %9zu  %11.4f  %7.4f\n", L->full.n_params, L->full_target_acc,
               L->full_acc);
    tut_check(t, "lora_params_r1", "%zu", L->lora_params[0]);
    return RK_OK;
}

/* ---- the lesson -------------------------------------------------------- */

static bool opt_quick(void *ctx, const char *v) { return lnn_opt_quick(&((lesson5 *)ctx)->nn, v); }

static bool opt_data(void *ctx, const char *v) { return lnn_opt_data(&((lesson5 *)ctx)->nn, v); }

static void cleanup(void *ctx)
{
    lesson5 *L = ctx;
    lnn_free(&L->nn);
    rk_mlp_free(&L->full);
    for (size_t l = 0; l < L5_LAYERS; l++) {
        rk_mat_free(&L->dfull[l]);
        rk_svd_free(&L->dfull_svd[l]);
        for (size_t k = 0; k < L5_RANKS; k++)
            rk_mat_free(&L->dlora[k][l]);
    }
    for (size_t k = 0; k < L5_RANKS; k++)
        rk_svd_free(&L->dlora_svd[k]);
    rk_mat_free(&L->dnormal);
}

static const tut_step steps[] = {
    { "Pretrain the lessons' net and find its worst class",
      "Fashion-MNIST, standardised, and the net of lessons 3 and 4: 784 → 200 →\n"
      "400 → 10 on the first 12,000 training images, smaller than the LoRA\n"
      "tutorial's 784 → 1000 → 2000 → 10 so the lesson runs in seconds. The\n"
      "class it gets wrong most often is computed from the test set, never\n"
      "assumed: every fine-tune below trains on it.",
      step_pretrain,
      { "lib/nn/data.c rk_dataset_load_split()", "lib/nn/train.c rk_train_run()",
        "lib/nn/metrics.c rk_metrics_worst_class()", NULL },
      DOC5 ", docs/nn.md" },
    { "Full fine-tune: the update to imitate",
      "A copy of the net trains every weight for 100 steps of 10 images of the\n"
      "worst class. ΔW_full = W_ft − W0 per layer is the update LoRA will be\n"
      "compared with; its spectrum says how low-rank it is.",
      step_full,
      { "lib/nn/mlp.c rk_mlp_weight_delta()", "lib/linalg/spectrum.c rk_spectrum_energy()",
        "lib/analysis/delta.c rk_delta_rank()", NULL },
      DOC5 ", docs/concepts/rank.md" },
    { "LoRA at r = 1, 2, 4, 8, 16 on the same batches",
      "Each rank gets fresh adapters on every layer and the same 100 batches\n"
      "as the full fine-tune: A kaiming-uniform as in loralib/PEFT (uniform in\n"
      "±1/√In), B = 0, and α = 1 as in the notebook, so the scale s = α/r is\n"
      "1/r (`ranklab demo` takes α = r: s = 1 at every rank). ΔW_lora = s·B·A\n"
      "has rank ≤ r by construction; the numerical rank confirms it. One more\n"
      "run at r = 4 starts A ~ N(0,1), the notebook's init.",
      step_lora,
      { "lib/nn/lora.c rk_lora_create()", "lib/nn/lora.c rk_lora_delta()",
        "lib/nn/train.c rk_train_run()", NULL },
      DOC5 ", docs/concepts/lora.md" },
    { "rel_err against the Eckart–Young bound",
      "rel_err = ‖ΔW_lora − ΔW_full‖_F/‖ΔW_full‖_F. No rank-r matrix is closer\n"
      "to ΔW_full than its truncated SVD [ΔW_full]_r (Eckart–Young), so\n"
      "rel_err ≥ ‖ΔW_full − [ΔW_full]_r‖_F/‖ΔW_full‖_F: how far above the\n"
      "bound LoRA lands is the price of learning the update by descent.",
      l5_step_errors,
      { "lib/analysis/delta.c rk_delta_rel_err()",
        "lib/analysis/delta.c rk_delta_eckart_young_rel_err()", NULL },
      DOC5 ", docs/concepts/lowrank.md" },
    { "φ: LoRA's directions against the full delta's",
      "φ(i, j) = ‖U_lora[:, :i]ᵀ·U_full[:, :j]‖_F²/min(i, j) (the paper's eq. 4)\n"
      "compares the top-i left singular vectors of ΔW_lora(r) with the top-j\n"
      "of ΔW_full: 1 = the same subspace, 0 = orthogonal; a random pair of\n"
      "directions in R^d scores about max(i, j)/d.",
      l5_step_phi_full,
      { "lib/linalg/subspace.c rk_subspace_phi_svd()", "lib/linalg/svd.c rk_svd_decomp()", NULL },
      DOC5 ", docs/concepts/subspace.md" },
    { "φ: LoRA r = 2 against r = 16 (the paper's Figure 3)",
      "The paper compared the row spaces of A learned at r = 8 and r = 64 and\n"
      "found the top direction shared (φ > 0.5 at i = j = 1), the rest mostly\n"
      "noise. Here: the right singular vectors (the row space, as A's) of\n"
      "ΔW_lora at r = 2 and r = 16.",
      l5_step_phi_ranks,
      { "lib/linalg/subspace.c rk_subspace_phi_svd()", NULL },
      DOC5 ", docs/concepts/subspace.md" },
    { "Amplification (the paper's Table 7)",
      "Project W0 onto ΔW's top-r directions: ‖Uᵀ·W0·V‖_F, beside the same with\n"
      "W0's own top-r directions and with random ones. A small projection and\n"
      "a large ‖ΔW‖_F/‖Uᵀ·W0·V‖_F mean ΔW amplifies directions W0 had but did\n"
      "not emphasise.",
      l5_step_amplify,
      { "lib/analysis/amplify.c rk_amplify_from_svd()", NULL },
      DOC5 ", docs/concepts/subspace.md" },
    { "Why the init matters: N(0,1) against kaiming",
      "With A ~ N(0,1) the random A is √(3·In) times larger than kaiming's, so\n"
      "the same training moves B into a ΔW = s·B·A dominated by A's random\n"
      "row space. Compare size and direction with ΔW_full at r = 4.",
      l5_step_init,
      { "lib/analysis/delta.c rk_delta_cosine()", "lib/analysis/delta.c rk_delta_rel_err()",
        "lib/nn/lora.c rk_lora_create()", NULL },
      DOC5 ", docs/concepts/lora.md" },
    { "This run against the LoRA paper",
      "The paper measured GPT-3 (175B parameters, r = 8 vs 64, W_q of layer 48);\n"
      "this run is a small MLP (step 1). Each line puts this run's number next\n"
      "to the paper's and says, computed from the numbers, whether it agrees.",
      l5_step_paper,
      { "lib/analysis/amplify.c rk_amplify_from_svd()",
        "lib/linalg/subspace.c rk_subspace_phi_svd()", NULL },
      DOC5 },
};

static const tut_option options[] = {
    { "data", "DIR", "Fashion-MNIST folder (default $RANKLAB_DATA, else Debian's)", opt_data },
    { "quick", NULL, "a smaller net and data (the test suite's run)", opt_quick },
};

int main(int argc, char **argv)
{
    lesson5 L = { .nn.prog = "ranklab-tutorial-05", .ranks = { 1, 2, 4, 8, 16 } };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-05",
        .title = "Lesson 5: LoRA vs SVD",
        .intro = "The update LoRA learns against the best low-rank approximation of the\n"
                 "update a full fine-tune makes: errors, shared directions, amplification,\n"
                 "and the LoRA paper's findings next to this run's. A small run (a smaller\n"
                 "net, a training subset); `ranklab demo` is the full-size experiment.\n"
                 "Text: " DOC5 "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
