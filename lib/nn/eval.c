/* eval.c — a network's confusion counts on a labelled set and the figures derived from them. */
#include "nn/eval.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/metrics.h"

/* Count @p n rows into @p ev (zeroed, its network checked) and derive its figures. */
static rk_status eval_rows(rk_eval *ev, rk_mlp *net, rk_lora *lora, const float *x, const unsigned char *y,
                           size_t n, rk_err *err)
{
    size_t k = net->cfg.sizes[net->cfg.n_layers];
    ev->per_class = rk_calloc(k, sizeof *ev->per_class);
    ev->confusion = rk_calloc(k * k, sizeof *ev->confusion);
    if (!ev->per_class || !ev->confusion) {
        rk_eval_free(ev);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    rk_status st = rk_mlp_evaluate(net, lora, x, y, n, &ev->correct, ev->confusion);
    if (st != RK_OK) {
        rk_eval_free(ev);
        return rk_err_set(err, st, "evaluation: %s", rk_strerror(st));
    }
    ev->n_classes = k;
    ev->n = n;
    ev->accuracy = rk_metrics_accuracy(ev->confusion, k);
    rk_metrics_per_class(ev->confusion, k, ev->per_class);
    if (rk_metrics_worst_class(ev->confusion, k, &ev->worst) != RK_OK)
        ev->worst = k;
    return RK_OK;
}

rk_status rk_evaluate(rk_eval *ev, rk_mlp *net, rk_lora *lora, const rk_dataset *d, rk_err *err)
{
    if (!ev)
        return rk_err_set(err, RK_EINVAL, "no evaluation to fill");
    memset(ev, 0, sizeof *ev);
    if (!net || !net->params || !d || (d->n && (!d->x || !d->y)))
        return rk_err_set(err, RK_EINVAL, "no network or no data to evaluate");
    size_t L = net->cfg.n_layers, k = net->cfg.sizes[L];
    if (net->cfg.sizes[0] != d->dim || d->n_classes < 0 || k != (size_t)d->n_classes)
        return rk_err_set(err, RK_ESHAPE,
                          "the net maps %zu inputs to %zu classes, the data has %zu features and %d classes",
                          net->cfg.sizes[0], k, d->dim, d->n_classes);
    return eval_rows(ev, net, lora, d->x, d->y, d->n, err);
}

rk_status rk_evaluate_rows(rk_eval *ev, rk_mlp *net, rk_lora *lora, const float *x, const unsigned char *y,
                           size_t n, rk_err *err)
{
    if (!ev)
        return rk_err_set(err, RK_EINVAL, "no evaluation to fill");
    memset(ev, 0, sizeof *ev);
    if (!net || !net->params || (n && (!x || !y)))
        return rk_err_set(err, RK_EINVAL, "no network or no data to evaluate");
    return eval_rows(ev, net, lora, x, y, n, err);
}

void rk_eval_free(rk_eval *ev)
{
    if (!ev)
        return;
    rk_free(ev->per_class);
    rk_free(ev->confusion);
    memset(ev, 0, sizeof *ev);
}

double rk_eval_class_accuracy(const rk_eval *ev, long c)
{
    if (!ev || !ev->per_class || c < 0 || (size_t)c >= ev->n_classes)
        return NAN;
    return ev->per_class[c];
}

double rk_eval_others_accuracy(const rk_eval *ev, long c)
{
    if (!ev || !ev->confusion || c < 0 || (size_t)c >= ev->n_classes)
        return NAN;
    size_t k = ev->n_classes, ok = 0, all = 0;
    for (size_t t = 0; t < k; t++) {
        if (t == (size_t)c)
            continue;
        ok += ev->confusion[t * k + t];
        all += rk_metrics_class_wrong(ev->confusion, k, t) + ev->confusion[t * k + t];
    }
    return all ? (double)ok / (double)all : NAN;
}
