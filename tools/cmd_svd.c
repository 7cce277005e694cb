/*
 * cmd_svd.c — `ranklab svd FILE`: the singular values of a matrix and what
 * they say about it.
 *
 * For A (m×n, k = min(m, n)) with singular values σ₁ ≥ … ≥ σ_k ≥ 0 it prints
 * the numerical rank #{σ_i > tol}, the energy table (i, σ_i, Σ_{j≤i}σ_j²/Σσ²),
 * stable rank ‖A‖_F²/σ₁², effective rank exp(−Σ p log p) with p = σ/Σσ,
 * condition number σ₁/σ_k and the norms σ₁ (spectral), Σσ (nuclear),
 * √Σσ² (Frobenius). Only the values are computed (rk_svd_decomp with
 * RK_SVD_VALUES); the metrics come from lib/linalg/spectrum.h.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_plot.h"
#include "cli_rule.h"
#include "cli_tol.h"
#include "commands.h"
#include "svd_top.h"

static const char svd_usage[] =
    "usage: ranklab svd FILE [--top K] [--exact] [--tol T | --rtol R] [--json]\n"
    "                   [--rules] [--plot FILE.png|FILE.svg|-] [--format png|svg]\n"
    "\n"
    "Singular values of the matrix in FILE and the numbers they determine:\n"
    "numerical rank with its tolerance, the energy table (k, sigma_k, cumulative\n"
    "energy sum_{i<=k} sigma_i^2 / sum sigma_i^2), stable rank, effective rank,\n"
    "condition number, spectral, nuclear and Frobenius norms. FILE is a .npy\n"
    "array (2-d, or 1-d read as 1 x n; any numeric dtype, computed in float64),\n"
    "or '-' to read one from standard input.\n"
    "\n"
    "Options:\n"
    "  --top K     show only the first K rows of the energy table (default: all;\n"
    "              0 hides the table). JSON output always has every value.\n"
    "              On a large matrix (min(m, n) >= 512, K <= min(m, n)/8) only the\n"
    "              top K values are computed, by the randomized SVD; figures that\n"
    "              need every value (effective rank, condition number, nuclear\n"
    "              norm) are then left out, the energy is measured against\n"
    "              ||A||_F^2 computed from the entries, and the rank is known\n"
    "              only when it is below K\n"
    "  --exact     always compute every singular value (dense SVD)\n"
    "  --tol T     rank = number of sigma_i > T (absolute tolerance, T >= 0)\n"
    "  --rtol R    rank = number of sigma_i > R * sigma_1 (relative, R >= 0)\n"
    "              default: sigma_i > sigma_1 * max(m, n) * eps, eps = 2^-52\n"
    "              (numpy.linalg.matrix_rank's rule); --tol and --rtol exclude\n"
    "              each other\n"
    "  --json      print one JSON object instead of text: shape, singular_values,\n"
    "              cumulative_energy, rank, tol, tol_rule, stable_rank,\n"
    "              effective_rank, condition_number (null when infinite),\n"
    "              spectral_norm, nuclear_norm, frobenius_norm, rank_for_energy\n"
    "              (and rules, with --rules)\n"
    "  --rules     the rank every rank rule picks at its default parameter\n"
    "              (energy:0.9, sv_fro:0.9, sv_cumulative:0.9, sv_ratio:10, gd;\n"
    "              docs/concepts/rank-rules.md), with its threshold on sigma\n"
    "              where it has one and the energy it keeps; JSON: rules =\n"
    "              [{rule, rank, threshold (null for the rules on sums),\n"
    "              energy_kept}]. Needs every singular value (the dense SVD).\n"
    "              With --plot, each rule is a labelled line on the scree plot:\n"
    "              sigma = sigma_1/X and sigma = tau (gd) across, the rank of\n"
    "              the rules on sums (energy, sv_fro, sv_cumulative) upright\n"
    "  --plot OUT  the scree plot: log sigma_k against k, the cumulative energy on\n"
    "              a second axis, the rank tolerance as a line; a PNG file (an SVG\n"
    "              file for OUT.svg), or '-' to draw it in the terminal. OUT.dat\n"
    "              (the numbers) and OUT.gp (the gnuplot script) are written\n"
    "              beside it. Without gnuplot: a message, OUT.dat still written,\n"
    "              exit 0.\n"
    "  --format F  png or svg, whatever OUT's extension\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 ok (also when gnuplot is missing), 1 the file cannot be read\n"
    "or decomposed or the plot cannot be written, 2 usage error.\n";

enum { OPT_TOP = 1101, OPT_JSON, OPT_EXACT, OPT_RULES };

/* The energy thresholds reported as "rank for energy". */
static const double energy_levels[] = { 0.9, 0.99, 0.999 };
#define N_ENERGY_LEVELS (sizeof energy_levels / sizeof energy_levels[0])

typedef struct svd_report {
    const char *file;
    size_t m, n, k;
    const double *s;       /* (k) singular values, non-increasing */
    size_t rank;
    double tol;
    rk_rank_opts opts;
    bool rules;            /* --rules: the rank rules' table and lines */
} svd_report;

static void print_text(const svd_report *r, size_t top)
{
    char v[64], note[128];
    snprintf(v, sizeof v, "%zu x %zu", r->m, r->n);
    printf("matrix            %s\n", r->file);
    snprintf(note, sizeof note, "(min(m, n) = %zu)", r->k);
    cli_print_row("shape", v, note);
    snprintf(v, sizeof v, "%zu", r->rank);
    snprintf(note, sizeof note, "(sigma_i > tol)");
    cli_print_row("rank", v, note);
    snprintf(v, sizeof v, "%.6g", r->tol);
    printf("%-18s%-20s(", "tol", v);
    cli_tol_print_rule(stdout, &r->opts);
    printf(")\n");
    if (top > r->k)
        top = r->k;
    if (top > 0) {
        printf("\n   k           sigma_k   energy(<=k)\n");
        for (size_t i = 0; i < top; i++) {
            if (i == r->rank)
                printf("  ---- tol %.6g: the values below are not counted in the rank ----\n", r->tol);
            printf("%4zu  %16.10g  %.10f\n", i + 1, r->s[i], rk_spectrum_energy(r->s, r->k, i + 1));
        }
        if (top < r->k)
            printf("  ... %zu more (use --top to show them)\n", r->k - top);
        printf("\n");
    }
    snprintf(v, sizeof v, "%.6g", rk_spectrum_stable_rank(r->s, r->k));
    cli_print_row("stable rank", v, "(||A||_F^2 / sigma_1^2)");
    snprintf(v, sizeof v, "%.6g", rk_spectrum_effective_rank(r->s, r->k));
    cli_print_row("effective rank", v, "(exp(-sum p_i log p_i), p = sigma / sum sigma)");
    if (r->k == 0) {
        cli_print_row("condition number", "-", "(empty matrix)");
    } else {
        snprintf(v, sizeof v, "%.6g", rk_spectrum_condition(r->s, r->k));
        snprintf(note, sizeof note, "(sigma_1 / sigma_%zu)", r->k);
        cli_print_row("condition number", v, note);
    }
    snprintf(v, sizeof v, "%.10g", rk_spectrum_spectral(r->s, r->k));
    cli_print_row("spectral norm", v, "(sigma_1)");
    snprintf(v, sizeof v, "%.10g", rk_spectrum_nuclear(r->s, r->k));
    cli_print_row("nuclear norm", v, "(sum sigma_i)");
    snprintf(v, sizeof v, "%.10g", rk_spectrum_fro(r->s, r->k));
    cli_print_row("Frobenius norm", v, "(sqrt(sum sigma_i^2))");
    printf("%-18s", "energy reached");
    for (size_t i = 0; i < N_ENERGY_LEVELS; i++)
        printf("%s%g%% at k = %zu", i ? ", " : "", 100 * energy_levels[i],
               rk_spectrum_rank_for_energy(r->s, r->k, energy_levels[i]));
    printf("\n");
    if (r->rules) {
        printf("\n");
        cli_rule_print(r->s, r->k, r->m, r->n);
    }
}

static json_t *build_json(const svd_report *r)
{
    json_t *o = json_object();
    json_t *shape = json_array();
    json_t *sv = json_array();
    json_t *energy = json_array();
    json_t *levels = json_object();
    int bad = !o || !shape || !sv || !energy || !levels;
    bad |= json_array_append_new(shape, json_integer((json_int_t)r->m));
    bad |= json_array_append_new(shape, json_integer((json_int_t)r->n));
    for (size_t i = 0; i < r->k; i++) {
        bad |= json_array_append_new(sv, json_real(r->s[i]));
        bad |= json_array_append_new(energy, json_real(rk_spectrum_energy(r->s, r->k, i + 1)));
    }
    for (size_t i = 0; i < N_ENERGY_LEVELS; i++) {
        char key[32];
        snprintf(key, sizeof key, "%g", energy_levels[i]);
        bad |= json_object_set_new(levels, key, json_integer((json_int_t)rk_spectrum_rank_for_energy(
                                                    r->s, r->k, energy_levels[i])));
    }
    bad |= json_object_set_new(o, "file", json_string(r->file));
    bad |= json_object_set_new(o, "method", json_string("exact"));
    bad |= json_object_set_new(o, "shape", shape);
    bad |= json_object_set_new(o, "singular_values", sv);
    bad |= json_object_set_new(o, "cumulative_energy", energy);
    bad |= json_object_set_new(o, "rank", json_integer((json_int_t)r->rank));
    bad |= cli_tol_json(o, &r->opts, r->tol);
    bad |= json_object_set_new(o, "stable_rank", json_real(rk_spectrum_stable_rank(r->s, r->k)));
    bad |= json_object_set_new(o, "effective_rank", json_real(rk_spectrum_effective_rank(r->s, r->k)));
    /* σ₁/σ_k; null when infinite (σ_k = 0) or undefined (empty matrix). */
    bad |= json_object_set_new(o, "condition_number",
                               r->k ? cli_json_real_or_null(rk_spectrum_condition(r->s, r->k)) : json_null());
    bad |= json_object_set_new(o, "spectral_norm", json_real(rk_spectrum_spectral(r->s, r->k)));
    bad |= json_object_set_new(o, "nuclear_norm", json_real(rk_spectrum_nuclear(r->s, r->k)));
    bad |= json_object_set_new(o, "frobenius_norm", json_real(rk_spectrum_fro(r->s, r->k)));
    bad |= json_object_set_new(o, "rank_for_energy", levels);
    if (r->rules) {
        json_t *rules = cli_rule_json(r->s, r->k, r->m, r->n);
        bad |= !rules || json_object_set_new(o, "rules", rules);
    }
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* The scree plot of r->s with the tolerance line (lib/plot: rk_plot_scree); exit status. */
static int draw(const svd_report *r, const rk_plot_out *out, bool quiet)
{
    int rc = cli_plot_scree_begin("svd", r->file, rk_spectrum_spectral(r->s, r->k), out, quiet);
    if (rc != RK_EXIT_OK)
        return rc;
    char title[512], file[400];
    snprintf(title, sizeof title, "Scree plot: singular values of %s",
             rk_plot_text_literal(file, sizeof file, r->file));
    rk_err err;
    rk_err_clear(&err);
    rk_plot_mark marks[8];
    char names[8][96];
    size_t nm = r->rules ? cli_rule_marks(r->s, r->k, r->m, r->n, marks, names) : 0;
    rk_status s = rk_plot_scree_marked(r->s, r->k, r->tol, marks, nm, title, out, &err);
    return cli_plot_finish("svd", out, s, &err, quiet);
}

/* The report from every singular value (dense SVD, values only); exit status. */
static int run_exact(const char *file, const rk_mat *a, size_t top, const rk_rank_opts *opts,
                     bool json, bool rules, const rk_plot_out *plot)
{
    rk_svd svd;
    rk_status s = rk_svd_decomp(&svd, a, RK_SVD_VALUES);
    if (s != RK_OK)
        return cli_fail("svd", file, s, NULL);
    svd_report r = { .file = file, .m = svd.m, .n = svd.n, .k = svd.k, .s = svd.s, .opts = *opts,
                     .rules = rules };
    r.rank = rk_rank_from_values(svd.s, svd.k, svd.m, svd.n, opts, &r.tol);
    int rc = RK_EXIT_OK;
    if (json)
        rc = cli_json_print("svd", build_json(&r));
    else
        print_text(&r, top);
    if (plot && rc == RK_EXIT_OK)
        rc = draw(&r, plot, json);
    rk_svd_free(&svd);
    return rc;
}

typedef struct svd_opts {
    size_t top;                 /* --top K, SIZE_MAX: all */
    rk_rank_opts tol;           /* --tol / --rtol */
    cli_plot_opts p;            /* --plot FILE, --format */
    bool json, exact, rules;
} svd_opts;

/* One option of svd's own (cli_option_fn). */
static int svd_option(const char *cmd, int c, const char *arg, void *opts)
{
    svd_opts *o = opts;
    switch (c) {
    case OPT_TOP:
        if (!cli_parse_size(arg, SIZE_MAX, &o->top))
            return cli_usage_error(cmd, "--top wants an integer >= 0, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_JSON:
        o->json = true;
        return RK_EXIT_OK;
    case OPT_EXACT:
        o->exact = true;
        return RK_EXIT_OK;
    case OPT_RULES:
        o->rules = true;
        return RK_EXIT_OK;
    default:
        if (cli_plot_option(c, arg, &o->p) == RK_EXIT_OK)
            return RK_EXIT_OK;
        return cli_tol_option(cmd, &o->tol, c, arg);
    }
}

int cmd_svd(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "top", required_argument, NULL, OPT_TOP },
        CLI_TOL_LONGOPTS,
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        CLI_PLOT_LONGOPTS,
        { "exact", no_argument, NULL, OPT_EXACT },
        { "rules", no_argument, NULL, OPT_RULES },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { svd_usage, NULL };
    const char *cmd = "svd";
    svd_opts o = { .top = SIZE_MAX, .tol = { RK_TOL_DEFAULT, 0.0 } };
    rk_plot_out out;
    int rc = cli_options(cmd, argc, argv, ":h", longopts, usage, svd_option, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    const char *file;
    if ((rc = cli_one_file(cmd, argc, argv, optind, &file)) != RK_EXIT_OK)
        return rc;
    if ((rc = cli_plot_options(cmd, o.p.plot, o.p.format, o.json, &out)) != RK_EXIT_OK)
        return rc;

    rk_mat a = { 0 };
    if ((rc = cli_load_matrix(cmd, file, &a)) != RK_EXIT_OK)
        return rc;
    /* Only the top K asked for, of a large matrix: the randomized SVD (svd_top.c). */
    if (!o.exact && !o.rules && o.top != SIZE_MAX && rk_rsvd_worthwhile(a.rows, a.cols, o.top))
        rc = svd_top_run(file, &a, o.top, &o.tol, o.json, o.p.plot ? &out : NULL);
    else
        rc = run_exact(file, &a, o.top, &o.tol, o.json, o.rules, o.p.plot ? &out : NULL);
    rk_mat_free(&a);
    return rc;
}
