#!/usr/bin/python3
"""make bench, DICOM part: images/s of Cohort's DICOM decode (cohort bench decode: read, GDCM in
cohort-dicom-helper, the display chain, preprocessing to 64 px; one thread) beside GDCM's own
`gdcmconv --raw` (a process per file: GDCM's own decode, no display chain) and the same work in Python —
pydicom's dcmread + pixel_array + apply_modality_lut + apply_voi_lut, then Pillow's bicubic resize of the
shorter side to 64 px and a centre crop — per transfer syntax, on fixtures of a realistic radiograph size
made by Tests/Fixtures/make_dicom_fixtures.py. Medians of alternating rounds.
Usage: dicom_decode.py RELEASE_BIN_DIR [ROWSxCOLS]. Needs dcmtk, libgdcm-tools, python3-pydicom,
python3-gdcm (pydicom's handler for compressed syntaxes) and python3-pil."""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pydicom
from PIL import Image
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut

bin_dir = sys.argv[1]
size = sys.argv[2] if len(sys.argv) > 2 else "2048x1664"
root = os.path.dirname(os.path.abspath(__file__)) + "/.."
work = tempfile.mkdtemp(prefix="cohort-dicom-bench-")
subprocess.run(["/usr/bin/python3", f"{root}/Tests/Fixtures/make_dicom_fixtures.py", work + "/all"], check=True,
               capture_output=True, env=dict(os.environ, COHORT_FIXTURE_SIZE=size))
syntaxes = {
    "explicit LE": "dx_u12_window.dcm", "deflate": "dx_deflate.dcm", "RLE": "dx_rle.dcm",
    "JPEG lossless SV1": "dx_jpeg_lossless_sv1.dcm", "JPEG-LS": "dx_jpegls.dcm", "JPEG 2000": "dx_j2k.dcm",
}
copies = 8  # files per syntax (one fixture, copied: the decode work is the same per file)


def cohort(directory):
    out = subprocess.run([f"{bin_dir}/cohort", "bench", "decode", "--dir", directory, "--threads", "1", "--json"],
                         check=True, capture_output=True, text=True).stdout
    return next(r["images_per_second"] for r in json.loads(out) if r["size"] == 64)


def gdcm(files):
    start = time.perf_counter()
    for f in files:
        subprocess.run(["gdcmconv", "--raw", f, work + "/raw.dcm"], check=True, capture_output=True)
    return len(files) / (time.perf_counter() - start)


def pydicom_chain(files, side=64):
    start = time.perf_counter()
    for f in files:
        ds = pydicom.dcmread(f)
        shown = apply_voi_lut(apply_modality_lut(ds.pixel_array, ds), ds).astype(np.float32)
        image = Image.fromarray(shown, mode="F")
        scale = side / min(image.size)
        w, h = max(side, round(image.size[0] * scale)), max(side, round(image.size[1] * scale))
        image = image.resize((w, h), Image.BICUBIC)
        left, top = (w - side) // 2, (h - side) // 2
        np.asarray(image.crop((left, top, left + side, top + side)))
    return len(files) / (time.perf_counter() - start)


print(f"DICOM decode, {size} 12-bit MONOCHROME2, images/s, 1 thread, median of 3 alternating rounds")
print(f"{'syntax':<20}{'cohort':>9}{'gdcmconv':>10}{'pydicom+PIL':>13}{'vs pydicom':>12}")
for name, fixture in syntaxes.items():
    directory = f"{work}/{name.replace(' ', '_')}"
    os.makedirs(directory)
    files = []
    for i in range(copies):
        files.append(f"{directory}/{i}.dcm")
        shutil.copy(f"{work}/all/{fixture}", files[-1])
    ours, theirs, reference = [], [], []
    for _ in range(3):
        ours.append(cohort(directory))
        theirs.append(gdcm(files))
        try:
            reference.append(pydicom_chain(files))
        except Exception as error:  # no pydicom handler for this syntax on this machine
            reference = [f"n/a ({type(error).__name__})"]
    a, b = statistics.median(ours), statistics.median(theirs)
    if isinstance(reference[0], str):
        print(f"{name:<20}{a:>9.1f}{b:>10.1f}{'n/a':>13}{'':>12}   pydicom: {reference[0]}")
    else:
        c = statistics.median(reference)
        print(f"{name:<20}{a:>9.1f}{b:>10.1f}{c:>13.1f}{a / c:>11.2f}×")
shutil.rmtree(work)
