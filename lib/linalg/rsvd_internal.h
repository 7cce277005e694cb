/*
 * rsvd_internal.h — the randomized SVD's sketch engine (rsvd_sketch.c),
 * shared with the public entry points in rsvd.c. Not installed.
 *
 * All blocks are column-major with the leading dimension equal to their row
 * count. The row-major m×n matrix A is, read column-major, Aᵀ (n×m, leading
 * dimension = its stride), so A·X and Aᵀ·Y are both computed with A in
 * dgemm's/sgemm's first operand slot (transposed for A·X, plain for Aᵀ·Y) and
 * no copy of A is ever made in double precision.
 */
#ifndef RK_LINALG_RSVD_INTERNAL_H
#define RK_LINALG_RSVD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "rsvd.h"

/** One run of the range finder plus the double-precision finish. */
typedef struct rsvd_run {
    /* in */
    const rk_mat *a;      /**< m×n, finite (in float32 the conversion checks it: RK_ENONFINITE); or NULL and: */
    const float *fa;      /**< a float32 A (m×n, row-major, leading dimension n), checked finite by the caller */
    size_t m;             /**< rows of A */
    size_t n;             /**< columns of A */
    size_t k;             /**< triplets kept */
    size_t l;             /**< sketch columns, k ≤ l ≤ min(m, n) */
    int iters;            /**< power iterations (the maximum when tol > 0) */
    double tol;           /**< early-stop tolerance on the values, 0 = off */
    double err_tol;       /**< early-stop tolerance on the error estimate, 0 = off (needs fro2) */
    bool single_finish;   /**< fa only: the finish's QR and B = QᵀA in float32 as well */
    bool lu;              /**< LU between products (only when tol = 0) */
    bool single;          /**< sketch in float32 */
    double scale;         /**< single, out: the power of two A was scaled by before rounding */
    uint64_t seed;        /**< Gaussian start block */
    const double *start;  /**< NULL, or an m×l start block in place of A·Ω */
    /* out */
    double *q;            /**< single only: the final orthonormal Q (m×l), owned; rk_free it */
    double fro2;          /**< Σ (scale·a_ij)²: summed during the float conversion, or given with fa */
    rk_rsvd_stats stats;  /**< work done, added to what is there */
} rsvd_run;

/**
 * Sketch, finish in double and fill @p out (k triplets; u m×k, s, vt k×n).
 * On error @p out may hold partial results (the caller frees it) and run->q
 * is NULL.
 */
rk_status rk_rsvd_sketch_run(rk_svd *out, rsvd_run *run);

#endif
