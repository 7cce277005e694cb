# tap.sh — the TAP helpers of every shell test (sourced, not run; the test
# then calls scratch, or sets $tmp to its scratch directory itself). A test
# prints "ok N - what" or "not ok N - what" per check, then done_testing
# prints the plan "1..N" and exits 1 if any failed.
#
#   scratch                 $tmp: a new scratch directory, removed at exit
#   TRAIN_PROGRESS          the ERE of train's and finetune's progress lines
#                           on stderr (for $stderr_may, below)
# Results
#   ok STATUS WHAT          passes when STATUS is 0
#   pass WHAT / fail WHAT   a check decided by the caller
#   check WHAT CMD...       passes when CMD exits 0
#   skip WHAT REASON        a check not run, and why
#   skip_all REASON         the whole file is skipped ("1..0 # SKIP REASON")
#   diag FILE...            FILEs as TAP comments
#   done_testing            the plan, and the exit status
# Values (a value that is missing or not a finite number fails the check)
#   value FILE KEY          the value of the line `check: KEY=VALUE` of FILE
#   is FILE KEY WANT        value = WANT
#   below FILE KEY LIMIT [WHY]   0 <= value < LIMIT
#   same WHAT A B           A = B, both non-empty
#   holds WHAT AWK-CONDITION NAME=NUMBER...   the condition on the numbers
#   number V                V is a finite decimal number; $AWK_NUM: num(x) in awk
# Runs of the program under test (set by `tool PATH`)
#   run ARGS...             $tool ARGS: stdout in $tmp/out, stderr in $tmp/err,
#                           status in $rc
#   expect WHAT STATUS [ERE]   the last run exited STATUS; without ERE and
#                           with STATUS 0 its stderr is empty; with ERE,
#                           stderr starts with a line matching ^ERE (the only
#                           line for STATUS 1, a runtime error)
#   ran_clean               the last run exited 0 with nothing on stderr (but
#                           lines matching $stderr_may, a tool's progress)
# A run that none of expect, py or ran_clean judged must have run clean too:
# the next run (or done_testing) notes it, and done_testing checks the notes.
#   py WHAT CODE [ARGS...]  python3 CODE ARGS, the last stdout on stdin; also
#                           fails when the last run did not run clean (unless
#                           an expect has judged it)
#   help_in_doc DOC CMD...  CMD (a --help: "$rk" ARGS or a lesson) exits 0, says
#                           nothing on stderr, and DOC shows its stdout verbatim
#   no_stderr FILE WHAT     FILE (a command's stderr) is empty
# Every run of the tool goes through a wrapper that notes a crash (a signal,
# exit status >= 124, a timeout) or a sanitizer report on stderr, whatever
# the caller then checks; done_testing adds one check that there were none.
n=0
fails=0

scratch() {
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
}

TRAIN_PROGRESS='^(pretrain|finetune): step [0-9]+/[0-9]+ loss [0-9.]+ \(mean since last line\) [0-9]+ samples/s ETA [0-9]+s$'

ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

pass() { ok 0 "$1"; }
fail() { ok 1 "$1"; }

check() {
    _what=$1
    shift
    "$@"
    ok $? "$_what"
}

skip() {
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

diag() { sed 's/^/# /' "$@"; }

no_stderr() {
    if [ -s "$1" ]; then
        diag "$1" | head -n 20
        fail "$2: nothing on stderr"
    else
        pass "$2: nothing on stderr"
    fi
}

# ---- values -----------------------------------------------------------------
value() { sed -n "s/^check: $2=//p" "$1" | head -n 1; }

# number V: V is a finite decimal number (awk would read "nan" or "" as 0)
number() {
    printf '%s\n' "$1" | grep -Eq '^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$'
}

is() {
    _v=$(value "$1" "$2")
    [ -n "$_v" ] && [ "$_v" = "$3" ]
    _st=$?
    [ $_st -eq 0 ] || echo "# $2: got '$_v', want '$3'"
    ok $_st "$2 = $3"
}

below() {
    _v=$(value "$1" "$2")
    number "$_v" && awk -v v="$_v" -v l="$3" 'BEGIN { exit !(v + 0 >= 0 && v + 0 < l + 0) }'
    _st=$?
    echo "# $2 = $_v (limit $3)"
    ok $_st "$2 < $3${4:+ ($4)}"
}

same() {
    [ -n "$2" ] && [ "$2" = "$3" ]
    _st=$?
    [ $_st -eq 0 ] || echo "# got '$2' and '$3'"
    ok $_st "$1"
}

holds() {
    _what=$1 _cond=$2
    shift 2
    _vars="" _st=0
    for _a in "$@"; do
        number "${_a#*=}" || _st=1
        _vars="$_vars -v $_a"
    done
    # shellcheck disable=SC2086
    [ $_st -eq 0 ] && awk $_vars "BEGIN { exit !($_cond) }"
    _st=$?
    [ $_st -eq 0 ] || echo "# values: $*"
    ok $_st "$_what"
}

# AWK_NUM: an awk function num(x), true when the field x is a finite
# decimal number: prefix awk programs with it ("$AWK_NUM"'{ ... }')
AWK_NUM='function num(x) { return x ~ /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/ } '

# fashion_mnist_dir: the directory the lessons read, or empty when its files are missing
fashion_mnist_dir() {
    _d=${RANKLAB_DATA:-/usr/share/datasets/fashion-mnist}
    for _f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
              t10k-labels-idx1-ubyte; do
        [ -f "$_d/$_f.gz" ] || [ -f "$_d/$_f" ] || return 0
    done
    echo "$_d"
}

# ---- runs of the tool -----------------------------------------------------------
tool_bin=""
tool_timeout=${RK_TEST_TOOL_TIMEOUT:-600}

# tool PATH: `$rk ARGS` (and run) call PATH through the wrapper
tool() {
    tool_bin=$1
    rk=tool_run
    : >"$tmp/.tool-crashes"
    : >"$tmp/.tool-unjudged"
}

tool_run() {
    _e=$(mktemp "$tmp/.tool-err.XXXXXX")
    timeout "$tool_timeout" "$tool_bin" "$@" 2>"$_e"
    _st=$?
    cat "$_e" >&2
    if [ $_st -ge 124 ] || grep -Eq 'Sanitizer|runtime error:' "$_e"; then
        echo "exit $_st: ranklab $*: $(head -c 300 "$_e" | tr '\n' ' ')" >>"$tmp/.tool-crashes"
    fi
    rm -f "$_e"
    return $_st
}

run() {
    settle
    "$rk" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    judged=0
    last_run="ranklab $*"
}

# clean_err FILE: FILE (a run's stderr) holds no line but those matching
# $stderr_may (an ERE a test sets for a tool's progress lines; unset: none)
clean_err() {
    if [ -n "${stderr_may:-}" ]; then
        ! grep -Ev "$stderr_may" "$1" | grep -q .
    else
        [ ! -s "$1" ]
    fi
}

# settle: a run that no check judged (expect, py, ran_clean) must have run
# clean; noted for done_testing's check
settle() {
    if [ "${judged:-1}" -eq 0 ] && ! { [ "$rc" -eq 0 ] && clean_err "$tmp/err"; }; then
        echo "exit $rc: $last_run: $(head -c 300 "$tmp/err" | tr '\n' ' ')" >>"$tmp/.tool-unjudged"
    fi
    judged=1
}

ran_clean() {
    judged=1
    [ "$rc" -eq 0 ] && clean_err "$tmp/err"
}

expect() {
    _what=$1 _want=$2 _re=${3:-}
    _good=0
    [ "$rc" -eq "$_want" ] || _good=1
    if [ "$_want" -eq 0 ] && [ -z "$_re" ]; then
        clean_err "$tmp/err" || _good=1
    elif [ -n "$_re" ]; then
        grep -Eq "^$_re" "$tmp/err" || _good=1
        [ "$_want" -ne 1 ] || [ "$(wc -l <"$tmp/err")" -eq 1 ] || _good=1
    fi
    if [ $_good -ne 0 ]; then
        echo "# exit status $rc, wanted $_want; stderr:"
        diag "$tmp/err"
    fi
    judged=1
    ok $_good "$_what"
}

py() {
    _what=$1 _code=$2
    shift 2
    _st=0
    if [ "${judged:-1}" -eq 0 ] && ! ran_clean; then   # (ran_clean judges it)
        echo "# the run before exited $rc; stderr:"
        diag "$tmp/err"
        _st=1
    fi
    python3 -c "$_code" "$@" <"$tmp/out" >"$tmp/py" 2>&1 || _st=1
    [ -s "$tmp/py" ] && diag "$tmp/py"
    ok $_st "$_what"
}

help_in_doc() {
    _doc=$1
    shift
    "$@" </dev/null >"$tmp/help" 2>"$tmp/help.err"
    _st=$?
    [ $_st -eq 0 ] && [ -s "$tmp/help" ] && [ ! -s "$tmp/help.err" ] \
        && python3 -c 'import sys; sys.exit(open(sys.argv[1]).read() not in open(sys.argv[2]).read())' \
            "$tmp/help" "$_doc"
    _st=$?
    [ $_st -eq 0 ] || diag "$tmp/help.err"
    _prog=$1
    [ "$_prog" = tool_run ] && _prog=ranklab
    shift
    ok $_st "${_doc#"$RK_SOURCE_ROOT"/} shows '${_prog##*/} $*' as it is"
}

done_testing() {
    if [ -n "$tool_bin" ]; then
        settle
        [ ! -s "$tmp/.tool-crashes" ]
        _st=$?
        [ $_st -eq 0 ] || diag "$tmp/.tool-crashes"
        ok $_st "no run of ranklab crashed, hung or reported a sanitizer error"
        [ ! -s "$tmp/.tool-unjudged" ]
        _st=$?
        [ $_st -eq 0 ] || diag "$tmp/.tool-unjudged"
        ok $_st "every run that no check judged exited 0 with nothing on stderr"
    fi
    echo "1..$n"
    [ "$fails" -eq 0 ]
    exit
}
