/*
 * test_rank.c — numerical rank as numpy's test_linalg.py tests
 * matrix_rank, plus the tolerance rules (default, absolute, relative), the
 * tolerance reported back, and the tutorial's 10×10 rank-2 W.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>

static size_t rank_of(const rk_mat *a, const rk_rank_opts *opts, double *tol)
{
    size_t r = 999;
    assert_status(rk_rank(a, opts, &r, tol), RK_OK);
    return r;
}

static void test_identity_and_zeros(void **state)
{
    (void)state;
    rk_mat a;
    assert_status(rk_mat_create(&a, 4, 4), RK_OK);
    rk_mat_set_identity(&a);
    assert_int_equal(rank_of(&a, NULL, NULL), 4);
    RK_AT(&a, 3, 3) = 0.0; /* numpy: I[-1, -1] = 0 */
    assert_int_equal(rank_of(&a, NULL, NULL), 3);
    rk_mat_fill(&a, 0.0);
    double tol = -1.0;
    assert_int_equal(rank_of(&a, NULL, &tol), 0);
    assert_true(tol == 0.0);
    rk_mat_free(&a);

    assert_status(rk_mat_create(&a, 3, 4), RK_OK);
    rk_mat_fill(&a, 1.0); /* ones((3, 4)) */
    assert_int_equal(rank_of(&a, NULL, NULL), 1);
    rk_mat_free(&a);
}

/* numpy: X = normal((40, 10)); X[:, 0] = X[:, 1] + X[:, 2] → 9;
 * X[:, 3] = X[:, 4] + X[:, 5] → 8. */
static void test_dependent_columns(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 40);
    rk_mat x;
    assert_status(rk_mat_create(&x, 40, 10), RK_OK);
    rk_mat_fill_normal(&x, &rng);
    assert_int_equal(rank_of(&x, NULL, NULL), 10);
    for (size_t i = 0; i < 40; i++)
        RK_AT(&x, i, 0) = RK_AT(&x, i, 1) + RK_AT(&x, i, 2);
    assert_int_equal(rank_of(&x, NULL, NULL), 9);
    for (size_t i = 0; i < 40; i++)
        RK_AT(&x, i, 3) = RK_AT(&x, i, 4) + RK_AT(&x, i, 5);
    assert_int_equal(rank_of(&x, NULL, NULL), 8);
    /* The transpose has the same rank. */
    rk_mat xt;
    assert_status(rk_mat_transpose(&xt, &x), RK_OK);
    assert_int_equal(rank_of(&xt, NULL, NULL), 8);
    rk_mat_free(&xt);
    rk_mat_free(&x);
}

/* diag(1, 1e-8): an absolute tolerance just below or above 1e-8 flips the rank. */
static void test_absolute_tolerance_flips(void **state)
{
    (void)state;
    rk_mat a;
    assert_status(rk_mat_create(&a, 2, 2), RK_OK);
    RK_AT(&a, 0, 0) = 1.0;
    RK_AT(&a, 1, 1) = 1e-8;
    double tol;
    assert_int_equal(rank_of(&a, NULL, &tol), 2);
    assert_true(tol == 1.0 * 2 * DBL_EPSILON);
    rk_rank_opts below = { RK_TOL_ABS, 0.99e-8 }, above = { RK_TOL_ABS, 1.01e-8 };
    assert_int_equal(rank_of(&a, &below, &tol), 2);
    assert_true(tol == 0.99e-8);
    assert_int_equal(rank_of(&a, &above, &tol), 1);
    assert_true(tol == 1.01e-8);
    rk_mat_free(&a);
}

/* The strict ">": a value equal to the tolerance does not count. */
static void test_strict_comparison(void **state)
{
    (void)state;
    const double s[] = { 2.0, 1.0, 0.5 };
    rk_rank_opts abs1 = { RK_TOL_ABS, 1.0 }, rel = { RK_TOL_REL, 0.25 };
    double tol;
    assert_int_equal(rk_rank_from_values(s, 3, 3, 3, &abs1, &tol), 1);
    assert_int_equal(rk_rank_from_values(s, 3, 3, 3, &rel, &tol), 2); /* tol 0.5 */
    assert_true(tol == 0.5);
    /* Unsorted input: the tolerance uses the largest value, not s[0]. */
    const double u[] = { 1.0, 4.0 };
    assert_int_equal(rk_rank_from_values(u, 2, 2, 5, NULL, &tol), 2);
    assert_true(tol == 4.0 * 5 * DBL_EPSILON);
    assert_int_equal(rk_rank_from_values(NULL, 0, 0, 4, NULL, &tol), 0);
    assert_true(tol == 0.0);
    assert_int_equal(rk_rank_from_values(s, 3, 3, 3, NULL, NULL), 3);
}

/* rtol: tol = rtol · σ₁ on diag(10, 1e-2, 1e-5). */
static void test_relative_tolerance(void **state)
{
    (void)state;
    rk_mat a;
    assert_status(rk_mat_create(&a, 3, 3), RK_OK);
    RK_AT(&a, 0, 0) = 10.0;
    RK_AT(&a, 1, 1) = 1e-2;
    RK_AT(&a, 2, 2) = 1e-5;
    rk_svd svd;
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_VALUES), RK_OK);
    const double rtols[] = { 1e-7, 1e-4, 1e-2 };
    const size_t want[] = { 3, 2, 1 };
    for (int i = 0; i < 3; i++) {
        rk_rank_opts o = { RK_TOL_REL, rtols[i] };
        double tol;
        assert_int_equal(rank_of(&a, &o, &tol), want[i]);
        assert_true(tol == rtols[i] * svd.s[0]);
    }
    rk_svd_free(&svd);
    rk_mat_free(&a);
}

/* The default tolerance reported is s_max · max(m, n) · ε of the matrix's own SVD. */
static void test_default_tolerance_reported(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    const size_t shapes[][2] = { { 7, 3 }, { 3, 7 }, { 12, 12 } };
    for (int c = 0; c < 3; c++) {
        rk_mat a;
        assert_status(rk_mat_create(&a, shapes[c][0], shapes[c][1]), RK_OK);
        rk_mat_fill_normal(&a, &rng);
        rk_svd svd;
        assert_status(rk_svd_decomp(&svd, &a, RK_SVD_VALUES), RK_OK);
        double tol;
        assert_int_equal(rank_of(&a, NULL, &tol), svd.k);
        size_t mx = shapes[c][0] > shapes[c][1] ? shapes[c][0] : shapes[c][1];
        assert_true(tol == svd.s[0] * (double)mx * DBL_EPSILON);
        rk_svd_free(&svd);
        rk_mat_free(&a);
    }
}

/* The tutorial: W = randn(10, 2) · randn(2, 10) has rank 2. */
static void test_tutorial_rank_two(void **state)
{
    (void)state;
    for (uint64_t seed = 0; seed < 5; seed++) {
        rk_rng rng;
        rk_rng_seed(&rng, seed);
        rk_mat b, a, w;
        assert_status(rk_mat_create(&b, 10, 2), RK_OK);
        assert_status(rk_mat_create(&a, 2, 10), RK_OK);
        rk_mat_fill_normal(&b, &rng);
        rk_mat_fill_normal(&a, &rng);
        assert_status(rk_mat_mul(&w, &b, &a), RK_OK);
        double tol;
        assert_int_equal(rank_of(&w, NULL, &tol), 2);
        assert_true(tol > 0.0);
        rk_mat_free(&b);
        rk_mat_free(&a);
        rk_mat_free(&w);
    }
}

static void test_empty_and_errors(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 0, 0 }, { 0, 3 }, { 3, 0 } };
    for (int c = 0; c < 3; c++) {
        rk_mat a;
        assert_status(rk_mat_create(&a, shapes[c][0], shapes[c][1]), RK_OK);
        double tol = -1;
        assert_int_equal(rank_of(&a, NULL, &tol), 0);
        assert_true(tol == 0.0);
        rk_mat_free(&a);
    }
    rk_mat a;
    assert_status(rk_mat_create(&a, 2, 2), RK_OK);
    size_t r;
    rk_rank_opts neg = { RK_TOL_ABS, -1.0 }, nan_rel = { RK_TOL_REL, NAN },
                 bad = { (rk_tol_kind)9, 0.0 };
    assert_status(rk_rank(&a, &neg, &r, NULL), RK_EINVAL);
    assert_status(rk_rank(&a, &nan_rel, &r, NULL), RK_EINVAL);
    assert_status(rk_rank(&a, &bad, &r, NULL), RK_EINVAL);
    assert_status(rk_rank(NULL, NULL, &r, NULL), RK_EINVAL);
    assert_status(rk_rank(&a, NULL, NULL, NULL), RK_EINVAL);
    RK_AT(&a, 1, 0) = NAN;
    assert_status(rk_rank(&a, NULL, &r, NULL), RK_ENONFINITE);
    rk_test_fail_alloc_after(1);
    RK_AT(&a, 1, 0) = 1.0;
    rk_status st = rk_rank(&a, NULL, &r, NULL);
    rk_test_fail_alloc_after(0);
    assert_status(st, RK_ENOMEM);
    rk_mat_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_identity_and_zeros),
        cmocka_unit_test(test_dependent_columns),
        cmocka_unit_test(test_absolute_tolerance_flips),
        cmocka_unit_test(test_strict_comparison),
        cmocka_unit_test(test_relative_tolerance),
        cmocka_unit_test(test_default_tolerance_reported),
        cmocka_unit_test(test_tutorial_rank_two),
        cmocka_unit_test(test_empty_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
