/*
 * experiment_intruders.c — the experiment's intruder dimensions
 * (Shuttleworth et al., arXiv 2410.21228) and their mitigation: per layer,
 * the test of W0 + ΔW for the full fine-tune and every LoRA run against W0
 * (one SVD of W0 per layer), and the λ sweep of PEFT's recipe
 * W′ = W_ft + (λ − 1)·Σ_intruders σ′_i u′_i v′_iᵀ on the full fine-tune and
 * one LoRA run, evaluated on a fixed subset of the test set. The math is
 * lib/analysis/intruders.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/experiment_analysis.h"
#include "analysis/intruders.h"
#include "nn/eval.h"

/* The evaluation subset of the sweep: the first this many test images. */
enum { SWEEP_N = 2000 };

static const double lambdas[RK_EXP_LAMBDAS] = { 1.0, 0.75, 0.5, 0.25, 0.0 };

/* W0 + ΔW of layer @p l for run @p run (−1: the full fine-tune). */
static rk_status weights(rk_mat *w, const rk_exp_models *m, int run, size_t l)
{
    rk_mat d = { 0 };
    rk_status s = run < 0 ? rk_mat_dup(&d, &m->full[l]) : rk_exp_lora_dense(&d, &m->runs[run], l);
    if (s == RK_OK)
        s = rk_mat_dup(w, &m->w0[l]);
    if (s == RK_OK)
        s = rk_mat_axpy(w, 1.0, &d);
    rk_mat_free(&d);
    return s;
}

/* The test of run @p run (−1 full) at layer @p l into @p out; *keep (may be NULL) receives the test. */
static rk_status test_layer(rk_exp_intr *out, const rk_exp_models *m, const rk_svd *s0, int run,
                            size_t l, rk_intruders *keep)
{
    rk_mat w = { 0 };
    rk_intruders r;
    rk_status s = weights(&w, m, run, l);
    size_t k = s0->k, top = k < RK_INTRUDER_TOP ? k : RK_INTRUDER_TOP; /* a layer narrower than K: all of it */
    if (s == RK_OK)
        s = rk_intruders_find_svd(&r, &m->w0[l], s0, &w, top, RK_INTRUDER_EPS);
    rk_mat_free(&w);
    if (s != RK_OK)
        return s;
    out->count[l] = r.count;
    out->meaningful[l] = r.trivial == RK_INTRUDER_MEANINGFUL;
    out->min_cos[l] = INFINITY;
    for (size_t i = 0; i < r.top; i++)
        out->min_cos[l] = fmin(out->min_cos[l], r.max_cos[i]);
    if (keep)
        *keep = r;
    else
        rk_intruders_free(&r);
    return RK_OK;
}

/* The main-init LoRA run whose rank is closest to 8 (the paper's), −1 when there is none. */
static int sweep_run(const rk_exp_models *m)
{
    int best = -1;
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_exp_lora_run *r = &m->runs[i];
        if (r->role != RK_EXP_ROLE_RANK)
            continue;
        if (best < 0 || labs((long)r->rank - 8) < labs((long)m->runs[best].rank - 8))
            best = (int)i;
    }
    return best;
}

/* Accuracy of @p net on @p sub: on the target class and on the others (the records' formula, lib/nn/eval.h). */
static rk_status split_accuracy(rk_mlp *net, const rk_dataset *sub, int target, double *t_acc,
                                double *o_acc)
{
    rk_eval ev;
    rk_status s = rk_evaluate(&ev, net, NULL, sub, NULL);
    if (s != RK_OK)
        return s;
    *t_acc = rk_eval_class_accuracy(&ev, target);
    *o_acc = rk_eval_others_accuracy(&ev, target);
    rk_eval_free(&ev);
    return RK_OK;
}

/* The sweep of one fine-tune: its intruders (kept per layer) times each λ, loaded into @p scratch. */
static rk_status sweep(rk_exp_sweep *out, const rk_exp_models *m, const rk_svd *s0, int run,
                       rk_mlp *scratch, const rk_dataset *sub)
{
    rk_intruders keep[RK_MLP_MAX_LAYERS];
    memset(keep, 0, sizeof keep);
    rk_exp_intr unused;
    rk_status s = RK_OK;
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
        s = test_layer(&unused, m, &s0[l], run, l, &keep[l]);
    for (size_t k = 0; s == RK_OK && k < RK_EXP_LAMBDAS; k++) {
        for (size_t l = 0; s == RK_OK && l < m->n_layers; l++) {
            rk_mat w = { 0 };
            if ((s = weights(&w, m, run, l)) == RK_OK && keep[l].trivial == RK_INTRUDER_MEANINGFUL)
                s = rk_intruders_scale(&w, &keep[l], lambdas[k]);   /* blind layers: unscaled */
            if (s == RK_OK)
                s = rk_mat_to_f32(scratch->p.w[l], &w);
            rk_mat_free(&w);
        }
        if (s == RK_OK)
            s = split_accuracy(scratch, sub, m->target_class, &out->target_acc[k], &out->other_acc[k]);
    }
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++)
        rk_intruders_free(&keep[l]);
    return s;
}

static rk_status sweeps(const rk_exp_models *m, rk_mlp *net, const rk_dataset *test,
                        const rk_svd *s0, rk_exp_analysis *a)
{
    rk_dataset sub = *test;   /* a view of the first SWEEP_N rows: not freed */
    sub.n = test->n < SWEEP_N ? test->n : SWEEP_N;
    rk_mlp scratch = { 0 };
    rk_status s = rk_mlp_create(&scratch, &net->cfg, net->max_batch);
    if (s == RK_OK)
        s = rk_mlp_copy_params(&scratch, net);   /* the pretrained biases */
    a->sweep_n = sub.n;
    a->sweep_run = sweep_run(m);
    memcpy(a->lambda, lambdas, sizeof lambdas);
    if (s == RK_OK)
        s = sweep(&a->sweep_full, m, s0, -1, &scratch, &sub);
    if (s == RK_OK && a->sweep_run >= 0)
        s = sweep(&a->sweep_lora, m, s0, a->sweep_run, &scratch, &sub);
    a->have_sweep = s == RK_OK;
    rk_mlp_free(&scratch);
    return s;
}

rk_status rk_exp_intruders(const rk_exp_models *m, rk_mlp *net, const rk_dataset *test,
                           rk_exp_analysis *a)
{
    if (!m || !a || m->n_layers > RK_MLP_MAX_LAYERS)
        return RK_EINVAL;
    rk_svd s0[RK_MLP_MAX_LAYERS];
    memset(s0, 0, sizeof s0);
    a->sweep_run = -1;
    rk_status s = RK_OK;
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++) {
        s = rk_svd_decomp(&s0[l], &m->w0[l], RK_SVD_THIN);
        if (s == RK_OK)
            s = test_layer(&a->intr_full, m, &s0[l], -1, l, NULL);
        for (size_t i = 0; s == RK_OK && i < m->n_runs; i++)
            s = test_layer(&a->intr_run[i], m, &s0[l], (int)i, l, NULL);
    }
    if (s == RK_OK && net && test && m->target_class >= 0)
        s = sweeps(m, net, test, s0, a);
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++)
        rk_svd_free(&s0[l]);
    return s;
}
