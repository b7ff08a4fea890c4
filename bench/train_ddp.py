#!/usr/bin/env python3
"""Cohort's classifier and recipe in PyTorch, on Cohort's own split: one process, or several under torchrun (DDP).

    cohort split --data DIR [--group-pattern P] --out split.csv --pixels split.f32
    python3 bench/train_ddp.py --split split.csv --pixels split.f32 --image-size 64 --epochs 10
    torchrun --standalone --nproc-per-node=2 bench/train_ddp.py --split split.csv --pixels split.f32 ...   # 2 CPU processes (gloo)
    torchrun --standalone --nproc-per-node=8 bench/train_ddp.py ... # 8 GPUs of one machine (NCCL when CUDA is available)

What is the same as Cohort (Training/ClassifierTrainer, Models/Classifier): the pixels (`cohort split --pixels`
writes the model-size images Cohort trains on, so no decoder or resize can differ); the network (EfficientNetV2-style
stem, Fused-MBConv and MBConv stages with squeeze-excitation, head, dropout 0.2; `--width`/`--depth` scale it exactly
as Classifier.Configuration.scaled does, and the parameter names are Cohort's, so `--init` loads a Cohort
classifier safetensors file strictly); per-image standardization (0.5th–99.5th percentile clip, then z-score) in
training and evaluation; class-balanced sampling (a class, then an image); as many steps as real images per epoch;
AdamW (lr 1e-3, weight decay 0.05), 5% linear warm-up then cosine decay to 1% of the rate; label smoothing 0.1; an
exponential moving average of the weights and buffers (0.999, warmed up as min(0.999, (1+t)/(10+t))) for evaluation. The augmentation follows
RadiographAugmentation (affine warp with crop zoom, gamma, blur or down-up-sampling, noise, erasing; horizontal
flips only with --hflip), drawn from torch's generator rather than Cohort's, so runs agree in distribution, not
image by image.

Rank 0 prints validation accuracy and macro-F1 after every epoch; `--json FILE` writes the final figures.
PyTorch is a reference and hand-off tool here, never a Cohort run-time dependency.
"""
import argparse
import copy
import csv
import json
import math
import os
import struct
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

# The blocks are the contract's reference modules (their names are Cohort's parameter names); this file adds the
# width/depth/class-count scaling Cohort's classifier jobs use.
from torch_models import ConvBN, FusedMBConv, MBConv

# ---------------------------------------------------------------------------------------------------------------
# The network (names as Cohort's parameter store: stem, stages.S.B.*, head, classifier)

STAGES = [  # (fused, expansion, channels, stride, blocks): Classifier.Configuration.efficientNetV2Stages
    (True, 1, 24, 1, 1), (True, 4, 48, 2, 2), (False, 4, 64, 2, 2), (False, 4, 128, 2, 3), (False, 6, 160, 1, 3)]


def round8(c, width):
    return max(8, int(round(c * width / 8)) * 8)


class Classifier(nn.Module):
    """[N, 1, S, S] standardized images -> logits [N, classes]; `width`/`depth` as Cohort's `scaled`."""

    def __init__(self, classes, width=1.0, depth=1.0, dropout=0.2):
        super().__init__()
        stem = round8(24, width)
        self.stem = ConvBN(1, stem, 3, 2)
        stages, channels = [], stem
        for fused, expand, out, stride, blocks in STAGES:
            out = round8(out, width)
            count = max(1, math.ceil(blocks * depth))
            block = FusedMBConv if fused else MBConv
            stages.append(nn.Sequential(*[block(channels if b == 0 else out, out, expand, stride if b == 0 else 1) for b in range(count)]))
            channels = out
        self.stages = nn.Sequential(*stages)
        head = round8(640, width)
        self.head = ConvBN(channels, head, 1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(head, classes)

    def forward(self, x):
        x = self.head(self.stages(self.stem(x)))
        return self.classifier(self.dropout(x.mean(dim=(2, 3))))


def load_safetensors(path):
    """name -> tensor from a .safetensors file (the format is an 8-byte header length, a JSON header, raw data)."""
    dtypes = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32, "F16": torch.float16}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[start:end]), dtype=dtypes[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors


# ---------------------------------------------------------------------------------------------------------------
# Data: Cohort's split and pixels; standardization and augmentation as Cohort's

def read_split(split_path, pixels_path, size):
    with open(split_path, newline="") as f:
        rows = list(csv.DictReader(f))
    classes = sorted({r["class"] for r in rows})
    count = len(rows)
    raw = torch.from_file(pixels_path, shared=False, size=count * size * size, dtype=torch.float32)
    images = raw.reshape(count, 1, size, size)
    labels = torch.tensor([classes.index(r["class"]) for r in rows])
    train = torch.tensor([r["split"] == "train" for r in rows])
    return classes, images, labels, train


def standardize(x):
    """Per image: clip to its 0.5th-99.5th percentile pixel values, subtract the mean, divide by the standard
    deviation (at least 1e-3) — InputStandardization."""
    n, area = x.shape[0], x[0].numel()
    flat = x.reshape(n, area)
    ordered = flat.sort(dim=1).values
    low = ordered[:, int((area - 1) * 0.005)].unsqueeze(1)
    high = ordered[:, int((area - 1) * 0.995)].unsqueeze(1)
    clipped = torch.minimum(torch.maximum(flat, low), high)
    mean = clipped.mean(dim=1, keepdim=True)
    sd = ((clipped * clipped).mean(dim=1, keepdim=True) - mean * mean).clamp_min(0).sqrt().clamp_min(1e-3)
    return ((clipped - mean) / sd).reshape(x.shape)


def augment(x, hflip, g):
    """RadiographAugmentation: affine warp (rotation ±10°, zoom ±10% × crop zoom 1/sqrt(U(0.7, 1)), shift ±6%,
    contrast and brightness ±0.1, outside = -1), gamma log-U[1/1.3, 1.3], blur or 2× down-up (p 0.3), noise
    (sd U(0, 0.03)), erasing (p 0.25, 2–10% of the area, mid-grey)."""
    n, _, s, _ = x.shape
    u = lambda *shape: torch.rand(*shape, generator=g)
    angle = (u(n) * 20 - 10) * math.pi / 180
    zoom = (1 + (u(n) * 0.2 - 0.1)) / (0.7 + 0.3 * u(n)).sqrt()
    shift = (u(n, 2) * 0.12 - 0.06) * s
    flip = (u(n) < 0.5) & hflip
    gain, offset = 1 + (u(n) * 0.2 - 0.1), u(n) * 0.2 - 0.1
    c, sn = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    # Output pixel -> source position in normalized coordinates (align_corners=True: -1 and 1 are pixel centres).
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 1], theta[:, 1, 0], theta[:, 1, 1] = c, sn, -sn, c
    t = -shift * 2 / (s - 1)
    theta[:, 0, 2] = c * t[:, 0] + sn * t[:, 1]
    theta[:, 1, 2] = -sn * t[:, 0] + c * t[:, 1]
    theta[flip, 0] = -theta[flip, 0]
    grid = F.affine_grid(theta, x.shape, align_corners=True)
    warped = F.grid_sample(x + 1, grid, mode="bilinear", padding_mode="zeros", align_corners=True) - 1
    x = (warped * gain.view(n, 1, 1, 1) + offset.view(n, 1, 1, 1)).clamp(-1, 1)
    gamma = torch.exp((u(n) * 2 - 1) * math.log(1.3)).view(n, 1, 1, 1)
    x = 2 * ((x + 1) / 2).pow(gamma) - 1
    blur = u(n) < 0.3
    half = u(n) < 0.5
    if blur.any():
        k = torch.tensor([1.0, 2.0, 1.0]) / 4
        kernel = (k[:, None] * k[None, :]).view(1, 1, 3, 3)
        blurred = F.conv2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), kernel)
        down_up = F.interpolate(F.avg_pool2d(x, 2), scale_factor=2, mode="nearest")
        x = torch.where((blur & half).view(n, 1, 1, 1), blurred, torch.where((blur & ~half).view(n, 1, 1, 1), down_up, x))
    sigma = (u(n) * 0.03).view(n, 1, 1, 1)
    x = (x + sigma * torch.randn(x.shape, generator=g)).clamp(-1, 1)
    for i in torch.nonzero(u(n) < 0.25).flatten().tolist():
        area = (0.02 + 0.08 * u(1).item()) * s * s
        aspect = math.exp((u(1).item() * 2 - 1) * math.log(2))
        h = min(s, max(1, int(math.sqrt(area * aspect))))
        w = min(s, max(1, int(math.sqrt(area / aspect))))
        top = int(u(1).item() * (s - h + 1))
        left = int(u(1).item() * (s - w + 1))
        x[i, :, top:top + h, left:left + w] = 0
    return x


# ---------------------------------------------------------------------------------------------------------------
# Training

def macro_f1(predicted, labels, k):
    scores = []
    for c in range(k):
        tp = ((predicted == c) & (labels == c)).sum().item()
        fp = ((predicted == c) & (labels != c)).sum().item()
        fn = ((predicted != c) & (labels == c)).sum().item()
        scores.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(scores) / k


@torch.no_grad()
def update_ema(ema, model, step, decay=0.999):
    """ema = d·ema + (1 − d)·w with d = min(decay, (1 + step) / (10 + step)) — Cohort's warm-up of the average —
    for parameters and floating buffers (batch-norm running statistics); counters are copied."""
    d = min(decay, (1 + step) / (10 + step))
    for e, w in zip(ema.parameters(), model.parameters()):
        e.mul_(d).add_(w.detach(), alpha=1 - d)
    for e, w in zip(ema.buffers(), model.buffers()):
        if e.dtype.is_floating_point:
            e.mul_(d).add_(w, alpha=1 - d)
        else:
            e.copy_(w)


@torch.no_grad()
def evaluate(model, images, labels, k, device, batch=256):
    model.eval()
    predicted = []
    for start in range(0, len(images), batch):
        predicted.append(model(standardize(images[start:start + batch]).to(device)).argmax(dim=1).cpu())
    predicted = torch.cat(predicted)
    accuracy = (predicted == labels).float().mean().item()
    recall = [((predicted == c) & (labels == c)).sum().item() / max(1, (labels == c).sum().item()) for c in range(k)]
    return {"accuracy": accuracy, "macro_f1": macro_f1(predicted, labels, k), "recall": recall}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", required=True, help="split.csv from `cohort split` (file,class,split)")
    parser.add_argument("--pixels", required=True, help="the float32 pixels from `cohort split --pixels`")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=10, help="epochs of the real training set")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step over all processes")
    parser.add_argument("--width", type=float, default=1.0)
    parser.add_argument("--depth", type=float, default=1.0)
    parser.add_argument("--hflip", action="store_true", help="random horizontal flips (brain MRI; never chest X-rays)")
    parser.add_argument("--init", help="start from a Cohort classifier .safetensors (loaded strictly)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch threads per process (0: cores / processes)")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (a smoke test)")
    parser.add_argument("--json", help="write the final validation figures here (rank 0)")
    args = parser.parse_args()

    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if not cuda:
        torch.set_num_threads(args.threads or max(1, (os.cpu_count() or 1) // world))

    classes, images, labels, is_train = read_split(args.split, args.pixels, args.image_size)
    k = len(classes)
    train_x, train_y = images[is_train], labels[is_train]
    val_x, val_y = images[~is_train], labels[~is_train]
    torch.manual_seed(args.seed)
    model = Classifier(k, args.width, args.depth).to(device)
    if args.init:
        state = load_safetensors(args.init)
        model.load_state_dict({name: value.to(model.state_dict()[name].dtype) for name, value in state.items()}, strict=True)
    ema = copy.deepcopy(model)  # ExponentialMovingAverage(averagingBuffers: true), updated after every step
    for p in ema.parameters():
        p.requires_grad_(False)
    if distributed:
        model = nn.parallel.DistributedDataParallel(model, device_ids=[local] if cuda else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)
    per_rank = max(1, args.batch_size // world)
    steps_per_epoch = max(1, math.ceil(len(train_x) / args.batch_size))  # as ClassifierTrainer: every real image once per epoch
    total = steps_per_epoch * args.epochs
    if args.max_steps:
        total = min(total, args.max_steps)
    warmup = max(1, int(total * 0.05))
    schedule = lambda t: (t + 1) / warmup if t < warmup else 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * (t - warmup) / max(1, total - warmup)))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    by_class = [torch.nonzero(train_y == c).flatten() for c in range(k)]
    present = [c for c in range(k) if len(by_class[c])]
    g = torch.Generator().manual_seed(args.seed * 1000 + rank)  # each rank draws its own part of every batch
    if rank == 0:
        print(f"train_ddp: {len(train_x)} train, {len(val_x)} validation images of {k} classes {classes}; {world} process(es) "
              f"on {device}; {total} steps of {per_rank * world} images ({args.epochs} epochs)", flush=True)
    started = time.time()
    history = []
    for t in range(total):
        model.train()
        picks = torch.tensor(present)[torch.randint(len(present), (per_rank,), generator=g)]
        index = torch.stack([by_class[c][torch.randint(len(by_class[c]), (1,), generator=g)][0] for c in picks.tolist()])
        x = standardize(augment(train_x[index].clone(), args.hflip, g)).to(device)
        loss = F.cross_entropy(model(x), train_y[index].to(device), label_smoothing=0.1)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        update_ema(ema, model.module if distributed else model, t)
        if (t + 1) % steps_per_epoch == 0 or t + 1 == total:
            if rank == 0:
                figures = evaluate(ema, val_x, val_y, k, device)
                history.append(round(figures["macro_f1"] * 100, 1))
                print(f"step {t + 1}/{total} ({(t + 1) / (time.time() - started):.1f} steps/s) loss {loss.item():.3f}: validation "
                      f"accuracy {figures['accuracy'] * 100:.1f}%, macro-F1 {figures['macro_f1'] * 100:.1f}%", flush=True)
    if rank == 0:
        figures = evaluate(ema, val_x, val_y, k, device)
        result = {"classes": classes, "processes": world, "device": str(device), "steps": total, "epochs": args.epochs,
                  "seconds": round(time.time() - started, 1), "validation": figures, "macro_f1_by_epoch": history}
        print(json.dumps(result), flush=True)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
