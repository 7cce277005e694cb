/*
 * experiment_plots.c — the plots of the experiment's report, drawn with
 * lib/plot (gnuplot). Every plot leaves its data file (.dat) and script
 * (.gp) beside the image; without gnuplot only the data files appear.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/experiment_output.h"
#include "core/alloc.h"
#include "io/file.h"
#include "linalg/rank.h"
#include "plot/plot.h"

typedef struct plot_ctx {
    const char *dir;
    rk_plot_format format;
    rk_exp_plots *plots;
} plot_ctx;

/* Draw @p spec as NAME.EXT into the output folder (rk_exp_plot_draw). */
static rk_status draw(plot_ctx *pc, const char *name, const rk_plot_spec *spec, rk_err *err)
{
    return rk_exp_plot_draw(pc->dir, pc->format, pc->plots, name, spec, err);
}

/* An XY plot against the rank or index on a log-scaled x axis, of @p n_series
 * series; the other fields (y range, reference lines) are left zero. */
static rk_plot_spec logx_spec(const char *title, const char *xlabel, const char *ylabel,
                              const rk_plot_series *series, size_t n_series)
{
    rk_plot_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.kind = RK_PLOT_XY;
    sp.title = title;
    sp.xlabel = xlabel;
    sp.ylabel = ylabel;
    sp.logx = true;
    sp.series = series;
    sp.n_series = n_series;
    return sp;
}

static rk_status plot_accuracy(plot_ctx *pc, const rk_exp_models *m, const rk_exp_analysis *a,
                               rk_err *err)
{
    double x[RK_EXP_MAX_RUNS], acc[RK_EXP_MAX_RUNS], tgt[RK_EXP_MAX_RUNS];
    double ex[RK_EXP_MAX_RANKS], eacc[RK_EXP_MAX_RANKS], etgt[RK_EXP_MAX_RANKS];
    size_t n = 0, ne = 0;
    for (size_t i = 0; i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_RANK && m->runs[i].eval.n_classes) {
            x[n] = (double)m->runs[i].rank;
            acc[n] = m->runs[i].eval.accuracy;
            tgt[n++] = rk_exp_target_accuracy(m, &m->runs[i].eval);
        }
    for (size_t i = 0; i < a->n_extracted; i++) {
        if (!a->extracted[i].eval.n_classes)
            continue;
        ex[ne] = (double)a->extracted_rank[i];
        eacc[ne] = a->extracted[i].eval.accuracy;
        etgt[ne++] = rk_exp_target_accuracy(m, &a->extracted[i].eval);
    }
    if (n == 0 || !m->full_eval.n_classes)
        return RK_OK;
    /* All classes (what differs: how much is forgotten) as lines; the target class, which
     * every method learns, as points over the full fine-tune's line so that all stay visible. */
    /* Slots (lib/plot/style.h) with open markers for the extracted adapter, so that a filled
     * LoRA marker inside an open one shows both when they coincide. */
    rk_plot_series ser[4] = {
        { .name = "LoRA: all classes", .x = x, .y = acc, .n = n, .style = RK_PLOT_LINESPOINTS,
          .color = 1 },
        { .name = "W0 + [ΔW_{full}]_r: all classes", .x = ex, .y = eacc, .n = ne,
          .style = RK_PLOT_LINESPOINTS, .color = 6, .dash = 2 },
        { .name = "LoRA: target class", .x = x, .y = tgt, .n = n, .style = RK_PLOT_POINTS,
          .color = 3 },
        { .name = "W0 + [ΔW_{full}]_r: target class", .x = ex, .y = etgt, .n = ne,
          .style = RK_PLOT_POINTS, .color = 7 },
    };
    rk_plot_hline hl[3] = {
        { "full fine-tune: all classes", m->full_eval.accuracy, false },
        { "full fine-tune: target class", rk_exp_target_accuracy(m, &m->full_eval), false },
        { "pretrained: all classes", m->pretrain_eval.accuracy, false },
    };
    rk_plot_series only[2] = { ser[0], ser[2] };
    rk_plot_spec sp = logx_spec("Test accuracy after fine-tuning on the target class",
                                "rank r (log scale)", "accuracy (fraction correct)",
                                ne ? ser : only, ne ? 4 : 2);
    sp.ymin = 0;
    sp.ymax = 1.08;
    sp.hlines = hl;
    sp.n_hlines = 3;
    return draw(pc, "accuracy", &sp, err);
}

static rk_status plot_error(plot_ctx *pc, const rk_exp_models *m, const rk_exp_layer *L,
                            rk_err *err)
{
    double x[RK_EXP_MAX_RUNS], re[RK_EXP_MAX_RUNS], ey[RK_EXP_MAX_RUNS];
    size_t n = 0;
    for (size_t i = 0; i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_RANK) {
            x[n] = (double)L->cmp[i].rank;
            re[n] = L->cmp[i].rel_err;
            ey[n++] = L->cmp[i].ey_rel_err;
        }
    if (n == 0)
        return RK_OK;
    rk_plot_series ser[2] = {
        { .name = "LoRA: ‖ΔW_{lora} − ΔW_{full}‖_F / ‖ΔW_{full}‖_F", .x = x, .y = re, .n = n },
        { .name = "Eckart–Young bound: the best rank-r error", .x = x, .y = ey, .n = n },
    };
    char title[128], name[64];
    snprintf(title, sizeof title, "%s: LoRA's error against the best rank-r update", L->name);
    snprintf(name, sizeof name, "error_%s", L->name);
    rk_plot_spec sp = logx_spec(title, "rank r (log scale)", "relative Frobenius error", ser, 2);
    return draw(pc, name, &sp, err);
}

static rk_status plot_spectra(plot_ctx *pc, const rk_exp_models *m, const rk_exp_layer *L,
                              rk_err *err)
{
    rk_plot_spectrum sp[2 + RK_EXP_MAX_RUNS];
    char names[RK_EXP_MAX_RUNS][64];
    size_t n = 0;
    /* W0 is the reference the updates are compared with: grey. */
    sp[n++] = (rk_plot_spectrum){ .name = "W0", .s = L->s_w0, .k = L->k, .reference = true };
    sp[n++] = (rk_plot_spectrum){ .name = "ΔW_{full}", .s = L->s_full, .k = L->k };
    for (size_t i = 0; i < m->n_runs && n < 16; i++) {
        if (m->runs[i].role == RK_EXP_ROLE_SEED2 || L->cmp[i].k == 0)
            continue;
        snprintf(names[i], sizeof names[i], "ΔW_{lora} %s", m->runs[i].label);
        sp[n++] = (rk_plot_spectrum){ .name = names[i], .s = L->cmp[i].s, .k = L->cmp[i].k };
    }
    /* The rank ΔW_full is counted with: numpy's tolerance σ_max·max(Out, In)·ε. */
    double tol = 0;
    size_t rank = rk_rank_from_values(L->s_full, L->k, L->out, L->in, NULL, &tol);
    char title[128], name[64], tol_name[128];
    snprintf(title, sizeof title, "%s: singular values of W0, ΔW_{full} and ΔW_{lora}", L->name);
    snprintf(name, sizeof name, "spectra_%s", L->name);
    snprintf(tol_name, sizeof tol_name, "rank tolerance of ΔW_{full}, %.2g: %zu of its σ above it",
             tol, rank);
    rk_plot_scree_opts so = { .tol = tol, .tol_name = tol_name, .logx = true, .title = title };
    return rk_exp_plot_draw_spectra(pc->dir, pc->format, pc->plots, name, sp, n, &so, err);
}

/* Cumulative energy Σ_{i≤k} σ_i² / Σ σ_i² of W0 and ΔW_full against k. */
static rk_status plot_energy(plot_ctx *pc, const rk_exp_layer *L, rk_err *err)
{
    double *x = rk_alloc(3 * L->k * sizeof *x);
    if (!x)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    double *ew = x + L->k, *ef = x + 2 * L->k;
    double tw = 0, tf = 0, aw = 0, af = 0;
    for (size_t i = 0; i < L->k; i++) {
        tw += L->s_w0[i] * L->s_w0[i];
        tf += L->s_full[i] * L->s_full[i];
    }
    for (size_t i = 0; i < L->k; i++) {
        aw += L->s_w0[i] * L->s_w0[i];
        af += L->s_full[i] * L->s_full[i];
        x[i] = (double)(i + 1);
        ew[i] = tw > 0 ? aw / tw : 0;
        ef[i] = tf > 0 ? af / tf : 0;
    }
    rk_plot_series ser[2] = {
        { .name = "W0", .x = x, .y = ew, .n = L->k, .style = RK_PLOT_LINES, .reference = true },
        { .name = "ΔW_{full}", .x = x, .y = ef, .n = L->k, .style = RK_PLOT_LINES },
    };
    rk_plot_hline hl[2] = { { "90%", 0.9, false }, { "99%", 0.99, false } };
    char title[128], name[64];
    snprintf(title, sizeof title, "%s: cumulative energy of the singular values", L->name);
    snprintf(name, sizeof name, "energy_%s", L->name);
    rk_plot_spec sp = logx_spec(title, "number of singular values k (log scale)",
                                "Σ_{i≤k} σ_i^2 / Σ_i σ_i^2 (energy kept by the top k)", ser, 2);
    sp.ymin = 0;
    sp.ymax = 1.08;
    sp.hlines = hl;
    sp.n_hlines = 2;
    rk_status s = draw(pc, name, &sp, err);
    rk_free(x);
    return s;
}

static rk_status plot_heatmap(plot_ctx *pc, const char *name, const char *title,
                              const char *xlabel, const char *ylabel, const rk_mat *z, rk_err *err)
{
    if (!z->rows || !z->cols)
        return RK_OK;
    rk_plot_spec sp;
    memset(&sp, 0, sizeof sp);
    sp.kind = RK_PLOT_HEATMAP;
    sp.title = title;
    sp.xlabel = xlabel;
    sp.ylabel = ylabel;
    sp.zlabel = "φ(i, j)";
    sp.z = z;
    sp.zmin = 0;
    sp.zmax = 1;
    sp.index_base = 1;
    return draw(pc, name, &sp, err);
}

/* The run whose φ tables against ΔW_full are drawn: rank 8 (the paper's
 * pick), else the pair's smaller rank, else the first rank. */
static int heatmap_run(const rk_exp_config *cfg, const rk_exp_models *m)
{
    int r8 = -1, lo = -1, first = -1;
    for (size_t i = 0; i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_RANK) {
            if (first < 0)
                first = (int)i;
            if (m->runs[i].rank == 8 && r8 < 0)
                r8 = (int)i;
            if (m->runs[i].rank == cfg->pair_lo && lo < 0)
                lo = (int)i;
        }
    return r8 >= 0 ? r8 : lo >= 0 ? lo : first;
}

static rk_status plot_layer_phi(plot_ctx *pc, const rk_exp_config *cfg, const rk_exp_models *m,
                                const rk_exp_analysis *a, const rk_exp_layer *L, rk_err *err)
{
    char name[64], title[160], xl[96], yl[96];
    rk_status s = RK_OK;
    int h = heatmap_run(cfg, m);
    if (h >= 0) {
        const rk_exp_cmp *c = &L->cmp[h];
        static const char *side[2] = { "left", "right" };
        const rk_mat *t[2] = { &c->phi_left_table, &c->phi_right_table };
        for (int k = 0; s == RK_OK && k < 2; k++) {
            snprintf(name, sizeof name, "phi_%s_r%zu_%s", L->name, c->rank, side[k]);
            snprintf(title, sizeof title, "%s: φ of ΔW_{lora} (r = %zu) vs ΔW_{full}, %s singular vectors",
                     L->name, c->rank, side[k]);
            snprintf(xl, sizeof xl, "j: top-j %s singular vectors of ΔW_{full}", side[k]);
            snprintf(yl, sizeof yl, "i: top-i of ΔW_{lora} r = %zu", c->rank);
            s = plot_heatmap(pc, name, title, xl, yl, t[k], err);
        }
    }
    if (s == RK_OK && a->pair_run_lo >= 0) {
        size_t lo = m->runs[a->pair_run_lo].rank, hi = m->runs[a->pair_run_hi].rank;
        snprintf(name, sizeof name, "phi_%s_pair", L->name);
        snprintf(title, sizeof title, "%s: φ of ΔW_{lora} r = %zu vs r = %zu (left)", L->name, lo, hi);
        snprintf(xl, sizeof xl, "j: top-j of ΔW_{lora} r = %zu", hi);
        snprintf(yl, sizeof yl, "i: top-i of ΔW_{lora} r = %zu", lo);
        s = plot_heatmap(pc, name, title, xl, yl, &L->phi_pair, err);
    }
    if (s == RK_OK && a->seed_run_a >= 0) {
        size_t r = m->runs[a->seed_run_a].rank;
        snprintf(name, sizeof name, "phi_%s_seeds", L->name);
        snprintf(title, sizeof title, "%s: φ of two adapter seeds at r = %zu (left)", L->name, r);
        snprintf(xl, sizeof xl, "j: top-j of ΔW_{lora} r = %zu, seed 2", r);
        snprintf(yl, sizeof yl, "i: top-i of ΔW_{lora} r = %zu, seed 1", r);
        s = plot_heatmap(pc, name, title, xl, yl, &L->phi_seeds, err);
    }
    return s;
}

rk_status rk_exp_plots_write(const char *dir, rk_plot_format format, const rk_exp_config *cfg,
                             const rk_exp_models *m, const rk_exp_analysis *a, rk_exp_plots *plots,
                             rk_err *err)
{
    if (!dir || !cfg || !m || !a || !plots || (format != RK_PLOT_PNG && format != RK_PLOT_SVG))
        return rk_err_set(err, RK_EINVAL, "bad arguments");
    memset(plots, 0, sizeof *plots);
    rk_status s = rk_mkdir_p(dir, err);
    if (s != RK_OK)
        return s;
    plot_ctx pc = { dir, format, plots };
    s = plot_accuracy(&pc, m, a, err);
    for (size_t l = 0; s == RK_OK && l < a->n_layers; l++) {
        s = plot_error(&pc, m, &a->layers[l], err);
        if (s == RK_OK)
            s = plot_spectra(&pc, m, &a->layers[l], err);
        if (s == RK_OK)
            s = plot_energy(&pc, &a->layers[l], err);
        if (s == RK_OK)
            s = plot_layer_phi(&pc, cfg, m, a, &a->layers[l], err);
    }
    return s == RK_OK ? rk_exp_plots_learn_forget(dir, format, m, a, plots, err) : s;
}
