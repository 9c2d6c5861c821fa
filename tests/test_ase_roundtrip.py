#!/usr/bin/env python3
"""Every shared data set, converted to extxyz by `tanne convert` and read back
with ASE, agrees with the source read independently (numpy for npz, h5py for
HDF5, ASE for extxyz, a plain parser for n2p2) to 1e-6 relative.

Run by tests/run.sh with TANNE_BIN pointing at the built `tanne`. Ends with
the line "N passed, N failed, N skipped"."""
import glob
import os
import subprocess
import sys
import tempfile

KCAL = 0.04336410390059322  # eV per kcal/mol
HARTREE = 27.211386245988  # eV per Hartree

passed = failed = skipped = 0


def close(name, got, want, rel=1e-6):
    import numpy as np
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    if got.shape != want.shape:
        raise AssertionError(f"{name}: shape {got.shape} != {want.shape}")
    scale = max(np.abs(want).max(initial=0.0), 1e-300)
    err = np.abs(got - want).max(initial=0.0)
    # relative to each value, with the array's scale guarding values near zero
    ok = np.all(np.abs(got - want) <= rel * np.maximum(np.abs(want), 1e-3 * scale))
    if not ok:
        raise AssertionError(f"{name}: max abs error {err:.3g} (scale {scale:.3g})")


def source_npz(path):
    import numpy as np
    d = np.load(path)
    keys = set(d.files)
    z = d["nuclear_charges"] if "nuclear_charges" in keys else d["z"] if "z" in keys else d["Z"]
    R = d["coords"] if "coords" in keys else d["R"]
    E = d["energies"] if "energies" in keys else d["E"]
    F = d["forces"] if "forces" in keys else d["F"]
    frames = []
    for f in range(R.shape[0]):
        zf = z[f] if z.ndim == 2 else z
        frames.append({"numbers": zf, "positions": R[f], "energy": float(E.reshape(-1)[f]) * KCAL,
                       "forces": F[f] * KCAL})
    return frames


def source_xyz(path):
    import ase.io
    frames = []
    for a in ase.io.read(path, index=":"):
        fr = {"numbers": a.numbers, "positions": a.positions, "cell": a.cell.array,
              "pbc": a.pbc}
        if a.calc is not None:
            res = a.calc.results
            if "energy" in res:
                fr["energy"] = res["energy"]
            if "forces" in res:
                fr["forces"] = res["forces"]
            if "energies" in res:
                fr["energies"] = res["energies"]
            if "stress" in res:
                fr["stress"] = res["stress"]
        for k in ("energies_ao", "energies_mo"):
            if k in a.arrays:
                fr[k] = a.arrays[k]
        frames.append(fr)
    return frames


def source_n2p2(path):
    from ase.data import atomic_numbers
    frames, fr = [], None
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == "begin":
            fr = {"numbers": [], "positions": [], "forces": [], "lattice": []}
        elif w[0] == "atom":
            fr["positions"].append([float(x) for x in w[1:4]])
            fr["numbers"].append(atomic_numbers[w[4]])
            fr["forces"].append([float(x) for x in w[7:10]])
        elif w[0] == "lattice":
            fr["lattice"].append([float(x) for x in w[1:4]])
        elif w[0] == "energy":
            fr["energy"] = float(w[1])
        elif w[0] == "end":
            if fr["lattice"]:
                fr["cell"] = fr["lattice"]
            del fr["lattice"]
            frames.append(fr)
    return frames


def source_h5(path):
    import h5py
    from ase.data import atomic_numbers
    frames = []
    with h5py.File(path, "r") as h:
        for g in sorted(h.keys()):
            for m in sorted(h[g].keys()):
                mol = h[g][m]
                sp = [s.decode() if isinstance(s, bytes) else str(s) for s in mol["species"][()]]
                z = [atomic_numbers[s] for s in sp]
                R = mol["coordinates"][()]
                E = mol["energies"][()]
                for f in range(R.shape[0]):
                    frames.append({"numbers": z, "positions": R[f], "energy": E[f] * HARTREE})
    return frames


def compare(path, frames, out):
    import ase.io
    back = ase.io.read(out, index=":")
    if len(back) != len(frames):
        raise AssertionError(f"{len(back)} frames read back, source has {len(frames)}")
    for f, (a, src) in enumerate(zip(back, frames)):
        tag = f"frame {f}"
        if list(a.numbers) != list(src["numbers"]):
            raise AssertionError(f"{tag}: species differ")
        close(f"{tag} positions", a.positions, src["positions"])
        if "cell" in src:
            close(f"{tag} cell", a.cell.array, src["cell"])
        res = a.calc.results if a.calc is not None else {}
        for key in ("energy", "forces", "energies", "stress"):
            if key in src:
                if key not in res:
                    raise AssertionError(f"{tag}: '{key}' missing after the round trip")
                close(f"{tag} {key}", res[key], src[key])
        for key in ("energies_ao", "energies_mo"):
            if key in src:
                close(f"{tag} {key}", a.arrays[key], src[key])


def main():
    global passed, failed, skipped
    try:
        import ase.io  # noqa: F401
        import numpy  # noqa: F401
    except ImportError:
        print("  skip all: python3-ase or python3-numpy missing")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    tanne = os.environ.get("TANNE_BIN", "build/tanne")
    data = os.environ.get("TANNE_DATA", "../shared/data")
    if not os.path.isdir(data):
        print(f"  skip all: shared data absent at {data}")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    readers = {".npz": source_npz, ".xyz": source_xyz, ".h5": source_h5}
    paths = sorted(glob.glob(os.path.join(data, "*", "*")))
    with tempfile.TemporaryDirectory() as tmp:
        # The shared sets carry no stress: a generated Ar/Kr liquid does.
        gen = os.path.join(tmp, "generated-noble-gas.xyz")
        run = subprocess.run([tanne, "generate", "noble-gas", "--species", "Ar,Kr", "--atoms",
                              "32", "--frames", "3", "--equilibration", "20", "--interval", "5",
                              "-o", gen], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"  FAIL generate noble-gas: {run.stderr.strip()}")
            failed += 1
        else:
            paths.append(gen)
        for path in paths:
            name = os.path.relpath(path, data) if path.startswith(data) else os.path.basename(path)
            ext = os.path.splitext(path)[1]
            if "input.data" in os.path.basename(path):
                reader = source_n2p2
            elif ext in readers:
                reader = readers[ext]
            else:
                continue
            out = os.path.join(tmp, "out.xyz")
            try:
                if ext == ".h5":
                    import h5py  # noqa: F401
                run = subprocess.run([tanne, "convert", path, out], capture_output=True, text=True)
                if run.returncode != 0:
                    raise AssertionError(f"tanne convert failed: {run.stderr.strip()}")
                compare(path, reader(path), out)
                print(f"  ok   {name}")
                passed += 1
            except ImportError as e:
                print(f"  skip {name}: {e}")
                skipped += 1
            except Exception as e:  # one failing file must not hide the others
                print(f"  FAIL {name}: {e}")
                failed += 1
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
