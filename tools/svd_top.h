/*
 * svd_top.h — `ranklab svd FILE --top K` on a large matrix: only the top K
 * singular values, by the randomized SVD of lib/linalg/rsvd.h, chosen when
 * rk_rsvd_worthwhile(m, n, K) says so and --exact is not given.
 */
#ifndef RK_TOOLS_SVD_TOP_H
#define RK_TOOLS_SVD_TOP_H

#include <stdbool.h>
#include <stddef.h>

#include "ranklab.h"

/**
 * Compute and report the top @p k singular values of @p a (from FILE @p file)
 * with rk_rsvd: text or (@p json) one JSON object, and the scree plot to
 * @p plot when it is not NULL. Figures that need the whole spectrum are left
 * out; the energy is measured against ‖A‖_F² from the entries. Returns the
 * exit status.
 */
int svd_top_run(const char *file, const rk_mat *a, size_t k, const rk_rank_opts *opts, bool json,
                const rk_plot_out *plot);

#endif
