/* test_output.c — lib/io/output.h: what each kind of output path gets (links
 * followed and kept, FIFOs and devices written in place, directories and
 * empty names refused), folder outputs swapped in whole, file groups
 * committed together, and the registry of temporaries a signal handler
 * empties. Everything lives in the test's own temporary directory. */
#define _XOPEN_SOURCE 700 /* mknod */
#include "testutil.h"
#include "io/output_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

/* A path in the test directory, in a buffer of its own. */
static char *tmp(const char *name)
{
    static char bufs[16][4096];
    static int next;
    char *b = bufs[next++ % 16];
    snprintf(b, 4096, "%s", rk_test_tmpfile(name));
    return b;
}

/* Contents of a small file as a string ("" when missing). */
static const char *slurp(const char *path)
{
    static char buf[256];
    buf[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
    }
    return buf;
}

static void put(const char *path, const char *text)
{
    rk_err err;
    assert_status(rk_file_write_all(path, text, strlen(text), &err), RK_OK);
}

/* No name in the test directory contains @p part. */
static bool none_named(const char *dir, const char *part)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -q -- '%s'", dir, part);
    return system(cmd) != 0;
}

static void test_classify_each_kind(void **state)
{
    (void)state;
    rk_output_kind kind;
    char *res = NULL;
    rk_err err;
    assert_status(rk_output_classify("", &kind, &res, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, "empty output name"));
    assert_status(rk_output_classify("-", &kind, &res, &err), RK_OK);
    assert_int_equal(kind, RK_OUTPUT_STREAM);
    assert_string_equal(res, "-");
    rk_free(res);
    char *file = tmp("kind.txt"), *dir = tmp("kind-dir"), *fifo = tmp("kind.fifo");
    put(file, "x");
    mkdir(dir, 0700);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    const struct { const char *path; rk_output_kind kind; } cases[] = {
        { file, RK_OUTPUT_REGULAR }, { dir, RK_OUTPUT_DIRECTORY }, { fifo, RK_OUTPUT_STREAM },
        { tmp("kind-missing"), RK_OUTPUT_MISSING },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_status(rk_output_classify(cases[i].path, &kind, NULL, &err), RK_OK);
        assert_int_equal(kind, cases[i].kind);
    }
    /* A chain of links, one relative: resolved to the file at its end. */
    char *l1 = tmp("kind-l1"), *l2 = tmp("kind-l2");
    unlink(l1);
    unlink(l2);
    assert_int_equal(symlink("kind.txt", l1), 0);
    assert_int_equal(symlink(l1, l2), 0);
    assert_status(rk_output_classify(l2, &kind, &res, &err), RK_OK);
    assert_int_equal(kind, RK_OUTPUT_REGULAR);
    assert_string_equal(res, file);
    rk_free(res);
    char *loop = tmp("kind-loop");
    unlink(loop);
    assert_int_equal(symlink("kind-loop", loop), 0);
    assert_status(rk_output_classify(loop, &kind, NULL, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "symbolic links"));
}

static void test_link_stays_a_link(void **state)
{
    (void)state;
    char *target = tmp("lt-target"), *link = tmp("lt-link");
    put(target, "old");
    unlink(link);
    assert_int_equal(symlink("lt-target", link), 0);
    rk_err err;
    assert_status(rk_file_write_all(link, "new", 3, &err), RK_OK);
    struct stat sb;
    assert_int_equal(lstat(link, &sb), 0);
    assert_true(S_ISLNK(sb.st_mode));
    assert_string_equal(slurp(target), "new");
    assert_true(none_named(rk_test_tmpdir(), "lt-target.tmp-"));
}

/* A FIFO is written in place: a child reads what the writer sends. */
static void test_fifo_written_directly(void **state)
{
    (void)state;
    char *fifo = tmp("direct.fifo"), *got = tmp("direct.got");
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char buf[64] = { 0 };
        int fd = open(fifo, O_RDONLY);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        FILE *f = fopen(got, "wb");
        if (f && n > 0)
            fwrite(buf, 1, (size_t)n, f);
        _exit(f && n > 0 && fclose(f) == 0 ? 0 : 1);
    }
    rk_atomic_file af;
    rk_err err;
    assert_status(rk_atomic_open(&af, fifo, &err), RK_OK);
    assert_true(af.direct);
    fputs("through", af.f);
    assert_status(rk_atomic_commit(&af, &err), RK_OK);
    int wst;
    assert_int_equal(waitpid(pid, &wst, 0), pid);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    assert_string_equal(slurp(got), "through");
    struct stat sb;
    assert_int_equal(lstat(fifo, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
}

/* A character device made in the test directory (root only): still one afterwards. */
static void test_device_written_directly(void **state)
{
    (void)state;
    char *dev = tmp("null-device");
    unlink(dev);
    if (geteuid() != 0 || mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0) {
        skip(); /* mknod of a device needs root */
    }
    rk_err err;
    assert_status(rk_file_write_all(dev, "gone", 4, &err), RK_OK);
    struct stat sb;
    assert_int_equal(lstat(dev, &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
    char *full = tmp("full-device");
    unlink(full);
    assert_int_equal(mknod(full, S_IFCHR | 0666, makedev(1, 7)), 0);
    assert_status(rk_file_write_all(full, "x", 1, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "No space left"));
    assert_int_equal(lstat(full, &sb), 0);
    assert_true(S_ISCHR(sb.st_mode));
    unlink(dev);
    unlink(full);
}

static void test_check_and_same(void **state)
{
    (void)state;
    rk_err err;
    assert_status(rk_output_check("", &err), RK_EINVAL);
    assert_status(rk_output_check(tmp("no-such-folder/x"), &err), RK_ENOENT);
    assert_non_null(strstr(err.msg, "no such folder"));
    assert_status(rk_output_check(rk_test_tmpdir(), &err), RK_EIO);
    assert_non_null(strstr(err.msg, "is a directory"));
    assert_status(rk_output_check(tmp("fresh.npy"), &err), RK_OK);
    bool same = false;
    char *a = tmp("same-a"), *b = tmp("same-b");
    unlink(b);
    put(a, "a");
    assert_int_equal(symlink("same-a", b), 0);
    assert_status(rk_output_same(a, b, &same, &err), RK_OK);
    assert_true(same);
    char other[4200];
    snprintf(other, sizeof other, "%s/./same-new", rk_test_tmpdir());
    assert_status(rk_output_same(other, tmp("same-new"), &same, &err), RK_OK);
    assert_true(same); /* neither exists: the same name in the same folder */
    assert_status(rk_output_same(a, tmp("same-new"), &same, &err), RK_OK);
    assert_false(same);
    assert_status(rk_output_same("-", "-", &same, &err), RK_OK);
    assert_true(same);
}

static const char *const owned[] = { "*.txt", "sub", NULL };

/* A folder output with one file FILE holding TEXT: opened, written, committed. */
static rk_status write_folder(const char *path, const char *text, rk_err *err)
{
    rk_out_dir d;
    rk_status st = rk_out_dir_open(&d, path, owned, err);
    if (st)
        return st;
    char f[4300];
    snprintf(f, sizeof f, "%s/a.txt", d.tmp_path);
    put(f, text);
    snprintf(f, sizeof f, "%s/sub", d.tmp_path);
    mkdir(f, 0777);
    snprintf(f, sizeof f, "%s/sub/b.txt", d.tmp_path);
    put(f, text);
    return rk_out_dir_commit(&d, err);
}

static void test_folder_swapped_whole(void **state)
{
    (void)state;
    char *dir = tmp("swap"), *a = tmp("swap/a.txt"), *b = tmp("swap/sub/b.txt"), *old = tmp("swap/old.txt");
    rk_err err;
    assert_status(write_folder(dir, "one", &err), RK_OK);
    put(old, "from the first run");
    assert_status(write_folder(dir, "two", &err), RK_OK);
    assert_string_equal(slurp(a), "two");
    assert_string_equal(slurp(b), "two");
    assert_int_equal(access(old, F_OK), -1); /* replaced whole: nothing of the old one stays */
    assert_true(none_named(rk_test_tmpdir(), "swap.tmp-"));
    assert_true(none_named(rk_test_tmpdir(), "swap.old-"));
    /* Aborted: the old folder as it was, the temporary gone. */
    rk_out_dir d;
    assert_status(rk_out_dir_open(&d, dir, owned, &err), RK_OK);
    char f[4300];
    snprintf(f, sizeof f, "%s/a.txt", d.tmp_path);
    put(f, "three");
    rk_out_dir_abort(&d);
    assert_null(d.tmp_path);
    assert_string_equal(slurp(a), "two");
    assert_true(none_named(rk_test_tmpdir(), "swap.tmp-"));
}

/* The swap of file systems without RENAME_EXCHANGE: old aside, new in, old removed. */
static void test_folder_swap_fallback(void **state)
{
    (void)state;
    char *dir = tmp("fallback"), *a = tmp("fallback/a.txt");
    rk_err err;
    rk_out_dir d;
    for (int round = 0; round < 2; round++) { /* a new folder, then one replaced */
        assert_status(rk_out_dir_open(&d, dir, owned, &err), RK_OK);
        char f[4300];
        snprintf(f, sizeof f, "%s/a.txt", d.tmp_path);
        put(f, round ? "second" : "first");
        assert_status(rk_out_dir_commit_by_backup(&d, &err), RK_OK);
        assert_string_equal(slurp(a), round ? "second" : "first");
    }
    assert_true(none_named(rk_test_tmpdir(), "fallback.tmp-"));
    assert_true(none_named(rk_test_tmpdir(), "fallback.old-"));
}

static void test_folder_refusals(void **state)
{
    (void)state;
    rk_out_dir d;
    rk_err err;
    assert_status(rk_out_dir_open(&d, "", owned, &err), RK_EINVAL);
    assert_status(rk_out_dir_open(&d, "/", owned, &err), RK_EINVAL);
    assert_status(rk_out_dir_open(&d, ".", owned, &err), RK_EINVAL);
    char dots[4200];
    snprintf(dots, sizeof dots, "%s/..", rk_test_tmpdir());
    assert_status(rk_out_dir_open(&d, dots, owned, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, "names no folder"));
    char *file = tmp("not-a-folder"), *foreign = tmp("foreign"), *keep = tmp("foreign/keep.bin");
    put(file, "x");
    assert_status(rk_out_dir_open(&d, file, owned, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "is not a directory"));
    mkdir(foreign, 0700);
    put(keep, "mine");
    assert_status(rk_out_dir_open(&d, foreign, owned, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "holds 'keep.bin'"));
    assert_string_equal(slurp(keep), "mine");
    assert_null(d.tmp_path);
    /* Missing parents are created before the work. */
    assert_status(rk_out_dir_open(&d, tmp("p1/p2/out"), owned, &err), RK_OK);
    struct stat sb;
    assert_int_equal(stat(tmp("p1/p2"), &sb), 0);
    rk_out_dir_abort(&d);
    assert_int_equal(stat(tmp("p1/p2/out"), &sb), -1);
}

/* A group fails as one: the second file's write error leaves both old files. */
static void test_group_commit(void **state)
{
    (void)state;
    char *pa = tmp("g_A"), *pb = tmp("g_B");
    put(pa, "oldA");
    put(pb, "oldB");
    rk_atomic_file af[2];
    rk_err err;
    assert_status(rk_atomic_open(&af[0], pb, &err), RK_OK);
    assert_status(rk_atomic_open(&af[1], pa, &err), RK_OK);
    fputs("newB", af[0].f);
    fputs("newA", af[1].f);
    assert_status(rk_atomic_commit_group(af, 2, &err), RK_OK);
    assert_string_equal(slurp(pa), "newA");
    assert_string_equal(slurp(pb), "newB");
    /* Now the second stream fails (its descriptor closed under it). */
    assert_status(rk_atomic_open(&af[0], pb, &err), RK_OK);
    assert_status(rk_atomic_open(&af[1], pa, &err), RK_OK);
    fputs("B3", af[0].f);
    fputs("A3", af[1].f);
    close(fileno(af[1].f));
    assert_status(rk_atomic_commit_group(af, 2, &err), RK_EIO);
    assert_string_equal(slurp(pa), "newA");
    assert_string_equal(slurp(pb), "newB");
    assert_true(none_named(rk_test_tmpdir(), "g_A.tmp-"));
    assert_true(none_named(rk_test_tmpdir(), "g_B.tmp-"));
}

/* What a signal handler does: every registered temporary removed, the outputs kept. */
static void test_registry_removes_temporaries(void **state)
{
    (void)state;
    char *f = tmp("reg.bin"), *dir = tmp("reg-dir");
    rk_atomic_file af;
    rk_out_dir d;
    rk_err err;
    assert_status(rk_atomic_open(&af, f, &err), RK_OK);
    assert_status(rk_out_dir_open(&d, dir, owned, &err), RK_OK);
    char inner[4300];
    snprintf(inner, sizeof inner, "%s/sub", d.tmp_path);
    mkdir(inner, 0777);
    snprintf(inner, sizeof inner, "%s/sub/x.txt", d.tmp_path);
    put(inner, "x");
    assert_int_equal(access(af.tmp_path, F_OK), 0);
    rk_output_remove_temporaries();
    assert_int_equal(access(af.tmp_path, F_OK), -1);
    assert_int_equal(access(d.tmp_path, F_OK), -1);
    rk_atomic_abort(&af);
    rk_out_dir_abort(&d);
    assert_true(none_named(rk_test_tmpdir(), "reg"));
    /* Handles: 0 is "none"; a freed slot is reused. */
    rk_output_temp_forget(0);
    int h = rk_output_temp_register("x", false);
    assert_true(h > 0);
    rk_output_temp_forget(h);
    assert_int_equal(rk_output_temp_register("y", false), h);
    rk_output_temp_forget(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classify_each_kind),
        cmocka_unit_test(test_link_stays_a_link),
        cmocka_unit_test(test_fifo_written_directly),
        cmocka_unit_test(test_device_written_directly),
        cmocka_unit_test(test_check_and_same),
        cmocka_unit_test(test_folder_swapped_whole),
        cmocka_unit_test(test_folder_swap_fallback),
        cmocka_unit_test(test_folder_refusals),
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_registry_removes_temporaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
