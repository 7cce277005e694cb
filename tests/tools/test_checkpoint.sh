#!/bin/sh
# test_checkpoint.sh — `ranklab ls`, `delta` and `extract` on checkpoints as
# Hugging Face stores them: a sharded directory (model.safetensors.index.json
# and two shards, BF16/F16/F32, config.json), the same tensors as single
# files, and copies broken one way each (make_ckpt.py writes them all, small:
# the suite stays fast). The large module (600 x 520) takes the streamed
# float32 randomized path, the small ones the exact one. Every bad input must
# give exit 1, one line on stderr naming the file, and no output directory.
# Speaks TAP; JSON is read with python3's json module only.
#
# Usage: test_checkpoint.sh MAKE_CKPT.py
# Environment (set by meson): RK_BUILD_ROOT.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"

# status_ok DESC STATUS: passes when STATUS is 0; stderr shown otherwise.
status_ok() { if [ "$2" -eq 0 ]; then pass "$1"; else fail "$1"; diag "$tmp/err"; fi; }
# run ARGS...: ranklab ARGS, stdout and stderr kept, the status in $rc.
run() { "$rk" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }

# bad DESC ERE OUTDIR: exit 1, exactly one line on stderr matching ERE, OUTDIR not created.
bad() {
    good=1
    [ "$rc" -eq 1 ] || good=0
    grep -Eq "^$2" "$tmp/err" || good=0
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || good=0
    [ ! -e "$3" ] || good=0
    if [ $good -eq 1 ]; then pass "$1"; else fail "$1"; echo "# exit status $rc; stderr:"; diag "$tmp/err"; fi
}

# py DESC CODE: python3 CODE with the last stdout on stdin; ok when it exits 0.
py() {
    if python3 -c "$2" <"$tmp/out" >"$tmp/py" 2>&1; then pass "$1"; else fail "$1"; fi
    [ -s "$tmp/py" ] && diag "$tmp/py"
    return 0
}

python3 "$1" "$tmp" || { echo "Bail out! fixtures could not be written"; exit 1; }
cd "$tmp" || exit 1
big=model.layers.0.self_attn.big_proj.weight

# ---- ls ----------------------------------------------------------------------
run ls ft
py "ls of a sharded directory: 9 tensors in 2 shards, each with its shard, the config's name" '
import sys
t = sys.stdin.read()
assert "9 tensors in 2 shards (model.safetensors.index.json)" in t, t
assert "config.json _name_or_path: test/tiny-llama-ft" in t
line = [l for l in t.splitlines() if l.startswith("model.layers.1.mlp.up_proj.weight")][0]
assert "F16" in line and "(40, 16)" in line and line.endswith("model-00002-of-00002.safetensors"), line'
mkdir single && cp ft.safetensors single/model.safetensors
run ls single
if [ "$rc" -eq 0 ] && grep -q "^single/model.safetensors: 9 tensors" "$tmp/out"; then pass "ls of a directory holding model.safetensors"; else fail "ls of a directory holding model.safetensors"; diag "$tmp/out" "$tmp/err"; fi

run inspect ft
bad "inspect of a model directory says it is a checkpoint, not an adapter" "ranklab inspect: ft: a model checkpoint, not a LoRA adapter" nodir

# ---- extract: sharded directories against single files -------------------------
run extract -r 2 base ft -o ad --json
[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ]; status_ok "extract -r 2 of two sharded directories: exit 0, nothing on stderr (small: no progress)" $?
cp "$tmp/out" "$tmp/sharded.json"
run extract -r 2 base.safetensors ft.safetensors -o ad1 --json
cp "$tmp/out" "$tmp/single.json"
python3 -c '
import json, sys
a, b = (json.load(open(p))["modules"] for p in sys.argv[1:3])
assert [m["name"] for m in a] == [m["name"] for m in b] and len(a) == 7, [m["name"] for m in a]
for x, y in zip(a, b):
    assert abs(x["relative_error"] - y["relative_error"]) <= 1e-12 * max(y["relative_error"], 1e-300), (x, y)
' "$tmp/sharded.json" "$tmp/single.json" >"$tmp/py" 2>&1
status_ok "extract: the sharded pair gives the modules and errors of the same tensors in single files" $?
cp "$tmp/sharded.json" "$tmp/out"
py "extract: the 600 x 520 module by the randomized SVD, the small ones exactly; 1-d norms skipped" '
import json, sys
d = json.load(sys.stdin)
m = {x["name"]: x for x in d["modules"]}
assert m["model.layers.0.self_attn.big_proj"]["method"] == "randomized"
assert m["model.layers.0.self_attn.q_proj"]["method"] == "exact"
assert sorted(s["name"] for s in d["skipped"]) == ["model.layers.0.input_layernorm.weight", "model.layers.1.input_layernorm.weight"]'
python3 -c '
import json, struct, sys
c = json.load(open("ad/adapter_config.json"))
assert c["base_model_name_or_path"] == "test/tiny-llama-base", c
assert sorted(c["target_modules"]) == ["big_proj", "down_proj", "q_proj", "up_proj"], c["target_modules"]
f = open("ad/adapter_model.safetensors", "rb"); h = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
k = "base_model.model.model.layers.0.self_attn.big_proj.lora_A.weight"
assert h[k]["shape"] == [2, 520] and h[k.replace("lora_A", "lora_B")]["shape"] == [600, 2], h[k]
' >"$tmp/py" 2>&1
status_ok "adapter: PEFT keys base_model.model.<module>.lora_A/B.weight, short target_modules, base_model_name_or_path from config.json" $?

run extract -r 2 base ft -o adx --json --exact --tensor $big
cp "$tmp/out" "$tmp/exact.json"
run extract -r 2 base ft -o adr --json --tensor $big
python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["modules"][0]; r = json.load(sys.stdin)["modules"][0]
assert e["method"] == "exact" and r["method"] == "randomized"
# the planted update has rank 3 and a clear gap: the top 2 are found to well within 1e-3
assert abs(r["relative_error"] - e["relative_error"]) <= 1e-3 * e["relative_error"], (r, e)
assert abs(r["written_error"] - r["frobenius_error"]) <= 1e-3 * r["frobenius_error"], r
' "$tmp/exact.json" <"$tmp/out" >"$tmp/py" 2>&1
status_ok "extract of the large module: float32 randomized error within 1e-3 (relative) of the exact SVD's" $?

run extract -r 2 base ft -o adm --json --modules '*.q_proj,*.down_proj'
py "--modules selects by glob on the module name; the others are not listed" '
import json, sys
d = json.load(sys.stdin)
assert sorted(m["name"] for m in d["modules"]) == ["model.layers.0.mlp.down_proj", "model.layers.0.self_attn.q_proj",
    "model.layers.1.mlp.down_proj", "model.layers.1.self_attn.q_proj"], d["modules"]
assert d["skipped"] == [], d["skipped"]'

# ---- delta --top K: the exact table from the top K and ||dW||_F ----------------
run delta base ft --tensor $big --top 4 --json --exact
cp "$tmp/out" "$tmp/dexact.json"
run delta base ft --tensor $big --top 4 --json
python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["tensors"][0]; r = json.load(sys.stdin)["tensors"][0]
assert r["method"] == "randomized" and e["method"] == "exact"
assert len(r["singular_values"]) == 4 and r["effective_rank"] is None
assert abs(r["frobenius_norm"] - e["frobenius_norm"]) <= 1e-6 * e["frobenius_norm"]
rows = {x["rank"]: x for x in e["error_table"]}
assert [x["rank"] for x in r["error_table"]] == [1, 2, 4], r["error_table"]
for x in r["error_table"]:
    y = rows[x["rank"]]
    assert abs(x["frobenius_error"] - y["frobenius_error"]) <= 1e-3 * y["frobenius_error"], (x, y)
    assert abs(x["energy_kept"] - y["energy_kept"]) <= 1e-4, (x, y)
' "$tmp/dexact.json" <"$tmp/out" >"$tmp/py" 2>&1
status_ok "delta --top 4 of the large module: error table r <= 4 from ||dW||_F^2 - sum sigma_i^2 matches the exact SVD" $?

# ---- different tensor sets and shapes: skipped with the reason, as for files ---
run delta base bad-shape --top 2
if [ "$rc" -eq 0 ] && grep -q "skipped         model.layers.1.self_attn.q_proj.weight: shapes differ: 24 x 16 in BASE, 16 x 24 in FINETUNED" "$tmp/out"; then pass "a tensor whose shape differs is skipped with the reason"; else fail "a tensor whose shape differs is skipped with the reason"; diag "$tmp/out" "$tmp/err"; fi
run delta base bad-fewer --top 2
if [ "$rc" -eq 0 ] && grep -q "skipped         model.layers.1.mlp.up_proj.weight: only in BASE" "$tmp/out"; then pass "a tensor only in BASE is skipped with the reason"; else fail "a tensor only in BASE is skipped with the reason"; diag "$tmp/out" "$tmp/err"; fi
run extract -r 2 base bad-shape -o nodir --tensor model.layers.1.self_attn.q_proj.weight
bad "extract --tensor whose shapes differ: exit 1 with the reason" "ranklab extract: base: tensor 'model.layers.1.self_attn.q_proj.weight': shapes differ" nodir

# ---- bad input: one line naming the file, exit 1, no output directory ----------
s2=model-00002-of-00002.safetensors
run extract -r 2 base bad-truncated -o nodir
bad "truncated shard" "ranklab extract: bad-truncated/$s2: tensors need [0-9]+ bytes of data, the file has [0-9]+" nodir
run extract -r 2 base bad-claims -o nodir
bad "a shard whose header claims more bytes than the file holds" "ranklab extract: bad-claims/$s2: tensors need [0-9]+ bytes" nodir
run extract -r 2 base bad-missing -o nodir
bad "the index names a missing shard" "ranklab extract: bad-missing/model.safetensors.index.json: shard \"model-00003-of-00003.safetensors\" named in the index does not exist" nodir
run extract -r 2 base bad-absent -o nodir
bad "the index lists a tensor absent from its shard" "ranklab extract: bad-absent/model-00001-of-00002.safetensors: tensor 'model.layers.0.self_attn.v_proj.weight' is listed for this shard" nodir
run extract -r 2 base bad-unlisted -o nodir
bad "a shard holds a tensor the index does not list" "ranklab extract: bad-unlisted/$s2: tensor 'model.layers.1.mlp.up_proj.weight' is not listed" nodir
run delta base bad-twice
bad "a tensor in two shards" "ranklab delta: bad-twice/$s2: tensor 'model.layers.0.self_attn.q_proj.weight' is in two shards" nodir
run extract -r 2 base bad-dotdot -o nodir
bad "a shard path with .. leaving the directory" "ranklab extract: bad-dotdot/model.safetensors.index.json: shard \"../outside.safetensors\" leaves the directory" nodir
run extract -r 2 base bad-symlink -o nodir
bad "a shard that is a symlink leading out of the directory" "ranklab extract: bad-symlink/model.safetensors.index.json: shard \"$s2\" is a link leading out" nodir
run extract -r 2 base bad-nan -o nodir
bad "NaN in a small tensor (exact path), named with its shard" "ranklab extract: bad-nan/$s2: tensor 'model.layers.1.mlp.down_proj.weight' holds NaN or Inf" nodir
run extract -r 2 base bad-nanbig -o nodir
bad "Inf in the large tensor (float32 path), named with its shard" "ranklab extract: bad-nanbig/model-00001-of-00002.safetensors: tensor '$big' holds NaN or Inf" nodir
run delta base bad-nanbig --top 2
bad "delta: Inf in the large tensor, named" "ranklab delta: bad-nanbig/model-00001-of-00002.safetensors: tensor '$big' holds NaN or Inf" nodir
run ls bad-noweights
bad "ls of a directory without weights" "ranklab ls: bad-noweights: a directory without model.safetensors.index.json" nodir
run ls bad-missing
bad "ls checks the index as strictly" "ranklab ls: bad-missing/model.safetensors.index.json: shard" nodir
run extract -r 2 base missing-dir -o nodir
bad "a checkpoint that does not exist" "ranklab extract: missing-dir: " nodir

# ---- a disk that fills while the adapter is written ----------------------------
# RLIMIT_FSIZE (ulimit -f, in KiB) makes every write beyond 1 KiB fail with
# EFBIG (SIGXFSZ ignored), as a full disk would: the adapter of this pair is ~30 KiB.
cp -r ad ad-before
(trap '' XFSZ; ulimit -f 1; exec "$rk" extract -r 2 base ft -o ad) >"$tmp/out" 2>"$tmp/err"; rc=$?
good=1; [ "$rc" -eq 1 ] || good=0; [ "$(wc -l <"$tmp/err")" -eq 1 ] || good=0
grep -q "^ranklab extract: ad: " "$tmp/err" || good=0
cmp -s ad/adapter_model.safetensors ad-before/adapter_model.safetensors || good=0
cmp -s ad/adapter_config.json ad-before/adapter_config.json || good=0
[ "$(ls ad | wc -l)" -eq 2 ] || good=0
status_ok "disk full while writing: exit 1 naming the folder; the old adapter survives, no temporary file left" $((1 - good))
(trap '' XFSZ; ulimit -f 1; exec "$rk" extract -r 2 base ft -o fresh) >"$tmp/out" 2>"$tmp/err"; rc=$?
bad "disk full while writing a new adapter: no partial output directory" "ranklab extract: fresh: " fresh

done_testing
