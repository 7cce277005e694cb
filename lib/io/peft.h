/**
 * @file
 * @ingroup io
 * peft.h — LoRA adapters in Hugging Face PEFT's layout: a folder holding
 * adapter_config.json and adapter_model.safetensors.
 *
 * For each adapted module (a linear layer y = x·W₀ᵀ of the base model, W₀
 * (Out, In)) the safetensors file holds
 *
 *   base_model.model.MODULE.lora_A.weight    A  (r, In)
 *   base_model.model.MODULE.lora_B.weight    B  (Out, r)
 *
 * (keys with an adapter name, `.lora_A.<adapter>.weight`, are accepted too)
 * and the adapted layer computes W₀ + ΔW with
 *
 *   ΔW = s · B · A  (Out, In),   s = lora_alpha / r,  or lora_alpha / √r with use_rslora.
 *
 * r and lora_alpha may be overridden per module by rank_pattern and
 * alpha_pattern. A pattern key K matches a module M when M == K or M ends with
 * "." + K (PEFT matches `(.*\.)?K$` as a regular expression; ranklab takes K
 * literally, which agrees for the plain module names PEFT writes), and the
 * first matching key in the file's order wins.
 *
 * fan_in_fan_out: true (GPT-2's Conv1D) means the base weight is stored
 * transposed, (In, Out); the update in that layout is ΔWᵀ = (s·B·A)ᵀ. The
 * factors A and B themselves have the same shapes either way.
 *
 * Every other tensor in the file (modules_to_save copies such as a
 * classifier's `score.weight`) is a full tensor, listed but not an adapter.
 */
#ifndef RK_IO_PEFT_H
#define RK_IO_PEFT_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/mat.h"
#include "../core/status.h"
#include "safetensors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One rank_pattern or alpha_pattern entry: module-name pattern → value. */
typedef struct rk_peft_pattern {
    char *key;      /**< the pattern (owned) */
    double value;   /**< rank (a positive integer) or alpha */
} rk_peft_pattern;

/** The fields of adapter_config.json that ranklab uses. */
typedef struct rk_peft_config {
    size_t r;                     /**< default rank, > 0 */
    double lora_alpha;            /**< default alpha */
    bool use_rslora;              /**< scale = alpha / √r instead of alpha / r */
    bool fan_in_fan_out;          /**< base weights stored (In, Out) */
    char *bias;                   /**< "none", "all" or "lora_only" (owned) */
    char *base_model;             /**< base_model_name_or_path, or NULL (owned) */
    size_t n_target_modules;      /**< entries of target_modules when it is a list */
    char **target_modules;        /**< (n_target_modules) names (owned) */
    char *target_modules_regex;   /**< target_modules when it is one string (a regex), else NULL */
    size_t n_modules_to_save;     /**< entries of modules_to_save */
    char **modules_to_save;       /**< (n_modules_to_save) names (owned) */
    size_t n_rank_pattern;        /**< entries of rank_pattern */
    rk_peft_pattern *rank_pattern;   /**< (n_rank_pattern), in file order */
    size_t n_alpha_pattern;       /**< entries of alpha_pattern */
    rk_peft_pattern *alpha_pattern;  /**< (n_alpha_pattern), in file order */
} rk_peft_config;

/**
 * Parse adapter_config.json text (@p len bytes) into @p cfg. Required: an
 * object with `peft_type` "LORA", `r` (positive integer) and `lora_alpha`
 * (number). Optional, type-checked: use_rslora, fan_in_fan_out (bool),
 * bias ("none"/"all"/"lora_only"), target_modules (string or list of
 * strings), modules_to_save (list), rank_pattern (positive integers),
 * alpha_pattern (numbers), base_model_name_or_path; `use_dora: true` is refused.
 * Null counts as absent. Other keys are ignored. On error @p cfg is left empty.
 * @return RK_OK; RK_EINVAL; RK_EJSON (invalid JSON, not an object);
 *         RK_EDUPKEY; RK_ECONFIG (a key missing or of the wrong type or value); RK_ENOMEM.
 */
rk_status rk_peft_config_parse(rk_peft_config *cfg, const char *text, size_t len, rk_err *err);

/** Read and parse the config file at @p path (at most 1 MiB). As rk_peft_config_parse, plus file errors. */
rk_status rk_peft_config_read(rk_peft_config *cfg, const char *path, rk_err *err);

/** Release what @p cfg owns and reset it. NULL is accepted. */
void rk_peft_config_free(rk_peft_config *cfg);

/** true when pattern key @p key selects module @p module: equal, or module ends with "." + key. */
bool rk_peft_pattern_match(const char *key, const char *module);

/** The rank of @p module: the first matching rank_pattern entry, else r. */
size_t rk_peft_config_rank(const rk_peft_config *cfg, const char *module);

/** The alpha of @p module: the first matching alpha_pattern entry, else lora_alpha. */
double rk_peft_config_alpha(const rk_peft_config *cfg, const char *module);

/** The LoRA scale s = alpha / r, or alpha / √r when @p rslora (0 when r = 0). */
double rk_peft_scale(double alpha, size_t r, bool rslora);

/** One adapted module: ΔW = scale · B · A. */
typedef struct rk_peft_module {
    char *name;            /**< module path without "base_model.model.", e.g. "transformer.h.0.attn.c_attn" */
    size_t r;              /**< rank (rows of A, columns of B) */
    size_t in;             /**< columns of ΔW (input features) */
    size_t out;            /**< rows of ΔW (output features): ΔW is (out, in) */
    double alpha;          /**< alpha used for this module */
    double scale;          /**< s */
    bool fan_in_fan_out;   /**< base weight stored (in, out): the update there is ΔWᵀ */
    rk_mat a;              /**< (r, In)  lora_A, in double */
    rk_mat b;              /**< (Out, r) lora_B, in double */
    const rk_st_tensor *a_tensor;   /**< lora_A's entry in the file */
    const rk_st_tensor *b_tensor;   /**< lora_B's entry in the file */
} rk_peft_module;

/** A LoRA adapter read from disk. */
typedef struct rk_peft_adapter {
    rk_peft_config config;          /**< the parsed adapter_config.json */
    rk_st_file file;                /**< the parsed adapter_model.safetensors */
    size_t n_modules;               /**< adapted modules */
    rk_peft_module *modules;        /**< (n_modules), sorted by name, numbers in numeric order (h.2 before h.10) */
    size_t n_full;                  /**< tensors that are not LoRA factors */
    const rk_st_tensor **full;      /**< (n_full) pointers into file, sorted by name */
} rk_peft_adapter;

/**
 * Read the adapter at @p path: a folder holding adapter_config.json and
 * adapter_model.safetensors, or the .safetensors file itself with
 * adapter_config.json beside it. Pairs every lora_A with its lora_B and checks
 * them against the config (see rk_peft_build).
 * @return RK_OK; RK_ENOENT (no weights file); RK_ECONFIG (config missing,
 *         or contradicting the tensors); the errors of rk_st_open and
 *         rk_peft_config_parse. On error @p ad is left empty.
 */
rk_status rk_peft_read(rk_peft_adapter *ad, const char *path, rk_err *err);

/**
 * Build @p ad from a parsed file and config, taking ownership of both (also
 * on error, when they are freed; *file and *cfg are reset either way).
 * Refused with RK_ECONFIG: lora_A without lora_B or the reverse, a factor that
 * is not 2-d, A's rows ≠ B's columns, a rank other than the config's (after
 * rank_pattern), a module outside a target_modules list, no pairs at all;
 * RK_EDTYPE when a factor's dtype cannot be loaded; RK_ENOMEM.
 */
rk_status rk_peft_build(rk_peft_adapter *ad, rk_st_file *file, rk_peft_config *cfg, rk_err *err);

/** Release everything @p ad owns and reset it. NULL is accepted. */
void rk_peft_free(rk_peft_adapter *ad);

/** One module to write: ΔW = s·B·A with A (r, In) and B (Out, r), row-major floats. */
typedef struct rk_peft_lora {
    const char *module;   /**< module path in the base model, e.g. "linear1" */
    size_t r;             /**< rank */
    size_t in;            /**< columns of ΔW (input features) */
    size_t out;           /**< rows of ΔW (output features) */
    const float *a;       /**< (r, In) */
    const float *b;       /**< (Out, r) */
} rk_peft_lora;

/** A full tensor stored beside the adapters (a modules_to_save copy such as a classifier head). */
typedef struct rk_peft_full {
    const char *key;       /**< its whole key, e.g. "base_model.model.score.weight" */
    int ndim;              /**< dimensions */
    const size_t *shape;   /**< (ndim) */
    const float *data;     /**< row-major elements, written as F32 */
} rk_peft_full;

/** Settings of an adapter to write. */
typedef struct rk_peft_write_opts {
    double lora_alpha;        /**< alpha (the scale is alpha / r, or alpha / √r) */
    bool use_rslora;          /**< scale by alpha / √r */
    bool fan_in_fan_out;      /**< the base weights are stored (In, Out) */
    const char *base_model;   /**< base_model_name_or_path, or NULL */
    const char *task_type;    /**< PEFT task_type, or NULL */
} rk_peft_write_opts;

/** What rk_peft_write_with() adds to rk_peft_write(). */
typedef struct rk_peft_write_extra {
    const double *alphas;     /**< (n modules) each module's lora_alpha, or NULL: opts->lora_alpha for all */
    const rk_peft_full *full; /**< (n_full) full tensors to store as they are, or NULL */
    size_t n_full;            /**< number of full tensors */
    char *const *modules_to_save;  /**< (n_modules_to_save) written as modules_to_save; none: null */
    size_t n_modules_to_save;      /**< number of modules_to_save names */
} rk_peft_write_extra;

/**
 * Write an adapter folder @p dir (created if missing) that PEFT can load, as
 * PEFT writes modules of different ranks: adapter_config.json with peft_type
 * LORA, `r` = the most common rank of the modules (ties: the smallest),
 * `lora_alpha` = the most common module alpha (ties: the smallest), and
 * exact-name `rank_pattern` / `alpha_pattern` entries for the modules whose
 * rank / alpha differ; target_modules = the short module names, the last
 * component of each path: "q_proj" for "model.layers.0.self_attn.q_proj",
 * each once. Then
 * adapter_model.safetensors with base_model.model.MODULE.lora_A.weight /
 * lora_B.weight in F32, metadata
 * {"format": "pt"}. Both files are written atomically.
 * @return RK_OK; RK_EINVAL (NULL, n = 0, r = 0, empty or duplicate module
 *         name); RK_ENOMEM; RK_EIO.
 */
rk_status rk_peft_write(const char *dir, const rk_peft_write_opts *opts, const rk_peft_lora *mods,
                        size_t n, rk_err *err);

/**
 * rk_peft_write() with per-module alphas, full tensors (stored in F32 under
 * their own keys) and modules_to_save from @p extra (NULL: none, as
 * rk_peft_write).
 * @return as rk_peft_write; also RK_EINVAL (a non-finite alpha, a full tensor
 *         without key or shape), RK_EDUPKEY (a full tensor's key repeats another key).
 */
rk_status rk_peft_write_with(const char *dir, const rk_peft_write_opts *opts, const rk_peft_lora *mods,
                             size_t n, const rk_peft_write_extra *extra, rk_err *err);

/**
 * An adapter folder written a module at a time, for adapters too large to
 * hold: each module's factors go to a spool file in the folder as they are
 * added (rk_st_writer_spool), so memory is the names and shapes only;
 * rk_peft_stream_finish() then writes both files as rk_peft_write() would —
 * the same bytes for the same modules in the same order — and removes the
 * spool. Open, add, finish, free.
 */
typedef struct rk_peft_stream rk_peft_stream;

/**
 * Start writing an adapter folder @p dir (created if missing), with its spool
 * dir/adapter_model.safetensors.part.
 * @return RK_OK; RK_EINVAL; RK_ENOMEM; RK_EIO (the folder or spool cannot be created).
 */
rk_status rk_peft_stream_open(rk_peft_stream **ps, const char *dir, rk_err *err);

/**
 * Append module @p m (its factors are written out now; the caller may free them).
 * @return RK_OK; RK_EINVAL (empty name, r = 0, missing factors, a name given
 *         twice); RK_ENOMEM; RK_EIO (the spool cannot be written: the
 *         message names it and why, e.g. no space left).
 */
rk_status rk_peft_stream_add(rk_peft_stream *ps, const rk_peft_lora *m, rk_err *err);

/**
 * Write adapter_config.json (r, lora_alpha, target_modules … from @p opts and
 * the modules added, as rk_peft_write) and adapter_model.safetensors, and
 * remove the spool. Call once; then rk_peft_stream_free().
 * @return RK_OK; RK_EINVAL (no module added, alpha not finite); RK_ENOMEM; RK_EIO.
 */
rk_status rk_peft_stream_finish(rk_peft_stream *ps, const rk_peft_write_opts *opts, rk_err *err);

/**
 * rk_peft_stream_finish() with per-module alphas and modules_to_save from
 * @p extra (NULL: none), as rk_peft_write_with(): extra->alphas[i] is the
 * alpha of the i-th module added (alpha_pattern for those that differ from
 * the most common). No full tensors (they are not in the spool).
 * @return as rk_peft_stream_finish; also RK_EINVAL (full tensors given).
 */
rk_status rk_peft_stream_finish_with(rk_peft_stream *ps, const rk_peft_write_opts *opts,
                                     const rk_peft_write_extra *extra, rk_err *err);

/** Release @p ps, removing the spool if it is still there. NULL is accepted. */
void rk_peft_stream_free(rk_peft_stream *ps);

#ifdef __cplusplus
}
#endif

#endif
