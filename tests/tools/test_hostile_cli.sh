#!/bin/sh
# test_hostile_cli.sh — ranklab given what it should refuse: FIFOs, devices,
# directories and empty files as inputs, outputs it cannot write (a directory,
# a file size limit, a full stdout), absurd sizes for `random`, NaN/Inf and
# empty (0×n, m×0) matrices for every command, file names that look like
# options, repeated options. Every case must end with a clear one-line message
# and the documented exit status, never hang, crash or leave a temporary file.
# Speaks TAP; inputs are written with python3's standard library only.
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT, RK_TEST_DATA.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
. "$RK_SOURCE_ROOT/tests/tap.sh"
tool "$rk"
tool_timeout=20   # a hang is a failure (status 124), noted by the wrapper

# no_temp DESC: no FILE.tmp-* is left in the directory.
no_temp() {
    if ls ./*.tmp-* >/dev/null 2>&1 || ls ./*/*.tmp-* >/dev/null 2>&1; then
        fail "$1"
        ls ./*.tmp-* ./*/*.tmp-* 2>/dev/null | diag
    else
        pass "$1"
    fi
}

# npy FILE ROWS COLS VALUE...: a little-endian float64 .npy (VALUE may be nan, inf).
npy() {
    python3 - "$@" <<'EOF'
import struct, sys
path, r, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
vals = [float(v) for v in sys.argv[4:]]
d = "{'descr': '<f8', 'fortran_order': False, 'shape': (%d, %d), }" % (r, c)
d += " " * (63 - (10 + len(d)) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(d)) + d.encode())
    f.write(struct.pack("<%dd" % len(vals), *vals))
EOF
}

run random --rows 3 --cols 4 --seed 1 -o ok.npy
expect "random writes the 3 x 4 matrix the cases read" 0
[ -s ok.npy ] || { echo "Bail out! cannot make a matrix"; exit 1; }

# ---- inputs that are not regular files ----------------------------------
mkfifo fifo.npy
for cmd in svd rank ls; do
    run "$cmd" fifo.npy
    expect "$cmd of a FIFO: exit 1 at once, not a regular file" 1 "ranklab $cmd: fifo.npy: not a regular file"
done
run approx -k 1 fifo.npy
expect "approx of a FIFO: exit 1 at once" 1 "ranklab approx: fifo.npy: not a regular file"
mkfifo fifo
run svd fifo
expect "svd of a FIFO without extension: exit 1 at once" 1 "ranklab svd: fifo: not a regular file"
run svd fifo.safetensors:W
expect "svd of a FIFO as safetensors: exit 1 at once" 1 "ranklab svd: fifo.safetensors:W: no such file"
cp ok.npy pipe-src.npy
"$rk" svd /dev/stdin <pipe-src.npy >out 2>err
rc=$?
expect "svd of /dev/stdin (a file behind it) reads it" 0
cat pipe-src.npy | "$rk" svd /dev/stdin >out 2>err
rc=$?
expect "svd of /dev/stdin from a pipe: exit 1, not a regular file" 1 "ranklab svd: /dev/stdin: not a regular file"
run svd /dev/zero
expect "svd of /dev/zero: exit 1, not a regular file" 1 "ranklab svd: /dev/zero: not a regular file"
run ls /dev/zero
expect "ls of /dev/zero: exit 1" 1 "ranklab ls: /dev/zero: not a regular file"
mkdir dir.npy
run rank dir.npy
expect "rank of a directory: exit 1 saying so" 1 "ranklab rank: dir.npy: not a regular file \(a directory\)"
: >empty.npy
run svd empty.npy
expect "svd of a 0-byte file: exit 1" 1 "ranklab svd: empty.npy: file is empty"
run ls empty.npy
expect "ls of a 0-byte file: exit 1" 1 "ranklab ls: empty.npy: file is empty"

# ---- outputs that cannot be written --------------------------------------
run random --rows 2 --cols 2 -o dir.npy
expect "random onto a directory: exit 1" 1 "ranklab random: dir.npy: is a directory"
no_temp "no temporary file left after writing onto a directory"
( ulimit -f 1; "$rk" random --rows 200 --cols 200 -o limited.npy >out 2>err; echo $? >rc )
rc=$(cat rc)
expect "random past ulimit -f: exit 1 (no SIGXFSZ kill)" 1 "ranklab random: limited.npy: write failed: File too large"
no_temp "no temporary file left after ulimit -f"
if [ ! -e limited.npy ]; then pass "no partial output after ulimit -f"; else fail "no partial output after ulimit -f"; fi
( ulimit -f 1; "$rk" approx -k 1 ok.npy --factors lim >/dev/null 2>err; echo $? >rc )
rc=$(cat rc)
expect "approx --factors under ulimit -f, files within it: exit 0" 0
[ -s lim_B.npy ] && [ -s lim_A.npy ] && [ "$(wc -c <lim_B.npy)" -le 512 ] && [ "$(wc -c <lim_A.npy)" -le 512 ]
ok $? "... and it wrote lim_B.npy and lim_A.npy, each within the 512-byte limit"
( ulimit -f 1; "$rk" svd ok.npy >big-report.txt 2>err; echo $? >rc )
rc=$(cat rc)
expect "svd whose report on stdout passes ulimit -f: exit 1" 1 "ranklab svd: cannot write the output: File too large"
if [ -w /dev/full ]; then
    "$rk" svd ok.npy >/dev/full 2>err
    rc=$?
    expect "svd with stdout on a full disk: exit 1" 1 "ranklab svd: cannot write the output: No space left on device"
    "$rk" random --rows 2 --cols 2 -o full.npy >/dev/full 2>err
    rc=$?
    expect "random with stdout on a full disk: exit 1" 1 "ranklab random: cannot write the output"
else
    skip "svd with stdout on a full disk" "no /dev/full"
    skip "random with stdout on a full disk" "no /dev/full"
fi
long=$(python3 -c 'print("a" * 300)')
run random --rows 2 --cols 2 -o "$long.npy"
expect "random to a 300-character name: exit 1" 1 "ranklab random: a+\.npy: .*File name too long"
run svd "$long.npy"
expect "svd of a 300-character name: exit 1" 1 "ranklab svd: a+\.npy: cannot open: File name too long"
umask 022
run random --rows 2 --cols 2 -o mode.npy
expect "random -o mode.npy" 0
if [ "$(stat -c %a mode.npy 2>/dev/null)" = 644 ]; then
    pass "outputs get 0666 less the umask (644 under 022)"
else
    fail "outputs get 0666 less the umask (644 under 022)"
    echo "# mode $(stat -c %a mode.npy 2>&1)"
fi
cp ok.npy unreadable.npy
chmod 000 unreadable.npy
if [ "$(id -u)" = 0 ]; then
    skip "svd of an unreadable file: exit 1" "running as root, chmod 000 does not stop reading"
else
    run svd unreadable.npy
    expect "svd of an unreadable file: exit 1" 1 "ranklab svd: unreadable.npy: cannot open: Permission denied"
fi

# ---- absurd sizes for random ----------------------------------------------
run random --rows 100000 --cols 100000 -o huge.npy
expect "random 100000 x 100000 (80 GB): refused before allocating" 1 \
    "ranklab random: huge.npy: out of memory: a 100000 x 100000 matrix needs 80 GB"
run random --rows 100000 --cols 100000 --rank 2 -o huge.npy
expect "random 100000 x 100000 --rank 2: refused before allocating" 1 "ranklab random: huge.npy: out of memory"
run random --rows 18446744073709551615 --cols 2 -o huge.npy
expect "random with a dimension over BLAS/LAPACK's int: usage error naming the option and the limit" 2 \
    "ranklab random: --rows 18446744073709551615 is more than 2147483647"
run random --rows 2147483647 --cols 2147483647 -o huge.npy
expect "random 2^31-1 x 2^31-1 (32 EiB): refused before allocating" 1 "ranklab random: huge.npy: out of memory"
run random --rows 18446744073709551616 --cols 2 -o huge.npy
expect "random --rows beyond 2^64: usage error" 2 "ranklab random: --rows wants an integer"
if [ ! -e huge.npy ]; then pass "nothing written for refused sizes"; else fail "nothing written for refused sizes"; fi

# ---- NaN, Inf and empty matrices for every command ------------------------
npy nan.npy 2 2 1 nan 2 3
npy inf.npy 2 2 1 inf 2 3
npy ninf.npy 1 3 -inf 0 1
for f in nan.npy inf.npy ninf.npy; do
    for cmd in svd rank; do
        run "$cmd" "$f"
        expect "$cmd of $f: exit 1" 1 "ranklab $cmd: $f: input contains NaN or Inf"
    done
    run approx -k 1 -o out-$f "$f"
    expect "approx of $f: exit 1, nothing written" 1 "ranklab approx: $f: input contains NaN or Inf"
    [ ! -e "out-$f" ]; ok $? "approx of $f wrote nothing"
done
run ls nan.npy
expect "ls of a NaN matrix lists it (no arithmetic)" 0
grep -Eq "shape +\(2, 2\)" out; ok $? "... with its shape (2, 2)"
for shape in "0 3" "3 0" "0 0"; do
    set -- $shape
    f="empty-$1x$2.npy"
    run random --rows "$1" --cols "$2" -o "$f"
    expect "random --rows $1 --cols $2: exit 0" 0
    for cmd in svd rank ls; do
        run $cmd "$f"
        expect "$cmd of a $1 x $2 matrix: exit 0" 0
    done
    grep -Eq "shape +\($1, $2\)" out; ok $? "ls of the $1 x $2 matrix shows its shape"
    run svd --json "$f"
    py "svd --json of a $1 x $2 matrix: shape [$1, $2], rank 0, no singular values" '
import json, sys
d = json.load(sys.stdin)
assert d["shape"] == [int(sys.argv[1]), int(sys.argv[2])] and d["rank"] == 0, d
assert d["singular_values"] == [], d["singular_values"]
' "$1" "$2"
    run rank --json "$f"
    py "rank --json of a $1 x $2 matrix: rank 0" '
import json, sys
d = json.load(sys.stdin)
assert d["shape"] == [int(sys.argv[1]), int(sys.argv[2])] and d["rank"] == 0, d
' "$1" "$2"
    run approx -k 0 -o "ak-$f" --factors "fac-$1x$2" --json "$f"
    py "approx -k 0 of a $1 x $2 matrix: k 0, no error, no parameters" '
import json, sys
d = json.load(sys.stdin)
assert d["k"] == 0 and d["shape"] == [int(sys.argv[1]), int(sys.argv[2])], d
assert d["frobenius_error"] == 0 and d["params_factors"] == 0, d
' "$1" "$2"
    run ls "ak-$f"
    expect "the $1 x $2 approximation reads back" 0
    grep -Eq "shape +\($1, $2\)" out; ok $? "... as a $1 x $2 matrix"
    run ls "fac-$1x$2_B.npy"
    expect "the factor B of the $1 x $2 matrix reads back" 0
    grep -Eq "shape +\($1, 0\)" out; ok $? "... as $1 x 0"
    run ls "fac-$1x$2_A.npy"
    expect "the factor A of the $1 x $2 matrix reads back" 0
    grep -Eq "shape +\(0, $2\)" out; ok $? "... as 0 x $2"
    run approx -k 1 "$f"
    expect "approx -k 1 of a $1 x $2 matrix: exit 1, k > min(m, n)" 1 \
        "ranklab approx: $f: k = 1 is more than min\(m, n\) = 0"
    run random --rows "$1" --cols "$2" --rank 1 -o x.npy
    expect "random --rank 1 of a $1 x $2 matrix: usage error" 2 "ranklab random: --rank 1 is more than"
done
run approx -k 4 ok.npy
expect "approx -k above min(m, n): exit 1" 1 "ranklab approx: ok.npy: k = 4 is more than min\(m, n\) = 3"

# ---- names like options, repeated options ---------------------------------
cp ok.npy ./--json
run svd -- --json
expect "svd -- --json reads the file named --json" 0
grep -q "^matrix *--json" out; ok $? "... and prints a text report for it"
cp ok.npy ./-k
run approx -k 1 -- -k
expect "approx -k 1 -- -k reads the file named -k" 0
grep -Eq '^parameters k\(m\+n\) +7 ' out; ok $? "... and approximates it (k(m+n) = 7 parameters)"
run random --rows 2 --rows 3 --cols 2 -o rep.npy
expect "random with --rows twice: exit 0" 0
run ls rep.npy
grep -q "shape *(3, 2)" out; ok $? "the last --rows wins"
run random --rows 2 --cols 2 -o a.npy -o b.npy
ran_clean && [ ! -e a.npy ] && [ -e b.npy ]; ok $? "the last -o wins"
for seed in 010 10 0xa; do
    run random --rows 2 --cols 2 --seed $seed -o s$seed.npy
    expect "random --seed $seed" 0
done
if cmp -s s010.npy s10.npy && cmp -s s0xa.npy s10.npy; then
    pass "--seed 010 is ten, like 10 and 0xa (no octal)"
else
    fail "--seed 010 is ten, like 10 and 0xa (no octal)"
fi
run random --rows 2 --cols 2 --seed 0x -o x.npy
expect "--seed 0x: usage error" 2 "ranklab random: --seed wants"
run rank --tol 1 --rtol 0.5 ok.npy
expect "rank --tol with --rtol: usage error" 2 "ranklab rank: --tol and --rtol exclude each other"
no_temp "no temporary file left anywhere"

done_testing
