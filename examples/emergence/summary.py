#!/usr/bin/env python3
"""Rank correlations across the sizes of each emergence sweep: does the
atomic-energy recovery get worse with size, and do the sizes that recover the
partition better transfer better to the Ar/Kr mixture?

usage: examples/emergence/summary.py OUT   (the run.sh output folder)
Prints a Markdown table, one row per sweep (the sweeps are not pooled: with
and without forces, recovery differs by several times)."""
import csv
import os
import sys

SWEEPS = ("schnet", "painn", "schnet_energy", "painn_energy")


def ranks(values):
    """Ranks from 1, ties sharing their mean rank."""
    order = sorted(range(len(values)), key=lambda k: values[k])
    out = [0.0] * len(values)
    k = 0
    while k < len(order):
        end = k
        while end + 1 < len(order) and values[order[end + 1]] == values[order[k]]:
            end += 1
        for q in range(k, end + 1):
            out[order[q]] = (k + end) / 2 + 1
        k = end + 1
    return out


def spearman(x, y):
    """Spearman's rho of the pairs where both are finite numbers."""
    pairs = [(a, b) for a, b in zip(x, y) if a == a and b == b]
    if len(pairs) < 3:
        return float("nan")
    rx, ry = ranks([a for a, _ in pairs]), ranks([b for _, b in pairs])
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    return sxy / (sxx * syy) ** 0.5


def column(rows, name):
    return [float(r[name]) for r in rows]


def row_of(name, rows):
    params, depth = column(rows, "parameters"), column(rows, "depth")
    width = column(rows, "width")
    recovery = column(rows, "test_atomic_mae_meV")
    transfer_e = column(rows, "transfer_e_mae_meV_per_atom")
    transfer_a = column(rows, "transfer_atomic_mae_meV")
    best = min(rows, key=lambda r: float(r["test_atomic_mae_meV"]))
    return (f"| {name} | {len(rows)} | {spearman(width, recovery):+.2f} | "
            f"{spearman(depth, recovery):+.2f} | {spearman(params, recovery):+.2f} | "
            f"{spearman(recovery, transfer_a):+.2f} | {spearman(recovery, transfer_e):+.2f} | "
            f"w{best['width']} d{best['depth']} ({float(best['test_atomic_mae_meV']):.2f}) |")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print("| sweep | sizes | ρ(width, recovery MAE) | ρ(depth, recovery MAE) | "
          "ρ(parameters, recovery MAE) | ρ(recovery MAE, transfer atomic MAE) | "
          "ρ(recovery MAE, transfer E MAE) | best recovery (meV) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name in SWEEPS:
        path = os.path.join(sys.argv[1], name, "sweep.csv")
        if not os.path.exists(path):
            print(f"| {name} | not run ({path} is absent) | | | | | | |")
            continue
        rows = list(csv.DictReader(open(path)))
        print(row_of(name, rows))


if __name__ == "__main__":
    main()
