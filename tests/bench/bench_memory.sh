#!/bin/sh
# bench_memory.sh — peak resident memory (peak RSS) of `ranklab finetune`:
# full fine-tuning against LoRA r = 4 and r = 16 on the default
# 784 → 1000 → 2000 → 10 net, same base, data, class, steps, batch and seed,
# each run in its own process. A benchmark: it prints a table, asserts nothing.
#
# What LoRA should save. A full fine-tune holds, besides the weights, a
# gradient and Adam's two moments m and v for each of the base's
# P = 2,807,010 parameters: 3 × 4 B × P = 33.7 MB. LoRA freezes the base
# and holds those three only for its adapters (P_r = trainable params), so the
# expected saving is 3 × 4 B × P (the goal) minus the adapter's own
# 3 × 4 B × P_r. Both figures are printed, with whether the measured saving
# reaches each.
#
# How. The base comes from `ranklab train` (default net size, one epoch over
# the first 1000 training images: seconds; its accuracy does not matter) in
# a temporary folder. Each fine-tune runs under GNU time (`/usr/bin/time -f
# %M`: the process's maximum RSS in KiB, from wait4's rusage); without it,
# under python3's resource.getrusage(RUSAGE_CHILDREN), the same figure. The
# three methods are run in turn, REPEATS rounds; peak RSS only grows with
# noise (allocator timing, page faults of other threads), so the table
# reports the smallest of the rounds and their range.
#
# usage: bench_memory.sh RANKLAB [--repeats N] [--steps N] [--threads N]
# Data: $RANKLAB_DATA, else /usr/share/datasets/fashion-mnist (Debian's
# dataset-fashion-mnist). Exit 77 (meson: skipped) when the data or a way to
# measure is missing.
set -eu

rk=${1:?usage: bench_memory.sh RANKLAB [--repeats N] [--steps N] [--threads N]}
shift
repeats=3 steps=100 threads=1 seed=0 batch=10
while [ $# -gt 0 ]; do
    case $1 in
    --repeats) repeats=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    *) echo "bench_memory.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done

data=${RANKLAB_DATA:-/usr/share/datasets/fashion-mnist}
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
    if [ ! -r "$data/$f" ]; then
        echo "SKIP: $data/$f is missing (Debian package dataset-fashion-mnist, or set RANKLAB_DATA)"
        exit 77
    fi
done
if [ -x /usr/bin/time ]; then
    meter="GNU time (/usr/bin/time -f %M)"
elif [ -x /usr/bin/python3 ]; then
    meter="python3 resource.getrusage(RUSAGE_CHILDREN).ru_maxrss"
else
    echo "SKIP: no way to measure peak RSS: install Debian's time package (scripts/install-deps.sh peers)"
    exit 77
fi

# The thread count in the environment as well as --threads: OpenBLAS then
# starts no second thread at load (with only --threads 1, one run in a few
# peaked ~3 MiB higher).
export OPENBLAS_NUM_THREADS="$threads"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# peak_kib OUT ERR CMD...: run CMD (stdout to OUT, stderr to ERR), print its
# maximum RSS in KiB; fails when CMD fails.
peak_kib() {
    out=$1 err=$2
    shift 2
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -o "$tmp/rss" -f %M "$@" >"$out" 2>"$err" || return 1
    else
        /usr/bin/python3 -c '
import resource, subprocess, sys
with open(sys.argv[1], "w") as rss, open(sys.argv[2], "wb") as o, open(sys.argv[3], "wb") as e:
    rc = subprocess.call(sys.argv[4:], stdout=o, stderr=e)
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=rss)
sys.exit(rc)' "$tmp/rss" "$out" "$err" "$@" || return 1
    fi
    tail -n 1 "$tmp/rss"
}

# be32 N: N as 4 big-endian bytes (an IDX header field), octal escapes in
# printf's format.
# shellcheck disable=SC2059
be32() {
    printf "\\$(printf %03o $(($1 >> 24 & 255)))\\$(printf %03o $(($1 >> 16 & 255)))"
    printf "\\$(printf %03o $(($1 >> 8 & 255)))\\$(printf %03o $(($1 & 255)))"
}

# The base: the first 1000 training images (IDX header + payload cut from the
# real files), the real test set; default net size.
n=1000
mkdir "$tmp/small"
{ printf '\000\000\010\003'; be32 $n; be32 28; be32 28
  gzip -dc "$data/train-images-idx3-ubyte.gz" | tail -c +17 | head -c $((n * 784)); } |
    gzip -1 >"$tmp/small/train-images-idx3-ubyte.gz"
{ printf '\000\000\010\001'; be32 $n
  gzip -dc "$data/train-labels-idx1-ubyte.gz" | tail -c +9 | head -c $n; } |
    gzip -1 >"$tmp/small/train-labels-idx1-ubyte.gz"
ln -s "$data/t10k-images-idx3-ubyte.gz" "$data/t10k-labels-idx1-ubyte.gz" "$tmp/small/"

echo "peak RSS of ranklab finetune: full against LoRA (tests/bench/bench_memory.sh)"
echo "  load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  measured with: $meter"
t0=$(date +%s)
if ! "$rk" train --out "$tmp/base" --data "$tmp/small" --batch 100 --threads "$threads" --seed "$seed" \
        >"$tmp/train.out" 2>"$tmp/train.err"; then
    echo "ranklab train failed:" >&2
    cat "$tmp/train.err" >&2
    exit 1
fi
echo "  base: ranklab train --data <first $n training images> --batch 100 (784-1000-2000-10, $(($(date +%s) - t0)) s)"
echo "  fine-tunes: --data $data --steps $steps --batch $batch --seed $seed --threads $threads, class auto;" \
     "$repeats rounds"

methods="full lora4 lora16"
round=1
while [ "$round" -le "$repeats" ]; do
    for m in $methods; do
        case $m in
        full) opt="--full" ;;
        lora*) opt="--lora-rank ${m#lora}" ;;
        esac
        # shellcheck disable=SC2086
        if ! kib=$(peak_kib "$tmp/$m.json" "$tmp/$m.err" "$rk" finetune --base "$tmp/base/model.safetensors" \
                $opt --data "$data" --steps "$steps" --batch "$batch" --seed "$seed" --threads "$threads" \
                --json --out "$tmp/ft-$m"); then
            echo "ranklab finetune $opt failed:" >&2
            cat "$tmp/$m.err" >&2
            exit 1
        fi
        echo "$kib" >>"$tmp/$m.kib"
        rm -rf "$tmp/ft-$m"
    done
    round=$((round + 1))
done

# One line per method: name, trainable params, KiB of each round.
for m in $methods; do
    params=$(tr ',' '\n' <"$tmp/$m.json" | sed -n 's/^ *"trainable_params": *\([0-9]*\).*/\1/p' | head -n 1)
    case $m in full) name="full" ;; *) name="LoRA r=${m#lora}" ;; esac
    echo "$name|${params:-0}|$(tr '\n' ' ' <"$tmp/$m.kib")"
done | awk -F'|' '
function group(x,   s, out) {   # 2807010 -> 2,807,010
    s = sprintf("%d", x); out = ""
    while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) }
    return s out
}
{
    k = split($3, r, " "); lo = r[1]; hi = r[1]
    for (i = 2; i <= k; i++) { if (r[i] < lo) lo = r[i]; if (r[i] > hi) hi = r[i] }
    name[NR] = $1; params[NR] = $2; peak[NR] = lo; spread[NR] = hi - lo
}
END {
    base_params = params[1]                           # the full fine-tune trains every parameter
    expected = 3 * 4 * base_params                     # bytes: gradient + Adam m, v of the base
    printf "\n%-11s %16s %13s %10s %14s %10s %14s %10s %10s\n", "method", "trainable params",
        "peak RSS MiB", "range MiB", "vs full MiB", "saving MB", "expected MB", ">= goal", ">= net"
    for (i = 1; i <= NR; i++) {
        mib = peak[i] / 1024
        if (i == 1) {
            printf "%-11s %16s %13.1f %10.1f %14s %10s %14s %10s %10s\n", name[i], group(params[i]), mib,
                spread[i] / 1024, "", "", "", "", ""
            continue
        }
        saving = (peak[1] - peak[i]) * 1024            # bytes
        net = 3 * 4 * (base_params - params[i])        # minus the gradient and moments of the adapter
        printf "%-11s %16s %13.1f %10.1f %+14.1f %10.2f %14.2f %10s %10s\n", name[i], group(params[i]), mib,
            spread[i] / 1024, (peak[i] - peak[1]) / 1024, saving / 1e6, net / 1e6,
            (saving >= expected) ? "yes" : "no", (saving >= net) ? "yes" : "no"
    }
    printf "\npeak RSS: the smallest of the rounds (range: largest - smallest); MiB = 2^20 B, MB = 10^6 B\n"
    printf "expected saving (the goal): 3 x 4 B x %s = %.2f MB (gradient + Adam m, v of the base)\n",
        group(base_params), expected / 1e6
    printf "expected MB column (net): 3 x 4 B x (%s - trainable params): the adapter holds its own three\n",
        group(base_params)
}'
echo "  load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
