/* cli_output.c — output checks, folder outputs and the signal handlers of every command (see cli_output.h). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "cli_output.h"

#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *const cli_output_owned[] = {
    /* train, finetune, extract */
    "model.safetensors", "train.json", "adapter_model.safetensors", "adapter_config.json",
    "delta.safetensors", "finetune.json",
    /* demo, compare */
    "report.md", "results.json", "weights", "full", "adapters", "*.dat", "*.gp", "*.png", "*.svg",
    /* left behind by a run killed with SIGKILL */
    "*.tmp-*",
    NULL,
};

/* The thread that writes every output (the one that called cli_output_signals). */
static pthread_t writer;

/*
 * A process-directed signal goes to any thread that does not block it. The
 * writer holds the three signals back while it creates or commits a
 * temporary, and a BLAS worker thread does not, so the signal often lands
 * there, in the middle of the writer's step: a removal run on that thread
 * would race the writer (a temporary made but not yet registered, a file
 * added to a folder being emptied). So a worker hands the signal to the
 * writer (pthread_kill and pthread_self are async-signal-safe), which takes
 * it when its step is done: then the registry is exact and nothing else
 * creates files.
 */
static void remove_and_die(int sig)
{
    if (!pthread_equal(pthread_self(), writer)) {
        (void)pthread_kill(writer, sig);
        return;
    }
    rk_output_remove_temporaries();
    /* The default action ends the process with the status a parent expects. */
    struct sigaction dfl = { 0 };
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    (void)sigaction(sig, &dfl, NULL);
    (void)raise(sig);
}

void cli_output_signals(void)
{
    const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    writer = pthread_self();
    sigset_t all;
    sigemptyset(&all);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&all, sigs[i]);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old, sa = { 0 };
        /* A signal ignored by the parent (nohup, a background job) stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sa.sa_handler = remove_and_die;
        sa.sa_mask = all; /* one removal at a time: the others wait */
        (void)sigaction(sigs[i], &sa, NULL);
    }
}

int cli_output_check(const char *cmd, const char *opt, const char *path)
{
    if (!path || !*path)
        return cli_usage_error(cmd, "%s wants a name, not an empty one", opt);
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_output_check(path, &err);
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, path, s, &err);
}

int cli_output_plot_check(const char *cmd, const char *path)
{
    if (path && !strcmp(path, "-"))
        return RK_EXIT_OK;
    int rc = cli_output_check(cmd, "--plot", path);
    rk_output_kind kind = RK_OUTPUT_MISSING;
    if (rc == RK_EXIT_OK && rk_output_classify(path, &kind, NULL, NULL) == RK_OK &&
        kind == RK_OUTPUT_STREAM) {
        fprintf(stderr, "ranklab %s: %s: not a file: a plot is written with its data (.dat) and "
                        "gnuplot script (.gp) beside it; give a file name, or - to draw in the terminal\n",
                cmd, path);
        return RK_EXIT_RUNTIME;
    }
    return rc;
}

int cli_output_distinct(const char *cmd, const char *const *paths, const char *const *opts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!paths[i] || !paths[j])
                continue;
            bool same = false;
            rk_err err;
            rk_err_clear(&err);
            rk_status s = rk_output_same(paths[i], paths[j], &same, &err);
            if (s != RK_OK)
                return cli_fail(cmd, paths[i], s, &err);
            if (same)
                return cli_usage_error(cmd, "%s %s and %s %s name the same file: one would "
                                       "overwrite the other", opts[i], paths[i], opts[j], paths[j]);
        }
    return RK_EXIT_OK;
}

int cli_output_dir_open(const char *cmd, const char *opt, const char *path, rk_out_dir *d)
{
    *d = (rk_out_dir){ 0 };
    if (!path || !*path)
        return cli_usage_error(cmd, "%s wants a folder name, not an empty one", opt);
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_out_dir_open(d, path, cli_output_owned, &err);
    if (s == RK_EINVAL)
        return cli_usage_error(cmd, "%s %s: %s", opt, path, rk_err_message(&err, s));
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, path, s, &err);
}

int cli_output_not_inside(const char *cmd, const char *out, const char *opt, const char *input)
{
    char ro[PATH_MAX], ri[PATH_MAX];
    if (!input || !out || !realpath(out, ro) || !realpath(input, ri))
        return RK_EXIT_OK; /* a new folder holds nothing yet; a missing input fails when read */
    size_t n = strlen(ro);
    bool inside = !strncmp(ri, ro, n) && (ri[n] == '\0' || ri[n] == '/' || n == 1);
    if (!inside)
        return RK_EXIT_OK;
    return cli_usage_error(cmd, "%s %s lies in the output folder %s, which is replaced whole: "
                           "choose another output folder", opt, input, out);
}

int cli_output_dir_commit(const char *cmd, const char *path, rk_out_dir *d)
{
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_out_dir_commit(d, &err);
    return s == RK_OK ? RK_EXIT_OK : cli_fail(cmd, path, s, &err);
}

char *cli_output_join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
}
