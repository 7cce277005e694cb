/* cpu.c — processor features (CPUID or /proc/cpuinfo), clock estimate, FMA peak. */
#include "core/cpu.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"

/* Is @p word one of the space-separated words of @p list? */
static bool has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; p && (p = strstr(p, word)); p += n) {
        bool start = p == list || p[-1] == ' ' || p[-1] == '\t';
        bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '\t' || p[n] == '\n';
        if (start && end)
            return true;
    }
    return false;
}

void rk_cpu_features_parse(const char *vendor_id, const char *flags, rk_cpu_features *f)
{
    *f = (rk_cpu_features){ 0 };
    if (vendor_id && strstr(vendor_id, "GenuineIntel"))
        f->vendor = RK_CPU_INTEL;
    else if (vendor_id && (strstr(vendor_id, "AuthenticAMD") || strstr(vendor_id, "HygonGenuine")))
        f->vendor = RK_CPU_AMD;
    f->sse3 = has_word(flags, "pni") || has_word(flags, "sse3");
    f->avx = has_word(flags, "avx");
    f->avx2 = has_word(flags, "avx2");
    f->fma = has_word(flags, "fma");
    f->avx512f = has_word(flags, "avx512f");
    f->avx512bw = has_word(flags, "avx512bw");
    f->avx512_bf16 = has_word(flags, "avx512_bf16") || has_word(flags, "avx512bf16");
}

void rk_cpu_features_detect(rk_cpu_features *f)
{
    *f = (rk_cpu_features){ 0 };
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    __builtin_cpu_init();
    f->vendor = __builtin_cpu_is("intel") ? RK_CPU_INTEL
              : __builtin_cpu_is("amd")   ? RK_CPU_AMD
                                          : RK_CPU_OTHER;
    f->sse3 = __builtin_cpu_supports("sse3");
    f->avx = __builtin_cpu_supports("avx");
    f->avx2 = __builtin_cpu_supports("avx2");
    f->fma = __builtin_cpu_supports("fma");
    f->avx512f = __builtin_cpu_supports("avx512f");
    f->avx512bw = __builtin_cpu_supports("avx512bw");
#if defined(__clang__)
    f->avx512_bf16 = false; /* not every clang knows the name; the flags line has it */
#else
    f->avx512_bf16 = __builtin_cpu_supports("avx512bf16");
#endif
#endif
}

int rk_cpu_flops_per_cycle(const rk_cpu_features *f)
{
    if (f->avx512f && f->vendor != RK_CPU_AMD)
        return 64;  /* two 512-bit FMA units: 2 × 16 lanes × 2 */
    if ((f->avx2 || f->avx512f) && f->fma)
        return 32;  /* two 256-bit FMA units: 2 × 8 × 2 */
    if (f->avx)
        return 16;  /* a 256-bit add and a 256-bit multiply per cycle */
    return 8;       /* SSE: 128-bit add + multiply */
}

/* The value of "key\t: value" in @p line, or NULL. */
static const char *field(const char *line, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != ':'))
        return NULL;
    const char *colon = strchr(line, ':');
    return colon ? colon + 1 + strspn(colon + 1, " \t") : NULL;
}

static void copy_value(char *dst, size_t cap, const char *v)
{
    snprintf(dst, cap, "%.*s", (int)strcspn(v, "\n"), v);
}

rk_status rk_cpu_info_read(rk_cpu_info *info, char **flags_out)
{
    *info = (rk_cpu_info){ .online = sysconf(_SC_NPROCESSORS_ONLN) };
    if (flags_out)
        *flags_out = NULL;
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return RK_ENOENT;
    char line[8192]; /* a flags line is ~1–2 kB */
    rk_status st = RK_OK;
    /* Only the first processor's block: it ends at the first blank line. */
    while (fgets(line, sizeof line, f) && line[0] != '\n') {
        const char *v;
        if ((v = field(line, "model name")))
            copy_value(info->model, sizeof info->model, v);
        else if ((v = field(line, "vendor_id")))
            copy_value(info->vendor_id, sizeof info->vendor_id, v);
        else if ((v = field(line, "cpu MHz")))
            info->mhz = strtod(v, NULL);
        else if (flags_out && !*flags_out && (v = field(line, "flags"))) {
            size_t n = strcspn(v, "\n");
            if (!(*flags_out = rk_alloc(n + 1))) {
                st = RK_ENOMEM;
                break;
            }
            memcpy(*flags_out, v, n);
            (*flags_out)[n] = '\0';
        }
    }
    fclose(f);
    return st;
}

static double now_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

double rk_cpu_clock_ghz_measure(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    /*
     * 40 short runs of 1.6·10⁶ adds (~0.5 ms each), the fastest counts: on a
     * busy machine a run that other processes interrupt is only slower, and
     * a short one often fits in one time slice.
     */
    enum { ITERS = 100000, ADDS_PER_ITER = 16, RUNS = 40 };
    double best = 0;
    for (int run = 0; run < RUNS; run++) {
        uint64_t x = 0;
        double t0 = now_seconds();
        for (long i = 0; i < ITERS; i++) {
            /* 16 additions, each waiting for the one before: 16 cycles. */
            __asm__ volatile("add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\t"
                             "add $1, %0\n\tadd $1, %0\n\tadd $1, %0\n\tadd $1, %0"
                             : "+r"(x));
        }
        double dt = now_seconds() - t0;
        double ghz = (double)ITERS * ADDS_PER_ITER / dt * 1e-9;
        if (x == (uint64_t)ITERS * ADDS_PER_ITER && ghz > best)
            best = ghz;
    }
    return best;
#else
    return 0;
#endif
}
