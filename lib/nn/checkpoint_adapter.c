/*
 * checkpoint_adapter.c — LoRA adapters of an rk_mlp to and from PEFT's
 * folder layout (io/peft.h). See checkpoint.h.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/peft.h"
#include "nn/checkpoint.h"

/* Factors of one module, rank 2R for the PiSSA conversion:
 *   A' (2R, In) = [A; A0]      — A's rows, then A0's rows
 *   B' (Out, 2R) = [B, −B0]    — row o: B[o, :], then −B0[o, :]          */
static void stack_pissa(float *a2, float *b2, const float *a, const float *b, const float *a0,
                        const float *b0, size_t r, size_t in, size_t out)
{
    memcpy(a2, a, r * in * sizeof *a2);
    memcpy(a2 + r * in, a0, r * in * sizeof *a2);
    for (size_t o = 0; o < out; o++)
        for (size_t k = 0; k < r; k++) {
            b2[o * 2 * r + k] = b[o * r + k];
            b2[o * 2 * r + r + k] = -b0[o * r + k];
        }
}

rk_status rk_checkpoint_save_adapter(const rk_lora *lo, const rk_lora *init, const char *dir,
                                     const char *base_model, rk_err *err)
{
    if (!lo || !lo->params || !dir || lo->merged)
        return rk_err_set(err, RK_EINVAL, "invalid argument (no adapter, or merged)");
    if (lo->cfg.train_bias)
        return rk_err_set(err, RK_EINVAL, "the adapter trains biases: PEFT's LoRA layout cannot hold them");
    if (init && (init->cfg.rank != lo->cfg.rank || init->cfg.layers != lo->cfg.layers ||
                 memcmp(&init->shape, &lo->shape, sizeof lo->shape) != 0))
        return rk_err_set(err, RK_EINVAL, "the initial adapter has another shape");
    size_t r = lo->cfg.rank, n = 0;
    rk_peft_lora mods[RK_MLP_MAX_LAYERS];
    char names[RK_MLP_MAX_LAYERS][32];
    float *buf = NULL;
    if (init && !(buf = rk_alloc(2 * lo->n_params * sizeof *buf)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    float *next = buf;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!rk_lora_has_layer(lo, l))
            continue;
        size_t in = lo->shape.sizes[l], out = lo->shape.sizes[l + 1];
        snprintf(names[n], sizeof names[n], "linear%zu", l + 1);
        mods[n] = (rk_peft_lora){ names[n], r, in, out, lo->p.a[l], lo->p.b[l] };
        if (init) {
            float *a2 = next, *b2 = next + 2 * r * in;
            next = b2 + 2 * r * out;
            stack_pissa(a2, b2, lo->p.a[l], lo->p.b[l], init->p.a[l], init->p.b[l], r, in, out);
            mods[n] = (rk_peft_lora){ names[n], 2 * r, in, out, a2, b2 };
        }
        n++;
    }
    // s' = s for rank R' (R or 2R): α' = s·R' (or s·√R' with rsLoRA)
    size_t r_out = init ? 2 * r : r;
    double alpha = init ? (double)lo->scale * (lo->cfg.rslora ? sqrt((double)r_out) : (double)r_out)
                        : lo->cfg.alpha;
    rk_peft_write_opts opts = { alpha, lo->cfg.rslora, false, base_model, NULL };
    rk_status st = rk_peft_write(dir, &opts, mods, n, err);
    rk_free(buf);
    return st;
}

/* Layer index of a module called "linear<k>", 1 ≤ k ≤ n_layers; -1 otherwise. */
static long module_layer(const char *name, size_t n_layers)
{
    if (strncmp(name, "linear", 6) != 0 || name[6] < '1' || name[6] > '9')
        return -1;
    char *end;
    unsigned long k = strtoul(name + 6, &end, 10);
    if (*end || k < 1 || k > n_layers)
        return -1;
    return (long)k - 1;
}

/* Every factor must be finite as the float32 the net computes with: a NaN,
 * an Inf, or a value beyond FLT_MAX (Inf once converted) is refused, as a
 * model holding one is (rk_checkpoint_open). */
static rk_status check_finite(const rk_peft_module *m, rk_err *err)
{
    for (int k = 0; k < 2; k++) {
        const rk_mat *f = k ? &m->b : &m->a;
        for (size_t i = 0; i < f->rows; i++)
            for (size_t j = 0; j < f->cols; j++)
                if (!(fabs(RK_AT(f, i, j)) <= FLT_MAX))
                    return rk_err_set(err, RK_ENONFINITE,
                                      "module %s: lora_%c holds %s at (%zu, %zu)", m->name, k ? 'B' : 'A',
                                      isnan(RK_AT(f, i, j)) ? "NaN" : "a value beyond float32's range (Inf)",
                                      i, j);
    }
    return RK_OK;
}

/* Check the modules of @p ad against @p net; fill the rk_lora config. */
static rk_status check_modules(const rk_peft_adapter *ad, const rk_mlp *net, rk_lora_config *cfg,
                               rk_err *err)
{
    if (ad->n_full)
        return rk_err_set(err, RK_ECONFIG, "the adapter holds full tensors (%s): only LoRA factors are supported",
                          ad->full[0]->name);
    if (ad->config.fan_in_fan_out)
        return rk_err_set(err, RK_ECONFIG, "fan_in_fan_out is true: the MLP's weights are (Out, In)");
    *cfg = rk_lora_config_default();
    cfg->layers = 0;
    cfg->rslora = ad->config.use_rslora;
    for (size_t i = 0; i < ad->n_modules; i++) {
        const rk_peft_module *m = &ad->modules[i];
        long l = module_layer(m->name, net->cfg.n_layers);
        if (l < 0)
            return rk_err_set(err, RK_ENOTFOUND, "module %s is not a layer of the net (linear1 … linear%zu)",
                              m->name, net->cfg.n_layers);
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        if (m->in != in || m->out != out)
            return rk_err_set(err, RK_ESHAPE,
                              "module %s adapts a (%zu, %zu) weight, the net's linear%ld.weight is (%zu, %zu)",
                              m->name, m->out, m->in, l + 1, out, in);
        rk_status st = check_finite(m, err);
        if (st)
            return st;
        if (i == 0) {
            cfg->rank = m->r;
            cfg->alpha = m->alpha;
        } else if (m->r != cfg->rank || m->scale != ad->modules[0].scale) {
            return rk_err_set(err, RK_ECONFIG, "module %s has rank %zu and scale %g, %s has %zu and %g: "
                              "one rank and scale for all modules is supported", m->name, m->r, m->scale,
                              ad->modules[0].name, cfg->rank, ad->modules[0].scale);
        }
        cfg->layers |= 1u << l;
    }
    if (!(cfg->alpha > 0) || !isfinite(cfg->alpha))
        return rk_err_set(err, RK_ECONFIG, "lora_alpha %g: it must be positive", cfg->alpha);
    return RK_OK;
}

rk_status rk_checkpoint_load_adapter(rk_lora *lo, rk_mlp *net, const char *dir, rk_err *err)
{
    if (!lo || !net || !net->params || !dir)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    memset(lo, 0, sizeof *lo);
    rk_peft_adapter ad;
    rk_status st = rk_peft_read(&ad, dir, err);
    if (st)
        return st;
    rk_lora_config cfg;
    st = check_modules(&ad, net, &cfg, err);
    rk_rng rng;
    rk_rng_seed(&rng, 0);   /* A is overwritten below; KAIMING only needs some rng */
    cfg.init = RK_LORA_INIT_KAIMING;
    if (!st && (st = rk_lora_create(lo, net, &cfg, &rng)) != RK_OK)
        st = rk_err_set(err, st, "cannot create the adapter: %s", rk_strerror(st));
    for (size_t i = 0; !st && i < ad.n_modules; i++) {
        const rk_peft_module *m = &ad.modules[i];
        size_t l = (size_t)module_layer(m->name, net->cfg.n_layers);
        rk_mat_to_f32(lo->p.a[l], &m->a);   // A (r, In)
        rk_mat_to_f32(lo->p.b[l], &m->b);   // B (Out, r)
    }
    if (st)
        rk_lora_free(lo);
    rk_peft_free(&ad);
    return st;
}
