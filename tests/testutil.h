/*
 * testutil.h — what every cmocka test in ranklab shares: cmocka's headers in
 * the order it needs, paths to fixtures, a temporary directory, an allocator
 * that fails on demand, and matrix assertions that report the first
 * differing values and the max difference.
 */
#ifndef RK_TESTUTIL_H
#define RK_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ranklab.h"

/** Path of fixture @p name under tests/data (static buffer, valid until the next call). */
const char *rk_test_data(const char *name);

/** Directory of ../shared (interop fixtures and peers), or NULL when it is absent. */
const char *rk_test_shared(void);

/** A fresh temporary directory for this process (made once, removed at exit). */
const char *rk_test_tmpdir(void);

/** Path of @p name inside rk_test_tmpdir() (static buffer, valid until the next call). */
const char *rk_test_tmpfile(const char *name);

/** Write the @p n bytes at @p data to @p path (created or truncated); fails the test on any error. */
void rk_test_write_file(const char *path, const void *data, size_t n);

/** A copy of @p net's n_params parameters (malloc: free it with free()), to check later that they did not change. */
float *rk_test_params_copy(const rk_mlp *net);

/**
 * Make the library's allocator fail on the @p n-th allocation from now
 * (1 = the next one), and every one after it. n = 0 restores malloc.
 * rk_test_alloc_count() says how many allocations succeeded since the call,
 * rk_test_alloc_attempts() how many were asked for (failed ones included: a
 * code path that falls back when an allocation fails still asked).
 */
void rk_test_fail_alloc_after(long n);
long rk_test_alloc_count(void);
long rk_test_alloc_attempts(void);

/** Machine epsilon of double, 2^-52 (LAPACK's dlamch('P')). */
#define RK_EPS 2.220446049250313e-16

/**
 * The larger of @p worst and @p err, NaN when either is: a running maximum
 * of errors that a NaN cannot hide (fmax and `err > worst` skip NaN), so
 * that a final `assert_true(worst <= bound)` fails on it.
 */
double rk_test_worst(double worst, double err);

/** Assert ‖a − b‖_max ≤ tol, printing the first differing entries on failure. */
#define assert_mat_near(a, b, tol) rk_test_assert_mat_near((a), (b), (tol), __FILE__, __LINE__)
void rk_test_assert_mat_near(const rk_mat *a, const rk_mat *b, double tol, const char *file, int line);

/** Assert |a − b| ≤ tol · max(|a|, |b|, tiny), printing both on failure. */
#define assert_rel_near(a, b, tol) rk_test_assert_rel_near((a), (b), (tol), #a, #b, __FILE__, __LINE__)
void rk_test_assert_rel_near(double a, double b, double tol, const char *an, const char *bn,
                             const char *file, int line);

/** Assert status @p s equals @p want, naming both by rk_strerror on failure. */
#define assert_status(s, want) rk_test_assert_status((s), (want), #s, __FILE__, __LINE__)
void rk_test_assert_status(rk_status s, rk_status want, const char *expr, const char *file, int line);

#endif
