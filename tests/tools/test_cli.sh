#!/bin/sh
# test_cli.sh — the first ranklab commands (svd, rank, approx, random) from
# the outside: exit codes and messages, --help/help/--version, consistency
# between the commands, errors of rank-k approximations against the spectrum,
# JSON validity, and `svd --json` against numpy's values for numpy-written
# fixtures. Speaks TAP; JSON is read with python3's json module only.
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT, RK_TEST_DATA.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
data="$RK_TEST_DATA"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"
tool "$rk"

# json FILE ARGS...: save the JSON output of `ranklab ARGS` as $tmp/FILE.json,
# checking that it ran clean
json() { f=$1; shift; run "$@"; cp "$tmp/out" "$tmp/$f.json"; expect "ranklab $*: exit 0" 0; }

# ---- the command line itself --------------------------------------------
for c in svd rank approx random; do
    run "$c" --help
    if ran_clean && head -n 1 "$tmp/out" | grep -q "^usage: ranklab $c " && [ ! -s "$tmp/err" ]; then
        pass "$c --help prints its usage on stdout, exit 0"
    else
        fail "$c --help prints its usage on stdout, exit 0"
    fi
    cp "$tmp/out" "$tmp/help_opt"
    run help "$c"
    if ran_clean && cmp -s "$tmp/out" "$tmp/help_opt"; then
        pass "ranklab help $c says what $c --help says"
    else
        fail "ranklab help $c says what $c --help says"
    fi
done
# Each command's page in docs/tools/ shows its --help text verbatim.
for c in svd rank approx random; do
    help_in_doc "$RK_SOURCE_ROOT/docs/tools/$c.md" "$rk" "$c" --help
done
run --version
if ran_clean && grep -Eq '^ranklab [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"; then
    pass "--version prints 'ranklab X.Y.Z'"
else
    fail "--version prints 'ranklab X.Y.Z'"
fi
run help
if ran_clean && grep -q '^  svd ' "$tmp/out" && grep -q '^  random ' "$tmp/out"; then
    pass "ranklab help lists the commands"
else
    fail "ranklab help lists the commands"
fi
run frobnicate
expect "unknown command: exit 2" 2 "ranklab: 'frobnicate' is not a ranklab command"
run help frobnicate
expect "help for an unknown command: exit 2" 2 "ranklab: 'frobnicate' is not a ranklab command"
run
expect "no command: exit 2" 2

# ---- runtime errors: one line 'ranklab CMD: FILE: problem', exit 1 -------
run svd "$tmp/missing.npy"
expect "svd of a missing file: exit 1 naming the file" 1 "ranklab svd: $tmp/missing.npy: .+"
run rank "$tmp/missing.npy"
expect "rank of a missing file: exit 1 naming the file" 1 "ranklab rank: $tmp/missing.npy: .+"
printf 'this is not a numpy file\n' >"$tmp/text.npy"
run svd "$tmp/text.npy"
expect "svd of a non-.npy file: exit 1 naming the file" 1 "ranklab svd: $tmp/text.npy: .+"
run approx "$tmp/text.npy" -k 1
expect "approx of a non-.npy file: exit 1 naming the file" 1 "ranklab approx: $tmp/text.npy: .+"
run random --rows 6 --cols 5 --seed 3 -o "$tmp/g65.npy"
expect "random writes the 6x5 fixture" 0
size=$(wc -c <"$tmp/g65.npy")
head -c $((size - 8)) "$tmp/g65.npy" >"$tmp/trunc.npy"
run svd "$tmp/trunc.npy"
expect "svd of a truncated .npy: exit 1 naming the file" 1 "ranklab svd: $tmp/trunc.npy: .+"
head -c 20 "$tmp/g65.npy" >"$tmp/trunc_header.npy"
run rank "$tmp/trunc_header.npy"
expect "rank of a .npy cut inside its header: exit 1" 1 "ranklab rank: $tmp/trunc_header.npy: .+"
run random --rows 3 --cols 3 -o "$tmp/no/such/dir/x.npy"
expect "random into a missing directory: exit 1 naming the file" 1 "ranklab random: $tmp/no/such/dir/x.npy: .+"
run approx "$tmp/g65.npy" -k 6
expect "approx -k beyond min(m, n): exit 1 naming the file and min(m, n)" 1 \
    "ranklab approx: $tmp/g65.npy: k = 6 is more than min\(m, n\) = 5"
run approx "$tmp/g65.npy" -k 2 -o "$tmp/no/such/dir/a2.npy"
expect "approx -o into a missing directory: exit 1 naming the output" 1 "ranklab approx: $tmp/no/such/dir/a2.npy: .+"
if command -v python3 >/dev/null 2>&1; then
    # A 2x2 float64 .npy holding a NaN, written byte by byte.
    python3 -c '
import struct, sys
h = "{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: (2, 2), }"
h += " " * (64 - 10 - len(h) - 1) + "\n"
sys.stdout.buffer.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode()
                        + struct.pack("<4d", 1.0, float("nan"), 0.0, 1.0))' >"$tmp/nan.npy"
    run svd "$tmp/nan.npy"
    expect "svd of a matrix holding NaN: exit 1" 1 "ranklab svd: $tmp/nan.npy: .*(NaN|nan)"
else
    skip "svd of a matrix holding NaN: exit 1" "python3 missing"
fi

# ---- usage errors: exit 2 -------------------------------------------------
run svd --frobnicate "$tmp/g65.npy"
expect "unknown long option: exit 2" 2 "ranklab svd: unknown option '--frobnicate'"
run svd --json=yes "$tmp/g65.npy"
expect "argument to an option that takes none: exit 2" 2 "ranklab svd: option '--json' takes no argument"
run rank -x "$tmp/g65.npy"
expect "unknown short option: exit 2" 2 "ranklab rank: unknown option '-x'"
run svd "$tmp/g65.npy" --top
expect "option without its argument: exit 2" 2 "ranklab svd: option '--top' needs an argument"
run approx "$tmp/g65.npy" -k
expect "-k without its argument: exit 2" 2 "ranklab approx: option '-k' needs an argument"
run svd --top ten "$tmp/g65.npy"
expect "--top ten: exit 2" 2 "ranklab svd: --top wants an integer"
run rank --tol -1 "$tmp/g65.npy"
expect "--tol -1: exit 2" 2 "ranklab rank: --tol wants a finite number >= 0"
run rank --rtol nan "$tmp/g65.npy"
expect "--rtol nan: exit 2" 2 "ranklab rank: --rtol wants a finite number >= 0"
run svd --tol 1e-3 --rtol 1e-3 "$tmp/g65.npy"
expect "--tol with --rtol: exit 2" 2 "ranklab svd: --tol and --rtol exclude each other"
run rank
expect "rank without FILE: exit 2" 2 "ranklab rank: missing FILE"
run svd "$tmp/g65.npy" "$tmp/g65.npy"
expect "svd with two files: exit 2" 2 "ranklab svd: unexpected argument"
run approx "$tmp/g65.npy"
expect "approx without -r: exit 2" 2 "ranklab approx: missing -r"
run approx "$tmp/g65.npy" -k -1
expect "approx -k -1 (the earlier spelling of -r): exit 2" 2 "ranklab approx: --rank must be >= 0, not -1"
run approx "$tmp/g65.npy" -k 2 --balanced
expect "approx --balanced without --factors: exit 2" 2 "ranklab approx: --balanced only applies to --factors"
run random --rows 10 --cols 10 --rank 11 -o "$tmp/r.npy"
expect "random --rank above min(M, N): exit 2" 2 "ranklab random: --rank 11 is more than min\(M, N\) = 10"
run random --rows 10 --cols 10
expect "random without -o: exit 2" 2 "ranklab random: missing -o"
run random --rows 10 -o "$tmp/r.npy"
expect "random without --cols: exit 2" 2 "ranklab random: missing --rows M or --cols N"
run random --rows 10 --cols 10 --dtype f2 -o "$tmp/r.npy"
expect "random --dtype f2: exit 2" 2 "ranklab random: --dtype is f8 or f4"
run random --rows 10 --cols 10 --seed -5 -o "$tmp/r.npy"
expect "random --seed -5: exit 2" 2 "ranklab random: --seed wants"
if [ ! -e "$tmp/r.npy" ]; then pass "usage errors write no file"; else fail "usage errors write no file"; fi

# ---- what the commands compute ---------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
    skip "what svd, rank, approx and random compute (about 25 checks)" "python3 is missing: the JSON is read with it"
    done_testing
fi

run random --rows 20 --cols 15 --rank 3 --seed 7 -o "$tmp/r3.npy"
expect "random --rank 3 writes a 20x15 matrix" 0
run rank "$tmp/r3.npy"
if ran_clean && grep -q '^rank 3$' "$tmp/out"; then
    pass "rank of randn(20,3)·randn(3,15) is 3"
else
    fail "rank of randn(20,3)·randn(3,15) is 3"
    diag "$tmp/out" "$tmp/err"
fi
run svd --json "$tmp/r3.npy"
py "svd --json of the rank-3 matrix: valid JSON, shape [20, 15], 15 values, rank 3" '
import json, sys
d = json.load(sys.stdin)
s = d["singular_values"]
assert d["shape"] == [20, 15], d["shape"]
assert len(s) == 15 and all(a >= b >= 0 for a, b in zip(s, s[1:])), s
assert d["rank"] == 3 and d["tol_rule"] == "default", (d["rank"], d["tol_rule"])
eps = 2.0 ** -52
assert d["tol"] == s[0] * 20 * eps, (d["tol"], s[0] * 20 * eps)
assert s[2] > d["tol"] >= s[3]
for k in ("stable_rank", "effective_rank", "condition_number", "nuclear_norm", "spectral_norm"):
    assert k in d, k
assert 1 <= d["stable_rank"] <= 3 and 1 <= d["effective_rank"] <= 3 + 1e-6
'
run rank --json "$tmp/r3.npy"
py "rank --json agrees with svd --json" '
import json, sys
d = json.load(sys.stdin)
assert d["rank"] == 3 and d["shape"] == [20, 15] and d["tol"] > 0, d
'
run rank --rtol 0.5 --json "$tmp/r3.npy"
expect "rank --rtol 0.5 --json" 0
cp "$tmp/out" "$tmp/rtol.json"
run svd --json "$tmp/r3.npy"
py "--rtol 0.5 counts the sigma_i > 0.5*sigma_1" '
import json, sys
r = json.load(open(sys.argv[1])); d = json.load(sys.stdin); s = d["singular_values"]
assert r["tol_rule"] == "rtol" and r["tol_option"] == 0.5 and r["tol"] == 0.5 * s[0], r
assert r["rank"] == sum(1 for x in s if x > 0.5 * s[0]), r
' "$tmp/rtol.json"
run rank --tol 1e300 "$tmp/r3.npy"
if ran_clean && grep -q '^rank 0$' "$tmp/out"; then pass "--tol 1e300 gives rank 0"; else fail "--tol 1e300 gives rank 0"; fi

run random --rows 20 --cols 15 --seed 7 -o "$tmp/g.npy"
expect "random --rows 20 --cols 15 --seed 7" 0
run rank "$tmp/g.npy"
if ran_clean && grep -q '^rank 15$' "$tmp/out"; then pass "a 20x15 Gaussian has rank 15"; else fail "a 20x15 Gaussian has rank 15"; fi
run random --rows 20 --cols 15 --seed 7 -o "$tmp/g_again.npy"
expect "random --seed 7 again" 0
run random --rows 20 --cols 15 --seed 8 -o "$tmp/g_other.npy"
expect "random --seed 8" 0
if cmp -s "$tmp/g.npy" "$tmp/g_again.npy" && ! cmp -s "$tmp/g.npy" "$tmp/g_other.npy"; then
    pass "the same seed gives the same file, another seed another"
else
    fail "the same seed gives the same file, another seed another"
fi
run random --rows 20 --cols 15 --rank 3 --seed 7 --dtype f4 -o "$tmp/r3f4.npy"
if ran_clean && head -c 64 "$tmp/r3f4.npy" | grep -q "'<f4'"; then pass "--dtype f4 writes <f4"; else fail "--dtype f4 writes <f4"; fi
run rank --rtol 1e-5 "$tmp/r3f4.npy"
if ran_clean && grep -q '^rank 3$' "$tmp/out"; then pass "the float32 rank-3 matrix has rank 3 with --rtol 1e-5"; else fail "the float32 rank-3 matrix has rank 3 with --rtol 1e-5"; fi
run random --rows 6 --cols 4 --rank 0 -o "$tmp/zero.npy"
expect "random --rank 0" 0
run svd --json "$tmp/zero.npy"
py "the zero matrix: rank 0, condition_number null (JSON has no Infinity)" '
import json, sys
d = json.load(sys.stdin)
assert d["rank"] == 0 and d["condition_number"] is None and d["singular_values"] == [0.0] * 4, d
'

# approx: errors from the spectrum, and the files it writes.
json svals svd --json "$tmp/g.npy"
run approx "$tmp/g.npy" -k 4 -o "$tmp/g4.npy" --factors "$tmp/g4" --json
py "approx -k 4: errors are sqrt(sum_{i>4} sigma_i^2) and sigma_5, parameters 300 vs 140" '
import json, math, sys
d = json.load(sys.stdin); s = json.load(open(sys.argv[1]))["singular_values"]
tail = math.sqrt(sum(x * x for x in s[4:])); norm = math.sqrt(sum(x * x for x in s))
assert abs(d["frobenius_error"] - tail) <= 1e-12 * tail, (d["frobenius_error"], tail)
assert abs(d["spectral_error"] - s[4]) <= 1e-12 * s[4], (d["spectral_error"], s[4])
assert abs(d["relative_error"] - tail / norm) <= 1e-12, d["relative_error"]
assert d["params_full"] == 300 and d["params_factors"] == 140, d
assert d["k"] == 4 and d["shape"] == [20, 15]
' "$tmp/svals.json"
run svd --json "$tmp/g4.npy"
py "A_k read back: rank 4, its singular values are the top 4 of A" '
import json, sys
a = json.load(sys.stdin); s = json.load(open(sys.argv[1]))["singular_values"]
sk = a["singular_values"]
assert a["shape"] == [20, 15] and a["rank"] == 4, (a["shape"], a["rank"])
d = max(abs(x - y) for x, y in zip(sk[:4], s[:4])) / s[0]
assert d <= 1e-12, d
print("max |sigma_i(A_k) - sigma_i(A)| / sigma_1 = %.3g (i <= 4)" % d)
' "$tmp/svals.json"
json b svd --json "$tmp/g4_B.npy"
json a svd --json "$tmp/g4_A.npy"
py "factors: B (20x4) has sigma_1..4, A = V_k^T (4x15) has orthonormal rows" '
import json, sys
s = json.load(open(sys.argv[1]))["singular_values"]
b = json.load(open(sys.argv[2])); a = json.load(open(sys.argv[3]))
assert b["shape"] == [20, 4] and a["shape"] == [4, 15], (b["shape"], a["shape"])
assert max(abs(x - y) for x, y in zip(b["singular_values"], s[:4])) <= 1e-12 * s[0], "B = U_k S_k"
assert max(abs(x - 1) for x in a["singular_values"]) <= 1e-12, "A = V_k^T has orthonormal rows"
' "$tmp/svals.json" "$tmp/b.json" "$tmp/a.json"
run approx "$tmp/g.npy" -k 4 --factors "$tmp/bal" --balanced
expect "approx --balanced writes the factors" 0
json b svd --json "$tmp/bal_B.npy"
json a svd --json "$tmp/bal_A.npy"
py "balanced factors: B and A both have sqrt(sigma_1..4)" '
import json, math, sys
s = json.load(open(sys.argv[1]))["singular_values"]
for f in sys.argv[2:]:
    t = json.load(open(f))["singular_values"]
    assert max(abs(x - math.sqrt(y)) for x, y in zip(t, s[:4])) <= 1e-12 * math.sqrt(s[0]), f
' "$tmp/svals.json" "$tmp/b.json" "$tmp/a.json"
run approx "$tmp/g.npy" -k 15 --json
py "approx -k min(m, n): zero error" '
import json, sys
d = json.load(sys.stdin)
assert d["frobenius_error"] == 0 and d["spectral_error"] == 0 and d["relative_error"] == 0, d
'
run approx "$tmp/g.npy" -k 0 --json
py "approx -k 0: the error is all of A" '
import json, sys
d = json.load(sys.stdin)
assert abs(d["relative_error"] - 1) <= 1e-15 and d["params_factors"] == 0, d
'
run approx "$tmp/g.npy" -k 4
if ran_clean && grep -q '^||A - A_k||_F ' "$tmp/out" && grep -Eq '^parameters k\(m\+n\) +140 ' "$tmp/out"; then
    pass "approx text output names the errors and parameter counts"
else
    fail "approx text output names the errors and parameter counts"
fi
run svd --top 2 "$tmp/g.npy"
rows=$(grep -Ec '^ +[0-9]+  ' "$tmp/out")
if ran_clean && [ "$rows" -eq 2 ] && grep -q '13 more' "$tmp/out"; then
    pass "svd --top 2 prints 2 table rows"
else
    fail "svd --top 2 prints 2 table rows (got $rows)"
fi

# ---- against numpy: fixtures written by numpy with its own results ----------
maxdiff=0
for base in gauss_30x20 lowrank_12x9_r4; do
    f="$data/npy/$base.npy"
    if [ ! -f "$f" ] || [ ! -f "$data/npy/$base.svals.txt" ] || [ ! -f "$data/npy/$base.rank.txt" ]; then
        skip "svd --json of $base.npy matches numpy" "fixture missing"
        continue
    fi
    run svd --json "$f"
    if ran_clean && python3 -c '
import json, sys
d = json.load(sys.stdin)
ref = [float(x) for x in open(sys.argv[1]).read().split()]
rank = int(open(sys.argv[2]).read().split()[0])
s = d["singular_values"]
assert len(s) == len(ref), (len(s), len(ref))
diff = max(abs(a - b) for a, b in zip(s, ref)) / max(ref)
print("%s: max |sigma - sigma_numpy| / sigma_max = %.3g, rank %d (numpy %d)" % (sys.argv[3], diff, d["rank"], rank))
assert diff <= 1e-12, diff
assert d["rank"] == rank, (d["rank"], rank)
' "$data/npy/$base.svals.txt" "$data/npy/$base.rank.txt" "$base" <"$tmp/out" >"$tmp/py" 2>&1; then
        pass "svd --json of $base.npy matches numpy.linalg.svd to 1e-12 and matrix_rank exactly"
    else
        fail "svd --json of $base.npy matches numpy.linalg.svd to 1e-12 and matrix_rank exactly"
    fi
    diag "$tmp/py"
done

done_testing
