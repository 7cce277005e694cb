/*
 * test_lowrank.c — Eckart–Young checked by forming A − A_r: its Frobenius
 * norm equals √(Σ_{i>r} σ_i²) and its largest singular value equals σ_{r+1};
 * both factor splits reproduce A_r; the tutorial's W = B·A; the errors.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>

#include "linalg_check.h"

static double max_fro_rel, max_spec_ratio, max_split_ratio;

/* ‖X − Y‖₁ / (‖A‖₁ · max(m, n) · ε), 0 when both are zero. */
static double diff_ratio(const rk_mat *x, const rk_mat *y, const rk_mat *a)
{
    rk_mat d;
    assert_status(rk_mat_dup(&d, x), RK_OK);
    assert_status(rk_mat_axpy(&d, -1.0, y), RK_OK);
    double num = rk_mat_norm_1(&d), den = rk_mat_norm_1(a);
    size_t mx = a->rows > a->cols ? a->rows : a->cols;
    rk_mat_free(&d);
    if (num == 0.0)
        return 0.0;
    return num / (den * (double)mx * RK_EPS);
}

/* Check A_r and its factors for one r; name says which case failed. */
static void check_rank_r(const rk_mat *a, const rk_svd *svd, size_t r, const char *name)
{
    size_t m = a->rows, n = a->cols, k = svd->k, mx = m > n ? m : n;
    rk_mat ar, diff;
    assert_status(rk_lowrank_approx(&ar, svd, r), RK_OK);
    assert_int_equal(ar.rows, m);
    assert_int_equal(ar.cols, n);
    assert_status(rk_mat_dup(&diff, a), RK_OK);
    assert_status(rk_mat_axpy(&diff, -1.0, &ar), RK_OK); /* A − A_r, formed */

    double fro_formed = rk_mat_norm_fro(&diff), tail = rk_spectrum_tail_fro(svd->s, k, r);
    double fro_err, spec_err;
    assert_status(rk_lowrank_errors(svd, r, &fro_err, &spec_err), RK_OK);
    // the errors from the spectrum, summed here: √Σ_{i>r} σ_i² and σ_{r+1}
    double sum = 0.0;
    for (size_t i = r; i < k; i++)
        sum += svd->s[i] * svd->s[i];
    assert_true(fabs(fro_err - sqrt(sum)) <= 4 * (double)k * RK_EPS * sqrt(sum));
    assert_true(spec_err == (r < k ? svd->s[r] : 0.0));

    rk_svd dsv;
    assert_status(rk_svd_decomp(&dsv, &diff, RK_SVD_VALUES), RK_OK);
    double spec_formed = dsv.k ? dsv.s[0] : 0.0;
    rk_svd_free(&dsv);
    double s1 = k ? svd->s[0] : 0.0;
    double spec_ratio = s1 > 0 ? fabs(spec_formed - spec_err) / (s1 * (double)mx * RK_EPS) : 0;
    max_spec_ratio = rk_test_worst(max_spec_ratio, spec_ratio);
    if (!(spec_ratio < CHECK_THRESH))
        fail_msg("%s, r = %zu: ||A - A_r||_2 = %.17g, sigma_{r+1} = %.17g (ratio %.3g)", name, r,
                 spec_formed, spec_err, spec_ratio);
    if (tail > 0.0) {
        double rel = fabs(fro_formed - tail) / tail;
        max_fro_rel = rk_test_worst(max_fro_rel, rel);
        if (!(rel <= 1e-12))
            fail_msg("%s, r = %zu: ||A - A_r||_F = %.17g, spectrum gives %.17g (rel %.3g)", name,
                     r, fro_formed, tail, rel);
    } else {
        /* r = k: A_k = A up to rounding. */
        double ratio = fro_formed / (rk_mat_norm_fro(a) * (double)mx * RK_EPS);
        if (fro_formed > 0 && !(ratio < CHECK_THRESH))
            fail_msg("%s, r = k = %zu: ||A - A_k||_F ratio %.3g", name, r, ratio);
    }
    if (r == 0)
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                assert_true(RK_AT(&ar, i, j) == 0.0);

    for (int split = RK_SPLIT_US; split <= RK_SPLIT_BALANCED; split++) {
        rk_mat b, fa, ba;
        assert_status(rk_lowrank_factors(&b, &fa, svd, r, (rk_split)split), RK_OK);
        assert_true(b.rows == m && b.cols == r && fa.rows == r && fa.cols == n);
        assert_status(rk_mat_mul(&ba, &b, &fa), RK_OK);
        double ratio = diff_ratio(&ba, &ar, a);
        max_split_ratio = rk_test_worst(max_split_ratio, ratio);
        if (!(ratio < CHECK_THRESH))
            fail_msg("%s, r = %zu, split %d: ||B A - A_r||_1 ratio %.3g", name, r, split, ratio);
        for (size_t j = 0; j < r; j++) {
            rk_mat bj = rk_mat_view_cols(&b, j, 1), aj = rk_mat_view_rows(&fa, j, 1);
            double want_b = split == RK_SPLIT_US ? svd->s[j] : sqrt(svd->s[j]);
            double want_a = split == RK_SPLIT_US ? 1.0 : sqrt(svd->s[j]);
            assert_rel_near(rk_mat_norm_fro(&bj), want_b, 1e-13);
            assert_rel_near(rk_mat_norm_fro(&aj), want_a, 1e-13);
        }
        if (split == RK_SPLIT_US) /* A = V_rᵀ has orthonormal rows */
            assert_true(check_orth_rows(&fa) < CHECK_THRESH);
        rk_mat_free(&b);
        rk_mat_free(&fa);
        rk_mat_free(&ba);
    }
    rk_mat_free(&ar);
    rk_mat_free(&diff);
}

static void test_eckart_young(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 30, 10 }, { 10, 30 }, { 25, 25 }, { 1, 7 }, { 7, 1 }, { 60, 45 } };
    for (int c = 0; c < 6; c++)
        for (int kind = 0; kind < 2; kind++)
            for (int mode = RK_SVD_THIN; mode <= RK_SVD_FULL; mode++) {
                size_t m = shapes[c][0], n = shapes[c][1], k = m < n ? m : n;
                rk_rng rng;
                rk_rng_seed(&rng, 31u * (unsigned)c + (unsigned)kind);
                rk_mat a;
                if (kind == 0) { /* Gaussian */
                    assert_status(rk_mat_create(&a, m, n), RK_OK);
                    rk_mat_fill_normal(&a, &rng);
                } else { /* U·D·V, D evenly spaced 1 … 1/k */
                    double d[64];
                    for (size_t i = 0; i < k; i++)
                        d[i] = k == 1 ? 1.0 : 1.0 - (double)i / (double)(k - 1) * (1.0 - 1.0 / (double)k);
                    check_make_udv(&a, m, n, d, &rng);
                }
                char name[96];
                snprintf(name, sizeof name, "%zux%zu %s, %s svd", m, n,
                         kind ? "U*D*V'" : "gaussian", mode == RK_SVD_FULL ? "full" : "thin");
                rk_svd svd;
                assert_status(rk_svd_decomp(&svd, &a, (rk_svd_mode)mode), RK_OK);
                const size_t rs[] = { 0, 1, k / 2, k > 0 ? k - 1 : 0, k };
                for (int i = 0; i < 5; i++)
                    check_rank_r(&a, &svd, rs[i], name);
                /* A_r has rank r by the default tolerance. */
                rk_mat ar;
                size_t r = k / 2, got;
                assert_status(rk_lowrank_approx(&ar, &svd, r), RK_OK);
                assert_status(rk_rank(&ar, NULL, &got, NULL), RK_OK);
                assert_int_equal(got, r);
                rk_mat_free(&ar);
                rk_svd_free(&svd);
                rk_mat_free(&a);
            }
}

/* The SVD-and-rank notebook: W = randn(10,2)·randn(2,10); U, S, V full;
 * B = U_r·S_r (10×2), A = V_rᵀ (2×10); W·x + bias = (B·A)·x + bias. */
static void test_tutorial_split(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 2);
    rk_mat b0, a0, w, x, bias;
    assert_status(rk_mat_create(&b0, 10, 2), RK_OK);
    assert_status(rk_mat_create(&a0, 2, 10), RK_OK);
    rk_mat_fill_normal(&b0, &rng);
    rk_mat_fill_normal(&a0, &rng);
    assert_status(rk_mat_mul(&w, &b0, &a0), RK_OK);
    size_t r;
    assert_status(rk_rank(&w, NULL, &r, NULL), RK_OK);
    assert_int_equal(r, 2);
    rk_svd svd;
    assert_status(rk_svd_decomp(&svd, &w, RK_SVD_FULL), RK_OK);
    assert_true(svd.u.rows == 10 && svd.u.cols == 10 && svd.vt.rows == 10 && svd.k == 10);
    rk_mat b, a, ba;
    assert_status(rk_lowrank_factors(&b, &a, &svd, r, RK_SPLIT_US), RK_OK);
    assert_true(b.rows == 10 && b.cols == 2 && a.rows == 2 && a.cols == 10);
    assert_int_equal(rk_lowrank_param_count(10, 10, r), 40);
    assert_status(rk_mat_mul(&ba, &b, &a), RK_OK);
    assert_true(diff_ratio(&ba, &w, &w) < CHECK_THRESH);

    assert_status(rk_mat_create(&x, 10, 1), RK_OK);
    assert_status(rk_mat_create(&bias, 10, 1), RK_OK);
    rk_mat_fill_normal(&x, &rng);
    rk_mat_fill_normal(&bias, &rng);
    rk_mat y, y2;
    assert_status(rk_mat_mul(&y, &w, &x), RK_OK);
    assert_status(rk_mat_mul(&y2, &ba, &x), RK_OK);
    assert_status(rk_mat_axpy(&y, 1.0, &bias), RK_OK);
    assert_status(rk_mat_axpy(&y2, 1.0, &bias), RK_OK);
    /* |y − y'| ≤ ‖W − BA‖₂·‖x‖ plus rounding: a few ε·‖W‖·‖x‖·n. */
    double bound = 50 * 10 * RK_EPS * rk_mat_norm_fro(&w) * rk_mat_norm_fro(&x);
    assert_true(rk_mat_max_abs_diff(&y, &y2) <= bound);
    rk_mat *all[] = { &b0, &a0, &w, &x, &bias, &b, &a, &ba, &y, &y2 };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        rk_mat_free(all[i]);
    rk_svd_free(&svd);
}

static void test_errors_and_ranges(void **state)
{
    (void)state;
    rk_mat a, ar, b, fa;
    assert_status(rk_mat_create(&a, 5, 3), RK_OK);
    rk_mat_set_identity(&a);
    rk_svd thin, values;
    assert_status(rk_svd_decomp(&thin, &a, RK_SVD_THIN), RK_OK);
    assert_status(rk_svd_decomp(&values, &a, RK_SVD_VALUES), RK_OK);
    assert_status(rk_lowrank_approx(&ar, &thin, 4), RK_ERANGE);
    assert_null(ar.data);
    assert_status(rk_lowrank_factors(&b, &fa, &thin, 4, RK_SPLIT_US), RK_ERANGE);
    assert_status(rk_lowrank_errors(&thin, 4, NULL, NULL), RK_ERANGE);
    assert_status(rk_lowrank_approx(&ar, &values, 1), RK_EINVAL);
    assert_status(rk_lowrank_factors(&b, &fa, &values, 1, RK_SPLIT_BALANCED), RK_EINVAL);
    assert_status(rk_lowrank_factors(&b, &fa, &thin, 1, (rk_split)5), RK_EINVAL);
    assert_status(rk_lowrank_approx(NULL, &thin, 1), RK_EINVAL);
    assert_status(rk_lowrank_approx(&ar, NULL, 1), RK_EINVAL);
    assert_status(rk_lowrank_factors(NULL, &fa, &thin, 1, RK_SPLIT_US), RK_EINVAL);
    assert_status(rk_lowrank_errors(NULL, 1, NULL, NULL), RK_EINVAL);
    /* The errors need only the spectrum. */
    double fro, spec;
    assert_status(rk_lowrank_errors(&values, 1, &fro, &spec), RK_OK);
    assert_true(fro == sqrt(2.0) && spec == 1.0);
    assert_status(rk_lowrank_errors(&values, 3, &fro, &spec), RK_OK);
    assert_true(fro == 0.0 && spec == 0.0);
    /* r = 0: the zero matrix and empty factors. */
    assert_status(rk_lowrank_factors(&b, &fa, &thin, 0, RK_SPLIT_US), RK_OK);
    assert_true(b.rows == 5 && b.cols == 0 && fa.rows == 0 && fa.cols == 3);
    rk_mat_free(&b);
    rk_mat_free(&fa);
    rk_svd_free(&thin);
    rk_svd_free(&values);
    rk_mat_free(&a);

    /* Empty matrices: k = 0, only r = 0 is allowed. */
    assert_status(rk_mat_create(&a, 0, 4), RK_OK);
    assert_status(rk_svd_decomp(&thin, &a, RK_SVD_THIN), RK_OK);
    assert_status(rk_lowrank_approx(&ar, &thin, 0), RK_OK);
    assert_true(ar.rows == 0 && ar.cols == 4);
    rk_mat_free(&ar);
    assert_status(rk_lowrank_approx(&ar, &thin, 1), RK_ERANGE);
    rk_svd_free(&thin);
    assert_status(rk_svd_decomp(&values, &a, RK_SVD_VALUES), RK_OK);
    assert_status(rk_lowrank_approx(&ar, &values, 0), RK_EINVAL);
    rk_svd_free(&values);
    rk_mat_free(&a);

    assert_int_equal(rk_lowrank_param_count(784, 1000, 8), 8 * 1784);
    assert_int_equal(rk_lowrank_param_count(SIZE_MAX, 1, 2), SIZE_MAX);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 8);
    rk_mat a;
    assert_status(rk_mat_create(&a, 8, 6), RK_OK);
    rk_mat_fill_normal(&a, &rng);
    rk_svd svd;
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_THIN), RK_OK);
    for (int what = 0; what < 3; what++) {
        for (long i = 1;; i++) {
            rk_mat x = { 0 }, y = { 0 };
            check_alloc_begin(i);
            rk_status st = what == 0 ? rk_lowrank_approx(&x, &svd, 3)
                                     : rk_lowrank_factors(&x, &y, &svd, 3, (rk_split)(what - 1));
            long calls = check_alloc_calls();
            rk_mat_free(&x);
            rk_mat_free(&y);
            long live = check_alloc_live();
            check_alloc_end();
            assert_int_equal(live, 0);
            if (st == RK_OK) {
                assert_int_equal(calls, i - 1); /* succeeded once nothing failed */
                break;
            }
            assert_status(st, RK_ENOMEM);
            assert_null(x.data);
            assert_null(y.data);
        }
    }
    rk_svd_free(&svd);
    rk_mat_free(&a);
}

static int print_maxima(void **state)
{
    (void)state;
    printf("# Eckart-Young max: |‖A-A_r‖_F - tail|/tail %.3g (limit 1e-12), "
           "|‖A-A_r‖_2 - sigma_{r+1}|/(sigma_1 max(m,n) eps) %.3g, ‖BA - A_r‖ ratio %.3g\n",
           max_fro_rel, max_spec_ratio, max_split_ratio);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eckart_young),
        cmocka_unit_test(test_tutorial_split),
        cmocka_unit_test(test_errors_and_ranges),
        cmocka_unit_test(test_alloc_failure),
    };
    return cmocka_run_group_tests(tests, NULL, print_maxima);
}
