/*
 * npy_header.c — the .npy preamble and header: a strict parser for the
 * Python dict literal numpy writes, and the formatter of the header ranklab
 * writes. The reader of the data is in npy.c.
 *
 * Grammar accepted (the subset of Python literals numpy's writers produce):
 *
 *   header  := ws '{' ws [ entry ( ws ',' ws entry )* [ ws ',' ] ] ws '}' ws
 *   entry   := string ws ':' ws value       keys: exactly descr, fortran_order, shape
 *   string  := '…' | "…"                    printable ASCII, no backslash
 *   value   := string                       for descr
 *            | 'True' | 'False'             for fortran_order
 *            | '(' [ int ( ws ',' ws int )* [ ws ',' ] ] ')'   for shape; a single
 *                                           element needs its comma, as in Python
 *   int     := '0' | [1-9][0-9]*            ('L' suffix allowed in 1.0/2.0, as numpy's
 *                                           filter for Python 2 headers does)
 *   ws      := ( ' ' | '\t' | '\n' | '\r' )*
 */
#include "io/npy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

static const unsigned char npy_magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

/* numpy's NPY_MAXDIMS (1.x): more dimensions cannot come from numpy. */
enum { NPY_MAXDIMS = 32, DESCR_MAX = 32 };

/* The descr strings ranklab converts; the first character is the byte order. */
static const struct {
    const char *code;  /* kind and size, after the byte-order character */
    rk_dtype dtype;
} descr_table[] = {
    { "f8", RK_DT_F64 }, { "f4", RK_DT_F32 }, { "f2", RK_DT_F16 },
    { "i8", RK_DT_I64 }, { "i4", RK_DT_I32 }, { "i2", RK_DT_I16 }, { "i1", RK_DT_I8 },
    { "u8", RK_DT_U64 }, { "u4", RK_DT_U32 }, { "u2", RK_DT_U16 }, { "u1", RK_DT_U8 },
    { "b1", RK_DT_BOOL },
};

#define SUPPORTED_DESCRS "<f8 <f4 <f2 <i8 <i4 <i2 |i1 <u8 <u4 <u2 |u1 |b1, or '>' for big-endian"

/* Cursor over the header text. */
typedef struct parser {
    const unsigned char *p, *end;
    int major;
    rk_err *err;
} parser;

/* What the dict held. */
typedef struct header_fields {
    char descr[DESCR_MAX + 1];
    bool fortran_order;
    int ndim;
    size_t dims[NPY_MAXDIMS];
    bool seen[3];   /* descr, fortran_order, shape */
} header_fields;

static const char *const key_names[3] = { "descr", "fortran_order", "shape" };

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static bool accept(parser *ps, char c)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == (unsigned char)c) {
        ps->p++;
        return true;
    }
    return false;
}

/* Describe the character at the cursor for a message. */
static const char *here(const parser *ps, char *buf, size_t cap)
{
    if (ps->p >= ps->end)
        return "the end of the header";
    unsigned char c = *ps->p;
    if (c >= 0x20 && c < 0x7f)
        snprintf(buf, cap, "'%c'", c);
    else
        snprintf(buf, cap, "byte 0x%02x", c);
    return buf;
}

static rk_status syntax(parser *ps, const char *expected)
{
    char b[16];
    return rk_err_set(ps->err, RK_EHEADER, "header is not a valid dict literal: expected %s at %s",
                      expected, here(ps, b, sizeof b));
}

/* string := '…' | "…" → out, NUL-terminated; longer strings are cut to
 * cap − 1 characters (they then match no key and no descr, and say so). */
static rk_status parse_string(parser *ps, char *out, size_t cap, const char *what)
{
    skip_ws(ps);
    if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"'))
        return syntax(ps, what);
    unsigned char quote = *ps->p++;
    size_t n = 0;
    bool closed = false;
    while (ps->p < ps->end && !closed) {
        unsigned char c = *ps->p++;
        if (c == quote) {
            closed = true;
            break;
        }
        if (c == '\\')
            return rk_err_set(ps->err, RK_EHEADER, "escape sequences in header strings are not supported");
        if (c == '\n') /* a Python string literal cannot span lines */
            return rk_err_set(ps->err, RK_EHEADER, "unterminated string in the header");
        if (c < 0x20 || c >= 0x7f)
            return rk_err_set(ps->err, RK_EHEADER,
                              "header string holds byte 0x%02x (only printable ASCII is valid)", c);
        if (n + 1 < cap)
            out[n++] = (char)c;
    }
    if (!closed)
        return rk_err_set(ps->err, RK_EHEADER, "unterminated string in the header");
    out[n] = '\0';
    return RK_OK;
}

static bool ident_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.';
}

/* A non-negative decimal integer for the shape; RK_EOVERFLOW when it exceeds size_t. */
static rk_status parse_dim(parser *ps, size_t *out)
{
    skip_ws(ps);
    const unsigned char *start = ps->p;
    if (ps->p < ps->end && *ps->p == '-')
        return rk_err_set(ps->err, RK_EHEADER, "shape has a negative dimension");
    if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
        return rk_err_set(ps->err, RK_EHEADER, "shape must be a tuple of non-negative integers");
    size_t v = 0;
    bool overflow = false;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        size_t d = (size_t)(*ps->p++ - '0');
        if (v > (SIZE_MAX - d) / 10)
            overflow = true;
        else
            v = v * 10 + d;
    }
    if (ps->p - start > 1 && *start == '0')
        return rk_err_set(ps->err, RK_EHEADER, "shape dimension has a leading zero");
    if (ps->major <= 2 && ps->p < ps->end && *ps->p == 'L')
        ps->p++; /* Python 2 long suffix, which numpy filters out of 1.0/2.0 headers */
    if (ps->p < ps->end && ident_char(*ps->p)) /* 3.5, 3e5, 3j, 0x3, 1_000 */
        return rk_err_set(ps->err, RK_EHEADER, "shape must be a tuple of non-negative integers");
    if (overflow)
        return rk_err_set(ps->err, RK_EOVERFLOW, "shape dimension %.*s does not fit in %zu bits",
                          (int)(ps->p - start > 40 ? 40 : ps->p - start), (const char *)start,
                          sizeof(size_t) * 8);
    *out = v;
    return RK_OK;
}

/* shape := '(' [ int (',' int)* [','] ] ')', with Python's one-tuple rule. */
static rk_status parse_shape(parser *ps, header_fields *h)
{
    if (!accept(ps, '('))
        return rk_err_set(ps->err, RK_EHEADER, "shape must be a tuple of non-negative integers");
    h->ndim = 0;
    if (accept(ps, ')'))
        return RK_OK;
    bool comma = false;
    for (;;) {
        size_t d = 0;
        rk_status st = parse_dim(ps, &d);
        if (st)
            return st;
        if (h->ndim == NPY_MAXDIMS)
            return rk_err_set(ps->err, RK_ESHAPE, "shape has more than %d dimensions", NPY_MAXDIMS);
        h->dims[h->ndim++] = d;
        comma = accept(ps, ',');
        if (accept(ps, ')'))
            break;
        if (!comma)
            return syntax(ps, "',' or ')' in the shape");
    }
    if (h->ndim == 1 && !comma) /* (3) is the integer 3, not a tuple */
        return rk_err_set(ps->err, RK_EHEADER, "shape must be a tuple of non-negative integers");
    return RK_OK;
}

static rk_status parse_value(parser *ps, int key, header_fields *h)
{
    skip_ws(ps);
    if (key == 0) {
        if (ps->p < ps->end && *ps->p == '[')
            return rk_err_set(ps->err, RK_EDTYPE, "structured dtypes (descr is a list) are not "
                              "supported; supported: " SUPPORTED_DESCRS);
        if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"'))
            return rk_err_set(ps->err, RK_EHEADER, "descr must be a string such as '<f8'");
        return parse_string(ps, h->descr, sizeof h->descr, "a string");
    }
    if (key == 1) {
        size_t left = (size_t)(ps->end - ps->p);
        if (left >= 4 && !memcmp(ps->p, "True", 4))
            h->fortran_order = true, ps->p += 4;
        else if (left >= 5 && !memcmp(ps->p, "False", 5))
            h->fortran_order = false, ps->p += 5;
        else
            return rk_err_set(ps->err, RK_EHEADER, "fortran_order must be True or False");
        if (ps->p < ps->end && ident_char(*ps->p)) /* Truest, False_ */
            return rk_err_set(ps->err, RK_EHEADER, "fortran_order must be True or False");
        return RK_OK;
    }
    return parse_shape(ps, h);
}

static rk_status parse_entry(parser *ps, header_fields *h)
{
    char key[32];
    rk_status st = parse_string(ps, key, sizeof key, "a string key");
    if (st)
        return st;
    int k = 0;
    while (k < 3 && strcmp(key, key_names[k]))
        k++;
    if (k == 3)
        return rk_err_set(ps->err, RK_EHEADER, "unexpected key '%s' in the header; a .npy header has "
                          "exactly the keys descr, fortran_order and shape", key);
    if (h->seen[k])
        return rk_err_set(ps->err, RK_EDUPKEY, "key '%s' appears twice in the header", key);
    h->seen[k] = true;
    if (!accept(ps, ':'))
        return syntax(ps, "':'");
    return parse_value(ps, k, h);
}

static rk_status parse_dict(parser *ps, header_fields *h)
{
    if (!accept(ps, '{'))
        return syntax(ps, "'{'");
    if (!accept(ps, '}')) {
        for (;;) {
            rk_status st = parse_entry(ps, h);
            if (st)
                return st;
            bool comma = accept(ps, ',');
            if (accept(ps, '}'))
                break;
            if (!comma)
                return syntax(ps, "',' or '}'");
        }
    }
    skip_ws(ps);
    if (ps->p != ps->end)
        return syntax(ps, "nothing after the closing '}'");
    for (int k = 0; k < 3; k++)
        if (!h->seen[k])
            return rk_err_set(ps->err, RK_EHEADER, "header has no '%s' key; a .npy header has exactly "
                              "the keys descr, fortran_order and shape", key_names[k]);
    return RK_OK;
}

static rk_status descr_to_dtype(const header_fields *h, rk_npy_info *info, rk_err *err)
{
    const char *d = h->descr;
    char order = d[0];
    for (size_t i = 0; order && i < sizeof descr_table / sizeof descr_table[0]; i++) {
        if (strcmp(d + 1, descr_table[i].code))
            continue;
        rk_dtype t = descr_table[i].dtype;
        bool one_byte = rk_dtype_size(t) == 1;
        if (order == '<' || order == '>' || (order == '|' && one_byte)) {
            info->dtype = t;
            info->big_endian = order == '>' && !one_byte;
            return RK_OK;
        }
        if (order == '|')
            return rk_err_set(err, RK_EDTYPE, "descr '%s' has no byte order; use '<%s' or '>%s'", d,
                              d + 1, d + 1);
    }
    return rk_err_set(err, RK_EDTYPE, "unsupported descr '%s'; supported: " SUPPORTED_DESCRS, d);
}

/* "(3, 4)" / "(5,)" / "()" into buf. */
static void shape_str(const size_t *dims, int ndim, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < ndim && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, i ? ", %zu" : "%zu", dims[i]);
    if (n < cap)
        snprintf(buf + n, cap - n, ndim == 1 ? ",)" : ")");
}

static rk_status check_shape(const header_fields *h, rk_npy_info *info, rk_err *err)
{
    char s[128];
    if (h->ndim == 0 || h->ndim > 2) {
        shape_str(h->dims, h->ndim, s, sizeof s); /* cut short if very long */
        return rk_err_set(err, RK_ESHAPE, "%d-d array %s is not supported; ranklab reads 1-d and "
                          "2-d arrays", h->ndim, s);
    }
    size_t count = h->dims[0], bytes;
    if (h->ndim == 2 && !rk_size_mul(h->dims[0], h->dims[1], &count)) {
        shape_str(h->dims, h->ndim, s, sizeof s);
        return rk_err_set(err, RK_EOVERFLOW, "shape %s: element count overflows", s);
    }
    if (!rk_size_mul(count, rk_dtype_size(info->dtype), &bytes)) {
        shape_str(h->dims, h->ndim, s, sizeof s);
        return rk_err_set(err, RK_EOVERFLOW, "shape %s of '%s': byte count overflows", s, h->descr);
    }
    info->ndim = h->ndim;
    info->shape[0] = h->dims[0];
    info->shape[1] = h->ndim == 2 ? h->dims[1] : 0;
    return RK_OK;
}

/* Magic, version and header length; sets info->major/minor/header_len/data_offset. */
static rk_status parse_preamble(const unsigned char *buf, size_t size, rk_npy_info *info, rk_err *err)
{
    if (size == 0)
        return rk_err_set(err, RK_ETRUNC, "file is empty; a .npy file starts with \\x93NUMPY");
    size_t m = size < 6 ? size : 6;
    if (memcmp(buf, npy_magic, m))
        return rk_err_set(err, RK_EMAGIC, "does not start with the .npy magic \\x93NUMPY");
    if (size < 10)
        return rk_err_set(err, RK_ETRUNC, "file is %zu bytes, shorter than the 10-byte .npy preamble",
                          size);
    info->major = buf[6];
    info->minor = buf[7];
    if (info->major < 1 || info->major > 3 || info->minor != 0)
        return rk_err_set(err, RK_EVERSION, ".npy version %d.%d is not supported; ranklab reads 1.0, "
                          "2.0 and 3.0", info->major, info->minor);
    size_t pre = info->major == 1 ? 10 : 12;
    if (size < pre)
        return rk_err_set(err, RK_ETRUNC, "file is %zu bytes, shorter than the %zu-byte .npy %d.0 "
                          "preamble", size, pre, info->major);
    uint32_t len = (uint32_t)buf[8] | (uint32_t)buf[9] << 8;
    if (pre == 12)
        len |= (uint32_t)buf[10] << 16 | (uint32_t)buf[11] << 24;
    info->header_len = len;
    if (len > RK_NPY_HEADER_MAX)
        return rk_err_set(err, RK_ETOOBIG, "header is %zu bytes, more than numpy's limit of %d",
                          (size_t)len, RK_NPY_HEADER_MAX);
    if (len > size - pre)
        return rk_err_set(err, RK_ETRUNC, "header is %zu bytes but only %zu bytes follow the preamble",
                          (size_t)len, size - pre);
    info->data_offset = pre + len;
    if (len == 0 || buf[pre + len - 1] != '\n')
        return rk_err_set(err, RK_EHEADER, "header does not end in a newline");
    return RK_OK;
}

rk_status rk_npy_parse_header(const unsigned char *buf, size_t size, rk_npy_info *info, rk_err *err)
{
    if ((!buf && size) || !info)
        return rk_err_set(err, RK_EINVAL, "no buffer or no info given");
    *info = (rk_npy_info){ 0 };
    info->dtype = RK_DT_UNKNOWN;
    rk_status st = parse_preamble(buf, size, info, err);
    if (st)
        return st;
    size_t pre = info->data_offset - info->header_len;
    parser ps = { buf + pre, buf + info->data_offset, info->major, err };
    header_fields h;
    memset(&h, 0, sizeof h);
    if ((st = parse_dict(&ps, &h)) || (st = descr_to_dtype(&h, info, err)))
        return st;
    info->fortran_order = h.fortran_order;
    return check_shape(&h, info, err);
}

size_t rk_npy_data_size(const rk_npy_info *info)
{
    size_t count = info->ndim == 2 ? info->shape[0] * info->shape[1] : info->shape[0];
    return count * rk_dtype_size(info->dtype);
}

rk_status rk_npy_format_header(unsigned char *buf, size_t cap, rk_dtype dtype, size_t rows,
                               size_t cols, size_t *len)
{
    if (dtype != RK_DT_F64 && dtype != RK_DT_F32)
        return RK_EDTYPE;
    /* numpy.save: keys sorted, then spaces so the first dimension can grow
     * to 21 digits in place, then space padding and '\n' to a multiple of 64. */
    char dict[160];
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%zu, %zu), }",
                     dtype == RK_DT_F64 ? "<f8" : "<f4", rows, cols);
    char first[24];
    int growth = 21 - snprintf(first, sizeof first, "%zu", rows);
    size_t body = (size_t)n + (size_t)(growth > 0 ? growth : 0) + 1; /* + '\n' */
    size_t pre = body + 10 > 65535 ? 12 : 10;                         /* version 2.0 if needed */
    size_t pad = 64 - (pre + body) % 64;
    size_t total = pre + body + pad;
    if (total > cap)
        return RK_ERANGE;
    size_t hlen = body + pad;
    memcpy(buf, npy_magic, 6);
    buf[6] = pre == 10 ? 1 : 2;
    buf[7] = 0;
    for (size_t i = 0; i < pre - 8; i++)
        buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + pre, dict, (size_t)n);
    memset(buf + pre + n, ' ', total - pre - (size_t)n - 1);
    buf[total - 1] = '\n';
    *len = total;
    return RK_OK;
}
