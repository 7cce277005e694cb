/*
 * runner.h — the step-runner every tutorial executable shares.
 *
 * A lesson is a table of numbered, titled steps sharing one context struct.
 * Each step prints what it does and why (2–6 lines), runs the real
 * computation through lib/, prints its numbers, and ends with the lib/
 * functions to read alongside and the docs page. tut_main() parses the
 * common options and runs the steps:
 *
 *   (no option)   every step, waiting for Enter between steps when stdin is a
 *                 terminal (isatty); a non-terminal stdin never waits
 *   --no-pause    never wait
 *   --list        list the steps and exit
 *   --step N      run step N only; steps 1..N-1 run first with their output
 *                 suppressed, because later steps use what earlier ones left
 *                 in the context (every step is cheap, so the simple rule
 *                 "run the prefix quietly" is used instead of per-step
 *                 dependency lists)
 *   --from N      run steps N..last (1..N-1 quietly first, as for --step)
 *   --seed S      seed of every random draw (default: the lesson's, 0 in
 *                 every lesson, as in every ranklab command)
 *   -o, --output DIR  where steps write files (plots); created when missing
 *                 (--out DIR is the same)
 *   --check       also print machine-readable `check: KEY=VALUE` lines,
 *                 which the test suite parses instead of prose
 *   --no-plot     skip terminal plots
 *   --help        usage on stdout, exit 0
 *
 * Exit status, as for the ranklab tools: 0 success, 1 a step failed (one line
 * on stderr naming the step and the problem), 2 usage error.
 *
 * The runner is for executables only: it prints and returns exit codes, so it
 * lives in tutorials/, not in lib/ (the library never prints).
 */
#ifndef RK_TUTORIALS_RUNNER_H
#define RK_TUTORIALS_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ranklab.h"

/** The state of one run: options and where output goes. Opaque to steps. */
typedef struct tut_runner tut_runner;

/** One step's computation; @p ctx is the lesson's context. Return RK_OK or the failure. */
typedef rk_status (*tut_step_fn)(tut_runner *r, void *ctx);

/** Maximum number of `Read alongside:` pointers of one step. */
enum { TUT_MAX_READ = 4 };

/** A numbered step of a lesson. */
typedef struct tut_step {
    const char *title;    /**< one line, e.g. "The rank by numpy's rule" */
    const char *why;      /**< 2–6 lines (separated by '\n'): what the step does and why */
    tut_step_fn run;      /**< the computation; prints through tut_printf() */
    /** "lib/FILE.c FUNCTION()" pointers, NULL-terminated (checked by tests/docs/test_links.py). */
    const char *read[TUT_MAX_READ + 1];
    const char *doc;      /**< "docs/tutorials/NN-name.md" or a concept page */
} tut_step;

/**
 * A lesson-specific option `--NAME VALUE`: @p parse stores the value in the
 * context and returns false when it is not acceptable (a usage error). With
 * metavar NULL the option is a flag `--NAME` and parse gets value NULL.
 */
typedef struct tut_option {
    const char *name;     /**< without the dashes */
    const char *metavar;  /**< shown in --help, e.g. "E"; NULL: a flag without a value */
    const char *help;     /**< one line, or lines separated by '\n' (each ≤ 60 columns) */
    bool (*parse)(void *ctx, const char *value);
} tut_option;

/** A lesson: its steps, its context and its options. */
typedef struct tut_lesson {
    const char *prog;            /**< executable name, "ranklab-tutorial-01" */
    const char *title;           /**< "Lesson 1: Rank and the SVD" */
    const char *intro;           /**< a few lines printed before step 1 */
    const tut_step *steps;       /**< (n_steps) the steps, numbered from 1 */
    size_t n_steps;              /**< number of steps */
    const tut_option *options;   /**< (n_options) lesson options, may be NULL */
    size_t n_options;            /**< number of lesson options */
    uint64_t default_seed;       /**< seed when --seed is not given */
    void *ctx;                   /**< handed to every step */
    void (*cleanup)(void *ctx);  /**< releases what the steps left in ctx; may be NULL */
} tut_lesson;

/**
 * A lesson's two static tables with their counts, inside a tut_lesson
 * initializer: `TUT_LESSON_TABLES(steps, options),` for `.steps`, `.n_steps`,
 * `.options` and `.n_options`.
 */
#define TUT_LESSON_TABLES(steps_, options_)                                                        \
    .steps = (steps_), .n_steps = sizeof(steps_) / sizeof((steps_)[0]), .options = (options_),     \
    .n_options = sizeof(options_) / sizeof((options_)[0])

/** Parse @p argv, run the lesson, call its cleanup; returns the exit status (0, 1, 2). */
int tut_main(const tut_lesson *lesson, int argc, char **argv);

/** printf to the step's output; prints nothing while a step runs quietly. */
void tut_printf(tut_runner *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/**
 * With --check (and not quiet), print `check: KEY=VALUE` on its own line.
 * Keys are unique within a lesson; the test suite parses these lines.
 */
void tut_check(tut_runner *r, const char *key, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Print @p m (at most @p max_rows rows) with a name and its shape, each entry in printf format @p fmt. */
void tut_print_mat(tut_runner *r, const char *name, const rk_mat *m, const char *fmt, size_t max_rows);

/** The seed of this run (--seed, else the lesson's default). */
uint64_t tut_seed(const tut_runner *r);

/** The --out directory (created by tut_main), or NULL when not given. */
const char *tut_out_dir(const tut_runner *r);

/** true while a step runs with its output suppressed (a prefix of --step/--from). */
bool tut_quiet(const tut_runner *r);

/**
 * Draws a terminal plot on @p out (e.g. through gnuplot's dumb terminal);
 * returns RK_OK, or RK_EPLOT when it could not (gnuplot missing).
 */
typedef rk_status (*tut_plot_fn)(FILE *out, void *arg);

/**
 * The hook for terminal plots: unless the step is quiet or --no-plot was
 * given, call @p draw with the step's output stream. A failure (RK_EPLOT) is
 * reported as one line and is not an error of the step: the numbers printed
 * next to the plot carry the lesson.
 */
void tut_plot(tut_runner *r, tut_plot_fn draw, void *arg);

#endif
