#!/bin/sh
# test_info.sh — `ranklab info`: its report, its JSON, and the OpenBLAS kernel
# remedy (forced with RANKLAB_FAKE_GENERIC_CORE=1, since this machine's
# OpenBLAS may well pick the right core itself). TAP output.
R="$RK_BUILD_ROOT/tools/ranklab"
TUT="$RK_BUILD_ROOT/tutorials/ranklab-tutorial-01"
T=$(mktemp -d "${TMPDIR:-/tmp}/ranklab-info-XXXXXX")
trap 'rm -rf "$T"' EXIT
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$T/out" "$T/err" 2>/dev/null; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
# json FILE EXPR: evaluate a Python expression over the parsed JSON object j.
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" "$1"; }
# Run ranklab info with a clean BLAS environment plus the given assignments.
info() { env -u OPENBLAS_CORETYPE -u RANKLAB_NO_REEXEC -u RANKLAB_FAKE_GENERIC_CORE \
             -u RANKLAB_BLAS_REMEDY "$@" "$R" info --no-probe --json >"$T/out" 2>"$T/err"; }

# Run the tutorial lesson 1 with --version, with the same clean environment.
tut() { env -u OPENBLAS_CORETYPE -u RANKLAB_NO_REEXEC -u RANKLAB_FAKE_GENERIC_CORE \
            -u RANKLAB_BLAS_REMEDY "$@" "$TUT" --version </dev/null >"$T/out" 2>"$T/err"; }

echo "1..20"
"$R" info --no-probe >"$T/out" 2>"$T/err"
check "info exits 0" test $? -eq 0
check "info names the version" grep -q "^ranklab [0-9]" "$T/out"
check "info names BLAS, LAPACK, threads, CPU" \
    sh -c "grep -q '^BLAS:' '$T/out' && grep -q '^LAPACK:' '$T/out' && grep -q '^threads:' '$T/out' && grep -q '^CPU:' '$T/out'"

"$R" info --size 64 >"$T/out" 2>"$T/err"
check "the probe reports sgemm GFLOP/s and the FMA peak" \
    sh -c "grep -q '^sgemm probe: [0-9.]* GFLOP/s (n = 64' '$T/out' && grep -q '^FMA peak:' '$T/out'"

"$R" info --help >"$T/out" 2>"$T/err"
check "--help exits 0 with usage" sh -c "test $? -eq 0 && grep -q '^usage: ranklab info' '$T/out'"
"$R" info --help >"$T/help" 2>&1
check "docs/tools/info.md shows 'ranklab info --help' as it is" \
    python3 -c 'import sys; assert open(sys.argv[1]).read() in open(sys.argv[2]).read()' \
        "$T/help" "$RK_SOURCE_ROOT/docs/tools/info.md"
"$R" info --bogus >"$T/out" 2>"$T/err"
check "an unknown option is a usage error (exit 2)" test $? -eq 2
"$R" info --size x >"$T/out" 2>"$T/err"
check "a bad --size is a usage error (exit 2)" test $? -eq 2
"$R" info --size >"$T/out" 2>"$T/err"
check "--size without a value is a usage error naming it" \
    sh -c "test $? -eq 2 && grep -q \"option '--size' needs a value\" '$T/err'"

info
check "--json is one JSON object with the version and the BLAS" \
    json "$T/out" "j['version'] and j['blas']['threads'] >= 1 and 'features' in j['cpu']"

tut
check "a tutorial's --version names the lesson, ranklab's version and the kernel core" \
    sh -c "grep -q '^ranklab-tutorial-01 (ranklab [0-9]' '$T/out' && grep -q '^BLAS kernel core: ' '$T/out'"
info

# The remedy needs OpenBLAS and a CPU with AVX2+FMA or AVX-512.
if ! json "$T/out" "j['blas']['core'] is not None and j['remedy']['cpu_core'] is not None"; then
    for i in 1 2 3 4 5 6 7 8 9; do n=$((n + 1)); echo "ok $n # SKIP not OpenBLAS, or no AVX2/AVX-512"; done
    exit 0
fi
cpu_core=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['remedy']['cpu_core'])" "$T/out")

info RANKLAB_FAKE_GENERIC_CORE=1
check "a generic core makes ranklab re-execute with OPENBLAS_CORETYPE=$cpu_core" \
    json "$T/out" "j['remedy']['applied'] and j['remedy']['to'] == '$cpu_core' and j['blas']['core_source'] == 'remedy'"
check "after the remedy the kernel core is the CPU's ($cpu_core) and nothing is warned" \
    json "$T/out" "j['blas']['core'].lower() == '$cpu_core'.lower() and not j['warnings'] and not j['blas']['generic_core']"

info RANKLAB_FAKE_GENERIC_CORE=1 RANKLAB_NO_REEXEC=1
check "RANKLAB_NO_REEXEC=1 keeps the generic core, and info warns" \
    json "$T/out" "not j['remedy']['applied'] and j['blas']['generic_core'] and len(j['warnings']) == 1"

info RANKLAB_FAKE_GENERIC_CORE=1 OPENBLAS_CORETYPE=Haswell
check "the user's OPENBLAS_CORETYPE is never overridden" \
    json "$T/out" "not j['remedy']['applied'] and j['blas']['core_source'] == 'user' and j['blas']['core'] == 'Haswell'"

# The tutorials re-execute themselves the same way (rk_blas_remedy_exec() in lib/core/blas.c, called first by tut_main).
tut RANKLAB_FAKE_GENERIC_CORE=1
check "a generic core makes a tutorial re-execute with OPENBLAS_CORETYPE=$cpu_core too" \
    grep -qi "^BLAS kernel core: $cpu_core (remedy applied: OpenBLAS picked [A-Za-z0-9()]*; re-executed with OPENBLAS_CORETYPE=$cpu_core)\$" "$T/out"
tut RANKLAB_FAKE_GENERIC_CORE=1 RANKLAB_NO_REEXEC=1
check "RANKLAB_NO_REEXEC=1 keeps a tutorial on the core it has" grep -q "(chosen by OpenBLAS)\$" "$T/out"

env -u OPENBLAS_CORETYPE -u RANKLAB_NO_REEXEC RANKLAB_FAKE_GENERIC_CORE=1 "$R" info --no-probe >"$T/out" 2>"$T/err"
check "the text report says the remedy was applied" grep -q "^kernel core: .*(remedy applied: " "$T/out"

info OPENBLAS_CORETYPE=Prescott
check "a generic core the user chose is warned about, not changed" \
    json "$T/out" "j['blas']['core'] == 'Prescott' and not j['remedy']['applied'] and len(j['warnings']) == 1"
info RANKLAB_NO_REEXEC=1 RANKLAB_BLAS_REMEDY=Prescott OPENBLAS_CORETYPE=no-such-core
check "a re-exec that OpenBLAS ignored is not reported as a remedy" \
    json "$T/out" "not j['remedy']['applied'] and j['remedy']['from'] == 'Prescott'"
exit $((fails > 0))
