#!/usr/bin/env python3
"""File and function sizes of the Rust sources, for keeping modules small.

    scripts/sizes.py [--files N] [--functions N]

Prints every `src/` file over N lines (default 600) and every function over N lines (default
100), longest first, then totals. A function runs from its `fn` line to the line holding the
brace that closes its body at the same indentation (rustfmt layout). Test modules count as code.
"""
import argparse
import pathlib
import re

FN = re.compile(r"^(\s*)(pub(\([a-z]+\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)")


def functions(lines):
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        indent = m.group(1)
        # A declaration without a body (trait method) ends with `;` before any `{`.
        j = i
        while j < len(lines) and "{" not in lines[j] and not lines[j].rstrip().endswith(";"):
            j += 1
        if j >= len(lines) or "{" not in lines[j]:
            continue
        if lines[j].rstrip().endswith("}") and lines[j].count("{") == lines[j].count("}"):
            yield m.group(7), i + 1, j - i + 1
            continue
        for k in range(j + 1, len(lines)):
            if lines[k].startswith(indent + "}") and not lines[k].startswith(indent + " "):
                yield m.group(7), i + 1, k - i + 1
                break


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=600)
    ap.add_argument("--functions", type=int, default=100)
    args = ap.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    files, fns = [], []
    for path in sorted(root.glob("*/src/**/*.rs")):
        if "target" in path.parts:
            continue
        lines = path.read_text().splitlines()
        rel = path.relative_to(root)
        files.append((len(lines), str(rel)))
        for name, start, length in functions(lines):
            fns.append((length, f"{rel}:{start}", name))
    big_files = sorted((f for f in files if f[0] > args.files), reverse=True)
    big_fns = sorted((f for f in fns if f[0] > args.functions), reverse=True)
    print(f"files over {args.files} lines: {len(big_files)}")
    for n, rel in big_files:
        print(f"  {n:5}  {rel}")
    print(f"functions over {args.functions} lines: {len(big_fns)}")
    for n, at, name in big_fns:
        print(f"  {n:5}  {name}  ({at})")
    print(f"{len(files)} files, {sum(f[0] for f in files)} lines; largest file "
          f"{max(files)[0]} lines; largest function {max(fns)[0] if fns else 0} lines")


if __name__ == "__main__":
    main()
