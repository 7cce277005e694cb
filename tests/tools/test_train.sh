#!/bin/sh
# test_train.sh — `ranklab train`, `finetune` and `eval` end to end on a small
# synthetic IDX dataset (tests/tools/make_idx.py: 200 + 100 images of 8×8,
# 10 classes) with a small net (64 → 32 → 16 → 10): exit codes and messages,
# files written, JSON keys, repeatability with a seed and one BLAS thread,
# --class auto against eval's per-class table, frozen base weights under
# LoRA, eval --adapter against the fine-tune's own figures, the shapes and
# values of delta.safetensors, and the --help texts against docs/tools/.
# Speaks TAP; JSON and safetensors are read with python3's standard library.
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT.
set -u
src="$RK_SOURCE_ROOT"
. "$src/tests/tap.sh"
scratch
tool "$RK_BUILD_ROOT/tools/ranklab"
stderr_may=$TRAIN_PROGRESS   # train and finetune report their progress; nothing else may be there

if ! command -v python3 >/dev/null 2>&1; then
    skip_all "python3 is needed to make the dataset and read the JSON"
fi
python3 "$src/tests/tools/make_idx.py" "$tmp/data" --train 200 --test 100 --side 8 --seed 1
ok $? "make_idx.py writes the synthetic dataset"
data="$tmp/data"
small="--data $data --hidden 32,16 --threads 1"
ft="--data $data --threads 1"

# pyfiles DESC CODE [ARGS...]: python3 CODE ARGS (helpers J(path) and ST(path),
# st_files.read of tests/tools/st_files.py,
# preloaded); ok when it exits 0; its output becomes diagnostics. (It reads
# files, not the last run: a run no check judged must still run clean.)
pyfiles() {
    desc=$1 code=$2
    shift 2
    if python3 -c "
import json, sys
sys.dont_write_bytecode = True
sys.path.insert(0, '$src/tests/tools')
from st_files import read as ST
def J(p):
    return json.load(open(p))
$code" "$@" >"$tmp/py" 2>&1; then pass "$desc"; else fail "$desc"; fi
    [ -s "$tmp/py" ] && diag "$tmp/py"
    return 0
}

# ---- help texts and usage errors ------------------------------------------
for c in train finetune eval; do
    help_in_doc "$src/docs/tools/$c.md" "$rk" "$c" --help
done
run train $small
expect "train without -o: usage error" 2 "ranklab train: missing -o DIR"
run train --out "$tmp/x" --hidden 32,,16
expect "train --hidden with an empty width: usage error" 2 "ranklab train: --hidden"
run train --out "$tmp/x" --batch 0
expect "train --batch 0: usage error" 2 "ranklab train: --batch"
run finetune --base m --full --lora-rank 2 --out "$tmp/x"
expect "finetune with --full and --lora-rank: usage error" 2 "ranklab finetune: give exactly one of"
run finetune --base m --lora-rank 2 --init xavier --out "$tmp/x"
expect "finetune --init xavier: usage error" 2 "ranklab finetune: --init wants"
run finetune --base m --full --alpha 2 --out "$tmp/x"
expect "finetune --full --alpha: usage error" 2 "ranklab finetune: --alpha, --rslora and --layers go with"
run eval
expect "eval without a file: usage error" 2 "ranklab eval: missing FILE"
run train --out "$tmp/x" --data "$tmp/nowhere"
expect "train without the dataset: exit 1 naming the folder and the Debian package" 1 \
    "ranklab train: $tmp/nowhere: .*dataset-fashion-mnist"
printf 'not a model\n' >"$tmp/junk.safetensors"
run eval "$tmp/junk.safetensors" --data "$data"
expect "eval of a file that is not safetensors: exit 1 naming it" 1 "ranklab eval: $tmp/junk.safetensors: "

# ---- train --------------------------------------------------------------
run train $small --epochs 10 --lr 0.003 --seed 1 --out "$tmp/m" --json
expect "train --json: exit 0" 0
cp "$tmp/out" "$tmp/train.json"
cp "$tmp/err" "$tmp/train.err"
if [ -s "$tmp/m/model.safetensors" ] && cmp -s "$tmp/m/train.json" "$tmp/train.json"; then
    pass "train writes model.safetensors and train.json (= its --json output)"
else
    fail "train writes model.safetensors and train.json (= its --json output)"
fi
if [ "$(grep -c '^pretrain: step [0-9]*/200 loss ' "$tmp/train.err")" -eq 10 ]; then
    pass "progress: ten plain lines on stderr when it is not a terminal"
else
    fail "progress: ten plain lines on stderr when it is not a terminal"; diag "$tmp/train.err"
fi
pyfiles "train JSON: keys, 10 per-class accuracies, 2778 parameters, ftz recorded" '
d = J(sys.argv[1])
for k in ("accuracy", "per_class_accuracy", "trainable_params", "seconds", "loss", "steps", "seed", "ftz"):
    assert k in d, k
assert len(d["per_class_accuracy"]) == 10
assert d["trainable_params"] == 64*32 + 32 + 32*16 + 16 + 16*10 + 10, d["trainable_params"]
assert d["steps"] == 200 and d["hidden"] == [32, 16]
assert isinstance(d["ftz"], bool)
assert d["loss"]["last"] < d["loss"]["first"], d["loss"]
assert d["accuracy"] > 0.5, d["accuracy"]
print("accuracy", d["accuracy"], "loss", d["loss"]["first"], "->", d["loss"]["last"])
' "$tmp/train.json"
pyfiles "model.safetensors: PyTorch state_dict names and (Out, In) shapes, F32" '
t = ST(sys.argv[1])
want = {"linear1.weight": [32, 64], "linear1.bias": [32], "linear2.weight": [16, 32],
        "linear2.bias": [16], "linear3.weight": [10, 16], "linear3.bias": [10]}
assert {k: v[1] for k, v in t.items()} == want, t.keys()
assert all(v[0] == "F32" for v in t.values())
' "$tmp/m/model.safetensors"

run train $small --epochs 10 --lr 0.003 --seed 1 --out "$tmp/m2" --json
pyfiles "train twice with the same seed and one thread: identical losses, accuracy and weights" '
a, b = J(sys.argv[1]), J(sys.argv[2])
for k in ("loss", "accuracy", "per_class_accuracy", "steps"):
    assert a[k] == b[k], (k, a[k], b[k])
assert open(sys.argv[3], "rb").read() == open(sys.argv[4], "rb").read()
' "$tmp/train.json" "$tmp/out" "$tmp/m/model.safetensors" "$tmp/m2/model.safetensors"
run train $small --epochs 10 --lr 0.003 --seed 2 --out "$tmp/m3" --json
pyfiles "another seed: other losses" '
assert J(sys.argv[1])["loss"] != J(sys.argv[2])["loss"]
' "$tmp/train.json" "$tmp/out"

# ---- eval ----------------------------------------------------------------
run eval "$tmp/m/model.safetensors" --data "$data" --json
expect "eval --json: exit 0" 0
cp "$tmp/out" "$tmp/eval0.json"
pyfiles "eval of the trained model agrees with train's accuracy table" '
a, b = J(sys.argv[1]), J(sys.argv[2])
for k in ("accuracy", "per_class_accuracy", "per_class_correct", "per_class_total", "worst_class"):
    assert a[k] == b[k], (k, a[k], b[k])
' "$tmp/train.json" "$tmp/eval0.json"
run eval "$tmp/m/model.safetensors" --data "$data"
if ran_clean && grep -q '^  overall ' "$tmp/out" && grep -q '^  0 T-shirt/top ' "$tmp/out"; then
    pass "eval prints the per-class table with class names and the overall line"
else
    fail "eval prints the per-class table with class names and the overall line"; diag "$tmp/out"
fi

# ---- finetune: LoRA --------------------------------------------------------
cp "$tmp/m/model.safetensors" "$tmp/base_copy.safetensors"
run finetune --base "$tmp/m/model.safetensors" $ft --lora-rank 2 --class auto --seed 3 --out "$tmp/lora" --json
expect "finetune --lora-rank 2 --json: exit 0" 0
cp "$tmp/out" "$tmp/lora.json"
pyfiles "finetune JSON: keys, 340 trainable parameters, target class = eval's worst class" '
d, e = J(sys.argv[1]), J(sys.argv[2])
for k in ("accuracy", "per_class_accuracy", "trainable_params", "seconds", "target_class",
          "target_accuracy", "base_accuracy", "loss", "ftz"):
    assert k in d, k
assert d["trainable_params"] == 2 * (64 + 32) + 2 * (32 + 16) + 2 * (16 + 10), d["trainable_params"]
acc = e["per_class_accuracy"]
worst = min(range(10), key=lambda c: (acc[c], c))
assert d["target_class"] == worst, (d["target_class"], worst, acc)
assert d["base_per_class_accuracy"] == acc
print("worst class", worst, "accuracy", acc[worst], "->", d["target_accuracy"])
assert d["target_accuracy"] > acc[worst]
' "$tmp/lora.json" "$tmp/eval0.json"
pyfiles "adapter_config.json: PEFT LoRA config (r, lora_alpha, target_modules, use_rslora, task_type and base_model_name_or_path null)" '
c = J(sys.argv[1] + "/adapter_config.json")
assert c["peft_type"] == "LORA" and c["r"] == 2 and c["lora_alpha"] == 2
assert c["target_modules"] == ["linear1", "linear2", "linear3"], c["target_modules"]
assert c["use_rslora"] is False and c["task_type"] is None and c["base_model_name_or_path"] is None
t = ST(sys.argv[1] + "/adapter_model.safetensors")
assert t["base_model.model.linear2.lora_A.weight"][1] == [2, 32]
assert t["base_model.model.linear2.lora_B.weight"][1] == [16, 2]
' "$tmp/lora"
if cmp -s "$tmp/m/model.safetensors" "$tmp/base_copy.safetensors"; then
    pass "LoRA fine-tuning leaves the base model file unchanged"
else
    fail "LoRA fine-tuning leaves the base model file unchanged"
fi
run eval "$tmp/m/model.safetensors" --data "$data" --json
pyfiles "eval of the base before and after the LoRA fine-tune: identical" '
a, b = J(sys.argv[1]), J(sys.argv[2])
del a["seconds"], b["seconds"]
assert a == b
' "$tmp/eval0.json" "$tmp/out"
run eval "$tmp/m/model.safetensors" --adapter "$tmp/lora" --data "$data" --json
pyfiles "eval --adapter reproduces the fine-tune's accuracy and per-class table" '
a, b = J(sys.argv[1]), J(sys.argv[2])
for k in ("accuracy", "per_class_accuracy", "per_class_correct", "trainable_params"):
    assert a[k] == b[k], (k, a[k], b[k])
' "$tmp/lora.json" "$tmp/out"
pyfiles "LoRA delta.safetensors: F64 linear1..3.weight with the (Out, In) shapes" '
t = ST(sys.argv[1])
assert {k: (v[0], v[1]) for k, v in t.items()} == {"linear1.weight": ("F64", [32, 64]),
    "linear2.weight": ("F64", [16, 32]), "linear3.weight": ("F64", [10, 16])}, t.keys()
' "$tmp/lora/delta.safetensors"
run rank "$tmp/lora/delta.safetensors:linear2.weight" --json
pyfiles "ranklab rank of the LoRA delta of layer 2 is at most r = 2" '
d = json.load(sys.stdin)
print("rank", d["rank"])
assert 1 <= d["rank"] <= 2
' <"$tmp/out"

run finetune --base "$tmp/m/model.safetensors" $ft --lora-rank 2 --class auto --seed 3 --out "$tmp/lora2" --json
pyfiles "finetune twice with the same seed: identical losses and accuracy" '
a, b = J(sys.argv[1]), J(sys.argv[2])
for k in ("loss", "accuracy", "per_class_accuracy", "target_class"):
    assert a[k] == b[k], (k, a[k], b[k])
' "$tmp/lora.json" "$tmp/out"

run finetune --base "$tmp/m/model.safetensors" $ft --lora-rank 3 --alpha 1.5 --rslora --layers 1,3 \
    --init gaussian --class 4 --steps 20 --out "$tmp/sub" --json
pyfiles "--layers 1,3 --rslora --class 4: adapters and deltas for layers 1 and 3 only, s = alpha/sqrt(r)" '
d = J(sys.argv[1])
assert d["target_class"] == 4 and d["class_choice"] == "given" and d["steps"] == 20
assert d["layers"] == [1, 3] and abs(d["scale"] - 1.5 / 3 ** 0.5) < 1e-12
assert d["trainable_params"] == 3 * (64 + 32) + 3 * (16 + 10)
t = ST(sys.argv[2])
assert sorted(t) == ["linear1.weight", "linear3.weight"], sorted(t)
c = J(sys.argv[3])
assert c["target_modules"] == ["linear1", "linear3"] and c["use_rslora"] is True
' "$tmp/out" "$tmp/sub/delta.safetensors" "$tmp/sub/adapter_config.json"

run finetune --base "$tmp/m/model.safetensors" $ft --lora-rank 2 --init pissa --out "$tmp/pissa" --json
cp "$tmp/out" "$tmp/pissa.json"
run eval "$tmp/m/model.safetensors" --adapter "$tmp/pissa" --data "$data" --json
pyfiles "PiSSA: saved as a rank-4 adapter on the original weights; eval --adapter agrees within one example" '
a, b = J(sys.argv[1]), J(sys.argv[2])
assert J(sys.argv[3])["r"] == 4
assert abs(a["accuracy"] - b["accuracy"]) <= 0.0100001, (a["accuracy"], b["accuracy"])
' "$tmp/pissa.json" "$tmp/out" "$tmp/pissa/adapter_config.json"

# ---- finetune: full ----------------------------------------------------------
run finetune --base "$tmp/m/model.safetensors" $ft --full --seed 3 --out "$tmp/full" --json
expect "finetune --full --json: exit 0" 0
cp "$tmp/out" "$tmp/full.json"
pyfiles "full fine-tune: every parameter trains; delta = W_ft - W0 exactly, per layer" '
d = J(sys.argv[1])
assert d["mode"] == "full" and d["trainable_params"] == 2778
w0, w1, dl = ST(sys.argv[2]), ST(sys.argv[3]), ST(sys.argv[4])
assert sorted(dl) == ["linear1.weight", "linear2.weight", "linear3.weight"]
for k, (dt, shape, vals) in dl.items():
    assert dt == "F64" and shape == w0[k][1], (k, shape)
    diff = max(abs(v - (a - b)) for v, a, b in zip(vals, w1[k][2], w0[k][2]))
    assert diff == 0.0, (k, diff)
    assert max(abs(v) for v in vals) > 0, k
' "$tmp/full.json" "$tmp/m/model.safetensors" "$tmp/full/model.safetensors" "$tmp/full/delta.safetensors"
run eval "$tmp/full/model.safetensors" --data "$data" --json
pyfiles "eval of the fully fine-tuned model reproduces the fine-tune's accuracy" '
a, b = J(sys.argv[1]), J(sys.argv[2])
assert a["accuracy"] == b["accuracy"] and a["per_class_accuracy"] == b["per_class_accuracy"]
' "$tmp/full.json" "$tmp/out"
run ls "$tmp/full/delta.safetensors"
if ran_clean && grep -q '^linear1.weight  *F64  *(32, 64)' "$tmp/out"; then
    pass "ranklab ls lists the delta file"
else
    fail "ranklab ls lists the delta file"; diag "$tmp/out" "$tmp/err"
fi
run svd "$tmp/full/delta.safetensors:linear1.weight" --json
pyfiles "ranklab svd reads a delta tensor: 32 singular values" '
d = json.load(sys.stdin)
assert len(d["singular_values"]) == 32, len(d["singular_values"])
' <"$tmp/out"

# ---- model files that do not fit ---------------------------------------------
run finetune --base "$tmp/lora/delta.safetensors" $ft --full --out "$tmp/bad"
expect "finetune from a delta file (no biases): exit 1 naming the file and the tensor" 1 \
    "ranklab finetune: $tmp/lora/delta.safetensors: linear1.bias is missing"
run eval "$tmp/m/model.safetensors" --adapter "$tmp/nowhere" --data "$data"
expect "eval with a missing adapter: exit 1 naming it" 1 "ranklab eval: $tmp/nowhere: "
run train --data "$data" --hidden 32 --threads 1 --epochs 1 --out "$tmp/m1"
expect "train a net of another shape (hidden 32)" 0
run eval "$tmp/m1/model.safetensors" --adapter "$tmp/lora" --data "$data"
expect "an adapter for another net: exit 1 naming the module" 1 "ranklab eval: $tmp/lora: module linear2 "
run finetune --base "$tmp/m/model.safetensors" $ft --full --class 10 --out "$tmp/bad"
expect "finetune --class 10 with 10 classes: usage error" 2 "ranklab finetune: --class 10"

done_testing
