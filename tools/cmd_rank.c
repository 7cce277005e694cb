/*
 * cmd_rank.c — `ranklab rank FILE`: the numerical rank of a matrix,
 * rank = #{σ_i > tol}, and the tolerance used (lib/linalg/rank.h, rk_rank).
 */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "cli_tol.h"
#include "commands.h"

static const char rank_usage[] =
    "usage: ranklab rank FILE [--tol T | --rtol R] [--json]\n"
    "\n"
    "Numerical rank of the matrix in FILE: the number of singular values\n"
    "sigma_i > tol, and the tol used. FILE is a .npy array (2-d, or 1-d read as\n"
    "1 x n; any numeric dtype, computed in float64), or '-' to read one from\n"
    "standard input.\n"
    "\n"
    "Options:\n"
    "  --tol T     absolute tolerance: rank = number of sigma_i > T (T >= 0)\n"
    "  --rtol R    relative tolerance: rank = #{sigma_i > R * sigma_1} (R >= 0)\n"
    "              default: tol = sigma_1 * max(m, n) * eps, eps = 2^-52\n"
    "              (numpy.linalg.matrix_rank's rule); --tol and --rtol exclude\n"
    "              each other\n"
    "  --json      print one JSON object: file, shape, rank, tol, tol_rule\n"
    "              (\"default\", \"tol\" or \"rtol\") and tol_option (the T or R given)\n"
    "  -h, --help  show this help\n"
    "\n"
    "Exit status: 0 ok, 1 the file cannot be read or decomposed, 2 usage error.\n";

enum { OPT_JSON = 1101 };

static json_t *build_json(const char *file, const rk_mat *a, size_t rank, const rk_rank_opts *opts,
                          double tol)
{
    json_t *o = json_object();
    json_t *shape = json_array();
    int bad = !o || !shape;
    bad |= json_array_append_new(shape, json_integer((json_int_t)a->rows));
    bad |= json_array_append_new(shape, json_integer((json_int_t)a->cols));
    bad |= json_object_set_new(o, "file", json_string(file));
    bad |= json_object_set_new(o, "shape", shape);
    bad |= json_object_set_new(o, "rank", json_integer((json_int_t)rank));
    bad |= cli_tol_json(o, opts, tol);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

typedef struct rank_opts {
    rk_rank_opts tol;   /* --tol / --rtol */
    bool json;
} rank_opts;

/* One option of rank's own (cli_option_fn). */
static int rank_option(const char *cmd, int c, const char *arg, void *opts)
{
    rank_opts *o = opts;
    if (c != OPT_JSON)
        return cli_tol_option(cmd, &o->tol, c, arg);
    o->json = true;
    return RK_EXIT_OK;
}

int cmd_rank(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_TOL_LONGOPTS,
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { rank_usage, NULL };
    const char *cmd = "rank";
    rank_opts o = { .tol = { RK_TOL_DEFAULT, 0.0 } };
    int rc = cli_options(cmd, argc, argv, ":h", longopts, usage, rank_option, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    const char *file;
    if ((rc = cli_one_file(cmd, argc, argv, optind, &file)) != RK_EXIT_OK)
        return rc;

    rk_mat a = { 0 };
    if ((rc = cli_load_matrix(cmd, file, &a)) != RK_EXIT_OK)
        return rc;
    size_t rank;
    double tol;
    rk_status s = rk_rank(&a, &o.tol, &rank, &tol);
    if (s != RK_OK) {
        rk_mat_free(&a);
        return cli_fail(cmd, file, s, NULL);
    }
    if (o.json) {
        rc = cli_json_print(cmd, build_json(file, &a, rank, &o.tol, tol));
    } else {
        printf("rank %zu\n", rank);
        printf("tol  %.17g   (", tol);
        cli_tol_print_rule(stdout, &o.tol);
        printf("; %zu x %zu matrix)\n", a.rows, a.cols);
        rc = RK_EXIT_OK;
    }
    rk_mat_free(&a);
    return rc;
}
