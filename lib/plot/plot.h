/**
 * @file
 * @ingroup plot
 * plot.h — plots drawn by gnuplot, run as a child process.
 *
 * One description of a plot (rk_plot_spec: title, axis labels, log scales,
 * series or a matrix) and one output (rk_plot_out: a PNG or SVG file, or the
 * terminal via gnuplot's dumb terminal) go to rk_plot_draw(). The library
 * writes the data and the gnuplot script, runs gnuplot and never prints:
 * the terminal drawing is handed back in a buffer or written to a FILE* the
 * caller gives.
 *
 * For an image output OUT.png (or OUT.svg) three files appear side by side:
 *
 *   OUT.dat   the numbers behind the plot, plain columns with a header comment
 *   OUT.gp    the gnuplot script; `gnuplot OUT.gp` draws OUT.png again
 *   OUT.png   the picture
 *
 * OUT.dat is written first, so it exists even when gnuplot is missing or
 * fails (rk_plot_draw then returns RK_EPLOT): a tool can warn and carry on.
 * All three are written atomically (lib/io/file.h).
 *
 * Kinds of plot:
 *   RK_PLOT_XY       lines/points of y against x, several series, optional log
 *                    axes, a second y axis, horizontal reference lines
 *                    (scree plots, error against rank);
 *   RK_PLOT_HEATMAP  a small matrix as coloured cells, i down and j across,
 *                    numbered from index_base (subspace similarity φ(i, j));
 *   RK_PLOT_IMAGE    a matrix as a grayscale picture, row 0 at the top
 *                    (a low-rank reconstruction of an image).
 *
 * Titles, labels and names are quoted for gnuplot so that no text can end
 * the string or start a command (quotes are doubled, control characters
 * become spaces). They are gnuplot enhanced text in PNG and SVG (σ_k,
 * ‖A‖_F^2, ΔW_{full}; rk_plot_text_literal() for names from files) and
 * plain text in the terminal; colours, dashes and points come from one
 * palette (lib/plot/style.h). What the picture leaves out is said in it:
 * values not drawn on a log axis are counted in their legend entry.
 */
#ifndef RK_PLOT_PLOT_H
#define RK_PLOT_PLOT_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "style.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a plot goes. */
typedef enum rk_plot_format {
    RK_PLOT_PNG = 0,  /**< PNG file: gnuplot's pngcairo terminal, or png when cairo is absent */
    RK_PLOT_SVG,      /**< SVG file: gnuplot's svg terminal */
    RK_PLOT_TERM      /**< text: gnuplot's dumb terminal */
} rk_plot_format;

/** What a plot shows. */
typedef enum rk_plot_kind {
    RK_PLOT_XY = 0,   /**< series of (x, y) points */
    RK_PLOT_HEATMAP,  /**< a small matrix as coloured cells with numbered rows/columns */
    RK_PLOT_IMAGE     /**< a matrix as a grayscale picture */
} rk_plot_kind;

/** How one series is drawn. */
typedef enum rk_plot_style {
    RK_PLOT_LINESPOINTS = 0,  /**< points joined by lines */
    RK_PLOT_LINES,            /**< lines only */
    RK_PLOT_POINTS            /**< points only */
} rk_plot_style;

/** One series of an RK_PLOT_XY plot. The arrays are read, never kept. */
typedef struct rk_plot_series {
    const char *name;       /**< legend entry (required) */
    const double *x;        /**< (n) abscissae, or NULL for 1, 2, …, n */
    const double *y;        /**< (n) ordinates; NaN/Inf are written as NaN and not drawn */
    size_t n;               /**< number of points, ≥ 1 */
    rk_plot_style style;    /**< how to draw it */
    bool y2;                /**< against the right-hand y axis (y2label, logy2) */
    int color;              /**< 0: the next free slot of the palette (lib/plot/style.h); k ≥ 1: slot k − 1, to pair series (same colour) */
    int dash;               /**< 0: the slot's dash pattern; k ≥ 1: gnuplot dashtype k (RK_PLOT_DASH_COMPANION for a companion curve) */
    bool reference;         /**< a reference series (W0 beside the updates of W0): grey, never a palette colour */
    double zero_tol;        /**< when > 0, values ≤ zero_tol are zeros to rounding: kept in the data file, not
                                 drawn, and the legend says how many. On a log axis values ≤ 0 are always so. */
} rk_plot_series;

/** A horizontal reference line y = value across an RK_PLOT_XY plot, with a legend entry. */
typedef struct rk_plot_hline {
    const char *name;       /**< legend entry (required) */
    double y;               /**< height; finite, and > 0 on a log axis */
    bool y2;                /**< against the right-hand y axis */
} rk_plot_hline;

/**
 * What to draw. Zero-initialise, then fill what the kind needs:
 *
 *   RK_PLOT_XY:      series/n_series (≥ 1), optionally hlines, y2label, log flags.
 *   RK_PLOT_HEATMAP: z (≥ 1×1), index_base, zlabel; zmin < zmax fixes the colour
 *                    range (e.g. [0, 1] for φ), otherwise it is the data's range.
 *   RK_PLOT_IMAGE:   z, zmin/zmax as for the heatmap (black = low, white = high).
 *
 * title, xlabel and ylabel are required for every kind: a plot without them
 * cannot be read. Say the unit or the scale in the label ("σ_k (log scale)").
 */
typedef struct rk_plot_spec {
    rk_plot_kind kind;              /**< what the plot shows */
    const char *title;              /**< title above the plot (required) */
    const char *xlabel;             /**< x axis label (required) */
    const char *ylabel;             /**< left y axis label (required) */
    const char *y2label;            /**< right y axis label; required when a series or line uses y2 */
    const char *zlabel;             /**< colour bar label (HEATMAP/IMAGE; NULL: "value") */
    bool logx;                      /**< log scale on x (XY only) */
    bool logy;                      /**< log scale on the left y axis (XY only) */
    bool logy2;                     /**< log scale on the right y axis (XY only) */
    double ymin;                    /**< XY: fixed left y range [ymin, ymax] when ymin < ymax, else automatic */
    double ymax;                    /**< see ymin */
    double y2min;                   /**< XY: fixed right y range [y2min, y2max] when y2min < y2max (e.g. [0, 1]) */
    double y2max;                   /**< see y2min */
    const rk_plot_series *series;   /**< (n_series) XY series */
    size_t n_series;                /**< number of series */
    const rk_plot_hline *hlines;    /**< (n_hlines) reference lines, may be NULL */
    size_t n_hlines;                /**< number of reference lines */
    const rk_mat *z;                /**< HEATMAP/IMAGE: the matrix, row i, column j; read only */
    double zmin;                    /**< colour range [zmin, zmax] when zmin < zmax, else the data's */
    double zmax;                    /**< see zmin */
    size_t index_base;              /**< HEATMAP: number of the first row and column (usually 1) */
} rk_plot_spec;

/**
 * Default sizes: pixels for PNG/SVG, characters for the terminal. Heatmaps
 * are taller, so that a 16 × 16 table's cell values stay ≥ 10 px high; an
 * XY picture grows by 22 px per legend entry past four (the legend sits
 * below the plot and must not squeeze it).
 */
enum { RK_PLOT_WIDTH = 800, RK_PLOT_HEIGHT = 500, RK_PLOT_HEATMAP_HEIGHT = 760,
       RK_PLOT_TERM_WIDTH = 79, RK_PLOT_TERM_HEIGHT = 24 };

/**
 * Where to draw. Zero-initialise, then set format and path (or term/text).
 *
 * PNG/SVG: path is the image file; PATH minus its extension plus ".dat" and
 * ".gp" name the data and script files beside it.
 * TERM: the drawing goes to @p term (if not NULL) and/or *text (if @p text is
 * not NULL; rk_alloc'd, NUL-terminated, free with rk_free). If path is not
 * NULL and not "-" its ".dat" file is written too (no script, no picture).
 */
typedef struct rk_plot_out {
    rk_plot_format format;  /**< PNG, SVG or TERM */
    const char *path;       /**< output file (PNG/SVG, required) or data base name (TERM, optional) */
    FILE *term;             /**< TERM: write the drawing here */
    char **text;            /**< TERM: receives the drawing */
    unsigned width;         /**< pixels or characters; 0 → the defaults above */
    unsigned height;        /**< pixels or characters; 0 → the defaults above */
    const char *gnuplot;    /**< program to run; NULL → $RANKLAB_GNUPLOT, else "gnuplot" on PATH */
} rk_plot_out;

/**
 * Draw @p spec to @p out: write the data file (and, for PNG/SVG, the script
 * and the picture), run gnuplot.
 * @return RK_OK; RK_EINVAL (a required field missing, a length of 0, a
 *         non-positive value on a log axis for a reference line, unknown
 *         enum, PNG/SVG without path, a size over 20000 pixels or 1000
 *         characters); RK_EIO/RK_ENOENT (a file could not be
 *         written; message says which); RK_ENOMEM; RK_EPLOT (gnuplot missing —
 *         the message names the Debian package gnuplot-nox — or gnuplot
 *         failed: the message carries its first error line). On RK_EPLOT the
 *         data file has been written; the picture has not.
 */
rk_status rk_plot_draw(const rk_plot_spec *spec, const rk_plot_out *out, rk_err *err);

/**
 * The scree plot of one spectrum: σ_k against k = 1…k on a log y axis, the
 * cumulative energy Σ_{i≤k} σ_i² / Σ σ_i² (0…1) on the right-hand axis, and
 * the rank tolerance as a horizontal line (σ_k above it count towards the
 * numerical rank, lib/linalg/rank.h). Zero singular values (≤ σ_max·k·ε)
 * cannot be drawn on a log axis: they stay in the data file and the energy
 * curve, and the legend says how many were left out.
 * @param s     (k) singular values, non-increasing, ≥ 0
 * @param k     number of values, ≥ 1
 * @param tol   rank tolerance; drawn when finite and > 0
 * @param title plot title (NULL: "Scree plot: singular values")
 * @return as rk_plot_draw(); RK_EINVAL also when every σ is 0 (nothing to draw on a log axis).
 */
rk_status rk_plot_scree(const double *s, size_t k, double tol, const char *title,
                        const rk_plot_out *out, rk_err *err);

/** One spectrum of a scree plot. The values are read, never kept. */
typedef struct rk_plot_spectrum {
    const char *name;       /**< legend entry, e.g. "ΔW_{full}" or "ΔW_{lora} r = 8" (required) */
    const double *s;        /**< (k) singular values, non-increasing, ≥ 0 */
    size_t k;               /**< number of values, ≥ 1 */
    bool reference;         /**< a reference (W0 beside its updates): drawn in grey */
} rk_plot_spectrum;

/** A threshold on a scree plot (a rank rule's, lib/linalg/rankrule.h), with a legend entry. */
typedef struct rk_plot_mark {
    const char *name;   /**< legend entry, enhanced text, e.g. "energy:0.9: r = 4" (required) */
    bool vertical;      /**< true: a vertical line at index k = at (a rank); false: σ = at */
    double at;          /**< the rank, or the singular value (> 0: the σ axis is logarithmic) */
} rk_plot_mark;

/** How rk_plot_spectra_with() draws; zero-initialise, then set what differs. */
typedef struct rk_plot_scree_opts {
    bool energy;            /**< each spectrum's cumulative energy on the right-hand axis */
    double tol;             /**< rank tolerance, drawn as a line when finite and > 0 */
    const char *tol_name;   /**< its legend entry (NULL: "rank tolerance T: σ above it count") */
    bool logx;              /**< log scale on k (spreads the first few values of long spectra) */
    bool energy_lines;      /**< with energy: lines at 90% and 99% (the ranks that keep that share) */
    const char *title;      /**< plot title (NULL: "Scree plot: singular values") */
    const rk_plot_mark *marks;  /**< (n_marks) thresholds: a σ line across, or a rank line upright */
    size_t n_marks;         /**< at most 8; a vertical one within [1, the first spectrum's k] */
} rk_plot_scree_opts;

/**
 * The scree plot of several spectra (ΔW_full, ΔW_lora at several r, W0…):
 * each σ_k against k on a shared log y axis; with @p energy, each one's
 * cumulative energy on the right-hand axis (0…1); the rank tolerance as a
 * horizontal line when @p tol is finite and > 0. A spectrum that is all
 * zeros (e.g. an untrained LoRA update, B = 0) stays in the data file and is
 * not drawn. Values ≤ σ_max·k·ε (what an SVD returns for an exact zero, ε the
 * double machine epsilon) stay in the data file and are not drawn; the
 * legend says how many. Each spectrum has its own colour (reference ones
 * grey); an energy curve takes its spectrum's colour, dashed.
 * @param spectra (n) spectra, 1 ≤ n ≤ 16
 * @param title   plot title (NULL: "Scree plot: singular values")
 * @return as rk_plot_draw(); RK_EINVAL also for a negative or non-finite σ
 *         (message names the spectrum) or when every σ of every spectrum is 0.
 */
rk_status rk_plot_spectra(const rk_plot_spectrum *spectra, size_t n, bool energy, double tol,
                          const char *title, const rk_plot_out *out, rk_err *err);

/**
 * rk_plot_scree() with thresholds (rank rules): each mark a labelled line,
 * horizontal (σ = at, like the tolerance) or vertical (k = at, over the whole
 * height drawn). As rk_plot_spectra_with() with one spectrum and its energy.
 * @return as rk_plot_scree(); RK_EINVAL also for more than 8 marks, a mark
 *         without a name, at σ ≤ 0 or not finite, or at a rank outside [1, k].
 */
rk_status rk_plot_scree_marked(const double *s, size_t k, double tol, const rk_plot_mark *marks,
                               size_t n_marks, const char *title, const rk_plot_out *out, rk_err *err);

/** rk_plot_spectra() with every option (log k axis, the tolerance's legend entry, thresholds). */
rk_status rk_plot_spectra_with(const rk_plot_spectrum *spectra, size_t n,
                               const rk_plot_scree_opts *opts, const rk_plot_out *out, rk_err *err);

/**
 * Parse a format name: "png", "svg", or "term"/"dumb"/"text".
 * @return RK_OK or RK_EINVAL.
 */
rk_status rk_plot_format_parse(const char *name, rk_plot_format *format);

/**
 * The format a `--plot ARG` names: "-" → TERM, "*.svg" → SVG, anything else
 * → PNG (a PNG file). @p forced, when not NULL, is a `--format` name that
 * overrides the extension (RK_EINVAL if unknown).
 */
rk_status rk_plot_format_for(const char *arg, const char *forced, rk_plot_format *format);

/**
 * The program rk_plot_draw() runs when rk_plot_out.gnuplot is NULL:
 * $RANKLAB_GNUPLOT if set and non-empty, else "gnuplot".
 */
const char *rk_plot_gnuplot_program(void);

#ifdef __cplusplus
}
#endif

#endif
