/*
 * test_nn_pissa.c — PiSSA initialisation: W_base + s·B·A reproduces the
 * original W to float rounding, the adapter holds the principal part
 * (‖W − W_base‖ ≈ ‖U_R S_R V_Rᵀ‖ = √Σ_{i<R} σ_i²), A and B are balanced
 * (‖A‖_F² = ‖B‖_F² = Σ_{i<R} σ_i / s), and the network's outputs are unchanged at init.
 */
#include "nn_testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double fro_f(const float *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    return sqrt(s);
}

static void pissa_case(size_t rank, double alpha, bool rslora)
{
    rk_mlp_config mc = { 3, { 12, 9, 7, 5 } };
    rk_mlp net;
    assert_status(rk_mlp_create(&net, &mc, 8), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, 31);
    rk_mlp_init(&net, &rng);
    float *w0 = rk_test_params_copy(&net);
    float x[8 * 12];
    unsigned char y[8];
    nn_random_data(x, y, 8, 12, 5, 32);
    float logits0[8 * 5];
    assert_status(rk_mlp_forward(&net, NULL, x, 8), RK_OK);
    memcpy(logits0, net.pre[2], sizeof logits0);

    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = rank;
    cfg.alpha = alpha;
    cfg.rslora = rslora;
    cfg.init = RK_LORA_INIT_PISSA;
    assert_status(rk_lora_create(&lo, &net, &cfg, NULL), RK_OK);
    double s = rk_lora_scale(alpha, rank, rslora);
    for (size_t l = 0; l < 3; l++) {
        size_t in = mc.sizes[l], out = mc.sizes[l + 1], nw = out * in;
        size_t off = (size_t)(net.p.w[l] - net.params);
        rk_mat d;
        assert_status(rk_lora_delta(&d, &lo, l), RK_OK);   // s·B·A in double
        // W_base + s·B·A = W: one float rounding of each W_base entry (|W_base| ≤ ‖W‖_max·2)
        double wmax = 0.0, worst = 0.0;
        for (size_t i = 0; i < nw; i++)
            wmax = fmax(wmax, fabs(w0[off + i]));
        for (size_t i = 0; i < nw; i++)
            worst = rk_test_worst(worst, fabs((double)net.p.w[l][i] + d.data[i] - (double)w0[off + i]));
        print_message("# layer %zu r=%zu: max |W_base + s·B·A − W| = %.3g = %.2f ε_f·max|W|\n",
                      l + 1, rank, worst, worst / (FLT_EPSILON * wmax));
        assert_true(worst <= 2.0 * FLT_EPSILON * wmax);
        // the adapter carries the top-R energy: ‖s·B·A‖_F² = Σ_{i<R} σ_i² of W
        rk_mat w;
        assert_status(rk_mat_create(&w, out, in), RK_OK);
        for (size_t i = 0; i < nw; i++)
            w.data[i] = w0[off + i];
        rk_svd svd;
        assert_status(rk_svd_decomp(&svd, &w, RK_SVD_VALUES), RK_OK);
        double top = 0.0, sum_s = 0.0;
        for (size_t k = 0; k < rank; k++) {
            top += svd.s[k] * svd.s[k];
            sum_s += svd.s[k];
        }
        assert_rel_near(rk_mat_norm_fro(&d), sqrt(top), 1e-5);
        // balanced factors, each carrying √(S_R/s): ‖A‖_F² = ‖B‖_F² = Σ_{i<R} σ_i / s
        assert_rel_near(fro_f(lo.p.a[l], rank * in), sqrt(sum_s / s), 1e-5);
        assert_rel_near(fro_f(lo.p.b[l], out * rank), sqrt(sum_s / s), 1e-5);
        rk_svd_free(&svd);
        rk_mat_free(&w);
        rk_mat_free(&d);
    }
    // at init the adapted network computes what the original did (to float rounding)
    assert_status(rk_mlp_forward(&net, &lo, x, 8), RK_OK);
    double lmax = 0.0;
    for (size_t i = 0; i < 8 * 5; i++)
        lmax = fmax(lmax, fabs(logits0[i]));
    for (size_t i = 0; i < 8 * 5; i++)
        assert_true(fabs(net.pre[2][i] - logits0[i]) <= 1e-5 * lmax);
    free(w0);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
}

static void test_pissa_rank1(void **state)
{
    (void)state;
    pissa_case(1, 1.0, false);
}

static void test_pissa_rank4_alpha8(void **state)
{
    (void)state;
    pissa_case(4, 8.0, false);
}

static void test_pissa_full_rank_rslora(void **state)
{
    (void)state;
    pissa_case(5, 2.0, true);   // layer 3 is 7 → 5: R = min(In, Out), W_base ≈ 0 there
}

static void test_pissa_leaves_net_unchanged_on_error(void **state)
{
    (void)state;
    rk_mlp net;
    nn_tiny_net(&net, 2, 3);
    float *w0 = rk_test_params_copy(&net);
    net.p.w[2][0] = NAN;   // the last layer's SVD refuses NaN after the first two succeeded
    w0[net.p.w[2] - net.params] = NAN;
    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.init = RK_LORA_INIT_PISSA;
    rk_status st = rk_lora_create(&lo, &net, &cfg, NULL);
    assert_true(st != RK_OK);
    assert_null(lo.params);
    assert_memory_equal(net.params, w0, net.n_params * sizeof(float));
    free(w0);
    rk_mlp_free(&net);
}

/* Every allocation PiSSA makes may fail: then ENOMEM, no adapter, the network untouched. */
static void test_pissa_allocation_failures(void **state)
{
    (void)state;
    rk_mlp net;
    nn_tiny_net(&net, 2, 4);
    float *w0 = rk_test_params_copy(&net);
    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.init = RK_LORA_INIT_PISSA;
    cfg.rank = 2;
    long n = 1;
    for (;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_lora_create(&lo, &net, &cfg, NULL);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_null(lo.params);
        assert_memory_equal(net.params, w0, net.n_params * sizeof(float));
    }
    assert_true(n > 4);   // the adapter's three buffers, then PiSSA's own
    assert_memory_not_equal(net.params, w0, net.n_params * sizeof(float));
    free(w0);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pissa_rank1),
        cmocka_unit_test(test_pissa_rank4_alpha8),
        cmocka_unit_test(test_pissa_full_rank_rslora),
        cmocka_unit_test(test_pissa_leaves_net_unchanged_on_error),
        cmocka_unit_test(test_pissa_allocation_failures),
    };
    return cmocka_run_group_tests_name("nn_pissa", tests, NULL, NULL);
}
