"""F.interpolate / nn.Upsample for 4-D inputs, nearest and bilinear (align_corners both ways):
values against a numpy reference of PyTorch's index rules (hypothesis), gradients by finite
differences in float64 and against PyTorch, nodes (incl. double backward), reprs and errors."""

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn as nn
import rustgrad.nn.functional as F
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip


def fn(lib):
    return F if lib is rustgrad else lib.nn.functional


def _values(shape, seed):
    return np.random.default_rng(seed).uniform(-2, 2, size=shape)


def _nearest_ref(x, oh, ow, scales):
    def idx(d, n, o, s):
        if o == n:
            return d
        if o == 2 * n:
            return d >> 1
        sc = np.float32(1.0 / s) if s else np.float32(n / o)
        return min(int(math.floor(np.float32(d) * sc)), n - 1)
    h, w = x.shape[2:]
    rows = [idx(i, h, oh, scales[0]) for i in range(oh)]
    cols = [idx(j, w, ow, scales[1]) for j in range(ow)]
    return x[:, :, rows][:, :, :, cols]


def _linear_taps(n, o, s, align):
    taps = []
    for d in range(o):
        if align:
            real = (n - 1) / (o - 1) * d if o > 1 else 0.0
        else:
            sc = 1.0 / s if s else n / o
            real = max(sc * (d + 0.5) - 0.5, 0.0)
        i0 = int(real)
        i1 = i0 + 1 if i0 < n - 1 else i0
        l1 = min(max(real - i0, 0.0), 1.0)
        taps.append((i0, i1, 1 - l1, l1))
    return taps


def _bilinear_ref(x, oh, ow, scales, align):
    th = _linear_taps(x.shape[2], oh, scales[0], align)
    tw = _linear_taps(x.shape[3], ow, scales[1], align)
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i, (h0, h1, a0, a1) in enumerate(th):
        for j, (w0, w1, b0, b1) in enumerate(tw):
            out[:, :, i, j] = a0 * (b0 * x[:, :, h0, w0] + b1 * x[:, :, h0, w1]) + a1 * (b0 * x[:, :, h1, w0] + b1 * x[:, :, h1, w1])
    return out


sizes = st.tuples(st.integers(1, 4), st.integers(1, 4))


@settings(max_examples=20, deadline=None)
@given(inp=sizes, out=sizes, mode=st.sampled_from(["nearest", "bilinear", "bilinear-aligned"]), seed=st.integers(0, 999))
def test_values_with_an_output_size(inp, out, mode, seed):
    x = _values((2, 3) + inp, seed)
    t = rustgrad.tensor(x, dtype=rustgrad.float64)
    if mode == "nearest":
        got, ref = F.interpolate(t, size=out), _nearest_ref(x, *out, (None, None))
    else:
        align = mode == "bilinear-aligned"
        got, ref = F.interpolate(t, size=out, mode="bilinear", align_corners=align), _bilinear_ref(x, *out, (None, None), align)
    np.testing.assert_allclose(np.array(got.tolist()), ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(inp=sizes, scale=st.sampled_from([0.5, 1.5, 2, 2.5, 3, (2, 0.75)]), mode=st.sampled_from(["nearest", "bilinear"]),
       seed=st.integers(0, 999))
def test_values_with_a_scale_factor(inp, scale, mode, seed):
    scales = scale if isinstance(scale, tuple) else (scale, scale)
    out = tuple(int(n * float(s)) for n, s in zip(inp, scales))
    if 0 in out:
        return
    x = _values((1, 2) + inp, seed)
    got = F.interpolate(rustgrad.tensor(x, dtype=rustgrad.float64), scale_factor=scale, mode=mode)
    ref = _nearest_ref(x, *out, scales) if mode == "nearest" else _bilinear_ref(x, *out, scales, False)
    np.testing.assert_allclose(np.array(got.tolist()), ref, rtol=1e-12, atol=1e-12)


CASES = [
    {"scale_factor": 2},
    {"size": (5, 7)},
    {"scale_factor": 1.5, "mode": "bilinear"},
    {"size": (5, 7), "mode": "bilinear", "align_corners": True},
    {"size": (2, 3), "mode": "bilinear"},
    {"scale_factor": (2, 0.5), "recompute_scale_factor": True},
    {"size": (1, 1), "mode": "bilinear", "align_corners": True},
]


@pytest.mark.parametrize("kwargs", CASES)
def test_matches_torch_values_gradients_and_nodes(kwargs):
    x = _values((2, 2, 3, 4), 1)
    f = lambda lib, t: fn(lib).interpolate(t, **kwargs)  # noqa: E731
    check_against_torch(f, x)
    check_against_torch(f, x, dtype="float32", atol=1e-5)
    check_grads(lambda t: f(rustgrad, t), x, atol=1e-6)
    torch = torch_or_skip()
    seen = []
    for lib in (rustgrad, torch):
        t = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        y = f(lib, t)
        node = y.grad_fn
        saved = {a: getattr(node, a) for a in dir(node) if a.startswith("_saved")}
        (g,) = lib.autograd.grad((y * y).sum(), t, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), t)
        seen.append((type(node).__name__, saved, type(g.grad_fn).__name__, gg.tolist()))
    assert seen[0][:3] == seen[1][:3]
    np.testing.assert_allclose(seen[0][3], seen[1][3], rtol=1e-10)


def test_non_contiguous_input():
    x = rustgrad.tensor(_values((2, 3, 4, 5), 2)).transpose(2, 3)
    assert F.interpolate(x, scale_factor=2, mode="bilinear").tolist() == F.interpolate(x.contiguous(), scale_factor=2, mode="bilinear").tolist()


@pytest.mark.parametrize("make", [
    lambda m: m.Upsample(scale_factor=2),
    lambda m: m.Upsample(size=(3, 4), mode="bilinear", align_corners=True),
    lambda m: m.Upsample(scale_factor=(2, 3), mode="bilinear"),
    lambda m: m.Upsample(size=5),
])
def test_upsample_module_repr_and_output_match_torch(make):
    torch = torch_or_skip()
    x = _values((1, 2, 3, 3), 3).tolist()
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(ours(rustgrad.tensor(x)).tolist(), theirs(torch.tensor(x)).tolist(), rtol=1e-6, atol=1e-6)


def test_upsample_alias_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.upsample(rustgrad.ones(1, 1, 2, 2), scale_factor=2)
    assert str(caught[0].message) == "`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead."


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=3, scale_factor=2),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=3, align_corners=True),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=(3,)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), scale_factor=(2, 2, 2)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(2, 3, 4), size=3, mode="bilinear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=3, mode="linear"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=3, mode="foo"),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=0),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), scale_factor=0.1),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=3, recompute_scale_factor=True),
    lambda lib: lib.nn.functional.interpolate(lib.ones(1, 2, 3, 4), size=(2.5, 3)),
    lambda lib: lib.nn.functional.interpolate(lib.ones(2, 3, 4, 5, dtype=lib.int64), size=3),
    lambda lib: lib.nn.functional.interpolate(lib.ones(2, 3, 4, 5, dtype=lib.int64), size=3, mode="bilinear"),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
