#!/usr/bin/env python3
"""`tanne sweep` on a small Ar + Kr set with a mixture as the transfer set:
one run per (width, depth); each row's parameters, test and transfer
atomic-energy errors (raw, offsets removed, R² per element) equal what `tanne
info` and `tanne atoms` say of the same model and frames; a second call evaluates the finished runs without
retraining them; bad input exits with a message.
Ends with "N passed, N failed, N skipped"."""
import csv
import os
import subprocess
import sys
import tempfile

from cli_cases import TANNE, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-sweep-cli-")
WORK = TMP.name
OUT = os.path.join(WORK, "out")
CONFIG = os.path.join(WORK, "base.yaml")


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def generate(name, species, frames, *extra):
    r = tanne("generate", "noble-gas", "--species", species, *extra, "--atoms", "32", "--frames",
              str(frames), "--equilibration", "200", "--interval", "20", "-o", name)
    assert r.returncode == 0, r.stderr


def setup():
    generate("ar.xyz", "Ar", 20)
    generate("kr.xyz", "Kr", 20)
    generate("mix.xyz", "Ar,Kr", 6, "--fraction", "0.5")
    with open(os.path.join(WORK, "arkr.xyz"), "w") as f:
        for name in ("ar.xyz", "kr.xyz"):
            f.write(open(os.path.join(WORK, name)).read())
    with open(CONFIG, "w") as f:
        f.write("data:\n  train: arkr.xyz\n  n_val: 4\n  n_test: 8\nmodel:\n  n_basis: 8\n"
                "  cutoff: 6.0\nloss:\n  atomic_energies: 1.0\ntrain:\n  epochs: 3\n"
                "  batch_size: 4\n")


def atoms_rows(model, *data):
    """{element: (raw MAE, MAE after removing offsets, R² after)} of tanne
    atoms, 'all' for all atoms."""
    r = tanne("atoms", model, *data, "--ref", "energies")
    assert r.returncode == 0, r.stderr
    rows = {}
    for line in r.stdout.splitlines():
        parts = line.split("|")
        name = (parts[0].split() or [""])[0]
        if len(parts) == 4 and name in ("all", "Ar", "Kr"):
            shifted = parts[3].split()
            rows[name] = (float(parts[1].split()[0]), float(shifted[0]),
                                         float(shifted[2]))
    assert "all" in rows, r.stdout
    return rows


def check_row(x, prefix, rows):
    raw, shifted, _ = rows["all"]
    assert abs(float(x[prefix + "atomic_mae_meV"]) - shifted) <= 0.006, (x, rows)
    assert abs(float(x[prefix + "atomic_mae_raw_meV"]) - raw) <= 0.006, (x, rows)
    for el in ("Ar", "Kr"):
        assert abs(float(x[f"{prefix}r2_{el}"]) - rows[el][2]) <= 6e-5, (x, rows)


def test_rows_match_atoms_and_info():
    r = tanne("sweep", CONFIG, "--width", "4,6", "--depth", "1,2", "--transfer", "mix.xyz",
              "--out", OUT)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(os.path.join(OUT, "sweep.csv"))))
    assert [(x["width"], x["depth"]) for x in rows] == [("4", "1"), ("4", "2"), ("6", "1"),
                                                       ("6", "2")]
    for x in rows:
        run = os.path.join(OUT, f"w{x['width']}_d{x['depth']}")
        model = os.path.join(run, "best.tnm")
        info = tanne("info", model).stdout
        assert f"parameters             {x['parameters']}" in info, info
        # the atomic-energy loss of the config is overridden: totals only
        assert "atomic_energies: 0" in open(os.path.join(run, "config.yaml")).read()
        assert x["epochs"] == "3", x
        check_row(x, "test_", atoms_rows(model, "arkr.xyz", "--split",
                                          os.path.join(run, "split.txt")))
        check_row(x, "transfer_", atoms_rows(model, "mix.xyz"))
    assert "| width | depth |" in open(os.path.join(OUT, "sweep.md")).read()
    assert os.path.getsize(os.path.join(OUT, "sweep_atoms.svg")) > 0
    # one point per size (and the legend's marker): the transfer energy
    # error against the recovery
    svg = open(os.path.join(OUT, "sweep_transfer.svg")).read()
    assert "one point per size" in svg and svg.count("<circle") == 4 + 1, svg


def test_finished_runs_are_not_retrained():
    best = os.path.join(OUT, "w4_d1", "best.tnm")
    before = os.stat(best).st_mtime_ns
    first = open(os.path.join(OUT, "sweep.csv")).read()
    r = tanne("sweep", CONFIG, "--width", "4,6", "--depth", "1,2", "--transfer", "mix.xyz",
              "--out", OUT)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("has finished") == 4, r.stderr
    assert os.stat(best).st_mtime_ns == before
    assert open(os.path.join(OUT, "sweep.csv")).read() == first


def test_bad_input():
    r = tanne("sweep", CONFIG)
    assert r.returncode == 2 and "--width" in r.stderr, r.stderr
    r = tanne("sweep", CONFIG, "--width", "4,x")
    assert r.returncode == 2 and "4,x" in r.stderr, r.stderr
    r = tanne("sweep", "--width", "4")
    assert r.returncode == 2 and "no config" in r.stderr, r.stderr
    r = tanne("sweep", CONFIG, "--width", "4", "--transfer", "absent.xyz", "--out", OUT)
    assert r.returncode == 1 and "absent.xyz" in r.stderr, r.stderr


def main():
    if not os.path.exists(TANNE):
        print(f"  skip all: {TANNE} is not built")
        return finish()
    setup()
    for fn in (test_rows_match_atoms_and_info, test_finished_runs_are_not_retrained,
               test_bad_input):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
