"""atan2, lerp (number and tensor weight) and var_mean / std_mean: values against numpy,
gradients by finite differences (float64) and against PyTorch, grad_fn names, saved attributes
and errors against PyTorch (torch 2.13)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import arrays, broadcastable, shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=12, deadline=None)
FEW = settings(max_examples=5, deadline=None)


# ----- atan2 -----
@EXAMPLES
@given(broadcastable(2, max_dims=3), st.sampled_from(["float64", "float32"]), st.data())
def test_atan2_matches_numpy(shapes_, dtype, data):
    a, ta = data.draw(tensors(dtype, shapes_[0]))
    b, tb = data.draw(tensors(dtype, shapes_[1]))
    got = rustgrad.atan2(ta, tb)
    assert got.dtype == ta.dtype
    np.testing.assert_allclose(to_numpy(got), np.arctan2(a, b), rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)
    np.testing.assert_allclose(to_numpy(ta.atan2(tb)), to_numpy(got))


@FEW
@given(broadcastable(2, max_dims=2), st.data())
def test_atan2_grads(shapes_, data):
    a = data.draw(arrays("float64", shapes_[0], low=0.5, high=3))
    b = data.draw(arrays("float64", shapes_[1], low=-3, high=3))
    check_grads(rustgrad.atan2, a, b)
    check_against_torch(lambda lib, x, y: lib.atan2(x, y), a, b)


def test_atan2_dtypes_and_node():
    assert rustgrad.atan2(rustgrad.tensor([1, 2]), rustgrad.tensor([1, 0])).dtype == rustgrad.float32
    assert rustgrad.atan2(rustgrad.tensor([1.0]), rustgrad.tensor(1.0, dtype=rustgrad.float64)).dtype == rustgrad.float32
    assert rustgrad.arctan2(rustgrad.tensor([1], dtype=rustgrad.int32), rustgrad.tensor([1.0], dtype=rustgrad.float64)).dtype == rustgrad.float64
    a, b = rustgrad.randn(3, requires_grad=True), rustgrad.randn(3, requires_grad=True)
    y = rustgrad.atan2(a, b)
    assert y.grad_fn.name() == "Atan2Backward0"
    assert y.grad_fn._saved_self is a and y.grad_fn._saved_other is b


@pytest.mark.parametrize("call", [
    lambda lib: lib.atan2(lib.ones(3), 2.0),
    lambda lib: lib.ones(3).atan2(2),
    lambda lib: lib.atan2(lib.ones(3), lib.ones(2)),
    lambda lib: lib.atan2(2.0, lib.ones(3)),
])
def test_atan2_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- lerp -----
@EXAMPLES
@given(broadcastable(3, max_dims=3), st.sampled_from(["float64", "float32"]), st.floats(-1.5, 1.5), st.data())
def test_lerp_matches_numpy(shapes_, dtype, w, data):
    s, ts = data.draw(tensors(dtype, shapes_[0]))
    e, te = data.draw(tensors(dtype, shapes_[1]))
    wa, tw = data.draw(tensors(dtype, shapes_[2], low=-1.5, high=1.5))
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(to_numpy(rustgrad.lerp(ts, te, w)), s + w * (e - s), **tol)
    np.testing.assert_allclose(to_numpy(ts.lerp(te, tw)), s + wa * (e - s), **tol)


@FEW
@given(broadcastable(3, max_dims=2), st.data())
def test_lerp_grads(shapes_, data):
    s, e, w = (data.draw(arrays("float64", shape)) for shape in shapes_)
    check_grads(lambda a, b: rustgrad.lerp(a, b, 0.3), s, e)
    check_grads(rustgrad.lerp, s, e, w)
    check_against_torch(lambda lib, a, b: lib.lerp(a, b, 0.7), s, e)
    check_against_torch(lambda lib, a, b, c: lib.lerp(a, b, c), s, e, w)


def test_lerp_nodes_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        a, b = lib.randn(3, requires_grad=True), lib.randn(3, requires_grad=True)
        y = lib.lerp(a, b, 0.3)
        assert type(y.grad_fn).__name__ == "LerpBackward0" or y.grad_fn.name() == "LerpBackward0"
        assert y.grad_fn._saved_weight == 0.3 and lib.lerp(a, b, 1).grad_fn._saved_weight == 1
        w = lib.rand(3, requires_grad=True)
        z = lib.lerp(a, b, w)
        assert z.grad_fn.name() == "LerpBackward1"
        assert z.grad_fn._saved_self is a and z.grad_fn._saved_end is b and z.grad_fn._saved_weight is w
        assert lib.lerp(lib.ones(3), a, lib.tensor(0.5)).grad_fn.name() == "LerpBackward1"
    # A 0-d weight of another float dtype is accepted.
    assert str(rustgrad.lerp(rustgrad.tensor([1.0, 2.0]), rustgrad.tensor([3.0, 3.0]), rustgrad.tensor(0.5, dtype=rustgrad.float64))) == \
        str(torch.lerp(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 3.0]), torch.tensor(0.5, dtype=torch.float64)))


# ----- lerp_ (in place) -----
@EXAMPLES
@given(broadcastable(2, max_dims=3), st.sampled_from(["float64", "float32"]), st.floats(-1.5, 1.5), st.booleans(), st.data())
def test_lerp_in_place_matches_numpy(shapes_, dtype, w, tensor_weight, data):
    target_shape = np.broadcast_shapes(*shapes_)
    s = data.draw(arrays(dtype, target_shape))
    e, te = data.draw(tensors(dtype, shapes_[0]))
    wa, tw = data.draw(tensors(dtype, shapes_[1], low=-1.5, high=1.5))
    ts = rustgrad.tensor(s)
    version = ts._version
    out = ts.lerp_(te, tw) if tensor_weight else ts.lerp_(te, w)
    weight = wa if tensor_weight else w
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    assert out is ts and ts._version == version + 1
    np.testing.assert_allclose(to_numpy(ts), s + weight * (e - s), **tol)


@FEW
@given(broadcastable(3, max_dims=2), st.data())
def test_lerp_in_place_grads(shapes_, data):
    target_shape = np.broadcast_shapes(*shapes_)
    s = data.draw(arrays("float64", target_shape))
    e, w = (data.draw(arrays("float64", shape)) for shape in shapes_[1:])
    check_grads(lambda a, b: a.clone().lerp_(b, 0.3), s, e)
    check_grads(lambda a, b, c: a.clone().lerp_(b, c), s, e, w)
    check_against_torch(lambda lib, a, b: a.clone().lerp_(b, 0.7), s, e)
    check_against_torch(lambda lib, a, b, c: (a * 1).lerp_(b, c), s, e, w)


def test_lerp_in_place_nodes_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        a, b, w = (lib.rand(3, requires_grad=True) for _ in range(3))
        y = a.clone()
        assert y.lerp_(b, 0.3) is y and y.grad_fn.name() == "LerpBackward0" and y._version == 1
        y.sum().backward()
        y.sum().backward()  # LerpBackward0 saves no tensor: a second backward works
        z = a.clone()
        z.lerp_(b, w)
        assert z.grad_fn.name() == "LerpBackward1" and z.grad_fn._saved_end is b and z.grad_fn._saved_weight is w
        z.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            z.sum().backward()
    # the gradients are the out-of-place op's: d self = 1 - w, d weight = end - self (self before the write)
    a, b, w = (rustgrad.tensor([0.1, 0.5, 0.9], requires_grad=True) for _ in range(3))
    z = a.clone()
    z.lerp_(b * 2, w)
    z.sum().backward()
    assert a.grad.tolist() == pytest.approx([0.9, 0.5, 0.1]) and w.grad.tolist() == pytest.approx([0.1, 0.5, 0.9])


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(1).lerp_(lib.zeros(3), 0.5),
    lambda lib: lib.ones(3, dtype=lib.float64).lerp_(lib.zeros(3), 0.5),
    lambda lib: lib.ones(3).lerp_("a", 0.5),
    lambda lib: lib.ones(3).lerp_(lib.ones(3), "a"),
    lambda lib: lib.ones(3, requires_grad=True).lerp_(lib.zeros(3), 0.5),
    lambda lib: lib.ones(3).lerp_(lib.ones(4), lib.ones(3)),
])
def test_lerp_in_place_errors_match_torch(call):
    assert_same_error_as_torch(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3, dtype=lib.float64), 0.5),
    lambda lib: lib.lerp(lib.tensor([1, 2]), lib.tensor([1, 0]), 0.5),
    lambda lib: lib.lerp(lib.tensor([1, 2]), lib.tensor([1, 0]), lib.tensor([0, 1])),
    lambda lib: lib.lerp(lib.ones(2), lib.ones(2), lib.tensor([0, 1])),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), lib.rand(3, dtype=lib.float64)),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), lib.rand(4)),
    lambda lib: lib.lerp(lib.ones(3), 2.0, 0.5),
    lambda lib: lib.lerp(lib.ones(3), lib.ones(3), "a"),
    lambda lib: lib.ones(3).lerp(2.0, 0.5),
])
def test_lerp_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- var_mean / std_mean -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, min_side=2), st.sampled_from(["float64", "float32"]), st.data())
def test_var_mean_matches_numpy(shape, dtype, data):
    a, t = data.draw(tensors(dtype, shape))
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    correction = data.draw(st.sampled_from([0, 1]))
    keepdim = data.draw(st.booleans())
    axis = None if dim is None else dim % len(shape)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == "float32" else dict(rtol=1e-10, atol=1e-10)
    for f, root in ((rustgrad.var_mean, False), (rustgrad.std_mean, True)):
        spread, mean = f(t, dim, keepdim=keepdim, correction=correction)
        want = np.var(a, axis=axis, ddof=correction, keepdims=keepdim)
        np.testing.assert_allclose(to_numpy(spread), np.sqrt(want) if root else want, **tol)
        np.testing.assert_allclose(to_numpy(mean), np.mean(a, axis=axis, keepdims=keepdim), **tol)
        assert spread.dtype == t.dtype and mean.dtype == t.dtype


@FEW
@given(shapes(min_dims=1, max_dims=3, min_side=2), st.data())
def test_var_mean_grads(shape, data):
    # Spread values: std is not differentiable where every value along dim is equal.
    a = data.draw(arrays("float64", shape, low=-1, high=1)) + np.arange(np.prod(shape)).reshape(shape) * 2.5
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    for f in (rustgrad.var_mean, rustgrad.std_mean):
        # Both outputs feed the loss: the node's formula sums both contributions.
        check_grads(lambda x: (lambda r: r[0] * 2 + r[1])(f(x, dim, keepdim=True)), a)
        check_grads(lambda x: (lambda r: r[0] - r[1] * 3)(f(x)), a)
    check_against_torch(lambda lib, x: (lambda r: r[0] * 2 + r[1])(lib.std_mean(x, dim, keepdim=True)), a)
    check_against_torch(lambda lib, x: (lambda r: r[0] + r[1])(lib.var_mean(x, dim, correction=0)), a)


def test_var_mean_nodes_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.randn(3, 4, requires_grad=True)
        s, m = lib.std_mean(x, dim=1)
        assert s.grad_fn.name() == "StdMeanBackward0" and m.grad_fn.name() == "StdMeanBackward0"
        assert s.grad_fn._saved_correction == 1 and tuple(s.grad_fn._saved_dim) == (1,) and s.grad_fn._saved_keepdim is False
        assert s.grad_fn._saved_self is x and s.grad_fn._saved_result0.equal(s)
        v, m = lib.var_mean(x, 1, unbiased=False, keepdim=True)
        assert v.grad_fn.name() == "VarMeanBackward0" and v.grad_fn._saved_correction == 0
        v, m = lib.var_mean(x)
        assert v.grad_fn._saved_correction is None and v.grad_fn._saved_dim is None
        assert isinstance(lib.var_mean(x, True), tuple)
        # Only the result and self are saved: a second backward fails as PyTorch's.
        v, m = lib.var_mean(x, 1)
        (v.sum() + m.sum()).backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            (v.sum() + m.sum()).backward()
    assert str(rustgrad.std_mean(rustgrad.tensor([[1.0, 2.0], [3.0, 5.0]]), (0, 1), correction=2)) == \
        str(torch.std_mean(torch.tensor([[1.0, 2.0], [3.0, 5.0]]), (0, 1), correction=2)).replace("torch.", "rustgrad.")


@pytest.mark.parametrize("call", [
    lambda lib: lib.var_mean(lib.arange(3)),
    lambda lib: lib.std_mean(lib.arange(3)),
    lambda lib: lib.std_mean(lib.ones(2, 3), unbiased=True, correction=1),
    lambda lib: lib.var_mean(lib.ones(2, 3), 2),
    lambda lib: lib.var_mean([1.0]),
])
def test_var_mean_errors_match_torch(call):
    assert_same_error_as_torch(call)
