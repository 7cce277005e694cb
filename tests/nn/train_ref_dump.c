/*
 * train_ref_dump.c — the trainer's run that tests/nn/test_torch_trainer.py
 * repeats in PyTorch: a 20 → 16 → 12 → 5 network (seeded init), 64 seeded
 * Gaussian rows, 20 Adam steps (lr 1e-2) of rk_train_step on the batches
 * rows [8k, 8k + 8) (k = step mod 8), either every parameter (MODE full) or
 * a LoRA adapter of rank 4, α = 8 on every layer (MODE lora). Writes into
 * DIR, as little-endian float32 in PyTorch's layouts (W (Out, In) row-major):
 *   x.f32 (64, 20), y.u8 (64), params0.f32 (the base: W1 b1 W2 b2 W3 b3),
 *   lora0.f32 (A1 B1 A2 B2 A3 B3, lora only), losses.f32 (20 steps: each
 *   batch's mean loss before its update), params.f32 / lora.f32 after.
 * Usage: train_ref_dump full|lora DIR. Exit 0, or 1 with a message.
 */
#include "ranklab.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 64, DIM = 20, CLASSES = 5, BATCH = 8, STEPS = 20, RANK = 4 };

static int save(const char *dir, const char *name, const void *data, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, bytes, f) != bytes || fclose(f) != 0) {
        fprintf(stderr, "train_ref_dump: %s: cannot write\n", path);
        return 1;
    }
    return 0;
}

/* The adapter's A and B of every layer in order, as PyTorch lists them. */
static int save_lora(const char *dir, const char *name, const rk_lora *lo, const rk_mlp *net)
{
    size_t total = 0;
    for (size_t l = 0; l < net->cfg.n_layers; l++)
        total += RANK * (net->cfg.sizes[l] + net->cfg.sizes[l + 1]);
    float *buf = malloc(total * sizeof *buf), *p = buf;
    if (!buf)
        return 1;
    for (size_t l = 0; l < net->cfg.n_layers; l++) {
        size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
        memcpy(p, lo->p.a[l], RANK * in * sizeof *p);
        p += RANK * in;
        memcpy(p, lo->p.b[l], out * RANK * sizeof *p);
        p += out * RANK;
    }
    int rc = save(dir, name, buf, total * sizeof *buf);
    free(buf);
    return rc;
}

static int fail(const char *what, rk_status s)
{
    fprintf(stderr, "train_ref_dump: %s: %s\n", what, rk_strerror(s));
    return 1;
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "full") != 0 && strcmp(argv[1], "lora") != 0)) {
        fprintf(stderr, "usage: train_ref_dump full|lora DIR\n");
        return 2;
    }
    int lora_mode = strcmp(argv[1], "lora") == 0;
    const char *dir = argv[2];
    static float x[N * DIM], losses[STEPS];
    static unsigned char y[N];
    rk_rng rng;
    rk_rng_seed(&rng, 3);
    for (size_t i = 0; i < N; i++) {
        y[i] = (unsigned char)(i % CLASSES);
        for (size_t j = 0; j < DIM; j++)   // class c shifts coordinate c: learnable, not separable
            x[i * DIM + j] = (float)(rk_rng_normal(&rng) + (j == y[i] ? 1.0 : 0.0));
    }
    rk_mlp_config cfg = { .n_layers = 3, .sizes = { DIM, 16, 12, CLASSES } };
    rk_mlp net;
    rk_status s = rk_mlp_create(&net, &cfg, BATCH);
    if (s != RK_OK)
        return fail("rk_mlp_create", s);
    rk_rng_seed(&rng, 7);
    rk_mlp_init(&net, &rng);
    rk_lora lo = { 0 };
    rk_lora *lp = NULL;
    if (lora_mode) {
        rk_lora_config lc = rk_lora_config_default();
        lc.rank = RANK;
        lc.alpha = 8.0;
        if ((s = rk_lora_create(&lo, &net, &lc, &rng)) != RK_OK)
            return fail("rk_lora_create", s);
        lp = &lo;
    }
    rk_optim_config oc = rk_optim_adam_default();
    oc.lr = 1e-2;
    rk_optim opt;
    if ((s = rk_optim_create(&opt, &oc, lora_mode ? lo.n_params : net.n_params)) != RK_OK)
        return fail("rk_optim_create", s);
    int rc = save(dir, "x.f32", x, sizeof x) | save(dir, "y.u8", y, sizeof y)
             | save(dir, "params0.f32", net.params, net.n_params * sizeof(float));
    if (lora_mode)
        rc |= save_lora(dir, "lora0.f32", &lo, &net);
    for (size_t k = 0; k < STEPS && rc == 0; k++) {
        size_t row = (k % (N / BATCH)) * BATCH;
        if ((s = rk_train_step(&net, lp, &opt, x + row * DIM, y + row, BATCH, &losses[k])) != RK_OK)
            rc = fail("rk_train_step", s);
    }
    if (rc == 0)
        rc = save(dir, "losses.f32", losses, sizeof losses)
             | save(dir, "params.f32", net.params, net.n_params * sizeof(float));
    if (rc == 0 && lora_mode)
        rc = save_lora(dir, "lora.f32", &lo, &net);
    rk_optim_free(&opt);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
    return rc;
}
