/*
 * test_idx.c — the IDX reader: committed fixtures of every element type (raw
 * and gzip), a table of hostile files each refused with its own status and
 * message, allocation bounds against gzip bombs, and allocation failures.
 * The real Fashion-MNIST files are read in test_idx_fashion_mnist.c.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* ---- helpers ----------------------------------------------------------- */

typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

static bytes make_bytes(const void *src, size_t n)
{
    bytes b = { malloc(n ? n : 1), n };
    assert_non_null(b.p);
    if (n)
        memcpy(b.p, src, n);
    return b;
}

/* An IDX header: type byte, ndim, dims. */
static bytes idx_header(int type, int ndim, const unsigned *dims)
{
    unsigned char h[4 + 4 * 16] = { 0, 0, (unsigned char)type, (unsigned char)ndim };
    for (int i = 0; i < ndim; i++) {
        h[4 + 4 * i] = (unsigned char)(dims[i] >> 24);
        h[5 + 4 * i] = (unsigned char)(dims[i] >> 16);
        h[6 + 4 * i] = (unsigned char)(dims[i] >> 8);
        h[7 + 4 * i] = (unsigned char)dims[i];
    }
    return make_bytes(h, 4 + 4 * (size_t)ndim);
}

/* Append @p n bytes of value @p v to @p b. */
static void append_fill(bytes *b, int v, size_t n)
{
    b->p = realloc(b->p, b->n + n + 1);
    assert_non_null(b->p);
    memset(b->p + b->n, v, n);
    b->n += n;
}

/* gzip @p b (one member, no file name, mtime 0) and free it. */
static bytes gzip_bytes(bytes b)
{
    z_stream zs = { 0 };
    assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uLong cap = deflateBound(&zs, (uLong)b.n) + 64;
    bytes out = { malloc(cap), 0 };
    assert_non_null(out.p);
    zs.next_in = b.p;
    zs.avail_in = (uInt)b.n;
    zs.next_out = out.p;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.n = cap - zs.avail_out;
    deflateEnd(&zs);
    free(b.p);
    return out;
}

static bytes u8_images(void) /* the u8 (5, 4, 3) fixture, built here */
{
    unsigned dims[3] = { 5, 4, 3 };
    bytes b = idx_header(0x08, 3, dims);
    append_fill(&b, 0, 60);
    for (size_t k = 0; k < 60; k++)
        b.p[16 + k] = (unsigned char)((7 * k + 3) % 256);
    return b;
}

/* ---- fixtures ---------------------------------------------------------- */

static void check_u8_images(const rk_idx *x)
{
    assert_int_equal(x->type, RK_IDX_U8);
    assert_int_equal(x->dtype, RK_DT_U8);
    assert_int_equal(x->ndim, 3);
    assert_int_equal(x->dims[0], 5);
    assert_int_equal(x->dims[1], 4);
    assert_int_equal(x->dims[2], 3);
    assert_int_equal(x->count, 60);
    assert_int_equal(x->nbytes, 60);
    for (size_t k = 0; k < 60; k++)
        assert_int_equal(x->data[k], (7 * k + 3) % 256);
    float f[60];
    assert_status(rk_idx_to_float(x, f, 60), RK_OK);
    for (size_t k = 0; k < 60; k++)
        assert_true(f[k] == (float)((7 * k + 3) % 256));
    assert_status(rk_idx_to_float(x, f, 61), RK_ERANGE);
}

static void test_u8_raw_and_gzip(void **state)
{
    (void)state;
    const char *names[] = { "idx/u8-5x4x3.idx", "idx/u8-5x4x3.idx.gz" };
    for (int i = 0; i < 2; i++) {
        rk_idx x;
        rk_err e;
        assert_status(rk_idx_read(rk_test_data(names[i]), &x, &e), RK_OK);
        check_u8_images(&x);
        rk_idx_free(&x);
        assert_null(x.data);
        rk_idx_free(&x); /* twice is harmless */
    }
    rk_idx_free(NULL);
    /* the memory entry point agrees with the file */
    bytes b = u8_images();
    rk_idx x;
    assert_status(rk_idx_read_mem(b.p, b.n, &x, NULL), RK_OK);
    check_u8_images(&x);
    rk_idx_free(&x);
    b = gzip_bytes(b);
    assert_status(rk_idx_read_mem(b.p, b.n, &x, NULL), RK_OK);
    check_u8_images(&x);
    rk_idx_free(&x);
    free(b.p);
}

static void test_every_type_converts(void **state)
{
    (void)state;
    struct { const char *name; rk_idx_type type; double v0, step; } t[] = {
        { "idx/i8-2x3.idx", RK_IDX_I8, -3, 2 },
        { "idx/i16-2x3.idx", RK_IDX_I16, -1000, 700 },
        { "idx/i32-2x3.idx", RK_IDX_I32, -100000, 70001 },
        { "idx/f32-2x3.idx", RK_IDX_F32, -1.5, 0.25 },
        { "idx/f32-2x3.idx.gz", RK_IDX_F32, -1.5, 0.25 },
        { "idx/f64-2x3.idx", RK_IDX_F64, -2.0 / 3, 1.0 / 3 },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rk_idx x;
        assert_status(rk_idx_read(rk_test_data(t[i].name), &x, NULL), RK_OK);
        assert_int_equal(x.type, t[i].type);
        assert_int_equal(x.ndim, 2);
        assert_int_equal(x.dims[0], 2);
        assert_int_equal(x.dims[1], 3);
        assert_int_equal(x.nbytes, 6 * rk_idx_type_size(t[i].type));
        float f[6];
        assert_status(rk_idx_to_float(&x, f, 6), RK_OK);
        for (int k = 0; k < 6; k++) {
            /* the f64 file holds (k - 2)/3 rounded to double, then to float */
            double want = t[i].type == RK_IDX_F64 ? (k - 2) / 3.0 : t[i].v0 + t[i].step * k;
            assert_true(f[k] == (float)want);
        }
        rk_idx_free(&x);
    }
}

static void test_empty_array_and_two_members(void **state)
{
    (void)state;
    rk_idx x;
    assert_status(rk_idx_read(rk_test_data("idx/empty-0x4.idx"), &x, NULL), RK_OK);
    assert_int_equal(x.ndim, 2);
    assert_int_equal(x.dims[0], 0);
    assert_int_equal(x.dims[1], 4);
    assert_int_equal(x.count, 0);
    assert_int_equal(x.nbytes, 0);
    rk_idx_free(&x);

    /* gzip(1) treats concatenated members as one stream; so do we */
    bytes b = u8_images();
    bytes first = gzip_bytes(make_bytes(b.p, 10));
    bytes second = gzip_bytes(make_bytes(b.p + 10, b.n - 10));
    bytes both = make_bytes(first.p, first.n);
    append_fill(&both, 0, second.n);
    memcpy(both.p + first.n, second.p, second.n);
    assert_status(rk_idx_read_mem(both.p, both.n, &x, NULL), RK_OK);
    check_u8_images(&x);
    rk_idx_free(&x);
    free(b.p);
    free(first.p);
    free(second.p);
    free(both.p);
}

static void test_parse_header_alone(void **state)
{
    (void)state;
    unsigned dims[3] = { 60000, 28, 28 };
    bytes b = idx_header(0x08, 3, dims);
    rk_idx h;
    size_t hlen;
    assert_status(rk_idx_parse_header(b.p, b.n, &h, &hlen, NULL), RK_OK);
    assert_int_equal(hlen, 16);
    assert_int_equal(h.count, 60000 * 28 * 28);
    assert_int_equal(h.nbytes, 60000 * 28 * 28);
    assert_null(h.data);
    free(b.p);
    assert_int_equal(rk_idx_type_size(0x0E), 8);
    assert_int_equal(rk_idx_type_size(0x0A), 0);
}

static void test_missing_and_unreadable(void **state)
{
    (void)state;
    rk_idx x;
    rk_err e;
    assert_status(rk_idx_read(rk_test_data("idx/no-such-file.idx"), &x, &e), RK_ENOENT);
    assert_null(x.data);
    assert_status(rk_idx_read(rk_test_data("idx"), &x, &e), RK_EIO);
    assert_non_null(strstr(e.msg, "not a regular file"));
    assert_status(rk_idx_read(NULL, &x, &e), RK_EINVAL);
    assert_status(rk_idx_read_mem(NULL, 4, &x, &e), RK_EINVAL);
}

/* ---- hostile files ----------------------------------------------------- */

typedef enum build { RAW, GZIP } build;

typedef struct hostile {
    const char *what;
    rk_status want;
    const char *msg;   /* a substring the message must contain */
    bytes (*make)(void);
} hostile;

static bytes h_empty(void) { return make_bytes("", 0); }
static bytes h_magic_cut(void) { return make_bytes("\0\0\x08", 3); }
static bytes h_bad_magic(void) { unsigned d = 5; bytes b = idx_header(8, 1, &d); b.p[0] = 1; append_fill(&b, 0, 5); return b; }
static bytes h_png(void) { return make_bytes("\x89PNG\r\n\x1a\n", 8); }
static bytes h_type07(void) { unsigned d = 5; bytes b = idx_header(0x07, 1, &d); append_fill(&b, 0, 5); return b; }
static bytes h_type0a(void) { unsigned d = 5; bytes b = idx_header(0x0A, 1, &d); append_fill(&b, 0, 5); return b; }
static bytes h_zero_dims(void) { return idx_header(0x08, 0, NULL); }
static bytes h_many_dims(void) { unsigned d[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 1 }; bytes b = idx_header(8, 9, d); append_fill(&b, 0, 1); return b; }
static bytes h_dims_cut(void) { unsigned d[3] = { 5, 4, 3 }; bytes b = idx_header(8, 3, d); b.n = 4 + 4 * 2 + 1; return b; }
static bytes h_count_overflow(void) { unsigned d[3] = { 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFFFFFFu }; return idx_header(8, 3, d); }
static bytes h_bytes_overflow(void) { unsigned d[2] = { 0xFFFFFFFFu, 0xFFFFFFFFu }; return idx_header(0x0E, 2, d); }
static bytes h_too_big(void) { unsigned d[2] = { 65536, 65536 }; return idx_header(8, 2, d); }
static bytes h_short(void) { bytes b = u8_images(); b.n--; return b; }
static bytes h_long(void) { bytes b = u8_images(); append_fill(&b, 7, 1); return b; }
static bytes h_no_payload(void) { bytes b = u8_images(); b.n = 16; return b; }
static bytes h_i16_odd(void) { unsigned d = 3; bytes b = idx_header(0x0B, 1, &d); append_fill(&b, 0, 5); return b; }

static bytes h_gz_corrupt(void)
{
    bytes b = gzip_bytes(u8_images());
    for (size_t i = 10; i < 20 && i < b.n; i++)
        b.p[i] ^= 0xA5;
    return b;
}
static bytes h_gz_cut(void) { bytes b = gzip_bytes(u8_images()); b.n -= 10; return b; }
static bytes h_gz_cut_header(void) { bytes b = gzip_bytes(u8_images()); b.n = 12; return b; }
static bytes h_gz_crc(void) { bytes b = gzip_bytes(u8_images()); b.p[b.n - 8] ^= 1; return b; }
static bytes h_gz_trailing(void) { bytes b = gzip_bytes(u8_images()); append_fill(&b, 'x', 16); return b; }
static bytes h_gz_bad_magic(void) { bytes b = u8_images(); b.p[1] = 0x42; return gzip_bytes(b); }
static bytes h_gz_short(void) { bytes b = u8_images(); b.n -= 5; return gzip_bytes(b); }
static bytes h_gz_long(void) { bytes b = u8_images(); append_fill(&b, 0, 3); return gzip_bytes(b); }
static bytes h_gz_too_big(void) { unsigned d[3] = { 1u << 16, 1u << 16, 2 }; return gzip_bytes(idx_header(8, 3, d)); }

/* Declares 10 bytes; the stream inflates to 32 MiB of zeros. */
static bytes h_gz_bomb(void)
{
    unsigned d = 10;
    bytes b = idx_header(8, 1, &d);
    append_fill(&b, 0, (size_t)32 << 20);
    return gzip_bytes(b);
}

static const hostile cases[] = {
    { "empty file", RK_ETRUNC, "shorter than the 4-byte IDX magic", h_empty },
    { "magic cut after 3 bytes", RK_ETRUNC, "data is 3 bytes", h_magic_cut },
    { "magic not 00 00", RK_EMAGIC, "01 00, not 00 00", h_bad_magic },
    { "a PNG file", RK_EMAGIC, "89 50", h_png },
    { "type byte 0x07", RK_EDTYPE, "unknown IDX type byte 0x07", h_type07 },
    { "type byte 0x0A", RK_EDTYPE, "unknown IDX type byte 0x0a", h_type0a },
    { "zero dimensions", RK_EFORMAT, "dimension count 0 is outside 1..8", h_zero_dims },
    { "nine dimensions", RK_EFORMAT, "dimension count 9 is outside 1..8", h_many_dims },
    { "dims cut short", RK_ETRUNC, "header of 3 dimensions needs 16 bytes, data is 13", h_dims_cut },
    { "element count overflows", RK_EOVERFLOW, "(4294967295, 4294967295, 4294967295) of u8: size overflows", h_count_overflow },
    { "byte count overflows", RK_EOVERFLOW, "of f64: size overflows", h_bytes_overflow },
    { "declares 4 GiB", RK_ETOOBIG, "needs 4294967296 bytes, more than the 1073741824 allowed", h_too_big },
    { "payload 1 byte short", RK_ETRUNC, "payload is 59 bytes, shape (5, 4, 3) of u8 needs 60", h_short },
    { "payload 1 byte long", RK_EFORMAT, "payload is 61 bytes, 1 more than shape (5, 4, 3) of u8", h_long },
    { "payload missing", RK_ETRUNC, "payload is 0 bytes", h_no_payload },
    { "i16 payload odd", RK_ETRUNC, "payload is 5 bytes, shape (3) of i16 needs 6", h_i16_odd },
    { "gzip data corrupt", RK_EFORMAT, "corrupt gzip data", h_gz_corrupt },
    { "gzip cut in trailer", RK_ETRUNC, "gzip stream is truncated", h_gz_cut },
    { "gzip cut in header", RK_ETRUNC, "gzip stream is truncated", h_gz_cut_header },
    { "gzip CRC wrong", RK_EFORMAT, "incorrect data check", h_gz_crc },
    { "gzip trailing garbage", RK_EFORMAT, "corrupt gzip data", h_gz_trailing },
    { "gzip of a bad magic", RK_EMAGIC, "00 42, not 00 00", h_gz_bad_magic },
    { "gzip payload short", RK_ETRUNC, "gzip payload is 55 bytes, shape (5, 4, 3) of u8 needs 60", h_gz_short },
    { "gzip payload long", RK_EFORMAT, "gzip payload is longer than the 60 bytes", h_gz_long },
    { "gzip declares 8 GiB", RK_ETOOBIG, "more than the 1073741824 allowed", h_gz_too_big },
    { "gzip bomb", RK_EFORMAT, "gzip payload is longer than the 10 bytes", h_gz_bomb },
};

static void expect_refusal(const hostile *c, rk_status st, const rk_idx *x, const rk_err *e,
                           const char *how)
{
    if (st != c->want || !strstr(e->msg, c->msg)) {
        print_error("%s (%s): got %s \"%s\", want %s \"…%s…\"\n", c->what, how, rk_strerror(st),
                    e->msg, rk_strerror(c->want), c->msg);
        fail();
    }
    assert_int_equal(e->status, c->want);
    assert_null(x->data);
    assert_int_equal(x->nbytes, 0);
}

static void test_hostile_files(void **state)
{
    (void)state;
    assert_true(sizeof cases / sizeof cases[0] >= 15);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const hostile *c = &cases[i];
        bytes b = c->make();
        rk_idx x;
        rk_err e;
        rk_err_clear(&e);
        expect_refusal(c, rk_idx_read_mem(b.p, b.n, &x, &e), &x, &e, "memory");
        const char *path = rk_test_tmpfile("hostile.idx");
        rk_test_write_file(path, b.p, b.n);
        rk_err_clear(&e);
        expect_refusal(c, rk_idx_read(path, &x, &e), &x, &e, "file");
        free(b.p);
    }
}

/* ---- allocation bounds and failures ------------------------------------ */

static size_t peak_request;

static void *tracking_alloc(size_t size, void *ctx)
{
    (void)ctx;
    if (size > peak_request)
        peak_request = size;
    return malloc(size);
}

static void plain_free(void *p, void *ctx)
{
    (void)ctx;
    free(p);
}

/* Largest single allocation made while reading @p b. */
static size_t peak_while_reading(bytes b, rk_status want)
{
    rk_allocator a = { tracking_alloc, plain_free, NULL };
    peak_request = 0;
    rk_set_allocator(&a);
    rk_idx x;
    rk_status st = rk_idx_read_mem(b.p, b.n, &x, NULL);
    rk_set_allocator(NULL);
    assert_status(st, want);
    rk_idx_free(&x);
    return peak_request;
}

static void test_gzip_allocation_bounded(void **state)
{
    (void)state;
    /* a bomb declaring 10 bytes: nothing bigger than zlib's own 32 KiB window + state */
    bytes b = h_gz_bomb();
    assert_true(peak_while_reading(b, RK_EFORMAT) <= 64 * 1024);
    free(b.p);
    /* declares exactly 1 GiB but holds nothing: the first chunk (1 MiB) at most */
    unsigned d[2] = { 1u << 15, 1u << 15 };
    b = gzip_bytes(idx_header(8, 2, d));
    assert_true(peak_while_reading(b, RK_ETRUNC) <= ((size_t)1 << 20));
    free(b.p);
    /* an honest 3 MiB payload grows to exactly its declared size */
    unsigned d3[2] = { 3, 1u << 20 };
    b = idx_header(8, 2, d3);
    append_fill(&b, 9, (size_t)3 << 20);
    b = gzip_bytes(b);
    assert_int_equal(peak_while_reading(b, RK_OK), (size_t)3 << 20);
    free(b.p);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    const char *names[] = { "idx/u8-5x4x3.idx", "idx/u8-5x4x3.idx.gz" };
    for (int i = 0; i < 2; i++) {
        rk_status st = RK_ENOMEM;
        long n;
        for (n = 1; n < 50 && st != RK_OK; n++) {
            rk_idx x;
            rk_err e;
            rk_test_fail_alloc_after(n);
            st = rk_idx_read(rk_test_data(names[i]), &x, &e);
            rk_test_fail_alloc_after(0);
            if (st == RK_OK) {
                check_u8_images(&x);
                rk_idx_free(&x);
            } else {
                assert_status(st, RK_ENOMEM);
                assert_null(x.data);
            }
        }
        assert_status(st, RK_OK);
        assert_true(n > 2); /* at least one failure was injected */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_u8_raw_and_gzip),
        cmocka_unit_test(test_every_type_converts),
        cmocka_unit_test(test_empty_array_and_two_members),
        cmocka_unit_test(test_parse_header_alone),
        cmocka_unit_test(test_missing_and_unreadable),
        cmocka_unit_test(test_hostile_files),
        cmocka_unit_test(test_gzip_allocation_bounded),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests_name("idx", tests, NULL, NULL);
}
