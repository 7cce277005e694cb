/* test_file.c — lib/io/file.h: what is not a regular file is refused without
 * blocking, and atomic outputs get ordinary permissions and leave no trace
 * when they fail. */
#include "testutil.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A FIFO in the test directory (opening it for reading would block). */
static const char *make_fifo(const char *name)
{
    const char *path = rk_test_tmpfile(name);
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    return path;
}

static void test_fifo_is_refused_without_blocking(void **state)
{
    (void)state;
    static char path[4096];
    snprintf(path, sizeof path, "%s", make_fifo("fifo.npy"));
    rk_err err;
    FILE *f = (FILE *)&err;
    size_t size = 7;
    assert_status(rk_file_open_regular(path, &f, &size, &err), RK_EIO);
    assert_null(f);
    assert_non_null(strstr(err.msg, "not a regular file (a device, FIFO or socket)"));
    unsigned char *data = (unsigned char *)path;
    assert_status(rk_file_read_all(path, 1000, &data, &size, &err), RK_EIO);
    assert_null(data);
    rk_mat m;
    assert_status(rk_npy_read(path, &m, NULL, &err), RK_EIO);
    assert_null(m.data);
    assert_status(rk_matrix_load(path, &m, &err), RK_EIO);
    rk_st_file st;
    assert_status(rk_st_open(&st, path, &err), RK_EIO);
    rk_idx idx;
    assert_status(rk_idx_read(path, &idx, &err), RK_EIO);
    unlink(path);
}

static void test_devices_and_directories_are_refused(void **state)
{
    (void)state;
    rk_err err;
    FILE *f;
    assert_status(rk_file_open_regular("/dev/null", &f, NULL, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    assert_status(rk_file_open_regular(rk_test_tmpdir(), &f, NULL, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "(a directory)"));
    assert_status(rk_file_open_regular(rk_test_tmpfile("no-such-file"), &f, NULL, &err), RK_ENOENT);
    rk_mat m;
    assert_status(rk_matrix_load("/dev/zero", &m, &err), RK_EIO);
}

static void test_regular_file_opens_with_its_size(void **state)
{
    (void)state;
    static char path[4096];
    snprintf(path, sizeof path, "%s", rk_test_tmpfile("seven.bin"));
    rk_err err;
    assert_status(rk_file_write_all(path, "1234567", 7, &err), RK_OK);
    FILE *f;
    size_t size = 0;
    assert_status(rk_file_open_regular(path, &f, &size, &err), RK_OK);
    assert_int_equal(size, 7);
    char buf[8] = { 0 };
    assert_int_equal(fread(buf, 1, 8, f), 7); /* blocking mode again: reads to the end */
    assert_string_equal(buf, "1234567");
    assert_int_equal(fclose(f), 0);
    unlink(path);
}

/* The temporary file is created 0666 & ~umask like any new file, not mkstemp's 0600. */
static void test_atomic_output_mode_follows_umask(void **state)
{
    (void)state;
    static char path[4096];
    snprintf(path, sizeof path, "%s", rk_test_tmpfile("mode.bin"));
    mode_t old = umask(022);
    rk_err err;
    assert_status(rk_file_write_all(path, "x", 1, &err), RK_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
    umask(027);
    unlink(path);
    assert_status(rk_file_write_all(path, "x", 1, &err), RK_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    umask(old);
    unlink(path);
}

/* Two outputs open beside the same final path get different temporary names. */
static void test_atomic_outputs_do_not_collide(void **state)
{
    (void)state;
    static char path[4096];
    snprintf(path, sizeof path, "%s", rk_test_tmpfile("twice.bin"));
    rk_atomic_file a, b;
    rk_err err;
    assert_status(rk_atomic_open(&a, path, &err), RK_OK);
    assert_status(rk_atomic_open(&b, path, &err), RK_OK);
    assert_string_not_equal(a.tmp_path, b.tmp_path);
    assert_int_equal(fputs("first", a.f) >= 0, 1);
    assert_int_equal(fputs("second", b.f) >= 0, 1);
    assert_status(rk_atomic_commit(&a, &err), RK_OK);
    assert_status(rk_atomic_commit(&b, &err), RK_OK);
    unsigned char *data;
    size_t size;
    assert_status(rk_file_read_all(path, 100, &data, &size, &err), RK_OK);
    assert_int_equal(size, 6);
    assert_memory_equal(data, "second", 6);
    rk_free(data);
    unlink(path);
}

/* A failed commit (the final path became a directory meanwhile) removes the temporary file. */
static void test_failed_commit_leaves_nothing(void **state)
{
    (void)state;
    static char dir[4096];
    snprintf(dir, sizeof dir, "%s", rk_test_tmpfile("out-dir"));
    rmdir(dir);
    rk_atomic_file af;
    rk_err err;
    assert_status(rk_atomic_open(&af, dir, &err), RK_OK);
    assert_int_equal(mkdir(dir, 0700), 0);
    static char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s", af.tmp_path);
    assert_status(rk_atomic_commit(&af, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "cannot rename"));
    assert_int_equal(access(tmp, F_OK), -1);
    assert_null(af.tmp_path);
    rmdir(dir);
    rk_atomic_file none = { 0 };
    assert_status(rk_atomic_commit(&none, &err), RK_EINVAL);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    static char path[4096];
    snprintf(path, sizeof path, "%s", rk_test_tmpfile("alloc.bin"));
    int failures = 0;
    for (long n = 1; n < 20; n++) {
        rk_err err;
        rk_test_fail_alloc_after(n);
        rk_status st = rk_file_write_all(path, "abc", 3, &err);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_int_equal(access(path, F_OK), -1);
        failures++;
    }
    assert_true(failures >= 1);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fifo_is_refused_without_blocking),
        cmocka_unit_test(test_devices_and_directories_are_refused),
        cmocka_unit_test(test_regular_file_opens_with_its_size),
        cmocka_unit_test(test_atomic_output_mode_follows_umask),
        cmocka_unit_test(test_atomic_outputs_do_not_collide),
        cmocka_unit_test(test_failed_commit_leaves_nothing),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
