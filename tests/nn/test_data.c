/*
 * test_data.c — datasets from IDX files on the committed mini dataset
 * (tests/data/idx/mini): scaling, standardisation with the training
 * statistics, files that disagree, the missing-dataset message, class filter
 * and head subsets, and the batch iterator's determinism and coverage.
 */
#include "nn_testutil.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* pixel p of example k in the mini dataset (see tests/data/idx/make_fixtures.py) */
static unsigned mini_train_px(size_t k, size_t p) { return (unsigned)((37 * k + 11 * p) % 256); }
static unsigned mini_test_px(size_t k, size_t p) { return (unsigned)((53 * k + 5 * p + 1) % 256); }

static const char *mini_dir(void) { return rk_test_data("idx/mini"); }

static void test_load_files_scales_pixels(void **state)
{
    (void)state;
    char img[4096], lab[4096];
    snprintf(img, sizeof img, "%s/train-images-idx3-ubyte.gz", mini_dir());
    snprintf(lab, sizeof lab, "%s/train-labels-idx1-ubyte.gz", mini_dir());
    rk_dataset d;
    rk_err e;
    assert_status(rk_dataset_load_files(&d, img, lab, 10, &e), RK_OK);
    assert_int_equal(d.n, 20);
    assert_int_equal(d.dim, 16);
    assert_int_equal(d.n_classes, 10);
    assert_true(d.mean == 0.0 && d.std == 1.0);
    for (size_t k = 0; k < 20; k++) {
        assert_int_equal(d.y[k], k % 10);
        for (size_t p = 0; p < 16; p++)
            assert_true(fabs(d.x[k * 16 + p] - mini_train_px(k, p) / 255.0) <= 1e-7);
    }
    rk_dataset_free(&d);
    rk_dataset_free(&d);
    rk_dataset_free(NULL);
    assert_status(rk_dataset_load_files(&d, img, lab, 0, &e), RK_EINVAL);
}

static void test_load_standardises_with_train_stats(void **state)
{
    (void)state;
    /* the statistics from the integer pixels, independently of the library */
    double s1 = 0, s2 = 0, n = 20 * 16;
    for (size_t k = 0; k < 20; k++)
        for (size_t p = 0; p < 16; p++) {
            double v = mini_train_px(k, p) / 255.0;
            s1 += v;
            s2 += v * v;
        }
    double mean = s1 / n, std = sqrt(s2 / n - mean * mean);

    rk_dataset train, test;
    rk_err e;
    assert_status(rk_dataset_load(&train, &test, mini_dir(), &e), RK_OK);
    /* the library sums the float pixels p/255, each within 2^-24 relative of
     * the exact value; the statistics inherit that error */
    assert_rel_near(train.mean, mean, 4 * FLT_EPSILON);
    assert_rel_near(train.std, std, 4 * FLT_EPSILON);
    assert_true(test.mean == train.mean && test.std == train.std);
    assert_int_equal(test.n, 10);
    for (size_t k = 0; k < 10; k++) {
        assert_int_equal(test.y[k], 9 - k);
        for (size_t p = 0; p < 16; p++) {
            double want = (mini_test_px(k, p) / 255.0 - mean) / std;
            assert_true(fabs(test.x[k * 16 + p] - want) <= 1e-6 * fmax(1, fabs(want)));
        }
    }
    /* standardised training pixels have mean 0 and std 1 */
    nn_assert_standardised(&train, 1e-6);
    rk_dataset_free(&train);
    rk_dataset_free(&test);

    rk_dataset none = { 0 };
    double m, s;
    rk_dataset_stats(&none, &m, &s);
    assert_true(m == 0 && s == 0);
    assert_status(rk_dataset_standardize(&none, 0, 0), RK_EINVAL);
    assert_status(rk_dataset_standardize(&none, NAN, 1), RK_EINVAL);
}

static void test_missing_dataset_says_how_to_get_it(void **state)
{
    (void)state;
    rk_dataset train, test;
    rk_err e;
    assert_status(rk_dataset_load(&train, &test, rk_test_tmpdir(), &e), RK_EDATA);
    assert_non_null(strstr(e.msg, "dataset-fashion-mnist"));
    assert_non_null(strstr(e.msg, "--data"));
    assert_non_null(strstr(e.msg, "RANKLAB_DATA"));
    assert_non_null(strstr(e.msg, rk_test_tmpdir()));
    assert_null(train.x);
    assert_null(test.x);
}

static void test_default_dir_follows_environment(void **state)
{
    (void)state;
    const char *saved = getenv("RANKLAB_DATA");
    char old[4096] = "";
    if (saved)
        snprintf(old, sizeof old, "%s", saved);
    setenv("RANKLAB_DATA", "/some/where", 1);
    assert_string_equal(rk_dataset_default_dir(), "/some/where");
    setenv("RANKLAB_DATA", "", 1);
    assert_string_equal(rk_dataset_default_dir(), "/usr/share/datasets/fashion-mnist");
    unsetenv("RANKLAB_DATA");
    assert_string_equal(rk_dataset_default_dir(), RK_DATASET_DEFAULT_DIR);
    /* NULL dir means the default one */
    setenv("RANKLAB_DATA", mini_dir(), 1);
    rk_dataset d;
    assert_status(rk_dataset_load_split(&d, NULL, RK_DATASET_TEST, NULL), RK_OK);
    assert_int_equal(d.n, 10);
    rk_dataset_free(&d);
    if (saved)
        setenv("RANKLAB_DATA", old, 1);
    else
        unsetenv("RANKLAB_DATA");
}

/* ---- pairs of files that disagree -------------------------------------- */

/* A stable copy of a path from rk_test_data/rk_test_tmpfile (static buffers). */
static const char *keep(const char *path)
{
    static char pool[16][4096];
    static int next;
    char *slot = pool[next++ % 16];
    snprintf(slot, sizeof pool[0], "%s", path);
    return slot;
}

/* Write an IDX file of @p type with dims and @p n payload bytes of value v. */
static const char *write_idx(const char *name, int type, int ndim, const unsigned *dims,
                             size_t n, int v)
{
    const char *path = rk_test_tmpfile(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    unsigned char h[4] = { 0, 0, (unsigned char)type, (unsigned char)ndim };
    fwrite(h, 1, 4, f);
    for (int i = 0; i < ndim; i++) {
        unsigned char d[4] = { (unsigned char)(dims[i] >> 24), (unsigned char)(dims[i] >> 16),
                               (unsigned char)(dims[i] >> 8), (unsigned char)dims[i] };
        fwrite(d, 1, 4, f);
    }
    for (size_t i = 0; i < n; i++)
        fputc(v, f);
    assert_int_equal(fclose(f), 0);
    return keep(path);
}

static void test_mismatched_pairs(void **state)
{
    (void)state;
    unsigned img3[3] = { 20, 2, 2 }, lab20 = 20, lab19 = 19, img2[2] = { 20, 4 }, lab2[2] = { 20, 1 };
    const char *img_ok = write_idx("img.idx", 0x08, 3, img3, 80, 9);
    const char *u8_5 = keep(rk_test_data("idx/u8-5.idx"));
    struct {
        const char *what, *images, *labels;
        rk_status want;
        const char *msg;
    } cases[] = {
        { "count mismatch", img_ok, write_idx("lab19.idx", 0x08, 1, &lab19, 19, 1), RK_ELABEL,
          "20 images but 19 labels" },
        { "labels 2-d", img_ok, write_idx("lab2d.idx", 0x08, 2, lab2, 20, 1), RK_EFORMAT,
          "labels have 2 dimensions" },
        { "images 2-d", write_idx("img2d.idx", 0x08, 2, img2, 80, 1), u8_5,
          RK_EFORMAT, "images have 2 dimensions" },
        { "images i16", write_idx("img16.idx", 0x0B, 3, img3, 160, 1), u8_5,
          RK_EDTYPE, "images are not unsigned bytes (IDX type 0x0b)" },
        { "labels f32", img_ok, keep(rk_test_data("idx/f32-2x3.idx")), RK_EDTYPE,
          "labels are not unsigned bytes (IDX type 0x0d)" },
        { "labels missing", img_ok, keep(rk_test_tmpfile("nothing.idx")), RK_ENOENT, "nothing.idx: no such file" },
        { "images payload short", write_idx("img-short.idx", 0x08, 3, img3, 79, 9), u8_5, RK_ETRUNC,
          "img-short.idx: payload is 79 bytes, shape (20, 2, 2) of u8 needs 80" },
        { "images 1-d", u8_5, img_ok, RK_EFORMAT, "images have 1 dimensions" },
        { "any 3-d u8 images", keep(rk_test_data("idx/u8-5x4x3.idx.gz")), u8_5, RK_OK, "" },
    };
    /* label 10 at index 7; label 255 at index 0 */
    const char *lab_bad = write_idx("lab-bad.idx", 0x08, 1, &lab20, 20, 3);
    FILE *f = fopen(lab_bad, "r+b");
    fseek(f, 8 + 7, SEEK_SET);
    fputc(10, f);
    fclose(f);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        rk_dataset d;
        rk_err e;
        rk_err_clear(&e);
        rk_status st = rk_dataset_load_files(&d, cases[i].images, cases[i].labels, 10, &e);
        if (st != cases[i].want || !strstr(e.msg, cases[i].msg)) {
            print_error("%s: got %s \"%s\"\n", cases[i].what, rk_strerror(st), e.msg);
            fail();
        }
        if (st == RK_OK) {
            assert_int_equal(d.n, 5); /* the u8 (5, 4, 3) fixture as 5 images of 12 pixels */
            assert_int_equal(d.dim, 12);
        } else {
            assert_null(d.x);
        }
        rk_dataset_free(&d);
    }
    rk_dataset d;
    rk_err e;
    assert_status(rk_dataset_load_files(&d, img_ok, lab_bad, 10, &e), RK_ELABEL);
    assert_string_equal(e.msg, "label at index 7 is 10, outside 0..9");
    assert_status(rk_dataset_load_files(&d, img_ok, lab_bad, 11, &e), RK_OK);
    rk_dataset_free(&d);
}

/* ---- subsets ----------------------------------------------------------- */

static void test_filter_class_and_head(void **state)
{
    (void)state;
    rk_dataset train, test, sub, head;
    rk_err e;
    assert_status(rk_dataset_load(&train, &test, mini_dir(), &e), RK_OK);
    assert_status(rk_dataset_filter_class(&sub, &train, 3, &e), RK_OK);
    assert_int_equal(sub.n, 2); /* examples 3 and 13 */
    assert_int_equal(sub.dim, 16);
    assert_true(sub.mean == train.mean && sub.std == train.std);
    assert_memory_equal(sub.x, train.x + 3 * 16, 16 * sizeof(float));
    assert_memory_equal(sub.x + 16, train.x + 13 * 16, 16 * sizeof(float));
    assert_int_equal(sub.y[0], 3);
    assert_int_equal(sub.y[1], 3);
    rk_dataset_free(&sub);
    assert_status(rk_dataset_filter_class(&sub, &train, 10, &e), RK_ERANGE);
    assert_string_equal(e.msg, "class 10 is outside 0..9");
    assert_status(rk_dataset_filter_class(&sub, &train, -1, &e), RK_ERANGE);

    assert_status(rk_dataset_head(&head, &train, 5), RK_OK);
    assert_int_equal(head.n, 5);
    assert_memory_equal(head.x, train.x, 5 * 16 * sizeof(float));
    assert_status(rk_dataset_filter_class(&sub, &head, 7, &e), RK_ENOTFOUND);
    assert_string_equal(e.msg, "no example has label 7");
    size_t counts[10];
    rk_dataset_class_counts(&head, counts);
    for (int c = 0; c < 10; c++)
        assert_int_equal(counts[c], c < 5);
    rk_dataset_free(&head);
    assert_status(rk_dataset_head(&head, &train, 1000), RK_OK);
    assert_int_equal(head.n, 20);
    rk_dataset_class_counts(&head, counts);
    for (int c = 0; c < 10; c++)
        assert_int_equal(counts[c], 2);
    rk_dataset_free(&head);
    assert_status(rk_dataset_head(&head, &train, 0), RK_OK);
    assert_int_equal(head.n, 0);
    rk_dataset_free(&head);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
}

/* ---- batches ----------------------------------------------------------- */

/* n examples of dim 3 whose first feature is the example's index. */
static rk_dataset indexed(size_t n)
{
    rk_dataset d = { .n = n, .dim = 3, .n_classes = 10, .std = 1 };
    d.x = rk_calloc(n * 3, sizeof(float));
    d.y = rk_calloc(n, 1);
    assert_non_null(d.x);
    assert_non_null(d.y);
    for (size_t i = 0; i < n; i++) {
        d.x[i * 3] = (float)i;
        d.x[i * 3 + 1] = -(float)i;
        d.y[i] = (unsigned char)(i % 10);
    }
    return d;
}

/* Run one epoch of batches of 5 over 23 examples; record the order served. */
static void one_epoch(rk_batcher *b, const rk_dataset *d, size_t *order)
{
    float x[5 * 3];
    unsigned char y[5];
    size_t served = 0, sizes[] = { 5, 5, 5, 5, 3 };
    for (int call = 0; call < 5; call++) {
        size_t k = rk_batcher_next(b, 5, x, y);
        assert_int_equal(k, sizes[call]);
        for (size_t i = 0; i < k; i++) {
            size_t idx = (size_t)x[i * 3];
            assert_true(x[i * 3 + 1] == -(float)idx);
            assert_int_equal(y[i], d->y[idx]);
            order[served++] = idx;
        }
    }
    assert_int_equal(served, 23);
    assert_int_equal(rk_batcher_remaining(b), 0);
}

static void test_batcher_epochs_and_seeds(void **state)
{
    (void)state;
    rk_dataset d = indexed(23);
    rk_rng r1, r2, r3;
    rk_rng_seed(&r1, 42);
    rk_rng_seed(&r2, 42);
    rk_rng_seed(&r3, 43);
    rk_batcher a, b, c, plain;
    assert_status(rk_batcher_init(&a, &d, &r1), RK_OK);
    assert_status(rk_batcher_init(&b, &d, &r2), RK_OK);
    assert_status(rk_batcher_init(&c, &d, &r3), RK_OK);
    assert_status(rk_batcher_init(&plain, &d, NULL), RK_OK);
    size_t oa[2][23], ob[2][23], oc[23], op[23];
    for (int ep = 0; ep < 2; ep++) {
        one_epoch(&a, &d, oa[ep]);
        assert_int_equal(a.epoch, (size_t)ep + 1); /* the next epoch begins on the next call */
        one_epoch(&b, &d, ob[ep]);
        /* every example exactly once per epoch */
        int seen[23] = { 0 };
        for (int i = 0; i < 23; i++)
            seen[oa[ep][i]]++;
        for (int i = 0; i < 23; i++)
            assert_int_equal(seen[i], 1);
    }
    one_epoch(&c, &d, oc);
    one_epoch(&plain, &d, op);
    assert_memory_equal(oa, ob, sizeof oa);                 /* same seed, same batches */
    assert_memory_not_equal(oa[0], oa[1], sizeof oa[0]);    /* reshuffled each epoch */
    assert_memory_not_equal(oa[0], oc, sizeof oc);          /* another seed, another order */
    for (size_t i = 0; i < 23; i++)
        assert_int_equal(op[i], i);                         /* no rng: file order */

    /* new_epoch drops the rest; batch 0 serves nothing */
    float x[3 * 3];
    unsigned char y[3];
    assert_int_equal(rk_batcher_next(&plain, 3, x, y), 3);
    assert_int_equal(rk_batcher_remaining(&plain), 20);
    rk_batcher_new_epoch(&plain);
    assert_int_equal(rk_batcher_remaining(&plain), 23);
    assert_int_equal(rk_batcher_next(&plain, 0, x, y), 0);
    rk_batcher_free(&a);
    rk_batcher_free(&b);
    rk_batcher_free(&c);
    rk_batcher_free(&plain);
    rk_batcher_free(NULL);

    rk_dataset empty = { 0 };
    assert_status(rk_batcher_init(&a, &empty, &r1), RK_EINVAL);
    rk_dataset_free(&d);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    rk_status st = RK_ENOMEM;
    long n;
    for (n = 1; n < 100 && st != RK_OK; n++) {
        rk_dataset train, test;
        rk_test_fail_alloc_after(n);
        st = rk_dataset_load(&train, &test, mini_dir(), NULL);
        rk_test_fail_alloc_after(0);
        if (st != RK_OK) {
            assert_status(st, RK_ENOMEM);
            assert_null(train.x);
            assert_null(test.x);
        } else {
            rk_dataset sub;
            rk_batcher b;
            rk_test_fail_alloc_after(1);
            assert_status(rk_dataset_filter_class(&sub, &train, 1, NULL), RK_ENOMEM);
            assert_status(rk_dataset_head(&sub, &train, 3), RK_ENOMEM);
            assert_status(rk_batcher_init(&b, &train, NULL), RK_ENOMEM);
            rk_test_fail_alloc_after(0);
            rk_dataset_free(&train);
            rk_dataset_free(&test);
        }
    }
    assert_status(st, RK_OK);
    assert_true(n > 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_load_files_scales_pixels),
        cmocka_unit_test(test_load_standardises_with_train_stats),
        cmocka_unit_test(test_missing_dataset_says_how_to_get_it),
        cmocka_unit_test(test_default_dir_follows_environment),
        cmocka_unit_test(test_mismatched_pairs),
        cmocka_unit_test(test_filter_class_and_head),
        cmocka_unit_test(test_batcher_epochs_and_seeds),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("data", tests, NULL, NULL);
}
