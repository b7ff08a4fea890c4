#!/usr/bin/env bash
# make demo's driver: runs cohortd end to end on a temporary tree. Without DATA it makes a deliberately
# imbalanced set of phantom scans (one_lesion ≫ two_lesions ≫ ring_lesion) and drops it in two waves;
# with DATA=<ImageFolder> it drops that tree instead (half, then the rest). It prints the daemon's log
# and a status table as the GAN trains, samples appear and reports are written, and stops by itself
# after the report that follows the last wave (or after DEMO_MINUTES, 20 by default).
set -euo pipefail
BIN=${1:?usage: demo.sh BIN_DIR DEMO_DIR [DATA]}
DEMO=${2:?}
DATA=${3:-}
MINUTES=${DEMO_MINUTES:-20}
REPO=$(cd "$(dirname "$0")/.." && pwd)

rm -rf "$DEMO" && mkdir -p "$DEMO/incoming/demo" "$DEMO/staging"
export COHORT_STATE_DIRECTORY="$DEMO/state" COHORT_SOCKET_PATH="$DEMO/cohortd.sock"
export COHORT_DATASET_DEMO_WATCH_ROOT="$DEMO/incoming/demo" COHORT_DATASET_DEMO_OUTPUT_ROOT="$DEMO/output/demo"

if [ -z "$DATA" ]; then
  echo "== phantom scans: wave 1 = 160/60/20, wave 2 = 40/40/40 (one_lesion/two_lesions/ring_lesion)"
  "$BIN/cohort" phantoms --out "$DEMO/staging/wave1" --counts 160,60,20 --seed 1 >/dev/null
  "$BIN/cohort" phantoms --out "$DEMO/staging/wave2" --counts 40,40,40 --seed 2 >/dev/null
else
  echo "== real data from $DATA: wave 1 = every other file, wave 2 = the rest"
  (cd "$DATA" && find . -type f \( -iname '*.png' -o -iname '*.jpg' -o -iname '*.jpeg' \) | sort) > "$DEMO/files.txt"
  n=0
  while IFS= read -r f; do
    n=$((n + 1)); wave=$(( (n % 2) + 1 ))
    mkdir -p "$DEMO/staging/wave$wave/$(dirname "$f")"
    ln "$DATA/$f" "$DEMO/staging/wave$wave/$f" 2>/dev/null || cp "$DATA/$f" "$DEMO/staging/wave$wave/$f"
  done < "$DEMO/files.txt"
fi

"$BIN/cohortd" --config "$REPO/etc/cohort/cohortd.demo.yaml" 2>&1 | sed -u 's/^/  cohortd | /' &
DAEMON_PIPE=$!
sleep 1
PID=$(pgrep -n -f "cohortd --config $REPO/etc/cohort/cohortd.demo.yaml" || true)
stop() { [ -n "$PID" ] && kill -TERM "$PID" 2>/dev/null || true; wait "$DAEMON_PIPE" 2>/dev/null || true; }
trap stop EXIT

report_dirs() { { find "$DEMO/state/reports/demo" -mindepth 1 -maxdepth 1 -type d 2>/dev/null || true; } | sort; }
reports() { report_dirs | wc -l; }
show() { echo "== $(date -u +%H:%M:%S) status"; "$BIN/cohort" status --state "$DEMO/state" 2>/dev/null | sed 's/^/   /' || true; }
drop() {
  echo "== dropping wave $1 into $DEMO/incoming/demo (cp -r)"
  cp -r "$DEMO/staging/wave$1/." "$DEMO/incoming/demo/"
}

deadline=$(( $(date +%s) + MINUTES * 60 ))
drop 1
# Wave 2 goes in once the first synthetic samples exist; the demo ends with the report that follows it.
while [ ! -s "$DEMO/output/demo/manifest.jsonl" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 10; show; done
drop 2
before=$(reports)
while [ "$(date +%s)" -lt "$deadline" ]; do
  sleep 10; show
  if [ "$(reports)" -gt "$before" ] && ! "$BIN/cohort" status --state "$DEMO/state" 2>/dev/null | grep -qE ' (queued|running|interrupted) '; then break; fi
done
stop
trap - EXIT
echo
show
latest=$(report_dirs | tail -1)
if [ -n "$latest" ]; then
  echo "== report: $latest/report.html (and report.json)"
  echo "== synthetic samples: $DEMO/output/demo/<class>/syn-*.png, manifest: $DEMO/output/demo/manifest.jsonl"
else
  echo "== no report within $MINUTES minutes (raise DEMO_MINUTES on a slow machine)"
  exit 1
fi
