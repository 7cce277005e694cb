/*
 * experiment_analysis.c — step 4 of the main experiment
 * (experiment_analysis.h): per adapted layer, in double, compare every
 * learned LoRA update with the full fine-tune's update and with its best
 * rank-r approximation; build the SVD-extracted adapters and evaluate them.
 *
 * SVDs: W0 and ΔW_full densely (rk_svd_decomp, thin), each once; each
 * ΔW_lora = s·B·A from its factors (rk_factored_svd: two thin QRs and an r×r
 * SVD), which is exact and costs O((Out + In)·r²) instead of
 * O(Out·In·min(Out, In)). The SVD of ΔW_full gives the Eckart–Young bounds,
 * the φ tables and the extracted factors alike.
 */
#include "analysis/experiment_analysis.h"

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
        if (l >= run->n_layers || run->in[l] != L->in || run->out[l] != L->out) {
            s = RK_ESHAPE;
            break;
        }
        rk_mat fa = { 0 }, fb = { 0 };
        s = rk_exp_lora_factors(&fa, &fb, run, l);
        if (s == RK_OK)
            s = rk_factored_svd(&sl[i], &fb, &fa, run->scale, RK_SVD_THIN);
        rk_mat_free(&fa);
        rk_mat_free(&fb);
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

/*
 * Layer @p l of the extracted adapter @p ex at rank r' = min(r, k):
 * B = U_r'·S_r', A = V_r'ᵀ (rk_lowrank_factors, RK_SPLIT_US), written into
 * the first r' columns of B and rows of A (the rest stay zero), in float.
 */
static rk_status extracted_layer(rk_exp_lora_run *ex, size_t l, const rk_svd *sfull, size_t r)
{
    size_t rr = r < sfull->k ? r : sfull->k, R = ex->rank;
    rk_mat b = { 0 }, a = { 0 }, bp = { 0 }, ap = { 0 };
    rk_status s = rk_lowrank_factors(&b, &a, sfull, rr, RK_SPLIT_US);
    if (s == RK_OK)
        s = rk_mat_create(&bp, ex->out[l], R);
    if (s == RK_OK)
        s = rk_mat_create(&ap, R, ex->in[l]);
    if (s == RK_OK && rr > 0) {
        rk_mat bv = rk_mat_view_cols(&bp, 0, rr), av = rk_mat_view_rows(&ap, 0, rr);
        s = rk_mat_copy(&bv, &b);
        if (s == RK_OK)
            s = rk_mat_copy(&av, &a);
    }
    if (s == RK_OK)
        s = rk_mat_to_f32(ex->b[l], &bp);
    if (s == RK_OK)
        s = rk_mat_to_f32(ex->a[l], &ap);
    rk_mat_free(&b);
    rk_mat_free(&a);
    rk_mat_free(&bp);
    rk_mat_free(&ap);
    return s;
}

/* The extracted adapter of rank r, [ΔW_full]_r in every layer, from the SVDs @p sfull. */
static rk_status build_extracted(rk_exp_lora_run *ex, const rk_exp_models *m, const rk_svd *sfull,
                                 size_t r, size_t *params)
{
    size_t R = 0, out[RK_MLP_MAX_LAYERS], in[RK_MLP_MAX_LAYERS];
    *params = 0;
    for (size_t l = 0; l < m->n_layers; l++) {
        size_t rr = r < sfull[l].k ? r : sfull[l].k;
        R = rr > R ? rr : R;
        out[l] = m->w0[l].rows;
        in[l] = m->w0[l].cols;
        *params += rr * (out[l] + in[l]);
    }
    snprintf(ex->label, sizeof ex->label, "extracted r=%zu", r);
    ex->role = RK_EXP_ROLE_RANK;
    ex->rank = R;
    ex->scale = 1.0;
    rk_status s = rk_exp_lora_run_alloc(ex, m->n_layers, out, in);
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++)
        s = extracted_layer(ex, l, &sfull[l], r);
    return s;
}

/* Accuracy of W0 + s·B·A of @p ex on @p test: the adapter's side path on @p net, never merged. */
static rk_status evaluate_extracted(rk_exp_lora_run *ex, rk_mlp *net, const rk_dataset *test)
{
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = ex->rank;
    lc.alpha = (double)ex->rank;   /* s = 1 */
    rk_rng rng;
    rk_rng_seed(&rng, 0);          /* the random A is overwritten below */
    rk_lora lo;
    rk_status s = rk_lora_create(&lo, net, &lc, &rng);
    for (size_t l = 0; s == RK_OK && l < ex->n_layers; l++) {
        memcpy(lo.p.a[l], ex->a[l], ex->rank * ex->in[l] * sizeof(float));
        memcpy(lo.p.b[l], ex->b[l], ex->out[l] * ex->rank * sizeof(float));
    }
    if (s == RK_OK)
        s = rk_evaluate(&ex->eval, net, &lo, test, NULL);
    rk_lora_free(&lo);
    return s;
}

static rk_status check_net(const rk_mlp *net, const rk_exp_models *m)
{
    if (net->cfg.n_layers != m->n_layers)
        return RK_ESHAPE;
    for (size_t l = 0; l < m->n_layers; l++)
        if (net->cfg.sizes[l] != m->w0[l].cols || net->cfg.sizes[l + 1] != m->w0[l].rows)
            return RK_ESHAPE;
    return RK_OK;
}

/* Every extracted adapter of @p cfg's ranks, evaluated when @p net and @p test are given. */
static rk_status extract_all(const rk_exp_config *cfg, const rk_exp_models *m, rk_mlp *net,
                             const rk_dataset *test, const rk_svd *sfull, rk_exp_analysis *a)
{
    rk_status s = net && test ? check_net(net, m) : RK_OK;
    for (size_t i = 0; s == RK_OK && i < cfg->n_ranks; i++) {
        a->n_extracted = i + 1;
        a->extracted_rank[i] = cfg->ranks[i];
        s = build_extracted(&a->extracted[i], m, sfull, cfg->ranks[i], &a->extracted_params[i]);
        if (s != RK_OK || !net || !test)
            continue;
        if (cfg->progress)
            cfg->progress("evaluate extracted", NULL, cfg->progress_ctx);
        s = evaluate_extracted(&a->extracted[i], net, test);
    }
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
    if (s == RK_OK) {
        s = extract_all(cfg, m, net, test, sfull, a);
        if (s != RK_OK)
            rk_err_set(err, s, "SVD-extracted adapters: %s", rk_strerror(s));
    }
    if (s == RK_OK) {
        if (cfg->progress)
            cfg->progress("rank rules", NULL, cfg->progress_ctx);
        if ((s = rk_exp_rules(m, sfull, net, test, a)) != RK_OK)
            rk_err_set(err, s, "rank rules: %s", rk_strerror(s));
    }
    if (s == RK_OK) {
        if (cfg->progress)
            cfg->progress("intruder dimensions", NULL, cfg->progress_ctx);
        if ((s = rk_exp_intruders(m, net, test, a)) != RK_OK)
            rk_err_set(err, s, "intruder dimensions: %s", rk_strerror(s));
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
    for (size_t i = 0; i < RK_EXP_MAX_RANKS; i++)
        rk_exp_lora_run_free(&a->extracted[i]);
    rk_mat_free(&a->heat);
    rk_rank_choice_free(&a->rules);
    memset(a, 0, sizeof *a);
}
