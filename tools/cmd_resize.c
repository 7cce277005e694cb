/*
 * cmd_resize.c — `ranklab resize ADAPTER --rank-rule RULE -o OUT`: re-rank a
 * LoRA adapter from its factors, without forming any m×n update.
 *
 * For each module ΔW = s·B·A, B (m×r), A (r×n) (lib/linalg/factored.h,
 * rk_factored_svd):
 *
 *   B = Q_B·R_B,  Aᵀ = Q_A·R_A          thin QRs
 *   s·R_B·R_Aᵀ = U'·S·V'ᵀ               the r×r SVD
 *   ΔW = (Q_B·U')·S·(Q_A·V')ᵀ           the SVD of ΔW; σ_{r+1} = … = σ_min(m,n) = 0
 *
 * The rule (lib/linalg/rankrule.h) picks r' from that spectrum (padded with
 * its exact zeros to min(m, n) values), and the new factors are
 * B' = U_r'·S_r'/s, A' = V_r'ᵀ (rk_factored_truncate) with the module's scale s
 * kept: lora_alpha' = s·r', so s·B'·A' = [ΔW]_r'. Cost O((m + n)·r² + r³) per
 * module. Written by rk_peft_write_with (lib/io/peft.h): r the most common
 * rank, rank_pattern / alpha_pattern for the others, full tensors copied.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_output.h"
#include "cli_rule.h"
#include "commands.h"
#include "resize_run.h"

static const char resize_usage[] =
    "usage: ranklab resize ADAPTER --rank-rule RULE -o OUT [--max-rank R] [--json]\n"
    "\n"
    "Re-rank every module of the LoRA adapter ADAPTER (a PEFT folder, or its\n"
    ".safetensors file with adapter_config.json beside it) by a rank rule, from\n"
    "its factors and without forming dW: the thin QRs of B (m x r) and A^T\n"
    "(n x r), the r x r SVD of s R_B R_A^T, and the new factors from the top r'\n"
    "singular triplets, B' = U_r' S_r' / s and A' = V_r'^T, so that\n"
    "s B' A' = [s B A]_r', the best rank-r' approximation of the update (the\n"
    "scale s of each module is kept: lora_alpha' = s r'). OUT is written as a\n"
    "PEFT adapter: r the most common rank, rank_pattern and alpha_pattern for the\n"
    "modules that differ; full tensors (modules_to_save) are copied as float32.\n"
    "\n"
    "RULE (formulas: docs/concepts/rank-rules.md; the spectrum of each update\n"
    "is sigma_1 >= ... >= sigma_r, then min(m, n) - r exact zeros):\n"
    "  fixed:R            r' = min(R, r)\n"
    "  energy:F           smallest r' with sum_{i<=r'} sigma_i^2 >= F sum sigma_i^2\n"
    "  sv_fro:F           smallest r' with sqrt(sum_{i<=r'} sigma_i^2) >= F ||dW||_F\n"
    "  sv_cumulative:F    smallest r' with sum_{i<=r'} sigma_i >= F sum sigma_i\n"
    "  sv_ratio:X         the number of sigma_i >= sigma_1 / X\n"
    "  eps:E              the number of sigma_i > E\n"
    "  gd                 the number of sigma_i > omega(beta) median(sigma)\n"
    "                     (Gavish-Donoho; an update of rank r < min(m, n)/2 has\n"
    "                     median 0, so gd keeps its r non-zero values)\n"
    "  budget:P           ranks for all modules together with\n"
    "                     sum_j r'_j (m_j + n_j) <= P, greedy by sigma^2 / (m + n)\n"
    "F in [0, 1], X >= 1, E >= 0, R and P integers >= 1. A rule keeps at least\n"
    "one direction of a non-zero update; a zero update (and a module the budget\n"
    "leaves at 0) is left out and listed as skipped.\n"
    "\n"
    "Options:\n"
    "  --rank-rule RULE    the rule (required, or -r)\n"
    "  -r, --rank R        the same as --rank-rule fixed:R\n"
    "  -o, --output OUT    the new adapter folder (created, or replaced whole when\n"
    "                      it holds only an adapter; not ADAPTER's folder; required)\n"
    "  --max-rank R        cap every module's rank at R >= 1\n"
    "  --json              print one JSON object: adapter, output, rule, max_rank,\n"
    "                      modules (name, shape [out, in], rank_before, rank,\n"
    "                      lora_alpha, scale, energy_kept, rel_err,\n"
    "                      singular_values: the r values of the update),\n"
    "                      skipped, params_before, params_after (and budget_spent,\n"
    "                      budget_shortfall_bound for budget:P)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 ok; 1 ADAPTER cannot be read (A and B disagreeing on r\n"
    "included), no module keeps a rank, P is less than one rank-1 adapter of the\n"
    "smallest module, or OUT cannot be written (nothing is written then); 2 usage\n"
    "error (an unknown rule or a parameter out of range, --max-rank 0).\n";

enum { OPT_JSON = 1101 };

/* One option of resize's own (cli_option_fn). */
static int resize_option(const char *cmd, int c, const char *arg, void *opts)
{
    resize_opts *o = opts;
    int rc = cli_rank_option(cmd, c, arg, &o->rank);
    if (rc != CLI_OPT_UNKNOWN)
        return rc;
    switch (c) {
    case 'o':
        o->out = arg;
        return RK_EXIT_OK;
    case OPT_JSON:
        o->json = true;
        return RK_EXIT_OK;
    default:
        return CLI_OPT_UNKNOWN;
    }
}

/* Parse the options; exit status (RK_EXIT_OK to go on, -1 after --help). */
static int parse_args(int argc, char **argv, resize_opts *o)
{
    static const struct option longopts[] = {
        CLI_RANK_LONGOPTS,
        { "output", required_argument, NULL, 'o' },
        { "json", no_argument, NULL, OPT_JSON },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    static const char *const usage[] = { resize_usage, NULL };
    const char *cmd = "resize";
    int rc = cli_options(cmd, argc, argv, ":ho:r:", longopts, usage, resize_option, o);
    if (rc != RK_EXIT_OK)
        return rc;
    if ((rc = cli_one_file(cmd, argc, argv, optind, &o->adapter)) != RK_EXIT_OK)
        return rc;
    if (!o->rank.have_rule)
        return cli_usage_error(cmd, "missing --rank-rule RULE (accepted: %s)", rk_rule_forms());
    if (!o->out || !*o->out)
        return cli_usage_error(cmd, "missing -o OUT (the adapter folder to write)");
    return RK_EXIT_OK;
}

static void print_text(const resize_opts *o, const resize_job *job)
{
    char rule[64], v[64];
    rk_rule_format(&o->rank.rule, rule, sizeof rule);
    printf("adapter           %s\n", o->adapter);
    cli_print_row("rule", rule, rk_rule_formula(o->rank.rule.kind));
    if (o->rank.max_rank) {
        snprintf(v, sizeof v, "%zu", o->rank.max_rank);
        cli_print_row("max rank", v, NULL);
    }
    printf("\n%-30s %-12s %9s %12s %12s %8s\n", "module", "shape of dW", "r -> r'", "energy kept",
           "rel. error", "alpha'");
    for (size_t i = 0; i < job->n; i++) {
        const resize_item *it = &job->items[i];
        char shape[48], ranks[32];
        snprintf(shape, sizeof shape, "%zu x %zu", it->mod->out, it->mod->in);
        snprintf(ranks, sizeof ranks, "%zu -> %zu", it->mod->r, it->rank);
        if (it->rank == 0) {
            printf("%-30s %-12s %9s   skipped: %s\n", it->mod->name, shape, ranks, it->skip);
            continue;
        }
        printf("%-30s %-12s %9s %12.6f %12.6g %8g\n", it->mod->name, shape, ranks, it->energy,
               it->rel_err, it->alpha);
    }
    printf("\n");
    snprintf(v, sizeof v, "%zu -> %zu", job->params_before, job->params_after);
    cli_print_row("parameters", v, "(sum of r (m + n) over the modules)");
    if (o->rank.rule.kind == RK_RULE_BUDGET) {
        snprintf(v, sizeof v, "%zu of %zu", job->spent, o->rank.rule.count);
        cli_print_row("budget spent", v, NULL);
        snprintf(v, sizeof v, "%.6g", job->shortfall);
        cli_print_row("greedy shortfall", v, "(at most this much energy below the best choice)");
    }
    printf("%-18s%s/adapter_config.json, %s/adapter_model.safetensors\n", "wrote", o->out, o->out);
}

int cmd_resize(int argc, char **argv)
{
    resize_opts o = { 0 };
    int rc = parse_args(argc, argv, &o);
    if (rc != RK_EXIT_OK)
        return rc < 0 ? RK_EXIT_OK : rc;
    rk_out_dir od; /* checked and started before any work (lib/io/output.h) */
    if ((rc = cli_output_not_inside("resize", o.out, "ADAPTER", o.adapter)) != RK_EXIT_OK ||
        (rc = cli_output_dir_open("resize", "-o", o.out, &od)) != RK_EXIT_OK)
        return rc;
    resize_job job;
    rc = resize_prepare(&o, &job);
    if (rc == RK_EXIT_OK)
        rc = resize_write(&o, &job, od.tmp_path);
    if (rc == RK_EXIT_OK)
        rc = cli_output_dir_commit("resize", o.out, &od);
    if (rc == RK_EXIT_OK) {
        if (o.json)
            rc = cli_json_print("resize", resize_json(&o, &job));
        else
            print_text(&o, &job);
    }
    resize_free(&job);
    rk_out_dir_abort(&od);
    return rc;
}
