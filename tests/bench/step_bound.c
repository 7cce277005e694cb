/*
 * step_bound.c — the LoRA step at batch 10 against the limits of the machine
 * it runs on, measured in the same run as the step (bench_step.c).
 *
 * Under LoRA the base weights are frozen: a step reads every W once forward
 * and, backward, the W of every layer but the first once more for the input
 * gradient (the first layer's input gradient is never formed), so
 *   bytes of W per step = 4·(Σ_l In_l·Out_l + Σ_{l ≥ 1} In_l·Out_l)
 * (19.3 MB for 784-1000-2000-10), and the multiply-adds of the frozen base
 * are B per weight read: flops = 2·B·(those weights) + 6·P_A·B for the adapters
 * (P_A = R·Σ_l (In_l + Out_l)). Three limits:
 *   copy     bytes / the bandwidth of a stream-like copy (a[i] = b[i] over two
 *            64 MiB arrays, larger than the last-level cache; read + written
 *            bytes counted, as STREAM does): W streamed from memory;
 *   read     bytes / the bandwidth of summing a buffer the size of W, pass
 *            after pass: W streamed from the cache, where 11.2 MB stays
 *            between steps when the last-level cache is larger;
 *   FMA      flops / the FMA peak of the same threads (fma_peak.c).
 * Each bandwidth is the best of several passes (a busy machine only ever
 * slows a pass down). The step cannot beat max(read, FMA); the copy figure is
 * the memory-bound estimate when W does not stay in cache.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ranklab.h"
#include "core/parallel.h"

#include "benchutil.h"
#include "fma_peak.h"
#include "step_bench.h"

enum { COPY_FLOATS = 16u << 20, COPY_PASSES = 5, READ_PASSES = 20 };

typedef struct bw_job {
    float *dst;
    const float *src;
    float sums[RK_PARALLEL_MAX];
    size_t chunk;
} bw_job;

static void copy_range(void *ctx, size_t b, size_t e)
{
    bw_job *j = ctx;
    for (size_t i = b; i < e; i++)
        j->dst[i] = j->src[i];
}

/* Eight partial sums, so the adds are not one chain of latency. */
static void read_range(void *ctx, size_t b, size_t e)
{
    bw_job *j = ctx;
    float s[8] = { 0 };
    size_t i = b;
    for (; i + 8 <= e; i += 8)
        for (int k = 0; k < 8; k++)
            s[k] += j->src[i + k];
    for (; i < e; i++)
        s[0] += j->src[i];
    j->sums[(b / j->chunk) % RK_PARALLEL_MAX] += s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7];
}

/* Best GB/s of @p passes calls of fn over n floats moving bytes_per_float each. */
static double best_gbs(rk_parallel_fn fn, bw_job *j, size_t n, double bytes_per_float, int passes)
{
    double best = 0;
    j->chunk = n / (size_t)rk_parallel_threads() + 1;
    for (int p = 0; p < passes; p++) {
        double t0 = bench_now();
        rk_parallel_for(n, 4096, fn, j);
        double t = bench_now() - t0;
        if (t > 0 && bytes_per_float * (double)n / t / 1e9 > best)
            best = bytes_per_float * (double)n / t / 1e9;
    }
    return best;
}

/* Weights of the default net read per LoRA step (forward all, dX all but the first). */
static void lora_work(size_t rank, size_t batch, double *bytes, double *flops)
{
    rk_mlp_config c = rk_mlp_config_default();
    double fwd = 0, back = 0, pa = 0;
    for (size_t l = 0; l < c.n_layers; l++) {
        double w = (double)c.sizes[l] * (double)c.sizes[l + 1];
        fwd += w;
        back += l ? w : 0;
        pa += (double)rank * (double)(c.sizes[l] + c.sizes[l + 1]);
    }
    *bytes = 4.0 * (fwd + back);
    *flops = 2.0 * (double)batch * (fwd + back) + 6.0 * pa * (double)batch;
}

bool sb_limits_measure(size_t w_floats, sb_limits *lim)
{
    *lim = (sb_limits){ 0 };
    float *a = malloc((size_t)COPY_FLOATS * sizeof *a), *b = malloc((size_t)COPY_FLOATS * sizeof *b);
    if (!a || !b) {
        free(a), free(b);
        return false;
    }
    for (size_t i = 0; i < COPY_FLOATS; i++)
        a[i] = b[i] = (float)(i & 255);
    bw_job j = { .dst = a, .src = b };
    lim->copy_gbs = best_gbs(copy_range, &j, COPY_FLOATS, 8.0, COPY_PASSES);
    j.src = a;
    size_t n = w_floats < COPY_FLOATS ? w_floats : COPY_FLOATS;
    lim->read_gbs = best_gbs(read_range, &j, n, 4.0, READ_PASSES);
    free(a), free(b);
    bench_peak pk;
    if (bench_fma_peak(BENCH_F32, rk_parallel_threads(), 0.2, &pk) == RK_OK)
        lim->fma_gflops = pk.gflops;
    return true;
}

void sb_print_bounds(const sb_point *pts, int n, const sb_limits *lim)
{
    bool any = false;
    for (int i = 0; i < n; i++)
        any |= pts[i].rank && pts[i].batch == 10;
    if (!any)
        return;
    printf("\n  LoRA at batch 10 against this machine's limits (same threads): stream-like copy %.1f GB/s,\n"
           "  read of a W-sized buffer %.1f GB/s, FMA peak %.0f GFLOP/s (step_bound.c)\n",
           lim->copy_gbs, lim->read_gbs, lim->fma_gflops);
    printf("  %-10s %9s %9s %9s | %9s %9s %9s | %10s %10s\n", "kind", "ranklab", "W read", "MFLOP", "copy",
           "read", "FMA", "bound/R", "bound/R");
    printf("  %-10s %9s %9s %9s | %9s %9s %9s | %10s %10s\n", "", "ms/step", "MB/step", "/step", "bound ms",
           "bound ms", "bound ms", "copy", "read|FMA");
    for (int i = 0; i < n; i++) {
        const sb_point *p = &pts[i];
        if (!p->rank || p->batch != 10)
            continue;
        double bytes, flops;
        lora_work(p->rank, p->batch, &bytes, &flops);
        double copy = lim->copy_gbs > 0 ? 1e3 * bytes / (lim->copy_gbs * 1e9) : 0;
        double rd = lim->read_gbs > 0 ? 1e3 * bytes / (lim->read_gbs * 1e9) : 0;
        double fma = lim->fma_gflops > 0 ? 1e3 * flops / (lim->fma_gflops * 1e9) : 0;
        double hard = rd > fma ? rd : fma;
        char kind[32];
        snprintf(kind, sizeof kind, "LoRA r=%zu", p->rank);
        printf("  %-10s %9.2f %9.2f %9.1f | %9.2f %9.2f %9.2f | %9.0f%% %9.0f%%\n", kind, p->ms, bytes / 1e6,
               flops / 1e6, copy, rd, fma, 100.0 * copy / p->ms, 100.0 * hard / p->ms);
    }
    fflush(stdout);
}
