/* scree.c — rk_plot_scree(): σ_k on a log axis, cumulative energy, rank tolerance. */
#include "plot/plot.h"

#include <math.h>
#include <stdio.h>

#include "core/alloc.h"

rk_status rk_plot_scree(const double *s, size_t k, double tol, const char *title,
                        const rk_plot_out *out, rk_err *err)
{
    if (!s || k == 0)
        return rk_err_set(err, RK_EINVAL, "a scree plot needs at least one singular value");
    double total = 0;
    for (size_t i = 0; i < k; i++) {
        if (!isfinite(s[i]) || s[i] < 0)
            return rk_err_set(err, RK_EINVAL, "singular value %zu is negative or not finite", i + 1);
        total += s[i] * s[i];
    }
    if (!(total > 0))
        return rk_err_set(err, RK_EINVAL, "every singular value is 0: nothing to draw on a log axis");
    double *energy = rk_alloc(k * sizeof *energy);  /* k·8 cannot overflow: s holds k doubles */
    if (!energy)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    /* energy_k = Σ_{i≤k} σ_i² / Σ σ_i²: the share of ‖A‖_F² a rank-k truncation keeps. */
    double acc = 0;
    for (size_t i = 0; i < k; i++) {
        acc += s[i] * s[i];
        energy[i] = acc / total;
    }
    rk_plot_series series[2] = {
        { .name = "singular value σ_k", .y = s, .n = k, .style = RK_PLOT_LINESPOINTS },
        { .name = "cumulative energy Σσ_i²/Σσ² (right axis)", .y = energy, .n = k,
          .style = RK_PLOT_LINES, .y2 = true },
    };
    char tol_name[80];
    snprintf(tol_name, sizeof tol_name, "rank tolerance %.3g", tol);
    rk_plot_hline line = { .name = tol_name, .y = tol };
    rk_plot_spec spec = {
        .kind = RK_PLOT_XY,
        .title = title ? title : "Scree plot: singular values",
        .xlabel = "index k",
        .ylabel = "singular value σ_k (log scale)",
        .y2label = "cumulative energy (fraction of ‖A‖_F², linear)",
        .logy = true,
        .y2min = 0,
        .y2max = 1,
        .series = series,
        .n_series = 2,
        .hlines = &line,
        .n_hlines = isfinite(tol) && tol > 0 ? 1 : 0,
    };
    rk_status st = rk_plot_draw(&spec, out, err);
    rk_free(energy);
    return st;
}
