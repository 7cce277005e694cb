/*
 * exp_cli.h — what `ranklab demo` and `ranklab compare` share: the progress
 * display of the experiment and the writing of its outputs (results.json,
 * plots with their data, report.md), so demo = runs + compare.
 */
#ifndef RK_TOOLS_EXP_CLI_H
#define RK_TOOLS_EXP_CLI_H

#include <stdbool.h>

#include "ranklab.h"

/**
 * `--format F` of demo and compare: png or svg (rk_plot_format_parse(); the
 * terminal is no format for a report). RK_EXIT_OK, or the usage error printed.
 */
int exp_parse_format(const char *cmd, const char *arg, rk_plot_format *format);

/** Progress state: phase lines on stderr (a redrawn line on a terminal). */
typedef struct exp_progress {
    bool quiet;            /**< print nothing */
    bool tty;              /**< stderr is a terminal */
    double t0;             /**< start of the run */
    char phase[64];        /**< current phase */
} exp_progress;

/** Start @p p for a run begun at @p t0 (nn_cli_now()): quiet or not, stderr a terminal or not. */
void exp_progress_start(exp_progress *p, bool quiet, double t0);

/** The rk_exp_progress_fn that prints to stderr; ctx is an exp_progress. */
int exp_progress_cb(const char *phase, const rk_train_progress *tp, void *ctx);

/**
 * Write results.json, the plots (PNG or SVG) and report.md into @p out for
 * @p cfg, @p m and @p a; the report records @p command and @p data_dir.
 * Prints "ranklab CMD: FILE: problem" and returns RK_EXIT_RUNTIME on a
 * failure; a missing gnuplot is only a warning.
 */
int exp_write_outputs(const char *cmd, const char *out, rk_plot_format format, const rk_exp_config *cfg,
                      const rk_exp_models *m, const rk_exp_analysis *a,
                      const rk_exp_report_info *info);

/**
 * The last phase of demo and compare: "plots and report" on the progress
 * line @p prog (ended with a newline unless quiet), info->total_seconds set
 * from prog->t0, the outputs written by exp_write_outputs() into the folder
 * being built @p od, the summary table on stdout unless @p json
 * (exp_print_summary), the folder put in place at @p out, then with @p json
 * the JSON line (exp_print_json). Returns an exit status; the caller prints
 * its closing line when it is RK_EXIT_OK and not @p json.
 */
int exp_finish(const char *cmd, exp_progress *prog, rk_out_dir *od, const char *out, rk_plot_format format,
               const rk_exp_config *cfg, const rk_exp_models *m, const rk_exp_analysis *a,
               rk_exp_report_info *info, bool json);

/**
 * `--json` of demo and compare: one line with where the results are (output,
 * report, results — the full figures are in results.json) and the headline
 * figures: target_class, pretrained and full accuracy (all classes and the
 * target), and per LoRA run its label, rank, params, accuracies and per layer
 * rel_err and the Eckart–Young bound ey_rel_err; seconds of the whole run.
 */
int exp_print_json(const char *cmd, const char *out, const rk_exp_models *m,
                   const rk_exp_analysis *a, double seconds);

/** Print the main table (per rank: accuracy, target accuracy, rel_err vs EY per layer) to stdout. */
void exp_print_summary(const rk_exp_models *m, const rk_exp_analysis *a);

/** The command line as one string, for the report (static buffer). */
const char *exp_command_line(int argc, char **argv);

#endif
