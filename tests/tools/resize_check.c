/*
 * resize_check.c — fixtures and checks for tests/tools/test_resize.sh.
 *
 *   resize_check make DIR
 *       A LoRA adapter of our own: use_rslora, per-module alphas, three modules
 *         enc.q  B 40×6, A 6×30  (alpha 12)
 *         enc.v  B 30×5, A 5×50  (alpha 10, so its rank and alpha go to the patterns)
 *         head   B 12×4 = 0, A 4×9 (a zero update: every rule leaves it out)
 *       with Gaussian factors (seed 5) and B scaled so the spectra decay.
 *
 *   resize_check check IN OUT RULE [MAX_RANK]
 *       For every module of IN: ΔW = s·B·A formed in double, its dense SVD,
 *       σ_i beyond its numerical rank (≤ r) set to 0 (the dense SVD returns
 *       rounding there, exact arithmetic 0), the rank RULE picks on those spectra (budget over
 *       all of them), and T = [ΔW]_r' truncated from the dense SVD. OUT must
 *       hold that module with rank r' (or leave it out when r' = 0), and
 *       ‖s'·B'·A' − T‖_F ≤ 4·u·(1 + √r')·‖T‖_F with u = 2^-24 the float32
 *       rounding unit (B', A' are stored in float32; the rest is double).
 *       The full tensors must be equal. Prints the worst ratio; exit 0 when
 *       every check holds, 1 otherwise, 2 on a usage or file error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ranklab.h"

static int die(const char *what, rk_status s, const rk_err *err)
{
    fprintf(stderr, "resize_check: %s: %s\n", what, rk_err_message(err, s));
    exit(2);
}

static void need(rk_status s, const char *what)
{
    if (s != RK_OK)
        die(what, s, NULL);
}

static int make(const char *dir)
{
    static const struct { const char *name; size_t out, r, in; double alpha, decay; } spec[] = {
        { "enc.q", 40, 6, 30, 12, 0.5 }, { "enc.v", 30, 5, 50, 10, 0.7 }, { "head", 12, 4, 9, 12, -1 },
    };
    rk_rng rng;
    rk_rng_seed(&rng, 5);
    rk_peft_lora mods[3];
    double alphas[3];
    float *bufs[6];
    for (size_t i = 0; i < 3; i++) {
        size_t out = spec[i].out, r = spec[i].r, in = spec[i].in;
        float *b = bufs[2 * i] = malloc(out * r * sizeof(float));
        float *a = bufs[2 * i + 1] = malloc(r * in * sizeof(float));
        if (!a || !b)
            die("make", RK_ENOMEM, NULL);
        for (size_t j = 0; j < out * r; j++) /* column c of B scaled by decay^c */
            b[j] = spec[i].decay < 0 ? 0.0f /* the zero update */
                                     : (float)(rk_rng_normal(&rng) * pow(spec[i].decay, (double)(j % r)));
        for (size_t j = 0; j < r * in; j++)
            a[j] = (float)rk_rng_normal(&rng);
        mods[i] = (rk_peft_lora){ spec[i].name, r, in, out, a, b };
        alphas[i] = spec[i].alpha;
    }
    rk_peft_write_opts o = { .lora_alpha = 12, .use_rslora = true };
    rk_peft_write_extra x = { .alphas = alphas };
    rk_err err;
    need(rk_peft_write_with(dir, &o, mods, 3, &x, &err), dir);
    for (size_t i = 0; i < 6; i++)
        free(bufs[i]);
    return 0;
}

/* ΔW = s·B·A in double and its dense SVD; the values beyond its rank (at most r, numpy's
 * tolerance σ₁·max(m, n)·ε) set to 0, as they are in exact arithmetic. */
static void dense(const rk_peft_module *m, rk_mat *dw, rk_svd *svd)
{
    need(rk_mat_create(dw, m->out, m->in), "alloc");
    need(rk_mat_gemm(false, false, m->scale, &m->b, &m->a, 0.0, dw), "gemm");
    need(rk_svd_decomp(svd, dw, RK_SVD_THIN), "svd");
    size_t rank = rk_rank_from_values(svd->s, svd->k, svd->m, svd->n, NULL, NULL);
    for (size_t i = rank < m->r ? rank : m->r; i < svd->k; i++)
        svd->s[i] = 0;
}

static const rk_peft_module *find(const rk_peft_adapter *ad, const char *name)
{
    for (size_t i = 0; i < ad->n_modules; i++)
        if (!strcmp(ad->modules[i].name, name))
            return &ad->modules[i];
    return NULL;
}

/* ‖s'·B'·A' − [ΔW]_r‖_F / (u·(1 + √r)·‖[ΔW]_r‖_F). */
static double ratio(const rk_peft_module *got, const rk_svd *svd, size_t r)
{
    rk_mat t, u = rk_mat_view_cols(&svd->u, 0, r), vt = rk_mat_view_rows(&svd->vt, 0, r), us;
    need(rk_mat_dup(&us, &u), "alloc");
    for (size_t i = 0; i < us.rows; i++)
        for (size_t j = 0; j < r; j++)
            RK_AT(&us, i, j) *= svd->s[j];
    need(rk_mat_create(&t, svd->m, svd->n), "alloc");
    need(rk_mat_gemm(false, false, 1.0, &us, &vt, 0.0, &t), "gemm");
    double tn = rk_mat_norm_fro(&t);
    need(rk_mat_gemm(false, false, -got->scale, &got->b, &got->a, 1.0, &t), "gemm");
    double q = rk_mat_norm_fro(&t) / (ldexp(1.0, -24) * (1 + sqrt((double)r)) * tn);
    rk_mat_free(&t);
    rk_mat_free(&us);
    return q;
}

/* The ranks RULE picks on the dense spectra (capped by the module's r, as resize does). */
static void ranks_for(const rk_rank_rule *rule, size_t max_rank, const rk_peft_adapter *in, rk_svd *svds,
                      size_t *ranks)
{
    if (rule->kind == RK_RULE_BUDGET) {
        rk_rule_spectrum *sp = calloc(in->n_modules, sizeof *sp);
        if (!sp)
            die("alloc", RK_ENOMEM, NULL);
        for (size_t i = 0; i < in->n_modules; i++)
            sp[i] = (rk_rule_spectrum){ svds[i].s, svds[i].k, svds[i].m, svds[i].n };
        need(rk_rule_budget(sp, in->n_modules, rule->count, max_rank, ranks, NULL, NULL), "budget");
        free(sp);
    }
    for (size_t i = 0; i < in->n_modules; i++) {
        if (rule->kind != RK_RULE_BUDGET)
            need(rk_rule_rank(rule, svds[i].s, svds[i].k, svds[i].m, svds[i].n, max_rank, &ranks[i]), "rule");
        if (svds[i].k == 0 || svds[i].s[0] == 0)
            ranks[i] = 0; /* a zero update is left out */
        if (ranks[i] > in->modules[i].r)
            ranks[i] = in->modules[i].r;
    }
}

/* Every full tensor of IN is in OUT with the same values. */
static int same_full(const rk_peft_adapter *in, const rk_peft_adapter *out)
{
    int bad = in->n_full != out->n_full;
    for (size_t i = 0; !bad && i < in->n_full; i++) {
        rk_mat x, y;
        need(rk_st_tensor_to_mat(&in->file, in->full[i], &x, NULL), "full");
        need(rk_st_tensor_to_mat(&out->file, out->full[i], &y, NULL), "full");
        bad = strcmp(in->full[i]->name, out->full[i]->name) || x.rows != y.rows || x.cols != y.cols ||
              !(rk_mat_max_abs_diff(&x, &y) == 0);
        rk_mat_free(&x);
        rk_mat_free(&y);
    }
    if (bad)
        printf("# the full tensors differ\n");
    return bad;
}

static int check(const char *in_dir, const char *out_dir, const char *rule_text, size_t max_rank)
{
    rk_peft_adapter in, out;
    rk_rank_rule rule;
    rk_err err;
    if (rk_peft_read(&in, in_dir, &err) || rk_peft_read(&out, out_dir, &err))
        die("read", err.status, &err);
    need(rk_rule_parse(rule_text, &rule, &err), rule_text);
    rk_mat *dw = calloc(in.n_modules, sizeof *dw);
    rk_svd *svds = calloc(in.n_modules, sizeof *svds);
    size_t *ranks = calloc(in.n_modules, sizeof *ranks);
    if (!dw || !svds || !ranks)
        die("alloc", RK_ENOMEM, NULL);
    for (size_t i = 0; i < in.n_modules; i++)
        dense(&in.modules[i], &dw[i], &svds[i]);
    ranks_for(&rule, max_rank, &in, svds, ranks);
    int bad = same_full(&in, &out) || in.config.fan_in_fan_out != out.config.fan_in_fan_out;
    double worst = 0;
    for (size_t i = 0; i < in.n_modules; i++) {
        const rk_peft_module *got = find(&out, in.modules[i].name);
        size_t r = got ? got->r : 0;
        printf("# %s: r %zu -> %zu (the rule on the dense spectrum: %zu)", in.modules[i].name,
               in.modules[i].r, r, ranks[i]);
        if (r != ranks[i])
            bad = 1;
        if (got) {
            double q = ratio(got, &svds[i], r);
            printf(", ||s'B'A' - [dW]_r'||_F / (u (1 + sqrt r') ||[dW]_r'||_F) = %.3g", q);
            worst = q > worst || isnan(q) ? q : worst;
            bad |= !(q <= 4);
        }
        printf("\n");
        rk_mat_free(&dw[i]);
        rk_svd_free(&svds[i]);
    }
    printf("# worst ratio %.3g (bound 4)\n", worst);
    free(dw);
    free(svds);
    free(ranks);
    rk_peft_free(&in);
    rk_peft_free(&out);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "make"))
        return make(argv[2]);
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "check"))
        return check(argv[2], argv[3], argv[4], argc == 6 ? (size_t)strtoul(argv[5], NULL, 10) : 0);
    fprintf(stderr, "usage: resize_check make DIR | check IN OUT RULE [MAX_RANK]\n");
    return 2;
}
