#!/bin/sh
# test_runner.sh — the step-runner's behaviour beyond lesson 1, on a small
# test lesson (runner_lesson.c): the plot hook, --no-plot, quiet prefixes,
# a failing step (exit 1), --out, --seed, lesson options. Argument: the
# test lesson executable. TAP output.
L="$1"
. "$RK_SOURCE_ROOT/tests/tap.sh"
scratch
# lrun ARGS...: run the test lesson, stdout in $tmp/out, stderr in $tmp/err, status in $tmp/rc
lrun() { "$L" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"; echo $? >"$tmp/rc"; }
rc() { cat "$tmp/rc"; }
has() { grep -q -- "$1" "$tmp/out"; }

lrun --no-pause --check
[ "$(rc)" -eq 0 ] && has '^PLOT-DRAWN spectrum$'; ok $? "the plot hook draws on the step's output"
has '^(no terminal plot: '; ok $? "a plot that cannot be drawn is one line, not an error"
has '^check: steps_run=3$' && has '^check: quiet_was=0$'; ok $? "all steps ran, loudly"
has '^Read alongside: lib/core/rng.c rk_rng_seed()$' && has '^Docs: docs/index.md$'
ok $? "Read alongside and Docs lines"
has '^seed 42, out (none)$'; ok $? "the lesson's default seed"

lrun --no-pause --no-plot
[ "$(rc)" -eq 0 ] && ! has 'PLOT-DRAWN' && ! has 'no terminal plot'; ok $? "--no-plot: no plots"

lrun --step 3 --check
[ "$(rc)" -eq 0 ] && ! has 'PLOT-DRAWN' && ! has '^check: one=' && has '^check: steps_run=3$'
ok $? "--step 3: earlier steps run silently (no plot, no checks) and first"

lrun --no-pause --fail yes
[ "$(rc)" -eq 1 ] && grep -q '^runner-lesson: step 3 (Last): ' "$tmp/err" && ! has '^End of'
ok $? "a failing step: exit 1, one line on stderr naming the step"

lrun --no-pause --fail maybe
[ "$(rc)" -eq 2 ] && grep -q "bad value for --fail: 'maybe'" "$tmp/err"; ok $? "a bad lesson option value: exit 2"

lrun --no-pause --step 1 --seed 0x10 --out "$tmp/a/b"
[ "$(rc)" -eq 0 ] && has "^seed 16, out $tmp/a/b\$" && [ ! -e "$tmp/a" ] && has "so it was not kept"
ok $? "--seed and --out reach the steps; DIR (and a/) made for nothing is not left behind"

: >"$tmp/file"
lrun --no-pause --out "$tmp/file/sub"
[ "$(rc)" -eq 1 ] && grep -q "^runner-lesson: $tmp/file/sub: " "$tmp/err"; ok $? "--out that cannot be made: exit 1"

lrun --step
[ "$(rc)" -eq 2 ] && grep -q "needs a value" "$tmp/err"; ok $? "--step without a value: exit 2"

lrun --help
[ "$(rc)" -eq 0 ] && has '^  --fail yes|no ' ; ok $? "--help lists the lesson's own options"

lrun --no-pause --check --twice
[ "$(rc)" -eq 0 ] && has '^check: steps_run=4$'; ok $? "a flag option (no value) reaches the lesson"
lrun --no-pause --twice=yes
[ "$(rc)" -eq 2 ] && grep -q "doesn't allow an argument\|unknown option\|bad value" "$tmp/err"
ok $? "a flag option given a value: exit 2"
lrun --help
has '^  --twice  ' && ! has '^  --twice (null)'; ok $? "--help shows a flag option without a value"

done_testing
