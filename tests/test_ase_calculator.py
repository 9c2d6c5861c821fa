#!/usr/bin/env python3
"""The ASE calculator (python/tanne_ase.py) over the library next to
$TANNE_BIN: a tiny SchNet and a tiny PaiNN are trained on generated liquid
argon (about a second each). The ctypes mirror of tn_frame has the C
compiler's layout; energy, free energy, forces, atomic energies and stress
equal `tanne predict`'s bit for bit (predict writes shortest round-trip
numbers, so its file holds the very doubles); forces are −dE/dR and stress
(1/V) dE/d(strain) by central differences of the calculator's energy;
VelocityVerlet conserves energy (and a 10% force error would not); BFGS
relaxes a periodic box; a missing, damaged or foreign model file, an element
the model lacks, coinciding atoms, stress without a periodic cell and a bad
library path each raise an exception with the message.

Under a SANITIZE=1 build the library links AddressSanitizer, which must be
loaded before anything else: the test then runs itself again with libasan
and libubsan preloaded (leak detection off, since the interpreter itself
does not free everything at exit), and skips every case, saying why, if it
cannot. Ends with "N passed, N failed, N skipped"."""
import ctypes
import os
import shutil
import subprocess
import sys
import tempfile

from cli_cases import TANNE, TINY_SCHNET, case, damaged_copies, finish

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "python"))
LIB = os.path.join(os.path.dirname(TANNE), "libtanne.so")
REEXEC = "TANNE_ASE_TEST_REEXEC"  # set in the re-run; holds the original LD_PRELOAD
SAVED_ASAN_OPTIONS = "TANNE_ASE_TEST_ASAN_OPTIONS"

TMP = tempfile.TemporaryDirectory(prefix="tanne-ase-calc-")
WORK = TMP.name
CONFIG = os.path.join(WORK, "tiny.yaml")
TRAIN = os.path.join(WORK, "train.xyz")  # 40 frames of 32-atom liquid argon
AR = os.path.join(WORK, "ar.xyz")  # 3 other periodic argon frames
OPEN = os.path.join(WORK, "open.xyz")  # 3 argon atoms without a cell
MIX = os.path.join(WORK, "mix.xyz")  # Ar/Kr: an element the models lack
MODELS = {"schnet": os.path.join(WORK, "schnet", "best.tnm"),
          "painn": os.path.join(WORK, "painn", "best.tnm")}

# TINY_SCHNET trained longer, at a higher rate, so that its forces are of
# the data's size (max about 0.1 eV/Å): under a second, and good enough for
# MD and relaxation to mean something.
TINY = TINY_SCHNET + """data:
  n_val: 4
  n_test: 0
"""
LONGER = ["--set", "train.epochs=50", "--set", "optimizer.lr=5e-3"]

why_no_library = None  # a reason to skip every case that loads the library


def sanitizer_libs():
    """Paths of the sanitizer runtimes LIB links, as the loader resolves
    them (ldd), else as the compiler names them; [] for a plain build."""
    try:
        ldd = subprocess.run(["ldd", LIB], capture_output=True, text=True).stdout
    except OSError:
        ldd = ""
    libs = []
    for name in ("libasan", "libubsan"):
        for line in ldd.splitlines():
            parts = line.split()
            if parts and parts[0].startswith(name + ".so") and len(parts) > 2:
                libs.append(parts[2])
                break
    if libs or not os.path.basename(os.path.dirname(LIB)).endswith("-san"):
        return libs
    # No ldd, but a -san build dir: ask the compiler.
    for name in ("libasan.so", "libubsan.so"):
        try:
            path = subprocess.run(["cc", "-print-file-name=" + name], capture_output=True,
                                  text=True).stdout.strip()
        except OSError:
            path = ""
        if os.path.isabs(path) and os.path.exists(path):
            libs.append(path)
    return libs or ["(not found)"]


def asan_in_process():
    with open("/proc/self/maps") as f:
        return "libasan.so" in f.read()


def prepare_sanitizer():
    """Re-runs this test with the sanitizer runtimes preloaded when LIB
    needs them; sets why_no_library when that cannot be done."""
    global why_no_library
    libs = sanitizer_libs()
    if not libs or asan_in_process():
        return
    if "(not found)" in libs:
        why_no_library = (f"{LIB} is an AddressSanitizer build and no libasan was found to "
                          "preload (neither ldd nor cc named one)")
        return
    if REEXEC in os.environ:
        why_no_library = (f"{LIB} is an AddressSanitizer build and preloading "
                          f"{' '.join(libs)} did not load it")
        return
    env = dict(os.environ)
    env[REEXEC] = os.environ.get("LD_PRELOAD", "")
    env[SAVED_ASAN_OPTIONS] = os.environ.get("ASAN_OPTIONS", "")
    env["LD_PRELOAD"] = " ".join(libs + ([env[REEXEC]] if env[REEXEC] else []))
    # The interpreter does not free everything at exit: no leak report.
    env["ASAN_OPTIONS"] = "detect_leaks=0" + (
        ":" + env[SAVED_ASAN_OPTIONS] if env[SAVED_ASAN_OPTIONS] else "")
    print(f"  (AddressSanitizer build: running again with LD_PRELOAD={env['LD_PRELOAD']} "
          f"ASAN_OPTIONS={env['ASAN_OPTIONS']})")
    sys.stdout.flush()
    os.execve(sys.executable, [sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)


def tanne(*args):
    """Runs the CLI with the environment this test was started with (not the
    preloads of the re-run, so that its own leak checks stay on)."""
    env = dict(os.environ)
    if REEXEC in env:
        for key, saved in (("LD_PRELOAD", env.pop(REEXEC)),
                           ("ASAN_OPTIONS", env.pop(SAVED_ASAN_OPTIONS, ""))):
            if saved:
                env[key] = saved
            else:
                env.pop(key, None)
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK, env=env)


def calculator(model="schnet", **kw):
    from tanne_ase import TanneCalculator
    return TanneCalculator(MODELS.get(model, model), library=LIB, **kw)


def need(*what):
    if why_no_library:
        return why_no_library
    for name in what:
        if not os.path.exists(MODELS[name]):
            return f"the tiny {name} training run failed"
    return None


def setup():
    with open(CONFIG, "w") as f:
        f.write(TINY)
    with open(OPEN, "w") as f:
        f.write('3\nProperties=species:S:1:pos:R:3 pbc="F F F"\n'
                "Ar 0 0 0\nAr 3.8 0.1 0.2\nAr 1.7 3.4 -0.3\n")
    gen = ["generate", "noble-gas", "--atoms", "32", "--equilibration", "50", "--interval", "10"]
    for out, args in ((TRAIN, ["--frames", "40", "--seed", "3"]),
                      (AR, ["--frames", "3", "--seed", "5"]),
                      (MIX, ["--species", "Ar,Kr", "--fraction", "0.5", "--frames", "1",
                             "--seed", "6"])):
        r = tanne(*gen, *args, "-o", out)
        assert r.returncode == 0, r.stderr
    for name, model in MODELS.items():
        r = tanne("train", CONFIG, "--set", f"data.train={TRAIN}", "--set", f"model.type={name}",
                  "--set", f"output.dir={os.path.dirname(model)}", *LONGER)
        assert r.returncode == 0, r.stdout + r.stderr
        assert os.path.exists(model), model


def test_setup():
    setup()


def test_frame_layout():
    """Size and field offsets of tn_frame from the C compiler, against the
    ctypes mirror."""
    from tanne_ase import TnFrame
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return "no C compiler to compare tn_frame's layout with"
    src = os.path.join(WORK, "layout.c")
    exe = os.path.join(WORK, "layout")
    fields = [name for name, _ in TnFrame._fields_]
    with open(src, "w") as f:
        f.write("#include <stddef.h>\n#include <stdio.h>\n#include \"tanne.h\"\n"
                "int main(void) {\n  printf(\"size %zu\\n\", sizeof(tn_frame));\n")
        for name in fields:
            f.write(f"  printf(\"{name} %zu\\n\", offsetof(tn_frame, {name}));\n")
        f.write("  return 0;\n}\n")
    r = subprocess.run([cc, "-std=c11", "-I", os.path.join(HERE, os.pardir, "include"), src,
                        "-o", exe], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = dict(line.split() for line in subprocess.run([exe], capture_output=True,
                                                     text=True).stdout.splitlines())
    py = {"size": ctypes.sizeof(TnFrame)}
    py.update({name: getattr(TnFrame, name).offset for name in fields})
    assert {k: int(v) for k, v in c.items()} == py, (c, py)


def same(got, want, what):
    """Bitwise equality: predict writes each double as the shortest text that
    reads back to it (src/io/xyz_header.c, xyz_format_real), the calculator
    reads the input file's positions and cell as tanne does (correctly
    rounded), and both run the same library code on them. Any difference
    is a difference in the float path, not round-off of the file."""
    import numpy as np
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if not np.array_equal(got, want):
        err = np.abs(got - want).max()
        raise AssertionError(f"{what}: differs from tanne predict by up to {err:.3g} "
                             f"(scale {np.abs(want).max():.3g})")


def check_predict(model):
    import numpy as np
    from ase.calculators.calculator import PropertyNotImplementedError
    from ase.io import read
    out = os.path.join(WORK, f"pred_{model}.xyz")
    r = tanne("predict", MODELS[model], AR, OPEN, "-o", out)
    assert r.returncode == 0, r.stderr
    calc = calculator(model)
    inputs = read(AR, ":") + read(OPEN, ":")
    outputs = read(out, ":")
    assert len(inputs) == len(outputs) == 4, (len(inputs), len(outputs))
    for f, (atoms, ref) in enumerate(zip(inputs, outputs)):
        atoms.calc = calc
        e = atoms.get_potential_energy()
        same(e, ref.info["energy"], f"{model} frame {f} energy")
        same(atoms.get_potential_energy(force_consistent=True), e, f"{model} frame {f} free")
        same(atoms.get_forces(), ref.arrays["forces"], f"{model} frame {f} forces")
        ea = atoms.get_potential_energies()
        same(ea, ref.arrays["energies"], f"{model} frame {f} atomic energies")
        # The atomic energies sum to the energy (numpy sums in another order).
        assert abs(ea.sum() - e) <= 1e-13 * np.abs(ea).sum(), (ea.sum(), e)
        if f < 3:
            s = ref.info["stress"]  # 3x3 as the file lists it
            sym = 0.5 * (s + s.T)
            want = [sym[0, 0], sym[1, 1], sym[2, 2], sym[1, 2], sym[0, 2], sym[0, 1]]
            same(atoms.get_stress(), want, f"{model} frame {f} stress (Voigt)")
            same(atoms.get_stress(voigt=False), sym, f"{model} frame {f} stress (3x3)")
        else:
            assert "stress" not in ref.info, ref.info
            try:
                atoms.get_stress()
                raise AssertionError("stress without a cell did not raise")
            except PropertyNotImplementedError as e:
                assert "periodic" in str(e), str(e)
    calc.close()


def test_schnet_matches_predict():
    return need("schnet") or check_predict("schnet")


def test_painn_matches_predict():
    return need("painn") or check_predict("painn")


# Finite differences of the float32 build's energy: at h = 3e-3 Å the
# central difference's truncation error (~1e-5 eV/Å at h = 1e-2) and the
# float32 noise of the energy divided by h (~2e-5 eV/Å at h = 1e-3) are both
# about 1e-5 eV/Å; measured worst errors over all 96 components are 5e-5
# (PaiNN) and 1.1e-4 (SchNet) of the largest force component. The bound,
# 5e-4 of the largest component, is 4.5x above that, and a sign error
# (2 |F|) or even a 1% scale error (1e-2 |F|) exceeds it. The stress, by
# strains of ±1e-3, the same way (measured 3e-5 to 4e-5 of the largest
# component).
FD_STEP = 3e-3  # Å
FD_STRAIN = 1e-3
FD_REL = 5e-4


def check_finite_differences(model):
    import numpy as np
    from ase.io import read
    calc = calculator(model)
    atoms = read(AR, 0)
    atoms.calc = calc
    forces = atoms.get_forces()
    stress = atoms.get_stress()
    scale = np.abs(forces).max()
    # A model with forces this small would make the check meaningless.
    assert scale > 0.02, f"{model}: largest force {scale:.3g} eV/Å; the model learned nothing"
    probe = atoms.copy()
    probe.calc = calc
    num = np.zeros_like(forces)
    for a in range(len(atoms)):
        for k in range(3):
            e = []
            for sign in (1, -1):
                probe.positions = atoms.positions
                probe.positions[a, k] += sign * FD_STEP
                e.append(probe.get_potential_energy())
            num[a, k] = -(e[0] - e[1]) / (2 * FD_STEP)
    err = np.abs(num - forces).max()
    assert err <= FD_REL * scale, f"{model}: forces vs -dE/dR: {err:.3g} eV/Å (max {scale:.3g})"
    # Symmetric strain eps, cell and positions deformed by (1 + eps): for an
    # off-diagonal pair eps_ij = eps_ji = d/2, so dE/dd = V sigma_ij.
    volume = atoms.get_volume()
    num = np.zeros(6)
    for v, (i, j) in enumerate(((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))):
        e = []
        for sign in (1, -1):
            eps = np.zeros((3, 3))
            eps[i, j] = eps[j, i] = sign * FD_STRAIN * (1.0 if i == j else 0.5)
            probe.positions = atoms.positions
            probe.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
            e.append(probe.get_potential_energy())
            probe.set_cell(atoms.cell)
        num[v] = (e[0] - e[1]) / (2 * FD_STRAIN) / volume
    scale = np.abs(stress).max()
    err = np.abs(num - stress).max()
    assert err <= FD_REL * scale, f"{model}: stress vs dE/dstrain: {err:.3g} (max {scale:.3g})"
    calc.close()


def test_schnet_finite_differences():
    return need("schnet") or check_finite_differences("schnet")


def test_painn_finite_differences():
    return need("painn") or check_finite_differences("painn")


# NVE: 100 steps of 4 fs from 90 K. Measured: the total energy stays within
# 9e-7 eV/atom of its start; with forces scaled by 1.1 it wanders by
# 2.5e-4 eV/atom. The bound sits between, 10x and more from each.
NVE_BOUND = 1e-5  # eV/atom


def nve_spread(calc):
    import numpy as np
    from ase import units
    from ase.io import read
    from ase.md.velocitydistribution import MaxwellBoltzmannDistribution, Stationary
    from ase.md.verlet import VelocityVerlet
    atoms = read(AR, 0)
    atoms.calc = calc
    MaxwellBoltzmannDistribution(atoms, temperature_K=90, rng=np.random.RandomState(1))
    Stationary(atoms)
    md = VelocityVerlet(atoms, timestep=4 * units.fs)
    energies = []
    md.attach(lambda: energies.append(atoms.get_total_energy()), interval=1)
    md.run(100)
    assert len(energies) == 101, len(energies)
    energies = np.array(energies)
    return np.abs(energies - energies[0]).max() / len(atoms), atoms.get_temperature()


def test_velocity_verlet():
    from tanne_ase import TanneCalculator
    if need("schnet"):
        return need("schnet")

    class Scaled(TanneCalculator):
        """Forces 10% too large: energy is no longer conserved."""

        def calculate(self, *args, **kw):
            super().calculate(*args, **kw)
            self.results["forces"] = 1.1 * self.results["forces"]

    spread, temperature = nve_spread(calculator())
    assert spread <= NVE_BOUND, f"energy drifts by {spread:.3g} eV/atom in 100 steps"
    assert 20 < temperature < 300, f"temperature {temperature:.3g} K after 400 fs"
    spread, _ = nve_spread(Scaled(MODELS["schnet"], library=LIB))
    assert spread > NVE_BOUND, f"a 10% force error passes the bound ({spread:.3g} eV/atom)"


def test_bfgs():
    """BFGS takes a liquid snapshot (periodic, 32 atoms) to a local minimum:
    77 steps to 1e-3 eV/Å as measured; the float32 forces are good to
    about 1e-6 eV/Å, so 1e-3 is well above their noise."""
    import numpy as np
    from ase.io import read
    from ase.optimize import BFGS
    if need("schnet"):
        return need("schnet")
    atoms = read(AR, 0)
    atoms.calc = calculator()
    e0 = atoms.get_potential_energy()
    f0 = np.linalg.norm(atoms.get_forces(), axis=1).max()
    opt = BFGS(atoms, logfile=None)
    converged = opt.run(fmax=1e-3, steps=300)
    fmax = np.linalg.norm(atoms.get_forces(), axis=1).max()
    assert converged and fmax < 1e-3, f"fmax {fmax:.3g} eV/Å after {opt.nsteps} steps"
    e1 = atoms.get_potential_energy()
    assert e1 < e0 - 1e-3, f"energy {e0:.6g} -> {e1:.6g} eV (fmax {f0:.3g} -> {fmax:.3g})"


def raises(fn, *texts):
    """The TanneError fn raises; its message must contain every text."""
    from tanne_ase import TanneError
    try:
        fn()
    except TanneError as e:
        for text in texts:
            assert text in str(e), (text, str(e))
        return e
    raise AssertionError(f"no TanneError (wanted one containing {texts})")


def test_bad_model_files():
    if need("schnet"):
        return need("schnet")
    corrupt, truncated = damaged_copies(MODELS["schnet"], WORK)
    missing = os.path.join(WORK, "missing.tnm")
    checkpoint = os.path.join(os.path.dirname(MODELS["schnet"]), "checkpoint.tnc")
    for path, text in ((missing, "cannot open"), (corrupt, "checksum"), (truncated, ""),
                       (AR, "not a tanne model file"), (checkpoint, "checkpoint")):
        e = raises(lambda: calculator(path), path, text)
        assert e.status is not None, e


def test_unknown_element_and_bad_frames():
    import numpy as np
    from ase import Atoms
    from ase.calculators.calculator import PropertyNotImplementedError
    from ase.io import read
    if need("schnet"):
        return need("schnet")
    calc = calculator()
    assert calc.elements == [18], calc.elements
    mix = read(MIX, 0)
    mix.calc = calc
    raises(mix.get_potential_energy, MODELS["schnet"], "element Kr", "knows Ar")
    # Coinciding atoms: the library's own check, its message and status.
    pair = Atoms("Ar2", positions=[[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    pair.calc = calc
    e = raises(pair.get_potential_energy, MODELS["schnet"], "bad input")
    assert e.status == 1, e.status
    # Periodic along two axes only: energy and forces, no stress.
    slab = read(AR, 0)
    slab.pbc = [True, True, False]
    slab.calc = calc
    assert np.isfinite(slab.get_potential_energy())
    try:
        slab.get_stress()
        raise AssertionError("stress of a slab did not raise")
    except PropertyNotImplementedError as e:
        assert "periodic along all three axes" in str(e), str(e)
    calc.close()
    calc.close()  # twice is harmless
    raises(lambda: calc.calculate(read(AR, 0)), "closed")


def test_library_search():
    from tanne_ase import TanneCalculator, load_library
    if need("schnet"):
        return need("schnet")
    raises(lambda: load_library(os.path.join(WORK, "nowhere", "libtanne.so")),
           "the library argument", "nowhere")
    saved = os.environ.get("TANNE_LIB")
    try:
        os.environ["TANNE_LIB"] = LIB
        calc = TanneCalculator(MODELS["schnet"])
        assert calc.cutoff > 0 and calc.elements == [18], (calc.cutoff, calc.elements)
        calc.close()
        os.environ["TANNE_LIB"] = os.path.join(WORK, "nowhere.so")
        raises(lambda: TanneCalculator(MODELS["schnet"]), "TANNE_LIB", "nowhere.so")
    finally:
        if saved is None:
            os.environ.pop("TANNE_LIB", None)
        else:
            os.environ["TANNE_LIB"] = saved


def checked(fn):
    """fn with any exception but a failed assertion reported as a failure of
    the case (with its type), so that one error does not end the run."""
    def run():
        try:
            return fn()
        except AssertionError:
            raise
        except Exception as e:
            raise AssertionError(f"{type(e).__name__}: {e}") from e
    run.__name__ = fn.__name__
    return run


def main():
    if not os.path.exists(TANNE) or not os.path.exists(LIB):
        print(f"  FAIL: {TANNE} or {LIB} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    prepare_sanitizer()
    try:
        import ase  # noqa: F401
        import numpy  # noqa: F401
    except ImportError as e:
        print(f"  skip all: {e} (install python3-ase and python3-numpy)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    if why_no_library:
        print(f"  skipping the calculator cases: {why_no_library}")
    for fn in (test_setup, test_frame_layout, test_schnet_matches_predict,
               test_painn_matches_predict, test_schnet_finite_differences,
               test_painn_finite_differences, test_velocity_verlet, test_bfgs,
               test_bad_model_files, test_unknown_element_and_bad_frames, test_library_search):
        case(checked(fn))
    return finish()


if __name__ == "__main__":
    sys.exit(main())
