#!/usr/bin/env python3
"""`tanne train`, `tanne eval` and `tanne predict` as a user meets them: a tiny
training run on the built-in data writes every file it promises and resumes to
more epochs; config errors name the file and line; eval prints the error table
(checked against errors computed here from predict's output, read with ASE) and
writes a CSV and parity plots that parse as XML; predict keeps the input labels
as ref_*; a corrupted model, an unknown element and a missing column are data
errors (exit 1). Ends with "N passed, N failed, N skipped"."""
import csv
import os
import re
import subprocess
import sys
import tempfile
import xml.dom.minidom

from cli_cases import TANNE, case, finish
TMP = tempfile.TemporaryDirectory(prefix="tanne-train-cli-")
WORK = TMP.name
RUN = os.path.join(WORK, "run")
CONFIG = os.path.join(WORK, "tiny.yaml")
MODEL = os.path.join(RUN, "best.tnm")
AR = os.path.join(WORK, "ar.xyz")  # small labelled argon file for eval/predict

TINY = f"""# the smallest useful run: 3 epochs of a one-step SchNet on the built-in data
model:
  features: 8
  interactions: 1
  n_basis: 8
train:
  epochs: 3
  batch_size: 4
data:
  n_val: 5
  n_test: 5
output:
  dir: {RUN}
"""


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def metric_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table_row(text, name):
    """N, MAE, RMSE, max of a row of the printed table."""
    m = re.search(rf"^  {re.escape(name)}\s+\S+\s+(\d+)\s+(\S+)\s+(\S+)\s+(\S+)", text, re.M)
    assert m, f"no row '{name}' in:\n{text}"
    return int(m.group(1)), float(m.group(2)), float(m.group(3)), float(m.group(4))


def test_help():
    for cmd in ("train", "eval", "predict"):
        r = tanne(cmd, "--help")
        assert r.returncode == 0 and r.stdout.startswith(f"usage: tanne {cmd}"), (cmd, r.stdout)
    r = tanne("--help")
    for cmd in ("train", "eval", "predict"):
        assert re.search(rf"^  {cmd}\s", r.stdout, re.M), r.stdout


def test_usage_errors():
    for args, text in ((["train"], "no config file"),
                       (["train", "a.yaml", "b.yaml"], "more than one config"),
                       (["train", "a.yaml", "--bogus"], "unknown option"),
                       (["train", "a.yaml", "--set"], "needs a value"),
                       (["eval", "model.tnm"], "at least one data file"),
                       (["eval", "m.tnm", "d.xyz", "--atomic="], "empty column"),
                       (["eval", "m.tnm", "d.xyz", "--subset", "test"], "needs --split"),
                       (["eval", "m.tnm", "d.xyz", "--split", "s", "--subset", "x"], "train, val"),
                       (["predict", "m.tnm", "d.xyz"], "no output file"),
                       (["checkf", "m.tnm"], "at least one data file"),
                       (["checkf", "m.tnm", "d.xyz", "--step", "1"], "0 < H <= 0.1"),
                       (["checkf", "m.tnm", "d.xyz", "--atoms", "0"], "--atoms"),
                       (["predict", "m.tnm", "d.xyz", "-o", "d.xyz"], "also an input")):
        r = tanne(*args)
        assert r.returncode == 2, f"{args}: exit {r.returncode}: {r.stderr}"
        assert text in r.stderr, f"{args}: {r.stderr!r}"


def test_config_errors():
    bad = os.path.join(WORK, "bad.yaml")
    with open(bad, "w") as f:
        f.write("model:\n  features: 8\n  interactons: 1\n")
    r = tanne("train", bad)
    assert r.returncode == 1, r.stderr
    assert "bad.yaml:3" in r.stderr and "interactons" in r.stderr, r.stderr
    r = tanne("train", CONFIG, "--set", "train.epochs=many")
    assert r.returncode == 1 and "train.epochs" in r.stderr, r.stderr
    r = tanne("train", CONFIG, "--set", "no_equals_sign")
    assert r.returncode == 1 and "no_equals_sign" in r.stderr, r.stderr
    r = tanne("train", os.path.join(WORK, "missing.yaml"))
    assert r.returncode == 1 and "missing.yaml" in r.stderr, r.stderr
    # Too few frames for the validation and test sets asked for (a 3-frame file).
    make_argon()
    r = tanne("train", CONFIG, "--set", f"data.train={AR}", "--set", "data.n_val=2",
              "--set", "data.n_test=1")
    assert r.returncode == 1 and "no training frames of the 3" in r.stderr, r.stderr
    r = tanne("train", CONFIG, "--set", f"data.train={AR}", "--set", "data.n_val=1",
              "--set", "data.n_test=0", "--set", "data.n_train=3")
    assert r.returncode == 1 and "data.n_train" in r.stderr and "only 2 left" in r.stderr, r.stderr
    assert not os.path.exists(RUN), "a failed run made its output folder"


def test_tiny_run():
    r = tanne("train", CONFIG)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "built-in data" in r.stderr, r.stderr
    assert "30 train, 5 validation, 5 test frames; elements Ar;" in r.stdout, r.stdout
    for name in ("best.tnm", "checkpoint.tnc", "metrics.csv", "config.yaml", "split.txt",
                 "test_metrics.csv"):
        assert os.path.isfile(os.path.join(RUN, name)), name
    rows = metric_rows(os.path.join(RUN, "metrics.csv"))
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3], rows
    lines = [l for l in r.stderr.splitlines() if l.startswith("epoch ")]
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3  loss "), r.stderr
    assert " meV/atom " in lines[0] and " meV/Å " in lines[0] and "ETA" in lines[0], lines[0]
    # The split: 40 frames, seed 1, disjoint sets of 30, 5 and 5.
    text = open(os.path.join(RUN, "split.txt")).read()
    assert text.startswith("# tanne split v1\nframes 40\nseed 1\ntrain 30\n"), text
    nums = [int(t) for t in re.sub(r"#.*|[a-z]+ ?", " ", text).split()]
    idx = nums[2:]  # after frames and seed: counts and indices of each set
    sets, k = [], 0
    while k < len(idx):
        sets.append(idx[k + 1:k + 1 + idx[k]])
        k += 1 + idx[k]
    assert [len(s) for s in sets] == [30, 5, 5], sets
    assert sorted(sum(sets, [])) == list(range(40)), sets
    # The saved config is the effective one and loads again.
    saved = open(os.path.join(RUN, "config.yaml")).read()
    assert re.search(r"features: 8\b", saved) and re.search(r"epochs: 3\b", saved), saved
    # The test report: printed and saved, same numbers.
    test = {row["name"]: row for row in metric_rows(os.path.join(RUN, "test_metrics.csv"))}
    n, mae, _, _ = table_row(r.stdout, "energy")
    assert n == 5 and int(test["energy"]["n"]) == 5, test
    assert abs(float(test["energy"]["mae"]) - mae) <= 1e-3 * mae, (test["energy"], mae)
    assert int(test["forces"]["n"]) == 5 * 108 * 3, test["forces"]
    assert f"model: {RUN}/best.tnm" in r.stdout, r.stdout


def test_info_shows_model_and_lineage():
    r = tanne("info", MODEL)
    assert r.returncode == 0, r.stderr
    assert re.search(r"model\s+schnet, 8 features, 1 interactions", r.stdout), r.stdout
    assert re.search(r"shifts \(eV\)\s+Ar -?\d", r.stdout), r.stdout
    assert "    data: the built-in demo data (30 training frames)" in r.stdout, r.stdout
    assert "    theory: not stated" in r.stdout and "parent" not in r.stdout, r.stdout
    r = tanne("info", os.path.join(RUN, "checkpoint.tnc"))
    assert r.returncode == 1 and "checkpoint" in r.stderr, r.stderr


def test_resume_to_more_epochs():
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    before = metric_rows(os.path.join(RUN, "metrics.csv"))
    config_before = open(os.path.join(RUN, "config.yaml")).read()
    r = tanne("train", CONFIG, "--resume", "--set", "train.epochs=5")
    assert r.returncode == 0, r.stdout + r.stderr
    rows = metric_rows(os.path.join(RUN, "metrics.csv"))
    assert [int(row["epoch"]) for row in rows] == [1, 2, 3, 4, 5], rows
    assert rows[:3] == before, "resume rewrote the rows of the epochs it had"
    lines = [l for l in r.stderr.splitlines() if l.startswith("epoch ")]
    assert [l.split()[1] for l in lines] == ["4/5", "5/5"], r.stderr
    assert open(os.path.join(RUN, "config.yaml")).read() == config_before, "config rewritten"


def test_resume_refuses_other_data():
    """A run on a file, resumed with another seed (so another split): the
    trainer's data fingerprint no longer matches."""
    make_argon()
    run = os.path.join(WORK, "run_ar")
    common = ["--set", f"data.train={AR}", "--set", "data.n_val=1", "--set", "data.n_test=0",
              "--set", "train.epochs=1", "--set", f"output.dir={run}"]
    r = tanne("train", CONFIG, *common)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 train, 1 validation, 0 test frames" in r.stdout, r.stdout
    assert not os.path.exists(os.path.join(run, "test_metrics.csv")), "no test set, no report"
    r = tanne("train", CONFIG, *common, "--resume", "--set", "seed=2")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "differ" in r.stderr, r.stderr
    r = tanne("train", CONFIG, *common, "--resume", "--set", "train.epochs=2")
    assert r.returncode == 0, r.stdout + r.stderr
    assert len(metric_rows(os.path.join(run, "metrics.csv"))) == 2


def test_data_files_and_split_file():
    """Validation and test sets from their own files, or a split from data.split."""
    make_argon()
    run = os.path.join(WORK, "run_files")
    base = ["--set", f"data.train={AR}", "--set", "train.epochs=1", "--set", f"output.dir={run}"]
    r = tanne("train", CONFIG, *base, "--set", f"data.validation={AR}", "--set",
              f"data.test={AR}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 train, 3 validation, 3 test frames" in r.stdout, r.stdout
    assert f"{AR}, frame" not in r.stderr
    assert int(metric_rows(os.path.join(run, "test_metrics.csv"))[0]["n"]) == 3
    split = os.path.join(WORK, "ar_split.txt")
    with open(split, "w") as f:
        f.write("# tanne split v1\nframes 3\nseed 7\ntrain 1\n2\nval 1\n0\ntest 1\n1\n")
    r = tanne("train", CONFIG, *base, "--set", f"data.split={split}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 train, 1 validation, 1 test frames" in r.stdout, r.stdout
    assert open(os.path.join(run, "split.txt")).read() == open(split).read()
    with open(split, "w") as f:
        f.write("# tanne split v1\nframes 4\nseed 7\ntrain 1\n3\nval 0\ntest 0\n")
    r = tanne("train", CONFIG, *base, "--set", f"data.split={split}")
    assert r.returncode == 1 and "indexes 4 frames" in r.stderr, r.stderr
    with open(split, "w") as f:
        f.write("# tanne split v1\nframes 3\nseed 7\ntrain 1\n9\nval 0\ntest 0\n")
    r = tanne("train", CONFIG, *base, "--set", f"data.split={split}")
    assert r.returncode == 1 and "ar_split.txt:5" in r.stderr, r.stderr


def make_argon():
    if os.path.exists(AR):
        return
    r = tanne("generate", "noble-gas", "--atoms", "32", "--frames", "3", "--equilibration", "50",
              "--interval", "10", "--seed", "5", "-o", AR)
    assert r.returncode == 0, r.stderr


def test_eval_table_and_files():
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    make_argon()
    r = tanne("eval", MODEL, AR)
    assert r.returncode == 0, r.stderr
    for name in ("energy", "energy per atom", "forces", "forces[Ar]", "atomic energies",
                 "atomic energies[Ar]", "stress"):
        table_row(r.stdout, name)
    assert table_row(r.stdout, "energy")[0] == 3, r.stdout
    assert table_row(r.stdout, "forces")[0] == 3 * 32 * 3, r.stdout
    assert table_row(r.stdout, "stress")[0] == 3 * 9, r.stdout
    assert not [f for f in os.listdir(WORK) if f.endswith(".svg")], "files without -o"
    prefix = os.path.join(WORK, "ev")
    r2 = tanne("eval", MODEL, AR, "-o", prefix)
    assert r2.returncode == 0 and r2.stdout == r.stdout, r2.stderr
    rows = {row["name"]: row for row in metric_rows(prefix + "_metrics.csv")}
    assert rows["forces"]["unit"] == "meV/Å", rows["forces"]
    n, mae, rmse, _ = table_row(r.stdout, "forces")
    assert int(rows["forces"]["n"]) == n and abs(float(rows["forces"]["mae"]) - mae) <= 1e-3 * mae
    for kind in ("energy", "forces", "atomic_energies"):
        doc = xml.dom.minidom.parse(f"{prefix}_{kind}.svg")
        assert doc.documentElement.tagName == "svg", kind
        assert doc.getElementsByTagName("circle") or doc.getElementsByTagName("path"), kind


def test_predict_matches_eval():
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    try:
        import ase.io
        import numpy as np
    except ImportError:
        return "python3-ase absent"
    make_argon()
    out = os.path.join(WORK, "pred.xyz")
    r = tanne("predict", MODEL, AR, "-o", out)
    assert r.returncode == 0, r.stderr
    pred = ase.io.read(out, index=":")
    ref = ase.io.read(AR, index=":")
    assert len(pred) == len(ref) == 3, (len(pred), len(ref))
    e_err, f_err = [], []
    for p, q in zip(pred, ref):
        assert p.get_forces().shape == (32, 3), p.get_forces().shape
        assert p.info["ref_energy"] == q.get_potential_energy(), (p.info, q.info)
        assert np.array_equal(p.arrays["ref_forces"], q.get_forces())
        assert p.get_stress(voigt=False).shape == (3, 3)
        e_err.append(abs(p.get_potential_energy() - q.get_potential_energy()))
        f_err.extend(np.abs(p.get_forces() - q.get_forces()).ravel())
        # Atomic energies add up to the energy.
        assert abs(p.arrays["energies"].sum() - p.get_potential_energy()) < 1e-9 * len(p)
    ev = tanne("eval", MODEL, AR)
    _, e_mae, _, e_max = table_row(ev.stdout, "energy")
    _, f_mae, _, _ = table_row(ev.stdout, "forces")
    # The table prints four significant digits, in meV.
    assert abs(1e3 * np.mean(e_err) - e_mae) <= 1e-3 * e_mae, (e_err, e_mae)
    assert abs(1e3 * max(e_err) - e_max) <= 1e-3 * e_max, (e_err, e_max)
    assert abs(1e3 * np.mean(f_err) - f_mae) <= 1e-3 * f_mae, (f_mae,)


def test_eval_subset_of_a_split():
    """--split/--subset evaluate just those frames; a split of another size is refused."""
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    make_argon()
    split = os.path.join(WORK, "eval_split.txt")
    with open(split, "w") as f:
        f.write("# tanne split v1\nframes 3\nseed 7\ntrain 0\nval 1\n2\ntest 2\n0 1\n")
    r = tanne("eval", MODEL, AR, "--split", split)
    assert r.returncode == 0, r.stderr
    assert "the test frames of" in r.stdout and table_row(r.stdout, "energy")[0] == 2, r.stdout
    r = tanne("eval", MODEL, AR, "--split", split, "--subset", "val")
    assert r.returncode == 0 and table_row(r.stdout, "energy")[0] == 1, r.stdout + r.stderr
    r = tanne("eval", MODEL, AR, "--split", split, "--subset", "train")
    assert r.returncode == 1 and "no train frames" in r.stderr, r.stderr
    with open(split, "w") as f:
        f.write("# tanne split v1\nframes 4\nseed 7\ntrain 0\nval 0\ntest 1\n3\n")
    r = tanne("eval", MODEL, AR, "--split", split)
    assert r.returncode == 1 and "indexes 4 frames" in r.stderr, r.stderr


def test_eval_atomic_energies_offset_removed():
    """Reference atomic energies that differ from the model's by a constant
    (0.25 eV) plus +-10 meV: the raw MAE is 250 meV, and 10 meV once the
    per-element offset is removed."""
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    try:
        import ase.io
        import numpy as np
    except ImportError:
        return "python3-ase absent"
    make_argon()
    out = os.path.join(WORK, "pred_offset.xyz")
    r = tanne("predict", MODEL, AR, "-o", out)
    assert r.returncode == 0, r.stderr
    frames = ase.io.read(out, index=":")
    for atoms in frames:
        wiggle = np.where(np.arange(len(atoms)) % 2 == 0, 0.01, -0.01)
        atoms.arrays["shifted"] = atoms.arrays["energies"] + 0.25 + wiggle
        atoms.calc = None  # write the arrays as they are
    shifted = os.path.join(WORK, "shifted.xyz")
    ase.io.write(shifted, frames, format="extxyz")
    r = tanne("eval", MODEL, shifted, "--atomic", "shifted")
    assert r.returncode == 0, r.stderr
    _, raw, _, _ = table_row(r.stdout, "atomic energies[Ar]")
    n, fixed, rmse, worst = table_row(r.stdout, "atomic energies - offset[Ar]")
    assert n == 3 * 32 and abs(raw - 250) < 0.01, r.stdout
    assert abs(fixed - 10) < 0.01 and abs(rmse - 10) < 0.01 and abs(worst - 10) < 0.01, r.stdout


def test_checkf():
    """checkf passes a trained model on periodic argon (forces and stress) at
    the default tolerance, fails it at an impossible one (exit 1), and names
    the atoms it compared."""
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    make_argon()
    r = tanne("checkf", MODEL, AR, "--frames", "2", "--atoms", "4")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 frames checked, 0 failed" in r.stdout, r.stdout
    assert "ar.xyz, frame 2" in r.stdout and "(stress, eV/Å³)" in r.stdout, r.stdout
    rows = [line for line in r.stdout.splitlines() if "ar.xyz, frame" in line]
    assert all(line.split()[3] == "12" for line in rows), rows  # 4 atoms x 3
    r = tanne("checkf", MODEL, AR, "--frames", "1", "--atoms", "2", "--tol", "0")
    assert r.returncode == 1 and "FAIL" in r.stdout and "1 failed" in r.stdout, r.stdout


def test_corrupted_model():
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    make_argon()
    data = bytearray(open(MODEL, "rb").read())
    data[len(data) // 2] ^= 0x40
    bad = os.path.join(WORK, "corrupt.tnm")
    with open(bad, "wb") as f:
        f.write(data)
    for cmd in ("eval", "predict"):
        args = [cmd, bad, AR] + (["-o", os.path.join(WORK, "never.xyz")] if cmd == "predict" else [])
        r = tanne(*args)
        assert r.returncode == 1 and "checksum" in r.stderr, (cmd, r.stderr)
    assert not os.path.exists(os.path.join(WORK, "never.xyz"))


def test_unknown_element_and_columns():
    if not os.path.exists(MODEL):
        return "the tiny run failed"
    make_argon()
    kr = os.path.join(WORK, "kr.xyz")
    r = tanne("generate", "noble-gas", "--species", "Kr", "--atoms", "16", "--frames", "1",
              "--equilibration", "10", "--interval", "5", "-o", kr)
    assert r.returncode == 0, r.stderr
    for cmd in ("eval", "predict"):
        args = [cmd, MODEL, AR, kr] + (["-o", os.path.join(WORK, "kr_pred.xyz")]
                                       if cmd == "predict" else [])
        r = tanne(*args)
        assert r.returncode == 1, (cmd, r.stderr)
        assert "kr.xyz, frame 1" in r.stderr and "Kr" in r.stderr, (cmd, r.stderr)
    # Outputs that cannot be written.
    r = tanne("eval", MODEL, AR, "-o", "/nonexistent-dir/ev")
    assert r.returncode == 1 and "/nonexistent-dir/ev_metrics.csv" in r.stderr, r.stderr
    r = tanne("predict", MODEL, AR, "-o", "/nonexistent-dir/p.xyz")
    assert r.returncode == 1 and "/nonexistent-dir/p.xyz" in r.stderr, r.stderr
    r = tanne("eval", MODEL, AR, "--atomic", "local_energy")
    assert r.returncode == 1 and "'local_energy'" in r.stderr, r.stderr
    # An input that already has ref_energy cannot keep its energy under that name.
    clash = os.path.join(WORK, "clash.xyz")
    with open(clash, "w") as f:
        f.write("1\nProperties=species:S:1:pos:R:3 energy=1.0 ref_energy=2.0\nAr 0 0 0\n")
    r = tanne("predict", MODEL, clash, "-o", os.path.join(WORK, "clash_pred.xyz"))
    assert r.returncode == 1 and "ref_energy" in r.stderr, r.stderr


def test_demo_report():
    # The README's main job, shortened: 4 frames per liquid, 2 epochs.
    out = os.path.join(WORK, "demo")
    r = tanne("demo", "-o", out, "--frames", "4", "--epochs", "2")
    assert r.returncode == 0, r.stderr
    assert "atomic energies never trained on" in r.stdout, r.stdout
    with open(os.path.join(out, "report.md")) as f:
        report = f.read()
    assert "Atomic energies against the exact partition" in report
    assert re.search(r"\| all \| 324 \| [0-9.]+ \| -?[0-9.]+ \|", report), report
    for name in ("atomic_energies.svg", "learning_curve.svg"):
        xml.dom.minidom.parse(os.path.join(out, name))
    for name in ("data.xyz", "run/best.tnm", "run/metrics.csv"):
        assert os.path.exists(os.path.join(out, name)), name


def main():
    if not os.path.exists(TANNE):
        print(f"  FAIL: {TANNE} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    with open(CONFIG, "w") as f:
        f.write(TINY)
    for fn in (test_help, test_usage_errors, test_config_errors, test_tiny_run,
               test_info_shows_model_and_lineage, test_resume_to_more_epochs, test_resume_refuses_other_data,
               test_data_files_and_split_file,
               test_eval_table_and_files, test_predict_matches_eval,
               test_eval_subset_of_a_split, test_eval_atomic_energies_offset_removed, test_checkf,
               test_corrupted_model,
               test_unknown_element_and_columns, test_demo_report):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
