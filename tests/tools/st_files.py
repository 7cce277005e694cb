"""st_files.py — safetensors files as the tests' Python checks read them, with
the format's own layout (u64 little-endian header length, JSON header, raw
little-endian data) and nothing of lib/io. The standard library only; read_np
imports numpy when it is called.

A check imports it from tests/tools: a script there directly, a shell test's
inline Python after sys.path.insert(0, "$RK_SOURCE_ROOT/tests/tools").
"""
import json
import struct

_FORMATS = {"F32": "f", "F64": "d"}


def read_raw(path):
    """{name: (dtype, shape, raw bytes)} for every tensor of the file (not __metadata__)."""
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        s, t = e["data_offsets"]
        out[name] = (e["dtype"], e["shape"], b[8 + n + s:8 + n + t])
    return out


def read(path):
    """{name: (dtype, shape, values)}: the values of each F32 or F64 tensor as a tuple of floats."""
    out = {}
    for name, (dtype, shape, raw) in read_raw(path).items():
        f = _FORMATS[dtype]
        out[name] = (dtype, shape, struct.unpack("<%d%s" % (len(raw) // struct.calcsize(f), f), raw))
    return out


def read_np(path, want=None):
    """{name: numpy array of the file's type (F32 or F64), in its shape}; with want="F32"
    (or "F64") every tensor must be of that type."""
    import numpy as np
    out = {}
    for name, (dtype, shape, raw) in read_raw(path).items():
        assert want is None or dtype == want, (name, dtype, want)
        out[name] = np.frombuffer(raw, dtype="<" + {"F32": "f4", "F64": "f8"}[dtype]).reshape(shape)
    return out
