#!/usr/bin/python3
"""Checks the PyTorch BPNN of torch_bpnn.py against n2p2 itself, not only
against tanne: on the n2p2 fixtures (../shared/fixtures/n2p2, README.md
there), whose potentials use narrow (type 3) and wide (type 9) angular
functions and cutoff types 2 (tanhu) and 6 (poly2) that the bench's default
model does not, it compares torch's energies and forces with n2p2's own
predictions (expected_energy.txt, expected_forces.txt).

Usage: torch_bpnn_n2p2.py MODEL.tnm FIXTURE_DIR ENERGY_UNIT LENGTH_UNIT
MODEL.tnm is the fixture imported by a DOUBLE=1 build (float64 weights):
  build-double/tanne import-n2p2 DIR -o MODEL.tnm --energy-unit Hartree \\
      --length-unit Bohr
and the units are eV and Å per unit of the files (H2O: 27.211386245988
0.529177210903; Cu2S: 1 1). The neighbour lists are built here by brute
force over periodic images. Exit status 1 when an error exceeds 1e-10
(energies relative, forces relative to the frame's largest component)."""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch_models as tm  # noqa: E402

TOL = 1e-10


def read_frames(path, lu):
    """n2p2 input.data: (cell [3][3] or None, symbols, positions Å)."""
    frames, cell, sym, pos = [], [], [], []
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == "begin":
            cell, sym, pos = [], [], []
        elif w[0] == "lattice":
            cell.append([float(x) * lu for x in w[1:4]])
        elif w[0] == "atom":
            pos.append([float(x) * lu for x in w[1:4]])
            sym.append(w[4])
        elif w[0] == "end":
            frames.append((np.array(cell) if cell else None, sym, np.array(pos)))
    return frames


def neighbors(cell, pos, rc):
    """Every (i, j, offset) with 0 < |pos[j] + offset - pos[i]| < rc."""
    if cell is None:
        shifts = np.zeros((1, 3))
    else:
        recip = np.linalg.inv(cell).T  # rows: reciprocal vectors b*_k, a_l . b*_k = δ_kl
        n = [int(math.ceil(rc * np.linalg.norm(recip[k]))) for k in range(3)]
        grid = np.mgrid[-n[0] : n[0] + 1, -n[1] : n[1] + 1, -n[2] : n[2] + 1].reshape(3, -1).T
        shifts = grid @ cell
    ei, ej, off = [], [], []
    for s in shifts:
        d = pos[None, :, :] + s - pos[:, None, :]  # [i][j][3]
        r = np.linalg.norm(d, axis=2)
        i, j = np.nonzero((r < rc) & (r > 1e-8))
        ei.append(i)
        ej.append(j)
        off.append(np.repeat(s[None, :], len(i), axis=0))
    return np.concatenate(ei), np.concatenate(ej), np.concatenate(off)


class FrameGraph:
    """The attributes of torch_models.Graph for one frame."""

    def __init__(self, net, model, symbols, pos, ei, ej, off, index):
        self.n_frames, self.n_atoms = 1, len(symbols)
        self.types = torch.tensor([index[s] for s in symbols], dtype=torch.int64)
        self.pos = torch.from_numpy(pos)
        self.ei, self.ej = torch.from_numpy(ei), torch.from_numpy(ej)
        self.offset = torch.from_numpy(off)
        self.frame = torch.zeros(self.n_atoms, dtype=torch.int64)
        self.shift_sum = float(sum(model["shifts"][t] for t in self.types.tolist()))
        net.prepare(self)


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    model = tm.read_model(sys.argv[1])
    fix, eu, lu = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    net = tm.make_net(model, torch.float64)
    text = model["sections"]["bpnn"].decode()
    symbols = [ln.split()[1] for ln in text.splitlines() if ln.startswith("element")]
    index = {s: q for q, s in enumerate(symbols)}
    frames = read_frames(os.path.join(fix, "reference.data"), lu)
    e_want = np.loadtxt(os.path.join(fix, "expected_energy.txt"))[:, 2] * eu
    f_want = np.loadtxt(os.path.join(fix, "expected_forces.txt"))[:, 6:9] * eu / lu
    worst_e = worst_f = 0.0
    at = 0
    for q, (cell, sym, pos) in enumerate(frames):
        ei, ej, off = neighbors(cell, pos, model["cutoff"])
        g = FrameGraph(net, model, sym, pos, ei, ej, off, index)
        e, f = tm.energy_forces(net, model["scale"], g)
        e_tot = float(e[0]) + g.shift_sum
        fw = f_want[at : at + len(sym)]
        at += len(sym)
        re = abs(e_tot - e_want[q]) / abs(e_want[q])
        rf = float(np.max(np.abs(f.detach().numpy() - fw)) / np.max(np.abs(fw)))
        worst_e, worst_f = max(worst_e, re), max(worst_f, rf)
        print(f"  frame {q + 1}: {len(sym)} atoms, {len(ei)} edges, {len(g.bp_k1)} triplets: "
              f"E {e_tot:.10f} eV (n2p2 {e_want[q]:.10f}), rel. {re:.1e}; "
              f"max |ΔF| / max |F| {rf:.1e}")
    good = worst_e <= TOL and worst_f <= TOL
    print(f"torch BPNN against n2p2 on {fix}: E {worst_e:.1e}, F {worst_f:.1e} "
          f"(tolerance {TOL:g}): {'ok' if good else 'DISAGREE'}")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
