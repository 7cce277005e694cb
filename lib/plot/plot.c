/* plot.c — rk_plot_draw(): check the spec, write data and script, run gnuplot. */
#include "plot/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "io/file.h"
#include "plot/gnuplot.h"
#include "plot/plot_internal.h"

const char *rk_plot_gnuplot_program(void)
{
    const char *p = getenv("RANKLAB_GNUPLOT");
    return p && *p ? p : "gnuplot";
}

rk_status rk_plot_format_parse(const char *name, rk_plot_format *format)
{
    if (!name || !format)
        return RK_EINVAL;
    if (!strcmp(name, "png"))
        *format = RK_PLOT_PNG;
    else if (!strcmp(name, "svg"))
        *format = RK_PLOT_SVG;
    else if (!strcmp(name, "term") || !strcmp(name, "dumb") || !strcmp(name, "text"))
        *format = RK_PLOT_TERM;
    else
        return RK_EINVAL;
    return RK_OK;
}

rk_status rk_plot_format_for(const char *arg, const char *forced, rk_plot_format *format)
{
    if (!arg || !format)
        return RK_EINVAL;
    if (forced)
        return rk_plot_format_parse(forced, format);
    size_t n = strlen(arg);
    if (!strcmp(arg, "-"))
        *format = RK_PLOT_TERM;
    else if (n >= 4 && !strcmp(arg + n - 4, ".svg"))
        *format = RK_PLOT_SVG;
    else
        *format = RK_PLOT_PNG;
    return RK_OK;
}

static rk_status check_xy(const rk_plot_spec *spec, rk_err *err)
{
    if (!spec->series || spec->n_series == 0)
        return rk_err_set(err, RK_EINVAL, "an xy plot needs at least one series");
    bool uses_y2 = false;
    for (size_t s = 0; s < spec->n_series; s++) {
        const rk_plot_series *sr = &spec->series[s];
        if (!sr->name || !sr->y || sr->n == 0)
            return rk_err_set(err, RK_EINVAL, "series %zu needs a name and at least one point", s);
        if ((unsigned)sr->style > RK_PLOT_POINTS || sr->color < 0 || sr->color > 64)
            return rk_err_set(err, RK_EINVAL, "series %zu has an unknown style or colour", s);
        uses_y2 |= sr->y2;
    }
    if (spec->n_hlines && !spec->hlines)
        return rk_err_set(err, RK_EINVAL, "%zu reference lines but no array", spec->n_hlines);
    for (size_t h = 0; h < spec->n_hlines; h++) {
        const rk_plot_hline *hl = &spec->hlines[h];
        bool log = hl->y2 ? spec->logy2 : spec->logy;
        if (!hl->name || !isfinite(hl->y) || (log && hl->y <= 0))
            return rk_err_set(err, RK_EINVAL, "reference line %zu needs a name and a finite "
                              "height (> 0 on a log axis)", h);
        uses_y2 |= hl->y2;
    }
    if (uses_y2 && !spec->y2label)
        return rk_err_set(err, RK_EINVAL, "the right-hand axis is used but has no label");
    return RK_OK;
}

static rk_status check(const rk_plot_spec *spec, const rk_plot_out *out, rk_err *err)
{
    if (!spec || !out)
        return rk_err_set(err, RK_EINVAL, "no plot spec or output");
    if (!spec->title || !spec->xlabel || !spec->ylabel)
        return rk_err_set(err, RK_EINVAL, "a plot needs a title and both axis labels");
    if ((unsigned)out->format > RK_PLOT_TERM)
        return rk_err_set(err, RK_EINVAL, "unknown plot format");
    unsigned max = out->format == RK_PLOT_TERM ? 1000 : 20000;
    if (out->width > max || out->height > max)
        return rk_err_set(err, RK_EINVAL, "a plot of %u x %u is too large (at most %u)", out->width,
                          out->height, max);
    if (out->format != RK_PLOT_TERM && (!out->path || !*out->path))
        return rk_err_set(err, RK_EINVAL, "a PNG or SVG plot needs an output path");
    if (out->path) {
        size_t n = strlen(out->path);
        if ((n >= 4 && !strcmp(out->path + n - 4, ".dat")) ||
            (n >= 3 && !strcmp(out->path + n - 3, ".gp")))
            return rk_err_set(err, RK_EINVAL, "the picture cannot be named .dat or .gp: "
                              "those names are for its data and script");
    }
    switch (spec->kind) {
    case RK_PLOT_XY:
        return check_xy(spec, err);
    case RK_PLOT_HEATMAP:
    case RK_PLOT_IMAGE:
        if (!spec->z || !spec->z->data || spec->z->rows == 0 || spec->z->cols == 0)
            return rk_err_set(err, RK_EINVAL, "a heatmap or image needs a non-empty matrix");
        return RK_OK;
    }
    return rk_err_set(err, RK_EINVAL, "unknown plot kind");
}

/* PATH without its extension, plus @p ext (".dat", ".gp"); NULL when out of memory. */
static char *sibling_path(const char *path, const char *ext)
{
    size_t n = strlen(path);
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash + 1))
        n = (size_t)(dot - path);
    size_t e = strlen(ext);
    char *p = rk_alloc(n + e + 1);
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, ext, e + 1);
    }
    return p;
}

/* Put the name of the file that failed in front of the message (several files are written). */
static rk_status name_file(rk_err *err, rk_status st, const char *path)
{
    if (st && err) {
        char msg[RK_ERRMSG_MAX];
        snprintf(msg, sizeof msg, "%s", err->msg);
        rk_err_set(err, st, "%s: %s", path, msg);
    }
    return st;
}

static rk_status write_data_file(const char *path, const rk_plot_spec *spec, rk_err *err)
{
    rk_atomic_file af;
    rk_status st = rk_atomic_open(&af, path, err);
    if (st)
        return name_file(err, st, path);
    rk_plot_write_data(af.f, spec, spec->z);
    return name_file(err, rk_atomic_commit(&af, err), path);
}

static rk_status write_script_file(const char *path, const rk_plot_spec *spec,
                                   const rk_plot_script_ctx *ctx, rk_err *err)
{
    rk_atomic_file af;
    rk_status st = rk_atomic_open(&af, path, err);
    if (st)
        return name_file(err, st, path);
    rk_plot_write_script(af.f, spec, ctx);
    return name_file(err, rk_atomic_commit(&af, err), path);
}

/*
 * The matrix the dumb terminal shows: @p z averaged over blocks of
 * br × bc cells so that it fits the character grid (one cell per character).
 */
static rk_status term_matrix(rk_mat *t, const rk_mat *z, const rk_plot_script_ctx *ctx)
{
    size_t br = ctx->block_rows, bc = ctx->block_cols;
    rk_status st = rk_mat_create(t, (z->rows + br - 1) / br, (z->cols + bc - 1) / bc);
    if (st)
        return st;
    for (size_t i = 0; i < t->rows; i++)
        for (size_t j = 0; j < t->cols; j++) {
            double sum = 0;
            size_t cnt = 0;
            for (size_t a = i * br; a < (i + 1) * br && a < z->rows; a++)
                for (size_t b = j * bc; b < (j + 1) * bc && b < z->cols; b++)
                    if (isfinite(RK_AT(z, a, b))) {
                        sum += RK_AT(z, a, b);
                        cnt++;
                    }
            RK_AT(t, i, j) = cnt ? sum / (double)cnt : NAN;
        }
    return RK_OK;
}

static rk_status draw_term(const rk_plot_spec *spec, const rk_plot_out *out,
                           rk_plot_script_ctx *ctx, const char *program, rk_err *err)
{
    if (out->text)
        *out->text = NULL;
    rk_mat small = { 0 };
    const rk_mat *drawn = spec->z;
    if (spec->kind != RK_PLOT_XY) {
        size_t maxc = ctx->width > 24 ? ctx->width - 14 : 10;
        size_t maxr = ctx->height > 10 ? ctx->height - 6 : 4;
        ctx->block_cols = (spec->z->cols + maxc - 1) / maxc;
        ctx->block_rows = (spec->z->rows + maxr - 1) / maxr;
        if (ctx->block_cols > 1 || ctx->block_rows > 1) {
            if (term_matrix(&small, spec->z, ctx))
                return rk_err_set(err, RK_ENOMEM, "out of memory");
            drawn = &small;
        }
        ctx->term_z = drawn;
    }
    FILE *script = tmpfile();
    if (!script) {
        rk_mat_free(&small);
        return rk_err_set(err, RK_EIO, "cannot create a temporary file for the gnuplot script");
    }
    /* The data travels inside the script, as the datablock $data. */
    fputs("$data << EOD\n", script);
    rk_plot_write_data(script, spec, drawn);
    fputs("EOD\n", script);
    rk_plot_write_script(script, spec, ctx);
    rk_mat_free(&small);
    rk_status st = RK_OK;
    if (ferror(script) || fflush(script) != 0)
        st = rk_err_set(err, RK_EIO, "cannot write the gnuplot script");
    rewind(script);
    char *text = NULL;
    size_t len = 0;
    if (st == RK_OK)
        st = rk_gnuplot_run(program, script, &text, &len, err);
    fclose(script);
    if (st)
        return st;
    if (out->term && (fwrite(text, 1, len, out->term) != len || fflush(out->term) != 0))
        st = rk_err_set(err, RK_EIO, "cannot write the terminal plot");
    if (out->text && st == RK_OK)
        *out->text = text;
    else
        rk_free(text);
    return st;
}

/* The last component of @p path. */
static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static rk_status draw_file(const rk_plot_spec *spec, const rk_plot_out *out,
                           rk_plot_script_ctx *ctx, const char *program, const char *gp_path,
                           rk_err *err)
{
    /* The kept script names the picture and the data by their names in its
     * own folder (they are siblings), so it still draws after the folder is
     * moved or swapped in whole (lib/io/output.h); the one run names a
     * temporary beside the picture. */
    const char *data_file = ctx->data_file;
    ctx->output = base_name(out->path);
    ctx->data_file = data_file ? base_name(data_file) : NULL;
    rk_status st = write_script_file(gp_path, spec, ctx, err);
    ctx->data_file = data_file;
    if (st)
        return st;
    rk_atomic_file pic;
    if ((st = rk_atomic_open(&pic, out->path, err)))
        return name_file(err, st, out->path);
    FILE *script = tmpfile();
    if (!script) {
        rk_atomic_abort(&pic);
        return rk_err_set(err, RK_EIO, "cannot create a temporary file for the gnuplot script");
    }
    ctx->output = pic.tmp_path;
    rk_plot_write_script(script, spec, ctx);
    if (ferror(script) || fflush(script) != 0)
        st = rk_err_set(err, RK_EIO, "cannot write the gnuplot script");
    rewind(script);
    if (st == RK_OK)
        st = rk_gnuplot_run(program, script, NULL, NULL, err);
    fclose(script);
    if (st == RK_OK) /* gnuplot wrote the temporary: rename it into place */
        return name_file(err, rk_atomic_commit(&pic, err), out->path);
    rk_atomic_abort(&pic);
    return st;
}

rk_status rk_plot_draw(const rk_plot_spec *spec, const rk_plot_out *out, rk_err *err)
{
    rk_status st = check(spec, out, err);
    if (st)
        return st;
    bool term = out->format == RK_PLOT_TERM;
    rk_plot_script_ctx ctx = {
        .format = out->format,
        .width = out->width ? out->width : (term ? RK_PLOT_TERM_WIDTH : RK_PLOT_WIDTH),
        .height = out->height ? out->height
                  : term ? RK_PLOT_TERM_HEIGHT
                  : spec->kind == RK_PLOT_HEATMAP ? RK_PLOT_HEATMAP_HEIGHT : RK_PLOT_HEIGHT,
        .block_rows = 1,
        .block_cols = 1,
    };
    /* The legend goes below the plot: past four entries the picture grows to keep the plot's height. */
    size_t entries = spec->kind == RK_PLOT_XY ? spec->n_series + spec->n_hlines : 0;
    if (!term && out->height == 0 && entries > 4)
        ctx.height += 22 * (unsigned)(entries > 40 ? 36 : entries - 4);
    const char *program = out->gnuplot ? out->gnuplot : rk_plot_gnuplot_program();
    char *dat = NULL, *gp = NULL;
    /* "-" (the `--plot -` of the tools) means the terminal and no files. */
    bool files = out->path && !(term && !strcmp(out->path, "-"));
    if (files) {
        dat = sibling_path(out->path, ".dat");
        gp = sibling_path(out->path, ".gp");
        if (!dat || !gp) {
            rk_free(dat);
            rk_free(gp);
            return rk_err_set(err, RK_ENOMEM, "out of memory");
        }
        /* The data first: it stays useful when gnuplot is missing or fails. */
        st = write_data_file(dat, spec, err);
    }
    if (st == RK_OK && term) {
        st = draw_term(spec, out, &ctx, program, err);
    } else if (st == RK_OK) {
        ctx.data_file = dat;
        st = draw_file(spec, out, &ctx, program, gp, err);
    }
    rk_free(dat);
    rk_free(gp);
    return st;
}
