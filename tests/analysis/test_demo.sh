#!/bin/sh
# test_demo.sh — `ranklab demo` and `ranklab compare` end to end on a small
# synthetic IDX dataset (tests/tools/make_idx.py: 200 + 100 images of 8×8,
# 10 classes) with a small net (64 → 32 → 16 → 10): exit codes, the files
# written, results.json's keys and its math (rel_err ≥ Eckart–Young bound,
# φ in [0, 1]), report.md linking only files that exist, valid PNG files
# when gnuplot is there, compare reproducing demo's numbers from the saved
# files, and the --help texts against docs/tools/.
# Speaks TAP. Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT.
set -u
rk="$RK_BUILD_ROOT/tools/ranklab"
src="$RK_SOURCE_ROOT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; }
diag() { sed 's/^/# /' "$@"; }
run() { "$rk" "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; }
expect() {
    if [ "$rc" -eq "$2" ]; then ok "$1"; else not_ok "$1"; echo "# exit $rc, wanted $2"; diag "$tmp/err"; fi
}
py() {
    desc=$1
    shift
    if python3 - "$@" >"$tmp/py" 2>&1; then ok "$desc"; else not_ok "$desc"; diag "$tmp/py"; fi
}

if ! command -v python3 >/dev/null 2>&1; then
    echo "1..0 # SKIP python3 is needed to make the dataset and read the JSON"
    exit 0
fi
python3 "$src/tests/tools/make_idx.py" "$tmp/data" --train 200 --test 100 --side 8 --seed 1
small="--data $tmp/data --hidden 32,16 --threads 1 --pretrain-batch 10 --epochs 2 --steps 20 --ranks 1,2,4,8 --quiet"

for c in demo compare; do
    run "$c" --help
    if [ "$rc" -eq 0 ] && head -n 1 "$tmp/out" | grep -q "^usage: ranklab $c " &&
        python3 -c 'import sys; assert open(sys.argv[1]).read() in open(sys.argv[2]).read()' \
            "$tmp/out" "$src/docs/tools/$c.md" 2>/dev/null; then
        ok "$c --help: usage on stdout, exit 0, as in docs/tools/$c.md"
    else
        not_ok "$c --help: usage on stdout, exit 0, as in docs/tools/$c.md"
    fi
done
run demo --ranks 4,2; expect "demo: decreasing ranks are a usage error" 2
run demo --format jpg; expect "demo: unknown format is a usage error" 2
run demo --bogus; expect "demo: unknown option is a usage error" 2
run demo --data "$tmp/nothing" --out "$tmp/x"; expect "demo: missing data is a runtime error" 1
run compare --base x.safetensors; expect "compare: missing --full/--lora is a usage error" 2

run demo $small --out "$tmp/demo"
expect "demo runs on the small dataset" 0
if [ "$rc" -ne 0 ]; then diag "$tmp/err"; fi
for f in report.md results.json weights/base.safetensors full/delta.safetensors \
         adapters/lora_r8/adapter_config.json adapters/lora_r8_normal/adapter_model.safetensors \
         adapters/lora_r8_seed2/adapter_config.json adapters/extracted_r4/adapter_config.json \
         accuracy.dat error_linear2.dat spectra_linear2.dat phi_linear2_r8_left.dat \
         phi_linear2_pair.dat phi_linear2_seeds.dat; do
    if [ -s "$tmp/demo/$f" ]; then ok "demo wrote $f"; else not_ok "demo wrote $f"; fi
done
grep -q "^r=8 " "$tmp/out" && ok "demo prints the main table" || not_ok "demo prints the main table"

py "results.json: keys and math" "$tmp/demo/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert set(r['pretrain']) >= {'accuracy', 'per_class_accuracy'}
assert len(r['pretrain']['per_class_accuracy']) == 10
pc = r['pretrain']['per_class_accuracy']
assert r['target_class'] == min(range(10), key=lambda c: (pc[c], c))
assert set(r['full']) >= {'accuracy', 'target_accuracy', 'trainable_params'}
assert [x['rank'] for x in r['lora']] == [1, 2, 4, 8]
for x in r['lora']:
    assert set(x) >= {'rank', 'accuracy', 'target_accuracy', 'trainable_params', 'layers'}
    assert x['trainable_params'] == x['rank'] * (64 + 32 + 32 + 16 + 16 + 10)
    for L in x['layers']:
        assert L['rel_err'] >= L['eckart_young_rel_err'] - 1e-12, L
        assert 0 <= L['phi'] <= 1
        assert L['numerical_rank'] <= x['rank']
assert [x['role'] for x in r['lora_extra']] == ['normal_init', 'seed2']
PY

# The demo's intruder counts against `ranklab intruders` on the adapters it saved.
for d in "$tmp"/demo/adapters/lora_r*; do
    "$rk" intruders "$tmp/demo/weights/base.safetensors" "$d" --json >"$d.intruders.json" 2>"$tmp/err"
done
py "results.json: intruders per layer as ranklab intruders finds them on the saved adapters; the lambda sweep" "$tmp/demo" <<'PY'
import glob, json, os, sys
d = sys.argv[1]
r = json.load(open(os.path.join(d, 'results.json')))
runs = {x['label']: x for x in r['lora'] + r['lora_extra']}
names = {'r=%d' % x['rank']: 'lora_r%d' % x['rank'] for x in r['lora']}
names.update({x['label']: 'lora_r%d_normal' % x['rank'] for x in r['lora_extra'] if x['role'] == 'normal_init'})
assert len(names) == 5, names
for label, folder in names.items():
    cmd = json.load(open(os.path.join(d, 'adapters', folder + '.intruders.json')))
    mine = runs[label]['intruders']
    assert [m['intruders'] for m in cmd['modules']] == mine['count'], (label, mine, cmd['modules'])
    for m, c in zip(cmd['modules'], mine['min_cos']):
        assert abs(min(m['max_cos']) - c) <= 1e-9, (label, m['max_cos'], c)
assert r['full']['intruders']['count'][2] is None           # 10 outputs, K = 10: blind
sw = r['intruder_sweep']
assert sw['lambda'] == [1, 0.75, 0.5, 0.25, 0] and sw['eval_examples'] == 100
assert sw['lora']['run'] == 'r=8'
for part, run in (('lora', runs['r=8']), ('full', r['full'])):
    t, o = sw[part]['target_accuracy'], sw[part]['other_accuracy']
    assert all(0 <= v <= 1 for v in t + o)
    if not any(run['intruders']['count'][:2]):           # nothing to scale: every lambda the same
        assert len(set(t)) == 1 and len(set(o)) == 1, (part, t, o)
PY

py "report.md links only files that exist" "$tmp/demo" <<'PY'
import os, re, sys
d = sys.argv[1]
links = re.findall(r'\]\(([^)]+)\)', open(os.path.join(d, 'report.md')).read())
assert links, 'no links'
missing = [l for l in links if not os.path.exists(os.path.join(d, l))]
assert not missing, missing
PY

if command -v gnuplot >/dev/null 2>&1; then
    py "plots are valid PNG files" "$tmp/demo" <<'PY'
import glob, os, sys
pngs = glob.glob(os.path.join(sys.argv[1], '*.png'))
assert len(pngs) >= 10, pngs
for p in pngs:
    b = open(p, 'rb').read()
    assert b[:8] == b'\x89PNG\r\n\x1a\n' and len(b) > 1000, p
PY
else
    ok "plots are valid PNG files # SKIP gnuplot is not installed"
fi

run compare --base "$tmp/demo/weights/base.safetensors" --full "$tmp/demo/full" \
    --lora "$tmp/demo/adapters/lora_r2" --lora "$tmp/demo/adapters/lora_r8" \
    --lora "$tmp/demo/adapters/lora_r8_seed2" --out "$tmp/cmp" --quiet --threads 1
expect "compare reads demo's saved runs" 0
py "compare reproduces demo's rel_err, bound and phi" "$tmp/demo/results.json" "$tmp/cmp/results.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
da = {x['rank']: x for x in a['lora']}
assert [x['rank'] for x in b['lora']] == [2, 8]
assert b['lora_extra'][0]['role'] == 'seed2'
for x in b['lora']:
    for La, Lb in zip(da[x['rank']]['layers'], x['layers']):
        for k in ('rel_err', 'eckart_young_rel_err'):
            assert abs(La[k] - Lb[k]) <= 1e-12 * max(1, abs(La[k])), (k, La[k], Lb[k])
        assert abs(La['phi'] - Lb['phi']) <= 1e-9
PY
run compare --base "$tmp/demo/weights/base.safetensors" --full "$tmp/demo/full" \
    --lora "$tmp/nothing" --out "$tmp/cmp2" --quiet
expect "compare: a missing adapter is a runtime error" 1

# compare on `ranklab train` + `ranklab finetune` outputs (the same formats)
d="--data $tmp/data --threads 1"
if "$rk" train $d --hidden 32,16 --out "$tmp/tr" --json >/dev/null 2>&1 &&
    "$rk" finetune $d --base "$tmp/tr/model.safetensors" --full --steps 10 --out "$tmp/ff" --json >/dev/null 2>&1 &&
    "$rk" finetune $d --base "$tmp/tr/model.safetensors" --lora-rank 2 --steps 10 --out "$tmp/fl2" --json >/dev/null 2>&1 &&
    "$rk" finetune $d --base "$tmp/tr/model.safetensors" --lora-rank 4 --steps 10 --out "$tmp/fl4" --json >/dev/null 2>&1; then
    run compare --base "$tmp/tr/model.safetensors" --full "$tmp/ff/delta.safetensors" \
        --lora "$tmp/fl2" --lora "$tmp/fl4" --data "$tmp/data" --out "$tmp/cmp3" --quiet --threads 1
    expect "compare reads ranklab train/finetune outputs" 0
    py "compare on finetune outputs: rel_err from the delta files, bound holds" "$tmp/cmp3/results.json" "$tmp/fl2/delta.safetensors" "$tmp/ff/delta.safetensors" <<'PY'
import json, math, struct, sys
def ST(p):
    b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n]); out = {}
    for k, v in h.items():
        if k == '__metadata__': continue
        s, e = v['data_offsets']; raw = b[8 + n + s:8 + n + e]
        out[k] = struct.unpack('<%dd' % (len(raw) // 8), raw)
    return out
r = json.load(open(sys.argv[1])); lo = ST(sys.argv[2]); fu = ST(sys.argv[3])
assert [x['rank'] for x in r['lora']] == [2, 4]
for L in r['lora'][0]['layers']:
    a = lo[L['name'] + '.weight']; f = fu[L['name'] + '.weight']
    want = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, f))) / math.sqrt(sum(y * y for y in f))
    assert abs(L['rel_err'] - want) <= 1e-6 * want, (L['name'], L['rel_err'], want)
    assert L['rel_err'] >= L['eckart_young_rel_err'] - 1e-12
assert r['lora'][0]['accuracy'] is not None and 'accuracy' in r['full']
PY
else
    not_ok "ranklab train/finetune for the compare check"
fi

# without gnuplot: exit 0, a warning, the data files, and a report without images
RANKLAB_GNUPLOT="$tmp/no-gnuplot" "$rk" demo --data "$tmp/data" --hidden 8 --threads 1 \
    --pretrain-batch 10 --steps 5 --ranks 1,2 --quiet --out "$tmp/nognu" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "warning: plots not drawn" "$tmp/err" &&
    [ -s "$tmp/nognu/error_linear1.dat" ] && ! grep -q '\.png)' "$tmp/nognu/report.md"; then
    ok "demo without gnuplot: exit 0, warning, data files, no image links"
else
    not_ok "demo without gnuplot: exit 0, warning, data files, no image links"
    diag "$tmp/err"
fi

echo "1..$n"
