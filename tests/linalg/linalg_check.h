/*
 * linalg_check.h — what the linalg tests share: LAPACK's SVD test ratios
 * (TESTING/EIG/dbdt01.f, dort01.f as used by ddrvbd.f), random orthogonal
 * matrices, test matrices with a known spectrum, and an allocator that
 * counts live blocks and fails on the N-th call.
 */
#ifndef RK_TESTS_LINALG_CHECK_H
#define RK_TESTS_LINALG_CHECK_H

#include <stdbool.h>

#include "testutil.h"

/** LAPACK's threshold for every SVD test ratio (TESTING/svd.in). */
#define CHECK_THRESH 50.0

/**
 * ‖A − U_k·diag(S)·V_kᵀ‖₁ / (‖A‖₁ · max(m, n) · ε), written as dbdt01 does so
 * that it neither overflows nor divides by zero: ‖A‖₁ = 0 gives 0 when the
 * residual is 0 and 1/ε otherwise. U_k, V_kᵀ are the first k columns / rows.
 */
double check_resid_ratio(const rk_mat *a, const rk_svd *svd);

/** ‖I − UᵀU‖₁ / (rows(U) · ε): orthonormal columns. 0 for an empty U. */
double check_orth_cols(const rk_mat *u);

/** ‖I − Vt·Vtᵀ‖₁ / (cols(Vt) · ε): orthonormal rows. 0 for an empty Vt. */
double check_orth_rows(const rk_mat *vt);

/** true when s[0..k) is non-negative and non-increasing (exact check). */
bool check_sorted_nonneg(const double *s, size_t k);

/**
 * max_i |s_i − ref_i| / max(k · ε · ref_0, DBL_MIN): ddrvbd's comparison of
 * singular values computed two ways. 0 when k = 0.
 */
double check_values_ratio(const double *s, const double *ref, size_t k);

/**
 * max_i |s_i − d_i| / (d_0 · max(m, n) · ε) for a matrix built with the known
 * singular values d (non-increasing); by Weyl's inequality a backward-stable
 * SVD keeps this small. 0 when d_0 = 0 and s is exactly zero.
 */
double check_known_ratio(const double *s, const double *d, size_t k, size_t m, size_t n);

/** Allocate @p q (n×n) Haar-random orthogonal: Q of the QR of a Gaussian matrix, signs fixed by R's diagonal. */
void check_random_orthogonal(rk_mat *q, size_t n, rk_rng *rng);

/**
 * Allocate @p a = U·D·Vᵀ (m×n) with U, V random orthogonal and D the m×n
 * diagonal holding d[0..min(m, n)).
 */
void check_make_udv(rk_mat *a, size_t m, size_t n, const double *d, rk_rng *rng);

/**
 * Install an allocator that fails on call number @p fail_at (1-based; 0 =
 * never) and every call after it, and counts calls and live blocks.
 * check_alloc_end() restores malloc.
 */
void check_alloc_begin(long fail_at);
long check_alloc_calls(void);   /**< successful allocations since begin */
long check_alloc_live(void);    /**< allocated and not yet freed since begin */
void check_alloc_end(void);

#endif
