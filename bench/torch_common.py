"""What the PyTorch twins of tanne's models share (torch_schnet.py,
torch_painn.py, torch_bpnn.py): activations by tanne's names and a base
class that maps the flat float64 parameter block of a .tnm file, in
tanne's layout order, onto torch parameters and back.

Imported by torch_models.py only after torch and numpy were found."""
import math

import torch


def activation(name):
    """tanne's activations by their names in the model file (src/nn)."""
    ln2 = math.log(2.0)
    table = {
        "ssp": lambda x: torch.nn.functional.softplus(x) - ln2,
        "silu": torch.nn.functional.silu,
        "tanh": torch.tanh,
        "logistic": torch.sigmoid,
        "softplus": torch.nn.functional.softplus,
        "identity": lambda x: x,
    }
    if name not in table:
        raise ValueError(f"activation '{name}' has no torch twin here")
    return table[name]


class TwinModel(torch.nn.Module):
    """A network whose parameters follow tanne's flat layout.

    Subclasses give layout(): (tensor, transposed) pairs in tanne's order,
    where a dense layer is W [in][out] (torch keeps [out][in], hence
    transposed) followed by its bias; forward(g, d) -> y [n_atoms] from a
    Graph g and the edge vectors d [E][3] (d = R_j + offset - R_i, i
    receives); and optionally prepare(g), which adds index lists to g
    outside the timed region (as the edge lists are)."""

    def layout(self):
        raise NotImplementedError

    def prepare(self, g):
        pass

    def load_flat(self, flat):
        at = 0
        with torch.no_grad():
            for p, transposed in self.layout():
                shape = p.shape[::-1] if transposed else p.shape
                n = p.numel()
                if at + n > len(flat):
                    raise ValueError(f"model has {len(flat)} parameters, fewer than the layout's")
                block = torch.from_numpy(flat[at : at + n].reshape(shape))
                p.copy_(block.t() if transposed else block)
                at += n
        if at != len(flat):
            raise ValueError(f"model has {len(flat)} parameters, {type(self).__name__}'s layout {at}")

    def flat_grad(self):
        parts = []
        for p, transposed in self.layout():
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            parts.append((g.t() if transposed else g).reshape(-1))
        return torch.cat(parts)
