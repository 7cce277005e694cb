/*
 * cmd_random.c — `ranklab random`: test matrices written as .npy.
 *
 *   default     A (M×N) with independent N(0, 1) entries (full rank min(M, N)
 *               with probability 1)
 *   --rank R    A = L·Rt with L = randn(M, R), Rt = randn(R, N): rank exactly R
 *               (with probability 1), as the LoRA tutorial builds its W
 *
 * Draws come from rk_rng (lib/core/rng.h) seeded with --seed, filled row by
 * row (rk_mat_fill_normal): first all of L, then all of Rt. The same seed
 * gives the same matrix on every machine.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "commands.h"

static const char random_usage[] =
    "usage: ranklab random --rows M --cols N [-r R] [--seed S] [--dtype f8|f4]\n"
    "                      [--json] -o FILE.npy\n"
    "\n"
    "Write an M x N random matrix to FILE.npy: independent N(0, 1) entries, or,\n"
    "with --rank R, the product randn(M, R) * randn(R, N), whose rank is exactly R.\n"
    "\n"
    "Options:\n"
    "  --rows M           number of rows, 0 <= M <= 2147483647 (required)\n"
    "  --cols N           number of columns, 0 <= N <= 2147483647 (required)\n"
    "  -r, --rank R       make the matrix rank R, 0 <= R <= min(M, N)\n"
    "  --seed S           seed of the random generator, an unsigned 64-bit\n"
    "                     integer (default 0); the same seed gives the same matrix\n"
    "  --dtype f8|f4      element type in the file: f8 = float64 (default),\n"
    "                     f4 = float32 (rounding to float32 perturbs a rank-R\n"
    "                     matrix by ~1e-7 relative: its default numerical rank is\n"
    "                     then min(M, N); use 'ranklab rank --rtol 1e-5')\n"
    "  -o, --output FILE  the .npy file to write (required; written atomically;\n"
    "                     - writes it to standard output and prints nothing else)\n"
    "  --json             print one JSON object instead of the line: output,\n"
    "                     shape, dtype, rank (null without --rank), seed\n"
    "  -h, --help         show this help\n"
    "\n"
    "The matrix must fit in half of this machine's memory; larger sizes are\n"
    "refused before anything is allocated.\n"
    "\n"
    "Exit status: 0 ok, 1 the file cannot be written (or out of memory),\n"
    "2 usage error.\n";

enum { OPT_ROWS = 1101, OPT_COLS, OPT_SEED, OPT_DTYPE, OPT_JSON };

typedef struct random_args {
    size_t m, n, r;
    bool have_m, have_n, have_r, json;
    unsigned long long seed;
    rk_dtype dtype;
    const char *out;
} random_args;

/* One option of random (cli_option_fn). */
static int random_option(const char *cmd, int c, const char *arg, void *opts)
{
    random_args *a = opts;
    switch (c) {
    case OPT_ROWS:
        if (!(a->have_m = cli_parse_size(arg, SIZE_MAX, &a->m)))
            return cli_usage_error(cmd, "--rows wants an integer >= 0, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_COLS:
        if (!(a->have_n = cli_parse_size(arg, SIZE_MAX, &a->n)))
            return cli_usage_error(cmd, "--cols wants an integer >= 0, not '%s'", arg);
        return RK_EXIT_OK;
    case 'r':
        if (!(a->have_r = cli_parse_size(arg, SIZE_MAX, &a->r)))
            return cli_usage_error(cmd, "--rank wants an integer >= 0, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_SEED:
        if (!cli_parse_u64(arg, &a->seed))
            return cli_usage_error(cmd, "--seed wants an unsigned 64-bit integer, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_DTYPE:
        if (!strcmp(arg, "f8") || !strcmp(arg, "float64"))
            a->dtype = RK_DT_F64;
        else if (!strcmp(arg, "f4") || !strcmp(arg, "float32"))
            a->dtype = RK_DT_F32;
        else
            return cli_usage_error(cmd, "--dtype is f8 or f4, not '%s'", arg);
        return RK_EXIT_OK;
    case 'o': a->out = arg; return RK_EXIT_OK;
    case OPT_JSON: a->json = true; return RK_EXIT_OK;
    default: return CLI_OPT_UNKNOWN;
    }
}

/* Parse the options into @p a; exit status (-1 after --help). */
static int parse_args(int argc, char **argv, random_args *a)
{
    static const struct option longopts[] = {
        { "rows", required_argument, NULL, OPT_ROWS },
        { "cols", required_argument, NULL, OPT_COLS },
        { "rank", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, OPT_SEED },
        { "dtype", required_argument, NULL, OPT_DTYPE },
        { "output", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { random_usage, NULL };
    const char *cmd = "random";
    int rc = cli_options(cmd, argc, argv, ":ho:r:", longopts, usage, random_option, a);
    if (rc != RK_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->have_m || !a->have_n)
        return cli_usage_error(cmd, "missing --rows M or --cols N");
    if (!a->out)
        return cli_usage_error(cmd, "missing -o FILE.npy");
    /* Every other command hands the matrix to BLAS and LAPACK, whose
     * dimensions are ints: a file they would refuse is not written. */
    if (a->m > INT_MAX || a->n > INT_MAX)
        return cli_usage_error(cmd, "--%s %zu is more than %d, the largest dimension BLAS and "
                               "LAPACK take (an int)", a->m > INT_MAX ? "rows" : "cols",
                               a->m > INT_MAX ? a->m : a->n, INT_MAX);
    size_t k = a->m < a->n ? a->m : a->n;
    if (a->have_r && a->r > k)
        return cli_usage_error(cmd, "--rank %zu is more than min(M, N) = %zu", a->r, k);
    return RK_EXIT_OK;
}

/* Fill @p w (M×N): Gaussian, or randn(M, R)·randn(R, N) when a->have_r. */
static rk_status make_matrix(rk_mat *w, const random_args *a, rk_rng *rng)
{
    if (!a->have_r) {
        rk_status s = rk_mat_create(w, a->m, a->n);
        if (s == RK_OK)
            rk_mat_fill_normal(w, rng);
        return s;
    }
    rk_mat l = { 0 }, rt = { 0 };   /* l: (M, R), rt: (R, N) */
    rk_status s = rk_mat_create(&l, a->m, a->r);
    if (s == RK_OK)
        s = rk_mat_create(&rt, a->r, a->n);
    if (s == RK_OK) {
        rk_mat_fill_normal(&l, rng);
        rk_mat_fill_normal(&rt, rng);
        s = rk_mat_mul(w, &l, &rt);
    }
    rk_mat_free(&l);
    rk_mat_free(&rt);
    return s;
}

int cmd_random(int argc, char **argv)
{
    const char *cmd = "random";
    random_args a = { .dtype = RK_DT_F64 };
    int rc = parse_args(argc, argv, &a);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;

    /* W (M×N), plus L (M×R) and Rt (R×N) for --rank: refuse absurd sizes
     * before allocating (100000 × 100000 would be 80 GB). */
    size_t mn = 0, ml = 0, rn = 0, count = 0, bytes = 0;
    bool fits = rk_size_mul(a.m, a.n, &mn) && rk_size_mul(a.m, a.have_r ? a.r : 0, &ml) &&
                rk_size_mul(a.have_r ? a.r : 0, a.n, &rn) && rk_size_add(mn, ml, &count) &&
                rk_size_add(count, rn, &count) && rk_size_mul(count, sizeof(double), &bytes);
    char what[96];
    snprintf(what, sizeof what, "a %zu x %zu matrix", a.m, a.n);
    if ((rc = cli_check_memory(cmd, a.out, what, fits, bytes)) != RK_EXIT_OK)
        return rc;
    if ((rc = cli_output_check(cmd, "-o", a.out)) != RK_EXIT_OK)
        return rc;

    rk_rng rng;
    rk_rng_seed(&rng, (uint64_t)a.seed);
    rk_mat w = { 0 };
    rk_status s = make_matrix(&w, &a, &rng);
    if (s != RK_OK)
        return cli_fail(cmd, a.out, s, NULL);
    rk_err err;
    rk_err_clear(&err);
    s = rk_npy_write(a.out, &w, a.dtype, &err);
    rk_mat_free(&w);
    if (s != RK_OK)
        return cli_fail(cmd, a.out, s, &err);
    if (!strcmp(a.out, "-")) /* the matrix is on stdout: nothing else goes there */
        return RK_EXIT_OK;
    if (a.json)
        return cli_json_print(cmd, json_pack("{s:s, s:[I,I], s:s, s:o, s:o}", "output", a.out,
                                             "shape", (json_int_t)a.m, (json_int_t)a.n, "dtype",
                                             a.dtype == RK_DT_F32 ? "float32" : "float64", "rank",
                                             a.have_r ? json_integer((json_int_t)a.r) : json_null(),
                                             "seed", cli_json_u64(a.seed)));
    FILE *say = stdout;
    fprintf(say, "wrote %s: %zu x %zu %s, ", a.out, a.m, a.n, a.dtype == RK_DT_F32 ? "float32" : "float64");
    if (a.have_r)
        fprintf(say, "rank %zu = randn(%zu, %zu) * randn(%zu, %zu)", a.r, a.m, a.r, a.r, a.n);
    else
        fprintf(say, "N(0, 1) entries");
    fprintf(say, ", seed %llu\n", a.seed);
    return RK_EXIT_OK;
}
