/**
 * @file
 * @ingroup core
 * alloc.h — the library's one allocation entry point.
 *
 * Every allocation in lib/ goes through rk_alloc()/rk_free(), so a test can
 * install an allocator that fails on the N-th call and check that each error
 * path returns RK_ENOMEM and leaks nothing. Sizes are checked for overflow.
 *
 * Two allocators stay outside this hook, by decision:
 *  - jansson (the JSON of safetensors headers and adapter configs) allocates
 *    through its own process-wide hook, json_set_alloc_funcs(). ranklab does
 *    not install rk_alloc there: that would take over the JSON of the program
 *    embedding ranklab, and memory jansson made before a change of allocator
 *    would be freed by the wrong one. The library frees jansson's memory with
 *    the function json_get_alloc_funcs() reports, and maps jansson's
 *    out-of-memory error to RK_ENOMEM, so either choice of the host works.
 *  - OpenBLAS/LAPACK's internal buffers. LAPACK workspaces themselves are
 *    queried (lwork = −1) and allocated with rk_alloc.
 * The only mutable global state of the library is the allocator below.
 */
#ifndef RK_CORE_ALLOC_H
#define RK_CORE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A custom allocator: alloc(size, ctx) → memory or NULL; free(ptr, ctx). */
typedef struct rk_allocator {
    void *(*alloc)(size_t size, void *ctx);  /**< like malloc; must accept any size > 0 */
    void (*free)(void *ptr, void *ctx);      /**< like free; never given NULL */
    void *ctx;                               /**< passed to both */
} rk_allocator;

/**
 * Install @p a as the allocator for all later rk_alloc/rk_free calls, or the
 * C library's malloc/free when @p a is NULL. Process-wide: meant for tests
 * and for embedding, set once before any other call. Memory must be freed by
 * the allocator that made it.
 */
void rk_set_allocator(const rk_allocator *a);

/** @p size bytes (uninitialised), or NULL. rk_alloc(0) returns NULL-safe 1 byte. */
void *rk_alloc(size_t size);

/** @p count × @p size zeroed bytes, or NULL on overflow or exhaustion. */
void *rk_calloc(size_t count, size_t size);

/** Free memory from rk_alloc/rk_calloc; NULL is accepted. */
void rk_free(void *ptr);

/** A copy of the string @p s in rk_alloc'd memory (free with rk_free), or NULL when out of memory. */
char *rk_strdup(const char *s);

/** *out = a × b; false (and *out untouched) when the product overflows size_t. */
bool rk_size_mul(size_t a, size_t b, size_t *out);

/** *out = a + b; false when the sum overflows size_t. */
bool rk_size_add(size_t a, size_t b, size_t *out);

#ifdef __cplusplus
}
#endif

#endif
