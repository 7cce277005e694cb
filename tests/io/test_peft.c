/* test_peft.c — PEFT LoRA adapters: the committed fixture, the GPT-2 adapter, writing, hostile folders. */
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A tensor of a hostile adapter: name and 2-d shape (ndim 3 when c2 > 0). */
typedef struct tspec {
    const char *name;
    size_t r0, c0, c2;
} tspec;

typedef struct hostile {
    const char *what;
    const char *config;       /* NULL: no adapter_config.json */
    tspec tensors[4];         /* up to 4; name NULL ends */
    bool no_weights;          /* no adapter_model.safetensors */
    rk_status want;
    const char *msg;
} hostile;

#define CFG(extra) "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":4" extra "}"
#define A(mod) "base_model.model." mod ".lora_A.weight"
#define B(mod) "base_model.model." mod ".lora_B.weight"
#define PAIR(mod) { A(mod), 2, 3, 0 }, { B(mod), 4, 2, 0 }

static const hostile hostiles[] = {
    { "missing config", NULL, { PAIR("l") }, false, RK_ECONFIG, "no adapter_config.json" },
    { "missing weights", CFG(""), { { NULL, 0, 0, 0 } }, true, RK_ENOENT, "no adapter_model.safetensors" },
    { "config not JSON", "{\"r\": 2,", { PAIR("l") }, false, RK_EJSON, "not valid JSON" },
    { "empty config", "", { PAIR("l") }, false, RK_EJSON, "not valid JSON" },
    { "config duplicate key", "{\"peft_type\":\"LORA\",\"r\":2,\"r\":3,\"lora_alpha\":4}", { PAIR("l") },
      false, RK_EDUPKEY, "duplicate" },
    { "config an array", "[1]", { PAIR("l") }, false, RK_EJSON, "not a JSON object" },
    { "missing peft_type", "{\"r\":2,\"lora_alpha\":4}", { PAIR("l") }, false, RK_ECONFIG,
      "no \"peft_type\"" },
    { "peft_type IA3", "{\"peft_type\":\"IA3\",\"r\":2,\"lora_alpha\":4}", { PAIR("l") }, false,
      RK_ECONFIG, "only LORA" },
    { "missing r", "{\"peft_type\":\"LORA\",\"lora_alpha\":4}", { PAIR("l") }, false, RK_ECONFIG,
      "no \"r\"" },
    { "r zero", "{\"peft_type\":\"LORA\",\"r\":0,\"lora_alpha\":4}", { PAIR("l") }, false, RK_ECONFIG,
      "positive integer" },
    { "r a string", "{\"peft_type\":\"LORA\",\"r\":\"2\",\"lora_alpha\":4}", { PAIR("l") }, false,
      RK_ECONFIG, "positive integer" },
    { "r fractional", "{\"peft_type\":\"LORA\",\"r\":2.5,\"lora_alpha\":4}", { PAIR("l") }, false,
      RK_ECONFIG, "positive integer" },
    { "missing lora_alpha", "{\"peft_type\":\"LORA\",\"r\":2}", { PAIR("l") }, false, RK_ECONFIG,
      "no \"lora_alpha\"" },
    { "non-numeric alpha", "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":\"eight\"}", { PAIR("l") },
      false, RK_ECONFIG, "lora_alpha\" must be a number" },
    { "use_rslora not a bool", CFG(",\"use_rslora\":\"yes\""), { PAIR("l") }, false, RK_ECONFIG,
      "use_rslora" },
    { "fan_in_fan_out a number", CFG(",\"fan_in_fan_out\":1"), { PAIR("l") }, false, RK_ECONFIG,
      "fan_in_fan_out" },
    { "DoRA", CFG(",\"use_dora\":true"), { PAIR("l") }, false, RK_ECONFIG, "DoRA" },
    { "unknown bias", CFG(",\"bias\":\"some\""), { PAIR("l") }, false, RK_ECONFIG, "\"bias\" must be" },
    { "target_modules of numbers", CFG(",\"target_modules\":[1]"), { PAIR("l") }, false, RK_ECONFIG,
      "target_modules" },
    { "rank_pattern negative", CFG(",\"rank_pattern\":{\"l\":-1}"), { PAIR("l") }, false, RK_ECONFIG,
      "rank_pattern[\"l\"]" },
    { "alpha_pattern a string", CFG(",\"alpha_pattern\":{\"l\":\"x\"}"), { PAIR("l") }, false,
      RK_ECONFIG, "alpha_pattern[\"l\"]" },
    { "r mismatch", "{\"peft_type\":\"LORA\",\"r\":8,\"lora_alpha\":8}", { PAIR("l") }, false, RK_ECONFIG,
      "the tensors have rank 2, the config says r = 8" },
    { "rank_pattern mismatch", CFG(",\"rank_pattern\":{\"l\":3}"), { PAIR("m.l") }, false, RK_ECONFIG,
      "config says r = 3" },
    { "A without B", CFG(""), { { A("l"), 2, 3, 0 } }, false, RK_ECONFIG, "has lora_A but no lora_B" },
    { "B without A", CFG(""), { { B("l"), 4, 2, 0 } }, false, RK_ECONFIG, "has lora_B but no lora_A" },
    { "ranks differ", CFG(""), { { A("l"), 2, 3, 0 }, { B("l"), 4, 3, 0 } }, false, RK_ECONFIG,
      "ranks differ" },
    { "3-d factor", CFG(""), { { A("l"), 2, 3, 5 }, { B("l"), 4, 2, 0 } }, false, RK_ECONFIG,
      "lora_A is 3-d" },
    { "no pairs", CFG(""), { { "base_model.model.score.weight", 2, 3, 0 } }, false, RK_ECONFIG,
      "no lora_A/lora_B pairs" },
    { "two lora_A", CFG(""), { PAIR("l"), { "base_model.model.l.lora_A.default.weight", 2, 3, 0 } },
      false, RK_ECONFIG, "two lora_A" },
    { "module outside target_modules", CFG(",\"target_modules\":[\"q_proj\"]"), { PAIR("k_proj") },
      false, RK_ECONFIG, "not in target_modules" },
};

#define N_HOSTILE (sizeof hostiles / sizeof hostiles[0])

/* Fill a fresh folder for case h; returns its path (static buffer). */
static const char *make_folder(const hostile *h, size_t index)
{
    static char dir[4096];
    char name[64];
    snprintf(name, sizeof name, "hostile-%zu", index);
    snprintf(dir, sizeof dir, "%s", rk_test_tmpfile(name));
    rk_err err;
    assert_status(rk_mkdir_p(dir, &err), RK_OK);
    char path[4200];
    if (h->config) {
        snprintf(path, sizeof path, "%s/adapter_config.json", dir);
        assert_status(rk_file_write_all(path, h->config, strlen(h->config), &err), RK_OK);
    }
    if (!h->no_weights) {
        rk_st_writer *w;
        assert_status(rk_st_writer_new(&w), RK_OK);
        for (int i = 0; i < 4 && h->tensors[i].name; i++) {
            const tspec *t = &h->tensors[i];
            size_t shape[3] = { t->r0, t->c0, t->c2 }, n = t->r0 * t->c0 * (t->c2 ? t->c2 : 1);
            float *x = calloc(n ? n : 1, sizeof *x);
            for (size_t k = 0; k < n; k++)
                x[k] = (float)(k % 7) - 3.0f;
            assert_status(rk_st_writer_add_f32(w, t->name, x, t->c2 ? 3 : 2, shape), RK_OK);
            free(x);
        }
        snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
        assert_status(rk_st_writer_save(w, path, &err), RK_OK);
        rk_st_writer_free(w);
    }
    return dir;
}

/* Remove an adapter folder made here (the shared tmpdir cleanup removes files only). */
static void remove_folder(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/adapter_config.json", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/adapter_model.safetensors", dir);
    unlink(path);
    rmdir(dir);
}

/* One hostile adapter folder (state: the case): its status and message. */
static void test_hostile(void **state)
{
    const hostile *h = *state;
    const char *dir = make_folder(h, (size_t)(h - hostiles));
    rk_peft_adapter ad;
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_peft_read(&ad, dir, &err);
    remove_folder(dir);
    if (st != h->want || !strstr(err.msg, h->msg)) {
        print_error("case '%s': status %d (%s), message \"%s\"; expected %d and \"%s\"\n", h->what,
                    (int)st, rk_strerror(st), err.msg, (int)h->want, h->msg);
        fail();
    }
    assert_int_equal(ad.n_modules, 0); /* left empty */
}

/* A folder with only the pickle file of older PEFT versions. */
static void test_pickle_only(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s", rk_test_tmpfile("pickle-adapter"));
    rk_err err;
    assert_status(rk_mkdir_p(dir, &err), RK_OK);
    snprintf(path, sizeof path, "%s/adapter_model.bin", dir);
    assert_status(rk_file_write_all(path, "PK", 2, &err), RK_OK);
    rk_peft_adapter ad;
    assert_status(rk_peft_read(&ad, dir, &err), RK_ENOENT);
    assert_non_null(strstr(err.msg, "pickle"));
    unlink(path);
    rmdir(dir);
}

/* A factor stored with a dtype that is listed but cannot be loaded. */
static void test_unsupported_factor_dtype(void **state)
{
    (void)state;
    const char *hdr = "{\"m.lora_A.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[1,2],\"data_offsets\":[0,2]},"
                      "\"m.lora_B.weight\":{\"dtype\":\"F8_E4M3\",\"shape\":[2,1],\"data_offsets\":[2,4]}}";
    size_t h = strlen(hdr), size = 8 + h + 4;
    unsigned char *buf = rk_calloc(size, 1);
    buf[0] = (unsigned char)h;
    memcpy(buf + 8, hdr, h);
    rk_st_file f;
    rk_err err;
    assert_status(rk_st_parse(&f, buf, size, &err), RK_OK);
    const char *cfg_text = "{\"peft_type\":\"LORA\",\"r\":1,\"lora_alpha\":1}";
    rk_peft_config cfg;
    assert_status(rk_peft_config_parse(&cfg, cfg_text, strlen(cfg_text), &err), RK_OK);
    rk_peft_adapter ad;
    assert_status(rk_peft_build(&ad, &f, &cfg, &err), RK_EDTYPE);
    assert_string_equal(err.msg, "module 'm': lora_A: unsupported dtype F8_E4M3");
}

static void test_pattern_match(void **state)
{
    (void)state;
    assert_true(rk_peft_pattern_match("q_proj", "model.layers.0.q_proj"));
    assert_true(rk_peft_pattern_match("layers.0.q_proj", "model.layers.0.q_proj"));
    assert_true(rk_peft_pattern_match("model.layers.0.q_proj", "model.layers.0.q_proj"));
    assert_false(rk_peft_pattern_match("proj", "model.layers.0.q_proj"));
    assert_false(rk_peft_pattern_match("0.q", "model.layers.0.q_proj"));
    assert_false(rk_peft_pattern_match("", "x"));
    assert_rel_near(rk_peft_scale(16, 4, false), 4.0, 0);
    assert_rel_near(rk_peft_scale(16, 4, true), 8.0, 0);
    assert_true(rk_peft_scale(16, 0, false) == 0.0);
}

/* Compare the factored spectrum of every module with a dense SVD of s·B·A. */
static void check_against_dense(const rk_peft_module *m, double tol)
{
    rk_mat dw;
    assert_status(rk_mat_create(&dw, m->out, m->in), RK_OK);
    assert_status(rk_mat_gemm(false, false, m->scale, &m->b, &m->a, 0.0, &dw), RK_OK);
    rk_svd dense, fact;
    assert_status(rk_svd_decomp(&dense, &dw, RK_SVD_VALUES), RK_OK);
    assert_status(rk_factored_svd(&fact, &m->b, &m->a, m->scale, RK_SVD_VALUES), RK_OK);
    assert_int_equal(fact.k, m->r < m->in && m->r < m->out ? m->r : (m->in < m->out ? m->in : m->out));
    for (size_t i = 0; i < fact.k; i++)
        assert_rel_near(fact.s[i], dense.s[i], tol);
    rk_svd_free(&dense);
    rk_svd_free(&fact);
    rk_mat_free(&dw);
}

/* The JSON document in the file at @p path (a fixture numpy wrote); fails the test when it cannot. */
static json_t *read_json(const char *path)
{
    unsigned char *text;
    size_t len;
    assert_status(rk_file_read_all(path, 1 << 20, &text, &len, NULL), RK_OK);
    json_t *doc = json_loadb((const char *)text, len, 0, NULL);
    rk_free(text);
    assert_non_null(doc);
    return doc;
}

static void test_small_fixture(void **state)
{
    (void)state;
    rk_peft_adapter ad;
    rk_err err;
    assert_status(rk_peft_read(&ad, rk_test_data("peft-small"), &err), RK_OK);
    assert_int_equal(ad.config.r, 4);
    assert_int_equal(ad.n_modules, 2);
    assert_int_equal(ad.n_full, 1);
    assert_string_equal(ad.full[0]->name, "base_model.model.classifier.weight");
    assert_int_equal(ad.config.n_modules_to_save, 1);

    /* the singular values numpy computed when it wrote the fixture */
    json_t *want = read_json(rk_test_data("peft-small/expected.json"));
    for (size_t i = 0; i < ad.n_modules; i++) {
        const rk_peft_module *m = &ad.modules[i];
        json_t *e = json_object_get(want, m->name);
        assert_non_null(e);
        assert_int_equal(m->r, json_integer_value(json_object_get(e, "r")));
        assert_int_equal(m->in, json_integer_value(json_object_get(e, "in")));
        assert_int_equal(m->out, json_integer_value(json_object_get(e, "out")));
        assert_rel_near(m->scale, json_number_value(json_object_get(e, "scale")), 1e-15);
        assert_false(m->fan_in_fan_out);
        rk_svd s;
        assert_status(rk_factored_svd(&s, &m->b, &m->a, m->scale, RK_SVD_VALUES), RK_OK);
        json_t *sv = json_object_get(e, "singular_values");
        assert_int_equal(s.k, json_array_size(sv));
        for (size_t j = 0; j < s.k; j++)
            assert_rel_near(s.s[j], json_real_value(json_array_get(sv, j)), 1e-12);
        rk_svd_free(&s);
        check_against_dense(m, 1e-12);
    }
    json_decref(want);
    /* the .safetensors path works as well as the folder */
    rk_peft_free(&ad);
    assert_status(rk_peft_read(&ad, rk_test_data("peft-small/adapter_model.safetensors"), &err), RK_OK);
    assert_int_equal(ad.n_modules, 2);
    rk_peft_free(&ad);
    /* and so does the config's path */
    assert_status(rk_peft_read(&ad, rk_test_data("peft-small/adapter_config.json"), &err), RK_OK);
    assert_int_equal(ad.n_modules, 2);
    rk_peft_free(&ad);
    assert_status(rk_peft_read(&ad, rk_test_data("no-such-adapter"), &err), RK_ENOENT);
    rk_peft_free(NULL);
}

static void test_gpt2_fixture(void **state)
{
    (void)state;
    const char *shared = rk_test_shared();
    if (!shared) {
        print_message("# SKIP reason: the GPT-2 adapter written by PEFT lives in ../shared "
                      "(beside the clone), which is absent\n");
        skip();
    }
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/fixtures/peft-gpt2", shared);
    rk_peft_adapter ad;
    rk_err err;
    assert_status(rk_peft_read(&ad, dir, &err), RK_OK);
    assert_int_equal(ad.n_modules, 12);
    assert_string_equal(ad.modules[10].name, "transformer.h.10.attn.c_attn"); /* numeric order */
    assert_int_equal(ad.config.r, 8);
    assert_true(ad.config.fan_in_fan_out);
    assert_int_equal(ad.n_full, 1);
    assert_string_equal(ad.full[0]->name, "base_model.model.score.weight");
    assert_int_equal(ad.full[0]->shape[0], 6);
    assert_int_equal(ad.full[0]->shape[1], 768);
    /* singular values numpy computed from dense ΔW (tests/io/gpt2_expected.py) */
    json_t *want = read_json(rk_test_data("peft-gpt2-expected.json"));
    json_t *values = json_object_get(want, "singular_values");
    assert_int_equal(json_object_size(values), 12);
    double worst = 0;
    for (size_t i = 0; i < ad.n_modules; i++) {
        const rk_peft_module *m = &ad.modules[i];
        assert_non_null(strstr(m->name, "transformer.h."));
        assert_int_equal(m->r, 8);
        assert_int_equal(m->in, 768);
        assert_int_equal(m->out, 2304);
        assert_true(m->scale == 1.0);
        assert_true(m->fan_in_fan_out);
        rk_svd s;
        assert_status(rk_factored_svd(&s, &m->b, &m->a, m->scale, RK_SVD_VALUES), RK_OK);
        json_t *sv = json_object_get(values, m->name);
        assert_int_equal(s.k, json_array_size(sv));
        for (size_t j = 0; j < s.k; j++) {
            double w = json_real_value(json_array_get(sv, j));
            // both in double from the same float32 factors: only the SVDs' rounding
            // differs, O(k·ε·σ_1/σ_j) with σ_1/σ_8 < 10 here (measured: 2e-15)
            assert_rel_near(s.s[j], w, 1e-12);
            worst = rk_test_worst(worst, fabs(s.s[j] - w) / w);
        }
        rk_svd_free(&s);
    }
    print_message("# 12 modules, max relative difference to numpy %.2g\n", worst);
    json_decref(want);
    /* and, for two modules, a dense SVD of ΔW formed here */
    check_against_dense(&ad.modules[0], 1e-12);
    check_against_dense(&ad.modules[11], 1e-12);
    rk_peft_free(&ad);
}

static void test_write_then_read(void **state)
{
    (void)state;
    float a0[2 * 3], b0[4 * 2], a1[1 * 3], b1[2 * 1];
    for (int i = 0; i < 6; i++)
        a0[i] = (float)i - 2.5f;
    for (int i = 0; i < 8; i++)
        b0[i] = 0.25f * (float)i;
    a1[0] = 1, a1[1] = 2, a1[2] = 3, b1[0] = -1, b1[1] = 4;
    const rk_peft_lora mods[2] = { { "fc1", 2, 3, 4, a0, b0 }, { "fc2", 1, 3, 2, a1, b1 } };
    rk_peft_write_opts o = { .lora_alpha = 8, .use_rslora = true };
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", rk_test_tmpfile("written-adapter"));
    rk_err err;
    assert_status(rk_peft_write(dir, &o, mods, 2, &err), RK_OK);
    rk_peft_adapter ad;
    assert_status(rk_peft_read(&ad, dir, &err), RK_OK);
    assert_int_equal(ad.n_modules, 2);
    assert_int_equal(ad.n_full, 0);
    assert_string_equal(ad.modules[1].name, "fc2");
    assert_int_equal(ad.modules[1].r, 1); /* via rank_pattern */
    assert_rel_near(ad.modules[0].scale, 8 / sqrt(2.0), 1e-15);
    assert_rel_near(ad.modules[1].scale, 8.0, 1e-15);
    for (int i = 0; i < 8; i++)
        assert_true(RK_AT(&ad.modules[0].b, i / 2, i % 2) == (double)b0[i]);
    assert_true(ad.file.n_meta == 1 && !strcmp(ad.file.meta_values[0], "pt"));
    assert_string_equal(ad.config.bias, "none");
    assert_int_equal(ad.config.n_target_modules, 2);
    rk_peft_free(&ad);
    /* refused arguments */
    const rk_peft_lora dup[2] = { mods[0], mods[0] };
    assert_status(rk_peft_write(dir, &o, dup, 2, &err), RK_EINVAL);
    assert_status(rk_peft_write(dir, &o, mods, 0, &err), RK_EINVAL);
    remove_folder(dir);
}

/* Every allocation of reading the fixture fails in turn: ENOMEM (or a file error), no leak. */
static void test_read_allocation_failures(void **state)
{
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", rk_test_data("peft-small"));
    int failures = 0;
    for (long n = 1; n < 400; n++) {
        rk_peft_adapter ad;
        rk_err err;
        rk_test_fail_alloc_after(n);
        rk_status st = rk_peft_read(&ad, dir, &err);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK) {
            rk_peft_free(&ad);
            break;
        }
        assert_status(st, RK_ENOMEM);
        failures++;
    }
    assert_true(failures > 10);
}

int main(void)
{
    struct CMUnitTest tests[N_HOSTILE + 8] = {
        cmocka_unit_test(test_pattern_match),
        cmocka_unit_test(test_small_fixture),
        cmocka_unit_test(test_gpt2_fixture),
        cmocka_unit_test(test_write_then_read),
        cmocka_unit_test(test_unsupported_factor_dtype),
        cmocka_unit_test(test_read_allocation_failures),
        cmocka_unit_test(test_pickle_only),
    };
    size_t n = 7;
    for (size_t i = 0; i < N_HOSTILE; i++)
        tests[n++] = (struct CMUnitTest){ hostiles[i].what, test_hostile, NULL, NULL,
                                          (void *)&hostiles[i] };
    return _cmocka_run_group_tests("peft", tests, n, NULL, NULL);
}
