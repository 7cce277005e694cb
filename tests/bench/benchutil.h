/*
 * benchutil.h — what the benchmarks share: a monotonic clock, medians of
 * repeated timings under a time budget, and control of the BLAS's threads.
 *
 * Benchmarks are programs, not tests: they print tables and assert only that
 * the library calls succeeded. Their verdicts are ratios of quantities
 * measured in the same run (fraction of the FMA peak, ranklab/numpy), since
 * the machine's absolute speed drifts between runs.
 */
#ifndef RK_BENCH_UTIL_H
#define RK_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/** Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/** CPU seconds used by this process so far (all its threads). */
double bench_cpu_seconds(void);

/** Median of @p v[0..n) (sorts v in place); 0 when n = 0. */
double bench_median(double *v, size_t n);

/** Smallest of @p v[0..n); 0 when n = 0. */
double bench_min(const double *v, size_t n);

/** True when the number of BLAS threads can be set from here (OpenBLAS). */
bool bench_blas_threads_settable(void);

/** The BLAS's kernel core ("Zen", "Haswell", ...) or a note that it is unknown. */
const char *bench_blas_core(void);

/**
 * The processor as /proc/cpuinfo names it, with its family and model numbers
 * ("AMD EPYC, family 25 model 17"), which tell apart machines whose model
 * name a hypervisor shortens; "unknown CPU" when it cannot be read. The
 * figure a benchmark prints is of this processor.
 */
const char *bench_cpu_model(void);

/** The BLAS's build configuration string, or "" when unknown. */
const char *bench_blas_config(void);

/**
 * Sleep long enough for idle OpenBLAS worker threads to stop spinning (they
 * busy-wait about 2^28 cycles after a call before sleeping), so one
 * measurement does not steal cycles from the next.
 */
void bench_settle(void);

/** Print the 1-, 5- and 15-minute load averages on one line starting with @p prefix. */
void bench_print_load(const char *prefix);

/** BLAS threads by default: OPENBLAS_NUM_THREADS when it is a positive number, else the online CPUs. */
int bench_default_threads(void);

/**
 * Parse "a,b,c" (an option's list) into @p out[0..max): each a whole number
 * in [@p lo, @p hi]. Returns how many, or -1 when the list is empty, longer
 * than @p max, or has anything else in it.
 */
int bench_parse_list(const char *s, long lo, long hi, long *out, int max);

#endif
