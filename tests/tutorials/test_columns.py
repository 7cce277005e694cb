#!/usr/bin/python3
"""test_columns.py — what every lesson prints fits an 80-column terminal (its
--help too), and --out DIR leaves no empty folder behind.

Every lesson built (tutorials/ranklab-tutorial-NN) runs as a reader runs it without a terminal (--no-pause, the
terminal plots on, --out into a folder that does not exist yet). Every line of
its output must be at most 80 columns wide, counted as a terminal counts them
(a character is one column, a combining mark none, a wide one two). A lesson
that writes no files must not leave its --out folder behind; one that writes
files leaves them there. Lessons 2 and up need Fashion-MNIST and are skipped
without it. Speaks TAP. Environment (set by meson): RK_BUILD_ROOT,
RK_SOURCE_ROOT.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata

BUILD = os.environ["RK_BUILD_ROOT"]
sys.path.insert(0, os.path.join(os.environ["RK_SOURCE_ROOT"], "tests"))
from tap import NO_FASHION_MNIST, Tap, fashion_mnist  # noqa: E402

WIDTH = 80
t = Tap()


def columns(line):
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def wide_lines(text):
    return ["line %d: %d columns: %s" % (i, columns(l), l)
            for i, l in enumerate(text.splitlines(), 1) if columns(l) > WIDTH]


def check_help(lesson):
    """--help fits too (it needs no dataset)."""
    exe = os.path.join(BUILD, "tutorials", "ranklab-tutorial-" + lesson)
    p = subprocess.run([exe, "--help"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    text = p.stdout.decode("utf-8")
    wide = wide_lines(text)
    t.ok(p.returncode == 0 and text and not wide,
       "lesson %s: --help exits 0 and every line is ≤ %d columns" % (lesson, WIDTH),
       "exit %d\n%s" % (p.returncode, "\n".join(wide)))


def main():
    tmp = tempfile.mkdtemp()
    try:
        lessons = sorted(f[len("ranklab-tutorial-"):] for f in os.listdir(os.path.join(BUILD, "tutorials"))
                         if re.fullmatch(r"ranklab-tutorial-\d\d", f))
        t.ok(len(lessons) >= 5, "every lesson is run: %s" % ", ".join(lessons))
        for lesson in lessons:
            check_help(lesson)
            if lesson != "01" and fashion_mnist() is None:
                t.skip("lesson " + lesson, NO_FASHION_MNIST)
                continue
            out = os.path.join(tmp, "out" + lesson)
            exe = os.path.join(BUILD, "tutorials", "ranklab-tutorial-" + lesson)
            p = subprocess.run([exe, "--no-pause", "--out", out], stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
            text = p.stdout.decode("utf-8")
            t.ok(p.returncode == 0, "lesson %s runs (exit 0)" % lesson, p.stderr.decode())
            wide = wide_lines(text)
            t.ok(not wide, "lesson %s: every line ≤ %d columns (%d lines)"
               % (lesson, WIDTH, len(text.splitlines())), "\n".join(wide))
            if os.path.isdir(out):
                t.ok(len(os.listdir(out)) > 0, "lesson %s: --out DIR holds what it wrote" % lesson)
            else:
                t.ok("was not kept" in text and "wrote " not in text,
                   "lesson %s writes no files: --out DIR is not left behind, and it says so"
                   % lesson)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
