#!/bin/sh
# walkthrough.sh RANKLAB OUTDIR — a short walk through the first ranklab
# commands on generated matrices: make a matrix of known rank, look at its
# singular values, ask for its numerical rank, and approximate it.
set -eu
rk=$1
out=${2:-out/walkthrough}
mkdir -p "$out"

step() { printf '\n== %s\n$ %s\n' "$1" "$2"; }

step "A 10x10 matrix of rank 2, as W = randn(10,2)·randn(2,10) in the LoRA tutorial" \
     "ranklab random --rows 10 --cols 10 --rank 2 --seed 1 -o $out/w.npy"
"$rk" random --rows 10 --cols 10 --rank 2 --seed 1 -o "$out/w.npy"

step "Its singular values: two are large, eight are rounding noise" "ranklab svd $out/w.npy"
"$rk" svd "$out/w.npy"

step "Numerical rank: count the singular values above S_max·max(m,n)·eps" "ranklab rank $out/w.npy"
"$rk" rank "$out/w.npy"

step "A 200x150 Gaussian matrix has full rank" \
     "ranklab random --rows 200 --cols 150 --seed 2 -o $out/g.npy && ranklab rank $out/g.npy"
"$rk" random --rows 200 --cols 150 --seed 2 -o "$out/g.npy"
"$rk" rank "$out/g.npy"

step "Its best rank-20 approximation (Eckart–Young) and the LoRA-style factors B·A" \
     "ranklab approx $out/g.npy -k 20 -o $out/g20.npy --factors $out/g20"
"$rk" approx "$out/g.npy" -k 20 -o "$out/g20.npy" --factors "$out/g20"

printf '\nFiles written to %s/\n' "$out"
