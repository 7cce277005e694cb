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
T="$RK_BUILD_ROOT/tutorials/ranklab-tutorial-05"
RANKLAB="$RK_BUILD_ROOT/tools/ranklab"
QUICK="--quick"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fails=0

ok() {   # ok CONDITION_STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

# check FILE KEY: the value of `check: KEY=VALUE` (empty when missing)
check() { sed -n "s/^check: $2=//p" "$1" | head -n 1; }

# exits CODE DESCRIPTION ARGS...: the lesson exits with CODE
exits() {
    want=$1; desc=$2; shift 2
    "$T" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"; got=$?
    [ "$got" -eq "$want" ]; st=$?
    [ $st -eq 0 ] || echo "# exit $got, want $want; stderr: $(head -c 200 "$tmp/err")"
    ok $st "$desc: exit $want"
}

# --- without the dataset: exit 1 naming the Debian package ------------------
mkdir "$tmp/empty"
RANKLAB_DATA="$tmp/empty" "$T" --no-pause </dev/null >/dev/null 2>"$tmp/nodata"; st=$?
[ $st -eq 1 ] && grep -q 'dataset-fashion-mnist' "$tmp/nodata"
ok $? "no dataset (RANKLAB_DATA): exit 1, stderr names the package dataset-fashion-mnist"
"$T" --no-pause --data "$tmp/empty" </dev/null >/dev/null 2>"$tmp/nodata"; st=$?
[ $st -eq 1 ] && grep -q 'dataset-fashion-mnist' "$tmp/nodata"
ok $? "no dataset (--data DIR): exit 1, stderr names the package"

# --- usage, --list, --help (no data needed) ----------------------------------
"$T" --list </dev/null >"$tmp/list"; st=$?
lines=$(grep -cE '^ +[1-9]  ' "$tmp/list")
[ $st -eq 0 ] && [ "$lines" -eq 9 ]; ok $? "--list: exit 0 and 9 steps listed"
"$T" --help </dev/null >"$tmp/help"; st=$?
[ $st -eq 0 ] && grep -q '^usage: ranklab-tutorial-05' "$tmp/help" && grep -q -- '--quick' "$tmp/help"
ok $? "--help: usage with the lesson's options, exit 0"
exits 2 "--step 10 (9 steps)" --step 10
exits 2 "--data without a value" --data
exits 2 "--quick takes no value" --quick=1
"$RANKLAB" tutorial 5 --list </dev/null >"$tmp/viacmd"; st=$?
[ $st -eq 0 ] && cmp -s "$tmp/list" "$tmp/viacmd"; ok $? "ranklab tutorial 5 --list runs the lesson"

data=${RANKLAB_DATA:-/usr/share/datasets/fashion-mnist}
if [ ! -f "$data/train-images-idx3-ubyte.gz" ] && [ ! -f "$data/train-images-idx3-ubyte" ]; then
    echo "ok $((n + 1)) # SKIP Fashion-MNIST is not installed (Debian package dataset-fashion-mnist)"
    echo "1..$((n + 1))"
    [ $fails -eq 0 ]
    exit
fi

# --- the math, asserted on a run of the lesson FILE -------------------------
math_checks() {   # math_checks FILE LABEL
F=$1; M=$2
    t=$(check "$F" worst_class)
    case "$t" in [0-9]) st=0 ;; *) st=1 ;; esac
    ok $st "$M: a target class was computed ($t)"
    awk -v a="$(check "$F" full_target_acc)" -v b="$(check "$F" target_acc)" \
        'BEGIN { exit !(a != "" && a + 0 > b + 0) }'
    ok $? "$M: the full fine-tune raises the target class's accuracy"

    # rel_err ≥ Eckart–Young − 1e-12 for every rank and layer (15 pairs)
    sed -n 's/^check: rel_err_\(r[0-9]*_l[0-9]*\)=/\1 /p' "$F" | sort >"$tmp/re"
    sed -n 's/^check: ey_\(r[0-9]*_l[0-9]*\)=/\1 /p' "$F" | sort >"$tmp/ey"
    join "$tmp/re" "$tmp/ey" >"$tmp/pairs"
    awk '{ if ($2 + 0 < $3 - 1e-12) { print "# " $1 ": rel_err " $2 " < bound " $3; bad++ } }
         END { exit !(NR == 15 && bad == 0) }' "$tmp/pairs"
    ok $? "$M: rel_err ≥ Eckart–Young bound − 1e-12 at every r and layer ($(wc -l <"$tmp/pairs") pairs)"
    awk '{ if ($3 + 0 < 0 || $3 + 0 > 1 + 1e-12) bad++ } END { exit !(NR > 0 && bad == 0) }' "$tmp/pairs"
    ok $? "$M: Eckart–Young errors lie in [0, 1]"

    # rank(ΔW_lora) ≤ r, and = min(r, Out, In) for these nets
    sed -n 's/^check: rank_r\([0-9]*\)_l[0-9]*=/\1 /p' "$F" >"$tmp/ranks"
    awk '{ if ($2 + 0 > $1 + 0) { print "# rank " $2 " > r = " $1; bad++ } }
         END { exit !(NR == 15 && bad == 0) }' "$tmp/ranks"
    ok $? "$M: rank(ΔW_lora) ≤ r for every layer and r ($(wc -l <"$tmp/ranks") adapters)"
    r=$(check "$F" normal_rank)
    [ -n "$r" ] && [ "$r" -le 4 ]; ok $? "$M: rank of the N(0,1) update ≤ 4 ($r)"

    # every φ printed lies in [0, 1]; φ(X, X) = 1
    sed -n 's/^check: phi[a-z0-9_]*=//p' "$F" >"$tmp/phis"
    awk '{ if ($1 + 0 < 0 || $1 + 0 > 1) bad++ } END { exit !(NR >= 10 && bad == 0) }' "$tmp/phis"
    ok $? "$M: every φ in [0, 1] ($(wc -l <"$tmp/phis") values)"
    awk -v v="$(check "$F" phi_self_min)" 'BEGIN { d = v - 1; exit !(v != "" && d * d < 1e-24) }'
    ok $? "$M: φ(ΔW_full, ΔW_full, i, i) = 1 to 1e-12"

    # amplification: factor = ‖ΔW‖_F / ‖Uᵀ·W0·V‖_F; W0's own directions hold the most
    for who in lora_r4 full_r4 lora_r16 full_r16; do
        awk -v f="$(check "$F" amp_${who}_factor)" -v fro="$(check "$F" amp_${who}_fro)" \
            -v p="$(check "$F" amp_${who}_proj)" -v w="$(check "$F" amp_${who}_w0)" \
            -v rnd="$(check "$F" amp_${who}_random)" \
            'BEGIN { if (f == "" || p + 0 <= 0) exit 1; d = f - fro / p; if (d < 0) d = -d
                     exit !(d <= 1e-12 * f && p <= w * (1 + 1e-12) && rnd <= w * (1 + 1e-12)) }'
        ok $? "$M: amplification $who: factor = ‖ΔW‖_F/proj, projections ≤ W0's own"
    done
    awk -v a="$(check "$F" amp_lora_r4_fro)" -v b="$(check "$F" amp_full_r4_fro)" \
        -v ka="$(check "$F" kaiming_ratio)" 'BEGIN { d = a / b - ka; exit !(b > 0 && d * d < 1e-10) }'
    ok $? "$M: ‖ΔW_lora‖/‖ΔW_full‖ of step 8 agrees with step 7's norms"

    # the init comparison: the N(0,1) rel_err is above the bound too, cosines in [-1, 1]
    awk -v e="$(check "$F" normal_rel_err)" -v b="$(check "$F" ey_r4_l1)" \
        -v c="$(check "$F" normal_cos)" -v k="$(check "$F" kaiming_cos)" \
        'BEGIN { exit !(e != "" && e + 0 >= b - 1e-12 && c >= -1 && c <= 1 && k >= -1 && k <= 1) }'
    ok $? "$M: N(0,1) init: rel_err ≥ bound, cosines in [-1, 1]"
    for k in paper_phi_above_half paper_factor_falls; do
        v=$(check "$F" $k)
        [ "$v" = 0 ] || [ "$v" = 1 ]; ok $? "$M: step 9 compares: $k = $v"
    done
}

# --- the whole lesson, --quick (also under the sanitizers) --------------------
Q="$tmp/quick"
# shellcheck disable=SC2086
timeout 300 "$T" --no-pause --check --no-plot $QUICK </dev/null >"$Q" 2>"$tmp/quick.err"
ok $? "runs straight through with --no-pause $QUICK"
[ ! -s "$tmp/quick.err" ]; ok $? "nothing on stderr"
steps=$(grep -cE '^== Step [1-9] of 9: ' "$Q")
[ "$steps" -eq 9 ]; ok $? "9 numbered steps (found $steps)"
reads=$(grep -c '^Read alongside: lib/' "$Q")
[ "$reads" -eq 9 ]; ok $? "every step ends with Read alongside: lib/... (found $reads)"
docs=$(grep -c '^Docs: docs/tutorials/05-lora-vs-svd.md' "$Q")
[ "$docs" -eq 9 ]; ok $? "every step names its docs page (found $docs)"
math_checks "$Q" "--quick"

# --- the default run, as a reader runs it: its math and the docs excerpts -----
# (about 5 s of CPU, five times that under ASan: the sanitizer build leaves it
# to the plain one)
if ldd "$T" 2>/dev/null | grep -q 'libasan'; then
    echo "ok $((n = n + 1)) # SKIP the default run (sanitizer build: the plain build runs it)"
else
    D="$tmp/default"
    timeout 300 "$T" --no-pause --check --no-plot </dev/null >"$D" 2>"$tmp/default.err"
    ok $? "the default run goes straight through"
    math_checks "$D" "default"
fi

# --- --step: one step, its prefix quiet ----------------------------------------
# shellcheck disable=SC2086
"$T" --step 6 --check --no-plot $QUICK </dev/null >"$tmp/step7"; st=$?
[ $st -eq 0 ] && grep -q '^== Step 6 of 9: ' "$tmp/step7" \
    && [ "$(grep -c '^== Step' "$tmp/step7")" -eq 1 ]
ok $? "--step 6 shows step 6 only"
[ -z "$(check "$tmp/step7" worst_class)" ] && [ -n "$(check "$tmp/step7" phi_r2_r16_11)" ]
ok $? "--step 6: steps 1-5 ran silently (no check lines of theirs)"

# --- --out: PNG files when gnuplot is there ------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
    # shellcheck disable=SC2086
    "$T" --step 4 --no-plot --out "$tmp/png" $QUICK </dev/null >"$tmp/step5" 2>&1
    head -c 8 "$tmp/png/05-error-vs-rank.png" 2>/dev/null | od -An -c | grep -q 'P   N   G'
    ok $? "--out DIR: 05-error-vs-rank.png is a PNG"
    [ -s "$tmp/png/05-error-vs-rank.dat" ]; ok $? "its data file is beside it"
else
    echo "ok $((n = n + 1)) # SKIP gnuplot is not installed"
fi

echo "1..$n"
[ $fails -eq 0 ]
