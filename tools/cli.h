/*
 * cli.h — what every ranklab subcommand shares: exit codes, error messages
 * that name the file and the problem, and number parsing for options.
 */
#ifndef RK_TOOLS_CLI_H
#define RK_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "ranklab.h"

enum { RK_EXIT_OK = 0, RK_EXIT_RUNTIME = 1, RK_EXIT_USAGE = 2 };

/** Print "ranklab CMD: FILE: message" (message from err or rk_strerror) and return RK_EXIT_RUNTIME. */
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

/** Parse a whole string as an unsigned 64-bit seed. */
bool cli_parse_u64(const char *s, unsigned long long *out);

#endif
