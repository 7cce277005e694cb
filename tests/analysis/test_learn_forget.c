/*
 * test_learn_forget.c — the learn–forget records of a small fine-tune on
 * synthetic data: step 0 equals the pretrained accuracies and a zero update,
 * the last record equals the final evaluation, the update statistics equal
 * those of the SVD of W_t − W0 (full) or of the dense s·B·A (LoRA, computed
 * from the factors), the accuracies those counted from the predictions, φ of the last record against itself is 1,
 * the dense path through the update's non-zero rows and columns, and the argument checks.
 */
#include "testutil.h"

#include <math.h>
#include <string.h>

enum { IN = 12, HID = 8, OUT = 4, NX = 200, STEPS = 30, EVERY = 10 };

typedef struct fixture {
    float x[NX * IN];
    unsigned char y[NX];
    rk_mlp base, net;
} fixture;

/* Inputs N(0, 1); the label is the argmax of a fixed random projection. */
static void make(fixture *f)
{
    rk_rng rng;
    rk_rng_seed(&rng, 31);
    float proj[OUT * IN];
    for (size_t i = 0; i < OUT * IN; i++)
        proj[i] = (float)rk_rng_normal(&rng);
    for (size_t i = 0; i < NX; i++) {
        float best = -INFINITY;
        for (size_t j = 0; j < IN; j++)
            f->x[i * IN + j] = (float)rk_rng_normal(&rng);
        for (size_t c = 0; c < OUT; c++) {
            float v = 0;
            for (size_t j = 0; j < IN; j++)
                v += proj[c * IN + j] * f->x[i * IN + j];
            if (v > best) {
                best = v;
                f->y[i] = (unsigned char)c;
            }
        }
    }
    rk_mlp_config cfg = { 2, { IN, HID, OUT } };
    assert_status(rk_mlp_create(&f->base, &cfg, 50), RK_OK);
    assert_status(rk_mlp_create(&f->net, &cfg, 50), RK_OK);
    rk_mlp_init(&f->base, &rng);
    assert_status(rk_mlp_copy_params(&f->net, &f->base), RK_OK);
}

typedef struct observer {
    rk_lf_track *track;
    rk_mlp *base;
    const rk_lf_eval *ev;
} observer;

/* The training loop's callback: the model being trained comes with the progress. */
static rk_status observe(const rk_train_progress *p, void *ctx)
{
    observer *o = ctx;
    return rk_lf_record(o->track, p->step, p->net, p->lora, o->base, o->ev);
}

/* Fine-tune on class 0 (full when lora is NULL), recording every EVERY steps. */
static void run(fixture *f, rk_lora *lora, rk_lf_track *t, const rk_lf_eval *ev)
{
    size_t order[NX], n_order = 0;
    for (size_t i = 0; i < NX; i++)
        if (f->y[i] == 0)
            order[n_order++] = i;
    assert_status(rk_lf_record(t, 0, &f->net, lora, &f->base, ev), RK_OK);
    observer o = { t, &f->base, ev };
    rk_train_opts to = rk_train_opts_default();
    to.optim.lr = 1e-2;
    to.steps = STEPS;
    to.batch = 10;
    to.seed = 5;
    to.report_every = EVERY;
    to.callback = observe;
    to.callback_ctx = &o;
    rk_train_data d = { f->x, f->y, NX, IN, order, n_order };
    rk_err err;
    rk_status s = rk_train_run(&f->net, lora, &d, &to, NULL, &err);
    if (s != RK_OK)
        fail_msg("training with records: %s", err.msg);
}

static void test_full_records(void **state)
{
    (void)state;
    fixture *f = rk_calloc(1, sizeof *f);
    assert_non_null(f);
    make(f);
    rk_lf_eval ev = { f->x, f->y, NX, 0 };
    rk_lf_point pre;
    assert_status(rk_lf_accuracy(&pre, &f->base, NULL, &ev), RK_OK);
    rk_lf_track t;
    assert_status(rk_lf_track_init(&t, 2, 8, 3), RK_OK);
    run(f, NULL, &t, &ev);
    assert_int_equal(t.n, STEPS / EVERY + 1); /* 0, 10, 20, 30: step 30 reported once */
    assert_true(t.points[0].step == 0 && t.points[t.n - 1].step == STEPS);
    assert_true(t.points[0].target_acc == pre.target_acc && t.points[0].other_acc == pre.other_acc);
    for (size_t l = 0; l < 2; l++)
        assert_true(t.layers[l].fro == 0.0 && t.layers[l].rank_90 == 0 && t.layers[l].eff_rank == 0.0);
    rk_lf_point fin;
    assert_status(rk_lf_accuracy(&fin, &f->net, NULL, &ev), RK_OK);
    assert_true(fin.target_acc == t.points[t.n - 1].target_acc && fin.other_acc == t.points[t.n - 1].other_acc);
    assert_true(fin.target_acc > pre.target_acc); /* training on class 0 learns it */
    unsigned char pred[NX]; /* the same accuracies counted here from the predictions */
    assert_status(rk_mlp_predict(&f->net, NULL, f->x, NX, pred), RK_OK);
    size_t ok[2] = { 0, 0 }, all[2] = { 0, 0 }; /* [0] target class 0, [1] the others */
    for (size_t i = 0; i < NX; i++) {
        all[f->y[i] != 0]++;
        ok[f->y[i] != 0] += pred[i] == f->y[i];
    }
    assert_true(all[0] > 0 && all[1] > 0);
    assert_true(fin.target_acc == (double)ok[0] / (double)all[0]);
    assert_true(fin.other_acc == (double)ok[1] / (double)all[1]);
    for (size_t l = 0; l < 2; l++) { /* the last record's statistics are those of W_T − W0 */
        rk_mat d = { 0 };
        rk_svd svd;
        assert_status(rk_mlp_weight_delta(&d, &f->net, &f->base, l), RK_OK);
        assert_status(rk_svd_decomp(&svd, &d, RK_SVD_VALUES), RK_OK);
        const rk_lf_layer *r = &t.layers[(t.n - 1) * 2 + l];
        assert_true(fabs(r->fro - rk_mat_norm_fro(&d)) <= 64 * RK_EPS * r->fro);
        assert_true(r->rank_90 == rk_spectrum_rank_for_energy(svd.s, svd.k, 0.9));
        assert_true(r->rank_99 == rk_spectrum_rank_for_energy(svd.s, svd.k, 0.99));
        assert_true(r->rank_90 >= 1 && r->rank_90 <= r->rank_99);
        rk_svd_free(&svd);
        rk_mat_free(&d);
    }
    for (size_t i = 0; i < t.n; i++)
        assert_true(isnan(t.layers[i * 2].phi));
    assert_status(rk_lf_finish(&t), RK_OK);
    assert_true(isnan(t.layers[0].phi)); /* step 0: no update, no directions */
    for (size_t l = 0; l < 2; l++) {
        double phi = t.layers[(t.n - 1) * 2 + l].phi;
        assert_true(fabs(phi - 1.0) <= 64 * RK_EPS);
        double mid = t.layers[2 + l].phi;
        assert_true(mid >= 0.0 && mid <= 1.0);
    }
    assert_status(rk_lf_record(&t, 99, &f->net, NULL, &f->base, &ev), RK_OK); /* one spare */
    for (size_t i = t.n; i < 8; i++)
        assert_status(rk_lf_record(&t, 100 + i, &f->net, NULL, &f->base, &ev), RK_OK);
    assert_status(rk_lf_record(&t, 200, &f->net, NULL, &f->base, &ev), RK_ERANGE);
    rk_lf_track_free(&t);
    rk_mlp_free(&f->base);
    rk_mlp_free(&f->net);
    rk_free(f);
}

static void test_lora_records(void **state)
{
    (void)state;
    fixture *f = rk_calloc(1, sizeof *f);
    assert_non_null(f);
    make(f);
    rk_lf_eval ev = { f->x, f->y, NX, 0 };
    rk_lora lo;
    rk_rng rng;
    rk_rng_seed(&rng, 32);
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = 2;
    lc.alpha = 3.0;
    lc.layers = 1u; /* the first layer only */
    assert_status(rk_lora_create(&lo, &f->net, &lc, &rng), RK_OK);
    rk_lf_track t;
    assert_status(rk_lf_track_init(&t, 2, 8, 0), RK_OK);
    run(f, &lo, &t, &ev);
    assert_int_equal(t.n, 4);
    rk_lf_point fin;
    assert_status(rk_lf_accuracy(&fin, &f->net, &lo, &ev), RK_OK);
    assert_true(fin.target_acc == t.points[3].target_acc && fin.other_acc == t.points[3].other_acc);
    rk_mat d = { 0 };
    rk_svd svd;
    assert_status(rk_lora_delta(&d, &lo, 0), RK_OK); /* dense s·B·A */
    assert_status(rk_svd_decomp(&svd, &d, RK_SVD_VALUES), RK_OK);
    const rk_lf_layer *r = &t.layers[3 * 2];
    assert_true(fabs(r->fro - rk_mat_norm_fro(&d)) <= 64 * IN * RK_EPS * r->fro);
    assert_true(r->rank_99 <= 2 && r->rank_90 >= 1);
    assert_true(fabs(r->eff_rank - rk_spectrum_effective_rank(svd.s, 2)) <= 1e-10);
    assert_true(t.layers[3 * 2 + 1].fro == 0.0); /* no adapter on layer 2 */
    assert_status(rk_lf_finish(&t), RK_OK);      /* without phi_rank: nothing to do */
    assert_true(isnan(r->phi));
    rk_svd_free(&svd);
    rk_mat_free(&d);
    rk_lora_free(&lo);
    rk_lf_track_free(&t);
    rk_mlp_free(&f->base);
    rk_mlp_free(&f->net);
    rk_free(f);
}

/* The dense path through ΔW's non-zero block: with zero rows and columns planted in W_t − W0,
 * every statistic equals that of the SVD of the whole ΔW, the kept top vectors span the thin
 * SVD's top left subspace (φ = 1 to rounding) and are 0 on the zero rows; allocation failures
 * inside that path leave the track as it was. */
static void test_dense_zero_lines(void **state)
{
    (void)state;
    fixture *f = rk_calloc(1, sizeof *f);
    assert_non_null(f);
    make(f);
    rk_rng rng;
    rk_rng_seed(&rng, 33);
    const size_t zero_row[2] = { 1, 2 }, zero_col[2] = { 3, 5 };
    for (size_t l = 0; l < 2; l++) {
        size_t out = f->net.cfg.sizes[l + 1], in = f->net.cfg.sizes[l];
        for (size_t i = 0; i < out; i++)
            for (size_t j = 0; j < in; j++)
                if (i != zero_row[l] && j != zero_col[l])
                    f->net.p.w[l][i * in + j] += (float)(0.1 * rk_rng_normal(&rng));
    }
    rk_lf_eval ev = { f->x, f->y, NX, 0 };
    rk_lf_track t;
    assert_status(rk_lf_track_init(&t, 2, 2, 3), RK_OK);
    for (long n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_lf_record(&t, 5, &f->net, NULL, &f->base, &ev);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_int_equal(t.n, 0);
    }
    for (size_t l = 0; l < 2; l++) {
        rk_mat d = { 0 };
        rk_svd svd;
        assert_status(rk_mlp_weight_delta(&d, &f->net, &f->base, l), RK_OK);
        assert_status(rk_svd_decomp(&svd, &d, RK_SVD_THIN), RK_OK);
        const rk_lf_layer *r = &t.layers[l];
        assert_true(fabs(r->fro - rk_spectrum_fro(svd.s, svd.k)) <= 64 * RK_EPS * r->fro);
        assert_true(r->rank_90 == rk_spectrum_rank_for_energy(svd.s, svd.k, 0.9));
        assert_true(r->rank_99 == rk_spectrum_rank_for_energy(svd.s, svd.k, 0.99));
        double eff = rk_spectrum_effective_rank(svd.s, svd.k);
        assert_true(fabs(r->eff_rank - eff) <= 1e-12 * eff);
        const rk_mat *u = &t.u_top[l];
        assert_int_equal(u->rows, d.rows);
        assert_int_equal(u->cols, 3);
        for (size_t j = 0; j < 3; j++)
            assert_true(RK_AT(u, zero_row[l], j) == 0.0);
        double phi = NAN, gap = svd.s[2] * svd.s[2] - svd.s[3] * svd.s[3];
        assert_status(rk_subspace_phi(&phi, u, &svd.u, 3, 3), RK_OK);
        assert_true(fabs(1.0 - phi) <= 100.0 * (double)d.rows * RK_EPS * svd.s[0] * svd.s[0] / gap);
        rk_svd_free(&svd);
        rk_mat_free(&d);
    }
    rk_lf_track_free(&t);
    rk_mlp_free(&f->base);
    rk_mlp_free(&f->net);
    rk_free(f);
}

static void test_arguments(void **state)
{
    (void)state;
    rk_lf_track t;
    assert_status(rk_lf_track_init(&t, 0, 4, 0), RK_EINVAL);
    assert_status(rk_lf_track_init(&t, 2, 0, 0), RK_EINVAL);
    assert_status(rk_lf_track_init(NULL, 2, 4, 0), RK_EINVAL);
    assert_status(rk_lf_track_init(&t, 3, 4, 0), RK_OK);
    fixture *f = rk_calloc(1, sizeof *f);
    assert_non_null(f);
    make(f);
    rk_lf_eval ev = { f->x, f->y, NX, 0 };
    assert_status(rk_lf_record(&t, 0, &f->net, NULL, &f->base, &ev), RK_ESHAPE);
    assert_status(rk_lf_record(&t, 0, &f->net, NULL, NULL, &ev), RK_EINVAL);
    rk_lf_point p;
    ev.target = OUT;
    assert_status(rk_lf_accuracy(&p, &f->net, NULL, &ev), RK_EINVAL);
    rk_lf_track_free(&t);
    rk_lf_track_free(NULL);
    assert_status(rk_lf_track_init(&t, 2, 4, 2), RK_OK);
    ev.target = 0;
    for (long n = 1;; n++) { /* allocation failures inside a record leave the track as it was */
        rk_test_fail_alloc_after(n);
        rk_status st = rk_lf_record(&t, 7, &f->net, NULL, &f->base, &ev);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_int_equal(t.n, 0);
    }
    assert_int_equal(t.n, 1);
    rk_lf_track_free(&t);
    rk_mlp_free(&f->base);
    rk_mlp_free(&f->net);
    rk_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_records),
        cmocka_unit_test(test_lora_records),
        cmocka_unit_test(test_dense_zero_lines),
        cmocka_unit_test(test_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
