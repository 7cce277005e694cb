/* nn_testutil.c — tiny nets, synthetic data and the double-precision reference network. */
#include "nn_testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void nn_tiny_net(rk_mlp *net, size_t max_batch, uint64_t seed)
{
    rk_mlp_config cfg = { 3, { 6, 5, 4, 3 } };
    assert_status(rk_mlp_create(net, &cfg, max_batch), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mlp_init(net, &rng);
}

void nn_random_data(float *x, unsigned char *y, size_t n, size_t dim, size_t classes,
                    uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    for (size_t i = 0; i < n * dim; i++)
        x[i] = (float)rk_rng_normal(&rng);
    for (size_t i = 0; i < n; i++)
        y[i] = (unsigned char)rk_rng_below(&rng, classes);
}

void nn_blobs(float *x, unsigned char *y, size_t n, size_t dim, size_t classes, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    double *centres = calloc(classes * dim, sizeof(double));
    assert_non_null(centres);
    for (size_t i = 0; i < classes * dim; i++)
        centres[i] = 2.0 * rk_rng_normal(&rng);
    for (size_t i = 0; i < n; i++) {
        size_t c = rk_rng_below(&rng, classes);
        y[i] = (unsigned char)c;
        for (size_t j = 0; j < dim; j++)
            x[i * dim + j] = (float)(centres[c * dim + j] + 0.7 * rk_rng_normal(&rng));
    }
    free(centres);
}

static double *dup_f(const float *src, size_t n)
{
    if (!src)
        return NULL;
    double *d = calloc(n ? n : 1, sizeof(double));
    assert_non_null(d);
    for (size_t i = 0; i < n; i++)
        d[i] = (double)src[i];
    return d;
}

void nn_ref_from(nn_ref *ref, const rk_mlp *net, const rk_lora *lora, const float *x,
                 const unsigned char *y, size_t batch)
{
    memset(ref, 0, sizeof *ref);
    ref->L = net->cfg.n_layers;
    memcpy(ref->sizes, net->cfg.sizes, sizeof ref->sizes);
    bool active = lora && lora->enabled && !lora->merged;
    for (size_t l = 0; l < ref->L; l++) {
        size_t in = ref->sizes[l], out = ref->sizes[l + 1];
        ref->w[l] = dup_f(net->p.w[l], out * in);
        ref->b[l] = dup_f(net->p.b[l], out);
        if (active) {
            size_t r = lora->cfg.rank;
            ref->a[l] = dup_f(lora->p.a[l], r * in);
            ref->bb[l] = dup_f(lora->p.b[l], out * r);
            ref->lbias[l] = dup_f(lora->p.bias[l], out);
        }
    }
    if (active) {
        ref->rank = lora->cfg.rank;
        ref->scale = lora->cfg.rslora ? lora->cfg.alpha / sqrt((double)lora->cfg.rank)
                                      : lora->cfg.alpha / (double)lora->cfg.rank;
    }
    ref->x = dup_f(x, batch * ref->sizes[0]);
    ref->batch = batch;
    ref->y = y;
}

void nn_ref_free(nn_ref *ref)
{
    for (size_t l = 0; l < ref->L; l++) {
        free(ref->w[l]);
        free(ref->b[l]);
        free(ref->a[l]);
        free(ref->bb[l]);
        free(ref->lbias[l]);
    }
    free(ref->x);
    memset(ref, 0, sizeof *ref);
}

double nn_ref_loss(nn_ref *ref)
{
    size_t maxw = 0;
    for (size_t l = 0; l <= ref->L; l++)
        maxw = ref->sizes[l] > maxw ? ref->sizes[l] : maxw;
    double *cur = calloc(maxw, sizeof(double)), *nxt = calloc(maxw, sizeof(double));
    double *u = calloc(ref->rank ? ref->rank : 1, sizeof(double));
    assert_true(cur && nxt && u);
    double total = 0.0;
    ref->min_abs_pre = INFINITY;
    for (size_t i = 0; i < ref->batch; i++) {
        memcpy(cur, ref->x + i * ref->sizes[0], ref->sizes[0] * sizeof(double));
        for (size_t l = 0; l < ref->L; l++) {
            size_t in = ref->sizes[l], out = ref->sizes[l + 1];
            const double *bias = ref->lbias[l] ? ref->lbias[l] : ref->b[l];
            if (ref->a[l])
                for (size_t k = 0; k < ref->rank; k++) {   // u = A·x
                    u[k] = 0.0;
                    for (size_t j = 0; j < in; j++)
                        u[k] += ref->a[l][k * in + j] * cur[j];
                }
            for (size_t o = 0; o < out; o++) {
                double z = bias[o];                         // z = W·x + b (+ s·B·u)
                for (size_t j = 0; j < in; j++)
                    z += ref->w[l][o * in + j] * cur[j];
                if (ref->a[l])
                    for (size_t k = 0; k < ref->rank; k++)
                        z += ref->scale * ref->bb[l][o * ref->rank + k] * u[k];
                if (l + 1 < ref->L) {
                    if (fabs(z) < ref->min_abs_pre)
                        ref->min_abs_pre = fabs(z);
                    z = z > 0.0 ? z : 0.0;
                }
                nxt[o] = z;
            }
            memcpy(cur, nxt, out * sizeof(double));
        }
        size_t C = ref->sizes[ref->L];
        double m = cur[0], s = 0.0;
        for (size_t c = 1; c < C; c++)
            m = cur[c] > m ? cur[c] : m;
        for (size_t c = 0; c < C; c++)
            s += exp(cur[c] - m);
        total += m + log(s) - cur[ref->y[i]];
    }
    free(cur);
    free(nxt);
    free(u);
    return total / (double)ref->batch;
}

void nn_assert_standardised(const rk_dataset *d, double tol)
{
    double m, s;
    rk_dataset_stats(d, &m, &s);
    assert_true(fabs(m) < tol);
    assert_true(fabs(s - 1) < tol);
}
