/*
 * cli_progress.h — progress of a long run over a checkpoint's modules, on
 * stderr: a bar redrawn in place when stderr is a terminal
 *
 *   [########............]  7/14  model.layers.0.self_attn.v_proj  3.1 s, ETA 3.0 s
 *
 * and one plain line per module otherwise (logs, pipes). Shown only when the
 * work is large enough to wait for (CLI_PROGRESS_MIN_ELEMENTS), so small runs
 * and the tests print nothing extra. The ETA assumes the rest costs what the
 * finished part did per element.
 */
#ifndef RK_TOOLS_CLI_PROGRESS_H
#define RK_TOOLS_CLI_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

/** Work (Σ m·n over the modules) from which progress is shown: one 4096×4096 matrix. */
#define CLI_PROGRESS_MIN_ELEMENTS ((size_t)1 << 24)

typedef struct cli_progress {
    const char *cmd;
    size_t n, total, done_elems;   /* modules, Σ m·n, Σ m·n finished */
    size_t current;                /* m·n of the module under way */
    double t0;                     /* start, seconds (monotonic) */
    bool on, tty;
} cli_progress;

/** Start: @p n modules of @p total elements in all; off when total is small or @p quiet. */
void cli_progress_begin(cli_progress *pr, const char *cmd, size_t n, size_t total, bool quiet);

/** Module @p i (0-based) of @p elems elements, called @p name, is starting. */
void cli_progress_step(cli_progress *pr, size_t i, const char *name, size_t elems);

/** All done: the bar's last state and a newline (terminal), or a summary line. */
void cli_progress_end(cli_progress *pr);

/** Seconds on the monotonic clock. */
double cli_now(void);

#endif
