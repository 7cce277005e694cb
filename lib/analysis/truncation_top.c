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
#include <math.h>
#include <stdint.h>

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

/* ‖D − c·B·A‖_F for float D (m×n), B (m×r), A (r×n), in double: row blocks of
 * D widened and the product subtracted by dgemm, so no m×n double is made. */
static rk_status written_error(const float *d, size_t m, size_t n, const float *b, const float *a,
                               size_t r, double c, double *out)
{
    enum { ROWS = 64 };
    double *blk = rk_alloc(ROWS * n * sizeof(double) + 1), *bb = rk_alloc(ROWS * r * sizeof(double) + 1);
    double *aa = rk_alloc(r * n * sizeof(double) + 1), ss = 0.0;
    rk_status st = blk && bb && aa ? RK_OK : RK_ENOMEM;
    for (size_t i = 0; !st && i < r * n; i++)
        aa[i] = a[i];
    for (size_t i0 = 0; !st && i0 < m; i0 += ROWS) {
        size_t rows = m - i0 < ROWS ? m - i0 : ROWS;
        for (size_t i = 0; i < rows * n; i++)
            blk[i] = d[i0 * n + i];
        for (size_t i = 0; i < rows * r; i++)
            bb[i] = b[i0 * r + i];
        rk_mat D = rk_mat_wrap(blk, rows, n), B = rk_mat_wrap(bb, rows, r), A = rk_mat_wrap(aa, r, n);
        if (r && (st = rk_mat_gemm(false, false, -c, &B, &A, 1.0, &D)) != RK_OK)
            break;
        for (size_t i = 0; i < rows * n; i++)
            ss += blk[i] * blk[i];
    }
    rk_free(blk);
    rk_free(bb);
    rk_free(aa);
    *out = sqrt(ss);
    return st;
}

rk_status rk_trunc_lora_f32(const float *delta, size_t m, size_t n, size_t r, double scale,
                            uint64_t seed, rk_trunc_lora32 *out)
{
    if (!delta || !out || !(scale > 0))
        return RK_EINVAL;
    *out = (rk_trunc_lora32){ 0 };
    if (r > (m < n ? m : n))
        return RK_ERANGE;
    rk_rsvd_opts ro = rk_rsvd_opts_default(r);
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
