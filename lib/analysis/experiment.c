/*
 * experiment.c — steps 1–3 of the main experiment (experiment.h): pretrain,
 * pick the worst class, fine-tune fully and with LoRA on that class with the
 * same batches, evaluate everything on the test set.
 *
 * Pretraining defaults to batch 64 rather than the tutorial's 10: one epoch
 * at batch 10 is 6000 small sgemm-bound steps, several minutes on 2 cores
 * (PyTorch needs 217 s for it, ../shared/reference/README.md), while batch
 * 64 passes the same 60,000 images in 938 steps at far better sgemm
 * efficiency. The fine-tunes keep the tutorial's 100 steps of 10 images.
 *
 * Memory per method is COUNTED, not measured: the bytes of training state a
 * method allocates — gradients, Adam's two moments, and for LoRA the adapter
 * itself and its forward/backward scratch (u, du). Activations of the base
 * network are the same for every method and are left out. (getrusage's
 * ru_maxrss is a process-wide high-water mark: after pretraining it no
 * longer moves, so its deltas would read 0 for every fine-tune.)
 */
#include "analysis/experiment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/metrics.h"
#include "nn/optim.h"

/** Rows per forward pass when evaluating. */
#define EXP_EVAL_BATCH 500

rk_exp_config rk_exp_config_default(void)
{
    rk_exp_config c;
    memset(&c, 0, sizeof c);
    c.net = rk_mlp_config_default();
    c.pretrain_epochs = 1;
    c.pretrain_batch = 64;
    c.pretrain_lr = 1e-3;
    c.ft_steps = 100;
    c.ft_batch = 10;
    c.ft_lr = 1e-3;
    static const size_t ranks[] = { 1, 2, 4, 8, 16, 64 };
    c.n_ranks = sizeof ranks / sizeof ranks[0];
    memcpy(c.ranks, ranks, sizeof ranks);
    c.lora_alpha = 0;
    c.lora_init = RK_LORA_INIT_KAIMING;
    c.normal_rank = 8;
    c.seed2_rank = 8;
    c.pair_lo = 8;
    c.pair_hi = 64;
    c.seed = 0;
    c.ft_seed = 1;
    c.lora_seed = 2;
    c.lora_seed2 = 3;
    return c;
}

rk_status rk_exp_config_check(const rk_exp_config *cfg, rk_err *err)
{
    if (!cfg)
        return rk_err_set(err, RK_EINVAL, "no configuration");
    if (cfg->net.n_layers == 0 || cfg->net.n_layers > RK_MLP_MAX_LAYERS)
        return rk_err_set(err, RK_EINVAL, "the network needs 1 to %d layers", RK_MLP_MAX_LAYERS);
    if (cfg->net.sizes[cfg->net.n_layers] > RK_EXP_MAX_CLASSES)
        return rk_err_set(err, RK_EINVAL, "at most %d classes", RK_EXP_MAX_CLASSES);
    if (cfg->pretrain_epochs == 0 || cfg->pretrain_batch == 0 || cfg->ft_steps == 0 ||
        cfg->ft_batch == 0)
        return rk_err_set(err, RK_EINVAL, "epochs, steps and batch sizes must be positive");
    if (!(cfg->pretrain_lr > 0) || !(cfg->ft_lr > 0) || !(cfg->lora_alpha >= 0) ||
        !isfinite(cfg->lora_alpha))
        return rk_err_set(err, RK_EINVAL, "learning rates must be > 0 and alpha ≥ 0");
    if (cfg->n_ranks == 0 || cfg->n_ranks > RK_EXP_MAX_RANKS)
        return rk_err_set(err, RK_EINVAL, "1 to %d ranks", RK_EXP_MAX_RANKS);
    for (size_t i = 0; i < cfg->n_ranks; i++)
        if (cfg->ranks[i] == 0 || (i > 0 && cfg->ranks[i] <= cfg->ranks[i - 1]))
            return rk_err_set(err, RK_EINVAL, "ranks must be positive and increasing");
    return RK_OK;
}

rk_status rk_exp_evaluate(rk_exp_eval *ev, rk_mlp *net, rk_lora *lora, const rk_dataset *test,
                          int target)
{
    if (!ev || !net || !test)
        return RK_EINVAL;
    memset(ev, 0, sizeof *ev);
    int k = (int)net->cfg.sizes[net->cfg.n_layers];
    if (k > RK_EXP_MAX_CLASSES)
        return RK_EINVAL;
    size_t *conf = rk_calloc((size_t)k * (size_t)k, sizeof *conf);
    if (!conf)
        return RK_ENOMEM;
    size_t correct = 0;
    rk_status s = rk_mlp_evaluate(net, lora, test->x, test->y, test->n, &correct, conf);
    if (s == RK_OK) {
        ev->n_classes = k;
        ev->accuracy = rk_metrics_accuracy(conf, k);
        rk_metrics_per_class(conf, k, ev->per_class);
        ev->target_accuracy = target >= 0 && target < k ? ev->per_class[target] : NAN;
        ev->done = true;
    }
    rk_free(conf);
    return s;
}

/* The class with the lowest accuracy (smallest index on a tie), −1 if none. */
static int worst_class(const rk_exp_eval *ev)
{
    int worst = -1;
    for (int c = 0; c < ev->n_classes; c++)
        if (!isnan(ev->per_class[c]) && (worst < 0 || ev->per_class[c] < ev->per_class[worst]))
            worst = c;
    return worst;
}

/* The training loop's callback, forwarded with the phase name. */
typedef struct phase_ctx {
    const rk_exp_config *cfg;
    const char *phase;
    bool stopped;
} phase_ctx;

static int phase_cb(const rk_train_progress *tp, void *ctx)
{
    phase_ctx *p = ctx;
    if (p->cfg->progress && p->cfg->progress(p->phase, tp, p->cfg->progress_ctx)) {
        p->stopped = true;
        return 1;
    }
    return 0;
}

/* Train @p net (with @p lora if not NULL) with a fresh Adam, recording the cost. */
static rk_status train_phase(const rk_exp_config *cfg, const char *phase, rk_mlp *net,
                             rk_lora *lora, const rk_dataset *d, size_t n, const size_t *order,
                             size_t n_order, const rk_train_opts *base_opts, double lr,
                             rk_exp_cost *cost)
{
    rk_optim opt;
    rk_optim_config oc = rk_optim_adam_default();
    oc.lr = lr;
    size_t n_params = lora ? lora->n_params : net->n_params;
    rk_status s = rk_optim_create(&opt, &oc, n_params);
    if (s != RK_OK)
        return s;
    phase_ctx pc = { cfg, phase, false };
    rk_train_opts o = *base_opts;
    o.report_every = 10;
    o.callback = phase_cb;
    o.callback_ctx = &pc;
    rk_train_result res;
    memset(&res, 0, sizeof res);
    s = rk_train_run(net, lora, &opt, d->x, d->y, n, d->dim, order, n_order, &o, &res);
    rk_optim_free(&opt);
    if (s == RK_OK && pc.stopped)
        s = RK_ESTATE;
    cost->trainable_params = n_params;
    cost->seconds = res.seconds;
    cost->steps = res.steps;
    cost->loss_first = res.loss_first;
    cost->loss_last = res.loss_last;
    /* gradients + Adam m and v, 4 bytes each; LoRA also its own parameters and scratch */
    cost->train_bytes = 3 * n_params * sizeof(float);
    if (lora) {
        cost->train_bytes += n_params * sizeof(float);
        for (size_t l = 0; l < net->cfg.n_layers; l++)
            if (rk_lora_has_layer(lora, l))
                cost->train_bytes += 2 * lora->max_batch * lora->cfg.rank * sizeof(float);
    }
    return s;
}

static void notify(const rk_exp_config *cfg, const char *phase)
{
    if (cfg->progress)
        cfg->progress(phase, NULL, cfg->progress_ctx);
}

static rk_status full_finetune(const rk_exp_config *cfg, rk_mlp *net, const rk_dataset *train,
                               const rk_dataset *test, const size_t *order, size_t n_order,
                               const rk_train_opts *opts, rk_exp_models *m)
{
    rk_mlp ft;
    rk_status s = rk_mlp_create(&ft, &net->cfg, net->max_batch);
    if (s != RK_OK)
        return s;
    s = rk_mlp_copy_params(&ft, net);
    if (s == RK_OK)
        s = train_phase(cfg, "full", &ft, NULL, train, train->n, order, n_order, opts, cfg->ft_lr,
                        &m->full_cost);
    if (s == RK_OK)
        s = rk_exp_evaluate(&m->full_eval, &ft, NULL, test, m->target_class);
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
        s = rk_mlp_weight_delta(&m->full[l], &ft, net, l);
    rk_mlp_free(&ft);
    return s;
}

static rk_status lora_finetune(const rk_exp_config *cfg, rk_mlp *net, const rk_dataset *train,
                               const rk_dataset *test, const size_t *order, size_t n_order,
                               const rk_train_opts *opts, rk_exp_lora_run *run, uint64_t seed)
{
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = run->rank;
    lc.alpha = cfg->lora_alpha > 0 ? cfg->lora_alpha : (double)run->rank;
    lc.init = run->init;
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_lora lo;
    rk_status s = rk_lora_create(&lo, net, &lc, &rng);
    if (s != RK_OK)
        return s;
    run->scale = lo.scale;
    char phase[64];
    snprintf(phase, sizeof phase, "lora %s", run->label);
    s = train_phase(cfg, phase, net, &lo, train, train->n, order, n_order, opts, cfg->ft_lr,
                    &run->cost);
    if (s == RK_OK)
        s = rk_exp_evaluate(&run->eval, net, &lo, test, -1);
    for (size_t l = 0; s == RK_OK && l < net->cfg.n_layers; l++) {
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        s = rk_mat_from_f32(&run->a[l], lo.p.a[l], run->rank, in);
        if (s == RK_OK)
            s = rk_mat_from_f32(&run->b[l], lo.p.b[l], out, run->rank);
    }
    rk_lora_free(&lo);
    return s;
}

/* Set up the list of LoRA runs from the configuration. */
static void plan_runs(const rk_exp_config *cfg, rk_exp_models *m)
{
    for (size_t i = 0; i < cfg->n_ranks; i++) {
        rk_exp_lora_run *r = &m->runs[m->n_runs++];
        r->role = RK_EXP_ROLE_RANK;
        r->rank = cfg->ranks[i];
        r->init = cfg->lora_init;
        snprintf(r->label, sizeof r->label, "r=%zu", r->rank);
    }
    if (cfg->normal_rank > 0) {
        rk_exp_lora_run *r = &m->runs[m->n_runs++];
        r->role = RK_EXP_ROLE_NORMAL;
        r->rank = cfg->normal_rank;
        r->init = RK_LORA_INIT_NORMAL;
        snprintf(r->label, sizeof r->label, "r=%zu N(0,1) init", r->rank);
    }
    if (cfg->seed2_rank > 0) {
        rk_exp_lora_run *r = &m->runs[m->n_runs++];
        r->role = RK_EXP_ROLE_SEED2;
        r->rank = cfg->seed2_rank;
        r->init = cfg->lora_init;
        snprintf(r->label, sizeof r->label, "r=%zu seed 2", r->rank);
    }
}

static rk_status check_data(const rk_exp_config *cfg, const rk_dataset *train,
                            const rk_dataset *test, rk_err *err)
{
    if (!train || !test || !train->x || !test->x || train->n == 0 || test->n == 0)
        return rk_err_set(err, RK_EINVAL, "empty training or test set");
    if (train->dim != cfg->net.sizes[0] || test->dim != cfg->net.sizes[0])
        return rk_err_set(err, RK_EINVAL, "the data have %zu features, the network takes %zu",
                          train->dim, cfg->net.sizes[0]);
    if ((size_t)train->n_classes != cfg->net.sizes[cfg->net.n_layers])
        return rk_err_set(err, RK_EINVAL, "the data have %d classes, the network %zu outputs",
                          train->n_classes, cfg->net.sizes[cfg->net.n_layers]);
    return RK_OK;
}

/* Indices of the training examples of class @p c. */
static rk_status class_order(const rk_dataset *d, int c, size_t **order, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < d->n; i++)
        *n += d->y[i] == c;
    if (*n == 0)
        return RK_ENOTFOUND;
    *order = rk_alloc(*n * sizeof **order);
    if (!*order)
        return RK_ENOMEM;
    size_t j = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] == c)
            (*order)[j++] = i;
    return RK_OK;
}

static rk_status pretrain(const rk_exp_config *cfg, const rk_dataset *train,
                          const rk_dataset *test, rk_exp_models *m, rk_mlp *net)
{
    size_t max_batch = EXP_EVAL_BATCH;
    if (cfg->pretrain_batch > max_batch)
        max_batch = cfg->pretrain_batch;
    if (cfg->ft_batch > max_batch)
        max_batch = cfg->ft_batch;
    rk_status s = rk_mlp_create(net, &cfg->net, max_batch);
    if (s != RK_OK)
        return s;
    rk_rng rng;
    rk_rng_seed(&rng, cfg->seed);
    rk_mlp_init(net, &rng);
    rk_train_opts o = rk_train_opts_default();
    o.batch = cfg->pretrain_batch;
    o.epochs = cfg->pretrain_epochs;
    o.seed = cfg->seed;
    m->n_train = cfg->pretrain_limit && cfg->pretrain_limit < train->n ? cfg->pretrain_limit
                                                                        : train->n;
    s = train_phase(cfg, "pretrain", net, NULL, train, m->n_train, NULL, 0, &o, cfg->pretrain_lr,
                    &m->pretrain_cost);
    if (s != RK_OK)
        return s;
    notify(cfg, "evaluate pretrained");
    s = rk_exp_evaluate(&m->pretrain_eval, net, NULL, test, -1);
    if (s != RK_OK)
        return s;
    /* Pretraining allocated a gradient buffer; W0's network needs none. */
    rk_free(net->grads);
    net->grads = NULL;
    memset(&net->g, 0, sizeof net->g);
    return RK_OK;
}

rk_status rk_exp_run(const rk_exp_config *cfg, const rk_dataset *train, const rk_dataset *test,
                     rk_exp_models *m, rk_mlp *net, rk_err *err)
{
    if (!m || !net)
        return rk_err_set(err, RK_EINVAL, "no output");
    memset(m, 0, sizeof *m);
    memset(net, 0, sizeof *net);
    m->target_class = -1;
    rk_status s = rk_exp_config_check(cfg, err);
    if (s == RK_OK)
        s = check_data(cfg, train, test, err);
    if (s != RK_OK)
        return s;
    m->n_layers = cfg->net.n_layers;
    m->n_test = test->n;
    for (size_t l = 0; l < m->n_layers; l++)
        snprintf(m->names[l], sizeof m->names[l], "linear%u", (unsigned)(l + 1) % 100u);

    s = pretrain(cfg, train, test, m, net);
    if (s != RK_OK)
        return rk_err_set(err, s, "pretraining: %s", rk_strerror(s));
    m->target_class = worst_class(&m->pretrain_eval);
    m->pretrain_eval.target_accuracy = m->pretrain_eval.per_class[m->target_class];
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
        s = rk_mat_from_f32(&m->w0[l], net->p.w[l], cfg->net.sizes[l + 1], cfg->net.sizes[l]);
    size_t *order = NULL, n_order = 0;
    if (s == RK_OK)
        s = class_order(train, m->target_class, &order, &n_order);
    if (s != RK_OK)
        return rk_err_set(err, s, "target class %d: %s", m->target_class, rk_strerror(s));
    m->n_target_train = n_order;

    /* The same batches in the same order for every fine-tune: one seed. */
    rk_train_opts o = rk_train_opts_default();
    o.batch = cfg->ft_batch;
    o.steps = cfg->ft_steps;
    o.seed = cfg->ft_seed;
    s = full_finetune(cfg, net, train, test, order, n_order, &o, m);
    if (s != RK_OK) {
        rk_free(order);
        return rk_err_set(err, s, "full fine-tune: %s", rk_strerror(s));
    }
    plan_runs(cfg, m);
    for (size_t i = 0; s == RK_OK && i < m->n_runs; i++) {
        rk_exp_lora_run *r = &m->runs[i];
        uint64_t seed = r->role == RK_EXP_ROLE_SEED2 ? cfg->lora_seed2 : cfg->lora_seed;
        s = lora_finetune(cfg, net, train, test, order, n_order, &o, r, seed);
        r->eval.target_accuracy = r->eval.per_class[m->target_class];
        if (s != RK_OK)
            rk_err_set(err, s, "LoRA %s: %s", r->label, rk_strerror(s));
    }
    rk_free(order);
    return s;
}

void rk_exp_models_free(rk_exp_models *m)
{
    if (!m)
        return;
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++) {
        rk_mat_free(&m->w0[l]);
        rk_mat_free(&m->full[l]);
    }
    for (size_t i = 0; i < RK_EXP_MAX_RUNS; i++)
        for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++) {
            rk_mat_free(&m->runs[i].a[l]);
            rk_mat_free(&m->runs[i].b[l]);
        }
    memset(m, 0, sizeof *m);
    m->target_class = -1;
}

rk_status rk_exp_lora_dense(rk_mat *out, const rk_exp_lora_run *run, size_t l)
{
    if (!out || !run || l >= RK_MLP_MAX_LAYERS)
        return RK_EINVAL;
    rk_status s = rk_mat_create(out, run->b[l].rows, run->a[l].cols);
    if (s == RK_OK)
        s = rk_mat_gemm(false, false, run->scale, &run->b[l], &run->a[l], 0.0, out);
    if (s != RK_OK)
        rk_mat_free(out);
    return s;
}
