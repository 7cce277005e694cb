/*
 * cmd_inspect.c — `ranklab inspect ADAPTER`: the spectrum of every LoRA update
 * ΔW = s·B·A in a PEFT adapter, computed from the small factors
 * (lib/linalg/factored.h, rk_factored_svd) without forming ΔW; the adapter is
 * read by lib/io/peft.h (rk_peft_read); the measures of each spectrum come
 * from lib/linalg/spectrum.h.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_output.h"
#include "cli_plot.h"
#include "commands.h"
#include "inspect_plot.h"

static const char inspect_usage[] =
    "usage: ranklab inspect [--json] [--plot FILE.png|FILE.svg|-] [--format png|svg]\n"
    "                       ADAPTER | --adapter ADAPTER\n\n"
    "ADAPTER is a PEFT LoRA adapter folder (adapter_config.json +\n"
    "adapter_model.safetensors) or its .safetensors file. For each adapted\n"
    "module: the shape of ΔW in the base weight's layout, r, the scale s,\n"
    "‖ΔW‖_F, the singular values of ΔW = s·B·A (from QR of B and Aᵀ and the\n"
    "r×r core, never forming ΔW), the effective rank exp(−Σ p log p) with\n"
    "p = σ/Σσ, and the smallest ranks keeping 90% and 99% of the energy Σσ²;\n"
    "then a summary across modules.\n\n"
    "  --json           print one JSON object (one line) instead of text\n"
    "  --plot FILE      draw the singular values of every module's ΔW on a\n"
    "                   log scale into FILE.png or FILE.svg, with FILE.dat\n"
    "                   (the numbers) and FILE.gp (the gnuplot script) beside\n"
    "                   it; - draws in the terminal, after the report\n"
    "  --format F       png or svg, whatever FILE's extension\n"
    "  --adapter DIR    the adapter as an option (the same as the argument)\n"
    "  -h, --help       show this help\n";

/* A model directory (model.safetensors or a sharded index) rather than an adapter. */
static bool is_model_dir(const char *path)
{
    static const char *const names[] = { "model.safetensors", RK_SHARDS_INDEX };
    for (size_t i = 0; i < 2; i++) {
        char p[4096];
        struct stat sb;
        if (snprintf(p, sizeof p, "%s/%s", path, names[i]) < (int)sizeof p && stat(p, &sb) == 0)
            return true;
    }
    return false;
}

/* One module's figures. */
typedef struct report {
    const rk_peft_module *m;
    rk_svd svd;
    double fro, eff;
    size_t r90, r99;
} report;

/* The shape of the update in the base weight's layout. */
static void base_shape(const rk_peft_module *m, size_t *rows, size_t *cols)
{
    *rows = m->fan_in_fan_out ? m->in : m->out;
    *cols = m->fan_in_fan_out ? m->out : m->in;
}

/* Figures across modules. */
typedef struct summary {
    double fro_min, fro_max, eff_mean;
    size_t r90_min, r90_max, r99_min, r99_max;
} summary;

static summary summarize(const rk_peft_adapter *ad, const report *rep)
{
    summary sm = { INFINITY, 0, 0, SIZE_MAX, 0, SIZE_MAX, 0 };
    for (size_t i = 0; i < ad->n_modules; i++) {
        sm.fro_min = fmin(sm.fro_min, rep[i].fro);
        sm.fro_max = fmax(sm.fro_max, rep[i].fro);
        sm.eff_mean += rep[i].eff / (double)ad->n_modules;
        sm.r90_min = rep[i].r90 < sm.r90_min ? rep[i].r90 : sm.r90_min;
        sm.r90_max = rep[i].r90 > sm.r90_max ? rep[i].r90 : sm.r90_max;
        sm.r99_min = rep[i].r99 < sm.r99_min ? rep[i].r99 : sm.r99_min;
        sm.r99_max = rep[i].r99 > sm.r99_max ? rep[i].r99 : sm.r99_max;
    }
    return sm;
}

/* Print s padded to |width| display columns (UTF-8 aware): right-aligned
 * when width > 0, left-aligned when width < 0. */
static void put_padded(const char *s, int width)
{
    int cols = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        cols += (*p & 0xC0) != 0x80;
    int pad = abs(width) - cols;
    if (width > 0)
        printf("%*s%s", pad > 0 ? pad : 0, "", s);
    else
        printf("%s%*s", s, pad > 0 ? pad : 0, "");
}

static void print_text(const char *path, const rk_peft_adapter *ad, const report *rep)
{
    const rk_peft_config *c = &ad->config;
    printf("%s: LoRA adapter, r = %zu, lora_alpha = %g, use_rslora = %s, fan_in_fan_out = %s, bias = %s\n",
           path, c->r, c->lora_alpha, c->use_rslora ? "true" : "false",
           c->fan_in_fan_out ? "true" : "false", c->bias);
    if (c->fan_in_fan_out)
        printf("fan_in_fan_out: base weights are stored (In, Out); the update there is (s·B·A)ᵀ\n");
    printf("%zu adapted module%s, %zu full tensor%s\n\n", ad->n_modules, ad->n_modules == 1 ? "" : "s",
           ad->n_full, ad->n_full == 1 ? "" : "s");
    size_t w = 6;
    for (size_t i = 0; i < ad->n_modules; i++)
        if (strlen(cli_name(ad->modules[i].name)) > w)   /* names escaped: cli_name */
            w = strlen(cli_name(ad->modules[i].name));
    printf("%-*s  ", (int)w, "module");
    put_padded("ΔW shape", -12);
    static const struct { const char *title; int width; } cols[] = {
        { "r", 5 }, { "scale", 9 }, { "‖ΔW‖_F", 12 }, { "σ₁", 12 }, { "eff.rank", 9 }, { "r90", 5 }, { "r99", 5 },
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        put_padded(cols[i].title, cols[i].width);
    printf("\n");
    for (size_t i = 0; i < ad->n_modules; i++) {
        const report *p = &rep[i];
        size_t rows, ncols; /* not `cols`: the column titles above */
        base_shape(p->m, &rows, &ncols);
        char shape[64];
        snprintf(shape, sizeof shape, "%zux%zu", rows, ncols);
        printf("%-*s  %-12s%5zu%9.4g%12.5g%12.5g%9.3f%5zu%5zu\n", (int)w, cli_name(p->m->name), shape,
               p->m->r, p->m->scale, p->fro, p->svd.k ? p->svd.s[0] : 0.0, p->eff, p->r90, p->r99);
    }
    printf("\nsingular values of ΔW:\n");
    for (size_t i = 0; i < ad->n_modules; i++) {
        printf("%-*s ", (int)w, cli_name(rep[i].m->name));
        for (size_t j = 0; j < rep[i].svd.k; j++)
            printf(" %.6g", rep[i].svd.s[j]);
        printf("\n");
    }
    for (size_t i = 0; i < ad->n_full; i++) {
        const rk_st_tensor *t = ad->full[i];
        printf("%sfull tensor %s %s (", i ? "" : "\n", cli_name(t->name), cli_name(t->dtype_name));
        for (int d = 0; d < t->ndim; d++)
            printf("%s%zu", d ? ", " : "", t->shape[d]);
        printf(")\n");
    }
    summary sm = summarize(ad, rep);
    printf("\nsummary: %zu modules; ‖ΔW‖_F from %.5g to %.5g; mean effective rank %.3f; "
           "rank for 90%% energy %zu–%zu, for 99%% %zu–%zu\n",
           ad->n_modules, sm.fro_min, sm.fro_max, sm.eff_mean, sm.r90_min, sm.r90_max, sm.r99_min,
           sm.r99_max);
}

static json_t *module_json(const report *p)
{
    size_t rows, cols;
    base_shape(p->m, &rows, &cols);
    json_t *sv = json_array();
    for (size_t j = 0; sv && j < p->svd.k; j++)
        json_array_append_new(sv, json_real(p->svd.s[j]));
    return json_pack("{s:s, s:[I,I], s:[I,I], s:b, s:I, s:f, s:f, s:f, s:o, s:f, s:I, s:I}",
                     "name", p->m->name, "shape", (json_int_t)rows, (json_int_t)cols,
                     "lora_shape_out_in", (json_int_t)p->m->out, (json_int_t)p->m->in,
                     "fan_in_fan_out", p->m->fan_in_fan_out, "r", (json_int_t)p->m->r,
                     "alpha", p->m->alpha, "scale", p->m->scale, "fro_norm", p->fro,
                     "singular_values", sv, "effective_rank", p->eff, "rank_90",
                     (json_int_t)p->r90, "rank_99", (json_int_t)p->r99);
}

static int print_json(const char *path, const rk_peft_adapter *ad, const report *rep)
{
    const rk_peft_config *c = &ad->config;
    json_t *mods = json_array(), *full = json_array();
    for (size_t i = 0; mods && i < ad->n_modules; i++)
        json_array_append_new(mods, module_json(&rep[i]));
    for (size_t i = 0; full && i < ad->n_full; i++) {
        const rk_st_tensor *t = ad->full[i];
        json_t *shape = json_array();
        for (int d = 0; shape && d < t->ndim; d++)
            json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
        json_array_append_new(full, json_pack("{s:s, s:s, s:o}", "name", t->name, "dtype",
                                              t->dtype_name, "shape", shape));
    }
    summary sm = summarize(ad, rep);
    json_t *sum = json_pack("{s:I, s:f, s:f, s:f, s:[I,I], s:[I,I]}", "modules",
                            (json_int_t)ad->n_modules, "fro_norm_min", sm.fro_min, "fro_norm_max",
                            sm.fro_max, "effective_rank_mean", sm.eff_mean, "rank_90_range",
                            (json_int_t)sm.r90_min, (json_int_t)sm.r90_max, "rank_99_range",
                            (json_int_t)sm.r99_min, (json_int_t)sm.r99_max);
    json_t *root = json_pack("{s:s, s:I, s:f, s:b, s:b, s:s, s:o, s:o, s:o}", "adapter", path, "r",
                             (json_int_t)c->r, "lora_alpha", c->lora_alpha, "use_rslora",
                             c->use_rslora, "fan_in_fan_out", c->fan_in_fan_out, "bias", c->bias,
                             "modules", mods, "full_tensors", full, "summary", sum);
    return cli_json_print("inspect", root);
}

/* --plot: one spectrum per module that has singular values, named by the module. */
static int plot(const char *arg, const char *format, const rk_peft_adapter *ad, const report *rep,
                bool announce)
{
    rk_plot_spectrum *sp = calloc(ad->n_modules ? ad->n_modules : 1, sizeof *sp);
    if (!sp)
        return cli_fail("inspect", arg, RK_ENOMEM, NULL);
    size_t n = 0;
    for (size_t i = 0; i < ad->n_modules; i++)
        if (rep[i].svd.k)
            sp[n++] = (rk_plot_spectrum){ .name = rep[i].m->name, .s = rep[i].svd.s, .k = rep[i].svd.k };
    int rc = inspect_plot(arg, format, sp, n, announce);
    free(sp);
    return rc;
}

static int inspect(const char *path, bool as_json, const char *plot_arg, const char *format)
{
    rk_peft_adapter ad;
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_peft_read(&ad, path, &err);
    if (st == RK_ENOENT && is_model_dir(path)) {
        fprintf(stderr, "ranklab inspect: %s: a model checkpoint, not a LoRA adapter; 'ranklab ls %s' lists "
                        "its tensors, 'ranklab delta BASE %s' compares it with its base\n", path, path, path);
        return RK_EXIT_RUNTIME;
    }
    if (st)
        return cli_fail("inspect", path, st, &err);
    report *rep = calloc(ad.n_modules, sizeof *rep);
    if (!rep) {
        rk_peft_free(&ad);
        return cli_fail("inspect", path, RK_ENOMEM, NULL);
    }
    for (size_t i = 0; !st && i < ad.n_modules; i++) {
        report *p = &rep[i];
        p->m = &ad.modules[i];
        st = rk_factored_svd(&p->svd, &p->m->b, &p->m->a, p->m->scale, RK_SVD_VALUES);
        if (st) {
            rk_err_set(&err, st, "module '%s': %s", p->m->name, rk_strerror(st));
            break;
        }
        /* lib/linalg/spectrum.h: √Σσ², exp(−Σ p log p), smallest r with energy ≥ frac */
        p->fro = rk_spectrum_fro(p->svd.s, p->svd.k);
        p->eff = rk_spectrum_effective_rank(p->svd.s, p->svd.k);
        p->r90 = rk_spectrum_rank_for_energy(p->svd.s, p->svd.k, 0.90);
        p->r99 = rk_spectrum_rank_for_energy(p->svd.s, p->svd.k, 0.99);
    }
    int rc = st ? cli_fail("inspect", path, st, &err)
                : as_json ? print_json(path, &ad, rep) : (print_text(path, &ad, rep), RK_EXIT_OK);
    if (rc == RK_EXIT_OK && plot_arg)
        rc = plot(plot_arg, format, &ad, rep, !as_json);
    for (size_t i = 0; i < ad.n_modules; i++)
        rk_svd_free(&rep[i].svd);
    free(rep);
    rk_peft_free(&ad);
    return rc;
}

/* What inspect's options fill. */
typedef struct inspect_opts {
    cli_plot_opts p;       /* --plot FILE, --format F */
    const char *adapter;   /* --adapter DIR */
    bool json;
} inspect_opts;

/* One option of inspect (cli_option_fn). */
static int inspect_option(const char *cmd, int c, const char *arg, void *opts)
{
    inspect_opts *o = opts;
    (void)cmd;
    if (c == 'j')
        o->json = true;
    else if (c == 'a')
        o->adapter = arg;
    else
        return cli_plot_option(c, arg, &o->p);
    return RK_EXIT_OK;
}

int cmd_inspect(int argc, char **argv)
{
    static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
                                          CLI_PLOT_LONGOPTS,
                                          { "adapter", required_argument, NULL, 'a' },
                                          { "help", no_argument, NULL, 'h' },
                                          { NULL, 0, NULL, 0 } };
    static const char *const usage[] = { inspect_usage, NULL };
    inspect_opts o = { .adapter = NULL };
    int rc = cli_options("inspect", argc, argv, ":h", opts, usage, inspect_option, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    bool as_json = o.json;
    const char *plot_arg = o.p.plot, *format = o.p.format, *adapter = o.adapter;
    if (adapter && optind < argc)
        return cli_usage_error("inspect", "give the adapter once: '%s' and --adapter %s",
                               argv[optind], adapter);
    if (!adapter && (rc = cli_one_file("inspect", argc, argv, optind, &adapter)) != RK_EXIT_OK)
        return rc;
    rk_plot_format f;
    if (format && !plot_arg)
        return cli_usage_error("inspect", "--format only applies to --plot");
    if (format && (rk_plot_format_parse(format, &f) != RK_OK || f == RK_PLOT_TERM))
        return cli_usage_error("inspect", "--format is png or svg, not '%s'", format);
    if (plot_arg && !*plot_arg)
        return cli_usage_error("inspect", "--plot wants FILE.png, FILE.svg or -");
    if (plot_arg && as_json && !strcmp(plot_arg, "-"))
        return cli_usage_error("inspect", "--plot - draws on standard output, which --json uses: "
                                          "give --plot FILE.png");
    if (plot_arg && (rc = cli_output_plot_check("inspect", plot_arg)) != RK_EXIT_OK)
        return rc;
    return inspect(adapter, as_json, plot_arg, format);
}
