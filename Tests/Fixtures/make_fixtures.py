#!/usr/bin/env python3
"""Writes the engine's committed PyTorch fixtures (docs/engine-contract.md) into Tests/Fixtures/:

  ops.safetensors                  one case per op: inputs, outputs, upstream and input/parameter gradients
  cgan_iteration.safetensors       one full cGAN iteration (batch 8) from the deterministic init
  classifier_iteration.safetensors one classifier iteration (batch 4, 128×128, dropout 0)
  spectral_norm.safetensors        spectral normalization at convergence: W, W/σ and dL/dW (conv and linear shapes)
  discriminator_nobn.safetensors   the discriminator without batch norm (SNGAN's): one hinge D step (batch 8),
                                   parameter gradients and dL/d(fake image)
  mode_seeking.safetensors         MSGAN's mode-seeking term: images, latents, the loss and dL/d(images)

Safetensors are written and read by hand (struct + json + numpy; no `safetensors` package).
Every stored tensor is F32 or I64.

Run:   python3 Tests/Fixtures/make_fixtures.py [--out DIR] [--only FILE]   (needs torch + numpy; tests never do)
Check: python3 Tests/Fixtures/make_fixtures.py --check-checkpoint PATH \
           --model cgan-generator|cgan-generator-cbn|cgan-discriminator|cgan-discriminator-nobn|classifier
       loads a Cohort-written checkpoint strictly into the PyTorch model and runs one eval forward.
"""
import argparse
import json
import math
import os
import struct
import sys
import zlib

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
import torch_models as tm  # noqa: E402

FORMAT_VERSION = "3"
GAN_BATCH = 8
CLASSIFIER_BATCH = 4

# ---------------------------------------------------------------------------------------------
# safetensors (https://huggingface.co/docs/safetensors/index, "Format"): u64 LE header length,
# JSON header, raw little-endian data; data_offsets are relative to the end of the header.
# ---------------------------------------------------------------------------------------------

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "F16": np.dtype("<f2"), "I64": np.dtype("<i8"),
          "I32": np.dtype("<i4"), "I16": np.dtype("<i2"), "I8": np.dtype("i1"), "U8": np.dtype("u1"),
          "BOOL": np.dtype("?")}
WRITABLE = {np.dtype("float32"): "F32", np.dtype("int64"): "I64"}


def to_numpy(value):
    """A tensor or array as a C-contiguous numpy array (float32 or int64 only)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().contiguous().numpy()
    array = np.asarray(value)
    if not array.flags.c_contiguous:
        array = array.copy(order="C")  # (np.ascontiguousarray would turn a 0-d scalar into shape [1])
    if array.dtype not in WRITABLE:
        raise TypeError(f"refusing to store dtype {array.dtype} (fixtures are F32/I64 only)")
    return array


def write_safetensors(path, tensors, metadata):
    """Write {name: tensor} in name order; the header is padded with spaces to a multiple of 8 bytes."""
    arrays = {name: to_numpy(value) for name, value in sorted(tensors.items())}
    header, offset = {}, 0
    for name, array in arrays.items():
        header[name] = {"dtype": WRITABLE[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for array in arrays.values():
            f.write(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    return os.path.getsize(path)


def read_safetensors(path):
    """Read a safetensors file into ({name: numpy array}, metadata dict), checking offsets are in bounds."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: shorter than the 8-byte header length")
    (length,) = struct.unpack("<Q", data[:8])
    if 8 + length > len(data):
        raise ValueError(f"{path}: header length {length} exceeds the file")
    header = json.loads(data[8:8 + length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    body = memoryview(data)[8 + length:]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in DTYPES:
            raise ValueError(f"{path}: {name} has unsupported dtype {info['dtype']}")
        dtype = DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        count = int(np.prod(info["shape"], dtype=np.int64))
        if not 0 <= begin <= end <= len(body) or end - begin != count * dtype.itemsize:
            raise ValueError(f"{path}: {name} has bad data_offsets {begin}..{end}")
        tensors[name] = np.frombuffer(body[begin:end], dtype=dtype).reshape(info["shape"]).copy()
    return tensors, metadata


# ---------------------------------------------------------------------------------------------
# ops.safetensors
# ---------------------------------------------------------------------------------------------

def seed(case):
    """Seed torch from the case name, so each case is independent of the others' order."""
    torch.manual_seed(zlib.crc32(case.encode()))


def away_from_zero(shape, margin=0.02):
    """Standard-normal values pushed at least `margin` away from 0 (kinks of relu / leaky relu)."""
    r = torch.randn(shape)
    return torch.where(r >= 0, r + margin, r - margin)


def module_case(case, op, x, buffers=False):
    """Run op(x) forward and backward with a random upstream gradient; store x, y, gy, gx, parameters
    (`.p.`), their gradients (`.g.`) and, when `buffers`, BatchNorm running stats after the forward (`.b.`)."""
    x = x.clone().requires_grad_(True)
    y = op(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    out = {f"{case}.x": x, f"{case}.y": y, f"{case}.gy": gy, f"{case}.gx": x.grad}
    if isinstance(op, nn.Module):
        for name, p in op.named_parameters():
            out[f"{case}.p.{name}"] = p
            out[f"{case}.g.{name}"] = p.grad
        if buffers:
            out[f"{case}.b.running_mean"] = op.running_mean
            out[f"{case}.b.running_var"] = op.running_var
    return out


def conv_cases():
    """Conv2d (https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html) and ConvTranspose2d
    (.../torch.nn.ConvTranspose2d.html) on odd sizes; parameters from PyTorch's default init, seeded."""
    specs = [
        ("conv2d_k3_s1_p1_bias", lambda: nn.Conv2d(3, 4, 3, 1, 1, bias=True), (2, 3, 7, 5)),
        ("conv2d_k4_s2_p1_nobias", lambda: nn.Conv2d(4, 6, 4, 2, 1, bias=False), (2, 4, 9, 8)),
        ("conv2d_k3_groups2", lambda: nn.Conv2d(4, 6, 3, 1, 1, groups=2, bias=True), (2, 4, 7, 5)),
        ("conv2d_depthwise_k3_s2", lambda: nn.Conv2d(5, 5, 3, 2, 1, groups=5, bias=False), (2, 5, 9, 7)),
        ("conv2d_k1_bias", lambda: nn.Conv2d(6, 3, 1, bias=True), (2, 6, 5, 4)),
        ("conv_transpose2d_k4_s2_p1", lambda: nn.ConvTranspose2d(4, 3, 4, 2, 1, bias=False), (2, 4, 5, 3)),
        ("conv_transpose2d_k4_s2_p1_bias", lambda: nn.ConvTranspose2d(3, 2, 4, 2, 1, bias=True), (2, 3, 4, 4)),
    ]
    out = {}
    for case, make, shape in specs:
        seed(case)
        module = make()
        out.update(module_case(case, module, torch.randn(shape)))
    return out


def linear_embedding_cases():
    """Linear (https://pytorch.org/docs/stable/generated/torch.nn.Linear.html) with and without bias, and
    Embedding (.../torch.nn.Embedding.html): indices are I64 `.x`, the only gradient is `.g.weight`."""
    out = {}
    for case, bias in [("linear_bias", True), ("linear_nobias", False)]:
        seed(case)
        module = nn.Linear(7, 5, bias=bias)
        out.update(module_case(case, module, torch.randn(3, 7)))
    case = "embedding"
    seed(case)
    module = nn.Embedding(4, 6)
    x = torch.tensor([3, 0, 2, 2, 1], dtype=torch.int64)
    y = module(x)
    gy = torch.randn_like(y)
    y.backward(gy)
    out.update({f"{case}.x": x, f"{case}.y": y, f"{case}.gy": gy,
                f"{case}.p.weight": module.weight, f"{case}.g.weight": module.weight.grad})
    return out


def nontrivial_affine(bn):
    """Give a BatchNorm weight ≈ 1 ± 0.3 and bias ≈ ±0.2 so the affine part is exercised."""
    with torch.no_grad():
        bn.weight.copy_(1.0 + 0.3 * torch.randn_like(bn.weight))
        bn.bias.copy_(0.2 * torch.randn_like(bn.bias))


def batchnorm_cases():
    """BatchNorm1d/2d (https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html), eps 1e-5.
    Train mode normalises with the biased batch variance and updates running stats (from 0/1, momentum
    0.1) with the unbiased one; `.b.` holds them after the forward. Eval mode uses the running stats,
    stored as `.b.` (unchanged by the forward)."""
    out = {}
    for case, module, shape in [("batchnorm1d_train", nn.BatchNorm1d(5), (6, 5)),
                                ("batchnorm2d_train", nn.BatchNorm2d(4), (3, 4, 3, 5))]:
        seed(case)
        nontrivial_affine(module)
        module.train()
        out.update(module_case(case, module, 1.5 * torch.randn(shape) + 0.5, buffers=True))
    case = "batchnorm2d_eval"
    seed(case)
    module = nn.BatchNorm2d(4)
    nontrivial_affine(module)
    with torch.no_grad():
        module.running_mean.copy_(0.5 * torch.randn(4))
        module.running_var.copy_(0.5 + torch.rand(4))
    module.eval()
    out.update(module_case(case, module, torch.randn(3, 4, 3, 5), buffers=True))
    return out


def conditional_batchnorm_cases():
    """ConditionalBatchNorm2d (bench/torch_models.py): BatchNorm2d(affine=False) then per-class γ, β rows
    from two embeddings, train mode. Stores `.labels` (I64), the tables (`.p.gamma.weight`,
    `.p.beta.weight`, set to non-trivial values), their gradients and the running stats after the forward."""
    case = "conditional_batchnorm2d_train"
    seed(case)
    module = tm.ConditionalBatchNorm2d(4, 3)
    with torch.no_grad():
        module.gamma.weight.copy_(1 + 0.3 * torch.randn(3, 4))
        module.beta.weight.copy_(0.2 * torch.randn(3, 4))
    module.train()
    labels = torch.tensor([2, 0, 2, 1, 0], dtype=torch.int64)
    x = (1.5 * torch.randn(5, 4, 3, 3) + 0.5).requires_grad_(True)
    y = F.relu(module(x, labels))
    gy = torch.randn_like(y)
    y.backward(gy)
    return {f"{case}.x": x, f"{case}.labels": labels, f"{case}.y": y, f"{case}.gy": gy, f"{case}.gx": x.grad,
            f"{case}.p.gamma.weight": module.gamma.weight, f"{case}.p.beta.weight": module.beta.weight,
            f"{case}.g.gamma.weight": module.gamma.weight.grad, f"{case}.g.beta.weight": module.beta.weight.grad,
            f"{case}.b.running_mean": module.bn.running_mean, f"{case}.b.running_var": module.bn.running_var}


def activation_cases():
    """ReLU, LeakyReLU(0.2), SiLU, Sigmoid, Tanh (https://pytorch.org/docs/stable/nn.html#non-linear-
    activations-weighted-sum-nonlinearity) on (2,3,4,5) with |x| ≥ 0.02; global average pool (mean over
    H, W: .../torch.nn.AdaptiveAvgPool2d.html with output 1, flattened) on (2,6,3,5) -> (2,6)."""
    out = {}
    for case, module in [("relu", nn.ReLU()), ("leaky_relu_0.2", nn.LeakyReLU(0.2)), ("silu", nn.SiLU()),
                         ("sigmoid", nn.Sigmoid()), ("tanh", nn.Tanh())]:
        seed(case)
        out.update(module_case(case, module, 2.0 * away_from_zero((2, 3, 4, 5))))
    case = "global_avg_pool"
    seed(case)
    out.update(module_case(case, lambda x: x.mean(dim=(2, 3)), torch.randn(2, 6, 3, 5)))
    case = "squeeze_excitation"
    seed(case)
    out.update(module_case(case, tm.SqueezeExcitation(8, max(1, 8 // 4)), torch.randn(2, 8, 3, 5)))
    return out


def scalar_loss_case(case, loss_fn, inputs, extras):
    """Evaluate loss_fn(*inputs) (a scalar), backward with gy = 1; store `.y` as shape [1], the inputs under
    their names with gradients `.g<suffix>`, plus non-differentiable `extras` (targets, weights)."""
    leaves = {name: t.clone().requires_grad_(True) for name, t in inputs.items()}
    loss = loss_fn(**leaves)
    loss.backward()
    out = {f"{case}.y": loss.reshape(1)}
    for name, leaf in leaves.items():
        out[f"{case}.{name}"] = leaf
        out[f"{case}.g{name}"] = leaf.grad
    out.update({f"{case}.{name}": t for name, t in extras.items()})
    return out


def loss_cases():
    """cross_entropy (https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html): with class
    weights and label smoothing ε, per sample l_n = (1-ε)·w[t_n]·(-log p[n,t_n]) + (ε/C)·Σ_c w[c]·(-log p[n,c]),
    mean = Σ l_n / Σ w[t_n]; with per-sample weights s_n (reduction="none", then weighted), Σ s_n·l_n / Σ s_n·w[t_n]. BCEWithLogits (.../torch.nn.BCEWithLogitsLoss.html), mean. Hinge losses of
    the cGAN: D = mean(relu(1 - xr)) + mean(relu(1 + xf)), G = -mean(x)."""
    out = {}
    case = "cross_entropy_smooth_weighted"
    seed(case)
    t = torch.tensor([2, 0, 3, 2, 1], dtype=torch.int64)
    w = 0.25 + 1.5 * torch.rand(4)
    out.update(scalar_loss_case(case, lambda x: F.cross_entropy(x, t, weight=w, label_smoothing=0.1),
                                {"x": 2.0 * torch.randn(5, 4)}, {"t": t, "w": w}))
    case = "cross_entropy_sample_weighted"
    seed(case)
    t = torch.tensor([1, 0, 3, 2, 1, 3], dtype=torch.int64)
    w = 0.25 + 1.5 * torch.rand(4)
    s = torch.tensor([1.0, 0.5, 1.0, 0.25, 0.5, 1.0])   # per-sample weights (synthetic images weighted down)

    def sample_weighted(x):
        per_sample = F.cross_entropy(x, t, weight=w, label_smoothing=0.1, reduction="none")
        return (s * per_sample).sum() / (s * w[t]).sum()
    out.update(scalar_loss_case(case, sample_weighted, {"x": 2.0 * torch.randn(6, 4)}, {"t": t, "w": w, "s": s}))
    case = "cross_entropy_plain"
    seed(case)
    t = torch.tensor([1, 3, 3, 0, 2], dtype=torch.int64)
    out.update(scalar_loss_case(case, lambda x: F.cross_entropy(x, t), {"x": 2.0 * torch.randn(5, 4)}, {"t": t}))
    case = "bce_with_logits"
    seed(case)
    t = torch.tensor([1, 0, 0, 1, 1, 0], dtype=torch.float32)
    out.update(scalar_loss_case(case, lambda x: F.binary_cross_entropy_with_logits(x, t),
                                {"x": 2.0 * torch.randn(6)}, {"t": t}))
    case = "hinge_d"
    seed(case)
    side_r = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0])   # sign of (xr - 1): both sides of the hinge
    side_f = torch.tensor([-1.0, 1.0, 1.0, -1.0, 1.0])    # sign of (xf + 1)
    xr = 1.0 + side_r * (0.1 + torch.rand(5))
    xf = -1.0 + side_f * (0.1 + torch.rand(5))
    out.update(scalar_loss_case(case, lambda xr, xf: tm.hinge_d_loss(xr, xf), {"xr": xr, "xf": xf}, {}))
    case = "hinge_g"
    seed(case)
    out.update(scalar_loss_case(case, lambda x: tm.hinge_g_loss(x), {"x": torch.randn(5)}, {}))
    return out


def ops_fixture():
    """All op cases in one dict."""
    out = {}
    for part in (conv_cases, linear_embedding_cases, batchnorm_cases, conditional_batchnorm_cases, activation_cases, loss_cases):
        out.update(part())
    return out


# ---------------------------------------------------------------------------------------------
# Model iterations
# ---------------------------------------------------------------------------------------------

def init_entries(table, prefix):
    """`init.<prefix><name>` = F32 [offset, scale, k] for every parameter."""
    return {f"init.{prefix}{name}": np.array(entry, dtype=np.float32) for name, entry in table.items()}


def after_entries(model, prefix):
    """`after.<prefix><name>` for every parameter and BatchNorm running_mean / running_var
    (num_batches_tracked is not stored)."""
    out = {f"after.{prefix}{name}": p for name, p in model.named_parameters()}
    out.update({f"after.{prefix}{name}": b for name, b in model.named_buffers()
                if not name.endswith("num_batches_tracked")})
    return out


def relative_error(value, reference):
    """‖value − reference‖₂ / ‖reference‖₂: the norm-wise error the Swift tests use for iterations.

    Norm-wise, not element-wise: the largest single element error is one extreme value of a random
    rounding process and moves by integer factors when a BLAS kernel changes its accumulation order;
    the norm averages over the tensor and is what rounding-error analysis bounds."""
    value, reference = value.double(), reference.double()
    return ((value - reference).norm() / reference.norm().clamp_min(1e-300)).item()


# float32's unit roundoff u = 2^-24: the relative size of one rounding (Higham, "Accuracy and Stability
# of Numerical Algorithms", 2nd ed., §2.1).
UNIT_ROUNDOFF = 2.0 ** -24
SENSITIVITY_TRIALS = 3


def relative_perturbation(generator, size):
    """A function t ↦ t ⊙ (1 + size·r), r uniform in [−1, 1)."""
    def perturb(t):
        r = torch.rand(t.shape, generator=generator, dtype=torch.float64) * 2 - 1
        return t * (1 + size * r).to(t.dtype)
    return perturb


def perturb_parameters(model, perturb):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(perturb(p))


class AccumulationLength:
    """Records the longest sum an iteration contains: for every convolution and linear layer the forward
    reduction (C_in·k_h·k_w), the input-gradient reduction (C_out·k_h·k_w) and the weight-gradient
    reduction (batch × spatial positions), and batch norm's statistics (batch × spatial positions)."""
    def __init__(self, *models):
        self.length = 1
        self.handles = [m.register_forward_hook(self.hook) for model in models for m in model.modules()]

    def hook(self, module, inputs, output):
        x = inputs[0] if inputs and torch.is_tensor(inputs[0]) else None
        if x is None or not torch.is_tensor(output):
            return
        if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
            k = module.kernel_size[0] * module.kernel_size[1]
            positions = max(x.shape[2] * x.shape[3], output.shape[2] * output.shape[3])
            self.length = max(self.length, module.in_channels * k, module.out_channels * k, x.shape[0] * positions)
        elif isinstance(module, nn.Linear):
            self.length = max(self.length, module.in_features, module.out_features, x.shape[0])
        elif isinstance(module, nn.modules.batchnorm._BatchNorm):
            self.length = max(self.length, x.numel() // x.shape[1])

    def remove(self):
        for handle in self.handles:
            handle.remove()


def float64_reference(run):
    """The iteration results computed in float64 (stored as float32), and what a Swift test needs to judge
    a float32 engine's distance from them without tuning to one machine:

    - `torch32_error.<name>`: the norm-wise error of PyTorch's own float32 run (a floor: no bound may be
      tighter than what the reference framework achieves);
    - `sensitivity.<name>`: the tensor's conditioning at float32's noise level — the largest norm-wise
      change of the float64 result, over SENSITIVITY_TRIALS trials, when every input and every parameter is
      perturbed relatively by up to √L·u (u = 2^-24, L the longest sum: float32's high-probability forward
      error, Higham & Mary 2019), which also crosses the ReLU kinks a float32 engine may cross. Stored for
      gradients, losses and running statistics; not for `after.*` weights, which the tests compute from
      the reference gradients;
    - `accumulation_length` L: the longest sum in the iteration (AccumulationLength).

    Why: some tensors of a real iteration are ill-conditioned in float32 — gradients that a later
    BatchNorm cancels to ~0 (only rounding noise is left), sums with heavy cancellation. How far a float32
    engine lands from the truth there depends on its accumulation order (the BLAS kernel of the CPU), so
    a bound fitted to one engine's error fails on another CPU. The Swift side (CohortTestSupport's
    `IterationTolerance`) derives the bound from these three numbers instead.
    """
    counter = []
    reference = run(torch.float64, None, counter)
    single = run(torch.float32, None, None)
    generator = torch.Generator().manual_seed(20261130)
    size = UNIT_ROUNDOFF * math.sqrt(counter[0])
    perturbed = [run(torch.float64, relative_perturbation(generator, size), None) for _ in range(SENSITIVITY_TRIALS)]
    out = {"accumulation_length": np.array([counter[0]], dtype=np.float32)}
    for name, value in reference.items():
        if torch.is_tensor(value) and value.is_floating_point():
            out[name] = value.float()
            out[f"torch32_error.{name}"] = np.array([relative_error(single[name], value)], dtype=np.float32)
            if not name.startswith("after.") or "running_" in name:
                change = max(relative_error(p[name], value) for p in perturbed)
                out[f"sensitivity.{name}"] = np.array([change], dtype=np.float64).astype(np.float32)
        else:
            out[name] = value
    return out


def cgan_fixture():
    """One cgan_iteration (batch 8) from deterministic_init: init tables, labels, losses, D gradients from
    the D step, G gradients from the G step, parameters and running stats after both optimizer steps."""
    def run(dtype, perturb, counter):
        G, D = tm.make_generator(), tm.make_discriminator()
        out = {**init_entries(tm.deterministic_init(G), "G."), **init_entries(tm.deterministic_init(D), "D.")}
        G.to(dtype)
        D.to(dtype)
        x, y, z, y2 = tm.gan_inputs(GAN_BATCH)
        x, z = x.to(dtype), z.to(dtype)
        if perturb:
            perturb_parameters(G, perturb)
            perturb_parameters(D, perturb)
            x, z = perturb(x), perturb(z)
        lengths = AccumulationLength(G, D) if counter is not None else None
        d_loss, g_loss, d_grads, g_grads = tm.cgan_iteration(
            G, D, tm.make_gan_optimizer(G), tm.make_gan_optimizer(D), x, y, z, y2)
        if lengths:
            lengths.remove()
            counter.append(lengths.length)
        out.update({"y": y, "y2": y2, "d_loss": d_loss.reshape(1), "g_loss": g_loss.reshape(1)})
        out.update({f"grad.D.{name}": g for name, g in d_grads.items()})
        out.update({f"grad.G.{name}": g for name, g in g_grads.items()})
        out.update(after_entries(G, "G."))
        out.update(after_entries(D, "D."))
        return out
    return float64_reference(run)


def discriminator_nobn_fixture():
    """The discriminator without batch norm (`Discriminator(batch_norm=False)`, cohortd's
    `gan.discriminator_batch_norm: false`) from deterministic_init: the hinge D loss on real x = 2h(i,1000)
    with labels y and fake = 2h(i,1002) with labels y2 (two D calls, as the iteration makes them); every
    parameter gradient and the gradient of the loss with respect to the fake images (what the generator
    step backpropagates). Judged like an iteration (float64 reference, IterationTolerance)."""
    def run(dtype, perturb, counter):
        D = tm.make_discriminator(batch_norm=False)
        out = init_entries(tm.deterministic_init(D), "D.")
        D.to(dtype)
        x, y, _, y2 = tm.gan_inputs(GAN_BATCH)
        fake = tm.h_tensor((GAN_BATCH, 1, tm.GAN_SIZE, tm.GAN_SIZE), 1002, 2.0)
        x, fake = x.to(dtype), fake.to(dtype)
        if perturb:
            perturb_parameters(D, perturb)
            x, fake = perturb(x), perturb(fake)
        fake.requires_grad_(True)
        lengths = AccumulationLength(D) if counter is not None else None
        D.train()
        d_loss = tm.hinge_d_loss(D(x, y), D(fake, y2))
        d_loss.backward()
        if lengths:
            lengths.remove()
            counter.append(lengths.length)
        out.update({"y": y, "y2": y2, "d_loss": d_loss.detach().reshape(1), "grad.fake": fake.grad.detach()})
        out.update({f"grad.D.{name}": p.grad.detach() for name, p in D.named_parameters()})
        return out
    return float64_reference(run)


def classifier_fixture():
    """One classifier_iteration (batch 4, 128×128, dropout 0) from deterministic_init; x = 2h(i,1000) is
    not stored, labels `y` are."""
    def run(dtype, perturb, counter):
        model = tm.make_classifier(dropout=0.0)
        out = init_entries(tm.deterministic_init(model), "")
        model.to(dtype)
        x, y = tm.classifier_inputs(CLASSIFIER_BATCH)
        x = x.to(dtype)
        if perturb:
            perturb_parameters(model, perturb)
            x = perturb(x)
        lengths = AccumulationLength(model) if counter is not None else None
        loss, grads = tm.classifier_iteration(model, tm.make_classifier_optimizer(model), x, y)
        if lengths:
            lengths.remove()
            counter.append(lengths.length)
        out.update({"y": y, "loss": loss.reshape(1)})
        out.update({f"grad.{name}": g for name, g in grads.items()})
        out.update(after_entries(model, ""))
        return out
    return float64_reference(run)


# ---------------------------------------------------------------------------------------------
# Checkpoint check
# ---------------------------------------------------------------------------------------------

def _generator_inputs():
    """(z, y2) of the contract's deterministic cGAN inputs, batch 2."""
    _, _, z, y2 = tm.gan_inputs(2)
    return z, y2


MODELS = {  # --model name: (builder, inputs for one forward)
    "cgan-generator": (tm.make_generator, _generator_inputs),
    "cgan-generator-cbn": (lambda: tm.make_generator(conditional_bn=True), _generator_inputs),
    "cgan-discriminator": (tm.make_discriminator, lambda: tm.gan_inputs(2)[:2]),
    "cgan-discriminator-nobn": (lambda: tm.make_discriminator(batch_norm=False), lambda: tm.gan_inputs(2)[:2]),
    "classifier": (tm.make_classifier, lambda: tm.classifier_inputs(2)[:1]),
}


def checkpoint_problems(tensors, expected):
    """Lines naming each missing, unexpected, mis-shaped, mis-typed or non-finite tensor. BatchNorm's
    num_batches_tracked may be absent (it only matters with momentum=None, which Cohort never uses)."""
    problems = []
    for name, ref in expected.items():
        if name not in tensors:
            if not name.endswith("num_batches_tracked"):
                problems.append(f"missing {name} shape {list(ref.shape)}")
            continue
        got = tensors[name]
        want = "I64" if ref.dtype == torch.int64 else "F32"
        if list(got.shape) != list(ref.shape):
            problems.append(f"mismatched {name}: shape {list(got.shape)}, expected {list(ref.shape)}")
        elif got.dtype != DTYPES[want]:
            problems.append(f"mismatched {name}: dtype {got.dtype}, expected {want}")
        elif got.dtype.kind == "f" and not np.isfinite(got).all():
            problems.append(f"mismatched {name}: contains non-finite values")
    problems += [f"unexpected {name} shape {list(t.shape)}" for name, t in tensors.items() if name not in expected]
    return problems


def check_checkpoint(path, model_name):
    """Load a Cohort checkpoint (tensors prefixed `optimizer.` and metadata ignored) with
    load_state_dict(strict=True), run one eval-mode forward; return the exit status."""
    make, inputs = MODELS[model_name]
    model = make()
    try:
        tensors, _ = read_safetensors(path)
    except (OSError, ValueError) as error:
        print(f"unreadable checkpoint: {error}")
        return 1
    tensors = {name: t for name, t in tensors.items() if not name.startswith("optimizer.")}
    expected = model.state_dict()
    problems = checkpoint_problems(tensors, expected)
    if problems:
        print("\n".join(problems))
        return 1
    state = {name: torch.from_numpy(tensors[name]) if name in tensors else ref for name, ref in expected.items()}
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        y = model(*inputs())
    if not torch.isfinite(y).all():
        print("forward output is not finite")
        return 1
    print(f"ok {len(tensors)} tensors")
    return 0


# ---------------------------------------------------------------------------------------------

def verify(path, tensors):
    """Re-read `path` with read_safetensors and require bit-identical tensors and the format version."""
    back, metadata = read_safetensors(path)
    assert metadata.get("format_version") == FORMAT_VERSION, path
    assert set(back) == set(tensors), path
    for name, value in tensors.items():
        want = to_numpy(value)
        got = back[name]
        assert got.dtype == want.dtype and got.shape == want.shape, name
        assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), name
        if got.dtype.kind == "f":
            assert np.isfinite(got).all(), name
    return len(back)


def spectral_norm_fixture():
    """torch.nn.utils.parametrizations.spectral_norm once its power iteration has converged: W/σ with σ the
    largest singular value of W viewed as [out, rest], and the gradient of L = Σ C ⊙ W/σ with respect to W
    (u, v held constant, which at convergence equals differentiating through the exact σ)."""
    tensors = {}
    for case, shape in [("conv", (8, 4, 3, 3)), ("linear", (1, 48))]:
        seed(case)
        module = nn.Conv2d(4, 8, 3) if case == "conv" else nn.Linear(48, 1)
        with torch.no_grad():
            module.weight.copy_(torch.randn(shape))
        weight = module.weight.detach().clone()
        module = nn.utils.parametrizations.spectral_norm(module, n_power_iterations=200)
        module.train()
        normalized = module.weight  # runs the power iteration (training mode), then W/σ
        upstream = torch.randn(shape)
        (normalized * upstream).sum().backward()
        original = module.parametrizations.weight.original
        tensors[f"{case}.weight"] = weight
        tensors[f"{case}.upstream"] = upstream
        tensors[f"{case}.normalized"] = normalized.detach()
        tensors[f"{case}.grad"] = original.grad.detach()
        tensors[f"{case}.sigma"] = torch.linalg.matrix_norm(weight.reshape(shape[0], -1), ord=2).reshape(1)
    return tensors


FIXTURES = ["ops.safetensors", "cgan_iteration.safetensors", "classifier_iteration.safetensors", "spectral_norm.safetensors",
            "discriminator_nobn.safetensors", "mode_seeking.safetensors"]


def mode_seeking_fixture():
    """tm.mode_seeking_loss on a batch of 6 images [6, 1, 5, 5] (three pairs: i and 3 + i) and latents [6, 7]:
    the inputs, the loss `y` and its gradient with respect to the images `gx` (gy = 1); a second case whose
    pairs are near-identical (a collapsed generator: large loss, large gradient)."""
    tensors = {}
    for case, spread in [("spread", 1.0), ("collapsed", 1e-2)]:
        seed(f"mode_seeking_{case}")
        base = torch.randn(3, 1, 5, 5)
        x = torch.cat([base, base + spread * torch.randn(3, 1, 5, 5)]).requires_grad_(True)
        z = torch.randn(6, 7)
        loss = tm.mode_seeking_loss(x, z)
        loss.backward()
        tensors.update({f"{case}.x": x.detach(), f"{case}.z": z, f"{case}.y": loss.detach().reshape(1), f"{case}.gx": x.grad})
    return tensors


def write_all(out_dir, only=None):
    """Write and verify the fixture files; print each file's size."""
    metadata = {"format_version": FORMAT_VERSION, "torch": torch.__version__, "numpy": np.__version__,
                "generator": "Tests/Fixtures/make_fixtures.py"}
    total = 0
    for filename, build in [("ops.safetensors", ops_fixture), ("cgan_iteration.safetensors", cgan_fixture),
                            ("classifier_iteration.safetensors", classifier_fixture),
                            ("spectral_norm.safetensors", spectral_norm_fixture),
                            ("discriminator_nobn.safetensors", discriminator_nobn_fixture),
                            ("mode_seeking.safetensors", mode_seeking_fixture)]:
        if only and filename != only:
            continue
        path = os.path.join(out_dir, filename)
        tensors = build()
        size = write_safetensors(path, tensors, metadata)
        count = verify(path, tensors)
        total += size
        print(f"{size:>12,} bytes  {count:>4} tensors  {os.path.relpath(path)}")
    print(f"{total:>12,} bytes  total")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=HERE, help="directory for the fixtures (default: this script's)")
    parser.add_argument("--only", choices=sorted(FIXTURES), help="write just this fixture file")
    parser.add_argument("--check-checkpoint", metavar="PATH")
    parser.add_argument("--model", choices=sorted(MODELS))
    args = parser.parse_args()
    if args.check_checkpoint:
        if not args.model:
            parser.error("--check-checkpoint needs --model")
        sys.exit(check_checkpoint(args.check_checkpoint, args.model))
    torch.set_num_threads(1)
    write_all(args.out, args.only)


if __name__ == "__main__":
    main()
