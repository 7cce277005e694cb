/* commands.c — the table of ranklab subcommands, in `ranklab help` order. */
#include "commands.h"

#include <stddef.h>

const rk_command rk_commands[] = {
    { "svd", cmd_svd, "singular values, rank, energy, norms of a matrix" },
    { "rank", cmd_rank, "numerical rank of a matrix and the tolerance used" },
    { "approx", cmd_approx, "best rank-k approximation, its factors and errors" },
    { "random", cmd_random, "write a random (Gaussian or exactly rank-R) matrix" },
    { "tutorial", cmd_tutorial, "run a lesson step by step (ranklab-tutorial-NN)" },
    { "ls", cmd_ls, "list the tensors of a safetensors or .npy file" },
    { "inspect", cmd_inspect, "spectra of the LoRA updates in a PEFT adapter" },
    { "delta", cmd_delta, "spectrum, rank and truncation errors of a weight difference" },
    { "extract", cmd_extract, "the rank-R LoRA adapter closest to a weight difference" },
    { "resize", cmd_resize, "re-rank a LoRA adapter by a rank rule, from its factors" },
    { "intruders", cmd_intruders, "intruder dimensions of a fine-tune, and scaling them down" },
    { "info", cmd_info, "version, BLAS and kernel core, threads, CPU features, sgemm speed" },
    { "train", cmd_train, "pretrain an MLP on Fashion-MNIST, write model.safetensors" },
    { "finetune", cmd_finetune, "fine-tune a model on one class (full or LoRA), write the deltas" },
    { "eval", cmd_eval, "per-class test accuracy of a model, optionally with a LoRA adapter" },
    { "demo", cmd_demo, "the main experiment: LoRA against the SVD of a full fine-tune" },
    { "compare", cmd_compare, "the experiment's analysis of saved runs (base, deltas, adapters)" },
    { NULL, NULL, NULL },
};
const int rk_command_count = (int)(sizeof rk_commands / sizeof rk_commands[0]) - 1;
