/* nn_cli.c — shared parts of the train, finetune and eval commands (see nn_cli.h). */
#include "nn_cli.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define NN_HAVE_MXCSR 1
#endif

bool nn_cli_enable_ftz(void)
{
#ifdef NN_HAVE_MXCSR
    // MXCSR bit 15 FTZ (subnormal results → 0), bit 6 DAZ (subnormal inputs read as 0)
    _mm_setcsr(_mm_getcsr() | 0x8040u);
    return true;
#else
    return false;
#endif
}

double nn_cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int nn_cli_load_data(const char *cmd, const char *dir, rk_dataset *train, rk_dataset *test)
{
    rk_err err;
    rk_err_clear(&err);
    const char *d = dir ? dir : rk_dataset_default_dir();
    rk_status st = rk_dataset_load(train, test, d, &err);
    if (st)
        return cli_fail(cmd, d, st, &err);
    /* Accuracies over no examples would be 0/0: refuse rather than print NaN. */
    if (train->n == 0 || test->n == 0) {
        rk_err_set(&err, RK_EDATA, "no %s examples in %s", train->n == 0 ? "training" : "test", d);
        rk_dataset_free(train);
        rk_dataset_free(test);
        return cli_fail(cmd, NULL, RK_EDATA, &err);
    }
    return RK_EXIT_OK;
}

const char *nn_cli_class_name(int c, int k, char *buf, size_t len)
{
    if (k == 10 && c >= 0 && c < 10)
        return rk_dataset_class_name((size_t)c);
    snprintf(buf, len, "class %d", c);
    return buf;
}

void nn_cli_print_table(const char *title, const rk_eval *ev)
{
    char buf[32];
    size_t k = ev->n_classes;
    printf("%s\n", title);
    printf("  %-16s %11s %8s\n", "class", "correct", "accuracy");
    for (size_t c = 0; c < k; c++) {
        size_t right = ev->confusion[c * k + c];
        size_t total = right + rk_metrics_class_wrong(ev->confusion, k, c);
        char counts[48];
        snprintf(counts, sizeof counts, "%zu/%zu", right, total);
        printf("  %zu %-14s %11s %8.4f%s\n", c, nn_cli_class_name((int)c, (int)k, buf, sizeof buf),
               counts, ev->per_class[c], c == ev->worst ? "   <- worst" : "");
    }
    char counts[48];
    snprintf(counts, sizeof counts, "%zu/%zu", ev->correct, ev->n);
    printf("  %-16s %11s %8.4f\n", "overall", counts, ev->accuracy);
}

/* o[prefix + key] = value */
static int set_prefixed(json_t *o, const char *prefix, const char *key, json_t *value)
{
    char name[96];
    snprintf(name, sizeof name, "%s%s", prefix, key);
    return json_object_set_new(o, name, value);
}

int nn_cli_json_eval(json_t *o, const char *prefix, const rk_eval *ev)
{
    json_t *acc = json_array(), *right = json_array(), *total = json_array();
    int bad = !acc || !right || !total;
    size_t k = ev->n_classes;
    for (size_t c = 0; !bad && c < k; c++) {
        size_t r = ev->confusion[c * k + c];
        bad |= json_array_append_new(acc, cli_json_real_or_null(ev->per_class[c]));
        bad |= json_array_append_new(right, json_integer((json_int_t)r));
        bad |= json_array_append_new(total, json_integer((json_int_t)(r + rk_metrics_class_wrong(ev->confusion, k, c))));
    }
    bad |= set_prefixed(o, prefix, "accuracy", cli_json_real_or_null(ev->accuracy));
    bad |= set_prefixed(o, prefix, "per_class_accuracy", acc);
    bad |= set_prefixed(o, prefix, "per_class_correct", right);
    bad |= set_prefixed(o, prefix, "per_class_total", total);
    bad |= set_prefixed(o, prefix, "worst_class", json_integer(ev->worst < k ? (json_int_t)ev->worst : -1));
    return bad;
}

json_t *nn_cli_json_losses(const float *losses, size_t n)
{
    json_t *o = json_object(), *win = json_array();
    if (!o || !win || n == 0) {
        json_decref(o);
        json_decref(win);
        return json_null();
    }
    size_t w = n < 10 ? n : 10;
    int bad = 0;
    for (size_t i = 0; i < w; i++) {
        size_t lo = i * n / w, hi = (i + 1) * n / w;
        double sum = 0.0;
        for (size_t j = lo; j < hi; j++)
            sum += losses[j];
        bad |= json_array_append_new(win, cli_json_real_or_null(sum / (double)(hi - lo)));
    }
    bad |= json_object_set_new(o, "first", cli_json_real_or_null(losses[0]));
    bad |= json_object_set_new(o, "last", cli_json_real_or_null(losses[n - 1]));
    bad |= json_object_set_new(o, "window_means", win);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int nn_cli_json_write(const char *cmd, const char *path, const char *shown, json_t *o)
{
    const char *name = shown ? shown : path;
    char *text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    if (!text)
        return cli_json_fail(cmd); /* a NaN or Inf (named as such), or memory */
    char *line = malloc(strlen(text) + 2);
    if (!line) {
        free(text);
        return cli_fail(cmd, name, RK_ENOMEM, NULL);
    }
    size_t len = (size_t)sprintf(line, "%s\n", text);
    free(text);
    rk_err err;
    rk_err_clear(&err);
    rk_status st = rk_file_write_all(path, line, len, &err);
    free(line);
    return st ? cli_fail(cmd, name, st, &err) : RK_EXIT_OK;
}

int nn_cli_json_env(json_t *o, int threads, bool ftz)
{
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    int bad = json_object_set_new(o, "blas_threads", json_integer(threads));
    bad |= json_object_set_new(o, "openblas_num_threads_env", env ? json_string(env) : json_null());
    bad |= json_object_set_new(o, "ftz", json_boolean(ftz));
    return bad;
}

/* The callback of rk_train_run: a bar redrawn at most 10 times a second on a
 * terminal, one plain line per report otherwise. */
static rk_status progress_cb(const rk_train_progress *tp, void *ctx)
{
    nn_progress *p = ctx;
    if (p->quiet)
        return RK_OK;
    double eta = tp->step ? tp->seconds * (double)(tp->total_steps - tp->step) / (double)tp->step : 0.0;
    if (p->tty) {
        double now = nn_cli_now();
        if (tp->step != tp->total_steps && now - p->last_draw < 0.1)
            return RK_OK;
        p->last_draw = now;
        int width = 24, fill = (int)((double)width * (double)tp->step / (double)tp->total_steps);
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r%s [%s] %zu/%zu loss %.4f %.0f samples/s ETA %.0fs ", p->phase, bar, tp->step,
                tp->total_steps, tp->loss_mean, tp->samples_per_s, eta);
        p->drawn = true;
    } else {
        fprintf(stderr, "%s: step %zu/%zu loss %.4f (mean since last line) %.0f samples/s ETA %.0fs\n",
                p->phase, tp->step, tp->total_steps, tp->loss_mean, tp->samples_per_s, eta);
    }
    fflush(stderr);
    return RK_OK;
}

void nn_progress_start(nn_progress *p, const char *phase, rk_train_opts *opts, size_t total)
{
    p->phase = phase;
    p->tty = isatty(STDERR_FILENO) != 0;
    p->last_draw = 0.0;
    p->drawn = false;
    size_t every = total / (p->tty ? 200 : 10);
    opts->report_every = every ? every : 1;
    opts->callback = progress_cb;
    opts->callback_ctx = p;
}

void nn_progress_end(nn_progress *p)
{
    if (p->drawn && !p->quiet)
        fputc('\n', stderr);
    p->drawn = false;
}

int nn_cli_option(const char *cmd, int c, const char *arg, nn_cli_opts *o)
{
    switch (c) {
    case 'o': o->out = arg; break;
    case 'q': o->quiet = true; break;
    case NN_OPT_DATA: o->data = arg; break;
    case NN_OPT_JSON: o->json = true; break;
    case NN_OPT_THREADS:
        if (!cli_parse_size(arg, 1024, &o->threads) || o->threads == 0)
            return cli_usage_error(cmd, "--threads wants a whole number from 1 to 1024, not '%s'", arg);
        break;
    case NN_OPT_BATCH:
        if (!cli_parse_size(arg, 1u << 20, &o->batch) || o->batch == 0)
            return cli_usage_error(cmd, "--batch wants a positive integer, not '%s'", arg);
        break;
    case NN_OPT_LR:
        if (!cli_parse_double(arg, &o->lr) || !(o->lr > 0))
            return cli_usage_error(cmd, "--lr wants a positive number, not '%s'", arg);
        break;
    case NN_OPT_SEED:
        if (!cli_parse_u64(arg, &o->seed))
            return cli_usage_error(cmd, "--seed wants a non-negative integer, not '%s'", arg);
        break;
    default:
        return CLI_OPT_UNKNOWN;
    }
    return RK_EXIT_OK;
}

int nn_cli_begin(const char *cmd, const nn_cli_opts *o, const nn_cli_input *inputs, size_t n, bool ftz,
                 nn_cli_run *run)
{
    int rc = RK_EXIT_OK;
    for (size_t i = 0; i < n && rc == RK_EXIT_OK; i++)
        rc = cli_output_not_inside(cmd, o->out, inputs[i].opt, inputs[i].path);
    if (rc != RK_EXIT_OK || (rc = cli_output_dir_open(cmd, "--output", o->out, &run->od)) != RK_EXIT_OK)
        return rc;
    run->threads = rk_blas_set_threads((int)o->threads);
    run->ftz = ftz && nn_cli_enable_ftz();
    return RK_EXIT_OK;
}

bool nn_cli_parse_list(const char *s, size_t max, size_t *out, size_t cap, size_t *n)
{
    *n = 0;
    if (!s || !*s)
        return false;
    const char *p = s;
    for (;;) {
        char item[32];
        size_t len = strcspn(p, ",");
        if (len == 0 || len >= sizeof item || *n == cap)
            return false;
        memcpy(item, p, len);
        item[len] = '\0';
        size_t v;
        if (!cli_parse_size(item, max, &v) || v == 0)
            return false;
        out[(*n)++] = v;
        if (p[len] == '\0')
            return true;
        p += len + 1;
    }
}
