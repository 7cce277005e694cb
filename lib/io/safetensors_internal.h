/*
 * safetensors_internal.h — the pieces of the safetensors reader between its
 * header (safetensors.c: st_header_length, st_parse_header) and its data
 * (safetensors_lazy.c: st_convert, st_diff_f32, which call the header's and
 * not the other way). Not installed.
 */
#ifndef RK_IO_SAFETENSORS_INTERNAL_H
#define RK_IO_SAFETENSORS_INTERNAL_H

#include "safetensors.h"

/** N from the first 8 bytes of a file of @p size bytes, checked against the limit and the size. */
rk_status st_header_length(const unsigned char *head8, size_t size, size_t *hlen, rk_err *err);

/** Parse and check the @p hlen header bytes at @p hdr for a data buffer of @p data_len bytes. */
rk_status st_parse_header(rk_st_file *f, const unsigned char *hdr, size_t hlen, size_t data_len,
                          rk_err *err);

/** What st_convert() does with each converted element x_i of the tensor. */
typedef enum st_conv {
    ST_SET_F64,    /**< ((double *)dst)[i] = x_i */
    ST_SET_F32,    /**< ((float *)dst)[i] = x_i */
    ST_RSUB_F32    /**< ((float *)dst)[i] = x_i − ((float *)dst)[i] */
} st_conv;

/** Convert all of @p t (loadable, checked by the caller) into @p dst, from memory or by pread. */
rk_status st_convert(const rk_st_file *f, const rk_st_tensor *t, void *dst, st_conv mode, rk_err *err);

/** dst = b − a over @p numel elements of two loadable tensors of that size (rk_st_tensor_diff_f32);
 *  *at = 1 when reading b failed, else 0. */
rk_status st_diff_f32(const rk_st_file *fa, const rk_st_tensor *ta, const rk_st_file *fb,
                      const rk_st_tensor *tb, float *dst, size_t numel, int *at, rk_err *err);

#endif
