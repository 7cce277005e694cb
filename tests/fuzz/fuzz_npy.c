/*
 * fuzz_npy.c — libFuzzer harness for the .npy reader: any bytes given to
 * rk_npy_read_mem must give RK_OK (with a matrix of the header's shape) or
 * an error with a message, never a crash, an overflow or a leak.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_npy.c \
 *         lib/core/[a-z]*.c lib/io/[a-z]*.c $(pkg-config --cflags --libs lapacke openblas jansson zlib) -lm
 *   ./a.out tests/fuzz/corpus/npy
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/mat.h"
#include "io/npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rk_mat m;
    rk_npy_info info;
    rk_err err = { RK_OK, "" };
    rk_status st = rk_npy_read_mem(data, size, &m, &info, &err);
    if (st == RK_OK) {
        size_t rows = info.ndim == 2 ? info.shape[0] : 1;
        size_t cols = info.ndim == 2 ? info.shape[1] : info.shape[0];
        if (m.rows != rows || m.cols != cols || info.data_offset + rk_npy_data_size(&info) != size)
            abort(); /* the reader accepted a file that does not match its header */
        volatile double sink = 0;
        for (size_t i = 0; i < m.rows * m.cols; i++)
            sink += m.data[i]; /* touch every element: ASan checks the allocation */
        (void)sink;
    } else if (!err.msg[0] || m.data) {
        abort(); /* every refusal says why and leaves no matrix */
    }
    rk_mat_free(&m);
    return 0;
}
