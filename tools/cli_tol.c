/* cli_tol.c — the --tol / --rtol options of `ranklab svd` and `ranklab rank`. */
#include "cli_tol.h"

#include "cli.h"

int cli_tol_option(const char *cmd, rk_rank_opts *opts, int opt, const char *arg)
{
    if (opt != CLI_OPT_TOL && opt != CLI_OPT_RTOL)
        return CLI_OPT_UNKNOWN;
    const char *name = opt == CLI_OPT_TOL ? "--tol" : "--rtol";
    rk_tol_kind kind = opt == CLI_OPT_TOL ? RK_TOL_ABS : RK_TOL_REL;
    if (opts->kind != RK_TOL_DEFAULT && opts->kind != kind)
        return cli_usage_error(cmd, "--tol and --rtol exclude each other");
    double v;
    if (!cli_parse_double(arg, &v) || v < 0)
        return cli_usage_error(cmd, "%s wants a finite number >= 0, not '%s'", name, arg);
    opts->kind = kind;
    opts->value = v;
    return RK_EXIT_OK;
}

const char *cli_tol_rule_name(const rk_rank_opts *opts)
{
    switch (opts->kind) {
    case RK_TOL_ABS: return "tol";
    case RK_TOL_REL: return "rtol";
    default: return "default";
    }
}

void cli_tol_print_rule(FILE *f, const rk_rank_opts *opts)
{
    switch (opts->kind) {
    case RK_TOL_ABS:
        fprintf(f, "--tol %g", opts->value);
        break;
    case RK_TOL_REL:
        fprintf(f, "--rtol %g: %g * sigma_1", opts->value, opts->value);
        break;
    default:
        fprintf(f, "default: sigma_1 * max(m, n) * eps");
        break;
    }
}

int cli_tol_json(json_t *obj, const rk_rank_opts *opts, double tol_used)
{
    int bad = json_object_set_new(obj, "tol", json_real(tol_used));
    bad |= json_object_set_new(obj, "tol_rule", json_string(cli_tol_rule_name(opts)));
    if (opts->kind != RK_TOL_DEFAULT)
        bad |= json_object_set_new(obj, "tol_option", json_real(opts->value));
    return bad ? -1 : 0;
}
