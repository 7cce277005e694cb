/*
 * fuzz_idx.c — libFuzzer harness for the IDX reader (raw and gzip).
 *
 * Each input is a whole file. Whatever it holds, rk_idx_read_mem must either
 * succeed with a payload of exactly count × element size bytes, or fail with
 * a message; it must never crash, leak, or read past the input. On success
 * every element is converted to float, so the conversion is covered too.
 *
 * Mutated gzip bytes are mostly just corrupt, which tests zlib's error paths
 * but rarely the IDX checks behind them. So an input starting with 'Z' is
 * gzip-compressed here (without the 'Z') and then read: the fuzzer explores
 * headers and payload sizes through the inflate path as well.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "core/alloc.h"
#include "io/idx.h"

static void check(const uint8_t *data, size_t size)
{
    rk_idx x;
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_idx_read_mem(data, size, &x, &err);
    if (st != RK_OK) {
        /* every refusal says why, and leaves nothing behind */
        if (err.status != st || !err.msg[0] || x.data)
            abort();
        return;
    }
    size_t bytes;
    if (!rk_size_mul(x.count, rk_idx_type_size(x.type), &bytes) || bytes != x.nbytes)
        abort();
    float *f = rk_alloc(x.count * sizeof *f);
    if (f) {
        if (rk_idx_to_float(&x, f, x.count) != RK_OK)
            abort();
        rk_free(f);
    }
    rk_idx_free(&x);
}

/* gzip @p size bytes at @p data; NULL when zlib fails. */
static uint8_t *gzip(const uint8_t *data, size_t size, size_t *out_size)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong cap = deflateBound(&zs, (uLong)size);
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)(uintptr_t)data;
    zs.avail_in = (uInt)size;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    if (!out || deflate(&zs, Z_FINISH) != Z_STREAM_END) {
        free(out);
        deflateEnd(&zs);
        return NULL;
    }
    *out_size = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && data[0] == 'Z') {
        size_t n;
        uint8_t *gz = gzip(data + 1, size - 1, &n);
        if (gz) {
            check(gz, n);
            free(gz);
        }
        return 0;
    }
    check(data, size);
    return 0;
}
