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
src="$RK_SOURCE_ROOT"
. "$src/tests/tap.sh"
scratch
tool "$RK_BUILD_ROOT/tools/ranklab"
stderr_may=$TRAIN_PROGRESS   # train and finetune report their progress; nothing else may be there
# pyhere WHAT ARGS... <<'PY': the python3 program on stdin, with ARGS; ok when it exits 0
pyhere() {
    _what=$1
    shift
    if python3 - "$@" >"$tmp/py" 2>&1; then pass "$_what"; else fail "$_what"; diag "$tmp/py"; fi
}

if ! command -v python3 >/dev/null 2>&1; then
    skip_all "python3 is needed to make the dataset and read the JSON"
fi
python3 "$src/tests/tools/make_idx.py" "$tmp/data" --train 200 --test 100 --side 8 --seed 1
ok $? "make_idx.py writes the synthetic dataset"
small="--data $tmp/data --hidden 32,16 --threads 1 --pretrain-batch 10 --epochs 2 --steps 20 --ranks 1,2,4,8 --track-every 10 --quiet"

for c in demo compare; do
    help_in_doc "$src/docs/tools/$c.md" "$rk" "$c" --help
done
run demo --ranks 4,2; expect "demo: decreasing ranks are a usage error" 2 "ranklab demo: "
run demo --format jpg; expect "demo: unknown format is a usage error" 2 "ranklab demo: "
run demo --bogus; expect "demo: unknown option is a usage error" 2 "ranklab demo: "
run demo --data "$tmp/nothing" --out "$tmp/x" --quiet
expect "demo: missing data is a runtime error naming the folder" 1 "ranklab demo: $tmp/nothing: "
run compare --base x.safetensors; expect "compare: missing --full/--lora is a usage error" 2 "ranklab compare: "

run demo $small --out "$tmp/demo"
expect "demo runs on the small dataset" 0
for f in report.md results.json weights/base.safetensors full/delta.safetensors \
         adapters/lora_r8/adapter_config.json adapters/lora_r8_normal/adapter_model.safetensors \
         adapters/lora_r8_seed2/adapter_config.json adapters/extracted_r4/adapter_config.json \
         accuracy.dat error_linear2.dat spectra_linear2.dat phi_linear2_r8_left.dat \
         phi_linear2_pair.dat phi_linear2_seeds.dat learn_forget.dat rank90_full.dat \
         intruders_heatmap.dat adapters/lora_r64_rslora/adapter_model.safetensors; do
    if [ -s "$tmp/demo/$f" ]; then pass "demo wrote $f"; else fail "demo wrote $f"; fi
done
grep -q "^r=8 " "$tmp/out"; ok $? "demo prints the main table"

pyhere "results.json: keys and math" "$tmp/demo/results.json" <<'PY'
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
assert [x['role'] for x in r['lora_extra']] == ['normal_init', 'seed2', 'rslora']
rs = r['lora_extra'][2]
assert rs['rank'] == 64 and rs['label'] == 'r=64 rsLoRA' and abs(rs['scale'] - 8) <= 1e-12, rs
PY

# Learning against forgetting: the records of every fine-tune. The test set
# has 100 images, fewer than the subset's default size, so the subset is the
# whole test set and a record runs the very evaluation of the pretrained and
# final figures: step 0 and the last record equal them exactly.
pyhere "results.json: learn-forget records, step 0 = pretrained, last = final evaluation (exactly)" "$tmp/demo/results.json" <<'PY'
import json, math, sys
r = json.load(open(sys.argv[1]))
lf = r['learn_forget']
assert lf['every'] == 10 and lf['eval_examples'] == 100 and lf['whole_test_set'] is True, lf
assert lf['layers'] == ['linear1', 'linear2', 'linear3'] and lf['phi_rank'] == 8
labels = [x['label'] for x in lf['runs']]
assert labels == ['full'] + [x['label'] for x in r['lora'] + r['lora_extra']], labels
pre = lf['pretrained']
pc = r['pretrain']['per_class_accuracy']
assert pre['target_accuracy'] == pc[r['target_class']], (pre, pc)
for run in lf['runs']:
    recs = run['records']
    assert [p['step'] for p in recs] == [0, 10, 20], (run['label'], [p['step'] for p in recs])
    assert recs[0]['target_accuracy'] == pre['target_accuracy'], run['label']
    assert recs[0]['other_accuracy'] == pre['other_accuracy'], run['label']
    assert recs[-1]['target_accuracy'] == run['final']['target_accuracy'], run['label']
    assert recs[-1]['other_accuracy'] == run['final']['other_accuracy'], run['label']
    for p in recs:
        assert 0 <= p['target_accuracy'] <= 1 and 0 <= p['other_accuracy'] <= 1
        assert len(p['layers']) == 3
        for L, (m, n) in zip(p['layers'], [(32, 64), (16, 32), (10, 16)]):
            assert set(L) == {'fro', 'rank_90', 'rank_99', 'effective_rank', 'phi'}, L
            if p['step'] == 0:              # nothing learned yet: a zero update
                assert L['fro'] == 0 and L['rank_90'] == 0 and L['rank_99'] == 0, L
                continue
            assert L['fro'] > 0 and 1 <= L['rank_90'] <= L['rank_99'] <= min(m, n), L
            assert 1 <= L['effective_rank'] <= min(m, n) + 1e-9, L
            if run['role'] == 'full':       # phi(8, 8) against the final update: 1 at the end
                assert 0 <= L['phi'] <= 1 + 1e-12, L
            else:
                assert L['phi'] is None, L
    if run['role'] == 'full':
        assert all(abs(L['phi'] - 1) <= 1e-12 for L in recs[-1]['layers']), recs[-1]
# the full fine-tune's final figures are those of results.json's full entry
full = lf['runs'][0]
assert full['final']['target_accuracy'] == r['full']['target_accuracy']
PY

# The rank rules on ΔW_full: every rule's ranks as the formulas (tests/tools/rank_rules.py,
# no code shared with lib/linalg/rankrule.c) give them on the saved spectra, budget:P
# with P = LoRA r = 4's parameters within P, the accuracies in [0, 1].
pyhere "results.json: rank_rules, each rule's ranks from the spectra of dW_full" "$tmp/demo/results.json" \
    "$src/tests/tools" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[2])
from rank_rules import budget_ranks, rule_rank
r = json.load(open(sys.argv[1]))
layers = [(L['singular_values_full'], L['shape']) for L in r['layers']]
rows = r['rank_rules']
cost = sum(m + n for _, (m, n) in layers)
names = ['energy:0.9', 'sv_fro:0.9', 'sv_cumulative:0.9', 'sv_ratio:10', 'gd', 'fixed:4', 'budget:%d' % (4 * cost)]
assert [x['rule'] for x in rows] == names, [x['rule'] for x in rows]
for x in rows:
    if x['rule'].startswith('budget:'):
        want, spent = budget_ranks([s for s, _ in layers], [sh for _, sh in layers], 4 * cost, 0)
        assert x['params'] <= 4 * cost and x['params'] == spent, (x['params'], spent)
    else:
        want = [rule_rank(x['rule'], s, m, n) for s, (m, n) in layers]
    assert x['ranks'] == want, (x['rule'], x['ranks'], want)
    assert x['params'] == sum(k * (m + n) for k, (_, (m, n)) in zip(x['ranks'], layers)), x
    assert all(0 <= e <= 1 + 1e-12 for e in x['energy_kept']) and 0 <= x['energy_kept_total'] <= 1 + 1e-12
    assert all(abs(e + q * q - 1) <= 1e-9 for e, q in zip(x['energy_kept'], x['rel_err'])), x
    assert 0 <= x['accuracy'] <= 1 and 0 <= x['target_accuracy'] <= 1, x
ex4 = [e for e in r['svd_extracted'] if e['rank'] == 4][0]
assert abs(rows[5]['accuracy'] - ex4['accuracy']) <= 2 / r['test_examples'], (rows[5], ex4)  # fixed:4 = extracted r = 4
PY
grep -q '^## How low can the rank go? The rank rules on ΔW_full' "$tmp/demo/report.md" &&
    grep -q '^| `budget:' "$tmp/demo/report.md" && grep -q "^rank rules on dW_full" "$tmp/out"
ok $? "report.md has the rank-rule section, the demo prints its table"

# The demo's intruder counts against `ranklab intruders` on the adapters it saved.
for d in "$tmp"/demo/adapters/lora_r*; do
    "$rk" intruders "$tmp/demo/weights/base.safetensors" "$d" --json >"$d.intruders.json" 2>"$tmp/err"
done
pyhere "results.json: intruders per layer as ranklab intruders finds them on the saved adapters; the lambda sweep" "$tmp/demo" <<'PY'
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

grep -q "^## Learning against forgetting along training" "$tmp/demo/report.md" &&
    grep -q "^| full fine-tune | " "$tmp/demo/report.md" && grep -q "^| LoRA r=64 rsLoRA | " "$tmp/demo/report.md"
ok $? "report.md: the learn-forget section with a row per fine-tune"
for f in learn_forget rank90_full intruders_heatmap; do
    grep -q "^Data: \[$f.dat\]($f.dat)" "$tmp/demo/report.md"; ok $? "report.md shows $f"
done
if [ -s "$tmp/demo/adapters/lora_r64_rslora/adapter_config.json" ] &&
    grep -q '"use_rslora": true' "$tmp/demo/adapters/lora_r64_rslora/adapter_config.json"; then
    pass "demo saves the rsLoRA adapter with use_rslora"
else
    fail "demo saves the rsLoRA adapter with use_rslora"
fi

pyhere "report.md links only files that exist" "$tmp/demo" <<'PY'
import os, re, sys
d = sys.argv[1]
links = re.findall(r'\]\(([^)]+)\)', open(os.path.join(d, 'report.md')).read())
assert links, 'no links'
missing = [l for l in links if not os.path.exists(os.path.join(d, l))]
assert not missing, missing
PY

if command -v gnuplot >/dev/null 2>&1; then
    pyhere "plots are valid PNG files" "$tmp/demo" <<'PY'
import glob, os, sys
pngs = glob.glob(os.path.join(sys.argv[1], '*.png'))
assert len(pngs) >= 10, pngs
for p in pngs:
    b = open(p, 'rb').read()
    assert b[:8] == b'\x89PNG\r\n\x1a\n' and len(b) > 1000, p
PY
else
    skip "plots are valid PNG files" "gnuplot is not installed"
fi

run compare --base "$tmp/demo/weights/base.safetensors" --full "$tmp/demo/full" \
    --lora "$tmp/demo/adapters/lora_r2" --lora "$tmp/demo/adapters/lora_r8" \
    --lora "$tmp/demo/adapters/lora_r8_seed2" --out "$tmp/cmp" --quiet --threads 1
expect "compare reads demo's saved runs" 0
pyhere "compare reproduces demo's rel_err, bound and phi" "$tmp/demo/results.json" "$tmp/cmp/results.json" <<'PY'
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
# (the message names the base model, not the missing adapter: rk_exp_load's
# error does not say which file failed)
expect "compare: a missing adapter is a runtime error" 1 "ranklab compare: "

# compare on `ranklab train` + `ranklab finetune` outputs (the same formats)
d="--data $tmp/data --threads 1"
if run train $d --hidden 32,16 --out "$tmp/tr" --json && ran_clean &&
    run finetune $d --base "$tmp/tr/model.safetensors" --full --steps 10 --out "$tmp/ff" --json && ran_clean &&
    run finetune $d --base "$tmp/tr/model.safetensors" --lora-rank 2 --steps 10 --out "$tmp/fl2" --json && ran_clean &&
    run finetune $d --base "$tmp/tr/model.safetensors" --lora-rank 4 --steps 10 --out "$tmp/fl4" --json && ran_clean; then
    run compare --base "$tmp/tr/model.safetensors" --full "$tmp/ff/delta.safetensors" \
        --lora "$tmp/fl2" --lora "$tmp/fl4" --data "$tmp/data" --out "$tmp/cmp3" --quiet --threads 1
    expect "compare reads ranklab train/finetune outputs" 0
    pyhere "compare on finetune outputs: rel_err from the delta files, bound holds" "$tmp/cmp3/results.json" "$tmp/fl2/delta.safetensors" "$tmp/ff/delta.safetensors" <<'PY'
import json, math, os, sys
sys.dont_write_bytecode = True
sys.path.insert(0, os.environ['RK_SOURCE_ROOT'] + '/tests/tools')
from st_files import read
def ST(p):
    return {k: v for k, (_, _, v) in read(p).items()}
r = json.load(open(sys.argv[1])); lo = ST(sys.argv[2]); fu = ST(sys.argv[3])
assert [x['rank'] for x in r['lora']] == [2, 4]
for L in r['lora'][0]['layers']:
    a = lo[L['name'] + '.weight']; f = fu[L['name'] + '.weight']
    want = math.sqrt(sum((x - y) ** 2 for x, y in zip(a, f))) / math.sqrt(sum(y * y for y in f))
    # both sides sum the same squares of the same doubles, in another order:
    # they agree to a few roundings of the norms, far inside 1e-12
    assert abs(L['rel_err'] - want) <= 1e-12 * want, (L['name'], L['rel_err'], want)
    assert L['rel_err'] >= L['eckart_young_rel_err'] - 1e-12
assert r['lora'][0]['accuracy'] is not None and 'accuracy' in r['full']
PY
else
    fail "ranklab train/finetune for the compare check (exit $rc)"
    diag "$tmp/err"
fi

# without gnuplot: exit 0, a warning, the data files, and a report without images
RANKLAB_GNUPLOT="$tmp/no-gnuplot" "$rk" demo --data "$tmp/data" --hidden 8 --threads 1 \
    --pretrain-batch 10 --steps 5 --ranks 1,2 --quiet --out "$tmp/nognu" >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "warning: plots not drawn" "$tmp/err" &&
    [ -s "$tmp/nognu/error_linear1.dat" ] && ! grep -q '\.png)' "$tmp/nognu/report.md"; then
    pass "demo without gnuplot: exit 0, warning, data files, no image links"
else
    fail "demo without gnuplot: exit 0, warning, data files, no image links"
    diag "$tmp/err"
fi

done_testing
