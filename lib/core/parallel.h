/**
 * @file
 * @ingroup core
 * parallel.h — the library's own loops over several threads (POSIX threads).
 *
 * The matrix products run on the BLAS's threads; the few loops of ranklab's
 * own that move a lot of memory (the optimizer's update over millions of
 * parameters, the small-batch linear kernels) are split over as many threads
 * as the BLAS uses, so one setting — OPENBLAS_NUM_THREADS, or `--threads N`
 * through openblas_set_num_threads() — governs both. Each chunk is a contiguous
 * range and every element is computed by the same code whatever the split,
 * so results do not depend on the number of threads.
 */
#ifndef RK_CORE_PARALLEL_H
#define RK_CORE_PARALLEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most threads rk_parallel_for() starts (the machines ranklab targets have a few cores). */
#define RK_PARALLEL_MAX 16

/** A loop body: process the items [begin, end) of the range, with the caller's @p ctx. */
typedef void (*rk_parallel_fn)(void *ctx, size_t begin, size_t end);

/** Threads the library's own loops use: the BLAS's thread count, clamped to 1 … RK_PARALLEL_MAX. */
int rk_parallel_threads(void);

/**
 * Call @p fn over [0, @p n) split into contiguous chunks, each boundary a
 * multiple of @p grain (0 is read as 1): a few chunks per thread
 * (rk_parallel_threads()), taken in turn by the calling thread and by the
 * helper threads of a pool started on first use and kept for the life of the
 * process; returns when every chunk is done. Runs in the calling thread alone
 * when n < 2·grain, when one thread is configured, when the pool is busy with
 * another loop (a nested call, or a loop of another thread), or when no
 * helper can be started (the work is then done serially: this never fails).
 * A forked child runs its loops alone. @p fn must not touch items outside its
 * range, and its result for an item must not depend on the range it is in.
 */
void rk_parallel_for(size_t n, size_t grain, rk_parallel_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
