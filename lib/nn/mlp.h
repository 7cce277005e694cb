/**
 * @file
 * @ingroup nn
 * mlp.h — a multilayer perceptron in float32: linear layers with ReLU between.
 *
 * The default network is the LoRA tutorial's 784 → 1000 → 2000 → 10:
 *
 *   x (B, 784) ─ linear1 ─ pre[0] (B, 1000) ─ ReLU ─ h[0] ─ linear2 ─ pre[1] (B, 2000)
 *              ─ ReLU ─ h[1] ─ linear3 ─ pre[2] = logits (B, 10) ─ softmax ─ probs
 *
 * 2,807,010 parameters. Layer l maps sizes[l] → sizes[l+1]; its weight is
 * (Out, In) as in PyTorch's nn.Linear, so layer l computes y = x·Wᵀ + b.
 *
 * Memory (llm.c style): all parameters live in ONE flat float buffer and
 * `p.w[l]`, `p.b[l]` are named pointers into it, in PyTorch state_dict order
 * (linear1.weight, linear1.bias, linear2.weight, …), so an optimizer is one
 * loop over `params`. The gradient buffer has the same layout and exists only
 * after rk_mlp_grads_alloc() — LoRA training never calls it, so a frozen base
 * has no gradient memory at all. Activations and their gradients are sized
 * once for `max_batch` rows; forward and backward never allocate.
 *
 * Forward/backward are a mirrored pair: forward keeps every activation that
 * backward needs (pre-activations, ReLU outputs, probabilities, a pointer to
 * the caller's input). An optional LoRA adapter set (lora.h) is applied when
 * passed; NULL means the plain network.
 */
#ifndef RK_NN_MLP_H
#define RK_NN_MLP_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../core/rng.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most linear layers an rk_mlp can have. */
#define RK_MLP_MAX_LAYERS 8

struct rk_lora;
struct rk_optim;

/** Named pointers into a flat parameter (or gradient) buffer. */
typedef struct rk_mlp_tensors {
    float *w[RK_MLP_MAX_LAYERS];   /**< w[l]: (sizes[l+1], sizes[l]) — (Out, In) */
    float *b[RK_MLP_MAX_LAYERS];   /**< b[l]: (sizes[l+1]) — (Out) */
} rk_mlp_tensors;

/** Shape of a network: n_layers linear layers, sizes[0] inputs … sizes[n_layers] classes. */
typedef struct rk_mlp_config {
    size_t n_layers;                      /**< 1 … RK_MLP_MAX_LAYERS */
    size_t sizes[RK_MLP_MAX_LAYERS + 1];  /**< widths; sizes[n_layers] = classes ≤ 256 */
} rk_mlp_config;

/** The network, its flat buffers and activations. Create with rk_mlp_create(). */
typedef struct rk_mlp {
    rk_mlp_config cfg;         /**< layer sizes */
    size_t n_params;           /**< total parameters (weights + biases) */
    float *params;             /**< (n_params) flat: w[0], b[0], w[1], b[1], … */
    rk_mlp_tensors p;          /**< named pointers into params */
    float *grads;              /**< (n_params) same layout, NULL until rk_mlp_grads_alloc() */
    rk_mlp_tensors g;          /**< named pointers into grads (NULL while grads is NULL) */
    size_t max_batch;          /**< rows the activation buffers hold */
    float *acts;               /**< flat activation memory (owner of everything below) */
    float *pre[RK_MLP_MAX_LAYERS];   /**< pre[l]: (B, sizes[l+1]) = h_{l−1}·W_lᵀ + b_l; pre[L−1] = logits */
    float *h[RK_MLP_MAX_LAYERS];     /**< h[l]: (B, sizes[l+1]) = ReLU(pre[l]), l < L−1 */
    float *probs;              /**< (B, C) softmax of the logits, written by rk_mlp_loss() */
    float *dpre[RK_MLP_MAX_LAYERS];  /**< dpre[l]: (B, sizes[l+1]) gradient of pre[l] */
    float *dh[RK_MLP_MAX_LAYERS];    /**< dh[l]: (B, sizes[l+1]) gradient of h[l], l < L−1 */
    const float *x;            /**< (B, sizes[0]) input of the last forward (caller's memory, not copied) */
    size_t batch;              /**< rows of the last forward */
} rk_mlp;

/** The tutorial's 784 → 1000 → 2000 → 10 configuration. */
rk_mlp_config rk_mlp_config_default(void);

/**
 * Allocate a network of shape @p cfg whose activations hold up to
 * @p max_batch rows. Parameters are zero; call rk_mlp_init() next.
 * @return RK_OK; RK_EINVAL (NULL, n_layers 0 or > RK_MLP_MAX_LAYERS, a width
 *         0, max_batch 0, more than 256 classes); RK_EOVERFLOW (a size
 *         exceeds CBLAS's int or size_t); RK_ENOMEM. On error *net is empty.
 */
rk_status rk_mlp_create(rk_mlp *net, const rk_mlp_config *cfg, size_t max_batch);

/** Release everything @p net owns and reset it. NULL is accepted. */
void rk_mlp_free(rk_mlp *net);

/**
 * PyTorch's default nn.Linear initialisation, drawn from @p rng in
 * state_dict order (weight then bias, layer by layer):
 * w, b ~ U(−1/√In, 1/√In) with In = sizes[l].
 */
void rk_mlp_init(rk_mlp *net, rk_rng *rng);

/** Number of parameters of layer @p l (Out·In + Out), 0 when l is out of range. */
size_t rk_mlp_layer_params(const rk_mlp *net, size_t l);

/**
 * Allocate the gradient buffer (zeroed) for full training; does nothing if it
 * exists. @return RK_OK, RK_EINVAL, RK_ENOMEM.
 */
rk_status rk_mlp_grads_alloc(rk_mlp *net);

/** Release the gradient buffer (net->grads, net->g) again; nothing when there is none. */
void rk_mlp_grads_free(rk_mlp *net);

/** Bytes of the gradient buffer: n_params·4 while it exists, else 0. */
size_t rk_mlp_grads_bytes(const rk_mlp *net);

/** grads = 0 (no-op when there is no gradient buffer). */
void rk_mlp_zero_grad(rk_mlp *net);

/** Copy the parameters of @p src into @p dst of the same shape (RK_ESHAPE otherwise). */
rk_status rk_mlp_copy_params(rk_mlp *dst, const rk_mlp *src);

/**
 * Forward pass: logits = pre[L−1] (batch, C) for input @p x (batch, sizes[0]),
 * keeping every activation for backward (and remembering @p x, which must
 * stay valid until backward). With @p lora (not NULL, enabled, not merged)
 * each adapted layer adds s·(x·Aᵀ)·Bᵀ and, when its bias trains, uses the
 * adapter's bias; see lora.h.
 * @return RK_OK; RK_EINVAL (NULL, batch 0 or > max_batch); RK_ESHAPE (@p lora
 *         was made for another shape or a smaller batch).
 */
rk_status rk_mlp_forward(rk_mlp *net, struct rk_lora *lora, const float *x, size_t batch);

/**
 * Mean softmax cross-entropy of the last forward's logits against @p y
 * (batch labels, must equal the forward's batch); fills probs for backward.
 * @return RK_OK; RK_EINVAL; RK_ELABEL (a label ≥ C).
 */
rk_status rk_mlp_loss(rk_mlp *net, const unsigned char *y, float *loss);

/**
 * Backward pass of forward + loss (both must have run on this batch).
 * Without @p lora: accumulates (+=) the gradient of every parameter into
 * grads (which must exist: RK_ESTATE otherwise). With @p lora: accumulates
 * the adapters' gradients only (lora.h); the base gets none and net->grads
 * is not touched. When @p dx is not NULL, dx += ∂loss/∂x (batch, sizes[0]).
 * Activation gradients are cleared here; parameter gradients are not
 * (rk_mlp_zero_grad / rk_lora_zero_grad).
 * @return RK_OK; RK_EINVAL; RK_ESTATE (no gradient buffer, or no forward before).
 */
rk_status rk_mlp_backward(rk_mlp *net, struct rk_lora *lora, const unsigned char *y, float *dx);

/**
 * Predicted class (argmax of the logits; the first index on ties) of each of
 * the @p n rows of @p x (n, sizes[0]), in batches of max_batch, into @p pred (n).
 * @return RK_OK; RK_EINVAL; RK_ESHAPE (as rk_mlp_forward).
 */
rk_status rk_mlp_predict(rk_mlp *net, struct rk_lora *lora, const float *x, size_t n,
                         unsigned char *pred);

/**
 * Accuracy counts over a labelled set: *correct = #{pred = y}; when
 * @p confusion (C, C) is not NULL, confusion[y·C + pred] += 1 for every row
 * (rows are true classes, columns predictions).
 * @return RK_OK; RK_EINVAL; RK_ELABEL (a label ≥ C).
 */
rk_status rk_mlp_evaluate(rk_mlp *net, struct rk_lora *lora, const float *x,
                          const unsigned char *y, size_t n, size_t *correct, size_t *confusion);

/**
 * The fine-tuning delta of layer @p l as double: @p out (Out, In) is allocated
 * and set to W_ft − W0, with @p ft the fine-tuned and @p base the original net.
 * @return RK_OK; RK_EINVAL; RK_ERANGE (l ≥ n_layers); RK_ESHAPE (shapes
 *         differ); RK_ENOMEM.
 */
rk_status rk_mlp_weight_delta(rk_mat *out, const rk_mlp *ft, const rk_mlp *base, size_t l);

#ifdef __cplusplus
}
#endif

#endif
