#!/usr/bin/env python3
"""Cuts ethanol_500K.npz into training, validation and test files (npz, the
same keys and units as the source: kcal/mol, Å), by a seeded shuffle.

usage: make_sets.py SOURCE.npz OUTDIR N_TRAIN N_VAL N_TEST [SEED]
Writes OUTDIR/500K_train.npz, 500K_val.npz, 500K_test.npz.
"""
import os
import sys

import numpy as np


def main():
    src, out = sys.argv[1], sys.argv[2]
    n_train, n_val, n_test = (int(v) for v in sys.argv[3:6])
    seed = int(sys.argv[6]) if len(sys.argv) > 6 else 1
    data = np.load(src)
    n = len(data["E"])
    if n_train + n_val + n_test > n:
        sys.exit(f"make_sets.py: {src} has {n} frames, fewer than {n_train + n_val + n_test}")
    order = np.random.default_rng(seed).permutation(n)
    cuts = {"train": order[:n_train], "val": order[n_train:n_train + n_val],
            "test": order[n_train + n_val:n_train + n_val + n_test]}
    os.makedirs(out, exist_ok=True)
    for name, idx in cuts.items():
        idx = np.sort(idx)
        path = os.path.join(out, f"500K_{name}.npz")
        tmp = path + ".tmp.npz"
        np.savez(tmp, **{k: data[k][idx] for k in ("R", "E", "F", "Z", "N")})
        os.replace(tmp, path)
        print(f"{path}: {len(idx)} frames")


if __name__ == "__main__":
    main()
