/* cli.c — shared helpers of the ranklab subcommands: errors and option parsing. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void cli_escape(char *dst, size_t cap, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t at = 0;
    if (cap == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)src; p && *p; p++) {
        bool ctl = *p < 0x20 || *p == 0x7f;
        size_t need = ctl ? 4 : 1;
        if (at + need >= cap)
            break;
        if (ctl) {
            dst[at++] = '\\';
            dst[at++] = 'x';
            dst[at++] = hex[*p >> 4];
            dst[at++] = hex[*p & 15];
        } else {
            dst[at++] = (char)*p;
        }
    }
    dst[at] = '\0';
}

const char *cli_name(const char *s)
{
    /* A few buffers in turn, so one printf can show several names. */
    static char ring[4][4 * RK_ERRMSG_MAX];
    static unsigned next;
    char *buf = ring[next++ % 4];
    cli_escape(buf, sizeof ring[0], s);
    return buf;
}

int cli_fail(const char *cmd, const char *file, rk_status s, const rk_err *err)
{
    /* The message may quote names read from the file: escaped, as is the file's name. */
    const char *msg = rk_err_message(err, s);
    size_t n = file ? strlen(file) : 0;
    if (file && !(strncmp(msg, file, n) == 0 && msg[n] == ':')) /* never "F: F: ..." */
        fprintf(stderr, "ranklab %s: %s: %s\n", cmd, cli_name(file), cli_name(msg));
    else
        fprintf(stderr, "ranklab %s: %s\n", cmd, cli_name(msg));
    return RK_EXIT_RUNTIME;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ranklab %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'ranklab %s --help'.\n", cmd);
    return RK_EXIT_USAGE;
}

bool cli_parse_size(const char *s, size_t max, size_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = (size_t)v;
    return true;
}

bool cli_parse_double(const char *s, double *out)
{
    if (!s || !*s)
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return false;
    *out = v;
    return true;
}

bool cli_parse_u64(const char *s, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    /* Decimal, or hexadecimal after 0x; never octal: --seed 010 is ten. */
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    if (hex && (!s[2] || s[2] == '-' || s[2] == '+'))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

int cli_getopt_error(const char *cmd, int c, char **argv)
{
    /* After an error optind points past the offending word. A long option
     * ("--tpo", "--json=1") is named as typed; a short one by its letter. */
    const char *word = optind > 0 ? argv[optind - 1] : NULL;
    bool is_long = word && word[0] == '-' && word[1] == '-';
    if (c == ':') {
        if (is_long)
            return cli_usage_error(cmd, "option '%s' needs an argument", word);
        return cli_usage_error(cmd, "option '-%c' needs an argument", optopt);
    }
    if (is_long && optopt) {
        /* A known long option given "=VALUE" it does not take. */
        int len = (int)strcspn(word, "=");
        return cli_usage_error(cmd, "option '%.*s' takes no argument", len, word);
    }
    if (is_long)
        return cli_usage_error(cmd, "unknown option '%s'", word);
    if (optopt)
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "invalid option '%s'", word ? word : "?");
}

int cli_options(const char *cmd, int argc, char **argv, const char *shortopts,
                const struct option *longopts, const char *const *usage, cli_option_fn fn, void *opts)
{
    int c, rc;
    opterr = 0;
    while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        if (c == 'h') {
            for (const char *const *u = usage; *u; u++)
                fputs(*u, stdout);
            return -1;
        }
        /* getopt's errors ('?', ':') go to fn too: a command may word them itself. */
        rc = fn(cmd, c, c == '?' || c == ':' ? NULL : optarg, opts);
        if (rc == CLI_OPT_UNKNOWN)
            return cli_getopt_error(cmd, c, argv);
        if (rc != RK_EXIT_OK)
            return rc;
    }
    return RK_EXIT_OK;
}

int cli_one_file(const char *cmd, int argc, char **argv, int optind_, const char **file)
{
    if (optind_ >= argc)
        return cli_usage_error(cmd, "missing FILE");
    if (optind_ + 1 < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind_ + 1]);
    *file = argv[optind_];
    return RK_EXIT_OK;
}

/* Read all of standard input (at most @p max bytes) into a new buffer. */
static rk_status read_stdin(unsigned char **data, size_t *size, size_t max, rk_err *err)
{
    size_t cap = 1 << 16, n = 0;
    unsigned char *buf = rk_alloc(cap);
    if (!buf)
        return RK_ENOMEM;
    for (;;) {
        if (n == cap) {
            size_t bigger = cap > max / 2 ? max : cap * 2;
            unsigned char *b = bigger > cap ? rk_alloc(bigger) : NULL;
            if (b)
                memcpy(b, buf, n);
            else {
                rk_free(buf);
                return bigger > cap ? RK_ENOMEM
                                    : rk_err_set(err, RK_ETOOBIG, "standard input is larger "
                                                 "than half of this machine's memory");
            }
            rk_free(buf);
            buf = b;
            cap = bigger;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) {
            if (ferror(stdin)) {
                rk_free(buf);
                return rk_err_set(err, RK_EIO, "cannot read standard input");
            }
            break;
        }
    }
    *data = buf;
    *size = n;
    return RK_OK;
}

int cli_load_matrix(const char *cmd, const char *spec, rk_mat *out)
{
    rk_err err;
    rk_err_clear(&err);
    rk_status s;
    if (!strcmp(spec, "-")) { /* a .npy array on standard input */
        unsigned char *data = NULL;
        size_t size = 0;
        s = read_stdin(&data, &size, cli_memory_limit(), &err);
        if (s == RK_OK)
            s = rk_npy_read_mem(data, size, out, NULL, &err);
        rk_free(data);
        if (s != RK_OK)
            return cli_fail(cmd, "standard input", s, &err);
        return RK_EXIT_OK;
    }
    s = rk_matrix_load(spec, out, &err);
    if (s != RK_OK)
        return cli_fail(cmd, spec, s, &err);
    return RK_EXIT_OK;
}

bool cli_json_pretty = false;

static bool json_nonfinite; /* cli_json_real() was given a NaN or Inf */

#undef json_real
json_t *cli_json_real(double x)
{
    if (!isfinite(x))
        json_nonfinite = true;
    return json_real(x);
}

rk_status cli_json_cause(void)
{
    return json_nonfinite ? RK_ENONFINITE : RK_ENOMEM;
}

int cli_json_fail(const char *cmd)
{
    rk_err err;
    rk_err_set(&err, cli_json_cause(), "%s", json_nonfinite ? "a result is NaN or Inf, which JSON cannot hold; nothing written"
                                                            : rk_strerror(RK_ENOMEM));
    return cli_fail(cmd, NULL, err.status, &err);
}

int cli_json_print(const char *cmd, json_t *obj)
{
    size_t layout = cli_json_pretty ? JSON_INDENT(2) : JSON_COMPACT;
    char *text = obj ? json_dumps(obj, layout | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                     : NULL;
    json_decref(obj);
    if (!text)
        return cli_json_fail(cmd);
    puts(text);
    free(text);
    return RK_EXIT_OK;
}

json_t *cli_json_u64(unsigned long long v)
{
    if (v <= (unsigned long long)INT64_MAX) /* json_int_t is long long, 64 bits here */
        return json_integer((json_int_t)v);
    char buf[24];
    snprintf(buf, sizeof buf, "%llu", v);
    return json_string(buf);
}

json_t *cli_json_real_or_null(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

void cli_print_row(const char *label, const char *value, const char *note)
{
    if (note && *note)
        printf("%-18s%-19s %s\n", label, value, note);
    else
        printf("%-18s%s\n", label, value);
}

size_t cli_memory_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    size_t total;
    if (pages <= 0 || page <= 0 || !rk_size_mul((size_t)pages, (size_t)page, &total))
        return SIZE_MAX;
    return total / 2;
}

int cli_check_memory(const char *cmd, const char *file, const char *what, bool ok, size_t bytes)
{
    size_t limit = cli_memory_limit();
    if (ok && bytes <= limit)
        return RK_EXIT_OK;
    const double gb = 1e9;
    if (!ok)
        fprintf(stderr, "ranklab %s: %s: out of memory: %s needs more bytes than size_t can count\n",
                cmd, file, what);
    else
        fprintf(stderr, "ranklab %s: %s: out of memory: %s needs %.3g GB, more than the %.3g GB "
                "(half of this machine's memory) ranklab allows itself\n",
                cmd, file, what, (double)bytes / gb, (double)limit / gb);
    return RK_EXIT_RUNTIME;
}
