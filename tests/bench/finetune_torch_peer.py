#!/usr/bin/python3
"""finetune_torch_peer.py — PyTorch's side of bench_finetune: the same LoRA
fine-tune as `ranklab finetune -r R --class K --steps N --batch B`, written as
a plain PyTorch script, run as a whole process (import, load, train, evaluate).

It reads the ranklab model MODEL.safetensors (F32 linear1.weight (Out, In),
linear1.bias, ...), freezes it and adds to every layer y = x W^T + b +
s (x A^T) B^T with s = alpha/R = 1, A (R, In) kaiming-uniform (U(-1/sqrt(In),
1/sqrt(In)), PEFT's default), B (Out, R) = 0 (step_torch_peer.LoRANet); then N
steps of Adam (lr 1e-3, foreach) on batches of B training images of class K,
shuffled with the seed and reshuffled at each pass, softmax cross-entropy.
Flush-to-zero is on (torch.set_flush_denormal, as ranklab's FTZ/DAZ), the
threads are T. Then the test accuracy, overall and on class K.

Prints one line:
  "blas_core C ftz 0|1 train_s S accuracy ACC class_accuracy ACC_K"

usage: finetune_torch_peer.py MODEL.safetensors DATA_DIR R K N B SEED THREADS
"""
import json
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from step_torch_peer import LoRANet, Net, blas_core, load


def read_model(path):
    """The F32 tensors of a safetensors file, by name."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        hdr = json.loads(f.read(n))
        blob = f.read()
    out = {}
    for name, v in hdr.items():
        if name != "__metadata__":
            a, b = v["data_offsets"]
            out[name] = torch.from_numpy(np.frombuffer(blob, np.float32, (b - a) // 4, a).reshape(v["shape"]).copy())
    return out


def main():
    if len(sys.argv) != 9:
        sys.exit(__doc__)
    path, data = sys.argv[1], sys.argv[2]
    r, k, steps, batch, seed, threads = (int(x) for x in sys.argv[3:])
    torch.set_num_threads(threads)
    ftz = torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    w = read_model(path)
    base = Net([w["linear1.weight"].shape[1], w["linear1.weight"].shape[0],
                w["linear2.weight"].shape[0], w["linear3.weight"].shape[0]])
    base.load_state_dict(w)
    net = LoRANet(base, r)
    del base, w
    X, Y, Xte, yte = load(data)
    X, Y = X[Y == k], Y[Y == k]
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=1e-3, foreach=True)
    t0 = time.perf_counter()
    perm, j = torch.randperm(len(X)), 0
    for _ in range(steps):
        if j + batch > len(X):
            perm, j = torch.randperm(len(X)), 0
        b = perm[j:j + batch]
        j += batch
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(X[b]), Y[b]).backward()
        opt.step()
    train_s = time.perf_counter() - t0
    with torch.no_grad():
        pred = net(Xte).argmax(1).numpy()
    acc, acc_k = (pred == yte).mean(), (pred[yte == k] == k).mean()
    print(f"blas_core {blas_core()} ftz {int(ftz)} train_s {train_s:.3f} accuracy {acc:.4f} class_accuracy {acc_k:.4f}")


if __name__ == "__main__":
    main()
