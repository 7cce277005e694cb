/*
 * fuzz_adapter_config.c — libFuzzer harness for the PEFT adapter_config.json
 * parser (rk_peft_config_parse), followed by the per-module rank and alpha
 * look-ups that the adapter reader makes.
 */
// Build and run (from the source root; lib/linalg/*.c and lib/io/*.c as globs):
//   clang -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_adapter_config.c
//         lib/core/*.c lib/io/*.c lib/linalg/*.c
//         $(pkg-config --cflags --libs lapacke openblas jansson zlib) -lm
//   ./a.out -max_total_time=60 tests/fuzz/corpus/adapter_config
#include <stdint.h>
#include <string.h>

#include "ranklab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = rk_alloc(size);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    rk_peft_config cfg;
    rk_err err;
    if (rk_peft_config_parse(&cfg, text, size, &err) == RK_OK) {
        static const char *const modules[] = { "q_proj", "model.layers.0.self_attn.q_proj",
                                               "transformer.h.0.attn.c_attn", "" };
        for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
            size_t r = rk_peft_config_rank(&cfg, modules[i]);
            double s = rk_peft_scale(rk_peft_config_alpha(&cfg, modules[i]), r, cfg.use_rslora);
            (void)s;
            if (r == 0)
                __builtin_trap(); /* ranks are positive */
        }
        for (size_t i = 0; i < cfg.n_rank_pattern; i++)
            (void)rk_peft_pattern_match(cfg.rank_pattern[i].key, "a.b.c");
        rk_peft_config_free(&cfg);
    }
    rk_free(text);
    return 0;
}
