#!/bin/sh
# test_outputs.sh — where every command's output goes (lib/io/output.h,
# docs/tools/README.md "Outputs"): empty names refused by every command, a
# FIFO, a character device and "-" written directly, a link followed and kept,
# colliding outputs refused, a folder output swapped in whole (a full disk and
# a kill leave the old one, SIGTERM leaves no temporary), two concurrent
# writers of one adapter folder, every output checked before the work.
# Everything happens in a temporary directory of its own; the device and the
# full disk are made there (mknod, a small tmpfs) when running as root and
# skipped with the reason otherwise. Speaks TAP.
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT, RK_TEST_DATA.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
mini="$RK_TEST_DATA/idx/mini"
tmp=$(mktemp -d)
mnt=""
cleanup() {
    [ -n "$mnt" ] && umount "$mnt" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp" || exit 1
. "$RK_SOURCE_ROOT/tests/tap.sh"

# verdict DESC STATUS: ok when STATUS is 0; otherwise the last stderr as a diagnostic.
verdict() {
    ok "$2" "$1"
    if [ "$2" -ne 0 ] && [ -s err ]; then sed 's/^/# /' err; fi
}

# run ARGS...: ranklab with a time limit (a hang is a failure, status 124).
run() { timeout 60 "$rk" "$@" >out 2>err; rc=$?; }

# expect DESC STATUS [ERE]: the last run exited STATUS and stderr starts with ERE.
expect() {
    good=0
    [ "$rc" -eq "$2" ] || good=1
    if [ -n "${3:-}" ]; then head -n 1 err | grep -Eq "^$3" || good=1; fi
    if [ $good -ne 0 ]; then echo "# exit status $rc, wanted $2"; fi
    verdict "$1" $good
}

# no_temp DESC [DIR]: no *.tmp-* or *.old-* left in DIR (default .), one level down included.
no_temp() {
    d=${2:-.}
    left=$(find "$d" -maxdepth 2 \( -name '*.tmp-*' -o -name '*.old-*' \) 2>/dev/null)
    [ -z "$left" ]
    ok $? "$1"
    [ -z "$left" ] || echo "$left" | sed 's/^/# left: /'
}

# readable ADAPTER: inspect reads it whole (config and weights agree).
readable() { "$rk" inspect "$1" >/dev/null 2>&1; }

"$rk" random --rows 30 --cols 20 --seed 1 -o base.npy >/dev/null &&
    "$rk" random --rows 30 --cols 20 --seed 2 -o ft.npy >/dev/null ||
    echo "Bail out! cannot make the input matrices"

# ---- an empty name is a usage error for every output of every command --------
for args in "train --out" "finetune --base base.npy --lora-rank 1 --out" "demo --out" \
            "compare --base b --full f --lora l --out" "approx base.npy -k 1 -o" \
            "approx base.npy -k 1 --factors" "extract -r 1 base.npy ft.npy -o" \
            "random --rows 2 --cols 2 -o" "svd base.npy --plot" "delta base.npy ft.npy --plot" \
            "inspect x --plot" "tutorial 1 --out" "intruders base.npy ft.npy --scale 0.5 -o" \
            "intruders base.npy ft.npy --plot"; do
    # shellcheck disable=SC2086 # ARGS is split on purpose
    run $args ""
    expect "${args%% *} ${args##* } '': usage error" 2
done
left=$(ls -A | grep -v -e '^base.npy$' -e '^ft.npy$' -e '^out$' -e '^err$')
[ -z "$left" ]
verdict "the empty names wrote nothing" $?

# ---- every output is checked before the work ---------------------------------
touch afile
run train --data "$mini" --epochs 1 --out afile
expect "train --out FILE: exit 1 at once" 1 "ranklab train: afile: is not a directory"
[ "$(wc -l <err)" -eq 1 ] && ! grep -q pretrain err
verdict "train --out FILE: refused before any training (no progress printed)" $?
run finetune --base base.npy --lora-rank 1 --out afile
expect "finetune --out FILE: exit 1 before reading the base" 1 "ranklab finetune: afile: is not a directory"
run extract -r 1 base.npy ft.npy -o afile
expect "extract -o FILE: exit 1" 1 "ranklab extract: afile: is not a directory"
run approx base.npy -k 1 -o nodir/x.npy
expect "approx -o into a missing folder: exit 1 before the SVD" 1 "ranklab approx: nodir/x.npy: no such folder"
run svd base.npy --plot "$tmp"
expect "svd --plot DIR: exit 1 saying it is a directory" 1 "ranklab svd: $tmp: is a directory"
mkdir keep && touch keep/notes.txt
run extract -r 1 base.npy ft.npy -o keep
expect "extract into a folder holding other files: refused" 1 "ranklab extract: keep: holds 'notes.txt'"
[ -f keep/notes.txt ]
verdict "the folder and its file are untouched" $?
run extract -r 1 base.npy ft.npy -o .
expect "extract -o . (an input lies in it): usage error" 2 "ranklab extract: BASE base.npy lies in the output folder"
mkdir sub && cp base.npy ft.npy sub/
run extract -r 1 sub/base.npy sub/ft.npy -o sub/..
expect "extract -o sub/.. : usage error" 2
run extract -r 1 base.npy ft.npy -o sub/ad/..
expect "a folder name ending in '..': refused" 2 "ranklab extract: -o sub/ad/..: names no folder"
run approx base.npy -k 1 -o "$tmp/sub"
expect "approx -o DIR: exit 1" 1 "ranklab approx: $tmp/sub: is a directory"
run train --data "$mini" --epochs 1 --out new/nested/model
[ "$rc" -eq 0 ] && [ -s new/nested/model/model.safetensors ] && [ -s new/nested/model/train.json ]
verdict "train --out into missing folders: they are created, the model written" $?

# ---- "-" is standard output ---------------------------------------------------
"$rk" random --rows 4 --cols 3 --seed 5 -o - >dash.npy 2>err
rc=$?
"$rk" random --rows 4 --cols 3 --seed 5 -o file.npy >/dev/null
[ "$rc" -eq 0 ] && cmp -s dash.npy file.npy && [ ! -e ./- ]
verdict "random -o -: the .npy on stdout and nothing else, no file named '-'" $?
"$rk" approx base.npy -k 2 -o - >ak.npy 2>err
rc=$?
"$rk" svd ak.npy >out 2>&1
[ "$rc" -eq 0 ] && grep -Eq '^rank +2' out
verdict "approx -o -: stdout holds A_k alone (rank 2)" $?
run approx base.npy -k 2 -o - --json
expect "approx -o - --json: usage error (both want stdout)" 2
run approx base.npy -k 2 --factors -
expect "approx --factors -: usage error (a pair is two files)" 2

# ---- a FIFO is written directly, never replaced -------------------------------
mkfifo pipe
cat pipe >from_pipe &
reader=$!
run random --rows 4 --cols 3 --seed 5 -o pipe
wait $reader
[ "$rc" -eq 0 ] && [ -p pipe ] && cmp -s from_pipe file.npy
verdict "random -o FIFO: the reader gets the .npy, the FIFO stays a FIFO" $?
cat pipe >/dev/null &
reader=$!
run approx base.npy -k 1 -o pipe
wait $reader
[ "$rc" -eq 0 ] && [ -p pipe ]
verdict "approx -o FIFO: exit 0, still a FIFO" $?
run svd base.npy --plot pipe
expect "svd --plot FIFO: refused (a plot has files beside it)" 1 "ranklab svd: pipe: not a file"
[ -p pipe ] && [ ! -e pipe.dat ] && [ ! -e pipe.gp ]
verdict "the FIFO stays, no .dat or .gp beside it" $?
no_temp "no temporary beside the FIFO"

# ---- character devices, made here (never the real /dev) ----------------------
if [ "$(id -u)" -eq 0 ] && mknod null c 1 3 2>/dev/null && mknod full c 1 7 2>/dev/null; then
    run random --rows 4 --cols 3 -o null
    [ "$rc" -eq 0 ] && [ -c null ]
    verdict "random -o a null device: exit 0, still a character device" $?
    run approx base.npy -k 1 -o null --factors fac
    [ "$rc" -eq 0 ] && [ -c null ] && [ -s fac_A.npy ]
    verdict "approx -o a null device with --factors: the device stays, the pair is written" $?
    run random --rows 4 --cols 3 -o full
    expect "random -o a full device: exit 1 (no space)" 1 "ranklab random: full: .*No space left"
    [ -c full ]
    verdict "the full device stays a character device" $?
    run svd base.npy --plot null
    expect "svd --plot a device: refused" 1 "ranklab svd: null: not a file"
else
    for d in "random -o a null device" "approx -o a null device" "random -o a full device" \
             "the full device stays" "svd --plot a device"; do
        skip "$d" "mknod needs root"
    done
fi
no_temp "no temporary beside the devices"

# ---- links are followed; the link stays a link ----------------------------------
echo old >target.npy
ln -s target.npy link.npy
run random --rows 4 --cols 3 --seed 5 -o link.npy
[ "$rc" -eq 0 ] && [ -L link.npy ] && [ "$(readlink link.npy)" = target.npy ] && cmp -s target.npy file.npy
verdict "random -o LINK: the target replaced, the link kept" $?
mkdir -p real && ln -s ../target.npy real/rel.npy && ln -s real/rel.npy chain.npy
run random --rows 4 --cols 3 --seed 6 -o chain.npy
[ "$rc" -eq 0 ] && [ -L chain.npy ] && [ -L real/rel.npy ] && ! cmp -s target.npy file.npy
verdict "a chain of relative links: the file at its end replaced, both links kept" $?
ln -s nowhere.npy dangling.npy
run random --rows 4 --cols 3 -o dangling.npy
[ "$rc" -eq 0 ] && [ -L dangling.npy ] && [ -s nowhere.npy ]
verdict "a dangling link: the file it names is created, the link kept" $?
ln -s loop1 loop2 && ln -s loop2 loop1
run random --rows 4 --cols 3 -o loop1
expect "a loop of links: exit 1" 1 "ranklab random: loop1: .*links"
run extract -r 1 base.npy ft.npy -o adreal
ln -s adreal adlink
run extract -r 2 base.npy ft.npy -o adlink
[ "$rc" -eq 0 ] && [ -L adlink ] && [ -d adreal ] && grep -q '"r": 2' adreal/adapter_config.json
verdict "extract -o LINK-TO-FOLDER: the folder replaced, the link kept" $?
no_temp "no temporary left by the links"

# ---- outputs that collide are refused (D4) ------------------------------------
mkdir col
run approx base.npy -k 2 -o col/x_B.npy --factors col/x
expect "approx -o X_B.npy --factors X: usage error" 2 "ranklab approx: -o col/x_B.npy and --factors col/x_B.npy name the same file"
[ -z "$(ls col)" ]
verdict "nothing written for colliding outputs" $?
ln -s y_B.npy col/y_A.npy
run approx base.npy -k 2 --factors col/y
expect "approx --factors Y with Y_A.npy a link to Y_B.npy: usage error" 2
run approx base.npy -k 2 -o ./col/../col/z_A.npy --factors col/z
expect "the same file by another path: usage error" 2

# ---- a factor pair is replaced as one (write errors leave the old pair) --------
"$rk" approx base.npy -k 1 --factors pair >/dev/null
cp pair_A.npy old_A.npy && cp pair_B.npy old_B.npy
# B (50 x 50) fits under the limit, A (50 x 1000) does not: B is written first.
"$rk" random --rows 50 --cols 1000 --seed 3 -o big.npy >/dev/null
( ulimit -f 200; timeout 60 "$rk" approx big.npy -k 50 --factors pair >out 2>err; echo $? >rc )
rc=$(cat rc)
expect "approx --factors past ulimit -f: exit 1" 1 "ranklab approx: pair.*File too large"
cmp -s pair_A.npy old_A.npy && cmp -s pair_B.npy old_B.npy
verdict "the old pair is whole: neither factor replaced" $?
no_temp "no temporary left by the failed pair"

# ---- a folder output is replaced whole ----------------------------------------
run extract -r 1 base.npy ft.npy -o ad
cp ad/adapter_config.json ad1.json
run extract -r 3 base.npy ft.npy -o ad
[ "$rc" -eq 0 ] && readable ad && grep -q '"r": 3' ad/adapter_config.json && [ "$(ls ad | wc -l)" -eq 2 ]
verdict "extract over an adapter: the new one whole, nothing else in it" $?
no_temp "no temporary or backup left by the swap"

# A full disk: a small tmpfs where the folder lives (root only).
if [ "$(id -u)" -eq 0 ] && mkdir disk && mount -t tmpfs -o size=128k tmpfs disk 2>/dev/null; then
    mnt="$tmp/disk"
    "$rk" random --rows 400 --cols 300 --seed 1 -o wide_base.npy >/dev/null
    "$rk" random --rows 400 --cols 300 --seed 2 -o wide_ft.npy >/dev/null
    run extract -r 1 wide_base.npy wide_ft.npy -o disk/ad
    first=$rc
    cp disk/ad/adapter_config.json full_before.json 2>/dev/null
    cp disk/ad/adapter_model.safetensors full_before.st 2>/dev/null
    run extract -r 60 wide_base.npy wide_ft.npy -o disk/ad
    [ "$first" -eq 0 ] && [ "$rc" -eq 1 ] && grep -q "No space left" err
    verdict "extract onto a full disk: exit 1 (no space)" $?
    cmp -s disk/ad/adapter_config.json full_before.json && cmp -s disk/ad/adapter_model.safetensors full_before.st &&
        readable disk/ad
    verdict "the old adapter is whole after the full disk" $?
    no_temp "no temporary left on the full disk" disk
    "$rk" approx wide_base.npy -k 1 --factors disk/p >/dev/null 2>&1
    cp disk/p_A.npy pa.npy && cp disk/p_B.npy pb.npy
    run approx wide_base.npy -k 150 --factors disk/p
    [ "$rc" -eq 1 ] && cmp -s disk/p_A.npy pa.npy && cmp -s disk/p_B.npy pb.npy
    verdict "approx --factors onto a full disk: exit 1, the old pair whole" $?
    # A fine-tune's folder (adapter, delta, finetune.json) on a disk filled up.
    "$rk" train --data "$mini" --hidden 8 --epochs 1 --out m8 >/dev/null 2>&1
    run finetune --base m8/model.safetensors --lora-rank 1 --data "$mini" --out disk/ft
    first=$rc
    rm -rf ft_before && cp -r disk/ft ft_before
    dd if=/dev/zero of=disk/filler bs=1024 2>/dev/null
    run finetune --base m8/model.safetensors --lora-rank 2 --data "$mini" --out disk/ft
    [ "$first" -eq 0 ] && [ "$rc" -eq 1 ] && diff -r disk/ft ft_before >/dev/null
    verdict "finetune onto a full disk: exit 1, the old adapter, delta and finetune.json whole" $?
    no_temp "no temporary left by the fine-tune on the full disk" disk
    rm -f disk/filler
    umount disk && mnt=""
else
    why="a tmpfs mount needs root"
    [ "$(id -u)" -eq 0 ] && why="cannot mount a tmpfs here"
    for d in "extract onto a full disk" "the old adapter is whole" "no temporary left on the full disk" \
             "approx --factors onto a full disk" "finetune onto a full disk" \
             "no temporary left by the fine-tune"; do
        skip "$d" "$why"
    done
fi

# ---- kills --------------------------------------------------------------------
# wait_for GLOB: until a path matching GLOB exists (at most ~20 s).
wait_for() {
    i=0
    while [ $i -lt 2000 ]; do
        for f in $1; do [ -e "$f" ] && return 0; done
        sleep 0.01
        i=$((i + 1))
    done
    return 1
}
"$rk" random --rows 1500 --cols 1500 --seed 1 -o kb.npy >/dev/null
"$rk" random --rows 1500 --cols 1500 --seed 2 -o kf.npy >/dev/null
"$rk" extract -r 1 kb.npy kf.npy -o kad >/dev/null
cp kad/adapter_config.json kad_before.json
cp kad/adapter_model.safetensors kad_before.st
# (SIGINT is left out: a background job of a script ignores it, so it would
# not be delivered; the handler is the same for SIGINT, SIGTERM and SIGHUP.)
# A signal ignored when this script starts (nohup ignores SIGHUP) stays
# ignored in its children, and the tools rightly keep it so: `dflt` gives the
# killed command the default actions, as a terminal's foreground job has
# (env execs the command, so $! is the command itself).
dflt="env --default-signal=TERM,HUP"
for sig in TERM HUP KILL; do
    cp kad_before.json kad/adapter_config.json   # each round starts from the old adapter
    cp kad_before.st kad/adapter_model.safetensors
    $dflt "$rk" extract -r 5 --exact kb.npy kf.npy -o kad >/dev/null 2>&1 &
    pid=$!
    wait_for "kad.tmp-*"
    seen=$?
    kill -"$sig" $pid
    wait $pid
    st=$?
    [ $seen -eq 0 ] && [ $st -gt 128 ] && cmp -s kad/adapter_config.json kad_before.json &&
        cmp -s kad/adapter_model.safetensors kad_before.st && readable kad
    verdict "extract killed by SIG$sig while building its folder: the old adapter whole" $?
    if [ "$sig" = KILL ]; then
        # SIGKILL cannot be caught: its temporary stays (and is no part of the output).
        rm -rf kad.tmp-*
    else
        no_temp "no temporary folder left after SIG$sig"
    fi
done
"$rk" random --rows 2 --cols 2 -o kbig.npy >/dev/null
cp kbig.npy kbig_before.npy
tries=0 done_=1
while [ $tries -lt 5 ] && [ $done_ -ne 0 ]; do
    tries=$((tries + 1))
    $dflt "$rk" random --rows 3000 --cols 3000 -o kbig.npy >/dev/null 2>&1 &
    pid=$!
    wait_for "kbig.npy.tmp-*"
    kill -TERM $pid
    wait $pid
    [ $? -gt 128 ] && done_=0
done
[ $done_ -eq 0 ] && cmp -s kbig.npy kbig_before.npy
verdict "random killed by SIGTERM mid-write: the old file whole" $?
no_temp "no temporary file left after SIGTERM mid-write"

# A signal that lands on a BLAS worker thread (kill(1) lets the kernel pick any
# thread that does not block it) is handed to the writing thread, which
# removes its temporaries and ends by that signal: sent here straight to a
# worker with tgkill(2), mid-write. The writer takes it after the step it is
# in, so the file is the old one or the whole new one, never a part.
# tgkill_mid PID GLOB SIG: once a path matches GLOB, send SIG to a thread of PID
# other than its first, at once (a process started after the temporary
# appears would come too late: the write takes a few tens of milliseconds).
# Exit 0 sent, 1 too late (the process or its thread ended), 2 one thread only.
tgkill_mid() {
    python3 - "$@" <<'PY'
import ctypes, glob, os, sys, time
pid, pattern, sig = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
end = time.monotonic() + 20
while not glob.glob(pattern):
    if time.monotonic() > end:
        sys.exit(1)
    time.sleep(0.0005)
try:
    tids = [int(t) for t in os.listdir("/proc/%d/task" % pid) if int(t) != pid]
except FileNotFoundError:
    sys.exit(1)
if not tids:
    sys.exit(2)
sys.exit(0 if libc.tgkill(pid, tids[0], sig) == 0 else 1)
PY
}
new_size=$((128 + 3000 * 3000 * 8)) # the .npy header, then float64 entries
tries=0 sent=1
while [ $tries -lt 5 ] && [ $sent -eq 1 ]; do
    tries=$((tries + 1))
    cp kbig_before.npy kbig.npy
    OPENBLAS_NUM_THREADS=2 $dflt "$rk" random --rows 3000 --cols 3000 -o kbig.npy >/dev/null 2>&1 &
    pid=$!
    tgkill_mid $pid "kbig.npy.tmp-*" 15
    sent=$?
    wait $pid
    st=$?
done
if [ $sent -ne 2 ]; then
    size=$(stat -c %s kbig.npy)
    [ $sent -eq 0 ] && [ $st -eq 143 ] &&
        { cmp -s kbig.npy kbig_before.npy || [ "$size" -eq $new_size ]; }
    verdict "SIGTERM to a worker thread mid-write: the process ends by it, the file whole" $?
    no_temp "no temporary left after SIGTERM to a worker thread"
else
    skip "SIGTERM to a worker thread mid-write" "the process runs one thread"
    skip "no temporary left after SIGTERM to a worker thread" "the process runs one thread"
fi

# ---- two writers of one adapter folder, started together -----------------------
"$rk" extract -r 1 base.npy ft.npy -o shared >/dev/null
bad=0 failed=0 round=0
while [ $round -lt 100 ]; do
    round=$((round + 1))
    rm -f gate && mkfifo gate
    # Each writer waits at the gate: opening a FIFO for reading blocks until
    # it is opened for writing, which releases every waiting reader at once.
    sh -c ': <gate; exec "$0" extract -r 1 base.npy ft.npy -o shared' "$rk" >/dev/null 2>w1 &
    p1=$!
    sh -c ': <gate; exec "$0" extract -r 2 base.npy ft.npy -o shared' "$rk" >/dev/null 2>w2 &
    p2=$!
    sleep 0.02
    exec 3<>gate # never blocks; a writer that comes late passes at once
    wait $p1 || failed=$((failed + 1))
    wait $p2 || failed=$((failed + 1))
    exec 3>&-
    readable shared || bad=$((bad + 1))
done
[ $failed -eq 0 ]
verdict "100 rounds of two concurrent extracts into one folder: every run exit 0" $?
[ $bad -eq 0 ]
verdict "100 rounds of two concurrent extracts: the adapter readable after every round" $?
[ $bad -eq 0 ] || echo "# $bad unreadable"
no_temp "no temporary left by the concurrent writers"

done_testing
