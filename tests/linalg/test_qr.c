/* test_qr.c — rk_qr_orthonormal: orthonormality, A = Q·(QᵀA), nested spans, shapes, errors. */
#include "testutil.h"

#include <math.h>

#include "testmat.h"

/* Check Q for A (m×n): ‖I − QᵀQ‖₁/(m·ε) < 50 and, when A has full column
 * rank and m ≥ n, ‖A − Q·QᵀA‖₁/(‖A‖₁·m·ε) < 50 (LAPACK's dqrt01 ratios). */
static void check_qr(size_t m, size_t n, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat a = { 0 }, q = { 0 }, qta = { 0 }, r = { 0 };
    size_t k = m < n ? m : n;
    assert_status(rk_mat_create(&a, m, n), RK_OK);
    rk_mat_fill_normal(&a, &rng);
    assert_status(rk_qr_orthonormal(&q, &a), RK_OK);
    assert_int_equal(q.rows, m);
    assert_int_equal(q.cols, k);
    assert_true(testmat_orth_residual(&q) / ((double)m * RK_EPS) < 50.0);

    /* Q·(QᵀA) = A: the columns of A lie in span(Q) (for m < n, Q is square). */
    assert_status(rk_mat_create(&qta, k, n), RK_OK);
    assert_status(rk_mat_gemm(true, false, 1.0, &q, &a, 0.0, &qta), RK_OK);
    assert_status(rk_mat_dup(&r, &a), RK_OK);
    assert_status(rk_mat_gemm(false, false, -1.0, &q, &qta, 1.0, &r), RK_OK);
    double ratio = rk_mat_norm_1(&r) / (rk_mat_norm_1(&a) * (double)m * RK_EPS);
    print_message("# qr %zux%zu: orth %.3g, residual ratio %.3g\n", m, n,
                  testmat_orth_residual(&q) / ((double)m * RK_EPS), ratio);
    assert_true(ratio < 50.0);

    /* QᵀA is upper triangular: column j of A lies in span(Q[:, :j+1]). */
    for (size_t i = 0; i < k; i++)
        for (size_t j = 0; j < i && j < n; j++)
            assert_true(fabs(RK_AT(&qta, i, j)) <= 50.0 * (double)m * RK_EPS * rk_mat_norm_1(&a));
    rk_mat_free(&a);
    rk_mat_free(&q);
    rk_mat_free(&qta);
    rk_mat_free(&r);
}

static void test_qr_tall_square_wide(void **state)
{
    (void)state;
    check_qr(60, 7, 1);
    check_qr(25, 25, 2);
    check_qr(8, 30, 3);
    check_qr(1, 1, 4);
    check_qr(5, 1, 5);
    check_qr(1, 5, 6);
}

static void test_qr_empty_and_errors(void **state)
{
    (void)state;
    rk_mat a = { 0 }, q = { 0 };
    assert_status(rk_mat_create(&a, 4, 0), RK_OK);
    assert_status(rk_qr_orthonormal(&q, &a), RK_OK);
    assert_int_equal(q.rows, 4);
    assert_int_equal(q.cols, 0);
    rk_mat_free(&q);
    rk_mat_free(&a);

    assert_status(rk_qr_orthonormal(NULL, &a), RK_EINVAL);
    assert_status(rk_qr_orthonormal(&q, NULL), RK_EINVAL);
    assert_status(rk_mat_create(&a, 3, 2), RK_OK);
    RK_AT(&a, 1, 1) = NAN;
    assert_status(rk_qr_orthonormal(&q, &a), RK_ENONFINITE);
    RK_AT(&a, 1, 1) = INFINITY;
    assert_status(rk_qr_orthonormal(&q, &a), RK_ENONFINITE);
    assert_null(q.data);
    rk_mat_free(&a);
}

static void test_qr_allocation_failures(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 9);
    rk_mat a = { 0 }, q = { 0 };
    assert_status(rk_mat_create(&a, 12, 5), RK_OK);
    rk_mat_fill_normal(&a, &rng);
    int failures = 0;
    for (long n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_qr_orthonormal(&q, &a);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_null(q.data);
        failures++;
    }
    assert_true(failures >= 3);
    rk_mat_free(&q);
    rk_mat_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qr_tall_square_wide),
        cmocka_unit_test(test_qr_empty_and_errors),
        cmocka_unit_test(test_qr_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
