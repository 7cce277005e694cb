/* cli_progress.c — a progress bar or progress lines on stderr (see cli_progress.h). */
#include "cli_progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_begin(cli_progress *pr, const char *cmd, size_t n, size_t total, bool quiet)
{
    *pr = (cli_progress){ .cmd = cmd, .n = n, .total = total, .t0 = cli_now() };
    pr->on = !quiet && total >= CLI_PROGRESS_MIN_ELEMENTS;
    pr->tty = pr->on && isatty(STDERR_FILENO);
}

/* Elapsed seconds and the ETA from the rate so far (negative: not known yet). */
static void times(const cli_progress *pr, double *elapsed, double *eta)
{
    *elapsed = cli_now() - pr->t0;
    *eta = pr->done_elems ? *elapsed * (double)(pr->total - pr->done_elems) / (double)pr->done_elems : -1;
}

static void draw(const cli_progress *pr, size_t i, const char *name)
{
    double el, eta;
    times(pr, &el, &eta);
    enum { WIDTH = 20 };
    size_t fill = pr->total ? (size_t)((double)WIDTH * (double)pr->done_elems / (double)pr->total) : WIDTH;
    char bar[WIDTH + 1];
    for (size_t k = 0; k < WIDTH; k++)
        bar[k] = k < fill ? '#' : '.';
    bar[WIDTH] = '\0';
    fprintf(stderr, "\r[%s] %3zu/%zu  %-40.40s  %.1f s", bar, i, pr->n, name, el);
    if (eta >= 0)
        fprintf(stderr, ", ETA %.1f s   ", eta);
    fflush(stderr);
}

void cli_progress_step(cli_progress *pr, size_t i, const char *name, size_t elems)
{
    if (!pr->on)
        return;
    pr->done_elems += pr->current; /* the previous module is finished */
    pr->current = elems;
    if (pr->tty) {
        draw(pr, i + 1, name);
    } else {
        double el, eta;
        times(pr, &el, &eta);
        fprintf(stderr, "ranklab %s: %zu/%zu %s (%.1f s elapsed", pr->cmd, i + 1, pr->n, name, el);
        if (eta >= 0)
            fprintf(stderr, ", ETA %.1f s", eta);
        fprintf(stderr, ")\n");
    }
}

void cli_progress_end(cli_progress *pr)
{
    if (!pr->on)
        return;
    pr->done_elems = pr->total;
    if (pr->tty) {
        draw(pr, pr->n, "done");
        fputc('\n', stderr);
    } else {
        fprintf(stderr, "ranklab %s: %zu modules in %.1f s\n", pr->cmd, pr->n, cli_now() - pr->t0);
    }
}
