/* optim.c — Adam and SGD with momentum, one loop over a flat buffer each. */
#include "nn/optim.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

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

/* GCC at -O2 vectorises only loops without an epilogue (its "very-cheap" cost model);
 * Adam's loop runs over millions of floats: let it use the full model (sqrtps, divps).
 * Each element's arithmetic is unchanged, so the result is bit-identical. */
#if defined(__GNUC__) && !defined(__clang__)
#define RK_VECTORISE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define RK_VECTORISE
#endif

RK_VECTORISE static void adam_step(rk_optim *opt, float *restrict p, const float *restrict g)
{
    long t = opt->step;
    // the scalar factors in double, as PyTorch computes them in Python floats
    double bc1 = 1.0 - pow(opt->cfg.beta1, (double)t);
    double bc2 = 1.0 - pow(opt->cfg.beta2, (double)t);
    float step_size = (float)(opt->cfg.lr / bc1);
    float inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    float b1 = (float)opt->cfg.beta1, b2 = (float)opt->cfg.beta2, eps = (float)opt->cfg.eps;
    float *restrict m = opt->m, *restrict v = opt->v;
    for (size_t i = 0; i < opt->n; i++) {
        m[i] = b1 * m[i] + (1.0f - b1) * g[i];            // m ← β1·m + (1−β1)·g
        v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];     // v ← β2·v + (1−β2)·g²
        float denom = sqrtf(v[i]) * inv_sqrt_bc2 + eps;   // √v / √(1−β2^t) + ε
        p[i] -= step_size * m[i] / denom;                 // p ← p − lr/(1−β1^t) · m/denom
    }
}

static void sgd_step(rk_optim *opt, float *restrict p, const float *restrict g)
{
    float lr = (float)opt->cfg.lr, mu = (float)opt->cfg.momentum;
    float *restrict buf = opt->m;
    if (mu == 0.0f) {
        for (size_t i = 0; i < opt->n; i++)
            p[i] -= lr * g[i];                            // p ← p − lr·g
        return;
    }
    for (size_t i = 0; i < opt->n; i++) {
        buf[i] = opt->step == 1 ? g[i] : mu * buf[i] + g[i];  // buf ← μ·buf + g (g at t = 1)
        p[i] -= lr * buf[i];                                   // p ← p − lr·buf
    }
}

rk_status rk_optim_step(rk_optim *opt, float *params, const float *grads)
{
    if (!opt || !params || !grads || !opt->m)
        return RK_EINVAL;
    opt->step++;
    if (opt->cfg.kind == RK_OPTIM_ADAM)
        adam_step(opt, params, grads);
    else
        sgd_step(opt, params, grads);
    return RK_OK;
}
