#!/usr/bin/env python3
"""excerpts.py — the output excerpts of a docs page are real output.

    excerpts.py check PAGE OUTPUT     exit 1 and say what differs, if anything
    excerpts.py refresh PAGE OUTPUT   rewrite PAGE's excerpts from OUTPUT
    excerpts.py explain PAGE          show which figures vary, and how much

An excerpt is a fenced block of PAGE that is not a block of commands (one
whose first line starts with "ranklab"). Its lines appear in OUTPUT in the
same order and consecutively; a line "…" marks an elision (any number of
output lines, at least one). Words, symbols and spacing compare exactly,
trailing spaces aside. Every number compares exactly too, unless a rule
just above the block says the figure varies by machine:

    <!-- vary
    ±0.02 decimals lines "accuracy"      # trained: within 0.02
    ±10% columns 6 lines "×"             # the 6th number of those lines: 10%
    rounding<50 after "= "               # rounding level: below 50, and
                                         # within a factor of 10
    0..1000 lines "wrong per class"      # only a range (a count of 1,000)
    any before " s"                      # a timing: any number
    -->

A rule is a tolerance, then filters that all hold for the numbers it covers
(none: every number of the block), then an optional "# comment":
  tolerance  ±A (absolute), ±P% (relative to the page's value), both as
             ±P%|A (whichever is larger); rounding or rounding<B (the order
             of magnitude: within a factor of 10 of the page's value, or
             exactly 0 when a bound B is given; and |value| < B); A..B (the
             value lies in [A, B]); any; exact (as if no rule covered it:
             to keep a later, wider rule off a number).
  filters    decimals (with a point or an exponent), scientific (with an
             exponent), integers; lines "TEXT" (the lines containing TEXT);
             columns 2,4-6 (the 2nd, 4th to 6th number of a line); after
             "TEXT" (the first number after each TEXT); before "TEXT" (the
             last number before each TEXT).
The first rule that covers a number decides. Around a varying number the
spacing may differ (a column of right-aligned figures shifts with their
width). Rules go one per line or separated by ";".

`refresh` replaces every excerpt line by the output line it matches, taking
the words and the layout as they are and every number as printed; the rules
and the elisions stay. A segment whose words no longer match the output is
left alone and reported (rewrite it by hand). Exit 1 if any was left."""
import math
import re
import shlex
import sys

NUM = re.compile(r"(?<![\w.])[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(?![\w])")
ELISION = "…"


def numbers(line):
    """The numbers of a line as (start, end, text); a '-' after a digit is a dash."""
    out = []
    for m in NUM.finditer(line):
        s = m.start()
        if line[s] in "+-" and s > 0 and line[s - 1].isalnum():
            s += 1
        out.append((s, m.end(), line[s:m.end()]))
    return out


def parse_tol(text):
    """A rule's tolerance as a function (page value, fresh value) -> bool."""
    if text == "any":
        return lambda d, v: True
    if text == "exact":
        return None
    m = re.fullmatch(r"rounding(?:<(\S+))?", text)
    if m:
        bound = float(m.group(1)) if m.group(1) else None

        def rounding(d, v):
            if bound is not None and not (abs(v) < bound):
                return False
            if v == 0.0:
                return bound is not None
            return d != 0.0 and abs(math.log10(abs(v) / abs(d))) <= 1.0
        return rounding
    m = re.fullmatch(r"([-+\d.e]+)\.\.([-+\d.e]+)", text)
    if m:
        lo, hi = float(m.group(1)), float(m.group(2))
        return lambda d, v: lo <= v <= hi
    m = re.fullmatch(r"±(?:([\d.e+-]+)%)?\|?([\d.e+-]+)?", text)
    if m and (m.group(1) or m.group(2)):
        rel = float(m.group(1)) / 100 if m.group(1) else 0.0
        ab = float(m.group(2)) if m.group(2) else 0.0
        return lambda d, v: abs(v - d) <= max(ab, rel * abs(d))
    raise ValueError(f"unknown tolerance {text!r}")


class Rule:
    """One line of a `<!-- vary` comment: a tolerance, then filters that all
    hold for the numbers it covers, then an optional `# comment`."""

    def __init__(self, text):
        words = shlex.split(text, comments=True)
        self.text = shlex.join(words)
        if not words:
            raise ValueError(f"empty rule in {text!r}")
        self.ok, self.filters = parse_tol(words[0]), []   # ok None: exact
        i = 1
        while i < len(words):
            w = words[i]
            if w in ("decimals", "integers", "scientific"):
                self.filters.append(("kind", w))
            elif w in ("lines", "after", "before", "columns") and i + 1 < len(words):
                i += 1
                arg = words[i]
                if w == "columns":
                    arg = set(columns(arg))
                self.filters.append((w, arg))
            else:
                raise ValueError(f"cannot read {w!r} in the rule {text!r}")
            i += 1

    def covers(self, line, start, num):
        """Does the rule cover the number at START of a page LINE?"""
        return all(self.holds(f, arg, line, start, num) for f, arg in self.filters)

    @staticmethod
    def holds(f, arg, line, start, num):
        nums = numbers(line)
        if f == "kind":
            kind = "scientific" if "e" in num else "decimals" if "." in num else "integers"
            return kind == arg or (arg == "decimals" and kind == "scientific")
        if f == "lines":
            return arg in line
        if f == "columns":
            return [s for s, _, _ in nums].index(start) + 1 in arg
        i = line.find(arg)
        while i >= 0:   # the first number after, or the last before, the text
            if f == "after":
                near = [s for s, _, _ in nums if s >= i + len(arg)][:1]
            else:
                near = [s for s, e, _ in nums if e <= i][-1:]
            if near == [start]:
                return True
            i = line.find(arg, i + 1)
        return False


def columns(text):
    """"1,3,5-7" as 1, 3, 5, 6, 7."""
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        yield from range(int(lo), int(hi or lo) + 1)


def blocks(page):
    """(first line index, lines, rules) of every excerpt of a page."""
    lines, out, i = page.split("\n"), [], 0
    while i < len(lines):
        if not lines[i].startswith("```"):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        body = lines[i + 1:j]
        if body and not body[0].lstrip().startswith("ranklab"):
            out.append((i + 1, body, rules_above(lines, i)))
        i = j + 1
    return out


def rules_above(lines, fence):
    """The rules of the `<!-- vary ... -->` comment that ends just above a fence."""
    k = fence - 1
    if k < 0 or not lines[k].rstrip().endswith("-->"):
        return []
    while k >= 0 and "<!--" not in lines[k]:
        k -= 1
    text = "\n".join(lines[k:fence]).strip()
    if not text.startswith("<!-- vary"):
        return []
    body = text[len("<!-- vary"):-len("-->")].lstrip(":")
    return [Rule(r) for part in body.split("\n") for r in part.split(";") if r.strip()]


def segments(body):
    """(index in BODY, lines) of the runs of lines between elisions, blank
    lines at either end left out."""
    segs, k = [], 0
    for i, line in enumerate(body + [ELISION]):
        if line.strip() != ELISION:
            continue
        run = list(range(k, i))
        while run and not body[run[0]].strip():
            run.pop(0)
        while run and not body[run[-1]].strip():
            run.pop()
        if run:
            segs.append((run[0], [body[j].rstrip() for j in run]))
        k = i + 1
    return segs


def rule_of(rules, line, start, num):
    """The first rule covering a number, or None when none does or it is `exact`."""
    rule = next((r for r in rules if r.covers(line, start, num)), None)
    return rule if rule is not None and rule.ok is not None else None


def skeleton(page_line, rules):
    """A regex for the output line (words exact, every number captured, the
    spaces next to a varying number of any width ≥ 1) and each number's rule."""
    nums = [(s, e, n, rule_of(rules, page_line, s, n)) for s, e, n in numbers(page_line)]
    parts, kinds, pos, prev_varies = [], [], 0, False
    for s, e, num, rule in nums + [(len(page_line), len(page_line), None, None)]:
        text = page_line[pos:s]
        lead = prev_varies and text.startswith(" ")
        trail = rule is not None and text.endswith(" ")
        core = text.strip(" ") if (lead or trail) else text
        if lead and not trail:
            core = text.lstrip(" ")
        elif trail and not lead:
            core = text.rstrip(" ")
        if lead or trail:
            parts.append(" +" + re.escape(core) + (" +" if core and lead and trail else "")
                         if lead else re.escape(core) + " +")
        else:
            parts.append(re.escape(core))
        if num is None:
            break
        parts.append(r"([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?|nan|-?inf)")
        kinds.append((num, rule))
        pos, prev_varies = e, rule is not None
    return re.compile("".join(parts) + r"\Z"), kinds


def line_problem(page_line, out_line, rules):
    """None when OUT_LINE is PAGE_LINE by the rules; else what differs."""
    pattern, kinds = skeleton(page_line, rules)
    m = pattern.match(out_line.rstrip())
    if not m:
        return "words or layout differ"
    for (num, rule), got in zip(kinds, m.groups()):
        if rule is None:
            if got != num:
                return f"{num} is {got} (exact)"
        else:
            try:
                ok = rule.ok(float(num), float(got))
            except ValueError:
                ok = False
            if not ok:
                return f"{num} is {got}, beyond `{rule.text}`"
    return None


def find_segment(seg, out, start, match):
    """The first index ≥ START where the lines of SEG follow in OUT."""
    for i in range(start, len(out) - len(seg) + 1):
        if all(match(p, o) for p, o in zip(seg, out[i:i + len(seg)])):
            return i
    return -1


def words_match(page_line, out_line):
    return line_problem(page_line, out_line, [Rule("any")]) is None


def check(page_text, out):
    """Messages for every segment that is not in the output, in order."""
    msgs = []
    for first, body, rules in blocks(page_text):
        pos = 0
        for k, seg in segments(body):
            i = find_segment(seg, out, pos,
                             lambda p, o: line_problem(p, o, rules) is None)
            if i >= 0:
                pos = i + len(seg)
                continue
            msgs.append(f"# the excerpt at line {first + k + 1} is not in the output:")
            j = find_segment(seg, out, pos, words_match)
            if j < 0:
                msgs += [f"#   {p}" for p in seg]
                msgs.append("#   (its words are not there either)")
                continue
            for p, o in zip(seg, out[j:j + len(seg)]):
                why = line_problem(p, o, rules)
                if why:
                    msgs += [f"#   page: {p}", f"#   run:  {o}", f"#   {why}"]
            pos = j + len(seg)
    return msgs


def refresh(page_text, out):
    """The page with every excerpt segment replaced by the output it matches
    word for word, and the segments that match nowhere."""
    lines, left = page_text.split("\n"), []
    for first, body, _ in blocks(page_text):
        pos = 0
        for k, seg in segments(body):
            j = find_segment(seg, out, pos, words_match)
            if j < 0:
                left.append(f"line {first + k + 1}: {seg[0]}")
                continue
            lines[first + k:first + k + len(seg)] = out[j:j + len(seg)]
            pos = j + len(seg)
    return "\n".join(lines), left


def explain(page_text):
    """Every excerpt line with its varying numbers in brackets."""
    out = []
    for first, body, rules in blocks(page_text):
        out.append(f"--- line {first + 1}")
        for line in body:
            marked, pos = "", 0
            for s, e, num in numbers(line):
                rule = rule_of(rules, line, s, num)
                marked += line[pos:s] + (f"[{num} {rule.text.split()[0]}]" if rule else num)
                pos = e
            out.append(marked + line[pos:])
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "explain":
        with open(argv[2], encoding="utf-8") as f:
            print("\n".join(explain(f.read())))
        return 0
    if len(argv) != 4 or argv[1] not in ("check", "refresh"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(argv[2], encoding="utf-8") as f:
        page = f.read()
    with open(argv[3], encoding="utf-8") as f:
        out = [l.rstrip() for l in f.read().split("\n")]
    if argv[1] == "check":
        if any(rules for _, _, rules in blocks(page)) and "vary by machine" not in page:
            print(f"# {argv[2]}: has rules but does not say which figures vary by machine")
            return 1
        msgs = check(page, out)
        print("\n".join(msgs) if msgs else f"# {argv[2]}: every excerpt is in the output")
        return 1 if msgs else 0
    new, left = refresh(page, out)
    with open(argv[2], "w", encoding="utf-8") as f:
        f.write(new)
    for l in left:
        print(f"{argv[2]}: {l}: its words are not in the output; edit by hand", file=sys.stderr)
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
