#!/bin/sh
# test_tutorial03.sh — lesson 3 (weight deltas) in its --quick size runs
# non-interactively and its numbers hold: the network's parameter count, the
# fine-tune raises the worst class's accuracy, every ΔW's rank for 90% of its
# energy ≤ its rank for 99% ≤ min(Out, In), the deltas concentrate their
# energy in fewer directions than the pretrained weights, and W0 + [ΔW]_r at
# full rank is the full fine-tune (weights to float rounding, same accuracy).
# Skips when Fashion-MNIST is absent. TAP output.
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 03

missing_data_fails "$T"
list_ok 5
"$T" --quick=1 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "--quick takes no value: exit 2"

if [ -z "$(fashion_mnist_dir)" ]; then
    skip "lesson 3 on Fashion-MNIST" "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)"
    done_testing
fi

F="$tmp/full"
timeout 120 "$T" --no-pause --check --quick --out "$tmp/out" </dev/null >"$F" 2>"$tmp/full.err"
ok $? "runs straight through with --no-pause --quick --out DIR"
no_stderr "$tmp/full.err" "the whole lesson"
steps_ok "$F" 5

# the --quick net is 784 → 64 → 128 → 10
is "$F" params $((784 * 64 + 64 + 64 * 128 + 128 + 128 * 10 + 10))
w=$(value "$F" worst_class)
holds "the worst class is a class (0-9): $w" 'w != "" && w >= 0 && w <= 9' w="$w"
holds "full fine-tuning raises the worst class's accuracy" 'b > a' \
    a="$(value "$F" pre_target_acc)" b="$(value "$F" ft_target_acc)"
for l in 1 2 3; do
    case $l in 1|2) k=64 ;; 3) k=10 ;; esac
    is "$F" "dw_k_$l" $k
    holds "ΔW$l: 1 ≤ rank for 90% ≤ rank for 99% ≤ $k, numerical rank ≤ $k" \
        'a >= 1 && a <= b && b <= k && r <= k' \
        a="$(value "$F" "dw_r90_$l")" b="$(value "$F" "dw_r99_$l")" r="$(value "$F" "dw_rank_$l")" k=$k
    holds "ΔW$l: 1 ≤ stable rank ≤ $k" 's >= 1 && s <= k' s="$(value "$F" "dw_stable_$l")" k=$k
done
holds "ΔW needs fewer directions for 90% of its energy than W0 (summed over the layers)" \
    'a1 + a2 + a3 < b1 + b2 + b3' \
    a1="$(value "$F" dw_r90_1)" a2="$(value "$F" dw_r90_2)" a3="$(value "$F" dw_r90_3)" \
    b1="$(value "$F" w0_r90_1)" b2="$(value "$F" w0_r90_2)" b3="$(value "$F" w0_r90_3)"

if command -v "${RANKLAB_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    [ -s "$tmp/out/dw_spectra.png" ]; ok $? "with gnuplot, --out holds dw_spectra.png"
else
    skip "PNG plot" "gnuplot not installed"
fi

full=$(value "$F" trunc_full_r)
is "$F" trunc_full_r 64
is "$F" "trunc_acc_$full" "$(value "$F" ft_acc)"
is "$F" "trunc_target_$full" "$(value "$F" ft_target_acc)"
below "$F" trunc_full_weight_ulps 1.000001 "W0 + [ΔW]_full = W_ft to one float rounding"
holds "a rank-1 piece of every ΔW already raises the target class above the pretrained network" \
    'a1 > p' a1="$(value "$F" trunc_target_1)" p="$(value "$F" pre_target_acc)"
# the printed "within 0.01 from r = R on", recomputed from the table's figures
ft=$(value "$F" ft_target_acc)
close=$(for r in 1 2 4 8 16 32 64; do echo "$r $(value "$F" "trunc_target_$r")"; done |
    awk -v f="$ft" "$AWK_NUM"'{ if (!num($2)) bad = 1; w = ($2 - f)^2 <= 0.01^2
                     if (w && !c) c = $1; if (!w) c = 0 }
                   END { if (!bad && num(f)) print c + 0 }')
is "$F" trunc_target_close_r "$close"

# --step 4 runs steps 1-3 quietly first and gives the same spectrum
"$T" --no-pause --check --quick --step 4 </dev/null >"$tmp/step4"; st=$?
[ $st -eq 0 ] && [ "$(value "$tmp/step4" dw_r90_1)" = "$(value "$F" dw_r90_1)" ] \
    && [ -z "$(value "$tmp/step4" ft_acc)" ]
ok $? "--step 4: the same spectrum, steps 1-3 silent"

done_testing
