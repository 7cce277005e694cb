/*
 * cli_rule.h — the rank-rule options shared by extract, resize, svd and
 * delta: --rank-rule RULE and --max-rank R (parsed by lib/linalg/rankrule.h),
 * and the table of every rule's rank at its default parameter (`--rules`).
 */
#ifndef RK_TOOLS_CLI_RULE_H
#define RK_TOOLS_CLI_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include <getopt.h>
#include <jansson.h>

#include "ranklab.h"

/** Parse `--rank-rule @p arg` into @p rule; a usage error naming the rule and the accepted forms. */
int cli_rule_option(const char *cmd, const char *arg, rk_rank_rule *rule);

/** Parse `--max-rank @p arg` (an integer >= 1) into @p max_rank; a usage error otherwise. */
int cli_max_rank_option(const char *cmd, const char *arg, size_t *max_rank);

/** The rank options of a command that writes an adapter: --rank-rule, -r/--rank, --max-rank. */
typedef struct cli_rank_opts {
    rk_rank_rule rule;   /**< --rank-rule RULE, or fixed:R from --rank R */
    bool have_rule;      /**< one of them was given */
    size_t max_rank;     /**< --max-rank R, 0: no cap */
} cli_rank_opts;

enum { CLI_OPT_RANK_RULE = 1301, CLI_OPT_MAX_RANK };

/** Their getopt_long entries (-r is also a short option: "r:"), to put in a command's option table. */
#define CLI_RANK_LONGOPTS                                                                      \
    { "rank-rule", required_argument, NULL, CLI_OPT_RANK_RULE },                               \
        { "rank", required_argument, NULL, 'r' },                                              \
        { "max-rank", required_argument, NULL, CLI_OPT_MAX_RANK }

/**
 * Handle getopt_long's @p c when it is one of CLI_RANK_LONGOPTS, as a
 * cli_option_fn does (tools/cli.h): RK_EXIT_OK, the usage error's status,
 * or CLI_OPT_UNKNOWN when @p c is another option. `--rank R` is parsed as
 * `--rank-rule fixed:R`.
 */
int cli_rank_option(const char *cmd, int c, const char *arg, cli_rank_opts *o);

/**
 * Every matrix's rank by @p rule (capped by @p max_rank, 0: no cap): each
 * on its own, or all together for budget:P (*@p spent and *@p shortfall then
 * receive rk_rule_budget's spend and bound; 0 otherwise). @p spectra (n) hold
 * whole spectra; @p names (n) name them in messages. P below one rank-1
 * adapter of the smallest matrix is a runtime error saying so. Exit status
 * (messages printed, naming @p file).
 */
int cli_rule_ranks(const char *cmd, const char *file, const rk_rank_rule *rule, size_t max_rank,
                   const rk_rule_spectrum *spectra, const char *const *names, size_t n, size_t *ranks,
                   size_t *spent, double *shortfall);

/** Every default rule's rank (and its threshold on σ where it has one) for one m×n spectrum. */
typedef struct cli_rule_row {
    char rule[48];        /**< "energy:0.9" */
    size_t rank;          /**< the rule's rank */
    double sigma;         /**< σ threshold (sv_ratio, gd), NaN for the rules on sums */
    double energy;        /**< Σ_{i≤rank} σ_i² / Σ σ_i² */
} cli_rule_row;

/** Fill @p rows (room for rk_rule_defaults() rows) for the whole spectrum s[0..k) of an m×n matrix; returns the count. */
size_t cli_rule_rows(const double *s, size_t k, size_t m, size_t n, cli_rule_row *rows);

/** Print the table of cli_rule_rows() (text output of `--rules`). */
void cli_rule_print(const double *s, size_t k, size_t m, size_t n);

/** A JSON array of the rows: [{"rule", "rank", "threshold" (σ or null), "energy_kept"}]; NULL when out of memory. */
json_t *cli_rule_json(const double *s, size_t k, size_t m, size_t n);

/**
 * The thresholds of the default rules as scree-plot marks (lib/plot/plot.h):
 * a horizontal line σ = threshold for sv_ratio and gd, a vertical line at the
 * rank for the rules on sums; @p names holds their labels. Returns the count.
 */
size_t cli_rule_marks(const double *s, size_t k, size_t m, size_t n, rk_plot_mark *marks,
                      char (*names)[96]);

#endif
