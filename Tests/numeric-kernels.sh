#!/usr/bin/env bash
# Runs the numerical suites (op fixtures, finite-difference gradient checks, tiled kernels, the two
# PyTorch iteration fixtures and their negative tests, sgemm) under every OpenBLAS kernel this CPU can
# execute, so a tolerance that holds for one kernel only fails here and not in CI on another CPU (issue 11).
# Usage: Tests/numeric-kernels.sh   (after `swift build --build-tests`; `make test` calls it)
set -euo pipefail
cd "$(dirname "$0")/.."

SUITES='OpFixtureTests|ConditionalBatchNormTests|GradientCheckTests|ModelGradientTests|SpectralNormTests|TiledKernelTests|IterationFixtureTests|NegativeIterationTests|DiscriminatorWithoutBatchNormTests|SgemmTests'

# OpenBLAS's x86-64 kernels from oldest to newest with the CPU flags each needs (OpenBLAS 0.3.21,
# driver/others/dynamic.c). Zen runs on any AVX2+FMA CPU, Intel's too.
flags=" $(grep -m1 '^flags' /proc/cpuinfo | cut -d: -f2) "
has() { for f in "$@"; do [[ "$flags" == *" $f "* ]] || return 1; done; }
kernels=()
has pni && kernels+=(Prescott)   # pni: the kernel's name for SSE3
has avx && kernels+=(Sandybridge)
has avx2 fma && kernels+=(Haswell Zen)
has avx512f avx512bw avx512vl avx512dq && kernels+=(SkylakeX)
has avx512f avx512bw avx512vl avx512dq avx512_bf16 && kernels+=(Cooperlake)

echo "numeric suites under OpenBLAS kernels: ${kernels[*]} ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
failed=()
for kernel in "${kernels[@]}"; do
    log=$(mktemp)
    start=$SECONDS
    # OPENBLAS_VERBOSE=2 makes OpenBLAS print the core it loaded: proof the kernel was honoured.
    if OPENBLAS_VERBOSE=2 OPENBLAS_CORETYPE=$kernel swift test --skip-build --filter "$SUITES" >"$log" 2>&1; then
        status=passed
    else
        status=FAILED
        failed+=("$kernel")
    fi
    core=$(grep -m1 -o 'Core: [A-Za-z0-9]*' "$log" | cut -d' ' -f2 || true)
    if [[ "$core" != "$kernel" ]]; then
        status="FAILED (OpenBLAS loaded '${core:-?}', not $kernel)"
        failed+=("$kernel")
    fi
    echo "  $kernel: $status in $((SECONDS - start)) s"
    grep -E 'iteration vs PyTorch|dropped fake term|sign flip' "$log" | sed "s/^/    /" | cut -c1-700 || true
    if [[ "$status" != passed ]]; then grep -E '✘|error:' "$log" | head -40 | sed 's/^/    /'; fi
    rm -f "$log"
done
if (( ${#failed[@]} )); then
    echo "numeric suites failed under: ${failed[*]}" >&2
    exit 1
fi
