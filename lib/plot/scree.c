/* scree.c — scree plots: σ_k on a log axis, cumulative energy, rank tolerance, rank-rule thresholds. */
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

/* The most spectra one plot takes: beyond this the legend is unreadable anyway. */
#define MAX_SPECTRA 16
/* The most thresholds one plot takes. */
#define MAX_MARKS 8

static rk_status check_spectrum(const rk_plot_spectrum *sp, size_t idx, double *total, rk_err *err)
{
    if (!sp->name || !sp->s || sp->k == 0)
        return rk_err_set(err, RK_EINVAL, "spectrum %zu needs a name and at least one value", idx);
    *total = 0;
    for (size_t i = 0; i < sp->k; i++) {
        if (!isfinite(sp->s[i]) || sp->s[i] < 0)
            return rk_err_set(err, RK_EINVAL, "%s: singular value %zu is negative or not finite",
                              sp->name, i + 1);
        *total += sp->s[i] * sp->s[i];
    }
    return RK_OK;
}

/* The thresholds: at most MAX_MARKS, named, horizontal ones at σ > 0, vertical ones within [1, k]. */
static rk_status check_marks(const rk_plot_mark *marks, size_t n_marks, size_t k, rk_err *err)
{
    if (n_marks > MAX_MARKS || (n_marks && !marks))
        return rk_err_set(err, RK_EINVAL, "a scree plot takes at most %d thresholds", MAX_MARKS);
    for (size_t i = 0; i < n_marks; i++) {
        const rk_plot_mark *mk = &marks[i];
        bool bad = mk->vertical ? !(mk->at >= 1 && mk->at <= (double)k) : !(mk->at > 0 && isfinite(mk->at));
        if (!mk->name || bad)
            return rk_err_set(err, RK_EINVAL, "threshold %zu needs a name and a rank in [1, %zu] "
                              "or a singular value > 0", i, k);
    }
    return RK_OK;
}

/* Smallest σ > 0 of every spectrum: where a vertical threshold line starts. */
static double smallest_positive(const rk_plot_spectrum *spectra, size_t n)
{
    double lo = INFINITY;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < spectra[i].k; j++)
            if (spectra[i].s[j] > 0 && spectra[i].s[j] < lo)
                lo = spectra[i].s[j];
    return lo;
}

/* Horizontal marks as reference lines after lines[0..nl), vertical ones as two-point series
 * after series[0..*ns) coloured from @p color; returns the new count of lines. */
static size_t add_marks(const rk_plot_mark *marks, size_t n_marks, size_t color, double (*vx)[2],
                        const double *vy, rk_plot_series *series, size_t *ns, rk_plot_hline *lines,
                        size_t nl)
{
    for (size_t i = 0; i < n_marks; i++) {
        if (!marks[i].vertical) {
            lines[nl++] = (rk_plot_hline){ .name = marks[i].name, .y = marks[i].at };
            continue;
        }
        vx[i][0] = vx[i][1] = marks[i].at; /* k = r, from the smallest σ drawn to σ₁ */
        series[(*ns)++] = (rk_plot_series){ .name = marks[i].name, .x = vx[i], .y = vy, .n = 2,
                                            .style = RK_PLOT_LINES, .color = (int)(color + i) };
    }
    return nl;
}

/* The scree plot of rk_plot_spectra() plus the thresholds of rk_plot_scree_marked(). */
static rk_status draw_spectra(const rk_plot_spectrum *spectra, size_t n, bool energy, double tol,
                              const rk_plot_mark *marks, size_t n_marks, const char *title,
                              const rk_plot_out *out, rk_err *err)
{
    if (!spectra || n == 0 || n > MAX_SPECTRA)
        return rk_err_set(err, RK_EINVAL, "a scree plot takes 1 to %d spectra", MAX_SPECTRA);
    double totals[MAX_SPECTRA];
    bool drawable = false;
    size_t n_values = 0;
    for (size_t i = 0; i < n; i++) {
        rk_status st = check_spectrum(&spectra[i], i, &totals[i], err);
        if (st)
            return st;
        drawable |= totals[i] > 0;
        n_values += spectra[i].k;  /* ≤ the values the caller holds: no overflow */
    }
    if (!drawable)
        return rk_err_set(err, RK_EINVAL, "every singular value is 0: nothing to draw on a log axis");
    rk_status mst = check_marks(marks, n_marks, spectra[0].k, err);
    if (mst)
        return mst;
    rk_plot_series series[2 * MAX_SPECTRA + MAX_MARKS];
    rk_plot_hline lines[1 + MAX_MARKS];
    /* Vertical marks run over every height drawn: the σ, the tolerance, the horizontal marks. */
    double vx[MAX_MARKS][2], vy[2] = { smallest_positive(spectra, n), 0 };
    for (size_t i = 0; i < n; i++)
        vy[1] = spectra[i].k && spectra[i].s[0] > vy[1] ? spectra[i].s[0] : vy[1];
    for (size_t i = 0; i <= n_marks; i++) {
        double y = i < n_marks ? (marks[i].vertical ? vy[1] : marks[i].at) : tol;
        if (isfinite(y) && y > 0) {
            vy[0] = y < vy[0] ? y : vy[0];
            vy[1] = y > vy[1] ? y : vy[1];
        }
    }
    char names[MAX_SPECTRA][160];
    double *cum = NULL;
    if (energy && !(cum = rk_alloc(n_values * sizeof *cum)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    size_t ns = 0, at = 0;
    for (size_t i = 0; i < n; i++) {
        const rk_plot_spectrum *sp = &spectra[i];
        /* A spectrum and its energy curve share a colour: points for σ, a line for energy. */
        int color = (int)i + 1;
        series[ns++] = (rk_plot_series){ .name = sp->name, .y = sp->s, .n = sp->k,
                                         .style = RK_PLOT_LINESPOINTS, .color = color };
        if (!energy)
            continue;
        /* energy_k = Σ_{i≤k} σ_i² / Σ σ_i²: the share of ‖A‖_F² a rank-k truncation keeps. */
        double acc = 0;
        for (size_t j = 0; j < sp->k; j++) {
            acc += sp->s[j] * sp->s[j];
            cum[at + j] = totals[i] > 0 ? acc / totals[i] : NAN;
        }
        if (n == 1)
            snprintf(names[i], sizeof names[i], "cumulative energy Σσ_i²/Σσ² (right axis)");
        else
            snprintf(names[i], sizeof names[i], "%s: cumulative energy (right axis)", sp->name);
        series[ns++] = (rk_plot_series){ .name = names[i], .y = cum + at, .n = sp->k,
                                         .style = RK_PLOT_LINES, .y2 = true, .color = color };
        at += sp->k;
    }
    char tol_name[80];
    snprintf(tol_name, sizeof tol_name, "rank tolerance %.3g", tol);
    size_t nl = 0;
    if (isfinite(tol) && tol > 0)
        lines[nl++] = (rk_plot_hline){ .name = tol_name, .y = tol };
    nl = add_marks(marks, n_marks, n + 1, vx, vy, series, &ns, lines, nl);
    rk_plot_spec spec = {
        .kind = RK_PLOT_XY,
        .title = title ? title : "Scree plot: singular values",
        .xlabel = "index k",
        .ylabel = "singular value σ_k (log scale)",
        .y2label = energy ? "cumulative energy (fraction of ‖A‖_F², linear)" : NULL,
        .logy = true,
        .y2min = 0,
        .y2max = 1,
        .series = series,
        .n_series = ns,
        .hlines = lines,
        .n_hlines = nl,
    };
    rk_status st = rk_plot_draw(&spec, out, err);
    rk_free(cum);
    return st;
}

rk_status rk_plot_spectra(const rk_plot_spectrum *spectra, size_t n, bool energy, double tol,
                          const char *title, const rk_plot_out *out, rk_err *err)
{
    return draw_spectra(spectra, n, energy, tol, NULL, 0, title, out, err);
}

rk_status rk_plot_scree(const double *s, size_t k, double tol, const char *title,
                        const rk_plot_out *out, rk_err *err)
{
    return rk_plot_scree_marked(s, k, tol, NULL, 0, title, out, err);
}

rk_status rk_plot_scree_marked(const double *s, size_t k, double tol, const rk_plot_mark *marks,
                               size_t n_marks, const char *title, const rk_plot_out *out, rk_err *err)
{
    rk_plot_spectrum one = { .name = "singular value σ_k", .s = s, .k = k };
    return draw_spectra(&one, 1, true, tol, marks, n_marks, title, out, err);
}
