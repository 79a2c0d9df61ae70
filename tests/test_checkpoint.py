"""rustgrad.utils.checkpoint (spec 9.3) and the saved-tensor hooks it is built on."""

import os
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
from rustgrad.autograd.graph import saved_tensors_hooks
from rustgrad.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

from _helpers import check_against_torch, check_grads, torch_or_skip

REENTRANT_WARNING = (
    "rustgrad.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting in PyTorch 2.9, "
    "calling checkpoint without use_reentrant will raise an exception. use_reentrant=False is recommended, but if you "
    "need to preserve the current default behavior, you can pass use_reentrant=True. Refer to docs for more details on "
    "the differences between the two variants."
)
GRAD_ERROR = (
    "When use_reentrant=True, rustgrad.utils.checkpoint is incompatible with .grad() or passing an `inputs` "
    "parameter to .backward(). To resolve this error, you can either set use_reentrant=False, or call .backward() "
    "without passing the `inputs` argument."
)


def _xw():
    x = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    w = rustgrad.tensor([3.0, 4.0], requires_grad=True)
    return x, w


class Counted:
    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def _messages(record):
    return [str(w.message) for w in record]


# ----- the default: a warning, and reentrant semantics -----


def test_missing_use_reentrant_warns_and_runs_reentrant():
    x, w = _xw()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        y = checkpoint(lambda a, b: (a * b).sin(), x, w)
    assert REENTRANT_WARNING in _messages(rec)
    assert [r.category for r in rec if str(r.message) == REENTRANT_WARNING] == [UserWarning]
    assert y.grad_fn.name() == "CheckpointFunctionBackward"
    assert repr(y) == "tensor([0.1411, 0.9894], grad_fn=<CheckpointFunctionBackward>)"
    assert re.fullmatch(r"<rustgrad\.autograd\.function\.CheckpointFunctionBackward object at 0x[0-9a-f]+>", repr(y.grad_fn))


def test_warning_text_matches_torch():
    torch = torch_or_skip()
    import torch.utils.checkpoint  # noqa: F401

    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        torch.utils.checkpoint.checkpoint(lambda a: a * 2, torch.ones(2, requires_grad=True))
    theirs = [m.replace("torch.utils", "rustgrad.utils") for m in _messages(rec)]
    assert REENTRANT_WARNING in theirs


# ----- use_reentrant=False -----


def test_non_reentrant_keeps_inner_grad_fn_and_recomputes_once():
    x, w = _xw()
    f = Counted(lambda a, b: (a * b).sin())
    y = checkpoint(f, x, w, use_reentrant=False)
    assert repr(y) == "tensor([0.1411, 0.9894], grad_fn=<SinBackward0>)"
    assert f.calls == 1
    y.sum().backward()
    assert f.calls == 2
    x2, w2 = _xw()
    (x2 * w2).sin().sum().backward()
    assert x.grad.tolist() == x2.grad.tolist() and w.grad.tolist() == w2.grad.tolist()


def test_non_reentrant_with_autograd_grad_and_kwargs():
    x, w = _xw()
    y = checkpoint(lambda a, b: (a * b).sin(), x, w, use_reentrant=False)
    gx, gw = rustgrad.autograd.grad(y.sum(), (x, w))
    np.testing.assert_allclose(gx.tolist(), (np.cos([3.0, 8.0]) * [3, 4]).tolist(), rtol=1e-6)
    np.testing.assert_allclose(gw.tolist(), (np.cos([3.0, 8.0]) * [1, 2]).tolist(), rtol=1e-6)

    fk = Counted(lambda a, scale=1.0: a * scale)
    z = checkpoint(fk, x, scale=2.0, use_reentrant=False)
    assert repr(z) == "tensor([2., 4.], grad_fn=<MulBackward0>)"
    (g,) = rustgrad.autograd.grad(z.sum(), x)
    assert g.tolist() == [2.0, 2.0] and fk.calls == 2


def test_non_reentrant_output_requires_grad_through_parameters():
    p = rustgrad.nn.Parameter(rustgrad.tensor([2.0, 3.0]))
    x = rustgrad.tensor([1.0, 1.0])
    y = checkpoint(lambda a: a * p, x, use_reentrant=False)
    assert y.requires_grad
    y.sum().backward()
    assert p.grad.tolist() == [1.0, 1.0]


def test_non_reentrant_retain_graph_recomputes_per_backward():
    x, w = _xw()
    f = Counted(lambda a, b: (a * b).exp())
    y = checkpoint(f, x, w, use_reentrant=False).sum()
    y.backward(retain_graph=True)
    first = x.grad.tolist()
    y.backward()
    assert f.calls == 3
    np.testing.assert_allclose(x.grad.tolist(), [2 * g for g in first], rtol=1e-6)


def test_non_reentrant_double_backward():
    x = rustgrad.tensor([1.0, 2.0], dtype=rustgrad.float64, requires_grad=True)
    y = checkpoint(lambda a: (a ** 3).sum(), x, use_reentrant=False)
    (g,) = rustgrad.autograd.grad(y, x, create_graph=True)
    (h,) = rustgrad.autograd.grad(g.sum(), x)
    assert g.tolist() == [3.0, 12.0] and h.tolist() == [6.0, 12.0]


def test_non_reentrant_without_grad_mode_is_plain_call():
    x, w = _xw()
    f = Counted(lambda a, b: a * b)
    with rustgrad.no_grad():
        y = checkpoint(f, x, w, use_reentrant=False)
    assert f.calls == 1 and not y.requires_grad


def _shrinking(state):
    def f(a):
        out = a[: state["n"]].exp()
        state["n"] = 2
        return out.sum()

    return f


def test_determinism_check_reports_shape_change():
    x = rustgrad.ones(4, requires_grad=True)
    y = checkpoint(_shrinking({"n": 4}), x, use_reentrant=False)
    with pytest.raises(CheckpointError) as e:
        y.backward()
    assert issubclass(CheckpointError, RuntimeError)
    assert str(e.value).startswith(
        "rustgrad.utils.checkpoint: Recomputed values for the following tensors have different metadata than during "
        "the forward pass.\ntensor at position 0:\nsaved metadata: {'shape': rustgrad.Size([4]), 'dtype': "
        "rustgrad.float32, 'device': device(type='cpu')}\nrecomputed metadata: {'shape': rustgrad.Size([2]), "
    )
    # Without the check the mismatching recomputed tensor reaches the backward formula, as in PyTorch.
    y = checkpoint(_shrinking({"n": 4}), x, use_reentrant=False, determinism_check="none")
    with pytest.raises(RuntimeError) as e:
        y.backward()
    assert not isinstance(e.value, CheckpointError)
    assert str(e.value) == "The size of tensor a (4) must match the size of tensor b (2) at non-singleton dimension 0"


def test_determinism_message_matches_torch():
    torch = torch_or_skip()
    import torch.utils.checkpoint as tcp

    msgs = []
    for lib, cp in ((rustgrad, checkpoint), (torch, tcp.checkpoint)):
        y = cp(_shrinking({"n": 4}), lib.ones(4, requires_grad=True), use_reentrant=False)
        with pytest.raises(RuntimeError) as e:
            y.backward()
        msgs.append(str(e.value).split("\n.\n")[0])
    assert msgs[0] == msgs[1].replace("torch.", "rustgrad.")


def test_determinism_check_value_error():
    x, _ = _xw()
    with pytest.raises(ValueError, match=re.escape("determinism_check should be one of ['default', 'none'], but got x")):
        checkpoint(lambda a: a, x, use_reentrant=False, determinism_check="x")


def test_context_fn_runs_forward_and_recompute_contexts():
    import contextlib

    log = []

    @contextlib.contextmanager
    def tag(name):
        log.append(name)
        yield

    x, w = _xw()
    y = checkpoint(lambda a, b: (a * b).sin(), x, w, use_reentrant=False, context_fn=lambda: (tag("fwd"), tag("re")))
    y.sum().backward()
    assert log == ["fwd", "re"]


# ----- use_reentrant=True -----


def test_reentrant_counts_and_grads():
    x, w = _xw()
    f = Counted(lambda a, b: (a * b).sin())
    y = checkpoint(f, x, w, use_reentrant=True)
    assert y.grad_fn.name() == "CheckpointFunctionBackward" and f.calls == 1
    y.sum().backward()
    assert f.calls == 2
    x2, w2 = _xw()
    (x2 * w2).sin().sum().backward()
    assert x.grad.tolist() == x2.grad.tolist() and w.grad.tolist() == w2.grad.tolist()


def test_reentrant_no_input_requires_grad():
    p = rustgrad.nn.Parameter(rustgrad.tensor([2.0, 3.0]))
    x = rustgrad.tensor([1.0, 1.0])
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        y = checkpoint(lambda a: a * p, x, use_reentrant=True)
    assert "None of the inputs have requires_grad=True. Gradients will be None" in _messages(rec)
    assert y.requires_grad is False
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        y = checkpoint(lambda a: a * p, x, use_reentrant=False)
    assert y.requires_grad is True and not rec


def test_reentrant_refuses_grad_and_inputs():
    x, w = _xw()
    y = checkpoint(lambda a, b: a * b, x, w, use_reentrant=True)
    with pytest.raises(RuntimeError) as e:
        rustgrad.autograd.grad(y.sum(), x)
    assert str(e.value) == GRAD_ERROR
    y = checkpoint(lambda a, b: a * b, x, w, use_reentrant=True)
    with pytest.raises(RuntimeError) as e:
        y.sum().backward(inputs=[x])
    assert str(e.value) == GRAD_ERROR


def test_reentrant_kwargs_and_context_fn_errors():
    x, _ = _xw()
    with pytest.raises(ValueError) as e:
        checkpoint(lambda a, scale=1: a * scale, x, scale=2.0, use_reentrant=True)
    assert str(e.value) == "Unexpected keyword arguments: scale"
    with pytest.raises(ValueError) as e:
        checkpoint(lambda a, **k: a, x, s=1, t=2, use_reentrant=True)
    assert str(e.value) == "Unexpected keyword arguments: s,t"
    with pytest.raises(ValueError) as e:
        checkpoint(lambda a: a, x, use_reentrant=True, debug=True)
    assert str(e.value) == "Passing `context_fn` or `debug` is only supported when use_reentrant=False."


def test_reentrant_non_tensor_args_and_multiple_outputs():
    x, w = _xw()
    y1, y2 = checkpoint(lambda a, k, b: (a * k, (a * b).exp()), x, 3.0, w, use_reentrant=True)
    (y1.sum() + y2.sum()).backward()
    np.testing.assert_allclose(x.grad.tolist(), (3 + np.exp([3.0, 8.0]) * [3, 4]).tolist(), rtol=1e-5)


def test_reentrant_error_texts_match_torch():
    torch = torch_or_skip()
    import torch.utils.checkpoint as tcp

    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = tcp.checkpoint(lambda a: a * 2, x, use_reentrant=True)
    with pytest.raises(RuntimeError) as e:
        torch.autograd.grad(y.sum(), x)
    assert str(e.value).replace("torch.utils", "rustgrad.utils") == GRAD_ERROR
    with pytest.raises(ValueError) as e:
        tcp.checkpoint(lambda a, scale=1: a * scale, x, scale=2.0, use_reentrant=True)
    assert str(e.value) == "Unexpected keyword arguments: scale"


# ----- RNG state -----


def _dropout_fn(a):
    return a * (rustgrad.rand(a.shape) > 0.5) * 2.0


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_rng_state_preserved_across_recompute(use_reentrant):
    rustgrad.manual_seed(7)
    x = rustgrad.randn(64, requires_grad=True)
    rustgrad.manual_seed(1)
    y = _dropout_fn(x)
    y.sum().backward()
    after_plain = rustgrad.rand(3).tolist()
    expected, x.grad = x.grad.tolist(), None

    rustgrad.manual_seed(1)
    y2 = checkpoint(_dropout_fn, x, use_reentrant=use_reentrant)
    assert y2.tolist() == y.tolist()
    y2.sum().backward()
    assert x.grad.tolist() == expected
    assert rustgrad.rand(3).tolist() == after_plain  # the recompute did not move the outer RNG


def test_rng_state_not_preserved_when_disabled():
    rustgrad.manual_seed(7)
    x = rustgrad.randn(256, requires_grad=True)
    rustgrad.manual_seed(1)
    y = checkpoint(_dropout_fn, x, use_reentrant=False, preserve_rng_state=False)
    mask = [v != 0 for v in y.tolist()]
    y.sum().backward()
    grad_mask = [g != 0 for g in x.grad.tolist()]
    assert grad_mask != mask  # the recompute drew a fresh mask


# ----- checkpoint_sequential -----


def _layers(n, width, seed=0):
    rng = np.random.default_rng(seed)
    ws = [rustgrad.tensor((rng.standard_normal((width, width)) / np.sqrt(width)).tolist(), requires_grad=True) for _ in range(n)]
    return ws, [(lambda i: (lambda h: (h @ ws[i]).tanh()))(i) for i in range(n)]


@pytest.mark.parametrize("use_reentrant", [True, False])
@pytest.mark.parametrize("segments", [1, 2, 3, 5])
def test_checkpoint_sequential_grads_match(use_reentrant, segments):
    ws, fns = _layers(5, 4)
    x = rustgrad.randn(3, 4, requires_grad=True)
    out = checkpoint_sequential(fns, segments, x, use_reentrant=use_reentrant)
    out.sum().backward()
    got = [w.grad.tolist() for w in ws] + [x.grad.tolist()]
    for w in ws:
        w.grad = None
    x.grad = None
    h = x
    for f in fns:
        h = f(h)
    assert out.tolist() == h.tolist()
    h.sum().backward()
    want = [w.grad.tolist() for w in ws] + [x.grad.tolist()]
    for g1, g2 in zip(got, want):
        np.testing.assert_allclose(g1, g2, rtol=1e-5, atol=1e-6)


def test_checkpoint_sequential_warning_and_kwargs():
    _, fns = _layers(2, 2)
    x = rustgrad.ones(1, 2, requires_grad=True)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        checkpoint_sequential(fns, 2, x)
    assert any(m.startswith("rustgrad.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter") for m in _messages(rec))
    with pytest.raises(ValueError) as e:
        checkpoint_sequential(fns, 2, x, use_reentrant=False, foo=1)
    assert str(e.value) == "Unexpected keyword arguments: foo"


# ----- finite differences and torch parity -----


def _inner(p, q):
    return (p * q).sin() * p


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4))
def test_non_reentrant_finite_differences(n):
    rng = np.random.default_rng(n)
    check_grads(lambda x, w: checkpoint(_inner, x, w, use_reentrant=False), rng.standard_normal(n), rng.standard_normal(n))


@settings(max_examples=8, deadline=None)
@given(n=st.integers(1, 4))
def test_reentrant_finite_differences(n):
    # check_grads uses autograd.grad, which reentrant checkpointing refuses: use .backward().
    rng = np.random.default_rng(n)
    arrays = [rng.standard_normal(n), rng.standard_normal(n)]
    ts = [rustgrad.tensor(a.tolist(), dtype=rustgrad.float64, requires_grad=True) for a in arrays]
    checkpoint(_inner, *ts, use_reentrant=True).sum().backward()
    eps = 1e-6
    for i, a in enumerate(arrays):
        numerical = []
        for j in range(n):
            vals = []
            for sign in (1, -1):
                moved = [b.copy() for b in arrays]
                moved[i][j] += sign * eps
                with rustgrad.no_grad():
                    vals.append(float(_inner(*[rustgrad.tensor(m.tolist(), dtype=rustgrad.float64) for m in moved]).sum()))
            numerical.append((vals[0] - vals[1]) / (2 * eps))
        np.testing.assert_allclose(ts[i].grad.tolist(), numerical, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("use_reentrant", [True, False])
def test_checkpoint_against_torch(use_reentrant):
    torch = torch_or_skip()
    import torch.utils.checkpoint  # noqa: F401

    def f(lib, x, w):
        return lib.utils.checkpoint.checkpoint(lambda p, q: (p @ q).tanh().exp(), x, w, use_reentrant=use_reentrant)

    rng = np.random.default_rng(0)
    check_against_torch(f, rng.standard_normal((3, 4)), rng.standard_normal((4, 2)))


# ----- saved_tensors_hooks -----


def test_hooks_pack_at_forward_unpack_at_backward():
    x, w = _xw()
    packed, unpacked = [], []

    def pack(t):
        packed.append(t)
        return ("box", t.clone())

    def unpack(box):
        unpacked.append(box)
        return box[1]

    with saved_tensors_hooks(pack, unpack):
        y = (x * w).sin().exp()
    assert len(packed) == 4 and not unpacked  # mul saves x and w, sin its input, exp its result
    assert packed[0] is x and packed[1] is w and packed[3] is y
    y.sum().backward()
    assert len(unpacked) == 4
    x2, w2 = _xw()
    (x2 * w2).sin().exp().sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), x2.grad.tolist(), rtol=1e-6)
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        y.sum().backward()


def test_hooks_pack_count_matches_torch():
    torch = torch_or_skip()
    counts = []
    for lib in (rustgrad, torch):
        n = [0]
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with lib.autograd.graph.saved_tensors_hooks(lambda t: n.__setitem__(0, n[0] + 1) or t, lambda t: t):
            y = (x.sin() * x).exp().sum() + x.tanh().sum()
        y.backward()
        counts.append((n[0], x.grad.tolist()))
    assert counts[0][0] == counts[1][0]
    np.testing.assert_allclose(counts[0][1], counts[1][1], rtol=1e-6)


def test_hooks_innermost_applies_and_custom_function():
    outer, inner = [], []

    class Square(rustgrad.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x, _ = _xw()
    with saved_tensors_hooks(lambda t: outer.append(t) or t, lambda t: t):
        with saved_tensors_hooks(lambda t: inner.append(t) or t, lambda t: t):
            y = Square.apply(x)
        z = y.exp()
    assert len(inner) == 1 and inner[0] is x and len(outer) == 1
    z.sum().backward()
    np.testing.assert_allclose(x.grad.tolist(), (2 * np.array([1.0, 2.0]) * np.exp([1.0, 4.0])).tolist(), rtol=1e-6)


def test_hook_errors():
    x, w = _xw()
    with saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = (x * w).sum()
    with pytest.raises(TypeError) as e:
        y.backward()
    assert str(e.value) == "Output of saved tensor unpack_hook expected to be a Tensor but got result of type int"

    with saved_tensors_hooks(lambda t: t.add_(1), lambda t: t):
        with pytest.raises(RuntimeError) as e:
            (x * 2) * w.detach()
    assert str(e.value).startswith("A saved tensor pack hook is modifying its input in place. Tensors provided")

    class Boom(Exception):
        pass

    def bad_pack(t):
        raise Boom("no")

    with saved_tensors_hooks(bad_pack, lambda t: t):
        with pytest.raises(Boom):
            x * w


def test_hook_error_texts_match_torch():
    torch = torch_or_skip()
    x = torch.ones(2, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: 3):
        y = (x * x).sum()
    with pytest.raises(TypeError) as e:
        y.backward()
    assert str(e.value) == "Output of saved tensor unpack_hook expected to be a Tensor but got result of type int"


# ----- memory -----

_MEMORY_SCRIPT = textwrap.dedent(
    """
    import sys
    import rustgrad
    from rustgrad.utils.checkpoint import checkpoint_sequential
    mode, layers, width, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rustgrad.manual_seed(0)
    ws = [rustgrad.nn.Parameter(rustgrad.randn(width, width) * (1.0 / width ** 0.5)) for _ in range(layers)]
    x = rustgrad.randn(batch, width).requires_grad_()  # reentrant segments need a grad-requiring input
    fns = [(lambda i: (lambda h: (h @ ws[i]).tanh()))(i) for i in range(layers)]

    def hwm():
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM"):
                return int(line.split()[1])

    base = hwm()
    if mode == "plain":
        h = x
        for f in fns:
            h = f(h)
    else:
        h = checkpoint_sequential(fns, int(layers ** 0.5), x, use_reentrant=mode == "reentrant")
    h.sum().backward()
    print(hwm() - base, float(ws[0].grad.abs().sum()))
    """
)


def _peak_kib(mode, layers, width, batch):
    env = dict(os.environ)
    out = subprocess.run([sys.executable, "-c", _MEMORY_SCRIPT, mode, str(layers), str(width), str(batch)],
                         capture_output=True, text=True, env=env, check=True)
    peak, grad = out.stdout.split()
    return int(peak), float(grad)


def test_checkpoint_reduces_peak_memory():
    # 36 layers of (32768 x 8) activations, 1 MiB each: without checkpointing every layer's
    # activation is kept until backward; with sqrt(36) = 6 segments only the segment inputs are
    # kept, plus one segment's activations while it is recomputed.
    layers, width, batch = 36, 8, 32768
    plain, g_plain = _peak_kib("plain", layers, width, batch)
    ckpt, g_ckpt = _peak_kib("non_reentrant", layers, width, batch)
    re_ckpt, g_re = _peak_kib("reentrant", layers, width, batch)
    assert g_plain == pytest.approx(g_ckpt, rel=1e-5) and g_plain == pytest.approx(g_re, rel=1e-5)
    assert plain > 30 * 1024, plain  # the activations really are kept without checkpointing
    assert ckpt < 0.6 * plain, (ckpt, plain)
    assert re_ckpt < 0.6 * plain, (re_ckpt, plain)
