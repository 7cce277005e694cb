/* rank.c — numerical rank: count the singular values above a tolerance. */
#include "linalg/rank.h"

#include <float.h>
#include <math.h>

#include "linalg/svd.h"

size_t rk_rank_from_values(const double *s, size_t k, size_t m, size_t n,
                           const rk_rank_opts *opts, double *tol_used)
{
    double smax = 0.0;
    for (size_t i = 0; i < k; i++)
        if (s[i] > smax)
            smax = s[i];

    rk_tol_kind kind = opts ? opts->kind : RK_TOL_DEFAULT;
    double tol;
    if (kind == RK_TOL_ABS)
        tol = opts->value;
    else if (kind == RK_TOL_REL)
        tol = opts->value * smax;
    else { /* numpy/MATLAB: the rounding error of the SVD itself */
        double mn = (double)(m > n ? m : n);
        /* numpy's order, (σ₁·max)·eps, unless σ₁·max would overflow (σ₁ near DBL_MAX) */
        tol = smax <= DBL_MAX / mn ? smax * mn * DBL_EPSILON : smax * (mn * DBL_EPSILON);
    }

    size_t rank = 0;
    for (size_t i = 0; i < k; i++)
        if (s[i] > tol)
            rank++;
    if (tol_used)
        *tol_used = tol;
    return rank;
}

rk_status rk_rank(const rk_mat *a, const rk_rank_opts *opts, size_t *rank, double *tol_used)
{
    if (!a || !rank)
        return RK_EINVAL;
    if (opts) {
        if (opts->kind != RK_TOL_DEFAULT && opts->kind != RK_TOL_ABS && opts->kind != RK_TOL_REL)
            return RK_EINVAL;
        if (opts->kind != RK_TOL_DEFAULT && !(opts->value >= 0.0))
            return RK_EINVAL; /* negative or NaN */
    }
    rk_svd svd;
    rk_status st = rk_svd_decomp(&svd, a, RK_SVD_VALUES);
    if (st)
        return st;
    *rank = rk_rank_from_values(svd.s, svd.k, svd.m, svd.n, opts, tol_used);
    rk_svd_free(&svd);
    return RK_OK;
}
