/*
 * cmd_eval.c — `ranklab eval MODEL [--adapter DIR]`: per-class test accuracy
 * of a model file (lib/nn/checkpoint.h, rk_checkpoint_open), optionally with
 * a PEFT LoRA adapter applied (rk_checkpoint_load_adapter).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "commands.h"
#include "nn_cli.h"

static const char eval_usage[] =
    "usage: ranklab eval MODEL.safetensors [--adapter DIR] [--data DIR] [--threads N]\n"
    "                    [--json]\n"
    "\n"
    "Test-set accuracy of the MLP in MODEL.safetensors (linear1.weight,\n"
    "linear1.bias, ...; layer sizes read from the shapes), per class and\n"
    "overall. With --adapter the LoRA adapter in DIR (PEFT layout:\n"
    "adapter_config.json + adapter_model.safetensors, modules linear1, ...) is\n"
    "applied: y = x W^T + b + s (x A^T) B^T.\n"
    "\n"
    "Options:\n"
    "  --adapter DIR    PEFT LoRA adapter folder (or its .safetensors file)\n"
    "  --data DIR       folder with the IDX files; default $RANKLAB_DATA, else\n"
    "                   /usr/share/datasets/fashion-mnist (Debian package\n"
    "                   dataset-fashion-mnist); the training set is read too,\n"
    "                   for the standardisation statistics\n"
    "  --threads N      OpenBLAS threads (default: OpenBLAS's choice, which\n"
    "                   honours OPENBLAS_NUM_THREADS)\n"
    "  --json           print one JSON object instead of the table: accuracy,\n"
    "                   per_class_accuracy, per_class_correct, per_class_total,\n"
    "                   worst_class, trainable_params, seconds\n"
    "  -h, --help       show this help\n"
    "\n"
    "Exit status: 0 ok, 1 data missing or a model/adapter file unusable,\n"
    "2 usage error.\n";

enum { OPT_ADAPTER = 1301 };

static json_t *build_json(const char *model, const char *adapter, const rk_mlp *net, const rk_lora *lo,
                          const rk_eval *ev, int threads, double seconds)
{
    json_t *o = json_object();
    int bad = !o;
    bad |= json_object_set_new(o, "command", json_string("eval"));
    bad |= json_object_set_new(o, "model", json_string(model));
    bad |= json_object_set_new(o, "adapter", adapter ? json_string(adapter) : json_null());
    bad |= nn_cli_json_eval(o, "", ev);
    bad |= json_object_set_new(o, "trainable_params", json_integer((json_int_t)(lo ? lo->n_params : net->n_params)));
    bad |= json_object_set_new(o, "base_params", json_integer((json_int_t)net->n_params));
    if (lo) {
        bad |= json_object_set_new(o, "rank", json_integer((json_int_t)lo->cfg.rank));
        bad |= json_object_set_new(o, "scale", json_real(lo->scale));
    }
    bad |= json_object_set_new(o, "seconds", json_real(seconds));
    bad |= nn_cli_json_env(o, threads, false);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

typedef struct eval_args {
    nn_cli_opts nn;        /* --data, --json, --threads */
    const char *adapter;   /* --adapter DIR */
} eval_args;

/* One option of eval (cli_option_fn). */
static int eval_option(const char *cmd, int c, const char *arg, void *opts)
{
    eval_args *a = opts;
    if (c != OPT_ADAPTER)
        return nn_cli_option(cmd, c, arg, &a->nn);
    a->adapter = arg;
    return RK_EXIT_OK;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "adapter", required_argument, NULL, OPT_ADAPTER }, NN_CLI_LONGOPTS, NN_CLI_THREADS_LONGOPTS,
        { "help", no_argument, NULL, 'h' },                  { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { eval_usage, NULL };
    const char *cmd = "eval", *model;
    eval_args a = { .adapter = NULL };
    double t0 = nn_cli_now();
    int rc = cli_options(cmd, argc, argv, ":h", longopts, usage, eval_option, &a);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    if ((rc = cli_one_file(cmd, argc, argv, optind, &model)) != RK_EXIT_OK)
        return rc;
    const char *adapter = a.adapter, *data = a.nn.data;
    bool json = a.nn.json;
    int nthreads = rk_blas_set_threads((int)a.nn.threads);

    rk_err err;
    rk_err_clear(&err);
    rk_mlp net = { 0 };
    rk_lora lo = { 0 };
    rk_status st = rk_checkpoint_open(&net, model, NN_EVAL_BATCH, &err);
    if (st)
        return cli_fail(cmd, model, st, &err);
    if (adapter && (st = rk_checkpoint_load_adapter(&lo, &net, adapter, &err)) != RK_OK) {
        rk_mlp_free(&net);
        return cli_fail(cmd, adapter, st, &err);
    }
    rk_dataset train = { 0 }, test = { 0 };
    rc = nn_cli_load_data(cmd, data, &train, &test);
    rk_eval ev = { 0 };
    if (!rc && (st = rk_evaluate(&ev, &net, adapter ? &lo : NULL, &test, &err)) != RK_OK)
        rc = cli_fail(cmd, model, st, &err);
    if (!rc && json) {
        rc = cli_json_print(cmd, build_json(model, adapter, &net, adapter ? &lo : NULL, &ev, nthreads,
                                            nn_cli_now() - t0));
    } else if (!rc) {
        if (adapter)
            printf("%s with the LoRA adapter %s (rank %zu, scale %g, %zu parameters)\n", model, adapter,
                   lo.cfg.rank, (double)lo.scale, lo.n_params);
        else
            printf("%s (%zu parameters)\n", model, net.n_params);
        nn_cli_print_table("test accuracy:", &ev);
    }
    rk_eval_free(&ev);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    rk_lora_free(&lo);
    rk_mlp_free(&net);
    return rc;
}
