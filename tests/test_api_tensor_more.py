"""repeat_interleave, tile, ravel, fliplr/flipud, broadcast_tensors/shapes, clamp_max/clamp_min,
aminmax, isin, logspace, detach, normal, multinomial, randint_like, poisson, scalar_tensor: values vs
numpy and PyTorch, gradients (finite differences and PyTorch), grad_fn names and errors vs torch 2.13."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip
from _strategies import shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=10, deadline=None)


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


def _same_error(call):
    torch = torch_or_skip()
    with pytest.raises(Exception) as theirs:
        call(torch)
    with pytest.raises(type(theirs.value)) as ours:
        call(rustgrad)
    assert str(ours.value).replace("rustgrad", "torch") == str(theirs.value)


def _both(fn, a, dtype="float64", grad=True):
    """fn(lib, tensor) for rustgrad and torch; returns both results."""
    torch = torch_or_skip()
    outs = []
    for lib in (rustgrad, torch):
        t = lib.tensor(np.asarray(a).tolist(), dtype=getattr(lib, dtype), requires_grad=grad)
        outs.append(fn(lib, t))
    return outs


# ----- repeat_interleave -----
@EXAMPLES
@given(shapes(min_dims=0, max_dims=3), st.integers(0, 3), st.data())
def test_repeat_interleave_int_matches_numpy(shape, reps, data):
    a, t = data.draw(tensors("float64", shape))
    np.testing.assert_array_equal(to_numpy(t.repeat_interleave(reps)), np.repeat(a, reps))
    if shape:
        d = data.draw(st.integers(-len(shape), len(shape) - 1))
        np.testing.assert_array_equal(to_numpy(rustgrad.repeat_interleave(t, reps, dim=d)), np.repeat(a, reps, axis=d))


def test_repeat_interleave_tensor_repeats_and_names():
    torch = torch_or_skip()
    a = np.random.default_rng(0).standard_normal((2, 3))
    for fn in (lambda lib, x: x.repeat_interleave(2),
               lambda lib, x: lib.repeat_interleave(x, 3, dim=1),
               lambda lib, x: x.repeat_interleave(lib.tensor([1, 0, 2]), dim=1),
               lambda lib, x: x.repeat_interleave(lib.tensor([2]), dim=0),
               lambda lib, x: x.repeat_interleave(lib.tensor(2)),
               lambda lib, x: lib.repeat_interleave(x, lib.tensor([1, 2]), dim=0, output_size=3)):
        ours, theirs = _both(fn, a)
        assert _name(ours) == _name(theirs)
        assert ours.shape == tuple(theirs.shape)
        check_against_torch(fn, a)
    check_grads(lambda x: x.repeat_interleave(rustgrad.tensor([1, 0, 2]), dim=1), a)
    check_grads(lambda x: x.repeat_interleave(2, dim=0), a)
    r = rustgrad.repeat_interleave(rustgrad.tensor([1, 2, 0, 3]))
    assert r.tolist() == torch.repeat_interleave(torch.tensor([1, 2, 0, 3])).tolist()
    assert r.dtype == rustgrad.int64


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2, 3).repeat_interleave(lib.tensor([1, 2, 3]), dim=0),
    lambda lib: lib.zeros(2, 3).repeat_interleave(-1),
    lambda lib: lib.zeros(2, 3).repeat_interleave(lib.tensor([[1]])),
    lambda lib: lib.zeros(2, 3).repeat_interleave(lib.tensor([1, -1]), dim=0),
    lambda lib: lib.zeros(2, 3).repeat_interleave(2, dim=3),
    lambda lib: lib.zeros(2, 3).repeat_interleave(2, output_size=3),
    lambda lib: lib.repeat_interleave(lib.tensor([[1, 2]])),
    lambda lib: lib.repeat_interleave(lib.tensor([1.0, 2])),
    lambda lib: lib.repeat_interleave(lib.zeros(2), 2.0),
    lambda lib: lib.repeat_interleave(lib.zeros(2), "a"),
])
def test_repeat_interleave_errors(call):
    _same_error(call)


# ----- tile / ravel / fliplr / flipud -----
@EXAMPLES
@given(shapes(min_dims=0, max_dims=3), st.lists(st.integers(1, 3), max_size=4), st.data())
def test_tile_matches_numpy(shape, reps, data):
    a, t = data.draw(tensors("float64", shape))
    np.testing.assert_array_equal(to_numpy(rustgrad.tile(t, reps)), np.tile(a, reps))
    np.testing.assert_array_equal(to_numpy(t.ravel()), a.ravel())


def test_tile_ravel_flip_grads_and_names():
    a = np.random.default_rng(1).standard_normal((2, 3))
    for fn in (lambda lib, x: x.tile(2), lambda lib, x: lib.tile(x, (2, 1, 1)), lambda lib, x: x.tile(1, 1),
               lambda lib, x: x.t().ravel(), lambda lib, x: lib.ravel(x), lambda lib, x: x.fliplr(),
               lambda lib, x: lib.flipud(x)):
        ours, theirs = _both(fn, a)
        assert _name(ours) == _name(theirs)
        check_against_torch(fn, a)
    check_grads(lambda x: x.tile(2, 2), a)
    check_grads(lambda x: rustgrad.fliplr(x), a)
    np.testing.assert_array_equal(to_numpy(rustgrad.fliplr(rustgrad.tensor(a))), np.fliplr(a))
    np.testing.assert_array_equal(to_numpy(rustgrad.tensor(a).flipud()), np.flipud(a))


@pytest.mark.parametrize("call", [
    lambda lib: lib.zeros(2).tile(2.0),
    lambda lib: lib.zeros(2).tile(-1),
    lambda lib: lib.fliplr(lib.zeros(3)),
    lambda lib: lib.flipud(lib.zeros(())),
    lambda lib: lib.ravel([1, 2]),
])
def test_tile_flip_errors(call):
    _same_error(call)


# ----- broadcasting -----
@pytest.mark.parametrize("shapes_", [((2, 1), (3,)), (2, (3, 1)), ((), (1, 4)), ((1, 1, 1), (2,), [3, 1]), ()])
def test_broadcast_shapes_matches_torch(shapes_):
    torch = torch_or_skip()
    got = rustgrad.broadcast_shapes(*shapes_)
    assert tuple(got) == tuple(torch.broadcast_shapes(*shapes_))
    assert isinstance(got, rustgrad.Size)


@pytest.mark.parametrize("call", [
    lambda lib: lib.broadcast_shapes((2,), (3,)),
    lambda lib: lib.broadcast_shapes((2, -1)),
    lambda lib: lib.broadcast_tensors(lib.zeros(2, 3), lib.zeros(4)),
])
def test_broadcast_errors(call):
    _same_error(call)


def test_broadcast_tensors_values_grads_names():
    torch = torch_or_skip()
    a = np.random.default_rng(2).standard_normal((3,))
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True)
        y, z = lib.broadcast_tensors(x, lib.zeros(2, 1, dtype=lib.float64))
        assert tuple(y.shape) == (2, 3) and tuple(z.shape) == (2, 3)
        assert type(y.grad_fn).__name__ == "ExpandBackward0" and y._base is x
        (w,) = lib.broadcast_tensors(x)
        assert w is x
    check_grads(lambda x, y: rustgrad.broadcast_tensors(x, y)[0] * rustgrad.broadcast_tensors(x, y)[1],
                a, np.ones((2, 1)))


# ----- clamp_max / clamp_min -----
def test_clamp_max_min_values_grads_names():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3,))
    for fn in (lambda lib, x: lib.clamp_max(x, 0.1), lambda lib, x: x.clamp_max(-0.2),
               lambda lib, x: lib.clamp_min(x, 0.1), lambda lib, x: x.clamp_max(lib.tensor(b)),
               lambda lib, x: lib.clamp_min(x, lib.tensor(b))):
        ours, theirs = _both(fn, a)
        assert _name(ours) == _name(theirs)
        check_against_torch(fn, a)
    check_grads(lambda x, m: x.clamp_max(m), a, b)
    check_against_torch(lambda lib, x, m: lib.clamp_max(x, m), a, b)
    np.testing.assert_array_equal(to_numpy(rustgrad.tensor(a).clamp_max(0.0)), np.minimum(a, 0.0))
    torch = torch_or_skip()
    ours = rustgrad.clamp_max(rustgrad.tensor([1, 2, 3]), 2)
    theirs = torch.clamp_max(torch.tensor([1, 2, 3]), 2)
    assert ours.tolist() == theirs.tolist() and str(ours.dtype)[-5:] == str(theirs.dtype)[-5:]


def test_clamp_max_double_backward():
    x = rustgrad.tensor([0.5, -1.0, 2.0], dtype=rustgrad.float64, requires_grad=True)
    y = (x.clamp_max(1.0) ** 2).sum()
    (g,) = rustgrad.autograd.grad(y, x, create_graph=True)
    (gg,) = rustgrad.autograd.grad(g.sum(), x)
    assert gg.tolist() == [2.0, 2.0, 0.0]


@pytest.mark.parametrize("call", [
    lambda lib: lib.clamp_max([1.0], 0),
    lambda lib: lib.clamp_min([1.0], 0),
    lambda lib: lib.clamp_min(lib.zeros(2), None),
    lambda lib: lib.zeros(2).clamp_max("a"),
])
def test_clamp_max_errors(call):
    _same_error(call)


# ----- aminmax -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, min_side=1), st.booleans(), st.data())
def test_aminmax_matches_numpy(shape, keepdim, data):
    a, t = data.draw(tensors("float64", shape))
    d = data.draw(st.integers(-len(shape), len(shape) - 1))
    lo, hi = rustgrad.aminmax(t, dim=d, keepdim=keepdim)
    np.testing.assert_array_equal(to_numpy(lo), a.min(axis=d, keepdims=keepdim))
    np.testing.assert_array_equal(to_numpy(hi), a.max(axis=d, keepdims=keepdim))
    r = t.aminmax()
    assert float(r.min) == a.min() and float(r.max) == a.max()


def test_aminmax_grads_ties_and_names():
    torch = torch_or_skip()
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.5]])
    for kw in ({}, {"dim": 1}, {"dim": 0, "keepdim": True}, {"keepdim": True}):
        check_against_torch(lambda lib, x: (lambda r: r.min * 2 + r.max)(lib.aminmax(x, **kw)), a)
        r = rustgrad.aminmax(rustgrad.tensor(a, requires_grad=True), **kw)
        t = torch.aminmax(torch.tensor(a, requires_grad=True), **kw)
        assert _name(r.min) == _name(t.min) == "AminmaxBackward0"
        assert r.min.shape == tuple(t.min.shape)
    b = np.random.default_rng(4).standard_normal((3, 4))
    check_grads(lambda x: (lambda r: r[0] - 3 * r[1])(x.aminmax(dim=0)), b)
    assert "rustgrad.return_types.aminmax(" in repr(rustgrad.aminmax(rustgrad.tensor([1.0])))


@pytest.mark.parametrize("call", [
    lambda lib: lib.aminmax(lib.zeros(0)),
    lambda lib: lib.aminmax(lib.zeros(2, 0), dim=1),
    lambda lib: lib.aminmax(lib.zeros(2, 3), 1),
    lambda lib: lib.aminmax(lib.zeros(2, 3), dim=2),
])
def test_aminmax_errors(call):
    _same_error(call)


# ----- isin -----
@EXAMPLES
@given(st.lists(st.integers(-5, 5), max_size=12), st.lists(st.integers(-5, 5), max_size=6), st.booleans())
def test_isin_matches_numpy(elements, tests, invert):
    got = rustgrad.isin(rustgrad.tensor(elements, dtype=rustgrad.int64), rustgrad.tensor(tests, dtype=rustgrad.int64),
                        invert=invert)
    assert got.tolist() == np.isin(elements, tests, invert=invert).tolist()
    assert got.dtype == rustgrad.bool


def test_isin_scalar_forms_and_errors():
    torch = torch_or_skip()
    for call in (lambda lib: lib.isin(lib.tensor([1, 2, 3]), 2), lambda lib: lib.isin(2, lib.tensor([1, 2])),
                 lambda lib: lib.isin(lib.tensor([[1.0, 2.0]]), lib.tensor([2, 5]), invert=True),
                 lambda lib: lib.isin(lib.tensor([1, 2]), lib.tensor([], dtype=lib.int64))):
        ours, theirs = call(rustgrad), call(torch)
        assert ours.tolist() == theirs.tolist() and ours.shape == tuple(theirs.shape)
    _same_error(lambda lib: lib.isin(1, 2))


# ----- creation -----
@pytest.mark.parametrize("args,kw", [((0, 2, 3), {}), ((0, 1, 5), {"base": 2}), ((-1, 1, 4), {"dtype": "float64"}),
                                     ((0, 3, 4), {"base": 2, "dtype": "int64"}), ((0, 1, 1), {}), ((0, 1, 0), {})])
def test_logspace_matches_torch(args, kw):
    torch = torch_or_skip()
    kw_r = {k: getattr(rustgrad, v) if k == "dtype" else v for k, v in kw.items()}
    kw_t = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
    ours, theirs = rustgrad.logspace(*args, **kw_r), torch.logspace(*args, **kw_t)
    np.testing.assert_allclose(np.array(ours.tolist()), theirs.numpy(), rtol=1e-6)
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    assert rustgrad.logspace(0, 1, 3, requires_grad=True).requires_grad


def test_scalar_tensor_and_detach():
    torch = torch_or_skip()
    for v, dt in ((3, None), (3, "int64"), (True, None), (2.5, "float64")):
        ours = rustgrad.scalar_tensor(v, **({} if dt is None else {"dtype": getattr(rustgrad, dt)}))
        theirs = torch.scalar_tensor(v, **({} if dt is None else {"dtype": getattr(torch, dt)}))
        assert ours.item() == theirs.item() and ours.shape == () and str(ours.dtype)[-5:] == str(theirs.dtype)[-5:]
    _same_error(lambda lib: lib.scalar_tensor(lib.zeros(1)))
    _same_error(lambda lib: lib.logspace(0, 1, -1))
    x = rustgrad.ones(2, requires_grad=True)
    d = rustgrad.detach(x * 2)
    assert not d.requires_grad and d.grad_fn is None


# ----- random -----
def test_normal_overloads_shapes_names_and_statistics():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        m = lib.zeros(2, 3, requires_grad=True)
        s = lib.ones(3, requires_grad=True)
        assert type(lib.normal(m, 1.0).grad_fn).__name__ == "NormalBackward1"
        assert type(lib.normal(0.0, s).grad_fn).__name__ == "NormalBackward2"
        y = lib.normal(m, s)
        assert type(y.grad_fn).__name__ == "NormalBackward3" and tuple(y.shape) == (2, 3)
        gm, gs = lib.autograd.grad(y.sum(), [m, s])
        assert gm.abs().sum().item() == 0 and gs.abs().sum().item() == 0 and tuple(gs.shape) == (3,)
        z = lib.normal(2.0, 3.0, (2, 4), dtype=lib.float64)
        assert tuple(z.shape) == (2, 4) and z.dtype == lib.float64
    g = rustgrad.Generator().manual_seed(5)
    big = rustgrad.normal(1.5, 2.0, (20000,), generator=g)
    assert abs(float(big.mean()) - 1.5) < 0.1 and abs(float(big.std()) - 2.0) < 0.1
    g1, g2 = rustgrad.Generator().manual_seed(7), rustgrad.Generator().manual_seed(7)
    assert rustgrad.normal(rustgrad.zeros(4), 1.0, generator=g1).tolist() == \
        rustgrad.normal(rustgrad.zeros(4), 1.0, generator=g2).tolist()


@pytest.mark.parametrize("call", [
    lambda lib: lib.normal(lib.zeros(2), -1.0),
    lambda lib: lib.normal(0.0, -lib.ones(2)),
    lambda lib: lib.normal(0.0, -1.0, (2,)),
    lambda lib: lib.normal(lib.zeros(2, 3), lib.ones(5)),
    lambda lib: lib.normal(lib.tensor([1, 2]), 1.0),
    lambda lib: lib.normal(0.0, 1.0),
])
def test_normal_errors(call):
    _same_error(call)


def test_multinomial_shapes_distribution_and_generator():
    w = rustgrad.tensor([0.0, 1.0, 3.0])
    draws = rustgrad.multinomial(w, 4000, True, generator=rustgrad.Generator().manual_seed(1))
    counts = np.bincount(np.array(draws.tolist()), minlength=3)
    assert counts[0] == 0 and abs(counts[2] / 4000 - 0.75) < 0.04
    rows = rustgrad.ones(3, 5).multinomial(5)
    assert rows.shape == (3, 5) and rows.dtype == rustgrad.int64
    assert all(sorted(r) == list(range(5)) for r in rows.tolist())
    a = rustgrad.multinomial(w, 2, generator=rustgrad.Generator().manual_seed(3))
    b = rustgrad.multinomial(w, 2, generator=rustgrad.Generator().manual_seed(3))
    assert a.tolist() == b.tolist() and set(a.tolist()) == {1, 2}


@pytest.mark.parametrize("call", [
    lambda lib: lib.multinomial(lib.tensor([1.0, 2]), 3),
    lambda lib: lib.multinomial(lib.ones(2, 3, 1), 2),
    lambda lib: lib.multinomial(lib.ones(3), 0),
    lambda lib: lib.multinomial(lib.ones(3, dtype=lib.int64), 1),
    lambda lib: lib.ones(3).multinomial(-1),
    lambda lib: lib.multinomial(lib.tensor([1.0, -1.0]), 1),
])
def test_multinomial_errors(call):
    _same_error(call)


def test_randint_like_and_poisson():
    torch = torch_or_skip()
    x = rustgrad.zeros(2, 3)
    r = rustgrad.randint_like(x, 5)
    assert r.shape == (2, 3) and r.dtype == rustgrad.float32 and 0 <= float(r.min()) and float(r.max()) < 5
    r = rustgrad.randint_like(x, 2, 4, dtype=rustgrad.int64)
    assert r.dtype == rustgrad.int64 and set(r.flatten().tolist()) <= {2, 3}
    _same_error(lambda lib: lib.randint_like(lib.zeros(2), 5, 2))
    _same_error(lambda lib: lib.randint_like(lib.zeros(2), 0))
    rates = rustgrad.tensor([0.0, 0.5, 4.0, 300.0], dtype=rustgrad.float64).repeat(3000, 1)
    p = rustgrad.poisson(rates, generator=rustgrad.Generator().manual_seed(2))
    assert (np.array(p.tolist()) == np.round(p.tolist())).all()
    mean, var = np.array(p.mean(0).tolist()), np.array(p.var(0).tolist())
    np.testing.assert_allclose(mean, [0, 0.5, 4, 300], rtol=0.05, atol=0.02)
    np.testing.assert_allclose(var, [0, 0.5, 4, 300], rtol=0.12, atol=0.02)
    for lib in (rustgrad, torch):
        s = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.poisson(s)
        assert type(y.grad_fn).__name__ == "PoissonBackward0"
        assert lib.autograd.grad(y.sum(), s)[0].tolist() == [0.0, 0.0]
    _same_error(lambda lib: lib.poisson(lib.tensor([-1.0, 2])))
    _same_error(lambda lib: lib.poisson(lib.tensor([1, 2])))
