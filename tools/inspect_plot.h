/*
 * inspect_plot.h — `ranklab inspect --plot`: the singular values of every
 * module's ΔW on one log-scale scree plot (lib/plot/plot.h, rk_plot_spectra).
 */
#ifndef RK_TOOLS_INSPECT_PLOT_H
#define RK_TOOLS_INSPECT_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "ranklab.h"

/** Plots with more modules than this show the spread across modules instead of one curve each. */
enum { INSPECT_PLOT_MAX_CURVES = 16 };

/**
 * Draw @p spectra (one per module, named by the module; n ≥ 1) to @p arg:
 * FILE.png, FILE.svg (FILE.dat and FILE.gp beside it) or "-" (the terminal,
 * on stdout); @p format ("png", "svg" or NULL) overrides FILE's extension. When @p announce, one line on stdout names the files written.
 * gnuplot missing or failing, or nothing to draw (every ΔW is 0), is a
 * warning on stderr, not an error.
 * @return RK_EXIT_OK, or RK_EXIT_RUNTIME (message on stderr) when a file
 *         cannot be written or memory runs out.
 */
int inspect_plot(const char *arg, const char *format, const rk_plot_spectrum *spectra, size_t n,
                 bool announce);

#endif
