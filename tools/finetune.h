/*
 * finetune.h — the steps of `ranklab finetune` (tools/finetune_run.c), apart
 * from its option parsing (tools/cmd_finetune.c).
 */
#ifndef RK_TOOLS_FINETUNE_H
#define RK_TOOLS_FINETUNE_H

#include <stdbool.h>
#include <stddef.h>

#include "nn_cli.h"
#include "ranklab.h"

/** The parsed options. */
typedef struct ft_args {
    nn_cli_opts nn;        /* -o, -q, --data, --json, --threads, --batch, --lr, --seed */
    const char *base;
    bool full;
    rk_lora_config lora;   /* rank 0 = not given */
    bool alpha_given;
    long cls;              /* -1 = auto */
    size_t steps;
} ft_args;

/** Everything a fine-tune run holds; zero it first, release it with ft_free. */
typedef struct ft_run {
    rk_mlp base;        /* W0, as loaded; LoRA trains on it in place (frozen; PiSSA replaces
                           its adapted weights by the residual after the base is evaluated) */
    rk_mlp work;        /* full only: the copy of the base that trains (empty for LoRA) */
    rk_mlp *net;        /* the net that runs: &work (full) or &base (LoRA) */
    rk_lora lo;         /* LoRA adapters (LoRA only) */
    float *lo_init;     /* (lo.n_params) adapter at init, PiSSA only */
    rk_dataset train, test;
    rk_eval before, after;
    int cls;            /* target class */
    size_t *order;      /* (n_order) training rows of the class */
    size_t n_order;
    float *losses;      /* (steps) */
    rk_train_result res;
    rk_mat delta[RK_MLP_MAX_LAYERS];
    char *paths[3];     /* model or adapter dir, delta file (where they will be), json file (being written) */
    rk_out_dir od;      /* the output folder being built (lib/io/output.h) */
} ft_run;

/** Load the base model and the data, evaluate the base, choose the class. Returns an exit status. */
int ft_setup(ft_args *a, ft_run *r);

/** Create the trainable net or adapters and train. Returns an exit status. */
int ft_train(const ft_args *a, ft_run *r);

/**
 * Evaluate, compute the deltas and write the output files into r->od (opened
 * here when the caller has not opened it already). Returns an exit status.
 */
int ft_save(const ft_args *a, ft_run *r);

/** Print the tables or the JSON object (and write DIR/finetune.json). Returns an exit status. */
int ft_report(const ft_args *a, ft_run *r, int threads, bool ftz, double seconds);

/** Release what @p r holds. */
void ft_free(ft_run *r);

#endif
