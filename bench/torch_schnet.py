"""SchNet in PyTorch, the twin of src/models/schnet.c (see torch_models.py)."""
import math

import torch

from torch_common import TwinModel, activation


class SchNet(TwinModel):
    """SchNet as src/models/schnet.c computes it (the schnetpack form):
    x0 = A[Z]; per interaction W = (act(e(r) F1 + b1) F2 + b2) f_c(r),
    v_i = act((sum_j (x_j Win) * W_ij) O1 + c1) O2 + c2, x += v;
    y = act(x R1 + d1) R2 + d2."""

    def __init__(self, m):
        super().__init__()
        F, K, T = m["features"], m["n_basis"], m["interactions"]
        H = F // 2
        self.F, self.K, self.cutoff = F, K, m["cutoff"]
        self.basis, self.act = m["basis"], activation(m["activation"])
        L = torch.nn.Linear
        self.embed = torch.nn.Embedding(len(m["elements"]), F)
        self.filt1 = torch.nn.ModuleList([L(K, F) for _ in range(T)])
        self.filt2 = torch.nn.ModuleList([L(F, F) for _ in range(T)])
        self.in2f = torch.nn.ModuleList([L(F, F, bias=False) for _ in range(T)])
        self.out1 = torch.nn.ModuleList([L(F, F) for _ in range(T)])
        self.out2 = torch.nn.ModuleList([L(F, F) for _ in range(T)])
        self.read1, self.read2 = L(F, H), L(H, 1)

    def layout(self):
        """tanne's parameter order (schnet_setup): the embedding
        [n_elements][F], then per interaction filt1, filt2, in2f, out1,
        out2, then read1, read2."""
        yield self.embed.weight, False
        for t in range(len(self.filt1)):
            for lin in (self.filt1[t], self.filt2[t], self.in2f[t], self.out1[t], self.out2[t]):
                yield lin.weight, True
                if lin.bias is not None:
                    yield lin.bias, False
        for lin in (self.read1, self.read2):
            yield lin.weight, True
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
        """y [n_atoms] from the graph's element indices and edges, and the
        edge vectors d [E][3] (i <- j)."""
        ei, ej = g.ei, g.ej
        r = torch.linalg.norm(d, dim=1)
        e = self.rbf(r)
        fc = 0.5 * (torch.cos(r * (math.pi / self.cutoff)) + 1) * (r < self.cutoff)
        x = self.embed(g.types)
        for t in range(len(self.filt1)):
            w = self.filt2[t](self.act(self.filt1[t](e))) * fc[:, None]
            xin = self.in2f[t](x)
            msg = torch.index_select(xin, 0, ej) * w
            agg = torch.zeros_like(xin).index_add_(0, ei, msg)
            x = x + self.out2[t](self.act(self.out1[t](agg)))
        return self.read2(self.act(self.read1(x))).squeeze(1)
