/* test_core.c — status strings, allocation, RNG and the matrix type. */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <string.h>

static void test_strerror_covers_every_status(void **state)
{
    (void)state;
    for (int s = 0; s < RK_STATUS_COUNT_; s++) {
        const char *m = rk_strerror((rk_status)s);
        assert_non_null(m);
        assert_true(strlen(m) > 3);
        assert_string_not_equal(m, "unknown status");
    }
    assert_string_equal(rk_strerror((rk_status)999), "unknown status");
}

static void test_err_set_formats_and_returns_status(void **state)
{
    (void)state;
    rk_err e;
    rk_err_clear(&e);
    assert_status(rk_err_set(&e, RK_ETRUNC, "data is %d bytes", 12), RK_ETRUNC);
    assert_string_equal(e.msg, "data is 12 bytes");
    assert_string_equal(rk_err_message(&e, RK_ETRUNC), "data is 12 bytes");
    assert_string_equal(rk_err_message(NULL, RK_ENOMEM), "out of memory");
    assert_status(rk_err_set(NULL, RK_EIO, "ignored"), RK_EIO);
}

static void test_size_overflow_checks(void **state)
{
    (void)state;
    size_t out = 7;
    assert_false(rk_size_mul(SIZE_MAX / 2 + 1, 2, &out));
    assert_int_equal(out, 7);
    assert_true(rk_size_mul(0, SIZE_MAX, &out));
    assert_int_equal(out, 0);
    assert_false(rk_size_add(SIZE_MAX, 1, &out));
    assert_null(rk_calloc(SIZE_MAX / 4, 8));
}

static void test_rng_is_reproducible(void **state)
{
    (void)state;
    rk_rng a, b;
    rk_rng_seed(&a, 42);
    rk_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++)
        assert_true(rk_rng_u64(&a) == rk_rng_u64(&b));
    rk_rng_seed(&b, 43);
    int same = 0;
    for (int i = 0; i < 100; i++)
        same += rk_rng_u64(&a) == rk_rng_u64(&b);
    assert_true(same < 2);
}

static void test_rng_moments(void **state)
{
    (void)state;
    /* N = 200000 draws: the sample mean has sd 1/√N ≈ 0.0022 (normal) and
     * 0.29/√N ≈ 0.00065 (uniform); allow 5 sd. */
    enum { N = 200000 };
    rk_rng r;
    rk_rng_seed(&r, 7);
    double su = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
    for (int i = 0; i < N; i++) {
        double u = rk_rng_uniform(&r);
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        su += u;
        double z = rk_rng_normal(&r);
        sn += z;
        sn2 += z * z;
    }
    assert_true(umin >= 0.0 && umax < 1.0);
    assert_true(fabs(su / N - 0.5) < 5 * 0.2887 / sqrt(N));
    assert_true(fabs(sn / N) < 5 / sqrt(N));
    /* the variance estimate has sd √(2/N) */
    assert_true(fabs(sn2 / N - 1.0) < 5 * sqrt(2.0 / N));
}

static void test_rng_below_and_shuffle(void **state)
{
    (void)state;
    rk_rng r;
    rk_rng_seed(&r, 1);
    size_t idx[50];
    for (size_t i = 0; i < 50; i++)
        idx[i] = i;
    rk_rng_shuffle(&r, idx, 50);
    int seen[50] = { 0 }, moved = 0;
    for (size_t i = 0; i < 50; i++) {
        assert_true(idx[i] < 50);
        seen[idx[i]]++;
        moved += idx[i] != i;
    }
    for (int i = 0; i < 50; i++)
        assert_int_equal(seen[i], 1);
    assert_true(moved > 25);
    assert_int_equal(rk_rng_below(&r, 0), 0);
    for (int i = 0; i < 1000; i++)
        assert_true(rk_rng_below(&r, 3) < 3);
}

static void test_mat_create_views_copy(void **state)
{
    (void)state;
    rk_mat a;
    assert_status(rk_mat_create(&a, 3, 4), RK_OK);
    assert_int_equal(a.stride, 4);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 4; j++) {
            assert_true(RK_AT(&a, i, j) == 0.0);
            RK_AT(&a, i, j) = 10.0 * i + j;
        }
    assert_status(rk_mat_view_check(&a, 1, 1, 2, 3), RK_OK);
    assert_status(rk_mat_view_check(&a, 2, 0, 2, 1), RK_ERANGE);
    assert_status(rk_mat_view_check(&a, 0, 4, 0, 1), RK_ERANGE);
    rk_mat v = rk_mat_view(&a, 1, 1, 2, 3);
    assert_int_equal(v.owner, 0);
    assert_true(RK_AT(&v, 0, 0) == 11.0 && RK_AT(&v, 1, 2) == 23.0);
    rk_mat c = rk_mat_view_cols(&a, 2, 2);
    assert_true(RK_AT(&c, 2, 1) == 23.0);
    rk_mat d;
    assert_status(rk_mat_dup(&d, &v), RK_OK);
    assert_int_equal(d.stride, 3);
    assert_mat_near(&d, &v, 0.0);
    rk_mat t;
    assert_status(rk_mat_transpose(&t, &v), RK_OK);
    assert_int_equal(t.rows, 3);
    assert_true(RK_AT(&t, 2, 1) == RK_AT(&v, 1, 2));
    assert_status(rk_mat_copy(&d, &t), RK_ESHAPE);
    rk_mat_free(&v); /* a view: forgets, frees nothing */
    assert_non_null(a.data);
    rk_mat_free(&a);
    rk_mat_free(&d);
    rk_mat_free(&t);
    rk_mat_free(NULL);
    assert_null(a.data);
}

static void test_mat_empty_is_valid(void **state)
{
    (void)state;
    rk_mat e, f, p;
    assert_status(rk_mat_create(&e, 0, 3), RK_OK);
    assert_status(rk_mat_create(&f, 3, 0), RK_OK);
    assert_status(rk_mat_mul(&p, &f, &e), RK_OK); /* 3×0 · 0×3 = 3×3 zeros */
    assert_int_equal(p.rows, 3);
    assert_int_equal(p.cols, 3);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            assert_true(RK_AT(&p, i, j) == 0.0);
    assert_true(rk_mat_norm_fro(&e) == 0.0);
    assert_true(rk_mat_is_finite(&e));
    rk_mat_free(&e);
    rk_mat_free(&f);
    rk_mat_free(&p);
    assert_status(rk_mat_create(&e, SIZE_MAX / 4, 4), RK_EOVERFLOW);
}

static void test_gemm_against_naive_loops(void **state)
{
    (void)state;
    rk_rng r;
    rk_rng_seed(&r, 3);
    rk_mat a, b, c, ref;
    rk_mat_create(&a, 7, 5);
    rk_mat_create(&b, 6, 5);
    rk_mat_fill_normal(&a, &r);
    rk_mat_fill_normal(&b, &r);
    rk_mat_create(&c, 7, 6);
    rk_mat_create(&ref, 7, 6);
    rk_mat_fill(&c, 1.0);
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 6; j++) {
            double s = 0;
            for (size_t k = 0; k < 5; k++)
                s += RK_AT(&a, i, k) * RK_AT(&b, j, k);
            RK_AT(&ref, i, j) = 2.0 * s + 0.5;
        }
    /* C = 2·A·Bᵀ + 0.5·C with C = ones */
    assert_status(rk_mat_gemm(false, true, 2.0, &a, &b, 0.5, &c), RK_OK);
    assert_mat_near(&c, &ref, 64 * RK_EPS * 10);
    assert_status(rk_mat_gemm(false, false, 1.0, &a, &b, 0.0, &c), RK_ESHAPE);
    rk_mat_free(&a);
    rk_mat_free(&b);
    rk_mat_free(&c);
    rk_mat_free(&ref);
}

static void test_norms_do_not_overflow(void **state)
{
    (void)state;
    double big = sqrt(DBL_MAX);
    double data[4] = { big, big, -big, big };
    rk_mat a = rk_mat_wrap(data, 2, 2);
    assert_rel_near(rk_mat_norm_fro(&a), 2.0 * big, 4 * RK_EPS);
    assert_rel_near(rk_mat_norm_1(&a), 2.0 * big, 4 * RK_EPS);
    double tiny[2] = { 3e-300, 4e-300 };
    rk_mat b = rk_mat_wrap(tiny, 1, 2);
    assert_rel_near(rk_mat_norm_fro(&b), 5e-300, 4 * RK_EPS);
    data[2] = NAN;
    assert_false(rk_mat_is_finite(&a));
    data[2] = INFINITY;
    assert_false(rk_mat_is_finite(&a));
}

/* ‖A‖_F with Inf entries is Inf (two of them once gave Inf/Inf = NaN); NaN wins. */
static void test_norm_fro_of_infinities(void **state)
{
    (void)state;
    double data[4] = { 1.0, INFINITY, -INFINITY, 2.0 };
    rk_mat a = rk_mat_wrap(data, 2, 2);
    assert_true(isinf(rk_mat_norm_fro(&a)) && rk_mat_norm_fro(&a) > 0);
    data[0] = INFINITY; /* Inf first, then finite, then Inf */
    assert_true(isinf(rk_mat_norm_fro(&a)));
    data[3] = NAN;
    assert_true(isnan(rk_mat_norm_fro(&a)));
    double one[1] = { -INFINITY };
    rk_mat b = rk_mat_wrap(one, 1, 1);
    assert_true(isinf(rk_mat_norm_fro(&b)) && rk_mat_norm_fro(&b) > 0);
}

static void test_alloc_failure_leaves_matrix_empty(void **state)
{
    (void)state;
    rk_mat a = { 5, 5, 5, (double *)&a, 1 };
    rk_test_fail_alloc_after(1);
    assert_status(rk_mat_create(&a, 10, 10), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
    assert_null(a.data);
    assert_int_equal(a.owner, 0);
    rk_mat_free(&a);
}

/* The float/double boundary: float → double exact, double → float rounded to nearest, any stride. */
static void test_mat_f32_crossing(void **state)
{
    (void)state;
    const float src[6] = { 1.0f, -0.1f, FLT_MAX, FLT_MIN, 3.0e-45f, -0.0f };  /* with a subnormal */
    rk_mat m;
    assert_status(rk_mat_from_f32(&m, src, 2, 3), RK_OK);
    for (size_t i = 0; i < 6; i++)
        assert_true(m.data[i] == (double)src[i]);
    assert_true(signbit(m.data[5]));
    float back[6];
    assert_status(rk_mat_to_f32(back, &m), RK_OK);
    assert_memory_equal(back, src, sizeof src);   /* a round trip is exact, bit for bit */
    /* double → float rounds to nearest: 1 + 2^-24 is a tie (to even: 1), 1 + 3·2^-25 rounds up */
    rk_mat v;
    assert_status(rk_mat_create(&v, 4, 4), RK_OK);
    RK_AT(&v, 1, 1) = 1.0 + ldexp(1.0, -24);
    RK_AT(&v, 1, 2) = 1.0 + 3 * ldexp(1.0, -25);
    RK_AT(&v, 2, 1) = 1e300;
    rk_mat view = rk_mat_view(&v, 1, 1, 2, 2);   /* stride 4, written compact */
    float out[4];
    assert_status(rk_mat_to_f32(out, &view), RK_OK);
    assert_true(out[0] == 1.0f && out[1] == 1.0f + FLT_EPSILON && isinf(out[2]) && out[3] == 0.0f);
    assert_status(rk_mat_to_f32(NULL, &v), RK_EINVAL);
    rk_mat_free(&v);
    rk_mat_free(&m);
    /* empty blocks need no data; bad arguments and a failed allocation leave nothing behind */
    assert_status(rk_mat_from_f32(&m, NULL, 0, 3), RK_OK);
    assert_true(m.rows == 0 && m.cols == 3);
    rk_mat_free(&m);
    assert_status(rk_mat_from_f32(&m, NULL, 2, 3), RK_EINVAL);
    assert_status(rk_mat_from_f32(NULL, src, 2, 3), RK_EINVAL);
    assert_status(rk_mat_from_f32(&m, src, SIZE_MAX, 2), RK_EOVERFLOW);
    rk_test_fail_alloc_after(1);
    assert_status(rk_mat_from_f32(&m, src, 2, 3), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
    assert_null(m.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strerror_covers_every_status),
        cmocka_unit_test(test_err_set_formats_and_returns_status),
        cmocka_unit_test(test_size_overflow_checks),
        cmocka_unit_test(test_rng_is_reproducible),
        cmocka_unit_test(test_rng_moments),
        cmocka_unit_test(test_rng_below_and_shuffle),
        cmocka_unit_test(test_mat_create_views_copy),
        cmocka_unit_test(test_mat_empty_is_valid),
        cmocka_unit_test(test_gemm_against_naive_loops),
        cmocka_unit_test(test_norms_do_not_overflow),
        cmocka_unit_test(test_norm_fro_of_infinities),
        cmocka_unit_test(test_alloc_failure_leaves_matrix_empty),
        cmocka_unit_test(test_mat_f32_crossing),
    };
    return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
