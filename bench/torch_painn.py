"""PaiNN in PyTorch, the twin of src/models/painn.c (see torch_models.py).

Schütt, Unke & Gastegger, "Equivariant message passing for the prediction
of tensorial properties and molecular spectra", ICML 2021, in tanne's form
(schnetpack's PaiNN), with tanne's block orders and parameter layout."""
import math

import torch

from torch_common import TwinModel, activation

NORM_EPS = 1e-8  # PAINN_NORM_EPS of src/models/painn.h, inside the root


class PaiNN(TwinModel):
    """As painn.c's header comment:
      s0 = A[Z], v0 = 0                         s [N][F], v [N][3][F]
      W_ij = (e(r_ij) W_rbf + b) f_c(r_ij)      [E][3F]
      x_ij = phi(s_j) * W_ij = (x_vv, x_s, x_vs),  phi(s) = act(s W1 + b1) W2 + b2
      s_i += sum_j x_s;  v_i += sum_j x_vv * v_j + x_vs r^_ij
      a = act([s_i, |V v_i|] W3 + b3) W4 + b4 = (a_vv, a_sv, a_ss)
      v_i += a_vv * U v_i;  s_i += a_sv * <U v_i, V v_i> + a_ss
      y_i = act(s_i R1 + d1) R2 + d2
    e the sinc basis sin(n pi r / r_c) / r (n = 1..K) or tanne's Gaussians,
    f_c the cosine cutoff, U and V on the feature index (shared over x, y,
    z), |.| per feature over x, y, z with NORM_EPS inside the root, r^ = d / |d|
    with d = R_j + shift cell - R_i. With shared_filters one filter network
    serves every interaction."""

    def __init__(self, m):
        super().__init__()
        F, K, T = m["features"], m["n_basis"], m["interactions"]
        H = F // 2
        self.F, self.K, self.T, self.cutoff = F, K, T, m["cutoff"]
        self.basis, self.act = m["basis"], activation(m["activation"])
        n_filters = 1 if m.get("shared_filters", 0) else T
        L = torch.nn.Linear
        self.embed = torch.nn.Embedding(len(m["elements"]), F)
        self.filters = torch.nn.ModuleList([L(K, 3 * F) for _ in range(n_filters)])
        self.phi1 = torch.nn.ModuleList([L(F, F) for _ in range(T)])
        self.phi2 = torch.nn.ModuleList([L(F, 3 * F) for _ in range(T)])
        self.mix_u = torch.nn.ModuleList([L(F, F, bias=False) for _ in range(T)])
        self.mix_v = torch.nn.ModuleList([L(F, F, bias=False) for _ in range(T)])
        self.upd1 = torch.nn.ModuleList([L(2 * F, F) for _ in range(T)])
        self.upd2 = torch.nn.ModuleList([L(F, 3 * F) for _ in range(T)])
        self.read1, self.read2 = L(F, H), L(H, 1)

    def layout(self):
        """tanne's parameter order (painn_setup): the embedding
        [n_elements][F], the filter layers (one, or one per interaction),
        then per interaction phi1, phi2, mix_u, mix_v, upd1, upd2, then
        read1, read2."""
        yield self.embed.weight, False
        blocks = [(self.phi1[t], self.phi2[t], self.mix_u[t], self.mix_v[t], self.upd1[t],
                   self.upd2[t]) for t in range(self.T)]
        for lin in [*self.filters, *(lin for b in blocks for lin in b), self.read1, self.read2]:
            yield lin.weight, True
            if lin.bias is not None:
                yield lin.bias, False

    def rbf(self, r):
        K, rc = self.K, self.cutoff
        if self.basis == "gaussian":
            delta = rc / (K - 1)
            mu = torch.arange(K, dtype=r.dtype) * delta
            return torch.exp(-((r[:, None] - mu) ** 2) / (2 * delta * delta))
        k = torch.arange(1, K + 1, dtype=r.dtype) * (math.pi / rc)
        return torch.sin(r[:, None] * k) / r[:, None]

    def forward(self, g, d):
        F, ei, ej = self.F, g.ei, g.ej
        r = torch.linalg.norm(d, dim=1)
        u = d / r[:, None]  # [E][3], receiver to sender
        fc = 0.5 * (torch.cos(r * (math.pi / self.cutoff)) + 1) * (r < self.cutoff)
        e = self.rbf(r)
        filt = [lin(e) * fc[:, None] for lin in self.filters]  # [E][3F] each
        s = self.embed(g.types)  # [N][F]
        v = torch.zeros(s.shape[0], 3, F, dtype=s.dtype)  # [N][3][F]
        for t in range(self.T):
            # message: blocks (vv, s, vs) of phi and of the filter
            phi = self.phi2[t](self.act(self.phi1[t](s)))
            x = torch.index_select(phi, 0, ej) * filt[t if len(filt) > 1 else 0]
            x_vv, x_s, x_vs = x[:, :F], x[:, F : 2 * F], x[:, 2 * F :]
            dv = x_vv[:, None, :] * torch.index_select(v, 0, ej) + x_vs[:, None, :] * u[:, :, None]
            s = s + torch.zeros_like(s).index_add_(0, ei, x_s)
            v = v + torch.zeros_like(v).index_add_(0, ei, dv)
            # update: blocks (a_vv, a_sv, a_ss)
            uv, vv = self.mix_u[t](v), self.mix_v[t](v)  # [N][3][F]
            norm = torch.sqrt((vv * vv).sum(dim=1) + NORM_EPS)
            a = self.upd2[t](self.act(self.upd1[t](torch.cat([s, norm], dim=1))))
            a_vv, a_sv, a_ss = a[:, :F], a[:, F : 2 * F], a[:, 2 * F :]
            s = s + a_sv * (uv * vv).sum(dim=1) + a_ss
            v = v + a_vv[:, None, :] * uv
        return self.read2(self.act(self.read1(s))).squeeze(1)
