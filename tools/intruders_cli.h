/*
 * intruders_cli.h — the inputs and the output of `ranklab intruders`:
 * BASE with a fine-tuned model (two safetensors files, or two matrices, as
 * `delta` takes them) or with a PEFT LoRA adapter folder applied to it, one
 * (W0, W_ft) pair at a time; and the mitigated result, written as a model
 * (safetensors or .npy) or re-factored as an adapter of the same rank.
 */
#ifndef RK_TOOLS_INTRUDERS_CLI_H
#define RK_TOOLS_INTRUDERS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "cli_pairs.h"
#include "ranklab.h"

/** Where the (W0, W_ft) pairs come from. */
typedef struct intr_src {
    const char *base, *ft;     /**< the arguments as given */
    bool adapter;              /**< FINETUNED is a PEFT adapter folder */
    cli_pairs pairs;           /**< model case: the pairs (and the skipped tensors) */
    rk_st_file base_file;      /**< adapter case: BASE */
    rk_peft_adapter ad;        /**< adapter case: the adapter */
    const rk_st_tensor **w0;   /**< adapter case: (n) module i's weight in BASE */
    size_t n;                  /**< pairs */
    const char **names;        /**< (n) tensor names (model) or module names (adapter); NULL for two matrices */
} intr_src;

/**
 * Open BASE and FINETUNED (a directory is read as an adapter, which then
 * needs BASE to be a .safetensors file holding MODULE.weight for each of its
 * modules, shaped (Out, In)). @p tensor (NULL or a name) selects one pair.
 * Prints the error and returns an exit status; on failure *src is closed.
 */
int intr_open(const char *cmd, const char *base, const char *ft, const char *tensor, intr_src *src);

/**
 * Pair @p i as new double matrices: @p w0 and @p w_ft (model: the two
 * tensors; adapter: W0 + s·B·A). Prints the error and returns an exit status.
 */
int intr_load(const char *cmd, const intr_src *src, size_t i, rk_mat *w0, rk_mat *w_ft);

/** Release what intr_open made. */
void intr_close(intr_src *src);

/** The mitigated output being assembled; written only at the end, as a whole. */
typedef struct intr_out {
    const char *path;          /**< -o OUT */
    rk_st_writer *writer;      /**< model, safetensors */
    rk_mat npy;                /**< model, two matrices: W′ */
    rk_peft_lora *mods;        /**< adapter: (n) the re-factored modules */
    float **bufs;              /**< adapter: (n_bufs) their A and B */
    size_t n_bufs;             /**< adapter: 2 × the modules */
    size_t n_mods;             /**< adapter: modules added */
    rk_out_dir dir;            /**< adapter: the folder being built */
    bool dir_open;             /**< dir is started and not yet committed */
} intr_out;

/**
 * Prepare @p o for @p src before any work, by the output rules of
 * tools/cli_output.h: a file output is checked, an adapter folder started
 * (and refused when BASE or FINETUNED lies inside it). Prints the error; exit status.
 */
int intr_out_begin(const char *cmd, const intr_src *src, const char *path, intr_out *o);

/**
 * Add pair @p i's mitigated weight @p w (W′, m×n; overwritten for an
 * adapter). For an adapter, (W′ − W0)/s is re-factored at the module's rank
 * and *@p rel_left receives the part of it the rank leaves out (NaN for a
 * model). Prints the error; exit status.
 */
int intr_out_add(const char *cmd, const intr_src *src, size_t i, rk_mat *w, const rk_mat *w0,
                 intr_out *o, double *rel_left);

/** Write everything (model: FINETUNED's other tensors copied) atomically. Exit status. */
int intr_out_commit(const char *cmd, const intr_src *src, intr_out *o);

/** Release @p o (nothing is written). */
void intr_out_free(intr_out *o);

#endif
