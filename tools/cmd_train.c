/*
 * cmd_train.c — `ranklab train`: pretrain an MLP on Fashion-MNIST with Adam
 * (lib/nn/train.h, rk_train_run) and write it as a PyTorch-loadable
 * safetensors file (lib/nn/checkpoint.h, rk_checkpoint_save).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "commands.h"
#include "nn_cli.h"

static const char train_usage[] =
    "usage: ranklab train -o DIR [--epochs E] [--batch B] [--lr LR] [--seed S]\n"
    "                     [--data DIR] [--hidden 1000,2000] [--threads N] [--json]\n"
    "                     [-q]\n"
    "\n"
    "Pretrain a multilayer perceptron (784 -> hidden... -> 10, ReLU) on the\n"
    "training set with Adam (beta1 0.9, beta2 0.999, eps 1e-8), softmax\n"
    "cross-entropy, shuffled batches; then print its per-class accuracy on the\n"
    "test set. Writes DIR/model.safetensors (F32, PyTorch state_dict names\n"
    "linear1.weight (Out, In), linear1.bias, ...) and DIR/train.json (the\n"
    "settings and results, the object --json prints).\n"
    "\n"
    "Options:\n"
    "  -o, --output DIR output folder (created if missing; replaced as a whole);\n"
    "                   required\n"
    "  --epochs E       passes over the training set (default 1)\n"
    "  --batch B        examples per step (default 10)\n"
    "  --lr LR          Adam learning rate (default 0.001)\n"
    "  --seed S         seed of the initial weights (PyTorch's nn.Linear\n"
    "                   init) and, plus one, of the shuffling (default 0);\n"
    "                   with --threads 1 two runs give identical results\n"
    "  --data DIR       folder with the IDX files (train-images-idx3-ubyte.gz,\n"
    "                   ...); default $RANKLAB_DATA, else\n"
    "                   /usr/share/datasets/fashion-mnist (Debian package\n"
    "                   dataset-fashion-mnist)\n"
    "  --hidden LIST    hidden layer widths, comma-separated (default 1000,2000)\n"
    "  --threads N      OpenBLAS threads (default: OpenBLAS's choice, which\n"
    "                   honours OPENBLAS_NUM_THREADS)\n"
    "  --json           print one JSON object instead of the table: accuracy,\n"
    "                   per_class_accuracy, trainable_params, seconds, the loss\n"
    "                   curve summary, the settings\n"
    "  -q, --quiet      no progress on stderr\n"
    "  -h, --help       show this help\n"
    "\n"
    "Training runs with flush-to-zero and denormals-are-zero set (subnormal\n"
    "floats become 0; recorded as \"ftz\" in the JSON). Progress goes to stderr:\n"
    "a bar on a terminal, ten plain lines otherwise.\n"
    "\n"
    "A --batch larger than the training set is cut to its size (said on stderr).\n"
    "Training that diverges (the loss or the weights become NaN or Inf) stops\n"
    "with a message naming the step, and nothing is written.\n\n"
    "Exit status: 0 ok, 1 data missing (or no training or test examples),\n"
    "training diverged, or a file cannot be written; 2 usage error.\n";

enum { OPT_EPOCHS = 1201, OPT_HIDDEN };

typedef struct train_args {
    nn_cli_opts nn;        /* -o, -q, --data, --json, --threads, --batch, --lr, --seed */
    size_t epochs;
    rk_mlp_config shape;   /* hidden widths only; inputs and classes come from the data */
} train_args;

/* One option of train (cli_option_fn). */
static int train_option(const char *cmd, int c, const char *arg, void *opts)
{
    train_args *a = opts;
    size_t n;
    switch (c) {
    case OPT_EPOCHS:
        if (!cli_parse_size(arg, 100000, &a->epochs) || a->epochs == 0)
            return cli_usage_error(cmd, "--epochs wants a positive integer, not '%s'", arg);
        return RK_EXIT_OK;
    case OPT_HIDDEN:
        if (!nn_cli_parse_list(arg, 1u << 20, a->shape.sizes + 1, RK_MLP_MAX_LAYERS - 1, &n))
            return cli_usage_error(cmd, "--hidden wants positive widths like 1000,2000, not '%s'", arg);
        a->shape.n_layers = n + 1;
        return RK_EXIT_OK;
    default:
        return nn_cli_option(cmd, c, arg, &a->nn);
    }
}

static int parse_args(train_args *a, int argc, char **argv)
{
    static const struct option longopts[] = {
        NN_CLI_TRAIN_LONGOPTS,
        { "epochs", required_argument, NULL, OPT_EPOCHS }, { "hidden", required_argument, NULL, OPT_HIDDEN },
        { "help", no_argument, NULL, 'h' },                { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { train_usage, NULL };
    const char *cmd = "train";
    *a = (train_args){ .nn = { .batch = 10, .lr = 1e-3 }, .epochs = 1 };
    a->shape = rk_mlp_config_default();
    int rc = cli_options(cmd, argc, argv, ":ho:q", longopts, usage, train_option, a);
    if (rc != RK_EXIT_OK)
        return rc;
    if (optind < argc)
        return cli_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
    if (!a->nn.out)
        return cli_usage_error(cmd, "missing -o DIR");
    return RK_EXIT_OK;
}

static json_t *build_json(const train_args *a, const rk_mlp *net, const rk_dataset *train,
                          const rk_train_result *res, const float *losses, const rk_eval *ev,
                          const char *model, int threads, bool ftz, double seconds)
{
    json_t *o = json_object(), *hidden = json_array();
    int bad = !o || !hidden;
    for (size_t l = 1; !bad && l < net->cfg.n_layers; l++)
        bad |= json_array_append_new(hidden, json_integer((json_int_t)net->cfg.sizes[l]));
    bad |= json_object_set_new(o, "command", json_string("train"));
    bad |= json_object_set_new(o, "model", json_string(model));
    bad |= nn_cli_json_eval(o, "", ev);
    bad |= json_object_set_new(o, "trainable_params", json_integer((json_int_t)net->n_params));
    bad |= json_object_set_new(o, "seconds", json_real(seconds));
    bad |= json_object_set_new(o, "train_seconds", json_real(res->seconds));
    bad |= json_object_set_new(o, "samples_per_s", json_real((double)train->n * (double)a->epochs / res->seconds));
    bad |= json_object_set_new(o, "steps", json_integer((json_int_t)res->steps));
    bad |= json_object_set_new(o, "loss", nn_cli_json_losses(losses, res->steps));
    bad |= json_object_set_new(o, "epochs", json_integer((json_int_t)a->epochs));
    bad |= json_object_set_new(o, "batch", json_integer((json_int_t)a->nn.batch));
    bad |= json_object_set_new(o, "lr", json_real(a->nn.lr));
    bad |= json_object_set_new(o, "optimizer", json_string("adam"));
    bad |= json_object_set_new(o, "seed", json_integer((json_int_t)a->nn.seed));
    bad |= json_object_set_new(o, "hidden", hidden);
    bad |= json_object_set_new(o, "n_train", json_integer((json_int_t)train->n));
    bad |= json_object_set_new(o, "n_test", json_integer((json_int_t)ev->n));
    bad |= json_object_set_new(o, "data_mean", json_real(train->mean));
    bad |= json_object_set_new(o, "data_std", json_real(train->std));
    bad |= nn_cli_json_env(o, threads, ftz);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Train and save; everything after the data is loaded. */
static int run(const train_args *a, rk_out_dir *od, rk_dataset *train, rk_dataset *test, int threads,
               bool ftz, double t0)
{
    const char *cmd = "train";
    rk_mlp_config shape = a->shape;
    shape.sizes[0] = train->dim;
    shape.sizes[shape.n_layers] = (size_t)train->n_classes;
    rk_mlp net = { 0 };
    rk_err err;
    rk_err_clear(&err);
    size_t max_batch = a->nn.batch > NN_EVAL_BATCH ? a->nn.batch : NN_EVAL_BATCH;
    rk_status st = rk_mlp_create(&net, &shape, max_batch);
    if (st)
        return cli_fail(cmd, NULL, st, NULL);
    rk_rng rng;
    rk_rng_seed(&rng, a->nn.seed);
    rk_mlp_init(&net, &rng);

    rk_train_opts to = rk_train_opts_default();
    to.optim.lr = a->nn.lr;
    to.batch = a->nn.batch;
    to.epochs = a->epochs;
    to.seed = a->nn.seed + 1;
    size_t total = rk_train_total_steps(train->n, &to);
    float *losses = calloc(total ? total : 1, sizeof *losses);
    to.losses = losses;
    nn_progress prog = { .quiet = a->nn.quiet };
    nn_progress_start(&prog, "pretrain", &to, total);
    rk_train_result res = { 0 };
    if (!losses)
        st = RK_ENOMEM;
    else
        st = rk_train_run(&net, NULL, &(rk_train_data){ train->x, train->y, train->n, train->dim, NULL, 0 },
                          &to, &res, &err);
    nn_progress_end(&prog);
    int rc = RK_EXIT_OK;
    if (st)
        rc = cli_fail(cmd, NULL, st, &err);   /* a diverged run names its step; nothing is written */

    /* Written into the folder being built (od->tmp_path); named by where it will be (a->nn.out). */
    char *model = NULL, *jpath = NULL, *shown = NULL;
    if (!rc) {
        model = cli_output_join(od->tmp_path, "model.safetensors");
        jpath = cli_output_join(od->tmp_path, "train.json");
        shown = cli_output_join(a->nn.out, "model.safetensors");
        if (!model || !jpath || !shown)
            rc = cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    }
    if (!rc && (st = rk_checkpoint_save(&net, model, &err)) != RK_OK)
        rc = cli_fail(cmd, shown, st, &err);
    rk_eval ev = { 0 };
    if (!rc && (st = rk_evaluate(&ev, &net, NULL, test, &err)) != RK_OK)
        rc = cli_fail(cmd, NULL, st, &err);
    if (!rc) {
        json_t *o = build_json(a, &net, train, &res, losses, &ev, shown, threads, ftz, nn_cli_now() - t0);
        rc = o ? nn_cli_json_write(cmd, jpath, a->nn.out, o) : cli_json_fail(cmd);
        if (!rc) /* the whole folder in place before it is reported */
            rc = cli_output_dir_commit(cmd, a->nn.out, od);
        if (!rc && a->nn.json) {
            rc = cli_json_print(cmd, o);
        } else {
            json_decref(o);
            if (!rc) {
                printf("pretrained %zu parameters: %zu steps of %zu, loss %.4f -> %.4f, %.1f s\n",
                       net.n_params, res.steps, a->nn.batch, res.loss_first, res.loss_last, res.seconds);
                nn_cli_print_table("test accuracy:", &ev);
                printf("wrote %s\n", shown);
            }
        }
    }
    rk_eval_free(&ev);
    free(model);
    free(jpath);
    free(shown);
    free(losses);
    rk_mlp_free(&net);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    double t0 = nn_cli_now();
    train_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc)
        return rc < 0 ? RK_EXIT_OK : rc;
    /* The output folder first: `--out FILE` fails before the training, not after. */
    const nn_cli_input inputs[] = { { "--data", a.nn.data } };
    nn_cli_run r;
    if ((rc = nn_cli_begin("train", &a.nn, inputs, 1, true, &r)) != RK_EXIT_OK)
        return rc;
    rk_dataset train = { 0 }, test = { 0 };
    if ((rc = nn_cli_load_data("train", a.nn.data, &train, &test)) == RK_EXIT_OK) {
        /* A batch beyond the data would only size activations for rows that never come. */
        if (a.nn.batch > train.n) {
            fprintf(stderr, "ranklab train: --batch %zu is more than the %zu training examples: using batch %zu\n",
                    a.nn.batch, train.n, train.n);
            a.nn.batch = train.n;
        }
        rc = run(&a, &r.od, &train, &test, r.threads, r.ftz, t0);
    }
    rk_out_dir_abort(&r.od);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    return rc;
}
