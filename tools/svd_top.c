/*
 * svd_top.c — the top K singular values of a large matrix by the randomized
 * SVD (Halko, Martinsson & Tropp 2011; lib/linalg/rsvd.h), and what can be
 * said from them alone.
 *
 * With only σ₁ ≥ … ≥ σ_K known (K < k = min(m, n)):
 *   exact from the entries   ‖A‖_F = √(Σ a_ij²) (rk_mat_norm_fro)
 *   from the top K           energy(i) = Σ_{j≤i} σ_j² / ‖A‖_F², stable rank
 *                            ‖A‖_F²/σ₁², spectral norm σ₁, the tolerance
 *                            (σ₁·max(m, n)·ε by default) and the rank when
 *                            fewer than K values exceed it (else rank ≥ K)
 *   left out                 effective rank, condition number σ₁/σ_k,
 *                            nuclear norm Σσ: they need every value.
 */
#include "svd_top.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "cli_plot.h"
#include "cli_tol.h"

static const double levels[] = { 0.9, 0.99, 0.999 };
#define N_LEVELS (sizeof levels / sizeof levels[0])

typedef struct top_report {
    const char *file;
    size_t m, n, kfull, k;
    const double *s;        /* (k) top singular values */
    double *energy;         /* (k) Σ_{j≤i} σ_j² / ‖A‖_F² */
    double fro;             /* ‖A‖_F from the entries */
    size_t rank;            /* #{σ_i > tol} among the top k */
    bool rank_known;        /* rank < k: a value at or below tol was seen */
    double tol;
    const rk_rank_opts *opts;
} top_report;

/* Smallest i with energy(i) ≥ level, or SIZE_MAX when the top k do not reach it. */
static size_t rank_for(const top_report *r, double level)
{
    if (level <= 0 || r->fro == 0)
        return 0;
    for (size_t i = 0; i < r->k; i++)
        if (r->energy[i] >= level)
            return i + 1;
    return SIZE_MAX;
}

static void print_text(const top_report *r)
{
    char v[64], note[160];
    printf("matrix            %s\n", r->file);
    snprintf(v, sizeof v, "%zu x %zu", r->m, r->n);
    snprintf(note, sizeof note, "(min(m, n) = %zu)", r->kfull);
    cli_print_row("shape", v, note);
    printf("%-18srandomized SVD (Halko–Martinsson–Tropp), top %zu of min(m,n) = %zu; "
           "--exact to force the full SVD\n", "method", r->k, r->kfull);
    if (r->rank_known) {
        snprintf(v, sizeof v, "%zu", r->rank);
        cli_print_row("rank", v, "(sigma_i > tol)");
    } else {
        snprintf(v, sizeof v, ">= %zu", r->k);
        snprintf(note, sizeof note, "(all top %zu values are above tol; --exact for the rank)", r->k);
        cli_print_row("rank", v, note);
    }
    snprintf(v, sizeof v, "%.6g", r->tol);
    printf("%-18s%-20s(", "tol", v);
    cli_tol_print_rule(stdout, r->opts);
    printf(")\n");
    printf("\n   k           sigma_k   energy(<=k)\n");
    for (size_t i = 0; i < r->k; i++) {
        if (i == r->rank)
            printf("  ---- tol %.6g: the values below are not counted in the rank ----\n", r->tol);
        printf("%4zu  %16.10g  %.10f\n", i + 1, r->s[i], r->energy[i]);
    }
    printf("  ... %zu more, not computed\n\n", r->kfull - r->k);
    snprintf(v, sizeof v, "%.6g", r->s[0] > 0 ? (r->fro / r->s[0]) * (r->fro / r->s[0]) : 0.0);
    cli_print_row("stable rank", v, "(||A||_F^2 / sigma_1^2)");
    snprintf(v, sizeof v, "%.10g", r->s[0]);
    cli_print_row("spectral norm", v, "(sigma_1)");
    snprintf(v, sizeof v, "%.10g", r->fro);
    cli_print_row("Frobenius norm", v, "(sqrt(sum a_ij^2), from the entries)");
    printf("%-18s", "energy reached");
    for (size_t i = 0; i < N_LEVELS; i++) {
        size_t q = rank_for(r, levels[i]);
        if (q == SIZE_MAX)
            printf("%s%g%% at k > %zu", i ? ", " : "", 100 * levels[i], r->k);
        else
            printf("%s%g%% at k = %zu", i ? ", " : "", 100 * levels[i], q);
    }
    printf("\n%-18seffective rank, condition number, nuclear norm (they need every\n"
           "%-18ssingular value: --exact)\n", "not computed", "");
}

static json_t *build_json(const top_report *r)
{
    json_t *o = json_object(), *shape = json_array(), *sv = json_array(), *en = json_array();
    json_t *lv = json_object();
    int bad = !o || !shape || !sv || !en || !lv;
    bad |= json_array_append_new(shape, json_integer((json_int_t)r->m));
    bad |= json_array_append_new(shape, json_integer((json_int_t)r->n));
    for (size_t i = 0; i < r->k; i++) {
        bad |= json_array_append_new(sv, json_real(r->s[i]));
        bad |= json_array_append_new(en, json_real(r->energy[i]));
    }
    for (size_t i = 0; i < N_LEVELS; i++) {
        char key[32];
        size_t q = rank_for(r, levels[i]);
        snprintf(key, sizeof key, "%g", levels[i]);
        bad |= json_object_set_new(lv, key, q == SIZE_MAX ? json_null() : json_integer((json_int_t)q));
    }
    bad |= json_object_set_new(o, "file", json_string(r->file));
    bad |= json_object_set_new(o, "method", json_string("randomized"));
    bad |= json_object_set_new(o, "shape", shape);
    bad |= json_object_set_new(o, "top", json_integer((json_int_t)r->k));
    bad |= json_object_set_new(o, "singular_values", sv);
    bad |= json_object_set_new(o, "cumulative_energy", en);
    bad |= json_object_set_new(o, "rank", r->rank_known ? json_integer((json_int_t)r->rank) : json_null());
    bad |= json_object_set_new(o, "rank_at_least", json_integer((json_int_t)r->rank));
    bad |= cli_tol_json(o, r->opts, r->tol);
    bad |= json_object_set_new(o, "stable_rank",
                               json_real(r->s[0] > 0 ? (r->fro / r->s[0]) * (r->fro / r->s[0]) : 0.0));
    bad |= json_object_set_new(o, "effective_rank", json_null());
    bad |= json_object_set_new(o, "condition_number", json_null());
    bad |= json_object_set_new(o, "spectral_norm", json_real(r->s[0]));
    bad |= json_object_set_new(o, "nuclear_norm", json_null());
    bad |= json_object_set_new(o, "frobenius_norm", json_real(r->fro));
    bad |= json_object_set_new(o, "rank_for_energy", lv);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* σ_k on a log axis, the energy (against ‖A‖_F²) on the right, the tolerance line. */
static int draw(const top_report *r, const rk_plot_out *out, bool quiet)
{
    int rc = cli_plot_scree_begin("svd", r->file, r->s[0], out, quiet);
    if (rc != RK_EXIT_OK)
        return rc;
    char title[512], file[400];
    snprintf(title, sizeof title, "Scree plot: top %zu singular values of %s (randomized SVD)", r->k,
             rk_plot_text_literal(file, sizeof file, r->file));
    rk_plot_series ser[2] = {
        { .name = "singular value σ_k", .y = r->s, .n = r->k, .style = RK_PLOT_LINESPOINTS },
        { .name = "cumulative energy Σ_{i≤k} σ_i^2 / ‖A‖_F^2 (right axis)", .y = r->energy, .n = r->k,
          .style = RK_PLOT_LINES, .y2 = true, .dash = RK_PLOT_DASH_COMPANION },
    };
    char tname[64];
    snprintf(tname, sizeof tname, "rank tolerance %.3g: σ above it count", r->tol);
    rk_plot_hline tol = { .name = tname, .y = r->tol };
    rk_plot_spec spec = { .kind = RK_PLOT_XY, .title = title, .xlabel = "index k",
                          .ylabel = "singular value σ_k (log scale)",
                          .y2label = "cumulative energy (linear)",
                          .logy = true, .y2min = 0, .y2max = 1.05, .series = ser, .n_series = 2,
                          .hlines = &tol, .n_hlines = r->tol > 0 && isfinite(r->tol) };
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_plot_draw(&spec, out, &err);
    return cli_plot_finish("svd", out, s, &err, quiet);
}

int svd_top_run(const char *file, const rk_mat *a, size_t k, const rk_rank_opts *opts, bool json,
                const rk_plot_out *plot)
{
    rk_rsvd_opts ro = rk_rsvd_opts_default(k);
    rk_svd svd;
    rk_status s = rk_rsvd(&svd, a, &ro);
    if (s != RK_OK)
        return cli_fail("svd", file, s, NULL);
    top_report r = { .file = file, .m = a->rows, .n = a->cols, .k = svd.k, .s = svd.s, .opts = opts };
    r.kfull = r.m < r.n ? r.m : r.n;
    r.fro = rk_mat_norm_fro(a);
    r.energy = rk_alloc(r.k * sizeof *r.energy);
    if (!r.energy) {
        rk_svd_free(&svd);
        return cli_fail("svd", NULL, RK_ENOMEM, NULL);
    }
    /* energy(i) = Σ_{j≤i} (σ_j/‖A‖_F)²; the computed σ are at most the true ones, the clamp guards rounding. */
    double acc = 0;
    for (size_t i = 0; i < r.k; i++) {
        double q = r.fro > 0 ? r.s[i] / r.fro : 0.0;
        acc += q * q;
        r.energy[i] = acc < 1.0 ? acc : 1.0;
    }
    r.rank = rk_rank_from_values(r.s, r.k, r.m, r.n, opts, &r.tol);
    r.rank_known = r.rank < r.k;
    int rc = RK_EXIT_OK;
    if (json)
        rc = cli_json_print("svd", build_json(&r));
    else
        print_text(&r);
    if (rc == RK_EXIT_OK && plot)
        rc = draw(&r, plot, json);
    rk_free(r.energy);
    rk_svd_free(&svd);
    return rc;
}
