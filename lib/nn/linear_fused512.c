/*
 * linear_fused512.c — the small-batch forward Y[b, o] = bias[o] + Σ_i X[b, i]·W[o, i]
 * on CPUs with AVX-512VL: the same 256-bit vectors as linear_fused.c's AVX2
 * kernels, but 32 registers instead of 16. Five rows of W against five batch
 * rows take 25 accumulators: per 8 columns, 5 loads of W and 5 of X feed 25
 * FMAs, where two rows of W (the most that fit in 16 registers) need 7 loads
 * for 10. Each lane sums over i in order and the lanes are reduced as in
 * linear_fused.c (linear_fused.h), so Y is bit for bit the AVX2 kernels'.
 *
 * The dX pass dX[b, i] += Σ_o dY[b, o]·W[o, i] keeps eight rows of W by three
 * strips of 8 columns in 24 registers: per batch row, 8 broadcasts of dY and
 * 3 loads and 3 stores of dX feed 24 FMAs, where the AVX2 tile of four rows by
 * two strips moves dX (ten rows of up to a few thousand floats, beyond L1) for
 * every 8 FMAs. Each element still takes the rows one FMA at a time in order,
 * so dX is bit for bit the AVX2 kernels'.
 */
#include "nn/linear_fused.h"

#ifdef RK_FUSED_X86

/* Rows o … o+4, batch rows b … b+NB−1: acc[r][k] += X[b+k, i:i+8] ⊙ W[o+r, i:i+8]. */
#define FWD_5ROWS(NB)                                                                      \
    static RK_AVX512 void fwd_5x##NB(const fwd_job *j, size_t o, size_t b)                \
    {                                                                                      \
        const size_t in = j->in;                                                           \
        const float *w = j->w + o * in, *x = j->x + b * in;                               \
        __m256 acc[5][NB];                                                                 \
        _Pragma("GCC unroll 5") for (int r = 0; r < 5; r++)                               \
            _Pragma("GCC unroll 5") for (int k = 0; k < NB; k++)                          \
                acc[r][k] = _mm256_setzero_ps();                                           \
        size_t i = 0;                                                                      \
        for (; i + 8 <= in; i += 8) {                                                      \
            __m256 u[5];                                                                   \
            _Pragma("GCC unroll 5") for (int r = 0; r < 5; r++)                           \
                u[r] = _mm256_loadu_ps(w + r * in + i);                                    \
            _Pragma("GCC unroll 5") for (int k = 0; k < NB; k++) {                        \
                __m256 t = _mm256_loadu_ps(x + k * in + i);                                \
                _Pragma("GCC unroll 5") for (int r = 0; r < 5; r++)                       \
                    acc[r][k] = _mm256_fmadd_ps(t, u[r], acc[r][k]);                       \
            }                                                                              \
        }                                                                                  \
        _Pragma("GCC unroll 5") for (int r = 0; r < 5; r++)                               \
            _Pragma("GCC unroll 5") for (int k = 0; k < NB; k++)                          \
                rk_fused_store(j, o + r, b + k, acc[r][k], i);                             \
    }

FWD_5ROWS(4)
FWD_5ROWS(5)

/* Rows o … o+7, columns i … i+8·S−1: dX[b, i:i+8S] += Σ_r dY[b, o+r]·W[o+r, i:i+8S], r in order. */
#define DX_8ROWS(S)                                                                        \
    static RK_AVX512 void dx_8x##S(const dx_job *j, size_t o, size_t i)                    \
    {                                                                                      \
        const size_t cols = j->cols;                                                       \
        const float *w = j->w + o * cols + i;                                              \
        __m256 u[8][S];                                                                    \
        _Pragma("GCC unroll 8") for (int r = 0; r < 8; r++)                               \
            _Pragma("GCC unroll 3") for (int s = 0; s < S; s++)                           \
                u[r][s] = _mm256_loadu_ps(w + r * cols + 8 * s);                           \
        for (size_t b = 0; b < j->batch; b++) {                                            \
            const float *d = j->dy + b * j->rows + o;                                      \
            float *dxb = j->dx + b * cols + i;                                             \
            __m256 acc[S];                                                                 \
            _Pragma("GCC unroll 3") for (int s = 0; s < S; s++)                           \
                acc[s] = _mm256_loadu_ps(dxb + 8 * s);                                     \
            _Pragma("GCC unroll 8") for (int r = 0; r < 8; r++) {                         \
                __m256 dv = _mm256_broadcast_ss(d + r);                                    \
                _Pragma("GCC unroll 3") for (int s = 0; s < S; s++)                       \
                    acc[s] = _mm256_fmadd_ps(dv, u[r][s], acc[s]);                         \
            }                                                                              \
            _Pragma("GCC unroll 3") for (int s = 0; s < S; s++)                           \
                _mm256_storeu_ps(dxb + 8 * s, acc[s]);                                     \
        }                                                                                  \
    }

DX_8ROWS(1)
DX_8ROWS(3)

void rk_fused_dx_8rows_avx512(const dx_job *j, size_t o, size_t i0, size_t i1)
{
    size_t i = i0;
    for (; i + 24 <= i1; i += 24)
        dx_8x3(j, o, i);
    for (; i < i1; i += 8)
        dx_8x1(j, o, i);
}

void rk_fused_fwd_5rows_avx512(const fwd_job *j, size_t o, size_t b, size_t nb)
{
    if (nb == 5)
        fwd_5x5(j, o, b);
    else
        fwd_5x4(j, o, b);
}
#endif
