"""F.conv3d / nn.Conv3d and F.conv_transpose3d / nn.ConvTranspose3d: values against a numpy
reference and PyTorch (hypothesis over stride, padding, dilation, groups), gradients by finite
differences in float64 and against PyTorch, the ConvolutionBackward0 node, reprs and errors."""

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
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def _reference(x, w, b, stride, pad, dil, groups):
    """A direct 3-d cross-correlation (padding, stride, dilation, groups) in numpy."""
    n, c, d, h, wd = x.shape
    o, cg, kd, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad), (pad, pad)))
    size = lambda s, k: (s + 2 * pad - dil * (k - 1) - 1) // stride + 1  # noqa: E731
    od, oh, ow = size(d, kd), size(h, kh), size(wd, kw)
    out = np.zeros((n, o, od, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for a in range(kd):
            for i in range(kh):
                for j in range(kw):
                    patch = xp[:, g * cg:(g + 1) * cg,
                               a * dil:a * dil + stride * (od - 1) + 1:stride,
                               i * dil:i * dil + stride * (oh - 1) + 1:stride,
                               j * dil:j * dil + stride * (ow - 1) + 1:stride]
                    out[:, oc] += np.einsum("ncdhw,c->ndhw", patch, w[oc, :, a, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1, 1)
    return out


@settings(max_examples=20, deadline=None)
@given(stride=st.integers(1, 2), pad=st.integers(0, 2), dil=st.integers(1, 2), groups=st.integers(1, 2),
       k=st.integers(1, 3), size=st.integers(1, 4), bias=st.booleans(), seed=st.integers(0, 999))
def test_conv3d_values_against_a_direct_reference(stride, pad, dil, groups, k, size, bias, seed):
    if size + 2 * pad < dil * (k - 1) + 1:
        return
    x = _values((2, 2 * groups, size, size + 1, size), seed)
    w = _values((3 * groups, 2, k, k, k), seed + 1)
    b = _values((3 * groups,), seed + 2) if bias else None
    got = F.conv3d(rustgrad.tensor(x), rustgrad.tensor(w), None if b is None else rustgrad.tensor(b),
                   stride, pad, dil, groups)
    np.testing.assert_allclose(np.array(got.tolist()), _reference(x, w, b, stride, pad, dil, groups), rtol=1e-10, atol=1e-12)


@settings(max_examples=10, deadline=None)
@given(stride=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 2)),
       pad=st.tuples(st.integers(0, 1), st.integers(0, 1), st.integers(0, 1)),
       dil=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 2)),
       groups=st.integers(1, 2), bias=st.booleans(), seed=st.integers(0, 999))
def test_conv3d_values_and_grads_against_torch(stride, pad, dil, groups, bias, seed):
    x = _values((2, 2 * groups, 4, 5, 3), seed)
    w = _values((2 * groups, 2, 2, 1, 2), seed + 1)
    arrays = [x, w] + ([_values((2 * groups,), seed + 2)] if bias else [])
    check_against_torch(lambda lib, *t: fn(lib).conv3d(t[0], t[1], t[2] if bias else None, stride, pad, dil, groups),
                        *arrays, seed=seed)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv3d_string_padding_against_torch(padding):
    x, w, b = _values((1, 2, 4, 5, 3), 0), _values((3, 2, 2, 3, 2), 1), _values((3,), 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(lambda lib, x, w, b: fn(lib).conv3d(x, w, b, padding=padding, dilation=(1, 2, 1)), x, w, b)


def test_conv3d_unbatched_input_against_torch():
    check_against_torch(lambda lib, x, w: fn(lib).conv3d(x, w, stride=2, padding=1), _values((2, 3, 4, 5), 3),
                        _values((4, 2, 2, 2, 2), 4))


def test_conv3d_gradients_by_finite_differences():
    x, w, b = _values((1, 2, 3, 3, 2), 5), _values((2, 1, 2, 2, 1), 6), _values((2,), 7)
    check_grads(lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=1, dilation=(2, 1, 1), groups=2), x, w, b)


def test_conv3d_gradcheck_and_double_backward():
    x = rustgrad.tensor(_values((1, 2, 3, 3, 3), 8), requires_grad=True)
    w = rustgrad.tensor(_values((2, 2, 2, 2, 2), 9), requires_grad=True)
    assert rustgrad.autograd.gradcheck(lambda x, w: F.conv3d(x, w, padding=1), (x, w))
    assert rustgrad.autograd.gradgradcheck(lambda x, w: F.conv3d(x, w, stride=2), (x, w))


def test_conv3d_grad_fn_name_matches_torch():
    torch = torch_or_skip()
    names = []
    for lib in (rustgrad, torch):
        x = lib.ones(1, 1, 3, 3, 3, requires_grad=True)
        names.append(fn(lib).conv3d(x, lib.ones(1, 1, 2, 2, 2)).grad_fn.name())
    assert names[0] == names[1] == "ConvolutionBackward0"


def test_conv3d_module_matches_torch_with_the_same_weights():
    torch = torch_or_skip()
    for mode in ("zeros", "reflect", "replicate", "circular"):
        ours = nn.Conv3d(2, 4, (2, 3, 2), stride=(1, 2, 1), padding=1, groups=2, padding_mode=mode, dtype=rustgrad.float64)
        theirs = torch.nn.Conv3d(2, 4, (2, 3, 2), stride=(1, 2, 1), padding=1, groups=2, padding_mode=mode, dtype=torch.float64)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(ours.weight.tolist(), dtype=torch.float64))
            theirs.bias.copy_(torch.tensor(ours.bias.tolist(), dtype=torch.float64))
        x = _values((2, 2, 3, 4, 5), 10)
        got = ours(rustgrad.tensor(x)).tolist()
        want = theirs(torch.tensor(x)).tolist()
        np.testing.assert_allclose(np.array(got), np.array(want), rtol=1e-10, atol=1e-12, err_msg=mode)


@pytest.mark.parametrize("args", [
    ((2, 4, 3), {}),
    ((2, 4, (1, 2, 3)), dict(stride=2, padding=1, dilation=2, groups=2, bias=False, padding_mode="circular")),
    ((2, 4, 3), dict(padding="same")),
    ((3, 6, 2), dict(padding=(1, 0, 2), stride=(1, 1, 3), padding_mode="reflect")),
])
def test_conv3d_repr_matches_torch(args):
    torch = torch_or_skip()
    pos, kw = args
    assert repr(nn.Conv3d(*pos, **kw)) == repr(torch.nn.Conv3d(*pos, **kw))
    assert nn.Conv3d(*pos, **kw).weight.shape == torch.nn.Conv3d(*pos, **kw).weight.shape


@pytest.mark.parametrize("call", [
    lambda lib: fn(lib).conv3d(lib.ones(3, 4, 5), lib.ones(3, 2, 2, 2, 2)),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5, 6), lib.ones(3, 2, 2, 2, 2)),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 4, 2, 2)),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), padding=-1),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), padding=(1, 1)),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), stride=0),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), padding="foo"),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), padding="same", stride=2),
    lambda lib: fn(lib).conv3d(lib.ones(1, 3, 3, 4, 5), lib.ones(3, 2, 2, 2, 2)),
    lambda lib: fn(lib).conv3d(lib.ones(1, 4, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), groups=2),
    lambda lib: fn(lib).conv3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 2, 2, 2, 2), lib.ones(2)),
    lambda lib: lib.nn.Conv3d(3, 4, 2, groups=2),
    lambda lib: lib.nn.Conv3d(2, 4, 2, padding="same", stride=2),
])
def test_conv3d_errors_match_torch(call):
    assert_same_error_as_torch(call)


# conv_transpose3d


def _transpose_reference(x, w, b, stride, pad, out_pad, groups, dil):
    """The adjoint of the 3-d convolution: every input element scatters weight * value."""
    n, cin, d, h, wd = x.shape
    _, og, kd, kh, kw = w.shape
    size = lambda s, k: (s - 1) * stride - 2 * pad + dil * (k - 1) + out_pad + 1  # noqa: E731
    od, oh, ow = size(d, kd), size(h, kh), size(wd, kw)
    full = np.zeros((n, og * groups, od + 2 * pad + stride + dil * kd, oh + 2 * pad + stride + dil * kh,
                     ow + 2 * pad + stride + dil * kw))
    cg = cin // groups
    for ci in range(cin):
        g = ci // cg
        for a in range(kd):
            for i in range(kh):
                for j in range(kw):
                    contrib = np.einsum("ndhw,o->nodhw", x[:, ci], w[ci, :, a, i, j])
                    full[:, g * og:(g + 1) * og,
                         a * dil:a * dil + stride * (d - 1) + 1:stride,
                         i * dil:i * dil + stride * (h - 1) + 1:stride,
                         j * dil:j * dil + stride * (wd - 1) + 1:stride] += contrib
    out = full[:, :, pad:pad + od, pad:pad + oh, pad:pad + ow]
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1, 1)
    return out


@settings(max_examples=15, deadline=None)
@given(stride=st.integers(1, 2), pad=st.integers(0, 1), dil=st.integers(1, 2), groups=st.integers(1, 2),
       k=st.integers(1, 2), size=st.integers(1, 3), bias=st.booleans(), seed=st.integers(0, 999), op=st.integers(0, 1))
def test_conv_transpose3d_values_against_a_scatter_reference(stride, pad, dil, groups, k, size, bias, seed, op):
    out_pad = op % max(stride, dil)
    if (size - 1) * stride - 2 * pad + dil * (k - 1) + out_pad + 1 <= 0:
        return
    x = _values((2, 2 * groups, size, size + 1, size), seed)
    w = _values((2 * groups, 2, k, k, k), seed + 1)
    b = _values((2 * groups,), seed + 2) if bias else None
    got = F.conv_transpose3d(rustgrad.tensor(x), rustgrad.tensor(w), None if b is None else rustgrad.tensor(b),
                             stride, pad, out_pad, groups, dil)
    want = _transpose_reference(x, w, b, stride, pad, out_pad, groups, dil)
    np.testing.assert_allclose(np.array(got.tolist()), want, rtol=1e-10, atol=1e-12)


def test_conv_transpose3d_values_and_grads_against_torch():
    x, w, b = _values((2, 4, 2, 3, 2), 11), _values((4, 3, 2, 2, 3), 12), _values((6,), 13)
    check_against_torch(
        lambda lib, x, w, b: fn(lib).conv_transpose3d(x, w, b, (2, 1, 2), (1, 0, 1), (1, 0, 0), 2, (1, 2, 1)), x, w, b
    )
    check_against_torch(lambda lib, x, w: fn(lib).conv_transpose3d(x, w, stride=2), _values((4, 2, 3, 2), 14),
                        _values((4, 1, 2, 2, 2), 15))


def test_conv_transpose3d_gradients_and_node():
    torch = torch_or_skip()
    x, w, b = _values((1, 2, 2, 2, 3), 16), _values((2, 2, 2, 1, 2), 17), _values((2,), 18)
    check_grads(lambda x, w, b: F.conv_transpose3d(x, w, b, stride=2, padding=1, output_padding=1), x, w, b)
    xt = rustgrad.tensor(x, requires_grad=True)
    assert rustgrad.autograd.gradgradcheck(lambda x: F.conv_transpose3d(x, rustgrad.tensor(w), stride=2), (xt,))
    names = [fn(lib).conv_transpose3d(lib.ones(1, 1, 2, 2, 2, requires_grad=True), lib.ones(1, 1, 2, 2, 2)).grad_fn.name()
             for lib in (rustgrad, torch)]
    assert names[0] == names[1] == "ConvolutionBackward0"


def test_conv_transpose3d_module_repr_and_output_size_match_torch():
    torch = torch_or_skip()
    for kw in (dict(), dict(stride=2, output_padding=1), dict(stride=(1, 2, 2), padding=1, groups=2, bias=False, dilation=2)):
        assert repr(nn.ConvTranspose3d(2, 4, 3, **kw)) == repr(torch.nn.ConvTranspose3d(2, 4, 3, **kw))
    ours = nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=rustgrad.float64)
    theirs = torch.nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=torch.float64)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.tolist(), dtype=torch.float64))
        theirs.bias.copy_(torch.tensor(ours.bias.tolist(), dtype=torch.float64))
    x = _values((1, 2, 2, 3, 2), 19)
    got = ours(rustgrad.tensor(x), output_size=[6, 8, 5])
    want = theirs(torch.tensor(x), output_size=[6, 8, 5])
    assert list(got.shape) == list(want.shape)
    np.testing.assert_allclose(np.array(got.tolist()), want.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib: fn(lib).conv_transpose3d(lib.ones(3, 4, 5), lib.ones(2, 3, 2, 2, 2)),
    lambda lib: fn(lib).conv_transpose3d(lib.ones(1, 2, 3, 4, 5), lib.ones(2, 3, 2, 2, 2), output_padding=1),
    lambda lib: fn(lib).conv_transpose3d(lib.ones(1, 2, 3, 4, 5), lib.ones(2, 3, 2, 2, 2), stride=2, output_padding=(1, 2, 1)),
    lambda lib: fn(lib).conv_transpose3d(lib.ones(1, 2, 3, 4, 5), lib.ones(2, 3, 2, 2, 2), padding=3),
    lambda lib: fn(lib).conv_transpose3d(lib.ones(1, 2, 3, 4, 5), lib.ones(3, 3, 2, 2, 2)),
    lambda lib: fn(lib).conv_transpose3d(lib.ones(1, 2, 3, 4, 5), lib.ones(2, 3, 2, 2, 2), lib.ones(2)),
    lambda lib: fn(lib).conv_transpose2d(lib.ones(1, 2, 3, 4), lib.ones(2, 3, 2, 2), output_padding=1),
    lambda lib: lib.nn.ConvTranspose3d(2, 4, 2, padding_mode="reflect"),
])
def test_conv_transpose3d_errors_match_torch(call):
    assert_same_error_as_torch(call)
