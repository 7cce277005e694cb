#!/usr/bin/python3
"""rsvd_sklearn.py DIR — scikit-learn's randomized_svd on the matrices bench_rsvd saved.

bench_rsvd --save DIR writes DIR/lowrank_N.npy (float64, N×N, with
ranklab's .npy writer) and DIR/lowrank_N.txt (lines: k, optimal relative
error, ranklab's best wall and CPU time, its relative error, mode "fixed" or
"tol", power iterations). For each (N, k) this times
sklearn.utils.extmath.randomized_svd with its defaults (n_oversamples=10,
n_iter='auto', power_iteration_normalizer='auto' = LU) and with the QR
normalizer ranklab uses, best of 3, and prints for each ranklab mode the time
ratios ranklab/sklearn, wall clock and process CPU (below 1: ranklab is
faster), and how far each relative error lies above the optimum (err/opt − 1).
Run with Debian's /usr/bin/python3 (python3-sklearn).
"""
import glob
import os
import re
import sys
import time

import numpy as np

try:
    from sklearn.utils.extmath import randomized_svd
except ImportError:
    print("# SKIP: scikit-learn is not installed (Debian: python3-sklearn)")
    sys.exit(0)

REPEATS = 3


def best_time(m, k, normalizer):
    """Best wall-clock and process-CPU seconds of REPEATS runs, and the error of the first."""
    wall, cpu, err = float("inf"), float("inf"), None
    for rep in range(REPEATS):
        t0, c0 = time.perf_counter(), time.process_time()
        u, s, vt = randomized_svd(m, k, random_state=rep, power_iteration_normalizer=normalizer)
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        if err is None:
            err = np.linalg.norm(m - (u * s) @ vt) / np.linalg.norm(m)
    return wall, cpu, err


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "bench-data"
    files = sorted(glob.glob(os.path.join(d, "lowrank_*.txt")),
                   key=lambda p: int(re.search(r"(\d+)\.txt$", p).group(1)))
    if not files:
        print(f"# SKIP: no lowrank_N.txt in {d}: run bench_rsvd --save {d} first")
        return 0
    print("# scikit-learn randomized_svd (n_oversamples=10, n_iter='auto') on bench_rsvd's matrices")
    print(f"{'n':>5} {'k':>3} {'sklearn':>7} {'wall[s]':>7} {'cpu[s]':>7} {'err/opt-1':>9} | "
          f"{'ranklab':>7} {'q':>2} {'wall[s]':>7} {'cpu[s]':>7} {'err/opt-1':>9} | "
          f"{'rk/skl wall':>11} {'rk/skl cpu':>10}")
    for txt in files:
        n = int(re.search(r"(\d+)\.txt$", txt).group(1))
        m = np.load(txt[:-4] + ".npy")
        assert m.shape == (n, n) and m.dtype == np.float64
        rows = {}
        with open(txt) as f:
            for line in f:
                if line.strip():
                    k, opt, wall, cpu, err, mode, q = line.split()
                    rows.setdefault(int(k), []).append(
                        (float(opt), float(wall), float(cpu), float(err), mode, int(q)))
        for k, modes in rows.items():
            for normalizer in ("auto", "QR"):
                w_skl, c_skl, err_skl = best_time(m, k, normalizer)
                for opt, w_rk, c_rk, err_rk, mode, q in modes:
                    print(f"{n:5d} {k:3d} {normalizer:>7} {w_skl:7.3f} {c_skl:7.3f} "
                          f"{err_skl / opt - 1:9.1e} | {mode:>7} {q:2d} {w_rk:7.3f} {c_rk:7.3f} "
                          f"{err_rk / opt - 1:9.1e} | {w_rk / w_skl:11.3f} {c_rk / c_skl:10.3f}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
