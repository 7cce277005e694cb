/*
 * fuzz_safetensors.c — libFuzzer harness for the safetensors reader: parse
 * the input as a whole file (rk_st_parse), then look up and load every tensor
 * that parsed, as `ranklab ls` and rk_matrix_load would.
 */
// Build and run (from the source root; lib/linalg/*.c and lib/io/*.c as globs):
//   clang -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_safetensors.c
//         lib/core/*.c lib/io/*.c lib/linalg/*.c
//         $(pkg-config --cflags --libs lapacke openblas jansson zlib) -lm
//   ./a.out -max_total_time=60 tests/fuzz/corpus/safetensors
#include <stdint.h>
#include <string.h>

#include "ranklab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so reads past the end are caught */
    unsigned char *buf = rk_alloc(size);
    if (!buf)
        return 0;
    if (size)
        memcpy(buf, data, size);
    rk_st_file f;
    rk_err err;
    if (rk_st_parse(&f, buf, size, &err) != RK_OK) {
        rk_free(buf);
        return 0;
    }
    for (size_t i = 0; i < f.n_tensors; i++) {
        const rk_st_tensor *t = &f.tensors[i];
        if (rk_st_find(&f, t->name) != t)
            __builtin_trap(); /* names are unique and sorted */
        if (t->end > f.size - f.data_start)
            __builtin_trap(); /* offsets were checked */
        rk_mat m;
        if (rk_st_tensor_to_mat(&f, t, &m, &err) == RK_OK)
            rk_mat_free(&m);
    }
    rk_st_close(&f);
    return 0;
}
