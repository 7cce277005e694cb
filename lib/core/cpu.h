/**
 * @file
 * @ingroup core
 * cpu.h — what the processor can do: the vector instruction sets that decide
 * which BLAS kernels can run, the clock, and the fp32 FMA peak they imply.
 *
 * The peak is the figure a matrix product is measured against:
 *
 *   peak = CPUs × clock (GHz) × fp32 flops per cycle per CPU
 *
 * where flops per cycle = FMA units × lanes × 2 (a fused multiply-add is two
 * flops): 2 × 8 × 2 = 32 with AVX2+FMA (Haswell and later, AMD Zen), 2 × 16 × 2
 * = 64 with AVX-512 on Intel server parts (AMD Zen 4 runs AVX-512 on 256-bit
 * units: 32).
 */
#ifndef RK_CORE_CPU_H
#define RK_CORE_CPU_H

#include <stdbool.h>
#include <stddef.h>

#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Who made the processor. */
typedef enum rk_cpu_vendor { RK_CPU_OTHER = 0, RK_CPU_INTEL, RK_CPU_AMD } rk_cpu_vendor;

/** The instruction-set features that matter for BLAS kernels. */
typedef struct rk_cpu_features {
    rk_cpu_vendor vendor;   /**< Intel, AMD or other */
    bool sse3;              /**< SSE3 ("pni" in /proc/cpuinfo) */
    bool avx;               /**< AVX: 256-bit vectors */
    bool avx2;              /**< AVX2: 256-bit integer and gathers */
    bool fma;               /**< FMA3: fused multiply-add */
    bool avx512f;           /**< AVX-512 foundation */
    bool avx512bw;          /**< AVX-512 byte/word */
    bool avx512_bf16;       /**< AVX-512 bfloat16 (Cooper Lake, Sapphire Rapids, Zen 4) */
} rk_cpu_features;

/**
 * Fill @p f from the vendor_id text ("GenuineIntel", "AuthenticAMD", …) and the
 * space-separated flags of /proc/cpuinfo ("fpu … avx2 fma … avx512f …").
 * A pure function: either text may be NULL (no vendor, no flags).
 */
void rk_cpu_features_parse(const char *vendor_id, const char *flags, rk_cpu_features *f);

/**
 * The features of the processor this runs on: from the CPUID instruction on
 * x86 (the compiler's __builtin_cpu_supports, which also checks that the OS
 * saves the vector registers), none elsewhere.
 */
void rk_cpu_features_detect(rk_cpu_features *f);

/** fp32 flops per cycle per CPU for these features (see the top of this file): 64, 32, 16 or 8. */
int rk_cpu_flops_per_cycle(const rk_cpu_features *f);

/** What /proc/cpuinfo says about the first processor (empty strings / 0 when unknown). */
typedef struct rk_cpu_info {
    char model[128];        /**< "model name" */
    char vendor_id[32];     /**< "vendor_id" */
    double mhz;             /**< "cpu MHz" (the current clock as the kernel saw it), 0 if absent */
    long online;            /**< online CPUs (sysconf) */
} rk_cpu_info;

/**
 * Read /proc/cpuinfo into @p info and, if @p flags_out is not NULL, a copy of
 * its first "flags" line (rk_alloc'd; free with rk_free).
 * @return RK_OK; RK_ENOENT when /proc/cpuinfo is missing (info->online is still set); RK_ENOMEM.
 */
rk_status rk_cpu_info_read(rk_cpu_info *info, char **flags_out);

/**
 * Estimate the clock in GHz by timing a chain of dependent integer additions:
 * each needs the previous result, so the chain runs at one addition per cycle
 * on every x86 core since the Pentium 4 — the count divided by the time is
 * the clock, turbo included. Takes ~20 ms: the fastest of 40 runs of 1.6·10⁶
 * adds, so that other processes interrupting some runs do not lower it.
 * @return the clock in GHz, or 0 where the loop is not available (not x86-64).
 */
double rk_cpu_clock_ghz_measure(void);

#ifdef __cplusplus
}
#endif

#endif
