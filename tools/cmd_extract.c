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
#include "commands.h"

static const char extract_usage[] =
    "usage: ranklab extract --rank R BASE FINETUNED -o ADAPTER_DIR [--tensor NAME]\n"
    "                       [--modules PATTERN] [--alpha A] [--module NAME] [--exact]\n"
    "                       [--iters Q] [--quiet] [--json]\n"
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
    "Options:\n"
    "  -r, --rank R        the adapter's rank, 1 <= R <= min(m, n) (required)\n"
    "  -o, --output DIR    the adapter folder (created if missing; required)\n"
    "  --tensor NAME       only tensor NAME of two checkpoints\n"
    "  --modules PATTERN   only the modules matching PATTERN: comma-separated\n"
    "                      shell globs on the module name, e.g. '*.q_proj,*.v_proj'\n"
    "                      or 'model.layers.1[0-9].*' (to split a model across\n"
    "                      processes)\n"
    "  --alpha A           lora_alpha, A > 0 (default R, so the scale A/R is 1)\n"
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
    "  --json              print one JSON object: base, finetuned, output, rank,\n"
    "                      lora_alpha, scale, modules (name, tensor, shape, method,\n"
    "                      frobenius_norm, frobenius_error, relative_error,\n"
    "                      energy_kept, written_error, params), skipped\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 ok; 1 a file cannot be read (a missing or truncated shard, a\n"
    "bad index, NaN or Inf in a tensor), shapes differ, R > min(m, n) (two .npy\n"
    "files or --tensor), no tensor can be extracted, or the adapter cannot be\n"
    "written (nothing is then left behind); 2 usage error (also R < 1, A <= 0).\n";

enum { OPT_ALPHA = 1101, OPT_MODULE };

typedef struct extract_opts {
    const char *out, *module;
    size_t r;
    double alpha;
    bool have_r, have_alpha;
    cli_ckpt_opts ck;   /* BASE FINETUNED, --tensor, --modules, --iters, --exact, --quiet, --json */
} extract_opts;

/* One module's factors and errors. */
typedef struct extract_item {
    const char *tensor;      /* NULL for .npy */
    char *module;            /* owned */
    size_t m, n;
    float *b, *a;            /* (m×r), (r×n), owned */
    rk_trunc_row row;        /* errors from the spectrum */
    double norm;             /* ‖ΔW‖_F */
    double written_err;      /* ‖ΔW − s·B32·A32‖_F */
    bool randomized;         /* top R by rk_rsvd */
} extract_item;

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
    if (rc != CLI_OPT_UNKNOWN)
        return rc;
    switch (c) {
    case 'r':
        o->have_r = true;
        return parse_rank(cmd, arg, &o->r);
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
        { "rank", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'o' },
        { "alpha", required_argument, NULL, OPT_ALPHA },
        { "module", required_argument, NULL, OPT_MODULE },
        CLI_CKPT_LONGOPTS,
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { extract_usage, NULL };
    const char *cmd = "extract";
    int rc = cli_options(cmd, argc, argv, ":hqr:o:", longopts, usage, extract_option, o);
    if (rc != RK_EXIT_OK)
        return rc;
    if ((rc = cli_pairs_args(cmd, argc, argv, &o->ck.base, &o->ck.ft)) != RK_EXIT_OK)
        return rc;
    if (!o->have_r)
        return cli_usage_error(cmd, "missing --rank R (the rank of the adapter)");
    if (!o->out || !*o->out)
        return cli_usage_error(cmd, "missing -o ADAPTER_DIR (the folder to write)");
    if (o->module && !*o->module)
        return cli_usage_error(cmd, "--module wants a name");
    if (!o->have_alpha)
        o->alpha = (double)o->r;
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
 * The rank of the adapter for an m×n module: every per-module choice of R
 * is made here (today the --rank given; a rule over the spectrum plugs in
 * here). 0 means "skip this module" (min(m, n) < R).
 */
static size_t module_rank(const extract_opts *o, size_t m, size_t n)
{
    size_t k = m < n ? m : n;
    return o->r <= k ? o->r : 0;
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
    it->randomized = !o->ck.exact && rk_rsvd_worthwhile(d->rows, d->cols, o->r);
    rk_trunc_lora_opts lo = { .randomized = it->randomized, .seed = 0 };
    rk_status s = rk_trunc_lora(&b, &a, d, o->r, &lo, &it->row);
    double scale = o->alpha / (double)o->r; /* PEFT: s = lora_alpha / r */
    if (s == RK_OK)
        s = name_item(o, p, i, it);
    if (s == RK_OK) {
        it->b = rk_alloc(it->m * o->r * sizeof(float) + 1);
        it->a = rk_alloc(o->r * it->n * sizeof(float) + 1);
        if (!it->b || !it->a)
            s = RK_ENOMEM;
    }
    rk_err err;
    rk_err_clear(&err);
    if (s == RK_OK)
        s = check_float32(&b, scale, &err);
    if (s == RK_OK) {
        /* B carries 1/s so that s·B·A = U_R·S_R·V_Rᵀ whatever α is. */
        for (size_t j = 0; j < it->m * o->r; j++)
            b.data[j] /= scale;
        rk_mat_to_f32(it->b, &b);
        rk_mat_to_f32(it->a, &a);
        s = written_error(d, it, o->r, scale, &it->written_err);
    }
    rk_mat_free(&b);
    rk_mat_free(&a);
    return s == RK_OK ? RK_EXIT_OK : cli_pairs_fail("extract", p, i, s, &err);
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
    rk_status s = rk_trunc_lora_f32(d.data, d.m, d.n, o->r, o->alpha / (double)o->r, o->ck.iters, 0, &f);
    cli_delta32_free(&d);
    if (s == RK_ENONFINITE)
        return cli_pairs_nonfinite("extract", p, i);
    rk_err err;
    rk_err_clear(&err);
    if (s == RK_OK && (s = check_b32(f.b, it->m * o->r, f.norm, o->alpha / (double)o->r, &err)) != RK_OK) {
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
    return RK_EXIT_OK;
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
    if (module_rank(o, m, n) == 0) {
        rk_mat_free(&d);
        if (p->safetensors && !o->ck.tensor) {
            skip->name = p->names[i];
            snprintf(skip->reason, sizeof skip->reason, "min(m, n) = %zu of %zu x %zu is less than R = %zu",
                     k, m, n, o->r);
            *skipped = true;
            return RK_EXIT_OK;
        }
        fprintf(stderr, "ranklab extract: %s: R = %zu is more than min(m, n) = %zu of this %zu x %zu difference\n",
                p->names[i] ? p->names[i] : p->ft, o->r, k, m, n);
        return RK_EXIT_RUNTIME;
    }
    it->m = m;
    it->n = n;
    if (p->safetensors && !o->ck.exact && rk_rsvd_worthwhile(m, n, o->r))
        return extract_float(o, p, i, it);
    if (p->safetensors && (rc = cli_pairs_delta(cmd, p, i, &d)) != RK_EXIT_OK)
        return rc;
    rc = extract_double(o, p, i, &d, it);
    rk_mat_free(&d);
    return rc;
}

static void print_text(const extract_opts *o, const cli_pairs *p, const extract_item *items, size_t n,
                       const cli_skip *sk, size_t n_sk)
{
    char v[64], note[160];
    printf("base              %s\n", o->ck.base);
    printf("finetuned         %s\n", o->ck.ft);
    snprintf(v, sizeof v, "%zu", o->r);
    cli_print_row("rank R", v, NULL);
    snprintf(v, sizeof v, "%g", o->alpha);
    snprintf(note, sizeof note, "(scale s = alpha / R = %g; s * B * A = [dW]_R)", o->alpha / (double)o->r);
    cli_print_row("lora_alpha", v, note);
    if (p->safetensors)
        printf("%-18s%zu extracted, %zu skipped\n", "tensors", n, p->n_skipped + n_sk);
    if (p->n_unselected)
        printf("%-18s%zu not selected by --modules %s\n", "", p->n_unselected, o->ck.modules);
    for (size_t i = 0; i < p->n_skipped; i++)
        printf("  skipped         %s: %s\n", cli_name(p->skipped[i].name), p->skipped[i].reason);
    for (size_t i = 0; i < n_sk; i++)
        printf("  skipped         %s: %s\n", cli_name(sk[i].name), sk[i].reason);
    for (size_t i = 0; i < n; i++) {
        const extract_item *it = &items[i];
        printf("\n");
        printf("module            %s\n", cli_name(it->module));
        if (it->tensor)
            printf("tensor            %s\n", cli_name(it->tensor));
        snprintf(v, sizeof v, "%zu x %zu", it->m, it->n);
        snprintf(note, sizeof note, "(B: %zu x %zu, A: %zu x %zu)", it->m, o->r, o->r, it->n);
        cli_print_row("shape of dW", v, note);
        if (it->randomized)
            printf("%-18srandomized SVD (Halko–Martinsson–Tropp), top %zu of min(m,n) = %zu; "
                   "--exact to force the full SVD\n", "method", o->r, it->m < it->n ? it->m : it->n);
        snprintf(v, sizeof v, "%.10g", it->norm);
        cli_print_row("||dW||_F", v, NULL);
        snprintf(v, sizeof v, "%.10g", it->row.fro_err);
        cli_print_row("error left", v, it->randomized ? "(||dW - B*A||_F = sqrt(||dW||_F^2 - sum_{i<=R} sigma_i^2))"
                                                      : "(||dW - [dW]_R||_F = sqrt(sum_{i>R} sigma_i^2))");
        snprintf(v, sizeof v, "%.6g", it->row.rel_err);
        cli_print_row("relative error", v, "(error left / ||dW||_F)");
        snprintf(v, sizeof v, "%.10f", it->row.energy);
        cli_print_row("energy kept", v, it->randomized ? "(sum_{i<=R} sigma_i^2 / ||dW||_F^2)"
                                                       : "(sum_{i<=R} sigma_i^2 / sum sigma_i^2)");
        snprintf(v, sizeof v, "%.6g", it->written_err);
        cli_print_row("written error", v, "(||dW - s*B*A||_F with the float32 factors)");
        snprintf(v, sizeof v, "%zu", it->row.params);
        snprintf(note, sizeof note, "(R*(m+n), against m*n = %zu)", it->m * it->n);
        cli_print_row("parameters", v, note);
    }
    printf("\n%-18s%s/adapter_config.json, %s/adapter_model.safetensors\n", "wrote", o->out, o->out);
}

static json_t *build_json(const extract_opts *o, const cli_pairs *p, const extract_item *items,
                          size_t n, const cli_skip *sk, size_t n_sk)
{
    json_t *obj = json_object(), *mods = json_array(), *skipped = json_array();
    int bad = !obj || !mods || !skipped;
    bad |= json_object_set_new(obj, "base", json_string(o->ck.base));
    bad |= json_object_set_new(obj, "finetuned", json_string(o->ck.ft));
    bad |= json_object_set_new(obj, "output", json_string(o->out));
    bad |= json_object_set_new(obj, "rank", json_integer((json_int_t)o->r));
    bad |= json_object_set_new(obj, "lora_alpha", json_real(o->alpha));
    bad |= json_object_set_new(obj, "scale", json_real(o->alpha / (double)o->r));
    for (size_t i = 0; i < n; i++) {
        const extract_item *it = &items[i];
        json_t *m = json_object(), *shape = json_array();
        bad |= !m || !shape;
        bad |= json_object_set_new(m, "name", json_string(it->module));
        bad |= json_object_set_new(m, "tensor", it->tensor ? json_string(it->tensor) : json_null());
        bad |= json_array_append_new(shape, json_integer((json_int_t)it->m));
        bad |= json_array_append_new(shape, json_integer((json_int_t)it->n));
        bad |= json_object_set_new(m, "shape", shape);
        bad |= json_object_set_new(m, "method", json_string(it->randomized ? "randomized" : "exact"));
        bad |= json_object_set_new(m, "frobenius_norm", json_real(it->norm));
        bad |= json_object_set_new(m, "frobenius_error", json_real(it->row.fro_err));
        bad |= json_object_set_new(m, "relative_error", json_real(it->row.rel_err));
        bad |= json_object_set_new(m, "energy_kept", json_real(it->row.energy));
        bad |= json_object_set_new(m, "written_error", json_real(it->written_err));
        bad |= json_object_set_new(m, "params", json_integer((json_int_t)it->row.params));
        bad |= json_array_append_new(mods, m);
    }
    for (size_t i = 0; i < p->n_skipped + n_sk; i++) {
        const cli_skip *s = i < p->n_skipped ? &p->skipped[i] : &sk[i - p->n_skipped];
        bad |= cli_skip_append_json(skipped, s);
    }
    bad |= json_object_set_new(obj, "modules", mods);
    bad |= json_object_set_new(obj, "skipped", skipped);
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* Send module @p it's factors to the adapter being written and release them:
 * the adapter's tensors go to disk as each module is done, so memory does not
 * grow with the number of modules (rk_peft_stream_add); exit status. */
static int stream_module(const extract_opts *o, rk_peft_stream *ps, extract_item *it)
{
    rk_peft_lora m = { it->module, o->r, it->n, it->m, it->a, it->b };
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
 * adapter is written. */
static int write_adapter(const extract_opts *o, const cli_pairs *p, rk_out_dir *od, rk_peft_stream *ps)
{
    rk_peft_write_opts wo = { .lora_alpha = o->alpha, .base_model = p->base_name_or_path };
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_peft_stream_finish(ps, &wo, &err);
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
    if (rc == RK_EXIT_OK)
        rc = open_stream(o.out, &od, &run.ps);
    if (rc == RK_EXIT_OK)
        rc = cli_pairs_each("extract", &p, o.ck.quiet, extract_pair, &run, &done);
    if (rc == RK_EXIT_OK && run.n == 0) {
        fprintf(stderr, "ranklab extract: %s: no tensor has min(m, n) >= R = %zu\n", o.ck.ft, o.r);
        rc = RK_EXIT_RUNTIME;
    }
    if (rc == RK_EXIT_OK)
        rc = write_adapter(&o, &p, &od, run.ps);
    if (rc == RK_EXIT_OK) {
        if (o.ck.json)
            rc = cli_json_print("extract", build_json(&o, &p, run.items, run.n, run.sk, run.n_sk));
        else
            print_text(&o, &p, run.items, run.n, run.sk, run.n_sk);
    }
    for (size_t i = 0; run.items && i < run.n; i++) {
        rk_free(run.items[i].module);
        rk_free(run.items[i].b);
        rk_free(run.items[i].a);
    }
    rk_free(run.items);
    rk_free(run.sk);
    rk_peft_stream_free(run.ps);
    cli_pairs_close(&p);
    rk_out_dir_abort(&od);
    return rc;
}
