/*
 * experiment_fixture.h — the small experiment both experiment tests run
 * once per program: a 16 → 32 → 16 → 4 net on an in-memory synthetic dataset
 * (four Gaussian clusters, seed 42), ranks 1, 2, 4, 8, 20 fine-tuning steps,
 * then the analysis. test_experiment.c checks the math of the runs and the
 * analysis, test_experiment_output.c what is written from them.
 */
#ifndef RK_TEST_EXPERIMENT_FIXTURE_H
#define RK_TEST_EXPERIMENT_FIXTURE_H

#include "testutil.h"

enum { DIM = 16, CLASSES = 4, NTRAIN = 240, NTEST = 120 };

typedef struct exp_fixture {
    rk_dataset train, test;
    rk_exp_config cfg;
    rk_exp_models m;
    rk_exp_analysis a;
    rk_mlp net;
} exp_fixture;

/** The experiment, filled by exp_fixture_setup. */
extern exp_fixture F;

/** cmocka group setup: make the datasets, run the experiment and its analysis into F. */
int exp_fixture_setup(void **state);

/** cmocka group teardown: free everything in F. */
int exp_fixture_teardown(void **state);

#endif
