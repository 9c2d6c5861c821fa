#!/usr/bin/env python3
"""`tanne interactions` on a tiny SchNet (one interaction, 4 Å cutoff)
trained on liquid argon: every sensitivity beyond cutoff × interactions is
exactly zero, so the effective range is at most the nominal one; the
sensitivity CSV counts every ordered pair of atoms within r_max of the
frames analysed; the many-body table adds up (total = orders + rest); the
files the report names exist; bad options exit with a message.
Ends with "N passed, N failed, N skipped"."""
import csv
import math
import os
import re
import subprocess
import sys
import tempfile

from cli_cases import TANNE, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-interactions-cli-")
WORK = TMP.name
AR = os.path.join(WORK, "ar.xyz")
MODEL = os.path.join(WORK, "m", "best.tnm")
OUT = os.path.join(WORK, "ia")


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def setup():
    r = tanne("generate", "noble-gas", "--atoms", "32", "--frames", "8", "--equilibration", "200",
              "--interval", "20", "-o", AR)
    assert r.returncode == 0, r.stderr
    cfg = os.path.join(WORK, "tiny.yaml")
    with open(cfg, "w") as f:
        f.write(f"model:\n  features: 8\n  interactions: 1\n  n_basis: 8\n  cutoff: 4.0\n"
                f"train:\n  epochs: 2\n  batch_size: 4\ndata:\n  train: {AR}\n  n_val: 2\n"
                f"  n_test: 0\noutput:\n  dir: {os.path.join(WORK, 'm')}\n")
    r = tanne("train", cfg)
    assert r.returncode == 0, r.stderr


def min_image_pairs(path, frames, r_max):
    """Ordered pairs (i != j) at minimum-image distance < r_max in the first
    frames of an extxyz file with an orthorhombic cell."""
    import shlex
    lines = open(path).read().splitlines()
    k = count = 0
    for _ in range(frames):
        n = int(lines[k])
        info = dict(item.partition("=")[::2] for item in shlex.split(lines[k + 1]))
        lat = [float(v) for v in info["Lattice"].split()]
        box = (lat[0], lat[4], lat[8])
        pos = [[float(v) for v in line.split()[1:4]] for line in lines[k + 2:k + 2 + n]]
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                d = [pos[j][c] - pos[i][c] for c in range(3)]
                d = [d[c] - box[c] * round(d[c] / box[c]) for c in range(3)]
                count += math.sqrt(sum(x * x for x in d)) < r_max
        k += 2 + n
    return count


def test_range_and_counts():
    r = tanne("interactions", MODEL, AR, "-o", OUT, "--frames", "3", "--mbe-frames", "1",
              "--r-max", "8", "--pair-cutoff", "5", "--triple-cutoff", "3.5")
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(open(os.path.join(OUT, "sensitivity.csv"))))
    for row in rows:
        if float(row["r_lo_A"]) >= 4.0 and int(row["count"]) > 0:
            assert float(row["max_eV_per_A"]) == 0.0, row
    assert any(float(x["max_eV_per_A"]) > 0 for x in rows)
    assert sum(int(x["count"]) for x in rows) == min_image_pairs(AR, 3, 8.0)
    m = re.search(r"\| Ar-Ar \| \d+ \| [^|]+ \| ([0-9.]+) \|", r.stdout)
    assert m and float(m.group(1)) <= 4.0 + 1e-9, r.stdout
    assert "nominal range 4.00" in r.stdout


def test_expansion_adds_up():
    text = open(os.path.join(OUT, "interactions.md")).read()
    value = {}
    for name in ("total E", "1-body", "2-body", "3-body"):
        m = re.search(r"\| " + re.escape(name) + r" \| ([-0-9.e+]+) \|", text)
        assert m, name
        value[name] = float(m.group(1))
    m = re.search(r"\| rest [^|]+\| ([-0-9.e+]+) \|", text)
    rest = float(m.group(1))
    total = value["1-body"] + value["2-body"] + value["3-body"] + rest
    assert abs(total - value["total E"]) <= 1e-4 * abs(value["total E"]), (value, rest)
    pairs = list(csv.DictReader(open(os.path.join(OUT, "mbe_pairs.csv"))))
    assert pairs and all(float(p["r_A"]) < 5.0 for p in pairs)
    e2 = sum(float(p["e2_eV"]) for p in pairs)
    assert abs(e2 - value["2-body"]) <= 1e-4 * max(1.0, abs(e2)), (e2, value)
    for name in ("decay.csv", "mbe_triples.csv", "sensitivity.svg", "mbe_pairs.svg"):
        assert os.path.getsize(os.path.join(OUT, name)) > 0, name


def test_bad_input():
    r = tanne("interactions", MODEL)
    assert r.returncode == 2 and "data file" in r.stderr, r.stderr
    r = tanne("interactions", MODEL, AR, "--threshold", "2")
    assert r.returncode == 2 and "--threshold" in r.stderr, r.stderr
    r = tanne("interactions", MODEL, AR, "--pair-cutoff", "3", "--triple-cutoff", "4")
    assert r.returncode == 2 and "--triple-cutoff" in r.stderr, r.stderr
    r = tanne("interactions", AR, AR)
    assert r.returncode == 1 and "ar.xyz" in r.stderr, r.stderr


def main():
    if not os.path.exists(TANNE):
        print(f"  skip all: {TANNE} is not built")
        return finish()
    setup()
    for fn in (test_range_and_counts, test_expansion_adds_up, test_bad_input):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
