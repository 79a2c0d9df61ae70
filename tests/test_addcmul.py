"""``addcmul`` / ``addcdiv`` (methods, in-place forms, functions): values against numpy with
broadcasting, gradients against finite differences in float64, PyTorch's floats, nodes and errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import broadcastable

OPS = ["addcmul", "addcdiv"]


def reference(name, s, t1, t2, value):
    return s + value * t1 * t2 if name == "addcmul" else s + value * t1 / t2


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(OPS), shapes=broadcastable(3, max_dims=3), value=st.sampled_from([1, -0.5, 2.0]),
       seed=st.integers(0, 999))
def test_values_match_numpy_with_broadcasting(name, shapes, value, seed):
    rng = np.random.default_rng(seed)
    s, t1, t2 = (rng.uniform(0.5, 2.0, shape) for shape in shapes)
    got = getattr(rustgrad, name)(*(rustgrad.tensor(a) for a in (s, t1, t2)), value=value)
    np.testing.assert_allclose(got.numpy(), reference(name, s, t1, t2, value), rtol=1e-12)
    method = getattr(rustgrad.tensor(s), name)(rustgrad.tensor(t1), rustgrad.tensor(t2), value=value)
    np.testing.assert_array_equal(method.numpy(), got.numpy())


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(OPS), shapes=broadcastable(3, max_dims=2, max_side=3), seed=st.integers(0, 999))
def test_gradients_match_finite_differences(name, shapes, seed):
    rng = np.random.default_rng(seed)
    s, t1, t2 = (rng.uniform(0.5, 2.0, shape) for shape in shapes)
    check_grads(lambda a, b, c: getattr(rustgrad, name)(a, b, c, value=-1.5), s, t1, t2)


@pytest.mark.parametrize("name", OPS)
def test_in_place_writes_the_target_and_records_the_node(name):
    x = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    version = y._version
    out = getattr(y, name + "_")(rustgrad.tensor([3.0, 4.0]), rustgrad.tensor([2.0]), value=0.5)
    assert out is y and y._version == version + 1
    assert type(y.grad_fn).__name__ == ("AddcmulBackward0" if name == "addcmul" else "AddcdivBackward0")
    want = [4.0, 6.0] if name == "addcmul" else [1.75, 3.0]
    assert y.tolist() == want
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_integer_addcmul_casts_value_like_torch():
    i = rustgrad.tensor([1, 2])
    assert i.addcmul(i, i, value=0.5).tolist() == [1, 2]  # value truncated to the int64 result type
    assert i.addcmul(i, i, value=2).tolist() == [3, 10]
    assert i.addcmul(rustgrad.ones(2), rustgrad.ones(2)).dtype == rustgrad.float32


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bitwise_equal_to_torch(name, dtype):
    torch = torch_or_skip()
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal((3, 4)).astype(dtype) for _ in range(2)] + [rng.uniform(0.5, 2, 4).astype(dtype)]
    ours = getattr(rustgrad, name)(*(rustgrad.from_numpy(a) for a in arrays), value=0.3).numpy()
    theirs = getattr(torch, name)(*(torch.from_numpy(a) for a in arrays), value=0.3).numpy()
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", OPS)
def test_gradients_and_saved_values_match_torch(name):
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    arrays = [rng.uniform(0.5, 2, (2, 3)), rng.uniform(0.5, 2, (3,)), rng.uniform(0.5, 2, (2, 1))]
    check_against_torch(lambda lib, a, b, c: getattr(lib, name)(a, b, c, value=2.5), *arrays)
    for lib in (rustgrad, torch):
        x = lib.ones(2, requires_grad=True)
        node = getattr(x, name)(x, x, value=2).grad_fn
        assert node._saved_value == 2


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2).addcmul(1.5, lib.ones(2)),
    lambda lib: lib.ones(2).addcmul(lib.ones(2), lib.ones(2), value=None),
    lambda lib: lib.ones(2).addcmul(lib.ones(2), lib.ones(2), scale=2),
    lambda lib: lib.ones(2).addcdiv(lib.tensor([1]), lib.tensor([1])),
    lambda lib: lib.tensor([1, 2]).addcdiv_(lib.ones(2), lib.ones(2)),
    lambda lib: lib.ones(2).addcmul(lib.ones(2), lib.ones(3)),
    lambda lib: lib.ones(4).addcmul(lib.ones(3), lib.ones(4)),
    lambda lib: lib.ones(2, dtype=lib.bool).addcmul(lib.ones(2, dtype=lib.bool), lib.ones(2, dtype=lib.bool)),
    lambda lib: lib.ones(2).expand(2, 2).addcmul_(lib.ones(2), lib.ones(2)),
    lambda lib: lib.ones(2).addcmul_(lib.ones(2, 2), lib.ones(2)),
    lambda lib: lib.addcmul(1.0, lib.ones(2), lib.ones(2)),
    lambda lib: lib.addcdiv(lib.ones(2), lib.ones(2), "a"),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
