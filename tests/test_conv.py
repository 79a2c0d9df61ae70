"""Convolution and pooling of rustgrad.nn.functional: values and gradients against PyTorch in
float64 over many option combinations, finite differences, double backward, grad_fn names,
errors, and a small CNN that learns a synthetic image task."""

import time
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad.nn import Parameter
from rustgrad.nn import _functional_conv as F
from rustgrad.nn import _functional_loss as FL
from _helpers import check_against_torch, check_grads, torch_or_skip


def fn(lib):
    return F if lib is rustgrad else lib.nn.functional


def _rng(seed=0):
    return np.random.default_rng(seed)


# ----- convolution -----

@st.composite
def conv2d_cases(draw):
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    cg, og = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    pad = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    h = draw(st.integers(max(1, dil[0] * (kh - 1) + 1 - 2 * pad[0]), 7))
    w = draw(st.integers(max(1, dil[1] * (kw - 1) + 1 - 2 * pad[1]), 7))
    n = draw(st.integers(1, 2))
    bias = draw(st.booleans())
    return dict(n=n, c=cg * groups, o=og * groups, k=(kh, kw), h=h, w=w, stride=stride, padding=pad,
                dilation=dil, groups=groups, bias=bias, seed=draw(st.integers(0, 999)))


@settings(max_examples=25, deadline=None)
@given(case=conv2d_cases())
def test_conv2d_matches_torch(case):
    rng = _rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], case["h"], case["w"]))
    wt = rng.standard_normal((case["o"], case["c"] // case["groups"], *case["k"]))
    arrays = [x, wt] + ([rng.standard_normal(case["o"])] if case["bias"] else [])
    kw = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    check_against_torch(lambda lib, a, b, *bias: fn(lib).conv2d(a, b, *bias, **kw), *arrays, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2), cg=st.integers(1, 2), groups=st.sampled_from([1, 2]), og=st.integers(1, 3),
       k=st.integers(1, 4), length=st.integers(4, 9), stride=st.integers(1, 3), dilation=st.integers(1, 2),
       padding=st.sampled_from([0, 1, 2, "same", "valid"]), bias=st.booleans(), seed=st.integers(0, 99))
def test_conv1d_matches_torch(n, cg, groups, og, k, length, stride, dilation, padding, bias, seed):
    if padding == "same":
        stride = 1
    # A dilated kernel wider than the padded input is an error (tested elsewhere), not a value case.
    pad = padding if isinstance(padding, int) else 0
    if padding != "same" and dilation * (k - 1) + 1 > length + 2 * pad:
        k = 1
    rng = _rng(seed)
    arrays = [rng.standard_normal((n, cg * groups, length)), rng.standard_normal((og * groups, cg, k))]
    if bias:
        arrays.append(rng.standard_normal(og * groups))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's padded-copy note for even kernels with 'same'
        check_against_torch(lambda lib, a, b, *bb: fn(lib).conv1d(a, b, *bb, **kw), *arrays, atol=1e-9)


@pytest.mark.parametrize("k", [(2, 2), (3, 2), (4, 3)])
def test_conv2d_same_padding_and_unbatched(k):
    rng = _rng(1)
    x, w = rng.standard_normal((2, 5, 6)), rng.standard_normal((3, 2, *k))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(lambda lib, a, b: fn(lib).conv2d(a, b, padding="same", dilation=(1, 2)), x, w, atol=1e-9)
    check_against_torch(lambda lib, a, b: fn(lib).conv2d(a, b, padding=1), x, w, atol=1e-9)


def test_conv_finite_differences():
    rng = _rng(2)
    x, w, b = rng.standard_normal((2, 2, 4, 3)), rng.standard_normal((4, 1, 2, 2)), rng.standard_normal(4)
    check_grads(lambda a, ww, bb: F.conv2d(a, ww, bb, stride=(2, 1), padding=1, groups=2), x, w, b)
    check_grads(lambda a, ww: F.conv1d(a, ww, padding=1, dilation=2), x[:, :, 0], rng.standard_normal((3, 2, 2)))


def test_conv_double_backward_matches_torch():
    torch = torch_or_skip()
    rng = _rng(3)
    x, w, b = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3)
    results = []
    for lib in (rustgrad, torch):
        ts = [lib.tensor(v.tolist(), dtype=lib.float64, requires_grad=True) for v in (x, w, b)]
        y = fn(lib).conv2d(ts[0], ts[1], ts[2], stride=2, padding=1)
        gs = lib.autograd.grad((y * y).sum(), ts, create_graph=True)
        second = lib.autograd.grad(sum((g * g).sum() for g in gs), ts)
        results.append([np.array(g.tolist()) for g in second])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-8)


def test_conv_float32_and_noncontiguous_inputs():
    torch = torch_or_skip()
    rng = _rng(4)
    x = rng.standard_normal((3, 8, 9, 4)).astype(np.float32)
    w = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    # A permuted (non-contiguous) input.
    ours = F.conv2d(rustgrad.tensor(x).permute(0, 3, 1, 2), rustgrad.tensor(w), padding=1)
    theirs = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(w), padding=1)
    assert ours.dtype == rustgrad.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


def test_large_conv_runs_in_parallel_and_matches_torch():
    torch = torch_or_skip()
    rng = _rng(5)
    x = rng.standard_normal((8, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((16, 16, 3, 3)).astype(np.float32)
    xr, wr = rustgrad.tensor(x, requires_grad=True), rustgrad.tensor(w, requires_grad=True)
    xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    yr, yt = F.conv2d(xr, wr, padding=1), torch.nn.functional.conv2d(xt, wt, padding=1)
    np.testing.assert_allclose(yr.detach().numpy(), yt.detach().numpy(), rtol=1e-3, atol=1e-3)
    yr.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xr.grad.numpy(), xt.grad.numpy(), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(wr.grad.numpy(), wt.grad.numpy(), rtol=1e-3, atol=2e-2)


# ----- pooling -----

@st.composite
def pool_cases(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    h = draw(st.integers(k[0], 7))
    w = draw(st.integers(k[1], 7))
    batched = draw(st.booleans())
    shape = (2, 2, h, w) if batched else (3, h, w)
    return dict(k=k, stride=stride, padding=padding, shape=shape, ceil_mode=draw(st.booleans()),
                seed=draw(st.integers(0, 999)))


@settings(max_examples=30, deadline=None)
@given(case=pool_cases(), dilation=st.integers(1, 2))
def test_max_pool2d_matches_torch(case, dilation):
    k, pad = case["k"], case["padding"]
    # Dilation only where the dilated window still fits both spatial dims (else both libraries refuse).
    too_big = any(dilation * (kk - 1) + 1 > size + 2 * p for kk, size, p in zip(k, case["shape"][-2:], pad))
    if any(p > ((kk - 1) * dilation + 1) // 2 for p, kk in zip(pad, k)) or too_big:
        dilation = 1
    x = _rng(case["seed"]).permutation(np.prod(case["shape"])).reshape(case["shape"]) * 0.1  # distinct values
    kw = dict(stride=case["stride"], padding=pad, dilation=dilation, ceil_mode=case["ceil_mode"])
    check_against_torch(lambda lib, a: fn(lib).max_pool2d(a, k, **kw), x)
    torch = torch_or_skip()
    _, ours = F.max_pool2d(rustgrad.tensor(x), k, return_indices=True, **kw)
    _, theirs = torch.nn.functional.max_pool2d(torch.tensor(x), k, return_indices=True, **kw)
    assert ours.tolist() == theirs.tolist()


@settings(max_examples=30, deadline=None)
@given(case=pool_cases(), count_include_pad=st.booleans(), divisor=st.sampled_from([None, None, 3]))
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor):
    x = _rng(case["seed"]).standard_normal(case["shape"])
    kw = dict(stride=case["stride"], padding=case["padding"], ceil_mode=case["ceil_mode"],
              count_include_pad=count_include_pad, divisor_override=divisor)
    check_against_torch(lambda lib, a: fn(lib).avg_pool2d(a, case["k"], **kw), x)


@pytest.mark.parametrize("out", [(1, 1), (2, 3), (3, None), 4, (5, 2)])
def test_adaptive_avg_pool2d_matches_torch(out):
    x = _rng(6).standard_normal((2, 3, 5, 7))
    check_against_torch(lambda lib, a: fn(lib).adaptive_avg_pool2d(a, out), x)
    check_against_torch(lambda lib, a: fn(lib).adaptive_avg_pool2d(a, out), x[0])


@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pool1d_matches_torch(ceil_mode):
    x = _rng(7).standard_normal((2, 3, 9))
    for args in [(2,), (3, 2, 1), (3, 1, 0)]:
        check_against_torch(lambda lib, a: fn(lib).max_pool1d(a, *args, ceil_mode=ceil_mode), x)
        check_against_torch(lambda lib, a: fn(lib).avg_pool1d(a, *args, ceil_mode=ceil_mode), x)
        check_against_torch(lambda lib, a: fn(lib).avg_pool1d(a, *args, count_include_pad=False), x[0])


def test_pool_finite_differences_and_double_backward():
    torch = torch_or_skip()
    x = _rng(8).permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) * 0.37
    check_grads(lambda a: F.max_pool2d(a, 3, stride=2, padding=1), x)
    check_grads(lambda a: F.avg_pool2d(a, 3, stride=2, padding=1, count_include_pad=False), x)
    check_grads(lambda a: F.adaptive_avg_pool2d(a, (2, 3)), x)
    for f in (lambda lib, a: fn(lib).max_pool2d(a, 2), lambda lib, a: fn(lib).avg_pool2d(a, 3, 2, 1),
              lambda lib, a: fn(lib).adaptive_avg_pool2d(a, 3)):
        results = []
        for lib in (rustgrad, torch):
            a = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
            y = f(lib, a)
            (g,) = lib.autograd.grad((y * y).sum(), a, create_graph=True)
            (gg,) = lib.autograd.grad((g * g * a).sum(), a)
            results.append(np.array(gg.tolist()))
        np.testing.assert_allclose(results[0], results[1], rtol=1e-9, atol=1e-12)


# ----- graph structure and errors -----

def _names(out):
    node = out.grad_fn
    return type(node).__name__, tuple((None if f is None else type(f).__name__, i) for f, i in node.next_functions)


def test_grad_fn_names():
    x = rustgrad.randn(2, 3, 8, 8, requires_grad=True)
    w = rustgrad.randn(4, 3, 3, 3, requires_grad=True)
    b = rustgrad.randn(4, requires_grad=True)
    acc = ("AccumulateGrad", 0)
    assert _names(F.conv2d(x, w, b)) == ("ConvolutionBackward0", (acc, acc, acc))
    assert _names(F.conv2d(x, w)) == ("ConvolutionBackward0", (acc, acc, (None, 0)))
    assert _names(F.conv1d(x[:, :, 0], w[:, :, 0], b)) == (
        "ConvolutionBackward0", (("SelectBackward0", 0), ("SelectBackward0", 0), acc))
    assert _names(F.max_pool2d(x, 2)) == ("MaxPool2DWithIndicesBackward0", (acc,))
    assert _names(F.avg_pool2d(x, 2)) == ("AvgPool2DBackward0", (acc,))
    assert _names(F.max_pool1d(x[:, :, 0], 2)) == ("SqueezeBackward1", (("MaxPool2DWithIndicesBackward0", 0),))
    assert _names(F.avg_pool1d(x[:, :, 0], 2)) == ("SqueezeBackward1", (("AvgPool2DBackward0", 0),))
    assert _names(F.adaptive_avg_pool2d(x, 2)) == ("AdaptiveAvgPool2DBackward0", (acc,))
    assert _names(F.adaptive_avg_pool2d(x, 1)) == ("MeanBackward1", (acc,))
    indices = F.max_pool2d(x, 2, return_indices=True)[1]
    assert indices.dtype == rustgrad.int64 and not indices.requires_grad


@pytest.mark.parametrize("f", [
    lambda x, w: F.conv2d(x, w), lambda x, w: F.max_pool2d(x, 2), lambda x, w: F.avg_pool2d(x, 2),
])
def test_second_backward_fails_like_torch(f):
    x = rustgrad.randn(1, 3, 6, 6, requires_grad=True)
    y = f(x, rustgrad.randn(2, 3, 3, 3, requires_grad=True))
    y.sum().backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.sum().backward()


ERRORS = [
    lambda lib, x: fn(lib).max_pool2d(x, 3, padding=2),
    lambda lib, x: fn(lib).avg_pool2d(x, 3, padding=2),
    lambda lib, x: fn(lib).max_pool2d(x, 7),
    lambda lib, x: fn(lib).avg_pool2d(x, 7),
    lambda lib, x: fn(lib).max_pool2d(x, 2, stride=0),
    lambda lib, x: fn(lib).max_pool2d(lib.randn(5, 5), 2),
    lambda lib, x: fn(lib).max_pool2d(x, 2, dilation=0),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 7, 7)),
    lambda lib, x: fn(lib).conv2d(lib.randn(5, 5), lib.randn(1, 1, 3, 3)),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 3, 3), stride=0),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 3, 3), padding=-1),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 3, 3), padding="same", stride=2),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 3, 3), padding="foo"),
    lambda lib, x: fn(lib).conv2d(x.double(), lib.randn(1, 1, 3, 3)),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 3, 3), lib.randn(2)),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(2, 1, 3, 3), groups=2),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(3, 1, 3, 3), groups=0),
    lambda lib, x: fn(lib).conv1d(x, lib.randn(1, 1, 3)),
    lambda lib, x: fn(lib).conv2d(x, lib.randn(1, 1, 3, 3), stride=(1, 1, 1)),
    lambda lib, x: fn(lib).conv2d(lib.randn(1, 2, 5, 5), lib.randn(3, 2, 3, 3), groups=2),
]


@pytest.mark.parametrize("f", ERRORS)
def test_errors_match_torch(f):
    torch = torch_or_skip()
    caught = []
    for lib in (rustgrad, torch):
        with pytest.raises(Exception) as info:
            f(lib, lib.randn(1, 1, 5, 5))
        caught.append((type(info.value), str(info.value)))
    assert caught[0] == caught[1]


# ----- end to end: a small CNN learns bar orientation -----

def _bars(n, rng):
    """8x8 images with one bright bar (horizontal: label 0, vertical: label 1) and noise."""
    images = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    labels = rng.integers(0, 2, n)
    for i, (label, pos, start) in enumerate(zip(labels, rng.integers(0, 8, n), rng.integers(0, 4, n))):
        if label == 0:
            images[i, 0, pos, start:start + 5] += 1.0
        else:
            images[i, 0, start:start + 5, pos] += 1.0
    return images, labels


def test_small_cnn_learns_bar_orientation():
    rng = np.random.default_rng(0)
    rustgrad.manual_seed(0)
    train_x, train_y = _bars(512, rng)
    test_x, test_y = _bars(256, rng)
    conv_w = Parameter(rustgrad.randn(8, 1, 3, 3) * 0.3)
    conv_b = Parameter(rustgrad.zeros(8))
    fc_w = Parameter(rustgrad.randn(8 * 4 * 4, 2) * 0.05)
    fc_b = Parameter(rustgrad.zeros(2))
    params = [conv_w, conv_b, fc_w, fc_b]
    opt = rustgrad.optim.Adam(params, lr=0.01)

    def model(x):
        h = F.max_pool2d(F.conv2d(x, conv_w, conv_b, padding=1).relu(), 2)
        return h.reshape(x.shape[0], -1) @ fc_w + fc_b

    start = time.perf_counter()
    for epoch in range(6):
        order = rng.permutation(len(train_x))
        for i in range(0, len(order), 64):
            idx = order[i:i + 64]
            loss = FL.cross_entropy(model(rustgrad.tensor(train_x[idx])), rustgrad.tensor(train_y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    elapsed = time.perf_counter() - start
    with rustgrad.no_grad():
        predictions = model(rustgrad.tensor(test_x)).argmax(1).numpy()
    accuracy = (predictions == test_y).mean()
    assert accuracy > 0.95, accuracy
    assert elapsed < 20, elapsed


# ----- modules (against a stand-in Module until nn.Module is merged) -----

def _module_base():
    """The real ``rustgrad.nn.modules.module.Module`` when present, else a minimal stand-in with
    PyTorch's registration API, installed so the module files can import it."""
    import sys
    import types

    try:
        from rustgrad.nn.modules.module import Module
        return Module
    except ImportError:
        pass

    class Module:
        def __init__(self):
            object.__setattr__(self, "_parameters", {})
            object.__setattr__(self, "_buffers", {})

        def __setattr__(self, name, value):
            if isinstance(value, Parameter):
                self._parameters[name] = value
            else:
                object.__setattr__(self, name, value)

        def __getattr__(self, name):
            for store in ("_parameters", "_buffers"):
                table = self.__dict__.get(store, {})
                if name in table:
                    return table[name]
            raise AttributeError(name)

        def register_parameter(self, name, value):
            self._parameters[name] = value

        def register_buffer(self, name, value):
            self._buffers[name] = value

        def __call__(self, *args):
            return self.forward(*args)

        def extra_repr(self):
            return ""

        def __repr__(self):
            return f"{type(self).__name__}({self.extra_repr()})"

    stand_in = types.ModuleType("rustgrad.nn.modules.module")
    stand_in.Module = Module
    sys.modules["rustgrad.nn.modules.module"] = stand_in
    return Module


def test_conv_and_pool_modules_match_torch():
    torch = torch_or_skip()
    _module_base()
    from rustgrad.nn.modules import conv, normalization_layer, pooling

    pairs = [
        (conv.Conv2d(1, 4, 3), torch.nn.Conv2d(1, 4, 3)),
        (conv.Conv2d(2, 4, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False),
         torch.nn.Conv2d(2, 4, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False)),
        (conv.Conv1d(2, 4, 3, padding="same"), torch.nn.Conv1d(2, 4, 3, padding="same")),
        (pooling.MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (pooling.MaxPool1d(3, 2, 1), torch.nn.MaxPool1d(3, 2, 1)),
        (pooling.AvgPool2d(3, 1, 1), torch.nn.AvgPool2d(3, 1, 1)),
        (pooling.AvgPool1d(3), torch.nn.AvgPool1d(3)),
        (pooling.AdaptiveAvgPool2d((2, None)), torch.nn.AdaptiveAvgPool2d((2, None))),
        (normalization_layer.LayerNorm(10), torch.nn.LayerNorm(10)),
        (normalization_layer.LayerNorm((2, 3), elementwise_affine=False), torch.nn.LayerNorm((2, 3), elementwise_affine=False)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
    # Default initialisation draws the same numbers as PyTorch's kaiming_uniform_(a=sqrt(5)).
    rustgrad.manual_seed(3)
    torch.manual_seed(3)
    ours, theirs = conv.Conv2d(3, 5, 3), torch.nn.Conv2d(3, 5, 3)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.bias.detach().numpy(), theirs.bias.detach().numpy(), rtol=1e-6)
    x = _rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(ours(rustgrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), atol=1e-5)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        conv.Conv2d(3, 4, 3, groups=2)
