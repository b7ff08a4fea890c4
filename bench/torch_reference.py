#!/usr/bin/env python3
"""PyTorch CPU reference figures for Cohort's two models (docs/engine-contract.md), for `make bench`.

Times one training step and one inference pass, each in both memory layouts (contiguous NCHW and
torch.channels_last, https://pytorch.org/tutorials/intermediate/memory_format_tutorial.html), after 3
warm-up steps; throughput = batch / median step time. The faster layout (by training throughput) is
reported at the top level; both are under "layouts".

  cgan:       train = the contract's full iteration (G forward, D step, G step with Adam);
              inference = generator forward in eval mode under no_grad.
  classifier: train = forward + backward + AdamW step (label-smoothed cross-entropy, dropout 0.2);
              inference = eval forward under no_grad.

gflops = training FLOPs per image (torch.utils.flop_counter.FlopCounterMode, see torch_models.count_flops)
× training images/s. peak_rss_bytes = getrusage ru_maxrss of this process (both layouts included).

Usage: python3 bench/torch_reference.py --model cgan|classifier [--batch N] [--steps N] [--threads N] [--json]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models as tm  # noqa: E402

WARMUP = 3
DEFAULT_BATCH = {"cgan": 64, "classifier": 32}
LAYOUTS = {"contiguous": torch.contiguous_format, "channels_last": torch.channels_last}


def median_seconds(fn, steps):
    """Median wall time of `steps` calls of fn() after WARMUP untimed calls."""
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cgan_workload(batch, layout):
    """(train_step, inference) closures for the cGAN with weights and image input in `layout`."""
    torch.manual_seed(0)
    fmt = LAYOUTS[layout]
    G = tm.make_generator().to(memory_format=fmt)
    D = tm.make_discriminator().to(memory_format=fmt)
    g_opt, d_opt = tm.make_gan_optimizer(G), tm.make_gan_optimizer(D)
    x, y, z, y2 = tm.gan_inputs(batch)
    x = x.contiguous(memory_format=fmt)

    def train_step():
        tm.cgan_iteration(G, D, g_opt, d_opt, x, y, z, y2, keep_grads=False)

    def inference():
        G.eval()
        with torch.no_grad():
            G(z, y)

    return train_step, inference


def classifier_workload(batch, layout):
    """(train_step, inference) closures for the classifier (128 px) with weights and input in `layout`."""
    torch.manual_seed(0)
    fmt = LAYOUTS[layout]
    model = tm.make_classifier().to(memory_format=fmt)
    opt = tm.make_classifier_optimizer(model)
    x, y = tm.classifier_inputs(batch)
    x = x.contiguous(memory_format=fmt)

    def train_step():
        tm.classifier_iteration(model, opt, x, y, keep_grads=False)

    def inference():
        model.eval()
        with torch.no_grad():
            model(x)

    return train_step, inference


WORKLOADS = {"cgan": cgan_workload, "classifier": classifier_workload}


def train_flops_per_image(model):
    """FLOPs of one training step per image (cGAN: the whole iteration; classifier: forward + backward)."""
    if model == "cgan":
        return tm.cgan_flops_per_image()["iteration"]
    return tm.classifier_flops_per_image()["train_step"]


def measure_layout(model, batch, steps, layout, flops_per_image):
    """Median train and inference step times in one layout, as a result dict."""
    train_step, inference = WORKLOADS[model](batch, layout)
    train_s = median_seconds(train_step, steps)
    infer_s = median_seconds(inference, steps)
    train_ips = batch / train_s
    return {
        "train_images_per_second": train_ips,
        "inference_images_per_second": batch / infer_s,
        "train_step_seconds": train_s,
        "inference_step_seconds": infer_s,
        "gflops": flops_per_image * train_ips / 1e9,
    }


def run(model, batch, steps, threads):
    """All measurements for one model, as the JSON report."""
    torch.set_num_threads(threads)
    flops = train_flops_per_image(model)
    layouts = {layout: measure_layout(model, batch, steps, layout, flops) for layout in LAYOUTS}
    best = max(layouts, key=lambda name: layouts[name]["train_images_per_second"])
    return {
        "model": model,
        "threads": threads,
        "batch": batch,
        "steps": steps,
        "torch": torch.__version__,
        "train_images_per_second": layouts[best]["train_images_per_second"],
        "inference_images_per_second": layouts[best]["inference_images_per_second"],
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "gflops": layouts[best]["gflops"],
        "train_gflop_per_image": flops / 1e9,
        "layout": best,
        "layouts": layouts,
    }


def print_human(report):
    """The report as a small table."""
    print(f"PyTorch {report['torch']} {report['model']}: batch {report['batch']}, {report['threads']} threads, "
          f"median of {report['steps']} steps after {WARMUP} warm-up; "
          f"{report['train_gflop_per_image']:.4f} GFLOP per training image")
    print(f"{'layout':<15}{'train img/s':>13}{'infer img/s':>13}{'train GFLOP/s':>15}")
    for name, r in report["layouts"].items():
        mark = "  <- reported" if name == report["layout"] else ""
        print(f"{name:<15}{r['train_images_per_second']:>13.1f}{r['inference_images_per_second']:>13.1f}"
              f"{r['gflops']:>15.1f}{mark}")
    print(f"peak RSS {report['peak_rss_bytes'] / 2**20:.0f} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, choices=sorted(WORKLOADS))
    parser.add_argument("--batch", type=int, help="default: 64 for cgan, 32 for classifier")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.steps < 1 or args.threads < 1 or (args.batch is not None and args.batch < 1):
        parser.error("--batch, --steps and --threads must be positive")
    report = run(args.model, args.batch or DEFAULT_BATCH[args.model], args.steps, args.threads)
    if args.json:
        print(json.dumps(report))
    else:
        print_human(report)


if __name__ == "__main__":
    main()
