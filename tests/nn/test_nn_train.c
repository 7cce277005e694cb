/*
 * test_nn_train.c — the training step and loop: repeatable with a seed, a
 * small synthetic problem learned by full training and by LoRA, the step and
 * epoch arithmetic, the progress callback (observing the model without
 * changing the run, stopping it with a status), the training state it
 * reports, and errors.
 *
 * The same seed must give bit-identical losses within one process, i.e. on
 * the same BLAS kernel and thread count (whatever those are: .ci/run runs
 * the suite under several).
 */
#include "nn_testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { N = 300, DIM = 6, CLASSES = 3 };

static float X[N * DIM];
static unsigned char Y[N];
static const rk_train_data DATA = { X, Y, N, DIM, NULL, 0 };

static int setup(void **state)
{
    (void)state;
    nn_blobs(X, Y, N, DIM, CLASSES, 2024);
    return 0;
}

static double mean_of(const float *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    return s / (double)n;
}

/* Full training (lora_rank 0) or LoRA on a fresh tiny net; losses of every step. */
static void run(float *losses, size_t steps, uint64_t seed, size_t lora_rank, double *acc)
{
    rk_mlp net;
    nn_tiny_net(&net, 32, 1);
    rk_lora lo;
    rk_lora *lp = NULL;
    if (lora_rank) {
        rk_lora_config lc = rk_lora_config_default();
        lc.rank = lora_rank;
        lc.alpha = (double)lora_rank;
        rk_rng rng;
        rk_rng_seed(&rng, seed + 1);
        assert_status(rk_lora_create(&lo, &net, &lc, &rng), RK_OK);
        lp = &lo;
    }
    rk_train_opts to = rk_train_opts_default();
    to.optim.lr = 1e-2;
    to.batch = 16;
    to.steps = steps;
    to.seed = seed;
    to.losses = losses;
    rk_train_result res;
    assert_status(rk_train_run(&net, lp, &DATA, &to, &res, NULL), RK_OK);
    assert_int_equal(res.steps, steps);
    assert_true(res.loss_first == losses[0] && res.loss_last == losses[steps - 1]);
    if (acc) {
        size_t correct;
        assert_status(rk_mlp_evaluate(&net, lp, X, Y, N, &correct, NULL), RK_OK);
        *acc = (double)correct / N;
    }
    if (lp)
        rk_lora_free(&lo);
    rk_mlp_free(&net);
}

static void test_same_seed_same_losses(void **state)
{
    (void)state;
    enum { S = 60 };
    float a[S], b[S], c[S];
    for (size_t r = 0; r <= 2; r += 2) {   // full training, then LoRA r = 2
        run(a, S, 7, r, NULL);
        run(b, S, 7, r, NULL);
        run(c, S, 8, r, NULL);
        assert_memory_equal(a, b, sizeof a);        // bit-identical
        assert_memory_not_equal(a, c, sizeof a);    // and the seed matters
    }
}

/* 300 steps of training at rank r (0: full) from seed 1: the mean loss of the last 30 steps is
 * below the first 10's divided by @p fall, and the training set's accuracy at least @p acc_min. */
static void check_learns(size_t r, double fall, double acc_min)
{
    enum { S = 300 };
    float l[S];
    double acc;
    run(l, S, 1, r, &acc);
    double first = mean_of(l, 10), last = mean_of(l + S - 30, 30);
    print_message("# %s r=%zu: loss %.4f → %.4f (÷%.1f), accuracy %.3f\n", r ? "lora" : "full", r,
                  first, last, first / last, acc);
    assert_true(last * fall < first);
    assert_true(acc >= acc_min);
}

static void test_full_training_learns(void **state)
{
    (void)state;
    check_learns(0, 5.0, 0.9);   // the loss falls at least five-fold
}

static void test_lora_training_learns(void **state)
{
    (void)state;
    check_learns(2, 3.0, 0.8);   // only 2·(6+5)+2·(5+4)+2·(4+3) = 54 weights train
}

typedef struct seen {
    size_t calls, last_step, last_total, last_epoch;
    size_t stop_at;
} seen;

static rk_status on_progress(const rk_train_progress *p, void *ctx)
{
    seen *s = ctx;
    s->calls++;
    s->last_step = p->step;
    s->last_total = p->total_steps;
    s->last_epoch = p->epoch;
    assert_true(isfinite(p->loss) && isfinite(p->loss_mean) && p->samples_per_s >= 0.0);
    assert_non_null(p->net);
    assert_null(p->lora);
    return s->stop_at && p->step >= s->stop_at ? RK_ESTATE : RK_OK;
}

static void test_epochs_order_and_callback(void **state)
{
    (void)state;
    rk_mlp net;
    nn_tiny_net(&net, 32, 3);
    // 25 rows of class 1 only, batch 10, 2 epochs: ⌈25/10⌉ = 3 steps per epoch
    size_t order[25], k = 0;
    for (size_t i = 0; i < N && k < 25; i++)
        if (Y[i] == 1)
            order[k++] = i;
    assert_int_equal(k, 25);
    rk_train_data d = { X, Y, N, DIM, order, 25 };
    rk_train_opts to = rk_train_opts_default();
    to.optim = rk_optim_sgd_default(0.05, 0.9);
    to.batch = 10;
    to.epochs = 2;
    to.report_every = 2;
    seen s = { 0 };
    to.callback = on_progress;
    to.callback_ctx = &s;
    assert_int_equal(rk_train_total_steps(25, &to), 6);
    rk_train_result res;
    assert_status(rk_train_run(&net, NULL, &d, &to, &res, NULL), RK_OK);
    assert_int_equal(res.steps, 6);
    assert_int_equal(res.trainable_params, net.n_params);
    assert_int_equal(res.state_bytes, 2 * net.n_params * sizeof(float));   // gradient + momentum
    assert_null(net.grads);   // the run allocated the gradient buffer and freed it again
    assert_int_equal(s.calls, 3);              // steps 2, 4, 6
    assert_int_equal(s.last_step, 6);
    assert_int_equal(s.last_total, 6);
    assert_int_equal(s.last_epoch, 2);
    // trained on class 1 only: the network now predicts 1 for those rows
    unsigned char pred[25];
    float xs[25 * DIM];
    for (size_t i = 0; i < 25; i++)
        memcpy(xs + i * DIM, X + order[i] * DIM, DIM * sizeof(float));
    assert_status(rk_mlp_predict(&net, NULL, xs, 25, pred), RK_OK);
    for (size_t i = 0; i < 25; i++)
        assert_int_equal(pred[i], 1);
    // the callback stops the run with a status: returned, and the result says how far it got
    s = (seen){ .stop_at = 3 };
    to.report_every = 1;
    rk_err err;
    assert_status(rk_train_run(&net, NULL, &d, &to, &res, &err), RK_ESTATE);
    assert_int_equal(res.steps, 3);
    assert_non_null(strstr(err.msg, "step 3"));
    assert_null(net.grads);
    // errors: an index out of range, an empty order, a batch above max_batch
    order[0] = N;
    assert_status(rk_train_run(&net, NULL, &d, &to, NULL, NULL), RK_EINVAL);
    d.n_order = 0;
    assert_status(rk_train_run(&net, NULL, &d, &to, NULL, NULL), RK_EINVAL);
    to.batch = 33;
    assert_status(rk_train_run(&net, NULL, &DATA, &to, NULL, NULL), RK_EINVAL);
    to.batch = 10;
    rk_train_data wide = { X, Y, N, DIM + 1, NULL, 0 };
    assert_status(rk_train_run(&net, NULL, &wide, &to, NULL, NULL), RK_EINVAL);
    to.optim.lr = 0;
    assert_status(rk_train_run(&net, NULL, &DATA, &to, NULL, NULL), RK_EINVAL);
    to.optim.lr = 0.05;
    for (long k = 1; k <= 6; k++) {   // optimizer, gradients, the loop's buffers
        rk_test_fail_alloc_after(k);
        assert_status(rk_train_run(&net, NULL, &DATA, &to, NULL, NULL), RK_ENOMEM);
        rk_test_fail_alloc_after(0);
        assert_null(net.grads);
    }
    rk_mlp_free(&net);
}

/* The step never allocates: with the allocator failing, steps still succeed once set up. */
static void test_step_is_allocation_free(void **state)
{
    (void)state;
    rk_mlp net;
    nn_tiny_net(&net, 16, 4);
    rk_optim opt;
    rk_optim_config oc = rk_optim_adam_default();
    assert_status(rk_optim_create(&opt, &oc, net.n_params), RK_OK);
    assert_status(rk_mlp_grads_alloc(&net), RK_OK);
    rk_lora lo;
    rk_rng rng;
    rk_rng_seed(&rng, 1);
    rk_lora_config lc = rk_lora_config_default();
    assert_status(rk_lora_create(&lo, &net, &lc, &rng), RK_OK);
    rk_optim lopt;
    assert_status(rk_optim_create(&lopt, &oc, lo.n_params), RK_OK);
    rk_test_fail_alloc_after(1);
    float loss;
    for (int i = 0; i < 3; i++) {
        assert_status(rk_train_step(&net, NULL, &opt, X, Y, 16, &loss), RK_OK);
        assert_status(rk_train_step(&net, &lo, &lopt, X, Y, 16, &loss), RK_OK);
    }
    // not one allocation was asked for (a failed one would count too)
    assert_int_equal(rk_test_alloc_attempts(), 0);
    rk_test_fail_alloc_after(0);
    rk_optim_free(&lopt);
    rk_lora_free(&lo);
    rk_optim_free(&opt);
    rk_mlp_free(&net);
}

/* An observer that evaluates the model every 5 steps, as a learn/forget recorder would. */
typedef struct observer {
    size_t calls;
    double acc[64];
} observer;

static rk_status observe(const rk_train_progress *p, void *ctx)
{
    observer *o = ctx;
    size_t correct = 0;
    assert_true(p->step % 5 == 0);
    assert_status(rk_mlp_evaluate(p->net, p->lora, X, Y, N, &correct, NULL), RK_OK);
    o->acc[o->calls++] = (double)correct / N;
    return RK_OK;
}

/* Observing the model between steps leaves the run as it was: the same losses, bit for bit. */
static void test_observer_sees_the_model_without_changing_the_run(void **state)
{
    (void)state;
    enum { S = 40 };
    for (size_t r = 0; r <= 2; r += 2) {   // full training, then LoRA r = 2
        float plain[S], watched[S];
        rk_train_result res[2];
        observer o = { 0 };
        for (int w = 0; w < 2; w++) {
            rk_mlp net;
            nn_tiny_net(&net, 32, 5);
            rk_lora lo;
            rk_rng rng;
            rk_rng_seed(&rng, 9);
            rk_lora_config lc = rk_lora_config_default();
            lc.rank = r ? r : 1;
            if (r)
                assert_status(rk_lora_create(&lo, &net, &lc, &rng), RK_OK);
            rk_train_opts to = rk_train_opts_default();
            to.batch = 16;
            to.steps = S;
            to.losses = w ? watched : plain;
            to.report_every = w ? 5 : 0;
            to.callback = w ? observe : NULL;
            to.callback_ctx = &o;
            assert_status(rk_train_run(&net, r ? &lo : NULL, &DATA, &to, &res[w], NULL), RK_OK);
            if (r) {
                assert_int_equal(res[w].state_bytes,
                                 rk_lora_state_bytes(&lo) + 2 * lo.n_params * sizeof(float));
                rk_lora_free(&lo);
            } else {
                assert_int_equal(res[w].state_bytes, 3 * net.n_params * sizeof(float));
            }
            rk_mlp_free(&net);
        }
        assert_memory_equal(plain, watched, sizeof plain);
        assert_int_equal(o.calls, S / 5);
        print_message("# %s: accuracy at step 5 %.3f, at step %d %.3f\n", r ? "lora r=2" : "full",
                      o.acc[0], S, o.acc[o.calls - 1]);
        assert_true(o.acc[o.calls - 1] >= o.acc[0]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_seed_same_losses),
        cmocka_unit_test(test_full_training_learns),
        cmocka_unit_test(test_lora_training_learns),
        cmocka_unit_test(test_epochs_order_and_callback),
        cmocka_unit_test(test_observer_sees_the_model_without_changing_the_run),
        cmocka_unit_test(test_step_is_allocation_free),
    };
    return cmocka_run_group_tests_name("nn_train", tests, setup, NULL);
}
