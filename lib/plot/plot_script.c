/*
 * plot_script.c — the gnuplot script of a plot: terminal and output, title
 * and labels, then the plot itself: an XY plot by plot_xy.c, a heatmap or an
 * image here (a coloured picture, or characters in the terminal). Written
 * with the pieces of plot_write.c.
 */
#include "plot/plot_internal.h"

#include <math.h>
#include <string.h>

static void put_terminal(FILE *f, const rk_plot_script_ctx *ctx)
{
    unsigned w = ctx->width, h = ctx->height;
    switch (ctx->format) {
    case RK_PLOT_PNG:
        /* pngcairo draws antialiased; plain png (libgd) is the fallback. */
        /* Enhanced text: σ_k, ‖A‖_F^2 and ΔW_{full} render as sub- and superscripts. */
        fprintf(f, "if (strstrt(GPVAL_TERMINALS.' ', ' pngcairo ') > 0) {\n"
                   "    set terminal pngcairo size %u,%u font 'sans,11' enhanced\n"
                   "} else {\n"
                   "    set terminal png size %u,%u enhanced\n"
                   "}\n", w, h, w, h);
        break;
    case RK_PLOT_SVG:
        fprintf(f, "set terminal svg size %u,%u font 'sans,11' enhanced background '#ffffff'\n", w, h);
        break;
    case RK_PLOT_TERM:
        /* The dumb terminal cannot raise or lower text: plain text (put_text). */
        fprintf(f, "set terminal dumb size %u,%u noenhanced\n", w, h);
        break;
    }
    if (ctx->format != RK_PLOT_TERM) {
        fputs("set output ", f);
        rk_plot_put_quoted(f, ctx->output);
        fputc('\n', f);
    }
}

/* HEATMAP and IMAGE as a picture: cells coloured by value, row 0 at the top. */
static void script_matrix(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx)
{
    const rk_mat *z = spec->z;
    size_t b = spec->kind == RK_PLOT_HEATMAP ? spec->index_base : 0;
    fprintf(f, "set xrange [%g:%g]\nset yrange [%g:%g]\n", b - 0.5, b + z->cols - 0.5,
            b + z->rows - 0.5, b - 0.5);
    fputs("set tics out\nunset key\n", f);
    if (spec->zmin < spec->zmax)
        fprintf(f, "set cbrange [%.17g:%.17g]\n", spec->zmin, spec->zmax);
    rk_plot_put_set(f, ctx, "cblabel", spec->zlabel ? spec->zlabel : "value");
    if (spec->kind == RK_PLOT_IMAGE) {
        fputs("set palette gray\nset size ratio -1\n", f);
        fputs("plot ", f);
        rk_plot_put_source(f, ctx);
        fputs(" matrix using 1:2:3 with image\n", f);
        return;
    }
    /* A sequential palette, light (low) to dark blue (high). */
    fputs("set palette defined (0 '#f7fbff', 0.35 '#9ecae1', 0.7 '#3182bd', 1 '#08306b')\n", f);
    if (z->rows <= 32 && z->cols <= 32)
        fputs("set xtics 1\nset ytics 1\n", f);
    fprintf(f, "plot ");
    rk_plot_put_source(f, ctx);
    fprintf(f, " matrix using ($1+%zu):($2+%zu):3 with image", b, b);
    if (z->rows <= 16 && z->cols <= 16) {
        /* The value in each cell, dark on light cells and light on dark ones. */
        double lo = spec->zmin, hi = spec->zmax;
        if (!(lo < hi)) {
            lo = hi = RK_AT(z, 0, 0);
            for (size_t i = 0; i < z->rows; i++)
                for (size_t j = 0; j < z->cols; j++) {
                    double v = RK_AT(z, i, j);
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
        }
        double mid = 0.5 * (lo + hi);
        /* Cell labels at least 10 px high (rk_plot_draw makes heatmaps large enough for them). */
        const char *font = z->rows <= 10 && z->cols <= 10 ? "sans,12" : "sans,10";
        for (int dark = 0; dark < 2; dark++) {
            fputs(", \\\n     ", f);
            rk_plot_put_source(f, ctx);
            fprintf(f, " matrix using ($1+%zu):($2+%zu):($3 %s %.17g ? sprintf('%%.2f', $3) : '') "
                       "with labels font '%s' textcolor rgb '%s'",
                    b, b, dark ? ">=" : "<", mid, font, dark ? "#ffffff" : "#000000");
        }
    }
    fputc('\n', f);
}

/* Ten shades, low to high; '+' is left out: the dumb terminal draws its tics with it. */
#define SHADES " .:-=o*#%@"

/*
 * HEATMAP and IMAGE in the dumb terminal, which cannot fill cells: one
 * character per (block of) cells from a ramp of ten shades, low to high.
 */
static void script_matrix_term(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx)
{
    const rk_mat *z = spec->z, *t = ctx->term_z;
    size_t b = spec->kind == RK_PLOT_HEATMAP ? spec->index_base : 0;
    double lo = spec->zmin, hi = spec->zmax;
    if (!(lo < hi)) {
        lo = INFINITY;
        hi = -INFINITY;
        for (size_t i = 0; i < t->rows; i++)
            for (size_t j = 0; j < t->cols; j++) {
                double v = RK_AT(t, i, j);
                if (isfinite(v)) {
                    lo = v < lo ? v : lo;
                    hi = v > hi ? v : hi;
                }
            }
        if (!(lo < hi)) {  /* constant or empty: any non-empty range */
            lo = isfinite(lo) ? lo - 0.5 : 0;
            hi = lo + 1;
        }
    }
    fprintf(f, "set xrange [%g:%g]\nset yrange [%g:%g]\nunset key\n", b - 0.5,
            b + z->cols - 0.5, b + z->rows - 0.5, b - 0.5);
    if (spec->kind == RK_PLOT_HEATMAP && ctx->block_rows == 1 && ctx->block_cols == 1)
        fputs("set xtics 1\nset ytics 1\n", f);  /* one tic per row and column */
    fprintf(f, "lo = %.17g\nhi = %.17g\nramp = '%s'\n", lo, hi, SHADES);
    fputs("lv(v) = (t = int((v - lo) / (hi - lo) * 10), t < 0 ? 0 : (t > 9 ? 9 : t))\n", f);
    fputs("set label 1 ", f);
    char shades[160];
    snprintf(shades, sizeof shades, "shades '%s' = %.3g ... %.3g", SHADES, lo, hi);
    rk_plot_put_quoted(f, shades);
    fputs(" at screen 0.01, screen 0.02 left\n", f);
    double cx = (double)ctx->block_cols, cy = (double)ctx->block_rows;
    fputs("plot ", f);
    rk_plot_put_source(f, ctx);
    fprintf(f, " matrix using ($1*%g + %g):($2*%g + %g):(ramp[lv($3)+1:lv($3)+1]) with labels\n",
            cx, b + (cx - 1) / 2, cy, b + (cy - 1) / 2);
}

void rk_plot_write_script(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx)
{
    fputs("# gnuplot script written by ranklab (lib/plot/plot.c)", f);
    if (ctx->data_file) {
        fputs("; draw again in its folder with: gnuplot THIS_FILE\n# data: ", f);
        for (const char *p = ctx->data_file; *p; p++)
            fputc((unsigned char)*p < 0x20 ? ' ' : *p, f);
    }
    fputc('\n', f);
    put_terminal(f, ctx);
    fputs("set encoding utf8\n", f);
    rk_plot_put_set(f, ctx, "xlabel", spec->xlabel);
    if (ctx->format == RK_PLOT_TERM) {
        /* The dumb terminal cannot turn text, so a y label would be lost: a second title line. */
        fputs("set title ", f);
        rk_plot_put_text(f, ctx, spec->title);
        fputs(".\"\\n\".'y: '.", f);
        rk_plot_put_text(f, ctx, spec->ylabel);
        if (spec->kind == RK_PLOT_XY && spec->y2label) {
            fputs(".\"\\n\".'right y: '.", f);
            rk_plot_put_text(f, ctx, spec->y2label);
        }
        fputc('\n', f);
    } else {
        rk_plot_put_set(f, ctx, "title", spec->title);
        rk_plot_put_set(f, ctx, "ylabel", spec->ylabel);
    }
    if (spec->kind == RK_PLOT_XY)
        rk_plot_script_xy(f, spec, ctx);
    else if (ctx->format == RK_PLOT_TERM)
        script_matrix_term(f, spec, ctx);
    else
        script_matrix(f, spec, ctx);
    if (ctx->format != RK_PLOT_TERM)
        fputs("unset output\n", f);
}
