/*
 * blas_memory.c — does OpenBLAS's per-thread buffer fit the address-space
 * limit (getrlimit)? The decision (rk_blas_memory_plan, pure), and what the
 * programs do with it: re-execute with one BLAS thread (called from
 * rk_blas_remedy_exec) or refuse to start, saying why (rk_blas_memory_report).
 */
#include "core/blas.h"

#include <stdint.h>
#include <stdio.h>
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

/* Bytes as MiB, rounded up, for messages. */
static unsigned long mib(size_t bytes)
{
    return (unsigned long)(bytes / ((size_t)1 << 20) + (bytes % ((size_t)1 << 20) != 0));
}

rk_blas_mem_action rk_blas_memory_report(FILE *f, const char *prog)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core)
        return RK_BLAS_MEM_OK;
    rk_blas_mem_plan plan = rk_blas_memory_check(blas.threads);
    const char *one = getenv("RANKLAB_BLAS_ONE_THREAD");
    if (plan.action == RK_BLAS_MEM_OK && one && *one) {
        fprintf(f, "%s: the address-space limit (ulimit -v) of %lu MiB is too small for a BLAS "
                "thread per core (OpenBLAS's buffers: %lu MiB each): using one BLAS thread\n",
                prog, mib(plan.limit), mib(RK_OPENBLAS_BUFFER));
        unsetenv("RANKLAB_BLAS_ONE_THREAD"); /* said once, not again by a child process */
    } else if (plan.action != RK_BLAS_MEM_OK) {
        fprintf(f, "%s: the address-space limit (ulimit -v) of %lu MiB is too small for OpenBLAS: "
                "its buffers need about %lu MiB with %d thread%s, and OpenBLAS 0.3.21 waits for "
                "memory forever when they do not fit; raise the limit to at least %lu MiB "
                "(ulimit -v %lu)\n", prog, mib(plan.limit), mib(plan.need), plan.threads,
                plan.threads == 1 ? "" : "s", mib(plan.need_one), mib(plan.need_one) * 1024);
    }
    return plan.action;
}
