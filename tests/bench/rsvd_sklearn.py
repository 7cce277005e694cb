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
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from peer_lib import blas_info, limit_threads, load_matrix, serve, timed

try:
    import sklearn
    from sklearn.utils.extmath import randomized_svd
except ImportError:
    randomized_svd = None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()
    if randomized_svd is None:
        print("error scikit-learn is not installed (Debian: python3-sklearn)", flush=True)
        return 1
    limit_threads(args.threads)
    core, threads = blas_info()
    print(f"ready sklearn={sklearn.__version__} numpy={np.__version__} threads={threads} "
          f"core={core}", flush=True)
    held = {"a": None, "norm": 0.0}

    def handle(words):
        if words[0] == "load" and len(words) == 2:
            held["a"], reply = load_matrix(words[1])
            if held["a"] is not None:
                held["norm"] = np.linalg.norm(held["a"])
            return reply
        a = held["a"]
        if words[0] == "rsvd" and a is not None and len(words) == 4:
            k, seed, norm = int(words[1]), int(words[2]), words[3]
            (u, s, vt), wall, cpu = timed(randomized_svd, a, k, random_state=seed,
                                          power_iteration_normalizer=norm)
            err = np.linalg.norm(a - (u * s) @ vt) / held["norm"]
            return f"time {wall:.9f} {cpu:.9f} {err:.17g}"
        return None

    serve(handle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
