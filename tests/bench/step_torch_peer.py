#!/usr/bin/python3
"""step_torch_peer.py — PyTorch's side of bench_step: one training step of the
784-1000-2000-10 MLP (Adam, cross-entropy), full or LoRA, timed step by step, so
that bench_step can interleave ranklab's steps and PyTorch's in one run; and the
whole default pretrain epoch (60,000 Fashion-MNIST images, batch 64, Adam 1e-3,
as ../shared/reference/pretrain_only_torch.py does it).

bench_step runs two of these at once: one with the environment as installed,
one tuned (OMP_WAIT_POLICY=PASSIVE, and OPENBLAS_CORETYPE when OpenBLAS picks a
generic core); this script changes nothing in its own environment.

bench_step starts this script with a pipe on stdin and stdout and speaks a line
protocol (one request, one reply):

  (start)                  -> "ready torch=V threads=T flush_denormal=0|1 blas_core=C
                               OMP_WAIT_POLICY=.. OPENBLAS_CORETYPE=.. OPENBLAS_NUM_THREADS=.."
                               (C: the OpenBLAS core torch's BLAS runs, "?" if unknown;
                               "-" for an unset variable)
  "setup full|lora R B"    -> "ok PARAMS"   (a fresh net, seeded; LoRA: rank R,
                                            alpha = R, kaiming-uniform A, B = 0,
                                            only A and B train; batch B of
                                            N(0,1) inputs and random labels;
                                            a fresh Adam, lr 1e-3; 3 warm-up steps)
  "steps K [W]"            -> "time MEDIAN_MS MIN_MS"  (W untimed steps, then K steps, each timed:
                                            zero_grad, forward, loss, backward, step)
  "epoch DIR B SEED MAX"   -> "epoch SECONDS ACCURACY STEPS"  (one pass over the
                                            training set of DIR in shuffled batches of B
                                            from a fresh net seeded SEED; SECONDS is the
                                            loop only, ACCURACY on the test set after it;
                                            the loop stops after MAX seconds: then
                                            STEPS < the epoch's);
                                            "error MESSAGE" when the data cannot be read)
  "quit"                   -> exits

usage: step_torch_peer.py --threads T [--flush-denormal]
"""
import argparse
import ctypes
import gzip
import math
import os
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from peer_lib import serve


class Net(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.linear1 = nn.Linear(sizes[0], sizes[1])
        self.linear2 = nn.Linear(sizes[1], sizes[2])
        self.linear3 = nn.Linear(sizes[2], sizes[3])

    def forward(self, x):
        return self.linear3(F.relu(self.linear2(F.relu(self.linear1(x)))))


class LoRALinear(nn.Module):
    """y = x W^T + b + s (x A^T) B^T with W, b frozen buffers; A (r, in), B (out, r) = 0."""

    def __init__(self, base, r):
        super().__init__()
        out_f, in_f = base.weight.shape
        self.register_buffer("weight", base.weight.detach().clone())
        self.register_buffer("bias", base.bias.detach().clone())
        bound = 1.0 / math.sqrt(in_f)
        self.lora_A = nn.Parameter((torch.rand(r, in_f) * 2 - 1) * bound)
        self.lora_B = nn.Parameter(torch.zeros(out_f, r))
        self.scale = 1.0  # alpha = r

    def forward(self, x):
        return F.linear(x, self.weight, self.bias) + self.scale * F.linear(F.linear(x, self.lora_A), self.lora_B)


class LoRANet(nn.Module):
    def __init__(self, base, r):
        super().__init__()
        self.linear1 = LoRALinear(base.linear1, r)
        self.linear2 = LoRALinear(base.linear2, r)
        self.linear3 = LoRALinear(base.linear3, r)

    forward = Net.forward


class Run:
    def __init__(self, kind, rank, batch):
        torch.manual_seed(1)
        base = Net([784, 1000, 2000, 10])
        if kind == "full":
            self.net = base
            params = list(base.parameters())
        else:
            self.net = LoRANet(base, rank)
            params = [p for n, p in self.net.named_parameters() if "lora" in n]
        self.n_params = sum(p.numel() for p in params)
        self.opt = torch.optim.Adam(params, lr=1e-3)
        self.x = torch.randn(batch, 784)
        self.y = torch.randint(0, 10, (batch,))
        for _ in range(3):
            self.step()

    def step(self):
        self.opt.zero_grad(set_to_none=True)
        F.cross_entropy(self.net(self.x), self.y).backward()
        self.opt.step()


def blas_core():
    """The kernel core of the OpenBLAS loaded in this process (torch's BLAS), or "?"."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line}
        for path in sorted(paths):
            try:
                f = ctypes.CDLL(path).openblas_get_corename
            except (OSError, AttributeError):
                continue
            f.restype = ctypes.c_char_p
            return f().decode()
    except OSError:
        pass
    return "?"


_data = {}


def load(d):
    """Fashion-MNIST of folder d, standardised with the training pixels' mean and std
    (as rk_dataset_load; pretrain_only_torch.py uses the rounded 0.2860, 0.3530).
    The mean and std come from the pixels' histogram and the images are scaled in
    place in float32, so loading holds no float64 copy of the images: the epoch's
    peak RSS is PyTorch's, not that of temporaries of numpy."""
    if d not in _data:
        def idx(name, off):
            with gzip.open(os.path.join(d, name)) as f:
                return np.frombuffer(f.read(), dtype=np.uint8, offset=off)

        def standardised(raw, mean, std):
            x = raw.astype(np.float32)
            x *= np.float32(1.0 / 255.0)
            x -= np.float32(mean)
            x /= np.float32(std)
            return torch.from_numpy(x)

        raw = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784)
        v = np.arange(256) / 255.0
        h = np.bincount(raw.ravel(), minlength=256) / raw.size
        mean = float(h @ v)
        std = float(np.sqrt(h @ (v - mean) ** 2))
        _data[d] = (standardised(raw, mean, std),
                    torch.from_numpy(idx("train-labels-idx1-ubyte.gz", 8).astype(np.int64)),
                    standardised(idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784), mean, std),
                    idx("t10k-labels-idx1-ubyte.gz", 8).astype(np.int64))
    return _data[d]


def epoch(d, batch, seed, budget):
    """pretrain_only_torch.py's loop: one shuffled pass, Adam 1e-3, then test accuracy."""
    X, Y, Xte, yte = load(d)
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 2000), nn.ReLU(), nn.Linear(2000, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    lossf = nn.CrossEntropyLoss()
    steps = 0
    t0 = time.perf_counter()
    perm = torch.randperm(len(X))
    for i in range(0, len(X), batch):
        b = perm[i:i + batch]
        opt.zero_grad()
        lossf(net(X[b]), Y[b]).backward()
        opt.step()
        steps += 1
        if time.perf_counter() - t0 > budget:
            break
    t1 = time.perf_counter()
    with torch.no_grad():
        acc = (net(Xte).argmax(1).numpy() == yte).mean()
    return t1 - t0, acc, steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--flush-denormal", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fd = torch.set_flush_denormal(True) if args.flush_denormal else False
    env = " ".join(f"{k}={os.environ.get(k) or '-'}"
                   for k in ("OMP_WAIT_POLICY", "OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS"))
    print(f"ready torch={torch.__version__} threads={torch.get_num_threads()} flush_denormal={int(fd)} "
          f"blas_core={blas_core()} {env}", flush=True)
    held = {"run": None}

    def handle(words):
        run = held["run"]
        if words[0] == "setup":
            held["run"] = run = Run(words[1], int(words[2]), int(words[3]))
            return f"ok {run.n_params}"
        if words[0] == "steps" and run is not None:
            for _ in range(int(words[2]) if len(words) > 2 else 0):   # untimed, after the pause
                run.step()
            ts = []
            for _ in range(int(words[1])):
                t = time.perf_counter()
                run.step()
                ts.append(time.perf_counter() - t)
            return f"time {statistics.median(ts) * 1e3:.6f} {min(ts) * 1e3:.6f}"
        if words[0] == "epoch" and len(words) == 5:
            try:
                secs, acc, steps = epoch(words[1], int(words[2]), int(words[3]), float(words[4]))
                return f"epoch {secs:.6f} {acc:.6f} {steps}"
            except OSError as e:
                return f"error {e}"
        return None

    serve(handle)

if __name__ == "__main__":
    main()
