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

enum {
    OPT_BASE = 1401, OPT_FULL, OPT_RANK, OPT_ALPHA, OPT_RSLORA, OPT_INIT, OPT_LAYERS, OPT_CLASS,
    OPT_STEPS, OPT_BATCH, OPT_LR, OPT_SEED, OPT_DATA, OPT_THREADS, OPT_JSON
};

static const char *const init_names[] = { "kaiming", "gaussian", "normal", "pissa" };

/* One option of the fine-tune; returns RK_EXIT_OK or a usage error. */
static int parse_one(ft_args *a, int c, const char *arg)
{
    const char *cmd = "finetune";
    size_t v, list[RK_MLP_MAX_LAYERS], n;
    switch (c) {
    case OPT_BASE: a->base = arg; return 0;
    case 'o': a->out = arg; return 0;
    case 'q': a->quiet = true; return 0;
    case OPT_DATA: a->data = arg; return 0;
    case OPT_FULL: a->full = true; return 0;
    case OPT_RSLORA: a->lora.rslora = true; return 0;
    case OPT_JSON: a->json = true; return 0;
    case 'r':
        if (!cli_parse_size(arg, 1u << 20, &a->lora.rank) || a->lora.rank == 0)
            return cli_usage_error(cmd, "--rank wants a positive integer, not '%s'", arg);
        return 0;
    case OPT_ALPHA:
        if (!cli_parse_double(arg, &a->lora.alpha) || !(a->lora.alpha > 0))
            return cli_usage_error(cmd, "--alpha wants a positive number, not '%s'", arg);
        a->alpha_given = true;
        return 0;
    case OPT_INIT:
        for (size_t i = 0; i < 4; i++)
            if (!strcmp(arg, init_names[i])) {
                a->lora.init = (rk_lora_init)i;
                return 0;
            }
        return cli_usage_error(cmd, "--init wants kaiming, gaussian, normal or pissa, not '%s'", arg);
    case OPT_LAYERS:
        if (!nn_cli_parse_list(arg, RK_MLP_MAX_LAYERS, list, RK_MLP_MAX_LAYERS, &n))
            return cli_usage_error(cmd, "--layers wants 1-based layer numbers like 1,2,3, not '%s'", arg);
        a->lora.layers = 0;
        for (size_t i = 0; i < n; i++)
            a->lora.layers |= 1u << (list[i] - 1);
        return 0;
    case OPT_CLASS:
        if (!strcmp(arg, "auto"))
            a->cls = -1;
        else if (cli_parse_size(arg, 255, &v))
            a->cls = (long)v;
        else
            return cli_usage_error(cmd, "--class wants a class number or auto, not '%s'", arg);
        return 0;
    case OPT_STEPS:
        if (!cli_parse_size(arg, 100000000, &a->steps) || a->steps == 0)
            return cli_usage_error(cmd, "--steps wants a positive integer, not '%s'", arg);
        return 0;
    case OPT_BATCH:
        if (!cli_parse_size(arg, 1u << 20, &a->batch) || a->batch == 0)
            return cli_usage_error(cmd, "--batch wants a positive integer, not '%s'", arg);
        return 0;
    case OPT_THREADS:
        if (!cli_parse_size(arg, 1024, &a->threads) || a->threads == 0)
            return cli_usage_error(cmd, "--threads wants a positive integer, not '%s'", arg);
        return 0;
    case OPT_LR:
        if (!cli_parse_double(arg, &a->lr) || !(a->lr > 0))
            return cli_usage_error(cmd, "--lr wants a positive number, not '%s'", arg);
        return 0;
    case OPT_SEED:
        if (!cli_parse_u64(arg, &a->seed))
            return cli_usage_error(cmd, "--seed wants a non-negative integer, not '%s'", arg);
        return 0;
    default:
        return RK_EXIT_USAGE;
    }
}

static int parse_args(ft_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "base", required_argument, NULL, OPT_BASE },     { "output", required_argument, NULL, 'o' },
        { "out", required_argument, NULL, 'o' },           { "quiet", no_argument, NULL, 'q' },
        { "full", no_argument, NULL, OPT_FULL },           { "rank", required_argument, NULL, 'r' },
        { "lora-rank", required_argument, NULL, 'r' },
        { "alpha", required_argument, NULL, OPT_ALPHA },   { "rslora", no_argument, NULL, OPT_RSLORA },
        { "init", required_argument, NULL, OPT_INIT },     { "layers", required_argument, NULL, OPT_LAYERS },
        { "class", required_argument, NULL, OPT_CLASS },   { "steps", required_argument, NULL, OPT_STEPS },
        { "batch", required_argument, NULL, OPT_BATCH },   { "lr", required_argument, NULL, OPT_LR },
        { "seed", required_argument, NULL, OPT_SEED },     { "data", required_argument, NULL, OPT_DATA },
        { "threads", required_argument, NULL, OPT_THREADS }, { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
    };
    const char *cmd = "finetune";
    *a = (ft_args){ .cls = -1, .steps = 100, .batch = 10, .lr = 1e-3 };
    a->lora = rk_lora_config_default();
    a->lora.rank = 0;
    int c, rc;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":ho:qr:", longopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(finetune_usage, stdout);
            return -1;
        }
        if (c == '?' || c == ':')
            return cli_getopt_error(cmd, c, argv);
        if ((rc = parse_one(a, c, optarg)) != RK_EXIT_OK)
            return rc;
    }
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->base)
        return cli_usage_error(cmd, "missing --base MODEL.safetensors");
    if (!a->out)
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
    if ((rc = cli_output_not_inside("finetune", a.out, "--base", a.base)) != RK_EXIT_OK ||
        (rc = cli_output_not_inside("finetune", a.out, "--data", a.data)) != RK_EXIT_OK ||
        (rc = cli_output_dir_open("finetune", "--output", a.out, &r.od)) != RK_EXIT_OK)
        return rc;
    int threads = rk_blas_set_threads((int)a.threads);
    bool ftz = nn_cli_enable_ftz();
    rc = ft_setup(&a, &r);
    if (!rc)
        rc = ft_train(&a, &r);
    if (!rc)
        rc = ft_save(&a, &r);
    if (!rc)
        rc = ft_report(&a, &r, threads, ftz, nn_cli_now() - t0);
    ft_free(&r);
    return rc;
}
