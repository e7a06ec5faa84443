#!/usr/bin/env python3
"""Checks the layout of src/ (run by scripts/test.sh); exits 1 when either fails:
- no cycle in the file-level `use` graph: an edge A -> B when file A names module B
  (`use crate::x::y`, `use super::y`, or a `crate::x::y::` path in code);
- no file longer than MAX_LINES before its tests (`#[cfg(test)] mod tests`)."""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
MAX_LINES = 600


def module_of(path: Path) -> tuple:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


files = {module_of(p): p for p in SRC.rglob("*.rs")}


def resolve(segments: list) -> tuple | None:
    """The longest prefix of `segments` that is a file's module."""
    for end in range(len(segments), 0, -1):
        if tuple(segments[:end]) in files:
            return tuple(segments[:end])
    return None


PATH = re.compile(r"\b(crate|super)((?:::\w+)+)")
edges = {m: set() for m in files}
for module, path in files.items():
    text = path.read_text()
    # Tests beside the code may use anything: they are not part of the module's layering.
    text = re.split(r"#\[cfg\(test\)\]\s*mod tests", text)[0]
    text = re.sub(r"//[^\n]*", "", text)
    for base, rest in PATH.findall(text):
        segments = rest.strip(":").split("::")
        # `super` of dir/file.rs and of dir/mod.rs alike is the module one up.
        prefix = [] if base == "crate" else list(module[:-1])
        target = resolve(prefix + segments)
        # A child naming its ancestors (the re-exports of a mod.rs) is not a cycle's edge:
        # the ancestor declares the child, it does not use it.
        if target is not None and target != module[: len(target)]:
            edges[module].add(target)
    # A module's own children, named relatively (`writes::create_pair` in api/mod.rs).
    own = module if path.stem in ("mod", "lib", "main") else None
    if own is not None:
        for child in set(re.findall(r"(?<![:\w])(\w+)::", text)):
            if own + (child,) in files:
                edges[module].add(own + (child,))

# Tarjan's strongly connected components.
index, low, on_stack, stack, components = {}, {}, set(), [], []
counter = [0]


def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on_stack.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on_stack:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        component = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            component.append(w)
            if w == v:
                break
        if len(component) > 1:
            components.append(component)


sys.setrecursionlimit(10000)
for v in files:
    if v not in index:
        visit(v)

def name(m):
    return "src/" + "/".join(m) if m else "src/lib.rs"


for component in components:
    print("cycle among: " + ", ".join(sorted(name(m) for m in component)))
    for m in sorted(component):
        inside = sorted(name(t) for t in edges[m] if t in component)
        print(f"  {name(m)} -> {', '.join(inside)}")

too_long = []
for path in sorted(files.values()):
    code = re.split(r"(?m)^#\[cfg\(test\)\]\s*mod tests", path.read_text())[0]
    lines = code.count("\n")
    if lines > MAX_LINES:
        too_long.append(path)
        print(f"{path.relative_to(SRC.parent)}: {lines} lines before its tests, more than {MAX_LINES}")

if components or too_long:
    sys.exit(1)
print(f"no cycle among the {len(files)} files of src/, none over {MAX_LINES} lines before its tests")
