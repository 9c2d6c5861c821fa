#!/usr/bin/python3
"""The networks of bench_models in PyTorch, on the same weights and inputs,
timed on the same workloads, with the ratios tanne/torch side by side.

Usage: torch_models.py OUT_DIR [FLOAT64_DIR]
OUT_DIR is the folder bench_models wrote: one subfolder per architecture
with model.tnm, the systems as .npy files and tanne.tsv with tanne's
timings. FLOAT64_DIR, when given, holds the same from a DOUBLE=1 build
(bench_models --inputs-only), for the agreement check in float64.

For each architecture with a PyTorch implementation here (SchNet in
torch_schnet.py, PaiNN in torch_painn.py, BPNN in torch_bpnn.py):
  1. reads model.tnm directly (the tagged container of src/core/tagfile.h:
     header, sections, CRC-32 checked) and maps the float64 parameters in
     tanne's layout order (schnet_setup, painn_setup, bp_layout_install)
     onto torch modules; BPNN's symmetry functions and scaling come from
     the file's "bpnn" section;
  2. checks that its energies and forces equal tanne's on the aspirin frames
     and both argon boxes, to 1e-5 relative (energies relative to the total
     energy, the largest force error relative to the RMS force), and that the
     loss and its gradient for the first training batch equal tanne's;
     refuses to time otherwise. float32 cannot give 1e-5 on the forces of
     the argon boxes: their RMS force is small (random weights, a nearly
     uniform liquid) while each force sums ~60 edges x 128 features x 3
     interactions of float32 terms, and the largest of 30000 errors is some
     4 standard deviations out. So the 1e-5 check runs in float64, tanne's
     DOUBLE=1 build against torch float64 (FLOAT64_DIR), and the float32
     pair that is timed must then agree to FLOAT32_F_TOL (round-off, with
     a margin) on the forces and 1e-5 on the energies, there relative to
     sum_i |E_i| (the size of the float32 terms summed) rather than to |E|:
     the atomic energies of a random-weight network on argon nearly cancel
     (BPNN: |E| = 0.45 eV from sum_i |E_i| = 115 eV on 10000 atoms), so
     relative to |E| float32 round-off alone reaches 1e-4;
  3. times the same workloads with torch.set_num_threads equal to tanne's
     thread count. torch gets the neighbor lists precomputed (not timed),
     and for BPNN the triplet lists too, while tanne's times include
     building its neighbor lists: that favours torch.

Runs with Debian's python3-torch (1.13) and numpy; says why and exits 0
when either is missing, so that `make bench` works without them."""
import os
import statistics
import struct
import sys
import time
import zlib

try:
    import numpy as np
    import torch
except ImportError as exc:  # make bench without torch: say so, do not fail
    print(f"\ntorch comparison skipped: {exc} (Debian: apt-get install python3-torch)")
    sys.exit(0)

AGREE_TOL = 1e-5  # the demand: relative agreement of E and F
FLOAT32_F_TOL = 1e-3  # max |ΔF| / RMS F of the float32 builds, once float64 agrees
# (the float32 pair's energies: AGREE_TOL of Σ_i |E_i|, see the docstring)
GRAD_TOL = {torch.float32: 1e-4, torch.float64: 1e-8}  # loss gradient, |Δg| / |g|
TRAIN_BATCH = 16

# ------------------------------------------------------------ tanne files


def read_tagfile(path, want_kind=1):
    """The sections of a tanne container as {tag: bytes}, every check of
    src/core/tagfile.h: magic, version, kind, size, padding, CRC-32."""
    buf = open(path, "rb").read()
    if len(buf) < 40 or buf[:8] != b"TANNE\r\n\x1a":
        raise ValueError(f"{path}: not a tanne file")
    version, kind, size, n_sections = struct.unpack_from("<IIQQ", buf, 8)
    if version != 1:
        raise ValueError(f"{path}: container version {version}, this reader knows 1")
    if kind != want_kind:
        raise ValueError(f"{path}: kind {kind}, expected {want_kind}")
    if size != len(buf):
        raise ValueError(f"{path}: size field {size}, file has {len(buf)} bytes")
    if buf[-4:] != b"END\n":
        raise ValueError(f"{path}: no END trailer")
    (crc,) = struct.unpack_from("<I", buf, len(buf) - 8)
    if zlib.crc32(buf[:-8]) & 0xFFFFFFFF != crc:
        raise ValueError(f"{path}: checksum mismatch")
    sections, at = {}, 32
    for _ in range(n_sections):
        if at + 24 > len(buf) - 8:
            raise ValueError(f"{path}: section header past the end")
        tag = buf[at : at + 16].rstrip(b"\0").decode("ascii")
        (n,) = struct.unpack_from("<Q", buf, at + 16)
        start = at + 24
        end = start + n
        padded = start + (n + 7) // 8 * 8
        if padded > len(buf) - 8 or any(buf[end:padded]):
            raise ValueError(f"{path}: section '{tag}' malformed")
        if tag in sections:
            raise ValueError(f"{path}: section '{tag}' repeated")
        sections[tag] = buf[start:end]
        at = padded
    if at != len(buf) - 8:
        raise ValueError(f"{path}: bytes between the sections and the trailer")
    return sections


def read_model(path):
    s = read_tagfile(path)
    arch = {}
    for line in s["arch"].rstrip(b"\0").decode().splitlines():
        key, value = line.split(None, 1)
        arch[key] = value
    model = {
        "type": arch["type"],
        "features": int(arch["features"]),
        "interactions": int(arch["interactions"]),
        "n_basis": int(arch["n_basis"]),
        "basis": arch["basis"],
        "cutoff": float(arch["cutoff"]),
        "activation": arch["activation"],
        "elements": np.frombuffer(s["elements"], dtype="<i4").copy(),
        "shifts": np.frombuffer(s["shifts"], dtype="<f8").copy(),
        "scale": float(np.frombuffer(s["scale"], dtype="<f8")[0]),
        "params": np.frombuffer(s["params"], dtype="<f8").copy(),
        "shared_filters": int(arch.get("shared_filters", "0")),
        "sections": s,  # the architecture's own (BPNN: "bpnn")
    }
    if s["units"].rstrip(b"\0") != b"energy eV\nlength Angstrom\n":
        raise ValueError(f"{path}: units other than eV and Angstrom")
    return model


def read_tsv(path):
    out = {}
    for line in open(path):
        key, value = line.rstrip("\n").split("\t")
        out[key] = value
    return out


# ------------------------------------------------------------- networks

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bpnn import BPNN  # noqa: E402  (after the torch check above)
from torch_painn import PaiNN  # noqa: E402
from torch_schnet import SchNet  # noqa: E402

TORCH_MODELS = {"schnet": SchNet, "painn": PaiNN, "bpnn": BPNN}

# ------------------------------------------------------------- systems


class Graph:
    """Frames as one graph: torch tensors of element indices, positions,
    edges (global atom indices) and image offsets, frame of each atom; then
    whatever index lists net.prepare adds (BPNN's triplets), all untimed."""

    def __init__(self, sys, frames, model, dtype, net):
        a0, e0 = sys["atom_start"], sys["edge_start"]
        types, pos, ei, ej, off, frame, ebase = [], [], [], [], [], [], []
        z_index = {int(z): q for q, z in enumerate(model["elements"])}
        base = 0
        shift_sum = []
        for q, f in enumerate(frames):
            sp = sys["species"][a0[f] : a0[f + 1]]
            types.append([z_index[int(z)] for z in sp])
            pos.append(sys["pos"][a0[f] : a0[f + 1]])
            ei.append(sys["edge_i"][e0[f] : e0[f + 1]] + base)
            ej.append(sys["edge_j"][e0[f] : e0[f + 1]] + base)
            off.append(sys["edge_offset"][e0[f] : e0[f + 1]])
            frame.append(np.full(len(sp), q))
            shift_sum.append(sum(model["shifts"][z_index[int(z)]] for z in sp))
            ebase.append(base)
            base += len(sp)
        self.n_frames, self.n_atoms = len(frames), base
        self.types = torch.from_numpy(np.concatenate([np.array(t, dtype=np.int64) for t in types]))
        self.pos = torch.from_numpy(np.concatenate(pos)).to(dtype)
        self.ei = torch.from_numpy(np.concatenate(ei))
        self.ej = torch.from_numpy(np.concatenate(ej))
        self.offset = torch.from_numpy(np.concatenate(off)).to(dtype)
        self.frame = torch.from_numpy(np.concatenate(frame))
        self.count = torch.bincount(self.frame, minlength=self.n_frames).to(dtype)
        self.shift_sum = np.array(shift_sum)  # Σ μ_Z per frame, float64
        if "energy_ref" in sys:
            idx = np.concatenate([np.arange(a0[f], a0[f + 1]) for f in frames])
            # references less the shifts, so that float32 never holds -1e4 eV
            self.e_net_ref = torch.from_numpy(sys["energy_ref"][frames] - self.shift_sum).to(dtype)
            self.f_ref = torch.from_numpy(sys["forces_ref"][idx]).to(dtype)
        net.prepare(self)


def energy_forces(net, scale, g, create_graph=False, atoms=False):
    """Network energy per frame (σ Σ y, without the shifts) and forces; with
    atoms, also the network's atomic energies σ y."""
    pos = g.pos.detach().requires_grad_(True)
    # index_select rather than pos[idx]: its adjoint is index_add_, faster on
    # CPU than the accumulating index_put_ of advanced indexing
    d = torch.index_select(pos, 0, g.ej) + g.offset - torch.index_select(pos, 0, g.ei)
    y = net(g, d)
    e = torch.zeros(g.n_frames, dtype=y.dtype).index_add_(0, g.frame, y) * scale
    (grad,) = torch.autograd.grad(e.sum(), pos, create_graph=create_graph)
    return (e, -grad, y.detach() * scale) if atoms else (e, -grad)


def loss_fn(net, scale, g, w_e, w_f):
    """tanne's loss (src/train/step.c): w_E mean_f ((E_f − E_ref)/N_f)² +
    w_F mean (F − F_ref)²."""
    e, f = energy_forces(net, scale, g, create_graph=True)
    return w_e * (((e - g.e_net_ref) / g.count) ** 2).mean() + w_f * ((f - g.f_ref) ** 2).mean()


def load_system(folder, prefix):
    keys = ["species", "atom_start", "pos", "cell", "edge_start", "edge_i", "edge_j"]
    keys += ["edge_offset", "energy", "forces", "energy_ref", "forces_ref"]
    sys = {}
    for k in keys:
        path = os.path.join(folder, f"{prefix}_{k}.npy")
        if os.path.exists(path):
            sys[k] = np.load(path)
    return sys if "pos" in sys else None


# ---------------------------------------------------------- agreement


def check_agreement(net, model, systems, dtype, f_tol, e_terms):
    """Max relative errors per system: energies within AGREE_TOL of the
    total |E| (e_terms: of Σ_i |E_i|, the size of the terms summed), forces
    within f_tol of the RMS force."""
    ok = True
    e_what = "Σ|E_i|" if e_terms else "|E|"
    print(f"  agreement with tanne in {'float32' if dtype == torch.float32 else 'float64'} "
          f"(tolerances: |ΔE| / {e_what} {AGREE_TOL:g}, max |ΔF| / RMS F {f_tol:g}):")
    shifts = torch.from_numpy(model["shifts"])
    for name, sys in systems.items():
        frames = list(range(len(sys["atom_start"]) - 1))
        g = Graph(sys, frames, model, dtype, net)
        e, f, ea = energy_forces(net, model["scale"], g, atoms=True)
        e_tot = e.detach().double().numpy() + g.shift_sum
        de = np.abs(e_tot - sys["energy"])
        # Σ_i |E_i| per frame, E_i = σ y_i + μ_Z: what float32 round-off scales with
        e_abs = torch.zeros(g.n_frames, dtype=torch.float64).index_add_(
            0, g.frame, (ea.double() + shifts[g.types]).abs()).numpy()
        e_rel = float(np.max(de / (e_abs if e_terms else np.abs(sys["energy"]))))
        # the network's own part, which the shifts do not dilute
        e_net = sys["energy"] - g.shift_sum
        net_rel = float(np.max(de) / np.max(np.abs(e_net)))
        ft = sys["forces"]
        f_rms = float(np.sqrt(np.mean(ft**2)))
        df = f.detach().double().numpy() - ft
        f_rel = float(np.max(np.abs(df)) / f_rms)
        f_rms_rel = float(np.sqrt(np.mean(df**2)) / f_rms)
        good = e_rel <= AGREE_TOL and f_rel <= f_tol
        ok &= good
        print(f"    {name:8s} E {e_rel:.1e} (network part {net_rel:.1e}, max |ΔE| "
              f"{1e3 * np.max(de):.1e} meV, Σ|E_i| / |E| {np.max(e_abs / np.abs(e_tot)):.0f})  F max {f_rel:.1e}, RMS {f_rms_rel:.1e} "
              f"(RMS F {f_rms:.4f} eV/Å)  {'ok' if good else 'DISAGREE'}")
    return ok


def check_gradient(net, model, folder, aspirin, tsv, dtype):
    g_ref = np.load(os.path.join(folder, "train_grad.npy"))
    loss_ref = float(np.load(os.path.join(folder, "train_loss.npy"))[0])
    g = Graph(aspirin, list(range(TRAIN_BATCH)), model, dtype, net)
    net.zero_grad()
    loss = loss_fn(net, model["scale"], g, float(tsv["w_energy"]), float(tsv["w_forces"]))
    loss.backward()
    grad = net.flat_grad().double().numpy()
    rel = float(np.linalg.norm(grad - g_ref) / np.linalg.norm(g_ref))
    loss_rel = abs(float(loss) - loss_ref) / abs(loss_ref)
    good = rel <= GRAD_TOL[dtype] and loss_rel <= AGREE_TOL
    print(f"    training loss of batch 1-{TRAIN_BATCH}: rel. difference {loss_rel:.1e}; "
          f"its gradient |Δg| / |g| {rel:.1e} (tolerance {GRAD_TOL[dtype]:g})  "
          f"{'ok' if good else 'DISAGREE'}")
    net.zero_grad()
    return good


# -------------------------------------------------------------- timing


def bench(fn, warmup, min_samples, max_samples, min_seconds):
    for _ in range(warmup):
        fn()
    samples, total = [], 0.0
    while len(samples) < max_samples and (len(samples) < min_samples or total < min_seconds):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
        total += samples[-1]
    return statistics.median(samples), len(samples)


def time_workloads(net, model, systems, tsv, dtype):
    """{key: seconds per unit}, the keys of tanne.tsv."""
    scale = model["scale"]
    out = {}
    if "aspirin" in systems:
        asp = systems["aspirin"]
        n = len(asp["atom_start"]) - 1
        singles = [Graph(asp, [f], model, dtype, net) for f in range(n)]

        def b1():
            for g in singles:
                energy_forces(net, scale, g)

        t, _ = bench(b1, 2, 5, 25, 1.0)
        out["aspirin_b1"] = t / n
        whole = Graph(asp, list(range(n)), model, dtype, net)
        t, _ = bench(lambda: energy_forces(net, scale, whole), 2, 5, 25, 1.0)
        out["aspirin_b64"] = t / n
    for name in ("ar1000", "ar10000"):
        if name in systems:
            g = Graph(systems[name], [0], model, dtype, net)
            t, _ = bench(lambda: energy_forces(net, scale, g), 1, 3, 15, 2.0)
            out[name] = t / g.n_atoms
    if "aspirin" in systems:
        asp = systems["aspirin"]
        n = len(asp["atom_start"]) - 1
        batches = [Graph(asp, list(range(b, b + TRAIN_BATCH)), model, dtype, net)
                   for b in range(0, n - TRAIN_BATCH + 1, TRAIN_BATCH)]
        # a copy of the network: training must not move the compared weights
        trained = TORCH_MODELS[model["type"]](model).to(dtype)
        trained.load_flat(model["params"])
        opt = torch.optim.Adam(trained.parameters(), lr=float(tsv.get("lr", 5e-4)),
                               betas=(0.9, 0.999), eps=1e-8)
        w_e, w_f = float(tsv["w_energy"]), float(tsv["w_forces"])

        def steps():
            for g in batches:
                opt.zero_grad()
                loss_fn(trained, scale, g, w_e, w_f).backward()
                opt.step()

        t, _ = bench(steps, 1, 3, 15, 2.0)
        out["train_b16_step"] = t / len(batches)
    return out


def report(tanne, torch_t, threads, arch):
    rows = [
        ("aspirin_b1", "aspirin E+F, batch 1", "µs/frame", 5.0),
        ("aspirin_b64", "aspirin E+F, batch 64", "µs/frame", 2.0),
        ("ar1000", "Ar 1000 atoms E+F", "µs/atom", None),
        ("ar10000", "Ar 10000 atoms E+F", "µs/atom", None),
        ("train_b16_step", "training step, batch 16", "ms/step", 3.0),
    ]
    print(f"\n  {'workload':28s} {'unit':9s} {'tanne':>10s} {'torch':>10s} "
          f"{'speed-up':>9s}  goal ({threads} thread{'s' if threads != 1 else ''})")
    for key, label, unit, goal in rows:
        if key not in torch_t or key not in tanne:
            continue
        k = 1e3 if unit.startswith("ms") else 1e6
        a, b = float(tanne[key]), torch_t[key]
        ratio = b / a
        verdict = "" if goal is None else f"≥ {goal:g}x: {'met' if ratio >= goal else 'MISSED'}"
        print(f"  {label:28s} {unit:9s} {k * a:10.1f} {k * b:10.1f} {ratio:8.2f}x  {verdict}")
    if "train_b16_step" in torch_t and "train_b16_step" in tanne:
        a = TRAIN_BATCH / float(tanne["train_b16_step"])
        b = TRAIN_BATCH / torch_t["train_b16_step"]
        print(f"  training throughput: tanne {a:.1f} frames/s, torch {b:.1f} frames/s")
    lists = "edge lists (and BPNN's triplet lists)" if arch == "bpnn" else "edge lists"
    print("  speed-up = torch time / tanne time (above 1: tanne is faster). tanne's times include\n"
          "  building its neighbor lists and batches; torch was given the\n"
          f"  {lists} precomputed (untimed), which favours torch.\n"
          "  torch computes forces (and, in training, the force loss's gradient) by autograd\n"
          "  (create_graph=True), tanne by its tangent pass.")


def load_arch(folder):
    """(tsv, model, systems) of one architecture's folder, or None."""
    tsv_path = os.path.join(folder, "tanne.tsv")
    if not os.path.exists(tsv_path):
        return None
    tsv = read_tsv(tsv_path)
    model = read_model(os.path.join(folder, "model.tnm"))
    systems = {}
    for name in ("aspirin", "ar1000", "ar10000"):
        s = load_system(folder, name)
        if s is not None:
            systems[name] = s
    return tsv, model, systems


def make_net(model, dtype):
    net = TORCH_MODELS[model["type"]](model).to(dtype)
    net.load_flat(model["params"])
    return net


def agree(folder, f_tol, e_terms=False):
    """Runs every check on one build's outputs; (ok, tsv, model, systems, dtype)."""
    tsv, model, systems = load_arch(folder)
    dtype = torch.float32 if int(tsv["real_size"]) == 4 else torch.float64
    net = make_net(model, dtype)
    ok = check_agreement(net, model, systems, dtype, f_tol, e_terms)
    if "aspirin" in systems and os.path.exists(os.path.join(folder, "train_grad.npy")):
        ok &= check_gradient(net, model, folder, systems["aspirin"], tsv, dtype)
    return ok, tsv, model, systems, dtype


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    root = sys.argv[1]
    root64 = sys.argv[2] if len(sys.argv) == 3 else None
    print(f"\ntorch_models: PyTorch {torch.__version__}, numpy {np.__version__}")
    if not os.path.isdir(root):
        print(f"torch comparison skipped: {root} does not exist (run bench_models first)")
        return 0
    status = 0
    order = list(TORCH_MODELS)  # bench_models' order, then any others
    for arch in sorted(os.listdir(root), key=lambda a: (order.index(a) if a in order else 99, a)):
        folder = os.path.join(root, arch)
        found = load_arch(folder)
        if found is None:
            continue
        tsv, model, _ = found
        print(f"\n{model['type']}:")
        if model["type"] not in TORCH_MODELS:
            print(f"  skipped: no PyTorch implementation of {model['type']} in {sys.argv[0]}")
            continue
        threads = int(tsv["threads"])
        torch.set_num_threads(threads)
        folder64 = os.path.join(root64, arch) if root64 else None
        ok, f_tol, e_terms = True, AGREE_TOL, False
        if folder64 and os.path.exists(os.path.join(folder64, "tanne.tsv")):
            ok, tsv64, _, _, dtype64 = agree(folder64, AGREE_TOL)
            if dtype64 != torch.float64:
                print(f"  {folder64} is not from a DOUBLE=1 build")
                ok = False
            f_tol, e_terms = FLOAT32_F_TOL, True
        elif int(tsv["real_size"]) == 4:
            print("  (no float64 outputs given: the 1e-5 check runs on the float32 builds)")
        good, tsv, model, systems, dtype = agree(folder, f_tol, e_terms)
        if not (ok and good):
            print(f"  {model['type']}: torch and tanne disagree: no speed comparison reported")
            status = 1
            continue
        net = make_net(model, dtype)
        torch_t = time_workloads(net, model, systems, tsv, dtype)
        report(tsv, torch_t, threads, model["type"])
    return status


if __name__ == "__main__":
    sys.exit(main())
