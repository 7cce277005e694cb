/* cli_rule.c — --rank-rule, --max-rank and the `--rules` table (lib/linalg/rankrule.h). */
#include "cli_rule.h"

#include <math.h>
#include <stdio.h>

#include "cli.h"

int cli_rule_option(const char *cmd, const char *arg, rk_rank_rule *rule)
{
    rk_err err;
    rk_err_clear(&err);
    if (rk_rule_parse(arg, rule, &err) != RK_OK)
        return cli_usage_error(cmd, "--rank-rule: %s", err.msg);
    return RK_EXIT_OK;
}

int cli_max_rank_option(const char *cmd, const char *arg, size_t *max_rank)
{
    if (!cli_parse_size(arg, SIZE_MAX, max_rank) || *max_rank < 1)
        return cli_usage_error(cmd, "--max-rank wants an integer >= 1, not '%s'", arg);
    return RK_EXIT_OK;
}

int cli_rank_option(const char *cmd, int c, const char *arg, cli_rank_opts *o)
{
    char fixed[64];
    switch (c) {
    case 'r':
        snprintf(fixed, sizeof fixed, "fixed:%s", arg);
        arg = fixed;
        /* fall through */
    case CLI_OPT_RANK_RULE:
        o->have_rule = true;
        return cli_rule_option(cmd, arg, &o->rule);
    case CLI_OPT_MAX_RANK:
        return cli_max_rank_option(cmd, arg, &o->max_rank);
    default:
        return CLI_OPT_UNKNOWN;
    }
}

int cli_rule_ranks(const char *cmd, const char *file, const rk_rank_rule *rule, size_t max_rank,
                   const rk_rule_spectrum *spectra, const char *const *names, size_t n, size_t *ranks,
                   size_t *spent, double *shortfall)
{
    *spent = 0;
    *shortfall = 0.0;
    if (rule->kind != RK_RULE_BUDGET) {
        for (size_t i = 0; i < n; i++) {
            const rk_rule_spectrum *sp = &spectra[i];
            rk_status st = rk_rule_rank(rule, sp->s, sp->k, sp->m, sp->n, max_rank, &ranks[i]);
            if (st != RK_OK)
                return cli_fail(cmd, names[i], st, NULL);
        }
        return RK_EXIT_OK;
    }
    rk_status st = rk_rule_budget(spectra, n, rule->count, max_rank, ranks, spent, shortfall);
    if (st == RK_ERANGE) {
        size_t cheapest = 0;
        for (size_t i = 1; i < n; i++)
            if (spectra[i].m + spectra[i].n < spectra[cheapest].m + spectra[cheapest].n)
                cheapest = i;
        fprintf(stderr, "ranklab %s: budget:%zu is less than one rank-1 adapter of the smallest module "
                "(%s: m + n = %zu parameters)\n", cmd, rule->count, names[cheapest],
                spectra[cheapest].m + spectra[cheapest].n);
        return RK_EXIT_RUNTIME;
    }
    return st == RK_OK ? RK_EXIT_OK : cli_fail(cmd, file, st, NULL);
}

size_t cli_rule_rows(const double *s, size_t k, size_t m, size_t n, cli_rule_row *rows)
{
    const rk_rank_rule *rules;
    size_t count = rk_rule_defaults(&rules);
    for (size_t i = 0; i < count; i++) {
        cli_rule_row *row = &rows[i];
        rk_rule_format(&rules[i], row->rule, sizeof row->rule);
        rk_rule_line line = { 0, 0 };
        row->rank = 0;
        if (rk_rule_rank(&rules[i], s, k, m, n, 0, &row->rank) != RK_OK ||
            rk_rule_line_for(&rules[i], s, k, m, n, &line) != RK_OK)
            line.vertical = 1;
        row->sigma = line.vertical ? NAN : line.at;
        row->energy = rk_spectrum_energy(s, k, row->rank);
    }
    return count;
}

void cli_rule_print(const double *s, size_t k, size_t m, size_t n)
{
    cli_rule_row rows[16];
    size_t count = cli_rule_rows(s, k, m, n, rows);
    const rk_rank_rule *rules;
    rk_rule_defaults(&rules);
    printf("rank rules at their default parameters (docs/concepts/rank-rules.md):\n");
    printf("  %-18s %6s  %-18s %-12s %s\n", "rule", "rank", "threshold", "energy kept", "the rule");
    for (size_t i = 0; i < count; i++) {
        char thr[40] = "-";
        if (!isnan(rows[i].sigma))
            snprintf(thr, sizeof thr, "sigma = %.4g", rows[i].sigma);
        printf("  %-18s %6zu  %-18s %-12.6f %s\n", rows[i].rule, rows[i].rank, thr, rows[i].energy,
               rk_rule_formula(rules[i].kind));
    }
}

json_t *cli_rule_json(const double *s, size_t k, size_t m, size_t n)
{
    cli_rule_row rows[16];
    size_t count = cli_rule_rows(s, k, m, n, rows);
    json_t *arr = json_array();
    int bad = !arr;
    for (size_t i = 0; !bad && i < count; i++) {
        json_t *o = json_object();
        bad |= !o;
        bad |= json_object_set_new(o, "rule", json_string(rows[i].rule));
        bad |= json_object_set_new(o, "rank", json_integer((json_int_t)rows[i].rank));
        bad |= json_object_set_new(o, "threshold", cli_json_real_or_null(rows[i].sigma));
        bad |= json_object_set_new(o, "energy_kept", json_real(rows[i].energy));
        bad |= json_array_append_new(arr, o);
    }
    if (bad) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

size_t cli_rule_marks(const double *s, size_t k, size_t m, size_t n, rk_plot_mark *marks,
                      char (*names)[96])
{
    cli_rule_row rows[16];
    size_t count = cli_rule_rows(s, k, m, n, rows), nm = 0;
    for (size_t i = 0; i < count; i++) {
        bool vertical = isnan(rows[i].sigma);
        if (vertical ? rows[i].rank < 1 : !(rows[i].sigma > 0))
            continue; /* nothing to draw: the zero matrix, or a threshold at σ = 0 */
        char rule[96];
        rk_plot_text_literal(rule, sizeof rule, rows[i].rule); /* sv_fro: '_' is not a subscript */
        int len = vertical ? snprintf(names[nm], 96, "%.60s: r = %zu", rule, rows[i].rank)
                           : snprintf(names[nm], 96, "%.60s: σ = %.3g (r = %zu)", rule, rows[i].sigma,
                                      rows[i].rank);
        if (len < 0)
            names[nm][0] = '\0';
        marks[nm] = (rk_plot_mark){ names[nm], vertical, vertical ? (double)rows[i].rank : rows[i].sigma };
        nm++;
    }
    return nm;
}
