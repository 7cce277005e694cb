/**
 * @file
 * @ingroup analysis
 * tensor_pairs.h — which tensors of two checkpoints (a base and a fine-tune,
 * each one safetensors file or a sharded directory: lib/io/shards.h) can be
 * subtracted, ΔW = W_finetuned − W_base.
 *
 * A name present in both files with the same shape, 2 dimensions and
 * loadable element types is a pair; every other name is reported with the
 * reason it is left out (only in one file, shapes differ, not a matrix,
 * element type not loadable), so a tool can list it.
 */
#ifndef RK_ANALYSIS_TENSOR_PAIRS_H
#define RK_ANALYSIS_TENSOR_PAIRS_H

#include <stddef.h>

#include "../core/status.h"
#include "../io/shards.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Whether a name can be compared, and if not, why. */
typedef enum rk_pair_status {
    RK_PAIR_OK = 0,       /**< in both, same shape, 2-d, loadable */
    RK_PAIR_ONLY_BASE,    /**< only in the base file */
    RK_PAIR_ONLY_OTHER,   /**< only in the other (fine-tuned) file */
    RK_PAIR_SHAPE,        /**< in both, but the shapes differ */
    RK_PAIR_NOT_2D,       /**< same shape, but not 2-d */
    RK_PAIR_DTYPE         /**< an element type ranklab cannot load */
} rk_pair_status;

/** One name of either checkpoint. Pointers go into the two rk_shards. */
typedef struct rk_tensor_pair {
    const char *name;            /**< tensor name */
    const rk_st_tensor *base;    /**< its entry in the base checkpoint, or NULL */
    const rk_st_tensor *other;   /**< its entry in the other checkpoint, or NULL */
    const rk_shard_tensor *base_at;   /**< where to read base from, or NULL */
    const rk_shard_tensor *other_at;  /**< where to read other from, or NULL */
    rk_pair_status status;       /**< RK_PAIR_OK when it can be subtracted */
} rk_tensor_pair;

/**
 * Match the tensors of @p base and @p other by name. *@p pairs receives an
 * rk_alloc'd array (free with rk_free; it points into both files, which must
 * outlive it) of *@p n entries: the base's names in sorted order, then the
 * names found only in @p other, in sorted order. A shape mismatch is reported
 * before "not 2-d", and that before the element type.
 * @return RK_OK; RK_EINVAL (NULL); RK_ENOMEM (then *pairs is NULL, *n 0).
 */
rk_status rk_tensor_pairs_match(const rk_shards *base, const rk_shards *other,
                                rk_tensor_pair **pairs, size_t *n);

/** A short description of @p s ("ok", "only in base", "shapes differ", …). */
const char *rk_pair_status_text(rk_pair_status s);

#ifdef __cplusplus
}
#endif

#endif
