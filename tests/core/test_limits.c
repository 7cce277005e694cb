/*
 * test_limits.c — what must stay cheap or be refused at the edges: empty
 * matrices with 2^62 rows (every mat.c loop returns at once), and the
 * OpenBLAS memory plan under an address-space limit (rk_blas_memory_plan).
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>

#define MIB ((size_t)1 << 20)

/* A 2^62 × 0 matrix and a 0 × 2^62 one: no data, nothing to loop over. A
 * per-row loop would take years; the meson timeout ends such a test. */
static void test_huge_empty(void **state)
{
    (void)state;
    size_t huge = (size_t)1 << 62;
    rk_mat shapes[2] = { { huge, 0, 0, NULL, 0 }, { 0, huge, huge, NULL, 0 } };
    for (int k = 0; k < 2; k++) {
        rk_mat *e = &shapes[k], f = *e;
        assert_status(rk_mat_axpy(e, 2.0, &f), RK_OK);
        assert_status(rk_mat_copy(e, &f), RK_OK);
        rk_mat_fill(e, 1.0);
        rk_mat_scale(e, 3.0);
        rk_mat_set_identity(e);
        rk_rng rng;
        rk_rng_seed(&rng, 1);
        rk_mat_fill_normal(e, &rng);
        assert_true(rk_mat_is_finite(e));
        assert_true(rk_mat_norm_fro(e) == 0.0);
        assert_true(rk_mat_norm_1(e) == 0.0);
        assert_true(rk_mat_max_abs_diff(e, &f) == 0.0);
        rk_mat t;
        assert_status(rk_mat_transpose(&t, e), RK_OK);
        assert_int_equal(t.rows, e->cols);
        assert_int_equal(t.cols, e->rows);
        rk_mat_free(&t);
        rk_mat d;
        assert_status(rk_mat_dup(&d, e), RK_OK);
        rk_mat_free(&d);
    }
}

static void test_memory_plan(void **state)
{
    (void)state;
    size_t stack = 8 * MIB;
    /* need(t) = 64 MiB + t·128 MiB + (t − 1)·stack */
    rk_blas_mem_plan p = rk_blas_memory_plan(SIZE_MAX, 64, stack);
    assert_int_equal(p.action, RK_BLAS_MEM_OK);
    p = rk_blas_memory_plan(1000 * MIB, 2, stack);
    assert_int_equal(p.action, RK_BLAS_MEM_OK);
    assert_int_equal(p.need, (64 + 256 + 8) * MIB);
    assert_int_equal(p.need_one, (64 + 128) * MIB);
    p = rk_blas_memory_plan(328 * MIB, 2, stack);   /* exactly enough */
    assert_int_equal(p.action, RK_BLAS_MEM_OK);
    p = rk_blas_memory_plan(328 * MIB - 1, 2, stack);
    assert_int_equal(p.action, RK_BLAS_MEM_ONE_THREAD);
    p = rk_blas_memory_plan(192 * MIB, 2, stack);
    assert_int_equal(p.action, RK_BLAS_MEM_ONE_THREAD);
    p = rk_blas_memory_plan(192 * MIB - 1, 2, stack);
    assert_int_equal(p.action, RK_BLAS_MEM_TOO_SMALL);
    p = rk_blas_memory_plan(100 * MIB, 1, stack);
    assert_int_equal(p.action, RK_BLAS_MEM_TOO_SMALL);
    assert_int_equal(p.threads, 1);
    p = rk_blas_memory_plan(150 * MIB, 0, stack);   /* 0 threads count as 1 */
    assert_int_equal(p.threads, 1);
    assert_int_equal(p.action, RK_BLAS_MEM_TOO_SMALL);
    /* A thread count whose need overflows size_t needs more than any limit. */
    p = rk_blas_memory_plan(SIZE_MAX - 1, 1 << 30, SIZE_MAX / 2);
    assert_int_equal(p.need, SIZE_MAX);
    assert_int_equal(p.action, RK_BLAS_MEM_ONE_THREAD);
    /* This process's own limit (meson sets none, but any answer is a decision). */
    p = rk_blas_memory_check(1);
    assert_true(p.action == RK_BLAS_MEM_OK || p.limit != SIZE_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_huge_empty),
        cmocka_unit_test(test_memory_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
