/*
 * plot_internal.h — the pieces of rk_plot_draw() (internal to lib/plot):
 * writing the data and the gnuplot script for a validated spec. One
 * direction only: plot.c → plot_script.c → plot_xy.c → plot_write.c.
 */
#ifndef RK_PLOT_INTERNAL_H
#define RK_PLOT_INTERNAL_H

#include <stdio.h>

#include "plot.h"

/** How the script reaches its data and where its picture goes. */
typedef struct rk_plot_script_ctx {
    rk_plot_format format;      /**< PNG, SVG or TERM */
    unsigned width;             /**< resolved width (pixels or characters) */
    unsigned height;            /**< resolved height (pixels or characters) */
    const char *output;         /**< PNG/SVG: file for `set output` */
    const char *data_file;      /**< data file to read, or NULL: the inline datablock $data */
    const rk_mat *term_z;       /**< TERM HEATMAP/IMAGE: the (maybe block-averaged) matrix drawn */
    size_t block_rows;          /**< TERM: rows of spec->z per character cell */
    size_t block_cols;          /**< TERM: columns of spec->z per character cell */
} rk_plot_script_ctx;

/** Write @p s as a gnuplot string expression in parentheses: single-quoted pieces, a quote as "'", control characters as spaces. */
void rk_plot_put_quoted(FILE *f, const char *s);

/**
 * Write the numbers of @p spec to @p f: for XY one block per series (x y),
 * blocks separated by two blank lines; for HEATMAP/IMAGE the matrix @p z
 * (spec->z, or a block-averaged copy) as plain rows. A header comment first.
 */
void rk_plot_write_data(FILE *f, const rk_plot_spec *spec, const rk_mat *z);

/** Write @p s quoted as a comment's text: plain (markup taken out), control characters as spaces. */
void rk_plot_put_comment(FILE *f, const char *s);

/** Write @p text quoted as the output shows it: enhanced markup in PNG/SVG, plain in the terminal. */
void rk_plot_put_text(FILE *f, const rk_plot_script_ctx *ctx, const char *text);

/** Write `set WHAT 'TEXT'` (TEXT as rk_plot_put_text()). */
void rk_plot_put_set(FILE *f, const rk_plot_script_ctx *ctx, const char *what, const char *text);

/** Write the data source of a plot command: the data file, or the inline datablock $data. */
void rk_plot_put_source(FILE *f, const rk_plot_script_ctx *ctx);

/** Write the settings and the plot command of an RK_PLOT_XY spec (plot_xy.c). */
void rk_plot_script_xy(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx);

/** Write the gnuplot script for @p spec (already validated) to @p f (plot_script.c). */
void rk_plot_write_script(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx);

#endif
