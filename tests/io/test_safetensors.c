/* test_safetensors.c — safetensors reader and writer: round trips, byte layout, dtypes, hostile files. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* A file image: u64 LE length of `header` (or `n_override` when non-zero),
 * header, then `data_len` bytes 0, 1, 2, ... */
static unsigned char *image(const char *header, unsigned long long n_override, size_t data_len,
                            size_t *size)
{
    size_t h = strlen(header);
    unsigned long long n = n_override ? n_override : h;
    *size = 8 + h + data_len;
    unsigned char *buf = rk_alloc(*size);
    assert_non_null(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, header, h);
    for (size_t i = 0; i < data_len; i++)
        buf[8 + h + i] = (unsigned char)i;
    return buf;
}

/* Parse an image; on success close it, on failure free it. */
static rk_status parse_image(unsigned char *buf, size_t size, rk_err *err)
{
    rk_st_file f;
    rk_status st = rk_st_parse(&f, buf, size, err);
    if (st)
        rk_free(buf);
    else
        rk_st_close(&f);
    return st;
}

typedef struct hostile {
    const char *what;
    const char *header;
    unsigned long long n_override;
    size_t data_len;
    rk_status want;
    const char *msg; /* substring of the message */
} hostile;

#define T(name, shape, off) "\"" name "\":{\"dtype\":\"F32\",\"shape\":" shape ",\"data_offsets\":" off "}"

static const hostile hostiles[] = {
    { "N > 100,000,000", "{}", 100000001ull, 0, RK_ETOOBIG, "exceeds the limit" },
    { "N = 2^64 - 1", "{}", 0xFFFFFFFFFFFFFFFFull, 0, RK_ETOOBIG, "exceeds the limit" },
    { "N past the end of the file", "{}", 4096, 0, RK_ETRUNC, "runs past the end" },
    { "invalid UTF-8", "{\"a\xff\":{}}", 0, 0, RK_EHEADER, "not valid UTF-8" },
    { "overlong UTF-8", "{\"\xc0\xaf\":{}}", 0, 0, RK_EHEADER, "not valid UTF-8" },
    { "UTF-8 surrogate", "{\"\xed\xa0\x80\":{}}", 0, 0, RK_EHEADER, "not valid UTF-8" },
    { "invalid JSON", "{\"a\":", 0, 0, RK_EJSON, "not valid JSON" },
    { "trailing garbage", "{} x", 0, 0, RK_EJSON, "not valid JSON" },
    { "empty header", "", 0, 0, RK_EJSON, "not valid JSON" },
    { "non-object header", "[1,2]", 0, 0, RK_EJSON, "not an object" },
    { "duplicate keys", "{" T("a", "[1]", "[0,4]") "," T("a", "[1]", "[0,4]") "}", 0, 4, RK_EDUPKEY,
      "duplicate" },
    { "entry not an object", "{\"a\":[1]}", 0, 0, RK_EHEADER, "not an object" },
    { "missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4, RK_EHEADER,
      "missing \"dtype\"" },
    { "missing shape", "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 0, 4, RK_EHEADER,
      "missing \"shape\"" },
    { "missing data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, 4, RK_EHEADER,
      "missing \"data_offsets\"" },
    { "extra key", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 0, 4,
      RK_EHEADER, "unexpected key \"x\"" },
    { "dtype not a string", "{\"a\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
      RK_EHEADER, "dtype is not a string" },
    { "unknown dtype", "{\"a\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}", 0, 4,
      RK_EDTYPE, "unknown dtype \"F128\"" },
    { "negative shape", "{" T("a", "[-1]", "[0,4]") "}", 0, 4, RK_EHEADER, "non-negative" },
    { "fractional shape", "{" T("a", "[1.5]", "[0,4]") "}", 0, 4, RK_EHEADER, "non-negative" },
    { "shape not an array", "{" T("a", "3", "[0,12]") "}", 0, 12, RK_EHEADER, "shape is not an array" },
    { "offsets of one number", "{" T("a", "[1]", "[4]") "}", 0, 4, RK_EHEADER, "[begin, end]" },
    { "offsets of three numbers", "{" T("a", "[1]", "[0,4,8]") "}", 0, 4, RK_EHEADER, "[begin, end]" },
    { "negative offset", "{" T("a", "[1]", "[-4,0]") "}", 0, 4, RK_EHEADER, "[begin, end]" },
    { "end < begin", "{" T("a", "[0]", "[4,0]") "}", 0, 4, RK_EOFFSETS, "end 0 < begin 4" },
    { "shape overflow", "{" T("a", "[4294967296,4294967296,16]", "[0,4]") "}", 0, 4, RK_EOVERFLOW,
      "shape product overflows" },
    { "byte count overflow", "{" T("a", "[4611686018427387904]", "[0,4]") "}", 0, 4, RK_EOVERFLOW,
      "byte count overflows" },
    { "length != shape x size", "{" T("a", "[2,2]", "[0,12]") "}", 0, 12, RK_EHEADER,
      "span 12 bytes, shape needs 16" },
    { "hole between tensors", "{" T("a", "[1]", "[0,4]") "," T("b", "[1]", "[8,12]") "}", 0, 12,
      RK_EOFFSETS, "a hole" },
    { "first tensor not at 0", "{" T("a", "[1]", "[4,8]") "}", 0, 8, RK_EOFFSETS, "a hole" },
    { "overlapping tensors", "{" T("a", "[2]", "[0,8]") "," T("b", "[1]", "[4,8]") "}", 0, 8,
      RK_EOFFSETS, "an overlap" },
    { "offsets out of bounds", "{" T("a", "[1]", "[0,4]") "," T("b", "[4]", "[4,20]") "}", 0, 8,
      RK_ETRUNC, "tensors need 20 bytes" },
    { "buffer end != file end", "{" T("a", "[1]", "[0,4]") "}", 0, 6, RK_EOFFSETS,
      "2 bytes after the last tensor" },
    { "data but no tensors", "{}", 0, 3, RK_EOFFSETS, "3 bytes after" },
    { "__metadata__ not an object", "{\"__metadata__\":[\"a\"]}", 0, 0, RK_EHEADER, "__metadata__" },
    { "__metadata__ value not a string", "{\"__metadata__\":{\"k\":1}}", 0, 0, RK_EHEADER,
      "value of \"k\" is not a string" },
    { "__metadata__ value null", "{\"__metadata__\":{\"k\":null}}", 0, 0, RK_EHEADER, "not a string" },
    { "NUL escape in a name", "{\"a\\u0000b\":{}}", 0, 0, RK_EJSON, "not valid JSON" },
    { "misaligned sub-byte dtype", "{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 0,
      2, RK_EHEADER, "whole bytes" },
};

#define N_HOSTILE (sizeof hostiles / sizeof hostiles[0])

/* One malformed file: refused with its status and message (state: the case). */
static void test_hostile(void **state)
{
    {
        const hostile *h = *state;
        size_t size;
        unsigned char *buf = image(h->header, h->n_override, h->data_len, &size);
        rk_err err;
        rk_err_clear(&err);
        rk_status st = parse_image(buf, size, &err);
        if (st != h->want || !strstr(err.msg, h->msg)) {
            print_error("case '%s': status %d (%s), message \"%s\"; expected %d and \"%s\"\n", h->what,
                        (int)st, rk_strerror(st), err.msg, (int)h->want, h->msg);
            fail();
        }
    }
}

static void test_short_files(void **state)
{
    (void)state;
    rk_st_file f;
    rk_err err;
    unsigned char b[7] = { 2, 0, 0, 0, 0, 0, 0 };
    for (size_t n = 0; n < 8; n++) {
        assert_status(rk_st_parse(&f, n ? b : NULL, n < 7 ? n : 7, &err), RK_ETRUNC);
        assert_non_null(strstr(err.msg, "too short"));
    }
    assert_status(rk_st_parse(NULL, b, 7, &err), RK_EINVAL);
}

/* A valid file of two tensors and metadata, cut after every byte. */
static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    const char *hdr = "{\"__metadata__\":{\"k\":\"v\"}," T("a", "[2]", "[0,8]") "," T("b", "[]", "[8,12]") "}";
    size_t size;
    unsigned char *full = image(hdr, 0, 12, &size);
    rk_err err;
    assert_status(parse_image(full, size, &err), RK_OK);
    full = image(hdr, 0, 12, &size);
    for (size_t cut = 0; cut < size; cut++) {
        unsigned char *b = rk_alloc(cut ? cut : 1);
        memcpy(b, full, cut);
        rk_status st = parse_image(b, cut, &err);
        if (st != RK_ETRUNC) {
            print_error("cut at %zu of %zu: %s (%s)\n", cut, size, rk_strerror(st), err.msg);
            fail();
        }
    }
    rk_free(full);
}

static void test_valid_edge_cases(void **state)
{
    (void)state;
    /* empty tensors (several at one offset), a scalar, metadata, space padding */
    const char *hdr = "{\"__metadata__\":{\"format\":\"pt\"},"
                      T("e1", "[0]", "[0,0]") "," T("e2", "[3,0]", "[0,0]") "," T("s", "[]", "[0,4]") ","
                      "\"z\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[4,6]},"
                      "\"u\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[6,8]}}    ";
    size_t size;
    unsigned char *buf = image(hdr, 0, 8, &size);
    float one = 1.5f;
    memcpy(buf + size - 8, &one, 4);
    rk_st_file f;
    rk_err err;
    assert_status(rk_st_parse(&f, buf, size, &err), RK_OK);
    assert_int_equal(f.n_tensors, 5);
    assert_string_equal(f.tensors[0].name, "e1"); /* sorted by name */
    assert_string_equal(f.tensors[4].name, "z");
    assert_int_equal(f.n_meta, 1);
    assert_string_equal(f.meta_values[0], "pt");
    rk_mat m;
    assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, "s"), &m, &err), RK_OK);
    assert_int_equal(m.rows, 1);
    assert_int_equal(m.cols, 1);
    assert_true(RK_AT(&m, 0, 0) == 1.5);
    rk_mat_free(&m);
    assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, "e2"), &m, &err), RK_OK);
    assert_int_equal(m.rows, 3);
    assert_int_equal(m.cols, 0);
    rk_mat_free(&m);
    assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, "z"), &m, &err), RK_EDTYPE);
    assert_string_equal(err.msg, "unsupported dtype F8_E4M3");
    float x[2];
    assert_status(rk_st_tensor_to_f32(&f, rk_st_find(&f, "u"), x, 1, &err), RK_EDTYPE);
    assert_string_equal(err.msg, "unsupported dtype U16");
    assert_status(rk_st_tensor_to_f32(&f, rk_st_find(&f, "s"), x, 2, &err), RK_ESHAPE);
    assert_null(rk_st_find(&f, "nope"));
    rk_st_close(&f);
    rk_st_close(NULL);
}

/* Hand-made tensors of every loadable dtype, and a 3-d one. */
static void test_dtype_conversion(void **state)
{
    (void)state;
    const char *hdr = "{\"f16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
                      "\"bf\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                      "\"i32\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[6,10]},"
                      "\"b\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[10,12]},"
                      "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[12,13]},"
                      "\"c\":{\"dtype\":\"U8\",\"shape\":[1,1,3],\"data_offsets\":[13,16]}}";
    size_t size;
    unsigned char *buf = image(hdr, 0, 16, &size);
    unsigned char *d = buf + size - 16;
    const unsigned char bytes[16] = { 0x00, 0x3c, 0x00, 0xc0, /* F16 1, -2 */ 0x40, 0x40, /* BF16 3 */
                                      0xfb, 0xff, 0xff, 0xff, /* -5 */ 0, 7, /* false, true */ 0xfe,
                                      1, 2, 3 };
    memcpy(d, bytes, 16);
    rk_st_file f;
    rk_err err;
    assert_status(rk_st_parse(&f, buf, size, &err), RK_OK);
    rk_mat m;
    assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, "f16"), &m, &err), RK_OK);
    assert_true(RK_AT(&m, 0, 0) == 1.0 && RK_AT(&m, 0, 1) == -2.0);
    rk_mat_free(&m);
    const struct { const char *name; double v; } one[] = { { "bf", 3.0 }, { "i32", -5.0 }, { "i8", -2.0 } };
    for (int i = 0; i < 3; i++) {
        assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, one[i].name), &m, &err), RK_OK);
        assert_true(RK_AT(&m, 0, 0) == one[i].v);
        rk_mat_free(&m);
    }
    float x[2];
    assert_status(rk_st_tensor_to_f32(&f, rk_st_find(&f, "b"), x, 2, &err), RK_OK);
    assert_true(x[0] == 0.0f && x[1] == 1.0f);
    assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, "c"), &m, &err), RK_ESHAPE);
    assert_non_null(strstr(err.msg, "3 dimensions"));
    rk_st_close(&f);
}

/* Check a written file byte by byte, without rk_st_parse: length prefix,
 * padding, compact JSON, keys in name order, contiguous offsets, LE data. */
static void check_layout_by_hand(const char *path, const float *a, const double *b)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char buf[4096];
    size_t size = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    unsigned long long n = 0;
    for (int i = 7; i >= 0; i--)
        n = n << 8 | buf[i];
    assert_int_equal(n % 8, 0);
    assert_true(8 + n <= size);
    size_t len = (size_t)n;
    while (len > 0 && buf[8 + len - 1] == ' ')
        len--;
    assert_true(n - len < 8);
    assert_int_equal(buf[8], '{');
    assert_int_equal(buf[8 + len - 1], '}');
    char *text = malloc(len + 1);
    memcpy(text, buf + 8, len);
    text[len] = '\0';
    assert_null(strstr(text, ": "));
    assert_null(strstr(text, ", "));
    /* metadata first, then "a" before "b" */
    char *pm = strstr(text, "\"__metadata__\""), *pa = strstr(text, "\"a\":"), *pb = strstr(text, "\"b\":");
    assert_true(pm && pa && pb && pm < pa && pa < pb);
    assert_non_null(strstr(text, "\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}"));
    assert_non_null(strstr(text, "\"b\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[24,40]}"));
    free(text);
    assert_int_equal(size, 8 + n + 40);
    const unsigned char *d = buf + 8 + n;
    for (int i = 0; i < 6; i++) {
        unsigned u = 0;
        for (int k = 3; k >= 0; k--)
            u = u << 8 | d[4 * i + k];
        float v;
        memcpy(&v, &u, 4);
        assert_true(v == a[i]);
    }
    for (int i = 0; i < 2; i++) {
        unsigned long long u = 0;
        for (int k = 7; k >= 0; k--)
            u = u << 8 | d[24 + 8 * i + k];
        double v;
        memcpy(&v, &u, 8);
        assert_true(v == b[i]);
    }
}

/* Load the file with /usr/bin/python3 (torch or safetensors), if available. */
static int python_check(const char *path)
{
    char cmd[9000];
    const char *src = getenv("RK_SOURCE_ROOT");
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/io/st_check.py %s 1>&2", src ? src : ".", path);
    int rc = system(cmd);
    if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) == 77 || WEXITSTATUS(rc) == 127)
        return -1;
    return WEXITSTATUS(rc);
}

static void test_writer_round_trip(void **state)
{
    (void)state;
    const float a[6] = { 1.0f, -2.5f, 3.25f, 1e-30f, -0.0f, 65504.0f };
    const double b[2] = { 1.0 / 3.0, -1e300 };
    const size_t sa[2] = { 2, 3 }, sb[1] = { 2 };
    rk_st_writer *w;
    assert_status(rk_st_writer_new(&w), RK_OK);
    assert_status(rk_st_writer_add_f64(w, "b", b, 1, sb), RK_OK); /* added out of order */
    assert_status(rk_st_writer_add_f32(w, "a", a, 2, sa), RK_OK);
    assert_status(rk_st_writer_add_meta(w, "format", "pt"), RK_OK);
    assert_status(rk_st_writer_add_f32(w, "a", a, 2, sa), RK_EDUPKEY);
    assert_status(rk_st_writer_add_f32(w, "__metadata__", a, 2, sa), RK_EINVAL);
    assert_status(rk_st_writer_add_f32(w, "bad\xff", a, 2, sa), RK_EINVAL);
    assert_status(rk_st_writer_add_meta(w, "format", "x"), RK_EDUPKEY);
    char path[4096];
    snprintf(path, sizeof path, "%s", rk_test_tmpfile("rt.safetensors"));
    rk_err err;
    assert_status(rk_st_writer_save(w, path, &err), RK_OK);
    rk_st_writer_free(w);
    check_layout_by_hand(path, a, b);

    rk_st_file f;
    assert_status(rk_st_open(&f, path, &err), RK_OK);
    assert_int_equal(f.n_tensors, 2);
    rk_mat m;
    assert_status(rk_st_tensor_to_mat(&f, rk_st_find(&f, "a"), &m, &err), RK_OK);
    for (int i = 0; i < 6; i++)
        assert_true(RK_AT(&m, i / 3, i % 3) == (double)a[i]);
    rk_mat_free(&m);
    rk_st_close(&f);
    assert_status(rk_st_load_matrix(path, "b", &m, &err), RK_OK);
    assert_true(RK_AT(&m, 0, 0) == b[0] && RK_AT(&m, 0, 1) == b[1]);
    rk_mat_free(&m);
    assert_status(rk_st_load_matrix(path, "c", &m, &err), RK_ENOTFOUND);
    assert_status(rk_st_load_matrix(rk_test_tmpfile("none.safetensors"), "a", &m, &err), RK_ENOENT);

    int py = python_check(path);
    if (py < 0) {
        print_message("# SKIP reason: neither torch nor safetensors for /usr/bin/python3 "
                      "(scripts/install-deps.sh peers)\n");
        skip();
    }
    assert_int_equal(py, 0);
}

static void test_writer_empty_and_scalar(void **state)
{
    (void)state;
    rk_st_writer *w;
    assert_status(rk_st_writer_new(&w), RK_OK);
    const size_t s0[1] = { 0 };
    const double x = 4.0;
    assert_status(rk_st_writer_add_f32(w, "empty", NULL, 1, s0), RK_OK);
    assert_status(rk_st_writer_add_f64(w, "scalar", &x, 0, NULL), RK_OK);
    const char *path = rk_test_tmpfile("edge.safetensors");
    rk_err err;
    assert_status(rk_st_writer_save(w, path, &err), RK_OK);
    rk_st_writer_free(w);
    rk_st_file f;
    assert_status(rk_st_open(&f, path, &err), RK_OK);
    const rk_st_tensor *t = rk_st_find(&f, "scalar");
    assert_non_null(t);
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->end - t->begin, 8);
    rk_st_close(&f);
    /* a writer with nothing in it writes "{}" padded: a valid empty file */
    assert_status(rk_st_writer_new(&w), RK_OK);
    assert_status(rk_st_writer_save(w, path, &err), RK_OK);
    rk_st_writer_free(w);
    assert_status(rk_st_open(&f, path, &err), RK_OK);
    assert_int_equal(f.n_tensors, 0);
    assert_int_equal(f.size, 16);
    rk_st_close(&f);
}

/* rk_matrix_load: "FILE.safetensors:TENSOR", and a file's only tensor. */
static void test_matrix_load_spec(void **state)
{
    (void)state;
    const float v[4] = { 1, 2, 3, 4 };
    const size_t s22[2] = { 2, 2 }, s4[1] = { 4 };
    rk_st_writer *w;
    rk_err err;
    char two[4096], one[4096], spec[4200];
    snprintf(two, sizeof two, "%s", rk_test_tmpfile("two.safetensors"));
    snprintf(one, sizeof one, "%s", rk_test_tmpfile("one.safetensors"));
    assert_status(rk_st_writer_new(&w), RK_OK);
    assert_status(rk_st_writer_add_f32(w, "w:0", v, 2, s22), RK_OK);
    assert_status(rk_st_writer_add_f32(w, "v", v, 1, s4), RK_OK);
    assert_status(rk_st_writer_save(w, two, &err), RK_OK);
    rk_st_writer_free(w);
    assert_status(rk_st_writer_new(&w), RK_OK);
    assert_status(rk_st_writer_add_f32(w, "only", v, 2, s22), RK_OK);
    assert_status(rk_st_writer_save(w, one, &err), RK_OK);
    rk_st_writer_free(w);
    rk_mat m;
    snprintf(spec, sizeof spec, "%s:w:0", two); /* a tensor name with a colon */
    assert_status(rk_matrix_load(spec, &m, &err), RK_OK);
    assert_true(m.rows == 2 && m.cols == 2 && RK_AT(&m, 1, 0) == 3.0);
    rk_mat_free(&m);
    snprintf(spec, sizeof spec, "%s:v", two);
    assert_status(rk_matrix_load(spec, &m, &err), RK_OK);
    assert_true(m.rows == 1 && m.cols == 4);
    rk_mat_free(&m);
    snprintf(spec, sizeof spec, "%s:nope", two);
    assert_status(rk_matrix_load(spec, &m, &err), RK_ENOTFOUND);
    assert_string_equal(err.msg, "no tensor named 'nope'");
    assert_status(rk_matrix_load(two, &m, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, "has 2 tensors"));
    assert_status(rk_matrix_load(one, &m, &err), RK_OK);
    assert_true(m.rows == 2 && RK_AT(&m, 0, 1) == 2.0);
    rk_mat_free(&m);
    snprintf(spec, sizeof spec, "%s:x", rk_test_tmpfile("absent.safetensors"));
    assert_status(rk_matrix_load(spec, &m, &err), RK_ENOENT);
}

/* Every allocation made while parsing fails in turn: ENOMEM, no leak. */
static void test_parse_allocation_failures(void **state)
{
    (void)state;
    const char *hdr = "{\"__metadata__\":{\"k\":\"v\"}," T("a", "[2]", "[0,8]") "," T("b", "[]", "[8,12]") "}";
    int failures = 0;
    for (long n = 1; n < 64; n++) {
        size_t size;
        unsigned char *buf = image(hdr, 0, 12, &size);
        rk_test_fail_alloc_after(n);
        rk_err err;
        rk_st_file f;
        rk_status st = rk_st_parse(&f, buf, size, &err);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK) {
            rk_st_close(&f);
            break;
        }
        assert_status(st, RK_ENOMEM);
        rk_free(buf);
        failures++;
    }
    assert_true(failures > 3);
}

int main(void)
{
    struct CMUnitTest tests[N_HOSTILE + 8] = {

        cmocka_unit_test(test_short_files),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_valid_edge_cases),
        cmocka_unit_test(test_dtype_conversion),
        cmocka_unit_test(test_writer_round_trip),
        cmocka_unit_test(test_writer_empty_and_scalar),
        cmocka_unit_test(test_parse_allocation_failures),
        cmocka_unit_test(test_matrix_load_spec),
    };
    for (size_t i = 0; i < N_HOSTILE; i++)
        tests[8 + i] = (struct CMUnitTest){ hostiles[i].what, test_hostile, NULL, NULL,
                                            (void *)&hostiles[i] };
    return _cmocka_run_group_tests("safetensors", tests, N_HOSTILE + 8, NULL, NULL);
}
