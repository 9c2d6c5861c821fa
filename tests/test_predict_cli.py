#!/usr/bin/env python3
"""`tanne predict` with an ensemble of models: two tiny models are trained
(one on an Ar/Kr mixture, one on argon, so they know different elements);
an ensemble of a model with itself has zero spread and its mean is that
model's prediction bit for bit; the mean and spread of [M1, M2] (and of
[M1, M2, M1]) equal those numpy computes from the single-model outputs; one
model writes no *_std column; errors (an element a member lacks, no inputs
after the models, a model after the inputs, a corrupted or truncated model,
a checkpoint, a column name clash) exit with a message naming the file.
Ends with "N passed, N failed, N skipped"."""
import os
import shlex
import subprocess
import sys
import tempfile

from cli_cases import TANNE, TINY_SCHNET, case, damaged_copies, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-predict-cli-")
WORK = TMP.name
CONFIG = os.path.join(WORK, "tiny.yaml")
MIX = os.path.join(WORK, "mix.xyz")  # Ar/Kr training data for M1
AR_TRAIN = os.path.join(WORK, "ar_train.xyz")  # argon training data for M2
AR = os.path.join(WORK, "ar.xyz")  # periodic argon frames to predict
OPEN = os.path.join(WORK, "open.xyz")  # one frame without a cell: no stress
M1 = os.path.join(WORK, "m1", "best.tnm")
M2 = os.path.join(WORK, "m2", "best.tnm")

TINY = """# two epochs of a one-step SchNet: seconds, not a good model
""" + TINY_SCHNET + """data:
  n_val: 1
  n_test: 0
"""

STD = ("energy_std", "forces_std", "energies_std", "stress_std")


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def read_xyz(path):
    """The frames of an extxyz file as tanne writes it: a list of (info,
    arrays), info mapping each key to its value's tokens and arrays each
    per-atom column to one list of tokens per atom. Tokens are kept as text
    so that files can be compared exactly."""
    frames = []
    with open(path) as f:
        lines = f.read().splitlines()
    k = 0
    while k < len(lines):
        n = int(lines[k])
        info = {}
        for item in shlex.split(lines[k + 1]):
            key, _, value = item.partition("=")
            info[key] = value.split()
        spec = info.pop("Properties")[0].split(":")
        cols = [(spec[i], int(spec[i + 2])) for i in range(0, len(spec), 3)]
        arrays = {name: [] for name, _ in cols}
        for line in lines[k + 2:k + 2 + n]:
            tokens = line.split()
            at = 0
            for name, width in cols:
                arrays[name].append(tokens[at:at + width])
                at += width
        frames.append((info, arrays))
        k += 2 + n
    return frames


def floats(tokens):
    return [float(t) for t in tokens]


def predict(models, out_name, *extra):
    out = os.path.join(WORK, out_name)
    r = tanne("predict", *models, AR, OPEN, "-o", out, *extra)
    assert r.returncode == 0, r.stderr
    return read_xyz(out), r


def close(got, want, scale, what):
    """|got - want| within 1e-9 relative, or 1e-12 of the size of the values
    the spread was taken of (the digits a difference of them can keep)."""
    tol = 1e-9 * abs(want) + 1e-12 * scale
    assert abs(got - want) <= tol, f"{what}: {got!r} != {want!r} (tol {tol:.3g})"


def setup():
    with open(CONFIG, "w") as f:
        f.write(TINY)
    with open(OPEN, "w") as f:
        f.write('2\nProperties=species:S:1:pos:R:3 pbc="F F F"\nAr 0 0 0\nAr 3.8 0.1 0.2\n')
    gen = ["generate", "noble-gas", "--atoms", "32", "--equilibration", "50", "--interval", "10"]
    for args in ((MIX, "--species", "Ar,Kr", "--fraction", "0.5", "--frames", "6", "--seed", "3"),
                 (AR_TRAIN, "--frames", "3", "--seed", "4"), (AR, "--frames", "3", "--seed", "5")):
        r = tanne(*gen, *args[1:], "-o", args[0])
        assert r.returncode == 0, r.stderr
    for model, data, seed in ((M1, MIX, "1"), (M2, AR_TRAIN, "2")):
        r = tanne("train", CONFIG, "--set", f"data.train={data}", "--set", f"seed={seed}",
                  "--set", f"output.dir={os.path.dirname(model)}")
        assert r.returncode == 0, r.stdout + r.stderr
        assert os.path.exists(model), model


def need_models():
    if not (os.path.exists(M1) and os.path.exists(M2)):
        return "the tiny training runs failed"
    return None


def test_setup():
    setup()


def test_help():
    r = tanne("predict", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: tanne predict"), r.stdout
    for text in ("energy_std", "forces_std", "energies_std", "stress_std", "M - 1",
                 "--member-columns", "energy_m0"):
        assert text in r.stdout, (text, r.stdout)


def test_single_model_writes_no_spread():
    if need_models():
        return need_models()
    frames, r = predict([M1], "one.xyz")
    assert "ensemble" not in r.stderr and f"predictions of {M1}" in r.stderr, r.stderr
    assert len(frames) == 4, len(frames)
    for info, arrays in frames:
        assert not [k for k in list(info) + list(arrays) if k.endswith("_std")], (info, arrays)
        assert not [k for k in info if k.startswith("energy_m")], info
        assert "energy" in info and "forces" in arrays and "energies" in arrays
    assert "stress" in frames[0][0] and "stress" not in frames[3][0]
    # --member-columns with one model: the member is the model.
    member, _ = predict([M1], "one_member.xyz", "--member-columns")
    for (info, _), (info1, _) in zip(frames, member):
        assert info1["energy_m0"] == info["energy"], (info1, info)


def test_model_with_itself():
    """[M1, M1]: the mean is M1's prediction bit for bit (the file's text is
    the same), every spread is exactly 0."""
    if need_models():
        return need_models()
    one, _ = predict([M1], "one.xyz")
    two, r = predict([M1, M1], "same.xyz")
    assert "an ensemble of 2 models" in r.stderr, r.stderr
    for (info1, arr1), (info2, arr2) in zip(one, two):
        for key, value in info1.items():
            assert info2[key] == value, (key, info2[key], value)
        for name, rows in arr1.items():
            assert arr2[name] == rows, name
        assert floats(info2["energy_std"]) == [0.0], info2["energy_std"]
        assert all(floats(row) == [0.0] for name in ("forces_std", "energies_std")
                   for row in arr2[name])
        if "stress" in info1:
            assert floats(info2["stress_std"]) == [0.0] * 9, info2["stress_std"]
        else:
            assert "stress_std" not in info2, info2


def check_ensemble(members, frames, singles):
    """frames: the ensemble's output; singles[m]: the output of members[m]
    alone. Mean and sample spread (ddof 1) recomputed here with numpy."""
    import numpy as np
    n = len(members)
    seen_spread = 0.0
    for f, (info, arrays) in enumerate(frames):
        e = np.array([float(singles[m][f][0]["energy"][0]) for m in range(n)])
        scale = np.abs(e).max()
        close(float(info["energy"][0]), e.mean(), scale, f"frame {f} energy")
        close(float(info["energy_std"][0]), e.std(ddof=1), scale, f"frame {f} energy_std")
        seen_spread = max(seen_spread, e.std(ddof=1))
        for m in range(n):
            # Member energies are copied, not recomputed: exact text.
            assert info[f"energy_m{m}"] == singles[m][f][0]["energy"], (f, m)
        frc = np.array([[floats(row) for row in singles[m][f][1]["forces"]] for m in range(n)])
        scale = np.abs(frc).max()
        mean = frc.mean(axis=0)  # [atoms][3]
        want_std = np.sqrt(((frc - mean) ** 2).sum(axis=(0, 2)) / (n - 1))  # [atoms]
        got = np.array([floats(row) for row in arrays["forces"]])
        got_std = np.array([floats(row)[0] for row in arrays["forces_std"]])
        for a in range(len(got)):
            for k in range(3):
                close(got[a, k], mean[a, k], scale, f"frame {f} atom {a} forces[{k}]")
            close(got_std[a], want_std[a], scale, f"frame {f} atom {a} forces_std")
        ea = np.array([[float(row[0]) for row in singles[m][f][1]["energies"]] for m in range(n)])
        scale = np.abs(ea).max()
        for a, (row, row_std) in enumerate(zip(arrays["energies"], arrays["energies_std"])):
            close(float(row[0]), ea[:, a].mean(), scale, f"frame {f} atom {a} energies")
            close(float(row_std[0]), ea[:, a].std(ddof=1), scale, f"frame {f} atom {a} energies_std")
        if "stress" not in singles[0][f][0]:
            assert "stress" not in info and "stress_std" not in info, info
            continue
        # Component k of stress_std is the spread of component k of stress,
        # both in the order the file lists them.
        s = np.array([floats(singles[m][f][0]["stress"]) for m in range(n)])
        scale = np.abs(s).max()
        for k in range(9):
            close(float(info["stress"][k]), s[:, k].mean(), scale, f"frame {f} stress[{k}]")
            close(float(info["stress_std"][k]), s[:, k].std(ddof=1), scale,
                  f"frame {f} stress_std[{k}]")
    assert seen_spread > 1e-6, "the two models agree: the test would not see a wrong spread"


def test_two_models_match_numpy():
    if need_models():
        return need_models()
    try:
        import numpy  # noqa: F401
    except ImportError:
        return "numpy absent"
    one, _ = predict([M1], "one.xyz")
    two, _ = predict([M2], "two.xyz")
    ens, r = predict([M1, M2], "ens.xyz", "--member-columns")
    assert "an ensemble of 2 models" in r.stderr and "2 models' predictions" in r.stderr, r.stderr
    check_ensemble([M1, M2], ens, [one, two])
    # Input labels are kept as ref_* beside the ensemble's columns.
    ref = read_xyz(AR)
    assert ens[0][0]["ref_energy"] == ref[0][0]["energy"]
    assert ens[0][1]["ref_forces"] == ref[0][1]["forces"]


def test_three_models_match_numpy():
    if need_models():
        return need_models()
    try:
        import numpy  # noqa: F401
    except ImportError:
        return "numpy absent"
    one, _ = predict([M1], "one.xyz")
    two, _ = predict([M2], "two.xyz")
    ens, r = predict([M1, M2, M1], "ens3.xyz", "--member-columns")
    assert "an ensemble of 3 models" in r.stderr, r.stderr
    check_ensemble([M1, M2, M1], ens, [one, two, one])


def test_missing_element_names_model():
    """M2 knows only Ar: on the Ar/Kr mixture the message names M2 and Kr,
    whichever place it has in the ensemble; nothing is written."""
    if need_models():
        return need_models()
    out = os.path.join(WORK, "never.xyz")
    for models in ([M1, M2], [M2, M1]):
        r = tanne("predict", *models, MIX, "-o", out)
        assert r.returncode == 1, r.stderr
        assert f"model {M2}" in r.stderr and "element Kr" in r.stderr, r.stderr
        assert "mix.xyz, frame 1" in r.stderr, r.stderr
        assert M1 not in r.stderr.splitlines()[-1], r.stderr
    assert not os.path.exists(out), out
    # M1 alone knows both elements.
    r = tanne("predict", M1, MIX, "-o", os.path.join(WORK, "mix_pred.xyz"))
    assert r.returncode == 0, r.stderr


def test_usage_errors():
    if need_models():
        return need_models()
    out = os.path.join(WORK, "never.xyz")
    for args, text in (([M1, M2], "no input files after the 2 model files"),
                       ([M1], "need a model file and at least one input file"),
                       ([M1, AR, M2], "is a tanne model file after the inputs"),
                       ([AR, M1], "is a tanne model file after the inputs"),
                       ([M1, M2, AR, "--member"], "unknown option")):
        r = tanne("predict", *args, "-o", out)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert text in r.stderr, (args, r.stderr)
    assert not os.path.exists(out), out
    # Without any model file the first path is taken for the model.
    r = tanne("predict", AR, OPEN, "-o", out)
    assert r.returncode == 1 and "ar.xyz: not a tanne model file" in r.stderr, r.stderr


def test_bad_model_files():
    if need_models():
        return need_models()
    out = os.path.join(WORK, "never.xyz")
    corrupt, truncated = damaged_copies(M2, WORK)
    checkpoint = os.path.join(os.path.dirname(M2), "checkpoint.tnc")
    for bad, text in ((corrupt, "checksum"), (truncated, "truncated.tnm"),
                      (checkpoint, "checkpoint")):
        r = tanne("predict", M1, bad, AR, "-o", out)
        assert r.returncode == 1, (bad, r.stderr)
        assert os.path.basename(bad) in r.stderr and text in r.stderr, (bad, r.stderr)
    # A second model that does not exist is not a model by content: it is
    # read as data, and the reader names it.
    missing = os.path.join(WORK, "missing.tnm")
    r = tanne("predict", M1, missing, AR, "-o", out)
    assert r.returncode == 1 and "missing.tnm" in r.stderr, r.stderr
    assert not os.path.exists(out), out


def test_spread_columns_in_the_input():
    """An input that already has energy_std (say, an ensemble's earlier
    output): an ensemble keeps it as ref_energy_std; one model passes it
    through; a clash with ref_energy_std is an error."""
    if need_models():
        return need_models()
    prev = os.path.join(WORK, "prev.xyz")
    with open(prev, "w") as f:
        f.write("2\nProperties=species:S:1:pos:R:3:forces_std:R:1 energy_std=0.5\n"
                "Ar 0 0 0 0.25\nAr 3.8 0 0 0.125\n")
    out = os.path.join(WORK, "prev_pred.xyz")
    r = tanne("predict", M1, M2, prev, "-o", out)
    assert r.returncode == 0, r.stderr
    (info, arrays), = read_xyz(out)
    assert info["ref_energy_std"] == ["0.5"] and info["energy_std"] != ["0.5"], info
    assert arrays["ref_forces_std"] == [["0.25"], ["0.125"]], arrays
    r = tanne("predict", M1, prev, "-o", out)
    assert r.returncode == 0, r.stderr
    (info, arrays), = read_xyz(out)
    assert info["energy_std"] == ["0.5"] and "ref_energy_std" not in info, info
    assert arrays["forces_std"] == [["0.25"], ["0.125"]], arrays
    with open(prev, "w") as f:
        f.write("1\nProperties=species:S:1:pos:R:3 energy_std=0.5 ref_energy_std=0.25\n"
                "Ar 0 0 0\n")
    r = tanne("predict", M1, M2, prev, "-o", out)
    assert r.returncode == 1 and "'ref_energy_std'" in r.stderr, r.stderr


def main():
    if not os.path.exists(TANNE):
        print(f"  FAIL: {TANNE} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for fn in (test_setup, test_help, test_single_model_writes_no_spread, test_model_with_itself,
               test_two_models_match_numpy, test_three_models_match_numpy,
               test_missing_element_names_model, test_usage_errors, test_bad_model_files,
               test_spread_columns_in_the_input):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
