"""Shared hypothesis strategies and helpers for the numpy-parity tests (tests/test_numpy_parity_*.py).

numpy is the independent reference: every strategy draws a numpy array, and `layouts` builds the
rustgrad tensor holding the same values either contiguous or as a non-contiguous view (transposed,
strided slice, or expanded), with the numpy array built the same way. Expected dtypes come from
PyTorch's promotion rules written out in `result_dtype` (checked against torch itself in
test_numpy_parity_elementwise.py when torch is installed).
"""

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustgrad

# Modest example counts and no deadline: the numpy-parity files together must stay well under a minute.
PARITY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DTYPES = ["float32", "float64", "int64", "int32", "uint8", "bool"]
FLOATS = ["float32", "float64"]
INTS = ["int64", "int32", "uint8"]

# ----- PyTorch's type promotion, written out from its rules (c10/core/ScalarType.h, TensorIterator) -----
_RANK = {"bool": 0, "uint8": 1, "int32": 1, "int64": 1, "float32": 2, "float64": 2}


def category(dtype):
    return _RANK[dtype]


def is_float(dtype):
    return dtype in FLOATS


def promote_types(a, b):
    """torch.promote_types for the dtypes rustgrad has."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if category(a) != category(b):
        return a if category(a) > category(b) else b
    if is_float(a):
        return "float64"
    return {frozenset({"uint8", "int32"}): "int32"}.get(frozenset({a, b}), "int64")


def _combine_categories(higher, lower):
    # at::native::combine_categories: a lower-priority operand only matters when it is of a higher category.
    if higher is None:
        return lower
    if is_float(higher):
        return higher
    if higher == "bool" or (lower is not None and is_float(lower)):
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python scalar takes part in promotion with (floats as the default dtype float32)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    return "float32"


def result_dtype(*operands):
    """torch.result_type of operands given as (dtype, ndim) for tensors or Python scalars."""
    dim = zero = wrapped = None
    for op in operands:
        if isinstance(op, tuple):
            dtype, ndim = op
            if ndim > 0:
                dim = promote_types(dim, dtype)
            else:
                zero = promote_types(zero, dtype)
        else:
            wrapped = promote_types(wrapped, scalar_dtype(op))
    return _combine_categories(dim, _combine_categories(zero, wrapped))


def to_float(dtype):
    """The dtype of a floating op (exp, sqrt, true division, mean...) applied to `dtype`."""
    return dtype if is_float(dtype) else "float32"


def rg_dtype(name):
    return getattr(rustgrad, name)


def dtype_name(t):
    """'float32' for rustgrad.float32 (and for torch.float32 / numpy dtypes)."""
    return str(t).split(".")[-1]


# ----- shapes -----
def shapes(min_dims=0, max_dims=4, min_side=1, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=4):
    """A tuple of `num_shapes` mutually broadcastable shapes (ones and missing leading dims included)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    ).map(lambda r: r.input_shapes)


# ----- values -----
def elements(dtype, low=-10.0, high=10.0):
    """Finite values of `dtype` inside [low, high] (unsigned: from 0)."""
    if dtype == "bool":
        return st.booleans()
    if dtype in INTS:
        lo = 0 if dtype == "uint8" else int(low)
        return st.integers(lo, max(lo, int(high)))
    if dtype == "float32":  # bounds exactly representable in float32, inside [low, high]
        low, high = float(np.nextafter(np.float32(low), np.float32(np.inf))), float(np.nextafter(np.float32(high), np.float32(-np.inf)))
        return st.floats(low, high, width=32, allow_nan=False, allow_infinity=False)
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def arrays(dtype, shape, low=-10.0, high=10.0, unique=False):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, low, high), unique=unique)


# ----- rustgrad tensors as non-contiguous views -----
LAYOUTS = ["contiguous", "transposed", "strided", "expanded"]


def make(a, layout="contiguous"):
    """A rustgrad tensor with the values of numpy array `a`, laid out as `layout`:
    contiguous; transposed (a permuted copy, permuted back); strided (every other element of a
    twice-as-large tensor, taken with step-2 slices). `expanded` needs a source; see `tensors`."""
    a = np.asarray(a)
    if layout == "transposed" and a.ndim >= 2:
        perm = tuple(reversed(range(a.ndim)))
        t = rustgrad.tensor(np.ascontiguousarray(a.transpose(perm))).permute(perm)
    elif layout == "strided" and a.ndim >= 1:
        big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
        big[(slice(None, None, 2),) * a.ndim] = a
        t = rustgrad.tensor(big)[(slice(None, None, 2),) * a.ndim]
    else:
        t = rustgrad.tensor(a)
    assert tuple(t.shape) == a.shape and dtype_name(t.dtype) == a.dtype.name
    return t


@st.composite
def tensors(draw, dtype, shape, low=-10.0, high=10.0, layouts=LAYOUTS):
    """(numpy array, rustgrad tensor) with equal values; the tensor drawn as one of `layouts`. For
    `expanded`, the values are drawn on a source shape with some dims set to 1 and both numpy
    (broadcast_to) and rustgrad (expand) broadcast it to `shape`."""
    layout = draw(st.sampled_from(layouts))
    if layout == "expanded":
        keep = draw(st.lists(st.booleans(), min_size=len(shape), max_size=len(shape)))
        src_shape = tuple(s if k else 1 for s, k in zip(shape, keep))
        src = draw(arrays(dtype, src_shape, low, high))
        return np.broadcast_to(src, shape), rustgrad.tensor(src).expand(*shape) if shape else rustgrad.tensor(src)
    a = draw(arrays(dtype, shape, low, high))
    return a, make(a, layout)


# ----- comparison -----
TOL = {"float32": dict(rtol=2e-5, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def to_numpy(t):
    """A rustgrad tensor's values as a numpy array of its dtype (through tolist, independent of numpy())."""
    return np.array(t.tolist(), dtype=np.dtype(dtype_name(t.dtype))).reshape(tuple(t.shape))


def assert_close(t, expected, dtype=None, rtol=None, atol=None, equal_nan=True):
    """Checks a rustgrad tensor's shape, dtype (`dtype`, a name) and values against numpy `expected`."""
    expected = np.asarray(expected)
    assert isinstance(t, rustgrad.Tensor), type(t)
    assert tuple(t.shape) == expected.shape, (tuple(t.shape), expected.shape)
    if dtype is not None:
        assert dtype_name(t.dtype) == dtype, (dtype_name(t.dtype), dtype)
    got = to_numpy(t)
    if is_float(dtype_name(t.dtype)):
        tol = dict(TOL[dtype_name(t.dtype)])
        if rtol is not None:
            tol["rtol"] = rtol
        if atol is not None:
            tol["atol"] = atol
        np.testing.assert_allclose(got, expected.astype(got.dtype), equal_nan=equal_nan, **tol)
    else:
        np.testing.assert_array_equal(got, expected.astype(got.dtype))


@st.composite
def dims(draw, ndim, none=True, single=True, tuples=True, max_tuple=None):
    """A `dim` argument for a tensor of `ndim` dims: None, an int, or a tuple of distinct dims, each
    possibly negative."""
    kinds = (["none"] if none else []) + (["int"] if single and ndim else []) + (["tuple"] if tuples and ndim else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    size = min(ndim, max_tuple or ndim)
    picked = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=size, unique=True))
    return tuple(d - ndim if draw(st.booleans()) else d for d in picked)


def axis(dim):
    """numpy's `axis` for a PyTorch `dim` (None, int or tuple)."""
    return dim if dim is None or isinstance(dim, int) else tuple(dim)


@st.composite
def big_tensors(draw, dtype, shape, low=-5.0, high=5.0, layouts=LAYOUTS):
    """Like `tensors`, for shapes past the kernels' parallel grain (cpu::GRAIN elements): the values
    come from a numpy generator seeded by hypothesis (drawing each element would be slow)."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    layout = draw(st.sampled_from(layouts))

    def values(s):
        if dtype == "bool":
            return rng.random(s) < 0.5
        if dtype in INTS:
            return rng.integers(0 if dtype == "uint8" else int(low), int(high) + 1, s).astype(dtype)
        return rng.uniform(low, high, s).astype(dtype)

    if layout == "expanded":
        src_shape = tuple(1 if i == draw(st.integers(0, len(shape) - 1)) else s for i, s in enumerate(shape))
        src = values(src_shape)
        return np.broadcast_to(src, shape), rustgrad.tensor(src).expand(*shape)
    a = values(shape)
    return a, make(a, layout)


def big_shapes(min_numel=33000, max_numel=70000):
    """2-d and 3-d shapes of odd sizes whose numel lies past the parallel grain."""
    two = st.tuples(st.integers(150, 270), st.integers(150, 270))
    three = st.tuples(st.integers(20, 45), st.integers(20, 45), st.integers(30, 61))
    return st.one_of(two, three).filter(lambda s: min_numel <= int(np.prod(s)) <= max_numel)
