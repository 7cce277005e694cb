#!/bin/sh
# doxygen.sh SRCDIR OUTDIR — build the API reference from lib/*.h into OUTDIR
# and fail (listing them) if Doxygen reports any warning.
set -eu
src=$1 out=$2
version=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$src/meson.build" | head -n 1)
# The internal headers are left out: lib/meson.build lists them.
internal=$(sed -n "/^internal_headers/,/]/p" "$src/lib/meson.build" |
    grep -o "'[a-z_]*/[a-z_]*\.h'" | tr -d "'" | sed "s|^|$src/lib/|" | tr '\n' ' ')
mkdir -p "$out"
sed -e "s|@SRCDIR@|$src|g" -e "s|@INTERNAL@|$internal|g" -e "s|@OUTDIR@|$out|g" -e "s|@VERSION@|$version|g" \
    "$src/docs/Doxyfile.in" >"$out/Doxyfile"
doxygen "$out/Doxyfile"
if [ -s "$out/warnings.log" ]; then
    echo "Doxygen warnings:" >&2
    cat "$out/warnings.log" >&2
    exit 1
fi
echo "API reference: $out/html/index.html"
