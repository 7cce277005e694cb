/*
 * results_learn_forget.c — results.json's "learn_forget" object: the
 * records of every fine-tune (experiment_learn_forget.c), with the
 * pretrained and final accuracies on the test set beside them, computed by
 * the same formulas (rk_eval_class_accuracy, rk_eval_others_accuracy). Keys in docs/experiment.md.
 */
#include <jansson.h>
#include <math.h>

#include "analysis/experiment_output.h"

/* A real, or null for NaN/Inf (JSON has neither). */
static json_t *real_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *point_json(const rk_lf_point *p)
{
    return json_pack("{s:o, s:o}", "target_accuracy", real_or_null(p->target_acc), "other_accuracy",
                     real_or_null(p->other_acc));
}

static json_t *record_json(const rk_lf_track *t, size_t i)
{
    json_t *o = point_json(&t->points[i]), *layers = json_array();
    json_object_set_new(o, "step", json_integer((json_int_t)t->points[i].step));
    for (size_t l = 0; l < t->n_layers; l++) {
        const rk_lf_layer *g = &t->layers[i * t->n_layers + l];
        json_array_append_new(layers, json_pack("{s:o, s:I, s:I, s:o, s:o}", "fro", real_or_null(g->fro),
                                                "rank_90", (json_int_t)g->rank_90, "rank_99",
                                                (json_int_t)g->rank_99, "effective_rank",
                                                real_or_null(g->eff_rank), "phi", real_or_null(g->phi)));
    }
    json_object_set_new(o, "layers", layers);
    return o;
}

/* One fine-tune: its label and role, its final accuracies on the test set, its records. */
static json_t *track_json(const char *label, const char *role, const rk_lf_track *t,
                          const rk_exp_models *m, const rk_eval *final)
{
    rk_lf_point fin = rk_exp_lf_point(m, final);
    json_t *recs = json_array();
    for (size_t i = 0; i < t->n; i++)
        json_array_append_new(recs, record_json(t, i));
    return json_pack("{s:s, s:s, s:o, s:o}", "label", label, "role", role, "final", point_json(&fin),
                     "records", recs);
}

json_t *rk_exp_lf_json(const rk_exp_models *m)
{
    const rk_exp_lf *lf = &m->lf;
    if (lf->every == 0 || lf->full.n == 0)
        return json_null();
    static const char *roles[] = { "rank", "normal_init", "seed2", "rslora" };
    json_t *runs = json_array(), *names = json_array();
    json_array_append_new(runs, track_json("full", "full", &lf->full, m, &m->full_eval));
    for (size_t i = 0; i < m->n_runs; i++)
        json_array_append_new(runs, track_json(m->runs[i].label, roles[m->runs[i].role], &lf->runs[i], m,
                                               &m->runs[i].eval));
    for (size_t l = 0; l < m->n_layers; l++)
        json_array_append_new(names, json_string(m->names[l]));
    rk_lf_point pre = rk_exp_lf_point(m, &m->pretrain_eval);
    return json_pack("{s:I, s:I, s:I, s:b, s:I, s:o, s:o, s:o}", "every", (json_int_t)lf->every,
                     "eval_examples", (json_int_t)lf->n_eval, "eval_seed", (json_int_t)lf->seed,
                     "whole_test_set", lf->whole_test, "phi_rank", (json_int_t)RK_EXP_LF_PHI_RANK,
                     "layers", names, "pretrained", point_json(&pre), "runs", runs);
}
