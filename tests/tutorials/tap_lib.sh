# tap_lib.sh — what the lesson tests share beyond tests/tap.sh (sourced, not
# run): the lesson under test, a lesson without its dataset, and the shape of
# a lesson's output.
. "$RK_SOURCE_ROOT/tests/tap.sh"

# lesson NN [ranklab]: $T the lesson's program, $tmp a scratch directory removed
# at exit; with "ranklab", $RANKLAB runs the ranklab command through tap.sh's
# crash-noting wrapper (tool)
lesson() {
    T="$RK_BUILD_ROOT/tutorials/ranklab-tutorial-$1"
    scratch
    if [ "${2:-}" = ranklab ]; then
        tool "$RK_BUILD_ROOT/tools/ranklab"
        RANKLAB=$rk
    fi
}

# missing_data_fails EXE: without the dataset the lesson says how to get it and exits 1
missing_data_fails() {
    RANKLAB_DATA="$tmp/no-such-dir" "$1" --no-pause --check </dev/null >"$tmp/nodata" 2>"$tmp/nodata.err"
    st=$?
    [ $st -eq 1 ] && grep -q 'dataset-fashion-mnist' "$tmp/nodata.err"
    st2=$?
    [ $st2 -eq 0 ] || echo "# exit $st; stderr: $(head -c 300 "$tmp/nodata.err")"
    ok $st2 "without Fashion-MNIST: exit 1, and stderr names the Debian package dataset-fashion-mnist"
}

# steps_ok FILE N [PAGE]: N numbered steps, each with Read alongside and Docs
# lines (each Docs line names PAGE first; by default a page of docs/tutorials/)
steps_ok() {
    steps=$(grep -c "^== Step [0-9]* of $2: " "$1")
    [ "$steps" -eq "$2" ]; ok $? "$2 numbered steps (found $steps)"
    reads=$(grep -c '^Read alongside: lib/' "$1")
    [ "$reads" -eq "$2" ]; ok $? "every step ends with Read alongside: lib/... (found $reads)"
    docs=$(grep -c "^Docs: ${3:-docs/tutorials/}" "$1")
    [ "$docs" -eq "$2" ]; ok $? "every step names its docs page (found $docs)"
}

# exits CODE DESCRIPTION ARGS...: the lesson $T exits with CODE
exits() {
    want=$1; desc=$2; shift 2
    "$T" "$@" </dev/null >"$tmp/out" 2>"$tmp/err"; got=$?
    [ "$got" -eq "$want" ]; st=$?
    [ $st -eq 0 ] || echo "# exit $got, want $want; stderr: $(head -c 200 "$tmp/err")"
    ok $st "$desc: exit $want"
}

# list_ok N: --list exits 0 and lists N numbered steps (its output kept in $tmp/list)
list_ok() {
    "$T" --list </dev/null >"$tmp/list"; st=$?
    lines=$(grep -cE '^ +[1-9]  ' "$tmp/list")
    [ $st -eq 0 ] && [ "$lines" -eq "$1" ]; ok $? "--list: exit 0 and $1 steps listed"
}

# help_ok NN: --help exits 0 and shows the lesson's usage line and its --quick
help_ok() {
    "$T" --help </dev/null >"$tmp/help"; st=$?
    [ $st -eq 0 ] && grep -q "^usage: ranklab-tutorial-$1" "$tmp/help" && grep -q -- '--quick' "$tmp/help"
    ok $? "--help: usage with the lesson's options, exit 0"
}
