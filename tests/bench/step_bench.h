/*
 * step_bench.h — what bench_step.c (the training-step tables) and
 * step_epoch.c (the PyTorch peers and the whole pretrain epoch) share.
 */
#ifndef RK_BENCH_STEP_BENCH_H
#define RK_BENCH_STEP_BENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "peer.h"

enum {
    SB_MAX_POINTS = 8,    /* batches, and kinds (full, LoRA ranks) */
    SB_MAX_ROUNDS = 16,
    SB_MAX_STEPS = 200,
    SB_BLOCK_WARMUP = 2,  /* untimed steps at the start of every block, on every side */
    SB_PEERS = 2          /* PyTorch as installed, PyTorch tuned */
};

/** The command line. */
typedef struct sb_options {
    size_t batches[SB_MAX_POINTS];
    int nbatches;
    size_t ranks[SB_MAX_POINTS];   /* 0 = full fine-tune, else LoRA rank */
    int nkinds;
    int threads, steps, rounds;
    bool epoch;                    /* time the whole pretrain epoch too */
    const char *peer, *python, *data;
} sb_options;

/** One PyTorch co-process. */
typedef struct sb_peer {
    bench_peer proc;
    bool up;
    const char *name;    /* "installed" or "tuned" */
} sb_peer;

/** One measured (kind, batch) point. */
typedef struct sb_point {
    size_t rank, batch;
    double ms, gflops;             /* ranklab: median ms per step, nominal GFLOP/s */
    bool have_peer[SB_PEERS];
    double peer_ms[SB_PEERS];      /* PyTorch's median ms per step */
    double pair[SB_PEERS];         /* median over rounds of ranklab/PyTorch */
} sb_point;

/**
 * Start both PyTorch peers (--peer SCRIPT under --python): [0] with the
 * environment as it is (minus the OPENBLAS_CORETYPE rk_blas_remedy_exec() may
 * have set for this process), [1] tuned: OMP_WAIT_POLICY=PASSIVE,
 * OPENBLAS_NUM_THREADS=T and, when OpenBLAS picks a generic core,
 * OPENBLAS_CORETYPE. Prints what each runs with; a peer that does not start
 * is marked down (ranklab is then timed alone).
 */
void sb_peers_start(sb_peer peers[SB_PEERS], const sb_options *o);

/** Stop the peers that run. */
void sb_peers_stop(sb_peer peers[SB_PEERS]);

/**
 * The whole default pretrain epoch — 60,000 Fashion-MNIST images of
 * o->data, batch 64, Adam 1e-3, shuffled — in ranklab (rk_train_run), then
 * each peer, then ranklab again; prints the table, or a SKIP line when the
 * data are missing.
 */
void sb_epoch(const sb_options *o, sb_peer peers[SB_PEERS]);

/**
 * The epoch of sb_epoch() as a process of its own (bench_step --epoch-child
 * DIR): loads DIR, trains, evaluates, prints "epoch SECONDS ACCURACY STEPS"
 * (or "error …") and returns the exit status.
 */
int sb_epoch_child(const char *data);

/** The machine's limits for the LoRA step, measured in the run (step_bound.c). */
typedef struct sb_limits {
    double copy_gbs;     /* stream-like copy over 2 × 64 MiB, read + written bytes */
    double read_gbs;     /* summing a buffer the size of W, pass after pass */
    double fma_gflops;   /* FMA peak on rk_parallel_threads() threads */
} sb_limits;

/** Measure the limits with a buffer of @p w_floats for the read; false when out of memory. */
bool sb_limits_measure(size_t w_floats, sb_limits *lim);

/**
 * The LoRA points at batch 10 against the bounds: bytes of W per step over
 * each bandwidth and flops over the FMA peak, and bound/ranklab in percent.
 */
void sb_print_bounds(const sb_point *pts, int n, const sb_limits *lim);

#endif
