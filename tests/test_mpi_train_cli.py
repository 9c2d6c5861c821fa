#!/usr/bin/env python3
"""`mpirun -np R tanne train CONFIG.yaml`: data-parallel training. With the
same config (and so the same global batch) one rank and two ranks train the
same model, up to float32 round-off: the parameters in best.tnm and the
losses in metrics.csv agree. A batch that does not divide by the ranks
works (5 frames on 2 or 3 ranks; a slice may be empty). Only rank 0 prints
and writes: one metrics.csv row and one progress line per epoch. A run
resumed on two ranks ends bitwise where the uninterrupted two-rank run ends.
A config error on every rank is reported once. Skipped when mpirun is absent
or tanne was built without MPI. Ends with "N passed, N failed, N skipped".

Tolerance. The default build is float32 (tn_real float). Between one and two
ranks only the order of the gradient's additions changes: within a slice in
float, then the slices in double (rank 0's value + rank 1's), against all
frames in float. That is a relative difference of order 1e-7 in each
gradient, so each Adam step (size about lr = 5e-4) differs by ~1e-10, and
rounding the parameters to float adds an ulp (1.2e-7 relative). Measured
here: at most about 1 ulp (1.2e-7 for |p| ~ 1). The test allows
1e-5 (1 + |p|), about 100 ulps, and 1e-5 relative on the losses: far above
round-off, far below what a wrong normalisation gives (per-rank means weight
the frames of the 2- and 3-frame slices unequally: a relative change of order
1e-2 in the gradient, and the losses themselves are then means of the
wrong counts).

mpirun runs as root in CI only with OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM); a
container without ssh/rsh needs nothing more for local ranks (the plm
starts them by fork), and --oversubscribe lets 2 or 3 ranks share 2 cores.
Open MPI's libraries keep allocations until exit, which ASan's leak check
reports in the SANITIZE=1 build (build-san): the children run with
detect_leaks=0; other ASan errors still fail them."""
import csv
import os
import shutil
import struct
import subprocess
import sys
import tempfile

from cli_cases import TANNE, TINY_SCHNET, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-mpi-train-cli-")
WORK = TMP.name
DATA = os.path.join(WORK, "arkr.xyz")
MPIRUN = shutil.which("mpirun")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_btl="self,vader", OMPI_MCA_btl_vader_single_copy_mechanism="none",
           ASAN_OPTIONS=(os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":"))
PARAM_TOL = 1e-5
LOSS_TOL = 1e-5


def tanne(*args):
    return subprocess.run([TANNE, *args], capture_output=True, text=True, cwd=WORK, env=ENV,
                          timeout=300)


def mpirun(np, *args):
    return subprocess.run([MPIRUN, "--oversubscribe", "-np", str(np), TANNE, *args],
                          capture_output=True, text=True, cwd=WORK, env=ENV, timeout=300)


def config(name, batch_size=6, epochs=4):
    """A tiny SchNet on the Ar/Kr frames: energies and forces in the loss
    (loss.forces defaults to 10), one OpenMP thread per rank."""
    path = os.path.join(WORK, name + ".yaml")
    text = TINY_SCHNET.replace("epochs: 2", f"epochs: {epochs}").replace(
        "batch_size: 4", f"batch_size: {batch_size}\n  threads: 1")
    with open(path, "w") as f:
        f.write(f"# {name}\n{text}optimizer:\n  lr: 3.0e-3\n"
                f"data:\n  train: {DATA}\n  n_val: 4\n  n_test: 2\n"
                f"output:\n  dir: {os.path.join(WORK, name)}\n")
    return path


def params(run):
    """The parameters (doubles) of run/best.tnm: the 'params' section of the
    tagged container (src/core/tagfile.h)."""
    b = open(os.path.join(WORK, run, "best.tnm"), "rb").read()
    n, off = struct.unpack_from("<Q", b, 24)[0], 32
    for _ in range(n):
        tag = b[off:off + 16].rstrip(b"\0").decode()
        size = struct.unpack_from("<Q", b, off + 16)[0]
        if tag == "params":
            return struct.unpack_from(f"<{size // 8}d", b, off + 24)
        off += 24 + (size + 7) // 8 * 8
    raise AssertionError(f"{run}/best.tnm has no params section")


def metrics(run):
    with open(os.path.join(WORK, run, "metrics.csv"), newline="") as f:
        return list(csv.DictReader(f))


def train(np, name, *extra):
    r = mpirun(np, "train", os.path.join(WORK, name + ".yaml"), *extra)
    assert r.returncode == 0, f"-np {np} {name}: {r.stdout}\n{r.stderr}"
    return r


def compare(a, b, what):
    """Largest parameter difference over 1 + |p|, and the loss columns."""
    pa, pb = params(a), params(b)
    assert len(pa) == len(pb), what
    worst = max(abs(x - y) / (1 + abs(x)) for x, y in zip(pa, pb))
    print(f"  {what}: largest parameter difference {worst:.2e} (over 1 + |p|)")
    assert worst <= PARAM_TOL, f"{what}: parameters differ by {worst:.3g}"
    ma, mb = metrics(a), metrics(b)
    assert len(ma) == len(mb), what
    for ra, rb in zip(ma, mb):
        for col in ("train_loss", "val_loss", "val_forces_mae_eV_per_A"):
            x, y = float(ra[col]), float(rb[col])
            assert abs(x - y) <= LOSS_TOL * abs(x), f"{what}: epoch {ra['epoch']} {col} {x} {y}"


def test_one_and_two_ranks_agree():
    config("one", 6)
    config("two", 6)
    train(1, "one")
    r = train(2, "two")
    compare("one", "two", "1 vs 2 ranks, batch 6")
    # Only rank 0 prints and writes: one row and one progress line per epoch.
    assert [row["epoch"] for row in metrics("two")] == ["1", "2", "3", "4"]
    for e in range(1, 5):
        assert r.stderr.count(f"epoch {e}/4 ") == 1, r.stderr
    assert r.stdout.count("parallel: 2 ranks") == 1, r.stdout
    assert r.stdout.count("model: ") == 1 and r.stdout.count("training ") == 1, r.stdout
    for name in ("best.tnm", "checkpoint.tnc", "config.yaml", "split.txt", "test_metrics.csv"):
        assert os.path.exists(os.path.join(WORK, "two", name)), name


def test_uneven_batches():
    # 18 training frames in batches of 5 (5, 5, 5, 3): slices of 2+3 and 1+2
    # frames on two ranks, 1+2+2 and 1+1+1 on three.
    config("one5", 5)
    config("two5", 5)
    config("three5", 5)
    train(1, "one5")
    train(2, "two5")
    train(3, "three5")
    compare("one5", "two5", "1 vs 2 ranks, batch 5")
    compare("one5", "three5", "1 vs 3 ranks, batch 5")


def test_resume_on_two_ranks():
    config("whole", 6, 4)
    config("part", 6, 2)
    train(2, "whole")
    train(2, "part")
    r = train(2, "part", "--resume", "--set", "train.epochs=4")
    assert "resuming" in r.stdout, r.stdout
    assert params("part") == params("whole"), "a resumed two-rank run differs"
    assert [row["epoch"] for row in metrics("part")] == ["1", "2", "3", "4"]


def test_error_on_every_rank_is_reported_once():
    path = config("bad", 6)
    with open(path, "a") as f:
        f.write("bogus_key: 1\n")
    r = mpirun(2, "train", path)
    assert r.returncode != 0, r.stderr
    assert r.stderr.count("bogus_key") == 1, r.stderr
    assert "rank 1:" not in r.stderr, r.stderr


def test_plain_run_is_one_rank():
    config("plain", 6, 1)
    r = tanne("train", os.path.join(WORK, "plain.yaml"))
    assert r.returncode == 0, r.stderr
    assert "parallel:" not in r.stdout, r.stdout
    assert len(metrics("plain")) == 1


def main():
    if not os.path.exists(TANNE):
        print(f"  FAIL: {TANNE} not built")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    if not MPIRUN:
        print("  skip all: mpirun is absent (apt-get install openmpi-bin)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    help_text = tanne("train", "--help").stdout
    if "This build has MPI." not in help_text:
        print(f"  skip all: {TANNE} was built without MPI (libopenmpi-dev absent at build time)")
        print("0 passed, 0 failed, 1 skipped")
        return 0
    r = tanne("generate", "noble-gas", "--species", "Ar,Kr", "--fraction", "0.4", "--atoms", "16",
              "--frames", "24", "--equilibration", "100", "--interval", "20", "-o", DATA)
    if r.returncode != 0:
        print(f"  FAIL generate: {r.stderr}")
        print("0 passed, 1 failed, 0 skipped")
        return 1
    for fn in (test_one_and_two_ranks_agree, test_uneven_batches, test_resume_on_two_ranks,
               test_error_on_every_rank_is_reported_once, test_plain_run_is_one_rank):
        case(fn)
    return finish()


if __name__ == "__main__":
    sys.exit(main())
