/*
 * experiment_plots_lf.c — the report's plots of learning against forgetting
 * and of intruder dimensions: the learn–forget curves of every fine-tune on
 * one chart (x: accuracy on the other classes, y: on the target class, a
 * point per record), the rank holding 90% of ΔW_full's energy against the
 * training step, and the |U'ᵀU0| heatmap (lib/analysis/intruders_plot.h, the
 * one the command and lesson 7 draw). Colours and dashes are the palette's
 * slots (lib/plot/style.h), one per run.
 */
#include <stdio.h>
#include <string.h>

#include "analysis/experiment_output.h"
#include "analysis/intruders.h"
#include "analysis/intruders_plot.h"
#include "core/alloc.h"

/* Every run's curve: (others, target) at each record. */
static rk_status plot_curves(const char *dir, rk_plot_format fmt, const rk_exp_models *m,
                             rk_exp_plots *plots, rk_err *err)
{
    const rk_exp_lf *lf = &m->lf;
    size_t n_series = 1 + m->n_runs, cap = lf->full.cap;
    double *x = rk_calloc(n_series * cap * 2, sizeof *x);
    rk_plot_series ser[1 + RK_EXP_MAX_RUNS];
    char names[1 + RK_EXP_MAX_RUNS][64];
    if (!x)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n_series; i++) {
        const rk_lf_track *t = i == 0 ? &lf->full : &lf->runs[i - 1];
        if (t->n == 0 || t->n > cap)
            continue;
        double *xs = x + 2 * i * cap, *ys = xs + cap;
        for (size_t j = 0; j < t->n; j++) {
            xs[j] = t->points[j].other_acc;
            ys[j] = t->points[j].target_acc;
        }
        snprintf(names[k], sizeof names[k], "%s%s", i == 0 ? "full fine-tune" : "LoRA ",
                 i == 0 ? "" : m->runs[i - 1].label);
        ser[k] = (rk_plot_series){ .name = names[k], .x = xs, .y = ys, .n = t->n,
                                   .style = RK_PLOT_LINESPOINTS };
        k++;
    }
    char title[160];
    snprintf(title, sizeof title, "Learning against forgetting: a point every %zu steps from step 0, "
             "%zu test images", lf->every, lf->n_eval);
    rk_plot_spec sp = { .kind = RK_PLOT_XY, .title = title,
                        .xlabel = "accuracy on the other classes (kept: right is better)",
                        .ylabel = "accuracy on the target class (learned)", .series = ser,
                        .n_series = k, .ymin = 0, .ymax = 1.05 };
    rk_status s = k ? rk_exp_plot_draw(dir, fmt, plots, "learn_forget", &sp, err) : RK_OK;
    rk_free(x);
    return s;
}

/* The full fine-tune's rank for 90% of the energy, per layer, against the step. */
static rk_status plot_rank90(const char *dir, rk_plot_format fmt, const rk_exp_models *m,
                             rk_exp_plots *plots, rk_err *err)
{
    const rk_lf_track *t = &m->lf.full;
    size_t n = t->n, L = t->n_layers;
    double *v = rk_calloc((L + 1) * (n ? n : 1), sizeof *v);
    rk_plot_series ser[RK_MLP_MAX_LAYERS];
    char names[RK_MLP_MAX_LAYERS][64];
    if (!v)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        v[i] = (double)t->points[i].step;
    for (size_t l = 0; l < L && l < RK_MLP_MAX_LAYERS; l++) {
        double *y = v + (l + 1) * n;
        for (size_t i = 0; i < n; i++)
            y[i] = (double)t->layers[i * L + l].rank_90;
        snprintf(names[l], sizeof names[l], "%s (%zu × %zu)", m->names[l], m->w0[l].rows, m->w0[l].cols);
        ser[l] = (rk_plot_series){ .name = names[l], .x = v, .y = y, .n = n,
                                   .style = RK_PLOT_LINESPOINTS };
    }
    rk_plot_spec sp = { .kind = RK_PLOT_XY,
                        .title = "Rank holding 90% of the energy of ΔW_{full} along training",
                        .xlabel = "fine-tuning step", .ylabel = "min r with Σ_{i≤r} σ_i^2 ≥ 0.9 Σ σ_i^2",
                        .series = ser, .n_series = L };
    rk_status s = n && L ? rk_exp_plot_draw(dir, fmt, plots, "rank90_full", &sp, err) : RK_OK;
    rk_free(v);
    return s;
}

static rk_status plot_heat(const char *dir, rk_plot_format fmt, const rk_exp_models *m,
                           const rk_exp_analysis *a, rk_exp_plots *plots, rk_err *err)
{
    if (a->heat_run < 0 || (size_t)a->heat_run >= m->n_runs || !a->heat.rows)
        return RK_OK;
    const rk_exp_intr *t = &a->intr_run[a->heat_run];
    size_t l = a->heat_layer;
    char title[200], what[96];
    snprintf(what, sizeof what, "%s, LoRA %s", m->names[l], m->runs[a->heat_run].label);
    rk_intruders_heatmap_title(title, sizeof title, what, t->count[l], a->heat.rows, t->meaningful[l],
                               RK_INTRUDER_EPS);
    rk_plot_spec sp = rk_intruders_heatmap(&a->heat, title);
    return rk_exp_plot_draw(dir, fmt, plots, "intruders_heatmap", &sp, err);
}

rk_status rk_exp_plots_learn_forget(const char *dir, rk_plot_format fmt, const rk_exp_models *m,
                                    const rk_exp_analysis *a, rk_exp_plots *plots, rk_err *err)
{
    rk_status s = RK_OK;
    if (m->lf.every && m->lf.full.n) {
        s = plot_curves(dir, fmt, m, plots, err);
        if (s == RK_OK)
            s = plot_rank90(dir, fmt, m, plots, err);
    }
    return s == RK_OK ? plot_heat(dir, fmt, m, a, plots, err) : s;
}
