/*
 * parallel.c — split a loop into chunks shared by the calling thread and a
 * pool of helper threads that live as long as the process.
 *
 * A loop is cut into a few chunks per thread (whole grains each). The caller
 * publishes the loop, wakes the helpers and starts taking chunks itself; each
 * thread takes the next chunk not yet taken (one atomic ticket) until none is
 * left, and the caller returns once every chunk is finished. A helper that
 * the scheduler runs late finds the chunks taken and goes back to sleep, so
 * on a loaded machine the loop costs about what it costs on one thread,
 * instead of waiting for a thread started for it to be scheduled. Which
 * thread runs a chunk changes nothing in the result: every element is
 * computed by the same code wherever the chunk boundaries fall.
 *
 * The ticket holds the loop's number in its high 32 bits and the next chunk
 * in the low 32: a helper can only take a chunk of the loop it was woken
 * for, and only while that loop's caller is still waiting for it.
 */
#include "core/parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/blas.h"

int rk_parallel_threads(void)
{
    int t = rk_blas_threads();
    return t < 1 ? 1 : t > RK_PARALLEL_MAX ? RK_PARALLEL_MAX : t;
}

/* Chunks per thread: enough that a thread slowed by the machine is made up by the others. */
enum { CHUNKS_PER_THREAD = 4 };

typedef struct loop {
    rk_parallel_fn fn;
    void *ctx;
    size_t n, grain, units, chunks;
    int helpers;          /* most helpers that may join */
} loop;

static struct {
    pthread_mutex_t lock;   /* guards gen, job, joined, started; the wake-ups */
    pthread_cond_t wake;    /* a new loop */
    pthread_cond_t fin;     /* a loop's last chunk finished */
    pthread_mutex_t busy;   /* one loop at a time uses the pool */
    uint32_t gen;           /* the current loop's number */
    loop job;
    int joined, started;
    _Atomic uint64_t ticket;   /* gen << 32 | next chunk */
    _Atomic size_t done;       /* chunks of the current loop finished */
} P = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER,
        PTHREAD_MUTEX_INITIALIZER, 0, { 0 }, 0, 0, 0, 0 };

/* Chunk k: the grains [k·units/chunks, (k+1)·units/chunks). */
static void run_chunk(const loop *l, size_t k)
{
    size_t b = k * l->units / l->chunks * l->grain, e = (k + 1) * l->units / l->chunks * l->grain;
    l->fn(l->ctx, b, e < l->n ? e : l->n);
}

/* Take the next chunk of loop g into *k; false when g is over or has no chunk left. */
static bool claim(uint32_t g, size_t chunks, size_t *k)
{
    uint64_t t = atomic_load(&P.ticket);
    for (;;) {
        if ((uint32_t)(t >> 32) != g || (t & 0xffffffffu) >= chunks)
            return false;
        if (atomic_compare_exchange_weak(&P.ticket, &t, t + 1)) {
            *k = (size_t)(t & 0xffffffffu);
            return true;
        }
    }
}

/* Run chunks of loop g until none is left; the thread that finishes the last one says so. */
static void work(uint32_t g, const loop *l)
{
    size_t k;
    while (claim(g, l->chunks, &k)) {
        run_chunk(l, k);
        if (atomic_fetch_add(&P.done, 1) + 1 == l->chunks) {
            pthread_mutex_lock(&P.lock);
            pthread_cond_broadcast(&P.fin);
            pthread_mutex_unlock(&P.lock);
        }
    }
}

/* @p arg: the number of the loop before the one the helper was started for. */
static void *helper(void *arg)
{
    uint32_t seen = (uint32_t)(uintptr_t)arg;
    pthread_mutex_lock(&P.lock);
    for (;;) {
        while (P.gen == seen)
            pthread_cond_wait(&P.wake, &P.lock);
        seen = P.gen;
        if (P.joined >= P.job.helpers)
            continue;   // the loop wants fewer threads than the pool has
        P.joined++;
        loop l = P.job;
        pthread_mutex_unlock(&P.lock);
        work(seen, &l);
        pthread_mutex_lock(&P.lock);
    }
    return NULL;
}

/* Start helpers until there are @p want (under P.lock); a helper that cannot start is not needed. */
static void pool_grow(int want)
{
    while (P.started < want) {
        pthread_t th;
        pthread_attr_t at;
        if (pthread_attr_init(&at) != 0)
            return;
        pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&th, &at, helper, (void *)(uintptr_t)P.gen);
        pthread_attr_destroy(&at);
        if (rc != 0)
            return;
        P.started++;
    }
}

/* A forked child has no helpers: it runs its loops alone. */
static void atfork_prepare(void) { pthread_mutex_lock(&P.lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&P.lock); }
static void atfork_child(void)
{
    pthread_mutex_unlock(&P.lock);
    P.started = 0;
}

static void pool_once(void)
{
    pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

void rk_parallel_for(size_t n, size_t grain, rk_parallel_fn fn, void *ctx)
{
    if (n == 0)
        return;
    if (grain == 0)
        grain = 1;
    size_t units = n / grain + (n % grain != 0);   // chunks are made of whole grains
    size_t t = (size_t)rk_parallel_threads();
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    // one thread, less than two grains, or the pool busy with another loop (a
    // nested call, another thread's loop): the caller does it all
    if (t < 2 || units < 2 || pthread_once(&once, pool_once) != 0 ||
        pthread_mutex_trylock(&P.busy) != 0) {
        fn(ctx, 0, n);
        return;
    }
    size_t chunks = t * CHUNKS_PER_THREAD < units ? t * CHUNKS_PER_THREAD : units;
    loop l = { fn, ctx, n, grain, units, chunks, (int)t - 1 };
    pthread_mutex_lock(&P.lock);
    pool_grow((int)t - 1);
    P.gen++;
    P.job = l;
    P.joined = 0;
    atomic_store(&P.done, 0);
    atomic_store(&P.ticket, (uint64_t)P.gen << 32);
    uint32_t g = P.gen;
    pthread_cond_broadcast(&P.wake);
    pthread_mutex_unlock(&P.lock);
    work(g, &l);
    if (atomic_load(&P.done) < chunks) {   // helpers still on their last chunks
        pthread_mutex_lock(&P.lock);
        while (atomic_load(&P.done) < chunks)
            pthread_cond_wait(&P.fin, &P.lock);
        pthread_mutex_unlock(&P.lock);
    }
    pthread_mutex_unlock(&P.busy);
}
