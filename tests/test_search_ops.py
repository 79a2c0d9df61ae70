"""searchsorted / bucketize, bincount, histc and unique: values against numpy, dtypes and errors
against PyTorch (torch 2.13)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, torch_or_skip
from _strategies import arrays, shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=15, deadline=None)


@EXAMPLES
@given(st.sampled_from(["float64", "float32", "int64"]), st.integers(1, 8), shapes(min_dims=0, max_dims=2), st.booleans(), st.data())
def test_searchsorted_and_bucketize_match_numpy(dtype, n, vshape, right, data):
    seq = np.sort(data.draw(arrays(dtype, (n,), low=-5, high=5)))
    v, tv = data.draw(tensors(dtype, vshape, low=-6, high=6))
    side = "right" if right else "left"
    want = np.searchsorted(seq, v, side=side)
    got = rustgrad.searchsorted(rustgrad.tensor(seq), tv, right=right)
    assert got.dtype == rustgrad.int64 and tuple(got.shape) == want.shape
    np.testing.assert_array_equal(to_numpy(got), want)
    np.testing.assert_array_equal(to_numpy(rustgrad.searchsorted(rustgrad.tensor(seq), tv, side=side)), want)
    np.testing.assert_array_equal(to_numpy(rustgrad.bucketize(tv, rustgrad.tensor(seq), right=right)), want)
    assert rustgrad.bucketize(tv, rustgrad.tensor(seq), out_int32=True).dtype == rustgrad.int32


def test_searchsorted_batched_scalar_and_nan_against_torch():
    torch = torch_or_skip()
    cases = [
        lambda lib: lib.searchsorted(lib.tensor([[1, 3], [2, 4]]), lib.tensor([[2], [3]])),
        lambda lib: lib.searchsorted(lib.tensor([1.0, 3, 5, 7, 9]), 3),
        lambda lib: lib.searchsorted(lib.tensor([1.0, 3, float("nan")]), lib.tensor([float("nan"), 3.0]), right=True),
        lambda lib: lib.searchsorted(lib.tensor([5.0, 1, 3]), lib.tensor([2.0, 4]), sorter=lib.tensor([1, 2, 0])),
        lambda lib: lib.bucketize(lib.tensor([[3.0, 6], [9, 0]]), lib.tensor([1.0, 3, 5, 7, 9])),
        lambda lib: lib.bucketize(3, lib.tensor([1.0, 3, 5, 7, 9])),
    ]
    for make in cases:
        assert str(make(rustgrad)) == str(make(torch)).replace("torch.", "rustgrad.")
    # equal values: the widened range (v - 1, v + 1) and PyTorch's bin formula, edge rounding included
    for v in (0.3, -4.16886627e-273, 2.5, 1e10, -7.1):
        for bins in range(1, 8):
            for dtype in ("float32", "float64"):
                ours = rustgrad.histc(rustgrad.tensor([v, v], dtype=getattr(rustgrad, dtype)), bins=bins)
                theirs = torch.histc(torch.tensor([v, v], dtype=getattr(torch, dtype)), bins=bins)
                assert ours.tolist() == theirs.tolist(), (v, bins, dtype)


@pytest.mark.parametrize("call", [
    lambda lib: lib.searchsorted(lib.tensor([[1, 3], [2, 4]]), lib.tensor([2, 3])),
    lambda lib: lib.searchsorted(lib.tensor([1.0, 3]), lib.tensor([3.0]), side="left", right=True),
    lambda lib: lib.searchsorted(lib.tensor([1.0, 3]), lib.tensor([3.0]), side="foo"),
    lambda lib: lib.bucketize(lib.tensor([3.0]), lib.ones(2, 2)),
])
def test_search_errors_match_torch(call):
    assert_same_error_as_torch(call)


@EXAMPLES
@given(st.lists(st.integers(0, 6), max_size=12), st.integers(0, 9), st.sampled_from([None, "float32", "float64", "int64"]), st.data())
def test_bincount_matches_numpy(values, minlength, wdtype, data):
    a = np.array(values, dtype=np.int64)
    w = None if wdtype is None else data.draw(arrays(wdtype, a.shape, low=-3, high=3))
    got = rustgrad.bincount(rustgrad.tensor(a), None if w is None else rustgrad.tensor(w), minlength=minlength)
    want = np.bincount(a, weights=w, minlength=minlength)
    np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6)
    expected_dtype = {None: rustgrad.int64, "float32": rustgrad.float32}.get(wdtype, rustgrad.float64)
    assert got.dtype == expected_dtype


@pytest.mark.parametrize("call", [
    lambda lib: lib.bincount(lib.tensor([0, -2])),
    lambda lib: lib.bincount(lib.tensor([0.0, 2])),
    lambda lib: lib.bincount(lib.tensor([[0, 2]])),
    lambda lib: lib.bincount(lib.tensor([0, 2]), minlength=-1),
    lambda lib: lib.bincount(lib.tensor([0, 2]), weights=lib.ones(3)),
])
def test_bincount_errors_match_torch(call):
    assert_same_error_as_torch(call)


@EXAMPLES
@given(st.sampled_from(["float64", "float32"]), shapes(min_dims=1, max_dims=2), st.integers(1, 7), st.data())
def test_histc_matches_numpy(dtype, shape, bins, data):
    a, t = data.draw(tensors(dtype, shape, low=-4, high=4))
    lo, hi = data.draw(st.sampled_from([(0, 0), (-2, 2), (-4, 4)]))
    got = rustgrad.histc(t, bins=bins, min=lo, max=hi)
    rng = (a.min(), a.max()) if lo == hi else (lo, hi)
    degenerate = rng[0] == rng[1]
    if degenerate:
        rng = (rng[0] - 1, rng[1] + 1)
    want, _ = np.histogram(a, bins=bins, range=rng)
    assert got.dtype == t.dtype
    # Values on a bin edge may land differently in float32 rounding; totals always agree.
    assert float(got.sum()) == want.sum()
    if dtype == "float64" and not degenerate:
        # PyTorch's bin of x is floor((x - lo) * bins / (hi - lo)) (the last bin takes x == hi); numpy
        # rounds its edges instead, so values within rounding of an edge (-1e-115 in [-2, 2]) differ
        inside = a[(a >= rng[0]) & (a <= rng[1])]
        pos = np.minimum(((inside - rng[0]) * bins / (rng[1] - rng[0])).astype(np.int64), bins - 1)
        np.testing.assert_array_equal(to_numpy(got), np.bincount(pos, minlength=bins))
    elif degenerate:
        # all values equal: PyTorch widens the range to (v - 1, v + 1); its bin formula puts every
        # value in one bin near the middle (which one is checked against torch below), where
        # numpy's rounded edges may pick another
        counts = to_numpy(got)
        assert int((counts > 0).sum()) == 1 and counts.max() == a.size


def test_histc_against_torch():
    torch = torch_or_skip()
    for make in (lambda lib: lib.histc(lib.tensor([1.0, 2, 1]), bins=4, min=0, max=3),
                 lambda lib: lib.tensor([1.0, 1, 1]).histc(bins=3),
                 lambda lib: lib.histc(lib.tensor([1.0, 2], dtype=lib.float64), bins=3)):
        assert str(make(rustgrad)) == str(make(torch)).replace("torch.", "rustgrad.")


@pytest.mark.parametrize("call", [
    lambda lib: lib.histc(lib.tensor([1, 2, 1]), bins=3),
    lambda lib: lib.histc(lib.tensor([1.0, 2]), bins=0),
    lambda lib: lib.histc(lib.tensor([1.0, 2]), bins=3, min=3, max=1),
])
def test_histc_errors_match_torch(call):
    assert_same_error_as_torch(call)


@EXAMPLES
@given(st.sampled_from(["float64", "int64", "bool", "int32"]), shapes(min_dims=0, max_dims=3), st.data())
def test_unique_matches_numpy(dtype, shape, data):
    a, t = data.draw(tensors(dtype, shape, low=-3, high=3))
    values, inverse, counts = rustgrad.unique(t, return_inverse=True, return_counts=True)
    u, inv, c = np.unique(a, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(to_numpy(values), u)
    np.testing.assert_array_equal(to_numpy(inverse), inv.reshape(a.shape))
    np.testing.assert_array_equal(to_numpy(counts), c)
    assert values.dtype == t.dtype and inverse.dtype == rustgrad.int64


def test_unique_against_torch():
    torch = torch_or_skip()
    for make in (lambda lib: lib.unique(lib.tensor([3, 1, 2, 3, 1])),
                 lambda lib: lib.unique(lib.tensor([3, 1, 2, 3, 1]), return_inverse=True, return_counts=True),
                 lambda lib: lib.tensor([3, 1, 2, 3, 1]).unique(sorted=False),
                 lambda lib: lib.unique(lib.tensor([[3.0, 1], [2, 3]]), return_inverse=True),
                 lambda lib: lib.unique(lib.tensor([3.0, 1, float("nan"), float("nan")]))):
        assert str(make(rustgrad)) == str(make(torch)).replace("torch.", "rustgrad.")


# ----- unique(dim=...) -----
def _unique_slices_numpy(a, dim):
    """numpy's unique along an axis (lexicographically sorted slices), with inverse and counts."""
    u, inv, c = np.unique(a, axis=dim, return_inverse=True, return_counts=True)
    return u, inv.reshape(-1), c


@EXAMPLES
@given(st.sampled_from(["float64", "float32", "int64", "bool"]), shapes(min_dims=1, max_dims=3), st.data())
def test_unique_dim_matches_numpy(dtype, shape, data):
    # few distinct values, so that equal slices occur
    a, t = data.draw(tensors(dtype, shape, low=-1, high=1))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values, inverse, counts = rustgrad.unique(t, dim=dim, return_inverse=True, return_counts=True)
    u, inv, c = _unique_slices_numpy(a, dim)
    np.testing.assert_array_equal(to_numpy(values), u)
    np.testing.assert_array_equal(to_numpy(inverse), inv)
    np.testing.assert_array_equal(to_numpy(counts), c)
    assert values.dtype == t.dtype and inverse.dtype == counts.dtype == rustgrad.int64
    np.testing.assert_array_equal(to_numpy(t.unique(dim=dim)), u)


def test_unique_dim_against_torch():
    torch = torch_or_skip()
    x = [[[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]], [[0, 0, 1, 1], [0, 0, 1, 1], [1, 1, 1, 1]],
         [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1]]]
    for make in (lambda lib: lib.unique(lib.tensor(x), dim=0),
                 lambda lib: lib.unique(lib.tensor(x), dim=1, return_inverse=True),
                 lambda lib: lib.unique(lib.tensor(x), dim=2, return_counts=True),
                 lambda lib: lib.tensor(x).unique(sorted=False, return_inverse=True, return_counts=True, dim=-1),
                 lambda lib: lib.unique(lib.tensor([[1.0, float("nan")], [1.0, float("nan")], [0.5, 2.0]]), dim=0),
                 lambda lib: lib.unique(lib.tensor([[True, False], [False, True], [True, False]]), dim=0),
                 lambda lib: lib.unique(lib.empty(0, 3), dim=0, return_inverse=True, return_counts=True),
                 lambda lib: lib.unique(lib.empty(3, 0), dim=1)):
        assert str(make(rustgrad)) == str(make(torch)).replace("torch.", "rustgrad.")
    for dim in (0, 1, 2):
        ours, theirs = rustgrad.unique(rustgrad.tensor(x), dim=dim), torch.unique(torch.tensor(x), dim=dim)
        assert ours.stride() == theirs.stride() and ours.is_contiguous() == theirs.is_contiguous()
    # not differentiable: the node is recorded and refuses the backward pass, as PyTorch's
    for lib in (rustgrad, torch):
        y = lib.unique(lib.tensor([[1.0, 2.0], [1.0, 2.0]], requires_grad=True), dim=0)
        assert y.requires_grad and y.grad_fn.name() == "UniqueDimBackward0"
        with pytest.raises(NotImplementedError, match=r"^the derivative for 'unique_dim' is not implemented\.$"):
            y.sum().backward()


@pytest.mark.parametrize("call", [
    lambda lib: lib.unique(lib.ones(2, 3), dim=2),
    lambda lib: lib.unique(lib.ones(2, 3), dim=-3),
    lambda lib: lib.unique(lib.tensor(1.0), dim=0),
    lambda lib: lib.unique(lib.empty(0, 3), dim=1),
    lambda lib: lib.unique(lib.empty(3, 0), dim=0),
    lambda lib: lib.unique(lib.empty(0, 0), dim=0),
    lambda lib: lib.unique(lib.ones(2, 3), dim=1.5),
    lambda lib: lib.ones(2, 3).unique(dim=True),
    lambda lib: lib.unique("a", dim=0),
    lambda lib: lib.unique("a"),
    lambda lib: lib.unique(lib.ones(2, 3), "a"),
    lambda lib: lib.unique(lib.ones(2, 3), True, lib.ones(2)),
    lambda lib: lib.unique(lib.ones(2, 3), True, True, None),
    lambda lib: lib.ones(2, 3).unique(0),
])
def test_unique_errors_match_torch(call):
    assert_same_error_as_torch(call)
