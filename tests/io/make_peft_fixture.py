#!/usr/bin/python3
"""make_peft_fixture.py OUTDIR — write the small PEFT LoRA adapter fixture.

The adapter is built with numpy alone (the safetensors bytes are laid out by
hand: u64 header length, JSON header padded with spaces, little-endian data),
so ranklab's adapter reader is tested without ranklab's writer:

  layers.0.proj   A (4, 6), B (5, 4)   r = 4 (config r), alpha 8 -> scale 2
  layers.1.proj   A (2, 6), B (3, 2)   r = 2 via rank_pattern, alpha 3 via alpha_pattern -> 1.5
  classifier.weight (3, 5)             a full tensor (modules_to_save)

expected.json holds, per module, the singular values of s*B*A computed here
in float64 from the float32 factors, for the test to compare against.
"""
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    data = b""
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        raw = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "peft-small")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(20240607)
    mods = {"layers.0.proj": (4, 6, 5, 8.0), "layers.1.proj": (2, 6, 3, 3.0)}
    tensors, expected = {}, {}
    for name, (r, n_in, n_out, alpha) in mods.items():
        a = rng.standard_normal((r, n_in)).astype(np.float32)
        b = rng.standard_normal((n_out, r)).astype(np.float32)
        tensors[f"base_model.model.{name}.lora_A.weight"] = a
        tensors[f"base_model.model.{name}.lora_B.weight"] = b
        scale = alpha / r
        dw = scale * (b.astype(np.float64) @ a.astype(np.float64))
        s = np.linalg.svd(dw, compute_uv=False)[: min(r, n_in, n_out)]
        expected[name] = {"r": r, "in": n_in, "out": n_out, "scale": scale,
                          "singular_values": [float(x) for x in s]}
    tensors["base_model.model.classifier.weight"] = rng.standard_normal((3, 5)).astype(np.float32)
    write_safetensors(os.path.join(out, "adapter_model.safetensors"), tensors, {"format": "pt"})
    config = {
        "peft_type": "LORA", "task_type": None, "r": 4, "lora_alpha": 8,
        "target_modules": ["proj"], "use_rslora": False, "fan_in_fan_out": False,
        "bias": "none", "modules_to_save": ["classifier"],
        "rank_pattern": {"layers.1.proj": 2}, "alpha_pattern": {"1.proj": 3},
        "lora_dropout": 0.0, "base_model_name_or_path": None, "inference_mode": True,
    }
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
        f.write("\n")
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
