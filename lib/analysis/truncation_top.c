/*
 * truncation_top.c — what the top K singular values and ‖A‖_F tell exactly,
 * and the rank-r LoRA factors of a float32 weight difference by the
 * randomized SVD (see truncation.h).
 *
 * For any r ≤ K, with σ₁ ≥ … ≥ σ_K the top singular values of A:
 *   ‖A − A_r‖_F² = Σ_{i>r} σ_i² = ‖A‖_F² − Σ_{i≤r} σ_i²
 * (the σ_i² add up to ‖A‖_F²), so the error-vs-rank table up to K, the energy
 * kept and the ranks reaching an energy level up to K need only the top K and
 * ‖A‖_F, which one pass over the entries gives.
 */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "analysis/truncation.h"
#include "core/alloc.h"
#include "linalg/lowrank.h"
#include "linalg/rsvd.h"

rk_status rk_trunc_table_top(const double *s, size_t k_top, double fro, size_t m, size_t n,
                             const size_t *ranks, size_t n_ranks, rk_trunc_row *rows)
{
    size_t k = m < n ? m : n;
    if ((!s && k_top) || (!ranks && n_ranks) || (!rows && n_ranks) || k_top > k || !(fro >= 0))
        return RK_EINVAL;
    double fro2 = fro * fro;
    for (size_t j = 0; j < n_ranks; j++) {
        size_t r = ranks[j];
        if (r > k_top)
            return RK_ERANGE;
        double kept = 0.0;
        for (size_t i = 0; i < r; i++)
            kept += s[i] * s[i];
        double left = fro2 - kept; /* Σ_{i>r} σ_i², ≥ 0 up to rounding */
        rk_trunc_row *row = &rows[j];
        row->r = r;
        row->fro_err = left > 0 ? sqrt(left) : 0.0;
        row->spectral_err = r < k_top ? s[r] : r == k ? 0.0 : NAN; /* σ_{r+1}, unknown past K */
        row->rel_err = fro > 0 ? row->fro_err / fro : 0.0;
        row->energy = fro2 > 0 ? (kept < fro2 ? kept / fro2 : 1.0) : 0.0;
        row->params = rk_lowrank_param_count(m, n, r);
    }
    return RK_OK;
}

size_t rk_trunc_rank_for_energy_top(const double *s, size_t k_top, double fro, double level)
{
    if (!(fro > 0) || level <= 0)
        return 0;
    double kept = 0.0, fro2 = fro * fro;
    for (size_t i = 0; i < k_top; i++) {
        kept += s[i] * s[i];
        if (kept >= level * fro2)
            return i + 1;
    }
    return SIZE_MAX;
}

/* ‖D − c·B·A‖_F for float D (m×n), B (m×r), A (r×n): row blocks of the
 * residual formed by sgemm (D's rows copied, c·B·A subtracted), squared and
 * summed in double. The residual's entries are float roundings (relative
 * 6e-8 of |D_ij|), far below the 1e-3 the errors are read to. */
static rk_status written_error(const float *d, size_t m, size_t n, const float *b, const float *a,
                               size_t r, double c, double *out)
{
    enum { ROWS = 256 };
    float *blk = rk_alloc(ROWS * n * sizeof(float) + 1);
    double ss = 0.0;
    if (!blk)
        return RK_ENOMEM;
    for (size_t i0 = 0; i0 < m; i0 += ROWS) {
        size_t rows = m - i0 < ROWS ? m - i0 : ROWS;
        memcpy(blk, d + i0 * n, rows * n * sizeof(float));
        if (r)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)r, (float)-c,
                        b + i0 * r, (int)r, a, (int)n, 1.0f, blk, (int)n);
        double part = 0.0;
        for (size_t i = 0; i < rows * n; i++)
            part += (double)blk[i] * blk[i];
        ss += part;
    }
    rk_free(blk);
    *out = sqrt(ss);
    return RK_OK;
}

rk_rsvd_opts rk_trunc_f32_rsvd_opts(size_t k, int power_iters)
{
    rk_rsvd_opts o = rk_rsvd_opts_default(k);
    o.precision = RK_RSVD_PREC_SINGLE;
    o.power_iters = power_iters < 0 ? RK_TRUNC_F32_MAX_ITERS : power_iters;
    o.err_tol = power_iters < 0 ? RK_TRUNC_F32_ERR_TOL : 0.0;
    return o;
}

rk_status rk_trunc_lora_f32(const float *delta, size_t m, size_t n, size_t r, double scale,
                            int power_iters, uint64_t seed, rk_trunc_lora32 *out)
{
    if (!delta || !out || !(scale > 0) || m > INT_MAX || n > INT_MAX)
        return RK_EINVAL;
    *out = (rk_trunc_lora32){ 0 };
    if (r > (m < n ? m : n))
        return RK_ERANGE;
    rk_rsvd_opts ro = rk_trunc_f32_rsvd_opts(r, power_iters);
    ro.seed = seed;
    rk_svd svd;
    rk_status st = rk_rsvd_f32(&svd, delta, m, n, &ro, &out->stats, &out->norm);
    if (st)
        return st;
    out->b = rk_alloc(m * r * sizeof(float) + 1);
    out->a = rk_alloc(r * n * sizeof(float) + 1);
    if (!out->b || !out->a)
        st = RK_ENOMEM;
    /* B = U_r·S_r / scale (m×r), A = V_rᵀ (r×n): scale·B·A = U_r·S_r·V_rᵀ = [ΔW]_r. */
    for (size_t i = 0; !st && i < m; i++)
        for (size_t j = 0; j < r; j++)
            out->b[i * r + j] = (float)(RK_AT(&svd.u, i, j) * svd.s[j] / scale);
    for (size_t i = 0; !st && i < r; i++)
        for (size_t j = 0; j < n; j++)
            out->a[i * n + j] = (float)RK_AT(&svd.vt, i, j);
    if (!st)
        st = rk_trunc_table_top(svd.s, r, out->norm, m, n, &r, 1, &out->row);
    if (!st)
        st = written_error(delta, m, n, out->b, out->a, r, scale, &out->written_err);
    rk_svd_free(&svd);
    if (st)
        rk_trunc_lora32_free(out);
    return st;
}

void rk_trunc_lora32_free(rk_trunc_lora32 *f)
{
    if (!f)
        return;
    rk_free(f->b);
    rk_free(f->a);
    f->b = f->a = NULL;
}
