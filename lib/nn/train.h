/*
 * train.h — one training step and a training loop over in-memory arrays.
 *
 * A step is forward → loss → backward → optimizer update:
 *   full training (lora NULL): every parameter of the network trains; the
 *     optimizer must have been created for net->n_params, and the network's
 *     gradient buffer is allocated on first use (rk_mlp_grads_alloc).
 *   LoRA (lora given): only the adapter buffer trains; the optimizer must have
 *     been created for lora->n_params; the base gets no gradient and is not
 *     written.
 * The step never allocates.
 *
 * The loop takes the data as plain arrays — x (n, dim) float, y (n) labels —
 * and an optional index order, so it is independent of how the data were
 * loaded. Batches are gathered from the order into one staging buffer
 * allocated once per call. The library never prints: progress goes to a
 * callback, which the tools turn into a progress bar.
 */
#ifndef RK_NN_TRAIN_H
#define RK_NN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "nn/lora.h"
#include "nn/mlp.h"
#include "nn/optim.h"

/** What the progress callback is told. */
typedef struct rk_train_progress {
    size_t step;            /**< steps done so far (1-based after the first step) */
    size_t total_steps;     /**< steps this call will take */
    size_t epoch;           /**< passes over the order started so far (1-based) */
    float loss;             /**< loss of the latest step */
    double loss_mean;       /**< mean loss since the previous report */
    double samples_per_s;   /**< throughput since the start of the call */
    double seconds;         /**< wall time since the start of the call */
} rk_train_progress;

/** Progress callback; return non-zero to stop training early (the loop then returns RK_OK). */
typedef int (*rk_train_callback)(const rk_train_progress *p, void *ctx);

/** Options of rk_train_run(). */
typedef struct rk_train_opts {
    size_t batch;           /**< rows per step, 1 … net->max_batch */
    size_t steps;           /**< > 0: exactly this many steps of full batches, wrapping around
                                 the data (a new shuffle at each wrap, batches may straddle it) */
    size_t epochs;          /**< used when steps = 0: this many passes, ⌈n/batch⌉ steps each
                                 (the last batch of a pass may be smaller) */
    uint64_t seed;          /**< shuffling seed: the same seed gives the same batches */
    int shuffle;            /**< non-zero: shuffle the order at every pass (seeded) */
    size_t report_every;    /**< call the callback every this many steps (and at the end); 0 = never */
    rk_train_callback callback; /**< may be NULL */
    void *callback_ctx;     /**< passed to the callback */
    float *losses;          /**< if not NULL, (total steps) receives every step's loss */
} rk_train_opts;

/** What a run did. */
typedef struct rk_train_result {
    size_t steps;           /**< steps taken */
    double loss_first;      /**< loss of the first step */
    double loss_last;       /**< loss of the last step */
    double seconds;         /**< wall time */
} rk_train_result;

/** batch 10, 1 epoch, seed 0, shuffled, no callback. */
rk_train_opts rk_train_opts_default(void);

/**
 * Number of steps rk_train_run() will take for @p n rows with @p opts
 * (steps, or epochs·⌈n/batch⌉); 0 when n or batch is 0.
 */
size_t rk_train_total_steps(size_t n, const rk_train_opts *opts);

/**
 * One step on the batch x (batch, sizes[0]), y (batch); *loss (may be NULL)
 * receives the batch's mean loss before the update. What the step leaves
 * behind is the updated parameters and the optimizer state, on every CPU:
 * the gradient buffers (net->grads, lora->grads) are the step's workspace and
 * hold nothing to read afterwards (a small full-training Adam step updates
 * each weight straight from its gradient without storing it). To look at a
 * gradient, run rk_mlp_forward, rk_mlp_loss and rk_mlp_backward yourself.
 * @return RK_OK; RK_EINVAL (NULL, batch 0 or > max_batch); RK_ESHAPE (the
 *         optimizer is for another number of parameters, or @p lora for
 *         another network); RK_ESTATE (@p lora disabled or merged);
 *         RK_ELABEL; RK_ENOMEM (first full step only: gradient buffer).
 */
rk_status rk_train_step(rk_mlp *net, rk_lora *lora, rk_optim *opt, const float *x,
                        const unsigned char *y, size_t batch, float *loss);

/**
 * Train on the rows of x (n, dim = sizes[0]) and y (n). When @p order (n_order
 * indices < n) is given, batches are drawn from those rows only (a class
 * filter, a subset); otherwise from all n rows. Shuffling uses an rk_rng
 * seeded with opts->seed. @p res may be NULL.
 * @return RK_OK; the errors of rk_train_step; RK_EINVAL (bad options, an
 *         index ≥ n, an empty order, dim ≠ sizes[0]); RK_ENOMEM (staging buffers).
 */
rk_status rk_train_run(rk_mlp *net, rk_lora *lora, rk_optim *opt, const float *x,
                       const unsigned char *y, size_t n, size_t dim, const size_t *order,
                       size_t n_order, const rk_train_opts *opts, rk_train_result *res);

#endif
