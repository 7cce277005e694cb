/*
 * test_finetune_memory.c — what LoRA saves in memory, measured in bytes the
 * library allocates: the steps of `ranklab finetune` (tools/finetune_run.c:
 * ft_setup, ft_train, ft_save, linked from the tools' internal library) run on the default 784 → 1000 → 2000 → 10 net,
 * once --full and once --lora-rank 4, under a counting allocator installed
 * with rk_set_allocator(); the test compares the peaks of live bytes.
 *
 * A full fine-tune holds, besides what both hold (the base, the data, the
 * evaluation, the ΔW written at the end), a gradient and Adam's m and v for
 * each of the base's P parameters: 3 × 4 B × P. LoRA freezes the base: it
 * must neither copy the weights nor give them a gradient or optimizer
 * state, so
 *
 *     peak(full) − peak(LoRA) ≥ 3 × 4 B × P                      (the goal)
 *
 * which fails as soon as either path grows a full-size buffer the other
 * lacks (e.g. a working copy of the base for LoRA costs 4 B × P plus its
 * activations and breaks it). The data are a few synthetic 28 × 28 images,
 * the fine-tunes two steps: the figures are exact byte counts, no timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "finetune.h"

/* ---- a counting allocator: a 16-byte header holds each block's size ---- */

typedef struct counter {
    size_t live, peak, calls;
} counter;

static void *count_alloc(size_t size, void *ctx)
{
    counter *c = ctx;
    unsigned char *p = malloc(size + 16);
    if (!p)
        return NULL;
    memcpy(p, &size, sizeof size);
    c->live += size;
    c->calls++;
    if (c->live > c->peak)
        c->peak = c->live;
    return p + 16;
}

static void count_free(void *ptr, void *ctx)
{
    counter *c = ctx;
    unsigned char *p = (unsigned char *)ptr - 16;
    size_t size;
    memcpy(&size, p, sizeof size);
    c->live -= size;
    free(p);
}

/* ---- fixtures: raw IDX files (named .gz: the reader detects gzip by its magic) ---- */

static void put_be32(FILE *f, unsigned v)
{
    unsigned char b[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                           (unsigned char)v };
    assert_int_equal(fwrite(b, 1, 4, f), 4);
}

/* n images of 28 × 28 pixels, k per class in turn (label i mod 10), pixels from @p rng. */
static void write_split(const char *dir, const char *prefix, unsigned n, rk_rng *rng)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s-images-idx3-ubyte.gz", dir, prefix);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    put_be32(f, 0x00000803u);
    put_be32(f, n);
    put_be32(f, 28);
    put_be32(f, 28);
    for (unsigned i = 0; i < n * 784u; i++)
        assert_int_not_equal(fputc((int)rk_rng_below(rng, 256), f), EOF);
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof path, "%s/%s-labels-idx1-ubyte.gz", dir, prefix);
    f = fopen(path, "wb");
    assert_non_null(f);
    put_be32(f, 0x00000801u);
    put_be32(f, n);
    for (unsigned i = 0; i < n; i++)
        assert_int_not_equal(fputc((int)(i % RK_DATASET_CLASSES), f), EOF);
    assert_int_equal(fclose(f), 0);
}

/* The data folder and a randomly initialised default net saved as the base; returns P. */
static size_t make_fixtures(char *data_dir, size_t data_len, char *base, size_t base_len)
{
    snprintf(data_dir, data_len, "%s", rk_test_tmpdir());
    snprintf(base, base_len, "%s", rk_test_tmpfile("base.safetensors"));
    rk_rng rng;
    rk_rng_seed(&rng, 7);
    write_split(data_dir, "train", 100, &rng);
    write_split(data_dir, "t10k", 20, &rng);
    rk_mlp net = { 0 };
    rk_mlp_config cfg = rk_mlp_config_default();
    assert_status(rk_mlp_create(&net, &cfg, 1), RK_OK);
    rk_mlp_init(&net, &rng);
    rk_err err;
    rk_err_clear(&err);
    assert_status(rk_checkpoint_save(&net, base, &err), RK_OK);
    size_t p = net.n_params;
    rk_mlp_free(&net);
    return p;
}

/* ft_setup, ft_train, ft_save of one fine-tune under the counting allocator; its peak in bytes. */
static size_t peak_of(const ft_args *args, size_t *lora_params)
{
    ft_args copy = *args, *a = &copy; /* ft_setup may cap the batch */
    counter c = { 0 };
    rk_allocator counting = { count_alloc, count_free, &c };
    rk_set_allocator(&counting);
    ft_run r;
    memset(&r, 0, sizeof r);
    int rc = ft_setup(a, &r);
    if (!rc)
        rc = ft_train(a, &r);
    if (!rc)
        rc = ft_save(a, &r);
    *lora_params = r.lo.n_params;
    ft_free(&r);
    rk_set_allocator(NULL);
    assert_int_equal(rc, RK_EXIT_OK);
    assert_int_equal(c.live, 0);   // ft_free released every block
    assert_true(c.calls > 0);
    return c.peak;
}

static void test_lora_saves_gradient_and_adam_state(void **state)
{
    (void)state;
    char data[4096], base[4096];
    size_t p = make_fixtures(data, sizeof data, base, sizeof base);
    assert_int_equal(p, 2807010);   // the default net of mlp.h

    ft_args a = { .nn = { .data = data, .batch = 10, .lr = 1e-3, .seed = 1 }, .base = base, .cls = -1, .steps = 2 };
    a.lora = rk_lora_config_default();
    a.full = true;
    a.lora.rank = 0;
    a.nn.out = rk_test_tmpfile("full");
    size_t unused, full = peak_of(&a, &unused);

    a.full = false;
    a.lora.rank = 4;
    a.lora.alpha = 4.0;
    a.nn.out = rk_test_tmpfile("lora");
    size_t lora_params, lora = peak_of(&a, &lora_params);

    size_t goal = 3 * sizeof(float) * p;
    print_message("# peak bytes allocated by the library: full %zu, LoRA r=4 %zu (%zu trainable), "
                  "difference %zu, goal 3 x 4 B x P = %zu\n", full, lora, lora_params,
                  full > lora ? full - lora : 0, goal);
    assert_true(lora_params > 0 && lora_params < p / 50);
    assert_true(full > lora);
    assert_true(full - lora >= goal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lora_saves_gradient_and_adam_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
