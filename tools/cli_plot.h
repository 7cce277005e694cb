/*
 * cli_plot.h — the --plot FILE.png|FILE.svg|- and --format png|svg options
 * shared by the commands that draw (svd, delta), through lib/plot/plot.h.
 *
 * A missing or failing gnuplot is not fatal: the command says so on stderr,
 * names the data file that was written anyway, and finishes with exit 0
 * (the numbers it printed are still right).
 */
#ifndef RK_TOOLS_CLI_PLOT_H
#define RK_TOOLS_CLI_PLOT_H

#include <stdbool.h>

#include <getopt.h>

#include "ranklab.h"

/** --plot FILE and --format FMT as given (NULL when not). */
typedef struct cli_plot_opts {
    const char *plot;
    const char *format;
} cli_plot_opts;

enum { CLI_OPT_PLOT = 1401, CLI_OPT_FORMAT };

/** Their getopt_long entries, to put in a command's option table. */
#define CLI_PLOT_LONGOPTS                                                                      \
    { "plot", required_argument, NULL, CLI_OPT_PLOT }, { "format", required_argument, NULL, CLI_OPT_FORMAT }

/**
 * Record getopt_long's @p c when it is one of CLI_PLOT_LONGOPTS, as a
 * cli_option_fn does (tools/cli.h): RK_EXIT_OK, or CLI_OPT_UNKNOWN when @p c
 * is another option. The values are checked by cli_plot_options().
 */
int cli_plot_option(int c, const char *arg, cli_plot_opts *o);

/**
 * Fill @p out for `--plot @p arg` with an optional `--format @p format`
 * (NULL when not given): "-" draws in the terminal (on stdout), "*.svg" or
 * --format svg writes SVG, anything else PNG. Returns RK_EXIT_OK or a usage
 * error (unknown format, --format with "-", empty name).
 */
int cli_plot_prepare(const char *cmd, const char *arg, const char *format, rk_plot_out *out);

/**
 * Check a command's --plot/--format/--json combination and prepare @p out:
 * --format without --plot, and `--plot -` with --json (both on stdout), are
 * usage errors; then as cli_plot_prepare(). With @p plot NULL nothing is done.
 */
int cli_plot_options(const char *cmd, const char *plot, const char *format, bool json,
                     rk_plot_out *out);

/**
 * Before a scree plot of FILE @p file's singular values, the largest being
 * @p sigma1: when it is 0 there is nothing to draw on a log axis, so say so
 * ("ranklab CMD: FILE: no plot: ...") and return RK_EXIT_RUNTIME; otherwise
 * put an empty line before a terminal plot that follows text (@p quiet false),
 * flush stdout and return RK_EXIT_OK.
 */
int cli_plot_scree_begin(const char *cmd, const char *file, double sigma1, const rk_plot_out *out,
                         bool quiet);

/**
 * Report the outcome @p s of drawing to @p out: RK_OK → RK_EXIT_OK, nothing
 * printed (with @p quiet false, a line "plot  FILE (data FILE.dat, script
 * FILE.gp)" goes to stdout for files); RK_EPLOT → the message and the data
 * file on stderr, RK_EXIT_OK; other errors → "ranklab CMD: FILE: problem",
 * RK_EXIT_RUNTIME.
 */
int cli_plot_finish(const char *cmd, const rk_plot_out *out, rk_status s, const rk_err *err,
                    bool quiet);

#endif
