/*
 * experiment_analysis.c — step 4 of the main experiment (experiment.h): per
 * adapted layer, in double, compare every learned LoRA update with the full
 * fine-tune's update and with its best rank-r approximation.
 *
 * SVDs: W0 and ΔW_full densely (rk_svd_decomp, thin); each ΔW_lora = s·B·A
 * from its factors (rk_factored_svd: two thin QRs and an r×r SVD), which is
 * exact and costs O((Out + In)·r²) instead of O(Out·In·min(Out, In)).
 */
#include "analysis/experiment.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/delta.h"
#include "core/alloc.h"
#include "linalg/factored.h"
#include "linalg/lowrank.h"
#include "linalg/rank.h"
#include "linalg/subspace.h"
#include "linalg/svd.h"

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

static rk_status copy_values(double **dst, const double *src, size_t k)
{
    *dst = rk_alloc((k ? k : 1) * sizeof **dst);
    if (!*dst)
        return RK_ENOMEM;
    if (k)
        memcpy(*dst, src, k * sizeof **dst);
    return RK_OK;
}

/* Compare run @p run (its SVD in @p sl) with the full update of layer @p L. */
static rk_status compare_run(rk_exp_cmp *c, rk_amplify *amp_full, const rk_exp_lora_run *run,
                             size_t l, const rk_mat *w0, const rk_mat *full, const rk_svd *sw0,
                             const rk_svd *sfull, const rk_svd *sl, uint64_t seed)
{
    size_t out = w0->rows, in = w0->cols;
    c->rank = run->rank;
    c->k = sl->k;
    rk_status s = copy_values(&c->s, sl->s, sl->k);
    if (s != RK_OK)
        return s;
    c->numerical_rank = rk_rank_from_values(sl->s, sl->k, out, in, NULL, NULL);
    c->ey_rel_err = rk_delta_eckart_young_rel_err(sfull->s, sfull->k, run->rank);
    rk_mat dense = { 0 };
    s = rk_exp_lora_dense(&dense, run, l);
    if (s == RK_OK)
        s = rk_delta_rel_err(&c->rel_err, &dense, full);
    if (s == RK_OK)
        s = rk_delta_cosine(&c->cosine, &dense, full);
    c->fro = rk_mat_norm_fro(&dense);
    c->phi_dim = min3(run->rank, sl->k, RK_EXP_MAX_PHI);
    if (c->phi_dim > sfull->k)
        c->phi_dim = sfull->k;
    if (s == RK_OK && c->phi_dim > 0) {
        size_t d = c->phi_dim;
        s = rk_subspace_phi_svd(&c->phi_left_table, sl, sfull, RK_SIDE_LEFT, d, d);
        if (s == RK_OK)
            s = rk_subspace_phi_svd(&c->phi_right_table, sl, sfull, RK_SIDE_RIGHT, d, d);
        if (s == RK_OK) {
            c->phi = RK_AT(&c->phi_left_table, d - 1, d - 1);
            c->phi_right = RK_AT(&c->phi_right_table, d - 1, d - 1);
        }
    }
    /* Amplification at r' = min(r, k): the directions the update has. */
    size_t ra = min3(run->rank, sl->k, sw0->k);
    if (s == RK_OK && ra > 0 && c->fro > 0)
        s = rk_amplify_from_svd(&c->amp, w0, &dense, sw0, sl, ra, seed);
    if (s == RK_OK && ra > 0)
        s = rk_amplify_from_svd(amp_full, w0, full, sw0, sfull, ra, seed);
    rk_mat_free(&dense);
    return s;
}

/* Run indices for the φ pair and the two seeds, from the configuration. */
static void find_pairs(const rk_exp_config *cfg, const rk_exp_models *m, rk_exp_analysis *a)
{
    a->pair_run_lo = a->pair_run_hi = a->seed_run_a = a->seed_run_b = -1;
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_exp_lora_run *r = &m->runs[i];
        if (r->role == RK_EXP_ROLE_RANK && r->rank == cfg->pair_lo && a->pair_run_lo < 0)
            a->pair_run_lo = (int)i;
        if (r->role == RK_EXP_ROLE_RANK && r->rank == cfg->pair_hi && a->pair_run_hi < 0)
            a->pair_run_hi = (int)i;
        if (r->role == RK_EXP_ROLE_SEED2 && a->seed_run_b < 0)
            a->seed_run_b = (int)i;
    }
    if (a->pair_run_lo == a->pair_run_hi)
        a->pair_run_lo = a->pair_run_hi = -1;
    if (a->seed_run_b >= 0) {
        for (size_t i = 0; i < m->n_runs; i++)
            if (m->runs[i].role == RK_EXP_ROLE_RANK &&
                m->runs[i].rank == m->runs[a->seed_run_b].rank) {
                a->seed_run_a = (int)i;
                break;
            }
        if (a->seed_run_a < 0)
            a->seed_run_b = -1;
    }
}

/* φ between the top singular vectors (left) of two runs' updates. */
static rk_status phi_between(rk_mat *out, const rk_svd *s1, const rk_svd *s2, size_t r1, size_t r2)
{
    size_t d1 = min3(r1, s1->k, RK_EXP_MAX_PHI), d2 = min3(r2, s2->k, RK_EXP_MAX_PHI);
    if (d1 == 0 || d2 == 0)
        return RK_OK;
    return rk_subspace_phi_svd(out, s1, s2, RK_SIDE_LEFT, d1, d2);
}

static rk_status analyze_layer(const rk_exp_config *cfg, const rk_exp_models *m, size_t l,
                               rk_exp_analysis *a, rk_svd *sfull)
{
    rk_exp_layer *L = &a->layers[l];
    const rk_mat *w0 = &m->w0[l], *full = &m->full[l];
    if (full->rows != w0->rows || full->cols != w0->cols)
        return RK_ESHAPE;
    memcpy(L->name, m->names[l], sizeof L->name);
    L->out = w0->rows;
    L->in = w0->cols;
    rk_svd sw0;
    rk_status s = rk_svd_decomp(&sw0, w0, RK_SVD_THIN);
    if (s != RK_OK)
        return s;
    s = rk_svd_decomp(sfull, full, RK_SVD_THIN);
    L->k = sw0.k;
    if (s == RK_OK)
        s = copy_values(&L->s_w0, sw0.s, sw0.k);
    if (s == RK_OK)
        s = copy_values(&L->s_full, sfull->s, sfull->k);
    L->w0_fro = rk_mat_norm_fro(w0);
    L->full_fro = rk_mat_norm_fro(full);
    if (s == RK_OK)
        L->full_rank = rk_rank_from_values(sfull->s, sfull->k, L->out, L->in, NULL, NULL);
    rk_svd sl[RK_EXP_MAX_RUNS];
    memset(sl, 0, sizeof sl);
    for (size_t i = 0; s == RK_OK && i < m->n_runs; i++) {
        const rk_exp_lora_run *run = &m->runs[i];
        if (run->a[l].cols != L->in || run->b[l].rows != L->out) {
            s = RK_ESHAPE;
            break;
        }
        s = rk_factored_svd(&sl[i], &run->b[l], &run->a[l], run->scale, RK_SVD_THIN);
        if (s == RK_OK)
            s = compare_run(&L->cmp[i], &L->amp_full[i], run, l, w0, full, &sw0, sfull, &sl[i],
                            cfg->seed + 7);
    }
    if (s == RK_OK && a->pair_run_lo >= 0)
        s = phi_between(&L->phi_pair, &sl[a->pair_run_lo], &sl[a->pair_run_hi],
                        m->runs[a->pair_run_lo].rank, m->runs[a->pair_run_hi].rank);
    if (s == RK_OK && a->seed_run_a >= 0)
        s = phi_between(&L->phi_seeds, &sl[a->seed_run_a], &sl[a->seed_run_b],
                        m->runs[a->seed_run_a].rank, m->runs[a->seed_run_b].rank);
    for (size_t i = 0; i < RK_EXP_MAX_RUNS; i++)
        rk_svd_free(&sl[i]);
    rk_svd_free(&sw0);
    return s;
}

/* Write W0 + [ΔW_full]_r (float) into @p net's weights for every layer. */
static rk_status set_extracted(rk_mlp *net, const rk_exp_models *m, const rk_svd *sfull, size_t r)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        rk_mat ak;
        size_t rr = r < sfull[l].k ? r : sfull[l].k;
        rk_status s = rk_lowrank_approx(&ak, &sfull[l], rr);
        if (s != RK_OK)
            return s;
        size_t n = ak.rows * ak.cols;
        for (size_t i = 0; i < n; i++)
            net->p.w[l][i] = (float)(m->w0[l].data[i] + ak.data[i]);
        rk_mat_free(&ak);
    }
    return RK_OK;
}

static void restore_w0(rk_mlp *net, const rk_exp_models *m)
{
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t n = m->w0[l].rows * m->w0[l].cols;
        for (size_t i = 0; i < n; i++)
            net->p.w[l][i] = (float)m->w0[l].data[i];
    }
}

static rk_status evaluate_extracted(const rk_exp_config *cfg, const rk_exp_models *m,
                                    rk_mlp *net, const rk_dataset *test, const rk_svd *sfull,
                                    rk_exp_analysis *a)
{
    if (net->cfg.n_layers != m->n_layers)
        return RK_ESHAPE;
    for (size_t l = 0; l < m->n_layers; l++)
        if (net->cfg.sizes[l] != m->w0[l].cols || net->cfg.sizes[l + 1] != m->w0[l].rows)
            return RK_ESHAPE;
    rk_status s = RK_OK;
    for (size_t i = 0; s == RK_OK && i < cfg->n_ranks; i++) {
        size_t r = cfg->ranks[i];
        if (cfg->progress)
            cfg->progress("evaluate extracted", NULL, cfg->progress_ctx);
        a->extracted_rank[i] = r;
        a->extracted_params[i] = 0;
        for (size_t l = 0; l < m->n_layers; l++) {
            size_t rr = r < sfull[l].k ? r : sfull[l].k;
            a->extracted_params[i] += rr * (m->w0[l].rows + m->w0[l].cols);
        }
        s = set_extracted(net, m, sfull, r);
        if (s == RK_OK)
            s = rk_exp_evaluate(&a->extracted_eval[i], net, NULL, test, m->target_class);
        a->n_extracted = i + 1;
    }
    restore_w0(net, m);
    return s;
}

rk_status rk_exp_analyze(const rk_exp_config *cfg, const rk_exp_models *m, rk_mlp *net,
                         const rk_dataset *test, rk_exp_analysis *a, rk_err *err)
{
    if (!a)
        return rk_err_set(err, RK_EINVAL, "no output");
    memset(a, 0, sizeof *a);
    if (!cfg || !m || m->n_layers == 0 || m->n_layers > RK_MLP_MAX_LAYERS ||
        m->n_runs > RK_EXP_MAX_RUNS)
        return rk_err_set(err, RK_EINVAL, "nothing to analyse");
    find_pairs(cfg, m, a);
    rk_svd sfull[RK_MLP_MAX_LAYERS];
    memset(sfull, 0, sizeof sfull);
    rk_status s = RK_OK;
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++) {
        if (cfg->progress) {
            char phase[48];
            snprintf(phase, sizeof phase, "analysis %s", m->names[l]);
            cfg->progress(phase, NULL, cfg->progress_ctx);
        }
        a->n_layers = l + 1;
        s = analyze_layer(cfg, m, l, a, &sfull[l]);
        if (s != RK_OK)
            rk_err_set(err, s, "%s: %s", m->names[l], rk_strerror(s));
    }
    if (s == RK_OK && net && test) {
        s = evaluate_extracted(cfg, m, net, test, sfull, a);
        if (s != RK_OK)
            rk_err_set(err, s, "SVD-extracted adapters: %s", rk_strerror(s));
    }
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++)
        rk_svd_free(&sfull[l]);
    return s;
}

void rk_exp_analysis_free(rk_exp_analysis *a)
{
    if (!a)
        return;
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++) {
        rk_exp_layer *L = &a->layers[l];
        rk_free(L->s_w0);
        rk_free(L->s_full);
        for (size_t i = 0; i < RK_EXP_MAX_RUNS; i++) {
            rk_free(L->cmp[i].s);
            rk_mat_free(&L->cmp[i].phi_left_table);
            rk_mat_free(&L->cmp[i].phi_right_table);
        }
        rk_mat_free(&L->phi_pair);
        rk_mat_free(&L->phi_seeds);
    }
    memset(a, 0, sizeof *a);
}
