/*
 * checkpoint.c — model files (safetensors, PyTorch state_dict names),
 * PEFT adapters and F64 delta files for lib/nn. See checkpoint.h.
 */
#include "nn/checkpoint.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "io/peft.h"
#include "io/safetensors.h"

/* "linear<l+1>.<what>" into buf. */
static void tensor_name(char *buf, size_t len, size_t l, const char *what)
{
    snprintf(buf, len, "linear%zu.%s", l + 1, what);
}

/* "(a, b)" or "(a)" of a tensor's shape, for messages. */
static void shape_str(char *buf, size_t len, const rk_st_tensor *t)
{
    size_t used = (size_t)snprintf(buf, len, "(");
    for (int i = 0; i < t->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%zu", i ? ", " : "", t->shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, ")");
}

/* A safetensors writer with PyTorch's metadata {"format": "pt"}; *w NULL when it could not be made. */
static rk_status pt_writer(rk_st_writer **w, rk_err *err)
{
    if (rk_st_writer_new(w)) {
        *w = NULL;
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    return rk_st_writer_add_meta(*w, "format", "pt");
}

/* After collecting @p what into @p w with status @p st: save to @p path when all went in, else say
 * what could not be collected; @p w is freed either way. */
static rk_status pt_finish(rk_st_writer *w, rk_status st, const char *what, const char *path, rk_err *err)
{
    if (st)
        st = rk_err_set(err, st, "cannot collect the %s: %s", what, rk_strerror(st));
    else
        st = rk_st_writer_save(w, path, err);
    rk_st_writer_free(w);
    return st;
}

rk_status rk_checkpoint_save(const rk_mlp *net, const char *path, rk_err *err)
{
    if (!net || !net->params || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_st_writer *w;
    rk_status st = pt_writer(&w, err);
    if (!w)
        return st;
    char name[48];
    for (size_t l = 0; !st && l < net->cfg.n_layers; l++) {
        size_t shape[2] = { net->cfg.sizes[l + 1], net->cfg.sizes[l] };   /* (Out, In) */
        tensor_name(name, sizeof name, l, "weight");
        st = rk_st_writer_add_f32(w, name, net->p.w[l], 2, shape);
        tensor_name(name, sizeof name, l, "bias");
        if (!st)
            st = rk_st_writer_add_f32(w, name, net->p.b[l], 1, shape);
    }
    return pt_finish(w, st, "tensors", path, err);
}

/* Layer sizes from the tensors of an open file (see rk_checkpoint_read_config). */
static rk_status config_from_file(const rk_st_file *f, rk_mlp_config *cfg, rk_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    char name[48], have[64];
    size_t l = 0;
    for (;; l++) {
        tensor_name(name, sizeof name, l, "weight");
        const rk_st_tensor *w = rk_st_find(f, name);
        if (!w) {
            if (l == 0)
                return rk_err_set(err, RK_ENOTFOUND, "no tensor linear1.weight: not a ranklab/PyTorch MLP state_dict");
            break;
        }
        if (l >= RK_MLP_MAX_LAYERS)
            return rk_err_set(err, RK_ERANGE, "more than %d layers (linear%zu.weight)", RK_MLP_MAX_LAYERS,
                              l + 1);
        shape_str(have, sizeof have, w);
        if (w->ndim != 2 || w->shape[0] == 0 || w->shape[1] == 0)
            return rk_err_set(err, RK_ESHAPE, "%s has shape %s, a weight must be (Out, In) with Out, In > 0",
                              name, have);
        if (l == 0)
            cfg->sizes[0] = w->shape[1];
        else if (w->shape[1] != cfg->sizes[l])
            return rk_err_set(err, RK_ESHAPE,
                              "%s has shape %s: its %zu inputs do not match linear%zu's %zu outputs", name,
                              have, w->shape[1], l, cfg->sizes[l]);
        cfg->sizes[l + 1] = w->shape[0];
        tensor_name(name, sizeof name, l, "bias");
        if (!rk_st_find(f, name))
            return rk_err_set(err, RK_ENOTFOUND, "%s is missing (linear%zu.weight is there)", name, l + 1);
    }
    cfg->n_layers = l;
    if (cfg->sizes[l] > 256)
        return rk_err_set(err, RK_ERANGE, "linear%zu has %zu outputs: at most 256 classes", l, cfg->sizes[l]);
    return RK_OK;
}

rk_status rk_checkpoint_read_config(const char *path, rk_mlp_config *cfg, rk_err *err)
{
    if (!path || !cfg)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_st_file f;
    rk_status st = rk_st_open(&f, path, err);
    if (st)
        return st;
    st = config_from_file(&f, cfg, err);
    rk_st_close(&f);
    return st;
}

/* Check one expected tensor: present, loadable, exactly (d0[, d1]). */
static rk_status check_tensor(const rk_st_file *f, const char *name, int ndim, size_t d0, size_t d1,
                              rk_err *err)
{
    char want[64], have[64];
    if (ndim == 2)
        snprintf(want, sizeof want, "(%zu, %zu)", d0, d1);
    else
        snprintf(want, sizeof want, "(%zu)", d0);
    const rk_st_tensor *t = rk_st_find(f, name);
    if (!t)
        return rk_err_set(err, RK_ENOTFOUND, "%s is missing (the net expects %s)", name, want);
    shape_str(have, sizeof have, t);
    if (t->ndim != ndim || t->shape[0] != d0 || (ndim == 2 && t->shape[1] != d1))
        return rk_err_set(err, RK_ESHAPE, "%s has shape %s, the net expects %s", name, have, want);
    if (!rk_st_dtype_loadable(t))
        return rk_err_set(err, RK_EDTYPE, "%s has dtype %s, which does not convert to float", name,
                          t->dtype_name);
    return RK_OK;
}

/* A tensor name the net does not know about: anything but linear<k>.{weight,bias}, k ≤ L. */
static bool is_expected(const char *name, size_t n_layers)
{
    char buf[48];
    for (size_t l = 0; l < n_layers; l++) {
        tensor_name(buf, sizeof buf, l, "weight");
        if (!strcmp(buf, name))
            return true;
        tensor_name(buf, sizeof buf, l, "bias");
        if (!strcmp(buf, name))
            return true;
    }
    return false;
}

/* Convert every tensor into tmp (n_params, the net's layout), checking values. */
static rk_status convert_all(const rk_st_file *f, const rk_mlp *net, float *tmp, rk_err *err)
{
    char name[48];
    for (size_t l = 0; l < net->cfg.n_layers; l++) {
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        float *dst[2] = { tmp + (net->p.w[l] - net->params), tmp + (net->p.b[l] - net->params) };
        size_t count[2] = { out * in, out };
        const char *what[2] = { "weight", "bias" };
        for (int k = 0; k < 2; k++) {
            tensor_name(name, sizeof name, l, what[k]);
            rk_status st = rk_st_tensor_to_f32(f, rk_st_find(f, name), dst[k], count[k], err);
            if (st)
                return st;
            for (size_t i = 0; i < count[k]; i++)
                if (!isfinite(dst[k][i]))
                    return rk_err_set(err, RK_ENONFINITE, "%s holds a non-finite value at element %zu",
                                      name, i);
        }
    }
    return RK_OK;
}

rk_status rk_checkpoint_load(rk_mlp *net, const char *path, rk_err *err)
{
    if (!net || !net->params || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_st_file f;
    rk_status st = rk_st_open(&f, path, err);
    if (st)
        return st;
    char name[48];
    for (size_t l = 0; !st && l < net->cfg.n_layers; l++) {
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        tensor_name(name, sizeof name, l, "weight");
        st = check_tensor(&f, name, 2, out, in, err);
        tensor_name(name, sizeof name, l, "bias");
        if (!st)
            st = check_tensor(&f, name, 1, out, 0, err);
    }
    for (size_t i = 0; !st && i < f.n_tensors; i++)
        if (!is_expected(f.tensors[i].name, net->cfg.n_layers))
            st = rk_err_set(err, RK_ECONFIG, "unexpected tensor %s (the net has linear1 … linear%zu)",
                            f.tensors[i].name, net->cfg.n_layers);
    float *tmp = NULL;
    if (!st && !(tmp = rk_alloc(net->n_params * sizeof *tmp)))
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (!st)
        st = convert_all(&f, net, tmp, err);
    if (!st)
        memcpy(net->params, tmp, net->n_params * sizeof *tmp);
    rk_free(tmp);
    rk_st_close(&f);
    return st;
}

rk_status rk_checkpoint_open(rk_mlp *net, const char *path, size_t max_batch, rk_err *err)
{
    if (!net)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    memset(net, 0, sizeof *net);
    rk_mlp_config cfg;
    rk_status st = rk_checkpoint_read_config(path, &cfg, err);
    if (st)
        return st;
    if ((st = rk_mlp_create(net, &cfg, max_batch)) != RK_OK)
        return rk_err_set(err, st, "cannot create the net: %s", rk_strerror(st));
    if ((st = rk_checkpoint_load(net, path, err)) != RK_OK)
        rk_mlp_free(net);
    return st;
}

rk_status rk_checkpoint_save_deltas(const char *path, const rk_mat *deltas, size_t n, rk_err *err)
{
    if (!path || !deltas || n == 0 || n > RK_MLP_MAX_LAYERS)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_st_writer *w;
    rk_status st = pt_writer(&w, err);
    if (!w)
        return st;
    char name[48];
    for (size_t l = 0; !st && l < n; l++) {
        const rk_mat *d = &deltas[l];
        if (d->rows == 0)
            continue;
        if (!d->data || d->stride != d->cols) {
            st = RK_EINVAL;
            break;
        }
        size_t shape[2] = { d->rows, d->cols };
        tensor_name(name, sizeof name, l, "weight");
        st = rk_st_writer_add_f64(w, name, d->data, 2, shape);
    }
    return pt_finish(w, st, "deltas", path, err);
}
