#!/bin/sh
# run.sh — run the libFuzzer harnesses built by tests/fuzz/fuzz.mk.
#
#   tests/fuzz/run.sh fuzz SECONDS   fuzz each harness for SECONDS on a copy of
#                                    its corpus; print the executions; fail on
#                                    any crash, leak, timeout or sanitizer report
#   tests/fuzz/run.sh replay         run each harness once over its committed
#                                    corpus (no fuzzing); fail on any report
#
# Harness fuzz_NAME (tests/fuzz/fuzz_NAME.c) uses tests/fuzz/corpus/NAME/;
# a harness without a corpus starts from nothing (fuzz) or is skipped
# (replay); a libFuzzer dictionary tests/fuzz/NAME.dict is used when present. FUZZ_DIR (default build-fuzz) holds the binaries, the working
# corpora (FUZZ_DIR/corpus/NAME), logs and crash artifacts.
set -u
cd "$(dirname "$0")/../.."
mode=${1:-}
seconds=${2:-60}
dir=${FUZZ_DIR:-build-fuzz}
case $mode in
fuzz|replay) ;;
*) echo "usage: tests/fuzz/run.sh fuzz SECONDS | replay" >&2; exit 2 ;;
esac

failed=0
total=0
found=0
for src in tests/fuzz/fuzz_*.c; do
    [ -e "$src" ] || continue
    name=$(basename "$src" .c)
    short=${name#fuzz_}
    bin=$dir/$name
    seeds=tests/fuzz/corpus/$short
    dict=
    [ -f "tests/fuzz/$short.dict" ] && dict=-dict=tests/fuzz/$short.dict
    if [ ! -x "$bin" ]; then
        echo "$name: not built (run make fuzz-build)"; failed=1; continue
    fi
    found=$((found + 1))
    mkdir -p "$dir/logs" "$dir/artifacts/$short"
    log=$dir/logs/$short-$mode.log
    if [ "$mode" = fuzz ]; then
        work=$dir/corpus/$short
        rm -rf "$work"; mkdir -p "$work"
        [ -d "$seeds" ] && cp "$seeds"/* "$work"/ 2>/dev/null
        before=$(ls "$work" | wc -l)
        # shellcheck disable=SC2086
        "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 $dict \
            -rss_limit_mb=2048 -artifact_prefix="$dir/artifacts/$short/" "$work" >"$log" 2>&1
        rc=$?
        after=$(ls "$work" | wc -l)
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
        execs=${execs:-0}
        total=$((total + execs))
        printf '%s: %s executions in %s s, corpus %s -> %s inputs' "$name" "$execs" "$seconds" "$before" "$after"
    else
        if [ ! -d "$seeds" ] || [ -z "$(ls "$seeds")" ]; then
            echo "$name: no corpus in $seeds, skipped"; continue
        fi
        "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$dir/artifacts/$short/" "$seeds" >"$log" 2>&1
        rc=$?
        printf '%s: replayed %s inputs' "$name" "$(ls "$seeds" | wc -l)"
    fi
    if [ "$rc" -eq 0 ]; then
        echo ", no crash"
    else
        echo ", FAILED (exit $rc)"
        grep -E 'ERROR: |SUMMARY: |^artifact_prefix|Test unit written' "$log" | head -n 8
        echo "  full log: $log"
        failed=1
    fi
done
[ "$found" -eq 0 ] && echo "no fuzz harness built in $dir"
[ "$mode" = fuzz ] && echo "fuzz: $total executions in total"
exit $failed
