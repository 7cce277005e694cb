/*
 * fma_peak.h — the machine's floating-point peak, measured: independent FMA
 * chains on 1..T threads, the ceiling against which the benchmarks quote
 * BLAS throughput as a fraction.
 *
 * One FMA is 2 flops; a 256-bit AVX2 FMA does 8 of them in fp32 and 4 in
 * fp64 lanes. Each thread runs FMA_CHAINS independent accumulators so the
 * FMA latency (4 cycles on Zen 3 and Skylake) is hidden behind the 2 FMA
 * pipes: peak = threads × pipes × lanes × 2 × clock.
 */
#ifndef RK_BENCH_FMA_PEAK_H
#define RK_BENCH_FMA_PEAK_H

#include <stdbool.h>

#include "core/status.h"

/** Precision of the FMA loop. */
typedef enum bench_prec { BENCH_F32 = 0, BENCH_F64 } bench_prec;

/** What the probe runs on this CPU: "AVX2+FMA ..." or the portable fallback. */
const char *bench_fma_kind(void);

/** True when the AVX2+FMA kernel is used (checked at run time). */
bool bench_fma_have_avx2(void);

/** The FMA-loop peak on a number of threads. */
typedef struct bench_peak {
    double gflops;       /**< capability: Σ over threads of flops / that thread's CPU seconds */
    double wall_gflops;  /**< what the loop got: total flops / wall seconds */
    double cpu_share;    /**< CPU time got / (threads × wall time) during that run */
} bench_peak;

/**
 * Measure the FMA loop on @p threads pthreads: 3 runs of about @p seconds
 * each, the best of each figure kept (the peak is a capability: a busy
 * machine only ever slows a run down). gflops counts each thread's flops
 * against the CPU time it actually ran, so it stays the hardware's rate when
 * other programs take turns on the cores; wall_gflops and cpu_share say how
 * much of it this run got.
 *
 * @return RK_OK, or RK_ENOMEM when a thread cannot be started.
 */
rk_status bench_fma_peak(bench_prec prec, int threads, double seconds, bench_peak *out);

#endif
