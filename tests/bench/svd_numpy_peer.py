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
import time

import numpy as np

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
    if threadpool_limits is not None:
        threadpool_limits(limits=args.threads, user_api="blas")
    core, threads = blas_info()
    print(f"ready numpy={np.__version__} threads={threads} core={core} lapack={lapack_file()}",
          flush=True)
    a = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "load":
            a = np.load(words[1])
            if a.dtype != np.float64 or a.ndim != 2 or not a.flags.c_contiguous:
                print(f"error {words[1]}: need a C-ordered 2-d float64 array", flush=True)
                continue
            print(f"ok {a.shape[0]} {a.shape[1]}", flush=True)
        elif words[0] == "svd" and a is not None and len(words) == 2:
            uv = words[1] == "vecs"
            c0, t0 = time.process_time(), time.perf_counter()
            r = np.linalg.svd(a, full_matrices=False, compute_uv=uv)
            t1, c1 = time.perf_counter(), time.process_time()
            s = r[1] if uv else r
            print(f"time {t1 - t0:.9f} {c1 - c0:.9f} {float(np.sum(s)):.17g}", flush=True)
            del r, s
        else:
            print(f"error unknown request: {line.strip()}", flush=True)


if __name__ == "__main__":
    main()
