/*
 * test_lazy.c — lib/io/safetensors_lazy.c and lib/io/shards.c: a file opened
 * by its header reads every tensor exactly as the whole-file reader does
 * (F64, F32, F16, BF16, across chunk boundaries), ΔW = ft − base by
 * rk_st_tensor_rsub_f32 and rk_st_tensor_diff_f32, the header checked against the file's real size,
 * every allocation failure reported as RK_ENOMEM without a leak, and a
 * sharded directory's index held to its rules.
 */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file.h"
#include "io/safetensors.h"
#include "io/shards.h"

/* A file with an F64 (3×5), an F32 (4×2) and a long F32 tensor spanning several
 * chunks (RK_ST_CHUNK / 4 + 1000 elements). */
static const char *write_file(const char *name, double shift)
{
    rk_st_writer *w;
    assert_status(rk_st_writer_new(&w), RK_OK);
    double a[15];
    float b[8];
    size_t nl = RK_ST_CHUNK / 4 + 1000;
    float *l = rk_alloc(nl * sizeof *l);
    assert_non_null(l);
    for (size_t i = 0; i < 15; i++)
        a[i] = 0.1 * (double)i - 0.7 + shift;
    for (size_t i = 0; i < 8; i++)
        b[i] = (float)(0.25 * (double)i - 1.0 + shift);
    for (size_t i = 0; i < nl; i++)
        l[i] = (float)((double)(i % 977) / 977.0 + shift);
    size_t sa[2] = { 3, 5 }, sb[2] = { 4, 2 }, sl[2] = { 1, nl };
    assert_status(rk_st_writer_add_f64(w, "a", a, 2, sa), RK_OK);
    assert_status(rk_st_writer_add_f32(w, "b", b, 2, sb), RK_OK);
    assert_status(rk_st_writer_add_f32(w, "long", l, 2, sl), RK_OK);
    rk_free(l);
    const char *path = rk_test_tmpfile(name);
    assert_status(rk_st_writer_save(w, path, NULL), RK_OK);
    rk_st_writer_free(w);
    return path;
}

static void test_lazy_equals_whole(void **state)
{
    (void)state;
    const char *path = write_file("lazy.safetensors", 0.0);
    rk_st_file whole, lazy;
    rk_err err;
    assert_status(rk_st_open(&whole, path, &err), RK_OK);
    assert_status(rk_st_open_lazy(&lazy, path, &err), RK_OK);
    assert_null(lazy.data);
    assert_non_null(lazy.fp);
    assert_int_equal(lazy.n_tensors, whole.n_tensors);
    assert_int_equal(lazy.size, whole.size);
    for (size_t i = 0; i < whole.n_tensors; i++) {
        rk_mat x, y;
        assert_status(rk_st_tensor_to_mat(&whole, &whole.tensors[i], &x, &err), RK_OK);
        assert_status(rk_st_tensor_to_mat(&lazy, &lazy.tensors[i], &y, &err), RK_OK);
        assert_int_equal(x.rows * x.cols, y.rows * y.cols);
        /* the same bytes converted the same way: exactly equal */
        assert_memory_equal(x.data, y.data, x.rows * x.cols * sizeof(double));
        rk_mat_free(&x);
        rk_mat_free(&y);
    }
    /* ΔW = ft − base in float, chunk by chunk */
    const char *path2 = write_file("lazy2.safetensors", 0.5);
    rk_st_file ft;
    assert_status(rk_st_open_lazy(&ft, path2, &err), RK_OK);
    const rk_st_tensor *t = rk_st_find(&lazy, "long"), *u = rk_st_find(&ft, "long");
    size_t n = rk_st_tensor_numel(t);
    float *d = rk_alloc(n * sizeof *d), *e = rk_alloc(n * sizeof *e);
    assert_non_null(d);
    assert_non_null(e);
    assert_status(rk_st_tensor_to_f32(&lazy, t, d, n, &err), RK_OK);
    assert_status(rk_st_tensor_rsub_f32(&ft, u, d, n, &err), RK_OK);
    assert_status(rk_st_tensor_to_f32(&ft, u, e, n, &err), RK_OK);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float base = (float)((double)(i % 977) / 977.0);
        bad += d[i] != e[i] - base; /* the subtraction of the same two floats */
    }
    assert_int_equal(bad, 0);
    rk_free(d);
    rk_free(e);
    rk_st_close(&ft);
    rk_st_close(&whole);
    rk_st_close(&lazy);
    rk_st_close(NULL);
}

/* rk_st_tensor_diff_f32 fills ΔW = ft − base exactly as rk_st_tensor_to_f32
 * then rk_st_tensor_rsub_f32 do (the same float operations), lazily across
 * chunks, from memory, and across the two (F64 and F32 sides); names the side
 * at fault. */
/* *d = u − t by rk_st_tensor_diff_f32 and *e by to_f32 then rsub_f32 (n
 * elements each, allocated), checked equal bit for bit; the at_fault it gave. */
static int diff_pair(const rk_st_file *base, const rk_st_tensor *t, const rk_st_file *ft,
                     const rk_st_tensor *u, size_t n, float **d, float **e)
{
    rk_err err;
    *d = rk_alloc(n * sizeof **d);
    *e = rk_alloc(n * sizeof **e);
    assert_non_null(*d);
    assert_non_null(*e);
    assert_status(rk_st_tensor_to_f32(base, t, *e, n, &err), RK_OK);
    assert_status(rk_st_tensor_rsub_f32(ft, u, *e, n, &err), RK_OK);
    int at = -1;
    assert_status(rk_st_tensor_diff_f32(base, t, ft, u, *d, n, &at, &err), RK_OK);
    assert_memory_equal(*d, *e, n * sizeof **d);
    return at;
}

static void test_lazy_diff(void **state)
{
    (void)state;
    rk_st_file base, ft, whole;
    rk_err err;
    assert_status(rk_st_open_lazy(&base, write_file("diff_b.safetensors", 0.0), &err), RK_OK);
    const char *ft_path = write_file("diff_f.safetensors", 0.37);
    assert_status(rk_st_open_lazy(&ft, ft_path, &err), RK_OK);
    assert_status(rk_st_open(&whole, ft_path, &err), RK_OK);
    const char *names[] = { "long", "b", "a" };
    for (int k = 0; k < 3; k++) {
        const rk_st_tensor *t = rk_st_find(&base, names[k]), *u = rk_st_find(&ft, names[k]);
        size_t n = rk_st_tensor_numel(t);
        float *d, *e;
        int at = diff_pair(&base, t, &ft, u, n, &d, &e);
        memset(d, 0, n * sizeof *d);
        assert_status(rk_st_tensor_diff_f32(&base, t, &whole, rk_st_find(&whole, names[k]), d, n, &at, &err),
                      RK_OK);
        assert_memory_equal(d, e, n * sizeof *d);
        assert_status(rk_st_tensor_diff_f32(&base, t, &ft, u, d, n + 1, &at, &err), RK_ESHAPE);
        rk_free(d);
        rk_free(e);
    }
    int at = -1;
    const rk_st_tensor *t = rk_st_find(&base, "long"), *u = rk_st_find(&ft, "long");
    size_t n = rk_st_tensor_numel(t);
    assert_status(rk_st_tensor_diff_f32(&base, t, NULL, u, NULL, n, &at, &err), RK_EINVAL);
    float *d = rk_alloc(n * sizeof *d);
    assert_non_null(d);
    for (long k = 1; k < 16; k++) { /* its records and each thread's buffers */
        rk_test_fail_alloc_after(k);
        rk_status s = rk_st_tensor_diff_f32(&base, t, &ft, u, d, n, &at, NULL);
        rk_test_fail_alloc_after(0);
        assert_true(s == RK_OK || s == RK_ENOMEM);
    }
    /* the fine-tune shrinks after it was opened: its side is at fault */
    struct stat sb;
    assert_int_equal(stat(ft_path, &sb), 0);
    assert_int_equal(truncate(ft_path, sb.st_size - 4096), 0);
    assert_status(rk_st_tensor_diff_f32(&base, t, &ft, u, d, n, &at, &err), RK_ETRUNC);
    assert_int_equal(at, 1);
    assert_status(rk_st_tensor_diff_f32(&ft, u, &base, t, d, n, &at, &err), RK_ETRUNC);
    assert_int_equal(at, 0);
    rk_free(d);
    rk_st_close(&base);
    rk_st_close(&ft);
    rk_st_close(&whole);
}

/* A file holding one BF16 tensor "w" (1×n) of the top halves of v_i = (i mod 1001)/1001 − 0.5 + shift. */
static const char *write_bf16(const char *name, size_t n, double shift)
{
    char hdr[128];
    int len = snprintf(hdr, sizeof hdr, "{\"w\":{\"dtype\":\"BF16\",\"shape\":[1,%zu],\"data_offsets\":[0,%zu]}}",
                       n, 2 * n);
    unsigned char *bytes = rk_alloc(8 + (size_t)len + 2 * n);
    assert_non_null(bytes);
    for (int i = 0; i < 8; i++)
        bytes[i] = (unsigned char)((uint64_t)len >> (8 * i));
    memcpy(bytes + 8, hdr, (size_t)len);
    for (size_t i = 0; i < n; i++) {
        float v = (float)((double)(i % 1001) / 1001.0 - 0.5 + shift);
        uint32_t bits;
        memcpy(&bits, &v, 4);
        bytes[8 + (size_t)len + 2 * i] = (unsigned char)(bits >> 16);
        bytes[8 + (size_t)len + 2 * i + 1] = (unsigned char)(bits >> 24);
    }
    const char *path = rk_test_tmpfile(name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, 8 + (size_t)len + 2 * n, fp), 8 + (size_t)len + 2 * n);
    assert_int_equal(fclose(fp), 0);
    rk_free(bytes);
    return path;
}

/* Two BF16 tensors over several spans (the one-loop path, shared over
 * threads): ΔW bit for bit as to_f32 then rsub_f32, and as the floats formed here. */
static void test_lazy_diff_bf16(void **state)
{
    (void)state;
    size_t n = RK_ST_CHUNK + 777; /* three spans of RK_ST_CHUNK / 2 elements */
    rk_st_file base, ft;
    rk_err err;
    assert_status(rk_st_open_lazy(&base, write_bf16("bf_b.safetensors", n, 0.0), &err), RK_OK);
    assert_status(rk_st_open_lazy(&ft, write_bf16("bf_f.safetensors", n, 0.013), &err), RK_OK);
    const rk_st_tensor *t = rk_st_find(&base, "w"), *u = rk_st_find(&ft, "w");
    float *d, *e;
    (void)diff_pair(&base, t, &ft, u, n, &d, &e);
    for (size_t i = 0; i < n; i += 997) {
        float vb = (float)((double)(i % 1001) / 1001.0 - 0.5), vf = (float)((double)(i % 1001) / 1001.0 - 0.5 + 0.013);
        uint32_t bb, bf;
        memcpy(&bb, &vb, 4);
        memcpy(&bf, &vf, 4);
        bb &= 0xffff0000u;
        bf &= 0xffff0000u;
        memcpy(&vb, &bb, 4);
        memcpy(&vf, &bf, 4);
        if (!(d[i] == vf - vb))
            fail_msg("element %zu: %.9g, want %.9g", i, (double)d[i], (double)(vf - vb));
    }
    rk_free(d);
    rk_free(e);
    rk_st_close(&base);
    rk_st_close(&ft);
}

static void test_lazy_checks_size(void **state)
{
    (void)state;
    const char *path = write_file("trunc.safetensors", 0.0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size - 4), 0);
    rk_st_file f;
    rk_err err;
    assert_status(rk_st_open_lazy(&f, path, &err), RK_ETRUNC);
    assert_non_null(strstr(err.msg, "tensors need"));
    assert_null(f.fp);
    assert_int_equal(truncate(path, 5), 0);
    assert_status(rk_st_open_lazy(&f, path, &err), RK_ETRUNC);
    assert_status(rk_st_open_lazy(&f, rk_test_tmpfile("none.safetensors"), &err), RK_ENOENT);
    assert_status(rk_st_open_lazy(NULL, path, &err), RK_EINVAL);

    /* a file that shrinks after it was opened: the read says so */
    path = write_file("shrinks.safetensors", 0.0);
    assert_status(rk_st_open_lazy(&f, path, &err), RK_OK);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size / 2), 0);
    const rk_st_tensor *t = rk_st_find(&f, "long");
    size_t n = rk_st_tensor_numel(t);
    float *d = rk_alloc(n * sizeof *d);
    assert_non_null(d);
    assert_status(rk_st_tensor_to_f32(&f, t, d, n, &err), RK_ETRUNC);
    rk_free(d);
    rk_st_close(&f);
}

static void test_lazy_nomem(void **state)
{
    (void)state;
    const char *path = write_file("nomem.safetensors", 0.0);
    for (long k = 1; k < 40; k++) {
        rk_st_file f;
        rk_test_fail_alloc_after(k);
        rk_status s = rk_st_open_lazy(&f, path, NULL);
        rk_mat m = { 0 };
        if (s == RK_OK)
            s = rk_st_tensor_to_mat(&f, rk_st_find(&f, "long"), &m, NULL);
        rk_test_fail_alloc_after(0);
        assert_true(s == RK_OK || s == RK_ENOMEM);
        rk_mat_free(&m);
        rk_st_close(&f);
    }
}

/* DIR/NAME.safetensors with one 2×2 F32 tensor called @p tensor. */
static void shard(const char *dir, const char *name, const char *tensor)
{
    char path[512];
    rk_st_writer *w;
    float v[4] = { 1, 2, 3, 4 };
    size_t shape[2] = { 2, 2 };
    assert_status(rk_st_writer_new(&w), RK_OK);
    assert_status(rk_st_writer_add_f32(w, tensor, v, 2, shape), RK_OK);
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_status(rk_st_writer_save(w, path, NULL), RK_OK);
    rk_st_writer_free(w);
}

static void index_file(const char *dir, const char *json)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, RK_SHARDS_INDEX);
    assert_status(rk_file_write_all(path, json, strlen(json), NULL), RK_OK);
}

static void test_shards(void **state)
{
    (void)state;
    char dir[512], where[512];
    snprintf(dir, sizeof dir, "%s", rk_test_tmpfile("ckpt"));
    assert_status(rk_mkdir_p(dir, NULL), RK_OK);
    shard(dir, "s1.safetensors", "x");
    shard(dir, "s2.safetensors", "y");
    index_file(dir, "{\"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s2.safetensors\"}}");
    rk_shards c;
    rk_err err;
    assert_status(rk_shards_open(&c, dir, &err, where, sizeof where), RK_OK);
    assert_true(c.sharded);
    assert_int_equal(c.n_files, 2);
    assert_int_equal(c.n_tensors, 2);
    assert_non_null(rk_shards_find(&c, "y"));
    assert_non_null(strstr(rk_shards_find(&c, "y")->path, "s2.safetensors"));
    assert_null(rk_shards_find(&c, "z"));
    rk_shards_close(&c);
    rk_shards_close(NULL);

    static const struct {
        const char *index;
        rk_status want;
        const char *msg, *where;
    } bad[] = {
        { "{\"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s3.safetensors\"}}", RK_ENOENT, "does not exist", RK_SHARDS_INDEX },
        { "{\"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s2.safetensors\", \"z\": \"s1.safetensors\"}}", RK_ENOTFOUND, "'z'", "s1.safetensors" },
        { "{\"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s1.safetensors\"}}", RK_ENOTFOUND, "'y'", "s1.safetensors" },
        { "{\"weight_map\": {\"x\": \"../s1.safetensors\", \"y\": \"s2.safetensors\"}}", RK_ECONFIG, "leaves", RK_SHARDS_INDEX },
        { "{\"weight_map\": {\"x\": \"/etc/passwd\", \"y\": \"s2.safetensors\"}}", RK_ECONFIG, "relative", RK_SHARDS_INDEX },
        { "{\"weight_map\": {\"x\": 3}}", RK_ECONFIG, "not a file name", RK_SHARDS_INDEX },
        { "{\"weight_map\": {\"x\": \"s1.safetensors\", \"x\": \"s1.safetensors\"}}", RK_EDUPKEY, "twice", RK_SHARDS_INDEX },
        { "{\"metadata\": {}}", RK_ECONFIG, "weight_map", RK_SHARDS_INDEX },
        { "{\"weight_map\": {}}", RK_ECONFIG, "no tensors", RK_SHARDS_INDEX },
        { "[1, 2", RK_EJSON, "JSON", RK_SHARDS_INDEX },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        index_file(dir, bad[i].index);
        rk_err_clear(&err);
        assert_status(rk_shards_open(&c, dir, &err, where, sizeof where), bad[i].want);
        if (!strstr(err.msg, bad[i].msg) || !strstr(where, bad[i].where))
            fail_msg("case %zu: '%s' at '%s'", i, err.msg, where);
        assert_null(c.files);
    }
    /* a tensor in two shards */
    shard(dir, "s3.safetensors", "x");
    index_file(dir, "{\"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s3.safetensors\"}}");
    assert_status(rk_shards_open(&c, dir, &err, where, sizeof where), RK_ENOTFOUND);
    index_file(dir, "{\"weight_map\": {\"x\": \"s3.safetensors\", \"y\": \"s2.safetensors\"}}");
    assert_status(rk_shards_open(&c, dir, &err, where, sizeof where), RK_OK);
    rk_shards_close(&c);
    /* allocation failures anywhere: RK_ENOMEM, nothing leaked */
    index_file(dir, "{\"weight_map\": {\"x\": \"s1.safetensors\", \"y\": \"s2.safetensors\"}}");
    for (long k = 1; k < 80; k++) {
        rk_test_fail_alloc_after(k);
        rk_status s = rk_shards_open(&c, dir, NULL, NULL, 0);
        rk_test_fail_alloc_after(0);
        assert_true(s == RK_OK || s == RK_ENOMEM);
        rk_shards_close(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lazy_equals_whole),
        cmocka_unit_test(test_lazy_diff),
        cmocka_unit_test(test_lazy_diff_bf16),
        cmocka_unit_test(test_lazy_checks_size),
        cmocka_unit_test(test_lazy_nomem),
        cmocka_unit_test(test_shards),
    };
    return cmocka_run_group_tests_name("lazy", tests, NULL, NULL);
}
