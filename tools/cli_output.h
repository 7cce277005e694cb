/*
 * cli_output.h — how every ranklab command treats its outputs (the rules are
 * in lib/io/output.h and docs/tools/README.md "Outputs"): each output is
 * checked, and a folder output started, before any work; an empty name is a
 * usage error; two outputs naming one file are refused; SIGINT, SIGTERM and
 * SIGHUP remove the temporaries before the process ends.
 */
#ifndef RK_TOOLS_CLI_OUTPUT_H
#define RK_TOOLS_CLI_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "ranklab.h"

/**
 * The names ranklab writes into an output folder (shell patterns): an
 * existing folder is replaced only when every entry matches one of them.
 */
extern const char *const cli_output_owned[];

/**
 * Install the handlers of SIGINT, SIGTERM and SIGHUP that remove live
 * temporaries, then end the process by that signal. Call it from the thread
 * that writes the outputs: a signal that lands on another thread is handed
 * to this one.
 */
void cli_output_signals(void);

/**
 * Check the single-file output @p path of option @p opt before any work:
 * empty → usage error (exit 2); a directory, a missing folder, … → "ranklab
 * CMD: PATH: problem" (exit 1). RK_EXIT_OK when it can be written.
 */
int cli_output_check(const char *cmd, const char *opt, const char *path);

/**
 * Check the --plot file @p path before any work, as cli_output_check; a
 * FIFO or device is refused too, because a plot file is written with its
 * data (.dat) and gnuplot script (.gp) beside it. "-" (the terminal) passes.
 */
int cli_output_plot_check(const char *cmd, const char *path);

/**
 * Refuse two outputs naming one file: @p n paths (NULL entries skipped) with
 * the option that gave each; exit 2 naming both. RK_EXIT_OK when distinct.
 */
int cli_output_distinct(const char *cmd, const char *const *paths, const char *const *opts, size_t n);

/**
 * Start the folder output @p path of option @p opt (rk_out_dir_open with
 * cli_output_owned): empty → usage error; otherwise exit 1 naming the
 * problem. Write into d->tmp_path, then cli_output_dir_commit.
 */
int cli_output_dir_open(const char *cmd, const char *opt, const char *path, rk_out_dir *d);

/**
 * Refuse an input (@p input given by option @p opt; NULL passes) that is the
 * output folder @p out or lies inside it: the folder is replaced whole, so
 * the input would be removed. Usage error (exit 2) naming both.
 */
int cli_output_not_inside(const char *cmd, const char *out, const char *opt, const char *input);

/** Swap the finished folder in (rk_out_dir_commit); exit 1 naming @p path on failure. */
int cli_output_dir_commit(const char *cmd, const char *path, rk_out_dir *d);

/** "DIR/NAME" into a new string (free()), or NULL when out of memory. */
char *cli_output_join(const char *dir, const char *name);

#endif
