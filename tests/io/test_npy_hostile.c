/*
 * test_npy_hostile.c — malformed .npy files are refused, each with its own
 * status and message, from memory and from disk alike; allocation failures
 * return RK_ENOMEM and leak nothing; interrupted writes leave no file behind
 * and never clobber an existing one.
 */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define F8_3x4 "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }"

/* A malformed file: either whole bytes, or a preamble + header + '\n' + zero data. */
typedef struct hostile {
    const char *name;
    const char *bytes;      /* when set: the whole file is bytes[0 .. nbytes) */
    size_t nbytes;
    int major, minor;       /* else: magic, version, */
    const char *header;     /* header text (a '\n' is appended unless no_newline) */
    long len_delta;         /* added to the true header length in the length field */
    size_t data;            /* and this many zero bytes of data */
    int no_newline;
    rk_status want;
    const char *msg;        /* a substring of the message */
} hostile;

static const hostile cases[] = {
    { "empty file", "", 0, 0, 0, NULL, 0, 0, 0, RK_ETRUNC, "file is empty" },
    { "truncated magic", "\x93NUM", 4, 0, 0, NULL, 0, 0, 0, RK_ETRUNC, "shorter than the 10-byte" },
    { "bad magic", "\x93NUMPZ\x01\x00\x00\x00", 10, 0, 0, NULL, 0, 0, 0, RK_EMAGIC, "magic" },
    { "text file", "1.0 2.0\n3.0 4.0\n", 16, 0, 0, NULL, 0, 0, 0, RK_EMAGIC, "\\x93NUMPY" },
    { "ends in version", "\x93NUMPY\x01", 7, 0, 0, NULL, 0, 0, 0, RK_ETRUNC, "10-byte .npy preamble" },
    { "v1 ends in length", "\x93NUMPY\x01\x00\x40", 9, 0, 0, NULL, 0, 0, 0, RK_ETRUNC, "10-byte" },
    { "v2 ends in length", "\x93NUMPY\x02\x00\x40\x00", 10, 0, 0, NULL, 0, 0, 0, RK_ETRUNC,
      "12-byte .npy 2.0 preamble" },
    { "version 4.0", NULL, 0, 4, 0, F8_3x4, 0, 96, 0, RK_EVERSION, "version 4.0 is not supported" },
    { "version 1.1", NULL, 0, 1, 1, F8_3x4, 0, 96, 0, RK_EVERSION, "version 1.1" },
    { "version 0.0", NULL, 0, 0, 0, F8_3x4, 0, 96, 0, RK_EVERSION, "reads 1.0, 2.0 and 3.0" },
    { "header > 10000", NULL, 0, 2, 0, F8_3x4, 10001 - 60, 96, 0, RK_ETOOBIG,
      "10001 bytes, more than numpy's limit of 10000" },
    { "header past the file", NULL, 0, 1, 0, F8_3x4, 200, 96, 0, RK_ETRUNC,
      "header is 260 bytes but only 156 bytes follow the preamble" },
    { "no final newline", NULL, 0, 1, 0, F8_3x4 " ", 0, 96, 1, RK_EHEADER, "newline" },
    { "not a dict", NULL, 0, 1, 0, "['descr', '<f8']", 0, 0, 0, RK_EHEADER, "expected '{' at '['" },
    { "missing shape", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False}", 0, 0, 0, RK_EHEADER,
      "no 'shape' key" },
    { "missing descr", NULL, 0, 1, 0, "{'fortran_order': False, 'shape': (1,)}", 0, 8, 0, RK_EHEADER,
      "no 'descr' key" },
    { "extra key", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", 0, 8,
      0, RK_EHEADER, "unexpected key 'x'" },
    { "duplicate key", NULL, 0, 1, 0, "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, "
      "'shape': (1,)}", 0, 8, 0, RK_EDUPKEY, "key 'descr' appears twice" },
    { "complex descr", NULL, 0, 1, 0, "{'descr': '<c16', 'fortran_order': False, 'shape': (1,)}", 0, 16,
      0, RK_EDTYPE, "unsupported descr '<c16'" },
    { "object descr", NULL, 0, 1, 0, "{'descr': '|O', 'fortran_order': False, 'shape': (1,)}", 0, 8, 0,
      RK_EDTYPE, "unsupported descr '|O'" },
    { "descr without byte order", NULL, 0, 1, 0, "{'descr': '|f8', 'fortran_order': False, "
      "'shape': (1,)}", 0, 8, 0, RK_EDTYPE, "no byte order" },
    { "structured descr", NULL, 0, 1, 0, "{'descr': [('a', '<f8')], 'fortran_order': False, "
      "'shape': (1,)}", 0, 8, 0, RK_EDTYPE, "structured dtypes" },
    { "descr not a string", NULL, 0, 1, 0, "{'descr': 8, 'fortran_order': False, 'shape': (1,)}", 0, 8, 0,
      RK_EHEADER, "descr must be a string" },
    { "fortran_order 1", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': 1, 'shape': (1,)}", 0, 8, 0,
      RK_EHEADER, "fortran_order must be True or False" },
    { "fortran_order 'True'", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': 'True', 'shape': (1,)}",
      0, 8, 0, RK_EHEADER, "fortran_order must be True or False" },
    { "fortran_order Truest", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': Truest, 'shape': (1,)}",
      0, 8, 0, RK_EHEADER, "fortran_order must be True or False" },
    { "negative shape", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (-3, 4)}", 0, 0,
      0, RK_EHEADER, "negative dimension" },
    { "non-integer shape", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3.5, 4)}",
      0, 0, 0, RK_EHEADER, "tuple of non-negative integers" },
    { "NaN in the shape", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (nan, 4)}",
      0, 0, 0, RK_EHEADER, "tuple of non-negative integers" },
    { "shape not a tuple", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3)}", 0, 24,
      0, RK_EHEADER, "tuple of non-negative integers" },
    { "shape a list", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4]}", 0, 96,
      0, RK_EHEADER, "tuple of non-negative integers" },
    { "shape leading zero", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (03,)}", 0,
      24, 0, RK_EHEADER, "leading zero" },
    { "shape hex", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (0x3,)}", 0, 24, 0,
      RK_EHEADER, "tuple of non-negative integers" },
    { "L suffix in 3.0", NULL, 0, 3, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (3L,)}", 0, 24,
      0, RK_EHEADER, "tuple of non-negative integers" },
    { "dimension overflow", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, "
      "'shape': (99999999999999999999999, 1)}", 0, 0, 0, RK_EOVERFLOW, "does not fit in 64 bits" },
    { "shape product overflow", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, "
      "'shape': (4294967296, 4294967296)}", 0, 0, 0, RK_EOVERFLOW, "element count overflows" },
    { "byte count overflow", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, "
      "'shape': (2305843009213693952, 1)}", 0, 0, 0, RK_EOVERFLOW, "byte count overflows" },
    { "huge shape, tiny file", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, "
      "'shape': (1000000000, 1000000000)}", 0, 16, 0, RK_ETRUNC, "data is 16 bytes, shape "
      "(1000000000, 1000000000) of <f8 needs 8000000000000000000" },
    { "data too short", NULL, 0, 1, 0, F8_3x4, 0, 88, 0, RK_ETRUNC, "data is 88 bytes, shape (3, 4) of <f8 "
      "needs 96" },
    { "no data", NULL, 0, 1, 0, F8_3x4, 0, 0, 0, RK_ETRUNC, "data is 0 bytes" },
    { "data too long", NULL, 0, 1, 0, F8_3x4, 0, 97, 0, RK_EFORMAT, "data is 97 bytes, 1 more than" },
    { "0-d array", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': ()}", 0, 8, 0,
      RK_ESHAPE, "0-d array () is not supported; ranklab reads 1-d and 2-d arrays" },
    { "3-d array", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4)}", 0, 192,
      0, RK_ESHAPE, "3-d array (2, 3, 4) is not supported" },
    { "33 dimensions", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, "
      "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)}", 0, 8, 0, RK_ESHAPE,
      "more than 32 dimensions" },
    { "unterminated string", NULL, 0, 1, 0, "{'descr': '<f8, 'fortran_order': False, 'shape': (1,)}", 0,
      8, 0, RK_EHEADER, "expected ',' or '}' at 'f'" },
    { "string runs to the end", NULL, 0, 1, 0, "{'descr': '<f8", 0, 8, 0, RK_EHEADER, "unterminated" },
    { "escape in string", NULL, 0, 1, 0, "{'descr': '<f\\x38', 'fortran_order': False, 'shape': (1,)}", 0,
      8, 0, RK_EHEADER, "escape sequences" },
    { "non-ASCII in string", NULL, 0, 3, 0, "{'descr': '<f\xc3\xa9', 'fortran_order': False, "
      "'shape': (1,)}", 0, 8, 0, RK_EHEADER, "byte 0xc3" },
    { "garbage after the dict", NULL, 0, 1, 0, F8_3x4 " x", 0, 96, 0, RK_EHEADER,
      "expected nothing after the closing '}' at 'x'" },
    { "missing comma", NULL, 0, 1, 0, "{'descr': '<f8' 'fortran_order': False, 'shape': (1,)}", 0, 8, 0,
      RK_EHEADER, "expected ',' or '}'" },
    { "missing colon", NULL, 0, 1, 0, "{'descr' '<f8', 'fortran_order': False, 'shape': (1,)}", 0, 8, 0,
      RK_EHEADER, "expected ':'" },
    { "unclosed dict", NULL, 0, 1, 0, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", 0, 8, 0,
      RK_EHEADER, "expected ',' or '}' at the end of the header" },
    { "NUL byte in header", NULL, 0, 1, 0, "{'descr': '<f8',\x01 'fortran_order': False, 'shape': (1,)}",
      0, 8, 0, RK_EHEADER, "byte 0x01" },
};

/* Build the bytes of a table entry; returns malloc'd buffer and *size. */
static unsigned char *build(const hostile *h, size_t *size)
{
    if (h->bytes) {
        unsigned char *b = malloc(h->nbytes ? h->nbytes : 1);
        memcpy(b, h->bytes, h->nbytes);
        *size = h->nbytes;
        return b;
    }
    size_t pre = h->major >= 2 ? 12 : 10, text = strlen(h->header);
    size_t hl = text + (h->no_newline ? 0 : 1);
    *size = pre + hl + h->data;
    unsigned char *b = calloc(*size, 1);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (unsigned char)h->major;
    b[7] = (unsigned char)h->minor;
    unsigned long field = (unsigned long)((long)hl + h->len_delta);
    for (size_t i = 8; i < pre; i++)
        b[i] = (unsigned char)(field >> (8 * (i - 8)));
    memcpy(b + pre, h->header, text);
    if (!h->no_newline)
        b[pre + text] = '\n';
    return b;
}

static void expect(const hostile *h, rk_status st, const rk_err *err, const rk_mat *m, const char *how)
{
    if (st != h->want)
        fail_msg("%s (%s): status %s, expected %s (\"%s\")", h->name, how, rk_strerror(st),
                 rk_strerror(h->want), err->msg);
    if (!strstr(err->msg, h->msg))
        fail_msg("%s (%s): message \"%s\" lacks \"%s\"", h->name, how, err->msg, h->msg);
    if (m && (m->data || m->rows || m->cols))
        fail_msg("%s (%s): output not left empty", h->name, how);
}

static void test_hostile_files_are_refused(void **state)
{
    (void)state;
    assert_true(sizeof cases / sizeof cases[0] >= 15);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const hostile *h = &cases[k];
        size_t size;
        unsigned char *b = build(h, &size);
        rk_mat m = { 1, 1, 1, NULL, 0 };
        rk_err err = { RK_OK, "" };
        expect(h, rk_npy_read_mem(b, size, &m, NULL, &err), &err, &m, "memory");

        const char *path = rk_test_tmpfile("hostile.npy");
        assert_status(rk_file_write_all(path, b, size, NULL), RK_OK);
        err.msg[0] = '\0';
        expect(h, rk_npy_read(path, &m, NULL, &err), &err, &m, "file");
        float dummy, *f = &dummy;
        size_t r = 9, c = 9;
        err.msg[0] = '\0';
        expect(h, rk_npy_read_f32(path, &f, &r, &c, NULL, &err), &err, NULL, "f32");
        assert_null(f);
        err.msg[0] = '\0';
        expect(h, rk_matrix_load(path, &m, &err), &err, &m, "matrix_load");
        free(b);
    }
}

/* Every proper prefix of a valid file is refused as truncated; one byte more is refused too. */
static void test_every_truncation_is_refused(void **state)
{
    (void)state;
    const char *names[] = { "npy/le_f8_c.npy", "npy/v3_le_f4_c.npy", "npy/vec_le_i4.npy" };
    for (size_t k = 0; k < 3; k++) {
        unsigned char *buf;
        size_t size;
        assert_status(rk_file_read_all(rk_test_data(names[k]), 1 << 16, &buf, &size, NULL), RK_OK);
        rk_mat m;
        rk_err err;
        for (size_t n = 0; n < size; n++) {
            rk_status st = rk_npy_read_mem(buf, n, &m, NULL, &err);
            if (st != RK_ETRUNC)
                fail_msg("%s cut to %zu bytes: %s (%s)", names[k], n, rk_strerror(st), err.msg);
        }
        unsigned char *more = malloc(size + 1);
        memcpy(more, buf, size);
        more[size] = 0;
        assert_status(rk_npy_read_mem(more, size + 1, &m, NULL, &err), RK_EFORMAT);
        assert_non_null(strstr(err.msg, "1 more than"));
        assert_status(rk_npy_read_mem(buf, size, &m, NULL, &err), RK_OK);
        rk_mat_free(&m);
        free(more);
        rk_free(buf);
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    rk_mat m;
    rk_npy_info info;
    float *f;
    size_t r, c;
    assert_status(rk_npy_read_mem(NULL, 0, NULL, NULL, NULL), RK_EINVAL);
    assert_status(rk_npy_parse_header(NULL, 5, &info, NULL), RK_EINVAL);
    assert_status(rk_npy_read(NULL, &m, NULL, NULL), RK_EINVAL);
    assert_status(rk_npy_read_f32(NULL, &f, &r, &c, NULL, NULL), RK_EINVAL);
    rk_err err;
    assert_status(rk_npy_read(rk_test_tmpfile("does-not-exist.npy"), &m, NULL, &err), RK_ENOENT);
    assert_status(rk_npy_read(rk_test_tmpdir(), &m, NULL, &err), RK_EIO);
    assert_non_null(strstr(err.msg, "not a regular file"));
    rk_mat a;
    assert_status(rk_mat_create(&a, 2, 2), RK_OK);
    assert_status(rk_npy_write(rk_test_tmpfile("x.npy"), &a, RK_DT_I32, &err), RK_EDTYPE);
    assert_status(rk_npy_write(NULL, &a, RK_DT_F64, &err), RK_EINVAL);
    assert_status(rk_npy_write_f32(rk_test_tmpfile("x.npy"), NULL, 2, 2, &err), RK_EINVAL);
    assert_status(rk_npy_write(rk_test_tmpfile("no-such-dir/x.npy"), &a, RK_DT_F64, &err), RK_ENOENT);
    rk_mat_free(&a);
}

/* Fail the 1st, 2nd, … allocation until the call succeeds: RK_ENOMEM each time, no leak (LSan). */
static void test_allocation_failures(void **state)
{
    (void)state;
    const char *path = rk_test_data("npy/le_i4_f.npy");
    unsigned char *buf;
    size_t size;
    assert_status(rk_file_read_all(path, 1 << 16, &buf, &size, NULL), RK_OK);
    int failures = 0;
    for (long n = 1;; n++) {
        rk_mat m;
        rk_err err;
        float *f;
        size_t r, c;
        rk_test_fail_alloc_after(n);
        rk_status s1 = rk_npy_read(path, &m, NULL, &err);
        rk_mat_free(&m);
        rk_test_fail_alloc_after(n);
        rk_status s2 = rk_npy_read_mem(buf, size, &m, NULL, &err);
        rk_mat_free(&m);
        rk_test_fail_alloc_after(n);
        rk_status s3 = rk_npy_read_f32(path, &f, &r, &c, NULL, &err);
        rk_free(f);
        rk_test_fail_alloc_after(0);
        assert_true(s1 == RK_OK || s1 == RK_ENOMEM);
        assert_true(s2 == RK_OK || s2 == RK_ENOMEM);
        assert_true(s3 == RK_OK || s3 == RK_ENOMEM);
        if (s1 == RK_ENOMEM)
            assert_non_null(strstr(err.msg, "cannot allocate"));
        if (!s1 && !s2 && !s3)
            break;
        failures++;
        assert_true(n < 50);
    }
    assert_true(failures >= 1);
    rk_free(buf);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void assert_file_is(const char *path, const void *bytes, size_t n)
{
    unsigned char *buf;
    size_t size;
    assert_status(rk_file_read_all(path, 1 << 20, &buf, &size, NULL), RK_OK);
    assert_int_equal(size, n);
    assert_memory_equal(buf, bytes, n);
    rk_free(buf);
}

/* An interrupted write leaves the old file as it was and no temporary behind. */
static void test_interrupted_writes(void **state)
{
    (void)state;
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/atomic", rk_test_tmpdir());
    assert_status(rk_mkdir_p(dir, NULL), RK_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/out.npy", dir);

    /* aborted before commit: no file */
    rk_atomic_file af;
    assert_status(rk_atomic_open(&af, path, NULL), RK_OK);
    fputs("partial", af.f);
    rk_atomic_abort(&af);
    assert_int_equal(count_entries(dir), 0);

    /* an existing file survives an aborted rewrite */
    assert_status(rk_file_write_all(path, "old contents", 12, NULL), RK_OK);
    assert_status(rk_atomic_open(&af, path, NULL), RK_OK);
    fputs("new", af.f);
    rk_atomic_abort(&af);
    assert_file_is(path, "old contents", 12);
    assert_int_equal(count_entries(dir), 1);

    /* allocation failure inside rk_npy_write */
    rk_mat a;
    assert_status(rk_mat_create(&a, 200, 100), RK_OK);
    rk_test_fail_alloc_after(1);
    rk_err err;
    assert_status(rk_npy_write(path, &a, RK_DT_F64, &err), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
    assert_file_is(path, "old contents", 12);
    assert_int_equal(count_entries(dir), 1);

    /* the disk "fills up" mid-write: a file size limit makes write() fail with EFBIG */
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = old;
    lim.rlim_cur = 4096;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    rk_status st = rk_npy_write(path, &a, RK_DT_F64, &err); /* 160 kB */
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    assert_status(st, RK_EIO);
    assert_file_is(path, "old contents", 12);
    assert_int_equal(count_entries(dir), 1);

    /* and a complete write replaces it */
    assert_status(rk_npy_write(path, &a, RK_DT_F64, &err), RK_OK);
    rk_mat b;
    assert_status(rk_npy_read(path, &b, NULL, NULL), RK_OK);
    assert_mat_near(&a, &b, 0.0);
    assert_int_equal(count_entries(dir), 1);
    rk_mat_free(&a);
    rk_mat_free(&b);
    unlink(path);
    rmdir(dir);
}

/* Replay the fuzzing seed corpus: each input is accepted consistently or refused with a message. */
static void test_fuzz_corpus_replays(void **state)
{
    (void)state;
    const char *root = getenv("RK_SOURCE_ROOT");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/npy", root ? root : ".");
    DIR *d = opendir(dir);
    if (!d) {
        print_message("# SKIP reason: %s is absent\n", dir);
        skip();
        return;
    }
    int files = 0, accepted = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unsigned char *buf;
        size_t size;
        assert_status(rk_file_read_all(path, 1 << 20, &buf, &size, NULL), RK_OK);
        rk_mat m;
        rk_npy_info info;
        rk_err err = { RK_OK, "" };
        rk_status st = rk_npy_read_mem(buf, size, &m, &info, &err);
        if (st == RK_OK) {
            assert_int_equal(info.data_offset + rk_npy_data_size(&info), size);
            accepted++;
        } else if (!err.msg[0]) {
            fail_msg("%s: %s without a message", e->d_name, rk_strerror(st));
        }
        rk_mat_free(&m);
        rk_free(buf);
        files++;
    }
    closedir(d);
    assert_true(files >= 15);
    assert_true(accepted >= 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_files_are_refused),
        cmocka_unit_test(test_every_truncation_is_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_allocation_failures),
        cmocka_unit_test(test_interrupted_writes),
        cmocka_unit_test(test_fuzz_corpus_replays),
    };
    return cmocka_run_group_tests_name("npy_hostile", tests, NULL, NULL);
}
