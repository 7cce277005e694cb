/**
 * @file
 * @ingroup linalg
 * rankrule.h — choosing the rank r of a truncation from the singular values
 * of the matrix, by the rules the LoRA tools use, each written out exactly.
 *
 * σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0 are the singular values of one ΔW (m×n) as
 * rk_svd_decomp() returns them, k = min(m, n): the WHOLE spectrum. Ranks are
 * 1-based counts ("keep the first r values"); s[i] in C is σ_{i+1}.
 *
 *   fixed:R          r = min(R, k)                                  (ranklab's --rank R)
 *   energy:F         smallest r with Σ_{i≤r} σ_i² ≥ F · Σ_i σ_i²    (PEFT, float threshold)
 *   sv_fro:F         smallest r with √(Σ_{i≤r} σ_i²) ≥ F · ‖ΔW‖_F   (kohya sd-scripts, sv_fro)
 *   sv_cumulative:F  smallest r with Σ_{i≤r} σ_i ≥ F · Σ_i σ_i      (kohya, sv_cumulative)
 *   sv_ratio:X       r = #{i : σ_i ≥ σ₁ / X}                         (kohya, sv_ratio)
 *   eps:E            r = #{i : σ_i > E}                              (mergekit, --sv-epsilon)
 *   gd               r = #{i : σ_i > τ},  τ = ω(β)·σ_med,  β = k / max(m, n),
 *                    ω(β) ≈ 0.56β³ − 0.95β² + 1.82β + 1.43,  σ_med the median of σ₁…σ_k
 *                    (Gavish & Donoho 2014, the optimal hard threshold when the noise
 *                    level is unknown: the directions that stand above the noise)
 *   budget:P         per-module ranks r_j of several matrices together: the most energy
 *                    Σ_j Σ_{i≤r_j} σ_{j,i}² with Σ_j r_j·(m_j + n_j) ≤ P  (see rk_rule_budget)
 *
 * F ∈ [0, 1], X ≥ 1, E ≥ 0, R ≥ 1, P ≥ 1. Every single-matrix rule returns
 * 1 ≤ r ≤ k when ΔW ≠ 0: a rule whose formula gives 0 (F = 0, E ≥ σ₁, every
 * σ below the noise floor) keeps the top direction. The zero matrix (σ₁ = 0)
 * gets r = 0 from every rule but fixed, which never looks at the values.
 * The result is then capped by a maximum rank (rk_rule_rank).
 *
 * Comparisons are the formulas' own (≥ or >), on sums formed left to right
 * and scaled by σ₁ (no overflow or underflow): r is exact for spectra whose
 * sums are exact in double. See docs/concepts/rank-rules.md for the origins
 * and where the cited tools differ from these formulas.
 */
#ifndef RK_LINALG_RANKRULE_H
#define RK_LINALG_RANKRULE_H

#include <stddef.h>

#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which rule. */
typedef enum rk_rule_kind {
    RK_RULE_FIXED = 0,     /**< fixed:R */
    RK_RULE_ENERGY,        /**< energy:F */
    RK_RULE_SV_FRO,        /**< sv_fro:F */
    RK_RULE_SV_CUMULATIVE, /**< sv_cumulative:F */
    RK_RULE_SV_RATIO,      /**< sv_ratio:X */
    RK_RULE_EPS,           /**< eps:E */
    RK_RULE_GD,            /**< gd */
    RK_RULE_BUDGET,        /**< budget:P (several matrices at once) */
    RK_RULE_COUNT_         /**< number of kinds (not a rule) */
} rk_rule_kind;

/** A rule and its parameter, as rk_rule_parse() reads "NAME:VALUE". */
typedef struct rk_rank_rule {
    rk_rule_kind kind;   /**< which rule */
    double param;        /**< F, X or E; unused by fixed, gd, budget */
    size_t count;        /**< R (fixed) or P (budget); 0 for the others */
} rk_rank_rule;

/** fixed:R — min(R, k). */
size_t rk_rule_fixed(size_t k, size_t rank);

/** energy:F — smallest r with Σ_{i≤r} σ_i² ≥ F·Σσ_i² (at least 1; 0 for the zero matrix). F ∈ [0, 1]. */
size_t rk_rule_energy(const double *s, size_t k, double frac);

/** sv_fro:F — smallest r with √(Σ_{i≤r} σ_i²) ≥ F·‖ΔW‖_F (at least 1; 0 for the zero matrix). */
size_t rk_rule_sv_fro(const double *s, size_t k, double frac);

/** sv_cumulative:F — smallest r with Σ_{i≤r} σ_i ≥ F·Σσ_i (at least 1; 0 for the zero matrix). */
size_t rk_rule_sv_cumulative(const double *s, size_t k, double frac);

/** sv_ratio:X — #{σ_i ≥ σ₁/X}, X ≥ 1 (X = 1 counts the values tied with σ₁; 0 for the zero matrix). */
size_t rk_rule_sv_ratio(const double *s, size_t k, double ratio);

/** eps:E — #{σ_i > E}, E ≥ 0, at least 1 (0 for the zero matrix). */
size_t rk_rule_eps(const double *s, size_t k, double eps);

/** ω(β) ≈ 0.56β³ − 0.95β² + 1.82β + 1.43 (Gavish–Donoho's fit, β ∈ (0, 1]; ω(1) ≈ 2.86). */
double rk_rule_gd_omega(double beta);

/** The median σ_med of s[0..k) (non-increasing): the middle value, or the mean of the two middle ones. 0 when k = 0. */
double rk_rule_median(const double *s, size_t k);

/**
 * Gavish–Donoho's threshold τ = ω(β)·σ_med for the spectrum s[0..k) of an
 * m×n matrix, k = min(m, n), β = k / max(m, n). 0 when k = 0.
 */
double rk_rule_gd_threshold(const double *s, size_t k, size_t m, size_t n);

/** gd — #{σ_i > τ} with τ = rk_rule_gd_threshold(), at least 1 (0 for the zero matrix). */
size_t rk_rule_gd(const double *s, size_t k, size_t m, size_t n);

/**
 * The rank @p rule picks for one m×n matrix with the whole spectrum
 * s[0..k), k = min(m, n), capped by @p max_rank (0: no cap). budget is a
 * rule over several matrices: use rk_rule_budget (here it is RK_EINVAL).
 * @return RK_OK; RK_EINVAL (NULL with k > 0, k ≠ min(m, n), a parameter out of
 *         its range, budget).
 */
rk_status rk_rule_rank(const rk_rank_rule *rule, const double *s, size_t k, size_t m, size_t n,
                       size_t max_rank, size_t *rank);

/** The threshold a rule draws on a scree plot. */
typedef struct rk_rule_line {
    int vertical;   /**< 1: a rank (x = r); 0: a singular value (σ = y) */
    double at;      /**< r, or σ */
} rk_rule_line;

/**
 * Where @p rule's threshold is on the scree plot of s[0..k): σ = σ₁/X
 * (sv_ratio), σ = E (eps), σ = τ (gd); the rank r itself for fixed, energy,
 * sv_fro, sv_cumulative (their thresholds are on sums, not on one σ).
 * @return RK_OK; RK_EINVAL as rk_rule_rank.
 */
rk_status rk_rule_line_for(const rk_rank_rule *rule, const double *s, size_t k, size_t m, size_t n,
                           rk_rule_line *line);

/** One matrix of a budget: its whole spectrum and its shape. */
typedef struct rk_rule_spectrum {
    const double *s;   /**< (k) singular values, non-increasing */
    size_t k;          /**< min(m, n) */
    size_t m;          /**< rows */
    size_t n;          /**< columns */
} rk_rule_spectrum;

/**
 * budget:P — ranks r_j (0 ≤ r_j ≤ min(k_j, max_rank)) for @p n matrices
 * together, with Σ_j r_j·(m_j + n_j) ≤ @p budget (a rank-r LoRA factor pair
 * of an m×n matrix has r·(m + n) parameters), keeping as much energy
 * Σ_j Σ_{i≤r_j} σ_{j,i}² as the greedy rule finds:
 *
 *   take the singular values of all matrices in the order of σ_{j,i}² / (m_j + n_j)
 *   (energy per parameter, largest first; ties by matrix, then by index);
 *   keep one when its cost m_j + n_j still fits, else close matrix j (its
 *   later values cost the same and gain less); zero values (and values whose
 *   square underflows beside the largest σ²) are never kept.
 *
 * Within a matrix the ratios do not increase, so each r_j is a prefix. This
 * is a knapsack: greedy is optimal when every matrix has the same m + n (it
 * keeps the largest values overall) and when it refuses nothing; otherwise
 * its energy falls short of the best by at most the
 * σ² of the first value it could not pay for (the fractional relaxation
 * bound), which can be most of the total: with costs 2 and 100, σ² 2 and 99
 * and P = 100, greedy keeps 2 where 99 was possible. @p shortfall (may be
 * NULL) receives that bound, 0 when nothing was refused.
 *
 * @p ranks (n) receives the ranks; @p spent (may be NULL) the parameters used.
 * @return RK_OK; RK_EINVAL (NULL, n = 0, a k_j ≠ min(m_j, n_j));
 *         RK_ERANGE (@p budget < min_j (m_j + n_j): not even one rank-1
 *         factor pair of the smallest matrix fits); RK_EOVERFLOW; RK_ENOMEM.
 */
rk_status rk_rule_budget(const rk_rule_spectrum *spectra, size_t n, size_t budget, size_t max_rank,
                         size_t *ranks, size_t *spent, double *shortfall);

/**
 * Parse a rule string: "fixed:R", "energy:F", "sv_fro:F", "sv_cumulative:F",
 * "sv_ratio:X", "eps:E", "gd", "budget:P" (R, P integers ≥ 1; F in [0, 1];
 * X ≥ 1; E ≥ 0; finite decimals). On error @p err names the rule and the
 * accepted forms, and @p rule is left unchanged.
 * @return RK_OK; RK_EINVAL.
 */
rk_status rk_rule_parse(const char *text, rk_rank_rule *rule, rk_err *err);

/** The accepted forms, for usage messages: "fixed:R, energy:F, …, budget:P". */
const char *rk_rule_forms(void);

/** The rule's name: "fixed", "energy", …; "?" for an unknown kind. */
const char *rk_rule_name(rk_rule_kind kind);

/**
 * The rule's formula in ASCII for reports, e.g. "smallest r with
 * sum_{i<=r} sigma_i^2 >= F * sum sigma_i^2"; "?" for an unknown kind.
 */
const char *rk_rule_formula(rk_rule_kind kind);

/** Write @p rule as the string rk_rule_parse() reads back ("energy:0.9", "gd") into @p buf. */
void rk_rule_format(const rk_rank_rule *rule, char *buf, size_t len);

/**
 * The rules at their default parameters, as `ranklab svd --rules` shows them:
 * energy:0.9, sv_fro:0.9, sv_cumulative:0.9, sv_ratio:10, gd.
 * Returns the count and sets *@p rules.
 */
size_t rk_rule_defaults(const rk_rank_rule **rules);

#ifdef __cplusplus
}
#endif

#endif
