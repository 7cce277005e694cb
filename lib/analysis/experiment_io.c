/*
 * experiment_io.c — the experiment's models on disk, so that a run can be
 * analysed again later (`ranklab compare`) or by other tools:
 *
 *   weights/base.safetensors         the pretrained network (PyTorch names)
 *   full/delta.safetensors           ΔW_full per layer, F64 (linear1.weight, …)
 *   adapters/lora_rR[_normal|_seed2]/  each LoRA run, PEFT layout
 *   adapters/extracted_rR/           B = U_R·S_R, A = V_Rᵀ of ΔW_full, PEFT layout
 *                                    (the analysis's factors, rk_exp_analysis.extracted)
 *
 * Every adapter's factors are float32 from training (or from the analysis)
 * and are written as they are.
 *
 * Reading takes the same files (or `ranklab finetune` outputs: a delta file
 * or a folder holding delta.safetensors, and PEFT adapter folders).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/experiment_output.h"
#include "core/alloc.h"
#include "io/file.h"
#include "io/peft.h"
#include "io/safetensors.h"
#include "linalg/lowrank.h"
#include "linalg/svd.h"
#include "nn/checkpoint.h"

void rk_exp_run_dirname(const rk_exp_lora_run *run, char *buf, size_t n)
{
    static const char *suffix[] = { "", "_normal", "_seed2", "_rslora" };
    snprintf(buf, n, "lora_r%zu%s", run->rank, suffix[run->role]);
}

/* Write the float factors of @p run (every layer of @p m) as a PEFT adapter whose
 * lora_alpha and use_rslora give the run's scale: α = s·r, or s·√r with rsLoRA. */
static rk_status write_adapter(const char *path, const rk_exp_models *m, const rk_exp_lora_run *run,
                               rk_err *err)
{
    if (run->n_layers != m->n_layers)
        return rk_err_set(err, RK_ESHAPE, "%s: the adapter has %zu layers, the model %zu", path,
                          run->n_layers, m->n_layers);
    rk_peft_lora mods[RK_MLP_MAX_LAYERS];
    for (size_t l = 0; l < m->n_layers; l++)
        mods[l] = (rk_peft_lora){ m->names[l], run->rank, run->in[l], run->out[l], run->a[l],
                                  run->b[l] };
    rk_peft_write_opts o;
    memset(&o, 0, sizeof o);
    o.use_rslora = run->rslora;
    o.lora_alpha = run->scale * (run->rslora ? sqrt((double)run->rank) : (double)run->rank);
    return rk_peft_write(path, &o, mods, m->n_layers, err);
}

rk_status rk_exp_save(const char *dir, const rk_mlp *net, const rk_exp_models *m,
                      const rk_exp_analysis *a, rk_err *err)
{
    if (!dir || !net || !m)
        return rk_err_set(err, RK_EINVAL, "bad arguments");
    char path[4096];
    snprintf(path, sizeof path, "%s/weights", dir);
    rk_status s = rk_mkdir_p(path, err);
    snprintf(path, sizeof path, "%s/weights/base.safetensors", dir);
    if (s == RK_OK)
        s = rk_checkpoint_save(net, path, err);
    snprintf(path, sizeof path, "%s/full", dir);
    if (s == RK_OK)
        s = rk_mkdir_p(path, err);
    snprintf(path, sizeof path, "%s/full/delta.safetensors", dir);
    if (s == RK_OK)
        s = rk_checkpoint_save_deltas(path, m->full, m->n_layers, err);
    for (size_t i = 0; s == RK_OK && i < m->n_runs; i++) {
        char name[64];
        rk_exp_run_dirname(&m->runs[i], name, sizeof name);
        snprintf(path, sizeof path, "%s/adapters/%s", dir, name);
        s = write_adapter(path, m, &m->runs[i], err);
    }
    for (size_t i = 0; s == RK_OK && a && i < a->n_extracted; i++) {
        snprintf(path, sizeof path, "%s/adapters/extracted_r%zu", dir, a->extracted_rank[i]);
        s = write_adapter(path, m, &a->extracted[i], err);
    }
    return s;
}

/* Layer index of module "linearN", or −1. */
static int layer_of(const rk_exp_models *m, const char *name)
{
    for (size_t l = 0; l < m->n_layers; l++)
        if (strcmp(m->names[l], name) == 0)
            return (int)l;
    return -1;
}

static rk_status load_full(rk_exp_models *m, const char *path, rk_err *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n < 12 || strcmp(path + n - 12, ".safetensors") != 0) {
        snprintf(buf, sizeof buf, "%s/delta.safetensors", path);
        path = buf;
    }
    rk_st_file f;
    rk_status s = rk_st_open(&f, path, err);
    if (s != RK_OK)
        return s;
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "%s.weight", m->names[l]);
        const rk_st_tensor *t = rk_st_find(&f, name);
        if (!t) {
            s = rk_err_set(err, RK_ENOTFOUND, "%s: no tensor %s", path, name);
            break;
        }
        s = rk_st_tensor_to_mat(&f, t, &m->full[l], err);
        if (s == RK_OK && (m->full[l].rows != m->w0[l].rows || m->full[l].cols != m->w0[l].cols))
            s = rk_err_set(err, RK_ESHAPE, "%s: %s is (%zu, %zu), the base layer (%zu, %zu)", path,
                           name, m->full[l].rows, m->full[l].cols, m->w0[l].rows, m->w0[l].cols);
    }
    rk_st_close(&f);
    return s;
}

static rk_status load_lora(rk_exp_models *m, const char *path, rk_err *err)
{
    if (m->n_runs >= RK_EXP_MAX_RUNS)
        return rk_err_set(err, RK_EINVAL, "at most %d adapters", RK_EXP_MAX_RUNS);
    rk_peft_adapter ad;
    rk_status s = rk_peft_read(&ad, path, err);
    if (s != RK_OK)
        return s;
    rk_exp_lora_run *run = &m->runs[m->n_runs];
    memset(run, 0, sizeof *run);
    size_t seen = 0;
    for (size_t i = 0; s == RK_OK && i < ad.n_modules; i++) {
        const rk_peft_module *mod = &ad.modules[i];
        int l = layer_of(m, mod->name);
        if (l < 0) {
            s = rk_err_set(err, RK_ENOTFOUND, "%s: module %s is not a layer of the base model",
                           path, mod->name);
            break;
        }
        if (mod->out != m->w0[l].rows || mod->in != m->w0[l].cols || mod->fan_in_fan_out ||
            (seen && (mod->r != run->rank || mod->scale != run->scale))) {
            s = rk_err_set(err, RK_ESHAPE, "%s: module %s does not fit (shape, rank or scale)", path,
                           mod->name);
            break;
        }
        run->rank = mod->r;
        run->scale = mod->scale;
        seen++;
    }
    if (s == RK_OK && seen != m->n_layers)
        s = rk_err_set(err, RK_ECONFIG, "%s: adapts %zu of the %zu layers", path, seen,
                       m->n_layers);
    size_t out[RK_MLP_MAX_LAYERS], in[RK_MLP_MAX_LAYERS];
    for (size_t l = 0; l < m->n_layers; l++) {
        out[l] = m->w0[l].rows;
        in[l] = m->w0[l].cols;
    }
    if (s == RK_OK)
        s = rk_exp_lora_run_alloc(run, m->n_layers, out, in);
    /* the reader gives double; the factors are held as the float32 they were written as */
    for (size_t i = 0; s == RK_OK && i < ad.n_modules; i++) {
        size_t l = (size_t)layer_of(m, ad.modules[i].name);
        s = rk_mat_to_f32(run->a[l], &ad.modules[i].a);
        if (s == RK_OK)
            s = rk_mat_to_f32(run->b[l], &ad.modules[i].b);
    }
    run->rslora = ad.config.use_rslora;
    rk_peft_free(&ad);
    if (s != RK_OK)
        return s;
    run->init = RK_LORA_INIT_KAIMING;
    run->role = run->rslora ? RK_EXP_ROLE_RSLORA : RK_EXP_ROLE_RANK;
    for (size_t i = 0; !run->rslora && i < m->n_runs; i++)
        if (m->runs[i].rank == run->rank && m->runs[i].role == RK_EXP_ROLE_RANK)
            run->role = RK_EXP_ROLE_SEED2;
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    snprintf(run->label, sizeof run->label, "r=%zu (%.30s)", run->rank, base);
    m->n_runs++;
    return RK_OK;
}

/* Every factor of @p run finite: a NaN or Inf is refused here, naming the
 * adapter, not later by the analysis (which would know only the layer). */
static rk_status check_run_finite(const rk_exp_models *m, const rk_exp_lora_run *run, const char *path,
                                  rk_err *err)
{
    for (size_t l = 0; l < run->n_layers; l++) {
        size_t na = run->rank * run->in[l], nb = run->out[l] * run->rank;
        bool ok = true;
        for (size_t i = 0; ok && i < na; i++)
            ok = isfinite(run->a[l][i]);
        for (size_t i = 0; ok && i < nb; i++)
            ok = isfinite(run->b[l][i]);
        if (!ok)
            return rk_err_set(err, RK_ENONFINITE, "%s: module %s holds NaN or Inf", path, m->names[l]);
    }
    return RK_OK;
}

/* Begin @p err's message with "PATH: " unless it does already, so the
 * caller can tell which of the inputs failed. */
static rk_status blame(rk_status s, const char *path, rk_err *err)
{
    size_t n = strlen(path);
    if (s == RK_OK || !err || (strncmp(err->msg, path, n) == 0 && err->msg[n] == ':'))
        return s;
    char msg[RK_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", rk_err_message(err, s));
    return rk_err_set(err, s, "%s: %s", path, msg);
}

rk_status rk_exp_load(rk_exp_models *m, rk_mlp *net, const char *base, const char *full,
                      const char *const *lora, size_t n_lora, rk_err *err)
{
    if (!m || !net || !base || !full || (!lora && n_lora))
        return rk_err_set(err, RK_EINVAL, "bad arguments");
    memset(m, 0, sizeof *m);
    m->target_class = -1;
    rk_status s = rk_checkpoint_open(net, base, 500, err);
    if (s != RK_OK)
        return blame(s, base, err);
    m->n_layers = net->cfg.n_layers;
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++) {
        snprintf(m->names[l], sizeof m->names[l], "linear%u", (unsigned)(l + 1) % 100u);
        s = rk_mat_from_f32(&m->w0[l], net->p.w[l], net->cfg.sizes[l + 1], net->cfg.sizes[l]);
    }
    if (s == RK_OK && (s = blame(load_full(m, full, err), full, err)) == RK_OK)
        for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
            if (!rk_mat_is_finite(&m->full[l]))
                s = rk_err_set(err, RK_ENONFINITE, "%s: %s.weight holds NaN or Inf", full, m->names[l]);
    for (size_t i = 0; s == RK_OK && i < n_lora; i++)
        if ((s = blame(load_lora(m, lora[i], err), lora[i], err)) == RK_OK)
            s = check_run_finite(m, &m->runs[m->n_runs - 1], lora[i], err);
    return s;
}
