/*
 * commands.h — the ranklab subcommands. Each lives in tools/cmd_NAME.c as
 * `int cmd_NAME(int argc, char **argv)` (argv[0] is the command name) and
 * returns the process exit status: 0 success, 1 runtime error, 2 usage error.
 */
#ifndef RK_TOOLS_COMMANDS_H
#define RK_TOOLS_COMMANDS_H

typedef struct rk_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} rk_command;

/* The table, in the order `ranklab help` lists it (tools/ranklab.c). */
extern const rk_command rk_commands[];
extern const int rk_command_count;

#endif
