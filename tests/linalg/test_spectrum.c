/*
 * test_spectrum.c — spectrum metrics on spectra whose answers are exact
 * (the 3-4-5 triangle: s = (4, 3) has ‖A‖_F = 5), at the edges of the
 * floating-point range, and their properties on random matrices.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>

/* s = (4, 3): ‖A‖_F = 5, ‖A‖_* = 7, ‖A‖₂ = 4, stable rank 25/16, energy(1) = 16/25. */
static void test_three_four_five(void **state)
{
    (void)state;
    const double s[] = { 4.0, 3.0 };
    assert_true(rk_spectrum_fro(s, 2) == 5.0);
    assert_true(rk_spectrum_nuclear(s, 2) == 7.0);
    assert_true(rk_spectrum_spectral(s, 2) == 4.0);
    assert_true(rk_spectrum_stable_rank(s, 2) == 25.0 / 16.0);
    assert_true(rk_spectrum_condition(s, 2) == 4.0 / 3.0);
    assert_true(rk_spectrum_energy(s, 2, 0) == 0.0);
    assert_true(rk_spectrum_energy(s, 2, 1) == 16.0 / 25.0);
    assert_true(rk_spectrum_energy(s, 2, 2) == 1.0);
    assert_true(rk_spectrum_energy(s, 2, 9) == 1.0); /* r clamped to k */
    assert_true(rk_spectrum_tail_fro(s, 2, 0) == 5.0);
    assert_true(rk_spectrum_tail_fro(s, 2, 1) == 3.0);
    assert_true(rk_spectrum_tail_fro(s, 2, 2) == 0.0);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, 0.0), 0);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, 0.5), 1);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, 16.0 / 25.0), 1);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, 0.65), 2);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, 1.0), 2);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, 1.5), 2);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 2, NAN), 2);
    /* p = (4/7, 3/7): exp(H) with H = −(4/7)ln(4/7) − (3/7)ln(3/7) = ln 7 − (4 ln 4 + 3 ln 3)/7. */
    double h = log(7.0) - (4.0 * log(4.0) + 3.0 * log(3.0)) / 7.0;
    assert_rel_near(rk_spectrum_effective_rank(s, 2), exp(h), 4 * RK_EPS);
}

/* (12, 5, 0): 13 = √(144 + 25); condition ∞ because the last value is 0. */
static void test_singular_spectrum(void **state)
{
    (void)state;
    const double s[] = { 12.0, 5.0, 0.0 };
    assert_true(rk_spectrum_fro(s, 3) == 13.0);
    assert_true(rk_spectrum_tail_fro(s, 3, 1) == 5.0);
    assert_true(isinf(rk_spectrum_condition(s, 3)));
    assert_true(rk_spectrum_stable_rank(s, 3) == 169.0 / 144.0);
    assert_int_equal(rk_spectrum_rank_for_energy(s, 3, 1.0), 2);
}

/* Equal values: effective rank k (p uniform, H = ln k), stable rank k, energy r/k. */
static void test_equal_values(void **state)
{
    (void)state;
    double s[16];
    for (size_t k = 1; k <= 16; k++) {
        for (size_t i = 0; i < k; i++)
            s[i] = 0.75;
        assert_rel_near(rk_spectrum_effective_rank(s, k), (double)k, 8 * RK_EPS);
        assert_rel_near(rk_spectrum_stable_rank(s, k), (double)k, 8 * RK_EPS);
        assert_true(rk_spectrum_condition(s, k) == 1.0);
        for (size_t r = 0; r <= k; r++)
            assert_rel_near(rk_spectrum_energy(s, k, r), (double)r / (double)k, 8 * RK_EPS);
    }
    /* One non-zero value among zeros: effective rank 1. */
    const double one[] = { 2.0, 0.0, 0.0 };
    assert_true(rk_spectrum_effective_rank(one, 3) == 1.0);
}

/* Zero and empty spectra. */
static void test_zero_and_empty(void **state)
{
    (void)state;
    const double z[] = { 0.0, 0.0 };
    assert_true(rk_spectrum_energy(z, 2, 1) == 0.0);
    assert_int_equal(rk_spectrum_rank_for_energy(z, 2, 0.9), 0);
    assert_true(rk_spectrum_stable_rank(z, 2) == 0.0);
    assert_true(rk_spectrum_effective_rank(z, 2) == 0.0);
    assert_true(isinf(rk_spectrum_condition(z, 2)));
    assert_true(rk_spectrum_fro(z, 2) == 0.0);
    assert_true(rk_spectrum_energy(NULL, 0, 0) == 0.0);
    assert_int_equal(rk_spectrum_rank_for_energy(NULL, 0, 0.5), 0);
    assert_true(rk_spectrum_condition(NULL, 0) == 0.0);
    assert_true(rk_spectrum_spectral(NULL, 0) == 0.0);
    assert_true(rk_spectrum_nuclear(NULL, 0) == 0.0);
    assert_true(rk_spectrum_fro(NULL, 0) == 0.0);
    assert_true(rk_spectrum_stable_rank(NULL, 0) == 0.0);
    assert_true(rk_spectrum_effective_rank(NULL, 0) == 0.0);
}

/* Near overflow and underflow the scaled sums keep the exact answers. */
static void test_extreme_scales(void **state)
{
    (void)state;
    const double scales[] = { 1e300, 1e-300, DBL_MIN };
    for (int i = 0; i < 3; i++) {
        double c = scales[i];
        const double s[] = { 4.0 * c, 3.0 * c };
        assert_rel_near(rk_spectrum_fro(s, 2), 5.0 * c, 2 * RK_EPS);
        assert_rel_near(rk_spectrum_tail_fro(s, 2, 1), 3.0 * c, 2 * RK_EPS);
        assert_rel_near(rk_spectrum_stable_rank(s, 2), 25.0 / 16.0, 2 * RK_EPS);
        assert_rel_near(rk_spectrum_energy(s, 2, 1), 16.0 / 25.0, 2 * RK_EPS);
        assert_rel_near(rk_spectrum_condition(s, 2), 4.0 / 3.0, 2 * RK_EPS);
    }
}

/* On random and low-rank matrices: the norms from the spectrum agree with
 * the matrix, and 1 ≤ effective rank ≤ rank, 1 ≤ stable rank ≤ rank. */
static void test_properties(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 17);
    const size_t shapes[][3] = { { 20, 8, 8 }, { 8, 20, 3 }, { 15, 15, 1 }, { 30, 12, 5 } };
    for (int c = 0; c < 4; c++) {
        size_t m = shapes[c][0], n = shapes[c][1], r = shapes[c][2];
        rk_mat b, a, w;
        assert_status(rk_mat_create(&b, m, r), RK_OK);
        assert_status(rk_mat_create(&a, r, n), RK_OK);
        rk_mat_fill_normal(&b, &rng);
        rk_mat_fill_normal(&a, &rng);
        assert_status(rk_mat_mul(&w, &b, &a), RK_OK);
        rk_svd svd;
        assert_status(rk_svd_decomp(&svd, &w, RK_SVD_VALUES), RK_OK);
        size_t rank = rk_rank_from_values(svd.s, svd.k, m, n, NULL, NULL);
        assert_int_equal(rank, r);
        double fro = rk_mat_norm_fro(&w);
        assert_rel_near(rk_spectrum_fro(svd.s, svd.k), fro, 8 * (double)(m + n) * RK_EPS);
        double stable = rk_spectrum_stable_rank(svd.s, svd.k);
        double eff = rk_spectrum_effective_rank(svd.s, svd.k);
        assert_true(stable >= 1.0 && stable <= (double)rank * (1 + 1e-12));
        assert_true(eff >= 1.0 && eff <= (double)rank * (1 + 1e-12));
        double nuc = rk_spectrum_nuclear(svd.s, svd.k), spec = rk_spectrum_spectral(svd.s, svd.k);
        assert_true(spec <= rk_spectrum_fro(svd.s, svd.k) && rk_spectrum_fro(svd.s, svd.k) <= nuc);
        double prev = 0.0;
        for (size_t j = 0; j <= svd.k; j++) {
            double e = rk_spectrum_energy(svd.s, svd.k, j);
            assert_true(e >= prev && e <= 1.0);
            prev = e;
            /* rank_for_energy inverts energy: the smallest j reaching e. */
            size_t back = rk_spectrum_rank_for_energy(svd.s, svd.k, e);
            assert_true(back <= j);
            assert_true(rk_spectrum_energy(svd.s, svd.k, back) >= e);
        }
        /* All energy is in the first `rank` values (the rest is rounding, ≈ ε²). */
        assert_true(rk_spectrum_energy(svd.s, svd.k, rank) > 1.0 - 1e-12);
        rk_svd_free(&svd);
        rk_mat_free(&b);
        rk_mat_free(&a);
        rk_mat_free(&w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_four_five),
        cmocka_unit_test(test_singular_spectrum),
        cmocka_unit_test(test_equal_values),
        cmocka_unit_test(test_zero_and_empty),
        cmocka_unit_test(test_extreme_scales),
        cmocka_unit_test(test_properties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
