#!/usr/bin/python3
"""torch_interop.py MODEL.safetensors DATA_DIR TRAIN_JSON [ADAPTER_DIR]

Load a ranklab model.safetensors into the PyTorch version of the MLP with
load_state_dict(strict=True) (a small safetensors reader: Debian has no
python3-safetensors), optionally add a PEFT adapter s*B@A to the weights,
and print the test accuracy, to compare with `ranklab eval`. Run with
/usr/bin/python3 (Debian's torch and numpy).
"""
import gzip, json, struct, sys
import numpy as np, torch, torch.nn as nn, torch.nn.functional as F

def load_st(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']; dt = {'F32': np.float32, 'F64': np.float64}[v['dtype']]
        out[k] = torch.from_numpy(np.frombuffer(b[8 + n + s:8 + n + e], dt).reshape(v['shape']).copy())
    return out

def idx(p):
    raw = gzip.open(p).read(); nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * nd).reshape(dims)

class Net(nn.Module):
    def __init__(self, s):
        super().__init__()
        self.linear1 = nn.Linear(s[0], s[1]); self.linear2 = nn.Linear(s[1], s[2]); self.linear3 = nn.Linear(s[2], s[3])
    def forward(self, x):
        return self.linear3(F.relu(self.linear2(F.relu(self.linear1(x)))))

model, data, trainjson = sys.argv[1:4]
adapter = sys.argv[4] if len(sys.argv) > 4 else None
sd = load_st(model)
sizes = [sd['linear1.weight'].shape[1], sd['linear1.weight'].shape[0], sd['linear2.weight'].shape[0], sd['linear3.weight'].shape[0]]
net = Net(sizes)
print('load_state_dict(strict=True):', net.load_state_dict(sd, strict=True))
if adapter:
    cfg = json.load(open(adapter + '/adapter_config.json')); ad = load_st(adapter + '/adapter_model.safetensors')
    s = cfg['lora_alpha'] / (cfg['r'] ** 0.5 if cfg['use_rslora'] else cfg['r'])
    with torch.no_grad():
        for m in cfg['target_modules']:
            A = ad[f'base_model.model.{m}.lora_A.weight']; B = ad[f'base_model.model.{m}.lora_B.weight']
            getattr(net, m).weight += s * B @ A
tj = json.load(open(trainjson))
x = idx(f'{data}/t10k-images-idx3-ubyte.gz').reshape(-1, sizes[0]).astype(np.float32) / 255
x = (x - np.float32(tj['data_mean'])) / np.float32(tj['data_std'])
y = idx(f'{data}/t10k-labels-idx1-ubyte.gz')
with torch.no_grad():
    pred = net(torch.from_numpy(x)).argmax(1).numpy()
print('PyTorch test accuracy', float((pred == y).mean()))
