/*
 * bench_step.c — milliseconds per training step of the 784 → 1000 → 2000 → 10
 * MLP in ranklab (rk_train_step: forward, loss, backward, Adam) against
 * PyTorch doing the same step, full training and LoRA r = 4, at batch 10, 64
 * and 256, timed in one run (a benchmark: it prints a table, asserts nothing).
 *
 * PyTorch runs as a co-process (step_torch_peer.py, one request line, one reply line). For every
 * (kind, batch) point both sides build the net (seeded, PyTorch's nn.Linear
 * init), a batch of N(0, 1) inputs with random labels and a fresh Adam, take
 * 3 warm-up steps, and then take blocks of K individually timed steps in the
 * order R P P R R P …, ROUNDS blocks each. Reported per point: the median
 * step time of each side (over all its steps), their ratio ranklab/PyTorch,
 * and the median of the ratios of adjacent blocks (robust to the machine's
 * speed drifting during the run). Both sides run with flush-to-zero
 * (MXCSR FTZ/DAZ here, torch.set_flush_denormal(True) there) and the same
 * number of BLAS threads.
 *
 * usage: bench_step --peer SCRIPT [--python PATH] [--threads T] [--steps K]
 *                   [--rounds N] [--batches 10,64,256] [--kinds full,lora] [--quick]
 */
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "ranklab.h"

#ifdef RK_HAVE_OPENBLAS
void openblas_set_num_threads(int num_threads);
char *openblas_get_corename(void);
#endif

/* ---- small helpers: clock, median, BLAS threads, load, the co-process ---- */

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v); 0 when n = 0. */
static double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void bench_blas_set_threads(int n)
{
#ifdef RK_HAVE_OPENBLAS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}

static const char *bench_blas_core(void)
{
#ifdef RK_HAVE_OPENBLAS
    return openblas_get_corename();
#else
    return "not OpenBLAS";
#endif
}

static void bench_print_load(const char *prefix)
{
    double l1 = 0, l5 = 0, l15 = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        printf("%sload average %.2f, %.2f, %.2f (1, 5, 15 min)\n", prefix, l1, l5, l15);
    if (f)
        fclose(f);
}

/* The PyTorch co-process: one request line, one reply line. */
typedef struct bench_peer {
    pid_t pid;
    FILE *to, *from;
} bench_peer;

static void bench_peer_stop(bench_peer *p)
{
    if (p->to) {
        fprintf(p->to, "quit\n");
        fclose(p->to);
    }
    if (p->from)
        fclose(p->from);
    if (p->pid > 0)
        waitpid(p->pid, NULL, 0);
    *p = (bench_peer){ .pid = -1 };
}

/* Start argv[0] with argv; its environment is ours (set what it needs first). */
static bool bench_peer_start(bench_peer *p, char *const argv[])
{
    int in[2], out[2];
    *p = (bench_peer){ .pid = -1 };
    if (pipe(in) != 0)
        return false;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return false;
    }
    signal(SIGPIPE, SIG_IGN);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return false;
    }
    p->pid = pid;
    p->to = fdopen(in[1], "w");
    p->from = fdopen(out[0], "r");
    if (!p->to || !p->from) {
        bench_peer_stop(p);
        return false;
    }
    return true;
}

static bool bench_peer_read(bench_peer *p, char *reply, size_t size)
{
    if (!p->from || !fgets(reply, (int)size, p->from))
        return false;
    reply[strcspn(reply, "\n")] = '\0';
    return true;
}

static bool bench_peer_ask(bench_peer *p, const char *request, char *reply, size_t size)
{
    if (!p->to || fprintf(p->to, "%s\n", request) < 0 || fflush(p->to) != 0)
        return false;
    return bench_peer_read(p, reply, size);
}

/* ---- the benchmark ---- */

enum { MAX_BATCHES = 8, MAX_ROUNDS = 16, MAX_STEPS = 200, LORA_RANK = 4 };

typedef struct options {
    size_t batches[MAX_BATCHES];
    int nbatches, threads, steps, rounds;
    bool full, lora;      /* which kinds to time */
    const char *peer, *python;
} options;

static int parse_args(int argc, char **argv, options *o)
{
    *o = (options){ .batches = { 10, 64, 256 }, .nbatches = 3, .threads = 1, .steps = 20, 
                    .rounds = 4, .full = true, .lora = true, .python = "/usr/bin/python3" };
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    if (env && atoi(env) > 0)
        o->threads = atoi(env);
    for (int i = 1; i < argc; i++) {
        const char *arg = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--quick")) {
            o->steps = 5;
            o->rounds = 2;
        } else if (!strcmp(argv[i], "--kinds") && arg) {
            const char *k = argv[++i];
            o->full = strstr(k, "full") != NULL;
            o->lora = strstr(k, "lora") != NULL;
        } else if (!strcmp(argv[i], "--peer") && arg) {
            o->peer = argv[++i];
        } else if (!strcmp(argv[i], "--python") && arg) {
            o->python = argv[++i];
        } else if (!strcmp(argv[i], "--threads") && arg && atoi(arg) > 0) {
            o->threads = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--steps") && arg && atoi(arg) > 0 && atoi(arg) <= MAX_STEPS) {
            o->steps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--rounds") && arg && atoi(arg) > 0 && atoi(arg) <= MAX_ROUNDS) {
            o->rounds = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--batches") && arg) {
            o->nbatches = 0;
            for (const char *s = argv[++i]; *s && o->nbatches < MAX_BATCHES;) {
                long v = strtol(s, (char **)&s, 10);
                if (v <= 0 || v > 4096)
                    return 2;
                o->batches[o->nbatches++] = (size_t)v;
                if (*s == ',')
                    s++;
            }
        } else {
            fprintf(stderr, "usage: bench_step --peer SCRIPT [--python PATH] [--threads T] [--steps K] "
                            "[--rounds N] [--batches 10,64,256] [--kinds full,lora] [--quick]\n");
            return 2;
        }
    }
    return 0;
}

/* ranklab's side of one point: the net (and adapters), a batch, an optimizer. */
typedef struct step_side {
    rk_mlp net;
    rk_lora lo;
    bool lora;
    rk_optim opt;
    float *x;            /* (B, 784) */
    unsigned char *y;    /* (B) */
    size_t batch;
} step_side;

static rk_status side_setup(step_side *s, bool lora, size_t batch)
{
    memset(s, 0, sizeof *s);
    s->lora = lora;
    s->batch = batch;
    rk_mlp_config cfg = rk_mlp_config_default();
    rk_rng rng;
    rk_rng_seed(&rng, 1);
    rk_status st = rk_mlp_create(&s->net, &cfg, batch);
    if (st)
        return st;
    rk_mlp_init(&s->net, &rng);
    rk_optim_config oc = rk_optim_adam_default();
    if (lora) {
        rk_lora_config lc = rk_lora_config_default();
        lc.rank = LORA_RANK;
        lc.alpha = LORA_RANK;
        if ((st = rk_lora_create(&s->lo, &s->net, &lc, &rng)) != RK_OK)
            return st;
    }
    if ((st = rk_optim_create(&s->opt, &oc, lora ? s->lo.n_params : s->net.n_params)) != RK_OK)
        return st;
    s->x = malloc(batch * 784 * sizeof *s->x);
    s->y = malloc(batch);
    if (!s->x || !s->y)
        return RK_ENOMEM;
    for (size_t i = 0; i < batch * 784; i++)
        s->x[i] = (float)rk_rng_normal(&rng);
    for (size_t i = 0; i < batch; i++)
        s->y[i] = (unsigned char)rk_rng_below(&rng, 10);
    for (int i = 0; i < 3 && !st; i++)
        st = rk_train_step(&s->net, lora ? &s->lo : NULL, &s->opt, s->x, s->y, batch, NULL);
    return st;
}

static void side_free(step_side *s)
{
    rk_lora_free(&s->lo);
    rk_mlp_free(&s->net);
    rk_optim_free(&s->opt);
    free(s->x);
    free(s->y);
}

/* K timed steps; their times (ms) appended to t[*n]; returns the block's median. */
static double side_block(step_side *s, int k, double *t, size_t *n)
{
    double block[MAX_STEPS];
    for (int i = 0; i < k; i++) {
        double t0 = bench_now();
        rk_train_step(&s->net, s->lora ? &s->lo : NULL, &s->opt, s->x, s->y, s->batch, NULL);
        block[i] = t[(*n)++] = 1e3 * (bench_now() - t0);
    }
    return bench_median(block, (size_t)k);
}

/* One (kind, batch) point: interleaved blocks; prints one table row. */
static bool run_point(const options *o, bool lora, size_t batch, bench_peer *peer)
{
    static double trk[MAX_ROUNDS * MAX_STEPS];
    double pair[MAX_ROUNDS], pymed[MAX_ROUNDS];
    size_t nrk = 0;
    char req[64], reply[256];
    step_side s;
    if (side_setup(&s, lora, batch) != RK_OK) {
        side_free(&s);
        fprintf(stderr, "bench_step: setup failed\n");
        return false;
    }
    snprintf(req, sizeof req, "setup %s %d %zu", lora ? "lora" : "full", LORA_RANK, batch);
    bool have_peer = peer && bench_peer_ask(peer, req, reply, sizeof reply) && !strncmp(reply, "ok", 2);
    for (int r = 0; r < o->rounds; r++) {
        double rk_med = 0, py_med = 0, py_min;
        bool rk_first = r % 2 == 0;   // R P, P R, R P, …
        for (int half = 0; half < 2; half++) {
            if ((half == 0) == rk_first) {
                rk_med = side_block(&s, o->steps, trk, &nrk);
            } else if (have_peer) {
                snprintf(req, sizeof req, "steps %d", o->steps);
                have_peer = bench_peer_ask(peer, req, reply, sizeof reply) &&
                            sscanf(reply, "time %lf %lf", &py_med, &py_min) == 2;
                if (have_peer)
                    pymed[r] = py_med;
            }
        }
        pair[r] = have_peer && py_med > 0 ? rk_med / py_med : NAN;
    }
    double rk_all = bench_median(trk, nrk);
    printf("  %-9s %5zu  %10.2f", lora ? "LoRA r=4" : "full", batch, rk_all);
    if (have_peer) {
        double py_all = bench_median(pymed, (size_t)o->rounds);
        printf("  %10.2f  %7.2f  %11.2f\n", py_all, rk_all / py_all, bench_median(pair, (size_t)o->rounds));
    } else {
        printf("  %10s  %7s  %11s\n", "-", "-", "-");
    }
    fflush(stdout);
    side_free(&s);
    return true;
}

static bench_peer *start_peer(bench_peer *peer, const options *o)
{
    if (!o->peer || access(o->python, X_OK) != 0) {
        printf("  PyTorch peer: not available (--peer SCRIPT, %s): ranklab alone\n", o->python);
        return NULL;
    }
    char threads[32], reply[512];
    snprintf(threads, sizeof threads, "%d", o->threads);
    char *argv[] = { (char *)o->python, (char *)o->peer, "--threads", threads, "--flush-denormal", NULL };
    // the peer inherits these; our own OpenBLAS has read its settings already
    setenv("OPENBLAS_NUM_THREADS", threads, 1);
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    if (!bench_peer_start(peer, argv) || !bench_peer_read(peer, reply, sizeof reply) ||
        strncmp(reply, "ready", 5) != 0) {
        printf("  PyTorch peer: did not start: ranklab alone\n");
        bench_peer_stop(peer);
        return NULL;
    }
    printf("  PyTorch peer: %s\n", reply);
    return peer;
}

int main(int argc, char **argv)
{
    options o;
    if (parse_args(argc, argv, &o))
        return 2;
#if defined(__SSE__) || defined(__x86_64__)
    _mm_setcsr(_mm_getcsr() | 0x8040u);   // FTZ | DAZ, as the training commands
#endif
    bench_blas_set_threads(o.threads);
    printf("bench_step: ms per training step (forward, loss, backward, Adam) of 784-1000-2000-10,\n"
           "  median of %d rounds x %d steps per side, interleaved; BLAS threads %d (%s); FTZ on both sides\n",
           o.rounds, o.steps, o.threads, bench_blas_core());
    const char *core = getenv("OPENBLAS_CORETYPE");
    printf("  OPENBLAS_CORETYPE=%s\n", core ? core : "<unset>");
    bench_print_load("  before the run: ");
    bench_peer peer_store;
    memset(&peer_store, 0, sizeof peer_store);
    bench_peer *peer = start_peer(&peer_store, &o);
    printf("  %-9s %5s  %10s  %10s  %7s  %11s\n", "kind", "batch", "ranklab ms", "PyTorch ms", "ratio",
           "pair ratio");
    for (int lora = 0; lora < 2; lora++)
        for (int b = 0; b < o.nbatches && (lora ? o.lora : o.full); b++)
            if (!run_point(&o, lora != 0, o.batches[b], peer))
                return 1;
    bench_print_load("  after the run: ");
    if (peer)
        bench_peer_stop(peer);
    return 0;
}
