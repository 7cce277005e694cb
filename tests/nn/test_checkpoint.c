/*
 * test_checkpoint.c — model files, PEFT adapters and delta files of lib/nn
 * (checkpoint.h): round trips bit for bit, the layer sizes read back from
 * the shapes, messages that name the tensor and both shapes, missing and
 * unexpected tensors, non-finite values, atomic writes that leave an old
 * file intact on failure, adapters for a subset of layers, PiSSA adapters
 * saved relative to the original weights, and F64 deltas.
 */
#include "nn_testutil.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tiny net 6 → 5 → 4 → 3 of nn_testutil, initialised from @p seed. */
static void tiny(rk_mlp *net, uint64_t seed)
{
    nn_tiny_net(net, 8, seed);
}

static void assert_params_equal(const rk_mlp *a, const rk_mlp *b)
{
    assert_int_equal(a->n_params, b->n_params);
    assert_memory_equal(a->params, b->params, a->n_params * sizeof *a->params);
}

static void test_round_trip(void **state)
{
    (void)state;
    rk_mlp net, back;
    tiny(&net, 1);
    const char *path = rk_test_tmpfile("model.safetensors");
    rk_err err;
    assert_status(rk_checkpoint_save(&net, path, &err), RK_OK);
    assert_status(rk_checkpoint_open(&back, path, 4, &err), RK_OK);
    assert_int_equal(back.cfg.n_layers, 3);
    size_t want[4] = { 6, 5, 4, 3 };
    for (int i = 0; i < 4; i++)
        assert_int_equal(back.cfg.sizes[i], want[i]);
    assert_params_equal(&net, &back);

    // PyTorch's state_dict names, (Out, In) weights, F32, format pt
    rk_st_file f;
    assert_status(rk_st_open(&f, path, &err), RK_OK);
    assert_int_equal(f.n_tensors, 6);
    const rk_st_tensor *t = rk_st_find(&f, "linear2.weight");
    assert_non_null(t);
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 4);
    assert_int_equal(t->shape[1], 5);
    assert_string_equal(t->dtype_name, "F32");
    t = rk_st_find(&f, "linear3.bias");
    assert_non_null(t);
    assert_int_equal(t->ndim, 1);
    assert_int_equal(t->shape[0], 3);
    assert_int_equal(f.n_meta, 1);
    assert_string_equal(f.meta_keys[0], "format");
    assert_string_equal(f.meta_values[0], "pt");
    rk_st_close(&f);
    rk_mlp_free(&net);
    rk_mlp_free(&back);
}

static void test_shape_mismatch(void **state)
{
    (void)state;
    rk_mlp net, other;
    tiny(&net, 2);
    const char *path = rk_test_tmpfile("shape.safetensors");
    rk_err err;
    assert_status(rk_checkpoint_save(&net, path, &err), RK_OK);
    rk_mlp_config cfg = { 3, { 6, 7, 4, 3 } };
    assert_status(rk_mlp_create(&other, &cfg, 4), RK_OK);
    rk_rng rng;
    rk_rng_seed(&rng, 9);
    rk_mlp_init(&other, &rng);
    float *before = rk_test_params_copy(&other);
    assert_status(rk_checkpoint_load(&other, path, &err), RK_ESHAPE);
    assert_string_equal(err.msg, "linear1.weight has shape (5, 6), the net expects (7, 6)");
    // nothing was written into the net
    assert_memory_equal(before, other.params, other.n_params * sizeof *before);
    free(before);
    rk_mlp_free(&other);

    // a net with fewer layers: the extra tensors are named
    rk_mlp_config two = { 2, { 6, 5, 4 } };
    assert_status(rk_mlp_create(&other, &two, 4), RK_OK);
    assert_status(rk_checkpoint_load(&other, path, &err), RK_ECONFIG);
    assert_non_null(strstr(err.msg, "unexpected tensor linear3."));
    rk_mlp_free(&other);
    rk_mlp_free(&net);
}

/* A file with the tiny net's tensors, leaving out @p skip and adding @p extra (NULLs allowed). */
static void write_partial(const char *path, const rk_mlp *net, const char *skip, const char *extra,
                          size_t bad_in)
{
    rk_st_writer *w;
    assert_status(rk_st_writer_new(&w), RK_OK);
    char name[48];
    for (size_t l = 0; l < net->cfg.n_layers; l++) {
        size_t shape[2] = { net->cfg.sizes[l + 1], net->cfg.sizes[l] };
        if (l == 1 && bad_in)
            shape[1] = bad_in;   // only the shape is wrong; enough data is there
        snprintf(name, sizeof name, "linear%zu.weight", l + 1);
        if (!skip || strcmp(skip, name))
            assert_status(rk_st_writer_add_f32(w, name, net->p.w[l], 2, shape), RK_OK);
        snprintf(name, sizeof name, "linear%zu.bias", l + 1);
        if (!skip || strcmp(skip, name))
            assert_status(rk_st_writer_add_f32(w, name, net->p.b[l], 1, shape), RK_OK);
    }
    if (extra) {
        size_t one = 1;
        assert_status(rk_st_writer_add_f32(w, extra, net->params, 1, &one), RK_OK);
    }
    rk_err err;
    assert_status(rk_st_writer_save(w, path, &err), RK_OK);
    rk_st_writer_free(w);
}

static void test_missing_tensor(void **state)
{
    (void)state;
    rk_mlp net, back;
    tiny(&net, 3);
    const char *path = rk_test_tmpfile("missing.safetensors");
    rk_err err;
    write_partial(path, &net, "linear2.bias", NULL, 0);
    assert_status(rk_checkpoint_load(&net, path, &err), RK_ENOTFOUND);
    assert_string_equal(err.msg, "linear2.bias is missing (the net expects (4))");
    rk_mlp_config cfg;
    assert_status(rk_checkpoint_read_config(path, &cfg, &err), RK_ENOTFOUND);
    assert_non_null(strstr(err.msg, "linear2.bias is missing"));
    assert_status(rk_checkpoint_open(&back, path, 4, &err), RK_ENOTFOUND);
    assert_null(back.params);

    write_partial(path, &net, "linear1.weight", NULL, 0);
    assert_status(rk_checkpoint_read_config(path, &cfg, &err), RK_ENOTFOUND);
    assert_non_null(strstr(err.msg, "linear1.weight"));

    write_partial(path, &net, NULL, "classifier.weight", 0);
    assert_status(rk_checkpoint_load(&net, path, &err), RK_ECONFIG);
    assert_non_null(strstr(err.msg, "unexpected tensor classifier.weight"));
    rk_mlp_free(&net);
}

static void test_inconsistent_layers(void **state)
{
    (void)state;
    rk_mlp net;
    tiny(&net, 4);
    const char *path = rk_test_tmpfile("chain.safetensors");
    rk_err err;
    write_partial(path, &net, NULL, NULL, 2);   // linear2.weight (4, 2) after linear1 (5, 6)
    rk_mlp_config cfg;
    assert_status(rk_checkpoint_read_config(path, &cfg, &err), RK_ESHAPE);
    assert_string_equal(err.msg, "linear2.weight has shape (4, 2): its 2 inputs do not match linear1's 5 outputs");
    rk_mlp_free(&net);
}

static void test_non_finite(void **state)
{
    (void)state;
    rk_mlp net, back;
    tiny(&net, 5);
    net.p.w[2][4] = NAN;
    const char *path = rk_test_tmpfile("nan.safetensors");
    rk_err err;
    assert_status(rk_checkpoint_save(&net, path, &err), RK_OK);
    assert_status(rk_checkpoint_open(&back, path, 4, &err), RK_ENONFINITE);
    assert_string_equal(err.msg, "linear3.weight holds a non-finite value at element 4");
    rk_mlp_free(&net);
}

/* Files in the temporary directory whose name starts with @p prefix. */
static int count_files(const char *prefix)
{
    DIR *d = opendir(rk_test_tmpdir());
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (!strncmp(e->d_name, prefix, strlen(prefix)))
            n++;
    closedir(d);
    return n;
}

static void test_atomic_write(void **state)
{
    (void)state;
    rk_mlp a, b, back;
    tiny(&a, 6);
    tiny(&b, 7);
    char path[512];
    snprintf(path, sizeof path, "%s", rk_test_tmpfile("atomic.safetensors"));
    rk_err err;
    assert_status(rk_checkpoint_save(&a, path, &err), RK_OK);
    // a save that fails part-way (allocation k fails) leaves the old file whole and no temporary behind
    rk_status st = RK_ENOMEM;
    int failures = 0;
    for (long k = 1; st != RK_OK && k < 200; k++) {
        rk_test_fail_alloc_after(k);
        st = rk_checkpoint_save(&b, path, &err);
        rk_test_fail_alloc_after(0);
        if (st != RK_OK) {
            failures++;
            assert_status(rk_checkpoint_open(&back, path, 4, &err), RK_OK);
            assert_params_equal(&a, &back);
            rk_mlp_free(&back);
            assert_int_equal(count_files("atomic"), 1);
        }
    }
    assert_status(st, RK_OK);
    assert_true(failures > 0);
    assert_status(rk_checkpoint_open(&back, path, 4, &err), RK_OK);
    assert_params_equal(&b, &back);
    rk_mlp_free(&back);
    // a folder that does not exist: an error, nothing written
    assert_int_not_equal(rk_checkpoint_save(&a, rk_test_tmpfile("no/such/dir/m.safetensors"), &err), RK_OK);
    assert_int_equal(count_files("no"), 0);
    rk_mlp_free(&a);
    rk_mlp_free(&b);
}

/* Give B random values so that the adapter is not a no-op. */
static void perturb(rk_lora *lo, uint64_t seed)
{
    rk_rng rng;
    rk_rng_seed(&rng, seed);
    for (size_t i = 0; i < lo->n_params; i++)
        lo->params[i] += 0.1f * (float)rk_rng_normal(&rng);
}

static void assert_same_outputs(rk_mlp *n1, rk_lora *l1, rk_mlp *n2, rk_lora *l2, double tol)
{
    float x[4 * 6];
    unsigned char y[4];
    nn_random_data(x, y, 4, 6, 3, 11);
    assert_status(rk_mlp_forward(n1, l1, x, 4), RK_OK);
    float out1[4 * 3];
    memcpy(out1, n1->pre[2], sizeof out1);
    assert_status(rk_mlp_forward(n2, l2, x, 4), RK_OK);
    for (int i = 0; i < 12; i++)
        assert_rel_near(out1[i], n2->pre[2][i], tol);
}

static void test_adapter_round_trip(void **state)
{
    (void)state;
    unsigned masks[2] = { 0, 5 };   // every layer; layers 1 and 3
    for (int m = 0; m < 2; m++) {
        rk_mlp net;
        tiny(&net, 8);
        rk_lora lo, back;
        rk_lora_config cfg = rk_lora_config_default();
        cfg.rank = 2;
        cfg.alpha = 3.0;
        cfg.rslora = m == 1;
        cfg.layers = masks[m];
        rk_rng rng;
        rk_rng_seed(&rng, 1);
        assert_status(rk_lora_create(&lo, &net, &cfg, &rng), RK_OK);
        perturb(&lo, 2);
        const char *dir = rk_test_tmpfile(m ? "adapter_sub" : "adapter_all");
        rk_err err;
        assert_status(rk_checkpoint_save_adapter(&lo, NULL, dir, "model.safetensors", &err), RK_OK);
        assert_status(rk_checkpoint_load_adapter(&back, &net, dir, &err), RK_OK);
        assert_int_equal(back.cfg.rank, 2);
        assert_int_equal(back.cfg.layers, lo.cfg.layers);
        assert_true(back.cfg.rslora == cfg.rslora);
        assert_true(back.scale == lo.scale);
        assert_int_equal(back.n_params, lo.n_params);
        assert_memory_equal(back.params, lo.params, lo.n_params * sizeof *lo.params);
        assert_same_outputs(&net, &lo, &net, &back, 0.0);
        rk_lora_free(&lo);
        rk_lora_free(&back);

        // the same adapter does not fit another net: the module and both shapes are named
        rk_mlp other;
        rk_mlp_config oc = { 3, { 6, 9, 4, 3 } };
        assert_status(rk_mlp_create(&other, &oc, 4), RK_OK);
        assert_status(rk_checkpoint_load_adapter(&back, &other, dir, &err), RK_ESHAPE);
        assert_string_equal(err.msg, "module linear1 adapts a (5, 6) weight, the net's linear1.weight is (9, 6)");
        assert_null(back.params);
        rk_mlp_free(&other);
        rk_mlp_free(&net);
    }
}

static void test_adapter_pissa(void **state)
{
    (void)state;
    rk_mlp orig, work;
    tiny(&orig, 9);
    tiny(&work, 9);
    rk_lora lo, init, back;
    rk_lora_config cfg = rk_lora_config_default();
    cfg.rank = 2;
    cfg.alpha = 4.0;
    cfg.init = RK_LORA_INIT_PISSA;
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    assert_status(rk_lora_create(&lo, &work, &cfg, &rng), RK_OK);
    // init: a second PiSSA adapter on a copy of the original net holds A0, B0
    rk_mlp spare;
    tiny(&spare, 9);
    rk_rng_seed(&rng, 3);
    assert_status(rk_lora_create(&init, &spare, &cfg, &rng), RK_OK);
    perturb(&lo, 4);   // "training"
    const char *dir = rk_test_tmpfile("adapter_pissa");
    rk_err err;
    assert_status(rk_checkpoint_save_adapter(&lo, &init, dir, NULL, &err), RK_OK);
    // applied to the ORIGINAL weights, the rank-2R adapter gives the PiSSA net's outputs
    assert_status(rk_checkpoint_load_adapter(&back, &orig, dir, &err), RK_OK);
    assert_int_equal(back.cfg.rank, 4);
    assert_rel_near(back.scale, lo.scale, 1e-7);
    assert_same_outputs(&work, &lo, &orig, &back, 1e-5);
    // a pissa adapter of another rank is refused as init
    rk_lora other;
    cfg.rank = 1;
    rk_mlp spare2;
    tiny(&spare2, 9);
    assert_status(rk_lora_create(&other, &spare2, &cfg, &rng), RK_OK);
    assert_status(rk_checkpoint_save_adapter(&lo, &other, dir, NULL, &err), RK_EINVAL);
    rk_lora_free(&other);
    rk_lora_free(&lo);
    rk_lora_free(&init);
    rk_lora_free(&back);
    rk_mlp_free(&orig);
    rk_mlp_free(&work);
    rk_mlp_free(&spare);
    rk_mlp_free(&spare2);
}

static void test_deltas(void **state)
{
    (void)state;
    rk_mat d[3] = { { 0 }, { 0 }, { 0 } };
    assert_status(rk_mat_create(&d[0], 5, 6), RK_OK);
    assert_status(rk_mat_create(&d[2], 3, 4), RK_OK);
    for (size_t i = 0; i < 30; i++)
        d[0].data[i] = 1.0 / (double)(i + 3);   // not representable in float
    for (size_t i = 0; i < 12; i++)
        d[2].data[i] = -(double)i * 1e-300;
    const char *path = rk_test_tmpfile("delta.safetensors");
    rk_err err;
    assert_status(rk_checkpoint_save_deltas(path, d, 3, &err), RK_OK);
    rk_st_file f;
    assert_status(rk_st_open(&f, path, &err), RK_OK);
    assert_int_equal(f.n_tensors, 2);
    assert_null(rk_st_find(&f, "linear2.weight"));   // 0 rows: skipped
    const char *names[2] = { "linear1.weight", "linear3.weight" };
    const rk_mat *want[2] = { &d[0], &d[2] };
    for (int k = 0; k < 2; k++) {
        const rk_st_tensor *t = rk_st_find(&f, names[k]);
        assert_non_null(t);
        assert_string_equal(t->dtype_name, "F64");
        rk_mat m;
        assert_status(rk_st_tensor_to_mat(&f, t, &m, &err), RK_OK);
        assert_int_equal(m.rows, want[k]->rows);
        assert_int_equal(m.cols, want[k]->cols);
        assert_mat_near(&m, want[k], 0.0);
        rk_mat_free(&m);
    }
    rk_st_close(&f);
    assert_status(rk_checkpoint_save_deltas(path, d, 0, &err), RK_EINVAL);
    for (int i = 0; i < 3; i++)
        rk_mat_free(&d[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_shape_mismatch),
        cmocka_unit_test(test_missing_tensor),
        cmocka_unit_test(test_inconsistent_layers),
        cmocka_unit_test(test_non_finite),
        cmocka_unit_test(test_atomic_write),
        cmocka_unit_test(test_adapter_round_trip),
        cmocka_unit_test(test_adapter_pissa),
        cmocka_unit_test(test_deltas),
    };
    return cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
}
