/*
 * bench_step.c — the training step (forward, loss, backward, Adam) of the
 * 784 → 1000 → 2000 → 10 MLP in ranklab (rk_train_step) against PyTorch doing
 * the same step, and the whole default pretrain epoch (step_epoch.c), all
 * timed in one run. A benchmark: it prints tables, asserts nothing.
 *
 * Points: full fine-tune and LoRA r = 4 and r = 16 (every layer adapted,
 * α = R, biases frozen) at batch 10, 64 and 256. Per point:
 *   ms/step      median over all of ranklab's timed steps
 *   GFLOP/s      nominal flops of the step / ms, with P = 2,807,010 the
 *                net's parameters and B the batch:
 *                  full  6·P·B           (forward 2·P·B, backward 4·P·B:
 *                                         the activation gradient and dW)
 *                  LoRA  4·P·B + 6·P_A·B (the frozen base: forward and the
 *                                         activation gradient, no dW; the
 *                                         adapters with P_A = Σ R·(In + Out)
 *                                         parameters: x·Aᵀ, ·Bᵀ forward,
 *                                         dB, du, dA, dx backward)
 *                Adam's few flops per parameter are not counted.
 *   % peak       GFLOP/s / the sgemm peak measured in this run: the best
 *                GFLOP/s of cblas_sgemm at n = 2048 and 4096 (rk_blas_sgemm_probe)
 *                on the step's thread count, measured before and after the steps
 *   PyTorch      two co-processes (step_torch_peer.py): "installed", the
 *                environment as it is, and "tuned", OMP_WAIT_POLICY=PASSIVE
 *                (torch's OpenMP threads otherwise spin against OpenBLAS's)
 *                plus OPENBLAS_CORETYPE when OpenBLAS picked a generic core
 *                (said in the header when it did not); each side's median
 *                ms, the ratio ranklab/PyTorch of the medians and the
 *                median of the per-round pair ratios.
 * Then the LoRA/full ratio of ranklab's step time per batch (the goal:
 * r = 4 ≤ 0.75) and the goals' figures.
 *
 * Timing design. Every point builds the net (seeded; PyTorch: its own nn.Linear
 * init), one batch of N(0, 1) inputs with random labels and a fresh Adam on
 * each side, takes 3 warm-up steps, then ROUNDS rounds of K individually
 * timed steps per side, in the order R I T, T I R, R I T, … (R ranklab,
 * I installed, T tuned: each round mirrors the previous one, so a drift of the
 * machine's speed affects all sides alike), with a pause between sides for
 * idle BLAS/OpenMP threads to stop spinning (bench_settle). Every block
 * starts with SB_BLOCK_WARMUP untimed steps on every side: the first steps
 * after the pause run up to 1.6× slower (caches, TLBs and the cores waking
 * up), which a training loop never sees. Both sides run
 * with flush-to-zero (MXCSR FTZ/DAZ here, torch.set_flush_denormal(True)
 * there) and the same number of threads. ranklab runs as the `ranklab`
 * command does: rk_blas_remedy_exec() first (core/blas.h).
 *
 * usage: bench_step [--peer SCRIPT] [--python PATH] [--threads T] [--steps K]
 *                   [--rounds N] [--batches 10,64,256] [--kinds full,lora4,lora16]
 *                   [--data DIR] [--no-epoch] [--quick]
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "ranklab.h"

#include "benchutil.h"
#include "step_bench.h"

/* ---- options ---- */

static int usage(void)
{
    fprintf(stderr, "usage: bench_step [--peer SCRIPT] [--python PATH] [--threads T] [--steps K] [--rounds N]\n"
                    "                  [--batches 10,64,256] [--kinds full,lora4,lora16] [--data DIR]\n"
                    "                  [--no-epoch] [--quick]\n");
    return 2;
}

/* "10,64,256" or "full,lora4,lora16" (full = rank 0) into v; false when malformed. */
static bool parse_list(const char *s, bool kinds, size_t *v, int *n)
{
    *n = 0;
    while (*s) {
        if (*n == SB_MAX_POINTS)
            return false;
        long x;
        char *end;
        if (kinds && !strncmp(s, "full", 4)) {
            x = 0;
            end = (char *)s + 4;
        } else {
            if (kinds && strncmp(s, "lora", 4) != 0)
                return false;
            x = strtol(kinds ? s + 4 : s, &end, 10);
            if (x <= 0 || x > (kinds ? 1000 : 4096))
                return false;
        }
        v[(*n)++] = (size_t)x;
        if (*end == ',')
            end++;
        else if (*end)
            return false;
        s = end;
    }
    return *n > 0;
}

static int parse_args(int argc, char **argv, sb_options *o)
{
    *o = (sb_options){ .batches = { 10, 64, 256 }, .nbatches = 3, .ranks = { 0, 4, 16 }, .nkinds = 3,
                       .threads = 1, .steps = 10, .rounds = 4, .epoch = true,
                       .python = "/usr/bin/python3", .data = rk_dataset_default_dir() };
    const char *env = getenv("OPENBLAS_NUM_THREADS");
    if (env && atoi(env) > 0)
        o->threads = atoi(env);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--quick")) {
            o->steps = 4;
            o->rounds = 2;
            continue;
        }
        if (!strcmp(a, "--no-epoch")) {
            o->epoch = false;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--peer"))
            o->peer = v;
        else if (!strcmp(a, "--python"))
            o->python = v;
        else if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--threads") && atoi(v) > 0)
            o->threads = atoi(v);
        else if (!strcmp(a, "--steps") && atoi(v) > 0 && atoi(v) <= SB_MAX_STEPS)
            o->steps = atoi(v);
        else if (!strcmp(a, "--rounds") && atoi(v) > 0 && atoi(v) <= SB_MAX_ROUNDS)
            o->rounds = atoi(v);
        else if (!strcmp(a, "--batches") && parse_list(v, false, o->batches, &o->nbatches))
            continue;
        else if (!strcmp(a, "--kinds") && parse_list(v, true, o->ranks, &o->nkinds))
            continue;
        else
            return usage();
    }
    return 0;
}

/* ---- ranklab's side of one point: the net (and adapters), a batch, an optimizer ---- */

typedef struct step_side {
    rk_mlp net;
    rk_lora lo;
    size_t rank;         /* 0: full */
    rk_optim opt;
    float *x;            /* (B, 784) */
    unsigned char *y;    /* (B) */
    size_t batch;
} step_side;

static rk_status side_setup(step_side *s, size_t rank, size_t batch)
{
    memset(s, 0, sizeof *s);
    s->rank = rank;
    s->batch = batch;
    rk_mlp_config cfg = rk_mlp_config_default();
    rk_rng rng;
    rk_rng_seed(&rng, 1);
    rk_status st = rk_mlp_create(&s->net, &cfg, batch);
    if (st)
        return st;
    rk_mlp_init(&s->net, &rng);
    rk_optim_config oc = rk_optim_adam_default();
    if (rank) {
        rk_lora_config lc = rk_lora_config_default();
        lc.rank = rank;
        lc.alpha = (double)rank;
        if ((st = rk_lora_create(&s->lo, &s->net, &lc, &rng)) != RK_OK)
            return st;
    }
    if ((st = rk_optim_create(&s->opt, &oc, rank ? s->lo.n_params : s->net.n_params)) != RK_OK)
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
        st = rk_train_step(&s->net, rank ? &s->lo : NULL, &s->opt, s->x, s->y, batch, NULL);
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
    double block[SB_MAX_STEPS];
    for (int i = 0; i < SB_BLOCK_WARMUP; i++)   // back from the pause: not timed
        rk_train_step(&s->net, s->rank ? &s->lo : NULL, &s->opt, s->x, s->y, s->batch, NULL);
    for (int i = 0; i < k; i++) {
        double t0 = bench_now();
        rk_train_step(&s->net, s->rank ? &s->lo : NULL, &s->opt, s->x, s->y, s->batch, NULL);
        block[i] = t[(*n)++] = 1e3 * (bench_now() - t0);
    }
    return bench_median(block, (size_t)k);
}

/* Nominal flops of one step (see the top of this file). */
static double step_flops(const step_side *s)
{
    double p = (double)s->net.n_params, b = (double)s->batch;
    return s->rank ? 4.0 * p * b + 6.0 * (double)s->lo.n_params * b : 6.0 * p * b;
}

/* ---- one point ---- */

/* Peer j's K steps; its median in *ms; false when the peer has gone away. */
static bool peer_block(sb_peer *p, int k, double *ms)
{
    char req[32], reply[256];
    double min;
    snprintf(req, sizeof req, "steps %d %d", k, SB_BLOCK_WARMUP);
    if (!p->up || !bench_peer_ask(&p->proc, req, reply, sizeof reply) ||
        sscanf(reply, "time %lf %lf", ms, &min) != 2)
        return p->up = false;
    return true;
}

static bool run_point(const sb_options *o, size_t rank, size_t batch, sb_peer peers[SB_PEERS], sb_point *pt)
{
    static double trk[SB_MAX_ROUNDS * SB_MAX_STEPS];
    double pair[SB_PEERS][SB_MAX_ROUNDS], pmed[SB_PEERS][SB_MAX_ROUNDS];
    size_t nrk = 0;
    char req[64], reply[256];
    step_side s;
    *pt = (sb_point){ .rank = rank, .batch = batch };
    if (side_setup(&s, rank, batch) != RK_OK) {
        side_free(&s);
        fprintf(stderr, "bench_step: setup failed\n");
        return false;
    }
    snprintf(req, sizeof req, "setup %s %zu %zu", rank ? "lora" : "full", rank ? rank : 4, batch);
    bool on[SB_PEERS];
    for (int j = 0; j < SB_PEERS; j++)
        on[j] = peers[j].up && bench_peer_ask(&peers[j].proc, req, reply, sizeof reply) && !strncmp(reply, "ok", 2);
    for (int r = 0; r < o->rounds; r++) {
        double rk_med = 0, py[SB_PEERS] = { 0 };
        // sides in the order R I T, then T I R (0 = ranklab, 1 = installed, 2 = tuned)
        for (int pos = 0; pos < 1 + SB_PEERS; pos++) {
            int side = r % 2 == 0 ? pos : SB_PEERS - pos;
            if (side == 0)
                rk_med = side_block(&s, o->steps, trk, &nrk);
            else if (on[side - 1])
                on[side - 1] = peer_block(&peers[side - 1], o->steps, &py[side - 1]);
            else
                continue;
            bench_settle();
        }
        for (int j = 0; j < SB_PEERS; j++) {
            pmed[j][r] = py[j];
            pair[j][r] = on[j] && py[j] > 0 ? rk_med / py[j] : NAN;
        }
    }
    pt->ms = bench_median(trk, nrk);
    pt->gflops = step_flops(&s) / (pt->ms * 1e-3) / 1e9;
    for (int j = 0; j < SB_PEERS; j++) {
        pt->have_peer[j] = on[j];
        if (on[j]) {
            pt->peer_ms[j] = bench_median(pmed[j], (size_t)o->rounds);
            pt->pair[j] = bench_median(pair[j], (size_t)o->rounds);
        }
    }
    side_free(&s);
    return true;
}

/* ---- the sgemm peak of this run ---- */

static double sgemm_peak(const char *when)
{
    static const size_t ns[] = { 2048, 4096 };
    double best = 0;
    printf("  sgemm peak %s:", when);
    for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        rk_blas_probe pr;
        if (rk_blas_sgemm_probe(ns[i], ns[i] > 2048 ? 3 : 6, 4.0, &pr) != RK_OK) {
            printf(" n=%zu failed", ns[i]);
            continue;
        }
        printf(" n=%zu %.1f GFLOP/s (best of %d)%s", ns[i], pr.gflops, pr.reps, i + 1 < 2 ? "," : "");
        if (pr.gflops > best)
            best = pr.gflops;
    }
    printf("\n");
    fflush(stdout);
    bench_settle();
    return best;
}

/* ---- output ---- */

static void print_kind(char *buf, size_t size, size_t rank)
{
    if (rank)
        snprintf(buf, size, "LoRA r=%zu", rank);
    else
        snprintf(buf, size, "full");
}

static void print_table(const sb_point *pts, int n, double peak)
{
    printf("\n  %-10s %5s %9s %8s %7s | %10s %10s | %7s %7s | %7s %7s\n", "kind", "batch", "ranklab", "GFLOP/s",
           "% peak", "PyTorch ms", "PyTorch ms", "ratio", "ratio", "pair", "pair");
    printf("  %-10s %5s %9s %8s %7s | %10s %10s | %7s %7s | %7s %7s\n", "", "", "ms/step", "", "sgemm",
           "installed", "tuned", "R/inst", "R/tuned", "R/inst", "R/tuned");
    for (int i = 0; i < n; i++) {
        const sb_point *p = &pts[i];
        char kind[32];
        print_kind(kind, sizeof kind, p->rank);
        printf("  %-10s %5zu %9.2f %8.1f %6.1f%% |", kind, p->batch, p->ms, p->gflops,
               peak > 0 ? 100.0 * p->gflops / peak : NAN);
        for (int j = 0; j < SB_PEERS; j++)
            p->have_peer[j] ? printf(" %10.2f", p->peer_ms[j]) : printf(" %10s", "-");
        printf(" |");
        for (int j = 0; j < SB_PEERS; j++)
            p->have_peer[j] ? printf(" %7.2f", p->ms / p->peer_ms[j]) : printf(" %7s", "-");
        printf(" |");
        for (int j = 0; j < SB_PEERS; j++)
            p->have_peer[j] ? printf(" %7.2f", p->pair[j]) : printf(" %7s", "-");
        printf("\n");
    }
}

/* The point of (rank, batch), or NULL. */
static const sb_point *find(const sb_point *pts, int n, size_t rank, size_t batch)
{
    for (int i = 0; i < n; i++)
        if (pts[i].rank == rank && pts[i].batch == batch)
            return &pts[i];
    return NULL;
}

static void print_lora_ratios(const sb_options *o, const sb_point *pts, int n)
{
    bool any = false;
    for (int b = 0; b < o->nbatches; b++)
        for (int k = 0; k < o->nkinds; k++)
            any |= o->ranks[k] && find(pts, n, 0, o->batches[b]) && find(pts, n, o->ranks[k], o->batches[b]);
    if (!any)
        return;   // needs a full and a LoRA point at one batch
    printf("\n  LoRA/full step time (ranklab; PyTorch tuned in brackets); goal for r = 4: <= 0.75\n");
    printf("  %5s", "batch");
    for (int k = 0; k < o->nkinds; k++)
        if (o->ranks[k]) {
            char label[32];
            snprintf(label, sizeof label, "r=%zu", o->ranks[k]);
            printf("  %16s", label);
        }
    printf("  %s\n", "r=4 goal");
    for (int b = 0; b < o->nbatches; b++) {
        const sb_point *full = find(pts, n, 0, o->batches[b]);
        if (!full)
            continue;
        printf("  %5zu", o->batches[b]);
        const char *verdict = "-";
        for (int k = 0; k < o->nkinds; k++) {
            const sb_point *l = o->ranks[k] ? find(pts, n, o->ranks[k], o->batches[b]) : NULL;
            if (!l)
                continue;
            double r = l->ms / full->ms;
            if (l->have_peer[1] && full->have_peer[1])
                printf("  %8.2f (%5.2f)", r, l->peer_ms[1] / full->peer_ms[1]);
            else
                printf("  %8.2f %7s", r, "");
            if (o->ranks[k] == 4)
                verdict = r <= 0.75 ? "met" : "not met";
        }
        printf("  %s\n", verdict);
    }
}

/* One "ranklab / PyTorch tuned <= goal" line, when the tuned peer ran. */
static void goal_vs_tuned(const char *what, const sb_point *p, double goal)
{
    if (!p || !p->have_peer[1])
        return;
    double r = p->ms / p->peer_ms[1];
    printf("    %s: ranklab / PyTorch tuned = %.2f (goal <= %.2f): %s\n", what, r, goal,
           r <= goal ? "met" : "not met");
}

static void print_goals(const sb_point *pts, int n, double peak)
{
    const sb_point *big = find(pts, n, 0, 256);
    printf("\n  goals:\n");
    if (big && peak > 0)
        printf("    full step, batch 256: %.1f%% of the sgemm peak (goal >= 85%%): %s\n",
               100.0 * big->gflops / peak, big->gflops >= 0.85 * peak ? "met" : "not met");
    goal_vs_tuned("full step, batch 10", find(pts, n, 0, 10), 0.25);
    goal_vs_tuned("LoRA r=4 step, batch 10", find(pts, n, 4, 10), 0.5);
    goal_vs_tuned("LoRA r=16 step, batch 10", find(pts, n, 16, 10), 0.5);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    rk_blas_remedy_exec(argv);   // as the ranklab command: the right OpenBLAS core first
#if defined(__SSE__) || defined(__x86_64__)
    _mm_setcsr(_mm_getcsr() | 0x8040u);   // FTZ | DAZ, as the training commands
#endif
    if (argc == 3 && !strcmp(argv[1], "--epoch-child"))   // sb_epoch()'s process for one epoch
        return sb_epoch_child(argv[2]);
    sb_options o;
    if (parse_args(argc, argv, &o))
        return 2;
    int threads = rk_blas_set_threads(o.threads);
    printf("bench_step: training step (forward, loss, backward, Adam) of 784-1000-2000-10, ranklab against PyTorch\n"
           "  %d rounds x %d steps per side, interleaved R I T | T I R; BLAS threads %d; FTZ on both sides\n  ",
           o.rounds, o.steps, threads > 0 ? threads : o.threads);
    rk_blas_core_print(stdout);
    bench_print_load("  before the run: ");
    double peak = sgemm_peak("before");
    sb_peer peers[SB_PEERS];
    sb_peers_start(peers, &o);
    static sb_point pts[SB_MAX_POINTS * SB_MAX_POINTS];
    int n = 0;
    for (int k = 0; k < o.nkinds; k++)
        for (int b = 0; b < o.nbatches; b++) {
            if (!run_point(&o, o.ranks[k], o.batches[b], peers, &pts[n]))
                return 1;
            char kind[32];
            print_kind(kind, sizeof kind, pts[n].rank);
            printf("  measured %-10s batch %4zu: %.2f ms\n", kind, pts[n].batch, pts[n].ms);
            fflush(stdout);
            n++;
        }
    sb_limits lim;
    rk_mlp_config dc = rk_mlp_config_default();
    size_t w_floats = 0;
    for (size_t l = 0; l < dc.n_layers; l++)
        w_floats += dc.sizes[l] * dc.sizes[l + 1];
    if (!sb_limits_measure(w_floats, &lim))
        lim = (sb_limits){ 0 };
    double after = sgemm_peak("after");
    if (after > peak)
        peak = after;
    printf("  sgemm peak of this run (the best of both): %.1f GFLOP/s on %d thread%s\n", peak, o.threads,
           o.threads > 1 ? "s" : "");
    printf("  flops per step: full 6*P*B, LoRA 4*P*B + 6*P_A*B (P = 2,807,010; P_A = the adapters' params)\n");
    print_table(pts, n, peak);
    sb_print_bounds(pts, n, &lim);
    print_lora_ratios(&o, pts, n);
    print_goals(pts, n, peak);
    if (o.epoch)
        sb_epoch(&o, peers);
    else
        printf("\n  pretrain epoch: not run (--no-epoch)\n");
    bench_print_load("\n  after the run: ");
    sb_peers_stop(peers);
    return 0;
}
