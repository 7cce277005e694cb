/* dtype.c — element types: names, sizes, and conversion to double/float. */
#include "io/dtype.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const struct {
    const char *name;
    size_t size;
} types[] = {
    [RK_DT_F64] = { "F64", 8 },  [RK_DT_F32] = { "F32", 4 },  [RK_DT_F16] = { "F16", 2 },
    [RK_DT_BF16] = { "BF16", 2 }, [RK_DT_I64] = { "I64", 8 }, [RK_DT_I32] = { "I32", 4 },
    [RK_DT_I16] = { "I16", 2 },  [RK_DT_I8] = { "I8", 1 },    [RK_DT_U64] = { "U64", 8 },
    [RK_DT_U32] = { "U32", 4 },  [RK_DT_U16] = { "U16", 2 },  [RK_DT_U8] = { "U8", 1 },
    [RK_DT_BOOL] = { "BOOL", 1 }, [RK_DT_UNKNOWN] = { "unknown", 0 },
};

size_t rk_dtype_size(rk_dtype t)
{
    return (unsigned)t <= RK_DT_UNKNOWN ? types[t].size : 0;
}

const char *rk_dtype_name(rk_dtype t)
{
    return (unsigned)t <= RK_DT_UNKNOWN ? types[t].name : "unknown";
}

rk_dtype rk_dtype_from_name(const char *name)
{
    for (int t = 0; t < RK_DT_UNKNOWN; t++)
        if (!strcmp(types[t].name, name))
            return (rk_dtype)t;
    return RK_DT_UNKNOWN;
}

bool rk_dtype_numeric(rk_dtype t) { return (unsigned)t < RK_DT_UNKNOWN; }

bool rk_host_little_endian(void)
{
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

float rk_half_to_float(unsigned short h)
{
    int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24); /* subnormal: mant · 2^-24 */
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400), exp - 25); /* (1.mant) · 2^(exp-15) */
    return sign ? -v : v;
}

float rk_bf16_to_float(unsigned short h)
{
    uint32_t bits = (uint32_t)h << 16; /* bfloat16 is the top half of a float */
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* Load one element as an unsigned integer of its width, in host order. */
static uint64_t load_bits(const unsigned char *p, size_t size, bool swap)
{
    unsigned char b[8];
    for (size_t i = 0; i < size; i++)
        b[i] = swap ? p[size - 1 - i] : p[i];
    uint64_t v = 0;
    if (rk_host_little_endian())
        for (size_t i = size; i-- > 0;)
            v = (v << 8) | b[i];
    else
        for (size_t i = 0; i < size; i++)
            v = (v << 8) | b[i];
    return v;
}

static double element(rk_dtype t, const unsigned char *p, bool swap)
{
    uint64_t v = load_bits(p, rk_dtype_size(t), swap);
    switch (t) {
    case RK_DT_F64: { double d; memcpy(&d, &v, 8); return d; }
    case RK_DT_F32: { uint32_t u = (uint32_t)v; float f; memcpy(&f, &u, 4); return f; }
    case RK_DT_F16: return rk_half_to_float((unsigned short)v);
    case RK_DT_BF16: return rk_bf16_to_float((unsigned short)v);
    case RK_DT_I64: return (double)(int64_t)v;
    case RK_DT_I32: return (double)(int32_t)(uint32_t)v;
    case RK_DT_I16: return (double)(int16_t)(uint16_t)v;
    case RK_DT_I8: return (double)(int8_t)(uint8_t)v;
    case RK_DT_U64: case RK_DT_U32: case RK_DT_U16: case RK_DT_U8: return (double)v;
    case RK_DT_BOOL: return v ? 1.0 : 0.0;
    default: return NAN;
    }
}

void rk_dtype_to_double(rk_dtype t, bool big_endian, const unsigned char *src, size_t n, double *dst)
{
    size_t size = rk_dtype_size(t);
    bool swap = big_endian == rk_host_little_endian() && size > 1;
    if (t == RK_DT_F64 && !swap) {
        memcpy(dst, src, n * 8);
        return;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = element(t, src + i * size, swap);
}

void rk_dtype_to_float(rk_dtype t, bool big_endian, const unsigned char *src, size_t n, float *dst)
{
    size_t size = rk_dtype_size(t);
    bool swap = big_endian == rk_host_little_endian() && size > 1;
    if (t == RK_DT_F32 && !swap) {
        memcpy(dst, src, n * 4);
        return;
    }
    if (t == RK_DT_BF16 && !swap && rk_host_little_endian()) {
        /* bfloat16 is the top half of a float: a shift, which the compiler vectorises */
        for (size_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, src + 2 * i, 2);
            uint32_t bits = (uint32_t)h << 16;
            memcpy(dst + i, &bits, 4);
        }
        return;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)element(t, src + i * size, swap);
}
