/*
 * test_tensor_pairs.c — lib/analysis/tensor_pairs.h: two safetensors files
 * written by rk_st_writer and opened as checkpoints (lib/io/shards.h), matched by name, with every reason a tensor is left
 * out (only in one file, shapes differ, not 2-d, dtype not loadable).
 */
#include "testutil.h"

#include <string.h>

#include "analysis/tensor_pairs.h"
#include "io/file.h"

static void add(rk_st_writer *w, const char *name, int ndim, size_t r, size_t c)
{
    double data[64] = { 0 };
    size_t shape[2] = { r, c };
    assert_status(rk_st_writer_add_f64(w, name, data, ndim, shape), RK_OK);
}

static void save(rk_st_writer *w, const char *name, rk_shards *f)
{
    const char *path = rk_test_tmpfile(name);
    assert_status(rk_st_writer_save(w, path, NULL), RK_OK);
    rk_st_writer_free(w);
    assert_status(rk_shards_open(f, path, NULL, NULL, 0), RK_OK);
}

static const rk_tensor_pair *find(const rk_tensor_pair *p, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p[i].name, name))
            return &p[i];
    fail_msg("no entry for %s", name);
    return NULL;
}

static void test_match(void **state)
{
    (void)state;
    rk_st_writer *w;
    rk_shards a, b;
    assert_status(rk_st_writer_new(&w), RK_OK);
    add(w, "fc1.weight", 2, 4, 3);
    add(w, "fc1.bias", 1, 1, 4);
    add(w, "fc2.weight", 2, 2, 5);
    add(w, "gone.weight", 2, 2, 2);
    add(w, "cube", 2, 2, 2);
    save(w, "a.safetensors", &a);
    assert_status(rk_st_writer_new(&w), RK_OK);
    add(w, "fc1.weight", 2, 4, 3);
    add(w, "fc1.bias", 1, 1, 4);
    add(w, "fc2.weight", 2, 5, 2);
    add(w, "new.weight", 2, 2, 2);
    add(w, "cube", 1, 1, 4);
    save(w, "b.safetensors", &b);

    rk_tensor_pair *p;
    size_t n;
    assert_status(rk_tensor_pairs_match(&a, &b, &p, &n), RK_OK);
    assert_int_equal(n, 6);
    assert_int_equal(find(p, n, "fc1.weight")->status, RK_PAIR_OK);
    assert_ptr_equal(find(p, n, "fc1.weight")->base, rk_shards_find(&a, "fc1.weight")->t);
    assert_ptr_equal(find(p, n, "fc1.weight")->other, rk_shards_find(&b, "fc1.weight")->t);
    assert_int_equal(find(p, n, "fc1.bias")->status, RK_PAIR_NOT_2D);
    assert_int_equal(find(p, n, "fc2.weight")->status, RK_PAIR_SHAPE);
    assert_int_equal(find(p, n, "cube")->status, RK_PAIR_SHAPE); /* 2-d against 1-d */
    assert_int_equal(find(p, n, "gone.weight")->status, RK_PAIR_ONLY_BASE);
    assert_null(find(p, n, "gone.weight")->other);
    assert_int_equal(find(p, n, "new.weight")->status, RK_PAIR_ONLY_OTHER);
    assert_null(find(p, n, "new.weight")->base);
    /* the other file's own names come last */
    assert_string_equal(p[n - 1].name, "new.weight");
    assert_string_equal(rk_pair_status_text(RK_PAIR_OK), "ok");
    assert_string_equal(rk_pair_status_text(RK_PAIR_SHAPE), "shapes differ");
    rk_free(p);

    /* a file against itself: every 2-d tensor pairs */
    assert_status(rk_tensor_pairs_match(&a, &a, &p, &n), RK_OK);
    assert_int_equal(n, 5);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++)
        ok += p[i].status == RK_PAIR_OK;
    assert_int_equal(ok, 4);
    rk_free(p);

    assert_status(rk_tensor_pairs_match(NULL, &b, &p, &n), RK_EINVAL);
    rk_test_fail_alloc_after(1);
    assert_status(rk_tensor_pairs_match(&a, &b, &p, &n), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
    assert_null(p);
    assert_int_equal(n, 0);
    rk_shards_close(&a);
    rk_shards_close(&b);
}

static void test_dtype(void **state)
{
    (void)state;
    /* An F8_E4M3 tensor: listed by the reader, but it cannot be loaded. */
    const char hdr[] = "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2,2],\"data_offsets\":[0,4]}}";
    size_t hl = sizeof hdr - 1, size = 8 + hl + 4;
    unsigned char buf[128] = { 0 };
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, hdr, hl);
    const char *path = rk_test_tmpfile("f8.safetensors");
    assert_status(rk_file_write_all(path, buf, size, NULL), RK_OK);
    rk_shards a;
    assert_status(rk_shards_open(&a, path, NULL, NULL, 0), RK_OK);
    rk_tensor_pair *p;
    size_t n;
    assert_status(rk_tensor_pairs_match(&a, &a, &p, &n), RK_OK);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].status, RK_PAIR_DTYPE);
    rk_free(p);
    rk_shards_close(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_dtype),
    };
    return cmocka_run_group_tests_name("tensor_pairs", tests, NULL, NULL);
}
