/*
 * safetensors_lazy.c — a safetensors file opened by its header alone, and the
 * tensors' data: the conversion of one tensor's bytes (from memory, or read
 * with pread a chunk at a time) to double or float, and the entry points over
 * it (rk_st_tensor_to_mat, _to_f32, _rsub_f32, _diff_f32, rk_st_load_matrix).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/parallel.h"
#include "io/file.h"
#include "io/safetensors_internal.h"

/* Read exactly @p n bytes at @p off of @p fd into @p buf. */
static rk_status read_at(int fd, void *buf, size_t n, size_t off, rk_err *err)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = pread(fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return rk_err_set(err, RK_EIO, "read failed at byte %zu: %s", off, strerror(errno));
        if (got == 0)
            return rk_err_set(err, RK_ETRUNC, "file ends before byte %zu (it changed after it was opened)",
                              off + n);
        p += got;
        off += (size_t)got;
        n -= (size_t)got;
    }
    return RK_OK;
}

rk_status rk_st_open_lazy(rk_st_file *f, const char *path, rk_err *err)
{
    if (!f || !path)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *f = (rk_st_file){ 0 };
    FILE *fp;
    size_t size, hlen;
    unsigned char head8[8] = { 0 };
    rk_status st = rk_file_open_regular(path, &fp, &size, err);
    if (st)
        return st;
    st = size < 8 ? st_header_length(head8, size, &hlen, err) : read_at(fileno(fp), head8, 8, 0, err);
    if (!st)
        st = st_header_length(head8, size, &hlen, err);
    unsigned char *hdr = NULL;
    if (!st && !(hdr = rk_alloc(hlen ? hlen : 1)))
        st = rk_err_set(err, RK_ENOMEM, "out of memory for a header of %zu bytes", hlen);
    if (!st)
        st = read_at(fileno(fp), hdr, hlen, 8, err);
    if (!st)
        st = st_parse_header(f, hdr, hlen, size - 8 - hlen, err);
    rk_free(hdr);
    if (st) {
        (void)fclose(fp);
        return st;
    }
    f->fp = fp;
    f->size = size;
    f->data_start = 8 + hlen;
    return RK_OK;
}

/* Convert @p count elements of type @p t at @p src into dst[first, first + count). */
static void convert_span(rk_dtype t, const unsigned char *src, size_t first, size_t count, void *dst,
                         float *tmp, st_conv mode)
{
    if (mode == ST_SET_F64) {
        rk_dtype_to_double(t, false, src, count, (double *)dst + first);
    } else if (mode == ST_SET_F32) {
        rk_dtype_to_float(t, false, src, count, (float *)dst + first);
    } else {
        float *d = (float *)dst + first;
        rk_dtype_to_float(t, false, src, count, tmp);
        for (size_t i = 0; i < count; i++)
            d[i] = tmp[i] - d[i];
    }
}

/* Elements per span of a conversion: one RK_ST_CHUNK read of a lazy file, the whole tensor in memory. */
static size_t span_elems(const rk_st_file *f, size_t es, size_t numel)
{
    size_t per = f->fp ? RK_ST_CHUNK / es : numel;
    return per ? per : 1;
}

/* Elements [first, first + count) of @p t into dst by @p mode (buf: a span's bytes for a lazy file). */
static rk_status convert_at(const rk_st_file *f, const rk_st_tensor *t, size_t first, size_t count,
                            void *dst, st_conv mode, unsigned char *buf, float *tmp, rk_err *err)
{
    size_t es = rk_dtype_size(t->dtype), off = f->data_start + t->begin + first * es;
    rk_status st = f->fp ? read_at(fileno(f->fp), buf, count * es, off, err) : RK_OK;
    if (!st)
        convert_span(t->dtype, f->data ? f->data + off : buf, first, count, dst, tmp, mode);
    return st;
}

rk_status st_convert(const rk_st_file *f, const rk_st_tensor *t, void *dst, st_conv mode, rk_err *err)
{
    size_t es = rk_dtype_size(t->dtype), n = t->end - t->begin;
    if (n == 0 || es == 0)
        return RK_OK;
    size_t numel = n / es, per = span_elems(f, es, numel);
    unsigned char *buf = f->fp ? rk_alloc(per * es) : NULL;
    float *tmp = mode == ST_RSUB_F32 ? rk_alloc(per * sizeof(float)) : NULL;
    rk_status st = RK_OK;
    if ((f->fp && !buf) || (mode == ST_RSUB_F32 && !tmp))
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    for (size_t first = 0; !st && first < numel; first += per)
        st = convert_at(f, t, first, numel - first < per ? numel - first : per, dst, mode, buf, tmp, err);
    rk_free(buf);
    rk_free(tmp);
    return st;
}

/* The work of st_diff_f32, shared by the threads: spans of `per` elements,
 * each span's status in st[k] (and its message in errs[k]); buffers for as
 * many spans at once as there are threads, a slot taken while in use. */
typedef struct diff_job {
    const rk_st_file *fa, *fb;
    const rk_st_tensor *ta, *tb;
    float *dst;
    size_t numel, per, slots;
    unsigned char **buf;   /* (slots) a span's bytes of both tensors (a's, then b's) */
    float **tmp;           /* (slots) DIFF_PIECE elements of b converted */
    atomic_bool *busy;     /* (slots) */
    rk_status *st;         /* (spans) */
    rk_err *errs;          /* (spans) */
    int *at;               /* (spans) 1 when b's read failed */
} diff_job;

/* Elements converted at a time within a span: both sides' pieces stay in the
 * first-level cache while b − a is formed. */
enum { DIFF_PIECE = 4096 };

/* The bytes of elements [first, first + count) of @p t: read into @p buf
 * from a lazy file, else where they lie in memory. */
static rk_status span_bytes(const rk_st_file *f, const rk_st_tensor *t, size_t first, size_t count,
                            unsigned char *buf, const unsigned char **src, rk_err *err)
{
    size_t es = rk_dtype_size(t->dtype), off = f->data_start + t->begin + first * es;
    *src = f->fp ? buf : f->data + off;
    return f->fp ? read_at(fileno(f->fp), buf, count * es, off, err) : RK_OK;
}

/* d_i = x_b − x_a for @p n BF16 pairs in one loop: a bfloat16 is the top half
 * of a float, so each side is a shift (as rk_dtype_to_float converts it) and
 * the difference is the same float subtraction. */
static void diff_bf16(float *d, const unsigned char *a, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t ha, hb;
        memcpy(&ha, a + 2 * i, 2);
        memcpy(&hb, b + 2 * i, 2);
        uint32_t ba = (uint32_t)ha << 16, bb = (uint32_t)hb << 16;
        float fa, fb;
        memcpy(&fa, &ba, 4);
        memcpy(&fb, &bb, 4);
        d[i] = fb - fa;
    }
}

/* One span: both tensors' bytes read, then a piece at a time W_a's converted
 * into dst and W_b's subtracted, x_b − x_a (the float operations of
 * rk_st_tensor_to_f32 then rk_st_tensor_rsub_f32). */
static void diff_span(diff_job *j, size_t k, unsigned char *buf, float *tmp)
{
    size_t first = k * j->per, count = j->numel - first < j->per ? j->numel - first : j->per;
    size_t ea = rk_dtype_size(j->ta->dtype), eb = rk_dtype_size(j->tb->dtype);
    const unsigned char *sa, *sb;
    j->st[k] = span_bytes(j->fa, j->ta, first, count, buf, &sa, &j->errs[k]);
    if (!j->st[k] && (j->st[k] = span_bytes(j->fb, j->tb, first, count, buf ? buf + j->per * ea : NULL,
                                            &sb, &j->errs[k]))) {
        j->at[k] = 1;
        return;
    }
    if (!j->st[k] && j->ta->dtype == RK_DT_BF16 && j->tb->dtype == RK_DT_BF16 && rk_host_little_endian()) {
        diff_bf16(j->dst + first, sa, sb, count);
        return;
    }
    for (size_t i = 0; !j->st[k] && i < count; i += DIFF_PIECE) {
        size_t c = count - i < DIFF_PIECE ? count - i : DIFF_PIECE;
        float *d = j->dst + first + i;
        rk_dtype_to_float(j->ta->dtype, false, sa + i * ea, c, d);
        rk_dtype_to_float(j->tb->dtype, false, sb + i * eb, c, tmp);
        for (size_t e = 0; e < c; e++)
            d[e] = tmp[e] - d[e];
    }
}

/* Spans [begin, end) of a diff_job (rk_parallel_fn), with a free slot's buffers. */
static void diff_spans(void *ctx, size_t begin, size_t end)
{
    diff_job *j = ctx;
    size_t s = 0;
    while (atomic_exchange(&j->busy[s], true)) /* at most `slots` threads run at once */
        s = (s + 1) % j->slots;
    for (size_t k = begin; k < end; k++)
        diff_span(j, k, j->buf ? j->buf[s] : NULL, j->tmp[s]);
    atomic_store(&j->busy[s], false);
}

/* The job's buffers and per-span records (all allocated by the caller's thread). */
static rk_status diff_alloc(diff_job *j, size_t spans, size_t bytes, bool lazy)
{
    j->slots = (size_t)rk_parallel_threads();
    j->st = rk_calloc(spans, sizeof *j->st);
    j->errs = rk_calloc(spans, sizeof *j->errs);
    j->at = rk_calloc(spans, sizeof *j->at);
    j->busy = rk_calloc(j->slots, sizeof *j->busy);
    j->tmp = rk_calloc(j->slots, sizeof *j->tmp);
    j->buf = lazy ? rk_calloc(j->slots, sizeof *j->buf) : NULL;
    if (!j->st || !j->errs || !j->at || !j->busy || !j->tmp || (lazy && !j->buf))
        return RK_ENOMEM;
    for (size_t s = 0; s < j->slots; s++) {
        atomic_init(&j->busy[s], false);
        if (!(j->tmp[s] = rk_alloc(DIFF_PIECE * sizeof(float))) || (lazy && !(j->buf[s] = rk_alloc(bytes))))
            return RK_ENOMEM;
    }
    return RK_OK;
}

static void diff_free(diff_job *j)
{
    for (size_t s = 0; s < j->slots; s++) {
        if (j->tmp)
            rk_free(j->tmp[s]);
        if (j->buf)
            rk_free(j->buf[s]);
    }
    rk_free(j->st);
    rk_free(j->errs);
    rk_free(j->at);
    rk_free(j->busy);
    rk_free(j->tmp);
    rk_free(j->buf);
}

/*
 * dst = W_b − W_a, span by span: each span of W_a is converted into dst and
 * W_b's is subtracted from it at once, while the span is still in cache, so
 * the n floats are written once instead of written, read and written again.
 * Same spans (RK_ST_CHUNK of the wider dtype) on both sides; the same
 * float operations as rk_st_tensor_to_f32 then rk_st_tensor_rsub_f32. The
 * spans are independent (pread at their own offsets), so they are shared
 * over the library's threads (rk_parallel_for); every element is computed by
 * the same operations whichever thread takes its span. On failure the error
 * is that of the first failing span, as a serial pass would report it.
 */
rk_status st_diff_f32(const rk_st_file *fa, const rk_st_tensor *ta, const rk_st_file *fb,
                      const rk_st_tensor *tb, float *dst, size_t numel, int *at, rk_err *err)
{
    size_t ea = rk_dtype_size(ta->dtype), eb = rk_dtype_size(tb->dtype), es = ea > eb ? ea : eb;
    size_t pa = span_elems(fa, es, numel), pb = span_elems(fb, es, numel), per = pa < pb ? pa : pb;
    size_t spans = numel / per + (numel % per != 0);
    diff_job j = { .fa = fa, .fb = fb, .ta = ta, .tb = tb, .dst = dst, .numel = numel, .per = per };
    rk_status st = diff_alloc(&j, spans, per * (ea + eb), fa->fp || fb->fp);
    *at = 0;
    if (st)
        st = rk_err_set(err, RK_ENOMEM, "out of memory");
    else
        rk_parallel_for(spans, 1, diff_spans, &j);
    for (size_t k = 0; !st && k < spans; k++)
        if (j.st[k]) {
            st = rk_err_set(err, j.st[k], "%s", j.errs[k].msg);
            *at = j.at[k];
        }
    diff_free(&j);
    return st;
}

rk_status rk_st_tensor_to_mat(const rk_st_file *f, const rk_st_tensor *t, rk_mat *out, rk_err *err)
{
    if (!f || !t || !out)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *out = (rk_mat){ 0 };
    if (!rk_st_dtype_loadable(t))
        return rk_err_set(err, RK_EDTYPE, "unsupported dtype %s", t->dtype_name);
    if (t->ndim > 2)
        return rk_err_set(err, RK_ESHAPE,
                          "tensor '%s' has %d dimensions; only 0-, 1- and 2-d tensors load as a matrix",
                          t->name, t->ndim);
    size_t rows = t->ndim == 2 ? t->shape[0] : 1;
    size_t cols = t->ndim == 2 ? t->shape[1] : t->ndim == 1 ? t->shape[0] : 1;
    rk_status st = rk_mat_create(out, rows, cols);
    if (st)
        return rk_err_set(err, st, "cannot allocate a %zux%zu matrix", rows, cols);
    if (rows && cols && (st = st_convert(f, t, out->data, ST_SET_F64, err)) != RK_OK)
        rk_mat_free(out);
    return st;
}

/* Convert all n elements of t into dst by @p mode, after the checks every entry point shares. */
static rk_status to_f32(const rk_st_file *f, const rk_st_tensor *t, float *dst, size_t n, st_conv mode,
                        rk_err *err)
{
    if (!f || !t || (!dst && n))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    if (!rk_st_dtype_loadable(t))
        return rk_err_set(err, RK_EDTYPE, "unsupported dtype %s", t->dtype_name);
    size_t numel = rk_st_tensor_numel(t);
    if (n != numel)
        return rk_err_set(err, RK_ESHAPE, "tensor '%s' has %zu elements, %zu expected", t->name,
                          numel, n);
    return n ? st_convert(f, t, dst, mode, err) : RK_OK;
}

rk_status rk_st_tensor_to_f32(const rk_st_file *f, const rk_st_tensor *t, float *dst, size_t n,
                              rk_err *err)
{
    return to_f32(f, t, dst, n, ST_SET_F32, err);
}

rk_status rk_st_tensor_rsub_f32(const rk_st_file *f, const rk_st_tensor *t, float *dst, size_t n,
                                rk_err *err)
{
    return to_f32(f, t, dst, n, ST_RSUB_F32, err);
}

rk_status rk_st_tensor_diff_f32(const rk_st_file *fa, const rk_st_tensor *ta, const rk_st_file *fb,
                               const rk_st_tensor *tb, float *dst, size_t n, int *at_fault, rk_err *err)
{
    int at = 0;
    rk_status st = RK_OK;
    if (!fa || !ta || !fb || !tb || !at_fault || (!dst && n))
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    for (int side = 0; side < 2 && !st; side++) {
        const rk_st_tensor *t = side ? tb : ta;
        at = side;
        if (!rk_st_dtype_loadable(t))
            st = rk_err_set(err, RK_EDTYPE, "unsupported dtype %s", t->dtype_name);
        else if (rk_st_tensor_numel(t) != n)
            st = rk_err_set(err, RK_ESHAPE, "tensor '%s' has %zu elements, %zu expected", t->name,
                            rk_st_tensor_numel(t), n);
    }
    if (!st && n)
        st = st_diff_f32(fa, ta, fb, tb, dst, n, &at, err);
    *at_fault = at;
    return st;
}

rk_status rk_st_load_matrix(const char *path, const char *tensor, rk_mat *out, rk_err *err)
{
    if (!path || !tensor || !out)
        return rk_err_set(err, RK_EINVAL, "invalid argument");
    *out = (rk_mat){ 0 };
    rk_st_file f;
    rk_status st = rk_st_open(&f, path, err);
    if (st)
        return st;
    const rk_st_tensor *t = rk_st_find(&f, tensor);
    st = t ? rk_st_tensor_to_mat(&f, t, out, err)
           : rk_err_set(err, RK_ENOTFOUND, "no tensor named '%s'", tensor);
    rk_st_close(&f);
    return st;
}
