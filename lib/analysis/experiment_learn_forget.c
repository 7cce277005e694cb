/*
 * experiment_learn_forget.c — the experiment's records of learning against
 * forgetting (Biderman et al., arXiv 2405.09673) along every fine-tune: at
 * step 0, every cfg->track_every steps and at the last step, the accuracy on
 * the target class and on the other classes of a fixed evaluation subset,
 * and per layer ‖ΔW_t‖_F, the ranks holding 90% / 99% of its energy, its
 * effective rank and, for the full fine-tune, φ(8, 8) against the final ΔW
 * (lib/analysis/learn_forget.h has the formulas).
 *
 * The subset: n of the N test images, each n-subset equally likely
 * (selection sampling, Knuth TAOCP vol. 2, 3.4.2 algorithm S: image i is
 * taken with probability (n − k)/(N − i) when k are taken), seeded, kept in
 * test order. With n ≥ N it is the test set itself, in its order: a record
 * then runs the very evaluation (rk_evaluate_rows: rk_mlp_evaluate, the same
 * batches, the same formulas rk_eval_class_accuracy and
 * rk_eval_others_accuracy) that gives the pretrained and final accuracies, so
 * step 0 equals the pretrained figures and the last record the final ones,
 * exactly.
 */
#include <math.h>
#include <string.h>

#include "analysis/experiment.h"
#include "core/alloc.h"
#include "core/rng.h"

rk_status rk_exp_lf_subset(rk_exp_lf *lf, const rk_exp_config *cfg, const rk_dataset *test)
{
    if (!lf || !cfg || !test || !test->x || !test->y || test->n == 0)
        return RK_EINVAL;
    lf->every = cfg->track_every;
    lf->seed = cfg->track_seed;
    if (lf->every == 0)
        return RK_OK;
    size_t N = test->n, n = cfg->track_n && cfg->track_n < N ? cfg->track_n : N, dim = test->dim;
    lf->whole_test = n == N;
    lf->x = rk_alloc(n * dim * sizeof *lf->x);
    lf->y = rk_alloc(n);
    if (!lf->x || !lf->y) {
        rk_exp_lf_free(lf);
        return RK_ENOMEM;
    }
    rk_rng rng;
    rk_rng_seed(&rng, cfg->track_seed);
    size_t k = 0;
    for (size_t i = 0; i < N && k < n; i++) {
        if (!lf->whole_test && rk_rng_below(&rng, N - i) >= n - k)
            continue;
        memcpy(lf->x + k * dim, test->x + i * dim, dim * sizeof *lf->x);
        lf->y[k++] = test->y[i];
    }
    lf->n_eval = n;
    return RK_OK;
}

/* The subset as learn_forget.h takes it, for target class @p target. */
static rk_lf_eval subset(const rk_exp_lf *lf, int target)
{
    return (rk_lf_eval){ lf->x, lf->y, lf->n_eval, target };
}

rk_status rk_exp_lf_start(rk_lf_track *t, const rk_exp_lf *lf, int target, size_t steps,
                          rk_mlp *net, rk_lora *lora, const rk_mlp *base, size_t phi_rank)
{
    if (!t || !lf)
        return RK_EINVAL;
    if (lf->every == 0)
        return RK_OK;
    rk_status s = rk_lf_track_init(t, net->cfg.n_layers, steps / lf->every + 2, phi_rank);
    rk_lf_eval ev = subset(lf, target);
    return s == RK_OK ? rk_lf_record(t, 0, net, lora, base, &ev) : s;
}

rk_status rk_exp_lf_observe(rk_lf_track *t, const rk_exp_lf *lf, int target,
                            const rk_train_progress *tp, const rk_mlp *base)
{
    if (!t || !lf || !tp)
        return RK_EINVAL;
    if (lf->every == 0 || !t->points || (tp->step % lf->every != 0 && tp->step != tp->total_steps))
        return RK_OK;
    rk_lf_eval ev = subset(lf, target);
    return rk_lf_record(t, tp->step, tp->net, tp->lora, base, &ev);
}

rk_lf_point rk_exp_lf_point(const rk_exp_models *m, const rk_eval *ev)
{
    rk_lf_point p = { 0, NAN, NAN };
    if (m && ev) {
        p.target_acc = rk_eval_class_accuracy(ev, m->target_class);
        p.other_acc = rk_eval_others_accuracy(ev, m->target_class);
    }
    return p;
}

void rk_exp_lf_free(rk_exp_lf *lf)
{
    if (!lf)
        return;
    rk_free(lf->x);
    rk_free(lf->y);
    rk_lf_track_free(&lf->full);
    for (size_t i = 0; i < RK_EXP_MAX_RUNS; i++)
        rk_lf_track_free(&lf->runs[i]);
    memset(lf, 0, sizeof *lf);
}
