/*
 * cmd_compare.c — `ranklab compare`: the experiment's analysis (report,
 * results.json, plots) of runs saved on disk: a base model, the full
 * fine-tune's delta, and LoRA adapters. `ranklab demo` = the runs + this.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "commands.h"
#include "exp_cli.h"
#include "nn_cli.h"

static const char compare_usage[] =
    "usage: ranklab compare --base MODEL.safetensors --full DIR|DELTA.safetensors\n"
    "                       --adapter DIR [--adapter DIR ...] [-o DIR] [--data DIR]\n"
    "                       [--format png|svg] [--threads N] [--json] [-q]\n"
    "\n"
    "Compare saved fine-tunes the way `ranklab demo` does: per layer, the\n"
    "spectra of W0, dW_full and each dW_lora = s B A; rel_err against the\n"
    "Eckart-Young bound; subspace similarity phi; amplification. Writes\n"
    "report.md, results.json and the plots with their data into DIR.\n"
    "\n"
    "Inputs (as `ranklab train`, `ranklab finetune` and `ranklab demo` write them):\n"
    "  --base FILE       the pretrained model (linear1.weight, linear1.bias, ...)\n"
    "  --full PATH       delta.safetensors of a full fine-tune (F64\n"
    "                    linear1.weight, ... = W_ft - W0), or the folder holding it\n"
    "  --adapter DIR     a LoRA adapter in PEFT's layout adapting every layer\n"
    "                    (give one per rank; a second adapter of a rank already\n"
    "                    given is compared with the first as a second seed;\n"
    "                    --lora DIR is the same)\n"
    "Options:\n"
    "  -o, --output DIR  output folder (default out/compare; replaced as a whole)\n"
    "  --data DIR        also evaluate on the test set: the base, each adapter,\n"
    "                    the base's weights + dW_full (biases of the base), and\n"
    "                    W0 + [dW_full]_r; the target class is the base's worst\n"
    "  --format F        png (default) or svg\n"
    "  --threads N       OpenBLAS threads\n"
    "  --json            print one JSON object instead of the table (as demo's:\n"
    "                    output, report, results, the headline figures)\n"
    "  -q, --quiet       no progress on stderr\n"
    "  -h, --help        show this help\n"
    "\n"
    "Exit status: 0 ok (also without gnuplot: the data files are written),\n"
    "1 an input is missing or does not fit the base, 2 usage error.\n";

enum { OPT_BASE = 1701, OPT_FULL, OPT_LORA, OPT_FORMAT };

typedef struct cmp_args {
    nn_cli_opts nn;   /* -o, -q, --data, --json, --threads (the nn group) */
    const char *base, *full;
    const char *lora[RK_EXP_MAX_RUNS];
    size_t n_lora;
    rk_plot_format format;
} cmp_args;

/* One option of compare (cli_option_fn). */
static int compare_option(const char *cmd, int c, const char *arg, void *opts)
{
    cmp_args *a = opts;
    switch (c) {
    case OPT_BASE: a->base = arg; return RK_EXIT_OK;
    case OPT_FULL: a->full = arg; return RK_EXIT_OK;
    case OPT_LORA:
        if (a->n_lora >= RK_EXP_MAX_RUNS)
            return cli_usage_error(cmd, "at most %d adapters", RK_EXP_MAX_RUNS);
        a->lora[a->n_lora++] = arg;
        return RK_EXIT_OK;
    case OPT_FORMAT:
        return exp_parse_format(cmd, arg, &a->format) != RK_EXIT_OK ? RK_EXIT_USAGE : RK_EXIT_OK;
    default:
        return nn_cli_option(cmd, c, arg, &a->nn);
    }
}

static int parse(cmp_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "base", required_argument, NULL, OPT_BASE },       { "full", required_argument, NULL, OPT_FULL },
        { "adapter", required_argument, NULL, OPT_LORA },    { "lora", required_argument, NULL, OPT_LORA },
        NN_CLI_OUTPUT_LONGOPTS,                              NN_CLI_LONGOPTS,
        { "format", required_argument, NULL, OPT_FORMAT },   NN_CLI_THREADS_LONGOPTS,
        { "help", no_argument, NULL, 'h' },                  { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { compare_usage, NULL };
    const char *cmd = "compare";
    a->nn.out = "out/compare";
    int rc = cli_options(cmd, argc, argv, ":ho:q", longopts, usage, compare_option, a);
    if (rc != RK_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->base || !a->full || a->n_lora == 0)
        return cli_usage_error(cmd, "need --base, --full and at least one --adapter");
    return RK_EXIT_OK;
}

/* The configuration the analysis needs, from the adapters read. */
static void derive_config(rk_exp_config *cfg, const rk_exp_models *m)
{
    *cfg = rk_exp_config_default();
    cfg->n_ranks = 0;
    cfg->normal_rank = cfg->seed2_rank = 0;
    for (size_t i = 0; i < m->n_runs; i++) {
        if (m->runs[i].role == RK_EXP_ROLE_SEED2)
            cfg->seed2_rank = m->runs[i].rank;
        bool seen = false;
        for (size_t j = 0; j < cfg->n_ranks; j++)
            seen |= cfg->ranks[j] == m->runs[i].rank;
        if (!seen && cfg->n_ranks < RK_EXP_MAX_RANKS)
            cfg->ranks[cfg->n_ranks++] = m->runs[i].rank;
    }
    for (size_t i = 1; i < cfg->n_ranks; i++)   /* insertion sort */
        for (size_t j = i; j > 0 && cfg->ranks[j - 1] > cfg->ranks[j]; j--) {
            size_t t = cfg->ranks[j];
            cfg->ranks[j] = cfg->ranks[j - 1];
            cfg->ranks[j - 1] = t;
        }
    cfg->pair_lo = cfg->ranks[0];
    for (size_t j = 0; j < cfg->n_ranks; j++)
        if (cfg->ranks[j] == 8)
            cfg->pair_lo = 8;
    cfg->pair_hi = cfg->ranks[cfg->n_ranks - 1];
    if (cfg->pair_hi <= cfg->pair_lo)
        cfg->pair_lo = cfg->ranks[0];
    cfg->net.n_layers = m->n_layers;
    for (size_t l = 0; l < m->n_layers; l++) {
        cfg->net.sizes[l] = m->w0[l].cols;
        cfg->net.sizes[l + 1] = m->w0[l].rows;
    }
}

/* A copy of @p net with W_l = W0_l + ΔW_full_l (rounded once to float) in every layer. */
static rk_status full_net(rk_mlp *ft, const rk_mlp *net, const rk_exp_models *m)
{
    rk_status s = rk_mlp_create(ft, &net->cfg, net->max_batch);
    if (s == RK_OK)
        s = rk_mlp_copy_params(ft, net);
    for (size_t l = 0; s == RK_OK && l < m->n_layers; l++) {
        rk_mat w = { 0 };
        s = rk_mat_dup(&w, &m->w0[l]);
        if (s == RK_OK)
            s = rk_mat_axpy(&w, 1.0, &m->full[l]);
        if (s == RK_OK)
            s = rk_mat_to_f32(ft->p.w[l], &w);
        rk_mat_free(&w);
    }
    return s;
}

/* With --data: accuracies of the base, each adapter and W0 + ΔW_full (the base is never written). */
static rk_status evaluate_all(const cmp_args *a, rk_exp_models *m, rk_mlp *net,
                              const rk_dataset *test, rk_err *err)
{
    rk_status s = rk_evaluate(&m->pretrain_eval, net, NULL, test, err);
    if (s != RK_OK)
        return s;
    if (m->pretrain_eval.worst >= m->pretrain_eval.n_classes)
        return rk_err_set(err, RK_ENOTFOUND, "the test set has no example of any class");
    m->target_class = (int)m->pretrain_eval.worst;
    for (size_t i = 0; s == RK_OK && i < a->n_lora; i++) {
        rk_lora lo;
        s = rk_checkpoint_load_adapter(&lo, net, a->lora[i], err);
        if (s == RK_OK)
            s = rk_evaluate(&m->runs[i].eval, net, &lo, test, err);
        rk_lora_free(&lo);
    }
    rk_mlp ft = { 0 };
    if (s == RK_OK)
        s = full_net(&ft, net, m);
    if (s == RK_OK)
        s = rk_evaluate(&m->full_eval, &ft, NULL, test, err);
    rk_mlp_free(&ft);
    m->full_cost.trainable_params = 0;   /* the delta file holds the weights only */
    for (size_t l = 0; l < m->n_layers; l++)
        m->full_cost.trainable_params += m->w0[l].rows * m->w0[l].cols;
    return s;
}

int cmd_compare(int argc, char **argv)
{
    double t0 = nn_cli_now();
    cmp_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(&a, argc, argv);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    const char *cmd = "compare";
    nn_cli_input inputs[3 + RK_EXP_MAX_RUNS] = { { "--base", a.base }, { "--full", a.full }, { "--data", a.nn.data } };
    for (size_t i = 0; i < a.n_lora; i++)
        inputs[3 + i] = (nn_cli_input){ "--lora", a.lora[i] };
    nn_cli_run run; /* the report folder: checked and started before any work */
    if ((rc = nn_cli_begin(cmd, &a.nn, inputs, 3 + a.n_lora, false, &run)) != RK_EXIT_OK)
        return rc;
    exp_progress prog;
    exp_progress_start(&prog, a.nn.quiet, t0);
    rk_exp_models m;
    rk_exp_analysis an;
    rk_mlp net;
    rk_err err;
    rk_err_clear(&err);
    memset(&an, 0, sizeof an);
    memset(&net, 0, sizeof net);
    rk_dataset train = { 0 }, test = { 0 };
    exp_progress_cb("read the runs", NULL, &prog);
    rk_status s = rk_exp_load(&m, &net, a.base, a.full, a.lora, a.n_lora, &err);
    if (s != RK_OK) {
        rc = cli_fail(cmd, NULL, s, &err); /* the message begins with the file that failed */
        goto done;
    }
    rk_exp_config cfg;
    derive_config(&cfg, &m);
    cfg.progress = exp_progress_cb;
    cfg.progress_ctx = &prog;
    if (a.nn.data) {
        if ((rc = nn_cli_load_data(cmd, a.nn.data, &train, &test)) != RK_EXIT_OK)
            goto done;
        exp_progress_cb("evaluate", NULL, &prog);
        m.n_test = test.n;
        s = evaluate_all(&a, &m, &net, &test, &err);
    }
    rk_exp_clock t = rk_exp_clock_now();
    if (s == RK_OK)
        s = rk_exp_analyze(&cfg, &m, a.nn.data ? &net : NULL, a.nn.data ? &test : NULL, &an, &err);
    an.seconds = rk_exp_timing_add(&m.timing, "analysis", t);
    if (s != RK_OK) {
        rc = cli_fail(cmd, a.full, s, &err);
        goto done;
    }
    rk_exp_report_info info = { exp_command_line(argc, argv), a.nn.data, 0, run.threads, false };
    rc = exp_finish(cmd, &prog, &run.od, a.nn.out, a.format, &cfg, &m, &an, &info, a.nn.json);
    if (rc == RK_EXIT_OK && !a.nn.json)
        printf("report: %s/report.md\n", a.nn.out);
done:
    rk_out_dir_abort(&run.od);
    rk_exp_analysis_free(&an);
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    return rc;
}
