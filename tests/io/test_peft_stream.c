/*
 * test_peft_stream.c — an adapter written a module at a time (rk_peft_stream,
 * over the safetensors writer's spool, rk_st_writer_spool) is the same folder,
 * byte for byte, as rk_peft_write of the same modules; the spool is gone
 * afterwards; misuse, allocation failures and a write that fails (a file size
 * limit, as a full disk) are reported, nothing leaks.
 */
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/file.h"
#include "io/peft.h"
#include "io/safetensors.h"

enum { N_MODS = 3 };

/* Three modules; the first spans several spool blocks (64 KiB) and copy blocks (1 MiB). */
static const size_t shape[N_MODS][3] = { { 4, 70000, 300 }, { 2, 5, 7 }, { 3, 16, 16 } }; /* r, in, out */
static const char *const names[N_MODS] = { "model.layers.0.mlp.up_proj", "model.layers.0.self_attn.q_proj",
                                           "lm.k_proj" };

static void make_mods(rk_peft_lora *mods, float **bufs)
{
    for (int i = 0; i < N_MODS; i++) {
        size_t r = shape[i][0], in = shape[i][1], out = shape[i][2];
        float *a = rk_alloc(r * in * sizeof *a), *b = rk_alloc(out * r * sizeof *b);
        assert_non_null(a);
        assert_non_null(b);
        for (size_t j = 0; j < r * in; j++)
            a[j] = (float)((double)(j % 1009) / 1009.0 - 0.5 + i);
        for (size_t j = 0; j < out * r; j++)
            b[j] = (float)((double)(j % 31) * 0.125 - i);
        bufs[2 * i] = a;
        bufs[2 * i + 1] = b;
        mods[i] = (rk_peft_lora){ names[i], r, in, out, a, b };
    }
}

static void free_bufs(float **bufs)
{
    for (int i = 0; i < 2 * N_MODS; i++)
        rk_free(bufs[i]);
}

/* The whole file at dir/name, into *len bytes (rk_alloc'd). */
static unsigned char *slurp(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    unsigned char *p = rk_alloc((size_t)n + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void assert_same_file(const char *d1, const char *d2, const char *name)
{
    size_t n1, n2;
    unsigned char *a = slurp(d1, name, &n1), *b = slurp(d2, name, &n2);
    assert_int_equal(n1, n2);
    assert_memory_equal(a, b, n1);
    rk_free(a);
    rk_free(b);
}

static bool exists(const char *dir, const char *name)
{
    char path[1024];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return stat(path, &sb) == 0;
}

/* open, add every module, finish; the status of the first step that failed. */
static rk_status stream_all(const char *dir, const rk_peft_lora *mods, const rk_peft_write_opts *o, rk_err *err)
{
    rk_peft_stream *ps = NULL;
    rk_status s = rk_peft_stream_open(&ps, dir, err);
    for (int i = 0; !s && i < N_MODS; i++)
        s = rk_peft_stream_add(ps, &mods[i], err);
    if (!s)
        s = rk_peft_stream_finish(ps, o, err);
    rk_peft_stream_free(ps);
    return s;
}

static void test_stream_same_bytes(void **state)
{
    (void)state;
    rk_peft_lora mods[N_MODS];
    float *bufs[2 * N_MODS];
    make_mods(mods, bufs);
    rk_peft_write_opts o = { .lora_alpha = 8.0, .base_model = "meta-llama/Llama-2-7b-hf" };
    char d1[512], d2[512];
    snprintf(d1, sizeof d1, "%s", rk_test_tmpfile("whole_adapter"));
    snprintf(d2, sizeof d2, "%s", rk_test_tmpfile("streamed_adapter"));
    rk_err err;
    assert_status(rk_peft_write(d1, &o, mods, N_MODS, &err), RK_OK);
    assert_status(stream_all(d2, mods, &o, &err), RK_OK);
    assert_same_file(d1, d2, "adapter_model.safetensors");
    assert_same_file(d1, d2, "adapter_config.json");
    assert_false(exists(d2, "adapter_model.safetensors.part"));
    free_bufs(bufs);
}

/* Per-module alphas: the same bytes as rk_peft_write_with (alpha_pattern); full tensors refused. */
static void test_stream_alphas(void **state)
{
    (void)state;
    rk_peft_lora mods[N_MODS];
    float *bufs[2 * N_MODS];
    make_mods(mods, bufs);
    rk_peft_write_opts o = { .lora_alpha = 8.0 };
    double alphas[N_MODS] = { 4.0, 2.0, 2.0 };
    rk_peft_write_extra extra = { .alphas = alphas };
    char d1[512], d2[512];
    snprintf(d1, sizeof d1, "%s", rk_test_tmpfile("whole_alphas"));
    snprintf(d2, sizeof d2, "%s", rk_test_tmpfile("streamed_alphas"));
    rk_err err;
    assert_status(rk_peft_write_with(d1, &o, mods, N_MODS, &extra, &err), RK_OK);
    rk_peft_stream *ps = NULL;
    assert_status(rk_peft_stream_open(&ps, d2, &err), RK_OK);
    for (int i = 0; i < N_MODS; i++)
        assert_status(rk_peft_stream_add(ps, &mods[i], &err), RK_OK);
    rk_peft_full full = { "base_model.model.score.weight", 0, NULL, NULL };
    rk_peft_write_extra with_full = { .alphas = alphas, .full = &full, .n_full = 1 };
    assert_status(rk_peft_stream_finish_with(ps, &o, &with_full, &err), RK_EINVAL);
    assert_status(rk_peft_stream_finish_with(ps, &o, &extra, &err), RK_OK);
    rk_peft_stream_free(ps);
    assert_same_file(d1, d2, "adapter_model.safetensors");
    assert_same_file(d1, d2, "adapter_config.json");
    size_t len;
    unsigned char *cfg = slurp(d2, "adapter_config.json", &len);
    cfg[len] = 0;
    assert_non_null(strstr((const char *)cfg, "\"lora_alpha\": 2,")); /* the most common alpha */
    rk_free(cfg);
    free_bufs(bufs);
}

static void test_stream_misuse(void **state)
{
    (void)state;
    rk_peft_lora mods[N_MODS];
    float *bufs[2 * N_MODS];
    make_mods(mods, bufs);
    rk_peft_write_opts o = { .lora_alpha = 4.0 };
    rk_err err;
    rk_peft_stream *ps;
    const char *dir = rk_test_tmpfile("misuse_adapter");
    assert_status(rk_peft_stream_open(NULL, dir, &err), RK_EINVAL);
    assert_status(rk_peft_stream_open(&ps, dir, &err), RK_OK);
    assert_true(exists(dir, "adapter_model.safetensors.part"));
    assert_status(rk_peft_stream_finish(ps, &o, &err), RK_EINVAL); /* no module yet */
    assert_status(rk_peft_stream_add(ps, &mods[1], &err), RK_OK);
    assert_status(rk_peft_stream_add(ps, &mods[1], &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, "given twice"));
    rk_peft_lora bad = mods[2];
    bad.a = NULL;
    assert_status(rk_peft_stream_add(ps, &bad, &err), RK_EINVAL);
    rk_peft_stream_free(ps); /* without finishing: the spool goes, nothing else is written */
    assert_false(exists(dir, "adapter_model.safetensors.part"));
    assert_false(exists(dir, "adapter_model.safetensors"));
    rk_peft_stream_free(NULL);

    /* the writer's spool: only before any tensor, once, in a folder that exists */
    rk_st_writer *w;
    float x = 1.0f;
    size_t one = 1;
    assert_status(rk_st_writer_new(&w), RK_OK);
    assert_status(rk_st_writer_spool(w, rk_test_tmpfile("no/such/dir/spool"), &err), RK_EIO);
    assert_status(rk_st_writer_add_f32(w, "x", &x, 1, &one), RK_OK);
    assert_status(rk_st_writer_spool(w, rk_test_tmpfile("late.spool"), &err), RK_EINVAL);
    rk_st_writer_free(w);
    free_bufs(bufs);
}

static void test_stream_nomem(void **state)
{
    (void)state;
    rk_peft_lora mods[N_MODS];
    float *bufs[2 * N_MODS];
    make_mods(mods, bufs);
    rk_peft_write_opts o = { .lora_alpha = 4.0 };
    const char *dir = rk_test_tmpfile("nomem_adapter");
    bool done = false;
    for (long k = 1; k < 400 && !done; k++) {
        rk_test_fail_alloc_after(k);
        rk_err err;
        rk_status s = stream_all(dir, mods, &o, &err);
        rk_test_fail_alloc_after(0);
        if (!(s == RK_OK || s == RK_ENOMEM))
            print_message("k=%ld s=%d %s\n", k, (int)s, err.msg);
        assert_true(s == RK_OK || s == RK_ENOMEM);
        assert_false(exists(dir, "adapter_model.safetensors.part"));
        done = s == RK_OK;
    }
    assert_true(done);
    free_bufs(bufs);
}

/* A write that fails as on a full disk (RLIMIT_FSIZE, SIGXFSZ ignored: EFBIG):
 * the add says so, naming the spool. */
static void test_stream_write_fails(void **state)
{
    (void)state;
    rk_peft_lora mods[N_MODS];
    float *bufs[2 * N_MODS];
    make_mods(mods, bufs);
    struct rlimit old, small;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    small = old;
    small.rlim_cur = 64 * 1024;
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    const char *dir = rk_test_tmpfile("full_adapter");
    rk_peft_stream *ps;
    rk_err err;
    assert_status(rk_peft_stream_open(&ps, dir, &err), RK_OK);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    rk_status s = rk_peft_stream_add(ps, &mods[0], &err); /* 1.2 MB of factors */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_status(s, RK_EIO);
    assert_non_null(strstr(err.msg, "adapter_model.safetensors.part"));
    rk_peft_stream_free(ps);
    assert_false(exists(dir, "adapter_model.safetensors.part"));
    free_bufs(bufs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_same_bytes),
        cmocka_unit_test(test_stream_alphas),
        cmocka_unit_test(test_stream_misuse),
        cmocka_unit_test(test_stream_nomem),
        cmocka_unit_test(test_stream_write_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
