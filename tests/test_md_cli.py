#!/usr/bin/env python3
"""`tanne md` and `tanne stability` on the command line: the files a run
writes (thermo.csv, an extxyz trajectory ASE reads, rdf.csv and rdf.svg,
summary.md), energy conservation of the reference potential as the thermo
file reports it, the RDF of liquid argon (first peak where it belongs, and
two independent runs agreeing), a run the monitor stops (exit status 3, every
file kept up to the failing step), earlier results surviving a run that fails
before it starts, usage and input errors naming what is wrong, and
`tanne stability` counting stable runs and failures per model. Ends with
"N passed, N failed, N skipped"."""
import csv
import os
import subprocess
import sys
import tempfile

from cli_cases import TANNE, TINY_SCHNET, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-md-cli-")
WORK = TMP.name
AR = os.path.join(WORK, "ar.xyz")
ETHANOL = os.path.join(os.environ.get("TANNE_DATA", "../shared/data"),
                       "rmd17", "rmd17_ethanol_test_01.npz")


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK, timeout=300)


def rows(path):
    with open(path) as f:
        return list(csv.DictReader(line for line in f if not line.startswith("#")))


def setup():
    r = tanne("generate", "noble-gas", "--frames", "4", "--interval", "50", "-o", AR)
    assert r.returncode == 0, r.stderr


def test_reference_run_files():
    """NVE on the reference for 2 ps at 4 fs: thermo rows every 10 steps,
    |drift| under 1e-5 eV/atom, an extxyz trajectory of 6 frames ASE reads
    with velocities and forces, the RDF's first peak at 3.6-3.9 Å."""
    out = os.path.join(WORK, "ref")
    r = tanne("md", "--reference", AR, "--dt", "4", "--temperature", "90", "--steps", "500",
              "-o", out)
    assert r.returncode == 0, r.stderr
    assert "stable" in r.stdout and "diffusion coefficient" in r.stdout, r.stdout
    t = rows(os.path.join(out, "thermo.csv"))
    assert [int(x["step"]) for x in t] == list(range(0, 501, 10)), [x["step"] for x in t][:5]
    assert abs(float(t[0]["temperature_K"]) - 90.0) < 1e-6, t[0]
    drift = max(abs(float(x["drift_eV_per_atom"])) for x in t)
    assert drift < 1e-5, drift
    for x in t:
        e = float(x["e_pot_eV"]) + float(x["e_kin_eV"])
        assert abs(e - float(x["e_tot_eV"])) < 1e-8, x
    try:
        from ase.io import read
    except ImportError:  # Debian's python3-ase; CI installs it
        read = None
    if read:
        frames = read(os.path.join(out, "trajectory.xyz"), ":")
        assert len(frames) == 6, len(frames)
        last = frames[-1]
        assert last.info["step"] == 500 and len(last) == 108, last.info
        assert last.arrays["velocities"].shape == (108, 3)
        assert abs(last.info["energy"] - float(t[-1]["e_pot_eV"])) < 1e-6
    g = rows(os.path.join(out, "rdf.csv"))
    peak = max(g, key=lambda x: float(x["g"]))
    assert 3.6 < float(peak["r_A"]) < 3.9 and float(peak["g"]) > 2.0, peak
    assert os.path.getsize(os.path.join(out, "rdf.svg")) > 1000
    summary = open(os.path.join(out, "summary.md")).read()
    assert "| outcome | stable |" in summary and "diffusion" in summary, summary


def test_rdf_two_runs_agree():
    """Two Langevin runs at 130 K (a dense liquid well away from the
    liquid-vapour coexistence that 90 K at this density sits on) from other
    frames and seeds: their g(r) agree to an integrated absolute difference
    ∫|g1 - g2| dr below 0.4 Å. That bound is statistics: 108 atoms over 14 ps
    give about 14 independent samples of the first shell, ~1500 pairs per
    0.1 Å bin at the peak, so g there carries ~3 % noise and the integral of
    the difference over its 30-odd bins ~0.2 Å (six pairs of runs measured
    0.11-0.26 Å). A peak shifted by 0.1 Å gives about 0.5 Å, and a
    normalisation off by a factor of two about 8 Å."""
    g = []
    for k in (1, 2):
        out = os.path.join(WORK, f"rdf{k}")
        r = tanne("md", "--reference", AR, "--frame", str(k + 1), "--seed", str(k),
                  "--ensemble", "langevin", "--temperature", "130", "--dt", "8", "--steps",
                  "2000", "--rdf-start", "250", "--traj-every", "0", "--rdf-range", "9",
                  "--rdf-bins", "90", "-o", out)
        assert r.returncode == 0, r.stderr
        g.append([float(x["g"]) for x in rows(os.path.join(out, "rdf.csv"))])
    diff = sum(abs(a - b) for a, b in zip(*g)) * 0.1
    print(f"    integrated |g1 - g2| = {diff:.4f} Å")
    assert diff < 0.4, diff


def test_unstable_run_keeps_files():
    """A monitor limit the liquid breaks (closest pair 3.1 Å): exit 3, the
    reason and step on stderr and in summary.md, thermo rows up to that step
    and the trajectory so far kept."""
    out = os.path.join(WORK, "unstable")
    r = tanne("md", "--reference", AR, "--dt", "8", "--steps", "1000", "--min-distance", "3.1",
              "--traj-every", "5", "-o", out)
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "too-close" in r.stderr and "unstable at step" in r.stderr, r.stderr
    t = rows(os.path.join(out, "thermo.csv"))
    last = int(t[-1]["step"])
    assert 0 < last < 1000 and f"step {last} " in r.stderr, (last, r.stderr)
    summary = open(os.path.join(out, "summary.md")).read()
    assert "unstable (too-close)" in summary, summary
    traj = open(os.path.join(out, "trajectory.xyz")).read()
    assert f"step={last} " in traj, last


def test_failed_start_loses_nothing():
    """A run that cannot start (a model without Ar for an argon box) names
    the element and leaves an earlier run's files as they were."""
    out = os.path.join(WORK, "keep")
    r = tanne("md", "--reference", AR, "--steps", "20", "-o", out)
    assert r.returncode == 0, r.stderr
    before = open(os.path.join(out, "thermo.csv")).read()
    if not os.path.exists(ETHANOL):
        return "rMD17 ethanol absent"
    cfg = os.path.join(WORK, "eth.yaml")
    with open(cfg, "w") as f:
        f.write(TINY_SCHNET + f"data:\n  train: {os.path.abspath(ETHANOL)}\n  n_val: 5\n"
                f"  n_train: 20\n  n_test: 0\noutput:\n  dir: {WORK}/eth\n")
    r = tanne("train", cfg)
    assert r.returncode == 0, r.stderr
    model = os.path.join(WORK, "eth", "best.tnm")
    r = tanne("md", model, AR, "-o", out)
    assert r.returncode == 1 and "Ar" in r.stderr and "atom 0" in r.stderr, r.stderr
    assert open(os.path.join(out, "thermo.csv")).read() == before


def test_usage_and_input_errors():
    for args, code, text in (
            (("md",), 2, "need a model"),
            (("md", "--reference", AR, "--dt", "0"), 2, "--dt"),
            (("md", "--reference", AR, "--ensemble", "npt"), 2, "npt"),
            (("md", "--reference", AR, "--bonds", "maybe"), 2, "maybe"),
            (("md", "--reference", AR, "--frame", "9"), 1, "4 frames"),
            (("md", "--reference", os.path.join(WORK, "none.xyz")), 1, "none.xyz"),
            (("md", os.path.join(WORK, "none.tnm"), AR), 1, "none.tnm"),
            (("stability", AR), 2, "need at least one model"),
            (("stability", "--reference", AR, "--runs", "0"), 2, "--runs")):
        r = tanne(*args)
        assert r.returncode == code and text in r.stderr, (args, r.returncode, r.stderr)
    r = tanne("md", "--help")
    assert r.returncode == 0 and "--max-drift" in r.stdout and "--rdf-range" in r.stdout


def test_stability_counts():
    """The reference stays stable in every run; with a too-close limit of
    3.1 Å every run fails, and both show in runs.csv and summary.csv."""
    out = os.path.join(WORK, "stab")
    r = tanne("stability", "--reference", AR, "--runs", "4", "--steps", "100", "--dt", "8",
              "--temperature", "90", "-o", out)
    assert r.returncode == 0, r.stderr
    s = rows(os.path.join(out, "summary.csv"))
    assert len(s) == 1 and s[0]["model"] == "reference" and s[0]["stable"] == "4", s
    runs = rows(os.path.join(out, "runs.csv"))
    assert [x["frame"] for x in runs] == ["1", "2", "3", "4"], runs
    assert all(x["stable"] == "1" and x["steps"] == "100" for x in runs), runs
    r = tanne("stability", "--reference", AR, "--runs", "3", "--steps", "2000", "--dt", "8",
              "--min-distance", "3.1", "-o", out)
    assert r.returncode == 0, r.stderr
    s = rows(os.path.join(out, "summary.csv"))[0]
    assert s["stable"] == "0" and s["too-close"] == "3", s
    assert 0 < float(s["mean_fail_time_fs"]) < 16000, s
    runs = rows(os.path.join(out, "runs.csv"))
    assert all(x["reason"] == "too-close" and "unstable at step" in x["message"] for x in runs)


if __name__ == "__main__":
    setup()
    for t in (test_reference_run_files, test_rdf_two_runs_agree, test_unstable_run_keeps_files,
              test_failed_start_loses_nothing, test_usage_and_input_errors,
              test_stability_counts):
        case(t)
    sys.exit(finish())
