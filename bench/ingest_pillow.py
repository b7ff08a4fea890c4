#!/usr/bin/env python3
"""The reference beside `cohort bench ingest`: what a Pillow script spends per file to open a scan, convert
it to gray, resize it (bicubic) so the shorter side is the model size, centre-crop it and SHA-256 the
pixels — the decode + resize + hash part of cohortd's ingest, without a catalog or a near-duplicate
search. One process; prints files/s and CPU ms per file (process time)."""
import argparse
import hashlib
import json
import os
import time

from PIL import Image


def files_under(root):
    found = []
    for directory, _, names in os.walk(root):
        found += [os.path.join(directory, n) for n in names if n.lower().endswith((".png", ".jpg", ".jpeg"))]
    return sorted(found)


def ingest(path, size):
    with Image.open(path) as image:
        gray = image.convert("L")
        w, h = gray.size
        short, long_ = min(w, h), max(w, h)
        scaled = (long_ * size + short // 2) // short
        gray = gray.resize((size, scaled) if w < h else (scaled, size), Image.BICUBIC)
        w, h = gray.size
        left, top = (w - size) // 2, (h - size) // 2
        gray = gray.crop((left, top, left + size, top + size))
        return hashlib.sha256(gray.tobytes()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    paths = files_under(args.dir)
    wall, cpu = time.perf_counter(), time.process_time()
    for path in paths:
        ingest(path, args.image_size)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    result = {"files": len(paths), "files_per_second": len(paths) / wall, "cpu_ms_per_file": cpu * 1000 / len(paths)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"Pillow reference: {len(paths)} files in {wall:.1f} s: {result['files_per_second']:.0f} files/s; "
              f"CPU {result['cpu_ms_per_file']:.2f} ms per file")


if __name__ == "__main__":
    main()
