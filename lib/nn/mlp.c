/* mlp.c — the float32 MLP: flat buffers, init, forward/backward pair, predict/evaluate. */
#include "nn/mlp.h"

#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "nn/kernels.h"
#include "nn/layers.h"
#include "nn/lora.h"
#include "nn/optim.h"

rk_mlp_config rk_mlp_config_default(void)
{
    return (rk_mlp_config){ 3, { 784, 1000, 2000, 10 } };
}

/* Lay out the named pointers of one flat buffer in state_dict order. */
static void mlp_point(rk_mlp_tensors *t, float *base, const rk_mlp_config *cfg)
{
    memset(t, 0, sizeof *t);
    if (!base)
        return;
    float *p = base;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        t->w[l] = p;                                   // (Out, In)
        p += cfg->sizes[l + 1] * cfg->sizes[l];
        t->b[l] = p;                                   // (Out)
        p += cfg->sizes[l + 1];
    }
}

/* Parameter count and activation floats per batch row, overflow-checked. */
static rk_status mlp_sizes(const rk_mlp_config *cfg, size_t max_batch, size_t *n_params,
                           size_t *n_acts)
{
    if (cfg->n_layers == 0 || cfg->n_layers > RK_MLP_MAX_LAYERS || max_batch == 0)
        return RK_EINVAL;
    if (max_batch > INT_MAX)
        return RK_EOVERFLOW;
    size_t np = 0, per_row = 0;
    for (size_t l = 0; l <= cfg->n_layers; l++) {
        if (cfg->sizes[l] == 0)
            return RK_EINVAL;
        if (cfg->sizes[l] > INT_MAX)
            return RK_EOVERFLOW;
    }
    if (cfg->sizes[cfg->n_layers] > 256)
        return RK_EINVAL;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        size_t in = cfg->sizes[l], out = cfg->sizes[l + 1], wl;
        if (!rk_size_mul(out, in, &wl) || !rk_size_add(np, wl, &np) || !rk_size_add(np, out, &np))
            return RK_EOVERFLOW;
        // pre, dpre, and h, dh for hidden layers; probs for the last
        if (!rk_size_add(per_row, 4 * out, &per_row))
            return RK_EOVERFLOW;
    }
    size_t na;
    if (!rk_size_mul(per_row, max_batch, &na))
        return RK_EOVERFLOW;
    *n_params = np;
    *n_acts = na;
    return RK_OK;
}

rk_status rk_mlp_create(rk_mlp *net, const rk_mlp_config *cfg, size_t max_batch)
{
    if (!net)
        return RK_EINVAL;
    memset(net, 0, sizeof *net);
    if (!cfg)
        return RK_EINVAL;
    size_t np, na;
    rk_status st = mlp_sizes(cfg, max_batch, &np, &na);
    if (st != RK_OK)
        return st;
    float *params = rk_calloc(np, sizeof(float));
    float *acts = rk_calloc(na, sizeof(float));
    if (!params || !acts) {
        rk_free(params);
        rk_free(acts);
        return RK_ENOMEM;
    }
    net->cfg = *cfg;
    for (size_t l = cfg->n_layers + 1; l <= RK_MLP_MAX_LAYERS; l++)
        net->cfg.sizes[l] = 0;
    net->n_params = np;
    net->params = params;
    mlp_point(&net->p, params, cfg);
    net->max_batch = max_batch;
    net->acts = acts;
    float *a = acts;
    size_t L = cfg->n_layers;
    for (size_t l = 0; l < L; l++) {
        size_t n = max_batch * cfg->sizes[l + 1];
        net->pre[l] = a;   a += n;     // (B, Out_l)
        net->dpre[l] = a;  a += n;     // (B, Out_l)
        if (l + 1 < L) {
            net->h[l] = a;   a += n;   // (B, Out_l)
            net->dh[l] = a;  a += n;   // (B, Out_l)
        } else {
            net->probs = a;  a += n;   // (B, C)
            a += n;                    // unused: keeps the layout uniform
        }
    }
    return RK_OK;
}

void rk_mlp_free(rk_mlp *net)
{
    if (!net)
        return;
    rk_free(net->params);
    rk_free(net->grads);
    rk_free(net->acts);
    memset(net, 0, sizeof *net);
}

void rk_mlp_init(rk_mlp *net, rk_rng *rng)
{
    if (!net || !rng || !net->params)
        return;
    for (size_t l = 0; l < net->cfg.n_layers; l++) {
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        // nn.Linear.reset_parameters: kaiming_uniform_(a=√5) = U(±1/√In) for W, U(±1/√In) for b
        double bound = 1.0 / sqrt((double)in);
        for (size_t i = 0; i < out * in; i++)
            net->p.w[l][i] = (float)rk_rng_uniform_range(rng, -bound, bound);
        for (size_t o = 0; o < out; o++)
            net->p.b[l][o] = (float)rk_rng_uniform_range(rng, -bound, bound);
    }
}

size_t rk_mlp_layer_params(const rk_mlp *net, size_t l)
{
    if (!net || l >= net->cfg.n_layers)
        return 0;
    return net->cfg.sizes[l + 1] * net->cfg.sizes[l] + net->cfg.sizes[l + 1];
}

rk_status rk_mlp_grads_alloc(rk_mlp *net)
{
    if (!net || !net->params)
        return RK_EINVAL;
    if (net->grads)
        return RK_OK;
    net->grads = rk_calloc(net->n_params, sizeof(float));
    if (!net->grads)
        return RK_ENOMEM;
    mlp_point(&net->g, net->grads, &net->cfg);
    return RK_OK;
}

void rk_mlp_grads_free(rk_mlp *net)
{
    if (!net)
        return;
    rk_free(net->grads);
    net->grads = NULL;
    memset(&net->g, 0, sizeof net->g);
}

size_t rk_mlp_grads_bytes(const rk_mlp *net)
{
    return net && net->grads ? net->n_params * sizeof(float) : 0;
}

void rk_mlp_zero_grad(rk_mlp *net)
{
    if (net && net->grads)
        memset(net->grads, 0, net->n_params * sizeof(float));
}

static bool same_shape(const rk_mlp_config *a, const rk_mlp_config *b)
{
    if (a->n_layers != b->n_layers)
        return false;
    for (size_t l = 0; l <= a->n_layers; l++)
        if (a->sizes[l] != b->sizes[l])
            return false;
    return true;
}

rk_status rk_mlp_copy_params(rk_mlp *dst, const rk_mlp *src)
{
    if (!dst || !src || !dst->params || !src->params)
        return RK_EINVAL;
    if (!same_shape(&dst->cfg, &src->cfg))
        return RK_ESHAPE;
    memcpy(dst->params, src->params, src->n_params * sizeof(float));
    return RK_OK;
}

/* The adapter is applied in the forward only when it is there, on and not merged. */
static bool lora_active(const rk_lora *lo)
{
    return lo && lo->enabled && !lo->merged;
}

static rk_status lora_check(const rk_mlp *net, const rk_lora *lo, size_t batch)
{
    if (!lo)
        return RK_OK;
    if (!same_shape(&net->cfg, &lo->shape) || batch > lo->max_batch || !lo->params)
        return RK_ESHAPE;
    return RK_OK;
}

rk_status rk_mlp_forward(rk_mlp *net, rk_lora *lora, const float *x, size_t batch)
{
    if (!net || !net->params || !x || batch == 0 || batch > net->max_batch)
        return RK_EINVAL;
    rk_status st = lora_check(net, lora, batch);
    if (st != RK_OK)
        return st;
    bool ad = lora_active(lora);
    size_t L = net->cfg.n_layers;
    const float *in = x;  // (B, sizes[l]) input of layer l
    for (size_t l = 0; l < L; l++) {
        size_t n_in = net->cfg.sizes[l], n_out = net->cfg.sizes[l + 1];
        const float *bias = ad && lora->p.bias[l] ? lora->p.bias[l] : net->p.b[l];
        // pre[l] = in·W_lᵀ + b_l                                        (B, Out)
        rk_linear_forward(net->pre[l], in, net->p.w[l], bias, batch, n_in, n_out);
        // pre[l] += s·(in·A_lᵀ)·B_lᵀ, u[l] = in·A_lᵀ                     (B, R)
        if (ad && lora->p.a[l])
            rk_lora_side_forward(net->pre[l], lora->u[l], in, lora->p.a[l], lora->p.b[l],
                                 lora->scale, batch, n_in, n_out, lora->cfg.rank);
        if (l + 1 < L) {
            // h[l] = ReLU(pre[l])                                       (B, Out)
            rk_relu_forward(net->h[l], net->pre[l], batch * n_out);
            in = net->h[l];
        }
    }
    net->x = x;
    net->batch = batch;
    return RK_OK;
}

rk_status rk_mlp_loss(rk_mlp *net, const unsigned char *y, float *loss)
{
    if (!net || !y || !loss || net->batch == 0)
        return RK_EINVAL;
    size_t L = net->cfg.n_layers;
    return rk_softmax_xent_forward(net->probs, loss, net->pre[L - 1], y, net->batch,
                                   net->cfg.sizes[L]);
}

/* Clear the activation gradients of the rows in use and seed the top one with
 * the loss's gradient: the start of every backward pass. */
static void backward_start(rk_mlp *net, const unsigned char *y)
{
    size_t batch = net->batch, L = net->cfg.n_layers;
    for (size_t l = 0; l < L; l++) {
        size_t n = batch * net->cfg.sizes[l + 1];
        memset(net->dpre[l], 0, n * sizeof(float));
        if (l + 1 < L)
            memset(net->dh[l], 0, n * sizeof(float));
    }
    // forward: loss = mean xent(softmax(pre[L−1]), y)
    rk_softmax_xent_backward(net->dpre[L - 1], net->probs, y, batch, net->cfg.sizes[L]);
}

/* The backward pass; beta = 1 accumulates into net->grads, 0 overwrites them (full only). */
static rk_status mlp_backward(rk_mlp *net, rk_lora *lora, const unsigned char *y, float *dx,
                              float beta)
{
    if (!net || !y || !net->params)
        return RK_EINVAL;
    if (net->batch == 0 || !net->x)
        return RK_ESTATE;
    size_t batch = net->batch, L = net->cfg.n_layers;
    rk_status st = lora_check(net, lora, batch);
    if (st != RK_OK)
        return st;
    if (lora ? !lora_active(lora) : !net->grads)
        return RK_ESTATE;
    backward_start(net, y);
    for (size_t l = L; l-- > 0;) {
        size_t n_in = net->cfg.sizes[l], n_out = net->cfg.sizes[l + 1];
        const float *in = l ? net->h[l - 1] : net->x;   // (B, In)
        float *din = l ? net->dh[l - 1] : dx;            // (B, In) or NULL
        if (!lora) {
            // forward: pre[l] = in·W_lᵀ + b_l
            rk_linear_backward_beta(din, net->g.w[l], net->g.b[l], net->dpre[l], in,
                                    net->p.w[l], batch, n_in, n_out, beta);
        } else {
            // forward: pre[l] = in·W_lᵀ + b_l — W_l frozen: only din (and a trained bias)
            rk_linear_backward(din, NULL, lora->g.bias[l], net->dpre[l], in, net->p.w[l],
                               batch, n_in, n_out);
            // forward: pre[l] += s·(in·A_lᵀ)·B_lᵀ
            if (lora->p.a[l])
                rk_lora_side_backward(din, lora->g.a[l], lora->g.b[l], lora->du[l], net->dpre[l],
                                      in, lora->u[l], lora->p.a[l], lora->p.b[l], lora->scale,
                                      batch, n_in, n_out, lora->cfg.rank);
        }
        // forward: h[l−1] = ReLU(pre[l−1])
        if (l)
            rk_relu_backward(net->dpre[l - 1], net->dh[l - 1], net->h[l - 1], batch * n_in);
    }
    return RK_OK;
}

rk_status rk_mlp_backward_update(rk_mlp *net, rk_optim *opt, const unsigned char *y)
{
    if (!net || !opt || !y || !net->params)
        return RK_EINVAL;
    if (net->batch == 0 || !net->x || !net->grads)
        return RK_ESTATE;
    size_t batch = net->batch, L = net->cfg.n_layers;
    backward_start(net, y);
    rk_status st = rk_optim_begin_step(opt);
    for (size_t l = L; st == RK_OK && l-- > 0;) {
        size_t n_in = net->cfg.sizes[l], n_out = net->cfg.sizes[l + 1];
        const float *in = l ? net->h[l - 1] : net->x;       // (B, In)
        float *din = l ? net->dh[l - 1] : NULL;              // (B, In)
        size_t w_at = (size_t)(net->p.w[l] - net->params);
        size_t b_at = (size_t)(net->p.b[l] - net->params);
        // forward: pre[l] = in·W_lᵀ + b_l  →  din += dpre·W_l, W_l ← rule(W_l, dpreᵀ·in)
        st = rk_optim_update_linear(opt, w_at, net->p.w[l], din, net->dpre[l], in, batch,
                                    n_out, n_in);
        // db = Σ_b dpre[b, :], b_l ← rule(b_l, db)
        rk_linear_backward_beta(NULL, NULL, net->g.b[l], net->dpre[l], in, net->p.w[l], batch,
                                n_in, n_out, 0.0f);
        if (st == RK_OK)
            st = rk_optim_update(opt, b_at, net->p.b[l], net->g.b[l], n_out);
        // forward: h[l−1] = ReLU(pre[l−1])
        if (l)
            rk_relu_backward(net->dpre[l - 1], net->dh[l - 1], net->h[l - 1], batch * n_in);
    }
    return st;
}

rk_status rk_mlp_backward(rk_mlp *net, rk_lora *lora, const unsigned char *y, float *dx)
{
    return mlp_backward(net, lora, y, dx, 1.0f);
}

rk_status rk_mlp_backward_set(rk_mlp *net, const unsigned char *y, float *dx)
{
    return mlp_backward(net, NULL, y, dx, 0.0f);
}

static size_t argmax(const float *v, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

rk_status rk_mlp_predict(rk_mlp *net, rk_lora *lora, const float *x, size_t n,
                         unsigned char *pred)
{
    if (!net || (n && (!x || !pred)))
        return RK_EINVAL;
    size_t dim = net->cfg.sizes[0], C = net->cfg.sizes[net->cfg.n_layers];
    const float *logits = net->pre[net->cfg.n_layers - 1];
    for (size_t i0 = 0; i0 < n; i0 += net->max_batch) {
        size_t b = n - i0 < net->max_batch ? n - i0 : net->max_batch;
        rk_status st = rk_mlp_forward(net, lora, x + i0 * dim, b);
        if (st != RK_OK)
            return st;
        for (size_t i = 0; i < b; i++)
            pred[i0 + i] = (unsigned char)argmax(logits + i * C, C);
    }
    return RK_OK;
}

rk_status rk_mlp_evaluate(rk_mlp *net, rk_lora *lora, const float *x,
                          const unsigned char *y, size_t n, size_t *correct, size_t *confusion)
{
    if (!net || !correct || (n && (!x || !y)))
        return RK_EINVAL;
    size_t dim = net->cfg.sizes[0], C = net->cfg.sizes[net->cfg.n_layers];
    const float *logits = net->pre[net->cfg.n_layers - 1];
    for (size_t i = 0; i < n; i++)
        if (y[i] >= C)
            return RK_ELABEL;
    size_t ok = 0;
    for (size_t i0 = 0; i0 < n; i0 += net->max_batch) {
        size_t b = n - i0 < net->max_batch ? n - i0 : net->max_batch;
        rk_status st = rk_mlp_forward(net, lora, x + i0 * dim, b);
        if (st != RK_OK)
            return st;
        for (size_t i = 0; i < b; i++) {
            size_t p = argmax(logits + i * C, C), t = y[i0 + i];
            ok += p == t;
            if (confusion)
                confusion[t * C + p] += 1;
        }
    }
    *correct = ok;
    return RK_OK;
}

rk_status rk_mlp_weight_delta(rk_mat *out, const rk_mlp *ft, const rk_mlp *base, size_t l)
{
    if (!out || !ft || !base || !ft->params || !base->params)
        return RK_EINVAL;
    if (!same_shape(&ft->cfg, &base->cfg))
        return RK_ESHAPE;
    if (l >= ft->cfg.n_layers)
        return RK_ERANGE;
    size_t in = ft->cfg.sizes[l], o = ft->cfg.sizes[l + 1];
    rk_mat w0 = { 0 };
    // ΔW_full = W_ft − W0, each float difference taken in double
    rk_status st = rk_mat_from_f32(out, ft->p.w[l], o, in);
    if (st == RK_OK)
        st = rk_mat_from_f32(&w0, base->p.w[l], o, in);
    if (st == RK_OK)
        st = rk_mat_axpy(out, -1.0, &w0);
    rk_mat_free(&w0);
    if (st != RK_OK)
        rk_mat_free(out);
    return st;
}
