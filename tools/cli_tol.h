/*
 * cli_tol.h — the --tol T / --rtol R options shared by the commands that
 * compute a numerical rank (svd, rank, delta), and how they describe the rule used.
 *
 *   default   rank = #{σ_i > σ₁·max(m,n)·ε}    (numpy.linalg.matrix_rank, MATLAB)
 *   --tol T   rank = #{σ_i > T}
 *   --rtol R  rank = #{σ_i > R·σ₁}
 *
 * The rank itself is computed by lib/linalg/rank.h (rk_rank_from_values).
 */
#ifndef RK_TOOLS_CLI_TOL_H
#define RK_TOOLS_CLI_TOL_H

#include <stdio.h>

#include <jansson.h>

#include "ranklab.h"

/** Long-option values of --tol and --rtol (outside the range of short options). */
enum { CLI_OPT_TOL = 1001, CLI_OPT_RTOL = 1002 };

/** Their getopt_long entries, to put in a command's option table. */
#define CLI_TOL_LONGOPTS                                                                       \
    { "tol", required_argument, NULL, CLI_OPT_TOL }, { "rtol", required_argument, NULL, CLI_OPT_RTOL }

/**
 * Record one --tol (@p opt = CLI_OPT_TOL) or --rtol (CLI_OPT_RTOL) with
 * argument @p arg into @p opts (initialised to {RK_TOL_DEFAULT, 0}).
 * The value must be a finite number ≥ 0, and --tol and --rtol exclude each
 * other. Returns RK_EXIT_OK, or prints a usage error and returns
 * RK_EXIT_USAGE; CLI_OPT_UNKNOWN (tools/cli.h) when @p opt is another option.
 */
int cli_tol_option(const char *cmd, rk_rank_opts *opts, int opt, const char *arg);

/** "default", "tol" or "rtol": the rule's name in JSON output. */
const char *cli_tol_rule_name(const rk_rank_opts *opts);

/** Print the rule in words, e.g. "default: sigma_1 * max(m, n) * eps" (no newline). */
void cli_tol_print_rule(FILE *f, const rk_rank_opts *opts);

/**
 * Add "tol", "tol_rule" and, for --tol/--rtol, "tol_option" (the value given)
 * to @p obj. Returns 0, or -1 when an allocation failed.
 */
int cli_tol_json(json_t *obj, const rk_rank_opts *opts, double tol_used);

#endif
