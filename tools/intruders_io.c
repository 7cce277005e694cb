/* intruders_io.c — the inputs and outputs of `ranklab intruders` (see intruders_cli.h). */
#include "intruders_cli.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_output.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* Module @p m's weight in BASE, MODULE.weight shaped (Out, In); exit status. */
static int find_weight(const char *cmd, intr_src *src, const rk_peft_module *m, const rk_st_tensor **t)
{
    char name[1024];
    if ((size_t)snprintf(name, sizeof name, "%s.weight", m->name) >= sizeof name)
        return cli_fail(cmd, src->ft, RK_ETOOBIG, NULL);
    *t = rk_st_find(&src->base_file, name);
    if (!*t) {
        fprintf(stderr, "ranklab %s: %s: no tensor '%s' for the adapter's module %s\n", cmd,
                src->base, name, m->name);
        return RK_EXIT_RUNTIME;
    }
    if ((*t)->ndim != 2 || (*t)->shape[0] != m->out || (*t)->shape[1] != m->in) {
        fprintf(stderr, "ranklab %s: %s: tensor '%s' is not (%zu, %zu), the shape the adapter's "
                        "module %s updates\n", cmd, src->base, name, m->out, m->in, m->name);
        return RK_EXIT_RUNTIME;
    }
    if (!rk_st_dtype_loadable(*t)) {
        fprintf(stderr, "ranklab %s: %s: tensor '%s': dtype %s cannot be loaded\n", cmd, src->base,
                name, (*t)->dtype_name);
        return RK_EXIT_RUNTIME;
    }
    return RK_EXIT_OK;
}

/* true when --tensor @p tensor names module @p module (as "x" or "x.weight"). */
static bool selects(const char *tensor, const char *module)
{
    size_t n = strlen(module);
    return !strcmp(tensor, module) || (!strncmp(tensor, module, n) && !strcmp(tensor + n, ".weight"));
}

static int open_adapter(const char *cmd, intr_src *src, const char *tensor)
{
    rk_err err;
    rk_err_clear(&err);
    if (!ends_with(src->base, ".safetensors")) {
        fprintf(stderr, "ranklab %s: %s: with an adapter folder as FINETUNED, BASE must be the "
                        "model's .safetensors file\n", cmd, src->base);
        return RK_EXIT_RUNTIME;
    }
    rk_status s = rk_peft_read(&src->ad, src->ft, &err);
    if (s != RK_OK)
        return cli_fail(cmd, src->ft, s, &err);
    if (src->ad.config.fan_in_fan_out) {
        fprintf(stderr, "ranklab %s: %s: fan_in_fan_out adapters (weights stored (In, Out)) are "
                        "not supported\n", cmd, src->ft);
        return RK_EXIT_RUNTIME;
    }
    if ((s = rk_st_open(&src->base_file, src->base, &err)) != RK_OK)
        return cli_fail(cmd, src->base, s, &err);
    size_t nm = src->ad.n_modules;
    src->w0 = rk_calloc(nm, sizeof *src->w0);
    src->names = rk_calloc(nm, sizeof *src->names);
    if (!src->w0 || !src->names)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    for (size_t i = 0; i < nm; i++) {
        const rk_peft_module *m = &src->ad.modules[i];
        int rc = find_weight(cmd, src, m, &src->w0[i]);
        if (rc != RK_EXIT_OK)
            return rc;
        if (!tensor || selects(tensor, m->name))
            src->names[src->n++] = m->name;
    }
    if (src->n == 0) {
        fprintf(stderr, "ranklab %s: %s: the adapter has no module '%s'\n", cmd, src->ft, tensor);
        return RK_EXIT_RUNTIME;
    }
    return RK_EXIT_OK;
}

int intr_open(const char *cmd, const char *base, const char *ft, const char *tensor, intr_src *src)
{
    memset(src, 0, sizeof *src);
    src->base = base;
    src->ft = ft;
    struct stat st;
    src->adapter = stat(ft, &st) == 0 && S_ISDIR(st.st_mode);
    int rc;
    if (src->adapter) {
        rc = open_adapter(cmd, src, tensor);
    } else if ((rc = cli_pairs_open(cmd, base, ft, tensor, NULL, &src->pairs)) == RK_EXIT_OK) {
        src->n = src->pairs.n;
        src->names = src->pairs.names;
    }
    if (rc != RK_EXIT_OK)
        intr_close(src);
    return rc;
}

/* The adapter's module behind name @p i of src->names. */
static size_t module_index(const intr_src *src, size_t i)
{
    for (size_t j = 0; j < src->ad.n_modules; j++)
        if (src->ad.modules[j].name == src->names[i])
            return j;
    return 0;
}

int intr_load(const char *cmd, const intr_src *src, size_t i, rk_mat *w0, rk_mat *w_ft)
{
    if (!src->adapter)
        return cli_pairs_load(cmd, &src->pairs, i, w0, w_ft);
    *w0 = (rk_mat){ 0 };
    *w_ft = (rk_mat){ 0 };
    size_t j = module_index(src, i);
    const rk_peft_module *m = &src->ad.modules[j];
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_st_tensor_to_mat(&src->base_file, src->w0[j], w0, &err);
    if (s != RK_OK)
        return cli_fail(cmd, src->base, s, &err);
    if ((s = rk_mat_dup(w_ft, w0)) == RK_OK) /* W_ft = W0 + s·B·A */
        s = rk_mat_gemm(false, false, m->scale, &m->b, &m->a, 1.0, w_ft);
    if (s != RK_OK) {
        rk_mat_free(w0);
        rk_mat_free(w_ft);
        return cli_fail(cmd, src->ft, s, NULL);
    }
    return RK_EXIT_OK;
}

void intr_close(intr_src *src)
{
    if (src->adapter) {
        rk_peft_free(&src->ad);
        rk_st_close(&src->base_file);
        rk_free(src->w0);
        rk_free(src->names);
    } else {
        cli_pairs_close(&src->pairs);
    }
    memset(src, 0, sizeof *src);
}

int intr_out_begin(const char *cmd, const intr_src *src, const char *path, intr_out *o)
{
    memset(o, 0, sizeof *o);
    o->path = path;
    if (!src->adapter) {
        int rc = cli_output_check(cmd, "-o", path);
        if (rc == RK_EXIT_OK && src->pairs.safetensors) {
            rk_status s = rk_st_writer_new(&o->writer);
            rc = s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, NULL, s, NULL);
        }
        return rc;
    }
    if (src->ad.n_full > 0) {
        fprintf(stderr, "ranklab %s: %s: the adapter also holds %zu full tensors "
                        "(modules_to_save), which the re-factored adapter cannot carry\n",
                cmd, src->ft, src->ad.n_full);
        return RK_EXIT_RUNTIME;
    }
    size_t nm = src->ad.n_modules;
    o->mods = rk_calloc(nm, sizeof *o->mods);
    o->bufs = rk_calloc(2 * nm, sizeof *o->bufs);
    if (!o->mods || !o->bufs)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    o->n_bufs = 2 * nm;
    int rc;
    if ((rc = cli_output_not_inside(cmd, path, "BASE", src->base)) != RK_EXIT_OK ||
        (rc = cli_output_not_inside(cmd, path, "FINETUNED", src->ft)) != RK_EXIT_OK ||
        (rc = cli_output_dir_open(cmd, "-o", path, &o->dir)) != RK_EXIT_OK)
        return rc;
    o->dir_open = true;
    return RK_EXIT_OK;
}

/* Module @p j's factors B (Out, r) and A (r, In) as floats in the output, B times @p fold. */
static int put_factors(const char *cmd, const intr_src *src, size_t j, const rk_mat *b,
                       const rk_mat *a, double fold, intr_out *o)
{
    const rk_peft_module *m = &src->ad.modules[j];
    float *fb = rk_alloc(m->out * m->r * sizeof *fb), *fa = rk_alloc(m->r * m->in * sizeof *fa);
    o->bufs[2 * j] = fa;
    o->bufs[2 * j + 1] = fb;
    rk_mat bf = { 0 };   /* fold·B in double, rounded once into fb */
    rk_status s = !fa || !fb ? RK_ENOMEM : rk_mat_dup(&bf, b);
    if (s == RK_OK) {
        rk_mat_scale(&bf, fold);
        if ((s = rk_mat_to_f32(fb, &bf)) == RK_OK)
            s = rk_mat_to_f32(fa, a);
    }
    rk_mat_free(&bf);
    if (s != RK_OK)
        return cli_fail(cmd, NULL, s, NULL);
    o->mods[j] = (rk_peft_lora){ m->name, m->r, m->in, m->out, fa, fb };
    o->n_mods++;
    return RK_EXIT_OK;
}

/* Adapter: (W′ − W0)/s re-factored at rank r; exit status. */
static int add_module(const char *cmd, const intr_src *src, size_t i, rk_mat *w, const rk_mat *w0,
                      intr_out *o, double *rel_left)
{
    size_t j = module_index(src, i);
    const rk_peft_module *m = &src->ad.modules[j];
    rk_mat b, a;
    rk_status s = rk_mat_axpy(w, -1.0, w0);
    if (s != RK_OK)
        return cli_fail(cmd, src->ft, s, NULL);
    rk_mat_scale(w, 1.0 / m->scale);
    if ((s = rk_intruders_refactor(&b, &a, rel_left, w, m->r)) != RK_OK)
        return cli_fail(cmd, src->ft, s, NULL);
    /* written with the first alpha; a module with another scale gets it folded into B */
    const rk_peft_config *c = &src->ad.config;
    double fold = m->scale / rk_peft_scale(c->lora_alpha, m->r, c->use_rslora);
    int rc = put_factors(cmd, src, j, &b, &a, fold, o);
    rk_mat_free(&b);
    rk_mat_free(&a);
    return rc;
}

int intr_out_add(const char *cmd, const intr_src *src, size_t i, rk_mat *w, const rk_mat *w0,
                 intr_out *o, double *rel_left)
{
    *rel_left = NAN;
    if (!rk_mat_is_finite(w))
        return cli_fail(cmd, src->ft, RK_ENONFINITE, NULL);
    if (src->adapter)
        return add_module(cmd, src, i, w, w0, o, rel_left);
    if (!src->pairs.safetensors) {
        rk_status s = rk_mat_dup(&o->npy, w);
        return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, NULL, s, NULL);
    }
    const rk_shard_tensor *at = rk_shards_find(cli_pairs_ft(&src->pairs), src->names[i]);
    const rk_st_tensor *t = at ? at->t : NULL;
    size_t shape[2] = { w->rows, w->cols };
    rk_status s;
    if (t && t->dtype == RK_DT_F64) {
        s = rk_st_writer_add_f64(o->writer, src->names[i], w->data, 2, shape);
    } else {
        float *f = rk_alloc(w->rows * w->cols * sizeof *f);
        if (!f)
            return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
        if ((s = rk_mat_to_f32(f, w)) == RK_OK)
            s = rk_st_writer_add_f32(o->writer, src->names[i], f, 2, shape);
        rk_free(f);
    }
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, NULL, s, NULL);
}

/* Copy one tensor of FINETUNED unchanged (F64 stays F64, every other type as F32). */
static int copy_tensor(const char *cmd, const char *ft, const rk_st_file *f, const rk_st_tensor *t,
                       rk_st_writer *w)
{
    rk_err err;
    rk_err_clear(&err);
    size_t n = rk_st_tensor_numel(t);
    rk_status s;
    if (!rk_st_dtype_loadable(t))
        return cli_fail(cmd, ft, RK_EDTYPE, NULL);
    if (t->dtype == RK_DT_F64) {
        rk_mat m;
        if ((s = rk_st_tensor_to_mat(f, t, &m, &err)) == RK_OK && t->ndim <= 2) {
            s = rk_st_writer_add_f64(w, t->name, m.data, t->ndim, t->shape);
            rk_mat_free(&m);
        } else if (s == RK_OK) {
            rk_mat_free(&m);
            s = RK_ESHAPE;
        }
    } else {
        float *buf = rk_alloc((n ? n : 1) * sizeof *buf);
        if (!buf)
            return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
        if ((s = rk_st_tensor_to_f32(f, t, buf, n, &err)) == RK_OK)
            s = rk_st_writer_add_f32(w, t->name, buf, t->ndim, t->shape);
        rk_free(buf);
    }
    if (s != RK_OK) {
        fprintf(stderr, "ranklab %s: %s: cannot copy tensor '%s': %s\n", cmd, ft, t->name,
                rk_err_message(&err, s));
        return RK_EXIT_RUNTIME;
    }
    return RK_EXIT_OK;
}

static bool is_pair(const intr_src *src, const char *name)
{
    for (size_t i = 0; i < src->n; i++)
        if (!strcmp(src->names[i], name))
            return true;
    return false;
}

static int commit_model(const char *cmd, const intr_src *src, intr_out *o)
{
    const rk_shards *c = cli_pairs_ft(&src->pairs);
    rk_err err;
    rk_err_clear(&err);
    rk_status s = RK_OK;
    for (size_t i = 0; i < c->n_tensors; i++) {
        if (is_pair(src, c->tensors[i].t->name))
            continue;
        int rc = copy_tensor(cmd, c->tensors[i].path, c->tensors[i].file, c->tensors[i].t, o->writer);
        if (rc != RK_EXIT_OK)
            return rc;
    }
    const rk_st_file *f = &c->files[0]; /* the metadata of a single file; a sharded one's differ per shard */
    for (size_t i = 0; s == RK_OK && c->n_files == 1 && i < f->n_meta; i++)
        s = rk_st_writer_add_meta(o->writer, f->meta_keys[i], f->meta_values[i]);
    if (s == RK_OK)
        s = rk_st_writer_save(o->writer, o->path, &err);
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, o->path, s, &err);
}

int intr_out_commit(const char *cmd, const intr_src *src, intr_out *o)
{
    rk_err err;
    rk_err_clear(&err);
    rk_status s;
    if (!src->adapter && src->pairs.safetensors)
        return commit_model(cmd, src, o);
    if (!src->adapter) {
        s = rk_npy_write(o->path, &o->npy, RK_DT_F64, &err);
        return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, o->path, s, &err);
    }
    for (size_t j = 0; j < src->ad.n_modules; j++) { /* modules left out by --tensor: unchanged */
        if (o->mods[j].module)
            continue;
        const rk_peft_module *m = &src->ad.modules[j];
        double fold = m->scale / rk_peft_scale(src->ad.config.lora_alpha, m->r, src->ad.config.use_rslora);
        int rc = put_factors(cmd, src, j, &m->b, &m->a, fold, o);
        if (rc != RK_EXIT_OK)
            return rc;
    }
    const rk_peft_config *c = &src->ad.config;
    rk_peft_write_opts wo = { .lora_alpha = c->lora_alpha, .use_rslora = c->use_rslora,
                              .base_model = c->base_model };
    if ((s = rk_peft_write(o->dir.tmp_path, &wo, o->mods, src->ad.n_modules, &err)) != RK_OK)
        return cli_fail(cmd, o->path, s, &err);
    return cli_output_dir_commit(cmd, o->path, &o->dir);
}

void intr_out_free(intr_out *o)
{
    if (o->dir_open)
        rk_out_dir_abort(&o->dir);
    rk_st_writer_free(o->writer);
    rk_mat_free(&o->npy);
    for (size_t j = 0; o->bufs && j < o->n_bufs; j++)
        rk_free(o->bufs[j]);
    rk_free(o->mods);
    rk_free(o->bufs);
    memset(o, 0, sizeof *o);
}
