#!/usr/bin/python3
"""test_columns.py — what every lesson prints fits an 80-column terminal, and
--out DIR leaves no empty folder behind.

Each lesson runs as a reader runs it without a terminal (--no-pause, the
terminal plots on, --out into a folder that does not exist yet). Every line of
its output must be at most 80 columns wide, counted as a terminal counts them
(a character is one column, a combining mark none, a wide one two). A lesson
that writes no files must not leave its --out folder behind; one that writes
files leaves them there. Lessons 2-5 need Fashion-MNIST and are skipped
without it. Speaks TAP. Environment (set by meson): RK_BUILD_ROOT.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unicodedata

BUILD = os.environ["RK_BUILD_ROOT"]
WIDTH = 80
n_tests = 0
failed = 0


def ok(cond, desc, diag=""):
    global n_tests, failed
    n_tests += 1
    print(("ok %d - %s" if cond else "not ok %d - %s") % (n_tests, desc))
    if not cond:
        failed += 1
        for line in diag.splitlines()[:20]:
            print("# " + line)


def columns(line):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def fashion_mnist():
    for d in (os.environ.get("RANKLAB_DATA"), "/usr/share/datasets/fashion-mnist"):
        if d and os.path.exists(os.path.join(d, "t10k-labels-idx1-ubyte.gz")):
            return d
    return None


def main():
    tmp = tempfile.mkdtemp()
    try:
        for lesson in ("01", "02", "03", "04", "05"):
            if lesson != "01" and fashion_mnist() is None:
                n = n_tests + 1
                print("ok %d - lesson %s # SKIP Fashion-MNIST not installed "
                      "(Debian package dataset-fashion-mnist)" % (n, lesson))
                globals()["n_tests"] = n
                continue
            out = os.path.join(tmp, "out" + lesson)
            exe = os.path.join(BUILD, "tutorials", "ranklab-tutorial-" + lesson)
            p = subprocess.run([exe, "--no-pause", "--out", out], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            text = p.stdout.decode("utf-8")
            ok(p.returncode == 0, "lesson %s runs (exit 0)" % lesson, p.stderr.decode())
            wide = ["line %d: %d columns: %s" % (i, columns(l), l)
                    for i, l in enumerate(text.splitlines(), 1) if columns(l) > WIDTH]
            ok(not wide, "lesson %s: every line ≤ %d columns (%d lines)"
               % (lesson, WIDTH, len(text.splitlines())), "\n".join(wide))
            if os.path.isdir(out):
                ok(len(os.listdir(out)) > 0, "lesson %s: --out DIR holds what it wrote" % lesson)
            else:
                ok("was not kept" in text and "wrote " not in text,
                   "lesson %s writes no files: --out DIR is not left behind, and it says so"
                   % lesson)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % n_tests)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
