/* cli_pairs.c — BASE FINETUNED → the weight matrices to subtract (see cli_pairs.h). */
#include "cli_pairs.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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

/* The files of the safetensors case. */
typedef struct st_files {
    rk_st_file base, ft;
    rk_tensor_pair *pairs;    /* every name of either file */
    size_t n_pairs;
    size_t *index;            /* (cli_pairs.n) the usable pairs */
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

static int open_st(const char *cmd, cli_pairs *p, const char *tensor)
{
    st_files *f = rk_calloc(1, sizeof *f);
    if (!f)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    p->priv = f;
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_st_open(&f->base, p->base, &err);
    if (s != RK_OK)
        return cli_fail(cmd, p->base, s, &err);
    if ((s = rk_st_open(&f->ft, p->ft, &err)) != RK_OK)
        return cli_fail(cmd, p->ft, s, &err);
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
        fprintf(stderr, "ranklab %s: %s: no 2-d tensor with the same name and shape in %s\n", cmd,
                p->ft, p->base);
        return RK_EXIT_RUNTIME;
    }
    return RK_EXIT_OK;
}

int cli_pairs_open(const char *cmd, const char *base, const char *ft, const char *tensor,
                   cli_pairs *p)
{
    *p = (cli_pairs){ .base = base, .ft = ft };
    bool sb = ends_with(base, ".safetensors"), sf = ends_with(ft, ".safetensors");
    if (sb != sf) {
        fprintf(stderr, "ranklab %s: %s: %s is a safetensors file, %s is not; give two of a kind\n",
                cmd, sb ? ft : base, sb ? base : ft, sb ? ft : base);
        return RK_EXIT_RUNTIME;
    }
    if (!sb) {
        if (tensor)
            return cli_usage_error(cmd, "--tensor applies to two .safetensors files");
        p->n = 1;
        p->names = rk_calloc(1, sizeof *p->names);
        if (!p->names)
            return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
        return RK_EXIT_OK;
    }
    p->safetensors = true;
    int rc = open_st(cmd, p, tensor);
    if (rc != RK_EXIT_OK)
        cli_pairs_close(p);
    return rc;
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
        const st_files *f = p->priv;
        const rk_tensor_pair *q = &f->pairs[f->index[i]];
        rk_err err;
        rk_err_clear(&err);
        rk_status s = rk_st_tensor_to_mat(&f->base, q->base, base, &err);
        if (s != RK_OK)
            rc = cli_fail(cmd, p->base, s, &err);
        else if ((s = rk_st_tensor_to_mat(&f->ft, q->other, ft, &err)) != RK_OK)
            rc = cli_fail(cmd, p->ft, s, &err);
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

int cli_pairs_delta(const char *cmd, const cli_pairs *p, size_t i, rk_mat *delta)
{
    rk_mat base, ft;
    *delta = (rk_mat){ 0 };
    int rc = cli_pairs_load(cmd, p, i, &base, &ft);
    if (rc != RK_EXIT_OK)
        return rc;
    rk_status s = rk_mat_axpy(&ft, -1.0, &base); /* ΔW = W_ft − W_base, in place */
    rk_mat_free(&base);
    if (s != RK_OK) {
        rk_mat_free(&ft);
        return cli_fail(cmd, p->ft, s, NULL);
    }
    *delta = ft;
    return RK_EXIT_OK;
}

const rk_st_file *cli_pairs_ft_file(const cli_pairs *p)
{
    const st_files *f = p->priv;
    return p->safetensors && f ? &f->ft : NULL;
}

void cli_pairs_close(cli_pairs *p)
{
    st_files *f = p->priv;
    if (f) {
        rk_st_close(&f->base);
        rk_st_close(&f->ft);
        rk_free(f->pairs);
        rk_free(f->index);
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
