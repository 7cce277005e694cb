/**
 * @file
 * @ingroup analysis
 * truncation.h — what truncating a matrix to rank r costs and saves, for a
 * list of ranks at once, read off its singular values; and the rank-r LoRA
 * factors of a weight difference ΔW = W_finetuned − W_base.
 *
 * For A (m×n) with singular values σ₁ ≥ … ≥ σ_k ≥ 0 (k = min(m, n)) and
 * A_r = U_r·S_r·V_rᵀ its best rank-r approximation (Eckart–Young–Mirsky):
 *
 *   ‖A − A_r‖_F   = √(Σ_{i>r} σ_i²)
 *   ‖A − A_r‖₂    = σ_{r+1}                 (0 when r = k)
 *   relative      = ‖A − A_r‖_F / ‖A‖_F     (0 for the zero matrix)
 *   energy kept   = Σ_{i≤r} σ_i² / Σ σ_i²   (= 1 − relative²)
 *   parameters    = r·(m + n)               (the factors B: m×r and A: r×n)
 *
 * rk_trunc_table() fills one row per rank; rk_trunc_summarize() collects the
 * numbers that describe the whole spectrum (rank with its tolerance, the
 * ranks that keep 90% and 99% of the energy, stable and effective rank).
 * rk_trunc_lora() makes B = U_r·S_r and A = V_rᵀ, so that B·A = [ΔW]_r.
 * Built on lib/linalg/spectrum.h, rank.h and lowrank.h. See docs/tools/delta.md.
 */
#ifndef RK_ANALYSIS_TRUNCATION_H
#define RK_ANALYSIS_TRUNCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "../linalg/rank.h"
#include "../linalg/rsvd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One row of the error-vs-rank table: the truncation of A to rank r. */
typedef struct rk_trunc_row {
    size_t r;              /**< rank of the truncation A_r */
    double fro_err;        /**< ‖A − A_r‖_F = √(Σ_{i>r} σ_i²) */
    double spectral_err;   /**< ‖A − A_r‖₂ = σ_{r+1}, 0 when r = k */
    double rel_err;        /**< fro_err / ‖A‖_F, 0 for the zero matrix */
    double energy;         /**< Σ_{i≤r} σ_i² / Σ σ_i², 0 for the zero matrix */
    size_t params;         /**< r·(m + n), SIZE_MAX if that overflows */
} rk_trunc_row;

/**
 * Fill @p rows[0..n_ranks) with the truncation errors of an @p m × @p n
 * matrix whose singular values are @p s[0..k) (non-increasing, the whole
 * spectrum: k = min(m, n)), at the ranks @p ranks[0..n_ranks) (any order,
 * each ≤ k). Nothing is allocated.
 * @return RK_OK; RK_EINVAL (NULL with a non-zero count, or k ≠ min(m, n));
 *         RK_ERANGE (a rank > k; rows are then unspecified).
 */
rk_status rk_trunc_table(const double *s, size_t k, size_t m, size_t n, const size_t *ranks,
                         size_t n_ranks, rk_trunc_row *rows);

/**
 * The default ranks of the table for k singular values: the powers of two
 * 1, 2, 4, … below k, then k itself (k = 0 gives none). Writes at most
 * @p cap of them to @p ranks and returns how many there are in all (so a
 * call with cap = 0 asks for the count; at most 65 for any size_t k).
 */
size_t rk_trunc_default_ranks(size_t k, size_t *ranks, size_t cap);

/** The numbers that describe a whole spectrum; see rk_trunc_summarize(). */
typedef struct rk_trunc_summary {
    size_t rank;             /**< numerical rank #{σ_i > tol} (lib/linalg/rank.h) */
    double tol;              /**< the tolerance used */
    size_t rank_90;          /**< smallest r keeping ≥ 90% of the energy */
    size_t rank_99;          /**< smallest r keeping ≥ 99% of the energy */
    double stable_rank;      /**< ‖A‖_F² / σ₁² */
    double effective_rank;   /**< exp(−Σ p log p), p = σ / Σσ */
    double fro;              /**< ‖A‖_F = √Σσ² */
    double spectral;         /**< ‖A‖₂ = σ₁ */
} rk_trunc_summary;

/**
 * Summarise the spectrum @p s[0..k) of an @p m × @p n matrix into @p out:
 * rank by @p opts (NULL: numpy's default tolerance σ₁·max(m, n)·ε), the
 * ranks for 90% and 99% energy, stable and effective rank, the norms.
 * @return RK_OK; RK_EINVAL (out NULL, or s NULL with k > 0).
 */
rk_status rk_trunc_summarize(const double *s, size_t k, size_t m, size_t n,
                             const rk_rank_opts *opts, rk_trunc_summary *out);

/** How rk_trunc_lora() decomposes ΔW; a NULL pointer means the dense SVD. */
typedef struct rk_trunc_lora_opts {
    bool randomized;   /**< only the top r triplets, by rk_rsvd() (lib/linalg/rsvd.h) */
    uint64_t seed;     /**< seed of the randomized SVD's Gaussian sketch */
} rk_trunc_lora_opts;

/**
 * The rank-@p r LoRA factors of @p delta (m×n): @p b = U_r·S_r (m×r) and
 * @p a = V_rᵀ (r×n), so b·a = [ΔW]_r, the closest matrix of rank ≤ r in the
 * Frobenius and spectral norms. With the PEFT scale s = lora_alpha / r = 1
 * (lora_alpha = r) the adapter adds exactly [ΔW]_r.
 *
 * Dense SVD (@p opts NULL or not randomized): the thin SVD of ΔW; @p row
 * (when not NULL) receives the errors from the spectrum, as rk_trunc_table.
 * Randomized: the top r triplets by rk_rsvd() with its default options and
 * opts->seed — b·a is then within rounding of [ΔW]_r when σ_r > σ_{r+1}
 * clearly, and @p row holds what can be known without the rest of the
 * spectrum: fro_err = ‖ΔW − b·a‖_F formed from the factors, rel_err =
 * fro_err/‖ΔW‖_F, energy = Σ_{i≤r} σ_i² / ‖ΔW‖_F² (‖ΔW‖_F from the entries),
 * spectral_err = NaN (σ_{r+1} not computed), params.
 *
 * On error @p b and @p a are left empty.
 * @return RK_OK; RK_EINVAL (NULL); RK_ERANGE (r > min(m, n));
 *         the errors of rk_svd_decomp() / rk_rsvd() (RK_ENONFINITE, RK_ENOMEM, …).
 */
rk_status rk_trunc_lora(rk_mat *b, rk_mat *a, const rk_mat *delta, size_t r,
                        const rk_trunc_lora_opts *opts, rk_trunc_row *row);

/**
 * The error-vs-rank rows of an @p m × @p n matrix from its top @p k_top
 * singular values @p s and its Frobenius norm @p fro alone, exactly (up to
 * rounding): ‖A − A_r‖_F² = ‖A‖_F² − Σ_{i≤r} σ_i², energy Σ_{i≤r} σ_i² / ‖A‖_F²,
 * spectral error σ_{r+1} (NaN for r = k_top < min(m, n): not computed).
 * Every rank must be ≤ k_top.
 * @return RK_OK; RK_EINVAL (NULLs, k_top > min(m, n), fro < 0 or NaN); RK_ERANGE (a rank > k_top).
 */
rk_status rk_trunc_table_top(const double *s, size_t k_top, double fro, size_t m, size_t n,
                             const size_t *ranks, size_t n_ranks, rk_trunc_row *rows);

/** Smallest r ≤ k_top with Σ_{i≤r} σ_i² ≥ level·fro², or SIZE_MAX when the top k_top do not reach it. */
size_t rk_trunc_rank_for_energy_top(const double *s, size_t k_top, double fro, double level);

/**
 * How the randomized SVD runs on a float32 weight difference (rk_trunc_lora_f32,
 * and `ranklab delta`'s top K on checkpoints): power iterations until the
 * rank-k error estimate √(‖ΔW‖_F² − Σ_{i≤k} s_i²) moves by at most
 * RK_TRUNC_F32_ERR_TOL of itself from one iteration to the next, at most
 * RK_TRUNC_F32_MAX_ITERS; the finish in float32 too (RK_RSVD_PREC_SINGLE: the
 * factors are stored as float32), the guard's refinement in double.
 *
 * Why: every product is a pass over ΔW, the whole cost on a 7B checkpoint,
 * and a fine-tune's top directions stand well above its tail, so the error
 * settles after one or two iterations where rk_rsvd's fixed default runs 7.
 * Measured on the Llama-7B-shaped benchmark pair (planted rank 8, R = 16,
 * sketch width 32), down_proj of layer 0: relative error 0.38181 after q = 1,
 * 0.38173 after q = 2, 0.38166 after q = 4, against 0.38207 for
 * torch.svd_lowrank(q = 26, niter = 4) on the same ΔW.
 */
#define RK_TRUNC_F32_ERR_TOL 1e-2
/** The most power iterations the float32 path runs before it stops anyway. */
#define RK_TRUNC_F32_MAX_ITERS 6

/**
 * The rk_rsvd_opts of that setting for the top @p k: @p power_iters < 0 for
 * the early stop above, ≥ 0 for exactly that many iterations (--iters).
 */
rk_rsvd_opts rk_trunc_f32_rsvd_opts(size_t k, int power_iters);

/**
 * rk_trunc_lora_f32 takes the error of the written float factors,
 * ‖ΔW − scale·B·A‖_F, from r×r products of the factors and the SVD
 * (written_error_identity in lib/analysis/truncation_top.c) when the rank-r
 * error is at least this fraction of ‖ΔW‖_F; else by a pass over
 * ΔW. What the identity leaves out moves the result by about
 * 2⁻²⁴·‖ΔW‖_F/error of itself, the order of the float sketch's own rounding
 * in the error: ≲ 1e-6 from this level on (on the Llama-shaped benchmark
 * pair, error 0.38·‖ΔW‖_F: within 8e-7 of the pass, which itself rounds
 * c·B·A to float). Saves the pass: an r-column product with ΔW.
 */
#define RK_TRUNC_F32_WRITTEN_IDENTITY 0.1

/** The result of rk_trunc_lora_f32(). */
typedef struct rk_trunc_lora32 {
    float *b;              /**< (m×r) U_r·S_r / scale, owned */
    float *a;              /**< (r×n) V_rᵀ, owned */
    double norm;           /**< ‖ΔW‖_F, from the entries */
    rk_trunc_row row;      /**< errors of [ΔW]_r from ‖ΔW‖_F and the top r (rk_trunc_table_top) */
    double written_err;    /**< ‖ΔW − scale·B·A‖_F with the float factors (RK_TRUNC_F32_WRITTEN_IDENTITY says how) */
    rk_rsvd_stats stats;   /**< what the randomized SVD did */
} rk_trunc_lora32;

/**
 * The rank-@p r LoRA factors of a float32 @p delta (m×n, row-major) by the
 * randomized SVD in float32 (rk_rsvd_f32; the
 * settings of rk_trunc_f32_rsvd_opts(r, @p power_iters), @p seed), with no
 * m×n copy in either precision: B = U_r·S_r/scale,
 * A = V_rᵀ, so scale·B·A = the rank-r truncation found. On error @p out is empty.
 * @return RK_OK; RK_EINVAL; RK_ERANGE (r > min(m, n)); the errors of rk_rsvd_f32.
 */
rk_status rk_trunc_lora_f32(const float *delta, size_t m, size_t n, size_t r, double scale,
                            int power_iters, uint64_t seed, rk_trunc_lora32 *out);

/** Release the factors of @p f. NULL is accepted. */
void rk_trunc_lora32_free(rk_trunc_lora32 *f);

#ifdef __cplusplus
}
#endif

#endif
