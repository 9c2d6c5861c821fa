"""Behler-Parrinello networks in PyTorch, the twin of src/models/bpnn.c and
acsf.c (see torch_models.py).

Behler & Parrinello, Phys. Rev. Lett. 98, 146401 (2007); symmetry functions
of Behler, J. Chem. Phys. 134, 074106 (2011), in n2p2's conventions
(Singraber et al., J. Chem. Theory Comput. 15, 1827 (2019)):

  radial  (type 2): G = sum_j exp(-eta (r_ij - r_s)^2) f_c(r_ij)
  narrow  (type 3): G = 2^(1-zeta) sum_{j<k} (1 + lambda cos t_ijk)^zeta
                        exp(-eta [(r_ij-r_s)^2 + (r_ik-r_s)^2 + (r_jk-r_s)^2])
                        f_c(r_ij) f_c(r_ik) f_c(r_jk)
  wide    (type 9): the same without the r_jk terms and f_c(r_jk)

each factor only where its distance is below r_c, a pair with
1 + lambda cos <= 0 contributing nothing; then G~ = s_min + a (G - c) and
one dense network per element. Everything but the weights comes from the
model file's "bpnn" section (src/models/bpnn_extra.c):

  bpnn 1
  cutoff <name> <alpha>
  element <symbol> sf <n_sf> hidden <H> widths <w_1..w_H> act <f_1..f_{H+1}>
  sf <type> <e1> <e2|-> <eta> <rs> <rc> <lambda> <zeta> <c> <a> <s_min>

The symmetry functions are computed as matrices: functions that differ only
in their neighbour elements share one "shape" (eta, r_s, r_c, and for
angular ones lambda, zeta, kind), evaluated once per edge or per pair of
edges (triplet) for every shape, then added into the column of the function
whose elements match, found through index lists built by prepare() outside
the timed region. Forces come by autograd through all of it."""
import math

import numpy as np
import torch

from torch_common import TwinModel, activation

CUTOFF_NAMES = ("hard", "cos", "tanhu", "tanh", "exp", "poly1", "poly2", "poly3", "poly4")


def parse_bpnn_section(text, n_elements):
    """The section as a dict: cutoff (name, alpha) and per element its
    widths, activations and functions (kind, e1, e2, eta, rs, rc, lambda,
    zeta, c, a, s_min) with e1, e2 element indices (-1 for none)."""
    lines = [ln.split() for ln in text.rstrip("\0").splitlines()]
    lines = [ln for ln in lines if ln]
    if not lines or lines[0] != ["bpnn", "1"]:
        raise ValueError("section 'bpnn', line 1: expected 'bpnn 1'")
    if len(lines) < 2 or lines[1][0] != "cutoff" or len(lines[1]) != 3:
        raise ValueError("section 'bpnn', line 2: expected 'cutoff <name> <alpha>'")
    if lines[1][1] not in CUTOFF_NAMES:
        raise ValueError(f"section 'bpnn', line 2: unknown cutoff '{lines[1][1]}'")
    out = {"cutoff": lines[1][1], "alpha": float(lines[1][2]), "elements": []}
    # symbols in the model's element order, as the element lines give them
    symbols = [ln[1] for ln in lines[2:] if ln[0] == "element"]
    index = {s: q for q, s in enumerate(symbols)}
    index["-"] = -1
    at = 2
    for t in range(n_elements):
        ln = lines[at]
        if ln[0] != "element" or ln[2] != "sf" or ln[4] != "hidden":
            raise ValueError(f"section 'bpnn', line {at + 1}: expected an element line")
        n_sf, h = int(ln[3]), int(ln[5])
        if ln[6] != "widths" or ln[7 + h] != "act" or len(ln) != 9 + 2 * h:
            raise ValueError(f"section 'bpnn', line {at + 1}: widths and activations")
        el = {
            "widths": [n_sf] + [int(w) for w in ln[7 : 7 + h]] + [1],
            "acts": ln[8 + h : 9 + 2 * h],
            "sf": [],
        }
        for q in range(n_sf):
            f = lines[at + 1 + q]
            if f[0] != "sf" or len(f) != 12:
                raise ValueError(f"section 'bpnn', line {at + 2 + q}: expected 'sf' and 11 values")
            el["sf"].append((int(f[1]), index[f[2]], index[f[3]], *map(float, f[4:])))
        out["elements"].append(el)
        at += 1 + n_sf
    if len(out["elements"]) != n_elements or at != len(lines):
        raise ValueError("section 'bpnn': element count or line count wrong")
    return out


def cutoff_fn(kind, alpha, r, rc):
    """f_c(r) for r < rc (acsf_cutoff_eval; the caller masks r >= rc):
    with x = (r - alpha rc)/(rc - alpha rc) clamped at 0 (f = 1 inside the
    inner radius), or the tanh forms of 1 - r/rc. rc may be a tensor that
    broadcasts against r."""
    if kind in ("tanhu", "tanh"):
        t = torch.tanh(1.0 - r / rc)
        p = 1.0 if kind == "tanhu" else 1.0 / math.tanh(1.0) ** 3
        return p * t**3
    if kind == "hard":
        return torch.ones_like(r * rc)
    rci = alpha * rc
    x = torch.clamp((r - rci) / (rc - rci), min=0.0)
    # outside the radius x would reach 1 and beyond (exp: 1/(1 - x^2)); the
    # value there is masked, and must stay finite for the masked gradient
    x = torch.where(r < rc, x, torch.zeros_like(x))
    if kind == "cos":
        return 0.5 * (torch.cos(math.pi * x) + 1.0)
    if kind == "exp":
        return torch.exp(1.0 - 1.0 / (1.0 - x * x))
    u = 1.0 - x
    if kind == "poly1":
        return u * u * (2.0 * x + 1.0)
    if kind == "poly2":
        return u**3 * ((6.0 * x + 3.0) * x + 1.0)
    if kind == "poly3":
        return u**4 * (((20.0 * x + 10.0) * x + 4.0) * x + 1.0)
    return u**5 * ((((70.0 * x + 35.0) * x + 15.0) * x + 5.0) * x + 1.0)  # poly4


class BPNN(TwinModel):
    def __init__(self, m):
        super().__init__()
        ne = len(m["elements"])
        sec = parse_bpnn_section(m["sections"]["bpnn"].decode(), ne)
        self.cut, self.alpha = sec["cutoff"], sec["alpha"]
        self.n_el = ne
        self.max_sf = max(len(el["sf"]) for el in sec["elements"])
        self.n_sf = [len(el["sf"]) for el in sec["elements"]]
        self.nets = torch.nn.ModuleList()
        self.acts = []
        for t, el in enumerate(sec["elements"]):
            w = el["widths"]
            self.nets.append(torch.nn.ModuleList(
                [torch.nn.Linear(w[q], w[q + 1]) for q in range(len(w) - 1)]))
            self.acts.append([activation(a) for a in el["acts"]])
            sf = np.array([f[8:11] for f in el["sf"]], dtype=np.float64)  # c, a, s_min
            pad = np.zeros((self.max_sf - len(sf), 3))
            # plain tensors, not buffers: .to(dtype) leaves them float64
            setattr(self, f"scale{t}", torch.from_numpy(np.concatenate([sf, pad])))
        # shapes and the column of each (central element, neighbour elements)
        rad, ang = {}, {}
        self.rad_col, self.ang_col = {}, {}  # (shape, t, e1[, e2]) -> column
        for t, el in enumerate(sec["elements"]):
            for col, (kind, e1, e2, eta, rs, rc, lam, zeta, *_) in enumerate(el["sf"]):
                if kind == 2:
                    q = rad.setdefault((eta, rs, rc), len(rad))
                    self.rad_col[(q, t, e1)] = col
                elif kind in (3, 9):
                    q = ang.setdefault((kind, eta, rs, rc, lam, zeta), len(ang))
                    self.ang_col[(q, t, min(e1, e2), max(e1, e2))] = col
                else:
                    raise ValueError(f"symmetry function type {kind} has no torch twin here")
        self.rad_shapes = sorted(rad, key=rad.get)
        self.ang_shapes = sorted(ang, key=ang.get)
        for name, rows in (("rad", self.rad_shapes), ("ang", self.ang_shapes)):
            arr = np.array(rows, dtype=np.float64).reshape(len(rows), -1)
            setattr(self, f"{name}_par", torch.from_numpy(arr))

    def layout(self):
        """tanne's order (bp_layout_install): per element, per layer, W
        [in][out] then the bias."""
        for net in self.nets:
            for lin in net:
                yield lin.weight, True
                yield lin.bias, False

    def prepare(self, g):
        """Index lists for g (numpy, untimed): per shape q and edge k the
        flat target a * max_sf + column of the receiving atom a, or the
        dump slot N * max_sf where no function matches; the triplets (two
        edges k1 < k2 of one receiver) with their targets likewise; the
        atoms of each element."""
        types = g.types.numpy()
        ei, ej = g.ei.numpy(), g.ej.numpy()
        n, ms = len(types), self.max_sf
        dump = n * ms
        ti, tj = types[ei], types[ej]
        table = np.full((len(self.rad_shapes), self.n_el, self.n_el), -1, dtype=np.int64)
        for (q, t, e1), col in self.rad_col.items():
            table[q, t, e1] = col
        cols = table[:, ti, tj].T  # [E][Qr]
        g.bp_rad_idx = torch.from_numpy(np.where(cols >= 0, ei[:, None] * ms + cols, dump))
        # triplets: edges grouped by receiver, every pair k1 < k2 within a group
        order = np.argsort(ei, kind="stable")
        deg = np.bincount(ei, minlength=n)
        start = np.concatenate([[0], np.cumsum(deg)[:-1]])
        k1s, k2s = [], []
        for dg in np.unique(deg):
            if dg < 2:
                continue
            atoms = np.nonzero(deg == dg)[0]
            a, b = np.triu_indices(dg, 1)
            k1s.append(order[(start[atoms][:, None] + a).ravel()])
            k2s.append(order[(start[atoms][:, None] + b).ravel()])
        k1 = np.concatenate(k1s) if k1s else np.zeros(0, dtype=np.int64)
        k2 = np.concatenate(k2s) if k2s else np.zeros(0, dtype=np.int64)
        table = np.full((max(len(self.ang_shapes), 1), self.n_el, self.n_el, self.n_el), -1,
                        dtype=np.int64)
        for (q, t, lo, hi), col in self.ang_col.items():
            table[q, t, lo, hi] = col
        ta, tb = types[ej[k1]], types[ej[k2]]
        cols = table[:, ti[k1], np.minimum(ta, tb), np.maximum(ta, tb)].T  # [T][Qa]
        cols = cols[:, : len(self.ang_shapes)]
        keep = np.any(cols >= 0, axis=1)  # triplets some function counts
        k1, k2, cols = k1[keep], k2[keep], cols[keep]
        g.bp_k1, g.bp_k2 = torch.from_numpy(k1), torch.from_numpy(k2)
        g.bp_ang_idx = torch.from_numpy(np.where(cols >= 0, ei[k1][:, None] * ms + cols, dump))
        g.bp_rows = [torch.from_numpy(np.nonzero(types == t)[0]) for t in range(self.n_el)]

    def descriptors(self, g, d):
        """G [N][max_sf], unscaled; row a holds the functions of a's element."""
        n, ms, dt = g.n_atoms, self.max_sf, d.dtype
        r = torch.linalg.norm(d, dim=1)
        G = torch.zeros(n * ms + 1, dtype=dt)
        if len(self.rad_shapes):
            eta, rs, rc = (self.rad_par[:, q].to(dt) for q in range(3))
            fc = cutoff_fn(self.cut, self.alpha, r[:, None], rc)
            val = torch.exp(-eta * (r[:, None] - rs) ** 2) * fc
            val = torch.where(r[:, None] < rc, val, torch.zeros_like(val))
            G = G.index_add(0, g.bp_rad_idx.reshape(-1), val.reshape(-1))
        if len(self.ang_shapes) and len(g.bp_k1):
            kind, eta, rs, rc, lam, zeta = (self.ang_par[:, q].to(dt) for q in range(6))
            a, b = torch.index_select(d, 0, g.bp_k1), torch.index_select(d, 0, g.bp_k2)
            rij, rik = torch.index_select(r, 0, g.bp_k1)[:, None], torch.index_select(
                r, 0, g.bp_k2)[:, None]
            cos = ((a * b).sum(dim=1) / (rij[:, 0] * rik[:, 0]))[:, None]
            P = 1.0 + lam * cos
            inside = (rij < rc) & (rik < rc) & (P > 0)
            S = (rij - rs) ** 2 + (rik - rs) ** 2
            F = cutoff_fn(self.cut, self.alpha, rij, rc) * cutoff_fn(self.cut, self.alpha, rik, rc)
            narrow = kind == 3
            if bool(narrow.any()):
                rjk = torch.linalg.norm(b - a, dim=1)[:, None]
                fjk = cutoff_fn(self.cut, self.alpha, rjk, rc)
                S = S + torch.where(narrow, (rjk - rs) ** 2, torch.zeros_like(S))
                F = F * torch.where(narrow, fjk, torch.ones_like(F))
                inside = inside & (~narrow | (rjk < rc))
            Pc = torch.where(inside, P, torch.ones_like(P))  # finite powers where masked
            val = 2.0 ** (1.0 - zeta) * Pc**zeta * torch.exp(-eta * S) * F
            val = torch.where(inside, val, torch.zeros_like(val))
            G = G.index_add(0, g.bp_ang_idx.reshape(-1), val.reshape(-1))
        return G[:-1].view(n, ms)

    def forward(self, g, d):
        G = self.descriptors(g, d)
        y = torch.zeros(g.n_atoms, dtype=d.dtype)
        for t, net in enumerate(self.nets):
            rows = g.bp_rows[t]
            if not len(rows):
                continue
            ns = self.n_sf[t]
            sc = getattr(self, f"scale{t}")[:ns].to(d.dtype)
            x = sc[:, 2] + sc[:, 1] * (torch.index_select(G, 0, rows)[:, :ns] - sc[:, 0])
            for lin, act in zip(net, self.acts[t]):
                x = act(lin(x))
            y = y.index_add(0, rows, x.squeeze(1))
        return y
