/*
 * blas_memory.c — does OpenBLAS's per-thread buffer fit the address-space
 * limit (getrlimit)? The decision only: rk_blas_memory_plan (pure), the same
 * for this process (rk_blas_memory_check), and whether to re-execute with one
 * BLAS thread (rk_blas_memory_wants_one_thread). What the programs do with it
 * is blas.c's: rk_blas_remedy_exec re-executes, rk_blas_memory_report refuses
 * to start, saying why. This file calls nothing of blas.c.
 */
#include "core/blas.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "core/alloc.h"

/* A soft limit in bytes, SIZE_MAX when unlimited or unreadable. */
static size_t soft_limit(int resource)
{
    struct rlimit rl;
    if (getrlimit(resource, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= SIZE_MAX)
        return SIZE_MAX;
    return (size_t)rl.rlim_cur;
}

size_t rk_blas_address_limit(void)
{
    size_t as = soft_limit(RLIMIT_AS), data = soft_limit(RLIMIT_DATA);
    return as < data ? as : data;
}

/* base + t·buffer + (t − 1)·stack, saturating at SIZE_MAX. */
static size_t blas_need(int threads, size_t stack)
{
    size_t t = (size_t)threads, need = RK_OPENBLAS_BASE, add;
    if (!rk_size_mul(t, RK_OPENBLAS_BUFFER, &add) || !rk_size_add(need, add, &need) ||
        !rk_size_mul(t - 1, stack, &add) || !rk_size_add(need, add, &need))
        return SIZE_MAX;
    return need;
}

rk_blas_mem_plan rk_blas_memory_plan(size_t limit, int threads, size_t stack)
{
    if (threads < 1)
        threads = 1;
    rk_blas_mem_plan p = { RK_BLAS_MEM_OK, limit, threads, blas_need(threads, stack),
                           blas_need(1, stack) };
    if (limit == SIZE_MAX || limit >= p.need)
        p.action = RK_BLAS_MEM_OK;
    else if (limit >= p.need_one)
        p.action = RK_BLAS_MEM_ONE_THREAD;
    else
        p.action = RK_BLAS_MEM_TOO_SMALL;
    return p;
}

rk_blas_mem_plan rk_blas_memory_check(int threads)
{
    size_t stack = soft_limit(RLIMIT_STACK);
    if (stack == SIZE_MAX)
        stack = (size_t)32 << 20;
    return rk_blas_memory_plan(rk_blas_address_limit(), threads, stack);
}

bool rk_blas_memory_wants_one_thread(int threads)
{
    const char *done = getenv("RANKLAB_BLAS_ONE_THREAD");
    if (threads <= 1 || (done && *done))
        return false;
    return rk_blas_memory_check(threads).action != RK_BLAS_MEM_OK;
}
