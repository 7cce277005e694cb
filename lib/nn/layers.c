/* layers.c — linear, ReLU, softmax cross-entropy and the LoRA side path (float32, sgemm). */
#include "nn/layers.h"

#include <cblas.h>
#include <math.h>

#include "nn/kernels.h"

void rk_linear_forward(float *y, const float *x, const float *w, const float *b,
                       size_t batch, size_t in, size_t out)
{
    if (rk_linear_small_batch(batch)) {
        rk_linear_forward_fused(y, x, w, b, batch, in, out, RK_FUSED_AVX512);
        return;
    }
    // y = x·Wᵀ + b: start y as b broadcast over rows, then sgemm with beta = 1
    float beta = 0.0f;
    if (b) {
        for (size_t i = 0; i < batch; i++) {
            float *yi = y + i * out;
            for (size_t o = 0; o < out; o++)
                yi[o] = b[o];
        }
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)out, (int)in,
                1.0f, x, (int)in, w, (int)in, beta, y, (int)out);
}

void rk_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x,
                        const float *w, size_t batch, size_t in, size_t out)
{
    rk_linear_backward_beta(dx, dw, db, dy, x, w, batch, in, out, 1.0f);
}

RK_VECTORISE void rk_linear_backward_beta(float *dx, float *dw, float *db, const float *dy,
                                          const float *x, const float *w, size_t batch,
                                          size_t in, size_t out, float beta)
{
    // forward: y = x·Wᵀ + b
    if (dx && rk_linear_small_batch(batch)) // one pass over W
        rk_linear_backward_dx_fused(dx, dy, w, batch, in, out, RK_FUSED_AVX512);
    else if (dx) // dx += dy·W : (B, Out)·(Out, In)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)in, (int)out,
                    1.0f, dy, (int)out, w, (int)in, 1.0f, dx, (int)in);
    if (dw) // dW = β·dW + dyᵀ·x : (Out, B)·(B, In)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)in, (int)batch,
                    1.0f, dy, (int)out, x, (int)in, beta, dw, (int)in);
    if (db) { // db = β·db + Σ_i dy[i, :]
        if (beta == 0.0f)
            for (size_t o = 0; o < out; o++)
                db[o] = 0.0f;
        for (size_t i = 0; i < batch; i++) {
            const float *dyi = dy + i * out;
            for (size_t o = 0; o < out; o++)
                db[o] += dyi[o];
        }
    }
}

RK_VECTORISE void rk_relu_forward(float *y, const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

RK_VECTORISE void rk_relu_backward(float *dx, const float *dy, const float *y, size_t n)
{
    // forward: y = max(x, 0)  →  dx += dy · [y > 0]
    for (size_t i = 0; i < n; i++) {
        float d = dy[i];   // read unconditionally, so the select vectorises
        dx[i] += y[i] > 0.0f ? d : 0.0f;
    }
}

rk_status rk_softmax_xent_forward(float *probs, float *loss, const float *logits,
                                  const unsigned char *y, size_t batch, size_t classes)
{
    if (batch == 0)
        return RK_EINVAL;
    double total = 0.0;
    for (size_t i = 0; i < batch; i++) {
        if (y[i] >= classes)
            return RK_ELABEL;
        const float *li = logits + i * classes;
        float *pi = probs + i * classes;
        // lse = m + log Σ exp(l − m): no exp overflows, the largest term is exp(0) = 1
        float m = li[0];
        for (size_t c = 1; c < classes; c++)
            m = li[c] > m ? li[c] : m;
        double sum = 0.0;
        for (size_t c = 0; c < classes; c++)
            sum += exp((double)li[c] - (double)m);
        double lse = (double)m + log(sum);
        for (size_t c = 0; c < classes; c++)
            pi[c] = (float)exp((double)li[c] - lse);
        total += lse - (double)li[y[i]];
    }
    *loss = (float)(total / (double)batch);
    return RK_OK;
}

void rk_softmax_xent_backward(float *dlogits, const float *probs, const unsigned char *y,
                              size_t batch, size_t classes)
{
    // forward: loss = (1/B) Σ_i (lse_i − logits[i, y_i])  →  dlogits = (probs − onehot(y)) / B
    float inv_b = 1.0f / (float)batch;
    for (size_t i = 0; i < batch; i++) {
        float *di = dlogits + i * classes;
        const float *pi = probs + i * classes;
        for (size_t c = 0; c < classes; c++)
            di[c] += (pi[c] - (c == y[i] ? 1.0f : 0.0f)) * inv_b;
    }
}

void rk_lora_side_forward(float *y, float *u, const float *x, const float *a, const float *b,
                          float scale, size_t batch, size_t in, size_t out, size_t rank)
{
    // u = x·Aᵀ : (B, In)·(In, R)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)rank, (int)in,
                1.0f, x, (int)in, a, (int)in, 0.0f, u, (int)rank);
    // y += s · u·Bᵀ : (B, R)·(R, Out)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)batch, (int)out, (int)rank,
                scale, u, (int)rank, b, (int)rank, 1.0f, y, (int)out);
}

void rk_lora_side_backward(float *dx, float *da, float *db, float *du, const float *dy,
                           const float *x, const float *u, const float *a, const float *b,
                           float scale, size_t batch, size_t in, size_t out, size_t rank)
{
    // forward: y += s · u·Bᵀ  →  dB += s · dyᵀ·u : (Out, B)·(B, R)
    if (db)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)out, (int)rank, (int)batch,
                    scale, dy, (int)out, u, (int)rank, 1.0f, db, (int)rank);
    //                    and du = s · dy·B : (B, Out)·(Out, R)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)rank, (int)out,
                scale, dy, (int)out, b, (int)rank, 0.0f, du, (int)rank);
    // forward: u = x·Aᵀ  →  dA += duᵀ·x : (R, B)·(B, In)
    if (da)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rank, (int)in, (int)batch,
                    1.0f, du, (int)rank, x, (int)in, 1.0f, da, (int)in);
    //                    and dx += du·A : (B, R)·(R, In)
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)batch, (int)in, (int)rank,
                    1.0f, du, (int)rank, a, (int)in, 1.0f, dx, (int)in);
}
