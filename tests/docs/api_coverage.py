#!/usr/bin/env python3
"""api_coverage.py XMLDIR SHARED_LIB SRC — the API reference covers the API.

Checks, from Doxygen's XML output: (1) every function the shared library
exports (nm -D) has an entry in the reference with a description; (2) every
public header (lib/meson.build's public_headers, and ranklab.h) has a file
page; (3) no internal header (internal_headers) has one. Prints what is
missing, one line each; exit 1 when anything is.
"""
import re
import subprocess
import sys
import xml.etree.ElementTree as ET


def exported(lib):
    out = subprocess.run(['nm', '-D', '--defined-only', lib], capture_output=True,
                         text=True, check=True).stdout
    return {f[2] for f in (l.split() for l in out.splitlines()) if len(f) == 3 and f[1] == 'T'}


def headers(src):
    text = open(src + '/lib/meson.build', encoding='utf-8').read()
    public = {'ranklab.h', 'core/version.h'}  # version.h: generated from version.h.in
    block = re.search(r'public_headers = \{(.*?)\n\}', text, re.S).group(1)
    for layer, names in re.findall(r"'(\w+)' : \[(.*?)\]", block, re.S):
        public |= {layer + '/' + n for n in re.findall(r"'([\w.]+)'", names)}
    internal = set(re.findall(r"'(\w+/[\w.]+\.h)'",
                              re.search(r'internal_headers = \[(.*?)\]', text, re.S).group(1)))
    return public, internal


def documented(xmldir):
    """Functions with a brief or detailed description, and the file pages."""
    index = ET.parse(xmldir + '/index.xml').getroot()
    funcs, files = set(), set()
    for comp in index.findall('compound'):
        if comp.get('kind') != 'file':
            continue
        root = ET.parse('%s/%s.xml' % (xmldir, comp.get('refid'))).getroot()
        cdef = root.find('compounddef')
        loc = cdef.find('location').get('file')
        files.add(re.sub(r'^.*?lib/', '', loc).replace('.h.in', '.h'))
        for m in cdef.iter('memberdef'):
            text = ''.join(m.find('briefdescription').itertext()) + \
                ''.join(m.find('detaileddescription').itertext())
            if m.get('kind') == 'function' and text.strip():
                funcs.add(m.find('name').text)
    return funcs, files


def main():
    xmldir, lib, src = sys.argv[1:4]
    funcs, files = documented(xmldir)
    public, internal = headers(src)
    problems = ['exported but not in the reference: %s' % f
                for f in sorted(exported(lib) - funcs)]
    problems += ['public header without a page: %s' % h for h in sorted(public - files)]
    problems += ['internal header in the reference: %s' % h for h in sorted(internal & files)]
    for p in problems:
        print(p)
    print('%d exported functions, %d public headers, %d pages checked' %
          (len(exported(lib)), len(public), len(files)))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
