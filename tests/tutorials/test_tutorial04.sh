#!/bin/sh
# test_tutorial04.sh — lesson 4 (LoRA) in its --quick size runs
# non-interactively and its numbers hold: 2,807,010 parameters in the
# default network and 6,794 for LoRA at r = 1, no gradient buffer for the
# frozen base, B = 0 starts at the base's logits bit for bit, the adapter
# disabled gives the pretrained network exactly, the base's bytes are
# unchanged, and merged outputs agree with unmerged ones to 1e-5 relative.
# Skips when Fashion-MNIST is absent. TAP output.
. "$RK_SOURCE_ROOT/tests/tutorials/tap_lib.sh"
lesson 04

# step 1 needs no data: the counts come from a real default-size network
"$T" --no-pause --check --step 1 </dev/null >"$tmp/step1" 2>&1
ok $? "--step 1 runs without the dataset"
is "$tmp/step1" params_default 2807010
is "$tmp/step1" lora_params_r1 6794
missing_data_fails "$T"
"$T" --rank 0 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "--rank 0: exit 2"
"$T" --rank 65 </dev/null >/dev/null 2>&1; [ $? -eq 2 ]; ok $? "--rank 65: exit 2"

if [ -z "$(fashion_mnist_dir)" ]; then
    skip "lesson 4 on Fashion-MNIST" "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)"
    done_testing
fi

F="$tmp/full"
timeout 120 "$T" --no-pause --check --quick </dev/null >"$F" 2>"$tmp/full.err"
ok $? "runs straight through with --no-pause --quick"
no_stderr "$tmp/full.err" "the whole lesson"
steps_ok "$F" 7

is "$F" params_default 2807010
is "$F" lora_params_r1 6794
# r = 1 on the --quick net 784 → 64 → 128 → 10: Σ (In + Out)
is "$F" lora_params $(((784 + 64) + (64 + 128) + (128 + 10)))
is "$F" base_grads_before none
is "$F" init_logits_equal 1
holds "LoRA fine-tuning raises the worst class's accuracy" 'b > a' \
    a="$(value "$F" pre_target_acc)" b="$(value "$F" lora_target_acc)"
is "$F" disabled_equals_pretrained 1
is "$F" disabled_acc "$(value "$F" pretrain_acc)"
is "$F" base_unchanged 1
is "$F" base_grads_after none
below "$F" merged_rel_diff 1e-5 "merged ≈ unmerged"
below "$F" merged_weight_err 4.8e-7 "W_merged = W + s·B·A to float rounding (4ε)"
below "$F" unmerge_err 4.8e-7 "unmerging gives back W0 to float rounding"
holds "merged accuracy = unmerged accuracy (to 2 of 2,000 images)" '(a - b)^2 <= 0.001^2 + 1e-12' \
    a="$(value "$F" merged_acc)" b="$(value "$F" lora_acc)"

"$T" --no-pause --check --quick --rank 4 --from 3 </dev/null >"$tmp/r4"; st=$?
[ $st -eq 0 ] && [ "$(value "$tmp/r4" lora_params)" = $((4 * ((784 + 64) + (64 + 128) + (128 + 10)))) ]
ok $? "--rank 4: four times the adapter parameters"
is "$tmp/r4" base_unchanged 1

done_testing
