#!/usr/bin/env python3
"""Checks that every #include points down a layer (or stays within one).

The layer order and which public header belongs to which layer are read from the table between
the `layers:begin` and `layers:end` markers in docs/architecture.md (bottom layer first). A file
in src/LAYER/ or a public header of LAYER may include its own layer's headers and those of the
layers below; anything above is an error. Also checked: every public header and every folder of
src/ has a layer, and the umbrella header includes every public header.

Usage: check_layers.py [REPO_ROOT]; exit 0 when clean, 1 on a violation (one line each), 2 when
the table itself cannot be read.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def read_table(doc):
    text = doc.read_text()
    m = re.search(r"<!-- layers:begin -->(.*?)<!-- layers:end -->", text, re.S)
    if not m:
        raise ValueError(f"{doc}: no <!-- layers:begin --> ... <!-- layers:end --> table")
    layers, headers = [], {}
    for line in m.group(1).splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or cells[0] in ("layer", "") or set(cells[0]) <= set("-: "):
            continue
        layer = cells[0]
        layers.append(layer)
        for h in re.findall(r"[a-z_0-9]+", cells[2]):
            if h in headers:
                raise ValueError(f"{doc}: header {h}.hpp is in two layers")
            headers[h] = layer
    if not layers:
        raise ValueError(f"{doc}: the layer table has no rows")
    return layers, headers


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    try:
        layers, headers = read_table(root / "docs" / "architecture.md")
    except ValueError as e:
        print(f"check_layers: {e}")
        return 2
    rank = {name: i for i, name in enumerate(layers)}
    errors = []
    public = sorted(p.stem for p in (root / "include" / "parlab").glob("*.hpp"))
    for h in public:
        if h not in headers:
            errors.append(f"include/parlab/{h}.hpp: no layer in docs/architecture.md's table")
    for h in headers:
        if h not in public:
            errors.append(f"docs/architecture.md: the table names {h}.hpp, which does not exist")
    for folder in sorted(p.name for p in (root / "src").iterdir() if p.is_dir()):
        if folder not in rank:
            errors.append(f"src/{folder}/: not a layer in docs/architecture.md's table")

    def layer_of(include):
        m = re.fullmatch(r"parlab/([a-z_0-9]+)\.hpp", include)
        if m:
            return headers.get(m.group(1))
        first = include.split("/")[0]
        return first if first in rank and "/" in include else None

    files = [(p, p.parent.name) for p in (root / "src").rglob("*")
             if p.suffix in (".cpp", ".hpp", ".in") and p.parent.name in rank]
    files += [(root / "include" / "parlab" / f"{h}.hpp", headers[h]) for h in public if h in headers]
    for path, own in sorted(files):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            to = layer_of(m.group(1))
            if to is not None and rank[to] > rank[own]:
                errors.append(f"{path.relative_to(root)}:{n}: {own} includes {m.group(1)} ({to}),"
                              f" a layer above it")
    umbrella = root / "include" / "parlab" / "parlab.hpp"
    if umbrella.exists():
        has = set(re.findall(r"<parlab/([a-z_0-9]+)\.hpp>", umbrella.read_text()))
        for h in public:
            if h != "parlab" and h not in has:
                errors.append(f"include/parlab/parlab.hpp: does not include parlab/{h}.hpp")
    for e in errors:
        print(e)
    if not errors:
        print(f"check_layers: {len(files)} files, every include points down "
              f"({' < '.join(layers)})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
