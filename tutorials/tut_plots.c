/*
 * tut_plots.c — text pictures, PGM files and gnuplot plots of the tutorials
 * (see tut_plots.h).
 */
#include "tut_plots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__has_include)
#if __has_include("plot/plot.h")
#include "plot/plot.h"
#define TUT_HAVE_PLOT 1
#endif
#endif

static const char RAMP[] = " .:-=+*#%@";

static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

/* The ramp character for the mean of the block at (r, c), rstep × cstep. */
static char block_char(const rk_mat *m, size_t r, size_t c, size_t rstep, size_t cstep)
{
    double sum = 0;
    size_t cnt = 0;
    for (size_t i = r; i < r + rstep && i < m->rows; i++)
        for (size_t j = c; j < c + cstep && j < m->cols; j++, cnt++)
            sum += clamp01(RK_AT(m, i, j));
    double v = cnt ? sum / (double)cnt : 0;
    size_t idx = (size_t)lround(v * (double)(sizeof RAMP - 2));
    return RAMP[idx];
}

void tut_ascii_image(tut_runner *t, const rk_mat *m, size_t r0, size_t c0, size_t nrows,
                     size_t ncols, size_t rstep, size_t cstep)
{
    if (rstep == 0 || cstep == 0)
        return;
    for (size_t r = r0; r < r0 + nrows && r < m->rows; r += rstep) {
        char line[512];
        size_t len = 0;
        for (size_t c = c0; c < c0 + ncols && c < m->cols && len + 1 < sizeof line; c += cstep)
            line[len++] = block_char(m, r, c, rstep, cstep);
        line[len] = '\0';
        tut_printf(t, "  |%s|\n", line);
    }
}

void tut_ascii_panels(tut_runner *t, const rk_mat *const *panels, const char *const *names,
                      size_t n, size_t side)
{
    enum { RSTEP = 4, CSTEP = 2, COLUMNS = 80 };
    size_t width = (side + CSTEP - 1) / CSTEP + 3;      /* "|…| " */
    size_t per_row = (COLUMNS - 2) / width;
    per_row = per_row ? per_row : 1;
    for (size_t p = 0; p < n; p += per_row) {
        size_t q = p + per_row < n ? p + per_row : n;
        tut_printf(t, " ");
        for (size_t i = p; i < q; i++)
            tut_printf(t, "  %-*s", (int)width - 2, names[i]);
        tut_printf(t, "\n");
        for (size_t r = 0; r < side; r += RSTEP) {
            tut_printf(t, " ");
            for (size_t i = p; i < q; i++) {
                char line[256];
                size_t len = 0;
                for (size_t c = 0; c < side && len + 1 < sizeof line; c += CSTEP)
                    line[len++] = block_char(panels[i], r, c, RSTEP, CSTEP);
                line[len] = '\0';
                tut_printf(t, " |%s|", line);
            }
            tut_printf(t, "\n");
        }
    }
}

rk_status tut_write_pgm(const char *path, const rk_mat *m, rk_err *err)
{
    char head[64];
    int hl = snprintf(head, sizeof head, "P5\n%zu %zu\n255\n", m->cols, m->rows);
    size_t npix = 0;
    if (hl < 0 || !rk_size_mul(m->rows, m->cols, &npix))
        return rk_err_set(err, RK_EOVERFLOW, "image too large");
    unsigned char *buf = rk_alloc((size_t)hl + npix);
    if (!buf)
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    memcpy(buf, head, (size_t)hl);
    for (size_t i = 0; i < m->rows; i++)
        for (size_t j = 0; j < m->cols; j++)
            buf[(size_t)hl + i * m->cols + j] = (unsigned char)lround(255.0 * clamp01(RK_AT(m, i, j)));
    rk_status s = rk_file_write_all(path, buf, (size_t)hl + npix, err);
    rk_free(buf);
    return s;
}

#ifdef TUT_HAVE_PLOT

/* A plot drawn to the terminal by tut_plot(), or to a PNG file. */
typedef struct plot_job {
    const rk_plot_spectrum *spectra;
    size_t n;
    double tol;
    bool energy;
    const char *title;
    const rk_mat *img;
} plot_job;

static rk_status draw_job(const plot_job *j, const rk_plot_out *out, rk_err *err)
{
    if (j->img) {
        rk_plot_spec spec = { .kind = RK_PLOT_IMAGE, .title = j->title, .xlabel = "column",
                              .ylabel = "row", .zlabel = "pixel", .z = j->img, .zmin = 0,
                              .zmax = 1 };
        return rk_plot_draw(&spec, out, err);
    }
    /* The lessons discuss the ranks that keep 90% and 99% of the energy: both lines drawn. */
    rk_plot_scree_opts o = { .energy = j->energy, .tol = j->tol, .energy_lines = j->energy,
                             .title = j->title };
    return rk_plot_spectra_with(j->spectra, j->n, &o, out, err);
}

/* The runner's plot hook: on failure tut_plot() prints one line itself. */
static rk_status draw_term(FILE *f, void *arg)
{
    rk_plot_out out = { .format = RK_PLOT_TERM, .term = f };
    return draw_job(arg, &out, NULL);
}

/* Draw @p j in the terminal (@p term) and as DIR/NAME.png; true when the PNG was written. */
static bool run_job(tut_runner *t, const plot_job *j, const char *name, bool term, bool announce)
{
    if (tut_quiet(t))
        return false;
    if (term)
        tut_plot(t, draw_term, (void *)j);
    const char *dir = tut_out_dir(t);
    if (!dir)
        return false;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    rk_plot_out out = { .format = RK_PLOT_PNG, .path = path };
    rk_err err;
    rk_status s = draw_job(j, &out, &err);
    if (s == RK_OK && announce)
        tut_printf(t, "  wrote %s\n", path);
    else if (s != RK_OK)
        tut_printf(t, "  (no %s: %s)\n", path, rk_err_message(&err, s));
    return s == RK_OK;
}

void tut_scree(tut_runner *t, const double *s, size_t k, double tol, const char *title,
               const char *name)
{
    rk_plot_spectrum sp = { .name = "singular value σ_k", .s = s, .k = k };
    plot_job j = { .spectra = &sp, .n = 1, .tol = tol, .energy = true, .title = title };
    run_job(t, &j, name, true, true);
}

void tut_spectra(tut_runner *t, const char *const *names, const double *const *s,
                 const size_t *k, size_t n, const char *title, const char *name)
{
    rk_plot_spectrum sp[16];
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++)
        sp[i] = (rk_plot_spectrum){ .name = names[i], .s = s[i], .k = k[i] };
    plot_job j = { .spectra = sp, .n = n, .tol = 0, .energy = true, .title = title };
    run_job(t, &j, name, true, true);
}

bool tut_image_png(tut_runner *t, const rk_mat *img, const char *name, const char *title)
{
    plot_job j = { .title = title, .img = img };
    return run_job(t, &j, name, false, false);
}

static rk_status draw_spec_term(FILE *f, void *arg)
{
    rk_plot_out out = { .format = RK_PLOT_TERM, .term = f };
    return rk_plot_draw(arg, &out, NULL);
}

void tut_show_plot(tut_runner *t, rk_plot_spec *spec, const char *name)
{
    tut_plot(t, draw_spec_term, spec);
    const char *dir = tut_out_dir(t);
    if (!dir || tut_quiet(t))
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.png", dir, name);
    rk_plot_out o = { .format = RK_PLOT_PNG, .path = path };
    rk_err err;
    rk_status s = rk_plot_draw(spec, &o, &err);
    if (s == RK_OK)
        tut_printf(t, "wrote %s (and its .dat, .gp)\n", path);
    else
        tut_printf(t, "(no %s: %s)\n", path, rk_err_message(&err, s));
}

#else /* no lib/plot in this build */

void tut_show_plot(tut_runner *t, rk_plot_spec *spec, const char *name)
{
    (void)spec, (void)name;
    tut_printf(t, "(no plot: this build has no lib/plot)\n");
}

void tut_scree(tut_runner *t, const double *s, size_t k, double tol, const char *title,
               const char *name)
{
    (void)s, (void)k, (void)tol, (void)title, (void)name;
    tut_printf(t, "(no plot: this build has no lib/plot)\n");
}

void tut_spectra(tut_runner *t, const char *const *names, const double *const *s,
                 const size_t *k, size_t n, const char *title, const char *name)
{
    (void)names, (void)s, (void)k, (void)n, (void)title, (void)name;
    tut_printf(t, "(no plot: this build has no lib/plot)\n");
}

bool tut_image_png(tut_runner *t, const rk_mat *img, const char *name, const char *title)
{
    (void)t, (void)img, (void)name, (void)title;
    return false;
}

#endif
