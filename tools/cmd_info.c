/*
 * cmd_info.c — `ranklab info`: the version, the BLAS and LAPACK, the kernel
 * core OpenBLAS runs and whether ranklab had to choose it, the threads, the
 * CPU's vector features, the clock, the fp32 FMA peak, and a quick sgemm
 * probe measured against that peak. Warns when a generic kernel is in use.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "core/version.h"

static const char *const CMD = "info";

static const char info_usage[] =
    "usage: ranklab info [--json] [--no-probe] [--size N]\n\n"
    "Show the ranklab version, the BLAS/LAPACK in use, the OpenBLAS kernel core\n"
    "and threads, the CPU's features, and a quick sgemm speed probe against the\n"
    "machine's fp32 FMA peak. Warns when a generic (SSE-only) kernel is in use.\n\n"
    "  --json        print the same as one JSON object\n"
    "  --no-probe    skip the timings (clock estimate and sgemm probe)\n"
    "  --size N      sgemm probe size, N×N float32 (default 1024)\n"
    "  -h, --help    show this help\n\n"
    "Environment: OPENBLAS_CORETYPE (your kernel choice, always kept),\n"
    "OPENBLAS_NUM_THREADS, RANKLAB_NO_REEXEC=1 (never switch the kernel core).\n";

/* Everything info reports, gathered once for the text and the JSON output. */
typedef struct info_report {
    rk_blas_info blas;
    const char *core_source;    /* "openblas", "user" or "remedy" */
    const char *remedy_from;    /* the core OpenBLAS had picked before the re-exec */
    const char *coretype_env;
    bool fake;                  /* RANKLAB_FAKE_GENERIC_CORE=1 (tests) */
    bool remedy_failed;         /* re-executed, but OpenBLAS ignored OPENBLAS_CORETYPE */
    bool generic;               /* a generic core is in use */
    const char *better_core;    /* what this CPU could run, NULL if nothing better */
    rk_cpu_info cpu;
    rk_cpu_features feat;
    double ghz_measured;        /* 0 when not measured */
    int flops_per_cycle;
    long peak_cpus;             /* CPUs the probe's threads can use */
    double peak_gflops;         /* peak_cpus × GHz × flops/cycle; 0 when the clock is unknown */
    const char *clock_method;
    double clock_ghz;
    bool probed;
    rk_blas_probe probe;
} info_report;

static void gather(info_report *r, bool probe, size_t n)
{
    memset(r, 0, sizeof *r);
    rk_blas_query(&r->blas);
    rk_blas_env env;
    rk_blas_env_get(&env);
    r->coretype_env = env.coretype;
    r->remedy_from = getenv("RANKLAB_BLAS_REMEDY");
    if (r->remedy_from && !*r->remedy_from)
        r->remedy_from = NULL;
    /* A re-exec that did not change the core (OpenBLAS built without DYNAMIC_ARCH) is no remedy. */
    r->remedy_failed = r->remedy_from && r->blas.core && env.coretype &&
                       strcasecmp(r->blas.core, env.coretype) != 0;
    r->core_source = !r->blas.core     ? "none"
                   : r->remedy_from    ? "remedy"
                   : env.coretype      ? "user"
                                       : "openblas";
    rk_cpu_info_read(&r->cpu, NULL);
    rk_cpu_features_detect(&r->feat);
    r->better_core = rk_blas_core_for_cpu(&r->feat);
    /* The test switch counts only where the remedy would have looked at the core. */
    r->fake = env.fake_generic && !strcmp(env.fake_generic, "1");
    bool fake = r->fake && !r->remedy_from && !env.coretype;
    r->generic = r->blas.core && (rk_blas_core_is_generic(r->blas.core) || fake);
    r->flops_per_cycle = rk_cpu_flops_per_cycle(&r->feat);
    r->peak_cpus = r->blas.threads < r->cpu.online ? r->blas.threads : r->cpu.online;
    if (r->peak_cpus < 1)
        r->peak_cpus = 1;
    if (probe) {
        r->ghz_measured = rk_cpu_clock_ghz_measure();
        /* A quick look, not a benchmark: at most ~1 s even with generic kernels. */
        r->probed = rk_blas_sgemm_probe(n, 3, 0.75, &r->probe) == RK_OK;
    }
    if (r->ghz_measured > 0) {
        r->clock_ghz = r->ghz_measured;
        r->clock_method = "timed chain of dependent integer adds (1 per cycle)";
    } else if (r->cpu.mhz > 0) {
        r->clock_ghz = r->cpu.mhz / 1000;
        r->clock_method = "/proc/cpuinfo \"cpu MHz\"";
    } else {
        r->clock_method = "unknown";
    }
    r->peak_gflops = (double)r->peak_cpus * r->clock_ghz * r->flops_per_cycle;
}

static void features_text(const rk_cpu_features *f, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s%s%s%s", f->avx ? "avx " : "", f->avx2 ? "avx2 " : "",
             f->fma ? "fma " : "", f->avx512f ? "avx512f " : "", f->avx512bw ? "avx512bw " : "",
             f->avx512_bf16 ? "avx512_bf16 " : "");
    size_t n = strlen(buf);
    if (n)
        buf[n - 1] = '\0';
    else
        snprintf(buf, cap, "no AVX");
}

static void print_text(const info_report *r)
{
    printf("ranklab %s\n", RK_VERSION);
    printf("BLAS:        %s — %s\n", r->blas.name, r->blas.config);
    printf("LAPACK:      %s\n", r->blas.lapack);
    if (r->blas.core) {
        printf("kernel core: %s", r->blas.core);
        if (r->remedy_failed)
            printf(" (remedy tried: ranklab re-executed itself with OPENBLAS_CORETYPE=%s, but "
                   "OpenBLAS kept %s: it was built without DYNAMIC_ARCH?)\n", r->coretype_env,
                   r->blas.core);
        else if (!strcmp(r->core_source, "remedy"))
            printf(" (remedy applied: OpenBLAS picked %s%s; ranklab re-executed itself "
                   "with OPENBLAS_CORETYPE=%s)\n", r->remedy_from,
                   r->fake ? ", taken as generic by RANKLAB_FAKE_GENERIC_CORE=1" : ", a generic core",
                   r->coretype_env ? r->coretype_env : "?");
        else if (!strcmp(r->core_source, "user"))
            printf(" (set by you: OPENBLAS_CORETYPE=%s)\n", r->coretype_env);
        else
            printf(" (chosen by OpenBLAS from CPUID; remedy not needed)\n");
    }
    printf("threads:     %d (OPENBLAS_NUM_THREADS sets it)\n", r->blas.threads);
    char feats[128];
    features_text(&r->feat, feats, sizeof feats);
    printf("CPU:         %s, %ld online CPUs; features: %s\n",
           r->cpu.model[0] ? r->cpu.model : "unknown model", r->cpu.online, feats);
    if (r->clock_ghz > 0)
        printf("clock:       %.2f GHz (%s)%s", r->clock_ghz, r->clock_method,
               r->ghz_measured > 0 && r->cpu.mhz > 0 ? "" : "\n");
    if (r->ghz_measured > 0 && r->cpu.mhz > 0)
        printf("; /proc/cpuinfo says %.0f MHz\n", r->cpu.mhz);
    if (r->peak_gflops > 0)
        printf("FMA peak:    %.0f GFLOP/s fp32 = %ld CPU%s × %.2f GHz × %d flop/cycle\n",
               r->peak_gflops, r->peak_cpus, r->peak_cpus == 1 ? "" : "s", r->clock_ghz,
               r->flops_per_cycle);
    if (r->probed) {
        printf("sgemm probe: %.1f GFLOP/s (n = %zu, best of %d, %d thread%s)", r->probe.gflops,
               r->probe.n, r->probe.reps, r->blas.threads, r->blas.threads == 1 ? "" : "s");
        if (r->peak_gflops > 0)
            printf(" = %.0f%% of the FMA peak", 100 * r->probe.gflops / r->peak_gflops);
        putchar('\n');
    }
    if (r->generic && r->better_core)
        printf("WARNING: OpenBLAS runs the generic %s kernels on a CPU with %s: matrix products "
               "run several times below the hardware. Run with OPENBLAS_CORETYPE=%s "
               "(ranklab does this itself unless OPENBLAS_CORETYPE or RANKLAB_NO_REEXEC is set).\n",
               r->blas.core, r->feat.avx512f ? "AVX-512" : "AVX2/FMA", r->better_core);
}

static json_t *json_report(const info_report *r)
{
    json_t *cpu = json_pack("{s:s, s:s, s:I, s:f, s:{s:b, s:b, s:b, s:b, s:b, s:b}}",
                            "model", r->cpu.model, "vendor_id", r->cpu.vendor_id,
                            "online", (json_int_t)r->cpu.online, "cpuinfo_mhz", r->cpu.mhz,
                            "features", "avx", r->feat.avx, "avx2", r->feat.avx2, "fma",
                            r->feat.fma, "avx512f", r->feat.avx512f, "avx512bw", r->feat.avx512bw,
                            "avx512_bf16", r->feat.avx512_bf16);
    json_t *blas = json_pack("{s:s, s:s, s:s, s:s?, s:s, s:i, s:b}", "name", r->blas.name,
                             "config", r->blas.config, "lapack", r->blas.lapack, "core",
                             r->blas.core, "core_source", r->core_source, "threads",
                             r->blas.threads, "generic_core", r->generic);
    json_t *remedy = json_pack("{s:b, s:s?, s:s?, s:s?}", "applied",
                               !strcmp(r->core_source, "remedy") && !r->remedy_failed, "from",
                               r->remedy_from, "to",
                               r->remedy_from ? r->coretype_env : NULL, "cpu_core",
                               r->better_core);
    json_t *o = json_pack("{s:s, s:o, s:o, s:o}", "version", RK_VERSION, "blas", blas, "cpu", cpu,
                          "remedy", remedy);
    if (!o)
        return NULL;
    json_object_set_new(o, "clock", json_pack("{s:f, s:s}", "ghz", r->clock_ghz, "method",
                                              r->clock_method));
    json_object_set_new(o, "peak", json_pack("{s:f, s:I, s:i}", "gflops", r->peak_gflops, "cpus",
                                             (json_int_t)r->peak_cpus, "flops_per_cycle",
                                             r->flops_per_cycle));
    if (r->probed)
        json_object_set_new(o, "sgemm_probe",
                            json_pack("{s:I, s:i, s:i, s:f, s:f, s:f}", "n", (json_int_t)r->probe.n,
                                      "reps", r->probe.reps, "threads", r->blas.threads, "seconds",
                                      r->probe.best_seconds, "gflops", r->probe.gflops,
                                      "fraction_of_peak",
                                      r->peak_gflops > 0 ? r->probe.gflops / r->peak_gflops : 0.0));
    json_t *warnings = json_array();
    if (r->generic && r->better_core)
        json_array_append_new(warnings, json_sprintf("generic OpenBLAS core %s in use; this CPU "
                                                     "can run %s", r->blas.core, r->better_core));
    json_object_set_new(o, "warnings", warnings);
    return o;
}

/* What info's options fill. */
typedef struct info_opts {
    size_t n;      /* --size N */
    bool json, probe;
} info_opts;

/* One option of info (cli_option_fn). */
static int info_option(const char *cmd, int c, const char *arg, void *opts)
{
    info_opts *o = opts;
    switch (c) {
    case 'j': o->json = true; return RK_EXIT_OK;
    case 'P': o->probe = false; return RK_EXIT_OK;
    case 's':
        if (!cli_parse_size(arg, 8192, &o->n) || o->n < 16)
            return cli_usage_error(cmd, "--size wants a whole number from 16 to 8192, not '%s'", arg);
        return RK_EXIT_OK;
    default: return CLI_OPT_UNKNOWN;  /* getopt's errors in the common words */
    }
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "no-probe", no_argument, NULL, 'P' },
        { "size", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { info_usage, NULL };
    info_opts o = { 1024, false, true };
    int rc = cli_options(CMD, argc, argv, ":h", opts, usage, info_option, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    if (optind < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind]);
    bool json = o.json;
    info_report r;
    gather(&r, o.probe, o.n);
    if (!json) {
        print_text(&r);
        return RK_EXIT_OK;
    }
    return cli_json_print(CMD, json_report(&r));
}
