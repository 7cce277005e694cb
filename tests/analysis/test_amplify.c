/* test_amplify.c — ‖Uᵀ·W0·V‖_F and the amplification factor on constructed matrices. */
#include "testutil.h"

#include <math.h>

#include "../linalg/testmat.h"

static double fro_top(const double *s, size_t r)
{
    double t = 0.0;
    for (size_t i = 0; i < r; i++)
        t += s[i] * s[i];
    return sqrt(t);
}

/* Along its own top directions a matrix projects to its top singular
 * values: for W0 = ΔW the factor is ‖ΔW‖_F/‖S_r‖_F. */
static void test_amplify_of_a_matrix_along_itself(void **state)
{
    (void)state;
    enum { OUT = 40, IN = 30 };
    double s[IN];
    for (size_t i = 0; i < IN; i++)
        s[i] = 5.0 / (1.0 + (double)i);
    rk_mat d = { 0 };
    testmat_with_spectrum(&d, OUT, IN, s, 1);
    for (size_t r = 1; r <= 8; r *= 2) {
        rk_amplify a;
        assert_status(rk_amplify_compute(&a, &d, &d, r, 42), RK_OK);
        double sr = fro_top(s, r), total = fro_top(s, IN);
        assert_int_equal(a.r, r);
        assert_rel_near(a.proj_delta, sr, 1e-13);
        assert_rel_near(a.proj_w0, sr, 1e-13);
        assert_rel_near(a.delta_fro, total, 1e-13);
        assert_rel_near(a.w0_fro, total, 1e-13);
        assert_rel_near(a.factor, total / sr, 1e-13);
        print_message("# r=%zu: factor %.6f = ‖ΔW‖_F/‖S_r‖_F %.6f\n", r, a.factor, total / sr);
    }
    rk_mat_free(&d);
}

/* The paper's situation in miniature: ΔW = c·u_j·v_jᵀ points along a weak
 * direction of W0 (σ_j small). Then ‖Uᵀ·W0·V‖_F = σ_j exactly, W0's own top
 * direction gives σ_1, and the factor is c/σ_j. */
static void test_amplify_weak_direction(void **state)
{
    (void)state;
    enum { OUT = 50, IN = 35, J = 20 };
    double s[IN];
    for (size_t i = 0; i < IN; i++)
        s[i] = 10.0 * pow(0.8, (double)i);
    rk_mat w0 = { 0 }, d = { 0 };
    testmat_with_spectrum(&w0, OUT, IN, s, 2);
    rk_svd sw = { 0 };
    assert_status(rk_svd_decomp(&sw, &w0, RK_SVD_THIN), RK_OK);
    assert_status(rk_mat_create(&d, OUT, IN), RK_OK);
    rk_mat u = rk_mat_view_cols(&sw.u, J, 1), vt = rk_mat_view_rows(&sw.vt, J, 1);
    assert_status(rk_mat_gemm(false, false, 3.0, &u, &vt, 0.0, &d), RK_OK); /* ΔW = 3·u_J·v_Jᵀ */
    rk_amplify a;
    assert_status(rk_amplify_compute(&a, &w0, &d, 1, 7), RK_OK);
    assert_rel_near(a.proj_delta, s[J], 1e-9);
    assert_rel_near(a.proj_w0, s[0], 1e-13);
    assert_rel_near(a.delta_fro, 3.0, 1e-13);
    assert_rel_near(a.factor, 3.0 / s[J], 1e-9);
    print_message("# σ_J = %.4g: proj ΔW dirs %.4g, W0 dirs %.4g, random %.4g, factor %.4g\n", s[J],
                  a.proj_delta, a.proj_w0, a.proj_random, a.factor);
    rk_svd_free(&sw);
    rk_mat_free(&w0);
    rk_mat_free(&d);
}

/* W0's own top directions maximise ‖Uᵀ·W0·V‖_F over orthonormal pairs
 * (σ_i(UᵀW0V) ≤ σ_i(W0)); a random pair catches only about
 * ‖W0‖_F·r/√(Out·In) of a low-rank-plus-noise W0. */
static void test_amplify_random_pair_is_small(void **state)
{
    (void)state;
    enum { OUT = 200, IN = 150, R = 3 };
    double s[IN];
    for (size_t i = 0; i < IN; i++)
        s[i] = i < R ? 10.0 : 0.05;
    rk_mat w0 = { 0 }, d = { 0 };
    testmat_with_spectrum(&w0, OUT, IN, s, 3);
    rk_rng rng;
    rk_rng_seed(&rng, 4);
    assert_status(rk_mat_create(&d, OUT, IN), RK_OK);
    rk_mat_fill_normal(&d, &rng);
    for (uint64_t seed = 0; seed < 5; seed++) {
        rk_amplify a, b;
        assert_status(rk_amplify_compute(&a, &w0, &d, R, seed), RK_OK);
        assert_status(rk_amplify_compute(&b, &w0, &d, R, seed), RK_OK);
        assert_true(a.proj_random == b.proj_random); /* seeded */
        double expect = a.w0_fro * R / sqrt((double)OUT * IN);
        assert_true(a.proj_random > 0.0);
        assert_true(a.proj_random < 0.1 * a.proj_w0);
        assert_true(a.proj_random < 5.0 * expect);
        assert_true(a.proj_delta <= a.proj_w0 * (1.0 + 1e-12));
        assert_rel_near(a.proj_w0, fro_top(s, R), 1e-12);
    }
    rk_mat_free(&w0);
    rk_mat_free(&d);
}

/* From a randomized SVD of ΔW (the tools' path for large layers) the
 * projections agree with the exact ones when ΔW has a spectral gap. */
static void test_amplify_from_rsvd(void **state)
{
    (void)state;
    enum { OUT = 120, IN = 90, R = 4 };
    double s[IN], t[IN];
    for (size_t i = 0; i < IN; i++) {
        s[i] = 1.0 + (double)(IN - i);
        t[i] = i < R ? 8.0 - (double)i : 1e-3;
    }
    rk_mat w0 = { 0 }, d = { 0 };
    testmat_with_spectrum(&w0, OUT, IN, s, 5);
    testmat_with_spectrum(&d, OUT, IN, t, 6);
    rk_svd sw = { 0 }, sd = { 0 };
    assert_status(rk_svd_decomp(&sw, &w0, RK_SVD_THIN), RK_OK);
    rk_rsvd_opts o = rk_rsvd_opts_default(R);
    assert_status(rk_rsvd(&sd, &d, &o), RK_OK);
    rk_amplify a, b;
    assert_status(rk_amplify_from_svd(&a, &w0, &d, &sw, &sd, R, 9), RK_OK);
    assert_status(rk_amplify_compute(&b, &w0, &d, R, 9), RK_OK);
    assert_rel_near(a.proj_delta, b.proj_delta, 1e-9);
    assert_rel_near(a.factor, b.factor, 1e-9);
    assert_true(a.proj_random == b.proj_random);

    /* errors */
    rk_svd vals = { 0 };
    assert_status(rk_svd_decomp(&vals, &d, RK_SVD_VALUES), RK_OK);
    assert_status(rk_amplify_from_svd(&a, &w0, &d, &sw, &vals, R, 9), RK_EINVAL);
    assert_status(rk_amplify_from_svd(&a, &w0, &d, &sw, &sd, R + 1, 9), RK_ERANGE);
    assert_status(rk_amplify_from_svd(&a, &w0, &d, &sd, &sw, R, 9), RK_OK); /* same shapes: allowed */
    assert_status(rk_amplify_from_svd(NULL, &w0, &d, &sw, &sd, R, 9), RK_EINVAL);
    rk_svd_free(&vals);
    rk_svd_free(&sw);
    rk_svd_free(&sd);
    rk_mat_free(&w0);
    rk_mat_free(&d);
}

static void test_amplify_argument_checks(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, d = { 0 }, other = { 0 };
    assert_status(rk_mat_create(&w0, 6, 4), RK_OK);
    assert_status(rk_mat_create(&d, 6, 4), RK_OK);
    assert_status(rk_mat_create(&other, 4, 6), RK_OK);
    rk_mat_set_identity(&w0);
    rk_mat_set_identity(&d);
    rk_amplify a;
    assert_status(rk_amplify_compute(&a, &w0, &d, 0, 1), RK_ERANGE);
    assert_status(rk_amplify_compute(&a, &w0, &d, 5, 1), RK_ERANGE);
    assert_status(rk_amplify_compute(&a, &w0, &other, 1, 1), RK_ESHAPE);
    assert_status(rk_amplify_compute(&a, NULL, &d, 1, 1), RK_EINVAL);
    RK_AT(&d, 0, 0) = NAN;
    assert_status(rk_amplify_compute(&a, &w0, &d, 1, 1), RK_ENONFINITE);
    RK_AT(&d, 0, 0) = 0.0; /* ΔW = I without its first 1: still fine */
    assert_status(rk_amplify_compute(&a, &w0, &d, 1, 1), RK_OK);
    rk_mat_fill(&d, 0.0); /* a zero update has arbitrary directions, and factor 0 (∞ if proj is 0) */
    assert_status(rk_amplify_compute(&a, &w0, &d, 1, 1), RK_OK);
    assert_true(a.delta_fro == 0.0);
    assert_true(a.factor == 0.0 || isinf(a.factor));
    rk_mat_free(&w0);
    rk_mat_free(&d);
    rk_mat_free(&other);
}

static void test_amplify_allocation_failures(void **state)
{
    (void)state;
    double s[10];
    for (size_t i = 0; i < 10; i++)
        s[i] = 10.0 - (double)i;
    rk_mat w0 = { 0 }, d = { 0 };
    testmat_with_spectrum(&w0, 14, 10, s, 11);
    testmat_with_spectrum(&d, 14, 10, s, 12);
    rk_amplify a;
    int failures = 0;
    for (long n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_amplify_compute(&a, &w0, &d, 3, 1);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        failures++;
    }
    assert_true(failures >= 6);
    rk_mat_free(&w0);
    rk_mat_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amplify_of_a_matrix_along_itself),
        cmocka_unit_test(test_amplify_weak_direction),
        cmocka_unit_test(test_amplify_random_pair_is_small),
        cmocka_unit_test(test_amplify_from_rsvd),
        cmocka_unit_test(test_amplify_argument_checks),
        cmocka_unit_test(test_amplify_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
