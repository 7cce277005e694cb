/*
 * peft_index.h — (internal) sorted indexes that make reading a PEFT adapter
 * O(n log n) in its modules, target_modules and rank/alpha patterns.
 *
 * PEFT's key K matches a module M when M = K or M ends in "." + K
 * (rk_peft_pattern_match). The keys matching M are therefore M itself and
 * its suffixes after each '.': at most one per dot, each found by binary
 * search in the keys sorted with strcmp. A lookup costs O(|M| · log n)
 * instead of a pass over all n keys.
 */
#ifndef RK_IO_PEFT_INDEX_H
#define RK_IO_PEFT_INDEX_H

#include <stddef.h>

#include "../core/status.h"

/** One key and its position in the file (the first match in file order wins). */
typedef struct rk_key_entry {
    const char *key;   /**< borrowed from the config */
    size_t pos;        /**< index in the config's list */
} rk_key_entry;

/** Keys sorted by strcmp; n = 0 (entries NULL) is a valid empty index. */
typedef struct rk_key_index {
    rk_key_entry *entries;   /**< (n), owned */
    size_t n;                /**< number of entries */
} rk_key_index;

/**
 * Index the @p n keys found at @p base + i·@p stride (each a `const char *`,
 * or `char *`, at that address): the lists of rk_peft_config. Keys are
 * borrowed and must outlive the index. @return RK_OK or RK_ENOMEM.
 */
rk_status rk_key_index_build(rk_key_index *ix, const void *base, size_t n, size_t stride);

/** Release @p ix (NULL accepted). */
void rk_key_index_free(rk_key_index *ix);

/**
 * The smallest position of a key matching @p module (rk_peft_pattern_match),
 * or (size_t)-1 when none does.
 */
size_t rk_key_index_first_match(const rk_key_index *ix, const char *module);

#endif
