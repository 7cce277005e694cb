#!/bin/sh
# test_info.sh — `ranklab info`: its report, its JSON, and the OpenBLAS kernel
# remedy (forced with RANKLAB_FAKE_GENERIC_CORE=1, since this machine's
# OpenBLAS may well pick the right core itself). TAP output.
set -u
TUT="$RK_BUILD_ROOT/tutorials/ranklab-tutorial-01"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"
tool "$RK_BUILD_ROOT/tools/ranklab"
# json EXPR: a Python expression over the last run's JSON object j
json() { python3 -c "import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if ($1) else 1)" "$tmp/out"; }
# clean_env [NAME=VALUE...] CMD...: CMD with a clean BLAS environment plus the assignments
clean_env() {
    (
        unset OPENBLAS_CORETYPE RANKLAB_NO_REEXEC RANKLAB_FAKE_GENERIC_CORE RANKLAB_BLAS_REMEDY
        while [ $# -gt 0 ] && [ "${1#*=}" != "$1" ]; do export "$1"; shift; done
        "$@"
    )
}
# info [NAME=VALUE...]: ranklab info --no-probe --json in that environment (a run)
info() { run_env "$@" info --no-probe --json; }
run_env() {
    settle
    _a=""
    while [ $# -gt 0 ] && [ "${1#*=}" != "$1" ]; do _a="$_a $1"; shift; done
    # shellcheck disable=SC2086
    clean_env $_a "$rk" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    judged=0
    last_run="ranklab $*"
}
# tut [NAME=VALUE...]: lesson 1's --version in that environment
tut() { clean_env "$@" "$TUT" --version </dev/null >"$tmp/out" 2>"$tmp/err"; }

run info --no-probe
expect "info exits 0" 0
check "info names the version" grep -q "^ranklab [0-9]" "$tmp/out"
check "info names BLAS, LAPACK, threads, CPU" \
    sh -c "grep -q '^BLAS:' '$tmp/out' && grep -q '^LAPACK:' '$tmp/out' && grep -q '^threads:' '$tmp/out' && grep -q '^CPU:' '$tmp/out'"

run info --size 64
expect "info --size 64 exits 0" 0
check "the probe reports sgemm GFLOP/s and the FMA peak" \
    sh -c "grep -q '^sgemm probe: [0-9.]* GFLOP/s (n = 64' '$tmp/out' && grep -q '^FMA peak:' '$tmp/out'"

run info --help
ran_clean && grep -q '^usage: ranklab info' "$tmp/out"; ok $? "--help exits 0 with usage"
help_in_doc "$RK_SOURCE_ROOT/docs/tools/info.md" "$rk" info --help
run info --bogus
expect "an unknown option is a usage error (exit 2)" 2 "ranklab info: "
run info -xh
expect "an unknown short option before -h is named by its letter" 2 "ranklab info: unknown option '-x'"
run info --size x
expect "a bad --size is a usage error (exit 2)" 2 "ranklab info: "
run info --size
expect "--size without a value is a usage error naming it" 2 "ranklab info: option '--size' needs an argument"

info
expect "info --json exits 0" 0
check "--json is one JSON object with the version and the BLAS" \
    json "j['version'] and j['blas']['threads'] >= 1 and 'features' in j['cpu']"

tut
check "a tutorial's --version names the lesson, ranklab's version and the kernel core" \
    sh -c "grep -q '^ranklab-tutorial-01 (ranklab [0-9]' '$tmp/out' && grep -q '^BLAS kernel core: ' '$tmp/out'"
info
expect "info --json (clean environment) exits 0" 0

# The remedy needs OpenBLAS and a CPU with AVX2+FMA or AVX-512.
if ! json "j['blas']['core'] is not None and j['remedy']['cpu_core'] is not None"; then
    skip "the OpenBLAS kernel remedy (9 checks)" "not OpenBLAS, or no AVX2/AVX-512"
    done_testing
fi
cpu_core=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['remedy']['cpu_core'])" "$tmp/out")

info RANKLAB_FAKE_GENERIC_CORE=1
expect "info RANKLAB_FAKE_GENERIC_CORE=1: exit 0" 0
check "a generic core makes ranklab re-execute with OPENBLAS_CORETYPE=$cpu_core" \
    json "j['remedy']['applied'] and j['remedy']['to'] == '$cpu_core' and j['blas']['core_source'] == 'remedy'"
check "after the remedy the kernel core is the CPU's ($cpu_core) and nothing is warned" \
    json "j['blas']['core'].lower() == '$cpu_core'.lower() and not j['warnings'] and not j['blas']['generic_core']"

info RANKLAB_FAKE_GENERIC_CORE=1 RANKLAB_NO_REEXEC=1
expect "info RANKLAB_FAKE_GENERIC_CORE=1 RANKLAB_NO_REEXEC=1: exit 0" 0
check "RANKLAB_NO_REEXEC=1 keeps the generic core, and info warns" \
    json "not j['remedy']['applied'] and j['blas']['generic_core'] and len(j['warnings']) == 1"

info RANKLAB_FAKE_GENERIC_CORE=1 OPENBLAS_CORETYPE=Haswell
expect "info RANKLAB_FAKE_GENERIC_CORE=1 OPENBLAS_CORETYPE=Haswell: exit 0" 0
check "the user's OPENBLAS_CORETYPE is never overridden" \
    json "not j['remedy']['applied'] and j['blas']['core_source'] == 'user' and j['blas']['core'] == 'Haswell'"

# The tutorials re-execute themselves the same way (rk_blas_remedy_exec() in lib/core/blas.c, called first by tut_main).
tut RANKLAB_FAKE_GENERIC_CORE=1
check "a generic core makes a tutorial re-execute with OPENBLAS_CORETYPE=$cpu_core too" \
    grep -qi "^BLAS kernel core: $cpu_core (remedy applied: OpenBLAS picked [A-Za-z0-9()]*; re-executed with OPENBLAS_CORETYPE=$cpu_core)\$" "$tmp/out"
tut RANKLAB_FAKE_GENERIC_CORE=1 RANKLAB_NO_REEXEC=1
check "RANKLAB_NO_REEXEC=1 keeps a tutorial on the core it has" grep -q "(chosen by OpenBLAS)\$" "$tmp/out"

run_env RANKLAB_FAKE_GENERIC_CORE=1 info --no-probe
expect "info with a faked generic core exits 0" 0
check "the text report says the remedy was applied" grep -q "^kernel core: .*(remedy applied: " "$tmp/out"

info OPENBLAS_CORETYPE=Prescott
expect "info OPENBLAS_CORETYPE=Prescott: exit 0" 0
check "a generic core the user chose is warned about, not changed" \
    json "j['blas']['core'] == 'Prescott' and not j['remedy']['applied'] and len(j['warnings']) == 1"
info RANKLAB_NO_REEXEC=1 RANKLAB_BLAS_REMEDY=Prescott OPENBLAS_CORETYPE=no-such-core
expect "info RANKLAB_NO_REEXEC=1 RANKLAB_BLAS_REMEDY=Prescott OPENBLAS_CORETYPE=no-such-core: exit 0" 0
check "a re-exec that OpenBLAS ignored is not reported as a remedy" \
    json "not j['remedy']['applied'] and j['remedy']['from'] == 'Prescott'"
done_testing
