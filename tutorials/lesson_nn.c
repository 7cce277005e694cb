/*
 * lesson_nn.c — data, pretraining and evaluation shared by lessons 3 and 4
 * (see lesson_nn.h for the sizes and why they are smaller than `ranklab demo`).
 */
#include "lesson_nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void lnn_configure(lesson_nn *n)
{
    rk_mlp_config cfg = rk_mlp_config_default();   /* 784 → 1000 → 2000 → 10 */
    cfg.sizes[1] = n->quick ? 64 : 200;
    cfg.sizes[2] = n->quick ? 128 : 400;
    n->cfg = cfg;
    n->n_train = n->quick ? 5000 : 12000;
}

bool lnn_opt_data(void *ctx, const char *v)
{
    ((lesson_nn *)ctx)->data_dir = v;
    return *v != '\0';
}

bool lnn_opt_quick(void *ctx, const char *v)
{
    (void)v;
    ((lesson_nn *)ctx)->quick = true;
    return true;
}

bool lnn_parse_rank(const char *v, size_t *rank)
{
    char *end;
    unsigned long r = strtoul(v, &end, 10);
    if (end == v || *end || *v == '-' || r < 1 || r > 64)
        return false;
    *rank = (size_t)r;
    return true;
}

void lnn_print_wrong_head(tut_runner *t)
{
    tut_printf(t, "wrong, class:");
    for (int c = 0; c < RK_DATASET_CLASSES; c++)
        tut_printf(t, " %5d", c);
    tut_printf(t, "\n");
}

void lnn_print_wrong(tut_runner *t, const char *label, const rk_eval *ev)
{
    tut_printf(t, "  %-11s", label);
    for (size_t c = 0; c < ev->n_classes; c++)
        tut_printf(t, " %5zu", rk_metrics_class_wrong(ev->confusion, ev->n_classes, c));
    tut_printf(t, "\n");
}

/* The first n_train training images and the test images (all, or 2,000 with
 * --quick), standardised with the mean and std of the whole training set as
 * rk_dataset_load() does — but only the kept images are rewritten. */
static rk_status load(tut_runner *t, lesson_nn *n)
{
    rk_dataset train = { 0 }, test = { 0 };
    rk_err err;
    rk_status s = rk_dataset_load_split(&train, n->data_dir, RK_DATASET_TRAIN, &err);
    if (s == RK_OK)
        s = rk_dataset_load_split(&test, n->data_dir, RK_DATASET_TEST, &err);
    if (s != RK_OK) {
        fprintf(stderr, "%s: %s\n", n->prog ? n->prog : "ranklab-tutorial", rk_err_message(&err, s));
        rk_dataset_free(&train);
        return s;
    }
    double mean = 0, std = 0;
    rk_dataset_stats(&train, &mean, &std);
    s = rk_dataset_head(&n->train, &train, n->n_train);
    if (s == RK_OK)
        s = rk_dataset_head(&n->test, &test, n->quick ? 2000 : test.n);
    if (s == RK_OK)
        s = rk_dataset_standardize(&n->train, mean, std);
    if (s == RK_OK)
        s = rk_dataset_standardize(&n->test, mean, std);
    tut_printf(t, "data: %s\n  standardised with the training pixels' mean %.4f and std %.4f\n",
               n->data_dir ? n->data_dir : rk_dataset_default_dir(), mean, std);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    return s;
}

rk_status lnn_evaluate(lesson_nn *n, rk_mlp *net, rk_lora *lora, rk_eval *ev, double *acc,
                       double *target_acc)
{
    rk_eval own;
    rk_eval *e = ev ? ev : &own;
    rk_status s = rk_evaluate(e, net, lora, &n->test, NULL);
    if (s == RK_OK && acc)
        *acc = e->accuracy;
    if (s == RK_OK && target_acc)
        *target_acc = rk_eval_class_accuracy(e, n->worst);
    if (!ev)
        rk_eval_free(&own);
    return s;
}

rk_status lnn_pretrain(tut_runner *t, lesson_nn *n)
{
    rk_status s = load(t, n);
    if (s != RK_OK)
        return s;
    rk_rng rng;
    rk_rng_seed(&rng, tut_seed(t));
    s = rk_mlp_create(&n->base, &n->cfg, LNN_EVAL_BATCH);
    if (s != RK_OK)
        return s;
    rk_mlp_init(&n->base, &rng);
    rk_train_opts to = rk_train_opts_default();   /* Adam lr 1e-3, batch 10, one epoch, shuffled */
    to.batch = LNN_BATCH;
    to.seed = tut_seed(t);
    rk_train_result res = { 0 };
    s = rk_train_run(&n->base, NULL,
                     &(rk_train_data){ n->train.x, n->train.y, n->train.n, n->train.dim, NULL, 0 },
                     &to, &res, NULL);
    if (s != RK_OK)
        return s;
    n->pretrain_seconds = res.seconds;
    const size_t *sz = n->cfg.sizes;
    tut_printf(t, "net %zu → %zu → %zu → %zu (%zu parameters)%s\n", sz[0], sz[1], sz[2], sz[3],
               n->base.n_params, n->quick ? "  [--quick]" : "");
    tut_printf(t, "pretrain: first %zu training images, 1 epoch = %zu steps of %d, Adam lr 1e-3\n",
               n->train.n, res.steps, LNN_BATCH);
    tut_printf(t, "  loss %.3f → %.3f in %.1f s\n", res.loss_first, res.loss_last, res.seconds);
    n->worst = -1;
    s = rk_evaluate(&n->pre, &n->base, NULL, &n->test, NULL);
    if (s != RK_OK)
        return s;
    if (n->pre.worst >= n->pre.n_classes)
        return RK_ENOTFOUND;
    n->worst = (int)n->pre.worst;
    double acc = n->pre.accuracy;
    tut_printf(t, "test accuracy %.4f on %zu test images\n", acc, n->test.n);
    tut_printf(t, "classes:");
    for (size_t c = 0; c < RK_DATASET_CLASSES; c++)
        tut_printf(t, "%s %zu %s", c == 6 ? "\n        " : c ? " " : "", c, rk_dataset_class_name(c));
    tut_printf(t, "\n");
    lnn_print_wrong_head(t);
    lnn_print_wrong(t, "pretrained", &n->pre);
    tut_printf(t, "worst class: %d %s (accuracy %.3f), computed from these counts\n", n->worst,
               rk_dataset_class_name((size_t)n->worst), n->pre.per_class[n->worst]);
    size_t count = 0;
    for (size_t i = 0; i < n->train.n; i++)
        count += n->train.y[i] == n->worst;
    n->target = rk_calloc(count ? count : 1, sizeof *n->target);
    if (!n->target)
        return RK_ENOMEM;
    for (size_t i = 0; i < n->train.n; i++)
        if (n->train.y[i] == n->worst)
            n->target[n->n_target++] = i;
    if (n->n_target == 0)
        return RK_ENOTFOUND;
    tut_check(t, "pretrain_acc", "%.6f", acc);
    tut_check(t, "worst_class", "%d", n->worst);
    tut_check(t, "params", "%zu", n->base.n_params);
    return RK_OK;
}

rk_status lnn_pretrain_step(tut_runner *t, lesson_nn *n, double *acc, double *target_acc)
{
    lnn_configure(n);
    rk_status s = lnn_pretrain(t, n);
    if (s != RK_OK)
        return s;
    return lnn_evaluate(n, &n->base, NULL, NULL, acc, target_acc);
}

/* The observer of a tracked fine-tune: a record every LNN_TRACK_EVERY steps. */
typedef struct tracker {
    rk_lf_track *track;
    const rk_mlp *base;
    const rk_lf_eval *ev;
} tracker;

static rk_status observe(const rk_train_progress *p, void *ctx)
{
    const tracker *k = ctx;   /* a failing record stops the run with its status */
    return rk_lf_record(k->track, p->step, p->net, p->lora, k->base, k->ev);
}

rk_status lnn_finetune_tracked(lesson_nn *n, rk_mlp *net, rk_lora *lora, uint64_t seed,
                               rk_lf_track *track, const rk_lf_eval *ev, rk_train_result *res)
{
    rk_train_opts to = rk_train_opts_default();   /* a fresh Adam, lr 1e-3, for this phase */
    to.batch = LNN_BATCH;
    to.steps = LNN_FT_STEPS;
    to.seed = seed;
    tracker k = { track, &n->base, ev };
    rk_status s = RK_OK;
    if (track) {   /* step 0 first: the network before any update */
        to.report_every = LNN_TRACK_EVERY;
        to.callback = observe;
        to.callback_ctx = &k;
        s = rk_lf_record(track, 0, net, lora, &n->base, ev);
    }
    rk_train_data data = { n->train.x, n->train.y, n->train.n, n->train.dim, n->target, n->n_target };
    return s != RK_OK ? s : rk_train_run(net, lora, &data, &to, res, NULL);
}

rk_status lnn_finetune(lesson_nn *n, rk_mlp *net, rk_lora *lora, uint64_t seed,
                       rk_train_result *res)
{
    return lnn_finetune_tracked(n, net, lora, seed, NULL, NULL, res);
}

void lnn_free(lesson_nn *n)
{
    rk_dataset_free(&n->train);
    rk_dataset_free(&n->test);
    rk_mlp_free(&n->base);
    rk_eval_free(&n->pre);
    rk_free(n->target);
    n->target = NULL;
    n->n_target = 0;
}
