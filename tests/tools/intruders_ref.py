#!/usr/bin/python3
"""intruders_ref.py — an independent numpy implementation of the intruder test
and its mitigation, to check `ranklab intruders` against.

  make DIR                       the structured cases as .npy pairs in DIR
  compare JSON BASE FT           every c_i and the count of JSON against numpy
  scaled BASE FT OUT LAMBDA K E  OUT (a model .npy/.safetensors, or an adapter
                                 folder when FT is one) against numpy's W'
  same A B                       two safetensors files hold the same tensors

BASE/FT: a .npy file, a .safetensors model, or (FT) a PEFT adapter folder.
Exit status 0 when every check holds; what differs is printed.

Tolerances are bounds, not digits: a singular vector computed in double moves
by about eps * sigma_1 / gap (gap: the distance to the nearest other singular
value), so c_i is compared within 64 * eps * max(m, n) * (sigma'_1 / gap'_i +
sigma_1 / gap_j) and a count only where c_i is farther than that from E.
"""
import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from st_files import read_np

EPS = np.finfo(np.float64).eps
F32 = 2.0 ** -24


def st_read(path):
    return {name: a.astype(np.float64) for name, a in read_np(path).items()}


def adapter(path):
    cfg = json.load(open(os.path.join(path, "adapter_config.json")))
    t = st_read(os.path.join(path, "adapter_model.safetensors"))
    mods = {}
    for k in t:
        if k.endswith(".lora_A.weight"):
            m = k[len("base_model.model."):-len(".lora_A.weight")]
            a, b = t[k], t[k.replace("lora_A", "lora_B")]
            r = a.shape[0]
            r = cfg.get("rank_pattern", {}).get(m, r)
            alpha = cfg.get("alpha_pattern", {}).get(m, cfg["lora_alpha"])
            s = alpha / (np.sqrt(r) if cfg.get("use_rslora") else r)
            mods[m] = (a, b, s)
    return mods


def pairs(base, ft):
    """[(name, W0, W_ft, (B, A, s) or None)] as ranklab pairs them."""
    if base.endswith(".npy"):
        return [(None, np.load(base).astype(np.float64), np.load(ft).astype(np.float64), None)]
    w = st_read(base)
    if os.path.isdir(ft):
        return [(m, w[m + ".weight"], w[m + ".weight"] + s * (b @ a), (b, a, s))
                for m, (a, b, s) in sorted(adapter(ft).items())]
    f = st_read(ft)
    return [(k, w[k], f[k], None) for k in sorted(w) if k in f and w[k].ndim == 2
            and w[k].shape == f[k].shape]


def gaps(s):
    g = np.full(len(s), np.inf)
    if len(s) > 1:
        d = np.abs(np.diff(s))
        g[:-1] = d
        g[1:] = np.minimum(g[1:], d)
    return np.maximum(g, EPS * s[0])


def intruders(w0, wft, k, e):
    u0, s0, _ = np.linalg.svd(w0, full_matrices=False)
    u1, s1, vt1 = np.linalg.svd(wft, full_matrices=False)
    c = np.abs(u1[:, :k].T @ u0)
    cmax, at = c.max(axis=1), c.argmax(axis=1)
    tol = 64 * EPS * max(w0.shape) * (s1[0] / gaps(s1)[:k] + s0[0] / gaps(s0)[at])
    return cmax, at, tol, (u1, s1, vt1)


def compare(path, base, ft):
    res = json.load(open(path))
    k, e = res["top"], res["eps"]
    ok = True
    for (name, w0, wft, _), mod in zip(pairs(base, ft), res["modules"]):
        if mod["name"] != name:
            print("module %s, reference %s" % (mod["name"], name))
            return False
        cmax, _, tol, _ = intruders(w0, wft, k, e)
        got = np.array(mod["max_cos"])
        bad = ~(np.abs(got - cmax) <= tol)
        if bad.any():
            print("%s: c_i %s, numpy %s (tolerance %s)" % (name, got[bad], cmax[bad], tol[bad]))
            ok = False
        clear = np.abs(cmax - e) > tol
        want = int((cmax < e).sum())
        m = w0.shape[0]
        trivial = k >= m or (min(w0.shape) == m and 1 / np.sqrt(m) >= e)
        if trivial != (mod["intruders"] is None):
            print("%s: trivial %s, ranklab's intruders %s" % (name, trivial, mod["intruders"]))
            ok = False
        if not trivial and clear.all() and mod["intruders"] != want:
            print("%s: %s intruders, numpy %d" % (name, mod["intruders"], want))
            ok = False
        print("%s: intruders %s (numpy %d), max |c - numpy| %.3g" %
              (name, mod["intruders"], want, np.abs(got - cmax).max()))
    return ok


def mitigated(w0, wft, k, e, lam):
    cmax, _, _, (u, s, vt) = intruders(w0, wft, k, e)
    w = wft.copy()
    for i in np.nonzero(cmax < e)[0]:
        w += (lam - 1) * s[i] * np.outer(u[:, i], vt[i])
    return w


def scaled(base, ft, out, lam, k, e):
    lam, k, e = float(lam), int(k), float(e)
    ok = True
    if out.endswith(".npy"):
        (_, w0, wft, _), = pairs(base, ft)
        want, got = mitigated(w0, wft, k, e, lam), np.load(out)
        err = np.abs(got - want).max()
        ok = err <= 1e3 * EPS * max(w0.shape) * np.linalg.norm(wft, 2)
        print("max |W' - numpy| %.3g" % err)
        return ok
    if out.endswith(".safetensors"):
        got = st_read(out)
        for name, w0, wft, _ in pairs(base, ft):
            want = mitigated(w0, wft, k, e, lam)
            bound = F32 * np.abs(want) + 1e3 * EPS * max(w0.shape) * np.linalg.norm(wft, 2)
            if not (np.abs(got[name] - want) <= bound).all():
                print("%s: max |W' - numpy| %.3g" % (name, np.abs(got[name] - want).max()))
                ok = False
        return ok
    new = adapter(out)
    for name, w0, wft, (b, a, s) in pairs(base, ft):
        want = mitigated(w0, wft, k, e, lam)
        a2, b2, s2 = new[name]
        r = a.shape[0]
        if a2.shape != a.shape or b2.shape != b.shape:
            print("%s: rank changed" % name)
            ok = False
            continue
        d = (want - w0) / s
        sv = np.linalg.svd(d, compute_uv=False)
        left = np.sqrt((sv[r:] ** 2).sum())  # Eckart–Young: what rank r cannot hold
        got = s2 * (b2 @ a2) / s
        f32 = 4 * F32 * (np.abs(b2) @ np.abs(a2)) * s2 / s  # float32 factors, per entry
        err = np.linalg.norm(got - d)
        bound = left * (1 + 1e-6) + np.linalg.norm(f32) + 1e3 * EPS * max(d.shape) * sv[0]
        if not err <= bound:
            print("%s: ||s'B'A' - D|| %.3g > bound %.3g (rank-%d tail %.3g)" % (name, err, bound, r, left))
            ok = False
        print("%s: ||s'B'A'/s - D||_F %.3g, rank-%d tail %.3g" % (name, err, r, left))
    return ok


def same(a, b):
    x, y = st_read(a), st_read(b)
    return sorted(x) == sorted(y) and all(np.array_equal(x[k], y[k]) for k in x)


def make(d):
    rng = np.random.default_rng(7)
    m, n = 40, 30
    u, _ = np.linalg.qr(rng.standard_normal((m, m)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    s = np.linspace(10, 0.1, n)
    w0 = u[:, :n] @ np.diag(s) @ v.T
    np.save(os.path.join(d, "w0.npy"), w0)
    for tag, t in (("big", 20.0), ("small", 0.05)):  # t·u·v_nᵀ, u ⊥ span(U0)
        np.save(os.path.join(d, "planted_%s.npy" % tag), w0 + t * np.outer(u[:, m - 1], v[:, n - 1]))
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))  # a rotation of span(u_1, u_2, u_3)
    u3 = u[:, :3]
    np.save(os.path.join(d, "rotated.npy"), w0 + u3 @ (q - np.eye(3)) @ u3.T @ w0)
    np.save(os.path.join(d, "rand0.npy"), rng.standard_normal((m, n)))
    np.save(os.path.join(d, "rand1.npy"), rng.standard_normal((m, n)))
    return True


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"make": make, "compare": compare, "scaled": scaled, "same": same}[cmd]
    sys.exit(0 if fn(*args) else 1)
