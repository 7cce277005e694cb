/*
 * test_experiment.c — the main experiment (lib/analysis/experiment.h) in a
 * small configuration: a 16 → 32 → 16 → 4 net on an in-memory synthetic
 * dataset (four Gaussian clusters), a few ranks, 20 fine-tuning steps. Runs
 * in about a second and checks the math on its outputs:
 *   rank(ΔW_lora) ≤ r; rel_err ≥ Eckart–Young − 1e-12; φ ∈ [0, 1] and
 *   φ(X, X) = 1; amplification along a matrix's own directions =
 *   ‖ΔW‖_F / ‖S_r‖_F; an extracted adapter applied to W0 gives W0 + [ΔW]_r;
 *   results.json has the agreed keys; report.md links only existing files;
 *   plots are valid PNG/SVG when gnuplot is there; compare (save + load +
 *   analyse) reproduces the demo's numbers.
 */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

enum { DIM = 16, CLASSES = 4, NTRAIN = 240, NTEST = 120 };

typedef struct fixture {
    rk_dataset train, test;
    rk_exp_config cfg;
    rk_exp_models m;
    rk_exp_analysis a;
    rk_mlp net;
} fixture;

static fixture F;

/* Class c: x ~ N(μ_c, 1) with μ_c = 1.5·e_c + 0.5·e_{c+4}; class 3 is made harder (closer to 2). */
static void make_set(rk_dataset *d, size_t n, rk_rng *rng)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->dim = DIM;
    d->n_classes = CLASSES;
    d->x = rk_alloc(n * DIM * sizeof *d->x);
    d->y = rk_alloc(n);
    assert_non_null(d->x);
    assert_non_null(d->y);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % CLASSES);
        d->y[i] = (unsigned char)c;
        for (size_t j = 0; j < DIM; j++) {
            double mu = (j == (size_t)c ? 1.5 : 0) + (j == (size_t)c + 4 ? 0.5 : 0);
            if (c == 3 && j == 2)
                mu = 1.2;
            d->x[i * DIM + j] = (float)(mu + rk_rng_normal(rng));
        }
    }
}

static int setup(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 42);
    make_set(&F.train, NTRAIN, &rng);
    make_set(&F.test, NTEST, &rng);
    F.cfg = rk_exp_config_default();
    F.cfg.net.n_layers = 3;
    size_t sizes[] = { DIM, 32, 16, CLASSES };
    memcpy(F.cfg.net.sizes, sizes, sizeof sizes);
    F.cfg.pretrain_epochs = 2;
    F.cfg.pretrain_batch = 10;
    F.cfg.ft_steps = 20;
    F.cfg.n_ranks = 4;
    size_t ranks[] = { 1, 2, 4, 8 };
    memcpy(F.cfg.ranks, ranks, sizeof ranks);
    F.cfg.normal_rank = 4;
    F.cfg.seed2_rank = 4;
    F.cfg.rslora_rank = 8;   /* within every layer's width, as the other runs */
    F.cfg.pair_lo = 2;
    F.cfg.pair_hi = 8;
    rk_err err;
    rk_status s = rk_exp_run(&F.cfg, &F.train, &F.test, &F.m, &F.net, &err);
    if (s != RK_OK)
        fprintf(stderr, "run: %s\n", err.msg);
    assert_status(s, RK_OK);
    s = rk_exp_analyze(&F.cfg, &F.m, &F.net, &F.test, &F.a, &err);
    if (s != RK_OK)
        fprintf(stderr, "analyze: %s\n", err.msg);
    assert_status(s, RK_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rk_exp_analysis_free(&F.a);
    rk_exp_models_free(&F.m);
    rk_mlp_free(&F.net);
    rk_dataset_free(&F.train);
    rk_dataset_free(&F.test);
    return 0;
}

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

static bool file_exists(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void test_extracted_adapter(void **state)
{
    (void)state;
    const char *dir = rk_test_tmpfile("saved");
    rk_err err;
    assert_status(rk_exp_save(dir, &F.net, &F.m, &F.a, &err), RK_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/adapters/extracted_r2", dir);
    rk_peft_adapter ad;
    assert_status(rk_peft_read(&ad, path, &err), RK_OK);
    assert_int_equal(ad.n_modules, 3);
    for (size_t i = 0; i < ad.n_modules; i++) {
        const rk_peft_module *mod = &ad.modules[i];
        size_t l = (size_t)(mod->name[6] - '1');
        /* W0 + s·B·A from the file against W0 + [ΔW_full]_2 computed here */
        rk_mat ba, want;
        rk_svd s;
        assert_status(rk_mat_create(&ba, mod->out, mod->in), RK_OK);
        assert_status(rk_mat_gemm(false, false, mod->scale, &mod->b, &mod->a, 0.0, &ba), RK_OK);
        assert_status(rk_svd_decomp(&s, &F.m.full[l], RK_SVD_THIN), RK_OK);
        assert_status(rk_lowrank_approx(&want, &s, 2), RK_OK);
        assert_status(rk_mat_axpy(&ba, 1.0, &F.m.w0[l]), RK_OK);
        assert_status(rk_mat_axpy(&want, 1.0, &F.m.w0[l]), RK_OK);
        /* the factors are stored as float32: one rounding per factor entry */
        double tol = 8 * 6e-8 * (rk_mat_norm_fro(&F.m.full[l]) + 1e-30) * 4;
        assert_mat_near(&ba, &want, tol);
        rk_mat_free(&ba);
        rk_mat_free(&want);
        rk_svd_free(&s);
    }
    rk_peft_free(&ad);
    /* what is written is the analysis's own float factors, bit for bit, zero-padded where
       a layer has fewer directions than r (linear3: 4 < 8) */
    for (size_t i = 0; i < F.a.n_extracted; i++) {
        const rk_exp_lora_run *ex = &F.a.extracted[i];
        snprintf(path, sizeof path, "%s/adapters/extracted_r%zu", dir, F.a.extracted_rank[i]);
        assert_status(rk_peft_read(&ad, path, &err), RK_OK);
        for (size_t k = 0; k < ad.n_modules; k++) {
            const rk_peft_module *mod = &ad.modules[k];
            size_t l = (size_t)(mod->name[6] - '1');
            assert_int_equal(mod->r, ex->rank);
            float fa[16 * 32], fb[32 * 16];
            assert_true(mod->a.rows * mod->a.cols <= 16 * 32 && mod->b.rows * mod->b.cols <= 32 * 16);
            assert_status(rk_mat_to_f32(fa, &mod->a), RK_OK);
            assert_status(rk_mat_to_f32(fb, &mod->b), RK_OK);
            assert_memory_equal(fa, ex->a[l], ex->rank * ex->in[l] * sizeof(float));
            assert_memory_equal(fb, ex->b[l], ex->out[l] * ex->rank * sizeof(float));
            size_t k_l = ex->in[l] < ex->out[l] ? ex->in[l] : ex->out[l];
            for (size_t j = k_l; j < ex->rank; j++)
                assert_true(ex->a[l][j * ex->in[l]] == 0.0f);
        }
        rk_peft_free(&ad);
    }
}

/* The analysis evaluates W0 + [ΔW_full]_r as a side path: the model is not written, and the
 * accuracy is that of the merged weights up to a prediction flipped by float rounding. */
static void test_analysis_leaves_the_model(void **state)
{
    (void)state;
    size_t bytes = F.net.n_params * sizeof(float);
    float *before = rk_alloc(bytes);
    assert_non_null(before);
    memcpy(before, F.net.params, bytes);
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
    rk_free(before);
}

static void test_compare_roundtrip(void **state)
{
    (void)state;
    const char *dir = rk_test_tmpfile("saved2");
    rk_err err;
    assert_status(rk_exp_save(dir, &F.net, &F.m, &F.a, &err), RK_OK);
    char base[4096], full[4096], l1[4096], l2[4096];
    snprintf(base, sizeof base, "%s/weights/base.safetensors", dir);
    snprintf(full, sizeof full, "%s/full", dir);
    snprintf(l1, sizeof l1, "%s/adapters/lora_r4", dir);
    snprintf(l2, sizeof l2, "%s/adapters/lora_r4_seed2", dir);
    const char *loras[] = { l1, l2 };
    rk_exp_models m;
    rk_mlp net;
    assert_status(rk_exp_load(&m, &net, base, full, loras, 2, &err), RK_OK);
    assert_int_equal(m.n_runs, 2);
    assert_int_equal(m.runs[1].role, RK_EXP_ROLE_SEED2);
    rk_exp_config cfg = F.cfg;
    cfg.n_ranks = 1;
    cfg.ranks[0] = 4;
    cfg.progress = NULL;
    rk_exp_analysis a;
    assert_status(rk_exp_analyze(&cfg, &m, NULL, NULL, &a, &err), RK_OK);
    for (size_t l = 0; l < 3; l++) {
        assert_rel_near(a.layers[l].cmp[0].rel_err, F.a.layers[l].cmp[2].rel_err, 1e-12);
        assert_rel_near(a.layers[l].cmp[0].ey_rel_err, F.a.layers[l].cmp[2].ey_rel_err, 1e-12);
        assert_true(fabs(a.layers[l].cmp[0].phi - F.a.layers[l].cmp[2].phi) < 1e-10);
        assert_true(a.layers[l].phi_seeds.rows > 0);
    }
    rk_exp_analysis_free(&a);
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
    /* a missing delta file is an error naming the problem */
    const char *bad[] = { l1 };
    assert_int_not_equal(rk_exp_load(&m, &net, base, dir, bad, 1, &err), RK_OK);
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
}

static json_t *get(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        fail_msg("results.json: key %s missing", key);
    return v;
}

static void test_results_json(void **state)
{
    (void)state;
    const char *path = rk_test_tmpfile("results.json");
    rk_err err;
    assert_status(rk_exp_results_write(path, &F.cfg, &F.m, &F.a, &err), RK_OK);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    json_t *pre = get(root, "pretrain");
    assert_true(json_is_real(get(pre, "accuracy")));
    assert_int_equal(json_array_size(get(pre, "per_class_accuracy")), CLASSES);
    assert_int_equal(json_integer_value(get(root, "target_class")), F.m.target_class);
    json_t *full = get(root, "full");
    get(full, "accuracy");
    get(full, "target_accuracy");
    assert_int_equal(json_integer_value(get(full, "trainable_params")), F.net.n_params);
    json_t *lora = get(root, "lora");
    assert_int_equal(json_array_size(lora), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *r = json_array_get(lora, i);
        assert_int_equal(json_integer_value(get(r, "rank")), F.cfg.ranks[i]);
        get(r, "accuracy");
        get(r, "target_accuracy");
        get(r, "trainable_params");
        json_t *layers = get(r, "layers");
        assert_int_equal(json_array_size(layers), 3);
        for (size_t l = 0; l < 3; l++) {
            json_t *L = json_array_get(layers, l);
            assert_string_equal(json_string_value(get(L, "name")), F.m.names[l]);
            assert_true(json_real_value(get(L, "rel_err")) == F.a.layers[l].cmp[i].rel_err);
            get(L, "eckart_young_rel_err");
            double phi = json_real_value(get(L, "phi"));
            assert_true(phi >= 0 && phi <= 1);
        }
    }
    assert_int_equal(json_array_size(get(root, "lora_extra")), 3);
    assert_int_equal(json_array_size(get(root, "svd_extracted")), 4);
    json_decref(root);
}

/* true when the @p n bytes at @p buf contain @p needle. */
static bool contains(const unsigned char *buf, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(buf + i, needle, k))
            return true;
    return false;
}

/* Every Markdown link target ](X) in report.md names an existing file. */
static void check_links(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/report.md", dir);
    unsigned char *text;
    size_t n;
    assert_status(rk_file_read_all(path, 1 << 24, &text, &n, NULL), RK_OK);
    size_t links = 0;
    for (size_t i = 0; i + 2 < n; i++) {
        if (text[i] != ']' || text[i + 1] != '(')
            continue;
        size_t j = i + 2;
        while (j < n && text[j] != ')')
            j++;
        char name[512];
        size_t len = j - i - 2 < sizeof name - 1 ? j - i - 2 : sizeof name - 1;
        memcpy(name, text + i + 2, len);
        name[len] = 0;
        if (!file_exists(dir, name))
            fail_msg("report.md links %s, which does not exist", name);
        links++;
    }
    assert_true(links > 0);
    rk_free(text);
}

static void test_report_and_plots(void **state)
{
    (void)state;
    static const int formats[2] = { RK_PLOT_PNG, RK_PLOT_SVG };
    for (int f = 0; f < 2; f++) {
        const char *dir = rk_test_tmpfile(f ? "report_svg" : "report_png");
        rk_err err;
        rk_exp_plots plots;
        assert_status(rk_exp_plots_write(dir, formats[f], &F.cfg, &F.m, &F.a, &plots, &err), RK_OK);
        assert_true(plots.n >= 1 + 3 * 5);
        rk_exp_report_info info = { "test", NULL, 1.0, 1, false };
        assert_status(rk_exp_report_write(dir, &F.cfg, &F.m, &F.a, &plots, &info, &err), RK_OK);
        check_links(dir);
        for (size_t i = 0; i < plots.n; i++) {
            assert_true(file_exists(dir, plots.plots[i].data));
            if (plots.plots[i].status != RK_OK)
                continue;   /* gnuplot missing: only the data */
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, plots.plots[i].file);
            unsigned char *buf;
            size_t n;
            assert_status(rk_file_read_all(p, 1 << 24, &buf, &n, NULL), RK_OK);
            assert_true(n > 1000);
            if (f == 0)
                assert_memory_equal(buf, "\x89PNG\r\n\x1a\n", 8);
            else
                assert_true(contains(buf, n, "<svg")); /* buf is not NUL-terminated */
            rk_free(buf);
        }
    }
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
        cmocka_unit_test(test_extracted_adapter),
        cmocka_unit_test(test_analysis_leaves_the_model),
        cmocka_unit_test(test_compare_roundtrip),
        cmocka_unit_test(test_results_json),
        cmocka_unit_test(test_report_and_plots),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_analyze_alloc_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
