#!/usr/bin/env python3
"""Lists which modules of ir-core import which, and fails on any cycle.

A module is a file's path under ir-core/src (`playbook/runner/journal.rs` is
`playbook::runner::journal`). An import is any `crate::a::b` path in code (comments
excluded) or a `super::` path resolved against the file. Edges are compared at every depth:
`playbook::runner` importing `incident` and `incident` importing anything under `playbook`
is a cycle between the top-level modules `playbook` and `incident`; inside `playbook`,
`runner` and `plan` are compared the same way.

Usage: scripts/check-layers.py [--list]
"""
import os, re, sys
from collections import defaultdict

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'ir-core', 'src')

def module_of(path):
    rel = os.path.relpath(path, ROOT)[:-3].split(os.sep)
    if rel[-1] in ('mod', 'lib'):
        rel = rel[:-1]
    return rel

def code_lines(text):
    for line in text.split('\n'):
        stripped = line.strip()
        if stripped.startswith('//'):
            continue
        yield line.split('//')[0] if '"' not in line else line

refs = defaultdict(set)
for dirpath, _, files in os.walk(ROOT):
    for f in files:
        if not f.endswith('.rs'):
            continue
        path = os.path.join(dirpath, f)
        me = module_of(path)
        text = '\n'.join(code_lines(open(path).read()))
        for m in re.finditer(r'\bcrate((?:::\w+)+)', text):
            target = m.group(1).split('::')[1:]
            refs[tuple(me)].add(tuple(target))
        for m in re.finditer(r'\b((?:super::)+)(\w+)', text):
            ups = m.group(1).count('super::')
            # a file module's `super` is its parent; mod.rs files are their directory
            base = me[:-ups] if len(me) >= ups else []
            refs[tuple(me)].add(tuple(base + [m.group(2)]))

# The set of module paths that exist.
modules = {tuple(module_of(os.path.join(d, f))) for d, _, fs in os.walk(ROOT) for f in fs if f.endswith('.rs')}

def resolve(target):
    """Longest prefix of `target` that is a module."""
    for k in range(len(target), 0, -1):
        if tuple(target[:k]) in modules:
            return tuple(target[:k])
    return None

# Edges between siblings at every depth.
edges = defaultdict(set)
for src, targets in refs.items():
    for t in targets:
        dst = resolve(list(t))
        if dst is None:
            continue
        # common prefix
        k = 0
        while k < min(len(src), len(dst)) and src[k] == dst[k]:
            k += 1
        if k == len(src) or k == len(dst):
            continue  # a module using its own parent or child: not a sibling edge
        a, b = src[:k + 1], dst[:k + 1]
        edges[a].add(b)

def name(m):
    return '::'.join(m) or 'crate'

if '--list' in sys.argv:
    for a in sorted(edges):
        print(f"{name(a)} -> {', '.join(sorted(name(b) for b in edges[a]))}")

cycles = sorted({tuple(sorted((a, b))) for a in edges for b in edges[a] if a in edges.get(b, ())})
# longer cycles: Tarjan's strongly connected components
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
def strong(v):
    index[v] = low[v] = counter[0]; counter[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(comp)
sys.setrecursionlimit(10000)
for v in list(edges):
    if v not in index:
        strong(v)
if sccs:
    for comp in sccs:
        print('cycle among: ' + ', '.join(sorted(name(m) for m in comp)))
    sys.exit(1)
print(f"no import cycles among {len(modules)} modules of ir-core")
