/* train.c — the training step (full or LoRA) and a seeded loop over array data. */
#include "nn/train.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "nn/kernels.h"
#include "nn/layers.h"

rk_train_opts rk_train_opts_default(void)
{
    return (rk_train_opts){ .optim = rk_optim_adam_default(), .batch = 10, .steps = 0,
                            .epochs = 1, .seed = 0, .shuffle = 1 };
}

size_t rk_train_total_steps(size_t n, const rk_train_opts *opts)
{
    if (!opts || n == 0 || opts->batch == 0)
        return 0;
    if (opts->steps)
        return opts->steps;
    size_t per = n / opts->batch + (n % opts->batch != 0), total;
    return rk_size_mul(per, opts->epochs, &total) ? total : 0;
}

bool rk_train_step_fuses(const rk_mlp *net, const rk_lora *lora, const rk_optim *opt,
                         size_t batch)
{
    return net && !lora && opt && opt->cfg.kind == RK_OPTIM_ADAM &&
           batch <= RK_LINEAR_SMALL_BATCH;
}

rk_status rk_train_step(rk_mlp *net, rk_lora *lora, rk_optim *opt, const float *x,
                        const unsigned char *y, size_t batch, float *loss)
{
    if (!net || !opt || !x || !y || batch == 0 || batch > net->max_batch)
        return RK_EINVAL;
    if (opt->n != (lora ? lora->n_params : net->n_params))
        return RK_ESHAPE;
    if (lora && (!lora->enabled || lora->merged))
        return RK_ESTATE;
    rk_status st;
    if (!lora && (st = rk_mlp_grads_alloc(net)) != RK_OK)
        return st;
    float l;
    if ((st = rk_mlp_forward(net, lora, x, batch)) != RK_OK ||
        (st = rk_mlp_loss(net, y, &l)) != RK_OK)
        return st;
    if (rk_train_step_fuses(net, lora, opt, batch)) {
        st = rk_mlp_backward_update(net, opt, y);
    } else {
        // full training: the backward overwrites the gradients (no zeroing pass over 2.8 M floats)
        if (lora)
            rk_lora_zero_grad(lora);
        st = lora ? rk_mlp_backward(net, lora, y, NULL) : rk_mlp_backward_set(net, y, NULL);
        if (st != RK_OK)
            return st;
        // only the trainable buffer moves: the adapters for LoRA, everything for full training
        if (lora)
            st = rk_optim_step(opt, lora->params, lora->grads);
        else
            st = rk_optim_step(opt, net->params, net->grads);
    }
    if (st == RK_OK && loss)
        *loss = l;
    return st;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static rk_status check_run(const rk_mlp *net, const rk_train_data *d, const rk_train_opts *o)
{
    if (!net || !d || !d->x || !d->y || !o || d->n == 0 || d->dim != net->cfg.sizes[0])
        return RK_EINVAL;
    if (o->batch == 0 || o->batch > net->max_batch || (o->steps == 0 && o->epochs == 0))
        return RK_EINVAL;
    if (d->order) {
        if (d->n_order == 0)
            return RK_EINVAL;
        for (size_t i = 0; i < d->n_order; i++)
            if (d->order[i] >= d->n)
                return RK_EINVAL;
    }
    return RK_OK;
}

/* Copy the rows idx[0..b) of x, y into the contiguous batch xb (b, dim), yb (b). */
static void gather(float *xb, unsigned char *yb, const float *x, const unsigned char *y,
                   const size_t *idx, size_t b, size_t dim)
{
    for (size_t i = 0; i < b; i++) {
        memcpy(xb + i * dim, x + idx[i] * dim, dim * sizeof(float));
        yb[i] = y[idx[i]];
    }
}

/* The stream of row indices: passes over idx[0..m), reshuffled at every new pass. */
typedef struct cursor {
    size_t *idx;      // (m) the current pass's order
    size_t m, pos;    // rows in a pass, next position
    size_t epoch;     // passes started (1-based)
    int shuffle;      // reshuffle at every pass
    rk_rng rng;       // seeded shuffling stream
} cursor;

static void cursor_new_pass(cursor *c)
{
    c->pos = 0;
    c->epoch++;
    if (c->shuffle)
        rk_rng_shuffle(&c->rng, c->idx, c->m);
}

/*
 * Fill bidx with the next batch and return its size. wrap: full batches that
 * may straddle two passes (steps mode); otherwise a pass ends a batch, so the
 * last batch of a pass may be short (epochs mode).
 */
static size_t cursor_next(cursor *c, size_t *bidx, size_t batch, bool wrap)
{
    size_t b = 0;
    if (!wrap && c->pos == c->m)
        cursor_new_pass(c);
    while (b < batch) {
        if (c->pos == c->m) {
            if (!wrap)
                break;
            cursor_new_pass(c);
        }
        bidx[b++] = c->idx[c->pos++];
    }
    return b;
}

/* The first non-finite value of the trainable buffer, or n when all are finite. */
static size_t first_nonfinite(const float *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(p[i]))
            return i;
    return n;
}

/* RK_EDIVERGED with the step: the loss of step s (0-based) is not finite. */
static rk_status diverged_loss(rk_err *err, float loss, size_t s, size_t total, size_t epoch)
{
    return rk_err_set(err, RK_EDIVERGED,
                      "training diverged: the loss became %s at step %zu of %zu (epoch %zu); "
                      "a smaller learning rate (or alpha) may help",
                      isnan(loss) ? "NaN" : "Inf", s + 1, total, epoch);
}

/* After the last step: the weights it updated must be finite too (an update
 * can overflow after the last loss was computed). */
static rk_status check_params(const rk_mlp *net, const rk_lora *lora, size_t steps, rk_err *err)
{
    const float *p = lora ? lora->params : net->params;
    size_t n = lora ? lora->n_params : net->n_params;
    size_t bad = first_nonfinite(p, n);
    if (bad == n)
        return RK_OK;
    return rk_err_set(err, RK_EDIVERGED,
                      "training diverged: the %s became NaN or Inf by step %zu (parameter %zu of %zu); "
                      "a smaller learning rate (or alpha) may help",
                      lora ? "adapter's weights" : "weights", steps, bad, n);
}

/* The loop's buffers: the index stream and one staging batch. */
typedef struct loop_bufs {
    cursor cur;
    size_t *bidx;            // (B) rows of this batch
    float *xb;               // (B, dim) staging
    unsigned char *yb;       // (B)
} loop_bufs;

static void loop_bufs_free(loop_bufs *b)
{
    rk_free(b->cur.idx);
    rk_free(b->bidx);
    rk_free(b->xb);
    rk_free(b->yb);
}

static rk_status loop_bufs_alloc(loop_bufs *b, const rk_train_data *d, const rk_train_opts *o)
{
    size_t m = d->order ? d->n_order : d->n, B = o->batch;
    *b = (loop_bufs){ .cur = { .idx = rk_calloc(m, sizeof(size_t)), .m = m, .shuffle = o->shuffle },
                      .bidx = rk_calloc(B, sizeof(size_t)),
                      .xb = rk_calloc(B * d->dim, sizeof(float)),
                      .yb = rk_calloc(B, 1) };
    if (!b->cur.idx || !b->bidx || !b->xb || !b->yb) {
        loop_bufs_free(b);
        return RK_ENOMEM;
    }
    for (size_t i = 0; i < m; i++)
        b->cur.idx[i] = d->order ? d->order[i] : i;
    rk_rng_seed(&b->cur.rng, o->seed);
    cursor_new_pass(&b->cur);
    return RK_OK;
}

/* The steps of a run with optimizer @p opt; *r is kept up to date as it goes. */
static rk_status train_loop(rk_mlp *net, rk_lora *lora, rk_optim *opt, const rk_train_data *d,
                            const rk_train_opts *opts, size_t total, rk_train_result *r,
                            rk_err *err)
{
    loop_bufs lb;
    rk_status st = loop_bufs_alloc(&lb, d, opts);
    if (st != RK_OK)
        return rk_err_set(err, st, "training buffers: %s", rk_strerror(st));
    double t0 = now_seconds(), loss_sum = 0.0;
    size_t samples = 0, since = 0;
    for (size_t s = 0; s < total; s++) {
        size_t b = cursor_next(&lb.cur, lb.bidx, opts->batch, opts->steps > 0);
        gather(lb.xb, lb.yb, d->x, d->y, lb.bidx, b, d->dim);
        float loss;
        if ((st = rk_train_step(net, lora, opt, lb.xb, lb.yb, b, &loss)) != RK_OK) {
            rk_err_set(err, st, "step %zu: %s", s + 1, rk_strerror(st));
            break;
        }
        if (!isfinite(loss)) {
            st = diverged_loss(err, loss, s, total, lb.cur.epoch);
            break;
        }
        if (opts->losses)
            opts->losses[s] = loss;
        r->loss_first = s == 0 ? loss : r->loss_first;
        r->loss_last = loss;
        r->steps = s + 1;
        r->seconds = now_seconds() - t0;
        samples += b;
        loss_sum += loss;
        since++;
        if (opts->callback && opts->report_every &&
            ((s + 1) % opts->report_every == 0 || s + 1 == total)) {
            double el = r->seconds;
            rk_train_progress p = { s + 1, total, lb.cur.epoch, loss, loss_sum / (double)since,
                                    el > 0 ? (double)samples / el : 0.0, el, net, lora };
            loss_sum = 0.0;
            since = 0;
            if ((st = opts->callback(&p, opts->callback_ctx)) != RK_OK) {
                rk_err_set(err, st, "stopped after step %zu by the progress callback", s + 1);
                break;
            }
        }
    }
    r->seconds = now_seconds() - t0;
    loop_bufs_free(&lb);
    return st;
}

rk_status rk_train_run(rk_mlp *net, rk_lora *lora, const rk_train_data *data,
                       const rk_train_opts *opts, rk_train_result *res, rk_err *err)
{
    rk_train_result r = { 0 };
    if (res)
        *res = r;
    rk_status st = check_run(net, data, opts);
    if (st != RK_OK)
        return rk_err_set(err, st, "training: bad arguments or options");
    size_t total = rk_train_total_steps(data->order ? data->n_order : data->n, opts);
    if (total == 0)
        return rk_err_set(err, RK_EOVERFLOW, "training: too many steps");
    rk_optim opt;
    bool had_grads = net->grads != NULL;
    st = rk_optim_create(&opt, &opts->optim, lora ? lora->n_params : net->n_params);
    if (st == RK_OK && !lora)
        st = rk_mlp_grads_alloc(net);
    if (st != RK_OK) {
        rk_optim_free(&opt);
        return rk_err_set(err, st, "training state: %s", rk_strerror(st));
    }
    r.trainable_params = opt.n;
    r.state_bytes = rk_optim_state_bytes(&opt) +
                    (lora ? rk_lora_state_bytes(lora) : rk_mlp_grads_bytes(net));
    st = train_loop(net, lora, &opt, data, opts, total, &r, err);
    if (st == RK_OK)
        st = check_params(net, lora, r.steps, err);
    rk_optim_free(&opt);
    if (!lora && !had_grads)
        rk_mlp_grads_free(net);
    if (res)
        *res = r;
    return st;
}
