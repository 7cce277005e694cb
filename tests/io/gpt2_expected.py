#!/usr/bin/python3
"""gpt2_expected.py [SHARED_DIR] — singular values of the GPT-2 LoRA updates, by numpy.

Reads ../shared/fixtures/peft-gpt2 (the safetensors bytes parsed here with
struct + json, independently of ranklab), forms each ΔW = s·B·A densely in
float64 and writes its non-zero singular values (numpy.linalg.svd) to
tests/data/peft-gpt2-expected.json, which test_peft compares ranklab's
factored spectra against.
"""
import json
import os
import struct
import sys

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
shared = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "shared")
folder = os.path.join(shared, "fixtures", "peft-gpt2")
raw = open(os.path.join(folder, "adapter_model.safetensors"), "rb").read()
(n,) = struct.unpack("<Q", raw[:8])
header = json.loads(raw[8:8 + n])
config = json.load(open(os.path.join(folder, "adapter_config.json")))
scale = config["lora_alpha"] / config["r"]


def tensor(name):
    e = header[name]
    b, t = e["data_offsets"]
    return np.frombuffer(raw[8 + n + b:8 + n + t], dtype="<f4").reshape(e["shape"]).astype(np.float64)


out = {}
for key in sorted(header):
    if key.endswith(".lora_A.weight"):
        module = key[len("base_model.model."):-len(".lora_A.weight")]
        a = tensor(key)
        b = tensor(key.replace("lora_A", "lora_B"))
        s = np.linalg.svd(scale * b @ a, compute_uv=False)[: a.shape[0]]
        out[module] = [float(x) for x in s]
with open(os.path.join(here, "..", "data", "peft-gpt2-expected.json"), "w") as f:
    json.dump({"scale": scale, "singular_values": out}, f, indent=1, sort_keys=True)
    f.write("\n")
