#!/usr/bin/python3
"""extract_torch_peer.py — PyTorch's side of the checkpoint benchmark: what a
thirty-line script does with a sharded BF16 base/fine-tune pair, the way
mergekit-extract-lora does it on CPU: one tensor pair at a time through a
numpy memmap of each shard, ΔW = W_ft − W_base in float32,
torch.svd_lowrank(ΔW, q=R+10, niter=4), B = U_R·S_R, A = V_Rᵀ.

usage: extract_torch_peer.py extract|delta R BASE_DIR FT_DIR [OUT_DIR]
  extract  saves OUT_DIR/NAME.B.npy and NAME.A.npy per module (float32)
  delta    prints the top R singular values and ‖ΔW‖_F per module (no files)
Prints one line per module (name, relative error ‖ΔW − B·A‖_F/‖ΔW‖_F) and
finally "peer_s SECONDS" (the loop only, without start-up and imports).
Threads: 2 (torch.set_num_threads), OMP_WAIT_POLICY=PASSIVE.
"""
import json, os, struct, sys, time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import numpy as np
import torch

torch.set_num_threads(2)


def index(d):
    """tensor name -> (shard path, data start, header entry) of a sharded directory."""
    with open(os.path.join(d, "model.safetensors.index.json")) as f:
        shards = sorted(set(json.load(f)["weight_map"].values()))
    out = {}
    for s in shards:
        p = os.path.join(d, s)
        with open(p, "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            h = json.loads(f.read(n))
        for k, v in h.items():
            if k != "__metadata__":
                out[k] = (p, 8 + n, v)
    return out


def load(p, start, v):
    a, b = v["data_offsets"]
    raw = np.memmap(p, dtype=np.uint8, mode="r", offset=start + a, shape=(b - a,))
    if v["dtype"] == "BF16":
        x = (raw.view(np.uint16).astype(np.uint32) << 16).view(np.float32)
    elif v["dtype"] == "F16":
        x = raw.view(np.float16).astype(np.float32)
    else:
        x = np.array(raw.view(np.float32))
    return torch.from_numpy(x.reshape(v["shape"]))


def main():
    mode, r, base, ft = sys.argv[1], int(sys.argv[2]), index(sys.argv[3]), index(sys.argv[4])
    out = sys.argv[5] if len(sys.argv) > 5 else None
    if out:
        os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    for k in sorted(base):
        pb, ob, vb = base[k]
        pf, of, vf = ft[k]
        if len(vb["shape"]) != 2:
            continue
        d = load(pf, of, vf) - load(pb, ob, vb)
        u, s, v = torch.svd_lowrank(d, q=r + 10, niter=4)
        fro = torch.linalg.norm(d)
        if mode == "delta":
            left = torch.sqrt(torch.clamp(fro ** 2 - torch.sum(s[:r] ** 2), min=0))
            print(f"{k} fro {fro:.6g} sigma_1 {s[0]:.6g} rel_err {left / fro:.6f}", flush=True)
            continue
        bm = u[:, :r] * s[:r]
        am = v[:, :r].T.contiguous()
        err = torch.linalg.norm(d - bm @ am) / fro
        np.save(os.path.join(out, k + ".B.npy"), bm.numpy())
        np.save(os.path.join(out, k + ".A.npy"), am.numpy())
        print(f"{k} rel_err {err:.6f}", flush=True)
    print(f"peer_s {time.perf_counter() - t0:.3f}", flush=True)


if __name__ == "__main__":
    main()
