#!/usr/bin/env python3
"""sync-help-docs.py RANKLAB [DOCS_TOOLS_DIR] — copy each command's --help
into its page in docs/tools/, where the test suite expects it verbatim.

In docs/tools/CMD.md the help text is the part of a ```text block that
starts at the line "usage: ranklab CMD" and runs to the block's end (or to
the next "$ " prompt line); in docs/tools/README.md, `ranklab help`'s text.
Only those lines change; pages without such a block are left as they are.
Prints the pages it changed.
"""
import os
import re
import subprocess
import sys


def replace_block(text, usage_prefix, new):
    lines = text.split('\n')
    for i, line in enumerate(lines):
        if line.startswith(usage_prefix):
            j = i
            while j < len(lines) and not lines[j].startswith('```') and \
                    not (j > i and lines[j].startswith('$ ')):
                j += 1
            return '\n'.join(lines[:i] + new.rstrip('\n').split('\n') + lines[j:])
    return text


def main():
    ranklab = sys.argv[1]
    docs = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'docs', 'tools')
    top = subprocess.run([ranklab, '--help'], capture_output=True, text=True, check=True).stdout
    commands = re.findall(r'^  ([a-z]+) ', top.split('Commands:', 1)[1], re.M)
    pages = {'README.md': ('usage: ranklab COMMAND', top)}
    for c in commands:
        help_text = subprocess.run([ranklab, c, '--help'], capture_output=True, text=True,
                                   check=True).stdout
        pages[c + '.md'] = ('usage: ranklab ' + c, help_text)
    for page, (prefix, help_text) in pages.items():
        path = os.path.join(docs, page)
        if not os.path.exists(path):
            continue
        with open(path, encoding='utf-8') as f:
            old = f.read()
        new = replace_block(old, prefix, help_text)
        if new != old:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(new)
            print('updated', path)


if __name__ == '__main__':
    main()
