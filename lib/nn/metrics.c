/* metrics.c — confusion counts and the accuracies derived from them. */
#include "nn/metrics.h"

#include <math.h>

void rk_metrics_argmax(const float *logits, size_t n, size_t k, unsigned char *pred)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = logits + i * k;
        size_t best = 0;
        for (size_t j = 1; j < k; j++)
            if (row[j] > row[best])
                best = j;
        pred[i] = (unsigned char)best;
    }
}

rk_status rk_metrics_confusion_add(size_t *counts, size_t k, const unsigned char *truth,
                                   const unsigned char *pred, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (truth[i] >= k || pred[i] >= k)
            return RK_ERANGE;
    for (size_t i = 0; i < n; i++)
        counts[(size_t)truth[i] * k + pred[i]]++;
    return RK_OK;
}

size_t rk_metrics_total(const size_t *counts, size_t k)
{
    size_t total = 0;
    for (size_t i = 0; i < k * k; i++)
        total += counts[i];
    return total;
}

double rk_metrics_accuracy(const size_t *counts, size_t k)
{
    size_t total = rk_metrics_total(counts, k), right = 0;
    for (size_t c = 0; c < k; c++)
        right += counts[c * k + c];
    return total ? (double)right / (double)total : NAN;
}

static size_t row_sum(const size_t *counts, size_t k, size_t c)
{
    size_t s = 0;
    for (size_t p = 0; p < k; p++)
        s += counts[c * k + p];
    return s;
}

void rk_metrics_per_class(const size_t *counts, size_t k, double *acc)
{
    for (size_t c = 0; c < k; c++) {
        size_t n = row_sum(counts, k, c);
        acc[c] = n ? (double)counts[c * k + c] / (double)n : NAN;
    }
}

size_t rk_metrics_class_wrong(const size_t *counts, size_t k, size_t c)
{
    return row_sum(counts, k, c) - counts[c * k + c];
}

rk_status rk_metrics_worst_class(const size_t *counts, size_t k, size_t *worst)
{
    bool found = false;
    double worst_acc = INFINITY;
    for (size_t c = 0; c < k; c++) {
        size_t n = row_sum(counts, k, c);
        if (!n)
            continue;
        double acc = (double)counts[c * k + c] / (double)n;
        if (acc < worst_acc) {
            worst_acc = acc;
            *worst = c;
            found = true;
        }
    }
    return found ? RK_OK : RK_ENOTFOUND;
}
