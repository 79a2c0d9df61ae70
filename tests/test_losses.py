"""Losses and layer norm of rustgrad.nn.functional: values, gradients (finite differences and
PyTorch parity in float64), grad_fn names, saved tensors, warnings and error messages."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad.nn import _functional_loss as F
from _helpers import check_against_torch, check_grads, torch_or_skip

REDUCTIONS = ["none", "mean", "sum"]


def fn(lib):
    """The functional namespace of `lib`."""
    if lib is rustgrad:
        return F
    return lib.nn.functional


shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)


def _rng(seed=0):
    return np.random.default_rng(seed)


# ----- pointwise losses against PyTorch -----

POINTWISE = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("huber_loss", {"delta": 1.0}),
    ("huber_loss", {"delta": 0.3}),
    ("smooth_l1_loss", {"beta": 1.0}),
    ("smooth_l1_loss", {"beta": 0.25}),
    ("smooth_l1_loss", {"beta": 0.0}),
]


@pytest.mark.parametrize("name,kwargs", POINTWISE)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@settings(max_examples=5, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000))
def test_pointwise_losses_match_torch(name, kwargs, reduction, shape, seed):
    rng = _rng(seed)
    x, y = rng.standard_normal(shape), rng.standard_normal(shape)
    check_against_torch(lambda lib, a, b: getattr(fn(lib), name)(a, b, reduction=reduction, **kwargs), x, y)


@pytest.mark.parametrize("name,kwargs", POINTWISE)
def test_pointwise_losses_finite_differences(name, kwargs):
    rng = _rng(1)
    # Keep |x - y| away from the kinks at 0 and at delta/beta.
    x = rng.standard_normal((2, 3))
    y = x + rng.choice([-1.7, -0.6, 0.13, 0.55, 2.2], size=(2, 3))
    for reduction in REDUCTIONS:
        check_grads(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **kwargs), x, y)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=5, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000))
def test_binary_cross_entropy_matches_torch(reduction, weighted, shape, seed):
    rng = _rng(seed)
    p = rng.uniform(0.02, 0.98, shape)
    t = rng.uniform(0, 1, shape)
    w = rng.uniform(0.5, 2, shape[-1:]).tolist() if weighted else None

    def f(lib, a, b):
        weight = None if w is None else lib.tensor(w, dtype=lib.float64)
        return fn(lib).binary_cross_entropy(a, b, weight=weight, reduction=reduction)

    check_against_torch(f, p, t)


def test_binary_cross_entropy_clamps_logs_like_torch():
    torch = torch_or_skip()
    values = ([0.0, 1.0, 0.5, 1.0], [0.0, 1.0, 1.0, 0.0])
    ours = F.binary_cross_entropy(rustgrad.tensor(values[0]), rustgrad.tensor(values[1]), reduction="none")
    theirs = torch.nn.functional.binary_cross_entropy(torch.tensor(values[0]), torch.tensor(values[1]), reduction="none")
    assert ours.tolist() == theirs.tolist()
    # Gradients at 0 and 1 stay finite (the denominator is clamped at 1e-12).
    x = rustgrad.tensor([0.0, 1.0], dtype=rustgrad.float64, requires_grad=True)
    F.binary_cross_entropy(x, rustgrad.tensor([1.0, 0.0], dtype=rustgrad.float64)).backward()
    tx = torch.tensor([0.0, 1.0], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.binary_cross_entropy(tx, torch.tensor([1.0, 0.0], dtype=torch.float64)).backward()
    np.testing.assert_allclose(x.grad.tolist(), tx.grad.tolist())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos", [False, True])
@settings(max_examples=4, deadline=None)
@given(shape=shapes, seed=st.integers(0, 1000))
def test_bce_with_logits_matches_torch(reduction, weighted, pos, shape, seed):
    rng = _rng(seed)
    x = rng.standard_normal(shape) * 4
    t = rng.uniform(0, 1, shape)
    w = rng.uniform(0.5, 2, shape[-1:]).tolist() if weighted else None
    pw = rng.uniform(0.5, 3, shape[-1:]).tolist() if pos else None

    def f(lib, a, b):
        weight = None if w is None else lib.tensor(w, dtype=lib.float64)
        pos_weight = None if pw is None else lib.tensor(pw, dtype=lib.float64)
        return fn(lib).binary_cross_entropy_with_logits(a, b, weight=weight, pos_weight=pos_weight, reduction=reduction)

    check_against_torch(f, x, t)


def test_bce_finite_differences():
    rng = _rng(2)
    p, t = rng.uniform(0.1, 0.9, (2, 3)), rng.uniform(0, 1, (2, 3))
    check_grads(lambda a, b: F.binary_cross_entropy(a, b, reduction="sum"), p, t)
    pw = rustgrad.tensor([0.5, 2.0, 3.0], dtype=rustgrad.float64)
    check_grads(lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw), p * 6 - 3, t)
    check_grads(lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="none"), p * 6 - 3, t)


def test_bce_with_logits_is_stable():
    x = rustgrad.tensor([200.0, -200.0, 0.0], requires_grad=True)
    out = F.binary_cross_entropy_with_logits(x, rustgrad.tensor([0.0, 1.0, 1.0]), reduction="none")
    assert out.tolist() == pytest.approx([200.0, 200.0, float(np.log(2))])
    out.sum().backward()
    assert x.grad.tolist() == pytest.approx([1.0, -1.0, -0.5])


# ----- nll_loss and cross_entropy -----

NLL_CASES = [
    # (input shape, target shape)
    ((5, 4), (5,)),
    ((4,), ()),
    ((3, 4, 2), (3, 2)),
    ((2, 3, 2, 3), (2, 2, 3)),
    ((2, 3, 1, 2, 2), (2, 1, 2, 2)),
]


def _class_problem(in_shape, tgt_shape, seed, ignore=None):
    rng = _rng(seed)
    x = rng.standard_normal(in_shape)
    classes = in_shape[0] if len(in_shape) == 1 else in_shape[1]
    t = rng.integers(0, classes, tgt_shape)
    if ignore is not None and t.size > 1:
        t.flat[0] = ignore
    return x, t, classes


def _compare_class_loss(name, in_shape, tgt_shape, seed, reduction, weighted, ignore_index, **kwargs):
    torch = torch_or_skip()
    x, t, classes = _class_problem(in_shape, tgt_shape, seed, ignore_index if ignore_index != -100 else None)
    w = _rng(seed + 1).uniform(0.5, 2, classes).tolist() if weighted else None
    results = []
    for lib in (rustgrad, torch):
        xt = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        tt = lib.tensor(t.tolist(), dtype=lib.int64)
        weight = None if w is None else lib.tensor(w, dtype=lib.float64)
        out = getattr(fn(lib), name)(xt, tt, weight=weight, ignore_index=ignore_index, reduction=reduction, **kwargs)
        g = _rng(seed + 2).standard_normal(tuple(out.shape)).tolist()
        (out * lib.tensor(g, dtype=lib.float64)).sum().backward()
        results.append((np.array(out.tolist()), np.array(xt.grad.tolist())))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("shapes_", NLL_CASES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_class_index_losses_match_torch(name, shapes_, reduction, weighted, ignore_index):
    _compare_class_loss(name, *shapes_, 3, reduction, weighted, ignore_index)


@pytest.mark.parametrize("shapes_", NLL_CASES[:3])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 0])
def test_cross_entropy_label_smoothing_matches_torch(shapes_, reduction, weighted, ignore_index):
    _compare_class_loss("cross_entropy", *shapes_, 5, reduction, weighted, ignore_index, label_smoothing=0.2)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
@settings(max_examples=4, deadline=None)
@given(n=st.integers(1, 4), c=st.integers(2, 5), extra=st.lists(st.integers(1, 3), max_size=2), seed=st.integers(0, 99))
def test_cross_entropy_probabilities_match_torch(reduction, weighted, smoothing, n, c, extra, seed):
    rng = _rng(seed)
    shape = (n, c, *extra)
    x = rng.standard_normal(shape)
    p = rng.uniform(0, 1, shape)
    w = rng.uniform(0.5, 2, c).tolist() if weighted else None

    def f(lib, a, b):
        weight = None if w is None else lib.tensor(w, dtype=lib.float64)
        return fn(lib).cross_entropy(a, b, weight=weight, reduction=reduction, label_smoothing=smoothing)

    check_against_torch(f, x, p)


def test_nll_and_cross_entropy_finite_differences():
    x, t, _ = _class_problem((3, 4), (3,), 7)
    tt = rustgrad.tensor(t.tolist())
    w = rustgrad.tensor([0.5, 1.0, 2.0, 1.5], dtype=rustgrad.float64)
    for reduction in REDUCTIONS:
        check_grads(lambda a: F.cross_entropy(a, tt, weight=w, reduction=reduction), x)
        check_grads(lambda a: F.nll_loss(a, tt, reduction=reduction), x)
    check_grads(lambda a: F.cross_entropy(a, tt, label_smoothing=0.1), x)


def test_nll_loss_float32_and_uint8_targets():
    torch = torch_or_skip()
    x, t, _ = _class_problem((6, 5), (6,), 11)
    ours = F.cross_entropy(rustgrad.tensor(x.tolist()), rustgrad.tensor(t.tolist(), dtype=rustgrad.uint8))
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x.tolist()), torch.tensor(t.tolist(), dtype=torch.uint8))
    assert ours.dtype == rustgrad.float32
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)


def test_nll_loss_mean_of_all_ignored_is_nan():
    x = rustgrad.zeros(2, 3)
    out = F.nll_loss(x, rustgrad.tensor([-100, -100]))
    assert np.isnan(out.item())


def test_cross_entropy_double_backward_matches_torch():
    torch = torch_or_skip()
    x, t, _ = _class_problem((3, 4), (3,), 5)
    grads = []
    for lib in (rustgrad, torch):
        xt = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        loss = fn(lib).cross_entropy(xt, lib.tensor(t.tolist()))
        (g,) = lib.autograd.grad(loss, xt, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), xt)
        grads.append(np.array(gg.tolist()))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-12)


# ----- graph structure -----

def _names(out):
    node = out.grad_fn
    return type(node).__name__, tuple((None if f is None else type(f).__name__, i) for f, i in node.next_functions)


def test_grad_fn_names_and_next_functions():
    a = rustgrad.randn(4, 3, requires_grad=True)
    c = rustgrad.randn(4, 3)
    tgt = rustgrad.tensor([0, 2, 1, 0])
    assert _names(F.cross_entropy(a, tgt)) == ("NllLossBackward0", (("LogSoftmaxBackward0", 0),))
    assert _names(F.nll_loss(a, tgt)) == ("NllLossBackward0", (("AccumulateGrad", 0),))
    assert _names(F.mse_loss(a, c)) == ("MseLossBackward0", (("AccumulateGrad", 0), (None, 0)))
    assert _names(F.l1_loss(a, c)) == ("MeanBackward0", (("AbsBackward0", 0),))
    assert _names(F.l1_loss(a, c, reduction="sum"))[0] == "SumBackward0"
    assert _names(F.huber_loss(a, c))[0] == "HuberLossBackward0"
    assert _names(F.smooth_l1_loss(a, c))[0] == "SmoothL1LossBackward0"
    assert _names(F.smooth_l1_loss(a, c, beta=0.0))[0] == "MeanBackward0"
    p = a.sigmoid()
    assert _names(F.binary_cross_entropy(p, c.sigmoid(), weight=rustgrad.ones(3))) == (
        "BinaryCrossEntropyBackward0", (("SigmoidBackward0", 0), (None, 0)))
    assert _names(F.binary_cross_entropy_with_logits(a, c))[0] == "BinaryCrossEntropyWithLogitsBackward0"
    assert _names(F.layer_norm(a, (3,))) == ("NativeLayerNormBackward0", (("AccumulateGrad", 0), (None, 0), (None, 0)))
    w, b = rustgrad.ones(3, requires_grad=True), rustgrad.zeros(3, requires_grad=True)
    assert _names(F.layer_norm(a, (3,), w, b))[1] == (("AccumulateGrad", 0),) * 3
    # Broadcast targets are expanded first, as in PyTorch.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = rustgrad.randn(3, requires_grad=True)
        assert _names(F.mse_loss(v, c)) == ("MseLossBackward0", (("ExpandBackward0", 0), (None, 0)))


SECOND_BACKWARD = [
    lambda a, c, t: F.mse_loss(a, c),
    lambda a, c, t: F.nll_loss(a, t),
    lambda a, c, t: F.l1_loss(a, c),
    lambda a, c, t: F.huber_loss(a, c),
    lambda a, c, t: F.smooth_l1_loss(a, c),
    lambda a, c, t: F.binary_cross_entropy_with_logits(a, c.sigmoid()),
    lambda a, c, t: F.layer_norm(a, (3,)),
]


@pytest.mark.parametrize("f", SECOND_BACKWARD)
def test_second_backward_fails_like_torch(f):
    a = rustgrad.randn(4, 3, requires_grad=True)
    y = f(a, rustgrad.randn(4, 3), rustgrad.tensor([0, 2, 1, 0]))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


# ----- layer norm -----

@pytest.mark.parametrize("affine", ["none", "weight", "both"])
@settings(max_examples=6, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), k=st.integers(1, 3), seed=st.integers(0, 99))
def test_layer_norm_matches_torch(affine, shape, k, seed):
    k = min(k, len(shape))
    normalized = tuple(shape[len(shape) - k:])
    rng = _rng(seed)
    arrays = [rng.standard_normal(shape)]
    if affine != "none":
        arrays.append(rng.standard_normal(normalized))
    if affine == "both":
        arrays.append(rng.standard_normal(normalized))
    check_against_torch(lambda lib, x, *wb: fn(lib).layer_norm(x, normalized, *wb, eps=1e-5), *arrays)


def test_layer_norm_finite_differences_and_double_backward():
    torch = torch_or_skip()
    rng = _rng(4)
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(4)
    check_grads(lambda a, ww, bb: F.layer_norm(a, (4,), ww, bb), x, w, b)
    check_grads(lambda a: F.layer_norm(a, (3, 4)), x)
    out = []
    for lib in (rustgrad, torch):
        ts = [lib.tensor(v.tolist(), dtype=lib.float64, requires_grad=True) for v in (x, w, b)]
        y = fn(lib).layer_norm(ts[0], (4,), ts[1], ts[2])
        gs = lib.autograd.grad((y * y * y).sum(), ts, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in gs), ts)
        out.append([np.array(g.tolist()) for g in second])
    for ours, theirs in zip(*out):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)


def test_layer_norm_float32_large_rows_match_torch():
    torch = torch_or_skip()
    x = _rng(3).standard_normal((300, 130)).astype(np.float32) * 3 + 1
    xr = rustgrad.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    yr, yt = F.layer_norm(xr, (130,)), torch.nn.functional.layer_norm(xt, (130,))
    np.testing.assert_allclose(yr.detach().numpy(), yt.detach().numpy(), atol=1e-5)
    g = _rng(5).standard_normal((300, 130)).astype(np.float32)
    yr.backward(rustgrad.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xr.grad.numpy(), xt.grad.numpy(), atol=1e-4)


# ----- errors and warnings -----

ERRORS = [
    lambda lib, a, c, t: fn(lib).cross_entropy(a, t.float().long().view(4, 1).expand(4, 3)),
    lambda lib, a, c, t: fn(lib).cross_entropy(a, lib.tensor([0, 1])),
    lambda lib, a, c, t: fn(lib).nll_loss(a, lib.tensor([0, 1, 2, 5])),
    lambda lib, a, c, t: fn(lib).cross_entropy(a, lib.randn(4, 2)),
    lambda lib, a, c, t: fn(lib).binary_cross_entropy(a.sigmoid(), lib.rand(4, 2)),
    lambda lib, a, c, t: fn(lib).binary_cross_entropy_with_logits(a, lib.rand(4, 2)),
    lambda lib, a, c, t: fn(lib).nll_loss(a, t.float()),
    lambda lib, a, c, t: fn(lib).nll_loss(a, t.int()),
    lambda lib, a, c, t: fn(lib).cross_entropy(a, t, reduction="foo"),
    lambda lib, a, c, t: fn(lib).mse_loss(a, c, reduction="bar"),
    lambda lib, a, c, t: fn(lib).nll_loss(a, t, weight=lib.ones(2)),
    lambda lib, a, c, t: fn(lib).binary_cross_entropy(a.sigmoid() * 3, c.sigmoid()),
    lambda lib, a, c, t: fn(lib).binary_cross_entropy(a.sigmoid(), c * 3),
    lambda lib, a, c, t: fn(lib).l1_loss(a, lib.randn(2, 3)),
    lambda lib, a, c, t: fn(lib).cross_entropy(a[0], t),
    lambda lib, a, c, t: fn(lib).nll_loss(lib.randn(2, 3, 4), lib.zeros(2, 2).long()),
    lambda lib, a, c, t: fn(lib).nll_loss(lib.randn(2, 3, 4, 5), lib.zeros(2).long()),
    lambda lib, a, c, t: fn(lib).nll_loss(a, lib.zeros(4, 2).long()),
    lambda lib, a, c, t: fn(lib).cross_entropy(a, t, label_smoothing=1.5),
    lambda lib, a, c, t: fn(lib).cross_entropy(a, c, ignore_index=1),
    lambda lib, a, c, t: fn(lib).huber_loss(a, c, delta=0.0),
    lambda lib, a, c, t: fn(lib).smooth_l1_loss(a, c, beta=-1.0),
    lambda lib, a, c, t: fn(lib).layer_norm(a, (4,)),
    lambda lib, a, c, t: fn(lib).layer_norm(a, (3,), lib.ones(2)),
    lambda lib, a, c, t: fn(lib).layer_norm(a, ()),
    lambda lib, a, c, t: fn(lib).mse_loss(a, c, weight=lib.ones(3)),
]


@pytest.mark.parametrize("f", ERRORS)
def test_errors_match_torch(f):
    torch = torch_or_skip()
    caught = []
    for lib in (rustgrad, torch):
        lib.manual_seed(0)
        a, c, t = lib.randn(4, 3), lib.randn(4, 3), lib.tensor([0, 2, 1, 0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                f(lib, a, c, t)
        caught.append((type(info.value), str(info.value).replace("torch.", "rustgrad.")))
    assert caught[0] == caught[1]


def test_size_mismatch_warnings_match_torch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        with warnings.catch_warnings(record=True) as ws:
            warnings.simplefilter("always")
            out = fn(lib).mse_loss(lib.ones(4, 3), lib.zeros(3))
            fn(lib).l1_loss(lib.ones(4, 3), lib.zeros(1, 3))
            fn(lib).huber_loss(lib.ones(4, 3), lib.zeros(3))
        assert out.item() == 1.0
        messages.append([(w.category, str(w.message).replace("torch.", "rustgrad.")) for w in ws])
    assert messages[0] == messages[1]
    assert len(messages[0]) == 3


def test_loss_modules_match_functional_and_torch():
    torch = torch_or_skip()
    from test_conv import _module_base

    _module_base()
    from rustgrad.nn.modules import loss

    rng = _rng(9)
    x, t = rng.standard_normal((4, 3)), rng.integers(0, 3, 4)
    p = rng.uniform(0.1, 0.9, (4, 3))
    w = [1.0, 2.0, 0.5]
    cases = [
        ("MSELoss", {}, lambda lib: (x, p)),
        ("L1Loss", {"reduction": "sum"}, lambda lib: (x, p)),
        ("HuberLoss", {"delta": 0.5}, lambda lib: (x, p)),
        ("SmoothL1Loss", {"beta": 0.5}, lambda lib: (x, p)),
        ("BCELoss", {}, lambda lib: (p, p[::-1].copy())),
        ("BCEWithLogitsLoss", {"pos_weight": "pw"}, lambda lib: (x, p)),
        ("CrossEntropyLoss", {"weight": "w", "label_smoothing": 0.1}, lambda lib: (x, t)),
        ("NLLLoss", {"ignore_index": 1}, lambda lib: (x, t)),
    ]
    for name, kwargs, data in cases:
        values = []
        for lib, ns in ((rustgrad, loss), (torch, torch.nn)):
            kw = {k: (lib.tensor(w, dtype=lib.float64) if v in ("w", "pw") else v) for k, v in kwargs.items()}
            module = getattr(ns, name)(**kw)
            a, b = data(lib)
            b = lib.tensor(b.tolist(), dtype=lib.int64 if b.dtype.kind == "i" else lib.float64)
            values.append(module(lib.tensor(a.tolist(), dtype=lib.float64), b).item())
            assert repr(module) == f"{name}()"
        assert values[0] == pytest.approx(values[1], rel=1e-12), name



def _target_for(x):
    lib = rustgrad if isinstance(x, rustgrad.Tensor) else __import__("torch")
    return lib.tensor([0, 2])


@pytest.mark.parametrize(
    "call, function, arg",
    [
        (lambda F, x, w: F.nll_loss(x.log_softmax(1), _target_for(x), weight=w), "nll_loss_forward", "weight"),
        (lambda F, x, w: F.cross_entropy(x, _target_for(x), weight=w), "nll_loss_forward", "weight"),
        (lambda F, x, w: F.binary_cross_entropy(x.sigmoid(), x.detach().sigmoid(), weight=w), "binary_cross_entropy", "weight"),
        (lambda F, x, w: F.binary_cross_entropy_with_logits(x, x.detach().sigmoid(), weight=w), "binary_cross_entropy_with_logits", "weight"),
        (lambda F, x, w: F.binary_cross_entropy_with_logits(x, x.detach().sigmoid(), pos_weight=w), "binary_cross_entropy_with_logits", "pos_weight"),
    ],
)
def test_class_weights_that_require_grad_are_refused(call, function, arg):
    # PyTorch's losses are not differentiable in their weights: it refuses them while grad mode is on.
    try:
        import torch
    except ImportError:
        torch = None
    for lib in [rustgrad] + ([torch] if torch else []):
        x = lib.tensor([[0.2, -0.4, 0.9], [1.0, 0.1, -0.3]], requires_grad=True)
        w = lib.tensor([0.5, 1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            call(lib.nn.functional, x, w)
        assert str(info.value) == (
            f"The function '{function}' is not differentiable with respect to argument '{arg}'. "
            "This input cannot have requires_grad True."
        )
        with lib.no_grad():
            call(lib.nn.functional, x, w)
