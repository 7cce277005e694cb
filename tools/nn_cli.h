/*
 * nn_cli.h — what the train, finetune, eval, demo and compare commands
 * share: their common options and start (output folder, BLAS threads and
 * flush-to-zero), loading the dataset, the per-class accuracy table of an
 * evaluation (rk_evaluate, lib/nn/eval.h) and its JSON, the progress display, and
 * parsing of size lists ("1000,2000", "1,2,3").
 */
#ifndef RK_TOOLS_NN_CLI_H
#define RK_TOOLS_NN_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "cli.h"
#include "cli_output.h"

/** Rows per forward when evaluating (the nets are created for at least this many). */
#define NN_EVAL_BATCH 500

/**
 * Set flush-to-zero and denormals-are-zero in this thread's MXCSR (x86 with
 * SSE only): subnormal floats become 0, so a fine-tune whose loss reaches ~0
 * does not slow down on them. Returns true when it was set.
 */
bool nn_cli_enable_ftz(void);

/** Seconds on a monotonic clock. */
double nn_cli_now(void);

/**
 * Load the training and test sets from @p dir (NULL: $RANKLAB_DATA or the
 * Debian package's folder), standardised with the training statistics.
 * Prints "ranklab CMD: DIR: problem" and returns RK_EXIT_RUNTIME on failure.
 */
int nn_cli_load_data(const char *cmd, const char *dir, rk_dataset *train, rk_dataset *test);

/** Name of class @p c: the Fashion-MNIST names for 10 classes, else "class C". */
const char *nn_cli_class_name(int c, int k, char *buf, size_t len);

/** Print the per-class table (class, name, correct/total, accuracy) and the overall line to stdout. */
void nn_cli_print_table(const char *title, const rk_eval *ev);

/** Add accuracy, per_class_accuracy, per_class_correct, per_class_total and worst_class under keys prefixed by @p prefix. */
int nn_cli_json_eval(json_t *o, const char *prefix, const rk_eval *ev);

/** A JSON summary of a loss curve: first, last, and the means of up to 10 equal windows. */
json_t *nn_cli_json_losses(const float *losses, size_t n);

/**
 * Write @p o as one line of JSON to @p path atomically (o is kept); an error
 * names @p shown (where the file will be once its folder is in place) or,
 * when NULL, @p path. Returns an exit status.
 */
int nn_cli_json_write(const char *cmd, const char *path, const char *shown, json_t *o);

/** The BLAS/FTZ/thread facts every command records. */
int nn_cli_json_env(json_t *o, int threads, bool ftz);

/** Progress display state: a redrawn bar on a terminal, plain lines otherwise. */
typedef struct nn_progress {
    const char *phase;     /**< "pretrain", "finetune" */
    bool tty;              /**< stderr is a terminal */
    bool quiet;            /**< print nothing */
    double last_draw;      /**< time of the last redraw */
    bool drawn;            /**< a bar line is open (needs a newline at the end) */
} nn_progress;

/** Set up @p p for @p phase and @p opts (report_every, callback, ctx) for @p total steps. */
void nn_progress_start(nn_progress *p, const char *phase, rk_train_opts *opts, size_t total);

/** Finish the display (ends an open bar line). */
void nn_progress_end(nn_progress *p);

/**
 * The options the nn commands share, as given. Each macro below is a group of
 * their getopt_long entries: NN_CLI_LONGOPTS (--data, --json: train,
 * finetune, eval, demo, compare), NN_CLI_OUTPUT_LONGOPTS (-o/--output/--out,
 * -q/--quiet: all but eval; short options "o:q"), NN_CLI_THREADS_LONGOPTS
 * (eval), and NN_CLI_TRAIN_LONGOPTS: all of these with --batch, --lr and
 * --seed (train, finetune). nn_cli_option() takes them all.
 */
typedef struct nn_cli_opts {
    const char *out;          /**< -o DIR */
    const char *data;         /**< --data DIR, NULL: the default folder */
    size_t threads;           /**< --threads N, 0: OpenBLAS's choice */
    size_t batch;             /**< --batch B */
    double lr;                /**< --lr LR */
    unsigned long long seed;  /**< --seed S */
    bool json;                /**< --json */
    bool quiet;               /**< -q */
} nn_cli_opts;

enum { NN_OPT_DATA = 1901, NN_OPT_JSON, NN_OPT_THREADS, NN_OPT_BATCH, NN_OPT_LR, NN_OPT_SEED };

#define NN_CLI_LONGOPTS                                                                        \
    { "data", required_argument, NULL, NN_OPT_DATA }, { "json", no_argument, NULL, NN_OPT_JSON }
#define NN_CLI_OUTPUT_LONGOPTS                                                                 \
    { "output", required_argument, NULL, 'o' }, { "out", required_argument, NULL, 'o' },      \
        { "quiet", no_argument, NULL, 'q' }
#define NN_CLI_THREADS_LONGOPTS { "threads", required_argument, NULL, NN_OPT_THREADS }
#define NN_CLI_TRAIN_LONGOPTS                                                                  \
    NN_CLI_OUTPUT_LONGOPTS, NN_CLI_LONGOPTS, NN_CLI_THREADS_LONGOPTS,                          \
        { "batch", required_argument, NULL, NN_OPT_BATCH }, { "lr", required_argument, NULL, NN_OPT_LR }, \
        { "seed", required_argument, NULL, NN_OPT_SEED }

/**
 * One option of the groups above into @p o (a cli_option_fn's part):
 * --threads 1..1024, --batch 1..2^20, --lr > 0, --seed as cli_parse_u64.
 * Returns RK_EXIT_OK, a usage error's status, or CLI_OPT_UNKNOWN.
 */
int nn_cli_option(const char *cmd, int c, const char *arg, nn_cli_opts *o);

/** One input of a command that writes a folder: the option that names it and its path (NULL: none). */
typedef struct nn_cli_input {
    const char *opt, *path;
} nn_cli_input;

/** What nn_cli_begin() sets up. */
typedef struct nn_cli_run {
    rk_out_dir od;   /**< the output folder being built (lib/io/output.h) */
    int threads;     /**< BLAS threads in use */
    bool ftz;        /**< flush-to-zero is set */
} nn_cli_run;

/**
 * The start of a command that writes the folder @p o->out from inputs:
 * refuse it where it would replace one of the @p n @p inputs
 * (cli_output_not_inside, in their order), start it (cli_output_dir_open,
 * named "--output"), then set @p o->threads BLAS threads and, when @p ftz,
 * flush-to-zero. All before any work, so a bad -o fails first. Returns an
 * exit status; on RK_EXIT_OK @p run->od is open: commit it, and abort it
 * (rk_out_dir_abort) in every case.
 */
int nn_cli_begin(const char *cmd, const nn_cli_opts *o, const nn_cli_input *inputs, size_t n, bool ftz,
                 nn_cli_run *run);

/**
 * Parse a comma-separated list of positive integers (each ≤ @p max) into
 * @p out (at most @p cap); false on junk, empty items, 0 or too many.
 */
bool nn_cli_parse_list(const char *s, size_t max, size_t *out, size_t cap, size_t *n);

#endif
