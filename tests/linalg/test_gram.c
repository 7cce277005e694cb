/* test_gram.c — rk_gram_top_left against planted singular vectors and the thin SVD. */
#include "testutil.h"

#include <math.h>

#include "testmat.h"

/* A (m×n, stored with stride n + 3) = U·diag(s)·Vᵀ with the min(m, n) values s; U kept in @p u. */
static void planted(rk_mat *a, rk_mat *u, size_t m, size_t n, const double *s, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    size_t k = m < n ? m : n;
    rk_mat v, us, full;
    testmat_orthonormal(u, m, k, &rng);
    testmat_orthonormal(&v, n, k, &rng);
    assert_status(rk_mat_dup(&us, u), RK_OK);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            RK_AT(&us, i, j) *= s[j];
    assert_status(rk_mat_create(&full, m, n + 3), RK_OK);
    *a = rk_mat_view_cols(&full, 0, n);
    a->owner = 1; /* the view owns the wider buffer: freed through it */
    assert_status(rk_mat_gemm(false, true, 1.0, &us, &v, 0.0, a), RK_OK);
    rk_mat_free(&us);
    rk_mat_free(&v);
}

/* ‖(I − Y·Yᵀ)·X‖_F for X, Y with orthonormal columns: at least the sine of the largest principal
 * angle between their spans, at most √(cols)·that (computed directly: 1 − cos² would lose √ε). */
static double sin_angle(const rk_mat *x, const rk_mat *y)
{
    rk_mat c, r;
    assert_status(rk_mat_create(&c, y->cols, x->cols), RK_OK);
    assert_status(rk_mat_gemm(true, false, 1.0, y, x, 0.0, &c), RK_OK);
    assert_status(rk_mat_dup(&r, x), RK_OK);
    assert_status(rk_mat_gemm(false, false, -1.0, y, &c, 1.0, &r), RK_OK);
    double e = rk_mat_norm_fro(&r);
    rk_mat_free(&c);
    rk_mat_free(&r);
    return e;
}

/* Each shape: orthonormal columns, the span of U_r to the Davis–Kahan bound, and each vector ±u_i. */
static void check_planted(size_t m, size_t n, size_t r, uint64_t seed)
{
    size_t k = m < n ? m : n;
    double s[64];
    for (size_t i = 0; i < k; i++)
        s[i] = pow(0.8, (double)i); /* gaps σ_i² − σ_{i+1}² = 0.36·σ_i² */
    rk_mat a, u0, u;
    planted(&a, &u0, m, n, s, seed);
    assert_status(rk_gram_top_left(&u, &a, r), RK_OK);
    assert_int_equal(u.rows, m);
    assert_int_equal(u.cols, r);
    double big = (double)(m > n ? m : n);
    assert_true(testmat_orth_residual(&u) / (big * RK_EPS) < 10.0);
    rk_mat top = rk_mat_view_cols(&u0, 0, r);
    double gap = r < k ? s[r - 1] * s[r - 1] - s[r] * s[r] : s[r - 1] * s[r - 1];
    double bound = 10.0 * big * RK_EPS * s[0] * s[0] / gap;
    assert_true(sin_angle(&u, &top) <= sqrt((double)r) * bound);
    for (size_t j = 0; j < r; j++) {
        double d = 0.0;
        for (size_t i = 0; i < m; i++)
            d += RK_AT(&u, i, j) * RK_AT(&u0, i, j);
        double g = s[j] * s[j] * 0.36; /* the smaller gap next to σ_j² */
        assert_true(fabs(fabs(d) - 1.0) <= 10.0 * big * RK_EPS * s[0] * s[0] / g);
    }
    rk_mat_free(&u);
    rk_mat_free(&u0);
    rk_mat_free(&a);
}

static void test_planted(void **state)
{
    (void)state;
    const size_t shapes[][3] = { { 30, 20, 5 }, { 20, 30, 5 }, { 25, 25, 8 }, { 40, 12, 12 },
                                 { 12, 40, 1 }, { 1, 6, 1 }, { 6, 1, 1 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_planted(shapes[i][0], shapes[i][1], shapes[i][2], 40 + i);
}

/* A random Gaussian matrix: the same top subspace as the thin SVD's U (φ(r, r) = 1 to rounding). */
static void test_matches_svd(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 9);
    const size_t shapes[][2] = { { 60, 35 }, { 35, 60 } };
    for (size_t c = 0; c < 2; c++) {
        rk_mat a, u;
        rk_svd svd;
        assert_status(rk_mat_create(&a, shapes[c][0], shapes[c][1]), RK_OK);
        rk_mat_fill_normal(&a, &rng);
        assert_status(rk_svd_decomp(&svd, &a, RK_SVD_THIN), RK_OK);
        assert_status(rk_gram_top_left(&u, &a, 8), RK_OK);
        double phi = NAN, g = svd.s[7] * svd.s[7] - svd.s[8] * svd.s[8];
        assert_status(rk_subspace_phi(&phi, &u, &svd.u, 8, 8), RK_OK);
        assert_true(fabs(1.0 - phi) <= 100.0 * 60 * RK_EPS * svd.s[0] * svd.s[0] / g);
        rk_svd_free(&svd);
        rk_mat_free(&u);
        rk_mat_free(&a);
    }
}

/* rank(A) = 2 < r = 4: orthonormal columns, the first two spanning A's range. */
static void test_rank_deficient(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    for (int wide = 0; wide < 2; wide++) {
        rk_mat a, u, q;
        testmat_rank_product(&a, wide ? 9 : 15, 2, wide ? 15 : 9, &rng);
        assert_status(rk_gram_top_left(&u, &a, 4), RK_OK);
        assert_true(testmat_orth_residual(&u) / (15 * RK_EPS) < 10.0);
        assert_status(rk_qr_orthonormal(&q, &a), RK_OK);
        rk_mat range = rk_mat_view_cols(&q, 0, 2), top = rk_mat_view_cols(&u, 0, 2);
        assert_true(sin_angle(&top, &range) <= 1e-6); /* the rank-2 gap is O(1); G rounds at ε·σ_1² */
        rk_mat_free(&q);
        rk_mat_free(&u);
        rk_mat_free(&a);
    }
}

static void test_errors(void **state)
{
    (void)state;
    rk_mat a, u;
    assert_status(rk_mat_create(&a, 4, 3), RK_OK);
    RK_AT(&a, 0, 0) = 1.0;
    assert_status(rk_gram_top_left(&u, &a, 0), RK_ERANGE);
    assert_null(u.data);
    assert_status(rk_gram_top_left(&u, &a, 4), RK_ERANGE);
    assert_status(rk_gram_top_left(NULL, &a, 1), RK_EINVAL);
    assert_status(rk_gram_top_left(&u, NULL, 1), RK_EINVAL);
    RK_AT(&a, 2, 1) = NAN;
    assert_status(rk_gram_top_left(&u, &a, 1), RK_ENONFINITE);
    assert_null(u.data);
    rk_mat_free(&a);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 5);
    for (int wide = 0; wide < 2; wide++) {
        rk_mat a;
        assert_status(rk_mat_create(&a, wide ? 6 : 11, wide ? 11 : 6), RK_OK);
        rk_mat_fill_normal(&a, &rng);
        int failures = 0;
        for (long n = 1; n < 100; n++) {
            rk_mat u;
            rk_test_fail_alloc_after(n);
            rk_status st = rk_gram_top_left(&u, &a, 3);
            rk_test_fail_alloc_after(0);
            if (st == RK_OK) {
                rk_mat_free(&u);
                break;
            }
            assert_status(st, RK_ENOMEM);
            assert_null(u.data);
            failures++;
        }
        assert_true(failures >= 4);
        rk_mat_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planted),
        cmocka_unit_test(test_matches_svd),
        cmocka_unit_test(test_rank_deficient),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("gram", tests, NULL, NULL);
}
