/* cli_pairs.c — BASE FINETUNED → the weight matrices to subtract (see cli_pairs.h). */
#include "cli_pairs.h"

#include <float.h>
#include <fnmatch.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_progress.h"

int cli_pairs_args(const char *cmd, int argc, char **argv, const char **base, const char **ft)
{
    if (optind + 2 > argc)
        return cli_usage_error(cmd, optind == argc ? "missing BASE and FINETUNED" : "missing FINETUNED");
    if (optind + 2 < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind + 2]);
    *base = argv[optind];
    *ft = argv[optind + 1];
    return RK_EXIT_OK;
}

int cli_ckpt_option(const char *cmd, int c, const char *arg, cli_ckpt_opts *o)
{
    size_t q;
    switch (c) {
    case CLI_OPT_TENSOR:
        o->tensor = arg;
        return RK_EXIT_OK;
    case CLI_OPT_MODULES:
        o->modules = arg;
        return *arg ? RK_EXIT_OK : cli_usage_error(cmd, "--modules wants a pattern");
    case CLI_OPT_ITERS:
        if (!cli_parse_size(arg, 1000, &q))
            return cli_usage_error(cmd, "--iters wants an integer from 0 to 1000, not '%s'", arg);
        o->iters = (int)q;
        return RK_EXIT_OK;
    case CLI_OPT_EXACT:
        o->exact = true;
        return RK_EXIT_OK;
    case 'q':
        o->quiet = true;
        return RK_EXIT_OK;
    case CLI_OPT_JSON:
        o->json = true;
        return RK_EXIT_OK;
    default:
        return CLI_OPT_UNKNOWN;
    }
}

int cli_ckpt_open(const char *cmd, const cli_ckpt_opts *o, cli_pairs *p)
{
    return cli_pairs_open(cmd, o->base, o->ft, o->tensor, o->modules, p);
}

int cli_pairs_each(const char *cmd, const cli_pairs *p, bool quiet, cli_pair_fn fn, void *ctx, size_t *done)
{
    cli_progress pr;
    cli_progress_begin(&pr, cmd, p->n, cli_pairs_elements(p), quiet);
    int rc = RK_EXIT_OK;
    for (*done = 0; *done < p->n && rc == RK_EXIT_OK; (*done)++) {
        size_t m, n;
        cli_pairs_shape(p, *done, &m, &n);
        cli_progress_step(&pr, *done, p->names[*done] ? p->names[*done] : p->ft, m * n);
        rc = fn(p, *done, ctx);
    }
    if (rc == RK_EXIT_OK)
        cli_progress_end(&pr);
    else if (pr.tty)
        fputc('\n', stderr);
    return rc;
}

int cli_skip_append_json(json_t *arr, const cli_skip *s)
{
    json_t *e = json_object();
    int bad = !e;
    bad |= json_object_set_new(e, "name", json_string(s->name));
    bad |= json_object_set_new(e, "reason", json_string(s->reason));
    bad |= json_array_append_new(arr, e);
    return bad;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !memcmp(s + n - k, suffix, k);
}

/* The checkpoints of the safetensors case. */
typedef struct st_files {
    rk_shards base, ft;
    rk_tensor_pair *pairs;    /* every name of either checkpoint */
    size_t n_pairs;
    size_t *index;            /* (cli_pairs.n) the usable pairs */
    float *delta;             /* the ΔW buffer every pair reuses (cli_pairs_delta_f32) */
    size_t delta_cap;         /* its floats */
} st_files;

static void shape_text(char *buf, size_t size, const rk_st_tensor *t)
{
    size_t used = 0;
    buf[0] = '\0';
    if (t->ndim == 0) {
        snprintf(buf, size, "a scalar");
        return;
    }
    for (int d = 0; d < t->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu", d ? " x " : "", t->shape[d]);
}

/* Why pair @p q cannot be compared (only called for q->status != RK_PAIR_OK). */
static void skip_reason(char *buf, size_t size, const rk_tensor_pair *q)
{
    char a[48], b[48];
    switch (q->status) {
    case RK_PAIR_ONLY_BASE:
        snprintf(buf, size, "only in BASE");
        break;
    case RK_PAIR_ONLY_OTHER:
        snprintf(buf, size, "only in FINETUNED");
        break;
    case RK_PAIR_SHAPE:
        shape_text(a, sizeof a, q->base);
        shape_text(b, sizeof b, q->other);
        snprintf(buf, size, "shapes differ: %s in BASE, %s in FINETUNED", a, b);
        break;
    case RK_PAIR_NOT_2D:
        shape_text(a, sizeof a, q->base);
        snprintf(buf, size, "not a matrix (%d-d: %s)", q->base->ndim, a);
        break;
    case RK_PAIR_DTYPE:
        snprintf(buf, size, "dtype %s / %s cannot be loaded", q->base->dtype_name,
                 q->other->dtype_name);
        break;
    default:
        snprintf(buf, size, "not comparable");
        break;
    }
}

/* Open one checkpoint; exit status (the message names the file at fault). */
static int open_ckpt(const char *cmd, const char *path, rk_shards *s)
{
    rk_err err;
    char where[4096];
    rk_err_clear(&err);
    rk_status st = rk_shards_open(s, path, &err, where, sizeof where);
    return st == RK_OK ? RK_EXIT_OK : cli_fail(cmd, where, st, &err);
}

/* Whether tensor @p name is selected by the comma-separated globs of --modules
 * (matched against its module name, "model.layers.0.mlp.up_proj"). */
static bool selected(const char *patterns, const char *name)
{
    if (!patterns)
        return true;
    char *module = cli_module_name(name, NULL), pat[512];
    bool yes = false;
    for (const char *p = patterns; module && *p && !yes;) {
        size_t len = strcspn(p, ",");
        if (len < sizeof pat) {
            memcpy(pat, p, len);
            pat[len] = '\0';
            yes = fnmatch(pat, module, 0) == 0 || fnmatch(pat, name, 0) == 0;
        }
        p += len + (p[len] == ',');
    }
    rk_free(module);
    return yes;
}

static int open_st(const char *cmd, cli_pairs *p, const char *tensor, const char *modules)
{
    st_files *f = rk_calloc(1, sizeof *f);
    if (!f)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    p->priv = f;
    int rc = open_ckpt(cmd, p->base, &f->base);
    if (rc == RK_EXIT_OK)
        rc = open_ckpt(cmd, p->ft, &f->ft);
    if (rc != RK_EXIT_OK)
        return rc;
    p->ft_name_or_path = f->ft.name_or_path;
    p->base_name_or_path = f->base.name_or_path;
    rk_status s;
    if ((s = rk_tensor_pairs_match(&f->base, &f->ft, &f->pairs, &f->n_pairs)) != RK_OK)
        return cli_fail(cmd, NULL, s, NULL);
    f->index = rk_calloc(f->n_pairs ? f->n_pairs : 1, sizeof *f->index);
    p->names = rk_calloc(f->n_pairs ? f->n_pairs : 1, sizeof *p->names);
    p->skipped = rk_calloc(f->n_pairs ? f->n_pairs : 1, sizeof *p->skipped);
    if (!f->index || !p->names || !p->skipped)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    for (size_t i = 0; i < f->n_pairs; i++) {
        const rk_tensor_pair *q = &f->pairs[i];
        if (tensor && strcmp(q->name, tensor) != 0)
            continue;
        if (!selected(modules, q->name)) {
            p->n_unselected++;
            continue;
        }
        if (q->status == RK_PAIR_OK) {
            f->index[p->n] = i;
            p->names[p->n++] = q->name;
        } else {
            cli_skip *sk = &p->skipped[p->n_skipped++];
            sk->name = q->name;
            skip_reason(sk->reason, sizeof sk->reason, q);
        }
    }
    if (tensor && p->n == 0) {
        if (p->n_skipped == 0) {
            fprintf(stderr, "ranklab %s: %s: no tensor '%s' in either file\n", cmd, p->base, tensor);
        } else {
            const char *file = strcmp(p->skipped[0].reason, "only in BASE") == 0 ? p->ft : p->base;
            fprintf(stderr, "ranklab %s: %s: tensor '%s': %s\n", cmd, file, tensor, p->skipped[0].reason);
        }
        return RK_EXIT_RUNTIME;
    }
    if (p->n == 0) {
        fprintf(stderr, "ranklab %s: %s: no 2-d tensor with the same name and shape in %s%s\n", cmd,
                p->ft, p->base, modules ? " selected by --modules" : "");
        return RK_EXIT_RUNTIME;
    }
    return RK_EXIT_OK;
}

/* A checkpoint argument: a .safetensors file or a directory. */
static bool is_checkpoint(const char *path)
{
    struct stat sb;
    return ends_with(path, ".safetensors") || (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode));
}

int cli_pairs_open(const char *cmd, const char *base, const char *ft, const char *tensor,
                   const char *modules, cli_pairs *p)
{
    *p = (cli_pairs){ .base = base, .ft = ft };
    bool sb = is_checkpoint(base), sf = is_checkpoint(ft);
    struct stat st;
    if (sb != sf && stat(sb ? ft : base, &st) != 0)
        sb = sf = true; /* a missing path beside a checkpoint: let the checkpoint reader name the problem */
    if (sb != sf) {
        fprintf(stderr, "ranklab %s: %s: %s is a checkpoint, %s is not; give two of a kind\n",
                cmd, sb ? ft : base, sb ? base : ft, sb ? ft : base);
        return RK_EXIT_RUNTIME;
    }
    if (!sb) {
        if (tensor || modules)
            return cli_usage_error(cmd, "--%s applies to two checkpoints (.safetensors files or "
                                        "model directories)", tensor ? "tensor" : "modules");
        p->n = 1;
        p->names = rk_calloc(1, sizeof *p->names);
        if (!p->names)
            return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
        return RK_EXIT_OK;
    }
    p->safetensors = true;
    int rc = open_st(cmd, p, tensor, modules);
    if (rc != RK_EXIT_OK)
        cli_pairs_close(p);
    return rc;
}

static const rk_tensor_pair *pair_at(const cli_pairs *p, size_t i)
{
    const st_files *f = p->priv;
    return &f->pairs[f->index[i]];
}

int cli_pairs_load(const char *cmd, const cli_pairs *p, size_t i, rk_mat *base, rk_mat *ft)
{
    int rc = RK_EXIT_OK;
    *base = (rk_mat){ 0 };
    *ft = (rk_mat){ 0 };
    if (!p->safetensors) {
        if ((rc = cli_load_matrix(cmd, p->base, base)) == RK_EXIT_OK)
            rc = cli_load_matrix(cmd, p->ft, ft);
    } else {
        const rk_tensor_pair *q = pair_at(p, i);
        rk_err err;
        rk_err_clear(&err);
        rk_status s = rk_st_tensor_to_mat(q->base_at->file, q->base, base, &err);
        if (s != RK_OK) {
            rc = cli_fail(cmd, q->base_at->path, s, &err);
        } else if ((s = rk_st_tensor_to_mat(q->other_at->file, q->other, ft, &err)) != RK_OK) {
            rc = cli_fail(cmd, q->other_at->path, s, &err);
        } else if (!rk_mat_is_finite(base) || !rk_mat_is_finite(ft)) {
            fprintf(stderr, "ranklab %s: %s: tensor '%s' holds NaN or Inf\n", cmd,
                    rk_mat_is_finite(base) ? q->other_at->path : q->base_at->path, q->name);
            rc = RK_EXIT_RUNTIME;
        }
    }
    if (rc == RK_EXIT_OK && (base->rows != ft->rows || base->cols != ft->cols)) {
        fprintf(stderr, "ranklab %s: %s: shape %zu x %zu differs from %s's %zu x %zu\n", cmd, p->ft,
                ft->rows, ft->cols, p->base, base->rows, base->cols);
        rc = RK_EXIT_RUNTIME;
    }
    if (rc != RK_EXIT_OK) {
        rk_mat_free(base);
        rk_mat_free(ft);
    }
    return rc;
}

/* RK_EXIT_OK when every entry of @p m (from @p file, tensor @p name or a
 * .npy when NULL) is finite; otherwise a message naming the file, the tensor
 * and the first bad entry. */
static int check_finite(const char *cmd, const char *file, const char *name, const rk_mat *m)
{
    for (size_t i = 0; i < m->rows && m->cols; i++)
        for (size_t j = 0; j < m->cols; j++) {
            double x = RK_AT(m, i, j);
            if (isfinite(x))
                continue;
            fprintf(stderr, "ranklab %s: %s: %s%s%s holds %s at (%zu, %zu)\n", cmd, cli_name(file),
                    name ? "tensor '" : "the matrix", name ? cli_name(name) : "", name ? "'" : "",
                    isnan(x) ? "NaN" : "Inf", i, j);
            return RK_EXIT_RUNTIME;
        }
    return RK_EXIT_OK;
}

int cli_pairs_delta(const char *cmd, const cli_pairs *p, size_t i, rk_mat *delta)
{
    rk_mat base, ft;
    *delta = (rk_mat){ 0 };
    int rc = cli_pairs_load(cmd, p, i, &base, &ft);
    if (rc != RK_EXIT_OK)
        return rc;
    const char *name = p->safetensors ? p->names[i] : NULL;
    rc = check_finite(cmd, p->base, name, &base);
    if (rc == RK_EXIT_OK)
        rc = check_finite(cmd, p->ft, name, &ft);
    rk_status s = rc ? RK_OK : rk_mat_axpy(&ft, -1.0, &base); /* ΔW = W_ft − W_base, in place */
    rk_mat_free(&base);
    if (rc == RK_EXIT_OK && s != RK_OK)
        rc = cli_fail(cmd, p->ft, s, NULL);
    /* Two finite values near ±DBL_MAX can have a difference beyond it. */
    if (rc == RK_EXIT_OK && !rk_mat_is_finite(&ft)) {
        fprintf(stderr, "ranklab %s: %s - %s overflows%s%s%s: the difference is beyond the largest "
                "double (1.8e308)\n", cmd, cli_name(p->ft), cli_name(p->base), name ? " in tensor '" : "",
                name ? cli_name(name) : "", name ? "'" : "");
        rc = RK_EXIT_RUNTIME;
    }
    if (rc != RK_EXIT_OK) {
        rk_mat_free(&ft);
        return rc;
    }
    *delta = ft;
    return RK_EXIT_OK;
}

int cli_pairs_fail(const char *cmd, const cli_pairs *p, size_t i, rk_status s, const rk_err *err)
{
    const char *name = p->names ? p->names[i] : NULL;
    fprintf(stderr, "ranklab %s: %s - %s%s%s%s: %s\n", cmd, cli_name(p->ft), cli_name(p->base),
            name ? ", tensor '" : "", name ? cli_name(name) : "", name ? "'" : "",
            cli_name(rk_err_message(err, s)));
    return RK_EXIT_RUNTIME;
}

const rk_shards *cli_pairs_ft(const cli_pairs *p)
{
    const st_files *f = p->priv;
    return p->safetensors && f ? &f->ft : NULL;
}

void cli_pairs_shape(const cli_pairs *p, size_t i, size_t *m, size_t *n)
{
    if (!p->safetensors) {
        *m = *n = 0;
        return;
    }
    const rk_tensor_pair *q = pair_at(p, i);
    *m = q->base->shape[0];
    *n = q->base->shape[1];
}

/* The float32 ΔW of a .npy pair, through the double one. */
static int delta_f32_npy(const char *cmd, const cli_pairs *p, cli_delta32 *d)
{
    rk_mat dd;
    int rc = cli_pairs_delta(cmd, p, 0, &dd);
    if (rc != RK_EXIT_OK)
        return rc;
    d->m = dd.rows;
    d->n = dd.cols;
    d->data = rk_alloc(dd.rows * dd.cols * sizeof(float) + 1);
    if (!d->data) {
        rk_mat_free(&dd);
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    }
    for (size_t r = 0; r < dd.rows; r++)
        for (size_t c = 0; c < dd.cols; c++)
            d->data[r * dd.cols + c] = (float)RK_AT(&dd, r, c);
    rk_mat_free(&dd);
    return RK_EXIT_OK;
}

/* The pairs' shared ΔW buffer, grown to @p count floats when smaller (its old
 * contents dropped): one buffer for the whole walk, so each pair costs no
 * fresh pages of the size of a tensor (allocated, faulted in and zeroed by
 * the kernel, then returned). NULL when out of memory. */
static float *delta_buffer(st_files *f, size_t count)
{
    if (f->delta_cap < count) {
        rk_free(f->delta);
        f->delta_cap = 0;
        if (!(f->delta = rk_alloc(count * sizeof(float) + 1)))
            return NULL;
        f->delta_cap = count;
    }
    return f->delta;
}

int cli_pairs_delta_f32(const char *cmd, const cli_pairs *p, size_t i, cli_delta32 *d)
{
    *d = (cli_delta32){ 0 };
    if (!p->safetensors)
        return delta_f32_npy(cmd, p, d);
    const rk_tensor_pair *q = pair_at(p, i);
    size_t m = q->base->shape[0], n = q->base->shape[1], mn, bytes;
    bool ok = rk_size_mul(m, n, &mn) && rk_size_mul(mn, sizeof(float), &bytes);
    int rc = cli_check_memory(cmd, q->other_at->path, "dW in float32", ok, bytes);
    if (rc != RK_EXIT_OK)
        return rc;
    if (!(d->data = delta_buffer(p->priv, mn)))
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    d->borrowed = true;
    d->m = m;
    d->n = n;
    rk_err err;
    rk_err_clear(&err);
    int at = 0; /* ΔW = W_ft − W_base, one pass over the buffer */
    rk_status s = rk_st_tensor_diff_f32(q->base_at->file, q->base, q->other_at->file, q->other, d->data,
                                        mn, &at, &err);
    if (s != RK_OK) {
        cli_delta32_free(d);
        return cli_fail(cmd, at ? q->other_at->path : q->base_at->path, s, &err);
    }
    return RK_EXIT_OK;
}

/* Whether tensor @p t of @p f holds NaN or Inf, read again in double (an
 * error path, taken once: its memory is not the concern). */
static rk_status tensor_nonfinite(const rk_st_file *f, const rk_st_tensor *t, bool *bad, rk_err *err)
{
    rk_mat full;
    *bad = false;
    rk_status s = rk_st_tensor_to_mat(f, t, &full, err);
    if (s == RK_OK) {
        *bad = !rk_mat_is_finite(&full);
        rk_mat_free(&full);
    }
    return s;
}

int cli_pairs_nonfinite(const char *cmd, const cli_pairs *p, size_t i)
{
    const rk_tensor_pair *q = pair_at(p, i);
    const rk_shard_tensor *side[2] = { q->base_at, q->other_at };
    rk_err err;
    rk_err_clear(&err);
    for (int k = 0; k < 2; k++) {
        bool bad;
        rk_status s = tensor_nonfinite(side[k]->file, side[k]->t, &bad, &err);
        if (s != RK_OK)
            return cli_fail(cmd, side[k]->path, s, &err);
        if (bad) {
            fprintf(stderr, "ranklab %s: %s: tensor '%s' holds NaN or Inf\n", cmd, side[k]->path,
                    cli_name(q->name));
            return RK_EXIT_RUNTIME;
        }
    }
    fprintf(stderr, "ranklab %s: %s: tensor '%s': FINETUNED - BASE overflows float32\n", cmd,
            q->other_at->path, cli_name(q->name));
    return RK_EXIT_RUNTIME;
}

void cli_delta32_free(cli_delta32 *d)
{
    if (!d->borrowed)
        rk_free(d->data);
    *d = (cli_delta32){ 0 };
}

size_t cli_pairs_elements(const cli_pairs *p)
{
    size_t total = 0;
    for (size_t i = 0; p->safetensors && i < p->n; i++) {
        size_t m, n;
        cli_pairs_shape(p, i, &m, &n);
        total += m * n; /* both fit in memory as headers' claims checked against file sizes */
    }
    return total;
}

void cli_pairs_close(cli_pairs *p)
{
    st_files *f = p->priv;
    if (f) {
        rk_shards_close(&f->base);
        rk_shards_close(&f->ft);
        rk_free(f->pairs);
        rk_free(f->index);
        rk_free(f->delta);
        rk_free(f);
    }
    rk_free(p->names);
    rk_free(p->skipped);
    *p = (cli_pairs){ 0 };
}

char *cli_module_name(const char *tensor, const char *file)
{
    const char *start, *end;
    if (tensor) {
        start = tensor;
        static const char prefix[] = "base_model.model.";
        if (!strncmp(start, prefix, sizeof prefix - 1) && start[sizeof prefix - 1])
            start += sizeof prefix - 1;
        end = start + strlen(start);
        if (ends_with(start, ".weight") && (size_t)(end - start) > 7)
            end -= 7;
    } else {
        const char *slash = strrchr(file, '/');
        start = slash ? slash + 1 : file;
        const char *colon = strrchr(start, ':'); /* FILE.safetensors:TENSOR → TENSOR */
        if (colon && colon[1])
            return cli_module_name(colon + 1, NULL);
        const char *dot = strrchr(start, '.');
        end = dot && dot != start ? dot : start + strlen(start);
    }
    size_t len = (size_t)(end - start);
    char *name = rk_alloc(len + 1);
    if (name) {
        memcpy(name, start, len);
        name[len] = '\0';
    }
    return name;
}
