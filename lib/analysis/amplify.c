/* amplify.c — ‖Uᵀ·W0·V‖_F along ΔW's, W0's own and random directions; the amplification factor. */
#include "analysis/amplify.h"

#include <math.h>

#include "core/rng.h"
#include "linalg/qr.h"

/* ‖Uᵀ·W0·V‖_F for U (Out×r) and V given as columns (In×r) or, when
 * @p v_rows, as the rows of Vᵀ (r×In). */
static rk_status projection(double *out, const rk_mat *w0, const rk_mat *u, const rk_mat *v,
                            bool v_rows)
{
    size_t r = u->cols;
    rk_mat t = { 0 }, p = { 0 };
    rk_status st = rk_mat_create(&t, w0->rows, r);
    if (st == RK_OK)
        st = rk_mat_create(&p, r, r);
    if (st == RK_OK)
        st = rk_mat_gemm(false, v_rows, 1.0, w0, v, 0.0, &t); /* T = W0·V (Out, r) */
    if (st == RK_OK)
        st = rk_mat_gemm(true, false, 1.0, u, &t, 0.0, &p);   /* P = Uᵀ·T (r, r) */
    if (st == RK_OK)
        *out = rk_mat_norm_fro(&p);
    rk_mat_free(&t);
    rk_mat_free(&p);
    return st;
}

/* Projection onto the top-r singular vectors held by @p svd. */
static rk_status svd_projection(double *out, const rk_mat *w0, const rk_svd *svd, size_t r)
{
    rk_mat u = rk_mat_view_cols(&svd->u, 0, r);
    rk_mat vt = rk_mat_view_rows(&svd->vt, 0, r);
    return projection(out, w0, &u, &vt, true);
}

/* Projection onto a Gaussian pair made orthonormal by QR (uniform on the Stiefel manifold). */
static rk_status random_projection(double *out, const rk_mat *w0, size_t r, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    rk_mat gu = { 0 }, gv = { 0 }, u = { 0 }, v = { 0 };
    rk_status st = rk_mat_create(&gu, w0->rows, r);
    if (st == RK_OK)
        st = rk_mat_create(&gv, w0->cols, r);
    if (st == RK_OK) {
        rk_mat_fill_normal(&gu, &rng);
        rk_mat_fill_normal(&gv, &rng);
        st = rk_qr_orthonormal(&u, &gu);
    }
    if (st == RK_OK)
        st = rk_qr_orthonormal(&v, &gv);
    if (st == RK_OK)
        st = projection(out, w0, &u, &v, false);
    rk_mat_free(&gu);
    rk_mat_free(&gv);
    rk_mat_free(&u);
    rk_mat_free(&v);
    return st;
}

static rk_status check_svd(const rk_svd *svd, const rk_mat *w, size_t r)
{
    if (!svd || svd->u.rows == 0 || svd->vt.cols == 0)
        return RK_EINVAL; /* values-only, or nothing to project on */
    if (svd->m != w->rows || svd->n != w->cols || svd->u.rows != w->rows || svd->vt.cols != w->cols)
        return RK_ESHAPE;
    if (r > svd->u.cols || r > svd->vt.rows)
        return RK_ERANGE;
    return RK_OK;
}

rk_status rk_amplify_from_svd(rk_amplify *out, const rk_mat *w0, const rk_mat *delta,
                              const rk_svd *w0_svd, const rk_svd *delta_svd, size_t r,
                              uint64_t seed)
{
    if (!out || !w0 || !delta || !w0_svd || !delta_svd)
        return RK_EINVAL;
    if (w0->rows != delta->rows || w0->cols != delta->cols)
        return RK_ESHAPE;
    if (r == 0 || r > w0->rows || r > w0->cols)
        return RK_ERANGE;
    rk_status st = check_svd(w0_svd, w0, r);
    if (st == RK_OK)
        st = check_svd(delta_svd, delta, r);
    if (st)
        return st;
    if (!rk_mat_is_finite(w0) || !rk_mat_is_finite(delta))
        return RK_ENONFINITE;

    rk_amplify a = { .r = r, .delta_fro = rk_mat_norm_fro(delta), .w0_fro = rk_mat_norm_fro(w0) };
    st = svd_projection(&a.proj_delta, w0, delta_svd, r);
    if (st == RK_OK)
        st = svd_projection(&a.proj_w0, w0, w0_svd, r);
    if (st == RK_OK)
        st = random_projection(&a.proj_random, w0, r, seed);
    if (st)
        return st;
    a.factor = a.proj_delta > 0.0 ? a.delta_fro / a.proj_delta : INFINITY;
    *out = a;
    return RK_OK;
}

rk_status rk_amplify_compute(rk_amplify *out, const rk_mat *w0, const rk_mat *delta, size_t r,
                             uint64_t seed)
{
    if (!out || !w0 || !delta)
        return RK_EINVAL;
    if (w0->rows != delta->rows || w0->cols != delta->cols)
        return RK_ESHAPE;
    if (r == 0 || r > w0->rows || r > w0->cols)
        return RK_ERANGE;
    rk_svd sw = { 0 }, sd = { 0 };
    rk_status st = rk_svd_decomp(&sw, w0, RK_SVD_THIN);
    if (st == RK_OK)
        st = rk_svd_decomp(&sd, delta, RK_SVD_THIN);
    if (st == RK_OK)
        st = rk_amplify_from_svd(out, w0, delta, &sw, &sd, r, seed);
    rk_svd_free(&sw);
    rk_svd_free(&sd);
    return st;
}
