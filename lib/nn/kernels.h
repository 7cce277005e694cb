/*
 * kernels.h — inner loops shared inside lib/nn: the optimizer's per-element
 * rule (optim.c, linear_fused.c), the small-batch linear kernels
 * (linear_fused.c, used by layers.c and train.c) and the training step's
 * fused and overwriting backward passes (mlp.c, used by train.c). Internal to
 * lib/nn and the tests: not part of ranklab.h.
 */
#ifndef RK_NN_KERNELS_H
#define RK_NN_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "optim.h"

/*
 * GCC at -O2 vectorises only loops without an epilogue (its "very-cheap" cost
 * model): the element-wise loops over millions of floats (Adam's update, ReLU)
 * get the full model instead. Each element's arithmetic is unchanged, so the
 * results are bit-identical.
 */
#if defined(__GNUC__) && !defined(__clang__)
#define RK_VECTORISE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define RK_VECTORISE
#endif

/** The scalars of one step's rule, worked out once per update call. */
typedef struct rk_optim_rule {
    rk_optim_kind kind;     /**< Adam or SGD */
    bool first;             /**< t = 1 (SGD's momentum buffer starts as g) */
    float step_size;        /**< Adam: lr / (1 − β1^t); SGD: lr */
    float inv_sqrt_bc2;     /**< Adam: 1 / √(1 − β2^t) */
    float b1;               /**< Adam: β1; SGD: μ */
    float b2;               /**< Adam: β2 */
    float eps;              /**< Adam: ε */
} rk_optim_rule;

/**
 * Whether the parameters [@p offset, @p offset + n) of @p opt's buffer can be
 * updated now: RK_OK; RK_EINVAL (no state); RK_ESTATE (no
 * rk_optim_begin_step() yet); RK_ERANGE (offset + n > opt->n, overflow-safe).
 */
rk_status rk_optim_check_range(const rk_optim *opt, size_t offset, size_t n);

/**
 * Whether a linear layer at this batch takes the one-pass kernels of
 * linear_fused.c: batch ≤ RK_LINEAR_SMALL_BATCH on a CPU with AVX2 and FMA.
 */
bool rk_linear_small_batch(size_t batch);

/** The rule for the optimizer's current step (after rk_optim_begin_step()). */
rk_optim_rule rk_optim_rule_get(const rk_optim *opt);

/** Apply @p r to n parameters @p p with gradients @p g and state @p m, @p v (v NULL for SGD). */
void rk_optim_rule_apply(const rk_optim_rule *r, float *restrict p, const float *restrict g,
                         float *restrict m, float *restrict v, size_t n);

/**
 * The instruction sets of the kernels in linear_fused.c, each a superset of
 * the one before: portable C; AVX2 + FMA; AVX-512VL (the AVX2 kernels' 256-bit
 * vectors in 32 registers: linear_fused512.c, the forward and the dX pass).
 */
typedef enum rk_fused_isa { RK_FUSED_PORTABLE = 0, RK_FUSED_AVX2, RK_FUSED_AVX512 } rk_fused_isa;

/** The widest kernels this CPU runs (checked at run time). */
rk_fused_isa rk_linear_fused_isa(void);

/** Whether the CPU runs the AVX2 + FMA versions of the kernels in linear_fused.c. */
bool rk_linear_fused_simd(void);

/**
 * y = x·Wᵀ + b (b may be NULL), each row of W read once from memory and
 * reused from cache for every 4 or 5 batch rows
 * (rk_linear_forward() calls it for batch ≤ RK_LINEAR_SMALL_BATCH); @p isa is
 * the widest kernel allowed (RK_FUSED_PORTABLE forces the portable C loop).
 * The AVX2 and AVX-512VL kernels give the same y bit for bit.
 */
void rk_linear_forward_fused(float *y, const float *x, const float *w, const float *b,
                             size_t batch, size_t in, size_t out, rk_fused_isa isa);

/**
 * dx += dy·W (dx batch × in, dy batch × out, W out × in) by one pass over W
 * (rk_linear_backward*() call it for batch ≤ RK_LINEAR_SMALL_BATCH when no
 * weight gradient is wanted); @p isa as for rk_linear_forward_fused().
 */
void rk_linear_backward_dx_fused(float *dx, const float *dy, const float *w, size_t batch,
                                 size_t in, size_t out, rk_fused_isa isa);

/** rk_optim_update_linear() with @p isa RK_FUSED_PORTABLE forcing the portable C loop. */
rk_status rk_optim_update_linear_kernel(rk_optim *opt, size_t offset, float *w, float *dx,
                                        const float *dy, const float *x, size_t batch,
                                        size_t rows, size_t cols, rk_fused_isa isa);


/* ------------------------------------------------------------------------
 * The training step's fused and overwriting backward passes (train.c):
 * internal, so the public surface has one backward, rk_mlp_backward().
 */

struct rk_mlp;
struct rk_lora;

/**
 * The backward pass of a linear layer y = x·Wᵀ + b fused with the update of
 * W: W (@p rows = out × @p cols = in, row-major) holds the parameters at
 * positions [@p offset, @p offset + rows·cols) of the optimizer's buffer;
 * @p dy (batch × rows) is ∂loss/∂y and @p x (batch × cols) the layer's input.
 * In one pass over W:
 *
 *   dX += dY·W            (@p dx, batch × cols, may be NULL; with W before the update)
 *   G   = dYᵀ·X           G[o, i] = Σ_b dY[b, o]·X[b, i] — summed in registers, never stored
 *   W, state ← rule(W, G)
 *
 * The bias is not touched (update it with rk_optim_update()). At small
 * batches this replaces two matrix products and a stored gradient
 * (nn/linear_fused.c explains the memory traffic). Columns are split over
 * rk_parallel_threads(); results do not depend on the split. Uses AVX2 and FMA
 * when the CPU has them (checked at run time) and the optimizer is Adam, portable
 * C otherwise; the two round the sums differently (fused multiply-adds).
 * @return RK_OK; RK_EINVAL (NULL pointers, batch 0); RK_ERANGE; RK_EOVERFLOW; RK_ESTATE.
 */
rk_status rk_optim_update_linear(rk_optim *opt, size_t offset, float *w, float *dx,
                                 const float *dy, const float *x, size_t batch, size_t rows,
                                 size_t cols);

/**
 * As rk_mlp_backward() without @p lora, but net->grads is overwritten with
 * this batch's gradient instead of accumulated into (no rk_mlp_zero_grad()
 * needed before: the sgemm that forms each dW starts from beta = 0).
 * @return RK_OK; RK_EINVAL; RK_ESTATE (no gradient buffer, or no forward before).
 */
rk_status rk_mlp_backward_set(struct rk_mlp *net, const unsigned char *y, float *dx);

/**
 * Full training's backward pass fused with the optimizer step, for small
 * batches (nn/linear_fused.c): layer by layer from the top, one pass over
 * W_l computes the input gradient from the old W_l and updates W_l straight
 * from G = dYᵀ·X (rk_optim_update_linear), then the bias takes the plain
 * update. Updating W_l before the layers below changes nothing: they need
 * only the input gradient. Begins the optimizer's step itself, once. The
 * weight gradients are never formed (net->g.w untouched); net->g.b holds the
 * bias gradients. @p opt must be over net->n_params in net->params' layout.
 * @return RK_OK; RK_EINVAL; RK_ESTATE (no gradient buffer, or no forward before);
 *         the optimizer's errors.
 */
rk_status rk_mlp_backward_update(struct rk_mlp *net, struct rk_optim *opt, const unsigned char *y);

/**
 * Whether rk_train_step() takes the fused path: full training (@p lora NULL)
 * with Adam at batch ≤ RK_LINEAR_SMALL_BATCH — on every CPU (the kernel is
 * AVX2 + FMA where the CPU has them, portable C elsewhere), so what a step
 * leaves in the gradient buffer depends on the arguments only. The step then
 * makes one pass over each weight matrix for the backward and the update
 * together (rk_mlp_backward_update): net->g.w is not written.
 */
bool rk_train_step_fuses(const struct rk_mlp *net, const struct rk_lora *lora,
                         const rk_optim *opt, size_t batch);

#endif
