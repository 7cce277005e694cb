/**
 * @file
 * @ingroup io
 * shards.h — a checkpoint as Hugging Face stores one: a single .safetensors
 * file, a model directory holding model.safetensors (or a PEFT adapter's
 * adapter_model.safetensors), or a sharded directory
 *
 *   DIR/model.safetensors.index.json   {"metadata": {...},
 *                                       "weight_map": {"TENSOR": "SHARD", ...}}
 *   DIR/SHARD ...                      safetensors files, e.g.
 *                                      model-00001-of-00002.safetensors
 *
 * Every file is opened lazily (rk_st_open_lazy: header only, checked against
 * the file size); a tensor's bytes are read when asked for. The index is held
 * to the same standard as a shard's header: valid JSON without duplicate
 * keys, a weight_map object of strings; every shard it names exists, is a
 * plain name or relative path that stays inside DIR (no absolute path, no
 * "..", no symlink leading out: checked with realpath), and is a valid
 * safetensors file; every tensor it lists is in the shard it names; every
 * tensor of a shard is listed, and for that shard (a tensor in two shards is
 * refused).
 */
#ifndef RK_IO_SHARDS_H
#define RK_IO_SHARDS_H

#include <stddef.h>

#include "../core/status.h"
#include "safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The index file of a sharded Hugging Face checkpoint. */
#define RK_SHARDS_INDEX "model.safetensors.index.json"

/** The largest index file read (a 70B model's index is ~60 kB). */
#define RK_SHARDS_INDEX_MAX ((size_t)64 << 20)

/** One tensor of the checkpoint and the file that holds it. */
typedef struct rk_shard_tensor {
    const rk_st_tensor *t;     /**< its entry in the shard (name, dtype, shape, offsets) */
    const rk_st_file *file;    /**< the lazily opened shard to read it from */
    const char *path;          /**< that shard's path */
} rk_shard_tensor;

/** An opened checkpoint. */
typedef struct rk_shards {
    char *path;                 /**< as given (owned) */
    size_t n_files;             /**< shards (1 for a single file) */
    rk_st_file *files;          /**< (n_files), opened lazily */
    char **paths;               /**< (n_files) their paths (owned) */
    size_t n_tensors;           /**< tensors across all shards */
    rk_shard_tensor *tensors;   /**< (n_tensors), sorted by name */
    char *name_or_path;         /**< DIR/config.json's "_name_or_path", or NULL (owned) */
    bool sharded;               /**< read through RK_SHARDS_INDEX */
} rk_shards;

/**
 * Open the checkpoint at @p path (a file, or a directory as above) and check
 * it. On error @p s is left empty and @p where (@p where_cap bytes, may be
 * NULL) receives the path of the file at fault, for the message
 * "FILE: problem".
 * @return RK_OK; RK_ENOENT (no such path, no weights file in the directory,
 *         a shard the index names is missing); RK_EJSON / RK_EDUPKEY /
 *         RK_ECONFIG (index not valid JSON, a key twice, no weight_map, a
 *         value not a string, a path leaving the directory); RK_ENOTFOUND (a
 *         listed tensor absent from its shard); RK_EDUPKEY (a tensor in two
 *         shards, or in a shard but not in the index: RK_ECONFIG); the
 *         errors of rk_st_open_lazy; RK_ENOMEM.
 */
rk_status rk_shards_open(rk_shards *s, const char *path, rk_err *err, char *where, size_t where_cap);

/** Close every file and release @p s. NULL is accepted. */
void rk_shards_close(rk_shards *s);

/** The tensor called @p name (binary search), or NULL. */
const rk_shard_tensor *rk_shards_find(const rk_shards *s, const char *name);

#ifdef __cplusplus
}
#endif

#endif
