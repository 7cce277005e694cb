/*
 * cmd_approx.c — `ranklab approx FILE -r K`: the best rank-k approximation
 * A_k = U_k·S_k·V_kᵀ (Eckart–Young–Mirsky), its factors, and what it costs.
 *
 * Errors come from the spectrum, not from forming A − A_k:
 *   ‖A − A_k‖_F = √(Σ_{i>k} σ_i²),   ‖A − A_k‖₂ = σ_{k+1}   (0 when k = min(m, n))
 * (lib/linalg/lowrank.h: rk_lowrank_errors, rk_lowrank_approx, rk_lowrank_factors).
 * Storing B (m×k) and A (k×n) instead of W (m×n) takes k·(m+n) numbers
 * instead of m·n — the count LoRA's adapters save.
 */
#include <errno.h>
#include <stdint.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "commands.h"

static const char approx_usage[] =
    "usage: ranklab approx FILE -r K [-o OUT.npy] [--factors PREFIX] [--balanced]\n"
    "                      [--exact] [--json]\n"
    "\n"
    "Best rank-K approximation A_k = U_k S_k V_k^T of the matrix A in FILE (a .npy\n"
    "array: 2-d, or 1-d read as 1 x n; any numeric dtype, computed in float64;\n"
    "'-' reads one from standard input), with its errors from the spectrum:\n"
    "  ||A - A_k||_F = sqrt(sum_{i>K} sigma_i^2),  ||A - A_k||_2 = sigma_{K+1},\n"
    "the relative error ||A - A_k||_F / ||A||_F, and the parameter counts m*n of A\n"
    "against K*(m+n) of the factors B (m x K) and A (K x n).\n"
    "\n"
    "Options:\n"
    "  -r, --rank K       the rank, 0 <= K <= min(m, n) (required; -k K is the\n"
    "                     same)\n"
    "  -o, --output OUT   write A_k (m x n, float64) to OUT.npy (- : to standard\n"
    "                     output, and no report)\n"
    "  --factors PREFIX   write B to PREFIX_B.npy (m x K) and A to PREFIX_A.npy\n"
    "                     (K x n), float64, so that B * A = A_k; by default\n"
    "                     B = U_k S_k and A = V_k^T (the LoRA tutorial's split)\n"
    "  --balanced         with --factors: B = U_k sqrt(S_k), A = sqrt(S_k) V_k^T\n"
    "  --exact            always use the dense SVD. By default a large matrix\n"
    "                     (min(m, n) >= 512, K <= min(m, n)/8) is decomposed by\n"
    "                     the randomized SVD, top K only: ||A - A_k||_F is then\n"
    "                     formed from A_k, and ||A - A_k||_2 = sigma_{K+1} is not\n"
    "                     computed (null in JSON)\n"
    "  --json             print one JSON object: file, shape, k, method,\n"
    "                     frobenius_error, spectral_error, relative_error,\n"
    "                     energy_kept, params_full, params_factors, params_ratio,\n"
    "                     and the files written (output, factors)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 ok; 1 the file cannot be read, K > min(m, n) for this matrix,\n"
    "or an output cannot be written; 2 usage error (also K < 0).\n";

enum { OPT_FACTORS = 1101, OPT_BALANCED, OPT_JSON, OPT_EXACT };

typedef struct approx_report {
    const char *file, *out, *prefix;
    char *path_b, *path_a;  /* PREFIX_B.npy, PREFIX_A.npy (owned) */
    bool balanced, exact, randomized;
    size_t m, n, k;
    double fro, spectral, rel, kept;
} approx_report;

/* Parse K: a signed integer, so that "-r -1" gets its own message. */
static int parse_k(const char *cmd, const char *arg, size_t *k)
{
    if (cli_parse_size(arg, SIZE_MAX, k))
        return RK_EXIT_OK;
    char *end;
    errno = 0;
    long long v = strtoll(arg, &end, 10);
    if (*arg && !*end && !errno && v < 0)
        return cli_usage_error(cmd, "--rank must be >= 0, not %lld", v);
    return cli_usage_error(cmd, "--rank wants an integer >= 0, not '%s'", arg);
}

static char *join(const char *prefix, const char *suffix)
{
    size_t lp = strlen(prefix), ls = strlen(suffix);
    char *p = rk_alloc(lp + ls + 1);
    if (p) {
        memcpy(p, prefix, lp);
        memcpy(p + lp, suffix, ls + 1);
    }
    return p;
}

/* Write @p m as float64 .npy to @p path; exit status. */
static int write_npy(const char *cmd, const char *path, const rk_mat *m)
{
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_npy_write(path, m, RK_DT_F64, &err);
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, path, s, &err);
}

/*
 * The factor pair is one output: both files are written and fsync'd before
 * either replaces the old one (rk_atomic_commit_group), so a failure leaves
 * the old pair whole and a reader never pairs a new B with an old A.
 */
static int write_pair(const char *cmd, const approx_report *r, const rk_mat *b, const rk_mat *a)
{
    rk_err err;
    rk_err_clear(&err);
    rk_atomic_file af[2] = { { 0 }, { 0 } };
    const char *path = r->path_b;
    rk_status s = rk_atomic_open(&af[0], r->path_b, &err);
    if (s == RK_OK)
        s = rk_npy_write_to(af[0].f, b, RK_DT_F64, &err);
    if (s == RK_OK && (s = rk_atomic_open(&af[1], path = r->path_a, &err)) == RK_OK)
        s = rk_npy_write_to(af[1].f, a, RK_DT_F64, &err);
    if (s == RK_OK) {
        path = r->prefix;
        s = rk_atomic_commit_group(af, 2, &err);
    }
    rk_atomic_abort(&af[0]);
    rk_atomic_abort(&af[1]);
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, path, s, &err);
}

static int write_outputs(const char *cmd, approx_report *r, const rk_svd *svd)
{
    rk_status s;
    int rc = RK_EXIT_OK;
    if (r->out) {
        rk_mat ak = { 0 };
        if ((s = rk_lowrank_approx(&ak, svd, r->k)) != RK_OK)
            return cli_fail(cmd, r->file, s, NULL);
        rc = write_npy(cmd, r->out, &ak);
        rk_mat_free(&ak);
        if (rc != RK_EXIT_OK)
            return rc;
    }
    if (r->prefix) {
        rk_mat b = { 0 }, a = { 0 };
        s = rk_lowrank_factors(&b, &a, svd, r->k, r->balanced ? RK_SPLIT_BALANCED : RK_SPLIT_US);
        if (s != RK_OK)
            return cli_fail(cmd, r->file, s, NULL);
        rc = write_pair(cmd, r, &b, &a);
        rk_mat_free(&b);
        rk_mat_free(&a);
    }
    return rc;
}

static void print_text(const approx_report *r)
{
    char v[64], note[128];
    size_t full = r->m * r->n;  /* fits: the matrix was in memory */
    size_t fact = rk_lowrank_param_count(r->m, r->n, r->k);
    printf("matrix            %s\n", r->file);
    snprintf(v, sizeof v, "%zu x %zu", r->m, r->n);
    cli_print_row("shape", v, NULL);
    snprintf(v, sizeof v, "%zu", r->k);
    cli_print_row("k", v, NULL);
    if (r->randomized) {
        printf("%-18srandomized SVD (Halko–Martinsson–Tropp), top %zu of min(m,n) = %zu; "
               "--exact to force the full SVD\n", "method", r->k, r->m < r->n ? r->m : r->n);
        snprintf(v, sizeof v, "%.10g", r->fro);
        cli_print_row("||A - A_k||_F", v, "(formed from A_k)");
        cli_print_row("||A - A_k||_2", "-", "(sigma_{k+1}: not computed; --exact)");
    } else {
        snprintf(v, sizeof v, "%.10g", r->fro);
        cli_print_row("||A - A_k||_F", v, "(sqrt(sum_{i>k} sigma_i^2))");
        snprintf(v, sizeof v, "%.10g", r->spectral);
        cli_print_row("||A - A_k||_2", v, "(sigma_{k+1})");
    }
    snprintf(v, sizeof v, "%.10g", r->rel);
    cli_print_row("relative error", v, "(||A - A_k||_F / ||A||_F)");
    snprintf(v, sizeof v, "%.10f", r->kept);
    cli_print_row("energy kept", v, r->randomized ? "(sum_{i<=k} sigma_i^2 / ||A||_F^2)"
                                                  : "(sum_{i<=k} sigma_i^2 / sum sigma_i^2)");
    snprintf(v, sizeof v, "%zu", full);
    cli_print_row("parameters m*n", v, "(A as a full matrix)");
    snprintf(v, sizeof v, "%zu", fact);
    snprintf(note, sizeof note, "(the factors B: %zu x %zu and A: %zu x %zu)", r->m, r->k, r->k, r->n);
    cli_print_row("parameters k(m+n)", v, note);
    snprintf(v, sizeof v, "%.4g", full > 0 ? (double)fact / (double)full : 0.0);
    cli_print_row("ratio", v, "(k*(m+n) / (m*n))");
    if (r->out) {
        snprintf(note, sizeof note, "(A_k, %zu x %zu)", r->m, r->n);
        cli_print_row("wrote", r->out, note);
    }
    if (r->prefix) {
        snprintf(note, sizeof note, "(B = %s, %zu x %zu)", r->balanced ? "U_k sqrt(S_k)" : "U_k S_k", r->m, r->k);
        cli_print_row("wrote", r->path_b, note);
        snprintf(note, sizeof note, "(A = %s, %zu x %zu)", r->balanced ? "sqrt(S_k) V_k^T" : "V_k^T", r->k, r->n);
        cli_print_row("wrote", r->path_a, note);
    }
}

static json_t *build_json(const approx_report *r)
{
    json_int_t full = (json_int_t)(r->m * r->n);
    json_int_t fact = (json_int_t)rk_lowrank_param_count(r->m, r->n, r->k);
    json_t *o = json_object();
    json_t *shape = json_array();
    int bad = !o || !shape;
    bad |= json_array_append_new(shape, json_integer((json_int_t)r->m));
    bad |= json_array_append_new(shape, json_integer((json_int_t)r->n));
    bad |= json_object_set_new(o, "file", json_string(r->file));
    bad |= json_object_set_new(o, "shape", shape);
    bad |= json_object_set_new(o, "k", json_integer((json_int_t)r->k));
    bad |= json_object_set_new(o, "frobenius_error", json_real(r->fro));
    bad |= json_object_set_new(o, "method", json_string(r->randomized ? "randomized" : "exact"));
    bad |= json_object_set_new(o, "spectral_error", cli_json_real_or_null(r->spectral));
    bad |= json_object_set_new(o, "relative_error", json_real(r->rel));
    bad |= json_object_set_new(o, "energy_kept", json_real(r->kept));
    bad |= json_object_set_new(o, "params_full", json_integer(full));
    bad |= json_object_set_new(o, "params_factors", json_integer(fact));
    bad |= json_object_set_new(o, "params_ratio", json_real(full > 0 ? (double)fact / (double)full : 0.0));
    bad |= json_object_set_new(o, "output", r->out ? json_string(r->out) : json_null());
    if (r->prefix) {
        json_t *f = json_object();
        bad |= !f;
        bad |= json_object_set_new(f, "B", json_string(r->path_b));
        bad |= json_object_set_new(f, "A", json_string(r->path_a));
        bad |= json_object_set_new(f, "split", json_string(r->balanced ? "balanced" : "us"));
        bad |= json_object_set_new(o, "factors", f);
    } else {
        bad |= json_object_set_new(o, "factors", json_null());
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/*
 * The errors of the randomized A_k = U_k·S_k·V_kᵀ, without σ_{k+1}…: ‖A − A_k‖_F
 * formed, relative to ‖A‖_F from the entries, energy Σ_{i≤k} σ_i² / ‖A‖_F²,
 * ‖A − A_k‖₂ unknown (NaN, printed as "-" and JSON null).
 */
static rk_status randomized_errors(approx_report *r, const rk_mat *a, rk_svd *svd)
{
    rk_mat ak;
    rk_status s = rk_lowrank_approx(&ak, svd, r->k);
    if (s != RK_OK)
        return s;
    if ((s = rk_mat_axpy(&ak, -1.0, a)) != RK_OK) {
        rk_mat_free(&ak);
        return s;
    }
    double norm = rk_mat_norm_fro(a), acc = 0.0;
    for (size_t i = 0; i < svd->k && norm > 0; i++)
        acc += (svd->s[i] / norm) * (svd->s[i] / norm);
    r->m = a->rows;
    r->n = a->cols;
    r->fro = rk_mat_norm_fro(&ak);
    r->spectral = NAN;
    r->rel = norm > 0 ? r->fro / norm : 0.0;
    r->kept = acc < 1.0 ? acc : 1.0;
    rk_mat_free(&ak);
    return RK_OK;
}

/* What approx's options fill. */
typedef struct approx_opts {
    approx_report *r;
    bool *json;
    bool have_k;   /* -r K was given */
} approx_opts;

/* One option of approx (cli_option_fn). */
static int approx_option(const char *cmd, int c, const char *arg, void *opts)
{
    approx_opts *o = opts;
    int rc;
    switch (c) {
    case 'k': /* the earlier spelling of -r */
    case 'r':
        if ((rc = parse_k(cmd, arg, &o->r->k)) != RK_EXIT_OK)
            return rc;
        o->have_k = true;
        return RK_EXIT_OK;
    case 'o': o->r->out = arg; return RK_EXIT_OK;
    case OPT_FACTORS: o->r->prefix = arg; return RK_EXIT_OK;
    case OPT_BALANCED: o->r->balanced = true; return RK_EXIT_OK;
    case OPT_JSON: *o->json = true; return RK_EXIT_OK;
    case OPT_EXACT: o->r->exact = true; return RK_EXIT_OK;
    default: return CLI_OPT_UNKNOWN;
    }
}

/* Parse the options into @p r; exit status (RK_EXIT_OK to go on, -1 after --help). */
static int parse_args(int argc, char **argv, approx_report *r, bool *json)
{
    static const struct option longopts[] = {
        { "rank", required_argument, NULL, 'r' },
        { "output", required_argument, NULL, 'o' },
        { "factors", required_argument, NULL, OPT_FACTORS },
        { "balanced", no_argument, NULL, OPT_BALANCED },
        { "json", no_argument, NULL, OPT_JSON },
        { "exact", no_argument, NULL, OPT_EXACT },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { approx_usage, NULL };
    const char *cmd = "approx";
    approx_opts o = { r, json, false };
    int rc = cli_options(cmd, argc, argv, ":hk:r:o:", longopts, usage, approx_option, &o);
    if (rc != RK_EXIT_OK)
        return rc;
    if ((rc = cli_one_file(cmd, argc, argv, optind, &r->file)) != RK_EXIT_OK)
        return rc;
    if (!o.have_k)
        return cli_usage_error(cmd, "missing -r K (the rank of the approximation)");
    if (r->balanced && !r->prefix)
        return cli_usage_error(cmd, "--balanced only applies to --factors");
    return RK_EXIT_OK;
}

/* Every output checked before the SVD: names, folders, collisions (-o X_B.npy --factors X). */
static int check_outputs(const char *cmd, approx_report *r, bool json)
{
    int rc = RK_EXIT_OK;
    if (r->out && (rc = cli_output_check(cmd, "-o", r->out)) != RK_EXIT_OK)
        return rc;
    if (r->out && !strcmp(r->out, "-") && json)
        return cli_usage_error(cmd, "-o - and --json both write to standard output");
    if (!r->prefix)
        return RK_EXIT_OK;
    if (!*r->prefix || !strcmp(r->prefix, "-"))
        return cli_usage_error(cmd, "--factors wants a name prefix (two files are written), not '%s'",
                               r->prefix);
    r->path_b = join(r->prefix, "_B.npy");
    r->path_a = join(r->prefix, "_A.npy");
    if (!r->path_b || !r->path_a)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    if ((rc = cli_output_check(cmd, "--factors", r->path_b)) != RK_EXIT_OK ||
        (rc = cli_output_check(cmd, "--factors", r->path_a)) != RK_EXIT_OK)
        return rc;
    const char *paths[] = { r->out, r->path_b, r->path_a };
    const char *opts[] = { "-o", "--factors", "--factors" };
    return cli_output_distinct(cmd, paths, opts, 3);
}

static int run(const char *cmd, approx_report *rp, bool json);

int cmd_approx(int argc, char **argv)
{
    const char *cmd = "approx";
    approx_report r = { 0 };
    bool json = false;
    int rc = parse_args(argc, argv, &r, &json);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    if ((rc = check_outputs(cmd, &r, json)) == RK_EXIT_OK)
        rc = run(cmd, &r, json);
    rk_free(r.path_b);
    rk_free(r.path_a);
    return rc;
}

/* Decompose, write, report; exit status. */
static int run(const char *cmd, approx_report *rp, bool json)
{
    approx_report r = *rp;
    int rc;
    rk_mat a = { 0 };
    if ((rc = cli_load_matrix(cmd, r.file, &a)) != RK_EXIT_OK)
        return rc;
    size_t kfull = a.rows < a.cols ? a.rows : a.cols;
    r.randomized = !r.exact && r.k >= 1 && r.k < kfull && rk_rsvd_worthwhile(a.rows, a.cols, r.k);
    rk_svd svd;
    rk_status s;
    if (r.randomized) {
        /* Only the top k: randomized SVD (lib/linalg/rsvd.h); errors formed, see randomized_errors. */
        rk_rsvd_opts ro = rk_rsvd_opts_default(r.k);
        if ((s = rk_rsvd(&svd, &a, &ro)) == RK_OK)
            s = randomized_errors(&r, &a, &svd);
        rk_mat_free(&a);
        if (s != RK_OK) {
            rk_svd_free(&svd);
            return cli_fail(cmd, r.file, s, NULL);
        }
    } else {
        /* The factors are needed only when something is written. */
        s = rk_svd_decomp(&svd, &a, (r.out || r.prefix) ? RK_SVD_THIN : RK_SVD_VALUES);
        rk_mat_free(&a);
        if (s != RK_OK)
            return cli_fail(cmd, r.file, s, NULL);
        r.m = svd.m;
        r.n = svd.n;
        if (r.k > svd.k) {
            fprintf(stderr, "ranklab approx: %s: k = %zu is more than min(m, n) = %zu of this %zu x %zu matrix\n",
                    r.file, r.k, svd.k, svd.m, svd.n);
            rk_svd_free(&svd);
            return RK_EXIT_RUNTIME;
        }
        s = rk_lowrank_errors(&svd, r.k, &r.fro, &r.spectral);
        if (s != RK_OK) {
            rk_svd_free(&svd);
            return cli_fail(cmd, r.file, s, NULL);
        }
        double norm = rk_spectrum_fro(svd.s, svd.k);
        r.rel = norm > 0 ? r.fro / norm : 0.0;
        r.kept = rk_spectrum_energy(svd.s, svd.k, r.k);
    }

    rc = write_outputs(cmd, &r, &svd);
    rk_svd_free(&svd);
    if (rc == RK_EXIT_OK) {
        if (json)
            rc = cli_json_print(cmd, build_json(&r));
        else if (!r.out || strcmp(r.out, "-")) /* -o -: stdout holds the matrix alone */
            print_text(&r);
    }
    return rc;
}
