/*
 * idx.c — IDX reader (raw or gzip): header checks first, then a payload of
 * exactly the declared size. Gzip streams are inflated in growing chunks
 * capped at the declared size, plus one byte to prove nothing follows.
 */
#include "io/idx.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "io/file.h"

/* First allocation for a gzip payload; doubled until the declared size. */
#define GZ_FIRST_CHUNK ((size_t)1 << 20)

size_t rk_idx_type_size(int type)
{
    switch (type) {
    case RK_IDX_U8: case RK_IDX_I8: return 1;
    case RK_IDX_I16: return 2;
    case RK_IDX_I32: case RK_IDX_F32: return 4;
    case RK_IDX_F64: return 8;
    default: return 0;
    }
}

static rk_dtype idx_dtype(int type)
{
    switch (type) {
    case RK_IDX_U8: return RK_DT_U8;
    case RK_IDX_I8: return RK_DT_I8;
    case RK_IDX_I16: return RK_DT_I16;
    case RK_IDX_I32: return RK_DT_I32;
    case RK_IDX_F32: return RK_DT_F32;
    case RK_IDX_F64: return RK_DT_F64;
    default: return RK_DT_UNKNOWN;
    }
}

static const char *idx_type_name(int type)
{
    switch (type) {
    case RK_IDX_U8: return "u8";
    case RK_IDX_I8: return "i8";
    case RK_IDX_I16: return "i16";
    case RK_IDX_I32: return "i32";
    case RK_IDX_F32: return "f32";
    default: return "f64";
    }
}

/* "(60000, 28, 28) of u8" into buf, for messages. */
static const char *describe(const rk_idx *h, char *buf, size_t cap)
{
    size_t len = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < h->ndim && len < cap; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%zu", i ? ", " : "", h->dims[i]);
    if (len < cap)
        snprintf(buf + len, cap - len, ") of %s", idx_type_name(h->type));
    return buf;
}

rk_status rk_idx_parse_header(const unsigned char *buf, size_t size, rk_idx *out,
                              size_t *header_len, rk_err *err)
{
    *out = (rk_idx){ 0 };
    *header_len = 0;
    if (size < 4)
        return rk_err_set(err, RK_ETRUNC, "data is %zu bytes, shorter than the 4-byte IDX magic", size);
    if (buf[0] != 0 || buf[1] != 0)
        return rk_err_set(err, RK_EMAGIC,
                          "magic starts with %02x %02x, not 00 00 (not an IDX file)", buf[0], buf[1]);
    if (!rk_idx_type_size(buf[2]))
        return rk_err_set(err, RK_EDTYPE,
                          "unknown IDX type byte 0x%02x (expected 08, 09, 0B, 0C, 0D or 0E)", buf[2]);
    int ndim = buf[3];
    if (ndim < 1 || ndim > RK_IDX_MAX_DIMS)
        return rk_err_set(err, RK_EFORMAT, "dimension count %d is outside 1..%d", ndim, RK_IDX_MAX_DIMS);
    size_t hlen = 4 + 4 * (size_t)ndim;
    if (size < hlen)
        return rk_err_set(err, RK_ETRUNC, "header of %d dimensions needs %zu bytes, data is %zu",
                          ndim, hlen, size);
    rk_idx h = { .type = (rk_idx_type)buf[2], .dtype = idx_dtype(buf[2]), .ndim = ndim, .count = 1 };
    bool overflow = false;
    for (int i = 0; i < ndim; i++) {
        const unsigned char *p = buf + 4 + 4 * i;
        h.dims[i] = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | (size_t)p[3];
        overflow = overflow || !rk_size_mul(h.count, h.dims[i], &h.count);
    }
    char shape[160];
    if (overflow || !rk_size_mul(h.count, rk_idx_type_size(h.type), &h.nbytes))
        return rk_err_set(err, RK_EOVERFLOW, "shape %s: size overflows",
                          describe(&h, shape, sizeof shape));
    if (h.nbytes > RK_IDX_MAX_BYTES)
        return rk_err_set(err, RK_ETOOBIG, "shape %s needs %zu bytes, more than the %zu allowed",
                          describe(&h, shape, sizeof shape), h.nbytes, RK_IDX_MAX_BYTES);
    *out = h;
    *header_len = hlen;
    return RK_OK;
}

/* Check the raw payload size against the header and keep a pointer to it. */
static rk_status check_raw_payload(const rk_idx *h, size_t payload, rk_err *err)
{
    char shape[160];
    if (payload < h->nbytes)
        return rk_err_set(err, RK_ETRUNC, "payload is %zu bytes, shape %s needs %zu", payload,
                          describe(h, shape, sizeof shape), h->nbytes);
    if (payload > h->nbytes)
        return rk_err_set(err, RK_EFORMAT, "payload is %zu bytes, %zu more than shape %s declares",
                          payload, payload - h->nbytes, describe(h, shape, sizeof shape));
    return RK_OK;
}

/* ---- gzip -------------------------------------------------------------- */

typedef struct gz_source {
    z_stream zs;
    const unsigned char *in;  /* input not yet handed to zlib */
    size_t in_left;
    bool done;                /* last member ended and no input is left */
} gz_source;

static voidpf gz_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    size_t bytes;
    return rk_size_mul(items, size, &bytes) ? rk_alloc(bytes) : NULL;
}

static void gz_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    rk_free(p);
}

static rk_status gz_open(gz_source *g, const unsigned char *buf, size_t size, rk_err *err)
{
    memset(g, 0, sizeof *g);
    g->zs.zalloc = gz_alloc;
    g->zs.zfree = gz_free;
    g->in = buf;
    g->in_left = size;
    int rc = inflateInit2(&g->zs, 16 + MAX_WBITS); /* 16: expect a gzip wrapper */
    if (rc == Z_MEM_ERROR)
        return rk_err_set(err, RK_ENOMEM, "out of memory starting zlib");
    if (rc != Z_OK)
        return rk_err_set(err, RK_EIO, "zlib failed to start (%d)", rc);
    return RK_OK;
}

/*
 * Inflate up to @p want bytes into dst; *got says how many came. *got < want
 * only when the stream ended cleanly (every member complete, input used up).
 * Concatenated gzip members are one stream, as gzip(1) treats them.
 */
static rk_status gz_fill(gz_source *g, unsigned char *dst, size_t want, size_t *got, rk_err *err)
{
    *got = 0;
    while (*got < want && !g->done) {
        if (g->zs.avail_in == 0 && g->in_left > 0) {
            uInt chunk = g->in_left > UINT_MAX ? UINT_MAX : (uInt)g->in_left;
            g->zs.next_in = (Bytef *)(uintptr_t)g->in;
            g->zs.avail_in = chunk;
            g->in += chunk;
            g->in_left -= chunk;
        }
        uInt room = want - *got > UINT_MAX ? UINT_MAX : (uInt)(want - *got);
        g->zs.next_out = dst + *got;
        g->zs.avail_out = room;
        int rc = inflate(&g->zs, Z_NO_FLUSH);
        *got += room - g->zs.avail_out;
        if (rc == Z_STREAM_END) {
            if (g->zs.avail_in == 0 && g->in_left == 0)
                g->done = true;
            else if (inflateReset(&g->zs) != Z_OK)
                return rk_err_set(err, RK_EIO, "zlib failed to restart");
        } else if (rc == Z_MEM_ERROR) {
            return rk_err_set(err, RK_ENOMEM, "out of memory in zlib");
        } else if (rc == Z_BUF_ERROR && g->zs.avail_in == 0 && g->in_left == 0) {
            return rk_err_set(err, RK_ETRUNC, "gzip stream is truncated (ends before its trailer)");
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            return rk_err_set(err, RK_EFORMAT, "corrupt gzip data (%s)",
                              g->zs.msg ? g->zs.msg : "zlib error");
        }
    }
    return RK_OK;
}

/* Inflate the header: 4 magic bytes, then as many dimensions as they claim. */
static rk_status gz_read_header(gz_source *g, rk_idx *h, size_t *hlen, rk_err *err)
{
    unsigned char hdr[4 + 4 * RK_IDX_MAX_DIMS];
    size_t got, more = 0;
    rk_status st = gz_fill(g, hdr, 4, &got, err);
    if (st == RK_OK && got == 4) {
        size_t ndim = hdr[3] > RK_IDX_MAX_DIMS ? RK_IDX_MAX_DIMS : hdr[3];
        st = gz_fill(g, hdr + 4, 4 * ndim, &more, err);
    }
    if (st != RK_OK)
        return st;
    return rk_idx_parse_header(hdr, got + more, h, hlen, err);
}

/* Inflate exactly h->nbytes of payload into a block grown on demand. */
static rk_status gz_read_payload(gz_source *g, rk_idx *h, rk_err *err)
{
    size_t cap = h->nbytes < GZ_FIRST_CHUNK ? h->nbytes : GZ_FIRST_CHUNK, have = 0, got;
    unsigned char *block = rk_alloc(cap);
    if (!block)
        return rk_err_set(err, RK_ENOMEM, "cannot allocate %zu bytes", cap);
    rk_status st;
    for (;;) {
        st = gz_fill(g, block + have, cap - have, &got, err);
        have += got;
        if (st != RK_OK || have < cap || cap == h->nbytes)
            break;
        size_t grown = cap > h->nbytes / 2 ? h->nbytes : 2 * cap;
        unsigned char *bigger = rk_alloc(grown);
        if (!bigger) {
            st = rk_err_set(err, RK_ENOMEM, "cannot allocate %zu bytes", grown);
            break;
        }
        memcpy(bigger, block, have);
        rk_free(block);
        block = bigger;
        cap = grown;
    }
    char shape[160];
    if (st == RK_OK && have < h->nbytes)
        st = rk_err_set(err, RK_ETRUNC, "gzip payload is %zu bytes, shape %s needs %zu", have,
                        describe(h, shape, sizeof shape), h->nbytes);
    unsigned char extra;
    if (st == RK_OK && (st = gz_fill(g, &extra, 1, &got, err)) == RK_OK && got)
        st = rk_err_set(err, RK_EFORMAT, "gzip payload is longer than the %zu bytes shape %s declares",
                        h->nbytes, describe(h, shape, sizeof shape));
    if (st != RK_OK) {
        rk_free(block);
        return st;
    }
    h->data = h->block_ = block;
    return RK_OK;
}

static bool is_gzip(const unsigned char *buf, size_t size)
{
    return size >= 2 && buf[0] == 0x1f && buf[1] == 0x8b;
}

static rk_status read_gzip(const unsigned char *buf, size_t size, rk_idx *out, rk_err *err)
{
    gz_source g;
    rk_status st = gz_open(&g, buf, size, err);
    if (st != RK_OK)
        return st;
    size_t hlen;
    rk_idx h;
    st = gz_read_header(&g, &h, &hlen, err);
    if (st == RK_OK)
        st = gz_read_payload(&g, &h, err);
    inflateEnd(&g.zs);
    if (st == RK_OK)
        *out = h;
    return st;
}

rk_status rk_idx_read_mem(const unsigned char *buf, size_t size, rk_idx *out, rk_err *err)
{
    *out = (rk_idx){ 0 };
    if (!buf && size)
        return rk_err_set(err, RK_EINVAL, "no buffer");
    if (is_gzip(buf, size))
        return read_gzip(buf, size, out, err);
    rk_idx h;
    size_t hlen;
    rk_status st = rk_idx_parse_header(buf, size, &h, &hlen, err);
    if (st == RK_OK)
        st = check_raw_payload(&h, size - hlen, err);
    if (st != RK_OK)
        return st;
    if (!(h.block_ = rk_alloc(h.nbytes)))
        return rk_err_set(err, RK_ENOMEM, "cannot allocate %zu bytes", h.nbytes);
    if (h.nbytes)
        memcpy(h.block_, buf + hlen, h.nbytes);
    h.data = h.block_;
    *out = h;
    return RK_OK;
}

rk_status rk_idx_read(const char *path, rk_idx *out, rk_err *err)
{
    *out = (rk_idx){ 0 };
    if (!path)
        return rk_err_set(err, RK_EINVAL, "no path");
    unsigned char *buf;
    size_t size;
    rk_status st = rk_file_read_all(path, RK_IDX_MAX_BYTES + 4 + 4 * RK_IDX_MAX_DIMS, &buf, &size, err);
    if (st != RK_OK)
        return st;
    if (is_gzip(buf, size)) {
        st = read_gzip(buf, size, out, err);
        rk_free(buf);
        return st;
    }
    /* Raw: the payload stays where it was read, no second copy. */
    rk_idx h;
    size_t hlen;
    st = rk_idx_parse_header(buf, size, &h, &hlen, err);
    if (st == RK_OK)
        st = check_raw_payload(&h, size - hlen, err);
    if (st != RK_OK) {
        rk_free(buf);
        return st;
    }
    h.block_ = buf;
    h.data = buf + hlen;
    *out = h;
    return RK_OK;
}

void rk_idx_free(rk_idx *idx)
{
    if (!idx)
        return;
    rk_free(idx->block_);
    *idx = (rk_idx){ 0 };
}

rk_status rk_idx_to_float(const rk_idx *idx, float *dst, size_t n)
{
    if (n > idx->count)
        return RK_ERANGE;
    rk_dtype_to_float(idx->dtype, true, idx->data, n, dst);
    return RK_OK;
}
