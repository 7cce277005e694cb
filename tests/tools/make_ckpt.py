#!/usr/bin/python3
"""make_ckpt.py — small Hugging Face-style checkpoints for test_checkpoint.sh,
in pure Python (struct, json, random; seeded), good and broken.

  DIR/base/, DIR/ft/     sharded: model.safetensors.index.json, two shards,
                         config.json; two "layers" of q_proj (24×16, BF16),
                         up_proj (40×16, F16), down_proj (16×40, F32), a 1-d
                         norm (BF16); layer 0 also has big_proj (600×520, BF16).
                         ft = base + a rank-2 update (+ rank 3 on big_proj).
  DIR/base.safetensors, DIR/ft.safetensors   the same tensors, one file each
  DIR/bad-*/             copies of ft/ broken one way each (see BROKEN below)
  DIR/outside.safetensors  a valid file outside every checkpoint directory

usage: make_ckpt.py DIR
"""
import json, math, os, random, shutil, struct, sys

rng = random.Random(7)
SHAPES = [("self_attn.q_proj", 24, 16, "BF16"), ("mlp.up_proj", 40, 16, "F16"),
          ("mlp.down_proj", 16, 40, "F32")]


def encode(vals, dt):
    if dt == "F32":
        return struct.pack(f"<{len(vals)}f", *vals)
    if dt == "F16":
        return struct.pack(f"<{len(vals)}e", *vals)
    out = bytearray()
    for v in vals:   # BF16: the top half of the float, rounded to nearest even
        u = struct.unpack("<I", struct.pack("<f", v))[0]
        u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
        out += struct.pack("<H", u & 0xFFFF)
    return bytes(out)


def update(m, n, rank, scale):
    us = [[rng.gauss(0, 1) for _ in range(m)] for _ in range(rank)]
    vs = [[rng.gauss(0, 1) for _ in range(n)] for _ in range(rank)]
    return [scale * sum(us[k][i] * vs[k][j] for k in range(rank)) for i in range(m) for j in range(n)]


def tensors():
    """name -> (dtype, shape, base values, ft values)."""
    out = {}
    for layer in range(2):
        mods = SHAPES + ([("self_attn.big_proj", 600, 520, "BF16")] if layer == 0 else [])
        for mod, m, n, dt in mods:
            base = [rng.gauss(0, 0.5) for _ in range(m * n)]
            d = update(m, n, 3 if mod.endswith("big_proj") else 2, 0.05)
            out[f"model.layers.{layer}.{mod}.weight"] = (dt, [m, n], base, [b + x for b, x in zip(base, d)])
        g = [1.0] * 16
        out[f"model.layers.{layer}.input_layernorm.weight"] = ("BF16", [16], g, [x + 0.5 for x in g])
    return out


def write(path, items):
    """items: list of (name, dtype, shape, values)."""
    header, blobs, off = {}, [], 0
    for name, dt, shape, vals in items:
        b = encode(vals, dt)
        header[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_dir(d, ts, side, name_or_path):
    os.makedirs(d, exist_ok=True)
    names = sorted(ts)
    shards = {"model-00001-of-00002.safetensors": [k for k in names if ".layers.0." in k],
              "model-00002-of-00002.safetensors": [k for k in names if ".layers.0." not in k]}
    for shard, ks in shards.items():
        write(os.path.join(d, shard), [(k, ts[k][0], ts[k][1], ts[k][2 + side]) for k in ks])
    wm = {k: s for s, ks in shards.items() for k in ks}
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f, indent=2)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump({"_name_or_path": name_or_path, "model_type": "llama"}, f)


def edit_index(d, fn):
    p = os.path.join(d, "model.safetensors.index.json")
    with open(p) as f:
        idx = json.load(f)
    fn(idx["weight_map"])
    with open(p, "w") as f:
        json.dump(idx, f)


def broken(root, ts):
    ft = os.path.join(root, "ft")
    s1, s2 = "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"

    def copy(name):
        d = os.path.join(root, "bad-" + name)
        shutil.copytree(ft, d)
        return d
    d = copy("truncated")                       # the last 100 bytes of shard 2 cut off
    p = os.path.join(d, s2)
    os.truncate(p, os.path.getsize(p) - 100)
    d = copy("claims")                          # a header claiming more data than the file holds
    names = sorted(k for k in ts if ".layers.1." in k)
    items = [(k, ts[k][0], ts[k][1], ts[k][3]) for k in names]
    k0, dt, shape, vals = items[-1]
    items[-1] = (k0, dt, [shape[0] * 4, shape[1]], vals * 4)
    write(os.path.join(d, s2), items)
    with open(os.path.join(d, s2), "r+b") as f:
        f.truncate(os.path.getsize(os.path.join(d, s2)) - len(encode(vals * 3, dt)))
    d = copy("missing")                         # the index names a shard that is not there
    edit_index(d, lambda wm: wm.update({"model.layers.1.mlp.up_proj.weight": "model-00003-of-00003.safetensors"}))
    d = copy("absent")                          # the index lists a tensor its shard does not hold
    edit_index(d, lambda wm: wm.update({"model.layers.0.self_attn.v_proj.weight": s1}))
    d = copy("unlisted")                        # a shard holds a tensor the index does not list
    edit_index(d, lambda wm: wm.pop("model.layers.1.mlp.up_proj.weight"))
    d = copy("twice")                           # a tensor in both shards
    k = "model.layers.0.self_attn.q_proj.weight"
    extra = [(n, ts[n][0], ts[n][1], ts[n][3]) for n in sorted(ts) if ".layers.1." in n] + [(k, *ts[k][:2], ts[k][3])]
    write(os.path.join(d, s2), extra)
    d = copy("dotdot")                          # a shard path leaving the directory
    edit_index(d, lambda wm: wm.update({k: "../outside.safetensors"}))
    d = copy("symlink")                         # a shard that is a symlink leading out
    os.remove(os.path.join(d, s2))
    os.symlink(os.path.join(root, "outside.safetensors"), os.path.join(d, s2))
    d = copy("nan")                             # NaN in a tensor of the fine-tune
    items = [(n, ts[n][0], ts[n][1], list(ts[n][3])) for n in sorted(ts) if ".layers.1." in n]
    for it in items:
        if it[0].endswith("down_proj.weight"):
            it[3][7] = math.nan
    write(os.path.join(d, s2), items)
    d = copy("shape")                           # one tensor with another shape than in base
    items = [(n, ts[n][0], ts[n][1], ts[n][3]) for n in sorted(ts) if ".layers.1." in n]
    items = [(n, dt, [sh[1], sh[0]] if n.endswith("q_proj.weight") else sh, v) for n, dt, sh, v in items]
    write(os.path.join(d, s2), items)
    d = copy("fewer")                           # one tensor fewer than base
    items = [(n, ts[n][0], ts[n][1], ts[n][3]) for n in sorted(ts) if ".layers.1." in n and "up_proj" not in n]
    write(os.path.join(d, s2), items)
    edit_index(d, lambda wm: wm.pop("model.layers.1.mlp.up_proj.weight"))
    d = copy("nanbig")                          # Inf in the large (randomized, float32) module
    items = [(n, ts[n][0], ts[n][1], list(ts[n][3])) for n in sorted(ts) if ".layers.0." in n]
    for it in items:
        if it[0].endswith("big_proj.weight"):
            it[3][1234] = math.inf
    write(os.path.join(d, s1), items)
    d = os.path.join(root, "bad-noweights")     # a directory without any weights file
    os.makedirs(d)


def main():
    root = sys.argv[1]
    ts = tensors()
    write_dir(os.path.join(root, "base"), ts, 0, "test/tiny-llama-base")
    write_dir(os.path.join(root, "ft"), ts, 1, "test/tiny-llama-ft")
    for side, name in ((0, "base"), (1, "ft")):
        write(os.path.join(root, name + ".safetensors"), [(k, ts[k][0], ts[k][1], ts[k][2 + side]) for k in sorted(ts)])
    write(os.path.join(root, "outside.safetensors"), [("model.layers.1.x.weight", "F32", [2, 2], [1.0] * 4)])
    broken(root, ts)


if __name__ == "__main__":
    main()
