#!/usr/bin/python3
"""st_check.py FILE — load the file test_safetensors writes with Python, as an extra check.

With the `safetensors` package: safetensors.numpy.load_file. Otherwise, with
torch: the reference layout rules applied by hand (u64 header length, JSON,
contiguous offsets from 0 to the end of the file) and torch.frombuffer.
Exits 0 when the tensors hold the values the test wrote, 1 when not, 77 when
neither package is installed.
"""
import json
import struct
import sys

path = sys.argv[1]
want = {"a": ([2, 3], [1.0, -2.5, 3.25, 1e-30, -0.0, 65504.0]), "b": ([2], [1.0 / 3.0, -1e300])}

try:
    from safetensors.numpy import load_file
    got = {k: (list(v.shape), [float(x) for x in v.ravel()]) for k, v in load_file(path).items()}
except ImportError:
    try:
        import torch
    except ImportError:
        sys.exit(77)
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    assert meta == {"format": "pt"}, meta
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    end = 0
    got = {}
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"]):
        b, t = e["data_offsets"]
        assert b == end, (name, b, end)
        end = t
        data = bytearray(raw[8 + n + b:8 + n + t])
        tensor = torch.frombuffer(data, dtype=dtypes[e["dtype"]]).reshape(e["shape"])
        got[name] = (list(tensor.shape), [float(x) for x in tensor.flatten()])
    assert 8 + n + end == len(raw), "buffer end is not file end"

for k, (shape, values) in want.items():
    if got.get(k) is None or got[k][0] != shape:
        print(f"tensor {k}: got {got.get(k)}, want shape {shape}")
        sys.exit(1)
    # float32 values compare after rounding to float32
    for g, w in zip(got[k][1], values):
        w32 = struct.unpack("<f", struct.pack("<f", w))[0] if k == "a" else w
        if g != w32:
            print(f"tensor {k}: {g} != {w32}")
            sys.exit(1)
print("python loaded", path)
