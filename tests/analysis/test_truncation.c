/*
 * test_truncation.c — lib/analysis/truncation.h: the error-vs-rank table
 * against the definitions, the default ranks, the summary, and the rank-r
 * LoRA factors of ΔW = W_ft − W_base checked by forming B·A (ε-scaled).
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>

#include "analysis/truncation.h"

/* Random m×n with N(0,1) entries from @p seed. */
static void random_mat(rk_mat *x, size_t m, size_t n, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    assert_status(rk_mat_create(x, m, n), RK_OK);
    rk_mat_fill_normal(x, &rng);
}

/* An exactly rank-@p r m×n matrix U·V (U m×r, V r×n Gaussian). */
static void rank_r_mat(rk_mat *x, size_t m, size_t n, size_t r, uint64_t seed)
{
    rk_mat u, v;
    random_mat(&u, m, r, seed);
    random_mat(&v, r, n, seed + 1);
    assert_status(rk_mat_mul(x, &u, &v), RK_OK);
    rk_mat_free(&u);
    rk_mat_free(&v);
}

static void test_table_definitions(void **state)
{
    (void)state;
    const double s[] = { 4.0, 3.0, 2.0, 1.0, 0.5 };
    size_t m = 7, n = 5, k = 5;
    size_t ranks[] = { 3, 0, 5, 1 };
    rk_trunc_row rows[4];
    assert_status(rk_trunc_table(s, k, m, n, ranks, 4, rows), RK_OK);
    double total = 16 + 9 + 4 + 1 + 0.25;
    for (size_t i = 0; i < 4; i++) {
        size_t r = ranks[i];
        double tail = 0;
        for (size_t j = r; j < k; j++)
            tail += s[j] * s[j];
        assert_int_equal(rows[i].r, r);
        if (tail > 0) {
            assert_rel_near(rows[i].fro_err, sqrt(tail), 4 * RK_EPS);
            assert_rel_near(rows[i].rel_err, sqrt(tail / total), 4 * RK_EPS);
        } else {
            assert_true(rows[i].fro_err == 0.0 && rows[i].rel_err == 0.0);
        }
        assert_true(rows[i].spectral_err == (r < k ? s[r] : 0.0));
        /* energy kept + relative error² = 1 */
        assert_true(fabs(rows[i].energy + rows[i].rel_err * rows[i].rel_err - 1.0) <= 8 * RK_EPS);
        assert_int_equal(rows[i].params, r * (m + n));
    }
    assert_true(rows[1].energy == 0.0 && rows[2].energy == 1.0);
}

static void test_table_errors(void **state)
{
    (void)state;
    const double s[] = { 2.0, 1.0 };
    size_t r = 3, zero = 0;
    rk_trunc_row row;
    assert_status(rk_trunc_table(s, 2, 2, 4, &r, 1, &row), RK_ERANGE);
    assert_status(rk_trunc_table(s, 2, 3, 4, &zero, 1, &row), RK_EINVAL); /* k != min(m, n) */
    assert_status(rk_trunc_table(NULL, 2, 2, 4, &zero, 1, &row), RK_EINVAL);
    assert_status(rk_trunc_table(s, 2, 2, 4, NULL, 1, &row), RK_EINVAL);
    assert_status(rk_trunc_table(s, 2, 2, 4, NULL, 0, NULL), RK_OK);
    /* The zero matrix: no error and no energy at any rank. */
    const double z[] = { 0.0, 0.0 };
    size_t ranks[] = { 0, 1, 2 };
    rk_trunc_row rows[3];
    assert_status(rk_trunc_table(z, 2, 2, 2, ranks, 3, rows), RK_OK);
    for (int i = 0; i < 3; i++)
        assert_true(rows[i].fro_err == 0 && rows[i].rel_err == 0 && rows[i].energy == 0);
    /* The empty matrix has only rank 0. */
    assert_status(rk_trunc_table(NULL, 0, 0, 3, ranks, 1, rows), RK_OK);
    assert_true(rows[0].params == 0 && rows[0].fro_err == 0);
}

static void test_default_ranks(void **state)
{
    (void)state;
    size_t r[70];
    assert_int_equal(rk_trunc_default_ranks(0, r, 70), 0);
    assert_int_equal(rk_trunc_default_ranks(1, r, 70), 1);
    assert_int_equal(r[0], 1);
    assert_int_equal(rk_trunc_default_ranks(8, r, 70), 4);
    assert_int_equal(r[0], 1);
    assert_int_equal(r[2], 4);
    assert_int_equal(r[3], 8);
    assert_int_equal(rk_trunc_default_ranks(10, r, 70), 5);
    assert_int_equal(r[3], 8);
    assert_int_equal(r[4], 10);
    /* cap: only the count comes back, nothing written past cap */
    r[2] = 12345;
    assert_int_equal(rk_trunc_default_ranks(100, r, 2), 8);
    assert_int_equal(r[2], 12345);
    assert_int_equal(rk_trunc_default_ranks(100, NULL, 0), 8);
    size_t nmax = rk_trunc_default_ranks(SIZE_MAX, r, 70);
    assert_true(nmax <= 65 && nmax >= 64);
    assert_int_equal(r[nmax - 1], SIZE_MAX);
    for (size_t i = 1; i < nmax; i++)
        assert_true(r[i] > r[i - 1]);
}

static void test_summary(void **state)
{
    (void)state;
    const double s[] = { 10.0, 1.0, 0.1, 1e-20 };
    rk_trunc_summary sum;
    assert_status(rk_trunc_summarize(s, 4, 4, 6, NULL, &sum), RK_OK);
    assert_int_equal(sum.rank, 3);
    assert_rel_near(sum.tol, 10.0 * 6 * RK_EPS, 1e-15);
    assert_int_equal(sum.rank_90, 1); /* 100/101.01 ≥ 0.9 */
    assert_int_equal(sum.rank_99, 1); /* 100/101.01 = 0.990 */
    assert_rel_near(sum.stable_rank, 101.01 / 100.0, 1e-14);
    assert_rel_near(sum.fro, sqrt(101.01), 1e-14);
    assert_true(sum.spectral == 10.0);
    assert_true(sum.effective_rank > 1.0 && sum.effective_rank < 3.0);
    rk_rank_opts rel = { RK_TOL_REL, 0.05 };
    assert_status(rk_trunc_summarize(s, 4, 4, 6, &rel, &sum), RK_OK);
    assert_int_equal(sum.rank, 2);
    assert_status(rk_trunc_summarize(NULL, 4, 4, 6, NULL, &sum), RK_EINVAL);
    assert_status(rk_trunc_summarize(s, 4, 4, 6, NULL, NULL), RK_EINVAL);
}

/* ‖X‖_F of X = D − B·A, D = the given matrix. */
static double residual_fro(const rk_mat *d, const rk_mat *b, const rk_mat *a)
{
    rk_mat x;
    assert_status(rk_mat_dup(&x, d), RK_OK);
    if (b->cols > 0)
        assert_status(rk_mat_gemm(false, false, -1.0, b, a, 1.0, &x), RK_OK);
    double f = rk_mat_norm_fro(&x);
    rk_mat_free(&x);
    return f;
}

/* W_ft = W_base + rank-3 update: ΔW recovered by rank 3, and rank 2 is Eckart–Young. */
static void test_lora_exact_rank(void **state)
{
    (void)state;
    size_t m = 20, n = 13;
    rk_mat base, upd, ft, delta;
    random_mat(&base, m, n, 11);
    rank_r_mat(&upd, m, n, 3, 12);
    assert_status(rk_mat_dup(&ft, &base), RK_OK);
    assert_status(rk_mat_axpy(&ft, 1.0, &upd), RK_OK);
    assert_status(rk_mat_dup(&delta, &ft), RK_OK);
    assert_status(rk_mat_axpy(&delta, -1.0, &base), RK_OK); /* ΔW = W_ft − W_base */

    rk_mat b, a;
    rk_trunc_row row;
    double norm = rk_mat_norm_fro(&delta);
    for (size_t r = 0; r <= 5; r++) {
        assert_status(rk_trunc_lora(&b, &a, &delta, r, NULL, &row), RK_OK);
        assert_int_equal(b.rows, m);
        assert_int_equal(b.cols, r);
        assert_int_equal(a.rows, r);
        assert_int_equal(a.cols, n);
        double formed = residual_fro(&delta, &b, &a);
        /* ‖ΔW − B·A‖_F matches the table's √(Σ_{i>r} σ²); from r = 3 on both are rounding. */
        double scale = norm * (double)(m > n ? m : n) * RK_EPS;
        if (r < 3) {
            assert_rel_near(formed, row.fro_err, 1e-10);
        } else {
            if (!(formed <= 10 * scale && row.fro_err <= 10 * scale))
                fail_msg("r = %zu: formed %.3g, table %.3g, scale %.3g", r, formed, row.fro_err, scale);
        }
        assert_int_equal(row.r, r);
        rk_mat_free(&b);
        rk_mat_free(&a);
    }
    assert_status(rk_trunc_lora(&b, &a, &delta, 14, NULL, &row), RK_ERANGE);
    assert_null(b.data);
    assert_status(rk_trunc_lora(&b, &a, NULL, 1, NULL, &row), RK_EINVAL);
    delta.data[3] = NAN;
    assert_status(rk_trunc_lora(&b, &a, &delta, 1, NULL, NULL), RK_ENONFINITE);
    rk_mat_free(&base);
    rk_mat_free(&upd);
    rk_mat_free(&ft);
    rk_mat_free(&delta);
}

/* The randomized path agrees with the dense one on a clear gap (σ_3 ≫ σ_4). */
static void test_lora_randomized(void **state)
{
    (void)state;
    size_t m = 60, n = 40, r = 3;
    rk_mat d, noise, b, a, b2, a2, x, y;
    rank_r_mat(&d, m, n, r, 21);
    random_mat(&noise, m, n, 22);
    assert_status(rk_mat_axpy(&d, 1e-6, &noise), RK_OK);
    rk_trunc_row exact, rnd;
    rk_trunc_lora_opts ro = { .randomized = true, .seed = 5 };
    assert_status(rk_trunc_lora(&b, &a, &d, r, NULL, &exact), RK_OK);
    assert_status(rk_trunc_lora(&b2, &a2, &d, r, &ro, &rnd), RK_OK);
    assert_status(rk_mat_mul(&x, &b, &a), RK_OK);
    assert_status(rk_mat_mul(&y, &b2, &a2), RK_OK);
    /* Both are [ΔW]_3 up to the noise's pull on the subspace: tiny against ‖ΔW‖. */
    double diff = rk_mat_max_abs_diff(&x, &y), norm = rk_mat_norm_fro(&d);
    if (!(diff <= 1e-9 * norm))
        fail_msg("randomized vs dense [dW]_3: max diff %.3g, ||dW||_F %.3g", diff, norm);
    assert_int_equal(rnd.r, r);
    assert_true(isnan(rnd.spectral_err));
    /* formed error against the spectrum's √(Σ_{i>3} σ²) */
    assert_rel_near(rnd.fro_err, exact.fro_err, 1e-6);
    assert_rel_near(rnd.rel_err, exact.rel_err, 1e-6);
    assert_true(fabs(rnd.energy - exact.energy) <= 1e-12);
    assert_int_equal(rnd.params, exact.params);
    /* same seed, same factors */
    rk_mat b3, a3;
    assert_status(rk_trunc_lora(&b3, &a3, &d, r, &ro, NULL), RK_OK);
    assert_true(rk_mat_max_abs_diff(&b2, &b3) == 0.0 && rk_mat_max_abs_diff(&a2, &a3) == 0.0);
    rk_mat *all[] = { &d, &noise, &b, &a, &b2, &a2, &b3, &a3, &x, &y };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rk_mat_free(all[i]);
}

static void test_lora_alloc_failures(void **state)
{
    (void)state;
    rk_mat d, b, a;
    random_mat(&d, 9, 6, 5);
    for (int mode = 0; mode < 2; mode++) {
        rk_trunc_lora_opts ro = { .randomized = mode == 1, .seed = 1 };
        int failed = 0, done = 0;
        for (long i = 1; i < 200 && !done; i++) {
            rk_trunc_row row;
            rk_test_fail_alloc_after(i);
            rk_status s = rk_trunc_lora(&b, &a, &d, 2, &ro, &row);
            rk_test_fail_alloc_after(0);
            if (s == RK_OK) {
                done = 1;
                rk_mat_free(&b);
                rk_mat_free(&a);
            } else {
                assert_status(s, RK_ENOMEM);
                assert_null(b.data);
                assert_null(a.data);
                failed++;
            }
        }
        assert_true(done && failed > 0);
    }
    rk_mat_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_definitions),
        cmocka_unit_test(test_table_errors),
        cmocka_unit_test(test_default_ranks),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_lora_exact_rank),
        cmocka_unit_test(test_lora_randomized),
        cmocka_unit_test(test_lora_alloc_failures),
    };
    return cmocka_run_group_tests_name("truncation", tests, NULL, NULL);
}
