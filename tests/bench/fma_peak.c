/*
 * fma_peak.c — the FMA-loop peak of fma_peak.h: FMA_CHAINS independent
 * a ← a·m + c chains per thread, AVX2+FMA when the CPU has it (checked with
 * __builtin_cpu_supports, the kernel compiled for it with a target
 * attribute so the rest of the build stays baseline x86-64), else a plain C
 * loop of the same shape.
 */
#include "fma_peak.h"

#include "benchutil.h"
#include "core/status.h"

#include <pthread.h>
#include <stddef.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#else
#define HAVE_X86 0
#endif

enum { FMA_CHAINS = 12 };


#if HAVE_X86
/* 12 chains × 8 fp32 lanes × 2 flops per iteration. */
__attribute__((target("avx2,fma"))) static double fma_avx2_f32(long iters)
{
    const __m256 m = _mm256_set1_ps(0.9999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f);
    __m256 a3 = _mm256_set1_ps(3.f), a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f);
    __m256 a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f), a8 = _mm256_set1_ps(8.f);
    __m256 a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
    for (long i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_ps(a0, m, c); a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c); a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c); a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c); a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c); a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c); a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    return (double)(out[0] + out[1] + out[2] + out[3] + out[4] + out[5] + out[6] + out[7]);
}

/* 12 chains × 4 fp64 lanes × 2 flops per iteration. */
__attribute__((target("avx2,fma"))) static double fma_avx2_f64(long iters)
{
    const __m256d m = _mm256_set1_pd(0.9999999), c = _mm256_set1_pd(1e-7);
    __m256d a0 = _mm256_set1_pd(0.), a1 = _mm256_set1_pd(1.), a2 = _mm256_set1_pd(2.);
    __m256d a3 = _mm256_set1_pd(3.), a4 = _mm256_set1_pd(4.), a5 = _mm256_set1_pd(5.);
    __m256d a6 = _mm256_set1_pd(6.), a7 = _mm256_set1_pd(7.), a8 = _mm256_set1_pd(8.);
    __m256d a9 = _mm256_set1_pd(9.), a10 = _mm256_set1_pd(10.), a11 = _mm256_set1_pd(11.);
    for (long i = 0; i < iters; i++) {
        a0 = _mm256_fmadd_pd(a0, m, c); a1 = _mm256_fmadd_pd(a1, m, c);
        a2 = _mm256_fmadd_pd(a2, m, c); a3 = _mm256_fmadd_pd(a3, m, c);
        a4 = _mm256_fmadd_pd(a4, m, c); a5 = _mm256_fmadd_pd(a5, m, c);
        a6 = _mm256_fmadd_pd(a6, m, c); a7 = _mm256_fmadd_pd(a7, m, c);
        a8 = _mm256_fmadd_pd(a8, m, c); a9 = _mm256_fmadd_pd(a9, m, c);
        a10 = _mm256_fmadd_pd(a10, m, c); a11 = _mm256_fmadd_pd(a11, m, c);
    }
    __m256d s = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)),
                              _mm256_add_pd(_mm256_add_pd(a4, a5), _mm256_add_pd(a6, a7)));
    s = _mm256_add_pd(s, _mm256_add_pd(_mm256_add_pd(a8, a9), _mm256_add_pd(a10, a11)));
    double out[4];
    _mm256_storeu_pd(out, s);
    return out[0] + out[1] + out[2] + out[3];
}
#endif

/* The portable loop: 12 independent scalar chains (2 flops each). The
 * compiler may or may not vectorise it; it is a floor, not a peak. */
static double fma_plain(long iters)
{
    double a[FMA_CHAINS];
    for (int k = 0; k < FMA_CHAINS; k++)
        a[k] = (double)k;
    for (long i = 0; i < iters; i++)
        for (int k = 0; k < FMA_CHAINS; k++)
            a[k] = a[k] * 0.9999999 + 1e-7;
    double s = 0.0;
    for (int k = 0; k < FMA_CHAINS; k++)
        s += a[k];
    return s;
}

bool bench_fma_have_avx2(void)
{
#if HAVE_X86
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

const char *bench_fma_kind(void)
{
    return bench_fma_have_avx2() ? "AVX2+FMA, 12 independent 256-bit FMA chains per thread"
                                 : "portable C loop (no AVX2+FMA at run time): a floor, not a peak";
}

/* Flops of one iteration of the kernel for @p prec. */
static double flops_per_iter(bench_prec prec)
{
    if (!bench_fma_have_avx2())
        return 2.0 * FMA_CHAINS;
    return 2.0 * FMA_CHAINS * (prec == BENCH_F32 ? 8 : 4);
}

static double run_kernel(bench_prec prec, long iters)
{
#if HAVE_X86
    if (bench_fma_have_avx2())
        return prec == BENCH_F32 ? fma_avx2_f32(iters) : fma_avx2_f64(iters);
#endif
    (void)prec;
    return fma_plain(iters);
}

/* The threads start together: each waits for `go` before its loop. */
typedef struct start_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go;
} start_gate;

typedef struct worker {
    pthread_t tid;
    start_gate *gate;
    bench_prec prec;
    long iters;
    double cpu;             /* this thread's CPU seconds for the loop */
    volatile double sink;   /* keeps the loop's result alive */
} worker;

static double thread_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->gate->lock);
    while (!w->gate->go)
        pthread_cond_wait(&w->gate->cond, &w->gate->lock);
    pthread_mutex_unlock(&w->gate->lock);
    double c0 = thread_cpu_seconds();
    w->sink = run_kernel(w->prec, w->iters);
    w->cpu = thread_cpu_seconds() - c0;
    return NULL;
}

/* Seconds for @p threads threads to run @p iters iterations each, timed from
 * the common start to the last join; < 0 when a thread cannot be started.
 * *cpu receives the process CPU seconds spent meanwhile, *rate the sum over
 * threads of iterations per CPU second of that thread. */
static double timed_run(bench_prec prec, int threads, long iters, double *cpu, double *rate)
{
    enum { MAX_THREADS = 256 };
    worker w[MAX_THREADS];
    start_gate gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
    if (threads < 1 || threads > MAX_THREADS)
        return -1.0;
    int started = 0;
    for (; started < threads; started++) {
        w[started] = (worker){ .gate = &gate, .prec = prec, .iters = iters };
        if (pthread_create(&w[started].tid, NULL, worker_main, &w[started]) != 0)
            break;
    }
    struct timespec pause = { 0, 5000000 }; /* let them all reach the gate */
    nanosleep(&pause, NULL);
    double t0 = bench_now(), c0 = bench_cpu_seconds();
    pthread_mutex_lock(&gate.lock);
    gate.go = 1;
    pthread_cond_broadcast(&gate.cond);
    pthread_mutex_unlock(&gate.lock);
    *rate = 0.0;
    for (int i = 0; i < started; i++) {
        pthread_join(w[i].tid, NULL);
        *rate += w[i].cpu > 0 ? (double)iters / w[i].cpu : 0.0;
    }
    double t = bench_now() - t0;
    *cpu = bench_cpu_seconds() - c0;
    return started == threads ? t : -1.0;
}

rk_status bench_fma_peak(bench_prec prec, int threads, double seconds, bench_peak *out)
{
    *out = (bench_peak){ 0 };
    /* calibrate on one thread: grow the count until a run takes ≥ 20 ms of
     * CPU time (CPU, not wall, time: a busy machine stretches the latter) */
    long iters = 100000;
    double t = 0.0, cpu = 0.0, rate = 0.0;
    while ((t = timed_run(prec, 1, iters, &cpu, &rate)) >= 0.0 && cpu < 0.02)
        iters *= 4;
    if (t < 0.0)
        return RK_ENOMEM;
    iters = (long)((double)iters * seconds / cpu) + 1;
    for (int r = 0; r < 3; r++) {
        t = timed_run(prec, threads, iters, &cpu, &rate);
        if (t <= 0.0)
            return RK_ENOMEM;
        double wall = flops_per_iter(prec) * (double)iters * threads / t / 1e9;
        if (wall > out->wall_gflops) {
            out->wall_gflops = wall;
            out->cpu_share = cpu / (t * threads);
        }
        double per_cpu = flops_per_iter(prec) * rate / 1e9;
        if (per_cpu > out->gflops)
            out->gflops = per_cpu;
    }
    return RK_OK;
}
