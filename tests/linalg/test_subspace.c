/* test_subspace.c — φ (LoRA eq. 4), its table by prefix sums, principal angles. */
#include "testutil.h"

#include <math.h>

#include "testmat.h"

/* Two random orthonormal sets in R^d (independent, so partly overlapping). */
static void random_pair(rk_mat *u1, rk_mat *u2, size_t d, size_t c1, size_t c2, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    testmat_orthonormal(u1, d, c1, &rng);
    testmat_orthonormal(u2, d, c2, &rng);
}

static void test_phi_in_unit_interval_and_symmetric(void **state)
{
    (void)state;
    rk_mat u1 = { 0 }, u2 = { 0 };
    random_pair(&u1, &u2, 12, 8, 10, 1); /* d small: large overlaps, near 1 at big i, j */
    for (size_t i = 1; i <= 8; i++)
        for (size_t j = 1; j <= 10; j++) {
            double p = -1.0, q = -1.0;
            assert_status(rk_subspace_phi(&p, &u1, &u2, i, j), RK_OK);
            assert_status(rk_subspace_phi(&q, &u2, &u1, j, i), RK_OK);
            assert_true(p >= 0.0 && p <= 1.0);
            assert_true(fabs(p - q) <= 8.0 * RK_EPS);
        }
    /* 8 + 10 > 12: the subspaces must share ≥ 6 dimensions, so φ(8, 10) ≥ 6/8. */
    double p;
    assert_status(rk_subspace_phi(&p, &u1, &u2, 8, 10), RK_OK);
    assert_true(p >= 6.0 / 8.0 - 1e-12);
    rk_mat_free(&u1);
    rk_mat_free(&u2);
}

/* Chance level: for independent uniformly random subspaces E‖U1ᵀU2‖_F² =
 * i·j/d (each squared inner product has mean 1/d), so E φ(i, j) = max(i, j)/d.
 * The mean of 200 draws has a standard error well under 5% of it. */
static void test_phi_of_random_subspaces_is_chance_level(void **state)
{
    (void)state;
    enum { D = 100, I = 4, J = 8, DRAWS = 200 };
    double mean = 0.0;
    for (uint64_t seed = 0; seed < DRAWS; seed++) {
        rk_mat u1 = { 0 }, u2 = { 0 };
        random_pair(&u1, &u2, D, I, J, 1000 + seed);
        double p;
        assert_status(rk_subspace_phi(&p, &u1, &u2, I, J), RK_OK);
        mean += p / DRAWS;
        rk_mat_free(&u1);
        rk_mat_free(&u2);
    }
    print_message("# mean φ(%d, %d) in R^%d: %.4f, expected %.4f\n", I, J, D, mean, (double)J / D);
    assert_true(fabs(mean - (double)J / D) <= 0.15 * (double)J / D);
}

static void test_phi_of_a_subspace_with_itself_is_one(void **state)
{
    (void)state;
    rk_mat u1 = { 0 }, u2 = { 0 }, t = { 0 };
    random_pair(&u1, &u2, 50, 7, 7, 2);
    for (size_t i = 1; i <= 7; i++) {
        double p;
        assert_status(rk_subspace_phi(&p, &u1, &u1, i, i), RK_OK);
        assert_true(fabs(p - 1.0) <= 10.0 * (double)i * RK_EPS);
    }
    /* nested: the top i columns lie inside the top j ≥ i, so φ(i, j) = 1 */
    assert_status(rk_subspace_phi_table(&t, &u1, &u1, 7, 7), RK_OK);
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 7; j++)
            assert_true(fabs(RK_AT(&t, i, j) - 1.0) <= 100.0 * RK_EPS);
    rk_mat_free(&t);
    rk_mat_free(&u1);
    rk_mat_free(&u2);
}

static void test_phi_of_orthogonal_subspaces_is_zero(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    rk_mat q = { 0 }, t = { 0 };
    testmat_orthonormal(&q, 40, 12, &rng);
    rk_mat a = rk_mat_view_cols(&q, 0, 5), b = rk_mat_view_cols(&q, 5, 7);
    assert_status(rk_subspace_phi_table(&t, &a, &b, 5, 7), RK_OK);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 7; j++)
            assert_true(RK_AT(&t, i, j) <= 100.0 * RK_EPS * RK_EPS * 40);
    rk_mat_free(&t);
    rk_mat_free(&q);
}

/* A hand-made case: e1 against (cos θ, sin θ, 0) in R³ gives φ = cos²θ and one
 * principal angle θ; against {e1, e2} φ(1, 2) = 1. */
static void test_phi_known_angle(void **state)
{
    (void)state;
    double th = 0.3;
    /* u2's columns (cos θ, sin θ, 0) and (−sin θ, cos θ, 0), row-major 3×2 */
    double d1[3] = { 1, 0, 0 };
    double d2[6] = { cos(th), -sin(th), sin(th), cos(th), 0.0, 0.0 };
    rk_mat u1 = rk_mat_wrap(d1, 3, 1), u2 = rk_mat_wrap(d2, 3, 2);
    double p;
    assert_status(rk_subspace_phi(&p, &u1, &u2, 1, 1), RK_OK);
    assert_true(fabs(p - cos(th) * cos(th)) <= 4 * RK_EPS);
    assert_status(rk_subspace_phi(&p, &u1, &u2, 1, 2), RK_OK);
    assert_true(fabs(p - 1.0) <= 4 * RK_EPS);
    double *c = NULL;
    size_t n = 0;
    rk_mat u2a = rk_mat_view_cols(&u2, 0, 1);
    assert_status(rk_subspace_cosines(&c, &n, &u1, &u2a), RK_OK);
    assert_int_equal(n, 1);
    assert_true(fabs(acos(c[0]) - th) <= 1e-12);
    rk_free(c);
}

/* The table built from one product and prefix sums equals φ computed
 * directly for every (i, j); and φ(i, i) is the mean of cos² of the
 * principal angles between the top-i subspaces. */
static void test_phi_table_equals_direct(void **state)
{
    (void)state;
    rk_mat u1 = { 0 }, u2 = { 0 }, t = { 0 };
    random_pair(&u1, &u2, 30, 9, 6, 4);
    assert_status(rk_subspace_phi_table(&t, &u1, &u2, 9, 6), RK_OK);
    assert_int_equal(t.rows, 9);
    assert_int_equal(t.cols, 6);
    double worst = 0.0;
    for (size_t i = 1; i <= 9; i++)
        for (size_t j = 1; j <= 6; j++) {
            double p;
            assert_status(rk_subspace_phi(&p, &u1, &u2, i, j), RK_OK);
            worst = rk_test_worst(worst, fabs(p - RK_AT(&t, i - 1, j - 1)));
        }
    print_message("# max |table − direct| = %.3g\n", worst);
    assert_true(worst <= 9 * 6 * RK_EPS);
    for (size_t i = 1; i <= 6; i++) {
        rk_mat a = rk_mat_view_cols(&u1, 0, i), b = rk_mat_view_cols(&u2, 0, i);
        double *c = NULL, mean = 0.0;
        size_t n = 0;
        assert_status(rk_subspace_cosines(&c, &n, &a, &b), RK_OK);
        assert_int_equal(n, i);
        for (size_t k = 0; k < n; k++) {
            assert_true(c[k] >= 0.0 && c[k] <= 1.0 && (k == 0 || c[k] <= c[k - 1]));
            mean += c[k] * c[k] / (double)n;
        }
        assert_true(fabs(mean - RK_AT(&t, i - 1, i - 1)) <= 1e-13);
        rk_free(c);
    }
    rk_mat_free(&t);
    rk_mat_free(&u1);
    rk_mat_free(&u2);
}

/* From matrices: 3·A has A's singular vectors on both sides; Q·A (Q
 * orthogonal) keeps A's right singular vectors but rotates the left ones. */
static void test_phi_of_matrices(void **state)
{
    (void)state;
    double s[20];
    for (size_t i = 0; i < 20; i++)
        s[i] = 20.0 - (double)i;
    rk_mat a = { 0 }, a3 = { 0 }, qa = { 0 }, q = { 0 }, t = { 0 };
    testmat_with_spectrum(&a, 25, 20, s, 5);
    assert_status(rk_mat_dup(&a3, &a), RK_OK);
    rk_mat_scale(&a3, 3.0);
    rk_rng rng;
    rk_rng_seed(&rng, 6);
    testmat_orthonormal(&q, 25, 25, &rng);
    assert_status(rk_mat_mul(&qa, &q, &a), RK_OK);

    for (int side = RK_SIDE_LEFT; side <= RK_SIDE_RIGHT; side++) {
        assert_status(rk_subspace_phi_matrices(&t, &a, &a3, (rk_side)side, 6, 4), RK_OK);
        for (size_t i = 0; i < 6; i++)
            for (size_t j = 0; j < 4; j++)
                assert_true(fabs(RK_AT(&t, i, j) - 1.0) <= 1e-12);
        rk_mat_free(&t);
    }
    assert_status(rk_subspace_phi_matrices(&t, &a, &qa, RK_SIDE_RIGHT, 5, 5), RK_OK);
    for (size_t i = 0; i < 5; i++)
        assert_true(fabs(RK_AT(&t, i, i) - 1.0) <= 1e-12);
    rk_mat_free(&t);
    assert_status(rk_subspace_phi_matrices(&t, &a, &qa, RK_SIDE_LEFT, 5, 5), RK_OK);
    assert_true(RK_AT(&t, 0, 0) < 0.9); /* a random rotation moves the top left direction */
    rk_mat_free(&t);

    rk_mat at = { 0 };
    assert_status(rk_mat_transpose(&at, &a), RK_OK);
    assert_status(rk_subspace_phi_matrices(&t, &a, &at, RK_SIDE_LEFT, 2, 2), RK_ESHAPE);
    assert_status(rk_subspace_phi_matrices(&t, &a, &a3, RK_SIDE_LEFT, 21, 2), RK_ERANGE);
    assert_status(rk_subspace_phi_matrices(&t, &a, &a3, (rk_side)7, 2, 2), RK_EINVAL);
    assert_null(t.data);
    rk_mat_free(&at);
    rk_mat_free(&a);
    rk_mat_free(&a3);
    rk_mat_free(&qa);
    rk_mat_free(&q);
}

/* From decompositions: the table from rk_svd structs equals the one from
 * explicit vectors (V = Vtᵀ on the right), and a randomized SVD of a matrix
 * with a spectral gap finds the same top subspaces as the exact one. */
static void test_phi_of_decompositions(void **state)
{
    (void)state;
    double s[30];
    for (size_t i = 0; i < 30; i++)
        s[i] = i < 5 ? 10.0 - (double)i : 1e-3 / (1.0 + (double)i);
    rk_mat a = { 0 }, b = { 0 }, v1 = { 0 }, v2 = { 0 }, t1 = { 0 }, t2 = { 0 };
    testmat_with_spectrum(&a, 40, 30, s, 21);
    testmat_with_spectrum(&b, 40, 30, s, 22);
    rk_svd sa = { 0 }, sb = { 0 }, fa = { 0 };
    assert_status(rk_svd_decomp(&sa, &a, RK_SVD_THIN), RK_OK);
    assert_status(rk_svd_decomp(&sb, &b, RK_SVD_THIN), RK_OK);
    assert_status(rk_subspace_phi_svd(&t1, &sa, &sb, RK_SIDE_RIGHT, 6, 4), RK_OK);
    assert_status(rk_mat_transpose(&v1, &sa.vt), RK_OK);
    assert_status(rk_mat_transpose(&v2, &sb.vt), RK_OK);
    assert_status(rk_subspace_phi_table(&t2, &v1, &v2, 6, 4), RK_OK);
    assert_mat_near(&t1, &t2, 1e-15);
    rk_mat_free(&t1);
    rk_mat_free(&t2);
    // from the matrices: the table as the definition gives it, summed here from
    // the left singular vectors, φ(i, j) = Σ_{p≤i, q≤j} (u1_pᵀ u2_q)² / min(i, j)
    assert_status(rk_subspace_phi_matrices(&t2, &a, &b, RK_SIDE_LEFT, 6, 4), RK_OK);
    assert_int_equal(t2.rows, 6);
    assert_int_equal(t2.cols, 4);
    for (size_t i = 1; i <= 6; i++)
        for (size_t j = 1; j <= 4; j++) {
            double sum = 0.0;
            for (size_t p = 0; p < i; p++)
                for (size_t q = 0; q < j; q++) {
                    double dot = 0.0;
                    for (size_t r = 0; r < 40; r++)
                        dot += RK_AT(&sa.u, r, p) * RK_AT(&sb.u, r, q);
                    sum += dot * dot;
                }
            double want = sum / (double)(i < j ? i : j);
            // each dot product carries ~40ε of rounding, each φ a few times that
            assert_true(fabs(RK_AT(&t2, i - 1, j - 1) - want) <= 1e-13);
        }
    rk_mat_free(&t2);

    rk_rsvd_opts o = rk_rsvd_opts_default(5);
    assert_status(rk_rsvd(&fa, &a, &o), RK_OK);
    for (int side = RK_SIDE_LEFT; side <= RK_SIDE_RIGHT; side++) {
        assert_status(rk_subspace_phi_svd(&t1, &sa, &fa, (rk_side)side, 5, 5), RK_OK);
        for (size_t i = 0; i < 5; i++)
            assert_true(fabs(RK_AT(&t1, i, i) - 1.0) <= 1e-12);
        rk_mat_free(&t1);
    }
    assert_status(rk_subspace_phi_svd(&t1, &sa, &fa, RK_SIDE_RIGHT, 6, 6), RK_ERANGE);
    assert_status(rk_subspace_phi_svd(&t1, &sa, &fa, (rk_side)3, 1, 1), RK_EINVAL);
    assert_status(rk_subspace_phi_svd(&t1, &sa, NULL, RK_SIDE_LEFT, 1, 1), RK_EINVAL);
    rk_svd_free(&sa);
    rk_svd_free(&sb);
    rk_svd_free(&fa);
    rk_mat_free(&a);
    rk_mat_free(&b);
    rk_mat_free(&v1);
    rk_mat_free(&v2);
}

static void test_phi_argument_checks(void **state)
{
    (void)state;
    rk_mat u1 = { 0 }, u2 = { 0 }, u3 = { 0 }, t = { 0 };
    random_pair(&u1, &u2, 10, 3, 4, 7);
    random_pair(&u3, &t, 11, 3, 1, 8);
    rk_mat_free(&t);
    double p;
    assert_status(rk_subspace_phi(&p, &u1, &u2, 0, 1), RK_ERANGE);
    assert_status(rk_subspace_phi(&p, &u1, &u2, 1, 0), RK_ERANGE);
    assert_status(rk_subspace_phi(&p, &u1, &u2, 4, 1), RK_ERANGE);
    assert_status(rk_subspace_phi(&p, &u1, &u2, 3, 5), RK_ERANGE);
    assert_status(rk_subspace_phi(&p, &u1, &u3, 1, 1), RK_ESHAPE);
    assert_status(rk_subspace_phi(NULL, &u1, &u2, 1, 1), RK_EINVAL);
    assert_status(rk_subspace_phi(&p, NULL, &u2, 1, 1), RK_EINVAL);
    assert_status(rk_subspace_phi_table(&t, &u1, &u2, 4, 4), RK_ERANGE);
    assert_status(rk_subspace_phi_table(NULL, &u1, &u2, 1, 1), RK_EINVAL);
    double *c = NULL;
    size_t n = 9;
    assert_status(rk_subspace_cosines(&c, &n, &u1, &u3), RK_ESHAPE);
    assert_null(c);
    assert_int_equal(n, 0);
    RK_AT(&u2, 0, 1) = NAN;
    assert_status(rk_subspace_phi(&p, &u1, &u2, 1, 2), RK_ENONFINITE);
    assert_status(rk_subspace_phi(&p, &u1, &u2, 1, 1), RK_OK); /* only the compared columns count */
    assert_status(rk_subspace_phi_table(&t, &u1, &u2, 2, 2), RK_ENONFINITE);
    assert_status(rk_subspace_cosines(&c, &n, &u1, &u2), RK_ENONFINITE);
    assert_null(t.data);
    rk_mat_free(&u1);
    rk_mat_free(&u2);
    rk_mat_free(&u3);
}

static void test_phi_allocation_failures(void **state)
{
    (void)state;
    double s[12];
    for (size_t i = 0; i < 12; i++)
        s[i] = 1.0 + (double)(12 - i);
    rk_mat a = { 0 }, b = { 0 }, t = { 0 };
    testmat_with_spectrum(&a, 15, 12, s, 9);
    testmat_with_spectrum(&b, 15, 12, s, 10);
    int failures = 0;
    for (long n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_subspace_phi_matrices(&t, &a, &b, RK_SIDE_RIGHT, 4, 3);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_null(t.data);
        failures++;
    }
    assert_true(failures >= 4);
    rk_mat_free(&t);
    double *c = NULL;
    size_t cnt;
    for (long n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_subspace_cosines(&c, &cnt, &a, &b);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_null(c);
    }
    rk_free(c);
    rk_mat_free(&a);
    rk_mat_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_phi_in_unit_interval_and_symmetric),
        cmocka_unit_test(test_phi_of_random_subspaces_is_chance_level),
        cmocka_unit_test(test_phi_of_a_subspace_with_itself_is_one),
        cmocka_unit_test(test_phi_of_orthogonal_subspaces_is_zero),
        cmocka_unit_test(test_phi_known_angle),
        cmocka_unit_test(test_phi_table_equals_direct),
        cmocka_unit_test(test_phi_of_matrices),
        cmocka_unit_test(test_phi_of_decompositions),
        cmocka_unit_test(test_phi_argument_checks),
        cmocka_unit_test(test_phi_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
