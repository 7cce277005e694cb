/**
 * @file
 * @ingroup nn
 * layers.h — the float32 building blocks of the MLP: linear, ReLU, softmax
 * cross-entropy, and the LoRA side path of a linear layer.
 *
 * Shape letters, fixed for all of lib/nn:
 *   B    batch (rows of x)          In   input features
 *   Out  output features            R    LoRA rank
 *   C    classes (= Out of the last layer)
 *
 * Everything is row-major; a weight is (Out, In) as in PyTorch's nn.Linear,
 * so a linear layer is y = x·Wᵀ + b. Products go through cblas_sgemm.
 *
 * Forward and backward come in mirrored pairs with the same argument order:
 * outputs first, then inputs, then sizes; a `d` prefix means "gradient of the
 * loss with respect to". Backward ACCUMULATES (+=) into every gradient it is
 * given, so a parameter gradient can sum over several calls; clearing is the
 * caller's job. Any gradient output may be NULL when it is not wanted (no
 * work is done for it). These functions do not check their arguments: the
 * caller (mlp.c, lora.c) guarantees the sizes fit CBLAS's int and that no
 * pointer aliases another; they never allocate.
 */
#ifndef RK_NN_LAYERS_H
#define RK_NN_LAYERS_H

#include <stddef.h>

#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Largest batch for the one-pass kernels (nn/linear_fused.c): the linear
 * forward and, in full training, the backward fused with the optimizer
 * update (rk_train_step_fuses(), nn/kernels.h). Up to here a layer's work is bound by
 * reading and writing W; beyond, sgemm is faster (docs/performance.md).
 */
#define RK_LINEAR_SMALL_BATCH 16

/**
 * Linear forward: y = x·Wᵀ + b.
 * @param y   (B, Out) overwritten
 * @param x   (B, In)
 * @param w   (Out, In)
 * @param b   (Out), or NULL for no bias
 * Cost 2·B·In·Out flops: one sgemm, or at batch ≤ RK_LINEAR_SMALL_BATCH on a
 * CPU with AVX2 and FMA one pass over W (sgemm would first copy W
 * into a packed buffer: at small batch that copy costs more than the product).
 */
void rk_linear_forward(float *y, const float *x, const float *w, const float *b,
                       size_t batch, size_t in, size_t out);

/**
 * Linear backward of y = x·Wᵀ + b, accumulating:
 *   dx += dy·W        (B, In)     — 2·B·In·Out flops
 *   dW += dyᵀ·x       (Out, In)   — 2·B·In·Out flops
 *   db += Σ_rows dy   (Out)
 * Each of @p dx, @p dw, @p db may be NULL (skipped).
 * @param dy (B, Out)  @param x (B, In)  @param w (Out, In)
 */
void rk_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, size_t batch, size_t in, size_t out);

/**
 * As rk_linear_backward(), but the parameter gradients are overwritten:
 *   dW = beta·dW + dyᵀ·x,  db = beta·db + Σ_rows dy
 * with @p beta 0 (overwrite: no zeroing pass needed before) or 1 (accumulate,
 * exactly rk_linear_backward()); dx is still accumulated.
 */
void rk_linear_backward_beta(float *dx, float *dw, float *db, const float *dy, const float *x,
                             const float *w, size_t batch, size_t in, size_t out, float beta);

/** ReLU forward: y = max(x, 0) elementwise over @p n values. */
void rk_relu_forward(float *y, const float *x, size_t n);

/**
 * ReLU backward of y = max(x, 0): dx += dy · [y > 0]. Uses the forward
 * output @p y (y > 0 exactly when x > 0); the kink x = 0 gets gradient 0, as
 * in PyTorch.
 */
void rk_relu_backward(float *dx, const float *dy, const float *y, size_t n);

/**
 * Softmax cross-entropy forward, computed stably with log-sum-exp:
 *   m_i = max_c logits[i,c],  lse_i = m_i + log Σ_c exp(logits[i,c] − m_i)
 *   loss_i = lse_i − logits[i, y_i],  probs[i,c] = exp(logits[i,c] − lse_i)
 * and *loss = (1/B) Σ_i loss_i (PyTorch's CrossEntropyLoss, mean reduction),
 * summed in double.
 * @param probs  (B, C) overwritten with the softmax (needed by backward)
 * @param logits (B, C)
 * @param y      (B) labels, each < C
 * @return RK_OK; RK_ELABEL when a label is ≥ C (probs then undefined, *loss untouched);
 *         RK_EINVAL when batch is 0.
 */
rk_status rk_softmax_xent_forward(float *probs, float *loss, const float *logits,
                                  const unsigned char *y, size_t batch, size_t classes);

/**
 * Softmax cross-entropy backward of the mean loss:
 *   dlogits[i,c] += (probs[i,c] − [c = y_i]) / B
 * @param dlogits (B, C)  @param probs (B, C) from the forward  @param y (B) labels < C
 */
void rk_softmax_xent_backward(float *dlogits, const float *probs, const unsigned char *y,
                              size_t batch, size_t classes);

/**
 * LoRA side path of a linear layer, added to its output (ΔW = s·B·A is never formed):
 *   u  = x·Aᵀ          (B, R)    overwritten (backward needs it)
 *   y += s · u·Bᵀ      (B, Out)
 * @param a (R, In)  @param b (Out, R)  @param x (B, In)
 * Cost 2·B·R·(In + Out) flops (two sgemms).
 */
void rk_lora_side_forward(float *y, float *u, const float *x, const float *a, const float *b,
                          float scale, size_t batch, size_t in, size_t out, size_t rank);

/**
 * LoRA side path backward of u = x·Aᵀ, y += s·u·Bᵀ, accumulating:
 *   dB += s · dyᵀ·u    (Out, R)
 *   du  = s · dy·B     (B, R)   overwritten scratch
 *   dA += duᵀ·x        (R, In)
 *   dx += du·A         (B, In)
 * @p db, @p da and @p dx may be NULL (skipped); @p du is always needed.
 * Cost up to 2·B·R·(2·Out + 2·In) flops.
 */
void rk_lora_side_backward(float *dx, float *da, float *db, float *du, const float *dy,
                           const float *x, const float *u, const float *a, const float *b,
                           float scale, size_t batch, size_t in, size_t out, size_t rank);

#ifdef __cplusplus
}
#endif

#endif
