"""Reductions, cumsum and softmax against numpy: `dim` as None, int or tuple (negative allowed),
`keepdim`, dtypes of the result as PyTorch (integer sums are int64, all/any give bool except on
uint8), first-index tie-breaking of max/argmax, NaN propagation, var/std unbiased by default.

Shapes, dims, dtypes and layouts (contiguous, transposed, strided, expanded) are drawn by hypothesis
(tests/_strategies.py). Runs without torch.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import torch_or_skip
from _strategies import (
    DTYPES, FEW, FLOATS, PARITY, assert_close, axis, big_shapes, big_tensors, dims, is_float, make, shapes,
    tensors, to_float,
)


def _sum_dtype(d):
    return d if is_float(d) else "int64"


def _float_tol(a, dtype):
    """Reductions of float32 add rounding errors proportional to the summed magnitudes."""
    if dtype != "float32":
        return {}
    return dict(atol=1e-5 + 2e-6 * float(np.abs(a.astype(np.float64)).sum()))


def _call(method, dim, keepdim, empty=None):
    """t.method() for dim None, else t.method(dim, keepdim=keepdim) (var/std: the 2nd positional is unbiased). (`empty` stands in for None: amax uses ().)"""
    def f(t):
        if dim is None:
            return getattr(t, method)() if empty is None else getattr(t, method)(empty, keepdim=keepdim)
        return getattr(t, method)(dim, keepdim=keepdim)
    return f


def _np_logsumexp(a, ax, keepdims):
    """Stable reference: max + log(sum(exp(x - max))); inputs up to +-100 overflow the naive form in float32."""
    x = a.astype(np.float64)
    m = np.max(x, ax, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), ax, keepdims=True))
    return out if keepdims else np.squeeze(out, ax)


# name -> (numpy reference of (a, axis, keepdims), result dtype of the input dtype, accepted dtypes,
#          kinds of dim accepted (none/int/tuple), value range, what stands in for dim=None)
REDUCTIONS = {
    "sum": (lambda a, ax, k: np.sum(a.astype(np.float64 if is_float(a.dtype.name) else np.int64), ax, keepdims=k),
            _sum_dtype, DTYPES, "none int tuple", (-10, 10), None),
    "mean": (lambda a, ax, k: np.mean(a.astype(np.float64), ax, keepdims=k), lambda d: d, FLOATS, "none int tuple", (-10, 10), None),
    "prod": (lambda a, ax, k: np.prod(a.astype(np.float64 if is_float(a.dtype.name) else np.int64), ax, keepdims=k),
             _sum_dtype, DTYPES, "none int", (-2, 2), None),
    "amax": (lambda a, ax, k: np.amax(a, ax, keepdims=k), lambda d: d, DTYPES, "none int tuple", (-10, 10), ()),
    "amin": (lambda a, ax, k: np.amin(a, ax, keepdims=k), lambda d: d, DTYPES, "none int tuple", (-10, 10), ()),
    "var": (lambda a, ax, k: np.var(a.astype(np.float64), ax, ddof=1, keepdims=k), lambda d: d, FLOATS, "none int tuple", (-10, 10), None),
    "std": (lambda a, ax, k: np.std(a.astype(np.float64), ax, ddof=1, keepdims=k), lambda d: d, FLOATS, "none int tuple", (-10, 10), None),
    "logsumexp": (lambda a, ax, k: _np_logsumexp(a, ax, k), to_float, DTYPES, "int tuple", (-100, 100), None),
    "all": (lambda a, ax, k: np.all(a, ax, keepdims=k), lambda d: "uint8" if d == "uint8" else "bool", DTYPES, "none int", (-1, 1), None),
    "any": (lambda a, ax, k: np.any(a, ax, keepdims=k), lambda d: "uint8" if d == "uint8" else "bool", DTYPES, "none int", (-1, 1), None),
}


@pytest.mark.parametrize("name", list(REDUCTIONS))
@PARITY
@given(data=st.data(), keepdim=st.booleans())
def test_reduction_matches_numpy(name, data, keepdim):
    ref, out_dtype, accepted, kinds, (low, high), empty = REDUCTIONS[name]
    dtype = data.draw(st.sampled_from(accepted))
    shape = data.draw(shapes(min_dims=0 if "none" in kinds else 1, max_dims=4, max_side=3 if name == "prod" else 4))
    a, t = data.draw(tensors(dtype, shape, low, high))
    dim = data.draw(dims(len(shape), none="none" in kinds, tuples="tuple" in kinds))
    keepdim = keepdim and dim is not None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's "Degrees of freedom <= 0" (PyTorch: nan)
        expected = ref(a, axis(dim), keepdim)
    if name in ("all", "any"):
        expected = expected.astype(out_dtype(dtype))
    got = _call(name, dim, keepdim, empty)(t)
    assert_close(got, expected, out_dtype(dtype), **_float_tol(a, dtype))


@pytest.mark.parametrize("correction", [0, 1, 2])
@FEW
@given(data=st.data(), keepdim=st.booleans(), dtype=st.sampled_from(FLOATS))
def test_var_std_correction_and_unbiased(correction, data, keepdim, dtype):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    a, t = data.draw(tensors(dtype, shape))
    dim = data.draw(dims(len(shape), none=False))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        var = np.var(a.astype(np.float64), axis(dim), ddof=correction, keepdims=keepdim)
        # PyTorch divides by max(0, N - correction): N <= correction gives inf (or nan for 0/0).
        n = a.size // max(1, var.size)
        if n - correction <= 0:
            var = np.sum((a.astype(np.float64) - np.mean(a.astype(np.float64), axis(dim), keepdims=True)) ** 2,
                         axis(dim), keepdims=keepdim) / 0.0
    assert_close(t.var(dim, keepdim=keepdim, correction=correction), var, dtype, **_float_tol(a ** 2, dtype))
    assert_close(t.std(dim, keepdim=keepdim, correction=correction), np.sqrt(var), dtype, **_float_tol(a, dtype))
    if correction < 2:
        assert_close(t.var(dim, bool(correction), keepdim), var, dtype, **_float_tol(a ** 2, dtype))


@pytest.mark.parametrize("name", ["max", "min"])
@PARITY
@given(data=st.data(), keepdim=st.booleans())
def test_max_min_with_dim_give_values_and_first_indices(name, data, keepdim):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(shapes(min_dims=1, max_dims=4))
    a, t = data.draw(tensors(dtype, shape, -2, 2))  # narrow range: many ties
    dim = data.draw(dims(len(shape), none=False, tuples=False))
    out = getattr(t, name)(dim, keepdim)
    assert type(out).__name__ == name and out.__class__.__module__ == "rustgrad.return_types"
    values, indices = out
    np_arg = np.argmax if name == "max" else np.argmin  # numpy picks the first extremum, as PyTorch
    expected_idx = np_arg(a, axis=dim, keepdims=keepdim)
    assert_close(values, getattr(np, "amax" if name == "max" else "amin")(a, axis=dim, keepdims=keepdim), dtype)
    assert_close(indices, expected_idx, "int64")
    assert out.values is values and out.indices is indices
    assert_close(getattr(t, name)(), getattr(np, "amax" if name == "max" else "amin")(a), dtype)
    assert_close(getattr(rustgrad, name)(t, dim, keepdim)[0], values.tolist(), dtype)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@PARITY
@given(data=st.data(), keepdim=st.booleans())
def test_argmax_argmin_pick_the_first_extremum(name, data, keepdim):
    dtype = data.draw(st.sampled_from([d for d in DTYPES if d != "bool"]))
    shape = data.draw(shapes(min_dims=0, max_dims=4))
    a, t = data.draw(tensors(dtype, shape, -2, 2))
    dim = data.draw(dims(len(shape), tuples=False))
    if dim is None:
        assert_close(getattr(t, name)(), getattr(np, name)(a), "int64")
        assert_close(getattr(t, name)(None, keepdim), np.reshape(getattr(np, name)(a), (1,) * a.ndim if keepdim else ()), "int64")
    else:
        assert_close(getattr(t, name)(dim, keepdim), getattr(np, name)(a, axis=dim, keepdims=keepdim), "int64")


@PARITY
@given(data=st.data(), dtype=st.sampled_from(FLOATS), name=st.sampled_from(["max", "min"]))
def test_max_min_propagate_nan_and_point_at_it(data, dtype, name):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    a = data.draw(tensors(dtype, shape, layouts=["contiguous"]))[0].copy()
    for i in data.draw(st.lists(st.integers(0, a.size - 1), min_size=1, max_size=3)):
        a.reshape(-1)[i] = np.nan
    t = make(a, data.draw(st.sampled_from(["contiguous", "transposed", "strided"])))
    dim = data.draw(st.integers(-a.ndim, a.ndim - 1))
    values, indices = getattr(t, name)(dim)
    assert_close(values, getattr(np, name)(a, axis=dim), dtype)
    # numpy's argmax/argmin return the first NaN where there is one: PyTorch's indices do too.
    assert_close(indices, getattr(np, "arg" + name)(a, axis=dim), "int64")
    assert_close(getattr(t, "arg" + name)(dim), getattr(np, "arg" + name)(a, axis=dim), "int64")
    assert_close(getattr(t, "a" + name)(dim), getattr(np, name)(a, axis=dim), dtype)
    assert_close(t.sum(dim), np.sum(a, axis=dim), dtype, **_float_tol(np.nan_to_num(a), dtype))


@pytest.mark.parametrize("p", ["fro", 1, 2, 3, float("inf"), 0])
@FEW
@given(data=st.data(), keepdim=st.booleans(), dtype=st.sampled_from(FLOATS))
def test_norm_matches_numpy(p, data, keepdim, dtype):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    a, t = data.draw(tensors(dtype, shape))
    dim = data.draw(dims(len(shape), max_tuple=2))
    keepdim = keepdim and dim is not None
    x = np.abs(a.astype(np.float64))
    ax = axis(dim)
    with np.errstate(all="ignore"):
        if p == "fro" or p == 2:
            expected = np.sqrt(np.sum(x ** 2, ax, keepdims=keepdim))
        elif p == float("inf"):
            expected = np.amax(x, ax, keepdims=keepdim)
        elif p == 0:
            expected = np.sum(x != 0, ax, keepdims=keepdim).astype(np.float64)
        else:
            expected = np.sum(x ** p, ax, keepdims=keepdim) ** (1.0 / p)
    got = t.norm(p) if dim is None else t.norm(p, dim, keepdim)
    assert_close(got, expected, dtype, **_float_tol(x ** (2 if p in ("fro", 2) else 1), dtype))


@PARITY
@given(data=st.data())
def test_cumsum_matches_numpy(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    shape = data.draw(shapes(min_dims=1, max_dims=4))
    a, t = data.draw(tensors(dtype, shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    ref = np.cumsum(a.astype(np.float64 if is_float(dtype) else np.int64), axis=dim)
    assert_close(t.cumsum(dim), ref, _sum_dtype(dtype), **_float_tol(a, dtype))
    assert_close(rustgrad.cumsum(t, dim, dtype=rustgrad.float64), ref.astype(np.float64), "float64")


def _np_log_softmax(a, dim):
    x = a.astype(np.float64)
    m = np.max(x, axis=dim, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=dim, keepdims=True))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@PARITY
@given(data=st.data(), dtype=st.sampled_from(FLOATS), as_float64=st.booleans())
def test_softmax_and_log_softmax_match_numpy(name, data, dtype, as_float64):
    shape = data.draw(shapes(min_dims=1, max_dims=4, max_side=5))
    a, t = data.draw(tensors(dtype, shape, -100, 100))  # exp overflows float32 past 88: must be stable
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    expected = _np_log_softmax(a, dim)
    if name == "softmax":
        expected = np.exp(expected)
    out_dtype = "float64" if as_float64 else dtype
    for got in (
        getattr(t, name)(dim, rustgrad.float64 if as_float64 else None),
        getattr(rustgrad, name)(t, dim, dtype=rustgrad.float64 if as_float64 else None),
        getattr(rustgrad.nn.functional, name)(t, dim=dim, dtype=rustgrad.float64 if as_float64 else None),
    ):
        assert_close(got, expected, out_dtype, atol=1e-5 if out_dtype == "float32" else None)


def test_reduction_semantics_match_torch():
    """The PyTorch-specific expectations above, checked once against torch itself: unbiased var,
    first-index ties, NaN in max/argmax, all/any on uint8, integer sums in int64."""
    torch = torch_or_skip()
    x = torch.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    assert x.var().item() == pytest.approx(np.var(x.numpy(), ddof=1))
    assert x.max(1).indices.tolist() == np.argmax(x.numpy(), 1).tolist() == [1, 0]
    assert x.argmin(1).tolist() == np.argmin(x.numpy(), 1).tolist()
    n = torch.tensor([[1.0, float("nan"), 3.0, float("nan")]])
    assert n.max(1).indices.tolist() == np.argmax(n.numpy(), 1).tolist() == [1]
    assert n.argmin(1).tolist() == np.argmin(n.numpy(), 1).tolist() and np.isnan(n.amin(1).item())
    u = torch.tensor([[1, 0], [2, 3]], dtype=torch.uint8)
    assert u.all().dtype == torch.uint8 and u.any(0).dtype == torch.uint8 and u.int().all().dtype == torch.bool
    assert u.prod().dtype == u.cumsum(0).dtype == torch.tensor([True]).sum().dtype == torch.int64
    assert torch.logsumexp(u, 0).dtype == torch.float32
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "var(): degrees of freedom is <= 0"
        assert torch.tensor([1.0]).var().isnan() and torch.tensor([1.0, 2.0]).var(correction=2).isinf()


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin_refuse_bool_as_pytorch(name):
    with pytest.raises(RuntimeError) as info:
        getattr(rustgrad.tensor([True, False]), name)()
    assert str(info.value) == f"{name}(): does not support bool input"


# ----- past the parallel grain: the rayon-split reductions on non-contiguous layouts -----

@pytest.mark.parametrize("name", ["sum", "mean", "var", "amax", "logsumexp", "all"])
@settings(max_examples=3, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOATS), keepdim=st.booleans())
def test_reduction_past_the_parallel_grain(name, data, dtype, keepdim):
    ref, out_dtype, _, kinds, _, empty = REDUCTIONS[name]
    shape = data.draw(big_shapes())
    a, t = data.draw(big_tensors(dtype, shape, -1.0, 3.0))  # mostly positive: sums do not cancel to 0
    dim = data.draw(dims(len(shape), none="none" in kinds, tuples="tuple" in kinds))
    keepdim = keepdim and dim is not None
    expected = ref(a, axis(dim), keepdim)
    if name == "all":
        expected = expected.astype("bool")
    assert_close(_call(name, dim, keepdim, empty)(t), expected, out_dtype(dtype), **_float_tol(a, dtype))


@settings(max_examples=4, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_argmax_cumsum_softmax_past_the_parallel_grain(data, dtype):
    shape = data.draw(big_shapes())
    a, t = data.draw(big_tensors(dtype, shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    assert_close(t.argmax(dim), np.argmax(a, dim), "int64")
    assert_close(t.argmin(), np.argmin(a), "int64")
    values, indices = t.max(dim)
    assert_close(values, np.max(a, dim), dtype)
    assert_close(indices, np.argmax(a, dim), "int64")
    ref = np.cumsum(a.astype(np.float64), axis=dim)
    assert_close(t.cumsum(dim), ref, dtype, atol=1e-5 + 2e-6 * float(np.abs(a).sum(axis=dim).max()) if dtype == "float32" else None)
    assert_close(t.softmax(dim), np.exp(_np_log_softmax(a, dim)), dtype, atol=1e-6 if dtype == "float32" else None)
    assert_close(t.log_softmax(dim), _np_log_softmax(a, dim), dtype, atol=1e-5 if dtype == "float32" else None)
