#!/usr/bin/python3
"""ASE side of the extxyz interoperability test (tests/test_xyz.c).

  ase_xyz.py gen XYZ REF   writes a varied extxyz file with ASE, reads it
                           back with ASE and writes the values ASE reports
                           to REF, one record per line:
                             frames <n>
                             frame <n_atoms> <pbc a> <pbc b> <pbc c>
                             cell <9 values, rows a, b, c>
                             energy <e>
                             stress <xx yy zz yz xz xy>
                             info <temperature> <step>
                             text <config_type, rest of the line>
                             atom <Z> <x y z> <fx fy fz> <e_i> <mol_id>
  ase_xyz.py check A B     reads both files with ASE and compares numbers,
                           positions, cell, pbc, energy, forces, stress, atomic
                           energies, mol_id and config_type (relative 1e-12).

Prints a last line "VERDICT OK" or "VERDICT FAIL <why>". Needs ASE and numpy.
"""
import sys

import numpy as np
from ase import Atoms
from ase.calculators.singlepoint import SinglePointCalculator
from ase.io import read, write


def make_images():
    rng = np.random.default_rng(20240607)
    specs = [
        (["Cu", "Ar", "H", "O", "C"],
         [[4.1, 0.0, 0.0], [1.3, 3.9, 0.0], [0.7, -0.4, 5.2]], [True, True, False]),
        (["Kr", "Ar", "Ar"],
         [[3.5, 0.2, -0.1], [0.3, 4.4, 0.0], [-0.6, 0.8, 3.7]], [True, True, True]),
        (["N", "H", "H", "H"], None, [False, False, False]),
    ]
    images = []
    for k, (symbols, cell, pbc) in enumerate(specs):
        n = len(symbols)
        atoms = Atoms(symbols, positions=rng.uniform(-1.0, 4.0, (n, 3)),
                      cell=cell, pbc=pbc)
        atoms.new_array("mol_id", np.arange(n, dtype=int) % 2 + 10 * k)
        atoms.info["config_type"] = "bulk phase %d" % k
        atoms.info["temperature"] = 300.5 + k
        atoms.info["step"] = 7 + k
        energies = rng.normal(-3.0, 0.5, n)
        calc = SinglePointCalculator(
            atoms, energy=float(energies.sum()), forces=rng.normal(0.0, 0.3, (n, 3)),
            stress=rng.normal(0.0, 0.01, 6), energies=energies)
        atoms.calc = calc
        images.append(atoms)
    return images


def fmt(values):
    return " ".join(repr(float(v)) for v in np.ravel(values))


def gen(xyz, ref):
    write(xyz, make_images(), format="extxyz")
    images = read(xyz, index=":", format="extxyz")
    with open(ref, "w") as f:
        f.write("frames %d\n" % len(images))
        for atoms in images:
            f.write("frame %d %s\n" % (len(atoms), " ".join(str(int(p)) for p in atoms.pbc)))
            f.write("cell %s\n" % fmt(atoms.cell.array))
            f.write("energy %s\n" % fmt([atoms.get_potential_energy()]))
            f.write("stress %s\n" % fmt(atoms.get_stress()))
            f.write("info %s %d\n" % (fmt([atoms.info["temperature"]]), atoms.info["step"]))
            f.write("text %s\n" % atoms.info["config_type"])
            forces = atoms.get_forces()
            energies = atoms.calc.results["energies"]
            for i in range(len(atoms)):
                f.write("atom %d %s %s %s %d\n" % (
                    atoms.numbers[i], fmt(atoms.positions[i]), fmt(forces[i]),
                    fmt([energies[i]]), atoms.arrays["mol_id"][i]))
    print("VERDICT OK")


def close(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-12, atol=1e-300)


def check(path_a, path_b):
    a = read(path_a, index=":", format="extxyz")
    b = read(path_b, index=":", format="extxyz")
    if len(a) != len(b):
        return "frame counts %d and %d" % (len(a), len(b))
    for k, (x, y) in enumerate(zip(a, b)):
        tests = [
            ("numbers", np.array_equal(x.numbers, y.numbers)),
            ("positions", close(x.positions, y.positions)),
            ("cell", close(x.cell.array, y.cell.array)),
            ("pbc", np.array_equal(x.pbc, y.pbc)),
            ("energy", close(x.get_potential_energy(), y.get_potential_energy())),
            ("forces", close(x.get_forces(), y.get_forces())),
            ("stress", close(x.get_stress(), y.get_stress())),
            ("energies", close(x.calc.results["energies"], y.calc.results["energies"])),
            ("mol_id", np.array_equal(x.arrays["mol_id"], y.arrays["mol_id"])
             and y.arrays["mol_id"].dtype.kind == "i"),
            ("config_type", x.info["config_type"] == y.info["config_type"]),
            ("temperature", close(x.info["temperature"], y.info["temperature"])),
            ("step", x.info["step"] == y.info["step"]),
        ]
        for name, ok in tests:
            if not ok:
                return "frame %d: %s differs" % (k, name)
    return None


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "check":
        why = check(sys.argv[2], sys.argv[3])
        print("VERDICT OK" if why is None else "VERDICT FAIL " + why)
    else:
        print(__doc__)
        print("VERDICT FAIL usage")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
