"""movedim / unflatten / broadcast_to / sum_to_size, the *stack / *split / atleast_*d families, rot90,
take_along_dim, block_diag, cartesian_prod, combinations, tril/triu_indices and vander: values against
numpy, gradients by finite differences (float64) and against PyTorch, grad_fn names, dtypes and errors
against PyTorch (torch 2.13)."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=12, deadline=None)
FEW = settings(max_examples=4, deadline=None)


def _rt(a):
    return rustgrad.tensor(np.asarray(a).tolist(), dtype=rustgrad.float64)


# ----- movedim / swapdims / unflatten / broadcast_to / sum_to_size -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=4), st.data())
def test_movedim_matches_numpy(shape, data):
    a, t = data.draw(tensors("float64", shape))
    n = len(shape)
    k = data.draw(st.integers(1, n))
    src = data.draw(st.permutations(range(n)))[:k]
    dst = data.draw(st.permutations(range(-n, 0)))[:k]
    got = rustgrad.movedim(t, src, dst)
    np.testing.assert_array_equal(to_numpy(got), np.moveaxis(a, src, dst))
    np.testing.assert_array_equal(to_numpy(t.moveaxis(src[0], dst[0])), np.moveaxis(a, src[0], dst[0]))
    assert got.grad_fn is None and (got._base is not None or t._base is not None)


def test_movedim_grads_and_names():
    a = np.random.default_rng(0).standard_normal((2, 3, 4))
    check_grads(lambda x: rustgrad.movedim(x, (0, 1), (2, 0)), a)
    check_against_torch(lambda lib, x: lib.movedim(x, (0, 1), (2, 0)), a)
    check_against_torch(lambda lib, x: x.swapdims(0, 2), a)
    check_against_torch(lambda lib, x: lib.swapdims(x, -1, 1), a)
    check_against_torch(lambda lib, x: x.unflatten(2, (2, -1)), a)
    x = _rt(a).requires_grad_()
    assert type(rustgrad.movedim(x, 0, 1).grad_fn).__name__ == "PermuteBackward0"
    assert type(rustgrad.swapdims(x, 0, 1).grad_fn).__name__ == "TransposeBackward0"
    assert type(x.unflatten(1, (3, 1)).grad_fn).__name__ == "ViewBackward0"
    assert type(x.broadcast_to(5, 2, 3, 4).grad_fn).__name__ == "ExpandBackward0"
    assert type(x.sum_to_size(1, 3, 1).grad_fn).__name__ == "SumBackward1"
    assert x.sum_to_size(2, 3, 4) is x


@pytest.mark.parametrize("call", [
    lambda lib: lib.movedim(lib.zeros(2, 3, 4), 0, 5),
    lambda lib: lib.movedim(lib.zeros(2, 3, 4), (0, 1), (1,)),
    lambda lib: lib.movedim(lib.zeros(2, 3, 4), (0, 0), (1, 2)),
    lambda lib: lib.movedim(lib.zeros(2, 3, 4), (0, 1), (1, -2)),
    lambda lib: lib.zeros(2, 3, 4).unflatten(1, (2, 2)),
    lambda lib: lib.zeros(2, 3, 4).unflatten(1, ()),
    lambda lib: lib.zeros(2, 3, 4).unflatten(-4, (3,)),
    lambda lib: lib.zeros(2, 3, 4).unflatten(1, (-1, 2)),
    lambda lib: lib.zeros(4).broadcast_to((3, 5)),
    lambda lib: lib.broadcast_to(lib.zeros(4), 3),
    lambda lib: lib.zeros(2, 3, 4).sum_to_size(2, 1, 4, 5),
    lambda lib: lib.zeros(2, 3, 4).sum_to_size(2, 4),
])
def test_dim_errors_match_torch(call):
    assert_same_error_as_torch(call)


@EXAMPLES
@given(shapes(min_dims=1, max_dims=4), st.data())
def test_sum_to_size_and_broadcast_to(shape, data):
    a, t = data.draw(tensors("float64", shape))
    keep = [data.draw(st.sampled_from([1, s])) for s in shape]
    lead = data.draw(st.integers(0, len(shape)))
    size = keep[lead:]
    expected = a.sum(axis=tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size) if s == 1), keepdims=True)
    got = t.sum_to_size(*size) if size else t.sum_to_size(size)
    np.testing.assert_allclose(to_numpy(got), expected.reshape(size), rtol=1e-12, atol=1e-12)
    assert tuple(got.shape) == tuple(size)
    big = (2, *shape)
    np.testing.assert_array_equal(to_numpy(rustgrad.broadcast_to(t, big)), np.broadcast_to(a, big))
    np.testing.assert_array_equal(to_numpy(t.broadcast_to(big)), np.broadcast_to(a, big))


def test_sum_to_size_grads():
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    check_grads(lambda x: x.sum_to_size(3, 1), a)
    check_against_torch(lambda lib, x: x.sum_to_size((1, 3, 1)), a)
    check_against_torch(lambda lib, x: lib.broadcast_to(x[0], (2, 3, 4)), a)


# ----- stacking -----
@EXAMPLES
@given(shapes(min_dims=0, max_dims=3, max_side=3), st.integers(1, 3), st.data())
def test_stacks_match_numpy(shape, count, data):
    drawn = [data.draw(tensors("float64", shape)) for _ in range(count)]
    arrs, ts = [a for a, _ in drawn], [t for _, t in drawn]
    for name in ("hstack", "vstack", "dstack", "column_stack", "row_stack"):
        ref = getattr(np, "vstack" if name == "row_stack" else name)
        np.testing.assert_array_equal(to_numpy(getattr(rustgrad, name)(ts)), ref(arrs), err_msg=name)
    for name in ("atleast_1d", "atleast_2d", "atleast_3d"):
        got = getattr(rustgrad, name)(ts[0])
        np.testing.assert_array_equal(to_numpy(got), getattr(np, name)(arrs[0]))
        many = getattr(rustgrad, name)(*ts) if count > 1 else getattr(rustgrad, name)(ts)
        assert isinstance(many, tuple) and len(many) == count


def test_stack_grads_and_names():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(4), rng.standard_normal((3, 4))
    for name in ("hstack", "vstack", "dstack", "row_stack"):
        check_against_torch(lambda lib, x, y: getattr(lib, name)([x, x * 2]), a, b)
    check_against_torch(lambda lib, x, y: lib.column_stack([x, y.t()]), a, b)
    check_grads(lambda x, y: rustgrad.vstack([x, y]), a, b)
    check_grads(lambda x, y: rustgrad.column_stack([x, y.t()]), a, b)
    x = _rt(a).requires_grad_()
    assert type(rustgrad.hstack([x, x]).grad_fn).__name__ == "CatBackward0"
    assert type(rustgrad.atleast_3d(x).grad_fn).__name__ == "UnsqueezeBackward0"
    assert rustgrad.atleast_1d(x) is x


@pytest.mark.parametrize("call", [
    lambda lib: lib.hstack([]),
    lambda lib: lib.vstack([]),
    lambda lib: lib.dstack([]),
    lambda lib: lib.column_stack([]),
    lambda lib: lib.hstack(lib.zeros(2)),
    lambda lib: lib.atleast_1d(1),
    lambda lib: lib.hstack([lib.zeros(2), lib.zeros(2, 2)]),
])
def test_stack_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- splitting -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=4, max_side=6), st.data())
def test_splits_match_numpy(shape, data):
    a, t = data.draw(tensors("float64", shape))
    for name, min_dim, axis in (("hsplit", 1, 0 if len(shape) == 1 else 1), ("vsplit", 2, 0), ("dsplit", 3, 2)):
        if len(shape) < min_dim:
            continue
        n = data.draw(st.sampled_from([d for d in range(1, 7) if shape[axis] % d == 0]))
        cuts = sorted(data.draw(st.lists(st.integers(-2, 7), max_size=3)))
        for spec in (n, cuts):
            got = getattr(rustgrad, name)(t, spec)
            want = getattr(np, name)(a, spec)
            assert len(got) == len(want)
            for g, w in zip(got, want):
                np.testing.assert_array_equal(to_numpy(g), w)
            assert [tuple(g.shape) for g in getattr(t, name)(spec)] == [w.shape for w in want]


def test_split_grads_and_errors():
    a = np.random.default_rng(3).standard_normal((2, 4, 4))
    check_against_torch(lambda lib, x: lib.hsplit(x, 2)[1], a)
    check_against_torch(lambda lib, x: x.dsplit([1, 3])[1], a)
    check_grads(lambda x: rustgrad.vsplit(x, [1])[1], a)
    for call in (lambda lib: lib.hsplit(lib.zeros(4), 3), lambda lib: lib.hsplit(lib.tensor(1.0), 1),
                 lambda lib: lib.vsplit(lib.zeros(4), 2), lambda lib: lib.dsplit(lib.zeros(2, 2), 2),
                 lambda lib: lib.hsplit(lib.zeros(2, 4), 0)):
        assert_same_error_as_torch(call)


# ----- rot90 / take_along_dim -----
@EXAMPLES
@given(shapes(min_dims=2, max_dims=4), st.integers(-5, 5), st.data())
def test_rot90_matches_numpy(shape, k, data):
    a, t = data.draw(tensors("float64", shape))
    n = len(shape)
    d0, d1 = data.draw(st.lists(st.integers(-n, n - 1), min_size=2, max_size=2, unique_by=lambda d: d % n))
    np.testing.assert_array_equal(to_numpy(rustgrad.rot90(t, k, (d0, d1))), np.rot90(a, k, (d0, d1)))
    np.testing.assert_array_equal(to_numpy(t.rot90(k, [d0, d1])), np.rot90(a, k, (d0, d1)))


def test_rot90_grads_and_errors():
    a = np.random.default_rng(4).standard_normal((2, 3, 4))
    for k in range(4):
        check_grads(lambda x: rustgrad.rot90(x, k, (2, 0)), a)
        check_against_torch(lambda lib, x: lib.rot90(x, k, (1, -1)), a)
    x = _rt(a)
    assert rustgrad.rot90(x, 4)._base is None  # a copy, as PyTorch's
    for call in (lambda lib: lib.rot90(lib.zeros(2, 3, 4), 1, (0, -3)), lambda lib: lib.rot90(lib.zeros(4)),
                 lambda lib: lib.rot90(lib.zeros(2, 3, 4), 1, (0, 1, 2)), lambda lib: lib.rot90(lib.zeros(2, 3), 1, (5, 0)),
                 lambda lib: lib.rot90(lib.zeros(2, 3), 1, (1, 1))):
        assert_same_error_as_torch(call)


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3), st.data())
def test_take_along_dim_matches_numpy(shape, data):
    a, t = data.draw(tensors("float64", shape))
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    idx_shape = [data.draw(st.sampled_from([1, s])) for s in shape]
    idx_shape[dim] = data.draw(st.integers(1, 4))
    idx = np.random.default_rng(len(shape)).integers(0, shape[dim], idx_shape)
    got = rustgrad.take_along_dim(t, rustgrad.tensor(idx.tolist(), dtype=rustgrad.int64), dim)
    np.testing.assert_array_equal(to_numpy(got), np.take_along_axis(a, idx, dim))
    flat = rustgrad.tensor([0, a.size - 1], dtype=rustgrad.int64)
    np.testing.assert_array_equal(to_numpy(rustgrad.take_along_dim(t.contiguous(), flat)), a.reshape(-1)[[0, -1]])


def test_take_along_dim_grads_and_errors():
    a = np.random.default_rng(5).standard_normal((3, 4))
    idx = [[0, 3, 3], [1, 1, 2], [2, 0, 0]]
    check_grads(lambda x: x.take_along_dim(rustgrad.tensor(idx), 1), a)
    check_against_torch(lambda lib, x: lib.take_along_dim(x, lib.tensor([[1], [0], [2], [2]]).t(), 0), a)
    check_against_torch(lambda lib, x: lib.take_along_dim(x, lib.tensor([11, 0, 11])), a)
    check_against_torch(lambda lib, x: lib.take_along_dim(x, lib.tensor([3, 1], dtype=lib.int32)), a)
    x = _rt(a).requires_grad_()
    assert type(rustgrad.take_along_dim(x, rustgrad.tensor([[0]]), 1).grad_fn).__name__ == "GatherBackward0"
    for call in (lambda lib: lib.take_along_dim(lib.zeros(2, 3), lib.tensor([0]), 0),
                 lambda lib: lib.take_along_dim(lib.zeros(2, 3), lib.tensor([[0.0]]), 0),
                 lambda lib: lib.take_along_dim(lib.zeros(2, 3), lib.tensor([[0]]), 2),
                 lambda lib: lib.take_along_dim(lib.zeros(2, 3), lib.zeros(3, 1, dtype=lib.int64), 1),
                 lambda lib: lib.take_along_dim(lib.zeros(2, 3), lib.tensor([0.0]))):
        assert_same_error_as_torch(call)


# ----- block_diag / cartesian_prod / combinations / tril_indices / vander -----
def test_block_diag_values_dtypes_grads():
    torch = torch_or_skip()
    rng = np.random.default_rng(6)
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal(4), rng.standard_normal(())
    check_grads(lambda x, y, z: rustgrad.block_diag(x, y, z), a, b, c)
    check_against_torch(lambda lib, x, y, z: lib.block_diag(x, y, z, x), a, b, c)
    for lib_args in ([(np.int64, (2,)), (np.float32, (1, 1))], [(np.int32, ()), (np.int64, (2, 2))], [(np.float32, (0, 3))]):
        ours = rustgrad.block_diag(*[rustgrad.from_numpy(np.ones(s, dtype=d)) for d, s in lib_args])
        theirs = torch.block_diag(*[torch.from_numpy(np.ones(s, dtype=d)) for d, s in lib_args])
        assert str(ours.dtype)[9:] == str(theirs.dtype)[6:]
        np.testing.assert_array_equal(to_numpy(ours), theirs.numpy())
    assert tuple(rustgrad.block_diag().shape) == (1, 0)
    assert_same_error_as_torch(lambda lib: lib.block_diag(lib.zeros(1, 1, 1)))


def test_cartesian_prod_and_combinations():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal(3), rng.standard_normal(2)
    got = rustgrad.cartesian_prod(_rt(a), _rt(b), _rt(a))
    np.testing.assert_array_equal(to_numpy(got), np.array(list(itertools.product(a, b, a))))
    check_against_torch(lambda lib, x, y: lib.cartesian_prod(x, y), a, b)
    assert tuple(rustgrad.cartesian_prod(_rt(a), rustgrad.zeros(0, dtype=rustgrad.float64)).shape) == (0, 2)
    check_grads(lambda x, y: rustgrad.cartesian_prod(x, y), a, b)
    v = rng.standard_normal(4)
    for r in range(0, 6):
        for repl in (False, True):
            fn = itertools.combinations_with_replacement if repl else itertools.combinations
            want = np.array(list(fn(v, r))).reshape(-1, r) if r else np.zeros(0)
            np.testing.assert_array_equal(to_numpy(rustgrad.combinations(_rt(v), r, repl)), want)
    check_against_torch(lambda lib, x: lib.combinations(x, 3, with_replacement=True), v)
    check_grads(lambda x: rustgrad.combinations(x), v)
    assert rustgrad.combinations(rustgrad.tensor([1, 2, 3]), 0).dtype == rustgrad.int64
    x = _rt(v).requires_grad_()
    assert type(rustgrad.combinations(x).grad_fn).__name__ == "StackBackward0"
    assert rustgrad.cartesian_prod(x) is x
    for call in (lambda lib: lib.cartesian_prod(lib.zeros(2, 2)), lambda lib: lib.cartesian_prod(),
                 lambda lib: lib.combinations(lib.zeros(2, 2)), lambda lib: lib.combinations(lib.zeros(2), -1)):
        assert_same_error_as_torch(call)


@EXAMPLES
@given(st.integers(0, 6), st.integers(0, 6), st.integers(-7, 7))
def test_tri_indices_match_numpy(row, col, offset):
    for name, ref in (("tril_indices", np.tril_indices), ("triu_indices", np.triu_indices)):
        got = getattr(rustgrad, name)(row, col, offset)
        assert got.dtype == rustgrad.int64 and tuple(got.shape)[0] == 2
        np.testing.assert_array_equal(to_numpy(got), np.stack(ref(row, offset, col)).reshape(2, -1))
    assert rustgrad.tril_indices(row, col, offset, dtype=rustgrad.int32).dtype == rustgrad.int32


def test_tri_indices_errors():
    for call in (lambda lib: lib.tril_indices(-1, 3), lambda lib: lib.triu_indices(3, -3),
                 lambda lib: lib.tril_indices(3, 3, dtype=lib.float32)):
        assert_same_error_as_torch(call)


@EXAMPLES
@given(st.integers(1, 5), st.one_of(st.none(), st.integers(0, 6)), st.booleans(), st.data())
def test_vander_matches_numpy(n, N, increasing, data):
    a, t = data.draw(tensors("float64", (n,), low=-3, high=3))
    np.testing.assert_allclose(to_numpy(rustgrad.vander(t, N, increasing)), np.vander(a, N, increasing), rtol=1e-12)
    ints = rustgrad.tensor([1, 2, 3], dtype=rustgrad.int32)
    assert rustgrad.vander(ints).dtype == rustgrad.int64
    assert rustgrad.vander(ints.float()).dtype == rustgrad.float32


def test_vander_backward_fails_as_in_torch():
    # PyTorch's vander rewrites the slice its cumprod saved, so its backward raises; rustgrad's
    # composition is the same and raises too (forward without grad is fine in both).
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = lib.vander(x, 3, increasing=True)
        assert type(y.grad_fn).__name__ == "CopySlices"
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    assert_same_error_as_torch(lambda lib: lib.vander(lib.zeros(2, 2)))
    assert_same_error_as_torch(lambda lib: lib.vander(lib.zeros(2), -1))
