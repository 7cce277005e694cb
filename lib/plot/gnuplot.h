/*
 * gnuplot.h — running gnuplot as a child process (internal to lib/plot).
 *
 * The script comes from a file given as gnuplot's standard input, what gnuplot
 * prints on standard output (the dumb terminal's drawing) comes back through
 * a pipe, and its standard error goes to an unlinked temporary file whose
 * first error line becomes the rk_err message. Nothing reaches the caller's
 * own stdout or stderr.
 */
#ifndef RK_PLOT_GNUPLOT_H
#define RK_PLOT_GNUPLOT_H

#include <stddef.h>
#include <stdio.h>

#include "../core/status.h"

/**
 * Run @p program (searched on PATH when it has no '/') with the option -d
 * (ignore the user's init file) on the script in @p script, read from its
 * current position to the end.
 * @param out     if not NULL, receives gnuplot's standard output (rk_alloc'd,
 *                NUL-terminated; *out_len bytes without the NUL)
 * @return RK_OK when gnuplot exits with status 0; RK_EPLOT when it cannot be
 *         started (message names the Debian package gnuplot-nox), exits with
 *         another status (message: gnuplot's first error line) or is killed;
 *         RK_EIO when a pipe or temporary file cannot be made; RK_ENOMEM.
 */
rk_status rk_gnuplot_run(const char *program, FILE *script, char **out, size_t *out_len,
                         rk_err *err);

#endif
