/*
 * remedy.c — re-execute with a better OpenBLAS kernel core when OpenBLAS fell
 * back to a generic one (see remedy.h; the decision: rk_blas_remedy_core()
 * in lib/core/blas.c).
 */
#include "remedy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

#include "core/blas.h"
#include "core/cpu.h"

/* Bytes as MiB, rounded up, for messages. */
static unsigned long mib(size_t bytes)
{
    return (unsigned long)(bytes / ((size_t)1 << 20) + (bytes % ((size_t)1 << 20) != 0));
}

/* Under an address-space limit too small for every BLAS thread's buffer,
 * ask for one thread (OpenBLAS reads OPENBLAS_NUM_THREADS only when it is
 * loaded, hence the re-exec). True when the re-exec should set it. */
static bool memory_wants_one_thread(int threads)
{
    const char *done = getenv("RANKLAB_BLAS_ONE_THREAD");
    if (threads <= 1 || (done && *done))
        return false;
    rk_blas_mem_plan plan = rk_blas_memory_check(threads);
    if (plan.action == RK_BLAS_MEM_OK)
        return false;
    if (plan.action == RK_BLAS_MEM_ONE_THREAD)
        fprintf(stderr, "ranklab: the address-space limit (ulimit -v) of %lu MiB is too small for "
                "OpenBLAS's %d threads (about %lu MiB of buffers and stacks): using one BLAS thread\n",
                mib(plan.limit), threads, mib(plan.need));
    return true;
}

void blas_core_remedy(char **argv)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core)
        return;
    rk_blas_env env;
    rk_blas_env_get(&env);
    rk_cpu_features cpu;
    rk_cpu_features_detect(&cpu);
    const char *core = rk_blas_remedy_core(blas.core, &cpu, &env);
    bool one = memory_wants_one_thread(blas.threads);
    if (!core && !one)
        return;
    bool set = true;
    if (one)
        set = setenv("OPENBLAS_NUM_THREADS", "1", 1) == 0 && setenv("RANKLAB_BLAS_ONE_THREAD", "1", 1) == 0;
    if (core)
        set = set && setenv("OPENBLAS_CORETYPE", core, 1) == 0 && setenv("RANKLAB_NO_REEXEC", "1", 1) == 0 &&
              setenv("RANKLAB_BLAS_REMEDY", blas.core, 1) == 0;
    if (set)
        execv("/proc/self/exe", argv);
    if (core) {
        unsetenv("OPENBLAS_CORETYPE");
        unsetenv("RANKLAB_BLAS_REMEDY");
    }
}

int blas_memory_refuse(const char *prog)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core)
        return 0;
    rk_blas_mem_plan plan = rk_blas_memory_check(blas.threads);
    if (plan.action == RK_BLAS_MEM_OK)
        return 0;
    fprintf(stderr, "%s: the address-space limit (ulimit -v) of %lu MiB is too small for OpenBLAS: "
            "its buffers need about %lu MiB with %d thread%s, and OpenBLAS 0.3.21 waits for memory "
            "forever when they do not fit; raise the limit to at least %lu MiB (ulimit -v %lu)\n",
            prog, mib(plan.limit), mib(plan.need), plan.threads, plan.threads == 1 ? "" : "s",
            mib(plan.need_one), mib(plan.need_one) * 1024);
    return 1;
}

void blas_core_print(FILE *f)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core) {
        fprintf(f, "BLAS kernel core: none (%s, not OpenBLAS)\n", blas.name);
        return;
    }
    rk_blas_env env;
    rk_blas_env_get(&env);
    const char *from = getenv("RANKLAB_BLAS_REMEDY");
    fprintf(f, "BLAS kernel core: %s", blas.core);
    if (from && *from && env.coretype && strcasecmp(blas.core, env.coretype) != 0)
        fprintf(f, " (remedy tried: re-executed with OPENBLAS_CORETYPE=%s, but OpenBLAS kept %s)\n",
                env.coretype, blas.core);
    else if (from && *from)
        fprintf(f, " (remedy applied: OpenBLAS picked %s; re-executed with OPENBLAS_CORETYPE=%s)\n",
                from, env.coretype ? env.coretype : "?");
    else if (env.coretype)
        fprintf(f, " (set by OPENBLAS_CORETYPE)\n");
    else
        fprintf(f, " (chosen by OpenBLAS)\n");
}
