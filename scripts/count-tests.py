#!/usr/bin/python3
"""count-tests.py BUILD_DIR — count test cases (TAP lines) in meson's test log.

Every ranklab test speaks TAP, so a case is one `ok N` / `not ok N` line. An
executable that failed or timed out without reporting a failing case (it
crashed, say) counts as one failed case. Prints `tests: P passed, F failed`
(and the skips on the line before), writes the same numbers to
BUILD_DIR/test-counts.txt, and exits 1 when anything failed.
"""
import json
import re
import sys

build = sys.argv[1] if len(sys.argv) > 1 else "build"
passed = failed = skipped = 0
ran = 0
with open(f"{build}/meson-logs/testlog.json") as log:
    for line in log:
        t = json.loads(line)
        ran += 1
        out = t.get("stdout", t.get("stdo", "")) or ""
        ok = not_ok = skip = 0
        for l in out.splitlines():
            if re.match(r"^not ok\b", l):
                not_ok += 1
            elif re.match(r"^ok\b", l):
                if re.search(r"#\s*skip", l, re.I):
                    skip += 1
                else:
                    ok += 1
        if t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and not_ok == 0:
            not_ok = 1
            print(f"{t.get('name')}: {t.get('result')} without a failing case (crash?)")
        passed += ok
        failed += not_ok
        skipped += skip
with open(f"{build}/test-counts.txt", "w") as f:
    f.write(f"{passed} {failed} {skipped}\n")
if skipped:
    print(f"({skipped} test cases skipped: see their SKIP reasons in {build}/meson-logs/testlog.txt)")
print(f"tests: {passed} passed, {failed} failed")
sys.exit(1 if failed or ran == 0 else 0)
