/*
 * inspect_plot.c — `ranklab inspect --plot`: every module's singular values
 * σ_k of ΔW = s·B·A against k on one log-scale scree plot
 * (rk_plot_spectra(), lib/plot/scree.c).
 *
 * The legend stays readable: the dotted parts every module name shares at
 * its start and its end ("transformer.h." … ".attn.c_attn") go once into the
 * title as a pattern (transformer.h.*.attn.c_attn) and each legend entry is
 * the part that differs with the shared component just before it ("h.0",
 * "h.1", …). Beyond INSPECT_PLOT_MAX_CURVES
 * modules one curve each cannot be told apart: the plot then shows the
 * spread across modules — the largest, median and smallest σ_k for each k.
 */
#include "inspect_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * The lengths of the longest prefix ending in '.' and the longest suffix
 * starting with '.' that all names share, leaving every name at least one
 * character of its own. Both 0 for a single name.
 */
static void shared_parts(const rk_plot_spectrum *sp, size_t n, size_t *pre, size_t *suf)
{
    *pre = *suf = 0;
    if (n < 2)
        return;
    const char *a = sp[0].name;
    size_t la = strlen(a), p = la, s = la, minlen = la;
    for (size_t i = 1; i < n; i++) {
        const char *b = sp[i].name;
        size_t lb = strlen(b), c = 0, d = 0;
        while (c < p && c < lb && a[c] == b[c])
            c++;
        while (d < s && d < lb && a[la - 1 - d] == b[lb - 1 - d])
            d++;
        p = c;
        s = d;
        minlen = lb < minlen ? lb : minlen;
    }
    while (p > 0 && a[p - 1] != '.')
        p--;
    while (s > 0 && a[la - s] != '.')
        s--;
    if (p + s >= minlen)
        s = 0;
    if (p >= minlen)
        p = 0;
    *pre = p;
    *suf = s;
}

/* PATH without its extension, plus ".dat": where lib/plot writes the numbers (NULL: no memory). */
static char *data_path(const char *path)
{
    size_t n = strlen(path);
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    if (dot && (!slash || dot > slash + 1))
        n = (size_t)(dot - path);
    char *p = malloc(n + 5);
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, ".dat", 5);
    }
    return p;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a < b) ? -1 : (a > b);
}

/*
 * The spread across modules: for each k, the largest, the median and the
 * smallest σ_k of the modules that have a k-th value, into @p buf: three
 * curves of kmax values each. Returns kmax, or 0 when out of memory.
 */
static size_t spread(const rk_plot_spectrum *sp, size_t n, double *buf, size_t kmax)
{
    double *hi = buf, *med = buf + kmax, *lo = buf + 2 * kmax;
    double *vals = malloc(n * sizeof *vals);
    if (!vals)
        return 0;
    for (size_t k = 0; k < kmax; k++) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (k < sp[i].k)
                vals[m++] = sp[i].s[k];
        qsort(vals, m, sizeof *vals, cmp_double);
        lo[k] = vals[0];
        hi[k] = vals[m - 1];
        med[k] = m % 2 ? vals[m / 2] : 0.5 * (vals[m / 2 - 1] + vals[m / 2]);
    }
    free(vals);
    return kmax;
}

/* Draw the curves; the caller reports what came of it. */
static rk_status draw(const rk_plot_spectrum *spectra, size_t n, const rk_plot_out *po,
                      rk_err *err)
{
    size_t pre, suf, kmax = 0;
    shared_parts(spectra, n, &pre, &suf);
    /* The legend keeps the last shared component before the part that differs ("h.0", "layers.1"). */
    size_t keep = pre ? pre - 1 : 0;
    while (keep > 0 && spectra[0].name[keep - 1] != '.')
        keep--;
    for (size_t i = 0; i < n; i++)
        kmax = spectra[i].k > kmax ? spectra[i].k : kmax;
    const char *first = spectra[0].name;
    char pattern[256] = "", raw[128] = "";
    if (pre || suf) {
        snprintf(raw, sizeof raw, " %.*s*%s", (int)pre, first, first + strlen(first) - suf);
        rk_plot_text_literal(pattern, sizeof pattern, raw);
    }
    char title[sizeof pattern + 128];
    rk_status st = RK_ENOMEM;
    if (n <= INSPECT_PLOT_MAX_CURVES) {
        snprintf(title, sizeof title, "Singular values of ΔW = s·B·A: %zu module%s%s", n,
                 n == 1 ? "" : "s", pattern);
        rk_plot_spectrum *curves = calloc(n, sizeof *curves);
        char **names = calloc(n, sizeof *names);
        bool ok = curves && names;
        for (size_t i = 0; ok && i < n; i++) {
            size_t len = strlen(spectra[i].name) - keep - suf;
            char *raw = malloc(len + 1);
            /* Module names are shown as they are (no sub- or superscripts): escaped, at most 2·len. */
            ok = raw && (names[i] = malloc(2 * len + 1)) != NULL;
            if (ok) {
                memcpy(raw, spectra[i].name + keep, len);
                raw[len] = '\0';
                rk_plot_text_literal(names[i], 2 * len + 1, raw);
                curves[i] = (rk_plot_spectrum){ .name = names[i], .s = spectra[i].s, .k = spectra[i].k };
            }
            free(raw);
        }
        st = ok ? rk_plot_spectra(curves, n, false, NAN, title, po, err)
                : rk_err_set(err, RK_ENOMEM, "out of memory");
        for (size_t i = 0; names && i < n; i++)
            free(names[i]);
        free(names);
        free(curves);
        return st;
    }
    snprintf(title, sizeof title, "Singular values of ΔW = s·B·A: spread over %zu modules%s", n,
             pattern);
    double *buf = malloc(3 * kmax * sizeof *buf);
    if (!buf || !spread(spectra, n, buf, kmax)) {
        free(buf);
        return rk_err_set(err, RK_ENOMEM, "out of memory");
    }
    char hi_name[80];
    snprintf(hi_name, sizeof hi_name, "largest σ_k of the %zu modules", n);
    rk_plot_spectrum env[3] = { { .name = hi_name, .s = buf, .k = kmax },
                                { .name = "median σ_k", .s = buf + kmax, .k = kmax },
                                { .name = "smallest σ_k", .s = buf + 2 * kmax, .k = kmax } };
    st = rk_plot_spectra(env, 3, false, NAN, title, po, err);
    free(buf);
    return st;
}

int inspect_plot(const char *arg, const char *format, const rk_plot_spectrum *spectra, size_t n,
                 bool announce)
{
    rk_plot_out po = { .path = arg, .term = stdout };
    if (rk_plot_format_for(arg, format, &po.format) != RK_OK)
        return cli_fail("inspect", arg, RK_EINVAL, NULL);
    bool term = po.format == RK_PLOT_TERM;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += rk_spectrum_fro(spectra[i].s, spectra[i].k);
    if (n == 0 || !(total > 0)) {
        fprintf(stderr, "ranklab inspect: %s: no plot drawn: every ΔW is 0, and 0 has no place "
                        "on a log scale\n", arg);
        return RK_EXIT_OK;
    }
    if (term) {
        fflush(stdout);
        printf("\n");
    }
    rk_err err;
    rk_status st = draw(spectra, n, &po, &err);
    char *dat = term ? NULL : data_path(arg);
    if (!term && !dat)
        st = rk_err_set(&err, RK_ENOMEM, "out of memory");
    int rc = RK_EXIT_OK;
    if (st == RK_EPLOT) {
        /* lib/plot wrote the numbers before it ran gnuplot: say where they are and carry on. */
        fprintf(stderr, "ranklab inspect: %s: no plot drawn: %s%s%s\n", arg,
                rk_err_message(&err, st), dat ? "; the numbers are in " : "", dat ? dat : "");
    } else if (st != RK_OK) {
        rc = cli_fail("inspect", arg, st, &err);
    } else if (announce && !term) {
        size_t len = strlen(dat) - 4;
        printf("\nplot: %s (numbers: %s, gnuplot script: %.*s.gp)\n", arg, dat, (int)len, dat);
    }
    free(dat);
    return rc;
}
