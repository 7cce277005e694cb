/*
 * test_experiment.c — the main experiment (lib/analysis/experiment.h) in a
 * small configuration (experiment_fixture.c: a 16 → 32 → 16 → 4 net on an
 * in-memory synthetic dataset, a few ranks, 20 fine-tuning steps). Runs in
 * about a second and checks the math of the runs and the analysis:
 *   rank(ΔW_lora) ≤ r; rel_err ≥ Eckart–Young − 1e-12; φ ∈ [0, 1] and
 *   φ(X, X) = 1; amplification along a matrix's own directions =
 *   ‖ΔW‖_F / ‖S_r‖_F; the analysis leaves the model's parameters as they
 *   were; the learn–forget records; configuration and allocation errors.
 * What is written from them (results.json, report, plots, saved adapters,
 * compare) is test_experiment_output.c's.
 */
#include "experiment_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_runs_and_target(void **state)
{
    (void)state;
    assert_int_equal(F.m.n_runs, 7);   /* 4 ranks + N(0,1) + seed 2 + rsLoRA */
    const rk_exp_lora_run *rs = &F.m.runs[6];
    assert_true(rs->role == RK_EXP_ROLE_RSLORA && rs->rslora && rs->rank == 8);
    assert_true(rs->scale == (float)rk_lora_scale(8.0, 8, true));   /* α = r: s = √r, as held */
    int t = F.m.target_class;
    assert_true(t >= 0 && t < CLASSES);
    for (int c = 0; c < CLASSES; c++)
        assert_true(F.m.pretrain_eval.per_class[t] <= F.m.pretrain_eval.per_class[c]);
    assert_int_equal(F.m.full_cost.trainable_params, F.net.n_params);
    assert_int_equal(F.m.full_cost.steps, 20);
    for (size_t i = 0; i < F.m.n_runs; i++) {
        const rk_exp_lora_run *r = &F.m.runs[i];
        size_t want = 0;
        for (size_t l = 0; l < 3; l++)
            want += r->rank * (F.cfg.net.sizes[l] + F.cfg.net.sizes[l + 1]);
        assert_int_equal(r->cost.trainable_params, want);
        assert_true(r->eval.n_classes == CLASSES);
        assert_true(rk_exp_target_accuracy(&F.m, &r->eval) == r->eval.per_class[t]);
    }
    /* the full fine-tune changed every layer; the frozen base did not move */
    for (size_t l = 0; l < 3; l++) {
        assert_true(rk_mat_norm_fro(&F.m.full[l]) > 0);
        for (size_t i = 0; i < F.m.w0[l].rows * F.m.w0[l].cols; i++)
            assert_true((float)F.m.w0[l].data[i] == F.net.p.w[l][i]);
    }
}

static void test_rank_and_bound(void **state)
{
    (void)state;
    for (size_t l = 0; l < F.a.n_layers; l++)
        for (size_t i = 0; i < F.m.n_runs; i++) {
            const rk_exp_cmp *c = &F.a.layers[l].cmp[i];
            size_t r = F.m.runs[i].rank;
            assert_true(c->numerical_rank <= r);
            rk_mat d;
            size_t rank = 0;
            assert_status(rk_exp_lora_dense(&d, &F.m.runs[i], l), RK_OK);
            assert_status(rk_delta_rank(&rank, &d), RK_OK);
            assert_true(rank <= r);
            /* the dense SVD agrees with the factored one on ‖ΔW‖_F */
            assert_rel_near(rk_mat_norm_fro(&d), rk_spectrum_fro(c->s, c->k), 1e-12);
            rk_mat_free(&d);
            if (!(c->rel_err >= c->ey_rel_err - 1e-12))
                fail_msg("layer %zu run %zu: rel_err %.17g below the bound %.17g", l, i,
                         c->rel_err, c->ey_rel_err);
            assert_true(c->ey_rel_err >= 0 && c->ey_rel_err <= 1);
        }
}

static void check_phi_table(const rk_mat *t)
{
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            double v = RK_AT(t, i, j);
            if (!(v >= 0 && v <= 1))
                fail_msg("φ(%zu, %zu) = %.17g outside [0, 1]", i + 1, j + 1, v);
        }
}

/* ΔW_lora = s·B·A of run i in layer l, formed here in double from the float factors */
static void lora_delta(rk_mat *d, size_t i, size_t l)
{
    const rk_exp_lora_run *run = &F.m.runs[i];
    size_t out = run->out[l], in = run->in[l], r = run->rank;
    assert_status(rk_mat_create(d, out, in), RK_OK);
    for (size_t p = 0; p < out; p++)
        for (size_t q = 0; q < in; q++) {
            double sum = 0.0;
            for (size_t k = 0; k < r; k++)
                sum += (double)run->b[l][p * r + k] * (double)run->a[l][k * in + q];
            RK_AT(d, p, q) = run->scale * sum;
        }
}

/* φ(d, d) = ‖U_x[:, :d]ᵀ·U_y[:, :d]‖_F² / d from dense SVDs of x and y, summed here */
static double phi_left_direct(const rk_mat *x, const rk_mat *y, size_t d)
{
    rk_svd sx, sy;
    assert_status(rk_svd_decomp(&sx, x, RK_SVD_THIN), RK_OK);
    assert_status(rk_svd_decomp(&sy, y, RK_SVD_THIN), RK_OK);
    double sum = 0.0;
    for (size_t p = 0; p < d; p++)
        for (size_t q = 0; q < d; q++) {
            double dot = 0.0;
            for (size_t r = 0; r < x->rows; r++)
                dot += RK_AT(&sx.u, r, p) * RK_AT(&sy.u, r, q);
            sum += dot * dot;
        }
    rk_svd_free(&sx);
    rk_svd_free(&sy);
    return sum / (double)d;
}

/* ‖U_rᵀ·W0·V_r‖_F, U_r and V_r the top-r singular vectors of dw (a dense SVD), summed here */
static double proj_direct(const rk_mat *w0, const rk_mat *dw, size_t r)
{
    rk_svd sv;
    assert_status(rk_svd_decomp(&sv, dw, RK_SVD_THIN), RK_OK);
    double sum = 0.0;
    for (size_t p = 0; p < r; p++)
        for (size_t q = 0; q < r; q++) {
            double e = 0.0;   // u_pᵀ·W0·v_q
            for (size_t i = 0; i < w0->rows; i++)
                for (size_t j = 0; j < w0->cols; j++)
                    e += RK_AT(&sv.u, i, p) * RK_AT(w0, i, j) * RK_AT(&sv.vt, q, j);
            sum += e * e;
        }
    rk_svd_free(&sv);
    return sqrt(sum);
}

static void test_phi(void **state)
{
    (void)state;
    for (size_t l = 0; l < F.a.n_layers; l++) {
        const rk_exp_layer *L = &F.a.layers[l];
        for (size_t i = 0; i < F.m.n_runs; i++) {
            check_phi_table(&L->cmp[i].phi_left_table);
            check_phi_table(&L->cmp[i].phi_right_table);
            assert_int_equal(L->cmp[i].phi_left_table.rows, L->cmp[i].phi_dim);
            // φ(d, d) of ΔW_lora against ΔW_full, from two dense SVDs of the formed
            // matrices: the subspaces agree to ε·‖ΔW‖/gap (measured: 1e-13)
            rk_mat d;
            lora_delta(&d, i, l);
            double want = phi_left_direct(&d, &F.m.full[l], L->cmp[i].phi_dim);
            rk_mat_free(&d);
            if (!(fabs(L->cmp[i].phi - want) <= 1e-10))
                fail_msg("layer %zu run %zu: φ = %.17g, directly %.17g", l, i, L->cmp[i].phi, want);
        }
        assert_true(L->phi_pair.rows > 0);
        assert_true(L->phi_seeds.rows > 0);
        check_phi_table(&L->phi_pair);
        check_phi_table(&L->phi_seeds);
    }
    /* φ(X, X) = 1: a run's update against itself, and ΔW_full against itself */
    rk_svd s;
    rk_mat fa, fb;
    assert_status(rk_exp_lora_factors(&fa, &fb, &F.m.runs[2], 1), RK_OK);
    assert_status(rk_factored_svd(&s, &fb, &fa, F.m.runs[2].scale, RK_SVD_THIN), RK_OK);
    rk_mat_free(&fa);
    rk_mat_free(&fb);
    rk_mat t;
    assert_status(rk_subspace_phi_svd(&t, &s, &s, RK_SIDE_LEFT, s.k, s.k), RK_OK);
    for (size_t i = 0; i < s.k; i++)
        assert_true(fabs(RK_AT(&t, i, i) - 1) <= 64 * RK_EPS);
    rk_mat_free(&t);
    rk_svd_free(&s);
    assert_status(rk_subspace_phi_matrices(&t, &F.m.full[0], &F.m.full[0], RK_SIDE_RIGHT, 4, 4),
                  RK_OK);
    assert_true(fabs(RK_AT(&t, 3, 3) - 1) <= 64 * RK_EPS);
    rk_mat_free(&t);
}

static void test_amplification_own_directions(void **state)
{
    (void)state;
    /* W0 = ΔW: along ΔW's own top-r directions ‖Uᵀ·ΔW·V‖_F = ‖S_r‖_F */
    const rk_mat *d = &F.m.full[1];
    rk_svd s;
    assert_status(rk_svd_decomp(&s, d, RK_SVD_VALUES), RK_OK);
    for (size_t r = 1; r <= 4; r++) {
        rk_amplify amp;
        assert_status(rk_amplify_compute(&amp, d, d, r, 5), RK_OK);
        double sr = sqrt(rk_spectrum_energy(s.s, s.k, r)) * rk_spectrum_fro(s.s, s.k);
        assert_rel_near(amp.proj_delta, sr, 1e-10);
        assert_rel_near(amp.factor, rk_mat_norm_fro(d) / sr, 1e-10);
    }
    rk_svd_free(&s);
    /* the experiment's own table: LoRA's factor = ‖ΔW_lora‖_F / proj_delta */
    for (size_t i = 0; i < F.m.n_runs; i++) {
        const rk_amplify *x = &F.a.layers[1].cmp[i].amp;
        assert_true(x->r > 0);
        // ‖Uᵀ·W0·V‖_F and ‖ΔW_lora‖_F of the formed ΔW_lora, summed here (measured 2.5e-15)
        rk_mat d;
        lora_delta(&d, i, 1);
        double proj = proj_direct(&F.m.w0[1], &d, x->r), fro = 0.0;
        for (size_t k = 0; k < d.rows * d.cols; k++)
            fro += d.data[k] * d.data[k];
        fro = sqrt(fro);
        rk_mat_free(&d);
        assert_rel_near(x->proj_delta, proj, 1e-12);
        assert_rel_near(x->delta_fro, fro, 1e-12);
        assert_rel_near(x->factor, fro / proj, 1e-12);
        assert_rel_near(x->delta_fro, F.a.layers[1].cmp[i].fro, 1e-12);
    }
}

/* The analysis evaluates W0 + [ΔW_full]_r as a side path: the model is not written, and the
 * accuracy is that of the merged weights up to a prediction flipped by float rounding. */
static void test_analysis_leaves_the_model(void **state)
{
    (void)state;
    size_t bytes = F.net.n_params * sizeof(float);
    float *before = rk_test_params_copy(&F.net);
    rk_exp_config cfg = F.cfg;
    cfg.progress = NULL;
    rk_exp_analysis a;
    rk_err err;
    assert_status(rk_exp_analyze(&cfg, &F.m, &F.net, &F.test, &a, &err), RK_OK);
    assert_memory_equal(before, F.net.params, bytes);
    assert_int_equal(a.n_extracted, F.cfg.n_ranks);
    rk_mlp merged;
    assert_status(rk_mlp_create(&merged, &F.net.cfg, F.net.max_batch), RK_OK);
    for (size_t i = 0; i < a.n_extracted; i++) {
        assert_true(a.extracted[i].eval.accuracy == F.a.extracted[i].eval.accuracy);
        assert_status(rk_mlp_copy_params(&merged, &F.net), RK_OK);
        for (size_t l = 0; l < 3; l++) {
            rk_mat d, w;
            assert_status(rk_exp_lora_dense(&d, &a.extracted[i], l), RK_OK);
            assert_status(rk_mat_from_f32(&w, F.net.p.w[l], d.rows, d.cols), RK_OK);
            assert_status(rk_mat_axpy(&w, 1.0, &d), RK_OK);
            assert_status(rk_mat_to_f32(merged.p.w[l], &w), RK_OK);
            rk_mat_free(&d);
            rk_mat_free(&w);
        }
        rk_eval ev;
        assert_status(rk_evaluate(&ev, &merged, NULL, &F.test, &err), RK_OK);
        if (!(fabs(ev.accuracy - a.extracted[i].eval.accuracy) <= 2.0 / NTEST))
            fail_msg("r = %zu: side path %.4f, merged %.4f", a.extracted_rank[i],
                     a.extracted[i].eval.accuracy, ev.accuracy);
        rk_eval_free(&ev);
    }
    rk_mlp_free(&merged);
    rk_exp_analysis_free(&a);
    free(before);
}

static void test_config_errors(void **state)
{
    (void)state;
    rk_exp_config c = F.cfg;
    rk_err err;
    c.ranks[1] = 1;   /* not increasing */
    assert_status(rk_exp_config_check(&c, &err), RK_EINVAL);
    c = F.cfg;
    c.ft_steps = 0;
    assert_status(rk_exp_config_check(&c, &err), RK_EINVAL);
    c = F.cfg;
    c.net.sizes[0] = DIM + 1;   /* the data have DIM features */
    rk_exp_models m;
    rk_mlp net;
    assert_status(rk_exp_run(&c, &F.train, &F.test, &m, &net, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, "features"));
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
    rk_exp_models_free(NULL);
    rk_exp_analysis_free(NULL);
}

/* Every allocation failure inside the analysis returns RK_ENOMEM and leaks
 * nothing (ASan's leak check in the sanitizer build), and a later call with
 * a working allocator gives the same numbers. */
static void test_analyze_alloc_failures(void **state)
{
    (void)state;
    rk_exp_config cfg = F.cfg;
    cfg.progress = NULL;
    rk_exp_analysis a;
    rk_test_fail_alloc_after(0);
    long before = 0;
    rk_test_fail_alloc_after(1000000);
    assert_status(rk_exp_analyze(&cfg, &F.m, NULL, NULL, &a, NULL), RK_OK);
    before = rk_test_alloc_count();
    rk_exp_analysis_free(&a);
    rk_test_fail_alloc_after(0);
    long step = before / 40 > 0 ? before / 40 : 1;
    for (long n = 1; n <= before; n += step) {
        rk_test_fail_alloc_after(n);
        rk_status s = rk_exp_analyze(&cfg, &F.m, NULL, NULL, &a, NULL);
        rk_test_fail_alloc_after(0);
        if (s != RK_ENOMEM)
            fail_msg("allocation %ld failing: status %s, wanted RK_ENOMEM", n, rk_strerror(s));
        rk_exp_analysis_free(&a);
    }
    assert_status(rk_exp_analyze(&cfg, &F.m, NULL, NULL, &a, NULL), RK_OK);
    assert_true(a.layers[1].cmp[2].rel_err == F.a.layers[1].cmp[2].rel_err);
    rk_exp_analysis_free(&a);
}

/* The records of one fine-tune: steps 0, 10, 20; step 0 = the pretrained evaluation and the
 * last = the final one, exactly (the subset is the whole test set: the same evaluation). */
static void check_track(const rk_lf_track *t, const rk_eval *final, size_t phi_rank)
{
    rk_lf_point pre = rk_exp_lf_point(&F.m, &F.m.pretrain_eval), fin = rk_exp_lf_point(&F.m, final);
    assert_int_equal(t->n, 3);
    assert_int_equal(t->n_layers, 3);
    assert_int_equal(t->phi_rank, phi_rank);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(t->points[i].step, 10 * i);
    assert_true(t->points[0].target_acc == pre.target_acc && t->points[0].other_acc == pre.other_acc);
    assert_true(t->points[2].target_acc == fin.target_acc && t->points[2].other_acc == fin.other_acc);
    for (size_t l = 0; l < 3; l++) {
        assert_true(t->layers[l].fro == 0.0 && t->layers[l].rank_90 == 0);   /* step 0: ΔW = 0 */
        const rk_lf_layer *g = &t->layers[2 * 3 + l];
        assert_true(g->fro > 0 && g->rank_90 >= 1 && g->rank_90 <= g->rank_99);
        assert_true(phi_rank ? fabs(g->phi - 1.0) <= 1e-12 : isnan(g->phi));
    }
}

static void test_learn_forget_records(void **state)
{
    (void)state;
    const rk_exp_lf *lf = &F.m.lf;
    assert_true(lf->every == 10 && lf->whole_test && lf->n_eval == NTEST);
    rk_lf_point pre = rk_exp_lf_point(&F.m, &F.m.pretrain_eval);
    assert_true(pre.target_acc == F.m.pretrain_eval.per_class[F.m.target_class]);
    check_track(&lf->full, &F.m.full_eval, RK_EXP_LF_PHI_RANK);
    for (size_t i = 0; i < F.m.n_runs; i++)
        check_track(&lf->runs[i], &F.m.runs[i].eval, 0);
    /* the final ΔW_full's statistics are its spectrum's (the analysis's SVD of the same ΔW) */
    const rk_exp_layer *L = &F.a.layers[1];
    const rk_lf_layer *g = &lf->full.layers[2 * 3 + 1];
    assert_rel_near(g->fro, L->full_fro, 1e-12);
    assert_int_equal(g->rank_90, rk_spectrum_rank_for_energy(L->s_full, L->k, 0.90));
}

/* A subset smaller than the test set: distinct test rows in test order, the same for a seed. */
static void test_learn_forget_subset(void **state)
{
    (void)state;
    rk_exp_config c = F.cfg;
    c.track_n = 50;
    rk_exp_lf a = { 0 }, b = { 0 }, d = { 0 };
    assert_status(rk_exp_lf_subset(&a, &c, &F.test), RK_OK);
    assert_status(rk_exp_lf_subset(&b, &c, &F.test), RK_OK);
    c.track_seed += 1;
    assert_status(rk_exp_lf_subset(&d, &c, &F.test), RK_OK);
    assert_true(a.n_eval == 50 && !a.whole_test);
    assert_memory_equal(a.x, b.x, 50 * DIM * sizeof(float));
    assert_true(memcmp(a.x, d.x, 50 * DIM * sizeof(float)) != 0);
    size_t row = 0;
    for (size_t k = 0; k < 50; k++) {   /* each subset row is a later test row than the one before */
        while (row < NTEST && memcmp(a.x + k * DIM, F.test.x + row * DIM, DIM * sizeof(float)))
            row++;
        assert_true(row < NTEST && a.y[k] == F.test.y[row]);
        row++;
    }
    rk_exp_lf_free(&a);
    rk_exp_lf_free(&b);
    rk_exp_lf_free(&d);
    c.track_every = 0;   /* no records: no subset */
    assert_status(rk_exp_lf_subset(&a, &c, &F.test), RK_OK);
    assert_null(a.x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_and_target),
        cmocka_unit_test(test_learn_forget_records),
        cmocka_unit_test(test_learn_forget_subset),
        cmocka_unit_test(test_rank_and_bound),
        cmocka_unit_test(test_phi),
        cmocka_unit_test(test_amplification_own_directions),
        cmocka_unit_test(test_analysis_leaves_the_model),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_analyze_alloc_failures),
    };
    return cmocka_run_group_tests(tests, exp_fixture_setup, exp_fixture_teardown);
}
