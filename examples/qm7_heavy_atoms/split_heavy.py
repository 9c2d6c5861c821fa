#!/usr/bin/env python3
"""Splits QM7 (extxyz) by the number of heavy (non-hydrogen) atoms: molecules
with at most MAX heavy atoms to SMALL, the others to LARGE. Frames are copied
verbatim, in file order.

usage: split_heavy.py QM7.xyz MAX SMALL.xyz LARGE.xyz
"""
import os
import sys


def main():
    src, limit, small, large = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    with open(src) as f:
        lines = f.read().splitlines(keepends=True)
    out = {small: [], large: []}
    counts = {small: 0, large: 0}
    k = 0
    while k < len(lines):
        n = int(lines[k])
        atoms = lines[k + 2:k + 2 + n]
        heavy = sum(1 for a in atoms if a.split()[0] != "H")
        dest = small if heavy <= limit else large
        out[dest].extend(lines[k:k + 2 + n])
        counts[dest] += 1
        k += 2 + n
    for path, chunk in out.items():
        tmp = path + ".tmp"
        with open(tmp, "w") as g:
            g.writelines(chunk)
        os.replace(tmp, path)
        print(f"{path}: {counts[path]} molecules")


if __name__ == "__main__":
    main()
