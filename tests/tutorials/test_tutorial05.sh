#!/bin/sh
# test_tutorial05.sh — lesson 5 (LoRA vs SVD) runs non-interactively and its
# math holds, read from the `check: KEY=VALUE` lines of --check: rel_err ≥ the
# Eckart–Young bound − 1e-12 at every rank and layer, rank(ΔW_lora) ≤ r,
# every φ in [0, 1] and φ(X, X) = 1, the amplification factor equal to
# ‖ΔW‖_F / ‖Uᵀ·W0·V‖_F. Also --list, --step, usage errors, `ranklab tutorial 5`,
# the docs page's output excerpts, and a skip when Fashion-MNIST is absent.
# The math is asserted on the --quick run (the net and data of lessons 3-4's
# tests) and, in the plain build, on the default run (~5 s of CPU), whose
# output the docs page excerpts. TAP output.
QUICK="--quick"
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 05 ranklab

# --- without the dataset: exit 1 naming the Debian package ------------------
mkdir "$tmp/empty"
RANKLAB_DATA="$tmp/empty" "$T" --no-pause </dev/null >/dev/null 2>"$tmp/nodata"; st=$?
[ $st -eq 1 ] && grep -q 'dataset-fashion-mnist' "$tmp/nodata"
ok $? "no dataset (RANKLAB_DATA): exit 1, stderr names the package dataset-fashion-mnist"
"$T" --no-pause --data "$tmp/empty" </dev/null >/dev/null 2>"$tmp/nodata"; st=$?
[ $st -eq 1 ] && grep -q 'dataset-fashion-mnist' "$tmp/nodata"
ok $? "no dataset (--data DIR): exit 1, stderr names the package"

# --- usage, --list, --help (no data needed) ----------------------------------
list_ok 9
help_ok 05
exits 2 "--step 10 (9 steps)" --step 10
exits 2 "--data without a value" --data
exits 2 "--quick takes no value" --quick=1
"$RANKLAB" tutorial 5 --list </dev/null >"$tmp/viacmd"; st=$?
[ $st -eq 0 ] && cmp -s "$tmp/list" "$tmp/viacmd"; ok $? "ranklab tutorial 5 --list runs the lesson"

data=${RANKLAB_DATA:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$data/train-images-idx3-ubyte.gz" ] && [ ! -f "$data/train-images-idx3-ubyte" ]; then
    skip "lesson 5 on Fashion-MNIST" "Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)"
    done_testing
fi

# --- the math, asserted on a run of the lesson FILE -------------------------
math_checks() {   # math_checks FILE LABEL
F=$1; M=$2
    t=$(value "$F" worst_class)
    case "$t" in [0-9]) st=0 ;; *) st=1 ;; esac
    ok $st "$M: a target class was computed ($t)"
    holds "$M: the full fine-tune raises the target class's accuracy" 'a > b' \
        a="$(value "$F" full_target_acc)" b="$(value "$F" target_acc)"

    # rel_err ≥ Eckart–Young − 1e-12 for every rank and layer (15 pairs)
    sed -n 's/^check: rel_err_\(r[0-9]*_l[0-9]*\)=/\1 /p' "$F" | sort >"$tmp/re"
    sed -n 's/^check: ey_\(r[0-9]*_l[0-9]*\)=/\1 /p' "$F" | sort >"$tmp/ey"
    join "$tmp/re" "$tmp/ey" >"$tmp/pairs"
    awk "$AWK_NUM"'{ if (!(num($2) && num($3) && $2 + 0 >= $3 - 1e-12)) { print "# " $1 ": rel_err " $2 ", bound " $3; bad++ } }
         END { exit !(NR == 15 && bad == 0) }' "$tmp/pairs"
    ok $? "$M: rel_err ≥ Eckart–Young bound − 1e-12 at every r and layer ($(wc -l <"$tmp/pairs") pairs)"
    awk "$AWK_NUM"'{ if (!(num($3) && $3 + 0 >= 0 && $3 + 0 <= 1 + 1e-12)) bad++ } END { exit !(NR > 0 && bad == 0) }' "$tmp/pairs"
    ok $? "$M: Eckart–Young errors lie in [0, 1]"

    # rank(ΔW_lora) ≤ r, and = min(r, Out, In) for these nets
    sed -n 's/^check: rank_r\([0-9]*\)_l[0-9]*=/\1 /p' "$F" >"$tmp/ranks"
    awk "$AWK_NUM"'{ if (!(num($2) && $2 + 0 <= $1 + 0)) { print "# rank " $2 ", r = " $1; bad++ } }
         END { exit !(NR == 15 && bad == 0) }' "$tmp/ranks"
    ok $? "$M: rank(ΔW_lora) ≤ r for every layer and r ($(wc -l <"$tmp/ranks") adapters)"
    holds "$M: rank of the N(0,1) update ≤ 4" 'r <= 4' r="$(value "$F" normal_rank)"

    # every φ printed lies in [0, 1]; φ(X, X) = 1
    sed -n 's/^check: phi[a-z0-9_]*=//p' "$F" >"$tmp/phis"
    awk "$AWK_NUM"'{ if (!(num($1) && $1 + 0 >= 0 && $1 + 0 <= 1)) bad++ } END { exit !(NR >= 10 && bad == 0) }' "$tmp/phis"
    ok $? "$M: every φ in [0, 1] ($(wc -l <"$tmp/phis") values)"
    holds "$M: φ(ΔW_full, ΔW_full, i, i) = 1 to 1e-12" '(v - 1)^2 < 1e-24' v="$(value "$F" phi_self_min)"

    # amplification: factor = ‖ΔW‖_F / ‖Uᵀ·W0·V‖_F; W0's own directions hold the most
    for who in lora_r4 full_r4 lora_r16 full_r16; do
        holds "$M: amplification $who: factor = ‖ΔW‖_F/proj, projections ≤ W0's own" \
            'p > 0 && (f - fro / p)^2 <= (1e-12 * f)^2 && p <= w * (1 + 1e-12) && rnd <= w * (1 + 1e-12)' \
            f="$(value "$F" "amp_${who}_factor")" fro="$(value "$F" "amp_${who}_fro")" \
            p="$(value "$F" "amp_${who}_proj")" w="$(value "$F" "amp_${who}_w0")" \
            rnd="$(value "$F" "amp_${who}_random")"
    done
    holds "$M: ‖ΔW_lora‖/‖ΔW_full‖ of step 8 agrees with step 7's norms" 'b > 0 && (a / b - ka)^2 < 1e-10' \
        a="$(value "$F" amp_lora_r4_fro)" b="$(value "$F" amp_full_r4_fro)" ka="$(value "$F" kaiming_ratio)"

    # the init comparison: the N(0,1) rel_err is above the bound too, cosines in [-1, 1]
    holds "$M: N(0,1) init: rel_err ≥ bound, cosines in [-1, 1]" \
        'e >= b - 1e-12 && c >= -1 && c <= 1 && k >= -1 && k <= 1' \
        e="$(value "$F" normal_rel_err)" b="$(value "$F" ey_r4_l1)" \
        c="$(value "$F" normal_cos)" k="$(value "$F" kaiming_cos)"
    # step 9's verdicts, recomputed from the figures they are drawn from
    holds "$M: step 9: 'φ(1,1) above 0.5' is said exactly when φ(1,1) of r=2 vs r=16 > 0.5" \
        'v == (phi > 0.5)' v="$(value "$F" paper_phi_above_half)" phi="$(value "$F" phi_r2_r16_11)"
    holds "$M: step 9: 'the factor falls' is said exactly when factor(r=16) < factor(r=4)" \
        'v == (f16 < f4)' v="$(value "$F" paper_factor_falls)" \
        f16="$(value "$F" amp_lora_r16_factor)" f4="$(value "$F" amp_lora_r4_factor)"
}

# --- the whole lesson, --quick (also under the sanitizers) --------------------
Q="$tmp/quick"
# shellcheck disable=SC2086
timeout 300 "$T" --no-pause --check --no-plot $QUICK </dev/null >"$Q" 2>"$tmp/quick.err"
ok $? "runs straight through with --no-pause $QUICK"
no_stderr "$tmp/quick.err" "the --quick run"
steps_ok "$Q" 9 docs/tutorials/05-lora-vs-svd.md
math_checks "$Q" "--quick"

# --- the default run, as a reader runs it: its math and the docs excerpts -----
# (about 5 s of CPU, five times that under ASan: the sanitizer build leaves it
# to the plain one)
if ldd "$T" 2>/dev/null | grep -q 'libasan'; then
    skip "the default run's math" "sanitizer build: five times slower, the plain build runs it"
else
    D="$tmp/default"
    timeout 300 "$T" --no-pause --check --no-plot </dev/null >"$D" 2>"$tmp/default.err"
    ok $? "the default run goes straight through"
    no_stderr "$tmp/default.err" "the default run"
    math_checks "$D" "default"
fi

# --- --step: one step, its prefix quiet ----------------------------------------
# shellcheck disable=SC2086
"$T" --step 6 --check --no-plot $QUICK </dev/null >"$tmp/step7" 2>"$tmp/step7.err"; st=$?
[ $st -eq 0 ] && [ ! -s "$tmp/step7.err" ] && grep -q '^== Step 6 of 9: ' "$tmp/step7" \
    && [ "$(grep -c '^== Step' "$tmp/step7")" -eq 1 ]
ok $? "--step 6 shows step 6 only"
[ -z "$(value "$tmp/step7" worst_class)" ] && [ -n "$(value "$tmp/step7" phi_r2_r16_11)" ]
ok $? "--step 6: steps 1-5 ran silently (no check lines of theirs)"

# --- --out: PNG files when gnuplot is there ------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    "$T" --step 4 --no-plot --out "$tmp/png" $QUICK </dev/null >"$tmp/step5" 2>"$tmp/step5.err"
    ok $? "--step 4 --out DIR: exit 0"
    no_stderr "$tmp/step5.err" "--step 4 --out DIR"
    head -c 8 "$tmp/png/05-error-vs-rank.png" 2>/dev/null | od -An -c | grep -q 'P   N   G'
    ok $? "--out DIR: 05-error-vs-rank.png is a PNG"
    [ -s "$tmp/png/05-error-vs-rank.dat" ]; ok $? "its data file is beside it"
else
    skip "--out DIR: the PNG plots" "gnuplot is not installed"
fi

done_testing
