/* peft.c — read a PEFT LoRA adapter: pair lora_A with lora_B and check them against the config. */
#include "io/peft.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "io/peft_index.h"

#define ST_NAME "adapter_model.safetensors"
#define CFG_NAME "adapter_config.json"
#define PREFIX "base_model.model."

static char *dup_n(const char *s, size_t n)
{
    char *p = rk_alloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* dir + "/" + name (dir may be "" for the current directory). */
static char *join(const char *dir, size_t dlen, const char *name)
{
    size_t n = strlen(name);
    char *p = rk_alloc(dlen + 1 + n + 1);
    if (!p)
        return NULL;
    memcpy(p, dir, dlen);
    size_t at = dlen;
    if (dlen && dir[dlen - 1] != '/')
        p[at++] = '/';
    memcpy(p + at, name, n + 1);
    return p;
}

void rk_peft_free(rk_peft_adapter *ad)
{
    if (!ad)
        return;
    for (size_t i = 0; i < ad->n_modules; i++) {
        rk_free(ad->modules[i].name);
        rk_mat_free(&ad->modules[i].a);
        rk_mat_free(&ad->modules[i].b);
    }
    rk_free(ad->modules);
    rk_free(ad->full);
    rk_peft_config_free(&ad->config);
    rk_st_close(&ad->file);
    *ad = (rk_peft_adapter){ 0 };
}

/* If name is a LoRA factor key — <prefix>.lora_A.weight or
 * <prefix>.lora_A.<adapter>.weight (B likewise) — set *which to 'A' or 'B'
 * and *mlen to the length of the module part (after "base_model.model."). */
static bool is_tag(const char *p)
{
    return !strncmp(p, ".lora_A", 7) || !strncmp(p, ".lora_B", 7);
}

/* If name is a LoRA factor key — <module>.lora_A.weight or
 * <module>.lora_A.<adapter>.weight (B likewise), <module> optionally after
 * "base_model.model." — set *which to 'A' or 'B', *mlen to the module's
 * length, and return where the module starts; NULL for any other name. */
static const char *factor_module(const char *name, char *which, size_t *mlen)
{
    size_t n = strlen(name);
    if (n < 7 || strcmp(name + n - 7, ".weight"))
        return NULL;
    size_t end = n - 7; /* name[0..end) is the key without ".weight" */
    const char *tag = NULL;
    if (end >= 7 && is_tag(name + end - 7)) {
        tag = name + end - 7;
    } else {
        const char *dot = NULL; /* last '.' before end: the adapter name follows it */
        for (size_t i = end; i-- > 0 && !dot;)
            if (name[i] == '.')
                dot = name + i;
        if (dot && dot + 1 < name + end && dot - name >= 7 && is_tag(dot - 7))
            tag = dot - 7;
    }
    if (!tag || tag == name)
        return NULL;
    *which = tag[6];
    size_t plen = strlen(PREFIX);
    const char *mod = name;
    if (!strncmp(name, PREFIX, plen) && (size_t)(tag - name) > plen)
        mod = name + plen;
    *mlen = (size_t)(tag - mod);
    return mod;
}

/* Natural order: runs of digits compare as numbers, so h.2 comes before h.10. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (*a >= '0' && *a <= '9' && *b >= '0' && *b <= '9') {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
            if (na != nb)
                return na < nb ? -1 : 1;
            int c = strncmp(a, b, na);
            if (c)
                return c;
            a += na;
            b += nb;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++;
        b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int cmp_modules(const void *a, const void *b)
{
    const char *x = ((const rk_peft_module *)a)->name, *y = ((const rk_peft_module *)b)->name;
    int c = natural_cmp(x, y);
    return c ? c : strcmp(x, y); /* "h.01" and "h.1" still get a fixed order */
}

/* One LoRA factor key of the file: module mod[0..mlen), factor 'A' or 'B'. */
typedef struct factor_key {
    const char *mod;
    size_t mlen;
    char which;
    const rk_st_tensor *t;
} factor_key;

static int cmp_module_part(const factor_key *x, const factor_key *y)
{
    int c = memcmp(x->mod, y->mod, x->mlen < y->mlen ? x->mlen : y->mlen);
    return c ? c : (x->mlen > y->mlen) - (x->mlen < y->mlen);
}

/* By module name, then file order (tensors[] is in file order), so a
 * module's keys are adjacent: grouping is one pass after an O(n log n) sort,
 * where looking each module up among those seen so far would be O(n²). */
static int cmp_factor(const void *a, const void *b)
{
    const factor_key *x = a, *y = b;
    int c = cmp_module_part(x, y);
    return c ? c : (x->t > y->t) - (x->t < y->t);
}

/* Group the sorted keys into ad->modules: one module per distinct name. */
static rk_status group_factors(rk_peft_adapter *ad, const factor_key *keys, size_t nk, rk_err *err)
{
    rk_peft_module *m = NULL;
    for (size_t i = 0; i < nk; i++) {
        const factor_key *k = &keys[i];
        if (i == 0 || cmp_module_part(&keys[i - 1], k)) {
            m = &ad->modules[ad->n_modules++];
            if (!(m->name = dup_n(k->mod, k->mlen)))
                return rk_err_set(err, RK_ENOMEM, "out of memory");
        }
        const rk_st_tensor **slot = k->which == 'A' ? &m->a_tensor : &m->b_tensor;
        if (*slot)
            return rk_err_set(err, RK_ECONFIG, "module '%s' has two lora_%c tensors ('%s' and '%s')",
                              m->name, k->which, (*slot)->name, k->t->name);
        *slot = k->t;
    }
    return RK_OK;
}

/* Sort every tensor into a module's A or B, or the list of full tensors. */
static rk_status collect(rk_peft_adapter *ad, rk_err *err)
{
    size_t n = ad->file.n_tensors, nk = 0;
    ad->modules = rk_calloc(n ? n : 1, sizeof *ad->modules);
    ad->full = rk_calloc(n ? n : 1, sizeof *ad->full);
    factor_key *keys = rk_calloc(n ? n : 1, sizeof *keys);
    if (!ad->modules || !ad->full || !keys) {
        rk_free(keys);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        const rk_st_tensor *t = &ad->file.tensors[i];
        factor_key k = { .t = t };
        if ((k.mod = factor_module(t->name, &k.which, &k.mlen)))
            keys[nk++] = k;
        else
            ad->full[ad->n_full++] = t;
    }
    qsort(keys, nk, sizeof *keys, cmp_factor);
    rk_status st = group_factors(ad, keys, nk, err);
    rk_free(keys);
    if (st)
        return st;
    if (!ad->n_modules)
        return rk_err_set(err, RK_ECONFIG, "no lora_A/lora_B pairs in " ST_NAME);
    qsort(ad->modules, ad->n_modules, sizeof *ad->modules, cmp_modules);
    return RK_OK;
}

/* The config's lists indexed for lookups in O(log n) (io/peft_index.h). */
typedef struct config_index {
    rk_key_index targets, ranks, alphas;
} config_index;

static void config_index_free(config_index *ci)
{
    rk_key_index_free(&ci->targets);
    rk_key_index_free(&ci->ranks);
    rk_key_index_free(&ci->alphas);
}

static rk_status config_index_build(config_index *ci, const rk_peft_config *cfg, rk_err *err)
{
    *ci = (config_index){ 0 };
    rk_status st = rk_key_index_build(&ci->targets, cfg->target_modules,
                                      cfg->target_modules ? cfg->n_target_modules : 0, sizeof(char *));
    if (!st)
        st = rk_key_index_build(&ci->ranks, cfg->rank_pattern ? (const void *)&cfg->rank_pattern[0].key : NULL,
                                cfg->n_rank_pattern, sizeof(rk_peft_pattern));
    if (!st)
        st = rk_key_index_build(&ci->alphas, cfg->alpha_pattern ? (const void *)&cfg->alpha_pattern[0].key : NULL,
                                cfg->n_alpha_pattern, sizeof(rk_peft_pattern));
    if (st) {
        config_index_free(ci);
        return rk_err_set(err, st, "out of memory");
    }
    return RK_OK;
}

/* rk_peft_config_rank / _alpha and the target_modules test, through the index. */
static size_t module_rank(const rk_peft_config *cfg, const config_index *ci, const char *module)
{
    size_t pos = rk_key_index_first_match(&ci->ranks, module);
    return pos == (size_t)-1 ? cfg->r : (size_t)cfg->rank_pattern[pos].value;
}

static double module_alpha(const rk_peft_config *cfg, const config_index *ci, const char *module)
{
    size_t pos = rk_key_index_first_match(&ci->alphas, module);
    return pos == (size_t)-1 ? cfg->lora_alpha : cfg->alpha_pattern[pos].value;
}

static bool in_targets(const rk_peft_config *cfg, const config_index *ci, const char *module)
{
    if (!cfg->target_modules)
        return true; /* absent, or a regex (not evaluated) */
    return rk_key_index_first_match(&ci->targets, module) != (size_t)-1;
}

/* Check one module's factors against each other and the config; load them. */
static rk_status check_module(rk_peft_adapter *ad, const config_index *ci, rk_peft_module *m,
                              rk_err *err)
{
    const rk_peft_config *cfg = &ad->config;
    const rk_st_tensor *a = m->a_tensor, *b = m->b_tensor;
    if (!a || !b)
        return rk_err_set(err, RK_ECONFIG, "module '%s' has lora_%c but no lora_%c", m->name,
                          a ? 'A' : 'B', a ? 'B' : 'A');
    if (a->ndim != 2 || b->ndim != 2)
        return rk_err_set(err, RK_ECONFIG, "module '%s': lora_%c is %d-d, expected a matrix", m->name,
                          a->ndim != 2 ? 'A' : 'B', a->ndim != 2 ? a->ndim : b->ndim);
    if (a->shape[0] != b->shape[1])
        return rk_err_set(err, RK_ECONFIG,
                          "module '%s': lora_A is (%zu, %zu) but lora_B is (%zu, %zu): ranks differ",
                          m->name, a->shape[0], a->shape[1], b->shape[0], b->shape[1]);
    size_t want = module_rank(cfg, ci, m->name);
    if (a->shape[0] != want)
        return rk_err_set(err, RK_ECONFIG, "module '%s': the tensors have rank %zu, the config says r = %zu",
                          m->name, a->shape[0], want);
    if (!in_targets(cfg, ci, m->name))
        return rk_err_set(err, RK_ECONFIG, "module '%s' is not in target_modules", m->name);
    for (int k = 0; k < 2; k++) {
        const rk_st_tensor *t = k ? b : a;
        if (!rk_st_dtype_loadable(t))
            return rk_err_set(err, RK_EDTYPE, "module '%s': lora_%c: unsupported dtype %s", m->name,
                              k ? 'B' : 'A', t->dtype_name);
    }
    rk_status st;
    if ((st = rk_st_tensor_to_mat(&ad->file, a, &m->a, err)) ||
        (st = rk_st_tensor_to_mat(&ad->file, b, &m->b, err)))
        return st;
    m->r = want;
    m->in = a->shape[1];
    m->out = b->shape[0];
    m->alpha = module_alpha(cfg, ci, m->name);
    m->scale = rk_peft_scale(m->alpha, m->r, cfg->use_rslora);
    m->fan_in_fan_out = cfg->fan_in_fan_out;
    return RK_OK;
}

rk_status rk_peft_build(rk_peft_adapter *ad, rk_st_file *file, rk_peft_config *cfg, rk_err *err)
{
    if (!ad || !file || !cfg) {
        rk_st_close(file);
        rk_peft_config_free(cfg);
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    }
    *ad = (rk_peft_adapter){ .config = *cfg, .file = *file };
    *cfg = (rk_peft_config){ 0 };
    *file = (rk_st_file){ 0 };
    config_index ci = { 0 };
    rk_status st = collect(ad, err);
    if (!st)
        st = config_index_build(&ci, &ad->config, err);
    for (size_t i = 0; !st && i < ad->n_modules; i++)
        st = check_module(ad, &ci, &ad->modules[i], err);
    config_index_free(&ci);
    if (st)
        rk_peft_free(ad);
    return st;
}

rk_status rk_peft_read(rk_peft_adapter *ad, const char *path, rk_err *err)
{
    if (!ad || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *ad = (rk_peft_adapter){ 0 };
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rk_err_set(err, RK_ENOENT, "no such file or directory");
    char *st_path, *cfg_path;
    if (S_ISDIR(sb.st_mode)) {
        st_path = join(path, strlen(path), ST_NAME);
        cfg_path = join(path, strlen(path), CFG_NAME);
    } else {
        const char *slash = strrchr(path, '/');
        size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
        /* the weights file itself, or (given the config) the weights beside it */
        st_path = strcmp(path + dlen, CFG_NAME) ? dup_n(path, strlen(path)) : join(path, dlen, ST_NAME);
        cfg_path = join(path, dlen, CFG_NAME);
    }
    if (!st_path || !cfg_path) {
        rk_free(st_path);
        rk_free(cfg_path);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    rk_status st = RK_OK;
    rk_st_file file = { 0 };
    rk_peft_config cfg = { 0 };
    if (!st && stat(st_path, &sb) != 0) {
        /* PEFT before safetensors saved adapter_model.bin, a pickle: not read */
        size_t n = strlen(st_path), base = n - strlen(ST_NAME);
        bool pickle = false;
        if (n >= strlen(ST_NAME) && !strcmp(st_path + base, ST_NAME)) {
            memcpy(st_path + base, "adapter_model.bin", sizeof "adapter_model.bin");
            pickle = stat(st_path, &sb) == 0;
        }
        st = rk_err_set(err, RK_ENOENT, "no " ST_NAME " in the adapter folder%s",
                        pickle ? " (adapter_model.bin is PyTorch's pickle format, which ranklab does not read)" : "");
    }
    if (!st && stat(cfg_path, &sb) != 0)
        st = rk_err_set(err, RK_ECONFIG, "no " CFG_NAME " beside the adapter weights");
    if (!st && (st = rk_peft_config_read(&cfg, cfg_path, err)) == RK_OK) {
        if ((st = rk_st_open(&file, st_path, err)) != RK_OK)
            rk_peft_config_free(&cfg);
        else
            st = rk_peft_build(ad, &file, &cfg, err);
    }
    rk_free(st_path);
    rk_free(cfg_path);
    return st;
}
