/* test_rsvd_mixed.c — the randomized SVD's fast paths (float32 sketch with a double finish,
 * LU normalisation, the aligned sketch width, the mixed-precision guard) against the exact SVD. */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "testmat.h"

/* Sum_{i ≥ k} σ_i², square-rooted: the optimal rank-k error (Eckart–Young). */
static double optimal_error(const rk_svd *exact, size_t k)
{
    double e = 0.0;
    for (size_t i = k; i < exact->k; i++)
        e += exact->s[i] * exact->s[i];
    return sqrt(e);
}

/* Run rk_rsvd with @p o on @p a and check it against the exact SVD:
 *  - error within 1% of the optimum (and never below it),
 *  - U and V orthonormal to double precision: ‖I − UᵀU‖₁/(k·ε) < 50,
 *  - values non-negative, non-increasing, and never above the exact ones
 *    (σ_i(QᵀA) ≤ σ_i(A) for orthonormal Q) beyond rounding.
 * Returns err/opt. */
static double check_against_exact(const rk_mat *a, const rk_rsvd_opts *o, rk_rsvd_stats *stats)
{
    size_t k = o->k;
    rk_svd exact = { 0 }, f = { 0 };
    rk_mat v = { 0 };
    assert_status(rk_svd_decomp(&exact, a, RK_SVD_VALUES), RK_OK);
    assert_status(rk_rsvd_with_stats(&f, a, o, stats), RK_OK);
    double opt = optimal_error(&exact, k), err = testmat_recon_error(a, &f, k);
    assert_true(err >= opt * (1.0 - 1e-12));
    assert_true(err <= 1.01 * opt);
    assert_status(rk_mat_transpose(&v, &f.vt), RK_OK);
    double ru = testmat_orth_residual(&f.u) / ((double)k * RK_EPS);
    double rv = testmat_orth_residual(&v) / ((double)k * RK_EPS);
    assert_true(ru < 50.0 && rv < 50.0);
    double worst = 0.0;
    for (size_t i = 0; i < k; i++) {
        assert_true(f.s[i] >= 0.0 && (i == 0 || f.s[i] <= f.s[i - 1]));
        assert_true(f.s[i] <= exact.s[i] + 100.0 * (double)a->rows * RK_EPS * exact.s[0]);
        worst = rk_test_worst(worst, fabs(f.s[i] - exact.s[i]) / exact.s[0]);
    }
    print_message("# %zux%zu k=%zu l=%zu %s%s: err/opt %.9f, U %.3g V %.3g, max|ds|/s1 %.2g\n",
                  a->rows, a->cols, k, stats->columns, stats->mixed ? "mixed" : "double",
                  stats->refined ? " refined" : "", err / opt, ru, rv, worst);
    rk_mat_free(&v);
    rk_svd_free(&exact);
    rk_svd_free(&f);
    return err / opt;
}

/* The float32 sketch on a low-rank-plus-noise matrix: within 1% of the
 * optimum (in fact far closer), double-orthonormal factors, the work as
 * promised (2q + 1 float products, one double), no refinement needed. */
static void test_mixed_near_optimal(void **state)
{
    (void)state;
    rk_mat a = { 0 };
    testmat_signal_plus_noise(&a, 1.0);
    for (int lu = 0; lu <= 1; lu++) {
        rk_rsvd_opts o = rk_rsvd_opts_default(10);
        o.precision = RK_RSVD_PREC_MIXED;
        o.normalizer = lu ? RK_RSVD_NORM_LU : RK_RSVD_NORM_QR;
        rk_rsvd_stats st;
        double r = check_against_exact(&a, &o, &st);
        assert_true(r <= 1.0 + 1e-6);
        assert_true(st.mixed && !st.refined);
        assert_int_equal(st.power_iters, 7);
        assert_int_equal(st.products, 16);
        assert_int_equal(st.products_single, 15);
    }
    /* the heavy tail: no gap at k, the subspace itself is approximate */
    double t[100];
    rk_mat_free(&a);
    testmat_profile(&a, t, 100, 500, 5.0, 0.5, 8);
    rk_rsvd_opts o = rk_rsvd_opts_default(10);
    o.precision = RK_RSVD_PREC_MIXED;
    rk_rsvd_stats st;
    check_against_exact(&a, &o, &st);
    assert_true(st.mixed && !st.refined);
    rk_mat_free(&a);
}

/* Entries far outside float32's range (which would round to Inf or to 0):
 * the float copy is scaled by a power of two, so nothing overflows or
 * flushes to zero, and the result is the scaled result of the unscaled
 * matrix. (Not nearer the ends of the double range: the test's own sums of
 * squares would under- or overflow.) */
static void test_mixed_scaling(void **state)
{
    (void)state;
    const double scales[] = { 1e-150, 1e150, 0x1p-400 }; /* far outside float's range */
    rk_mat a1 = { 0 };
    testmat_signal_plus_noise(&a1, 1.0);
    rk_rsvd_opts o = rk_rsvd_opts_default(10);
    o.precision = RK_RSVD_PREC_MIXED;
    rk_svd f1 = { 0 };
    assert_status(rk_rsvd(&f1, &a1, &o), RK_OK);
    for (size_t t = 0; t < 3; t++) {
        rk_mat a = { 0 };
        testmat_signal_plus_noise(&a, scales[t]);
        rk_rsvd_stats st;
        check_against_exact(&a, &o, &st);
        assert_true(st.mixed && !st.refined);
        rk_svd f = { 0 };
        assert_status(rk_rsvd(&f, &a, &o), RK_OK);
        for (size_t i = 0; i < 10; i++)
            assert_true(fabs(f.s[i] / scales[t] - f1.s[i]) <= 1e-10 * f1.s[0]);
        rk_svd_free(&f);
        rk_mat_free(&a);
    }
    rk_svd_free(&f1);
    rk_mat_free(&a1);
}

/* scikit-learn's effective-rank-5 100×500 case, k = 10, singular values to
 * 1e-7, on every path (U_k·V_kᵀ to 1e-7 in double, to the float bound below
 * in mixed precision). The float32 sketch needs no refinement here (the
 * rank-10 error is ~1% of ‖A‖_F): its subspace is off by ~1e-7, and the
 * values of B = QᵀA, computed in double, are off by the square of that. */
static void test_paths_match_exact_low_rank(void **state)
{
    (void)state;
    enum { M = 100, N = 500, K = 10 };
    double s[M];
    rk_mat a = { 0 };
    testmat_profile(&a, s, M, N, 5.0, 0.0, 2011);
    rk_svd exact = { 0 };
    assert_status(rk_svd_decomp(&exact, &a, RK_SVD_THIN), RK_OK);
    const rk_rsvd_precision precs[] = { RK_RSVD_PREC_MIXED, RK_RSVD_PREC_DOUBLE };
    const rk_rsvd_normalizer norms[] = { RK_RSVD_NORM_LU, RK_RSVD_NORM_QR };
    for (int p = 0; p < 2; p++)
        for (int q = 0; q < 2; q++) {
            rk_rsvd_opts o = rk_rsvd_opts_default(K);
            o.precision = precs[p];
            o.normalizer = norms[q];
            rk_rsvd_stats st;
            rk_svd f = { 0 };
            assert_status(rk_rsvd_with_stats(&f, &a, &o, &st), RK_OK);
            double worst = 0.0;
            for (size_t i = 0; i < K; i++)
                worst = rk_test_worst(worst, fabs(f.s[i] - exact.s[i]));
            print_message("# %s %s%s: max |s - s_exact| %.3g\n", p ? "double" : "mixed",
                          q ? "QR" : "LU", st.refined ? " (refined)" : "", worst);
            assert_true(worst < 1e-7);
            assert_true(st.mixed == (p == 0) && !st.refined);
            rk_mat p1 = { 0 }, p2 = { 0 };
            rk_mat uk = rk_mat_view_cols(&exact.u, 0, K), vk = rk_mat_view_rows(&exact.vt, 0, K);
            assert_status(rk_mat_mul(&p1, &uk, &vk), RK_OK);
            assert_status(rk_mat_mul(&p2, &f.u, &f.vt), RK_OK);
            /* double: to 1e-7 as scikit-learn's test; the float sketch's
             * subspace is off by about u_f·σ_1/gap (Davis–Kahan with a
             * perturbation of float32's rounding): tolerance ε_f·σ_1/(σ_k − σ_{k+1}) */
            double gap = exact.s[K - 1] - exact.s[K];
            double tol = p ? 1e-7 : FLT_EPSILON * exact.s[0] / gap;
            print_message("#   max |U_k·V_kᵀ − exact| %.3g (tolerance %.3g)\n",
                          rk_mat_max_abs_diff(&p1, &p2), tol);
            assert_mat_near(&p1, &p2, tol);
            rk_mat_free(&p1);
            rk_mat_free(&p2);
            rk_svd_free(&f);
        }
    rk_svd_free(&exact);
    rk_mat_free(&a);
}

/* The guard on an exactly low-rank input: a float32 sketch alone would stop
 * at about float precision; the refined result is exact to double rounding. */
static void test_mixed_guard_refines_low_rank(void **state)
{
    (void)state;
    enum { M = 150, N = 120, R = 4, K = 6 };
    rk_rng rng;
    rk_rng_seed(&rng, 77);
    rk_mat d = { 0 };
    testmat_rank_product(&d, M, R, N, &rng);
    rk_svd exact = { 0 };
    assert_status(rk_svd_decomp(&exact, &d, RK_SVD_VALUES), RK_OK);
    for (int lu = 0; lu <= 1; lu++) {
        rk_rsvd_opts o = rk_rsvd_opts_default(K);
        o.precision = RK_RSVD_PREC_MIXED;
        o.normalizer = lu ? RK_RSVD_NORM_LU : RK_RSVD_NORM_QR;
        rk_rsvd_stats st;
        rk_svd f = { 0 };
        assert_status(rk_rsvd_with_stats(&f, &d, &o, &st), RK_OK);
        assert_true(st.mixed && st.refined);
        assert_int_equal(st.products, 16 + 15); /* the float pass, then q double rounds + B */
        for (size_t i = 0; i < K; i++) {
            if (i < R)
                assert_true(fabs(f.s[i] - exact.s[i]) <= 100.0 * M * RK_EPS * exact.s[0]);
            else
                assert_true(f.s[i] <= 100.0 * M * RK_EPS * exact.s[0]);
        }
        double e = testmat_recon_error(&d, &f, R) / (M * RK_EPS * rk_mat_norm_fro(&d));
        print_message("# rank %d, k=%d, %s: ‖A − U_r S_r V_rᵀ‖_F/(m·ε·‖A‖_F) = %.3g\n", R, K,
                      lu ? "LU" : "QR", e);
        assert_true(e < 100.0);
        rk_svd_free(&f);
    }
    /* the zero matrix: nothing to refine, all values zero */
    rk_mat_fill(&d, 0.0);
    rk_rsvd_opts o = rk_rsvd_opts_default(K);
    o.precision = RK_RSVD_PREC_MIXED;
    testmat_check_rsvd_of_zero(&d, &o);
    rk_svd_free(&exact);
    rk_mat_free(&d);
}

/* The early stop in float32: the estimates are the singular values of R in
 * the QR of Aᵀ·Q; it stops before q on a fast-decaying spectrum, and the
 * products are 2·iterations + 2 in float32 (the last one only for the check)
 * plus the double B. */
static void test_mixed_early_stop(void **state)
{
    (void)state;
    rk_mat a = { 0 };
    testmat_signal_plus_noise(&a, 1.0);
    rk_rsvd_opts o = rk_rsvd_opts_default(10);
    o.precision = RK_RSVD_PREC_MIXED;
    o.tol = 1e-6;
    rk_rsvd_stats st;
    check_against_exact(&a, &o, &st);
    print_message("# tol 1e-6 stopped after %d of 7\n", st.power_iters);
    assert_true(st.mixed && !st.refined);
    assert_true(st.power_iters >= 1 && st.power_iters < 7);
    assert_int_equal(st.products_single, 2 * st.power_iters + 2);
    assert_int_equal(st.products, st.products_single + 1);
    /* a tolerance below float32's resolution never settles: all q run */
    o.tol = 1e-300;
    check_against_exact(&a, &o, &st);
    assert_int_equal(st.power_iters, 7);
    assert_int_equal(st.products, 16);
    rk_mat_free(&a);
}

/* The early stop at 1e-6 on the heavy tail (no gap at k: the values settle
 * while the subspace may still move) and on the low-rank-plus-noise matrix,
 * in float32 and in double: within 1% of the optimum. */
static void test_early_stop_heavy_tail(void **state)
{
    (void)state;
    double t[100];
    rk_mat a = { 0 }, b = { 0 };
    testmat_profile(&a, t, 100, 500, 5.0, 0.5, 8);
    testmat_signal_plus_noise(&b, 1.0);
    for (int p = 0; p < 2; p++) {
        rk_rsvd_opts o = rk_rsvd_opts_default(10);
        o.tol = 1e-6;
        o.precision = p ? RK_RSVD_PREC_DOUBLE : RK_RSVD_PREC_MIXED;
        rk_rsvd_stats st;
        check_against_exact(&a, &o, &st);
        print_message("# heavy tail, tol 1e-6: stopped after %d of 4\n", st.power_iters);
        check_against_exact(&b, &o, &st);
        print_message("# low rank + noise, tol 1e-6: stopped after %d of 7\n", st.power_iters);
        assert_true(st.power_iters < 7);
    }
    rk_mat_free(&a);
    rk_mat_free(&b);
}

/* U and V orthonormal to double precision from a float32 sketch, on tall,
 * wide and square Gaussian inputs (flat spectra: the hardest for the sketch),
 * with l clamped to min(m, n) in the last. Same seed: bit-identical. */
static void test_mixed_orthonormal_and_deterministic(void **state)
{
    (void)state;
    const size_t shapes[][3] = { { 400, 90, 5 }, { 90, 400, 12 }, { 120, 120, 110 } };
    for (size_t t = 0; t < 3; t++) {
        size_t m = shapes[t][0], n = shapes[t][1], k = shapes[t][2];
        rk_rng rng;
        rk_rng_seed(&rng, 60 + t);
        rk_mat a = { 0 }, v = { 0 };
        assert_status(rk_mat_create(&a, m, n), RK_OK);
        rk_mat_fill_normal(&a, &rng);
        rk_rsvd_opts o = rk_rsvd_opts_default(k);
        o.precision = RK_RSVD_PREC_MIXED;
        rk_svd f = { 0 }, g = { 0 };
        rk_rsvd_stats st;
        assert_status(rk_rsvd_with_stats(&f, &a, &o, &st), RK_OK);
        assert_status(rk_rsvd(&g, &a, &o), RK_OK);
        assert_status(rk_mat_transpose(&v, &f.vt), RK_OK);
        double ru = testmat_orth_residual(&f.u) / ((double)k * RK_EPS);
        double rv = testmat_orth_residual(&v) / ((double)k * RK_EPS);
        print_message("# %zux%zu k=%zu l=%zu: U ratio %.3g, V ratio %.3g\n", m, n, k, st.columns, ru,
                      rv);
        assert_true(ru < 50.0 && rv < 50.0);
        assert_memory_equal(f.s, g.s, k * sizeof(double));
        assert_mat_near(&f.u, &g.u, 0.0);
        assert_mat_near(&f.vt, &g.vt, 0.0);
        rk_svd_free(&f);
        rk_svd_free(&g);
        rk_mat_free(&v);
        rk_mat_free(&a);
    }
}

/* The sketch width: k + p rounded up to opts.align when that adds at most a
 * quarter more columns, clamped to min(m, n), without overflow; align 0 or
 * 1 leaves it as is. */
static void test_sketch_width(void **state)
{
    (void)state;
    rk_mat a = { 0 };
    assert_status(rk_mat_create(&a, 100, 60), RK_OK);
    rk_mat_set_identity(&a);
    const struct {
        size_t k, p, align, want;
    } cases[] = { { 8, 10, 16, 18 },  { 32, 10, 16, 48 }, { 16, 10, 16, 32 }, { 8, 10, 0, 18 },
                  { 8, 10, 1, 18 },   { 8, 8, 16, 16 },   { 45, 10, 16, 60 }, { 30, 10, 8, 40 },
                  { 30, 11, 8, 48 },  { 8, 10, SIZE_MAX, 18 }, { 8, SIZE_MAX, 16, 60 },
                  { 1, 0, 16, 1 } };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        rk_rsvd_opts o = rk_rsvd_opts_default(cases[t].k);
        o.oversample = cases[t].p;
        o.align = cases[t].align;
        o.power_iters = 1;
        rk_rsvd_stats st;
        rk_svd f = { 0 };
        assert_status(rk_rsvd_with_stats(&f, &a, &o, &st), RK_OK);
        assert_int_equal(st.columns, cases[t].want);
        rk_svd_free(&f);
    }
    rk_mat_free(&a);
}

/* NaN and Inf are refused before any work, in every precision; bad enum values are EINVAL. */
static void test_mixed_argument_checks(void **state)
{
    (void)state;
    rk_mat a = { 0 };
    testmat_signal_plus_noise(&a, 1.0);
    rk_svd f = { 0 };
    rk_rsvd_stats st = { 1, 1, 1, 1, true, true };
    const rk_rsvd_precision precs[] = { RK_RSVD_PREC_AUTO, RK_RSVD_PREC_DOUBLE, RK_RSVD_PREC_MIXED };
    const double bad[] = { NAN, INFINITY, -INFINITY };
    for (int p = 0; p < 3; p++)
        for (int b = 0; b < 3; b++) {
            rk_rsvd_opts o = rk_rsvd_opts_default(5);
            o.precision = precs[p];
            double keep = RK_AT(&a, 299, 199);
            RK_AT(&a, 299, 199) = bad[b];
            assert_status(rk_rsvd_with_stats(&f, &a, &o, &st), RK_ENONFINITE);
            RK_AT(&a, 299, 199) = keep;
            assert_null(f.s);
            assert_null(f.u.data);
            assert_int_equal(st.products, 0);
            assert_false(st.mixed);
        }
    rk_rsvd_opts o = rk_rsvd_opts_default(5);
    o.precision = (rk_rsvd_precision)3;
    assert_status(rk_rsvd(&f, &a, &o), RK_EINVAL);
    o.precision = RK_RSVD_PREC_MIXED;
    o.normalizer = (rk_rsvd_normalizer)3;
    assert_status(rk_rsvd(&f, &a, &o), RK_EINVAL);
    rk_mat_free(&a);

    /* AUTO: float32 from 512² entries on, double below */
    assert_status(rk_mat_create(&a, 512, 512), RK_OK);
    rk_mat_set_identity(&a);
    o = rk_rsvd_opts_default(2);
    o.power_iters = 0;
    assert_status(rk_rsvd_with_stats(&f, &a, &o, &st), RK_OK);
    assert_true(st.mixed);
    rk_svd_free(&f);
    rk_mat small = rk_mat_view(&a, 0, 0, 511, 512);
    assert_status(rk_rsvd_with_stats(&f, &small, &o, &st), RK_OK);
    assert_false(st.mixed);
    rk_svd_free(&f);
    rk_mat_free(&a);
}

/* Every allocation of the new paths fails in turn: RK_ENOMEM, nothing
 * leaked (the ASan build checks), the output left empty. */
static void test_mixed_allocation_failures(void **state)
{
    (void)state;
    rk_mat a = { 0 }, d = { 0 };
    testmat_signal_plus_noise(&a, 1.0);
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    testmat_rank_product(&d, 40, 2, 30, &rng); /* rank 2: the guard refines */
    struct {
        const rk_mat *m;
        rk_rsvd_precision prec;
        rk_rsvd_normalizer norm;
        double tol;
    } cases[] = { { &a, RK_RSVD_PREC_MIXED, RK_RSVD_NORM_AUTO, 0.0 },
                  { &a, RK_RSVD_PREC_MIXED, RK_RSVD_NORM_LU, 0.0 },
                  { &a, RK_RSVD_PREC_MIXED, RK_RSVD_NORM_QR, 1e-300 },
                  { &a, RK_RSVD_PREC_DOUBLE, RK_RSVD_NORM_LU, 0.0 },
                  { &d, RK_RSVD_PREC_MIXED, RK_RSVD_NORM_LU, 0.0 },
                  { &d, RK_RSVD_PREC_MIXED, RK_RSVD_NORM_QR, 1e-6 } };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        rk_rsvd_opts o = rk_rsvd_opts_default(4);
        o.power_iters = 2;
        o.precision = cases[t].prec;
        o.normalizer = cases[t].norm;
        o.tol = cases[t].tol;
        rk_svd f = { 0 };
        rk_rsvd_stats st;
        int failures = 0;
        for (long n = 1;; n++) {
            rk_test_fail_alloc_after(n);
            rk_status s = rk_rsvd_with_stats(&f, cases[t].m, &o, &st);
            rk_test_fail_alloc_after(0);
            if (s == RK_OK)
                break;
            assert_status(s, RK_ENOMEM);
            assert_null(f.s);
            assert_null(f.u.data);
            assert_null(f.vt.data);
            assert_int_equal(st.products, 0);
            failures++;
        }
        print_message("# case %zu (%s%s): %d allocation failure points\n", t,
                      st.mixed ? "mixed" : "double", st.refined ? ", refined" : "", failures);
        assert_true(failures >= 10);
        assert_true(st.refined == (cases[t].m == &d));
        rk_svd_free(&f);
    }
    rk_mat_free(&a);
    rk_mat_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mixed_near_optimal),
        cmocka_unit_test(test_mixed_scaling),
        cmocka_unit_test(test_paths_match_exact_low_rank),
        cmocka_unit_test(test_mixed_guard_refines_low_rank),
        cmocka_unit_test(test_mixed_early_stop),
        cmocka_unit_test(test_early_stop_heavy_tail),
        cmocka_unit_test(test_mixed_orthonormal_and_deterministic),
        cmocka_unit_test(test_sketch_width),
        cmocka_unit_test(test_mixed_argument_checks),
        cmocka_unit_test(test_mixed_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
