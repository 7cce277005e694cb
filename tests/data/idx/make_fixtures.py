#!/usr/bin/python3
"""make_fixtures.py — write the small IDX fixtures of the test suite.

Run from anywhere: `python3 tests/data/idx/make_fixtures.py`. Uses only the
standard library, so the files do not depend on ranklab's reader. Every
value follows a formula the tests recompute on their own:

  u8-5x4x3.idx[.gz]   u8 (5, 4, 3), element k = (7k + 3) mod 256
  u8-5.idx[.gz]       u8 (5,), labels 3 0 9 1 3
  i8-2x3.idx          i8 (2, 3), element k = -3 + 2k     (big-endian like all)
  i16-2x3.idx         i16 (2, 3), element k = -1000 + 700k
  i32-2x3.idx         i32 (2, 3), element k = -100000 + 70001k
  f32-2x3.idx[.gz]    f32 (2, 3), element k = -1.5 + 0.25k
  f64-2x3.idx         f64 (2, 3), element k = (k - 2) / 3
  empty-0x4.idx       u8 (0, 4): no payload
  mini/               a tiny Fashion-MNIST-shaped dataset (gzip, like the real
                      one): train 20 images 4×4, labels k mod 10; test 10
                      images, labels 9 − k; pixel (k, p) = (37k + 11p) mod 256
                      for train and (53k + 5p + 1) mod 256 for test.

It also writes seeds for the IDX fuzzer into tests/fuzz/corpus/idx/.
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "idx")

TYPES = {"u8": (0x08, "B"), "i8": (0x09, "b"), "i16": (0x0B, "h"),
         "i32": (0x0C, "i"), "f32": (0x0D, "f"), "f64": (0x0E, "d")}


def idx_bytes(kind, dims, values):
    code, fmt = TYPES[kind]
    head = bytes([0, 0, code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)
    return head + struct.pack(">%d%s" % (len(values), fmt), *values)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    files = {
        "u8-5x4x3.idx": idx_bytes("u8", [5, 4, 3], [(7 * k + 3) % 256 for k in range(60)]),
        "u8-5.idx": idx_bytes("u8", [5], [3, 0, 9, 1, 3]),
        "i8-2x3.idx": idx_bytes("i8", [2, 3], [-3 + 2 * k for k in range(6)]),
        "i16-2x3.idx": idx_bytes("i16", [2, 3], [-1000 + 700 * k for k in range(6)]),
        "i32-2x3.idx": idx_bytes("i32", [2, 3], [-100000 + 70001 * k for k in range(6)]),
        "f32-2x3.idx": idx_bytes("f32", [2, 3], [-1.5 + 0.25 * k for k in range(6)]),
        "f64-2x3.idx": idx_bytes("f64", [2, 3], [(k - 2) / 3 for k in range(6)]),
        "empty-0x4.idx": idx_bytes("u8", [0, 4], []),
    }
    for name, data in files.items():
        write(os.path.join(HERE, name), data)
    for name in ("u8-5x4x3.idx", "u8-5.idx", "f32-2x3.idx"):
        write(os.path.join(HERE, name + ".gz"), gz(files[name]))

    train_x = [(37 * k + 11 * p) % 256 for k in range(20) for p in range(16)]
    test_x = [(53 * k + 5 * p + 1) % 256 for k in range(10) for p in range(16)]
    mini = {
        "train-images-idx3-ubyte.gz": idx_bytes("u8", [20, 4, 4], train_x),
        "train-labels-idx1-ubyte.gz": idx_bytes("u8", [20], [k % 10 for k in range(20)]),
        "t10k-images-idx3-ubyte.gz": idx_bytes("u8", [10, 4, 4], test_x),
        "t10k-labels-idx1-ubyte.gz": idx_bytes("u8", [10], [9 - k for k in range(10)]),
    }
    for name, data in mini.items():
        write(os.path.join(HERE, "mini", name), gz(data))

    seeds = dict(files)
    seeds["u8-5x4x3.idx.gz"] = gz(files["u8-5x4x3.idx"])
    seeds["f32-2x3.idx.gz"] = gz(files["f32-2x3.idx"])
    seeds["mini-train-images.gz"] = gz(mini["train-images-idx3-ubyte.gz"])
    seeds["two-members.gz"] = gz(files["u8-5.idx"][:6]) + gz(files["u8-5.idx"][6:])
    seeds["short-payload.idx"] = files["u8-5x4x3.idx"][:-1]
    seeds["long-payload.idx"] = files["u8-5.idx"] + b"\0"
    seeds["overflow-dims.idx"] = bytes([0, 0, 8, 3]) + b"\xff\xff\xff\xff" * 3
    # 'Z' + bytes: the harness gzips the bytes itself (see tests/fuzz/fuzz_idx.c)
    seeds["Z-u8-5x4x3"] = b"Z" + files["u8-5x4x3.idx"]
    seeds["Z-f64-2x3"] = b"Z" + files["f64-2x3.idx"]
    seeds["Z-long-payload"] = b"Z" + files["u8-5.idx"] + b"\0" * 40
    for name, data in seeds.items():
        write(os.path.join(CORPUS, name), data)


if __name__ == "__main__":
    main()
