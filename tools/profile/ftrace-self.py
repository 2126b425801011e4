#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ftrace-self.py MECH < guest-log: self instructions per function and ioctl.

Reads the function_graph trace printed between "@@TRACE-BEGIN MECH" and
"@@TRACE-END" (funcgraph-proc on, one CPU, -icount so that 1 ns is one
instruction), rebuilds each task's call tree and, over the last N
top-level ioctls of each task that made at least N, prints the mean self
time of every traced function: its duration minus its traced children's
and minus the tracer's cost.  The tracer costs about as much in a traced
function as the cheapest traced leaf call of the run, and about as much
again in its caller; both are subtracted (a few tens of instructions of
error per call).  "schedule" includes everything the other task ran.
"""
import collections
import re
import sys

N = 20
LINE = re.compile(r'^\s*\d+\)\s+(\S+)\s+\|\s+(?:[+!#*@$]\s)?\s*'
                  r'(?:([\d.]+) us)?\s*\|\s+(.*)$')


def name_of(text):
    text = text.rstrip('{;').strip()
    return re.sub(r'\(\)$', '', text.replace(' [fastipc_floor]', '')
                  .replace(' [fastipc]', ''))


def parse(lines):
    """Return {task: [(name, duration, children, child_count, depth)]}."""
    events = collections.defaultdict(list)
    stacks = collections.defaultdict(list)
    for line in lines:
        m = LINE.match(line)
        if not m:
            continue
        task, dur, text = m.group(1), m.group(2), m.group(3).strip()
        ns = float(dur) * 1000 if dur else None
        st = stacks[task]
        if text.endswith('{'):
            st.append([name_of(text), 0.0, 0])
        elif text.startswith('}'):
            if not st or ns is None:
                continue
            name, child, nch = st.pop()
            events[task].append((name, ns, child, nch, len(st)))
            if st:
                st[-1][1] += ns
                st[-1][2] += 1
        elif text.endswith(';') and ns is not None:
            events[task].append((name_of(text), ns, 0.0, 0, len(st)))
            if st:
                st[-1][1] += ns
                st[-1][2] += 1
    return events


def main():
    mech = sys.argv[1]
    text = sys.stdin.read()
    begin = '@@TRACE-BEGIN ' + mech + '\n'
    if begin not in text:
        sys.exit('ftrace-self.py: no trace of ' + mech)
    body = text.split(begin, 1)[1].split('@@TRACE-END', 1)[0]
    events = parse(body.splitlines())
    leaves = [e[1] for ev in events.values() for e in ev if e[3] == 0]
    ovh = min(leaves) if leaves else 0.0
    print(f'== {mech}: tracer cost {ovh:.0f} per traced call, subtracted')
    for task, ev in events.items():
        calls, cur = [], collections.defaultdict(lambda: [0.0, 0])
        for name, ns, child, nch, depth in ev:
            cur[name][0] += ns - child - ovh - ovh * nch
            cur[name][1] += 1
            if depth == 0:
                if name == '__x64_sys_ioctl':
                    calls.append(cur)
                cur = collections.defaultdict(lambda: [0.0, 0])
        if len(calls) <= N:
            continue
        tot = collections.defaultdict(lambda: [0.0, 0.0])
        for c in calls[-N - 1:-1]:
            for k, (s, n) in c.items():
                tot[k][0] += s / N
                tot[k][1] += n / N
        print(f'-- {task}: {len(calls)} ioctls; mean of the last {N} '
              '(self instructions, calls per ioctl)')
        total = 0.0
        for k, (s, n) in sorted(tot.items(), key=lambda x: -x[1][0]):
            if k != 'schedule':
                total += s
            print(f'  {s:8.0f} {n:5.1f}  {k}')
        print(f'  {total:8.0f}        all but schedule')


if __name__ == '__main__':
    main()
