#!/usr/bin/env python3
"""Cohort's two reference models in PyTorch, exactly as docs/engine-contract.md specifies them.

Module names are checkpoint tensor names, so the attribute names and their order below are part of
the contract (parameter number k in `deterministic_init` is the position in `named_parameters()`).

Also here: the contract's one-iteration training functions (`cgan_iteration`, `classifier_iteration`),
the deterministic initialisation h(i, k), and FLOP counts from torch.utils.flop_counter.FlopCounterMode.

Run: python3 bench/torch_models.py   (prints parameter counts and FLOPs per image)
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count

NUM_CLASSES = 4
LATENT = 128
GAN_SIZE = 64
CLASSIFIER_SIZE = 128


# ---------------------------------------------------------------------------------------------
# cGAN
# ---------------------------------------------------------------------------------------------

class ConditionalBatchNorm2d(nn.Module):
    """Class-conditional batch norm (de Vries et al. 2017; SNGAN-projection, BigGAN): BatchNorm2d without
    affine, then per-class scale and shift from two embeddings (initialised to 1 and 0).
    forward(x, y) = bn(x) * gamma(y)[:, :, None, None] + beta(y)[:, :, None, None]."""

    def __init__(self, channels, classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(classes, channels)
        self.beta = nn.Embedding(classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x, y):
        return self.bn(x) * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


class Generator(nn.Module):
    """Conditional generator: (z [N,128], y [N] int64) -> image [N,1,64,64] in (-1, 1).

    forward(z, y) = tanh(out(blocks(relu(bn0(fc(cat[z, λ·embed(y)]))).view(N,256,4,4)))), λ =
    `conditioning_weight` (1; transitional conditioning ramps it from 0, Shahbazi et al. ICLR 2022).
    Layers follow https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html,
    .../torch.nn.BatchNorm1d.html, .../torch.nn.BatchNorm2d.html, .../torch.nn.Embedding.html.
    """

    def __init__(self, conditional_bn=False):
        super().__init__()
        self.embed = nn.Embedding(NUM_CLASSES, LATENT)
        self.fc = nn.Linear(2 * LATENT, 256 * 4 * 4, bias=False)
        self.bn0 = nn.BatchNorm1d(256 * 4 * 4)
        layers = []
        for cin, cout in [(256, 128), (128, 64), (64, 32)]:
            norm = ConditionalBatchNorm2d(cout, NUM_CLASSES) if conditional_bn else nn.BatchNorm2d(cout)
            layers += [nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=False), norm, nn.ReLU()]
        self.blocks = nn.Sequential(*layers)
        self.out = nn.ConvTranspose2d(32, 1, 4, 2, 1, bias=True)
        self.conditioning_weight = 1.0  # not a parameter: Cohort's GANTrainer sets it from its ramp

    def forward(self, z, y):
        h = torch.cat([z, self.conditioning_weight * self.embed(y)], dim=1)
        h = F.relu(self.bn0(self.fc(h))).view(z.shape[0], 256, 4, 4)
        for layer in self.blocks:  # a conditional norm also takes the labels
            h = layer(h, y) if isinstance(layer, ConditionalBatchNorm2d) else layer(h)
        return torch.tanh(self.out(h))


class Discriminator(nn.Module):
    """Projection discriminator: (x [N,1,64,64], y [N] int64) -> logits [N].

    D(x, y) = fc(f).squeeze(1) + λ·(embed(y) * f).sum(1), f = NCHW flatten of the last block (4096),
    λ = `conditioning_weight` (as in Generator). `batch_norm=False` is SNGAN's discriminator (spectral
    normalization alone): each down-block is Conv (with bias) → Identity → LeakyReLU, so the parameter
    names stay `blocks.<3i>` and there is no `blocks.<3i+1>` (Cohort's `discriminator_batch_norm: false`).
    Layers follow https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html and
    .../torch.nn.LeakyReLU.html.
    """

    def __init__(self, batch_norm=True):
        super().__init__()
        self.conv0 = nn.Conv2d(1, 32, 4, 2, 1, bias=True)
        layers = []
        for cin, cout in [(32, 64), (64, 128), (128, 256)]:
            norm = nn.BatchNorm2d(cout) if batch_norm else nn.Identity()
            layers += [nn.Conv2d(cin, cout, 4, 2, 1, bias=not batch_norm), norm, nn.LeakyReLU(0.2)]
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(256 * 4 * 4, 1)
        self.embed = nn.Embedding(NUM_CLASSES, 256 * 4 * 4)
        self.conditioning_weight = 1.0

    def forward(self, x, y):
        f = self.blocks(F.leaky_relu(self.conv0(x), 0.2)).flatten(1)
        return self.fc(f).squeeze(1) + self.conditioning_weight * (self.embed(y) * f).sum(1)


def make_generator(conditional_bn=False):
    """A fresh Generator (PyTorch default init; use deterministic_init for fixtures)."""
    return Generator(conditional_bn=conditional_bn)


def make_discriminator(batch_norm=True):
    """A fresh Discriminator (PyTorch default init; use deterministic_init for fixtures)."""
    return Discriminator(batch_norm=batch_norm)


def make_gan_optimizer(model):
    """Adam(lr 2e-4, betas (0.5, 0.999), eps 1e-8) per the contract;
    math: https://pytorch.org/docs/stable/generated/torch.optim.Adam.html."""
    return torch.optim.Adam(model.parameters(), lr=2e-4, betas=(0.5, 0.999), eps=1e-8)


def hinge_d_loss(real_logits, fake_logits):
    """mean(relu(1 - real)) + mean(relu(1 + fake)): the discriminator's hinge loss."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def hinge_g_loss(fake_logits):
    """-mean(fake): the generator's hinge loss."""
    return -fake_logits.mean()


def mode_seeking_loss(fake, z, eps=1e-5):
    """MSGAN's mode-seeking term (Mao et al., CVPR 2019, as in its official code): the batch's halves share
    their labels; lz = mean|fake₁ − fake₂| / mean|z₁ − z₂|, loss = 1 / (lz + eps). Cohort: ModeSeekingKernel."""
    half = fake.shape[0] // 2
    lz = (fake[:half] - fake[half:]).abs().mean() / (z[:half] - z[half:]).abs().mean()
    return 1 / (lz + eps)


def _grads(model):
    """Detached copies of every parameter gradient, keyed by parameter name."""
    return {name: p.grad.detach().clone() for name, p in model.named_parameters()}


def cgan_iteration(G, D, g_opt, d_opt, x, y, z, y2, keep_grads=True):
    """One cGAN iteration exactly as the contract orders it; returns (d_loss, g_loss, d_grads, g_grads)
    (the gradient dicts are empty when keep_grads is False, as the benchmark times it).

    1. fake = G(z, y2) once (G's BatchNorm running stats update once).
    2. D step: two separate D calls (real, then fake.detach()), hinge loss, backward; D's gradients are
       copied here, before d_opt.step().
    3. G step: D frozen (requires_grad False) but still in train mode, so it uses batch statistics and
       updates its running stats a third time; g_loss = -D(fake, y2).mean(); backward through D into G;
       G's gradients are copied, then g_opt.step().
    """
    G.train()
    D.train()
    fake = G(z, y2)

    d_opt.zero_grad(set_to_none=True)
    d_loss = hinge_d_loss(D(x, y), D(fake.detach(), y2))
    d_loss.backward()
    d_grads = _grads(D) if keep_grads else {}
    d_opt.step()

    for p in D.parameters():
        p.requires_grad_(False)
    try:
        g_opt.zero_grad(set_to_none=True)
        g_loss = hinge_g_loss(D(fake, y2))
        g_loss.backward()
        g_grads = _grads(G) if keep_grads else {}
        g_opt.step()
    finally:
        for p in D.parameters():
            p.requires_grad_(True)
    return d_loss.detach(), g_loss.detach(), d_grads, g_grads


# ---------------------------------------------------------------------------------------------
# Classifier (EfficientNetV2-style)
# ---------------------------------------------------------------------------------------------

class ConvBN(nn.Module):
    """`conv` Conv2d (no bias) then `bn` BatchNorm2d, then SiLU when `act` (no parameters, so not named).

    https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html, .../torch.nn.BatchNorm2d.html,
    .../torch.nn.SiLU.html. Padding is (kernel - 1) // 2, i.e. 1 for 3×3 and 0 for 1×1.
    """

    def __init__(self, cin, cout, kernel, stride=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.silu(x) if self.act else x


class SqueezeExcitation(nn.Module):
    """x * sigmoid(fc2(silu(fc1(avgpool(x))))) with 1×1 convolutions `fc1` (channels→r) and
    `fc2` (r→channels), both with bias; avgpool is the global mean over H and W
    (https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html with output 1)."""

    def __init__(self, channels, reduced):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1, bias=True)
        self.fc2 = nn.Conv2d(reduced, channels, 1, bias=True)

    def forward(self, x):
        s = x.mean(dim=(2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(s))))


class FusedMBConv(nn.Module):
    """Fused-MBConv: e=1 -> `conv` ConvBN(3×3, stride)+SiLU; e>1 -> `expand` ConvBN(3×3, stride)+SiLU
    then `project` ConvBN(1×1) without activation. Residual add when stride 1 and in == out."""

    def __init__(self, cin, cout, expand, stride):
        super().__init__()
        self.residual = stride == 1 and cin == cout
        if expand == 1:
            self.conv = ConvBN(cin, cout, 3, stride)
        else:
            self.expand = ConvBN(cin, cin * expand, 3, stride)
            self.project = ConvBN(cin * expand, cout, 1, act=False)
        self.expand_ratio = expand

    def forward(self, x):
        if self.expand_ratio == 1:
            out = self.conv(x)
        else:
            out = self.project(self.expand(x))
        return x + out if self.residual else out


class MBConv(nn.Module):
    """MBConv: `expand` ConvBN(1×1)+SiLU, `depthwise` ConvBN(3×3, stride, groups=in·e)+SiLU,
    `se` SqueezeExcitation(in·e, r = max(1, in // 4)), `project` ConvBN(1×1) without activation.
    Residual add when stride 1 and in == out (no stochastic depth)."""

    def __init__(self, cin, cout, expand, stride):
        super().__init__()
        mid = cin * expand
        self.residual = stride == 1 and cin == cout
        self.expand = ConvBN(cin, mid, 1)
        self.depthwise = ConvBN(mid, mid, 3, stride, groups=mid)
        self.se = SqueezeExcitation(mid, max(1, cin // 4))
        self.project = ConvBN(mid, cout, 1, act=False)

    def forward(self, x):
        out = self.project(self.se(self.depthwise(self.expand(x))))
        return x + out if self.residual else out


# (block type, expand ratio, in, out, first stride, repeats) for stages 0..4
CLASSIFIER_STAGES = [
    (FusedMBConv, 1, 24, 24, 1, 1),
    (FusedMBConv, 4, 24, 48, 2, 2),
    (MBConv, 4, 48, 64, 2, 2),
    (MBConv, 4, 64, 128, 2, 3),
    (MBConv, 6, 128, 160, 1, 3),
]


class Classifier(nn.Module):
    """EfficientNetV2-style classifier: [N,1,128,128] -> logits [N,4].

    `stem` ConvBN(1→24, 3×3, s2) + SiLU, `stages.S.B`, `head` ConvBN(160→640, 1×1) + SiLU, global
    average pool, dropout (https://pytorch.org/docs/stable/generated/torch.nn.Dropout.html),
    `classifier` Linear(640→4).
    """

    def __init__(self, dropout=0.2):
        super().__init__()
        self.stem = ConvBN(1, 24, 3, 2)
        stages = []
        for block, expand, cin, cout, stride, repeats in CLASSIFIER_STAGES:
            blocks = [block(cin if b == 0 else cout, cout, expand, stride if b == 0 else 1) for b in range(repeats)]
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.head = ConvBN(160, 640, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(640, NUM_CLASSES)

    def forward(self, x):
        x = self.head(self.stages(self.stem(x)))
        return self.classifier(self.dropout(x.mean(dim=(2, 3))))


def make_classifier(dropout=0.2):
    """A fresh Classifier (PyTorch default init; use deterministic_init for fixtures)."""
    return Classifier(dropout)


def make_classifier_optimizer(model):
    """AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.05 on every parameter);
    math: https://pytorch.org/docs/stable/generated/torch.optim.AdamW.html."""
    return torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)


def classifier_loss(logits, y):
    """Cross-entropy with label smoothing 0.1, mean reduction
    (https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html)."""
    return F.cross_entropy(logits, y, label_smoothing=0.1)


def classifier_iteration(model, opt, x, y, keep_grads=True):
    """One classifier iteration: train mode, forward, smoothed cross-entropy, backward, gradients copied
    (unless keep_grads is False), then opt.step(). Returns (loss, grads)."""
    model.train()
    opt.zero_grad(set_to_none=True)
    loss = classifier_loss(model(x), y)
    loss.backward()
    grads = _grads(model) if keep_grads else {}
    opt.step()
    return loss.detach(), grads


# ---------------------------------------------------------------------------------------------
# Deterministic values (contract: "Deterministic values without storing them")
# ---------------------------------------------------------------------------------------------

def h(count, k):
    """h(i, k) for i in 0..count-1 as float32: ((((i + 7919k) * 2654435761) mod 2^32) / 2^32) - 0.5,
    integer part exact in uint64 (no overflow below i ≈ 6.9e9), then float64, then one cast to float32."""
    i = np.arange(count, dtype=np.uint64)
    v = ((i + np.uint64(7919 * k)) * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
    return (v.astype(np.float64) / 2.0**32 - 0.5).astype(np.float32)


def h_tensor(shape, k, scale=1.0):
    """A float32 tensor of `shape` whose flat (row-major) element i is scale * h(i, k), computed in float32
    (scale 2 for the contract's inputs x and z is exact)."""
    values = np.float32(scale) * h(int(np.prod(shape)), k)
    return torch.from_numpy(values.reshape(shape))


def _fan_in(weight):
    """PyTorch's fan-in (torch.nn.init._calculate_fan_in_and_fan_out): size(1) * receptive field.
    For ConvTranspose2d weights [in, out/groups, kh, kw] that is out/groups * kh * kw."""
    return weight.shape[1] * int(np.prod(weight.shape[2:]))


def init_table(model):
    """{name: (offset, scale, k)} for every parameter, k = position in model.named_parameters().

    Weights of Conv/ConvTranspose/Linear: offset 0, scale 2/sqrt(fan_in); their biases: 0, 0.2;
    BatchNorm weight: 1, 0.2; BatchNorm bias: 0, 0.2; Embedding weight: 0, 2.
    offset and scale are rounded to float32 here, as the fixture stores them.
    """
    rule = {}
    for prefix, module in model.named_modules():
        for pname, p in module.named_parameters(recurse=False):
            name = f"{prefix}.{pname}" if prefix else pname
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                rule[name] = (1.0, 0.2) if pname == "weight" else (0.0, 0.2)
            elif isinstance(module, nn.Embedding):
                rule[name] = (0.0, 2.0)
            elif isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                rule[name] = (0.0, 2.0 / math.sqrt(_fan_in(p))) if pname == "weight" else (0.0, 0.2)
            else:
                raise TypeError(f"no init rule for {name} in {type(module).__name__}")
    table = {}
    for k, (name, _) in enumerate(model.named_parameters()):
        offset, scale = rule[name]
        table[name] = (float(np.float32(offset)), float(np.float32(scale)), k)
    return table


def deterministic_init(model):
    """Set every parameter to offset + scale * h(i, k) (float32 multiply, then float32 add; i = flat
    index in PyTorch layout), reset BatchNorm running stats to 0/1, and return the init_table."""
    table = init_table(model)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, (offset, scale, k) in table.items():
            p = params[name]
            values = np.float32(offset) + np.float32(scale) * h(p.numel(), k)
            p.copy_(torch.from_numpy(values.reshape(tuple(p.shape))))
        for module in model.modules():
            if isinstance(module, nn.modules.batchnorm._BatchNorm):
                module.reset_running_stats()
    return table


def count_parameters(model):
    """Number of scalar parameters (buffers excluded)."""
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# FLOPs: torch.utils.flop_counter.FlopCounterMode (https://pytorch.org/docs/stable/ -> torch.utils.
# flop_counter) counts 2·MACs of matmuls and convolutions, forward and backward; elementwise ops,
# BatchNorm and optimizer steps count 0.
# ---------------------------------------------------------------------------------------------

def _conv_backward_flop(grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed,
                        _output_padding, groups, output_mask, out_shape, **kwargs):
    """torch's own aten.convolution_backward formula with the grouped grad-weight term divided by
    `groups`. torch 2.13 counts that term as if groups were 1, overcounting a depthwise convolution's
    weight gradient by its channel count (upstream fix: pytorch/pytorch PR #183405)."""
    def t(shape):
        return [shape[1], shape[0]] + list(shape[2:])

    flops = 0
    if output_mask[0]:
        flops += conv_flop_count(grad_out_shape, w_shape, out_shape[0], not transposed)
    if output_mask[1]:
        if transposed:
            flops += conv_flop_count(t(grad_out_shape), t(x_shape), t(out_shape[1])) // groups
        else:
            flops += conv_flop_count(t(x_shape), t(grad_out_shape), t(out_shape[1])) // groups
    return flops


def count_flops(fn):
    """Total FLOPs FlopCounterMode records while fn() runs (grouped conv backward corrected)."""
    mapping = {torch.ops.aten.convolution_backward: _conv_backward_flop}
    with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        fn()
    return counter.get_total_flops()


def gan_inputs(batch):
    """The contract's deterministic cGAN inputs: x = 2h(i,1000) [N,1,64,64], z = 2h(i,1001) [N,128],
    labels y = i mod 4 and y2 = (3i + 1) mod 4."""
    x = h_tensor((batch, 1, GAN_SIZE, GAN_SIZE), 1000, 2.0)
    z = h_tensor((batch, LATENT), 1001, 2.0)
    y = torch.arange(batch, dtype=torch.int64) % NUM_CLASSES
    y2 = (3 * torch.arange(batch, dtype=torch.int64) + 1) % NUM_CLASSES
    return x, y, z, y2


def classifier_inputs(batch, size=CLASSIFIER_SIZE):
    """x = 2h(i,1000) [N,1,size,size] and labels y = i mod 4."""
    x = h_tensor((batch, 1, size, size), 1000, 2.0)
    y = torch.arange(batch, dtype=torch.int64) % NUM_CLASSES
    return x, y


def cgan_flops_per_image(batch=2):
    """FLOPs per image for the cGAN: {"generator_forward", "iteration_forward" (G forward + 3 D forwards),
    "iteration" (the full cgan_iteration: those forwards plus both backward passes)}."""
    G, D = make_generator(), make_discriminator()
    x, y, z, y2 = gan_inputs(batch)

    def forwards():
        with torch.no_grad():
            fake = G(z, y2)
            D(x, y), D(fake, y2), D(fake, y2)

    def generator():
        with torch.no_grad():
            G(z, y2)

    def iteration():
        cgan_iteration(G, D, make_gan_optimizer(G), make_gan_optimizer(D), x, y, z, y2)

    return {
        "generator_forward": count_flops(generator) / batch,
        "iteration_forward": count_flops(forwards) / batch,
        "iteration": count_flops(iteration) / batch,
    }


def classifier_flops_per_image(batch=2, size=CLASSIFIER_SIZE):
    """FLOPs per image for the classifier at `size` px: {"forward", "train_step"} (forward + backward;
    the AdamW step adds no counted FLOPs)."""
    model = make_classifier()
    x, y = classifier_inputs(batch, size)

    def forward():
        model.eval()
        with torch.no_grad():
            model(x)

    def step():
        classifier_iteration(model, make_classifier_optimizer(model), x, y)

    return {"forward": count_flops(forward) / batch, "train_step": count_flops(step) / batch}


def main():
    """Print parameter counts and FLOPs per image."""
    torch.manual_seed(0)
    for name, model in [("generator", make_generator()), ("discriminator", make_discriminator()),
                        ("classifier", make_classifier())]:
        print(f"{name:<14} {count_parameters(model):>10,} parameters")
    gan = cgan_flops_per_image()
    cls = classifier_flops_per_image()
    print("FLOPs per image (FlopCounterMode; grouped conv backward corrected, see _conv_backward_flop):")
    print(f"  classifier {CLASSIFIER_SIZE} px forward      {cls['forward'] / 1e9:9.4f} GFLOP")
    print(f"  classifier {CLASSIFIER_SIZE} px train step   {cls['train_step'] / 1e9:9.4f} GFLOP")
    print(f"  generator forward               {gan['generator_forward'] / 1e9:9.4f} GFLOP")
    print(f"  cGAN iteration forwards (G+3D)  {gan['iteration_forward'] / 1e9:9.4f} GFLOP")
    print(f"  cGAN iteration (fwd + bwd)      {gan['iteration'] / 1e9:9.4f} GFLOP")


if __name__ == "__main__":
    main()
