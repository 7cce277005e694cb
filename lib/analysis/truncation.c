/*
 * truncation.c — the error-vs-rank table of a spectrum, its summary, and the
 * rank-r LoRA factors of a weight difference (see truncation.h for the math).
 */
#include "analysis/truncation.h"

#include <math.h>
#include <stdint.h>

#include "linalg/lowrank.h"
#include "linalg/rsvd.h"
#include "linalg/spectrum.h"
#include "linalg/svd.h"

rk_status rk_trunc_table(const double *s, size_t k, size_t m, size_t n, const size_t *ranks,
                         size_t n_ranks, rk_trunc_row *rows)
{
    if ((n_ranks > 0 && (!ranks || !rows)) || (k > 0 && !s) || k != (m < n ? m : n))
        return RK_EINVAL;
    /* ‖A‖_F = √Σσ², scaled inside spectrum.c so it neither overflows nor underflows. */
    double norm = rk_spectrum_fro(s, k);
    for (size_t i = 0; i < n_ranks; i++) {
        size_t r = ranks[i];
        if (r > k)
            return RK_ERANGE;
        rk_trunc_row *row = &rows[i];
        row->r = r;
        row->fro_err = rk_spectrum_tail_fro(s, k, r);
        row->spectral_err = r < k ? s[r] : 0.0;
        row->rel_err = norm > 0 ? row->fro_err / norm : 0.0;
        row->energy = rk_spectrum_energy(s, k, r);
        row->params = rk_lowrank_param_count(m, n, r);
    }
    return RK_OK;
}

size_t rk_trunc_default_ranks(size_t k, size_t *ranks, size_t cap)
{
    size_t count = 0;
    /* Powers of two strictly below k; p doubles until it reaches k or would overflow. */
    for (size_t p = 1; p < k; p *= 2) {
        if (count < cap)
            ranks[count] = p;
        count++;
        if (p > SIZE_MAX / 2)
            break;
    }
    if (k > 0) {
        if (count < cap)
            ranks[count] = k;
        count++;
    }
    return count;
}

rk_status rk_trunc_summarize(const double *s, size_t k, size_t m, size_t n,
                             const rk_rank_opts *opts, rk_trunc_summary *out)
{
    if (!out || (k > 0 && !s))
        return RK_EINVAL;
    out->rank = rk_rank_from_values(s, k, m, n, opts, &out->tol);
    out->rank_90 = rk_spectrum_rank_for_energy(s, k, 0.9);
    out->rank_99 = rk_spectrum_rank_for_energy(s, k, 0.99);
    out->stable_rank = rk_spectrum_stable_rank(s, k);
    out->effective_rank = rk_spectrum_effective_rank(s, k);
    out->fro = rk_spectrum_fro(s, k);
    out->spectral = rk_spectrum_spectral(s, k);
    return RK_OK;
}

/* The errors of b·a as an approximation of d, formed (randomized case, see truncation.h). */
static rk_status formed_row(const rk_mat *d, const rk_mat *b, const rk_mat *a, const rk_svd *svd,
                            rk_trunc_row *row)
{
    rk_mat res;
    rk_status s = rk_mat_dup(&res, d);
    if (s != RK_OK)
        return s;
    if (b->cols > 0 && (s = rk_mat_gemm(false, false, -1.0, b, a, 1.0, &res)) != RK_OK) {
        rk_mat_free(&res);
        return s;
    }
    double norm = rk_mat_norm_fro(d), acc = 0.0;
    for (size_t i = 0; i < svd->k && norm > 0; i++)
        acc += (svd->s[i] / norm) * (svd->s[i] / norm);
    row->r = svd->k;
    row->fro_err = rk_mat_norm_fro(&res);
    row->spectral_err = NAN;
    row->rel_err = norm > 0 ? row->fro_err / norm : 0.0;
    row->energy = acc < 1.0 ? acc : 1.0;
    row->params = rk_lowrank_param_count(d->rows, d->cols, svd->k);
    rk_mat_free(&res);
    return RK_OK;
}

rk_status rk_trunc_lora(rk_mat *b, rk_mat *a, const rk_mat *delta, size_t r,
                        const rk_trunc_lora_opts *opts, rk_trunc_row *row)
{
    if (!b || !a || !delta)
        return RK_EINVAL;
    *b = (rk_mat){ 0 };
    *a = (rk_mat){ 0 };
    size_t k = delta->rows < delta->cols ? delta->rows : delta->cols;
    if (r > k)
        return RK_ERANGE;
    bool randomized = opts && opts->randomized;
    rk_svd svd;
    rk_status s;
    if (randomized) {
        rk_rsvd_opts ro = rk_rsvd_opts_default(r);
        ro.seed = opts->seed;
        s = rk_rsvd(&svd, delta, &ro);
    } else {
        s = rk_svd_decomp(&svd, delta, RK_SVD_THIN);
    }
    if (s != RK_OK)
        return s;
    /* B = U_r·S_r (m×r), A = V_rᵀ (r×n): B·A = U_r·S_r·V_rᵀ = [ΔW]_r. */
    s = rk_lowrank_factors(b, a, &svd, r, RK_SPLIT_US);
    if (s == RK_OK && row)
        s = randomized ? formed_row(delta, b, a, &svd, row)
                       : rk_trunc_table(svd.s, svd.k, svd.m, svd.n, &r, 1, row);
    rk_svd_free(&svd);
    if (s != RK_OK) {
        rk_mat_free(b);
        rk_mat_free(a);
    }
    return s;
}
