/*
 * cmd_finetune.c — `ranklab finetune`: adapt a pretrained MLP to one class,
 * either with every weight trainable (--full) or with LoRA adapters
 * (lib/nn/lora.h), and write the result plus the per-layer weight change
 * ΔW (lib/nn/checkpoint.h): ΔW_full = W_ft − W0, ΔW_lora = s·B·A.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "commands.h"
#include "finetune.h"
#include "nn_cli.h"

static const char finetune_usage[] =
    "usage: ranklab finetune --base MODEL.safetensors\n"
    "                        (--full | -r R [--alpha A] [--rslora] [--layers 1,2,3]\n"
    "                         [--init kaiming|gaussian|normal|pissa])\n"
    "                        [--class K|auto] [--steps N] [--batch B] [--lr LR]\n"
    "                        [--seed S] [--data DIR] [--threads N] [--json] [-q]\n"
    "                        -o DIR\n"
    "\n"
    "Fine-tune the MLP in MODEL.safetensors on the training examples of one\n"
    "class (shuffled with the seed, reshuffled at each pass), with Adam, then\n"
    "print the per-class test accuracy before and after. --class auto picks\n"
    "the class the base model does worst on (computed on the test set).\n"
    "\n"
    "  --full   every weight and bias trains; writes DIR/model.safetensors\n"
    "  LoRA     only A (R, In) and B (Out, R) of each adapted layer train, the\n"
    "           base is frozen: y = x W^T + b + s (x A^T) B^T, s = A/R (or\n"
    "           A/sqrt(R) with --rslora); writes the adapter in PEFT's layout:\n"
    "           DIR/adapter_config.json and DIR/adapter_model.safetensors\n"
    "\n"
    "Both write DIR/delta.safetensors: F64 tensors linear1.weight, ... holding\n"
    "the weight change of each layer, W_ft - W0 (full) or s B A (LoRA), and\n"
    "DIR/finetune.json (the object --json prints).\n"
    "\n"
    "Options:\n"
    "  --base FILE      the pretrained model (from ranklab train); required\n"
    "  -o, --output DIR output folder (created if missing; replaced as a whole);\n"
    "                   required\n"
    "  --full           full fine-tuning\n"
    "  -r, --rank R     LoRA with rank R >= 1 (--lora-rank R is the same)\n"
    "  --alpha A        LoRA alpha > 0 (default R, so that s = 1)\n"
    "  --rslora         s = alpha/sqrt(R) (rank-stabilised LoRA)\n"
    "  --init I         A's initialisation; B = 0 except for pissa:\n"
    "                   kaiming  A ~ U(-1/sqrt(In), 1/sqrt(In)) (PEFT's default)\n"
    "                   gaussian A ~ N(0, 1/R^2) (PEFT's \"gaussian\")\n"
    "                   normal   A ~ N(0, 1) (the classic tutorial)\n"
    "                   pissa    A, B from the top-R SVD of W, W <- W - s B A;\n"
    "                            the adapter is saved relative to the original\n"
    "                            W, with rank 2R (PEFT's PiSSA conversion)\n"
    "                   (default kaiming)\n"
    "  --layers LIST    layers that get adapters, 1-based (default: all)\n"
    "  --class K|auto   the class to fine-tune on (default auto)\n"
    "  --steps N        training steps (default 100)\n"
    "  --batch B        examples per step (default 10)\n"
    "  --lr LR          Adam learning rate (default 0.001)\n"
    "  --seed S         seed of the shuffling and of A's initialisation (default 0)\n"
    "  --data DIR       folder with the IDX files; default $RANKLAB_DATA, else\n"
    "                   /usr/share/datasets/fashion-mnist (Debian package\n"
    "                   dataset-fashion-mnist)\n"
    "  --threads N      OpenBLAS threads (default: OpenBLAS's choice, which\n"
    "                   honours OPENBLAS_NUM_THREADS)\n"
    "  --json           print one JSON object instead of the tables: accuracy,\n"
    "                   per_class_accuracy, target_class, target_accuracy, the\n"
    "                   base model's figures (base_*), trainable_params,\n"
    "                   seconds, the loss curve summary, the settings\n"
    "  -q, --quiet      no progress on stderr\n"
    "  -h, --help       show this help\n"
    "\n"
    "Training runs with flush-to-zero and denormals-are-zero set (subnormal\n"
    "floats become 0, which keeps steps fast once the loss reaches ~0;\n"
    "recorded as \"ftz\" in the JSON). Progress goes to stderr: a bar on a\n"
    "terminal, ten plain lines otherwise.\n"
    "\n"
    "A --batch larger than the class's training examples is cut to their\n"
    "number (said on stderr). Training that diverges (the loss or the weights\n"
    "become NaN or Inf, e.g. with a huge --lr or --alpha) stops with a message\n"
    "naming the step, and nothing is written.\n\n"
    "Exit status: 0 ok, 1 data missing (or no training or test examples), the\n"
    "model unusable, training diverged, or a file cannot be written; 2 usage\n"
    "error.\n";

enum { OPT_BASE = 1401, OPT_FULL, OPT_ALPHA, OPT_RSLORA, OPT_INIT, OPT_LAYERS, OPT_CLASS, OPT_STEPS };

static const char *const init_names[] = { "kaiming", "gaussian", "normal", "pissa" };

/* --layers, --class, --steps; returns RK_EXIT_OK or a usage error. */
static int parse_number(const char *cmd, ft_args *a, int c, const char *arg)
{
    size_t v, list[RK_MLP_MAX_LAYERS], n;
    switch (c) {
    case OPT_LAYERS:
        if (!nn_cli_parse_list(arg, RK_MLP_MAX_LAYERS, list, RK_MLP_MAX_LAYERS, &n))
            return cli_usage_error(cmd, "--layers wants 1-based layer numbers like 1,2,3, not '%s'", arg);
        a->lora.layers = 0;
        for (size_t i = 0; i < n; i++)
            a->lora.layers |= 1u << (list[i] - 1);
        return RK_EXIT_OK;
    case OPT_CLASS:
        if (!strcmp(arg, "auto"))
            a->cls = -1;
        else if (cli_parse_size(arg, 255, &v))
            a->cls = (long)v;
        else
            return cli_usage_error(cmd, "--class wants a class number or auto, not '%s'", arg);
        return RK_EXIT_OK;
    default: /* OPT_STEPS */
        if (!cli_parse_size(arg, 100000000, &a->steps) || a->steps == 0)
            return cli_usage_error(cmd, "--steps wants a positive integer, not '%s'", arg);
        return RK_EXIT_OK;
    }
}

/* One option of the fine-tune (cli_option_fn). */
static int finetune_option(const char *cmd, int c, const char *arg, void *opts)
{
    ft_args *a = opts;
    switch (c) {
    case OPT_BASE: a->base = arg; return RK_EXIT_OK;
    case OPT_FULL: a->full = true; return RK_EXIT_OK;
    case OPT_RSLORA: a->lora.rslora = true; return RK_EXIT_OK;
    case 'r':
        if (!cli_parse_size(arg, 1u << 20, &a->lora.rank) || a->lora.rank == 0)
            return cli_usage_error(cmd, "--rank wants a positive integer, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_ALPHA:
        if (!cli_parse_double(arg, &a->lora.alpha) || !(a->lora.alpha > 0))
            return cli_usage_error(cmd, "--alpha wants a positive number, not '%s'", arg);
        a->alpha_given = true;
        return RK_EXIT_OK;
    case OPT_INIT:
        for (size_t i = 0; i < 4; i++)
            if (!strcmp(arg, init_names[i])) {
                a->lora.init = (rk_lora_init)i;
                return RK_EXIT_OK;
            }
        return cli_usage_error(cmd, "--init wants kaiming, gaussian, normal or pissa, not '%s'", arg);
    case OPT_LAYERS:
    case OPT_CLASS:
    case OPT_STEPS:
        return parse_number(cmd, a, c, arg);
    default:
        return nn_cli_option(cmd, c, arg, &a->nn);
    }
}

static int parse_args(ft_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        NN_CLI_TRAIN_LONGOPTS,
        { "base", required_argument, NULL, OPT_BASE },     { "full", no_argument, NULL, OPT_FULL },
        { "rank", required_argument, NULL, 'r' },          { "lora-rank", required_argument, NULL, 'r' },
        { "alpha", required_argument, NULL, OPT_ALPHA },   { "rslora", no_argument, NULL, OPT_RSLORA },
        { "init", required_argument, NULL, OPT_INIT },     { "layers", required_argument, NULL, OPT_LAYERS },
        { "class", required_argument, NULL, OPT_CLASS },   { "steps", required_argument, NULL, OPT_STEPS },
        { "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { finetune_usage, NULL };
    const char *cmd = "finetune";
    *a = (ft_args){ .nn = { .batch = 10, .lr = 1e-3 }, .cls = -1, .steps = 100 };
    a->lora = rk_lora_config_default();
    a->lora.rank = 0;
    int rc = cli_options(cmd, argc, argv, ":ho:qr:", longopts, usage, finetune_option, a);
    if (rc != RK_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->base)
        return cli_usage_error(cmd, "missing --base MODEL.safetensors");
    if (!a->nn.out)
        return cli_usage_error(cmd, "missing -o DIR");
    if (a->full == (a->lora.rank > 0))
        return cli_usage_error(cmd, "give exactly one of --full and --rank R");
    if (a->full && (a->alpha_given || a->lora.rslora || a->lora.layers))
        return cli_usage_error(cmd, "--alpha, --rslora and --layers go with --rank, not --full");
    if (!a->alpha_given)
        a->lora.alpha = (double)a->lora.rank;
    return RK_EXIT_OK;
}

int cmd_finetune(int argc, char **argv)
{
    double t0 = nn_cli_now();
    ft_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc < 0 ? RK_EXIT_OK : rc;
    ft_run r;
    memset(&r, 0, sizeof r);
    /* The output folder first: a bad --out fails before the training, not after. */
    const nn_cli_input inputs[] = { { "--base", a.base }, { "--data", a.nn.data } };
    nn_cli_run run;
    if ((rc = nn_cli_begin("finetune", &a.nn, inputs, 2, true, &run)) != RK_EXIT_OK)
        return rc;
    r.od = run.od; /* the folder is r's now: ft_free aborts it unless committed */
    rc = ft_setup(&a, &r);
    if (!rc)
        rc = ft_train(&a, &r);
    if (!rc)
        rc = ft_save(&a, &r);
    if (!rc)
        rc = ft_report(&a, &r, run.threads, run.ftz, nn_cli_now() - t0);
    ft_free(&r);
    return rc;
}
