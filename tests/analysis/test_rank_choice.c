/*
 * test_rank_choice.c — the rank rules side by side on a network's updates
 * (lib/analysis/rank_choice.h): a 16 → 24 → 12 → 4 net with random weights
 * W0 and planted updates ΔW_l = U·diag(s)·Vᵀ of known spectra, on a synthetic
 * test set. Checks: each rule's ranks (values 8, 4, 2 then a floor of 1e-3,
 * times 0.05: the planted rank 3 where the rule sees it), energy + rel_err² = 1, params,
 * budget:P within P, the standard rules; W0 + [ΔW]_k (every value kept) has
 * the accuracy of the merged W0 + ΔW; a twin row shares its evaluation;
 * the net's weights are never written; every error code.
 */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../linalg/testmat.h"

enum { LAYERS = 3, NTEST = 200 };
static const size_t sizes[LAYERS + 1] = { 16, 24, 12, 4 };

typedef struct fixture {
    rk_mlp net;
    rk_mat delta[LAYERS];
    rk_dataset test;
} fixture;

static fixture F;

/* Planted spectrum of layer l: 8, 4, 2, then 1e-3 (a noise floor far below). */
static void planted(double *s, size_t k)
{
    for (size_t i = 0; i < k; i++)
        s[i] = i == 0 ? 8.0 : i == 1 ? 4.0 : i == 2 ? 2.0 : 1e-3;
}

static int setup(void **state)
{
    (void)state;
    rk_mlp_config cfg = rk_mlp_config_default();
    cfg.n_layers = LAYERS;
    memcpy(cfg.sizes, sizes, sizeof sizes);
    assert_status(rk_mlp_create(&F.net, &cfg, 50), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, 7);
    rk_mlp_init(&F.net, &rng);
    for (size_t l = 0; l < LAYERS; l++) {
        size_t m = sizes[l + 1], n = sizes[l], k = m < n ? m : n;
        double s[32];
        planted(s, k);
        testmat_with_spectrum(&F.delta[l], m, n, s, 100 + l);
        for (size_t i = 0; i < m * n; i++)
            F.delta[l].data[i] *= 0.05; /* a fine-tune's step: W0 dominates */
    }
    F.test = (rk_dataset){ .n = NTEST, .dim = sizes[0], .n_classes = sizes[LAYERS], .std = 1 };
    F.test.x = rk_alloc(NTEST * sizes[0] * sizeof *F.test.x);
    F.test.y = rk_alloc(NTEST);
    assert_non_null(F.test.x);
    assert_non_null(F.test.y);
    for (size_t i = 0; i < NTEST; i++) {
        F.test.y[i] = (unsigned char)(i % sizes[LAYERS]);
        for (size_t j = 0; j < sizes[0]; j++)
            F.test.x[i * sizes[0] + j] = (float)(rk_rng_normal(&rng) + (j == F.test.y[i] ? 1.5 : 0.0));
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (size_t l = 0; l < LAYERS; l++)
        rk_mat_free(&F.delta[l]);
    rk_mlp_free(&F.net);
    rk_dataset_free(&F.test);
    return 0;
}

static void test_ranks_and_what_they_keep(void **state)
{
    (void)state;
    rk_rank_choice c;
    assert_status(rk_rank_choice_init(&c, F.delta, LAYERS), RK_OK);
    const char *rules[] = { "gd", "fixed:2", "energy:1", "sv_ratio:3", "eps:0.01", "energy:0" };
    /* gd on the 4×12 layer: median (4 + 2)/2·0.05, τ = ω(1/3)·0.15 ≈ 0.29 keeps only σ₁ = 0.4 */
    size_t want[][LAYERS] = { { 3, 3, 1 }, { 2, 2, 2 }, { 16, 12, 4 }, { 2, 2, 2 }, { 3, 3, 3 }, { 1, 1, 1 } };
    for (size_t i = 0; i < sizeof rules / sizeof *rules; i++) {
        rk_rank_rule rule;
        rk_err err;
        assert_status(rk_rule_parse(rules[i], &rule, &err), RK_OK);
        assert_status(rk_rank_choice_add(&c, &rule), RK_OK);
        const rk_rank_choice_row *row = &c.rows[i];
        assert_string_equal(row->name, rules[i]);
        size_t params = 0;
        for (size_t l = 0; l < LAYERS; l++) {
            if (row->rank[l] != want[i][l])
                fail_msg("%s, layer %zu: rank %zu, want %zu", rules[i], l, row->rank[l], want[i][l]);
            double e = row->energy[l], r = row->rel_err[l];
            if (!(fabs(e + r * r - 1.0) <= 1e-12))
                fail_msg("%s, layer %zu: energy %.17g + rel_err² %.17g ≠ 1", rules[i], l, e, r * r);
            params += row->rank[l] * (sizes[l] + sizes[l + 1]);
        }
        assert_int_equal(row->params, params);
        assert_int_equal(row->eval.n_classes, 0); /* not evaluated yet */
    }
    assert_int_equal(c.n_rows, 6);
    rk_rank_choice_free(&c);
}

static void test_standard_and_budget(void **state)
{
    (void)state;
    rk_rank_choice c;
    assert_status(rk_rank_choice_init(&c, F.delta, LAYERS), RK_OK);
    rk_rank_rule rules[RK_RANK_CHOICE_MAX_ROWS];
    size_t n = rk_rank_choice_standard(&c, 2, rules);
    assert_int_equal(n, 7);
    assert_int_equal(rules[5].kind, RK_RULE_FIXED);
    assert_int_equal(rules[5].count, 2);
    assert_int_equal(rules[6].kind, RK_RULE_BUDGET);
    assert_int_equal(rules[6].count, 2 * (40 + 36 + 16)); /* r·Σ(Out + In) */
    for (size_t i = 0; i < n; i++)
        assert_status(rk_rank_choice_add(&c, &rules[i]), RK_OK);
    const rk_rank_choice_row *fixed = &c.rows[5], *budget = &c.rows[6];
    assert_true(budget->params <= rules[6].count);
    assert_int_equal(fixed->params, rules[6].count);
    /* every layer's third value (σ² = 4·0.05²) is worth more per parameter than nothing: the
     * budget spends what uniform r = 2 spends, keeping at least its energy in total */
    double e_fixed = 0, e_budget = 0;
    for (size_t l = 0; l < LAYERS; l++) {
        double tot = 0;
        for (size_t i = 0; i < c.svd[l].k; i++)
            tot += c.svd[l].s[i] * c.svd[l].s[i];
        e_fixed += fixed->energy[l] * tot;
        e_budget += budget->energy[l] * tot;
    }
    if (!(e_budget >= e_fixed * (1 - 1e-12)))
        fail_msg("budget keeps %.17g < uniform %.17g", e_budget, e_fixed);
    rk_rank_rule tiny = { .kind = RK_RULE_BUDGET, .count = 15 }; /* below 4 + 12 */
    assert_status(rk_rank_choice_add(&c, &tiny), RK_ERANGE);
    assert_int_equal(c.n_rows, 7);
    rk_rank_choice_free(&c);
}

static void test_accuracy_of_the_truncation(void **state)
{
    (void)state;
    size_t bytes = F.net.n_params * sizeof(float);
    float *before = rk_test_params_copy(&F.net);
    rk_rank_choice c;
    assert_status(rk_rank_choice_init(&c, F.delta, LAYERS), RK_OK);
    rk_rank_rule all = { .kind = RK_RULE_ENERGY, .param = 1.0 }, two = { .kind = RK_RULE_FIXED, .count = 2 };
    rk_rank_rule ratio = { .kind = RK_RULE_SV_RATIO, .param = 3.0 }; /* the same ranks as fixed:2 */
    assert_status(rk_rank_choice_add(&c, &all), RK_OK);
    assert_status(rk_rank_choice_add(&c, &two), RK_OK);
    assert_status(rk_rank_choice_evaluate(&c, &F.net, &F.test), RK_OK);
    double acc_two = c.rows[1].eval.accuracy;
    assert_status(rk_rank_choice_add(&c, &ratio), RK_OK);
    assert_int_equal(c.rows[2].eval.n_classes, 0);
    assert_status(rk_rank_choice_evaluate(&c, &F.net, &F.test), RK_OK); /* only the new row */
    assert_true(c.rows[1].eval.accuracy == acc_two);
    assert_memory_equal(before, F.net.params, bytes);
    /* W0 + ΔW merged into a copy of the net */
    rk_mlp merged;
    assert_status(rk_mlp_create(&merged, &F.net.cfg, F.net.max_batch), RK_OK);
    assert_status(rk_mlp_copy_params(&merged, &F.net), RK_OK);
    for (size_t l = 0; l < LAYERS; l++) {
        rk_mat w;
        assert_status(rk_mat_from_f32(&w, F.net.p.w[l], sizes[l + 1], sizes[l]), RK_OK);
        assert_status(rk_mat_axpy(&w, 1.0, &F.delta[l]), RK_OK);
        assert_status(rk_mat_to_f32(merged.p.w[l], &w), RK_OK);
        rk_mat_free(&w);
    }
    rk_eval ev;
    assert_status(rk_evaluate(&ev, &merged, NULL, &F.test, NULL), RK_OK);
    if (!(fabs(ev.accuracy - c.rows[0].eval.accuracy) <= 2.0 / NTEST))
        fail_msg("side path %.4f, merged %.4f", c.rows[0].eval.accuracy, ev.accuracy);
    assert_int_equal(c.rows[0].eval.n, NTEST);
    /* the twin row shares the evaluation, in its own memory */
    assert_true(c.rows[2].eval.accuracy == c.rows[1].eval.accuracy);
    assert_true(c.rows[2].eval.per_class != c.rows[1].eval.per_class);
    assert_memory_equal(c.rows[2].eval.confusion, c.rows[1].eval.confusion,
                        sizes[LAYERS] * sizes[LAYERS] * sizeof(size_t));
    rk_eval_free(&ev);
    rk_mlp_free(&merged);
    rk_rank_choice_free(&c);
    free(before);
}

/* rk_rank_choice_init_svd takes SVDs computed elsewhere over: the same rows as rk_rank_choice_init. */
static void test_init_from_svds(void **state)
{
    (void)state;
    rk_svd svd[LAYERS];
    for (size_t l = 0; l < LAYERS; l++)
        assert_status(rk_svd_decomp(&svd[l], &F.delta[l], RK_SVD_THIN), RK_OK);
    rk_rank_choice a, b;
    assert_status(rk_rank_choice_init_svd(&a, svd, LAYERS), RK_OK);
    for (size_t l = 0; l < LAYERS; l++)
        assert_null(svd[l].s); /* taken over */
    assert_status(rk_rank_choice_init(&b, F.delta, LAYERS), RK_OK);
    rk_rank_rule gd = { .kind = RK_RULE_GD }, bud = { .kind = RK_RULE_BUDGET, .count = 300 };
    assert_status(rk_rank_choice_add(&a, &gd), RK_OK);
    assert_status(rk_rank_choice_add(&a, &bud), RK_OK);
    assert_status(rk_rank_choice_add(&b, &gd), RK_OK);
    assert_status(rk_rank_choice_add(&b, &bud), RK_OK);
    for (size_t i = 0; i < 2; i++) {
        assert_memory_equal(a.rows[i].rank, b.rows[i].rank, sizeof a.rows[i].rank);
        assert_int_equal(a.rows[i].params, b.rows[i].params);
    }
    assert_int_equal(a.out[0], sizes[1]);
    assert_int_equal(a.in[0], sizes[0]);
    rk_rank_choice_free(&a);
    rk_rank_choice_free(&b);
    rk_svd values;  /* no vectors: refused, nothing taken */
    assert_status(rk_svd_decomp(&values, &F.delta[0], RK_SVD_VALUES), RK_OK);
    assert_status(rk_rank_choice_init_svd(&a, &values, 1), RK_EINVAL);
    assert_non_null(values.s);
    assert_status(rk_rank_choice_init_svd(&a, &values, 0), RK_EINVAL);
    assert_status(rk_rank_choice_init_svd(NULL, &values, 1), RK_EINVAL);
    rk_svd_free(&values);
}

static void test_errors(void **state)
{
    (void)state;
    rk_rank_choice c;
    rk_rank_rule gd = { .kind = RK_RULE_GD };
    assert_status(rk_rank_choice_init(NULL, F.delta, LAYERS), RK_EINVAL);
    assert_status(rk_rank_choice_init(&c, NULL, LAYERS), RK_EINVAL);
    assert_status(rk_rank_choice_init(&c, F.delta, 0), RK_EINVAL);
    assert_status(rk_rank_choice_init(&c, F.delta, RK_MLP_MAX_LAYERS + 1), RK_EINVAL);
    assert_status(rk_rank_choice_add(&c, &gd), RK_EINVAL); /* emptied */
    assert_status(rk_rank_choice_evaluate(&c, &F.net, &F.test), RK_EINVAL);
    assert_status(rk_rank_choice_init(&c, F.delta, 2), RK_OK); /* 2 layers: the 3-layer net does not match */
    assert_status(rk_rank_choice_add(&c, NULL), RK_EINVAL);
    assert_status(rk_rank_choice_add(&c, &gd), RK_OK);
    assert_status(rk_rank_choice_evaluate(&c, &F.net, &F.test), RK_ESHAPE);
    assert_status(rk_rank_choice_evaluate(&c, NULL, &F.test), RK_EINVAL);
    assert_status(rk_rank_choice_evaluate(&c, &F.net, NULL), RK_EINVAL);
    rk_rank_rule bad = { .kind = RK_RULE_ENERGY, .param = 2.0 };
    assert_status(rk_rank_choice_add(&c, &bad), RK_EINVAL);
    for (size_t i = 1; i < RK_RANK_CHOICE_MAX_ROWS; i++)
        assert_status(rk_rank_choice_add(&c, &gd), RK_OK);
    assert_status(rk_rank_choice_add(&c, &gd), RK_ERANGE);
    rk_rank_choice_free(&c);
    rk_rank_choice_free(NULL);
    rk_mat nan;
    assert_status(rk_mat_create(&nan, 3, 2), RK_OK);
    nan.data[1] = NAN;
    assert_status(rk_rank_choice_init(&c, &nan, 1), RK_ENONFINITE);
    rk_mat_free(&nan);
    /* out of memory at every allocation of an evaluated row: an error, nothing left behind */
    for (long k = 0;; k++) {
        assert_status(rk_rank_choice_init(&c, F.delta, LAYERS), RK_OK);
        assert_status(rk_rank_choice_add(&c, &gd), RK_OK);
        assert_status(rk_rank_choice_add(&c, &gd), RK_OK); /* a twin: a copy of the evaluation */
        rk_test_fail_alloc_after(k);
        rk_status s = rk_rank_choice_evaluate(&c, &F.net, &F.test);
        rk_test_fail_alloc_after(-1);
        rk_rank_choice_free(&c);
        if (s == RK_OK)
            break;
        assert_status(s, RK_ENOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranks_and_what_they_keep),
        cmocka_unit_test(test_standard_and_budget),
        cmocka_unit_test(test_accuracy_of_the_truncation),
        cmocka_unit_test(test_init_from_svds),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
