#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Code in the documentation that must be a file of the tree, verbatim.

A Markdown code block right after "<!-- snippet: PATH -->", or an
reStructuredText "code-block" right after the comment ".. snippet: PATH",
must equal the file PATH (relative to the top of the tree).

  doc-snippets.py DOC...            check; one line per snippet, exit 1 on
                                    a difference or a doc without snippets
  doc-snippets.py --commands DOC    print the shell block that follows
                                    "<!-- snippet-commands -->"
"""
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def md_block(lines, i):
    """The fenced block starting at or after line i, without its fences."""
    while not lines[i].startswith('```'):
        i += 1
    end = i + 1
    while not lines[end].startswith('```'):
        end += 1
    return ''.join(lines[i + 1:end])


def rst_block(lines, i):
    """The indented body of the code-block directive at or after line i."""
    while not lines[i].lstrip().startswith('.. code-block::'):
        i += 1
    i += 1
    body = []
    while i < len(lines) and (not lines[i].strip() or
                              lines[i].startswith('   ')):
        body.append(lines[i][3:] if lines[i].strip() else '\n')
        i += 1
    while body and body[0] == '\n':
        body.pop(0)
    while body and body[-1] == '\n':
        body.pop()
    return ''.join(body)


def snippets(doc):
    with open(doc) as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith('<!-- snippet: ') and s.endswith(' -->'):
            yield s[len('<!-- snippet: '):-4], md_block(lines, i + 1)
        elif s.startswith('.. snippet: '):
            yield s[len('.. snippet: '):], rst_block(lines, i + 1)


def check(docs):
    bad = 0
    for doc in docs:
        found = 0
        for path, text in snippets(doc):
            found += 1
            with open(os.path.join(TOP, path)) as f:
                same = f.read() == text
            print('%s: %s %s' % (doc, path, 'verbatim' if same else
                                 'DIFFERS from the file'))
            bad += not same
        if not found:
            print('%s: no snippet found' % doc)
            bad += 1
    return 1 if bad else 0


def commands(doc):
    with open(doc) as f:
        lines = f.readlines()
    for i, line in enumerate(lines):
        if line.strip() == '<!-- snippet-commands -->':
            sys.stdout.write(md_block(lines, i + 1))
            return 0
    print('%s: no snippet-commands block' % doc, file=sys.stderr)
    return 1


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--commands':
        sys.exit(commands(sys.argv[2]))
    if len(sys.argv) < 2 or sys.argv[1].startswith('-'):
        sys.exit(__doc__)
    sys.exit(check(sys.argv[1:]))
