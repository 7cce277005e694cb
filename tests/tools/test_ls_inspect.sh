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
n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
no() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp/out" "$tmp/err"; }
# run EXPECTED_EXIT DESCRIPTION CMD...: output in $tmp/out, $tmp/err
run() {
    want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok "$what (exit $rc)"; else no "$what: exit $rc, expected $want"; fi
}
has() { if grep -q -- "$2" "$tmp/$1"; then ok "$3"; else no "$3: no '$2' in $1"; fi; }
one_line() { if [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$1" "$tmp/err"; then ok "$2";
             else no "$2: stderr is not one line naming '$1'"; fi; }

echo "1..40"
run 0 "ls lists the fixture" "$rk" ls "$small/adapter_model.safetensors"
has out "base_model.model.layers.0.proj.lora_A.weight  F32      (4, 6)" "ls shows name, dtype and shape"
has out "format: pt" "ls shows the metadata"
has out "5 tensors" "ls counts the tensors"
run 0 "ls --help" "$rk" ls --help
has out "usage: ranklab ls" "ls --help prints the usage"
run 2 "ls without a file" "$rk" ls
run 2 "ls with an unknown option" "$rk" ls --bogus "$small/adapter_model.safetensors"
printf 'garbage!' >"$tmp/bad.safetensors"
run 1 "ls on a malformed file" "$rk" ls "$tmp/bad.safetensors"
one_line "ranklab ls: $tmp/bad.safetensors: header length" "ls names the file and the problem"
run 1 "ls on a missing file" "$rk" ls "$tmp/none.safetensors"
one_line "$tmp/none.safetensors: no such file" "ls names the missing file"

run 0 "ls a .npy file" "$rk" ls "$data/npy/gauss_30x20.npy"
has out "dtype    <f8 (F64)" "ls shows the .npy dtype"
has out "shape    (30, 20)" "ls shows the .npy shape"
printf '\223NUMPY\001\000' >"$tmp/cut.npy"
run 1 "ls a truncated .npy file" "$rk" ls "$tmp/cut.npy"
one_line "ranklab ls: $tmp/cut.npy:" "ls names the .npy file and the problem"

run 0 "inspect the fixture" "$rk" inspect "$small"
has out "layers.0.proj  5x6" "inspect shows the module and ΔW's shape"
has out "singular values of ΔW" "inspect lists singular values"
has out "summary: 2 modules" "inspect prints a summary"
run 0 "inspect --json" "$rk" inspect --json "$small"
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
then ok "inspect --json has r, lora_alpha and modules matching numpy"; else no "inspect --json content"; fi
run 0 "inspect with --json after the adapter" "$rk" inspect "$small" --json
if [ "$(wc -l <"$tmp/out")" -eq 1 ]; then ok "inspect --json prints one line"; else no "inspect --json prints one line"; fi
run 0 "inspect the .safetensors file" "$rk" inspect "$small/adapter_model.safetensors"
run 2 "inspect without an adapter" "$rk" inspect
run 2 "inspect with an unknown option" "$rk" inspect --plot x.png "$small"
mkdir "$tmp/noconfig" && cp "$small/adapter_model.safetensors" "$tmp/noconfig/"
run 1 "inspect without adapter_config.json" "$rk" inspect "$tmp/noconfig"
one_line "ranklab inspect: $tmp/noconfig: no adapter_config.json" "inspect names the folder and the problem"
mkdir "$tmp/badr" && cp "$small/adapter_model.safetensors" "$tmp/badr/"
sed 's/"r": 4/"r": 8/' "$small/adapter_config.json" >"$tmp/badr/adapter_config.json"
run 1 "inspect with a contradicting r" "$rk" inspect "$tmp/badr"
one_line "the config says r = 8" "inspect explains the rank mismatch"

for c in ls inspect; do
    "$rk" "$c" --help >"$tmp/help_opt" 2>&1
    "$rk" help "$c" >"$tmp/out" 2>"$tmp/err"
    if cmp -s "$tmp/out" "$tmp/help_opt"; then ok "ranklab help $c says what $c --help says"
    else no "ranklab help $c differs from $c --help"; fi
    if /usr/bin/python3 -c 'import sys; assert open(sys.argv[1]).read() in open(sys.argv[2]).read()' \
            "$tmp/help_opt" "$RK_SOURCE_ROOT/docs/tools/$c.md"; then
        ok "docs/tools/$c.md shows 'ranklab $c --help' as it is"
    else no "docs/tools/$c.md does not show 'ranklab $c --help'"; fi
done

if [ -d "$gpt2" ]; then
    run 0 "inspect the GPT-2 adapter" "$rk" inspect --json "$gpt2"
    if /usr/bin/python3 - "$tmp/out" <<'PY'
import json, sys
got = json.load(open(sys.argv[1]))
assert got["r"] == 8 and got["fan_in_fan_out"] is True and len(got["modules"]) == 12
assert all(m["scale"] == 1.0 and m["shape"] == [768, 2304] and len(m["singular_values"]) == 8 for m in got["modules"])
assert [t["name"] for t in got["full_tensors"]] == ["base_model.model.score.weight"]
PY
    then ok "GPT-2: 12 modules, r 8, scale 1, fan_in_fan_out, score.weight full"; else no "GPT-2 JSON"; fi
    run 0 "ls the GPT-2 adapter" "$rk" ls "$gpt2/adapter_model.safetensors"
    has out "25 tensors" "ls counts the GPT-2 tensors"
else
    for i in 1 2 3 4; do n=$((n + 1)); echo "ok $n # SKIP ../shared is absent"; done
fi
exit 0
