/**
 * @file
 * @ingroup linalg
 * spectrum.h — numbers read off the singular values s[0..k) of a matrix A.
 *
 * Every function takes the singular values as rk_svd_decomp() returns them:
 * non-negative and non-increasing, s[0] = σ₁ ≥ … ≥ s[k−1] = σ_k ≥ 0. None of
 * them allocates or fails. Sums of squares are formed as
 * σ_max²·Σ(σ_i/σ_max)², so spectra near the overflow or underflow threshold
 * give the right answer instead of Inf or 0.
 *
 *   energy(r)        Σ_{i<r} σ_i² / Σ σ_i²        (share of ‖A‖_F² kept by A_r)
 *   stable rank      ‖A‖_F² / ‖A‖₂² = Σ σ_i² / σ₁²
 *   effective rank   exp(−Σ p_i log p_i), p_i = σ_i / Σ σ_j   (Roy & Vetterli 2007)
 *   condition        σ₁ / σ_k
 *   nuclear          ‖A‖_* = Σ σ_i
 *   spectral         ‖A‖₂ = σ₁
 *   Frobenius        ‖A‖_F = √(Σ σ_i²)
 *   tail(r)          √(Σ_{i≥r} σ_i²) = ‖A − A_r‖_F   (Eckart–Young)
 *
 * Indices are 0-based: s[r] is σ_{r+1}. See docs/concepts/rank.md.
 */
#ifndef RK_LINALG_SPECTRUM_H
#define RK_LINALG_SPECTRUM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Share of the squared Frobenius norm carried by the first @p r values:
 * Σ_{i<r} σ_i² / Σ_{i<k} σ_i² ∈ [0, 1]. @p r is clamped to @p k, and r = k
 * gives exactly 1. 0 when every value is zero (or k = 0).
 */
double rk_spectrum_energy(const double *s, size_t k, size_t r);

/**
 * The smallest r with rk_spectrum_energy(s, k, r) ≥ @p frac. frac ≤ 0 gives 0;
 * frac > 1 (or NaN) gives k. A zero spectrum gives 0: the zero matrix is
 * reproduced exactly by rank 0.
 */
size_t rk_spectrum_rank_for_energy(const double *s, size_t k, double frac);

/** Stable rank ‖A‖_F² / σ₁² = Σ (σ_i/σ₁)², in [1, rank]; 0 for the zero matrix or k = 0. */
double rk_spectrum_stable_rank(const double *s, size_t k);

/**
 * Effective rank exp(H(p)) with p_i = σ_i / Σ_j σ_j and entropy
 * H = −Σ p_i log p_i (0·log 0 = 0). Between 1 and rank; k equal non-zero
 * values give k. 0 for the zero matrix or k = 0.
 */
double rk_spectrum_effective_rank(const double *s, size_t k);

/** Condition number σ₁ / σ_k (2-norm); INFINITY when σ_k = 0; 0 when k = 0 (as MATLAB's cond([])). */
double rk_spectrum_condition(const double *s, size_t k);

/** Nuclear norm ‖A‖_* = Σ σ_i (0 when k = 0). */
double rk_spectrum_nuclear(const double *s, size_t k);

/** Spectral norm ‖A‖₂ = σ₁ = s[0] (0 when k = 0). */
double rk_spectrum_spectral(const double *s, size_t k);

/** Frobenius norm ‖A‖_F = √(Σ σ_i²) (0 when k = 0). */
double rk_spectrum_fro(const double *s, size_t k);

/**
 * √(Σ_{i≥r} σ_i²): by Eckart–Young the Frobenius error ‖A − A_r‖_F of the best
 * rank-r approximation. 0 when r ≥ k.
 */
double rk_spectrum_tail_fro(const double *s, size_t k, size_t r);

#ifdef __cplusplus
}
#endif

#endif
