/*
 * finetune_run.c — the steps of `ranklab finetune`: load and evaluate the
 * base, pick the class, train (full: rk_train_run over every parameter;
 * LoRA: over the adapter buffer only), write the model or adapter and ΔW,
 * report. See cmd_finetune.c for the options.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finetune.h"
#include "cli_output.h"

static const char *const init_names[] = { "kaiming", "gaussian", "normal", "pissa" };

static size_t max_batch(const ft_args *a)
{
    return a->nn.batch > NN_EVAL_BATCH ? a->nn.batch : NN_EVAL_BATCH;
}

/* A batch larger than the examples it is drawn from would only repeat
 * examples within a step (and size the activations for rows that never
 * come): use all of them, and say so. */
static void cap_batch(ft_args *a, size_t requested, size_t n, int cls)
{
    if (a->nn.batch > n)
        a->nn.batch = n;
    if (cls >= 0 && requested > n)
        fprintf(stderr, "ranklab finetune: --batch %zu is more than the %zu training examples of class %d: "
                "using batch %zu\n", requested, n, cls, n);
}

int ft_setup(ft_args *a, ft_run *r)
{
    const char *cmd = "finetune";
    rk_err err;
    rk_err_clear(&err);
    int rc = nn_cli_load_data(cmd, a->nn.data, &r->train, &r->test);
    if (rc)
        return rc;
    size_t requested = a->nn.batch;
    cap_batch(a, requested, r->train.n, -1); /* before the activations are sized */
    rk_status st = rk_checkpoint_open(&r->base, a->base, max_batch(a), &err);
    if (st)
        return cli_fail(cmd, a->base, st, &err);
    if ((st = rk_evaluate(&r->before, &r->base, NULL, &r->test, &err)) != RK_OK)
        return cli_fail(cmd, a->base, st, &err);
    if (a->cls >= r->test.n_classes)
        return cli_usage_error(cmd, "--class %ld: the data has classes 0 to %d", a->cls, r->test.n_classes - 1);
    if (a->cls < 0 && r->before.worst >= r->before.n_classes)
        return cli_fail(cmd, a->nn.data ? a->nn.data : rk_dataset_default_dir(), RK_ENOTFOUND, NULL);
    r->cls = a->cls < 0 ? (int)r->before.worst : (int)a->cls;
    size_t n_layers = r->base.cfg.n_layers;
    if (a->lora.layers >> n_layers)
        return cli_usage_error(cmd, "--layers: the net has %zu layers", n_layers);
    r->order = malloc((r->train.n ? r->train.n : 1) * sizeof *r->order);
    if (!r->order)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    for (size_t i = 0; i < r->train.n; i++)
        if (r->train.y[i] == r->cls)
            r->order[r->n_order++] = i;
    if (r->n_order == 0) {
        rk_err_set(&err, RK_ENOTFOUND, "no training examples of class %d", r->cls);
        return cli_fail(cmd, a->nn.data ? a->nn.data : rk_dataset_default_dir(), RK_ENOTFOUND, &err);
    }
    cap_batch(a, requested, r->n_order, r->cls);
    return RK_EXIT_OK;
}

/* An rk_lora that shares @p lo's shape and config but reads its factors from
 * @p params (a copy of lo->params): the adapter as it was at init. Not to be freed. */
static rk_lora lora_view(const rk_lora *lo, float *params)
{
    rk_lora v = *lo;
    v.params = params;
    v.grads = NULL;
    v.acts = NULL;
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++) {
        v.p.a[l] = lo->p.a[l] ? params + (lo->p.a[l] - lo->params) : NULL;
        v.p.b[l] = lo->p.b[l] ? params + (lo->p.b[l] - lo->params) : NULL;
        v.p.bias[l] = lo->p.bias[l] ? params + (lo->p.bias[l] - lo->params) : NULL;
    }
    return v;
}

/*
 * Memory. A full fine-tune trains a copy of the base (ΔW = W_ft − W0 needs
 * W0 afterwards) with a gradient and Adam's m and v for every parameter.
 * LoRA trains on the loaded base itself: it is frozen (lora.h: its weights
 * are never written by training), the base's "before" figures are computed
 * in ft_setup, and ΔW = s·B·A needs only the adapter — so no copy of the
 * weights or of their activations is made. PiSSA rewrites the adapted
 * weights into the residual W − U_R·S_R·V_Rᵀ; nothing reads W0 after that
 * (the adapter is saved relative to W through its init factors, lo_init).
 */
int ft_train(const ft_args *a, ft_run *r)
{
    const char *cmd = "finetune";
    rk_status st = RK_OK;
    if (a->full) {
        st = rk_mlp_create(&r->work, &r->base.cfg, max_batch(a));
        if (!st)
            st = rk_mlp_copy_params(&r->work, &r->base);
        if (st)
            return cli_fail(cmd, NULL, st, NULL);
        r->net = &r->work;
    } else {
        r->net = &r->base;   // opened with max_batch(a) rows in ft_setup
    }
    if (!a->full) {
        rk_rng rng;
        rk_rng_seed(&rng, a->nn.seed);
        st = rk_lora_create(&r->lo, r->net, &a->lora, &rng);
        if (st == RK_ERANGE)
            return cli_usage_error(cmd, "--lora-rank %zu: PiSSA needs a rank at most min(In, Out) of every adapted layer",
                                   a->lora.rank);
        if (!st && a->lora.init == RK_LORA_INIT_PISSA) {
            r->lo_init = malloc(r->lo.n_params * sizeof *r->lo_init);
            if (!r->lo_init)
                st = RK_ENOMEM;
            else
                memcpy(r->lo_init, r->lo.params, r->lo.n_params * sizeof *r->lo_init);
        }
    }
    if (st)
        return cli_fail(cmd, NULL, st, NULL);

    rk_train_opts to = rk_train_opts_default();
    to.optim.lr = a->nn.lr;
    to.batch = a->nn.batch;
    to.steps = a->steps;
    to.seed = a->nn.seed + 1;
    r->losses = calloc(a->steps, sizeof *r->losses);
    if (!r->losses)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    to.losses = r->losses;
    nn_progress prog = { .quiet = a->nn.quiet };
    nn_progress_start(&prog, "finetune", &to, a->steps);
    rk_train_data data = { r->train.x, r->train.y, r->train.n, r->train.dim, r->order, r->n_order };
    rk_err err;
    rk_err_clear(&err);
    st = rk_train_run(r->net, a->full ? NULL : &r->lo, &data, &to, &r->res, &err);
    nn_progress_end(&prog);
    return st ? cli_fail(cmd, NULL, st, &err) : RK_EXIT_OK;   /* diverged: the step, nothing written */
}

/* ΔW of every layer into r->delta: W_ft − W0, or s·B·A (− s·B0·A0 for PiSSA). */
static rk_status compute_deltas(const ft_args *a, ft_run *r)
{
    rk_lora init = r->lo_init ? lora_view(&r->lo, r->lo_init) : r->lo;
    for (size_t l = 0; l < r->base.cfg.n_layers; l++) {
        rk_status st;
        if (a->full) {
            st = rk_mlp_weight_delta(&r->delta[l], &r->work, &r->base, l);
        } else if (!rk_lora_has_layer(&r->lo, l)) {
            continue;
        } else {
            st = rk_lora_delta(&r->delta[l], &r->lo, l);
            rk_mat d0 = { 0 };
            if (!st && r->lo_init && (st = rk_lora_delta(&d0, &init, l)) == RK_OK)
                st = rk_mat_axpy(&r->delta[l], -1.0, &d0);   // s·B·A − s·B0·A0
            rk_mat_free(&d0);
        }
        if (st)
            return st;
        // s·B·A in double can overflow where B and A did not (alpha near DBL_MAX)
        if (!rk_mat_is_finite(&r->delta[l]))
            return RK_EMAGNITUDE;
    }
    return RK_OK;
}

/* DIR/NAME into a new string. */
static char *join(const char *dir, const char *name)
{
    size_t len = strlen(dir) + strlen(name) + 2;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", dir, name);
    return p;
}

int ft_save(const ft_args *a, ft_run *r)
{
    const char *cmd = "finetune";
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_evaluate(&r->after, r->net, a->full ? NULL : &r->lo, &r->test, &err);
    if (st)
        return cli_fail(cmd, NULL, st, &err);
    if ((st = compute_deltas(a, r)) == RK_EMAGNITUDE) {
        rk_err_set(&err, st, "the weight change is not finite (the scale s = %g is too large); nothing written",
                   a->full ? 1.0 : (double)r->lo.scale);
        return cli_fail(cmd, NULL, st, &err);
    }
    if (st)
        return cli_fail(cmd, NULL, st, NULL);
    int rc = r->od.tmp_path ? RK_EXIT_OK : cli_output_dir_open(cmd, "--output", a->nn.out, &r->od);
    if (rc)
        return rc;
    /* Reported by where they will be (a->nn.out); written into the folder being built. */
    const char *w = r->od.tmp_path;
    r->paths[0] = a->full ? join(a->nn.out, "model.safetensors") : join(a->nn.out, "");
    r->paths[1] = join(a->nn.out, "delta.safetensors");
    r->paths[2] = join(w, "finetune.json");
    char *wmodel = join(w, "model.safetensors"), *wdelta = join(w, "delta.safetensors");
    if (!r->paths[0] || !r->paths[1] || !r->paths[2] || !wmodel || !wdelta)
        st = RK_ENOMEM;
    else if (a->full) {
        st = rk_checkpoint_save(&r->work, wmodel, &err);
    } else {
        rk_lora init = r->lo_init ? lora_view(&r->lo, r->lo_init) : r->lo;
        st = rk_checkpoint_save_adapter(&r->lo, r->lo_init ? &init : NULL, w, NULL, &err);
    }
    const char *failed = st == RK_ENOMEM ? NULL : r->paths[0];
    if (st == RK_OK && (st = rk_checkpoint_save_deltas(wdelta, r->delta, r->base.cfg.n_layers, &err)))
        failed = r->paths[1];
    free(wmodel);
    free(wdelta);
    return st == RK_OK ? RK_EXIT_OK : cli_fail(cmd, failed, st, &err);
}

static int json_lora(json_t *o, const ft_args *a, const ft_run *r)
{
    json_t *layers = json_array(), *per = json_array();
    int bad = !layers || !per;
    for (size_t l = 0; !bad && l < r->base.cfg.n_layers; l++) {
        size_t p = a->full ? rk_mlp_layer_params(&r->base, l) : rk_lora_layer_params(&r->lo, l);
        bad |= json_array_append_new(per, json_integer((json_int_t)p));
        if (!a->full && rk_lora_has_layer(&r->lo, l))
            bad |= json_array_append_new(layers, json_integer((json_int_t)l + 1));
    }
    bad |= json_object_set_new(o, "trainable_params_per_layer", per);
    if (a->full) {
        json_decref(layers);
        return bad;
    }
    bad |= json_object_set_new(o, "rank", json_integer((json_int_t)a->lora.rank));
    bad |= json_object_set_new(o, "alpha", json_real(a->lora.alpha));
    bad |= json_object_set_new(o, "scale", json_real(rk_lora_scale(a->lora.alpha, a->lora.rank, a->lora.rslora)));
    bad |= json_object_set_new(o, "rslora", json_boolean(a->lora.rslora));
    bad |= json_object_set_new(o, "init", json_string(init_names[a->lora.init]));
    bad |= json_object_set_new(o, "layers", layers);
    return bad;
}

static json_t *build_json(const ft_args *a, const ft_run *r, int threads, bool ftz, double seconds)
{
    char buf[32];
    json_t *o = json_object();
    int bad = !o;
    size_t trainable = a->full ? r->base.n_params : r->lo.n_params;
    bad |= json_object_set_new(o, "command", json_string("finetune"));
    bad |= json_object_set_new(o, "mode", json_string(a->full ? "full" : "lora"));
    bad |= json_object_set_new(o, "base", json_string(a->base));
    bad |= json_object_set_new(o, a->full ? "model" : "adapter", json_string(a->full ? r->paths[0] : a->nn.out));
    bad |= json_object_set_new(o, "delta", json_string(r->paths[1]));
    bad |= json_object_set_new(o, "target_class", json_integer(r->cls));
    bad |= json_object_set_new(o, "target_class_name", json_string(nn_cli_class_name(r->cls, r->test.n_classes, buf, sizeof buf)));
    bad |= json_object_set_new(o, "class_choice", json_string(a->cls < 0 ? "auto" : "given"));
    bad |= nn_cli_json_eval(o, "", &r->after);
    bad |= json_object_set_new(o, "target_accuracy", json_real(r->after.per_class[r->cls]));
    bad |= nn_cli_json_eval(o, "base_", &r->before);
    bad |= json_object_set_new(o, "base_target_accuracy", json_real(r->before.per_class[r->cls]));
    bad |= json_object_set_new(o, "accuracy_change", json_real(r->after.accuracy - r->before.accuracy));
    bad |= json_object_set_new(o, "target_accuracy_change",
                               json_real(r->after.per_class[r->cls] - r->before.per_class[r->cls]));
    bad |= json_object_set_new(o, "trainable_params", json_integer((json_int_t)trainable));
    bad |= json_object_set_new(o, "base_params", json_integer((json_int_t)r->base.n_params));
    bad |= json_lora(o, a, r);
    bad |= json_object_set_new(o, "seconds", json_real(seconds));
    bad |= json_object_set_new(o, "train_seconds", json_real(r->res.seconds));
    bad |= json_object_set_new(o, "steps", json_integer((json_int_t)r->res.steps));
    bad |= json_object_set_new(o, "batch", json_integer((json_int_t)a->nn.batch));
    bad |= json_object_set_new(o, "lr", json_real(a->nn.lr));
    bad |= json_object_set_new(o, "optimizer", json_string("adam"));
    bad |= json_object_set_new(o, "seed", json_integer((json_int_t)a->nn.seed));
    bad |= json_object_set_new(o, "n_finetune_examples", json_integer((json_int_t)r->n_order));
    bad |= json_object_set_new(o, "loss", nn_cli_json_losses(r->losses, r->res.steps));
    bad |= nn_cli_json_env(o, threads, ftz);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int ft_report(const ft_args *a, ft_run *r, int threads, bool ftz, double seconds)
{
    const char *cmd = "finetune";
    json_t *o = build_json(a, r, threads, ftz, seconds);
    if (!o)
        return cli_fail(cmd, NULL, RK_ENOMEM, NULL);
    int rc = nn_cli_json_write(cmd, r->paths[2], a->nn.out, o);
    if (!rc) /* the whole folder in place before it is reported */
        rc = cli_output_dir_commit(cmd, a->nn.out, &r->od);
    if (rc) {
        json_decref(o);
        return rc;
    }
    if (a->nn.json)
        return cli_json_print(cmd, o);
    json_decref(o);
    char buf[32];
    const char *name = nn_cli_class_name(r->cls, r->test.n_classes, buf, sizeof buf);
    if (a->full)
        printf("full fine-tune of %s: %zu trainable parameters\n", a->base, r->base.n_params);
    else
        printf("LoRA fine-tune of %s: rank %zu, alpha %g, scale %g, init %s, %zu trainable parameters\n",
               a->base, a->lora.rank, a->lora.alpha, (double)r->lo.scale, init_names[a->lora.init],
               r->lo.n_params);
    printf("class %d (%s)%s: %zu training examples, %zu steps of %zu, loss %.4f -> %.4f, %.2f s\n", r->cls,
           name, a->cls < 0 ? ", the base's worst" : "", r->n_order, r->res.steps, a->nn.batch, r->res.loss_first,
           r->res.loss_last, r->res.seconds);
    nn_cli_print_table("test accuracy after fine-tuning:", &r->after);
    printf("class %d (%s): %.4f -> %.4f (%+.1f points)\n", r->cls, name, r->before.per_class[r->cls],
           r->after.per_class[r->cls], 100.0 * (r->after.per_class[r->cls] - r->before.per_class[r->cls]));
    printf("overall: %.4f -> %.4f (%+.1f points)\n", r->before.accuracy, r->after.accuracy,
           100.0 * (r->after.accuracy - r->before.accuracy));
    printf("wrote %s, %s\n", a->full ? r->paths[0] : a->nn.out, r->paths[1]);
    return RK_EXIT_OK;
}
void ft_free(ft_run *r)
{
    rk_mlp_free(&r->base);
    rk_mlp_free(&r->work);
    rk_lora_free(&r->lo);
    free(r->lo_init);
    rk_dataset_free(&r->train);
    rk_dataset_free(&r->test);
    rk_eval_free(&r->before);
    rk_eval_free(&r->after);
    free(r->order);
    free(r->losses);
    for (size_t l = 0; l < RK_MLP_MAX_LAYERS; l++)
        rk_mat_free(&r->delta[l]);
    for (int i = 0; i < 3; i++)
        free(r->paths[i]);
    rk_out_dir_abort(&r->od);
}

