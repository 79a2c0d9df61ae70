"""F.max_pool3d / avg_pool3d / adaptive_{avg,max}_pool3d and their modules: values and indices
against a numpy reference and PyTorch (hypothesis over kernel, stride, padding, dilation,
ceil_mode), gradients by finite differences in float64 and against PyTorch, grad_fn names,
reprs and errors."""

import itertools

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
    # Distinct values, so maxima (and their indices) are unique.
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


def _out(size, k, s, p, d, ceil):
    num = size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = num // s + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def _max_reference(x, k, s, p, d, ceil):
    """Max and flat index over each dilated window of every (n, c) volume."""
    n, c, *size = x.shape
    outs = [_out(z, k, s, p, d, ceil) for z in size]
    vals, idx = np.zeros((n, c, *outs)), np.zeros((n, c, *outs), dtype=np.int64)
    for o in itertools.product(*map(range, outs)):
        # PyTorch starts from the first tap at or after 0 along each dim, at -inf: a window
        # reading only padding keeps both.
        first = [o[i] * s - p + d * max(0, -(-(p - o[i] * s) // d)) for i in range(3)]
        best = np.full((n, c), -np.inf)
        at = np.full((n, c), (first[0] * size[1] + first[1]) * size[2] + first[2])
        for t in itertools.product(range(k), repeat=3):
            pos = [o[i] * s - p + t[i] * d for i in range(3)]
            if any(q < 0 or q >= size[i] for i, q in enumerate(pos)):
                continue
            v = x[:, :, pos[0], pos[1], pos[2]]
            flat = (pos[0] * size[1] + pos[1]) * size[2] + pos[2]
            at = np.where(v > best, flat, at)
            best = np.maximum(best, v)
        vals[(...,) + o], idx[(...,) + o] = best, at
    return vals, idx


@settings(max_examples=25, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 3), p=st.integers(0, 1), d=st.integers(1, 2), ceil=st.booleans(),
       size=st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 5)), seed=st.integers(0, 999))
def test_max_pool3d_values_and_indices_against_a_reference(k, s, p, d, ceil, size, seed):
    if 2 * p > k or any(_out(z, k, s, p, d, ceil) < 1 for z in size):
        return
    x = _values((2, 2, *size), seed)
    out, idx = F.max_pool3d(rustgrad.tensor(x), k, s, p, d, ceil, return_indices=True)
    want, want_idx = _max_reference(x, k, s, p, d, ceil)
    np.testing.assert_array_equal(np.array(out.tolist()), want)
    np.testing.assert_array_equal(np.array(idx.tolist()), want_idx)


@settings(max_examples=15, deadline=None)
@given(k=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)), s=st.integers(1, 2), p=st.integers(0, 1),
       ceil=st.booleans(), cip=st.booleans(), div=st.sampled_from([None, 3]), seed=st.integers(0, 999))
def test_avg_pool3d_values_and_grads_against_torch(k, s, p, ceil, cip, div, seed):
    if any(2 * p > kk for kk in k):
        return
    x = np.random.default_rng(seed).uniform(-1, 1, size=(2, 2, 4, 3, 5))
    check_against_torch(lambda lib, x: fn(lib).avg_pool3d(x, k, s, p, ceil, cip, div), x, seed=seed)


@settings(max_examples=10, deadline=None)
@given(k=st.integers(1, 3), s=st.integers(1, 2), p=st.integers(0, 1), d=st.integers(1, 2), ceil=st.booleans(),
       seed=st.integers(0, 999))
def test_max_pool3d_values_and_grads_against_torch(k, s, p, d, ceil, seed):
    if 2 * p > k or any(_out(z, k, s, p, d, ceil) < 1 for z in (4, 5, 3)):
        return
    check_against_torch(lambda lib, x: fn(lib).max_pool3d(x, k, s, p, d, ceil), _values((1, 2, 4, 5, 3), seed), seed=seed)


@pytest.mark.parametrize("size", [(2, 3, 2), (1, 1, 1), (3, None, 2), 2, (4, 5, 3)])
def test_adaptive_pools_against_torch(size):
    x = _values((2, 2, 4, 5, 3), 1)
    check_against_torch(lambda lib, x: fn(lib).adaptive_avg_pool3d(x, size), x)
    check_against_torch(lambda lib, x: fn(lib).adaptive_max_pool3d(x, size), x)
    torch = torch_or_skip()
    ours = F.adaptive_max_pool3d(rustgrad.tensor(x), size, return_indices=True)[1].tolist()
    assert ours == torch.nn.functional.adaptive_max_pool3d(torch.tensor(x), size, return_indices=True)[1].tolist()


def test_unbatched_4d_inputs_against_torch():
    x = _values((2, 3, 4, 5), 2)
    check_against_torch(lambda lib, x: fn(lib).max_pool3d(x, 2, 1, 1), x)
    check_against_torch(lambda lib, x: fn(lib).avg_pool3d(x, (1, 2, 3), 1, count_include_pad=False), x)
    check_against_torch(lambda lib, x: fn(lib).adaptive_avg_pool3d(x, (2, 2, 3)), x)
    check_against_torch(lambda lib, x: fn(lib).adaptive_max_pool3d(x, (3, 1, 2)), x)


def test_gradients_by_finite_differences():
    x = np.random.default_rng(3).uniform(-1, 1, size=(1, 2, 3, 4, 3))
    check_grads(lambda x: F.avg_pool3d(x, 2, 1, 1, ceil_mode=True, count_include_pad=False), x)
    check_grads(lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2)), x)
    x = _values((1, 2, 3, 4, 3), 4)
    check_grads(lambda x: F.max_pool3d(x, 2, 1, 1, dilation=(1, 2, 1)), x)
    check_grads(lambda x: F.adaptive_max_pool3d(x, (2, 3, 2)), x)


def test_gradcheck_and_double_backward():
    x = rustgrad.tensor(np.random.default_rng(5).uniform(-1, 1, size=(1, 2, 3, 4, 3)), requires_grad=True)
    for f in (lambda x: F.avg_pool3d(x, 2, 1, 1, divisor_override=3), lambda x: F.adaptive_avg_pool3d(x, (2, 3, 2))):
        assert rustgrad.autograd.gradcheck(f, (x,))
        assert rustgrad.autograd.gradgradcheck(f, (x,))
    xd = rustgrad.tensor(_values((1, 2, 3, 4, 3), 6), requires_grad=True)
    for f in (lambda x: F.max_pool3d(x, 2, 1), lambda x: F.adaptive_max_pool3d(x, 2)):
        assert rustgrad.autograd.gradcheck(f, (xd,))
        assert rustgrad.autograd.gradgradcheck(f, (xd,))


def test_grad_fn_names_match_torch():
    torch = torch_or_skip()
    calls = [
        lambda lib, x: fn(lib).max_pool3d(x, 2),
        lambda lib, x: fn(lib).avg_pool3d(x, 2),
        lambda lib, x: fn(lib).adaptive_avg_pool3d(x, 2),
        lambda lib, x: fn(lib).adaptive_max_pool3d(x, 2),
    ]
    for call in calls:
        names = []
        for lib in (rustgrad, torch):
            x = lib.ones(1, 1, 3, 3, 3, dtype=lib.float64, requires_grad=True)
            y = call(lib, x)
            go = lib.ones_like(y, requires_grad=True)
            (g,) = lib.autograd.grad(y, x, go, create_graph=True)
            names.append((y.grad_fn.name(), g.grad_fn.name()))
        assert names[0] == names[1]
    # An all-ones adaptive average is a mean, as in PyTorch.
    names = [fn(lib).adaptive_avg_pool3d(lib.ones(1, 1, 3, 3, 3, requires_grad=True), 1).grad_fn.name() for lib in (rustgrad, torch)]
    assert names[0] == names[1] == "MeanBackward1"


def test_integer_max_pool3d_matches_torch():
    torch = torch_or_skip()
    x = np.arange(60).reshape(1, 3, 4, 5) * 7 % 23
    ours = F.max_pool3d(rustgrad.tensor(x), 2, 1, return_indices=True)
    theirs = torch.nn.functional.max_pool3d(torch.tensor(x), 2, 1, return_indices=True)
    assert ours[0].dtype == rustgrad.int64
    assert ours[0].tolist() == theirs[0].tolist() and ours[1].tolist() == theirs[1].tolist()


def test_modules_match_torch():
    torch = torch_or_skip()
    x = _values((2, 2, 4, 5, 3), 7)
    cases = [
        ("MaxPool3d", (2,), {}),
        ("MaxPool3d", ((1, 2, 3),), dict(stride=1, padding=(0, 1, 1), dilation=(1, 1, 2), ceil_mode=True)),
        ("AvgPool3d", (2,), {}),
        ("AvgPool3d", ((2, 1, 2),), dict(stride=1, padding=(1, 0, 1), ceil_mode=True, count_include_pad=False, divisor_override=3)),
        ("AdaptiveAvgPool3d", (2,), {}),
        ("AdaptiveAvgPool3d", ((2, None, 3),), {}),
        ("AdaptiveMaxPool3d", ((1, 2, 3),), {}),
    ]
    for name, pos, kw in cases:
        ours, theirs = getattr(nn, name)(*pos, **kw), getattr(torch.nn, name)(*pos, **kw)
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(np.array(ours(rustgrad.tensor(x)).tolist()), theirs(torch.tensor(x)).numpy(), rtol=1e-12)
    ours = nn.MaxPool3d(2, return_indices=True)(rustgrad.tensor(x))
    theirs = torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x))
    assert ours[1].tolist() == theirs[1].tolist()
    ours = nn.AdaptiveMaxPool3d(2, return_indices=True)
    assert repr(ours) == repr(torch.nn.AdaptiveMaxPool3d(2, return_indices=True))
    assert ours(rustgrad.tensor(x))[1].tolist() == torch.nn.AdaptiveMaxPool3d(2, return_indices=True)(torch.tensor(x))[1].tolist()


@pytest.mark.parametrize("call", [
    lambda lib: fn(lib).max_pool3d(lib.ones(3, 4, 5), 2),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 1, 1, 1, 1), 2),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), 2, padding=2),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), 2, padding=-1),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), (2, 3, 2), padding=(1, 1, 2), dilation=3),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), 0),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), (0, 2, 2), stride=1),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), 2, stride=0),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), 2, dilation=0),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5), (2, 2)),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 0, 2, 2), 2),
    lambda lib: fn(lib).max_pool3d(lib.ones(1, 2, 3, 4, 5, dtype=lib.bool), 2),
    lambda lib: fn(lib).avg_pool3d(lib.ones(3, 4, 5), 2),
    lambda lib: fn(lib).avg_pool3d(lib.ones(1, 1, 1, 1, 1), 2),
    lambda lib: fn(lib).avg_pool3d(lib.ones(1, 1, 1, 4, 4), 2, padding=1),
    lambda lib: fn(lib).avg_pool3d(lib.ones(1, 2, 3, 4, 5), 2, padding=2),
    lambda lib: fn(lib).avg_pool3d(lib.ones(1, 2, 3, 4, 5), 2, divisor_override=0),
    lambda lib: fn(lib).avg_pool3d(lib.ones(1, 2, 3, 4, 5), (0, 2, 2), stride=1),
    lambda lib: fn(lib).avg_pool3d(lib.ones(2, 0, 2, 2), 2),
    lambda lib: fn(lib).adaptive_avg_pool3d(lib.ones(1, 2, 3, 4, 5), (2, 2)),
    lambda lib: fn(lib).adaptive_avg_pool3d(lib.ones(1, 2, 0, 2, 2), 2),
    lambda lib: fn(lib).adaptive_avg_pool3d(lib.ones(1, 2, 2, 2, 2, dtype=lib.int64), 2),
    lambda lib: fn(lib).adaptive_max_pool3d(lib.ones(3, 4, 5), 2),
    lambda lib: fn(lib).adaptive_max_pool3d(lib.ones(1, 2, 3, 4, 5), (2, 2)),
    lambda lib: fn(lib).adaptive_max_pool3d(lib.ones(1, 0, 2, 2, 2), 2),
    lambda lib: fn(lib).adaptive_max_pool3d(lib.ones(1, 2, 2, 2, 2, dtype=lib.int64), 2),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
