/* optim.c — Adam and SGD with momentum: one loop over a flat buffer, split over the threads. */
#include "nn/optim.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/parallel.h"
#include "nn/kernels.h"

rk_optim_config rk_optim_adam_default(void)
{
    return (rk_optim_config){ .kind = RK_OPTIM_ADAM, .lr = 1e-3, .beta1 = 0.9, .beta2 = 0.999,
                              .eps = 1e-8, .momentum = 0.0 };
}

rk_optim_config rk_optim_sgd_default(double lr, double momentum)
{
    return (rk_optim_config){ .kind = RK_OPTIM_SGD, .lr = lr, .momentum = momentum };
}

static bool in_unit(double x)
{
    return x >= 0.0 && x < 1.0;
}

size_t rk_optim_state_bytes(const rk_optim *opt)
{
    if (!opt || !opt->m)
        return 0;
    return opt->n * sizeof(float) * (opt->v ? 2 : 1);
}

rk_status rk_optim_create(rk_optim *opt, const rk_optim_config *cfg, size_t n)
{
    if (!opt)
        return RK_EINVAL;
    memset(opt, 0, sizeof *opt);
    if (!cfg || n == 0 || !(cfg->lr > 0.0) || !isfinite(cfg->lr))
        return RK_EINVAL;
    if (cfg->kind == RK_OPTIM_ADAM) {
        if (!in_unit(cfg->beta1) || !in_unit(cfg->beta2) || !(cfg->eps > 0.0))
            return RK_EINVAL;
    } else if (cfg->kind == RK_OPTIM_SGD) {
        if (!in_unit(cfg->momentum))
            return RK_EINVAL;
    } else {
        return RK_EINVAL;
    }
    size_t bytes;
    if (!rk_size_mul(n, sizeof(float), &bytes))
        return RK_EOVERFLOW;
    opt->m = rk_calloc(n, sizeof(float));
    if (cfg->kind == RK_OPTIM_ADAM)
        opt->v = rk_calloc(n, sizeof(float));
    if (!opt->m || (cfg->kind == RK_OPTIM_ADAM && !opt->v)) {
        rk_optim_free(opt);
        return RK_ENOMEM;
    }
    opt->cfg = *cfg;
    opt->n = n;
    return RK_OK;
}

void rk_optim_free(rk_optim *opt)
{
    if (!opt)
        return;
    rk_free(opt->m);
    rk_free(opt->v);
    memset(opt, 0, sizeof *opt);
}

rk_optim_rule rk_optim_rule_get(const rk_optim *opt)
{
    rk_optim_rule r = { .kind = opt->cfg.kind, .first = opt->step == 1 };
    if (opt->cfg.kind == RK_OPTIM_ADAM) {
        // the scalar factors in double, as PyTorch computes them in Python floats
        double t = (double)opt->step;
        double bc1 = 1.0 - pow(opt->cfg.beta1, t), bc2 = 1.0 - pow(opt->cfg.beta2, t);
        r.step_size = (float)(opt->cfg.lr / bc1);
        r.inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
        r.b1 = (float)opt->cfg.beta1;
        r.b2 = (float)opt->cfg.beta2;
        r.eps = (float)opt->cfg.eps;
    } else {
        r.step_size = (float)opt->cfg.lr;
        r.b1 = (float)opt->cfg.momentum;
    }
    return r;
}

RK_VECTORISE void rk_optim_rule_apply(const rk_optim_rule *r, float *restrict p,
                                      const float *restrict g, float *restrict m,
                                      float *restrict v, size_t n)
{
    if (r->kind == RK_OPTIM_ADAM) {
        float step_size = r->step_size, inv_sqrt_bc2 = r->inv_sqrt_bc2;
        float b1 = r->b1, b2 = r->b2, eps = r->eps;
        for (size_t i = 0; i < n; i++) {
            m[i] = b1 * m[i] + (1.0f - b1) * g[i];            // m ← β1·m + (1−β1)·g
            v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];     // v ← β2·v + (1−β2)·g²
            float denom = sqrtf(v[i]) * inv_sqrt_bc2 + eps;   // √v / √(1−β2^t) + ε
            p[i] -= step_size * m[i] / denom;                 // p ← p − lr/(1−β1^t) · m/denom
        }
        return;
    }
    float lr = r->step_size, mu = r->b1;
    if (mu == 0.0f) {
        for (size_t i = 0; i < n; i++)
            p[i] -= lr * g[i];                                // p ← p − lr·g
        return;
    }
    for (size_t i = 0; i < n; i++) {
        m[i] = r->first ? g[i] : mu * m[i] + g[i];            // buf ← μ·buf + g (g at t = 1)
        p[i] -= lr * m[i];                                    // p ← p − lr·buf
    }
}

/* One range update, for rk_parallel_for(): items are parameter indices. */
typedef struct range_job {
    rk_optim_rule rule;
    float *p, *m, *v;
    const float *g;
} range_job;

static void range_run(void *ctx, size_t begin, size_t end)
{
    range_job *j = ctx;
    rk_optim_rule_apply(&j->rule, j->p + begin, j->g + begin, j->m + begin,
                        j->v ? j->v + begin : NULL, end - begin);
}

rk_status rk_optim_check_range(const rk_optim *opt, size_t offset, size_t n)
{
    if (!opt->m)
        return RK_EINVAL;
    if (opt->step < 1)
        return RK_ESTATE;
    if (offset > opt->n || n > opt->n - offset)
        return RK_ERANGE;
    return RK_OK;
}

/* The update loop streams 4 floats per parameter (Adam) through memory: split it
 * over the threads in chunks of 16 Ki parameters (64 KiB per array). */
enum { UPDATE_GRAIN = 16384 };

rk_status rk_optim_begin_step(rk_optim *opt)
{
    if (!opt || !opt->m)
        return RK_EINVAL;
    opt->step++;
    return RK_OK;
}

rk_status rk_optim_update(rk_optim *opt, size_t offset, float *params, const float *grads,
                          size_t n)
{
    if (!opt || !params || !grads)
        return RK_EINVAL;
    rk_status st = rk_optim_check_range(opt, offset, n);
    if (st != RK_OK)
        return st;
    range_job j = { rk_optim_rule_get(opt), params, opt->m + offset,
                    opt->v ? opt->v + offset : NULL, grads };
    rk_parallel_for(n, UPDATE_GRAIN, range_run, &j);
    return RK_OK;
}

rk_status rk_optim_step(rk_optim *opt, float *params, const float *grads)
{
    if (!opt || !params || !grads || !opt->m)
        return RK_EINVAL;
    rk_optim_begin_step(opt);
    return rk_optim_update(opt, 0, params, grads, opt->n);
}
