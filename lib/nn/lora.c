/* lora.c — LoRA adapters: flat adapter buffers, inits, merge/unmerge, enable, ΔW export. */
#include "nn/lora.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/lora_pissa.h"

rk_lora_config rk_lora_config_default(void)
{
    return (rk_lora_config){ .rank = 1, .alpha = 1.0, .rslora = false,
                             .init = RK_LORA_INIT_KAIMING, .layers = 0, .train_bias = false };
}

double rk_lora_scale(double alpha, size_t rank, bool rslora)
{
    if (rank == 0)
        return 0.0;
    return rslora ? alpha / sqrt((double)rank) : alpha / (double)rank;
}

/* Per adapted layer: A (R, In), B (Out, R), [bias (Out)]. */
static void lora_point(rk_lora_tensors *t, float *base, const rk_lora *lo)
{
    memset(t, 0, sizeof *t);
    float *p = base;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!(lo->cfg.layers >> l & 1u))
            continue;
        size_t in = lo->shape.sizes[l], out = lo->shape.sizes[l + 1], r = lo->cfg.rank;
        t->a[l] = p;  p += r * in;        // (R, In)
        t->b[l] = p;  p += out * r;       // (Out, R)
        if (lo->cfg.train_bias) {
            t->bias[l] = p;  p += out;    // (Out)
        }
    }
}

static rk_status lora_check_config(const rk_lora_config *cfg, const rk_mlp *net, unsigned *mask)
{
    size_t L = net->cfg.n_layers;
    unsigned all = (unsigned)((1u << L) - 1u);
    if (cfg->rank == 0 || !(cfg->alpha > 0.0) || !isfinite(cfg->alpha))
        return RK_EINVAL;
    if (cfg->init > RK_LORA_INIT_PISSA)
        return RK_EINVAL;
    if (cfg->layers & ~all)
        return RK_EINVAL;
    *mask = cfg->layers ? cfg->layers : all;
    for (size_t l = 0; l < L; l++) {
        if (!(*mask >> l & 1u))
            continue;
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        if (cfg->init == RK_LORA_INIT_PISSA && (cfg->rank > in || cfg->rank > out))
            return RK_ERANGE;
        if (cfg->rank > (size_t)2147483647)
            return RK_EOVERFLOW;
    }
    return RK_OK;
}

/* Trainable counts and scratch floats per row; overflow-checked. */
static rk_status lora_sizes(rk_lora *lo)
{
    size_t total = 0, r = lo->cfg.rank;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        lo->layer_params[l] = 0;
        if (!(lo->cfg.layers >> l & 1u))
            continue;
        size_t in = lo->shape.sizes[l], out = lo->shape.sizes[l + 1], io, n;
        if (!rk_size_add(in, out, &io) || !rk_size_mul(r, io, &n))
            return RK_EOVERFLOW;
        if (lo->cfg.train_bias && !rk_size_add(n, out, &n))
            return RK_EOVERFLOW;
        if (!rk_size_add(total, n, &total))
            return RK_EOVERFLOW;
        lo->layer_params[l] = n;
    }
    lo->n_params = total;
    return RK_OK;
}

/* A by the chosen random init; B = 0 (already, from calloc); bias = the base's. */
static void lora_init_random(rk_lora *lo, rk_rng *rng)
{
    size_t r = lo->cfg.rank;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!lo->p.a[l])
            continue;
        size_t in = lo->shape.sizes[l], n = r * in;
        float *a = lo->p.a[l];
        if (lo->cfg.init == RK_LORA_INIT_KAIMING) {
            // kaiming_uniform_(a=√5): gain = √(2/(1+5)), bound = gain·√(3/In) = 1/√In
            double bound = sqrt(2.0 / 6.0) * sqrt(3.0 / (double)in);
            for (size_t i = 0; i < n; i++)
                a[i] = (float)rk_rng_uniform_range(rng, -bound, bound);
        } else {
            double sd = lo->cfg.init == RK_LORA_INIT_GAUSSIAN ? 1.0 / (double)r : 1.0;
            for (size_t i = 0; i < n; i++)
                a[i] = (float)(sd * rk_rng_normal(rng));
        }
    }
}

static size_t mask_count(unsigned mask)
{
    size_t n = 0;
    for (; mask; mask &= mask - 1)
        n++;
    return n;
}

static void lora_copy_biases(rk_lora *lo, const rk_mlp *net)
{
    for (size_t l = 0; l < lo->shape.n_layers; l++)
        if (lo->p.bias[l])
            memcpy(lo->p.bias[l], net->p.b[l], lo->shape.sizes[l + 1] * sizeof(float));
}

size_t rk_lora_state_bytes(const rk_lora *lo)
{
    if (!lo || !lo->params)
        return 0;
    size_t scratch = 2 * mask_count(lo->cfg.layers) * lo->cfg.rank * lo->max_batch;
    return (2 * lo->n_params + scratch) * sizeof(float);
}

rk_status rk_lora_create(rk_lora *lo, rk_mlp *net, const rk_lora_config *cfg, rk_rng *rng)
{
    if (!lo)
        return RK_EINVAL;
    memset(lo, 0, sizeof *lo);
    if (!net || !net->params || !cfg || (!rng && cfg->init != RK_LORA_INIT_PISSA))
        return RK_EINVAL;
    unsigned mask;
    rk_status st = lora_check_config(cfg, net, &mask);
    if (st != RK_OK)
        return st;
    lo->cfg = *cfg;
    lo->cfg.layers = mask;
    lo->shape = net->cfg;
    lo->scale = (float)rk_lora_scale(cfg->alpha, cfg->rank, cfg->rslora);
    lo->enabled = true;
    lo->max_batch = net->max_batch;
    size_t n_scratch = 0;
    if ((st = lora_sizes(lo)) != RK_OK ||
        !rk_size_mul(2 * mask_count(mask) * cfg->rank, net->max_batch, &n_scratch)) {
        memset(lo, 0, sizeof *lo);
        return st != RK_OK ? st : RK_EOVERFLOW;
    }
    lo->params = rk_calloc(lo->n_params, sizeof(float));
    lo->grads = rk_calloc(lo->n_params, sizeof(float));
    lo->acts = rk_calloc(n_scratch, sizeof(float));
    if (!lo->params || !lo->grads || !lo->acts) {
        rk_lora_free(lo);
        return RK_ENOMEM;
    }
    lora_point(&lo->p, lo->params, lo);
    lora_point(&lo->g, lo->grads, lo);
    float *s = lo->acts;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!lo->p.a[l])
            continue;
        lo->u[l] = s;   s += net->max_batch * cfg->rank;    // (B, R)
        lo->du[l] = s;  s += net->max_batch * cfg->rank;    // (B, R)
    }
    if (cfg->init == RK_LORA_INIT_PISSA) {
        st = rk_lora_pissa_init(lo, net, rk_lora_scale(cfg->alpha, cfg->rank, cfg->rslora));
        if (st != RK_OK) {
            rk_lora_free(lo);
            return st;
        }
    } else {
        lora_init_random(lo, rng);
    }
    lora_copy_biases(lo, net);
    return RK_OK;
}

void rk_lora_free(rk_lora *lo)
{
    if (!lo)
        return;
    rk_free(lo->params);
    rk_free(lo->grads);
    rk_free(lo->acts);
    memset(lo, 0, sizeof *lo);
}

size_t rk_lora_layer_params(const rk_lora *lo, size_t l)
{
    return lo && l < lo->shape.n_layers ? lo->layer_params[l] : 0;
}

bool rk_lora_has_layer(const rk_lora *lo, size_t l)
{
    return lo && l < lo->shape.n_layers && lo->p.a[l] != NULL;
}

void rk_lora_zero_grad(rk_lora *lo)
{
    if (lo && lo->grads)
        memset(lo->grads, 0, lo->n_params * sizeof(float));
}

static bool lora_fits(const rk_lora *lo, const rk_mlp *net)
{
    if (lo->shape.n_layers != net->cfg.n_layers)
        return false;
    for (size_t l = 0; l <= net->cfg.n_layers; l++)
        if (lo->shape.sizes[l] != net->cfg.sizes[l])
            return false;
    return true;
}

/* W ← W + sign·s·B·A (one sgemm, beta = 1) and swap trained biases in or out. */
static void lora_apply(rk_lora *lo, rk_mlp *net, float sign)
{
    size_t r = lo->cfg.rank;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!lo->p.a[l])
            continue;
        size_t in = lo->shape.sizes[l], out = lo->shape.sizes[l + 1];
        // W (Out, In) += sign·s · B (Out, R) · A (R, In)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)out, (int)in, (int)r,
                    sign * lo->scale, lo->p.b[l], (int)r, lo->p.a[l], (int)in, 1.0f,
                    net->p.w[l], (int)in);
        if (lo->p.bias[l])
            for (size_t o = 0; o < out; o++) {
                float t = net->p.b[l][o];
                net->p.b[l][o] = lo->p.bias[l][o];
                lo->p.bias[l][o] = t;
            }
    }
}

rk_status rk_lora_merge(rk_lora *lo, rk_mlp *net)
{
    if (!lo || !net || !lo->params || !net->params)
        return RK_EINVAL;
    if (!lora_fits(lo, net))
        return RK_ESHAPE;
    if (lo->merged || !lo->enabled)
        return RK_ESTATE;
    lora_apply(lo, net, 1.0f);
    lo->merged = true;
    return RK_OK;
}

rk_status rk_lora_unmerge(rk_lora *lo, rk_mlp *net)
{
    if (!lo || !net || !lo->params || !net->params)
        return RK_EINVAL;
    if (!lora_fits(lo, net))
        return RK_ESHAPE;
    if (!lo->merged)
        return RK_ESTATE;
    lora_apply(lo, net, -1.0f);
    lo->merged = false;
    return RK_OK;
}

rk_status rk_lora_set_enabled(rk_lora *lo, bool enabled)
{
    if (!lo || !lo->params)
        return RK_EINVAL;
    if (lo->merged)
        return RK_ESTATE;
    lo->enabled = enabled;
    return RK_OK;
}

rk_status rk_lora_delta(rk_mat *out, const rk_lora *lo, size_t l)
{
    if (!out || !lo || !lo->params)
        return RK_EINVAL;
    if (l >= lo->shape.n_layers)
        return RK_ERANGE;
    if (!lo->p.a[l])
        return RK_ENOTFOUND;
    size_t in = lo->shape.sizes[l], o = lo->shape.sizes[l + 1], r = lo->cfg.rank;
    rk_status st = rk_mat_create(out, o, in);
    if (st != RK_OK)
        return st;
    // ΔW[i, j] = s · Σ_k B[i, k]·A[k, j], accumulated in double
    double s = rk_lora_scale(lo->cfg.alpha, r, lo->cfg.rslora);
    const float *a = lo->p.a[l], *b = lo->p.b[l];
    for (size_t i = 0; i < o; i++) {
        double *row = out->data + i * in;
        for (size_t k = 0; k < r; k++) {
            double bik = s * (double)b[i * r + k];
            const float *ak = a + k * in;
            for (size_t j = 0; j < in; j++)
                row[j] += bik * (double)ak[j];
        }
    }
    return RK_OK;
}
