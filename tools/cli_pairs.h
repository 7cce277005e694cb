/*
 * cli_pairs.h — the BASE FINETUNED arguments of `ranklab delta` and
 * `ranklab extract`: which weight matrices to subtract.
 *
 *   two .npy files (or two FILE.safetensors:TENSOR specs)   one pair
 *   two .safetensors files                                  every tensor with the
 *       same name, the same shape and 2 dimensions in both (or only --tensor NAME);
 *       the others are listed as skipped with the reason
 *
 * The matching itself is lib/analysis/tensor_pairs.h (rk_tensor_pairs_match).
 * Pairs are loaded one at a time (cli_pairs_delta), so two large checkpoints
 * need memory for one tensor pair at a time, not for both files' tensors in
 * double.
 */
#ifndef RK_TOOLS_CLI_PAIRS_H
#define RK_TOOLS_CLI_PAIRS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "ranklab.h"

/** A tensor that is not compared, and why. */
typedef struct cli_skip {
    const char *name;     /**< tensor name (points into the files) */
    char reason[256];     /**< e.g. "only in BASE", "shapes differ: 4 x 3 and 4 x 5" */
} cli_skip;

/** The pairs to compare. */
typedef struct cli_pairs {
    const char *base;       /**< BASE as given */
    const char *ft;         /**< FINETUNED as given */
    bool safetensors;       /**< two safetensors files (else one pair of matrices) */
    size_t n;               /**< pairs to compare */
    const char **names;     /**< (n) tensor names; NULL entries for the single-matrix case */
    size_t n_skipped;       /**< tensors left out */
    cli_skip *skipped;      /**< (n_skipped) */
    void *priv;             /**< the open files (safetensors) */
} cli_pairs;

/**
 * The two positional arguments BASE FINETUNED left after getopt_long (from
 * optind): stores them in *@p base and *@p ft. Returns RK_EXIT_OK, or prints
 * the usage error of @p cmd ("missing BASE and FINETUNED", "missing
 * FINETUNED", "unexpected argument") and returns RK_EXIT_USAGE.
 */
int cli_pairs_args(const char *cmd, int argc, char **argv, const char **base, const char **ft);

/**
 * One skipped tensor as JSON, {"name": ..., "reason": ...}, appended to the
 * array @p arr. Returns nonzero when out of memory (jansson's convention).
 */
int cli_skip_append_json(json_t *arr, const cli_skip *s);

/**
 * Open BASE and FINETUNED and decide the pairs. @p tensor (may be NULL)
 * selects one tensor of two safetensors files; then that tensor must be in
 * both with the same 2-d shape. On failure prints the error (naming the file)
 * and returns RK_EXIT_RUNTIME (or RK_EXIT_USAGE for --tensor with .npy
 * files); *p is then empty.
 */
int cli_pairs_open(const char *cmd, const char *base, const char *ft, const char *tensor,
                   cli_pairs *p);

/**
 * Load pair @p i: @p base and @p ft (new matrices, in double, of the same
 * shape). On failure prints the error (a shape mismatch of two .npy files is
 * one) and returns RK_EXIT_RUNTIME; both are then empty.
 */
int cli_pairs_load(const char *cmd, const cli_pairs *p, size_t i, rk_mat *base, rk_mat *ft);

/**
 * Load pair @p i and form @p delta = FINETUNED − BASE (a new matrix, in
 * double), storing the shape. On failure prints the error and returns
 * RK_EXIT_RUNTIME (a shape mismatch of two .npy files is one).
 */
int cli_pairs_delta(const char *cmd, const cli_pairs *p, size_t i, rk_mat *delta);

/** The open FINETUNED safetensors file (to copy its other tensors), or NULL for two matrices. */
const rk_st_file *cli_pairs_ft_file(const cli_pairs *p);

/** Release what cli_pairs_open made. */
void cli_pairs_close(cli_pairs *p);

/**
 * The PEFT module name of a weight tensor: "linear1.weight" → "linear1",
 * "base_model.model.x.weight" → "x"; a name without ".weight" is kept whole.
 * For a .npy file (tensor NULL): the file's base name without directory and
 * extension ("out/fc2.npy" → "fc2"). Returns an rk_alloc'd string or NULL.
 */
char *cli_module_name(const char *tensor, const char *file);

#endif
