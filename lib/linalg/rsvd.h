/**
 * @file
 * @ingroup linalg
 * rsvd.h — randomized SVD (Halko, Martinsson & Tropp 2011): the top k singular
 * triplets of a large matrix at a fraction of the cost of a dense SVD.
 *
 * For A (m×n) and l sketch columns (k + p, rounded up to a multiple of
 * opts.align when that adds at most a quarter; at most min(m, n)):
 *
 *   1. Ω  = Gaussian n×l                      (drawn from an rk_rng seeded by opts.seed)
 *   2. Y  = A·Ω                               (m×l)
 *   3. q times:  Y = A·N(Aᵀ·N(Y))             power iterations; N renormalises a block:
 *                                             QR (orthonormal) or LU (P·L, cheaper)
 *   4. Q  = qr(Y)                             (m×l, orthonormal columns, double)
 *   5. B  = Qᵀ·A, computed as Zᵀ with Z = Aᵀ·Q (n×l, double)
 *   6. B  = Ũ·diag(s)·Vᵀ                      (dense thin SVD of the small matrix)
 *   7. U  = Q·Ũ;  keep the first k columns of U, values of s, rows of Vᵀ.
 *
 * Each power iteration multiplies the spectrum by itself (σ_i^(2q+1)), so the
 * sketch locks onto the top singular directions even when the spectrum
 * decays slowly; renormalising after every product keeps the small singular
 * directions from being lost to rounding (any basis of the same span will
 * do: LU's P·L, whose entries are bounded by 1, is as good for that as QR's
 * Q). Expected error with q = 0 (HMT Theorem 10.5):
 * E‖A − QQᵀA‖_F ≤ (1 + k/(p−1))^{1/2} · √(Σ_{j>k} σ_j²).
 *
 * Mixed precision (opts.precision, by default for m·n ≥ 512²): steps 1–3 only
 * have to find the subspace, so they run in float32 on a rounded copy of A
 * (scaled by a power of two, made once): sgemm does twice the flops of dgemm
 * per cycle and streams half the bytes. Steps 4–7 run in double on A itself,
 * so U and V are orthonormal to double precision and s, U, V are the exact
 * SVD of QᵀA for that Q. The float sketch moves the subspace by ~1e-7
 * relative, which changes the error ‖A − U_k·S_k·V_kᵀ‖_F by about the square
 * of that unless the error itself is tiny; so when it comes out below
 * RK_RSVD_MIXED_GUARD·‖A‖_F (A nearly of rank ≤ k) the run is repeated in
 * double, starting from the float Q (stats.refined). The error is known for
 * free: ‖A − U_k·S_k·V_kᵀ‖_F² = ‖A‖_F² − Σ_{i<k} s_i².
 *
 * Early stop on the error (opts.err_tol > 0): from the same l×l values,
 * e_i = √(‖A‖_F² − Σ_{j≤k} s_j²) is the error ‖A − U_k·S_k·V_kᵀ‖_F the run
 * would return if it stopped at iteration i (exact for orthonormal Q); the
 * iterations stop once it moves by at most err_tol·e_i — what an extraction
 * cares about, where a value-by-value test waits for tail values that do
 * not change the error. A heuristic too (the error can stall and then drop).
 *
 * Early stop (opts.tol > 0): with QR normalisation Z = Aᵀ·Q has the singular
 * values of B, which are those of R in Z's QR — an l×l SVD per iteration.
 * The iterations stop once the top k change by at most tol·s_1 from one
 * iteration to the next (q is then the maximum). Singular values converge
 * like the square of the subspace angle, so settled values mean a nearly
 * settled subspace — a heuristic, not a bound (docs/concepts/rsvd.md has
 * measurements). In float32 the values are float estimates: a tol below
 * ~1e-6 never triggers there.
 *
 * Layout: the row-major A read column-major is Aᵀ, so A·X and Aᵀ·Y both pass
 * A as the BLAS's first operand with no copy, and the column-major blocks go
 * to LAPACK (geqrf/orgqr, getrf/laswp) with no transposition.
 *
 * Cost: 2q + 2 products of A with an n×l or m×l block, ≈ 4(q+1)·m·n·l flops
 * (all but one in float32 with mixed precision, plus one pass converting A),
 * plus QRs or LUs of m×l and n×l blocks — against ≈ (8/3)·n³ (values) to
 * ~10·n³ (vectors) for a dense square SVD. Memory: with mixed precision a
 * float copy of A (4·m·n bytes) besides the blocks.
 */
#ifndef RK_LINALG_RSVD_H
#define RK_LINALG_RSVD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "svd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** power_iters value asking for the default: 7 when k < 0.1·min(m, n), else 4 (scikit-learn's rule). */
#define RK_RSVD_AUTO_ITERS (-1)

/**
 * Default opts.align: the sketch width l = k + p is rounded up to a multiple
 * of 16 when that adds at most l/4 columns. With 2 OpenBLAS threads a whole
 * rk_rsvd() at 4096², k = 32, ran 1.25–1.35× faster at l = 48 than at
 * l = 42, so there the extra columns — more oversampling, hence a better
 * sketch — come free; at k = 8, l = 32 cost as much as l = 18 or up to 1.2×
 * more, hence the l/4 limit (18 stays 18).
 */
#define RK_RSVD_ALIGN 16

/**
 * RK_RSVD_PREC_AUTO sketches in float32 from this many entries m·n on (512²):
 * the size from which the tools use rk_rsvd() at all (rk_rsvd_worthwhile()).
 * Below it the matrix fits in cache and the whole call takes milliseconds,
 * so the float copy of A is not worth its memory.
 */
#define RK_RSVD_MIXED_MIN_ENTRIES ((size_t)1 << 18)

/**
 * A float32 sketch is refined in double when its rank-k error comes out below
 * this fraction of ‖A‖_F. Why 1e-3: the float sketch sees A through a
 * perturbation of about u·√n·‖A‖ (u = 2⁻²⁴ ≈ 6e-8; √n from the rounding of
 * length-n sums; ≈ 4e-6·‖A‖ at n = 4096), which adds to an error e
 * roughly in quadrature, (e² + δ²)^{1/2}: at e ≥ 1e-3·‖A‖_F that is a relative
 * change of 1e-5 at most, far inside the 1% the results are held to.
 */
#define RK_RSVD_MIXED_GUARD 1e-3

/**
 * The precision of the sketch and power iterations; the finish (Q, B = QᵀA,
 * the small SVD, U = Q·Ũ) is always double. The tools use AUTO: on the
 * matrices they hand to rk_rsvd() (min(m, n) ≥ 512) it is MIXED, which is
 * 1.4–1.7× faster than DOUBLE at an error within 1e-12 (relative) of DOUBLE's
 * on the benchmark matrices, and refines in double where that would not hold.
 */
typedef enum rk_rsvd_precision {
    RK_RSVD_PREC_AUTO = 0, /**< MIXED when m·n ≥ RK_RSVD_MIXED_MIN_ENTRIES, else DOUBLE */
    RK_RSVD_PREC_DOUBLE,   /**< everything in float64 */
    RK_RSVD_PREC_MIXED,    /**< sketch and power iterations in float32, finish in float64 */
    RK_RSVD_PREC_SINGLE    /**< rk_rsvd_f32 only: the finish's QR and product B = QᵀA in float32 too
                                (only the small SVD of B is double): for factors stored as float32 */
} rk_rsvd_precision;

/**
 * How the sketch is renormalised between the products of a power iteration.
 * The last block is always orthonormalised by a double QR. Why AUTO picks
 * LU: in four interleaved benchmark runs (4096² and 2048², k = 8 and 32,
 * float32) it was faster than QR in 13 of 16 comparisons, by 2–14% at
 * k = 32, at an error as close to the optimum (1e-12 against 2e-13 above
 * it, relative). QR passes less of float's rounding into the subspace
 * (U_k·V_kᵀ off by 2e-8 against 1.5e-7 with LU on scikit-learn's test
 * matrix): choose RK_RSVD_NORM_QR when the vectors matter to that digit.
 */
typedef enum rk_rsvd_normalizer {
    RK_RSVD_NORM_AUTO = 0, /**< LU (QR when tol > 0, which the early stop needs) */
    RK_RSVD_NORM_QR,       /**< Householder QR after every product (orthonormal blocks) */
    RK_RSVD_NORM_LU        /**< P·L of an LU with partial pivoting (scikit-learn's choice); QR when tol > 0 */
} rk_rsvd_normalizer;

/** Options of rk_rsvd(); start from rk_rsvd_opts_default(). */
typedef struct rk_rsvd_opts {
    size_t k;           /**< number of singular triplets wanted, k ≤ min(m, n) */
    size_t oversample;  /**< extra sketch columns p (default 10), a minimum: see align */
    int power_iters;    /**< q ≥ 0, or RK_RSVD_AUTO_ITERS (the default) */
    uint64_t seed;      /**< seed of the Gaussian sketch (default 0); same seed, same result */
    double tol;         /**< 0 (default): exactly q iterations; > 0: stop early when the top-k
                             singular values change by ≤ tol·s_1 between iterations */
    rk_rsvd_precision precision;   /**< default RK_RSVD_PREC_AUTO */
    rk_rsvd_normalizer normalizer; /**< default RK_RSVD_NORM_AUTO */
    size_t align;       /**< round l = k + p up to a multiple of this when that adds at most
                             l/4 columns (0 or 1: never; default RK_RSVD_ALIGN), then clamp
                             to min(m, n) */
    double err_tol;     /**< 0 (default): off; > 0: stop the power iterations (q is then a
                             maximum) once the rank-k error estimate e = √(‖A‖_F² − Σ_{i≤k} s_i²)
                             changes by ≤ err_tol·e between iterations (QR normalisation, as tol) */
} rk_rsvd_opts;

/** What rk_rsvd_with_stats() did. */
typedef struct rk_rsvd_stats {
    int power_iters;     /**< power iterations run, all passes (< q when opts.tol stopped them early) */
    int products;        /**< products with A or Aᵀ, all precisions */
    int products_single; /**< of which in float32 */
    size_t columns;      /**< sketch width l (k + p, aligned, clamped) */
    bool mixed;          /**< the sketch ran in float32 */
    bool refined;        /**< the float32 result failed the guard and was recomputed in double */
} rk_rsvd_stats;

/**
 * Defaults for the top @p k: p = 10, q = RK_RSVD_AUTO_ITERS, seed = 0, tol = 0,
 * precision and normalizer AUTO, align = RK_RSVD_ALIGN. A zero-initialised
 * struct (with k set) means the same except align = 0 (l = k + p exactly).
 */
rk_rsvd_opts rk_rsvd_opts_default(size_t k);

/** The number of power iterations rk_rsvd() uses for @p opts on an m×n matrix. */
int rk_rsvd_power_iters(const rk_rsvd_opts *opts, size_t m, size_t n);

/**
 * Approximate the top opts->k singular triplets of @p a (m×n) into @p out
 * (need not be initialised; release with rk_svd_free(); on error it is left
 * empty). The result has the thin layout of rk_svd_decomp with k = opts->k:
 * out->u m×k (orthonormal columns), out->s k values (non-increasing, ≥ 0),
 * out->vt k×n (orthonormal rows), out->m, out->n set. @p a is not modified.
 * Deterministic for a given seed, shape and BLAS.
 *
 * With mixed precision a float copy of A (4·m·n bytes) is allocated for the
 * duration of the power iterations.
 *
 * @return RK_OK; RK_EINVAL (NULL, power_iters < −1 or > 1000, tol < 0 or NaN,
 *         precision or normalizer not one of the enum's values);
 *         RK_ERANGE (k > min(m, n)); RK_ENONFINITE (a holds NaN or Inf);
 *         RK_ENOMEM; RK_EOVERFLOW (a dimension or the stride beyond INT_MAX,
 *         which BLAS cannot take); RK_ECONVERGE / RK_ELAPACK from the small
 *         SVD or the factorisations. k = 0 succeeds with empty factors.
 */
rk_status rk_rsvd(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts);

/** rk_rsvd(), also filling @p stats (may be NULL; zeroed on error) with the work done. */
rk_status rk_rsvd_with_stats(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts,
                             rk_rsvd_stats *stats);

/**
 * rk_rsvd_with_stats() of a float32 matrix @p a (m×n, row-major, leading
 * dimension n) — a weight difference formed in float32 from BF16/F16/F32
 * checkpoints — with no copy of A in either precision. One pass first checks
 * A for NaN/Inf and sums ‖A‖_F² in double (*@p fro = ‖A‖_F when not NULL);
 * the sketch and power iterations run in float32 on A itself (unless
 * opts->precision is RK_RSVD_PREC_DOUBLE); the finish (Q, B = QᵀA, the small
 * SVD, U = Q·Ũ) and the guard's refinement are double, their products with A
 * taken a row block at a time widened exactly to double (≈ 8 MB of blocks).
 * A is not scaled: its entries are floats already. Memory besides A: the
 * m×l and n×l blocks and the widened row block.
 * @return as rk_rsvd_with_stats.
 */
rk_status rk_rsvd_f32(rk_svd *out, const float *a, size_t m, size_t n, const rk_rsvd_opts *opts,
                      rk_rsvd_stats *stats, double *fro);

/**
 * Whether the tools should use rk_rsvd() rather than the dense SVD when only
 * the top @p k triplets of an m×n matrix are wanted: true when
 * min(m, n) ≥ 512 and 1 ≤ k ≤ min(m, n)/8.
 *
 * Why: below 512 a dense SVD takes at most tens of milliseconds, so nothing is
 * gained by an approximation. The randomized SVD costs about
 * 4(q+1)·m·n·(k+10) flops (q = 7 for small k, 4 from k = min(m,n)/10) against
 * about (8/3)·n³ for the values of a square dense SVD and ~10·n³ with vectors:
 * at k + p ≈ min(m,n)/8 and q = 4 that is 2.5·n³, the same order, and the
 * randomized result is only approximate, so beyond that the exact SVD is the
 * better deal (docs/concepts/rsvd.md has measurements).
 */
bool rk_rsvd_worthwhile(size_t m, size_t n, size_t k);

#ifdef __cplusplus
}
#endif

#endif
