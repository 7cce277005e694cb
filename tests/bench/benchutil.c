/*
 * benchutil.c — clock, medians and BLAS thread control of benchutil.h.
 */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef RK_HAVE_OPENBLAS
#include <cblas.h>
#endif

double bench_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double bench_cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_min(const double *v, size_t n)
{
    double m = n ? v[0] : 0.0;
    for (size_t i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

bool bench_blas_threads_settable(void)
{
#ifdef RK_HAVE_OPENBLAS
    return true;
#else
    return false;
#endif
}

const char *bench_blas_core(void)
{
#ifdef RK_HAVE_OPENBLAS
    return openblas_get_corename();
#else
    return "unknown (not OpenBLAS)";
#endif
}

/* The value of the first "KEY<spaces>: value" line of /proc/cpuinfo whose key is @p key, into @p out. */
static void cpuinfo_value(const char *key, char *out, size_t size)
{
    char line[512];
    size_t klen = strlen(key);
    FILE *f = fopen("/proc/cpuinfo", "r");
    out[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (!colon || strncmp(line, key, klen) != 0 || strspn(line + klen, " \t") != (size_t)(colon - line) - klen)
            continue;
        snprintf(out, size, "%s", colon + 1 + strspn(colon + 1, " \t"));
        out[strcspn(out, "\n")] = '\0';
        break;
    }
    if (f)
        fclose(f);
}

const char *bench_cpu_model(void)
{
    static char text[320];
    char name[160], family[32], model[32];
    cpuinfo_value("model name", name, sizeof name);
    cpuinfo_value("cpu family", family, sizeof family);
    cpuinfo_value("model", model, sizeof model);
    if (!*name)
        return "unknown CPU";
    if (*family && *model)
        snprintf(text, sizeof text, "%s, family %s model %s", name, family, model);
    else
        snprintf(text, sizeof text, "%s", name);
    return text;
}

const char *bench_blas_config(void)
{
#ifdef RK_HAVE_OPENBLAS
    return openblas_get_config();
#else
    return "";
#endif
}

void bench_settle(void)
{
    struct timespec t = { 0, 200000000 };
    nanosleep(&t, NULL);
}

void bench_print_load(const char *prefix)
{
    double l[3] = { -1, -1, -1 };
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &l[0], &l[1], &l[2]) != 3)
            l[0] = l[1] = l[2] = -1;
        fclose(f);
    }
    if (l[0] < 0)
        printf("%sload average: unknown\n", prefix);
    else
        printf("%sload average: %.2f, %.2f, %.2f (1, 5, 15 min)\n", prefix, l[0], l[1], l[2]);
}

int bench_default_threads(void)
{
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    return env && atoi(env) > 0 ? atoi(env) : (ncpu > 0 ? (int)ncpu : 1);
}

int bench_parse_list(const char *s, long lo, long hi, long *out, int max)
{
    int n = 0;
    char *end;
    while (*s && n < max) {
        long v = strtol(s, &end, 10);
        if (end == s || v < lo || v > hi || (*end && *end != ','))
            return -1;
        out[n++] = v;
        s = *end ? end + 1 : end;
    }
    return *s || n == 0 ? -1 : n;
}
