/* commands.c — the table of ranklab subcommands, in `ranklab help` order. */
#include "commands.h"

#include <stddef.h>

int cmd_tutorial(int argc, char **argv);

const rk_command rk_commands[] = {
    { "tutorial", cmd_tutorial, "run a lesson step by step (ranklab-tutorial-NN)" },
    { NULL, NULL, NULL },
};
const int rk_command_count = (int)(sizeof rk_commands / sizeof rk_commands[0]) - 1;
