/**
 * @file
 * @ingroup nn
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
 * rk_train_run() is the one way lib/ and its users train: it creates the
 * optimizer, runs the loop and reports what the training held. It takes the
 * data as plain arrays (rk_train_data) and an optional index order, so it is
 * independent of how the data were loaded. Batches are gathered from the
 * order into one staging buffer allocated once per call. The library never
 * prints: progress goes to a callback, which the tools turn into a progress
 * bar and which can observe the model every N steps or stop the run.
 */
#ifndef RK_NN_TRAIN_H
#define RK_NN_TRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/status.h"
#include "lora.h"
#include "mlp.h"
#include "optim.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * What the callback is told every opts->report_every steps (and after the
 * last). Besides the figures it gets the model itself, between two steps:
 * an observer may read or evaluate @p net (and @p lora) — e.g. record
 * accuracy curves along a fine-tune — as long as it leaves the parameters
 * as they are (forward passes are fine: the next step recomputes its own).
 */
typedef struct rk_train_progress {
    size_t step;            /**< steps done so far (1-based after the first step) */
    size_t total_steps;     /**< steps this call will take */
    size_t epoch;           /**< passes over the order started so far (1-based) */
    float loss;             /**< loss of the latest step */
    double loss_mean;       /**< mean loss since the previous report */
    double samples_per_s;   /**< throughput since the start of the call */
    double seconds;         /**< wall time since the start of the call */
    rk_mlp *net;            /**< the network being trained (the frozen base under LoRA) */
    rk_lora *lora;          /**< the adapters being trained, NULL for full training */
} rk_train_progress;

/**
 * Progress callback. Return RK_OK to go on; any other status stops the run
 * after this step, and rk_train_run() returns that status (its result then
 * says how far it got), with err naming the step.
 */
typedef rk_status (*rk_train_callback)(const rk_train_progress *p, void *ctx);

/** The rows a run trains on: plain arrays, however they were loaded. */
typedef struct rk_train_data {
    const float *x;             /**< (n, dim) inputs */
    const unsigned char *y;     /**< (n) labels */
    size_t n;                   /**< rows */
    size_t dim;                 /**< features per row, = net->cfg.sizes[0] */
    const size_t *order;        /**< (n_order) the rows batches are drawn from (a class filter, a
                                     subset), each < n; NULL: all n rows */
    size_t n_order;             /**< entries of order */
} rk_train_data;

/** Options of rk_train_run(). */
typedef struct rk_train_opts {
    rk_optim_config optim;  /**< the optimizer rk_train_run() creates (Adam, PyTorch's defaults) */
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

/** What a run did and what it held. */
typedef struct rk_train_result {
    size_t steps;           /**< steps taken */
    double loss_first;      /**< loss of the first step */
    double loss_last;       /**< loss of the last step */
    double seconds;         /**< wall time of the loop */
    size_t trainable_params; /**< parameters the optimizer updated */
    size_t state_bytes;     /**< bytes of training state held while training: the gradients and
                                 the optimizer's state, and for LoRA the adapters' parameters and
                                 scratch (rk_mlp_grads_bytes, rk_optim_state_bytes,
                                 rk_lora_state_bytes); activations, the same for every method,
                                 are not counted */
} rk_train_result;

/** Adam (PyTorch's defaults), batch 10, 1 epoch, seed 0, shuffled, no callback. */
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
 * Train: create the optimizer opts->optim over the trainable buffer (the
 * whole network when @p lora is NULL, else the adapters only), run
 * rk_train_step() over batches drawn from @p data, and free the optimizer.
 * Shuffling uses an rk_rng seeded with opts->seed. Full training allocates
 * the network's gradient buffer for the run and frees it again when it was
 * not there before. @p res (may be NULL) is filled also when the run stops
 * early. @p err (may be NULL) says what went wrong and at which step.
 *
 * Divergence is an error, not a result: after every step the loss must be
 * finite, and at the end every trainable parameter (the adapter's, or the
 * whole network's) must be; otherwise the run stops with RK_EDIVERGED and
 * @p err names the step ("the loss became NaN at step 3 of 600"). The
 * parameters are then garbage and must not be saved.
 * @return RK_OK; RK_EDIVERGED; the errors of rk_optim_create and rk_train_step; RK_EINVAL
 *         (bad options, an index ≥ n, an empty order, dim ≠ sizes[0]);
 *         RK_ENOMEM (staging buffers); the callback's status when it stopped the run.
 */
rk_status rk_train_run(rk_mlp *net, rk_lora *lora, const rk_train_data *data,
                       const rk_train_opts *opts, rk_train_result *res, rk_err *err);

#ifdef __cplusplus
}
#endif

#endif
