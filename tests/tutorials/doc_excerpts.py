#!/usr/bin/env python3
"""doc_excerpts.py PAGE OUTPUT — every line of PAGE's output excerpts is a
line of OUTPUT (the lesson's real output). Excerpts are the fenced blocks
that are not the block of commands (one starting with "ranklab"); a line
"…" marks an elision. Prints the lines that are not found; exit 1 if any."""
import sys

doc, out = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2], encoding="utf-8").read()
lines = set(out.splitlines())
blocks = doc.split("```")[1::2]
bad = [l for b in blocks if not b.lstrip("text\n").startswith("ranklab")
       for l in b.splitlines()[1:] if l.strip() and l.strip() != "…" and l not in lines]
if bad:
    print("\n".join("# not in the output: " + l for l in bad))
sys.exit(1 if bad else 0)
