/* rankrule.c — the rank rules over one spectrum (formulas in rankrule.h). */
#include "linalg/rankrule.h"

#include <math.h>
#include <stdio.h>

#include "linalg/spectrum.h"

/* Rules whose formula gives 0 on a non-zero matrix keep the top direction. */
static size_t at_least_one(const double *s, size_t k, size_t r)
{
    return r == 0 && k > 0 && s[0] > 0 ? 1 : r;
}

size_t rk_rule_fixed(size_t k, size_t rank)
{
    return rank < k ? rank : k;
}

size_t rk_rule_energy(const double *s, size_t k, double frac)
{
    /* Σ_{i≤r} σ_i² / Σ σ_i² ≥ F, with the sums of rk_spectrum_energy(). */
    return at_least_one(s, k, rk_spectrum_rank_for_energy(s, k, frac));
}

size_t rk_rule_sv_fro(const double *s, size_t k, double frac)
{
    if (k == 0 || !(s[0] > 0))
        return 0;
    double total = 0, part = 0; /* Σ (σ_i/σ₁)², left to right */
    for (size_t i = 0; i < k; i++)
        total += (s[i] / s[0]) * (s[i] / s[0]);
    for (size_t r = 1; r <= k; r++) {
        part += (s[r - 1] / s[0]) * (s[r - 1] / s[0]);
        if (sqrt(part / total) >= frac) /* √(Σ_{i≤r} σ_i²) / ‖ΔW‖_F ≥ F */
            return r;
    }
    return k;
}

size_t rk_rule_sv_cumulative(const double *s, size_t k, double frac)
{
    if (k == 0 || !(s[0] > 0))
        return 0;
    double total = 0, part = 0; /* Σ σ_i/σ₁, left to right */
    for (size_t i = 0; i < k; i++)
        total += s[i] / s[0];
    for (size_t r = 1; r <= k; r++) {
        part += s[r - 1] / s[0];
        if (part >= frac * total) /* Σ_{i≤r} σ_i ≥ F · Σ σ_i */
            return at_least_one(s, k, r);
    }
    return k;
}

size_t rk_rule_sv_ratio(const double *s, size_t k, double ratio)
{
    if (k == 0 || !(s[0] > 0))
        return 0;
    double floor_ = s[0] / ratio; /* σ₁/X; 0 only when X is so large that it underflows */
    size_t r = 0;
    for (size_t i = 0; i < k; i++)
        r += floor_ > 0 ? s[i] >= floor_ : s[i] > 0;
    return r;
}

size_t rk_rule_eps(const double *s, size_t k, double eps)
{
    size_t r = 0;
    for (size_t i = 0; i < k; i++)
        r += s[i] > eps;
    return at_least_one(s, k, r);
}

double rk_rule_gd_omega(double beta)
{
    return ((0.56 * beta - 0.95) * beta + 1.82) * beta + 1.43;
}

double rk_rule_median(const double *s, size_t k)
{
    if (k == 0)
        return 0;
    if (k % 2)
        return s[k / 2];
    double lo = s[k / 2], hi = s[k / 2 - 1]; /* non-increasing: hi ≥ lo */
    return lo + (hi - lo) / 2;               /* the mean, without overflow */
}

double rk_rule_gd_threshold(const double *s, size_t k, size_t m, size_t n)
{
    size_t big = m > n ? m : n;
    if (k == 0 || big == 0)
        return 0;
    double beta = (double)k / (double)big; /* β = min(m, n) / max(m, n) ∈ (0, 1] */
    return rk_rule_gd_omega(beta) * rk_rule_median(s, k);
}

size_t rk_rule_gd(const double *s, size_t k, size_t m, size_t n)
{
    double tau = rk_rule_gd_threshold(s, k, m, n);
    size_t r = 0;
    for (size_t i = 0; i < k; i++)
        r += s[i] > tau; /* τ = 0 (half the values are 0): every non-zero σ counts */
    return at_least_one(s, k, r);
}

/* A parameter inside its rule's range (rk_rule_parse() enforces the same). */
static int param_ok(const rk_rank_rule *rule)
{
    double p = rule->param;
    switch (rule->kind) {
    case RK_RULE_FIXED:
        return rule->count >= 1;
    case RK_RULE_ENERGY:
    case RK_RULE_SV_FRO:
    case RK_RULE_SV_CUMULATIVE:
        return p >= 0 && p <= 1;
    case RK_RULE_SV_RATIO:
        return p >= 1 && isfinite(p);
    case RK_RULE_EPS:
        return p >= 0 && isfinite(p);
    case RK_RULE_GD:
        return 1;
    default:
        return 0;
    }
}

/* Non-negative, finite, non-increasing: what every rule assumes. */
static int spectrum_ok(const double *s, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!(s[i] >= 0) || !isfinite(s[i]) || (i && s[i] > s[i - 1]))
            return 0;
    return 1;
}

rk_status rk_rule_rank(const rk_rank_rule *rule, const double *s, size_t k, size_t m, size_t n,
                       size_t max_rank, size_t *rank)
{
    if (!rule || !rank || (!s && k) || k != (m < n ? m : n) || !param_ok(rule) || !spectrum_ok(s, k))
        return RK_EINVAL;
    size_t r = 0;
    switch (rule->kind) {
    case RK_RULE_FIXED: r = rk_rule_fixed(k, rule->count); break;
    case RK_RULE_ENERGY: r = rk_rule_energy(s, k, rule->param); break;
    case RK_RULE_SV_FRO: r = rk_rule_sv_fro(s, k, rule->param); break;
    case RK_RULE_SV_CUMULATIVE: r = rk_rule_sv_cumulative(s, k, rule->param); break;
    case RK_RULE_SV_RATIO: r = rk_rule_sv_ratio(s, k, rule->param); break;
    case RK_RULE_EPS: r = rk_rule_eps(s, k, rule->param); break;
    case RK_RULE_GD: r = rk_rule_gd(s, k, m, n); break;
    default: return RK_EINVAL;
    }
    *rank = max_rank && r > max_rank ? max_rank : r;
    return RK_OK;
}

rk_status rk_rule_line_for(const rk_rank_rule *rule, const double *s, size_t k, size_t m, size_t n,
                           rk_rule_line *line)
{
    size_t r;
    rk_status st = rk_rule_rank(rule, s, k, m, n, 0, &r);
    if (st != RK_OK || !line)
        return st ? st : RK_EINVAL;
    switch (rule->kind) {
    case RK_RULE_SV_RATIO: *line = (rk_rule_line){ 0, k ? s[0] / rule->param : 0 }; break;
    case RK_RULE_EPS: *line = (rk_rule_line){ 0, rule->param }; break;
    case RK_RULE_GD: *line = (rk_rule_line){ 0, rk_rule_gd_threshold(s, k, m, n) }; break;
    default: *line = (rk_rule_line){ 1, (double)r }; break;
    }
    return RK_OK;
}

static const char *const rule_names[RK_RULE_COUNT_] = {
    "fixed", "energy", "sv_fro", "sv_cumulative", "sv_ratio", "eps", "gd", "budget",
};

static const char *const rule_formulas[RK_RULE_COUNT_] = {
    "r = min(R, k)",
    "smallest r with sum_{i<=r} sigma_i^2 >= F * sum sigma_i^2",
    "smallest r with sqrt(sum_{i<=r} sigma_i^2) >= F * ||dW||_F",
    "smallest r with sum_{i<=r} sigma_i >= F * sum sigma_i",
    "r = #{sigma_i >= sigma_1 / X}",
    "r = #{sigma_i > E}",
    "r = #{sigma_i > tau}, tau = omega(beta) * median sigma (Gavish-Donoho)",
    "most energy with sum_j r_j (m_j + n_j) <= P, greedy by sigma^2 / (m + n)",
};

const char *rk_rule_formula(rk_rule_kind kind)
{
    return (unsigned)kind < RK_RULE_COUNT_ ? rule_formulas[kind] : "?";
}

const char *rk_rule_name(rk_rule_kind kind)
{
    return (unsigned)kind < RK_RULE_COUNT_ ? rule_names[kind] : "?";
}

void rk_rule_format(const rk_rank_rule *rule, char *buf, size_t len)
{
    if (!buf || !len)
        return;
    if (!rule) {
        snprintf(buf, len, "?");
        return;
    }
    const char *name = rk_rule_name(rule->kind);
    if (rule->kind == RK_RULE_GD)
        snprintf(buf, len, "%s", name);
    else if (rule->kind == RK_RULE_FIXED || rule->kind == RK_RULE_BUDGET)
        snprintf(buf, len, "%s:%zu", name, rule->count);
    else
        snprintf(buf, len, "%s:%.15g", name, rule->param);
}

size_t rk_rule_defaults(const rk_rank_rule **rules)
{
    static const rk_rank_rule defaults[] = {
        { RK_RULE_ENERGY, 0.9, 0 },   { RK_RULE_SV_FRO, 0.9, 0 }, { RK_RULE_SV_CUMULATIVE, 0.9, 0 },
        { RK_RULE_SV_RATIO, 10, 0 },  { RK_RULE_GD, 0, 0 },
    };
    if (rules)
        *rules = defaults;
    return sizeof defaults / sizeof defaults[0];
}
