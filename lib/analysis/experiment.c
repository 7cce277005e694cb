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
 * Memory per method is COUNTED, not measured: rk_train_run reports the bytes
 * of training state it held — gradients, Adam's two moments, and for LoRA
 * the adapter itself and its forward/backward scratch (u, du), each counted
 * by the module that allocated it. Activations of the base network are the
 * same for every method and are left out. (getrusage's ru_maxrss is a
 * process-wide high-water mark: after pretraining it no longer moves, so its
 * deltas would read 0 for every fine-tune.)
 */
#include "analysis/experiment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

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
    c.rslora_rank = 64;
    c.pair_lo = 8;
    c.pair_hi = 64;
    c.seed = 0;
    c.ft_seed = 1;
    c.lora_seed = 2;
    c.lora_seed2 = 3;
    c.track_every = 10;
    c.track_n = 500;
    c.track_seed = 4;
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

/* What a fine-tune's observer records into (experiment_learn_forget.c); NULL for pretraining. */
typedef struct phase_track {
    rk_lf_track *track;
    const rk_exp_models *m;
    const rk_mlp *base;
} phase_track;

/* The training loop's callback, forwarded with the phase name; it takes the records too. */
typedef struct phase_ctx {
    const rk_exp_config *cfg;
    const char *phase;
    bool stopped;
    const phase_track *tr;
} phase_ctx;

static rk_status phase_cb(const rk_train_progress *tp, void *ctx)
{
    phase_ctx *p = ctx;
    if (p->cfg->progress && p->cfg->progress(p->phase, tp, p->cfg->progress_ctx)) {
        p->stopped = true;
        return RK_ESTATE;
    }
    const phase_track *t = p->tr;
    return t ? rk_exp_lf_observe(t->track, &t->m->lf, t->m->target_class, tp, t->base) : RK_OK;
}

/* Train @p net (with @p lora if not NULL) with a fresh Adam (rk_train_run), recording the cost. */
static rk_status train_phase(const rk_exp_config *cfg, const char *phase, rk_mlp *net,
                             rk_lora *lora, const rk_train_data *data,
                             const rk_train_opts *base_opts, double lr, rk_train_result *cost,
                             const phase_track *tr)
{
    phase_ctx pc = { cfg, phase, false, tr };
    rk_train_opts o = *base_opts;
    o.optim = rk_optim_adam_default();
    o.optim.lr = lr;
    o.report_every = tr && cfg->track_every ? cfg->track_every : 10;
    o.callback = phase_cb;
    o.callback_ctx = &pc;
    return rk_train_run(net, lora, data, &o, cost, NULL);
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
    rk_train_data data = { train->x, train->y, train->n, train->dim, order, n_order };
    phase_track tr = { &m->lf.full, m, net };
    if (s == RK_OK)
        s = rk_exp_lf_start(tr.track, &m->lf, m->target_class, opts->steps, &ft, NULL, net,
                            RK_EXP_LF_PHI_RANK);
    if (s == RK_OK)
        s = train_phase(cfg, "full", &ft, NULL, &data, opts, cfg->ft_lr, &m->full_cost, &tr);
    if (s == RK_OK)
        s = rk_lf_finish(tr.track);
    if (s == RK_OK)
        s = rk_evaluate(&m->full_eval, &ft, NULL, test, NULL);
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
        s = rk_mlp_weight_delta(&m->full[l], &ft, net, l);
    rk_mlp_free(&ft);
    return s;
}

static rk_status lora_finetune(const rk_exp_config *cfg, rk_mlp *net, const rk_dataset *train,
                               const rk_dataset *test, const size_t *order, size_t n_order,
                               const rk_train_opts *opts, rk_exp_models *m, size_t i, uint64_t seed)
{
    rk_exp_lora_run *run = &m->runs[i];
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = run->rank;
    lc.alpha = cfg->lora_alpha > 0 ? cfg->lora_alpha : (double)run->rank;
    lc.init = run->init;
    lc.rslora = run->rslora;
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_lora lo;
    rk_status s = rk_lora_create(&lo, net, &lc, &rng);
    if (s != RK_OK)
        return s;
    run->scale = lo.scale;
    char phase[64];
    snprintf(phase, sizeof phase, "lora %s", run->label);
    rk_train_data data = { train->x, train->y, train->n, train->dim, order, n_order };
    phase_track tr = { &m->lf.runs[i], m, net };
    s = rk_exp_lf_start(tr.track, &m->lf, m->target_class, opts->steps, net, &lo, net, 0);
    if (s == RK_OK)
        s = train_phase(cfg, phase, net, &lo, &data, opts, cfg->ft_lr, &run->cost, &tr);
    if (s == RK_OK)
        s = rk_evaluate(&run->eval, net, &lo, test, NULL);
    size_t L = net->cfg.n_layers;
    if (s == RK_OK)
        s = rk_exp_lora_run_alloc(run, L, net->cfg.sizes + 1, net->cfg.sizes);
    /* the factors stay float32, as trained */
    for (size_t l = 0; s == RK_OK && l < L; l++) {
        memcpy(run->a[l], lo.p.a[l], run->rank * run->in[l] * sizeof(float));
        memcpy(run->b[l], lo.p.b[l], run->out[l] * run->rank * sizeof(float));
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
    if (cfg->rslora_rank > 0) {
        rk_exp_lora_run *r = &m->runs[m->n_runs++];
        r->role = RK_EXP_ROLE_RSLORA;
        r->rank = cfg->rslora_rank;
        r->init = cfg->lora_init;
        r->rslora = true;
        snprintf(r->label, sizeof r->label, "r=%zu rsLoRA", r->rank);
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
    /* rk_train_run frees the gradient buffer it allocated: W0's network keeps none */
    rk_train_data data = { train->x, train->y, m->n_train, train->dim, NULL, 0 };
    s = train_phase(cfg, "pretrain", net, NULL, &data, &o, cfg->pretrain_lr, &m->pretrain_cost, NULL);
    if (s != RK_OK)
        return s;
    notify(cfg, "evaluate pretrained");
    return rk_evaluate(&m->pretrain_eval, net, NULL, test, NULL);
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

    rk_exp_clock t = rk_exp_clock_now();
    s = pretrain(cfg, train, test, m, net);
    rk_exp_timing_add(&m->timing, "pretrain", t);
    if (s != RK_OK)
        return rk_err_set(err, s, "pretraining: %s", rk_strerror(s));
    if (m->pretrain_eval.worst >= m->pretrain_eval.n_classes)
        return rk_err_set(err, RK_ENOTFOUND, "no test example of any class");
    m->target_class = (int)m->pretrain_eval.worst;
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
        s = rk_mat_from_f32(&m->w0[l], net->p.w[l], cfg->net.sizes[l + 1], cfg->net.sizes[l]);
    size_t *order = NULL, n_order = 0;
    if (s == RK_OK)
        s = class_order(train, m->target_class, &order, &n_order);
    if (s != RK_OK)
        return rk_err_set(err, s, "target class %d: %s", m->target_class, rk_strerror(s));
    m->n_target_train = n_order;
    if (s == RK_OK && (s = rk_exp_lf_subset(&m->lf, cfg, test)) != RK_OK) {
        rk_free(order);
        return rk_err_set(err, s, "evaluation subset: %s", rk_strerror(s));
    }

    /* The same batches in the same order for every fine-tune: one seed. */
    rk_train_opts o = rk_train_opts_default();
    o.batch = cfg->ft_batch;
    o.steps = cfg->ft_steps;
    o.seed = cfg->ft_seed;
    t = rk_exp_clock_now();
    s = full_finetune(cfg, net, train, test, order, n_order, &o, m);
    rk_exp_timing_add(&m->timing, "full fine-tune", t);
    if (s != RK_OK) {
        rk_free(order);
        return rk_err_set(err, s, "full fine-tune: %s", rk_strerror(s));
    }
    plan_runs(cfg, m);
    for (size_t i = 0; s == RK_OK && i < m->n_runs; i++) {
        rk_exp_lora_run *r = &m->runs[i];
        uint64_t seed = r->role == RK_EXP_ROLE_SEED2 ? cfg->lora_seed2 : cfg->lora_seed;
        char phase[64];
        snprintf(phase, sizeof phase, "LoRA %s", r->label);
        t = rk_exp_clock_now();
        s = lora_finetune(cfg, net, train, test, order, n_order, &o, m, i, seed);
        rk_exp_timing_add(&m->timing, phase, t);
        if (s != RK_OK)
            rk_err_set(err, s, "LoRA %s: %s", r->label, rk_strerror(s));
    }
    rk_free(order);
    return s;
}

size_t rk_exp_lora_run_params(const rk_exp_lora_run *run)
{
    if (run->cost.trainable_params)
        return run->cost.trainable_params;
    size_t p = 0;
    for (size_t l = 0; l < run->n_layers; l++)
        p += run->rank * (run->in[l] + run->out[l]);
    return p;
}

double rk_exp_target_accuracy(const rk_exp_models *m, const rk_eval *ev)
{
    return m ? rk_eval_class_accuracy(ev, m->target_class) : NAN;
}

void rk_exp_lora_run_free(rk_exp_lora_run *run)
{
    if (!run)
        return;
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++) {
        rk_free(run->a[l]);
        rk_free(run->b[l]);
    }
    rk_eval_free(&run->eval);
    memset(run, 0, sizeof *run);
}

rk_status rk_exp_lora_run_alloc(rk_exp_lora_run *run, size_t n_layers, const size_t *out,
                                const size_t *in)
{
    if (!run || !out || !in || n_layers > RK_MLP_MAX_LAYERS)
        return RK_EINVAL;
    run->n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        size_t na, nb;
        if (!rk_size_mul(run->rank, in[l], &na) || !rk_size_mul(out[l], run->rank, &nb))
            return RK_EOVERFLOW;
        run->out[l] = out[l];
        run->in[l] = in[l];
        run->a[l] = rk_calloc(na ? na : 1, sizeof(float));
        run->b[l] = rk_calloc(nb ? nb : 1, sizeof(float));
        if (!run->a[l] || !run->b[l])
            return RK_ENOMEM;   /* the caller frees the run */
    }
    return RK_OK;
}

rk_status rk_exp_lora_factors(rk_mat *a, rk_mat *b, const rk_exp_lora_run *run, size_t l)
{
    if (!a || !b || !run || l >= run->n_layers)
        return RK_EINVAL;
    rk_status s = rk_mat_from_f32(a, run->a[l], run->rank, run->in[l]);
    if (s == RK_OK && (s = rk_mat_from_f32(b, run->b[l], run->out[l], run->rank)) != RK_OK)
        rk_mat_free(a);
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
        rk_exp_lora_run_free(&m->runs[i]);
    rk_eval_free(&m->pretrain_eval);
    rk_eval_free(&m->full_eval);
    rk_exp_lf_free(&m->lf);
    memset(m, 0, sizeof *m);
    m->target_class = -1;
}

rk_status rk_exp_lora_dense(rk_mat *out, const rk_exp_lora_run *run, size_t l)
{
    rk_mat a = { 0 }, b = { 0 };
    rk_status s = rk_exp_lora_factors(&a, &b, run, l);
    if (s == RK_OK && out)
        s = rk_mat_create(out, b.rows, a.cols);
    else if (s == RK_OK)
        s = RK_EINVAL;
    if (s == RK_OK && (s = rk_mat_gemm(false, false, run->scale, &b, &a, 0.0, out)) != RK_OK)
        rk_mat_free(out);
    rk_mat_free(&a);
    rk_mat_free(&b);
    return s;
}
