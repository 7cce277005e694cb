/*
 * linear_fused.c — a linear layer at small batch: one pass over W for the
 * forward, one for the backward fused with the optimizer update.
 *
 * For y = x·Wᵀ + b with W (rows = out) × (cols = in) and a batch of B rows:
 *   forward     Y[b, o]  = bias[o] + Σ_i X[b, i] · W[o, i]
 *   backward    dX[b, i] += Σ_o dY[b, o] · W[o, i]            (with W before the update)
 *               G[o, i]  = Σ_b dY[b, o] · X[b, i]             (the weight gradient)
 *   update      W, m, v ← rule(W, G, m, v)                    (Adam, nn/optim.h)
 *
 * At B = 10 each weight takes part in 10 multiply-adds per product, while
 * reading it costs 4 bytes (W) or 24 (W, m, v read and written): the step is
 * bound by memory. sgemm packs W into a buffer before every product (W is
 * read twice and written once per product), and sgemm-then-Adam writes G,
 * reads it back and writes it again. Here each weight is touched by one
 * pass for the forward and one for the backward: a 4 × 8 tile of W, m, v is
 * loaded, the tile of G summed in registers (b = 0, 1, … in order), dX
 * accumulated from the old tile, and the updated tile stored. G is never
 * written to memory.
 *
 * Threads split the forward by rows and the backward by columns (each
 * thread then owns a slice of dX as well): every output element is summed
 * by one thread in the same order whatever the split, so results do not
 * depend on the number of threads. The kernels use AVX2 and FMA when the CPU
 * has them (checked at run time) and portable C otherwise; the two round
 * the sums differently (fused multiply-adds), within a few ulp.
 */
#include <string.h>

#include "core/alloc.h"
#include "core/parallel.h"
#include "nn/layers.h"
#include "nn/kernels.h"

#include "nn/linear_fused.h"

rk_fused_isa rk_linear_fused_isa(void)
{
#ifdef RK_FUSED_X86
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return RK_FUSED_PORTABLE;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl"))
        return RK_FUSED_AVX512;
    return RK_FUSED_AVX2;
#else
    return RK_FUSED_PORTABLE;
#endif
}

bool rk_linear_fused_simd(void)
{
    return rk_linear_fused_isa() >= RK_FUSED_AVX2;
}

/* The kernels to run: the widest the caller allows that this CPU has. */
static rk_fused_isa isa_use(rk_fused_isa allowed)
{
    rk_fused_isa cpu = rk_linear_fused_isa();
    return allowed < cpu ? allowed : cpu;
}

bool rk_linear_small_batch(size_t batch)
{
    return batch <= RK_LINEAR_SMALL_BATCH && rk_linear_fused_simd();
}

/* A thread's share of a pass is at least this many weights. */
enum { MIN_SHARE = 65536 };

/* ------------------------------------------------------------------ forward */

/* Portable: Y[b, o] = bias[o] + Σ_i X[b, i]·W[o, i], one dot product each. */
static void fwd_rows_portable(void *ctx, size_t o0, size_t o1)
{
    const fwd_job *j = ctx;
    for (size_t o = o0; o < o1; o++) {
        const float *wo = j->w + o * j->in;
        for (size_t b = 0; b < j->batch; b++) {
            const float *xb = j->x + b * j->in;
            float s = 0.0f;
            for (size_t i = 0; i < j->in; i++)
                s += xb[i] * wo[i];
            j->y[b * j->out + o] = (j->b ? j->b[o] : 0.0f) + s;
        }
    }
}

#ifdef RK_FUSED_X86
/* Row o of W against batch rows b … b+nb−1 (nb ≤ 4): four accumulators, one load
 * of W for four FMAs. With nb < 4 the spare lanes repeat row b and are not
 * stored — four independent chains keep the FMA unit busy, where a single
 * accumulator would wait on each FMA's latency. */
static inline RK_AVX2 void fwd_1x4_avx2(const fwd_job *j, size_t o, size_t b, size_t nb)
{
    const size_t in = j->in;
    const float *wo = j->w + o * in, *x0 = j->x + b * in;
    const float *x1 = nb > 1 ? x0 + in : x0, *x2 = nb > 2 ? x0 + 2 * in : x0;
    const float *x3 = nb > 3 ? x0 + 3 * in : x0;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = 0;
    for (; i + 8 <= in; i += 8) {
        __m256 wv = _mm256_loadu_ps(wo + i);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x0 + i), wv, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x1 + i), wv, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x2 + i), wv, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x3 + i), wv, a3);
    }
    rk_fused_store(j, o, b, a0, i);
    if (nb > 1)
        rk_fused_store(j, o, b + 1, a1, i);
    if (nb > 2)
        rk_fused_store(j, o, b + 2, a2, i);
    if (nb > 3)
        rk_fused_store(j, o, b + 3, a3, i);
}

/* Rows o and o+1 of W against batch rows b … b+3: eight independent chains, two
 * loads of W and four of X for eight FMAs. */
static inline RK_AVX2 void fwd_2x4_avx2(const fwd_job *j, size_t o, size_t b)
{
    const size_t in = j->in;
    const float *w0 = j->w + o * in, *w1 = w0 + in, *x0 = j->x + b * in;
    const float *x1 = x0 + in, *x2 = x1 + in, *x3 = x2 + in;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
    size_t i = 0;
    for (; i + 8 <= in; i += 8) {
        __m256 u = _mm256_loadu_ps(w0 + i), v = _mm256_loadu_ps(w1 + i);
        __m256 y0 = _mm256_loadu_ps(x0 + i), y1 = _mm256_loadu_ps(x1 + i);
        __m256 y2 = _mm256_loadu_ps(x2 + i), y3 = _mm256_loadu_ps(x3 + i);
        a0 = _mm256_fmadd_ps(y0, u, a0);
        a1 = _mm256_fmadd_ps(y1, u, a1);
        a2 = _mm256_fmadd_ps(y2, u, a2);
        a3 = _mm256_fmadd_ps(y3, u, a3);
        c0 = _mm256_fmadd_ps(y0, v, c0);
        c1 = _mm256_fmadd_ps(y1, v, c1);
        c2 = _mm256_fmadd_ps(y2, v, c2);
        c3 = _mm256_fmadd_ps(y3, v, c3);
    }
    rk_fused_store(j, o, b, a0, i), rk_fused_store(j, o + 1, b, c0, i);
    rk_fused_store(j, o, b + 1, a1, i), rk_fused_store(j, o + 1, b + 1, c1, i);
    rk_fused_store(j, o, b + 2, a2, i), rk_fused_store(j, o + 1, b + 2, c2, i);
    rk_fused_store(j, o, b + 3, a3, i), rk_fused_store(j, o + 1, b + 3, c3, i);
}

/* Rows o and o+1 of W against batch rows b … b+4: ten independent chains, two
 * loads of W and five of X for ten FMAs (batch 10 in two blocks, none wasted). */
static inline RK_AVX2 void fwd_2x5_avx2(const fwd_job *j, size_t o, size_t b)
{
    const size_t in = j->in;
    const float *w0 = j->w + o * in, *w1 = w0 + in, *x0 = j->x + b * in;
    const float *x1 = x0 + in, *x2 = x1 + in, *x3 = x2 + in, *x4 = x3 + in;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, a4 = a0;
    __m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0, c4 = a0;
    size_t i = 0;
    for (; i + 8 <= in; i += 8) {
        __m256 u = _mm256_loadu_ps(w0 + i), v = _mm256_loadu_ps(w1 + i), t;
        t = _mm256_loadu_ps(x0 + i), a0 = _mm256_fmadd_ps(t, u, a0), c0 = _mm256_fmadd_ps(t, v, c0);
        t = _mm256_loadu_ps(x1 + i), a1 = _mm256_fmadd_ps(t, u, a1), c1 = _mm256_fmadd_ps(t, v, c1);
        t = _mm256_loadu_ps(x2 + i), a2 = _mm256_fmadd_ps(t, u, a2), c2 = _mm256_fmadd_ps(t, v, c2);
        t = _mm256_loadu_ps(x3 + i), a3 = _mm256_fmadd_ps(t, u, a3), c3 = _mm256_fmadd_ps(t, v, c3);
        t = _mm256_loadu_ps(x4 + i), a4 = _mm256_fmadd_ps(t, u, a4), c4 = _mm256_fmadd_ps(t, v, c4);
    }
    rk_fused_store(j, o, b, a0, i), rk_fused_store(j, o + 1, b, c0, i);
    rk_fused_store(j, o, b + 1, a1, i), rk_fused_store(j, o + 1, b + 1, c1, i);
    rk_fused_store(j, o, b + 2, a2, i), rk_fused_store(j, o + 1, b + 2, c2, i);
    rk_fused_store(j, o, b + 3, a3, i), rk_fused_store(j, o + 1, b + 3, c3, i);
    rk_fused_store(j, o, b + 4, a4, i), rk_fused_store(j, o + 1, b + 4, c4, i);
}

/* Rows [o, o1) of W, two at a time (then one): full blocks of batch rows, then the rest. */
static RK_AVX2 void fwd_rows_from(const fwd_job *j, size_t o, size_t o1)
{
    bool fives = j->batch % 4 != 0 && j->batch % 5 == 0;   // 5, 10, 15: blocks of 5
    for (; o + 2 <= o1; o += 2) {   // pairs of rows of W, full quads of batch rows
        size_t b = 0;
        for (; fives && b + 5 <= j->batch; b += 5)
            fwd_2x5_avx2(j, o, b);
        for (; b + 4 <= j->batch; b += 4)
            fwd_2x4_avx2(j, o, b);
        for (; b < j->batch; b += 4)
            for (size_t r = 0; r < 2; r++)
                fwd_1x4_avx2(j, o + r, b, j->batch - b);
    }
    for (; o < o1; o++)
        for (size_t b = 0; b < j->batch; b += 4)
            fwd_1x4_avx2(j, o, b, j->batch - b < 4 ? j->batch - b : 4);
}

static RK_AVX2 void fwd_rows_avx2(void *ctx, size_t o0, size_t o1)
{
    fwd_rows_from(ctx, o0, o1);
}

/* AVX-512VL: five rows of W at a time against blocks of 5 (batch 5, 10, 15) or 4
 * batch rows (linear_fused512.c); the batch rows past the last block, and the rows
 * of W past the last five, by the AVX2 kernels. Same sums, bit for bit. */
static RK_AVX2 void fwd_rows_avx512(void *ctx, size_t o0, size_t o1)
{
    const fwd_job *j = ctx;
    size_t nb = j->batch % 4 != 0 && j->batch % 5 == 0 ? 5 : 4;
    size_t end = o0 + (o1 - o0) / 5 * 5;
    fwd_rows_from(j, end, o1);
    // blocks from the last to the first: the rows read last are the first ones the dX
    // pass reads (top to bottom), and some of them are still in this core's cache then
    for (size_t o = end; o > o0;) {
        o -= 5;
        size_t b = 0;
        for (; b + nb <= j->batch; b += nb)
            rk_fused_fwd_5rows_avx512(j, o, b, nb);
        for (size_t r = 0; b < j->batch && r < 5; r++)
            fwd_1x4_avx2(j, o + r, b, j->batch - b);   // fewer than 4 batch rows left
    }
}
#endif

void rk_linear_forward_fused(float *y, const float *x, const float *w, const float *b,
                             size_t batch, size_t in, size_t out, rk_fused_isa isa)
{
    fwd_job j = { y, x, w, b, batch, in, out };
    rk_parallel_fn fn = fwd_rows_portable;
#ifdef RK_FUSED_X86
    isa = isa_use(isa);
    fn = isa == RK_FUSED_AVX512 ? fwd_rows_avx512 : isa == RK_FUSED_AVX2 ? fwd_rows_avx2 : fn;
#else
    (void)isa;
#endif
    // a thread's share: at least MIN_SHARE weights, in blocks of 10 rows
    rk_parallel_for(out, (MIN_SHARE / (in ? in : 1) / 10 + 1) * 10, fn, &j);
}

/* --------------------------------------------------------- backward + update */

typedef struct bwd_job {
    rk_optim_rule rule;
    float *w, *m, *v;       /* W and its state (rows × cols); v NULL for SGD */
    float *dx;              /* (batch × cols) += dY·W, or NULL */
    const float *dy, *x;    /* dY (batch × rows), X (batch × cols) */
    size_t batch, rows, cols;
} bwd_job;

/* Portable: row by row, CHUNK columns at a time: G for the chunk, dX from the
 * old weights, then the rule. */
enum { CHUNK = 256 };

static void bwd_cols_portable(void *ctx, size_t c0, size_t c1)
{
    const bwd_job *j = ctx;
    float g[CHUNK];
    for (size_t o = 0; o < j->rows; o++) {
        size_t row = o * j->cols;
        for (size_t i0 = c0; i0 < c1; i0 += CHUNK) {
            size_t n = c1 - i0 < CHUNK ? c1 - i0 : CHUNK;
            const float *wo = j->w + row + i0;
            for (size_t k = 0; k < n; k++)
                g[k] = 0.0f;
            for (size_t b = 0; b < j->batch; b++) {
                float d = j->dy[b * j->rows + o];
                const float *xb = j->x + b * j->cols + i0;
                for (size_t k = 0; k < n; k++)      // G[o, i] += dY[b, o]·X[b, i]
                    g[k] += d * xb[k];
                if (j->dx) {
                    float *dxb = j->dx + b * j->cols + i0;
                    for (size_t k = 0; k < n; k++)  // dX[b, i] += dY[b, o]·W[o, i]
                        dxb[k] += d * wo[k];
                }
            }
            rk_optim_rule_apply(&j->rule, j->w + row + i0, g, j->m + row + i0,
                                j->v ? j->v + row + i0 : NULL, n);
        }
    }
}

/* Portable dX only: dX[b, :] += dY[b, o]·W[o, :] over the rows o in order. */
static void dx_cols_portable(void *ctx, size_t c0, size_t c1)
{
    const dx_job *j = ctx;
    for (size_t o = 0; o < j->rows; o++) {
        const float *wo = j->w + o * j->cols;
        for (size_t b = 0; b < j->batch; b++) {
            float d = j->dy[b * j->rows + o], *dxb = j->dx + b * j->cols;
            for (size_t i = c0; i < c1; i++)
                dxb[i] += d * wo[i];
        }
    }
}

#ifdef RK_FUSED_X86
/* Adam's scalars broadcast to 8 lanes, once per call of the kernel. */
typedef struct adam_consts {
    __m256 b1, c1, b2, c2, inv_sqrt_bc2, eps, step_size;
} adam_consts;

static inline RK_AVX2 adam_consts adam_consts_get(const rk_optim_rule *r)
{
    return (adam_consts){ _mm256_set1_ps(r->b1), _mm256_set1_ps(1.0f - r->b1),
                          _mm256_set1_ps(r->b2), _mm256_set1_ps(1.0f - r->b2),
                          _mm256_set1_ps(r->inv_sqrt_bc2), _mm256_set1_ps(r->eps),
                          _mm256_set1_ps(r->step_size) };
}

/* Adam on 8 weights with gradient g: the scalar rule's operations in the same
 * order (no contraction), so given the same g the result is bit-identical. */
static inline RK_AVX2 void adam8(const adam_consts *k, float *p, float *m, float *v, __m256 g)
{
    __m256 mv = _mm256_add_ps(_mm256_mul_ps(k->b1, _mm256_loadu_ps(m)), _mm256_mul_ps(k->c1, g));
    __m256 vv = _mm256_add_ps(_mm256_mul_ps(k->b2, _mm256_loadu_ps(v)),
                              _mm256_mul_ps(_mm256_mul_ps(k->c2, g), g));
    __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vv), k->inv_sqrt_bc2), k->eps);
    __m256 upd = _mm256_div_ps(_mm256_mul_ps(k->step_size, mv), den);
    _mm256_storeu_ps(m, mv);
    _mm256_storeu_ps(v, vv);
    _mm256_storeu_ps(p, _mm256_sub_ps(_mm256_loadu_ps(p), upd));
}

/* Rows o … o+3, columns i … i+7: the tile of G in four registers and dX from the
 * old tile, then Adam on each row of the tile. */
static inline RK_AVX2 void tile4_avx2(const bwd_job *j, const adam_consts *k, size_t o,
                                      size_t i)
{
    const size_t cols = j->cols, rows = j->rows;
    const size_t at = o * cols + i;
    const float *dy = j->dy + o;
    __m256 w0 = _mm256_loadu_ps(j->w + at), w1 = _mm256_loadu_ps(j->w + at + cols);
    __m256 w2 = _mm256_loadu_ps(j->w + at + 2 * cols), w3 = _mm256_loadu_ps(j->w + at + 3 * cols);
    __m256 g0 = _mm256_setzero_ps(), g1 = g0, g2 = g0, g3 = g0;
    for (size_t b = 0; b < j->batch; b++) {
        const float *d = dy + b * rows;
        __m256 d0 = _mm256_broadcast_ss(d), d1 = _mm256_broadcast_ss(d + 1);
        __m256 d2 = _mm256_broadcast_ss(d + 2), d3 = _mm256_broadcast_ss(d + 3);
        __m256 xv = _mm256_loadu_ps(j->x + b * cols + i);
        g0 = _mm256_fmadd_ps(d0, xv, g0);            // G[o+r, i:i+8] += dY[b, o+r]·X[b, i:i+8]
        g1 = _mm256_fmadd_ps(d1, xv, g1);
        g2 = _mm256_fmadd_ps(d2, xv, g2);
        g3 = _mm256_fmadd_ps(d3, xv, g3);
        if (j->dx) {                                  // dX[b, i:i+8] += Σ_r dY[b, o+r]·W[o+r, i:i+8]
            float *dxb = j->dx + b * cols + i;
            __m256 s = _mm256_fmadd_ps(d0, w0, _mm256_loadu_ps(dxb));
            s = _mm256_fmadd_ps(d1, w1, s);
            s = _mm256_fmadd_ps(d2, w2, s);
            _mm256_storeu_ps(dxb, _mm256_fmadd_ps(d3, w3, s));
        }
    }
    adam8(k, j->w + at, j->m + at, j->v + at, g0);
    adam8(k, j->w + at + cols, j->m + at + cols, j->v + at + cols, g1);
    adam8(k, j->w + at + 2 * cols, j->m + at + 2 * cols, j->v + at + 2 * cols, g2);
    adam8(k, j->w + at + 3 * cols, j->m + at + 3 * cols, j->v + at + 3 * cols, g3);
}

/* Row o, columns i … i+7. */
static inline RK_AVX2 void tile1_avx2(const bwd_job *j, const adam_consts *k, size_t o,
                                      size_t i)
{
    const size_t cols = j->cols, at = o * cols + i;
    __m256 w0 = _mm256_loadu_ps(j->w + at), g = _mm256_setzero_ps();
    for (size_t b = 0; b < j->batch; b++) {
        __m256 d = _mm256_broadcast_ss(j->dy + b * j->rows + o);
        g = _mm256_fmadd_ps(d, _mm256_loadu_ps(j->x + b * cols + i), g);
        if (j->dx) {
            float *dxb = j->dx + b * cols + i;
            _mm256_storeu_ps(dxb, _mm256_fmadd_ps(d, w0, _mm256_loadu_ps(dxb)));
        }
    }
    adam8(k, j->w + at, j->m + at, j->v + at, g);
}

/* Row o, column i alone (the columns past the last multiple of 8). */
static RK_AVX2 void elem_avx2(const bwd_job *j, size_t o, size_t i)
{
    const size_t at = o * j->cols + i;
    float w = j->w[at], g = 0.0f;
    for (size_t b = 0; b < j->batch; b++) {
        float d = j->dy[b * j->rows + o];
        g = fmaf(d, j->x[b * j->cols + i], g);
        if (j->dx)
            j->dx[b * j->cols + i] = fmaf(d, w, j->dx[b * j->cols + i]);
    }
    rk_optim_rule_apply(&j->rule, j->w + at, &g, j->m + at, j->v + at, 1);
}

/* dX only (a frozen W, as under LoRA): rows o … o+3, columns i … i+7. */
static inline RK_AVX2 void dx_tile4_avx2(const dx_job *j, size_t o, size_t i)
{
    const size_t cols = j->cols, at = o * cols + i;
    const float *dy = j->dy + o;
    __m256 w0 = _mm256_loadu_ps(j->w + at), w1 = _mm256_loadu_ps(j->w + at + cols);
    __m256 w2 = _mm256_loadu_ps(j->w + at + 2 * cols), w3 = _mm256_loadu_ps(j->w + at + 3 * cols);
    for (size_t b = 0; b < j->batch; b++) {
        const float *d = dy + b * j->rows;
        float *dxb = j->dx + b * cols + i;
        __m256 s = _mm256_fmadd_ps(_mm256_broadcast_ss(d), w0, _mm256_loadu_ps(dxb));
        s = _mm256_fmadd_ps(_mm256_broadcast_ss(d + 1), w1, s);
        s = _mm256_fmadd_ps(_mm256_broadcast_ss(d + 2), w2, s);
        _mm256_storeu_ps(dxb, _mm256_fmadd_ps(_mm256_broadcast_ss(d + 3), w3, s));
    }
}

/* dX only, rows o … o+3, columns i … i+15: two strips share the four broadcasts of
 * dY[b, o+r], and each strip's sum runs over the rows in order as in dx_tile4_avx2. */
static inline RK_AVX2 void dx_tile4x2_avx2(const dx_job *j, size_t o, size_t i)
{
    const size_t cols = j->cols, at = o * cols + i;
    const float *w = j->w + at;
    __m256 u0 = _mm256_loadu_ps(w), u1 = _mm256_loadu_ps(w + cols);
    __m256 u2 = _mm256_loadu_ps(w + 2 * cols), u3 = _mm256_loadu_ps(w + 3 * cols);
    __m256 v0 = _mm256_loadu_ps(w + 8), v1 = _mm256_loadu_ps(w + cols + 8);
    __m256 v2 = _mm256_loadu_ps(w + 2 * cols + 8), v3 = _mm256_loadu_ps(w + 3 * cols + 8);
    for (size_t b = 0; b < j->batch; b++) {
        const float *d = j->dy + o + b * j->rows;
        float *dxb = j->dx + b * cols + i;
        __m256 d0 = _mm256_broadcast_ss(d), d1 = _mm256_broadcast_ss(d + 1);
        __m256 d2 = _mm256_broadcast_ss(d + 2), d3 = _mm256_broadcast_ss(d + 3);
        __m256 s = _mm256_fmadd_ps(d0, u0, _mm256_loadu_ps(dxb));
        __m256 t = _mm256_fmadd_ps(d0, v0, _mm256_loadu_ps(dxb + 8));
        s = _mm256_fmadd_ps(d1, u1, s), t = _mm256_fmadd_ps(d1, v1, t);
        s = _mm256_fmadd_ps(d2, u2, s), t = _mm256_fmadd_ps(d2, v2, t);
        _mm256_storeu_ps(dxb, _mm256_fmadd_ps(d3, u3, s));
        _mm256_storeu_ps(dxb + 8, _mm256_fmadd_ps(d3, v3, t));
    }
}

static inline RK_AVX2 void dx_tile1_avx2(const dx_job *j, size_t o, size_t i)
{
    __m256 w0 = _mm256_loadu_ps(j->w + o * j->cols + i);
    for (size_t b = 0; b < j->batch; b++) {
        float *dxb = j->dx + b * j->cols + i;
        _mm256_storeu_ps(dxb, _mm256_fmadd_ps(_mm256_broadcast_ss(j->dy + b * j->rows + o), w0,
                                              _mm256_loadu_ps(dxb)));
    }
}

static RK_AVX2 void dx_elem(const dx_job *j, size_t o, size_t i)
{
    float w = j->w[o * j->cols + i];
    for (size_t b = 0; b < j->batch; b++)
        j->dx[b * j->cols + i] = fmaf(j->dy[b * j->rows + o], w, j->dx[b * j->cols + i]);
}

/* Rows [o, rows) of W, columns [c0, c1): four rows at a time, then one. */
static RK_AVX2 void dx_rows_from(const dx_job *j, size_t o, size_t c0, size_t c1)
{
    size_t c8 = c0 + (c1 - c0) / 8 * 8;
    for (; o + 4 <= j->rows; o += 4) {
        size_t i = c0;
        for (; i + 16 <= c8; i += 16)
            dx_tile4x2_avx2(j, o, i);
        for (; i < c8; i += 8)
            dx_tile4_avx2(j, o, i);
        for (size_t r = 0; r < 4; r++)
            for (size_t i = c8; i < c1; i++)
                dx_elem(j, o + r, i);
    }
    for (; o < j->rows; o++) {
        for (size_t i = c0; i < c8; i += 8)
            dx_tile1_avx2(j, o, i);
        for (size_t i = c8; i < c1; i++)
            dx_elem(j, o, i);
    }
}

static RK_AVX2 void dx_cols_avx2(void *ctx, size_t c0, size_t c1)
{
    dx_rows_from(ctx, 0, c0, c1);
}

/* AVX-512VL: eight rows of W at a time (linear_fused512.c), the columns past the
 * last multiple of 8 and the rows past the last eight as in dx_cols_avx2. */
static RK_AVX2 void dx_cols_avx512(void *ctx, size_t c0, size_t c1)
{
    const dx_job *j = ctx;
    size_t c8 = c0 + (c1 - c0) / 8 * 8, o = 0;
    for (; o + 8 <= j->rows; o += 8) {
        rk_fused_dx_8rows_avx512(j, o, c0, c8);
        for (size_t r = 0; r < 8; r++)
            for (size_t i = c8; i < c1; i++)
                dx_elem(j, o + r, i);
    }
    dx_rows_from(j, o, c0, c1);
}

static RK_AVX2 void bwd_cols_avx2(void *ctx, size_t c0, size_t c1)
{
    const bwd_job *j = ctx;
    const adam_consts k = adam_consts_get(&j->rule);
    size_t c8 = c0 + (c1 - c0) / 8 * 8;   // chunk boundaries are multiples of 8 but the last
    size_t o = 0;
    for (; o + 4 <= j->rows; o += 4) {
        for (size_t i = c0; i < c8; i += 8)
            tile4_avx2(j, &k, o, i);
        for (size_t r = 0; r < 4; r++)
            for (size_t i = c8; i < c1; i++)
                elem_avx2(j, o + r, i);
    }
    for (; o < j->rows; o++) {
        for (size_t i = c0; i < c8; i += 8)
            tile1_avx2(j, &k, o, i);
        for (size_t i = c8; i < c1; i++)
            elem_avx2(j, o, i);
    }
}
#endif

rk_status rk_optim_update_linear_kernel(rk_optim *opt, size_t offset, float *w, float *dx,
                                        const float *dy, const float *x, size_t batch,
                                        size_t rows, size_t cols, rk_fused_isa isa)
{
    if (!opt || !opt->m || !w || !dy || !x || batch == 0)
        return RK_EINVAL;
    if (opt->step < 1)
        return RK_ESTATE;
    size_t n;
    if (!rk_size_mul(rows, cols, &n))
        return RK_EOVERFLOW;
    rk_status st = rk_optim_check_range(opt, offset, n);
    if (st != RK_OK || n == 0)
        return st;
    bwd_job j = { rk_optim_rule_get(opt), w, opt->m + offset,
                  opt->v ? opt->v + offset : NULL, dx, dy, x, batch, rows, cols };
    // a thread's share: whole 8-column strips, at least MIN_SHARE weights
    size_t grain = (MIN_SHARE / rows + 7) / 8 * 8;
    rk_parallel_fn fn = bwd_cols_portable;
#ifdef RK_FUSED_X86
    if (isa_use(isa) >= RK_FUSED_AVX2 && opt->cfg.kind == RK_OPTIM_ADAM)
        fn = bwd_cols_avx2;
#else
    (void)isa;
#endif
    rk_parallel_for(cols, grain ? grain : 8, fn, &j);
    return RK_OK;
}

rk_status rk_optim_update_linear(rk_optim *opt, size_t offset, float *w, float *dx,
                                 const float *dy, const float *x, size_t batch, size_t rows,
                                 size_t cols)
{
    return rk_optim_update_linear_kernel(opt, offset, w, dx, dy, x, batch, rows, cols,
                                         RK_FUSED_AVX512);
}

void rk_linear_backward_dx_fused(float *dx, const float *dy, const float *w, size_t batch,
                                 size_t in, size_t out, rk_fused_isa isa)
{
    if (!in || !out)
        return;
    dx_job j = { dx, dy, w, batch, out, in };
    size_t grain = (MIN_SHARE / out + 7) / 8 * 8;
    rk_parallel_fn fn = dx_cols_portable;
#ifdef RK_FUSED_X86
    isa = isa_use(isa);
    fn = isa == RK_FUSED_AVX512 ? dx_cols_avx512 : isa == RK_FUSED_AVX2 ? dx_cols_avx2 : fn;
#else
    (void)isa;
#endif
    rk_parallel_for(in, grain ? grain : 8, fn, &j);
}
