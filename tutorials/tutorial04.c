/*
 * tutorial04.c — lesson 4, "LoRA": the classic LoRA notebook in C, one step
 * at a time (docs/tutorials/04-lora.md).
 *
 * Parameter counts come from a real network of the notebook's size
 * (784 → 1000 → 2000 → 10: 2,807,010 parameters; LoRA at r = 1 on its three
 * weights adds 6,794). The training runs on lessons 3–4's smaller network
 * (lesson_nn.h) so the lesson finishes in under a minute; the full-size run
 * is `ranklab demo`. Then, as the notebook: freeze the base, fine-tune
 * adapters (r = 1, α = 1, A ~ N(0, 1), B = 0) on the worst class for 100
 * steps of 10, compare the adapter enabled and disabled, check the frozen
 * weights are byte for byte unchanged, and merge W + s·B·A.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lesson_nn.h"
#include "runner.h"

#define DOC "docs/tutorials/04-lora.md"

enum { C = RK_DATASET_CLASSES };

typedef struct lesson4 {
    lesson_nn nn;           /* data and the pretrained network */
    rk_mlp net;             /* a fresh network holding the pretrained weights: the frozen base */
    size_t rank;            /* --rank: LoRA rank R (default 1) */
    rk_lora lora;           /* the adapters */
    float *snapshot;        /* (base.n_params) the base's parameters before fine-tuning */
    double pre_acc, pre_target, lora_acc, lora_target;
    double t_plain;         /* seconds to predict the test set with the adapter disabled */
} lesson4;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum { TIMING_RUNS = 5 };

/* Seconds to predict the test set with @p lora (may be NULL): the best of
 * TIMING_RUNS runs, the usual estimate on a busy machine. When @p other is not
 * NULL, its time (with the adapter disabled) is measured in alternation. */
static rk_status time_predict(lesson4 *L, rk_lora *lora, double *seconds, double *other)
{
    unsigned char *pred = rk_calloc(L->nn.test.n, 1);
    if (!pred)
        return RK_ENOMEM;
    rk_status s = RK_OK;
    *seconds = INFINITY;
    if (other)
        *other = INFINITY;
    for (int rep = 0; rep < TIMING_RUNS && s == RK_OK; rep++) {
        double t0 = now();
        s = rk_mlp_predict(&L->net, lora, L->nn.test.x, L->nn.test.n, pred);
        *seconds = fmin(*seconds, now() - t0);
        if (s != RK_OK || !other)
            continue;
        s = rk_lora_set_enabled(lora, false);
        t0 = now();
        if (s == RK_OK)
            s = rk_mlp_predict(&L->net, lora, L->nn.test.x, L->nn.test.n, pred);
        *other = fmin(*other, now() - t0);
        if (s == RK_OK)
            s = rk_lora_set_enabled(lora, true);
    }
    rk_free(pred);
    return s;
}

/* ---- step 1 ------------------------------------------------------------ */

static rk_status step_counts(tut_runner *t, void *ctx)
{
    (void)ctx;
    rk_mlp big = { 0 };
    rk_lora lo = { 0 };
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t));
    rk_mlp_config cfg = rk_mlp_config_default();
    rk_status s = rk_mlp_create(&big, &cfg, 1);   /* the notebook's net, parameters only */
    rk_lora_config lc = rk_lora_config_default();  /* r = 1, α = 1, every layer */
    if (s == RK_OK)
        s = rk_lora_create(&lo, &big, &lc, &rng);
    if (s != RK_OK) {
        rk_mlp_free(&big);
        return s;
    }
    tut_printf(t, "layer    W (Out×In)   weights    biases   LoRA r=1: r·(In+Out)\n");
    size_t wsum = 0, bsum = 0;
    for (size_t l = 0; l < cfg.n_layers; l++) {
        size_t in = cfg.sizes[l], out = cfg.sizes[l + 1];
        char shape[32];
        snprintf(shape, sizeof shape, "%zu×%zu", out, in);
        tut_printf(t, "linear%zu  %-10s  %9zu  %8zu   %6zu = 1·(%zu+%zu)\n", l + 1, shape, out * in,
                   out, rk_lora_layer_params(&lo, l), in, out);
        wsum += out * in;
        bsum += out;
    }
    tut_printf(t, "total              %9zu  %8zu   %6zu\n\n", wsum, bsum, lo.n_params);
    tut_printf(t, "network parameters: %zu + %zu = %zu\n", wsum, bsum, big.n_params);
    tut_printf(t, "LoRA adds %zu trainable parameters at r = 1: %.3f%% of the network\n",
               lo.n_params, 100.0 * (double)lo.n_params / (double)big.n_params);
    tut_printf(t, "(at r = 8: %zu, %.2f%%; the count grows linearly in r)\n", 8 * lo.n_params,
               800.0 * (double)lo.n_params / (double)big.n_params);
    tut_check(t, "params_default", "%zu", big.n_params);
    tut_check(t, "lora_params_r1", "%zu", lo.n_params);
    rk_lora_free(&lo);
    rk_mlp_free(&big);
    return RK_OK;
}

/* ---- step 2 ------------------------------------------------------------ */

static rk_status step_pretrain(tut_runner *t, void *ctx)
{
    lesson4 *L = ctx;
    return lnn_pretrain_step(t, &L->nn, &L->pre_acc, &L->pre_target);
}

/* ---- step 3 ------------------------------------------------------------ */

static rk_status step_freeze(tut_runner *t, void *ctx)
{
    lesson4 *L = ctx;
    rk_mlp *net = &L->net;
    /* the pretrained weights in a fresh network, as loading a checkpoint gives them:
     * pretraining allocated gradients for the original, this one has none */
    rk_status s = rk_mlp_create(net, &L->nn.cfg, LNN_EVAL_BATCH);
    if (s == RK_OK)
        s = rk_mlp_copy_params(net, &L->nn.base);
    if (s != RK_OK)
        return s;
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t) + 2);
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = L->rank;
    lc.init = RK_LORA_INIT_NORMAL;                  /* the notebook: A ~ N(0, 1), B = 0 */
    s = rk_lora_create(&L->lora, net, &lc, &rng);
    if (s != RK_OK)
        return s;
    L->snapshot = rk_alloc(net->n_params * sizeof(float));
    if (!L->snapshot)
        return RK_ENOMEM;
    memcpy(L->snapshot, net->params, net->n_params * sizeof(float));
    /* at step 0, B = 0: the adapted network computes exactly the base's logits */
    size_t b = L->nn.test.n < LNN_EVAL_BATCH ? L->nn.test.n : LNN_EVAL_BATCH;
    size_t nl = b * C;
    float *logits = rk_alloc(nl * sizeof(float));
    if (!logits)
        return RK_ENOMEM;
    const float *out = net->pre[net->cfg.n_layers - 1];
    s = rk_mlp_forward(net, NULL, L->nn.test.x, b);
    if (s == RK_OK) {
        memcpy(logits, out, nl * sizeof(float));
        s = rk_mlp_forward(net, &L->lora, L->nn.test.x, b);
    }
    bool same = s == RK_OK && memcmp(logits, out, nl * sizeof(float)) == 0;
    rk_free(logits);
    if (s != RK_OK)
        return s;
    tut_printf(t, "adapters on all %zu weights: r = %zu, α = %.0f, s = α/r = %.3f, A ~ N(0,1), B = 0\n",
               net->cfg.n_layers, L->lora.cfg.rank, L->lora.cfg.alpha, (double)L->lora.scale);
    tut_printf(t, "α (PEFT's lora_alpha) is a constant set with r; the update is scaled by\n"
                  "s = α/r. The notebook takes α = 1 (so s = 1/r); the demo takes α = r, so\n"
                  "s = 1 at every rank and the ranks compare on one scale.\n"
                  "A ~ N(0,1) is the notebook's init; PEFT draws A kaiming-uniform, small\n"
                  "(|a| ≤ 1/√In). Lesson 5 step 8 shows what N(0,1) does to ΔW.\n");
    tut_printf(t, "trainable: %zu adapter parameters (%.2f%% of the %zu in this network)\n",
               L->lora.n_params, 100.0 * (double)L->lora.n_params / (double)net->n_params,
               net->n_params);
    tut_printf(t, "frozen:    %zu base parameters; their gradient buffer: %s\n", net->n_params,
               net->grads ? "allocated" : "none (never allocated)");
    tut_printf(t, "at step 0 (B = 0) the logits with the adapter equal the base's: %s\n",
               same ? "bit for bit" : "NO");
    tut_check(t, "lora_params", "%zu", L->lora.n_params);
    tut_check(t, "base_grads_before", "%s", net->grads ? "allocated" : "none");
    tut_check(t, "init_logits_equal", "%d", same);
    return RK_OK;
}

/* ---- step 4 ------------------------------------------------------------ */

static rk_status step_finetune(tut_runner *t, void *ctx)
{
    lesson4 *L = ctx;
    rk_train_result res = { 0 };
    rk_status s = lnn_finetune(&L->nn, &L->net, &L->lora, tut_seed(t) + 1, &res);
    rk_eval ev = { 0 };
    if (s == RK_OK)
        s = lnn_evaluate(&L->nn, &L->net, &L->lora, &ev, &L->lora_acc, &L->lora_target);
    if (s != RK_OK)
        return s;
    int w = L->nn.worst;
    const char *wname = rk_dataset_class_name((size_t)w);
    tut_printf(t, "LoRA fine-tune (A ~ N(0,1)): %zu steps of %d images of class %d %s,\n"
                  "%zu parameters train; loss %.3f → %.3f in %.2f s\n\n",
               res.steps, LNN_BATCH, w, wname, L->lora.n_params, res.loss_first, res.loss_last,
               res.seconds);
    tut_printf(t, "                    accuracy   class %d %s\n", w, wname);
    tut_printf(t, "  pretrained         %.4f    %.4f\n", L->pre_acc, L->pre_target);
    tut_printf(t, "  with LoRA r = %zu    %.4f    %.4f\n\n", L->lora.cfg.rank, L->lora_acc,
               L->lora_target);
    lnn_print_wrong_head(t);
    lnn_print_wrong(t, "pretrained", &L->nn.pre);
    lnn_print_wrong(t, "with LoRA", &ev);
    size_t pre_o = 0, lora_o = 0, uw = (size_t)w;
    for (size_t c = 0; c < C; c++)
        if (c != uw) {
            pre_o += rk_metrics_class_wrong(L->nn.pre.confusion, C, c);
            lora_o += rk_metrics_class_wrong(ev.confusion, C, c);
        }
    tut_printf(t, "\nClass %d %s: %zu → %zu wrong. The other classes: %zu → %zu wrong: trained\n"
                  "on one class, the adapter forgets too, with %.2f%% of the parameters\n"
                  "(lesson 3 step 2 shows the full fine-tune's forgetting).\n", w, wname,
               rk_metrics_class_wrong(L->nn.pre.confusion, C, uw),
               rk_metrics_class_wrong(ev.confusion, C, uw), pre_o, lora_o,
               100.0 * (double)L->lora.n_params / (double)L->net.n_params);
    rk_eval_free(&ev);
    tut_check(t, "lora_acc", "%.6f", L->lora_acc);
    tut_check(t, "lora_target_acc", "%.6f", L->lora_target);
    tut_check(t, "pre_target_acc", "%.6f", L->pre_target);
    return RK_OK;
}

/* ---- step 5 ------------------------------------------------------------ */

static rk_status step_disable(tut_runner *t, void *ctx)
{
    lesson4 *L = ctx;
    rk_eval ev = { 0 };
    double acc = 0, tacc = 0;
    rk_status s = rk_lora_set_enabled(&L->lora, false);
    if (s == RK_OK)
        s = lnn_evaluate(&L->nn, &L->net, &L->lora, &ev, &acc, &tacc);
    if (s == RK_OK)
        s = rk_lora_set_enabled(&L->lora, true);
    if (s != RK_OK) {
        rk_eval_free(&ev);
        return s;
    }
    bool same = memcmp(ev.confusion, L->nn.pre.confusion, C * C * sizeof *ev.confusion) == 0;
    tut_printf(t, "                    accuracy   class %d %s\n", L->nn.worst,
               rk_dataset_class_name((size_t)L->nn.worst));
    tut_printf(t, "  LoRA disabled      %.4f    %.4f\n", acc, tacc);
    tut_printf(t, "  pretrained         %.4f    %.4f\n\n", L->pre_acc, L->pre_target);
    lnn_print_wrong_head(t);
    lnn_print_wrong(t, "pretrained", &L->nn.pre);
    lnn_print_wrong(t, "disabled", &ev);
    rk_eval_free(&ev);
    tut_printf(t, "\nThe confusion counts of all %zu test images are %s the\n"
                  "pretrained ones: disabling the adapter gives back the pretrained network\n"
                  "exactly.\n",
               L->nn.test.n, same ? "identical to" : "NOT");
    tut_check(t, "disabled_acc", "%.6f", acc);
    tut_check(t, "disabled_equals_pretrained", "%d", same);
    return RK_OK;
}

/* ---- step 6 ------------------------------------------------------------ */

static rk_status step_frozen(tut_runner *t, void *ctx)
{
    lesson4 *L = ctx;
    rk_mlp *net = &L->net;
    size_t bytes = net->n_params * sizeof(float), differ = 0;
    const unsigned char *a = (const unsigned char *)net->params, *b = (const unsigned char *)L->snapshot;
    for (size_t i = 0; i < bytes; i++)
        differ += a[i] != b[i];
    bool same = memcmp(net->params, L->snapshot, bytes) == 0;
    tut_printf(t, "memcmp(base parameters now, copy taken before fine-tuning): %s\n",
               same ? "0 (equal)" : "non-zero");
    tut_printf(t, "%zu of %zu bytes differ; the base's gradient buffer: %s\n", differ, bytes,
               net->grads ? "allocated" : "none");
    tut_printf(t, "Everything the fine-tune learnt is in the %zu adapter parameters.\n",
               L->lora.n_params);
    tut_check(t, "base_unchanged", "%d", same);
    tut_check(t, "base_grads_after", "%s", net->grads ? "allocated" : "none");
    return RK_OK;
}

/* ---- step 7 ------------------------------------------------------------ */

/* max |W_l − (W0_l + s·B·A)| / max |W_l| over the adapted layers, in double. */
static rk_status merged_weight_error(lesson4 *L, double *err)
{
    rk_mlp *net = &L->net;
    *err = 0;
    for (size_t l = 0; l < net->cfg.n_layers; l++) {
        rk_mat d = { 0 };
        rk_status s = rk_lora_delta(&d, &L->lora, l);    /* s·B·A in double */
        if (s != RK_OK)
            return s;
        size_t off = (size_t)(net->p.w[l] - net->params);
        double num = 0, den = 0;
        for (size_t i = 0; i < d.rows * d.cols; i++) {
            double want = (double)L->snapshot[off + i] + d.data[i];
            num = fmax(num, fabs((double)net->p.w[l][i] - want));
            den = fmax(den, fabs(want));
        }
        rk_mat_free(&d);
        *err = fmax(*err, num / den);
    }
    return RK_OK;
}

static rk_status step_merge(tut_runner *t, void *ctx)
{
    lesson4 *L = ctx;
    rk_mlp *net = &L->net;
    size_t b = L->nn.test.n < LNN_EVAL_BATCH ? L->nn.test.n : LNN_EVAL_BATCH, nl = b * C;
    const float *out = net->pre[net->cfg.n_layers - 1];
    float *side = rk_alloc(nl * sizeof(float));
    if (!side)
        return RK_ENOMEM;
    double t_side = 0, t_merged = 0, werr = 0, acc = 0, tacc = 0;
    rk_status s = rk_mlp_forward(net, &L->lora, L->nn.test.x, b);   /* x·Wᵀ + s·(x·Aᵀ)·Bᵀ */
    if (s == RK_OK) {
        memcpy(side, out, nl * sizeof(float));
        s = time_predict(L, &L->lora, &t_side, &L->t_plain);
    }
    if (s == RK_OK)
        s = rk_lora_merge(&L->lora, net);                             /* W ← W + s·B·A */
    if (s == RK_OK)
        s = rk_mlp_forward(net, &L->lora, L->nn.test.x, b);           /* x·(W + s·B·A)ᵀ */
    double num = 0, den = 0;
    for (size_t i = 0; s == RK_OK && i < nl; i++) {
        num = fmax(num, fabs((double)out[i] - (double)side[i]));
        den = fmax(den, fabs((double)side[i]));
    }
    rk_free(side);
    if (s == RK_OK)
        s = time_predict(L, &L->lora, &t_merged, NULL);
    if (s == RK_OK)
        s = lnn_evaluate(&L->nn, net, &L->lora, NULL, &acc, &tacc);
    if (s == RK_OK)
        s = merged_weight_error(L, &werr);
    double uerr = 0;   /* after unmerging: max |W − W0| / max |W0| */
    if (s == RK_OK)
        s = rk_lora_unmerge(&L->lora, net);                          /* W ← W − s·B·A */
    if (s == RK_OK) {
        double num = 0, den = 0;
        for (size_t i = 0; i < net->n_params; i++) {
            num = fmax(num, fabs((double)net->params[i] - (double)L->snapshot[i]));
            den = fmax(den, fabs((double)L->snapshot[i]));
        }
        uerr = num / den;
    }
    if (s != RK_OK)
        return s;
    double rel = den > 0 ? num / den : num;
    tut_printf(t, "merged: W ← W + s·B·A in each layer (one sgemm), the side path switched off\n\n");
    tut_printf(t, "max |W_merged − (W + s·B·A)| / max |W|      = %.2e   (ε₃₂ = %.2e)\n", werr,
               (double)FLT_EPSILON);
    tut_printf(t, "max |logits merged − unmerged| / max |logits| = %.2e   (%zu test images)\n", rel, b);
    tut_printf(t, "accuracy merged %.4f, class %d %s %.4f (unmerged: %.4f, %.4f)\n\n", acc,
               L->nn.worst, rk_dataset_class_name((size_t)L->nn.worst), tacc, L->lora_acc,
               L->lora_target);
    tut_printf(t, "time to predict %zu test images (best of %d):\n", L->nn.test.n, TIMING_RUNS);
    tut_printf(t, "  adapter disabled    %.3f s\n", L->t_plain);
    tut_printf(t, "  adapter, unmerged   %.3f s   (x·Wᵀ plus the side path s·(x·Aᵀ)·Bᵀ)\n", t_side);
    tut_printf(t, "  adapter, merged     %.3f s   (x·W'ᵀ: the same work as no adapter)\n", t_merged);
    size_t wmac = 0;   /* multiply-adds per image: Σ In·Out for W, Σ r·(In + Out) for the side path */
    for (size_t l = 0; l < net->cfg.n_layers; l++)
        wmac += net->cfg.sizes[l] * net->cfg.sizes[l + 1];
    tut_printf(t, "\nWhy the times hardly differ at this size: at r = %zu the side path adds\n"
                  "%zu multiply-adds per image to the weights' %zu (%.2f%%), less than\n"
                  "the timing noise (these times also move with the machine's load).\n"
                  "Merging pays at large r, or where every layer call counts.\n",
               L->lora.cfg.rank, L->lora.n_params, wmac,
               100.0 * (double)L->lora.n_params / (double)wmac);
    tut_printf(t, "\nMerged, the fine-tuned network is a plain network again: no extra\n"
                  "parameters at inference, no extra time. Unmerging (W ← W − s·B·A) gives\n"
                  "back the base to rounding, max |W − W0| / max |W0| = %.2e, to swap in\n"
                  "another adapter.\n", uerr);
    tut_check(t, "merged_rel_diff", "%.6e", rel);
    tut_check(t, "merged_weight_err", "%.6e", werr);
    tut_check(t, "merged_acc", "%.6f", acc);
    tut_check(t, "unmerge_err", "%.6e", uerr);
    return RK_OK;
}

/* ---- the lesson -------------------------------------------------------- */

static bool opt_quick(void *ctx, const char *v) { return lnn_opt_quick(&((lesson4 *)ctx)->nn, v); }

static bool opt_data(void *ctx, const char *v) { return lnn_opt_data(&((lesson4 *)ctx)->nn, v); }

static bool opt_rank(void *ctx, const char *v) { return lnn_parse_rank(v, &((lesson4 *)ctx)->rank); }

static void cleanup(void *ctx)
{
    lesson4 *L = ctx;
    rk_lora_free(&L->lora);
    rk_mlp_free(&L->net);
    lnn_free(&L->nn);
    rk_free(L->snapshot);
    L->snapshot = NULL;
}

static const tut_step steps[] = {
    { "Parameter counts: 2,807,010 and 6,794",
      "The notebook's network, 784 → 1000 → 2000 → 10, created for real to count\n"
      "its parameters, and LoRA adapters of rank 1 on its three weights: each\n"
      "adds A (1×In) and B (Out×1), r·(In + Out) numbers (shapes rows × columns).",
      step_counts,
      { "lib/nn/mlp.c rk_mlp_create()", "lib/nn/lora.c rk_lora_create()",
        "lib/nn/lora.c rk_lora_layer_params()", NULL },
      DOC ", docs/concepts/lora.md" },
    { "Pretrain a small network and find its worst class",
      "Training the full-size network takes minutes (`ranklab demo` does it);\n"
      "this lesson trains lesson 3's smaller one: a fifth of the width, 12,000\n"
      "images, one epoch. The counts above are the full network's.",
      step_pretrain,
      { "lib/nn/train.c rk_train_run()", "lib/nn/metrics.c rk_metrics_worst_class()", NULL },
      DOC ", docs/nn.md" },
    { "Add LoRA and freeze the base",
      "W' = W + s·B·A with s = α/r. B starts at 0, so the adapted network starts\n"
      "as the pretrained one. Only A and B get gradients and optimizer state:\n"
      "the base has no gradient buffer at all.",
      step_freeze,
      { "lib/nn/lora.c rk_lora_create()", "lib/nn/mlp.c rk_mlp_forward()", NULL },
      DOC ", docs/concepts/lora.md" },
    { "Fine-tune the adapters on the worst class",
      "As in the notebook: 100 steps of 10 images of the worst class, Adam on\n"
      "the adapter parameters only.",
      step_finetune,
      { "lib/nn/train.c rk_train_step()", "lib/nn/mlp.c rk_mlp_backward()", NULL },
      DOC },
    { "The adapter disabled: the pretrained network, exactly",
      "Switch the adapters off and evaluate again. The forward pass is then the\n"
      "base network's, computed by the same code: the same predictions as\n"
      "before fine-tuning, on every test image.",
      step_disable,
      { "lib/nn/lora.c rk_lora_set_enabled()", "lib/nn/mlp.c rk_mlp_evaluate()", NULL },
      DOC },
    { "The frozen weights did not change",
      "The notebook asserts it; here the base's parameters are compared byte\n"
      "for byte with a copy taken before fine-tuning.",
      step_frozen,
      { "lib/nn/train.c rk_train_step()", NULL },
      DOC },
    { "Merge W + s·B·A: no extra cost at inference",
      "Fold the adapter into the weights. The outputs stay the same (to float\n"
      "rounding) and predicting costs what the plain network costs.",
      step_merge,
      { "lib/nn/lora.c rk_lora_merge()", "lib/nn/lora.c rk_lora_delta()",
        "lib/nn/lora.c rk_lora_unmerge()", NULL },
      DOC ", docs/concepts/lora.md" },
};

static const tut_option options[] = {
    { "data", "DIR", "Fashion-MNIST folder (default $RANKLAB_DATA, else Debian's)", opt_data },
    { "quick", NULL, "a smaller net and data (the test suite's run)", opt_quick },
    { "rank", "R", "LoRA rank of the fine-tune, 1..64 (default 1)", opt_rank },
};

int main(int argc, char **argv)
{
    lesson4 L = { .rank = 1, .nn.prog = "ranklab-tutorial-04" };
    const tut_lesson lesson = {
        .prog = "ranklab-tutorial-04",
        .title = "Lesson 4: LoRA",
        .intro = "The LoRA notebook in C: parameter counts, a frozen base, adapters trained\n"
                 "on the worst class, switched off, and merged.\nText: " DOC "\n",
        TUT_LESSON_TABLES(steps, options),
        .default_seed = 0,
        .ctx = &L,
        .cleanup = cleanup,
    };
    return tut_main(&lesson, argc, argv);
}
