/*
 * cmd_delta.c — `ranklab delta BASE FINETUNED`: the weight difference
 * ΔW = W_finetuned − W_base of a fine-tune, and how low its rank is.
 *
 * For each ΔW (m×n, k = min(m, n), singular values σ₁ ≥ … ≥ σ_k):
 *   the top singular values with the cumulative energy,
 *   numerical rank #{σ_i > tol} (lib/linalg/rank.h),
 *   the error-vs-rank table of its truncations [ΔW]_r (Eckart–Young):
 *     ‖ΔW − [ΔW]_r‖_F = √(Σ_{i>r} σ_i²), relative to ‖ΔW‖_F, energy kept,
 *     parameters r·(m + n) of a rank-r LoRA adapter,
 *   the ranks keeping 90% and 99% of the energy, stable and effective rank
 * (lib/analysis/truncation.h: rk_trunc_table, rk_trunc_summarize), and with
 * --rules the rank of every rank rule (lib/linalg/rankrule.h).
 *
 * Only the top K (--top) are needed for the table up to rank K, because the
 * σ_i² add up to ‖ΔW‖_F²:  ‖ΔW − [ΔW]_r‖_F² = Σ_{i>r} σ_i² = ‖ΔW‖_F² − Σ_{i≤r} σ_i².
 * So a large ΔW of two checkpoints (rk_rsvd_worthwhile) is formed in float32
 * and decomposed by the randomized SVD, top K only (rk_rsvd_f32, which sums
 * ‖ΔW‖_F in the same pass that checks it for NaN), and the table up to K, the
 * energy kept and the ranks for 90%/99% up to K are exact
 * (rk_trunc_table_top); the effective rank and ranks above K need every σ:
 * --exact keeps the dense SVD in double.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_pairs.h"
#include "cli_plot.h"
#include "cli_rule.h"
#include "cli_tol.h"
#include "commands.h"

static const char delta_usage[] =
    "usage: ranklab delta BASE FINETUNED [--tensor NAME] [--modules PATTERN]\n"
    "                     [--ranks R1,R2,...] [--top K] [--exact] [--iters Q]\n"
    "                     [--tol T | --rtol R]\n"
    "                     [--plot FILE.png|FILE.svg|-] [--format png|svg] [--rules]\n"
    "                     [--quiet] [--json]\n"
    "\n"
    "The weight difference dW = FINETUNED - BASE and its spectrum: singular\n"
    "values, numerical rank, the error-vs-rank table of its truncations\n"
    "  r, ||dW - dW_r||_F = sqrt(sum_{i>r} sigma_i^2), relative error,\n"
    "  energy kept sum_{i<=r} sigma_i^2 / sum sigma_i^2, parameters r*(m+n),\n"
    "the ranks keeping 90% and 99% of the energy, stable and effective rank.\n"
    "\n"
    "BASE and FINETUNED are two .npy files (or FILE.safetensors:TENSOR specs),\n"
    "or two checkpoints (a .safetensors file, a model directory, or a sharded\n"
    "directory with model.safetensors.index.json): then every tensor with the\n"
    "same name and shape and 2 dimensions in both is compared, one pair at a\n"
    "time, and the others are listed as skipped with the reason.\n"
    "\n"
    "Large differences (min(m, n) >= 512, K <= min(m, n)/8) of two checkpoints\n"
    "are decomposed by the randomized SVD, top K only, in float32 with a double\n"
    "finish: since ||dW - dW_r||_F^2 = ||dW||_F^2 - sum_{i<=r} sigma_i^2, the table\n"
    "up to rank K, the energy and the ranks for 90%/99% up to K are still exact\n"
    "(||dW||_F is summed from the entries); the effective rank and ranks above K\n"
    "need --exact.\n"
    "\n"
    "Options:\n"
    "  --tensor NAME     compare only tensor NAME of two checkpoints\n"
    "  --modules PATTERN only the modules matching PATTERN (comma-separated shell\n"
    "                    globs on the module name, e.g. 'model.layers.0.*')\n"
    "  --ranks LIST      ranks of the error table, comma-separated integers >= 0\n"
    "                    (default 1, 2, 4, ... up to min(m, n), and min(m, n));\n"
    "                    ranks above a tensor's min(m, n) (or above K when only\n"
    "                    the top K are computed) are left out for it\n"
    "  --top K           show the first K singular values (default 10; 0 hides\n"
    "                    them). JSON output always has every value computed.\n"
    "  --exact           always the dense SVD in double (every singular value)\n"
    "  --iters Q         exactly Q power iterations of the top-K randomized SVD\n"
    "                    (each is two passes over dW); by default they stop once\n"
    "                    the error at rank K moves by < 1% (at most 6)\n"
    "  --tol T           rank = number of sigma_i > T (absolute tolerance)\n"
    "  --rtol R          rank = number of sigma_i > R * sigma_1\n"
    "                    default: sigma_i > sigma_1 * max(m, n) * eps\n"
    "  --plot FILE       scree plot of the spectrum (log sigma_k, cumulative\n"
    "                    energy, the rank tolerance) as PNG, or SVG for FILE.svg;\n"
    "                    '-' draws it in the terminal. FILE.dat (the numbers) and\n"
    "                    FILE.gp (the gnuplot script) are written beside it.\n"
    "                    Several tensors share one plot (at most 16: use --tensor).\n"
    "                    Without gnuplot: a message, FILE.dat still written, exit 0.\n"
    "  --format FMT      png or svg, whatever FILE's extension\n"
    ;
/* The rest of the usage (one string literal may not exceed 4095 bytes in C11). */
static const char delta_usage_more[] =
    "  --rules           per tensor, the rank every rank rule picks at its default\n"
    "                    parameter (energy:0.9, sv_fro:0.9, sv_cumulative:0.9,\n"
    "                    sv_ratio:10, gd; docs/concepts/rank-rules.md), its\n"
    "                    threshold on sigma where it has one and the energy kept;\n"
    "                    JSON: rules per tensor. The rules need every singular\n"
    "                    value: --rules implies --exact. With --plot of one\n"
    "                    tensor, each rule is a labelled line on the scree plot\n"
    "  -q, --quiet       no progress on stderr (shown for large checkpoints)\n"
    "  --json            print one JSON object: base, finetuned, tensors (name,\n"
    "                    shape, method, frobenius_norm, spectral_norm,\n"
    "                    singular_values, cumulative_energy, rank, tol, tol_rule,\n"
    "                    rank_for_energy, stable_rank, effective_rank,\n"
    "                    error_table), skipped (name, reason), plot; figures that\n"
    "                    need the whole spectrum are null after a top-K SVD\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 ok (also when gnuplot is missing); 1 a file cannot be read\n"
    "(a missing or truncated shard, a bad index, NaN or Inf in a tensor), shapes\n"
    "differ (two .npy files), no tensor can be compared, or the plot cannot be\n"
    "written; 2 usage error.\n";

enum { OPT_RANKS = 1101, OPT_TOP, OPT_RULES };

/* The most ranks --ranks takes. */
#define MAX_RANKS 256

typedef struct delta_opts {
    cli_plot_opts p;      /* --plot, --format */
    size_t ranks[MAX_RANKS];
    size_t n_ranks;       /* 0: the default ranks */
    size_t top;
    bool rules;
    cli_ckpt_opts ck;     /* BASE FINETUNED, --tensor, --modules, --iters, --exact, --quiet, --json */
    rk_rank_opts tol;
    rk_plot_out out;      /* where --plot draws */
} delta_opts;

/* The result for one tensor. */
typedef struct delta_item {
    const char *name;      /* tensor name, NULL for two matrices */
    size_t m, n, k;        /* k: values in s (min(m, n), or K after a top-K SVD) */
    size_t kfull;          /* min(m, n) */
    bool top_only;         /* s holds the top K only (randomized SVD) */
    bool rank_known;       /* top_only: a value at or below tol was seen, so sum.rank is the rank */
    double *s;             /* (k) singular values of ΔW */
    rk_trunc_summary sum;
    rk_trunc_row *rows;    /* (n_rows) */
    size_t n_rows, n_left_out;
} delta_item;

/* --ranks 1,2,8 → opts->ranks; exit status. */
static int parse_ranks(const char *cmd, const char *arg, delta_opts *o)
{
    const char *p = arg;
    o->n_ranks = 0;
    while (1) {
        size_t len = strcspn(p, ",");
        char word[32];
        size_t r;
        if (len == 0 || len >= sizeof word)
            return cli_usage_error(cmd, "--ranks wants integers >= 0 separated by commas, not '%s'", arg);
        memcpy(word, p, len);
        word[len] = '\0';
        if (!cli_parse_size(word, SIZE_MAX, &r)) {
            if (word[0] == '-' && strspn(word + 1, "0123456789") == len - 1 && len > 1)
                return cli_usage_error(cmd, "--ranks: a rank must be >= 0, not %s", word);
            return cli_usage_error(cmd, "--ranks wants integers >= 0 separated by commas, not '%s'", arg);
        }
        if (o->n_ranks == MAX_RANKS)
            return cli_usage_error(cmd, "--ranks takes at most %d ranks", MAX_RANKS);
        o->ranks[o->n_ranks++] = r;
        if (!p[len])
            break;
        p += len + 1;
    }
    return RK_EXIT_OK;
}

/* One option of delta's own (cli_option_fn). */
static int delta_option(const char *cmd, int c, const char *arg, void *opts)
{
    delta_opts *o = opts;
    int rc = cli_ckpt_option(cmd, c, arg, &o->ck);
    if (rc == CLI_OPT_UNKNOWN)
        rc = cli_plot_option(c, arg, &o->p);
    if (rc != CLI_OPT_UNKNOWN)
        return rc;
    switch (c) {
    case OPT_RANKS:
        return parse_ranks(cmd, arg, o);
    case OPT_TOP:
        if (!cli_parse_size(arg, SIZE_MAX, &o->top))
            return cli_usage_error(cmd, "--top wants an integer >= 0, not '%s'", arg);
        return RK_EXIT_OK;
    case CLI_OPT_TOL:
    case CLI_OPT_RTOL:
        return cli_tol_option(cmd, &o->tol, c, arg);
    case OPT_RULES:
        o->rules = true;
        return RK_EXIT_OK;
    default:
        return CLI_OPT_UNKNOWN;
    }
}

/* Parse the options; exit status (RK_EXIT_OK to go on, -1 after --help). */
static int parse_args(int argc, char **argv, delta_opts *o)
{
    static const struct option longopts[] = {
        { "ranks", required_argument, NULL, OPT_RANKS },
        { "top", required_argument, NULL, OPT_TOP },
        CLI_TOL_LONGOPTS,
        CLI_PLOT_LONGOPTS,
        { "rules", no_argument, NULL, OPT_RULES },
        CLI_CKPT_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { delta_usage, delta_usage_more, NULL };
    const char *cmd = "delta";
    int rc = cli_options(cmd, argc, argv, ":hq", longopts, usage, delta_option, o);
    if (rc != RK_EXIT_OK)
        return rc;
    if ((rc = cli_pairs_args(cmd, argc, argv, &o->ck.base, &o->ck.ft)) != RK_EXIT_OK)
        return rc;
    if ((rc = cli_plot_options(cmd, o->p.plot, o->p.format, o->ck.json, &o->out)) != RK_EXIT_OK)
        return rc;
    if (o->ck.tensor && !*o->ck.tensor)
        return cli_usage_error(cmd, "--tensor wants a tensor name");
    return RK_EXIT_OK;
}

/* The ranks of the table for @p it: those asked for (or the defaults) up to
 * the largest known, it->k; the others counted as left out. Exit status. */
static int table_ranks(const delta_opts *o, delta_item *it, size_t *use, size_t *n_use)
{
    size_t def[70], n_def = rk_trunc_default_ranks(it->top_only ? it->k : it->kfull, def, 70);
    const size_t *want = o->n_ranks ? o->ranks : def;
    size_t n_want = o->n_ranks ? o->n_ranks : n_def;
    *n_use = 0;
    for (size_t j = 0; j < n_want; j++) {
        if (want[j] <= it->k)
            use[(*n_use)++] = want[j];
        else
            it->n_left_out++;
    }
    it->rows = rk_calloc(*n_use ? *n_use : 1, sizeof *it->rows);
    if (!it->rows)
        return cli_fail("delta", NULL, RK_ENOMEM, NULL);
    it->n_rows = *n_use;
    return RK_EXIT_OK;
}

/* it->s and it->k from @p svd's values (taken over: freed with the item); the rest of svd freed. */
static void take_values(delta_item *it, rk_svd *svd)
{
    it->k = svd->k;
    it->s = svd->s;
    svd->s = NULL;
    rk_svd_free(svd);
}

/* Top K of a large ΔW of two checkpoints (float32, randomized); exit status. */
static int analyse_top(const delta_opts *o, const cli_pairs *p, size_t i, delta_item *it)
{
    cli_delta32 d;
    int rc = cli_pairs_delta_f32("delta", p, i, &d);
    if (rc != RK_EXIT_OK)
        return rc;
    rk_rsvd_opts ro = rk_trunc_f32_rsvd_opts(o->top, o->ck.iters);
    rk_svd svd;
    double fro = 0.0;
    rk_status s = rk_rsvd_f32(&svd, d.data, d.m, d.n, &ro, NULL, &fro);
    cli_delta32_free(&d);
    if (s == RK_ENONFINITE)
        return cli_pairs_nonfinite("delta", p, i);
    if (s != RK_OK)
        return cli_fail("delta", p->ft, s, NULL);
    it->top_only = true;
    take_values(it, &svd);
    size_t use[MAX_RANKS > 70 ? MAX_RANKS : 70], n_use;
    if ((rc = table_ranks(o, it, use, &n_use)) != RK_EXIT_OK)
        return rc;
    if ((s = rk_trunc_table_top(it->s, it->k, fro, it->m, it->n, use, n_use, it->rows)) != RK_OK)
        return cli_fail("delta", NULL, s, NULL);
    rk_trunc_summary *sum = &it->sum;
    sum->fro = fro;
    sum->spectral = it->s[0];
    sum->rank = rk_rank_from_values(it->s, it->k, it->m, it->n, &o->tol, &sum->tol);
    it->rank_known = sum->rank < it->k;
    sum->rank_90 = rk_trunc_rank_for_energy_top(it->s, it->k, fro, 0.9);
    sum->rank_99 = rk_trunc_rank_for_energy_top(it->s, it->k, fro, 0.99);
    sum->stable_rank = it->s[0] > 0 ? (fro / it->s[0]) * (fro / it->s[0]) : 0.0;
    sum->effective_rank = NAN; /* needs every σ */
    return RK_EXIT_OK;
}

/* Decompose pair @p i of @p p into @p it; exit status. */
static int analyse(const delta_opts *o, const cli_pairs *p, size_t i, delta_item *it)
{
    const char *cmd = "delta";
    size_t m, n;
    cli_pairs_shape(p, i, &m, &n);
    it->name = p->names[i];
    it->m = m;
    it->n = n;
    it->kfull = m < n ? m : n;
    if (p->safetensors && !o->ck.exact && !o->rules && rk_rsvd_worthwhile(m, n, o->top))
        return analyse_top(o, p, i, it);
    rk_mat d;
    int rc = cli_pairs_delta(cmd, p, i, &d);
    if (rc != RK_EXIT_OK)
        return rc;
    rk_svd svd;
    rk_status s = rk_svd_decomp(&svd, &d, RK_SVD_VALUES);
    rk_mat_free(&d);
    if (s != RK_OK)
        return cli_pairs_fail(cmd, p, i, s, NULL);
    it->m = svd.m;
    it->n = svd.n;
    it->kfull = svd.k;
    take_values(it, &svd);
    size_t use[MAX_RANKS > 70 ? MAX_RANKS : 70], n_use;
    if ((rc = table_ranks(o, it, use, &n_use)) != RK_EXIT_OK)
        return rc;
    if ((s = rk_trunc_table(it->s, it->k, it->m, it->n, use, n_use, it->rows)) != RK_OK ||
        (s = rk_trunc_summarize(it->s, it->k, it->m, it->n, &o->tol, &it->sum)) != RK_OK)
        return cli_fail(cmd, NULL, s, NULL);
    return RK_EXIT_OK;
}

/* Σ_{j<i} σ_j² / ‖ΔW‖_F²: against the whole spectrum, or against ‖ΔW‖_F² from the entries after a top-K SVD. */
static double energy_at(const delta_item *it, size_t i)
{
    if (!it->top_only)
        return rk_spectrum_energy(it->s, it->k, i);
    double kept = 0.0, fro2 = it->sum.fro * it->sum.fro;
    for (size_t j = 0; j < i; j++)
        kept += it->s[j] * it->s[j];
    return fro2 > 0 ? (kept < fro2 ? kept / fro2 : 1.0) : 0.0;
}

/* "r = 12", or "r > K" when the top K do not reach the level. */
static void rank_text(char *buf, size_t cap, size_t r, const delta_item *it)
{
    if (r == SIZE_MAX)
        snprintf(buf, cap, "r > %zu", it->k);
    else
        snprintf(buf, cap, "r = %zu", r);
}

static void print_summary(const delta_opts *o, const delta_item *it)
{
    char v[64], a[32], b[32];
    snprintf(v, sizeof v, "%.10g", it->sum.fro);
    cli_print_row("||dW||_F", v, it->top_only ? "(sqrt(sum dW_ij^2), from the entries)" : "(sqrt(sum sigma_i^2))");
    snprintf(v, sizeof v, "%.10g", it->sum.spectral);
    cli_print_row("||dW||_2", v, "(sigma_1)");
    if (it->top_only && !it->rank_known)
        snprintf(v, sizeof v, ">= %zu", it->k);
    else
        snprintf(v, sizeof v, "%zu", it->sum.rank);
    cli_print_row("rank", v, it->top_only && !it->rank_known ? "(all top K values are above tol; --exact for the rank)"
                                                             : "(sigma_i > tol)");
    snprintf(v, sizeof v, "%.6g", it->sum.tol);
    printf("%-18s%-20s(", "tol", v);
    cli_tol_print_rule(stdout, &o->tol);
    printf(")\n");
    snprintf(v, sizeof v, "%.6g", it->sum.stable_rank);
    cli_print_row("stable rank", v, "(||dW||_F^2 / sigma_1^2)");
    if (it->top_only) {
        cli_print_row("effective rank", "-", "(needs every sigma: --exact)");
    } else {
        snprintf(v, sizeof v, "%.6g", it->sum.effective_rank);
        cli_print_row("effective rank", v, "(exp(-sum p_i log p_i), p = sigma / sum sigma)");
    }
    rank_text(a, sizeof a, it->sum.rank_90, it);
    rank_text(b, sizeof b, it->sum.rank_99, it);
    printf("%-18s90%% at %s, 99%% at %s\n", "energy reached", a, b);
}

static void print_item(const delta_opts *o, const delta_item *it)
{
    char v[64], note[160];
    if (it->name)
        printf("tensor            %s\n", cli_name(it->name));
    snprintf(v, sizeof v, "%zu x %zu", it->m, it->n);
    snprintf(note, sizeof note, "(min(m, n) = %zu, m*n = %zu parameters)", it->kfull, it->m * it->n);
    cli_print_row("shape", v, note);
    if (it->top_only)
        printf("%-18srandomized SVD (Halko–Martinsson–Tropp), top %zu of min(m,n) = %zu, dW in float32; "
               "--exact for the full SVD\n", "method", it->k, it->kfull);
    print_summary(o, it);
    size_t top = o->top < it->k ? o->top : it->k;
    if (top > 0) {
        printf("\n   k           sigma_k   energy(<=k)\n");
        for (size_t i = 0; i < top; i++)
            printf("%4zu  %16.10g  %.10f\n", i + 1, it->s[i], energy_at(it, i + 1));
        if (top < it->k)
            printf("  ... %zu more (use --top to show them)\n", it->k - top);
        else if (it->top_only)
            printf("  ... %zu more, not computed\n", it->kfull - it->k);
    }
    if (it->n_rows > 0) {
        printf("\n   r    ||dW - dW_r||_F    relative   energy kept   params r(m+n)\n");
        for (size_t i = 0; i < it->n_rows; i++) {
            const rk_trunc_row *row = &it->rows[i];
            printf("%4zu  %17.10g  %10.3e  %12.10f  %14zu\n", row->r, row->fro_err, row->rel_err,
                   row->energy, row->params);
        }
        if (it->top_only)
            printf("  (exact: ||dW - dW_r||_F^2 = ||dW||_F^2 - sum_{i<=r} sigma_i^2)\n");
    }
    if (it->n_left_out && it->top_only)
        printf("  (%zu rank%s above K = %zu left out: --top or --exact)\n", it->n_left_out,
               it->n_left_out == 1 ? "" : "s", it->k);
    else if (it->n_left_out)
        printf("  (%zu rank%s above min(m, n) = %zu left out)\n", it->n_left_out,
               it->n_left_out == 1 ? "" : "s", it->k);
    if (o->rules) {
        printf("\n");
        cli_rule_print(it->s, it->k, it->m, it->n);
    }
}

static void print_text(const delta_opts *o, const cli_pairs *p, const delta_item *items, size_t n)
{
    printf("base              %s\n", o->ck.base);
    printf("finetuned         %s\n", o->ck.ft);
    printf("delta             dW = finetuned - base\n");
    if (p->n_unselected)
        printf("%-18s%zu tensors not selected by --modules %s\n", "", p->n_unselected, o->ck.modules);
    if (p->safetensors) {
        printf("%-18s%zu compared, %zu skipped\n", "tensors", n, p->n_skipped);
        for (size_t i = 0; i < p->n_skipped; i++)
            printf("  skipped         %s: %s\n", cli_name(p->skipped[i].name), p->skipped[i].reason);
    }
    for (size_t i = 0; i < n; i++) {
        printf("\n");
        print_item(o, &items[i]);
    }
}

static json_t *item_json(const delta_opts *o, const delta_item *it)
{
    json_t *t = json_object(), *shape = json_array(), *sv = json_array(), *en = json_array();
    json_t *levels = json_object(), *table = json_array();
    int bad = !t || !shape || !sv || !en || !levels || !table;
    bad |= json_object_set_new(t, "name", it->name ? json_string(it->name) : json_null());
    bad |= json_array_append_new(shape, json_integer((json_int_t)it->m));
    bad |= json_array_append_new(shape, json_integer((json_int_t)it->n));
    bad |= json_object_set_new(t, "shape", shape);
    bad |= json_object_set_new(t, "method", json_string(it->top_only ? "randomized" : "exact"));
    bad |= json_object_set_new(t, "frobenius_norm", json_real(it->sum.fro));
    bad |= json_object_set_new(t, "spectral_norm", json_real(it->sum.spectral));
    for (size_t i = 0; i < it->k; i++) {
        bad |= json_array_append_new(sv, json_real(it->s[i]));
        bad |= json_array_append_new(en, json_real(energy_at(it, i + 1)));
    }
    bad |= json_object_set_new(t, "singular_values", sv);
    bad |= json_object_set_new(t, "cumulative_energy", en);
    bad |= json_object_set_new(t, "rank", it->top_only && !it->rank_known ? json_null()
                                                                       : json_integer((json_int_t)it->sum.rank));
    bad |= cli_tol_json(t, &o->tol, it->sum.tol);
    bad |= json_object_set_new(levels, "0.9", it->sum.rank_90 == SIZE_MAX ? json_null()
                                                       : json_integer((json_int_t)it->sum.rank_90));
    bad |= json_object_set_new(levels, "0.99", it->sum.rank_99 == SIZE_MAX ? json_null()
                                                        : json_integer((json_int_t)it->sum.rank_99));
    bad |= json_object_set_new(t, "rank_for_energy", levels);
    bad |= json_object_set_new(t, "stable_rank", json_real(it->sum.stable_rank));
    bad |= json_object_set_new(t, "effective_rank", cli_json_real_or_null(it->sum.effective_rank));
    for (size_t i = 0; i < it->n_rows; i++) {
        const rk_trunc_row *row = &it->rows[i];
        json_t *r = json_object();
        bad |= !r;
        bad |= json_object_set_new(r, "rank", json_integer((json_int_t)row->r));
        bad |= json_object_set_new(r, "frobenius_error", json_real(row->fro_err));
        bad |= json_object_set_new(r, "spectral_error", cli_json_real_or_null(row->spectral_err));
        bad |= json_object_set_new(r, "relative_error", json_real(row->rel_err));
        bad |= json_object_set_new(r, "energy_kept", json_real(row->energy));
        bad |= json_object_set_new(r, "params", json_integer((json_int_t)row->params));
        bad |= json_array_append_new(table, r);
    }
    bad |= json_object_set_new(t, "error_table", table);
    if (o->rules) {
        json_t *rules = cli_rule_json(it->s, it->k, it->m, it->n);
        bad |= !rules || json_object_set_new(t, "rules", rules);
    }
    if (bad) {
        json_decref(t);
        return NULL;
    }
    return t;
}

static json_t *build_json(const delta_opts *o, const cli_pairs *p, const delta_item *items, size_t n)
{
    json_t *obj = json_object(), *ts = json_array(), *sk = json_array();
    int bad = !obj || !ts || !sk;
    bad |= json_object_set_new(obj, "base", json_string(o->ck.base));
    bad |= json_object_set_new(obj, "finetuned", json_string(o->ck.ft));
    for (size_t i = 0; i < n; i++) {
        json_t *t = item_json(o, &items[i]);
        bad |= !t || json_array_append_new(ts, t);
    }
    for (size_t i = 0; i < p->n_skipped; i++)
        bad |= cli_skip_append_json(sk, &p->skipped[i]);
    bad |= json_object_set_new(obj, "tensors", ts);
    bad |= json_object_set_new(obj, "skipped", sk);
    bad |= json_object_set_new(obj, "plot", o->p.plot ? json_string(o->p.plot) : json_null());
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* The scree plot of one ΔW (with its tolerance) or of several; exit status. */
static int draw(const delta_opts *o, const delta_item *items, size_t n)
{
    const char *cmd = "delta";
    if (n > 16) {
        fprintf(stderr, "ranklab delta: %s: %zu tensors are too many for one plot (at most 16); "
                        "choose one with --tensor\n", o->p.plot, n);
        return RK_EXIT_RUNTIME;
    }
    rk_err err;
    rk_err_clear(&err);
    rk_status s;
    if (n == 1) {
        char title[512], name[256];
        snprintf(title, sizeof title, "Singular values of ΔW = finetuned − base%s%s",
                 items[0].name ? ": " : "",
                 items[0].name ? rk_plot_text_literal(name, sizeof name, items[0].name) : "");
        rk_plot_mark marks[8];
        char names[8][96];
        size_t nm = o->rules ? cli_rule_marks(items[0].s, items[0].k, items[0].m, items[0].n, marks, names) : 0;
        s = rk_plot_scree_marked(items[0].s, items[0].k, items[0].sum.tol, marks, nm, title, &o->out, &err);
    } else {
        rk_plot_spectrum sp[16];
        char names[16][256];  /* tensor names as they are: escaped for the plot's enhanced text */
        for (size_t i = 0; i < n; i++)
            sp[i] = (rk_plot_spectrum){ .name = rk_plot_text_literal(names[i], sizeof names[i], items[i].name),
                                        .s = items[i].s, .k = items[i].k };
        s = rk_plot_spectra(sp, n, false, NAN, "Singular values of ΔW = finetuned − base", &o->out, &err);
    }
    return cli_plot_finish(cmd, &o->out, s, &err, o->ck.json);
}

/* The items being filled, for cli_pairs_each. */
typedef struct delta_run {
    const delta_opts *o;
    delta_item *items;
} delta_run;

static int analyse_pair(const cli_pairs *p, size_t i, void *ctx)
{
    delta_run *run = ctx;
    return analyse(run->o, p, i, &run->items[i]);
}

int cmd_delta(int argc, char **argv)
{
    delta_opts o = { .top = 10, .ck.iters = -1, .tol = { RK_TOL_DEFAULT, 0.0 } };
    int rc = parse_args(argc, argv, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    cli_pairs p;
    if ((rc = cli_ckpt_open("delta", &o.ck, &p)) != RK_EXIT_OK)
        return rc;
    delta_item *items = rk_calloc(p.n, sizeof *items);
    if (!items) {
        cli_pairs_close(&p);
        return cli_fail("delta", NULL, RK_ENOMEM, NULL);
    }
    size_t done;
    rc = cli_pairs_each("delta", &p, o.ck.quiet, analyse_pair, &(delta_run){ &o, items }, &done);
    if (rc == RK_EXIT_OK) {
        if (o.ck.json) {
            rc = cli_json_print("delta", build_json(&o, &p, items, p.n));
        } else {
            print_text(&o, &p, items, p.n);
            if (o.p.plot)
                printf("\n");
        }
        fflush(stdout);
    }
    if (rc == RK_EXIT_OK && o.p.plot)
        rc = draw(&o, items, p.n);
    for (size_t i = 0; i < done; i++) {
        rk_free(items[i].s);
        rk_free(items[i].rows);
    }
    rk_free(items);
    cli_pairs_close(&p);
    return rc;
}
