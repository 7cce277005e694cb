/*
 * lora_fused.c — the LoRA side path at small batch and rank, without sgemm.
 *
 * For u = x·Aᵀ, y += s·u·Bᵀ with A (R, In), B (Out, R) and a batch of B ≤ 16
 * rows, every product has a dimension of at most 16: the whole side path is
 * 2·B·R·(In + Out) flops forward and twice that backward, about 0.6 MFLOP at
 * R = 4 on the 784 → 1000 → 2000 → 10 net. Six sgemm calls per layer cost
 * more in dispatch, packing and waking BLAS threads than their arithmetic
 * (docs/performance.md measures it). Here each product is a loop over
 * contiguous rows — an axpy whose elements are summed in a fixed order, so
 * the compiler vectorises it without reassociating — on the calling thread:
 *
 *   forward   u[b, :]  = x[b, :]·Aᵀ           rk_linear_forward_fused (one pass over A)
 *             y[b, :] += Σ_k (s·u[b, k])·Bᵀ[k, :]    Bᵀ formed a chunk of columns at a time
 *   backward  for each row o of B, in one pass:
 *               G[o, :]  = Σ_b dy[b, o]·u[b, :]    dB[o, :] += s·G[o, :]
 *               t[b, :] += dy[b, o]·B[o, :]        du = s·t at the end
 *             for each row k of A, a chunk of columns at a time:
 *               dA[k, :] += Σ_b du[b, k]·x[b, :]
 *               dx[b, :] += du[b, k]·A[k, :]
 *
 * The sums run in another order than sgemm's, so results differ from the
 * sgemm path by rounding only (tests/nn/test_nn_fused.c bounds them).
 */
#include <string.h>

#include "nn/kernels.h"
#include "nn/layers.h"

/* Columns of Bᵀ (or of A and x) per chunk: a chunk of Bᵀ is at most
 * RK_LORA_SMALL_RANK · CHUNK floats (16 KiB) on the stack. */
enum { CHUNK = 128 };

bool rk_lora_side_small(size_t batch, size_t rank)
{
    return rk_linear_small_batch(batch) && rank <= RK_LORA_SMALL_RANK;
}

/* y[b, o0:o0+n] += Σ_k (s·u[b, k])·B[o0:o0+n, k], with Bᵀ's chunk copied first. */
static RK_VECTORISE void side_up_chunk(float *y, const float *u, const float *b, float scale,
                                       size_t batch, size_t out, size_t rank, size_t o0,
                                       size_t n)
{
    float bt[RK_LORA_SMALL_RANK * CHUNK];
    for (size_t q = 0; q < n; q++)
        for (size_t k = 0; k < rank; k++)
            bt[k * CHUNK + q] = b[(o0 + q) * rank + k];
    for (size_t i = 0; i < batch; i++) {
        float *yi = y + i * out + o0;
        for (size_t k = 0; k < rank; k++) {
            float c = scale * u[i * rank + k];
            const float *bk = bt + k * CHUNK;
            for (size_t q = 0; q < n; q++)
                yi[q] += c * bk[q];
        }
    }
}

void rk_lora_side_forward_small(float *y, float *u, const float *x, const float *a,
                                const float *b, float scale, size_t batch, size_t in,
                                size_t out, size_t rank, bool simd)
{
    // u = x·Aᵀ : (B, In)·(In, R)
    rk_linear_forward_fused(u, x, a, NULL, batch, in, rank, simd);
    // y += s · u·Bᵀ : (B, R)·(R, Out)
    for (size_t o0 = 0; o0 < out; o0 += CHUNK)
        side_up_chunk(y, u, b, scale, batch, out, rank, o0, out - o0 < CHUNK ? out - o0 : CHUNK);
}

/* dB += s·dyᵀ·u and du = s·dy·B in one pass over the rows of B. */
static RK_VECTORISE void side_down_b(float *db, float *du, const float *dy, const float *u,
                                     const float *b, float scale, size_t batch, size_t out,
                                     size_t rank)
{
    float g[RK_LORA_SMALL_RANK];
    memset(du, 0, batch * rank * sizeof *du);
    for (size_t o = 0; o < out; o++) {
        const float *bo = b + o * rank;
        for (size_t k = 0; k < rank; k++)
            g[k] = 0.0f;
        for (size_t i = 0; i < batch; i++) {
            float d = dy[i * out + o];
            const float *ui = u + i * rank;
            float *ti = du + i * rank;
            for (size_t k = 0; k < rank; k++) {
                g[k] += d * ui[k];      // G[o, k] = Σ_b dy[b, o]·u[b, k]
                ti[k] += d * bo[k];     // t[b, k] = Σ_o dy[b, o]·B[o, k]
            }
        }
        if (db)
            for (size_t k = 0; k < rank; k++)
                db[o * rank + k] += scale * g[k];
    }
    for (size_t n = 0; n < batch * rank; n++)
        du[n] *= scale;
}

/* dA[:, i0:i0+n] += duᵀ·x[:, i0:i0+n] and dx[:, i0:i0+n] += du·A[:, i0:i0+n]. */
static RK_VECTORISE void side_down_a(float *dx, float *da, const float *du, const float *x,
                                     const float *a, size_t batch, size_t in, size_t rank,
                                     size_t i0, size_t n)
{
    for (size_t k = 0; k < rank; k++) {
        float *dak = da ? da + k * in + i0 : NULL;
        const float *ak = a + k * in + i0;
        for (size_t i = 0; i < batch; i++) {
            float d = du[i * rank + k];
            if (dak) {
                const float *xi = x + i * in + i0;
                for (size_t q = 0; q < n; q++)
                    dak[q] += d * xi[q];
            }
            if (dx) {
                float *dxi = dx + i * in + i0;
                for (size_t q = 0; q < n; q++)
                    dxi[q] += d * ak[q];
            }
        }
    }
}

void rk_lora_side_backward_small(float *dx, float *da, float *db, float *du, const float *dy,
                                 const float *x, const float *u, const float *a,
                                 const float *b, float scale, size_t batch, size_t in,
                                 size_t out, size_t rank)
{
    side_down_b(db, du, dy, u, b, scale, batch, out, rank);
    if (!da && !dx)
        return;
    for (size_t i0 = 0; i0 < in; i0 += CHUNK)
        side_down_a(dx, da, du, x, a, batch, in, rank, i0, in - i0 < CHUNK ? in - i0 : CHUNK);
}
