#!/bin/sh
# test_intruders.sh — `ranklab intruders` against an independent numpy
# implementation (tests/tools/intruders_ref.py): every c_i and the counts on
# the structured cases (a planted rank-1 intruder at a large and a small
# scale, a rotation inside W0's top subspace, a random pair) and on layers
# trained on a small synthetic dataset (full fine-tune and a LoRA adapter);
# the mitigated outputs (.npy, safetensors model, re-factored adapter) against
# numpy's W'; the bad inputs of the command; --help against docs/tools.
# Speaks TAP. Needs /usr/bin/python3 with numpy (skipped otherwise).
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
src="$RK_SOURCE_ROOT"
ref="$src/tests/tools/intruders_ref.py"
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/tap.sh"

if ! [ -x "$py" ] || ! "$py" -c 'import numpy' 2>/dev/null; then
    skip_all "/usr/bin/python3 with numpy is needed for the reference implementation"
fi

# (run is tap.sh's: ranklab with stdout/stderr in $tmp/out, $tmp/err, status in $rc)
# expect DESC STATUS [ERE]: exit status, and a line of stderr matching ERE (looser than tap.sh's).
expect() {
    desc=$1 want=$2 re=${3:-}
    good=1
    [ "$rc" -eq "$want" ] || good=0
    if [ -n "$re" ]; then grep -Eq "$re" "$tmp/err" || good=0; fi
    if [ $good -eq 1 ]; then ok 0 "$desc"; else
        ok 1 "$desc"
        echo "# exit status $rc, wanted $want; stderr:"
        diag "$tmp/err"
    fi
}

# ref DESC ARGS...: the reference script; ok when it exits 0.
ref() {
    desc=$1
    shift
    "$py" "$ref" "$@" >"$tmp/py" 2>&1
    ok $? "$desc"
    [ -s "$tmp/py" ] && diag "$tmp/py"
    return 0
}

# json_is DESC EXPR: a Python expression over the last stdout parsed as J.
json_is() {
    if "$py" -c "import json,sys; J=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$tmp/out" 2>"$tmp/py"; then
        ok 0 "$1"
    else
        ok 1 "$1"
        diag "$tmp/py"
    fi
}

d="$tmp/m"
mkdir "$d"
"$py" "$ref" make "$d"

# ---- structured cases ----------------------------------------------------
run intruders "$d/w0.npy" "$d/planted_big.npy" --json
json_is "planted rank-1 update at scale 20: exactly one intruder, the top vector" \
    'J["modules"][0]["intruders"] == 1 and J["modules"][0]["max_cos"][0] < 0.01'
ref "planted, large scale: every c_i agrees with numpy" compare "$tmp/out" "$d/w0.npy" "$d/planted_big.npy"
run intruders "$d/w0.npy" "$d/planted_small.npy" --json
json_is "planted rank-1 update at scale 0.05: no intruder" 'J["modules"][0]["intruders"] == 0'
ref "planted, small scale: every c_i agrees with numpy" compare "$tmp/out" "$d/w0.npy" "$d/planted_small.npy"
run intruders "$d/w0.npy" "$d/rotated.npy" --json
json_is "rotation inside W0's top-3 subspace: no intruder, every c_i >= 1/sqrt(3)" \
    'J["modules"][0]["intruders"] == 0 and min(J["modules"][0]["max_cos"]) >= 0.577'
ref "rotation: every c_i agrees with numpy" compare "$tmp/out" "$d/w0.npy" "$d/rotated.npy"
run intruders "$d/rand0.npy" "$d/rand1.npy" --json --top 20 --eps 0.3
ref "random pair, K = 20, E = 0.3: c_i and count agree with numpy" compare "$tmp/out" "$d/rand0.npy" "$d/rand1.npy"

# ---- mitigation of two matrices -------------------------------------------
for lam in 1 0.5 0; do
    run intruders "$d/w0.npy" "$d/planted_big.npy" --scale $lam -o "$d/scaled_$lam.npy"
    expect "--scale $lam -o FILE.npy: exit 0" 0
    ref "--scale $lam: W' agrees with numpy's W_ft + (lambda - 1) sigma' u' v'^T" \
        scaled "$d/w0.npy" "$d/planted_big.npy" "$d/scaled_$lam.npy" $lam 10 0.5
done
"$py" -c '
import numpy as np, sys
s = np.linalg.svd(np.load(sys.argv[1]), compute_uv=False)
w = np.linalg.svd(np.load(sys.argv[2]), compute_uv=False)
# lambda = 0 removes sigma_1 = 20.0002 (the intruder); the rest stay
want = np.sort(np.append(w[1:], 0.0))[::-1]
sys.exit(0 if np.abs(s - want).max() <= 1e3 * np.finfo(float).eps * w[0] else 1)' \
    "$d/scaled_0.npy" "$d/planted_big.npy"
ok $? "lambda = 0: the singular values lose exactly the intruder's"

# ---- trained layers ---------------------------------------------------------
"$py" "$src/tests/tools/make_idx.py" "$tmp/data" --train 200 --test 100 --side 8 --seed 1 >/dev/null
t="--data $tmp/data --threads 1"
"$rk" train $t --hidden 32,16 --out "$tmp/base" >/dev/null 2>&1 &&
    "$rk" finetune --base "$tmp/base/model.safetensors" --full $t --out "$tmp/full" >/dev/null 2>&1 &&
    "$rk" finetune --base "$tmp/base/model.safetensors" --lora-rank 2 $t --out "$tmp/lora" >/dev/null 2>&1
base="$tmp/base/model.safetensors"
run intruders "$base" "$tmp/full/model.safetensors" --json --top 5
expect "trained net, full fine-tune: exit 0" 0
json_is "the three weights are tested, the biases skipped as not matrices" \
    '[m["name"] for m in J["modules"]] == ["linear1.weight", "linear2.weight", "linear3.weight"] and len(J["skipped"]) == 3'
ref "full fine-tune: c_i and counts agree with numpy" compare "$tmp/out" "$base" "$tmp/full/model.safetensors"
run intruders "$base" "$tmp/lora" --json --top 5
json_is "LoRA adapter folder: kind adapter, modules by name" \
    'J["kind"] == "adapter" and [m["name"] for m in J["modules"]] == ["linear1", "linear2", "linear3"]'
ref "LoRA adapter applied to BASE: c_i and counts agree with numpy" compare "$tmp/out" "$base" "$tmp/lora"
run intruders "$base" "$tmp/full/model.safetensors" --json
json_is "10 outputs with K = 10: not meaningful (intruders null, a reason)" \
    'J["modules"][2]["intruders"] is None and "basis" in J["modules"][2]["trivial"]'
run intruders "$base" "$tmp/full/model.safetensors"
grep -q "not meaningful" "$tmp/out"; ok $? "the text says so for that layer"

run intruders "$base" "$tmp/full/model.safetensors" --top 5 --scale 1 -o "$tmp/same.safetensors"
ref "full, lambda = 1: the written model is FINETUNED exactly" same "$tmp/same.safetensors" "$tmp/full/model.safetensors"
run intruders "$base" "$tmp/full/model.safetensors" --top 5 --scale 0.25 -o "$tmp/f25.safetensors"
ref "full, lambda = 0.25: every weight agrees with numpy to float32 rounding" \
    scaled "$base" "$tmp/full/model.safetensors" "$tmp/f25.safetensors" 0.25 5 0.5
for lam in 1 0; do
    run intruders "$base" "$tmp/lora" --top 5 --scale $lam -o "$tmp/lora_$lam"
    expect "LoRA, --scale $lam -o DIR: exit 0" 0
    ref "LoRA, lambda = $lam: the re-factored adapter reproduces numpy's W' up to the rank's tail and float32" \
        scaled "$base" "$tmp/lora" "$tmp/lora_$lam" $lam 5 0.5
done
run eval "$base" --adapter "$tmp/lora_0" --data "$tmp/data"
expect "the re-factored adapter loads in ranklab eval" 0

# ---- bad input ------------------------------------------------------------
for bad in "--top 0" "--top x" "--eps 0" "--eps 1.5" "--eps nan" "--scale -1 -o $tmp/x.npy" \
           "--scale nan -o $tmp/x.npy" "--scale 0.5" "-o $tmp/x.npy"; do
    # shellcheck disable=SC2086
    run intruders "$d/w0.npy" "$d/planted_big.npy" $bad
    expect "usage error: $bad" 2 "ranklab intruders: "
done
[ ! -e "$tmp/x.npy" ]; ok $? "nothing written on usage errors"
run intruders "$base" "$tmp/full/model.safetensors" --top 11 --scale 0.5 -o "$tmp/y.safetensors"
expect "K larger than a layer's min(m, n): exit 1 naming the tensor" 1 "linear3.weight is 10 x 16: --top 11 exceeds"
[ ! -e "$tmp/y.safetensors" ]; ok $? "... and nothing written"
run intruders "$d/w0.npy" "$d/w0.npy" --top 31
expect "K larger than min(m, n) of two matrices: exit 1" 1 "exceeds min"
"$py" -c 'import numpy as np, sys; np.save(sys.argv[1], np.zeros((30, 40)))' "$d/wide.npy"
run intruders "$d/w0.npy" "$d/wide.npy"
expect "two .npy files of different shapes: exit 1" 1 "differs"
"$py" - "$base" "$tmp/other.safetensors" <<'EOF'
import json, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = json.loads(b[8:8 + n])
data = b[8 + n:]
e = h["linear2.weight"]                       # (16, 32) → (32, 16): same bytes, other shape
e["shape"] = [e["shape"][1], e["shape"][0]]
hb = json.dumps(h).encode()
hb += b" " * (-len(hb) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hb)) + hb + data)
EOF
run intruders "$base" "$tmp/other.safetensors" --json --top 5
json_is "a tensor whose shape differs is listed as skipped, the others tested" \
    'any(s["name"] == "linear2.weight" and "shapes differ" in s["reason"] for s in J["skipped"]) and len(J["modules"]) == 2'
cp -r "$tmp/lora" "$tmp/lora9"
"$py" - "$tmp/lora9" <<'EOF'
import json, os, struct, sys
p = os.path.join(sys.argv[1], "adapter_model.safetensors")
b = open(p, "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = b[8:8 + n].replace(b"linear3", b"linear9")
h += b" " * (n - len(h))
open(p, "wb").write(b[:8] + h + b[8 + n:])
c = os.path.join(sys.argv[1], "adapter_config.json")
cfg = json.load(open(c))
cfg["target_modules"] = [m.replace("linear3", "linear9") for m in cfg["target_modules"]]
json.dump(cfg, open(c, "w"))
EOF
run intruders "$base" "$tmp/lora9" --scale 0.5 -o "$tmp/lora9_out"
expect "an adapter module missing from BASE: exit 1 naming it" 1 "no tensor 'linear9.weight'"
[ ! -e "$tmp/lora9_out" ]; ok $? "... and nothing written"
run intruders "$tmp/full/model.safetensors" "$tmp/lora" --tensor linear7
expect "--tensor naming no module: exit 1" 1 "no module 'linear7'"

# ---- the help text is the documented one ---------------------------------
help_in_doc "$src/docs/tools/intruders.md" "$rk" intruders --help
done_testing
