"""Index ops along a dimension and over the flattened tensor: ``index_fill`` (IndexFillBackward0/1),
``index_copy`` (IndexCopyBackward0), ``index_add`` (IndexAddBackward0), ``put`` (PutBackward0),
``take`` (TakeBackward0), ``fill_diagonal_``, and ``index_put_(accumulate=True)`` on an expanded
tensor: values against numpy and PyTorch, gradients by finite differences and against PyTorch,
saved tensors, in-place writes through views, and PyTorch's error messages (torch 2.13).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=12, deadline=None)


# ----- shared drivers -----


def _outcome(lib, call):
    """What `call(lib)` gives: values, dtype, and the grad_fn name; or the exception's type and
    message (PyTorch's `torch.` spelt `rustgrad.`), and any warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = call(lib)
        except (RuntimeError, IndexError, TypeError, ValueError, OverflowError) as e:
            result = (type(e).__name__, str(e).replace("torch.", "rustgrad."))
        else:
            if isinstance(out, tuple):
                result = tuple(o.tolist() if hasattr(o, "tolist") else o for o in out)
            else:
                grad_fn = None if out.grad_fn is None else type(out.grad_fn).__name__
                result = (out.tolist(), str(out.dtype).split(".")[-1], grad_fn)
    notes = [str(w.message).split(" (Triggered internally at")[0] for w in caught]
    return result, notes


def _same_as_torch(call):
    torch = torch_or_skip()
    assert _outcome(rustgrad, call) == _outcome(torch, call)


def _idx(lib, values, dtype=None):
    return lib.tensor(values, dtype=dtype or lib.int64)


# ----- index_fill -----

INDEX_FILL_CASES = [
    ("float", lambda lib: lib.arange(12.0).view(3, 4).index_fill(1, _idx(lib, [0, 2]), -1.0)),
    ("negative dim and index", lambda lib: lib.arange(12.0).view(3, 4).index_fill(-1, _idx(lib, [0, -1]), 5)),
    ("0-d index", lambda lib: lib.zeros(3).index_fill(0, _idx(lib, 1), 2.0)),
    ("0-d tensor value", lambda lib: lib.zeros(2, 3).index_fill(0, _idx(lib, [1]), lib.tensor(2.5))),
    ("double value into float", lambda lib: lib.zeros(3).index_fill(0, _idx(lib, [0, 1]), lib.tensor(2.5, dtype=lib.float64))),
    ("float value into long", lambda lib: lib.zeros(3, dtype=lib.int64).index_fill(0, _idx(lib, [0, 1]), 2.5)),
    ("float tensor into long", lambda lib: lib.zeros(3, dtype=lib.int64).index_fill(0, _idx(lib, [2]), lib.tensor(-2.5))),
    ("bool", lambda lib: lib.zeros(3, dtype=lib.bool).index_fill(0, _idx(lib, 1), True)),
    ("uint8 wraps -1", lambda lib: lib.zeros(3, dtype=lib.uint8).index_fill(0, _idx(lib, [1]), -1)),
    ("0-d self", lambda lib: lib.tensor(5.0).index_fill(0, _idx(lib, [0]), 2.0)),
    ("0-d self, dim -1", lambda lib: lib.tensor(5.0).index_fill(-1, _idx(lib, 0), 2.0)),
    ("empty index", lambda lib: lib.zeros(3).index_fill(0, lib.tensor([], dtype=lib.int64), 2.0)),
    ("function", lambda lib: lib.index_fill(lib.zeros(3), 0, _idx(lib, [1]), 2.0)),
    ("in place returns self", lambda lib: (lambda t: (t.index_fill_(1, _idx(lib, [1]), 7.0) is t, t))(lib.zeros(2, 3))),
    ("in place on a view", lambda lib: (lambda b: (b[:, 1:].index_fill_(1, _idx(lib, [0]), 7.0), b))(lib.zeros(2, 3))),
    ("int32 index", lambda lib: lib.zeros(3).index_fill(0, _idx(lib, [1], lib.int32), 1.0)),
    ("float index", lambda lib: lib.zeros(3).index_fill(0, lib.tensor([1.0]), 1.0)),
    ("out of bounds", lambda lib: lib.zeros(3, 4).index_fill(1, _idx(lib, [0, 4]), 1.0)),
    ("negative out of bounds", lambda lib: lib.zeros(3, 4).index_fill(1, _idx(lib, [0, -5]), 1.0)),
    ("0-d self out of bounds", lambda lib: lib.tensor(5.0).index_fill(0, _idx(lib, [1]), 2.0)),
    ("2-d index", lambda lib: lib.zeros(3, 4).index_fill(1, _idx(lib, [[0, 1]]), 1.0)),
    ("dim out of range", lambda lib: lib.zeros(3, 4).index_fill(2, _idx(lib, [0]), 1.0)),
    ("1-d value", lambda lib: lib.zeros(3, 4).index_fill(1, _idx(lib, [0]), lib.tensor([1.0]))),
    ("overflowing value", lambda lib: lib.zeros(3, dtype=lib.int32).index_fill(0, _idx(lib, [1]), 2 ** 40)),
    ("overflowing float", lambda lib: lib.zeros(3).index_fill(0, _idx(lib, [1]), 1e300)),
    ("overflowing tensor value", lambda lib: lib.zeros(3, dtype=lib.int64).index_fill(0, _idx(lib, [1]), lib.tensor(1e30))),
    ("str value", lambda lib: lib.zeros(3).index_fill(0, _idx(lib, [1]), "a")),
    ("expanded, in place", lambda lib: lib.zeros(3, 1).expand(3, 4).index_fill_(0, _idx(lib, [1]), 2.0)),
    ("expanded one element", lambda lib: lib.zeros(1).expand(3).index_fill_(0, _idx(lib, [1]), 2.0)),
    ("expanded, out of place", lambda lib: lib.zeros(3, 1).expand(3, 4).index_fill(1, _idx(lib, [1]), 2.0)),
    ("leaf in place", lambda lib: lib.zeros(3, requires_grad=True).index_fill_(0, _idx(lib, [1]), 2.0)),
]


@pytest.mark.parametrize("name", [c[0] for c in INDEX_FILL_CASES])
def test_index_fill_matches_torch(name):
    _same_as_torch(dict(INDEX_FILL_CASES)[name])


def test_index_fill_values_and_errors():
    cases = dict(INDEX_FILL_CASES)
    run = lambda name: _outcome(rustgrad, cases[name])
    assert run("float")[0][0] == [[-1.0, 1.0, -1.0, 3.0], [-1.0, 5.0, -1.0, 7.0], [-1.0, 9.0, -1.0, 11.0]]
    assert run("negative dim and index")[0][0][0] == [5.0, 1.0, 2.0, 5.0]
    assert run("float value into long")[0][:2] == ([2, 2, 0], "int64")
    assert run("uint8 wraps -1")[0][0] == [0, 255, 0]
    assert run("0-d self")[0][0] == 2.0
    assert run("out of bounds")[0] == ("IndexError", "index 4 is out of bounds for dimension 1 with size 4")
    assert run("int32 index")[0] == ("IndexError", "index_fill_(): Expected dtype int64 for index.")
    assert run("2-d index")[0] == ("RuntimeError", "Index has to be a vector/scalar")
    assert run("1-d value")[0] == (
        "RuntimeError", "index_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 dimension(s).")
    assert run("overflowing value")[0] == ("RuntimeError", "value cannot be converted to type int without overflow")
    warning = ("Use of index_fill_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
               "operation. This also applies to advanced indexing e.g. tensor[mask] = scalar")
    assert run("expanded, in place") == (([[0.0] * 4, [2.0] * 4, [0.0] * 4], "float32", None), [warning])
    assert run("expanded one element")[0][0] == [2.0, 2.0, 2.0]  # the one shared element was filled
    assert run("expanded, out of place")[1] == []


@FEW
@given(st.data())
def test_index_fill_against_numpy(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[d]
    index = data.draw(st.lists(st.integers(-size, size - 1), max_size=5))
    a = np.random.default_rng(len(index)).standard_normal(shape)
    expected = a.copy()
    sl = [slice(None)] * len(shape)
    sl[d] = [i % size for i in index]
    expected[tuple(sl)] = 3.5
    got = rustgrad.tensor(a).index_fill(d, rustgrad.tensor(index, dtype=rustgrad.int64), 3.5)
    np.testing.assert_array_equal(np.array(got.tolist()), expected)


def test_index_fill_gradients_and_saved_tensors():
    index = rustgrad.tensor([0, 2])
    check_grads(lambda t: t.index_fill(1, index, 2.0), np.arange(12.0).reshape(3, 4))
    check_grads(lambda t, v: t.index_fill(1, index, v), np.arange(12.0).reshape(3, 4), 1.5)
    check_grads(lambda v: rustgrad.zeros(3, 4, dtype=rustgrad.float64).index_fill(0, rustgrad.tensor([2, 2, 0]), v), 1.5)
    check_against_torch(lambda lib, t, v: t.index_fill(-1, lib.tensor([1, 1, 3]), v), np.arange(12.0).reshape(3, 4), 0.5)
    check_against_torch(lambda lib, t: (t * 1).index_fill_(0, lib.tensor(1), 0.5), np.arange(6.0).reshape(2, 3))
    y = rustgrad.ones(3, 4, requires_grad=True) * 1
    out = y.index_fill(1, index, 2.0)
    assert type(out.grad_fn).__name__ == "IndexFillBackward0"
    assert out.grad_fn._saved_dim == 1 and out.grad_fn._saved_index.tolist() == [0, 2]
    v = rustgrad.tensor(2.0, requires_grad=True)
    out = rustgrad.zeros(3, 4).index_fill(1, index, v)
    assert type(out.grad_fn).__name__ == "IndexFillBackward1"
    out.sum().backward()
    assert v.grad.item() == 6.0  # three rows times two distinct columns
    # the index is saved: a second backward fails as in PyTorch
    out = y.index_fill(1, index, 2.0)
    out.sum().backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.sum().backward()


def test_index_fill_backward_with_a_negative_index_fails_as_torch():
    # PyTorch's value gradient is grad.index_select(dim, unique(index)): negative indices fail there
    def run(lib):
        v = lib.tensor(2.0, requires_grad=True)
        out = lib.zeros(3, 4).index_fill(1, lib.tensor([-1, 0]), v)
        try:
            out.sum().backward()
        except RuntimeError as e:
            return str(e)
    assert run(rustgrad) == "INDICES element is out of DATA bounds, id=-1 axis_dim=4"
    torch = torch_or_skip()
    assert run(rustgrad) == run(torch)


def test_index_fill_in_place_bumps_the_version_and_writes_through_views():
    base = rustgrad.zeros(3, 4)
    view = base.t()
    before = base._version
    view.index_fill_(0, rustgrad.tensor([1]), 1.0)
    assert base._version == before + 1 == view._version
    assert base[:, 1].tolist() == [1.0, 1.0, 1.0] and base.sum().item() == 3.0
    x = rustgrad.ones(3, 4, requires_grad=True)
    y = x * 2
    y[1:].index_fill_(1, rustgrad.tensor([0]), 0.0)
    assert type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [[2.0] * 4, [0.0, 2.0, 2.0, 2.0], [0.0, 2.0, 2.0, 2.0]]


# ----- index_copy -----

INDEX_COPY_CASES = [
    ("dim 1", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 2]), lib.arange(6.0).view(3, 2))),
    ("dim -1", lambda lib: lib.zeros(3, 4).index_copy(-1, _idx(lib, [3, 1]), lib.arange(6.0).view(3, 2))),
    ("duplicates: last wins", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [1, 1]), lib.arange(6.0).view(3, 2))),
    ("3-d", lambda lib: lib.zeros(2, 3, 2).index_copy(1, _idx(lib, [2, 0]), lib.arange(8.0).view(2, 2, 2))),
    ("0-d self", lambda lib: lib.tensor(5.0).index_copy(0, _idx(lib, [0]), lib.tensor(2.0))),
    ("0-d self, 0-d index, 1-d source", lambda lib: lib.tensor(5.0).index_copy(0, _idx(lib, 0), lib.tensor([2.0]))),
    ("0-d source", lambda lib: lib.zeros(3).index_copy(0, _idx(lib, 1), lib.tensor(2.0))),
    ("empty", lambda lib: lib.zeros(3).index_copy(0, lib.tensor([], dtype=lib.int64), lib.ones(0))),
    ("long", lambda lib: lib.zeros(3, dtype=lib.int64).index_copy(0, _idx(lib, [2]), lib.tensor([7]))),
    ("non-contiguous source", lambda lib: lib.zeros(2, 3).index_copy(1, _idx(lib, [2, 0]), lib.arange(4.0).view(2, 2).t())),
    ("function", lambda lib: lib.index_copy(lib.zeros(3), 0, _idx(lib, [1]), lib.ones(1))),
    ("in place on a view", lambda lib: (lambda b: (b[1:].index_copy_(1, _idx(lib, [0]), lib.ones(2, 1)), b))(lib.zeros(3, 2))),
    ("int32 index", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 2], lib.int32), lib.ones(3, 2))),
    ("float index", lambda lib: lib.zeros(3, 4).index_copy(1, lib.tensor([0.0, 2]), lib.ones(3, 2))),
    ("out of bounds", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 4]), lib.ones(3, 2))),
    ("negative index", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, -1]), lib.ones(3, 2))),
    ("0-d self out of bounds", lambda lib: lib.tensor(5.0).index_copy(0, _idx(lib, [1]), lib.tensor(2.0))),
    ("2-d index", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [[0, 1]]), lib.ones(3, 2))),
    ("count", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 1]), lib.ones(3, 3))),
    ("slice shapes", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 1]), lib.ones(2, 2))),
    ("3-d slice shapes", lambda lib: lib.zeros(2, 3, 4).index_copy(1, _idx(lib, [0]), lib.ones(2, 1, 5))),
    ("dimensionality", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 1]), lib.ones(6))),
    ("scalar source, two indices", lambda lib: lib.zeros(3).index_copy(0, _idx(lib, [0, 1]), lib.tensor(1.0))),
    ("dtype", lambda lib: lib.zeros(3, 4).index_copy(1, _idx(lib, [0, 1]), lib.ones(3, 2, dtype=lib.float64))),
    ("dim out of range", lambda lib: lib.zeros(3, 4).index_copy(2, _idx(lib, [0, 1]), lib.ones(3, 2))),
    ("number source", lambda lib: lib.zeros(3).index_copy(0, _idx(lib, [1]), 1.0)),
    ("list index", lambda lib: lib.zeros(3).index_copy(0, [1], lib.ones(1))),
    ("expanded, in place", lambda lib: lib.zeros(1).expand(3).index_copy_(0, _idx(lib, [1]), lib.ones(1))),
]


@pytest.mark.parametrize("name", [c[0] for c in INDEX_COPY_CASES])
def test_index_copy_matches_torch(name):
    _same_as_torch(dict(INDEX_COPY_CASES)[name])


def test_index_copy_values_and_errors():
    cases = dict(INDEX_COPY_CASES)
    run = lambda name: _outcome(rustgrad, cases[name])[0]
    assert run("duplicates: last wins")[0] == [[0.0, 1.0, 0.0, 0.0], [0.0, 3.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0.0]]
    assert run("out of bounds") == ("IndexError", "index_copy_(): index 4 is out of bounds for dimension 1 with size 4")
    assert run("slice shapes") == ("RuntimeError", "index_copy_(): Source/destination tensor must have same slice shapes. "
                                   "Destination slice shape: 3 at dimension 1 and source slice shape: 2 at dimension 0.")
    assert run("3-d slice shapes")[1].endswith("Destination slice shape: 2 4 at dimension 1 and source slice shape: 2 5 at dimension 0.")
    assert run("int32 index") == ("RuntimeError", "index_copy_(): Expected a long tensor for index, but got Int")
    assert run("number source") == ("TypeError", "index_copy(): argument 'source' (position 3) must be Tensor, not float")


@FEW
@given(st.data())
def test_index_copy_and_index_add_against_numpy(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    d = data.draw(st.integers(0, len(shape) - 1))
    size = shape[d]
    perm = data.draw(st.permutations(range(size)))
    k = data.draw(st.integers(0, size))
    copy_index = list(perm[:k])
    add_index = data.draw(st.lists(st.integers(0, size - 1), max_size=5))
    rng = np.random.default_rng(k)
    a = rng.standard_normal(shape)
    src_shape = list(shape)
    src_shape[d] = k
    src = rng.standard_normal(src_shape)
    expected = a.copy()
    for j, i in enumerate(copy_index):
        expected[(slice(None),) * d + (i,)] = src[(slice(None),) * d + (j,)]
    got = rustgrad.tensor(a).index_copy(d, rustgrad.tensor(copy_index, dtype=rustgrad.int64), rustgrad.tensor(src))
    np.testing.assert_array_equal(np.array(got.tolist()), expected)
    src_shape[d] = len(add_index)
    src = rng.standard_normal(src_shape)
    expected = a.copy()
    for j, i in enumerate(add_index):
        expected[(slice(None),) * d + (i,)] += -1.5 * src[(slice(None),) * d + (j,)]
    got = rustgrad.tensor(a).index_add(d, rustgrad.tensor(add_index, dtype=rustgrad.int64), rustgrad.tensor(src), alpha=-1.5)
    np.testing.assert_allclose(np.array(got.tolist()), expected, rtol=1e-12, atol=1e-12)


def test_index_copy_gradients_and_saved_tensors():
    check_grads(lambda t, s: t.index_copy(1, rustgrad.tensor([3, 0]), s), np.arange(12.0).reshape(3, 4), np.ones((3, 2)))
    check_grads(lambda t, s: t.index_copy(0, rustgrad.tensor(1), s), np.arange(3.0), 2.0)
    check_against_torch(lambda lib, t, s: t.index_copy(-1, lib.tensor([1, 2]), s * 2), np.arange(6.0).reshape(2, 3), [[1.0, 2.0], [3.0, 4.0]])
    check_against_torch(lambda lib, t, s: t.index_copy(0, lib.tensor([0]), s), 5.0, [2.0])
    y = rustgrad.ones(3, 4, requires_grad=True) * 1
    out = y.index_copy(1, rustgrad.tensor([0, 2]), rustgrad.ones(3, 2))
    g = out.grad_fn
    assert type(g).__name__ == "IndexCopyBackward0"
    assert (g._saved_dim, g._saved_index.tolist(), g._saved_source, g._saved_source_dim) == (1, [0, 2], None, 2)
    s = rustgrad.ones(3, 2, requires_grad=True)
    assert rustgrad.zeros(3, 4).index_copy(1, rustgrad.tensor([0, 2]), s).grad_fn._saved_source is s


# ----- index_add -----

INDEX_ADD_CASES = [
    ("dim 1", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 2]), lib.ones(3, 2))),
    ("alpha", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 2, 0]), lib.arange(9.0).view(3, 3), alpha=2)),
    ("float alpha", lambda lib: lib.zeros(3).index_add(0, _idx(lib, [1]), lib.ones(1), alpha=1.5)),
    ("bool alpha", lambda lib: lib.zeros(3).index_add(0, _idx(lib, [1]), lib.ones(1), alpha=True)),
    ("long, float alpha truncates", lambda lib: lib.zeros(3, dtype=lib.int64).index_add(0, _idx(lib, [1]), lib.ones(1, dtype=lib.int64), alpha=1.5)),
    ("long", lambda lib: lib.zeros(3, dtype=lib.int64).index_add(0, _idx(lib, [1, 1]), lib.ones(2, dtype=lib.int64), alpha=3)),
    ("bool", lambda lib: lib.zeros(3, dtype=lib.bool).index_add(0, _idx(lib, [1]), lib.ones(1, dtype=lib.bool), alpha=2)),
    ("int32 index", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 2], lib.int32), lib.ones(3, 2))),
    ("3-d", lambda lib: lib.zeros(2, 3, 4).index_add(1, _idx(lib, [2, 0]), lib.arange(16.0).view(2, 2, 4))),
    ("non-contiguous source", lambda lib: lib.zeros(3, 2).index_add(0, _idx(lib, [2, 0]), lib.arange(4.0).view(2, 2).t())),
    ("0-d self", lambda lib: lib.tensor(5.0).index_add(0, _idx(lib, [0]), lib.tensor(2.0))),
    ("empty", lambda lib: lib.zeros(3).index_add(0, lib.tensor([], dtype=lib.int64), lib.ones(0))),
    ("function", lambda lib: lib.index_add(lib.zeros(3), 0, _idx(lib, [1]), lib.ones(1), alpha=2)),
    ("in place on a view", lambda lib: (lambda b: (b[:, 1].index_add_(0, _idx(lib, [0, 0]), lib.ones(2)), b))(lib.zeros(2, 3))),
    ("float index", lambda lib: lib.zeros(3, 4).index_add(1, lib.tensor([0.0, 2]), lib.ones(3, 2))),
    ("out of bounds, first dim", lambda lib: lib.zeros(3, 4).index_add(0, _idx(lib, [3]), lib.ones(1, 4))),
    ("out of bounds, last dim", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 4]), lib.ones(3, 2))),
    ("out of bounds, alpha 2", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [4]), lib.ones(3, 1), alpha=2)),
    ("out of bounds, middle dim", lambda lib: lib.zeros(2, 3, 4).index_add(1, _idx(lib, [3]), lib.ones(2, 1, 4))),
    ("out of bounds, 1-d", lambda lib: lib.zeros(3).index_add(0, _idx(lib, [3]), lib.ones(1))),
    ("negative, 1-d", lambda lib: lib.zeros(3).index_add(0, _idx(lib, [-1]), lib.ones(1))),
    ("0-d self out of bounds", lambda lib: lib.tensor(5.0).index_add(0, _idx(lib, [1]), lib.tensor(2.0))),
    ("2-d index", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [[0, 1]]), lib.ones(3, 2))),
    ("count", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 1]), lib.ones(3, 3))),
    ("shapes", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 1]), lib.ones(2, 2))),
    ("source dims", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 1]), lib.ones(6))),
    ("0-d source, two indices", lambda lib: lib.zeros(3).index_add(0, _idx(lib, [0, 1]), lib.tensor(1.0))),
    ("0-d source into 1-d", lambda lib: lib.zeros(3).index_add(0, _idx(lib, 1), lib.tensor(2.0))),
    ("dtype", lambda lib: lib.zeros(3, 4).index_add(1, _idx(lib, [0, 1]), lib.ones(3, 2, dtype=lib.float64))),
    ("overflowing alpha", lambda lib: lib.zeros(3, dtype=lib.int64).index_add(0, _idx(lib, [1]), lib.ones(1, dtype=lib.int64), alpha=1e30)),
    ("number source", lambda lib: lib.zeros(3).index_add(0, _idx(lib, [1]), 1.0)),
    ("expanded, in place", lambda lib: lib.zeros(1).expand(3).index_add_(0, _idx(lib, [1]), lib.ones(1))),
]


@pytest.mark.parametrize("name", [c[0] for c in INDEX_ADD_CASES])
def test_index_add_matches_torch(name):
    _same_as_torch(dict(INDEX_ADD_CASES)[name])


def test_index_add_values_and_errors():
    cases = dict(INDEX_ADD_CASES)
    run = lambda name: _outcome(rustgrad, cases[name])[0]
    assert run("alpha")[0] == [[4.0, 0.0, 2.0, 0.0], [16.0, 0.0, 8.0, 0.0], [28.0, 0.0, 14.0, 0.0]]
    assert run("long, float alpha truncates")[0] == [0, 1, 0]
    # PyTorch's own kernels disagree on the wording: scatter_add_ (first/last dim, alpha 1) or its loop
    assert run("out of bounds, first dim") == ("RuntimeError", "index 3 is out of bounds for dimension 0 with size 3")
    assert run("out of bounds, middle dim") == ("IndexError", "index out of range in self")
    assert run("out of bounds, alpha 2") == ("IndexError", "index out of range in self")
    assert run("0-d source, two indices") == ("IndexError", "Dimension specified as 0 but tensor has no dimensions")
    assert run("shapes") == ("RuntimeError", "source tensor shape must match self tensor shape, excluding the specified "
                             "dimension. Got self.shape = [3, 4] source.shape = [2, 2]")
    assert run("dtype") == ("RuntimeError", "index_add_(): self (Float) and source (Double) must have the same scalar type")


def test_index_add_gradients_and_saved_tensors():
    check_grads(lambda t, s: t.index_add(0, rustgrad.tensor([2, 0, 2]), s, alpha=-2), np.arange(6.0).reshape(3, 2), np.ones((3, 2)))
    check_grads(lambda t, s: t.index_add(0, rustgrad.tensor([0]), s), 1.0, 2.0)
    check_grads(lambda t, s: t.index_add(1, rustgrad.tensor([1, 1], dtype=rustgrad.int32), s, alpha=0.5), np.ones((2, 3)), np.ones((2, 2)))
    check_against_torch(lambda lib, t, s: t.index_add(1, lib.tensor([1, 1, 0]), s, alpha=3), np.arange(6.0).reshape(2, 3), np.arange(6.0).reshape(2, 3))
    y = rustgrad.ones(3, 4, requires_grad=True) * 1
    g = y.index_add(0, rustgrad.tensor([1]), rustgrad.ones(1, 4), alpha=2.5).grad_fn
    assert type(g).__name__ == "IndexAddBackward0"
    assert (g._saved_alpha, g._saved_dim, g._saved_index, g._saved_source, g._saved_source_dim) == (2.5, 0, None, None, 2)
    s = rustgrad.ones(1, 4, requires_grad=True)
    g = rustgrad.zeros(3, 4).index_add(0, rustgrad.tensor([1]), s, alpha=2).grad_fn
    assert g._saved_alpha == 2 and g._saved_index.tolist() == [1] and g._saved_source is s
    # nothing saved when the source needs no grad: a second backward works, as in PyTorch
    out = y.index_add(0, rustgrad.tensor([1]), rustgrad.ones(1, 4))
    out.sum().backward(retain_graph=False)
    y2 = rustgrad.ones(3, 4, requires_grad=True)
    out = (y2 * 1).index_add(0, rustgrad.tensor([1]), rustgrad.ones(1, 4))
    out.grad_fn.next_functions  # the node exists
    out.sum().backward()


# ----- put / take -----

PUT_TAKE_CASES = [
    ("take", lambda lib: lib.arange(12.0).view(3, 4).take(_idx(lib, [[1, 5], [0, -1]]))),
    ("take transposed", lambda lib: lib.arange(6.0).view(3, 2).t().take(_idx(lib, [1, 2]))),
    ("take 0-d", lambda lib: lib.tensor(3.0).take(_idx(lib, [0, 0]))),
    ("take 0-d index", lambda lib: lib.take(lib.arange(3.0), _idx(lib, 1))),
    ("take empty", lambda lib: lib.zeros(0).take(lib.tensor([], dtype=lib.int64))),
    ("take from empty", lambda lib: lib.zeros(0).take(_idx(lib, [0]))),
    ("take out of range", lambda lib: lib.arange(12.0).view(3, 4).take(_idx(lib, [12]))),
    ("take negative out of range", lambda lib: lib.arange(12.0).view(3, 4).take(_idx(lib, [-13]))),
    ("take int32", lambda lib: lib.arange(3.0).take(_idx(lib, [1], lib.int32))),
    ("take float index", lambda lib: lib.arange(3.0).take(lib.tensor([1.0]))),
    ("put", lambda lib: lib.zeros(2, 3).put(_idx(lib, [[1], [5]]), lib.tensor([1.0, 2.0]))),
    ("put duplicates", lambda lib: lib.zeros(2, 3).put(_idx(lib, [1, 1, -1]), lib.tensor([1.0, 2.0, 3.0]))),
    ("put accumulate", lambda lib: lib.zeros(2, 3).put(_idx(lib, [1, 1, -1]), lib.tensor([1.0, 2.0, 3.0]), accumulate=True)),
    ("put source shape", lambda lib: lib.zeros(2, 3).put(_idx(lib, [[1, 2]]), lib.tensor([[1.0], [2.0]]))),
    ("put 0-d", lambda lib: lib.tensor(1.0).put(_idx(lib, 0), lib.tensor(2.0))),
    ("put long", lambda lib: lib.zeros(4, dtype=lib.int64).put(_idx(lib, [3, 3]), lib.tensor([5, 6]), True)),
    ("put_ transposed", lambda lib: (lambda b: (b.t().put_(_idx(lib, [1]), lib.tensor([1.0])), b))(lib.zeros(3, 2))),
    ("put function", lambda lib: lib.put(lib.zeros(3), _idx(lib, [1]), lib.tensor([1.0]), True)),
    ("put count", lambda lib: lib.zeros(2, 3).put(_idx(lib, [1, 1]), lib.tensor([1.0, 2.0, 3.0]))),
    ("put out of range", lambda lib: lib.zeros(2, 3).put(_idx(lib, [6]), lib.tensor([1.0]))),
    ("put out of range accumulate", lambda lib: lib.zeros(2, 3).put(_idx(lib, [-7]), lib.tensor([1.0]), accumulate=True)),
    ("put int32", lambda lib: lib.zeros(2, 3).put(_idx(lib, [1], lib.int32), lib.tensor([1.0]))),
    ("put dtype", lambda lib: lib.zeros(2, 3).put(_idx(lib, [1]), lib.tensor([1.0], dtype=lib.float64))),
    ("put into empty", lambda lib: lib.zeros(0).put_(_idx(lib, [0]), lib.ones(1))),
    ("put number source", lambda lib: lib.zeros(3).put(_idx(lib, [1]), 1.0)),
    ("put_ expanded", lambda lib: lib.zeros(1).expand(3).put_(_idx(lib, [1]), lib.tensor([1.0]))),
]


@pytest.mark.parametrize("name", [c[0] for c in PUT_TAKE_CASES])
def test_put_and_take_match_torch(name):
    _same_as_torch(dict(PUT_TAKE_CASES)[name])


def test_put_and_take_values_and_errors():
    cases = dict(PUT_TAKE_CASES)
    run = lambda name: _outcome(rustgrad, cases[name])[0]
    assert run("take")[0] == [[1.0, 5.0], [0.0, 11.0]]
    assert run("put accumulate")[0] == [[0.0, 3.0, 0.0], [0.0, 0.0, 3.0]]
    assert run("put_ transposed")[1] == [[0.0, 0.0], [1.0, 0.0], [0.0, 0.0]]
    assert run("take out of range") == ("IndexError", "out of range: tried to access index 12 on a tensor of 12 elements.")
    assert run("put count") == ("IndexError", "put_(): Expected source and index to have the same number of elements, "
                                "but got source.numel() = 3, index.numel() = 2")
    assert run("take from empty") == ("IndexError", "take(): tried to take from an empty tensor")


@FEW
@given(st.data())
def test_put_and_take_against_numpy(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=0, max_size=3))
    n = int(np.prod(shape))
    index = data.draw(st.lists(st.integers(-n, n - 1), max_size=6))
    a = np.random.default_rng(n).standard_normal(shape)
    t = rustgrad.tensor(a)
    idx = rustgrad.tensor(index, dtype=rustgrad.int64)
    np.testing.assert_array_equal(np.array(t.take(idx).tolist()), np.take(a, index))
    values = np.arange(1.0, len(index) + 1)
    expected = a.copy()
    np.add.at(expected.reshape(-1), [i % n for i in index], values)
    got = t.put(idx, rustgrad.tensor(values), accumulate=True)
    np.testing.assert_allclose(np.array(got.tolist()), expected, rtol=1e-12, atol=1e-12)


def test_put_and_take_gradients_and_saved_tensors():
    check_grads(lambda t: t.take(rustgrad.tensor([[0, 5], [5, -2]])), np.arange(6.0).reshape(2, 3))
    check_grads(lambda t, s: t.put(rustgrad.tensor([4, 0, 4]), s, accumulate=True), np.arange(6.0).reshape(3, 2), [1.0, 2.0, 3.0])
    check_grads(lambda t, s: t.put(rustgrad.tensor([[4], [0]]), s), np.arange(6.0).reshape(3, 2), [1.0, 2.0])
    check_against_torch(lambda lib, t, s: t.t().put(lib.tensor([1, -1]), s * 2), np.arange(6.0).reshape(3, 2), [1.0, 2.0])
    check_against_torch(lambda lib, t: t.t().take(lib.tensor([[1, 2], [2, 2]])), np.arange(6.0).reshape(3, 2))
    x = rustgrad.arange(6.0).view(2, 3).requires_grad_()
    g = x.take(rustgrad.tensor([1])).grad_fn
    assert type(g).__name__ == "TakeBackward0" and g._saved_self is x and g._saved_index.tolist() == [1]
    y = x * 1
    g = y.put(rustgrad.tensor([1]), rustgrad.tensor([2.0])).grad_fn
    assert type(g).__name__ == "PutBackward0"
    assert (g._saved_accumulate, g._saved_index.tolist(), g._saved_source) == (False, [1], None)


# ----- fill_diagonal_ -----

FILL_DIAGONAL_CASES = [
    ("square", lambda lib: lib.zeros(3, 3).fill_diagonal_(5)),
    ("tall", lambda lib: lib.zeros(7, 3).fill_diagonal_(5)),
    ("tall, wrap", lambda lib: lib.zeros(7, 3).fill_diagonal_(5, wrap=True)),
    ("tall by one, wrap", lambda lib: lib.zeros(4, 3).fill_diagonal_(5, wrap=True)),
    ("wide, wrap", lambda lib: lib.zeros(3, 7).fill_diagonal_(5, True)),
    ("3-d", lambda lib: lib.zeros(2, 2, 2).fill_diagonal_(5)),
    ("long, float value", lambda lib: lib.zeros(3, 3, dtype=lib.int64).fill_diagonal_(2.5)),
    ("0-d tensor value", lambda lib: lib.zeros(3, 3).fill_diagonal_(lib.tensor(2.5))),
    ("transposed, wrap", lambda lib: lib.zeros(3, 4).t().fill_diagonal_(1, wrap=True)),
    ("a slice", lambda lib: (lambda b: (b[1:].fill_diagonal_(1), b))(lib.zeros(3, 2))),
    ("expanded", lambda lib: lib.zeros(3, 1).expand(3, 3).fill_diagonal_(1)),
    ("empty", lambda lib: lib.zeros(0, 3).fill_diagonal_(1)),
    ("1-d", lambda lib: lib.zeros(3).fill_diagonal_(5)),
    ("unequal 3-d", lambda lib: lib.zeros(2, 3, 2).fill_diagonal_(5)),
    ("overflow", lambda lib: lib.zeros(3, 3, dtype=lib.int64).fill_diagonal_(2 ** 62 * 1.0 * 4)),
    ("leaf", lambda lib: lib.zeros(3, 3, requires_grad=True).fill_diagonal_(1)),
    ("returns self", lambda lib: (lambda t: (t.fill_diagonal_(1) is t,))(lib.zeros(2, 2))),
]


@pytest.mark.parametrize("name", [c[0] for c in FILL_DIAGONAL_CASES])
def test_fill_diagonal_matches_torch(name):
    _same_as_torch(dict(FILL_DIAGONAL_CASES)[name])


@FEW
@given(st.integers(1, 6), st.integers(1, 6), st.booleans())
def test_fill_diagonal_against_numpy(rows, cols, wrap):
    a = np.zeros((rows, cols))
    np.fill_diagonal(a, 4.0, wrap=wrap)
    t = rustgrad.zeros(rows, cols, dtype=rustgrad.float64)
    assert t.fill_diagonal_(4.0, wrap=wrap) is t
    np.testing.assert_array_equal(np.array(t.tolist()), a)


def test_fill_diagonal_gradients_history_and_version():
    def f(t):
        y = t * 1
        y.fill_diagonal_(3.0, wrap=True)
        return y
    check_grads(f, np.arange(15.0).reshape(5, 3))
    check_against_torch(lambda lib, t: f(t) * t, np.arange(15.0).reshape(5, 3))
    x = rustgrad.ones(3, 3, requires_grad=True)
    y = x * 2
    v = y._version
    y.fill_diagonal_(0.0)
    assert y._version == v + 1 and type(y.grad_fn).__name__ == "CopySlices"
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 2.0], [2.0, 0.0, 2.0], [2.0, 2.0, 0.0]]
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in an in-place operation.$"):
        x.fill_diagonal_(1.0)


# ----- index_put_(accumulate=True) into an expanded tensor -----

INDEX_PUT_WARNING = ("Use of index_put_ on expanded tensors is deprecated. Please clone() the tensor before performing this "
                     "operation. This also applies to advanced indexing e.g. tensor[indices] = tensor")


def _expanded_put(base_shape, shape, indices, values, accumulate=True, dtype="float32", requires_grad=False):
    def call(lib):
        d = getattr(lib, dtype)
        base = lib.zeros(*base_shape, dtype=d, requires_grad=requires_grad)
        b = base * 1 if requires_grad else base
        e = b.expand(*shape)
        e.index_put_(tuple(lib.tensor(i) for i in indices), lib.tensor(values, dtype=d), accumulate=accumulate)
        out = (b, e)
        if requires_grad:
            # (a backward through this CopySlices fails in PyTorch: its copy_ into the expanded view refuses)
            out += (type(b.grad_fn).__name__, type(e.grad_fn).__name__)
        return out
    return call


EXPANDED_PUT_CASES = [
    ("one write", _expanded_put([1], [3], [[0]], [1.0])),
    ("a write at every alias", _expanded_put([1], [3], [[0, 1, 2]], [1.0, 2.0, 4.0])),
    ("repeated position", _expanded_put([1], [4], [[0, 0, 3]], [1, 2, 4], dtype="int64")),
    ("rows of an expanded vector", _expanded_put([2], [3, 2], [[0, 1]], [1.0, 2.0])),
    ("2-d positions", _expanded_put([2, 1], [2, 3], [[0, 1], [0, 2]], [1.0, 2.0])),
    ("mask", _expanded_put([1], [3], [[True, False, True]], 1.0)),
    ("float64", _expanded_put([1], [5], [[1, 4]], [0.5, 0.25], dtype="float64")),
    ("int32", _expanded_put([1], [5], [[1, 2]], [1, 1], dtype="int32")),
    ("bool", _expanded_put([1], [5], [[1]], [True], dtype="bool")),
    ("without accumulate", _expanded_put([1], [3], [[0, 1, 2]], [1.0, 2.0, 4.0], accumulate=False)),
    ("with grad", _expanded_put([1], [3], [[0, 1]], [1.0, 2.0], requires_grad=True)),
]


@pytest.mark.parametrize("name", [c[0] for c in EXPANDED_PUT_CASES])
def test_index_put_accumulate_into_expanded_matches_torch(name):
    _same_as_torch(dict(EXPANDED_PUT_CASES)[name])


def test_index_put_accumulate_into_expanded_adds_each_value_once():
    cases = dict(EXPANDED_PUT_CASES)
    (base, e), notes = _outcome(rustgrad, cases["a write at every alias"])
    assert base == [7.0] and e == [7.0, 7.0, 7.0] and notes == [INDEX_PUT_WARNING]
    (base, e), _ = _outcome(rustgrad, cases["rows of an expanded vector"])
    assert base == [2.0, 4.0] and e == [[2.0, 4.0]] * 3
    (base, e), _ = _outcome(rustgrad, cases["without accumulate"])
    assert base == [4.0]  # the last write wins
    (base, e, base_fn, view_fn), _ = _outcome(rustgrad, cases["with grad"])
    assert base == [3.0] and (base_fn, view_fn) == ("CopySlices", "AsStridedBackward0")


def _backward_through_expanded_write(accumulate=True, base_requires_grad=True, values_require_grad=True, write="index_put_"):
    """The issue's example: a write into an expanded view of a clone, then a backward through it."""
    def call(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=base_requires_grad)
        v = lib.tensor([10.0, 20.0], requires_grad=values_require_grad)
        b = a.clone().unsqueeze(1).expand(3, 4)
        idx = (lib.tensor([0, 1]), lib.tensor([0, 2]))
        if write == "index_put_":
            b.index_put_(idx, v, accumulate=accumulate)
        elif write == "setitem":
            b[idx] = v
        else:
            b.masked_fill_(lib.tensor([[True, False, False, False]] * 3), 1.0)
        b.sum().backward()
        return tuple(None if t.grad is None else t.grad for t in (a, v))
    return call


EXPANDED_BACKWARD_CASES = [
    ("index_put_ accumulate", _backward_through_expanded_write()),
    ("index_put_", _backward_through_expanded_write(accumulate=False)),
    ("setitem", _backward_through_expanded_write(write="setitem")),
    ("masked_fill_", _backward_through_expanded_write(write="masked_fill_", values_require_grad=False)),
    # the base's gradient is not asked for: no copy into the expanded slice, no error
    ("values only", _backward_through_expanded_write(base_requires_grad=False)),
    ("values only, no accumulate", _backward_through_expanded_write(accumulate=False, base_requires_grad=False)),
]


@pytest.mark.parametrize("name", [c[0] for c in EXPANDED_BACKWARD_CASES])
def test_backward_through_a_write_into_an_expanded_view_matches_torch(name):
    _same_as_torch(dict(EXPANDED_BACKWARD_CASES)[name])


def test_backward_through_a_write_into_an_expanded_view_refuses():
    cases = dict(EXPANDED_BACKWARD_CASES)
    result, notes = _outcome(rustgrad, cases["index_put_ accumulate"])
    assert result == ("RuntimeError", "unsupported operation: more than one element of the written-to tensor refers to a "
                      "single memory location. Please clone() the tensor before performing the operation.")
    assert notes == [INDEX_PUT_WARNING]
    # Without the base's gradient, each value's gradient sums the 4 aliases of its element.
    (grad_a, grad_v), _ = _outcome(rustgrad, cases["values only"])
    assert grad_a is None and grad_v == [4.0, 4.0]


def test_regenerated_view_of_an_expanded_base_sums_its_aliases():
    def call(lib):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        c = a.clone()
        b = c.unsqueeze(1).expand(3, 4)
        c.mul_(2)  # b's history becomes an AsStridedBackward0 into c's new history
        (b * lib.arange(12.0).view(3, 4)).sum().backward()
        return a.grad, type(b.grad_fn).__name__
    (grad, name), _ = _outcome(rustgrad, call)
    assert name == "AsStridedBackward0" and grad == [2.0 * (0 + 1 + 2 + 3), 2.0 * (4 + 5 + 6 + 7), 2.0 * (8 + 9 + 10 + 11)]
    _same_as_torch(call)


# ----- higher-order gradients and strided inputs -----


def _second_order(lib):
    x = lib.tensor(np.arange(6.0).reshape(2, 3).tolist(), dtype=lib.float64, requires_grad=True)
    s = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
    idx = lib.tensor([2, 0])
    y = (x * x).index_add(1, idx, s * s, alpha=2).take(lib.tensor([1, 5, 5]))
    z = (x * x).index_copy(1, idx, s * s).put(lib.tensor([0, 4, 5]), s.reshape(-1)[:3] ** 2, accumulate=True)
    loss = y.sum() + z.index_fill(0, lib.tensor([1]), 0.5).sum()
    gx, gs = lib.autograd.grad(loss, (x, s), create_graph=True)
    hx, hs = lib.autograd.grad((gx * gx).sum() + (gs * gs).sum(), (x, s))
    return [np.array(t.tolist()) for t in (gx, gs, hx, hs)]


def test_second_order_gradients_match_torch():
    torch = torch_or_skip()
    for ours, theirs in zip(_second_order(rustgrad), _second_order(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)


@FEW
@given(st.data())
def test_strided_self_and_source_match_torch(data):
    torch = torch_or_skip()
    rows, cols = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    index = data.draw(st.lists(st.integers(0, rows - 1), min_size=1, max_size=4))
    k = len(index)
    accumulate = data.draw(st.booleans())

    def run(lib):
        # self is a transposed view (rows x cols), the source a transposed view too
        t = lib.arange(float(rows * cols), dtype=lib.float64).view(cols, rows).t()
        src = lib.arange(100.0, 100.0 + k * cols, dtype=lib.float64).view(cols, k).t()
        flat = lib.tensor([i * cols for i in index])
        return [
            t.index_add(0, lib.tensor(index), src, alpha=0.5).tolist(),
            t.index_fill(0, lib.tensor(index), -1.0).tolist(),
            t.take(flat).tolist(),
            t.put(flat, src[:, 0].contiguous(), accumulate=accumulate).tolist(),
        ]
    assert run(rustgrad) == run(torch)
