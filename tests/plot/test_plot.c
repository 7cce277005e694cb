/*
 * test_plot.c — lib/plot: every kind of plot to a valid PNG, a valid SVG and
 * the terminal; the data file beside it; gnuplot missing or failing; titles
 * that try to break out of their quotes; argument checks; allocation failures.
 */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* gnuplot on PATH? The drawing tests skip without it (the data-only paths still run). */
static bool have_gnuplot(void)
{
    const char *path = getenv("PATH");
    char buf[4096];
    for (const char *p = path ? path : ""; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof buf, "%.*s/gnuplot", (int)n, p);
        if (access(buf, X_OK) == 0)
            return true;
        p += n + (p[n] == ':');
    }
    return false;
}

#define NEED_GNUPLOT()                                                                  \
    do {                                                                                \
        if (!have_gnuplot()) {                                                          \
            print_message("# gnuplot is not installed (Debian package gnuplot-nox)\n"); \
            skip();                                                                     \
        }                                                                               \
    } while (0)

static unsigned char *slurp(const char *path, size_t *size)
{
    unsigned char *data = NULL;
    rk_err err;
    rk_status st = rk_file_read_all(path, (size_t)64 << 20, &data, size, &err);
    if (st)
        fail_msg("cannot read %s: %s", path, err.msg);
    return data;
}

/* A PNG: the 8-byte signature, an IHDR chunk first with the expected size, non-trivial content. */
static void assert_png(const char *path, unsigned width, unsigned height)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    size_t n;
    unsigned char *d = slurp(path, &n);
    assert_true(n > 5000);
    assert_memory_equal(d, sig, 8);
    assert_memory_equal(d + 12, "IHDR", 4);
    unsigned w = (unsigned)d[16] << 24 | (unsigned)d[17] << 16 | (unsigned)d[18] << 8 | d[19];
    unsigned h = (unsigned)d[20] << 24 | (unsigned)d[21] << 16 | (unsigned)d[22] << 8 | d[23];
    assert_int_equal(w, width);
    assert_int_equal(h, height);
    rk_free(d);
}

static size_t count(const char *hay, const char *needle)
{
    size_t c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        c++;
    return c;
}

/* An SVG: XML with an <svg> root and several paths and texts. */
static void assert_svg(const char *path)
{
    size_t n;
    char *d = (char *)slurp(path, &n);
    char *text = rk_alloc(n + 1);
    memcpy(text, d, n);
    text[n] = '\0';
    assert_true(n > 2000);
    assert_non_null(strstr(text, "<?xml"));
    assert_non_null(strstr(text, "<svg"));
    assert_non_null(strstr(text, "</svg>"));
    assert_true(count(text, "<path") >= 3);
    assert_true(count(text, "<text") >= 3);
    rk_free(text);
    rk_free(d);
}

/* Two series, one against the right-hand axis, and a reference line. */
static double xs[6] = { 1, 2, 4, 8, 16, 64 };
static double err_lora[6] = { 0.9, 0.8, 0.65, 0.5, 0.3, 0.1 };
static double err_ey[6] = { 0.85, 0.7, 0.55, 0.35, 0.2, 0.0 };

static rk_plot_spec xy_spec(rk_plot_series *s)
{
    s[0] = (rk_plot_series){ .name = "LoRA rel_err", .x = xs, .y = err_lora, .n = 6 };
    s[1] = (rk_plot_series){ .name = "Eckart-Young bound", .x = xs, .y = err_ey, .n = 6,
                             .style = RK_PLOT_LINES };
    return (rk_plot_spec){ .kind = RK_PLOT_XY, .title = "Error against rank",
                           .xlabel = "rank r (log scale)", .ylabel = "relative error",
                           .logx = true, .series = s, .n_series = 2 };
}

static void test_xy_png_svg_term(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    rk_plot_series s[2];
    rk_plot_spec spec = xy_spec(s);
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("xy.png") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_png(rk_test_tmpfile("xy.png"), RK_PLOT_WIDTH, RK_PLOT_HEIGHT);
    assert_true(exists(rk_test_tmpfile("xy.dat")));
    assert_true(exists(rk_test_tmpfile("xy.gp")));

    out = (rk_plot_out){ .format = RK_PLOT_SVG, .path = rk_test_tmpfile("xy.svg"), .width = 640,
                         .height = 480 };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_svg(rk_test_tmpfile("xy.svg"));

    char *text = NULL;
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .text = &text };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_non_null(text);
    assert_non_null(strstr(text, "Error against rank"));
    assert_non_null(strstr(text, "LoRA rel_err"));  /* the legend */
    rk_free(text);

    /* "-" names the terminal, not a file: no "-.dat" appears. */
    char *cwd_dat = "-.dat";
    text = NULL;
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .path = "-", .text = &text };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_false(exists(cwd_dat));
    rk_free(text);
}

/* The data file holds every point exactly (%.17g) under a header comment. */
static void test_data_file(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    rk_plot_series s[2];
    rk_plot_spec spec = xy_spec(s);
    err_ey[5] = NAN;  /* written as NaN, not drawn */
    rk_plot_out out = { .format = RK_PLOT_TERM, .path = rk_test_tmpfile("data.png") };
    FILE *sink = tmpfile();
    out.term = sink;
    assert_status(rk_plot_draw(&spec, &out, NULL), RK_OK);
    assert_true(ftell(sink) > 200);
    fclose(sink);
    assert_false(exists(rk_test_tmpfile("data.png")));  /* the terminal plot writes only the data */
    FILE *f = fopen(rk_test_tmpfile("data.dat"), "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "# Error against rank\n");
    size_t series = 0, points = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, "# series ", 9))
            series++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        double x, y;
        char ys[64];
        assert_int_equal(sscanf(line, "%lf %63s", &x, ys), 2);
        y = strtod(ys, NULL);
        const double *want = series == 1 ? err_lora : err_ey;
        assert_true(x == xs[points % 6]);
        if (isnan(want[points % 6]))
            assert_string_equal(ys, "NaN");
        else
            assert_true(y == want[points % 6]);
        points++;
    }
    fclose(f);
    err_ey[5] = 0.0;
    assert_int_equal(series, 2);
    assert_int_equal(points, 12);
}

static void test_scree(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    double sv[30];
    for (int i = 0; i < 30; i++)
        sv[i] = i < 20 ? pow(0.6, i) : 0.0;  /* rank 20: the zeros cannot go on a log axis */
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("scree.png") };
    assert_status(rk_plot_scree(sv, 30, 1e-4, NULL, &out, &err), RK_OK);
    assert_png(rk_test_tmpfile("scree.png"), RK_PLOT_WIDTH, RK_PLOT_HEIGHT);
    out = (rk_plot_out){ .format = RK_PLOT_SVG, .path = rk_test_tmpfile("scree.svg") };
    assert_status(rk_plot_scree(sv, 30, 1e-4, NULL, &out, &err), RK_OK);
    assert_svg(rk_test_tmpfile("scree.svg"));
    char *text = NULL;
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .text = &text, .width = 100, .height = 30 };
    assert_status(rk_plot_scree(sv, 30, 1e-4, "Spectrum of W0", &out, &err), RK_OK);
    assert_non_null(strstr(text, "Spectrum of W0"));
    assert_non_null(strstr(text, "rank tolerance 0.0001"));
    assert_non_null(strstr(text, "cumulative energy"));
    rk_free(text);

    /* Nothing to draw, or not a spectrum. */
    double zeros[3] = { 0, 0, 0 }, neg[2] = { 1, -1 };
    assert_status(rk_plot_scree(zeros, 3, 0, NULL, &out, &err), RK_EINVAL);
    assert_status(rk_plot_scree(neg, 2, 0, NULL, &out, &err), RK_EINVAL);
    assert_status(rk_plot_scree(sv, 0, 0, NULL, &out, &err), RK_EINVAL);
}

/* Several spectra in one scree plot, one of them all zeros (not drawn, still in the data). */
static void test_spectra(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    double full[16], lora[8], zero[8] = { 0 };
    for (int i = 0; i < 16; i++)
        full[i] = 3.0 * pow(0.7, i);
    for (int i = 0; i < 8; i++)
        lora[i] = i < 4 ? 2.0 * pow(0.5, i) : 1e-9;
    rk_plot_spectrum sp[3] = { { .name = "dW_full", .s = full, .k = 16 },
                               { .name = "dW_lora r = 4", .s = lora, .k = 8 },
                               { .name = "dW_lora at init", .s = zero, .k = 8 } };
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("spectra.png") };
    assert_status(rk_plot_spectra(sp, 3, true, 1e-6, "Spectra", &out, &err), RK_OK);
    /* 3 spectra, 3 energy curves, the tolerance: 7 legend entries, 3 past four, 22 px each */
    assert_png(rk_test_tmpfile("spectra.png"), RK_PLOT_WIDTH, RK_PLOT_HEIGHT + 3 * 22);
    char *text = NULL;
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .text = &text, .height = 40 };
    assert_status(rk_plot_spectra(sp, 2, false, 0, "Spectra", &out, &err), RK_OK);
    assert_non_null(strstr(text, "dW_lora r = 4"));
    assert_null(strstr(text, "cumulative energy"));  /* energy off: no right-hand axis */
    rk_free(text);
    /* The data file: 3 spectra + 3 energy curves. */
    size_t n;
    char *d = (char *)slurp(rk_test_tmpfile("spectra.dat"), &n);
    char *t = rk_alloc(n + 1);
    memcpy(t, d, n);
    t[n] = '\0';
    assert_int_equal(count(t, "# series "), 6);
    assert_non_null(strstr(t, "# series 2: dW_lora r = 4"));
    rk_free(t);
    rk_free(d);

    sp[0] = (rk_plot_spectrum){ .name = "zeros", .s = zero, .k = 8 };
    sp[1] = sp[0];
    assert_status(rk_plot_spectra(sp, 3, true, 0, NULL, &out, &err), RK_EINVAL);
    double neg[2] = { 1, -1 };
    rk_plot_spectrum bad = { .name = "bad", .s = neg, .k = 2 };
    assert_status(rk_plot_spectra(&bad, 1, true, 0, NULL, &out, &err), RK_EINVAL);
    assert_non_null(strstr(err.msg, "bad"));
    assert_status(rk_plot_spectra(sp, 0, true, 0, NULL, &out, &err), RK_EINVAL);
    assert_status(rk_plot_spectra(sp, 17, true, 0, NULL, &out, &err), RK_EINVAL);
}

static void test_heatmap(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    rk_mat z;
    assert_status(rk_mat_create(&z, 8, 8), RK_OK);
    for (size_t i = 0; i < 8; i++)
        for (size_t j = 0; j < 8; j++)
            RK_AT(&z, i, j) = i == j ? 0.95 : 1.0 / (double)(2 + i + j);
    rk_plot_spec spec = { .kind = RK_PLOT_HEATMAP, .title = "Subspace similarity phi(i, j)",
                          .xlabel = "j", .ylabel = "i", .zlabel = "phi", .z = &z, .zmin = 0,
                          .zmax = 1, .index_base = 1 };
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("phi.png") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_png(rk_test_tmpfile("phi.png"), RK_PLOT_WIDTH, RK_PLOT_HEATMAP_HEIGHT);
    out = (rk_plot_out){ .format = RK_PLOT_SVG, .path = rk_test_tmpfile("phi.svg") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_svg(rk_test_tmpfile("phi.svg"));
    /* The terminal: one shade per cell, the diagonal darkest (@ for ≥ 0.9). */
    char *text = NULL;
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .text = &text };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_non_null(strstr(text, "Subspace similarity phi(i, j)"));
    assert_int_equal(count(text, "@"), 8 + 1);  /* + the shade legend */
    rk_free(text);
    rk_mat_free(&z);
}

static void test_image(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    rk_mat z;
    assert_status(rk_mat_create(&z, 96, 120), RK_OK);
    for (size_t i = 0; i < z.rows; i++)
        for (size_t j = 0; j < z.cols; j++)
            RK_AT(&z, i, j) = sin((double)i / 9.0) * cos((double)j / 13.0);
    rk_plot_spec spec = { .kind = RK_PLOT_IMAGE, .title = "Rank-8 reconstruction",
                          .xlabel = "column j (pixel)", .ylabel = "row i (pixel)",
                          .zlabel = "intensity", .z = &z };
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("img.png"), .width = 600,
                        .height = 600 };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_png(rk_test_tmpfile("img.png"), 600, 600);
    out = (rk_plot_out){ .format = RK_PLOT_SVG, .path = rk_test_tmpfile("img.svg") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_svg(rk_test_tmpfile("img.svg"));
    /* The terminal gets a block-averaged picture; the caller's FILE* receives it. */
    FILE *sink = tmpfile();
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .term = sink };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    size_t n = (size_t)ftell(sink);
    rewind(sink);
    char *text = rk_alloc(n + 1);
    assert_int_equal(fread(text, 1, n, sink), n);
    text[n] = '\0';
    fclose(sink);
    assert_non_null(strstr(text, "Rank-8 reconstruction"));
    assert_true(count(text, "@") >= 2 && count(text, "*") >= 10);
    rk_free(text);
    rk_mat_free(&z);
}

/* gnuplot missing: RK_EPLOT naming the package, the data still written, no picture. */
static void test_gnuplot_missing(void **state)
{
    (void)state;
    rk_plot_series s[2];
    rk_plot_spec spec = xy_spec(s);
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("nogp.png"),
                        .gnuplot = "/nonexistent/gnuplot" };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_EPLOT);
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    assert_true(exists(rk_test_tmpfile("nogp.dat")));
    assert_false(exists(rk_test_tmpfile("nogp.png")));

    /* The same through $RANKLAB_GNUPLOT, for a program name searched on PATH. */
    setenv("RANKLAB_GNUPLOT", "ranklab-no-such-gnuplot", 1);
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .path = rk_test_tmpfile("nogp2.png") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_EPLOT);
    assert_non_null(strstr(err.msg, "not found"));
    assert_non_null(strstr(err.msg, "gnuplot-nox"));
    assert_true(exists(rk_test_tmpfile("nogp2.dat")));
    unsetenv("RANKLAB_GNUPLOT");
    assert_string_equal(rk_plot_gnuplot_program(), "gnuplot");
}

/* gnuplot itself fails (nothing to draw on a log axis): its error line comes back. */
static void test_gnuplot_fails(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    double y[3] = { -1, -2, 0 };
    rk_plot_series s = { .name = "negative", .y = y, .n = 3 };
    rk_plot_spec spec = { .kind = RK_PLOT_XY, .title = "t", .xlabel = "x", .ylabel = "y",
                          .logy = true, .series = &s, .n_series = 1 };
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("fails.png") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_EPLOT);
    assert_non_null(strstr(err.msg, "gnuplot failed"));
    assert_false(exists(rk_test_tmpfile("fails.png")));
    assert_true(exists(rk_test_tmpfile("fails.dat")));
}

/* Quotes, backslashes, newlines, backquotes and @macros are drawn, never run. */
static void test_hostile_title(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    char marker[512], title[1200];
    snprintf(marker, sizeof marker, "%s", rk_test_tmpfile("injected"));
    snprintf(title, sizeof title,
             "it's ''a'' \\\"title\\\" \\\\ `touch %s` '; system('touch %s'); x='\n"
             "@GPVAL_TERM \\", marker, marker);
    rk_plot_series s[2];
    rk_plot_spec spec = xy_spec(s);
    spec.title = title;
    s[0].name = "series 'one' \\";
    char *text = NULL;
    rk_err err;
    rk_plot_out out = { .format = RK_PLOT_TERM, .text = &text, .width = 200 };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_false(exists(marker));
    /* The title as enhanced text shows it (escapes taken out), the newline as a space. */
    char want[1200];
    rk_plot_text_plain(want, sizeof want, title);
    *strchr(want, '\n') = ' ';
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "series 'one' \\"));
    rk_free(text);

    /* A file name with a quote in it, for the data file and the picture. */
    out = (rk_plot_out){ .format = RK_PLOT_SVG, .path = rk_test_tmpfile("it's.svg") };
    assert_status(rk_plot_draw(&spec, &out, &err), RK_OK);
    assert_svg(rk_test_tmpfile("it's.svg"));
    assert_true(exists(rk_test_tmpfile("it's.dat")));
    assert_false(exists(marker));
}

static void test_invalid(void **state)
{
    (void)state;
    rk_plot_series s[2];
    rk_plot_spec spec = xy_spec(s);
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("bad.png") };
    rk_err err;
    assert_status(rk_plot_draw(NULL, &out, &err), RK_EINVAL);
    assert_status(rk_plot_draw(&spec, NULL, &err), RK_EINVAL);

    rk_plot_spec b = spec;
    b.title = NULL;
    assert_status(rk_plot_draw(&b, &out, &err), RK_EINVAL);
    b = spec;
    b.n_series = 0;
    assert_status(rk_plot_draw(&b, &out, &err), RK_EINVAL);
    s[1].y2 = true;  /* right-hand axis without a label */
    assert_status(rk_plot_draw(&spec, &out, &err), RK_EINVAL);
    s[1].y2 = false;
    s[1].n = 0;
    assert_status(rk_plot_draw(&spec, &out, &err), RK_EINVAL);
    s[1].n = 6;
    s[1].style = (rk_plot_style)7;
    assert_status(rk_plot_draw(&spec, &out, &err), RK_EINVAL);
    s[1].style = RK_PLOT_LINES;
    rk_plot_hline h = { .name = "zero", .y = 0 };
    b = spec;
    b.logy = true;
    b.hlines = &h;
    b.n_hlines = 1;
    assert_status(rk_plot_draw(&b, &out, &err), RK_EINVAL);  /* 0 on a log axis */
    b.hlines = NULL;
    assert_status(rk_plot_draw(&b, &out, &err), RK_EINVAL);  /* a count without an array */
    b.hlines = &h;
    b.kind = RK_PLOT_HEATMAP;                                 /* no matrix */
    assert_status(rk_plot_draw(&b, &out, &err), RK_EINVAL);
    b.kind = (rk_plot_kind)9;
    assert_status(rk_plot_draw(&b, &out, &err), RK_EINVAL);

    rk_plot_out o = out;
    o.path = NULL;
    assert_status(rk_plot_draw(&spec, &o, &err), RK_EINVAL);
    o.path = rk_test_tmpfile("bad.dat");  /* would be overwritten by its own data */
    assert_status(rk_plot_draw(&spec, &o, &err), RK_EINVAL);
    o.path = rk_test_tmpfile("bad.png");
    o.width = 50000;
    assert_status(rk_plot_draw(&spec, &o, &err), RK_EINVAL);
    o.width = 0;
    o.format = (rk_plot_format)5;
    assert_status(rk_plot_draw(&spec, &o, &err), RK_EINVAL);
    assert_false(exists(rk_test_tmpfile("bad.png")));

    /* A directory that does not exist: the message names the file. */
    o = out;
    o.path = "/nonexistent-dir/plot.png";
    assert_status(rk_plot_draw(&spec, &o, &err), RK_ENOENT);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/plot.dat"));
}

static void test_format_names(void **state)
{
    (void)state;
    rk_plot_format f;
    assert_status(rk_plot_format_for("-", NULL, &f), RK_OK);
    assert_int_equal(f, RK_PLOT_TERM);
    assert_status(rk_plot_format_for("a/b.svg", NULL, &f), RK_OK);
    assert_int_equal(f, RK_PLOT_SVG);
    assert_status(rk_plot_format_for("a/b.png", NULL, &f), RK_OK);
    assert_int_equal(f, RK_PLOT_PNG);
    assert_status(rk_plot_format_for("a/b.png", "svg", &f), RK_OK);
    assert_int_equal(f, RK_PLOT_SVG);
    assert_status(rk_plot_format_for("a/b.png", "jpeg", &f), RK_EINVAL);
    assert_status(rk_plot_format_parse("dumb", &f), RK_OK);
    assert_int_equal(f, RK_PLOT_TERM);
    assert_status(rk_plot_format_parse(NULL, &f), RK_EINVAL);
}

/* Every allocation that can fail returns RK_ENOMEM and leaks nothing. */
static void test_alloc_failures(void **state)
{
    (void)state;
    NEED_GNUPLOT();
    double sv[4] = { 4, 3, 2, 1 };
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = rk_test_tmpfile("oom.png") };
    long n = 1;
    for (;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_plot_scree(sv, 4, 0, NULL, &out, NULL);
        long made = rk_test_alloc_count();
        rk_test_fail_alloc_after(0);
        if (st == RK_OK) {
            assert_true(made < n);
            break;
        }
        assert_status(st, RK_ENOMEM);
    }
    assert_true(n > 3);

    /* The terminal path: a block-averaged image and the captured text. */
    rk_mat z;
    assert_status(rk_mat_create(&z, 60, 200), RK_OK);
    rk_mat_fill(&z, 0.5);
    RK_AT(&z, 0, 0) = 1;
    rk_plot_spec spec = { .kind = RK_PLOT_IMAGE, .title = "t", .xlabel = "x", .ylabel = "y", .z = &z };
    char *text = NULL;
    out = (rk_plot_out){ .format = RK_PLOT_TERM, .text = &text };
    for (n = 1;; n++) {
        rk_test_fail_alloc_after(n);
        rk_status st = rk_plot_draw(&spec, &out, NULL);
        rk_test_fail_alloc_after(0);
        if (st == RK_OK)
            break;
        assert_status(st, RK_ENOMEM);
        assert_null(text);
    }
    assert_non_null(text);
    assert_true(n > 2);
    rk_free(text);
    rk_mat_free(&z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xy_png_svg_term),
        cmocka_unit_test(test_data_file),
        cmocka_unit_test(test_scree),
        cmocka_unit_test(test_spectra),
        cmocka_unit_test(test_heatmap),
        cmocka_unit_test(test_image),
        cmocka_unit_test(test_gnuplot_missing),
        cmocka_unit_test(test_gnuplot_fails),
        cmocka_unit_test(test_hostile_title),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_format_names),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
