"""diagonal / diag / diag_embed / trace, tensor_split, meshgrid and nn.functional.one_hot: values
against numpy, gradients by finite differences (float64) and against PyTorch, grad_fn names and
errors against PyTorch (torch 2.13)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn.functional as F
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import arrays, shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=12, deadline=None)
FEW = settings(max_examples=5, deadline=None)


# ----- diagonal / diag / diag_embed / trace -----
@EXAMPLES
@given(shapes(min_dims=2, max_dims=4, max_side=5), st.sampled_from(["float64", "int64", "bool"]), st.integers(-4, 4), st.data())
def test_diagonal_matches_numpy(shape, dtype, offset, data):
    a, t = data.draw(tensors(dtype, shape))
    n = len(shape)
    d1, d2 = data.draw(st.lists(st.integers(-n, n - 1), min_size=2, max_size=2, unique_by=lambda d: d % n))
    got = t.diagonal(offset, d1, d2)
    np.testing.assert_array_equal(to_numpy(got), np.diagonal(a, offset, d1 % n, d2 % n))
    np.testing.assert_array_equal(to_numpy(rustgrad.diagonal(t, offset=offset, dim1=d1, dim2=d2)), to_numpy(got))
    assert got._base is not None or t._base is not None  # a view


@EXAMPLES
@given(st.integers(1, 5), st.integers(1, 5), st.integers(-5, 5), st.data())
def test_diag_matches_numpy(n, m, k, data):
    a, t = data.draw(tensors("float64", (n, m)))
    np.testing.assert_array_equal(to_numpy(rustgrad.diag(t, k)), np.diag(a, k))
    v, tv = data.draw(tensors("float64", (n,)))
    np.testing.assert_array_equal(to_numpy(tv.diag(k)), np.diag(v, k))
    assert float(rustgrad.trace(t)) == pytest.approx(np.trace(a))


@FEW
@given(shapes(min_dims=2, max_dims=3, max_side=4), st.integers(-2, 2), st.data())
def test_diag_ops_grads(shape, k, data):
    a = data.draw(arrays("float64", shape))
    check_grads(lambda x: x.diagonal(k, -1, 0), a)
    check_against_torch(lambda lib, x: x.diagonal(k, -1, 0), a)
    check_grads(lambda x: rustgrad.diag_embed(x, k, 0, -1), a)
    check_against_torch(lambda lib, x: lib.diag_embed(x, k, 0, -1), a)
    m = a.reshape(shape[0], -1)
    check_grads(lambda x: rustgrad.diag(x, k), m)
    check_against_torch(lambda lib, x: lib.diag(x, k), m)
    check_grads(lambda x: rustgrad.diag(x, k), m[0])
    check_against_torch(lambda lib, x: lib.diag(x, k), m[0])
    check_grads(rustgrad.trace, m)
    check_against_torch(lambda lib, x: lib.trace(x), m)


def test_diag_nodes_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        v = lib.randn(3, requires_grad=True)
        m = lib.randn(3, 4, requires_grad=True)
        d = lib.diag(v, -1)
        # PyTorch shows negative int64 arguments as their unsigned 64-bit pattern.
        assert d.grad_fn.name() == "DiagEmbedBackward0" and d.grad_fn._saved_offset == 2**64 - 1
        assert (d.grad_fn._saved_dim1, d.grad_fn._saved_dim2) == (2**64 - 2, 2**64 - 1)
        c = lib.diag(m, 1)
        assert c.grad_fn.name() == "DiagonalBackward0_copy" and c._base is None
        assert tuple(c.grad_fn._saved_self_sym_sizes) == (3, 4)
        assert m.diagonal(-1, -1, 0).grad_fn._saved_dim1 == 2**64 - 1
        assert lib.diag_embed(v, 0, -1, 0).grad_fn._saved_dim1 == 2**64 - 1
        y = m.diagonal(1)
        assert y.grad_fn.name() == "DiagonalBackward0" and y._base is m
        g = lib.randn(3, requires_grad=True)
        (gm,) = lib.autograd.grad(y, m, g, create_graph=True)
        assert gm.grad_fn.name() == "DiagonalBackwardBackward0"
        t = m.trace()
        assert t.grad_fn.name() == "TraceBackward0" and tuple(t.grad_fn._saved_self_sym_sizes) == (3, 4)
        t.backward()
        t.backward()  # saves no tensor: a second backward works
    assert str(rustgrad.tensor([[1, 2], [3, 4]], dtype=rustgrad.int32).trace()) == "tensor(5)"
    assert str(rustgrad.diag(rustgrad.ones(3, dtype=rustgrad.int64), 1)) == str(torch.diag(torch.ones(3, dtype=torch.int64), 1))


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, 3).diagonal(0, 0, 0),
    lambda lib: lib.ones(2, 3).diagonal(0, 0, 2),
    lambda lib: lib.diagonal(lib.tensor(1.0)),
    lambda lib: lib.diag(lib.ones(2, 2, 2)),
    lambda lib: lib.diag(lib.tensor(2.0)),
    lambda lib: lib.trace(lib.ones(3)),
    lambda lib: lib.trace(lib.tensor([[True, False], [True, True]])),
    lambda lib: lib.diag_embed(lib.ones(2, 3), 0, 1, 1),
])
def test_diag_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- tensor_split -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=7), st.data())
def test_tensor_split_matches_numpy(shape, data):
    a, t = data.draw(tensors("float64", shape))
    n = len(shape)
    dim = data.draw(st.integers(-n, n - 1))
    spec = data.draw(st.one_of(st.integers(1, 8), st.lists(st.integers(-8, 8), max_size=4)))
    got = rustgrad.tensor_split(t, spec, dim) if data.draw(st.booleans()) else t.tensor_split(spec, dim=dim)
    want = np.array_split(a, spec, axis=dim % n)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(to_numpy(g), w)


def test_tensor_split_against_torch():
    torch = torch_or_skip()
    for spec in (3, [1, 5], (1, 9, 3), [-2, 3], "t3", "t[1, 3]"):
        for lib in (rustgrad, torch):
            pass
        make = (lambda lib: lib.tensor(int(spec[1:]))) if spec == "t3" else (lambda lib: lib.tensor([1, 3])) if spec == "t[1, 3]" else (lambda lib: spec)
        ours = rustgrad.tensor_split(rustgrad.arange(7.0), make(rustgrad))
        theirs = torch.tensor_split(torch.arange(7.0), make(torch))
        assert str(ours).replace("rustgrad.", "torch.") == str(theirs)
    check_against_torch(lambda lib, x: lib.cat(lib.tensor_split(x, 3, dim=1)[::2], dim=1) * 1, np.arange(12.0).reshape(3, 4))
    x = rustgrad.randn(5, requires_grad=True)
    parts = rustgrad.tensor_split(x, 2)
    assert [p.grad_fn.name() for p in parts] == ["SliceBackward0", "SliceBackward0"]
    assert all(p._base is x for p in parts)


@pytest.mark.parametrize("call", [
    lambda lib: lib.tensor_split(lib.arange(7), 0),
    lambda lib: lib.tensor_split(lib.arange(7), -1),
    lambda lib: lib.tensor_split(lib.tensor(1), 2),
    lambda lib: lib.tensor_split(lib.arange(7.0), lib.tensor([1.0])),
    lambda lib: lib.tensor_split(lib.arange(7.0), lib.tensor([[1]])),
    lambda lib: lib.tensor_split(lib.arange(7.0), 2, dim=3),
    lambda lib: lib.tensor_split(lib.arange(7.0), "a"),
    lambda lib: lib.tensor_split(lib.arange(7.0), 2.5),
    lambda lib: lib.tensor_split(lib.arange(7.0), [1.5]),
])
def test_tensor_split_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- meshgrid -----
@EXAMPLES
@given(st.lists(st.integers(0, 4), min_size=1, max_size=3), st.sampled_from(["ij", "xy"]), st.data())
def test_meshgrid_matches_numpy(sizes, indexing, data):
    arrs = [data.draw(arrays("float64", (n,) if n else ())) for n in sizes]
    got = rustgrad.meshgrid(*[rustgrad.tensor(a) for a in arrs], indexing=indexing)
    want = np.meshgrid(*[np.atleast_1d(a) for a in arrs], indexing=indexing)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(to_numpy(g), w)


def test_meshgrid_grads_and_nodes():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])
    for indexing in ("ij", "xy"):
        check_grads(lambda x, y: rustgrad.meshgrid(x, y, indexing=indexing)[0] * rustgrad.meshgrid([x, y], indexing=indexing)[1], a, b)
        check_against_torch(lambda lib, x, y: (lambda g: g[0] * 2 + g[1])(lib.meshgrid(x, y, indexing=indexing)), a, b)
    x = rustgrad.tensor(a, requires_grad=True)
    g = rustgrad.meshgrid(x, rustgrad.tensor(b), indexing="xy")
    assert g[0].grad_fn.name() == "ExpandBackward0"
    assert g[0].grad_fn.next_functions[0][0].name() == "ViewBackward0"


def test_meshgrid_warns_once_without_indexing(monkeypatch):
    from rustgrad import _common_ops

    monkeypatch.setattr(_common_ops, "_meshgrid_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rustgrad.meshgrid(rustgrad.ones(2), rustgrad.ones(3))
        rustgrad.meshgrid(rustgrad.ones(2), rustgrad.ones(3))
        rustgrad.meshgrid(rustgrad.ones(2), rustgrad.ones(3), indexing="ij")
    assert [(w.category, str(w.message)) for w in caught] == [
        (UserWarning, "rustgrad.meshgrid: in an upcoming release, it will be required to pass the indexing argument.")]
    assert [tuple(g.shape) for g in rustgrad.meshgrid(rustgrad.ones(2), rustgrad.ones(3))] == [(2, 3), (2, 3)]


@pytest.mark.parametrize("call", [
    lambda lib: lib.meshgrid(lib.ones(2), lib.ones(3), indexing="foo"),
    lambda lib: lib.meshgrid(lib.ones(2), lib.ones(3, dtype=lib.float64), indexing="ij"),
    lambda lib: lib.meshgrid(indexing="ij"),
])
def test_meshgrid_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- one_hot -----
@EXAMPLES
@given(shapes(min_dims=0, max_dims=3), st.data())
def test_one_hot_matches_numpy(shape, data):
    a = data.draw(arrays("int64", shape, low=0, high=5))
    extra = data.draw(st.sampled_from([-1, 0, 2]))
    num_classes = -1 if extra == -1 else int(a.max()) + 1 + extra
    got = F.one_hot(rustgrad.tensor(a), num_classes)
    n = int(a.max()) + 1 if num_classes == -1 else num_classes
    assert got.dtype == rustgrad.int64
    np.testing.assert_array_equal(to_numpy(got), np.eye(n, dtype=np.int64)[a])


@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.one_hot(lib.tensor([0.0, 2])),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([0, -2])),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([0, 5]), 3),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([], dtype=lib.int64)),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([[1], [0]]), -2),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([1], dtype=lib.int32), 3),
    lambda lib: lib.nn.functional.one_hot(lib.tensor([1]), "a"),
    lambda lib: lib.nn.functional.one_hot([1]),
])
def test_one_hot_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_one_hot_empty_with_classes():
    assert tuple(F.one_hot(rustgrad.tensor([], dtype=rustgrad.int64), 3).shape) == (0, 3)
