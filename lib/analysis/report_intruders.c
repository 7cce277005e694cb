/*
 * report_intruders.c — report.md's sections on intruder dimensions and the
 * λ sweep (lib/analysis/experiment_intruders.c), each table with a
 * paragraph written from this run's numbers and a verdict on the paper's
 * claim as it came out here.
 */
#include <stdbool.h>
#include <stdio.h>

#include "analysis/experiment_output.h"
#include "analysis/intruders.h"

typedef const struct rep_i {
    FILE *f;
    const rk_exp_models *m;
    const rk_exp_analysis *a;
} rep_i;

/* Intruders of one fine-tune over the meaningful layers, and whether any layer is meaningful. */
static size_t intr_total(const rk_exp_intr *t, size_t n_layers, bool *any)
{
    size_t n = 0;
    *any = false;
    for (size_t l = 0; l < n_layers; l++) {
        n += t->meaningful[l] ? t->count[l] : 0;
        *any |= t->meaningful[l];
    }
    return n;
}

static void intr_row(rep_i *r, const char *who, const rk_exp_intr *t)
{
    fprintf(r->f, "| %s |", who);
    for (size_t l = 0; l < r->a->n_layers; l++) {
        if (t->meaningful[l])
            fprintf(r->f, " %zu (%.2f) |", t->count[l], t->min_cos[l]);
        else
            fprintf(r->f, " — |");
    }
    fprintf(r->f, "\n");
}

static void intruder_section(rep_i *r)
{
    const rk_exp_models *m = r->m;
    const rk_exp_analysis *a = r->a;
    bool any;
    fprintf(r->f, "## Intruder dimensions\n\nPer layer: how many of the top %d left singular "
                  "vectors of W0 + ΔW have no cosine ≥ %.1f with any left singular vector of W0 "
                  "(Shuttleworth et al., arXiv 2410.21228), and in brackets the smallest such "
                  "largest cosine; — where the test is blind (the top %d span the whole output "
                  "space) (`rk_intruders_find_svd`, lib/analysis/intruders.c).\n\n| method |",
            RK_INTRUDER_TOP, RK_INTRUDER_EPS, RK_INTRUDER_TOP);
    for (size_t l = 0; l < a->n_layers; l++)
        fprintf(r->f, " %s |", a->layers[l].name);
    fprintf(r->f, "\n|---|");
    for (size_t l = 0; l < a->n_layers; l++)
        fprintf(r->f, "---:|");
    fprintf(r->f, "\n");
    intr_row(r, "full fine-tune", &a->intr_full);
    size_t with = 0, runs = 0;
    for (size_t i = 0; i < m->n_runs; i++) {
        char who[64];
        snprintf(who, sizeof who, "LoRA %s", m->runs[i].label);
        intr_row(r, who, &a->intr_run[i]);
        with += intr_total(&a->intr_run[i], a->n_layers, &any) > 0;
        runs++;
    }
    size_t full = intr_total(&a->intr_full, a->n_layers, &any);
    const char *verdict = !any ? "cannot be tested on this network (every layer is too small)"
                          : full == 0 && with == runs ? "holds on this network"
                          : full == 0 && with > 0 ? "holds only in part here: the full fine-tune has none, "
                                                    "but not every LoRA run has one"
                          : full == 0 ? "does not show here: neither method creates intruders"
                          : with > 0 ? "holds only in part: the full fine-tune has intruders too"
                                     : "does not hold here: only the full fine-tune has intruders";
    fprintf(r->f, "\nThe full fine-tune has %zu intruder%s; %zu of the %zu LoRA runs ha%s at least one",
            full, full == 1 ? "" : "s", with, runs, with == 1 ? "s" : "ve");
    const char *sep = " (";
    for (size_t i = 0; i < m->n_runs; i++) {
        if (intr_total(&a->intr_run[i], a->n_layers, &any) > 0) {
            fprintf(r->f, "%s%s", sep, m->runs[i].label);
            sep = ", ";
        }
    }
    fprintf(r->f, "%s. The paper's claim — LoRA creates intruder dimensions, full fine-tuning does "
                  "not — %s.\n\n", with > 0 ? ")" : "", verdict);
}

static void sweep_rows(rep_i *r)
{
    const rk_exp_analysis *a = r->a;
    for (size_t k = 0; k < RK_EXP_LAMBDAS; k++)
        fprintf(r->f, "| %.2f | %.3f | %.3f | %.3f | %.3f |\n", a->lambda[k], a->sweep_lora.target_acc[k],
                a->sweep_lora.other_acc[k], a->sweep_full.target_acc[k], a->sweep_full.other_acc[k]);
}

static void sweep_section(rep_i *r)
{
    const rk_exp_models *m = r->m;
    const rk_exp_analysis *a = r->a;
    if (!a->have_sweep || a->sweep_run < 0)
        return;
    const rk_exp_sweep *lo = &a->sweep_lora, *fu = &a->sweep_full;
    size_t last = RK_EXP_LAMBDAS - 1;
    fprintf(r->f, "## Scaling the intruders down\n\nW′ = W0 + ΔW + (λ − 1)·Σ_intruders σ′_i u′_i v′_iᵀ "
                  "in every layer where the test means something (PEFT's `reduce_intruder_dimension`; "
                  "`rk_intruders_scale`), evaluated on the first %zu test images: accuracy on the "
                  "target class and on the other classes. The full fine-tune's W′ is evaluated with "
                  "the pretrained biases, like every ΔW of this analysis.\n\n"
                  "| λ | LoRA %s: target | others | full: target | others |\n|---:|---:|---:|---:|---:|\n",
            a->sweep_n, m->runs[a->sweep_run].label);
    sweep_rows(r);
    bool any;
    size_t n_lora = intr_total(&a->intr_run[a->sweep_run], a->n_layers, &any);
    double gain = lo->other_acc[last] - lo->other_acc[0], cost = lo->target_acc[0] - lo->target_acc[last];
    if (n_lora == 0)
        fprintf(r->f, "\nLoRA %s has no intruder, so λ changes nothing: there is nothing to scale down.",
                m->runs[a->sweep_run].label);
    else
        fprintf(r->f, "\nRemoving LoRA %s's %zu intruder%s (λ = 0) moves the other classes from %.3f to "
                      "%.3f and the target class from %.3f to %.3f: the paper's claim that scaling them "
                      "down forgets less %s.", m->runs[a->sweep_run].label, n_lora, n_lora == 1 ? "" : "s",
                lo->other_acc[0], lo->other_acc[last], lo->target_acc[0], lo->target_acc[last],
                gain > 0.005 ? (cost > 0.05 ? "holds, at a cost on the target" : "holds")
                             : "does not hold here");
    fprintf(r->f, " For the full fine-tune the other classes go from %.3f (λ = 1) to %.3f (λ = 0).\n\n",
            fu->other_acc[0], fu->other_acc[last]);
}

/* The heatmap of the run and layer with the most intruders, and how to read it. */
static void heat_figure(rep_i *r, const char *dir, const rk_exp_plots *plots)
{
    const rk_exp_analysis *a = r->a;
    if (a->heat_run < 0 || !a->heat.rows)
        return;
    const rk_exp_intr *t = &a->intr_run[a->heat_run];
    size_t l = a->heat_layer;
    fprintf(r->f, "|U′ᵀU0| of %s for LoRA %s (%zu intruder%s there, the most of any run and layer%s): "
                  "row i is the i-th left singular vector of W0 + ΔW, column j the j-th of W0, the "
                  "colour their |cosine|. A row without a bright cell is an intruder: a new direction "
                  "that W0 does not have (Figure 1 of the paper; `rk_intruders_cos_table`).\n\n",
            r->m->names[l], r->m->runs[a->heat_run].label, t->count[l], t->count[l] == 1 ? "" : "s",
            t->count[l] ? "" : " — no run has one: this is the swept run in the largest layer");
    rk_exp_report_figure(r->f, dir, plots, "intruders_heatmap", "intruder heatmap");
}

void rk_exp_report_intruders(FILE *f, const char *dir, const rk_exp_plots *plots,
                             const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (!f || !m || !a)
        return;
    rep_i r = { f, m, a };
    intruder_section(&r);
    heat_figure(&r, dir, plots);
    sweep_section(&r);
}
