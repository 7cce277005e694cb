/*
 * cli_pairs.h — the BASE FINETUNED arguments of `ranklab delta` and
 * `ranklab extract`: which weight matrices to subtract.
 *
 *   two .npy files (or two FILE.safetensors:TENSOR specs)   one pair
 *   two checkpoints (.safetensors files, model directories, sharded
 *   directories with model.safetensors.index.json)         every tensor with the
 *       same name, the same shape and 2 dimensions in both (or only --tensor NAME,
 *       or those --modules selects); the others are listed as skipped with the reason
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

#include <getopt.h>
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
    size_t n_unselected;    /**< tensors --modules left out (not listed) */
    const char *base_name_or_path;  /**< BASE's config.json _name_or_path, or NULL */
    const char *ft_name_or_path;    /**< FINETUNED's config.json _name_or_path, or NULL */
    void *priv;             /**< the open checkpoints (safetensors) */
} cli_pairs;

/** What delta and extract share: BASE FINETUNED and the options that choose and read the pairs. */
typedef struct cli_ckpt_opts {
    const char *base, *ft; /**< BASE FINETUNED, the positional arguments */
    const char *tensor;    /**< --tensor NAME, or NULL */
    const char *modules;   /**< --modules PATTERN, or NULL */
    int iters;             /**< --iters Q, or -1: stop when the error settles (rk_trunc_f32_rsvd_opts) */
    bool exact;            /**< --exact: the dense SVD in double */
    bool quiet;            /**< -q, --quiet: no progress */
    bool json;             /**< --json: one JSON object on stdout */
} cli_ckpt_opts;

enum { CLI_OPT_MODULES = 1201, CLI_OPT_ITERS, CLI_OPT_EXACT, CLI_OPT_TENSOR, CLI_OPT_JSON };

/** Their getopt_long entries, to put in a command's option table. */
#define CLI_CKPT_LONGOPTS                                                                      \
    { "tensor", required_argument, NULL, CLI_OPT_TENSOR },                                     \
        { "modules", required_argument, NULL, CLI_OPT_MODULES },                               \
        { "iters", required_argument, NULL, CLI_OPT_ITERS },                                   \
        { "exact", no_argument, NULL, CLI_OPT_EXACT }, { "quiet", no_argument, NULL, 'q' },    \
        { "json", no_argument, NULL, CLI_OPT_JSON }

/**
 * Handle getopt_long's @p c when it is one of CLI_CKPT_LONGOPTS (or 'q'), as
 * a cli_option_fn does: RK_EXIT_OK, the usage error's status, or
 * CLI_OPT_UNKNOWN when @p c is another option.
 */
int cli_ckpt_option(const char *cmd, int c, const char *arg, cli_ckpt_opts *o);

/**
 * The pairs of a command over @p o (BASE, FINETUNED, --tensor, --modules):
 * cli_pairs_open. Exit status as there.
 */
int cli_ckpt_open(const char *cmd, const cli_ckpt_opts *o, cli_pairs *p);

/** What is done with pair @p i (an exit status: a failure stops the run). */
typedef int (*cli_pair_fn)(const cli_pairs *p, size_t i, void *ctx);

/**
 * Every pair in turn, with progress on stderr (cli_progress.h: a
 * bar, or a line a module, for large checkpoints unless @p quiet): @p fn for
 * pair 0, 1, … until one fails. *@p done counts the calls made (the failed
 * one included, so that what it holds is released). Returns the exit status.
 */
int cli_pairs_each(const char *cmd, const cli_pairs *p, bool quiet, cli_pair_fn fn, void *ctx, size_t *done);

/** A weight difference ΔW = W_ft − W_base in float32, row-major m×n. */
typedef struct cli_delta32 {
    float *data;   /**< (m×n), owned unless borrowed */
    size_t m, n;
    bool borrowed; /**< data is the pairs' shared buffer (two checkpoints): valid until the next pair */
} cli_delta32;

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
 * Open BASE and FINETUNED and decide the pairs. Two checkpoints (each a
 * .safetensors file or a directory: lib/io/shards.h) are opened by their
 * headers only. @p tensor (may be NULL) selects one tensor; then that tensor
 * must be in both with the same 2-d shape. @p modules (may be NULL): a
 * comma-separated list of shell globs (fnmatch) matched against each
 * tensor's module name and its full name; the others are left out, counted
 * in n_unselected. On failure prints the error (naming the file at fault)
 * and returns RK_EXIT_RUNTIME (or RK_EXIT_USAGE for --tensor or --modules
 * with .npy files); *p is then empty.
 */
int cli_pairs_open(const char *cmd, const char *base, const char *ft, const char *tensor,
                   const char *modules, cli_pairs *p);

/** The shape m×n of pair @p i of two checkpoints (known from the headers); 0×0 for .npy files. */
void cli_pairs_shape(const cli_pairs *p, size_t i, size_t *m, size_t *n);

/** Σ m·n over the pairs of two checkpoints (0 for .npy files): the work ahead. */
size_t cli_pairs_elements(const cli_pairs *p);

/**
 * Load pair @p i as ΔW = FINETUNED − BASE in float32 into @p d: both
 * tensors are read a chunk at a time and subtracted as they are read
 * (rk_st_tensor_diff_f32) into one m×n float buffer that the pairs share (it
 * grows to the largest pair and is reused: d->borrowed), so memory is one
 * m×n float buffer for the whole walk. NaN/Inf is
 * left to the decomposition's own check (then cli_pairs_nonfinite). On
 * failure prints "ranklab CMD: FILE: ..." naming the shard at fault and
 * returns RK_EXIT_RUNTIME.
 */
int cli_pairs_delta_f32(const char *cmd, const cli_pairs *p, size_t i, cli_delta32 *d);

/**
 * After a decomposition of pair @p i failed with RK_ENONFINITE: find the side
 * holding NaN or Inf (reading the tensors again) and print "ranklab CMD:
 * SHARD: tensor 'T' holds NaN or Inf" (or that FINETUNED − BASE overflows
 * float32). Returns RK_EXIT_RUNTIME. The normal path pays no extra pass: the
 * check is the one rk_rsvd_f32 makes while it sums ‖ΔW‖_F.
 */
int cli_pairs_nonfinite(const char *cmd, const cli_pairs *p, size_t i);

/** Release @p d's buffer. */
void cli_delta32_free(cli_delta32 *d);

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

/**
 * Report a failure on the difference of pair @p i — it belongs to both
 * files: "ranklab CMD: FINETUNED - BASE, tensor 'NAME': message" (without
 * the tensor for two .npy files), names escaped. Returns RK_EXIT_RUNTIME.
 */
int cli_pairs_fail(const char *cmd, const cli_pairs *p, size_t i, rk_status s, const rk_err *err);

/** The open FINETUNED checkpoint (to copy its other tensors), or NULL for two matrices. */
const rk_shards *cli_pairs_ft(const cli_pairs *p);

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
