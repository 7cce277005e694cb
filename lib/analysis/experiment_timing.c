/*
 * experiment_timing.c — where the experiment's time goes: wall and CPU seconds
 * per phase (pretrain, each fine-tune with its learn–forget records, analysis,
 * saving, plots) from clock_gettime, for report.md's time table and
 * results.json's "timing".
 *
 * CPU seconds are the whole process's (CLOCK_PROCESS_CPUTIME_ID: every thread,
 * BLAS workers included) plus those of the programs it ran and waited for
 * (getrusage RUSAGE_CHILDREN: gnuplot), so CPU/wall above 1 means the phase
 * ran on several cores, below 1 that it waited (for the disk, or for other
 * processes on a busy machine).
 */
#include <jansson.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "analysis/experiment_output.h"

static double seconds(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU seconds of the child processes waited for (gnuplot draws the plots). */
static double children_cpu(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_CHILDREN, &ru) != 0)
        return 0.0;
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec +
           (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

rk_exp_clock rk_exp_clock_now(void)
{
    return (rk_exp_clock){ seconds(CLOCK_MONOTONIC),
                           seconds(CLOCK_PROCESS_CPUTIME_ID) + children_cpu() };
}

void rk_exp_timing_insert(rk_exp_timing *t, size_t at, const rk_exp_phase *p)
{
    if (!t || !p || t->n >= RK_EXP_MAX_PHASES || at > t->n)
        return;
    memmove(&t->phase[at + 1], &t->phase[at], (t->n - at) * sizeof t->phase[0]);
    t->phase[at] = *p;
    t->n++;
}

double rk_exp_timing_add(rk_exp_timing *t, const char *name, rk_exp_clock since)
{
    rk_exp_clock now = rk_exp_clock_now();
    rk_exp_phase p = { .wall = now.wall - since.wall, .cpu = now.cpu - since.cpu };
    if (t && name) {
        snprintf(p.name, sizeof p.name, "%s", name);
        rk_exp_timing_insert(t, t->n, &p);
    }
    return p.wall;
}

void rk_exp_report_timing(FILE *f, const rk_exp_models *m)
{
    const rk_exp_timing *t = m ? &m->timing : NULL;
    if (!f || !t || t->n == 0)
        return;
    double wall = 0.0, cpu = 0.0;
    for (size_t i = 0; i < t->n; i++) {
        wall += t->phase[i].wall;
        cpu += t->phase[i].cpu;
    }
    fprintf(f, "## Where the time went\n\n"
               "Wall and CPU seconds of each phase of this run (`rk_exp_clock_now`, "
               "lib/analysis/experiment_timing.c; CPU counts every thread of the process and the "
               "gnuplot runs it waited for). A "
               "fine-tune's time includes its learn–forget records and its final evaluation. These "
               "figures depend on the machine and on what else ran on it.\n\n"
               "| phase | wall s | CPU s | share of wall |\n|---|---:|---:|---:|\n");
    for (size_t i = 0; i < t->n; i++)
        fprintf(f, "| %s | %.2f | %.2f | %.0f%% |\n", t->phase[i].name, t->phase[i].wall,
                t->phase[i].cpu, wall > 0 ? 100.0 * t->phase[i].wall / wall : 0.0);
    fprintf(f, "| all phases | %.2f | %.2f | 100%% |\n\n", wall, cpu);
}

json_t *rk_exp_timing_json(const rk_exp_models *m)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && m && i < m->timing.n; i++) {
        const rk_exp_phase *p = &m->timing.phase[i];
        json_array_append_new(arr, json_pack("{s:s, s:f, s:f}", "phase", p->name, "wall_seconds",
                                             p->wall, "cpu_seconds", p->cpu));
    }
    return arr ? arr : json_null();
}
