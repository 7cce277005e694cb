#!/bin/sh
# test_tutorial02.sh — lesson 2 (low-rank approximation) runs non-interactively
# and its numbers hold: the 280×280 grid, ‖A − A_k‖_F = √Σ_{i>k}σ_i² to 1e-12
# relative at k = 1, 5, 20, 50, storage k·(m+n) against m·n, the files written
# with --out (each A_k.npy has numerical rank k, by `ranklab rank`), and the
# page's excerpts are real output. Skips when Fashion-MNIST is absent. TAP.
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 02 ranklab

missing_data_fails "$T"
list_ok 6
"$T" --first x </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "--first x: usage error, exit 2"

if [ -z "$(fashion_mnist_dir)" ]; then
    skip "lesson 2 on Fashion-MNIST" "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)"
    done_testing
fi

# --- the whole lesson ----------------------------------------------------------
F="$tmp/full"
timeout 60 "$T" --no-pause --check --out "$tmp/out" </dev/null >"$F" 2>"$tmp/full.err"
ok $? "runs straight through with --no-pause --out DIR"
no_stderr "$tmp/full.err" "the whole lesson"
steps_ok "$F" 6

is "$F" m 280
is "$F" n 280
is "$F" k 280
for k in 1 5 20 50; do
    below "$F" "reldiff_$k" 1e-12 "‖A − A_$k‖_F = tail energy"
    is "$F" "storage_$k" $((k * 560))
done
is "$F" storage_full 78400
is "$F" storage_140 78400
holds "the error falls as k grows: err_1 > err_5 > err_20 > err_50 > 0" \
    'a > b && b > c && c > d && d > 0' \
    a="$(value "$F" err_1)" b="$(value "$F" err_5)" c="$(value "$F" err_20)" d="$(value "$F" err_50)"
holds "the error at k = 50 is the tail of the spectrum: √(1 − energy₅₀)·‖A‖_F" \
    'e > 0 && (e - sqrt(1 - f) * a)^2 < (1e-6 * e)^2' \
    e="$(value "$F" err_50)" f="$(value "$F" energy_at_50)" a="$(value "$F" norm_fro)"
holds "rank for 90% ≤ rank for 99% ≤ 280" 'a <= b && b <= 280 && a >= 1' \
    a="$(value "$F" rank90)" b="$(value "$F" rank99)"

# --- the files -------------------------------------------------------------------
for f in original rank001 rank005 rank020 rank050; do
    [ -s "$tmp/out/$f.npy" ] && [ -s "$tmp/out/$f.pgm" ]; ok $? "--out wrote $f.npy and $f.pgm"
done
head -c 15 "$tmp/out/rank020.pgm" | od -An -c | tr -d ' \n' >"$tmp/pgmhead"
[ "$(cat "$tmp/pgmhead")" = 'P5\n280280\n255\n' ] && [ "$(wc -c <"$tmp/out/rank020.pgm")" -eq 78415 ]
ok $? "rank020.pgm: a binary PGM, 280×280, maxval 255"
for k in 1 5 20 50; do
    f=$(printf 'rank%03d' "$k")
    "$RANKLAB" rank "$tmp/out/$f.npy" --json </dev/null >"$tmp/rank.json" 2>"$tmp/rank.err"
    st=$?
    r=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rank"])' "$tmp/rank.json")
    [ $st -eq 0 ] && [ ! -s "$tmp/rank.err" ] && [ "$r" = "$k" ]; st=$?
    [ $st -eq 0 ] || echo "# ranklab rank $f.npy: $r"
    ok $st "ranklab rank $f.npy = $k (exit 0, nothing on stderr)"
done
if command -v "${RANKLAB_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    [ -s "$tmp/out/scree.png" ] && [ -s "$tmp/out/rank020.png" ] && [ -s "$tmp/out/scree.dat" ]
    ok $? "with gnuplot, --out also holds scree.png and rank020.png (with their data)"
    grep -q 'index k' "$F"; ok $? "with gnuplot, the scree plot is drawn in the output"
else
    skip "PNG plots" "gnuplot not installed"
fi
"$RANKLAB" rank "$tmp/out/original.npy" --json </dev/null >"$tmp/rank.json" 2>"$tmp/rank.err"
ok $? "ranklab rank original.npy: exit 0"
no_stderr "$tmp/rank.err" "ranklab rank original.npy"
is "$F" rank "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["rank"])' "$tmp/rank.json")"

# --- options -------------------------------------------------------------------------
"$T" --no-pause --check --step 5 </dev/null >"$tmp/step5"; st=$?
[ $st -eq 0 ] && grep -q '^== Step 5 of 6: ' "$tmp/step5" && ! grep -q '^== Step [1-46] of 6' "$tmp/step5"
ok $? "--step 5 shows step 5 only"
[ "$(value "$tmp/step5" err_20)" = "$(value "$F" err_20)" ]; ok $? "--step 5: the same numbers"
"$T" --no-pause --check --first 100 --step 1 </dev/null >"$tmp/first"
[ -n "$(value "$tmp/first" norm_fro)" ] && [ "$(value "$tmp/first" norm_fro)" != "$(value "$F" norm_fro)" ]
ok $? "--first 100 tiles other items"
"$RANKLAB" tutorial 2 --list </dev/null >"$tmp/viacmd"; st=$?
[ $st -eq 0 ] && cmp -s "$tmp/list" "$tmp/viacmd"; ok $? "ranklab tutorial 2 --list runs the lesson"

done_testing
