/*
 * step_epoch.c — bench_step's PyTorch peers (as installed, tuned) and the
 * whole default pretrain epoch, ranklab against both (see step_bench.h).
 *
 * The epoch is the one ../shared/reference/pretrain_only_torch.py times:
 * the 784-1000-2000-10 net from its default init, one shuffled pass over
 * the 60,000 training images in batches of 64 (938 steps, the last of 32),
 * Adam with lr 1e-3, cross-entropy; pixels scaled to [0, 1] and standardised
 * with the training set's mean and std. Timed on each side: the training
 * loop only (not loading the data); then the test accuracy, as a check that
 * both sides did the same work. Order: ranklab, installed, tuned, ranklab.
 * A peer still running after EPOCH_BUDGET seconds stops and reports the
 * steps it took; its epoch time is then extrapolated (and marked so).
 *
 * Each epoch runs in a process of its own (ranklab: this program with
 * --epoch-child; PyTorch: a fresh peer), so each side's peak RSS is that of
 * a whole process that loads the data, trains and evaluates. A child's
 * ru_maxrss starts from the high-water mark of the process that exec'd it,
 * so the child is started by a small `python3 -S` process (EPOCH_SPAWN, as
 * bench_checkpoint.py does) that reports the child's own peak and wall time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "ranklab.h"

#include "benchutil.h"
#include "step_bench.h"

enum { EPOCH_BATCH = 64, EPOCH_SEED = 0, EPOCH_BUDGET = 120 };

/* ---- the peers ---- */

/* The OPENBLAS_CORETYPE the tuned peer needs ("" when none), and why, into @p why. */
static const char *tuned_core(char *why, size_t size)
{
    rk_blas_info info;
    rk_blas_query(&info);
    const char *user = getenv("OPENBLAS_CORETYPE"), *remedy = getenv("RANKLAB_BLAS_REMEDY");
    if (!info.core) {
        snprintf(why, size, "the BLAS is not OpenBLAS: OPENBLAS_CORETYPE not set");
        return "";
    }
    if (remedy && user) {   // rk_blas_remedy_exec() re-executed this process with the right core
        snprintf(why, size, "OpenBLAS picks the generic core %s on this CPU: tuned with OPENBLAS_CORETYPE=%s",
                 remedy, user);
        return user;
    }
    if (user) {
        snprintf(why, size, "OPENBLAS_CORETYPE=%s is set already (both peers inherit it)", user);
        return "";
    }
    if (rk_blas_core_is_generic(info.core)) {
        rk_cpu_features f;
        rk_cpu_features_detect(&f);
        const char *core = rk_blas_core_for_cpu(&f);
        snprintf(why, size, "OpenBLAS picks the generic core %s: tuned with OPENBLAS_CORETYPE=%s", info.core,
                 core ? core : "-");
        return core ? core : "";
    }
    snprintf(why, size, "OpenBLAS picks the %s core on this CPU, not a generic one: OPENBLAS_CORETYPE "
             "stays unset for the tuned peer too", info.core);
    return "";
}

/* How the peers are run: argv and the environment changes of [0] installed, [1] tuned. */
static char peer_threads[16], env_threads[48], env_core[64], peer_why[256];
static char *peer_argv[7];
static const char *installed_env[4], *tuned_env[4];
static const char *const *peer_envs[SB_PEERS] = { installed_env, tuned_env };

static void peer_setup(const sb_options *o)
{
    snprintf(peer_threads, sizeof peer_threads, "%d", o->threads);
    snprintf(env_threads, sizeof env_threads, "OPENBLAS_NUM_THREADS=%d", o->threads);
    const char *core = tuned_core(peer_why, sizeof peer_why);
    snprintf(env_core, sizeof env_core, "OPENBLAS_CORETYPE=%s", core);
    // installed: our environment, minus what rk_blas_remedy_exec() added for this process
    installed_env[0] = getenv("RANKLAB_BLAS_REMEDY") ? "OPENBLAS_CORETYPE" : "RANKLAB_UNUSED";
    installed_env[1] = "RANKLAB_BLAS_REMEDY";
    installed_env[2] = "RANKLAB_NO_REEXEC";
    tuned_env[0] = "OMP_WAIT_POLICY=PASSIVE";
    tuned_env[1] = env_threads;
    tuned_env[2] = *core ? env_core : NULL;
    char *argv[] = { (char *)o->python, (char *)o->peer, "--threads", peer_threads, "--flush-denormal", NULL };
    memcpy(peer_argv, argv, sizeof argv);
}

void sb_peers_start(sb_peer peers[SB_PEERS], const sb_options *o)
{
    peers[0] = (sb_peer){ .name = "installed", .proc = { .pid = -1 } };
    peers[1] = (sb_peer){ .name = "tuned", .proc = { .pid = -1 } };
    if (!o->peer || access(o->python, X_OK) != 0) {
        printf("  PyTorch peers: not available (--peer SCRIPT, %s): ranklab alone\n", o->python);
        return;
    }
    peer_setup(o);
    printf("  PyTorch peers (torch.set_num_threads(%d) in both): %s\n", o->threads, peer_why);
    for (int j = 0; j < SB_PEERS; j++) {
        char reply[512];
        if (!bench_peer_start(&peers[j].proc, peer_argv, peer_envs[j]) ||
            !bench_peer_read(&peers[j].proc, reply, sizeof reply) || strncmp(reply, "ready", 5) != 0) {
            printf("  PyTorch %-9s: did not start: ranklab alone\n", peers[j].name);
            bench_peer_stop(&peers[j].proc);
            continue;
        }
        peers[j].up = true;
        printf("  PyTorch %-9s: %s\n", peers[j].name, reply + 6);
    }
    fflush(stdout);
}

void sb_peers_stop(sb_peer peers[SB_PEERS])
{
    for (int j = 0; j < SB_PEERS; j++)
        if (peers[j].up)
            bench_peer_stop(&peers[j].proc);
}

/* ---- the epoch ---- */

typedef struct epoch_result {
    bool ok, partial;
    double seconds;      /* the loop (extrapolated to the whole epoch when partial) */
    double accuracy;     /* test accuracy after it; < 0 when not measured */
    size_t steps;        /* steps taken */
    double process_s;    /* the whole process's wall time (load, train, evaluate); 0: not measured */
    double rss_mib;      /* its peak resident set; 0: not measured */
} epoch_result;

static epoch_result epoch_ranklab(const rk_dataset *train, const rk_dataset *test)
{
    epoch_result e = { .accuracy = -1 };
    rk_mlp net = { 0 };
    rk_mlp_config cfg = rk_mlp_config_default();
    rk_rng rng;
    rk_rng_seed(&rng, EPOCH_SEED);
    rk_train_opts to = rk_train_opts_default();   // Adam, lr 1e-3
    to.batch = EPOCH_BATCH;
    to.epochs = 1;
    to.seed = EPOCH_SEED;
    rk_train_result res;
    size_t correct = 0;
    rk_status st = rk_mlp_create(&net, &cfg, 500);
    if (!st) {
        rk_mlp_init(&net, &rng);
        rk_train_data d = { train->x, train->y, train->n, train->dim, NULL, 0 };
        st = rk_train_run(&net, NULL, &d, &to, &res, NULL);
    }
    if (!st)
        st = rk_mlp_evaluate(&net, NULL, test->x, test->y, test->n, &correct, NULL);
    if (!st)
        e = (epoch_result){ .ok = true, .seconds = res.seconds, .steps = res.steps,
                            .accuracy = (double)correct / (double)test->n };
    else
        fprintf(stderr, "  ranklab epoch failed: %s\n", rk_strerror(st));
    rk_mlp_free(&net);
    return e;
}

int sb_epoch_child(const char *data)
{
    rk_dataset train = { 0 }, test = { 0 };
    rk_err err;
    rk_err_clear(&err);
    if (rk_dataset_load(&train, &test, data, &err) != RK_OK) {
        printf("error %s\n", err.msg);
        return 1;
    }
    epoch_result e = epoch_ranklab(&train, &test);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    if (!e.ok) {
        printf("error the epoch failed\n");
        return 1;
    }
    printf("epoch %.6f %.6f %zu\n", e.seconds, e.accuracy, e.steps);
    return 0;
}

/* The small process that starts an epoch's process and reports that child's
 * own wall time and peak RSS (KiB) into the file argv[1]; the child keeps the
 * spawner's stdin and stdout (the benchmark's pipes). */
static const char EPOCH_SPAWN[] =
    "import os, sys, time\n"
    "t0 = time.perf_counter()\n"
    "pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)\n"
    "_, status, ru = os.wait4(pid, 0)\n"
    "wall = time.perf_counter() - t0\n"
    "with open(sys.argv[1], 'w') as f:\n"
    "    f.write(f'{wall} {ru.ru_maxrss} {os.waitstatus_to_exitcode(status)}')\n";

/* "epoch SECONDS ACCURACY STEPS" into @p e; a run stopped at the budget is
 * extrapolated to @p total steps. */
static bool parse_epoch(const char *who, const char *reply, size_t total, epoch_result *e)
{
    if (sscanf(reply, "epoch %lf %lf %zu", &e->seconds, &e->accuracy, &e->steps) != 3 || e->steps == 0) {
        printf("  %s: %s\n", who, *reply ? reply : "no reply");
        return false;
    }
    e->ok = true;
    if (e->steps < total) {   // stopped at the budget: the accuracy is of a partial epoch
        e->partial = true;
        e->seconds *= (double)total / (double)e->steps;
        e->accuracy = -1;
    }
    return true;
}

/* One epoch in a process of its own: @p cmd (argv, NULL-terminated) under
 * the spawner, with @p env's changes; a peer greets first and is sent
 * @p request, ranklab's child answers unasked. */
static epoch_result epoch_spawned(const sb_options *o, const char *who, char *const cmd[],
                                  const char *const env[], const char *request, size_t total)
{
    epoch_result e = { .accuracy = -1 };
    char rss_path[] = "/tmp/ranklab-bench-epoch-XXXXXX", reply[512] = "";
    int fd = mkstemp(rss_path);
    if (fd < 0) {
        perror("bench_step: mkstemp");
        return e;
    }
    close(fd);
    char *argv[16] = { (char *)o->python, "-S", "-c", (char *)EPOCH_SPAWN, rss_path };
    int n = 5;
    for (int i = 0; cmd[i] && n < 15; i++)
        argv[n++] = cmd[i];
    argv[n] = NULL;
    bench_peer proc;
    bool ok = bench_peer_start(&proc, argv, env);
    if (ok && request)
        ok = bench_peer_read(&proc, reply, sizeof reply) && strncmp(reply, "ready", 5) == 0 &&
             bench_peer_ask(&proc, request, reply, sizeof reply);
    else if (ok)
        ok = bench_peer_read(&proc, reply, sizeof reply);
    bench_peer_stop(&proc);
    if (ok && parse_epoch(who, reply, total, &e)) {
        FILE *f = fopen(rss_path, "r");
        double wall = 0, kib = 0;
        int code = -1;
        if (f && fscanf(f, "%lf %lf %d", &wall, &kib, &code) == 3 && code == 0) {
            e.process_s = wall;
            e.rss_mib = kib / 1024.0;
        }
        if (f)
            fclose(f);
    } else if (!ok) {
        printf("  %s: the epoch's process failed\n", who);
    }
    unlink(rss_path);
    return e;
}

/* ranklab's epoch in a child process: this program with --epoch-child DIR. */
static epoch_result epoch_ranklab_spawned(const sb_options *o, size_t total)
{
    static char self[4096];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) {
        perror("bench_step: /proc/self/exe");
        return (epoch_result){ .accuracy = -1 };
    }
    self[len] = '\0';
    char *cmd[] = { self, "--epoch-child", (char *)o->data, NULL };
    const char *env[] = { env_threads, NULL };
    return epoch_spawned(o, "ranklab", cmd, env, NULL, total);
}

static epoch_result epoch_peer(const sb_options *o, const sb_peer *p, int j, size_t total)
{
    char req[4200], who[64];
    snprintf(req, sizeof req, "epoch %s %d %d %d", o->data, EPOCH_BATCH, EPOCH_SEED, EPOCH_BUDGET);
    snprintf(who, sizeof who, "PyTorch %s", p->name);
    if (!p->up)
        return (epoch_result){ .accuracy = -1 };
    return epoch_spawned(o, who, peer_argv, peer_envs[j], req, total);
}

/* The four IDX files of a dataset folder; prints the SKIP line when one is missing. */
static bool have_data(const char *dir)
{
    static const char *const files[] = { "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz" };
    for (size_t i = 0; i < 4; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if (access(path, R_OK) != 0) {
            printf("  SKIP: %s is missing (Debian package dataset-fashion-mnist, or bench_step --data DIR)\n",
                   path);
            return false;
        }
    }
    return true;
}

static void print_row(const char *name, const epoch_result *e, double rk_mean, size_t total)
{
    if (!e->ok) {
        printf("  %-19s %10s\n", name, "-");
        return;
    }
    printf("  %-19s %9.2f%s %6zu %9.2f", name, e->seconds, e->partial ? "*" : " ", e->steps,
           1e3 * e->seconds / (double)(e->partial ? total : e->steps));
    e->accuracy >= 0 ? printf(" %9.4f", e->accuracy) : printf(" %9s", "-");
    rk_mean > 0 ? printf(" %9.2f", rk_mean / e->seconds) : printf(" %9s", "-");
    e->rss_mib > 0 ? printf(" %9.2f %9.0f\n", e->process_s, e->rss_mib) : printf(" %9s %9s\n", "-", "-");
}

/* Peak RSS: ranklab's (the larger of its two runs) against PyTorch tuned's; and
 * the whole process's time (ranklab's mean) against PyTorch tuned's. */
static void print_rss(const epoch_result r[2], const epoch_result p[SB_PEERS])
{
    double rk = r[0].rss_mib > r[1].rss_mib ? r[0].rss_mib : r[1].rss_mib;
    if (!(rk > 0) || !(p[1].rss_mib > 0)) {
        printf("  peak RSS: not measured on both sides\n");
        return;
    }
    printf("  peak RSS of the whole process: ranklab %.0f MiB / PyTorch tuned %.0f MiB = %.2f "
           "(goal <= 0.4: %s)\n", rk, p[1].rss_mib, rk / p[1].rss_mib,
           rk <= 0.4 * p[1].rss_mib ? "met" : "not met");
    double rk_s = 0.5 * (r[0].process_s + r[1].process_s);
    if (rk_s > 0 && p[1].process_s > 0)
        printf("  whole process: ranklab %.2f s (mean) / PyTorch tuned %.2f s = %.2f (goal <= 0.35: %s)\n",
               rk_s, p[1].process_s, rk_s / p[1].process_s,
               rk_s <= 0.35 * p[1].process_s ? "met" : "not met");
}

void sb_epoch(const sb_options *o, sb_peer peers[SB_PEERS])
{
    printf("\n  pretrain epoch: 784-1000-2000-10 on %s, batch %d, Adam 1e-3, seed %d\n", o->data, EPOCH_BATCH,
           EPOCH_SEED);
    fflush(stdout);
    if (!have_data(o->data))
        return;
    rk_dataset train = { 0 }, test = { 0 };
    rk_err err;
    rk_err_clear(&err);
    if (rk_dataset_load(&train, &test, o->data, &err) != RK_OK) {
        printf("  SKIP: %s\n", err.msg);
        return;
    }
    size_t total = (train.n + EPOCH_BATCH - 1) / EPOCH_BATCH;
    printf("  %zu training images (%zu steps), %zu test images\n", train.n, total, test.n);
    bool spawn = access(o->python, X_OK) == 0;   // each epoch in a process of its own
    if (spawn) {
        rk_dataset_free(&train);
        rk_dataset_free(&test);
        peer_setup(o);
    } else {
        printf("  %s is missing: ranklab's epochs run inside this process, no peak RSS\n", o->python);
    }
    epoch_result r[2], p[SB_PEERS];
    r[0] = spawn ? epoch_ranklab_spawned(o, total) : epoch_ranklab(&train, &test);
    bench_settle();
    for (int j = 0; j < SB_PEERS; j++) {
        p[j] = epoch_peer(o, &peers[j], j, total);
        bench_settle();
    }
    r[1] = spawn ? epoch_ranklab_spawned(o, total) : epoch_ranklab(&train, &test);
    if (!spawn) {
        rk_dataset_free(&train);
        rk_dataset_free(&test);
    }
    double mean = r[0].ok && r[1].ok ? 0.5 * (r[0].seconds + r[1].seconds) : 0;
    printf("  order: ranklab, PyTorch installed, PyTorch tuned, ranklab; each a process of its own\n");
    printf("  %-19s %10s %6s %9s %9s %9s %9s %9s\n", "side", "seconds", "steps", "ms/step", "test acc", "R/side",
           "process s", "peak MiB");
    print_row("ranklab (1st)", &r[0], 0, total);
    print_row("ranklab (2nd)", &r[1], 0, total);
    for (int j = 0; j < SB_PEERS; j++) {
        char name[32];
        snprintf(name, sizeof name, "PyTorch %s", peers[j].name);
        print_row(name, &p[j], mean, total);
    }
    if (p[0].partial || p[1].partial)
        printf("  * stopped after %d s: the steps taken, the time extrapolated to %zu steps\n", EPOCH_BUDGET,
               total);
    printf("  seconds: the training loop; process s: the whole process (start, load, train, evaluate);\n"
           "  peak MiB: its peak resident set (ru_maxrss of the child alone)\n");
    printf("  R/side: ranklab's mean epoch time (%.2f s) / the side's\n", mean);
    print_rss(r, p);
    fflush(stdout);
}
