/* tensor_pairs.c — the tensors two checkpoints have in common (see tensor_pairs.h). */
#include "analysis/tensor_pairs.h"

#include <stdbool.h>

#include "core/alloc.h"

static bool same_shape(const rk_st_tensor *a, const rk_st_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d])
            return false;
    return true;
}

static rk_pair_status classify(const rk_st_tensor *a, const rk_st_tensor *b)
{
    if (!same_shape(a, b))
        return RK_PAIR_SHAPE;
    if (a->ndim != 2)
        return RK_PAIR_NOT_2D;
    if (!rk_st_dtype_loadable(a) || !rk_st_dtype_loadable(b))
        return RK_PAIR_DTYPE;
    return RK_PAIR_OK;
}

rk_status rk_tensor_pairs_match(const rk_shards *base, const rk_shards *other,
                                rk_tensor_pair **pairs, size_t *n)
{
    if (!base || !other || !pairs || !n)
        return RK_EINVAL;
    *pairs = NULL;
    *n = 0;
    size_t cap = base->n_tensors + other->n_tensors; /* both headers were in memory: no overflow */
    rk_tensor_pair *p = rk_calloc(cap ? cap : 1, sizeof *p);
    if (!p)
        return RK_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < base->n_tensors; i++) {
        const rk_shard_tensor *a = &base->tensors[i];
        const rk_shard_tensor *b = rk_shards_find(other, a->t->name);
        p[k++] = (rk_tensor_pair){ a->t->name, a->t, b ? b->t : NULL, a, b,
                                   b ? classify(a->t, b->t) : RK_PAIR_ONLY_BASE };
    }
    for (size_t i = 0; i < other->n_tensors; i++) {
        const rk_shard_tensor *b = &other->tensors[i];
        if (!rk_shards_find(base, b->t->name))
            p[k++] = (rk_tensor_pair){ b->t->name, NULL, b->t, NULL, b, RK_PAIR_ONLY_OTHER };
    }
    *pairs = p;
    *n = k;
    return RK_OK;
}

const char *rk_pair_status_text(rk_pair_status s)
{
    switch (s) {
    case RK_PAIR_OK: return "ok";
    case RK_PAIR_ONLY_BASE: return "only in base";
    case RK_PAIR_ONLY_OTHER: return "only in the other file";
    case RK_PAIR_SHAPE: return "shapes differ";
    case RK_PAIR_NOT_2D: return "not 2-d";
    case RK_PAIR_DTYPE: return "element type cannot be loaded";
    }
    return "unknown";
}
