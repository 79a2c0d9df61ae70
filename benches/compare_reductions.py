#!/usr/bin/env python3
"""Reductions and softmax against PyTorch (issue 3): rustgrad / PyTorch time ratios.

Each workload is written once against the shared API (``T`` is ``rustgrad`` or ``torch``) and run
INTERLEAVED with PyTorch (each repetition times both libraries in turn, so a load change on the
shared machine hits both alike); the table shows medians and the ratio rustgrad / PyTorch (lower is
better), at 2 and at 1 intra-op threads.

    python benches/compare_reductions.py            # both thread counts
    python benches/compare_reductions.py --threads 1 --reps 15
    python benches/compare_reductions.py --only sum norm     # rows whose name holds a word
"""

import argparse
import os
import statistics
import time


def workloads(T):
    T.manual_seed(0)
    v = T.randn(4 * 1024 * 1024)
    m = T.randn(2048, 2048)
    mg = T.randn(2048, 2048, requires_grad=True)
    mt = m.t()
    ms = m[:, ::2]

    def fwd_bwd(fn):
        def step():
            fn(mg).sum().backward()
            mg.grad = None

        return step

    return [
        ("v.sum(), 4M f32", lambda: v.sum()),
        ("m.sum(1), 2048x2048", lambda: m.sum(1)),
        ("m.sum(0), 2048x2048", lambda: m.sum(0)),
        ("m.amax(1)", lambda: m.amax(1)),
        ("m.max(1) (values, indices)", lambda: m.max(1)),
        ("m.softmax(-1)", lambda: m.softmax(-1)),
        ("m.log_softmax(-1)", lambda: m.log_softmax(-1)),
        ("softmax(-1) fwd+bwd", fwd_bwd(lambda x: x.softmax(-1))),
        ("log_softmax(-1) fwd+bwd", fwd_bwd(lambda x: x.log_softmax(-1))),
        ("m.logsumexp(1)", lambda: m.logsumexp(1)),
        ("v.var(), 4M f32", lambda: v.var()),
        ("v.norm(), 4M f32", lambda: v.norm()),
        # Columns, a non-last softmax dim and non-contiguous inputs (issue 3, second part).
        ("m.amax(0)", lambda: m.amax(0)),
        ("m.max(0) (values, indices)", lambda: m.max(0)),
        ("m.min(0) (values, indices)", lambda: m.min(0)),
        ("m.softmax(0)", lambda: m.softmax(0)),
        ("m.log_softmax(0)", lambda: m.log_softmax(0)),
        ("softmax(0) fwd+bwd", fwd_bwd(lambda x: x.softmax(0))),
        ("mt.softmax(-1), transposed", lambda: mt.softmax(-1)),
        ("mt.sum(1), transposed", lambda: mt.sum(1)),
        ("ms.amax(1), m[:, ::2]", lambda: ms.amax(1)),
    ]


def timed(fn, inner):
    fn()
    t0 = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - t0) / inner


def run(threads, reps, inner, only=()):
    import torch

    import rustgrad

    torch.set_num_threads(threads)
    rustgrad.set_num_threads(threads)
    ours, theirs = workloads(rustgrad), workloads(torch)
    rows = []
    for (name, f), (_, g) in zip(ours, theirs):
        if only and not any(w in name for w in only):
            continue
        a, b = [], []
        for _ in range(reps):
            a.append(timed(f, inner))
            b.append(timed(g, inner))
        ta, tb = statistics.median(a), statistics.median(b)
        rows.append((name, ta, tb, ta / tb))
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=int, nargs="*", default=[2, 1])
    p.add_argument("--reps", type=int, default=11)
    p.add_argument("--inner", type=int, default=5)
    p.add_argument("--only", nargs="*", default=[], help="keep the workloads whose name contains one of these")
    args = p.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for th in args.threads:
        print(f"\n{th} thread(s)\n| workload | rustgrad | PyTorch | ratio |\n|---|---|---|---|")
        for name, ta, tb, r in run(th, args.reps, args.inner, args.only):
            print(f"| {name} | {ta * 1e6:.0f} us | {tb * 1e6:.0f} us | {r:.2f} |")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
