#!/bin/bash
# test_install.sh — the library as a user outside the tree gets it: install
# the build into a temporary prefix (meson install --destdir), then build a
# C and a C++ program with `pkg-config --cflags --libs ranklab` only, every
# public header alone in C and C++, and check what the shared library
# exports, which headers are installed, the man pages and the completion.
set -uo pipefail
src=$RK_SOURCE_ROOT build=$RK_BUILD_ROOT here=$(dirname "$0")
. "$src/tests/tap.sh"
command -v pkg-config >/dev/null || skip_all "pkg-config is not installed"
command -v c++ >/dev/null || skip_all "no C++ compiler (g++) is installed"

scratch
dest=$tmp/dest
if ! meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$tmp/install.log" 2>&1; then
    diag "$tmp/install.log"
    fail "meson install into a temporary destdir"
    done_testing
fi
# The installed ranklab.pc with its prefix moved under the destdir, as a
# user who installed with --prefix=$dest$prefix would have it.
pc=$(find "$dest" -name ranklab.pc | head -n 1)
prefix=$(sed -n 's/^prefix=//p' "$pc")
mkdir "$tmp/pc" && sed "s|^prefix=.*|prefix=$dest$prefix|" "$pc" >"$tmp/pc/ranklab.pc"
export PKG_CONFIG_PATH=$tmp/pc
cflags=$(pkg-config --cflags ranklab) libs=$(pkg-config --libs ranklab)
libdir=$(pkg-config --variable=libdir ranklab)
inc=$dest$prefix/include

# A sanitized build's library needs its runtime first: build the programs
# with the same -fsanitize (b_sanitize of the build).
san=$(python3 -c 'import json, sys
opts = json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json"))
v = [o["value"] for o in opts if o["name"] == "b_sanitize"]
print("" if not v or v[0] == "none" else "-fsanitize=" + v[0])' "$build")
cflags="$cflags $san"

ok $? "ranklab.pc is installed and pkg-config reads it (cflags '$cflags')"
case "$cflags $libs" in *"$src"*|*"$build"*) st=1 ;; *) st=0 ;; esac
ok $st "the flags name no path into the source or build tree"

cc $cflags -o "$tmp/consumer" "$here/consumer.c" $libs -lm >"$tmp/cc.log" 2>&1 &&
    LD_LIBRARY_PATH=$libdir "$tmp/consumer" >"$tmp/run.log" 2>&1
st=$?; diag "$tmp/cc.log" "$tmp/run.log"
ok $st "a C program computes an SVD and a rank through <ranklab/ranklab.h>"

c++ $cflags -o "$tmp/consumer_cpp" "$here/consumer.cpp" $libs >"$tmp/cxx.log" 2>&1 &&
    LD_LIBRARY_PATH=$libdir "$tmp/consumer_cpp" >"$tmp/runxx.log" 2>&1
st=$?; diag "$tmp/cxx.log" "$tmp/runxx.log"
ok $st "a C++ program links the C library (extern \"C\" guards)"

cc $cflags -o "$tmp/consumer_static" "$here/consumer.c" \
    $(pkg-config --libs --static ranklab | sed "s|-lranklab|$libdir/libranklab.a|") $san >"$tmp/st.log" 2>&1 &&
    "$tmp/consumer_static" >/dev/null 2>&1
st=$?; diag "$tmp/st.log"
ok $st "the static library links with pkg-config --static"

# Every installed header compiles on its own, as C11 and as C++.
bad=0
for h in $(cd "$inc" && find ranklab -name '*.h' | sort); do
    printf '#include <%s>\nint rk_header_alone_%s;\n' "$h" "$(echo "$h" | tr -c 'a-z0-9\n' _)" >"$tmp/h.c"
    cc -std=c11 -Wall -Wextra -Werror $cflags -c "$tmp/h.c" -o /dev/null 2>"$tmp/h.log" ||
        { echo "# $h does not compile alone as C:"; sed 's/^/#   /' "$tmp/h.log" | head -5; bad=1; }
    c++ -Wall -Werror $cflags -x c++ -c "$tmp/h.c" -o /dev/null 2>"$tmp/h.log" ||
        { echo "# $h does not compile alone as C++:"; sed 's/^/#   /' "$tmp/h.log" | head -5; bad=1; }
done
ok $bad "every installed header compiles alone in C and C++"

# Exactly the headers lib/meson.build calls public are installed; every
# header of lib/ is public or listed as internal.
(cd "$inc/ranklab" && find . -name '*.h' | sed 's|^\./||' | grep -v '^core/version.h$' | sort) >"$tmp/installed"
(cd "$src/lib" && ls ranklab.h */*.h | sort) >"$tmp/all"
internal=$(sed -n "/^internal_headers/,/]/p" "$src/lib/meson.build" | grep -o "'[a-z_]*/[a-z_]*\.h'" | tr -d "'" | sort)
printf '%s\n' $internal >"$tmp/internal"
sort -u "$tmp/installed" "$tmp/internal" >"$tmp/both"
diff "$tmp/all" "$tmp/both" >"$tmp/d" && ! comm -12 "$tmp/installed" "$tmp/internal" | grep -q .
st=$?; diag "$tmp/d"
ok $st "each header of lib/ is either installed or internal (lib/meson.build), never both"

# The shared library exports rk_ symbols only, and rk_version among them.
so=$(ls "$libdir"/libranklab.so.* | head -n 1)
nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^rk_' >"$tmp/foreign"
[ ! -s "$tmp/foreign" ] && nm -D --defined-only "$so" | grep -q ' T rk_version$'
st=$?; sed 's/^/# not rk_: /' "$tmp/foreign" | head
ok $st "libranklab.so exports only rk_ symbols"
soname=$(objdump -p "$so" | awk '/SONAME/ {print $2}')
major=$(sed -n 's/^#define RK_VERSION_MAJOR //p' "$inc/ranklab/core/version.h")
[ "$soname" = "libranklab.so.$major" ]
ok $? "the soname is libranklab.so.RK_VERSION_MAJOR ($soname)"

# Man pages: ranklab(1) and ranklab-CMD(1) for every command the tool lists.
mandir=$dest$prefix/share/man/man1
cmds=$("$build/tools/ranklab" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
missing=""
for c in "" $cmds; do
    f=$mandir/ranklab${c:+-$c}.1
    [ -s "$f" ] || missing="$missing ranklab${c:+-$c}.1"
done
[ -z "$missing" ]
st=$?; [ $st = 0 ] || echo "# missing man pages:$missing"
ok $st "a man page for ranklab and each of its $(echo $cmds | wc -w) commands"

# Each page holds every option its --help lists (the page is made from it).
bad=""
for c in $cmds; do
    for opt in $("$build/tools/ranklab" "$c" --help | grep -o -- '--[a-z][a-z-]*' | sort -u); do
        grep -q -- "$(echo "$opt" | sed 's/-/\\\\-/g')" "$mandir/ranklab-$c.1" || bad="$bad $c:$opt"
    done
done
[ -z "$bad" ]
st=$?; [ $st = 0 ] || echo "# options missing from man pages:$bad"
ok $st "every man page lists the options of its command's --help"

# Bash completion: subcommands, then a command's flags, read from --help.
comp=$dest$prefix/share/bash-completion/completions/ranklab
out=$(PATH="$build/tools:$PATH" bash -c '
    source "$1"
    COMP_WORDS=(ranklab sv); COMP_CWORD=1; _ranklab; echo "${COMPREPLY[*]}"
    COMP_WORDS=(ranklab svd --pl); COMP_CWORD=2; _ranklab; echo "${COMPREPLY[*]}"
    COMP_WORDS=(ranklab extract --rank-r); COMP_CWORD=2; _ranklab; echo "${COMPREPLY[*]}"
    COMP_WORDS=(ranklab extract --rank-rule sv_); COMP_CWORD=3; _ranklab; echo "${COMPREPLY[*]}"' _ "$comp" 2>&1)
[ "$out" = "$(printf 'svd\n--plot\n--rank-rule\nsv_fro: sv_cumulative: sv_ratio:')" ]
st=$?; [ $st = 0 ] || echo "# completion gave: $out"
ok $st "bash completion offers subcommands, each command's flags and the rank rules"
done_testing
