/* commands.c — the table of ranklab subcommands, in `ranklab help` order. */
#include "commands.h"

#include <stddef.h>

int cmd_ls(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

const rk_command rk_commands[] = {
    { "ls", cmd_ls, "list the tensors of a safetensors file" },
    { "inspect", cmd_inspect, "spectra of the LoRA updates in a PEFT adapter" },
};
const int rk_command_count = (int)(sizeof rk_commands / sizeof rk_commands[0]);
