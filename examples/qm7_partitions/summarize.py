#!/usr/bin/env python3
"""Tables of examples/qm7_partitions/run.sh from the tanne eval CSVs in OUT.

usage: summarize.py OUT   (prints Markdown)
"""
import csv
import os
import sys

VARIANTS = [(a, t) for a in ("schnet", "painn") for t in ("totals", "ao", "mo")]
TRAINED = {"totals": "totals only", "ao": "totals + energies_ao", "mo": "totals + energies_mo"}
ELEMENTS = ("H", "C", "N", "O")


def read(path):
    with open(path, newline="") as f:
        return {row["name"]: row for row in csv.DictReader(f)}


def epochs(out, v):
    """Epochs run and the best epoch, from the run's metrics.csv."""
    path = os.path.join(out, v, "metrics.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    best = min(rows, key=lambda r: float(r["val_loss"]))
    return len(rows), int(best["epoch"])


def main():
    out = sys.argv[1]
    print("| model | trained on | epochs (best) | test E MAE (meV) | E MAE (meV/atom) "
          "| atomic MAE vs AO, raw / −offset (meV) | atomic MAE vs MO, raw / −offset (meV) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    tables = {}
    for arch, t in VARIANTS:
        v = f"{arch}_{t}"
        m = {p: read(os.path.join(out, f"{v}_{p}_metrics.csv")) for p in ("ao", "mo")}
        tables[v] = m
        n, best = epochs(out, v)
        e = float(m["ao"]["energy"]["mae"])
        ea = float(m["ao"]["energy per atom"]["mae"])
        cells = []
        for p in ("ao", "mo"):
            raw = float(m[p]["atomic energies"]["mae"])
            off = float(m[p]["atomic energies - offset"]["mae"])
            cells.append(f"{raw:.0f} / {off:.1f}")
        print(f"| {arch} | {TRAINED[t]} | {n} ({best}) | {e:.1f} | {ea:.2f} | {cells[0]} | {cells[1]} |")
    for p, name in (("ao", "energies_ao"), ("mo", "energies_mo")):
        print(f"\nPer element against `{name}`, after removing a per-element offset: "
              "MAE (meV) and R².\n")
        print("| model | trained on | " + " | ".join(ELEMENTS) + " |")
        print("|---|---|" + "---:|" * len(ELEMENTS))
        for arch, t in VARIANTS:
            m = tables[f"{arch}_{t}"][p]
            cells = []
            for el in ELEMENTS:
                row = m.get(f"atomic energies - offset[{el}]")
                cells.append(f"{float(row['mae']):.1f} ({float(row['r2']):.3f})" if row else "-")
            print(f"| {arch} | {TRAINED[t]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
