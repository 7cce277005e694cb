#!/bin/sh
# test_rules.sh — `svd --rules` and `delta --rules`: every rule's rank at its
# default parameter, checked against the formulas written again in Python
# (tests/tools/rank_rules.py, sharing no code with lib/linalg/rankrule.c) from
# the singular values the same JSON holds; the thresholds drawn on the scree plot
# (its data file names them); docs/tools/svd.md and delta.md show --help.
# Speaks TAP.
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT, RK_TEST_DATA.
set -u
. "$RK_SOURCE_ROOT/tests/tap.sh"
scratch
tool "$RK_BUILD_ROOT/tools/ranklab"

check_rules() { # DESC: stdin is a JSON object with shape, singular_values and rules
    if python3 -c '
import json, sys
sys.path.insert(0, sys.argv[1])
from rank_rules import default_rules as rules
d = json.load(sys.stdin)
items = d["tensors"] if "tensors" in d else [d]
for t in items:
    m, n = t["shape"]
    want = rules(t["singular_values"], m, n)
    got = {r["rule"]: r["rank"] for r in t["rules"]}
    assert got == want, (got, want)
    for r in t["rules"]:
        assert (r["threshold"] is None) == (r["rule"] not in ("sv_ratio:10", "gd")), r
    print("#", {k: got[k] for k in got})
' "$RK_SOURCE_ROOT/tests/tools" <"$tmp/out" >"$tmp/py" 2>&1; then pass "$1"; else fail "$1"; fi
    diag "$tmp/py"
}

# ---- svd --rules ---------------------------------------------------------------
for f in lowrank_12x9_r4 gauss_30x20; do
    run svd "$RK_TEST_DATA/npy/$f.npy" --rules --json
    [ "$rc" -eq 0 ] && check_rules "svd --rules --json on $f: every rule's rank as its formula says" ||
        { fail "svd --rules --json on $f"; diag "$tmp/err"; }
done
run svd "$RK_TEST_DATA/npy/lowrank_12x9_r4.npy" --rules --top 0
if [ "$rc" -eq 0 ] && grep -Eq '^  energy:0.9 +3 ' "$tmp/out" && grep -Eq '^  gd +4 +sigma = ' "$tmp/out"; then
    pass "svd --rules: the table (energy:0.9 keeps 3 of the planted rank 4, gd all 4)"
else
    fail "svd --rules: the table"; diag "$tmp/out" "$tmp/err"
fi
run random --rows 60 --cols 40 --rank 3 --seed 4 -o "$tmp/low.npy"
run svd "$tmp/low.npy" --rules --plot "$tmp/scree.png"
if [ "$rc" -eq 0 ] && grep -q "reference line: gd: σ = " "$tmp/scree.dat" &&
        grep -q "reference line: sv_ratio:10: σ = " "$tmp/scree.dat" &&
        grep -q "series 2: energy:0.9: r = " "$tmp/scree.dat"; then
    pass "svd --rules --plot: the thresholds are labelled lines (sigma = tau across, the rank upright)"
else
    fail "svd --rules --plot: the thresholds are labelled lines"; diag "$tmp/err"; head -20 "$tmp/scree.dat" | diag
fi

# ---- delta --rules ------------------------------------------------------------
run random --rows 50 --cols 30 --seed 1 -o "$tmp/base.npy"
run random --rows 50 --cols 30 --rank 2 --seed 2 -o "$tmp/upd.npy"
python3 - "$tmp" <<'EOF'
# ft = base + the rank-2 update + a little noise, read and written with the .npy format's own header
import struct, sys, random
d = sys.argv[1]
def load(p):
    b = open(p, "rb").read()
    (hl,) = struct.unpack("<H", b[8:10])
    return b[:10 + hl], list(struct.unpack("<%dd" % ((len(b) - 10 - hl) // 8), b[10 + hl:]))
h, base = load(d + "/base.npy")
_, upd = load(d + "/upd.npy")
rng = random.Random(3)
ft = [x + u + 0.01 * rng.gauss(0, 1) for x, u in zip(base, upd)]
open(d + "/ft.npy", "wb").write(h + struct.pack("<%dd" % len(ft), *ft))
EOF
run delta "$tmp/base.npy" "$tmp/ft.npy" --rules --json
[ "$rc" -eq 0 ] && check_rules "delta --rules --json: every rule's rank as its formula says" ||
    { fail "delta --rules --json"; diag "$tmp/err"; }
run delta "$tmp/base.npy" "$tmp/ft.npy" --rules --top 0
if [ "$rc" -eq 0 ] && grep -Eq '^  gd +2 ' "$tmp/out"; then
    pass "delta --rules: gd finds the rank-2 update under the noise"
else
    fail "delta --rules: gd finds the rank-2 update under the noise"; diag "$tmp/out" "$tmp/err"
fi

# ---- the docs show --help as it is ----------------------------------------------
for c in svd delta; do
    help_in_doc "$RK_SOURCE_ROOT/docs/tools/$c.md" "$rk" "$c" --help
done

done_testing
