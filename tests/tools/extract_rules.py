#!/usr/bin/python3
"""extract_rules.py — the checkpoints and the checks of test_extract_rules.sh.

  extract_rules.py make DIR
      DIR/base.safetensors, DIR/ft.safetensors (F32, seeded): ft = base +
      a planted low-rank update + N(0, 0.01²) noise in four modules of three
      shapes, and one module whose update is exactly zero.
  extract_rules.py check DIR ADAPTER RULE [MAX_RANK] [ALPHA]   (stdin: extract --json)
      every module's rank is RULE's on the spectrum numpy computes (the
      formulas written again in rank_rules.py, no code shared with
      lib/linalg/rankrule.c);
      singular_values are those values; the adapter holds these ranks (r, the
      most common, and rank_pattern / alpha_pattern for the others) and its
      s*B*A leaves the error sqrt(sum_{i>r} sigma_i^2) up to float32 rounding.
"""
import json
import math
import struct
import sys

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from rank_rules import budget_ranks, rule_rank
from st_files import read_np

PLANTED = {  # name: (m, n, the planted singular values)
    "model.layers.0.self_attn.q_proj": (48, 32, [9.0, 5.0, 2.0]),
    "model.layers.0.mlp.up_proj": (64, 32, [8.0, 6.0, 4.0, 3.0, 2.5]),
    "model.layers.1.self_attn.q_proj": (48, 32, [7.0, 1.5]),
    "model.layers.1.mlp.down_proj": (32, 64, [6.0, 5.0, 3.0, 1.0]),
    "model.layers.1.zero_proj": (16, 16, []),
}
NOISE = 0.01
U32 = 2.0 ** -24


def write_st(path, tensors):
    header, blobs, off = {}, [], 0
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make(d):
    rng = np.random.default_rng(15)
    base, ft = {}, {}
    for name, (m, n, sv) in PLANTED.items():
        w = rng.standard_normal((m, n)).astype(np.float32)
        delta = np.zeros((m, n))
        if sv:
            u, _ = np.linalg.qr(rng.standard_normal((m, len(sv))))
            v, _ = np.linalg.qr(rng.standard_normal((n, len(sv))))
            delta = u @ np.diag(sv) @ v.T + NOISE * rng.standard_normal((m, n))
        base[name + ".weight"] = w
        ft[name + ".weight"] = (w + delta).astype(np.float32)
    write_st(d + "/base.safetensors", base)
    write_st(d + "/ft.safetensors", ft)


def check(d, adapter, rule, max_rank, alpha):
    out = json.load(sys.stdin)
    base, ft = read_np(d + "/base.safetensors", "F32"), read_np(d + "/ft.safetensors", "F32")
    names = sorted(k[:-len(".weight")] for k in ft)
    deltas = {k: ft[k + ".weight"].astype(np.float64) - base[k + ".weight"].astype(np.float64) for k in names}
    spectra = {k: np.linalg.svd(deltas[k], compute_uv=False) for k in names}
    if rule.startswith("budget:"):
        ranks, spent = budget_ranks([list(spectra[k]) for k in names], [deltas[k].shape for k in names],
                                    int(rule[7:]), max_rank)
        want = dict(zip(names, ranks))
        assert spent <= int(rule[7:]) and out["budget_spent"] == spent, (spent, out["budget_spent"])
    else:
        want = {k: rule_rank(rule, list(spectra[k]), *deltas[k].shape) for k in names}
        if max_rank:
            want = {k: min(r, max_rank) for k, r in want.items()}
    got = {m["name"]: m["rank"] for m in out["modules"]}
    kept = {k: r for k, r in want.items() if r > 0}
    assert got == kept, ("ranks", got, kept)
    assert out["rule"] == rule, out["rule"]
    assert sorted(s["name"] for s in out["skipped"]) == sorted(k + ".weight" for k in want if not want[k]), out["skipped"]
    cfg = json.load(open(adapter + "/adapter_config.json"))
    tensors = read_np(adapter + "/adapter_model.safetensors", "F32")
    worst = 0.0
    for mod in out["modules"]:
        k, r = mod["name"], mod["rank"]
        s = spectra[k]
        sv = np.array(mod["singular_values"])
        if rule.startswith("fixed:"):  # sigma_1..r from the float32 B, sigma_{r+1} from the SVD
            assert len(sv) == min(r + 1, len(s)), (k, len(sv))
            assert np.all(np.abs(sv - s[:len(sv)]) <= 64 * U32 * s[0]), (k, sv, s[:len(sv)])
        else:  # a rule reports the whole spectrum, in double
            assert len(sv) == len(s), (k, len(sv))
            assert np.all(np.abs(sv - s) <= 64 * len(s) * 2.2e-16 * s[0]), (k, sv[:4], s[:4])
        r_cfg = cfg["rank_pattern"].get(k, cfg["r"])
        a_cfg = cfg["alpha_pattern"].get(k, cfg["lora_alpha"])
        assert r_cfg == r and a_cfg == (alpha if alpha else r), (k, r_cfg, a_cfg, r)
        assert (k in cfg["rank_pattern"]) == (r != cfg["r"]), (k, cfg)
        b = tensors["base_model.model." + k + ".lora_B.weight"].astype(np.float64)
        a = tensors["base_model.model." + k + ".lora_A.weight"].astype(np.float64)
        assert b.shape == (deltas[k].shape[0], r) and a.shape == (r, deltas[k].shape[1]), (b.shape, a.shape)
        err = np.linalg.norm(deltas[k] - (a_cfg / r_cfg) * b @ a)
        tail = math.sqrt(float(np.sum(s[r:] ** 2)))
        norm = np.linalg.norm(deltas[k])
        if norm == 0:  # fixed:R on a zero update: zero factors, no error
            assert err == 0 and mod["rel_err"] == 0, (k, err, mod["rel_err"])
            continue
        ratio = abs(err - tail) / (U32 * (1 + math.sqrt(r)) * norm)
        assert ratio <= 4, (k, err, tail, ratio)
        assert abs(mod["rel_err"] - tail / norm) <= 1e-9, (k, mod["rel_err"])
        worst = max(worst, ratio)
    counts = {}
    for r in got.values():
        counts[r] = counts.get(r, 0) + 1
    assert cfg["r"] == min(r for r in counts if counts[r] == max(counts.values())), (cfg["r"], counts)
    print("ranks", {k.split(".", 2)[2]: r for k, r in got.items()}, "r", cfg["r"],
          "| |err - tail| / (u32 (1 + sqrt r) ||dW||_F) at most %.3g" % worst)


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        mr = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[5] else 0
        al = float(sys.argv[6]) if len(sys.argv) > 6 else 0.0
        check(sys.argv[2], sys.argv[3], sys.argv[4], mr, al)
