/* lowrank.c — truncated SVD: A_r = U_r·S_r·V_rᵀ, its factors B·A and its errors. */
#include "linalg/lowrank.h"

#include <math.h>
#include <stdint.h>

#include "core/alloc.h"
#include "linalg/spectrum.h"

/* true when svd holds U (m×k or m×m) and Vt (k×n or n×n), i.e. it was not
 * computed in values-only mode. A 0×0 matrix passes either way: its
 * approximation is the empty matrix whatever the mode. */
static bool has_vectors(const rk_svd *svd)
{
    if (svd->u.rows != svd->m || svd->vt.cols != svd->n || svd->u.cols < svd->k ||
        svd->vt.rows < svd->k)
        return false;
    return svd->k == 0 || (svd->s && svd->u.data && svd->vt.data);
}

static rk_status check(const rk_svd *svd, size_t r)
{
    if (!svd || !has_vectors(svd))
        return RK_EINVAL;
    return r > svd->k ? RK_ERANGE : RK_OK;
}

/* Allocate B = U_r · diag(σ_j^power), power 1 or ½ (m×r). */
static rk_status scaled_left(rk_mat *b, const rk_svd *svd, size_t r, bool sqrt_s)
{
    rk_status st = rk_mat_create(b, svd->m, r);
    if (st)
        return st;
    for (size_t j = 0; j < r; j++) {
        double f = sqrt_s ? sqrt(svd->s[j]) : svd->s[j];
        for (size_t i = 0; i < svd->m; i++)
            RK_AT(b, i, j) = RK_AT(&svd->u, i, j) * f;
    }
    return RK_OK;
}

/* Allocate A = diag(σ_j^power) · V_rᵀ, power 0 or ½ (r×n). */
static rk_status scaled_right(rk_mat *a, const rk_svd *svd, size_t r, bool sqrt_s)
{
    rk_status st = rk_mat_create(a, r, svd->n);
    if (st)
        return st;
    for (size_t j = 0; j < r; j++) {
        double f = sqrt_s ? sqrt(svd->s[j]) : 1.0;
        for (size_t c = 0; c < svd->n; c++)
            RK_AT(a, j, c) = f * RK_AT(&svd->vt, j, c);
    }
    return RK_OK;
}

rk_status rk_lowrank_approx(rk_mat *ak, const rk_svd *svd, size_t r)
{
    if (!ak)
        return RK_EINVAL;
    *ak = (rk_mat){ 0 };
    rk_status st = check(svd, r);
    if (st)
        return st;
    /* A_r = (U_r·S_r) · V_rᵀ: scale r columns, then one dgemm. */
    rk_mat us;
    st = scaled_left(&us, svd, r, false);
    if (st)
        return st;
    st = rk_mat_create(ak, svd->m, svd->n);
    if (st == RK_OK) {
        rk_mat vt_r = rk_mat_view_rows(&svd->vt, 0, r);
        st = rk_mat_gemm(false, false, 1.0, &us, &vt_r, 0.0, ak);
        if (st)
            rk_mat_free(ak);
    }
    rk_mat_free(&us);
    return st;
}

rk_status rk_lowrank_factors(rk_mat *b, rk_mat *a, const rk_svd *svd, size_t r, rk_split split)
{
    if (!b || !a)
        return RK_EINVAL;
    *b = (rk_mat){ 0 };
    *a = (rk_mat){ 0 };
    if (split != RK_SPLIT_US && split != RK_SPLIT_BALANCED)
        return RK_EINVAL;
    rk_status st = check(svd, r);
    if (st)
        return st;
    bool balanced = split == RK_SPLIT_BALANCED;
    st = scaled_left(b, svd, r, balanced);
    if (st == RK_OK)
        st = scaled_right(a, svd, r, balanced);
    if (st) {
        rk_mat_free(b);
        rk_mat_free(a);
    }
    return st;
}

rk_status rk_lowrank_errors(const rk_svd *svd, size_t r, double *fro, double *spectral)
{
    if (!svd || (svd->k > 0 && !svd->s))
        return RK_EINVAL;
    if (r > svd->k)
        return RK_ERANGE;
    if (fro)
        *fro = rk_spectrum_tail_fro(svd->s, svd->k, r);
    if (spectral)
        *spectral = r < svd->k ? svd->s[r] : 0.0;
    return RK_OK;
}

size_t rk_lowrank_param_count(size_t m, size_t n, size_t r)
{
    size_t sum, count;
    if (!rk_size_add(m, n, &sum) || !rk_size_mul(r, sum, &count))
        return SIZE_MAX;
    return count;
}
