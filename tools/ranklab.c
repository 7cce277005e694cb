/*
 * ranklab.c — the `ranklab` command: git-style subcommands over lib/.
 *
 *   ranklab CMD [options] [args]      run a subcommand
 *   ranklab help [CMD]                list commands, or CMD's --help
 *   ranklab -V | --version
 *
 * Exit status: 0 success, 1 runtime error (message on stderr naming the file
 * and the problem), 2 usage error. Output that cannot be written (a full disk
 * behind stdout, a file size limit) is a runtime error too, never a silent
 * success or a kill by SIGXFSZ.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "core/version.h"
#include "commands.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: ranklab COMMAND [options] [args]\n"
               "       ranklab help [COMMAND]\n"
               "       ranklab -V | --version\n\n"
               "Commands:\n");
    for (int i = 0; i < rk_command_count; i++)
        fprintf(f, "  %-10s %s\n", rk_commands[i].name, rk_commands[i].summary);
    fprintf(f, "\nRun 'ranklab COMMAND --help' for a command's options. Every command that\n"
               "prints results has --json (one line); --json-pretty indents it.\n");
}

static const rk_command *find(const char *name)
{
    for (int i = 0; i < rk_command_count; i++)
        if (!strcmp(rk_commands[i].name, name))
            return &rk_commands[i];
    return NULL;
}

/* Run the command named argv[1]; its exit status. */
static int run(int argc, char **argv)
{
    /* First: OpenBLAS reads OPENBLAS_CORETYPE only when it is loaded (core/blas.h). */
    rk_blas_remedy_exec(argv);
    if (argc < 2) {
        usage(stderr);
        return RK_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "-V") || !strcmp(name, "version")) {
        printf("ranklab %s\n", RK_VERSION);
        return 0;
    }
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "help")) {
        if (argc < 3 || !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) {
            usage(stdout);
            return 0;
        }
        const rk_command *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "ranklab: '%s' is not a ranklab command (see 'ranklab help')\n", argv[2]);
            return RK_EXIT_USAGE;
        }
        char help_arg[] = "--help";
        char *help_argv[] = { argv[2], help_arg, NULL };
        return c->run(2, help_argv);
    }
    /* --json-pretty is --json with indentation, for every command. */
    for (int i = 2; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--json-pretty")) {
            static char json_opt[] = "--json";
            argv[i] = json_opt;
            cli_json_pretty = true;
        }
    const rk_command *c = find(name);
    if (!c) {
        fprintf(stderr, "ranklab: '%s' is not a ranklab command (see 'ranklab help')\n", name);
        return RK_EXIT_USAGE;
    }
    /* Under a memory limit OpenBLAS cannot work in, say so rather than hang
     * (lib/core/blas.h: rk_blas_memory_report). */
    char prog[64];
    snprintf(prog, sizeof prog, "ranklab %s", c->name);
    if (rk_blas_memory_report(stderr, prog) == RK_BLAS_MEM_TOO_SMALL)
        return RK_EXIT_RUNTIME;
    return c->run(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    /* Past `ulimit -f`, write() then fails with EFBIG, which the writers
     * report (and the temporary output is removed) instead of the process
     * being killed with a half-written temporary file left behind. */
    (void)signal(SIGXFSZ, SIG_IGN);
    /* Interrupted (Ctrl-C, kill, a closed terminal): the temporaries of the
     * outputs being written are removed before the process ends. */
    cli_output_signals();
    int rc = run(argc, argv);
    /* Everything printed must have reached stdout: `ranklab svd A.npy >
     * /dev/full` is a failure, not a success with no output. */
    errno = 0;
    if (fflush(stdout) != 0 || ferror(stdout)) {
        int e = errno;
        fprintf(stderr, "ranklab%s%s: cannot write the output: %s\n", argc > 1 ? " " : "",
                argc > 1 ? argv[1] : "", e ? strerror(e) : "write error");
        return RK_EXIT_RUNTIME;
    }
    return rc;
}
