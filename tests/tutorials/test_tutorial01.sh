#!/bin/sh
# test_tutorial01.sh — lesson 1 runs non-interactively and its numbers hold:
# rank 2, y and y' agree (float32 and double), 100 vs 40 parameters, the noisy
# W is full rank by numpy's rule and rank 2 with a tolerance above the noise.
# The numbers are read from the `check: KEY=VALUE` lines that --check prints,
# not from the prose. Also the runner's options (--list, --step, --from,
# usage errors) and `ranklab tutorial`. TAP output.
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 01 ranklab

# --- the whole lesson, stdin not a terminal, with and without --no-pause ----
timeout 60 "$T" --no-pause --check </dev/null >"$tmp/full" 2>"$tmp/full.err"
ok $? "runs straight through with --no-pause"
timeout 60 "$T" --check </dev/null >"$tmp/nopause" 2>&1
ok $? "a non-terminal stdin never waits (no --no-pause)"
cmp -s "$tmp/full" "$tmp/nopause"; ok $? "same output either way"
"$T" --no-pause --check </dev/null >"$tmp/again" 2>&1
cmp -s "$tmp/full" "$tmp/again"; ok $? "same seed, same output"
no_stderr "$tmp/full.err" "the whole lesson"

steps_ok "$tmp/full" 8 docs/tutorials/01-rank-and-svd.md

F="$tmp/full"
is "$F" m 10
is "$F" n 10
is "$F" rank 2
below "$F" sigma3_over_tol 1 "the 8 small singular values are below numpy's tolerance"
is "$F" svd_u 10x10
is "$F" svd_s 10
is "$F" svd_vt 10x10
is "$F" thin_u_of_p 10x2
below "$F" svd_resid_ratio 50 "LAPACK's threshold"
below "$F" svd_orth_ratio 50 "LAPACK's threshold"
below "$F" truncation_rel_err 1e-13
is "$F" b_shape 10x2
is "$F" a_shape 2x10
below "$F" w_minus_ba 1e-12
below "$F" maxdiff_f64 1e-12
# |fl(W·x + b) − (W·x + b)| ≤ γ_n·(|W||x| + |b|) with γ_n ≈ n·ε, for y and y' both
# (float32 by this ratio only: one unit in the last place of an output near 10
# is already 9.5e-7, so an absolute 1e-6 would not be a bound)
below "$F" maxdiff_f32_ratio 20 "2·n·ε₃₂·c"
below "$F" maxdiff_f64_ratio 20 "2·n·ε₆₄·c"
is "$F" params_full 100
is "$F" params_lowrank 40
is "$F" rank_noise 10
is "$F" rank_noise_tol 2
is "$F" rank_noise_tiny 10
is "$F" rank_noise_tiny_tol 2

# --- another seed: the rounding ratios hold whatever the draw ---------------
"$T" --no-pause --check --seed 3 </dev/null >"$tmp/s3" 2>&1
ok $? "--seed 3 runs"
is "$tmp/s3" rank 2
below "$tmp/s3" maxdiff_f32_ratio 20 "seed 3"
cmp -s "$tmp/full" "$tmp/s3"; [ $? -ne 0 ]; ok $? "--seed changes the draw"

# --- the lesson's own options ------------------------------------------------
"$T" --no-pause --check --from 8 --tol 1e-20 </dev/null >"$tmp/tol" 2>&1
is "$tmp/tol" rank_noise_tol 10

# --- --list, --step, --from --------------------------------------------------
"$T" --list </dev/null >"$tmp/list"; st=$?
lines=$(grep -cE '^ +[1-8]  ' "$tmp/list")
[ $st -eq 0 ] && [ "$lines" -eq 8 ]; ok $? "--list: exit 0 and 8 steps listed"

"$T" --step 3 --check </dev/null >"$tmp/step3"; st=$?
[ $st -eq 0 ] && grep -q '^== Step 3 of 8: ' "$tmp/step3" \
    && ! grep -qE '^== Step [12456789] of 8' "$tmp/step3"
ok $? "--step 3 shows step 3 only"
is "$tmp/step3" svd_u 10x10
[ -z "$(value "$tmp/step3" rank)" ]; ok $? "--step 3: steps 1-2 ran silently (no check lines)"

"$T" --from 4 --no-pause </dev/null >"$tmp/from4"; st=$?
shown=$(grep -cE '^== Step [4-8] of 8' "$tmp/from4")
[ $st -eq 0 ] && [ "$shown" -eq 5 ] && ! grep -qE '^== Step [1-3] of 8' "$tmp/from4"
ok $? "--from 4 shows steps 4-8"

"$T" --help </dev/null >"$tmp/help"; st=$?
[ $st -eq 0 ] && grep -q '^usage: ranklab-tutorial-01' "$tmp/help"; ok $? "--help: usage on stdout, exit 0"

exits 2 "unknown option" --bogus
exits 2 "--step 0" --step 0
exits 2 "--step 9 (8 steps)" --step 9
exits 2 "--step x" --step x
exits 2 "--step and --from together" --step 2 --from 3
exits 2 "a stray argument" extra
exits 2 "--seed -1" --seed -1
exits 2 "--noise abc" --noise abc

"$T" --no-pause --step 1 --out "$tmp/out.d/sub" </dev/null >"$tmp/outdir" 2>&1; st=$?
[ $st -eq 0 ] && [ ! -e "$tmp/out.d" ] && grep -q "so it was not kept" "$tmp/outdir"
ok $? "--out DIR/sub that nothing is written into: neither folder is left behind, and it says so"
mkdir "$tmp/mine"
"$T" --no-pause --step 1 --out "$tmp/mine" </dev/null >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/err" ] && [ -d "$tmp/mine" ]; ok $? "--out DIR that existed before stays"

# --- ranklab tutorial NN -----------------------------------------------------
"$RANKLAB" tutorial 1 --list </dev/null >"$tmp/viacmd"; st=$?
[ $st -eq 0 ] && cmp -s "$tmp/list" "$tmp/viacmd"; ok $? "ranklab tutorial 1 --list runs the lesson"
"$RANKLAB" tutorial 98 </dev/null >/dev/null 2>"$tmp/err"; st=$?
[ $st -eq 1 ] && grep -q 'ranklab-tutorial-98: not found' "$tmp/err"
ok $? "ranklab tutorial 98: says it is not found, exit 1"

"$RANKLAB" tutorial --help </dev/null >"$tmp/thelp" 2>"$tmp/err"; st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q '^usage: ranklab tutorial NN' "$tmp/thelp"; ok $? "ranklab tutorial --help: exit 0"
"$RANKLAB" tutorial 0 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "ranklab tutorial 0: exit 2"
"$RANKLAB" tutorial </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "ranklab tutorial (no number): exit 2"
"$RANKLAB" tutorial 1 --step 9 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]
ok $? "ranklab tutorial 1 --step 9: the lesson's exit status (2)"

# --- the docs ----------------------------------------------------------------
# (the page's excerpts: tests/docs/test_excerpts.sh)
help_in_doc "$RK_SOURCE_ROOT/docs/tools/tutorial.md" "$RANKLAB" tutorial --help
help_in_doc "$RK_SOURCE_ROOT/docs/tools/tutorial.md" "$T" --help

done_testing
