/**
 * @file
 * @ingroup linalg
 * rank.h — numerical rank: how many singular values stand above a tolerance.
 *
 * In exact arithmetic rank(A) is the number of non-zero singular values. In
 * floating point a matrix that is rank-deficient in exact arithmetic has
 * singular values of order ε·σ₁ instead of zero, so the rank counts the
 * values strictly above a tolerance:
 *
 *   rank = #{ i : s_i > tol }
 *
 *   RK_TOL_DEFAULT  tol = s_max · max(m, n) · ε     (numpy.linalg.matrix_rank, MATLAB rank)
 *   RK_TOL_ABS      tol = value
 *   RK_TOL_REL      tol = value · s_max             (numpy's rtol)
 *
 * ε is DBL_EPSILON = 2⁻⁵². The default is the size of the rounding error an
 * SVD of A makes (backward error ≈ max(m, n)·ε·‖A‖₂), so values below it are
 * indistinguishable from zero. See docs/concepts/rank.md.
 */
#ifndef RK_LINALG_RANK_H
#define RK_LINALG_RANK_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How the rank tolerance is chosen; see the table at the top of rank.h. */
typedef enum rk_tol_kind {
    RK_TOL_DEFAULT = 0,   /**< tol = s_max · max(m, n) · ε (value ignored) */
    RK_TOL_ABS,           /**< tol = value */
    RK_TOL_REL            /**< tol = value · s_max */
} rk_tol_kind;

/** Tolerance rule for the rank; a NULL rk_rank_opts* means RK_TOL_DEFAULT. */
typedef struct rk_rank_opts {
    rk_tol_kind kind;     /**< which rule */
    double value;         /**< absolute tol (RK_TOL_ABS) or rtol (RK_TOL_REL) */
} rk_rank_opts;

/**
 * Rank from already computed singular values @p s[0..k) of an @p m × @p n
 * matrix: #{ i : s_i > tol } (strict), tol chosen by @p opts (NULL = default).
 * s_max is the largest of the values (s[0] when they are non-increasing, as
 * rk_svd_decomp() returns them). k = 0 gives 0 with tol 0 (DEFAULT, REL) or
 * tol = value (ABS). Options are not validated here: an unknown kind counts as
 * the default; a NaN tolerance gives rank 0. The tolerance used is stored in
 * @p *tol_used when it is not NULL.
 */
size_t rk_rank_from_values(const double *s, size_t k, size_t m, size_t n,
                           const rk_rank_opts *opts, double *tol_used);

/**
 * Numerical rank of @p a: its singular values (rk_svd_decomp, values only)
 * counted by rk_rank_from_values(). @p a is not modified. @p tol_used may be NULL.
 *
 * @return RK_OK; RK_EINVAL (a or rank NULL, unknown kind, value negative or
 *         NaN); the errors of rk_svd_decomp() (RK_ENONFINITE, RK_ENOMEM, …).
 *         Empty matrices have rank 0.
 */
rk_status rk_rank(const rk_mat *a, const rk_rank_opts *opts, size_t *rank, double *tol_used);

#ifdef __cplusplus
}
#endif

#endif
