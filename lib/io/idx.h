/**
 * @file
 * @ingroup io
 * idx.h — the IDX format of MNIST and Fashion-MNIST, raw or gzip-compressed.
 *
 * An IDX file is a 4-byte magic, one big-endian u32 per dimension, then the
 * elements in C order, big-endian:
 *
 *     00 00 TT NN | d0 (u32 BE) | d1 | … | d(NN-1) | payload
 *
 * TT is the element type (0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32,
 * 0x0E f64) and NN the dimension count. The payload must be exactly
 * d0·d1·…·d(NN-1)·sizeof(TT) bytes: a shorter file is truncated, a longer one
 * malformed. Files that start with the gzip magic 1f 8b are decompressed on
 * the fly with zlib, incrementally and never past the declared size + 1
 * byte, so a header cannot make the reader allocate more than it declares
 * (and a declaration above RK_IDX_MAX_BYTES is refused before anything is
 * allocated).
 */
#ifndef RK_IO_IDX_H
#define RK_IO_IDX_H

#include <stddef.h>

#include "../core/status.h"
#include "dtype.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most dimensions an IDX file may declare (MNIST uses 1 and 3). */
#define RK_IDX_MAX_DIMS 8

/** Largest payload accepted, in bytes (1 GiB); larger declarations give RK_ETOOBIG. */
#define RK_IDX_MAX_BYTES ((size_t)1 << 30)

/** IDX element type codes: the third byte of the magic. */
typedef enum rk_idx_type {
    RK_IDX_U8 = 0x08,   /**< unsigned byte (images and labels) */
    RK_IDX_I8 = 0x09,   /**< signed byte */
    RK_IDX_I16 = 0x0B,  /**< short, 2 bytes BE */
    RK_IDX_I32 = 0x0C,  /**< int, 4 bytes BE */
    RK_IDX_F32 = 0x0D,  /**< float, 4 bytes BE */
    RK_IDX_F64 = 0x0E   /**< double, 8 bytes BE */
} rk_idx_type;

/** An IDX array read into memory. Zero-initialise, or let a reader fill it. */
typedef struct rk_idx {
    rk_idx_type type;               /**< element type code from the magic */
    rk_dtype dtype;                 /**< the same as an rk_dtype (RK_DT_U8 …) */
    int ndim;                       /**< number of dimensions, 1..RK_IDX_MAX_DIMS */
    size_t dims[RK_IDX_MAX_DIMS];   /**< dims[0..ndim), outermost first */
    size_t count;                   /**< elements: product of dims (may be 0) */
    size_t nbytes;                  /**< payload bytes: count × element size */
    unsigned char *data;            /**< nbytes of payload, big-endian as in the file */
    unsigned char *block_;          /**< private: the allocation data points into */
} rk_idx;

/** Element size in bytes of IDX type byte @p type, 0 when the byte is not an IDX type. */
size_t rk_idx_type_size(int type);

/**
 * Parse the header (magic and dimensions) at the start of @p buf (size bytes,
 * uncompressed). Fills every field of @p out except data; sets *header_len
 * to 4 + 4·ndim. Checks, in order: length of the magic (RK_ETRUNC), two zero
 * bytes (RK_EMAGIC), type byte (RK_EDTYPE), dimension count 1..RK_IDX_MAX_DIMS
 * (RK_EFORMAT), length of the dimensions (RK_ETRUNC), the element count and
 * byte count products (RK_EOVERFLOW), the byte count against
 * RK_IDX_MAX_BYTES (RK_ETOOBIG). Allocates nothing; does not look at the payload.
 */
rk_status rk_idx_parse_header(const unsigned char *buf, size_t size, rk_idx *out,
                              size_t *header_len, rk_err *err);

/**
 * Read an IDX array from memory: @p buf holds a whole file, raw or gzip
 * (detected by the magic 1f 8b). The payload is copied into a new block
 * owned by @p out (free with rk_idx_free); @p buf is not modified.
 * @return RK_OK; the header errors of rk_idx_parse_header; RK_ETRUNC when
 *         the payload is shorter than declared or a gzip stream ends early;
 *         RK_EFORMAT when the payload is longer than declared or the gzip
 *         data is corrupt; RK_ENOMEM. On error @p out is left empty.
 */
rk_status rk_idx_read_mem(const unsigned char *buf, size_t size, rk_idx *out, rk_err *err);

/**
 * Read the IDX file @p path (raw or gzip) into @p out (free with rk_idx_free).
 * Errors as rk_idx_read_mem, plus RK_ENOENT (no such file), RK_EIO (cannot
 * read it, or not a regular file), RK_ETOOBIG (file itself over the limit).
 */
rk_status rk_idx_read(const char *path, rk_idx *out, rk_err *err);

/** Free the payload of @p idx and zero the struct; NULL and empty structs are accepted. */
void rk_idx_free(rk_idx *idx);

/**
 * Convert the first @p n elements of @p idx (n ≤ idx->count) to float at
 * @p dst, byte-swapping from big-endian (f64 values are rounded).
 * @return RK_OK, or RK_ERANGE when n > idx->count.
 */
rk_status rk_idx_to_float(const rk_idx *idx, float *dst, size_t n);

#ifdef __cplusplus
}
#endif

#endif
