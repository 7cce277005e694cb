/*
 * experiment_figures.c — one figure of the experiment's output, from both
 * ends: drawn into the output folder and recorded in rk_exp_plots
 * (rk_exp_plot_draw, rk_exp_plot_draw_spectra: every plot of
 * experiment_plots.c and experiment_plots_lf.c goes through here), and linked
 * from report.md (rk_exp_report_figure: report.c and its sections). The plot
 * files and the report call this file; it calls neither.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "analysis/experiment_output.h"
#include "plot/plot.h"

typedef struct plot_ctx {
    const char *dir;
    rk_plot_format format;
    rk_exp_plots *plots;
} plot_ctx;

/* Draw @p spec (or the scree plot of @p spectra) as NAME.EXT in the output
 * folder; record the outcome in the plots' list. */
static rk_status draw(plot_ctx *pc, const char *name, const rk_plot_spec *spec,
                      const rk_plot_spectrum *spectra, size_t n_spectra,
                      const rk_plot_scree_opts *so, rk_err *err)
{
    if (pc->plots->n >= RK_EXP_MAX_PLOTS)
        return RK_OK;
    rk_exp_plot *p = &pc->plots->plots[pc->plots->n];
    const char *ext = pc->format == RK_PLOT_SVG ? "svg" : "png";
    snprintf(p->file, sizeof p->file, "%s.%s", name, ext);
    snprintf(p->data, sizeof p->data, "%s.dat", name);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", pc->dir, p->file);
    rk_plot_out out;
    memset(&out, 0, sizeof out);
    out.format = pc->format;
    out.path = path;
    rk_err e;
    rk_err_clear(&e);
    out.height = spectra ? 700 : 0;
    rk_status s = spectra ? rk_plot_spectra_with(spectra, n_spectra, so, &out, &e)
                          : rk_plot_draw(spec, &out, &e);
    p->status = s;
    pc->plots->n++;
    if (s == RK_EPLOT) {
        if (!pc->plots->gnuplot_error[0])
            snprintf(pc->plots->gnuplot_error, sizeof pc->plots->gnuplot_error, "%s", e.msg);
        return RK_OK;
    }
    if (s != RK_OK)
        return rk_err_set(err, s, "%s: %s", p->file, rk_err_message(&e, s));
    return RK_OK;
}

rk_status rk_exp_plot_draw(const char *dir, rk_plot_format format, rk_exp_plots *plots,
                           const char *name, const rk_plot_spec *spec, rk_err *err)
{
    plot_ctx pc = { dir, format, plots };
    return draw(&pc, name, spec, NULL, 0, NULL, err);
}


rk_status rk_exp_plot_draw_spectra(const char *dir, rk_plot_format format, rk_exp_plots *plots,
                                   const char *name, const rk_plot_spectrum *spectra, size_t n,
                                   const rk_plot_scree_opts *so, rk_err *err)
{
    plot_ctx pc = { dir, format, plots };
    return draw(&pc, name, NULL, spectra, n, so, err);
}

bool rk_exp_file_exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &st) == 0;
}

void rk_exp_report_figure(FILE *f, const char *dir, const rk_exp_plots *plots, const char *base,
                          const char *alt)
{
    for (size_t i = 0; f && dir && plots && i < plots->n; i++) {
        const rk_exp_plot *p = &plots->plots[i];
        if (strncmp(p->file, base, strlen(base)) != 0 || p->file[strlen(base)] != '.')
            continue;
        if (p->status == RK_OK && rk_exp_file_exists(dir, p->file))
            fprintf(f, "![%s](%s)\n\n", alt, p->file);
        if (rk_exp_file_exists(dir, p->data))
            fprintf(f, "Data: [%s](%s)%s\n\n", p->data, p->data,
                    p->status == RK_OK ? "" : " (the image was not drawn: gnuplot is missing or failed)");
        return;
    }
}
