#!/usr/bin/env python3
"""tanne models in LAMMPS through the KIM API (kim/): kim/install-model puts
the driver and a model into a temporary collection, and LAMMPS's
`pair_style kim` (`kim init`, `kim interactions`, `run 0`) must give what
`tanne predict` gives for the same periodic box:
  - liquid argon (108 atoms in a 17.3 Å box) with a SchNet of two
    interactions of 5 Å, so the driver's padding must reach 10 Å: energy,
    forces, atomic energies (compute pe/atom) and the pressure tensor (the
    virial's sign and Voigt order);
  - the n2p2 1080-atom liquid water box (RPBE-D3, ../shared/data/n2p2), with
    a Behler-Parrinello model trained for one epoch on the n2p2 water frames;
  - both on one and on two MPI ranks (domain decomposition: each rank's
    atoms plus its ghosts as padding), and argon in a box so long that one
    of two ranks owns no atom.
A model file that does not load, and an element the model lacks, fail with
a message (the driver's goes to kim.log). Ends with "N passed, N failed,
N skipped".

Tolerances: energies to 1e-6 relative; forces to 1e-6 of the largest force
component (max |F_lammps - F_tanne| / max |F_tanne|); the same for atomic
energies, the pressure tensor, and between one and two ranks.

Precision. The driver here links the float64 library (build-double, which
make test builds), and predictions come from the float64 tanne: measured
agreement is then 1e-14 or better. In float32 (the default build) the
padded cluster sums the same terms as the periodic frame in another order
(a ghost's features are computed afresh, and LAMMPS adds the ghosts' forces
onto their owners), so the two differ by float32 rounding: measured 9e-10
(energy) and 3e-7 (forces) for argon, but 1.7e-6 of the largest force for
the water box, above 1e-6. Rather than loosen the tolerance the test uses
float64, where a real error shows far above 1e-6: with the driver's
padding cut to one cutoff (argon ghosts to 7 Å, not 12) the forces differ
by 5.6e-4 of the largest (the energy, dominated by the per-element shift,
by only 3.5e-8, which is why forces are the check that padding works).

Pressure: with zero velocities LAMMPS's pressure tensor is -W/V (W the
virial tanne reports, = Σ d_a ∂E/∂d_b), in bar: it must equal -stress from
`tanne predict` times 1.6021765e6 bar per eV/Å³ (LAMMPS's metal constant).

Skips, with the reason: lmp without the KIM package, kim-api-collections-
management, cmake or curl absent (scripts/install-deps.sh), mpirun absent (the
two-rank cases), ../shared/data absent (water). LAMMPS cannot load a driver
built against the AddressSanitizer library (the runtime must come first in
the process), so in the SANITIZE=1 run (TANNE_BIN in a *-san folder) the
driver links the plain float64 build's libtanne.a (build-double) and
predictions come from the tanne beside it; the test skips when that build
is absent."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from cli_cases import TANNE, case, damaged_copies, finish

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.environ.get("TANNE_DATA", os.path.join(ROOT, "..", "shared", "data"))
WATER_BOX = os.path.join(DATA_DIR, "n2p2", "input.data.H2O_1080_liquid")
WATER_FRAMES = os.path.join(DATA_DIR, "n2p2", "input.data.H2O_RPBE-D3")
TMP = tempfile.TemporaryDirectory(prefix="tanne-kim-lammps-")
WORK = TMP.name
COLLECTION = os.path.join(WORK, "kim")
LMP = shutil.which("lmp")
MPIRUN = shutil.which("mpirun")
BAR_PER_EV_A3 = 1.6021765e6  # LAMMPS metal units (force.cpp nktv2p)
TOL = 1e-6
MASS = {"H": 1.008, "O": 15.999, "Ar": 39.948}
# The KIM items and LAMMPS see only the temporary collection (and a
# temporary user configuration file: the user's ~ stays untouched).
ENV = dict(os.environ, KIM_API_CONFIGURATION_FILE=os.path.join(WORK, "kim-api-config"),
           KIM_API_MODEL_DRIVERS_DIR=os.path.join(COLLECTION, "model-drivers"),
           KIM_API_PORTABLE_MODELS_DIR=os.path.join(COLLECTION, "portable-models"),
           OMP_NUM_THREADS="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none")
ENV.pop("LD_PRELOAD", None)
ARGON = "tanne_test_Ar__MO_000000000000_000"
WATER = "tanne_test_H2O__MO_000000000000_000"
tanne_bin = TANNE
library = None
installed = {}


def run(args, timeout=300, **kw):
    return subprocess.run(args, capture_output=True, text=True, cwd=WORK, env=ENV,
                          timeout=timeout, **kw)


def tanne(*args):
    r = run([tanne_bin, *args])
    assert r.returncode == 0, f"tanne {' '.join(args)}: {r.stderr}"
    return r


def install(model, name):
    r = run([os.path.join(ROOT, "kim", "install-model"), model, name, "--collection", COLLECTION,
             "--lib", library])
    assert r.returncode == 0, f"install-model {name}: {r.stdout}\n{r.stderr}"
    installed[name] = model


def read_xyz(path):
    """The first frame of an extxyz file as tanne writes it: a dict of
    cell rows, symbols, positions, and (from predict) energy, stress [9],
    forces, energies."""
    with open(path) as f:
        n = int(f.readline())
        header = f.readline()
        rows = [f.readline().split() for _ in range(n)]
    lattice = [float(x) for x in re.search(r'Lattice="([^"]*)"', header).group(1).split()]
    props = re.search(r"Properties=(\S+)", header).group(1).split(":")
    frame = {"cell": [lattice[0:3], lattice[3:6], lattice[6:9]], "symbols": [r[0] for r in rows]}
    col = 0
    for k in range(0, len(props), 3):
        name, width = props[k], int(props[k + 2])
        if name != "species":
            frame[name] = [[float(x) for x in r[col:col + width]] for r in rows]
        col += width
    m = re.search(r"(?:^|\s)energy=(\S+)", header)
    if m:
        frame["energy"] = float(m.group(1))
    m = re.search(r'(?:^|\s)stress="([^"]*)"', header)
    if m:
        frame["stress"] = [float(x) for x in m.group(1).split()]
    return frame


def write_box(frame, name):
    """The box as a LAMMPS data file and as an extxyz file, positions wrapped
    into [0, L): both see the same atoms in the same order. Orthorhombic
    boxes only (both test boxes are)."""
    cell = frame["cell"]
    for a in range(3):
        for b in range(3):
            assert a == b or cell[a][b] == 0.0, f"{name}: the test writes orthorhombic boxes only"
    side = [cell[a][a] for a in range(3)]
    pos = [[x % side[a] for a, x in enumerate(p)] for p in frame["pos"]]
    elements = sorted(set(frame["symbols"]), key=frame["symbols"].index)
    with open(os.path.join(WORK, name + ".data"), "w") as f:
        f.write(f"{name}\n\n{len(pos)} atoms\n{len(elements)} atom types\n\n")
        for a, axis in enumerate("xyz"):
            f.write(f"0 {side[a]!r} {axis}lo {axis}hi\n")
        f.write("\nMasses\n\n")
        for t, e in enumerate(elements):
            f.write(f"{t + 1} {MASS[e]}\n")
        f.write("\nAtoms # atomic\n\n")
        for i, (s, p) in enumerate(zip(frame["symbols"], pos)):
            f.write(f"{i + 1} {elements.index(s) + 1} {p[0]!r} {p[1]!r} {p[2]!r}\n")
    with open(os.path.join(WORK, name + ".xyz"), "w") as f:
        f.write(f"{len(pos)}\nLattice=\"{' '.join(repr(x) for r in cell for x in r)}\" "
                "Properties=species:S:1:pos:R:3 pbc=\"T T T\"\n")
        for s, p in zip(frame["symbols"], pos):
            f.write(f"{s} {p[0]!r} {p[1]!r} {p[2]!r}\n")
    return elements


LAMMPS_INPUT = """units metal
atom_style atomic
boundary p p p
kim init {model} metal
read_data {name}.data
kim interactions {elements}
compute pea all pe/atom
thermo_style custom step pe pxx pyy pzz pyz pxz pxy
dump forces all custom 1 {out}.dump id fx fy fz c_pea
dump_modify forces sort id format float %.17g
run 0
print "ENERGY $(pe:%.17g)"
print "PRESSURE $(pxx:%.17g) $(pyy:%.17g) $(pzz:%.17g) $(pyz:%.17g) $(pxz:%.17g) $(pxy:%.17g)"
"""


def lammps(model, name, elements, ranks=1):
    """run 0 with pair_style kim: energy (eV), pressure [xx yy zz yz xz xy]
    (bar), forces and atomic energies in atom order, and the log."""
    out = f"{name}-{model}-np{ranks}"
    path = os.path.join(WORK, out + ".in")
    with open(path, "w") as f:
        f.write(LAMMPS_INPUT.format(model=model, name=name, elements=" ".join(elements), out=out))
    cmd = [LMP, "-in", path, "-log", "none"]
    if ranks > 1:
        cmd = [MPIRUN, "--oversubscribe", "-np", str(ranks)] + cmd
    r = run(cmd)
    assert r.returncode == 0, f"lmp {out}: {r.stdout[-1500:]}\n{r.stderr[-1500:]}"
    energy = float(re.search(r"^ENERGY (\S+)", r.stdout, re.M).group(1))
    pressure = [float(x) for x in re.search(r"^PRESSURE (.+)$", r.stdout, re.M).group(1).split()]
    with open(os.path.join(WORK, out + ".dump")) as f:
        lines = f.read().splitlines()
    at = lines.index("ITEM: ATOMS id fx fy fz c_pea")
    rows = [[float(x) for x in line.split()] for line in lines[at + 1:] if line.strip()]
    return {"energy": energy, "pressure": pressure, "forces": [r[1:4] for r in rows],
            "energies": [r[4] for r in rows], "log": r.stdout}


def largest(rows):
    return max(abs(x) for r in rows for x in r)


def force_diff(a, b):
    """max |a - b| over max |b|, over all components."""
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb)) / largest(b)


def compare(got, want, what):
    de = abs(got["energy"] - want["energy"]) / abs(want["energy"])
    df = force_diff(got["forces"], want["forces"])
    print(f"  {what}: energy {de:.1e} relative, forces {df:.1e} of the largest")
    assert de <= TOL, f"{what}: energy {got['energy']!r} vs {want['energy']!r}"
    assert df <= TOL, f"{what}: forces differ by {df:.3g} of the largest"


def predicted(name, model):
    out = os.path.join(WORK, f"{name}-pred.xyz")
    tanne("predict", model, os.path.join(WORK, name + ".xyz"), "-o", out)
    return read_xyz(out)


def ghost_cutoff(log):
    return float(re.search(r"ghost atom cutoff = (\S+)", log).group(1))


def check_box(model_name, name, elements, model, hops_cutoff):
    want = predicted(name, model)
    got = lammps(model_name, name, elements)
    compare(got, want, f"{name}, 1 rank vs tanne predict")
    # The simulator's ghosts must reach the padding the model asked for.
    assert ghost_cutoff(got["log"]) >= hops_cutoff, got["log"]
    de = force_diff([[e] for e in got["energies"]], want["energies"])
    print(f"  {name}: atomic energies {de:.1e} of the largest")
    assert de <= TOL, f"{name}: atomic energies differ by {de:.3g}"
    # Voigt xx yy zz yz xz xy of -stress (tanne's 3x3, row-major) in bar.
    s = want["stress"]
    expect = [-BAR_PER_EV_A3 * s[k] for k in (0, 4, 8, 5, 2, 1)]
    scale = max(abs(x) for x in expect)
    dp = max(abs(x - y) for x, y in zip(got["pressure"], expect)) / scale
    print(f"  {name}: pressure tensor {dp:.1e} of the largest component")
    assert dp <= TOL, f"{name}: pressure {got['pressure']} vs -stress {expect}"
    return got


def two_ranks(model_name, name, elements):
    if not MPIRUN:
        return "mpirun is absent (apt-get install openmpi-bin)"
    one = lammps(model_name, name, elements)
    two = lammps(model_name, name, elements, ranks=2)
    assert "2 by 1 by 1" in two["log"] or "1 by 2 by 1" in two["log"] or \
        "1 by 1 by 2" in two["log"], two["log"]
    compare(two, one, f"{name}, 2 ranks vs 1")
    return None


def test_argon_matches_predict():
    elements = write_box(read_xyz(os.path.join(WORK, "ar-frames.xyz")), "argon")
    check_box(ARGON, "argon", elements, installed[ARGON], 2 * 5.0)


def test_argon_two_ranks():
    return two_ranks(ARGON, "argon", ["Ar"])


def test_rank_with_padding_only():
    # The argon atoms in a box 60 Å long in x: two ranks split x at 30 Å, so
    # rank 1 owns no atom and holds only ghosts (its compute reports zeros).
    frame = read_xyz(os.path.join(WORK, "ar-frames.xyz"))
    frame["cell"][0][0] = 60.0
    elements = write_box(frame, "slab")
    if not MPIRUN:
        return "mpirun is absent (apt-get install openmpi-bin)"
    want = predicted("slab", installed[ARGON])
    two = lammps(ARGON, "slab", elements, ranks=2)
    assert "2 by 1 by 1" in two["log"], two["log"]
    assert re.search(r"^Nlocal:.* max +0 min", two["log"], re.M), "both ranks own atoms"
    compare(two, want, "slab, 2 ranks (one without atoms) vs tanne predict")


def water_ready():
    if not os.path.exists(WATER_BOX) or not os.path.exists(WATER_FRAMES):
        return f"{WATER_BOX} or its frames are absent (../shared/data)"
    if WATER not in installed:
        tanne("convert", WATER_FRAMES, "--energy-unit", "Hartree", "--length-unit", "Bohr",
              os.path.join(WORK, "water-frames.xyz"))
        tanne("convert", WATER_BOX, "--energy-unit", "Hartree", "--length-unit", "Bohr",
              os.path.join(WORK, "water-box.xyz"))
        with open(os.path.join(WORK, "water.yaml"), "w") as f:
            f.write("model:\n  type: bpnn\n  features: 8\n  interactions: 2\n  cutoff: 5.0\n"
                    "  acsf_radial: 4\n  acsf_angular: 2\ntrain:\n  epochs: 1\n"
                    "  batch_size: 4\n  threads: 1\n"
                    "data:\n  train: water-frames.xyz\n  n_val: 2\n  n_test: 0\n"
                    "output:\n  dir: water-run\n")
        tanne("train", os.path.join(WORK, "water.yaml"))
        install(os.path.join(WORK, "water-run", "best.tnm"), WATER)
        write_box(read_xyz(os.path.join(WORK, "water-box.xyz")), "water")
    return None


def test_water_matches_predict():
    why = water_ready()
    if why:
        return why
    check_box(WATER, "water", ["O", "H"], installed[WATER], 5.0)


def test_water_two_ranks():
    why = water_ready()
    if why:
        return why
    return two_ranks(WATER, "water", ["O", "H"])


def test_bad_model_file_is_reported():
    corrupt, _ = damaged_copies(installed[ARGON], WORK)
    name = "tanne_test_corrupt__MO_000000000000_000"
    install(corrupt, name)
    log = os.path.join(WORK, "kim.log")
    if os.path.exists(log):
        os.remove(log)
    with open(os.path.join(WORK, "corrupt.in"), "w") as f:
        f.write(LAMMPS_INPUT.format(model=name, name="argon", elements="Ar", out="corrupt"))
    r = run([LMP, "-in", os.path.join(WORK, "corrupt.in"), "-log", "none"])
    assert r.returncode != 0, r.stdout
    assert "ERROR" in r.stdout + r.stderr, r.stdout
    with open(log) as f:
        text = f.read()
    assert "tanne driver: cannot load model" in text, text[-2000:]


def test_unknown_element_is_refused():
    with open(os.path.join(WORK, "kr.in"), "w") as f:
        f.write(LAMMPS_INPUT.format(model=ARGON, name="argon", elements="Kr", out="kr"))
    r = run([LMP, "-in", os.path.join(WORK, "kr.in"), "-log", "none"])
    assert r.returncode != 0, r.stdout
    assert "Kr" in r.stdout + r.stderr and "ERROR" in r.stdout + r.stderr, r.stdout


def choose_build():
    """The float64 tanne and libtanne.a beside TANNE_BIN's build (make test
    builds them: build-double for build), or in a sanitizer build the plain
    float64 build. None, or why not."""
    global tanne_bin, library
    build = os.path.dirname(TANNE)
    if os.path.basename(build).endswith("-san"):
        plain = build[:-len("-san")] + "-double"
        if not all(os.path.exists(os.path.join(plain, f)) for f in ("tanne", "libtanne.a")):
            return (f"{build} is an AddressSanitizer build, which LAMMPS cannot load as a KIM "
                    f"driver (the runtime must come first in the process), and {plain} "
                    "(make DOUBLE=1) is not built to take its place")
        build = plain
    elif not os.path.basename(build).endswith("-double"):
        build += "-double"
    tanne_bin = os.path.join(build, "tanne")
    library = os.path.join(build, "libtanne.a")
    for path in (tanne_bin, library):
        if not os.path.exists(path):
            return f"{path} is not built (make DOUBLE=1; make test builds it)"
    return None


def main():
    if not os.path.exists(TANNE):
        print(f"  FAIL: {TANNE} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    missing = [t for t in ("lmp", "kim-api-collections-management", "cmake") if not shutil.which(t)]
    if not shutil.which("curl") and not shutil.which("wget"):
        missing.append("curl (kim-api-collections-management will not start without it)")
    if missing:
        print(f"  skip all: {', '.join(missing)} absent (scripts/install-deps.sh installs "
              "lammps, libkim-api-dev and cmake)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    if "KIM" not in run([LMP, "-h"]).stdout.split("Installed packages:")[-1][:2000]:
        print(f"  skip all: {LMP} was built without the KIM package")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    why = choose_build()
    if why:
        print(f"  skip all: {why}")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    try:
        tanne("generate", "noble-gas", "--atoms", "108", "--frames", "8", "--equilibration",
              "200", "--interval", "20", "-o", os.path.join(WORK, "ar-frames.xyz"))
        with open(os.path.join(WORK, "ar.yaml"), "w") as f:
            f.write("model:\n  features: 8\n  interactions: 2\n  n_basis: 8\n  cutoff: 5.0\n"
                    "train:\n  epochs: 1\n  batch_size: 4\n  threads: 1\n"
                    "data:\n  train: ar-frames.xyz\n  n_val: 2\n  n_test: 0\n"
                    "output:\n  dir: ar-run\n")
        tanne("train", os.path.join(WORK, "ar.yaml"))
        install(os.path.join(WORK, "ar-run", "best.tnm"), ARGON)
    except AssertionError as e:
        print(f"  FAIL setup: {e}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for fn in (test_argon_matches_predict, test_argon_two_ranks, test_rank_with_padding_only,
               test_water_matches_predict,
               test_water_two_ranks, test_bad_model_file_is_reported,
               test_unknown_element_is_refused):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
