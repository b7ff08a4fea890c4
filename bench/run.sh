#!/usr/bin/env bash
# make bench: Cohort's figures beside their references, measured in the same run on the same machine.
# Commands alternate (A B A B …) and every figure is a median over rounds, so a noisy neighbour on a
# shared machine moves both sides alike. Prints ratios; asserts nothing.
set -euo pipefail
bin="$1"; shared="$2"
cd "$(dirname "$0")/.."
if ! python3 -c "import torch" 2>/dev/null; then
  echo "installing the CPU-only PyTorch wheel for the reference benchmark (not a run-time dependency)"
  python3 -m pip install -q torch==2.13.0
fi
python3 - "$bin" <<'PY'
import json, statistics, subprocess, sys
bin = sys.argv[1]

def run(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)

def medians(runs, key_fields, value):
    table = {}
    for report in runs:
        for r in report["results"]:
            table.setdefault(tuple(r[f] for f in key_fields), []).append(r[value])
    return {key: statistics.median(values) for key, values in table.items()}

# sgemm: cohort (its OpenBLAS, core corrected at start-up) vs numpy's bundled OpenBLAS.
rounds = 5
cohort_runs, numpy_runs = [], []
for _ in range(rounds):
    cohort_runs.append(run([f"{bin}/cohort", "bench", "sgemm", "--json"]))
    numpy_runs.append(run([sys.executable, "bench/numpy_sgemm.py", "--json"]))
ours, ref = medians(cohort_runs, ("m", "n", "k", "threads"), "gflops"), medians(numpy_runs, ("m", "n", "k", "threads"), "gflops")
print(f"sgemm GFLOP/s, median of {rounds} alternating rounds — cohort core {cohort_runs[0]['core']} "
      f"vs numpy {numpy_runs[0].get('numpy')} core {numpy_runs[0]['core']}")
print(f"{'M':<6}{'N':<6}{'K':<6}{'THR':<5}{'cohort':>9}{'numpy':>9}{'ratio':>8}")
for key, value in ours.items():
    m, n, k, t = key
    print(f"{m:<6}{n:<6}{k:<6}{t:<5}{value:>9.1f}{ref[key]:>9.1f}{value / ref[key]:>8.2f}")
sgemm_2t = ours[(1024, 1024, 1024, 2)]

# Models: cohort bench train vs bench/torch_reference.py (PyTorch's faster memory layout).
rounds = 3
print(f"\nmodels, 2 threads, median of {rounds} alternating rounds (PyTorch: its faster layout)")
print(f"{'model':<11}{'figure':<22}{'cohort':>10}{'pytorch':>10}{'ratio':>8}")
for model in ("cgan", "classifier"):
    ours, theirs = [], []
    for _ in range(rounds):
        ours.append(run([f"{bin}/cohort", "bench", "train", "--model", model, "--steps", "20", "--json"]))
        theirs.append(run([sys.executable, "bench/torch_reference.py", "--model", model, "--steps", "20", "--json"]))
    for field, label in (("train_images_per_second", "train images/s"), ("inference_images_per_second", "inference images/s"),
                         ("gflops", "train GFLOP/s")):
        a = statistics.median(r[field] for r in ours)
        b = statistics.median(r[field] for r in theirs)
        print(f"{model:<11}{label:<22}{a:>10.1f}{b:>10.1f}{a / b:>8.2f}")
    rss = max(r["peak_rss_bytes"] for r in ours) / 2**20
    trss = max(r["peak_rss_bytes"] for r in theirs) / 2**20
    gf = statistics.median(r["gflops"] for r in ours)
    print(f"{model:<11}{'peak RSS MiB':<22}{rss:>10.0f}{trss:>10.0f}")
    print(f"{model:<11}{'of sgemm 1024³ 2 thr':<22}{gf / sgemm_2t:>10.2f}")
PY
if [ -d "$shared/raw-samples" ]; then
  echo
  echo "decode + preprocess ($shared/raw-samples):"
  "$bin/cohort" bench decode --dir "$shared/raw-samples"
else
  echo "decode benchmark skipped: $shared/raw-samples is absent"
fi

# DICOM decode beside GDCM's gdcmconv and pydicom (Debian packages; skipped when absent).
if command -v gdcmconv >/dev/null && /usr/bin/python3 -c "import pydicom" 2>/dev/null; then
  echo
  /usr/bin/python3 bench/dicom_decode.py "$bin"
else
  echo "DICOM decode benchmark skipped: needs libgdcm-tools, dcmtk and python3-pydicom (make test-deps installs them)"
fi

# Ingest: a burst of chest X-rays dropped into a fresh cohortd, beside a Pillow script doing the decode +
# resize + hash part of it; then the near-duplicate index alone at 1k/10k/50k fingerprints.
if [ -d "$shared/chest-xray/train" ]; then
  echo
  echo "ingest (CPU: $(lscpu | sed -n 's/^Model name: *//p'))"
  "$bin/cohort" bench ingest --dir "$shared/chest-xray/train" --files 10000
  /usr/bin/python3 bench/ingest_pillow.py --dir "$shared/chest-xray/train"
  "$bin/cohort" bench near-duplicates
else
  echo "ingest benchmark skipped: $shared/chest-xray/train is absent"
fi
