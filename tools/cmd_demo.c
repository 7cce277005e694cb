/*
 * cmd_demo.c — `ranklab demo`: the main experiment end to end (pretrain,
 * worst class, full and LoRA fine-tunes, analysis, report), over
 * lib/analysis/experiment*.h. `make demo` runs it.
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

static const char demo_usage[] =
    "usage: ranklab demo [-o DIR] [--data DIR] [--seed S] [--ranks 1,2,4,8,16,64]\n"
    "                    [--steps N] [--epochs E] [--pretrain-batch B] [--limit N]\n"
    "                    [--hidden 1000,2000] [--quick] [--threads N]\n"
    "                    [--rslora R] [--track-every N] [--track-n N]\n"
    "                    [--format png|svg] [--json] [-q]\n"
    "\n"
    "The main experiment: how close is the update LoRA learns to the best\n"
    "low-rank approximation of the full fine-tune's update?\n"
    "\n"
    "  1. pretrain the MLP 784-1000-2000-10 on Fashion-MNIST (per-class accuracy)\n"
    "  2. pick the class it does worst on (computed)\n"
    "  3. fine-tune on that class only, with the same batches in the same order:\n"
    "     fully, and with LoRA on every layer at each rank (A kaiming-uniform,\n"
    "     B = 0, alpha = r so the scale is 1), plus LoRA with A ~ N(0,1) (the\n"
    "     classic tutorial's init) and with another adapter seed, both at r = 8\n"
    "     (or the middle rank of --ranks when 8 is not among them)\n"
    "     and rsLoRA at r = 64 (scale alpha/sqrt(r) = 8); every fine-tune is\n"
    "     evaluated every 10 steps on 500 test images (learning against\n"
    "     forgetting) with the rank of its update\n"
    "  4. per layer, in double: spectra of W0, dW_full and every dW_lora;\n"
    "     rel_err = |dW_lora - dW_full|_F / |dW_full|_F against the Eckart-Young\n"
    "     bound; subspace similarity phi (LoRA paper eq. 4); amplification\n"
    "     (paper Table 7); accuracy of W0 + [dW_full]_r (SVD-extracted LoRA);\n"
    "     every rank rule's r per layer of dW_full (energy, kohya's three, gd,\n"
    "     fixed:4, budget:P with P = LoRA r = 4's parameters) and the accuracy\n"
    "     of W0 + [dW_full]_r at those ranks\n"
    "\n"
    "Writes into DIR: report.md, results.json, the plots (PNG or SVG) with\n"
    "their data (.dat) and gnuplot scripts (.gp), weights/base.safetensors,\n"
    "full/delta.safetensors, adapters/lora_rR*/ and adapters/extracted_rR/ in\n"
    "PEFT's layout. `ranklab compare` reads these back.\n"
    "\n"
    "Pretraining uses batch 64 by default, not the tutorial's 10: one epoch at\n"
    "batch 10 takes several minutes on 2 cores, at batch 64 well under one.\n"
    "The fine-tunes keep the tutorial's 100 steps of 10 images.\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR    output folder (default out/demo; replaced as a whole)\n"
    "  --data DIR          folder with the IDX files; default $RANKLAB_DATA, else\n"
    "                      /usr/share/datasets/fashion-mnist\n"
    "  --seed S            seed of everything (network init, batch orders, adapter\n"
    "                      inits are derived from it; default 0)\n"
    "  --ranks LIST        LoRA ranks, increasing (default 1,2,4,8,16,64)\n"
    "  --steps N           fine-tuning steps (default 100)\n"
    "  --epochs E          pretraining epochs (default 1)\n"
    "  --pretrain-batch B  pretraining batch (default 64)\n"
    "  --limit N           pretrain on the first N training images only\n"
    "  --hidden LIST       hidden layer widths (default 1000,2000); the input and\n"
    "                      output sizes follow the data\n"
    "  --quick             a fast run: --limit 10000, ranks 1,4,8,16\n"
    "  --rslora R          rank of the rsLoRA run (default 64; 0: none)\n"
    "  --track-every N     learn-forget record every N fine-tuning steps (default\n"
    "                      10; 0: none)\n"
    "  --track-n N         test images the records evaluate (default 500, drawn\n"
    "                      with the seed; all of them when the test set is smaller)\n"
    "  --threads N         OpenBLAS threads (default: OpenBLAS's choice)\n"
    "  --format F          png (default) or svg\n"
    "  --json              print one JSON object instead of the table: output,\n"
    "                      report, results (results.json has every figure),\n"
    "                      target_class, pretrained, full and per LoRA run the\n"
    "                      accuracies, rel_err and ey_rel_err per layer, seconds\n"
    "  -q, --quiet         no progress on stderr\n"
    "  -h, --help          show this help\n"
    "\n"
    "Training runs with flush-to-zero and denormals-are-zero set. Progress goes\n"
    "to stderr; the main table to stdout.\n"
    "\n"
    "Exit status: 0 ok (also when gnuplot is missing: the data files are\n"
    "written), 1 data missing or a file cannot be written, 2 usage error.\n";

enum { OPT_SEED = 1601, OPT_RANKS, OPT_STEPS, OPT_EPOCHS, OPT_PBATCH, OPT_LIMIT, OPT_QUICK,
       OPT_FORMAT, OPT_HIDDEN, OPT_TRACK_EVERY, OPT_TRACK_N, OPT_RSLORA };

typedef struct demo_args {
    nn_cli_opts nn;   /* -o, -q, --data, --json, --threads (the nn group) */
    rk_exp_config cfg;
    rk_plot_format format;
    bool quick, ranks_given, limit_given;
} demo_args;

/* One option of demo (cli_option_fn). */
static int demo_option(const char *cmd, int c, const char *arg, void *opts)
{
    demo_args *a = opts;
    size_t v;
    unsigned long long u;
    switch (c) {
    case OPT_SEED:
        if (!cli_parse_u64(arg, &u))
            return cli_usage_error(cmd, "--seed needs an unsigned integer, not '%s'", arg);
        a->cfg.seed = u;
        a->cfg.ft_seed = u + 1;
        a->cfg.lora_seed = u + 2;
        a->cfg.lora_seed2 = u + 3;
        a->cfg.track_seed = u + 4;
        break;
    case OPT_TRACK_EVERY:
    case OPT_TRACK_N:
    case OPT_RSLORA:
        if (!cli_parse_size(arg, c == OPT_RSLORA ? 4096 : 100000000, &v) || (v == 0 && c == OPT_TRACK_N))
            return cli_usage_error(cmd, "--%s needs %s integer, not '%s'",
                                   c == OPT_TRACK_EVERY ? "track-every" : c == OPT_TRACK_N ? "track-n" : "rslora",
                                   c == OPT_TRACK_N ? "a positive" : "a non-negative", arg);
        if (c == OPT_TRACK_EVERY) a->cfg.track_every = v;
        if (c == OPT_TRACK_N) a->cfg.track_n = v;
        if (c == OPT_RSLORA) a->cfg.rslora_rank = v;
        break;
    case OPT_RANKS:
        if (!nn_cli_parse_list(arg, 4096, a->cfg.ranks, RK_EXP_MAX_RANKS, &a->cfg.n_ranks))
            return cli_usage_error(cmd, "--ranks needs up to %d positive integers, not '%s'",
                                   RK_EXP_MAX_RANKS, arg);
        a->ranks_given = true;
        break;
    case OPT_STEPS:
    case OPT_EPOCHS:
    case OPT_PBATCH:
    case OPT_LIMIT:
        if (!cli_parse_size(arg, 100000000, &v) || (v == 0 && c != OPT_LIMIT))
            return cli_usage_error(cmd, "--%s needs %s integer up to 100000000, not '%s'",
                                   c == OPT_STEPS ? "steps" : c == OPT_EPOCHS ? "epochs" :
                                   c == OPT_PBATCH ? "pretrain-batch" : "limit",
                                   c == OPT_LIMIT ? "a non-negative" : "a positive", arg);
        if (c == OPT_STEPS) a->cfg.ft_steps = v;
        if (c == OPT_EPOCHS) a->cfg.pretrain_epochs = v;
        if (c == OPT_PBATCH) a->cfg.pretrain_batch = v;
        if (c == OPT_LIMIT) { a->cfg.pretrain_limit = v; a->limit_given = true; }
        break;
    case OPT_QUICK: a->quick = true; break;
    case OPT_FORMAT:
        return exp_parse_format(cmd, arg, &a->format);
    case OPT_HIDDEN: {
        size_t h[RK_MLP_MAX_LAYERS - 1], n = 0;
        if (!nn_cli_parse_list(arg, 100000, h, RK_MLP_MAX_LAYERS - 1, &n))
            return cli_usage_error(cmd, "--hidden needs a list of widths, not '%s'", arg);
        a->cfg.net.n_layers = n + 1;
        for (size_t i = 0; i < n; i++)
            a->cfg.net.sizes[i + 1] = h[i];
        a->cfg.net.sizes[n + 1] = RK_DATASET_CLASSES;
        break;
    }
    default: return nn_cli_option(cmd, c, arg, &a->nn);
    }
    return RK_EXIT_OK;
}

static int parse(demo_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        NN_CLI_OUTPUT_LONGOPTS,                            NN_CLI_LONGOPTS,
        { "seed", required_argument, NULL, OPT_SEED },     { "ranks", required_argument, NULL, OPT_RANKS },
        { "steps", required_argument, NULL, OPT_STEPS },   { "epochs", required_argument, NULL, OPT_EPOCHS },
        { "pretrain-batch", required_argument, NULL, OPT_PBATCH },
        { "limit", required_argument, NULL, OPT_LIMIT },   { "quick", no_argument, NULL, OPT_QUICK },
        NN_CLI_THREADS_LONGOPTS, { "format", required_argument, NULL, OPT_FORMAT },
        { "hidden", required_argument, NULL, OPT_HIDDEN },   { "rslora", required_argument, NULL, OPT_RSLORA },
        { "track-every", required_argument, NULL, OPT_TRACK_EVERY },
        { "track-n", required_argument, NULL, OPT_TRACK_N },
        { "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { demo_usage, NULL };
    a->nn.out = "out/demo";
    a->cfg = rk_exp_config_default();
    a->format = RK_PLOT_PNG;
    int rc = cli_options("demo", argc, argv, ":ho:q", longopts, usage, demo_option, a);
    if (rc != RK_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error("demo", "unexpected argument '%s'", argv[optind]);
    if (a->quick) {
        if (!a->limit_given)
            a->cfg.pretrain_limit = 10000;
        if (!a->ranks_given) {
            static const size_t q[] = { 1, 4, 8, 16 };
            a->cfg.n_ranks = 4;
            memcpy(a->cfg.ranks, q, sizeof q);
        }
    }
    rk_err err;
    if (rk_exp_config_check(&a->cfg, &err) != RK_OK)
        return cli_usage_error("demo", "%s", err.msg);
    /* the Figure 3 pair: r = 8 against the largest rank */
    a->cfg.pair_hi = a->cfg.ranks[a->cfg.n_ranks - 1];
    bool has8 = false;
    for (size_t i = 0; i < a->cfg.n_ranks; i++)
        has8 |= a->cfg.ranks[i] == 8;
    if (!has8)   /* the N(0,1) and second-seed runs sit at a rank that is compared */
        a->cfg.normal_rank = a->cfg.seed2_rank = a->cfg.pair_lo = a->cfg.ranks[a->cfg.n_ranks / 2];
    if (a->cfg.pair_hi <= a->cfg.pair_lo)
        a->cfg.pair_lo = a->cfg.ranks[0];
    return RK_EXIT_OK;
}

int cmd_demo(int argc, char **argv)
{
    double t0 = nn_cli_now();
    demo_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(&a, argc, argv);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    const char *cmd = "demo";
    const nn_cli_input inputs[] = { { "--data", a.nn.data } };
    nn_cli_run run; /* the report folder: checked and started before any work */
    if ((rc = nn_cli_begin(cmd, &a.nn, inputs, 1, true, &run)) != RK_EXIT_OK)
        return rc;
    exp_progress prog;
    exp_progress_start(&prog, a.nn.quiet, t0);
    a.cfg.progress = exp_progress_cb;
    a.cfg.progress_ctx = &prog;
    exp_progress_cb("load data", NULL, &prog);
    rk_dataset train = { 0 }, test = { 0 };
    rk_exp_timing load = { 0 }; /* moved to the models' time table once they exist */
    rk_exp_clock t = rk_exp_clock_now();
    rc = nn_cli_load_data(cmd, a.nn.data, &train, &test);
    rk_exp_timing_add(&load, "load data", t);
    if (rc != RK_EXIT_OK) {
        rk_out_dir_abort(&run.od);
        return rc;
    }
    /* the network's input and output follow the data */
    a.cfg.net.sizes[0] = train.dim;
    a.cfg.net.sizes[a.cfg.net.n_layers] = (size_t)train.n_classes;
    rk_exp_models m;
    rk_exp_analysis an;
    rk_mlp net;
    rk_err err;
    rk_err_clear(&err);
    memset(&an, 0, sizeof an);
    rk_status s = rk_exp_run(&a.cfg, &train, &test, &m, &net, &err);
    rk_exp_timing_insert(&m.timing, 0, &load.phase[0]);
    if (s == RK_OK) {
        t = rk_exp_clock_now();
        s = rk_exp_analyze(&a.cfg, &m, &net, &test, &an, &err);
        an.seconds = rk_exp_timing_add(&m.timing, "analysis", t);
    }
    if (s == RK_OK) {
        exp_progress_cb("save weights and adapters", NULL, &prog);
        t = rk_exp_clock_now();
        s = rk_exp_save(run.od.tmp_path, &net, &m, &an, &err);
        rk_exp_timing_add(&m.timing, "save weights and adapters", t);
    }
    if (s != RK_OK) {
        if (!a.nn.quiet && prog.tty)
            fputc('\n', stderr);
        rc = cli_fail(cmd, a.nn.out, s, &err);
    } else {
        rk_exp_report_info info = { exp_command_line(argc, argv),
                                    a.nn.data ? a.nn.data : rk_dataset_default_dir(), 0, run.threads, run.ftz };
        rc = exp_finish(cmd, &prog, &run.od, a.nn.out, a.format, &a.cfg, &m, &an, &info, a.nn.json);
        if (rc == RK_EXIT_OK && !a.nn.json)
            printf("report: %s/report.md (%.1f s)\n", a.nn.out, nn_cli_now() - t0);
    }
    rk_out_dir_abort(&run.od);
    rk_exp_analysis_free(&an);
    rk_exp_models_free(&m);
    rk_mlp_free(&net);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    return rc;
}
