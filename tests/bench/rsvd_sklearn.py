#!/usr/bin/python3
"""rsvd_sklearn.py DIR — scikit-learn's randomized_svd on the matrices bench_rsvd saved.

bench_rsvd --save DIR writes DIR/lowrank_N.npy (float64, N×N, with
ranklab's .npy writer) and DIR/lowrank_N.txt (lines: k, optimal relative
error, ranklab's best time, ranklab's relative error, mode "fixed" or "tol",
power iterations). For each (N, k) this times
sklearn.utils.extmath.randomized_svd with its defaults (n_oversamples=10,
n_iter='auto', power_iteration_normalizer='auto' = LU) and with the QR
normalizer ranklab uses, best of 3, and prints for each ranklab mode the time
ratio ranklab/sklearn (below 1: ranklab is faster) and how far each relative
error lies above the optimum (err/opt − 1).
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
    best, err = float("inf"), None
    for rep in range(REPEATS):
        t0 = time.perf_counter()
        u, s, vt = randomized_svd(m, k, random_state=rep, power_iteration_normalizer=normalizer)
        best = min(best, time.perf_counter() - t0)
        if err is None:
            err = np.linalg.norm(m - (u * s) @ vt) / np.linalg.norm(m)
    return best, err


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "bench-data"
    files = sorted(glob.glob(os.path.join(d, "lowrank_*.txt")),
                   key=lambda p: int(re.search(r"(\d+)\.txt$", p).group(1)))
    if not files:
        print(f"# SKIP: no lowrank_N.txt in {d}: run bench_rsvd --save {d} first")
        return 0
    print("# scikit-learn randomized_svd (n_oversamples=10, n_iter='auto') on bench_rsvd's matrices")
    print(f"{'n':>5} {'k':>4} {'sklearn':>10} {'skl[s]':>8} {'skl err/opt-1':>13} "
          f"{'ranklab':>7} {'q':>2} {'rk[s]':>8} {'rk err/opt-1':>12} {'rk/skl':>7}")
    for txt in files:
        n = int(re.search(r"(\d+)\.txt$", txt).group(1))
        m = np.load(txt[:-4] + ".npy")
        assert m.shape == (n, n) and m.dtype == np.float64
        rows = {}
        with open(txt) as f:
            for line in f:
                if line.strip():
                    k, opt, t, err, mode, q = line.split()
                    rows.setdefault(int(k), []).append((float(opt), float(t), float(err), mode, int(q)))
        for k, modes in rows.items():
            for normalizer in ("auto", "QR"):
                t_skl, err_skl = best_time(m, k, normalizer)
                for opt, t_rk, err_rk, mode, q in modes:
                    print(f"{n:5d} {k:4d} {normalizer:>10} {t_skl:8.4f} {err_skl / opt - 1:13.1e} "
                          f"{mode:>7} {q:2d} {t_rk:8.4f} {err_rk / opt - 1:12.1e} {t_rk / t_skl:7.3f}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
