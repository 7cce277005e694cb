#!/bin/sh
# test_numeric_attacks.sh — ranklab against inputs made to hang it or to make
# it write garbage: empty matrices with 2^61 rows, address-space limits too
# small for OpenBLAS, values near DBL_MAX (and beyond FLT_MAX for float32
# factors), training that diverges, empty test sets, batches larger than the
# data, control characters in tensor names, a NaN in the second of two
# files. Every case must end in bounded time (each run has a timeout) with
# the documented status and a message that names the file and the cause;
# nothing non-finite is ever written or printed as a result.
#
# Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT.
set -u
. "$RK_SOURCE_ROOT/tests/tap.sh"
rk="$RK_BUILD_ROOT/tools/ranklab"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
command -v python3 >/dev/null 2>&1 || skip_all "python3 is needed to write the hostile files"

# run ARGS...: ranklab with a time limit (a hang ends as status 124).
run() { timeout 60 "$rk" "$@" >out 2>err; rc=$?; }

# expect WHAT STATUS [ERE]: the last run exited STATUS and stderr matches ERE.
expect() {
    good=0
    [ "$rc" -eq "$2" ] || good=1
    if [ -n "${3:-}" ] && ! grep -Eq -- "$3" err; then good=1; fi
    if [ $good -ne 0 ]; then
        echo "# exit status $rc, wanted $2; stderr:"
        sed 's/^/#   /' err | head -n 8
    fi
    ok $good "$1"
}

# absent WHAT PATH...: none of the paths exists (nothing was written).
absent() {
    what=$1
    shift
    for p in "$@"; do
        if [ -e "$p" ]; then
            echo "# $p exists"
            ok 1 "$what"
            return
        fi
    done
    ok 0 "$what"
}

# no_nonfinite WHAT: stdout shows no nan/inf as a result (the condition
# number of a singular matrix is infinite, rightly).
no_nonfinite() {
    if grep -v '^condition number' out | grep -Eiq '(^|[^a-z])-?(nan|inf)([^a-z]|$)'; then
        grep -Ein '(nan|inf)' out | sed 's/^/#   /' | head -n 5
        ok 1 "$1"
    else
        ok 0 "$1"
    fi
}

python3 - <<'EOF'
import json, struct

def npy(path, shape, values=(), fmt='d', descr='<f8'):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }" % (
        descr, ", ".join(str(s) for s in shape))
    h = h.encode()
    h += b' ' * (64 - (10 + len(h) + 1) % 64) + b'\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h)
        f.write(struct.pack('<%d%s' % (len(values), fmt), *values))

def st(path, tensors):
    hdr, off, data = {}, 0, b''
    for name, (dt, shape, raw) in tensors.items():
        hdr[name] = {'dtype': dt, 'shape': shape, 'data_offsets': [off, off + len(raw)]}
        off += len(raw)
        data += raw
    h = json.dumps(hdr).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + data)

# H1: 128-byte files promising 2e18 x 0 matrices
npy('huge0.npy', (2000000000000000000, 0))
st('huge0.safetensors', {'w.weight': ('F32', [2000000000000000000, 0], b'')})

# W1: values near DBL_MAX (a deterministic pattern in [-1, 1] scaled up)
pat = [((i * 37 + 11) % 23) / 11.5 - 1.0 for i in range(24)]
npy('near_max.npy', (6, 4), [1.7e308 * v for v in pat])
npy('near_max_b.npy', (6, 4), [-1.7e308 * v for v in pat])
npy('one_big.npy', (6, 4), [1.7e308] + [0.0] * 23)           # sigma_1 = 1.7e308: finite
npy('zeros.npy', (6, 4), [0.0] * 24)
npy('beyond_f32.npy', (6, 4), [1e39 * v for v in pat])       # sigma_1 > FLT_MAX
npy('ordinary.npy', (6, 4), pat)
npy('scaled_up.npy', (6, 4), [v * 2.0 ** 600 for v in pat])   # exact power-of-two scalings
npy('scaled_down.npy', (6, 4), [v * 2.0 ** -600 for v in pat])

# control characters and a NaN in the second file
esc = 'evil\x1b[31m\x07\nname.weight'
st('base.safetensors', {'l1.weight': ('F32', [2, 2], struct.pack('<4f', 1, 2, 3, 4)),
                        esc: ('F32', [2, 2], struct.pack('<4f', 1, 2, 3, 4))})
# a PEFT adapter whose module name holds ESC, BEL and a newline
import os
os.makedirs('evil_adapter', exist_ok=True)
mod = 'base_model.model.ev\x1b[2Jil\x07\nmod'
st('evil_adapter/adapter_model.safetensors',
   {mod + '.lora_A.weight': ('F32', [1, 2], struct.pack('<2f', 1, 2)),
    mod + '.lora_B.weight': ('F32', [2, 1], struct.pack('<2f', 3, 4))})
json.dump({'peft_type': 'LORA', 'r': 1, 'lora_alpha': 1}, open('evil_adapter/adapter_config.json', 'w'))
st('ft_nan.safetensors', {'l1.weight': ('F32', [2, 2], struct.pack('<4f', 1, float('nan'), 3, 4)),
                          esc: ('F32', [2, 2], struct.pack('<4f', 1, 2, 3, 5))})
EOF

# --- H1: empty matrices with huge row counts cost O(1) ------------------------
for c in svd rank; do
    run "$c" huge0.npy
    expect "$c of a 2e18 x 0 .npy: exit 0 at once" 0
done
run approx huge0.npy -k 0
expect "approx -k 0 of a 2e18 x 0 .npy: exit 0 at once" 0
run delta huge0.npy huge0.npy
expect "delta of two 2e18 x 0 .npy: exit 0 at once" 0
run extract --rank 1 huge0.npy huge0.npy -o ad_huge
expect "extract of a 2e18 x 0 difference: exit 1, R > min(m, n)" 1 "R = 1 is more than min\(m, n\) = 0"
run delta huge0.safetensors huge0.safetensors
expect "delta of a [2e18, 0] safetensors tensor: exit 0 at once" 0
run extract --rank 1 huge0.safetensors huge0.safetensors -o ad_huge
expect "extract of a [2e18, 0] safetensors tensor: exit 1" 1 "no tensor has min\(m, n\) >= R = 1"
run random --rows 9223372036854775807 --cols 0 -o x.npy
expect "random --rows 2^63-1 --cols 0: usage error naming --rows and the int limit" 2 \
    "--rows 9223372036854775807 is more than 2147483647"
run random --rows 0 --cols 1099511627776 -o y.npy
expect "random --cols 2^40: usage error naming --cols and the int limit" 2 \
    "--cols 1099511627776 is more than 2147483647"
absent "random wrote nothing it would refuse to read" x.npy y.npy
run random --rows 2147483647 --cols 0 -o tall0.npy
expect "random 2147483647 x 0: written at once" 0
run svd tall0.npy
expect "svd of 2147483647 x 0: rank 0 at once" 0

# --- H2: an address-space limit too small for OpenBLAS ------------------------
run random --rows 600 --cols 500 --seed 1 -o g600.npy
if ! (ulimit -v 2000000 && "$rk" --version) >/dev/null 2>&1; then
    skip "ulimit -v cases" "this build cannot run under an address-space limit (sanitizers reserve terabytes)"
elif ! "$rk" info --json --no-probe 2>/dev/null | grep -q '"name": "OpenBLAS"'; then
    skip "ulimit -v cases" "the BLAS is not OpenBLAS"
else
    (ulimit -v 100000 && exec timeout 60 "$rk" svd g600.npy) >out 2>err
    rc=$?
    expect "svd under ulimit -v 100000: exit 1 at once, saying why and what to raise" 1 \
        "address-space limit \(ulimit -v\) of .* too small for OpenBLAS.*raise the limit"
    (ulimit -v 250000 && OPENBLAS_NUM_THREADS=2 exec timeout 60 "$rk" svd g600.npy) >out 2>err
    rc=$?
    if OPENBLAS_NUM_THREADS=2 "$rk" info --json --no-probe 2>/dev/null | grep -q '"threads": 1,'; then
        skip "two BLAS threads under ulimit -v 250000" "OpenBLAS runs one thread here"
    else
        expect "svd with 2 BLAS threads under ulimit -v 250000: exit 0 with one thread, said" 0 \
            "using one BLAS thread"
    fi
    (ulimit -v 250000 && OPENBLAS_NUM_THREADS=1 exec timeout 60 "$rk" svd g600.npy) >out 2>err
    rc=$?
    expect "svd with 1 BLAS thread under ulimit -v 250000: exit 0" 0
fi

# --- W1: values near DBL_MAX -------------------------------------------------
for c in svd rank; do
    run "$c" near_max.npy
    expect "$c of values near DBL_MAX (sigma_1 beyond it): exit 1, values too large" 1 \
        "near_max.npy: values too large"
done
run approx near_max.npy -k 1 -o ak.npy
expect "approx of values near DBL_MAX: exit 1" 1 "near_max.npy: values too large"
absent "approx wrote nothing" ak.npy
run delta zeros.npy near_max.npy
expect "delta whose difference has sigma_1 beyond DBL_MAX: exit 1 naming both files" 1 \
    "near_max.npy - zeros.npy: values too large"
run delta near_max_b.npy near_max.npy
expect "delta of two near-DBL_MAX files whose difference overflows: exit 1 naming both" 1 \
    "near_max.npy - near_max_b.npy overflows: the difference is beyond the largest double"
run extract --rank 1 zeros.npy near_max.npy -o ad_max
expect "extract near DBL_MAX: exit 1" 1 "values too large"
absent "extract wrote nothing" ad_max
run svd one_big.npy
expect "svd of a matrix with sigma_1 = 1.7e308: exit 0" 0
no_nonfinite "svd of sigma_1 = 1.7e308 prints no nan and no inf but the condition number"
run rank one_big.npy
expect "rank of sigma_1 = 1.7e308: rank 1 (the tolerance does not overflow)" 0
ok "$(grep -q '^rank 1$' out; echo $?)" "rank of sigma_1 = 1.7e308 is 1"
run approx one_big.npy -k 1 -o ak1.npy
expect "approx -k 1 of sigma_1 = 1.7e308: exit 0" 0
no_nonfinite "approx of sigma_1 = 1.7e308: every printed figure finite"
run svd --json scaled_up.npy
cp out up.json
run svd --json scaled_down.npy
cp out down.json
run svd --json ordinary.npy
python3 - out up.json down.json <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))['singular_values']
up = json.load(open(sys.argv[2]))['singular_values']
down = json.load(open(sys.argv[3]))['singular_values']
eps = 2.0 ** -52
# sigma(2^e A) = 2^e sigma(A): the scaled SVD agrees to rounding (bound: 64 eps sigma_1)
bad = [i for i in range(len(s))
       if not abs(up[i] / 2.0 ** 600 - s[i]) <= 64 * eps * s[0]
       or not abs(down[i] * 2.0 ** 600 - s[i]) <= 64 * eps * s[0]]
sys.exit(1 if bad or len(up) != len(s) or len(down) != len(s) else 0)
EOF
ok $? "sigma of A scaled by 2^600 and 2^-600 is 2^(+-600) sigma(A), to 64 eps sigma_1"
run extract --rank 1 zeros.npy beyond_f32.npy -o ad_f32
expect "extract with sigma_1 > FLT_MAX: exit 1, B beyond float32's range" 1 \
    "beyond float32's largest value"
run extract --rank 1 zeros.npy ordinary.npy --alpha 1e308 -o ad_alpha
expect "extract --alpha 1e308: exit 1, B would be zero in float32" 1 \
    "below float32's smallest normal value"
absent "extract wrote no Inf or all-zero adapter" ad_f32 ad_alpha

# --- messages: names escaped, the right file blamed --------------------------
run ls base.safetensors
if grep -q "$(printf '\033')" out || grep -q "$(printf '\007')" out; then
    ok 1 "ls escapes ESC and BEL in tensor names"
else
    ok 0 "ls escapes ESC and BEL in tensor names"
fi
ok "$(grep -qF 'evil\x1b[31m\x07\x0aname.weight' out; echo $?)" "ls shows them as \\x1b, \\x07, \\x0a"
run inspect evil_adapter
expect "inspect of an adapter with control characters in a module name: exit 0" 0
if grep -q "$(printf '\033')" out || grep -q "$(printf '\007')" out; then
    ok 1 "inspect escapes ESC and BEL in module names"
else
    ok 0 "inspect escapes ESC and BEL in module names"
fi
ok "$(grep -qF 'ev\x1b[2Jil\x07\x0amod' out; echo $?)" "inspect shows the module as ev\\x1b[2Jil\\x07\\x0amod"
run delta base.safetensors ft_nan.safetensors
expect "delta with a NaN in FINETUNED: exit 1 naming that file and the tensor" 1 \
    "ft_nan.safetensors: tensor '(l1.weight|evil.*)' holds (NaN|Inf)"
if grep -q "$(printf '\033')" err; then ok 1 "the error escapes ESC"; else ok 0 "the error escapes ESC"; fi
run delta ft_nan.safetensors base.safetensors --tensor l1.weight
expect "delta with a NaN in BASE: exit 1 naming that file" 1 \
    "ft_nan.safetensors: tensor 'l1.weight' holds NaN"
mkdir plotdir
run svd ordinary.npy --plot plotdir
expect "svd --plot DIR: exit 1, the directory named once" 1 "^ranklab svd: plotdir: is a directory"
absent "svd --plot DIR wrote nothing beside the folder" plotdir.dat plotdir.gp
run demo --steps 0
expect "demo --steps 0: usage error naming --steps" 2 "--steps needs a positive integer"

# --- W2, W3, --batch: training on a small synthetic dataset -------------------
python3 "$RK_SOURCE_ROOT/tests/tools/make_idx.py" data --train 200 --test 100 --side 8 --seed 1 >/dev/null &&
python3 "$RK_SOURCE_ROOT/tests/tools/make_idx.py" data_notest --train 200 --test 0 --side 8 --seed 1 >/dev/null
ok $? "synthetic datasets written"
net="--hidden 32,16 --threads 1"
run train --data data $net --out m0
expect "train on the synthetic data: exit 0" 0
run train --data data $net --lr 1e30 --out m_div
expect "train --lr 1e30: exit 1 naming the step where the loss became non-finite" 1 \
    "training diverged: the loss became (NaN|Inf) at step [0-9]+ of"
absent "a diverged train writes nothing" m_div
for o in "--full --lr 1e30" "--lora-rank 2 --lr 1e30" "--lora-rank 2 --alpha 1e308"; do
    # shellcheck disable=SC2086
    run finetune --base m0/model.safetensors --data data --threads 1 $o --out ft_div
    expect "finetune $o: exit 1 naming the step" 1 "training diverged: .* at step [0-9]+ of"
    absent "finetune $o writes nothing" ft_div
done
run finetune --base m0/model.safetensors --data data --threads 1 --lora-rank 2 --out ft_ok
expect "finetune --lora-rank 2: exit 0" 0
python3 - ft_ok/adapter_model.safetensors <<'EOF'
import json, struct, sys
p = sys.argv[1]
b = bytearray(open(p, 'rb').read())
n = struct.unpack('<Q', b[:8])[0]
h = json.loads(b[8:8 + n])
k = sorted(k for k in h if k != '__metadata__')[0]
off = 8 + n + h[k]['data_offsets'][0]
b[off:off + 4] = struct.pack('<f', float('nan'))
open(p, 'wb').write(bytes(b))
EOF
run eval m0/model.safetensors --data data --adapter ft_ok
expect "eval --adapter with a NaN in it: exit 1, refused" 1 "ft_ok.*holds NaN"
run finetune --base m0/model.safetensors --data data --threads 1 --full --out ft_full
expect "finetune --full: exit 0" 0
run compare --base m0/model.safetensors --full ft_full --lora ft_ok --out cmp --quiet
expect "compare with a NaN in the adapter: exit 1 naming the adapter, not the full delta" 1 \
    "^ranklab compare: ft_ok: module linear1 holds NaN or Inf"
run eval m0/model.safetensors --data data_notest
expect "eval on an empty test set: exit 1, no test examples in DIR" 1 "no test examples in data_notest"
run train --data data_notest $net --out m_notest
expect "train with an empty test set: exit 1 before training" 1 "no test examples in data_notest"
absent "nothing written without test examples" m_notest
run finetune --base m0/model.safetensors --data data_notest --threads 1 --lora-rank 2 --class auto --out ft_notest
expect "finetune --class auto on an empty test set: exit 1, no test examples" 1 "no test examples in data_notest"
run finetune --base m0/model.safetensors --data data --threads 1 --lora-rank 2 --batch 1000000 --json --out ft_batch
expect "finetune --batch 1000000: capped at the class's examples, and said" 0 \
    "--batch 1000000 is more than the [0-9]+ training examples of class [0-9]: using batch [0-9]+"
python3 -c "import json,sys; sys.exit(0 if json.load(open('ft_batch/finetune.json'))['batch'] <= 200 else 1)"
ok $? "finetune.json records the batch used"
run train --data data $net --batch 1000000 --out m_batch
expect "train --batch 1000000: capped at the training set, and said" 0 \
    "--batch 1000000 is more than the 200 training examples: using batch 200"

done_testing
