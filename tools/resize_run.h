/*
 * resize_run.h — the steps of `ranklab resize` (tools/cmd_resize.c): read the
 * adapter and decompose each module from its factors, choose the ranks, write
 * the new adapter, describe it in JSON.
 */
#ifndef RK_TOOLS_RESIZE_RUN_H
#define RK_TOOLS_RESIZE_RUN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli_rule.h"
#include "ranklab.h"

/** The command line. */
typedef struct resize_opts {
    const char *adapter, *out;
    cli_rank_opts rank;   /* --rank-rule / -r, --max-rank */
    bool json;
} resize_opts;

/** One module: its update's SVD from the factors and the rank chosen. */
typedef struct resize_item {
    const rk_peft_module *mod;   /* in the adapter */
    rk_svd svd;                  /* thin SVD of s·B·A, k = min(m, n, r) triplets */
    double *spectrum;            /* (kfull) svd.s then exact zeros, kfull = min(m, n) */
    size_t kfull;
    size_t rank;                 /* r', 0 when left out */
    const char *skip;            /* why r' = 0 */
    double alpha;                /* lora_alpha' = s·r' */
    double energy, rel_err;      /* Σ_{i≤r'} σ_i² / Σ σ_i², ‖ΔW − [ΔW]_r'‖_F / ‖ΔW‖_F */
    float *b, *a;                /* (m×r'), (r'×n) */
} resize_item;

/** Everything one run holds. */
typedef struct resize_job {
    rk_peft_adapter ad;
    resize_item *items;          /* (n) in the adapter's module order */
    size_t n;
    size_t params_before, params_after;
    size_t spent;                /* budget:P */
    double shortfall;            /* budget:P, greedy's bound */
} resize_job;

/** Read the adapter, decompose every module, choose the ranks; exit status (messages printed). */
int resize_prepare(const resize_opts *o, resize_job *job);

/** Make the new factors and write the adapter into the folder @p dir (the output being built); exit status. */
int resize_write(const resize_opts *o, resize_job *job, const char *dir);

/** The --json object, or NULL when out of memory. */
json_t *resize_json(const resize_opts *o, const resize_job *job);

/** Release what @p job holds (safe on a job resize_prepare() emptied or filled). */
void resize_free(resize_job *job);

#endif
