/* linalg_check.c — LAPACK's SVD test ratios, test matrices, a counting allocator. */
#include "linalg_check.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>

/* dbdt01's guarded ratio resid / (anorm · dim · ε). */
static double guarded_ratio(double resid, double anorm, double dim)
{
    if (dim < 1.0)
        dim = 1.0;
    if (isnan(resid) || isnan(anorm))   // fmin would drop a NaN: keep it, to fail the bound
        return NAN;
    if (anorm <= 0.0)
        return resid != 0.0 ? 1.0 / RK_EPS : 0.0;
    if (anorm >= resid)
        return (resid / anorm) / (dim * RK_EPS);
    if (anorm < 1.0)
        return (fmin(resid, dim * anorm) / anorm) / (dim * RK_EPS);
    return fmin(resid / anorm, dim) / (dim * RK_EPS);
}

double check_resid_ratio(const rk_mat *a, const rk_svd *svd)
{
    size_t m = svd->m, n = svd->n, k = svd->k;
    rk_mat us, r;
    assert_int_equal(rk_mat_create(&us, m, k), RK_OK);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            RK_AT(&us, i, j) = RK_AT(&svd->u, i, j) * svd->s[j];
    assert_int_equal(rk_mat_dup(&r, a), RK_OK);
    rk_mat vt_k = rk_mat_view_rows(&svd->vt, 0, k);
    assert_int_equal(rk_mat_gemm(false, false, -1.0, &us, &vt_k, 1.0, &r), RK_OK);
    double ratio = guarded_ratio(rk_mat_norm_1(&r), rk_mat_norm_1(a), (double)(m > n ? m : n));
    rk_mat_free(&us);
    rk_mat_free(&r);
    return ratio;
}

/* ‖I − G‖₁ / (dim · ε) for the Gram matrix G = op(X)ᵀ·op(X). */
static double orth_ratio(const rk_mat *x, bool rows, size_t dim)
{
    size_t p = rows ? x->rows : x->cols;
    if (p == 0 || dim == 0)
        return 0.0;
    rk_mat g;
    assert_int_equal(rk_mat_create(&g, p, p), RK_OK);
    rk_mat_set_identity(&g);
    assert_int_equal(rk_mat_gemm(!rows, rows, -1.0, x, x, 1.0, &g), RK_OK);
    double ratio = rk_mat_norm_1(&g) / ((double)dim * RK_EPS);
    rk_mat_free(&g);
    return ratio;
}

double check_orth_cols(const rk_mat *u) { return orth_ratio(u, false, u->rows); }

double check_orth_rows(const rk_mat *vt) { return orth_ratio(vt, true, vt->cols); }

bool check_sorted_nonneg(const double *s, size_t k)
{
    for (size_t i = 0; i < k; i++)
        if (!(s[i] >= 0.0) || (i + 1 < k && s[i] < s[i + 1]))
            return false;
    return true;
}

double check_values_ratio(const double *s, const double *ref, size_t k)
{
    if (k == 0)
        return 0.0;
    double div = fmax((double)k * RK_EPS * ref[0], DBL_MIN), worst = 0.0;
    for (size_t i = 0; i < k; i++)
        worst = rk_test_worst(worst, fabs(s[i] - ref[i]) / div);
    return worst;
}

double check_known_ratio(const double *s, const double *d, size_t k, size_t m, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < k; i++)
        worst = rk_test_worst(worst, fabs(s[i] - d[i]));
    return k ? guarded_ratio(worst, d[0], (double)(m > n ? m : n)) : 0.0;
}

void check_random_orthogonal(rk_mat *q, size_t n, rk_rng *rng)
{
    assert_int_equal(rk_mat_create(q, n, n), RK_OK);
    if (n == 0)
        return;
    rk_mat_fill_normal(q, rng);
    double *tau = calloc(n, sizeof *tau), *rdiag = calloc(n, sizeof *rdiag);
    assert_non_null(tau);
    assert_non_null(rdiag);
    lapack_int nn = (lapack_int)n;
    assert_int_equal(LAPACKE_dgeqrf(LAPACK_ROW_MAJOR, nn, nn, q->data, nn, tau), 0);
    for (size_t j = 0; j < n; j++)
        rdiag[j] = RK_AT(q, j, j);
    assert_int_equal(LAPACKE_dorgqr(LAPACK_ROW_MAJOR, nn, nn, nn, q->data, nn, tau), 0);
    /* Q·diag(sign(R_jj)) is Haar distributed (Mezzadri 2007). */
    for (size_t j = 0; j < n; j++)
        if (rdiag[j] < 0.0)
            for (size_t i = 0; i < n; i++)
                RK_AT(q, i, j) = -RK_AT(q, i, j);
    free(tau);
    free(rdiag);
}

void check_make_udv(rk_mat *a, size_t m, size_t n, const double *d, rk_rng *rng)
{
    size_t k = m < n ? m : n;
    rk_mat u, v, ud;
    check_random_orthogonal(&u, m, rng);
    check_random_orthogonal(&v, n, rng);
    assert_int_equal(rk_mat_create(&ud, m, k), RK_OK);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < k; j++)
            RK_AT(&ud, i, j) = RK_AT(&u, i, j) * d[j];
    assert_int_equal(rk_mat_create(a, m, n), RK_OK);
    rk_mat v_k = rk_mat_view_cols(&v, 0, k);
    assert_int_equal(rk_mat_gemm(false, true, 1.0, &ud, &v_k, 0.0, a), RK_OK); /* (U_k·D)·V_kᵀ */
    rk_mat_free(&u);
    rk_mat_free(&v);
    rk_mat_free(&ud);
}

static long fail_at, calls, live;

static void *counting_alloc(size_t size, void *ctx)
{
    (void)ctx;
    if (fail_at > 0 && calls + 1 >= fail_at)
        return NULL;
    void *p = malloc(size);
    if (p) {
        calls++;
        live++;
    }
    return p;
}

static void counting_free(void *p, void *ctx)
{
    (void)ctx;
    live--;
    free(p);
}

void check_alloc_begin(long n)
{
    fail_at = n;
    calls = live = 0;
    rk_allocator a = { counting_alloc, counting_free, NULL };
    rk_set_allocator(&a);
}

long check_alloc_calls(void) { return calls; }

long check_alloc_live(void) { return live; }

void check_alloc_end(void) { rk_set_allocator(NULL); }
