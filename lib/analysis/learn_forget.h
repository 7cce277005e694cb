/**
 * @file
 * @ingroup analysis
 * learn_forget.h — what a fine-tune learns against what it forgets, recorded
 * along training (Biderman et al., "LoRA Learns Less and Forgets Less",
 * arXiv 2405.09673), and how the update's spectrum grows.
 *
 * A fine-tune on one target class is observed every few steps. Each record
 * holds, on a fixed evaluation subset (the caller chooses it and keeps it the
 * same for every record and every run):
 *
 *   target_acc   accuracy on the subset's examples of the target class (learning)
 *   other_acc    accuracy on its examples of every other class (forgetting)
 *
 * and for the update ΔW_t of each layer (W_t − W0 for a full fine-tune, s·B·A
 * for LoRA), from its singular values σ_1 ≥ … ≥ σ_k:
 *
 *   fro          ‖ΔW_t‖_F = √(Σ σ_i²)
 *   rank_90/99   min{r : Σ_{i≤r} σ_i² ≥ 0.90 / 0.99 · Σ σ_i²}   (0 when ΔW_t = 0)
 *   eff_rank     exp(−Σ p_i log p_i), p_i = σ_i / Σσ            (Roy & Vetterli)
 *   phi          with phi_rank r > 0: φ(r, r) of ΔW_t against the last record's
 *                ΔW, ‖U_t[:, :r]ᵀ · U_T[:, :r]‖_F² / r, filled by rk_lf_finish();
 *                how early the final update's top directions appear
 *
 * Cost per record: one pass of the network over the subset, and per layer the
 * spectrum of ΔW_t: for a full fine-tune that of its block of non-zero rows and
 * columns (exactly ΔW_t's, plus zeros; gesdd without vectors, O(m'·n'·k')) and,
 * with phi_rank, the top r left vectors from the block's smaller Gram matrix
 * (lib/linalg/gram.h); for LoRA from the factors (O((m + n)·R²),
 * lib/linalg/factored.h). Memory: the records, and
 * with phi_rank the top r left vectors of each ΔW_t until rk_lf_finish().
 */
#ifndef RK_ANALYSIS_LEARN_FORGET_H
#define RK_ANALYSIS_LEARN_FORGET_H

#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "../nn/lora.h"
#include "../nn/mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The accuracies of one record. */
typedef struct rk_lf_point {
    size_t step;            /**< training steps done when it was taken (0: before training) */
    double target_acc;      /**< accuracy on the target class of the evaluation subset */
    double other_acc;       /**< accuracy on the other classes of the subset */
} rk_lf_point;

/** The update of one layer at one record. */
typedef struct rk_lf_layer {
    double fro;             /**< ‖ΔW_t‖_F */
    size_t rank_90;         /**< rank holding 90% of the energy */
    size_t rank_99;         /**< rank holding 99% of the energy */
    double eff_rank;        /**< effective rank (0 when ΔW_t = 0) */
    double phi;             /**< φ(r, r) against the last record (NaN until rk_lf_finish, or without phi_rank) */
} rk_lf_layer;

/** The fixed evaluation subset. Arrays are the caller's and must outlive the track. */
typedef struct rk_lf_eval {
    const float *x;             /**< (n, dim) inputs */
    const unsigned char *y;     /**< (n) labels */
    size_t n;                   /**< examples */
    int target;                 /**< the fine-tune's class */
} rk_lf_eval;

/** Records of one fine-tune. Create with rk_lf_track_init(). */
typedef struct rk_lf_track {
    size_t n_layers;        /**< layers of the network */
    size_t cap;             /**< records it can hold */
    size_t n;               /**< records taken */
    size_t phi_rank;        /**< r of φ(r, r) against the final update, 0: not tracked */
    rk_lf_point *points;    /**< (cap) */
    rk_lf_layer *layers;    /**< (cap × n_layers): record i, layer l at [i·n_layers + l] */
    rk_mat *u_top;          /**< (cap × n_layers) top-r left vectors of ΔW_t (with phi_rank) */
} rk_lf_track;

/**
 * Prepare @p t for up to @p cap records of a network of @p n_layers layers;
 * @p phi_rank > 0 also keeps each ΔW_t's top r left singular vectors.
 * @return RK_OK; RK_EINVAL (NULL, cap or n_layers 0); RK_EOVERFLOW; RK_ENOMEM.
 */
rk_status rk_lf_track_init(rk_lf_track *t, size_t n_layers, size_t cap, size_t phi_rank);

/** Release what @p t owns and reset it. NULL is accepted. */
void rk_lf_track_free(rk_lf_track *t);

/**
 * The accuracies of @p net (with @p lora, may be NULL) on @p ev into @p p
 * (step left 0). A class absent from the subset gives NaN.
 * @return RK_OK; RK_EINVAL; the errors of rk_evaluate_rows() (lib/nn/eval.h).
 */
rk_status rk_lf_accuracy(rk_lf_point *p, rk_mlp *net, rk_lora *lora, const rk_lf_eval *ev);

/**
 * Take a record at @p step: the accuracies of @p net with @p lora on @p ev,
 * and for each layer ΔW_t — s·B·A when @p lora is given (layers without an
 * adapter have ΔW = 0), else W_t − W0 with W0 from @p base. A second record
 * at the same step as the last one is ignored (training loops report the
 * last step twice when it falls on the interval).
 * @return RK_OK; RK_EINVAL; RK_ERANGE (the track is full); RK_ESHAPE (base's
 *         shape differs); RK_ENOMEM; the SVD's errors.
 */
rk_status rk_lf_record(rk_lf_track *t, size_t step, rk_mlp *net, rk_lora *lora, const rk_mlp *base,
                       const rk_lf_eval *ev);

/**
 * With phi_rank: φ(r, r) of every record's ΔW_t against the last record's,
 * per layer (r clamped to the vectors held; 0-update layers get NaN), then
 * the kept vectors are released. Without phi_rank: nothing.
 * @return RK_OK; RK_EINVAL; RK_ENOMEM.
 */
rk_status rk_lf_finish(rk_lf_track *t);

#ifdef __cplusplus
}
#endif

#endif
