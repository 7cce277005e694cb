/*
 * data.c — labelled image datasets from IDX files: loading with every
 * consistency check, standardisation with the training statistics, class
 * filter and head subsets, and the shuffled mini-batch iterator.
 */
#include "nn/data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/idx.h"

const char *rk_dataset_default_dir(void)
{
    const char *env = getenv(RK_DATASET_ENV);
    return env && *env ? env : RK_DATASET_DEFAULT_DIR;
}

const char *rk_dataset_class_name(size_t c)
{
    static const char *const names[RK_DATASET_CLASSES] = {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };
    return c < RK_DATASET_CLASSES ? names[c] : "?";
}

/* Allocate x (n, dim) and y (n) of an empty dataset; mean 0, std 1 (raw). */
static rk_status dataset_alloc(rk_dataset *d, size_t n, size_t dim, int n_classes)
{
    *d = (rk_dataset){ .n = n, .dim = dim, .n_classes = n_classes, .mean = 0.0, .std = 1.0 };
    size_t cells;
    if (!rk_size_mul(n, dim, &cells)) {
        *d = (rk_dataset){ 0 };
        return RK_EOVERFLOW;
    }
    d->x = rk_calloc(cells, sizeof *d->x);
    d->y = rk_calloc(n, 1);
    if (!d->x || !d->y) {
        rk_dataset_free(d);
        return RK_ENOMEM;
    }
    return RK_OK;
}

void rk_dataset_free(rk_dataset *d)
{
    if (!d)
        return;
    rk_free(d->x);
    rk_free(d->y);
    *d = (rk_dataset){ 0 };
}

/* Read one IDX file; on error prefix the message with the path. */
static rk_status read_named(const char *path, rk_idx *out, rk_err *err)
{
    rk_err inner;
    rk_err_clear(&inner);
    rk_status st = rk_idx_read(path, out, &inner);
    if (st != RK_OK)
        rk_err_set(err, st, "%s: %s", path, rk_err_message(&inner, st));
    return st;
}

/* The images must be u8 (n, rows, cols), the labels u8 (n) in range. */
static rk_status check_pair(const rk_idx *img, const rk_idx *lab, int n_classes, rk_err *err)
{
    if (img->type != RK_IDX_U8 || lab->type != RK_IDX_U8)
        return rk_err_set(err, RK_EDTYPE, "%s are not unsigned bytes (IDX type 0x%02x)",
                          img->type != RK_IDX_U8 ? "images" : "labels",
                          img->type != RK_IDX_U8 ? img->type : lab->type);
    if (img->ndim != 3)
        return rk_err_set(err, RK_EFORMAT, "images have %d dimensions, expected 3 (n, rows, cols)",
                          img->ndim);
    if (lab->ndim != 1)
        return rk_err_set(err, RK_EFORMAT, "labels have %d dimensions, expected 1 (n)", lab->ndim);
    if (img->dims[0] != lab->dims[0])
        return rk_err_set(err, RK_ELABEL, "%zu images but %zu labels", img->dims[0], lab->dims[0]);
    for (size_t i = 0; i < lab->count; i++)
        if (lab->data[i] >= n_classes)
            return rk_err_set(err, RK_ELABEL, "label at index %zu is %d, outside 0..%d", i,
                              lab->data[i], n_classes - 1);
    return RK_OK;
}

rk_status rk_dataset_load_files(rk_dataset *out, const char *images_path, const char *labels_path,
                                int n_classes, rk_err *err)
{
    *out = (rk_dataset){ 0 };
    if (!images_path || !labels_path || n_classes < 1 || n_classes > 256)
        return rk_err_set(err, RK_EINVAL, "dataset needs two paths and 1..256 classes");
    rk_idx img = { 0 }, lab = { 0 };
    rk_status st = read_named(images_path, &img, err);
    if (st == RK_OK)
        st = read_named(labels_path, &lab, err);
    if (st == RK_OK)
        st = check_pair(&img, &lab, n_classes, err);
    if (st == RK_OK) {
        /* nbytes = n·rows·cols ≤ RK_IDX_MAX_BYTES, so dim cannot overflow */
        st = dataset_alloc(out, img.dims[0], img.dims[1] * img.dims[2], n_classes);
        if (st != RK_OK)
            rk_err_set(err, st, "cannot allocate %zu examples of %zu floats", img.dims[0],
                       img.dims[1] * img.dims[2]);
    }
    if (st == RK_OK) {
        for (size_t i = 0; i < img.count; i++)
            out->x[i] = (float)img.data[i] / 255.0f;   /* pixels p ∈ 0..255 → [0, 1] */
        memcpy(out->y, lab.data, lab.count);
    }
    rk_idx_free(&img);
    rk_idx_free(&lab);
    return st;
}

rk_status rk_dataset_load_split(rk_dataset *out, const char *dir, rk_dataset_split which, rk_err *err)
{
    *out = (rk_dataset){ 0 };
    if (!dir)
        dir = rk_dataset_default_dir();
    const char *prefix = which == RK_DATASET_TEST ? "t10k" : "train";
    char img[4096], lab[4096];
    int a = snprintf(img, sizeof img, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    int b = snprintf(lab, sizeof lab, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    if (a < 0 || b < 0 || (size_t)a >= sizeof img || (size_t)b >= sizeof lab)
        return rk_err_set(err, RK_EINVAL, "data directory name is too long");
    rk_status st = rk_dataset_load_files(out, img, lab, RK_DATASET_CLASSES, err);
    if (st == RK_ENOENT)
        st = rk_err_set(err, RK_EDATA,
                        "no %s IDX files in %s: install the Debian package dataset-fashion-mnist, "
                        "or point --data DIR or " RK_DATASET_ENV " to the dataset",
                        prefix, dir);
    return st;
}

void rk_dataset_stats(const rk_dataset *d, double *mean, double *std)
{
    size_t cells = d->n * d->dim;
    *mean = *std = 0.0;
    if (cells == 0)
        return;
    /* two passes: μ = Σx/N, then σ² = Σ(x − μ)²/N, which does not cancel */
    double sum = 0.0;
    for (size_t i = 0; i < cells; i++)
        sum += d->x[i];
    double mu = sum / (double)cells, ss = 0.0;
    for (size_t i = 0; i < cells; i++) {
        double t = d->x[i] - mu;
        ss += t * t;
    }
    *mean = mu;
    *std = sqrt(ss / (double)cells);
}

rk_status rk_dataset_standardize(rk_dataset *d, double mean, double std)
{
    if (!(std > 0.0) || !isfinite(std) || !isfinite(mean))
        return RK_EINVAL;
    size_t cells = d->n * d->dim;
    for (size_t i = 0; i < cells; i++)
        d->x[i] = (float)((d->x[i] - mean) / std);
    d->mean = mean;
    d->std = std;
    return RK_OK;
}

rk_status rk_dataset_load(rk_dataset *train, rk_dataset *test, const char *dir, rk_err *err)
{
    *train = (rk_dataset){ 0 };
    *test = (rk_dataset){ 0 };
    rk_status st = rk_dataset_load_split(train, dir, RK_DATASET_TRAIN, err);
    if (st == RK_OK)
        st = rk_dataset_load_split(test, dir, RK_DATASET_TEST, err);
    if (st == RK_OK && test->dim != train->dim)
        st = rk_err_set(err, RK_EDATA, "test images have %zu pixels, training images %zu",
                        test->dim, train->dim);
    double mean = 0.0, std = 0.0;
    if (st == RK_OK) {
        rk_dataset_stats(train, &mean, &std);
        if (!(std > 0.0))
            st = rk_err_set(err, RK_EDATA, "training set is empty or every pixel is equal");
    }
    if (st == RK_OK) {
        rk_dataset_standardize(train, mean, std);
        rk_dataset_standardize(test, mean, std);
    } else {
        rk_dataset_free(train);
        rk_dataset_free(test);
    }
    return st;
}

/* Copy example src_i of in to row dst_i of out. */
static void copy_example(rk_dataset *out, size_t dst_i, const rk_dataset *in, size_t src_i)
{
    memcpy(out->x + dst_i * out->dim, in->x + src_i * in->dim, in->dim * sizeof *in->x);
    out->y[dst_i] = in->y[src_i];
}

rk_status rk_dataset_filter_class(rk_dataset *out, const rk_dataset *in, int cls, rk_err *err)
{
    *out = (rk_dataset){ 0 };
    if (cls < 0 || cls >= in->n_classes)
        return rk_err_set(err, RK_ERANGE, "class %d is outside 0..%d", cls, in->n_classes - 1);
    size_t count = 0;
    for (size_t i = 0; i < in->n; i++)
        count += in->y[i] == cls;
    if (count == 0)
        return rk_err_set(err, RK_ENOTFOUND, "no example has label %d", cls);
    rk_status st = dataset_alloc(out, count, in->dim, in->n_classes);
    if (st != RK_OK)
        return rk_err_set(err, st, "cannot allocate %zu examples", count);
    for (size_t i = 0, j = 0; i < in->n; i++)
        if (in->y[i] == cls)
            copy_example(out, j++, in, i);
    out->mean = in->mean;
    out->std = in->std;
    return RK_OK;
}

rk_status rk_dataset_head(rk_dataset *out, const rk_dataset *in, size_t count)
{
    *out = (rk_dataset){ 0 };
    if (count > in->n)
        count = in->n;
    rk_status st = dataset_alloc(out, count, in->dim, in->n_classes);
    if (st != RK_OK)
        return st;
    if (count)
        memcpy(out->x, in->x, count * in->dim * sizeof *in->x);
    memcpy(out->y, in->y, count);
    out->mean = in->mean;
    out->std = in->std;
    return RK_OK;
}

void rk_dataset_class_counts(const rk_dataset *d, size_t *counts)
{
    memset(counts, 0, (size_t)d->n_classes * sizeof *counts);
    for (size_t i = 0; i < d->n; i++)
        if (d->y[i] < d->n_classes)
            counts[d->y[i]]++;
}

/* ---- batches ----------------------------------------------------------- */

rk_status rk_batcher_init(rk_batcher *b, const rk_dataset *d, rk_rng *rng)
{
    *b = (rk_batcher){ 0 };
    if (!d || d->n == 0)
        return RK_EINVAL;
    b->order = rk_calloc(d->n, sizeof *b->order);
    if (!b->order)
        return RK_ENOMEM;
    b->data = d;
    b->rng = rng;
    rk_batcher_new_epoch(b);
    return RK_OK;
}

void rk_batcher_new_epoch(rk_batcher *b)
{
    for (size_t i = 0; i < b->data->n; i++)
        b->order[i] = i;
    if (b->rng)
        rk_rng_shuffle(b->rng, b->order, b->data->n);
    b->pos = 0;
    b->epoch++;
}

size_t rk_batcher_remaining(const rk_batcher *b)
{
    return b->data->n - b->pos;
}

size_t rk_batcher_next(rk_batcher *b, size_t batch, float *x, unsigned char *y)
{
    if (batch == 0)
        return 0;
    if (b->pos == b->data->n)
        rk_batcher_new_epoch(b);
    size_t k = rk_batcher_remaining(b);
    if (k > batch)
        k = batch;
    size_t dim = b->data->dim;
    for (size_t i = 0; i < k; i++) {
        size_t src = b->order[b->pos + i];
        memcpy(x + i * dim, b->data->x + src * dim, dim * sizeof *x);
        y[i] = b->data->y[src];
    }
    b->pos += k;
    return k;
}

void rk_batcher_free(rk_batcher *b)
{
    if (!b)
        return;
    rk_free(b->order);
    *b = (rk_batcher){ 0 };
}
