/*
 * plot_xy.c — the gnuplot script of an RK_PLOT_XY plot: axes, the legend,
 * one plot element per series in the look lib/plot/style.h gives its slot,
 * the reference lines; values that are not drawn are counted in the legend.
 */
#include "plot/plot_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A rank axis has few ticks: at most this many distinct x values get one each. */
#define MAX_RANK_TICS 16

/* The distinct x values of all series, ascending, when there are at most
 * MAX_RANK_TICS and all are > 0; else 0. */
static size_t rank_tics(const rk_plot_spec *spec, double *xs)
{
    size_t n = 0;
    for (size_t s = 0; s < spec->n_series; s++) {
        const rk_plot_series *sr = &spec->series[s];
        for (size_t i = 0; i < sr->n; i++) {
            double x = sr->x ? sr->x[i] : (double)(i + 1);
            if (!isfinite(x) || x <= 0)
                return 0;
            size_t j = 0;
            while (j < n && xs[j] < x)
                j++;
            if (j < n && xs[j] == x)
                continue;
            if (n == MAX_RANK_TICS)
                return 0;
            memmove(xs + j + 1, xs + j, (n - j) * sizeof *xs);
            xs[j] = x;
            n++;
        }
    }
    return n;
}

/* Settings of the axes: ranges, log scales, the right-hand axis, rank tics. */
static void put_axes(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx, bool uses_y2)
{
    if (spec->ymin < spec->ymax)
        fprintf(f, "set yrange [%.17g:%.17g]\n", spec->ymin, spec->ymax);
    if (spec->logx) {
        fputs("set logscale x\n", f);
        double xs[MAX_RANK_TICS];
        size_t n = rank_tics(spec, xs);
        if (n >= 2) {
            /* A rank axis: one tic at each rank used, the range just around them. */
            fputs("set xtics (", f);
            for (size_t i = 0; i < n; i++)
                fprintf(f, "%s%.17g", i ? ", " : "", xs[i]);
            fprintf(f, ")\nunset mxtics\nset xrange [%.17g:%.17g]\n", xs[0] / 1.2, xs[n - 1] * 1.2);
        }
    }
    if (spec->logy)
        fputs("set logscale y\nset format y '%g'\n", f);
    if (!uses_y2)
        return;
    if (ctx->format != RK_PLOT_TERM) /* the dumb terminal cannot turn text: its labels go in the title */
        rk_plot_put_set(f, ctx, "y2label", spec->y2label);
    fputs("set ytics nomirror\nset y2tics\n", f);
    if (spec->logy2)
        fputs("set logscale y2\n", f);
    if (spec->y2min < spec->y2max)
        fprintf(f, "set y2range [%.17g:%.17g]\n", spec->y2min, spec->y2max);
}

/*
 * The values of @p sr left out of the drawing: those ≤ *floor, where the
 * floor is the series' zero_tol, or 0 on a log axis (a log axis has no
 * place for 0 or below). Returns how many; *floor = −∞ when none is set.
 */
static size_t hidden_values(const rk_plot_series *sr, bool log_axis, double *floor)
{
    *floor = sr->zero_tol > 0 ? sr->zero_tol : log_axis ? 0 : -INFINITY;
    size_t n = 0;
    for (size_t i = 0; i < sr->n; i++)
        n += isfinite(sr->y[i]) && sr->y[i] <= *floor;
    return n;
}

/* The look of series @p s: its own slot, a shared one (color k ≥ 1), or grey. */
static rk_plot_look series_look(const rk_plot_series *sr, size_t *next_slot, size_t *next_ref)
{
    rk_plot_look lk;
    if (sr->reference)
        lk = rk_plot_look_reference((*next_ref)++);
    else if (sr->color > 0)
        lk = rk_plot_look_series((size_t)sr->color - 1);
    else
        lk = rk_plot_look_series((*next_slot)++);
    if (sr->dash > 0)
        lk.dash = sr->dash;
    return lk;
}

static void put_series(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx, size_t s,
                       rk_plot_look lk)
{
    static const char *const styles[] = { "linespoints", "lines", "points" };
    const rk_plot_series *sr = &spec->series[s];
    bool term = ctx->format == RK_PLOT_TERM;
    double floor;
    size_t hidden = hidden_values(sr, sr->y2 ? spec->logy2 : spec->logy, &floor);
    rk_plot_put_source(f, ctx);
    if (hidden)
        fprintf(f, " index %zu using 1:($2 > %.17g ? $2 : NaN)", s, floor);
    else
        fprintf(f, " index %zu using 1:2", s);
    fprintf(f, " with %s lw 2 linecolor rgb '%s' dashtype %d", styles[sr->style], lk.rgb, lk.dash);
    if (sr->style != RK_PLOT_LINES) {
        fprintf(f, " pointtype %d pointsize %s", lk.point, sr->style == RK_PLOT_POINTS ? "1.6" : "1");
        /* A long series: a marker every n/12 points marks it without hiding the line. */
        if (sr->style == RK_PLOT_LINESPOINTS && sr->n > 24)
            fprintf(f, " pointinterval %zu", sr->n / 12);
    }
    fprintf(f, " axes x1y%c title ", sr->y2 ? '2' : '1');
    if (term)
        fputs("'  '.", f);  /* the dumb legend puts the sample right before the text */
    rk_plot_put_text(f, ctx, sr->name);
    if (hidden && sr->zero_tol > 0)
        fprintf(f, ".' (%zu values ≤ %.2g not drawn)'", hidden, floor);
    else if (hidden)
        fprintf(f, ".' (%zu zero%s not drawn)'", hidden, hidden == 1 ? "" : "s");
}

void rk_plot_script_xy(FILE *f, const rk_plot_spec *spec, const rk_plot_script_ctx *ctx)
{
    bool uses_y2 = false;
    for (size_t s = 0; s < spec->n_series; s++)
        uses_y2 |= spec->series[s].y2;
    for (size_t h = 0; h < spec->n_hlines; h++)
        uses_y2 |= spec->hlines[h].y2;
    /* Below the plot the legend never hides a curve; in the terminal one entry per line. */
    if (ctx->format == RK_PLOT_TERM)
        fputs("set key below left Left reverse maxcols 2 width 3\n", f);
    else
        fputs("set grid\nset key below spacing 1.15\nset xlabel offset 0,0.6\n", f);
    put_axes(f, spec, ctx, uses_y2);
    fputs("plot ", f);
    size_t next_slot = 0, next_ref = 0;
    for (size_t s = 0; s < spec->n_series; s++) {
        if (s)
            fputs(", \\\n     ", f);
        put_series(f, spec, ctx, s, series_look(&spec->series[s], &next_slot, &next_ref));
    }
    /* Reference lines last, over the series: a curve that runs along one leaves it visible. */
    for (size_t h = 0; h < spec->n_hlines; h++) {
        rk_plot_look lk = rk_plot_look_line(h);
        fprintf(f, ", \\\n     %.17g with lines dashtype %d lw 1.5 linecolor rgb '%s' axes x1y%c title ",
                spec->hlines[h].y, lk.dash, lk.rgb, spec->hlines[h].y2 ? '2' : '1');
        if (ctx->format == RK_PLOT_TERM)
            fputs("'  '.", f);
        rk_plot_put_text(f, ctx, spec->hlines[h].name);
    }
    fputc('\n', f);
}
