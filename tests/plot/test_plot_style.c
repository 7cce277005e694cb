/*
 * test_plot_style.c — lib/plot/style.h: no two of the first 35 series slots
 * look alike, reference series and lines never take a series' look, text
 * escapes survive a round trip; and what rk_plot_draw() writes from them:
 * enhanced text, the palette's colours, zeros on a log axis filtered out and
 * counted in the legend, a rank axis ticked at its ranks.
 */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool same_look(rk_plot_look a, rk_plot_look b)
{
    return !strcmp(a.rgb, b.rgb) && a.dash == b.dash;
}

static void test_slots_distinct(void **state)
{
    (void)state;
    for (size_t i = 0; i < 35; i++) {
        rk_plot_look a = rk_plot_look_series(i);
        assert_int_equal(strlen(a.rgb), 7);
        assert_true(a.dash >= 1 && a.dash <= RK_PLOT_DASHES);
        for (size_t j = 0; j < i; j++)
            assert_false(same_look(a, rk_plot_look_series(j)));
        for (size_t k = 0; k < 8; k++) {
            assert_false(same_look(a, rk_plot_look_reference(k)));
            assert_false(same_look(a, rk_plot_look_line(k)));
        }
    }
    for (size_t k = 0; k < 8; k++)
        for (size_t m = 0; m < k; m++) {
            assert_false(same_look(rk_plot_look_line(k), rk_plot_look_line(m)));
            assert_false(same_look(rk_plot_look_reference(k), rk_plot_look_reference(m)));
        }
    assert_int_not_equal(rk_plot_look_line(0).dash, 1);  /* a line never reads as a series */
}

static void test_text(void **state)
{
    (void)state;
    char lit[64], plain[64];
    rk_plot_text_literal(lit, sizeof lit, "base_model.h_0 {x}^2 @a & ~b \\c");
    assert_string_equal(lit, "base\\_model.h\\_0 \\{x\\}\\^2 \\@a \\& \\~b \\\\c");
    rk_plot_text_plain(plain, sizeof plain, lit);
    assert_string_equal(plain, "base_model.h_0 {x}^2 @a & ~b \\c");
    rk_plot_text_plain(plain, sizeof plain, "ΔW_{full} σ_k ‖A‖_F^2");
    assert_string_equal(plain, "ΔW_full σ_k ‖A‖_F^2");
    /* truncation keeps an escape whole and always ends the string */
    rk_plot_text_literal(lit, 4, "a_b");
    assert_string_equal(lit, "a\\_");
    rk_plot_text_literal(lit, 3, "a_b");
    assert_string_equal(lit, "a");
}

static char *slurp_text(const char *path)
{
    unsigned char *data = NULL;
    size_t n = 0;
    rk_err err;
    if (rk_file_read_all(path, (size_t)1 << 20, &data, &n, &err) != RK_OK)
        fail_msg("cannot read %s: %s", path, err.msg);
    char *t = rk_alloc(n + 1);
    memcpy(t, data, n);
    t[n] = '\0';
    rk_free(data);
    return t;
}

/* The script of an XY plot: the palette, enhanced text, zeros left out and counted, rank tics. */
static void test_script(void **state)
{
    (void)state;
    double x[4] = { 1, 2, 4, 16 }, y0[4] = { 3, 1, 0, 0 }, y1[4] = { 2, 1, 0.5, 0.25 };
    rk_plot_series s[3] = {
        { .name = "W0", .x = x, .y = y1, .n = 4, .reference = true },
        { .name = "ΔW_{full}", .x = x, .y = y0, .n = 4 },
        { .name = "ΔW_{lora}", .x = x, .y = y1, .n = 4, .color = 2, .dash = 3 },
    };
    rk_plot_hline tol = { .name = "tolerance", .y = 0.1 };
    rk_plot_spec spec = { .kind = RK_PLOT_XY, .title = "σ_k", .xlabel = "rank r", .ylabel = "σ",
                          .logx = true, .logy = true, .series = s, .n_series = 3,
                          .hlines = &tol, .n_hlines = 1 };
    /* gnuplot is not needed to write the script: a program that does nothing stands in */
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("style.png"),
                        .gnuplot = "true" };
    rk_err err;
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    char *gp = slurp_text(rk_test_tmpfile("style.gp"));
    assert_non_null(strstr(gp, "pngcairo size 800,500 font 'sans,11' enhanced"));
    assert_non_null(strstr(gp, "set xtics (1, 2, 4, 16)"));
    char want[128];
    snprintf(want, sizeof want, "linecolor rgb '%s' dashtype %d", rk_plot_look_reference(0).rgb,
             rk_plot_look_reference(0).dash);
    assert_non_null(strstr(gp, want));                        /* W0 in grey */
    snprintf(want, sizeof want, "linecolor rgb '%s' dashtype %d", rk_plot_look_series(0).rgb,
             rk_plot_look_series(0).dash);
    assert_non_null(strstr(gp, want));                        /* the first series: slot 0 */
    snprintf(want, sizeof want, "linecolor rgb '%s' dashtype 3", rk_plot_look_series(1).rgb);
    assert_non_null(strstr(gp, want));                        /* color 2 = slot 1, its own dash */
    assert_non_null(strstr(gp, "using 1:($2 > 0 ? $2 : NaN)"));
    assert_non_null(strstr(gp, "('ΔW_{full}').' (2 zeros not drawn)'"));
    rk_free(gp);
    /* the data file keeps every value, the zeros too */
    char *dat = slurp_text(rk_test_tmpfile("style.dat"));
    assert_non_null(strstr(dat, "# series 1: ΔW_full\n1 3\n2 1\n4 0\n16 0\n"));
    rk_free(dat);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slots_distinct),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_script),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
