#!/usr/bin/python3
"""ckpt_fixture.py — a Llama-7B-shaped base/fine-tune pair in Hugging Face's
sharded BF16 layout, for the checkpoint benchmark (bench_checkpoint.py).

  DIR/base/, DIR/ft/   config.json ("_name_or_path"), model.safetensors.index.json,
                       model-0000i-of-0000S.safetensors (S = 2 shards: the layers split
                       in halves; one layer: its attention and its MLP)
  DIR/planted.npz      the planted update of every module, as factors:
                       NAME.u (m×r), NAME.s (r), NAME.v (n×r)

Each decoder layer: q/k/v/o_proj 4096×4096, gate/up_proj 11008×4096,
down_proj 4096×11008, input/post_attention_layernorm (4096,); then model.norm.
Base weights ~ N(0, 0.02²); fine-tune = base + P + noise, P = U·diag(s)·Vᵀ of
rank 8 (U, V orthonormal, s from 0.256 down to 0.077 times √(m·n)/4096:
entries of ~1e-4, a few times the BF16 rounding of the weights), noise
N(0, (2e-5)²); both sides rounded to BF16 (to nearest even), which adds
rounding noise of ~4e-5 per entry to ΔW. Seeded: the same N gives the same
files.

usage: ckpt_fixture.py DIR N_LAYERS [--seed S]
"""
import json, os, struct, sys

import numpy as np

H, I, RANK = 4096, 11008, 8
MODULES = [("self_attn.q_proj", H, H), ("self_attn.k_proj", H, H), ("self_attn.v_proj", H, H),
           ("self_attn.o_proj", H, H), ("mlp.gate_proj", I, H), ("mlp.up_proj", I, H),
           ("mlp.down_proj", H, I)]


def to_bf16(x):
    """float32 → bfloat16 bits (uint16), round to nearest even."""
    u = x.astype(np.float32).view(np.uint32)
    u = u + (np.uint32(0x7FFF) + ((u >> 16) & 1))
    return (u >> 16).astype(np.uint16)


def write_shard(path, tensors):
    """tensors: list of (name, uint16 array or float32 array) in file order."""
    header, off = {}, 0
    for name, a in tensors:
        dt = "BF16" if a.dtype == np.uint16 else "F32"
        header[name] = {"dtype": dt, "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for _, a in tensors:
            f.write(np.ascontiguousarray(a).tobytes())
    os.replace(path + ".tmp", path)


def planted(rng, m, n):
    u, _ = np.linalg.qr(rng.standard_normal((m, RANK)))
    v, _ = np.linalg.qr(rng.standard_normal((n, RANK)))
    s = np.linspace(1.0, 0.3, RANK) * np.sqrt(m * n) / 4096.0 * 4e-3 * 64
    return u.astype(np.float32), s.astype(np.float32), v.astype(np.float32)


def layer_tensors(rng, layer, plant):
    """(base, ft) tensor lists of one decoder layer."""
    base, ft = [], []
    for mod, m, n in MODULES:
        name = f"model.layers.{layer}.{mod}.weight"
        w = rng.standard_normal((m, n), dtype=np.float32) * np.float32(0.02)
        u, s, v = planted(rng, m, n)
        plant[name] = (u, s, v)
        d = (u * s) @ v.T + rng.standard_normal((m, n), dtype=np.float32) * np.float32(2e-5)
        base.append((name, to_bf16(w)))
        ft.append((name, to_bf16(w + d)))
        del w, d
    for norm in ("input_layernorm", "post_attention_layernorm"):
        g = np.ones(H, dtype=np.float32)
        base.append((f"model.layers.{layer}.{norm}.weight", to_bf16(g)))
        ft.append((f"model.layers.{layer}.{norm}.weight", to_bf16(g + 1e-3)))
    return base, ft


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, n_layers = sys.argv[1], int(sys.argv[2])
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 0
    rng = np.random.default_rng(seed)
    plant = {}
    for side in ("base", "ft"):
        os.makedirs(os.path.join(out, side), exist_ok=True)
        with open(os.path.join(out, side, "config.json"), "w") as f:
            json.dump({"_name_or_path": f"ranklab-bench/llama-7b-shaped-{n_layers}l-{side}",
                       "architectures": ["LlamaForCausalLM"], "hidden_size": H,
                       "intermediate_size": I, "num_hidden_layers": n_layers}, f)
    # shard 1: the first half of the layers (one layer: its attention), shard 2: the rest
    groups = [[], []]
    for layer in range(n_layers):
        b, f = layer_tensors(rng, layer, plant)
        if n_layers == 1:
            groups[0].append((b[:4] + b[7:], f[:4] + f[7:]))
            groups[1].append((b[4:7], f[4:7]))
        else:
            groups[0 if layer < (n_layers + 1) // 2 else 1].append((b, f))
        # write each shard as soon as its group is complete, to bound memory
        for gi in (0, 1):
            done = (layer == n_layers - 1) if gi == 1 or n_layers == 1 else layer == (n_layers + 1) // 2 - 1
            if done and groups[gi] is not None:
                write_group(out, gi, groups[gi], n_layers == 1 and gi == 1, rng)
                groups[gi] = None
    np.savez(os.path.join(out, "planted.npz"),
             **{f"{k}.{p}": a for k, (u, s, v) in plant.items() for p, a in (("u", u), ("s", s), ("v", v))})
    for side in ("base", "ft"):
        wm = {}
        for gi in (0, 1):
            with open(os.path.join(out, side, shard_name(gi)), "rb") as f:
                n = struct.unpack("<Q", f.read(8))[0]
                for k in json.loads(f.read(n)):
                    if k != "__metadata__":
                        wm[k] = shard_name(gi)
        with open(os.path.join(out, side, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {}, "weight_map": dict(sorted(wm.items()))}, f, indent=2)


def shard_name(gi):
    return f"model-0000{gi + 1}-of-00002.safetensors"


def write_group(out, gi, group, add_norm, rng):
    last = gi == 1
    for si, side in enumerate(("base", "ft")):
        tensors = [t for pair in group for t in pair[si]]
        if last:
            g = np.ones(H, dtype=np.float32)
            tensors.append(("model.norm.weight", to_bf16(g if si == 0 else g + 1e-3)))
        write_shard(os.path.join(out, side, shard_name(gi)), tensors)


if __name__ == "__main__":
    main()
