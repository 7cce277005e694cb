/*
 * extract.h — what the steps of `ranklab extract` share (tools/cmd_extract.c
 * the command, tools/extract_rule.c the ranks chosen by a rule).
 */
#ifndef RK_TOOLS_EXTRACT_H
#define RK_TOOLS_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli_pairs.h"
#include "cli_rule.h"
#include "ranklab.h"

/** The ranks a rule other than fixed chose, from every pair's whole spectrum. */
typedef struct extract_plan {
    size_t n;            /* pairs */
    double **s;          /* (n) each pair's singular values, owned */
    rk_rule_spectrum *sp;  /* (n) s[i] with its k = min(m, n) and the shape of ΔW */
    size_t *ranks;       /* (n) the rule's rank; 0: left out */
    size_t spent;        /* budget:P: parameters spent */
    double shortfall;    /* budget:P: greedy's bound */
} extract_plan;

/** The command line. */
typedef struct extract_opts {
    const char *out, *module;
    double alpha;               /* --alpha (have_alpha), else each module's rank */
    bool have_alpha;
    cli_rank_opts rank;         /* --rank-rule, or fixed:R from --rank R; --max-rank */
    cli_ckpt_opts ck;           /* BASE FINETUNED, --tensor, --modules, --iters, --exact, --quiet, --json */
    const extract_plan *plan;   /* NULL for fixed:R */
} extract_opts;

/** One module's factors and errors. */
typedef struct extract_item {
    const char *tensor;      /* NULL for .npy */
    char *module;            /* owned */
    size_t m, n;
    size_t r;                /* its rank */
    double alpha;            /* its lora_alpha; scale s = alpha / r */
    float *b, *a;            /* (m×r), (r×n), owned */
    rk_trunc_row row;        /* errors from the spectrum */
    double norm;             /* ‖ΔW‖_F */
    double written_err;      /* ‖ΔW − s·B32·A32‖_F */
    bool randomized;         /* top r by rk_rsvd */
    double *sv;              /* (n_sv) singular values to report, owned */
    size_t n_sv;
} extract_item;

/**
 * For a rule other than fixed: read every pair, take the singular values of
 * ΔW (dense SVD in double, values only) and choose each module's rank by the
 * rule, or all of them together for budget:P, capped by --max-rank. Exit
 * status (messages printed); @p plan is to be freed either way.
 */
int extract_plan_make(const extract_opts *o, const cli_pairs *p, extract_plan *plan);

/** Release what @p plan holds (safe on a zeroed plan). */
void extract_plan_free(extract_plan *plan);

/** Why pair @p i gets rank 0 under the plan, for the skipped list. */
const char *extract_plan_skip_reason(const extract_plan *plan, size_t i);

/**
 * The singular values the item reports: the whole spectrum of pair @p i when
 * a plan computed it; else σ_i = s·‖column i of B32‖ (i ≤ r; the rows of
 * A = V_rᵀ are orthonormal) and σ_{r+1} when @p next (the dense SVD's
 * spectral error) is a number and r < min(m, n). Exit status.
 */
int extract_item_values(const extract_opts *o, size_t i, double next, extract_item *it);

/** fixed:R's rank: R capped by --max-rank. */
size_t extract_fixed_rank(const extract_opts *o);

/** The adapter's r: the most common module rank, ties to the smaller (as rk_peft_write). */
size_t extract_common_rank(const extract_item *items, size_t n);

/** The text output (tools/extract_report.c). */
void extract_print(const extract_opts *o, const cli_pairs *p, const extract_item *items, size_t n,
                   const cli_skip *sk, size_t n_sk);

/** The --json object, or NULL when out of memory. */
json_t *extract_json(const extract_opts *o, const cli_pairs *p, const extract_item *items,
                     size_t n, const cli_skip *sk, size_t n_sk);

#endif
