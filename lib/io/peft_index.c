/* peft_index.c — sorted key indexes for PEFT's module matching (see peft_index.h). */
#include "io/peft_index.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static int cmp_entry(const void *a, const void *b)
{
    const rk_key_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

rk_status rk_key_index_build(rk_key_index *ix, const void *base, size_t n, size_t stride)
{
    *ix = (rk_key_index){ 0 };
    if (n == 0)
        return RK_OK;
    if (!(ix->entries = rk_calloc(n, sizeof *ix->entries)))
        return RK_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *key;
        memcpy(&key, (const char *)base + i * stride, sizeof key);
        ix->entries[i] = (rk_key_entry){ key, i };
    }
    ix->n = n;
    qsort(ix->entries, n, sizeof *ix->entries, cmp_entry);
    return RK_OK;
}

void rk_key_index_free(rk_key_index *ix)
{
    if (!ix)
        return;
    rk_free(ix->entries);
    *ix = (rk_key_index){ 0 };
}

/* Position of the first entry whose key is @p key (equal keys are sorted by
 * position, so it is the earliest), or (size_t)-1. */
static size_t find_exact(const rk_key_index *ix, const char *key)
{
    size_t lo = 0, hi = ix->n; /* the first entry with key >= @p key is in [lo, hi] */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->entries[mid].key, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ix->n && !strcmp(ix->entries[lo].key, key) ? ix->entries[lo].pos : (size_t)-1;
}

size_t rk_key_index_first_match(const rk_key_index *ix, const char *module)
{
    size_t best = (size_t)-1;
    if (!ix->n)
        return best;
    /* M itself, then each suffix after a '.'; the empty key never matches. */
    for (const char *p = module;;) {
        if (*p) {
            size_t pos = find_exact(ix, p);
            if (pos < best)
                best = pos;
        }
        const char *dot = strchr(p, '.');
        if (!dot)
            break;
        p = dot + 1;
    }
    return best;
}
