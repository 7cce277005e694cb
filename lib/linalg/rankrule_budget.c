/*
 * rankrule_budget.c — budget:P, ranks for several matrices sharing one
 * parameter budget, chosen greedily by energy per parameter σ²/(m + n)
 * (the contract and how far from the best it can be: rankrule.h).
 */
#include "linalg/rankrule.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"

/* One singular value that could be kept: σ_{j,i}, its cost m_j + n_j. */
typedef struct item {
    double gain;    /* σ² / σ_max², the energy it adds (scaled alike for every matrix) */
    double ratio;   /* gain / cost */
    size_t mat;     /* j */
    size_t index;   /* i (0-based) */
} item;

/* Largest ratio first; ties by matrix, then index, so each matrix is taken as a prefix. */
static int by_ratio(const void *pa, const void *pb)
{
    const item *a = pa, *b = pb;
    if (a->ratio != b->ratio)
        return a->ratio > b->ratio ? -1 : 1;
    if (a->mat != b->mat)
        return a->mat < b->mat ? -1 : 1;
    return (a->index > b->index) - (a->index < b->index);
}

static rk_status check(const rk_rule_spectrum *sp, size_t n, size_t budget, size_t *ranks,
                       size_t *count, double *smax)
{
    if (!sp || !n || !ranks)
        return RK_EINVAL;
    size_t cheapest = SIZE_MAX;
    *count = 0;
    *smax = 0;
    for (size_t j = 0; j < n; j++) {
        size_t k = sp[j].m < sp[j].n ? sp[j].m : sp[j].n;
        if ((!sp[j].s && sp[j].k) || sp[j].k != k || sp[j].m > SIZE_MAX - sp[j].n)
            return sp[j].k == k && sp[j].s ? RK_EOVERFLOW : RK_EINVAL;
        for (size_t i = 0; i < k; i++)
            if (!(sp[j].s[i] >= 0) || !isfinite(sp[j].s[i]) || (i && sp[j].s[i] > sp[j].s[i - 1]))
                return RK_EINVAL;
        if (k && sp[j].m + sp[j].n < cheapest)
            cheapest = sp[j].m + sp[j].n;
        if (k && sp[j].s[0] > *smax)
            *smax = sp[j].s[0];
        if (*count > SIZE_MAX / sizeof(item) - k)
            return RK_EOVERFLOW;
        *count += k;
    }
    return budget < cheapest ? RK_ERANGE : RK_OK;
}

/* The candidate values (σ > 0, index < max_rank) of every matrix, unsorted. */
static size_t collect(const rk_rule_spectrum *sp, size_t n, size_t max_rank, double smax, item *items)
{
    size_t at = 0;
    for (size_t j = 0; j < n; j++) {
        double cost = (double)(sp[j].m + sp[j].n);
        for (size_t i = 0; i < sp[j].k && (!max_rank || i < max_rank); i++) {
            double x = sp[j].s[i] / smax;
            if (x * x > 0)
                items[at++] = (item){ x * x, x * x / cost, j, i };
        }
    }
    return at;
}

rk_status rk_rule_budget(const rk_rule_spectrum *spectra, size_t n, size_t budget, size_t max_rank,
                         size_t *ranks, size_t *spent, double *shortfall)
{
    size_t count;
    double smax;
    rk_status st = check(spectra, n, budget, ranks, &count, &smax);
    if (st != RK_OK)
        return st;
    for (size_t j = 0; j < n; j++)
        ranks[j] = 0;
    item *items = count && smax > 0 ? rk_alloc(count * sizeof *items) : NULL;
    if (count && smax > 0 && !items)
        return RK_ENOMEM;
    size_t m = items ? collect(spectra, n, max_rank, smax, items) : 0;
    qsort(items, m, sizeof *items, by_ratio);
    /* closed[j]: matrix j could not pay for its next value; its later ones cost the same. */
    unsigned char *closed = rk_calloc(n, 1);
    if (!closed) {
        rk_free(items);
        return RK_ENOMEM;
    }
    size_t left = budget;
    double first_refused = 0;
    for (size_t t = 0; t < m; t++) {
        const item *it = &items[t];
        size_t cost = spectra[it->mat].m + spectra[it->mat].n;
        if (closed[it->mat])
            continue;
        if (cost <= left) {
            left -= cost;
            ranks[it->mat] = it->index + 1;
        } else {
            closed[it->mat] = 1;
            if (first_refused == 0)
                first_refused = it->gain * smax * smax;
        }
    }
    if (spent)
        *spent = budget - left;
    if (shortfall)
        *shortfall = first_refused;
    rk_free(closed);
    rk_free(items);
    return RK_OK;
}
