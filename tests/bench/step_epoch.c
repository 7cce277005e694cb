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
 */
#include <stdio.h>
#include <stdlib.h>
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

void sb_peers_start(sb_peer peers[SB_PEERS], const sb_options *o)
{
    static char threads[16], env_threads[48], env_core[64], why[256];
    peers[0] = (sb_peer){ .name = "installed", .proc = { .pid = -1 } };
    peers[1] = (sb_peer){ .name = "tuned", .proc = { .pid = -1 } };
    if (!o->peer || access(o->python, X_OK) != 0) {
        printf("  PyTorch peers: not available (--peer SCRIPT, %s): ranklab alone\n", o->python);
        return;
    }
    snprintf(threads, sizeof threads, "%d", o->threads);
    snprintf(env_threads, sizeof env_threads, "OPENBLAS_NUM_THREADS=%d", o->threads);
    const char *core = tuned_core(why, sizeof why);
    snprintf(env_core, sizeof env_core, "OPENBLAS_CORETYPE=%s", core);
    // installed: our environment, minus what rk_blas_remedy_exec() added for this process
    const char *installed_env[] = { getenv("RANKLAB_BLAS_REMEDY") ? "OPENBLAS_CORETYPE" : "RANKLAB_UNUSED",
                                    "RANKLAB_BLAS_REMEDY", "RANKLAB_NO_REEXEC", NULL };
    const char *tuned_env[] = { "OMP_WAIT_POLICY=PASSIVE", env_threads, *core ? env_core : NULL, NULL };
    const char *const *envs[SB_PEERS] = { installed_env, tuned_env };
    char *argv[] = { (char *)o->python, (char *)o->peer, "--threads", threads, "--flush-denormal", NULL };
    printf("  PyTorch peers (torch.set_num_threads(%d) in both): %s\n", o->threads, why);
    for (int j = 0; j < SB_PEERS; j++) {
        char reply[512];
        if (!bench_peer_start(&peers[j].proc, argv, envs[j]) ||
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
        printf("  ranklab epoch failed: %s\n", rk_strerror(st));
    rk_mlp_free(&net);
    return e;
}

static epoch_result epoch_peer(sb_peer *p, const char *dir, size_t total_steps)
{
    epoch_result e = { .accuracy = -1 };
    char req[4200], reply[512];
    snprintf(req, sizeof req, "epoch %s %d %d %d", dir, EPOCH_BATCH, EPOCH_SEED, EPOCH_BUDGET);
    if (!p->up || !bench_peer_ask(&p->proc, req, reply, sizeof reply)) {
        p->up = false;
        return e;
    }
    if (sscanf(reply, "epoch %lf %lf %zu", &e.seconds, &e.accuracy, &e.steps) != 3 || e.steps == 0) {
        printf("  PyTorch %s: %s\n", p->name, reply);
        return e;
    }
    e.ok = true;
    if (e.steps < total_steps) {   // stopped at the budget: the accuracy is of a partial epoch
        e.partial = true;
        e.seconds *= (double)total_steps / (double)e.steps;
        e.accuracy = -1;
    }
    return e;
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
    rk_mean > 0 ? printf(" %9.2f\n", rk_mean / e->seconds) : printf(" %9s\n", "-");
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
    epoch_result r[2], p[SB_PEERS];
    r[0] = epoch_ranklab(&train, &test);
    bench_settle();
    for (int j = 0; j < SB_PEERS; j++) {
        p[j] = epoch_peer(&peers[j], o->data, total);
        bench_settle();
    }
    r[1] = epoch_ranklab(&train, &test);
    rk_dataset_free(&train);
    rk_dataset_free(&test);
    double mean = r[0].ok && r[1].ok ? 0.5 * (r[0].seconds + r[1].seconds) : 0;
    printf("  order: ranklab, PyTorch installed, PyTorch tuned, ranklab; seconds of the training loop\n");
    printf("  %-19s %10s %6s %9s %9s %9s\n", "side", "seconds", "steps", "ms/step", "test acc", "R/side");
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
    printf("  R/side: ranklab's mean epoch time (%.2f s) / the side's\n", mean);
    fflush(stdout);
}
