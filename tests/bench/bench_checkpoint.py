#!/usr/bin/python3
"""bench_checkpoint.py — `ranklab extract --rank 16` and `ranklab delta --top 16`
on a Llama-7B-shaped sharded BF16 base/fine-tune pair, against a PyTorch peer
doing the same work (extract_torch_peer.py: numpy memmap + torch.svd_lowrank,
float32, 2 threads), interleaved in one run. A benchmark: it prints tables and
whether each goal is met, and asserts nothing.

For each N in --layers (default 1, 2, 4 decoder layers; 32 on request, disk
permitting: ~26 GB) ckpt_fixture.py writes the pair (7 modules per layer:
q/k/v/o 4096×4096, gate/up 11008×4096, down 4096×11008, BF16, two shards per
side, a planted rank-8 update) under --data, unless it is there already. Then
--rounds rounds, each running ranklab and the peer in turn (the order swapped
every round), for extract and for delta:

  seconds      wall time of the child (ranklab: the whole command; the peer:
               also its own loop time without Python's start-up and imports)
  peak RSS     ru_maxrss of that child, from os.wait4 in a small process
               that starts it (benchproc.py says why)
  rel. error   ‖ΔW − B·A‖_F/‖ΔW‖_F as each side reports it, and against the
               planted update: ‖B·A − P‖_F/‖P‖_F from the factors each wrote

and reports medians, seconds per module, the speed ratio, time per module at
each N against N = 1 (linear scaling), and the projection to 32 layers (224
modules, a full 7B model). Then `ranklab delta --top 16` of one 11008×4096
module alone. The pairs are deleted afterwards unless --keep.

usage: bench_checkpoint.py RANKLAB PEER.py [--layers 1,2,4] [--rounds 3]
                           [--data DIR] [--keep] [--threads 2]
"""
import json, os, shutil, statistics, struct, subprocess, sys, tempfile, time

import numpy as np

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from benchproc import run_capture  # the children's own wall time and peak RSS

HERE = os.path.dirname(os.path.abspath(__file__))
GB = 1 << 30
PAIR_BYTES_PER_LAYER = 2 * 404 * (1 << 20)   # BF16, both sides
R = 16


def opt(name, default):
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        h = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for k, v in h.items():
            if k == "__metadata__":
                continue
            a, b = v["data_offsets"]
            f.seek(base + a)
            out[k] = np.frombuffer(f.read(b - a), dtype=np.float32).reshape(v["shape"])
    return out


def planted_error(plant, name, b, a):
    """‖B·A − P‖_F / ‖P‖_F, P = U·diag(s)·Vᵀ, without forming an m×n difference in double."""
    u, s, v = plant[name + ".u"], plant[name + ".s"], plant[name + ".v"]
    p = (u * s) @ v.T
    d = b.astype(np.float32) @ a.astype(np.float32) - p
    return float(np.linalg.norm(d) / np.linalg.norm(p))


def errors_vs_planted(data, ranklab_out, peer_out):
    plant = np.load(os.path.join(data, "planted.npz"))
    names = sorted({k[:-2] for k in plant.files if k.endswith(".u")})
    ad = read_safetensors(os.path.join(ranklab_out, "adapter_model.safetensors"))
    rk, pt = [], []
    for t in names:
        mod = t[:-len(".weight")]
        rk.append(planted_error(plant, t, ad[f"base_model.model.{mod}.lora_B.weight"],
                                ad[f"base_model.model.{mod}.lora_A.weight"]))
        pt.append(planted_error(plant, t, np.load(os.path.join(peer_out, t + ".B.npy")),
                                np.load(os.path.join(peer_out, t + ".A.npy"))))
    return statistics.mean(rk), statistics.mean(pt)


def ensure_pair(data, n):
    d = os.path.join(data, f"llama7b-{n}l")
    if os.path.exists(os.path.join(d, "ft", "model.safetensors.index.json")):
        return d, False
    free = shutil.disk_usage(data).free
    if free < n * PAIR_BYTES_PER_LAYER + 2 * GB:
        print(f"SKIP N = {n}: needs {n * PAIR_BYTES_PER_LAYER / GB:.1f} GB, {free / GB:.1f} GB free in {data}")
        return None, False
    t0 = time.perf_counter()
    subprocess.run([sys.executable, os.path.join(HERE, "ckpt_fixture.py"), d, str(n)], check=True)
    print(f"wrote the {n}-layer pair in {time.perf_counter() - t0:.0f} s: {d}", flush=True)
    return d, True


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def bench_pair(rk, peer, d, n, rounds, env, have_peer, work):
    """Medians of the interleaved rounds on the N-layer pair at d."""
    mods = 7 * n
    res = {k: [] for k in ("rk_x", "rk_x_rss", "pt_x", "pt_x_loop", "pt_x_rss",
                           "rk_d", "rk_d_rss", "pt_d", "pt_d_loop", "pt_d_rss")}
    rk_err = pt_err = None
    out_rk, out_pt = os.path.join(work, "adapter"), os.path.join(work, "peer")
    for i in range(rounds):
        jobs = [("rk_x", [rk, "extract", "--rank", str(R), f"{d}/base", f"{d}/ft", "-o", out_rk, "-q", "--json"]),
                ("pt_x", [sys.executable, peer, "extract", str(R), f"{d}/base", f"{d}/ft", out_pt] if have_peer else None),
                ("rk_d", [rk, "delta", "--top", str(R), f"{d}/base", f"{d}/ft", "-q", "--json"]),
                ("pt_d", [sys.executable, peer, "delta", str(R), f"{d}/base", f"{d}/ft"] if have_peer else None)]
        order = [0, 1, 2, 3] if i % 2 == 0 else [1, 0, 3, 2]
        for j in order:
            key, cmd = jobs[j]
            if cmd is None:
                continue
            wall, rss, code, out, _ = run_capture(cmd, env)
            if code != 0:
                continue
            res[key].append(wall)
            res[key + "_rss"].append(rss)
            if key == "rk_x":
                rk_err = statistics.mean(m["relative_error"] for m in json.loads(out)["modules"])
            if key.startswith("pt_"):
                res[key + "_loop"].append(float(out.strip().split()[-1]))
                if key == "pt_x":
                    pt_err = statistics.mean(float(l.split()[-1]) for l in out.splitlines() if "rel_err" in l)
            print(f"  N={n} round {i + 1}: {key:5s} {wall:7.2f} s  {rss:7.0f} MiB", flush=True)
    m = {k: med(v) for k, v in res.items()}
    m["mods"], m["rk_err"], m["pt_err"] = mods, rk_err, pt_err
    m["rk_planted"], m["pt_planted"] = (errors_vs_planted(d, out_rk, out_pt) if have_peer and res["pt_x"]
                                        else (errors_vs_planted_rk(d, out_rk), None))
    return m


def errors_vs_planted_rk(data, ranklab_out):
    plant = np.load(os.path.join(data, "planted.npz"))
    ad = read_safetensors(os.path.join(ranklab_out, "adapter_model.safetensors"))
    names = sorted({k[:-2] for k in plant.files if k.endswith(".u")})
    return statistics.mean(planted_error(plant, t, ad[f"base_model.model.{t[:-7]}.lora_B.weight"],
                                         ad[f"base_model.model.{t[:-7]}.lora_A.weight"]) for t in names)


def fmt(x, f="{:.2f}"):
    return "-" if x is None or x != x else f.format(x)


def report(results, single):
    print("\nextract --rank 16 (medians; peer: wall / its own loop)")
    print(f"{'N':>3} {'mods':>4} | {'ranklab s':>9} {'s/mod':>6} {'RSS MiB':>7} | {'peer s':>13} {'s/mod':>6} {'RSS MiB':>7}"
          f" | {'speed-up':>8} | {'err rk':>8} {'err peer':>8} | {'planted rk':>10} {'planted peer':>12}")
    for n, m in results:
        print(f"{n:>3} {m['mods']:>4} | {fmt(m['rk_x']):>9} {fmt(m['rk_x'] / m['mods'], '{:.3f}'):>6} {fmt(m['rk_x_rss'], '{:.0f}'):>7} | "
              f"{fmt(m['pt_x']) + ' / ' + fmt(m['pt_x_loop']):>13} {fmt(m['pt_x_loop'] / m['mods'], '{:.3f}'):>6} {fmt(m['pt_x_rss'], '{:.0f}'):>7} | "
              f"{fmt(m['pt_x_loop'] / m['rk_x'], '{:.2f}x'):>8} | {fmt(m['rk_err'], '{:.5f}'):>8} {fmt(m['pt_err'], '{:.5f}'):>8} | "
              f"{fmt(m['rk_planted'], '{:.5f}'):>10} {fmt(m['pt_planted'], '{:.5f}'):>12}")
    print("\ndelta --top 16 (medians)")
    print(f"{'N':>3} {'mods':>4} | {'ranklab s':>9} {'s/mod':>6} {'RSS MiB':>7} | {'peer s':>13} {'RSS MiB':>7} | {'speed-up':>8}")
    for n, m in results:
        print(f"{n:>3} {m['mods']:>4} | {fmt(m['rk_d']):>9} {fmt(m['rk_d'] / m['mods'], '{:.3f}'):>6} {fmt(m['rk_d_rss'], '{:.0f}'):>7} | "
              f"{fmt(m['pt_d']) + ' / ' + fmt(m['pt_d_loop']):>13} {fmt(m['pt_d_rss'], '{:.0f}'):>7} | {fmt(m['pt_d_loop'] / m['rk_d'], '{:.2f}x'):>8}")
    goals(results, single)


def goals(results, single):
    by = dict(results)
    print("\ngoals")
    if 2 in by and by[2]["pt_x_loop"] == by[2]["pt_x_loop"]:
        m = by[2]
        sp = m["pt_x_loop"] / m["rk_x"]
        same = m["pt_err"] and abs(m["rk_err"] - m["pt_err"]) <= 0.01 * m["pt_err"]
        print(f"  extract on 2 layers >= 2.5x faster than the peer's loop: {sp:.2f}x "
              f"({'met' if sp >= 2.5 else 'NOT met'}); same error within 1%: {m['rk_err']:.5f} vs "
              f"{m['pt_err']:.5f} ({'met' if same else 'NOT met'})")
    for n in (2, 4):
        if n in by:
            x, dd = by[n]["rk_x_rss"], by[n]["rk_d_rss"]
            print(f"  peak RSS on {n} layers <= 400 MB: extract {x:.0f} MiB, delta {dd:.0f} MiB "
                  f"({'met' if max(x, dd) * 1.048576 <= 400 else 'NOT met'})")
    if 1 in by:
        base = by[1]["rk_x"] / by[1]["mods"]
        for n, m in results:
            if n != 1:
                dev = (m["rk_x"] / m["mods"]) / base - 1
                print(f"  time per module at N = {n} vs N = 1: {dev * 100:+.1f}% "
                      f"({'met' if abs(dev) <= 0.15 else 'NOT met'}, within 15%)")
    n_max, m = results[-1]
    proj = m["rk_x"] / m["mods"] * 224
    print(f"  projected 7B extraction (224 modules at N = {n_max}'s s/module): {proj / 60:.1f} min "
          f"({'met' if proj <= 600 else 'NOT met'}, <= 10 min)")
    if single:
        print(f"  delta --top 16 of one 11008x4096 module: median {single:.2f} s "
              f"({'met' if single <= 2 else 'NOT met'}, <= 2 s)")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    rk, peer = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    layers = [int(x) for x in opt("--layers", "1,2,4").split(",")]
    rounds = int(opt("--rounds", "3"))
    threads = opt("--threads", "2")
    data = opt("--data", os.environ.get("RK_BENCH_DATA", os.path.join(tempfile.gettempdir(), "ranklab-bench-checkpoint")))
    keep = "--keep" in sys.argv
    os.makedirs(data, exist_ok=True)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    have_peer = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True).returncode == 0
    print(f"ranklab {rk}; peer {'torch ' + subprocess.run([sys.executable, '-c', 'import torch; print(torch.__version__)'], capture_output=True, text=True).stdout.strip() if have_peer else 'missing (python3-torch): ranklab alone'}; "
          f"{threads} threads; {rounds} interleaved rounds; data {data}", flush=True)
    results, made, single = [], [], None
    with tempfile.TemporaryDirectory() as work:
        for n in layers:
            d, new = ensure_pair(data, n)
            if d is None:
                continue
            if new:
                made.append(d)
            results.append((n, bench_pair(rk, peer, d, n, rounds, env, have_peer, work)))
            if n == min(layers):
                t = [run_capture([rk, "delta", "--top", str(R), "--tensor", "model.layers.0.mlp.up_proj.weight",
                                  f"{d}/base", f"{d}/ft", "-q"], env).wall for _ in range(rounds)]
                single = med(t)
    if results:
        report(results, single)
    for d in made if not keep else []:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
