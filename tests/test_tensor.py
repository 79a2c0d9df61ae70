"""Tensor creation, attributes and conversions (spec sections 1.5, 11 and 12).

Strings are PyTorch 2.13's, with ``torch`` spelt ``rustgrad`` (spec decision Q1).
"""

import re

import numpy as np
import pytest

import rustgrad

from _helpers import torch_or_skip, assert_error, assert_same_error_as_torch


def _raises(exc_type, message, fn):
    """fn() raises exactly exc_type with str(exc) == message."""
    with pytest.raises(exc_type) as info:
        fn()
    assert type(info.value) is exc_type
    assert str(info.value) == message


# --- rustgrad.tensor ------------------------------------------------------------------------------------

@pytest.mark.parametrize("data, dtype, text", [
    (3, rustgrad.int64, "tensor(3)"),
    (-7, rustgrad.int64, "tensor(-7)"),
    (1.5, rustgrad.float32, "tensor(1.5000)"),
    (14.0, rustgrad.float32, "tensor(14.)"),
    (True, rustgrad.bool, "tensor(True)"),
])
def test_tensor_from_python_number(data, dtype, text):
    t = rustgrad.tensor(data)
    assert t.dtype == dtype
    assert t.shape == ()
    assert t.dim() == 0
    assert repr(t) == text


def test_tensor_from_nested_lists():
    t = rustgrad.tensor([[1., 2., 3.], [4., 5., 6.]])
    assert t.shape == (2, 3)
    assert t.dtype == rustgrad.float32
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    t3 = rustgrad.tensor([[[1, 2]], [[3, 4]]])
    assert t3.shape == (2, 1, 2)
    assert t3.dtype == rustgrad.int64
    assert t3.tolist() == [[[1, 2]], [[3, 4]]]


def test_tensor_from_tuples_and_mixed_sequences():
    t = rustgrad.tensor(((1, 2), (3, 4)))
    assert t.dtype == rustgrad.int64
    assert t.tolist() == [[1, 2], [3, 4]]
    mixed = rustgrad.tensor([(1., 2.), [3., 4.]])
    assert mixed.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("data, dtype", [
    ([1, 2.5], rustgrad.float32),        # one float makes the whole tensor float
    ([True, 2], rustgrad.int64),         # bool and int promote to int64
    ([True, False], rustgrad.bool),
    ([1, 2], rustgrad.int64),
    ([[1, 2], [3, 4.0]], rustgrad.float32),
])
def test_tensor_dtype_inference(data, dtype):
    assert rustgrad.tensor(data).dtype == dtype


def test_tensor_empty_list():
    t = rustgrad.tensor([])
    assert t.shape == (0,)
    assert t.dtype == rustgrad.float32
    assert t.numel() == 0
    assert repr(t) == "tensor([])"


@pytest.mark.parametrize("np_dtype, dtype", [
    (np.float32, rustgrad.float32),
    (np.float64, rustgrad.float64),
    (np.int64, rustgrad.int64),
    (np.bool_, rustgrad.bool),
])
def test_tensor_from_numpy_keeps_dtype(np_dtype, dtype):
    a = np.array([[1, 0, 3], [4, 5, 0]]).astype(np_dtype)
    t = rustgrad.tensor(a)
    assert t.dtype == dtype
    assert t.shape == (2, 3)
    assert t.tolist() == a.tolist()
    back = t.numpy()
    assert back.dtype == a.dtype
    np.testing.assert_array_equal(back, a)


def test_tensor_from_numpy_does_not_alias():
    # torch.tensor always copies its data.
    a = np.array([1., 2.])
    t = rustgrad.tensor(a)
    a[0] = 100.
    assert t.tolist() == [1.0, 2.0]


def test_tensor_from_numpy_0d():
    t = rustgrad.tensor(np.array(2.5, dtype=np.float32))
    assert t.shape == () and repr(t) == "tensor(2.5000)"


def test_tensor_from_noncontiguous_numpy():
    a = np.arange(12, dtype=np.float64).reshape(3, 4).T  # Fortran-ordered view
    t = rustgrad.tensor(a)
    assert t.shape == (4, 3)
    assert t.tolist() == a.tolist()
    assert t.is_contiguous()


def test_tensor_from_numpy_with_dtype():
    t = rustgrad.tensor(np.array([1, 2], dtype=np.int64), dtype=rustgrad.float32)
    assert t.dtype == rustgrad.float32
    assert repr(t) == "tensor([1., 2.])"


@pytest.mark.parametrize("data, dtype, text", [
    ([1, 2], rustgrad.float32, "tensor([1., 2.])"),
    ([1, 2], rustgrad.float64, "tensor([1., 2.], dtype=rustgrad.float64)"),
    ([1.7, -1.7], rustgrad.int64, "tensor([ 1, -1])"),  # truncation toward zero
    ([0, 2], rustgrad.bool, "tensor([False,  True])"),
    (2, rustgrad.float64, "tensor(2., dtype=rustgrad.float64)"),
    (2.5, rustgrad.float64, "tensor(2.5000, dtype=rustgrad.float64)"),
])
def test_tensor_dtype_argument(data, dtype, text):
    t = rustgrad.tensor(data, dtype=dtype)
    assert t.dtype == dtype
    assert repr(t) == text


def test_tensor_requires_grad_argument():
    t = rustgrad.tensor([1., 2.], requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    assert repr(t) == "tensor([1., 2.], requires_grad=True)"


@pytest.mark.parametrize("data, message", [
    ([[1., 2.], [3.]], "expected sequence of length 2 at dim 1 (got 1)"),
    ([[[1., 2.]], [[3.]]], "expected sequence of length 2 at dim 2 (got 1)"),
    ([[1, 2, 3], [4, 5]], "expected sequence of length 3 at dim 1 (got 2)"),
])
def test_tensor_ragged_list_error(data, message):
    _raises(ValueError, message, lambda: rustgrad.tensor(data))


# --- factories ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("factory, value", [(rustgrad.zeros, 0.0), (rustgrad.ones, 1.0)])
@pytest.mark.parametrize("args", [(2, 3), ((2, 3),), ([2, 3],)])
def test_zeros_ones_size_forms(factory, value, args):
    t = factory(*args)
    assert t.shape == (2, 3)
    assert t.dtype == rustgrad.float32
    assert t.tolist() == [[value] * 3] * 2
    assert not t.requires_grad and t.is_leaf


def test_zeros_ones_scalar_shape_and_dtype():
    assert repr(rustgrad.zeros(())) == "tensor(0.)"
    assert repr(rustgrad.zeros([])) == "tensor(0.)"
    assert repr(rustgrad.ones(2, dtype=rustgrad.float64)) == "tensor([1., 1.], dtype=rustgrad.float64)"
    assert repr(rustgrad.zeros(2, 3, dtype=rustgrad.int64)) == "tensor([[0, 0, 0],\n        [0, 0, 0]])"
    assert repr(rustgrad.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"
    assert repr(rustgrad.zeros(0, 3)) == "tensor([], size=(0, 3))"


@pytest.mark.parametrize("size", [(2, 3), [2, 3]])
def test_full(size):
    t = rustgrad.full(size, 1.5)
    assert t.shape == (2, 3)
    assert t.dtype == rustgrad.float32
    assert t.tolist() == [[1.5] * 3] * 2


@pytest.mark.parametrize("fill, dtype, text", [
    (7., rustgrad.float32, "tensor([7., 7.])"),
    (7, rustgrad.int64, "tensor([7, 7])"),          # an int fill value gives int64
    (True, rustgrad.bool, "tensor([True, True])"),
])
def test_full_infers_dtype_from_fill_value(fill, dtype, text):
    t = rustgrad.full((2,), fill)
    assert t.dtype == dtype
    assert repr(t) == text


def test_full_dtype_and_requires_grad():
    t = rustgrad.full((2,), 3, dtype=rustgrad.float64, requires_grad=True)
    assert repr(t) == "tensor([3., 3.], dtype=rustgrad.float64, requires_grad=True)"


def test_zeros_like_ones_like():
    x = rustgrad.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    z = rustgrad.zeros_like(x)
    assert repr(z) == "tensor([[0., 0.],\n        [0., 0.]])"
    assert not z.requires_grad  # not inherited
    o = rustgrad.ones_like(x)
    assert o.tolist() == [[1.0, 1.0], [1.0, 1.0]] and not o.requires_grad
    assert repr(rustgrad.zeros_like(rustgrad.tensor([1, 2]))) == "tensor([0, 0])"
    assert repr(rustgrad.ones_like(rustgrad.tensor([1., 2.]), dtype=rustgrad.float64)) == \
        "tensor([1., 1.], dtype=rustgrad.float64)"
    assert rustgrad.ones_like(x, requires_grad=True).requires_grad


# --- shape, size, dtype, dims ---------------------------------------------------------------------------

def test_shape_is_size():
    x = rustgrad.zeros(2, 3)
    assert isinstance(x.shape, rustgrad.Size)
    assert type(x.shape) is rustgrad.Size
    assert repr(x.shape) == "rustgrad.Size([2, 3])"
    assert str(x.shape) == "rustgrad.Size([2, 3])"
    assert repr(type(x.shape)) == "<class 'rustgrad.Size'>"
    assert x.shape == (2, 3)
    assert isinstance(x.shape, tuple)
    assert repr(rustgrad.Size([])) == "rustgrad.Size([])"
    assert repr(rustgrad.tensor(1.).shape) == "rustgrad.Size([])"


def test_size_method():
    x = rustgrad.zeros(2, 3, 4)
    assert repr(x.size()) == "rustgrad.Size([2, 3, 4])"
    assert x.size() == x.shape
    assert x.size(1) == 3
    assert x.size(-1) == 4
    assert type(x.size(0)) is int
    _raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)", lambda: x.size(3))


def test_dtype_reprs():
    assert repr(rustgrad.float32) == "rustgrad.float32"
    assert str(rustgrad.int64) == "rustgrad.int64"
    assert repr(rustgrad.float64) == "rustgrad.float64"
    assert repr(rustgrad.bool) == "rustgrad.bool"
    assert rustgrad.float is rustgrad.float32
    assert rustgrad.double is rustgrad.float64
    assert rustgrad.long is rustgrad.int64
    assert repr(rustgrad.tensor(1).dtype) == "rustgrad.int64"
    assert repr(rustgrad.tensor(1.5).dtype) == "rustgrad.float32"
    assert repr(rustgrad.zeros(2, 3).dtype) == "rustgrad.float32"


def test_dim_ndim_numel_len():
    x = rustgrad.zeros(2, 3)
    assert x.dim() == 2 and x.ndim == 2
    assert x.numel() == 6
    assert len(rustgrad.zeros(3, 2)) == 3
    assert len(rustgrad.tensor([])) == 0
    s = rustgrad.tensor(1.)
    assert s.dim() == 0 and s.ndim == 0 and s.numel() == 1
    _raises(TypeError, "len() of a 0-d tensor", lambda: len(s))


# --- item, tolist, numpy --------------------------------------------------------------------------------

def test_item():
    v = rustgrad.tensor(3.5).item()
    assert v == 3.5 and type(v) is float
    i = rustgrad.tensor(3).item()
    assert i == 3 and type(i) is int
    b = rustgrad.tensor(True).item()
    assert b is True
    assert rustgrad.tensor([1.1]).item() == 1.100000023841858  # float32 widened to a Python float
    assert rustgrad.tensor([[2.5]], dtype=rustgrad.float64).item() == 2.5
    assert rustgrad.tensor(1.5, requires_grad=True).item() == 1.5


@pytest.mark.parametrize("data, n", [([1., 2.], 2), ([1, 2], 2), ([], 0)])
def test_item_multi_element_error(data, n):
    _raises(RuntimeError, f"a Tensor with {n} elements cannot be converted to Scalar",
            lambda: rustgrad.tensor(data).item())


def test_tolist():
    assert rustgrad.tensor([[1., 2.], [3., 4.]]).tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert rustgrad.tensor(2.).tolist() == 2.0
    assert type(rustgrad.tensor(5).tolist()) is int
    assert rustgrad.tensor([0.1, 0.2]).tolist() == [0.10000000149011612, 0.20000000298023224]
    assert rustgrad.tensor([[True]]).tolist() == [[True]]
    assert type(rustgrad.tensor([[True]]).tolist()[0][0]) is bool
    assert rustgrad.tensor([1., 2.], requires_grad=True).tolist() == [1.0, 2.0]
    assert rustgrad.zeros(0, 2).tolist() == []


def test_numpy_values():
    t = rustgrad.tensor([[1.5, 2.], [3., 4.]])
    a = t.numpy()
    assert isinstance(a, np.ndarray)
    assert a.dtype == np.float32 and a.shape == (2, 2)
    np.testing.assert_array_equal(a, np.array([[1.5, 2.], [3., 4.]], dtype=np.float32))
    z = rustgrad.tensor(2.5).numpy()
    assert z.shape == () and z.dtype == np.float32 and float(z) == 2.5
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    np.testing.assert_array_equal(x.detach().numpy(), np.array([1., 2.], dtype=np.float32))


def test_numpy_requires_grad_error():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    _raises(RuntimeError, "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
            x.numpy)
    _raises(RuntimeError, "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
            (x * 2).numpy)


# --- Python conversions ---------------------------------------------------------------------------------

def test_python_conversions():
    assert float(rustgrad.tensor(0.1)) == 0.10000000149011612
    assert float(rustgrad.tensor(3)) == 3.0 and type(float(rustgrad.tensor(3))) is float
    assert int(rustgrad.tensor(3.7)) == 3
    assert int(rustgrad.tensor(-3.7)) == -3
    assert int(rustgrad.tensor(True)) == 1
    assert int(rustgrad.tensor([1.])) == 1
    assert bool(rustgrad.tensor(0.)) is False
    assert bool(rustgrad.tensor([2.])) is True
    assert bool(rustgrad.tensor([0.])) is False
    assert "%.2f" % rustgrad.tensor(2.5) == "2.50"
    assert float(rustgrad.tensor(2., requires_grad=True)) == 2.0


@pytest.mark.parametrize("conv", [float, int])
def test_python_number_conversion_error(conv):
    _raises(ValueError, "only one element tensors can be converted to Python scalars",
            lambda: conv(rustgrad.tensor([1., 2.])))


def test_bool_conversion_errors():
    _raises(RuntimeError, "Boolean value of Tensor with more than one value is ambiguous",
            lambda: bool(rustgrad.tensor([1., 2.])))
    _raises(RuntimeError, "Boolean value of Tensor with no values is ambiguous",
            lambda: bool(rustgrad.tensor([])))


# --- layout ---------------------------------------------------------------------------------------------

def test_stride_and_contiguity():
    x = rustgrad.zeros(2, 3)
    assert x.stride() == (3, 1)
    assert type(x.stride()) is tuple
    assert x.is_contiguous() is True
    y = rustgrad.zeros(2, 3, 4)
    assert y.stride() == (12, 4, 1)
    assert y.stride(1) == 4
    assert y.stride(-1) == 1
    assert rustgrad.tensor(1.).stride() == ()
    _raises(IndexError, "Dimension out of range (expected to be in range of [-3, 2], but got 3)", lambda: y.stride(3))
    # Results of ops are contiguous too.
    assert (y * 2).is_contiguous() and (y * 2).stride() == (12, 4, 1)


# --- printing (a few; tests/test_printing.py covers the formatter) --------------------------------------

@pytest.mark.parametrize("make, text", [
    (lambda: rustgrad.tensor([2., 3.], requires_grad=True), "tensor([2., 3.], requires_grad=True)"),
    (lambda: rustgrad.tensor(3.14159265), "tensor(3.1416)"),
    (lambda: rustgrad.tensor([1, -2, 300]), "tensor([  1,  -2, 300])"),
    (lambda: rustgrad.tensor([[True, False], [False, True]]), "tensor([[ True, False],\n        [False,  True]])"),
    (lambda: rustgrad.tensor([[1.5, -2., 3.], [4., 5., 6.]], requires_grad=True),
     "tensor([[ 1.5000, -2.0000,  3.0000],\n        [ 4.0000,  5.0000,  6.0000]], requires_grad=True)"),
    (lambda: rustgrad.tensor([1., 2.], dtype=rustgrad.float64, requires_grad=True),
     "tensor([1., 2.], dtype=rustgrad.float64, requires_grad=True)"),
    (lambda: rustgrad.tensor([], dtype=rustgrad.int64), "tensor([], dtype=rustgrad.int64)"),
    (lambda: rustgrad.tensor([2., 3.], requires_grad=True) * 2, "tensor([4., 6.], grad_fn=<MulBackward0>)"),
])
def test_printing(make, text):
    t = make()
    assert repr(t) == text
    assert str(t) == text


def test_printing_containers():
    assert repr([rustgrad.tensor(1.), rustgrad.tensor([2.])]) == "[tensor(1.), tensor([2.])]"
    assert str((rustgrad.tensor(1.), rustgrad.tensor(2., requires_grad=True))) == \
        "(tensor(1.), tensor(2., requires_grad=True))"


# --- random numbers -------------------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [rustgrad.randn, rustgrad.rand])
def test_manual_seed_determinism(fn):
    rustgrad.manual_seed(123)
    a = fn(3, 4)
    b = fn(5)
    rustgrad.manual_seed(123)
    assert fn(3, 4).tolist() == a.tolist()
    assert fn(5).tolist() == b.tolist()
    assert a.tolist() != fn(3, 4).tolist()  # the stream advances
    rustgrad.manual_seed(124)
    assert fn(3, 4).tolist() != a.tolist()
    assert rustgrad.initial_seed() == 124


@pytest.mark.parametrize("fn", [rustgrad.randn, rustgrad.rand])
@pytest.mark.parametrize("args", [(2, 3), ((2, 3),), ([2, 3],)])
def test_random_size_forms(fn, args):
    t = fn(*args)
    assert t.shape == (2, 3)
    assert t.dtype == rustgrad.float32
    assert t.is_leaf and not t.requires_grad


def test_random_dtype_requires_grad_and_ranges():
    assert rustgrad.rand(()).shape == ()
    t = rustgrad.randn(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    assert rustgrad.randn(3, dtype=rustgrad.float64).dtype == rustgrad.float64
    rustgrad.manual_seed(0)
    u = np.array(rustgrad.rand(10000).tolist())
    assert u.min() >= 0.0 and u.max() < 1.0
    n = np.array(rustgrad.randn(1000).tolist())
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1


@pytest.mark.parametrize("name", ["randn", "rand"])
@pytest.mark.parametrize("size", [(3,), (2, 2), (4, 5), (17,), (100,), (3, 7, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_streams_match_pytorch(name, size, dtype):
    torch = torch_or_skip()
    for seed in (0, 42):
        rustgrad.manual_seed(seed)
        torch.manual_seed(seed)
        ours = getattr(rustgrad, name)(*size, dtype=getattr(rustgrad, dtype))
        theirs = getattr(torch, name)(*size, dtype=getattr(torch, dtype))
        assert ours.tolist() == theirs.tolist()
        # A second draw continues the same stream.
        assert getattr(rustgrad, name)(2).tolist() == getattr(torch, name)(2).tolist()



def test_dtypes_are_singletons():
    # PyTorch's dtypes are unique objects: `t.dtype is torch.float32` holds.
    assert rustgrad.tensor(1.).dtype is rustgrad.float32
    assert rustgrad.tensor(1).dtype is rustgrad.int64
    assert rustgrad.tensor(True).dtype is rustgrad.bool
    assert rustgrad.zeros(2, dtype=rustgrad.float64).dtype is rustgrad.float64
    assert rustgrad.float32 != rustgrad.float64


def test_int64_values_past_2_53_stay_exact():
    # Integers travel as i64, never through f64, from the nested list to item()/int()/index.
    big = 2 ** 62 + 1
    t = rustgrad.tensor([big, -big])
    assert t.tolist() == [big, -big]
    assert t[0].item() == big and int(t[1]) == -big
    assert [0, 1, 2][rustgrad.tensor(2)] == 2
    assert (-t).tolist() == [-big, big]


def test_negation_keeps_signed_zero_and_wraps_uint8():
    assert repr(-rustgrad.tensor([0.0, -0.0])) == "tensor([-0., 0.])"
    assert (-rustgrad.tensor([5], dtype=rustgrad.uint8)).tolist() == [251]
    assert (-rustgrad.tensor([-2 ** 63])).tolist() == [-2 ** 63]


def test_int_of_a_float_tensor_truncates_and_refuses_nan_and_inf():
    assert int(rustgrad.tensor(-2.7)) == -2 and int(rustgrad.tensor(True)) == 1
    with pytest.raises(ValueError, match="^cannot convert float NaN to integer$"):
        int(rustgrad.tensor(float("nan")))
    with pytest.raises(OverflowError, match="^cannot convert float infinity to integer$"):
        int(rustgrad.tensor(float("inf")))


# ----- allocation failures -----
# 2**46 float32 elements are 256 TiB, more than a process can map: malloc refuses them on any
# machine whatever its overcommit policy, and PyTorch raises its allocator's RuntimeError.
HUGE = 2 ** 46
SIDE = 2 ** 23  # SIDE * SIDE == HUGE


def _alloc_message(nbytes):
    return (
        "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
        f"you tried to allocate {nbytes} bytes. Error code 12 (Cannot allocate memory)"
    )


# (name, build(lib), bytes PyTorch reports)
ALLOCATIONS = [
    ("zeros", lambda L: L.zeros(HUGE), HUGE * 4),
    ("ones", lambda L: L.ones(HUGE, dtype=L.float64), HUGE * 8),
    ("empty", lambda L: L.empty(HUGE), HUGE * 4),
    ("full", lambda L: L.full((HUGE,), 2.0), HUGE * 4),
    ("legacy constructor", lambda L: L.Tensor(HUGE), HUGE * 4),
    ("zeros_like", lambda L: L.zeros_like(L.ones(1).expand(HUGE)), HUGE * 4),
    ("randn", lambda L: L.randn(HUGE), HUGE * 4),
    ("randint", lambda L: L.randint(0, 5, (HUGE,)), HUGE * 8),
    ("randperm", lambda L: L.randperm(HUGE), HUGE * 8),
    ("arange", lambda L: L.arange(HUGE), HUGE * 8),
    ("linspace", lambda L: L.linspace(0, 1, HUGE), HUGE * 4),
    ("eye", lambda L: L.eye(SIDE), HUGE * 4),
    ("broadcasting add", lambda L: L.ones(SIDE, 1) + L.ones(SIDE), HUGE * 4),
    ("mul method", lambda L: L.ones(SIDE, 1).mul(L.ones(SIDE)), HUGE * 4),
    ("where", lambda L: L.where(L.ones(SIDE, 1) > 0, L.ones(SIDE), 0.0), HUGE * 4),
    ("matmul", lambda L: L.ones(SIDE, 1) @ L.ones(1, SIDE), HUGE * 4),
    ("outer", lambda L: L.outer(L.ones(SIDE), L.ones(SIDE)), HUGE * 4),
    ("contiguous", lambda L: L.ones(SIDE).expand(SIDE, SIDE).contiguous(), HUGE * 4),
    ("clone", lambda L: L.ones(1, dtype=L.float64).expand(HUGE).clone(), HUGE * 8),
    ("to float64", lambda L: L.ones(SIDE, 1).expand(SIDE, SIDE).to(L.float64), HUGE * 8),
    ("flatten", lambda L: L.ones(SIDE, 1).expand(SIDE, SIDE).flatten(), HUGE * 4),
    ("exp", lambda L: L.ones(SIDE, 1).expand(SIDE, SIDE).exp(), HUGE * 4),
    ("softmax", lambda L: L.ones(SIDE, 1).expand(SIDE, SIDE).softmax(1), HUGE * 4),
    ("repeat", lambda L: L.ones(4).repeat(HUGE // 4), HUGE * 4),
    ("cat", lambda L: L.cat([L.ones(1).expand(HUGE), L.ones(1)]), (HUGE + 1) * 4),
]


@pytest.mark.parametrize("name,build,nbytes", ALLOCATIONS, ids=[a[0] for a in ALLOCATIONS])
def test_a_refused_allocation_raises_pytorchs_runtime_error(name, build, nbytes):
    # Rust aborts the process when malloc fails; every tensor-producing path must turn that into
    # PyTorch's RuntimeError instead (and stay usable afterwards).
    with pytest.raises(RuntimeError) as info:
        build(rustgrad)
    assert str(info.value) == _alloc_message(nbytes)
    assert (rustgrad.ones(3) * 2).tolist() == [2.0, 2.0, 2.0]


def test_a_refused_allocation_in_a_graph_leaves_the_inputs_usable():
    a = rustgrad.ones(SIDE, 1, requires_grad=True)
    with pytest.raises(RuntimeError, match="DefaultCPUAllocator: can't allocate memory"):
        (a * rustgrad.ones(SIDE)).sum().backward()
    assert a.grad is None
    (a * 3).sum().backward()
    assert a.grad.shape == (SIDE, 1) and a.grad[0, 0].item() == 3.0


def test_rand_refused_allocation_names_pytorchs_byte_count():
    # float32 values are drawn straight into float32 (no float64 buffer in between)
    with pytest.raises(RuntimeError) as info:
        rustgrad.rand(HUGE)
    assert str(info.value) == _alloc_message(HUGE * 4)
    with pytest.raises(RuntimeError) as info:
        rustgrad.rand(HUGE, dtype=rustgrad.float64)
    assert str(info.value) == _alloc_message(HUGE * 8)


# Element counts that fit in an int64 but whose bytes do not: PyTorch refuses the storage size
# before allocating. (name, build(lib), message)
BYTES_OVERFLOW = [
    ("zeros", lambda L: L.zeros(2 ** 61), "sizes=[2305843009213693952]"),
    ("zeros 2-d", lambda L: L.zeros(2 ** 61, 2), "sizes=[2305843009213693952, 2]"),
    ("ones float64", lambda L: L.ones(2 ** 60, dtype=L.float64), "sizes=[1152921504606846976]"),
    ("empty", lambda L: L.empty(2 ** 61), "sizes=[2305843009213693952]"),
    ("full", lambda L: L.full((2 ** 61,), 1.0), "sizes=[2305843009213693952]"),
    ("zeros_like", lambda L: L.zeros_like(L.ones(1).expand(2 ** 61)), "sizes=[2305843009213693952] and strides=[1]"),
    ("rand", lambda L: L.rand(2 ** 61), "sizes=[2305843009213693952]"),
    ("randn", lambda L: L.randn(2 ** 61), "sizes=[2305843009213693952]"),
    ("randint", lambda L: L.randint(0, 5, (2 ** 61,)), "sizes=[2305843009213693952]"),
    ("randperm", lambda L: L.randperm(2 ** 61), "sizes=[2305843009213693952]"),
    ("linspace", lambda L: L.linspace(0, 1, 2 ** 61), "sizes=[2305843009213693952]"),
    ("eye", lambda L: L.eye(2 ** 31, 2 ** 31), "sizes=[2147483648, 2147483648]"),
    ("legacy constructor", lambda L: L.Tensor(2 ** 61), "sizes=[2305843009213693952]"),
]


@pytest.mark.parametrize("name,build,message", BYTES_OVERFLOW, ids=[b[0] for b in BYTES_OVERFLOW])
def test_byte_counts_past_int64_raise_pytorchs_storage_overflow(name, build, message):
    with pytest.raises(RuntimeError) as info:
        build(rustgrad)
    assert str(info.value) == "Storage size calculation overflowed with " + message


@pytest.mark.parametrize("build", [
    lambda L: L.zeros(2 ** 61), lambda L: L.zeros(2 ** 62, dtype=L.uint8), lambda L: L.zeros(2 ** 63 - 1, dtype=L.uint8),
    lambda L: L.zeros_like(L.ones(1).expand(2 ** 61)), lambda L: L.rand(HUGE), lambda L: L.eye(2 ** 31, 2 ** 31),
    lambda L: L.randperm(2 ** 61), lambda L: L.Tensor(2 ** 61),
])
def test_huge_allocation_errors_match_torch(build):
    assert_same_error_as_torch(build)


@pytest.mark.parametrize(
    "build,message",
    [
        (lambda L: L.zeros(2 ** 40, 2 ** 40), "Storage size calculation overflowed with sizes=[1099511627776, 1099511627776]"),
        (lambda L: L.randn(2 ** 31, 2 ** 31, 2), "Storage size calculation overflowed with sizes=[2147483648, 2147483648, 2]"),
        (lambda L: L.full((2 ** 40, 2 ** 40), 1.0), "Storage size calculation overflowed with sizes=[1099511627776, 1099511627776]"),
        (lambda L: L.ones(1).expand(2 ** 40, 2 ** 40), "numel: integer multiplication overflow"),
    ],
)
def test_element_counts_past_int64_raise_pytorchs_overflow_errors(build, message):
    # The count used to wrap around (to 0 for 2**40 x 2**40), giving a tensor whose shape claims
    # more elements than its storage holds.
    with pytest.raises(RuntimeError) as info:
        build(rustgrad)
    assert str(info.value) == message


@pytest.mark.parametrize("name,build,nbytes", ALLOCATIONS[:4] + ALLOCATIONS[12:14], ids=[a[0] for a in ALLOCATIONS[:4] + ALLOCATIONS[12:14]])
def test_refused_allocations_match_pytorch(name, build, nbytes):
    torch = torch_or_skip()
    with pytest.raises(RuntimeError) as ours:
        build(rustgrad)
    with pytest.raises(RuntimeError) as theirs:
        build(torch)
    assert str(ours.value) == str(theirs.value) == _alloc_message(nbytes)


# --- class names in CPython's messages: 'Tensor', as PyTorch's Python class, module rustgrad ---

def _hook_handle(lib):
    return lib.ones(1, requires_grad=True).register_hook(lambda g: g)


TYPE_NAME_ERRORS = [
    ("tensor + str", lambda lib: lib.ones(3) + "a", TypeError, "unsupported operand type(s) for +: 'Tensor' and 'str'"),
    ("str - tensor", lambda lib: "a" - lib.ones(3), TypeError, "unsupported operand type(s) for -: 'str' and 'Tensor'"),
    ("tensor < str", lambda lib: lib.ones(3) < "a", TypeError, "'<' not supported between instances of 'Tensor' and 'str'"),
    ("t.foo", lambda lib: lib.ones(3).foo, AttributeError, "'Tensor' object has no attribute 'foo'"),
    ("hash(dtype) + 1", lambda lib: lib.float32 + 1, TypeError, "unsupported operand type(s) for +: 'rustgrad.dtype' and 'int'"),
    ("dtype.foo", lambda lib: lib.float32.foo, AttributeError, "'rustgrad.dtype' object has no attribute 'foo'"),
    ("handle + 1", lambda lib: _hook_handle(lib) + 1, TypeError, "unsupported operand type(s) for +: 'RemovableHandle' and 'int'"),
    ("grad_fn.foo", lambda lib: (lib.ones(1, requires_grad=True) * 2).grad_fn.foo, AttributeError, "'MulBackward0' object has no attribute 'foo'"),
]


@pytest.mark.parametrize("name, call, exc_type, message", TYPE_NAME_ERRORS, ids=[c[0] for c in TYPE_NAME_ERRORS])
def test_type_names_in_messages(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", TYPE_NAME_ERRORS, ids=[c[0] for c in TYPE_NAME_ERRORS])
def test_type_names_in_messages_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)


def test_tensor_class_keeps_its_module_and_repr():
    import copy
    import pickle

    T = rustgrad.Tensor
    assert (T.__name__, T.__qualname__, T.__module__) == ("Tensor", "Tensor", "rustgrad")
    assert repr(T) == "<class 'rustgrad.Tensor'>"
    assert repr(rustgrad.autograd.graph.Node) == "<class 'rustgrad.autograd.graph.Node'>"
    assert repr(rustgrad.utils.hooks.RemovableHandle) == "<class 'rustgrad.utils.hooks.RemovableHandle'>"
    p = rustgrad.nn.Parameter(rustgrad.tensor([1.0, 2.0]))
    for obj in (rustgrad.tensor([1.0, 2.0]), p):
        for clone in (pickle.loads(pickle.dumps(obj)), copy.copy(obj), copy.deepcopy(obj)):
            assert type(clone) is type(obj) and isinstance(clone, T)
            assert clone.tolist() == [1.0, 2.0]
    assert pickle.loads(pickle.dumps(T)) is T



@pytest.mark.parametrize("n", [4096, 100_000, 1 << 20, (4 << 20) + 3])
def test_large_buffers_start_on_a_cache_line(n):
    # The allocator (src/tensor/alloc.rs) aligns buffers of 16 KiB and more to 64 bytes, as
    # PyTorch's does, so vector loads never straddle two cache lines.
    for t in (rustgrad.zeros(n), rustgrad.rand(n) * 2, rustgrad.arange(n, dtype=rustgrad.float64).exp()):
        assert t.numpy().ctypes.data % 64 == 0
