/**
 * @file
 * @ingroup core
 * mat.h — the row-major double matrix every linear-algebra routine works on.
 *
 * Layout (row-major, like numpy, PyTorch and safetensors):
 *
 *          col 0    col 1   ...  col n-1        (padding up to stride)
 *   row 0  data[0]  data[1] ...  data[n-1]      ...
 *   row 1  data[stride] ...
 *
 *   element (i, j) lives at data[i * stride + j], stride >= cols.
 *
 * A matrix either owns its data (owner = 1, made by rk_mat_create and friends)
 * or is a view into another matrix's data (owner = 0). Views never allocate
 * and must not outlive the matrix they look into. rk_mat_free() on a view
 * only forgets it. Empty matrices (0×n, m×0) are valid everywhere.
 *
 * Matrix products go through CBLAS dgemm (LAPACKE and CBLAS both accept
 * row-major data directly, so no copy is made for a product).
 */
#ifndef RK_CORE_MAT_H
#define RK_CORE_MAT_H

#include <stdbool.h>
#include <stddef.h>

#include "rng.h"
#include "status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Row-major matrix of doubles; see the picture at the top of mat.h. */
typedef struct rk_mat {
    size_t rows;    /**< number of rows (m) */
    size_t cols;    /**< number of columns (n) */
    size_t stride;  /**< distance in elements between row starts, >= cols */
    double *data;   /**< element (i, j) at data[i * stride + j]; NULL when empty */
    int owner;      /**< 1 when rk_mat_free() must release data */
} rk_mat;

/** Element (i, j) of matrix pointer @p m, as an lvalue. No bounds check. */
#define RK_AT(m, i, j) ((m)->data[(size_t)(i) * (m)->stride + (size_t)(j)])

/**
 * Allocate a zero-filled @p rows × @p cols matrix into @p m (stride = cols).
 * @return RK_OK, RK_EINVAL (m NULL), RK_EOVERFLOW (rows·cols·8 overflows),
 *         RK_ENOMEM. On error *m is left empty and need not be freed.
 */
rk_status rk_mat_create(rk_mat *m, size_t rows, size_t cols);

/** Release @p m's data if it owns it and reset it to an empty matrix. NULL is accepted. */
void rk_mat_free(rk_mat *m);

/** A view of @p nrows × @p ncols starting at (r0, c0). Caller ensures it fits (see rk_mat_view_check). */
rk_mat rk_mat_view(const rk_mat *m, size_t r0, size_t c0, size_t nrows, size_t ncols);

/** A view of rows [r0, r0 + nrows). */
rk_mat rk_mat_view_rows(const rk_mat *m, size_t r0, size_t nrows);

/** A view of columns [c0, c0 + ncols). */
rk_mat rk_mat_view_cols(const rk_mat *m, size_t c0, size_t ncols);

/** RK_OK when the block (r0, c0, nrows, ncols) lies inside @p m, else RK_ERANGE. */
rk_status rk_mat_view_check(const rk_mat *m, size_t r0, size_t c0, size_t nrows, size_t ncols);

/** A view of caller-owned row-major memory (stride = cols). */
rk_mat rk_mat_wrap(double *data, size_t rows, size_t cols);

/** Copy @p src into @p dst of the same shape (strides may differ). RK_ESHAPE otherwise. */
rk_status rk_mat_copy(rk_mat *dst, const rk_mat *src);

/** Allocate @p dst as a compact copy of @p src. */
rk_status rk_mat_dup(rk_mat *dst, const rk_mat *src);

/*
 * The float32 / double boundary. Training works in float32 (lib/nn), linear
 * algebra in double; every crossing goes through these two, so where
 * precision is lost is visible: float → double is exact, double → float
 * rounds each element to nearest.
 */

/**
 * Allocate @p m (@p rows × @p cols, compact) and set it to the row-major
 * float block @p src (rows·cols values): m(i, j) = (double)src[i·cols + j],
 * exactly. @return RK_OK; RK_EINVAL (NULL); RK_EOVERFLOW; RK_ENOMEM (then *m is empty).
 */
rk_status rk_mat_from_f32(rk_mat *m, const float *src, size_t rows, size_t cols);

/**
 * dst[i·cols + j] = (float)m(i, j), rounded to nearest, into the caller's
 * compact row-major block @p dst of rows·cols floats (any stride of @p m).
 * @return RK_OK; RK_EINVAL (NULL).
 */
rk_status rk_mat_to_f32(float *dst, const rk_mat *m);

/** Allocate @p dst = @p srcᵀ (cols × rows). */
rk_status rk_mat_transpose(rk_mat *dst, const rk_mat *src);

/** Set every element of @p m to @p value. */
void rk_mat_fill(rk_mat *m, double value);

/** Set @p m to the identity pattern (ones on the main diagonal, zeros elsewhere). */
void rk_mat_set_identity(rk_mat *m);

/** Fill @p m with independent N(0, 1) deviates drawn from @p rng. */
void rk_mat_fill_normal(rk_mat *m, rk_rng *rng);

/**
 * C = alpha · op(A) · op(B) + beta · C through cblas_dgemm, where op(X) is X
 * or Xᵀ as @p trans_a / @p trans_b say. C must already have the result shape.
 * When the inner dimension is 0, C = beta · C.
 * @return RK_OK, RK_EINVAL (NULL), RK_ESHAPE (shapes do not fit),
 *         RK_EOVERFLOW (a dimension exceeds CBLAS's int).
 */
rk_status rk_mat_gemm(bool trans_a, bool trans_b, double alpha, const rk_mat *a,
                      const rk_mat *b, double beta, rk_mat *c);

/** Allocate @p c = @p a · @p b. */
rk_status rk_mat_mul(rk_mat *c, const rk_mat *a, const rk_mat *b);

/** ‖A‖_F = √(Σ a_ij²), computed with scaling so it neither overflows nor underflows. */
double rk_mat_norm_fro(const rk_mat *a);

/** ‖A‖₁ = max over columns of Σ_i |a_ij| (LAPACK's dlange 'O'). 0 for empty. */
double rk_mat_norm_1(const rk_mat *a);

/** max |a_ij − b_ij|; NaN when shapes differ. 0 for empty matrices. */
double rk_mat_max_abs_diff(const rk_mat *a, const rk_mat *b);

/** true when every element is finite (no NaN, no ±Inf). */
bool rk_mat_is_finite(const rk_mat *a);

/** Scale every element by @p alpha. */
void rk_mat_scale(rk_mat *a, double alpha);

/** @p y += @p alpha · @p x for matrices of the same shape; RK_ESHAPE otherwise. */
rk_status rk_mat_axpy(rk_mat *y, double alpha, const rk_mat *x);

#ifdef __cplusplus
}
#endif

#endif
