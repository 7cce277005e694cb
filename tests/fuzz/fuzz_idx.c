/*
 * fuzz_idx.c — libFuzzer harness for the IDX reader (raw and gzip).
 *
 * Each input is a whole file. Whatever it holds, rk_idx_read_mem must either
 * succeed with a payload of exactly count × element size bytes, or fail with
 * a message; it must never crash, leak, or read past the input. On success
 * every element is converted to float, so the conversion is covered too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "io/idx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rk_idx x;
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_idx_read_mem(data, size, &x, &err);
    if (st != RK_OK) {
        /* every refusal says why */
        if (err.status != st || !err.msg[0] || x.data)
            abort();
        return 0;
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
    return 0;
}
