#!/bin/sh
# test_extract_rules.sh — `ranklab extract --rank-rule RULE [--max-rank R]`:
# on two small checkpoints with planted low-rank updates plus noise and one
# zero update (extract_rules.py make), every rule: each module's rank is the
# rule's on the spectrum numpy computes (the formulas written again in
# Python), singular_values are those values, the adapter holds the ranks as
# PEFT writes them (r the most common, rank_pattern / alpha_pattern for the
# others) and leaves the error sqrt(sum_{i>r} sigma_i^2) to float32 rounding
# (extract_rules.py check); `ranklab inspect` reads the ranks back. Then the
# bad inputs: each a clear error, nothing written. Speaks TAP.
#
# Usage: test_extract_rules.sh EXTRACT_RULES.py
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"
tool "$RK_BUILD_ROOT/tools/ranklab"
helper=$1
pyn=/usr/bin/python3
if ! $pyn -c 'import numpy' 2>/dev/null; then skip_all "numpy is not installed (Debian package python3-numpy)"; fi
$pyn "$helper" make "$tmp" || { fail "extract_rules.py make writes the checkpoints"; done_testing; }
base=$tmp/base.safetensors ft=$tmp/ft.safetensors

# ruled DESC RULE [MAX_RANK [ALPHA]]: extract by RULE, then check the JSON and the adapter.
ruled() {
    _rule=$2 _max=${3:-} _alpha=${4:-}
    rm -rf "$tmp/o"
    run extract "$base" "$ft" --rank-rule "$_rule" ${_max:+--max-rank "$_max"} ${_alpha:+--alpha "$_alpha"} \
        -o "$tmp/o" --json
    if ! ran_clean; then fail "$1: extract exits 0"; diag "$tmp/err"; return; fi
    $pyn "$helper" check "$tmp" "$tmp/o" "$_rule" "$_max" ${_alpha:+"$_alpha"} <"$tmp/out" >"$tmp/check" 2>&1
    ok $? "$1: $_rule${_max:+ --max-rank $_max}${_alpha:+ --alpha $_alpha}: the rule's ranks, the spectrum, the adapter"
    diag "$tmp/check"
}

# ---- every rule ----------------------------------------------------------------
ruled "planted ranks 3, 5, 2, 4 over noise" gd
ruled "the 90% energy rule keeps less than the planted rank" energy:0.9
ruled "sv_fro" sv_fro:0.9
ruled "sv_cumulative, whose sum reaches into the noise" sv_cumulative:0.9
ruled "sv_ratio" sv_ratio:10
ruled "eps" eps:0.5
ruled "eps below the noise" eps:0.001
ruled "energy 0 keeps one direction" energy:0
ruled "energy 1 keeps them all" energy:1
ruled "a budget across modules" budget:600
ruled "a budget with a cap" budget:900 2
ruled "a rule with a cap" gd 3
ruled "a rule with --alpha: one lora_alpha, scale alpha/r" sv_ratio:10 "" 8
ruled "fixed:R by its long name" fixed:3
ruled "fixed:R capped" fixed:6 2

# the planted ranks, for the record: gd recovers them and energy:0.9 does not
run extract "$base" "$ft" --rank-rule gd -o "$tmp/g" --json
py "gd: the planted ranks (3, 5, 2, 4); the zero update skipped" '
import json, sys
d = json.load(sys.stdin)
got = {m["name"].split(".", 2)[2]: m["rank"] for m in d["modules"]}
assert got == {"0.self_attn.q_proj": 3, "0.mlp.up_proj": 5, "1.self_attn.q_proj": 2, "1.mlp.down_proj": 4}, got
assert [(s["name"], s["reason"]) for s in d["skipped"]] == [("model.layers.1.zero_proj.weight", "dW is zero")], d["skipped"]
assert d["rank"] == 2 and d["rule"] == "gd" and d["max_rank"] is None, d
'
run inspect "$tmp/g" --json
py "inspect reads the per-module ranks of the adapter back (scale 1)" '
import json, sys
d = json.load(sys.stdin)
got = {m["name"].split(".", 2)[2]: (m["r"], m["scale"]) for m in d["modules"]}
assert got == {"0.self_attn.q_proj": (3, 1.0), "0.mlp.up_proj": (5, 1.0), "1.self_attn.q_proj": (2, 1.0),
               "1.mlp.down_proj": (4, 1.0)}, got
'
run extract "$base" "$ft" --rank-rule energy:0.9 -o "$tmp/e" --json
py "energy:0.9 keeps fewer than the planted ranks where the planted values are spread" '
import json, sys
d = json.load(sys.stdin)
got = {m["name"].split(".", 2)[2]: m["rank"] for m in d["modules"]}
planted = {"0.self_attn.q_proj": 3, "0.mlp.up_proj": 5, "1.self_attn.q_proj": 2, "1.mlp.down_proj": 4}
assert all(got[k] <= planted[k] for k in planted) and any(got[k] < planted[k] for k in planted), got
'
# --rank R and --rank-rule fixed:R write the same adapter
run extract "$base" "$ft" -r 2 -o "$tmp/f1" -q
ran_clean; ok $? "extract -r 2: exit 0"
run extract "$base" "$ft" --rank-rule fixed:2 -o "$tmp/f2" -q
ran_clean && cmp -s "$tmp/f1/adapter_model.safetensors" "$tmp/f2/adapter_model.safetensors" &&
    cmp -s "$tmp/f1/adapter_config.json" "$tmp/f2/adapter_config.json"
ok $? "--rank-rule fixed:2 writes the adapter --rank 2 writes, byte for byte"

# two .npy files: one module; a zero difference has no rank to keep
$pyn -c 'import numpy as np, sys
rng = np.random.default_rng(3)
b = rng.standard_normal((30, 20)); np.save(sys.argv[1] + "/b.npy", b)
np.save(sys.argv[1] + "/f.npy", b + rng.standard_normal((30, 2)) @ rng.standard_normal((2, 20))
        + 1e-3 * rng.standard_normal((30, 20)))' "$tmp"
run extract "$tmp/b.npy" "$tmp/f.npy" --rank-rule gd -o "$tmp/n" --json
py "two .npy files: gd finds the rank-2 difference under noise" '
import json, sys
d = json.load(sys.stdin)
assert [m["rank"] for m in d["modules"]] == [2] and len(d["modules"][0]["singular_values"]) == 20, d["modules"]
'
run extract "$tmp/b.npy" "$tmp/b.npy" --rank-rule energy:0.9 -o "$tmp/none"
expect "two equal .npy files under a rule: exit 1, nothing written" 1 "ranklab extract: .*: no module keeps a rank >= 1 under energy:0.9"
[ ! -e "$tmp/none" ]; ok $? "... and no adapter folder"

# ---- text output ---------------------------------------------------------------
run extract "$base" "$ft" --rank-rule budget:600 -o "$tmp/t"
ran_clean && grep -q '^rule              budget:600 ' "$tmp/out" && grep -q '^budget spent      ' "$tmp/out" &&
    grep -q '^rank              ' "$tmp/out" && grep -q '^  skipped         model.layers.1.zero_proj.weight: dW is zero' "$tmp/out"
ok $? "text: the rule, the budget spent, each module's rank, the zero update skipped"

# ---- bad input: a clear error, nothing written ----------------------------------
for bad in "nosuch:1|unknown rank rule .nosuch.; the accepted forms are fixed:R" "energy|energy" "energy:abc|energy" "energy:1.5|energy" "sv_ratio:0.5|sv_ratio" \
           "eps:-1|eps" "fixed:0|fixed" "budget:0|budget" "gd:3|gd"; do
    r=${bad%%|*} what=${bad#*|}
    run extract "$base" "$ft" --rank-rule "$r" -o "$tmp/none"
    expect "--rank-rule $r: exit 2" 2 "ranklab extract: --rank-rule: .*$what"
done
[ ! -e "$tmp/none" ]; ok $? "no bad rule left a folder"
run extract "$base" "$ft" --rank-rule gd --max-rank 0 -o "$tmp/none"
expect "--max-rank 0: exit 2" 2 "ranklab extract: --max-rank wants an integer >= 1"
run extract "$base" "$ft" -o "$tmp/none"
expect "neither --rank nor --rank-rule: exit 2" 2 "ranklab extract: missing --rank R .* or --rank-rule RULE"
run extract "$base" "$ft" --rank-rule budget:31 -o "$tmp/none"
expect "budget:P below one rank-1 adapter of the smallest module: exit 1, saying so" 1 \
    "ranklab extract: budget:31 is less than one rank-1 adapter of the smallest module \(model.layers.1.zero_proj.weight: m \+ n = 32 parameters\)"
run extract "$base" "$ft" --rank-rule budget:79 -o "$tmp/none"
expect "a budget that fits only the zero update: exit 1" 1 "ranklab extract: .*: no module keeps a rank >= 1 under budget:79; nothing written"
[ ! -e "$tmp/none" ]; ok $? "nothing written by any of them"

help_in_doc "$RK_SOURCE_ROOT/docs/tools/extract.md" "$rk" extract --help
done_testing
