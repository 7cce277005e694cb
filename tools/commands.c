/* commands.c — the table of ranklab subcommands, in `ranklab help` order. */
#include "commands.h"

#include <stddef.h>

const rk_command rk_commands[] = {
    { NULL, NULL, NULL },
};
const int rk_command_count = 0;
