#!/bin/sh
# install-deps.sh — install the Debian 12 packages ranklab needs, only if one
# is missing. Called by `make demo`, `make test` and friends; a second run
# finds everything and does nothing.
#
#   scripts/install-deps.sh            build, test and demo dependencies
#                                      (meson.build's dependency() calls, cmocka,
#                                      python3 + numpy, gnuplot, doxygen, the
#                                      Fashion-MNIST data; coreutils' timeout,
#                                      mkfifo and stat are Essential)
#   scripts/install-deps.sh fuzz       + clang, its sanitizer runtimes, llvm-symbolizer
#   scripts/install-deps.sh peers      + python3-torch/numpy/scipy/sklearn, GNU time
#                                      (benchmarks)
set -eu

missing=""
need_pkg() { # need_pkg PACKAGE CHECK...: add PACKAGE when the check fails
    pkg=$1; shift
    if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}
have_cmd() { command -v "$1"; }
have_pc() { command -v pkg-config && pkg-config --exists "$1"; }
have_file() { test -e "$1"; }
have_py() { /usr/bin/python3 -c "import $1"; }

need_pkg pkg-config have_cmd pkg-config
need_pkg gcc have_cmd cc
# tests/install: a C++ program calls the library through its extern "C" headers
need_pkg g++ have_cmd c++
need_pkg make have_cmd make
need_pkg meson have_cmd meson
need_pkg ninja-build have_cmd ninja
need_pkg liblapacke-dev have_pc lapacke
need_pkg libopenblas-dev have_pc openblas
need_pkg libcmocka-dev have_pc cmocka
need_pkg libjansson-dev have_pc jansson
need_pkg zlib1g-dev have_pc zlib
# tests: script tests and count-tests.py run /usr/bin/python3 (standard
# library only); numpy lets the .npy interop tests run instead of skipping
need_pkg python3 have_file /usr/bin/python3
need_pkg python3-numpy have_py numpy
need_pkg gnuplot-nox have_cmd gnuplot
need_pkg doxygen have_cmd doxygen
need_pkg dataset-fashion-mnist have_file /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz

for extra in "$@"; do
    case $extra in
    fuzz)
        need_pkg clang have_cmd clang
        need_pkg libclang-rt-14-dev have_file /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
        # llvm-symbolizer: sanitizer reports name functions and lines
        need_pkg llvm-14 have_file /usr/lib/llvm-14/bin/llvm-symbolizer
        ;;
    peers)
        need_pkg python3-numpy have_py numpy
        need_pkg python3-scipy have_py scipy
        need_pkg python3-sklearn have_py sklearn
        need_pkg python3-torch have_py torch
        need_pkg python3-threadpoolctl have_py threadpoolctl
        # GNU time: peak RSS of a process (tests/bench/bench_memory.sh)
        need_pkg time have_file /usr/bin/time
        ;;
    *) echo "install-deps.sh: unknown group '$extra'" >&2; exit 2 ;;
    esac
done

[ -z "$missing" ] && exit 0

echo "Installing missing Debian packages:$missing"
if [ "$(id -u)" != 0 ]; then
    echo "install-deps.sh: not root; run as root or install them yourself:" >&2
    echo "  apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
