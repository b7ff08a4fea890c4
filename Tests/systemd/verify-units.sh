#!/bin/bash
# `systemd-analyze verify` on the shipped units, as `make install` would install them, with ExecStart
# pointing at the binaries just built (the unit names /usr/local/bin). Any output is a failure:
# systemd-analyze prints warnings without failing on them.
set -euo pipefail
bindir=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v systemd-analyze >/dev/null; then
    echo "verify-units: systemd-analyze not installed; skipped" >&2
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s|/usr/local/bin/|$bindir/|g" "$repo/systemd/cohortd.service" > "$work/cohortd.service"
cp "$repo/systemd/cohortd.socket" "$repo/systemd/cohort-dicom.socket" "$repo/systemd/cohort-dicom@.service" "$work/"
output=$(cd "$work" && systemd-analyze verify --man=no ./cohortd.service ./cohortd.socket ./cohort-dicom.socket ./cohort-dicom@.service 2>&1) || status=$?
if [ -n "$output" ] || [ "${status:-0}" -ne 0 ]; then
    echo "systemd-analyze verify failed on the units in systemd/:" >&2
    echo "$output" >&2
    exit 1
fi
echo "systemd-analyze verify: cohortd.service, cohortd.socket, cohort-dicom.socket, cohort-dicom@.service clean"
