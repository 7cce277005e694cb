/* safetensors_write.c — the safetensors writer: F32/F64 tensors sorted by name, padded header,
 * atomic; the tensors' bytes held in memory, or in a spool file as they are added. */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "io/file.h"
#include "io/json_text.h"
#include "io/safetensors.h"

typedef struct st_item {
    char *name;
    rk_dtype dtype;        /* RK_DT_F32 or RK_DT_F64 */
    int ndim;
    size_t *shape;         /* (ndim) */
    unsigned char *bytes;  /* the elements, little-endian, row-major; NULL when spooled */
    size_t nbytes;
    size_t spool_at;       /* spooled: where its bytes start in the spool file */
} st_item;

struct rk_st_writer {
    st_item *items;
    size_t n, cap;
    FILE *spool;           /* rk_st_writer_spool: the tensors' bytes, in the order added */
    char *spool_path;      /* removed by rk_st_writer_free */
    size_t spool_size;     /* bytes in it */
    char **meta_keys, **meta_values;
    size_t n_meta, cap_meta;
};

/* Grow *arr (of elem_size items, capacity *cap) to hold at least need. */
static bool grow(void **arr, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return true;
    size_t ncap = *cap ? *cap * 2 : 8, bytes;
    if (ncap < need)
        ncap = need;
    if (!rk_size_mul(ncap, elem_size, &bytes))
        return false;
    void *p = rk_alloc(bytes);
    if (!p)
        return false;
    if (*cap)
        memcpy(p, *arr, *cap * elem_size);
    rk_free(*arr);
    *arr = p;
    *cap = ncap;
    return true;
}

/* true when s is a valid UTF-8 string (jansson refuses anything else). */
static bool valid_utf8(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

rk_status rk_st_writer_new(rk_st_writer **w)
{
    if (!w)
        return RK_EINVAL;
    *w = rk_calloc(1, sizeof **w);
    return *w ? RK_OK : RK_ENOMEM;
}

void rk_st_writer_free(rk_st_writer *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->n; i++) {
        rk_free(w->items[i].name);
        rk_free(w->items[i].shape);
        rk_free(w->items[i].bytes);
    }
    rk_free(w->items);
    for (size_t i = 0; i < w->n_meta; i++) {
        rk_free(w->meta_keys[i]);
        rk_free(w->meta_values[i]);
    }
    rk_free(w->meta_keys);
    rk_free(w->meta_values);
    if (w->spool) {
        (void)fclose(w->spool);
        (void)unlink(w->spool_path);
    }
    rk_free(w->spool_path);
    rk_free(w);
}

rk_status rk_st_writer_spool(rk_st_writer *w, const char *path, rk_err *err)
{
    if (!w || !path || w->spool || w->n)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    if (!(w->spool_path = rk_strdup(path)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    if (!(w->spool = fopen(path, "w+b"))) {
        int e = errno;
        rk_free(w->spool_path);
        w->spool_path = NULL;
        return rk_err_set(err, RK_EIO, "cannot create %s: %s", path, strerror(e));
    }
    return RK_OK;
}

/* Store n elements of width size (4 or 8) from data as little-endian bytes. */
static void put_le(unsigned char *dst, const void *data, size_t n, size_t size)
{
    const unsigned char *src = data;
    if (rk_host_little_endian()) {
        memcpy(dst, src, n * size);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t b = 0; b < size; b++)
            dst[i * size + b] = src[i * size + size - 1 - b];
}

/* Append n elements of width size to the spool, little-endian, a block at a
 * time. RK_EIO (errno says why) or RK_ENOMEM; the spool's size moves only on success. */
static rk_status spool_put(rk_st_writer *w, const void *data, size_t n, size_t size)
{
    enum { BLOCK = 1 << 16 };
    unsigned char *blk = rk_alloc(BLOCK);
    if (!blk)
        return RK_ENOMEM;
    const unsigned char *src = data;
    size_t per = BLOCK / size;
    bool ok = fseek(w->spool, (long)w->spool_size, SEEK_SET) == 0;
    for (size_t i = 0; ok && i < n; i += per) {
        size_t k = n - i < per ? n - i : per;
        put_le(blk, src + i * size, k, size);
        ok = fwrite(blk, size, k, w->spool) == k;
    }
    ok = ok && fflush(w->spool) == 0;
    rk_free(blk);
    if (!ok)
        return RK_EIO;
    w->spool_size += n * size;
    return RK_OK;
}

static rk_status add(rk_st_writer *w, const char *name, rk_dtype dtype, const void *data, int ndim,
                     const size_t *shape)
{
    if (!w || !name || ndim < 0 || (ndim > 0 && !shape) || !strcmp(name, "__metadata__") ||
        !valid_utf8(name))
        return RK_EINVAL;
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->items[i].name, name))
            return RK_EDUPKEY;
    size_t numel = 1, nbytes, esize = rk_dtype_size(dtype);
    for (int i = 0; i < ndim; i++) {
        if (shape[i] > (size_t)INT64_MAX || !rk_size_mul(numel, shape[i], &numel))
            return RK_EOVERFLOW;
    }
    if (!rk_size_mul(numel, esize, &nbytes))
        return RK_EOVERFLOW;
    if (numel && !data)
        return RK_EINVAL;
    if (!grow((void **)&w->items, &w->cap, w->n + 1, sizeof *w->items))
        return RK_ENOMEM;
    st_item it = { rk_strdup(name), dtype, ndim, ndim ? rk_calloc((size_t)ndim, sizeof(size_t)) : NULL,
                   w->spool ? NULL : rk_alloc(nbytes), nbytes, w->spool_size };
    rk_status st = !it.name || (ndim && !it.shape) || (!w->spool && !it.bytes) ? RK_ENOMEM : RK_OK;
    if (!st && ndim)
        memcpy(it.shape, shape, (size_t)ndim * sizeof(size_t));
    if (!st && numel)
        st = w->spool ? spool_put(w, data, numel, esize) : (put_le(it.bytes, data, numel, esize), RK_OK);
    if (st) {
        rk_free(it.name);
        rk_free(it.shape);
        rk_free(it.bytes);
        return st;
    }
    w->items[w->n++] = it;
    return RK_OK;
}

rk_status rk_st_writer_add_f32(rk_st_writer *w, const char *name, const float *data, int ndim,
                               const size_t *shape)
{
    return add(w, name, RK_DT_F32, data, ndim, shape);
}

rk_status rk_st_writer_add_f64(rk_st_writer *w, const char *name, const double *data, int ndim,
                               const size_t *shape)
{
    return add(w, name, RK_DT_F64, data, ndim, shape);
}

rk_status rk_st_writer_add_meta(rk_st_writer *w, const char *key, const char *value)
{
    if (!w || !key || !value || !valid_utf8(key) || !valid_utf8(value))
        return RK_EINVAL;
    for (size_t i = 0; i < w->n_meta; i++)
        if (!strcmp(w->meta_keys[i], key))
            return RK_EDUPKEY;
    size_t cap = w->cap_meta;
    if (!grow((void **)&w->meta_keys, &cap, w->n_meta + 1, sizeof(char *)))
        return RK_ENOMEM;
    cap = w->cap_meta;
    if (!grow((void **)&w->meta_values, &cap, w->n_meta + 1, sizeof(char *)))
        return RK_ENOMEM;
    w->cap_meta = cap;
    char *k = rk_strdup(key), *v = rk_strdup(value);
    if (!k || !v) {
        rk_free(k);
        rk_free(v);
        return RK_ENOMEM;
    }
    w->meta_keys[w->n_meta] = k;
    w->meta_values[w->n_meta++] = v;
    return RK_OK;
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp((*(const st_item *const *)a)->name, (*(const st_item *const *)b)->name);
}

/* The header JSON: {"__metadata__": {...}, "NAME": {"dtype", "shape", "data_offsets"}, ...}
 * with the tensors in the order of `order`; jansson keeps insertion order. */
static json_t *build_header(const rk_st_writer *w, st_item *const *order)
{
    json_t *root = json_object(), *meta = w->n_meta ? json_object() : NULL;
    bool ok = root && (!w->n_meta || meta);
    for (size_t i = 0; ok && i < w->n_meta; i++)
        ok = !json_object_set_new(meta, w->meta_keys[i], json_string(w->meta_values[i]));
    if (ok && meta) {
        ok = !json_object_set_new(root, "__metadata__", meta);
        meta = NULL;
    }
    json_decref(meta);
    size_t offset = 0;
    for (size_t i = 0; ok && i < w->n; i++) {
        const st_item *it = order[i];
        json_t *e = json_object(), *shape = json_array();
        ok = e && shape;
        for (int d = 0; ok && d < it->ndim; d++)
            ok = !json_array_append_new(shape, json_integer((json_int_t)it->shape[d]));
        ok = ok && !json_object_set_new(e, "dtype", json_string(rk_dtype_name(it->dtype)));
        if (ok) {
            ok = !json_object_set_new(e, "shape", shape); /* takes shape, even on failure */
            shape = NULL;
        }
        ok = ok && it->nbytes <= (size_t)INT64_MAX - offset;
        ok = ok && !json_object_set_new(e, "data_offsets",
                                        json_pack("[II]", (json_int_t)offset,
                                                  (json_int_t)(offset + it->nbytes)));
        offset += it->nbytes;
        json_decref(shape);
        if (ok) {
            ok = !json_object_set_new(root, it->name, e);
            e = NULL;
        }
        json_decref(e);
    }
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* Bytes copied from the spool at a time. */
#define SPOOL_BLOCK ((size_t)1 << 20)

/* Write an item's bytes to @p f: from memory, or copied from the spool through
 * @p blk (SPOOL_BLOCK bytes) a block at a time. */
static bool write_item(const rk_st_writer *w, const st_item *it, FILE *f, unsigned char *blk)
{
    if (it->bytes || !it->nbytes)
        return !it->nbytes || fwrite(it->bytes, 1, it->nbytes, f) == it->nbytes;
    bool ok = true;
    for (size_t done = 0; ok && done < it->nbytes;) {
        size_t k = it->nbytes - done < SPOOL_BLOCK ? it->nbytes - done : SPOOL_BLOCK;
        ssize_t got = pread(fileno(w->spool), blk, k, (off_t)(it->spool_at + done));
        if (got < 0 && errno == EINTR)
            continue;
        ok = got > 0 && fwrite(blk, 1, (size_t)got, f) == (size_t)got;
        if (got == 0)
            errno = EIO; /* the spool shrank: something else touched it */
        done += got > 0 ? (size_t)got : 0;
    }
    return ok;
}

rk_status rk_st_writer_save(rk_st_writer *w, const char *path, rk_err *err)
{
    if (!w || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    st_item **order = rk_calloc(w->n ? w->n : 1, sizeof *order);
    unsigned char *blk = w->spool ? rk_alloc(SPOOL_BLOCK) : NULL;
    if (!order || (w->spool && !blk)) {
        rk_free(order);
        rk_free(blk);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < w->n; i++)
        order[i] = &w->items[i];
    if (w->n)
        qsort(order, w->n, sizeof *order, cmp_items);
    json_t *root = build_header(w, order);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (!text) {
        rk_free(order);
        rk_free(blk);
        return rk_err_set(err, RK_ENOMEM, "cannot build the header");
    }
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    unsigned char prefix[8];
    for (int i = 0; i < 8; i++)
        prefix[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    rk_atomic_file af;
    rk_status st = rk_atomic_open(&af, path, err);
    if (!st) {
        bool ok = fwrite(prefix, 1, 8, af.f) == 8 && fwrite(text, 1, len, af.f) == len;
        for (size_t i = len; ok && i < padded; i++)
            ok = fputc(' ', af.f) != EOF;
        for (size_t i = 0; ok && i < w->n; i++)
            ok = write_item(w, order[i], af.f, blk);
        if (ok)
            st = rk_atomic_commit(&af, err);
        else {
            int e = errno;
            rk_atomic_abort(&af);
            st = rk_err_set(err, RK_EIO, "write failed: %s", strerror(e));
        }
    }
    rk_json_text_free(text);
    rk_free(order);
    rk_free(blk);
    return st;
}
