"""An ASE calculator for tanne models, through ctypes and libtanne.so.

Usage:

    from ase.io import read
    from ase.md.verlet import VelocityVerlet
    from ase import units
    from tanne_ase import TanneCalculator

    atoms = read("argon.xyz")                  # any ASE Atoms
    atoms.calc = TanneCalculator("runs/ar/best.tnm")
    e = atoms.get_potential_energy()           # eV
    f = atoms.get_forces()                     # eV/Å, [n_atoms][3]
    s = atoms.get_stress()                     # eV/Å³, Voigt xx yy zz yz xz xy
    ea = atoms.get_potential_energies()        # eV, [n_atoms], sum to e
    VelocityVerlet(atoms, timestep=2 * units.fs).run(100)
    atoms.calc.close()                         # or let it be collected

Units are ASE's, which are tanne's: eV, Å, eV/Å and eV/Å³. The stress has
ASE's sign, sigma = (1/V) dE/d(strain), negative under compression, and is
given only for a cell periodic along all three axes with positive volume
(ASE's convention); asking for it otherwise raises
PropertyNotImplementedError. free_energy equals energy (no electronic
entropy). Every call evaluates energy, forces and atomic energies together,
and the stress as well when the cell is periodic, so MD pays one model
evaluation per step.

The library is found from, in order: the `library` argument, the TANNE_LIB
environment variable, ../build/libtanne.so beside this file, and the system's
libtanne.so (the dynamic loader's search path).

One calculator holds one model handle, and a handle keeps evaluation
scratch: a calculator is not thread-safe. Use one per thread.

Failures raise TanneError (a RuntimeError) with tanne's message: a model
file that is missing, damaged or not a model (the message names the file),
an element the model does not know, coinciding atoms.
"""
import ctypes
import ctypes.util
import os

import numpy as np
from ase.calculators.calculator import (Calculator, PropertyNotImplementedError,
                                        all_changes)

__all__ = ["TanneCalculator", "TanneError", "load_library"]

TN_STATUS_OK = 0
ERR_LEN = 1024
MAX_ELEMENTS = 16  # tn_model_elements writes at most this many


class TanneError(RuntimeError):
    """A failure reported by libtanne; status is its tn_status value (or
    None when the check was made here)."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class TnFrame(ctypes.Structure):
    """tn_frame of include/tanne.h, field for field. ctypes pads as the C
    compiler does on the usual ABIs (x86-64, aarch64): 4 bytes after n_atoms,
    1 byte after pbc, 112 bytes in all."""
    _fields_ = [
        ("n_atoms", ctypes.c_int),
        ("species", ctypes.POINTER(ctypes.c_int32)),  # [n_atoms]
        ("pos", ctypes.POINTER(ctypes.c_double)),  # [n_atoms][3] Å
        ("cell", (ctypes.c_double * 3) * 3),  # rows a, b, c; Å
        ("pbc", ctypes.c_uint8 * 3),
        ("n_columns", ctypes.c_int),
        ("columns", ctypes.c_void_p),  # const tn_frame_column *, NULL here
    ]


def _needs_asan(path):
    """True when the shared object at path links the AddressSanitizer
    runtime (a SANITIZE=1 build): its dynamic string table names libasan."""
    try:
        with open(path, "rb") as f:
            return b"libasan.so" in f.read()
    except OSError:
        return False


def _asan_loaded():
    try:
        with open("/proc/self/maps") as f:
            return "libasan.so" in f.read()
    except OSError:
        return True  # cannot tell: let the loader decide


def _candidates(library):
    if library:
        return [os.fspath(library)], "the library argument"
    if os.environ.get("TANNE_LIB"):
        return [os.environ["TANNE_LIB"]], "TANNE_LIB"
    here = os.path.dirname(os.path.abspath(__file__))
    paths = [os.path.normpath(os.path.join(here, os.pardir, "build", "libtanne.so"))]
    paths = [p for p in paths if os.path.exists(p)]
    paths.append(ctypes.util.find_library("tanne") or "libtanne.so")
    return paths, "the default search"


def load_library(library=None):
    """libtanne as a ctypes.CDLL with the prototypes this module uses.
    library: a path, or None for the search described in the module's
    docstring. Raises TanneError when no library loads."""
    paths, source = _candidates(library)
    errors = []
    for path in paths:
        if os.path.exists(path) and _needs_asan(path) and not _asan_loaded():
            # Loading it would abort the interpreter (ASan must come first).
            raise TanneError(
                f"{path} is built with AddressSanitizer (SANITIZE=1): start python with "
                "LD_PRELOAD=\"$(cc -print-file-name=libasan.so) "
                "$(cc -print-file-name=libubsan.so)\" ASAN_OPTIONS=detect_leaks=0")
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise TanneError(f"cannot load libtanne (from {source}): " + "; ".join(errors))
    model_p = ctypes.c_void_p
    dbl_p = ctypes.POINTER(ctypes.c_double)
    lib.tn_status_str.restype = ctypes.c_char_p
    lib.tn_status_str.argtypes = [ctypes.c_int]
    lib.tn_model_load.restype = ctypes.c_int
    lib.tn_model_load.argtypes = [ctypes.POINTER(model_p), ctypes.c_char_p, ctypes.c_char_p,
                                  ctypes.c_size_t]
    lib.tn_model_free.restype = None
    lib.tn_model_free.argtypes = [model_p]
    lib.tn_model_errmsg.restype = ctypes.c_char_p
    lib.tn_model_errmsg.argtypes = [model_p]
    lib.tn_model_elements.restype = ctypes.c_int
    lib.tn_model_elements.argtypes = [model_p, ctypes.POINTER(ctypes.c_int32)]
    lib.tn_model_cutoff.restype = ctypes.c_double
    lib.tn_model_cutoff.argtypes = [model_p]
    lib.tn_model_eval.restype = ctypes.c_int
    lib.tn_model_eval.argtypes = [model_p, ctypes.POINTER(TnFrame), dbl_p, dbl_p, dbl_p, dbl_p]
    return lib


def _as_ptr(array):
    return array.ctypes.data_as(ctypes.POINTER(ctypes.c_double))


class TanneCalculator(Calculator):
    """A tanne model (a .tnm file from `tanne train`) as an ASE calculator.

    model: path of the model file.
    library: path of libtanne.so (see the module's docstring for the search).
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]

    def __init__(self, model, library=None, **kwargs):
        self._model = None
        self._lib = load_library(library)
        self.model_path = os.fspath(model)
        err = ctypes.create_string_buffer(ERR_LEN)
        handle = ctypes.c_void_p()
        st = self._lib.tn_model_load(ctypes.byref(handle), os.fsencode(self.model_path), err,
                                     ERR_LEN)
        if st != TN_STATUS_OK:
            msg = err.value.decode(errors="replace")
            if self.model_path not in msg:
                msg = f"{self.model_path}: {msg}"
            raise TanneError(f"cannot load tanne model: {msg} ({self._status(st)})", st)
        self._model = handle
        out = (ctypes.c_int32 * MAX_ELEMENTS)()
        n = self._lib.tn_model_elements(self._model, out)
        self.elements = [int(z) for z in out[:n]]  # atomic numbers, ascending
        self.cutoff = float(self._lib.tn_model_cutoff(self._model))  # Å per interaction
        super().__init__(**kwargs)

    def _status(self, st):
        return self._lib.tn_status_str(st).decode()

    def close(self):
        """Frees the model; the calculator cannot be used afterwards."""
        if getattr(self, "_model", None):
            self._lib.tn_model_free(self._model)
            self._model = None

    def __del__(self):
        self.close()

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        Calculator.calculate(self, atoms, properties, system_changes)
        if not self._model:
            raise TanneError(f"{self.model_path}: the calculator was closed")
        atoms = self.atoms
        n = len(atoms)
        species = np.ascontiguousarray(atoms.numbers, dtype=np.int32)
        unknown = sorted(set(species.tolist()) - set(self.elements))
        if unknown:
            from ase.data import chemical_symbols
            names = ", ".join(chemical_symbols[z] if 0 < z < len(chemical_symbols) else str(z)
                              for z in unknown)
            knows = ", ".join(chemical_symbols[z] for z in self.elements)
            raise TanneError(f"model {self.model_path} does not know element {names} "
                             f"(it knows {knows})")
        pos = np.ascontiguousarray(atoms.positions, dtype=np.float64)
        cell = np.asarray(atoms.cell.array, dtype=np.float64)
        pbc = [bool(p) for p in atoms.pbc]
        periodic = all(pbc) and abs(np.linalg.det(cell)) > 0.0
        if "stress" in properties and not periodic:
            raise PropertyNotImplementedError(
                "stress needs a cell periodic along all three axes with positive volume "
                f"(pbc={pbc}, volume {abs(np.linalg.det(cell)):.6g} Å³)")

        frame = TnFrame()
        frame.n_atoms = n
        frame.species = species.ctypes.data_as(ctypes.POINTER(ctypes.c_int32))
        frame.pos = _as_ptr(pos)
        for r in range(3):
            for c in range(3):
                frame.cell[r][c] = cell[r, c]
            frame.pbc[r] = 1 if pbc[r] else 0
        frame.n_columns = 0
        frame.columns = None

        energy = np.zeros(1)
        forces = np.zeros((n, 3))
        energies = np.zeros(n)
        stress = np.zeros((3, 3))
        st = self._lib.tn_model_eval(self._model, ctypes.byref(frame), _as_ptr(energy),
                                     _as_ptr(forces), _as_ptr(stress) if periodic else None,
                                     _as_ptr(energies))
        if st != TN_STATUS_OK:
            msg = self._lib.tn_model_errmsg(self._model).decode(errors="replace")
            raise TanneError(f"model {self.model_path}: {msg} ({self._status(st)})", st)
        self.results = {
            "energy": float(energy[0]),
            "free_energy": float(energy[0]),
            "forces": forces,
            "energies": energies,
        }
        if periodic:
            # Voigt order xx, yy, zz, yz, xz, xy; the mean of the two
            # off-diagonal entries (they agree to round-off).
            s = 0.5 * (stress + stress.T)
            self.results["stress"] = np.array(
                [s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]])
