/* peft_write.c — write a LoRA adapter folder in PEFT's layout (config + F32 safetensors). */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"
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

static rk_status check_args(const wctx *c, const rk_peft_lora *mods, size_t n, rk_err *err)
{
    const rk_peft_write_opts *o = c->o;
    const rk_peft_write_extra *x = c->x;
    if (!o || !mods || !n || !isfinite(o->lora_alpha))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    for (size_t i = 0; i < n; i++) {
        const rk_peft_lora *m = &mods[i];
        if (!m->module || !m->module[0] || !m->r || (!m->a && m->in) || (!m->b && m->out))
            return rk_err_set(err, RK_EINVAL, "module %zu: empty name, r = 0 or missing factors", i);
        if (x->alphas && !isfinite(x->alphas[i]))
            return rk_err_set(err, RK_EINVAL, "module '%s': alpha is not finite", m->module);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(mods[j].module, m->module))
                return rk_err_set(err, RK_EINVAL, "module '%s' given twice", m->module);
    }
    if ((x->n_full && !x->full) || (x->n_modules_to_save && !x->modules_to_save))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    for (size_t i = 0; i < x->n_full; i++)
        if (!x->full[i].key || x->full[i].ndim < 0 || (x->full[i].ndim && !x->full[i].shape))
            return rk_err_set(err, RK_EINVAL, "full tensor %zu: no key or shape", i);
    return RK_OK;
}

static rk_status write_weights(const char *path, const rk_peft_write_extra *x, const rk_peft_lora *mods,
                               size_t n, rk_err *err)
{
    rk_st_writer *w;
    if (rk_st_writer_new(&w))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    rk_status st = rk_st_writer_add_meta(w, "format", "pt");
    for (size_t i = 0; !st && i < n; i++) {
        const rk_peft_lora *m = &mods[i];
        size_t len = strlen("base_model.model.") + strlen(m->module) + strlen(".lora_A.weight") + 1;
        char *key = rk_alloc(len);
        if (!key) {
            st = RK_ENOMEM;
            break;
        }
        size_t shape_a[2] = { m->r, m->in }, shape_b[2] = { m->out, m->r };
        snprintf(key, len, "base_model.model.%s.lora_A.weight", m->module);
        st = rk_st_writer_add_f32(w, key, m->a, 2, shape_a);
        snprintf(key, len, "base_model.model.%s.lora_B.weight", m->module);
        if (!st)
            st = rk_st_writer_add_f32(w, key, m->b, 2, shape_b);
        rk_free(key);
    }
    for (size_t i = 0; !st && i < x->n_full; i++)
        st = rk_st_writer_add_f32(w, x->full[i].key, x->full[i].data, x->full[i].ndim, x->full[i].shape);
    if (st)
        st = rk_err_set(err, st, "cannot add module tensors: %s", rk_strerror(st));
    else
        st = rk_st_writer_save(w, path, err);
    rk_st_writer_free(w);
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
    char *st_path = rk_path_join(dir, "adapter_model.safetensors"), *cfg_path = rk_path_join(dir, "adapter_config.json");
    json_t *cfg = config_json(&c, mods, n);
    char *text = cfg ? json_dumps(cfg, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(cfg);
    if (!st_path || !cfg_path || !text)
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    if (!st)
        st = write_weights(st_path, c.x, mods, n, err);
    if (!st)
        st = rk_file_write_all(cfg_path, text, strlen(text), err);
    json_malloc_t jmalloc;
    json_free_t jfree;
    json_get_alloc_funcs(&jmalloc, &jfree);
    jfree(text); /* json_dumps allocated it with jansson's allocator */
    rk_free(st_path);
    rk_free(cfg_path);
    return st;
}
