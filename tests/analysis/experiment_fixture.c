/*
 * experiment_fixture.c — the experiment shared by test_experiment.c and
 * test_experiment_output.c (see experiment_fixture.h).
 */
#include "experiment_fixture.h"

#include <stdio.h>
#include <string.h>

exp_fixture F;

/* Class c: x ~ N(μ_c, 1) with μ_c = 1.5·e_c + 0.5·e_{c+4}; class 3 is made harder (closer to 2). */
static void make_set(rk_dataset *d, size_t n, rk_rng *rng)
{
    memset(d, 0, sizeof *d);
    d->n = n;
    d->dim = DIM;
    d->n_classes = CLASSES;
    d->x = rk_alloc(n * DIM * sizeof *d->x);
    d->y = rk_alloc(n);
    assert_non_null(d->x);
    assert_non_null(d->y);
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % CLASSES);
        d->y[i] = (unsigned char)c;
        for (size_t j = 0; j < DIM; j++) {
            double mu = (j == (size_t)c ? 1.5 : 0) + (j == (size_t)c + 4 ? 0.5 : 0);
            if (c == 3 && j == 2)
                mu = 1.2;
            d->x[i * DIM + j] = (float)(mu + rk_rng_normal(rng));
        }
    }
}

int exp_fixture_setup(void **state)
{
    (void)state;
    rk_rng rng;
    rk_rng_seed(&rng, 42);
    make_set(&F.train, NTRAIN, &rng);
    make_set(&F.test, NTEST, &rng);
    F.cfg = rk_exp_config_default();
    F.cfg.net.n_layers = 3;
    size_t sizes[] = { DIM, 32, 16, CLASSES };
    memcpy(F.cfg.net.sizes, sizes, sizeof sizes);
    F.cfg.pretrain_epochs = 2;
    F.cfg.pretrain_batch = 10;
    F.cfg.ft_steps = 20;
    F.cfg.n_ranks = 4;
    size_t ranks[] = { 1, 2, 4, 8 };
    memcpy(F.cfg.ranks, ranks, sizeof ranks);
    F.cfg.normal_rank = 4;
    F.cfg.seed2_rank = 4;
    F.cfg.rslora_rank = 8;   /* within every layer's width, as the other runs */
    F.cfg.track_every = 10;  /* records at steps 0, 10, 20 */
    F.cfg.pair_lo = 2;
    F.cfg.pair_hi = 8;
    rk_err err;
    rk_status s = rk_exp_run(&F.cfg, &F.train, &F.test, &F.m, &F.net, &err);
    if (s != RK_OK)
        fprintf(stderr, "run: %s\n", err.msg);
    assert_status(s, RK_OK);
    s = rk_exp_analyze(&F.cfg, &F.m, &F.net, &F.test, &F.a, &err);
    if (s != RK_OK)
        fprintf(stderr, "analyze: %s\n", err.msg);
    assert_status(s, RK_OK);
    return 0;
}

int exp_fixture_teardown(void **state)
{
    (void)state;
    rk_exp_analysis_free(&F.a);
    rk_exp_models_free(&F.m);
    rk_mlp_free(&F.net);
    rk_dataset_free(&F.train);
    rk_dataset_free(&F.test);
    return 0;
}
