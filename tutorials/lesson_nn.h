/*
 * lesson_nn.h — the small network that lessons 3 and 4 train: Fashion-MNIST
 * loading, a pretraining run short enough for a lesson, evaluation and the
 * worst class. The full-size run (784 → 1000 → 2000 → 10, a whole epoch) is
 * `ranklab demo`; a lesson must finish in under a minute on two cores, so it
 * trains a narrower net on a part of the training set:
 *
 *   default   784 → 200 → 400 → 10 (a fifth of the width), the first
 *             12,000 training images for one epoch (1,200 steps of 10),
 *             evaluated on the whole test set (10,000)
 *   --quick   784 → 64 → 128 → 10, 5,000 images (500 steps), 2,000 test
 *             images (the test suite's size; also fast under sanitizers)
 *
 * Everything else is the LoRA notebook's: batch 10, Adam lr 1e-3 with a
 * fresh optimizer per phase, standardised pixels, PyTorch's initialisation.
 */
#ifndef RK_TUTORIALS_LESSON_NN_H
#define RK_TUTORIALS_LESSON_NN_H

#include "runner.h"

/** Fine-tuning steps on the worst class (of 10 images each), as in the notebook; a learn–forget record every LNN_TRACK_EVERY. */
enum { LNN_FT_STEPS = 100, LNN_BATCH = 10, LNN_EVAL_BATCH = 500, LNN_TRACK_EVERY = 10 };

/** The data and the pretrained network of a lesson. Zero-initialise. */
typedef struct lesson_nn {
    const char *prog;           /**< the lesson's executable name, for messages on stderr */
    const char *data_dir;       /**< --data; NULL: rk_dataset_default_dir() */
    bool quick;                 /**< --quick: the test suite's smaller run */
    rk_mlp_config cfg;          /**< the lesson's network */
    size_t n_train;             /**< pretraining images (the first ones of the training set) */
    rk_dataset train;           /**< those images, standardised */
    rk_dataset test;            /**< the test images evaluated, standardised */
    rk_mlp base;                /**< the pretrained network */
    rk_eval pre;                /**< its evaluation on the test set */
    int worst;                  /**< its worst class on the test set */
    size_t *target;             /**< (n_target) indices of training images of class worst */
    size_t n_target;            /**< their number */
    double pretrain_seconds;    /**< wall time of pretraining */
} lesson_nn;

/** Set the sizes from @p quick (call after the options are parsed). */
void lnn_configure(lesson_nn *n);

/**
 * Load the data (printing where from), create and pretrain the network, and
 * evaluate it: prints the run's size, losses, accuracy and the wrong counts
 * per class; finds the worst class. On a missing dataset prints how to get
 * it on stderr and returns RK_EDATA.
 */
rk_status lnn_pretrain(tut_runner *t, lesson_nn *n);

/**
 * A lesson's pretraining step: lnn_configure(), lnn_pretrain(), then the
 * pretrained network's test accuracy into *acc and its accuracy on class
 * n->worst into *target_acc (either may be NULL).
 */
rk_status lnn_pretrain_step(tut_runner *t, lesson_nn *n, double *acc, double *target_acc);

/**
 * rk_evaluate() of @p net (with @p lora, may be NULL) on the lesson's test
 * set into @p ev (NULL: not kept; else free it with rk_eval_free); *acc =
 * accuracy, *target_acc = accuracy on class n->worst (either may be NULL).
 */
rk_status lnn_evaluate(lesson_nn *n, rk_mlp *net, rk_lora *lora, rk_eval *ev, double *acc,
                       double *target_acc);

/** Train @p net (fully, @p lora NULL, or its adapter) for LNN_FT_STEPS steps on class worst. */
rk_status lnn_finetune(lesson_nn *n, rk_mlp *net, rk_lora *lora, uint64_t seed,
                       rk_train_result *res);

/**
 * As lnn_finetune(), and when @p track is not NULL a learn–forget record
 * (lib/analysis/learn_forget.h) on @p ev before the first step and every
 * LNN_TRACK_EVERY steps (ΔW against n->base for a full fine-tune), taken by
 * the training loop's callback.
 */
rk_status lnn_finetune_tracked(lesson_nn *n, rk_mlp *net, rk_lora *lora, uint64_t seed,
                               rk_lf_track *track, const rk_lf_eval *ev, rk_train_result *res);

/** The class numbers 0–9 as the head of the rows lnn_print_wrong() prints. */
void lnn_print_wrong_head(tut_runner *t);

/** One row of wrong answers per class of @p ev, after @p label (≤ 12 characters). */
void lnn_print_wrong(tut_runner *t, const char *label, const rk_eval *ev);

/** The lesson option --data DIR (for tut_option; ctx is a lesson_nn). */
bool lnn_opt_data(void *ctx, const char *v);

/** The lesson option --quick (for tut_option; ctx is a lesson_nn; @p v unused). */
bool lnn_opt_quick(void *ctx, const char *v);

/** Parse a lesson's --rank R: a whole number 1..64 into *rank; false otherwise. */
bool lnn_parse_rank(const char *v, size_t *rank);

/** Release what @p n owns. */
void lnn_free(lesson_nn *n);

#endif
