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

/** Precision of the FMA loop. */
typedef enum bench_prec { BENCH_F32 = 0, BENCH_F64 } bench_prec;

/** What the probe runs on this CPU: "AVX2+FMA ..." or the portable fallback. */
const char *bench_fma_kind(void);

/** True when the AVX2+FMA kernel is used (checked at run time). */
bool bench_fma_have_avx2(void);

/**
 * GFLOP/s of the FMA loop on @p threads pthreads, the best of 3 runs of about
 * @p seconds each (the best, since the peak is a capability and a busy
 * machine only ever slows a run down). @p cpu_share (may be NULL) receives
 * the CPU time the process got during that run over threads × wall time:
 * near 1 when the cores were free, lower when other programs took them.
 * Returns 0 when a thread cannot be started.
 */
double bench_fma_peak(bench_prec prec, int threads, double seconds, double *cpu_share);

#endif
