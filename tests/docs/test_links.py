#!/usr/bin/env python3
"""test_links.py — every pointer from the tutorials and docs into the code
resolves, and every relative Markdown link leads to a file. TAP output.

Conventions checked (docs/index.md, "For contributors", states them too):

1. Tutorials (tutorials/*.c): each `Read alongside` pointer is written
   "lib/PATH.c FUNCTION()" in a string literal: PATH exists and FUNCTION is
   defined in it. Every "docs/....md" named in the source exists.
2. Markdown (docs/**/*.md, README.md), in inline code spans outside fenced
   blocks:
   - a path `lib/...`, `tests/...`, `tools/...`, `tutorials/...` or
     `scripts/...` ending in .c, .h, .py or .sh names an existing file
     (unless a capitalised placeholder stands in it: `tools/cmd_NAME.c`,
     `tutorials/tutorialNN.c`);
   - a function is written `name()`. Right after a path (`lib/linalg/rank.c`
     `rk_rank()`) or right before "in `path`" (`check_input()` in
     `lib/linalg/svd.c`) it must be defined in that file; anywhere else it
     must be defined in one of the files the page names. Functions from
     outside ranklab are written without parentheses (numpy's `matrix_rank`).
   Spans opened with two backticks (examples of the convention) are not checked.
   - a bare ranklab name, `rk_name` or `RK_NAME` (also `rk_name(args)`,
     `rk_type.field`, `rk_x_forward/backward`), appears as a word in lib/:
     this catches names that were renamed or never existed.
3. Every relative link [text](path) or ![alt](path) in docs/ and README.md
   resolves to an existing file (the #fragment is ignored).

"Defined in it": for .c/.h a line starting at column 0 (a definition or a
declaration, not a call) containing `name(`; `#define name(` counts; for
.py `def name(`; for .sh `name()`.

The last cases run the checker on a small broken tree and expect it to
complain, so the checker itself cannot silently pass everything.
"""
import os
import re
import sys
import tempfile

CODE_DIRS = ("lib", "tests", "tools", "tutorials", "scripts")
PATH_RE = re.compile(r"^(?:%s)/[\w./-]+\.(?:c|h|py|sh)$" % "|".join(CODE_DIRS))
PLACEHOLDER_RE = re.compile(r"[A-Z]{2,}(?![a-z])")   # `tools/cmd_NAME.c`
FUNC_RE = re.compile(r"^([A-Za-z_]\w*)\(\)$")
POINTER_RE = re.compile(r"\b(lib/[\w./-]+\.[ch]) +([A-Za-z_]\w*)\(\)")
DOCREF_RE = re.compile(r"\b(docs/[\w./-]+\.md)\b")
SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
NAME_RE = re.compile(r"^((?:rk|RK)_\w+)(?:\(.*\)|\.\w+)?$")
PAIR_RE = re.compile(r"^((?:rk|RK)_\w+)_(\w+)/(\w+)$")
LINK_RE = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def defines(root, path, func, cache={}):
    """True when the file root/path defines or declares func."""
    key = (root, path)
    if key not in cache:
        try:
            with open(os.path.join(root, path), encoding="utf-8") as f:
                cache[key] = f.read().splitlines()
        except OSError:
            cache[key] = None
    lines = cache[key]
    if lines is None:
        return False
    name = re.escape(func)
    if path.endswith(".py"):
        pat = re.compile(r"^\s*def %s\(" % name)
    elif path.endswith(".sh"):
        pat = re.compile(r"^%s\(\)" % name)
    else:
        pat = re.compile(r"^(?:#\s*define\s+%s\(|[A-Za-z_][^;=]*?\b%s\s*\()" % (name, name))
    for line in lines:
        if line.startswith(("/", "*", " ", "\t")):
            continue
        if line.startswith("#") and not line.startswith(("#define", "# define")):
            continue
        if pat.match(line):
            return True
    return False


def lib_words(root, cache={}):
    """Every identifier that occurs in lib/**/*.[ch] (and the generated headers' *.h.in)."""
    if root not in cache:
        words = set()
        for d, _, names in os.walk(os.path.join(root, "lib")):
            for n in names:
                if n.endswith((".c", ".h", ".h.in")):
                    with open(os.path.join(d, n), encoding="utf-8", errors="replace") as f:
                        words.update(re.findall(r"\b[A-Za-z_]\w*\b", f.read()))
        cache[root] = words
    return cache[root]


def names_in_span(span):
    """The ranklab names a code span refers to without parentheses ([] if none)."""
    if FUNC_RE.match(span):
        return []
    m = PAIR_RE.match(span)
    if m:
        return [m.group(1) + "_" + m.group(2), m.group(1) + "_" + m.group(3)]
    m = NAME_RE.match(span)
    return [m.group(1)] if m else []


def strip_fences(text):
    """The text with fenced code blocks blanked (line count kept)."""
    out, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append("")
        else:
            out.append("" if fenced else line)
    return "\n".join(out)


def check_tutorial(root, rel):
    """Problems in one tutorials/*.c file."""
    problems = []
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = f.read()
    pointers = POINTER_RE.findall(text)
    for path, func in pointers:
        if not os.path.isfile(os.path.join(root, path)):
            problems.append("%s: Read alongside %s: no such file" % (rel, path))
        elif not defines(root, path, func):
            problems.append("%s: Read alongside %s %s(): not defined there" % (rel, path, func))
    for doc in set(DOCREF_RE.findall(text)):
        if not os.path.isfile(os.path.join(root, doc)):
            problems.append("%s: docs page %s: no such file" % (rel, doc))
    return problems, len(pointers)


def check_markdown(root, rel):
    """Problems in one Markdown page: code pointers and relative links."""
    problems = []
    with open(os.path.join(root, rel), encoding="utf-8") as f:
        text = strip_fences(f.read())
    spans = list(SPAN_RE.finditer(text))
    files = []
    for m in spans:
        s = m.group(2).strip()
        if PATH_RE.match(s) and not PLACEHOLDER_RE.search(s):
            if os.path.isfile(os.path.join(root, s)):
                files.append(s)
            else:
                problems.append("%s: `%s`: no such file" % (rel, s))
    n_funcs = 0
    for i, m in enumerate(spans):
        fm = FUNC_RE.match(m.group(2).strip())
        if not fm:
            continue
        func = fm.group(1)
        n_funcs += 1
        pinned = None
        prev = spans[i - 1] if i > 0 else None
        nxt = spans[i + 1] if i + 1 < len(spans) else None
        if prev and PATH_RE.match(prev.group(2).strip()) and text[prev.end():m.start()].strip() == "":
            pinned = prev.group(2).strip()
        elif nxt and PATH_RE.match(nxt.group(2).strip()) and text[m.end():nxt.start()].strip() == "in":
            pinned = nxt.group(2).strip()
        if pinned:
            if pinned in files and not defines(root, pinned, func):
                problems.append("%s: `%s()` is not defined in `%s`" % (rel, func, pinned))
        elif not any(defines(root, f, func) for f in files):
            problems.append("%s: `%s()` is defined in none of the files the page names (%s)"
                            % (rel, func, ", ".join(sorted(set(files))) or "none"))
    words = lib_words(root)
    for m in spans:
        for name in names_in_span(m.group(2).strip()):
            n_funcs += 1
            if name not in words:
                problems.append("%s: `%s`: no such name in lib/" % (rel, name))
    n_links = 0
    for m in LINK_RE.finditer(text):
        target = m.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue
        n_links += 1
        path = target.split("#", 1)[0]
        full = os.path.normpath(os.path.join(root, os.path.dirname(rel), path))
        if not os.path.exists(full):
            problems.append("%s: link (%s): no such file" % (rel, target))
    return problems, len(set(files)), n_funcs, n_links


def pages(root):
    out = []
    if os.path.isfile(os.path.join(root, "README.md")):
        out.append("README.md")
    for d, _, names in os.walk(os.path.join(root, "docs")):
        for n in sorted(names):
            if n.endswith(".md"):
                out.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(out)


def tutorials(root):
    d = os.path.join(root, "tutorials")
    if not os.path.isdir(d):
        return []
    return sorted("tutorials/" + n for n in os.listdir(d) if re.match(r"tutorial\d+\.c$", n))


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def case(self, ok, desc, problems=()):
        self.n += 1
        for p in problems if not ok else ():
            print("# " + p)
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, desc))
        self.failed += not ok


def self_test(tap):
    """A small tree with one broken pointer of each kind: each must be reported."""
    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "lib/x"))
        os.makedirs(os.path.join(root, "docs"))
        os.makedirs(os.path.join(root, "tutorials"))
        with open(os.path.join(root, "lib/x/a.c"), "w") as f:
            f.write("/* a.c */\nint rk_a(void)\n{\n    return rk_b();\n}\n")
        with open(os.path.join(root, "tutorials/tutorial09.c"), "w") as f:
            f.write('"lib/x/a.c rk_a()", "lib/x/a.c rk_b()", "lib/x/z.c rk_a()", "docs/no.md"\n')
        with open(os.path.join(root, "docs/p.md"), "w") as f:
            f.write("`lib/x/a.c` `rk_a()` fine; `lib/x/a.c` `rk_b()` is only called;\n"
                    "`lib/x/gone.h`; `lib/x/cmd_NAME.c`; `rk_c()`; `rk_a` `rk_zz.f`; [ok](p.md) [bad](nothere.md) [web](https://x)\n"
                    "```\n`lib/x/ignored.c` [in a fence](nowhere.md)\n```\n")
        tp, _ = check_tutorial(root, "tutorials/tutorial09.c")
        want = ["rk_b(): not defined", "z.c: no such file", "docs/no.md: no such file"]
        ok = len(tp) == 3 and all(any(w in p for p in tp) for w in want)
        tap.case(ok, "checker: reports a tutorial's undefined function, missing file and page", tp)
        mp, *_ = check_markdown(root, "docs/p.md")
        want = ["`rk_b()` is not defined in `lib/x/a.c`", "`lib/x/gone.h`: no such file",
                "`rk_c()` is defined in none", "link (nothere.md)", "`rk_zz`: no such name"]
        ok = len(mp) == 5 and all(any(w in p for p in mp) for w in want)
        tap.case(ok, "checker: reports a page's bad function, file and link, skips fences", mp)


def main():
    root = os.environ.get("RK_SOURCE_ROOT") or (sys.argv[1] if len(sys.argv) > 1 else ".")
    tap = Tap()
    for rel in tutorials(root):
        problems, n = check_tutorial(root, rel)
        tap.case(not problems and n > 0, "%s: %d Read alongside pointers resolve" % (rel, n),
                 problems or (["no Read alongside pointers found"] if n == 0 else []))
    for rel in pages(root):
        problems, nf, nfn, nl = check_markdown(root, rel)
        tap.case(not problems, "%s: %d code files, %d names, %d links resolve"
                 % (rel, nf, nfn, nl), problems)
    self_test(tap)
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
