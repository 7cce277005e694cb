/* exp_cli.c — progress display and output writing shared by demo and compare (exp_cli.h). */
#include "exp_cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_output.h"
#include "nn_cli.h"

void exp_progress_start(exp_progress *p, bool quiet, double t0)
{
    memset(p, 0, sizeof *p);
    p->quiet = quiet;
    p->tty = isatty(STDERR_FILENO);
    p->t0 = t0;
}

int exp_progress_cb(const char *phase, const rk_train_progress *tp, void *ctx)
{
    exp_progress *p = ctx;
    if (p->quiet)
        return 0;
    bool new_phase = strcmp(p->phase, phase) != 0;
    if (new_phase) {
        if (p->tty && p->phase[0])
            fputc('\n', stderr);
        snprintf(p->phase, sizeof p->phase, "%s", phase);
    }
    double t = nn_cli_now() - p->t0;
    if (!tp) {
        if (new_phase)
            fprintf(stderr, "[%6.1fs] %s%s", t, phase, p->tty ? "" : "\n");
        return 0;
    }
    bool last = tp->step >= tp->total_steps;
    if (p->tty) {
        fprintf(stderr, "\r[%6.1fs] %-24s step %6zu/%-6zu loss %.4f", t, phase, tp->step,
                tp->total_steps, tp->loss_mean);
    } else if (new_phase || last || tp->step % (tp->total_steps / 4 + 1) < 10) {
        fprintf(stderr, "[%6.1fs] %s: step %zu/%zu, loss %.4f\n", t, phase, tp->step,
                tp->total_steps, tp->loss_mean);
    }
    fflush(stderr);
    return 0;
}

int exp_parse_format(const char *cmd, const char *arg, rk_plot_format *format)
{
    if (rk_plot_format_parse(arg, format) != RK_OK || *format == RK_PLOT_TERM)
        return cli_usage_error(cmd, "--format is png or svg, not '%s'", arg);
    return RK_EXIT_OK;
}

int exp_write_outputs(const char *cmd, const char *out, rk_plot_format format, const rk_exp_config *cfg,
                      const rk_exp_models *m, const rk_exp_analysis *a,
                      const rk_exp_report_info *info)
{
    rk_err err;
    rk_err_clear(&err);
    rk_status s = rk_mkdir_p(out, &err);
    if (s != RK_OK)
        return cli_fail(cmd, out, s, &err);
    char path[4096];
    snprintf(path, sizeof path, "%s/results.json", out);
    s = rk_exp_results_write(path, cfg, m, a, &err);
    if (s != RK_OK)
        return cli_fail(cmd, path, s, &err);
    rk_exp_plots plots;
    s = rk_exp_plots_write(out, format, cfg, m, a, &plots, &err);
    if (s != RK_OK)
        return cli_fail(cmd, out, s, &err);
    if (plots.gnuplot_error[0])
        fprintf(stderr, "ranklab %s: warning: plots not drawn (data files written): %s\n", cmd,
                plots.gnuplot_error);
    s = rk_exp_report_write(out, cfg, m, a, &plots, info, &err);
    if (s != RK_OK)
        return cli_fail(cmd, out, s, &err);
    return RK_EXIT_OK;
}

void exp_print_summary(const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (m->target_class >= 0)
        printf("target class: %d\n", m->target_class);
    if (m->pretrain_eval.n_classes)
        printf("pretrained:   accuracy %.4f, target class %.4f\n", m->pretrain_eval.accuracy,
               rk_exp_target_accuracy(m, &m->pretrain_eval));
    if (m->full_eval.n_classes)
        printf("full:         accuracy %.4f, target class %.4f, %zu trainable params\n",
               m->full_eval.accuracy, rk_exp_target_accuracy(m, &m->full_eval),
               m->full_cost.trainable_params);
    printf("%-22s %9s %8s %8s", "LoRA run", "params", "acc", "target");
    for (size_t l = 0; l < a->n_layers; l++)
        printf("  %-18s", a->layers[l].name);
    printf("\n%-22s %9s %8s %8s", "", "", "", "");
    for (size_t l = 0; l < a->n_layers; l++)
        printf("  %-18s", "rel_err / EY");
    printf("\n");
    for (size_t i = 0; i < m->n_runs; i++) {
        const rk_exp_lora_run *r = &m->runs[i];
        size_t p = rk_exp_lora_run_params(r);
        char acc[16] = "-", tgt[16] = "-";
        if (r->eval.n_classes) {
            snprintf(acc, sizeof acc, "%.4f", r->eval.accuracy);
            snprintf(tgt, sizeof tgt, "%.4f", rk_exp_target_accuracy(m, &r->eval));
        }
        printf("%-22.22s %9zu %8s %8s", r->label, p, acc, tgt);
        for (size_t l = 0; l < a->n_layers; l++)
            printf("  %7.4f / %-8.4f", a->layers[l].cmp[i].rel_err, a->layers[l].cmp[i].ey_rel_err);
        printf("\n");
    }
}

/* The rank rules on ΔW_full (lib/analysis/experiment_rules.c): each rule's r per layer, params, accuracies. */
static void exp_print_rules(const rk_exp_models *m, const rk_exp_analysis *a)
{
    if (!a->have_rules)
        return;
    const rk_rank_choice *c = &a->rules;
    printf("\nrank rules on dW_full (W0 + [dW_full]_r)\n%-22s", "rule");
    for (size_t l = 0; l < c->n_layers; l++)
        printf(" %8.8s", m->names[l]);
    printf(" %9s %8s %8s\n", "params", "acc", "target");
    for (size_t i = 0; i < c->n_rows; i++) {
        const rk_rank_choice_row *row = &c->rows[i];
        printf("%-22s", row->name);
        for (size_t l = 0; l < c->n_layers; l++)
            printf(" %8zu", row->rank[l]);
        if (row->eval.n_classes)
            printf(" %9zu %8.4f %8.4f\n", row->params, row->eval.accuracy, rk_exp_target_accuracy(m, &row->eval));
        else
            printf(" %9zu %8s %8s\n", row->params, "-", "-");
    }
}

const char *exp_command_line(int argc, char **argv)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = 0;
    for (int i = -1; i < argc && n + 2 < sizeof buf; i++) {
        const char *a = i < 0 ? "ranklab" : argv[i];
        int w = snprintf(buf + n, sizeof buf - n, "%s%s", i >= 0 ? " " : "", a);
        if (w < 0 || (size_t)w >= sizeof buf - n)
            break;
        n += (size_t)w;
    }
    return buf;
}

int exp_finish(const char *cmd, exp_progress *prog, rk_out_dir *od, const char *out, rk_plot_format format,
               const rk_exp_config *cfg, const rk_exp_models *m, const rk_exp_analysis *a,
               rk_exp_report_info *info, bool json)
{
    exp_progress_cb("plots and report", NULL, prog);
    if (!prog->quiet)
        fputc('\n', stderr);
    info->total_seconds = nn_cli_now() - prog->t0;
    int rc = exp_write_outputs(cmd, od->tmp_path, format, cfg, m, a, info);
    if (rc == RK_EXIT_OK && !json) {
        exp_print_summary(m, a);
        exp_print_rules(m, a);
    }
    if (rc == RK_EXIT_OK) /* the whole folder in place before it is reported */
        rc = cli_output_dir_commit(cmd, out, od);
    if (rc == RK_EXIT_OK && json)
        rc = exp_print_json(cmd, out, m, a, nn_cli_now() - prog->t0);
    return rc;
}

/* {"accuracy", "target_accuracy"} of one evaluation; null when not evaluated. */
static json_t *eval_json(const rk_exp_models *m, const rk_eval *ev)
{
    if (!ev->n_classes)
        return json_null();
    return json_pack("{s:o, s:o}", "accuracy", cli_json_real_or_null(ev->accuracy),
                     "target_accuracy", cli_json_real_or_null(rk_exp_target_accuracy(m, ev)));
}

int exp_print_json(const char *cmd, const char *out, const rk_exp_models *m,
                   const rk_exp_analysis *a, double seconds)
{
    char report[4096], results[4096];
    snprintf(report, sizeof report, "%s/report.md", out);
    snprintf(results, sizeof results, "%s/results.json", out);
    json_t *runs = json_array();
    for (size_t i = 0; runs && i < m->n_runs; i++) {
        const rk_exp_lora_run *r = &m->runs[i];
        json_t *rel = json_array(), *ey = json_array();
        for (size_t l = 0; rel && ey && l < a->n_layers; l++) {
            json_array_append_new(rel, cli_json_real_or_null(a->layers[l].cmp[i].rel_err));
            json_array_append_new(ey, cli_json_real_or_null(a->layers[l].cmp[i].ey_rel_err));
        }
        json_t *o = json_pack("{s:s, s:I, s:I, s:o, s:o, s:o}", "label", r->label, "rank",
                              (json_int_t)r->rank, "params", (json_int_t)rk_exp_lora_run_params(r),
                              "eval", eval_json(m, &r->eval), "rel_err", rel ? rel : json_null(),
                              "ey_rel_err", ey ? ey : json_null());
        if (!o || json_array_append_new(runs, o)) {
            json_decref(runs);
            runs = NULL;
        }
    }
    json_t *layers = json_array();
    for (size_t l = 0; layers && l < a->n_layers; l++)
        json_array_append_new(layers, json_string(a->layers[l].name));
    return cli_json_print(cmd, json_pack("{s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o}",
                                         "output", out, "report", report, "results", results,
                                         "target_class", (json_int_t)m->target_class,
                                         "pretrained", eval_json(m, &m->pretrain_eval),
                                         "full", eval_json(m, &m->full_eval), "layers",
                                         layers ? layers : json_null(), "lora",
                                         runs ? runs : json_null(), "seconds", json_real(seconds)));
}
