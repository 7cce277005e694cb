#!/usr/bin/python3
"""count-tests.py BUILD_DIR — count test cases (TAP lines) in meson's test log.

Every ranklab test speaks TAP, so a case is one `ok N` / `not ok N` line; an
`ok N ... # SKIP reason` is a skipped case, and a file that skips as a whole
(`1..0 # SKIP reason`) counts as one skipped case, its reason printed. An
executable that failed or timed out without reporting a failing case (it
crashed, say) counts as one failed case. Ends with the line
`tests: P passed, F failed` (`, S skipped` when any were), after a line
`skipped: TEST: REASON` for each skipped case; writes
"P F S" to BUILD_DIR/test-counts.txt, and exits 1 when anything failed or
nothing ran.
"""
import json
import re
import sys

NOT_OK = re.compile(r"^not ok\b")
OK = re.compile(r"^ok\b")
SKIP = re.compile(r"#\s*skip\b:?", re.I)
SKIP_ALL = re.compile(r"^1\.\.0\b.*#\s*skip\b\s*(.*)", re.I)


def count(out):
    """(passed, failed, the reasons of the skipped cases, the reason the
    whole file skipped or None) of one TAP stream."""
    ok = not_ok = 0
    skip, whole = [], None
    for line in out.splitlines():
        if NOT_OK.match(line):
            not_ok += 1
        elif OK.match(line):
            m = SKIP.search(line)
            if m:
                skip.append(line[m.end():].strip() or line)
            else:
                ok += 1
        else:
            m = SKIP_ALL.match(line)
            if m:
                whole = m.group(1).strip() or "(no reason given)"
    return ok, not_ok, skip, whole


def main(build):
    passed = failed = skipped = ran = 0
    with open(f"{build}/meson-logs/testlog.json") as log:
        for line in log:
            t = json.loads(line)
            ran += 1
            ok, not_ok, skip, whole = count(t.get("stdout", t.get("stdo", "")) or "")
            if whole is not None and ok + not_ok + len(skip) == 0:
                skip = [f"the whole file: {whole}"]
            for why in skip:
                print(f"skipped: {t.get('name')}: {why}")
            if t.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and not_ok == 0:
                not_ok = 1
                print(f"{t.get('name')}: {t.get('result')} without a failing case (crash?)")
            passed += ok
            failed += not_ok
            skipped += len(skip)
    with open(f"{build}/test-counts.txt", "w") as f:
        f.write(f"{passed} {failed} {skipped}\n")
    print(f"tests: {passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build"))
