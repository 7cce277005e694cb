/**
 * @file
 * @ingroup nn
 * lora.h — LoRA adapters for an rk_mlp: W' = W + s·B·A, training only A and B.
 *
 * For an adapted linear layer l with weight W (Out, In):
 *
 *   A (R, In)   B (Out, R)   ΔW = s·B·A   (rank ≤ R)
 *   s = α/R, or α/√R with rsLoRA (rank-stabilised scaling)
 *
 *   y = x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ      — training never forms ΔW (Out×In);
 *                                     the side path costs 2·B·R·(In+Out) flops
 *
 * Memory: the adapters live in their own flat buffer `params` (per adapted
 * layer: A, then B, then the bias when biases train) with named pointers
 * p.a[l], p.b[l], p.bias[l], and their own gradient buffer `grads` of the
 * same layout; an optimizer is created over (params, grads, n_params). The
 * base network is frozen: it gets no gradient buffer and no optimizer state,
 * and its weights are never written during training (only by rk_lora_merge,
 * rk_lora_unmerge and the PiSSA initialisation).
 *
 * Initialisations (B = 0 in the first three, so W' = W at step 0 and the
 * fine-tune starts exactly at the pretrained network):
 *   KAIMING   A ~ U(−1/√In, 1/√In): PyTorch's kaiming_uniform_(a = √5), the
 *             loralib/PEFT default (gain √(2/(1+a²)) = √(1/3), bound gain·√(3/In))
 *   GAUSSIAN  A ~ N(0, σ²) with σ = 1/R, PEFT's init_lora_weights="gaussian"
 *             (nn.init.normal_(A, std = 1/r))
 *   NORMAL    A ~ N(0, 1), the classic tutorial's nn.init.normal_(A)
 *   PISSA     from the top-R SVD W ≈ U_R·S_R·V_Rᵀ (in double):
 *             A = √(S_R/s)·V_Rᵀ, B = U_R·√(S_R/s), W ← W − U_R·S_R·V_Rᵀ,
 *             so s·B·A = U_R·S_R·V_Rᵀ and W_base + s·B·A = W to float rounding
 *             (the division by s is PEFT's choice too: the principal part does
 *             not change size with α). The residual W_base is written into the
 *             network, which then is the frozen base of this adapter.
 */
#ifndef RK_NN_LORA_H
#define RK_NN_LORA_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../core/rng.h"
#include "../core/status.h"
#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** How A and B start. */
typedef enum rk_lora_init {
    RK_LORA_INIT_KAIMING = 0,  /**< A ~ U(±1/√In), B = 0 (loralib/PEFT default) */
    RK_LORA_INIT_GAUSSIAN,     /**< A ~ N(0, (1/R)²), B = 0 (PEFT "gaussian") */
    RK_LORA_INIT_NORMAL,       /**< A ~ N(0, 1), B = 0 (the tutorial) */
    RK_LORA_INIT_PISSA         /**< A, B from the top-R SVD of W; W ← W − s·B·A */
} rk_lora_init;

/** Adapter settings. rk_lora_config_default() gives R = 1, α = 1, KAIMING, all layers. */
typedef struct rk_lora_config {
    size_t rank;          /**< R ≥ 1, at most min(In, Out) of every adapted layer for PISSA */
    double alpha;         /**< α > 0 */
    bool rslora;          /**< s = α/√R instead of α/R */
    rk_lora_init init;    /**< initialisation of A and B */
    unsigned layers;      /**< bit l set → layer l gets an adapter; 0 means every layer */
    bool train_bias;      /**< the adapted layers' biases train too (copies held by the adapter) */
} rk_lora_config;

/** Named pointers into an adapter buffer; NULL for layers without an adapter. */
typedef struct rk_lora_tensors {
    float *a[RK_MLP_MAX_LAYERS];     /**< a[l]: (R, In) */
    float *b[RK_MLP_MAX_LAYERS];     /**< b[l]: (Out, R) */
    float *bias[RK_MLP_MAX_LAYERS];  /**< bias[l]: (Out), only with train_bias */
} rk_lora_tensors;

/** A set of adapters for one network shape. Create with rk_lora_create(). */
typedef struct rk_lora {
    rk_lora_config cfg;        /**< settings (layers resolved to an explicit mask) */
    rk_mlp_config shape;       /**< shape of the network it was made for */
    float scale;               /**< s = α/R or α/√R */
    bool enabled;              /**< false: forward is exactly the base network */
    bool merged;               /**< true: W holds W + s·B·A and the side path is off */
    size_t layer_params[RK_MLP_MAX_LAYERS]; /**< trainable parameters per layer */
    size_t n_params;           /**< total trainable parameters */
    float *params;             /**< (n_params) flat: a[l], b[l], bias[l] per adapted layer */
    rk_lora_tensors p;         /**< named pointers into params */
    float *grads;              /**< (n_params) same layout */
    rk_lora_tensors g;         /**< named pointers into grads */
    size_t max_batch;          /**< rows the scratch buffers hold */
    float *acts;               /**< flat scratch memory (owner of u and du) */
    float *u[RK_MLP_MAX_LAYERS];   /**< u[l]: (B, R) = x_l·Aᵀ, kept by forward for backward */
    float *du[RK_MLP_MAX_LAYERS];  /**< du[l]: (B, R) scratch of backward */
} rk_lora;

/** R = 1, α = 1, not rsLoRA, KAIMING, all layers, biases frozen. */
rk_lora_config rk_lora_config_default(void);

/** s = α/R, or α/√R when @p rslora (0 when rank is 0). */
double rk_lora_scale(double alpha, size_t rank, bool rslora);

/**
 * Create adapters for @p net as @p cfg says and initialise them, drawing from
 * @p rng (not used by PISSA). Scratch buffers hold net->max_batch rows. The
 * adapter starts enabled and unmerged. With PISSA the network's adapted
 * weights are replaced by the residual W − U_R·S_R·V_Rᵀ (see the top of this
 * file). @p net's own gradient buffer is neither needed nor allocated.
 * @return RK_OK; RK_EINVAL (NULL, rank 0, α ≤ 0 or not finite, a layer bit
 *         beyond n_layers, an unknown init); RK_ERANGE (PISSA with R >
 *         min(In, Out)); RK_EOVERFLOW; RK_ENOMEM; the SVD's errors for PISSA.
 *         On error *lo is empty and @p net is unchanged.
 */
rk_status rk_lora_create(rk_lora *lo, rk_mlp *net, const rk_lora_config *cfg, rk_rng *rng);

/** Release everything @p lo owns and reset it. NULL is accepted. */
void rk_lora_free(rk_lora *lo);

/** Trainable parameters of layer @p l (R·(In + Out) [+ Out]), 0 when not adapted. */
size_t rk_lora_layer_params(const rk_lora *lo, size_t l);

/**
 * Bytes the adapter set holds for training: its parameters and their
 * gradients (2·n_params·4) and the forward/backward scratch u, du
 * (2·R·max_batch·4 per adapted layer); 0 for NULL.
 */
size_t rk_lora_state_bytes(const rk_lora *lo);

/** true when layer @p l has an adapter. */
bool rk_lora_has_layer(const rk_lora *lo, size_t l);

/** grads = 0. */
void rk_lora_zero_grad(rk_lora *lo);

/**
 * Merge: W ← W + s·B·A for every adapted layer (one sgemm each; the bias, when
 * it trains, is swapped in), so inference costs nothing extra. Afterwards the
 * forward skips the side path. Unmerge subtracts it again; in float the
 * weights come back to within rounding, not bit for bit.
 * @return RK_OK; RK_EINVAL; RK_ESHAPE (another shape); RK_ESTATE (already
 *         merged / not merged, or disabled).
 */
rk_status rk_lora_merge(rk_lora *lo, rk_mlp *net);

/** Undo rk_lora_merge: W ← W − s·B·A (see there). */
rk_status rk_lora_unmerge(rk_lora *lo, rk_mlp *net);

/**
 * Switch the adapters on or off. Disabled, the forward is the base network's,
 * computed by the same code path, so its outputs are bit for bit the base's.
 * @return RK_OK; RK_EINVAL; RK_ESTATE (merged: unmerge first).
 */
rk_status rk_lora_set_enabled(rk_lora *lo, bool enabled);

/**
 * ΔW_lora = s·B·A of layer @p l, computed in double from the float factors,
 * into @p out (Out, In), allocated here. For PISSA this is the whole principal
 * part; the change made by training is the difference to its value at init.
 * @return RK_OK; RK_EINVAL; RK_ERANGE (l out of range); RK_ENOTFOUND (layer
 *         not adapted); RK_ENOMEM.
 */
rk_status rk_lora_delta(rk_mat *out, const rk_lora *lo, size_t l);

#ifdef __cplusplus
}
#endif

#endif
