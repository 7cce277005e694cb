#!/bin/bash
# test_flags.sh — one flag convention (docs/tools/README.md): every command
# accepts the common flags it should, and refuses with exit 2 the ones it
# should not (getopt_long also takes unique prefixes: --out of --output). A flag is accepted when `ranklab CMD FLAG [VALUE] --help`
# exits 0 (getopt reads FLAG before --help stops the parse); refused when
# `ranklab CMD FLAG [VALUE]` exits 2 with "unknown option". Then the
# convention's other promises: -V, help --help, --json-pretty, '-' as stdin.
set -uo pipefail
rk=$RK_BUILD_ROOT/tools/ranklab
. "$RK_SOURCE_ROOT/tests/tap.sh"
scratch

# The common flags, with a value where they take one.
declare -A value=(
  [-o]=x [--output]=x [-r]=1 [--rank]=1 [--adapter]=x [--base]=x [-q]= [--quiet]=
  [--json]= [--format]=png [--seed]=0 [--out]=x [--lora-rank]=1 [--lora]=x [-k]=1
  [--rank-rule]=gd [--max-rank]=1
)
# Which command takes which (the rest must be refused). Old spellings last.
declare -A takes=(
  [svd]="--json --format"
  [rank]="--json"
  [approx]="-o --output -r --rank --json -k"
  [random]="-o --output -r --rank --json --seed"
  [ls]="--json"
  [inspect]="--adapter --json --format"
  [delta]="-q --quiet --json --format --rank"   # --rank: getopt's prefix of --ranks
  [extract]="-o --output -r --rank -q --quiet --json --rank-rule --max-rank"
  [info]="--json"
  [train]="-o --output -q --quiet --json --seed --out"
  [finetune]="-o --output -r --rank --base -q --quiet --json --seed --out --lora-rank"
  [eval]="--adapter --json"
  [demo]="-o --output -q --quiet --json --format --seed --out --rank"   # --rank: prefix of --ranks
  [compare]="-o --output --adapter --base -q --quiet --json --format --out --lora"
  [intruders]="-o --output --json --format"
  [resize]="-o --output -r --rank --json --rank-rule --max-rank"
)
all="-o --output -r --rank --adapter --base -q --quiet --json --format --seed --rank-rule --max-rank"
commands=$("$rk" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')

for c in $commands; do
    [ "$c" = tutorial ] && continue   # passes its options to the lesson
    if [ -z "${takes[$c]+set}" ]; then
        ok 1 "$c: the flag table names the command"
        continue
    fi
    bad_accept="" bad_refuse=""
    for f in ${takes[$c]}; do
        "$rk" "$c" $f ${value[$f]} --help >/dev/null 2>"$tmp/err" || bad_accept="$bad_accept $f"
    done
    for f in $all; do
        case " ${takes[$c]} " in *" $f "*) continue ;; esac
        # --no-such-flag after it: an accepted FLAG can never start real work
        "$rk" "$c" $f ${value[$f]} --no-such-flag >/dev/null 2>"$tmp/err"
        st=$?
        { [ $st = 2 ] && grep -q "option '$f'" "$tmp/err"; } || bad_refuse="$bad_refuse $f"
    done
    [ -z "$bad_accept" ]
    ok $? "$c accepts ${takes[$c]}${bad_accept:+ (refused:$bad_accept)}"
    [ -z "$bad_refuse" ]
    ok $? "$c refuses, exit 2, the common flags it has no use for${bad_refuse:+ (accepted:$bad_refuse)}"
done

# Every help fits a terminal of 80 columns (characters, not bytes: σ is one).
wide=""
for c in "" $commands; do
    [ "$c" = tutorial ] && continue   # the lessons' helps: tests/tutorials/test_columns.py
    # shellcheck disable=SC2086
    w=$("$rk" $c --help 2>&1 | LC_ALL=C.UTF-8 wc -L)
    [ "$w" -le 80 ] || wide="$wide ${c:-ranklab}($w)"
done
[ -z "$wide" ]
ok $? "every command's --help fits 80 columns${wide:+ (wider:$wide)}"

out=$("$rk" -V) && [[ $out =~ ^ranklab\ [0-9]+\.[0-9]+\.[0-9]+$ ]]
ok $? "ranklab -V prints the version"
"$rk" help --help >"$tmp/h" && grep -q '^Commands:' "$tmp/h"
ok $? "ranklab help --help lists the commands, exit 0"

"$rk" random --rows 4 --cols 3 -r 2 --seed 5 -o "$tmp/m.npy" >/dev/null
one=$("$rk" rank "$tmp/m.npy" --json) && [ "$(printf '%s\n' "$one" | wc -l)" = 1 ]
ok $? "--json prints one line"
pretty=$("$rk" rank "$tmp/m.npy" --json-pretty) &&
    python3 -c 'import json, sys; a = json.loads(sys.argv[1]); b = json.loads(sys.argv[2]); assert a == b and sys.argv[2].count("\n") > 3' "$one" "$pretty"
ok $? "--json-pretty prints the same object, indented"
info=$("$rk" info --json --no-probe) && [ "$(printf '%s\n' "$info" | wc -l)" = 1 ]
ok $? "info --json prints one line too"

from_stdin=$("$rk" rank - --json <"$tmp/m.npy") &&
    python3 -c 'import json, sys; a = json.loads(sys.argv[1]); b = json.loads(sys.argv[2]); assert a["rank"] == b["rank"] == 2 and a["tol"] == b["tol"]' "$one" "$from_stdin"
ok $? "'-' reads the .npy matrix from standard input: the same rank and tolerance"
echo junk | "$rk" rank - >/dev/null 2>"$tmp/err"
st=$?
[ $st = 1 ] && grep -q '^ranklab rank: standard input: ' "$tmp/err"
ok $? "junk on standard input: exit 1 naming standard input"
done_testing
