/* scree.c — scree plots: σ_k on a log axis, cumulative energy, rank tolerance. */
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

/* The most spectra one plot takes: beyond this the legend is unreadable anyway. */
#define MAX_SPECTRA 16

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

rk_status rk_plot_spectra(const rk_plot_spectrum *spectra, size_t n, bool energy, double tol,
                          const char *title, const rk_plot_out *out, rk_err *err)
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
    rk_plot_series series[2 * MAX_SPECTRA];
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
    rk_plot_hline line = { .name = tol_name, .y = tol };
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
        .hlines = &line,
        .n_hlines = isfinite(tol) && tol > 0 ? 1 : 0,
    };
    rk_status st = rk_plot_draw(&spec, out, err);
    rk_free(cum);
    return st;
}

rk_status rk_plot_scree(const double *s, size_t k, double tol, const char *title,
                        const rk_plot_out *out, rk_err *err)
{
    rk_plot_spectrum one = { .name = "singular value σ_k", .s = s, .k = k };
    return rk_plot_spectra(&one, 1, true, tol, title, out, err);
}
