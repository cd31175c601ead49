#!/usr/bin/env python3
"""The include layering of src/ against the table in docs/HACKING.md.

Every `#include "x/y.h"` in src/ is an edge from the including file's folder
to x.  An edge the table does not allow fails, and so does a loop between
modules (a .c with its .h) anywhere in the library.  The self-test first
adds an edge against the table (common/ including container/) and a loop
between two modules, and requires both to be caught: a checker that
passes everything fails here.

Usage: layering.py SOURCE_ROOT"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_table(hacking):
    text = open(hacking).read()
    start = text.index("<!-- layering table")
    end = text.index("<!-- end of layering table")
    allowed = {}
    for line in text[start:end].splitlines():
        m = re.match(r"^\|\s*`([a-z_]+)`\s*\|\s*(.*?)\s*\|\s*$", line)
        if not m:
            continue
        deps = [d.strip() for d in m.group(2).split(",") if d.strip() and d.strip() != "—"]
        allowed[m.group(1)] = set(deps)
    if not allowed:
        raise SystemExit(f"{hacking}: no layering table found")
    return allowed


def folder_of(rel):
    """src/lib/oci/spec.c -> oci; src/runtime/main.c -> runtime"""
    parts = rel.split("/")
    return parts[2] if parts[1] == "lib" else parts[1]


def scan(src_root):
    """{relative path: text} of every .c and .h under src/"""
    files = {}
    for d, _, names in os.walk(os.path.join(src_root, "src")):
        for n in names:
            if n.endswith((".c", ".h")):
                p = os.path.join(d, n)
                files[os.path.relpath(p, src_root)] = open(p, errors="replace").read()
    return files


def resolve(rel, inc, files):
    """The file an include names: beside the includer, else under src/lib."""
    for cand in (os.path.normpath(os.path.join(os.path.dirname(rel), inc)), os.path.join("src/lib", inc)):
        if cand in files:
            return cand
    return None


def check(files, allowed):
    errors = []
    modules = {}
    for rel, text in sorted(files.items()):
        src = folder_of(rel)
        if src not in allowed:
            errors.append(f"{rel}: folder '{src}' is not in the layering table")
            continue
        for inc in INCLUDE.findall(text):
            target = resolve(rel, inc, files)
            if target is None:
                continue  # a generated or system header
            dst = folder_of(target)
            if dst != src and dst not in allowed[src]:
                errors.append(f"{rel}: includes \"{inc}\": {src} may not depend on {dst}")
            if rel.startswith("src/lib/") and target.startswith("src/lib/"):
                a, b = rel[:-2], target[:-2]
                if a != b:
                    modules.setdefault(a, set()).add(b)
    # loops between library modules
    state, stack = {}, []

    def visit(u):
        state[u] = 1
        stack.append(u)
        for v in sorted(modules.get(u, ())):
            if state.get(v) == 1:
                errors.append("include loop: " + " -> ".join(stack[stack.index(v):] + [v]))
            elif v not in state:
                visit(v)
        stack.pop()
        state[u] = 2

    for u in sorted(modules):
        if u not in state:
            visit(u)
    return errors


def self_test(files, allowed):
    bad = dict(files)
    bad["src/lib/common/zz_selftest.c"] = '#include "container/container.h"\n'
    found = check(bad, allowed)
    if not any("zz_selftest.c" in e and "common may not depend on container" in e for e in found):
        raise SystemExit("self-test: an edge common -> container was not caught")
    loop = dict(files)
    loop["src/lib/oci/zz_a.h"] = '#include "oci/zz_b.h"\n'
    loop["src/lib/oci/zz_b.h"] = '#include "oci/zz_a.h"\n'
    if not any("include loop" in e and "zz_a" in e for e in check(loop, allowed)):
        raise SystemExit("self-test: a loop between two modules was not caught")
    if "runtime" in allowed.get("common", set()):
        raise SystemExit("self-test: the table lets common depend on a program")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    allowed = read_table(os.path.join(root, "docs", "HACKING.md"))
    files = scan(root)
    self_test(files, allowed)
    errors = check(files, allowed)
    for e in errors:
        print(e)
    print(f"layering: {len(files)} files, {len(errors)} violations")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
