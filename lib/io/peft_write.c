/* peft_write.c — write a LoRA adapter folder in PEFT's layout (config + F32 safetensors). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"
#include "io/json_text.h"
#include "io/peft.h"

static json_t *number(double v)
{
    /* PEFT declares lora_alpha an int: write integral values as integers */
    if (v == floor(v) && fabs(v) < 9e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

/* The short name PEFT's target_modules uses: the last component of the module path. */
static const char *short_name(const char *module)
{
    const char *dot = strrchr(module, '.');
    return dot && dot[1] ? dot + 1 : module;
}

/* Whether module i's short name was seen among mods[0..i). */
static bool seen_before(const rk_peft_lora *mods, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (!strcmp(short_name(mods[j].module), short_name(mods[i].module)))
            return true;
    return false;
}

/* The options and extras of one write. */
typedef struct wctx {
    const rk_peft_write_opts *o;
    const rk_peft_write_extra *x;   /* never NULL: an empty one stands in */
} wctx;

/* The alpha module i is written with. */
static double alpha_of(const wctx *c, size_t i)
{
    return c->x->alphas ? c->x->alphas[i] : c->o->lora_alpha;
}

/* The most common rank (want_alpha false) or alpha of the modules; ties go to the smallest. */
static double most_common(const wctx *c, const rk_peft_lora *mods, size_t n, bool want_alpha)
{
    double best = 0;
    size_t best_count = 0;
    for (size_t i = 0; i < n; i++) {
        double v = want_alpha ? alpha_of(c, i) : (double)mods[i].r;
        size_t count = 0;
        for (size_t j = 0; j < n; j++)
            count += (want_alpha ? alpha_of(c, j) : (double)mods[j].r) == v;
        if (count > best_count || (count == best_count && v < best)) {
            best = v;
            best_count = count;
        }
    }
    return best;
}

/* target_modules (the short names, q_proj, …: PEFT matches a name when the module path ends
 * with it, each once, in first-seen order), rank_pattern and alpha_pattern (the full names of
 * the modules that differ from r and lora_alpha). */
static bool module_keys(json_t *root, const wctx *c, const rk_peft_lora *mods, size_t n, size_t r,
                        double alpha)
{
    json_t *targets = json_array(), *ranks = json_object(), *alphas = json_object();
    bool ok = targets && ranks && alphas;
    for (size_t i = 0; ok && i < n; i++) {
        if (!seen_before(mods, i))
            ok = !json_array_append_new(targets, json_string(short_name(mods[i].module)));
        if (ok && mods[i].r != r)
            ok = !json_object_set_new(ranks, mods[i].module, json_integer((json_int_t)mods[i].r));
        if (ok && alpha_of(c, i) != alpha)
            ok = !json_object_set_new(alphas, mods[i].module, number(alpha_of(c, i)));
    }
    ok = ok && !json_object_set(root, "target_modules", targets) &&
         !json_object_set(root, "rank_pattern", ranks) && !json_object_set(root, "alpha_pattern", alphas);
    json_decref(targets);
    json_decref(ranks);
    json_decref(alphas);
    return ok;
}

static json_t *modules_to_save_json(const rk_peft_write_extra *x)
{
    if (!x->n_modules_to_save)
        return json_null();
    json_t *list = json_array();
    for (size_t i = 0; list && i < x->n_modules_to_save; i++)
        if (json_array_append_new(list, json_string(x->modules_to_save[i]))) {
            json_decref(list);
            return NULL;
        }
    return list;
}

/* adapter_config.json: the keys PEFT ≥ 0.7 reads for a LoRA adapter. */
static json_t *config_json(const wctx *c, const rk_peft_lora *mods, size_t n)
{
    const rk_peft_write_opts *o = c->o;
    size_t r = (size_t)most_common(c, mods, n, false);
    double alpha = most_common(c, mods, n, true);
    json_t *root = json_object();
    bool ok = root && module_keys(root, c, mods, n, r, alpha);
    ok = ok && !json_object_set_new(root, "base_model_name_or_path",
                                    o->base_model ? json_string(o->base_model) : json_null()) &&
         !json_object_set_new(root, "bias", json_string("none")) &&
         !json_object_set_new(root, "fan_in_fan_out", json_boolean(o->fan_in_fan_out)) &&
         !json_object_set_new(root, "inference_mode", json_true()) &&
         !json_object_set_new(root, "init_lora_weights", json_true()) &&
         !json_object_set_new(root, "lora_alpha", number(alpha)) &&
         !json_object_set_new(root, "lora_dropout", json_real(0.0)) &&
         !json_object_set_new(root, "modules_to_save", modules_to_save_json(c->x)) &&
         !json_object_set_new(root, "peft_type", json_string("LORA")) &&
         !json_object_set_new(root, "r", json_integer((json_int_t)r)) &&
         !json_object_set_new(root, "revision", json_null()) &&
         !json_object_set_new(root, "task_type", o->task_type ? json_string(o->task_type) : json_null()) &&
         !json_object_set_new(root, "use_rslora", json_boolean(o->use_rslora));
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Module @p m, to go after mods[0..i): a name, r > 0, its factors, a name not seen before. */
static rk_status check_module(const rk_peft_lora *mods, size_t i, const rk_peft_lora *m, rk_err *err)
{
    if (!m->module || !m->module[0] || !m->r || (!m->a && m->in) || (!m->b && m->out))
        return rk_err_set(err, RK_EINVAL, "module %zu: empty name, r = 0 or missing factors", i);
    for (size_t j = 0; j < i; j++)
        if (!strcmp(mods[j].module, m->module))
            return rk_err_set(err, RK_EINVAL, "module '%s' given twice", m->module);
    return RK_OK;
}

static rk_status check_args(const wctx *c, const rk_peft_lora *mods, size_t n, rk_err *err)
{
    const rk_peft_write_opts *o = c->o;
    const rk_peft_write_extra *x = c->x;
    if (!o || !mods || !n || !isfinite(o->lora_alpha))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    for (size_t i = 0; i < n; i++) {
        const rk_peft_lora *m = &mods[i];
        rk_status st = check_module(mods, i, m, err);
        if (st)
            return st;
        if (x->alphas && !isfinite(x->alphas[i]))
            return rk_err_set(err, RK_EINVAL, "module '%s': alpha is not finite", m->module);
    }
    if ((x->n_full && !x->full) || (x->n_modules_to_save && !x->modules_to_save))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    for (size_t i = 0; i < x->n_full; i++)
        if (!x->full[i].key || x->full[i].ndim < 0 || (x->full[i].ndim && !x->full[i].shape))
            return rk_err_set(err, RK_EINVAL, "full tensor %zu: no key or shape", i);
    return RK_OK;
}

/* A module's base_model.model.MODULE.lora_A.weight (r×In) and lora_B.weight (Out×r). */
static rk_status add_factors(rk_st_writer *w, const rk_peft_lora *m)
{
    size_t len = strlen("base_model.model.") + strlen(m->module) + strlen(".lora_A.weight") + 1;
    char *key = rk_alloc(len);
    if (!key)
        return RK_ENOMEM;
    size_t shape_a[2] = { m->r, m->in }, shape_b[2] = { m->out, m->r };
    snprintf(key, len, "base_model.model.%s.lora_A.weight", m->module);
    rk_status st = rk_st_writer_add_f32(w, key, m->a, 2, shape_a);
    snprintf(key, len, "base_model.model.%s.lora_B.weight", m->module);
    if (!st)
        st = rk_st_writer_add_f32(w, key, m->b, 2, shape_b);
    rk_free(key);
    return st;
}

/* Every tensor of the adapter into @p w: the factors of mods, then the full tensors of x. */
static rk_status fill_writer(rk_st_writer *w, const rk_peft_write_extra *x, const rk_peft_lora *mods,
                             size_t n, rk_err *err)
{
    rk_status st = rk_st_writer_add_meta(w, "format", "pt");
    for (size_t i = 0; !st && i < n; i++)
        st = add_factors(w, &mods[i]);
    for (size_t i = 0; !st && i < x->n_full; i++)
        st = rk_st_writer_add_f32(w, x->full[i].key, x->full[i].data, x->full[i].ndim, x->full[i].shape);
    return st ? rk_err_set(err, st, "cannot add module tensors: %s", rk_strerror(st)) : RK_OK;
}

/* DIR/adapter_model.safetensors from @p w (every tensor in it), then
 * DIR/adapter_config.json for mods (their names and ranks), each atomically. */
static rk_status save_folder(const char *dir, const wctx *c, const rk_peft_lora *mods, size_t n,
                             rk_st_writer *w, rk_err *err)
{
    rk_status st = RK_OK;
    char *st_path = rk_path_join(dir, "adapter_model.safetensors"), *cfg_path = rk_path_join(dir, "adapter_config.json");
    json_t *cfg = config_json(c, mods, n);
    char *text = cfg ? json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(cfg);
    if (!st_path || !cfg_path || !text)
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (!st)
        st = rk_st_writer_save(w, st_path, err);
    if (!st)
        st = rk_file_write_all(cfg_path, text, strlen(text), err);
    rk_json_text_free(text);
    rk_free(st_path);
    rk_free(cfg_path);
    return st;
}

rk_status rk_peft_write(const char *dir, const rk_peft_write_opts *opts, const rk_peft_lora *mods,
                        size_t n, rk_err *err)
{
    return rk_peft_write_with(dir, opts, mods, n, NULL, err);
}

rk_status rk_peft_write_with(const char *dir, const rk_peft_write_opts *opts, const rk_peft_lora *mods,
                             size_t n, const rk_peft_write_extra *extra, rk_err *err)
{
    static const rk_peft_write_extra none = { 0 };
    wctx c = { opts, extra ? extra : &none };
    if (!dir || !opts)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_status st = check_args(&c, mods, n, err);
    if (st || (st = rk_mkdir_p(dir, err)))
        return st;
    rk_st_writer *w;
    if (rk_st_writer_new(&w))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    if (!(st = fill_writer(w, c.x, mods, n, err)))
        st = save_folder(dir, &c, mods, n, w, err);
    rk_st_writer_free(w);
    return st;
}

/* An adapter folder written a module at a time: the factors go to the
 * writer's spool as each module is added; names and shapes stay. */
struct rk_peft_stream {
    char *dir;
    rk_st_writer *w;
    char *spool;            /* its path, for messages */
    rk_peft_lora *mods;     /* (n) names owned, factors NULL (already spooled) */
    size_t n, cap;
};

rk_status rk_peft_stream_open(rk_peft_stream **out, const char *dir, rk_err *err)
{
    if (!out || !dir)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_peft_stream *ps = rk_calloc(1, sizeof *ps);
    *out = NULL;
    if (!ps)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    rk_status st = rk_mkdir_p(dir, err);
    if (!st && (!(ps->dir = rk_strdup(dir)) || !(ps->spool = rk_path_join(dir, "adapter_model.safetensors.part")) ||
                rk_st_writer_new(&ps->w)))
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (!st)
        st = rk_st_writer_spool(ps->w, ps->spool, err);
    if (!st && (st = rk_st_writer_add_meta(ps->w, "format", "pt")))
        st = rk_err_set(err, st, "out of memory");
    if (st) {
        rk_peft_stream_free(ps);
        return st;
    }
    *out = ps;
    return RK_OK;
}

rk_status rk_peft_stream_add(rk_peft_stream *ps, const rk_peft_lora *m, rk_err *err)
{
    if (!ps || !m || !ps->w)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    rk_status st = check_module(ps->mods, ps->n, m, err);
    if (st)
        return st;
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 16;
        rk_peft_lora *grown = rk_calloc(cap, sizeof *grown);
        if (!grown)
            return rk_err_set(err, RK_ENOMEM, "out of memory");
        if (ps->n)
            memcpy(grown, ps->mods, ps->n * sizeof *grown);
        rk_free(ps->mods);
        ps->mods = grown;
        ps->cap = cap;
    }
    char *name = rk_strdup(m->module);
    if (!name)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    if ((st = add_factors(ps->w, m))) {
        int e = errno;
        rk_free(name);
        return st == RK_EIO ? rk_err_set(err, st, "cannot write %s: %s", ps->spool, strerror(e))
                            : rk_err_set(err, st, "cannot add module '%s': %s", m->module, rk_strerror(st));
    }
    ps->mods[ps->n++] = (rk_peft_lora){ name, m->r, m->in, m->out, NULL, NULL };
    return RK_OK;
}

rk_status rk_peft_stream_finish(rk_peft_stream *ps, const rk_peft_write_opts *opts, rk_err *err)
{
    return rk_peft_stream_finish_with(ps, opts, NULL, err);
}

rk_status rk_peft_stream_finish_with(rk_peft_stream *ps, const rk_peft_write_opts *opts,
                                     const rk_peft_write_extra *extra, rk_err *err)
{
    static const rk_peft_write_extra none = { 0 };
    if (!ps || !opts || !ps->w || !ps->n || !isfinite(opts->lora_alpha))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    if (extra && (extra->full || extra->n_full))
        return rk_err_set(err, RK_EINVAL, "a streamed adapter takes no full tensors");
    wctx c = { opts, extra ? extra : &none };
    rk_status st = save_folder(ps->dir, &c, ps->mods, ps->n, ps->w, err);
    rk_st_writer_free(ps->w); /* removes the spool: the folder holds the two files only */
    ps->w = NULL;
    return st;
}

void rk_peft_stream_free(rk_peft_stream *ps)
{
    if (!ps)
        return;
    rk_st_writer_free(ps->w);
    for (size_t i = 0; i < ps->n; i++)
        rk_free((char *)ps->mods[i].module);
    rk_free(ps->mods);
    rk_free(ps->spool);
    rk_free(ps->dir);
    rk_free(ps);
}
