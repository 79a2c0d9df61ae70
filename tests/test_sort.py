"""Ordering ops: sort / argsort / msort, topk, kthvalue, median, cumprod, cummax / cummin
(with rustgrad.return_types), rsub and Tensor.new_full. Values against numpy, gradients by
finite differences and against PyTorch, errors and printing against PyTorch (torch 2.13)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip
from _strategies import assert_close, big_shapes, big_tensors, shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=12, deadline=None)
FEW = settings(max_examples=5, deadline=None)
DTYPES = ["float64", "float32", "int64", "bool"]
ORDERED = ["float64", "float32", "int64", "int32"]


@st.composite
def shape_and_dim(draw, min_dims=0, max_side=5):
    shape = draw(shapes(min_dims=min_dims, max_dims=3, min_side=1, max_side=max_side))
    n = max(len(shape), 1)
    return shape, draw(st.integers(-n, n - 1))


def axis_of(a, dim):
    """numpy axis for a PyTorch dim; 0-d arrays are viewed as 1-element vectors."""
    return dim % max(a.ndim, 1)


def as_1d(a):
    return a.reshape(1) if a.ndim == 0 else a


def points_to(values, indices, a, dim):
    """Each index names an element of `a` along `dim` equal to the value beside it (NaN == NaN)."""
    a = as_1d(np.asarray(a))
    v, i = as_1d(to_numpy(values)), as_1d(to_numpy(indices))
    picked = np.take_along_axis(a, i, axis=axis_of(a, dim))
    np.testing.assert_array_equal(picked, v)


def stable_argsort(a, dim, descending):
    a = as_1d(a)
    ax = axis_of(a, dim)
    key = a.astype(np.int64) if a.dtype == np.bool_ else a
    return np.argsort(-key if descending else key, axis=ax, kind="stable")


# ----- values against numpy -----

@EXAMPLES
@given(st.data(), shape_and_dim(), st.sampled_from(DTYPES), st.booleans())
def test_stable_sort_matches_numpy(data, sd, dtype, descending):
    shape, dim = sd
    a, t = data.draw(tensors(dtype, shape, low=-3, high=3))
    r = t.sort(dim, descending, stable=True)
    assert type(r).__name__ == "sort" and r.values is r[0] and r.indices is r[1]
    expected = stable_argsort(np.asarray(a), dim, descending)
    assert_close(r.indices, expected.reshape(shape), dtype="int64")
    sorted_values = np.take_along_axis(as_1d(np.asarray(a)), expected, axis=axis_of(np.asarray(a), dim))
    assert_close(r.values, sorted_values.reshape(shape), dtype=dtype)
    assert_close(t.argsort(dim, descending, stable=True), expected.reshape(shape), dtype="int64")


@EXAMPLES
@given(st.data(), shape_and_dim(), st.sampled_from(DTYPES), st.booleans())
def test_default_sort_values_match_numpy_and_indices_point_to_them(data, sd, dtype, descending):
    shape, dim = sd
    a, t = data.draw(tensors(dtype, shape, low=-2, high=2))
    values, indices = rustgrad.sort(t, dim=dim, descending=descending)
    expected = np.sort(as_1d(np.asarray(a)), axis=axis_of(np.asarray(a), dim), kind="stable")
    if descending:
        expected = np.flip(expected, axis=axis_of(np.asarray(a), dim))
    assert_close(values, expected.reshape(shape), dtype=dtype)
    points_to(values, indices, a, dim)
    assert_close(rustgrad.argsort(t, dim, descending), to_numpy(indices))


def test_nan_sorts_as_the_largest_value():
    a = np.array([[3.0, np.nan, 1.0, -0.0, 0.0, 1.0, np.nan, -2.0]])
    t = rustgrad.tensor(a)
    up = t.sort(stable=True)
    assert_close(up.indices, np.argsort(a, kind="stable"))
    assert_close(up.values, np.sort(a, kind="stable"))
    down = t.sort(descending=True, stable=True)
    assert to_numpy(down.indices).tolist() == [[1, 6, 0, 2, 5, 3, 4, 7]]
    assert rustgrad.topk(t, 1).indices.tolist() == [[1]]
    assert rustgrad.topk(t, 2, largest=False).values.tolist() == [[-2.0, -0.0]]


def test_msort_sorts_the_first_dim():
    a = np.random.default_rng(1).standard_normal((4, 3))
    assert_close(rustgrad.msort(rustgrad.tensor(a)), np.sort(a, axis=0))
    assert_close(rustgrad.tensor(a).t().msort(), np.sort(a.T, axis=0))


@EXAMPLES
@given(st.data(), shape_and_dim(), st.sampled_from(ORDERED), st.booleans(), st.booleans())
def test_topk_matches_a_numpy_sort(data, sd, dtype, largest, is_sorted):
    shape, dim = sd
    a, t = data.draw(tensors(dtype, shape, low=-3, high=3))
    a1 = as_1d(np.asarray(a))
    ax = axis_of(np.asarray(a), dim)
    k = data.draw(st.integers(0, a1.shape[ax]))
    r = t.topk(k, dim, largest, is_sorted)
    assert type(r).__name__ == "topk"
    full = np.sort(a1, axis=ax)
    if largest:
        full = np.flip(full, axis=ax)
    # A 0-d input gives its element back even for k = 0, as in PyTorch.
    expected = np.take(full, range(k if shape else 1), axis=ax)
    values = to_numpy(r.values).reshape(expected.shape if shape else ())
    if not is_sorted:
        values = np.sort(as_1d(values), axis=ax)
        values = np.flip(values, axis=ax) if largest else values
    np.testing.assert_array_equal(as_1d(values), expected)
    points_to(r.values, r.indices, a, dim)


@EXAMPLES
@given(st.data(), shape_and_dim(), st.sampled_from(ORDERED), st.booleans())
def test_kthvalue_and_median_over_a_dim_match_numpy(data, sd, dtype, keepdim):
    shape, dim = sd
    a, t = data.draw(tensors(dtype, shape, low=-3, high=3))
    a1 = as_1d(np.asarray(a))
    ax = axis_of(np.asarray(a), dim)
    n = a1.shape[ax]
    k = data.draw(st.integers(1, n))
    full = np.sort(a1, axis=ax)
    out_shape = tuple(1 if i == ax else s for i, s in enumerate(shape)) if keepdim else tuple(s for i, s in enumerate(shape) if i != ax)
    for r, pos in ((t.kthvalue(k, dim, keepdim), k - 1), (t.median(dim, keepdim), (n - 1) // 2)):
        assert_close(r.values, np.take(full, pos, axis=ax).reshape(out_shape), dtype=dtype)
        assert tuple(r.indices.shape) == out_shape
        idx = to_numpy(r.indices).reshape(np.take(full, pos, axis=ax).shape)
        picked = np.take_along_axis(a1, np.expand_dims(idx, ax), axis=ax)
        np.testing.assert_array_equal(np.squeeze(picked, ax), np.take(full, pos, axis=ax))


@EXAMPLES
@given(st.data(), shapes(min_dims=0, max_dims=3), st.sampled_from(ORDERED))
def test_median_of_all_is_the_lower_middle(data, shape, dtype):
    a, t = data.draw(tensors(dtype, shape, low=-5, high=5))
    flat = np.sort(np.asarray(a).reshape(-1))
    # numpy's median averages the two middles; PyTorch's takes the lower one.
    assert_close(t.median(), np.array(flat[(flat.size - 1) // 2]), dtype=dtype)


def test_median_returns_the_first_nan():
    torch = torch_or_skip()
    a = [[1.0, float("nan"), 2.0, float("nan")], [4.0, 3.0, 2.0, 1.0]]
    r = rustgrad.tensor(a).median(1)
    e = torch.tensor(a).median(1)
    assert r.indices.tolist() == e.indices.tolist() == [1, 2]
    assert np.isnan(r.values.tolist()[0]) and r.values.tolist()[1] == 2.0
    assert np.isnan(rustgrad.tensor(a).median().item())


# ----- cumulative ops -----

@EXAMPLES
@given(st.data(), shape_and_dim(), st.sampled_from(["float64", "float32", "int64", "int32", "bool"]))
def test_cumprod_matches_numpy(data, sd, dtype):
    shape, dim = sd
    a, t = data.draw(tensors(dtype, shape, low=-2, high=2))
    a1 = as_1d(np.asarray(a))
    expected_dtype = dtype if dtype.startswith("float") else "int64"
    expected = np.cumprod(a1.astype(expected_dtype), axis=axis_of(np.asarray(a), dim)).reshape(shape)
    assert_close(t.cumprod(dim), expected, dtype=expected_dtype, rtol=1e-5 if dtype == "float32" else None)
    assert_close(rustgrad.cumprod(t, dim, dtype=rustgrad.float64), np.cumprod(a1.astype("float64"), axis=axis_of(np.asarray(a), dim)).reshape(shape), dtype="float64")


def cum_reference(a, ax, largest):
    """numpy running extremes with PyTorch's index rule: NaN sticks, ties move to the later one."""
    a = np.moveaxis(as_1d(a), ax, -1)
    values, indices = np.empty_like(a), np.zeros(a.shape, dtype=np.int64)
    for pos in np.ndindex(a.shape[:-1]):
        best, at = a[pos][0], 0
        for i, v in enumerate(a[pos]):
            better = v >= best if largest else v <= best
            if v != v or (best == best and better):
                best, at = v, i
            values[pos + (i,)], indices[pos + (i,)] = best, at
    return np.moveaxis(values, -1, ax), np.moveaxis(indices, -1, ax)


@EXAMPLES
@given(st.data(), shape_and_dim(), st.sampled_from(DTYPES), st.booleans())
def test_cummax_cummin_match_a_reference(data, sd, dtype, largest):
    shape, dim = sd
    a, t = data.draw(tensors(dtype, shape, low=-2, high=2))
    r = t.cummax(dim) if largest else rustgrad.cummin(t, dim)
    assert type(r).__name__ == ("cummax" if largest else "cummin")
    values, indices = cum_reference(np.asarray(a), axis_of(np.asarray(a), dim), largest)
    assert_close(r.values, values.reshape(shape), dtype=dtype)
    assert_close(r.indices, indices.reshape(shape), dtype="int64")
    np.testing.assert_array_equal(np.maximum.accumulate(as_1d(np.asarray(a)), axis=axis_of(np.asarray(a), dim)).reshape(shape), to_numpy(t.cummax(dim).values))


def test_cummax_with_nan_and_ties_matches_pytorch():
    torch = torch_or_skip()
    a = [[3.0, 1.0, float("nan"), 1.0], [2.0, 2.0, 0.0, -1.0]]
    for op in ("cummax", "cummin"):
        for dim in (0, 1):
            ours, theirs = getattr(rustgrad.tensor(a), op)(dim), getattr(torch.tensor(a), op)(dim)
            assert ours.indices.tolist() == theirs.indices.tolist()
            np.testing.assert_array_equal(np.array(ours.values.tolist()), np.array(theirs.values.tolist()))


# ----- big inputs: the parallel lane paths -----

@FEW
@given(st.data(), big_shapes(), st.sampled_from(["float32", "int64"]))
def test_big_inputs_take_parallel_paths_and_match_numpy(data, shape, dtype):
    a, t = data.draw(big_tensors(dtype, shape))
    for dim in range(len(shape)):
        assert_close(t.sort(dim, stable=True).indices, np.argsort(a, axis=dim, kind="stable"))
        # float32 accumulates in double and rounds each output (overflowing to inf where it would).
        # int64 products wrap, as numpy's do.
        wide = "float64" if dtype == "float32" else dtype
        with np.errstate(over="ignore"):
            assert_close(t.cumprod(dim), np.cumprod(a.astype(wide), axis=dim).astype(dtype), rtol=1e-6, atol=0)
        r = t.topk(3, dim)
        assert_close(r.values, np.flip(np.sort(a, axis=dim), axis=dim).take(range(3), axis=dim))
        assert_close(t.median(dim).values, np.take(np.sort(a, axis=dim), (a.shape[dim] - 1) // 2, axis=dim))


@pytest.mark.parametrize("largest", [True, False])
def test_topk_of_one_long_lane_matches_numpy(largest):
    # One long lane with a small k: the partial_sort (heap selection) path, with NaNs.
    a = np.random.default_rng(7).integers(-10**6, 10**6, 140_001).astype(np.float32)
    a[[5, 70_000]] = np.nan
    r = rustgrad.tensor(a).topk(9, largest=largest)
    expected = np.sort(a)[::-1][:9] if largest else np.sort(a)[:9]
    np.testing.assert_array_equal(to_numpy(r.values), expected)
    points_to(r.values, r.indices, a, 0)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 1.0, 2.0, -1.0, float("nan"), -0.0]), min_size=1, max_size=300),
    st.integers(1, 300), st.booleans(), st.booleans(), st.sampled_from(["float32", "float64", "int64"]),
)
def test_topk_ties_give_pytorchs_indices(values, k, largest, is_sorted, dtype):
    # PyTorch's CPU topk (TopKImpl.h) runs libstdc++'s partial_sort (k * 64 <= n) or nth_element
    # (+ sort of the first k - 1) on (value, index) pairs comparing values only: rustgrad runs the
    # same algorithms, so tied values (few distinct ones here, NaN and -0.0 too) come out with the
    # same indices, sorted or not. Both paths are drawn: n up to 300, k from 1.
    torch = torch_or_skip()
    k = min(k, len(values))
    if dtype == "int64":
        values = [0 if v != v else int(v) for v in values]
    ours = rustgrad.tensor(values, dtype=getattr(rustgrad, dtype)).topk(k, largest=largest, sorted=is_sorted)
    theirs = torch.tensor(values, dtype=getattr(torch, dtype)).topk(k, largest=largest, sorted=is_sorted)
    assert ours.indices.tolist() == theirs.indices.tolist()
    np.testing.assert_array_equal(to_numpy(ours.values), theirs.values.numpy())


@settings(max_examples=10, deadline=None)
@given(st.integers(2000, 5000), st.integers(1, 70), st.integers(0, 2**31))
def test_topk_ties_in_long_lanes_give_pytorchs_indices(n, k, seed):
    torch = torch_or_skip()
    a = np.random.default_rng(seed).integers(0, 4, (3, n)).astype(np.float32)
    for largest in (True, False):
        ours = rustgrad.tensor(a).topk(k, 1, largest)
        theirs = torch.tensor(a).topk(k, 1, largest)
        assert ours.indices.tolist() == theirs.indices.tolist()


def test_results_do_not_depend_on_the_thread_count():
    a = np.random.default_rng(3).integers(-50, 50, (300, 250)).astype(np.float64)
    t = rustgrad.tensor(a)
    before = rustgrad.get_num_threads()
    try:
        runs = []
        for threads in (1, 2):
            rustgrad.set_num_threads(threads)
            runs.append([x.tolist() for x in (*t.sort(0), *t.topk(7, 1), *t.kthvalue(5, 0), *t.cummax(1), (t * 0.01 + 1).cumprod(0))])
        assert runs[0] == runs[1]
    finally:
        rustgrad.set_num_threads(before)


# ----- gradients -----

def distinct(shape, seed):
    """Values without ties (selection gradients are only defined off ties)."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.37 - 1.0


SELECTIONS = [
    lambda x, d: x.sort(d).values,
    lambda x, d: x.sort(dim=d, descending=True, stable=True).values,
    lambda x, d: x.topk(1, d).values,
    lambda x, d: rustgrad.topk(x, 1, d, largest=False).values,
    lambda x, d: x.kthvalue(1, d).values,
    lambda x, d: x.kthvalue(1, d, keepdim=True).values,
    lambda x, d: x.median(d).values,
    lambda x, d: x.median(d, keepdim=True).values,
    lambda x, d: x.cummax(d).values,
    lambda x, d: x.cummin(d).values,
    lambda x, d: x.cumprod(d),
    lambda x, d: x.msort() if x.dim() else x.sort().values,
    lambda x, d: x.median(),
]


@FEW
@given(shape_and_dim(max_side=4), st.integers(0, 2**16), st.sampled_from(range(len(SELECTIONS))))
def test_gradients_by_finite_differences(sd, seed, which):
    shape, dim = sd
    check_grads(lambda x: SELECTIONS[which](x, dim), distinct(shape, seed))


@pytest.mark.parametrize("which", range(len(SELECTIONS)))
def test_gradients_against_pytorch(which):
    torch_or_skip()
    # Torch's tensor methods have the same names and arguments.
    f = SELECTIONS[which]
    check_against_torch(lambda lib, x: (f(x, 1) if lib is rustgrad else _torch_form(which, x, 1)), distinct((3, 4), which))


def _torch_form(which, x, d):
    torch = torch_or_skip()
    forms = {3: lambda: torch.topk(x, 1, d, largest=False).values}
    return forms[which]() if which in forms else SELECTIONS[which](x, d)


@FEW
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple), st.integers(0, 2**16), st.data())
def test_cumprod_gradient_is_exact_with_zeros(shape, seed, data):
    a = np.random.default_rng(seed).uniform(-2, 2, shape)
    a[np.random.default_rng(seed + 1).random(shape) < 0.35] = 0.0
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    check_grads(lambda x: x.cumprod(dim), a)
    check_against_torch(lambda lib, x: x.cumprod(dim), a)


def test_cumprod_double_backward_with_zeros_matches_pytorch():
    torch = torch_or_skip()
    a = [[2.0, 0.0, 3.0, 0.0, 4.0, 5.0], [0.0, 0.0, 1.0, 2.0, 3.0, 1.0], [1.5, -2.0, 0.5, 1.0, 3.0, 2.0]]
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a, dtype=lib.float64, requires_grad=True)
        w = lib.arange(18, dtype=lib.float64).reshape(3, 6)
        (g,) = lib.autograd.grad((x.cumprod(1) * w).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append((g.tolist(), gg.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_rsub_gradients():
    a, b = np.random.default_rng(5).standard_normal((2, 3, 4))
    check_grads(lambda x, y: rustgrad.rsub(x, y, alpha=2.5), a, b)
    check_grads(lambda x: rustgrad.rsub(x, 3.0, 2), a)
    check_against_torch(lambda lib, x, y: lib.rsub(x, y, alpha=-1.5), a, b)
    check_against_torch(lambda lib, x: lib.rsub(x, 2), a)


# ----- nodes, saved tensors, printing -----

def node(t):
    return type(t.grad_fn).__name__


def test_node_names_and_saved_attributes_match_pytorch():
    torch = torch_or_skip()
    cases = [
        lambda m, x: x.sort().values, lambda m, x: x.sort(stable=True).values, lambda m, x: m.sort(x, stable=False).values,
        lambda m, x: m.sort(x, 0, True).values, lambda m, x: x.msort(), lambda m, x: x.topk(2).values,
        lambda m, x: x.median(), lambda m, x: x.median(-1).values, lambda m, x: x.kthvalue(2, 0, True).values,
        lambda m, x: x.cumprod(1), lambda m, x: x.cummax(0).values, lambda m, x: m.cummin(x, 1).values,
        lambda m, x: m.rsub(x, 2, alpha=3), lambda m, x: m.rsub(x, m.ones(3, 4)),
    ]
    attributes = ["_saved_dim", "_saved_keepdim", "_saved_self_sym_sizes", "_saved_alpha"]
    for case in cases:
        ours = case(rustgrad, rustgrad.tensor(distinct((3, 4), 0), requires_grad=True))
        theirs = case(torch, torch.tensor(distinct((3, 4), 0), requires_grad=True))
        assert node(ours) == node(theirs)
        saved = lambda t: sorted(a for a in dir(t.grad_fn) if a.startswith("_saved"))  # noqa: E731
        assert saved(ours) == saved(theirs)
        for attr in attributes:
            if hasattr(theirs.grad_fn, attr):
                assert getattr(ours.grad_fn, attr) == getattr(theirs.grad_fn, attr), attr
        if hasattr(theirs.grad_fn, "_saved_indices"):
            assert ours.grad_fn._saved_indices.tolist() == theirs.grad_fn._saved_indices.tolist()


def test_second_backward_fails_exactly_where_pytorch_saved_tensors():
    torch = torch_or_skip()
    for case in (lambda x: x.sort().values.sum(), lambda x: x.cumprod(0).sum(), lambda x: (1 - x).sum(),
                 lambda x: x.median(), lambda x: x.cummax(1).values.sum()):
        outcomes = []
        for lib in (rustgrad, torch):
            y = case(lib.tensor(distinct((2, 3), 1), requires_grad=True))
            y.backward(retain_graph=False)
            try:
                y.backward()
                outcomes.append(None)
            except RuntimeError as e:
                outcomes.append(str(e).replace("torch.", "rustgrad."))
        assert outcomes[0] == outcomes[1]


def test_return_types_print_like_pytorch():
    torch = torch_or_skip()
    a = [[3.0, 1.0, 2.0], [0.5, -1.0, 4.0]]
    for f in (lambda m, x: x.sort(1, descending=True), lambda m, x: m.topk(x, 2), lambda m, x: x.median(0),
              lambda m, x: x.kthvalue(1, 1, keepdim=True), lambda m, x: x.cummax(1), lambda m, x: m.cummin(x, 0)):
        ours = repr(f(rustgrad, rustgrad.tensor(a, requires_grad=True)))
        theirs = repr(f(torch, torch.tensor(a, requires_grad=True)))
        assert ours == theirs.replace("torch.", "rustgrad.")
    assert repr(rustgrad.tensor(3.0).sort()) == repr(torch.tensor(3.0).sort()).replace("torch.", "rustgrad.")


# ----- errors, dtypes and edge cases against PyTorch -----

EDGE_CASES = [
    "m.tensor([True, False, True]).sort()", "m.tensor([True, False, True]).argsort()",
    "m.tensor([True, False, True]).topk(2)", "m.tensor([True, False, True]).topk(5)",
    "m.tensor([True, False, True]).median()", "m.tensor([True, False, True]).median(0)",
    "m.tensor([True, False, True]).kthvalue(1)", "m.tensor([True, False, True]).kthvalue(7)",
    "m.tensor([True, False, True]).cumprod(0)", "m.tensor([True, False, True]).cummax(0)",
    "m.tensor([3, 1, 2, 1]).cumprod(0, dtype=m.bool)", "m.tensor([3, 1, 2, 1], dtype=m.int32).cumprod(0)",
    "m.tensor([3, 1, 2, 1]).cumprod(0, dtype=m.float32)", "m.tensor([3., 1, 2]).cumprod(0, dtype=m.int64)",
    "m.tensor(3.).sort()", "m.tensor(3.).topk(1)", "m.tensor(3.).median(0)", "m.tensor(3.).kthvalue(1, 0, keepdim=True)",
    "m.tensor(3.).cumprod(0)", "m.tensor(3.).cummax(0)", "m.tensor(3.).msort()", "m.tensor(3.).median(0, keepdim=True)",
    "m.tensor(3.).topk(2)", "m.tensor(3.).topk(0)", "m.tensor(3.).kthvalue(2)", "m.tensor(3.).sort(1)",
    "m.zeros(2, 4).sort(2)", "m.zeros(2, 4).sort(-3)", "m.zeros(2, 4).topk(5)", "m.zeros(2, 4).topk(-1)",
    "m.zeros(2, 4).topk(2, dim=3)", "m.zeros(2, 4).kthvalue(0)", "m.zeros(2, 4).kthvalue(5)",
    "m.zeros(2, 4).kthvalue(2, 5)", "m.zeros(2, 4).median(5)", "m.zeros(2, 4).cumprod(2)",
    "m.zeros(2, 4).cummax(2)", "m.zeros(2, 4).argsort(2)", "m.zeros(2, 4).cumprod()",
    "m.empty(0).median()", "m.empty(0, dtype=m.int64).median()", "m.empty(0, dtype=m.int32).median()",
    "m.empty(0, 3).median(0)", "m.empty(0, 3).median(1)", "m.empty(0, 3).kthvalue(1, 0)",
    "m.empty(0, 3).kthvalue(1, 1)", "m.empty(0, 3).kthvalue(5, 0)", "m.empty(0, 3).kthvalue(5, 1)",
    "m.empty(0, 3).sort(0)", "m.empty(0, 3).topk(0, 0)", "m.empty(0, 3).topk(1, 0)", "m.empty(2, 0).cumprod(1)",
    "m.empty(2, 0).cummax(1)", "m.empty(2, 0).median(1)", "m.empty(0, 3, dtype=m.bool).median(0)",
    "m.tensor([0., -0., 0., -0.]).sort(stable=True)",
    "m.tensor([[1., 2.], [3., 4.]]).t().sort(1)", "m.tensor([[1., 2.], [3., 4.]]).t().cumprod(1)",
    "m.rsub(m.tensor([3, 1, 2, 1]), 2)", "m.rsub(m.tensor([3, 1, 2, 1]), 2.5)", "m.rsub(m.tensor([True]), True)",
    "m.rsub(m.tensor([True]), m.tensor([True]))", "m.rsub(m.tensor([3, 1]), m.tensor([3, 1]), alpha=2.5)",
    "m.rsub(m.tensor([3., 1]), m.tensor([3, 1]), alpha=2.5)", "m.rsub(2, m.tensor([3, 1]))",
    "m.rsub(m.tensor([1., 2.]), m.tensor([[1.], [2.]]))",
    "m.tensor([1, 2]).new_full((2,), 2.5)", "m.tensor([1, 2]).new_full((2,), 2.5, dtype=m.float64)",
    "m.tensor([1, 2]).new_full([2, 3], True)", "m.tensor([1., 2]).new_full((2,), 1, requires_grad=True)",
    "m.tensor([1, 2]).new_full((2,), 1, requires_grad=True)", "m.tensor([1, 2]).new_full(2, 1)",
    "m.tensor([1, 2]).new_full((), 1)", "m.tensor([1, 2]).new_full((-1,), 1)", "m.tensor([True]).new_full((2,), 2)",
    "m.tensor([1, 2]).new_full((2,), 2**70)", "m.tensor([1, 2], dtype=m.int32).new_full((2,), 2**40)",
    "m.tensor([1., 2]).new_full((1, 2), float('nan'))",
]


def _outcome(m, expr):
    try:
        r = eval(expr)
        return "ok " + repr(r).replace("torch.", "")
    except Exception as e:  # noqa: BLE001 - the exception type and text are what is compared
        return f"{type(e).__name__}: {e}".replace("torch.", "")


@pytest.mark.parametrize("expr", EDGE_CASES)
def test_edge_cases_and_errors_match_pytorch(expr):
    torch = torch_or_skip()
    assert _outcome(rustgrad, expr).replace("rustgrad.", "") == _outcome(torch, expr)


def test_new_full_keeps_the_source_dtype_and_requires_grad():
    src = rustgrad.tensor([1.0, 2.0], dtype=rustgrad.float64)
    t = src.new_full((2, 3), 7, requires_grad=True)
    assert t.dtype == rustgrad.float64 and t.requires_grad and t.is_leaf
    assert t.tolist() == [[7.0] * 3] * 2
    assert src.new_full([0], 1).shape == (0,)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple), st.integers(0, 2**16), st.data(), st.booleans())
def test_cummax_cummin_backward_sums_like_pytorch(shape, seed, data, largest):
    # The fused backward adds each lane's grads into the positions its indices name in lane order,
    # PyTorch's scatter_add order: float32 sums are bit-identical. Few distinct values: many
    # grads land on one position. The incoming grad is a transposed (non-contiguous) tensor.
    torch = torch_or_skip()
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 3, shape).astype(np.float32)
    g = (rng.standard_normal(shape[::-1]) * 10.0 ** rng.integers(-3, 4, shape[::-1])).astype(np.float32)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    grads = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a, requires_grad=True)
        gt = lib.tensor(g).permute(*reversed(range(len(shape))))
        y = x.cummax(dim).values if largest else lib.cummin(x, dim).values
        (gx,) = lib.autograd.grad(y, x, gt)
        grads.append(np.asarray(gx.tolist(), dtype=np.float32))
    np.testing.assert_array_equal(grads[0].view(np.uint32), grads[1].view(np.uint32))


def test_cummax_backward_with_create_graph_stays_differentiable():
    torch = torch_or_skip()
    a = np.array([[1.0, 3.0, 2.0, 3.0], [0.5, 0.1, 0.7, 0.2]])
    out = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a, requires_grad=True)
        w = lib.tensor(a * 2, requires_grad=True)
        (g,) = lib.autograd.grad((x.cummax(1).values * w).sum(), x, create_graph=True)
        (gw,) = lib.autograd.grad((g * g).sum(), w)
        out.append((g.tolist(), gw.tolist(), type(g.grad_fn).__name__))
    assert out[0] == out[1]
