/* scree.c — scree plots: σ_k on a log axis, cumulative energy, rank tolerance, rank-rule thresholds. */
#include "plot/plot.h"

#include <float.h>
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

/* σ ≤ σ_max·k·ε is what an SVD returns for an exact zero: not drawn, counted in the legend. */
static double zero_tol(const rk_plot_spectrum *sp)
{
    double smax = 0;
    for (size_t i = 0; i < sp->k; i++)
        smax = sp->s[i] > smax ? sp->s[i] : smax;
    return smax * (double)sp->k * DBL_EPSILON;
}

/* energy_k = Σ_{i≤k} σ_i² / Σ σ_i²: the share of ‖A‖_F² a rank-k truncation keeps. */
static void cumulative_energy(const rk_plot_spectrum *sp, double total, double *cum)
{
    double acc = 0;
    for (size_t j = 0; j < sp->k; j++) {
        acc += sp->s[j] * sp->s[j];
        cum[j] = total > 0 ? acc / total : NAN;
    }
}

/* The thresholds: at most MAX_MARKS, named, horizontal ones at σ > 0, vertical ones within [1, k]. */
static rk_status check_marks(const rk_plot_scree_opts *o, size_t k, rk_err *err)
{
    if (o->n_marks > MAX_MARKS || (o->n_marks && !o->marks))
        return rk_err_set(err, RK_EINVAL, "a scree plot takes at most %d thresholds", MAX_MARKS);
    for (size_t i = 0; i < o->n_marks; i++) {
        const rk_plot_mark *mk = &o->marks[i];
        bool bad = mk->vertical ? !(mk->at >= 1 && mk->at <= (double)k) : !(mk->at > 0 && isfinite(mk->at));
        if (!mk->name || bad)
            return rk_err_set(err, RK_EINVAL, "threshold %zu needs a name and a rank in [1, %zu] "
                              "or a singular value > 0", i, k);
    }
    return RK_OK;
}

/* The heights a vertical threshold spans: every σ > 0 drawn, the tolerance, the σ thresholds. */
static void mark_span(const rk_plot_spectrum *spectra, size_t n, const rk_plot_scree_opts *o, double *vy)
{
    vy[0] = INFINITY;
    vy[1] = 0;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < spectra[i].k; j++)
            if (spectra[i].s[j] > zero_tol(&spectra[i])) {
                vy[0] = fmin(vy[0], spectra[i].s[j]);
                vy[1] = fmax(vy[1], spectra[i].s[j]);
            }
    for (size_t i = 0; i <= o->n_marks; i++) {
        double y = i < o->n_marks ? (o->marks[i].vertical ? NAN : o->marks[i].at) : o->tol;
        if (isfinite(y) && y > 0) {
            vy[0] = fmin(vy[0], y);
            vy[1] = fmax(vy[1], y);
        }
    }
}

/* Horizontal marks as reference lines after lines[0..nl), vertical ones as two-point series
 * after series[0..*ns) in the palette slots after *slot; returns the new count of lines. */
static size_t add_marks(const rk_plot_scree_opts *o, double (*vx)[2], const double *vy,
                        rk_plot_series *series, size_t *ns, size_t *slot, rk_plot_hline *lines, size_t nl)
{
    for (size_t i = 0; i < o->n_marks; i++) {
        const rk_plot_mark *mk = &o->marks[i];
        if (!mk->vertical) {
            lines[nl++] = (rk_plot_hline){ .name = mk->name, .y = mk->at };
            continue;
        }
        vx[i][0] = vx[i][1] = mk->at; /* k = r, over the whole height drawn */
        series[(*ns)++] = (rk_plot_series){ .name = mk->name, .x = vx[i], .y = vy, .n = 2,
                                            .style = RK_PLOT_LINES, .color = (int)++*slot };
    }
    return nl;
}

rk_status rk_plot_spectra_with(const rk_plot_spectrum *spectra, size_t n,
                               const rk_plot_scree_opts *opts, const rk_plot_out *out, rk_err *err)
{
    if (!spectra || n == 0 || n > MAX_SPECTRA || !opts)
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
    rk_status mst = check_marks(opts, spectra[0].k, err);
    if (mst)
        return mst;
    rk_plot_series series[2 * MAX_SPECTRA + MAX_MARKS];
    double vx[MAX_MARKS][2], vy[2];
    mark_span(spectra, n, opts, vy);
    char names[MAX_SPECTRA][160];
    double *cum = NULL;
    if (opts->energy && !(cum = rk_alloc(n_values * sizeof *cum)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    size_t ns = 0, at = 0, slot = 0;
    for (size_t i = 0; i < n; i++) {
        const rk_plot_spectrum *sp = &spectra[i];
        /* Its own slot; an energy curve shares its spectrum's colour, dashed (one spectrum: its own). */
        int color = sp->reference ? 0 : (int)++slot;
        series[ns++] = (rk_plot_series){ .name = sp->name, .y = sp->s, .n = sp->k,
                                         .style = RK_PLOT_LINESPOINTS, .color = color,
                                         .reference = sp->reference, .zero_tol = zero_tol(sp) };
        if (!opts->energy)
            continue;
        cumulative_energy(sp, totals[i], cum + at);
        if (n == 1)
            snprintf(names[i], sizeof names[i], "cumulative energy Σ_{i≤k} σ_i^2 / Σ σ_i^2 (right axis)");
        else
            snprintf(names[i], sizeof names[i], "%s: energy (right axis)", sp->name);
        series[ns++] = (rk_plot_series){ .name = names[i], .y = cum + at, .n = sp->k,
                                         .style = RK_PLOT_LINES, .y2 = true,
                                         .color = n == 1 ? (int)++slot : color,
                                         .dash = RK_PLOT_DASH_COMPANION, .reference = sp->reference };
        at += sp->k;
    }
    char tol_name[200];
    if (opts->tol_name)
        snprintf(tol_name, sizeof tol_name, "%s", opts->tol_name);
    else
        snprintf(tol_name, sizeof tol_name, "rank tolerance %.3g: σ above it count", opts->tol);
    rk_plot_hline lines[3 + MAX_MARKS] = { { .name = tol_name, .y = opts->tol } };
    size_t n_lines = isfinite(opts->tol) && opts->tol > 0 ? 1 : 0;
    if (opts->energy && opts->energy_lines) {
        lines[n_lines++] = (rk_plot_hline){ .name = "90% of the energy (right axis)", .y = 0.90, .y2 = true };
        lines[n_lines++] = (rk_plot_hline){ .name = "99% of the energy (right axis)", .y = 0.99, .y2 = true };
    }
    n_lines = add_marks(opts, vx, vy, series, &ns, &slot, lines, n_lines);
    rk_plot_spec spec = {
        .kind = RK_PLOT_XY,
        .title = opts->title ? opts->title : "Scree plot: singular values",
        .xlabel = opts->logx ? "index k (log scale)" : "index k",
        .ylabel = "singular value σ_k (log scale)",
        .y2label = opts->energy ? "cumulative energy (linear)" : NULL,
        .logx = opts->logx,
        .logy = true,
        .y2min = 0,
        .y2max = 1.05,  /* 1 below the top border, where a curve that reaches it stays visible */
        .series = series,
        .n_series = ns,
        .hlines = lines,
        .n_hlines = n_lines,
    };
    rk_status st = rk_plot_draw(&spec, out, err);
    rk_free(cum);
    return st;
}

rk_status rk_plot_spectra(const rk_plot_spectrum *spectra, size_t n, bool energy, double tol,
                          const char *title, const rk_plot_out *out, rk_err *err)
{
    rk_plot_scree_opts o = { .energy = energy, .tol = tol, .title = title };
    return rk_plot_spectra_with(spectra, n, &o, out, err);
}

rk_status rk_plot_scree(const double *s, size_t k, double tol, const char *title,
                        const rk_plot_out *out, rk_err *err)
{
    rk_plot_spectrum one = { .name = "singular value σ_k", .s = s, .k = k };
    return rk_plot_spectra(&one, 1, true, tol, title, out, err);
}

rk_status rk_plot_scree_marked(const double *s, size_t k, double tol, const rk_plot_mark *marks,
                               size_t n_marks, const char *title, const rk_plot_out *out, rk_err *err)
{
    rk_plot_spectrum one = { .name = "singular value σ_k", .s = s, .k = k };
    rk_plot_scree_opts o = { .energy = true, .tol = tol, .title = title, .marks = marks, .n_marks = n_marks };
    return rk_plot_spectra_with(&one, 1, &o, out, err);
}
