/* rsvd.c — randomized SVD by a Gaussian range finder with power iterations (HMT 2011). */
#include "linalg/rsvd.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/rng.h"
#include "linalg/qr.h"

rk_rsvd_opts rk_rsvd_opts_default(size_t k)
{
    return (rk_rsvd_opts){ .k = k, .oversample = 10, .power_iters = RK_RSVD_AUTO_ITERS, .seed = 0,
                           .tol = 0.0 };
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

/* out = the top k of A ≈ Q·B, B = Zᵀ, from the thin SVD of Z = Aᵀ·Q (n×l):
 *   Z = Uz·diag(s)·Wᵀ  ⇒  B = W·diag(s)·Uzᵀ,  so  U = Q·W[:, :k],  Vᵀ = Uz[:, :k]ᵀ.
 * zs->vt holds Wᵀ (l×l) and zs->u holds Uz (n×l). */
static rk_status lift(rk_svd *out, const rk_mat *q, const rk_svd *zs, size_t k)
{
    out->s = rk_alloc(k * sizeof(double));
    if (!out->s)
        return RK_ENOMEM;
    memcpy(out->s, zs->s, k * sizeof(double));
    rk_mat ub = rk_mat_view_rows(&zs->vt, 0, k);     /* W[:, :k]ᵀ (k, l) */
    rk_status st = rk_mat_create(&out->u, q->rows, k);
    if (st == RK_OK)
        st = rk_mat_gemm(false, true, 1.0, q, &ub, 0.0, &out->u); /* U = Q·W[:, :k] (m, k) */
    if (st == RK_OK) {
        rk_mat vk = rk_mat_view_cols(&zs->u, 0, k);  /* Uz[:, :k] = V[:, :k] (n, k) */
        st = rk_mat_transpose(&out->vt, &vk);       /* Vᵀ (k, n) */
    }
    return st;
}

/* max_{j<k} |s_j − prev_j| ≤ tol·s_0: the top-k estimates have settled. */
static bool settled(const double *s, const double *prev, size_t k, double tol)
{
    for (size_t j = 0; j < k; j++)
        if (!(fabs(s[j] - prev[j]) <= tol * s[0]))
            return false;
    return true;
}

/*
 * The range finder and the projection in one loop. Q = qr(A·Ω); then each
 * round computes Z = Aᵀ·Q, which is Bᵀ = (Qᵀ·A)ᵀ for the current Q, and either
 * stops there (iterations done, or with tol > 0 the singular values of Z
 * settled) or continues the power iteration with Q = qr(A·qr(Z)). So B costs
 * no product of its own: 2q + 2 products of A in all (fewer when it stops early).
 */
static rk_status rsvd_core(rk_svd *out, const rk_mat *a, size_t k, size_t l, int iters,
                           double tol, uint64_t seed, rk_rsvd_stats *stats)
{
    rk_mat q = { 0 }, z = { 0 };
    rk_svd zs = { 0 };
    double *prev = NULL;
    rk_status st = rk_mat_create(&q, a->cols, l); /* Ω (n, l) */
    if (st)
        return st;
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat_fill_normal(&q, &rng);
    st = apply_and_orthonormalise(&q, false, a); /* Q = qr(A·Ω) (m, l) */
    stats->products = 1;
    if (st == RK_OK && tol > 0.0 && !(prev = rk_alloc(k * sizeof(double))))
        st = RK_ENOMEM;
    for (int i = 0; st == RK_OK; i++) {
        st = product(&z, true, a, &q); /* Z = Aᵀ·Q = Bᵀ (n, l) */
        if (st)
            break;
        stats->products++;
        stats->power_iters = i;
        bool last = i == iters;
        if (last || tol > 0.0) {
            st = rk_svd_decomp(&zs, &z, RK_SVD_THIN);
            if (st)
                break;
            if (last || (i > 0 && settled(zs.s, prev, k, tol))) {
                st = lift(out, &q, &zs, k);
                break;
            }
            memcpy(prev, zs.s, k * sizeof(double));
            rk_svd_free(&zs);
        }
        rk_mat next = { 0 };
        st = rk_qr_orthonormal(&next, &z); /* qr(Aᵀ·Q) (n, l) */
        rk_mat_free(&z);
        if (st)
            break;
        rk_mat_free(&q);
        q = next;
        st = apply_and_orthonormalise(&q, false, a); /* Q = qr(A·Q) (m, l) */
        stats->products++;
    }
    rk_free(prev);
    rk_svd_free(&zs);
    rk_mat_free(&z);
    rk_mat_free(&q);
    return st;
}

rk_status rk_rsvd(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts)
{
    return rk_rsvd_with_stats(out, a, opts, NULL);
}

rk_status rk_rsvd_with_stats(rk_svd *out, const rk_mat *a, const rk_rsvd_opts *opts,
                             rk_rsvd_stats *stats)
{
    rk_rsvd_stats ignored;
    if (!stats)
        stats = &ignored;
    *stats = (rk_rsvd_stats){ 0, 0 };
    if (!out)
        return RK_EINVAL;
    memset(out, 0, sizeof *out);
    if (!a || !opts || opts->power_iters < RK_RSVD_AUTO_ITERS || opts->power_iters > 1000 ||
        !(opts->tol >= 0.0))
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

    rk_status st = rsvd_core(out, a, k, l, rk_rsvd_power_iters(opts, m, n), opts->tol, opts->seed,
                             stats);
    if (st) {
        rk_svd_free(out);
        memset(out, 0, sizeof *out);
        *stats = (rk_rsvd_stats){ 0, 0 };
    }
    return st;
}
