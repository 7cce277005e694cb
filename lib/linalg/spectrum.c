/* spectrum.c — norms, energies and ranks computed from singular values. */
#include "linalg/spectrum.h"

#include <math.h>

/* max_i s[i] over [from, to); 0 for an empty range. */
static double max_of(const double *s, size_t from, size_t to)
{
    double m = 0.0;
    for (size_t i = from; i < to; i++)
        if (s[i] > m)
            m = s[i];
    return m;
}

/* Σ_{from ≤ i < to} (s_i / scale)², summed left to right; scale > 0. */
static double scaled_sumsq(const double *s, size_t from, size_t to, double scale)
{
    double sum = 0.0;
    for (size_t i = from; i < to; i++) {
        double x = s[i] / scale;
        sum += x * x;
    }
    return sum;
}

double rk_spectrum_energy(const double *s, size_t k, size_t r)
{
    double smax = max_of(s, 0, k);
    if (smax == 0.0)
        return 0.0;
    if (r >= k)
        return 1.0;
    return scaled_sumsq(s, 0, r, smax) / scaled_sumsq(s, 0, k, smax);
}

size_t rk_spectrum_rank_for_energy(const double *s, size_t k, double frac)
{
    if (frac <= 0.0)
        return 0;
    if (!(frac <= 1.0))
        return k; /* unreachable (or NaN): keep everything */
    double smax = max_of(s, 0, k);
    if (smax == 0.0)
        return 0;
    /* The same left-to-right sums as rk_spectrum_energy(), so both agree
     * bit for bit on where the threshold is crossed. */
    double total = scaled_sumsq(s, 0, k, smax), part = 0.0;
    for (size_t r = 1; r < k; r++) {
        double x = s[r - 1] / smax;
        part += x * x;
        if (part / total >= frac)
            return r;
    }
    return k;
}

double rk_spectrum_stable_rank(const double *s, size_t k)
{
    if (k == 0 || s[0] == 0.0)
        return 0.0;
    return scaled_sumsq(s, 0, k, s[0]); /* Σ (σ_i/σ₁)² = ‖A‖_F² / σ₁² */
}

double rk_spectrum_effective_rank(const double *s, size_t k)
{
    double smax = max_of(s, 0, k);
    if (smax == 0.0)
        return 0.0;
    double total = 0.0;
    for (size_t i = 0; i < k; i++)
        total += s[i] / smax;
    double h = 0.0; /* H = −Σ p_i log p_i, p_i = σ_i / Σσ */
    for (size_t i = 0; i < k; i++) {
        double p = (s[i] / smax) / total;
        if (p > 0.0)
            h -= p * log(p);
    }
    return exp(h);
}

double rk_spectrum_condition(const double *s, size_t k)
{
    if (k == 0)
        return 0.0;
    if (s[k - 1] == 0.0)
        return INFINITY;
    return s[0] / s[k - 1];
}

double rk_spectrum_nuclear(const double *s, size_t k)
{
    double sum = 0.0;
    for (size_t i = 0; i < k; i++)
        sum += s[i];
    return sum;
}

double rk_spectrum_spectral(const double *s, size_t k)
{
    return k ? s[0] : 0.0;
}

double rk_spectrum_fro(const double *s, size_t k)
{
    return rk_spectrum_tail_fro(s, k, 0);
}

double rk_spectrum_tail_fro(const double *s, size_t k, size_t r)
{
    if (r >= k)
        return 0.0;
    double scale = max_of(s, r, k);
    if (scale == 0.0)
        return 0.0;
    return scale * sqrt(scaled_sumsq(s, r, k, scale));
}
