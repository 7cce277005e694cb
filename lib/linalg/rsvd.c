/* rsvd.c — randomized SVD by a Gaussian range finder with power iterations (HMT 2011). */
#include "linalg/rsvd.h"

#include <string.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "linalg/qr.h"

rk_rsvd_opts rk_rsvd_opts_default(size_t k)
{
    return (rk_rsvd_opts){ .k = k, .oversample = 10, .power_iters = RK_RSVD_AUTO_ITERS, .seed = 0 };
}

int rk_rsvd_power_iters(const rk_rsvd_opts *opts, size_t m, size_t n)
{
    if (!opts)
        return 0;
    if (opts->power_iters != RK_RSVD_AUTO_ITERS)
        return opts->power_iters;
    size_t mn = m < n ? m : n;
    /* k < 0.1·min(m, n), in integers: 10·k < min(m, n). */
    return (opts->k <= SIZE_MAX / 10 && 10 * opts->k < mn) ? 7 : 4;
}

bool rk_rsvd_worthwhile(size_t m, size_t n, size_t k)
{
    size_t mn = m < n ? m : n;
    return mn >= 512 && k >= 1 && k <= mn / 8;
}

/* *dst = op(a)·b freshly allocated (op = transpose when trans_a). */
static rk_status product(rk_mat *dst, bool trans_a, const rk_mat *a, const rk_mat *b)
{
    rk_status st = rk_mat_create(dst, trans_a ? a->cols : a->rows, b->cols);
    if (st)
        return st;
    st = rk_mat_gemm(trans_a, false, 1.0, a, b, 0.0, dst);
    if (st)
        rk_mat_free(dst);
    return st;
}

/* Replace *q (orthonormal, rows×l) by an orthonormal basis of op(A)·q:
 * Q ← qr(op(A)·Q). One power half-step. */
static rk_status apply_and_orthonormalise(rk_mat *q, bool trans_a, const rk_mat *a)
{
    rk_mat y = { 0 }, next = { 0 };
    rk_status st = product(&y, trans_a, a, q);
    if (st)
        return st;
    st = rk_qr_orthonormal(&next, &y);
    rk_mat_free(&y);
    if (st)
        return st;
    rk_mat_free(q);
    *q = next;
    return RK_OK;
}

/* Q (m×l, orthonormal) whose span approximates the top-l left singular
 * subspace of A: Q = qr((A·Aᵀ)^q·A·Ω), re-orthonormalised after every product. */
static rk_status range_finder(rk_mat *q, const rk_mat *a, size_t l, int iters, uint64_t seed)
{
    rk_mat omega = { 0 };
    rk_status st = rk_mat_create(&omega, a->cols, l); /* Ω (n, l) */
    if (st)
        return st;
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat_fill_normal(&omega, &rng);
    *q = omega;
    st = apply_and_orthonormalise(q, false, a); /* Q = qr(A·Ω) */
    for (int i = 0; st == RK_OK && i < iters; i++) {
        st = apply_and_orthonormalise(q, true, a); /* Q = qr(Aᵀ·Q), (n, l) */
        if (st == RK_OK)
            st = apply_and_orthonormalise(q, false, a); /* Q = qr(A·Q), (m, l) */
    }
    if (st)
        rk_mat_free(q);
    return st;
}

/* out = top k of Q·(SVD of B), B = Qᵀ·A. */
static rk_status project_and_decompose(rk_svd *out, const rk_mat *a, const rk_mat *q, size_t k)
{
    rk_mat b = { 0 };
    rk_svd small = { 0 };
    rk_status st = product(&b, true, q, a); /* B = Qᵀ·A (l, n) */
    if (st)
        return st;
    st = rk_svd_decomp(&small, &b, RK_SVD_THIN); /* B = Ũ·diag(s)·Vᵀ, Ũ (l, l) */
    rk_mat_free(&b);
    if (st)
        return st;

    out->s = rk_alloc(k * sizeof(double));
    if (!out->s) {
        st = RK_ENOMEM;
        goto done;
    }
    memcpy(out->s, small.s, k * sizeof(double));
    rk_mat uk = rk_mat_view_cols(&small.u, 0, k); /* Ũ[:, :k] (l, k) */
    st = product(&out->u, false, q, &uk);         /* U = Q·Ũ[:, :k] (m, k) */
    if (st)
        goto done;
    rk_mat vk = rk_mat_view_rows(&small.vt, 0, k); /* Vᵀ[:k, :] (k, n) */
    st = rk_mat_dup(&out->vt, &vk);
done:
    rk_svd_free(&small);
    return st;
}

rk_status rk_rsvd(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts)
{
    if (!out)
        return RK_EINVAL;
    memset(out, 0, sizeof *out);
    if (!a || !opts || opts->power_iters < RK_RSVD_AUTO_ITERS || opts->power_iters > 1000)
        return RK_EINVAL;
    size_t m = a->rows, n = a->cols, mn = m < n ? m : n, k = opts->k;
    if (k > mn)
        return RK_ERANGE;
    if (!rk_mat_is_finite(a))
        return RK_ENONFINITE;
    out->m = m;
    out->n = n;
    out->k = k;
    if (k == 0) {
        rk_status st = rk_mat_create(&out->u, m, 0);
        if (st == RK_OK)
            st = rk_mat_create(&out->vt, 0, n);
        if (st)
            rk_svd_free(out);
        return st;
    }
    size_t l = opts->oversample > mn - k ? mn : k + opts->oversample;

    rk_mat q = { 0 };
    rk_status st = range_finder(&q, a, l, rk_rsvd_power_iters(opts, m, n), opts->seed);
    if (st == RK_OK)
        st = project_and_decompose(out, a, &q, k);
    rk_mat_free(&q);
    if (st) {
        rk_svd_free(out);
        memset(out, 0, sizeof *out);
    }
    return st;
}
