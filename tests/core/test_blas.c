/*
 * test_blas.c — lib/core/cpu.h and lib/core/blas.h: parsing CPU flags, the
 * CPU → OpenBLAS core table, the re-exec decision (table-driven, with fake
 * feature sets, core names and environments), the FMA peak arithmetic and the
 * sgemm probe's result (its speed is not asserted: speed lives in benchmarks).
 */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

/* Abridged flags lines of real machines (/proc/cpuinfo). */
static const char *const FLAGS_ZEN3 =
    "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr "
    "sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm pni pclmulqdq ssse3 fma cx16 "
    "sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor bmi1 avx2 smep bmi2 erms";
static const char *const FLAGS_COOPERLAKE =
    "fpu vme sse sse2 pni ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2 avx512f avx512dq rdseed "
    "adx avx512ifma clflushopt avx512cd avx512bw avx512vl xsaveopt avx512_bf16 avx512vbmi";
static const char *const FLAGS_SKYLAKEX =
    "fpu sse sse2 pni ssse3 fma sse4_1 sse4_2 avx f16c avx2 avx512f avx512dq avx512cd avx512bw avx512vl";
static const char *const FLAGS_SANDYBRIDGE = "fpu sse sse2 pni ssse3 sse4_1 sse4_2 popcnt aes xsave avx";
static const char *const FLAGS_NEHALEM = "fpu sse sse2 pni ssse3 sse4_1 sse4_2 popcnt";
/* Words that contain a flag's name but are not that flag. */
static const char *const FLAGS_DECOYS = "avx512_vnni avx_vnni fma4 xavx2 avx512fx avx2x";

static void test_features_parse(void **state)
{
    (void)state;
    static const struct {
        const char *vendor, *flags;
        rk_cpu_vendor want_vendor;
        bool sse3, avx, avx2, fma, avx512f, avx512bw, bf16;
    } cases[] = {
        { "AuthenticAMD", FLAGS_ZEN3, RK_CPU_AMD, true, true, true, true, false, false, false },
        { "GenuineIntel", FLAGS_COOPERLAKE, RK_CPU_INTEL, true, true, true, true, true, true, true },
        { "GenuineIntel", FLAGS_SKYLAKEX, RK_CPU_INTEL, true, true, true, true, true, true, false },
        { "GenuineIntel", FLAGS_SANDYBRIDGE, RK_CPU_INTEL, true, true, false, false, false, false, false },
        { "GenuineIntel", FLAGS_NEHALEM, RK_CPU_INTEL, true, false, false, false, false, false, false },
        { "HygonGenuine", FLAGS_DECOYS, RK_CPU_AMD, false, false, false, false, false, false, false },
        { "CentaurHauls", "avx2 fma", RK_CPU_OTHER, false, false, true, true, false, false, false },
        { NULL, NULL, RK_CPU_OTHER, false, false, false, false, false, false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rk_cpu_features f;
        rk_cpu_features_parse(cases[i].vendor, cases[i].flags, &f);
        print_message("# case %zu: %s\n", i, cases[i].vendor ? cases[i].vendor : "(none)");
        assert_int_equal(f.vendor, cases[i].want_vendor);
        assert_int_equal(f.sse3, cases[i].sse3);
        assert_int_equal(f.avx, cases[i].avx);
        assert_int_equal(f.avx2, cases[i].avx2);
        assert_int_equal(f.fma, cases[i].fma);
        assert_int_equal(f.avx512f, cases[i].avx512f);
        assert_int_equal(f.avx512bw, cases[i].avx512bw);
        assert_int_equal(f.avx512_bf16, cases[i].bf16);
    }
}

/* Case @p i of a table: the core @p got is the core @p want, or both are NULL. */
static void check_core(size_t i, const char *got, const char *want)
{
    print_message("# case %zu: want %s, got %s\n", i, want ? want : "NULL", got ? got : "NULL");
    if (want)
        assert_string_equal(got, want);
    else
        assert_null(got);
}

static void test_core_for_cpu(void **state)
{
    (void)state;
    static const struct {
        const char *vendor, *flags, *core; /* core NULL: nothing better than generic */
        int flops_per_cycle;
    } cases[] = {
        { "AuthenticAMD", FLAGS_ZEN3, "Zen", 32 },
        { "GenuineIntel", FLAGS_ZEN3, "Haswell", 32 },      /* same features on Intel */
        { "CentaurHauls", "avx avx2 fma", "Haswell", 32 },
        { "GenuineIntel", FLAGS_COOPERLAKE, "Cooperlake", 64 },
        { "GenuineIntel", FLAGS_SKYLAKEX, "SkylakeX", 64 },
        { "AuthenticAMD", FLAGS_COOPERLAKE, "Cooperlake", 32 }, /* Zen 4: AVX-512 on 256-bit units */
        { "GenuineIntel", "avx avx2 avx512f", "Haswell", 64 }, /* no avx512bw: not SkylakeX; */
        { "GenuineIntel", "avx avx2", NULL, 16 },           /* AVX2 without FMA */
        { "GenuineIntel", FLAGS_SANDYBRIDGE, NULL, 16 },
        { "GenuineIntel", FLAGS_NEHALEM, NULL, 8 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rk_cpu_features f;
        rk_cpu_features_parse(cases[i].vendor, cases[i].flags, &f);
        if (i == 6)
            f.fma = true; /* the AVX-512F-only row: an odd CPU, but AVX2+FMA decides */
        const char *core = rk_blas_core_for_cpu(&f);
        check_core(i, core, cases[i].core);
        assert_int_equal(rk_cpu_flops_per_cycle(&f), cases[i].flops_per_cycle);
    }
}

static void test_core_is_generic(void **state)
{
    (void)state;
    const char *generic[] = { "Prescott", "PRESCOTT", "prescott", "Core2", "Nehalem", "Katmai",
                              "Atom", "Penryn", "Dunnington", "Opteron(SSE3)", "Barcelona",
                              "Bobcat", "Unknown" };
    const char *fast[] = { "Zen", "Haswell", "SkylakeX", "Cooperlake", "Sandybridge",
                           "Sapphirerapids", "Excavator", "", "Prescott2" };
    for (size_t i = 0; i < sizeof generic / sizeof *generic; i++)
        assert_true(rk_blas_core_is_generic(generic[i]));
    for (size_t i = 0; i < sizeof fast / sizeof *fast; i++)
        assert_false(rk_blas_core_is_generic(fast[i]));
    assert_false(rk_blas_core_is_generic(NULL));
}

/* The re-exec decision: every reason not to, and the cases where it must. */
static void test_remedy_decision(void **state)
{
    (void)state;
    rk_cpu_features zen3, cooper, nehalem;
    rk_cpu_features_parse("AuthenticAMD", FLAGS_ZEN3, &zen3);
    rk_cpu_features_parse("GenuineIntel", FLAGS_COOPERLAKE, &cooper);
    rk_cpu_features_parse("GenuineIntel", FLAGS_NEHALEM, &nehalem);
    static const rk_blas_env none = { NULL, NULL, NULL };
    static const rk_blas_env user = { "Haswell", NULL, NULL };
    static const rk_blas_env user_empty = { "", NULL, NULL };  /* empty counts as unset */
    static const rk_blas_env again = { NULL, "1", NULL };
    static const rk_blas_env fake = { NULL, NULL, "1" };
    static const rk_blas_env fake0 = { NULL, NULL, "0" };
    static const rk_blas_env fake_user = { "Zen", NULL, "1" };
    static const rk_blas_env fake_again = { NULL, "1", "1" };
    const struct {
        const char *core;
        const rk_cpu_features *cpu;
        const rk_blas_env *env;
        const char *want;
    } cases[] = {
        { "Prescott", &cooper, &none, "Cooperlake" },  /* an AVX-512 Xeon (family 6 model 207) */
        { "Prescott", &zen3, &none, "Zen" },
        { "Core2", &zen3, &none, "Zen" },
        { "Nehalem", &cooper, &user_empty, "Cooperlake" },
        { "Prescott", &cooper, &user, NULL },          /* the user's choice stays */
        { "Prescott", &cooper, &again, NULL },         /* already re-executed: never loop */
        { "Prescott", &nehalem, &none, NULL },         /* generic is right for this CPU */
        { "Zen", &zen3, &none, NULL },                 /* OpenBLAS got it right */
        { "Haswell", &cooper, &none, NULL },           /* not generic: left alone */
        { "Zen", &zen3, &fake, "Zen" },                /* tests force the path */
        { "Zen", &zen3, &fake0, NULL },
        { "Zen", &zen3, &fake_user, NULL },
        { "Zen", &zen3, &fake_again, NULL },
        { "Zen", &nehalem, &fake, NULL },
        { NULL, &cooper, &none, NULL },                /* not OpenBLAS */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *got = rk_blas_remedy_core(cases[i].core, cases[i].cpu, cases[i].env);
        check_core(i, got, cases[i].want);
    }
}

static void test_blas_query(void **state)
{
    (void)state;
    rk_blas_info info;
    rk_blas_query(&info);
    assert_non_null(info.name);
    assert_non_null(info.config);
    assert_non_null(info.lapack);
    assert_true(info.threads >= 1);
#ifdef RK_HAVE_OPENBLAS
    assert_string_equal(info.name, "OpenBLAS");
    assert_non_null(info.core);
    assert_non_null(strstr(info.config, "OpenBLAS"));
#else
    /* The generic libblas.so.3 may be OpenBLAS behind Debian's alternatives. */
    if (info.core)
        assert_non_null(strstr(info.name, "OpenBLAS"));
    else
        assert_string_equal(info.name, "reference BLAS");
#endif
}

static void test_cpu_info(void **state)
{
    (void)state;
    rk_cpu_info info;
    char *flags = NULL;
    rk_status st = rk_cpu_info_read(&info, &flags);
    assert_true(info.online >= 1);
    if (st == RK_ENOENT) {
        print_message("# SKIP reason: /proc/cpuinfo is not readable here\n");
        skip();
    }
    assert_status(st, RK_OK);
    /* What CPUID says agrees with what the kernel shows in /proc/cpuinfo. */
    rk_cpu_features parsed, detected;
    rk_cpu_features_parse(info.vendor_id, flags, &parsed);
    rk_cpu_features_detect(&detected);
#if defined(__x86_64__) && defined(__GNUC__)
    assert_int_equal(parsed.vendor, detected.vendor);
    assert_int_equal(parsed.avx2, detected.avx2);
    assert_int_equal(parsed.fma, detected.fma);
    assert_int_equal(parsed.avx512f, detected.avx512f);
    assert_true(rk_cpu_clock_ghz_measure() > 0);
#endif
    rk_free(flags);
}

static void test_sgemm_probe(void **state)
{
    (void)state;
    rk_blas_probe p;
    assert_status(rk_blas_sgemm_probe(64, 2, 0, &p), RK_OK);
    assert_int_equal(p.n, 64);
    assert_int_equal(p.reps, 2);
    assert_true(p.best_seconds > 0);
    assert_rel_near(p.gflops, 2.0 * 64 * 64 * 64 / p.best_seconds * 1e-9, 1e-12);
    /* A time budget already spent: exactly one timed call. */
    assert_status(rk_blas_sgemm_probe(64, 50, 1e-12, &p), RK_OK);
    assert_int_equal(p.reps, 1);
    assert_status(rk_blas_sgemm_probe(0, 2, 0, &p), RK_EINVAL);
    assert_status(rk_blas_sgemm_probe(64, 0, 0, &p), RK_EINVAL);
    assert_status(rk_blas_sgemm_probe(64, 1, -1, &p), RK_EINVAL);
    assert_status(rk_blas_sgemm_probe(64, 1, 0, NULL), RK_EINVAL);
    for (long n = 1; n <= 3; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_blas_sgemm_probe(32, 1, 0, &p);
        rk_test_fail_alloc_after(0);
        assert_status(st, RK_ENOMEM);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_parse),
        cmocka_unit_test(test_core_for_cpu),
        cmocka_unit_test(test_core_is_generic),
        cmocka_unit_test(test_remedy_decision),
        cmocka_unit_test(test_blas_query),
        cmocka_unit_test(test_cpu_info),
        cmocka_unit_test(test_sgemm_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
