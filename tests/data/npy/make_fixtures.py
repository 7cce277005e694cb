#!/usr/bin/python3
"""Write the .npy fixtures of ranklab's tests, and what numpy reads from each.

Run from anywhere: /usr/bin/python3 tests/data/npy/make_fixtures.py
Needs numpy. The outputs are committed, so the tests never need numpy.

For every NAME.npy it writes NAME.expected.txt:
    ndim N
    shape D0 [D1]
    f64 COUNT            then COUNT lines: np.load(NAME.npy).astype(float64), C order
    f32 COUNT            then COUNT lines: .astype(float32), each printed as the
                         double it equals
Values are printed with repr(), which round-trips exactly (nan, inf, -0.0 too).
Also gauss_30x20 and lowrank_12x9_r4 with numpy's singular values
(.svals.txt, np.linalg.svd(A, compute_uv=False)) and rank
(.rank.txt, np.linalg.matrix_rank(A)).
"""
import os
import sys

import numpy as np
from numpy.lib import format as npformat

HERE = os.path.dirname(os.path.abspath(__file__))


def descr_name(descr):
    order = {"<": "le_", ">": "be_", "|": ""}[descr[0]]
    return order + descr[1:]


def values_for(descr):
    """12 values (a 3x4 array) that exercise the type's range."""
    dt = np.dtype(descr)
    if dt.kind == "f":
        v = [0.0, -0.0, 1.5, -2.25, 1 / 3, 5e-324, np.inf, -np.inf, np.nan, 65504.0, 6e-8, 1e-45]
        with np.errstate(over="ignore", under="ignore"):
            return np.array(v, dtype=np.float64).astype(dt)
    if dt.kind == "b":
        return np.array([True, False, False, True, True, True, False, False, True, False, True, False], dtype=dt)
    info = np.iinfo(dt)
    lo, hi = int(info.min), int(info.max)
    v = [lo, hi, 0, 1, hi - 1, lo + 1 if lo else 2, -1 if lo else 3, 42, 100, hi // 3,
         lo // 3 if lo else 5, 2**53 + 1 if hi > 2**53 else 7]
    return np.array(v, dtype=dt)


def expected(name, arr):
    a = np.load(os.path.join(HERE, name + ".npy"))
    assert a.shape == arr.shape and a.dtype == arr.dtype
    row = a.reshape(1, -1) if a.ndim == 1 else a
    lines = ["ndim %d" % a.ndim, "shape " + " ".join(str(d) for d in a.shape)]
    for label, t in (("f64", np.float64), ("f32", np.float32)):
        with np.errstate(over="ignore", invalid="ignore"):
            flat = np.ascontiguousarray(row).astype(t).ravel(order="C")
        lines.append("%s %d" % (label, flat.size))
        lines += [repr(float(x)) for x in flat]
    with open(os.path.join(HERE, name + ".expected.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def save(name, arr, version=None):
    with open(os.path.join(HERE, name + ".npy"), "wb") as f:
        npformat.write_array(f, arr, version=version)
    expected(name, arr)


def main():
    descrs = ["<f8", "<f4", ">f8", ">f4", "<f2", ">f2", "<i8", "<i4", ">i4", "<i2", "|i1",
              "|u1", "<u2", "<u4", "<u8", "|b1"]
    for d in descrs:
        a = values_for(d).reshape(3, 4)
        save(descr_name(d) + "_c", np.ascontiguousarray(a))
        save(descr_name(d) + "_f", np.asfortranarray(a))
    base = values_for("<f8").reshape(3, 4)
    save("v2_le_f8_f", np.asfortranarray(base), version=(2, 0))
    save("v3_le_f4_c", base.astype("<f4"), version=(3, 0))
    save("v3_be_f8_c", base.astype(">f8"), version=(3, 0))
    save("vec_le_f8", np.array([1.0, -2.0, 0.5, 1e300, -1e-300]))
    save("vec_le_i4", np.arange(-3, 4, dtype="<i4"))
    save("vec_empty", np.zeros(0))
    save("empty_0x3", np.zeros((0, 3)))
    save("empty_3x0_f4", np.zeros((3, 0), dtype="<f4"))
    save("one_1x1", np.array([[2.5]]))
    save("tall_7x2_f", np.asfortranarray(np.arange(14, dtype="<f8").reshape(7, 2) - 6.5))

    rng = np.random.default_rng(20261129)
    for name, a in (("gauss_30x20", rng.standard_normal((30, 20))),
                    ("lowrank_12x9_r4", rng.standard_normal((12, 4)) @ rng.standard_normal((4, 9)))):
        np.save(os.path.join(HERE, name + ".npy"), a)
        s = np.linalg.svd(a, compute_uv=False)
        with open(os.path.join(HERE, name + ".svals.txt"), "w") as f:
            f.write("".join(repr(float(x)) + "\n" for x in s))
        with open(os.path.join(HERE, name + ".rank.txt"), "w") as f:
            f.write("%d\n" % np.linalg.matrix_rank(a))
    print("numpy %s: fixtures written to %s" % (np.__version__, HERE), file=sys.stderr)


if __name__ == "__main__":
    main()
