/*
 * test_nn_fused.c — the small-batch kernels of lib/nn/linear_fused.c and the
 * split optimizer (rk_optim_begin_step / rk_optim_update), against plain
 * references:
 *   - forward y = x·Wᵀ + b and dX += dY·W against sums in double, each
 *     element within its rounding bound n·ε·Σ|terms| (Higham's γ_n for a
 *     recursive or pairwise sum), on shapes that hit every tail (batch not a
 *     multiple of 8, columns not a multiple of 8, rows not a multiple of 4);
 *   - the fused backward + Adam against G = dYᵀ·X formed in double and the
 *     plain rk_optim_update(), the implied G within its rounding bound;
 *   - portable and AVX2 paths (the second when the CPU has it), and results
 *     bit-identical for 1, 2 and 3 threads;
 *   - rk_train_step's fused path against the unfused step, rk_parallel_for's
 *     cover, and the errors of the new calls.
 */
#include "nn_testutil.h"

#include <float.h>
#include <pthread.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/kernels.h"

#ifdef RK_HAVE_OPENBLAS
void openblas_set_num_threads(int num_threads);
static void set_threads(int t)
{
    openblas_set_num_threads(t);
}
#else
static void set_threads(int t)
{
    (void)t;
}
#endif

static float *rand_floats(rk_rng *rng, size_t n, double scale)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(scale * rk_rng_normal(rng));
    return v;
}

/* The paths to test: portable always, AVX2 + FMA and AVX-512VL when this CPU has them. */
static size_t paths(rk_fused_isa *isa)
{
    isa[0] = RK_FUSED_PORTABLE;
    isa[1] = RK_FUSED_AVX2;
    isa[2] = RK_FUSED_AVX512;
    return (size_t)rk_linear_fused_isa() + 1;
}

/* Shapes (batch, in, out) with every remainder: batch vs 4, 5 and 8, in vs 8 and 16,
 * out vs 2, 4 and 5 (the AVX-512VL forward takes rows of W five at a time). */
static const size_t SHAPES[][3] = {
    { 1, 1, 1 }, { 3, 7, 5 }, { 8, 16, 4 }, { 10, 13, 9 }, { 16, 40, 12 }, { 10, 784, 6 },
    { 11, 130, 67 }, { 5, 9, 3 }, { 15, 33, 7 }, { 10, 41, 25 }, { 3, 20, 11 }, { 13, 24, 16 },
};

/* ---- forward: y = x·Wᵀ + b ---- */
static void test_forward_against_double(void **state)
{
    (void)state;
    rk_fused_isa isa[3];
    size_t np = paths(isa);
    rk_rng rng;
    rk_rng_seed(&rng, 11);
    double worst = 0.0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        size_t B = SHAPES[s][0], in = SHAPES[s][1], out = SHAPES[s][2];
        float *x = rand_floats(&rng, B * in, 1.0), *w = rand_floats(&rng, out * in, 0.3);
        float *b = rand_floats(&rng, out, 1.0), *y = malloc(B * out * sizeof *y);
        for (size_t p = 0; p < np; p++)
            for (int with_bias = 0; with_bias < 2; with_bias++) {
                rk_linear_forward_fused(y, x, w, with_bias ? b : NULL, B, in, out, isa[p]);
                for (size_t i = 0; i < B; i++)
                    for (size_t o = 0; o < out; o++) {
                        double ref = with_bias ? b[o] : 0.0, mag = fabs(ref);
                        for (size_t k = 0; k < in; k++) {
                            ref += (double)x[i * in + k] * w[o * in + k];
                            mag += fabs((double)x[i * in + k] * w[o * in + k]);
                        }
                        // |fl(Σ) − Σ| ≤ γ_(in+1) · Σ|terms|, γ_n ≈ n·u = n·ε/2
                        double ratio = fabs(y[i * out + o] - ref) / ((double)(in + 1) * FLT_EPSILON * mag + DBL_MIN);
                        worst = rk_test_worst(worst, ratio);
                    }
            }
        free(x), free(w), free(b), free(y);
    }
    print_message("forward: worst |y − y_ref| / ((in+1)·ε·Σ|x·w|) = %.3g\n", worst);
    assert_true(worst < 1.0);
}

/* ---- the AVX-512VL forward sums as the AVX2 one: the same y, bit for bit ---- */
static void test_forward_avx512_same_bits(void **state)
{
    (void)state;
    if (rk_linear_fused_isa() < RK_FUSED_AVX512)
        skip();
    rk_rng rng;
    rk_rng_seed(&rng, 16);
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        size_t B = SHAPES[s][0], in = SHAPES[s][1], out = SHAPES[s][2];
        float *x = rand_floats(&rng, B * in, 1.0), *w = rand_floats(&rng, out * in, 0.3);
        float *b = rand_floats(&rng, out, 1.0), *y2 = malloc(B * out * sizeof *y2);
        float *y5 = malloc(B * out * sizeof *y5);
        rk_linear_forward_fused(y2, x, w, b, B, in, out, RK_FUSED_AVX2);
        rk_linear_forward_fused(y5, x, w, b, B, in, out, RK_FUSED_AVX512);
        assert_memory_equal(y2, y5, B * out * sizeof *y2);
        free(x), free(w), free(b), free(y2), free(y5);
    }
}

/* ---- the AVX-512VL dX pass takes the rows in the AVX2 one's order: the same dX, bit for bit ---- */
static void test_dx_avx512_same_bits(void **state)
{
    (void)state;
    if (rk_linear_fused_isa() < RK_FUSED_AVX512)
        skip();
    rk_rng rng;
    rk_rng_seed(&rng, 17);
    static const size_t more[][3] = { { 10, 1000, 40 }, { 10, 200, 19 }, { 7, 48, 8 } };
    size_t n = sizeof SHAPES / sizeof *SHAPES;
    for (size_t s = 0; s < n + 3; s++) {
        const size_t *sh = s < n ? SHAPES[s] : more[s - n];
        size_t B = sh[0], in = sh[1], out = sh[2];
        float *dy = rand_floats(&rng, B * out, 1.0), *w = rand_floats(&rng, out * in, 0.3);
        float *d2 = rand_floats(&rng, B * in, 1.0), *d5 = malloc(B * in * sizeof *d5);
        memcpy(d5, d2, B * in * sizeof *d5);
        rk_linear_backward_dx_fused(d2, dy, w, B, in, out, RK_FUSED_AVX2);
        rk_linear_backward_dx_fused(d5, dy, w, B, in, out, RK_FUSED_AVX512);
        assert_memory_equal(d2, d5, B * in * sizeof *d2);
        free(dy), free(w), free(d2), free(d5);
    }
}

/* ---- dX += dY·W ---- */
static void test_dx_against_double(void **state)
{
    (void)state;
    rk_fused_isa isa[3];
    size_t np = paths(isa);
    rk_rng rng;
    rk_rng_seed(&rng, 12);
    double worst = 0.0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        size_t B = SHAPES[s][0], in = SHAPES[s][1], out = SHAPES[s][2];
        float *dy = rand_floats(&rng, B * out, 1.0), *w = rand_floats(&rng, out * in, 0.3);
        float *dx0 = rand_floats(&rng, B * in, 1.0), *dx = malloc(B * in * sizeof *dx);
        for (size_t p = 0; p < np; p++) {
            memcpy(dx, dx0, B * in * sizeof *dx);
            rk_linear_backward_dx_fused(dx, dy, w, B, in, out, isa[p]);
            for (size_t i = 0; i < B; i++)
                for (size_t k = 0; k < in; k++) {
                    double ref = dx0[i * in + k], mag = fabs(ref);
                    for (size_t o = 0; o < out; o++) {
                        ref += (double)dy[i * out + o] * w[o * in + k];
                        mag += fabs((double)dy[i * out + o] * w[o * in + k]);
                    }
                    double ratio = fabs(dx[i * in + k] - ref) / ((double)(out + 1) * FLT_EPSILON * mag + DBL_MIN);
                    worst = rk_test_worst(worst, ratio);
                }
        }
        free(dy), free(w), free(dx0), free(dx);
    }
    print_message("dx: worst |dx − dx_ref| / ((out+1)·ε·Σ|dy·w|) = %.3g\n", worst);
    assert_true(worst < 1.0);
}

/* ---- the fused backward + Adam against G in double and the plain update ---- */

static void test_update_linear_against_plain(void **state)
{
    (void)state;
    rk_fused_isa isa[3];
    size_t np = paths(isa);
    rk_rng rng;
    rk_rng_seed(&rng, 13);
    double worst_g = 0.0, worst_w = 0.0, worst_dx = 0.0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        size_t B = SHAPES[s][0], in = SHAPES[s][1], out = SHAPES[s][2], n = out * in;
        float *w0 = rand_floats(&rng, n, 0.3), *x = rand_floats(&rng, B * in, 1.0);
        float *dy = rand_floats(&rng, B * out, 0.1), *dx0 = rand_floats(&rng, B * in, 1.0);
        float *w = malloc(n * sizeof *w), *wref = malloc(n * sizeof *wref);
        float *g = malloc(n * sizeof *g), *dx = malloc(B * in * sizeof *dx);
        double *gd = malloc(n * sizeof *gd), *gmag = malloc(n * sizeof *gmag);
        for (size_t o = 0; o < out; o++)   // G = dYᵀ·X in double, and Σ_b |dY·X|
            for (size_t k = 0; k < in; k++) {
                double acc = 0.0, mag = 0.0;
                for (size_t b = 0; b < B; b++) {
                    acc += (double)dy[b * out + o] * x[b * in + k];
                    mag += fabs((double)dy[b * out + o] * x[b * in + k]);
                }
                gd[o * in + k] = acc;
                gmag[o * in + k] = mag;
                g[o * in + k] = (float)acc;
            }
        rk_optim_config oc = rk_optim_adam_default();
        for (size_t p = 0; p < np; p++) {
            rk_optim opt, ref;
            assert_status(rk_optim_create(&opt, &oc, n + 5), RK_OK);
            assert_status(rk_optim_create(&ref, &oc, n + 5), RK_OK);
            memcpy(w, w0, n * sizeof *w);
            memcpy(wref, w0, n * sizeof *w);
            memcpy(dx, dx0, B * in * sizeof *dx);
            // two steps at offset 5 of the buffer; dX from the weights before each update
            for (int t = 1; t <= 2; t++) {
                assert_status(rk_optim_begin_step(&opt), RK_OK);
                assert_status(rk_optim_begin_step(&ref), RK_OK);
                if (t == 2) {   // the first step's m: (1 − β1)·G, so G is read back from it
                    for (size_t i = 0; i < n; i++) {
                        double gi = opt.m[5 + i] / (1.0 - oc.beta1);
                        double r = fabs(gi - gd[i]) / ((double)(B + 2) * FLT_EPSILON * gmag[i] + 4 * FLT_EPSILON * fabs(gd[i]) + DBL_MIN);
                        worst_g = rk_test_worst(worst_g, r);
                    }
                }
                // the reference dX: dX + dY·W with the weights before this update, in double
                double *dxref = malloc(B * in * sizeof *dxref), *dxmag = malloc(B * in * sizeof *dxmag);
                for (size_t bi = 0; bi < B; bi++)
                    for (size_t k = 0; k < in; k++) {
                        double acc = dx[bi * in + k], mag = fabs(acc);
                        for (size_t o = 0; o < out; o++) {
                            acc += (double)dy[bi * out + o] * w[o * in + k];
                            mag += fabs((double)dy[bi * out + o] * w[o * in + k]);
                        }
                        dxref[bi * in + k] = acc;
                        dxmag[bi * in + k] = mag;
                    }
                assert_status(rk_optim_update_linear_kernel(&opt, 5, w, dx, dy, x, B, out, in, isa[p]), RK_OK);
                assert_status(rk_optim_update(&ref, 5, wref, g, n), RK_OK);
                for (size_t i = 0; i < B * in; i++) {
                    double r = fabs(dx[i] - dxref[i]) / ((double)(out + 1) * FLT_EPSILON * dxmag[i] + DBL_MIN);
                    worst_dx = rk_test_worst(worst_dx, r);
                }
                free(dxref);
                free(dxmag);
            }
            // W after two Adam steps: each step moves a weight by at most ~lr; the two sides
            // differ only through G's rounding, a relative 1e-6 of a step at most here
            for (size_t i = 0; i < n; i++) {
                double r = fabs((double)w[i] - wref[i]) / (oc.lr * 1e-4 + 4 * FLT_EPSILON * fabs(wref[i]));
                worst_w = rk_test_worst(worst_w, r);
            }
            rk_optim_free(&opt);
            rk_optim_free(&ref);
        }
        free(w0), free(x), free(dy), free(dx0), free(w), free(wref), free(g), free(dx), free(gd), free(gmag);
    }
    print_message("update_linear: worst ratios G %.3g, dX %.3g, W %.3g\n", worst_g, worst_dx, worst_w);
    assert_true(worst_g < 1.0);
    assert_true(worst_dx < 1.0);
    assert_true(worst_w < 1.0);
}

/* ---- results do not depend on the number of threads (bit for bit) ---- */
static void test_threads_bit_identical(void **state)
{
    (void)state;
    rk_fused_isa isa[3];
    size_t np = paths(isa);
    rk_rng rng;
    rk_rng_seed(&rng, 14);
    // large enough that rk_parallel_for splits it (≥ 2 shares of 64 Ki weights)
    size_t B = 10, in = 600, out = 400, n = out * in;
    float *x = rand_floats(&rng, B * in, 1.0), *w0 = rand_floats(&rng, n, 0.3);
    float *dy = rand_floats(&rng, B * out, 0.1), *bias = rand_floats(&rng, out, 1.0);
    float *w[3], *dx[3], *y[3], *m[3];
    rk_optim_config oc = rk_optim_adam_default();
    for (size_t p = 0; p < np; p++) {
        for (int t = 0; t < 3; t++) {
            set_threads(t + 1);
            w[t] = malloc(n * sizeof(float));
            memcpy(w[t], w0, n * sizeof(float));
            dx[t] = calloc(B * in, sizeof(float));
            y[t] = malloc(B * out * sizeof(float));
            rk_linear_forward_fused(y[t], x, w[t], bias, B, in, out, isa[p]);
            rk_linear_backward_dx_fused(dx[t], dy, w[t], B, in, out, isa[p]);
            rk_optim opt;
            assert_status(rk_optim_create(&opt, &oc, n), RK_OK);
            assert_status(rk_optim_begin_step(&opt), RK_OK);
            assert_status(rk_optim_update_linear_kernel(&opt, 0, w[t], dx[t], dy, x, B, out, in, isa[p]), RK_OK);
            m[t] = opt.m;
            opt.m = NULL;   // keep the moment, free the rest
            rk_optim_free(&opt);
        }
        set_threads(1);
        for (int t = 1; t < 3; t++) {
            assert_memory_equal(y[0], y[t], B * out * sizeof(float));
            assert_memory_equal(dx[0], dx[t], B * in * sizeof(float));
            assert_memory_equal(w[0], w[t], n * sizeof(float));
            assert_memory_equal(m[0], m[t], n * sizeof(float));
        }
        for (int t = 0; t < 3; t++) {
            free(w[t]), free(dx[t]), free(y[t]);
            rk_free(m[t]);
        }
    }
    free(x), free(w0), free(dy), free(bias);
}

/* ---- rk_train_step's fused path against the plain backward + update ---- */
static void test_train_step_fused_matches_plain(void **state)
{
    (void)state;
    enum { B = 10, STEPS = 4 };
    float x[B * 6];
    unsigned char y[B];
    nn_random_data(x, y, B, 6, 3, 15);
    rk_mlp a, b;
    nn_tiny_net(&a, B, 7);
    nn_tiny_net(&b, B, 7);
    rk_optim oa, ob;
    rk_optim_config oc = rk_optim_adam_default();
    assert_status(rk_optim_create(&oa, &oc, a.n_params), RK_OK);
    assert_status(rk_optim_create(&ob, &oc, b.n_params), RK_OK);
    // the choice depends on the arguments only, never on the CPU: the same contract everywhere
    assert_true(rk_train_step_fuses(&a, NULL, &oa, B));
    assert_false(rk_train_step_fuses(&a, NULL, &oa, RK_LINEAR_SMALL_BATCH + 1));
    static const char *const isa_name[] = { "portable C", "AVX2 + FMA", "AVX-512VL" };
    print_message("fused kernel here: %s\n", isa_name[rk_linear_fused_isa()]);
    assert_status(rk_mlp_grads_alloc(&b), RK_OK);
    for (int t = 0; t < STEPS; t++) {
        float la, lb;
        assert_status(rk_train_step(&a, NULL, &oa, x, y, B, &la), RK_OK);
        // the plain path, spelled out
        assert_status(rk_mlp_forward(&b, NULL, x, B), RK_OK);
        assert_status(rk_mlp_loss(&b, y, &lb), RK_OK);
        assert_status(rk_mlp_backward_set(&b, y, NULL), RK_OK);
        assert_status(rk_optim_step(&ob, b.params, b.grads), RK_OK);
        assert_rel_near(la, lb, 64 * FLT_EPSILON);
    }
    // after 4 Adam steps of ≤ ~lr each, the two differ only by gradient rounding
    double worst = 0.0;
    for (size_t i = 0; i < a.n_params; i++) {
        double r = fabs((double)a.params[i] - b.params[i]) / (oc.lr * 1e-3 + 8 * FLT_EPSILON * fabs(b.params[i]));
        worst = rk_test_worst(worst, r);
    }
    print_message("params after %d steps: worst |fused − plain| / (1e-3·lr + 8ε|p|) = %.3g\n", STEPS, worst);
    assert_true(worst < 1.0);
    assert_int_equal(oa.step, STEPS);
    rk_optim_free(&oa), rk_optim_free(&ob);
    rk_mlp_free(&a), rk_mlp_free(&b);
}

/* ---- rk_parallel_for covers [0, n) exactly once, in whole grains ---- */
typedef struct cover { unsigned char *hits; size_t grain, n; int bad; } cover;

static void cover_fn(void *ctx, size_t begin, size_t end)
{
    cover *c = ctx;
    if (begin % c->grain != 0 || end > c->n || begin >= end)
        c->bad = 1;   // written by whichever thread sees it: any write makes the test fail
    for (size_t i = begin; i < end; i++)
        c->hits[i]++;
}

static void test_parallel_for_cover(void **state)
{
    (void)state;
    static const size_t ns[] = { 1, 2, 7, 64, 1000, 4097 }, grains[] = { 0, 1, 8, 100, 5000 };
    for (int t = 1; t <= 3; t++) {
        set_threads(t);
        for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
            for (size_t g = 0; g < sizeof grains / sizeof *grains; g++) {
                cover c = { calloc(ns[a], 1), grains[g] ? grains[g] : 1, ns[a], 0 };
                rk_parallel_for(ns[a], grains[g], cover_fn, &c);
                assert_int_equal(c.bad, 0);
                for (size_t i = 0; i < ns[a]; i++)
                    assert_int_equal(c.hits[i], 1);
                free(c.hits);
            }
    }
    set_threads(1);
    rk_parallel_for(0, 4, cover_fn, NULL);   // n = 0: fn is never called (ctx NULL would crash)
}

/* ---- the pool: loops from several threads at once, and loops inside loops ---- */
enum { POOL_LOOPS = 300, POOL_N = 1000 };

/* A loop body that runs a whole inner loop over its own items (a nested call). */
static void nested_fn(void *ctx, size_t begin, size_t end)
{
    cover *c = ctx;
    cover inner = { c->hits + begin, 1, end - begin, 0 };
    rk_parallel_for(end - begin, 1, cover_fn, &inner);
    if (inner.bad)
        c->bad = 1;
}

/* POOL_LOOPS loops, each checked to hit every item once; returns NULL or "bad". */
static void *pool_user(void *arg)
{
    bool nested = arg != NULL;
    unsigned char *hits = calloc(POOL_N, 1);
    void *ret = NULL;
    for (int l = 0; l < POOL_LOOPS && hits && !ret; l++) {
        memset(hits, 0, POOL_N);
        cover c = { hits, 10, POOL_N, 0 };
        rk_parallel_for(POOL_N, 10, nested ? nested_fn : cover_fn, &c);
        for (size_t i = 0; i < POOL_N; i++)
            if (hits[i] != 1)
                ret = "bad";
        if (c.bad)
            ret = "bad";
    }
    free(hits);
    return hits ? ret : "no memory";
}

static void test_parallel_for_pool(void **state)
{
    (void)state;
    for (int t = 2; t <= 3; t++) {
        set_threads(t);
        assert_null(pool_user(NULL));
        assert_null(pool_user(""));   // nested loops: the inner ones run alone
        pthread_t th[3];
        for (int k = 0; k < 3; k++)
            assert_int_equal(pthread_create(&th[k], NULL, pool_user, k == 2 ? "" : NULL), 0);
        for (int k = 0; k < 3; k++) {
            void *r;
            assert_int_equal(pthread_join(th[k], &r), 0);
            assert_null(r);
        }
    }
    set_threads(1);
}

/* ---- errors ---- */
static void test_errors(void **state)
{
    (void)state;
    float w[12] = { 0 }, dy[3] = { 0 }, x[4] = { 0 }, g[12] = { 0 };
    rk_optim opt;
    rk_optim_config oc = rk_optim_adam_default();
    assert_status(rk_optim_create(&opt, &oc, 12), RK_OK);
    // before rk_optim_begin_step
    assert_status(rk_optim_update(&opt, 0, w, g, 12), RK_ESTATE);
    assert_status(rk_optim_update_linear(&opt, 0, w, NULL, dy, x, 1, 3, 4), RK_ESTATE);
    assert_status(rk_optim_begin_step(NULL), RK_EINVAL);
    assert_status(rk_optim_begin_step(&opt), RK_OK);
    assert_status(rk_optim_update(NULL, 0, w, g, 1), RK_EINVAL);
    assert_status(rk_optim_update(&opt, 0, NULL, g, 1), RK_EINVAL);
    assert_status(rk_optim_update(&opt, 0, w, NULL, 1), RK_EINVAL);
    assert_status(rk_optim_update(&opt, 11, w, g, 2), RK_ERANGE);
    assert_status(rk_optim_update(&opt, 13, w, g, 0), RK_ERANGE);
    assert_status(rk_optim_update(&opt, 1, w, g, SIZE_MAX), RK_ERANGE);
    assert_status(rk_optim_update(&opt, 12, w, g, 0), RK_OK);
    assert_status(rk_optim_update_linear(&opt, 0, w, NULL, dy, x, 0, 3, 4), RK_EINVAL);
    assert_status(rk_optim_update_linear(&opt, 0, NULL, NULL, dy, x, 1, 3, 4), RK_EINVAL);
    assert_status(rk_optim_update_linear(&opt, 0, w, NULL, NULL, x, 1, 3, 4), RK_EINVAL);
    assert_status(rk_optim_update_linear(&opt, 0, w, NULL, dy, NULL, 1, 3, 4), RK_EINVAL);
    assert_status(rk_optim_update_linear(&opt, 1, w, NULL, dy, x, 1, 3, 4), RK_ERANGE);
    assert_status(rk_optim_update_linear(&opt, 0, w, NULL, dy, x, 1, SIZE_MAX, 4), RK_EOVERFLOW);
    assert_status(rk_optim_update_linear(&opt, 0, w, NULL, dy, x, 1, 3, 4), RK_OK);
    rk_optim empty = { 0 };
    assert_status(rk_optim_begin_step(&empty), RK_EINVAL);
    assert_status(rk_optim_update(&empty, 0, w, g, 1), RK_EINVAL);
    rk_optim_free(&opt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_against_double),
        cmocka_unit_test(test_dx_against_double),
        cmocka_unit_test(test_update_linear_against_plain),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_train_step_fused_matches_plain),
        cmocka_unit_test(test_forward_avx512_same_bits),
        cmocka_unit_test(test_dx_avx512_same_bits),
        cmocka_unit_test(test_parallel_for_cover),
        cmocka_unit_test(test_parallel_for_pool),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
