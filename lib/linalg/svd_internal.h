/*
 * svd_internal.h — the SVD driver with its LAPACK path made explicit, for the
 * tests. Not part of the public API (not included by ranklab.h).
 *
 * LAPACK's gesdd almost never fails to converge, so the gesvd fallback of
 * rk_svd_decomp() would otherwise go untested. RK_SVD_PATH_FALLBACK runs
 * gesdd, then takes the branch that follows a report of info > 0: it
 * restores the destroyed copy of A and decomposes it again with gesvd.
 */
#ifndef RK_LINALG_SVD_INTERNAL_H
#define RK_LINALG_SVD_INTERNAL_H

#include "svd.h"

/** Which LAPACK path rk_svd_decomp_path() takes. */
typedef enum rk_svd_path {
    RK_SVD_PATH_AUTO = 0,    /**< gesdd; gesvd only when gesdd reports info > 0 */
    RK_SVD_PATH_FALLBACK     /**< gesdd, then behave as if it reported info > 0 */
} rk_svd_path;

/** rk_svd_decomp() taking @p path; same contract and errors. */
rk_status rk_svd_decomp_path(rk_svd *out, const rk_mat *a, rk_svd_mode mode, rk_svd_path path);

#endif
