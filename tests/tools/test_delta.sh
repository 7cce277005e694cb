#!/bin/sh
# test_delta.sh — the weight-delta commands from the outside: `ranklab delta`
# (spectrum, rank and error-vs-rank table of dW = FINETUNED - BASE) on a
# constructed pair whose difference has rank 3 exactly, and on two
# safetensors files with tensors that must be skipped; `ranklab extract`
# (the adapter read back by lib/io/peft.h reproduces W0 + [dW]_R); the scree
# plots of `svd --plot` and `delta --plot`, with and without gnuplot; bad
# inputs. Speaks TAP; JSON is read with python3's json module only.
#
# Usage: test_delta.sh DELTA_CHECK (tests/tools/delta_check.c: fixtures, adapter check)
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT, RK_TEST_DATA.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
dcheck=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"
tool "$rk"

is_png() { [ "$(head -c 8 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; }

"$dcheck" fixtures "$tmp" || { echo "Bail out! fixtures could not be written"; exit 1; }

# ---- help ------------------------------------------------------------------
for c in delta extract; do
    run "$c" --help
    if ran_clean && head -n 1 "$tmp/out" | grep -q "^usage: ranklab $c " && [ ! -s "$tmp/err" ]; then
        pass "$c --help prints its usage on stdout, exit 0"
    else
        fail "$c --help prints its usage on stdout, exit 0"
    fi
    help_in_doc "$RK_SOURCE_ROOT/docs/tools/$c.md" "$rk" "$c" --help
done
run help
if grep -q '^  delta ' "$tmp/out" && grep -q '^  extract ' "$tmp/out"; then
    pass "ranklab help lists delta and extract"
else
    fail "ranklab help lists delta and extract"
fi

# ---- delta of two .npy: dW = U*V has rank 3 exactly --------------------------
run delta "$tmp/base.npy" "$tmp/ft.npy" --ranks 0,1,2,3,4,8,13 --json
py "delta: rank 3; table from the spectrum; zero error from r = 3 on (eps-scaled)" '
import json, math, sys
o = json.load(sys.stdin)
assert o["skipped"] == [] and len(o["tensors"]) == 1
t = o["tensors"][0]
assert t["shape"] == [20, 13] and t["name"] is None
s = t["singular_values"]; m, n = 20, 13
assert len(s) == 13 and all(s[i] >= s[i + 1] for i in range(12))
assert t["rank"] == 3, t["rank"]
eps = 2.0 ** -52
scale = s[0] * max(m, n) * eps
assert abs(t["tol"] - scale) <= 1e-15 * scale
fro = math.sqrt(sum(x * x for x in s))
assert abs(t["frobenius_norm"] - fro) <= 1e-13 * fro
rows = {r["rank"]: r for r in t["error_table"]}
assert sorted(rows) == [0, 1, 2, 3, 4, 8, 13]
for r, row in rows.items():
    tail = math.sqrt(sum(x * x for x in s[r:]))
    assert row["params"] == r * (m + n)
    if r < 3:
        assert abs(row["frobenius_error"] - tail) <= 1e-12 * tail, (r, row)
        assert abs(row["relative_error"] - tail / fro) <= 1e-12
        assert abs(row["energy_kept"] + row["relative_error"] ** 2 - 1) <= 1e-12
        assert row["spectral_error"] == s[r]
    else:
        # dW - dW_r is rounding: below 10 * sigma_1 * max(m, n) * eps
        assert row["frobenius_error"] <= 10 * scale, (r, row["frobenius_error"], scale)
        assert row["energy_kept"] >= 1 - 1e-12
assert rows[0]["relative_error"] == 1.0 and rows[0]["energy_kept"] == 0.0
assert rows[13]["frobenius_error"] == 0.0
assert t["rank_for_energy"]["0.99"] <= 3
assert 1 <= t["stable_rank"] <= 3 and 1 <= t["effective_rank"] <= 3
print("rank", t["rank"], "error at r = 3:", rows[3]["frobenius_error"], "scale", scale)
'
run delta "$tmp/base.npy" "$tmp/ft.npy"
if ran_clean && grep -Eq '^rank +3 ' "$tmp/out" && grep -q '^   r    ||dW - dW_r||_F' "$tmp/out" \
        && grep -Eq '^ +13 +0 ' "$tmp/out"; then
    pass "delta text: rank 3, the error table with the default ranks up to min(m, n) = 13"
else
    fail "delta text: rank 3, the error table with the default ranks up to min(m, n) = 13"
    diag "$tmp/out"
fi
run delta "$tmp/base.npy" "$tmp/base.npy" --json
py "delta of a matrix with itself: dW = 0, rank 0, no error at any rank" '
import json, sys
t = json.load(sys.stdin)["tensors"][0]
assert t["rank"] == 0 and t["frobenius_norm"] == 0
assert all(r["frobenius_error"] == 0 and r["relative_error"] == 0 for r in t["error_table"])
'
run delta "$tmp/base.npy" "$tmp/ft.npy" --ranks 2,50 --json
py "--ranks above min(m, n) are left out of the table" '
import json, sys
t = json.load(sys.stdin)["tensors"][0]
assert [r["rank"] for r in t["error_table"]] == [2]
'

# ---- delta of two safetensors files -----------------------------------------
run delta "$tmp/base.safetensors" "$tmp/ft.safetensors" --json
py "safetensors: linear1 rank 2, linear2 rank 5; four tensors skipped with the reason" '
import json, sys
o = json.load(sys.stdin)
ts = {t["name"]: t for t in o["tensors"]}
assert sorted(ts) == ["linear1.weight", "linear2.weight"], sorted(ts)
assert ts["linear1.weight"]["rank"] == 2 and ts["linear1.weight"]["shape"] == [16, 12]
assert ts["linear2.weight"]["rank"] == 5 and ts["linear2.weight"]["shape"] == [8, 16]
sk = {s["name"]: s["reason"] for s in o["skipped"]}
assert sorted(sk) == ["linear1.bias", "only_base.weight", "only_ft.weight", "shape.weight"], sk
assert sk["only_base.weight"] == "only in BASE"
assert sk["only_ft.weight"] == "only in FINETUNED"
assert sk["shape.weight"].startswith("shapes differ: 5 x 6 in BASE, 6 x 5 in FINETUNED"), sk
assert sk["linear1.bias"].startswith("not a matrix"), sk
'
run delta "$tmp/base.safetensors" "$tmp/ft.safetensors"
if ran_clean && grep -q '^tensors           2 compared, 4 skipped' "$tmp/out" \
        && grep -q '^  skipped         shape.weight: shapes differ' "$tmp/out"; then
    pass "safetensors text: 2 compared, 4 skipped, each with its reason"
else
    fail "safetensors text: 2 compared, 4 skipped, each with its reason"
    diag "$tmp/out"
fi
run delta "$tmp/base.safetensors" "$tmp/ft.safetensors" --tensor linear2.weight --json
py "--tensor selects one tensor" '
import json, sys
o = json.load(sys.stdin)
assert [t["name"] for t in o["tensors"]] == ["linear2.weight"] and o["skipped"] == []
'
run delta "$tmp/base.safetensors" "$tmp/ft.safetensors" --tensor shape.weight
expect "--tensor with different shapes: exit 1 with the reason" 1 "ranklab delta: .*base.safetensors: tensor 'shape.weight': shapes differ"
run delta "$tmp/base.safetensors" "$tmp/ft.safetensors" --tensor nothere
expect "--tensor that is in neither file: exit 1" 1 "ranklab delta: .*: no tensor 'nothere' in either file"
run delta "$tmp/base.safetensors:linear1.weight" "$tmp/ft.safetensors:linear1.weight" --json
py "FILE.safetensors:TENSOR specs compare one pair of matrices" '
import json, sys
assert json.load(sys.stdin)["tensors"][0]["rank"] == 2
'

# ---- delta: bad inputs -------------------------------------------------------
run delta "$tmp/base.npy" "$tmp/wide.npy"
expect "delta with different shapes: exit 1 naming both" 1 "ranklab delta: $tmp/wide.npy: shape 20 x 14 differs from $tmp/base.npy's 20 x 13"
run delta "$tmp/base.npy" "$tmp/missing.npy"
expect "delta of a missing file: exit 1 naming it" 1 "ranklab delta: $tmp/missing.npy: "
run delta "$tmp/base.npy" "$tmp/ft.safetensors"
expect "delta of a .npy and a safetensors file: exit 1" 1 "ranklab delta: "
run delta "$tmp/base.npy"
expect "delta with one file: exit 2" 2 "ranklab delta: missing FINETUNED"
run delta "$tmp/base.npy" "$tmp/ft.npy" --ranks 1,-2
expect "delta --ranks with a negative rank: exit 2" 2 "ranklab delta: --ranks: a rank must be >= 0, not -2"
run delta "$tmp/base.npy" "$tmp/ft.npy" --ranks 1,,2
expect "delta --ranks with an empty item: exit 2" 2 "ranklab delta: --ranks wants integers"
run delta "$tmp/base.npy" "$tmp/ft.npy" --tensor x
expect "delta --tensor with .npy files: exit 2" 2 "ranklab delta: --tensor applies to two checkpoints"
run delta "$tmp/base.npy" "$tmp/ft.npy" --plot - --json
expect "delta --plot - with --json: exit 2" 2 "ranklab delta: --plot - and --json"

# ---- extract -------------------------------------------------------------------
run extract --rank 2 "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/ad2" --json
py "extract -r 2 of .npy: module named after the file, errors from the spectrum" '
import json, sys
o = json.load(sys.stdin)
assert o["rank"] == 2 and o["lora_alpha"] == 2 and o["scale"] == 1
(m,) = o["modules"]
assert m["name"] == "ft" and m["shape"] == [20, 13] and m["params"] == 2 * 33
assert abs(m["written_error"] - m["frobenius_error"]) <= 1e-5 * m["frobenius_norm"]
'
cp "$tmp/out" "$tmp/extract.json"
run delta "$tmp/base.npy" "$tmp/ft.npy" --ranks 2 --json
cat "$tmp/extract.json" >>"$tmp/out"
py "extract leaves the error delta reports at the same rank" '
import json, sys
d, e = [json.loads(l) for l in sys.stdin.read().splitlines()]
row = d["tensors"][0]["error_table"][0]
mod = e["modules"][0]
assert row["rank"] == 2
# the same spectrum, from a values-only and a thin SVD: equal to rounding
assert abs(row["frobenius_error"] - mod["frobenius_error"]) <= 1e-12 * mod["frobenius_norm"]
assert abs(row["relative_error"] - mod["relative_error"]) <= 1e-12
'
"$dcheck" check "$tmp/ad2" "$tmp/base.npy" "$tmp/ft.npy" 2 >"$tmp/out" 2>&1
ok $? "extract -r 2: W0 + s*B*A read by lib/io/peft.h equals W0 + [dW]_2 (float32 eps-scaled)"
diag "$tmp/out"
run extract -r 3 "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/ad3" --alpha 12 --module fc1
if ran_clean && grep -q '^module            fc1' "$tmp/out"; then pass "extract --module names the module"; else fail "extract --module names the module"; diag "$tmp/err"; fi
"$dcheck" check "$tmp/ad3" "$tmp/base.npy" "$tmp/ft.npy" 3 >"$tmp/out" 2>&1
ok $? "extract -r 3 --alpha 12 (scale 4): W0 + s*B*A equals W0 + dW, the whole rank-3 update"
diag "$tmp/out"
run inspect --json "$tmp/ad3"
cat "$tmp/out" >"$tmp/inspect.json"
run delta "$tmp/base.npy" "$tmp/ft.npy" --json
cat "$tmp/inspect.json" >>"$tmp/out"
py "ranklab inspect reads the extracted adapter: r 3, alpha 12, scale 4, the top 3 sigma of dW" '
import json, sys
d, i = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert i["r"] == 3 and i["lora_alpha"] == 12
(m,) = i["modules"]
assert m["name"] == "fc1" and m["shape"] == [20, 13] and m["scale"] == 4
s = d["tensors"][0]["singular_values"]
# float32 factors: sigma agrees to float32 rounding
assert all(abs(a - b) <= 1e-5 * s[0] for a, b in zip(m["singular_values"], s[:3])), (m["singular_values"], s[:3])
'

run extract -r 2 "$tmp/base.safetensors" "$tmp/ft.safetensors" -o "$tmp/adst" --json
py "extract of safetensors: modules linear1 and linear2, the others skipped" '
import json, sys
o = json.load(sys.stdin)
assert [m["name"] for m in o["modules"]] == ["linear1", "linear2"], o["modules"]
assert [m["tensor"] for m in o["modules"]] == ["linear1.weight", "linear2.weight"]
assert len(o["skipped"]) == 4
l1 = o["modules"][0]
assert l1["frobenius_error"] <= 10 * l1["frobenius_norm"] * 16 * 2.0 ** -52  # rank-2 update, R = 2
'
bad=0
for t in linear1.weight linear2.weight; do
    "$dcheck" check "$tmp/adst" "$tmp/base.safetensors" "$tmp/ft.safetensors" 2 $t >>"$tmp/chk" 2>&1 || bad=1
done
ok $bad "extract of safetensors: each module reproduces W0 + [dW]_2"
diag "$tmp/chk"
run extract -r 10 "$tmp/base.safetensors" "$tmp/ft.safetensors" -o "$tmp/ad10" --json
py "extract -r 10: linear2 (8 x 16) is skipped, linear1 (16 x 12) extracted" '
import json, sys
o = json.load(sys.stdin)
assert [m["name"] for m in o["modules"]] == ["linear1"]
sk = {s["name"]: s["reason"] for s in o["skipped"]}
assert sk["linear2.weight"] == "min(m, n) = 8 of 8 x 16 is less than R = 10", sk
'

# ---- extract: bad inputs -----------------------------------------------------
run extract -r 14 "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/bad"
expect "extract R > min(m, n): exit 1" 1 "ranklab extract: $tmp/ft.npy: R = 14 is more than min\\(m, n\\) = 13"
[ ! -e "$tmp/bad" ]; ok $? "extract R > min(m, n) writes nothing"
run extract -r 20 "$tmp/base.safetensors" "$tmp/ft.safetensors" -o "$tmp/bad"
expect "extract R above every tensor's min(m, n): exit 1" 1 "ranklab extract: .*no tensor has min\\(m, n\\) >= R = 20"
run extract -r -1 "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/bad"
expect "extract R < 0: exit 2" 2 "ranklab extract: --rank must be >= 1, not -1"
run extract -r 0 "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/bad"
expect "extract R = 0: exit 2" 2 "ranklab extract: --rank must be >= 1, not 0"
run extract -r 2 "$tmp/base.npy" "$tmp/ft.npy"
expect "extract without -o: exit 2" 2 "ranklab extract: missing -o"
run extract "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/bad"
expect "extract without --rank: exit 2" 2 "ranklab extract: missing --rank"
run extract -r 2 "$tmp/base.npy" "$tmp/wide.npy" -o "$tmp/bad"
expect "extract with different shapes: exit 1" 1 "ranklab extract: $tmp/wide.npy: shape 20 x 14 differs"
run extract -r 2 "$tmp/missing.npy" "$tmp/ft.npy" -o "$tmp/bad"
expect "extract of a missing file: exit 1" 1 "ranklab extract: $tmp/missing.npy: "
run extract -r 2 "$tmp/base.npy" "$tmp/ft.npy" -o "$tmp/bad" --alpha 0
expect "extract --alpha 0: exit 2" 2 "ranklab extract: --alpha wants a number > 0"

# ---- the randomized SVD when only the top K are wanted ------------------------
run svd "$tmp/bigft.npy" --top 8 --json
cp "$tmp/out" "$tmp/rnd.json"
run svd "$tmp/bigft.npy" --top 8 --exact --json
cat "$tmp/rnd.json" >>"$tmp/out"
py "svd --top 8 of 600 x 520: randomized; the 4 values above the gap as the dense SVD's (1e-10), the rest below them; figures needing all values null" '
import json, sys
e, r = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert e["method"] == "exact" and r["method"] == "randomized" and r["top"] == 8
s, t = e["singular_values"], r["singular_values"]
assert len(t) == 8 and len(s) == 520
# sigma_1..4 (the rank-4 update) stand far above the Gaussian bulk: the sketch finds them
assert all(abs(a - b) <= 1e-10 * s[0] for a, b in zip(s[:4], t[:4])), (s[:4], t[:4])
# inside the bulk the randomized values are Ritz values: at most the true ones, and close
assert all(b <= a * (1 + 1e-12) and b >= 0.9 * a for a, b in zip(s[4:8], t[4:8])), (s[4:8], t[4:8])
assert r["rank"] is None and r["rank_at_least"] == 8      # full rank: not known from 8 values
assert r["effective_rank"] is None and r["nuclear_norm"] is None and r["condition_number"] is None
assert abs(r["frobenius_norm"] - e["frobenius_norm"]) <= 1e-12 * e["frobenius_norm"]
assert abs(r["stable_rank"] - e["stable_rank"]) <= 1e-9 * e["stable_rank"]
assert all(abs(a - b) <= 1e-10 for a, b in zip(e["cumulative_energy"][:4], r["cumulative_energy"][:4]))
assert all(b <= a + 1e-12 for a, b in zip(e["cumulative_energy"], r["cumulative_energy"]))
'
run svd "$tmp/bigft.npy" --top 8
grep -q '^method            randomized SVD (Halko–Martinsson–Tropp), top 8 of min(m,n) = 520; --exact to force the full SVD$' "$tmp/out"
ok $? "svd --top 8 says it used the randomized SVD and how to avoid it"
run svd "$tmp/bigft.npy" --top 100
! grep -q randomized "$tmp/out" && [ "$rc" -eq 0 ]
ok $? "svd --top 100 (> min(m, n)/8): the dense SVD"
run approx "$tmp/bigft.npy" -k 4 --json
cp "$tmp/out" "$tmp/rnd.json"
run approx "$tmp/bigft.npy" -k 4 --json --exact
cat "$tmp/rnd.json" >>"$tmp/out"
py "approx -k 4: randomized error formed from A_k agrees with sqrt(sum_{i>4} sigma_i^2); spectral_error null" '
import json, sys
e, r = [json.loads(l) for l in sys.stdin.read().splitlines()]
assert e["method"] == "exact" and r["method"] == "randomized"
assert r["spectral_error"] is None
assert abs(r["frobenius_error"] - e["frobenius_error"]) <= 1e-8 * e["frobenius_error"], (r, e)
assert abs(r["energy_kept"] - e["energy_kept"]) <= 1e-12
'
run delta "$tmp/bigbase.npy" "$tmp/bigft.npy" --json --ranks 4
py "delta of the 600 x 520 pair: rank 4 (delta always uses the dense SVD)" '
import json, sys
t = json.load(sys.stdin)["tensors"][0]
assert t["rank"] == 4 and len(t["singular_values"]) == 520
'
run extract -r 4 "$tmp/bigbase.npy" "$tmp/bigft.npy" -o "$tmp/adbig" --json
py "extract -r 4 of the 600 x 520 pair: randomized, error at rounding level" '
import json, sys
(m,) = json.load(sys.stdin)["modules"]
assert m["method"] == "randomized"
assert m["frobenius_error"] <= 1e-10 * m["frobenius_norm"], m
'
"$dcheck" check "$tmp/adbig" "$tmp/bigbase.npy" "$tmp/bigft.npy" 4 >"$tmp/out" 2>&1
ok $? "extract (randomized): W0 + s*B*A equals W0 + [dW]_4 of the dense SVD"
diag "$tmp/out"
run extract -r 4 "$tmp/bigbase.npy" "$tmp/bigft.npy" -o "$tmp/adbig2" --exact --json
py "extract --exact: the dense SVD" 'import json, sys; assert json.load(sys.stdin)["modules"][0]["method"] == "exact"'

# ---- plots -------------------------------------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
    run svd "$tmp/ft.npy" --plot "$tmp/scree.png"
    is_png "$tmp/scree.png" && ran_clean && [ -s "$tmp/scree.dat" ] && [ -s "$tmp/scree.gp" ]
    ok $? "svd --plot: a PNG (signature), its .dat and .gp beside it"
    grep -q '^plot  *.*scree.png (data .*scree.dat' "$tmp/out"; ok $? "svd --plot names the files it wrote"
    run svd "$tmp/ft.npy" --plot "$tmp/scree.img" --format svg
    ran_clean && grep -q '<svg' "$tmp/scree.img"; ok $? "svd --plot --format svg writes SVG"
    run svd "$tmp/ft.npy" --plot - --top 0
    ran_clean && grep -q 'singular value' "$tmp/out"; ok $? "svd --plot - draws in the terminal"
    run delta "$tmp/base.npy" "$tmp/ft.npy" --plot "$tmp/dscree.png" --json
    is_png "$tmp/dscree.png" && ran_clean && [ -s "$tmp/dscree.dat" ]
    ok $? "delta --plot: a PNG and its data"
    py "delta --plot with --json: stdout is still one JSON object" 'import json, sys; assert json.load(sys.stdin)["plot"]'
    run delta "$tmp/base.safetensors" "$tmp/ft.safetensors" --plot "$tmp/two.svg"
    ran_clean && grep -q '<svg' "$tmp/two.svg" && grep -q 'linear2.weight' "$tmp/two.dat"
    ok $? "delta --plot of two tensors: one SVG with both spectra"
else
    for d in "svd --plot PNG" "svd --plot names its files" "svd --plot SVG" "svd --plot -" "delta --plot" \
             "delta --plot --json" "delta --plot two tensors"; do
        skip "$d" "gnuplot not installed"
    done
fi
RANKLAB_GNUPLOT=/nonexistent "$rk" svd "$tmp/ft.npy" --plot "$tmp/nog.png" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ -s "$tmp/nog.dat" ] && [ ! -e "$tmp/nog.png" ] && grep -q '^rank  *13 ' "$tmp/out" \
    && grep -q "ranklab svd: $tmp/nog.png: no plot drawn: .*gnuplot.*the data is in $tmp/nog.dat" "$tmp/err"
ok $? "svd --plot without gnuplot: message, the data file written, the report printed, exit 0"
diag "$tmp/err"
RANKLAB_GNUPLOT=/nonexistent "$rk" delta "$tmp/base.npy" "$tmp/ft.npy" --plot "$tmp/nogd.png" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" -eq 0 ] && [ -s "$tmp/nogd.dat" ] && [ ! -e "$tmp/nogd.png" ] && grep -q 'no plot drawn' "$tmp/err"
ok $? "delta --plot without gnuplot: message, the data file written, exit 0"
run svd "$tmp/ft.npy" --format svg
expect "svd --format without --plot: exit 2" 2 "ranklab svd: --format only applies to --plot"
run svd "$tmp/ft.npy" --plot x.png --format jpeg
expect "svd --format jpeg: exit 2" 2 "ranklab svd: --format wants png or svg"
run svd "$tmp/ft.npy" --plot "$tmp/nodir/x.png"
expect "svd --plot into a missing directory: exit 1 naming the file" 1 "ranklab svd: $tmp/nodir/x.png: "

done_testing
