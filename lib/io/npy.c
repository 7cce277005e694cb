/*
 * npy.c — reading .npy data into row-major double/float matrices and writing
 * <f8/<f4 matrices. The header parser and formatter are in npy_header.c.
 *
 * Reading order, for files: bounded header read (stack buffer) → parse →
 * compare the promised byte count with fstat's size → allocate → read and
 * convert in blocks. Nothing the header merely claims is ever allocated.
 */
#include "io/npy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"

/* Where converted elements go: a compact rows × cols row-major buffer. */
typedef struct npy_dst {
    double *d;        /* exactly one of d, f is set */
    float *f;
    size_t rows, cols;
    bool transpose;   /* file holds the array in Fortran (column-major) order */
} npy_dst;

enum { BLOCK = 256 };

/*
 * Convert elements k0 … k0+n−1 (numbered in file order) at @p src into dst.
 * In Fortran order the file's k-th element of an r × c array is (k mod r, k div r).
 */
static void convert_block(const rk_npy_info *info, const unsigned char *src, size_t k0, size_t n,
                          const npy_dst *dst)
{
    if (n == 0)
        return;
    if (!dst->transpose) {
        if (dst->d)
            rk_dtype_to_double(info->dtype, info->big_endian, src, n, dst->d + k0);
        else
            rk_dtype_to_float(info->dtype, info->big_endian, src, n, dst->f + k0);
        return;
    }
    size_t size = rk_dtype_size(info->dtype);
    double tmp[BLOCK];
    float tmpf[BLOCK];
    for (size_t done = 0; done < n;) {
        size_t m = n - done < BLOCK ? n - done : BLOCK;
        if (dst->d)
            rk_dtype_to_double(info->dtype, info->big_endian, src + done * size, m, tmp);
        else
            rk_dtype_to_float(info->dtype, info->big_endian, src + done * size, m, tmpf);
        for (size_t i = 0; i < m; i++) {
            size_t k = k0 + done + i, at = (k % dst->rows) * dst->cols + k / dst->rows;
            if (dst->d)
                dst->d[at] = tmp[i];
            else
                dst->f[at] = tmpf[i];
        }
        done += m;
    }
}

/* The row-major shape ranklab gives the file's array: 1-d → 1 × n. */
static void mat_shape(const rk_npy_info *info, size_t *rows, size_t *cols)
{
    *rows = info->ndim == 2 ? info->shape[0] : 1;
    *cols = info->ndim == 2 ? info->shape[1] : info->shape[0];
}

static void shape_text(const rk_npy_info *info, char *buf, size_t cap)
{
    if (info->ndim == 2)
        snprintf(buf, cap, "(%zu, %zu)", info->shape[0], info->shape[1]);
    else
        snprintf(buf, cap, "(%zu,)", info->shape[0]);
}

static const char *descr_text(const rk_npy_info *info, char *buf, size_t cap)
{
    static const char *const kind[] = {
        [RK_DT_F64] = "f8", [RK_DT_F32] = "f4", [RK_DT_F16] = "f2", [RK_DT_BF16] = "?",
        [RK_DT_I64] = "i8", [RK_DT_I32] = "i4", [RK_DT_I16] = "i2", [RK_DT_I8] = "i1",
        [RK_DT_U64] = "u8", [RK_DT_U32] = "u4", [RK_DT_U16] = "u2", [RK_DT_U8] = "u1",
        [RK_DT_BOOL] = "b1", [RK_DT_UNKNOWN] = "?",
    };
    char order = rk_dtype_size(info->dtype) == 1 ? '|' : info->big_endian ? '>' : '<';
    snprintf(buf, cap, "%c%s", order, kind[info->dtype <= RK_DT_UNKNOWN ? info->dtype : RK_DT_UNKNOWN]);
    return buf;
}

/* The data must be exactly what the header promises: @p have bytes follow the header. */
static rk_status check_data_size(const rk_npy_info *info, size_t have, rk_err *err)
{
    size_t need = rk_npy_data_size(info);
    if (have == need)
        return RK_OK;
    char s[64], d[8];
    shape_text(info, s, sizeof s);
    descr_text(info, d, sizeof d);
    if (have < need)
        return rk_err_set(err, RK_ETRUNC, "data is %zu bytes, shape %s of %s needs %zu", have, s, d,
                          need);
    return rk_err_set(err, RK_EFORMAT, "data is %zu bytes, %zu more than shape %s of %s needs (%zu)",
                      have, have - need, s, d, need);
}

/* Allocate the destination for @p info: a matrix (double) or a float array. */
static rk_status dst_alloc(const rk_npy_info *info, npy_dst *dst, rk_mat *mat, bool want_float,
                           rk_err *err)
{
    mat_shape(info, &dst->rows, &dst->cols);
    dst->transpose = info->fortran_order && dst->rows > 1 && dst->cols > 1;
    size_t count = dst->rows * dst->cols; /* checked by the header parser */
    if (want_float) {
        size_t bytes;
        dst->f = NULL;
        if (!rk_size_mul(count, sizeof(float), &bytes))
            return rk_err_set(err, RK_EOVERFLOW, "%zu floats overflow size_t", count);
        if (count && !(dst->f = rk_alloc(bytes)))
            return rk_err_set(err, RK_ENOMEM, "cannot allocate %zu floats", count);
        return RK_OK;
    }
    rk_status st = rk_mat_create(mat, dst->rows, dst->cols);
    if (st)
        return rk_err_set(err, st, st == RK_ENOMEM ? "cannot allocate a %zu × %zu matrix"
                                                   : "a %zu × %zu matrix is too large", dst->rows,
                          dst->cols);
    dst->d = mat->data;
    return RK_OK;
}

rk_status rk_npy_read_mem(const unsigned char *buf, size_t size, rk_mat *out, rk_npy_info *info,
                          rk_err *err)
{
    if (!out)
        return rk_err_set(err, RK_EINVAL, "no output matrix given");
    *out = (rk_mat){ 0, 0, 0, NULL, 0 };
    rk_npy_info local;
    rk_npy_info *in = info ? info : &local;
    rk_status st = rk_npy_parse_header(buf, size, in, err);
    if (st || (st = check_data_size(in, size - in->data_offset, err)))
        return st;
    npy_dst dst = { 0 };
    if ((st = dst_alloc(in, &dst, out, false, err)))
        return st;
    convert_block(in, buf + in->data_offset, 0, dst.rows * dst.cols, &dst);
    return RK_OK;
}

/*
 * Open @p path, parse its header from a bounded read, and check the promised
 * data size against the file's real size. On success *f is positioned at the data.
 */
static rk_status open_checked(const char *path, FILE **f, rk_npy_info *info, rk_err *err)
{
    size_t file_size = 0, got = 0;
    unsigned char head[12 + RK_NPY_HEADER_MAX];
    rk_status st = rk_file_open_regular(path, f, &file_size, err);
    if (st)
        return st;
    size_t want = file_size < sizeof head ? file_size : sizeof head;
    got = fread(head, 1, want, *f);
    if (got != want)
        st = ferror(*f) ? rk_err_set(err, RK_EIO, "read failed: %s", strerror(errno))
                        : rk_err_set(err, RK_ETRUNC, "file shrank while being read");
    if (st == RK_OK)
        st = rk_npy_parse_header(head, got, info, err);
    if (st == RK_OK)
        st = check_data_size(info, file_size - info->data_offset, err);
    if (st == RK_OK && fseek(*f, (long)info->data_offset, SEEK_SET) != 0)
        st = rk_err_set(err, RK_EIO, "cannot seek to the data: %s", strerror(errno));
    if (st) {
        (void)fclose(*f); /* read-only */
        *f = NULL;
    }
    return st;
}

/* Read and convert all elements from @p f (positioned at the data). */
static rk_status read_data(FILE *f, const rk_npy_info *info, const npy_dst *dst, rk_err *err)
{
    size_t size = rk_dtype_size(info->dtype), count = dst->rows * dst->cols;
    unsigned char chunk[BLOCK * 32];
    size_t per = sizeof chunk / size;
    for (size_t k = 0; k < count;) {
        size_t m = count - k < per ? count - k : per;
        if (fread(chunk, size, m, f) != m)
            return ferror(f) ? rk_err_set(err, RK_EIO, "read failed: %s", strerror(errno))
                             : rk_err_set(err, RK_ETRUNC, "file shrank while being read");
        convert_block(info, chunk, k, m, dst);
        k += m;
    }
    return RK_OK;
}

/* Shared by rk_npy_read and rk_npy_read_f32. */
static rk_status read_file(const char *path, rk_mat *mat, float **fdata, rk_npy_info *info,
                           rk_err *err)
{
    rk_npy_info local;
    rk_npy_info *in = info ? info : &local;
    FILE *f;
    rk_status st = open_checked(path, &f, in, err);
    if (st)
        return st;
    npy_dst dst = { 0 };
    st = dst_alloc(in, &dst, mat, fdata != NULL, err);
    if (st == RK_OK)
        st = read_data(f, in, &dst, err);
    fclose(f);
    if (st) {
        rk_mat_free(mat);
        rk_free(dst.f);
        return st;
    }
    if (fdata)
        *fdata = dst.f;
    return RK_OK;
}

rk_status rk_npy_read(const char *path, rk_mat *out, rk_npy_info *info, rk_err *err)
{
    if (!out)
        return rk_err_set(err, RK_EINVAL, "no output matrix given");
    *out = (rk_mat){ 0, 0, 0, NULL, 0 };
    if (!path)
        return rk_err_set(err, RK_EINVAL, "no path given");
    return read_file(path, out, NULL, info, err);
}

rk_status rk_npy_read_f32(const char *path, float **data, size_t *rows, size_t *cols,
                          rk_npy_info *info, rk_err *err)
{
    if (!path || !data || !rows || !cols)
        return rk_err_set(err, RK_EINVAL, "missing argument");
    *data = NULL;
    *rows = *cols = 0;
    rk_npy_info local;
    rk_npy_info *in = info ? info : &local;
    rk_status st = read_file(path, NULL, data, in, err);
    if (st == RK_OK)
        mat_shape(in, rows, cols);
    return st;
}

/* Write the header and rows × cols elements (from d with row stride, or from f) as little-endian dtype. */
static rk_status write_stream(FILE *out, rk_dtype dtype, size_t rows, size_t cols,
                              const double *d, size_t stride, const float *f, rk_err *err)
{
    if (dtype != RK_DT_F64 && dtype != RK_DT_F32)
        return rk_err_set(err, RK_EDTYPE, "ranklab writes .npy as <f8 or <f4 only");
    size_t count, bytes;
    if (!rk_size_mul(rows, cols, &count) || !rk_size_mul(count, rk_dtype_size(dtype), &bytes))
        return rk_err_set(err, RK_EOVERFLOW, "a %zu × %zu matrix is too large", rows, cols);
    unsigned char head[256];
    size_t hlen;
    rk_status st = rk_npy_format_header(head, sizeof head, dtype, rows, cols, &hlen);
    if (st)
        return rk_err_set(err, st, "cannot format the header");
    bool ok = fwrite(head, 1, hlen, out) == hlen;
    bool swap = !rk_host_little_endian();
    size_t size = rk_dtype_size(dtype);
    unsigned char chunk[BLOCK * 32];
    size_t used = 0;
    /* count = 0 (an m×0 or 0×n matrix): only the header, whatever m is. */
    for (size_t i = 0; ok && count && i < rows; i++)
        for (size_t j = 0; ok && j < cols; j++) {
            unsigned char b[8];
            if (dtype == RK_DT_F64) {
                double v = d ? d[i * stride + j] : (double)f[i * cols + j];
                memcpy(b, &v, 8);
            } else {
                float v = d ? (float)d[i * stride + j] : f[i * cols + j];
                memcpy(b, &v, 4);
            }
            for (size_t k = 0; k < size; k++)
                chunk[used + k] = b[swap ? size - 1 - k : k];
            used += size;
            if (used == sizeof chunk) {
                ok = fwrite(chunk, 1, used, out) == used;
                used = 0;
            }
        }
    if (ok && used)
        ok = fwrite(chunk, 1, used, out) == used;
    return ok ? RK_OK : rk_err_set(err, RK_EIO, "write failed: %s", strerror(errno));
}

static rk_status write_file(const char *path, rk_dtype dtype, size_t rows, size_t cols,
                            const double *d, size_t stride, const float *f, rk_err *err)
{
    rk_atomic_file af;
    rk_status st = rk_atomic_open(&af, path, err);
    if (st == RK_OK)
        st = write_stream(af.f, dtype, rows, cols, d, stride, f, err);
    if (st) {
        rk_atomic_abort(&af);
        return st;
    }
    return rk_atomic_commit(&af, err);
}

rk_status rk_npy_write_to(FILE *f, const rk_mat *m, rk_dtype dtype, rk_err *err)
{
    if (!f || !m || (m->rows && m->cols && !m->data))
        return rk_err_set(err, RK_EINVAL, "missing argument");
    return write_stream(f, dtype, m->rows, m->cols, m->data, m->stride, NULL, err);
}

rk_status rk_npy_write(const char *path, const rk_mat *m, rk_dtype dtype, rk_err *err)
{
    if (!path || !m || (m->rows && m->cols && !m->data))
        return rk_err_set(err, RK_EINVAL, "missing argument");
    return write_file(path, dtype, m->rows, m->cols, m->data, m->stride, NULL, err);
}

rk_status rk_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols,
                           rk_err *err)
{
    if (!path || (rows && cols && !data))
        return rk_err_set(err, RK_EINVAL, "missing argument");
    return write_file(path, RK_DT_F32, rows, cols, NULL, 0, data, err);
}
