/**
 * @file
 * @ingroup analysis
 * intruders_plot.h — the one picture of the intruder test (Shuttleworth et
 * al., arXiv 2410.21228, Figure 1): |U'ᵀ·U0| as a heatmap, row i the i-th
 * left singular vector u'_i of W_ft, column j the j-th u_j of W0, colour
 * |u'_iᵀu_j| on [0, 1]. An intruder is a row without a bright cell. Drawn by
 * `ranklab intruders --plot`, lesson 7 and the demo's report alike.
 */
#ifndef RK_ANALYSIS_INTRUDERS_PLOT_H
#define RK_ANALYSIS_INTRUDERS_PLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../plot/plot.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The heatmap of @p cos (rk_intruders_cos_table(): K rows, W0's vectors as
 * columns) titled @p title; both are kept by reference, not copied.
 */
rk_plot_spec rk_intruders_heatmap(const rk_mat *cos, const char *title);

/**
 * Its title into @p buf (@p n bytes): "|U_ft^T U_0| of WHAT: C intruders in
 * the top K (ε E)", or that the count is not meaningful there. @p what is
 * enhanced plot text (rk_plot_text_literal() for outside names), may be NULL.
 */
void rk_intruders_heatmap_title(char *buf, size_t n, const char *what, size_t count, size_t top,
                                bool meaningful, double eps);

#ifdef __cplusplus
}
#endif

#endif
