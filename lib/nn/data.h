/**
 * @file
 * @ingroup nn
 * data.h — the float32 training data of the nn module: labelled images from
 * IDX files (Fashion-MNIST by default), standardised, filtered by class,
 * and served in shuffled mini-batches.
 *
 * An example is one row of x (dim floats) and one label in y:
 *
 *     x (n, dim)   row i = image i, pixels p/255 then (· − mean)/std
 *     y (n)        label of image i, < n_classes
 *
 * The mean and std are those of the TRAINING pixels (in [0, 1]) and are
 * applied unchanged to the test set, so both are on the same scale.
 * Nothing here draws random numbers except through an rk_rng passed in.
 */
#ifndef RK_NN_DATA_H
#define RK_NN_DATA_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/rng.h"
#include "../core/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Classes of Fashion-MNIST (and MNIST). */
#define RK_DATASET_CLASSES 10

/** Directory used when neither --data nor $RANKLAB_DATA says otherwise. */
#define RK_DATASET_DEFAULT_DIR "/usr/share/datasets/fashion-mnist"

/** Environment variable naming the data directory. */
#define RK_DATASET_ENV "RANKLAB_DATA"

/** Labelled examples in memory. Zero-initialise; free with rk_dataset_free. */
typedef struct rk_dataset {
    size_t n;               /**< number of examples */
    size_t dim;             /**< features per example (784 for 28×28 images) */
    float *x;               /**< (n, dim), row-major, owned */
    unsigned char *y;       /**< (n), labels in 0..n_classes-1, owned */
    int n_classes;          /**< label range (10) */
    double mean;            /**< standardisation applied to x: x = (p/255 − mean)/std … */
    double std;             /**< … (mean 0, std 1 while x is still p/255) */
} rk_dataset;

/** Which half of a dataset directory. */
typedef enum rk_dataset_split {
    RK_DATASET_TRAIN = 0,     /**< train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz */
    RK_DATASET_TEST           /**< t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz */
} rk_dataset_split;

/**
 * The data directory to use: $RANKLAB_DATA when set and non-empty, else
 * RK_DATASET_DEFAULT_DIR. The string belongs to the environment or is static.
 */
const char *rk_dataset_default_dir(void);

/**
 * The name of Fashion-MNIST class @p c (0 "T-shirt/top" … 6 "Shirt" … 9
 * "Ankle boot"), so that a class number is never shown alone; "?" for a
 * number outside 0–9. Static string.
 */
const char *rk_dataset_class_name(size_t c);

/**
 * Load one images file and one labels file (IDX, raw or gzip) as examples
 * with pixels scaled to [0, 1] (mean 0, std 1 recorded: not standardised).
 * Images must be u8 and 3-d (n, rows, cols), labels u8 and 1-d (n).
 * @param n_classes labels must be < this (1..256)
 * @return RK_OK; the errors of rk_idx_read (the message names which file);
 *         RK_EDTYPE / RK_EFORMAT for a wrong element type or rank; RK_ELABEL
 *         when the counts differ or a label is out of range (naming the index
 *         and value); RK_EINVAL; RK_ENOMEM. On error @p out is left empty.
 */
rk_status rk_dataset_load_files(rk_dataset *out, const char *images_path, const char *labels_path,
                                int n_classes, rk_err *err);

/**
 * Load the train or test half of the IDX dataset in @p dir (NULL: the
 * default directory) with pixels scaled to [0, 1], not standardised.
 * @return as rk_dataset_load_files, except that a missing images or labels
 *         file gives RK_EDATA with a message saying how to get the data
 *         (Debian package dataset-fashion-mnist, --data DIR, $RANKLAB_DATA).
 */
rk_status rk_dataset_load_split(rk_dataset *out, const char *dir, rk_dataset_split which, rk_err *err);

/**
 * Load both halves of the dataset in @p dir (NULL: the default directory)
 * and standardise both with the training set's pixel mean and std
 * (rk_dataset_stats on train, then rk_dataset_standardize on each);
 * train->mean and train->std (= test->mean, test->std) record them.
 * @return as rk_dataset_load_split; RK_EDATA when the training set is empty
 *         or constant. On error both are left empty.
 */
rk_status rk_dataset_load(rk_dataset *train, rk_dataset *test, const char *dir, rk_err *err);

/**
 * Mean and population standard deviation (divide by N) of every value of
 * @p d->x, accumulated in double. Both 0 when the dataset is empty.
 */
void rk_dataset_stats(const rk_dataset *d, double *mean, double *std);

/**
 * Standardise @p d in place: x ← (x − mean)/std, and record mean and std in
 * @p d. Call it once, on data that is still in [0, 1].
 * @return RK_OK; RK_EINVAL when std ≤ 0 or mean or std is not finite.
 */
rk_status rk_dataset_standardize(rk_dataset *d, double mean, double std);

/** Free the arrays of @p d and zero it; NULL accepted. */
void rk_dataset_free(rk_dataset *d);

/**
 * Copy the examples of @p in whose label is @p cls into a new @p out (in
 * their original order; mean/std carried over). For LoRA fine-tuning on one class.
 * @return RK_OK; RK_ERANGE when cls is not in 0..n_classes-1; RK_ENOTFOUND
 *         when no example has that label; RK_ENOMEM.
 */
rk_status rk_dataset_filter_class(rk_dataset *out, const rk_dataset *in, int cls, rk_err *err);

/**
 * Copy the first min(@p count, in->n) examples of @p in into a new @p out
 * (small runs and tests). @return RK_OK or RK_ENOMEM.
 */
rk_status rk_dataset_head(rk_dataset *out, const rk_dataset *in, size_t count);

/** counts[c] = number of examples with label c, for c < d->n_classes (counts has n_classes entries). */
void rk_dataset_class_counts(const rk_dataset *d, size_t *counts);

/**
 * Mini-batches over a dataset, one epoch at a time. An epoch is an order of
 * all n examples — a fresh Fisher–Yates shuffle from the caller's rk_rng, or
 * 0..n-1 when no rng is given — so every example is visited exactly once
 * per epoch. Batches never span two epochs: the last one may be short.
 */
typedef struct rk_batcher {
    const rk_dataset *data; /**< borrowed; must outlive the batcher */
    rk_rng *rng;            /**< borrowed; NULL = no shuffling */
    size_t *order;          /**< (n) example indices of the current epoch */
    size_t pos;             /**< examples of this epoch already served */
    size_t epoch;           /**< epochs started, counting from 1 after init */
} rk_batcher;

/**
 * Start batching @p d (n ≥ 1): allocates the order and begins epoch 1
 * (shuffled with @p rng unless it is NULL).
 * @return RK_OK; RK_EINVAL for an empty dataset; RK_ENOMEM.
 */
rk_status rk_batcher_init(rk_batcher *b, const rk_dataset *d, rk_rng *rng);

/**
 * Copy the next min(@p batch, remaining in epoch) examples into @p x
 * (batch, dim) and @p y (batch); begins a new epoch first (reshuffling)
 * when the current one is used up. @return how many examples were copied
 * (≥ 1 when batch ≥ 1).
 */
size_t rk_batcher_next(rk_batcher *b, size_t batch, float *x, unsigned char *y);

/** Examples left in the current epoch. */
size_t rk_batcher_remaining(const rk_batcher *b);

/** Begin a new epoch now (reshuffling), dropping what is left of the current one. */
void rk_batcher_new_epoch(rk_batcher *b);

/** Free the order of @p b and zero it; NULL accepted. */
void rk_batcher_free(rk_batcher *b);

#ifdef __cplusplus
}
#endif

#endif
