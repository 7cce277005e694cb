/*
 * nn_testutil.h — shared by the lib/nn tests: tiny networks and synthetic
 * data with fixed seeds, and a double-precision reference of the network's
 * loss written independently of lib/nn (plain loops, no BLAS).
 */
#ifndef RK_NN_TESTUTIL_H
#define RK_NN_TESTUTIL_H

#include "testutil.h"

/** A 6 → 5 → 4 → 3 network, PyTorch-initialised from @p seed, max batch @p max_batch. */
void nn_tiny_net(rk_mlp *net, size_t max_batch, uint64_t seed);

/** x (n, dim) ~ N(0, 1) and labels uniform in [0, classes), from @p seed. */
void nn_random_data(float *x, unsigned char *y, size_t n, size_t dim, size_t classes,
                    uint64_t seed);

/**
 * A linearly separable-ish problem: n points in dim dimensions around
 * `classes` random centres (distance ~3σ), labels = the centre's index.
 */
void nn_blobs(float *x, unsigned char *y, size_t n, size_t dim, size_t classes, uint64_t seed);

/** A standardised dataset: its pixels have mean 0 and standard deviation 1 within @p tol (rk_dataset_stats). */
void nn_assert_standardised(const rk_dataset *d, double tol);

/**
 * The reference network in double. Parameters are double copies: w[l]
 * (Out, In), b[l] (Out), and optionally LoRA a[l] (R, In), bb[l] (Out, R),
 * scale s; lbias[l] replaces b[l] when not NULL.
 */
typedef struct nn_ref {
    size_t L, sizes[RK_MLP_MAX_LAYERS + 1], rank;
    double scale;
    double *w[RK_MLP_MAX_LAYERS], *b[RK_MLP_MAX_LAYERS];
    double *a[RK_MLP_MAX_LAYERS], *bb[RK_MLP_MAX_LAYERS], *lbias[RK_MLP_MAX_LAYERS];
    double *x;          /* (batch, sizes[0]) */
    size_t batch;
    const unsigned char *y;
    double min_abs_pre; /* smallest |pre-activation| of hidden layers seen by the last call */
} nn_ref;

/** Copy @p net (and @p lora when active, may be NULL) and the batch into @p ref (allocates). */
void nn_ref_from(nn_ref *ref, const rk_mlp *net, const rk_lora *lora, const float *x,
                 const unsigned char *y, size_t batch);
void nn_ref_free(nn_ref *ref);

/** Mean softmax cross-entropy of the reference network on its batch, in double. */
double nn_ref_loss(nn_ref *ref);

#endif
