#!/usr/bin/env python3
"""`tanne advval` and `tanne transfer` on liquid argon at two densities
(0.0210 and 0.0175 atoms/Å³), whose answer is known: the classifier must
tell them apart per structure (AUC ≥ 0.95), the self-split control must sit
near 0.5, a seed must fix every number, and every file the report names must
hold what it says (the scored extxyz, the split of the most B-like A frames,
the per-structure CSV). `tanne transfer` must report the errors `tanne eval`
reports for the same model and data. Bad input exits with a message.
Ends with "N passed, N failed, N skipped"."""
import csv
import os
import subprocess
import sys
import tempfile

from cli_cases import TANNE, TINY_SCHNET, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-advval-cli-")
WORK = TMP.name
DENSE = os.path.join(WORK, "dense.xyz")
THIN = os.path.join(WORK, "thin.xyz")
DENSE_TEST = os.path.join(WORK, "dense_test.xyz")  # the odd frames of one run; DENSE the even

TINY = """# two epochs of a one-step SchNet: seconds, not a good model
""" + TINY_SCHNET + """data:
  train: %s
  n_val: 2
  n_test: 0
output:
  dir: %s
seed: %d
"""


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def generate(path, density, seed, frames):
    r = tanne("generate", "noble-gas", "--atoms", "32", "--density", str(density), "--frames",
              str(frames), "--equilibration", "300", "--interval", "40", "--seed", str(seed),
              "-o", path)
    assert r.returncode == 0, r.stderr


def split_alternate(path, even, odd):
    """Frames 0, 2, 4, ... of an extxyz file to even, 1, 3, ... to odd: two
    samples of one distribution. (Two runs with different seeds need not
    be: a 32-atom box near the triple point may freeze in one of them.)"""
    lines = open(path).read().splitlines(keepends=True)
    out = ([], [])
    k = f = 0
    while k < len(lines):
        n = int(lines[k])
        out[f % 2].extend(lines[k:k + 2 + n])
        k += 2 + n
        f += 1
    for dest, chunk in zip((even, odd), out):
        with open(dest, "w") as g:
            g.writelines(chunk)


def train(name, seed, data=DENSE):
    cfg = os.path.join(WORK, name + ".yaml")
    with open(cfg, "w") as f:
        f.write(TINY % (data, os.path.join(WORK, name), seed))
    r = tanne("train", cfg)
    assert r.returncode == 0, r.stderr
    return os.path.join(WORK, name, "best.tnm")


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def table_row(report, first_cell):
    """The cells of the Markdown table row starting with first_cell."""
    for line in report.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row '{first_cell}' in the report")


def mean_of(cell):
    """0.987 from '0.987 ± 0.004 (0.986)'."""
    return float(cell.split()[0])


def info_of(line):
    """The key=value pairs of an extxyz comment line (values without quotes)."""
    import shlex
    return dict(item.partition("=")[::2] for item in shlex.split(line))


def advval(out, *extra):
    r = tanne("advval", DENSE, THIN, "-o", out, "--classifier", "logreg", *extra)
    assert r.returncode == 0, r.stderr
    return r


def test_two_densities():
    out = os.path.join(WORK, "av")
    r = advval(out)
    report = open(os.path.join(out, "report.md")).read()
    assert report == r.stdout, "report.md differs from what was printed"
    real = table_row(report, "**A vs B**")
    control = table_row(report, "control: A vs A, random halves")
    assert mean_of(real[2]) >= 0.95, real
    # 100 structures: the null spread of a pooled AUC is about 0.06
    assert abs(mean_of(control[2]) - 0.5) <= 0.15, control
    for name in ("roc.svg", "structures.csv", "environments.csv", "A_scored.xyz",
                 "B_scored.xyz", "split.txt"):
        assert os.path.getsize(os.path.join(out, name)) > 0, name


def test_files_agree():
    out = os.path.join(WORK, "av")
    structures = rows(os.path.join(out, "structures.csv"))
    a = [s for s in structures if s["set"] == "A"]
    b = [s for s in structures if s["set"] == "B"]
    assert len(a) == 100 and len(b) == 100
    # the validation frames of split.txt are the 10 (10 %) A frames of highest score
    by_score = sorted(a, key=lambda s: (-float(s["score"]), int(s["frame"])))
    want = sorted(int(s["frame"]) - 1 for s in by_score[:10])
    lines = open(os.path.join(out, "split.txt")).read().split("\n")
    val = None
    for k, line in enumerate(lines):
        if line.startswith("val"):
            val = sorted(int(t) for t in lines[k + 1].split()) if lines[k + 1].strip() else []
    assert val == want, (val, want)
    assert sum(int(s["adv_val"]) for s in a) == 10
    # the scored extxyz: info adv_score per frame equals the CSV; p_b per atom
    with open(os.path.join(out, "B_scored.xyz")) as f:
        text = f.read().splitlines()
    info = info_of(text[1])
    assert abs(float(info["adv_score"]) - float(b[0]["score"])) <= 1e-6 * (1 + abs(float(info["adv_score"])))
    assert "p_b:R:1" in info["Properties"]
    # environments.csv counts every atom once
    envs = rows(os.path.join(out, "environments.csv"))
    assert sum(int(e["n_a"]) + int(e["n_b"]) for e in envs) == 200 * 32


def test_seed_fixes_everything():
    one, two, other = (os.path.join(WORK, n) for n in ("s1", "s2", "s3"))
    advval(one, "--seed", "5")
    advval(two, "--seed", "5")
    advval(other, "--seed", "6")
    read = lambda d: open(os.path.join(d, "structures.csv")).read()
    assert read(one) == read(two)
    assert read(one) != read(other)


def test_mlp_and_model_features():
    model = train("m_feat", 1)
    out = os.path.join(WORK, "av_model")
    r = tanne("advval", DENSE, THIN, "-o", out, "--model", model, "--epochs", "20")
    assert r.returncode == 0, r.stderr
    assert "atom representations of" in r.stdout
    assert "8 per atom" in r.stdout, r.stdout  # SchNet with 8 features


def test_transfer_matches_eval():
    even = os.path.join(WORK, "dense_even.xyz")
    m1 = train("m1", 1, even)
    m2 = train("m2", 2, even)
    out = os.path.join(WORK, "tr")
    r = tanne("transfer", m1, "--train", even, DENSE_TEST, THIN, "-o", out, "--classifier",
              "logreg")
    assert r.returncode == 0, r.stderr
    assert "The classifier's control" in r.stdout, r.stdout
    summary = rows(os.path.join(out, "transfer.csv"))
    assert [s["frames"] for s in summary] == ["50", "100"]
    assert [s["in_training_set"] for s in summary] == ["0", "0"]
    # the thin liquid is foreign to the dense training frames; the frames between them are not
    assert float(summary[1]["auc_struct"]) >= 0.95, summary[1]
    assert float(summary[0]["auc_struct"]) < 0.8, summary[0]
    # errors as tanne eval reports them for the same model and frames
    e = tanne("eval", m1, THIN, "-o", os.path.join(WORK, "ev"))
    assert e.returncode == 0, e.stderr
    ev = {row["name"]: row for row in rows(os.path.join(WORK, "ev_metrics.csv"))}
    for mine, theirs in (("f_mae_meV_per_A", "forces"), ("f_rmse_meV_per_A", "forces"),
                         ("e_mae_meV_per_atom", "energy per atom"),
                         ("atomic_mae_meV", "atomic energies")):
        got = float(summary[1][mine])
        want = float(ev[theirs]["rmse" if "rmse" in mine else "mae"])
        assert abs(got - want) <= 1e-4 * abs(want), (mine, got, want)
    per = rows(os.path.join(out, "structures_2.csv"))
    assert len(per) == 100 and all(p["e_std_meV_per_atom"] == "nan" for p in per)
    # an ensemble adds the spread and its plot
    out2 = os.path.join(WORK, "tr2")
    r = tanne("transfer", m1, m2, "--train", even, THIN, "-o", out2, "--classifier", "logreg")
    assert r.returncode == 0, r.stderr
    assert os.path.exists(os.path.join(out2, "error_vs_spread.svg"))
    per = rows(os.path.join(out2, "structures_1.csv"))
    assert all(float(p["f_std_meV_per_A"]) > 0 for p in per)
    assert "Ensemble of 2 models" in r.stdout
    # a test set that is the training set: every structure shared, the AUC below 0.5
    out3 = os.path.join(WORK, "tr3")
    r = tanne("transfer", m1, "--train", even, even, "-o", out3, "--classifier", "logreg")
    assert r.returncode == 0, r.stderr
    same = rows(os.path.join(out3, "transfer.csv"))[0]
    assert same["in_training_set"] == "50" and float(same["auc_struct"]) < 0.5, same
    # without --train, the data file of the model's lineage; --test names a test set
    out4 = os.path.join(WORK, "tr4")
    r = tanne("transfer", m1, "--test", THIN, "-o", out4, "--classifier", "logreg")
    assert r.returncode == 0, r.stderr
    assert "the data file of the model's lineage" in r.stdout, r.stdout
    lin = rows(os.path.join(out4, "transfer.csv"))[0]
    assert abs(float(lin["auc_struct"]) - float(summary[1]["auc_struct"])) < 1e-9, lin


def test_bad_input():
    r = tanne("advval", DENSE)
    assert r.returncode == 2 and "exactly two data files" in r.stderr, r.stderr
    r = tanne("advval", DENSE, THIN, "--classifier", "forest")
    assert r.returncode == 2 and "forest" in r.stderr, r.stderr
    r = tanne("advval", DENSE, os.path.join(WORK, "absent.xyz"), "-o", "x")
    assert r.returncode == 1 and "absent.xyz" in r.stderr, r.stderr
    few = os.path.join(WORK, "few.xyz")
    generate(few, 0.0210, 4, 3)
    r = tanne("advval", DENSE, few, "-o", "x")
    assert r.returncode == 1 and "--folds" in r.stderr, r.stderr
    r = tanne("advval", DENSE, THIN, "--model", THIN, "-o", "x")
    assert r.returncode == 1 and "thin.xyz" in r.stderr, r.stderr
    # a p_b column already in the input is not overwritten in the scored file
    scored = os.path.join(WORK, "av", "A_scored.xyz")
    r = tanne("advval", scored, THIN, "-o", os.path.join(WORK, "clash"), "--classifier", "logreg")
    assert r.returncode == 1 and "'p_b'" in r.stderr, r.stderr
    r = tanne("transfer", DENSE, THIN)
    assert r.returncode == 2 and "model file" in r.stderr, r.stderr


def main():
    if not os.path.exists(TANNE):
        print(f"  skip all: {TANNE} is not built")
        return finish()
    generate(DENSE, 0.0210, 1, 100)
    generate(THIN, 0.0175, 2, 100)
    both = os.path.join(WORK, "dense_both.xyz")
    generate(both, 0.0210, 3, 100)
    split_alternate(both, os.path.join(WORK, "dense_even.xyz"), DENSE_TEST)
    for fn in (test_two_densities, test_files_agree, test_seed_fixes_everything,
               test_mlp_and_model_features, test_transfer_matches_eval, test_bad_input):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
