#!/usr/bin/env python3
"""`tanne atoms`: the per-element statistics of a model's atomic energies
against the exact partition of the reference potential, raw and after each
element's mean error is removed, equal those computed here from `tanne
predict`'s output (per-atom 'energies' against 'ref_energies'); the parity
plots and the CSV are written; bad input exits with a message.
Ends with "N passed, N failed, N skipped"."""
import csv
import math
import os
import shlex
import subprocess
import sys
import tempfile

from cli_cases import TANNE, TINY_SCHNET, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-atoms-cli-")
WORK = TMP.name
MIX = os.path.join(WORK, "mix.xyz")
MODEL = os.path.join(WORK, "m", "best.tnm")


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def setup():
    r = tanne("generate", "noble-gas", "--species", "Ar,Kr", "--fraction", "0.4", "--atoms",
              "32", "--frames", "12", "--equilibration", "200", "--interval", "20", "-o", MIX)
    assert r.returncode == 0, r.stderr
    cfg = os.path.join(WORK, "tiny.yaml")
    with open(cfg, "w") as f:
        f.write("# tiny\n" + TINY_SCHNET + f"data:\n  train: {MIX}\n  n_val: 2\n  n_test: 0\n"
                f"output:\n  dir: {os.path.join(WORK, 'm')}\n")
    r = tanne("train", cfg)
    assert r.returncode == 0, r.stderr


def predicted_pairs():
    """(element, predicted, reference) of every atom, from tanne predict."""
    out = os.path.join(WORK, "pred.xyz")
    r = tanne("predict", MODEL, MIX, "-o", out)
    assert r.returncode == 0, r.stderr
    pairs = []
    lines = open(out).read().splitlines()
    k = 0
    while k < len(lines):
        n = int(lines[k])
        info = dict(item.partition("=")[::2] for item in shlex.split(lines[k + 1]))
        spec = info["Properties"].split(":")
        cols, at = {}, 0
        for i in range(0, len(spec), 3):
            cols[spec[i]] = at
            at += int(spec[i + 2])
        for line in lines[k + 2:k + 2 + n]:
            t = line.split()
            pairs.append((t[cols["species"]], float(t[cols["energies"]]),
                          float(t[cols["ref_energies"]])))
        k += 2 + n
    return pairs


def stats(errors, refs):
    mae = sum(abs(e) for e in errors) / len(errors)
    rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
    mean = sum(refs) / len(refs)
    ss_tot = sum((x - mean) ** 2 for x in refs)
    r2 = 1 - sum(e * e for e in errors) / ss_tot
    return 1e3 * mae, 1e3 * rmse, r2


def test_matches_predict():
    prefix = os.path.join(WORK, "atoms")
    r = tanne("atoms", MODEL, MIX, "--ref", "energies", "-o", prefix)
    assert r.returncode == 0, r.stderr
    assert "Reported: the errors after removing each element's mean error" in r.stdout
    rows = {row["element"]: row for row in csv.DictReader(open(prefix + "_atoms.csv"))}
    pairs = predicted_pairs()
    assert int(rows["all"]["n"]) == len(pairs) == 12 * 32
    for el in ("Ar", "Kr"):
        mine = [(p, q) for e, p, q in pairs if e == el]
        err = [p - q for p, q in mine]
        refs = [q for p, q in mine]
        offset = sum(err) / len(err)
        want_raw = stats(err, refs)
        want_off = stats([e - offset for e in err], refs)
        row = rows[el]
        got_raw = (float(row["mae_raw_meV"]), float(row["rmse_raw_meV"]), float(row["r2_raw"]))
        got_off = (float(row["mae_meV"]), float(row["rmse_meV"]), float(row["r2"]))
        # the extxyz text carries about 10 significant digits
        for got, want in zip(got_raw + got_off, want_raw + want_off):
            assert abs(got - want) <= 1e-6 * max(1.0, abs(want)), (el, got, want)
        assert abs(float(row["offset_meV"]) - 1e3 * offset) <= 1e-6 * max(1.0, abs(1e3 * offset))
    for name in ("_atoms_raw.svg", "_atoms_offset.svg"):
        assert os.path.getsize(prefix + name) > 0, name


def test_bad_input():
    r = tanne("atoms", MODEL, MIX)
    assert r.returncode == 2 and "--ref" in r.stderr, r.stderr
    r = tanne("atoms", MODEL, MIX, "--ref", "nothing")
    assert r.returncode == 1 and "'nothing'" in r.stderr, r.stderr
    r = tanne("atoms", MODEL, MIX, "--ref", "forces")
    assert r.returncode == 1 and "width 1" in r.stderr, r.stderr
    r = tanne("atoms", MODEL, MIX, "--ref", "energies", "--subset", "test")
    assert r.returncode == 2 and "--split" in r.stderr, r.stderr


def main():
    if not os.path.exists(TANNE):
        print(f"  skip all: {TANNE} is not built")
        return finish()
    setup()
    for fn in (test_matches_predict, test_bad_input):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
