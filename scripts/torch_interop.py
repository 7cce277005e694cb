#!/usr/bin/python3
"""torch_interop.py MODEL.safetensors DATA_DIR TRAIN_JSON [ADAPTER_DIR]

Load a ranklab model.safetensors into the PyTorch version of the MLP with
load_state_dict(strict=True) (a small safetensors reader: Debian has no
python3-safetensors), optionally add a PEFT adapter s*B@A to the weights,
and print the test accuracy, to compare with `ranklab eval`. Run with
/usr/bin/python3 (Debian's torch and numpy).
"""
