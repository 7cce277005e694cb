/**
 * @file
 * @ingroup core
 * blas.h — which BLAS ranklab runs on, which kernels it picked, and how fast
 * its sgemm goes; the choice of a better OpenBLAS kernel core when the
 * library did not recognise the CPU.
 *
 * OpenBLAS built with DYNAMIC_ARCH (Debian's) picks a "core" — a set of
 * kernels written for one microarchitecture — when the library is loaded,
 * from CPUID. A CPU newer than the library is not recognised and gets a
 * generic core (Prescott: SSE3, 128-bit vectors, no FMA), several times
 * slower than the kernels the CPU can run. The core can be forced with the
 * environment variable OPENBLAS_CORETYPE, which OpenBLAS reads only at load
 * time: every ranklab executable (the `ranklab` command, the tutorial
 * lessons, the step benchmark) calls rk_blas_remedy_exec() first in main(),
 * which re-executes the program with the variable set when
 * rk_blas_remedy_core() says so.
 */
#ifndef RK_CORE_BLAS_H
#define RK_CORE_BLAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cpu.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The BLAS linked into ranklab, as it reports itself. Strings are static. */
typedef struct rk_blas_info {
    const char *name;       /**< "OpenBLAS" or "reference BLAS" */
    const char *config;     /**< openblas_get_config(), e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH … Zen MAX_THREADS=64" */
    const char *lapack;     /**< where LAPACK comes from */
    const char *core;       /**< openblas_get_corename() ("Zen", "Haswell", "Prescott"…), NULL if not OpenBLAS */
    int threads;            /**< openblas_get_num_threads(), 1 for the reference BLAS */
} rk_blas_info;

/**
 * Ask the linked BLAS who it is. With -Dblas=openblas (RK_HAVE_OPENBLAS) by
 * direct calls; otherwise the openblas_* functions are looked up with dlsym()
 * in the running process, since the system libblas.so.3 may be OpenBLAS.
 */
void rk_blas_query(rk_blas_info *info);

/**
 * rk_blas_query()'s threads alone, cheap enough for every call of a hot loop:
 * openblas_get_num_threads(), or 1 when the linked BLAS is not OpenBLAS (in a
 * reference build the function is looked up once, then called each time).
 */
int rk_blas_threads(void);

/**
 * Use @p n BLAS threads when n > 0 (openblas_set_num_threads, in an OpenBLAS
 * build); n ≤ 0 leaves the BLAS's own choice, which honours
 * OPENBLAS_NUM_THREADS. Returns the number of threads OpenBLAS will use, 0
 * when the linked BLAS has none to set.
 */
int rk_blas_set_threads(int n);

/**
 * Is @p core one of OpenBLAS's generic cores — SSE-era kernels without AVX
 * (Katmai, Coppermine, Northwood, Prescott, Banias, Atom, Core2, Penryn,
 * Dunnington, Nehalem, Opteron, Opteron(SSE3), Barcelona, Bobcat, Unknown)?
 * Case-insensitive; false for NULL.
 */
bool rk_blas_core_is_generic(const char *core);

/**
 * The OpenBLAS core for a CPU with features @p f: AVX-512F + AVX-512BW with
 * BF16 → "Cooperlake", without → "SkylakeX"; AVX2 + FMA → "Zen" on AMD,
 * "Haswell" otherwise; NULL when the CPU has neither (the generic core is
 * then the right one). A pure function.
 */
const char *rk_blas_core_for_cpu(const rk_cpu_features *f);

/** The environment the remedy decision reads (each NULL when unset). */
typedef struct rk_blas_env {
    const char *coretype;       /**< $OPENBLAS_CORETYPE: the user's own choice, never overridden */
    const char *no_reexec;      /**< $RANKLAB_NO_REEXEC: set → never re-execute (also set by the re-exec, so it cannot loop) */
    const char *fake_generic;   /**< $RANKLAB_FAKE_GENERIC_CORE: "1" → treat the current core as generic (tests) */
} rk_blas_env;

/** Fill @p env from the process environment. */
void rk_blas_env_get(rk_blas_env *env);

/**
 * The core to re-execute with, or NULL to carry on as is. Non-NULL only when
 * OpenBLAS is in use (@p core not NULL), the user set neither
 * OPENBLAS_CORETYPE nor RANKLAB_NO_REEXEC (non-empty), @p core is generic (or
 * RANKLAB_FAKE_GENERIC_CORE=1), and rk_blas_core_for_cpu(@p f) names a core
 * different from @p core. A pure function.
 */
const char *rk_blas_remedy_core(const char *core, const rk_cpu_features *f, const rk_blas_env *env);

/*
 * Memory limits. OpenBLAS (0.3.21, Debian 12's) gives every BLAS thread a
 * work buffer of RK_OPENBLAS_BUFFER bytes, mapped when the thread starts —
 * at library load for the helper threads, at the first BLAS call for the
 * main thread. Under an address-space limit too small for them (`ulimit -v`,
 * RLIMIT_AS, or RLIMIT_DATA which since Linux 4.7 counts anonymous mappings
 * too), the allocation is retried forever at 100% CPU and the program hangs
 * (upstream issue 5289, fixed after 0.3.21). The only cure from outside is
 * to ask for fewer threads before OpenBLAS is loaded (OPENBLAS_NUM_THREADS),
 * or to refuse to start.
 */

/** OpenBLAS's per-thread buffer on x86-64 (BUFFER_SIZE = 32 << 22): 128 MiB. */
#define RK_OPENBLAS_BUFFER ((size_t)128 << 20)

/** What the program itself needs beside the buffers, with a small problem: 64 MiB. */
#define RK_OPENBLAS_BASE ((size_t)64 << 20)

/** What to do about the address-space limit. */
typedef enum rk_blas_mem_action {
    RK_BLAS_MEM_OK = 0,        /**< no limit, or enough for every thread */
    RK_BLAS_MEM_ONE_THREAD,    /**< enough for one BLAS thread only: run with one */
    RK_BLAS_MEM_TOO_SMALL      /**< not enough even for one thread: refuse to start */
} rk_blas_mem_action;

/** The decision of rk_blas_memory_plan() and the figures behind it. */
typedef struct rk_blas_mem_plan {
    rk_blas_mem_action action;   /**< what to do */
    size_t limit;       /**< bytes the process may map (SIZE_MAX: no limit) */
    int threads;        /**< BLAS threads asked about */
    size_t need;        /**< bytes needed with that many threads */
    size_t need_one;    /**< bytes needed with one thread */
} rk_blas_mem_plan;

/**
 * The address space the process may use: the smaller soft limit of
 * RLIMIT_AS and RLIMIT_DATA (getrlimit), SIZE_MAX when neither is set.
 */
size_t rk_blas_address_limit(void);

/**
 * Decide, for an address-space @p limit (bytes, SIZE_MAX: none), @p threads
 * BLAS threads and a thread stack of @p stack bytes, whether OpenBLAS's
 * buffers fit. Needed with t threads:
 *   RK_OPENBLAS_BASE + t·RK_OPENBLAS_BUFFER + (t − 1)·stack
 * (measured with OpenBLAS 0.3.21 on x86-64: a 600×500 SVD runs at 186 MB with
 * one thread, 322 MB with two, and hangs below). A pure function; threads
 * below 1 count as 1. Only meaningful when the BLAS is OpenBLAS.
 */
rk_blas_mem_plan rk_blas_memory_plan(size_t limit, int threads, size_t stack);

/**
 * rk_blas_memory_plan() for this process: rk_blas_address_limit(), @p threads,
 * and the stack a new thread gets (RLIMIT_STACK's soft limit; 32 MiB when
 * it is unlimited, an upper bound of what glibc then uses).
 */
rk_blas_mem_plan rk_blas_memory_check(int threads);

/**
 * Whether rk_blas_remedy_exec() should re-execute with OPENBLAS_NUM_THREADS=1:
 * @p threads > 1 and rk_blas_memory_check(@p threads) is not RK_BLAS_MEM_OK,
 * unless this process is such a re-execution (RANKLAB_BLAS_ONE_THREAD set).
 */
bool rk_blas_memory_wants_one_thread(int threads);

/**
 * After rk_blas_remedy_exec(), before any BLAS call: when the address-space
 * limit is too small even for one thread, write why to the caller's stream
 * @p f ("PROG: the address-space limit (ulimit -v) of N MiB is too small for
 * OpenBLAS: ... raise the limit to at least M MiB") and return
 * RK_BLAS_MEM_TOO_SMALL: the program must then exit (status 1) without
 * BLAS work. When the remedy dropped to one thread, write that once
 * ("PROG: ... using one BLAS thread") and return RK_BLAS_MEM_OK. Writes
 * nothing and returns RK_BLAS_MEM_OK otherwise, and when the BLAS is not
 * OpenBLAS.
 */
rk_blas_mem_action rk_blas_memory_report(FILE *f, const char *prog);

/**
 * Call first in main(), before any BLAS work and before threads start.
 * When OpenBLAS did not recognise the CPU and loaded a generic core (e.g.
 * Prescott on a CPU with AVX2 or AVX-512), run this same program again
 * (/proc/self/exe with @p argv, argv[0] first, NULL-terminated) with
 * OPENBLAS_CORETYPE set to the core the CPU can run: OpenBLAS reads the
 * variable only when it is loaded. Never when the user set OPENBLAS_CORETYPE
 * or RANKLAB_NO_REEXEC, and never twice: the new process gets
 * RANKLAB_NO_REEXEC=1. RANKLAB_BLAS_REMEDY records the core OpenBLAS had
 * picked (for `ranklab info` and rk_blas_core_print()).
 * RANKLAB_FAKE_GENERIC_CORE=1 takes the current core as generic (tests).
 * Returns only when there is nothing to do or exec failed (then the generic
 * kernels run, and the variables it set are removed again). The decision is
 * rk_blas_remedy_core()'s. The same re-execution also sets
 * OPENBLAS_NUM_THREADS=1 (and RANKLAB_BLAS_ONE_THREAD=1) when the
 * address-space limit has room for one BLAS thread's buffer but not for all
 * (rk_blas_memory_wants_one_thread(); OpenBLAS 0.3.21 would hang otherwise).
 */
void rk_blas_remedy_exec(char **argv);

/**
 * Write one line to the caller's stream @p f: "BLAS kernel core: CORE" and
 * how it came to be — "(remedy applied: OpenBLAS picked FROM; re-executed
 * with OPENBLAS_CORETYPE=CORE)", "(remedy tried: …, but OpenBLAS kept
 * CORE)", "(set by OPENBLAS_CORETYPE)" or "(chosen by OpenBLAS)"; or
 * "BLAS kernel core: none (NAME, not OpenBLAS)". For `--version` lines.
 */
void rk_blas_core_print(FILE *f);

/** Result of rk_blas_sgemm_probe(). */
typedef struct rk_blas_probe {
    size_t n;               /**< matrix size: C (n×n) = A (n×n) · B (n×n) in float32 */
    int reps;               /**< calls timed (after one untimed warm-up) */
    double best_seconds;    /**< fastest call */
    double gflops;          /**< 2n³ / best_seconds / 10⁹ */
} rk_blas_probe;

/**
 * Time cblas_sgemm on n×n float32 matrices (deterministic contents): one
 * warm-up call, then up to @p reps timed calls, stopping early once
 * @p max_seconds have passed (after at least one timed call; 0: no limit),
 * so a slow generic kernel cannot make a quick probe long. The fastest call
 * counts, as the peak the machine reaches when nothing else runs; out->reps
 * is the number of calls timed. Threads: the BLAS's own setting
 * (OPENBLAS_NUM_THREADS).
 * @return RK_OK; RK_EINVAL (n or reps 0, max_seconds negative); RK_EOVERFLOW; RK_ENOMEM.
 */
rk_status rk_blas_sgemm_probe(size_t n, int reps, double max_seconds, rk_blas_probe *out);

#ifdef __cplusplus
}
#endif

#endif
