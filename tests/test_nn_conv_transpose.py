"""F.conv_transpose2d / nn.ConvTranspose2d: values against a numpy scatter reference
(hypothesis over stride, padding, output padding, dilation, groups), gradients by finite
differences in float64 and against PyTorch, the ConvolutionBackward0 node, reprs and errors."""

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
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def _reference(x, w, b, stride, pad, out_pad, groups, dil):
    n, cin, h, wd = x.shape
    _, og, kh, kw = w.shape
    oh = (h - 1) * stride - 2 * pad + dil * (kh - 1) + out_pad + 1
    ow = (wd - 1) * stride - 2 * pad + dil * (kw - 1) + out_pad + 1
    full = np.zeros((n, og * groups, oh + 2 * pad + stride * 2 + dil * kh, ow + 2 * pad + stride * 2 + dil * kw))
    cg = cin // groups
    for ci in range(cin):
        g = ci // cg
        for o in range(og):
            for i in range(kh):
                for j in range(kw):
                    for y in range(h):
                        for z in range(wd):
                            full[:, g * og + o, y * stride + i * dil, z * stride + j * dil] += x[:, ci, y, z] * w[ci, o, i, j]
    out = full[:, :, pad:pad + oh, pad:pad + ow]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out


@settings(max_examples=15, deadline=None)
@given(stride=st.integers(1, 3), pad=st.integers(0, 2), dil=st.integers(1, 2), groups=st.integers(1, 2),
       k=st.integers(1, 3), size=st.integers(1, 4), bias=st.booleans(), seed=st.integers(0, 999), op=st.integers(0, 2))
def test_values_against_a_scatter_reference(stride, pad, dil, groups, k, size, bias, seed, op):
    out_pad = op % max(stride, dil)
    out_size = (size - 1) * stride - 2 * pad + dil * (k - 1) + out_pad + 1
    if out_size <= 0:
        return
    x = _values((2, 2 * groups, size, size + 1), seed)
    w = _values((2 * groups, 3, k, k), seed + 1)
    b = _values((3 * groups,), seed + 2) if bias else None
    got = F.conv_transpose2d(rustgrad.tensor(x), rustgrad.tensor(w), None if b is None else rustgrad.tensor(b),
                             stride, pad, out_pad, groups, dil)
    np.testing.assert_allclose(np.array(got.tolist()), _reference(x, w, b, stride, pad, out_pad, groups, dil), rtol=1e-10, atol=1e-12)


CASES = [
    dict(),
    dict(stride=2, output_padding=1),
    dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2)),
    dict(groups=2, stride=2, padding=1),
]


@pytest.mark.parametrize("kwargs", CASES)
def test_gradients_match_finite_differences_and_torch(kwargs):
    groups = kwargs.get("groups", 1)
    x, w, b = _values((2, 2 * groups, 3, 2), 1), _values((2 * groups, 2, 2, 3), 2), _values((2 * groups,), 3)
    f = lambda lib, x, w, b: fn(lib).conv_transpose2d(x, w, b, **kwargs)  # noqa: E731
    check_grads(lambda x, w, b: f(rustgrad, x, w, b), x, w, b, atol=1e-6)
    check_against_torch(f, x, w, b)
    check_against_torch(f, x, w, b, dtype="float32", atol=1e-5)


def test_node_saved_values_and_double_backward_match_torch():
    torch = torch_or_skip()
    seen = []
    for lib in (rustgrad, torch):
        x = lib.tensor(_values((1, 2, 3, 3), 4).tolist(), dtype=lib.float64, requires_grad=True)
        w = lib.tensor(_values((2, 3, 2, 2), 5).tolist(), dtype=lib.float64, requires_grad=True)
        y = fn(lib).conv_transpose2d(x, w, stride=2, output_padding=1)
        node = y.grad_fn
        saved = {a: (tuple(getattr(node, a).shape) if isinstance(getattr(node, a), lib.Tensor) else getattr(node, a))
                 for a in dir(node) if a.startswith("_saved")}
        (gx,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad((gx * gx).sum(), w)
        seen.append((type(node).__name__, saved, tuple(y.shape), gw.tolist()))
    assert seen[0][:3] == seen[1][:3]
    np.testing.assert_allclose(seen[0][3], seen[1][3], rtol=1e-10)


def test_unbatched_input():
    x, w = rustgrad.tensor(_values((2, 3, 3), 6)), rustgrad.tensor(_values((2, 1, 2, 2), 7))
    assert F.conv_transpose2d(x, w).tolist() == F.conv_transpose2d(x.unsqueeze(0), w).squeeze(0).tolist()


@pytest.mark.parametrize("make", [
    lambda m: m.ConvTranspose2d(4, 3, 2),
    lambda m: m.ConvTranspose2d(4, 6, (2, 3), stride=2, padding=1, output_padding=1, groups=2, bias=False, dilation=2),
])
def test_module_repr_shapes_and_training(make):
    torch = torch_or_skip()
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters()):
            q.copy_(torch.tensor(p.tolist()))
    x = _values((2, 4, 3, 3), 8).tolist()
    np.testing.assert_allclose(ours(rustgrad.tensor(x)).tolist(), theirs(torch.tensor(x)).tolist(), rtol=1e-5, atol=1e-6)
    bound = 1 / np.sqrt(ours.weight.shape[1] * np.prod(ours.weight.shape[2:]))
    assert float(ours.weight.abs().max()) <= bound + 1e-6


def test_output_size_argument_matches_torch():
    torch = torch_or_skip()
    outs = []
    for lib in (rustgrad, torch):
        lib.manual_seed(0)
        m = lib.nn.ConvTranspose2d(2, 2, 3, stride=2)
        outs.append(tuple(m(lib.ones(1, 2, 4, 4), output_size=[9, 10]).shape))
    assert outs[0] == outs[1] == (1, 2, 9, 10)
    assert_same_error_as_torch(lambda lib: lib.nn.ConvTranspose2d(2, 2, 3, stride=2)(lib.ones(1, 2, 4, 4), output_size=[12, 10]))


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(1, 4, 3, 3), lib.ones(4, 3, 2, 2), stride=1, output_padding=1),
    lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(1, 4, 3, 3), lib.ones(3, 3, 2, 2)),
    lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(1, 4, 3, 3), lib.ones(4, 3, 2, 2), padding=5),
    lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(1, 4, 3, 3), lib.ones(4, 3, 2, 2), lib.ones(4)),
    lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(1, 4, 3, 3), lib.ones(4, 3, 2, 2), groups=3),
    lambda lib: lib.nn.functional.conv_transpose2d(lib.ones(3, 3), lib.ones(4, 3, 2, 2)),
    lambda lib: lib.nn.ConvTranspose2d(4, 3, 2, padding_mode="reflect"),
    lambda lib: lib.nn.ConvTranspose2d(4, 3, 2, groups=3),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
