/*
 * experiment_rules.c — the rank rules in the main experiment: per layer of
 * ΔW_full, every rule's rank (lib/linalg/rankrule.h) and the accuracy of
 * W0 + [ΔW_full]_r at those ranks (lib/analysis/rank_choice.h), and
 * budget:P with P = the parameters of LoRA r = 4 on every layer against
 * uniform r = 4; report.md's section and results.json's "rank_rules".
 */
#include <math.h>
#include <stdio.h>

#include <jansson.h>

#include "analysis/experiment_analysis.h"
#include "analysis/experiment_output.h"

rk_status rk_exp_rules(const rk_exp_models *m, rk_svd *sfull, rk_mlp *net, const rk_dataset *test,
                       rk_exp_analysis *a)
{
    rk_rank_choice *c = &a->rules;
    rk_status s = rk_rank_choice_init_svd(c, sfull, m->n_layers);
    rk_rank_rule rules[RK_RANK_CHOICE_MAX_ROWS];
    size_t n = s == RK_OK ? rk_rank_choice_standard(c, RK_EXP_RULES_UNIFORM, rules) : 0;
    for (size_t i = 0; s == RK_OK && i < n; i++)
        s = rk_rank_choice_add(c, &rules[i]);
    if (s == RK_OK && net && test)
        s = rk_rank_choice_evaluate(c, net, test);
    for (size_t l = 0; l < c->n_layers; l++) { /* the values stay; the vectors are not needed again */
        rk_mat_free(&c->svd[l].u);
        rk_mat_free(&c->svd[l].vt);
    }
    a->have_rules = s == RK_OK;
    a->rules_uniform = n - 2; /* rk_rank_choice_standard: fixed:R, then budget:P last */
    a->rules_budget = n - 1;
    if (s != RK_OK)
        rk_rank_choice_free(c);
    return s;
}

/* The energy of ΔW_full that row @p row keeps over all layers: Σ_l Σ_{i≤r_l} σ² / Σ_l Σ σ². */
double rk_exp_rules_energy(const rk_exp_analysis *a, size_t row)
{
    const rk_rank_choice *c = &a->rules;
    double kept = 0, total = 0;
    for (size_t l = 0; l < c->n_layers; l++) {
        double fro2 = 0;
        for (size_t i = 0; i < c->svd[l].k; i++)
            fro2 += c->svd[l].s[i] * c->svd[l].s[i];
        kept += c->rows[row].energy[l] * fro2;
        total += fro2;
    }
    return total > 0 ? kept / total : 0.0;
}

static void acc_cells(FILE *f, const rk_exp_models *m, const rk_eval *ev)
{
    if (ev->n_classes)
        fprintf(f, " %.4f | %.4f |", ev->accuracy, rk_exp_target_accuracy(m, ev));
    else
        fprintf(f, " – | – |");
}

static const char *compare(double x, double y)
{
    return x > y ? "better" : x < y ? "worse" : "the same";
}

void rk_exp_report_rules(FILE *f, const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (!a->have_rules)
        return;
    const rk_rank_choice *c = &a->rules;
    fprintf(f, "## How low can the rank go? The rank rules on ΔW_full\n\n"
               "Every rank rule of ranklab's docs/concepts/rank-rules.md at its "
               "default parameter picks r per layer from that layer's spectrum of ΔW_full; `budget:P` "
               "shares P = the parameters of LoRA r = %d on every layer among the layers, greedily by "
               "σ²/(Out + In) (`rk_rule_budget`). Each row is evaluated as W0 + [ΔW_full]_r, the "
               "truncated SVD as a LoRA side path (`rk_rank_choice_evaluate`). Energy = Σ_{i≤r} σ_i² / "
               "Σ σ_i² of the layer.\n\n| rule |", RK_EXP_RULES_UNIFORM);
    for (size_t l = 0; l < c->n_layers; l++)
        fprintf(f, " %s r (energy) |", m->names[l]);
    fprintf(f, " params | accuracy | target class |\n|---|");
    for (size_t l = 0; l < c->n_layers + 3; l++)
        fprintf(f, "---:|");
    fprintf(f, "\n");
    for (size_t i = 0; i < c->n_rows; i++) {
        const rk_rank_choice_row *row = &c->rows[i];
        fprintf(f, "| `%s` |", row->name);
        for (size_t l = 0; l < c->n_layers; l++)
            fprintf(f, " %zu (%.3f) |", row->rank[l], row->energy[l]);
        fprintf(f, " %zu |", row->params);
        acc_cells(f, m, &row->eval);
        fprintf(f, "\n");
    }
    const rk_rank_choice_row *u = &c->rows[a->rules_uniform], *b = &c->rows[a->rules_budget];
    fprintf(f, "\n`%s` against uniform `%s`: %zu against %zu parameters, %.4f against %.4f of "
               "ΔW_full's energy (greedy's shortfall bound %.3g).", b->name, u->name, b->params, u->params,
            rk_exp_rules_energy(a, a->rules_budget), rk_exp_rules_energy(a, a->rules_uniform), b->shortfall);
    if (u->eval.n_classes && b->eval.n_classes) {
        double bt = rk_exp_target_accuracy(m, &b->eval), ut = rk_exp_target_accuracy(m, &u->eval);
        fprintf(f, " The budget's target-class accuracy is %s (%.4f against %.4f), its all-class "
                   "accuracy %s (%.4f against %.4f).", compare(bt, ut), bt, ut,
                compare(b->eval.accuracy, u->eval.accuracy), b->eval.accuracy, u->eval.accuracy);
    }
    fprintf(f, "\n\n");
}

json_t *rk_exp_rules_json(const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (!a->have_rules)
        return json_null();
    const rk_rank_choice *c = &a->rules;
    json_t *rows = json_array();
    for (size_t i = 0; rows && i < c->n_rows; i++) {
        const rk_rank_choice_row *row = &c->rows[i];
        json_t *o = json_object(), *ranks = json_array(), *energy = json_array(), *rel = json_array();
        for (size_t l = 0; ranks && energy && rel && l < c->n_layers; l++) {
            json_array_append_new(ranks, json_integer((json_int_t)row->rank[l]));
            json_array_append_new(energy, json_real(row->energy[l]));
            json_array_append_new(rel, json_real(row->rel_err[l]));
        }
        json_object_set_new(o, "rule", json_string(row->name));
        json_object_set_new(o, "ranks", ranks);
        json_object_set_new(o, "energy_kept", energy);
        json_object_set_new(o, "rel_err", rel);
        json_object_set_new(o, "params", json_integer((json_int_t)row->params));
        json_object_set_new(o, "energy_kept_total", json_real(rk_exp_rules_energy(a, i)));
        json_object_set_new(o, "accuracy", row->eval.n_classes ? json_real(row->eval.accuracy) : json_null());
        double t = rk_exp_target_accuracy(m, &row->eval);
        json_object_set_new(o, "target_accuracy", row->eval.n_classes && isfinite(t) ? json_real(t) : json_null());
        if (row->rule.kind == RK_RULE_BUDGET)
            json_object_set_new(o, "budget_shortfall_bound", json_real(row->shortfall));
        if (!o || json_array_append_new(rows, o)) {
            json_decref(rows);
            return NULL;
        }
    }
    return rows;
}
