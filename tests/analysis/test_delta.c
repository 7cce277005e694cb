/* test_delta.c — rel_err of a learned update, the Eckart–Young optimum, rank and cosine. */
#include "testutil.h"

#include <math.h>

#include "../linalg/testmat.h"

static void test_rel_err_constructed(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 1);
    rk_mat full = { 0 }, lora = { 0 }, other = { 0 };
    assert_status(rk_mat_create(&full, 8, 5), RK_OK);
    assert_status(rk_mat_create(&lora, 8, 5), RK_OK);
    rk_mat_fill_normal(&full, &rng);
    double e;
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_OK); /* ΔW_lora = 0 → 1 */
    assert_true(fabs(e - 1.0) <= 4 * RK_EPS);
    assert_status(rk_mat_copy(&lora, &full), RK_OK);
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_OK);
    assert_true(e == 0.0);
    rk_mat_scale(&lora, 2.0); /* ‖2F − F‖/‖F‖ = 1 */
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_OK);
    assert_true(fabs(e - 1.0) <= 4 * RK_EPS);
    rk_mat_scale(&lora, -0.25); /* ‖−F/2 − F‖/‖F‖ = 1.5 */
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_OK);
    assert_true(fabs(e - 1.5) <= 8 * RK_EPS);

    rk_mat_fill(&full, 0.0);
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_OK);
    assert_true(isinf(e));
    rk_mat_fill(&lora, 0.0);
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_OK);
    assert_true(e == 0.0);

    assert_status(rk_mat_create(&other, 5, 8), RK_OK);
    assert_status(rk_delta_rel_err(&e, &other, &full), RK_ESHAPE);
    assert_status(rk_delta_rel_err(NULL, &lora, &full), RK_EINVAL);
    RK_AT(&lora, 1, 1) = NAN;
    assert_status(rk_delta_rel_err(&e, &lora, &full), RK_ENONFINITE);
    rk_mat_free(&full);
    rk_mat_free(&lora);
    rk_mat_free(&other);
}

static void test_eckart_young_from_spectrum(void **state)
{
    (void)state;
    double s[3] = { 4.0, 3.0, 0.0 };
    assert_true(fabs(rk_delta_eckart_young_rel_err(s, 3, 1) - 0.6) <= 2 * RK_EPS); /* 3/5 */
    assert_true(rk_delta_eckart_young_rel_err(s, 3, 0) == 1.0);
    assert_true(rk_delta_eckart_young_rel_err(s, 3, 2) == 0.0);
    assert_true(rk_delta_eckart_young_rel_err(s, 3, 3) == 0.0);
    assert_true(rk_delta_eckart_young_rel_err(s, 3, 99) == 0.0);
    assert_true(rk_delta_eckart_young_rel_err(s, 0, 0) == 0.0);
    double z[2] = { 0.0, 0.0 };
    assert_true(rk_delta_eckart_young_rel_err(z, 2, 1) == 0.0);
    double big[2] = { 4e300, 3e300 }, tiny[2] = { 4e-300, 3e-300 };
    assert_true(fabs(rk_delta_eckart_young_rel_err(big, 2, 1) - 0.6) <= 2 * RK_EPS);
    assert_true(fabs(rk_delta_eckart_young_rel_err(tiny, 2, 1) - 0.6) <= 2 * RK_EPS);
}

/* rank-r candidate B·A of random factors */
static void random_rank_r(rk_mat *c, size_t m, size_t n, size_t r, rk_rng *rng)
{
    rk_mat b = { 0 }, a = { 0 };
    assert_status(rk_mat_create(&b, m, r), RK_OK);
    assert_status(rk_mat_create(&a, r, n), RK_OK);
    rk_mat_fill_normal(&b, rng);
    rk_mat_fill_normal(&a, rng);
    assert_status(rk_mat_mul(c, &b, &a), RK_OK);
    rk_mat_free(&b);
    rk_mat_free(&a);
}

/* Eckart–Young: no matrix of rank ≤ r gets closer to ΔW_full than its
 * truncated SVD, which attains the bound. Candidates: the truncation itself
 * (equality), the truncation perturbed within rank r, random rank-r
 * products, and the least-squares fit of ΔW_full in a random rank-r column
 * space (the best a wrong subspace can do). */
static void test_rel_err_never_beats_eckart_young(void **state)
{
    (void)state;
    enum { M = 30, N = 20 };
    rk_rng rng;
    rk_rng_seed(&rng, 2);
    rk_mat full = { 0 };
    assert_status(rk_mat_create(&full, M, N), RK_OK);
    rk_mat_fill_normal(&full, &rng);
    rk_svd svd = { 0 };
    assert_status(rk_svd_decomp(&svd, &full, RK_SVD_THIN), RK_OK);
    for (size_t r = 1; r <= 6; r++) {
        double ey = rk_delta_eckart_young_rel_err(svd.s, svd.k, r), e;
        /* [ΔW]_r = U_r·S_r·Vt_r */
        rk_mat us = { 0 }, trunc = { 0 }, cand = { 0 }, q = { 0 }, qtf = { 0 }, fit = { 0 };
        rk_mat ur = rk_mat_view_cols(&svd.u, 0, r), vtr = rk_mat_view_rows(&svd.vt, 0, r);
        assert_status(rk_mat_dup(&us, &ur), RK_OK);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < r; j++)
                RK_AT(&us, i, j) *= svd.s[j];
        assert_status(rk_mat_mul(&trunc, &us, &vtr), RK_OK);
        assert_status(rk_delta_rel_err(&e, &trunc, &full), RK_OK);
        assert_true(fabs(e - ey) <= 1e-12);
        size_t rank = 0;
        assert_status(rk_delta_rank(&rank, &trunc), RK_OK);
        assert_int_equal(rank, r);

        for (int t = 0; t < 5; t++) {
            // a random rank-r candidate is far from the bound, so the bound says
            // little here: check rel_err itself, ‖cand − full‖_F/‖full‖_F summed here
            random_rank_r(&cand, M, N, r, &rng);
            assert_status(rk_delta_rel_err(&e, &cand, &full), RK_OK);
            double num = 0.0, den = 0.0;
            for (size_t i = 0; i < M; i++)
                for (size_t j = 0; j < N; j++) {
                    double d = RK_AT(&cand, i, j) - RK_AT(&full, i, j);
                    num += d * d;
                    den += RK_AT(&full, i, j) * RK_AT(&full, i, j);
                }
            assert_true(fabs(e - sqrt(num / den)) <= 1e-13 * e);
            assert_true(e >= ey - 1e-12);
            rk_mat_free(&cand);
            /* perturbed: (U_r·S_r + 0.01·G)·Vt_r keeps rank ≤ r */
            rk_mat g = { 0 };
            assert_status(rk_mat_create(&g, M, r), RK_OK);
            rk_mat_fill_normal(&g, &rng);
            assert_status(rk_mat_axpy(&g, 100.0, &us), RK_OK);
            rk_mat_scale(&g, 0.01);
            assert_status(rk_mat_mul(&cand, &g, &vtr), RK_OK);
            assert_status(rk_delta_rel_err(&e, &cand, &full), RK_OK);
            assert_true(e >= ey - 1e-12);
            rk_mat_free(&cand);
            rk_mat_free(&g);
        }
        testmat_orthonormal(&q, M, r, &rng); /* fit = Q·QᵀΔW */
        assert_status(rk_mat_create(&qtf, r, N), RK_OK);
        assert_status(rk_mat_gemm(true, false, 1.0, &q, &full, 0.0, &qtf), RK_OK);
        assert_status(rk_mat_mul(&fit, &q, &qtf), RK_OK);
        assert_status(rk_delta_rel_err(&e, &fit, &full), RK_OK);
        assert_true(e >= ey - 1e-12);
        assert_true(e < 1.0); /* the projection removes some of ΔW */
        rk_mat_free(&us);
        rk_mat_free(&trunc);
        rk_mat_free(&q);
        rk_mat_free(&qtf);
        rk_mat_free(&fit);
    }
    rk_svd_free(&svd);
    rk_mat_free(&full);
}

static void test_rank_and_cosine(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    rk_mat c = { 0 }, d = { 0 }, z = { 0 };
    size_t rank = 99;
    random_rank_r(&c, 25, 18, 4, &rng);
    assert_status(rk_delta_rank(&rank, &c), RK_OK);
    assert_int_equal(rank, 4);
    assert_status(rk_mat_create(&z, 25, 18), RK_OK);
    assert_status(rk_delta_rank(&rank, &z), RK_OK);
    assert_int_equal(rank, 0);
    assert_status(rk_delta_rank(NULL, &z), RK_EINVAL);

    double cs;
    assert_status(rk_delta_cosine(&cs, &c, &c), RK_OK);
    assert_true(fabs(cs - 1.0) <= 25 * 18 * RK_EPS); /* a sum of 450 terms */
    assert_status(rk_mat_dup(&d, &c), RK_OK);
    rk_mat_scale(&d, -3.0);
    assert_status(rk_delta_cosine(&cs, &c, &d), RK_OK);
    assert_true(fabs(cs + 1.0) <= 25 * 18 * RK_EPS);
    assert_status(rk_delta_cosine(&cs, &c, &z), RK_OK);
    assert_true(cs == 0.0);
    /* disjoint supports are orthogonal; [1 1; 0 0] vs [1 0; 0 0] → 1/√2 */
    double x[4] = { 1, 1, 0, 0 }, y[4] = { 0, 0, 2, 5 }, w[4] = { 1, 0, 0, 0 };
    rk_mat mx = rk_mat_wrap(x, 2, 2), my = rk_mat_wrap(y, 2, 2), mw = rk_mat_wrap(w, 2, 2);
    assert_status(rk_delta_cosine(&cs, &mx, &my), RK_OK);
    assert_true(cs == 0.0);
    assert_status(rk_delta_cosine(&cs, &mx, &mw), RK_OK);
    assert_true(fabs(cs - sqrt(0.5)) <= 2 * RK_EPS);
    rk_mat t = rk_mat_view(&c, 0, 0, 2, 2);
    rk_mat u = rk_mat_view(&c, 0, 0, 2, 3);
    assert_status(rk_delta_cosine(&cs, &t, &u), RK_ESHAPE);
    y[0] = INFINITY;
    assert_status(rk_delta_cosine(&cs, &mx, &my), RK_ENONFINITE);
    rk_mat_free(&c);
    rk_mat_free(&d);
    rk_mat_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rel_err_constructed),
        cmocka_unit_test(test_eckart_young_from_spectrum),
        cmocka_unit_test(test_rel_err_never_beats_eckart_young),
        cmocka_unit_test(test_rank_and_cosine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
