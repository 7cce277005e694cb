/**
 * @file
 * @ingroup analysis
 * delta.h — comparing a learned low-rank update ΔW_lora with the update of a
 * full fine-tune ΔW_full, and with the best rank-r update there is.
 *
 *   rel_err           = ‖ΔW_lora − ΔW_full‖_F / ‖ΔW_full‖_F
 *   Eckart–Young      = ‖ΔW_full − [ΔW_full]_r‖_F / ‖ΔW_full‖_F
 *                     = √(Σ_{i>r} σ_i²) / √(Σ_i σ_i²)     (σ_i of ΔW_full)
 *   cosine            = ⟨A, B⟩_F / (‖A‖_F·‖B‖_F),  ⟨A, B⟩_F = Σ a_ij·b_ij
 *
 * By the Eckart–Young–Mirsky theorem [ΔW_full]_r (the truncated SVD) is the
 * closest matrix of rank ≤ r, so for any ΔW_lora of rank ≤ r,
 * rel_err ≥ the Eckart–Young error: how far above it LoRA lands is the price
 * of learning the update by gradient descent instead of computing it.
 */
#ifndef RK_ANALYSIS_DELTA_H
#define RK_ANALYSIS_DELTA_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * *@p out = ‖@p lora − @p full‖_F / ‖@p full‖_F (both Out×In). When ΔW_full
 * is zero the ratio is 0 if ΔW_lora is zero too, INFINITY otherwise.
 * @return RK_OK; RK_EINVAL (NULL); RK_ESHAPE; RK_ENONFINITE; RK_ENOMEM.
 */
rk_status rk_delta_rel_err(double *out, const rk_mat *lora, const rk_mat *full);

/**
 * The Eckart–Young relative error of the best rank-@p r approximation from
 * the singular values @p s[0..k) (non-increasing) of the matrix:
 * √(Σ_{i≥r} s_i²) / √(Σ_i s_i²) (0-based i; 0 when r ≥ k or all s are 0,
 * 1 when r = 0), through rk_spectrum_tail_fro() / rk_spectrum_fro().
 */
double rk_delta_eckart_young_rel_err(const double *s, size_t k, size_t r);

/**
 * Numerical rank of @p a by numpy's rule (tol = σ₁·max(m, n)·ε, count
 * σ > tol; rk_rank() with default options): rank(ΔW_lora) ≤ r is the check
 * that an adapter of rank r really is one.
 * @return RK_OK; RK_EINVAL; RK_ENONFINITE; RK_ENOMEM; the SVD's errors.
 */
rk_status rk_delta_rank(size_t *rank, const rk_mat *a);

/**
 * *@p out = ⟨A, B⟩_F / (‖A‖_F·‖B‖_F) ∈ [−1, 1] for @p a and @p b of the same
 * shape; 0 when either is zero (no direction to compare).
 * @return RK_OK; RK_EINVAL; RK_ESHAPE; RK_ENONFINITE.
 */
rk_status rk_delta_cosine(double *out, const rk_mat *a, const rk_mat *b);

#ifdef __cplusplus
}
#endif

#endif
