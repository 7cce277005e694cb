/*
 * cmd_extract.c — `ranklab extract --rank R BASE FINETUNED -o DIR`: the rank-R
 * LoRA adapter closest to a fine-tune's weight difference ΔW = W_ft − W_base.
 *
 * From the thin SVD ΔW = U·S·Vᵀ (lib/analysis/truncation.h, rk_trunc_lora):
 *
 *   B = U_R·S_R·(R/α)  (m×R),   A = V_Rᵀ  (R×n),   PEFT scale s = α/R,
 *
 * so s·B·A = U_R·S_R·V_Rᵀ = [ΔW]_R, the closest matrix of rank ≤ R
 * (Eckart–Young–Mirsky). The default α = R makes s = 1 and B = U_R·S_R, the
 * LoRA tutorial's split. The error it leaves, ‖ΔW − [ΔW]_R‖_F = √(Σ_{i>R} σ_i²),
 * comes from the spectrum; the factors are stored in float32 (PEFT's dtype), so
 * the error of the written adapter, formed from the float32 factors, is
 * printed too. The adapter is written by lib/io/peft.h a module at a time
 * (rk_peft_stream_add), so the factors already done are on disk, not in memory.
 */
#include <errno.h>
#include <float.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "cli_pairs.h"
#include "cli_rule.h"
#include "commands.h"
#include "extract.h"

static const char extract_usage[] =
    "usage: ranklab extract (-r R | --rank-rule RULE) BASE FINETUNED -o ADAPTER_DIR\n"
    "                       [--max-rank R] [--tensor NAME] [--modules PATTERN]\n"
    "                       [--alpha A] [--module NAME] [--exact] [--iters Q]\n"
    "                       [--quiet] [--json]\n"
    "\n"
    "The rank-R LoRA adapter that best approximates the weight difference\n"
    "dW = FINETUNED - BASE, written in Hugging Face PEFT's layout\n"
    "(ADAPTER_DIR/adapter_config.json and adapter_model.safetensors). From the\n"
    "SVD dW = U S V^T:\n"
    "  B = U_R S_R (R / A)  (m x R),  A = V_R^T  (R x n),  scale s = A / R,\n"
    "so that s * B * A = [dW]_R, the best rank-R approximation, whose error\n"
    "||dW - [dW]_R||_F = sqrt(sum_{i>R} sigma_i^2) is printed per tensor (absolute\n"
    "and relative to ||dW||_F), with the error of the float32 factors written.\n"
    "\n"
    "BASE and FINETUNED are two .npy files (one module), or two checkpoints: a\n"
    ".safetensors file, a model directory (model.safetensors or\n"
    "adapter_model.safetensors), or a sharded Hugging Face directory\n"
    "(model.safetensors.index.json and its shards). Every tensor with the same\n"
    "name and shape and 2 dimensions becomes a module named after it\n"
    "(model.layers.0.mlp.up_proj.weight -> model.layers.0.mlp.up_proj); the\n"
    "others, and tensors with min(m, n) < R, are listed as skipped. Tensors are\n"
    "read one pair at a time, so memory is one dW (in float32), not the\n"
    "checkpoints. base_model_name_or_path comes from BASE/config.json's\n"
    "_name_or_path when there is one.\n"
    "\n"
    "RULE chooses each module's rank from its singular values sigma_1 >= ... >=\n"
    "sigma_k, k = min(m, n) (formulas: docs/concepts/rank-rules.md):\n"
    "  fixed:R            R for every module (the same as --rank R)\n"
    "  energy:F           smallest r with sum_{i<=r} sigma_i^2 >= F sum sigma_i^2\n"
    "  sv_fro:F           smallest r with sqrt(sum_{i<=r} sigma_i^2) >= F ||dW||_F\n"
    "  sv_cumulative:F    smallest r with sum_{i<=r} sigma_i >= F sum sigma_i\n"
    "  sv_ratio:X         the number of sigma_i >= sigma_1 / X\n"
    "  eps:E              the number of sigma_i > E\n"
    "  gd                 the number of sigma_i > omega(beta) median(sigma)\n"
    "                     (Gavish-Donoho: the directions above the noise)\n"
    "  budget:P           ranks for all modules together with\n"
    "                     sum_j r_j (m_j + n_j) <= P, greedy by sigma^2 / (m + n)\n"
    "F in [0, 1], X >= 1, E >= 0, R and P integers >= 1. Every rule but fixed\n"
    "needs the whole spectrum: each module is read twice, its singular values\n"
    "first (dense SVD in double), then its factors (dense SVD, as --exact). A\n"
    "rule keeps at least one direction of a non-zero dW; a zero dW (and a module\n"
    "the budget leaves at 0) is listed as skipped. The adapter's r is the most\n"
    "common rank, rank_pattern and alpha_pattern name the other modules' (as\n"
    "PEFT writes them); lora_alpha is each module's rank (scale 1) unless --alpha.\n"
    "\n";

/* (two strings: C11 compilers need only take 4095 characters in one) */
static const char extract_usage_options[] =
    "Options:\n"
    "  -r, --rank R        the adapter's rank, 1 <= R <= min(m, n)\n"
    "  --rank-rule RULE    each module's rank by RULE (this or --rank is required)\n"
    "  --max-rank R        cap every module's rank at R >= 1\n"
    "  -o, --output DIR    the adapter folder (created if missing; required)\n"
    "  --tensor NAME       only tensor NAME of two checkpoints\n"
    "  --modules PATTERN   only the modules matching PATTERN: comma-separated\n"
    "                      shell globs on the module name, e.g. '*.q_proj,*.v_proj'\n"
    "                      or 'model.layers.1[0-9].*' (to split a model across\n"
    "                      processes)\n"
    "  --alpha A           lora_alpha of every module, A > 0 (default: the\n"
    "                      module's rank, so the scale A/R is 1)\n"
    "  --module NAME       the module name for two .npy files (default: the\n"
    "                      FINETUNED file's name without directory and extension)\n"
    "  --exact             always use the dense SVD in double. By default a large\n"
    "                      difference (min(m, n) >= 512, R <= min(m, n)/8) is\n"
    "                      decomposed by the randomized SVD, top R only (of two\n"
    "                      checkpoints: dW in float32, sketch in float32, finish in\n"
    "                      double); the error left is then exact from\n"
    "                      ||dW||_F^2 - sum_{i<=R} sigma_i^2\n"
    "  --iters Q           exactly Q power iterations of that randomized SVD (each\n"
    "                      is two passes over dW); by default they stop once the\n"
    "                      error moves by < 1% between iterations (at most 6)\n"
    "  -q, --quiet         no progress on stderr (shown for large checkpoints: a\n"
    "                      bar on a terminal, one line per module otherwise)\n"
    "  --json              print one JSON object: base, finetuned, output, rule,\n"
    "                      max_rank, rank (the adapter's r), lora_alpha, scale,\n"
    "                      modules (name, tensor, shape, rank, lora_alpha, scale,\n"
    "                      method, frobenius_norm, frobenius_error, rel_err,\n"
    "                      relative_error (the same), energy_kept, written_error,\n"
    "                      params, singular_values: every value under a rule,\n"
    "                      else sigma_1..R from the factors and sigma_{R+1} when\n"
    "                      the dense SVD ran), skipped (and budget_spent,\n"
    "                      budget_shortfall_bound for budget:P)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 ok; 1 a file cannot be read (a missing or truncated shard, a\n"
    "bad index, NaN or Inf in a tensor), shapes differ, R > min(m, n) (two .npy\n"
    "files or --tensor), no tensor can be extracted, P is less than one rank-1\n"
    "adapter of the smallest module, or the adapter cannot be written (nothing is\n"
    "then left behind); 2 usage error (also R < 1, A <= 0, an unknown rule or a\n"
    "parameter out of its range, --max-rank 0).\n";

enum { OPT_ALPHA = 1101, OPT_MODULE };

static int parse_rank(const char *cmd, const char *arg, size_t *r)
{
    if (cli_parse_size(arg, SIZE_MAX, r) && *r >= 1)
        return RK_EXIT_OK;
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (*arg && !*end && !errno && v < 1)
        return cli_usage_error(cmd, "--rank must be >= 1, not %lld", v);
    return cli_usage_error(cmd, "--rank wants an integer >= 1, not '%s'", arg);
}

/* One option of extract's own (cli_option_fn). */
static int extract_option(const char *cmd, int c, const char *arg, void *opts)
{
    extract_opts *o = opts;
    int rc = cli_ckpt_option(cmd, c, arg, &o->ck);
    if (rc != CLI_OPT_UNKNOWN || (c != 'r' && (rc = cli_rank_option(cmd, c, arg, &o->rank)) != CLI_OPT_UNKNOWN))
        return rc;
    switch (c) {
    case 'r': { /* fixed:R, with --rank's own messages */
        size_t r;
        if ((rc = parse_rank(cmd, arg, &r)) != RK_EXIT_OK)
            return rc;
        o->rank.rule = (rk_rank_rule){ .kind = RK_RULE_FIXED, .count = r };
        o->rank.have_rule = true;
        return RK_EXIT_OK;
    }
    case 'o':
        o->out = arg;
        return RK_EXIT_OK;
    case OPT_ALPHA:
        if (!cli_parse_double(arg, &o->alpha) || !(o->alpha > 0))
            return cli_usage_error(cmd, "--alpha wants a number > 0, not '%s'", arg);
        o->have_alpha = true;
        return RK_EXIT_OK;
    case OPT_MODULE:
        o->module = arg;
        return RK_EXIT_OK;
    default:
        return CLI_OPT_UNKNOWN;
    }
}

/* Parse the options; exit status (RK_EXIT_OK to go on, -1 after --help). */
static int parse_args(int argc, char **argv, extract_opts *o)
{
    static const struct option longopts[] = {
        CLI_RANK_LONGOPTS,
        { "output", required_argument, NULL, 'o' },
        { "alpha", required_argument, NULL, OPT_ALPHA },
        { "module", required_argument, NULL, OPT_MODULE },
        CLI_CKPT_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { extract_usage, extract_usage_options, NULL };
    const char *cmd = "extract";
    int rc = cli_options(cmd, argc, argv, ":hqr:o:", longopts, usage, extract_option, o);
    if (rc != RK_EXIT_OK)
        return rc;
    if ((rc = cli_pairs_args(cmd, argc, argv, &o->ck.base, &o->ck.ft)) != RK_EXIT_OK)
        return rc;
    if (!o->rank.have_rule)
        return cli_usage_error(cmd, "missing --rank R (the rank of the adapter) or --rank-rule RULE");
    if (!o->out || !*o->out)
        return cli_usage_error(cmd, "missing -o ADAPTER_DIR (the folder to write)");
    if (o->module && !*o->module)
        return cli_usage_error(cmd, "--module wants a name");
    return RK_EXIT_OK;
}

/* ‖ΔW − s·B·A‖_F with the float32 factors as written. */
static rk_status written_error(const rk_mat *delta, const extract_item *it, size_t r, double scale,
                               double *out)
{
    rk_mat b, a, res;
    rk_status s;
    if ((s = rk_mat_create(&b, it->m, r)) != RK_OK)
        return s;
    if ((s = rk_mat_create(&a, r, it->n)) != RK_OK) {
        rk_mat_free(&b);
        return s;
    }
    for (size_t i = 0; i < it->m * r; i++)
        b.data[i] = it->b[i];
    for (size_t i = 0; i < r * it->n; i++)
        a.data[i] = it->a[i];
    if ((s = rk_mat_dup(&res, delta)) == RK_OK) {
        s = rk_mat_gemm(false, false, -scale, &b, &a, 1.0, &res);
        *out = rk_mat_norm_fro(&res);
        rk_mat_free(&res);
    }
    rk_mat_free(&b);
    rk_mat_free(&a);
    return s;
}

/*
 * The rank of the adapter for pair i, an m×n module: every per-module choice
 * is made here — the rule's from the plan (tools/extract_rule.c), or fixed
 * R. 0 means "skip this module" (min(m, n) < R; the rule leaves it out).
 */
static size_t module_rank(const extract_opts *o, size_t i, size_t m, size_t n)
{
    if (o->plan)
        return o->plan->ranks[i];
    size_t k = m < n ? m : n;
    return extract_fixed_rank(o) <= k ? extract_fixed_rank(o) : 0;
}

/* The module's name and item fields other than the factors; RK_ENOMEM. */
static rk_status name_item(const extract_opts *o, const cli_pairs *p, size_t i, extract_item *it)
{
    it->tensor = p->names[i];
    if (o->module && !p->safetensors) {
        it->module = rk_alloc(strlen(o->module) + 1);
        if (it->module)
            memcpy(it->module, o->module, strlen(o->module) + 1);
    } else {
        it->module = cli_module_name(p->names[i], p->ft);
    }
    return it->module ? RK_OK : RK_ENOMEM;
}

/* B/s (B = U_R·S_R in double) must be a normal float32: neither beyond
 * FLT_MAX (Inf once written) nor below FLT_MIN all through (zeros or
 * subnormals: the adapter would be empty). A = V_Rᵀ is orthonormal, ≤ 1. */
static rk_status check_float32(const rk_mat *b, double scale, rk_err *err)
{
    double big = 0.0, unscaled = 0.0;
    for (size_t j = 0; j < b->rows * b->cols; j++) {
        big = fmax(big, fabs(b->data[j] / scale));
        unscaled = fmax(unscaled, fabs(b->data[j]));
    }
    if (!(big <= FLT_MAX))
        return rk_err_set(err, RK_EMAGNITUDE, "B = U_R S_R / s reaches %.3g, beyond float32's largest "
                          "value (3.4e38) with s = alpha/R = %g: a larger --alpha scales B down", big, scale);
    if (big < FLT_MIN && unscaled > 0.0) /* a zero ΔW gives zero factors, rightly */
        return rk_err_set(err, RK_EMAGNITUDE, "B = U_R S_R / s is at most %.3g, below float32's smallest "
                          "normal value (1.2e-38) with s = alpha/R = %g: a smaller --alpha", big, scale);
    return RK_OK;
}

/* The dense (or, for two .npy files, randomized double) path: ΔW in double; exit status. */
static int extract_double(const extract_opts *o, const cli_pairs *p, size_t i, rk_mat *d,
                          extract_item *it)
{
    rk_mat b = { 0 }, a = { 0 };
    it->norm = rk_mat_norm_fro(d);
    /* Only the top R are needed: the randomized SVD when it pays (lib/linalg/rsvd.h). */
    it->randomized = !o->ck.exact && !o->plan && rk_rsvd_worthwhile(d->rows, d->cols, it->r);
    rk_trunc_lora_opts lo = { .randomized = it->randomized, .seed = 0 };
    rk_status s = rk_trunc_lora(&b, &a, d, it->r, &lo, &it->row);
    double scale = it->alpha / (double)it->r; /* PEFT: s = lora_alpha / r */
    if (s == RK_OK)
        s = name_item(o, p, i, it);
    if (s == RK_OK) {
        it->b = rk_alloc(it->m * it->r * sizeof(float) + 1);
        it->a = rk_alloc(it->r * it->n * sizeof(float) + 1);
        if (!it->b || !it->a)
            s = RK_ENOMEM;
    }
    rk_err err;
    rk_err_clear(&err);
    if (s == RK_OK)
        s = check_float32(&b, scale, &err);
    if (s == RK_OK) {
        /* B carries 1/s so that s·B·A = U_R·S_R·V_Rᵀ whatever α is. */
        for (size_t j = 0; j < it->m * it->r; j++)
            b.data[j] /= scale;
        rk_mat_to_f32(it->b, &b);
        rk_mat_to_f32(it->a, &a);
        s = written_error(d, it, it->r, scale, &it->written_err);
    }
    rk_mat_free(&b);
    rk_mat_free(&a);
    if (s != RK_OK)
        return cli_pairs_fail("extract", p, i, s, &err);
    return extract_item_values(o, i, it->randomized ? NAN : it->row.spectral_err, it);
}

/* The float32 B of the streamed path: finite, and not all zero when ΔW is not. */
static rk_status check_b32(const float *b, size_t count, double norm, double scale, rk_err *err)
{
    float big = 0.0f;
    for (size_t j = 0; j < count; j++) {
        if (!isfinite(b[j]))
            return rk_err_set(err, RK_EMAGNITUDE, "B = U_R S_R / s is beyond float32's largest value "
                              "(3.4e38) with s = alpha/R = %g: a larger --alpha scales B down", scale);
        big = fmaxf(big, fabsf(b[j]));
    }
    if (big < FLT_MIN && norm > 0.0)
        return rk_err_set(err, RK_EMAGNITUDE, "B = U_R S_R / s is below float32's smallest normal value "
                          "(1.2e-38) with s = alpha/R = %g: a smaller --alpha", scale);
    return RK_OK;
}

/* The streamed path for a large module of two checkpoints: ΔW in float32,
 * randomized SVD (float32 sketch, double finish); exit status. */
static int extract_float(const extract_opts *o, const cli_pairs *p, size_t i, extract_item *it)
{
    cli_delta32 d;
    int rc = cli_pairs_delta_f32("extract", p, i, &d);
    if (rc != RK_EXIT_OK)
        return rc;
    rk_trunc_lora32 f;
    it->randomized = true;
    double scale = it->alpha / (double)it->r;
    rk_status s = rk_trunc_lora_f32(d.data, d.m, d.n, it->r, scale, o->ck.iters, 0, &f);
    cli_delta32_free(&d);
    if (s == RK_ENONFINITE)
        return cli_pairs_nonfinite("extract", p, i);
    rk_err err;
    rk_err_clear(&err);
    if (s == RK_OK && (s = check_b32(f.b, it->m * it->r, f.norm, scale, &err)) != RK_OK) {
        rk_trunc_lora32_free(&f);
        return cli_pairs_fail("extract", p, i, s, &err);
    }
    if (s == RK_OK && (s = name_item(o, p, i, it)) != RK_OK)
        rk_trunc_lora32_free(&f);
    if (s != RK_OK)
        return cli_fail("extract", p->ft, s, NULL);
    it->b = f.b;
    it->a = f.a;
    it->norm = f.norm;
    it->row = f.row;
    it->written_err = f.written_err;
    return extract_item_values(o, i, NAN, it);
}

/* Factor pair @p i into @p it; exit status. *skip is set (with a reason) when min(m, n) < R. */
static int extract_one(const extract_opts *o, const cli_pairs *p, size_t i, extract_item *it,
                       cli_skip *skip, bool *skipped)
{
    const char *cmd = "extract";
    size_t m, n;
    rk_mat d = { 0 };
    int rc;
    *skipped = false;
    cli_pairs_shape(p, i, &m, &n); /* two checkpoints: from the headers, before reading */
    if (!p->safetensors) {
        if ((rc = cli_pairs_delta(cmd, p, i, &d)) != RK_EXIT_OK)
            return rc;
        m = d.rows;
        n = d.cols;
    }
    size_t k = m < n ? m : n;
    it->r = module_rank(o, i, m, n);
    if (it->r == 0) {
        rk_mat_free(&d);
        if (o->plan || (p->safetensors && !o->ck.tensor)) {
            skip->name = p->names[i] ? p->names[i] : p->ft;
            if (o->plan)
                snprintf(skip->reason, sizeof skip->reason, "%s", extract_plan_skip_reason(o->plan, i));
            else
                snprintf(skip->reason, sizeof skip->reason, "min(m, n) = %zu of %zu x %zu is less than R = %zu",
                         k, m, n, extract_fixed_rank(o));
            *skipped = true;
            return RK_EXIT_OK;
        }
        fprintf(stderr, "ranklab extract: %s: R = %zu is more than min(m, n) = %zu of this %zu x %zu difference\n",
                p->names[i] ? p->names[i] : p->ft, extract_fixed_rank(o), k, m, n);
        return RK_EXIT_RUNTIME;
    }
    it->m = m;
    it->n = n;
    it->alpha = o->have_alpha ? o->alpha : (double)it->r; /* default: scale 1 */
    if (p->safetensors && !o->ck.exact && !o->plan && rk_rsvd_worthwhile(m, n, it->r))
        return extract_float(o, p, i, it);
    if (p->safetensors && (rc = cli_pairs_delta(cmd, p, i, &d)) != RK_EXIT_OK)
        return rc;
    rc = extract_double(o, p, i, &d, it);
    rk_mat_free(&d);
    return rc;
}

/* Send module @p it's factors to the adapter being written and release them:
 * the adapter's tensors go to disk as each module is done, so memory does not
 * grow with the number of modules (rk_peft_stream_add); exit status. */
static int stream_module(const extract_opts *o, rk_peft_stream *ps, extract_item *it)
{
    rk_peft_lora m = { it->module, it->r, it->n, it->m, it->a, it->b };
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_peft_stream_add(ps, &m, &err);
    rk_free(it->b);
    rk_free(it->a);
    it->b = it->a = NULL;
    return s == RK_OK ? RK_EXIT_OK : cli_fail("extract", o->out, s, &err);
}

/* Finish the adapter in the folder being built and put it in place, the
 * whole folder at once (lib/io/output.h); exit status. The one place the
 * adapter is written: r the most common rank, rank_pattern / alpha_pattern
 * for the others. */
static int write_adapter(const extract_opts *o, const cli_pairs *p, rk_out_dir *od, rk_peft_stream *ps,
                         const extract_item *items, size_t n)
{
    double *alphas = rk_calloc(n ? n : 1, sizeof *alphas);
    if (!alphas)
        return cli_fail("extract", NULL, RK_ENOMEM, NULL);
    for (size_t i = 0; i < n; i++)
        alphas[i] = items[i].alpha;
    rk_peft_write_opts wo = { .lora_alpha = alphas[0], .base_model = p->base_name_or_path };
    rk_peft_write_extra extra = { .alphas = alphas };
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_peft_stream_finish_with(ps, &wo, &extra, &err);
    rk_free(alphas);
    if (s != RK_OK)
        return cli_fail("extract", o->out, s, &err);
    return cli_output_dir_commit("extract", o->out, od);
}

/* What extract_pair fills, for cli_pairs_each. */
typedef struct extract_run {
    const extract_opts *o;
    extract_item *items;   /* (pairs) */
    cli_skip *sk;          /* (pairs) */
    rk_peft_stream *ps;    /* the adapter, written a module at a time */
    size_t n, n_sk;        /* items made (the one that failed included: freed), skips */
} extract_run;

static int extract_pair(const cli_pairs *p, size_t i, void *ctx)
{
    extract_run *run = ctx;
    bool skipped;
    int rc = extract_one(run->o, p, i, &run->items[run->n], &run->sk[run->n_sk], &skipped);
    if (rc == RK_EXIT_OK && !skipped)
        rc = stream_module(run->o, run->ps, &run->items[run->n]);
    if (rc == RK_EXIT_OK && skipped)
        run->n_sk++;
    else
        run->n++;
    return rc;
}

/* The adapter, written a module at a time into the folder being built; exit status. */
static int open_stream(const char *out, const rk_out_dir *od, rk_peft_stream **ps)
{
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_peft_stream_open(ps, od->tmp_path, &err);
    return s == RK_OK ? RK_EXIT_OK : cli_fail("extract", out, s, &err);
}

int cmd_extract(int argc, char **argv)
{
    extract_opts o = { .ck.iters = -1 };
    int rc = parse_args(argc, argv, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    rk_out_dir od; /* checked and started before any work (lib/io/output.h) */
    if ((rc = cli_output_not_inside("extract", o.out, "BASE", o.ck.base)) != RK_EXIT_OK ||
        (rc = cli_output_not_inside("extract", o.out, "FINETUNED", o.ck.ft)) != RK_EXIT_OK ||
        (rc = cli_output_dir_open("extract", "-o", o.out, &od)) != RK_EXIT_OK)
        return rc;
    cli_pairs p;
    if ((rc = cli_ckpt_open("extract", &o.ck, &p)) != RK_EXIT_OK) {
        rk_out_dir_abort(&od);
        return rc;
    }
    if (o.module && p.safetensors) {
        cli_pairs_close(&p);
        rk_out_dir_abort(&od);
        return cli_usage_error("extract", "--module applies to two .npy files (checkpoint tensors name their modules)");
    }
    extract_run run = { .o = &o };
    run.items = rk_calloc(p.n, sizeof *run.items);
    run.sk = rk_calloc(p.n, sizeof *run.sk);
    size_t done;
    if (!run.items || !run.sk)
        rc = cli_fail("extract", NULL, RK_ENOMEM, NULL);
    extract_plan plan = { 0 };
    if (rc == RK_EXIT_OK && o.rank.rule.kind != RK_RULE_FIXED) {
        o.plan = &plan;
        rc = extract_plan_make(&o, &p, &plan);
    }
    if (rc == RK_EXIT_OK)
        rc = open_stream(o.out, &od, &run.ps);
    if (rc == RK_EXIT_OK)
        rc = cli_pairs_each("extract", &p, o.ck.quiet, extract_pair, &run, &done);
    if (rc == RK_EXIT_OK && run.n == 0) {
        char rule[64];
        rk_rule_format(&o.rank.rule, rule, sizeof rule);
        if (o.plan)
            fprintf(stderr, "ranklab extract: %s: no module keeps a rank >= 1 under %s; nothing written\n",
                    o.ck.ft, rule);
        else
            fprintf(stderr, "ranklab extract: %s: no tensor has min(m, n) >= R = %zu\n", o.ck.ft,
                    extract_fixed_rank(&o));
        rc = RK_EXIT_RUNTIME;
    }
    if (rc == RK_EXIT_OK)
        rc = write_adapter(&o, &p, &od, run.ps, run.items, run.n);
    if (rc == RK_EXIT_OK) {
        if (o.ck.json)
            rc = cli_json_print("extract", extract_json(&o, &p, run.items, run.n, run.sk, run.n_sk));
        else
            extract_print(&o, &p, run.items, run.n, run.sk, run.n_sk);
    }
    for (size_t i = 0; run.items && i < run.n; i++) {
        rk_free(run.items[i].module);
        rk_free(run.items[i].b);
        rk_free(run.items[i].a);
        rk_free(run.items[i].sv);
    }
    extract_plan_free(&plan);
    rk_free(run.items);
    rk_free(run.sk);
    rk_peft_stream_free(run.ps);
    cli_pairs_close(&p);
    rk_out_dir_abort(&od);
    return rc;
}
