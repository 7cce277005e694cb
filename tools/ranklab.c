/*
 * ranklab.c — the `ranklab` command: git-style subcommands over lib/.
 *
 *   ranklab CMD [options] [args]      run a subcommand
 *   ranklab help [CMD]                list commands, or CMD's --help
 *   ranklab --version
 *
 * Exit status: 0 success, 1 runtime error (message on stderr naming the file
 * and the problem), 2 usage error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"

/*
 * The OpenBLAS kernel remedy (lib/core/blas.h). When OpenBLAS did not
 * recognise the CPU and loaded a generic core (e.g. Prescott on a CPU with
 * AVX2 or AVX-512), run this same program again with OPENBLAS_CORETYPE set to
 * the core the CPU can run: OpenBLAS reads the variable only when it is
 * loaded. Never when the user set OPENBLAS_CORETYPE or RANKLAB_NO_REEXEC, and
 * never twice: the new process gets RANKLAB_NO_REEXEC=1. RANKLAB_BLAS_REMEDY
 * records the core OpenBLAS had picked, for `ranklab info`. If exec fails,
 * carry on with the generic kernels.
 */
static void blas_core_remedy(char **argv)
{
    rk_blas_info blas;
    rk_blas_query(&blas);
    if (!blas.core)
        return;
    rk_blas_env env;
    rk_blas_env_get(&env);
    rk_cpu_features cpu;
    rk_cpu_features_detect(&cpu);
    const char *core = rk_blas_remedy_core(blas.core, &cpu, &env);
    if (!core)
        return;
    if (setenv("OPENBLAS_CORETYPE", core, 1) == 0 && setenv("RANKLAB_NO_REEXEC", "1", 1) == 0 &&
        setenv("RANKLAB_BLAS_REMEDY", blas.core, 1) == 0)
        execv("/proc/self/exe", argv);
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv("RANKLAB_BLAS_REMEDY");
}

static void usage(FILE *f)
{
    fprintf(f, "usage: ranklab COMMAND [options] [args]\n"
               "       ranklab help [COMMAND]\n"
               "       ranklab --version\n\n"
               "Commands:\n");
    for (int i = 0; i < rk_command_count; i++)
        fprintf(f, "  %-10s %s\n", rk_commands[i].name, rk_commands[i].summary);
    fprintf(f, "\nRun 'ranklab COMMAND --help' for a command's options.\n");
}

static const rk_command *find(const char *name)
{
    for (int i = 0; i < rk_command_count; i++)
        if (!strcmp(rk_commands[i].name, name))
            return &rk_commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    blas_core_remedy(argv);
    if (argc < 2) {
        usage(stderr);
        return RK_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("ranklab %s\n", RK_VERSION);
        return 0;
    }
    if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(name, "help")) {
        if (argc < 3) {
            usage(stdout);
            return 0;
        }
        const rk_command *c = find(argv[2]);
        if (!c) {
            fprintf(stderr, "ranklab: '%s' is not a ranklab command (see 'ranklab help')\n", argv[2]);
            return RK_EXIT_USAGE;
        }
        char *help_argv[] = { (char *)c->name, "--help", NULL };
        return c->run(2, help_argv);
    }
    const rk_command *c = find(name);
    if (!c) {
        fprintf(stderr, "ranklab: '%s' is not a ranklab command (see 'ranklab help')\n", name);
        return RK_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
