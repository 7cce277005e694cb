/*
 * linear_fused.h — what the small-batch forward kernels of linear_fused.c
 * (AVX2, 16 vector registers) and linear_fused512.c (AVX-512VL, 32) share:
 * the job and the reduction of a dot product's eight lanes. Both files reduce
 * the same way, so every kernel gives the same Y bit for bit. Internal to
 * lib/nn.
 */
#ifndef RK_NN_LINEAR_FUSED_H
#define RK_NN_LINEAR_FUSED_H

#include <math.h>
#include <stddef.h>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define RK_FUSED_X86 1
#include <immintrin.h>
#define RK_AVX2 __attribute__((target("avx2,fma")))
#define RK_AVX512 __attribute__((target("avx512f,avx512vl,avx2,fma")))
#endif

/** One forward: Y (batch × out) = X (batch × in)·Wᵀ (W out × in) + bias. */
typedef struct fwd_job {
    float *y;                 /**< Y, batch × out */
    const float *x;           /**< X, batch × in */
    const float *w;           /**< W, out × in */
    const float *b;           /**< bias (out), or NULL */
    size_t batch, in, out;    /**< the shapes */
} fwd_job;

#ifdef RK_FUSED_X86
/** The sum of the 8 lanes of v: (v0+v4 + v2+v6) + (v1+v5 + v3+v7). */
static inline RK_AVX2 float rk_fused_hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/** Y[b, o] = bias[o] + (the lanes' sum + the columns i … in−1 past the last multiple of 8). */
static inline RK_AVX2 void rk_fused_store(const fwd_job *j, size_t o, size_t b, __m256 acc,
                                          size_t i)
{
    const float *x = j->x + b * j->in, *w = j->w + o * j->in;
    float s = rk_fused_hsum8(acc);
    for (; i < j->in; i++)
        s = fmaf(x[i], w[i], s);
    j->y[b * j->out + o] = (j->b ? j->b[o] : 0.0f) + s;
}

/** Rows o … o+4 of W against batch rows b … b+nb−1, nb 4 or 5 (linear_fused512.c). */
void rk_fused_fwd_5rows_avx512(const fwd_job *j, size_t o, size_t b, size_t nb);

/** One dX pass: dX (batch × cols) += dY (batch × rows)·W (rows × cols). */
typedef struct dx_job {
    float *dx;                 /**< dX, batch × cols */
    const float *dy;           /**< dY, batch × rows */
    const float *w;            /**< W, rows × cols */
    size_t batch, rows, cols;  /**< the shapes */
} dx_job;

/** dX[:, i0:i1] += dY[:, o:o+8]·W[o:o+8, i0:i1], i1 − i0 a multiple of 8, each element's
 * sum over the rows in order o, o+1, …, o+7 (linear_fused512.c). */
void rk_fused_dx_8rows_avx512(const dx_job *j, size_t o, size_t i0, size_t i1);
#endif

#endif
