/*
 * cli.h — what every ranklab subcommand shares: exit codes, error messages
 * that name the file and the problem, and number parsing for options.
 */
#ifndef RK_TOOLS_CLI_H
#define RK_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include <getopt.h>
#include <jansson.h>

#include "ranklab.h"

enum { RK_EXIT_OK = 0, RK_EXIT_RUNTIME = 1, RK_EXIT_USAGE = 2 };

/**
 * Copy @p src (NULL: "") into @p dst (@p cap bytes, NUL-terminated, cut
 * short when full) with every control character (bytes 0x00–0x1f, 0x7f —
 * ESC, BEL, newline …) written as "\\xHH", so a name read from a file cannot
 * drive the terminal or forge a line of output.
 */
void cli_escape(char *dst, size_t cap, const char *src);

/**
 * @p s escaped as by cli_escape(), in one of four static buffers used in
 * turn (up to 1023 bytes): for printing names from files
 * (`printf("%s", cli_name(t->name))`). Not thread-safe.
 */
const char *cli_name(const char *s);

/** Print "ranklab CMD: FILE: message" (message from err or rk_strerror; both escaped by cli_name) and return RK_EXIT_RUNTIME. */
int cli_fail(const char *cmd, const char *file, rk_status s, const rk_err *err);

/** Print "ranklab CMD: message" and "Try 'ranklab CMD --help'." and return RK_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** Parse a whole string as a non-negative integer ≤ max; false on junk or overflow. */
bool cli_parse_size(const char *s, size_t max, size_t *out);

/** Parse a whole string as a finite double; false on junk. */
bool cli_parse_double(const char *s, double *out);

/** Parse a whole string as an unsigned 64-bit seed: decimal, or hexadecimal after 0x (never octal). */
bool cli_parse_u64(const char *s, unsigned long long *out);

/**
 * Report getopt_long's error return @p c as a usage error and return
 * RK_EXIT_USAGE. Use with `opterr = 0` and an optstring starting with ':',
 * so @p c is '?' (unknown option) or ':' (option without its argument).
 */
int cli_getopt_error(const char *cmd, int c, char **argv);

/** What a command's option handler returns for an option it does not take. */
enum { CLI_OPT_UNKNOWN = -2 };

/**
 * A command's own options: called with getopt_long's @p c (a letter, or the
 * value in the long option table) and its argument (NULL when it takes
 * none); returns RK_EXIT_OK, a usage error's status (cli_usage_error), or
 * CLI_OPT_UNKNOWN for an option it does not know. getopt's errors come too,
 * as @p c '?' (unknown option) or ':' (an option without its argument), with
 * @p arg NULL and optind past the word at fault: CLI_OPT_UNKNOWN gives them
 * the common wording (cli_getopt_error).
 */
typedef int (*cli_option_fn)(const char *cmd, int c, const char *arg, void *opts);

/**
 * The option loop of a command: getopt_long over @p argv with @p shortopts
 * (':', 'h' and the command's letters) and @p longopts (with
 * { "help", no_argument, NULL, 'h' }). -h/--help prints the strings of the
 * NULL-terminated @p usage in turn on stdout and returns -1; every other
 * option, and getopt's errors, go to @p fn with @p opts; what @p fn does not
 * know is a usage error (cli_getopt_error). Returns RK_EXIT_OK with
 * optind at the first positional argument, -1 after --help, or the usage
 * error's status. The first word that is wrong (or --help) decides.
 */
int cli_options(const char *cmd, int argc, char **argv, const char *shortopts,
                const struct option *longopts, const char *const *usage, cli_option_fn fn, void *opts);

/**
 * Check the positional arguments left after option parsing: exactly one
 * (FILE) is expected. Stores it in *file and returns RK_EXIT_OK, or prints
 * a usage error and returns RK_EXIT_USAGE.
 */
int cli_one_file(const char *cmd, int argc, char **argv, int optind_, const char **file);

/**
 * Load the matrix named by @p spec ("FILE.npy", later "FILE.safetensors:T")
 * through rk_matrix_load. On failure prints "ranklab CMD: SPEC: problem" and
 * returns RK_EXIT_RUNTIME; RK_EXIT_OK otherwise.
 */
int cli_load_matrix(const char *cmd, const char *spec, rk_mat *out);

/** True after --json-pretty (ranklab.c turns it into --json for the command): indent JSON output. */
extern bool cli_json_pretty;

/**
 * Print @p obj as one line of compact JSON (indented with --json-pretty) (reals with 17 significant
 * digits, keys in insertion order) followed by a newline, then release it.
 * Returns RK_EXIT_OK, or RK_EXIT_RUNTIME when @p obj is NULL (an allocation
 * failed while building it) or cannot be printed.
 */
int cli_json_print(const char *cmd, json_t *obj);

/** A JSON integer for @p v when it fits in json_int_t, else its decimal string (seeds are 64-bit unsigned). */
json_t *cli_json_u64(unsigned long long v);

/**
 * json_real(@p x), remembering when @p x is NaN or ±Inf (JSON has neither,
 * and jansson's json_real then returns NULL, which the builders would
 * otherwise report as "out of memory"). Every tool's json_real() is this
 * function (the macro below), so cli_json_fail() can name the real cause.
 */
json_t *cli_json_real(double x);
#define json_real(x) cli_json_real(x)

/**
 * Report that a JSON document could not be built or printed: "ranklab CMD:
 * a result is NaN or Inf, which JSON cannot hold" when cli_json_real() met
 * one in this process, "out of memory" otherwise. Returns RK_EXIT_RUNTIME.
 */
int cli_json_fail(const char *cmd);

/** RK_ENONFINITE when cli_json_real() has met a NaN or Inf in this process, else RK_ENOMEM. */
rk_status cli_json_cause(void);

/** A JSON real with @p x's value, or JSON null when @p x is NaN or ±Inf (JSON has no Infinity). */
json_t *cli_json_real_or_null(double x);

/**
 * The memory ranklab allows itself for the matrices of one command: half of
 * the machine's physical memory (sysconf), so a mistyped size is refused with
 * a message instead of the process being swapped to death or OOM-killed.
 * SIZE_MAX when the size of memory is unknown.
 */
size_t cli_memory_limit(void);

/**
 * Check that @p bytes (false @p ok when the count overflowed) fit within
 * cli_memory_limit(); otherwise print "ranklab CMD: FILE: out of memory:
 * WHAT needs N GB, ..." and return RK_EXIT_RUNTIME. RK_EXIT_OK when it fits.
 */
int cli_check_memory(const char *cmd, const char *file, const char *what, bool ok, size_t bytes);

/** Print one line of a report: @p label, @p value and (when not NULL or empty) @p note, aligned in columns. */
void cli_print_row(const char *label, const char *value, const char *note);

#endif
