"""Python threads (issue 4): independent graphs built and backpropagated concurrently give exactly the
single-threaded results, grad mode stays per thread, shared read-only tensors can be used from
several threads at once, and big kernels, backward and optimizer steps release the GIL.

GIL release is proved functionally, not by timing: with the interpreter's switch interval raised so
that it never preempts a thread, a second Python thread can run only while the first one has released
the GIL. A counter that thread increments must therefore advance across a rustgrad call exactly when
that call released the GIL (a pure-Python busy loop of the same length is the control: no advance).
"""

import sys
import threading
import time

import pytest

import rustgrad

TIMEOUT = 60  # seconds; a thread that takes longer has deadlocked


def _run_threads(fns):
    """Runs each fn in its own thread, started together; returns their results in order and
    re-raises the first exception here."""
    results = [None] * len(fns)
    errors = []
    barrier = threading.Barrier(len(fns))

    def body(i, fn):
        try:
            barrier.wait(TIMEOUT)
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "thread deadlocked"
    if errors:
        raise errors[0]
    return results


def _data(seed):
    g = rustgrad.Generator().manual_seed(seed)
    return {
        "x": rustgrad.randn(48, 40, generator=g),
        "w1": rustgrad.randn(40, 300, generator=g) * 0.1,
        "b1": rustgrad.randn(300, generator=g),
        "w2": rustgrad.randn(300, 7, generator=g) * 0.1,
        "t": rustgrad.randint(0, 7, (48,), generator=g),
    }


def _train(d, steps=5):
    """A few SGD steps of a small MLP from fresh copies of `d`'s parameters (matmul, tanh,
    log_softmax, gather, mean, backward, in-place update); returns every value it produced."""
    w1, b1, w2 = (d[k].clone().requires_grad_() for k in ("w1", "b1", "w2"))
    out = []
    for _ in range(steps):
        h = (d["x"] @ w1 + b1).tanh()
        logp = (h @ w2).log_softmax(1)
        loss = -logp.gather(1, d["t"].unsqueeze(1)).mean()
        loss.backward()
        out.append(loss.item())
        with rustgrad.no_grad():
            for p in (w1, b1, w2):
                p -= 0.1 * p.grad
                p.grad = None
    return out, [p.tolist() for p in (w1, b1, w2)]


def test_four_threads_training_independent_graphs_match_single_thread_exactly():
    data = [_data(seed) for seed in range(4)]
    expected = [_train(d) for d in data]
    for _ in range(3):
        got = _run_threads([lambda d=d: _train(d) for d in data])
        assert got == expected


def test_four_threads_higher_order_grads_match_single_thread_exactly():
    def hvp(seed):
        g = rustgrad.Generator().manual_seed(seed)
        w = rustgrad.randn(30, 30, generator=g, dtype=rustgrad.float64).requires_grad_()
        x = rustgrad.randn(20, 30, generator=g, dtype=rustgrad.float64)
        v = rustgrad.randn(30, 30, generator=g, dtype=rustgrad.float64)
        loss = (x @ w).tanh().pow(2).sum()
        (gw,) = rustgrad.autograd.grad(loss, w, create_graph=True)
        (hv,) = rustgrad.autograd.grad((gw * v).sum(), w)
        return gw.tolist(), hv.tolist()

    expected = [hvp(s) for s in range(4)]
    assert _run_threads([lambda s=s: hvp(s) for s in range(4)]) == expected


def test_concurrent_backward_into_a_shared_leaf_accumulates_every_gradient():
    # Integer-valued grads: the sum is exact in any order, so a lost update would show.
    w = rustgrad.zeros(1000, requires_grad=True)
    per_thread, rounds = 4, 50

    def work(i):
        c = rustgrad.full((1000,), float(i + 1))
        for _ in range(rounds):
            (w * c).sum().backward()

    _run_threads([lambda i=i: work(i) for i in range(per_thread)])
    assert w.grad.tolist() == [float(rounds * sum(range(1, per_thread + 1)))] * 1000


def test_concurrent_ops_on_shared_read_only_tensors():
    g = rustgrad.Generator().manual_seed(7)
    a = rustgrad.randn(200, 300, generator=g)
    b = rustgrad.randn(300, 150, generator=g)
    v = rustgrad.randn(1 << 16, generator=g)
    at = a.t()  # a strided view shared too

    def compute():
        return [
            (a @ b).tolist(),
            (at.t() @ b).sum().item(),
            a.sum(1).tolist(),
            v.tanh().sum().item(),
            (v * 2 + 1).exp().mean().item(),
            a.softmax(1)[::7].tolist(),
            at[5:9].tolist(),
        ]

    expected = compute()
    for _ in range(5):
        assert _run_threads([compute] * 4) == [expected] * 4
    assert not a.requires_grad and a._version == 0


def test_concurrent_ops_on_a_shared_leaf_that_requires_grad():
    # Several threads read one parameter in separate graphs; each graph's grad is its own.
    w = rustgrad.randn(64, 64, generator=rustgrad.Generator().manual_seed(3)).requires_grad_()

    def grad_of(k):
        x = rustgrad.full((8, 64), float(k))
        (gw,) = rustgrad.autograd.grad(((x @ w).sin()).sum(), w)
        return gw.tolist()

    expected = [grad_of(k) for k in range(4)]
    for _ in range(3):
        assert _run_threads([lambda k=k: grad_of(k) for k in range(4)]) == expected
    assert w.grad is None


def test_no_grad_in_one_thread_does_not_leak_into_another():
    x = rustgrad.ones(3, requires_grad=True)
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with rustgrad.no_grad():
            seen["holder"] = (rustgrad.is_grad_enabled(), (x * 2).requires_grad)
            entered.set()
            assert checked.wait(TIMEOUT)
            seen["holder_after"] = rustgrad.is_grad_enabled()

    def other():
        assert entered.wait(TIMEOUT)
        y = x * 2
        seen["other"] = (rustgrad.is_grad_enabled(), y.requires_grad, type(y.grad_fn).__name__)
        checked.set()

    _run_threads([holder, other])
    assert seen == {"holder": (False, False), "other": (True, True, "MulBackward0"), "holder_after": False}
    assert rustgrad.is_grad_enabled()


def test_inference_mode_and_set_grad_enabled_stay_in_their_thread():
    x = rustgrad.ones(3, requires_grad=True)
    ready, done = threading.Event(), threading.Event()
    seen = {}

    def holder():
        rustgrad.set_grad_enabled(False)
        try:
            with rustgrad.inference_mode():
                ready.set()
                assert done.wait(TIMEOUT)
                seen["holder"] = (rustgrad.is_inference_mode_enabled(), (x + 1).is_inference())
        finally:
            rustgrad.set_grad_enabled(True)

    def other():
        assert ready.wait(TIMEOUT)
        seen["other"] = (rustgrad.is_grad_enabled(), rustgrad.is_inference_mode_enabled(), (x + 1).is_inference())
        done.set()

    _run_threads([holder, other])
    assert seen == {"holder": (True, True), "other": (True, False, False)}


def test_threads_started_inside_no_grad_record_graphs():
    with rustgrad.no_grad():
        results = _run_threads([lambda: (rustgrad.ones(2, requires_grad=True) * 3).grad_fn is not None] * 4)
    assert results == [True] * 4


# --- GIL release ---------------------------------------------------------------------------------


class _Counter:
    """A thread that increments a counter each time it holds the GIL, sleeping (GIL released) in
    between. With the switch interval raised, it can only take the GIL from a thread that releases
    it, so `advanced_during(f)` is True exactly when `f` released the GIL."""

    def __enter__(self):
        self.count = 0
        self.stop = False
        self.old_interval = sys.getswitchinterval()
        sys.setswitchinterval(1000.0)  # never preempt: only voluntary GIL releases switch threads
        self.thread = threading.Thread(target=self._spin, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + TIMEOUT
        while self.count == 0:  # let it start (sleep releases the GIL)
            assert time.monotonic() < deadline
            time.sleep(0.001)
        return self

    def _spin(self):
        while not self.stop:
            self.count += 1
            time.sleep(0.0001)

    def advanced_during(self, f, attempts=20):
        """Runs f (up to `attempts` times, until the counter moves across one call)."""
        for _ in range(attempts):
            time.sleep(0.002)  # the counter thread is now blocked waiting for the GIL
            before = self.count
            f()
            if self.count != before:
                return True
        return False

    def __exit__(self, *exc):
        self.stop = True
        sys.setswitchinterval(self.old_interval)
        self.thread.join(TIMEOUT)


def _busy_python(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_counter_cannot_advance_while_python_holds_the_gil():
    # The control: the instrument really detects GIL releases (and nothing else).
    with _Counter() as c:
        assert not c.advanced_during(lambda: _busy_python(0.02), attempts=5)
        assert c.advanced_during(lambda: time.sleep(0.02))


def _big_operands():
    g = rustgrad.Generator().manual_seed(0)
    return rustgrad.randn(512, 512, generator=g), rustgrad.randn(512, 512, generator=g)


@pytest.mark.parametrize(
    "name",
    ["matmul", "matmul_small_operands_many_flops", "elementwise", "reduction", "backward", "grad", "sgd_step"],
)
def test_big_work_releases_the_gil(name):
    a, b = _big_operands()
    if name == "matmul":
        f = lambda: a @ b  # noqa: E731
    elif name == "matmul_small_operands_many_flops":
        # 16384-element operands but 2M multiply-adds: released by flops, not element count.
        x, w = a[:128, :128].contiguous(), b[:128, :128].contiguous()
        f = lambda: [x @ w for _ in range(4)]  # noqa: E731
    elif name == "elementwise":
        v = rustgrad.randn(1 << 21)
        f = lambda: v.tanh()  # noqa: E731
    elif name == "reduction":
        v = rustgrad.randn(1 << 22)
        f = lambda: v.sum()  # noqa: E731
    elif name in ("backward", "grad"):
        w = a.clone().requires_grad_()

        def f():
            loss = (w @ b).sum()
            if name == "backward":
                loss.backward()
                w.grad = None
            else:
                rustgrad.autograd.grad(loss, w)
    else:
        p = rustgrad.zeros(1 << 20, requires_grad=True)
        p.grad = rustgrad.ones(1 << 20)
        opt = rustgrad.optim.SGD([p], lr=0.1)
        f = opt.step
    with _Counter() as c:
        assert c.advanced_during(f)


def test_two_threads_matmul_calls_overlap_in_time():
    # If a call held the GIL, no other Python thread could start or finish a call inside its
    # interval; overlapping [start, end] intervals of the two threads show the GIL was released.
    a, b = _big_operands()

    def calls():
        spans = []
        for _ in range(6):
            t0 = time.perf_counter()
            a @ b
            spans.append((t0, time.perf_counter()))
        return spans

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000.0)  # no preemption between a timestamp and its call
    try:
        for _ in range(5):
            s1, s2 = _run_threads([calls, calls])
            if any(x0 < y1 and y0 < x1 for x0, x1 in s1 for y0, y1 in s2):
                return
    finally:
        sys.setswitchinterval(old)
    pytest.fail("the two threads' matmul calls never overlapped")


@pytest.mark.parametrize("threads", [1, 2])
def test_kernels_run_in_a_forked_child(threads):
    # A forked child (DataLoader workers) inherits the kernel pools but not their threads; its big
    # kernels must run on pools of its own instead of waiting forever for the parent's workers.
    import multiprocessing
    before = rustgrad.get_num_threads()
    rustgrad.set_num_threads(threads)
    try:
        x = rustgrad.ones(1 << 20)
        assert float((x * 2).sum()) == 2.0 * (1 << 20)  # the parent's pools exist now

        def child(q):
            q.put(float((rustgrad.ones(1 << 20) * 3).sum()))
        ctx = multiprocessing.get_context("fork")
        q = ctx.Queue()
        p = ctx.Process(target=child, args=(q,))
        p.start()
        p.join(timeout=60)
        alive = p.is_alive()
        if alive:
            p.kill()
        assert not alive, "the forked child hung in a kernel"
        assert q.get(timeout=5) == 3.0 * (1 << 20)
    finally:
        rustgrad.set_num_threads(before)
