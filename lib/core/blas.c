/*
 * blas.c — the linked BLAS's identity, the OpenBLAS core remedy (the decision
 * and the re-exec that applies it, with blas_memory.c's thread decision), the
 * address-space report (rk_blas_memory_report), an sgemm probe.
 */
#include "core/blas.h"

#include <cblas.h>
#ifndef RK_HAVE_OPENBLAS
#include <dlfcn.h>
#include <pthread.h>
#endif
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"

#ifdef RK_HAVE_OPENBLAS
/* Declared by OpenBLAS's cblas.h; repeated so the reference build needs no OpenBLAS header. */
char *openblas_get_config(void);
char *openblas_get_corename(void);
int openblas_get_num_threads(void);

void rk_blas_query(rk_blas_info *info)
{
    info->name = "OpenBLAS";
    info->config = openblas_get_config();
    info->lapack = "OpenBLAS's LAPACK, through LAPACKE";
    info->core = openblas_get_corename();
    info->threads = openblas_get_num_threads();
}

int rk_blas_threads(void)
{
    return openblas_get_num_threads();
}

void openblas_set_num_threads(int num_threads);

int rk_blas_set_threads(int n)
{
    if (n > 0)
        openblas_set_num_threads(n);
    return openblas_get_num_threads();
}
#else
int rk_blas_set_threads(int n)
{
    (void)n;   /* the reference BLAS has no threads to set */
    return 0;
}

/*
 * Built against the generic libblas.so.3 — which Debian's alternatives may
 * point at OpenBLAS. Look its functions up in the running process, so the
 * report (and the kernel remedy) is about the library actually loaded.
 */
void rk_blas_query(rk_blas_info *info)
{
    info->name = "reference BLAS";
    info->config = "reference BLAS (netlib), no machine-specific kernels";
    info->lapack = "reference LAPACK (netlib), through LAPACKE";
    info->core = NULL;
    info->threads = 1;
    void *self = dlopen(NULL, RTLD_LAZY);
    if (!self)
        return;
    char *(*get_config)(void), *(*get_corename)(void);
    int (*get_threads)(void);
    /* POSIX's way to turn dlsym's void * into a function pointer. */
    *(void **)&get_config = dlsym(self, "openblas_get_config");
    *(void **)&get_corename = dlsym(self, "openblas_get_corename");
    *(void **)&get_threads = dlsym(self, "openblas_get_num_threads");
    if (get_config && get_corename && get_threads) {
        info->name = "OpenBLAS (as the system's libblas.so.3)";
        info->config = get_config();
        info->lapack = "the system's liblapack.so.3, through LAPACKE";
        info->core = get_corename();
        info->threads = get_threads();
    }
    dlclose(self);
}

static int (*threads_fn)(void);   /* openblas_get_num_threads in this process, or NULL */

static void threads_lookup(void)
{
    void *self = dlopen(NULL, RTLD_LAZY);
    if (!self)
        return;
    *(void **)&threads_fn = dlsym(self, "openblas_get_num_threads");
    dlclose(self);   /* the main program's handle: its symbols stay mapped */
}

int rk_blas_threads(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, threads_lookup);
    return threads_fn ? threads_fn() : 1;
}
#endif

bool rk_blas_core_is_generic(const char *core)
{
    static const char *const generic[] = {
        "Katmai", "Coppermine", "Northwood", "Prescott", "Banias", "Atom", "Core2", "Penryn",
        "Dunnington", "Nehalem", "Opteron", "Opteron(SSE3)", "Barcelona", "Bobcat", "Unknown",
    };
    if (!core)
        return false;
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
        if (!strcasecmp(core, generic[i]))
            return true;
    return false;
}

const char *rk_blas_core_for_cpu(const rk_cpu_features *f)
{
    if (f->avx512f && f->avx512bw)
        return f->avx512_bf16 ? "Cooperlake" : "SkylakeX";
    if (f->avx2 && f->fma)
        return f->vendor == RK_CPU_AMD ? "Zen" : "Haswell";
    return NULL;
}

static const char *env_or_null(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void rk_blas_env_get(rk_blas_env *env)
{
    env->coretype = env_or_null("OPENBLAS_CORETYPE");
    env->no_reexec = env_or_null("RANKLAB_NO_REEXEC");
    env->fake_generic = env_or_null("RANKLAB_FAKE_GENERIC_CORE");
}

const char *rk_blas_remedy_core(const char *core, const rk_cpu_features *f, const rk_blas_env *env)
{
    if (!core || (env->coretype && *env->coretype) || (env->no_reexec && *env->no_reexec))
        return NULL;
    bool fake = env->fake_generic && !strcmp(env->fake_generic, "1");
    if (!fake && !rk_blas_core_is_generic(core))
        return NULL;
    const char *better = rk_blas_core_for_cpu(f);
    /* A forced test run re-executes even onto the same core, to exercise the path. */
    if (!better || (!fake && !strcasecmp(better, core)))
        return NULL;
    return better;
}

void rk_blas_remedy_exec(char **argv)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core || !argv)
        return;
    rk_blas_env env;
    rk_blas_env_get(&env);
    rk_cpu_features cpu;
    rk_cpu_features_detect(&cpu);
    const char *core = rk_blas_remedy_core(blas.core, &cpu, &env);
    bool one = rk_blas_memory_wants_one_thread(blas.threads);
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

void rk_blas_core_print(FILE *f)
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

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

rk_status rk_blas_sgemm_probe(size_t n, int reps, double max_seconds, rk_blas_probe *out)
{
    if (n == 0 || reps <= 0 || !out || n > (size_t)1 << 20 || !(max_seconds >= 0))
        return RK_EINVAL;
    size_t nn, bytes;
    if (!rk_size_mul(n, n, &nn) || !rk_size_mul(nn, sizeof(float), &bytes))
        return RK_EOVERFLOW;
    float *a = rk_alloc(bytes), *b = rk_alloc(bytes), *c = rk_alloc(bytes);
    if (!a || !b || !c) {
        rk_free(a);
        rk_free(b);
        rk_free(c);
        return RK_ENOMEM;
    }
    /* Small values in [-0.5, 0.5): no denormals, no overflow. */
    for (size_t i = 0; i < nn; i++) {
        a[i] = (float)(i * 7 % 13) / 13.0f - 0.5f;
        b[i] = (float)(i * 5 % 11) / 11.0f - 0.5f;
    }
    int m = (int)n, timed = 0;
    double best = 0, start = now_seconds();
    for (int r = -1; r < reps; r++) {  /* r = -1: warm-up (threads start, pages fault in) */
        double t0 = now_seconds();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, m, m, 1.0f, a, m, b, m, 0.0f, c, m);
        double t1 = now_seconds();
        if (r < 0)
            continue;
        timed++;
        if (best == 0 || t1 - t0 < best)
            best = t1 - t0;
        if (max_seconds > 0 && t1 - start > max_seconds)
            break;
    }
    rk_free(a);
    rk_free(b);
    rk_free(c);
    double flops = 2.0 * (double)n * (double)n * (double)n;
    *out = (rk_blas_probe){ .n = n, .reps = timed, .best_seconds = best,
                            .gflops = best > 0 ? flops / best * 1e-9 : 0 };
    return RK_OK;
}
