/*
 * extract_rule.c — `ranklab extract --rank-rule RULE`: each module's rank
 * from the whole spectrum of its ΔW (lib/linalg/rankrule.h), and what the
 * output says about it.
 *
 * A rule other than fixed:R needs every singular value (gd the median,
 * sv_cumulative the nuclear norm Σσ_i, budget:P all modules' values at
 * once), so every pair is read and decomposed twice: first the values only
 * (LAPACK's gesdd without vectors, about a third of a full SVD's cost), to
 * choose the ranks; then the rank-r factors by the dense SVD, as `--exact`.
 */
#include "extract.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_progress.h"
#include "cli_rule.h"

static const char *const cmd = "extract";

/* Pair i's singular values into plan->s[i]; exit status. */
static int pair_values(const cli_pairs *p, size_t i, extract_plan *plan)
{
    rk_mat d = { 0 };
    int rc = cli_pairs_delta(cmd, p, i, &d);
    if (rc != RK_EXIT_OK)
        return rc;
    rk_svd svd;
    rk_status st = rk_svd_decomp(&svd, &d, RK_SVD_VALUES);
    size_t m = d.rows, n = d.cols;
    rk_mat_free(&d);
    if (st != RK_OK)
        return cli_pairs_fail(cmd, p, i, st, NULL);
    plan->sp[i] = (rk_rule_spectrum){ NULL, svd.k, m, n };
    plan->s[i] = rk_calloc(svd.k ? svd.k : 1, sizeof **plan->s);
    if (plan->s[i] && svd.k)
        memcpy(plan->s[i], svd.s, svd.k * sizeof **plan->s);
    rk_svd_free(&svd);
    plan->sp[i].s = plan->s[i];
    return plan->s[i] ? RK_EXIT_OK : cli_fail(cmd, NULL, RK_ENOMEM, NULL);
}

/* The rule over the spectra read; exit status. */
static int choose(const extract_opts *o, const cli_pairs *p, extract_plan *plan)
{
    const char **names = rk_calloc(plan->n, sizeof *names);
    if (!names)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    for (size_t i = 0; i < plan->n; i++)
        names[i] = p->names[i] ? p->names[i] : p->ft;
    int rc = cli_rule_ranks(cmd, p->ft, &o->rank.rule, o->rank.max_rank, plan->sp, names, plan->n, plan->ranks,
                            &plan->spent, &plan->shortfall);
    rk_free(names);
    return rc;
}

int extract_plan_make(const extract_opts *o, const cli_pairs *p, extract_plan *plan)
{
    *plan = (extract_plan){ .n = p->n };
    plan->s = rk_calloc(p->n ? p->n : 1, sizeof *plan->s);
    plan->sp = rk_calloc(p->n ? p->n : 1, sizeof *plan->sp);
    plan->ranks = rk_calloc(p->n ? p->n : 1, sizeof *plan->ranks);
    if (!plan->s || !plan->sp || !plan->ranks)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    cli_progress pr;
    cli_progress_begin(&pr, cmd, p->n, cli_pairs_elements(p), o->ck.quiet);
    int rc = RK_EXIT_OK;
    for (size_t i = 0; i < p->n && rc == RK_EXIT_OK; i++) {
        size_t m, n;
        cli_pairs_shape(p, i, &m, &n);
        cli_progress_step(&pr, i, p->names[i] ? p->names[i] : p->ft, m * n);
        rc = pair_values(p, i, plan);
    }
    if (rc == RK_EXIT_OK)
        cli_progress_end(&pr);
    else if (pr.tty)
        fputc('\n', stderr);
    return rc == RK_EXIT_OK ? choose(o, p, plan) : rc;
}

void extract_plan_free(extract_plan *plan)
{
    for (size_t i = 0; plan->s && i < plan->n; i++)
        rk_free(plan->s[i]);
    rk_free(plan->s);
    rk_free(plan->sp);
    rk_free(plan->ranks);
    *plan = (extract_plan){ 0 };
}

const char *extract_plan_skip_reason(const extract_plan *plan, size_t i)
{
    const rk_rule_spectrum *sp = &plan->sp[i];
    return sp->k == 0 || !(sp->s[0] > 0) ? "dW is zero" : "the budget leaves it at rank 0";
}

size_t extract_fixed_rank(const extract_opts *o)
{
    return o->rank.max_rank && o->rank.max_rank < o->rank.rule.count ? o->rank.max_rank : o->rank.rule.count;
}

int extract_item_values(const extract_opts *o, size_t i, double next, extract_item *it)
{
    size_t k = it->m < it->n ? it->m : it->n;
    it->n_sv = o->plan ? o->plan->sp[i].k : it->r + (it->r < k && isfinite(next));
    it->sv = rk_alloc((it->n_sv ? it->n_sv : 1) * sizeof *it->sv);
    if (!it->sv)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    if (o->plan) {
        memcpy(it->sv, o->plan->s[i], it->n_sv * sizeof *it->sv);
        return RK_EXIT_OK;
    }
    double scale = it->alpha / (double)it->r;
    for (size_t j = 0; j < it->r; j++) {
        double sum = 0.0;  /* ‖B_j‖² in double; B32 is finite (checked before) */
        for (size_t row = 0; row < it->m; row++)
            sum += (double)it->b[row * it->r + j] * it->b[row * it->r + j];
        it->sv[j] = scale * sqrt(sum);
    }
    if (it->n_sv > it->r)
        it->sv[it->r] = next;
    return RK_EXIT_OK;
}

