"""Linear algebra and creation functions against numpy.

matmul with PyTorch's 1-d / 2-d / batched broadcasting rules (the same as numpy's matmul), mm, bmm,
mv, dot, outer, addmm (beta, alpha), two-operand einsum patterns, on contiguous and non-contiguous
inputs; arange/linspace/eye/full/zeros/ones and the *_like functions (values, dtypes, shapes).
Shapes and layouts are drawn by hypothesis (tests/_strategies.py). Runs without torch.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import torch_or_skip
from _strategies import DTYPES, FEW, FLOATS, PARITY, assert_close, big_tensors, rg_dtype, shapes, tensors

SIDE = st.integers(1, 6)
# Integer matmuls are exact (uint8 wraps modulo 256, as the int64 reference cast back to uint8).
MATMUL_DTYPES = st.sampled_from(FLOATS + ["int64", "int32", "uint8"])


def _wide(x):
    """float64 for floating inputs, int64 for integer ones: the reference's accumulation type."""
    return x.astype(np.float64 if x.dtype.kind == "f" else np.int64)


def _tol(a, b, dtype):
    """float32 products accumulate rounding errors that grow with the inner size and magnitudes."""
    if dtype != "float32":
        return {}
    scale = float(np.abs(a).max(initial=0) * np.abs(b).max(initial=0)) * (a.shape[-1] if a.ndim else 1)
    return dict(atol=1e-5 + 1e-6 * scale)


@st.composite
def _matmul_shapes(draw):
    """Operand shapes for matmul: 1-d or n-d on each side, batch dims broadcastable."""
    n, k, m = draw(SIDE), draw(SIDE), draw(SIDE)
    nd_a, nd_b = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch = draw(shapes(0, 2, 1, 3))
    def batch_of(nd):
        extra = max(nd - 2, 0)
        bs = batch[len(batch) - extra:] if extra <= len(batch) else (1,) * (extra - len(batch)) + batch
        return tuple(1 if draw(st.booleans()) else s for s in bs)
    sa = (k,) if nd_a == 1 else batch_of(nd_a) + (n, k)
    sb = (k,) if nd_b == 1 else batch_of(nd_b) + (k, m)
    return sa, sb


@PARITY
@given(data=st.data(), dtype=MATMUL_DTYPES)
def test_matmul_broadcasts_like_numpy(data, dtype):
    sa, sb = data.draw(_matmul_shapes())
    a, ta = data.draw(tensors(dtype, sa))
    b, tb = data.draw(tensors(dtype, sb))
    expected = np.matmul(_wide(a), _wide(b))
    for got in (ta @ tb, ta.matmul(tb), rustgrad.matmul(ta, tb)):
        assert_close(got, expected, dtype, **_tol(a, b, dtype))


@PARITY
@given(data=st.data(), dtype=MATMUL_DTYPES, n=SIDE, k=SIDE, m=SIDE, batch=st.integers(1, 3))
def test_mm_bmm_mv_dot_outer(data, dtype, n, k, m, batch):
    a, ta = data.draw(tensors(dtype, (n, k)))
    b, tb = data.draw(tensors(dtype, (k, m)))
    v, tv = data.draw(tensors(dtype, (k,)))
    w, tw = data.draw(tensors(dtype, (m,)))
    f = _wide
    assert_close(ta.mm(tb), f(a) @ f(b), dtype, **_tol(a, b, dtype))
    assert_close(rustgrad.mm(ta, tb), f(a) @ f(b), dtype, **_tol(a, b, dtype))
    assert_close(ta.mv(tv), f(a) @ f(v), dtype, **_tol(a, v, dtype))
    assert_close(rustgrad.dot(tv, tv), f(v) @ f(v), dtype, **_tol(v, v, dtype))
    assert_close(tv.outer(tw), np.outer(f(v), f(w)), dtype)
    x, tx = data.draw(tensors(dtype, (batch, n, k)))
    y, ty = data.draw(tensors(dtype, (batch, k, m)))
    assert_close(tx.bmm(ty), f(x) @ f(y), dtype, **_tol(x, y, dtype))


@PARITY
@given(data=st.data(), dtype=st.sampled_from(FLOATS), n=SIDE, k=SIDE, m=SIDE,
       beta=st.sampled_from([0, 1, 0.5, -2]), alpha=st.sampled_from([1, 2, -0.5]))
def test_addmm_with_broadcast_input(data, dtype, n, k, m, beta, alpha):
    bias_shape = data.draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    c, tc = data.draw(tensors(dtype, bias_shape))
    a, ta = data.draw(tensors(dtype, (n, k)))
    b, tb = data.draw(tensors(dtype, (k, m)))
    expected = beta * c.astype(np.float64) + alpha * (a.astype(np.float64) @ b.astype(np.float64))
    expected = np.broadcast_to(expected, (n, m))
    assert_close(tc.addmm(ta, tb, beta=beta, alpha=alpha), expected, dtype, **_tol(a, b, dtype))
    assert_close(rustgrad.addmm(tc, ta, tb, beta=beta, alpha=alpha), expected, dtype, **_tol(a, b, dtype))


# equation -> operand shapes as functions of (b, i, j, k)
EINSUM = {
    "ij,jk->ik": lambda b, i, j, k: ((i, j), (j, k)),
    "bij,bjk->bik": lambda b, i, j, k: ((b, i, j), (b, j, k)),
    "bij,bkj->bik": lambda b, i, j, k: ((b, i, j), (b, k, j)),
    "ij,kj->ik": lambda b, i, j, k: ((i, j), (k, j)),
    "ij,j->i": lambda b, i, j, k: ((i, j), (j,)),
    "i,i->": lambda b, i, j, k: ((i,), (i,)),
    "i,j->ij": lambda b, i, j, k: ((i,), (j,)),
    "ij,ij->ij": lambda b, i, j, k: ((i, j), (i, j)),
    "ij,ij->": lambda b, i, j, k: ((i, j), (i, j)),
    "bi,bi->b": lambda b, i, j, k: ((b, i), (b, i)),
    "ij,jk": lambda b, i, j, k: ((i, j), (j, k)),
    "...ij,...jk->...ik": lambda b, i, j, k: ((b, i, j), (b, j, k)),
    "bhqd,bhkd->bhqk": lambda b, i, j, k: ((b, 2, i, j), (b, 2, k, j)),
}


@pytest.mark.parametrize("equation", list(EINSUM))
@FEW
@given(data=st.data(), dtype=MATMUL_DTYPES, sizes=st.tuples(SIDE, SIDE, SIDE, SIDE))
def test_einsum_two_operands(equation, data, dtype, sizes):
    sa, sb = EINSUM[equation](*sizes)
    a, ta = data.draw(tensors(dtype, sa))
    b, tb = data.draw(tensors(dtype, sb))
    expected = np.einsum(equation, _wide(a), _wide(b))
    tol = _tol(a.reshape(-1, a.shape[-1]), b, dtype)
    assert_close(rustgrad.einsum(equation, ta, tb), expected, dtype, **tol)
    assert_close(rustgrad.einsum(equation, [ta, tb]), expected, dtype, **tol)


# ----- creation -----

@PARITY
@given(start=st.integers(-20, 20), length=st.integers(0, 30), step=st.integers(-5, 5).filter(bool))
def test_arange_integers(start, length, step):
    end = start + length * step
    assert_close(rustgrad.arange(start, end, step), np.arange(start, end, step, dtype=np.int64), "int64")
    if start >= 0:
        assert_close(rustgrad.arange(start), np.arange(start, dtype=np.int64), "int64")
    assert_close(rustgrad.arange(start, end, step, dtype=rustgrad.float64), np.arange(start, end, step, dtype=np.float64), "float64")


@PARITY
@given(start=st.floats(-10, 10), span=st.floats(0.5, 20), step=st.floats(0.1, 3), descending=st.booleans())
def test_arange_floats(start, span, step, descending):
    start, span, step = (round(v, 2) for v in (start, span, step))
    end = start - span if descending else start + span
    step = -step if descending else step
    # PyTorch's length: ceil((end - start) / step) in double; values start + i * step.
    n = math.ceil((end - start) / step)
    expected = start + np.arange(n) * step
    assert_close(rustgrad.arange(start, end, step), expected, "float32")
    assert_close(rustgrad.arange(start, end, step, dtype=rustgrad.float64), expected, "float64")


@PARITY
@given(start=st.floats(-10, 10), end=st.floats(-10, 10), steps=st.integers(0, 40), dtype=st.sampled_from(FLOATS))
def test_linspace(start, end, steps, dtype):
    assert_close(rustgrad.linspace(start, end, steps, dtype=rg_dtype(dtype)), np.linspace(start, end, steps), dtype,
                 atol=2e-5 * max(1.0, abs(start), abs(end)) if dtype == "float32" else 1e-12)
    assert_close(rustgrad.linspace(start, end, steps), np.linspace(start, end, steps), "float32",
                 atol=2e-5 * max(1.0, abs(start), abs(end)))


@PARITY
@given(n=st.integers(0, 6), m=st.integers(0, 6), dtype=st.sampled_from(DTYPES))
def test_eye(n, m, dtype):
    assert_close(rustgrad.eye(n), np.eye(n), "float32")
    assert_close(rustgrad.eye(n, m, dtype=rg_dtype(dtype)), np.eye(n, m, dtype=dtype), dtype)


@PARITY
@given(shape=shapes(0, 4, 0, 4), value=st.one_of(st.integers(-5, 5), st.floats(-5, 5), st.booleans()),
       dtype=st.sampled_from(DTYPES + [None]))
def test_full_zeros_ones_and_likes(shape, value, dtype):
    inferred = "bool" if isinstance(value, bool) else "int64" if isinstance(value, int) else "float32"
    assert_close(rustgrad.full(shape, value), np.full(shape, value, dtype=inferred), inferred)
    if dtype is not None:
        rg = rg_dtype(dtype)
        v = abs(value) if dtype == "uint8" else value
        if isinstance(v, float) and dtype not in FLOATS:
            v = int(v)
        assert_close(rustgrad.full(shape, v, dtype=rg), np.full(shape, v).astype(dtype), dtype)
        assert_close(rustgrad.zeros(shape, dtype=rg), np.zeros(shape, dtype=dtype), dtype)
        assert_close(rustgrad.ones(*shape, dtype=rg) if shape else rustgrad.ones((), dtype=rg), np.ones(shape, dtype=dtype), dtype)
        base = rustgrad.zeros(shape, dtype=rg)
        assert_close(rustgrad.zeros_like(base), np.zeros(shape, dtype=dtype), dtype)
        assert_close(rustgrad.ones_like(base), np.ones(shape, dtype=dtype), dtype)
        assert_close(rustgrad.full_like(base, 1), np.ones(shape, dtype=dtype), dtype)
        assert_close(rustgrad.ones_like(base, dtype=rustgrad.float64), np.ones(shape), "float64")
        assert tuple(rustgrad.empty_like(base).shape) == shape and rustgrad.empty_like(base).dtype is rg
    else:
        assert_close(rustgrad.zeros(shape), np.zeros(shape), "float32")
        assert_close(rustgrad.ones(shape), np.ones(shape), "float32")


def test_creation_dtypes_match_torch():
    """The dtype expectations above, checked once against torch: arange of ints is int64, of floats
    float32; full infers bool/int64/float32 from the fill value; arange's length is ceil((end-start)/step)."""
    torch = torch_or_skip()
    assert torch.arange(3).dtype == torch.int64 and torch.arange(0, 1, 0.25).dtype == torch.float32
    assert [torch.full((1,), v).dtype for v in (True, 2, 2.5)] == [torch.bool, torch.int64, torch.float32]
    for start, end, step in ((0.3, 2.1, 0.6), (-1.0, 3.0, 0.7), (5.0, -1.0, -1.3)):
        assert len(torch.arange(start, end, step)) == math.ceil((end - start) / step)


@settings(max_examples=4, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOATS), n=st.integers(60, 140), k=st.integers(60, 140), m=st.integers(60, 140))
def test_matmul_of_larger_non_contiguous_operands(data, dtype, n, k, m):
    # Big enough for gemm's blocked and parallel paths; operands transposed / strided / expanded.
    a, ta = data.draw(big_tensors(dtype, (n, k)))
    b, tb = data.draw(big_tensors(dtype, (2, k, m)))
    expected = _wide(a) @ _wide(b)
    assert_close(ta @ tb, expected, dtype, **_tol(a, b, dtype))
    assert_close(ta.mm(tb[1]), expected[1], dtype, **_tol(a, b, dtype))
