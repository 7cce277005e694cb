/*
 * report.c — report.md of the main experiment: tables and plots, each with a
 * paragraph written from the numbers of this run (never canned claims), and
 * the lib/ function that computed them. Only files that exist are linked.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "analysis/experiment_output.h"
#include "io/file.h"
#include "linalg/spectrum.h"
#include "nn/data.h"

typedef struct rep {
    FILE *f;
    const char *dir;
    const rk_exp_config *cfg;
    const rk_exp_models *m;
    const rk_exp_analysis *a;
    const rk_exp_plots *plots;
} rep;

static bool exists(const rep *r, const char *name)
{
    return rk_exp_file_exists(r->dir, name);
}

static const char *class_name(int c, int k)
{
    return k == 10 && c >= 0 && c < 10 ? rk_dataset_class_name((size_t)c) : "";
}

/* An image (drawn) or its data file, with the paragraph under it. */
static void figure(const rep *r, const char *base, const char *alt)
{
    rk_exp_report_figure(r->f, r->dir, r->plots, base, alt);
}

static void fmt_acc(char *buf, size_t n, const rk_exp_models *m, const rk_eval *ev, bool target)
{
    if (!ev->n_classes)
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%.4f", target ? rk_exp_target_accuracy(m, ev) : ev->accuracy);
}

static void acc_row(const rep *r, const char *method, const rk_eval *ev, size_t params,
                    const rk_train_result *c)
{
    char a1[32], a2[32];
    fmt_acc(a1, sizeof a1, r->m, ev, false);
    fmt_acc(a2, sizeof a2, r->m, ev, true);
    if (c && c->steps)
        fprintf(r->f, "| %s | %zu | %.2f | %.1f | %s | %s |\n", method, params, c->seconds,
                (double)c->state_bytes / 1048576.0, a1, a2);
    else
        fprintf(r->f, "| %s | %zu | – | – | %s | %s |\n", method, params, a1, a2);
}

/* The run with the highest target-class accuracy among the ranks (−1 if none). */
static int best_lora(const rk_exp_models *m)
{
    int b = -1;
    for (size_t i = 0; i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_RANK && m->runs[i].eval.n_classes &&
            (b < 0 || rk_exp_target_accuracy(m, &m->runs[i].eval) >
                          rk_exp_target_accuracy(m, &m->runs[b].eval)))
            b = (int)i;
    return b;
}

/* LoRA at rank r against W0 + [ΔW_full]_r: the target class (what both learn) and all
 * classes (what each forgets), said apart, and a tie said as a tie. */
static void compare_extracted(const rep *r, const rk_exp_lora_run *run, const rk_eval *ex)
{
    double tx = rk_exp_target_accuracy(r->m, ex), tl = rk_exp_target_accuracy(r->m, &run->eval);
    double dt = tx - tl;
    double da = ex->accuracy - run->eval.accuracy;
    fprintf(r->f, " The SVD-extracted update of the same rank, W0 + [ΔW_full]_%zu, reaches %.1f%% "
                  "on the target class (overall %.1f%%).",
            run->rank, 100 * tx, 100 * ex->accuracy);
    if (dt != 0)
        fprintf(r->f, " On the target class the %s is ahead by %.1f points.",
                dt > 0 ? "extracted update" : "learned LoRA update", 100 * fabs(dt));
    else
        fprintf(r->f, " Both reach the same target-class accuracy.");
    if (da != 0)
        fprintf(r->f, " The %s forgets less of the other classes: %.1f%% against %.1f%% "
                      "overall.",
                da > 0 ? "extracted update" : "learned LoRA update",
                100 * (da > 0 ? ex->accuracy : run->eval.accuracy),
                100 * (da > 0 ? run->eval.accuracy : ex->accuracy));
    else
        fprintf(r->f, " Overall they are equal too.");
}

/* "SVD-extracted W0 + [ΔW_full]_r", and the layers whose rank stops below r (min(Out, In) < r):
 * their factors, and so the parameter count, are smaller than LoRA's at the same r. */
static void extracted_label(const rep *r, size_t rank, char *buf, size_t n)
{
    int len = snprintf(buf, n, "SVD-extracted W0 + [ΔW_full]_%zu", rank);
    const char *sep = " (capped: ";
    for (size_t l = 0; l < r->a->n_layers && len > 0 && (size_t)len < n; l++) {
        const rk_exp_layer *L = &r->a->layers[l];
        size_t k = L->out < L->in ? L->out : L->in;
        if (k < rank) {
            len += snprintf(buf + len, n - (size_t)len, "%s%s at rank %zu = min(Out, In)", sep,
                            L->name, k);
            sep = ", ";
        }
    }
    if (len > 0 && (size_t)len < n && sep[0] == ',')
        snprintf(buf + len, n - (size_t)len, ")");
}

static void accuracy_section(const rep *r)
{
    const rk_exp_models *m = r->m;
    const rk_exp_analysis *a = r->a;
    fprintf(r->f, "## Accuracy and cost\n\n"
                  "| method | trainable params | train time (s) | training state (MiB) | accuracy | "
                  "target-class accuracy |\n|---|---:|---:|---:|---:|---:|\n");
    acc_row(r, "pretrained (W0)", &m->pretrain_eval, m->pretrain_cost.trainable_params,
            &m->pretrain_cost);
    acc_row(r, "full fine-tune", &m->full_eval, m->full_cost.trainable_params, &m->full_cost);
    char label[256];
    for (size_t i = 0; i < m->n_runs; i++) {
        snprintf(label, sizeof label, "LoRA %s", m->runs[i].label);
        acc_row(r, label, &m->runs[i].eval, rk_exp_lora_run_params(&m->runs[i]), &m->runs[i].cost);
    }
    for (size_t i = 0; i < a->n_extracted; i++) {
        extracted_label(r, a->extracted_rank[i], label, sizeof label);
        acc_row(r, label, &a->extracted[i].eval, a->extracted_params[i], NULL);
    }
    fprintf(r->f, "\nTraining state is counted, not sampled: gradients and Adam's two moments of "
                  "what trains, plus the adapter and its scratch for LoRA (4 bytes per float), as "
                  "`rk_train_run` (lib/nn/train.c) reports what it held. Accuracies: `rk_evaluate` "
                  "(lib/nn/eval.c) over `rk_mlp_evaluate` (lib/nn/mlp.c); the SVD-extracted "
                  "adapters run as a LoRA side path on W0 (`rk_exp_analyze`, "
                  "lib/analysis/experiment_analysis.c).\n\n");
    if (!m->full_eval.n_classes || !m->pretrain_eval.n_classes)
        return;
    int b = best_lora(m);
    fprintf(r->f, "The pretrained network classifies %.1f%% of the test set correctly and the "
                  "target class %d only %.1f%%. The full fine-tune (%zu parameters) moves the "
                  "target class to %.1f%% and the whole test set to %.1f%%.",
            100 * m->pretrain_eval.accuracy, m->target_class,
            100 * rk_exp_target_accuracy(m, &m->pretrain_eval), m->full_cost.trainable_params,
            100 * rk_exp_target_accuracy(m, &m->full_eval), 100 * m->full_eval.accuracy);
    if (b >= 0) {
        const rk_exp_lora_run *run = &m->runs[b];
        fprintf(r->f, " Among the LoRA ranks, r = %zu does best (or ties) on the target class: %.1f%% "
                      "(overall %.1f%%) with %zu trainable parameters, %.2f%% of the full "
                      "fine-tune's.",
                run->rank, 100 * rk_exp_target_accuracy(m, &run->eval), 100 * run->eval.accuracy,
                rk_exp_lora_run_params(&m->runs[b]),
                100.0 * (double)rk_exp_lora_run_params(&m->runs[b]) / (double)m->full_cost.trainable_params);
        for (size_t i = 0; i < a->n_extracted; i++)
            if (a->extracted_rank[i] == run->rank && a->extracted[i].eval.n_classes)
                compare_extracted(r, run, &a->extracted[i].eval);
    }
    fprintf(r->f, "\n\n");
    figure(r, "accuracy", "accuracy against rank");
    fprintf(r->f, "What to look at: the all-class curves (lines) against the full fine-tune's "
                  "dashed line and the pretrained net's dash-dot line: how much of the other "
                  "classes each method forgets. The target-class markers sit near the full "
                  "fine-tune's dotted line: every method learns the class.\n\n");
}

/* The layer with the most weights: where rank matters most. */
static size_t main_layer(const rk_exp_analysis *a)
{
    size_t best = 0;
    for (size_t l = 1; l < a->n_layers; l++)
        if (a->layers[l].out * a->layers[l].in > a->layers[best].out * a->layers[best].in)
            best = l;
    return best;
}

static void main_table(const rep *r)
{
    const rk_exp_models *m = r->m;
    const rk_exp_analysis *a = r->a;
    fprintf(r->f, "## Main table: LoRA against the best rank-r update\n\n"
                  "rel_err = ‖ΔW_lora − ΔW_full‖_F / ‖ΔW_full‖_F; EY = the Eckart–Young bound "
                  "‖ΔW_full − [ΔW_full]_r‖_F / ‖ΔW_full‖_F, the least error any rank-r update can "
                  "have (`rk_delta_rel_err`, `rk_delta_eckart_young_rel_err`, "
                  "lib/analysis/delta.c). φ = φ(d, d) of the top-d left singular vectors, "
                  "d = min(r, Out, In) (`rk_subspace_phi_svd`, lib/linalg/subspace.c); φ marked "
                  "¹ is 1 by construction: d reaches the layer's output dimension Out, so both "
                  "sets of d left singular vectors span all of R^Out and φ says nothing there.\n\n"
                  "| r | params | accuracy | target acc. | extracted target acc. |");
    for (size_t l = 0; l < a->n_layers; l++)
        fprintf(r->f, " %s rel_err / EY (φ) |", a->layers[l].name);
    fprintf(r->f, "\n|---:|---:|---:|---:|---:|");
    for (size_t l = 0; l < a->n_layers; l++)
        fprintf(r->f, "---:|");
    fprintf(r->f, "\n");
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_exp_lora_run *run = &m->runs[i];
        if (run->role != RK_EXP_ROLE_RANK)
            continue;
        char a1[32], a2[32], a3[32] = "–";
        fmt_acc(a1, sizeof a1, m, &run->eval, false);
        fmt_acc(a2, sizeof a2, m, &run->eval, true);
        for (size_t j = 0; j < a->n_extracted; j++)
            if (a->extracted_rank[j] == run->rank)
                fmt_acc(a3, sizeof a3, m, &a->extracted[j].eval, true);
        fprintf(r->f, "| %zu | %zu | %s | %s | %s |", run->rank, rk_exp_lora_run_params(&m->runs[i]), a1, a2, a3);
        for (size_t l = 0; l < a->n_layers; l++) {
            const rk_exp_layer *L = &a->layers[l];
            const rk_exp_cmp *c = &L->cmp[i];
            bool trivial = (c->rank < L->in ? c->rank : L->in) >= L->out;
            fprintf(r->f, " %.3f / %.3f (%.2f%s) |", c->rel_err, c->ey_rel_err, c->phi,
                    trivial ? "¹" : "");
        }
        fprintf(r->f, "\n");
    }
    size_t l = main_layer(a);
    const rk_exp_layer *L = &a->layers[l];
    int lo = -1, hi = -1;
    for (size_t i = 0; i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_RANK) {
            if (lo < 0)
                lo = (int)i;
            hi = (int)i;
        }
    if (lo < 0)
        return;
    const rk_exp_cmp *cl = &L->cmp[lo], *ch = &L->cmp[hi];
    fprintf(r->f, "\nIn %s, the largest layer, LoRA's error at r = %zu is %.3f, ", L->name, cl->rank,
            cl->rel_err);
    if (cl->ey_rel_err > 0)
        fprintf(r->f, "%.2f× the Eckart–Young bound %.3f; ", cl->rel_err / cl->ey_rel_err,
                cl->ey_rel_err);
    else
        fprintf(r->f, "while the bound is 0; ");
    fprintf(r->f, "at r = %zu it is %.3f against a bound of %.3f. ", ch->rank, ch->rel_err,
            ch->ey_rel_err);
    if (ch->rel_err < cl->rel_err)
        fprintf(r->f, "More rank brings the learned update closer to the full one (%.3f → %.3f), "
                      "while the bound falls from %.3f to %.3f.\n\n",
                cl->rel_err, ch->rel_err, cl->ey_rel_err, ch->ey_rel_err);
    else
        fprintf(r->f, "More rank does not bring the learned update closer to the full one here "
                      "(%.3f → %.3f), while the bound falls from %.3f to %.3f: the learned update "
                      "does not use the extra rank to approach ΔW_full.\n\n",
                cl->rel_err, ch->rel_err, cl->ey_rel_err, ch->ey_rel_err);
}

static void spectra_paragraph(const rep *r, const rk_exp_layer *L)
{
    size_t k90 = rk_spectrum_rank_for_energy(L->s_full, L->k, 0.9);
    size_t k99 = rk_spectrum_rank_for_energy(L->s_full, L->k, 0.99);
    size_t w90 = rk_spectrum_rank_for_energy(L->s_w0, L->k, 0.9);
    fprintf(r->f, "ΔW_full's top singular value holds %.1f%% of its energy (Σσ²); 90%% needs "
                  "%zu and 99%% needs %zu of its %zu values, while W0 needs %zu for 90%%. "
                  "Numerical rank of ΔW_full: %zu. ‖ΔW_full‖_F = %.4g against ‖W0‖_F = %.4g. "
                  "(`rk_svd_decomp` lib/linalg/svd.c, `rk_factored_svd` lib/linalg/factored.c, "
                  "`rk_spectrum_rank_for_energy` lib/linalg/spectrum.c.)\n\n",
            100 * rk_spectrum_energy(L->s_full, L->k, 1), k90, k99, L->k, w90, L->full_rank,
            L->full_fro, L->w0_fro);
}

static void phi_paragraphs(const rep *r, const rk_exp_layer *L)
{
    const rk_exp_models *m = r->m;
    const rk_exp_analysis *a = r->a;
    char base[96];
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_exp_cmp *c = &L->cmp[i];
        snprintf(base, sizeof base, "phi_%s_r%zu_left", L->name, c->rank);
        if (m->runs[i].role != RK_EXP_ROLE_RANK)
            continue;
        bool found = false;
        for (size_t p = 0; p < r->plots->n; p++)
            found |= strncmp(r->plots->plots[p].file, base, strlen(base)) == 0;
        if (!found || c->phi_dim == 0)
            continue;
        figure(r, base, "phi left");
        snprintf(base, sizeof base, "phi_%s_r%zu_right", L->name, c->rank);
        figure(r, base, "phi right");
        fprintf(r->f, "Row i, column j: φ between the top-i singular vectors of ΔW_lora (r = %zu) "
                      "and the top-j of ΔW_full (1 = same subspace, 0 = orthogonal; a random "
                      "pair gives about max(i, j)/%zu on the left). φ(1, 1) = %.3f on the left and %.3f on "
                      "the right: the top direction of the learned update %s the full update's. "
                      "φ(%zu, %zu) = %.3f (left), %.3f (right).\n\n",
                c->rank, L->out, RK_AT(&c->phi_left_table, 0, 0),
                RK_AT(&c->phi_right_table, 0, 0),
                RK_AT(&c->phi_left_table, 0, 0) > 0.5 ? "largely shares" : "mostly differs from",
                c->phi_dim, c->phi_dim, c->phi, c->phi_right);
        break;
    }
    if (a->pair_run_lo >= 0 && L->phi_pair.rows) {
        snprintf(base, sizeof base, "phi_%s_pair", L->name);
        figure(r, base, "phi pair");
        fprintf(r->f, "LoRA r = %zu against r = %zu (the paper's Figure 3): φ(1, 1) = %.3f, "
                      "φ(%zu, %zu) = %.3f. %s\n\n",
                m->runs[a->pair_run_lo].rank, m->runs[a->pair_run_hi].rank,
                RK_AT(&L->phi_pair, 0, 0), L->phi_pair.rows, L->phi_pair.cols,
                RK_AT(&L->phi_pair, L->phi_pair.rows - 1, L->phi_pair.cols - 1),
                RK_AT(&L->phi_pair, 0, 0) > 0.5
                    ? "The top direction found at the small rank is found again at the large one, "
                      "as the paper reports."
                    : "Here the top directions of the two ranks do not coincide (φ(1, 1) ≤ 0.5), "
                      "unlike the paper's finding on GPT-3.");
    }
    if (a->seed_run_a >= 0 && L->phi_seeds.rows) {
        snprintf(base, sizeof base, "phi_%s_seeds", L->name);
        figure(r, base, "phi seeds");
        fprintf(r->f, "Two adapter initialisations at r = %zu, same data (the paper's Figure 4): "
                      "φ(1, 1) = %.3f, φ(%zu, %zu) = %.3f.\n\n",
                m->runs[a->seed_run_a].rank, RK_AT(&L->phi_seeds, 0, 0), L->phi_seeds.rows,
                L->phi_seeds.cols,
                RK_AT(&L->phi_seeds, L->phi_seeds.rows - 1, L->phi_seeds.cols - 1));
    }
}

static void amp_table(const rep *r, const rk_exp_layer *L)
{
    const rk_exp_models *m = r->m;
    fprintf(r->f, "Amplification (the paper's §7.3, Table 7; `rk_amplify_from_svd`, "
                  "lib/analysis/amplify.c): ‖Uᵀ·W0·V‖_F with U, V the top-r' directions of the "
                  "update, of W0 itself, and of a random pair; factor = ‖ΔW‖_F / ‖Uᵀ·W0·V‖_F.\n\n"
                  "| update | r' | ‖Uᵀ W0 V‖ (ΔW dirs) | (W0 dirs) | (random) | ‖ΔW‖_F | factor |\n"
                  "|---|---:|---:|---:|---:|---:|---:|\n");
    double fmax = 0, ffull = 0, fall = 0;
    size_t rmax = 0;
    int iall = -1;   /* the largest factor of every LoRA row, N(0,1) and second seed included */
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_amplify *x = &L->cmp[i].amp, *y = &L->amp_full[i];
        if (x->r)
            fprintf(r->f, "| LoRA %s | %zu | %.4g | %.4g | %.4g | %.4g | %.3g |\n", m->runs[i].label,
                    x->r, x->proj_delta, x->proj_w0, x->proj_random, x->delta_fro, x->factor);
        if (y->r && m->runs[i].role == RK_EXP_ROLE_RANK)
            fprintf(r->f, "| full, top %zu | %zu | %.4g | %.4g | %.4g | %.4g | %.3g |\n", y->r, y->r,
                    y->proj_delta, y->proj_w0, y->proj_random, y->delta_fro, y->factor);
        if (x->r && x->factor > fall) {
            fall = x->factor;
            iall = (int)i;
        }
        if (x->r && m->runs[i].role == RK_EXP_ROLE_RANK && x->factor > fmax) {
            fmax = x->factor;
            rmax = x->r;
            ffull = y->factor;
        }
    }
    if (iall >= 0 && m->runs[iall].role != RK_EXP_ROLE_RANK)
        fprintf(r->f, "\nThe largest factor of all LoRA rows is %.3g, LoRA %s's: %s.",
                fall, m->runs[iall].label,
                m->runs[iall].role == RK_EXP_ROLE_NORMAL
                    ? "its update is dominated by the large random A (see the initialisation section)"
                    : "a second adapter seed");
    if (rmax)
        fprintf(r->f, "%sAmong the ranks with PEFT's init (A kaiming-uniform), the largest is %.3g at "
                      "r' = %zu (the full update's, at the same r', is %.3g): %s\n\n",
                iall >= 0 && m->runs[iall].role != RK_EXP_ROLE_RANK ? " " : "\n",
                fmax, rmax, ffull,
                fmax > 1 ? "the update is larger than W0's own component along its directions — "
                           "it amplifies directions W0 holds only weakly."
                         : "the update is smaller than W0's component along its directions.");
}

static void layer_section(const rep *r, const rk_exp_layer *L)
{
    char base[96];
    fprintf(r->f, "## Layer %s (%zu × %zu)\n\n", L->name, L->out, L->in);
    snprintf(base, sizeof base, "error_%s", L->name);
    figure(r, base, "error against rank");
    bool above = true, rank_ok = true;
    size_t n = 0;
    for (size_t i = 0; i < r->m->n_runs; i++) {
        above &= L->cmp[i].rel_err >= L->cmp[i].ey_rel_err;
        rank_ok &= L->cmp[i].numerical_rank <= L->cmp[i].rank;
    }
    fprintf(r->f, "%s", above ? "LoRA's error is above the Eckart–Young bound at every r"
                              : "LoRA's error is NOT above the bound everywhere (rounding?)");
    for (size_t i = 0; i < r->m->n_runs; i++)
        if (r->m->runs[i].role == RK_EXP_ROLE_RANK)
            fprintf(r->f, "%sr = %zu: %.3f vs %.3f", n++ ? "; " : ": ", L->cmp[i].rank,
                    L->cmp[i].rel_err, L->cmp[i].ey_rel_err);
    fprintf(r->f, ". The numerical ranks of the learned updates (`rk_rank_from_values`, "
                  "lib/linalg/rank.c) %s.\n\n",
            rank_ok ? "are all ≤ r" : "exceed r somewhere — a bug");
    snprintf(base, sizeof base, "spectra_%s", L->name);
    figure(r, base, "spectra");
    snprintf(base, sizeof base, "energy_%s", L->name);
    figure(r, base, "cumulative energy");
    spectra_paragraph(r, L);
    phi_paragraphs(r, L);
    amp_table(r, L);
}

static void init_section(const rep *r)
{
    const rk_exp_models *m = r->m;
    const rk_exp_analysis *a = r->a;
    int nrm = -1, same = -1;
    for (size_t i = 0; i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_NORMAL)
            nrm = (int)i;
    for (size_t i = 0; nrm >= 0 && i < m->n_runs; i++)
        if (m->runs[i].role == RK_EXP_ROLE_RANK && m->runs[i].rank == m->runs[nrm].rank)
            same = (int)i;
    if (nrm < 0 || same < 0)
        return;
    fprintf(r->f, "## The initialisation of A: kaiming-uniform against N(0, 1)\n\n"
                  "| layer | ‖ΔW‖_F kaiming | ‖ΔW‖_F N(0,1) | ‖ΔW_full‖_F | cosine kaiming | cosine "
                  "N(0,1) | rel_err kaiming | rel_err N(0,1) |\n|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (size_t l = 0; l < a->n_layers; l++) {
        const rk_exp_cmp *k = &a->layers[l].cmp[same], *n = &a->layers[l].cmp[nrm];
        fprintf(r->f, "| %s | %.4g | %.4g | %.4g | %.3f | %.3f | %.3f | %.3f |\n", a->layers[l].name,
                k->fro, n->fro, a->layers[l].full_fro, k->cosine, n->cosine, k->rel_err, n->rel_err);
    }
    size_t l = main_layer(a);
    const rk_exp_cmp *k = &a->layers[l].cmp[same], *n = &a->layers[l].cmp[nrm];
    fprintf(r->f, "\nAt r = %zu in %s, the N(0, 1) init gives an update %.2f× the size of the full "
                  "one (kaiming: %.2f×) with cosine %.3f to it (kaiming: %.3f) "
                  "(`rk_delta_cosine`, lib/analysis/delta.c).\n\n",
            m->runs[nrm].rank, a->layers[l].name, n->fro / a->layers[l].full_fro,
            k->fro / a->layers[l].full_fro, n->cosine, k->cosine);
}

static void per_class_section(const rep *r)
{
    const rk_exp_models *m = r->m;
    if (!m->pretrain_eval.n_classes)
        return;
    int k = (int)m->pretrain_eval.n_classes;
    fprintf(r->f, "## Per-class accuracy\n\n| method |");
    for (int c = 0; c < k; c++)
        fprintf(r->f, " %d%s%s |", c, k == 10 ? " " : "", class_name(c, k));
    fprintf(r->f, "\n|---|");
    for (int c = 0; c < k; c++)
        fprintf(r->f, "---:|");
    fprintf(r->f, "\n");
    const rk_eval *ev[2 + RK_EXP_MAX_RUNS];
    const char *names[2 + RK_EXP_MAX_RUNS];
    size_t n = 0;
    ev[n] = &m->pretrain_eval;
    names[n++] = "pretrained";
    ev[n] = &m->full_eval;
    names[n++] = "full fine-tune";
    for (size_t i = 0; i < m->n_runs; i++) {
        ev[n] = &m->runs[i].eval;
        names[n++] = m->runs[i].label;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ev[i]->n_classes)
            continue;
        fprintf(r->f, "| %s%s |", i >= 2 ? "LoRA " : "", names[i]);
        for (int c = 0; c < k; c++)
            fprintf(r->f, c == m->target_class ? " **%.3f** |" : " %.3f |", ev[i]->per_class[c]);
        fprintf(r->f, "\n");
    }
    fprintf(r->f, "\nThe target class (bold) is the pretrained network's worst, picked by "
                  "`worst_class` in lib/analysis/experiment.c.\n\n");
}

static void files_section(const rep *r)
{
    static const char *const files[] = { "results.json", "weights/base.safetensors",
                                         "full/delta.safetensors" };
    fprintf(r->f, "## Files\n\n");
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (exists(r, files[i]))
            fprintf(r->f, "- [%s](%s)\n", files[i], files[i]);
    char name[96];
    for (size_t i = 0; i < r->m->n_runs; i++) {
        char dn[64];
        rk_exp_run_dirname(&r->m->runs[i], dn, sizeof dn);
        snprintf(name, sizeof name, "adapters/%s/adapter_config.json", dn);
        if (exists(r, name))
            fprintf(r->f, "- LoRA %s adapter (PEFT layout): [%s](%s)\n", r->m->runs[i].label, name,
                    name);
    }
    for (size_t i = 0; i < r->a->n_extracted; i++) {
        snprintf(name, sizeof name, "adapters/extracted_r%zu/adapter_config.json",
                 r->a->extracted_rank[i]);
        if (exists(r, name))
            fprintf(r->f, "- SVD-extracted rank-%zu adapter: [%s](%s)\n", r->a->extracted_rank[i],
                    name, name);
    }
    fprintf(r->f, "\n");
}

static void header(const rep *r, const rk_exp_report_info *info)
{
    const rk_exp_config *c = r->cfg;
    const rk_exp_models *m = r->m;
    fprintf(r->f, "# ranklab: LoRA's learned update against the truncated SVD of the full "
                  "fine-tune\n\n");
    if (info && info->command)
        fprintf(r->f, "Made by `%s`", info->command);
    if (info)
        fprintf(r->f, " in %.1f s (%d BLAS thread%s, flush-to-zero %s%s).", info->total_seconds,
                info->threads, info->threads == 1 ? "" : "s", info->ftz ? "on" : "off",
                info->ftz ? ": float32 results below 1.2e-38 (subnormal numbers) are set to 0, "
                            "which avoids their slow arithmetic"
                          : "");
    fprintf(r->f, " Seed %llu: the network's init and every batch order and adapter init derive "
                  "from it (`--seed`); another seed gives other trained numbers.",
            (unsigned long long)r->cfg->seed);
    fprintf(r->f, "\n\nNetwork");
    for (size_t i = 0; i <= c->net.n_layers; i++)
        fprintf(r->f, "%s%zu", i ? " → " : " ", c->net.sizes[i]);
    if (m->n_train)
        fprintf(r->f, ", pretrained for %zu epoch(s) on %zu examples at batch %zu (Adam, lr %g)",
                c->pretrain_epochs, m->n_train, c->pretrain_batch, c->pretrain_lr);
    fprintf(r->f, ". Target class: %d %s (%zu training examples). Every fine-tune: %zu steps of "
                  "%zu examples of the target class, the same batches in the same order, Adam lr "
                  "%g. LoRA on every linear layer, biases frozen, α = %s (scale %s), A "
                  "kaiming-uniform and B = 0 (PEFT's default).\n\n",
            m->target_class, class_name(m->target_class, (int)m->pretrain_eval.n_classes),
            m->n_target_train, c->ft_steps, c->ft_batch, c->ft_lr,
            c->lora_alpha > 0 ? "fixed" : "r", c->lora_alpha > 0 ? "α/r" : "1 at every rank");
    if (info && info->data_dir)
        fprintf(r->f, "Data: `%s`.\n\n", info->data_dir);
}

rk_status rk_exp_report_write(const char *dir, const rk_exp_config *cfg, const rk_exp_models *m,
                              const rk_exp_analysis *a, const rk_exp_plots *plots,
                              const rk_exp_report_info *info, rk_err *err)
{
    if (!dir || !cfg || !m || !a || !plots)
        return rk_err_set(err, RK_EINVAL, "bad arguments");
    char path[4096];
    snprintf(path, sizeof path, "%s/report.md", dir);
    rk_atomic_file af;
    rk_status s = rk_atomic_open(&af, path, err);
    if (s != RK_OK)
        return s;
    rep r = { af.f, dir, cfg, m, a, plots };
    header(&r, info);
    main_table(&r);
    accuracy_section(&r);
    for (size_t l = 0; l < a->n_layers; l++)
        layer_section(&r, &a->layers[l]);
    init_section(&r);
    rk_exp_report_intruders(af.f, dir, plots, m, a);
    rk_exp_report_rules(af.f, m, a);
    rk_exp_report_learn_forget(af.f, dir, plots, m, a);
    per_class_section(&r);
    rk_exp_report_timing(af.f, m);
    files_section(&r);
    if (plots->gnuplot_error[0])
        fprintf(af.f, "Some plots were not drawn: %s\n", plots->gnuplot_error);
    return rk_atomic_commit(&af, err);
}
