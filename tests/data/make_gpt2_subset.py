#!/usr/bin/env python3
"""Write tests/data/peft-gpt2-h0h11: two of the twelve modules of the real PEFT
GPT-2 adapter in ../shared/fixtures/peft-gpt2 (transformer.h.0 and h.11,
attn.c_attn, fan_in_fan_out: true) and its full tensor score.weight, byte for
byte, so the tests that need a real adapter run without the shared folder.

The safetensors file is sliced with the standard library only: the header is
JSON, each tensor's bytes are copied unchanged and laid out again from offset 0.
"""
import json
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared", "fixtures", "peft-gpt2")
dst = os.path.join(here, "peft-gpt2-h0h11")
keep = ("transformer.h.0.attn.c_attn", "transformer.h.11.attn.c_attn")

with open(os.path.join(src, "adapter_model.safetensors"), "rb") as f:
    blob = f.read()
(n,) = struct.unpack("<Q", blob[:8])
header = json.loads(blob[8:8 + n])
data = blob[8 + n:]

out_header, chunks, at = {}, [], 0
names = sorted(k for k in header if k != "__metadata__" and
               (any(f".{m}." in k for m in keep) or k.endswith("score.weight")))
for name in names:
    info = header[name]
    begin, end = info["data_offsets"]
    chunks.append(data[begin:end])
    out_header[name] = {"dtype": info["dtype"], "shape": info["shape"], "data_offsets": [at, at + end - begin]}
    at += end - begin
out_header["__metadata__"] = header.get("__metadata__", {"format": "pt"})
text = json.dumps(out_header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
os.makedirs(dst, exist_ok=True)
with open(os.path.join(dst, "adapter_model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))
with open(os.path.join(src, "adapter_config.json")) as f:
    cfg = f.read()
with open(os.path.join(dst, "adapter_config.json"), "w") as f:
    f.write(cfg)
print(f"{dst}: {len(names)} tensors, {at} bytes of data")
