/**
 * @file
 * @ingroup nn
 * metrics.h — classification metrics from predicted and true labels:
 * confusion counts, accuracy, per-class accuracy and the worst class.
 *
 * The confusion matrix is K×K, row-major, rows the TRUE class and columns
 * the PREDICTED one:
 *
 *     counts[t·K + p] = #{i : truth_i = t, pred_i = p}
 *
 * so row t sums to the number of examples of class t, the diagonal holds
 * the correct ones, and row t minus its diagonal entry is "wrong counts per
 * class" as the LoRA tutorial prints them.
 */
#ifndef RK_NN_METRICS_H
#define RK_NN_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Every function is rk_metrics_*; K (the number of classes) and the counts
 * are size_t.
 */

/**
 * pred[i] = argmax_j logits[i·K + j] for each of @p n rows of @p logits
 * (n, K); the first index wins ties. K must be 1..256.
 */
void rk_metrics_argmax(const float *logits, size_t n, size_t k, unsigned char *pred);

/**
 * Add the n pairs (truth[i], pred[i]) to @p counts (K, K) — accumulate, so
 * a test set can be counted batch by batch; zero counts first yourself.
 * @return RK_OK, or RK_ERANGE when a label is ≥ K (nothing is added then).
 */
rk_status rk_metrics_confusion_add(size_t *counts, size_t k, const unsigned char *truth,
                                   const unsigned char *pred, size_t n);

/** Number of examples counted: Σ counts. */
size_t rk_metrics_total(const size_t *counts, size_t k);

/** Accuracy Σ_c counts[c,c] / Σ counts; NAN when nothing was counted. */
double rk_metrics_accuracy(const size_t *counts, size_t k);

/**
 * acc[c] = counts[c,c] / Σ_p counts[c,p] for each class c (K values); NAN for
 * a class with no examples.
 */
void rk_metrics_per_class(const size_t *counts, size_t k, double *acc);

/** Examples of class @p c predicted as anything else: Σ_p counts[c,p] − counts[c,c]. */
size_t rk_metrics_class_wrong(const size_t *counts, size_t k, size_t c);

/**
 * *@p worst = the class with the lowest per-class accuracy (the smallest
 * index on a tie), ignoring classes with no examples.
 * @return RK_OK; RK_ENOTFOUND when no class has any example (*worst unchanged).
 */
rk_status rk_metrics_worst_class(const size_t *counts, size_t k, size_t *worst);

#ifdef __cplusplus
}
#endif

#endif
