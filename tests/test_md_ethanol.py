#!/usr/bin/env python3
"""Acceptance: NVE on a trained SchNet. A SchNet (32 features, 3
interactions, 5 Å) trained for 120 epochs on 950 frames of rMD17 ethanol
(PBE, energies and forces; about 40 s on one thread) runs 10 ps of NVE at
dt = 0.5 fs from a test frame with 300 K Maxwell-Boltzmann velocities. The
documented bound: |E_tot(t) - E_tot(0)| stays within 1e-3 eV/atom for the
whole run, and the run stays stable under the monitor's defaults. Measured
(float32 build): largest 2.9e-4 eV/atom, final 1.1e-4; the excursions are
velocity Verlet's bounded shadow-energy error (they shrink as dt²: 7.5e-5 at
0.25 fs, 1.3e-5 at 0.1 fs on a larger model), not a trend. Then `tanne
stability` from three other frames: all stable over 2 ps.

Under the sanitizer build the model is trained with the plain build's tanne
(build/tanne, if it exists: ASan makes training several times slower), and
the MD runs with the binary under test. Ends with "N passed, N failed, N
skipped"."""
import csv
import os
import subprocess
import sys
import tempfile

from cli_cases import TANNE, case, finish

TMP = tempfile.TemporaryDirectory(prefix="tanne-md-ethanol-")
WORK = TMP.name
DATA = os.path.abspath(os.path.join(os.environ.get("TANNE_DATA", "../shared/data"), "rmd17"))
TRAIN = os.path.join(DATA, "rmd17_ethanol_train_01.npz")
TEST = os.path.join(DATA, "rmd17_ethanol_test_01.npz")
PLAIN = os.path.join(os.path.dirname(os.path.dirname(TANNE)), "build", "tanne")
TRAINER = PLAIN if "build-san" in TANNE and os.path.exists(PLAIN) else TANNE
BOUND = 1e-3  # eV/atom
CONFIG = f"""data:
  train: {TRAIN}
  n_val: 50
  n_test: 0
model:
  type: schnet
  features: 32
  interactions: 3
  n_basis: 16
  cutoff: 5.0
loss:
  energy: 1.0
  forces: 10.0
optimizer:
  lr: 2.0e-3
  ema: 0.99
schedule:
  type: plateau
  factor: 0.5
  patience: 10
train:
  epochs: 120
  batch_size: 16
  threads: 1
output:
  dir: {WORK}/schnet
seed: 1
"""


def run(binary, *args):
    return subprocess.run([binary, *args], capture_output=True, text=True, cwd=WORK,
                          timeout=900)


def test_nve_drift_within_bound():
    if not (os.path.exists(TRAIN) and os.path.exists(TEST)):
        return f"rMD17 ethanol absent under {DATA}"
    cfg = os.path.join(WORK, "schnet.yaml")
    with open(cfg, "w") as f:
        f.write(CONFIG)
    r = run(TRAINER, "train", cfg)
    assert r.returncode == 0, r.stderr[-2000:]
    model = os.path.join(WORK, "schnet", "best.tnm")
    out = os.path.join(WORK, "nve")
    r = run(TANNE, "md", model, TEST, "--dt", "0.5", "--temperature", "300", "--steps", "20000",
            "--threads", "1", "--traj-every", "0", "--max-drift", str(BOUND), "-o", out)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    with open(os.path.join(out, "thermo.csv")) as f:
        rows = list(csv.DictReader(f))
    assert int(rows[-1]["step"]) == 20000 and float(rows[-1]["time_fs"]) == 10000.0
    drift = [abs(float(x["drift_eV_per_atom"])) for x in rows]
    print(f"    10 ps NVE: largest |drift| {max(drift):.2e} eV/atom, final {drift[-1]:.2e}; "
          f"T {sum(float(x['temperature_K']) for x in rows) / len(rows):.0f} K mean")
    assert max(drift) <= BOUND, max(drift)
    assert all(x["bonds_broken"] == "0" for x in rows)

    stab = os.path.join(WORK, "stability")
    r = run(TANNE, "stability", model, TEST, "--runs", "3", "--steps", "4000", "--dt", "0.5",
            "--temperature", "300", "--threads", "1", "--seed", "11", "-o", stab)
    assert r.returncode == 0, r.stderr[-2000:]
    with open(os.path.join(stab, "summary.csv")) as f:
        s = list(csv.DictReader(f))[0]
    assert s["stable"] == "3", s


if __name__ == "__main__":
    case(test_nve_drift_within_bound)
    sys.exit(finish())
