/*
 * tutorial05.c — lesson 5, "LoRA vs SVD": how close is the update LoRA
 * learns to the best low-rank approximation of the update a full fine-tune
 * makes, and which directions do they share (docs/tutorials/05-lora-vs-svd.md).
 *
 * Steps 1-4 (this file): load Fashion-MNIST, pretrain a small MLP on a
 * subset, pick its worst class, fine-tune a copy fully and LoRA adapters at
 * r = 1, 2, 4, 8, 16 (kaiming init) — all on the same 100 batches of 10
 * images of that class — and an adapter with the classic tutorial's N(0,1)
 * init at r = 4. Steps 5-10 (tutorial05_analysis.c) compare the updates.
 *
 * The net is smaller than the tutorial's 784 → 1000 → 2000 → 10 and the
 * pretraining sees a subset, so the lesson runs in well under a minute on two
 * cores; `ranklab demo` runs the full-size experiment.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tutorial05.h"

static const char *const CLASS_NAMES[RK_DATASET_CLASSES] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

enum { MAX_BATCH = 256, PRETRAIN_BATCH = 32, FT_BATCH = 10 };

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

static rk_status draw_term(FILE *out, void *arg)
{
    rk_plot_out o = { .format = RK_PLOT_TERM, .term = out };
    return rk_plot_draw(arg, &o, NULL);
}

void l5_show_plot(tut_runner *t, rk_plot_spec *spec, const char *name)
{
    tut_plot(t, draw_term, spec);
    const char *dir = tut_out_dir(t);
    if (!dir || tut_quiet(t))
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    rk_plot_out o = { .format = RK_PLOT_PNG, .path = path };
    rk_err err;
    rk_status s = rk_plot_draw(spec, &o, &err);
    if (s == RK_OK)
        tut_printf(t, "wrote %s (and its .dat, .gp)\n", path);
    else
        tut_printf(t, "(no %s: %s)\n", path, rk_err_message(&err, s));
}

/* Test accuracy overall and on class @p cls, with @p lora (may be NULL);
 * optionally every class's accuracy and the worst class. */
static rk_status evaluate(lesson5 *L, rk_mlp *net, rk_lora *lora, int cls, double *acc,
                          double *cls_acc, double *per_class, int *worst)
{
    size_t correct = 0, conf[RK_DATASET_CLASSES * RK_DATASET_CLASSES] = { 0 };
    double pc[RK_DATASET_CLASSES];
    rk_status s = rk_mlp_evaluate(net, lora, L->test.x, L->test.y, L->test.n, &correct, conf);
    if (s != RK_OK)
        return s;
    *acc = rk_accuracy(conf, RK_DATASET_CLASSES);
    rk_per_class_accuracy(conf, RK_DATASET_CLASSES, per_class ? per_class : pc);
    if (cls >= 0)
        *cls_acc = (per_class ? per_class : pc)[cls];
    if (worst)
        *worst = rk_worst_class(conf, RK_DATASET_CLASSES);
    return RK_OK;
}

/* The fine-tuning schedule every run shares: ft_steps batches of 10 target
 * images, the same seed, so full FT and every LoRA see the same batches. */
static rk_train_opts ft_opts(const lesson5 *L, uint64_t seed)
{
    rk_train_opts to = rk_train_opts_default();
    to.batch = FT_BATCH;
    to.steps = L->ft_steps;
    to.seed = seed + 17;
    return to;
}

/* ---- step 1 ------------------------------------------------------------ */

static rk_status step_data(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    rk_err err;
    const char *dir = rk_dataset_default_dir();
    rk_status s = rk_dataset_load(&L->train, &L->test, dir, &err);
    if (s != RK_OK) {
        /* the library's message suggests --data, which the lessons do not take */
        if (s == RK_EDATA)
            fprintf(stderr, "ranklab-tutorial-05: %s: no Fashion-MNIST here: install the Debian "
                    "package dataset-fashion-mnist, or set RANKLAB_DATA to a directory holding "
                    "its IDX files\n", dir);
        else
            fprintf(stderr, "ranklab-tutorial-05: %s: %s\n", dir, rk_err_message(&err, s));
        return s;
    }
    if (L->n_train > L->train.n)
        L->n_train = L->train.n;
    tut_printf(t, "%s: %zu training and %zu test images of %zu pixels, %d classes\n", dir,
               L->train.n, L->test.n, L->train.dim, L->train.n_classes);
    tut_printf(t, "standardised with the training pixels' mean %.4f and std %.4f\n",
               L->train.mean, L->train.std);
    tut_printf(t, "pretraining uses the first %zu training images (--train), %zu epoch(s)\n",
               L->n_train, L->epochs);
    tut_check(t, "n_train", "%zu", L->n_train);
    return RK_OK;
}

/* ---- step 2 ------------------------------------------------------------ */

static rk_status step_pretrain(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    rk_mlp_config cfg = { 3, { L->train.dim, L->width, 2 * L->width, RK_DATASET_CLASSES } };
    rk_status s = rk_mlp_create(&L->base, &cfg, MAX_BATCH);
    if (s != RK_OK)
        return s;
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t));
    rk_mlp_init(&L->base, &rng);
    rk_optim opt;
    rk_optim_config adam = rk_optim_adam_default();
    s = rk_optim_create(&opt, &adam, L->base.n_params);
    if (s != RK_OK)
        return s;
    rk_train_opts to = rk_train_opts_default();
    to.batch = PRETRAIN_BATCH;
    to.epochs = L->epochs;
    to.seed = tut_seed(t);
    rk_train_result res;
    s = rk_train_run(&L->base, NULL, &opt, L->train.x, L->train.y, L->n_train, L->train.dim,
                     NULL, 0, &to, &res);
    rk_optim_free(&opt);
    if (s != RK_OK)
        return s;
    double pc[RK_DATASET_CLASSES];
    s = evaluate(L, &L->base, NULL, -1, &L->base_acc, NULL, pc, &L->target);
    if (s != RK_OK)
        return s;
    L->base_target_acc = pc[L->target];
    tut_printf(t, "net %zu → %zu → %zu → %zu: %zu parameters (the tutorial's: 2,807,010)\n",
               cfg.sizes[0], cfg.sizes[1], cfg.sizes[2], cfg.sizes[3], L->base.n_params);
    tut_printf(t, "Adam lr 1e-3, batches of %d: %zu steps in %.1f s, loss %.3f → %.3f\n",
               PRETRAIN_BATCH, res.steps, res.seconds, res.loss_first, res.loss_last);
    tut_printf(t, "test accuracy %.4f; per class:\n", L->base_acc);
    for (int c = 0; c < RK_DATASET_CLASSES; c++)
        tut_printf(t, "  %d %-12s %.4f%s\n", c, CLASS_NAMES[c], pc[c],
                   c == L->target ? "   <- the worst: fine-tune on it" : "");
    tut_check(t, "pretrain_acc", "%.6f", L->base_acc);
    tut_check(t, "target", "%d", L->target);
    tut_check(t, "target_acc", "%.6f", L->base_target_acc);
    return RK_OK;
}

/* ---- step 3 ------------------------------------------------------------ */

static rk_status step_full(tut_runner *t, void *ctx)
{
    lesson5 *L = ctx;
    L->order = rk_alloc(L->train.n * sizeof *L->order);
    if (!L->order)
        return RK_ENOMEM;
    L->n_order = 0;
    for (size_t i = 0; i < L->train.n; i++)
        if (L->train.y[i] == L->target)
            L->order[L->n_order++] = i;
    rk_status s = rk_mlp_create(&L->full, &L->base.cfg, MAX_BATCH);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&L->full, &L->base);
    rk_optim opt;
    rk_optim_config adam = rk_optim_adam_default();
    if (s == RK_OK)
        s = rk_optim_create(&opt, &adam, L->full.n_params);
    if (s != RK_OK)
        return s;
    rk_train_opts to = ft_opts(L, tut_seed(t));
    rk_train_result res;
    s = rk_train_run(&L->full, NULL, &opt, L->train.x, L->train.y, L->train.n, L->train.dim,
                     L->order, L->n_order, &to, &res);
    rk_optim_free(&opt);
    if (s == RK_OK)
        s = evaluate(L, &L->full, NULL, L->target, &L->full_acc, &L->full_target_acc, NULL, NULL);
    if (s != RK_OK)
        return s;
    tut_printf(t, "%zu steps of %d '%s' images (of %zu), Adam lr 1e-3, every parameter trains\n",
               res.steps, FT_BATCH, CLASS_NAMES[L->target], L->n_order);
    tut_printf(t, "class %d accuracy %.4f → %.4f, overall %.4f → %.4f\n\n", L->target,
               L->base_target_acc, L->full_target_acc, L->base_acc, L->full_acc);
    tut_printf(t, "layer  shape      ‖ΔW_full‖_F  rank   energy in top 1 / 4 / 16 directions\n");
    for (size_t l = 0; l < L5_LAYERS; l++) {
        s = rk_mlp_weight_delta(&L->dfull[l], &L->full, &L->base, l);
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
        tut_printf(t, "%5zu  %-9s  %11.4f  %4zu   %.3f / %.3f / %.3f\n", l, shape,
                   rk_spectrum_fro(d->s, d->k), rank, rk_spectrum_energy(d->s, d->k, 1),
                   rk_spectrum_energy(d->s, d->k, 4), rk_spectrum_energy(d->s, d->k, 16));
    }
    tut_printf(t, "\nΔW_full has full rank but most of its energy in a few directions:\n"
                  "that is what lets a rank-r update come close to it.\n");
    tut_check(t, "full_target_acc", "%.6f", L->full_target_acc);
    return RK_OK;
}

/* ---- step 4 ------------------------------------------------------------ */

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
    rk_status s = rk_lora_create(&lo, &L->base, &lc, &rng);
    if (s != RK_OK)
        return s;
    rk_optim opt;
    rk_optim_config adam = rk_optim_adam_default();
    s = rk_optim_create(&opt, &adam, lo.n_params);
    rk_train_opts to = ft_opts(L, tut_seed(t));
    if (s == RK_OK) {
        s = rk_train_run(&L->base, &lo, &opt, L->train.x, L->train.y, L->train.n, L->train.dim,
                         L->order, L->n_order, &to, NULL);
        rk_optim_free(&opt);
    }
    if (s == RK_OK)
        s = evaluate(L, &L->base, &lo, L->target, acc, tacc, NULL, NULL);
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
    tut_printf(t, "   r  trainable  class %d acc  overall   rank(ΔW_lora) per layer (≤ r)\n",
               L->target);
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
            tut_printf(t, " %3zu", rank[l]);
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
    tut_printf(t, "%4zu  %9zu  %11.4f  %7.4f   (A ~ N(0,1), the classic tutorial's init)\n", r,
               params, L->normal_target_acc, L->normal_acc);
    tut_printf(t, "full  %9zu  %11.4f  %7.4f\n", L->full.n_params, L->full_target_acc,
               L->full_acc);
    tut_check(t, "lora_params_r1", "%zu", L->lora_params[0]);
    return RK_OK;
}

/* ---- the lesson -------------------------------------------------------- */

static bool parse_size(const char *v, size_t lo, size_t hi, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || x < lo || x > hi)
        return false;
    *out = (size_t)x;
    return true;
}

static bool opt_width(void *ctx, const char *v) { return parse_size(v, 16, 2048, &((lesson5 *)ctx)->width); }
static bool opt_train(void *ctx, const char *v) { return parse_size(v, 100, 60000, &((lesson5 *)ctx)->n_train); }
static bool opt_epochs(void *ctx, const char *v) { return parse_size(v, 1, 100, &((lesson5 *)ctx)->epochs); }
static bool opt_steps(void *ctx, const char *v) { return parse_size(v, 1, 100000, &((lesson5 *)ctx)->ft_steps); }

static void cleanup(void *ctx)
{
    lesson5 *L = ctx;
    rk_dataset_free(&L->train);
    rk_dataset_free(&L->test);
    rk_mlp_free(&L->base);
    rk_mlp_free(&L->full);
    rk_free(L->order);
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
    { "Fashion-MNIST",
      "The data of the LoRA tutorial: 28×28 clothing images in 10 classes,\n"
      "pixels scaled to [0, 1] and standardised with the training set's mean\n"
      "and std. Pretraining uses a subset (--train) to keep the lesson short.",
      step_data,
      { "lib/nn/data.c rk_dataset_load()", "lib/nn/data.c rk_dataset_standardize()", NULL },
      DOC5 },
    { "Pretrain a small net and find its worst class",
      "A 784 → w → 2w → 10 MLP (w = --width, 256), smaller than the tutorial's\n"
      "784 → 1000 → 2000 → 10 so the lesson runs in seconds. The class it gets\n"
      "wrong most often is computed from the test set, never assumed: that is\n"
      "the class every fine-tune below trains on.",
      step_pretrain,
      { "lib/nn/train.c rk_train_run()", "lib/nn/metrics.c rk_per_class_accuracy()",
        "lib/nn/metrics.c rk_worst_class()", NULL },
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
      "Each rank gets fresh adapters on every layer (A kaiming-uniform as in\n"
      "loralib/PEFT, B = 0, α = 1, s = α/r) and the same 100 batches as the\n"
      "full fine-tune. ΔW_lora = s·B·A has rank ≤ r by construction; the\n"
      "numerical rank confirms it. One more run at r = 4 starts A ~ N(0,1).",
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
      "this run is a small MLP (step 2). Each line puts this run's number next\n"
      "to the paper's and says, computed from the numbers, whether it agrees.",
      l5_step_paper,
      { "lib/analysis/amplify.c rk_amplify_from_svd()",
        "lib/linalg/subspace.c rk_subspace_phi_svd()", NULL },
      DOC5 },
};

static const tut_option options[] = {
    { "width", "W", "hidden widths W and 2W (default 256; the tutorial's net is 1000, 2000)",
      opt_width },
    { "train", "N", "pretrain on the first N training images (default 12000)", opt_train },
    { "epochs", "E", "pretraining epochs (default 1)", opt_epochs },
    { "steps", "S", "fine-tuning steps of 10 images (default 100, the tutorial's)", opt_steps },
};

int main(int argc, char **argv)
{
    lesson5 L = { .width = 256, .n_train = 12000, .epochs = 1, .ft_steps = 100,
                  .ranks = { 1, 2, 4, 8, 16 } };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-05",
        .title = "Lesson 5: LoRA vs SVD",
        .intro = "The update LoRA learns against the best low-rank approximation of the\n"
                 "update a full fine-tune makes: errors, shared directions, amplification,\n"
                 "and the LoRA paper's findings next to this run's. A small run (a smaller\n"
                 "net, a training subset); `ranklab demo` is the full-size experiment.\n"
                 "Text: " DOC5 "\n",
        .steps = steps,
        .n_steps = sizeof steps / sizeof steps[0],
        .options = options,
        .n_options = sizeof options / sizeof options[0],
        .default_seed = 5,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
