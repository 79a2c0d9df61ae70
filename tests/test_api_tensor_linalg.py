"""inner, vdot, addr, chain_matmul, matrix_power, logcumsumexp, diagflat, unique_consecutive,
unravel_index, select/slice/diagonal_scatter, pdist and the window functions: values vs numpy and
PyTorch, gradients (finite differences, gradcheck and PyTorch), grad_fn names and errors vs torch 2.13."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip
from _strategies import shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=10, deadline=None)
rng = np.random.default_rng(0)


def _same_error(call):
    torch = torch_or_skip()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as theirs:
            call(torch)
        with pytest.raises(type(theirs.value)) as ours:
            call(rustgrad)
    assert str(ours.value).replace("rustgrad", "torch") == str(theirs.value)


def _names_match(fn, *arrays):
    torch = torch_or_skip()
    names = []
    for lib in (rustgrad, torch):
        ts = [lib.tensor(np.asarray(a).tolist(), dtype=lib.float64, requires_grad=True) for a in arrays]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(lib, *ts)
        names.append(type(out.grad_fn).__name__)
    assert names[0] == names[1]


CASES = [
    (lambda lib, a, b: lib.inner(a, b), [(2, 3), (4, 3)]),
    (lambda lib, a, b: a.inner(b), [(3,), (3,)]),
    (lambda lib, a, b: lib.vdot(a, b), [(4,), (4,)]),
    (lambda lib, m, a, b: lib.addr(m, a, b), [(2, 3), (2,), (3,)]),
    (lambda lib, m, a, b: m.addr(a, b, beta=0.5, alpha=2.0), [(2, 3), (2,), (3,)]),
    (lambda lib, m, a, b: lib.addr(m, a, b, beta=0), [(3,), (2,), (3,)]),
    (lambda lib, a, b, c: lib.chain_matmul(a, b, c), [(2, 3), (3, 4), (4, 2)]),
    (lambda lib, a: lib.chain_matmul(a), [(2, 3)]),
    (lambda lib, a: a.matrix_power(3), [(3, 3)]),
    (lambda lib, a: lib.matrix_power(a, 2), [(2, 3, 3)]),
    (lambda lib, a: a.matrix_power(1), [(3, 3)]),
    (lambda lib, a: a.matrix_power(0), [(3, 3)]),
    (lambda lib, a: a.matrix_power(-1), [(3, 3)]),
    (lambda lib, a: a.matrix_power(-2), [(3, 3)]),
    (lambda lib, a: lib.logcumsumexp(a, 1), [(2, 4)]),
    (lambda lib, a: a.logcumsumexp(-1), [(5,)]),
    (lambda lib, a: lib.diagflat(a), [(2, 2)]),
    (lambda lib, a: a.diagflat(-1), [(3,)]),
    (lambda lib, a, b: lib.select_scatter(a, b, 1, 2), [(2, 3), (2,)]),
    (lambda lib, a, b: a.slice_scatter(b, 0, 1, 4, 2), [(5, 2), (2, 2)]),
    (lambda lib, a, b: lib.slice_scatter(a, b, dim=1, start=1), [(2, 3), (2, 2)]),
    (lambda lib, a, b: lib.diagonal_scatter(a, b, 1), [(3, 4), (3,)]),
    (lambda lib, a, b: a.diagonal_scatter(b, 0, 1, 0), [(2, 3), (2,)]),
    (lambda lib, a: lib.pdist(a), [(4, 3)]),
    (lambda lib, a: lib.pdist(a, p=1), [(3, 2)]),
    (lambda lib, a: lib.pdist(a, p=3.5), [(3, 2)]),
]


@pytest.mark.parametrize("fn,shapes_", CASES)
def test_values_grads_and_names_vs_torch(fn, shapes_):
    arrays = [rng.standard_normal(s) + (3 * np.eye(s[-1]) if len(s) > 1 and s[-1] == s[-2] else 0) for s in shapes_]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_against_torch(fn, *arrays)
        check_grads(lambda *ts: fn(rustgrad, *ts), *arrays)
    _names_match(fn, *arrays)


@pytest.mark.parametrize("fn,shape", [
    (lambda x: rustgrad.logcumsumexp(x, 0), (4,)),
    (lambda x: rustgrad.pdist(x), (3, 2)),
    (lambda x: x.matrix_power(-2), (2, 2)),
    (lambda x: rustgrad.select_scatter(x, x[0] * 2, 0, 1), (2, 3)),
    (lambda x: rustgrad.addr(x, x[0], x[1]), (2, 2)),
])
def test_gradcheck_and_gradgradcheck(fn, shape):
    x = rustgrad.tensor(rng.standard_normal(shape) + 2 * np.eye(*shape[-2:]) if len(shape) == 2 else
                        rng.standard_normal(shape), dtype=rustgrad.float64, requires_grad=True)
    assert rustgrad.autograd.gradcheck(fn, (x,))
    assert rustgrad.autograd.gradgradcheck(fn, (x,))


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3), st.data())
def test_logcumsumexp_matches_numpy(shape, data):
    a, t = data.draw(tensors("float64", shape))
    d = data.draw(st.integers(0, len(shape) - 1))
    np.testing.assert_allclose(to_numpy(rustgrad.logcumsumexp(t, d)), np.logaddexp.accumulate(a, axis=d), rtol=1e-12)


def test_logcumsumexp_extremes_match_torch():
    torch = torch_or_skip()
    a = [1000.0, -1000.0, 0.0, float("-inf"), 5.0]
    assert rustgrad.tensor(a).logcumsumexp(0).tolist() == torch.tensor(a).logcumsumexp(0).tolist()


def test_products_values_and_promotion():
    torch = torch_or_skip()
    ours = rustgrad.addr(rustgrad.ones(2, 2, dtype=rustgrad.int64), rustgrad.tensor([1, 2]), rustgrad.tensor([1, 2]))
    theirs = torch.addr(torch.ones(2, 2, dtype=torch.int64), torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert ours.tolist() == theirs.tolist() and ours.dtype == rustgrad.int64
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4))
    np.testing.assert_allclose(to_numpy(rustgrad.inner(rustgrad.tensor(a), rustgrad.tensor(b))), np.inner(a, b))
    m = rng.standard_normal((3, 3))
    np.testing.assert_allclose(to_numpy(rustgrad.tensor(m).matrix_power(-3)),
                               np.linalg.matrix_power(m, -3), rtol=1e-8, atol=1e-10)
    with pytest.warns(UserWarning, match="chain_matmul is deprecated"):
        rustgrad.chain_matmul(rustgrad.eye(2), rustgrad.eye(2))


@pytest.mark.parametrize("call", [
    lambda lib: lib.vdot(lib.zeros(2), lib.zeros(3)),
    lambda lib: lib.vdot(lib.zeros(2, 1), lib.zeros(2)),
    lambda lib: lib.vdot(lib.zeros(2), lib.zeros(2, dtype=lib.float64)),
    lambda lib: lib.addr(lib.zeros(2, 2), lib.zeros(2, 1), lib.zeros(2)),
    lambda lib: lib.addr(lib.zeros(3, 2), lib.zeros(2), lib.zeros(2)),
    lambda lib: lib.zeros(2, 3).matrix_power(2),
    lambda lib: lib.zeros(2, 2, dtype=lib.int64).matrix_power(-1),
    lambda lib: lib.inner(lib.zeros(2), lib.zeros(3)),
    lambda lib: lib.chain_matmul(),
    lambda lib: lib.logcumsumexp(lib.zeros(2, dtype=lib.int64), 0),
    lambda lib: lib.logcumsumexp(lib.zeros(2), 1),
    lambda lib: lib.pdist(lib.zeros(3)),
    lambda lib: lib.pdist(lib.zeros(3, 2), p=-1),
    lambda lib: lib.select_scatter(lib.zeros(2, 3), lib.zeros(2), 0, 1),
    lambda lib: lib.diagonal_scatter(lib.zeros(2, 3), lib.zeros(3)),
    lambda lib: lib.slice_scatter(lib.zeros(4, 3), lib.zeros(3, 3), start=0, end=4, step=2),
    lambda lib: lib.unravel_index(lib.tensor([1.0]), (3,)),
    lambda lib: lib.unravel_index(5, (3, 4)),
    lambda lib: lib.unravel_index(lib.tensor([1]), (3, -4)),
    lambda lib: lib.hann_window(-1),
    lambda lib: lib.hann_window(3, dtype=lib.int64),
])
def test_errors_match_torch(call):
    _same_error(call)


@pytest.mark.parametrize("kw", [{}, {"return_inverse": True}, {"return_counts": True},
                                {"return_inverse": True, "return_counts": True}, {"dim": 0, "return_counts": True},
                                {"dim": 1, "return_inverse": True}])
def test_unique_consecutive_matches_torch(kw):
    torch = torch_or_skip()
    a = [[1, 1, 2], [1, 1, 2], [3, 3, 1], [1, 1, 2]]
    ours = rustgrad.unique_consecutive(rustgrad.tensor(a), **kw)
    theirs = torch.unique_consecutive(torch.tensor(a), **kw)
    ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
    assert len(ours) == len(theirs)
    for o, t in zip(ours, theirs):
        assert o.tolist() == t.tolist() and o.dtype == rustgrad.int64
    f = rustgrad.tensor([1.0, 1.0, 2.0]).unique_consecutive()
    assert f.tolist() == [1.0, 2.0] and f.dtype == rustgrad.float32


@EXAMPLES
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.data())
def test_unravel_index_matches_numpy(shape, data):
    total = int(np.prod(shape))
    idx = data.draw(st.lists(st.integers(0, total - 1), min_size=1, max_size=5))
    got = rustgrad.unravel_index(rustgrad.tensor(idx), tuple(shape))
    for g, w in zip(got, np.unravel_index(idx, shape)):
        assert g.tolist() == w.tolist() and g.dtype == rustgrad.int64
    torch = torch_or_skip()
    neg = [-i - 1 for i in idx] + [total + 3]
    assert [g.tolist() for g in rustgrad.unravel_index(rustgrad.tensor(neg), tuple(shape))] == \
        [g.tolist() for g in torch.unravel_index(torch.tensor(neg), tuple(shape))]


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window", "bartlett_window",
                                  "kaiser_window"])
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, n, periodic):
    torch = torch_or_skip()
    for dt in ("float32", "float64"):
        ours = getattr(rustgrad, name)(n, periodic, dtype=getattr(rustgrad, dt))
        theirs = getattr(torch, name)(n, periodic, dtype=getattr(torch, dt))
        np.testing.assert_allclose(np.array(ours.tolist()), theirs.numpy(), atol=1e-6)
        assert ours.dtype == getattr(rustgrad, dt)
    assert getattr(rustgrad, name)(3, requires_grad=True).requires_grad
    if n > 2:
        np.testing.assert_allclose(np.array(rustgrad.hamming_window(n, False, alpha=0.5, beta=0.5).tolist()),
                                   np.hanning(n), atol=1e-6)
        np.testing.assert_allclose(np.array(rustgrad.kaiser_window(n, False, beta=5.0).tolist()), np.kaiser(n, 5.0),
                                   atol=1e-6)
