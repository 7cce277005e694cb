/**
 * @file
 * @ingroup io
 * safetensors.h — read and write the safetensors tensor format.
 *
 * Layout of a file (all integers little-endian):
 *
 *   bytes 0..8        N, a u64: length of the header
 *   bytes 8..8+N      header: UTF-8 JSON object, padded with spaces
 *                     {"__metadata__": {"k": "v", ...},            (optional)
 *                      "NAME": {"dtype": "F32", "shape": [R, C],
 *                               "data_offsets": [BEGIN, END]}, ...}
 *   bytes 8+N..       the data buffer; a tensor's bytes are
 *                     buffer[BEGIN..END), row-major (C order)
 *
 * The reader enforces every rule of the reference implementation
 * (huggingface/safetensors, tensor.rs): N ≤ 100,000,000 and 8 + N within the
 * file; the header is valid UTF-8 and valid JSON without duplicate keys, a JSON
 * object whose entries have exactly `dtype`, `shape` and `data_offsets`;
 * `__metadata__` maps strings to strings; offsets sorted by begin are
 * contiguous from 0 (no holes, no overlaps, end ≥ begin); shape products and
 * byte counts are overflow-checked; END − BEGIN = elements × dtype size; the
 * last END is the end of the file. Empty tensors and rank-0 (scalar) tensors
 * are valid. Nothing is allocated by a size the header claims: the whole file
 * is read first (its real size bounds every allocation), then checked.
 *
 * Element types: F64, F32, F16, BF16, I64, I32, I16, I8, U8 and BOOL load as
 * double or float; any other name of the reference (F8_E4M3, F8_E5M2,
 * F8_E8M0, U16, U32, U64, C64, F4, F6_E2M3, F6_E3M2) is listed by name but
 * refused when loaded ("unsupported dtype X"); a name outside that list makes
 * the file invalid, as in the reference.
 *
 * The writer stores F32/F64 tensors sorted by name, a compact JSON header
 * padded with spaces to a multiple of 8, optional metadata, and writes the
 * file atomically (lib/io/file.h).
 */
#ifndef RK_IO_SAFETENSORS_H
#define RK_IO_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The reference implementation's limit on the header length N. */
#define RK_ST_MAX_HEADER 100000000u

/** One tensor of a parsed file. Offsets are relative to the data buffer. */
typedef struct rk_st_tensor {
    char *name;          /**< tensor name (UTF-8, owned) */
    rk_dtype dtype;      /**< element type, RK_DT_UNKNOWN for names ranklab cannot convert */
    char *dtype_name;    /**< the dtype as written in the file, e.g. "F8_E4M3" (owned) */
    int ndim;            /**< number of dimensions, 0 for a scalar */
    size_t *shape;       /**< (ndim) dimensions; NULL when ndim = 0 */
    size_t begin;        /**< first byte in the data buffer */
    size_t end;          /**< one past the last byte: the data is buffer[begin, end) */
} rk_st_tensor;

/**
 * A parsed safetensors file: either the whole file in memory (rk_st_open,
 * rk_st_parse), or only its header with the file kept open and each tensor
 * read when asked for (rk_st_open_lazy; data is NULL, fp is set).
 */
typedef struct rk_st_file {
    unsigned char *data;    /**< the whole file (owned), NULL when lazy */
    FILE *fp;               /**< lazy: the open file the tensors are read from (owned), else NULL */
    size_t size;            /**< its size in bytes */
    size_t n_tensors;       /**< number of tensors */
    rk_st_tensor *tensors;  /**< (n_tensors), sorted by name */
    size_t n_meta;          /**< number of __metadata__ entries */
    char **meta_keys;       /**< (n_meta) keys, in file order */
    char **meta_values;     /**< (n_meta) values */
    size_t data_start;      /**< 8 + N: where the data buffer starts in data */
} rk_st_file;

/**
 * Parse a whole file held in @p buf (@p size bytes) into @p f.
 * On success @p f takes ownership of @p buf (it must come from rk_alloc) and
 * rk_st_close() frees it; on error the caller still owns @p buf and @p f is
 * left empty (rk_st_close on it is harmless).
 *
 * @return RK_OK; RK_EINVAL (NULL); RK_ETRUNC (under 8 bytes, header or data
 *         cut short); RK_ETOOBIG (N > 100,000,000); RK_EHEADER (not UTF-8, an
 *         entry without exactly dtype/shape/data_offsets of the right types,
 *         bad __metadata__, byte length ≠ elements × dtype size); RK_EJSON
 *         (invalid JSON, not an object); RK_EDUPKEY; RK_EDTYPE (a dtype name
 *         the reference does not know); RK_EOVERFLOW (shape product or byte
 *         count overflows); RK_EOFFSETS (holes, overlaps, end < begin, bytes
 *         after the last tensor); RK_ENOMEM.
 */
rk_status rk_st_parse(rk_st_file *f, unsigned char *buf, size_t size, rk_err *err);

/**
 * Read and parse the file at @p path (see rk_st_parse for the checks).
 * @return as rk_st_parse, plus RK_ENOENT and RK_EIO.
 */
rk_status rk_st_open(rk_st_file *f, const char *path, rk_err *err);

/**
 * Open the file at @p path reading only its 8 + N header bytes, and check
 * them by every rule of rk_st_parse against the file's real size (from
 * fstat): the layout must end exactly at the end of the file, so no data
 * offset can point past it. Nothing is allocated by a size the header claims
 * beyond N ≤ 100,000,000, itself bounded by the file size. The file stays
 * open; rk_st_tensor_to_f32(), rk_st_tensor_rsub_f32() and
 * rk_st_tensor_to_mat() then read one tensor's bytes with pread, in chunks
 * of RK_ST_CHUNK bytes, converting on the way. Memory: the header.
 * @return as rk_st_open.
 */
rk_status rk_st_open_lazy(rk_st_file *f, const char *path, rk_err *err);

/** Bytes a lazy file reads per pread (a multiple of every element size). */
#define RK_ST_CHUNK ((size_t)1 << 20)

/** Release everything @p f owns (closing a lazy file) and reset it to empty. NULL is accepted. */
void rk_st_close(rk_st_file *f);

/** The tensor called @p name (binary search), or NULL. */
const rk_st_tensor *rk_st_find(const rk_st_file *f, const char *name);

/** Number of elements of @p t (the product of its shape; 1 for a scalar). Checked at parse time. */
size_t rk_st_tensor_numel(const rk_st_tensor *t);

/** true when @p t's dtype converts to double/float (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL). */
bool rk_st_dtype_loadable(const rk_st_tensor *t);

/**
 * Load @p t into a newly allocated matrix @p out: a 2-d tensor (R, C) gives
 * R×C, 1-d (n) gives 1×n, 0-d gives 1×1.
 * @return RK_OK; RK_EINVAL; RK_EDTYPE ("unsupported dtype X"); RK_ESHAPE
 *         (3 or more dimensions); RK_ENOMEM.
 */
rk_status rk_st_tensor_to_mat(const rk_st_file *f, const rk_st_tensor *t, rk_mat *out, rk_err *err);

/**
 * Convert @p t's elements (row-major) to floats at @p dst, which holds @p n.
 * @return RK_OK; RK_EINVAL; RK_EDTYPE; RK_ESHAPE (n ≠ number of elements).
 */
rk_status rk_st_tensor_to_f32(const rk_st_file *f, const rk_st_tensor *t, float *dst, size_t n,
                              rk_err *err);

/**
 * @p dst[i] = t[i] − @p dst[i] for the @p n elements of @p t, in float
 * (ΔW = W_finetuned − W_base, with dst holding W_base): the tensor is
 * converted a chunk at a time, so no second n-element buffer is needed.
 * @return as rk_st_tensor_to_f32, plus RK_EIO / RK_ETRUNC from a lazy read.
 */
rk_status rk_st_tensor_rsub_f32(const rk_st_file *f, const rk_st_tensor *t, float *dst, size_t n,
                                rk_err *err);

/**
 * @p dst = @p tb − @p ta for two tensors of @p n elements each, in float (ΔW =
 * W_finetuned − W_base with @p ta the base): each RK_ST_CHUNK span of @p ta
 * is converted into @p dst and @p tb's span subtracted from it at once, so
 * @p dst is written in one pass, as rk_st_tensor_to_f32() then
 * rk_st_tensor_rsub_f32() would fill it, value for value. On failure
 * *@p at_fault is 1 when @p tb's file or tensor is at fault, else 0.
 * @return as rk_st_tensor_rsub_f32.
 */
rk_status rk_st_tensor_diff_f32(const rk_st_file *fa, const rk_st_tensor *ta, const rk_st_file *fb,
                               const rk_st_tensor *tb, float *dst, size_t n, int *at_fault, rk_err *err);

/**
 * Load tensor @p tensor of the file at @p path as a matrix (as rk_st_tensor_to_mat).
 * @return as rk_st_open and rk_st_tensor_to_mat; RK_ENOTFOUND (no such tensor).
 */
rk_status rk_st_load_matrix(const char *path, const char *tensor, rk_mat *out, rk_err *err);

/** A safetensors file being assembled; see rk_st_writer_save(). */
typedef struct rk_st_writer rk_st_writer;

/** Create an empty writer in *@p w. @return RK_OK, RK_EINVAL, RK_ENOMEM. */
rk_status rk_st_writer_new(rk_st_writer **w);

/**
 * Add an F32 tensor called @p name with @p ndim dimensions @p shape (NULL
 * when ndim = 0) whose row-major elements are @p data (copied; may be NULL
 * when there are none).
 * @return RK_OK; RK_EINVAL (NULL, ndim < 0, name "__metadata__" or not valid
 *         UTF-8); RK_EDUPKEY (the name was added before); RK_EOVERFLOW; RK_ENOMEM.
 */
rk_status rk_st_writer_add_f32(rk_st_writer *w, const char *name, const float *data, int ndim,
                               const size_t *shape);

/**
 * From now on keep the tensors' bytes in a new file at @p path (the spool)
 * instead of memory: each rk_st_writer_add_f32() / _f64() appends them there
 * as it is called, so the writer holds names and shapes only, and
 * rk_st_writer_save() copies them into place a block at a time. Call it
 * before adding a tensor. rk_st_writer_free() closes and removes the spool.
 * With a spool, an add may also fail with RK_EIO (errno says why: a full
 * disk is ENOSPC or EFBIG).
 * @return RK_OK; RK_EINVAL (NULL, a spool already, or tensors added); RK_ENOMEM;
 *         RK_EIO (it cannot be created).
 */
rk_status rk_st_writer_spool(rk_st_writer *w, const char *path, rk_err *err);

/** Add an F64 tensor; as rk_st_writer_add_f32. */
rk_status rk_st_writer_add_f64(rk_st_writer *w, const char *name, const double *data, int ndim,
                               const size_t *shape);

/** Add a __metadata__ entry (strings copied). @return RK_OK; RK_EINVAL; RK_EDUPKEY; RK_ENOMEM. */
rk_status rk_st_writer_add_meta(rk_st_writer *w, const char *key, const char *value);

/**
 * Write the collected tensors to @p path atomically: tensors sorted by name,
 * laid out in that order from offset 0, header compact JSON padded with spaces
 * to a multiple of 8. The writer stays usable.
 * @return RK_OK; RK_EINVAL; RK_ENOMEM; RK_EIO (with the reason in err).
 */
rk_status rk_st_writer_save(rk_st_writer *w, const char *path, rk_err *err);

/** Release the writer and its copies of the data (closing and removing a spool). NULL is accepted. */
void rk_st_writer_free(rk_st_writer *w);

#ifdef __cplusplus
}
#endif

#endif
