/* cli_plot.c — --plot / --format of `ranklab svd` and `ranklab delta` (see cli_plot.h). */
#include "cli_plot.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_output.h"

int cli_plot_option(int c, const char *arg, cli_plot_opts *o)
{
    if (c == CLI_OPT_PLOT)
        o->plot = arg;
    else if (c == CLI_OPT_FORMAT)
        o->format = arg;
    else
        return CLI_OPT_UNKNOWN;
    return RK_EXIT_OK;
}

int cli_plot_prepare(const char *cmd, const char *arg, const char *format, rk_plot_out *out)
{
    *out = (rk_plot_out){ 0 };
    if (!arg || !*arg)
        return cli_usage_error(cmd, "--plot wants a file name (FILE.png, FILE.svg) or '-'");
    if (format && !strcmp(arg, "-"))
        return cli_usage_error(cmd, "--format applies to a plot file, not to '--plot -'");
    rk_plot_format forced;
    if (format && (rk_plot_format_parse(format, &forced) != RK_OK || forced == RK_PLOT_TERM))
        return cli_usage_error(cmd, "--format wants png or svg, not '%s'", format);
    if (rk_plot_format_for(arg, format, &out->format) != RK_OK)
        return cli_usage_error(cmd, "cannot tell the plot format of '%s'", arg);
    if (out->format == RK_PLOT_TERM) {
        out->term = stdout;
    } else {
        /* A folder would get FOLDER.dat and FOLDER.gp beside it, then fail:
         * refuse it before anything is computed or written. */
        struct stat sb;
        if (stat(arg, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            fprintf(stderr, "ranklab %s: %s: is a directory; --plot wants a file name "
                    "(such as %s/scree.png) or '-'\n", cmd, cli_name(arg), cli_name(arg));
            return RK_EXIT_RUNTIME;
        }
        out->path = arg;
    }
    return cli_output_plot_check(cmd, arg);
}

int cli_plot_options(const char *cmd, const char *plot, const char *format, bool json,
                     rk_plot_out *out)
{
    if (format && !plot)
        return cli_usage_error(cmd, "--format only applies to --plot");
    if (!plot)
        return RK_EXIT_OK;
    if (json && !strcmp(plot, "-"))
        return cli_usage_error(cmd, "--plot - and --json both write to standard output");
    return cli_plot_prepare(cmd, plot, format, out);
}

int cli_plot_scree_begin(const char *cmd, const char *file, double sigma1, const rk_plot_out *out,
                         bool quiet)
{
    if (sigma1 == 0.0) {
        fprintf(stderr, "ranklab %s: %s: no plot: every singular value is 0 (nothing to draw on a log axis)\n",
                cmd, file);
        return RK_EXIT_RUNTIME;
    }
    if (!quiet && out->format == RK_PLOT_TERM)
        printf("\n");
    fflush(stdout);
    return RK_EXIT_OK;
}

/* PATH with its extension replaced by @p ext, into @p buf. */
static void sibling(char *buf, size_t size, const char *path, const char *ext)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    size_t stem = (dot && (!slash || dot > slash + 1)) ? (size_t)(dot - path) : strlen(path);
    snprintf(buf, size, "%.*s%s", (int)stem, path, ext);
}

int cli_plot_finish(const char *cmd, const rk_plot_out *out, rk_status s, const rk_err *err,
                    bool quiet)
{
    const char *name = out->path ? out->path : "-";
    char dat[4096], gp[4096];
    if (out->path) {
        sibling(dat, sizeof dat, out->path, ".dat");
        sibling(gp, sizeof gp, out->path, ".gp");
    }
    if (s == RK_OK) {
        if (!quiet && out->path)
            printf("%-18s%s (data %s, gnuplot script %s)\n", "plot", out->path, dat, gp);
        fflush(stdout);
        return RK_EXIT_OK;
    }
    if (s == RK_EPLOT) {
        if (out->path)
            fprintf(stderr, "ranklab %s: %s: no plot drawn: %s; the data is in %s\n", cmd, name,
                    rk_err_message(err, s), dat);
        else
            fprintf(stderr, "ranklab %s: no plot drawn: %s\n", cmd, rk_err_message(err, s));
        return RK_EXIT_OK;
    }
    return cli_fail(cmd, name, s, err);
}
