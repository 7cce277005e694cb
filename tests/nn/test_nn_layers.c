/*
 * test_nn_layers.c — linear, ReLU and softmax cross-entropy against plain
 * loops and hand-computed values; Adam and SGD against their update rules
 * worked out by hand; argument and allocation-failure errors.
 */
#include "nn_testutil.h"

#include <float.h>
#include <math.h>
#include <string.h>

/* y = x·Wᵀ + b by plain loops in double. */
static void naive_linear(double *y, const float *x, const float *w, const float *b, size_t B,
                         size_t In, size_t Out)
{
    for (size_t i = 0; i < B; i++)
        for (size_t o = 0; o < Out; o++) {
            double s = b ? b[o] : 0.0;
            for (size_t j = 0; j < In; j++)
                s += (double)x[i * In + j] * (double)w[o * In + j];
            y[i * Out + o] = s;
        }
}

static void fill(float *v, size_t n, rk_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        v[i] = (float)rk_rng_normal(rng);
}

static void test_linear_forward_matches_loops(void **state)
{
    (void)state;
    enum { B = 5, In = 7, Out = 3 };
    float x[B * In], w[Out * In], b[Out], y[B * Out], y0[B * Out];
    double ref[B * Out], ref0[B * Out];
    rk_rng rng;
    rk_rng_seed(&rng, 1);
    fill(x, B * In, &rng);
    fill(w, Out * In, &rng);
    fill(b, Out, &rng);
    rk_linear_forward(y, x, w, b, B, In, Out);
    rk_linear_forward(y0, x, w, NULL, B, In, Out);
    naive_linear(ref, x, w, b, B, In, Out);
    naive_linear(ref0, x, w, NULL, B, In, Out);
    // each output is a sum of In+1 float products: error ≤ (In+1)·ε_f·Σ|terms|
    for (size_t i = 0; i < B * Out; i++) {
        assert_true(fabs(y[i] - ref[i]) <= 2.0 * (In + 1) * FLT_EPSILON * (1.0 + fabs(ref[i])) * 4);
        assert_true(fabs(y0[i] - ref0[i]) <= 2.0 * (In + 1) * FLT_EPSILON * (1.0 + fabs(ref0[i])) * 4);
    }
}

static void test_linear_backward_matches_loops_and_accumulates(void **state)
{
    (void)state;
    enum { B = 4, In = 6, Out = 5 };
    float x[B * In], w[Out * In], dy[B * Out];
    float dx[B * In] = { 0 }, dw[Out * In] = { 0 }, db[Out] = { 0 };
    rk_rng rng;
    rk_rng_seed(&rng, 2);
    fill(x, B * In, &rng);
    fill(w, Out * In, &rng);
    fill(dy, B * Out, &rng);
    for (int rep = 1; rep <= 2; rep++) {   // the second call must double every gradient
        rk_linear_backward(dx, dw, db, dy, x, w, B, In, Out);
        for (size_t i = 0; i < B; i++)
            for (size_t j = 0; j < In; j++) {
                double s = 0.0;   // dx = dy·W
                for (size_t o = 0; o < Out; o++)
                    s += (double)dy[i * Out + o] * w[o * In + j];
                assert_true(fabs(dx[i * In + j] - rep * s) <= 1e-5 * (1.0 + fabs(s)));
            }
        for (size_t o = 0; o < Out; o++) {
            double sb = 0.0;      // db = Σ_i dy
            for (size_t i = 0; i < B; i++)
                sb += dy[i * Out + o];
            assert_true(fabs(db[o] - rep * sb) <= 1e-5 * (1.0 + fabs(sb)));
            for (size_t j = 0; j < In; j++) {
                double s = 0.0;   // dW = dyᵀ·x
                for (size_t i = 0; i < B; i++)
                    s += (double)dy[i * Out + o] * x[i * In + j];
                assert_true(fabs(dw[o * In + j] - rep * s) <= 1e-5 * (1.0 + fabs(s)));
            }
        }
    }
    // NULL outputs are skipped (nothing to crash on), the others still computed
    float dw2[Out * In] = { 0 };
    rk_linear_backward(NULL, dw2, NULL, dy, x, w, B, In, Out);
    for (size_t i = 0; i < Out * In; i++)
        assert_true(fabs(2.0f * dw2[i] - dw[i]) <= 1e-5f * (1.0f + fabsf(dw[i])));
}

static void test_relu_pair(void **state)
{
    (void)state;
    float x[5] = { -2.0f, -0.0f, 0.0f, 1e-30f, 3.0f }, y[5];
    float dy[5] = { 1, 2, 3, 4, 5 }, dx[5] = { 10, 10, 10, 10, 10 };
    rk_relu_forward(y, x, 5);
    assert_true(y[0] == 0.0f && y[1] == 0.0f && y[2] == 0.0f && y[3] == 1e-30f && y[4] == 3.0f);
    rk_relu_backward(dx, dy, y, 5);   // dx += dy·[x > 0]; the kink gets 0
    assert_true(dx[0] == 10 && dx[1] == 10 && dx[2] == 10 && dx[3] == 14 && dx[4] == 15);
}

static void test_softmax_xent_hand_computed(void **state)
{
    (void)state;
    // row 0: logits (1, 2, 3), label 2: loss = log(e + e² + e³) − 3 = log(1 + e⁻¹ + e⁻²)
    // row 1: logits (1, 1, 1), label 0: loss = log 3, probs 1/3 each
    float logits[6] = { 1, 2, 3, 1, 1, 1 }, probs[6], d[6] = { 0 };
    unsigned char y[2] = { 2, 0 };
    float loss;
    assert_status(rk_softmax_xent_forward(probs, &loss, logits, y, 2, 3), RK_OK);
    double l0 = log(1.0 + exp(-1.0) + exp(-2.0)), l1 = log(3.0);
    assert_rel_near(loss, (l0 + l1) / 2.0, 2 * FLT_EPSILON);
    double z = exp(1.0) + exp(2.0) + exp(3.0);
    assert_rel_near(probs[0], exp(1.0) / z, 4 * FLT_EPSILON);
    assert_rel_near(probs[2], exp(3.0) / z, 4 * FLT_EPSILON);
    assert_rel_near(probs[4], 1.0 / 3.0, 4 * FLT_EPSILON);
    rk_softmax_xent_backward(d, probs, y, 2, 3);   // (p − onehot)/B
    assert_rel_near(d[2], (exp(3.0) / z - 1.0) / 2.0, 8 * FLT_EPSILON);
    assert_rel_near(d[3], (1.0 / 3.0 - 1.0) / 2.0, 8 * FLT_EPSILON);
    assert_rel_near(d[5], (1.0 / 3.0) / 2.0, 8 * FLT_EPSILON);
}

static void test_softmax_xent_is_stable_for_huge_logits(void **state)
{
    (void)state;
    // naive exp(1000) overflows; log-sum-exp gives loss 0 for the right class, 2000 for the wrong
    float logits[6] = { 1000.0f, -1000.0f, 0.0f, -1000.0f, 1000.0f, 1000.0f }, probs[6];
    unsigned char y[2] = { 0, 0 };
    float loss;
    assert_status(rk_softmax_xent_forward(probs, &loss, logits, y, 2, 3), RK_OK);
    assert_true(isfinite(loss));
    // row 0: ≈ 0; row 1: log(2·e^1000) − (−1000) = 2000 + log 2
    assert_rel_near(loss, (2000.0 + log(2.0)) / 2.0, 2 * FLT_EPSILON);
    assert_true(probs[0] == 1.0f && probs[1] == 0.0f && probs[2] == 0.0f);
    assert_rel_near(probs[4], 0.5, FLT_EPSILON);
}

static void test_softmax_xent_errors(void **state)
{
    (void)state;
    float logits[3] = { 0 }, probs[3], loss = 7.0f;
    unsigned char bad[1] = { 3 };
    assert_status(rk_softmax_xent_forward(probs, &loss, logits, bad, 1, 3), RK_ELABEL);
    assert_true(loss == 7.0f);
    assert_status(rk_softmax_xent_forward(probs, &loss, logits, bad, 0, 3), RK_EINVAL);
}

/* Adam, one parameter, gradients 0.5 then −0.25, worked out from the update rule in double. */
static void test_adam_first_steps_by_hand(void **state)
{
    (void)state;
    rk_optim opt;
    rk_optim_config cfg = rk_optim_adam_default();
    assert_true(cfg.lr == 1e-3 && cfg.beta1 == 0.9 && cfg.beta2 == 0.999 && cfg.eps == 1e-8);
    assert_status(rk_optim_create(&opt, &cfg, 2), RK_OK);
    float p[2] = { 1.0f, -2.0f }, g[2] = { 0.5f, -3.0f };
    assert_status(rk_optim_step(&opt, p, g), RK_OK);
    // step 1: m̂ = g, v̂ = g², so every parameter moves by lr·g/(|g| + ε) ≈ ±lr
    assert_rel_near(p[0], 1.0 - 1e-3 * 0.5 / (0.5 + 1e-8), 2 * FLT_EPSILON);
    assert_rel_near(p[1], -2.0 + 1e-3 * 3.0 / (3.0 + 1e-8), 2 * FLT_EPSILON);
    // step 2 (g = −0.25 on p[0]):
    //   m = 0.9·0.05 + 0.1·(−0.25) = 0.02          v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225
    //   m̂ = 0.02/(1 − 0.9²) = 0.02/0.19           v̂ = 0.00031225/(1 − 0.999²) = 0.00031225/0.001999
    //   p = 0.999 − 1e-3·m̂/(√v̂ + 1e-8) = 0.999 − 2.66336…e-4
    g[0] = -0.25f;
    g[1] = 0.0f;
    double p1 = (double)p[0];
    assert_status(rk_optim_step(&opt, p, g), RK_OK);
    double mhat = 0.02 / 0.19, vhat = 0.00031225 / 0.001999;
    double want = p1 - 1e-3 * mhat / (sqrt(vhat) + 1e-8);
    assert_true(fabs(p[0] - want) <= 4 * FLT_EPSILON);
    assert_true(fabs(want - 0.99873366) < 1e-7);   // the figure worked out on paper
    assert_int_equal(opt.step, 2);
    rk_optim_free(&opt);
    rk_optim_free(&opt);   // a freed optimizer is empty; freeing again is harmless
    rk_optim_free(NULL);
}

static void test_sgd_momentum_by_hand(void **state)
{
    (void)state;
    rk_optim opt;
    rk_optim_config cfg = rk_optim_sgd_default(0.1, 0.9);
    assert_status(rk_optim_create(&opt, &cfg, 1), RK_OK);
    float p = 1.0f, g = 1.0f;
    rk_optim_step(&opt, &p, &g);   // buf = 1          p = 1 − 0.1 = 0.9
    assert_true(fabsf(p - 0.9f) <= 2 * FLT_EPSILON);
    rk_optim_step(&opt, &p, &g);   // buf = 0.9 + 1    p = 0.9 − 0.19 = 0.71
    assert_true(fabsf(p - 0.71f) <= 2 * FLT_EPSILON);
    g = -1.0f;
    rk_optim_step(&opt, &p, &g);   // buf = 1.71 − 1   p = 0.71 − 0.071 = 0.639
    assert_true(fabsf(p - 0.639f) <= 4 * FLT_EPSILON);
    rk_optim_free(&opt);
    cfg = rk_optim_sgd_default(0.5, 0.0);   // plain SGD
    assert_status(rk_optim_create(&opt, &cfg, 1), RK_OK);
    p = 1.0f;
    g = 0.25f;
    rk_optim_step(&opt, &p, &g);
    rk_optim_step(&opt, &p, &g);
    assert_true(p == 0.75f);
    rk_optim_free(&opt);
}

static void test_optim_errors(void **state)
{
    (void)state;
    rk_optim opt;
    rk_optim_config cfg = rk_optim_adam_default();
    assert_status(rk_optim_create(&opt, &cfg, 0), RK_EINVAL);
    assert_null(opt.m);
    cfg.beta2 = 1.0;
    assert_status(rk_optim_create(&opt, &cfg, 3), RK_EINVAL);
    cfg = rk_optim_adam_default();
    cfg.lr = -1.0;
    assert_status(rk_optim_create(&opt, &cfg, 3), RK_EINVAL);
    cfg = rk_optim_sgd_default(0.1, 1.5);
    assert_status(rk_optim_create(&opt, &cfg, 3), RK_EINVAL);
    cfg = rk_optim_adam_default();
    assert_status(rk_optim_create(NULL, &cfg, 3), RK_EINVAL);
    assert_status(rk_optim_create(&opt, &cfg, SIZE_MAX / 2), RK_EOVERFLOW);
    for (long n = 1; n <= 2; n++) {   // each of Adam's two buffers may fail
        rk_test_fail_alloc_after(n);
        assert_status(rk_optim_create(&opt, &cfg, 3), RK_ENOMEM);
        rk_test_fail_alloc_after(0);
        assert_null(opt.m);
    }
    assert_status(rk_optim_step(&opt, NULL, NULL), RK_EINVAL);
}

static void test_mlp_create_errors_and_alloc_failures(void **state)
{
    (void)state;
    rk_mlp net;
    rk_mlp_config cfg = { 2, { 4, 3, 2 } };
    assert_status(rk_mlp_create(&net, &cfg, 0), RK_EINVAL);
    rk_mlp_config bad = { 0, { 4 } };
    assert_status(rk_mlp_create(&net, &bad, 1), RK_EINVAL);
    bad = (rk_mlp_config){ 2, { 4, 0, 2 } };
    assert_status(rk_mlp_create(&net, &bad, 1), RK_EINVAL);
    bad = (rk_mlp_config){ 1, { 4, 300 } };      // labels are bytes: at most 256 classes
    assert_status(rk_mlp_create(&net, &bad, 1), RK_EINVAL);
    bad = (rk_mlp_config){ 1, { (size_t)1 << 40, 2 } };
    assert_status(rk_mlp_create(&net, &bad, 1), RK_EOVERFLOW);
    for (long n = 1; n <= 2; n++) {
        rk_test_fail_alloc_after(n);
        assert_status(rk_mlp_create(&net, &cfg, 4), RK_ENOMEM);
        rk_test_fail_alloc_after(0);
        assert_null(net.params);
    }
    assert_status(rk_mlp_create(&net, &cfg, 4), RK_OK);
    float x[4 * 4] = { 0 };
    unsigned char y[4] = { 0 };
    assert_status(rk_mlp_forward(&net, NULL, x, 5), RK_EINVAL);      // above max_batch
    assert_status(rk_mlp_backward(&net, NULL, y, NULL), RK_ESTATE);  // no forward yet
    assert_status(rk_mlp_forward(&net, NULL, x, 4), RK_OK);
    assert_status(rk_mlp_backward(&net, NULL, y, NULL), RK_ESTATE);  // no gradient buffer
    rk_test_fail_alloc_after(1);
    assert_status(rk_mlp_grads_alloc(&net), RK_ENOMEM);
    rk_test_fail_alloc_after(0);
    rk_mlp_free(&net);
    rk_mlp_free(&net);
    rk_mlp_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_forward_matches_loops),
        cmocka_unit_test(test_linear_backward_matches_loops_and_accumulates),
        cmocka_unit_test(test_relu_pair),
        cmocka_unit_test(test_softmax_xent_hand_computed),
        cmocka_unit_test(test_softmax_xent_is_stable_for_huge_logits),
        cmocka_unit_test(test_softmax_xent_errors),
        cmocka_unit_test(test_adam_first_steps_by_hand),
        cmocka_unit_test(test_sgd_momentum_by_hand),
        cmocka_unit_test(test_optim_errors),
        cmocka_unit_test(test_mlp_create_errors_and_alloc_failures),
    };
    return cmocka_run_group_tests_name("nn_layers", tests, NULL, NULL);
}
