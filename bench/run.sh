#!/usr/bin/env bash
# make bench: Cohort's figures beside the reference implementations, measured in the same run.
set -euo pipefail
bin="$1"; shared="$2"
python3 - "$bin" <<'PY'
import json, subprocess, sys
bin = sys.argv[1]
cohort = json.loads(subprocess.run([f"{bin}/cohort", "bench", "sgemm", "--json"], check=True,
                                   capture_output=True, text=True).stdout)
numpy = json.loads(subprocess.run([sys.executable, "bench/numpy_sgemm.py", "--json"], check=True,
                                  capture_output=True, text=True).stdout)
ref = {(r["m"], r["n"], r["k"], r["threads"]): r["gflops"] for r in numpy["results"]}
print(f"sgemm GFLOP/s — cohort core {cohort['core']} vs numpy {numpy.get('numpy')} core {numpy['core']}")
print(f"{'M':<6}{'N':<6}{'K':<6}{'THR':<5}{'cohort':>9}{'numpy':>9}{'ratio':>8}")
for r in cohort["results"]:
    key = (r["m"], r["n"], r["k"], r["threads"])
    print(f"{r['m']:<6}{r['n']:<6}{r['k']:<6}{r['threads']:<5}{r['gflops']:>9.1f}{ref[key]:>9.1f}{r['gflops']/ref[key]:>8.2f}")
PY
if [ -d "$shared/raw-samples" ]; then
  echo "decode + preprocess ($shared/raw-samples):"
  "$bin/cohort" bench decode --dir "$shared/raw-samples"
else
  echo "decode benchmark skipped: $shared/raw-samples is absent"
fi
