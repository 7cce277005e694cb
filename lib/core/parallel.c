/* parallel.c — split a loop into contiguous chunks, one POSIX thread each. */
#include "core/parallel.h"

#include <pthread.h>
#include <stdbool.h>

#include "core/blas.h"

int rk_parallel_threads(void)
{
    int t = rk_blas_threads();
    return t < 1 ? 1 : t > RK_PARALLEL_MAX ? RK_PARALLEL_MAX : t;
}

typedef struct chunk {
    rk_parallel_fn fn;
    void *ctx;
    size_t begin, end;
} chunk;

static void *chunk_run(void *arg)
{
    chunk *c = arg;
    c->fn(c->ctx, c->begin, c->end);
    return NULL;
}

void rk_parallel_for(size_t n, size_t grain, rk_parallel_fn fn, void *ctx)
{
    if (n == 0)
        return;
    if (grain == 0)
        grain = 1;
    size_t units = n / grain + (n % grain != 0);   // chunks are made of whole grains
    size_t t = (size_t)rk_parallel_threads();
    if (t > units)
        t = units;
    if (t < 2) {
        fn(ctx, 0, n);
        return;
    }
    chunk c[RK_PARALLEL_MAX];
    pthread_t th[RK_PARALLEL_MAX];
    bool started[RK_PARALLEL_MAX] = { false };
    for (size_t i = 0; i < t; i++) {
        // chunk i holds grains [i·units/t, (i+1)·units/t)
        size_t b = i * units / t * grain, e = (i + 1) * units / t * grain;
        c[i] = (chunk){ fn, ctx, b, e < n ? e : n };
    }
    for (size_t i = 1; i < t; i++)
        started[i] = pthread_create(&th[i], NULL, chunk_run, &c[i]) == 0;
    fn(ctx, c[0].begin, c[0].end);
    for (size_t i = 1; i < t; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            fn(ctx, c[i].begin, c[i].end);   // no thread: do that chunk here
    }
}
