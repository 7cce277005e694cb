/* mat.c — the row-major double matrix: create, view, copy, multiply, norms. */
#include "core/mat.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "core/alloc.h"

/* An empty matrix (0×n or m×0) holds nothing: every loop over it is skipped
 * at once, so a 2⁶³×0 shape costs O(1) rather than a pass over its rows. */
static bool empty(const rk_mat *m)
{
    return m->rows == 0 || m->cols == 0;
}

rk_status rk_mat_create(rk_mat *m, size_t rows, size_t cols)
{
    if (!m)
        return RK_EINVAL;
    *m = (rk_mat){ 0 };   /* on error it stays empty, as the header promises */
    size_t n, bytes;
    if (!rk_size_mul(rows, cols, &n) || !rk_size_mul(n, sizeof(double), &bytes))
        return RK_EOVERFLOW;
    *m = (rk_mat){ rows, cols, cols, NULL, 0 };
    if (n == 0) {
        m->owner = 1;
        return RK_OK;
    }
    double *data = rk_calloc(n, sizeof(double));
    if (!data) {
        *m = (rk_mat){ 0 };
        return RK_ENOMEM;
    }
    m->data = data;
    m->owner = 1;
    return RK_OK;
}

void rk_mat_free(rk_mat *m)
{
    if (!m)
        return;
    if (m->owner)
        rk_free(m->data);
    *m = (rk_mat){ 0, 0, 0, NULL, 0 };
}

rk_mat rk_mat_view(const rk_mat *m, size_t r0, size_t c0, size_t nrows, size_t ncols)
{
    rk_mat v = { nrows, ncols, m->stride, NULL, 0 };
    if (nrows && ncols)
        v.data = m->data + r0 * m->stride + c0;
    return v;
}

rk_mat rk_mat_view_rows(const rk_mat *m, size_t r0, size_t nrows)
{
    return rk_mat_view(m, r0, 0, nrows, m->cols);
}

rk_mat rk_mat_view_cols(const rk_mat *m, size_t c0, size_t ncols)
{
    return rk_mat_view(m, 0, c0, m->rows, ncols);
}

rk_status rk_mat_view_check(const rk_mat *m, size_t r0, size_t c0, size_t nrows, size_t ncols)
{
    if (!m)
        return RK_EINVAL;
    if (r0 > m->rows || nrows > m->rows - r0 || c0 > m->cols || ncols > m->cols - c0)
        return RK_ERANGE;
    return RK_OK;
}

rk_mat rk_mat_wrap(double *data, size_t rows, size_t cols)
{
    return (rk_mat){ rows, cols, cols, data, 0 };
}

rk_status rk_mat_copy(rk_mat *dst, const rk_mat *src)
{
    if (!dst || !src)
        return RK_EINVAL;
    if (dst->rows != src->rows || dst->cols != src->cols)
        return RK_ESHAPE;
    if (empty(src))
        return RK_OK;
    for (size_t i = 0; i < src->rows; i++)
        memmove(dst->data + i * dst->stride, src->data + i * src->stride,
                src->cols * sizeof(double));
    return RK_OK;
}

rk_status rk_mat_dup(rk_mat *dst, const rk_mat *src)
{
    if (!dst || !src)
        return RK_EINVAL;
    rk_status st = rk_mat_create(dst, src->rows, src->cols);
    if (st)
        return st;
    return rk_mat_copy(dst, src);
}

rk_status rk_mat_from_f32(rk_mat *m, const float *src, size_t rows, size_t cols)
{
    if (!m || (!src && rows && cols))
        return RK_EINVAL;
    rk_status st = rk_mat_create(m, rows, cols);
    if (st)
        return st;
    for (size_t i = 0; i < rows * cols; i++)
        m->data[i] = (double)src[i];
    return RK_OK;
}

rk_status rk_mat_to_f32(float *dst, const rk_mat *m)
{
    if (!m || (!dst && m->rows && m->cols))
        return RK_EINVAL;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            dst[i * m->cols + j] = (float)RK_AT(m, i, j);
    return RK_OK;
}

rk_status rk_mat_transpose(rk_mat *dst, const rk_mat *src)
{
    if (!dst || !src)
        return RK_EINVAL;
    rk_status st = rk_mat_create(dst, src->cols, src->rows);
    if (st || empty(src))
        return st;
    for (size_t i = 0; i < src->rows; i++)
        for (size_t j = 0; j < src->cols; j++)
            RK_AT(dst, j, i) = RK_AT(src, i, j);
    return RK_OK;
}

void rk_mat_fill(rk_mat *m, double value)
{
    if (empty(m))
        return;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            RK_AT(m, i, j) = value;
}

void rk_mat_set_identity(rk_mat *m)
{
    if (empty(m))
        return;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            RK_AT(m, i, j) = (i == j) ? 1.0 : 0.0;
}

void rk_mat_fill_normal(rk_mat *m, rk_rng *rng)
{
    if (empty(m))
        return;
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            RK_AT(m, i, j) = rk_rng_normal(rng);
}

rk_status rk_mat_gemm(bool trans_a, bool trans_b, double alpha, const rk_mat *a,
                      const rk_mat *b, double beta, rk_mat *c)
{
    if (!a || !b || !c)
        return RK_EINVAL;
    size_t m = trans_a ? a->cols : a->rows;
    size_t k = trans_a ? a->rows : a->cols;
    size_t kb = trans_b ? b->cols : b->rows;
    size_t n = trans_b ? b->rows : b->cols;
    if (k != kb || c->rows != m || c->cols != n)
        return RK_ESHAPE;
    if (m == 0 || n == 0)
        return RK_OK;
    if (m > INT_MAX || n > INT_MAX || k > INT_MAX || a->stride > INT_MAX ||
        b->stride > INT_MAX || c->stride > INT_MAX)
        return RK_EOVERFLOW; /* CBLAS takes int dimensions */
    if (k == 0) {
        /* BLAS would accept this, but state it: an empty sum is zero. */
        if (beta == 0.0)
            rk_mat_fill(c, 0.0);
        else
            rk_mat_scale(c, beta);
        return RK_OK;
    }
    /* dgemm requires lda >= max(1, columns of the stored matrix). */
    cblas_dgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, alpha,
                a->data, (int)a->stride, b->data, (int)b->stride, beta, c->data,
                (int)c->stride);
    return RK_OK;
}

rk_status rk_mat_mul(rk_mat *c, const rk_mat *a, const rk_mat *b)
{
    if (!c || !a || !b)
        return RK_EINVAL;
    if (a->cols != b->rows)
        return RK_ESHAPE;
    rk_status st = rk_mat_create(c, a->rows, b->cols);
    if (st)
        return st;
    st = rk_mat_gemm(false, false, 1.0, a, b, 0.0, c);
    if (st)
        rk_mat_free(c);
    return st;
}

double rk_mat_norm_fro(const rk_mat *a)
{
    if (empty(a))
        return 0.0;
    /* LAPACK's dlassq idea: keep scale·√ssq with scale = max |a_ij| so far. */
    double scale = 0.0, ssq = 1.0;
    bool inf = false; /* an Inf makes the norm Inf, unless a NaN follows */
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            double x = fabs(RK_AT(a, i, j));
            if (x == 0.0)
                continue;
            if (isnan(x))
                return x;
            if (isinf(x)) { /* (x/scale)² with scale = Inf would give Inf/Inf = NaN */
                inf = true;
                continue;
            }
            if (scale < x) {
                ssq = 1.0 + ssq * (scale / x) * (scale / x);
                scale = x;
            } else {
                ssq += (x / scale) * (x / scale);
            }
        }
    return inf ? INFINITY : scale * sqrt(ssq);
}

double rk_mat_norm_1(const rk_mat *a)
{
    if (empty(a))
        return 0.0;
    double best = 0.0;
    for (size_t j = 0; j < a->cols; j++) {
        double s = 0.0;
        for (size_t i = 0; i < a->rows; i++)
            s += fabs(RK_AT(a, i, j));
        if (s > best || isnan(s))
            best = s;
    }
    return best;
}

double rk_mat_max_abs_diff(const rk_mat *a, const rk_mat *b)
{
    if (a->rows != b->rows || a->cols != b->cols)
        return NAN;
    if (empty(a))
        return 0.0;
    double best = 0.0;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++) {
            double d = fabs(RK_AT(a, i, j) - RK_AT(b, i, j));
            if (d > best || isnan(d))
                best = d;
        }
    return best;
}

bool rk_mat_is_finite(const rk_mat *a)
{
    if (empty(a))
        return true;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            if (!isfinite(RK_AT(a, i, j)))
                return false;
    return true;
}

void rk_mat_scale(rk_mat *a, double alpha)
{
    if (empty(a))
        return;
    for (size_t i = 0; i < a->rows; i++)
        for (size_t j = 0; j < a->cols; j++)
            RK_AT(a, i, j) *= alpha;
}

rk_status rk_mat_axpy(rk_mat *y, double alpha, const rk_mat *x)
{
    if (!y || !x)
        return RK_EINVAL;
    if (y->rows != x->rows || y->cols != x->cols)
        return RK_ESHAPE;
    if (empty(y))
        return RK_OK;
    for (size_t i = 0; i < y->rows; i++)
        for (size_t j = 0; j < y->cols; j++)
            RK_AT(y, i, j) += alpha * RK_AT(x, i, j);
    return RK_OK;
}
