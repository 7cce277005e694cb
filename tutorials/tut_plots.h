/*
 * tut_plots.h — pictures for the tutorial executables: images as text
 * (a character per block of pixels), PGM files, and gnuplot plots through
 * lib/plot when the library has it (terminal plots through tut_plot(), PNG
 * files in --out DIR). Without lib/plot the plot calls print one line
 * saying so; the numbers printed next to them carry the lesson.
 */
#ifndef RK_TUTORIALS_TUT_PLOTS_H
#define RK_TUTORIALS_TUT_PLOTS_H

#include "runner.h"

/**
 * Print the block of @p m starting at (r0, c0), @p nrows × @p ncols, as text:
 * one character per @p rstep × @p cstep pixels (their mean), on the ramp
 * " .:-=+*#%@" from 0 (black) to 1 (white); values are clamped to [0, 1].
 */
void tut_ascii_image(tut_runner *t, const rk_mat *m, size_t r0, size_t c0, size_t nrows,
                     size_t ncols, size_t rstep, size_t cstep);

/**
 * The top-left @p side × @p side block of each of the @p n matrices, side by
 * side as many as fit in 80 columns, one character per 4×2 pixels (rows ×
 * columns: a character is about twice as tall as wide), each under its name.
 */
void tut_ascii_panels(tut_runner *t, const rk_mat *const *panels, const char *const *names,
                      size_t n, size_t side);

/** Write @p m as a binary PGM (P5, maxval 255): round(255·clamp(x, 0, 1)); atomic. */
rk_status tut_write_pgm(const char *path, const rk_mat *m, rk_err *err);

/**
 * The scree plot of @p s (k values) with the rank tolerance @p tol: in the
 * terminal (tut_plot, gnuplot dumb), and as DIR/NAME.png with --out DIR.
 */
void tut_scree(tut_runner *t, const double *s, size_t k, double tol, const char *title,
               const char *name);

/**
 * Several spectra on one scree plot with their cumulative energies: in the
 * terminal and as DIR/NAME.png with --out DIR.
 */
void tut_spectra(tut_runner *t, const char *const *names, const double *const *s,
                 const size_t *k, size_t n, const char *title, const char *name);

/** Draw @p spec in the terminal (tut_plot) and, with --out DIR, as DIR/NAME.png. */
void tut_show_plot(tut_runner *t, rk_plot_spec *spec, const char *name);

/**
 * @p img as a grayscale picture titled @p title in DIR/NAME.png (with --out
 * DIR; range [0, 1]). Prints nothing when it works (the caller says what it
 * wrote), one line when it cannot.
 * @return true when DIR/NAME.png was written.
 */
bool tut_image_png(tut_runner *t, const rk_mat *img, const char *name, const char *title);

#endif
