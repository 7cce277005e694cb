#!/usr/bin/env python3
"""doc_excerpts.py PAGE OUTPUT — every line of PAGE's output excerpts is a
line of OUTPUT (the lesson's real output). Excerpts are the fenced blocks
that are not the block of commands (one starting with "ranklab"); a line
"…" marks an elision; trailing spaces do not count. Numbers at the level of rounding (scientific notation
with an exponent of -10 or below) depend on the BLAS kernel and the thread
count, so they compare as equal whatever their digits. Prints the lines
that are not found; exit 1 if any."""
import re
import sys

TINY = re.compile(r"\d\.\d+e-(?:1\d|[2-9]\d)\b")


def norm(line):
    return TINY.sub("<rounding>", line).rstrip()


doc, out = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
lines = {norm(l) for l in out.splitlines()}
blocks = doc.split("```")[1::2]
bad = [l for b in blocks if not b.lstrip("text\n").startswith("ranklab")
       for l in b.splitlines()[1:] if l.strip() and l.strip() != "…" and norm(l) not in lines]
if bad:
    print("\n".join("# not in the output: " + l for l in bad))
sys.exit(1 if bad else 0)
