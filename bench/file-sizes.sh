#!/usr/bin/env bash
# The source tree's file-size profile (issue 16): median lines per Swift file under Sources/, and every
# file over 400 lines listed as a warning (small files with one job are the house style). Never fails.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t sizes < <(find Sources -name '*.swift' -print0 | xargs -0 wc -l | grep -v ' total$' | sort -n)
count=${#sizes[@]}
median=$(printf '%s\n' "${sizes[@]}" | awk '{print $1}' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}')
echo "file sizes: $count Swift files under Sources/, median $median lines"
printf '%s\n' "${sizes[@]}" | awk '$1 > 400 {printf "warning: %s has %d lines (over 400: split it by job)\n", $2, $1}'
