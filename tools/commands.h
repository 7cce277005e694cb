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

int cmd_svd(int argc, char **argv);      /**< tools/cmd_svd.c */
int cmd_rank(int argc, char **argv);     /**< tools/cmd_rank.c */
int cmd_approx(int argc, char **argv);   /**< tools/cmd_approx.c */
int cmd_random(int argc, char **argv);   /**< tools/cmd_random.c */
int cmd_tutorial(int argc, char **argv); /**< tools/cmd_tutorial.c */
int cmd_ls(int argc, char **argv);       /**< tools/cmd_ls.c */
int cmd_inspect(int argc, char **argv);  /**< tools/cmd_inspect.c */
int cmd_delta(int argc, char **argv);    /**< tools/cmd_delta.c */
int cmd_extract(int argc, char **argv);  /**< tools/cmd_extract.c */
int cmd_resize(int argc, char **argv);   /**< tools/cmd_resize.c, tools/resize_run.c */
int cmd_intruders(int argc, char **argv); /**< tools/cmd_intruders.c, tools/intruders_io.c */
int cmd_info(int argc, char **argv);     /**< tools/cmd_info.c */
int cmd_train(int argc, char **argv);    /**< tools/cmd_train.c */
int cmd_finetune(int argc, char **argv); /**< tools/cmd_finetune.c, tools/finetune_run.c */
int cmd_eval(int argc, char **argv);     /**< tools/cmd_eval.c */
int cmd_demo(int argc, char **argv);     /**< tools/cmd_demo.c */
int cmd_compare(int argc, char **argv);  /**< tools/cmd_compare.c */

/* The table, in the order `ranklab help` lists it (tools/ranklab.c). */
extern const rk_command rk_commands[];
extern const int rk_command_count;

#endif
