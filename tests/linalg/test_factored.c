/* test_factored.c — rk_factored_svd against the dense SVD of the formed product s·B·A. */
#include "testutil.h"

#include <math.h>
#include <string.h>

/* ‖X‖_F of the difference dw − U·diag(S)·Vt. */
static double reconstruction_error(const rk_mat *dw, const rk_svd *f)
{
    rk_mat us, rec;
    assert_status(rk_mat_dup(&us, &f->u), RK_OK);
    for (size_t i = 0; i < us.rows; i++)
        for (size_t j = 0; j < f->k; j++)
            RK_AT(&us, i, j) *= f->s[j];
    assert_status(rk_mat_create(&rec, dw->rows, dw->cols), RK_OK);
    assert_status(rk_mat_gemm(false, false, 1.0, &us, &f->vt, 0.0, &rec), RK_OK);
    assert_status(rk_mat_axpy(&rec, -1.0, dw), RK_OK);
    double e = rk_mat_norm_fro(&rec);
    rk_mat_free(&us);
    rk_mat_free(&rec);
    return e;
}

/* max |QᵀQ − I| for the k columns of q (trans = false) or rows (trans = true). */
static double orthogonality(const rk_mat *q, bool rows)
{
    size_t k = rows ? q->rows : q->cols;
    rk_mat g;
    assert_status(rk_mat_create(&g, k, k), RK_OK);
    assert_status(rk_mat_gemm(!rows, rows, 1.0, q, q, 0.0, &g), RK_OK);
    double worst = 0;
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < k; j++)
            worst = rk_test_worst(worst, fabs(RK_AT(&g, i, j) - (i == j)));
    rk_mat_free(&g);
    return worst;
}

/* Compare factored and dense SVD for one (m, n, r); b may have a repeated column. */
static void check_case(size_t m, size_t n, size_t r, bool deficient, unsigned long long seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat b, a, dw;
    assert_status(rk_mat_create(&b, m, r), RK_OK);
    assert_status(rk_mat_create(&a, r, n), RK_OK);
    rk_mat_fill_normal(&b, &rng);
    rk_mat_fill_normal(&a, &rng);
    if (deficient && r >= 2)
        for (size_t i = 0; i < m; i++)
            RK_AT(&b, i, 1) = RK_AT(&b, i, 0); /* rank(B) = r − 1 */
    const double s = 0.7;
    assert_status(rk_mat_create(&dw, m, n), RK_OK);
    assert_status(rk_mat_gemm(false, false, s, &b, &a, 0.0, &dw), RK_OK);
    rk_svd dense, f, fv;
    assert_status(rk_svd_decomp(&dense, &dw, RK_SVD_VALUES), RK_OK);
    assert_status(rk_factored_svd(&f, &b, &a, s, RK_SVD_THIN), RK_OK);
    assert_status(rk_factored_svd(&fv, &b, &a, s, RK_SVD_VALUES), RK_OK);
    size_t k = m < n ? m : n;
    k = k < r ? k : r;
    assert_int_equal(f.k, k);
    assert_int_equal(f.m, m);
    assert_int_equal(f.n, n);
    assert_int_equal(f.u.rows, m);
    assert_int_equal(f.u.cols, k);
    assert_int_equal(f.vt.rows, k);
    assert_int_equal(f.vt.cols, n);
    double s0 = dense.k ? dense.s[0] : 0;
    for (size_t i = 0; i < dense.k; i++) {
        double got = i < k ? f.s[i] : 0.0;
        assert_true(fabs(got - dense.s[i]) <= 1e-12 * s0);  /* norm-wise: every value */
        if (dense.s[i] > 1e-6 * s0)
            assert_rel_near(got, dense.s[i], 1e-12);         /* relative: every non-negligible value */
        if (i < k) {
            assert_true(fv.s[i] == f.s[i] || fabs(fv.s[i] - f.s[i]) <= 1e-13 * s0);
            assert_true(i == 0 || f.s[i] <= f.s[i - 1]);
        }
    }
    if (k) {
        double big = (double)(m > n ? m : n), fro = rk_mat_norm_fro(&dw);
        double ratio = reconstruction_error(&dw, &f) / (fro * big * RK_EPS);
        assert_true(ratio < 10.0);
        if (!deficient) {
            assert_true(orthogonality(&f.u, false) / (big * RK_EPS) < 10.0);
            assert_true(orthogonality(&f.vt, true) / (big * RK_EPS) < 10.0);
        }
    }
    rk_svd_free(&dense);
    rk_svd_free(&f);
    rk_svd_free(&fv);
    rk_mat_free(&a);
    rk_mat_free(&b);
    rk_mat_free(&dw);
}

static void test_matches_dense(void **state)
{
    (void)state;
    const size_t shapes[][3] = { { 7, 5, 3 }, { 5, 7, 3 }, { 6, 4, 8 }, { 3, 9, 5 }, { 40, 30, 1 },
                                 { 4, 4, 4 }, { 1, 1, 1 }, { 64, 48, 16 }, { 2, 50, 2 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_case(shapes[i][0], shapes[i][1], shapes[i][2], false, 100 + i);
}

static void test_rank_deficient(void **state)
{
    (void)state;
    check_case(12, 9, 4, true, 7);
    check_case(9, 12, 6, true, 8);
}

static void test_empty(void **state)
{
    (void)state;
    check_case(0, 5, 2, false, 1);
    check_case(5, 0, 2, false, 2);
    check_case(5, 6, 0, false, 3);
}

static void test_errors(void **state)
{
    (void)state;
    rk_mat b, a;
    rk_svd f;
    assert_status(rk_mat_create(&b, 4, 2), RK_OK);
    assert_status(rk_mat_create(&a, 3, 5), RK_OK);
    assert_status(rk_factored_svd(&f, &b, &a, 1.0, RK_SVD_THIN), RK_ESHAPE);
    rk_mat_free(&a);
    assert_status(rk_mat_create(&a, 2, 5), RK_OK);
    assert_status(rk_factored_svd(&f, &b, &a, 1.0, RK_SVD_FULL), RK_EINVAL);
    assert_status(rk_factored_svd(&f, &b, &a, NAN, RK_SVD_THIN), RK_EINVAL);
    assert_status(rk_factored_svd(NULL, &b, &a, 1.0, RK_SVD_THIN), RK_EINVAL);
    RK_AT(&a, 1, 3) = INFINITY;
    assert_status(rk_factored_svd(&f, &b, &a, 1.0, RK_SVD_THIN), RK_ENONFINITE);
    assert_null(f.s);
    rk_mat_free(&a);
    rk_mat_free(&b);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 5);
    rk_mat b, a;
    assert_status(rk_mat_create(&b, 9, 3), RK_OK);
    assert_status(rk_mat_create(&a, 3, 7), RK_OK);
    rk_mat_fill_normal(&b, &rng);
    rk_mat_fill_normal(&a, &rng);
    int failures = 0;
    for (long n = 1; n < 100; n++) {
        rk_svd f;
        rk_test_fail_alloc_after(n);
        rk_status st = rk_factored_svd(&f, &b, &a, 2.0, RK_SVD_THIN);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK) {
            rk_svd_free(&f);
            break;
        }
        assert_status(st, RK_ENOMEM);
        assert_null(f.s);
        failures++;
    }
    assert_true(failures >= 5);
    rk_mat_free(&a);
    rk_mat_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_dense),
        cmocka_unit_test(test_rank_deficient),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("factored", tests, NULL, NULL);
}
