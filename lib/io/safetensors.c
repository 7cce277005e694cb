/*
 * safetensors.c — the safetensors reader's header: every rule of the
 * reference, checked before use; open, parse, find. The tensors' data
 * (conversion to double or float, ΔW) is safetensors_lazy.c's, which calls
 * this file and not the other way.
 */
#include "io/safetensors.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"
#include "io/safetensors_internal.h"

/* Every dtype name the reference knows, with its size in bits. Those with
 * rk_dtype RK_DT_UNKNOWN, and the unsigned 16/32/64-bit ones, are listed but
 * refused when loaded (see rk_st_dtype_loadable). */
static const struct {
    const char *name;
    rk_dtype dtype;
    unsigned bits;
} st_dtypes[] = {
    { "F64", RK_DT_F64, 64 },  { "F32", RK_DT_F32, 32 },     { "F16", RK_DT_F16, 16 },
    { "BF16", RK_DT_BF16, 16 }, { "I64", RK_DT_I64, 64 },    { "I32", RK_DT_I32, 32 },
    { "I16", RK_DT_I16, 16 },  { "I8", RK_DT_I8, 8 },        { "U8", RK_DT_U8, 8 },
    { "BOOL", RK_DT_BOOL, 8 }, { "U64", RK_DT_U64, 64 },     { "U32", RK_DT_U32, 32 },
    { "U16", RK_DT_U16, 16 },  { "C64", RK_DT_UNKNOWN, 64 }, { "F8_E4M3", RK_DT_UNKNOWN, 8 },
    { "F8_E5M2", RK_DT_UNKNOWN, 8 }, { "F8_E8M0", RK_DT_UNKNOWN, 8 },
    { "F6_E2M3", RK_DT_UNKNOWN, 6 }, { "F6_E3M2", RK_DT_UNKNOWN, 6 }, { "F4", RK_DT_UNKNOWN, 4 },
};

/* Index of the first byte that breaks UTF-8 (overlong forms, surrogates and
 * code points above U+10FFFF included), or n when all of s[0..n) is valid. */
static size_t utf8_invalid_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c < 0x80) { i++; continue; }
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; if (c == 0xE0) lo = 0xA0; if (c == 0xED) hi = 0x9F; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; if (c == 0xF0) lo = 0x90; if (c == 0xF4) hi = 0x8F; }
        else return i;
        if (n - i < len || s[i + 1] < lo || s[i + 1] > hi)
            return i;
        for (size_t k = 2; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
        i += len;
    }
    return n;
}

static void free_tensor(rk_st_tensor *t)
{
    rk_free(t->name);
    rk_free(t->dtype_name);
    rk_free(t->shape);
}

/* Free what f owns except f->data; reset the lists. */
static void free_contents(rk_st_file *f)
{
    for (size_t i = 0; i < f->n_tensors; i++)
        free_tensor(&f->tensors[i]);
    rk_free(f->tensors);
    for (size_t i = 0; i < f->n_meta; i++) {
        rk_free(f->meta_keys[i]);
        rk_free(f->meta_values[i]);
    }
    rk_free(f->meta_keys);
    rk_free(f->meta_values);
    f->tensors = NULL;
    f->meta_keys = f->meta_values = NULL;
    f->n_tensors = f->n_meta = 0;
}

void rk_st_close(rk_st_file *f)
{
    if (!f)
        return;
    free_contents(f);
    rk_free(f->data);
    if (f->fp)
        (void)fclose(f->fp);
    *f = (rk_st_file){ 0 };
}

/* A JSON integer that is ≥ 0 and fits size_t. */
static bool json_size(const json_t *v, size_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    unsigned long long u = (unsigned long long)json_integer_value(v);
    if (u > SIZE_MAX)
        return false;
    *out = (size_t)u;
    return true;
}

static rk_status parse_metadata(rk_st_file *f, const json_t *meta, rk_err *err)
{
    if (!json_is_object(meta))
        return rk_err_set(err, RK_EHEADER, "__metadata__ is not an object of strings");
    size_t n = json_object_size(meta);
    f->meta_keys = rk_calloc(n ? n : 1, sizeof *f->meta_keys);
    f->meta_values = rk_calloc(n ? n : 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)meta, key, value) {
        if (!json_is_string(value))
            return rk_err_set(err, RK_EHEADER, "__metadata__ value of \"%s\" is not a string", key);
        f->meta_keys[f->n_meta] = rk_strdup(key);
        f->meta_values[f->n_meta] = rk_strdup(json_string_value(value));
        f->n_meta++;
        if (!f->meta_keys[f->n_meta - 1] || !f->meta_values[f->n_meta - 1])
            return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    return RK_OK;
}

/* Fill t from one header entry {"dtype", "shape", "data_offsets"}: types,
 * dtype name, overflow-checked element and byte counts, end ≥ begin. */
static rk_status parse_entry(rk_st_tensor *t, const char *name, const json_t *e, rk_err *err)
{
    if (!json_is_object(e))
        return rk_err_set(err, RK_EHEADER, "tensor '%s': entry is not an object", name);
    const json_t *dtype = json_object_get(e, "dtype");
    const json_t *shape = json_object_get(e, "shape");
    const json_t *offs = json_object_get(e, "data_offsets");
    const char *missing = !dtype ? "dtype" : !shape ? "shape" : !offs ? "data_offsets" : NULL;
    if (missing)
        return rk_err_set(err, RK_EHEADER, "tensor '%s': missing \"%s\"", name, missing);
    if (json_object_size(e) != 3) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)e, key, v)
            if (strcmp(key, "dtype") && strcmp(key, "shape") && strcmp(key, "data_offsets"))
                return rk_err_set(err, RK_EHEADER, "tensor '%s': unexpected key \"%s\"", name, key);
    }
    if (!json_is_string(dtype))
        return rk_err_set(err, RK_EHEADER, "tensor '%s': dtype is not a string", name);
    unsigned bits = 0;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (!strcmp(st_dtypes[i].name, json_string_value(dtype))) {
            t->dtype = st_dtypes[i].dtype;
            bits = st_dtypes[i].bits;
        }
    if (!bits)
        return rk_err_set(err, RK_EDTYPE, "tensor '%s': unknown dtype \"%s\"", name,
                          json_string_value(dtype));
    if (!(t->name = rk_strdup(name)) || !(t->dtype_name = rk_strdup(json_string_value(dtype))))
        return rk_err_set(err, RK_ENOMEM, "out of memory");

    if (!json_is_array(shape))
        return rk_err_set(err, RK_EHEADER, "tensor '%s': shape is not an array", name);
    size_t ndim = json_array_size(shape), numel = 1;
    /* ndim < N/2 ≤ 50,000,000 (each element takes at least two bytes), so it fits int */
    if (ndim && !(t->shape = rk_calloc(ndim, sizeof *t->shape)))
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    t->ndim = (int)ndim;
    for (size_t i = 0; i < ndim; i++) {
        if (!json_size(json_array_get(shape, i), &t->shape[i]))
            return rk_err_set(err, RK_EHEADER,
                              "tensor '%s': shape must hold non-negative integers", name);
        if (!rk_size_mul(numel, t->shape[i], &numel))
            return rk_err_set(err, RK_EOVERFLOW, "tensor '%s': shape product overflows", name);
    }
    if (!json_is_array(offs) || json_array_size(offs) != 2 ||
        !json_size(json_array_get(offs, 0), &t->begin) || !json_size(json_array_get(offs, 1), &t->end))
        return rk_err_set(err, RK_EHEADER,
                          "tensor '%s': data_offsets must be [begin, end], non-negative integers", name);
    if (t->end < t->begin)
        return rk_err_set(err, RK_EOFFSETS, "tensor '%s': data_offsets end %zu < begin %zu", name,
                          t->end, t->begin);
    size_t nbits;
    if (!rk_size_mul(numel, bits, &nbits))
        return rk_err_set(err, RK_EOVERFLOW, "tensor '%s': byte count overflows", name);
    if (nbits % 8)
        return rk_err_set(err, RK_EHEADER, "tensor '%s': %zu elements of %s do not fill whole bytes",
                          name, numel, t->dtype_name);
    if (t->end - t->begin != nbits / 8)
        return rk_err_set(err, RK_EHEADER, "tensor '%s': data_offsets span %zu bytes, shape needs %zu",
                          name, t->end - t->begin, nbits / 8);
    return RK_OK;
}

static int cmp_offsets(const void *pa, const void *pb)
{
    const rk_st_tensor *a = pa, *b = pb;
    if (a->begin != b->begin)
        return a->begin < b->begin ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_names(const void *pa, const void *pb)
{
    return strcmp(((const rk_st_tensor *)pa)->name, ((const rk_st_tensor *)pb)->name);
}

/* Sorted by offsets, tensors must tile [0, data_len) exactly. */
static rk_status check_layout(rk_st_file *f, size_t data_len, rk_err *err)
{
    if (f->n_tensors)
        qsort(f->tensors, f->n_tensors, sizeof *f->tensors, cmp_offsets);
    size_t end = 0;
    for (size_t i = 0; i < f->n_tensors; i++) {
        const rk_st_tensor *t = &f->tensors[i];
        if (t->begin != end)
            return rk_err_set(err, RK_EOFFSETS, "tensor '%s' begins at byte %zu, but %s ends at %zu (%s)",
                              t->name, t->begin, i ? "the previous tensor" : "nothing", end,
                              t->begin > end ? "a hole" : "an overlap");
        end = t->end;
    }
    if (end > data_len)
        return rk_err_set(err, RK_ETRUNC,
                          "tensors need %zu bytes of data, the file has %zu after the header",
                          end, data_len);
    if (end < data_len)
        return rk_err_set(err, RK_EOFFSETS,
                          "%zu bytes after the last tensor's data (buffer end is not file end)",
                          data_len - end);
    if (f->n_tensors)
        qsort(f->tensors, f->n_tensors, sizeof *f->tensors, cmp_names);
    return RK_OK;
}

static rk_status parse_header(rk_st_file *f, const json_t *root, rk_err *err)
{
    size_t n = json_object_size(root);
    f->tensors = rk_calloc(n ? n : 1, sizeof *f->tensors);
    if (!f->tensors)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    const char *key;
    json_t *value;
    rk_status st;
    json_object_foreach((json_t *)root, key, value) {
        if (!strcmp(key, "__metadata__")) {
            if ((st = parse_metadata(f, value, err)))
                return st;
            continue;
        }
        /* count it first so free_contents() frees a half-filled entry */
        rk_st_tensor *t = &f->tensors[f->n_tensors++];
        if ((st = parse_entry(t, key, value, err)))
            return st;
    }
    return RK_OK;
}

/* The 8-byte length N at the start of a file of @p size bytes: checked
 * against the format's limit and the file's size. */
rk_status st_header_length(const unsigned char *head8, size_t size, size_t *hlen, rk_err *err)
{
    if (size < 8)
        return rk_err_set(err, RK_ETRUNC, "file is %zu bytes, too short for the 8-byte header length",
                          size);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--)
        n = (n << 8) | head8[i];
    if (n > RK_ST_MAX_HEADER)
        return rk_err_set(err, RK_ETOOBIG, "header length %llu exceeds the limit of %u bytes",
                          (unsigned long long)n, RK_ST_MAX_HEADER);
    if (n > size - 8)
        return rk_err_set(err, RK_ETRUNC, "header length %llu runs past the end of the file (%zu bytes)",
                          (unsigned long long)n, size);
    *hlen = (size_t)n;
    return RK_OK;
}

rk_status st_parse_header(rk_st_file *f, const unsigned char *hdr, size_t hlen, size_t data_len,
                          rk_err *err)
{
    size_t bad = utf8_invalid_at(hdr, hlen);
    if (bad < hlen)
        return rk_err_set(err, RK_EHEADER, "header is not valid UTF-8 (byte %zu)", 8 + bad);
    json_error_t jerr;
    json_t *root = json_loadb((const char *)hdr, hlen, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        if (json_error_code(&jerr) == json_error_duplicate_key)
            return rk_err_set(err, RK_EDUPKEY, "header has a duplicate key: %s", jerr.text);
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return rk_err_set(err, RK_ENOMEM, "out of memory parsing the header");
        return rk_err_set(err, RK_EJSON, "header is not valid JSON: %s (column %d)", jerr.text,
                          jerr.column);
    }
    rk_status st = RK_OK;
    if (!json_is_object(root))
        st = rk_err_set(err, RK_EJSON, "header is a JSON array, not an object");
    if (!st)
        st = parse_header(f, root, err);
    json_decref(root);
    if (!st)
        st = check_layout(f, data_len, err);
    if (st) {
        free_contents(f);
        *f = (rk_st_file){ 0 };
    }
    return st;
}

rk_status rk_st_parse(rk_st_file *f, unsigned char *buf, size_t size, rk_err *err)
{
    if (!f || (!buf && size))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *f = (rk_st_file){ 0 };
    size_t hlen;
    rk_status st = st_header_length(buf, size, &hlen, err);
    if (!st)
        st = st_parse_header(f, buf + 8, hlen, size - 8 - hlen, err);
    if (st)
        return st;
    f->data = buf;
    f->size = size;
    f->data_start = 8 + hlen;
    return RK_OK;
}

rk_status rk_st_open(rk_st_file *f, const char *path, rk_err *err)
{
    if (!f || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *f = (rk_st_file){ 0 };
    unsigned char *buf;
    size_t size;
    rk_status st = rk_file_read_all(path, SIZE_MAX, &buf, &size, err);
    if (st)
        return st;
    st = rk_st_parse(f, buf, size, err);
    if (st)
        rk_free(buf);
    return st;
}

const rk_st_tensor *rk_st_find(const rk_st_file *f, const char *name)
{
    if (!f || !name || !f->n_tensors)
        return NULL;
    rk_st_tensor key = { .name = (char *)name };
    return bsearch(&key, f->tensors, f->n_tensors, sizeof key, cmp_names);
}

size_t rk_st_tensor_numel(const rk_st_tensor *t)
{
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++)
        n *= t->shape[i]; /* cannot overflow: checked by rk_st_parse */
    return n;
}

bool rk_st_dtype_loadable(const rk_st_tensor *t)
{
    switch (t->dtype) {
    case RK_DT_F64: case RK_DT_F32: case RK_DT_F16: case RK_DT_BF16: case RK_DT_I64:
    case RK_DT_I32: case RK_DT_I16: case RK_DT_I8: case RK_DT_U8: case RK_DT_BOOL:
        return true;
    default:
        return false;
    }
}
