/*
 * runner_lesson.c — a three-step lesson that exercises the parts of the
 * step-runner (tutorials/runner.c) lesson 1 does not reach: the terminal-plot
 * hook (drawn, failing, suppressed), a step that fails (exit 1), --out, and
 * a lesson option. Driven by test_runner.sh.
 */
#include <stdlib.h>
#include <string.h>

#include "runner.h"

typedef struct demo { bool fail; bool twice; int steps_run; } demo;

static rk_status draw_ok(FILE *out, void *arg)
{
    fprintf(out, "PLOT-DRAWN %s\n", (const char *)arg);
    return RK_OK;
}

static rk_status draw_missing(FILE *out, void *arg)
{
    (void)out;
    (void)arg;
    return RK_EPLOT;
}

static rk_status step_one(tut_runner *r, void *ctx)
{
    demo *d = ctx;
    d->steps_run++;
    tut_printf(r, "seed %llu, out %s\n", (unsigned long long)tut_seed(r),
               tut_out_dir(r) ? tut_out_dir(r) : "(none)");
    tut_check(r, "one", "%d", 1);
    return RK_OK;
}

static rk_status step_plot(tut_runner *r, void *ctx)
{
    demo *d = ctx;
    d->steps_run++;
    tut_plot(r, draw_ok, "spectrum");
    tut_plot(r, draw_missing, NULL);
    tut_check(r, "quiet_was", "%d", tut_quiet(r));
    return RK_OK;
}

static rk_status step_last(tut_runner *r, void *ctx)
{
    demo *d = ctx;
    d->steps_run += d->twice ? 2 : 1;
    tut_check(r, "steps_run", "%d", d->steps_run);
    return d->fail ? RK_EIO : RK_OK;
}

static bool opt_fail(void *ctx, const char *v)
{
    if (strcmp(v, "yes") && strcmp(v, "no"))
        return false;
    ((demo *)ctx)->fail = !strcmp(v, "yes");
    return true;
}

static const tut_step steps[] = {
    { "One", "The first step.\nIt prints the seed and --out.", step_one,
      { "lib/core/rng.c rk_rng_seed()", NULL }, "docs/index.md" },
    { "Plot", "Draws through the plot hook.", step_plot, { NULL }, NULL },
    { "Last", "Fails when --fail yes.", step_last, { NULL }, NULL },
};

static bool opt_twice(void *ctx, const char *v)
{
    if (v)   /* a flag: the runner passes no value */
        return false;
    ((demo *)ctx)->twice = true;
    return true;
}

static const tut_option options[] = {
    { "fail", "yes|no", "make the last step fail", opt_fail },
    { "twice", NULL, "a flag: the last step counts twice", opt_twice },
};

int main(int argc, char **argv)
{
    demo d = { 0 };
    const tut_lesson lesson = {
        .prog = "runner-lesson", .title = "Runner test lesson", .intro = "Three steps.\n",
        .steps = steps, .n_steps = 3, .options = options, .n_options = 2,
        .default_seed = 42, .ctx = &d,
    };
    return tut_main(&lesson, argc, argv);
}
