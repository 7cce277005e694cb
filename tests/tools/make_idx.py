#!/usr/bin/env python3
"""make_idx.py — write a small synthetic IDX image dataset for the tests.

Usage: make_idx.py DIR [--train N] [--test N] [--side S] [--seed K]

Writes DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz in the MNIST
layout (big-endian IDX, u8 pixels) with 10 classes. Class c is a bright
bar whose position and direction depend on c, on a noisy background; the
noise and a random shift make some classes overlap, so the per-class
accuracies of a small net differ. Only the Python standard library is used.
"""
import gzip
import os
import random
import struct
import sys


def image(rng, c, side):
    px = [[rng.randint(0, 60) for _ in range(side)] for _ in range(side)]
    pos = (c % 5) * (side // 5) + rng.randint(0, 1)
    for i in range(side):
        r, col = (pos, i) if c < 5 else (i, pos)
        r, col = min(r, side - 1), min(col, side - 1)
        px[r][col] = 255
        if r + 1 < side and c < 5:
            px[r + 1][col] = 200
        if col + 1 < side and c >= 5:
            px[r][col + 1] = 200
    # a confusable blob: class c sometimes also lights class (c+1)'s bar faintly
    if rng.random() < 0.3 + 0.04 * c:
        p2 = ((c + 1) % 5) * (side // 5)
        for i in range(0, side, 2):
            px[min(p2, side - 1)][i] = max(px[min(p2, side - 1)][i], 180)
    return bytes(v for row in px for v in row)


def write(path, magic_type, dims, payload):
    head = struct.pack(">BBBB", 0, 0, magic_type, len(dims)) + b"".join(struct.pack(">I", d) for d in dims)
    with gzip.open(path, "wb") as f:
        f.write(head + payload)


def split(d, name, n, side, rng):
    labels = [i % 10 for i in range(n)]
    rng.shuffle(labels)
    imgs = b"".join(image(rng, c, side) for c in labels)
    write(f"{d}/{name}-images-idx3-ubyte.gz", 0x08, [n, side, side], imgs)
    write(f"{d}/{name}-labels-idx1-ubyte.gz", 0x08, [n], bytes(labels))


def main():
    args = sys.argv[1:]
    opts = {"--train": 200, "--test": 100, "--side": 8, "--seed": 1}
    d = None
    i = 0
    while i < len(args):
        if args[i] in opts:
            opts[args[i]] = int(args[i + 1])
            i += 2
        else:
            d = args[i]
            i += 1
    if d is None:
        sys.exit(__doc__)
    os.makedirs(d, exist_ok=True)
    rng = random.Random(opts["--seed"])
    split(d, "train", opts["--train"], opts["--side"], rng)
    split(d, "t10k", opts["--test"], opts["--side"], rng)


if __name__ == "__main__":
    main()
