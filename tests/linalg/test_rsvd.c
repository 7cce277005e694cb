/* test_rsvd.c — randomized SVD against the exact SVD on matrices with known spectra. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "testmat.h"

/* scikit-learn's test_randomized_svd_low_rank: make_low_rank_matrix(100, 500,
 * effective_rank=5, tail_strength=0), k = 10 → the singular values and the
 * product U_k·Vt_k agree with the exact SVD to 7 decimals. */
static void test_rsvd_matches_exact_low_rank(void **state)
{
    (void)state;
    enum { M = 100, N = 500, K = 10 };
    double s[M];
    rk_mat a = { 0 };
    testmat_profile(&a, s, M, N, 5.0, 0.0, 2011);
    rk_svd exact = { 0 }, fast = { 0 };
    assert_status(rk_svd_decomp(&exact, &a, RK_SVD_THIN), RK_OK);
    rk_rsvd_opts o = rk_rsvd_opts_default(K);
    assert_status(rk_rsvd(&fast, &a, &o), RK_OK);
    assert_int_equal(fast.k, K);
    assert_int_equal(fast.u.rows, M);
    assert_int_equal(fast.u.cols, K);
    assert_int_equal(fast.vt.rows, K);
    assert_int_equal(fast.vt.cols, N);
    double worst = 0.0;
    for (size_t i = 0; i < K; i++) {
        worst = rk_test_worst(worst, fabs(fast.s[i] - exact.s[i]));
        assert_true(fabs(exact.s[i] - s[i]) < 1e-12); /* the construction is right */
        if (i)
            assert_true(fast.s[i] <= fast.s[i - 1]);
    }
    print_message("# max |s_fast - s_exact| over top %d: %.3g\n", K, worst);
    assert_true(worst < 1e-7);

    /* U_k·Vt_k does not depend on the signs of the singular vectors. */
    rk_mat p1 = { 0 }, p2 = { 0 };
    rk_mat uk = rk_mat_view_cols(&exact.u, 0, K), vk = rk_mat_view_rows(&exact.vt, 0, K);
    assert_status(rk_mat_mul(&p1, &uk, &vk), RK_OK);
    assert_status(rk_mat_mul(&p2, &fast.u, &fast.vt), RK_OK);
    assert_mat_near(&p1, &p2, 1e-7);
    rk_mat_free(&p1);
    rk_mat_free(&p2);
    rk_svd_free(&exact);
    rk_svd_free(&fast);
    rk_mat_free(&a);
}

/* The same profile with a heavy tail (t = 0.5) leaves no spectral gap at k:
 * individual values are then approximate, but the rank-k reconstruction
 * must still be within 1% of the optimal (Eckart–Young) error. */
static void check_near_optimal(const rk_mat *a, size_t k, double allowed)
{
    rk_svd exact = { 0 }, fast = { 0 };
    assert_status(rk_svd_decomp(&exact, a, RK_SVD_VALUES), RK_OK);
    rk_rsvd_opts o = rk_rsvd_opts_default(k);
    o.seed = 77;
    assert_status(rk_rsvd(&fast, a, &o), RK_OK);
    double opt = 0.0;
    for (size_t i = k; i < exact.k; i++)
        opt += exact.s[i] * exact.s[i];
    opt = sqrt(opt);
    double err = testmat_recon_error(a, &fast, k);
    print_message("# %zux%zu k=%zu: error %.6g, optimal %.6g, ratio %.6f\n", a->rows, a->cols, k, err,
                  opt, err / opt);
    assert_true(err >= opt * (1.0 - 1e-12)); /* nothing beats Eckart–Young */
    assert_true(err <= opt * allowed);
    rk_svd_free(&exact);
    rk_svd_free(&fast);
}

static void test_rsvd_reconstruction_near_optimal(void **state)
{
    (void)state;
    /* 300×200 low rank plus noise: rank-10 signal with σ = 10..1, noise 0.01·N(0,1). */
    rk_mat a = { 0 };
    testmat_signal_plus_noise(&a, 1.0);
    check_near_optimal(&a, 10, 1.01);
    check_near_optimal(&a, 5, 1.01);
    rk_mat_free(&a);

    double t[100];
    testmat_profile(&a, t, 100, 500, 5.0, 0.5, 8);
    check_near_optimal(&a, 10, 1.01);
    rk_mat_free(&a);
}

/* HMT Theorem 10.5 with q = 0: E‖A − QQᵀA‖_F ≤ (1 + k/(p−1))^{1/2}·√(Σ_{j>k} σ_j²).
 * Q has k + p columns; asking rk_rsvd for all k + p triplets with no
 * oversampling makes U·S·Vt = QQᵀA exactly. The mean over 20 seeds is
 * compared with the bound; a slowly decaying spectrum (σ_j = 1/j) keeps the
 * bound far from trivially true (the error is at least the rank-(k+p) optimum). */
static void test_rsvd_hmt_expected_error_bound(void **state)
{
    (void)state;
    enum { M = 120, N = 80, K = 8, P = 4, SEEDS = 20 };
    double s[N];
    for (size_t i = 0; i < N; i++)
        s[i] = 1.0 / (double)(i + 1);
    rk_mat a = { 0 };
    testmat_with_spectrum(&a, M, N, s, 10);
    double tail_k = 0.0, tail_kp = 0.0;
    for (size_t i = K; i < N; i++)
        tail_k += s[i] * s[i];
    for (size_t i = K + P; i < N; i++)
        tail_kp += s[i] * s[i];
    double bound = sqrt(1.0 + (double)K / (P - 1)) * sqrt(tail_k);
    double mean = 0.0;
    for (uint64_t seed = 0; seed < SEEDS; seed++) {
        rk_rsvd_opts o = { .k = K + P, .oversample = 0, .power_iters = 0, .seed = seed };
        rk_svd f = { 0 };
        assert_status(rk_rsvd(&f, &a, &o), RK_OK);
        double e = testmat_recon_error(&a, &f, K + P);
        assert_true(e >= sqrt(tail_kp) * (1.0 - 1e-12));
        mean += e / SEEDS;
        rk_svd_free(&f);
    }
    print_message("# mean error %.5g, bound %.5g, optimal rank-k %.5g\n", mean, bound, sqrt(tail_k));
    assert_true(mean <= bound);
    rk_mat_free(&a);
}

/* tol > 0 stops the power iterations once the top-k values settle: on a
 * fast-decaying spectrum that is well before q, with the same accuracy;
 * tol = 0 runs exactly q. Products are always 2·iterations + 2. */
static void test_rsvd_early_stop(void **state)
{
    (void)state;
    double s[100], t[100];
    testmat_low_rank_profile(s, 100, 5.0, 0.0);
    testmat_low_rank_profile(t, 100, 5.0, 0.5);
    for (int heavy = 0; heavy <= 1; heavy++) {
        rk_mat a = { 0 };
        testmat_with_spectrum(&a, 100, 500, heavy ? t : s, 2011);
        rk_svd exact = { 0 }, f0 = { 0 }, f1 = { 0 };
        assert_status(rk_svd_decomp(&exact, &a, RK_SVD_VALUES), RK_OK);
        rk_rsvd_opts o = rk_rsvd_opts_default(10);
        rk_rsvd_stats st0, st1;
        assert_status(rk_rsvd_with_stats(&f0, &a, &o, &st0), RK_OK);
        o.tol = 1e-10;
        assert_status(rk_rsvd_with_stats(&f1, &a, &o, &st1), RK_OK);
        assert_int_equal(st0.power_iters, 4); /* k = 10 is not < 0.1·100 */
        assert_int_equal(st0.products, 10);
        assert_int_equal(st1.products, 2 * st1.power_iters + 2);
        assert_true(st1.power_iters >= 1 && st1.power_iters <= 4);
        double opt = 0.0;
        for (size_t i = 10; i < exact.k; i++)
            opt += exact.s[i] * exact.s[i];
        opt = sqrt(opt);
        double e0 = testmat_recon_error(&a, &f0, 10), e1 = testmat_recon_error(&a, &f1, 10);
        print_message("# %s tail: q=4 err/opt %.8f; tol 1e-10 stopped after %d: err/opt %.8f\n",
                      heavy ? "heavy" : "no", e0 / opt, st1.power_iters, e1 / opt);
        if (!heavy) {
            assert_true(st1.power_iters < 4);
            for (size_t i = 0; i < 10; i++)
                assert_true(fabs(f1.s[i] - exact.s[i]) < 1e-7);
        }
        assert_true(e1 <= 1.01 * opt);
        rk_svd_free(&exact);
        rk_svd_free(&f0);
        rk_svd_free(&f1);
        rk_mat_free(&a);
    }
    rk_mat a = { 0 };
    assert_status(rk_mat_create(&a, 5, 5), RK_OK);
    rk_rsvd_opts o = rk_rsvd_opts_default(2);
    o.tol = -1.0;
    rk_svd f = { 0 };
    rk_rsvd_stats st = { 3, 3, 3, 3, true, true };
    assert_status(rk_rsvd_with_stats(&f, &a, &o, &st), RK_EINVAL);
    assert_int_equal(st.products, 0);
    o.tol = NAN;
    assert_status(rk_rsvd(&f, &a, &o), RK_EINVAL);
    rk_mat_free(&a);
}

static void test_rsvd_deterministic_with_seed(void **state)
{
    (void)state;
    double s[60];
    rk_mat a = { 0 };
    testmat_profile(&a, s, 60, 90, 4.0, 0.2, 3);
    rk_rsvd_opts o = rk_rsvd_opts_default(6);
    o.seed = 123;
    rk_svd f1 = { 0 }, f2 = { 0 }, f3 = { 0 };
    assert_status(rk_rsvd(&f1, &a, &o), RK_OK);
    assert_status(rk_rsvd(&f2, &a, &o), RK_OK);
    o.seed = 124;
    assert_status(rk_rsvd(&f3, &a, &o), RK_OK);
    assert_memory_equal(f1.s, f2.s, 6 * sizeof(double));
    assert_mat_near(&f1.u, &f2.u, 0.0);
    assert_mat_near(&f1.vt, &f2.vt, 0.0);
    /* another seed: another sketch, so not bit-identical, yet as accurate */
    assert_true(memcmp(f1.s, f3.s, 6 * sizeof(double)) != 0 ||
                rk_mat_max_abs_diff(&f1.u, &f3.u) > 0.0);
    for (size_t i = 0; i < 6; i++)
        assert_true(fabs(f1.s[i] - f3.s[i]) < 1e-6 * f1.s[0]);
    rk_svd_free(&f1);
    rk_svd_free(&f2);
    rk_svd_free(&f3);
    rk_mat_free(&a);
}

/* U and V orthonormal to working precision: ‖I − UᵀU‖₁/(k·ε) and the same
 * for Vt's rows, on tall and wide inputs. */
static void test_rsvd_factors_orthonormal(void **state)
{
    (void)state;
    const size_t shapes[][3] = { { 200, 50, 5 }, { 50, 200, 12 }, { 64, 64, 64 }, { 70, 30, 25 } };
    for (size_t t = 0; t < 4; t++) {
        size_t m = shapes[t][0], n = shapes[t][1], k = shapes[t][2];
        rk_rng rng;
        rk_rng_seed(&rng, 40 + t);
        rk_mat a = { 0 }, v = { 0 };
        assert_status(rk_mat_create(&a, m, n), RK_OK);
        rk_mat_fill_normal(&a, &rng);
        rk_rsvd_opts o = rk_rsvd_opts_default(k);
        rk_svd f = { 0 };
        assert_status(rk_rsvd(&f, &a, &o), RK_OK);
        assert_status(rk_mat_transpose(&v, &f.vt), RK_OK);
        double ru = testmat_orth_residual(&f.u) / ((double)k * RK_EPS);
        double rv = testmat_orth_residual(&v) / ((double)k * RK_EPS);
        print_message("# %zux%zu k=%zu: U ratio %.3g, V ratio %.3g\n", m, n, k, ru, rv);
        assert_true(ru < 50.0 && rv < 50.0);
        for (size_t i = 0; i < k; i++)
            assert_true(f.s[i] >= 0.0 && (i == 0 || f.s[i] <= f.s[i - 1]));
        rk_svd_free(&f);
        rk_mat_free(&v);
        rk_mat_free(&a);
    }
}

/* When k + p reaches min(m, n) the sketch spans the whole column space and
 * the result is the exact SVD (up to rounding). */
static void test_rsvd_full_sketch_is_exact(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 4);
    rk_mat a = { 0 };
    assert_status(rk_mat_create(&a, 40, 30), RK_OK);
    rk_mat_fill_normal(&a, &rng);
    rk_svd exact = { 0 }, fast = { 0 };
    assert_status(rk_svd_decomp(&exact, &a, RK_SVD_VALUES), RK_OK);
    rk_rsvd_opts o = rk_rsvd_opts_default(25); /* 25 + 10 clamped to 30 */
    assert_status(rk_rsvd(&fast, &a, &o), RK_OK);
    for (size_t i = 0; i < 25; i++)
        assert_true(fabs(fast.s[i] - exact.s[i]) <= 100.0 * 40 * RK_EPS * exact.s[0]);
    rk_svd_free(&fast);
    o.k = 30;
    o.oversample = SIZE_MAX; /* clamped without overflow */
    assert_status(rk_rsvd(&fast, &a, &o), RK_OK);
    assert_true(testmat_recon_error(&a, &fast, 30) <= 100.0 * 40 * RK_EPS * rk_mat_norm_fro(&a));
    rk_svd_free(&fast);
    rk_svd_free(&exact);
    rk_mat_free(&a);
}

/* A rank-deficient input (a LoRA update B·A of rank 3) asked for more
 * triplets than its rank, and the zero matrix: the sketch then has
 * dependent columns, which the Householder QR still turns into an
 * orthonormal basis. The top values are exact, the rest are zero. */
static void test_rsvd_rank_deficient_and_zero(void **state)
{
    (void)state;
    enum { M = 120, N = 90, R = 3, K = 8 };
    rk_rng rng;
    rk_rng_seed(&rng, 31);
    rk_mat d = { 0 };
    testmat_rank_product(&d, M, R, N, &rng);
    rk_svd exact = { 0 }, f = { 0 };
    assert_status(rk_svd_decomp(&exact, &d, RK_SVD_VALUES), RK_OK);
    for (int tol = 0; tol <= 1; tol++) {
        rk_rsvd_opts o = rk_rsvd_opts_default(K);
        o.tol = tol ? 1e-6 : 0.0;
        assert_status(rk_rsvd(&f, &d, &o), RK_OK);
        for (size_t i = 0; i < K; i++) {
            if (i < R)
                assert_true(fabs(f.s[i] - exact.s[i]) <= 1e-12 * exact.s[0]);
            else
                assert_true(f.s[i] <= 100.0 * M * RK_EPS * exact.s[0]);
        }
        assert_true(testmat_recon_error(&d, &f, R) <= 100.0 * M * RK_EPS * rk_mat_norm_fro(&d));
        assert_true(testmat_orth_residual(&f.u) / ((double)K * RK_EPS) < 50.0);
        rk_svd_free(&f);
    }
    rk_mat_fill(&d, 0.0);
    rk_rsvd_opts o = rk_rsvd_opts_default(K);
    for (int tol = 0; tol <= 1; tol++) {
        o.tol = tol ? 1e-6 : 0.0;
        testmat_check_rsvd_of_zero(&d, &o);
    }
    rk_svd_free(&exact);
    rk_mat_free(&d);
}

static void test_rsvd_argument_checks(void **state)
{
    (void)state;
    rk_mat a = { 0 };
    rk_svd f = { 0 };
    assert_status(rk_mat_create(&a, 10, 6), RK_OK);
    rk_mat_set_identity(&a);
    rk_rsvd_opts o = rk_rsvd_opts_default(7);
    assert_status(rk_rsvd(&f, &a, &o), RK_ERANGE);
    o.k = 3;
    assert_status(rk_rsvd(NULL, &a, &o), RK_EINVAL);
    assert_status(rk_rsvd(&f, NULL, &o), RK_EINVAL);
    assert_status(rk_rsvd(&f, &a, NULL), RK_EINVAL);
    o.power_iters = -2;
    assert_status(rk_rsvd(&f, &a, &o), RK_EINVAL);
    o.power_iters = 1001;
    assert_status(rk_rsvd(&f, &a, &o), RK_EINVAL);
    o.power_iters = RK_RSVD_AUTO_ITERS;
    RK_AT(&a, 2, 3) = NAN;
    assert_status(rk_rsvd(&f, &a, &o), RK_ENONFINITE);
    RK_AT(&a, 2, 3) = -INFINITY;
    assert_status(rk_rsvd(&f, &a, &o), RK_ENONFINITE);
    assert_null(f.s);
    assert_null(f.u.data);
    RK_AT(&a, 2, 3) = 0.0;

    o.k = 0; /* nothing asked: empty factors of the right outer shapes */
    assert_status(rk_rsvd(&f, &a, &o), RK_OK);
    assert_int_equal(f.k, 0);
    assert_int_equal(f.u.rows, 10);
    assert_int_equal(f.u.cols, 0);
    assert_int_equal(f.vt.rows, 0);
    assert_int_equal(f.vt.cols, 6);
    rk_svd_free(&f);
    rk_mat_free(&a);

    rk_mat e = { 0 };
    assert_status(rk_mat_create(&e, 0, 5), RK_OK);
    o.k = 1;
    assert_status(rk_rsvd(&f, &e, &o), RK_ERANGE);
    o.k = 0;
    assert_status(rk_rsvd(&f, &e, &o), RK_OK);
    rk_svd_free(&f);
    rk_mat_free(&e);
}

static void test_rsvd_defaults_and_worthwhile(void **state)
{
    (void)state;
    rk_rsvd_opts o = rk_rsvd_opts_default(9);
    assert_int_equal(o.oversample, 10);
    assert_int_equal(o.power_iters, RK_RSVD_AUTO_ITERS);
    /* scikit-learn: n_iter = 7 if k < 0.1·min(m, n) else 4 */
    assert_int_equal(rk_rsvd_power_iters(&o, 100, 500), 7);  /* 9 < 10 */
    o.k = 10;
    assert_int_equal(rk_rsvd_power_iters(&o, 100, 500), 4);  /* 10 = 10 */
    assert_int_equal(rk_rsvd_power_iters(&o, 500, 101), 7);  /* 10 < 10.1 */
    o.power_iters = 2;
    assert_int_equal(rk_rsvd_power_iters(&o, 500, 101), 2);

    assert_false(rk_rsvd_worthwhile(511, 4096, 8));
    assert_true(rk_rsvd_worthwhile(512, 4096, 64));
    assert_false(rk_rsvd_worthwhile(512, 4096, 65));
    assert_false(rk_rsvd_worthwhile(4096, 4096, 0));
    assert_true(rk_rsvd_worthwhile(4096, 2048, 32));
}

static void test_rsvd_allocation_failures(void **state)
{
    (void)state;
    double s[30];
    rk_mat a = { 0 };
    testmat_profile(&a, s, 30, 45, 3.0, 0.1, 12);
    rk_rsvd_opts o = rk_rsvd_opts_default(4);
    o.power_iters = 2;
    o.tol = 1e-300; /* exercise the early-stop bookkeeping too */
    rk_svd f = { 0 };
    int failures = 0;
    for (long n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_rsvd(&f, &a, &o);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_null(f.s);
        assert_null(f.u.data);
        assert_null(f.vt.data);
        failures++;
    }
    print_message("# %d allocation failure points, each returned RK_ENOMEM\n", failures);
    assert_true(failures >= 10);
    rk_svd_free(&f);
    rk_mat_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsvd_matches_exact_low_rank),
        cmocka_unit_test(test_rsvd_reconstruction_near_optimal),
        cmocka_unit_test(test_rsvd_hmt_expected_error_bound),
        cmocka_unit_test(test_rsvd_early_stop),
        cmocka_unit_test(test_rsvd_deterministic_with_seed),
        cmocka_unit_test(test_rsvd_factors_orthonormal),
        cmocka_unit_test(test_rsvd_full_sketch_is_exact),
        cmocka_unit_test(test_rsvd_rank_deficient_and_zero),
        cmocka_unit_test(test_rsvd_argument_checks),
        cmocka_unit_test(test_rsvd_defaults_and_worthwhile),
        cmocka_unit_test(test_rsvd_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
