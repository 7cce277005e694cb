# tap_lib.sh — TAP helpers shared by the lesson tests (sourced, not run):
# ok, check, is, below, between, same, and the Fashion-MNIST check.
. "$RK_SOURCE_ROOT/tests/tap.sh"

# is FILE KEY EXPECTED: exact value
is() {
    v=$(check "$1" "$2")
    [ "$v" = "$3" ]; st=$?
    [ $st -eq 0 ] || echo "# $2: got '$v', want '$3'"
    ok $st "$2 = $3"
}

# below FILE KEY LIMIT [WHY]: 0 <= value < limit
below() {
    v=$(check "$1" "$2")
    awk -v v="$v" -v l="$3" 'BEGIN { exit !(v != "" && v + 0 >= 0 && v + 0 < l + 0) }'; st=$?
    echo "# $2 = $v (limit $3)"
    ok $st "$2 < $3${4:+ ($4)}"
}

# holds DESCRIPTION AWK_CONDITION NAME=VALUE...: an awk condition on named numbers
holds() {
    desc=$1; cond=$2; shift 2
    vars=""
    for a in "$@"; do vars="$vars -v $a"; done
    # shellcheck disable=SC2086
    awk $vars "BEGIN { exit !($cond) }"; st=$?
    [ $st -eq 0 ] || echo "# values: $*"
    ok $st "$desc"
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

# steps_ok FILE N: N numbered steps, each with Read alongside and Docs lines
steps_ok() {
    steps=$(grep -c "^== Step [0-9]* of $2: " "$1")
    [ "$steps" -eq "$2" ]; ok $? "$2 numbered steps (found $steps)"
    reads=$(grep -c '^Read alongside: lib/' "$1")
    [ "$reads" -eq "$2" ]; ok $? "every step ends with Read alongside: lib/... (found $reads)"
    docs=$(grep -c '^Docs: docs/tutorials/' "$1")
    [ "$docs" -eq "$2" ]; ok $? "every step names its docs page (found $docs)"
}
