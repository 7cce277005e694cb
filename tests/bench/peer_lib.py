"""peer_lib.py — what the benchmark peers (svd_numpy_peer.py, rsvd_sklearn.py,
step_torch_peer.py) share: numpy's OpenBLAS as threadpoolctl reports it and
its thread limit, the float64 matrix a benchmark wrote, one timed call, and
the line protocol's loop (one request, one reply). A peer imports it from
its own folder (Python puts a script's folder first on sys.path).
"""
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


def limit_threads(n):
    """n BLAS threads through threadpoolctl too (the benchmark sets OPENBLAS_NUM_THREADS)."""
    if threadpool_limits is not None:
        threadpool_limits(limits=n, user_api="blas")


def load_matrix(path):
    """(A, reply): the C-ordered 2-d float64 array at path and "ok ROWS COLS",
    or (None, "error PATH: ...") for any other array."""
    a = np.load(path)
    if a.dtype != np.float64 or a.ndim != 2 or not a.flags.c_contiguous:
        return None, f"error {path}: need a C-ordered 2-d float64 array"
    return a, f"ok {a.shape[0]} {a.shape[1]}"


def timed(fn, *args, **kwargs):
    """(fn's result, wall seconds, process-CPU seconds) of one call."""
    c0, t0 = time.process_time(), time.perf_counter()
    r = fn(*args, **kwargs)
    t1, c1 = time.perf_counter(), time.process_time()
    return r, t1 - t0, c1 - c0


def serve(handle):
    """Answer each request line on stdin with handle(words), one reply line
    flushed at once, until "quit" or the end of input. A request handle does
    not know (it returns None) gets "error unknown request: LINE"."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        reply = handle(words)
        if reply is None:
            reply = f"error unknown request: {line.strip()}"
        print(reply, flush=True)
