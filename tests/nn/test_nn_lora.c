/*
 * test_nn_lora.c — LoRA adapters: parameter counts of the tutorial's network,
 * frozen base after training (bit for bit), merge/unmerge, enable/disable,
 * the initialisations' distributions, ΔW export, PiSSA, and errors.
 */
#include "nn_testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_default_net_parameter_counts(void **state)
{
    (void)state;
    rk_mlp net;
    rk_mlp_config cfg = rk_mlp_config_default();
    assert_status(rk_mlp_create(&net, &cfg, 1), RK_OK);
    // 784·1000 + 1000 + 1000·2000 + 2000 + 2000·10 + 10
    assert_int_equal(net.n_params, 2807010);
    assert_int_equal(rk_mlp_layer_params(&net, 0), 785000);
    assert_int_equal(rk_mlp_layer_params(&net, 1), 2002000);
    assert_int_equal(rk_mlp_layer_params(&net, 2), 20010);
    assert_int_equal(rk_mlp_layer_params(&net, 3), 0);
    rk_lora lo;
    rk_lora_config lc = rk_lora_config_default();   // r = 1, all three weights
    rk_rng rng;
    rk_rng_seed(&rng, 1);
    assert_status(rk_lora_create(&lo, &net, &lc, &rng), RK_OK);
    // r·(In + Out) per layer: 1784 + 3000 + 2010
    assert_int_equal(lo.n_params, 6794);
    assert_int_equal(rk_lora_layer_params(&lo, 0), 1784);
    assert_int_equal(rk_lora_layer_params(&lo, 1), 3000);
    assert_int_equal(rk_lora_layer_params(&lo, 2), 2010);
    assert_null(net.grads);   // the base has no gradient memory
    rk_lora_free(&lo);
    lc.rank = 4;
    lc.layers = 0x2u;         // linear2 only
    lc.train_bias = true;
    assert_status(rk_lora_create(&lo, &net, &lc, &rng), RK_OK);
    assert_int_equal(lo.n_params, 4 * 3000 + 2000);
    assert_false(rk_lora_has_layer(&lo, 0));
    assert_true(rk_lora_has_layer(&lo, 1));
    assert_int_equal(rk_lora_layer_params(&lo, 0), 0);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
}

static void test_scale(void **state)
{
    (void)state;
    assert_true(rk_lora_scale(8.0, 4, false) == 2.0);
    assert_true(rk_lora_scale(8.0, 4, true) == 4.0);
    assert_true(rk_lora_scale(1.0, 0, false) == 0.0);
}

/* Train a LoRA adapter on a tiny net for a few Adam steps; returns the adapter. */
static void train_lora(rk_mlp *net, rk_lora *lo, const rk_lora_config *cfg, float *x,
                       unsigned char *y, size_t n)
{
    rk_rng rng;
    rk_rng_seed(&rng, 77);
    assert_status(rk_lora_create(lo, net, cfg, &rng), RK_OK);
    rk_train_opts to = rk_train_opts_default();
    to.optim.lr = 1e-2;
    to.batch = 8;
    to.steps = 40;
    to.seed = 3;
    rk_train_data d = { x, y, n, net->cfg.sizes[0], NULL, 0 };
    assert_status(rk_train_run(net, lo, &d, &to, NULL, NULL), RK_OK);
}

/* max |v_i|, NaN when any entry is NaN (a bound checked on it then fails) */
static float max_abs(const float *v, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++)
        m = rk_test_worst(m, fabsf(v[i]));
    return (float)m;
}

static void test_base_frozen_bit_for_bit_after_training(void **state)
{
    (void)state;
    enum { N = 64 };
    rk_mlp net;
    nn_tiny_net(&net, 16, 5);
    float x[N * 6];
    unsigned char y[N];
    nn_blobs(x, y, N, 6, 3, 6);
    float *before = rk_test_params_copy(&net);
    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = 2;
    cfg.train_bias = true;   // even a trained bias lives in the adapter, not in the base
    train_lora(&net, &lo, &cfg, x, y, N);
    assert_memory_equal(before, net.params, net.n_params * sizeof(float));
    assert_null(net.grads);
    // …while the adapters did move (B started at 0)
    float bmax = max_abs(lo.p.b[0], net.cfg.sizes[1] * 2);
    assert_true(bmax > 1e-3f && isfinite(bmax));
    free(before);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
}

static void test_merge_unmerge_and_disable(void **state)
{
    (void)state;
    enum { N = 64, Q = 16 };
    rk_mlp net;
    nn_tiny_net(&net, Q, 8);
    float x[N * 6];
    unsigned char y[N];
    nn_blobs(x, y, N, 6, 3, 9);
    float base_logits[Q * 3], lora_logits[Q * 3], merged[Q * 3], off[Q * 3];
    assert_status(rk_mlp_forward(&net, NULL, x, Q), RK_OK);
    memcpy(base_logits, net.pre[2], sizeof base_logits);
    float *w0 = rk_test_params_copy(&net);

    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = 3;
    cfg.alpha = 6.0;
    cfg.train_bias = true;
    train_lora(&net, &lo, &cfg, x, y, N);
    assert_status(rk_mlp_forward(&net, &lo, x, Q), RK_OK);
    memcpy(lora_logits, net.pre[2], sizeof lora_logits);
    assert_memory_not_equal(lora_logits, base_logits, sizeof base_logits);

    // disabled: the base network exactly, bit for bit
    assert_status(rk_lora_set_enabled(&lo, false), RK_OK);
    assert_status(rk_mlp_forward(&net, &lo, x, Q), RK_OK);
    memcpy(off, net.pre[2], sizeof off);
    assert_memory_equal(off, base_logits, sizeof base_logits);
    assert_status(rk_lora_merge(&lo, &net), RK_ESTATE);          // nothing to merge while off
    assert_status(rk_lora_set_enabled(&lo, true), RK_OK);

    // merged: W + s·B·A in the weights, no side path; same outputs to 1e-5 relative
    assert_status(rk_lora_merge(&lo, &net), RK_OK);
    assert_status(rk_lora_merge(&lo, &net), RK_ESTATE);
    assert_status(rk_lora_set_enabled(&lo, false), RK_ESTATE);
    assert_status(rk_mlp_forward(&net, &lo, x, Q), RK_OK);
    memcpy(merged, net.pre[2], sizeof merged);
    assert_status(rk_mlp_forward(&net, NULL, x, Q), RK_OK);       // the plain merged net agrees
    assert_memory_equal(net.pre[2], merged, sizeof merged);
    float scale = max_abs(lora_logits, Q * 3);
    for (size_t i = 0; i < Q * 3; i++)
        assert_true(fabsf(merged[i] - lora_logits[i]) <= 1e-5f * scale);
    // ΔW exported in double equals the merged change of W (to float rounding of W)
    for (size_t l = 0; l < 3; l++) {
        rk_mat d;
        assert_status(rk_lora_delta(&d, &lo, l), RK_OK);
        size_t nw = net.cfg.sizes[l + 1] * net.cfg.sizes[l];
        float wmax = max_abs(net.p.w[l], nw);
        size_t off_w = (size_t)(net.p.w[l] - net.params);
        for (size_t i = 0; i < nw; i++)
            assert_true(fabs((double)net.p.w[l][i] - w0[off_w + i] - d.data[i]) <=
                        4 * FLT_EPSILON * wmax);
        rk_mat_free(&d);
    }
    // unmerge: back to W0 within float rounding (not bit for bit: W + ΔW − ΔW rounds twice)
    assert_status(rk_lora_unmerge(&lo, &net), RK_OK);
    assert_status(rk_lora_unmerge(&lo, &net), RK_ESTATE);
    float pmax = max_abs(w0, net.n_params);
    for (size_t i = 0; i < net.n_params; i++)
        assert_true(fabsf(net.params[i] - w0[i]) <= 4 * FLT_EPSILON * pmax);
    // the biases were swapped, so they come back exactly
    for (size_t l = 0; l < 3; l++) {
        size_t off_b = (size_t)(net.p.b[l] - net.params);
        assert_memory_equal(net.p.b[l], w0 + off_b, net.cfg.sizes[l + 1] * sizeof(float));
    }
    free(w0);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
}

static void test_weight_delta_export(void **state)
{
    (void)state;
    rk_mlp a, b;
    nn_tiny_net(&a, 2, 1);
    nn_tiny_net(&b, 2, 1);
    b.p.w[1][3] += 0.25f;
    rk_mat d;
    assert_status(rk_mlp_weight_delta(&d, &b, &a, 1), RK_OK);
    assert_int_equal(d.rows, 4);
    assert_int_equal(d.cols, 5);
    assert_true(d.data[3] == (double)b.p.w[1][3] - (double)a.p.w[1][3]);
    assert_true(rk_mat_norm_fro(&d) == fabs(d.data[3]));
    rk_mat_free(&d);
    assert_status(rk_mlp_weight_delta(&d, &b, &a, 3), RK_ERANGE);
    rk_mlp_free(&a);
    rk_mlp_free(&b);
}

/* Sample mean and variance of n floats, in double. */
static void moments(const float *v, size_t n, double *mean, double *var)
{
    double s = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        s2 += (v[i] - *mean) * (v[i] - *mean);
    *var = s2 / (double)(n - 1);
}

static void test_init_distributions(void **state)
{
    (void)state;
    // one layer 400 → 300, r = 50: A has 20,000 entries
    rk_mlp net;
    rk_mlp_config mc = { 1, { 400, 200 } };
    assert_status(rk_mlp_create(&net, &mc, 1), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, 4);
    rk_mlp_init(&net, &rng);
    const size_t r = 50, n = r * 400;
    const double z = 5.0;   // tolerances are 5 standard errors of each estimate
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = r;
    for (int init = RK_LORA_INIT_KAIMING; init <= RK_LORA_INIT_NORMAL; init++) {
        cfg.init = (rk_lora_init)init;
        rk_lora lo;
        assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_OK);
        for (size_t i = 0; i < 200 * r; i++)
            assert_true(lo.p.b[0][i] == 0.0f);                    // B = 0 exactly
        double mean, var;
        moments(lo.p.a[0], n, &mean, &var);
        if (init == RK_LORA_INIT_KAIMING) {
            // U(−b, b), b = 1/√In = 0.05: var b²/3, Var(x²) = 4b⁴/45
            double b = 1.0 / sqrt(400.0);
            assert_true(max_abs(lo.p.a[0], n) <= (float)b);
            assert_true(max_abs(lo.p.a[0], n) >= (float)(0.999 * b));
            assert_true(fabs(mean) <= z * b / sqrt(3.0 * n));
            assert_true(fabs(var - b * b / 3.0) <= z * sqrt(4.0 / 45.0) * b * b / sqrt((double)n));
        } else {
            // N(0, σ²): σ = 1/r (PEFT gaussian) or 1 (tutorial); Var(s²) ≈ 2σ⁴/n
            double sd = init == RK_LORA_INIT_GAUSSIAN ? 1.0 / (double)r : 1.0;
            assert_true(fabs(mean) <= z * sd / sqrt((double)n));
            assert_true(fabs(var - sd * sd) <= z * sqrt(2.0 / n) * sd * sd);
        }
        rk_lora_free(&lo);
    }
    rk_mlp_free(&net);
}

static void test_lora_errors(void **state)
{
    (void)state;
    rk_mlp net, other;
    nn_tiny_net(&net, 4, 1);
    rk_mlp_config oc = { 2, { 6, 5, 3 } };
    assert_status(rk_mlp_create(&other, &oc, 4), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, 2);
    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = 0;
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_EINVAL);
    cfg = rk_lora_config_default();
    cfg.alpha = 0.0;
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_EINVAL);
    cfg = rk_lora_config_default();
    cfg.layers = 0x8u;   // the net has 3 layers
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_EINVAL);
    cfg = rk_lora_config_default();
    cfg.init = RK_LORA_INIT_PISSA;
    cfg.rank = 4;        // layer 3 is 4 → 3: rank ≤ 3
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_ERANGE);
    cfg = rk_lora_config_default();
    assert_status(rk_lora_create(&lo, &net, &cfg, NULL), RK_EINVAL);
    for (long n = 1; n <= 3; n++) {
        rk_test_fail_alloc_after(n);
        assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_ENOMEM);
        rk_test_fail_alloc_after(0);
        assert_null(lo.params);
    }
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_OK);
    float x[4 * 6] = { 0 };
    unsigned char y[4] = { 0 };
    assert_status(rk_mlp_forward(&other, &lo, x, 4), RK_ESHAPE);    // made for another shape
    assert_status(rk_lora_merge(&lo, &other), RK_ESHAPE);
    rk_optim opt;
    rk_optim_config ac = rk_optim_adam_default();
    assert_status(rk_optim_create(&opt, &ac, net.n_params), RK_OK);
    assert_status(rk_train_step(&net, &lo, &opt, x, y, 4, NULL), RK_ESHAPE);  // optimizer of the base
    rk_optim_free(&opt);
    assert_status(rk_optim_create(&opt, &ac, lo.n_params), RK_OK);
    assert_status(rk_lora_set_enabled(&lo, false), RK_OK);
    assert_status(rk_train_step(&net, &lo, &opt, x, y, 4, NULL), RK_ESTATE);  // nothing to train
    assert_status(rk_mlp_forward(&net, &lo, x, 4), RK_OK);
    assert_status(rk_mlp_loss(&net, y, &(float){ 0 }), RK_OK);
    assert_status(rk_mlp_backward(&net, &lo, y, NULL), RK_ESTATE);
    rk_mat d;
    assert_status(rk_lora_delta(&d, &lo, 5), RK_ERANGE);
    rk_optim_free(&opt);
    rk_lora_free(&lo);
    cfg.layers = 0x1u;
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_OK);
    assert_status(rk_lora_delta(&d, &lo, 1), RK_ENOTFOUND);
    rk_lora_free(&lo);
    rk_lora_free(&lo);
    rk_lora_free(NULL);
    rk_mlp_free(&other);
    rk_mlp_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_net_parameter_counts),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_base_frozen_bit_for_bit_after_training),
        cmocka_unit_test(test_merge_unmerge_and_disable),
        cmocka_unit_test(test_weight_delta_export),
        cmocka_unit_test(test_init_distributions),
        cmocka_unit_test(test_lora_errors),
    };
    return cmocka_run_group_tests_name("nn_lora", tests, NULL, NULL);
}
