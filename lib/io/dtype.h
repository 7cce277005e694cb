/**
 * @file
 * @ingroup io
 * dtype.h — element types of tensors in files (.npy, safetensors, IDX) and
 * their conversion to the double and float that ranklab computes in.
 */
#ifndef RK_IO_DTYPE_H
#define RK_IO_DTYPE_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Element types ranklab knows by name. Not all can be converted (see rk_dtype_numeric). */
typedef enum rk_dtype {
    RK_DT_F64 = 0, RK_DT_F32, RK_DT_F16, RK_DT_BF16,
    RK_DT_I64, RK_DT_I32, RK_DT_I16, RK_DT_I8,
    RK_DT_U64, RK_DT_U32, RK_DT_U16, RK_DT_U8,
    RK_DT_BOOL,
    RK_DT_UNKNOWN   /**< a type the file names that ranklab cannot convert */
} rk_dtype;

/** Bytes per element (0 for RK_DT_UNKNOWN). */
size_t rk_dtype_size(rk_dtype t);

/** safetensors-style name: "F64", "F32", "F16", "BF16", "I64", …, "BOOL", "unknown". */
const char *rk_dtype_name(rk_dtype t);

/** Parse a safetensors dtype name; RK_DT_UNKNOWN when not recognised. */
rk_dtype rk_dtype_from_name(const char *name);

/** true for types that convert to double (every known type). */
bool rk_dtype_numeric(rk_dtype t);

/** IEEE half (binary16) bits → float, subnormals, Inf and NaN included. */
float rk_half_to_float(unsigned short h);

/** bfloat16 bits → float. */
float rk_bf16_to_float(unsigned short h);

/**
 * Convert @p n elements of type @p t at @p src (packed, no alignment assumed;
 * byte-swapped first when @p big_endian) to doubles at @p dst.
 */
void rk_dtype_to_double(rk_dtype t, bool big_endian, const unsigned char *src, size_t n, double *dst);

/** Same as rk_dtype_to_double, to floats (F64 values are rounded). */
void rk_dtype_to_float(rk_dtype t, bool big_endian, const unsigned char *src, size_t n, float *dst);

/** true when this machine stores numbers little-endian. */
bool rk_host_little_endian(void);

#ifdef __cplusplus
}
#endif

#endif
