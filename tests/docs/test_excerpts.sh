#!/bin/sh
# test_excerpts.sh NN — the output excerpts of lesson NN's page
# (docs/tutorials/NN-*.md) are real output: the lesson's default run, read
# by tests/docs/excerpts.py, which compares words and layout exactly and
# every number exactly unless the page's `<!-- vary ... -->` rule above the
# excerpt gives its tolerance (rounding level: order of magnitude and bound;
# trained figures: within a stated tolerance). Lessons 2-5 read
# Fashion-MNIST and skip without it. TAP output.
set -u
NN=$1
N=${NN#0}
T="$RK_BUILD_ROOT/tutorials/ranklab-tutorial-$NN"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"

page=$(ls "$RK_SOURCE_ROOT"/docs/tutorials/"$NN"-*.md 2>/dev/null)
if [ -z "$page" ]; then
    ok 1 "lesson $N has its page docs/tutorials/$NN-*.md"
    done_testing
fi
if [ "$N" -gt 1 ] && [ -z "$(fashion_mnist_dir)" ]; then
    skip_all "Fashion-MNIST not installed (Debian package dataset-fashion-mnist)"
fi

timeout 600 "$T" --no-pause --no-plot </dev/null >"$tmp/out" 2>"$tmp/err"
ok $? "lesson $N: the default run exits 0"
no_stderr "$tmp/err" "lesson $N"
python3 "$RK_SOURCE_ROOT/tests/docs/excerpts.py" check "$page" "$tmp/out" >"$tmp/diff"
st=$?; cat "$tmp/diff"
ok $st "${page#"$RK_SOURCE_ROOT"/}: every excerpt is real output (refresh: tests/docs/excerpts.py refresh PAGE OUTPUT)"
done_testing
