/*
 * report_learn_forget.c — report.md's section on learning against
 * forgetting along training (Biderman et al., "LoRA Learns Less and Forgets
 * Less", arXiv 2405.09673): the records of every fine-tune
 * (experiment_learn_forget.c) as tables, a paragraph from this run's numbers
 * and a verdict on the paper's two claims as they came out here.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>

#include "analysis/experiment_output.h"

typedef const struct rep_lf {
    FILE *f;
    const rk_exp_models *m;
    const rk_exp_analysis *a;
    size_t main;             /* the layer with the most weights */
} rep_lf;

static const rk_lf_point *last_point(const rk_lf_track *t)
{
    return &t->points[t->n - 1];
}

static const rk_lf_layer *last_layer(const rk_lf_track *t, size_t l)
{
    return &t->layers[(t->n - 1) * t->n_layers + l];
}

/* The first recorded step with target accuracy ≥ 0.9, or −1. */
static long learned_at(const rk_lf_track *t)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->points[i].target_acc >= 0.9)
            return (long)t->points[i].step;
    return -1;
}

static void run_row(rep_lf *r, const char *who, const rk_lf_track *t)
{
    const rk_lf_point *p0 = &t->points[0], *pe = last_point(t);
    const rk_lf_layer *g = last_layer(t, r->main);
    long at = learned_at(t);
    fprintf(r->f, "| %s | %.3f → %.3f | %.3f → %.3f | ", who, p0->target_acc, pe->target_acc,
            p0->other_acc, pe->other_acc);
    if (at >= 0)
        fprintf(r->f, "%ld |", at);
    else
        fprintf(r->f, "— |");
    fprintf(r->f, " %.4g | %zu | %zu | %.1f |\n", g->fro, g->rank_90, g->rank_99, g->eff_rank);
}

static void runs_table(rep_lf *r)
{
    const rk_exp_models *m = r->m;
    const rk_exp_lf *lf = &m->lf;
    fprintf(r->f, "## Learning against forgetting along training\n\n"
                  "Every fine-tune was evaluated before its first step, every %zu steps and after "
                  "its last on one fixed evaluation subset: %zu test images (%s%llu). "
                  "Target: accuracy on the subset's images of class %d (what it learns); others: on "
                  "the images of the other classes (what it forgets). The update of %s at the end: "
                  "‖ΔW‖_F, the ranks holding 90%% and 99%% of its energy Σσ², and its effective rank "
                  "exp(−Σ p_i log p_i), p_i = σ_i/Σσ (`rk_lf_record`, lib/analysis/learn_forget.c).\n\n"
                  "| run | target | others | target ≥ 0.9 at step | ‖ΔW‖_F | rank 90%% | rank 99%% | "
                  "effective rank |\n|---|---:|---:|---:|---:|---:|---:|---:|\n",
            lf->every, lf->n_eval, lf->whole_test ? "the whole test set; seed " : "drawn with seed ",
            (unsigned long long)lf->seed, m->target_class, m->names[r->main]);
    run_row(r, "full fine-tune", &lf->full);
    for (size_t i = 0; i < m->n_runs; i++) {
        char who[64];
        snprintf(who, sizeof who, "LoRA %s", m->runs[i].label);
        if (lf->runs[i].n)
            run_row(r, who, &lf->runs[i]);
    }
    fprintf(r->f, "\n");
}

/* The full fine-tune's update of the main layer, record by record. */
static void full_table(rep_lf *r)
{
    const rk_lf_track *t = &r->m->lf.full;
    size_t l = r->main, k = r->a->layers[l].k;
    fprintf(r->f, "The full fine-tune's ΔW_t of %s (%zu × %zu, rank at most %zu) along training; "
                  "φ(%d, %d) compares its top %d left singular vectors with those of the final ΔW "
                  "(1: the same subspace; `rk_lf_finish`).\n\n"
                  "| step | target | others | ‖ΔW_t‖_F | rank 90%% | rank 99%% | effective rank | "
                  "φ vs final |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n",
            r->m->names[l], r->a->layers[l].out, r->a->layers[l].in, k, RK_EXP_LF_PHI_RANK,
            RK_EXP_LF_PHI_RANK, RK_EXP_LF_PHI_RANK);
    for (size_t i = 0; i < t->n; i++) {
        const rk_lf_layer *g = &t->layers[i * t->n_layers + l];
        fprintf(r->f, "| %zu | %.3f | %.3f | %.4g | %zu | %zu | %.1f | ", t->points[i].step,
                t->points[i].target_acc, t->points[i].other_acc, g->fro, g->rank_90, g->rank_99,
                g->eff_rank);
        if (isfinite(g->phi))
            fprintf(r->f, "%.3f |\n", g->phi);
        else
            fprintf(r->f, "— |\n");
    }
    fprintf(r->f, "\n");
}

/* The paper's second claim, judged at 90% and at 99% of the energy: the full update's rank
 * against the largest LoRA rank compared. */
static void rank_verdict(rep_lf *r, size_t max_rank)
{
    const rk_lf_layer *g = last_layer(&r->m->lf.full, r->main);
    size_t k = r->a->layers[r->main].k;
    bool above90 = g->rank_90 > max_rank, above99 = g->rank_99 > max_rank;
    fprintf(r->f, " The full fine-tune's final ΔW of %s needs rank %zu of %zu for 90%% of its energy "
                  "(%s the largest LoRA rank compared, %zu) and %zu for 99%% (%s it): the paper's "
                  "second claim (full fine-tuning's update has a much higher rank than LoRA's) %s.\n\n",
            r->m->names[r->main], g->rank_90, k, above90 ? "above" : "within", max_rank, g->rank_99,
            above99 ? "above" : "within",
            above90 ? "holds here at 90% and at 99%"
            : above99 ? "does not hold here at 90% but holds at 99%"
                      : "does not hold here, at 90% or at 99%");
}

/* The paper's first claim on this run: LoRA learns less and forgets less than full fine-tuning. */
static void verdict_paragraph(rep_lf *r)
{
    const rk_exp_models *m = r->m;
    const rk_lf_point *full = last_point(&m->lf.full);
    size_t runs = 0, less_forget = 0, less_learn = 0, both = 0, max_rank = 0;
    double lo_o = INFINITY, hi_o = -INFINITY;
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_lf_track *t = &m->lf.runs[i];
        if (m->runs[i].role != RK_EXP_ROLE_RANK || !t->n)
            continue;
        const rk_lf_point *p = last_point(t);
        bool f = p->other_acc > full->other_acc, l = p->target_acc <= full->target_acc;
        runs++;
        less_forget += f;
        less_learn += l;
        both += f && l;
        lo_o = fmin(lo_o, p->other_acc);
        hi_o = fmax(hi_o, p->other_acc);
        max_rank = m->runs[i].rank > max_rank ? m->runs[i].rank : max_rank;
    }
    if (runs == 0)
        return;
    fprintf(r->f, "After %zu steps the full fine-tune reaches %.3f on the target class and keeps %.3f "
                  "on the others; the %zu LoRA runs at the compared ranks keep %.3f to %.3f on the "
                  "others. %zu of them forget less than the full fine-tune, %zu learn no more than it, "
                  "%zu do both: the claim that LoRA learns less and forgets less %s.",
            last_point(&m->lf.full)->step, full->target_acc, full->other_acc, runs, lo_o, hi_o,
            less_forget, less_learn, both,
            both == runs ? "holds on this run"
            : both > 0   ? "holds only for some ranks here"
            : less_forget > 0 ? "holds only in part: LoRA forgets less but learns as much"
                              : "does not hold here");
    rank_verdict(r, max_rank);
}

void rk_exp_report_learn_forget(FILE *f, const char *dir, const rk_exp_plots *plots,
                                const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (!f || !m || !a || m->lf.every == 0 || m->lf.full.n == 0 || a->n_layers != m->n_layers)
        return;
    size_t best = 0;
    for (size_t l = 1; l < a->n_layers; l++)
        if (a->layers[l].out * a->layers[l].in > a->layers[best].out * a->layers[best].in)
            best = l;
    rep_lf r = { f, m, a, best };
    runs_table(&r);
    verdict_paragraph(&r);
    fprintf(f, "Every run's records on one chart: each curve starts at the pretrained point and "
               "moves up (learning the target class) and to the left (forgetting the others); a "
               "curve further right at the same height learned as much and forgot less.\n\n");
    rk_exp_report_figure(f, dir, plots, "learn_forget", "learning against forgetting");
    full_table(&r);
    fprintf(f, "The rank holding 90%% of the full update's energy, per layer, step by step "
               "(`rk_spectrum_rank_for_energy`, lib/linalg/spectrum.c).\n\n");
    rk_exp_report_figure(f, dir, plots, "rank90_full", "rank for 90% energy against the step");
}
