/* testutil.c — shared test helpers: fixtures, temp files, failing allocator, asserts. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *rk_test_data(const char *name)
{
    static char buf[4096];
    const char *dir = getenv("RK_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", name);
    return buf;
}

const char *rk_test_shared(void)
{
    static char buf[4096];
    const char *dir = getenv("RK_SHARED_DIR");
    struct stat st;
    if (!dir || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    snprintf(buf, sizeof buf, "%s", dir);
    return buf;
}

static char tmpdir[256];

static void remove_tmpdir(void)
{
    DIR *d = opendir(tmpdir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(path, sizeof path, "%s/%s", tmpdir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(tmpdir);
}

const char *rk_test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/ranklab-test-XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmpdir)) {
            fprintf(stderr, "cannot create a temporary directory\n");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *rk_test_tmpfile(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", rk_test_tmpdir(), name);
    return buf;
}

void rk_test_write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

float *rk_test_params_copy(const rk_mlp *net)
{
    float *copy = malloc(net->n_params * sizeof *copy);
    assert_non_null(copy);
    memcpy(copy, net->params, net->n_params * sizeof *copy);
    return copy;
}

static long fail_after, alloc_count, alloc_attempts;

static void *failing_alloc(size_t size, void *ctx)
{
    (void)ctx;
    alloc_attempts++;
    if (fail_after > 0 && alloc_count + 1 >= fail_after)
        return NULL;
    alloc_count++;
    return malloc(size);
}

static void plain_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

void rk_test_fail_alloc_after(long n)
{
    fail_after = n;
    alloc_count = 0;
    alloc_attempts = 0;
    if (n <= 0) {
        rk_set_allocator(NULL);
        return;
    }
    rk_allocator a = { failing_alloc, plain_free, NULL };
    rk_set_allocator(&a);
}

long rk_test_alloc_count(void) { return alloc_count; }

long rk_test_alloc_attempts(void) { return alloc_attempts; }

double rk_test_worst(double worst, double err)
{
    if (isnan(worst) || isnan(err))
        return NAN;
    return err > worst ? err : worst;
}

void rk_test_assert_mat_near(const rk_mat *a, const rk_mat *b, double tol, const char *file, int line)
{
    if (a->rows != b->rows || a->cols != b->cols) {
        print_error("shapes differ: %zux%zu vs %zux%zu\n", a->rows, a->cols, b->rows, b->cols);
        _fail(file, line);
    }
    double worst = rk_mat_max_abs_diff(a, b);
    if (!(worst <= tol)) {
        int shown = 0;
        for (size_t i = 0; i < a->rows && shown < 5; i++)
            for (size_t j = 0; j < a->cols && shown < 5; j++) {
                double x = RK_AT(a, i, j), y = RK_AT(b, i, j);
                if (!(fabs(x - y) <= tol)) {
                    print_error("  (%zu,%zu): %.17g vs %.17g\n", i, j, x, y);
                    shown++;
                }
            }
        print_error("max |a - b| = %.3g > tol %.3g\n", worst, tol);
        _fail(file, line);
    }
}

void rk_test_assert_rel_near(double a, double b, double tol, const char *an, const char *bn,
                             const char *file, int line)
{
    double scale = fmax(fmax(fabs(a), fabs(b)), 1e-300);
    if (!(fabs(a - b) <= tol * scale)) {
        print_error("%s = %.17g, %s = %.17g: relative difference %.3g > %.3g\n", an, a, bn, b,
                    fabs(a - b) / scale, tol);
        _fail(file, line);
    }
}

void rk_test_assert_status(rk_status s, rk_status want, const char *expr, const char *file, int line)
{
    if (s != want) {
        print_error("%s returned %d (%s), expected %d (%s)\n", expr, (int)s, rk_strerror(s),
                    (int)want, rk_strerror(want));
        _fail(file, line);
    }
}
