/*
 * test_npy.c — .npy files numpy wrote load with the values numpy reads
 * (fixtures and expected values from tests/data/npy/make_fixtures.py);
 * ranklab's files round-trip, carry numpy's exact header, and load in numpy.
 */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What make_fixtures.py says numpy reads from NAME.npy. */
typedef struct expected {
    int ndim;
    size_t shape[2];
    size_t n;
    double *f64, *f32;
} expected;

static void read_values(FILE *f, const char *label, size_t *n, double **out)
{
    char tag[8];
    assert_int_equal(fscanf(f, "%7s %zu", tag, n), 2);
    assert_string_equal(tag, label);
    *out = calloc(*n ? *n : 1, sizeof **out);
    char line[64];
    for (size_t i = 0; i < *n; i++) {
        assert_int_equal(fscanf(f, "%63s", line), 1);
        (*out)[i] = strtod(line, NULL);
    }
}

static expected load_expected(const char *name)
{
    char rel[128];
    snprintf(rel, sizeof rel, "npy/%s.expected.txt", name);
    FILE *f = fopen(rk_test_data(rel), "r");
    if (!f)
        fail_msg("missing fixture %s", rel);
    expected e = { 0 };
    assert_int_equal(fscanf(f, "ndim %d shape", &e.ndim), 1);
    for (int i = 0; i < e.ndim; i++)
        assert_int_equal(fscanf(f, "%zu", &e.shape[i]), 1);
    size_t n32;
    read_values(f, "f64", &e.n, &e.f64);
    read_values(f, "f32", &n32, &e.f32);
    assert_int_equal(n32, e.n);
    fclose(f);
    return e;
}

/* Equal bits for our purposes: NaN matches NaN, and -0.0 is not 0.0. */
static int same_value(double a, double b)
{
    return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

static void check_values(const char *name, const double *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!same_value(got[i], want[i]))
            fail_msg("%s: element %zu is %.17g, numpy reads %.17g", name, i, got[i], want[i]);
}

static const char *const fixtures[] = {
    "le_f8_c", "le_f8_f", "le_f4_c", "le_f4_f", "be_f8_c", "be_f8_f", "be_f4_c", "be_f4_f",
    "le_f2_c", "le_f2_f", "be_f2_c", "be_f2_f", "le_i8_c", "le_i8_f", "le_i4_c", "le_i4_f",
    "be_i4_c", "be_i4_f", "le_i2_c", "le_i2_f", "i1_c", "i1_f", "u1_c", "u1_f",
    "le_u2_c", "le_u2_f", "le_u4_c", "le_u4_f", "le_u8_c", "le_u8_f", "b1_c", "b1_f",
    "v2_le_f8_f", "v3_le_f4_c", "v3_be_f8_c", "vec_le_f8", "vec_le_i4", "vec_empty",
    "empty_0x3", "empty_3x0_f4", "one_1x1", "tall_7x2_f",
};

static void check_info(const char *name, const rk_npy_info *info, const expected *e)
{
    assert_int_equal(info->ndim, e->ndim);
    assert_int_equal(info->shape[0], e->shape[0]);
    if (e->ndim == 2)
        assert_int_equal(info->shape[1], e->shape[1]);
    assert_int_equal(info->data_offset % 64, 0); /* numpy aligns every version */
    assert_int_equal(info->major, name[0] == 'v' && name[2] == '_' ? name[1] - '0' : 1);
    assert_int_equal(info->minor, 0);
    size_t len = strlen(name);
    assert_int_equal(info->fortran_order, e->ndim == 2 && name[len - 1] == 'f' && name[len - 2] == '_'
                                             && e->shape[0] > 1 && e->shape[1] > 1);
    assert_int_equal(info->big_endian, strstr(name, "be_") != NULL);
}

static void test_fixtures_load_as_numpy_reads_them(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof fixtures / sizeof fixtures[0]; k++) {
        const char *name = fixtures[k];
        expected e = load_expected(name);
        size_t rows = e.ndim == 2 ? e.shape[0] : 1, cols = e.ndim == 2 ? e.shape[1] : e.shape[0];
        char rel[128];
        snprintf(rel, sizeof rel, "npy/%s.npy", name);
        char path[4096];
        snprintf(path, sizeof path, "%s", rk_test_data(rel));

        rk_mat m;
        rk_npy_info info;
        rk_err err;
        rk_status st = rk_npy_read(path, &m, &info, &err);
        if (st)
            fail_msg("%s: %s", name, err.msg);
        assert_int_equal(m.rows, rows);
        assert_int_equal(m.cols, cols);
        assert_int_equal(m.stride, cols);
        check_info(name, &info, &e);
        if (e.n)
            check_values(name, m.data, e.f64, e.n);
        rk_mat_free(&m);

        /* the same bytes from memory */
        unsigned char *buf;
        size_t size;
        assert_status(rk_file_read_all(path, 1 << 20, &buf, &size, NULL), RK_OK);
        assert_status(rk_npy_read_mem(buf, size, &m, NULL, NULL), RK_OK);
        assert_int_equal(m.rows * m.cols, e.n);
        if (e.n)
            check_values(name, m.data, e.f64, e.n);
        rk_mat_free(&m);
        rk_free(buf);

        /* as floats */
        float *f;
        size_t fr, fc;
        assert_status(rk_npy_read_f32(path, &f, &fr, &fc, NULL, NULL), RK_OK);
        assert_int_equal(fr, rows);
        assert_int_equal(fc, cols);
        for (size_t i = 0; i < e.n; i++)
            if (!same_value(f[i], e.f32[i]))
                fail_msg("%s as f32: element %zu is %.9g, numpy reads %.9g", name, i, f[i], e.f32[i]);
        if (e.n == 0)
            assert_null(f);
        rk_free(f);
        free(e.f64);
        free(e.f32);
    }
}

static void test_version_and_order_flags(void **state)
{
    (void)state;
    rk_mat m;
    rk_npy_info info;
    assert_status(rk_npy_read(rk_test_data("npy/v2_le_f8_f.npy"), &m, &info, NULL), RK_OK);
    assert_int_equal(info.major, 2);
    assert_true(info.fortran_order);
    assert_int_equal(info.dtype, RK_DT_F64);
    assert_int_equal(info.data_offset, 12 + info.header_len);
    rk_mat_free(&m);
    assert_status(rk_npy_read(rk_test_data("npy/v3_be_f8_c.npy"), &m, &info, NULL), RK_OK);
    assert_int_equal(info.major, 3);
    assert_true(info.big_endian);
    assert_false(info.fortran_order);
    rk_mat_free(&m);
    /* a Fortran-order 7×2 is transposed into row-major: (i, j) = 2i + j − 6.5 */
    assert_status(rk_npy_read(rk_test_data("npy/tall_7x2_f.npy"), &m, &info, NULL), RK_OK);
    assert_true(info.fortran_order);
    for (size_t i = 0; i < 7; i++)
        for (size_t j = 0; j < 2; j++)
            assert_true(RK_AT(&m, i, j) == 2.0 * (double)i + (double)j - 6.5);
    rk_mat_free(&m);
    /* 1-d: the info keeps the file's own shape, the matrix is one row */
    assert_status(rk_npy_read(rk_test_data("npy/vec_le_i4.npy"), &m, &info, NULL), RK_OK);
    assert_int_equal(info.ndim, 1);
    assert_int_equal(info.shape[0], 7);
    assert_int_equal(info.dtype, RK_DT_I32);
    assert_int_equal(m.rows, 1);
    assert_int_equal(m.cols, 7);
    assert_true(RK_AT(&m, 0, 0) == -3.0 && RK_AT(&m, 0, 6) == 3.0);
    rk_mat_free(&m);
}

static void fill_pattern(rk_mat *m, unsigned seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat_fill_normal(m, &rng);
}

static void test_round_trip_f8_f4(void **state)
{
    (void)state;
    const size_t shapes[][2] = { { 0, 5 }, { 4, 0 }, { 0, 0 }, { 1, 1 }, { 5, 7 }, { 1, 300 }, { 300, 1 } };
    const char *path = rk_test_tmpfile("rt.npy");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        rk_mat a, b;
        assert_status(rk_mat_create(&a, shapes[s][0], shapes[s][1]), RK_OK);
        fill_pattern(&a, 11 + (unsigned)s);
        for (int t = 0; t < 2; t++) {
            rk_dtype dt = t ? RK_DT_F32 : RK_DT_F64;
            rk_npy_info info;
            assert_status(rk_npy_write(path, &a, dt, NULL), RK_OK);
            assert_status(rk_npy_read(path, &b, &info, NULL), RK_OK);
            assert_int_equal(info.dtype, dt);
            assert_int_equal(info.ndim, 2);
            assert_int_equal(info.major, 1);
            assert_int_equal(info.data_offset % 64, 0);
            assert_int_equal(b.rows, a.rows);
            assert_int_equal(b.cols, a.cols);
            for (size_t i = 0; i < a.rows; i++)
                for (size_t j = 0; j < a.cols; j++) {
                    double want = dt == RK_DT_F64 ? RK_AT(&a, i, j) : (double)(float)RK_AT(&a, i, j);
                    assert_true(RK_AT(&b, i, j) == want);
                }
            rk_mat_free(&b);
        }
        /* floats in, floats out, bit for bit */
        size_t n = a.rows * a.cols;
        float *fa = malloc((n ? n : 1) * sizeof *fa), *fb;
        for (size_t i = 0; i < n; i++)
            fa[i] = (float)a.data[i];
        size_t r, c;
        assert_status(rk_npy_write_f32(path, fa, a.rows, a.cols, NULL), RK_OK);
        assert_status(rk_npy_read_f32(path, &fb, &r, &c, NULL, NULL), RK_OK);
        assert_int_equal(r, a.rows);
        assert_int_equal(c, a.cols);
        if (n)
            assert_memory_equal(fa, fb, n * sizeof *fa);
        rk_free(fb);
        free(fa);
        rk_mat_free(&a);
    }
}

static void test_write_honours_stride(void **state)
{
    (void)state;
    rk_mat a, b;
    assert_status(rk_mat_create(&a, 6, 8), RK_OK);
    fill_pattern(&a, 3);
    rk_mat v = rk_mat_view(&a, 1, 2, 4, 5); /* stride 8, cols 5 */
    const char *path = rk_test_tmpfile("view.npy");
    assert_status(rk_npy_write(path, &v, RK_DT_F64, NULL), RK_OK);
    assert_status(rk_npy_read(path, &b, NULL, NULL), RK_OK);
    assert_mat_near(&b, &v, 0.0);
    rk_mat_free(&b);
    rk_mat_free(&a);
}

static void test_header_bytes_are_numpys(void **state)
{
    (void)state;
    unsigned char buf[256];
    size_t len;
    assert_status(rk_npy_format_header(buf, sizeof buf, RK_DT_F64, 3, 4, &len), RK_OK);
    const char dict[] = "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }";
    assert_int_equal(len, 128);
    assert_memory_equal(buf, "\x93NUMPY\x01\x00\x76\x00", 10);
    assert_memory_equal(buf + 10, dict, sizeof dict - 1);
    for (size_t i = 10 + sizeof dict - 1; i < len - 1; i++)
        assert_int_equal(buf[i], ' ');
    assert_int_equal(buf[len - 1], '\n');
    /* alignment for any size of the shape text */
    const size_t dims[] = { 0, 1, 9, 10, 99999, 123456789, (size_t)1 << 40, SIZE_MAX };
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++)
        for (size_t j = 0; j < sizeof dims / sizeof dims[0]; j++) {
            assert_status(rk_npy_format_header(buf, sizeof buf, RK_DT_F32, dims[i], dims[j], &len), RK_OK);
            assert_int_equal(len % 64, 0);
            assert_int_equal(buf[len - 1], '\n');
            rk_npy_info info;
            rk_status st = rk_npy_parse_header(buf, len, &info, NULL);
            assert_true(st == RK_OK || st == RK_EOVERFLOW);
            if (st == RK_OK) {
                assert_int_equal(info.shape[0], dims[i]);
                assert_int_equal(info.shape[1], dims[j]);
                assert_int_equal(info.data_offset, len);
            }
        }
    assert_status(rk_npy_format_header(buf, 64, RK_DT_F64, 3, 4, &len), RK_ERANGE);
    assert_status(rk_npy_format_header(buf, sizeof buf, RK_DT_I32, 3, 4, &len), RK_EDTYPE);
}

/* Reading numpy's file and writing it back gives numpy's bytes exactly. */
static void test_rewrite_is_byte_identical(void **state)
{
    (void)state;
    const char *names[] = { "npy/le_f8_c.npy", "npy/le_f4_c.npy", "npy/one_1x1.npy", "npy/empty_0x3.npy",
                            "npy/gauss_30x20.npy" };
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        unsigned char *orig, *ours;
        size_t n1, n2;
        char path[4096];
        snprintf(path, sizeof path, "%s", rk_test_data(names[k]));
        assert_status(rk_file_read_all(path, 1 << 20, &orig, &n1, NULL), RK_OK);
        const char *out = rk_test_tmpfile("rewrite.npy");
        if (strstr(names[k], "f4")) {
            float *f;
            size_t r, c;
            assert_status(rk_npy_read_f32(path, &f, &r, &c, NULL, NULL), RK_OK);
            assert_status(rk_npy_write_f32(out, f, r, c, NULL), RK_OK);
            rk_free(f);
        } else {
            rk_mat m;
            assert_status(rk_npy_read(path, &m, NULL, NULL), RK_OK);
            assert_status(rk_npy_write(out, &m, RK_DT_F64, NULL), RK_OK);
            rk_mat_free(&m);
        }
        assert_status(rk_file_read_all(out, 1 << 20, &ours, &n2, NULL), RK_OK);
        assert_int_equal(n1, n2);
        assert_memory_equal(orig, ours, n1);
        rk_free(orig);
        rk_free(ours);
    }
}

/* Headers numpy accepts though its writer never makes them. */
static void test_unusual_but_valid_headers(void **state)
{
    (void)state;
    static const struct {
        int major;
        const char *header;
        size_t rows, cols;
        bool fortran;
    } cases[] = {
        { 1, "{\"descr\": \"<f8\", \"fortran_order\": False, \"shape\": (2, 3)}", 2, 3, false },
        { 1, "{'shape': (2, 3), 'descr': '<f8', 'fortran_order': True}", 2, 3, true },
        { 1, "{ 'descr' :'<f8' ,'fortran_order':False,'shape':( 2 ,3 , ) , }  ", 2, 3, false },
        { 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 3L), }", 2, 3, false },
        { 2, "{'descr': '<f8',\n 'fortran_order': False,\n\t'shape': (6,)}", 1, 6, false },
        { 3, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 0)}", 0, 0, false },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char buf[256] = "\x93NUMPY";
        size_t hl = strlen(cases[k].header) + 1, pre = cases[k].major == 1 ? 10 : 12;
        buf[6] = (unsigned char)cases[k].major;
        buf[8] = (unsigned char)hl;
        memcpy(buf + pre, cases[k].header, hl - 1);
        buf[pre + hl - 1] = '\n';
        size_t n = cases[k].rows * cases[k].cols, size = pre + hl + 8 * n;
        for (size_t i = 0; i < n; i++) {
            double v = (double)i;
            memcpy(buf + pre + hl + 8 * i, &v, 8); /* little-endian host assumed by '<f8' */
        }
        rk_mat m;
        rk_err err;
        rk_npy_info info;
        rk_status st = rk_npy_read_mem(buf, size, &m, &info, &err);
        if (st)
            fail_msg("case %zu: %s", k, err.msg);
        assert_int_equal(m.rows, cases[k].rows);
        assert_int_equal(m.cols, cases[k].cols);
        assert_int_equal(info.fortran_order, cases[k].fortran);
        assert_int_equal(info.data_offset, pre + hl);
        for (size_t i = 0; i < m.rows; i++)
            for (size_t j = 0; j < m.cols; j++)
                assert_true(RK_AT(&m, i, j) == (double)(cases[k].fortran ? j * m.rows + i : i * m.cols + j));
        rk_mat_free(&m);
    }
}

static bool have_numpy(void)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        return false;
    return system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") == 0;
}

/* numpy.load reads what ranklab writes: the sum of |x − (i·cols + j)/8| is 0 and dtype/shape match. */
static void test_numpy_loads_our_files(void **state)
{
    (void)state;
    if (!have_numpy()) {
        print_message("# SKIP reason: numpy is not installed (Debian package python3-numpy)\n");
        skip();
        return;
    }
    rk_mat a;
    assert_status(rk_mat_create(&a, 5, 3), RK_OK);
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 3; j++)
            RK_AT(&a, i, j) = (double)(i * 3 + j) / 8.0 - 0.75;
    char p64[2048], p32[2048], cmd[8192];
    snprintf(p64, sizeof p64, "%s", rk_test_tmpfile("np64.npy"));
    snprintf(p32, sizeof p32, "%s", rk_test_tmpfile("np32.npy"));
    assert_status(rk_npy_write(p64, &a, RK_DT_F64, NULL), RK_OK);
    assert_status(rk_npy_write(p32, &a, RK_DT_F32, NULL), RK_OK);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as np, sys\n"
             "want = np.arange(15.0).reshape(5, 3) / 8 - 0.75\n"
             "a = np.load(sys.argv[1]); b = np.load(sys.argv[2])\n"
             "ok = a.dtype == np.dtype('<f8') and b.dtype == np.dtype('<f4') and a.shape == (5, 3) "
             "and b.shape == (5, 3) and (a == want).all() and (b == want).all()\n"
             "sys.exit(0 if ok else 1)\" '%s' '%s'", p64, p32);
    assert_int_equal(system(cmd), 0);
    rk_mat_free(&a);
}

/* The matrix loader dispatches by extension or magic and names what it refuses. */
static void test_matrix_load(void **state)
{
    (void)state;
    rk_mat m;
    rk_err err;
    assert_status(rk_matrix_load(rk_test_data("npy/gauss_30x20.npy"), &m, &err), RK_OK);
    assert_int_equal(m.rows, 30);
    assert_int_equal(m.cols, 20);
    rk_mat_free(&m);
    /* .npy content under another name is recognised by its magic */
    unsigned char *buf;
    size_t size;
    assert_status(rk_file_read_all(rk_test_data("npy/one_1x1.npy"), 4096, &buf, &size, NULL), RK_OK);
    assert_status(rk_file_write_all(rk_test_tmpfile("matrix.dat"), buf, size, NULL), RK_OK);
    rk_free(buf);
    assert_status(rk_matrix_load(rk_test_tmpfile("matrix.dat"), &m, &err), RK_OK);
    assert_true(m.rows == 1 && m.cols == 1 && RK_AT(&m, 0, 0) == 2.5);
    rk_mat_free(&m);
    /* a text file */
    assert_status(rk_file_write_all(rk_test_tmpfile("matrix.txt"), "1 2\n3 4\n", 8, NULL), RK_OK);
    assert_status(rk_matrix_load(rk_test_tmpfile("matrix.txt"), &m, &err), RK_EFORMAT);
    assert_non_null(strstr(err.msg, "unsupported file type; expected .npy or .safetensors:TENSOR"));
    assert_null(m.data);
    /* a .npy name with other content is read as .npy and refused for its magic */
    assert_status(rk_file_write_all(rk_test_tmpfile("text.npy"), "1 2\n3 4\n", 8, NULL), RK_OK);
    assert_status(rk_matrix_load(rk_test_tmpfile("text.npy"), &m, &err), RK_EMAGIC);
    assert_status(rk_matrix_load(rk_test_tmpfile("absent.npy"), &m, &err), RK_ENOENT);
    assert_status(rk_matrix_load(rk_test_tmpfile("absent.bin"), &m, &err), RK_ENOENT);
    assert_status(rk_matrix_load("", &m, &err), RK_EINVAL);
    assert_status(rk_matrix_load(NULL, &m, &err), RK_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_load_as_numpy_reads_them),
        cmocka_unit_test(test_version_and_order_flags),
        cmocka_unit_test(test_round_trip_f8_f4),
        cmocka_unit_test(test_write_honours_stride),
        cmocka_unit_test(test_header_bytes_are_numpys),
        cmocka_unit_test(test_rewrite_is_byte_identical),
        cmocka_unit_test(test_unusual_but_valid_headers),
        cmocka_unit_test(test_numpy_loads_our_files),
        cmocka_unit_test(test_matrix_load),
    };
    return cmocka_run_group_tests_name("npy", tests, NULL, NULL);
}
