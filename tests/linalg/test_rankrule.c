/*
 * test_rankrule.c — the rank rules against spectra whose answers are worked
 * out by hand (ties, equal values, the zero matrix, k = 1, the ends of every
 * parameter range), Gavish–Donoho's threshold against its closed form and on
 * planted low rank plus noise, the budget against exhaustive search, and the
 * rule parser's errors.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testmat.h"

static size_t rule_rank(const char *text, const double *s, size_t k, size_t m, size_t n)
{
    rk_rank_rule rule;
    rk_err err;
    assert_status(rk_rule_parse(text, &rule, &err), RK_OK);
    size_t r = SIZE_MAX;
    assert_status(rk_rule_rank(&rule, s, k, m, n, 0, &r), RK_OK);
    return r;
}

/* s = (8, 4, 2, 1, 1, 0) of a 6×10 matrix. σ² = 64, 16, 4, 1, 1, 0 (Σ 86);
 * Σσ = 16, partial sums 8, 12, 14, 15, 16 (halves, quarters: exact). */
static const double hand[] = { 8, 4, 2, 1, 1, 0 };

static void test_energy_and_sv_fro(void **state)
{
    (void)state;
    assert_int_equal(rule_rank("energy:0", hand, 6, 6, 10), 1);  /* formula 0: keep one */
    assert_int_equal(rule_rank("energy:0.5", hand, 6, 6, 10), 1); /* 64/86 */
    assert_int_equal(rule_rank("energy:0.9", hand, 6, 6, 10), 2); /* 80/86 = 0.93 */
    /* exactly on the threshold: Σ_{i≤2} σ² = 80 ≥ (80/86)·86 */
    rk_rank_rule on = { RK_RULE_ENERGY, 80.0 / 86.0, 0 };
    size_t r;
    assert_status(rk_rule_rank(&on, hand, 6, 6, 10, 0, &r), RK_OK);
    assert_int_equal(r, 2);
    on.param = nextafter(80.0 / 86.0, 1.0);
    assert_status(rk_rule_rank(&on, hand, 6, 6, 10, 0, &r), RK_OK);
    assert_int_equal(r, 3);
    assert_int_equal(rule_rank("energy:1", hand, 6, 6, 10), 5); /* the zero σ adds nothing */
    assert_int_equal(rule_rank("sv_fro:0", hand, 6, 6, 10), 1);
    assert_int_equal(rule_rank("sv_fro:0.8", hand, 6, 6, 10), 1);  /* √(64/86) = 0.863 */
    assert_int_equal(rule_rank("sv_fro:0.9", hand, 6, 6, 10), 2);  /* √(80/86) = 0.964 */
    assert_int_equal(rule_rank("sv_fro:0.97", hand, 6, 6, 10), 3); /* √(84/86) = 0.988 */
    assert_int_equal(rule_rank("sv_fro:1", hand, 6, 6, 10), 5);
    /* sv_fro:F is energy:F², not energy:F: 0.9 keeps 81% of Σσ² */
    assert_int_equal(rule_rank("energy:0.81", hand, 6, 6, 10), rule_rank("sv_fro:0.9", hand, 6, 6, 10));
    /* on the threshold: four equal values, √(1/4) = 0.5 exactly */
    const double four[] = { 1, 1, 1, 1 };
    assert_int_equal(rule_rank("sv_fro:0.5", four, 4, 4, 4), 1);
}

static void test_sv_cumulative_ratio_eps(void **state)
{
    (void)state;
    assert_int_equal(rule_rank("sv_cumulative:0", hand, 6, 6, 10), 1);
    assert_int_equal(rule_rank("sv_cumulative:0.5", hand, 6, 6, 10), 1); /* 8/16 on the threshold */
    assert_int_equal(rule_rank("sv_cumulative:0.75", hand, 6, 6, 10), 2);
    assert_int_equal(rule_rank("sv_cumulative:0.76", hand, 6, 6, 10), 3);
    assert_int_equal(rule_rank("sv_cumulative:0.9", hand, 6, 6, 10), 4);
    assert_int_equal(rule_rank("sv_cumulative:1", hand, 6, 6, 10), 5);
    assert_int_equal(rule_rank("sv_ratio:1", hand, 6, 6, 10), 1);   /* σ ≥ σ₁ */
    assert_int_equal(rule_rank("sv_ratio:2", hand, 6, 6, 10), 2);   /* σ ≥ 4: ≥ keeps the 4 */
    assert_int_equal(rule_rank("sv_ratio:7.9", hand, 6, 6, 10), 3); /* σ ≥ 1.01 */
    assert_int_equal(rule_rank("sv_ratio:8", hand, 6, 6, 10), 5);   /* both tied 1s */
    assert_int_equal(rule_rank("sv_ratio:1e300", hand, 6, 6, 10), 5); /* never the zero σ */
    rk_rank_rule huge = { RK_RULE_SV_RATIO, DBL_MAX, 0 };
    size_t r;
    assert_status(rk_rule_rank(&huge, hand, 6, 6, 10, 0, &r), RK_OK);
    assert_int_equal(r, 5);
    assert_int_equal(rule_rank("eps:0", hand, 6, 6, 10), 5);
    assert_int_equal(rule_rank("eps:1", hand, 6, 6, 10), 3); /* strict: the tied 1s are out */
    assert_int_equal(rule_rank("eps:0.5", hand, 6, 6, 10), 5);
    assert_int_equal(rule_rank("eps:8", hand, 6, 6, 10), 1);   /* formula 0: keep one */
    assert_int_equal(rule_rank("eps:100", hand, 6, 6, 10), 1); /* E > σ₁ */
    assert_int_equal(rule_rank("fixed:3", hand, 6, 6, 10), 3);
    assert_int_equal(rule_rank("fixed:100", hand, 6, 6, 10), 6);
}

/* β = 6/10: ω = 0.56·0.216 − 0.95·0.36 + 1.82·0.6 + 1.43 = 2.30096; median (2 + 1)/2. */
static void test_gd_hand(void **state)
{
    (void)state;
    assert_rel_near(rk_rule_gd_omega(0.6), 2.30096, 4 * RK_EPS);
    assert_rel_near(rk_rule_gd_omega(1.0), 2.86, 4 * RK_EPS);
    assert_true(rk_rule_median(hand, 6) == 1.5);
    assert_true(rk_rule_median(hand, 5) == 2.0);
    assert_rel_near(rk_rule_gd_threshold(hand, 6, 6, 10), 2.30096 * 1.5, 8 * RK_EPS);
    assert_rel_near(rk_rule_gd_threshold(hand, 6, 10, 6), 2.30096 * 1.5, 8 * RK_EPS); /* β the same */
    assert_int_equal(rule_rank("gd", hand, 6, 6, 10), 2); /* τ = 3.45: 8 and 4 stand above */
    /* more than half the values 0: σ_med = 0, every non-zero σ counts */
    const double low[] = { 3, 2, 0, 0, 0 };
    assert_int_equal(rule_rank("gd", low, 5, 5, 5), 2);
}

static void test_equal_zero_and_one(void **state)
{
    (void)state;
    const double eq[] = { 2, 2, 2, 2 };
    assert_int_equal(rule_rank("energy:0.5", eq, 4, 4, 7), 2); /* 2·4/16 exactly */
    assert_int_equal(rule_rank("energy:0.51", eq, 4, 4, 7), 3);
    assert_int_equal(rule_rank("sv_cumulative:0.25", eq, 4, 4, 7), 1);
    assert_int_equal(rule_rank("sv_ratio:1", eq, 4, 4, 7), 4);
    assert_int_equal(rule_rank("eps:2", eq, 4, 4, 7), 1);
    assert_int_equal(rule_rank("gd", eq, 4, 4, 7), 1); /* nothing stands above ω·median > median */
    const double zero[] = { 0, 0, 0 };
    static const char *const all[] = { "energy:0.9", "energy:0", "sv_fro:1", "sv_cumulative:0.5",
                                       "sv_ratio:10", "eps:0", "gd" };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        assert_int_equal(rule_rank(all[i], zero, 3, 3, 5), 0);
    assert_int_equal(rule_rank("fixed:2", zero, 3, 3, 5), 2); /* fixed never looks at the values */
    const double one[] = { 5 };
    static const char *const one_rules[] = { "energy:0", "energy:1", "sv_fro:0.5", "sv_cumulative:1",
                                             "sv_ratio:1", "eps:0", "eps:10", "gd", "fixed:4" };
    for (size_t i = 0; i < sizeof one_rules / sizeof one_rules[0]; i++) {
        assert_int_equal(rule_rank(one_rules[i], one, 1, 1, 9), 1);
        assert_int_equal(rule_rank(one_rules[i], one, 1, 9, 1), 1);
    }
    assert_int_equal(rule_rank("gd", NULL, 0, 0, 4), 0); /* empty matrix */
}

static void test_cap_and_errors(void **state)
{
    (void)state;
    rk_rank_rule rule = { RK_RULE_EPS, 0, 0 };
    size_t r;
    assert_status(rk_rule_rank(&rule, hand, 6, 6, 10, 2, &r), RK_OK);
    assert_int_equal(r, 2); /* 5 capped by max_rank 2 */
    assert_status(rk_rule_rank(&rule, hand, 6, 6, 10, 9, &r), RK_OK);
    assert_int_equal(r, 5);
    assert_status(rk_rule_rank(&rule, hand, 6, 7, 10, 0, &r), RK_EINVAL); /* k ≠ min(m, n) */
    assert_status(rk_rule_rank(&rule, NULL, 6, 6, 10, 0, &r), RK_EINVAL);
    assert_status(rk_rule_rank(NULL, hand, 6, 6, 10, 0, &r), RK_EINVAL);
    const double unsorted[] = { 1, 2 }, neg[] = { 1, -1 }, nan_[] = { NAN, 1 };
    assert_status(rk_rule_rank(&rule, unsorted, 2, 2, 2, 0, &r), RK_EINVAL);
    assert_status(rk_rule_rank(&rule, neg, 2, 2, 2, 0, &r), RK_EINVAL);
    assert_status(rk_rule_rank(&rule, nan_, 2, 2, 2, 0, &r), RK_EINVAL);
    rk_rank_rule bad[] = { { RK_RULE_ENERGY, 1.5, 0 }, { RK_RULE_SV_FRO, -0.1, 0 },
                           { RK_RULE_SV_CUMULATIVE, NAN, 0 }, { RK_RULE_SV_RATIO, 0.5, 0 },
                           { RK_RULE_EPS, -1, 0 }, { RK_RULE_FIXED, 0, 0 },
                           { RK_RULE_BUDGET, 0, 100 }, { RK_RULE_COUNT_, 0, 0 } };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_status(rk_rule_rank(&bad[i], hand, 6, 6, 10, 0, &r), RK_EINVAL);
}

static void test_lines(void **state)
{
    (void)state;
    rk_rule_line line;
    rk_rank_rule ratio = { RK_RULE_SV_RATIO, 4, 0 }, eps = { RK_RULE_EPS, 0.5, 0 }, gd = { RK_RULE_GD, 0, 0 },
                 energy = { RK_RULE_ENERGY, 0.9, 0 };
    assert_status(rk_rule_line_for(&ratio, hand, 6, 6, 10, &line), RK_OK);
    assert_true(!line.vertical && line.at == 2.0);
    assert_status(rk_rule_line_for(&eps, hand, 6, 6, 10, &line), RK_OK);
    assert_true(!line.vertical && line.at == 0.5);
    assert_status(rk_rule_line_for(&gd, hand, 6, 6, 10, &line), RK_OK);
    assert_true(!line.vertical && line.at == rk_rule_gd_threshold(hand, 6, 6, 10));
    assert_status(rk_rule_line_for(&energy, hand, 6, 6, 10, &line), RK_OK);
    assert_true(line.vertical && line.at == 2.0);
}

/* Parser: every form, the round trip, and an error naming the rule for each bad string. */
static void test_parse(void **state)
{
    (void)state;
    static const char *const good[] = { "fixed:8", "energy:0.9", "sv_fro:0.5", "sv_cumulative:1",
                                        "sv_ratio:10", "eps:0.001", "gd", "budget:12345" };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        rk_rank_rule rule;
        char back[64];
        assert_status(rk_rule_parse(good[i], &rule, NULL), RK_OK);
        rk_rule_format(&rule, back, sizeof back);
        assert_string_equal(back, good[i]);
        assert_int_equal(rule.kind, (rk_rule_kind)i);
    }
    static const struct { const char *text, *says; } bad[] = {
        { "foo", "unknown rank rule 'foo'" }, { "", "unknown rank rule ''" },
        { "energy", "energy needs a parameter" }, { "energy:", "energy needs a parameter" },
        { "energy:abc", "'abc' is not a number" }, { "energy:1.5", "out of range" },
        { "energy:-0.1", "out of range" }, { "energy:nan", "not a number" },
        { "sv_fro:inf", "not a number" }, { "sv_ratio:0x10", "not a number" },
        { "sv_ratio:0.5", "X, a number >= 1" }, { "eps:-1", "E, a number >= 0" },
        { "gd:3", "gd takes no parameter" }, { "fixed:0", "R, an integer >= 1" },
        { "fixed:2.5", "R, an integer >= 1" }, { "budget:0", "P, an integer >= 1" },
        { "budget:-5", "P, an integer >= 1" }, { "budget:99999999999999999999999", "P, an integer" },
        { "Energy:0.9", "unknown rank rule 'Energy'" }, { "energy:0.9 ", "not a number" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rk_rank_rule rule = { RK_RULE_GD, 7, 7 };
        rk_err err;
        rk_err_clear(&err);
        assert_status(rk_rule_parse(bad[i].text, &rule, &err), RK_EINVAL);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("'%s': message '%s' does not say '%s'", bad[i].text, err.msg, bad[i].says);
        assert_true(rule.kind == RK_RULE_GD && rule.param == 7 && rule.count == 7); /* untouched */
    }
    rk_err err;
    assert_status(rk_rule_parse("foo:1", &(rk_rank_rule){ 0 }, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, rk_rule_forms())); /* the accepted forms */
    const rk_rank_rule *defs;
    assert_int_equal(rk_rule_defaults(&defs), 5);
    assert_int_equal(defs[4].kind, RK_RULE_GD);
}

/* A planted rank-r signal plus N(0, 1) noise, m×n: gd recovers r when the
 * signal stands well above the noise bulk edge √m + √n. */
static void test_gd_planted(void **state)
{
    (void)state;
    static const size_t shapes[][2] = { { 120, 120 }, { 200, 100 }, { 100, 200 }, { 300, 60 }, { 40, 250 } };
    for (size_t t = 0; t < sizeof shapes / sizeof shapes[0]; t++) {
        size_t m = shapes[t][0], n = shapes[t][1], k = m < n ? m : n, r = 3;
        double edge = sqrt((double)m) + sqrt((double)n), sv[300] = { 0 };
        for (size_t i = 0; i < r; i++)
            sv[i] = edge * (3.0 - 0.5 * (double)i); /* 3, 2.5, 2 × the edge */
        rk_mat y, noise;
        testmat_with_spectrum(&y, m, n, sv, 7 + t);
        rk_rng rng;
        rk_rng_seed(&rng, 100 + t);
        assert_status(rk_mat_create(&noise, m, n), RK_OK);
        rk_mat_fill_normal(&noise, &rng);
        assert_status(rk_mat_axpy(&y, 1.0, &noise), RK_OK);
        rk_svd svd;
        assert_status(rk_svd_decomp(&svd, &y, RK_SVD_VALUES), RK_OK);
        /* the closed form, from a sorted copy */
        double *asc = rk_alloc(k * sizeof *asc);
        assert_non_null(asc);
        for (size_t i = 0; i < k; i++)
            asc[i] = svd.s[k - 1 - i];
        double med = k % 2 ? asc[k / 2] : 0.5 * (asc[k / 2 - 1] + asc[k / 2]);
        double beta = (double)k / (double)(m > n ? m : n);
        double tau = (0.56 * beta * beta * beta - 0.95 * beta * beta + 1.82 * beta + 1.43) * med;
        assert_rel_near(rk_rule_gd_threshold(svd.s, k, m, n), tau, 16 * RK_EPS);
        size_t got = rk_rule_gd(svd.s, k, m, n);
        print_message("# %zux%zu: tau %.4g, sigma_r %.4g, sigma_r+1 %.4g, gd rank %zu\n", m, n, tau,
                      svd.s[r - 1], svd.s[r], got);
        assert_int_equal(got, r);
        rk_free(asc);
        rk_svd_free(&svd);
        rk_mat_free(&noise);
        rk_mat_free(&y);
    }
}

/* Energy Σ_j Σ_{i<r_j} σ_{j,i}². */
static double kept(const rk_rule_spectrum *sp, size_t n, const size_t *r)
{
    double e = 0;
    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < r[j]; i++)
            e += sp[j].s[i] * sp[j].s[i];
    return e;
}

/* The best energy over every rank tuple within the budget (small cases only). */
static double exhaustive(const rk_rule_spectrum *sp, size_t n, size_t budget, size_t j, size_t *r)
{
    if (j == n)
        return kept(sp, n, r);
    double best = -1;
    for (r[j] = 0; r[j] <= sp[j].k && r[j] * (sp[j].m + sp[j].n) <= budget; r[j]++) {
        double e = exhaustive(sp, n, budget - r[j] * (sp[j].m + sp[j].n), j + 1, r);
        best = e > best ? e : best;
    }
    r[j] = 0;
    return best;
}

static int desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void test_budget_hand(void **state)
{
    (void)state;
    const double a[] = { 4, 2 }, b[] = { 3 };
    rk_rule_spectrum sp[] = { { a, 2, 2, 2 }, { b, 1, 3, 1 } }; /* both cost 4 per rank */
    size_t r[2], spent;
    double gap;
    assert_status(rk_rule_budget(sp, 2, 8, 0, r, &spent, &gap), RK_OK);
    assert_true(r[0] == 1 && r[1] == 1 && spent == 8 && gap == 4.0); /* refused σ² = 4 */
    assert_status(rk_rule_budget(sp, 2, 12, 0, r, &spent, &gap), RK_OK);
    assert_true(r[0] == 2 && r[1] == 1 && spent == 12 && gap == 0.0);
    assert_status(rk_rule_budget(sp, 2, 100, 1, r, &spent, NULL), RK_OK); /* max_rank 1 */
    assert_true(r[0] == 1 && r[1] == 1 && spent == 8);
    assert_status(rk_rule_budget(sp, 2, 3, 0, r, NULL, NULL), RK_ERANGE); /* < one rank-1 pair */
    /* greedy's worst case (rankrule.h): costs 2 and 100, σ² 2 and 99, P = 100 */
    const double c[] = { sqrt(2.0) }, d[] = { sqrt(99.0) };
    rk_rule_spectrum bad[] = { { c, 1, 1, 1 }, { d, 1, 1, 99 } };
    assert_status(rk_rule_budget(bad, 2, 100, 0, r, &spent, &gap), RK_OK);
    assert_true(r[0] == 1 && r[1] == 0 && spent == 2);
    assert_rel_near(gap, 99.0, 4 * RK_EPS);
    /* zero matrices get nothing */
    const double z[] = { 0, 0 };
    rk_rule_spectrum zs[] = { { z, 2, 2, 2 }, { a, 2, 2, 2 } };
    assert_status(rk_rule_budget(zs, 2, 100, 0, r, &spent, NULL), RK_OK);
    assert_true(r[0] == 0 && r[1] == 2 && spent == 8);
    const double unsorted[] = { 1, 2 };
    rk_rule_spectrum us[] = { { unsorted, 2, 2, 2 } };
    assert_status(rk_rule_budget(us, 1, 100, 0, r, NULL, NULL), RK_EINVAL);
    assert_status(rk_rule_budget(NULL, 1, 100, 0, r, NULL, NULL), RK_EINVAL);
    rk_rule_spectrum wrongk[] = { { a, 2, 3, 1 } };
    assert_status(rk_rule_budget(wrongk, 1, 100, 0, r, NULL, NULL), RK_EINVAL);
    /* an allocation failure is reported and leaks nothing (ASan checks the leak) */
    rk_test_fail_alloc_after(1);
    assert_status(rk_rule_budget(sp, 2, 8, 0, r, NULL, NULL), RK_ENOMEM);
    rk_test_fail_alloc_after(2);
    assert_status(rk_rule_budget(sp, 2, 8, 0, r, NULL, NULL), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
}

/* Random small cases: never over P; equal to exhaustive search when every
 * matrix costs the same per rank; otherwise short of it by at most the bound. */
static void test_budget_exhaustive(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 2014);
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 1 + (size_t)rk_rng_below(&rng, 4);
        bool same = trial % 2 == 0;
        double vals[4][4];
        rk_rule_spectrum sp[4];
        for (size_t j = 0; j < n; j++) {
            size_t m = 1 + (size_t)rk_rng_below(&rng, 4), c = 1 + (size_t)rk_rng_below(&rng, 4);
            if (same)
                m = c = 3;
            size_t k = m < c ? m : c;
            for (size_t i = 0; i < k; i++)
                vals[j][i] = trial % 5 == 1 ? (double)(1 + rk_rng_below(&rng, 3)) : rk_rng_uniform(&rng) * 10;
            qsort(vals[j], k, sizeof(double), desc);
            sp[j] = (rk_rule_spectrum){ vals[j], k, m, c };
        }
        size_t budget = 2 + (size_t)rk_rng_below(&rng, 40), r[4], best_r[4] = { 0 }, spent;
        double gap;
        rk_status st = rk_rule_budget(sp, n, budget, 0, r, &spent, &gap);
        if (st == RK_ERANGE)
            continue;
        assert_status(st, RK_OK);
        size_t cost = 0;
        for (size_t j = 0; j < n; j++)
            cost += r[j] * (sp[j].m + sp[j].n);
        assert_true(cost == spent && cost <= budget);
        double g = kept(sp, n, r), best = exhaustive(sp, n, budget, 0, best_r);
        assert_true(best >= g * (1 - 1e-12));
        if (same)
            assert_rel_near(g, best, 1e-12);
        if (!(best - g <= gap * (1 + 1e-12) + 1e-12))
            fail_msg("trial %d: greedy %.17g, best %.17g, bound %.17g", trial, g, best, gap);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_energy_and_sv_fro),
        cmocka_unit_test(test_sv_cumulative_ratio_eps),
        cmocka_unit_test(test_gd_hand),
        cmocka_unit_test(test_equal_zero_and_one),
        cmocka_unit_test(test_cap_and_errors),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_gd_planted),
        cmocka_unit_test(test_budget_hand),
        cmocka_unit_test(test_budget_exhaustive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
