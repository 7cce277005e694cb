/*
 * test_nn_gradcheck.c — finite-difference checks of every gradient lib/nn computes.
 *
 * The analytic gradients come from the float32 forward/backward of lib/nn.
 * The numerical ones are centred differences (f(p+h) − f(p−h)) / 2h of an
 * independent double-precision reimplementation of the same loss
 * (nn_testutil.c: plain loops, no BLAS), with h = 1e-5. In double the
 * truncation error is O(h²) ≈ 1e-10 and the rounding error ≈ 1e-16/h, so the
 * difference measures the float analytic gradient itself: float rounding
 * (≈ 1e-7 relative) plus any bug. Each entry must satisfy
 *   |a − n| / max(|a| + |n|, tiny) ≤ 1e-4,   tiny = 1e-6
 * (tiny keeps entries whose gradient is ~0 from dividing rounding noise by
 * noise). ReLU kinks: the test asserts that every hidden pre-activation is
 * further than 1e-3 from 0, so no difference step crosses a kink.
 */
#include "nn_testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

#define BATCH 4
#define H 1e-5
#define TINY 1e-6
#define BOUND 1e-4

/* Max relative error over the n entries of the double parameter p against analytic g. */
static double check_tensor(const char *name, nn_ref *ref, double *p, const float *g, size_t n)
{
    double worst = 0.0;
    size_t worst_i = 0;
    double worst_a = 0.0, worst_n = 0.0;
    for (size_t i = 0; i < n; i++) {
        double save = p[i];
        p[i] = save + H;
        double fp = nn_ref_loss(ref);
        assert_true(ref->min_abs_pre > 1e-3);
        p[i] = save - H;
        double fm = nn_ref_loss(ref);
        assert_true(ref->min_abs_pre > 1e-3);
        p[i] = save;
        double num = (fp - fm) / (2.0 * H), a = (double)g[i];
        double rel = fabs(a - num) / fmax(fabs(a) + fabs(num), TINY);
        if (!(rel <= worst) && !isnan(worst)) {   // a NaN is kept: it fails the bound
            worst = rel;
            worst_i = i;
            worst_a = a;
            worst_n = num;
        }
    }
    print_message("# %-10s %3zu entries: max rel err %.3e (entry %zu: analytic %.9g, numerical %.9g)\n",
                  name, n, worst, worst_i, worst_a, worst_n);
    assert_true(worst <= BOUND);
    return worst;
}

static void test_gradcheck_full(void **state)
{
    (void)state;
    rk_mlp net;
    nn_tiny_net(&net, BATCH, 11);
    float x[BATCH * 6], dx[BATCH * 6] = { 0 };
    unsigned char y[BATCH];
    nn_random_data(x, y, BATCH, 6, 3, 12);
    assert_status(rk_mlp_grads_alloc(&net), RK_OK);
    rk_mlp_zero_grad(&net);
    float loss;
    assert_status(rk_mlp_forward(&net, NULL, x, BATCH), RK_OK);
    assert_status(rk_mlp_loss(&net, y, &loss), RK_OK);
    assert_status(rk_mlp_backward(&net, NULL, y, dx), RK_OK);

    nn_ref ref;
    nn_ref_from(&ref, &net, NULL, x, y, BATCH);
    double ref_loss = nn_ref_loss(&ref);
    assert_rel_near((double)loss, ref_loss, 1e-6);
    char name[32];
    for (size_t l = 0; l < 3; l++) {
        size_t in = net.cfg.sizes[l], out = net.cfg.sizes[l + 1];
        snprintf(name, sizeof name, "W%zu", l + 1);
        check_tensor(name, &ref, ref.w[l], net.g.w[l], out * in);
        snprintf(name, sizeof name, "b%zu", l + 1);
        check_tensor(name, &ref, ref.b[l], net.g.b[l], out);
    }
    check_tensor("x", &ref, ref.x, dx, BATCH * 6);
    nn_ref_free(&ref);
    rk_mlp_free(&net);
}

/* rk_mlp_backward_set overwrites what zero_grad + rk_mlp_backward accumulates: same bits. */
static void test_backward_set_matches_accumulate(void **state)
{
    (void)state;
    rk_mlp net;
    nn_tiny_net(&net, BATCH, 13);
    float x[BATCH * 6];
    unsigned char y[BATCH];
    nn_random_data(x, y, BATCH, 6, 3, 14);
    assert_status(rk_mlp_grads_alloc(&net), RK_OK);
    float loss;
    assert_status(rk_mlp_forward(&net, NULL, x, BATCH), RK_OK);
    assert_status(rk_mlp_loss(&net, y, &loss), RK_OK);
    rk_mlp_zero_grad(&net);
    assert_status(rk_mlp_backward(&net, NULL, y, NULL), RK_OK);
    float *want = malloc(net.n_params * sizeof(float));
    assert_non_null(want);
    memcpy(want, net.grads, net.n_params * sizeof(float));
    for (size_t i = 0; i < net.n_params; i++)   // stale values, NaN included: all overwritten
        net.grads[i] = i % 2 ? NAN : 1e30f;
    assert_status(rk_mlp_backward_set(&net, y, NULL), RK_OK);
    for (size_t i = 0; i < net.n_params; i++)
        assert_true(memcmp(&net.grads[i], &want[i], sizeof(float)) == 0);
    rk_mlp_free(&net);
    net = (rk_mlp){ 0 };
    assert_status(rk_mlp_backward_set(&net, y, NULL), RK_EINVAL);
    free(want);
}

static void lora_gradcheck(size_t rank, bool rslora, unsigned layers)
{
    rk_mlp net;
    nn_tiny_net(&net, BATCH, 21);
    rk_lora lo;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = rank;
    cfg.alpha = 1.5;
    cfg.rslora = rslora;
    cfg.layers = layers;
    cfg.train_bias = true;
    cfg.init = RK_LORA_INIT_GAUSSIAN;
    rk_rng rng;
    rk_rng_seed(&rng, 22);
    assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_OK);
    // B = 0 at init would make dA vanish: give B and the biases random values
    for (size_t l = 0; l < 3; l++) {
        if (!lo.p.b[l])
            continue;
        for (size_t i = 0; i < net.cfg.sizes[l + 1] * rank; i++)
            lo.p.b[l][i] = (float)(0.5 * rk_rng_normal(&rng));
        for (size_t i = 0; i < net.cfg.sizes[l + 1]; i++)
            lo.p.bias[l][i] += (float)(0.1 * rk_rng_normal(&rng));
    }
    assert_null(net.grads);
    float x[BATCH * 6], dx[BATCH * 6] = { 0 };
    unsigned char y[BATCH];
    nn_random_data(x, y, BATCH, 6, 3, 23);
    rk_lora_zero_grad(&lo);
    float loss;
    assert_status(rk_mlp_forward(&net, &lo, x, BATCH), RK_OK);
    assert_status(rk_mlp_loss(&net, y, &loss), RK_OK);
    assert_status(rk_mlp_backward(&net, &lo, y, dx), RK_OK);
    assert_null(net.grads);   // the frozen base never got a gradient buffer

    nn_ref ref;
    nn_ref_from(&ref, &net, &lo, x, y, BATCH);
    assert_rel_near((double)loss, nn_ref_loss(&ref), 1e-6);
    char name[32];
    for (size_t l = 0; l < 3; l++) {
        if (!rk_lora_has_layer(&lo, l))
            continue;
        size_t in = net.cfg.sizes[l], out = net.cfg.sizes[l + 1];
        snprintf(name, sizeof name, "A%zu", l + 1);
        check_tensor(name, &ref, ref.a[l], lo.g.a[l], rank * in);
        snprintf(name, sizeof name, "B%zu", l + 1);
        check_tensor(name, &ref, ref.bb[l], lo.g.b[l], out * rank);
        snprintf(name, sizeof name, "bias%zu", l + 1);
        check_tensor(name, &ref, ref.lbias[l], lo.g.bias[l], out);
    }
    check_tensor("x (lora)", &ref, ref.x, dx, BATCH * 6);
    nn_ref_free(&ref);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
}

static void test_gradcheck_lora_all_layers(void **state)
{
    (void)state;
    lora_gradcheck(2, false, 0);
}

static void test_gradcheck_lora_rslora_some_layers(void **state)
{
    (void)state;
    lora_gradcheck(3, true, 0x5u);   // layers 1 and 3 only
}

/* The loss gradient alone: dlogits = (softmax − onehot)/B against differences of the loss. */
static void test_gradcheck_softmax_xent(void **state)
{
    (void)state;
    enum { B = 3, C = 5 };
    float logits[B * C], probs[B * C], d[B * C] = { 0 };
    unsigned char y[B] = { 4, 0, 2 };
    rk_rng rng;
    rk_rng_seed(&rng, 5);
    for (int i = 0; i < B * C; i++)
        logits[i] = (float)(3.0 * rk_rng_normal(&rng));
    float loss;
    assert_status(rk_softmax_xent_forward(probs, &loss, logits, y, B, C), RK_OK);
    rk_softmax_xent_backward(d, probs, y, B, C);
    double worst = 0.0;
    for (int k = 0; k < B * C; k++) {
        double f[2];
        for (int s = 0; s < 2; s++) {   // the loss in double at logits ± h
            double tot = 0.0;
            for (int i = 0; i < B; i++) {
                double z[C], m = -INFINITY, sum = 0.0;
                for (int c = 0; c < C; c++) {
                    z[c] = logits[i * C + c] + (i * C + c == k ? (s ? -H : H) : 0.0);
                    m = fmax(m, z[c]);
                }
                for (int c = 0; c < C; c++)
                    sum += exp(z[c] - m);
                tot += m + log(sum) - z[y[i]];
            }
            f[s] = tot / B;
        }
        double num = (f[0] - f[1]) / (2.0 * H);
        worst = rk_test_worst(worst, fabs(d[k] - num) / fmax(fabs(d[k]) + fabs(num), TINY));
    }
    print_message("# dlogits    %3d entries: max rel err %.3e\n", B * C, worst);
    assert_true(worst <= BOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_softmax_xent),
        cmocka_unit_test(test_gradcheck_full),
        cmocka_unit_test(test_backward_set_matches_accumulate),
        cmocka_unit_test(test_gradcheck_lora_all_layers),
        cmocka_unit_test(test_gradcheck_lora_rslora_some_layers),
    };
    return cmocka_run_group_tests_name("nn_gradcheck", tests, NULL, NULL);
}
