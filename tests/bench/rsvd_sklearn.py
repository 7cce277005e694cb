#!/usr/bin/python3
"""rsvd_sklearn.py — scikit-learn's side of bench_rsvd: sklearn.utils.extmath.randomized_svd
on the matrices bench_rsvd wrote as .npy, one timed call per request, so the two sides can
be interleaved call by call in one run and compared as ratios.

bench_rsvd starts this script with a pipe on stdin and stdout and speaks a line
protocol (one request, one reply):

  (start)              -> "ready sklearn=V numpy=V threads=T core=C"
  "load PATH"          -> "ok ROWS COLS"        (numpy.load; float64, C order)
  "rsvd K SEED NORM"   -> "time WALL CPU ERR"   (one randomized_svd(A, K, random_state=SEED,
                                                 power_iteration_normalizer=NORM) call with its
                                                 other defaults: n_oversamples=10,
                                                 n_iter='auto'; wall and process-CPU seconds;
                                                 ERR = ‖A − U·diag(s)·Vᵀ‖_F / ‖A‖_F, computed
                                                 after the clock stopped, as bench_rsvd does)
  "quit"               -> exits

usage: rsvd_sklearn.py --threads T
The BLAS thread count is set both ways numpy honours: OPENBLAS_NUM_THREADS (set by
bench_rsvd in this process's environment before numpy loads) and threadpoolctl.
Run with Debian's /usr/bin/python3 (python3-sklearn).
"""
import argparse
import os
import sys
import time

import numpy as np

try:
    import sklearn
    from sklearn.utils.extmath import randomized_svd
except ImportError:
    randomized_svd = None

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:  # the environment variable alone then sets the threads
    threadpool_info = threadpool_limits = None


def blas_info():
    """(kernel core, thread count) of numpy's OpenBLAS as threadpoolctl reports them."""
    if threadpool_info is None:
        return "unknown", int(os.environ.get("OPENBLAS_NUM_THREADS", "0") or 0)
    for d in threadpool_info():
        if d.get("user_api") == "blas":
            return d.get("architecture") or d.get("internal_api"), d.get("num_threads")
    return "unknown", 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()
    if randomized_svd is None:
        print("error scikit-learn is not installed (Debian: python3-sklearn)", flush=True)
        return 1
    if threadpool_limits is not None:
        threadpool_limits(limits=args.threads, user_api="blas")
    core, threads = blas_info()
    print(f"ready sklearn={sklearn.__version__} numpy={np.__version__} threads={threads} "
          f"core={core}", flush=True)
    a = None
    norm_a = 0.0
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "load" and len(words) == 2:
            a = np.load(words[1])
            if a.dtype != np.float64 or a.ndim != 2 or not a.flags.c_contiguous:
                print(f"error {words[1]}: need a C-ordered 2-d float64 array", flush=True)
                a = None
                continue
            norm_a = np.linalg.norm(a)
            print(f"ok {a.shape[0]} {a.shape[1]}", flush=True)
        elif words[0] == "rsvd" and a is not None and len(words) == 4:
            k, seed, norm = int(words[1]), int(words[2]), words[3]
            c0, t0 = time.process_time(), time.perf_counter()
            u, s, vt = randomized_svd(a, k, random_state=seed, power_iteration_normalizer=norm)
            t1, c1 = time.perf_counter(), time.process_time()
            err = np.linalg.norm(a - (u * s) @ vt) / norm_a
            print(f"time {t1 - t0:.9f} {c1 - c0:.9f} {err:.17g}", flush=True)
            del u, s, vt
        else:
            print(f"error unknown request: {line.strip()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
