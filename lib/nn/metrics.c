/* metrics.c — confusion counts and the accuracies derived from them. */
#include "nn/metrics.h"

#include <math.h>

void rk_metrics_argmax(const float *logits, size_t n, int k, unsigned char *pred)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = logits + i * (size_t)k;
        int best = 0;
        for (int j = 1; j < k; j++)
            if (row[j] > row[best])
                best = j;
        pred[i] = (unsigned char)best;
    }
}

rk_status rk_confusion_add(size_t *counts, int k, const unsigned char *truth,
                           const unsigned char *pred, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (truth[i] >= k || pred[i] >= k)
            return RK_ERANGE;
    for (size_t i = 0; i < n; i++)
        counts[(size_t)truth[i] * (size_t)k + pred[i]]++;
    return RK_OK;
}

size_t rk_confusion_total(const size_t *counts, int k)
{
    size_t total = 0;
    for (size_t i = 0; i < (size_t)k * (size_t)k; i++)
        total += counts[i];
    return total;
}

double rk_accuracy(const size_t *counts, int k)
{
    size_t total = rk_confusion_total(counts, k), right = 0;
    for (int c = 0; c < k; c++)
        right += counts[(size_t)c * (size_t)k + (size_t)c];
    return total ? (double)right / (double)total : NAN;
}

static size_t row_sum(const size_t *counts, int k, int c)
{
    size_t s = 0;
    for (int p = 0; p < k; p++)
        s += counts[(size_t)c * (size_t)k + (size_t)p];
    return s;
}

void rk_per_class_accuracy(const size_t *counts, int k, double *acc)
{
    for (int c = 0; c < k; c++) {
        size_t n = row_sum(counts, k, c);
        acc[c] = n ? (double)counts[(size_t)c * (size_t)k + (size_t)c] / (double)n : NAN;
    }
}

size_t rk_class_wrong(const size_t *counts, int k, int c)
{
    return row_sum(counts, k, c) - counts[(size_t)c * (size_t)k + (size_t)c];
}

int rk_worst_class(const size_t *counts, int k)
{
    int worst = -1;
    double worst_acc = INFINITY;
    for (int c = 0; c < k; c++) {
        size_t n = row_sum(counts, k, c);
        if (!n)
            continue;
        double acc = (double)counts[(size_t)c * (size_t)k + (size_t)c] / (double)n;
        if (acc < worst_acc) {
            worst_acc = acc;
            worst = c;
        }
    }
    return worst;
}
