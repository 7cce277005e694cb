/* rank_choice.c — the rank rules side by side on a network's updates (rank_choice.h). */
#include "rank_choice.h"

#include <string.h>

#include "../core/alloc.h"
#include "../core/rng.h"
#include "../linalg/spectrum.h"
#include "../nn/lora.h"

rk_status rk_rank_choice_init(rk_rank_choice *c, const rk_mat *delta, size_t n_layers)
{
    if (!c)
        return RK_EINVAL;
    memset(c, 0, sizeof *c);
    if (!delta || n_layers == 0 || n_layers > RK_MLP_MAX_LAYERS)
        return RK_EINVAL;
    rk_status s = RK_OK;
    for (size_t l = 0; s == RK_OK && l < n_layers; l++) {
        c->n_layers = l + 1;
        c->out[l] = delta[l].rows;
        c->in[l] = delta[l].cols;
        s = rk_svd_decomp(&c->svd[l], &delta[l], RK_SVD_THIN);
    }
    if (s != RK_OK)
        rk_rank_choice_free(c);
    return s;
}

rk_status rk_rank_choice_init_svd(rk_rank_choice *c, rk_svd *svd, size_t n_layers)
{
    if (!c)
        return RK_EINVAL;
    memset(c, 0, sizeof *c);
    if (!svd || n_layers == 0 || n_layers > RK_MLP_MAX_LAYERS)
        return RK_EINVAL;
    for (size_t l = 0; l < n_layers; l++)
        if (svd[l].k == 0 || !svd[l].s || svd[l].u.cols != svd[l].k || svd[l].vt.rows != svd[l].k)
            return RK_EINVAL;
    c->n_layers = n_layers;
    for (size_t l = 0; l < n_layers; l++) {
        c->out[l] = svd[l].m;
        c->in[l] = svd[l].n;
        c->svd[l] = svd[l];
        memset(&svd[l], 0, sizeof svd[l]);
    }
    return RK_OK;
}

/* Each layer's rank under @p rule into row->rank. */
static rk_status choose(const rk_rank_choice *c, const rk_rank_rule *rule, rk_rank_choice_row *row)
{
    if (rule->kind != RK_RULE_BUDGET) {
        rk_status s = RK_OK;
        for (size_t l = 0; s == RK_OK && l < c->n_layers; l++)
            s = rk_rule_rank(rule, c->svd[l].s, c->svd[l].k, c->out[l], c->in[l], 0, &row->rank[l]);
        return s;
    }
    rk_rule_spectrum sp[RK_MLP_MAX_LAYERS];
    for (size_t l = 0; l < c->n_layers; l++)
        sp[l] = (rk_rule_spectrum){ c->svd[l].s, c->svd[l].k, c->out[l], c->in[l] };
    return rk_rule_budget(sp, c->n_layers, rule->count, 0, row->rank, NULL, &row->shortfall);
}

/* The net's adapted layers are the updates' shapes. */
static bool matches(const rk_rank_choice *c, const rk_mlp *net)
{
    if (net->cfg.n_layers != c->n_layers)
        return false;
    for (size_t l = 0; l < c->n_layers; l++)
        if (net->cfg.sizes[l] != c->in[l] || net->cfg.sizes[l + 1] != c->out[l])
            return false;
    return true;
}

/*
 * Layer l of the side path: B = U_r·S_r into the first r columns of the
 * adapter's B (Out×R), A = V_rᵀ into the first r rows of its A (R×In); the
 * rest stays zero, so s·B·A = [ΔW_l]_r with s = 1.
 */
static void fill_layer(rk_lora *lo, const rk_svd *svd, size_t l, size_t r, size_t R)
{
    size_t out = svd->m, in = svd->n;
    float *b = lo->p.b[l], *a = lo->p.a[l];
    memset(b, 0, out * R * sizeof *b);
    memset(a, 0, R * in * sizeof *a);
    for (size_t i = 0; i < out; i++)
        for (size_t j = 0; j < r; j++)
            b[i * R + j] = (float)(RK_AT(&svd->u, i, j) * svd->s[j]);
    for (size_t j = 0; j < r; j++)
        for (size_t k = 0; k < in; k++)
            a[j * in + k] = (float)RK_AT(&svd->vt, j, k);
}

/* Accuracy of W0 + [ΔW]_r (the ranks of @p row) on @p test. */
static rk_status evaluate(const rk_rank_choice *c, rk_rank_choice_row *row, rk_mlp *net,
                          const rk_dataset *test)
{
    size_t R = 0;
    for (size_t l = 0; l < c->n_layers; l++)
        R = row->rank[l] > R ? row->rank[l] : R;
    if (R == 0) /* every update is zero: the network itself */
        return rk_evaluate(&row->eval, net, NULL, test, NULL);
    rk_lora_config lc = rk_lora_config_default();
    lc.rank = R;
    lc.alpha = (double)R;  /* s = 1 */
    rk_rng rng;
    rk_rng_seed(&rng, 0);  /* the random A is overwritten */
    rk_lora lo;
    rk_status s = rk_lora_create(&lo, net, &lc, &rng);
    if (s != RK_OK)
        return s;
    for (size_t l = 0; l < c->n_layers; l++)
        fill_layer(&lo, &c->svd[l], l, row->rank[l], R);
    s = rk_evaluate(&row->eval, net, &lo, test, NULL);
    rk_lora_free(&lo);
    return s;
}

/* A copy of @p src's evaluation into @p dst. */
static rk_status copy_eval(rk_eval *dst, const rk_eval *src)
{
    size_t k = src->n_classes;
    *dst = *src;
    dst->per_class = rk_alloc((k ? k : 1) * sizeof *dst->per_class);
    dst->confusion = rk_alloc((k ? k * k : 1) * sizeof *dst->confusion);
    if (!dst->per_class || !dst->confusion) {
        rk_free(dst->per_class);
        rk_free(dst->confusion);
        memset(dst, 0, sizeof *dst);
        return RK_ENOMEM;
    }
    memcpy(dst->per_class, src->per_class, k * sizeof *dst->per_class);
    memcpy(dst->confusion, src->confusion, k * k * sizeof *dst->confusion);
    return RK_OK;
}

/* An evaluated row before row @p i with the same ranks, or NULL. */
static const rk_rank_choice_row *same_ranks(const rk_rank_choice *c, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        const rk_rank_choice_row *o = &c->rows[j];
        if (o->eval.n_classes && !memcmp(o->rank, c->rows[i].rank, c->n_layers * sizeof *o->rank))
            return o;
    }
    return NULL;
}

rk_status rk_rank_choice_add(rk_rank_choice *c, const rk_rank_rule *rule)
{
    if (!c || !rule || c->n_layers == 0)
        return RK_EINVAL;
    if (c->n_rows >= RK_RANK_CHOICE_MAX_ROWS)
        return RK_ERANGE;
    rk_rank_choice_row *row = &c->rows[c->n_rows];
    memset(row, 0, sizeof *row);
    row->rule = *rule;
    rk_rule_format(rule, row->name, sizeof row->name);
    rk_status s = choose(c, rule, row);
    if (s != RK_OK)
        return s;
    for (size_t l = 0; l < c->n_layers; l++) {
        const rk_svd *d = &c->svd[l];
        double fro = rk_spectrum_fro(d->s, d->k);
        row->energy[l] = rk_spectrum_energy(d->s, d->k, row->rank[l]);
        row->rel_err[l] = fro > 0 ? rk_spectrum_tail_fro(d->s, d->k, row->rank[l]) / fro : 0.0;
        row->params += row->rank[l] * (c->out[l] + c->in[l]);
    }
    c->n_rows++;
    return RK_OK;
}

rk_status rk_rank_choice_evaluate(rk_rank_choice *c, rk_mlp *net, const rk_dataset *test)
{
    if (!c || !net || !test || c->n_layers == 0)
        return RK_EINVAL;
    if (!matches(c, net))
        return RK_ESHAPE;
    rk_status s = RK_OK;
    for (size_t i = 0; s == RK_OK && i < c->n_rows; i++) {
        rk_rank_choice_row *row = &c->rows[i];
        if (row->eval.n_classes)
            continue;
        const rk_rank_choice_row *twin = same_ranks(c, i);
        s = twin ? copy_eval(&row->eval, &twin->eval) : evaluate(c, row, net, test);
    }
    return s;
}

size_t rk_rank_choice_standard(const rk_rank_choice *c, size_t r, rk_rank_rule *rules)
{
    const rk_rank_rule *defaults;
    size_t n = rk_rule_defaults(&defaults), cost = 0;
    memcpy(rules, defaults, n * sizeof *rules);
    for (size_t l = 0; l < c->n_layers; l++)
        cost += c->out[l] + c->in[l];
    rules[n++] = (rk_rank_rule){ .kind = RK_RULE_FIXED, .count = r };
    rules[n++] = (rk_rank_rule){ .kind = RK_RULE_BUDGET, .count = r * cost };
    return n;
}

void rk_rank_choice_free(rk_rank_choice *c)
{
    if (!c)
        return;
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++)
        rk_svd_free(&c->svd[l]);
    for (size_t i = 0; i < RK_RANK_CHOICE_MAX_ROWS; i++)
        rk_eval_free(&c->rows[i].eval);
    memset(c, 0, sizeof *c);
}
