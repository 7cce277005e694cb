/*
 * results_json.c — the experiment's results as JSON (results.json): the
 * accuracies, costs and the per-layer comparison of every LoRA run with the
 * full update. Keys are documented in docs/experiment.md.
 */
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "analysis/experiment_output.h"
#include "core/alloc.h"
#include "io/file.h"
#include "io/json_text.h"

/* A real, or null for NaN/Inf (JSON has neither). */
static json_t *num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *vec(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, num(v[i]));
    return a;
}

static json_t *table(const rk_mat *t)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < t->rows; i++)
        json_array_append_new(a, vec(&t->data[i * t->stride], t->cols));
    return a;
}

static void put_eval(json_t *o, const rk_exp_models *m, const rk_eval *ev)
{
    if (!ev->n_classes)
        return;
    json_object_set_new(o, "accuracy", num(ev->accuracy));
    json_object_set_new(o, "target_accuracy", num(rk_exp_target_accuracy(m, ev)));
    json_object_set_new(o, "per_class_accuracy", vec(ev->per_class, ev->n_classes));
}

static void put_cost(json_t *o, const rk_train_result *c)
{
    json_object_set_new(o, "trainable_params", json_integer((json_int_t)c->trainable_params));
    json_object_set_new(o, "train_state_bytes", json_integer((json_int_t)c->state_bytes));
    json_object_set_new(o, "train_seconds", num(c->seconds));
    json_object_set_new(o, "steps", json_integer((json_int_t)c->steps));
    json_object_set_new(o, "loss_first", num(c->loss_first));
    json_object_set_new(o, "loss_last", num(c->loss_last));
}

static json_t *amp_json(const rk_amplify *a)
{
    return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "r", (json_int_t)a->r, "proj_delta",
                     num(a->proj_delta), "proj_w0", num(a->proj_w0), "proj_random",
                     num(a->proj_random), "delta_fro", num(a->delta_fro), "factor",
                     num(a->factor));
}

static json_t *layer_cmp(const rk_exp_layer *L, size_t i)
{
    const rk_exp_cmp *c = &L->cmp[i];
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(L->name));
    json_object_set_new(o, "rel_err", num(c->rel_err));
    json_object_set_new(o, "eckart_young_rel_err", num(c->ey_rel_err));
    json_object_set_new(o, "phi", num(c->phi));
    json_object_set_new(o, "phi_right", num(c->phi_right));
    json_object_set_new(o, "phi_dim", json_integer((json_int_t)c->phi_dim));
    json_object_set_new(o, "cosine", num(c->cosine));
    json_object_set_new(o, "fro", num(c->fro));
    json_object_set_new(o, "full_fro", num(L->full_fro));
    json_object_set_new(o, "numerical_rank", json_integer((json_int_t)c->numerical_rank));
    json_object_set_new(o, "singular_values", vec(c->s, c->k));
    if (c->amp.r > 0)
        json_object_set_new(o, "amplification", amp_json(&c->amp));
    if (L->amp_full[i].r > 0)
        json_object_set_new(o, "amplification_full", amp_json(&L->amp_full[i]));
    json_object_set_new(o, "phi_left_table", table(&c->phi_left_table));
    json_object_set_new(o, "phi_right_table", table(&c->phi_right_table));
    return o;
}

/* Intruders per layer (null where the test is blind) and the smallest cosine of the top 10. */
static json_t *intr_json(const rk_exp_intr *t, size_t n_layers)
{
    json_t *counts = json_array(), *cos = json_array();
    for (size_t l = 0; l < n_layers; l++) {
        json_array_append_new(counts, t->meaningful[l] ? json_integer((json_int_t)t->count[l]) : json_null());
        json_array_append_new(cos, num(t->min_cos[l]));
    }
    return json_pack("{s:o, s:o}", "count", counts, "min_cos", cos);
}

static json_t *sweep_json(const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (!a->have_sweep)
        return json_null();
    json_t *lora = a->sweep_run >= 0
                       ? json_pack("{s:s, s:o, s:o}", "run", m->runs[a->sweep_run].label, "target_accuracy",
                                   vec(a->sweep_lora.target_acc, RK_EXP_LAMBDAS), "other_accuracy",
                                   vec(a->sweep_lora.other_acc, RK_EXP_LAMBDAS))
                       : json_null();
    json_t *full = json_pack("{s:o, s:o}", "target_accuracy", vec(a->sweep_full.target_acc, RK_EXP_LAMBDAS),
                             "other_accuracy", vec(a->sweep_full.other_acc, RK_EXP_LAMBDAS));
    return json_pack("{s:I, s:o, s:o, s:o}", "eval_examples", (json_int_t)a->sweep_n, "lambda",
                     vec(a->lambda, RK_EXP_LAMBDAS), "lora", lora, "full", full);
}

static json_t *run_json(const rk_exp_models *m, const rk_exp_analysis *a, size_t i)
{
    const rk_exp_lora_run *r = &m->runs[i];
    static const char *roles[] = { "rank", "normal_init", "seed2", "rslora" };
    static const char *inits[] = { "kaiming", "gaussian", "normal", "pissa" };
    json_t *o = json_object();
    json_object_set_new(o, "rank", json_integer((json_int_t)r->rank));
    json_object_set_new(o, "label", json_string(r->label));
    json_object_set_new(o, "role", json_string(roles[r->role]));
    json_object_set_new(o, "init", json_string(inits[r->init]));
    json_object_set_new(o, "scale", num(r->scale));
    put_eval(o, m, &r->eval);
    put_cost(o, &r->cost);
    json_object_set_new(o, "trainable_params", json_integer((json_int_t)rk_exp_lora_run_params(r)));
    json_t *layers = json_array();
    for (size_t l = 0; l < a->n_layers; l++)
        json_array_append_new(layers, layer_cmp(&a->layers[l], i));
    json_object_set_new(o, "layers", layers);
    json_object_set_new(o, "intruders", intr_json(&a->intr_run[i], a->n_layers));
    return o;
}

static json_t *layers_json(const rk_exp_analysis *a)
{
    json_t *arr = json_array();
    for (size_t l = 0; l < a->n_layers; l++) {
        const rk_exp_layer *L = &a->layers[l];
        json_t *o = json_object();
        json_object_set_new(o, "name", json_string(L->name));
        json_object_set_new(o, "shape", json_pack("[I, I]", (json_int_t)L->out, (json_int_t)L->in));
        json_object_set_new(o, "w0_fro", num(L->w0_fro));
        json_object_set_new(o, "full_fro", num(L->full_fro));
        json_object_set_new(o, "full_numerical_rank", json_integer((json_int_t)L->full_rank));
        json_object_set_new(o, "singular_values_w0", vec(L->s_w0, L->k));
        json_object_set_new(o, "singular_values_full", vec(L->s_full, L->k));
        if (L->phi_pair.rows)
            json_object_set_new(o, "phi_pair", table(&L->phi_pair));
        if (L->phi_seeds.rows)
            json_object_set_new(o, "phi_seeds", table(&L->phi_seeds));
        json_array_append_new(arr, o);
    }
    return arr;
}

static json_t *config_json(const rk_exp_config *c)
{
    json_t *sizes = json_array(), *ranks = json_array();
    for (size_t i = 0; i <= c->net.n_layers; i++)
        json_array_append_new(sizes, json_integer((json_int_t)c->net.sizes[i]));
    for (size_t i = 0; i < c->n_ranks; i++)
        json_array_append_new(ranks, json_integer((json_int_t)c->ranks[i]));
    return json_pack("{s:o, s:I, s:I, s:I, s:f, s:I, s:I, s:f, s:o, s:f, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:I, s:I, s:I, s:I}",
                     "sizes", sizes, "pretrain_epochs", (json_int_t)c->pretrain_epochs,
                     "pretrain_batch", (json_int_t)c->pretrain_batch, "pretrain_limit",
                     (json_int_t)c->pretrain_limit, "pretrain_lr", c->pretrain_lr, "ft_steps",
                     (json_int_t)c->ft_steps, "ft_batch", (json_int_t)c->ft_batch, "ft_lr",
                     c->ft_lr, "ranks", ranks, "lora_alpha", c->lora_alpha, "normal_rank",
                     (json_int_t)c->normal_rank, "seed2_rank", (json_int_t)c->seed2_rank,
                     "seed", (json_int_t)c->seed, "ft_seed", (json_int_t)c->ft_seed, "lora_seed",
                     (json_int_t)c->lora_seed, "lora_seed2", (json_int_t)c->lora_seed2,
                     "rslora_rank", (json_int_t)c->rslora_rank, "track_every",
                     (json_int_t)c->track_every, "track_n", (json_int_t)c->track_n, "track_seed",
                     (json_int_t)c->track_seed);
}

json_t *rk_exp_results_json(const rk_exp_config *cfg, const rk_exp_models *m,
                            const rk_exp_analysis *a)
{
    if (!cfg || !m || !a)
        return NULL;
    json_t *root = json_object();
    json_object_set_new(root, "config", config_json(cfg));
    json_t *pre = json_object();
    put_eval(pre, m, &m->pretrain_eval);
    put_cost(pre, &m->pretrain_cost);
    json_object_set_new(pre, "train_examples", json_integer((json_int_t)m->n_train));
    json_object_set_new(root, "pretrain", pre);
    json_object_set_new(root, "target_class", json_integer(m->target_class));
    json_object_set_new(root, "target_train_examples", json_integer((json_int_t)m->n_target_train));
    json_object_set_new(root, "test_examples", json_integer((json_int_t)m->n_test));
    json_t *full = json_object();
    put_eval(full, m, &m->full_eval);
    put_cost(full, &m->full_cost);
    json_object_set_new(full, "intruders", intr_json(&a->intr_full, a->n_layers));
    json_object_set_new(root, "full", full);
    json_t *lora = json_array(), *extra = json_array();
    for (size_t i = 0; i < m->n_runs; i++)
        json_array_append_new(m->runs[i].role == RK_EXP_ROLE_RANK ? lora : extra, run_json(m, a, i));
    json_object_set_new(root, "lora", lora);
    json_object_set_new(root, "lora_extra", extra);
    json_t *ex = json_array();
    for (size_t i = 0; i < a->n_extracted; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "rank", json_integer((json_int_t)a->extracted_rank[i]));
        json_object_set_new(o, "params", json_integer((json_int_t)a->extracted_params[i]));
        put_eval(o, m, &a->extracted[i].eval);
        json_array_append_new(ex, o);
    }
    json_object_set_new(root, "svd_extracted", ex);
    json_object_set_new(root, "layers", layers_json(a));
    json_object_set_new(root, "intruder_sweep", sweep_json(m, a));
    json_object_set_new(root, "rank_rules", rk_exp_rules_json(m, a));
    json_object_set_new(root, "learn_forget", rk_exp_lf_json(m));
    json_object_set_new(root, "analysis_seconds", num(a->seconds));
    json_object_set_new(root, "timing", rk_exp_timing_json(m));
    return root;
}

rk_status rk_exp_results_write(const char *path, const rk_exp_config *cfg, const rk_exp_models *m,
                               const rk_exp_analysis *a, rk_err *err)
{
    json_t *root = rk_exp_results_json(cfg, m, a);
    if (!root)
        return rk_err_set(err, RK_ENOMEM, "building the JSON failed");
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17));
    json_decref(root);
    if (!text)
        return rk_err_set(err, RK_ENOMEM, "printing the JSON failed");
    size_t n = strlen(text);
    text[n] = '\n';
    rk_status s = rk_file_write_all(path, text, n + 1, err);
    rk_json_text_free(text);
    return s;
}
