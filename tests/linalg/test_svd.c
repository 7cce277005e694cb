/*
 * test_svd.c — rk_svd_decomp() checked the way LAPACK's ddrvbd checks its
 * SVD drivers: residual and orthogonality ratios below 50 on zero, identity,
 * Gaussian and U·D·V matrices of known spectrum, at unit scale and scaled
 * towards overflow and underflow, for every shape from 0×0 to 200×150, in
 * thin, full and values-only modes, through gesdd and the gesvd fallback.
 * Then the contract: input untouched, NaN/Inf refused, allocation failures.
 */
#include "testutil.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linalg/svd_internal.h"
#include "linalg_check.h"

enum mat_type { T_ZERO, T_IDENTITY, T_GAUSSIAN, T_EVENLY, T_GEOMETRIC, T_CLUSTERED, T_COUNT };
static const char *const type_names[T_COUNT] = {
    "zero", "identity", "gaussian", "evenly 1..1/k", "geometric 1..eps", "clustered 1,eps..eps",
};

/* LAPACK's thresholds: unfl = safe minimum, ovfl = 1/unfl, ulp = precision. */
#define UNFL DBL_MIN
#define OVFL (1.0 / DBL_MIN)
#define ULP RK_EPS
enum { N_SCALES = 5 };
static const char *const scale_names[N_SCALES] = {
    "1", "sqrt(ovfl)", "sqrt(unfl)", "ovfl*ulp", "unfl/ulp",
};
static double scale_value(int i)
{
    /* √ovfl, √unfl as in dchkbd; ovfl·ulp and unfl/ulp as in ddrvbd. */
    const double v[N_SCALES] = { 1.0, sqrt(OVFL), sqrt(UNFL), OVFL * ULP, UNFL / ULP };
    return v[i];
}

/* The largest ratio seen per family, printed at the end as TAP comments. */
static double max_resid, max_orth_u, max_orth_v, max_values, max_known;
static int n_decompositions;

/* Build the test matrix; d receives its singular values when they are known
 * (returns false for the Gaussian type). */
static bool make_case(rk_mat *a, double *d, enum mat_type t, size_t m, size_t n, double scale,
                      rk_rng *rng)
{
    size_t k = m < n ? m : n;
    for (size_t i = 0; i < k; i++) {
        double x = 0.0;
        if (t == T_IDENTITY)
            x = 1.0;
        else if (t == T_EVENLY) /* 1 − i/(k−1)·(1 − 1/k): from 1 down to 1/k */
            x = k == 1 ? 1.0 : 1.0 - (double)i / (double)(k - 1) * (1.0 - 1.0 / (double)k);
        else if (t == T_GEOMETRIC) /* ε^(i/(k−1)) */
            x = k == 1 ? 1.0 : pow(RK_EPS, (double)i / (double)(k - 1));
        else if (t == T_CLUSTERED)
            x = i == 0 ? 1.0 : RK_EPS;
        d[i] = x * scale;
    }
    if (t == T_ZERO || t == T_IDENTITY) {
        assert_int_equal(rk_mat_create(a, m, n), RK_OK);
        if (t == T_IDENTITY)
            for (size_t i = 0; i < k; i++)
                RK_AT(a, i, i) = scale;
        return true;
    }
    if (t == T_GAUSSIAN) {
        assert_int_equal(rk_mat_create(a, m, n), RK_OK);
        rk_mat_fill_normal(a, rng);
        rk_mat_scale(a, scale);
        return false;
    }
    check_make_udv(a, m, n, d, rng);
    return true;
}

/* Decompose a in one mode and path; check every ratio. Returns the number
 * of failed checks, each reported with the case name. */
static int check_one(const rk_mat *a, const double *d, const double *thin_s, const char *name,
                     rk_svd_mode mode, rk_svd_path path, rk_svd *keep)
{
    static const char *const mode_names[] = { "thin", "full", "values" };
    const char *path_name = path == RK_SVD_PATH_FALLBACK ? "gesvd fallback" : "gesdd";
    rk_svd svd;
    rk_status st = rk_svd_decomp_path(&svd, a, mode, path);
    if (st != RK_OK) {
        print_error("case %s, %s, %s: status %s\n", name, mode_names[mode], path_name,
                    rk_strerror(st));
        return 1;
    }
    n_decompositions++;
    int fails = 0;
    double r[5] = { 0, 0, 0, 0, 0 };
    const char *what[5] = { "|A-USV'|/(|A|max(m,n)eps)", "|I-U'U|/(m eps)", "|I-V'V|/(n eps)",
                            "|S-S_thin|/(k eps s1)", "|S-D|/(d1 max(m,n) eps)" };
    assert_int_equal(svd.k, a->rows < a->cols ? a->rows : a->cols);
    if (mode != RK_SVD_VALUES) {
        size_t ucols = mode == RK_SVD_FULL ? a->rows : svd.k;
        size_t vtrows = mode == RK_SVD_FULL ? a->cols : svd.k;
        if (svd.u.rows != a->rows || svd.u.cols != ucols || svd.vt.rows != vtrows ||
            svd.vt.cols != a->cols) {
            print_error("case %s, %s: U is %zux%zu, Vt %zux%zu\n", name, mode_names[mode],
                        svd.u.rows, svd.u.cols, svd.vt.rows, svd.vt.cols);
            fails++;
        }
        r[0] = check_resid_ratio(a, &svd);
        r[1] = check_orth_cols(&svd.u);
        r[2] = check_orth_rows(&svd.vt);
        max_resid = rk_test_worst(max_resid, r[0]);
        max_orth_u = rk_test_worst(max_orth_u, r[1]);
        max_orth_v = rk_test_worst(max_orth_v, r[2]);
    } else if (svd.u.data || svd.vt.data) {
        print_error("case %s: values-only mode returned vectors\n", name);
        fails++;
    }
    if (thin_s) {
        r[3] = check_values_ratio(svd.s, thin_s, svd.k);
        max_values = rk_test_worst(max_values, r[3]);
    }
    if (d) {
        r[4] = check_known_ratio(svd.s, d, svd.k, a->rows, a->cols);
        max_known = rk_test_worst(max_known, r[4]);
    }
    for (int i = 0; i < 5; i++)
        if (!(r[i] < CHECK_THRESH)) {
            print_error("case %s, %s, %s: %s = %.3g >= %.0f\n", name, mode_names[mode], path_name,
                        what[i], r[i], CHECK_THRESH);
            fails++;
        }
    if (!check_sorted_nonneg(svd.s, svd.k)) {
        print_error("case %s, %s, %s: S not sorted non-negative\n", name, mode_names[mode],
                    path_name);
        fails++;
    }
    if (svd.used_gesvd != (path == RK_SVD_PATH_FALLBACK && svd.k > 0)) {
        print_error("case %s: used_gesvd = %d\n", name, svd.used_gesvd);
        fails++;
    }
    if (keep)
        *keep = svd;
    else
        rk_svd_free(&svd);
    return fails;
}

static void run_shape(size_t m, size_t n)
{
    size_t k = m < n ? m : n;
    double *d = calloc(k + 1, sizeof *d);
    assert_non_null(d);
    int fails = 0, cases = 0;
    for (int t = 0; t < T_COUNT; t++)
        for (int sc = 0; sc < N_SCALES; sc++) {
            char name[128];
            snprintf(name, sizeof name, "%zux%zu %s x %s", m, n, type_names[t], scale_names[sc]);
            rk_rng rng;
            rk_rng_seed(&rng, 1000u + 100u * (unsigned)t + (unsigned)sc + 7919u * m + n);
            rk_mat a;
            bool known = make_case(&a, d, (enum mat_type)t, m, n, scale_value(sc), &rng);
            const double *dk = known ? d : NULL;
            rk_svd thin;
            fails += check_one(&a, dk, NULL, name, RK_SVD_THIN, RK_SVD_PATH_AUTO, &thin);
            for (int p = 0; p < 2; p++) {
                rk_svd_path path = p ? RK_SVD_PATH_FALLBACK : RK_SVD_PATH_AUTO;
                if (p)
                    fails += check_one(&a, dk, thin.s, name, RK_SVD_THIN, path, NULL);
                fails += check_one(&a, dk, thin.s, name, RK_SVD_FULL, path, NULL);
                fails += check_one(&a, dk, thin.s, name, RK_SVD_VALUES, path, NULL);
            }
            rk_svd_free(&thin);
            rk_mat_free(&a);
            cases++;
        }
    free(d);
    if (fails)
        fail_msg("%d checks failed in %d cases of shape %zux%zu", fails, cases, m, n);
}

#define SHAPE_TEST(M, N) \
    static void test_ratios_##M##x##N(void **state) { (void)state; run_shape(M, N); }
SHAPE_TEST(0, 0)
SHAPE_TEST(0, 3)
SHAPE_TEST(3, 0)
SHAPE_TEST(1, 1)
SHAPE_TEST(1, 7)
SHAPE_TEST(7, 1)
SHAPE_TEST(30, 10)
SHAPE_TEST(10, 30)
SHAPE_TEST(200, 150)

static int print_maxima(void **state)
{
    (void)state;
    printf("# %d decompositions; max ratios (threshold %.0f): residual %.3g, "
           "orth U %.3g, orth V %.3g, values vs thin %.3g, vs known spectrum %.3g\n",
           n_decompositions, CHECK_THRESH, max_resid, max_orth_u, max_orth_v, max_values,
           max_known);
    return 0;
}

static void test_empty_factors(void **state)
{
    (void)state;
    rk_mat a;
    rk_svd svd;
    assert_status(rk_mat_create(&a, 0, 3), RK_OK);
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_FULL), RK_OK);
    assert_int_equal(svd.k, 0);
    assert_null(svd.s);
    assert_int_equal(svd.u.rows, 0);
    assert_int_equal(svd.vt.rows, 3);
    assert_int_equal(svd.vt.cols, 3);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < 3; j++)
            assert_true(RK_AT(&svd.vt, i, j) == (i == j ? 1.0 : 0.0));
    rk_svd_free(&svd);
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_THIN), RK_OK);
    assert_int_equal(svd.u.rows, 0);
    assert_int_equal(svd.vt.rows, 0);
    assert_int_equal(svd.vt.cols, 3);
    rk_svd_free(&svd);
    rk_mat_free(&a);

    assert_status(rk_mat_create(&a, 3, 0), RK_OK);
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_FULL), RK_OK);
    assert_int_equal(svd.u.rows, 3);
    assert_int_equal(svd.u.cols, 3);
    assert_true(RK_AT(&svd.u, 2, 2) == 1.0 && RK_AT(&svd.u, 2, 1) == 0.0);
    assert_int_equal(svd.vt.rows, 0);
    rk_svd_free(&svd);
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_THIN), RK_OK);
    assert_int_equal(svd.u.rows, 3);
    assert_int_equal(svd.u.cols, 0);
    rk_svd_free(&svd);
    rk_mat_free(&a);
    rk_svd_free(NULL);
}

/* A 5×4 view into a 6×7 matrix: the SVD must read through the stride and
 * leave every byte of the parent (view and padding) as it was. */
static void test_input_not_destroyed(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 11);
    rk_mat parent, before;
    assert_status(rk_mat_create(&parent, 6, 7), RK_OK);
    rk_mat_fill_normal(&parent, &rng);
    assert_status(rk_mat_dup(&before, &parent), RK_OK);
    rk_mat a = rk_mat_view(&parent, 1, 2, 5, 4);
    for (int mode = RK_SVD_THIN; mode <= RK_SVD_VALUES; mode++)
        for (int p = 0; p < 2; p++) {
            rk_svd svd;
            assert_status(rk_svd_decomp_path(&svd, &a, (rk_svd_mode)mode,
                                             p ? RK_SVD_PATH_FALLBACK : RK_SVD_PATH_AUTO),
                          RK_OK);
            assert_memory_equal(parent.data, before.data, 6 * 7 * sizeof(double));
            if (mode != RK_SVD_VALUES)
                assert_true(check_resid_ratio(&a, &svd) < CHECK_THRESH);
            rk_svd_free(&svd);
        }
    rk_mat_free(&parent);
    rk_mat_free(&before);
}

static void test_nonfinite_refused(void **state)
{
    (void)state;
    const double bad[] = { NAN, INFINITY, -INFINITY };
    rk_mat a;
    assert_status(rk_mat_create(&a, 4, 3), RK_OK);
    for (int i = 0; i < 3; i++)
        for (int mode = RK_SVD_THIN; mode <= RK_SVD_VALUES; mode++) {
            rk_mat_fill(&a, 1.0);
            RK_AT(&a, 3, i) = bad[i];
            rk_svd svd;
            svd.s = (double *)&a; /* garbage the call must clear */
            assert_status(rk_svd_decomp(&svd, &a, (rk_svd_mode)mode), RK_ENONFINITE);
            assert_null(svd.s);
            assert_null(svd.u.data);
            assert_null(svd.vt.data);
            assert_true(isnan(RK_AT(&a, 3, i)) == isnan(bad[i]));
        }
    rk_mat_free(&a);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    double x = 1.0;
    rk_mat a = rk_mat_wrap(&x, 1, 1);
    rk_svd svd;
    assert_status(rk_svd_decomp(NULL, &a, RK_SVD_THIN), RK_EINVAL);
    assert_status(rk_svd_decomp(&svd, NULL, RK_SVD_THIN), RK_EINVAL);
    assert_status(rk_svd_decomp(&svd, &a, (rk_svd_mode)7), RK_EINVAL);
    /* Dimensions beyond LAPACK's int are refused before any element is read. */
    rk_mat huge = { (size_t)INT_MAX + 1, 1, 1, &x, 0 };
    assert_status(rk_svd_decomp(&svd, &huge, RK_SVD_VALUES), RK_EOVERFLOW);
    huge = (rk_mat){ 2, (size_t)INT_MAX + 1, (size_t)INT_MAX + 1, &x, 0 };
    assert_status(rk_svd_decomp(&svd, &huge, RK_SVD_THIN), RK_EOVERFLOW);
    rk_mat bad_stride = { 2, 3, 2, &x, 0 };
    assert_status(rk_svd_decomp(&svd, &bad_stride, RK_SVD_THIN), RK_EINVAL);
    assert_null(svd.s);
}

/* Count the allocations N of one decomposition, then fail each of them in
 * turn: every one must give RK_ENOMEM with nothing left allocated. */
static void alloc_failure_case(size_t m, size_t n, rk_svd_mode mode, rk_svd_path path)
{
    rk_rng rng;
    rk_rng_seed(&rng, 5);
    rk_mat a;
    assert_status(rk_mat_create(&a, m, n), RK_OK);
    rk_mat_fill_normal(&a, &rng);
    rk_svd svd;
    check_alloc_begin(0);
    rk_status first = rk_svd_decomp_path(&svd, &a, mode, path);
    long total = check_alloc_calls();
    rk_svd_free(&svd);
    long live = check_alloc_live();
    check_alloc_end();
    assert_status(first, RK_OK);
    assert_int_equal(live, 0);
    assert_true(total >= 1 || (m == 0 || n == 0));
    for (long i = 1; i <= total; i++) {
        check_alloc_begin(i);
        rk_status st = rk_svd_decomp_path(&svd, &a, mode, path);
        long live = check_alloc_live();
        check_alloc_end();
        if (st != RK_ENOMEM || live != 0 || svd.s || svd.u.data || svd.vt.data)
            fail_msg("%zux%zu mode %d path %d, allocation %ld of %ld failed: status %s, "
                     "%ld blocks leaked", m, n, (int)mode, (int)path, i, total, rk_strerror(st),
                     live);
    }
    check_alloc_begin(total + 1);
    rk_status st = rk_svd_decomp_path(&svd, &a, mode, path);
    check_alloc_end();
    assert_status(st, RK_OK);
    assert_true(mode == RK_SVD_VALUES || check_resid_ratio(&a, &svd) < CHECK_THRESH);
    rk_svd_free(&svd);
    rk_mat_free(&a);
}

static void test_alloc_failure(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 9, 4 }, { 4, 9 }, { 0, 3 }, { 3, 0 } };
    for (size_t s = 0; s < 4; s++)
        for (int mode = RK_SVD_THIN; mode <= RK_SVD_VALUES; mode++)
            for (int p = 0; p < 2; p++)
                alloc_failure_case(shapes[s][0], shapes[s][1], (rk_svd_mode)mode,
                                   p ? RK_SVD_PATH_FALLBACK : RK_SVD_PATH_AUTO);
}

/* The same injection through rk_test_fail_alloc_after() from tests/testutil.h. */
static void test_alloc_failure_testutil(void **state)
{
    (void)state;
    rk_mat a;
    assert_status(rk_mat_create(&a, 6, 5), RK_OK);
    rk_mat_set_identity(&a);
    rk_svd svd;
    rk_test_fail_alloc_after(1);
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_FULL), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_FULL), RK_OK);
    rk_svd_free(&svd);
    rk_mat_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ratios_0x0),
        cmocka_unit_test(test_ratios_0x3),
        cmocka_unit_test(test_ratios_3x0),
        cmocka_unit_test(test_ratios_1x1),
        cmocka_unit_test(test_ratios_1x7),
        cmocka_unit_test(test_ratios_7x1),
        cmocka_unit_test(test_ratios_30x10),
        cmocka_unit_test(test_ratios_10x30),
        cmocka_unit_test(test_ratios_200x150),
        cmocka_unit_test(test_empty_factors),
        cmocka_unit_test(test_input_not_destroyed),
        cmocka_unit_test(test_nonfinite_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_alloc_failure),
        cmocka_unit_test(test_alloc_failure_testutil),
    };
    return cmocka_run_group_tests(tests, NULL, print_maxima);
}
