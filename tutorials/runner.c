/*
 * runner.c — option parsing, step loop, pauses and output of the tutorial
 * executables (see runner.h for the behaviour and the options).
 */
#include "runner.h"
#include "core/version.h"
#include "tut_keys.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/blas.h"

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_USAGE = 2 };
enum { MAX_LESSON_OPTIONS = 16 };

struct tut_runner {
    const tut_lesson *lesson;
    uint64_t seed;
    const char *out_dir;
    bool check;
    bool no_plot;
    bool quiet;          /* the current step's output is suppressed */
    size_t first;        /* first step shown, 1-based */
    size_t last;         /* last step shown */
    bool pause;          /* wait for Enter between shown steps */
};

/* Common long options; lesson options get the values 1000 + index. */
enum { OPT_NO_PAUSE = 256, OPT_LIST, OPT_STEP, OPT_FROM, OPT_SEED, OPT_OUT, OPT_CHECK,
       OPT_NO_PLOT, OPT_HELP, OPT_VERSION, OPT_LESSON = 1000 };

static const struct option common_options[] = {
    { "no-pause", no_argument, NULL, OPT_NO_PAUSE },
    { "list", no_argument, NULL, OPT_LIST },
    { "step", required_argument, NULL, OPT_STEP },
    { "from", required_argument, NULL, OPT_FROM },
    { "seed", required_argument, NULL, OPT_SEED },
    { "output", required_argument, NULL, OPT_OUT },
    { "out", required_argument, NULL, OPT_OUT },
    { "check", no_argument, NULL, OPT_CHECK },
    { "no-plot", no_argument, NULL, OPT_NO_PLOT },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
};
enum { N_COMMON = sizeof common_options / sizeof common_options[0] };

void tut_printf(tut_runner *r, const char *fmt, ...)
{
    if (r->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}

void tut_check(tut_runner *r, const char *key, const char *fmt, ...)
{
    if (r->quiet || !r->check)
        return;
    printf("check: %s=", key);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

void tut_print_mat(tut_runner *r, const char *name, const rk_mat *m, const char *fmt, size_t max_rows)
{
    tut_printf(r, "%s (%zu×%zu):\n", name, m->rows, m->cols);
    size_t rows = m->rows < max_rows ? m->rows : max_rows;
    for (size_t i = 0; i < rows; i++) {
        tut_printf(r, "  ");
        for (size_t j = 0; j < m->cols; j++)
            tut_printf(r, fmt, RK_AT(m, i, j));
        tut_printf(r, "\n");
    }
    if (rows < m->rows)
        tut_printf(r, "  … (%zu more rows)\n", m->rows - rows);
}

uint64_t tut_seed(const tut_runner *r) { return r->seed; }

const char *tut_out_dir(const tut_runner *r) { return r->out_dir; }

bool tut_quiet(const tut_runner *r) { return r->quiet; }

void tut_plot(tut_runner *r, tut_plot_fn draw, void *arg)
{
    if (r->quiet || r->no_plot || !draw)
        return;
    fflush(stdout);
    rk_status s = draw(stdout, arg);
    if (s != RK_OK)
        printf("(no terminal plot: %s)\n", rk_strerror(s));
}

/* An option's help: the first line beside "  --NAME VALUE", each further
 * line (after a '\n') under the first, so a long help keeps 80 columns. */
static void print_help_lines(FILE *f, const char *left, const char *help)
{
    const char *nl;
    fprintf(f, "  %-17s ", left);
    while ((nl = strchr(help, '\n')) != NULL) {
        fprintf(f, "%.*s\n%20s", (int)(nl - help), help, "");
        help = nl + 1;
    }
    fprintf(f, "%s\n", help);
}

static void usage(const tut_lesson *l, FILE *f)
{
    fprintf(f, "usage: %s [options]\n\n%s, step by step.\n\n"
               "  --no-pause        run straight through (also when stdin is not a terminal)\n"
               "  --list            list the steps\n"
               "  --step N          run step N only (steps 1..N-1 run first, silently)\n"
               "  --from N          start at step N (steps 1..N-1 run first, silently)\n"
               "  --seed S          random seed (default %llu)\n"
               "  -o, --output DIR  write files (plots) into DIR\n"
               "  --check           also print machine-readable 'check: KEY=VALUE' lines\n"
               "  --no-plot         no terminal plots\n",
            l->prog, l->title, (unsigned long long)l->default_seed);
    for (size_t i = 0; i < l->n_options; i++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", l->options[i].name,
                 l->options[i].metavar ? " " : "", l->options[i].metavar ? l->options[i].metavar : "");
        print_help_lines(f, left, l->options[i].help);
    }
    fprintf(f, "  -V, --version     ranklab's version and the BLAS kernel core in use\n"
               "  -h, --help        this help\n\n"
               "Between steps it waits when stdin is a terminal: Enter or space goes on,\n"
               "q or Ctrl-D quits (at once, no Enter needed).\n"
               "Exit status: 0 success, 1 a step failed, 2 usage error.\n");
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int usage_error(const tut_lesson *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", l->prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", l->prog);
    return EXIT_USAGE;
}

static bool parse_step_number(const char *s, size_t n_steps, size_t *out)
{
    if (!s || *s < '1' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < 1 || v > n_steps)
        return false;
    *out = (size_t)v;
    return true;
}

static bool parse_seed(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return false;
    *out = (uint64_t)v;
    return true;
}

static void list_steps(const tut_lesson *l)
{
    printf("%s\n", l->title);
    for (size_t i = 0; i < l->n_steps; i++)
        printf("  %2zu  %s\n", i + 1, l->steps[i].title);
}

/* Options into r; returns -1 to go on, or an exit status (--help, --list, errors). */
static int parse_args(tut_runner *r, const tut_lesson *l, int argc, char **argv)
{
    struct option longopts[N_COMMON + MAX_LESSON_OPTIONS + 1];
    if (l->n_options > MAX_LESSON_OPTIONS)
        return usage_error(l, "%s", "too many lesson options");
    memcpy(longopts, common_options, sizeof common_options);
    for (size_t i = 0; i < l->n_options; i++)
        longopts[N_COMMON + i] = (struct option){ l->options[i].name,
                                                  l->options[i].metavar ? required_argument
                                                                        : no_argument,
                                                  NULL, OPT_LESSON + (int)i };
    longopts[N_COMMON + l->n_options] = (struct option){ NULL, 0, NULL, 0 };

    bool list = false, have_step = false, have_from = false, no_pause = false;
    size_t n = 0;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":o:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': c = OPT_OUT; break;
        case 'h': c = OPT_HELP; break;
        case 'V': c = OPT_VERSION; break;
        default: break;
        }
        switch (c) {
        case OPT_NO_PAUSE: no_pause = true; break;
        case OPT_LIST: list = true; break;
        case OPT_STEP:
        case OPT_FROM:
            if (have_step || have_from)
                return usage_error(l, "%s", "give one of --step and --from, once");
            if (!parse_step_number(optarg, l->n_steps, &n))
                return usage_error(l, "no such step: '%s'", optarg);
            have_step = c == OPT_STEP;
            have_from = c == OPT_FROM;
            break;
        case OPT_SEED:
            if (!parse_seed(optarg, &r->seed))
                return usage_error(l, "--seed wants a non-negative integer, not '%s'", optarg);
            break;
        case OPT_OUT:
            if (!*optarg) /* an empty folder name would mean the root folder */
                return usage_error(l, "%s", "--out wants a folder name, not an empty one");
            r->out_dir = optarg;
            break;
        case OPT_CHECK: r->check = true; break;
        case OPT_NO_PLOT: r->no_plot = true; break;
        case OPT_HELP: usage(l, stdout); return EXIT_OK;
        case OPT_VERSION:
            printf("%s (ranklab %s)\n", l->prog, RK_VERSION);
            rk_blas_core_print(stdout);
            return EXIT_OK;
        case ':': return usage_error(l, "option '%s' needs a value", argv[optind - 1]);
        case '?': return usage_error(l, "unknown option '%s'", argv[optind - 1]);
        default: {
            const tut_option *o = &l->options[c - OPT_LESSON];
            if (!o->parse(l->ctx, o->metavar ? optarg : NULL))
                return usage_error(l, "bad value for --%s: '%s'", o->name, optarg ? optarg : "");
        }
        }
    }
    if (optind < argc)
        return usage_error(l, "unexpected argument '%s'", argv[optind]);
    if (list) {
        list_steps(l);
        return EXIT_OK;
    }
    r->first = have_step || have_from ? n : 1;
    r->last = have_step ? n : l->n_steps;
    r->pause = !no_pause && isatty(STDIN_FILENO);
    return -1;
}

static void print_step_head(tut_runner *r, size_t i)
{
    const tut_step *s = &r->lesson->steps[i];
    printf("\n== Step %zu of %zu: %s ==\n", i + 1, r->lesson->n_steps, s->title);
    const char *p = s->why;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        printf("  %.*s\n", (int)len, p);
        p = nl ? nl + 1 : p + len;
    }
    printf("\n");
}

static void print_step_tail(const tut_step *s)
{
    printf("\n");
    for (size_t k = 0; k < TUT_MAX_READ && s->read[k]; k++)
        printf("%s%s\n", k ? "                " : "Read alongside: ", s->read[k]);
    if (s->doc)
        printf("Docs: %s\n", s->doc);
}

/* Wait for a key before step @p next (0-based), at once (tut_keys.c); false: quit. */
static bool wait_enter(tut_runner *r, size_t next)
{
    tut_keys_begin(); /* before the prompt: a key pressed at once is not echoed or lost */
    printf("\nNext: step %zu of %zu, %s\n-- Enter or space: go on · q or Ctrl-D: quit --",
           next + 1, r->lesson->n_steps, r->lesson->steps[next].title);
    fflush(stdout);
    tut_key key = tut_read_key();
    printf("\n");
    return key == TUT_KEY_NEXT;
}

static int run_steps(tut_runner *r)
{
    const tut_lesson *l = r->lesson;
    printf("%s\n", l->title);
    if (r->first == 1 && l->intro)
        printf("%s", l->intro);
    if (r->first > 1)
        printf("(steps 1-%zu ran first, silently: step %zu uses their results)\n",
               r->first - 1, r->first);
    if (r->pause && r->first < r->last) {
        /* In a terminal the first screen is the map of the lesson. */
        printf("\nSteps:\n");
        for (size_t i = 0; i < l->n_steps; i++)
            printf("  %2zu  %s\n", i + 1, l->steps[i].title);
        printf("\nAfter each step, Enter or space goes on; q or Ctrl-D quits\n"
               "(--no-pause runs straight through).\n");
        if (!wait_enter(r, r->first - 1))
            return EXIT_OK;
    }
    for (size_t i = 0; i < r->last; i++) {
        const tut_step *s = &l->steps[i];
        r->quiet = i + 1 < r->first;
        if (!r->quiet)
            print_step_head(r, i);
        rk_status st = s->run(r, l->ctx);
        r->quiet = false;
        if (st != RK_OK) {
            fflush(stdout);
            fprintf(stderr, "%s: step %zu (%s): %s\n", l->prog, i + 1, s->title, rk_strerror(st));
            return EXIT_RUNTIME;
        }
        if (i + 1 < r->first)
            continue;
        print_step_tail(s);
        fflush(stdout);
        if (r->pause && i + 1 < r->last && !wait_enter(r, i + 1))
            return EXIT_OK;
    }
    if (r->last == l->n_steps)
        printf("\nEnd of %s.\n", l->title);
    return EXIT_OK;
}

/* The length of the shortest prefix of @p path (ending at a '/' or the end) that does not
 * exist yet: the first folder `--out` will make; 0 when the whole path exists. */
static size_t first_missing(const char *path)
{
    struct stat st;
    size_t n = strlen(path);
    for (size_t i = 1; i <= n; i++)
        if (i == n || (path[i] == '/' && path[i - 1] != '/')) {
            char prefix[4096];
            if (i >= sizeof prefix)
                return 0;
            memcpy(prefix, path, i);
            prefix[i] = '\0';
            if (stat(prefix, &st) != 0)
                return i;
        }
    return 0;
}

/* Remove the folders this run made for @p path, leaf first, while they are empty (rmdir
 * removes nothing else); true when the first of them, path[0..made), is gone too. */
static bool remove_made(const char *path, size_t made)
{
    char p[4096];
    size_t n = strlen(path);
    if (n >= sizeof p)
        return false;
    memcpy(p, path, n + 1);
    while (n > made && p[n - 1] == '/')
        p[--n] = '\0';
    for (;;) {
        if (rmdir(p) != 0)
            return false;
        if (n <= made)
            return true;
        while (n > made && p[n - 1] != '/')
            n--;                     /* up to the parent */
        while (n > made && p[n - 1] == '/')
            n--;
        p[n] = '\0';
        if (n < made)
            return true;
    }
}

int tut_main(const tut_lesson *lesson, int argc, char **argv)
{
    /* First, as in `ranklab`: OpenBLAS reads OPENBLAS_CORETYPE only when it is loaded. */
    rk_blas_remedy_exec(argv);
    if (rk_blas_memory_report(stderr, lesson->prog) == RK_BLAS_MEM_TOO_SMALL)
        return 1;   /* a memory limit OpenBLAS would hang in: said why */
    tut_runner r = { .lesson = lesson, .seed = lesson->default_seed };
    int status = parse_args(&r, lesson, argc, argv);
    size_t made = 0;   /* --out DIR's first missing folder: path[0..made) (0: none) */
    if (status < 0 && r.out_dir) {
        made = first_missing(r.out_dir);
        rk_err err;
        rk_status s = rk_mkdir_p(r.out_dir, &err);
        if (s != RK_OK) {
            fprintf(stderr, "%s: %s: %s\n", lesson->prog, r.out_dir, rk_err_message(&err, s));
            status = EXIT_RUNTIME;
        }
    }
    if (status < 0)
        status = run_steps(&r);
    if (made && remove_made(r.out_dir, made))
        printf("(nothing was written into %s, so it was not kept)\n", r.out_dir);
    if (lesson->cleanup)
        lesson->cleanup(lesson->ctx);
    fflush(stdout);
    return status;
}
