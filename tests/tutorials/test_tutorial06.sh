#!/bin/sh
# test_tutorial06.sh — lesson 6 (how low can the rank go?) runs
# non-interactively and its numbers hold, read from the `check: KEY=VALUE`
# lines of --check: every rule's rank on the six-value spectrum as computed by
# hand; the planted rank 5 under noise found by gd (σ_5 > τ > σ_6) and not by
# the 90% energy rule; an exactly rank-3 matrix whose σ_4 is rounding; on the
# fine-tune, fixed:4's ranks and parameters, budget:P within P, accuracies in
# [0, 1]. Also --list, --step, usage errors, `ranklab tutorial 6`, and a skip
# when Fashion-MNIST is absent (steps 1-3 need no data). TAP output.
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 06 ranklab

# --- usage, --list, --help (no data needed) ----------------------------------
list_ok 7
help_ok 06
exits 2 "--step 8 (7 steps)" --step 8
exits 2 "--quick takes no value" --quick=1
"$RANKLAB" tutorial 6 --list </dev/null >"$tmp/viacmd"; st=$?
[ $st -eq 0 ] && cmp -s "$tmp/list" "$tmp/viacmd"; ok $? "ranklab tutorial 6 --list runs the lesson"

# --- steps 1-3 need no data: the rules by hand, the noise floor, exact low rank
"$T" --no-pause --check --no-plot --step 3 </dev/null >"$tmp/s3" 2>"$tmp/s3.err"
ok $? "--step 3 runs without Fashion-MNIST's files being read"
F=$tmp/s3
"$T" --no-pause --check --no-plot --step 1 </dev/null >"$tmp/s1" 2>>"$tmp/s3.err"
for kv in energy=3 sv_fro=2 sv_cumulative=4 sv_ratio=5 eps=4 gd=1 fixed=2; do
    is "$tmp/s1" "toy_${kv%=*}" "${kv#*=}"
done
"$T" --no-pause --check --no-plot --step 2 </dev/null >"$tmp/s2" 2>>"$tmp/s3.err"
is "$tmp/s2" noise_gd 5
holds "the planted rank: σ_5 > τ > σ_6 (gd's threshold between signal and noise)" 's5 > tau && tau > s6' \
    s5="$(value "$tmp/s2" noise_s5)" tau="$(value "$tmp/s2" noise_tau)" s6="$(value "$tmp/s2" noise_s6)"
holds "energy:0.9 keeps noise: more than the planted 5" 'r > 5' r="$(value "$tmp/s2" noise_energy)"
holds "exact rank 3 in float64: σ_4/σ_1 at rounding level (< 100 eps), gd keeps at least the 3" \
    'rel >= 0 && rel < 100 * 2.220446049250313e-16 && gd >= 3 && s3 > 1' \
    rel="$(value "$F" exact_s4_rel)" gd="$(value "$F" exact_gd)" s3="$(value "$F" exact_s3)"
no_stderr "$tmp/s3.err" "steps 1-3"

data=${RANKLAB_DATA:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$data/train-images-idx3-ubyte.gz" ] && [ ! -f "$data/train-images-idx3-ubyte" ]; then
    skip "lesson 6 on Fashion-MNIST" "Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)"
    done_testing
fi
missing_data_fails "$T"

# --- the whole lesson, --quick (also under the sanitizers) --------------------
Q="$tmp/quick"
timeout 300 "$T" --no-pause --check --no-plot --quick </dev/null >"$Q" 2>"$tmp/quick.err"
ok $? "runs straight through with --no-pause --quick"
no_stderr "$tmp/quick.err" "the --quick run"
steps_ok "$Q" 7
t=$(value "$Q" worst_class)
case "$t" in [0-9]) st=0 ;; *) st=1 ;; esac
ok $st "a target class was computed ($t)"
for l in 1 2 3; do is "$Q" "rank_fixed_l$l" 4; done
holds "budget:P with P = fixed:4's parameters, spending at most P" 'b <= p && f == p' \
    b="$(value "$Q" budget_params)" p="$(value "$Q" budget_p)" f="$(value "$Q" fixed_params)"
sed -n 's/^check: t\{0,1\}acc_[a-z_]*=//p' "$Q" >"$tmp/accs"
awk "$AWK_NUM"'{ if (!(num($1) && $1 + 0 >= 0 && $1 + 0 <= 1)) bad++ } END { exit !(NR == 14 && bad == 0) }' "$tmp/accs"
ok $? "every rule's accuracy and class accuracy in [0, 1] ($(wc -l <"$tmp/accs") values)"
holds "energies kept in [0, 1]" 'b >= 0 && b <= 1 && u >= 0 && u <= 1' \
    b="$(value "$Q" budget_energy)" u="$(value "$Q" uniform_energy)"
holds "the full fine-tune raises the target class's accuracy" 'a > b' \
    a="$(value "$Q" full_target_acc)" b="$(value "$Q" target_acc)"

# --- --step: one step, its prefix quiet ----------------------------------------
"$T" --step 7 --check --no-plot --quick </dev/null >"$tmp/step7" 2>"$tmp/step7.err"; st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/step7.err" ] && grep -q '^== Step 7 of 7: ' "$tmp/step7" \
    && [ "$(grep -c '^== Step' "$tmp/step7")" -eq 1 ]
ok $? "--step 7 shows step 7 only"
[ -z "$(value "$tmp/step7" worst_class)" ] && [ -n "$(value "$tmp/step7" budget_energy)" ]
ok $? "--step 7: steps 1-6 ran silently (no check lines of theirs)"
done_testing
