/* alloc.c — one allocation entry point, replaceable for failure injection. */
#include "core/alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void *std_alloc(size_t size, void *ctx) { (void)ctx; return malloc(size); }
static void std_free(void *ptr, void *ctx) { (void)ctx; free(ptr); }

static rk_allocator current = { std_alloc, std_free, NULL };

void rk_set_allocator(const rk_allocator *a)
{
    if (a && a->alloc && a->free)
        current = *a;
    else
        current = (rk_allocator){ std_alloc, std_free, NULL };
}

void *rk_alloc(size_t size)
{
    return current.alloc(size ? size : 1, current.ctx);
}

void *rk_calloc(size_t count, size_t size)
{
    size_t bytes;
    if (!rk_size_mul(count, size, &bytes))
        return NULL;
    void *p = rk_alloc(bytes);
    if (p)
        memset(p, 0, bytes ? bytes : 1);
    return p;
}

void rk_free(void *ptr)
{
    if (ptr)
        current.free(ptr, current.ctx);
}

char *rk_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = rk_alloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

bool rk_size_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

bool rk_size_add(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}
