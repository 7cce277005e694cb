/*
 * test_peft_many.c — an adapter of 100,000 modules (200,000 tensors) with a
 * 100,000-entry target_modules list and a rank_pattern, read whole.
 *
 * Reading pairs every lora_A with its lora_B and checks each module against
 * target_modules and the patterns; done by a search over the modules seen so
 * far it was O(n²) (tens of seconds at this size), by the sorted indexes of
 * lib/io/peft_index.c it is O(n log n). The test asserts what was read; its
 * meson timeout, generous for the O(n log n) reader (also under the
 * sanitizers), is what a quadratic reader would exceed. Nothing is timed.
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#include "io/peft_index.h"

#define N_MODULES 100000

/* One header entry, "base_model.model.mI.lora_X.weight" of shape (1, 1) at
 * byte offset 4·t; returns what snprintf returns. */
static int entry(char *buf, size_t cap, size_t i, char which, size_t t)
{
    return snprintf(buf, cap, "%s\"base_model.model.m%zu.lora_%c.weight\":{\"dtype\":\"F32\","
                    "\"shape\":[1,1],\"data_offsets\":[%zu,%zu]}",
                    t ? "," : "", i, which, 4 * t, 4 * t + 4);
}

/* Write the adapter folder: modules m0 … m(N−1), listed in reverse in the
 * file (so the reader has to sort), every one a target; rank_pattern gives
 * module m7 (and only it: "m7" must not match "m77") rank 1 like the rest. */
static void write_adapter(const char *dir)
{
    char path[512], buf[160];
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    size_t len = 2, padded = 0; /* len: the header's bytes, braces included */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            padded = (len + 7) / 8 * 8;
            unsigned char le[8];
            for (int b = 0; b < 8; b++)
                le[b] = (unsigned char)(padded >> (8 * b));
            assert_int_equal(fwrite(le, 1, 8, f), 8);
            fputc('{', f);
        }
        for (size_t t = 0; t < 2 * N_MODULES; t++) {
            size_t i = N_MODULES - 1 - t / 2;
            int n = entry(buf, sizeof buf, i, t % 2 ? 'B' : 'A', t);
            assert_true(n > 0 && (size_t)n < sizeof buf);
            if (pass == 0)
                len += (size_t)n;
            else
                fputs(buf, f);
        }
        if (pass == 1) {
            fputc('}', f);
            for (size_t pad = padded - len; pad; pad--)
                fputc(' ', f);
        }
    }
    float half = 0.5f;
    for (size_t t = 0; t < 2 * N_MODULES; t++)
        assert_int_equal(fwrite(&half, 4, 1, f), 1);
    assert_int_equal(fclose(f), 0);

    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("{\"peft_type\":\"LORA\",\"r\":1,\"lora_alpha\":2,\"rank_pattern\":{\"m7\":1},"
          "\"alpha_pattern\":{\"m77\":3},\"target_modules\":[", f);
    for (size_t i = 0; i < N_MODULES; i++)
        fprintf(f, "%s\"m%zu\"", i ? "," : "", i);
    fputs("]}", f);
    assert_int_equal(fclose(f), 0);
}

static void test_many_modules(void **state)
{
    (void)state;
    const char *dir = rk_test_tmpdir();
    write_adapter(dir);
    rk_peft_adapter ad;
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_peft_read(&ad, dir, &err);
    if (st)
        print_message("rk_peft_read: %s\n", rk_err_message(&err, st));
    assert_status(st, RK_OK);
    assert_int_equal(ad.n_modules, N_MODULES);
    /* natural order: m0, m1, …, m99999 */
    assert_string_equal(ad.modules[0].name, "m0");
    assert_string_equal(ad.modules[10].name, "m10");
    assert_string_equal(ad.modules[N_MODULES - 1].name, "m99999");
    for (size_t i = 0; i < N_MODULES; i++) {
        const rk_peft_module *m = &ad.modules[i];
        assert_int_equal(m->r, 1);
        assert_true(m->a_tensor && m->b_tensor);
        assert_true(RK_AT(&m->a, 0, 0) == 0.5 && RK_AT(&m->b, 0, 0) == 0.5);
        double want = i == 77 ? 3.0 : 2.0; /* alpha_pattern m77 only */
        assert_true(m->alpha == want);
    }
    rk_peft_free(&ad);
}

/* The index agrees with rk_peft_pattern_match, first match in file order. */
static void test_key_index(void **state)
{
    (void)state;
    const char *keys[] = { "q_proj", "layers.0.q_proj", "model.layers.0.q_proj", "proj", "x", "q_proj" };
    rk_key_index ix;
    assert_status(rk_key_index_build(&ix, keys, 6, sizeof keys[0]), RK_OK);
    const char *mods[] = { "model.layers.0.q_proj", "layers.0.q_proj", "q_proj", "k_proj",
                           ".x", "x.", "a..x", "", "model.layers.1.q_proj" };
    for (size_t i = 0; i < sizeof mods / sizeof mods[0]; i++) {
        size_t want = (size_t)-1;
        for (size_t k = 0; k < 6 && want == (size_t)-1; k++)
            if (rk_peft_pattern_match(keys[k], mods[i]))
                want = k;
        assert_int_equal(rk_key_index_first_match(&ix, mods[i]), want);
    }
    rk_key_index_free(&ix);
    rk_key_index empty;
    assert_status(rk_key_index_build(&empty, NULL, 0, sizeof(char *)), RK_OK);
    assert_int_equal(rk_key_index_first_match(&empty, "q_proj"), (size_t)-1);
    rk_key_index_free(&empty);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_index),
        cmocka_unit_test(test_many_modules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
