/**
 * @file
 * @ingroup nn
 * optim.h — Adam and SGD with momentum over one flat parameter buffer.
 *
 * An optimizer owns its state (Adam's moments m, v; SGD's momentum buffer)
 * for exactly n parameters and updates a flat (params, grads) pair in one
 * loop. Create a fresh one for every training phase (as the tutorial does):
 * the state is never shared between phases. For LoRA it is created over the
 * adapter buffer, so the frozen base has no optimizer state at all.
 *
 * Adam, as torch.optim.Adam (no weight decay, no amsgrad), at step t ≥ 1:
 *   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + ε)
 * SGD, as torch.optim.SGD (dampening 0, not Nesterov):
 *   buf ← g at t = 1, else μ·buf + g;   p ← p − lr·buf   (μ = 0: plain SGD)
 *
 * A step is either one rk_optim_step() over the whole buffer, or
 * rk_optim_begin_step() followed by updates of parts of it (rk_optim_update;
 * inside lib/nn also a linear layer's weight matrix straight from its
 * backward pass, nn/kernels.h, which the training step uses at small batches).
 */
#ifndef RK_NN_OPTIM_H
#define RK_NN_OPTIM_H

#include <stddef.h>

#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which update rule. */
typedef enum rk_optim_kind {
    RK_OPTIM_ADAM = 0,   /**< Adam with bias correction */
    RK_OPTIM_SGD         /**< SGD with (optional) momentum */
} rk_optim_kind;

/** Hyper-parameters; rk_optim_adam_default() / rk_optim_sgd_default() fill them. */
typedef struct rk_optim_config {
    rk_optim_kind kind;  /**< the rule */
    double lr;           /**< learning rate > 0 */
    double beta1;        /**< Adam: first-moment decay, [0, 1) */
    double beta2;        /**< Adam: second-moment decay, [0, 1) */
    double eps;          /**< Adam: added to √v̂, > 0 */
    double momentum;     /**< SGD: μ ∈ [0, 1) */
} rk_optim_config;

/** An optimizer's state for n parameters. */
typedef struct rk_optim {
    rk_optim_config cfg; /**< hyper-parameters */
    size_t n;            /**< number of parameters it updates */
    long step;           /**< steps taken, t */
    float *m;            /**< (n) Adam first moment, or SGD momentum buffer */
    float *v;            /**< (n) Adam second moment; NULL for SGD */
} rk_optim;

/** PyTorch's Adam defaults: lr 1e-3, β1 0.9, β2 0.999, ε 1e-8. */
rk_optim_config rk_optim_adam_default(void);

/** SGD with lr @p lr and momentum @p momentum. */
rk_optim_config rk_optim_sgd_default(double lr, double momentum);

/**
 * Create zeroed state for @p n parameters.
 * @return RK_OK; RK_EINVAL (NULL, n 0, a hyper-parameter out of range);
 *         RK_EOVERFLOW; RK_ENOMEM. On error *opt is empty.
 */
rk_status rk_optim_create(rk_optim *opt, const rk_optim_config *cfg, size_t n);

/** Bytes of state it holds: n·4 for SGD (momentum), 2·n·4 for Adam (m, v); 0 for NULL. */
size_t rk_optim_state_bytes(const rk_optim *opt);

/** Release the state and reset @p opt. NULL is accepted. */
void rk_optim_free(rk_optim *opt);

/**
 * One update of @p params (n) from @p grads (n), as the rule at the top of
 * this file says: rk_optim_begin_step() then rk_optim_update() over the whole
 * buffer. Never allocates; the loop is split over rk_parallel_threads().
 * @return RK_OK; RK_EINVAL (NULL pointers).
 */
rk_status rk_optim_step(rk_optim *opt, float *params, const float *grads);

/**
 * Start step t + 1: the rk_optim_update*() calls that follow use it (Adam's
 * bias corrections 1 − β^t, SGD's first-step rule). A step made of several
 * updates — one per tensor, as the fused training step does — calls this once.
 * @return RK_OK; RK_EINVAL (NULL or empty optimizer).
 */
rk_status rk_optim_begin_step(rk_optim *opt);

/**
 * Update the parameters at positions [@p offset, @p offset + n) of the
 * optimizer's buffer: @p params and @p grads point at the first of them.
 * Element by element the same arithmetic as rk_optim_step().
 * @return RK_OK; RK_EINVAL (NULL pointers); RK_ERANGE (the range leaves the
 *         buffer); RK_ESTATE (no rk_optim_begin_step() yet).
 */
rk_status rk_optim_update(rk_optim *opt, size_t offset, float *params, const float *grads,
                          size_t n);

#ifdef __cplusplus
}
#endif

#endif
