/*
 * testmat.h — matrices with a known spectrum for the linear-algebra tests:
 * A = U·diag(s)·Vᵀ with U, V random orthonormal (QR of Gaussian matrices),
 * as LAPACK's test generators and scikit-learn's make_low_rank_matrix build
 * them.
 */
#ifndef RK_TEST_TESTMAT_H
#define RK_TEST_TESTMAT_H

#include <stddef.h>
#include <stdint.h>

#include "ranklab.h"

/** Allocate @p q (rows×cols, cols ≤ rows) with orthonormal columns drawn from @p rng. */
void testmat_orthonormal(rk_mat *q, size_t rows, size_t cols, rk_rng *rng);

/** Allocate @p a (m×n) = U·diag(s)·Vᵀ for the min(m, n) values @p s; seeded. */
void testmat_with_spectrum(rk_mat *a, size_t m, size_t n, const double *s, uint64_t seed);

/**
 * scikit-learn's make_low_rank_matrix profile for i = 0..count−1:
 * s_i = (1 − t)·exp(−(i/R)²) + t·exp(−0.1·i/R), R the effective rank.
 */
void testmat_low_rank_profile(double *s, size_t count, double effective_rank, double tail);

/**
 * Allocate @p d (m×n) = B·C with B (m×r) and C (r×n) of N(0, 1) entries drawn
 * from @p rng (B first): a matrix of rank r, like a LoRA update.
 */
void testmat_rank_product(rk_mat *d, size_t m, size_t r, size_t n, rk_rng *rng);

/**
 * Allocate @p a (m×n) with the make_low_rank_matrix profile: @p s (min(m, n)
 * values, the caller's) gets testmat_low_rank_profile(effective_rank, tail),
 * then a = testmat_with_spectrum(s, seed).
 */
void testmat_profile(rk_mat *a, double *s, size_t m, size_t n, double effective_rank, double tail,
                     uint64_t seed);

/**
 * Allocate @p a: a 300×200 rank-10 signal (σ = 10, 9, …, 1; seed 5) plus
 * 0.01·N(0, 1) noise (seed 6), the whole scaled by @p c.
 */
void testmat_signal_plus_noise(rk_mat *a, double c);

/** rk_rsvd of @p zero (a zero matrix) with @p o: every value is 0 and the factors are finite. */
void testmat_check_rsvd_of_zero(const rk_mat *zero, const rk_rsvd_opts *o);

/** ‖I − XᵀX‖₁ for X with (ideally) orthonormal columns. */
double testmat_orth_residual(const rk_mat *x);

/** ‖A − U·diag(s)·Vt‖_F using the first k triplets of @p svd. */
double testmat_recon_error(const rk_mat *a, const rk_svd *svd, size_t k);

#endif
