#!/usr/bin/env python3
"""`tanne learning-curve` and `tanne finetune` as a user meets them, on the
built-in data (40 frames of liquid argon) with a tiny SchNet: one run per
variant and size, a fixed test set, nested seeded subsets (checked against a
shuffle computed here, xoshiro256** seeded by splitmix64 as src/core/rng.c
documents), re-runs that collect instead of retraining, runs of another
config or other frames that are refused, the CSV, Markdown and SVG outputs,
and usage and data errors that name the option or file. Ends with
"N passed, N failed, N skipped"."""
import csv
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.dom.minidom

from cli_cases import TANNE, TINY_SCHNET, case, finish
TMP = tempfile.TemporaryDirectory(prefix="tanne-lc-cli-")
WORK = TMP.name
OUT = os.path.join(WORK, "lc")
SIZES = [5, 10, 20]
N_FRAMES, N_TEST = 40, 10  # the built-in data; data.n_test below

AR40 = os.path.join(WORK, "ar40.xyz")  # 40 frames of 32-atom liquid argon
TINY = f"""# a tiny SchNet: 2 epochs, 10 test frames of 40
""" + TINY_SCHNET + f"""data:
  n_test: 10
  train: {AR40}
"""


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK)


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


# ---------------------------------------------------------------- the shuffle

M64 = (1 << 64) - 1


def rng_stream(seed):
    """xoshiro256** (Blackman & Vigna 2018) with its state from splitmix64."""
    x = seed
    s = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & M64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        s.append(z ^ (z >> 31))

    def rotl(v, k):
        return ((v << k) | (v >> (64 - k))) & M64

    while True:
        out = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        yield out


def shuffled(n, seed):
    """0..n-1 after the Fisher-Yates pass of tn_split_make."""
    order = list(range(n))
    draws = rng_stream(seed)
    for k in range(n - 1, 0, -1):
        m = next(draws) % (k + 1)
        order[k], order[m] = order[m], order[k]
    return order


def expected_split(size, seed, data_seed=1, val_fraction=0.1):
    """(train, val, test) frame lists of one size, as the help describes them."""
    test = shuffled(N_FRAMES, data_seed)[:N_TEST]
    pool = sorted(set(range(N_FRAMES)) - set(test))
    order = [pool[p] for p in shuffled(len(pool), seed)]
    n_val = max(1, min(size - 1, math.ceil(val_fraction * size - 1e-9)))
    return order[n_val:size], order[:n_val], test


def read_split(path):
    """{'frames': n, 'seed': s, 'train': [...], 'val': [...], 'test': [...]}"""
    tokens = re.sub(r"#.*", "", open(path).read()).split()
    out, k = {}, 0
    while k < len(tokens):
        key, count = tokens[k], int(tokens[k + 1])
        if key in ("frames", "seed"):
            out[key] = count
            k += 2
        else:
            out[key] = [int(t) for t in tokens[k + 2:k + 2 + count]]
            k += 2 + count
    return out


def csv_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def run_dir(out, variant, size):
    return os.path.join(out, variant, f"n{size}")


# ---------------------------------------------------------------------- tests


def test_help():
    r = tanne("learning-curve", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: tanne learning-curve"), r.stdout
    for word in ("--sizes", "--out", "--val-fraction", "--seed", "--names", "--set",
                 "learning_curve.csv", "learning_curve_energy.svg", "nested", "ceil(F*N)"):
        assert word in r.stdout, word
    r = tanne("finetune", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: tanne finetune"), r.stdout
    assert "finetune.init_from" in r.stdout, r.stdout
    r = tanne("--help")
    for cmd in ("learning-curve", "finetune"):
        assert re.search(rf"^  {cmd}\s", r.stdout, re.M), r.stdout


def test_usage_errors():
    cfg = write("scratch.yaml", TINY)
    for args, text in ((["scratch.yaml"], "--sizes is required"),
                       (["--sizes", "5,10"], "no config file"),
                       (["--sizes", "50,25", cfg], "--sizes: 25 after 50"),
                       (["--sizes", "10,10", cfg], "--sizes: 10 after 10"),
                       (["--sizes", "0", cfg], "--sizes: '0' is not a positive integer"),
                       (["--sizes", "-5", cfg], "--sizes: '-5'"),
                       (["--sizes", "5, 10", cfg], "--sizes: ' 10'"),
                       (["--sizes", "+5", cfg], "--sizes: '+5'"),
                       (["--sizes", "abc", cfg], "--sizes: 'abc' is not a positive integer"),
                       (["--sizes", "5,,10", cfg], "--sizes"),
                       (["--sizes", "1", cfg], "--sizes: size 1 is too small"),
                       (["--sizes", "5", "--val-fraction", "1", cfg], "--val-fraction"),
                       (["--sizes", "5", "--val-fraction", "x", cfg], "--val-fraction"),
                       (["--sizes", "5", "--seed", "-1", cfg], "--seed"),
                       (["--sizes", "5", "--names", "a,b", cfg], "--names: more names than the 1"),
                       (["--sizes", "5", "--names", "a", cfg, cfg], "--names: 1 names for 2"),
                       (["--sizes", "5", "--names", "a/b", cfg], "--names: 'a/b'"),
                       (["--sizes", "5", cfg, cfg], "two variants are named 'scratch'"),
                       (["--sizes", "5", "--bogus", cfg], "unknown option '--bogus'"),
                       (["--sizes"], "needs a value")):
        r = tanne("learning-curve", *args)
        assert r.returncode == 2, f"{args}: exit {r.returncode}: {r.stderr}"
        assert text in r.stderr, f"{args}: {r.stderr!r}"
    for args, text in (([], "no model file"), (["m.tnm"], "no config file"),
                       (["m.tnm", "c.yaml", "x"], "unexpected argument 'x'"),
                       (["m.tnm", "c.yaml", "--bogus"], "unknown option")):
        r = tanne("finetune", *args)
        assert r.returncode == 2, f"{args}: exit {r.returncode}: {r.stderr}"
        assert text in r.stderr, f"{args}: {r.stderr!r}"
    assert not os.path.exists(os.path.join(WORK, "learning-curve")), "a usage error made files"


def test_curve():
    scratch = write("scratch.yaml", TINY)
    wide = write("wide.yaml", TINY.replace("features: 8", "features: 12"))
    r = tanne("learning-curve", "--sizes", ",".join(map(str, SIZES)), "--out", OUT, scratch, wide)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = csv_rows(os.path.join(OUT, "learning_curve.csv"))
    assert list(rows[0].keys()) == [
        "variant", "size", "n_train", "n_val", "epochs", "minutes", "energy_mae_meV",
        "energy_rmse_meV", "forces_mae_meV_per_A", "forces_rmse_meV_per_A"], rows[0].keys()
    assert [(row["variant"], int(row["size"])) for row in rows] == \
        [(v, n) for v in ("scratch", "wide") for n in SIZES], rows
    for row in rows:
        n, n_val = int(row["size"]), int(row["n_val"])
        assert n_val == math.ceil(0.1 * n) and int(row["n_train"]) == n - n_val, row
        assert int(row["epochs"]) == 2, row
        for key in ("energy_mae_meV", "energy_rmse_meV", "forces_mae_meV_per_A",
                    "forces_rmse_meV_per_A"):
            assert math.isfinite(float(row[key])) and float(row[key]) > 0, (key, row)
        assert float(row["energy_rmse_meV"]) >= float(row["energy_mae_meV"]), row
        # The CSV holds what the run's own test report says.
        test = {t["name"]: t for t in csv_rows(os.path.join(run_dir(OUT, row["variant"], n),
                                                            "test_metrics.csv"))}
        assert int(test["energy"]["n"]) == N_TEST and test["energy"]["unit"] == "meV", test
        assert float(test["energy"]["mae"]) == float(row["energy_mae_meV"]), (test, row)
        assert float(test["forces"]["mae"]) == float(row["forces_mae_meV_per_A"]), (test, row)
    # Every run folder is a complete `tanne train` folder.
    for v in ("scratch", "wide"):
        for n in SIZES:
            d = run_dir(OUT, v, n)
            for name in ("best.tnm", "checkpoint.tnc", "metrics.csv", "config.yaml", "split.txt",
                         "test_metrics.csv"):
                assert os.path.isfile(os.path.join(d, name)), (d, name)
            saved = open(os.path.join(d, "config.yaml")).read()
            assert f'dir: "{d}"' in saved and f'split: "{d}/split.txt"' in saved, saved
            assert re.search(r"features: %d\b" % (8 if v == "scratch" else 12), saved), saved
    md = open(os.path.join(OUT, "learning_curve.md")).read()
    assert "| size | train | val | scratch E (meV) | scratch F (meV/Å) | wide E (meV) |" in md, md
    for n in SIZES:
        assert re.search(rf"^\| {n} \| {n - math.ceil(0.1 * n)} \| {math.ceil(0.1 * n)} \|"
                         r"( [0-9.e+-]+ \|){4}$", md, re.M), md
    assert "| 5 | 4 | 1 |" in r.stdout, r.stdout
    for kind in ("energy", "forces"):
        doc = xml.dom.minidom.parse(os.path.join(OUT, f"learning_curve_{kind}.svg"))
        assert doc.documentElement.tagName == "svg", kind
        text = doc.toxml()
        assert "scratch" in text and "wide" in text, kind
    # Progress: one announcement and one result line per run.
    assert r.stderr.count("tanne learning-curve: variant ") == 2 * 2 * len(SIZES), r.stderr
    assert len(re.findall(r"^epoch 1/2 ", r.stderr, re.M)) == 2 * len(SIZES), r.stderr


def test_splits_fixed_nested_seeded():
    if not os.path.exists(os.path.join(OUT, "learning_curve.csv")):
        return "the curve run failed"
    for v in ("scratch", "wide"):
        for n in SIZES:
            s = read_split(os.path.join(run_dir(OUT, v, n), "split.txt"))
            train, val, test = expected_split(n, seed=1)
            assert s["frames"] == N_FRAMES and s["seed"] == 1, s
            assert (s["train"], s["val"], s["test"]) == (train, val, test), (v, n, s)
    # The same test set everywhere; subsets nested; the same frames for every variant.
    splits = {(v, n): read_split(os.path.join(run_dir(OUT, v, n), "split.txt"))
              for v in ("scratch", "wide") for n in SIZES}
    tests = {tuple(s["test"]) for s in splits.values()}
    assert len(tests) == 1, tests
    for v in ("scratch", "wide"):
        used = [set(splits[(v, n)]["train"] + splits[(v, n)]["val"]) for n in SIZES]
        assert all(a < b for a, b in zip(used, used[1:])), used
        assert not used[-1] & set(splits[(v, 5)]["test"]), used
    for n in SIZES:
        a = open(os.path.join(run_dir(OUT, "scratch", n), "split.txt")).read()
        assert a == open(os.path.join(run_dir(OUT, "wide", n), "split.txt")).read(), n


def test_other_seed():
    """--seed 2 draws other subsets (the test set stays), as computed here."""
    out = os.path.join(WORK, "lc_seed2")
    cfg = write("scratch.yaml", TINY)
    r = tanne("learning-curve", "--sizes", "5,10", "--seed", "2", "--out", out, "--set",
              "train.epochs=1", cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    for n in (5, 10):
        s = read_split(os.path.join(run_dir(out, "scratch", n), "split.txt"))
        train, val, test = expected_split(n, seed=2)
        assert (s["train"], s["val"], s["test"], s["seed"]) == (train, val, test, 2), s
        other = read_split(os.path.join(run_dir(OUT, "scratch", n), "split.txt"))
        assert s["test"] == other["test"] and s["train"] + s["val"] != \
            other["train"] + other["val"], (s, other)


def test_rerun_collects():
    if not os.path.exists(os.path.join(OUT, "learning_curve.csv")):
        return "the curve run failed"
    scratch, wide = os.path.join(WORK, "scratch.yaml"), os.path.join(WORK, "wide.yaml")
    write("wide.yaml", TINY.replace("features: 8", "features: 12"))
    write("scratch.yaml", TINY)
    before = open(os.path.join(OUT, "learning_curve.csv")).read()
    mtimes = {p: os.stat(p).st_mtime_ns for p in
              (os.path.join(run_dir(OUT, v, n), "best.tnm") for v in ("scratch", "wide")
               for n in SIZES)}
    # Another thread count does not change what a run is.
    r = tanne("learning-curve", "--sizes", ",".join(map(str, SIZES)), "--out", OUT, scratch, wide,
              "--set", "train.threads=1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "epoch " not in r.stderr and r.stderr.count("collected") == 6, r.stderr
    assert open(os.path.join(OUT, "learning_curve.csv")).read() == before
    for p, t in mtimes.items():
        assert os.stat(p).st_mtime_ns == t, f"{p} rewritten"
    # A subset of the sizes and variants also just collects.
    r = tanne("learning-curve", "--sizes", "10", "--out", OUT, wide)
    assert r.returncode == 0 and "epoch " not in r.stderr, r.stderr
    rows = csv_rows(os.path.join(OUT, "learning_curve.csv"))
    assert [(row["variant"], row["size"]) for row in rows] == [("wide", "10")], rows


def test_parallel_variants_then_collect():
    """Two processes on disjoint variants share --out; a third collects."""
    out = os.path.join(WORK, "lc_parallel")
    scratch = write("scratch.yaml", TINY)
    wide = write("wide.yaml", TINY.replace("features: 8", "features: 12"))
    common = ["--sizes", "5,10", "--out", out, "--set", "train.threads=1"]
    procs = [subprocess.Popen([TANNE, "learning-curve", *common, cfg], cwd=WORK,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cfg in (scratch, wide)]
    for p in procs:
        stdout, stderr = p.communicate()
        assert p.returncode == 0, stdout + stderr
    r = tanne("learning-curve", "--sizes", "5,10", "--out", out, scratch, wide)
    assert r.returncode == 0 and "epoch " not in r.stderr, r.stderr
    rows = csv_rows(os.path.join(out, "learning_curve.csv"))
    assert len(rows) == 4 and all(math.isfinite(float(row["forces_mae_meV_per_A"]))
                                  for row in rows), rows
    # The same seed in another folder: the same split files.
    if os.path.exists(OUT):
        for n in (5, 10):
            assert open(os.path.join(run_dir(out, "wide", n), "split.txt")).read() == \
                open(os.path.join(run_dir(OUT, "wide", n), "split.txt")).read()


def test_locks():
    """Two processes on the same variant never train one run together: the
    second waits for the first's lock, then collects. A lock left by a
    process that is gone is taken over."""
    out = os.path.join(WORK, "lc_locks")
    scratch = write("scratch.yaml", TINY)
    args = [TANNE, "learning-curve", "--sizes", "5", "--out", out, scratch]
    os.makedirs(os.path.join(out, "scratch"))
    lock = run_dir(out, "scratch", 5) + ".lock"
    dead = subprocess.Popen(["true"])  # a process id that is no longer running
    dead.wait()
    with open(lock, "w") as f:
        f.write(f"{dead.pid}\n")
    r = subprocess.run(args, cwd=WORK, capture_output=True, text=True)
    assert r.returncode == 0 and "is gone; taking the run over" in r.stderr, r.stderr
    assert not os.path.exists(lock)
    # A live owner (this test): the command waits until the lock goes.
    shutil.rmtree(os.path.join(out, "scratch"))
    os.makedirs(os.path.join(out, "scratch"))
    with open(lock, "w") as f:
        f.write(f"{os.getpid()}\n")
    p = subprocess.Popen(args, cwd=WORK, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.wait(timeout=3)
        assert False, "did not wait for the lock: " + p.stderr.read()
    except subprocess.TimeoutExpired:
        pass
    assert not os.path.exists(os.path.join(run_dir(out, "scratch", 5), "best.tnm"))
    os.unlink(lock)
    stdout, stderr = p.communicate(timeout=60)
    assert p.returncode == 0 and f"process {os.getpid()} is training" in stderr, stderr
    assert os.path.exists(os.path.join(run_dir(out, "scratch", 5), "best.tnm"))


def test_other_config_or_frames_refused():
    if not os.path.exists(os.path.join(OUT, "learning_curve.csv")):
        return "the curve run failed"
    scratch = write("scratch.yaml", TINY)
    before = open(os.path.join(OUT, "learning_curve.csv")).read()
    r = tanne("learning-curve", "--sizes", "5", "--out", OUT, scratch, "--set", "train.epochs=3")
    assert r.returncode == 1, r.stdout + r.stderr
    assert run_dir(OUT, "scratch", 5) in r.stderr and "'epochs: 2' there, 'epochs: 3' now" \
        in r.stderr, r.stderr
    r = tanne("learning-curve", "--sizes", "5", "--out", OUT, "--seed", "3", scratch)
    assert r.returncode == 1, r.stdout + r.stderr
    assert run_dir(OUT, "scratch", 5) in r.stderr and "split.txt differs" in r.stderr, r.stderr
    r = tanne("learning-curve", "--sizes", "5", "--out", OUT, "--val-fraction", "0.5", scratch)
    assert r.returncode == 1 and "split.txt differs" in r.stderr, r.stderr
    other = write("other.yaml", TINY.replace("n_test: 10", "n_test: 11"))
    r = tanne("learning-curve", "--sizes", "5", "--out", OUT, "--names", "scratch", other)
    assert r.returncode == 1 and "'n_test: 10' there, 'n_test: 11' now" in r.stderr, r.stderr
    assert open(os.path.join(OUT, "learning_curve.csv")).read() == before, "outputs rewritten"
    # A folder with a model but no config.yaml is not ours.
    out = os.path.join(WORK, "lc_foreign")
    os.makedirs(run_dir(out, "scratch", 5))
    open(os.path.join(run_dir(out, "scratch", 5), "best.tnm"), "w").close()
    r = tanne("learning-curve", "--sizes", "5", "--out", out, scratch)
    assert r.returncode == 1 and "no config.yaml" in r.stderr, r.stderr


def test_unfinished_run_restarts():
    out = os.path.join(WORK, "lc_seed2")
    if not os.path.exists(os.path.join(out, "learning_curve.csv")):
        return "the seed-2 run failed"
    scratch = write("scratch.yaml", TINY)
    args = ["--sizes", "5,10", "--seed", "2", "--out", out, "--set", "train.epochs=1", scratch]
    kept = os.stat(os.path.join(run_dir(out, "scratch", 5), "best.tnm")).st_mtime_ns
    os.remove(os.path.join(run_dir(out, "scratch", 10), "test_metrics.csv"))
    r = tanne("learning-curve", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "size 10 (9 train, 1 validation): an unfinished run, started afresh" in r.stderr, \
        r.stderr
    assert len(re.findall(r"^epoch 1/1 ", r.stderr, re.M)) == 1, r.stderr
    assert os.stat(os.path.join(run_dir(out, "scratch", 5), "best.tnm")).st_mtime_ns == kept
    assert os.path.isfile(os.path.join(run_dir(out, "scratch", 10), "test_metrics.csv"))


def test_data_errors():
    scratch = write("scratch.yaml", TINY)
    out = os.path.join(WORK, "lc_errors")
    r = tanne("learning-curve", "--sizes", "5,31", "--out", out, scratch)
    assert r.returncode == 1, r.stderr
    assert "--sizes: size 31 is more than the 30 frames of the pool (" + AR40 in r.stderr, r.stderr
    other = write("other.yaml", TINY.replace("n_test: 10", "n_test: 5"))
    r = tanne("learning-curve", "--sizes", "5", "--out", out, scratch, other)
    assert r.returncode == 1 and "data.n_test differs" in r.stderr and "other.yaml" in r.stderr, \
        r.stderr
    other = write("other.yaml", TINY.replace(AR40, "elsewhere.xyz"))
    r = tanne("learning-curve", "--sizes", "5", "--out", out, scratch, other)
    assert r.returncode == 1 and "data.train differs" in r.stderr, r.stderr
    other = write("other.yaml", TINY + "  validation: v.xyz\n")
    r = tanne("learning-curve", "--sizes", "5", "--out", out, other)
    assert r.returncode == 1 and "other.yaml: data.validation is set" in r.stderr, r.stderr
    other = write("other.yaml", TINY.replace("n_test: 10", "n_test: 0"))
    r = tanne("learning-curve", "--sizes", "5", "--out", out, other)
    assert r.returncode == 1 and "no test set" in r.stderr, r.stderr
    other = write("other.yaml", TINY.replace("n_test: 10", "n_test: 40"))
    r = tanne("learning-curve", "--sizes", "5", "--out", out, other)
    assert r.returncode == 1 and "data.n_test (40)" in r.stderr, r.stderr
    r = tanne("learning-curve", "--sizes", "5", "--out", out, os.path.join(WORK, "missing.yaml"))
    assert r.returncode == 1 and "missing.yaml" in r.stderr, r.stderr
    r = tanne("learning-curve", "--sizes", "5", "--out", out, scratch, "--set", "model.bogus=1")
    assert r.returncode == 1 and "model.bogus" in r.stderr, r.stderr
    r = tanne("learning-curve", "--sizes", "5", "--out", "/proc/no-such-dir/lc", scratch)
    assert r.returncode == 1 and "/proc/no-such-dir" in r.stderr, r.stderr
    assert not os.path.exists(out), "a data error made the output folder"


def test_builtin_data():
    """With data.train empty: the built-in 40 frames, split the same way."""
    out = os.path.join(WORK, "lc_builtin")
    cfg = write("builtin.yaml", TINY.replace(f"  train: {AR40}\n", ""))
    r = tanne("learning-curve", "--sizes", "8", "--seed", "4", "--out", out, "--set",
              "train.epochs=1", cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "built-in data" in r.stderr, r.stderr
    s = read_split(os.path.join(run_dir(out, "builtin", 8), "split.txt"))
    train, val, test = expected_split(8, seed=4)
    assert (s["frames"], s["train"], s["val"], s["test"]) == (40, train, val, test), s
    rows = csv_rows(os.path.join(out, "learning_curve.csv"))
    assert len(rows) == 1 and int(rows[0]["n_train"]) == 7, rows
    assert math.isfinite(float(rows[0]["energy_mae_meV"])), rows


def test_test_set_from_file_and_names():
    """data.test names a file: the whole of data.train is the pool, split.txt
    has no test frames, and --names names the variants."""
    ar = os.path.join(WORK, "ar.xyz")
    r = tanne("generate", "noble-gas", "--atoms", "32", "--frames", "3", "--equilibration", "50",
              "--interval", "10", "--seed", "5", "-o", ar)
    assert r.returncode == 0, r.stderr
    cfg = write("file.yaml", TINY.replace("n_test: 10", f"test: {ar}"))
    out = os.path.join(WORK, "lc_file")
    r = tanne("learning-curve", "--sizes", "40", "--names", "all-frames", "--out", out, "--set",
              "train.epochs=1", cfg)
    assert r.returncode == 0, r.stdout + r.stderr
    s = read_split(os.path.join(run_dir(out, "all-frames", 40), "split.txt"))
    assert s["test"] == [] and sorted(s["train"] + s["val"]) == list(range(40)), s
    assert len(s["val"]) == 4, s
    test = {t["name"]: t for t in csv_rows(os.path.join(run_dir(out, "all-frames", 40),
                                                        "test_metrics.csv"))}
    assert int(test["energy"]["n"]) == 3 and int(test["forces"]["n"]) == 3 * 32 * 3, test
    rows = csv_rows(os.path.join(out, "learning_curve.csv"))
    assert [(row["variant"], row["size"]) for row in rows] == [("all-frames", "40")], rows


def test_finetune():
    write("scratch.yaml", TINY)
    missing = os.path.join(WORK, "no-such-model.tnm")
    r = tanne("finetune", missing, "scratch.yaml")
    assert r.returncode == 1 and "no-such-model.tnm" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(WORK, "tanne-run")), "a failed run made its folder"
    parent = os.path.join(run_dir(OUT, "scratch", 5), "best.tnm")
    if not os.path.exists(parent):
        return "no parent model (the curve run failed)"
    # A damaged parent is named too.
    bad = os.path.join(WORK, "damaged.tnm")
    data = bytearray(open(parent, "rb").read())
    data[len(data) // 2] ^= 0x40
    open(bad, "wb").write(data)
    r = tanne("finetune", bad, "scratch.yaml")
    assert r.returncode == 1 and "damaged.tnm" in r.stderr, r.stderr
    run = os.path.join(WORK, "ft")
    r = tanne("finetune", parent, "scratch.yaml", "--set", f"output.dir={run}", "--set",
              "train.epochs=1", "--set", "data.n_val=5", "--set", "finetune.freeze=embedding",
              "--set", "data.theory=LJ")
    assert r.returncode == 0, r.stdout + r.stderr
    saved = open(os.path.join(run, "config.yaml")).read()
    assert f'init_from: "{parent}"' in saved, saved
    # The saved config is the one used: the parent's architecture.
    info = tanne("info", parent).stdout
    arch = re.search(r"model\s+(\S+), (\d+) features", info)
    assert arch and re.search(rf'type: "{arch.group(1)}"', saved), (info, saved)
    r = tanne("info", os.path.join(run, "best.tnm"))
    assert f"    parent: {parent}" in r.stdout and "theory: LJ" in r.stdout, r.stdout
    assert "--- parent's lineage" in r.stdout, r.stdout
    # --set comes after MODEL, so it wins.
    r = tanne("finetune", parent, "scratch.yaml", "--set", f"output.dir={run}", "--set",
              "train.epochs=1", "--set", "data.n_val=5", "--set", f"finetune.init_from={missing}")
    assert r.returncode == 1 and "no-such-model.tnm" in r.stderr, r.stderr
    # A fine-tuning variant in a curve: run, then collected (its saved
    # model.* keys are the parent's, not the config's defaults).
    write("tuned.yaml", TINY + f"finetune:\n  init_from: {parent}\n")
    args = ("learning-curve", "--sizes", "6,12", "--out", "ft-curve", "tuned.yaml")
    r = tanne(*args)
    assert r.returncode == 0, r.stdout + r.stderr
    model = os.path.join(run_dir(os.path.join(WORK, "ft-curve"), "tuned", 12), "best.tnm")
    stamp = os.stat(model).st_mtime_ns
    r = tanne(*args)
    assert r.returncode == 0 and os.stat(model).st_mtime_ns == stamp, r.stderr

def main():
    if not os.path.exists(TANNE):
        print(f"  FAIL: {TANNE} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    r = tanne("generate", "noble-gas", "--atoms", "32", "--frames", "40", "--equilibration",
              "50", "--interval", "10", "--seed", "5", "-o", AR40)
    if r.returncode != 0:
        print(f"  FAIL: cannot generate {AR40}: {r.stderr}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for fn in (test_help, test_usage_errors, test_curve, test_splits_fixed_nested_seeded,
               test_other_seed, test_rerun_collects, test_parallel_variants_then_collect,
               test_locks, test_other_config_or_frames_refused, test_unfinished_run_restarts,
               test_data_errors, test_builtin_data, test_test_set_from_file_and_names,
               test_finetune):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
