/* eval.c — a network's confusion counts on a labelled set and the figures derived from them. */
#include "nn/eval.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/metrics.h"

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
    ev->per_class = rk_calloc(k, sizeof *ev->per_class);
    ev->confusion = rk_calloc(k * k, sizeof *ev->confusion);
    if (!ev->per_class || !ev->confusion) {
        rk_eval_free(ev);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    rk_status st = rk_mlp_evaluate(net, lora, d->x, d->y, d->n, &ev->correct, ev->confusion);
    if (st != RK_OK) {
        rk_eval_free(ev);
        return rk_err_set(err, st, "evaluation: %s", rk_strerror(st));
    }
    ev->n_classes = k;
    ev->n = d->n;
    ev->accuracy = rk_metrics_accuracy(ev->confusion, k);
    rk_metrics_per_class(ev->confusion, k, ev->per_class);
    if (rk_metrics_worst_class(ev->confusion, k, &ev->worst) != RK_OK)
        ev->worst = k;
    return RK_OK;
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
