/* resize_run.c — the steps of `ranklab resize` (the math: cmd_resize.c). */
#include "resize_run.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_rule.h"

static const char *const cmd = "resize";

/* The SVD of module i's update from its factors, and its whole spectrum with the exact zeros. */
static int decompose(const rk_peft_module *mod, resize_item *it)
{
    it->mod = mod;
    rk_status st = rk_factored_svd(&it->svd, &mod->b, &mod->a, mod->scale, RK_SVD_THIN);
    if (st != RK_OK) {
        fprintf(stderr, "ranklab resize: %s: cannot decompose s*B*A: %s\n", mod->name, rk_strerror(st));
        return RK_EXIT_RUNTIME;
    }
    it->kfull = mod->out < mod->in ? mod->out : mod->in;
    it->spectrum = rk_calloc(it->kfull ? it->kfull : 1, sizeof *it->spectrum);
    if (!it->spectrum)
        return cli_fail(cmd, mod->name, RK_ENOMEM, NULL);
    memcpy(it->spectrum, it->svd.s, it->svd.k * sizeof *it->spectrum); /* σ_{k+1}… = 0 exactly */
    return RK_EXIT_OK;
}

/* Every module's r' by the rule, capped by --max-rank and by the rank of its update; exit status. */
static int choose_ranks(const resize_opts *o, resize_job *job)
{
    size_t *ranks = rk_calloc(job->n, sizeof *ranks);
    if (!ranks)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    rk_rule_spectrum *sp = rk_calloc(job->n, sizeof *sp);
    const char **names = rk_calloc(job->n, sizeof *names);
    int rc = sp && names ? RK_EXIT_OK : cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    for (size_t i = 0; rc == RK_EXIT_OK && i < job->n; i++) {
        const resize_item *it = &job->items[i];
        sp[i] = (rk_rule_spectrum){ it->spectrum, it->kfull, it->mod->out, it->mod->in };
        names[i] = it->mod->name;
    }
    if (rc == RK_EXIT_OK)
        rc = cli_rule_ranks(cmd, o->adapter, &o->rank.rule, o->rank.max_rank, sp, names, job->n, ranks, &job->spent,
                            &job->shortfall);
    rk_free(sp);
    rk_free(names);
    for (size_t i = 0; rc == RK_EXIT_OK && i < job->n; i++) {
        resize_item *it = &job->items[i];
        bool zero = it->svd.k == 0 || !(it->svd.s[0] > 0);
        it->rank = zero ? 0 : ranks[i] < it->svd.k ? ranks[i] : it->svd.k; /* no more than s·B·A has */
        it->skip = zero ? "the update s*B*A is zero" : it->rank == 0 ? "the budget leaves it at rank 0" : NULL;
        it->alpha = it->mod->scale * (double)it->rank; /* the scale s = alpha'/r' is kept */
        it->energy = rk_spectrum_energy(it->spectrum, it->kfull, it->rank);
        double fro = rk_spectrum_fro(it->spectrum, it->kfull);
        it->rel_err = fro > 0 ? rk_spectrum_tail_fro(it->spectrum, it->kfull, it->rank) / fro : 0;
        job->params_before += it->mod->r * (it->mod->out + it->mod->in);
        job->params_after += it->rank * (it->mod->out + it->mod->in);
    }
    rk_free(ranks);
    return rc;
}

int resize_prepare(const resize_opts *o, resize_job *job)
{
    *job = (resize_job){ 0 };
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_peft_read(&job->ad, o->adapter, &err);
    if (st != RK_OK)
        return cli_fail(cmd, o->adapter, st, &err);
    job->items = rk_calloc(job->ad.n_modules, sizeof *job->items);
    if (!job->items)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    int rc = RK_EXIT_OK;
    for (size_t i = 0; rc == RK_EXIT_OK && i < job->ad.n_modules; i++) {
        job->n = i + 1;
        rc = decompose(&job->ad.modules[i], &job->items[i]);
    }
    if (rc == RK_EXIT_OK)
        rc = choose_ranks(o, job);
    size_t kept = 0;
    for (size_t i = 0; rc == RK_EXIT_OK && i < job->n; i++)
        kept += job->items[i].rank > 0;
    if (rc == RK_EXIT_OK && kept == 0) {
        char rule[64];
        rk_rule_format(&o->rank.rule, rule, sizeof rule);
        fprintf(stderr, "ranklab resize: %s: no module keeps a rank >= 1 under %s; nothing written\n",
                o->adapter, rule);
        rc = RK_EXIT_RUNTIME;
    }
    return rc;
}

/* The new factors of every kept module; exit status. */
static int make_factors(resize_job *job)
{
    for (size_t i = 0; i < job->n; i++) {
        resize_item *it = &job->items[i];
        if (!it->rank)
            continue;
        size_t m = it->mod->out, n = it->mod->in, r = it->rank;
        it->b = rk_alloc(m * r * sizeof(float) + 1);
        it->a = rk_alloc(r * n * sizeof(float) + 1);
        if (!it->b || !it->a)
            return cli_fail(cmd, it->mod->name, RK_ENOMEM, NULL);
        rk_status st = rk_factored_truncate(&it->svd, r, it->mod->scale, it->b, it->a);
        if (st != RK_OK)
            return cli_fail(cmd, it->mod->name, st, NULL);
        for (size_t j = 0; j < m * r; j++)
            if (!isfinite(it->b[j])) {
                fprintf(stderr, "ranklab resize: %s: the new B does not fit in float32\n", it->mod->name);
                return RK_EXIT_RUNTIME;
            }
    }
    return RK_EXIT_OK;
}

/* The adapter's full tensors as float32 (exact for F32, F16 and BF16 only); exit status. */
static int copy_full(const resize_opts *o, const rk_peft_adapter *ad, rk_peft_full *full, float **data)
{
    for (size_t i = 0; i < ad->n_full; i++) {
        const rk_st_tensor *t = ad->full[i];
        if (t->dtype != RK_DT_F32 && t->dtype != RK_DT_F16 && t->dtype != RK_DT_BF16) {
            fprintf(stderr, "ranklab resize: %s: full tensor %s is %s, which float32 cannot hold exactly\n",
                    o->adapter, t->name, t->dtype_name);
            return RK_EXIT_RUNTIME;
        }
        size_t numel = rk_st_tensor_numel(t);
        rk_err err;
        rk_err_clear(&err);
        if (!(data[i] = rk_alloc(numel * sizeof(float) + 1)))
            return cli_fail(cmd, t->name, RK_ENOMEM, NULL);
        rk_status st = rk_st_tensor_to_f32(&ad->file, t, data[i], numel, &err);
        if (st != RK_OK)
            return cli_fail(cmd, t->name, st, &err);
        full[i] = (rk_peft_full){ t->name, t->ndim, t->shape, data[i] };
    }
    return RK_EXIT_OK;
}

/* Write the kept modules and the full tensors; exit status. */
static int write_out(const resize_opts *o, const char *dir, const resize_job *job, rk_peft_lora *mods,
                     double *alphas, rk_peft_full *full)
{
    size_t nk = 0;
    for (size_t i = 0; i < job->n; i++) {
        const resize_item *it = &job->items[i];
        if (!it->rank)
            continue;
        mods[nk] = (rk_peft_lora){ it->mod->name, it->rank, it->mod->in, it->mod->out, it->a, it->b };
        alphas[nk++] = it->alpha;
    }
    const rk_peft_config *cfg = &job->ad.config;
    rk_peft_write_opts wo = { .lora_alpha = alphas[0], .fan_in_fan_out = cfg->fan_in_fan_out,
                              .base_model = cfg->base_model };
    rk_peft_write_extra extra = { .alphas = alphas, .full = full, .n_full = job->ad.n_full,
                                  .modules_to_save = cfg->modules_to_save,
                                  .n_modules_to_save = cfg->n_modules_to_save };
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_peft_write_with(dir, &wo, mods, nk, &extra, &err);
    return st == RK_OK ? RK_EXIT_OK : cli_fail(cmd, o->out, st, &err);
}

int resize_write(const resize_opts *o, resize_job *job, const char *dir)
{
    int rc = make_factors(job);
    if (rc != RK_EXIT_OK)
        return rc;
    size_t nf = job->ad.n_full;
    rk_peft_lora *mods = rk_calloc(job->n, sizeof *mods);
    double *alphas = rk_calloc(job->n, sizeof *alphas);
    rk_peft_full *full = rk_calloc(nf ? nf : 1, sizeof *full);
    float **data = rk_calloc(nf ? nf : 1, sizeof *data);
    if (!mods || !alphas || !full || !data)
        rc = cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    if (rc == RK_EXIT_OK)
        rc = copy_full(o, &job->ad, full, data);
    if (rc == RK_EXIT_OK)
        rc = write_out(o, dir, job, mods, alphas, full);
    for (size_t i = 0; data && i < nf; i++)
        rk_free(data[i]);
    rk_free(data);
    rk_free(full);
    rk_free(alphas);
    rk_free(mods);
    return rc;
}

static json_t *module_json(const resize_item *it)
{
    json_t *m = json_object(), *shape = json_array(), *sv = json_array();
    int bad = !m || !shape || !sv;
    bad |= json_object_set_new(m, "name", json_string(it->mod->name));
    bad |= json_array_append_new(shape, json_integer((json_int_t)it->mod->out));
    bad |= json_array_append_new(shape, json_integer((json_int_t)it->mod->in));
    bad |= json_object_set_new(m, "shape", shape);
    bad |= json_object_set_new(m, "rank_before", json_integer((json_int_t)it->mod->r));
    bad |= json_object_set_new(m, "rank", json_integer((json_int_t)it->rank));
    bad |= json_object_set_new(m, "lora_alpha", json_real(it->alpha));
    bad |= json_object_set_new(m, "scale", json_real(it->mod->scale));
    bad |= json_object_set_new(m, "energy_kept", json_real(it->energy));
    bad |= json_object_set_new(m, "rel_err", json_real(it->rel_err));
    for (size_t j = 0; j < it->svd.k; j++)
        bad |= json_array_append_new(sv, json_real(it->svd.s[j]));
    bad |= json_object_set_new(m, "singular_values", sv);
    if (bad) {
        json_decref(m);
        return NULL;
    }
    return m;
}

json_t *resize_json(const resize_opts *o, const resize_job *job)
{
    char rule[64];
    rk_rule_format(&o->rank.rule, rule, sizeof rule);
    json_t *obj = json_object(), *mods = json_array(), *skipped = json_array();
    int bad = !obj || !mods || !skipped;
    bad |= json_object_set_new(obj, "adapter", json_string(o->adapter));
    bad |= json_object_set_new(obj, "output", json_string(o->out));
    bad |= json_object_set_new(obj, "rule", json_string(rule));
    bad |= json_object_set_new(obj, "max_rank", o->rank.max_rank ? json_integer((json_int_t)o->rank.max_rank) : json_null());
    for (size_t i = 0; i < job->n; i++) {
        const resize_item *it = &job->items[i];
        if (it->rank) {
            json_t *m = module_json(it);
            bad |= !m || json_array_append_new(mods, m);
            continue;
        }
        json_t *s = json_object();
        bad |= !s;
        bad |= json_object_set_new(s, "name", json_string(it->mod->name));
        bad |= json_object_set_new(s, "reason", json_string(it->skip));
        bad |= json_array_append_new(skipped, s);
    }
    bad |= json_object_set_new(obj, "modules", mods);
    bad |= json_object_set_new(obj, "skipped", skipped);
    bad |= json_object_set_new(obj, "params_before", json_integer((json_int_t)job->params_before));
    bad |= json_object_set_new(obj, "params_after", json_integer((json_int_t)job->params_after));
    if (o->rank.rule.kind == RK_RULE_BUDGET) {
        bad |= json_object_set_new(obj, "budget_spent", json_integer((json_int_t)job->spent));
        bad |= json_object_set_new(obj, "budget_shortfall_bound", json_real(job->shortfall));
    }
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

void resize_free(resize_job *job)
{
    for (size_t i = 0; job->items && i < job->n; i++) {
        rk_svd_free(&job->items[i].svd);
        rk_free(job->items[i].spectrum);
        rk_free(job->items[i].b);
        rk_free(job->items[i].a);
    }
    rk_free(job->items);
    rk_peft_free(&job->ad);
    *job = (resize_job){ 0 };
}
