#!/bin/sh
# test_tutorial07.sh — lesson 7 (what LoRA forgets): the 3×2 and 3×3
# examples without the dataset (exact: one intruder with cosine 1/√17 for
# the strong update out of the plane, none for the small one or the
# rotation, the 3×3 case flagged as one where no intruder can exist); then
# the --quick run: the learn–forget records start at the pretrained network
# and end at the final evaluation, the fine-tunes learn the target class and
# the full one forgets more, the 10-output layer is not counted, λ = 1 is
# the fine-tune itself, the full update needs more directions than LoRA's.
# Skips the trained part when Fashion-MNIST is absent. TAP output.
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 07

"$T" --no-pause --check --step 1 </dev/null >"$tmp/toy" 2>&1
ok $? "--step 1 runs without the dataset"
"$T" --no-pause --check --step 2 </dev/null >>"$tmp/toy" 2>&1
ok $? "--step 2 runs without the dataset"
is "$tmp/toy" toy_small_intruders 0
is "$tmp/toy" toy_large_intruders 1
is "$tmp/toy" toy_large_c1 0.242536     # 1/√17
is "$tmp/toy" toy_rotation_intruders 0
is "$tmp/toy" blind_trivial 1
is "$tmp/toy" blind_c1 0.638925         # the top vector's largest cosine, ≥ 1/√3
missing_data_fails "$T"
"$T" --rank 0 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "--rank 0: exit 2"
"$T" --init other </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "--init other: exit 2"

if [ -z "$(fashion_mnist_dir)" ]; then
    skip "lesson 7 on Fashion-MNIST" "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)"
    done_testing
fi

F="$tmp/full"
timeout 300 "$T" --no-pause --check --quick --no-plot </dev/null >"$F" 2>"$tmp/full.err"
ok $? "runs straight through with --no-pause --quick"
no_stderr "$tmp/full.err" "lesson 7"
steps_ok "$F" 7
is "$F" eval_n 1000
is "$F" lf_step0_is_pretrained 1
is "$F" lf_last_is_final 1
holds "both fine-tunes learn the target class (>= 0.9 after 100 steps)" 'a >= 0.9 && b >= 0.9' \
    a="$(value "$F" full_target_last)" b="$(value "$F" lora_target_last)"
holds "both forget: the other classes fall below the pretrained network's" 'a < p && b < p' \
    a="$(value "$F" full_other_last)" b="$(value "$F" lora_other_last)" p="$(value "$F" pre_other)"
holds "the full fine-tune forgets more than LoRA" 'a < b' \
    a="$(value "$F" full_other_last)" b="$(value "$F" lora_other_last)"
is "$F" l3_trivial 1
is "$F" full_intruders_l3 0
is "$F" lambda1_is_lora 1
holds "the full update needs more directions for 90% of its energy than LoRA's (rank 1)" 'a > b && b == 1' \
    a="$(value "$F" full_rank90_l2)" b="$(value "$F" lora_rank90_l2)"
holds "phi of the first record against the final update lies in [0, 1]" 'p >= 0 && p <= 1' \
    p="$(value "$F" full_phi_first_l2)"
done_testing
