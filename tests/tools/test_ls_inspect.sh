#!/bin/sh
# test_ls_inspect.sh — `ranklab ls` and `ranklab inspect` on good and malformed
# files: output, exit codes (0 ok, 1 runtime error with one line naming the
# file, 2 usage error). TAP output.
rk="$RK_BUILD_ROOT/tools/ranklab"
data="$RK_TEST_DATA"
small="$data/peft-small"
gpt2="$RK_SHARED_DIR/fixtures/peft-gpt2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$RK_SOURCE_ROOT/tests/tap.sh"
tool "$rk"
no() { fail "$1"; diag "$tmp/out" "$tmp/err"; }
# outcome EXPECTED_EXIT DESCRIPTION CMD...: a run of CMD, output in $tmp/out,
# $tmp/err; its exit status is checked now; with exit 0 its stderr must be
# empty unless one_line checks the message it holds
outcome() {
    want=$1 what=$2
    shift 2
    settle
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    judged=0
    last_run="$*"
    [ "$want" -eq 0 ] || judged=1
    if [ "$rc" -eq "$want" ]; then pass "$what (exit $rc)"; else no "$what: exit $rc, expected $want"; fi
}
has() { if grep -q -- "$2" "$tmp/$1"; then pass "$3"; else no "$3: no '$2' in $1"; fi; }
one_line() {
    judged=1
    if [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$1" "$tmp/err"; then pass "$2";
    else no "$2: stderr is not one line naming '$1'"; fi
}

outcome 0 "ls lists the fixture" "$rk" ls "$small/adapter_model.safetensors"
has out "base_model.model.layers.0.proj.lora_A.weight  F32      (4, 6)" "ls shows name, dtype and shape"
has out "format: pt" "ls shows the metadata"
has out "5 tensors" "ls counts the tensors"
outcome 0 "ls --help" "$rk" ls --help
has out "usage: ranklab ls" "ls --help prints the usage"
outcome 2 "ls without a file" "$rk" ls
outcome 2 "ls with an unknown option" "$rk" ls --bogus "$small/adapter_model.safetensors"
printf 'garbage!' >"$tmp/bad.safetensors"
outcome 1 "ls on a malformed file" "$rk" ls "$tmp/bad.safetensors"
one_line "ranklab ls: $tmp/bad.safetensors: header length" "ls names the file and the problem"
outcome 1 "ls on a missing file" "$rk" ls "$tmp/none.safetensors"
one_line "$tmp/none.safetensors: no such file" "ls names the missing file"

outcome 0 "ls a .npy file" "$rk" ls "$data/npy/gauss_30x20.npy"
has out "dtype    <f8 (F64)" "ls shows the .npy dtype"
has out "shape    (30, 20)" "ls shows the .npy shape"
printf '\223NUMPY\001\000' >"$tmp/cut.npy"
outcome 1 "ls a truncated .npy file" "$rk" ls "$tmp/cut.npy"
one_line "ranklab ls: $tmp/cut.npy:" "ls names the .npy file and the problem"

outcome 0 "inspect the fixture" "$rk" inspect "$small"
has out "layers.0.proj  5x6" "inspect shows the module and ΔW's shape"
has out "singular values of ΔW" "inspect lists singular values"
has out "summary: 2 modules" "inspect prints a summary"
outcome 0 "inspect --json" "$rk" inspect --json "$small"
if /usr/bin/python3 - "$tmp/out" "$data/peft-small/expected.json" <<'PY'
import json, sys
got = json.load(open(sys.argv[1])); want = json.load(open(sys.argv[2]))
assert got["r"] == 4 and got["lora_alpha"] == 8
mods = {m["name"]: m for m in got["modules"]}
assert set(mods) == set(want)
for name, w in want.items():
    m = mods[name]
    assert m["r"] == w["r"] and m["shape"] == [w["out"], w["in"]] and m["scale"] == w["scale"]
    for g, e in zip(m["singular_values"], w["singular_values"]):
        assert abs(g - e) <= 1e-12 * e, (g, e)
PY
then pass "inspect --json has r, lora_alpha and modules matching numpy"; else no "inspect --json content"; fi
outcome 0 "inspect with --json after the adapter" "$rk" inspect "$small" --json
if [ "$(wc -l <"$tmp/out")" -eq 1 ]; then pass "inspect --json prints one line"; else no "inspect --json prints one line"; fi
outcome 0 "inspect the .safetensors file" "$rk" inspect "$small/adapter_model.safetensors"
outcome 2 "inspect without an adapter" "$rk" inspect
outcome 2 "inspect with an unknown option" "$rk" inspect --bogus "$small"
mkdir "$tmp/noconfig" && cp "$small/adapter_model.safetensors" "$tmp/noconfig/"
outcome 1 "inspect without adapter_config.json" "$rk" inspect "$tmp/noconfig"
one_line "ranklab inspect: $tmp/noconfig: no adapter_config.json" "inspect names the folder and the problem"
mkdir "$tmp/badr" && cp "$small/adapter_model.safetensors" "$tmp/badr/"
sed 's/"r": 4/"r": 8/' "$small/adapter_config.json" >"$tmp/badr/adapter_config.json"
outcome 1 "inspect with a contradicting r" "$rk" inspect "$tmp/badr"
one_line "the config says r = 8" "inspect explains the rank mismatch"

# --plot: the spectra of every module's ΔW on one log-scale plot (lib/plot).
# many_adapter DIR N ZERO: an adapter of N modules layers.I.mlp (r 3, 4x5);
# ZERO=1 makes every B zero (an untrained adapter: ΔW = 0).
many_adapter() {
    /usr/bin/python3 - "$@" <<'PY'
import json, os, struct, sys
import numpy as np
out, n, zero = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
header, data = {}, b""
names = {}
for i in range(n):
    names[f"base_model.model.layers.{i}.mlp.lora_A.weight"] = rng.standard_normal((3, 5))
    names[f"base_model.model.layers.{i}.mlp.lora_B.weight"] = (0 if zero else 1) * rng.standard_normal((4, 3))
for name in sorted(names):
    raw = np.ascontiguousarray(names[name], dtype="<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(names[name].shape), "data_offsets": [len(data), len(data) + len(raw)]}
    data += raw
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open(os.path.join(out, "adapter_model.safetensors"), "wb").write(struct.pack("<Q", len(text)) + text + data)
json.dump({"peft_type": "LORA", "r": 3, "lora_alpha": 3, "target_modules": ["mlp"]},
          open(os.path.join(out, "adapter_config.json"), "w"))
PY
}
# blocks FILE: the number of data blocks (series) and of data rows in a plot's .dat file
blocks() { grep -c '^# series ' "$1"; }
rows() { grep -c '^[0-9]' "$1"; }
if command -v "${RANKLAB_GNUPLOT:-gnuplot}" >/dev/null 2>&1; then
    outcome 0 "inspect --plot FILE.png" "$rk" inspect --plot "$tmp/sp.png" "$small"
    if [ "$(head -c 8 "$tmp/sp.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
       [ "$(wc -c <"$tmp/sp.png")" -gt 5000 ]; then pass "the PNG has the PNG signature and a picture's size"
    else no "the PNG is not a PNG of a plot"; fi
    has out "^plot: $tmp/sp.png (numbers: $tmp/sp.dat, gnuplot script: $tmp/sp.gp)" \
        "inspect names the files it wrote"
    has out "summary: 2 modules" "the report comes before the plot"
    if [ -s "$tmp/sp.gp" ] && [ "$(blocks "$tmp/sp.dat")" -eq 2 ] && [ "$(rows "$tmp/sp.dat")" -eq 6 ]
    then pass "the .dat file holds one block per module, one row per singular value (2 blocks, 4 + 2 rows)"
    else no "the .dat file's blocks and rows"; fi
    if /usr/bin/python3 - "$tmp/sp.dat" "$data/peft-small/expected.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
want = json.load(open(sys.argv[2]))
blocks = [b for b in text.split("\n\n\n") if b.strip()]
got = {}
for b in blocks:
    lines = b.strip().split("\n")
    name = [l for l in lines if l.startswith("# series ")][0].split(": ", 1)[1]
    got[name] = [[float(v) for v in l.split()] for l in lines if not l.startswith("#")]
assert sorted(got) == ["layers.0", "layers.1"], sorted(got)
for name, w in want.items():
    g = got[name.rsplit(".", 1)[0]]
    assert [x for x, _ in g] == list(range(1, len(w["singular_values"]) + 1))
    for (_, y), e in zip(g, w["singular_values"]):
        assert abs(y - e) <= 1e-12 * e, (y, e)
PY
    then pass "the .dat values are each module's singular values (as numpy computes them)"
    else no "the .dat values differ from numpy's"; fi
    outcome 0 "inspect --plot FILE.svg" "$rk" inspect --plot "$tmp/sp.svg" "$small"
    if grep -q '<svg' "$tmp/sp.svg" && grep -q 'layers.0' "$tmp/sp.svg"; then pass "the SVG has the legend"
    else no "the SVG has no legend"; fi
    outcome 0 "inspect --plot - draws in the terminal" "$rk" inspect --plot - "$small"
    has out "Singular values of ΔW = s·B·A: 2 modules layers.\*.proj" \
        "the terminal plot has its title, with the shared module name"
    has out "\*\*\*[A-Z]\*\*\*  layers.0" "the terminal plot's legend names the modules, sample apart from name"
    if [ ! -e "$tmp/-.dat" ] && [ ! -e ./-.dat ]; then pass "--plot - writes no file"
    else no "--plot - wrote a file"; fi
    outcome 0 "inspect --json --plot FILE.png" "$rk" inspect --json --plot "$tmp/js.png" "$small"
    if [ "$(wc -l <"$tmp/out")" -eq 1 ] && [ -s "$tmp/js.png" ]; then
        pass "with --json, stdout stays one JSON line and the picture is drawn"
    else no "--json with --plot"; fi
    many_adapter "$tmp/many" 20 0
    outcome 0 "inspect --plot - on 20 modules" "$rk" inspect --plot - "$tmp/many"
    has out "spread over 20 modules layers.\*.mlp" "more than 16 modules: the plot shows the spread"
    has out "median σ_k" "the spread plot has a readable legend"
    outcome 0 "inspect --plot FILE.png on 20 modules" "$rk" inspect --plot "$tmp/many.png" "$tmp/many"
    if [ "$(blocks "$tmp/many.dat")" -eq 3 ] && [ "$(rows "$tmp/many.dat")" -eq 9 ]; then
        pass "the spread's .dat file: largest, median, smallest (3 blocks of r = 3 rows)"
    else no "the spread's .dat file"; fi
    has_gnuplot=1
else
    skip "inspect --plot: PNG, SVG, terminal and 20-module plots (19 checks)" "gnuplot is not installed"
    has_gnuplot=0
fi
RANKLAB_GNUPLOT=/nonexistent outcome 0 "gnuplot missing: inspect --plot still exits 0" \
    "$rk" inspect --plot "$tmp/ng.png" "$small"
one_line "ranklab inspect: $tmp/ng.png: no plot drawn: cannot run gnuplot '/nonexistent'.*gnuplot-nox.*the numbers are in $tmp/ng.dat" \
    "gnuplot missing: one line on stderr says why, what to install and where the numbers are"
if [ "$(rows "$tmp/ng.dat")" -eq 6 ] && [ ! -e "$tmp/ng.png" ]; then pass "gnuplot missing: the .dat file is written, no picture"
else no "gnuplot missing: the .dat file"; fi
has out "summary: 2 modules" "gnuplot missing: the report is complete"
RANKLAB_GNUPLOT=/nonexistent outcome 0 "gnuplot missing: inspect --plot - exits 0" "$rk" inspect --plot - "$small"
one_line "ranklab inspect: -: no plot drawn: cannot run gnuplot" "gnuplot missing: --plot - warns in one line"
outcome 2 "--json --plot - is a usage error (stdout is the JSON's)" "$rk" inspect --json --plot - "$small"
outcome 2 "--plot without a value" "$rk" inspect "$small" --plot
many_adapter "$tmp/zero" 3 1
outcome 0 "inspect --plot on an untrained adapter (ΔW = 0)" "$rk" inspect --plot "$tmp/zero.png" "$tmp/zero"
one_line "no plot drawn: every ΔW is 0" "an all-zero update: a warning, nothing on a log scale"
outcome 1 "inspect --plot into a missing folder" "$rk" inspect --plot "$tmp/nodir/x.png" "$small"
one_line "ranklab inspect: $tmp/nodir/x.png: " "an unwritable plot names the file"

for c in ls inspect; do
    run "$c" --help
    expect "$c --help" 0
    cp "$tmp/out" "$tmp/help_opt"
    run help "$c"
    expect "ranklab help $c" 0
    cmp -s "$tmp/out" "$tmp/help_opt"; ok $? "ranklab help $c says what $c --help says"
    help_in_doc "$RK_SOURCE_ROOT/docs/tools/$c.md" "$rk" "$c" --help
done

if [ -d "$gpt2" ]; then
    outcome 0 "inspect the GPT-2 adapter" "$rk" inspect --json "$gpt2"
    if /usr/bin/python3 - "$tmp/out" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
assert got["r"] == 8 and got["fan_in_fan_out"] is True and len(got["modules"]) == 12
assert all(m["scale"] == 1.0 and m["shape"] == [768, 2304] and len(m["singular_values"]) == 8 for m in got["modules"])
assert [t["name"] for t in got["full_tensors"]] == ["base_model.model.score.weight"]
PY
    then pass "GPT-2: 12 modules, r 8, scale 1, fan_in_fan_out, score.weight full"; else no "GPT-2 JSON"; fi
    outcome 0 "ls the GPT-2 adapter" "$rk" ls "$gpt2/adapter_model.safetensors"
    has out "25 tensors" "ls counts the GPT-2 tensors"
    if [ "$has_gnuplot" -eq 1 ]; then
        outcome 0 "inspect --plot the GPT-2 adapter" "$rk" inspect --plot "$tmp/gpt2.png" "$gpt2"
        if [ "$(blocks "$tmp/gpt2.dat")" -eq 12 ] && [ "$(rows "$tmp/gpt2.dat")" -eq 96 ] &&
           grep -q '^# series 11: h.11$' "$tmp/gpt2.dat"; then
            pass "GPT-2 plot: 12 curves (h.0 … h.11) of 8 singular values"
        else no "GPT-2 plot data"; fi
    else
        skip "inspect --plot the GPT-2 adapter (2 checks)" "gnuplot is not installed"
    fi
else
    skip "the GPT-2 adapter written by PEFT (6 checks)" "its fixture ($gpt2) is absent: it lives beside the clone, not in it"
fi
done_testing
