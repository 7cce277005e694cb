#!/bin/sh
# test_doxygen.sh — the API reference builds from lib/*.h with zero Doxygen
# warnings (every public symbol documented), and it is complete: every
# function libranklab.so exports has an entry, every public header a page,
# no internal header one (api_coverage.py). TAP output; skipped without doxygen.
echo "1..2"
if ! command -v doxygen >/dev/null 2>&1; then
    echo "ok 1 - doxygen reports no warnings # SKIP doxygen is not installed"
    echo "ok 2 - the reference covers every exported function # SKIP doxygen is not installed"
    exit 0
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if "$RK_SOURCE_ROOT/scripts/doxygen.sh" "$RK_SOURCE_ROOT" "$out" >"$out/log" 2>&1; then
    echo "ok 1 - doxygen reports no warnings"
else
    sed 's/^/# /' "$out/log"
    echo "not ok 1 - doxygen reports no warnings"
fi
if python3 "$(dirname "$0")/api_coverage.py" "$out/xml" "$RK_BUILD_ROOT/libranklab.so" \
        "$RK_SOURCE_ROOT" >"$out/cov" 2>&1; then
    sed 's/^/# /' "$out/cov"
    echo "ok 2 - the reference covers every exported function and public header"
else
    sed 's/^/# /' "$out/cov"
    echo "not ok 2 - the reference covers every exported function and public header"
fi
