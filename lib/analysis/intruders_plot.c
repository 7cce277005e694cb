/* intruders_plot.c — the heatmap of the intruder test (see intruders_plot.h). */
#include "analysis/intruders_plot.h"

#include <stdio.h>

rk_plot_spec rk_intruders_heatmap(const rk_mat *cos, const char *title)
{
    return (rk_plot_spec){ .kind = RK_PLOT_HEATMAP, .title = title,
                           .xlabel = "singular vector j of W_0", .ylabel = "singular vector i of W_{ft}",
                           .zlabel = "|u'_i . u_j|", .z = cos, .zmin = 0.0, .zmax = 1.0,
                           .index_base = 1 };
}

void rk_intruders_heatmap_title(char *buf, size_t n, const char *what, size_t count, size_t top,
                                bool meaningful, double eps)
{
    const char *of = what ? " of " : "", *name = what ? what : "";
    if (meaningful)
        snprintf(buf, n, "|U_{ft}^T U_0|%s%s: %zu intruder%s in the top %zu (ε %g)", of, name, count,
                 count == 1 ? "" : "s", top, eps);
    else
        snprintf(buf, n, "|U_{ft}^T U_0|%s%s (top %zu: the count is not meaningful here)", of, name, top);
}
