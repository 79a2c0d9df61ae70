#!/usr/bin/env python3
"""rustgrad against PyTorch (and numpy where meaningful): the measurements of issue 7 (and workload 9, the Adam step of issue 6).

Every workload is written once against the shared API (``T`` is ``rustgrad`` or ``torch``), run
INTERLEAVED (each repetition runs every library in turn, so a load change on the shared machine hits
all of them alike), and reported as medians over the repetitions. A missing peer is reported as such,
never a failure.

    python benches/compare.py            # full run (a few minutes on 2 cores)
    python benches/compare.py --quick    # smaller counts, fewer repetitions (CI smoke)
    python benches/compare.py --json out.json   # also write the results as JSON ('-' = stdout)
    python benches/compare.py --only 3,7 # a subset of workloads

Ratios are rustgrad / PyTorch time (lower is better), except for workload 4 (GFLOP/s ratio, higher
is better), 7 (thread scaling, higher is better) and 8 (seconds and bytes, shown side by side).
Both libraries run with 2 intra-op threads (``set_num_threads(2)``), except workload 7 (see there).
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _try_import(name):
    try:
        return __import__(name), None
    except Exception as e:  # noqa: BLE001  (a missing or broken peer is reported, not fatal)
        return None, f"{type(e).__name__}: {e}"


# --------------------------------------------------------------------------------------------------
# Workloads. Each `make_*` takes the library module and returns (step, units_per_step): `step()` does
# one unit of work; its time divided by `units_per_step` is what is reported.
# --------------------------------------------------------------------------------------------------


def make_linreg(T):
    """The tutorial's linear regression: 100 samples, w*x+b, MSE, manual SGD under no_grad, zero_."""
    T.manual_seed(42)
    x = T.randn(100, 1)
    y = 2 * x + 1 + T.randn(100, 1) * 0.1
    w = T.randn(1, requires_grad=True)
    b = T.randn(1, requires_grad=True)
    lr = 0.01

    def epoch():
        loss = ((w * x + b - y) ** 2).mean()
        loss.item()
        loss.backward()
        with T.no_grad():
            w.sub_(lr * w.grad)
            b.sub_(lr * b.grad)
        w.grad.zero_()
        b.grad.zero_()

    return epoch, 1


def make_chain(T, n=1000):
    """1000 small ops on 16 elements, `y = (y * 0.999 + 0.001).sin()`, forward + backward."""
    w = T.ones(16, requires_grad=True)

    def chain():
        y = w
        for _ in range(n):
            y = (y * 0.999 + 0.001).sin()
        y.sum().backward()
        w.grad = None

    return chain, 3 * n  # mul, add, sin per iteration: reported per op


def _mlp_params(T, sizes, seed):
    g = T.Generator().manual_seed(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / fan_in**0.5
        w = ((T.rand(fan_in, fan_out, generator=g) * 2 - 1) * bound).requires_grad_()
        b = ((T.rand(fan_out, generator=g) * 2 - 1) * bound).requires_grad_()
        params += [w, b]
    return params


def _mlp_loss(T, params, x, target):
    """ReLU MLP + log-softmax cross-entropy with raw ops."""
    h = x
    last = len(params) // 2 - 1
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i // 2 != last:
            h = h.relu()
    logp = h.log_softmax(1)
    return -logp.gather(1, target.unsqueeze(1)).mean()


def make_mlp(T, batch=128, sizes=(784, 256, 256, 10), seed=0):
    """One SGD training step of an MLP: forward, cross-entropy, backward, optim.SGD step, zero_grad."""
    params = _mlp_params(T, sizes, seed)
    g = T.Generator().manual_seed(seed + 1)
    x = T.randn(batch, sizes[0], generator=g)
    target = T.randint(0, sizes[-1], (batch,), generator=g)
    opt = T.optim.SGD(params, lr=0.01)

    def step():
        loss = _mlp_loss(T, params, x, target)
        loss.backward()
        opt.step()
        opt.zero_grad()

    return step, 1


def make_matmul(T, n=1024):
    """n x n float32 matmul forward + backward (3 products: 6 n^3 flops)."""
    g = T.Generator().manual_seed(0)
    a = T.randn(n, n, generator=g).requires_grad_()
    b = T.randn(n, n, generator=g).requires_grad_()

    def step():
        (a @ b).backward(gradient=ones)
        a.grad = None
        b.grad = None

    ones = T.ones(n, n)
    return step, 1


def make_elementwise(T, n=1 << 22):
    """4M elements: `((x*1.5+0.5).tanh()*x).sum()` forward + backward."""
    x = T.randn(n, generator=T.Generator().manual_seed(0)).requires_grad_()

    def step():
        ((x * 1.5 + 0.5).tanh() * x).sum().backward()
        x.grad = None

    return step, 1


def make_hvp(T, batch=64, sizes=(16, 64, 64, 1)):
    """Hessian-vector product of a small tanh MLP's loss: autograd.grad twice (create_graph)."""
    params = _mlp_params(T, sizes, 3)
    g = T.Generator().manual_seed(4)
    x = T.randn(batch, sizes[0], generator=g)
    vs = [T.randn(p.shape, generator=g) for p in params]

    def step():
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = h.tanh()
        loss = (h * h).mean()
        grads = T.autograd.grad(loss, params, create_graph=True)
        gv = sum((gi * vi).sum() for gi, vi in zip(grads, vs))
        T.autograd.grad(gv, params)

    return step, 1


def make_adam(T, total=10_000_000, pieces=10, foreach=None):
    """One Adam step over `total` parameters in `pieces` tensors whose grads are set (issue 6).
    PyTorch is asked for its `foreach` implementation when `foreach` is True."""
    g = T.Generator().manual_seed(0)
    params = [T.randn(total // pieces, generator=g).requires_grad_() for _ in range(pieces)]
    for p in params:
        p.grad = T.randn(total // pieces, generator=g)
    opt = T.optim.Adam(params, lr=1e-3) if foreach is None else T.optim.Adam(params, lr=1e-3, foreach=foreach)
    opt.step()  # creates the state, so every timed step does the same work
    return opt.step, 1


def make_elementwise_numpy(np, n=1 << 22):
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)

    def step():
        (np.tanh(x * np.float32(1.5) + np.float32(0.5)) * x).sum()

    return step, 1


# --------------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------------


def _calibrate(step, target_s):
    """Warms up, then picks an inner repeat count so one measurement takes about target_s."""
    step()
    t0 = time.perf_counter()
    step()
    dt = max(time.perf_counter() - t0, 1e-7)
    return max(1, min(10_000, round(target_s / dt)))


def _measure(step, n):
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def interleaved(cases, reps, target_s, setup=None):
    """cases: {label: (step, units)} -> {label: [seconds per unit per repetition]}.

    Every repetition runs each case once, in turn (and in alternating order), so slow phases of a
    shared machine land on all libraries. `setup[label]()`, if given, runs (untimed) before each
    of that case's measurements (e.g. to set a library's thread count)."""
    setup = setup or {}
    nop = lambda: None  # noqa: E731
    counts = {}
    for k, (step, _) in cases.items():
        setup.get(k, nop)()
        counts[k] = _calibrate(step, target_s)
    out = {k: [] for k in cases}
    labels = list(cases)
    for r in range(reps):
        for k in labels if r % 2 == 0 else labels[::-1]:
            step, units = cases[k]
            setup.get(k, nop)()
            out[k].append(_measure(step, counts[k]) / units)
    return out


# --------------------------------------------------------------------------------------------------
# Subprocess measurements: numpy matmul (clean OpenBLAS environment), import time, peak RSS.
# --------------------------------------------------------------------------------------------------

NUMPY_MATMUL = r"""
import sys, time, numpy as np
n, count = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
a @ b
ts = []
for _ in range(count):
    t0 = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t0)
ts.sort()
print(ts[len(ts) // 2])
"""


def numpy_matmul_seconds(n, count):
    """Median seconds of one n x n float32 numpy product, measured in a subprocess whose environment
    has OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed (OpenBLAS picks its own kernel) and 2 threads."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = "2"
    out = subprocess.run([sys.executable, "-c", NUMPY_MATMUL, str(n), str(count)], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def import_seconds(module, reps):
    """Median wall time of `import module` in a fresh interpreter."""
    code = f"import time; t0 = time.perf_counter(); import {module}; print(time.perf_counter() - t0)"
    ts = []
    for _ in range(reps):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        ts.append(float(out.stdout.strip()))
    return ts


def peak_rss_bytes(module, steps):
    """VmHWM of a fresh process that imports `module` and runs workload 3 for `steps` steps."""
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--_rss", module, str(steps)],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


def _rss_child(module, steps):
    T = __import__(module)
    T.set_num_threads(2)
    step, _ = make_mlp(T)
    for _ in range(steps):
        step()
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                print(int(line.split()[1]) * 1024)
                return
    print(0)


def control_thread_scaling(seconds):
    """Machine ceiling for workload 7: 2-thread / 1-thread throughput of hashlib.sha256 over 1 MiB
    buffers, C code that releases the GIL and shares nothing. On a loaded machine this is what a
    second Python thread can gain at all at that moment."""
    buf = b"x" * (1 << 20)

    def run(k):
        counts = [0] * k
        stop = time.perf_counter() + seconds

        def body(i):
            while time.perf_counter() < stop:
                hashlib.sha256(buf).digest()
                counts[i] += 1

        threads = [threading.Thread(target=body, args=(i,)) for i in range(k)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sum(counts)

    one = run(1)
    return run(2) / max(one, 1)


# --------------------------------------------------------------------------------------------------
# Workload 7: two Python threads, each training its own MLP.
# --------------------------------------------------------------------------------------------------


def thread_scaling(T, steps, reps, first=0):
    """Throughput (steps/s) with 1 and with 2 Python threads, each thread training its own MLP
    (batch 64, 256-256-256-10). Intra-op threads are set to 1 for this workload in both libraries,
    so the scaling measured is that of Python threads (GIL release), not of kernel parallelism."""
    T.set_num_threads(1)
    try:
        workers = [make_mlp(T, batch=64, sizes=(256, 256, 256, 10), seed=10 * i)[0] for i in range(2)]
        for w in workers:
            w()

        def run(k):
            def body(step):
                for _ in range(steps):
                    step()
            threads = [threading.Thread(target=body, args=(workers[i],)) for i in range(k)]
            t0 = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return k * steps / (time.perf_counter() - t0)

        one, two = [], []
        for r in range(first, first + reps):  # alternate which goes first
            if r % 2 == 0:
                one.append(run(1))
                two.append(run(2))
            else:
                two.append(run(2))
                one.append(run(1))
        return one, two
    finally:
        T.set_num_threads(2)


# --------------------------------------------------------------------------------------------------


def _fmt_time(s):
    if s is None:
        return "-"
    for unit, scale in (("s", 1), ("ms", 1e-3), ("us", 1e-6), ("ns", 1e-9)):
        if s >= scale:
            return f"{s / scale:.3g} {unit}"
    return f"{s / 1e-9:.3g} ns"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller counts and fewer repetitions")
    ap.add_argument("--json", metavar="PATH", help="write results as JSON to PATH ('-' for stdout)")
    ap.add_argument("--reps", type=int, help="repetitions per workload (default 7, quick 3)")
    ap.add_argument("--only", help="comma-separated workload numbers, e.g. 3,7")
    ap.add_argument("--torch1", action=argparse.BooleanOptionalAction, default=True,
                    help="also time PyTorch with 1 intra-op thread (workloads 1-3, 5, 6; default on)")
    ap.add_argument("--_rss", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._rss:
        _rss_child(args._rss[0], int(args._rss[1]))
        return

    reps = args.reps or (3 if args.quick else 7)
    target = 0.05 if args.quick else 0.25
    only = {int(s) for s in args.only.split(",")} if args.only else set(range(1, 10))

    import rustgrad
    torch, torch_err = _try_import("torch")
    np, np_err = _try_import("numpy")
    rustgrad.set_num_threads(2)
    libs = {"rustgrad": rustgrad}
    if torch is not None:
        torch.set_num_threads(2)
        libs["torch"] = torch
    else:
        print(f"PyTorch not available ({torch_err}): rustgrad numbers only, no ratios.")
    if np is None:
        print(f"numpy not available ({np_err}): numpy columns skipped.")

    load_start = os.getloadavg()
    results = []

    def report(num, name, unit, meds, ratio, target_text, note=""):
        row = {"workload": num, "name": name, "unit": unit, "median": meds, "ratio": ratio,
               "target": target_text, "note": note}
        results.append(row)
        cols = "  ".join(f"{k}={v if isinstance(v, str) else _fmt_time(v) if unit.startswith('s') else f'{v:.4g}'}"
                         for k, v in meds.items())
        r = "n/a (no PyTorch)" if ratio is None else f"{ratio:.3f}"
        print(f"[{num}] {name}: {cols}  ratio={r}  (target {target_text}) {note}".rstrip(), flush=True)

    def timed(num, name, unit, make, target_text):
        """Workload `make(T)` on every library, interleaved; with --torch1 also PyTorch with one
        intra-op thread (its OpenMP team of 2 collapses when the machine is oversubscribed)."""
        cases = {k: make(T) for k, T in libs.items()}
        setup = {k: (lambda T=T: T.set_num_threads(2)) for k, T in libs.items()}
        if "torch" in libs and args.torch1:
            cases["torch 1 thread"] = make(torch)
            setup["torch 1 thread"] = lambda: torch.set_num_threads(1)
        data = interleaved(cases, reps, target, setup)
        for T in libs.values():
            T.set_num_threads(2)
        meds = {k: statistics.median(v) for k, v in data.items()}
        ratio = meds["rustgrad"] / meds["torch"] if "torch" in meds else None
        note = ""
        if "torch 1 thread" in meds:
            note = f"(vs PyTorch 1 thread: {meds['rustgrad'] / meds['torch 1 thread']:.3f})"
        report(num, name, unit, meds, ratio, target_text, note)
        return meds


    if 1 in only:
        timed(1, "tutorial linear regression", "s/epoch", make_linreg, "<= 0.5")
    if 2 in only:
        timed(2, "chain of 1000 small ops, fwd+bwd", "s/op",
              lambda T: make_chain(T, 300 if args.quick else 1000), "<= 0.4")
    if 3 in only:
        timed(3, "MLP step 128x784-256-256-10", "s/step", make_mlp, "<= 0.8")
    if 4 in only:
        n = 512 if args.quick else 1024
        cases = {k: make_matmul(T, n) for k, T in libs.items()}
        counts = {k: _calibrate(step, target) for k, (step, _) in cases.items()}
        data = {k: [] for k in cases}
        if np is not None:
            data["numpy fwd"] = []
        for r in range(reps):
            for k in list(cases) if r % 2 == 0 else list(cases)[::-1]:
                data[k].append(_measure(cases[k][0], counts[k]))
            if np is not None:
                # numpy in a subprocess with a clean OpenBLAS environment, once per repetition.
                data["numpy fwd"].append(numpy_matmul_seconds(n, 3 if args.quick else 7))
        gflops = {}
        for k, ts in data.items():
            flops = (2 if k == "numpy fwd" else 6) * n**3
            gflops[k] = statistics.median(flops / t / 1e9 for t in ts)
        ratio = gflops["rustgrad"] / gflops["torch"] if "torch" in gflops else None
        note = ""
        if "numpy fwd" in gflops:
            note = f"rustgrad fwd+bwd / numpy fwd GFLOP/s = {gflops['rustgrad'] / gflops['numpy fwd']:.3f}"
        report(4, f"matmul {n}x{n} f32 fwd+bwd", "GFLOP/s", gflops, ratio, ">= 1.5 (and >= 0.8 x numpy)", note)
    if 5 in only:
        n = 1 << 20 if args.quick else 1 << 22
        meds = timed(5, f"{n} elements tanh chain fwd+bwd", "s/step", lambda T: make_elementwise(T, n), "<= 0.8")
        if np is not None:
            d = interleaved({"numpy": make_elementwise_numpy(np, n)}, reps, target)
            results[-1]["median"]["numpy fwd only"] = statistics.median(d["numpy"])
            print(f"    numpy forward only: {_fmt_time(statistics.median(d['numpy']))}"
                  f" (rustgrad fwd+bwd {_fmt_time(meds['rustgrad'])})")
    if 6 in only:
        timed(6, "Hessian-vector product, tanh MLP 16-64-64-1", "s/hvp", make_hvp, "<= 1.0")
    if 7 in only:
        steps = 10 if args.quick else 100
        meds, ratios = {}, {}
        raw = {k: ([], []) for k in libs}
        control = []
        for rep in range(reps):  # libraries (and the control) alternate each repetition
            for k, T in libs.items():
                one, two = thread_scaling(T, steps, 1, rep)
                raw[k][0].extend(one)
                raw[k][1].extend(two)
            control.append(control_thread_scaling(0.1 if args.quick else 0.3))
        for k, (one, two) in raw.items():
            meds[f"{k} 1 thread steps/s"] = statistics.median(one)
            meds[f"{k} 2 threads steps/s"] = statistics.median(two)
            ratios[k] = statistics.median(b / a for a, b in zip(one, two))
        if control:
            ratios["control (sha256, GIL-free C)"] = statistics.median(control)
        meds.update({f"{k} scaling": v for k, v in ratios.items()})
        note = "  ".join(f"{k} 2T/1T={v:.3f}" for k, v in ratios.items())
        report(7, "2 Python threads x own MLP 64x256-256-256-10 (intra-op threads 1)", "x",
               meds, ratios["rustgrad"], ">= 1.7 and > PyTorch's", note)
        results[-1]["ratio_torch"] = ratios.get("torch")
        results[-1]["ratio_numpy_control"] = ratios.get("control (sha256, GIL-free C)")
    if 8 in only:
        ir = 3 if args.quick else 7
        times = {k: [] for k in libs}
        for _ in range(ir):  # alternate libraries
            for k in libs:
                times[k] += import_seconds(k, 1)
        imp = {k: statistics.median(v) for k, v in times.items()}
        ratio = imp["rustgrad"] / imp["torch"] if "torch" in imp else None
        report(8, "import time", "s", imp, ratio, "rustgrad <= 0.2 s")
        steps = 5 if args.quick else 20
        rss = {k: peak_rss_bytes(k, steps) for k in libs}
        ratio = rss["rustgrad"] / rss["torch"] if "torch" in rss else None
        report(8, "peak RSS (VmHWM) of workload 3", "bytes", {k: float(v) for k, v in rss.items()}, ratio,
               "<= PyTorch's", "  ".join(f"{k}={v / 2**20:.0f} MiB" for k, v in rss.items()))

    if 9 in only:
        total = 1_000_000 if args.quick else 10_000_000
        cases = {k: make_adam(T, total) for k, T in libs.items()}
        if "torch" in libs:
            cases["torch foreach"] = make_adam(torch, total, foreach=True)
        data = interleaved(cases, reps, target)
        meds = {k: statistics.median(v) for k, v in data.items()}
        best = min((v for k, v in meds.items() if k.startswith("torch")), default=None)
        report(9, f"Adam step over {total // 10**6}M parameters (10 tensors)", "s/step", meds,
               None if best is None else meds["rustgrad"] / best, "<= 1.0 (vs PyTorch's faster of for-loop and foreach)")

    print("\nSummary (ratio rustgrad/PyTorch; 4: GFLOP/s ratio, 7: 2-thread/1-thread throughput):")
    for row in results:
        r = "n/a" if row["ratio"] is None else f"{row['ratio']:.3f}"
        extra = f"  {row['note']}" if row["note"] else ""
        print(f"  {row['workload']}. {row['name']:<62} {r:>8}  target {row['target']}{extra}")

    load_end = os.getloadavg()
    meta = {
        "date": datetime.date.today().isoformat(),
        "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "processor": platform.processor(),
                    "python": platform.python_version(), "loadavg_start": load_start, "loadavg_end": load_end},
        "versions": {"rustgrad": getattr(rustgrad, "__version__", "?"),
                     "torch": getattr(torch, "__version__", None), "numpy": getattr(np, "__version__", None)},
        "reps": reps, "quick": args.quick, "torch1": args.torch1,
    }
    print(f"load average: start {load_start[0]:.2f}, end {load_end[0]:.2f} ({os.cpu_count()} cpus)")
    if args.json:
        text = json.dumps({"meta": meta, "results": results}, indent=2)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w") as f:
                f.write(text + "\n")


if __name__ == "__main__":
    main()
