/*
 * test_rsvd_f32.c — rk_rsvd_f32 (lib/linalg/rsvd.h): the randomized SVD of a
 * float32 matrix, in its three precisions (SINGLE: all float but the small
 * SVD; MIXED: float sketch, double finish by widened row blocks; DOUBLE:
 * widened products throughout), with and without the early stop on the
 * error (err_tol); and rk_trunc_table_top (lib/analysis/truncation.h): the
 * error table from the top K and ‖A‖_F, against the table of the whole
 * spectrum. Tolerances: values against the dense SVD of the same float
 * matrix (in double) within 1e-4 relative (float32 sums over n ≈ 500 terms,
 * a sketch of a gapped spectrum); orthonormality by its bound, m·ε of the
 * finish's precision times 50 (LAPACK's threshold).
 */
#include "testutil.h"

#include <float.h>
#include <math.h>
#include <string.h>

#include "analysis/truncation.h"
#include "linalg/rsvd.h"
#include "linalg/spectrum.h"
#include "linalg/svd.h"
#include "testmat.h"

enum { M = 600, N = 520, K = 6 };

/* A (M×N) with σ_i = 10·0.7^i (a clear gap at every k), rounded to float; *ad its double copy. */
static float *make(rk_mat *ad)
{
    double s[N];
    for (size_t i = 0; i < N; i++)
        s[i] = 10.0 * pow(0.7, (double)i);
    testmat_with_spectrum(ad, M, N, s, 42);
    float *a = rk_alloc(M * N * sizeof *a);
    assert_non_null(a);
    for (size_t i = 0; i < M * N; i++) {
        a[i] = (float)ad->data[i];
        ad->data[i] = a[i]; /* the double copy holds the float values exactly */
    }
    return a;
}

static void check_run(const float *a, const rk_svd *ref, rk_rsvd_precision prec, double err_tol)
{
    rk_rsvd_opts o = rk_rsvd_opts_default(K);
    o.precision = prec;
    o.err_tol = err_tol;
    rk_svd out;
    rk_rsvd_stats st;
    double fro = -1;
    assert_status(rk_rsvd_f32(&out, a, M, N, &o, &st, &fro), RK_OK);
    double fro_ref = 0;
    for (size_t i = 0; i < ref->k; i++)
        fro_ref += ref->s[i] * ref->s[i];
    assert_rel_near(fro, sqrt(fro_ref), 1e-6);
    for (size_t i = 0; i < K; i++)
        assert_rel_near(out.s[i], ref->s[i], 1e-4);
    double eps = prec == RK_RSVD_PREC_SINGLE ? FLT_EPSILON : RK_EPS;
    double ou = testmat_orth_residual(&out.u);
    if (!(ou <= 50.0 * M * eps))
        fail_msg("precision %d: ||I - U^T U|| = %g above 50*m*eps", (int)prec, ou);
    assert_true(st.mixed == (prec != RK_RSVD_PREC_DOUBLE));
    if (err_tol > 0)
        assert_true(st.power_iters < rk_rsvd_power_iters(&o, M, N)); /* 0.7^2 per iteration: settles fast */
    rk_svd_free(&out);
}

static void test_f32_precisions(void **state)
{
    (void)state;
    rk_mat ad;
    float *a = make(&ad);
    rk_svd ref;
    assert_status(rk_svd_decomp(&ref, &ad, RK_SVD_VALUES), RK_OK);
    const rk_rsvd_precision precs[] = { RK_RSVD_PREC_SINGLE, RK_RSVD_PREC_MIXED, RK_RSVD_PREC_DOUBLE };
    for (size_t p = 0; p < 3; p++) {
        check_run(a, &ref, precs[p], 0.0);
        check_run(a, &ref, precs[p], 1e-3);
    }
    rk_svd_free(&ref);
    rk_mat_free(&ad);
    rk_free(a);
}

static void test_f32_errors(void **state)
{
    (void)state;
    rk_mat ad;
    float *a = make(&ad);
    rk_rsvd_opts o = rk_rsvd_opts_default(K);
    rk_svd out;
    assert_status(rk_rsvd_f32(NULL, a, M, N, &o, NULL, NULL), RK_EINVAL);
    assert_status(rk_rsvd_f32(&out, NULL, M, N, &o, NULL, NULL), RK_EINVAL);
    o.k = N + 1;
    assert_status(rk_rsvd_f32(&out, a, M, N, &o, NULL, NULL), RK_ERANGE);
    o.k = K;
    o.err_tol = NAN;
    assert_status(rk_rsvd_f32(&out, a, M, N, &o, NULL, NULL), RK_EINVAL);
    o.err_tol = 0;
    o.precision = RK_RSVD_PREC_SINGLE;
    assert_status(rk_rsvd(&out, &ad, &o), RK_EINVAL); /* a double A is finished in double */
    a[77] = NAN;
    assert_status(rk_rsvd_f32(&out, a, M, N, &o, NULL, NULL), RK_ENONFINITE);
    a[77] = INFINITY;
    assert_status(rk_rsvd_f32(&out, a, M, N, &o, NULL, NULL), RK_ENONFINITE);
    a[77] = 0.0f;
    o.k = 0;
    assert_status(rk_rsvd_f32(&out, a, M, N, &o, NULL, NULL), RK_OK);
    assert_int_equal(out.u.cols, 0);
    rk_svd_free(&out);
    o.k = K;
    for (long k = 1; k < 40; k++) {
        rk_test_fail_alloc_after(k);
        rk_status s = rk_rsvd_f32(&out, a, M, N, &o, NULL, NULL);
        rk_test_fail_alloc_after(0);
        assert_true(s == RK_OK || s == RK_ENOMEM);
        rk_svd_free(&out);
    }
    rk_mat_free(&ad);
    rk_free(a);
}

static void test_table_top(void **state)
{
    (void)state;
    double s[40];
    for (size_t i = 0; i < 40; i++)
        s[i] = 3.0 / (1.0 + (double)i);
    double fro2 = 0;
    for (size_t i = 0; i < 40; i++)
        fro2 += s[i] * s[i];
    size_t ranks[] = { 0, 1, 4, 8 };
    rk_trunc_row full[4], top[4];
    assert_status(rk_trunc_table(s, 40, 50, 40, ranks, 4, full), RK_OK);
    assert_status(rk_trunc_table_top(s, 8, sqrt(fro2), 50, 40, ranks, 4, top), RK_OK);
    for (size_t j = 0; j < 4; j++) {
        assert_int_equal(top[j].r, full[j].r);
        assert_int_equal(top[j].params, full[j].params);
        /* √(‖A‖² − Σ_{i≤r} σ²) against √(Σ_{i>r} σ²): the same sum, cancellation of ≤ fro²·ε */
        if (!(fabs(top[j].fro_err - full[j].fro_err) <= 1e3 * RK_EPS * sqrt(fro2)))
            fail_msg("r = %zu: %.17g against %.17g", ranks[j], top[j].fro_err, full[j].fro_err);
        assert_true(fabs(top[j].energy - full[j].energy) <= 1e3 * RK_EPS);
    }
    assert_true(isnan(top[3].spectral_err)); /* σ_9 is not known from the top 8 */
    assert_rel_near(top[2].spectral_err, s[4], 1e-15);
    size_t big[] = { 9 };
    assert_status(rk_trunc_table_top(s, 8, sqrt(fro2), 50, 40, big, 1, top), RK_ERANGE);
    assert_status(rk_trunc_table_top(s, 8, NAN, 50, 40, ranks, 1, top), RK_EINVAL);
    assert_int_equal(rk_trunc_rank_for_energy_top(s, 8, sqrt(fro2), 0.5), rk_spectrum_rank_for_energy(s, 40, 0.5));
    assert_int_equal(rk_trunc_rank_for_energy_top(s, 8, sqrt(fro2), 0.999), SIZE_MAX);
}

/* ‖A − c·B·A_f‖_F in double from the float factors: what rk_trunc_lora_f32's written_err must be. */
static double residual(const rk_mat *ad, const rk_trunc_lora32 *f, size_t r, double c)
{
    double ss = 0;
    for (size_t i = 0; i < M; i++)
        for (size_t j = 0; j < N; j++) {
            double p = 0;
            for (size_t t = 0; t < r; t++)
                p += (double)f->b[i * r + t] * f->a[t * N + j];
            double e = RK_AT(ad, i, j) - c * p;
            ss += e * e;
        }
    return sqrt(ss);
}

/* rk_trunc_lora_f32: the error table from the top r, and the written error —
 * by the r×r identity at r = 6 (error 0.7^6 = 0.12 of ‖A‖_F, above
 * RK_TRUNC_F32_WRITTEN_IDENTITY), by a pass over A at r = 12 (0.014) — against
 * the residual formed in double from the float factors. Bound: the float
 * factors' and the float sketch's rounding, u·‖A‖_F/e and u·√m·(‖A‖_F/e)²
 * relative (u = 2⁻²⁴): below 1e-4 for these matrices. The error itself is
 * at least the optimum 0.7^r·‖A‖_F and, with the early stop, within 1% of it. */
static void test_trunc_lora_f32(void **state)
{
    (void)state;
    rk_mat ad;
    float *a = make(&ad);
    const size_t ranks[] = { 6, 12 };
    const double scales[] = { 1.0, 0.5 };
    for (int k = 0; k < 2; k++) {
        size_t r = ranks[k];
        rk_trunc_lora32 f;
        assert_status(rk_trunc_lora_f32(a, M, N, r, scales[k], -1, 7, &f), RK_OK);
        double want = 10.0 * pow(0.7, (double)r) / 10.0; /* relative error Σ_{i≥r} 0.49^i / Σ 0.49^i, square-rooted */
        /* at least the optimum (to the float rounding of A), within the early stop's 1% of it */
        if (!(f.row.rel_err >= (1 - 1e-4) * want && f.row.rel_err <= (1 + RK_TRUNC_F32_ERR_TOL) * want))
            fail_msg("r = %zu: relative error %.9g, want %.9g", r, f.row.rel_err, want);
        double direct = residual(&ad, &f, r, scales[k]);
        if (!(fabs(f.written_err - direct) <= 1e-4 * direct))
            fail_msg("r = %zu: written error %.12g, residual %.12g", r, f.written_err, direct);
        assert_true((f.row.rel_err >= RK_TRUNC_F32_WRITTEN_IDENTITY) == (r == 6));
        rk_trunc_lora32_free(&f);
    }
    rk_trunc_lora32 f;
    for (long k = 1; k < 40; k++) { /* every allocation failing in turn, on both written-error paths */
        for (int p = 0; p < 2; p++) {
            rk_test_fail_alloc_after(k);
            rk_status s = rk_trunc_lora_f32(a, M, N, ranks[p], 1.0, -1, 0, &f);
            rk_test_fail_alloc_after(0);
            assert_true(s == RK_OK || s == RK_ENOMEM);
            if (s != RK_OK)
                assert_null(f.b);
            rk_trunc_lora32_free(&f);
        }
    }
    assert_status(rk_trunc_lora_f32(a, M, N, N + 1, 1.0, -1, 0, &f), RK_ERANGE);
    assert_status(rk_trunc_lora_f32(a, M, N, 4, 0.0, -1, 0, &f), RK_EINVAL);
    rk_mat_free(&ad);
    rk_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f32_precisions),
        cmocka_unit_test(test_f32_errors),
        cmocka_unit_test(test_table_top),
        cmocka_unit_test(test_trunc_lora_f32),
    };
    return cmocka_run_group_tests_name("rsvd_f32", tests, NULL, NULL);
}
