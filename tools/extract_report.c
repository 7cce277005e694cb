/* extract_report.c — what `ranklab extract` prints: the text table and the --json object. */
#include "extract.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"

size_t extract_common_rank(const extract_item *items, size_t n)
{
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = 0;
        for (size_t j = 0; j < n; j++)
            count += items[j].r == items[i].r;
        if (count > best_count || (count == best_count && items[i].r < best))
            best = items[i].r, best_count = count;
    }
    return best;
}

static int extract_item_json(json_t *m, const extract_item *it)
{
    json_t *sv = json_array();
    int bad = !sv;
    for (size_t j = 0; !bad && j < it->n_sv; j++)
        bad |= json_array_append_new(sv, json_real(it->sv[j]));
    bad |= json_object_set_new(m, "rank", json_integer((json_int_t)it->r));
    bad |= json_object_set_new(m, "lora_alpha", json_real(it->alpha));
    bad |= json_object_set_new(m, "scale", json_real(it->alpha / (double)it->r));
    bad |= json_object_set_new(m, "rel_err", json_real(it->row.rel_err));
    bad |= json_object_set_new(m, "singular_values", sv);
    return bad;
}

static int extract_rule_json(json_t *obj, const extract_opts *o)
{
    char rule[64];
    rk_rule_format(&o->rank.rule, rule, sizeof rule);
    int bad = json_object_set_new(obj, "rule", json_string(rule));
    bad |= json_object_set_new(obj, "max_rank", o->rank.max_rank ? json_integer((json_int_t)o->rank.max_rank) : json_null());
    if (o->rank.rule.kind == RK_RULE_BUDGET) {
        bad |= json_object_set_new(obj, "budget_spent", json_integer((json_int_t)o->plan->spent));
        bad |= json_object_set_new(obj, "budget_shortfall_bound", json_real(o->plan->shortfall));
    }
    return bad;
}

static void extract_rule_print_head(const extract_opts *o, const extract_item *items, size_t n)
{
    char v[64], note[160];
    rk_rule_format(&o->rank.rule, v, sizeof v);
    cli_print_row("rule", v, rk_rule_formula(o->rank.rule.kind));
    if (o->rank.max_rank) {
        snprintf(v, sizeof v, "%zu", o->rank.max_rank);
        cli_print_row("max rank", v, NULL);
    }
    size_t r = extract_common_rank(items, n);
    snprintf(v, sizeof v, "%zu", r);
    cli_print_row("adapter r", v, "(the most common rank; rank_pattern names the others)");
    if (o->have_alpha) {
        snprintf(v, sizeof v, "%g", o->alpha);
        cli_print_row("lora_alpha", v, "(every module; scale s = alpha / r)");
    } else {
        cli_print_row("lora_alpha", "r", "(each module's rank: scale s = 1, s * B * A = [dW]_r)");
    }
    if (o->rank.rule.kind == RK_RULE_BUDGET) {
        snprintf(v, sizeof v, "%zu of %zu", o->plan->spent, o->rank.rule.count);
        cli_print_row("budget spent", v, "(sum of r (m + n) over the modules)");
        snprintf(v, sizeof v, "%.6g", o->plan->shortfall);
        snprintf(note, sizeof note, "(greedy keeps at most this much energy less than the best choice)");
        cli_print_row("greedy shortfall", v, note);
    }
}

static void extract_rule_print_item(const extract_item *it)
{
    char v[64], note[64];
    snprintf(v, sizeof v, "%zu", it->r);
    cli_print_row("rank", v, NULL);
    snprintf(v, sizeof v, "%g", it->alpha);
    snprintf(note, sizeof note, "(scale s = %g)", it->alpha / (double)it->r);
    cli_print_row("lora_alpha", v, note);
}

void extract_print(const extract_opts *o, const cli_pairs *p, const extract_item *items, size_t n,
                   const cli_skip *sk, size_t n_sk)
{
    char v[64], note[160];
    printf("base              %s\n", o->ck.base);
    printf("finetuned         %s\n", o->ck.ft);
    if (o->plan) {
        extract_rule_print_head(o, items, n);
    } else {
        double alpha = o->have_alpha ? o->alpha : (double)extract_fixed_rank(o);
        snprintf(v, sizeof v, "%zu", extract_fixed_rank(o));
        cli_print_row("rank R", v, NULL);
        snprintf(v, sizeof v, "%g", alpha);
        snprintf(note, sizeof note, "(scale s = alpha / R = %g; s * B * A = [dW]_R)", alpha / (double)extract_fixed_rank(o));
        cli_print_row("lora_alpha", v, note);
    }
    if (p->safetensors)
        printf("%-18s%zu extracted, %zu skipped\n", "tensors", n, p->n_skipped + n_sk);
    if (p->n_unselected)
        printf("%-18s%zu not selected by --modules %s\n", "", p->n_unselected, o->ck.modules);
    for (size_t i = 0; i < p->n_skipped; i++)
        printf("  skipped         %s: %s\n", cli_name(p->skipped[i].name), p->skipped[i].reason);
    for (size_t i = 0; i < n_sk; i++)
        printf("  skipped         %s: %s\n", cli_name(sk[i].name), sk[i].reason);
    for (size_t i = 0; i < n; i++) {
        const extract_item *it = &items[i];
        printf("\n");
        printf("module            %s\n", cli_name(it->module));
        if (it->tensor)
            printf("tensor            %s\n", cli_name(it->tensor));
        snprintf(v, sizeof v, "%zu x %zu", it->m, it->n);
        snprintf(note, sizeof note, "(B: %zu x %zu, A: %zu x %zu)", it->m, it->r, it->r, it->n);
        cli_print_row("shape of dW", v, note);
        if (o->plan)
            extract_rule_print_item(it);
        if (it->randomized)
            printf("%-18srandomized SVD (Halko–Martinsson–Tropp), top %zu of min(m,n) = %zu; "
                   "--exact to force the full SVD\n", "method", it->r, it->m < it->n ? it->m : it->n);
        snprintf(v, sizeof v, "%.10g", it->norm);
        cli_print_row("||dW||_F", v, NULL);
        snprintf(v, sizeof v, "%.10g", it->row.fro_err);
        cli_print_row("error left", v, it->randomized ? "(||dW - B*A||_F = sqrt(||dW||_F^2 - sum_{i<=R} sigma_i^2))"
                                                      : "(||dW - [dW]_R||_F = sqrt(sum_{i>R} sigma_i^2))");
        snprintf(v, sizeof v, "%.6g", it->row.rel_err);
        cli_print_row("relative error", v, "(error left / ||dW||_F)");
        snprintf(v, sizeof v, "%.10f", it->row.energy);
        cli_print_row("energy kept", v, it->randomized ? "(sum_{i<=R} sigma_i^2 / ||dW||_F^2)"
                                                       : "(sum_{i<=R} sigma_i^2 / sum sigma_i^2)");
        snprintf(v, sizeof v, "%.6g", it->written_err);
        cli_print_row("written error", v, "(||dW - s*B*A||_F with the float32 factors)");
        snprintf(v, sizeof v, "%zu", it->row.params);
        snprintf(note, sizeof note, "(R*(m+n), against m*n = %zu)", it->m * it->n);
        cli_print_row("parameters", v, note);
    }
    printf("\n%-18s%s/adapter_config.json, %s/adapter_model.safetensors\n", "wrote", o->out, o->out);
}

json_t *extract_json(const extract_opts *o, const cli_pairs *p, const extract_item *items,
                     size_t n, const cli_skip *sk, size_t n_sk)
{
    json_t *obj = json_object(), *mods = json_array(), *skipped = json_array();
    int bad = !obj || !mods || !skipped;
    bad |= json_object_set_new(obj, "base", json_string(o->ck.base));
    bad |= json_object_set_new(obj, "finetuned", json_string(o->ck.ft));
    bad |= json_object_set_new(obj, "output", json_string(o->out));
    size_t r = extract_common_rank(items, n); /* the adapter's r */
    double alpha = o->have_alpha ? o->alpha : (double)r;
    bad |= json_object_set_new(obj, "rank", json_integer((json_int_t)r));
    bad |= json_object_set_new(obj, "lora_alpha", json_real(alpha));
    bad |= json_object_set_new(obj, "scale", json_real(alpha / (double)r));
    bad |= extract_rule_json(obj, o);
    for (size_t i = 0; i < n; i++) {
        const extract_item *it = &items[i];
        json_t *m = json_object(), *shape = json_array();
        bad |= !m || !shape;
        bad |= json_object_set_new(m, "name", json_string(it->module));
        bad |= json_object_set_new(m, "tensor", it->tensor ? json_string(it->tensor) : json_null());
        bad |= json_array_append_new(shape, json_integer((json_int_t)it->m));
        bad |= json_array_append_new(shape, json_integer((json_int_t)it->n));
        bad |= json_object_set_new(m, "shape", shape);
        bad |= json_object_set_new(m, "method", json_string(it->randomized ? "randomized" : "exact"));
        bad |= json_object_set_new(m, "frobenius_norm", json_real(it->norm));
        bad |= json_object_set_new(m, "frobenius_error", json_real(it->row.fro_err));
        bad |= json_object_set_new(m, "relative_error", json_real(it->row.rel_err));
        bad |= json_object_set_new(m, "energy_kept", json_real(it->row.energy));
        bad |= json_object_set_new(m, "written_error", json_real(it->written_err));
        bad |= json_object_set_new(m, "params", json_integer((json_int_t)it->row.params));
        bad |= extract_item_json(m, it);
        bad |= json_array_append_new(mods, m);
    }
    for (size_t i = 0; i < p->n_skipped + n_sk; i++) {
        const cli_skip *s = i < p->n_skipped ? &p->skipped[i] : &sk[i - p->n_skipped];
        bad |= cli_skip_append_json(skipped, s);
    }
    bad |= json_object_set_new(obj, "modules", mods);
    bad |= json_object_set_new(obj, "skipped", skipped);
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

