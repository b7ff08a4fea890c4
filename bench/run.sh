#!/usr/bin/env bash
# make bench: Cohort's figures beside the reference implementations, measured in the same run.
set -euo pipefail
bin="$1"; shared="$2"
python3 - "$bin" <<'PY'
# Cohort and numpy alternate (A B A B ...) over several rounds; each figure is the median over rounds,
# so a noisy neighbour on the shared machine moves both sides alike.
import json, statistics, subprocess, sys
bin, rounds = sys.argv[1], 5
def run(cmd):
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
cohort_runs, numpy_runs = [], []
for _ in range(rounds):
    cohort_runs.append(run([f"{bin}/cohort", "bench", "sgemm", "--json"]))
    numpy_runs.append(run([sys.executable, "bench/numpy_sgemm.py", "--json"]))
def medians(runs):
    table = {}
    for report in runs:
        for r in report["results"]:
            table.setdefault((r["m"], r["n"], r["k"], r["threads"]), []).append(r["gflops"])
    return {key: statistics.median(values) for key, values in table.items()}
ours, ref = medians(cohort_runs), medians(numpy_runs)
print(f"sgemm GFLOP/s, median of {rounds} alternating rounds — cohort core {cohort_runs[0]['core']} "
      f"vs numpy {numpy_runs[0].get('numpy')} core {numpy_runs[0]['core']}")
print(f"{'M':<6}{'N':<6}{'K':<6}{'THR':<5}{'cohort':>9}{'numpy':>9}{'ratio':>8}")
for key, value in ours.items():
    m, n, k, t = key
    print(f"{m:<6}{n:<6}{k:<6}{t:<5}{value:>9.1f}{ref[key]:>9.1f}{value / ref[key]:>8.2f}")
PY
if [ -d "$shared/raw-samples" ]; then
  echo "decode + preprocess ($shared/raw-samples):"
  "$bin/cohort" bench decode --dir "$shared/raw-samples"
else
  echo "decode benchmark skipped: $shared/raw-samples is absent"
fi
