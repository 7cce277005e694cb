#!/usr/bin/python3
"""svd_numpy_peer.py — numpy's side of bench_svd: numpy.linalg.svd on the matrices
bench_svd wrote as .npy, one timed call per request, so the two sides can be
interleaved call by call in one run.

bench_svd starts this script with a pipe on stdin and stdout and speaks a line
protocol (one request, one reply):

  (start)            -> "ready numpy=V threads=T core=C lapack=FILE"
  "load PATH"        -> "ok ROWS COLS"           (numpy.load; float64, C order)
  "svd vals|vecs"    -> "time WALL CPU SUM_S"    (one numpy.linalg.svd(A, full_matrices=False,
                                                  compute_uv=...) call: wall and process-CPU
                                                  seconds, and the sum of the singular values)
  "quit"             -> exits

usage: svd_numpy_peer.py --threads T
The BLAS thread count is set both ways numpy honours: OPENBLAS_NUM_THREADS (set
by bench_svd in this process's environment before numpy loads) and threadpoolctl.
"""
import argparse
import ctypes
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from peer_lib import blas_info, limit_threads, load_matrix, serve, timed


def lapack_file():
    """The shared library whose dgesdd_ numpy's linalg module calls."""
    try:
        import numpy.linalg._umath_linalg as ul
        addr = ctypes.cast(ctypes.CDLL(ul.__file__).dgesdd_, ctypes.c_void_p).value
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()
                lo, hi = (int(x, 16) for x in p[0].split("-"))
                if lo <= addr < hi and len(p) >= 6:
                    return os.path.realpath(p[5])
    except (OSError, AttributeError, ImportError, ValueError):
        pass
    return "unknown"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    args = ap.parse_args()
    limit_threads(args.threads)
    core, threads = blas_info()
    print(f"ready numpy={np.__version__} threads={threads} core={core} lapack={lapack_file()}",
          flush=True)
    held = {"a": None}

    def handle(words):
        if words[0] == "load" and len(words) == 2:
            held["a"], reply = load_matrix(words[1])
            return reply
        if words[0] == "svd" and held["a"] is not None and len(words) == 2:
            r, wall, cpu = timed(np.linalg.svd, held["a"], full_matrices=False,
                                 compute_uv=words[1] == "vecs")
            s = r[1] if words[1] == "vecs" else r
            return f"time {wall:.9f} {cpu:.9f} {float(np.sum(s)):.17g}"
        return None

    serve(handle)


if __name__ == "__main__":
    main()
