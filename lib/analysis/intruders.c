/* intruders.c — intruder dimensions and their mitigation (see intruders.h). */
#include "analysis/intruders.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

void rk_intruders_free(rk_intruders *r)
{
    if (!r)
        return;
    rk_free(r->max_cos);
    rk_free(r->argmax);
    rk_free(r->is_intruder);
    rk_svd_free(&r->base);
    rk_svd_free(&r->ft);
    memset(r, 0, sizeof *r);
}

static rk_status check_args(const rk_intruders *out, const rk_mat *w0, const rk_mat *w_ft,
                            size_t top, double eps)
{
    if (!out || !w0 || !w_ft || !(eps > 0.0 && eps <= 1.0))
        return RK_EINVAL;
    if (w0->rows != w_ft->rows || w0->cols != w_ft->cols || w0->rows == 0 || w0->cols == 0)
        return RK_ESHAPE;
    size_t k = w0->rows < w0->cols ? w0->rows : w0->cols;
    if (top == 0 || top > k)
        return RK_ERANGE;
    return RK_OK;
}

/* Which of the blind spots of the test (intruders.h) applies. */
static rk_intruder_trivial triviality(size_t m, size_t k, size_t top, double eps)
{
    if (top >= m)
        return RK_INTRUDER_WHOLE_BASIS;
    if (k == m && 1.0 / sqrt((double)m) >= eps) /* every unit vector has some |cos| ≥ 1/√m */
        return RK_INTRUDER_NONE_POSSIBLE;
    return RK_INTRUDER_MEANINGFUL;
}

/* c_i = max_j |u′_iᵀ u_j| from the K×k product C = U′[:, :K]ᵀ·U0. */
static rk_status max_cosines(rk_intruders *r)
{
    rk_mat c;
    rk_status s = rk_intruders_cos_table(&c, r, r->k);
    if (s != RK_OK)
        return s;
    r->count = 0;
    for (size_t i = 0; i < r->top; i++) {
        double best = -1.0;
        size_t at = 0;
        for (size_t j = 0; j < r->k; j++) {
            if (RK_AT(&c, i, j) > best) {
                best = RK_AT(&c, i, j);
                at = j;
            }
        }
        r->max_cos[i] = best;
        r->argmax[i] = at;
        r->is_intruder[i] = best < r->eps;
        r->count += r->is_intruder[i];
    }
    rk_mat_free(&c);
    return RK_OK;
}

/* W0's thin SVD: computed from @p w0, or a copy of U0 and σ from @p given. */
static rk_status base_svd(rk_svd *out, const rk_mat *w0, const rk_svd *given)
{
    if (!given)
        return rk_svd_decomp(out, w0, RK_SVD_THIN);
    memset(out, 0, sizeof *out);
    out->m = given->m, out->n = given->n, out->k = given->k;
    out->s = rk_alloc(given->k * sizeof *out->s);
    rk_status s = out->s ? rk_mat_dup(&out->u, &given->u) : RK_ENOMEM;
    if (s == RK_OK)
        memcpy(out->s, given->s, given->k * sizeof *out->s);
    else
        rk_svd_free(out);
    return s;
}

static rk_status find(rk_intruders *out, const rk_mat *w0, const rk_svd *given, const rk_mat *w_ft,
                      size_t top, double eps)
{
    rk_status s = check_args(out, w0, w_ft, top, eps);
    if (s != RK_OK)
        return s;
    memset(out, 0, sizeof *out);
    rk_intruders r = { .m = w0->rows, .n = w0->cols, .top = top, .eps = eps };
    r.k = r.m < r.n ? r.m : r.n;
    r.trivial = triviality(r.m, r.k, top, eps);
    r.max_cos = rk_calloc(top, sizeof *r.max_cos);
    r.argmax = rk_calloc(top, sizeof *r.argmax);
    r.is_intruder = rk_calloc(top, sizeof *r.is_intruder);
    if (!r.max_cos || !r.argmax || !r.is_intruder)
        s = RK_ENOMEM;
    if (s == RK_OK)
        s = base_svd(&r.base, w0, given);
    if (s == RK_OK)
        s = rk_svd_decomp(&r.ft, w_ft, RK_SVD_THIN);
    if (s == RK_OK)
        s = max_cosines(&r);
    if (s != RK_OK) {
        rk_intruders_free(&r);
        return s;
    }
    *out = r;
    return RK_OK;
}

rk_status rk_intruders_find(rk_intruders *out, const rk_mat *w0, const rk_mat *w_ft, size_t top,
                            double eps)
{
    return find(out, w0, NULL, w_ft, top, eps);
}

rk_status rk_intruders_find_svd(rk_intruders *out, const rk_mat *w0, const rk_svd *w0_svd,
                                const rk_mat *w_ft, size_t top, double eps)
{
    if (!w0_svd || !w0 || w0_svd->m != w0->rows || w0_svd->n != w0->cols || !w0_svd->u.data ||
        w0_svd->u.cols != w0_svd->k)
        return w0_svd && w0 ? RK_ESHAPE : RK_EINVAL;
    return find(out, w0, w0_svd, w_ft, top, eps);
}

rk_status rk_intruders_cos_table(rk_mat *cos, const rk_intruders *r, size_t nbase)
{
    if (!cos || !r || !r->ft.u.data || !r->base.u.data)
        return RK_EINVAL;
    if (nbase == 0 || nbase > r->k)
        return RK_ERANGE;
    rk_mat uft = rk_mat_view_cols(&r->ft.u, 0, r->top);   /* (m, K) */
    rk_mat u0 = rk_mat_view_cols(&r->base.u, 0, nbase);   /* (m, nbase) */
    rk_status s = rk_mat_create(cos, r->top, nbase);
    if (s != RK_OK)
        return s;
    if ((s = rk_mat_gemm(true, false, 1.0, &uft, &u0, 0.0, cos)) != RK_OK) { /* U′ᵀ·U0 */
        rk_mat_free(cos);
        return s;
    }
    for (size_t i = 0; i < cos->rows; i++)
        for (size_t j = 0; j < cos->cols; j++)
            RK_AT(cos, i, j) = fabs(RK_AT(cos, i, j));
    return RK_OK;
}

rk_status rk_intruders_scale(rk_mat *w, const rk_intruders *r, double lambda)
{
    if (!w || !r || !r->ft.u.data || !(lambda >= 0.0) || !isfinite(lambda))
        return RK_EINVAL;
    if (w->rows != r->m || w->cols != r->n)
        return RK_ESHAPE;
    if (lambda == 1.0)
        return RK_OK;
    /* W += Σ_{i∈I} ((λ − 1)·σ′_i) · u′_i v′_iᵀ, one rank-1 update per intruder */
    for (size_t i = 0; i < r->top; i++) {
        if (!r->is_intruder[i])
            continue;
        double c = (lambda - 1.0) * r->ft.s[i];
        for (size_t p = 0; p < r->m; p++) {
            double up = c * RK_AT(&r->ft.u, p, i);
            const double *v = &r->ft.vt.data[i * r->ft.vt.stride];
            double *row = &w->data[p * w->stride];
            for (size_t q = 0; q < r->n; q++)
                row[q] += up * v[q];
        }
    }
    return RK_OK;
}

rk_status rk_intruders_refactor(rk_mat *b, rk_mat *a, double *rel_left, const rk_mat *d, size_t rank)
{
    if (!b || !a || !rel_left || !d)
        return RK_EINVAL;
    *b = (rk_mat){ 0 };
    *a = (rk_mat){ 0 };
    size_t k = d->rows < d->cols ? d->rows : d->cols;
    if (rank == 0 || rank > k)
        return RK_ERANGE;
    rk_svd svd;
    rk_status s = rk_svd_decomp(&svd, d, RK_SVD_THIN);
    if (s != RK_OK)
        return s;
    if ((s = rk_mat_create(b, d->rows, rank)) == RK_OK)
        s = rk_mat_create(a, rank, d->cols);
    if (s != RK_OK) {
        rk_mat_free(b);
        rk_svd_free(&svd);
        return s;
    }
    for (size_t t = 0; t < rank; t++) {
        double root = sqrt(svd.s[t]);
        for (size_t p = 0; p < d->rows; p++)
            RK_AT(b, p, t) = RK_AT(&svd.u, p, t) * root;   /* B = U_r·diag(√d) */
        for (size_t q = 0; q < d->cols; q++)
            RK_AT(a, t, q) = root * RK_AT(&svd.vt, t, q);  /* A = diag(√d)·V_rᵀ */
    }
    /* the part left out, √(Σ_{i>r} d_i²) / ‖d‖_F, summed from the small end */
    double tail = 0.0, all = 0.0;
    for (size_t i = k; i-- > 0;) {
        all += svd.s[i] * svd.s[i];
        if (i >= rank)
            tail = all;
    }
    *rel_left = all > 0.0 ? sqrt(tail / all) : 0.0;
    rk_svd_free(&svd);
    return RK_OK;
}

const char *rk_intruder_trivial_text(rk_intruder_trivial t)
{
    switch (t) {
    case RK_INTRUDER_MEANINGFUL:
        return "meaningful";
    case RK_INTRUDER_WHOLE_BASIS:
        return "the top K left vectors span all of R^m, as W0's do: the count would only "
               "measure how one basis is rotated against the other";
    case RK_INTRUDER_NONE_POSSIBLE:
        return "W0's left vectors span all of R^m and 1/sqrt(m) >= eps: every unit vector "
               "has a cosine >= eps with one of them, so none can be an intruder";
    }
    return "unknown";
}
