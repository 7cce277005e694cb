/**
 * @file
 * @ingroup analysis
 * amplify.h — how strongly a weight update ΔW amplifies directions of the
 * base weights W0 (LoRA paper §7.3 and Table 7).
 *
 * With U (Out×r) and V (In×r) the top-r left and right singular vectors of
 * ΔW, project W0 onto them:
 *
 *     ‖Uᵀ·W0·V‖_F          how much of W0 lives in ΔW's top directions
 *     factor = ‖ΔW‖_F / ‖Uᵀ·W0·V‖_F
 *
 * and compare with the same projection when U, V are W0's own top-r singular
 * vectors (then ‖Uᵀ·W0·V‖_F = √(Σ_{i≤r} σ_i(W0)²), the most W0 can put into
 * any r×r block) and a random orthonormal pair (about ‖W0‖_F·r/√(Out·In)).
 * A small ‖Uᵀ·W0·V‖_F next to W0's own and a large factor mean ΔW amplifies
 * directions that W0 already had but did not emphasise — the paper's finding
 * (factor ≈ 21.5 at r = 4 for GPT-3's W_q).
 */
#ifndef RK_ANALYSIS_AMPLIFY_H
#define RK_ANALYSIS_AMPLIFY_H

#include <stddef.h>
#include <stdint.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "../linalg/svd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Results of rk_amplify_compute(); one row of the paper's Table 7. */
typedef struct rk_amplify {
    size_t r;             /**< number of directions used */
    double proj_delta;    /**< ‖Uᵀ·W0·V‖_F, U, V = top-r singular vectors of ΔW */
    double proj_w0;       /**< ‖Uᵀ·W0·V‖_F, U, V = top-r singular vectors of W0 (= ‖S_r(W0)‖_F) */
    double proj_random;   /**< ‖Uᵀ·W0·V‖_F, U, V = a random orthonormal pair (seeded) */
    double delta_fro;     /**< ‖ΔW‖_F */
    double w0_fro;        /**< ‖W0‖_F */
    double factor;        /**< delta_fro / proj_delta; INFINITY when proj_delta = 0 */
} rk_amplify;

/**
 * Fill @p out for base weights @p w0 (Out×In) and update @p delta (Out×In)
 * at rank @p r, taking the directions from thin SVDs the caller already has:
 * @p delta_svd of ΔW and @p w0_svd of W0 (rk_svd_decomp thin or rk_rsvd,
 * at least r vectors each). The random pair is drawn from an rk_rng seeded
 * with @p seed and orthonormalised by QR.
 *
 * @return RK_OK; RK_EINVAL (NULL, or a values-only SVD); RK_ESHAPE (shapes
 *         of w0, delta and the SVDs disagree); RK_ERANGE (r = 0 or r greater
 *         than an SVD's k); RK_ENONFINITE; RK_ENOMEM.
 */
rk_status rk_amplify_from_svd(rk_amplify *out, const rk_mat *w0, const rk_mat *delta,
                              const rk_svd *w0_svd, const rk_svd *delta_svd, size_t r,
                              uint64_t seed);

/**
 * As rk_amplify_from_svd(), computing the exact thin SVDs of @p w0 and
 * @p delta itself. RK_ERANGE when r > min(Out, In); plus the SVD's errors.
 * Each call decomposes both matrices (O(Out·In·min(Out, In)) each): when one
 * W0 is compared with several updates or ranks, decompose it once and call
 * rk_amplify_from_svd().
 */
rk_status rk_amplify_compute(rk_amplify *out, const rk_mat *w0, const rk_mat *delta, size_t r,
                             uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
