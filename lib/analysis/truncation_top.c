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
#include "core/parallel.h"
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

/* The residual's squares of a row block: row_ss[i] = Σ_j (D_ij − P_ij)², in
 * double (the difference of two floats is exact there), for rk_parallel_for. */
typedef struct resid_job {
    const float *d, *p;   /* (rows×n) the block of D, and c·B·A for it */
    size_t n;
    double *row_ss;       /* (rows) */
} resid_job;

static void resid_rows(void *ctx, size_t begin, size_t end)
{
    const resid_job *j = ctx;
    for (size_t i = begin; i < end; i++) {
        const float *d = j->d + i * j->n, *p = j->p + i * j->n;
        double s[4] = { 0 };
        size_t k = 0;
        for (; k + 4 <= j->n; k += 4)
            for (int t = 0; t < 4; t++) {
                double r = (double)d[k + t] - p[k + t];
                s[t] += r * r;
            }
        for (; k < j->n; k++) {
            double r = (double)d[k] - p[k];
            s[0] += r * r;
        }
        j->row_ss[i] = (s[0] + s[1]) + (s[2] + s[3]);
    }
}

/* ‖D − c·B·A‖_F for float D (m×n), B (m×r), A (r×n), a block of rows at a
 * time: P = c·B_b·A by sgemm (≤ 4 MB, in cache), then Σ (D_ij − P_ij)² in
 * double, rows shared over the library's threads and added in row order, so
 * the sum does not depend on the thread count. P's entries carry float
 * rounding (relative 6e-8 of |c·B·A|_ij), far below the 1e-3 the errors are
 * read to. */
static rk_status written_error(const float *d, size_t m, size_t n, const float *b, const float *a,
                               size_t r, double c, double *out)
{
    size_t rows_max = ((size_t)1 << 20) / (n ? n : 1);
    rows_max = rows_max < 16 ? 16 : rows_max > m ? m : rows_max;
    float *blk = rk_calloc(rows_max * n + 1, sizeof(float));
    double *row_ss = rk_alloc(rows_max * sizeof(double) + 1), ss = 0.0;
    if (!blk || !row_ss) {
        rk_free(blk);
        rk_free(row_ss);
        return RK_ENOMEM;
    }
    for (size_t i0 = 0; i0 < m; i0 += rows_max) {
        size_t rows = m - i0 < rows_max ? m - i0 : rows_max;
        if (r)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)r, (float)c,
                        b + i0 * r, (int)r, a, (int)n, 0.0f, blk, (int)n);
        resid_job j = { d + i0 * n, blk, n, row_ss };
        rk_parallel_for(rows, 8, resid_rows, &j);
        for (size_t i = 0; i < rows; i++)
            ss += row_ss[i];
    }
    rk_free(blk);
    rk_free(row_ss);
    *out = sqrt(ss);
    return RK_OK;
}

/*
 * ‖D − c·B·A‖_F² without a pass over D, for B = fl(U_r·S_r/c), A = fl(V_rᵀ)
 * from the randomized SVD (U_r = Q·Ũ_r with Ũ_r·S·Vᵀ the SVD of QᵀD, so
 * U_rᵀD = S_r·V_rᵀ): with M = U_r·S_r·V_rᵀ and e² = ‖D − M‖² = ‖D‖² − Σσ_i²,
 *   ‖D − cBA‖² = e² + (Σσ_i² − 2c·⟨M, BA⟩ + c²‖BA‖²) − 2c⟨D − M, (I − U_rU_rᵀ)B·A⟩,
 *   ⟨M, BA⟩ = Σ_i σ_i (X·Y)_ii,  X = U_rᵀB,  Y = A·V_r,   ‖BA‖² = Σ_ij (BᵀB)_ij (AAᵀ)_ij,
 * all r×r. The bracket is what rounding the factors to float adds (0 for
 * exact factors), formed in double; the last term is dropped: it is at most
 * 2·e·‖(I − U_rU_rᵀ)B‖·c ≤ 2·e·u·‖D‖_F (u = 2⁻²⁴, B's rounding), i.e. a
 * relative change of u·‖D‖_F/e in the written error, below 1e-6 when e ≥
 * RK_TRUNC_F32_WRITTEN_IDENTITY·‖D‖_F. Cost O((m + n)·r²).
 */
static rk_status written_error_identity(const rk_svd *svd, const float *b, const float *a, size_t m,
                                        size_t n, size_t r, double c, double err2, double *out)
{
    double *x = rk_calloc(4 * r * r + 1, sizeof *x), *g = x + r * r, *y = g + r * r, *h = y + r * r;
    if (!x)
        return RK_ENOMEM;
    for (size_t t = 0; t < m; t++) /* X = U_rᵀB, G = BᵀB */
        for (size_t i = 0; i < r; i++) {
            double ui = RK_AT(&svd->u, t, i), bi = b[t * r + i];
            for (size_t j = 0; j < r; j++) {
                x[i * r + j] += ui * b[t * r + j];
                g[i * r + j] += bi * b[t * r + j];
            }
        }
    for (size_t i = 0; i < r; i++) /* Y = A·V_r, H = A·Aᵀ */
        for (size_t j = 0; j < r; j++) {
            const float *ai = a + i * n, *aj = a + j * n;
            const double *vj = &RK_AT(&svd->vt, j, 0);
            double yij = 0.0, hij = 0.0;
            for (size_t t = 0; t < n; t++) {
                yij += ai[t] * vj[t];
                hij += (double)ai[t] * aj[t];
            }
            y[i * r + j] = yij;
            h[i * r + j] = hij;
        }
    double kept = 0.0, cross = 0.0, ba2 = 0.0;
    for (size_t i = 0; i < r; i++) {
        kept += svd->s[i] * svd->s[i];
        for (size_t j = 0; j < r; j++) {
            cross += svd->s[i] * x[i * r + j] * y[j * r + i];
            ba2 += g[i * r + j] * h[i * r + j];
        }
    }
    rk_free(x);
    double w2 = err2 + (kept - 2.0 * c * cross + c * c * ba2);
    *out = w2 > 0 ? sqrt(w2) : 0.0;
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
    /* the written error by the r×r identity when the error is large enough for it, else a pass over ΔW */
    if (!st && out->row.rel_err >= RK_TRUNC_F32_WRITTEN_IDENTITY)
        st = written_error_identity(&svd, out->b, out->a, m, n, r, scale, out->row.fro_err * out->row.fro_err,
                                    &out->written_err);
    else if (!st)
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
