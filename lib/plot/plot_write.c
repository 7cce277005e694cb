/*
 * plot_write.c — what every gnuplot script and data file of lib/plot is
 * written with: quoted strings and text (enhanced or plain), `set` lines, the
 * data source, the data file itself. The scripts: plot_script.c, plot_xy.c.
 */
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

void rk_plot_put_source(FILE *f, const rk_plot_script_ctx *ctx)
{
    if (ctx->data_file)
        rk_plot_put_quoted(f, ctx->data_file);
    else
        fputs("$data", f);
}
