/*
 * test_intruders.c — intruder dimensions on matrices whose answer is known in
 * closed form, the mitigation W′ = W_ft + (λ − 1)·Σ σ′_i u′_i v′_iᵀ through
 * the singular values of the result, the rank-r re-factoring, the blind spots
 * of the test, argument checks and allocation failures.
 *
 * The planted intruder: W0 = U·diag(σ)·Vᵀ (m×n, m > n, so U0 spans only n of
 * the m dimensions) and u a unit vector orthogonal to every column of U0.
 * W_ft = W0 + t·u·v_nᵀ (v_n W0's last right vector) changes only the last
 * triplet: its left vector becomes (σ_n·u_n + t·u)/ρ with ρ = √(σ_n² + t²),
 * its singular value ρ, and every other triplet stays. So when ρ is among
 * the top K, c = σ_n/ρ for that vector and 1 for every other: one intruder
 * when σ_n/ρ < ε, none when t is small.
 */
#include "testutil.h"

#include <math.h>

#include "../linalg/testmat.h"

enum { M = 40, N = 30 };

/* σ_1 = 10 … σ_N = 0.1, evenly spaced. */
static void spectrum(double *s)
{
    for (size_t i = 0; i < N; i++)
        s[i] = 10.0 - (10.0 - 0.1) * (double)i / (N - 1);
}

/* W0 (M×N) with the spectrum above, and a unit u ⊥ span(U0). */
static void planted_base(rk_mat *w0, rk_svd *svd0, double *u)
{
    double s[N];
    spectrum(s);
    testmat_with_spectrum(w0, M, N, s, 21);
    assert_status(rk_svd_decomp(svd0, w0, RK_SVD_FULL), RK_OK);
    for (size_t p = 0; p < M; p++)
        u[p] = RK_AT(&svd0->u, p, M - 1); /* a left vector outside the thin U */
}

/* W_ft = W0 + t·u·v_Nᵀ. */
static void planted_ft(rk_mat *wft, const rk_mat *w0, const rk_svd *svd0, const double *u, double t)
{
    assert_status(rk_mat_dup(wft, w0), RK_OK);
    for (size_t p = 0; p < M; p++)
        for (size_t q = 0; q < N; q++)
            RK_AT(wft, p, q) += t * u[p] * RK_AT(&svd0->vt, N - 1, q);
}

static void test_planted_rank1_intruder(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, wft = { 0 };
    rk_svd svd0;
    double u[M], s[N];
    spectrum(s);
    planted_base(&w0, &svd0, u);
    const double big = 20.0, small = 0.05, sn = s[N - 1];

    rk_intruders r;
    planted_ft(&wft, &w0, &svd0, u, big);
    assert_status(rk_intruders_find(&r, &w0, &wft, 10, 0.5), RK_OK);
    assert_int_equal(r.trivial, RK_INTRUDER_MEANINGFUL);
    assert_int_equal(r.count, 1);
    assert_true(r.is_intruder[0]); /* ρ = √(0.01 + 400) > σ_1 = 10 */
    double rho = sqrt(sn * sn + big * big), want = sn / rho;
    assert_true(fabs(r.max_cos[0] - want) <= 64 * M * RK_EPS);
    assert_true(r.argmax[0] == N - 1);
    assert_true(fabs(r.ft.s[0] - rho) <= 64 * M * RK_EPS * rho);
    for (size_t i = 1; i < 10; i++) { /* the rest are W0's own top vectors */
        assert_false(r.is_intruder[i]);
        assert_true(fabs(r.max_cos[i] - 1.0) <= 64 * M * RK_EPS);
        assert_true(r.argmax[i] == i - 1);
    }
    rk_intruders_free(&r);
    rk_mat_free(&wft);

    planted_ft(&wft, &w0, &svd0, u, small); /* ρ ≈ 0.11: not among the top 10 */
    assert_status(rk_intruders_find(&r, &w0, &wft, 10, 0.5), RK_OK);
    assert_int_equal(r.count, 0);
    for (size_t i = 0; i < 10; i++)
        assert_true(fabs(r.max_cos[i] - 1.0) <= 64 * M * RK_EPS);
    rk_intruders_free(&r);
    /* with K = N every vector is tested: the planted one is last, c = σ_N/ρ ≈ 0.89 > ε */
    assert_status(rk_intruders_find(&r, &w0, &wft, N, 0.5), RK_OK);
    assert_int_equal(r.count, 0);
    assert_true(fabs(r.max_cos[N - 1] - sn / sqrt(sn * sn + small * small)) <= 64 * M * RK_EPS);
    rk_intruders_free(&r);
    rk_mat_free(&wft);
    rk_mat_free(&w0);
    rk_svd_free(&svd0);
}

/* W_ft = Q·W0 with Q a random rotation of span(u_1, u_2, u_3): each new top
 * vector lies in that span, so some |cos| ≥ 1/√3 > 0.5 — no intruders. */
static void test_rotation_inside_top_subspace(void **state)
{
    (void)state;
    double s[N];
    spectrum(s);
    rk_mat w0 = { 0 }, wft = { 0 }, g = { 0 }, q3 = { 0 };
    testmat_with_spectrum(&w0, M, N, s, 22);
    rk_svd svd0;
    assert_status(rk_svd_decomp(&svd0, &w0, RK_SVD_THIN), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, 23);
    testmat_orthonormal(&q3, 3, 3, &rng); /* a random 3×3 orthogonal R */
    /* W_ft = W0 + U3·(R − I)·U3ᵀ·W0, U3 = U0[:, :3] */
    assert_status(rk_mat_dup(&wft, &w0), RK_OK);
    assert_status(rk_mat_create(&g, 3, N), RK_OK);
    rk_mat u3 = rk_mat_view_cols(&svd0.u, 0, 3);
    assert_status(rk_mat_gemm(true, false, 1.0, &u3, &w0, 0.0, &g), RK_OK); /* U3ᵀ·W0 */
    for (size_t i = 0; i < 3; i++)
        RK_AT(&q3, i, i) -= 1.0;
    rk_mat t = { 0 }, uq = { 0 };
    assert_status(rk_mat_mul(&uq, &u3, &q3), RK_OK);
    assert_status(rk_mat_mul(&t, &uq, &g), RK_OK);
    assert_status(rk_mat_axpy(&wft, 1.0, &t), RK_OK);
    rk_intruders r;
    assert_status(rk_intruders_find(&r, &w0, &wft, 10, 0.5), RK_OK);
    assert_int_equal(r.count, 0);
    for (size_t i = 0; i < 10; i++)
        assert_true(r.max_cos[i] >= 1.0 / sqrt(3.0) - 64 * M * RK_EPS);
    for (size_t i = 3; i < 10; i++) /* below the rotated block, W0's vectors again */
        assert_true(fabs(r.max_cos[i] - 1.0) <= 64 * M * RK_EPS);
    rk_intruders_free(&r);
    rk_mat_free(&t);
    rk_mat_free(&uq);
    rk_mat_free(&g);
    rk_mat_free(&q3);
    rk_mat_free(&wft);
    rk_mat_free(&w0);
    rk_svd_free(&svd0);
}

/* The singular values of W′ are those of W_ft with the intruders' σ′_i times λ. */
static void test_scale_singular_values(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, wft = { 0 }, w1 = { 0 };
    rk_svd svd0;
    double u[M];
    planted_base(&w0, &svd0, u);
    planted_ft(&wft, &w0, &svd0, u, 20.0);
    rk_intruders r;
    assert_status(rk_intruders_find(&r, &w0, &wft, 10, 0.5), RK_OK);
    assert_int_equal(r.count, 1);
    const double lambdas[] = { 1.0, 0.75, 0.5, 0.25, 0.0 };
    double bound = 64 * M * RK_EPS * r.ft.s[0];
    for (size_t l = 0; l < 5; l++) {
        assert_status(rk_mat_dup(&w1, &wft), RK_OK);
        assert_status(rk_intruders_scale(&w1, &r, lambdas[l]), RK_OK);
        if (lambdas[l] == 1.0)
            assert_true(rk_mat_max_abs_diff(&w1, &wft) == 0.0);
        rk_svd sv;
        assert_status(rk_svd_decomp(&sv, &w1, RK_SVD_VALUES), RK_OK);
        /* expected: σ′ with σ′_1 → λ·σ′_1, re-sorted */
        double want[N];
        size_t nw = 0;
        for (size_t i = 1; i < N; i++)
            want[nw++] = r.ft.s[i];
        double scaled = lambdas[l] * r.ft.s[0];
        size_t at = 0;
        while (at < nw && want[at] > scaled)
            at++;
        for (size_t i = nw; i > at; i--)
            want[i] = want[i - 1];
        want[at] = scaled;
        for (size_t i = 0; i < N; i++)
            assert_true(fabs(sv.s[i] - want[i]) <= bound);
        rk_svd_free(&sv);
        /* λ = 0: W′ has no component along u′_1 at all */
        if (lambdas[l] == 0.0) {
            double along = 0.0;
            for (size_t q = 0; q < N; q++) {
                double x = 0.0;
                for (size_t p = 0; p < M; p++)
                    x += RK_AT(&r.ft.u, p, 0) * RK_AT(&w1, p, q);
                along += x * x;
            }
            assert_true(sqrt(along) <= bound);
        }
        rk_mat_free(&w1);
    }
    assert_status(rk_intruders_scale(&w1, &r, -0.5), RK_EINVAL);
    assert_status(rk_mat_dup(&w1, &wft), RK_OK);
    assert_status(rk_intruders_scale(&w1, &r, -0.5), RK_EINVAL);
    assert_status(rk_intruders_scale(&w1, &r, NAN), RK_EINVAL);
    assert_status(rk_intruders_scale(&w1, &r, INFINITY), RK_EINVAL);
    assert_true(rk_mat_max_abs_diff(&w1, &wft) == 0.0);
    rk_mat_free(&w1);
    rk_intruders_free(&r);
    rk_mat_free(&wft);
    rk_mat_free(&w0);
    rk_svd_free(&svd0);
}

/* The mitigated planted update (W′ − W0)/s is rank 1, so the rank-1 factors
 * reproduce it: in double to rounding, and after rounding B and A to float32
 * to float32's rounding. */
static void test_refactor_reproduces_dense(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, wft = { 0 }, d = { 0 }, b, a, ba = { 0 };
    rk_svd svd0;
    double u[M], s = 2.0;
    planted_base(&w0, &svd0, u);
    planted_ft(&wft, &w0, &svd0, u, 20.0);
    rk_intruders r;
    assert_status(rk_intruders_find(&r, &w0, &wft, 10, 0.5), RK_OK);
    assert_status(rk_mat_dup(&d, &wft), RK_OK);
    assert_status(rk_intruders_scale(&d, &r, 0.5), RK_OK);
    assert_status(rk_mat_axpy(&d, -1.0, &w0), RK_OK);
    rk_mat_scale(&d, 1.0 / s);
    double left;
    assert_status(rk_intruders_refactor(&b, &a, &left, &d, 1), RK_OK);
    double dn = rk_mat_norm_fro(&d);
    assert_true(left <= 64 * M * RK_EPS);
    assert_status(rk_mat_mul(&ba, &b, &a), RK_OK);
    assert_true(rk_mat_max_abs_diff(&ba, &d) <= 64 * M * RK_EPS * dn);
    /* float32 factors: each entry of B·A off by at most ~2·2^-24 relative per product term */
    for (size_t p = 0; p < M; p++)
        RK_AT(&b, p, 0) = (float)RK_AT(&b, p, 0);
    for (size_t q = 0; q < N; q++)
        RK_AT(&a, 0, q) = (float)RK_AT(&a, 0, q);
    rk_mat_free(&ba);
    assert_status(rk_mat_mul(&ba, &b, &a), RK_OK);
    double f32 = 5.960464477539063e-08; /* 2^-24 */
    for (size_t p = 0; p < M; p++)
        for (size_t q = 0; q < N; q++) {
            double bound = 3 * f32 * fabs(RK_AT(&b, p, 0) * RK_AT(&a, 0, q)) + 64 * M * RK_EPS * dn;
            assert_true(fabs(RK_AT(&ba, p, q) - RK_AT(&d, p, q)) <= bound);
        }
    rk_mat_free(&ba);
    rk_mat_free(&a);
    rk_mat_free(&b);
    rk_mat_free(&d);
    rk_intruders_free(&r);
    rk_mat_free(&wft);
    rk_mat_free(&w0);
    rk_svd_free(&svd0);
}

/* A general update: the factors are the Eckart–Young truncation and rel_left its error. */
static void test_refactor_truncates(void **state)
{
    (void)state;
    double s[N];
    spectrum(s);
    rk_mat d = { 0 }, b, a, ba = { 0 };
    testmat_with_spectrum(&d, M, N, s, 24);
    double left, tail = 0.0, all = 0.0;
    assert_status(rk_intruders_refactor(&b, &a, &left, &d, 4), RK_OK);
    for (size_t i = 0; i < N; i++) {
        all += s[i] * s[i];
        if (i >= 4)
            tail += s[i] * s[i];
    }
    assert_true(fabs(left - sqrt(tail / all)) <= 64 * M * RK_EPS);
    assert_status(rk_mat_mul(&ba, &b, &a), RK_OK);
    assert_status(rk_mat_axpy(&ba, -1.0, &d), RK_OK);
    assert_true(fabs(rk_mat_norm_fro(&ba) - sqrt(tail)) <= 64 * M * RK_EPS * s[0]);
    /* √σ on both sides: column t of B and row t of A have the same norm */
    for (size_t t = 0; t < 4; t++) {
        double nb = 0.0, na = 0.0;
        for (size_t p = 0; p < M; p++)
            nb += RK_AT(&b, p, t) * RK_AT(&b, p, t);
        for (size_t q = 0; q < N; q++)
            na += RK_AT(&a, t, q) * RK_AT(&a, t, q);
        assert_true(fabs(nb - s[t]) <= 64 * M * RK_EPS * s[0] && fabs(na - s[t]) <= 64 * M * RK_EPS * s[0]);
    }
    rk_mat_free(&ba);
    rk_mat_free(&a);
    rk_mat_free(&b);
    assert_status(rk_intruders_refactor(&b, &a, &left, &d, 0), RK_ERANGE);
    assert_status(rk_intruders_refactor(&b, &a, &left, &d, N + 1), RK_ERANGE);
    assert_status(rk_intruders_refactor(NULL, &a, &left, &d, 1), RK_EINVAL);
    RK_AT(&d, 0, 0) = NAN;
    assert_status(rk_intruders_refactor(&b, &a, &left, &d, 1), RK_ENONFINITE);
    assert_true(b.data == NULL && a.data == NULL);
    rk_mat_free(&d);
    assert_status(rk_mat_create(&d, 5, 4), RK_OK); /* zero update: nothing left out */
    assert_status(rk_intruders_refactor(&b, &a, &left, &d, 2), RK_OK);
    assert_true(left == 0.0 && rk_mat_norm_fro(&b) == 0.0);
    rk_mat_free(&a);
    rk_mat_free(&b);
    rk_mat_free(&d);
}

static void test_blind_spots(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 25);
    rk_mat w0 = { 0 }, wft = { 0 };
    rk_intruders r;
    assert_status(rk_mat_create(&w0, 10, 50), RK_OK); /* 10 outputs, K = 10 */
    assert_status(rk_mat_create(&wft, 10, 50), RK_OK);
    rk_mat_fill_normal(&w0, &rng);
    rk_mat_fill_normal(&wft, &rng);
    assert_status(rk_intruders_find(&r, &w0, &wft, 10, 0.5), RK_OK);
    assert_int_equal(r.trivial, RK_INTRUDER_WHOLE_BASIS);
    rk_intruders_free(&r);
    assert_status(rk_intruders_find(&r, &w0, &wft, 5, 0.5), RK_OK);
    assert_int_equal(r.trivial, RK_INTRUDER_MEANINGFUL); /* 1/√10 < 0.5 */
    rk_intruders_free(&r);
    rk_mat_free(&w0);
    rk_mat_free(&wft);
    assert_status(rk_mat_create(&w0, 4, 9), RK_OK); /* 1/√4 = 0.5 ≥ ε: c_i ≥ 0.5 always */
    assert_status(rk_mat_create(&wft, 4, 9), RK_OK);
    rk_mat_fill_normal(&w0, &rng);
    rk_mat_fill_normal(&wft, &rng);
    assert_status(rk_intruders_find(&r, &w0, &wft, 2, 0.5), RK_OK);
    assert_int_equal(r.trivial, RK_INTRUDER_NONE_POSSIBLE);
    assert_int_equal(r.count, 0);
    for (size_t i = 0; i < 2; i++)
        assert_true(r.max_cos[i] >= 0.5 - 16 * RK_EPS);
    rk_intruders_free(&r);
    assert_true(rk_intruder_trivial_text(RK_INTRUDER_WHOLE_BASIS)[0] != '\0');
    rk_mat_free(&w0);
    rk_mat_free(&wft);
}

static void test_argument_checks(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, wft = { 0 }, other = { 0 }, c;
    assert_status(rk_mat_create(&w0, 6, 4), RK_OK);
    assert_status(rk_mat_create(&wft, 6, 4), RK_OK);
    assert_status(rk_mat_create(&other, 4, 6), RK_OK);
    rk_mat_set_identity(&w0);
    rk_mat_set_identity(&wft);
    rk_intruders r;
    assert_status(rk_intruders_find(&r, &w0, &wft, 0, 0.5), RK_ERANGE);
    assert_status(rk_intruders_find(&r, &w0, &wft, 5, 0.5), RK_ERANGE);
    assert_status(rk_intruders_find(&r, &w0, &wft, 2, 0.0), RK_EINVAL);
    assert_status(rk_intruders_find(&r, &w0, &wft, 2, 1.5), RK_EINVAL);
    assert_status(rk_intruders_find(&r, &w0, &wft, 2, NAN), RK_EINVAL);
    assert_status(rk_intruders_find(&r, &w0, &other, 2, 0.5), RK_ESHAPE);
    assert_status(rk_intruders_find(NULL, &w0, &wft, 2, 0.5), RK_EINVAL);
    RK_AT(&wft, 1, 1) = INFINITY;
    assert_status(rk_intruders_find(&r, &w0, &wft, 2, 0.5), RK_ENONFINITE);
    RK_AT(&wft, 1, 1) = 1.0;
    assert_status(rk_intruders_find(&r, &w0, &wft, 4, 1.0), RK_OK); /* ε = 1 is allowed */
    assert_status(rk_intruders_cos_table(&c, &r, 0), RK_ERANGE);
    assert_status(rk_intruders_cos_table(&c, &r, 5), RK_ERANGE);
    assert_status(rk_intruders_cos_table(&c, &r, 4), RK_OK);
    assert_true(c.rows == 4 && c.cols == 4);
    rk_mat_free(&c);
    assert_status(rk_intruders_scale(&other, &r, 0.5), RK_ESHAPE);
    rk_intruders_free(&r);
    rk_intruders_free(NULL);
    rk_mat_free(&w0);
    rk_mat_free(&wft);
    rk_mat_free(&other);
}

/* With W0's SVD given, the same numbers as computing it (the same decomposition, copied). */
static void test_given_base_svd(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, wft = { 0 }, other = { 0 };
    rk_svd svd0, thin0;
    double u[M];
    planted_base(&w0, &svd0, u);
    planted_ft(&wft, &w0, &svd0, u, 20.0);
    assert_status(rk_svd_decomp(&thin0, &w0, RK_SVD_THIN), RK_OK);
    rk_intruders a, b;
    assert_status(rk_intruders_find(&a, &w0, &wft, 10, 0.5), RK_OK);
    assert_status(rk_intruders_find_svd(&b, &w0, &thin0, &wft, 10, 0.5), RK_OK);
    assert_int_equal(a.count, b.count);
    for (size_t i = 0; i < 10; i++)
        assert_true(a.max_cos[i] == b.max_cos[i] && a.argmax[i] == b.argmax[i]);
    rk_intruders_free(&a);
    rk_intruders_free(&b);
    assert_status(rk_intruders_find_svd(&b, &w0, &svd0, &wft, 10, 0.5), RK_ESHAPE); /* a full SVD */
    assert_status(rk_intruders_find_svd(&b, &w0, NULL, &wft, 10, 0.5), RK_EINVAL);
    assert_status(rk_mat_create(&other, N, M), RK_OK);
    assert_status(rk_intruders_find_svd(&b, &other, &thin0, &wft, 10, 0.5), RK_ESHAPE);
    rk_mat_free(&other);
    rk_svd_free(&thin0);
    rk_svd_free(&svd0);
    rk_mat_free(&wft);
    rk_mat_free(&w0);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    rk_mat w0 = { 0 }, wft = { 0 };
    rk_svd svd0;
    double u[M];
    planted_base(&w0, &svd0, u);
    planted_ft(&wft, &w0, &svd0, u, 20.0);
    int failures = 0;
    for (long n = 1;; n++) {
        rk_intruders r;
        rk_test_fail_alloc_after(n);
        rk_status st = rk_intruders_find(&r, &w0, &wft, 10, 0.5);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK) {
            rk_intruders_free(&r);
            break;
        }
        assert_status(st, RK_ENOMEM);
        failures++;
    }
    assert_true(failures >= 5);
    rk_mat_free(&wft);
    rk_mat_free(&w0);
    rk_svd_free(&svd0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_planted_rank1_intruder),
        cmocka_unit_test(test_rotation_inside_top_subspace),
        cmocka_unit_test(test_scale_singular_values),
        cmocka_unit_test(test_refactor_reproduces_dense),
        cmocka_unit_test(test_refactor_truncates),
        cmocka_unit_test(test_blind_spots),
        cmocka_unit_test(test_argument_checks),
        cmocka_unit_test(test_given_base_svd),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
