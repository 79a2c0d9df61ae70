"""F.interpolate / nn.Upsample on 5-D inputs ('nearest', 'nearest-exact', 'trilinear' with and
without align_corners, by size or scale factor) and 'nearest-exact' on 4-D inputs: values and
gradients against PyTorch, finite differences in float64, grad_fn names and errors."""

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


MODES = [("nearest", None), ("nearest-exact", None), ("trilinear", False), ("trilinear", True)]


@settings(max_examples=20, deadline=None)
@given(mode=st.sampled_from(MODES), size=st.tuples(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6)),
       inp=st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4)), seed=st.integers(0, 999))
def test_5d_by_size_against_torch(mode, size, inp, seed):
    name, align = mode
    check_against_torch(lambda lib, x: fn(lib).interpolate(x, size=size, mode=name, align_corners=align),
                        _values((2, 2, *inp), seed), seed=seed)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("scale", [2, 0.5, (1.5, 2.0, 0.7), 3.3])
def test_5d_by_scale_factor_against_torch(mode, scale):
    name, align = mode
    check_against_torch(lambda lib, x: fn(lib).interpolate(x, scale_factor=scale, mode=name, align_corners=align),
                        _values((1, 2, 3, 4, 5), 1))
    check_against_torch(
        lambda lib, x: fn(lib).interpolate(x, scale_factor=scale, mode=name, align_corners=align, recompute_scale_factor=True),
        _values((1, 2, 3, 4, 5), 2),
    )


@pytest.mark.parametrize("size", [(3, 7), (8, 8), (2, 5)])
def test_4d_nearest_exact_against_torch(size):
    check_against_torch(lambda lib, x: fn(lib).interpolate(x, size=size, mode="nearest-exact"), _values((2, 2, 4, 5), 3))
    check_against_torch(lambda lib, x: fn(lib).interpolate(x, scale_factor=1.7, mode="nearest-exact"), _values((1, 2, 4, 5), 4))


def test_gradients_by_finite_differences_and_double_backward():
    x = _values((1, 2, 2, 3, 2), 5)
    check_grads(lambda x: F.interpolate(x, size=(3, 4, 5), mode="trilinear"), x)
    check_grads(lambda x: F.interpolate(x, size=(3, 4, 5), mode="trilinear", align_corners=True), x)
    check_grads(lambda x: F.interpolate(x, scale_factor=1.5, mode="nearest-exact"), x)
    t = rustgrad.tensor(x, requires_grad=True)
    assert rustgrad.autograd.gradgradcheck(lambda x: F.interpolate(x, size=(3, 4, 5), mode="trilinear"), (t,))
    assert rustgrad.autograd.gradgradcheck(lambda x: F.interpolate(x, size=(3, 4, 1), mode="nearest"), (t,))


@pytest.mark.parametrize("rank,mode", [(5, "nearest"), (5, "nearest-exact"), (5, "trilinear"), (4, "nearest-exact")])
def test_grad_fn_names_match_torch(rank, mode):
    torch = torch_or_skip()
    names = []
    for lib in (rustgrad, torch):
        x = lib.ones(*([1, 1] + [2] * (rank - 2)), dtype=lib.float64, requires_grad=True)
        y = fn(lib).interpolate(x, scale_factor=2, mode=mode)
        go = lib.ones_like(y, requires_grad=True)
        (g,) = lib.autograd.grad(y, x, go, create_graph=True)
        names.append((y.grad_fn.name(), g.grad_fn.name()))
    assert names[0] == names[1]


def test_upsample_module_matches_torch():
    torch = torch_or_skip()
    x = _values((1, 2, 2, 3, 2), 6)
    for kw in (dict(scale_factor=2, mode="trilinear"), dict(size=(3, 3, 3), mode="nearest"),
               dict(scale_factor=(1.0, 2.0, 1.5), mode="nearest-exact"), dict(scale_factor=2, mode="trilinear", align_corners=True)):
        ours, theirs = nn.Upsample(**kw), torch.nn.Upsample(**kw)
        assert repr(ours) == repr(theirs)
        np.testing.assert_allclose(np.array(ours(rustgrad.tensor(x)).tolist()), theirs(torch.tensor(x)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2, 2), scale_factor=2, mode="bilinear"),
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2, 2), scale_factor=2, mode="linear"),
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2), scale_factor=2, mode="trilinear"),
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2, 2), size=(2, 2), mode="trilinear"),
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2, 2), scale_factor=2, mode="nearest", align_corners=True),
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2, 2), size=(0, 2, 2), mode="trilinear"),
    lambda lib: fn(lib).interpolate(lib.ones(1, 1, 2, 2, 2, dtype=lib.int64), scale_factor=2, mode="trilinear"),
    lambda lib: fn(lib).interpolate(lib.ones(2, 3, 2, 2, 2, dtype=lib.int64), scale_factor=2, mode="nearest"),
    lambda lib: fn(lib).interpolate(lib.ones(2, 3, 2, 2, 2, dtype=lib.int64), scale_factor=2, mode="nearest-exact"),
    lambda lib: fn(lib).interpolate(lib.ones(2, 3, 2, 2, dtype=lib.int64), scale_factor=2, mode="nearest-exact"),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
