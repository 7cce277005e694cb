/* delta.c — relative error of a learned update, the Eckart–Young optimum, rank and Frobenius cosine. */
#include "analysis/delta.h"

#include <float.h>
#include <math.h>

#include "linalg/svd.h"

rk_status rk_delta_rel_err(double *out, const rk_mat *lora, const rk_mat *full)
{
    if (!out || !lora || !full)
        return RK_EINVAL;
    if (lora->rows != full->rows || lora->cols != full->cols)
        return RK_ESHAPE;
    if (!rk_mat_is_finite(lora) || !rk_mat_is_finite(full))
        return RK_ENONFINITE;
    rk_mat diff = { 0 };
    rk_status st = rk_mat_dup(&diff, lora);
    if (st)
        return st;
    rk_mat_axpy(&diff, -1.0, full); /* ΔW_lora − ΔW_full */
    double num = rk_mat_norm_fro(&diff), den = rk_mat_norm_fro(full);
    rk_mat_free(&diff);
    *out = den > 0.0 ? num / den : (num > 0.0 ? INFINITY : 0.0);
    return RK_OK;
}

double rk_delta_eckart_young_rel_err(const double *s, size_t k, size_t r)
{
    if (!s || k == 0 || s[0] == 0.0 || r >= k)
        return 0.0; /* a zero matrix, or nothing truncated */
    if (r == 0)
        return 1.0;
    /* Divide by σ₁ first: (σ_i/σ₁)² ≤ 1, so neither sum overflows. */
    double tail = 0.0, total = 0.0;
    for (size_t i = 0; i < k; i++) {
        double x = s[i] / s[0];
        total += x * x;
        if (i >= r)
            tail += x * x;
    }
    return sqrt(tail / total);
}

rk_status rk_delta_rank(size_t *rank, const rk_mat *a)
{
    if (!rank || !a)
        return RK_EINVAL;
    rk_svd svd = { 0 };
    rk_status st = rk_svd_decomp(&svd, a, RK_SVD_VALUES);
    if (st)
        return st;
    size_t big = a->rows > a->cols ? a->rows : a->cols, count = 0;
    if (svd.k) {
        double tol = svd.s[0] * (double)big * DBL_EPSILON; /* numpy.linalg.matrix_rank */
        while (count < svd.k && svd.s[count] > tol)
            count++;
    }
    rk_svd_free(&svd);
    *rank = count;
    return RK_OK;
}

rk_status rk_delta_cosine(double *out, const rk_mat *a, const rk_mat *b)
{
    if (!out || !a || !b)
        return RK_EINVAL;
    if (a->rows != b->rows || a->cols != b->cols)
        return RK_ESHAPE;
    if (!rk_mat_is_finite(a) || !rk_mat_is_finite(b))
        return RK_ENONFINITE;
    double na = rk_mat_norm_fro(a), nb = rk_mat_norm_fro(b);
    if (na == 0.0 || nb == 0.0) {
        *out = 0.0;
        return RK_OK;
    }
    /* ⟨A/‖A‖, B/‖B‖⟩: normalising first keeps the sum in range. */
    double dot = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            dot += (RK_AT(a, i, j) / na) * (RK_AT(b, i, j) / nb);
    *out = dot > 1.0 ? 1.0 : (dot < -1.0 ? -1.0 : dot);
    return RK_OK;
}
