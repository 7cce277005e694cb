/* delta.c — relative error of a learned update, the Eckart–Young optimum, rank and Frobenius cosine. */
#include "analysis/delta.h"

#include <math.h>

#include "linalg/rank.h"
#include "linalg/spectrum.h"

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
    if (!s || k == 0)
        return 0.0;
    double total = rk_spectrum_fro(s, k); /* ‖ΔW‖_F from the spectrum */
    return total > 0.0 ? rk_spectrum_tail_fro(s, k, r) / total : 0.0;
}

rk_status rk_delta_rank(size_t *rank, const rk_mat *a)
{
    if (!rank || !a)
        return RK_EINVAL;
    return rk_rank(a, NULL, rank, NULL); /* numpy's rule: σ > σ₁·max(m, n)·ε */
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
