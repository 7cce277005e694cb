/*
 * test_nn_diverge.c — a run that diverges is an error: rk_train_run returns
 * RK_EDIVERGED and its rk_err names the step at which the loss became NaN or
 * Inf (full training with lr 1e30, LoRA with alpha 1e308); the same runs
 * with a sane learning rate succeed with every parameter finite.
 */
#include "nn_testutil.h"

#include <math.h>
#include <string.h>

#define N 64

/* Train the tiny net (full, or LoRA rank 2 with @p alpha) with @p lr; the status and message. */
static rk_status train(double lr, double alpha, bool lora, rk_err *err, rk_train_result *res)
{
    float x[N * 6];
    unsigned char y[N];
    nn_blobs(x, y, N, 6, 3, 7);
    rk_mlp net;
    nn_tiny_net(&net, 16, 2);
    rk_lora lo;
    if (lora) {
        rk_lora_config lc = rk_lora_config_default();
        lc.rank = 2;
        lc.alpha = alpha;
        rk_rng rng;
        rk_rng_seed(&rng, 3);
        assert_status(rk_lora_create(&lo, &net, &lc, &rng), RK_OK);
    }
    rk_train_opts to = rk_train_opts_default();
    to.optim.lr = lr;
    to.batch = 8;
    to.steps = 50;
    to.seed = 5;
    rk_err_clear(err);
    rk_train_data data = { x, y, N, 6, NULL, 0 };
    rk_status st = rk_train_run(&net, lora ? &lo : NULL, &data, &to, res, err);
    if (st == RK_OK) { /* a successful run leaves only finite weights */
        const float *p = lora ? lo.params : net.params;
        size_t n = lora ? lo.n_params : net.n_params;
        for (size_t i = 0; i < n; i++)
            assert_true(isfinite(p[i]));
    }
    if (lora)
        rk_lora_free(&lo);
    rk_mlp_free(&net);
    return st;
}

static void test_diverges(void **state)
{
    (void)state;
    rk_err err;
    rk_train_result res;
    assert_status(train(1e30, 1.0, false, &err, &res), RK_EDIVERGED);
    print_message("# full, lr 1e30: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "at step"));
    assert_true(res.steps < 50);   /* stopped where it diverged */
    assert_status(train(1e-3, 1e308, true, &err, &res), RK_EDIVERGED);
    print_message("# LoRA, alpha 1e308: %s\n", err.msg);
    assert_non_null(strstr(err.msg, "training diverged"));
    assert_status(train(1e30, 2.0, true, &err, &res), RK_EDIVERGED);
    assert_non_null(strstr(err.msg, "step"));
}

static void test_sane_runs(void **state)
{
    (void)state;
    rk_err err;
    rk_train_result res;
    assert_status(train(1e-2, 1.0, false, &err, &res), RK_OK);
    assert_int_equal(res.steps, 50);
    assert_status(train(1e-2, 2.0, true, &err, &res), RK_OK);
    assert_int_equal(res.steps, 50);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_diverges),
        cmocka_unit_test(test_sane_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
