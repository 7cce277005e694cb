/* learn_forget.c — records of learning against forgetting along a fine-tune (see learn_forget.h). */
#include "analysis/learn_forget.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "linalg/factored.h"
#include "linalg/gram.h"
#include "linalg/spectrum.h"
#include "linalg/subspace.h"
#include "linalg/svd.h"
#include "nn/eval.h"

rk_status rk_lf_track_init(rk_lf_track *t, size_t n_layers, size_t cap, size_t phi_rank)
{
    if (!t || n_layers == 0 || cap == 0)
        return RK_EINVAL;
    memset(t, 0, sizeof *t);
    if (cap > SIZE_MAX / n_layers / sizeof(rk_mat))
        return RK_EOVERFLOW;
    t->n_layers = n_layers;
    t->cap = cap;
    t->phi_rank = phi_rank;
    t->points = rk_calloc(cap, sizeof *t->points);
    t->layers = rk_calloc(cap * n_layers, sizeof *t->layers);
    if (phi_rank)
        t->u_top = rk_calloc(cap * n_layers, sizeof *t->u_top);
    if (!t->points || !t->layers || (phi_rank && !t->u_top)) {
        rk_lf_track_free(t);
        return RK_ENOMEM;
    }
    return RK_OK;
}

void rk_lf_track_free(rk_lf_track *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->u_top && i < t->cap * t->n_layers; i++)
        rk_mat_free(&t->u_top[i]);
    rk_free(t->u_top);
    rk_free(t->points);
    rk_free(t->layers);
    memset(t, 0, sizeof *t);
}

rk_status rk_lf_accuracy(rk_lf_point *p, rk_mlp *net, rk_lora *lora, const rk_lf_eval *ev)
{
    if (!p || !net || !ev || !ev->x || !ev->y)
        return RK_EINVAL;
    size_t c = net->cfg.sizes[net->cfg.n_layers];
    if (ev->target < 0 || (size_t)ev->target >= c)
        return RK_EINVAL;
    rk_eval e;
    rk_status s = rk_evaluate_rows(&e, net, lora, ev->x, ev->y, ev->n, NULL);
    if (s == RK_OK) {
        p->target_acc = rk_eval_class_accuracy(&e, ev->target);
        p->other_acc = rk_eval_others_accuracy(&e, ev->target);
    }
    rk_eval_free(&e);
    return s;
}

/* The indices of @p d's rows (cols false) or columns with a non-zero entry into @p idx; returns how many. */
static size_t nonzero_lines(const rk_mat *d, bool cols, size_t *idx)
{
    size_t outer = cols ? d->cols : d->rows, inner = cols ? d->rows : d->cols, n = 0;
    for (size_t i = 0; i < outer; i++)
        for (size_t j = 0; j < inner; j++)
            if ((cols ? RK_AT(d, j, i) : RK_AT(d, i, j)) != 0.0) {
                idx[n++] = i;
                break;
            }
    return n;
}

/*
 * The SVD of a dense update ΔW (m×n) through its block of non-zero lines. Adam
 * leaves a weight exactly unchanged while its gradient is 0, so the rows of
 * hidden units the target images never activate and the columns of inputs that
 * are 0 in all of them stay 0: ΔW = P·[D 0; 0 0]·Qᵀ for permutations P, Q and
 * D (m'×n') its non-zero rows and columns. So ΔW's singular values are D's and
 * min(m, n) − min(m', n') zeros, and its left singular vectors of σ > 0 are
 * D's with 0 on the dropped rows. svd gets D's values (gesdd without vectors,
 * rk_svd_decomp) and, with @p r > 0, u (m×min(r, k')) the top left vectors by
 * rk_gram_top_left (lib/linalg/gram.h: eigenvectors of D's smaller Gram
 * matrix). *zero says ΔW = 0 (no SVD made).
 */
static rk_status dense_svd(rk_svd *svd, const rk_mat *d, size_t r, bool *zero)
{
    memset(svd, 0, sizeof *svd);
    size_t *rows = rk_alloc((d->rows + 1) * sizeof *rows), *cols = rk_alloc((d->cols + 1) * sizeof *cols);
    rk_mat c = { 0 }, uc = { 0 };
    rk_status s = rows && cols ? RK_OK : RK_ENOMEM;
    size_t m = s == RK_OK ? nonzero_lines(d, false, rows) : 0;
    size_t n = m ? nonzero_lines(d, true, cols) : 0;
    *zero = s == RK_OK && m == 0;
    if (s == RK_OK && m && (s = rk_mat_create(&c, m, n)) == RK_OK) {
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < n; j++)
                RK_AT(&c, i, j) = RK_AT(d, rows[i], cols[j]);
        s = rk_svd_decomp(svd, &c, RK_SVD_VALUES);
    }
    size_t k = m < n ? m : n, rr = r < k ? r : k;
    if (s == RK_OK && rr && (s = rk_gram_top_left(&uc, &c, rr)) == RK_OK &&
        (s = rk_mat_create(&svd->u, d->rows, rr)) == RK_OK)
        for (size_t i = 0; i < m; i++)
            memcpy(&RK_AT(&svd->u, rows[i], 0), &RK_AT(&uc, i, 0), rr * sizeof(double));
    if (s != RK_OK)
        rk_svd_free(svd);
    rk_mat_free(&uc);
    rk_mat_free(&c);
    rk_free(cols);
    rk_free(rows);
    return s;
}

/* The SVD of layer @p l's update: s·B·A from the factors, or W_t − W0 dense (top @p r left
 * vectors in u); *zero (left false otherwise) says W_t = W0 exactly, and no SVD was made. */
static rk_status layer_svd(rk_svd *svd, rk_mlp *net, const rk_lora *lora, const rk_mlp *base,
                           size_t l, size_t r, bool *zero)
{
    size_t in = net->cfg.sizes[l], out = net->cfg.sizes[l + 1];
    rk_mat a = { 0 }, b = { 0 }, d = { 0 };
    rk_status s;
    if (lora) {
        size_t rank = lora->cfg.rank;
        if ((s = rk_mat_from_f32(&a, lora->p.a[l], rank, in)) == RK_OK &&
            (s = rk_mat_from_f32(&b, lora->p.b[l], out, rank)) == RK_OK)
            s = rk_factored_svd(svd, &b, &a, (double)lora->scale, r ? RK_SVD_THIN : RK_SVD_VALUES);
    } else if ((s = rk_mlp_weight_delta(&d, net, base, l)) == RK_OK) {
        s = dense_svd(svd, &d, r, zero);
    }
    rk_mat_free(&a);
    rk_mat_free(&b);
    rk_mat_free(&d);
    return s;
}

/* The statistics of layer @p l at record @p i (and its top vectors with phi_rank). */
static rk_status record_layer(rk_lf_track *t, size_t i, size_t l, rk_mlp *net, rk_lora *lora,
                              const rk_mlp *base)
{
    rk_lf_layer *out = &t->layers[i * t->n_layers + l];
    *out = (rk_lf_layer){ .phi = NAN };
    if (lora && !rk_lora_has_layer(lora, l))
        return RK_OK; /* no adapter: ΔW = 0 */
    rk_svd svd;
    bool zero = false;
    rk_status s = layer_svd(&svd, net, lora, base, l, t->phi_rank, &zero);
    if (s != RK_OK || zero)
        return s;   /* ΔW = 0: every statistic 0, φ NaN */
    out->fro = rk_spectrum_fro(svd.s, svd.k);
    out->rank_90 = rk_spectrum_rank_for_energy(svd.s, svd.k, 0.90);
    out->rank_99 = rk_spectrum_rank_for_energy(svd.s, svd.k, 0.99);
    out->eff_rank = rk_spectrum_effective_rank(svd.s, svd.k);
    if (t->phi_rank && out->fro > 0.0) {
        size_t r = t->phi_rank < svd.k ? t->phi_rank : svd.k;
        rk_mat top = rk_mat_view_cols(&svd.u, 0, r);
        s = rk_mat_dup(&t->u_top[i * t->n_layers + l], &top);
    }
    rk_svd_free(&svd);
    return s;
}

rk_status rk_lf_record(rk_lf_track *t, size_t step, rk_mlp *net, rk_lora *lora, const rk_mlp *base,
                       const rk_lf_eval *ev)
{
    if (!t || !t->points || !net || !ev || (!lora && !base))
        return RK_EINVAL;
    if (t->n_layers != net->cfg.n_layers)
        return RK_ESHAPE;
    if (t->n > 0 && t->points[t->n - 1].step == step)
        return RK_OK;
    if (t->n == t->cap)
        return RK_ERANGE;
    size_t i = t->n;
    rk_status s = rk_lf_accuracy(&t->points[i], net, lora, ev);
    t->points[i].step = step;
    for (size_t l = 0; s == RK_OK && l < t->n_layers; l++)
        s = record_layer(t, i, l, net, lora, base);
    if (s != RK_OK) {
        for (size_t l = 0; t->u_top && l < t->n_layers; l++)
            rk_mat_free(&t->u_top[i * t->n_layers + l]);
        return s;
    }
    t->n++;
    return RK_OK;
}

rk_status rk_lf_finish(rk_lf_track *t)
{
    if (!t)
        return RK_EINVAL;
    if (!t->u_top || t->n == 0)
        return RK_OK;
    size_t last = (t->n - 1) * t->n_layers;
    rk_status s = RK_OK;
    for (size_t i = 0; s == RK_OK && i < t->n; i++) {
        for (size_t l = 0; s == RK_OK && l < t->n_layers; l++) {
            const rk_mat *ui = &t->u_top[i * t->n_layers + l], *uf = &t->u_top[last + l];
            if (!ui->data || !uf->data)
                continue; /* a zero update: no directions to compare */
            size_t r = ui->cols < uf->cols ? ui->cols : uf->cols;
            s = rk_subspace_phi(&t->layers[i * t->n_layers + l].phi, ui, uf, r, r);
        }
    }
    for (size_t i = 0; s == RK_OK && i < t->cap * t->n_layers; i++)
        rk_mat_free(&t->u_top[i]);
    return s;
}
