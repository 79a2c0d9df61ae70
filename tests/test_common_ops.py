"""Common ops PyTorch tutorials use: nonzero / argwhere / count_nonzero, isclose / allclose / equal,
type_as, get/set_default_dtype, clamp with a 0-d tensor bound and a number. Values against numpy,
errors and printing against PyTorch (torch 2.13)."""

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_error, assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import arrays, shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=15, deadline=None)
DTYPES = ["float64", "float32", "int64", "int32", "bool"]


# ----- nonzero / argwhere / count_nonzero -----
@EXAMPLES
@given(st.sampled_from(DTYPES).flatmap(lambda d: shapes(min_dims=0, max_dims=3).flatmap(lambda s: tensors(d, s, low=-2, high=2))))
def test_nonzero_matches_numpy(pair):
    a, t = pair
    expected = np.argwhere(a) if a.ndim else np.zeros((int(a != 0), 0), dtype=np.int64)
    got = rustgrad.nonzero(t)
    assert got.dtype == rustgrad.int64
    assert tuple(got.shape) == expected.shape
    np.testing.assert_array_equal(to_numpy(got), expected)
    np.testing.assert_array_equal(to_numpy(rustgrad.argwhere(t)), expected)
    cols = t.nonzero(as_tuple=True)
    assert isinstance(cols, tuple) and len(cols) == max(a.ndim, 1)
    for got_col, want_col in zip(cols, np.nonzero(a.reshape(-1) if a.ndim == 0 else a)):
        np.testing.assert_array_equal(to_numpy(got_col), want_col)


@EXAMPLES
@given(st.sampled_from(DTYPES).flatmap(lambda d: shapes(min_dims=1, max_dims=3).flatmap(lambda s: tensors(d, s, low=-2, high=2))), st.data())
def test_count_nonzero_matches_numpy(pair, data):
    a, t = pair
    dim = data.draw(st.one_of(st.none(), st.integers(-a.ndim, a.ndim - 1), st.just(tuple(range(a.ndim)))))
    axis = None if dim is None else (tuple(d % a.ndim for d in dim) if isinstance(dim, tuple) else dim % a.ndim)
    got = rustgrad.count_nonzero(t, dim=dim) if dim is not None else t.count_nonzero()
    assert got.dtype == rustgrad.int64
    np.testing.assert_array_equal(to_numpy(got), np.count_nonzero(a, axis=axis))


def test_nonzero_against_torch():
    torch = torch_or_skip()
    for values in ([[0.0, 1.5], [2.0, 0.0]], 3.0, 0.0, [], [[True, False, True]]):
        for lib in (rustgrad, torch):
            pass
        ours, theirs = rustgrad.tensor(values), torch.tensor(values)
        assert str(rustgrad.nonzero(ours)) == str(torch.nonzero(theirs)).replace("torch.", "rustgrad.")
        assert str(ours.nonzero(as_tuple=True)) == str(theirs.nonzero(as_tuple=True)).replace("torch.", "rustgrad.")
        assert str(rustgrad.argwhere(ours)) == str(torch.argwhere(theirs)).replace("torch.", "rustgrad.")
    x = rustgrad.tensor([[0.0, 1.5], [2.0, 0.0]], requires_grad=True)
    assert x.nonzero().grad_fn is None and x.nonzero().requires_grad is False


@pytest.mark.parametrize("call", [
    lambda lib: lib.count_nonzero(lib.ones(2, 3), dim=2),
    lambda lib: lib.count_nonzero(lib.ones(2, 3), dim=(0, 0)),
    lambda lib: lib.count_nonzero(lib.ones(2, 3), dim=1.5),
    lambda lib: lib.count_nonzero(lib.ones(2, 3), dim=True),
    lambda lib: lib.nonzero(3),
    lambda lib: lib.argwhere([1]),
])
def test_nonzero_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- isclose / allclose / equal -----
@EXAMPLES
@given(st.sampled_from(["float64", "float32"]), shapes(min_dims=0, max_dims=3), st.data())
def test_isclose_matches_numpy(dtype, shape, data):
    a = data.draw(arrays(dtype, shape))
    noise = data.draw(arrays(dtype, shape, low=-1e-3, high=1e-3))
    b = (a + noise).astype(dtype)
    rtol = data.draw(st.sampled_from([1e-5, 1e-4, 0.0]))
    atol = data.draw(st.sampled_from([1e-8, 5e-4, 0.0]))
    got = rustgrad.isclose(rustgrad.tensor(a), rustgrad.tensor(b), rtol=rtol, atol=atol)
    expected = np.isclose(a, b, rtol=rtol, atol=atol)
    np.testing.assert_array_equal(to_numpy(got), expected)
    assert rustgrad.allclose(rustgrad.tensor(a), rustgrad.tensor(b), rtol, atol) == bool(np.all(expected))


def test_isclose_nan_inf_broadcast_and_ints():
    nan, inf = float("nan"), float("inf")
    a = rustgrad.tensor([1.0, nan, inf, -inf, 2.0])
    b = rustgrad.tensor([1.0, nan, inf, inf, 2.1])
    assert a.isclose(b).tolist() == [True, False, True, False, False]
    assert a.isclose(b, equal_nan=True).tolist() == [True, True, True, False, False]
    assert rustgrad.isclose(rustgrad.tensor([1.0, 2.0]), rustgrad.tensor([[1.0], [2.0]])).tolist() == [[True, False], [False, True]]
    assert rustgrad.isclose(rustgrad.tensor([1, 2]), rustgrad.tensor([1, 3])).tolist() == [True, False]
    assert rustgrad.isclose(rustgrad.tensor([True]), rustgrad.tensor([False])).tolist() == [False]
    assert rustgrad.allclose(rustgrad.ones(2), rustgrad.ones(2, 2))


def test_equal():
    assert rustgrad.equal(rustgrad.tensor([1.0, 2.0]), rustgrad.tensor([1, 2]))
    assert not rustgrad.equal(rustgrad.tensor([1.0, 2.0]), rustgrad.tensor([1.0, 2.0, 3.0]))
    assert not rustgrad.tensor([1.0, float("nan")]).equal(rustgrad.tensor([1.0, float("nan")]))
    t = rustgrad.arange(6.0).reshape(2, 3)
    assert rustgrad.equal(t.t(), rustgrad.tensor([[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]))


@pytest.mark.parametrize("call", [
    lambda lib: lib.isclose(lib.tensor([1.0, 2]), lib.tensor([1, 2])),
    lambda lib: lib.isclose(lib.tensor([1.0, 2]), lib.tensor([1.0, 2]), rtol=-1),
    lambda lib: lib.isclose(lib.tensor([1.0, 2]), lib.tensor([1.0, 2]), atol=-0.5),
    lambda lib: lib.isclose(lib.tensor([1.0, 2]), lib.tensor([1.0, 2]), rtol=-1e-5),
    lambda lib: lib.isclose(lib.tensor([1.0, 2]), lib.tensor([1.0, 2, 3])),
    lambda lib: lib.allclose(lib.tensor([1.0, 2]), lib.tensor([1.0, 2, 3])),
    lambda lib: lib.isclose(lib.tensor([1.0, 2]), 1.0),
    lambda lib: lib.allclose(lib.tensor([1.0, 2]), 1.0),
    lambda lib: lib.isclose(3, lib.tensor([1.0])),
    lambda lib: lib.isclose(lib.tensor([1.0]), lib.tensor([1.0]), rtol="a"),
    lambda lib: lib.equal(lib.tensor([1.0, 2]), 2),
    lambda lib: lib.equal("a", lib.tensor([1.0])),
    lambda lib: lib.tensor([1.0]).type_as(3),
])
def test_close_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- type_as -----
def test_type_as():
    x = rustgrad.tensor([1.5, 2.5], requires_grad=True)
    y = x.type_as(rustgrad.tensor([1], dtype=rustgrad.float64))
    assert y.dtype == rustgrad.float64 and y.grad_fn.name() == "ToCopyBackward0"
    assert x.type_as(x) is x
    assert x.type_as(rustgrad.tensor([1])).tolist() == [1, 2]
    check_against_torch(lambda lib, a: a.type_as(lib.tensor([1.0], dtype=lib.float32)) * 2, [1.25, -2.5])


# ----- default dtype -----
@pytest.fixture
def float64_default():
    rustgrad.set_default_dtype(rustgrad.float64)
    try:
        yield
    finally:
        rustgrad.set_default_dtype(rustgrad.float32)


def test_default_dtype_is_float32():
    assert rustgrad.get_default_dtype() == rustgrad.float32
    assert rustgrad.tensor(1.5).dtype == rustgrad.float32


def test_set_default_dtype_float64(float64_default):
    assert rustgrad.get_default_dtype() == rustgrad.float64
    for t in (rustgrad.tensor(1.5), rustgrad.zeros(2), rustgrad.ones(2), rustgrad.randn(2), rustgrad.rand(2),
              rustgrad.arange(0.0, 1.0), rustgrad.linspace(0, 1, 3), rustgrad.eye(2), rustgrad.full((2,), 1.5),
              rustgrad.tensor([]), rustgrad.tensor(3).sqrt(), rustgrad.tensor([1, 2]) / 2, rustgrad.tensor([1]) + 1.5,
              rustgrad.Tensor(2), rustgrad.empty(1), rustgrad.nn.Linear(2, 2).weight):
        assert t.dtype == rustgrad.float64
    assert rustgrad.arange(3).dtype == rustgrad.int64
    assert (rustgrad.ones(2, dtype=rustgrad.float32) + rustgrad.tensor(2.0)).dtype == rustgrad.float32
    assert rustgrad.tensor([1, 2]).float().dtype == rustgrad.float32


def test_default_dtype_printing_against_torch(float64_default):
    torch = torch_or_skip()
    torch.set_default_dtype(torch.float64)
    try:
        for make in (lambda lib: lib.tensor([1.0], dtype=lib.float32), lambda lib: lib.tensor([]),
                     lambda lib: lib.tensor([], dtype=lib.float32), lambda lib: lib.tensor([1.5, 2.0]),
                     lambda lib: lib.tensor([1, 2])):
            assert str(make(rustgrad)) == str(make(torch)).replace("torch.", "rustgrad.")
    finally:
        torch.set_default_dtype(torch.float32)


def test_default_dtype_is_process_wide(float64_default):
    seen = []
    thread = threading.Thread(target=lambda: seen.append((rustgrad.get_default_dtype(), rustgrad.zeros(1).dtype)))
    thread.start()
    thread.join()
    assert seen == [(rustgrad.float64, rustgrad.float64)]


@pytest.mark.parametrize("arg", ["int64", "bool", "x", None, 3])
def test_set_default_dtype_errors_match_torch(arg):
    torch = torch_or_skip()
    assert_same_error_as_torch(lambda lib: lib.set_default_dtype(getattr(lib, arg) if arg in ("int64", "bool") else arg))
    assert rustgrad.get_default_dtype() == rustgrad.float32


# ----- clamp with a 0-d tensor bound and a number -----
@pytest.mark.parametrize("make", [
    lambda lib: lib.clamp(lib.arange(5.0), min=lib.tensor(1.0), max=3),
    lambda lib: lib.clamp(lib.arange(5.0), min=1, max=lib.tensor(3.0)),
    lambda lib: lib.clamp(lib.arange(5), min=lib.tensor(1.5), max=3),
    lambda lib: lib.clamp(lib.arange(5), min=lib.tensor(1), max=3.5),
    lambda lib: lib.clamp(lib.arange(5.0), min=lib.tensor(1, dtype=lib.float64), max=3),
    lambda lib: lib.arange(5.0).clip(lib.tensor(1.0), 3),
    lambda lib: lib.arange(5.0).clamp_(lib.tensor(1.0), 3),
    lambda lib: lib.arange(5.0, requires_grad=True).clamp(min=lib.tensor(1.0), max=3),
])
def test_clamp_zero_dim_tensor_and_number_matches_torch(make):
    torch = torch_or_skip()
    assert str(make(rustgrad)) == str(make(torch)).replace("torch.", "rustgrad.")


def test_clamp_zero_dim_tensor_bound_grads():
    check_against_torch(lambda lib, a: lib.clamp(a, min=lib.tensor(-0.5, dtype=lib.float64), max=1), [-1.0, 0.0, 0.5, 2.0])
    x = rustgrad.arange(5.0, requires_grad=True)
    assert rustgrad.clamp(x, min=rustgrad.tensor(1.0), max=3).grad_fn.name() == "ClampBackward1"


@pytest.mark.parametrize("call", [
    lambda lib: lib.clamp(lib.arange(5.0), min=lib.tensor([1.0, 2, 3, 4, 5]), max=3),
    lambda lib: lib.clamp(lib.arange(5.0), min=lib.tensor(1.0, requires_grad=True), max=3),
    lambda lib: lib.arange(5.0).clip(min=lib.tensor([1.0, 2, 3, 4, 5]), max=3),
    lambda lib: lib.arange(5.0).clamp(lib.tensor([1.0, 2, 3, 4, 5]), 3),
    lambda lib: lib.clamp_(lib.arange(5.0), min=lib.tensor([1.0, 2, 3, 4, 5]), max=3),
    lambda lib: lib.clip(lib.arange(5.0), lib.tensor([1.0, 2, 3, 4, 5]), 3),
    lambda lib: lib.clip_(lib.arange(5.0), lib.tensor([1.0, 2, 3, 4, 5]), 3),
    lambda lib: lib.clamp(lib.arange(5.0), "a"),
])
def test_clamp_mixed_bound_errors_match_torch(call):
    assert_same_error_as_torch(call)
