/* testmat.c — matrices with known singular values and residual helpers for tests. */
#include "testmat.h"

#include <math.h>

#include "testutil.h"

void testmat_orthonormal(rk_mat *q, size_t rows, size_t cols, rk_rng *rng)
{
    rk_mat g = { 0 };
    assert_status(rk_mat_create(&g, rows, cols), RK_OK);
    rk_mat_fill_normal(&g, rng);
    assert_status(rk_qr_orthonormal(q, &g), RK_OK);
    rk_mat_free(&g);
}

void testmat_with_spectrum(rk_mat *a, size_t m, size_t n, const double *s, uint64_t seed)
{
    size_t k = m < n ? m : n;
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat u = { 0 }, v = { 0 }, us = { 0 };
    testmat_orthonormal(&u, m, k, &rng);
    testmat_orthonormal(&v, n, k, &rng);
    assert_status(rk_mat_dup(&us, &u), RK_OK);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            RK_AT(&us, i, j) *= s[j];
    assert_status(rk_mat_create(a, m, n), RK_OK);
    assert_status(rk_mat_gemm(false, true, 1.0, &us, &v, 0.0, a), RK_OK); /* (U·S)·Vᵀ */
    rk_mat_free(&u);
    rk_mat_free(&v);
    rk_mat_free(&us);
}

void testmat_low_rank_profile(double *s, size_t count, double effective_rank, double tail)
{
    for (size_t i = 0; i < count; i++) {
        double x = (double)i / effective_rank;
        s[i] = (1.0 - tail) * exp(-x * x) + tail * exp(-0.1 * x);
    }
}

double testmat_orth_residual(const rk_mat *x)
{
    rk_mat g = { 0 };
    assert_status(rk_mat_create(&g, x->cols, x->cols), RK_OK);
    assert_status(rk_mat_gemm(true, false, 1.0, x, x, 0.0, &g), RK_OK);
    for (size_t i = 0; i < g.rows; i++)
        RK_AT(&g, i, i) -= 1.0;
    double r = rk_mat_norm_1(&g);
    rk_mat_free(&g);
    return r;
}

double testmat_recon_error(const rk_mat *a, const rk_svd *svd, size_t k)
{
    rk_mat us = { 0 }, r = { 0 };
    rk_mat u = rk_mat_view_cols(&svd->u, 0, k), vt = rk_mat_view_rows(&svd->vt, 0, k);
    assert_status(rk_mat_dup(&us, &u), RK_OK);
    for (size_t i = 0; i < us.rows; i++)
        for (size_t j = 0; j < k; j++)
            RK_AT(&us, i, j) *= svd->s[j];
    assert_status(rk_mat_dup(&r, a), RK_OK);
    assert_status(rk_mat_gemm(false, false, -1.0, &us, &vt, 1.0, &r), RK_OK); /* A − U·S·Vt */
    double e = rk_mat_norm_fro(&r);
    rk_mat_free(&us);
    rk_mat_free(&r);
    return e;
}

void testmat_rank_product(rk_mat *d, size_t m, size_t r, size_t n, rk_rng *rng)
{
    rk_mat b = { 0 }, c = { 0 };
    assert_int_equal(rk_mat_create(&b, m, r), RK_OK);
    assert_int_equal(rk_mat_create(&c, r, n), RK_OK);
    rk_mat_fill_normal(&b, rng);
    rk_mat_fill_normal(&c, rng);
    assert_int_equal(rk_mat_mul(d, &b, &c), RK_OK);
    rk_mat_free(&b);
    rk_mat_free(&c);
}

void testmat_profile(rk_mat *a, double *s, size_t m, size_t n, double effective_rank, double tail,
                     uint64_t seed)
{
    testmat_low_rank_profile(s, m < n ? m : n, effective_rank, tail);
    testmat_with_spectrum(a, m, n, s, seed);
}

void testmat_signal_plus_noise(rk_mat *a, double c)
{
    enum { M = 300, N = 200, R = 10 };
    double s[N];
    for (size_t i = 0; i < N; i++)
        s[i] = i < R ? 10.0 - (double)i : 0.0;
    rk_mat noise = { 0 };
    testmat_with_spectrum(a, M, N, s, 5);
    rk_rng rng;
    rk_rng_seed(&rng, 6);
    assert_status(rk_mat_create(&noise, M, N), RK_OK);
    rk_mat_fill_normal(&noise, &rng);
    assert_status(rk_mat_axpy(a, 0.01, &noise), RK_OK);
    rk_mat_scale(a, c);
    rk_mat_free(&noise);
}

void testmat_check_rsvd_of_zero(const rk_mat *zero, const rk_rsvd_opts *o)
{
    rk_svd f = { 0 };
    assert_status(rk_rsvd(&f, zero, o), RK_OK);
    for (size_t i = 0; i < o->k; i++)
        assert_true(f.s[i] == 0.0);
    assert_true(rk_mat_is_finite(&f.u) && rk_mat_is_finite(&f.vt));
    rk_svd_free(&f);
}
