#!/usr/bin/python3
"""make_corpus.py — write the seed corpora of the safetensors and adapter-config fuzzers.

Seeds are small valid files (every dtype, empty and scalar tensors, metadata)
and near-misses of each rule, so the fuzzer starts next to every check.
"""
import json
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
st_dir = os.path.join(here, "corpus", "safetensors")
cfg_dir = os.path.join(here, "corpus", "adapter_config")


def st_file(header, data=b"", n=None):
    text = json.dumps(header, separators=(",", ":")).encode() if not isinstance(header, bytes) else header
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text) if n is None else n) + text + data


def entry(dtype, shape, b, e):
    return {"dtype": dtype, "shape": shape, "data_offsets": [b, e]}


seeds = {
    "f32_matrix": st_file({"__metadata__": {"format": "pt"}, "w": entry("F32", [2, 3], 0, 24)},
                          struct.pack("<6f", 1, 2, 3, 4, 5, 6)),
    "all_dtypes": st_file({"a": entry("F64", [1], 0, 8), "b": entry("F16", [2], 8, 12),
                           "c": entry("BF16", [2], 12, 16), "d": entry("I64", [1], 16, 24),
                           "e": entry("I32", [1], 24, 28), "f": entry("I16", [1], 28, 30),
                           "g": entry("I8", [1], 30, 31), "h": entry("U8", [1], 31, 32),
                           "i": entry("BOOL", [2], 32, 34), "j": entry("F8_E4M3", [2], 34, 36),
                           "k": entry("U16", [1], 36, 38), "l": entry("F4", [2], 38, 39)},
                          bytes(range(39))),
    "empty_and_scalar": st_file({"e": entry("F32", [0, 4], 0, 0), "s": entry("F64", [], 0, 8)}, bytes(8)),
    "empty_header": st_file({}),
    "lora_pair": st_file({"base_model.model.l.lora_A.weight": entry("F32", [1, 2], 0, 8),
                          "base_model.model.l.lora_B.weight": entry("F32", [2, 1], 8, 16)}, bytes(16)),
    "three_d": st_file({"t": entry("F32", [1, 2, 2], 0, 16)}, bytes(16)),
    "hole": st_file({"a": entry("F32", [1], 0, 4), "b": entry("F32", [1], 8, 12)}, bytes(12)),
    "overlap": st_file({"a": entry("F32", [2], 0, 8), "b": entry("F32", [1], 4, 8)}, bytes(8)),
    "overflow": st_file({"a": entry("F32", [2**32, 2**32, 16], 0, 4)}, bytes(4)),
    "bad_length": st_file({"a": entry("F32", [2, 2], 0, 12)}, bytes(12)),
    "dup_key": st_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                       b'"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)),
    "bad_utf8": st_file(b'{"\xff":{}}'),
    "huge_n": st_file({}, n=100000001),
    "n_past_end": st_file({}, n=64),
    "meta_not_string": st_file({"__metadata__": {"k": 1}}),
    "trailing_bytes": st_file({"a": entry("F32", [1], 0, 4)}, bytes(6)),
}
os.makedirs(st_dir, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(st_dir, name + ".safetensors"), "wb") as f:
        f.write(data)

configs = {
    "gpt2": {"alpha_pattern": {}, "base_model_name_or_path": "gpt2", "bias": "none",
             "fan_in_fan_out": True, "inference_mode": True, "lora_alpha": 8, "lora_dropout": 0.0,
             "modules_to_save": None, "peft_type": "LORA", "r": 8, "rank_pattern": {},
             "target_modules": ["c_attn"], "task_type": "SEQ_CLS", "use_dora": False, "use_rslora": False},
    "patterns": {"peft_type": "LORA", "r": 4, "lora_alpha": 8, "use_rslora": True,
                 "target_modules": ["q_proj", "v_proj"], "rank_pattern": {"layers.0.q_proj": 2, "v_proj": 8},
                 "alpha_pattern": {"q_proj": 1.5}, "modules_to_save": ["classifier", "score"]},
    "regex_targets": {"peft_type": "LORA", "r": 2, "lora_alpha": 2, "target_modules": ".*\\.q_proj$"},
    "minimal": {"peft_type": "LORA", "r": 1, "lora_alpha": 1},
    "not_lora": {"peft_type": "IA3", "r": 1, "lora_alpha": 1},
    "dora": {"peft_type": "LORA", "r": 1, "lora_alpha": 1, "use_dora": True},
    "bad_types": {"peft_type": "LORA", "r": "8", "lora_alpha": "x", "bias": 3},
}
os.makedirs(cfg_dir, exist_ok=True)
for name, cfg in configs.items():
    with open(os.path.join(cfg_dir, name + ".json"), "w") as f:
        json.dump(cfg, f, indent=2)
with open(os.path.join(cfg_dir, "dup_key.json"), "w") as f:
    f.write('{"peft_type": "LORA", "r": 1, "r": 2, "lora_alpha": 1}')
with open(os.path.join(cfg_dir, "truncated.json"), "w") as f:
    f.write('{"peft_type": "LORA", "r": 1, "lora_al')
