/* commands.c — the table of ranklab subcommands, in `ranklab help` order. */
#include "commands.h"

#include <stddef.h>

int cmd_info(int argc, char **argv);

const rk_command rk_commands[] = {
    { "info", cmd_info, "version, BLAS and kernel core, threads, CPU features, sgemm speed" },
    { NULL, NULL, NULL },
};
const int rk_command_count = (int)(sizeof rk_commands / sizeof *rk_commands) - 1;
