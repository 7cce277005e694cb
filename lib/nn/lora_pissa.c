/* lora_pissa.c — PiSSA: adapters from the principal singular triplets of W. */
#include "nn/lora_pissa.h"

#include <math.h>

#include "core/alloc.h"
#include "linalg/svd.h"

/* A, B of one layer from the top-R SVD of its weight (the network is not written). */
static rk_status pissa_factors(float *a, float *b, const float *w, size_t out, size_t in,
                               size_t r, double s)
{
    rk_mat wd;
    rk_status st = rk_mat_from_f32(&wd, w, out, in);
    if (st != RK_OK)
        return st;
    rk_svd svd;
    st = rk_svd_decomp(&svd, &wd, RK_SVD_THIN);
    rk_mat_free(&wd);
    if (st != RK_OK)
        return st;
    for (size_t k = 0; k < r; k++) {
        // s·B·A = U_R·S_R·V_Rᵀ: each factor carries √(σ_k / s)
        double g = sqrt(svd.s[k] / s);
        for (size_t j = 0; j < in; j++)
            RK_AT(&svd.vt, k, j) *= g;   // A = √(S_R/s)·V_Rᵀ
        for (size_t i = 0; i < out; i++)
            RK_AT(&svd.u, i, k) *= g;    // B = U_R·√(S_R/s)
    }
    rk_mat av = rk_mat_view_rows(&svd.vt, 0, r), bv = rk_mat_view_cols(&svd.u, 0, r);
    st = rk_mat_to_f32(a, &av);          // (R, In), rounded once
    if (st == RK_OK)
        st = rk_mat_to_f32(b, &bv);      // (Out, R)
    rk_svd_free(&svd);
    return st;
}

rk_status rk_lora_pissa_init(rk_lora *lo, rk_mlp *net, double s)
{
    size_t r = lo->cfg.rank, max_in = 0;
    for (size_t l = 0; l < lo->shape.n_layers; l++)
        max_in = lo->shape.sizes[l] > max_in ? lo->shape.sizes[l] : max_in;
    double *row = rk_alloc(max_in * sizeof(double));   // (In) one row of s·B·A
    if (!row)
        return RK_ENOMEM;
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!lo->p.a[l])
            continue;
        rk_status st = pissa_factors(lo->p.a[l], lo->p.b[l], net->p.w[l], lo->shape.sizes[l + 1],
                                     lo->shape.sizes[l], r, s);
        if (st != RK_OK) {
            rk_free(row);
            return st;
        }
    }
    // every SVD succeeded: now W ← fl(W − s·B·A), the residual the adapter trains on top of
    for (size_t l = 0; l < lo->shape.n_layers; l++) {
        if (!lo->p.a[l])
            continue;
        size_t in = lo->shape.sizes[l], out = lo->shape.sizes[l + 1];
        const float *a = lo->p.a[l], *b = lo->p.b[l];
        for (size_t i = 0; i < out; i++) {
            for (size_t j = 0; j < in; j++)
                row[j] = 0.0;
            for (size_t k = 0; k < r; k++) {
                double bik = (double)b[i * r + k];
                for (size_t j = 0; j < in; j++)
                    row[j] += bik * (double)a[k * in + j];
            }
            float *wi = net->p.w[l] + i * in;
            for (size_t j = 0; j < in; j++)
                wi[j] = (float)((double)wi[j] - s * row[j]);
        }
    }
    rk_free(row);
    return RK_OK;
}
