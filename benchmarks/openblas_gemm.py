#!/usr/bin/python3
"""OpenBLAS SGEMM on the same products as `jtune bench gemm`, for the side-by-side column.

Reads a JSON list of cases on stdin, each {"key", "product", "tokens", "in", "out"} with product
one of "fwd" (y = x @ W.T), "dX" (dX = dY @ W) or "dW" (dW = dY.T @ X), W being [out x in] fp32.
Times each the way jtune does (warm-up, then the median of --runs runs) and prints one JSON object:
{"library": ..., "threads": N, "results": {key: {"seconds": s, "gflops": g}}} or {"error": ...}.

The thread count must be fixed before numpy loads OpenBLAS, so run it once per count with
OPENBLAS_NUM_THREADS set (jtune does). Needs Debian's python3-numpy with libopenblas0-pthread,
which provides libblas.so.3 through update-alternatives: apt-get install -y libopenblas0-pthread
"""
import argparse
import json
import os
import sys
import time


def blas_library():
    """The BLAS shared object numpy's matmul actually runs on, read from this process's maps."""
    libs = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if "blas" in name or "mkl" in name:
                libs.add(os.path.realpath(path))
    return sorted(libs)


def operands(case, rng, np):
    t, d_in, d_out = case["tokens"], case["in"], case["out"]
    f32 = np.float32
    if case["product"] == "fwd":
        x = rng.standard_normal((t, d_in), dtype=f32)
        w = rng.standard_normal((d_out, d_in), dtype=f32)
        return lambda out: np.matmul(x, w.T, out=out), np.empty((t, d_out), f32)
    if case["product"] == "dX":
        dy = rng.standard_normal((t, d_out), dtype=f32)
        w = rng.standard_normal((d_out, d_in), dtype=f32)
        return lambda out: np.matmul(dy, w, out=out), np.empty((t, d_in), f32)
    if case["product"] == "dW":
        dy = rng.standard_normal((t, d_out), dtype=f32)
        x = rng.standard_normal((t, d_in), dtype=f32)
        return lambda out: np.matmul(dy.T, x, out=out), np.empty((d_out, d_in), f32)
    raise ValueError("unknown product " + case["product"])


def median_seconds(fn, out, runs, warmup_seconds, clock, threads):
    """Like jtune: "wall" is real time; "cpu" is this process's CPU time over the thread count."""
    now = time.perf_counter if clock == "wall" else time.process_time
    scale = 1.0 if clock == "wall" else 1.0 / threads
    end = time.perf_counter() + warmup_seconds
    done = 0
    while done < 3 or time.perf_counter() < end:
        fn(out)
        done += 1
    times = []
    for _ in range(runs):
        t0 = now()
        fn(out)
        times.append((now() - t0) * scale)
    times.sort()
    mid = len(times) // 2
    return times[mid] if len(times) % 2 else (times[mid - 1] + times[mid]) / 2


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    args = parser.parse_args()
    try:
        import numpy as np
    except ImportError:
        print(json.dumps({"error": "numpy is missing: apt-get install -y python3-numpy libopenblas0-pthread"}))
        return 0
    cases = json.load(sys.stdin)
    threads = int(os.environ.get("OPENBLAS_NUM_THREADS", "0")) or os.cpu_count()
    rng = np.random.default_rng(42)
    results = {}
    for case in cases:
        fn, out = operands(case, rng, np)
        seconds = median_seconds(fn, out, args.runs, args.warmup, args.clock, threads)
        flops = 2.0 * case["tokens"] * case["in"] * case["out"]
        results[case["key"]] = {"seconds": seconds, "gflops": flops / seconds / 1e9}
    libs = blas_library()
    if not any("openblas" in lib for lib in libs):
        print(json.dumps({"error": "numpy does not run on OpenBLAS here (it loaded: " + (", ".join(libs) or "no BLAS")
                          + "); install it with: apt-get install -y libopenblas0-pthread"}))
        return 0
    print(json.dumps({"library": ", ".join(libs), "numpy": np.__version__,
                      "threads": threads, "clock": args.clock, "results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
