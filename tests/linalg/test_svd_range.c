/*
 * test_svd_range.c — the SVD at the ends of the double range. σ(c·A) = c·σ(A):
 * a matrix with a known spectrum scaled by 2^±600 (beyond LAPACK's own
 * scaling thresholds, exact in binary) must give 2^±600 times its singular
 * values to rounding, the factors unchanged; values whose σ₁ or Σσᵢ is
 * beyond DBL_MAX give RK_EMAGNITUDE, never Inf; the default rank tolerance
 * of σ₁ = 1.7e308 is finite.
 */
#include "testutil.h"

#include <float.h>
#include <math.h>

#include "testmat.h"

static const double spectrum[4] = { 5.0, 3.0, 1.0, 0.25 };

static void test_scaled_spectrum(void **state)
{
    (void)state;
    rk_mat a;
    testmat_with_spectrum(&a, 7, 4, spectrum, 11);
    for (int e = -600; e <= 600; e += 1200) {
        rk_mat b;
        assert_status(rk_mat_dup(&b, &a), RK_OK);
        rk_mat_scale(&b, ldexp(1.0, e));   /* exact */
        rk_svd svd;
        assert_status(rk_svd_decomp(&svd, &b, RK_SVD_THIN), RK_OK);
        for (size_t i = 0; i < 4; i++) {
            double s = ldexp(svd.s[i], -e);
            /* backward-stable SVD: |σ̂ − σ| ≤ c·max(m, n)·eps·σ₁ */
            double err = fabs(s - spectrum[i]);
            if (!(err <= 8.0 * 7 * RK_EPS * spectrum[0]))
                fail_msg("e = %d: sigma_%zu = %.17g, want %.17g", e, i + 1, s, spectrum[i]);
        }
        /* U·diag(σ)·Vᵀ rebuilds B: scaled back, relative to ‖B‖ */
        double rec = testmat_recon_error(&b, &svd, 4);
        assert_true(isfinite(rec));
        assert_true(rec <= 16.0 * 7 * RK_EPS * ldexp(spectrum[0], e));
        rk_svd_free(&svd);
        rk_mat_free(&b);
    }
    rk_mat_free(&a);
}

static void test_beyond_dbl_max(void **state)
{
    (void)state;
    /* Every entry 1.7e308 in a 3×3: σ₁ = 3·1.7e308, beyond DBL_MAX. */
    rk_mat a;
    assert_status(rk_mat_create(&a, 3, 3), RK_OK);
    rk_mat_fill(&a, 1.7e308);
    rk_svd svd;
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_VALUES), RK_EMAGNITUDE);
    assert_null(svd.s);
    size_t rank = 0;
    assert_status(rk_rank(&a, NULL, &rank, NULL), RK_EMAGNITUDE);
    /* diag(1.7e308, 1e308): σ₁ finite but Σσ (the nuclear norm) is not. */
    rk_mat_fill(&a, 0.0);
    RK_AT(&a, 0, 0) = 1.7e308;
    RK_AT(&a, 1, 1) = 1e308;
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_VALUES), RK_EMAGNITUDE);
    /* one value 1.7e308: everything finite, rank 1 with a finite tolerance */
    RK_AT(&a, 1, 1) = 0.0;
    assert_status(rk_svd_decomp(&svd, &a, RK_SVD_THIN), RK_OK);
    assert_true(svd.s[0] == 1.7e308);
    assert_true(svd.s[1] == 0.0);
    rk_svd_free(&svd);
    double tol = 0.0;
    assert_status(rk_rank(&a, NULL, &rank, &tol), RK_OK);
    assert_int_equal(rank, 1);
    assert_true(isfinite(tol) && tol > 0.0 && tol < 1.7e308);
    rk_mat_free(&a);
}

/* An empty matrix is never handed to LAPACK, so any dimension is fine. */
static void test_empty_any_size(void **state)
{
    (void)state;
    rk_mat e = { (size_t)1 << 40, 0, 0, NULL, 0 };
    rk_svd svd;
    assert_status(rk_svd_decomp(&svd, &e, RK_SVD_VALUES), RK_OK);
    assert_int_equal(svd.k, 0);
    rk_svd_free(&svd);
    assert_status(rk_svd_decomp(&svd, &e, RK_SVD_THIN), RK_OK);
    assert_int_equal(svd.u.rows, (size_t)1 << 40);
    assert_int_equal(svd.u.cols, 0);
    rk_svd_free(&svd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scaled_spectrum),
        cmocka_unit_test(test_beyond_dbl_max),
        cmocka_unit_test(test_empty_any_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
