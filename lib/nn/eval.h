/**
 * @file
 * @ingroup nn
 * eval.h — how well a network (with or without LoRA adapters) classifies a
 * labelled set: the one evaluation result of ranklab, used by the
 * experiment, the tools and the lessons alike.
 *
 *   confusion[t·K + p] = #{i : y_i = t, argmax logits_i = p}     (metrics.h)
 *   accuracy           = Σ_c confusion[c, c] / n
 *   per_class[c]       = confusion[c, c] / Σ_p confusion[c, p]
 *   worst              = argmin_c per_class[c] (smallest index on a tie)
 *   others(c)          = Σ_{t≠c} confusion[t, t] / Σ_{t≠c} Σ_p confusion[t, p]
 */
#ifndef RK_NN_EVAL_H
#define RK_NN_EVAL_H

#include <stddef.h>

#include "../core/status.h"
#include "data.h"
#include "lora.h"
#include "mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An evaluation of K classes over n examples. Zero-initialised: not evaluated. */
typedef struct rk_eval {
    size_t n_classes;       /**< K, the network's outputs; 0 while not evaluated */
    size_t n;               /**< examples counted */
    size_t correct;         /**< of them predicted right */
    double accuracy;        /**< correct / n (NaN for n = 0) */
    double *per_class;      /**< (K) accuracy per true class, NaN for a class without examples */
    size_t *confusion;      /**< (K, K) counts: rows the true class, columns the prediction */
    size_t worst;           /**< the class with the lowest accuracy; K when no class has examples */
} rk_eval;

/**
 * Evaluate @p net (with @p lora when not NULL, as rk_mlp_forward) on every
 * row of @p d into @p ev, which need not be initialised (free it with
 * rk_eval_free; on error it is left empty). Forward passes of net->max_batch
 * rows: the network's activations are overwritten, its parameters are not.
 * @return RK_OK; RK_EINVAL (NULL); RK_ESHAPE (@p d's features or classes do
 *         not match the network; err says which); RK_ELABEL; RK_ENOMEM.
 */
rk_status rk_evaluate(rk_eval *ev, rk_mlp *net, rk_lora *lora, const rk_dataset *d, rk_err *err);

/**
 * As rk_evaluate, on @p n rows of @p x (n, the network's inputs) with labels
 * @p y (n): a subset held as arrays (the caller answers for x's width; y is
 * checked against the network's K classes).
 * @return RK_OK; RK_EINVAL (NULL); RK_ELABEL (a label ≥ K); RK_ENOMEM.
 */
rk_status rk_evaluate_rows(rk_eval *ev, rk_mlp *net, rk_lora *lora, const float *x, const unsigned char *y,
                           size_t n, rk_err *err);

/** Release what @p ev owns and zero it. NULL is accepted. */
void rk_eval_free(rk_eval *ev);

/** per_class[c], or NaN when @p ev is not evaluated or @p c is not one of its classes. */
double rk_eval_class_accuracy(const rk_eval *ev, long c);

/**
 * The accuracy on the examples of every class but @p c (what a fine-tune on
 * class c may forget), others(c) above; NaN when @p ev is not evaluated, @p c
 * is not one of its classes or no other class has examples.
 */
double rk_eval_others_accuracy(const rk_eval *ev, long c);

#ifdef __cplusplus
}
#endif

#endif
