/*
 * peer.h — a peer program (numpy, PyTorch) run beside a benchmark as a
 * co-process speaking one request line → one reply line over pipes, so
 * ranklab's calls and the peer's can be interleaved call by call in one run
 * and their times compared as ratios.
 */
#ifndef RK_BENCH_PEER_H
#define RK_BENCH_PEER_H

#include <stdbool.h>
#include <stdio.h>

/** A running peer; all fields are private to peer.c. */
typedef struct bench_peer {
    int pid;
    FILE *to;     /* its stdin */
    FILE *from;   /* its stdout */
} bench_peer;

/**
 * Start @p argv[0] (an absolute path) with @p argv, after setting each
 * "NAME=VALUE" of @p env (NULL-terminated, may be NULL) in the child's
 * environment; an entry "NAME" without '=' removes NAME from it. Its stderr is the benchmark's. Returns false when it cannot
 * be started (the reason is printed to stderr).
 */
bool bench_peer_start(bench_peer *p, char *const argv[], const char *const env[]);

/**
 * Send @p request (one line, without '\n') and read one reply line into
 * @p reply (without '\n'). Returns false when the peer has gone away.
 */
bool bench_peer_ask(bench_peer *p, const char *request, char *reply, size_t size);

/** Read one line the peer sent unasked (its greeting). */
bool bench_peer_read(bench_peer *p, char *reply, size_t size);

/**
 * Start the Python peer @p script (NULL: none) with interpreter @p python,
 * `--threads T` and OPENBLAS_NUM_THREADS=T, and read its "ready …" greeting.
 * Prints "  LABEL WHAT-IT-SAID" (@p label, e.g. "numpy:  "), or why the peer
 * is absent with @p needs named as the missing module (e.g. "numpy").
 * Returns @p p, or NULL when there is no peer: the benchmark then times
 * ranklab alone.
 */
bench_peer *bench_peer_start_python(bench_peer *p, const char *python, const char *script,
                                    int threads, const char *label, const char *needs);

/** Send "quit", close the pipes and wait for the peer. Accepts a peer that never started. */
void bench_peer_stop(bench_peer *p);

#endif
