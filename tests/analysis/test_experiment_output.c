/*
 * test_experiment_output.c — what the main experiment writes
 * (lib/analysis/experiment_output.h), from the small experiment of
 * experiment_fixture.c: an extracted adapter applied to W0 gives
 * W0 + [ΔW]_r and holds the analysis's factors bit for bit; results.json has
 * the agreed keys; report.md links only existing files; plots are valid
 * PNG/SVG when gnuplot is there; compare (save + load + analyse) reproduces
 * the demo's numbers.
 */
#include "experiment_fixture.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static bool file_exists(const char *dir, const char *name)
{
    char p[4096];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &st) == 0;
}

static void test_extracted_adapter(void **state)
{
    (void)state;
    const char *dir = rk_test_tmpfile("saved");
    rk_err err;
    assert_status(rk_exp_save(dir, &F.net, &F.m, &F.a, &err), RK_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/adapters/extracted_r2", dir);
    rk_peft_adapter ad;
    assert_status(rk_peft_read(&ad, path, &err), RK_OK);
    assert_int_equal(ad.n_modules, 3);
    for (size_t i = 0; i < ad.n_modules; i++) {
        const rk_peft_module *mod = &ad.modules[i];
        size_t l = (size_t)(mod->name[6] - '1');
        /* W0 + s·B·A from the file against W0 + [ΔW_full]_2 computed here */
        rk_mat ba, want;
        rk_svd s;
        assert_status(rk_mat_create(&ba, mod->out, mod->in), RK_OK);
        assert_status(rk_mat_gemm(false, false, mod->scale, &mod->b, &mod->a, 0.0, &ba), RK_OK);
        assert_status(rk_svd_decomp(&s, &F.m.full[l], RK_SVD_THIN), RK_OK);
        assert_status(rk_lowrank_approx(&want, &s, 2), RK_OK);
        assert_status(rk_mat_axpy(&ba, 1.0, &F.m.w0[l]), RK_OK);
        assert_status(rk_mat_axpy(&want, 1.0, &F.m.w0[l]), RK_OK);
        /* the factors are stored as float32: one rounding per factor entry */
        double tol = 8 * 6e-8 * (rk_mat_norm_fro(&F.m.full[l]) + 1e-30) * 4;
        assert_mat_near(&ba, &want, tol);
        rk_mat_free(&ba);
        rk_mat_free(&want);
        rk_svd_free(&s);
    }
    rk_peft_free(&ad);
    /* what is written is the analysis's own float factors, bit for bit, zero-padded where
       a layer has fewer directions than r (linear3: 4 < 8) */
    for (size_t i = 0; i < F.a.n_extracted; i++) {
        const rk_exp_lora_run *ex = &F.a.extracted[i];
        snprintf(path, sizeof path, "%s/adapters/extracted_r%zu", dir, F.a.extracted_rank[i]);
        assert_status(rk_peft_read(&ad, path, &err), RK_OK);
        for (size_t k = 0; k < ad.n_modules; k++) {
            const rk_peft_module *mod = &ad.modules[k];
            size_t l = (size_t)(mod->name[6] - '1');
            assert_int_equal(mod->r, ex->rank);
            float fa[16 * 32], fb[32 * 16];
            assert_true(mod->a.rows * mod->a.cols <= 16 * 32 && mod->b.rows * mod->b.cols <= 32 * 16);
            assert_status(rk_mat_to_f32(fa, &mod->a), RK_OK);
            assert_status(rk_mat_to_f32(fb, &mod->b), RK_OK);
            assert_memory_equal(fa, ex->a[l], ex->rank * ex->in[l] * sizeof(float));
            assert_memory_equal(fb, ex->b[l], ex->out[l] * ex->rank * sizeof(float));
            size_t k_l = ex->in[l] < ex->out[l] ? ex->in[l] : ex->out[l];
            for (size_t j = k_l; j < ex->rank; j++)
                assert_true(ex->a[l][j * ex->in[l]] == 0.0f);
        }
        rk_peft_free(&ad);
    }
}

static void test_compare_roundtrip(void **state)
{
    (void)state;
    const char *dir = rk_test_tmpfile("saved2");
    rk_err err;
    assert_status(rk_exp_save(dir, &F.net, &F.m, &F.a, &err), RK_OK);
    char base[4096], full[4096], l1[4096], l2[4096];
    snprintf(base, sizeof base, "%s/weights/base.safetensors", dir);
    snprintf(full, sizeof full, "%s/full", dir);
    snprintf(l1, sizeof l1, "%s/adapters/lora_r4", dir);
    snprintf(l2, sizeof l2, "%s/adapters/lora_r4_seed2", dir);
    const char *loras[] = { l1, l2 };
    rk_exp_models m;
    rk_mlp net;
    assert_status(rk_exp_load(&m, &net, base, full, loras, 2, &err), RK_OK);
    assert_int_equal(m.n_runs, 2);
    assert_int_equal(m.runs[1].role, RK_EXP_ROLE_SEED2);
    rk_exp_config cfg = F.cfg;
    cfg.n_ranks = 1;
    cfg.ranks[0] = 4;
    cfg.progress = NULL;
    rk_exp_analysis a;
    assert_status(rk_exp_analyze(&cfg, &m, NULL, NULL, &a, &err), RK_OK);
    for (size_t l = 0; l < 3; l++) {
        assert_rel_near(a.layers[l].cmp[0].rel_err, F.a.layers[l].cmp[2].rel_err, 1e-12);
        assert_rel_near(a.layers[l].cmp[0].ey_rel_err, F.a.layers[l].cmp[2].ey_rel_err, 1e-12);
        assert_true(fabs(a.layers[l].cmp[0].phi - F.a.layers[l].cmp[2].phi) < 1e-10);
        assert_true(a.layers[l].phi_seeds.rows > 0);
    }
    rk_exp_analysis_free(&a);
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
    /* a missing delta file is an error naming the problem */
    const char *bad[] = { l1 };
    assert_int_not_equal(rk_exp_load(&m, &net, base, dir, bad, 1, &err), RK_OK);
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
}

static json_t *get(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        fail_msg("results.json: key %s missing", key);
    return v;
}

static void test_results_json(void **state)
{
    (void)state;
    const char *path = rk_test_tmpfile("results.json");
    rk_err err;
    assert_status(rk_exp_results_write(path, &F.cfg, &F.m, &F.a, &err), RK_OK);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    assert_non_null(root);
    json_t *pre = get(root, "pretrain");
    assert_true(json_is_real(get(pre, "accuracy")));
    assert_int_equal(json_array_size(get(pre, "per_class_accuracy")), CLASSES);
    assert_int_equal(json_integer_value(get(root, "target_class")), F.m.target_class);
    json_t *full = get(root, "full");
    get(full, "accuracy");
    get(full, "target_accuracy");
    assert_int_equal(json_integer_value(get(full, "trainable_params")), F.net.n_params);
    json_t *lora = get(root, "lora");
    assert_int_equal(json_array_size(lora), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *r = json_array_get(lora, i);
        assert_int_equal(json_integer_value(get(r, "rank")), F.cfg.ranks[i]);
        get(r, "accuracy");
        get(r, "target_accuracy");
        get(r, "trainable_params");
        json_t *layers = get(r, "layers");
        assert_int_equal(json_array_size(layers), 3);
        for (size_t l = 0; l < 3; l++) {
            json_t *L = json_array_get(layers, l);
            assert_string_equal(json_string_value(get(L, "name")), F.m.names[l]);
            assert_true(json_real_value(get(L, "rel_err")) == F.a.layers[l].cmp[i].rel_err);
            get(L, "eckart_young_rel_err");
            double phi = json_real_value(get(L, "phi"));
            assert_true(phi >= 0 && phi <= 1);
        }
    }
    assert_int_equal(json_array_size(get(root, "lora_extra")), 3);
    assert_int_equal(json_array_size(get(root, "svd_extracted")), 4);
    json_decref(root);
}

/* true when the @p n bytes at @p buf contain @p needle. */
static bool contains(const unsigned char *buf, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (!memcmp(buf + i, needle, k))
            return true;
    return false;
}

/* Every Markdown link target ](X) in report.md names an existing file. */
static void check_links(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/report.md", dir);
    unsigned char *text;
    size_t n;
    assert_status(rk_file_read_all(path, 1 << 24, &text, &n, NULL), RK_OK);
    size_t links = 0;
    for (size_t i = 0; i + 2 < n; i++) {
        if (text[i] != ']' || text[i + 1] != '(')
            continue;
        size_t j = i + 2;
        while (j < n && text[j] != ')')
            j++;
        char name[512];
        size_t len = j - i - 2 < sizeof name - 1 ? j - i - 2 : sizeof name - 1;
        memcpy(name, text + i + 2, len);
        name[len] = 0;
        if (!file_exists(dir, name))
            fail_msg("report.md links %s, which does not exist", name);
        links++;
    }
    assert_true(links > 0);
    rk_free(text);
}

static void test_report_and_plots(void **state)
{
    (void)state;
    static const int formats[2] = { RK_PLOT_PNG, RK_PLOT_SVG };
    for (int f = 0; f < 2; f++) {
        const char *dir = rk_test_tmpfile(f ? "report_svg" : "report_png");
        rk_err err;
        rk_exp_plots plots;
        assert_status(rk_exp_plots_write(dir, formats[f], &F.cfg, &F.m, &F.a, &plots, &err), RK_OK);
        assert_true(plots.n >= 1 + 3 * 5);
        rk_exp_report_info info = { "test", NULL, 1.0, 1, false };
        assert_status(rk_exp_report_write(dir, &F.cfg, &F.m, &F.a, &plots, &info, &err), RK_OK);
        check_links(dir);
        for (size_t i = 0; i < plots.n; i++) {
            assert_true(file_exists(dir, plots.plots[i].data));
            if (plots.plots[i].status != RK_OK)
                continue;   /* gnuplot missing: only the data */
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, plots.plots[i].file);
            unsigned char *buf;
            size_t n;
            assert_status(rk_file_read_all(p, 1 << 24, &buf, &n, NULL), RK_OK);
            assert_true(n > 1000);
            if (f == 0)
                assert_memory_equal(buf, "\x89PNG\r\n\x1a\n", 8);
            else
                assert_true(contains(buf, n, "<svg")); /* buf is not NUL-terminated */
            rk_free(buf);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extracted_adapter),
        cmocka_unit_test(test_compare_roundtrip),
        cmocka_unit_test(test_results_json),
        cmocka_unit_test(test_report_and_plots),
    };
    return cmocka_run_group_tests(tests, exp_fixture_setup, exp_fixture_teardown);
}
