/* plot_write.c — the data file and the gnuplot script of a plot. */
#include "plot/plot_internal.h"

#include <math.h>
#include <string.h>

/* Write @p s quoted; with @p plain, enhanced-text markup is taken out (the dumb terminal, comments). */
static void put_quoted_mode(FILE *f, const char *s, bool plain)
{
    /*
     * Single quotes: gnuplot expands nothing inside them (double quotes run
     * `backquoted` shell commands). A quote inside is closed, added as the
     * string "'" and reopened — gnuplot's own '' escape fails when two quotes
     * follow each other.
     */
    fputs("('", f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (plain && *p == '\\' && p[1] && strchr("_^{}@&~\\", p[1]))
            p++;                      /* an escaped character: itself */
        else if (plain && (*p == '{' || *p == '}'))
            continue;                 /* a group's braces */
        if (*p == '\'')
            fputs("'.\"'\".'", f);
        else if (*p < 0x20 || *p == 0x7f)
            fputc(' ', f);            /* a newline would end the command */
        else
            fputc(*p, f);
    }
    fputs("')", f);
}

void rk_plot_put_quoted(FILE *f, const char *s)
{
    put_quoted_mode(f, s, false);
}

/* Text for a '#' comment line: plain (no markup), control characters become spaces. */
void rk_plot_put_comment(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '\\' && p[1] && strchr("_^{}@&~\\", p[1]))
            p++;
        else if (*p == '{' || *p == '}')
            continue;
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    }
}

static void put_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("NaN", f);
}

void rk_plot_write_data(FILE *f, const rk_plot_spec *spec, const rk_mat *z)
{
    fputs("# ", f);
    rk_plot_put_comment(f, spec->title);
    fputs("\n# written by ranklab (lib/plot/plot.c)\n", f);
    if (spec->kind != RK_PLOT_XY) {
        fprintf(f, "# %zu x %zu matrix of ", z->rows, z->cols);
        rk_plot_put_comment(f, spec->zlabel ? spec->zlabel : "values");
        fputs(": one line per row i (", f);
        rk_plot_put_comment(f, spec->ylabel);
        fputs("), one column per j (", f);
        rk_plot_put_comment(f, spec->xlabel);
        fprintf(f, "); first index %zu\n",
                spec->kind == RK_PLOT_HEATMAP ? spec->index_base : (size_t)0);
        for (size_t i = 0; i < z->rows; i++) {
            for (size_t j = 0; j < z->cols; j++) {
                if (j)
                    fputc(' ', f);
                put_number(f, RK_AT(z, i, j));
            }
            fputc('\n', f);
        }
        return;
    }
    fputs("# one block per series, blocks separated by two blank lines (gnuplot: index N)\n"
          "# columns: x = ", f);
    rk_plot_put_comment(f, spec->xlabel);
    fputs(" | y = ", f);
    rk_plot_put_comment(f, spec->ylabel);
    fputc('\n', f);
    for (size_t h = 0; h < spec->n_hlines; h++) {
        fputs("# reference line: ", f);
        rk_plot_put_comment(f, spec->hlines[h].name);
        fputs(" at y = ", f);
        put_number(f, spec->hlines[h].y);
        fputs(spec->hlines[h].y2 ? " (right-hand axis)\n" : "\n", f);
    }
    for (size_t s = 0; s < spec->n_series; s++) {
        const rk_plot_series *sr = &spec->series[s];
        fprintf(f, "%s# series %zu: ", s ? "\n\n" : "", s);
        rk_plot_put_comment(f, sr->name);
        if (sr->y2) {
            fputs(" (right-hand axis: ", f);
            rk_plot_put_comment(f, spec->y2label);
            fputc(')', f);
        }
        fputc('\n', f);
        for (size_t i = 0; i < sr->n; i++) {
            put_number(f, sr->x ? sr->x[i] : (double)(i + 1));
            fputc(' ', f);
            put_number(f, sr->y[i]);
            fputc('\n', f);
        }
    }
}

void rk_plot_put_text(FILE *f, const rk_plot_script_ctx *ctx, const char *text)
{
    put_quoted_mode(f, text, ctx->format == RK_PLOT_TERM);
}

void rk_plot_put_set(FILE *f, const rk_plot_script_ctx *ctx, const char *what, const char *text)
{
    fprintf(f, "set %s ", what);
    rk_plot_put_text(f, ctx, text);
    fputc('\n', f);
}

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

void rk_plot_put_source(FILE *f, const rk_plot_script_ctx *ctx)
{
    if (ctx->data_file)
        rk_plot_put_quoted(f, ctx->data_file);
    else
        fputs("$data", f);
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
