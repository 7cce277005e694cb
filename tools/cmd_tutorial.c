/*
 * cmd_tutorial.c — `ranklab tutorial NN [args]`: run the lesson executable
 * ranklab-tutorial-NN with the remaining arguments.
 *
 * The executable is looked up next to the running ranklab binary: in the same
 * directory (installed: both live in bindir) and in ../tutorials (the meson
 * build tree: build/tools/ranklab and build/tutorials/ranklab-tutorial-NN).
 * It replaces this process (execv), so its output and exit status are the
 * command's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum { MAX_LESSON = 99 };

static void usage(FILE *f)
{
    fprintf(f, "usage: ranklab tutorial NN [options]\n\n"
               "Run lesson NN (1-%d) step by step: runs the executable ranklab-tutorial-NN,\n"
               "found beside ranklab (same directory, or ../tutorials in a build tree), with\n"
               "the options that follow, e.g.\n\n"
               "  ranklab tutorial 1                 pauses between steps in a terminal\n"
               "  ranklab tutorial 1 --no-pause      straight through\n"
               "  ranklab tutorial 1 --list          the steps\n"
               "  ranklab tutorial 1 --step 3        one step\n"
               "  ranklab tutorial 1 --help          the lesson's options\n\n"
               "Exit status: the lesson's (0 ok, 1 a step failed, 2 usage error); 1 when\n"
               "the executable cannot be found or started.\n", MAX_LESSON);
}

/* The directory holding the running executable, into dir; false when unknown. */
static bool self_dir(char *dir, size_t size)
{
    ssize_t n = readlink("/proc/self/exe", dir, size - 1);
    if (n <= 0 || (size_t)n >= size - 1)
        return false;
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash)
        return false;
    *slash = '\0';
    return true;
}

int cmd_tutorial(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("tutorial", "which lesson? give its number, e.g. 'ranklab tutorial 1'");
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return RK_EXIT_OK;
    }
    size_t nn;
    if (!cli_parse_size(argv[1], MAX_LESSON, &nn) || nn < 1)
        return cli_usage_error("tutorial", "'%s' is not a lesson number (1-%d)", argv[1], MAX_LESSON);

    char name[48], dir[PATH_MAX], paths[2][PATH_MAX + 64];
    snprintf(name, sizeof name, "ranklab-tutorial-%02d", (int)nn);
    if (!self_dir(dir, sizeof dir)) {
        fprintf(stderr, "ranklab tutorial: %s: cannot locate the ranklab executable "
                        "(/proc/self/exe); run %s directly\n", name, name);
        return RK_EXIT_RUNTIME;
    }
    snprintf(paths[0], sizeof paths[0], "%s/%s", dir, name);
    snprintf(paths[1], sizeof paths[1], "%s/../tutorials/%s", dir, name);
    for (int i = 0; i < 2; i++) {
        if (access(paths[i], X_OK) != 0)
            continue;
        argv[1] = paths[i];   /* argv[1..argc) becomes the lesson's argv */
        fflush(stdout);
        execv(paths[i], argv + 1);
        fprintf(stderr, "ranklab tutorial: %s: cannot run it: %s\n", paths[i], strerror(errno));
        return RK_EXIT_RUNTIME;
    }
    fprintf(stderr, "ranklab tutorial: %s: not found (looked in %s and %s/../tutorials); "
                    "lesson %zu may not exist, or is not built/installed\n",
            name, dir, dir, nn);
    return RK_EXIT_RUNTIME;
}
