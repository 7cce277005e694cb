#!/usr/bin/python3
"""step_torch_peer.py — PyTorch's side of bench_step: one training step of the
784-1000-2000-10 MLP (Adam, cross-entropy), full or LoRA, timed step by step, so
that bench_step can interleave ranklab's steps and PyTorch's in one run.

bench_step starts this script with a pipe on stdin and stdout and speaks a line
protocol (one request, one reply):

  (start)                  -> "ready torch=V threads=T flush_denormal=0|1"
  "setup full|lora R B"    -> "ok PARAMS"   (a fresh net, seeded; LoRA: rank R,
                                            alpha = R, kaiming-uniform A, B = 0,
                                            only A and B train; batch B of
                                            N(0,1) inputs and random labels;
                                            a fresh Adam, lr 1e-3; 3 warm-up steps)
  "steps K"                -> "time MEDIAN_MS MIN_MS"  (K steps, each timed:
                                            zero_grad, forward, loss, backward, step)
  "quit"                   -> exits

usage: step_torch_peer.py --threads T [--flush-denormal]
"""
import argparse
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--flush-denormal", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fd = torch.set_flush_denormal(True) if args.flush_denormal else False
    print(f"ready torch={torch.__version__} threads={torch.get_num_threads()} flush_denormal={int(fd)}", flush=True)
    run = None
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        if words[0] == "setup":
            run = Run(words[1], int(words[2]), int(words[3]))
            print(f"ok {run.n_params}", flush=True)
        elif words[0] == "steps" and run is not None:
            ts = []
            for _ in range(int(words[1])):
                t = time.perf_counter()
                run.step()
                ts.append(time.perf_counter() - t)
            print(f"time {statistics.median(ts) * 1e3:.6f} {min(ts) * 1e3:.6f}", flush=True)
        else:
            print("error unknown request", flush=True)


if __name__ == "__main__":
    main()
