#!/usr/bin/env python3
"""Reference sgemm figures from numpy, printed like `cohort bench sgemm`.

numpy's wheel bundles a recent OpenBLAS that detects this CPU, so it is the yardstick for
Cohort's BLAS start-up check. Each thread count runs in a fresh child process with
OPENBLAS_NUM_THREADS set (OpenBLAS fixes its pool at load time), and with OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE removed so numpy picks its own kernel.

Usage: python3 bench/numpy_sgemm.py [--json] [--threads 1,2]
"""
import argparse
import json
import os
import subprocess
import sys
import time

SHAPES = [(1024, 1024, 1024), (64, 4096, 576), (128, 1024, 1152), (256, 256, 2304)]


def measure(min_seconds=0.5):
    import numpy as np

    results = []
    for m, n, k in SHAPES:
        a = ((np.arange(m * k) % 13) * 0.01 - 0.06).astype(np.float32).reshape(m, k)
        b = ((np.arange(k * n) % 7) * 0.02 - 0.06).astype(np.float32).reshape(k, n)
        c = np.empty((m, n), dtype=np.float32)
        np.matmul(a, b, out=c)  # warm-up
        best, total, runs = float("inf"), 0.0, 0
        while runs < 5 or total < min_seconds:
            start = time.perf_counter()
            np.matmul(a, b, out=c)
            elapsed = time.perf_counter() - start
            best, total, runs = min(best, elapsed), total + elapsed, runs + 1
        results.append({"m": m, "n": n, "k": k, "gflops": 2.0 * m * n * k / best / 1e9})
    core = "unknown"
    try:
        from threadpoolctl import threadpool_info

        core = next((i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"), core)
    except ImportError:
        pass
    return {"core": core or "unknown", "numpy": np.__version__, "results": results}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure()))
        return
    report = {"core": None, "results": []}
    for threads in [int(t) for t in args.threads.split(",")]:
        env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
        env["OPENBLAS_NUM_THREADS"] = str(threads)
        out = subprocess.run([sys.executable, __file__, "--child"], env=env, check=True, capture_output=True, text=True)
        child = json.loads(out.stdout)
        report["core"] = child["core"]
        report["numpy"] = child["numpy"]
        for r in child["results"]:
            report["results"].append({**r, "threads": threads})
    report["results"].sort(key=lambda r: (SHAPES.index((r["m"], r["n"], r["k"])), r["threads"]))
    if args.json:
        print(json.dumps(report))
        return
    print(f"numpy {report['numpy']} OpenBLAS core: {report['core']}")
    print(f"{'M':<6}{'N':<6}{'K':<6}{'THREADS':<9}GFLOP/S")
    for r in report["results"]:
        print(f"{r['m']:<6}{r['n']:<6}{r['k']:<6}{r['threads']:<9}{r['gflops']:.1f}")


if __name__ == "__main__":
    main()
