"""Factory functions: values, dtypes, shapes and errors against PyTorch."""

import numpy as np
import re
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
from _helpers import torch_or_skip, assert_error, assert_same_error_as_torch


def outcome(f):
    try:
        r = f()
    except Exception as e:  # noqa: BLE001 - the exception type is compared
        return ("error", type(e).__name__, str(e).replace("torch.", "rustgrad."))
    return ("ok", str(r.dtype).split(".")[-1], tuple(r.shape), r.tolist(), r.requires_grad)


def same(call):
    """Runs ``call(lib)`` with both libraries and compares dtype, shape, values and errors."""
    torch = torch_or_skip()
    ours, theirs = outcome(lambda: call(rustgrad)), outcome(lambda: call(torch))
    if ours[0] == theirs[0] == "ok" and ours[1].startswith("float"):
        # PyTorch's vectorised range kernels compute `base + i * step` per SIMD lane (lane count
        # depends on the CPU), which can round the last bit differently from `start + idx * step`.
        assert ours[:3] + ours[4:] == theirs[:3] + theirs[4:]
        rtol = 1e-6 if ours[1] == "float32" else 1e-13
        np.testing.assert_allclose(ours[3], theirs[3], rtol=rtol, atol=rtol)
    else:
        assert ours == theirs


CASES = [
    lambda m: m.arange(5),
    lambda m: m.arange(0.0, 1.0, 0.25),
    lambda m: m.arange(1, 2.5),
    lambda m: m.arange(0, 1, 0.1),
    lambda m: m.arange(10, 0, -3),
    lambda m: m.arange(-2.5, 3.7, 0.3, dtype=m.float64),
    lambda m: m.arange(0, 10, 3, dtype=m.int32),
    lambda m: m.arange(0.5, 3, dtype=m.int64),
    lambda m: m.arange(0, 2.5, dtype=m.int32),
    lambda m: m.arange(True),
    lambda m: m.arange(5.0, requires_grad=True),
    lambda m: m.arange(5, requires_grad=True),
    lambda m: m.arange(0, 5, 0),
    lambda m: m.arange(5, 0, 1),
    lambda m: m.arange(float("inf")),
    lambda m: m.linspace(0, 1, 5),
    lambda m: m.linspace(-3, 7, 11, dtype=m.float64),
    lambda m: m.linspace(0, 10, 5, dtype=m.int64),
    lambda m: m.linspace(0, 10, 6, dtype=m.int32),
    lambda m: m.linspace(0, 1, 1),
    lambda m: m.linspace(0, 1, 0),
    lambda m: m.linspace(0, 1, -1),
    lambda m: m.linspace(0.1, 0.9, 33),
    lambda m: m.eye(3),
    lambda m: m.eye(2, 3),
    lambda m: m.eye(3, 1, dtype=m.int64),
    lambda m: m.eye(2, dtype=m.bool),
    lambda m: m.eye(-1),
    lambda m: m.eye(2, -1),
    lambda m: m.zeros(2, 3, dtype=m.int32),
    lambda m: m.ones((2, 1), dtype=m.float64),
    lambda m: m.empty(2, 3).shape and m.zeros(2, 3),
    lambda m: m.empty(0, 3),
    lambda m: m.full((2, 2), 7),
    lambda m: m.full((2,), 1.5, dtype=m.float64),
    lambda m: m.full_like(m.zeros(2), 3),
    lambda m: m.full_like(m.zeros(2, dtype=m.int32), 2.5),
    lambda m: m.full_like(m.zeros(2), 3, dtype=m.int64),
    lambda m: m.zeros_like(m.zeros(2, 3, dtype=m.int32)),
    lambda m: m.ones_like(m.zeros(2), requires_grad=True),
    lambda m: m.empty_like(m.zeros(2, dtype=m.float64)).fill_(0),
    lambda m: m.rand_like(m.zeros(2, dtype=m.int64)),
    lambda m: m.randn_like(m.zeros(2, dtype=m.int64)),
    lambda m: m.randn(2, dtype=m.int64),
    lambda m: m.rand(2, dtype=m.int64),
    lambda m: m.randint(5, 3),
    lambda m: m.randint(3, 3, (2,)),
    lambda m: m.randint(5, 3, (2,)),
    lambda m: m.randint(3, (2,), dtype=m.bool),
    lambda m: m.randint(0, 3, (2,), requires_grad=True),
    lambda m: m.randperm(-1),
    lambda m: m.randperm(4, requires_grad=True),
    lambda m: m.tensor([1, 2], dtype=m.int32),
    lambda m: m.tensor([[1.0, 2.0], [3.0]]),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_factory_matches_pytorch(case):
    same(CASES[case])


def test_empty_and_like_factories_keep_shapes_and_dtypes():
    x = rustgrad.empty(2, 3, dtype=rustgrad.int32)
    assert x.shape == (2, 3) and x.dtype is rustgrad.int32
    like = rustgrad.empty_like(x)
    assert like.shape == (2, 3) and like.dtype is rustgrad.int32
    r = rustgrad.rand_like(rustgrad.zeros(4, 5, dtype=rustgrad.float64))
    assert r.shape == (4, 5) and r.dtype is rustgrad.float64
    assert all(0 <= v < 1 for row in r.tolist() for v in row)
    n = rustgrad.randn_like(rustgrad.zeros(3), requires_grad=True)
    assert n.requires_grad and n.is_leaf and n.shape == (3,)


def test_random_factories_take_sizes_like_pytorch():
    for size in [(2, 3), ((2, 3),), ([2, 3],)]:
        assert rustgrad.randn(*size).shape == (2, 3)
        assert rustgrad.rand(*size).shape == (2, 3)
    assert rustgrad.rand(()).shape == () and rustgrad.randn(2, requires_grad=True).is_leaf
    assert rustgrad.randint(0, 10, (5,)).dtype is rustgrad.int64
    assert rustgrad.randint(5, (3,)).shape == (3,) and rustgrad.randint(high=3, size=(2, 2)).shape == (2, 2)
    assert rustgrad.randint(low=1, high=3, size=[4]).shape == (4,)
    assert rustgrad.randint(3, 10, size=(3,)).shape == (3,)
    assert rustgrad.randint(10, (3,), dtype=rustgrad.int32).dtype is rustgrad.int32
    assert rustgrad.randperm(5).dtype is rustgrad.int64
    assert rustgrad.randperm(5, dtype=rustgrad.float32).dtype is rustgrad.float32
    with pytest.raises(TypeError, match=r"randint\(\) received an invalid combination of arguments"):
        rustgrad.randint(1.5, 3, (2,))


INT64 = st.integers(-(2 ** 63), 2 ** 63 - 1)


@settings(max_examples=40, deadline=None)
@given(start=INT64, count=st.integers(0, 6), step=st.integers(1, 2 ** 62).flatmap(lambda s: st.sampled_from([s, -s])), data=st.data())
def test_int_arange_counts_in_int64_like_range(start, count, step, data):
    # int bounds count and compute in int64, exactly (a double would lose everything past 2**53)
    end = start + count * step + data.draw(st.integers(0, abs(step) - 1)) * (1 if step > 0 else -1)
    if not -(2 ** 63) <= end < 2 ** 63:
        return
    # PyTorch sizes the range as (end - start + step - sign(step)) / step in wrapping int64: when
    # that sum overflows it refuses the range (or, wrapped back positive, counts what it gives).
    span = _wrap_int64(_wrap_int64(_wrap_int64(end - start) + step) - (1 if step > 0 else -1))
    size = abs(span) // abs(step) * (1 if (span >= 0) == (step > 0) else -1)
    if size < 0:
        with pytest.raises(RuntimeError, match=r"^invalid size, possible overflow\?$"):
            rustgrad.arange(start, end, step)
    else:
        t = rustgrad.arange(start, end, step)
        assert t.dtype == rustgrad.int64
        assert t.tolist() == [_wrap_int64(start + i * step) for i in range(size)]
        if span == end - start + step - (1 if step > 0 else -1):
            assert t.tolist() == list(range(start, end, step))
    same(lambda m: m.arange(start, end, step))


def _wrap_int64(v):
    return (v + 2 ** 63) % 2 ** 64 - 2 ** 63


def test_int_arange_refuses_a_range_whose_size_overflows_int64():
    with pytest.raises(RuntimeError, match=r"^invalid size, possible overflow\?$"):
        rustgrad.arange(0, 4611686018427387906, 4611686018427387903)


@pytest.mark.parametrize("case", [
    (2 ** 62, 2 ** 62 + 3, 1), (2 ** 53 + 1, 2 ** 53 + 4, 1), (-(2 ** 63), -(2 ** 63) + 2, 1), (2 ** 63 - 3, 2 ** 63 - 1, 1),
    (0, 2 ** 62, 2 ** 61), (10, 0, -(2 ** 62)), (-(2 ** 63), 2 ** 63 - 1, 2 ** 62), (1, 2 ** 63 - 1, 2 ** 62), (0, 2 ** 62, 1),
    (0, 2 ** 63 - 2, 1), (2 ** 63, None, None), (0, 10, 2 ** 63), (2 ** 64, None, None), (-(2 ** 63) - 1, 0, None),
    (2 ** 31, 2 ** 31 + 3, 1.5), (2 ** 53 + 1, 2 ** 53 + 7.0, 2), (0.5, 2 ** 53 + 3, 2 ** 52),
])
@pytest.mark.parametrize("dtype", [None, "int64", "int32", "float64"])
def test_big_int_arange_matches_pytorch(case, dtype):
    start, end, step = case
    args = [a for a in (start, end, step) if a is not None]
    same(lambda m: m.arange(*args, **({} if dtype is None else {"dtype": getattr(m, dtype)})))


def test_big_int_arange():
    assert rustgrad.arange(2 ** 62, 2 ** 62 + 3).tolist() == [2 ** 62, 2 ** 62 + 1, 2 ** 62 + 2]
    with pytest.raises(RuntimeError, match="^value cannot be converted to type int64_t without overflow$"):
        rustgrad.arange(2 ** 63)
    with pytest.raises(RuntimeError, match=r"^Storage size calculation overflowed with sizes=\[4611686018427387904\]$"):
        rustgrad.arange(2 ** 62)
    with pytest.raises(NotImplementedError, match="^\"arange_cpu\" not implemented for 'Bool'$"):
        rustgrad.arange(3, dtype=rustgrad.bool)


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(-50, 50, allow_nan=False),
    length=st.floats(0.1, 60),
    step=st.floats(0.05, 7),
    descending=st.booleans(),
    dtype=st.sampled_from(["float32", "float64", "int64", "int32"]),
)
def test_arange_sizes_and_values_match_pytorch(start, length, step, descending, dtype):
    end = start - length if descending else start + length
    step = -step if descending else step
    same(lambda m: m.arange(start, end, step, dtype=getattr(m, dtype)))


@settings(max_examples=40, deadline=None)
@given(
    start=st.floats(-50, 50, allow_nan=False),
    end=st.floats(-50, 50, allow_nan=False),
    steps=st.integers(0, 70),
    dtype=st.sampled_from(["float32", "float64", "int64"]),
)
def test_linspace_matches_pytorch(start, end, steps, dtype):
    torch = torch_or_skip()
    if dtype == "int64":
        # From 2 * SIMD-width elements on, PyTorch truncates a per-vector base before adding
        # lane steps, so integer results depend on the CPU; below that every CPU runs the scalar
        # formula, which rustgrad reproduces exactly.
        steps = min(steps, 7)
    ours = rustgrad.linspace(start, end, steps, dtype=getattr(rustgrad, dtype))
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    if dtype == "int64":
        assert ours.tolist() == theirs.tolist()
    else:
        # PyTorch's vectorised kernels may round a step product differently in the last bit.
        np.testing.assert_allclose(ours.tolist(), theirs.tolist(), rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_float_arange_and_linspace_are_bit_identical_to_pytorch(dtype, threads):
    """Random bounds and lengths on both sides of the vector widths and of the 32768 grain (where
    PyTorch splits the loop per thread): every value must have PyTorch's exact bits."""
    torch = torch_or_skip()
    rng = np.random.default_rng(1234 + threads)
    before = (rustgrad.get_num_threads(), torch.get_num_threads())
    rustgrad.set_num_threads(threads)
    torch.set_num_threads(threads)
    try:
        lengths = [1, 2, 7, 8, 15, 16, 17, 31, 33, 100, 1000, 32767, 32768, 32769, 65541, 100003]
        for k in range(60):
            n = lengths[k % len(lengths)]
            start = float(rng.uniform(-1e3, 1e3))
            step = float(rng.uniform(1e-3, 10)) * (1 if k % 3 else -1)
            end = start + step * (n - 0.5)
            ours = rustgrad.arange(start, end, step, dtype=getattr(rustgrad, dtype)).numpy()
            theirs = torch.arange(start, end, step, dtype=getattr(torch, dtype)).numpy()
            assert ours.shape == theirs.shape, (start, end, step)
            np.testing.assert_array_equal(ours.view(np.uint8), theirs.view(np.uint8), err_msg=f"arange{(start, end, step)}")
            lo, hi = sorted(rng.uniform(-1e4, 1e4, 2)) if k % 2 else rng.uniform(-1, 1, 2)
            ours = rustgrad.linspace(float(lo), float(hi), n, dtype=getattr(rustgrad, dtype)).numpy()
            theirs = torch.linspace(float(lo), float(hi), n, dtype=getattr(torch, dtype)).numpy()
            np.testing.assert_array_equal(ours.view(np.uint8), theirs.view(np.uint8), err_msg=f"linspace{(lo, hi, n)}")
    finally:
        rustgrad.set_num_threads(before[0])
        torch.set_num_threads(before[1])


@pytest.mark.parametrize("values, dtype, expected", [
    ([300], "uint8", "value cannot be converted to type uint8 without overflow"),
    ([-256], "uint8", "value cannot be converted to type uint8 without overflow"),
    ([-0.5], "uint8", "value cannot be converted to type uint8 without overflow"),
    ([[1, 2], [3, 300]], "uint8", "value cannot be converted to type uint8 without overflow"),
    ([2 ** 31], "int32", "value cannot be converted to type int32 without overflow"),
    ([1e30], "int64", "value cannot be converted to type int64 without overflow"),
    ([float("nan")], "int64", "value cannot be converted to type int64 without overflow"),
])
def test_tensor_refuses_numbers_that_overflow_an_integer_dtype(values, dtype, expected):
    with pytest.raises(RuntimeError, match="^" + re.escape(expected) + "$"):
        rustgrad.tensor(values, dtype=getattr(rustgrad, dtype))


def test_tensor_wraps_numbers_within_c10_ranges():
    # c10 lets uint8 take -255..255 (negative numbers wrap) and float types take anything.
    assert rustgrad.tensor([-1, -255, 255], dtype=rustgrad.uint8).tolist() == [255, 1, 255]
    assert rustgrad.tensor([300], dtype=rustgrad.int32).tolist() == [300]
    assert repr(rustgrad.tensor([1e300], dtype=rustgrad.float32)) == "tensor([inf])"


# --- bad arguments: PyTorch's argument-parser errors (zeros, ones, full, randn and rand) ---

FACTORY_ARG_ERRORS = [
    ("lib.zeros('a')",
     lambda lib: lib.zeros('a'),
     TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, not str"),
    ("lib.zeros(2, 'a')",
     lambda lib: lib.zeros(2, 'a'),
     TypeError, 'zeros(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ("lib.zeros((2, 'a'))",
     lambda lib: lib.zeros((2, 'a')),
     TypeError, 'zeros(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ("lib.zeros(('a', 2))",
     lambda lib: lib.zeros(('a', 2)),
     TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, but found element of type str at pos 0"),
    ('lib.zeros(2.5)',
     lambda lib: lib.zeros(2.5),
     TypeError, "zeros(): argument 'size' (position 1) must be tuple of ints, not float"),
    ('lib.zeros()',
     lambda lib: lib.zeros(),
     TypeError, 'zeros() missing 1 required positional arguments: "size"'),
    ("lib.zeros(2, dtype='a')",
     lambda lib: lib.zeros(2, dtype='a'),
     TypeError, "zeros(): argument 'dtype' must be rustgrad.dtype, not str"),
    ("lib.zeros(2, requires_grad='a')",
     lambda lib: lib.zeros(2, requires_grad='a'),
     TypeError, "zeros(): argument 'requires_grad' must be bool, not str"),
    ('lib.zeros(2, requires_grad=1)',
     lambda lib: lib.zeros(2, requires_grad=1),
     TypeError, "zeros(): argument 'requires_grad' must be bool, not int"),
    ('lib.zeros(2, foo=1)',
     lambda lib: lib.zeros(2, foo=1),
     TypeError, "zeros() got an unexpected keyword argument 'foo'"),
    ('lib.ones(None)',
     lambda lib: lib.ones(None),
     TypeError, "ones(): argument 'size' (position 1) must be tuple of ints, not NoneType"),
    ('lib.ones([2, None])',
     lambda lib: lib.ones([2, None]),
     TypeError, 'ones(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got NoneType"'),
    ('lib.ones(2, dtype=lib.ones(1))',
     lambda lib: lib.ones(2, dtype=lib.ones(1)),
     TypeError, "ones(): argument 'dtype' must be rustgrad.dtype, not Tensor"),
    ('lib.ones(lib.ones(2))',
     lambda lib: lib.ones(lib.ones(2)),
     TypeError, "ones(): argument 'size' (position 1) must be tuple of ints, not Tensor"),
    ("lib.full('a', 1)",
     lambda lib: lib.full('a', 1),
     TypeError, "full(): argument 'size' (position 1) must be tuple of ints, not str"),
    ("lib.full((2,), 'a')",
     lambda lib: lib.full((2,), 'a'),
     TypeError, "full(): argument 'fill_value' (position 2) must be Number, not str"),
    ('lib.full(2, 1)',
     lambda lib: lib.full(2, 1),
     TypeError, "full(): argument 'size' (position 1) must be tuple of ints, not int"),
    ('lib.full((2,))',
     lambda lib: lib.full((2,)),
     TypeError, 'full() missing 1 required positional arguments: "fill_value"'),
    ("lib.full((2,), 1, dtype='a')",
     lambda lib: lib.full((2,), 1, dtype='a'),
     TypeError, "full(): argument 'dtype' must be rustgrad.dtype, not str"),
    ("lib.full((2,), 1, requires_grad='a')",
     lambda lib: lib.full((2,), 1, requires_grad='a'),
     TypeError, "full(): argument 'requires_grad' must be bool, not str"),
    ("lib.full(('a',), 1)",
     lambda lib: lib.full(('a',), 1),
     TypeError, "full(): argument 'size' (position 1) must be tuple of ints, but found element of type str at pos 0"),
    ("lib.randn('a')",
     lambda lib: lib.randn('a'),
     TypeError, "randn(): argument 'size' (position 1) must be tuple of ints, not str"),
    ("lib.randn(2, 'a')",
     lambda lib: lib.randn(2, 'a'),
     TypeError, 'randn(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ('lib.randn(2, foo=1)',
     lambda lib: lib.randn(2, foo=1),
     TypeError, 'randn() received an invalid combination of arguments - got (int, foo=int), but expected one of:\n * (tuple of ints size, *, rustgrad.Generator generator, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n * (tuple of ints size, *, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n'),
    ("lib.randn(2, dtype='a')",
     lambda lib: lib.randn(2, dtype='a'),
     TypeError, 'randn() received an invalid combination of arguments - got (int, dtype=str), but expected one of:\n * (tuple of ints size, *, rustgrad.Generator generator, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n * (tuple of ints size, *, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n'),
    ("lib.randn(2, generator='a')",
     lambda lib: lib.randn(2, generator='a'),
     TypeError, 'randn() received an invalid combination of arguments - got (int, generator=str), but expected one of:\n * (tuple of ints size, *, rustgrad.Generator generator, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n * (tuple of ints size, *, Tensor out = None, rustgrad.dtype dtype = None, rustgrad.layout layout = None, rustgrad.device device = None, bool pin_memory = False, bool requires_grad = False)\n'),
    ('lib.rand(2.5)',
     lambda lib: lib.rand(2.5),
     TypeError, "rand(): argument 'size' (position 1) must be tuple of ints, not float"),
    ('lib.rand(2, 1.5)',
     lambda lib: lib.rand(2, 1.5),
     TypeError, 'rand(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got float"'),
]


@pytest.mark.parametrize("name, call, exc_type, message", FACTORY_ARG_ERRORS, ids=[c[0] for c in FACTORY_ARG_ERRORS])
def test_factory_argument_errors(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", FACTORY_ARG_ERRORS, ids=[c[0] for c in FACTORY_ARG_ERRORS])
def test_factory_argument_errors_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)


# ----- Tensor.new_* -----

@pytest.mark.parametrize("method,value", [("new_zeros", 0), ("new_ones", 1), ("new_empty", 0)])
@pytest.mark.parametrize("dtype", [rustgrad.int64, rustgrad.float64, rustgrad.bool])
def test_new_filled_takes_the_callers_dtype_and_both_size_forms(method, value, dtype):
    base = rustgrad.ones(3, dtype=dtype)
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = getattr(base, method)(*args)
        assert t.dtype is dtype and t.shape == (2, 3)
        if method != "new_empty":
            assert t.tolist() == [[value] * 3] * 2
    assert getattr(base, method)(()).shape == ()
    assert getattr(base, method)(2, dtype=rustgrad.float32).dtype is rustgrad.float32


def test_new_tensors_have_no_history_unless_asked():
    w = rustgrad.ones(2, dtype=rustgrad.float64, requires_grad=True) * 2
    for t in [w.new_zeros(2), w.new_full((2,), 3.5), w.new_tensor([1, 2])]:
        assert (t.requires_grad, t.grad_fn, t.is_leaf, t.dtype) == (False, None, True, rustgrad.float64)
    r = w.new_ones(2, requires_grad=True)
    assert r.requires_grad and r.is_leaf
    (r * 3).sum().backward()
    assert r.grad.tolist() == [3.0, 3.0]


def test_new_tensor_converts_to_the_callers_dtype_and_copies():
    x = rustgrad.tensor([1, 2])
    assert x.new_tensor([1.7, -2.2]).tolist() == [1, -2] and x.new_tensor(3).shape == ()
    src = np.array([1.0, 2.0])
    t = rustgrad.ones(1).new_tensor(src)
    src[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and t.dtype is rustgrad.float32
    with pytest.warns(UserWarning, match=r"^To copy construct from a tensor, it is recommended to use sourceTensor\.detach\(\)\.clone\(\)"):
        c = x.new_tensor(rustgrad.tensor([5.5]))
    assert c.tolist() == [5]


@pytest.mark.parametrize(
    "call,error,message",
    [
        (lambda x: x.new_zeros("a"), TypeError, "new_zeros(): argument 'size' (position 1) must be tuple of ints, not str"),
        (lambda x: x.new_ones(2, "a"), TypeError, "new_ones(): argument 'size' failed to unpack the object at pos 2 with error \"type must be tuple of ints,but got str\""),
        (lambda x: x.new_zeros(), TypeError, "new_zeros() missing 1 required positional arguments: \"size\""),
        (lambda x: x.new_tensor(), TypeError, "new_tensor() missing 1 required positional arguments: \"data\""),
        (lambda x: x.new_zeros(-1), RuntimeError, "Trying to create tensor with negative dimension -1: [-1]"),
        (lambda x: x.new_full(2, 1), TypeError, "new_full(): argument 'size' (position 1) must be tuple of ints, not int"),
        (lambda x: x.new_tensor([[1], [1, 2]]), ValueError, "expected sequence of length 1 at dim 1 (got 2)"),
    ],
)
def test_new_factory_errors(call, error, message):
    with pytest.raises(error) as info:
        call(rustgrad.tensor([1, 2]))
    assert str(info.value) == message


def _new_factory_results(lib):
    x = lib.tensor([[1.5, 2.0]], dtype=lib.float64)
    return [
        x.new_zeros(2, 1), x.new_ones((3,), dtype=lib.int64), x.new_full([2], 7),
        x.new_tensor([[1, 2]]), lib.tensor([True]).new_ones(2), lib.tensor([4]).new_tensor([2.9]),
    ]


def test_new_factories_match_pytorch():
    torch = torch_or_skip()
    for ours, theirs in zip(_new_factory_results(rustgrad), _new_factory_results(torch)):
        assert repr(ours).replace("rustgrad", "torch") == repr(theirs)
    with pytest.raises(TypeError) as ours:
        rustgrad.tensor([1]).new_ones(2, dtype=1)
    with pytest.raises(TypeError) as theirs:
        torch.tensor([1]).new_ones(2, dtype=1)
    assert str(ours.value).replace("rustgrad", "torch") == str(theirs.value)


@pytest.mark.parametrize("data,expected", [
    (lambda R: [R.tensor(1.0, dtype=R.float64), R.tensor(2.0, dtype=R.float64)], "float64"),
    (lambda R: [R.tensor(1), 2.5], "float32"),
    (lambda R: [R.tensor(1.0, dtype=R.float64), 2], "float64"),
    (lambda R: [1, R.tensor(1.0, dtype=R.float64)], "float64"),
    (lambda R: [R.tensor(True), 1], "int64"),
    (lambda R: [R.tensor(3, dtype=R.int32), R.tensor(1, dtype=R.int32)], "int32"),
    (lambda R: [[R.tensor(1.0, dtype=R.float64)], [R.tensor(2.0, dtype=R.float32)]], "float64"),
])
def test_tensor_of_zero_dim_tensors_infers_their_promoted_dtype(data, expected):
    out = rustgrad.tensor(data(rustgrad))
    assert out.dtype == getattr(rustgrad, expected)
    torch = torch_or_skip()
    theirs = torch.tensor(data(torch))
    assert str(theirs.dtype) == f"torch.{expected}"
    assert out.tolist() == theirs.tolist()
