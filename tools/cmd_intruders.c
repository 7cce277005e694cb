/*
 * cmd_intruders.c — `ranklab intruders BASE FINETUNED`: the intruder
 * dimensions of a fine-tune (Shuttleworth et al., arXiv 2410.21228) and,
 * with --scale λ -o OUT, the fine-tune with them scaled by λ.
 *
 * For each weight matrix, with W0 = U·diag(σ)·Vᵀ and W_ft = U′·diag(σ′)·V′ᵀ:
 *   c_i = max_j |u′_iᵀ u_j| for the top K left vectors u′_i of W_ft,
 *   u′_i is an intruder when c_i < ε;
 *   W′ = W_ft + (λ − 1)·Σ_{intruders} σ′_i u′_i v′_iᵀ.
 * The math is lib/analysis/intruders.h; the inputs and the output are
 * tools/intruders_io.c.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "cli_plot.h"
#include "commands.h"
#include "intruders_cli.h"

static const char intruders_usage[] =
    "usage: ranklab intruders BASE FINETUNED [--top K] [--eps E] [--tensor NAME]\n"
    "                         [--scale LAMBDA -o OUT] [--plot FILE.png|FILE.svg|-]\n"
    "                         [--format png|svg] [--json]\n"
    "\n"
    "Intruder dimensions of a fine-tune: for each weight matrix, the top K left\n"
    "singular vectors u'_i of W_ft = W0 + dW are compared with every left\n"
    "singular vector u_j of W0,\n"
    "  c_i = max_j |u'_i . u_j|,   u'_i is an intruder when c_i < E,\n"
    "a strong direction of the fine-tuned weight that no pretrained direction\n"
    "resembles (Shuttleworth et al., arXiv 2410.21228).\n"
    "\n"
    "BASE and FINETUNED are two .safetensors models (every 2-d tensor with the\n"
    "same name and shape in both; the others are listed as skipped), two .npy\n"
    "files, or BASE.safetensors and a PEFT LoRA adapter folder applied to it\n"
    "(W_ft = W0 + s B A for each adapted module MODULE, W0 = MODULE.weight).\n"
    "\n"
    "Options:\n"
    "  --top K          test the top K vectors (default 10); 1 <= K <= min(m, n)\n"
    "                   of every matrix tested\n"
    "  --eps E          threshold, 0 < E <= 1 (default 0.5)\n"
    "  --tensor NAME    only this tensor (or adapter module)\n"
    "  --scale LAMBDA   with -o: scale each intruder direction by LAMBDA >= 0,\n"
    "                   W' = W_ft + (LAMBDA - 1) sum_intruders s'_i u'_i v'_i^T\n"
    "                   (1 keeps W_ft, 0 removes the intruders; PEFT uses 0.75)\n"
    "  -o, --output OUT where W' goes: a .safetensors model (FINETUNED's other\n"
    "                   tensors copied), a .npy file (two matrices), or for an\n"
    "                   adapter a PEFT adapter folder of the same rank, from the\n"
    "                   SVD of (W' - W0)/s (the part the rank leaves out is shown);\n"
    "                   '-' writes the file to standard output and nothing else\n"
    "  --plot FILE      |U_ft^T U0| as a heatmap, the top K of W_ft against W0's\n"
    "                   top 500 (the paper's Figure 1); several matrices give\n"
    "                   FILE-NAME.png each; '-' draws in the terminal. FILE.dat\n"
    "                   and FILE.gp are written beside each picture.\n"
    "  --format FMT     png or svg, whatever FILE's extension\n"
    "  --json           print one JSON object: base, finetuned, kind, top, eps,\n"
    "                   modules (name, shape, intruders, trivial, max_cos, argmax,\n"
    "                   sigma, refactor_left), skipped (name, reason), scale,\n"
    "                   output, plot\n"
    "  -h, --help       show this help\n"
    "\n"
    "When K >= m (e.g. 10 outputs, K = 10) the top K are a whole basis of R^m,\n"
    "as W0's vectors are, and when W0's vectors span R^m with 1/sqrt(m) >= E no\n"
    "vector can be an intruder: such a matrix is reported as not meaningful\n"
    "(intruders null in JSON) instead of with a count.\n"
    "\n"
    "Exit status: 0 ok (also when gnuplot is missing); 1 a file cannot be read,\n"
    "K exceeds a matrix's min(m, n), an adapter module is missing from BASE,\n"
    "no tensor can be compared, or OUT cannot be written (then nothing is\n"
    "written); 2 usage error.\n";

enum { OPT_TOP = 1101, OPT_EPS, OPT_SCALE };


typedef struct intr_opts {
    cli_ckpt_opts ck;        /* BASE FINETUNED, --tensor, --json (the rest of the group is not taken) */
    cli_plot_opts p;         /* --plot, --format */
    const char *out;
    size_t top;
    double eps, lambda;
    bool scale, json;
    rk_plot_out plot_out;
} intr_opts;

/* The result for one matrix. */
typedef struct intr_item {
    const char *name;        /* tensor or module, NULL for two matrices */
    size_t m, n, k, top, count;
    rk_intruder_trivial trivial;
    double *max_cos, *sigma; /* (top) */
    size_t *argmax;          /* (top) */
    bool *is_intruder;       /* (top) */
    double rel_left;         /* adapter re-factoring: the part the rank leaves out; NaN otherwise */
    rk_mat cos;              /* (top, min(k, 500)) with --plot */
} intr_item;

/* One option of intruders (cli_option_fn). */
static int intruders_option(const char *cmd, int c, const char *arg, void *opts)
{
    intr_opts *o = opts;
    switch (c) {
    case OPT_TOP:
        if (!cli_parse_size(arg, (size_t)1 << 30, &o->top) || o->top == 0)
            return cli_usage_error(cmd, "--top wants an integer >= 1, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_EPS:
        if (!cli_parse_double(arg, &o->eps) || !(o->eps > 0.0 && o->eps <= 1.0))
            return cli_usage_error(cmd, "--eps wants a number in (0, 1], not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_SCALE:
        if (!cli_parse_double(arg, &o->lambda) || !(o->lambda >= 0.0))
            return cli_usage_error(cmd, "--scale wants a number >= 0, not '%s'", arg);
        o->scale = true;
        return RK_EXIT_OK;
    case 'o':
        o->out = arg;
        return RK_EXIT_OK;
    default:
        if (cli_plot_option(c, arg, &o->p) == RK_EXIT_OK)
            return RK_EXIT_OK;
        return cli_ckpt_option(cmd, c, arg, &o->ck);
    }
}

/* Parse the options; exit status (RK_EXIT_OK to go on, -1 after --help). */
static int parse_args(int argc, char **argv, intr_opts *o)
{
    static const struct option longopts[] = {
        { "top", required_argument, NULL, OPT_TOP },
        { "eps", required_argument, NULL, OPT_EPS },
        { "tensor", required_argument, NULL, CLI_OPT_TENSOR },
        { "scale", required_argument, NULL, OPT_SCALE },
        { "output", required_argument, NULL, 'o' },
        CLI_PLOT_LONGOPTS,
        { "json", no_argument, NULL, CLI_OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { intruders_usage, NULL };
    const char *cmd = "intruders";
    int rc = cli_options(cmd, argc, argv, ":ho:", longopts, usage, intruders_option, o);
    if (rc != RK_EXIT_OK)
        return rc;
    if ((rc = cli_pairs_args(cmd, argc, argv, &o->ck.base, &o->ck.ft)) != RK_EXIT_OK)
        return rc;
    if ((rc = cli_plot_options(cmd, o->p.plot, o->p.format, o->ck.json, &o->plot_out)) != RK_EXIT_OK)
        return rc;
    if (o->ck.tensor && !*o->ck.tensor)
        return cli_usage_error(cmd, "--tensor wants a tensor name");
    if (o->scale && !o->out)
        return cli_usage_error(cmd, "--scale needs -o OUT (where the scaled weights go)");
    if (o->out && !o->scale)
        return cli_usage_error(cmd, "-o needs --scale LAMBDA (how much of each intruder to keep)");
    if (o->out && !*o->out)
        return cli_usage_error(cmd, "-o wants a file or folder name");
    if (o->out && !strcmp(o->out, "-") && (o->ck.json || (o->p.plot && !strcmp(o->p.plot, "-"))))
        return cli_usage_error(cmd, "-o - and %s both write to standard output", o->ck.json ? "--json" : "--plot -");
    const char *paths[2] = { o->out, o->p.plot && strcmp(o->p.plot, "-") ? o->p.plot : NULL };
    const char *names[2] = { "-o", "--plot" };
    return cli_output_distinct(cmd, paths, names, 2);
}

/* The test of one matrix into @p it (and W′ into @p out with --scale); exit status. */
static int analyse(const intr_opts *o, const intr_src *src, size_t i, intr_item *it, intr_out *out)
{
    const char *cmd = "intruders", *file = src->names[i] ? src->names[i] : src->ft;
    rk_mat w0, wft;
    int rc = intr_load(cmd, src, i, &w0, &wft);
    if (rc != RK_EXIT_OK)
        return rc;
    it->name = src->names[i];
    it->rel_left = NAN;
    size_t k = w0.rows < w0.cols ? w0.rows : w0.cols;
    rk_intruders r;
    rk_status s = RK_ERANGE;
    if (o->top > k) {
        fprintf(stderr, "ranklab %s: %s: %s is %zu x %zu: --top %zu exceeds min(m, n) = %zu\n", cmd,
                src->ft, file, w0.rows, w0.cols, o->top, k);
        rc = RK_EXIT_RUNTIME;
    } else if ((s = rk_intruders_find(&r, &w0, &wft, o->top, o->eps)) != RK_OK) {
        rc = cli_fail(cmd, file, s, NULL);
    }
    if (rc == RK_EXIT_OK) {
        if (o->p.plot) {
            size_t nb = r.k < RK_INTRUDERS_HEAT_COLS ? r.k : RK_INTRUDERS_HEAT_COLS;
            if ((s = rk_intruders_cos_table(&it->cos, &r, nb)) != RK_OK)
                rc = cli_fail(cmd, NULL, s, NULL);
        }
        if (rc == RK_EXIT_OK && o->scale) {
            if ((s = rk_intruders_scale(&wft, &r, o->lambda)) != RK_OK)
                rc = cli_fail(cmd, file, s, NULL);
            else
                rc = intr_out_add(cmd, src, i, &wft, &w0, out, &it->rel_left);
        }
        it->m = r.m, it->n = r.n, it->k = r.k, it->top = r.top, it->count = r.count;
        it->trivial = r.trivial;
        it->max_cos = r.max_cos, it->argmax = r.argmax, it->is_intruder = r.is_intruder;
        r.max_cos = NULL, r.argmax = NULL, r.is_intruder = NULL; /* taken over */
        it->sigma = rk_alloc(r.top * sizeof *it->sigma);
        if (!it->sigma && rc == RK_EXIT_OK)
            rc = cli_fail(cmd, NULL, RK_ENOMEM, NULL);
        for (size_t t = 0; it->sigma && t < r.top; t++)
            it->sigma[t] = r.ft.s[t];
        rk_intruders_free(&r);
    }
    rk_mat_free(&w0);
    rk_mat_free(&wft);
    return rc;
}

static void item_free(intr_item *it)
{
    rk_free(it->max_cos);
    rk_free(it->sigma);
    rk_free(it->argmax);
    rk_free(it->is_intruder);
    rk_mat_free(&it->cos);
}

static void print_item(const intr_item *it, bool scaled, double lambda)
{
    char shape[64];
    snprintf(shape, sizeof shape, "%zu x %zu", it->m, it->n);
    printf("%-18s%s\n", "tensor", it->name ? it->name : "(matrix)");
    cli_print_row("shape", shape, NULL);
    if (it->trivial != RK_INTRUDER_MEANINGFUL) {
        printf("%-18snot meaningful: %s\n", "intruders", rk_intruder_trivial_text(it->trivial));
    } else {
        printf("%-18s%zu of the top %zu\n", "intruders", it->count, it->top);
    }
    printf("\n   i          sigma'_i    max_j |u'_i.u_j|   at j\n");
    for (size_t i = 0; i < it->top; i++)
        printf("%4zu  %16.10g  %17.6f  %5zu%s\n", i + 1, it->sigma[i], it->max_cos[i], it->argmax[i] + 1,
               it->is_intruder[i] ? (it->trivial == RK_INTRUDER_MEANINGFUL ? "   intruder" : "   (below eps)") : "");
    if (scaled) {
        printf("\n%-18s%zu direction%s times %g\n", "scaled", it->count, it->count == 1 ? "" : "s", lambda);
        if (!isnan(it->rel_left))
            printf("%-18s%.3e of ||(W' - W0)/s||_F is left out by the adapter's rank\n", "re-factored",
                   it->rel_left);
    }
}

static void print_text(const intr_opts *o, const intr_src *src, const intr_item *items, size_t n)
{
    printf("%-18s%s\n", "base", o->ck.base);
    if (src->adapter)
        printf("%-18s%s (LoRA adapter: W_ft = W0 + s B A)\n", "finetuned", o->ck.ft);
    else
        printf("%-18s%s\n", "finetuned", o->ck.ft);
    printf("%-18stop %zu left singular vectors of W_ft; intruder when max_j |u'_i.u_j| < %g\n", "test",
           o->top, o->eps);
    if (!src->adapter && src->pairs.safetensors) {
        printf("%-18s%zu compared, %zu skipped\n", "tensors", n, src->pairs.n_skipped);
        for (size_t i = 0; i < src->pairs.n_skipped; i++)
            printf("  skipped         %s: %s\n", src->pairs.skipped[i].name, src->pairs.skipped[i].reason);
    }
    for (size_t i = 0; i < n; i++) {
        printf("\n");
        print_item(&items[i], o->scale, o->lambda);
    }
    if (o->out)
        printf("\n%-18s%s\n", "wrote", o->out);
}

/* A JSON array of @p n doubles, or of sizes when @p z is given (1-based). */
static json_t *array_json(const double *x, const size_t *z, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, z ? json_integer((json_int_t)z[i] + 1) : json_real(x[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *item_json(const intr_item *it)
{
    json_t *t = json_object(), *shape = json_array();
    int bad = !t || !shape;
    bad |= json_object_set_new(t, "name", it->name ? json_string(it->name) : json_null());
    bad |= json_array_append_new(shape, json_integer((json_int_t)it->m));
    bad |= json_array_append_new(shape, json_integer((json_int_t)it->n));
    bad |= json_object_set_new(t, "shape", shape);
    bool meaningful = it->trivial == RK_INTRUDER_MEANINGFUL;
    bad |= json_object_set_new(t, "intruders", meaningful ? json_integer((json_int_t)it->count) : json_null());
    bad |= json_object_set_new(t, "trivial", meaningful ? json_null() : json_string(rk_intruder_trivial_text(it->trivial)));
    bad |= json_object_set_new(t, "max_cos", array_json(it->max_cos, NULL, it->top));
    bad |= json_object_set_new(t, "argmax", array_json(NULL, it->argmax, it->top));
    bad |= json_object_set_new(t, "sigma", array_json(it->sigma, NULL, it->top));
    bad |= json_object_set_new(t, "refactor_left", cli_json_real_or_null(it->rel_left));
    if (bad) {
        json_decref(t);
        return NULL;
    }
    return t;
}

static json_t *build_json(const intr_opts *o, const intr_src *src, const intr_item *items, size_t n)
{
    json_t *obj = json_object(), *ms = json_array(), *sk = json_array();
    int bad = !obj || !ms || !sk;
    bad |= json_object_set_new(obj, "base", json_string(o->ck.base));
    bad |= json_object_set_new(obj, "finetuned", json_string(o->ck.ft));
    bad |= json_object_set_new(obj, "kind", json_string(src->adapter ? "adapter" : "model"));
    bad |= json_object_set_new(obj, "top", json_integer((json_int_t)o->top));
    bad |= json_object_set_new(obj, "eps", json_real(o->eps));
    for (size_t i = 0; i < n; i++) {
        json_t *t = item_json(&items[i]);
        bad |= !t || json_array_append_new(ms, t);
    }
    for (size_t i = 0; !src->adapter && i < src->pairs.n_skipped; i++)
        bad |= cli_skip_append_json(sk, &src->pairs.skipped[i]);
    bad |= json_object_set_new(obj, "modules", ms);
    bad |= json_object_set_new(obj, "skipped", sk);
    bad |= json_object_set_new(obj, "scale", o->scale ? json_real(o->lambda) : json_null());
    bad |= json_object_set_new(obj, "output", o->out ? json_string(o->out) : json_null());
    bad |= json_object_set_new(obj, "plot", o->p.plot ? json_string(o->p.plot) : json_null());
    if (bad) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* FILE.png → FILE-NAME.png for one of several matrices (a '/' in the name becomes '_'). */
static void plot_path(char *buf, size_t size, const char *path, const char *name)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    size_t stem = (dot && (!slash || dot > slash + 1)) ? (size_t)(dot - path) : strlen(path);
    char safe[256];
    snprintf(safe, sizeof safe, "%s", name);
    for (char *c = safe; *c; c++)
        if (*c == '/')
            *c = '_';
    snprintf(buf, size, "%.*s-%s%s", (int)stem, path, safe, path + stem);
}

/* The heatmap of each matrix; exit status. */
static int draw(const intr_opts *o, const intr_item *items, size_t n)
{
    int rc = RK_EXIT_OK;
    for (size_t i = 0; i < n && rc == RK_EXIT_OK; i++) {
        const intr_item *it = &items[i];
        char title[512], path[4096], name[256];
        /* plot text is enhanced (lib/plot/style.h): the tensor name is shown as it is */
        rk_plot_text_literal(name, sizeof name, it->name);
        rk_plot_out out = o->plot_out;
        if (n > 1 && out.path) {
            plot_path(path, sizeof path, out.path, it->name ? it->name : "matrix");
            out.path = path;
        }
        rk_intruders_heatmap_title(title, sizeof title, it->name ? name : NULL, it->count, it->top,
                                   it->trivial == RK_INTRUDER_MEANINGFUL, o->eps);
        rk_plot_spec spec = rk_intruders_heatmap(&it->cos, title);
        if (out.format == RK_PLOT_TERM)
            printf("\n");
        fflush(stdout);
        rk_err err;
        rk_err_clear(&err);
        rk_status s = rk_plot_draw(&spec, &out, &err);
        rc = cli_plot_finish("intruders", &out, s, &err, o->ck.json);
    }
    return rc;
}

int cmd_intruders(int argc, char **argv)
{
    intr_opts o = { .top = RK_INTRUDER_TOP, .eps = RK_INTRUDER_EPS, .lambda = 1.0 };
    int rc = parse_args(argc, argv, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    intr_src src;
    if ((rc = intr_open("intruders", o.ck.base, o.ck.ft, o.ck.tensor, &src)) != RK_EXIT_OK)
        return rc;
    intr_out out = { 0 };
    intr_item *items = rk_calloc(src.n, sizeof *items);
    if (!items)
        rc = cli_fail("intruders", NULL, RK_ENOMEM, NULL);
    if (rc == RK_EXIT_OK && o.out)
        rc = intr_out_begin("intruders", &src, o.out, &out);
    for (size_t i = 0; rc == RK_EXIT_OK && i < src.n; i++)
        rc = analyse(&o, &src, i, &items[i], &out);
    if (rc == RK_EXIT_OK && o.out)
        rc = intr_out_commit("intruders", &src, &out);
    if (rc == RK_EXIT_OK) {
        if (o.ck.json)
            rc = cli_json_print("intruders", build_json(&o, &src, items, src.n));
        else if (!o.out || strcmp(o.out, "-")) /* -o -: stdout holds the written file alone */
            print_text(&o, &src, items, src.n);
        fflush(stdout);
    }
    if (rc == RK_EXIT_OK && o.p.plot)
        rc = draw(&o, items, src.n);
    for (size_t i = 0; items && i < src.n; i++)
        item_free(&items[i]);
    rk_free(items);
    intr_out_free(&out);
    intr_close(&src);
    return rc;
}
