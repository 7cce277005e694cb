#!/bin/sh
# test_resize.sh — `ranklab resize` from the outside: on a real PEFT GPT-2
# adapter (fan_in_fan_out, a full tensor beside the adapters; two modules in
# tests/data, all twelve from ../shared when it is there), on the small PEFT
# fixture (rank_pattern, alpha_pattern, modules_to_save) and on an adapter of
# our own (rsLoRA, a zero update), every rule: the adapter written equals the
# truncation of the materialised s*B*A to float32 rounding, with the rank the
# rule picks on the dense spectrum (tests/tools/resize_check.c), and
# `ranklab inspect` reads the per-module ranks back. Then the bad inputs: each
# a clear error, nothing written. Speaks TAP.
#
# Usage: test_resize.sh RESIZE_CHECK
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT, RK_TEST_DATA, RK_SHARED_DIR.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
rcheck=$1
. "$RK_SOURCE_ROOT/tests/tap.sh"
scratch

# refused DESC STATUS ERE: the last run (tap.sh's run) exited STATUS, a line of its stderr
# matches ERE, and nothing was written to $tmp/none.
refused() {
    good=1
    [ "$rc" -eq "$2" ] || good=0
    grep -Eq -e "$3" "$tmp/err" || good=0
    [ -e "$tmp/none" ] && good=0
    if [ $good -eq 1 ]; then pass "$1"; else
        fail "$1"
        echo "# exit status $rc, wanted $2; stderr:"
        diag "$tmp/err"
    fi
}

# resized DESC IN RULE [MAX_RANK]: resize IN by RULE, then check the result against the dense truncation.
resized() {
    desc=$1 in=$2 rule=$3 max=${4:-}
    rm -rf "$tmp/o"
    if [ -n "$max" ]; then run resize "$in" --rank-rule "$rule" --max-rank "$max" -o "$tmp/o"
    else run resize "$in" --rank-rule "$rule" -o "$tmp/o"; fi
    if [ "$rc" -ne 0 ]; then fail "$desc: resize exits 0"; diag "$tmp/err"; return; fi
    if "$rcheck" check "$in" "$tmp/o" "$rule" $max >"$tmp/check" 2>&1; then
        pass "$desc: $rule${max:+ --max-rank $max} equals [s*B*A]_r' to float32 rounding"
    else
        fail "$desc: $rule${max:+ --max-rank $max} equals [s*B*A]_r' to float32 rounding"
    fi
    diag "$tmp/check"
}

# ---- help ------------------------------------------------------------------
run resize --help
if [ "$rc" -eq 0 ] && head -n 1 "$tmp/out" | grep -q "^usage: ranklab resize " && [ ! -s "$tmp/err" ]; then
    pass "resize --help prints its usage on stdout, exit 0"
else
    fail "resize --help prints its usage on stdout, exit 0"
fi
help_in_doc "$RK_SOURCE_ROOT/docs/tools/resize.md" "$rk" resize --help

# ---- the real GPT-2 adapter (two modules, in tests/data) ----------------------
gpt2="$RK_TEST_DATA/peft-gpt2-h0h11"
for rule in energy:0.9 sv_fro:0.9 sv_cumulative:0.9 sv_ratio:10 eps:5 gd fixed:3 budget:20000; do
    resized "GPT-2 h.0/h.11" "$gpt2" "$rule"
done
resized "GPT-2 h.0/h.11" "$gpt2" sv_cumulative:0.99 2
resized "GPT-2 h.0/h.11" "$gpt2" budget:40000 3

# text output and the config PEFT reads: r the most common rank, patterns for the others
run resize "$gpt2" --rank-rule energy:0.9 -o "$tmp/g"
if [ "$rc" -eq 0 ] && grep -q "8 -> 4" "$tmp/out" && grep -q "8 -> 2" "$tmp/out" &&
        python3 - "$tmp/g/adapter_config.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
# ties go to the smaller rank: r = 2, h.0 (rank 4, alpha 4) in the patterns
assert c["r"] == 2 and c["lora_alpha"] == 2, c
assert c["rank_pattern"] == {"transformer.h.0.attn.c_attn": 4}, c
assert c["alpha_pattern"] == {"transformer.h.0.attn.c_attn": 4}, c
assert c["fan_in_fan_out"] is True and c["base_model_name_or_path"] == "gpt2"
EOF
then pass "energy:0.9 on GPT-2: ranks 4 and 2, rank_pattern and alpha_pattern as PEFT writes them"
else fail "energy:0.9 on GPT-2: ranks 4 and 2, rank_pattern and alpha_pattern as PEFT writes them"; diag "$tmp/out" "$tmp/err"; fi
run inspect "$tmp/g" --json
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
r = {m["name"]: (m["r"], m["scale"]) for m in d["modules"]}
assert r == {"transformer.h.0.attn.c_attn": (4, 1.0), "transformer.h.11.attn.c_attn": (2, 1.0)}, r
assert [t["name"] for t in d["full_tensors"]] == ["base_model.model.score.weight"], d["full_tensors"]
' <"$tmp/out"; then pass "inspect reads the per-module ranks back (scale kept at 1, score.weight copied)"
else fail "inspect reads the per-module ranks back (scale kept at 1, score.weight copied)"; diag "$tmp/out" "$tmp/err"; fi

run resize "$gpt2" --rank-rule gd -o "$tmp/j" --json
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["rule"] == "gd" and d["max_rank"] is None and d["skipped"] == []
for m in d["modules"]:
    assert set(m) == {"name", "shape", "rank_before", "rank", "lora_alpha", "scale", "energy_kept",
                      "rel_err", "singular_values"}, m.keys()
    assert m["shape"] == [2304, 768] and m["rank_before"] == 8 and len(m["singular_values"]) == 8
    assert m["rank"] == 8  # rank 8 of min(m, n) = 768: median 0, every non-zero value stands above it
assert d["params_before"] == d["params_after"] == 2 * 8 * (2304 + 768)
' <"$tmp/out"; then pass "--json: the fields, and gd keeps every direction of an exactly rank-8 update"
else fail "--json: the fields, and gd keeps every direction of an exactly rank-8 update"; diag "$tmp/out" "$tmp/err"; fi

# ---- all twelve modules, when ../shared is there ----------------------------
full="${RK_SHARED_DIR:-/nonexistent}/fixtures/peft-gpt2"
if [ -d "$full" ]; then
    resized "GPT-2 (12 modules)" "$full" budget:150000
else
    skip "GPT-2 (12 modules)" "no $full"
fi

# ---- the small PEFT fixture and an adapter of our own -------------------------
small="$RK_TEST_DATA/peft-small"
resized "peft-small" "$small" energy:0.5
resized "peft-small" "$small" fixed:1
"$rcheck" make "$tmp/own" || { echo "Bail out! cannot write our own adapter"; exit 1; }
for rule in energy:0 energy:0.9 energy:1 sv_fro:0.8 sv_cumulative:0.7 sv_ratio:4 eps:0.5 gd fixed:2 \
            fixed:100 budget:300; do
    resized "own (rsLoRA, a zero update)" "$tmp/own" "$rule"
done
run resize "$tmp/own" --rank-rule sv_fro:0.95 -o "$tmp/o2" --json
if [ "$rc" -eq 0 ] && python3 -c '
import json, sys
d = json.load(sys.stdin)
assert [s["name"] for s in d["skipped"]] == ["head"], d["skipped"]
assert "zero" in d["skipped"][0]["reason"]
' <"$tmp/out" && python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))
assert c["use_rslora"] is False and sorted(c["target_modules"]) == ["q", "v"], c
' "$tmp/o2/adapter_config.json"; then pass "a zero update is left out and listed as skipped; the scale is written without rsLoRA"
else fail "a zero update is left out and listed as skipped; the scale is written without rsLoRA"; diag "$tmp/out" "$tmp/err"; fi

# ---- bad input: a clear error, nothing written --------------------------------
run resize "$gpt2" --rank-rule bogus:1 -o "$tmp/none"
refused "unknown rule: usage error naming it and the accepted forms" 2 "unknown rank rule 'bogus'.*fixed:R, energy:F"
run resize "$gpt2" --rank-rule energy -o "$tmp/none"
refused "missing parameter" 2 "energy needs a parameter"
run resize "$gpt2" --rank-rule sv_fro:lots -o "$tmp/none"
refused "non-numeric parameter" 2 "'lots' is not a number"
run resize "$gpt2" --rank-rule energy:1.1 -o "$tmp/none"
refused "F outside [0, 1]" 2 "energy wants F, a number in \[0, 1\]"
run resize "$gpt2" --rank-rule sv_ratio:0.9 -o "$tmp/none"
refused "X < 1" 2 "X, a number >= 1"
run resize "$gpt2" --rank-rule eps:-0.5 -o "$tmp/none"
refused "E < 0" 2 "E, a number >= 0"
run resize "$gpt2" --rank-rule energy:0.9 --max-rank 0 -o "$tmp/none"
refused "--max-rank 0" 2 "--max-rank wants an integer >= 1"
run resize "$gpt2" -o "$tmp/none"
refused "no --rank-rule" 2 "missing --rank-rule"
run resize "$gpt2" --rank-rule budget:3071 -o "$tmp/none"
refused "P below one rank-1 adapter of the smallest module" 1 "budget:3071 is less than one rank-1 adapter of the smallest module .*m \+ n = 3072"
mkdir -p "$tmp/skew"
cp "$small/adapter_model.safetensors" "$tmp/skew/"
python3 - "$small/adapter_model.safetensors" "$tmp/skew/adapter_model.safetensors" <<'EOF'
# lora_B of layers.0.proj claims 2 columns where lora_A has 4 rows: same bytes, another shape
import json, struct, sys
blob = open(sys.argv[1], "rb").read()
(n,) = struct.unpack("<Q", blob[:8])
h = json.loads(blob[8:8 + n])
key = [k for k in h if k.endswith("layers.0.proj.lora_B.weight")][0]
rows, cols = h[key]["shape"]
assert cols == 4
h[key]["shape"] = [rows * 2, 2]
text = json.dumps(h).encode()
text += b" " * (-len(text) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + blob[8 + n:])
EOF
cp "$small/adapter_config.json" "$tmp/skew/"
run resize "$tmp/skew" --rank-rule energy:0.9 -o "$tmp/none"
refused "A and B disagree on r" 1 "skew.*(lora_A|lora_B|rank)"
run resize "$tmp/own" --rank-rule budget:100000 --max-rank 0 -o "$tmp/none"
refused "--max-rank 0 with a budget" 2 "--max-rank"

done_testing
