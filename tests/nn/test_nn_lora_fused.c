/*
 * test_nn_lora_fused.c — the small-batch LoRA side path of lib/nn/lora_fused.c
 * against sums in double: every element of u, y, dB, du, dA and dx within its
 * rounding bound (n + 2)·ε·Σ|terms| (Higham's γ_n, one more rounding for the
 * scale), on shapes that hit every tail (batch, In and Out against 8 and the
 * chunk of 128 columns, ranks 1 … RK_LORA_SMALL_RANK), portable and AVX2 paths
 * (the second when the CPU has it), with and without the optional outputs.
 * Every comparison fails on NaN.
 */
#include "nn_testutil.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/kernels.h"

static float *rand_floats(rk_rng *rng, size_t n, double scale)
{
    float *v = malloc((n ? n : 1) * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (float)(scale * rk_rng_normal(rng));
    return v;
}

/* Shapes (batch, in, out, rank). */
static const size_t SHAPES[][4] = {
    { 1, 1, 1, 1 }, { 3, 7, 5, 2 }, { 10, 13, 9, 4 }, { 10, 784, 130, 16 },
    { 16, 257, 300, 32 }, { 11, 130, 67, 5 }, { 10, 1000, 10, 4 },
};

/* |got − ref| / ((n + 2)·ε·mag): ≤ 1 within the bound, NaN when got is NaN. */
static double ratio(float got, double ref, double mag, size_t n)
{
    return fabs((double)got - ref) / ((double)(n + 2) * FLT_EPSILON * mag + DBL_MIN);
}

/* worst = max(worst, r), with NaN sticking. */
static double worse(double worst, double r)
{
    if (isnan(worst))
        return worst;
    return !(r <= worst) ? r : worst;
}

typedef struct side_case {
    size_t B, in, out, r;
    float s;
    float *x, *a, *b, *y0, *dy, *dx0, *da0, *db0;
} side_case;

static void case_make(side_case *c, rk_rng *rng, const size_t *shape)
{
    c->B = shape[0], c->in = shape[1], c->out = shape[2], c->r = shape[3];
    c->s = (float)(2.0 / (double)c->r);
    c->x = rand_floats(rng, c->B * c->in, 1.0);
    c->a = rand_floats(rng, c->r * c->in, 0.3);
    c->b = rand_floats(rng, c->out * c->r, 0.3);
    c->y0 = rand_floats(rng, c->B * c->out, 1.0);
    c->dy = rand_floats(rng, c->B * c->out, 1.0);
    c->dx0 = rand_floats(rng, c->B * c->in, 1.0);
    c->da0 = rand_floats(rng, c->r * c->in, 1.0);
    c->db0 = rand_floats(rng, c->out * c->r, 1.0);
}

static void case_free(side_case *c)
{
    free(c->x), free(c->a), free(c->b), free(c->y0), free(c->dy);
    free(c->dx0), free(c->da0), free(c->db0);
}

/* u and y of the forward against double; returns the worst ratio. */
static double check_forward(const side_case *c, bool simd)
{
    size_t B = c->B, in = c->in, out = c->out, r = c->r;
    float *y = malloc(B * out * sizeof *y), *u = malloc(B * r * sizeof *u);
    assert_non_null(y), assert_non_null(u);
    memcpy(y, c->y0, B * out * sizeof *y);
    rk_lora_side_forward_small(y, u, c->x, c->a, c->b, c->s, B, in, out, r, simd);
    double worst = 0.0;
    for (size_t i = 0; i < B; i++) {
        for (size_t k = 0; k < r; k++) {   // u[i, k] = Σ x[i, :]·A[k, :]
            double ref = 0.0, mag = 0.0;
            for (size_t j = 0; j < in; j++) {
                ref += (double)c->x[i * in + j] * c->a[k * in + j];
                mag += fabs((double)c->x[i * in + j] * c->a[k * in + j]);
            }
            worst = worse(worst, ratio(u[i * r + k], ref, mag, in));
        }
        for (size_t o = 0; o < out; o++) { // y[i, o] = y0 + s·Σ u[i, :]·B[o, :], from the u above
            double ref = c->y0[i * out + o], mag = fabs(ref);
            for (size_t k = 0; k < r; k++) {
                double t = (double)c->s * u[i * r + k] * c->b[o * r + k];
                ref += t, mag += fabs(t);
            }
            worst = worse(worst, ratio(y[i * out + o], ref, mag, r));
        }
    }
    free(y), free(u);
    return worst;
}

/* dB and du against double. */
static double check_db_du(const side_case *c, const float *u, const float *db, const float *du)
{
    size_t B = c->B, out = c->out, r = c->r;
    double worst = 0.0;
    for (size_t k = 0; k < r; k++) {
        for (size_t o = 0; db && o < out; o++) {   // dB[o, k] = dB0 + s·Σ_b dy[b, o]·u[b, k]
            double ref = c->db0[o * r + k], mag = fabs(ref);
            for (size_t i = 0; i < B; i++) {
                double t = (double)c->s * c->dy[i * out + o] * u[i * r + k];
                ref += t, mag += fabs(t);
            }
            worst = worse(worst, ratio(db[o * r + k], ref, mag, B));
        }
        for (size_t i = 0; i < B; i++) {            // du[b, k] = s·Σ_o dy[b, o]·B[o, k]
            double ref = 0.0, mag = 0.0;
            for (size_t o = 0; o < out; o++) {
                double t = (double)c->s * c->dy[i * out + o] * c->b[o * r + k];
                ref += t, mag += fabs(t);
            }
            worst = worse(worst, ratio(du[i * r + k], ref, mag, out));
        }
    }
    return worst;
}

/* dA and dx against double, from the kernel's du. */
static double check_da_dx(const side_case *c, const float *du, const float *da, const float *dx)
{
    size_t B = c->B, in = c->in, r = c->r;
    double worst = 0.0;
    for (size_t j = 0; j < in; j++) {
        for (size_t k = 0; da && k < r; k++) {      // dA[k, j] = dA0 + Σ_b du[b, k]·x[b, j]
            double ref = c->da0[k * in + j], mag = fabs(ref);
            for (size_t i = 0; i < B; i++) {
                double t = (double)du[i * r + k] * c->x[i * in + j];
                ref += t, mag += fabs(t);
            }
            worst = worse(worst, ratio(da[k * in + j], ref, mag, B));
        }
        for (size_t i = 0; dx && i < B; i++) {      // dx[b, j] = dx0 + Σ_k du[b, k]·A[k, j]
            double ref = c->dx0[i * in + j], mag = fabs(ref);
            for (size_t k = 0; k < r; k++) {
                double t = (double)du[i * r + k] * c->a[k * in + j];
                ref += t, mag += fabs(t);
            }
            worst = worse(worst, ratio(dx[i * in + j], ref, mag, r));
        }
    }
    return worst;
}

/* The backward with the outputs chosen by mask (1 dx, 2 dA, 4 dB) against double. */
static double check_backward(const side_case *c, unsigned mask)
{
    size_t B = c->B, in = c->in, out = c->out, r = c->r;
    float *u = malloc(B * r * sizeof *u);
    float *du = malloc(B * r * sizeof *du), *dx = malloc(B * in * sizeof *dx);
    float *da = malloc(r * in * sizeof *da), *db = malloc(out * r * sizeof *db);
    assert_non_null(u), assert_non_null(du), assert_non_null(dx);
    assert_non_null(da), assert_non_null(db);
    for (size_t n = 0; n < B * r; n++)
        u[n] = (float)((double)((n * 7) % 11) - 5.0) / 4.0f;
    memcpy(dx, c->dx0, B * in * sizeof *dx);
    memcpy(da, c->da0, r * in * sizeof *da);
    memcpy(db, c->db0, out * r * sizeof *db);
    float *pdx = mask & 1 ? dx : NULL, *pda = mask & 2 ? da : NULL, *pdb = mask & 4 ? db : NULL;
    rk_lora_side_backward_small(pdx, pda, pdb, du, c->dy, c->x, u, c->a, c->b, c->s, B, in,
                                out, r);
    double worst = worse(check_db_du(c, u, pdb, du), check_da_dx(c, du, pda, pdx));
    // the outputs left out are untouched
    if (!pdx)
        assert_memory_equal(dx, c->dx0, B * in * sizeof *dx);
    if (!pda)
        assert_memory_equal(da, c->da0, r * in * sizeof *da);
    if (!pdb)
        assert_memory_equal(db, c->db0, out * r * sizeof *db);
    free(u), free(du), free(dx), free(da), free(db);
    return worst;
}

static void test_side_forward_against_double(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 21);
    double worst = 0.0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        side_case c;
        case_make(&c, &rng, SHAPES[s]);
        worst = worse(worst, check_forward(&c, false));
        if (rk_linear_fused_simd())
            worst = worse(worst, check_forward(&c, true));
        case_free(&c);
    }
    print_message("side forward: worst |err| / ((n+2)·ε·Σ|terms|) = %.3g\n", worst);
    assert_true(worst <= 1.0);
}

static void test_side_backward_against_double(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 22);
    double worst = 0.0;
    for (size_t s = 0; s < sizeof SHAPES / sizeof *SHAPES; s++) {
        side_case c;
        case_make(&c, &rng, SHAPES[s]);
        for (unsigned mask = 0; mask < 8; mask++)
            worst = worse(worst, check_backward(&c, mask));
        case_free(&c);
    }
    print_message("side backward: worst |err| / ((n+2)·ε·Σ|terms|) = %.3g\n", worst);
    assert_true(worst <= 1.0);
}

/* The dispatch: small batch and rank on an AVX2 CPU only. */
static void test_side_small_dispatch(void **state)
{
    (void)state;
    bool simd = rk_linear_fused_simd();
    assert_true(rk_lora_side_small(10, 4) == simd);
    assert_true(rk_lora_side_small(RK_LINEAR_SMALL_BATCH, RK_LORA_SMALL_RANK) == simd);
    assert_false(rk_lora_side_small(RK_LINEAR_SMALL_BATCH + 1, 4));
    assert_false(rk_lora_side_small(10, RK_LORA_SMALL_RANK + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_side_forward_against_double),
        cmocka_unit_test(test_side_backward_against_double),
        cmocka_unit_test(test_side_small_dispatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
