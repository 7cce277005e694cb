# tap.sh — the TAP helpers of every shell test (sourced, not run). Each test
# prints "ok N - what" or "not ok N - what", then its plan "1..N" from
# done_testing, and exits 1 if any failed.
#   ok STATUS WHAT          passes when STATUS is 0
#   skip WHAT REASON        a check not run, and why
#   skip_all REASON         the whole file is skipped ("1..0 # SKIP REASON")
#   no_stderr FILE WHAT     FILE (a command's stderr) is empty
#   check FILE KEY          the value of the `check: KEY=VALUE` line of FILE
#   done_testing            the plan, and the exit status
n=0
fails=0

ok() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=$((fails + 1)); fi
}

skip() {
    n=$((n + 1))
    echo "ok $n - $1 # SKIP $2"
}

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

no_stderr() {
    if [ -s "$1" ]; then
        sed 's/^/# stderr: /' "$1" | head -n 20
        ok 1 "$2: nothing on stderr"
    else
        ok 0 "$2: nothing on stderr"
    fi
}

check() { sed -n "s/^check: $2=//p" "$1" | head -n 1; }

# fashion_mnist_dir: the directory the lessons read, or empty when its files are missing
fashion_mnist_dir() {
    d=${RANKLAB_DATA:-/usr/share/datasets/fashion-mnist}
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
             t10k-labels-idx1-ubyte; do
        [ -f "$d/$f.gz" ] || [ -f "$d/$f" ] || return 0
    done
    echo "$d"
}

done_testing() {
    echo "1..$n"
    [ "$fails" -eq 0 ]
    exit
}
