#!/usr/bin/env python3
"""man-page.py RANKLAB [COMMAND] OUT VERSION — a man page made from --help.

The page of `ranklab COMMAND` (or of `ranklab` itself) is its --help text in
roff, so the two can never disagree: the usage lines become SYNOPSIS, the
prose DESCRIPTION, the "Options:" block OPTIONS (one .TP per option, its
continuation lines joined), "Commands:" COMMANDS, and a paragraph starting
"Exit status:" EXIT STATUS. Indented lines inside prose (formulas,
examples) stay as they are (.nf). The summary line of NAME comes from the
command list of `ranklab --help`.
"""
import re
import subprocess
import sys


def roff(text):
    """Escape text for roff: backslashes, hyphens, a leading dot or quote."""
    text = text.replace('\\', '\\e').replace('-', '\\-')
    return '\\&' + text if text[:1] in ('.', "'") else text


def summaries(ranklab):
    out = subprocess.run([ranklab, '--help'], capture_output=True, text=True, check=True).stdout
    found, on = {}, False
    for line in out.splitlines():
        if line.startswith('Commands:'):
            on = True
        elif on and re.match(r'  [a-z]', line):
            name, summary = line.split(None, 1)
            found[name] = summary.strip()
    return found


def paragraphs(lines):
    block = []
    for line in lines:
        if line.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def definition_list(block):
    """'  -o, --output DIR    text' entries with deeper-indented continuations."""
    out = []
    for line in block:
        m = re.match(r'  (\S.*?)(?:\s{2,}(\S.*))?$', line)
        if m and not line.startswith('   '):
            out.append('.TP\n.B %s' % roff(m.group(1)))
            if m.group(2):
                out.append(roff(m.group(2)))
        else:
            out.append(roff(line.strip()))
    return out


def prose(block):
    out, pre = ['.PP'], False
    for line in block:
        indented = line.startswith(' ')
        if indented != pre:
            out.append('.nf' if indented else '.fi')
            pre = indented
        out.append(roff(line.rstrip()))
    if pre:
        out.append('.fi')
    return out


def page(ranklab, command, version):
    args = [ranklab] + ([command] if command else []) + ['--help']
    text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    name = 'ranklab' + ('-' + command if command else '')
    summary = summaries(ranklab).get(command, 'the linear algebra behind LoRA, done for real') \
        if command else 'the linear algebra behind LoRA, done for real'
    out = ['.\\" Generated from `%s` by scripts/man-page.py; do not edit.' % ' '.join(
               ['ranklab'] + args[1:]),
           '.TH %s 1 "" "ranklab %s" "ranklab manual"' % (name.upper(), version),
           '.SH NAME', '%s \\- %s' % (roff(name), roff(summary))]
    section = None
    for block in paragraphs(text.splitlines()):
        head = block[0]
        if head.startswith('usage:'):
            out += ['.SH SYNOPSIS', '.nf']
            out += [roff(re.sub(r'^usage: ', '', l).strip()) for l in block] + ['.fi']
            section = 'DESCRIPTION'
            out.append('.SH DESCRIPTION')
        elif re.match(r'[A-Z][A-Za-z ]*:$', head):
            title = head[:-1].upper()
            out.append('.SH ' + title)
            out += definition_list(block[1:]) if len(block) > 1 else []
            section = title
        elif head.startswith('Exit status:'):
            out += ['.SH EXIT STATUS'] + prose([head[len('Exit status:'):].strip()] + block[1:])
            section = 'EXIT STATUS'
        elif section in ('OPTIONS', 'COMMANDS') and head.startswith('  '):
            out += definition_list(block)
        else:
            if section in ('OPTIONS', 'COMMANDS'):
                out.append('.SH NOTES')
                section = 'NOTES'
            out += prose(block)
    if not command:
        out += ['.SH SEE ALSO', ', '.join('\\fBranklab\\-%s\\fR(1)' % c for c in summaries(ranklab))]
    else:
        out += ['.SH SEE ALSO', '\\fBranklab\\fR(1)']
    return '\n'.join(out) + '\n'


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit('usage: man-page.py RANKLAB [COMMAND] OUT VERSION')
    ranklab, version, out = sys.argv[1], sys.argv[-1], sys.argv[-2]
    command = sys.argv[2] if len(sys.argv) == 5 else None
    text = page(ranklab, command, version)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
