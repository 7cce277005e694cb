/**
 * @file
 * @ingroup io
 * npy.h — NumPy's .npy format: read 1-d and 2-d arrays of every common
 * numeric dtype into ranklab's row-major double (or float) matrices, and
 * write <f8 / <f4 matrices that numpy.load reads back.
 *
 * A .npy file is (numpy/lib/format.py):
 *
 *   offset 0   0x93 "NUMPY"        6 magic bytes
 *          6   major, minor         version 1.0, 2.0 or 3.0
 *          8   header length        u16 LE (1.0) or u32 LE (2.0, 3.0)
 *   10 or 12   header               a Python dict literal, space padded,
 *                                   ending in '\n':
 *              {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
 *   data_offset                     the elements, C order (row-major) or
 *                                   Fortran order (column-major), packed
 *
 * The reader is strict: the header must hold exactly the three keys, and
 * every size it claims is checked for overflow and against the real size of
 * the file before anything is allocated. See docs/formats/npy.md for the full
 * list of what is read, written and refused, and why.
 */
#ifndef RK_IO_NPY_H
#define RK_IO_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/** numpy's default limit on the header length (bytes after the length field). */
#define RK_NPY_HEADER_MAX 10000

/** What a .npy header says about the array that follows it. */
typedef struct rk_npy_info {
    int major;                 /**< format version: major number, 1, 2 or 3 */
    int minor;                 /**< format version: minor number, always 0 */
    rk_dtype dtype;            /**< element type named by descr */
    bool big_endian;           /**< descr starts with '>' (and elements are wider than a byte) */
    bool fortran_order;        /**< elements stored column-major */
    int ndim;                  /**< 1 or 2: the file's own number of dimensions */
    size_t shape[2];           /**< the file's own shape: ndim 1 → shape[0] = length, shape[1] = 0 */
    size_t header_len;         /**< the header length field (dict + padding + '\n') */
    size_t data_offset;        /**< where the elements start: 10 or 12 + header_len */
} rk_npy_info;

/**
 * Parse and validate the preamble and header at the start of @p buf.
 * @p buf holds the first @p size bytes of a file (the whole file or at least
 * the preamble and header). The data is not looked at; see rk_npy_data_size()
 * for the byte count the header promises (already checked for overflow here).
 * @return RK_OK and *info filled; or
 *   RK_ETRUNC    the file ends inside the preamble or the header,
 *   RK_EMAGIC    no 0x93 "NUMPY" magic,
 *   RK_EVERSION  a version other than 1.0, 2.0, 3.0,
 *   RK_ETOOBIG   header longer than RK_NPY_HEADER_MAX,
 *   RK_EHEADER   header not a dict literal of exactly descr, fortran_order,
 *                shape with valid values, or not ending in '\n',
 *   RK_EDUPKEY   a key given twice,
 *   RK_EDTYPE    a descr ranklab does not convert,
 *   RK_ESHAPE    a 0-d or ≥3-d array (ranklab reads 1-d and 2-d),
 *   RK_EOVERFLOW a dimension, the element count or the byte count overflows.
 *   RK_EINVAL    NULL buf or info.
 */
rk_status rk_npy_parse_header(const unsigned char *buf, size_t size, rk_npy_info *info,
                              rk_err *err);

/** Number of data bytes the header in @p info promises (elements × element size). */
size_t rk_npy_data_size(const rk_npy_info *info);

/**
 * Read the whole .npy file in @p buf (@p size bytes) into @p out, a new
 * row-major double matrix (free with rk_mat_free). A 1-d array of length n
 * becomes 1×n; Fortran-order data is transposed into row-major; every dtype
 * is converted to double (big-endian swapped, halves widened, 64-bit integers
 * rounded to the nearest double). @p info (may be NULL) receives the header.
 * The data must be exactly what the header promises.
 * @return the statuses of rk_npy_parse_header(), and RK_ETRUNC (data shorter
 *   than the shape needs), RK_EFORMAT (bytes after the data), RK_ENOMEM.
 *   On error *out is an empty matrix that need not be freed.
 */
rk_status rk_npy_read_mem(const unsigned char *buf, size_t size, rk_mat *out, rk_npy_info *info,
                          rk_err *err);

/**
 * Read the .npy file @p path into @p out as rk_npy_read_mem() does. Only the
 * header (at most 12 + RK_NPY_HEADER_MAX bytes, into a stack buffer) is read
 * before the promised data size is checked against the file's size (fstat);
 * then the matrix is allocated and filled.
 * @return as rk_npy_read_mem(), plus RK_ENOENT and RK_EIO (not a regular
 *   file, read error).
 */
rk_status rk_npy_read(const char *path, rk_mat *out, rk_npy_info *info, rk_err *err);

/**
 * Read the .npy file @p path as floats: *data (rows × cols, row-major, free
 * with rk_free; NULL when the array is empty), converted from any supported
 * dtype (<f8 is rounded to nearest). 1-d arrays give *rows = 1.
 * @return as rk_npy_read().
 */
rk_status rk_npy_read_f32(const char *path, float **data, size_t *rows, size_t *cols,
                          rk_npy_info *info, rk_err *err);

/**
 * Write @p m to @p path as a 2-d C-order .npy of @p dtype (RK_DT_F64 → '<f8',
 * RK_DT_F32 → '<f4', values rounded to nearest), atomically (a temporary file
 * renamed into place). The header is byte for byte the one numpy.save writes:
 * version 1.0 (2.0 only if the header exceeded 65535 bytes), padded with
 * spaces and ending in '\n' so the data starts at a multiple of 64 bytes.
 * @return RK_OK; RK_EINVAL (NULL arguments), RK_EDTYPE (other dtype),
 *   RK_EIO / RK_ENOENT (cannot create or write), RK_ENOMEM.
 */
rk_status rk_npy_write(const char *path, const rk_mat *m, rk_dtype dtype, rk_err *err);

/**
 * Write @p m as a .npy file (preamble, header, data) to the open stream @p f,
 * which the caller commits or discards: for outputs written together
 * (rk_atomic_commit_group in io/file.h).
 */
rk_status rk_npy_write_to(FILE *f, const rk_mat *m, rk_dtype dtype, rk_err *err);

/** Write the row-major floats @p data (@p rows × @p cols) to @p path as '<f4', as rk_npy_write(). */
rk_status rk_npy_write_f32(const char *path, const float *data, size_t rows, size_t cols,
                           rk_err *err);

/**
 * Format the preamble and header that rk_npy_write() puts before the data of
 * a @p rows × @p cols C-order array of @p dtype (RK_DT_F64 or RK_DT_F32) into
 * @p buf (capacity @p cap); *len receives its length, a multiple of 64.
 * @return RK_OK, RK_EDTYPE, RK_ERANGE (cap too small).
 */
rk_status rk_npy_format_header(unsigned char *buf, size_t cap, rk_dtype dtype, size_t rows,
                               size_t cols, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
