#!/usr/bin/env python3
"""Elementwise ops and reductions on 4M floats against PyTorch (issue 3): rustgrad / PyTorch time.

Why one library per process: both libraries keep freed 16 MiB buffers for reuse, and two of them
in one process share the L3 and the allocator, so whichever runs second inherits the other's cache
and memory state. Each round therefore runs every library in its own child process, in turn
(rustgrad, PyTorch, rustgrad, ...), so a load change on the shared machine hits both alike; the
table shows, per op and thread count, the median over rounds of each child's median time.

    python benches/compare_elementwise.py                 # 3 rounds, 1 and 2 threads
    python benches/compare_elementwise.py --rounds 5 --only relu,sum
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

N = 4 * 1024 * 1024

OPS = {
    "x + y": lambda x, y, s: x + y,
    "x * y": lambda x, y, s: x * y,
    "x.add_(y)": lambda x, y, s: x.add_(y),
    "x.mul_(1.0001)": lambda x, y, s: x.mul_(1.0001),
    "x.relu()": lambda x, y, s: x.relu(),
    "x.relu_()": lambda x, y, s: x.relu_(),
    "s.exp()": lambda x, y, s: s.exp(),
    "s.tanh()": lambda x, y, s: s.tanh(),
    "s.sigmoid()": lambda x, y, s: s.sigmoid(),
    "s.sqrt()": lambda x, y, s: s.sqrt(),
    "x.clamp(-0.5, 0.5)": lambda x, y, s: x.clamp(-0.5, 0.5),
    "x > y": lambda x, y, s: x > y,
    "x.sum()": lambda x, y, s: x.sum(),
    "x.mean()": lambda x, y, s: x.mean(),
    "x.amax()": lambda x, y, s: x.amax(),
    "x.norm()": lambda x, y, s: x.norm(),
    "x.var()": lambda x, y, s: x.var(),
}


def child(lib, names, threads):
    """Times each op in this process; prints one JSON object {op: microseconds}."""
    if lib == "torch":
        import torch as T
    else:
        import rustgrad as T
    T.set_num_threads(threads)
    T.manual_seed(0)
    x = T.rand(N) * 2 - 1
    y = T.rand(N) * 0.01 + 0.995  # add_/mul_ keep x bounded
    s = T.rand(N) - 0.5
    out = {}
    with T.no_grad():
        for name in names:
            f = OPS[name]
            for _ in range(5):
                f(x, y, s)
            times = []
            for _ in range(15):
                t0 = time.perf_counter()
                for _ in range(10):
                    f(x, y, s)
                times.append((time.perf_counter() - t0) / 10 * 1e6)
            out[name] = statistics.median(times)
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--only", help="comma-separated words; keeps the ops whose name holds one")
    ap.add_argument("--child", nargs=3, metavar=("LIB", "THREADS", "NAMES_JSON"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], json.loads(args.child[2]), int(args.child[1]))
        return
    words = args.only.split(",") if args.only else None
    names = [n for n in OPS if words is None or any(w in n for w in words)]
    try:
        import torch  # noqa: F401
        libs = ["rustgrad", "torch"]
    except ImportError:
        libs = ["rustgrad"]
        print("PyTorch not available: rustgrad numbers only, no ratios.")
    for threads in [int(t) for t in args.threads.split(",")]:
        runs = {lib: {n: [] for n in names} for lib in libs}
        for _ in range(args.rounds):
            for lib in libs:
                cmd = [sys.executable, __file__, "--child", lib, str(threads), json.dumps(names)]
                result = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                for n in names:
                    runs[lib][n].append(result[n])
        print(f"\n{threads} thread(s), {N} float32, median of {args.rounds} rounds (us)")
        print(f"{'op':<20} {'rustgrad':>10} {'PyTorch':>10} {'ratio':>7}")
        for n in names:
            r = statistics.median(runs["rustgrad"][n])
            if "torch" in runs:
                t = statistics.median(runs["torch"][n])
                print(f"{n:<20} {r:>10.0f} {t:>10.0f} {r / t:>7.2f}")
            else:
                print(f"{n:<20} {r:>10.0f}")


if __name__ == "__main__":
    main()
