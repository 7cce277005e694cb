#!/usr/bin/python3
"""test_plot_looks.py — every plot of `ranklab demo`, of the lessons and of
`ranklab svd --plot` is drawn, and what it draws is read back from its gnuplot
script (.gp) and data (.dat), as gnuplot would:

- no two legend entries share colour and dash pattern (lib/plot/style.h);
- no value drawn on a log axis is ≤ 0, and no series ends in a flat run at its
  minimum far below its maximum (a clamp or floor read as data): such values
  must be filtered out by the script, and the legend must say how many;
- a log axis of ranks has its tics at the ranks used and no range past them;
- PNG and SVG text is enhanced (σ_k renders) with every subscript longer
  than one character braced (ΔW_{full}, never ΔW_full), heat-map cell labels
  are at least 10 px, and no label spells out what the plots write as symbols
  (sigma, phi, dW_);
- every picture exists and is not empty.

The demo runs on a small synthetic dataset (tests/tools/make_idx.py); every
lesson built runs with --out (--quick where it has it) and its plots, if it
draws any, are read back; the lessons need Fashion-MNIST and are skipped
without it. Speaks TAP.
Environment (set by meson): RK_BUILD_ROOT, RK_SOURCE_ROOT.
"""
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

BUILD = os.environ["RK_BUILD_ROOT"]
SRC = os.environ["RK_SOURCE_ROOT"]
RANKLAB = os.path.join(BUILD, "tools", "ranklab")
sys.path.insert(0, os.path.join(SRC, "tests"))
from tap import NO_FASHION_MNIST, Tap, fashion_mnist  # noqa: E402

t = Tap()
ok, skip = t.ok, t.skip


def plot_elements(script):
    """The comma-separated elements of the script's `plot` command."""
    m = re.search(r"^plot (.*?)(?<!\\)\n", script, re.S | re.M)
    if not m:
        return []
    body = m.group(1).replace("\\\n", " ")
    parts, depth, cur, quote = [], 0, "", False
    for ch in body:
        if ch == "'" and True:
            quote = not quote
        if not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if ch == "," and depth == 0 and not quote:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def data_blocks(path):
    """gnuplot's `index N` blocks of a data file: lists of (x, y)."""
    blocks, cur, blank = [], [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                blank += 1
                continue
            if line.startswith("#"):
                continue
            if blank >= 2 and cur:
                blocks.append(cur)
                cur = []
            blank = 0
            cur.append([float(v) for v in line.split()])
    if cur:
        blocks.append(cur)
    return blocks


def drawn_values(element, block):
    """The y values gnuplot draws of one `index N using 1:EXPR` element."""
    m = re.search(r"using 1:\(\$2 > ([-+0-9.eE]+|-?inf) \? \$2 : NaN\)", element)
    floor = float(m.group(1)) if m else -math.inf
    return [row[1] for row in block if math.isfinite(row[1]) and row[1] > floor]


def check_xy(name, script, dat):
    elems = plot_elements(script)
    logs = {ax for ax in ("x", "y", "y2") if re.search(r"^set logscale %s$" % ax, script, re.M)}
    looks, problems = {}, []
    blocks = data_blocks(dat) if os.path.exists(dat) else []
    for e in elems:
        rgb = re.search(r"linecolor rgb '(#[0-9A-Fa-f]{6})'", e)
        dash = re.search(r"dashtype (\d+)", e)
        title = re.search(r"title (.*)$", e)
        if not rgb or not dash:
            problems.append("no colour or dash: " + e[:80])
        else:
            key = (rgb.group(1).upper(), dash.group(1))
            if title and key in looks:
                problems.append("%s and %s share colour %s and dash %s" % (looks[key], title.group(1), *key))
            looks[key] = title.group(1) if title else e[:40]
        idx = re.search(r" index (\d+) ", e)
        if not idx:
            continue
        block = blocks[int(idx.group(1))]
        ys = drawn_values(e, block)
        axis = "y2" if "axes x1y2" in e else "y"
        if axis in logs and any(v <= 0 for v in ys):
            problems.append("values ≤ 0 drawn on a log axis: " + e[:80])
        hidden = len([r for r in block if math.isfinite(r[1])]) - len(ys)
        if hidden and not re.search(r"\d+ (zeros?|values ≤ \S+) not drawn", e):
            problems.append("%d values left out without saying so: %s" % (hidden, e[:80]))
        if axis in logs and len(ys) >= 3:
            lo, hi = min(ys), max(ys)
            if ys[-1] == lo and ys[-2] == lo and lo < hi * 1e-10:
                problems.append("a flat run at %g, far below %g, is drawn (a floor?): %s" % (lo, hi, e[:60]))
    if "x" in logs:
        xs = sorted({row[0] for b in blocks for row in b})
        tics = re.search(r"^set xtics \((.*)\)$", script, re.M)
        if len(xs) <= 16 and not (tics and [float(v) for v in tics.group(1).split(",")] == xs):
            problems.append("log rank axis without tics at the ranks %s" % xs)
    ok(not problems, "%s: distinct looks, nothing clamped, rank tics" % name, "\n".join(problems))


def check_script(name, script, png):
    enhanced = re.search(r"set terminal (pngcairo|png|svg) .*\benhanced\b", script) and \
        not re.search(r"set terminal (pngcairo|png|svg) .*noenhanced", script)
    ok(bool(enhanced), "%s: enhanced text" % name)
    fonts = [int(v) for v in re.findall(r"with labels font 'sans,(\d+)'", script)]
    ok(all(v >= 10 for v in fonts), "%s: cell labels ≥ 10 px (%s)" % (name, fonts or "none"))
    texts = " ".join(re.findall(r"set (?:title|xlabel|ylabel|y2label|cblabel) (.*)", script) +
                     re.findall(r"title (\(.*?\))(?:\.|,|$)", script))
    words = [w for w in (r"\bsigma\b", r"\bphi\b", r"\bdW_", r"Eckart-Young") if re.search(w, texts)]
    ok(not words, "%s: symbols, not their names (%s)" % (name, words or "none"))
    if "set terminal dumb" not in script:
        # enhanced text subscripts one character after _: a longer subscript needs braces
        loose = re.findall(r"(?<!\\)_[A-Za-z0-9]{2,}", texts)
        ok(not loose, "%s: every subscript of more than one character is braced (%s)"
           % (name, loose or "none"))
    ok(os.path.exists(png) and os.path.getsize(png) > 2000, "%s: the picture is there" % name)


def check_dir(label, d):
    gps = sorted(f for f in os.listdir(d) if f.endswith(".gp"))
    ok(len(gps) > 0, "%s: plots written (%d)" % (label, len(gps)))
    for gp in gps:
        base = os.path.join(d, gp[:-3])
        with open(base + ".gp", encoding="utf-8") as f:
            script = f.read()
        name = "%s/%s" % (label, gp[:-3])
        check_script(name, script, base + (".svg" if "set terminal svg" in script else ".png"))
        if "with image" not in script:
            check_xy(name, script, base + ".dat")


def lessons():
    """Every lesson built: tutorials/ranklab-tutorial-NN."""
    return sorted(f[len("ranklab-tutorial-"):] for f in os.listdir(os.path.join(BUILD, "tutorials"))
                  if re.fullmatch(r"ranklab-tutorial-\d\d", f))


def run(desc, argv, timeout=300):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    ok(p.returncode == 0, desc, p.stderr.decode(errors="replace"))
    return p.returncode == 0


def main():
    if len(sys.argv) > 1:  # check folders drawn before: test_plot_looks.py DIR...
        for d in sys.argv[1:]:
            check_dir(d, d)
        return t.done()
    if not shutil.which("gnuplot"):
        print("1..0 # SKIP gnuplot is not installed (Debian package gnuplot-nox)")
        return 0
    tmp = tempfile.mkdtemp()
    try:
        subprocess.run([sys.executable, os.path.join(SRC, "tests/tools/make_idx.py"), tmp + "/idx",
                        "--train", "200", "--test", "100", "--side", "8", "--seed", "1"],
                       check=True, stdout=subprocess.DEVNULL)
        if run("demo on a small dataset", [RANKLAB, "demo", "--data", tmp + "/idx", "--hidden", "32,16",
               "--threads", "1", "--pretrain-batch", "10", "--epochs", "2", "--steps", "20",
               "--ranks", "1,2,4,8,16", "--quiet", "--out", tmp + "/demo"]):
            check_dir("demo", tmp + "/demo")
        # svd --plot: a planted rank-3 matrix, its zero singular values left out and counted.
        mat = tmp + "/a.npy"
        if run("ranklab random", [RANKLAB, "random", "--rows", "30", "--cols", "20", "--rank", "3",
                                  "--seed", "4", "-o", mat]):
            os.mkdir(tmp + "/svd")
            if run("svd --plot", [RANKLAB, "svd", mat, "--plot", tmp + "/svd/scree.png"]):
                check_dir("svd", tmp + "/svd")
        if fashion_mnist() is None:
            skip("the lessons' plots", NO_FASHION_MNIST)
        else:
            for lesson in lessons():
                out = "%s/lesson%s" % (tmp, lesson)
                exe = os.path.join(BUILD, "tutorials", "ranklab-tutorial-" + lesson)
                helptext = subprocess.run([exe, "--help"], stdout=subprocess.PIPE).stdout
                extra = ["--quick"] if b"--quick" in helptext else []
                if run("lesson %s with --out %s" % (lesson, " ".join(extra)),
                       [exe, "--no-pause", "--out", out] + extra) and os.path.isdir(out):
                    check_dir("lesson " + lesson, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
