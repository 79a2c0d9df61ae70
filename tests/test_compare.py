"""Comparisons, logical and bitwise ops, maximum/minimum, where, masked_fill and copy_.

Values, dtypes and errors are checked against PyTorch (``torch`` spelt ``rustgrad`` in messages);
the differentiable ones also against finite differences in float64.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip


def _env(lib):
    return {
        "lib": lib,
        "f": lib.tensor([[1.5, -2.0, 0.5], [3.0, 0.5, -1.0]]),
        "d": lib.tensor([1.5, 0.5, 7.0], dtype=lib.float64),
        "i": lib.tensor([1, -2, 3]),
        "bo": lib.tensor([True, False, True]),
        "col": lib.tensor([[True], [False]]),
        "s": lib.tensor(0.5),
        "nan": lib.tensor([float("nan"), 1.0, 2.0]),
        "where": lib.where,
    }


def _run(expr, lib):
    try:
        r = eval(expr, _env(lib))
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return ("error", type(e).__name__, str(e).replace("torch", "rustgrad"))
    if isinstance(r, (bool, int, float)):
        return ("python", r)
    return (str(r.dtype).split(".")[-1], tuple(r.shape), np.array(r.tolist(), dtype=float).round(12).tolist())


def _same_as_torch(expr):
    torch = torch_or_skip()
    ours, theirs = _run(expr, rustgrad), _run(expr, torch)
    # NaN != NaN: compare through repr.
    assert repr(ours) == repr(theirs), f"{expr}: {ours} != {theirs}"


COMPARISONS = [
    "f == 0.5", "f != 0.5", "f < 0.5", "f <= 0.5", "f > 0.5", "f >= 0.5", "0.5 < f", "1 == f",
    "f == f * 1", "f < d", "i == d", "i > 1.5", "i <= 1",
    "bo == True", "bo > 0", "bo < i", "f.eq(0.5)", "f.ne(f)", "f.lt(d)", "f.le(s)", "f.gt(col)", "f.ge(1)",
    "nan == nan", "nan != nan", "nan < 1", "i == 2**40", "f == None", "f != None", "f == 'a'",
    "lib.ones(3) == lib.ones(2)",
]


@pytest.mark.parametrize("expr", COMPARISONS)
def test_comparisons_match_pytorch(expr):
    _same_as_torch(expr)


def test_ordering_against_none_is_a_type_error():
    # Python words this message from the class's C name: PyTorch's says 'Tensor', ours 'rustgrad.Tensor'.
    with pytest.raises(TypeError, match="^'<' not supported between instances of '(rustgrad.)?Tensor' and 'NoneType'$"):
        rustgrad.tensor([1.0]) < None
    with pytest.raises(TypeError, match="^eq\\(\\): argument 'other' must be Tensor or Number, not NoneType$"):
        rustgrad.tensor([1.0]).eq(None)


def test_comparison_results_do_not_require_grad_and_tensors_stay_hashable():
    a = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    r = a > 1
    assert r.dtype == rustgrad.bool and not r.requires_grad and r.grad_fn is None
    # Optimizers key dicts by tensor: hashing is by identity, as in PyTorch.
    b = rustgrad.tensor([1.0, 2.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and hash(a) != hash(b)
    assert a in {a} and b not in {a}


LOGICAL = [
    "bo & bo", "bo | False", "bo ^ True", "i & 6", "i | 1", "i ^ i", "True & bo", "3 | i", "~bo", "~i",
    "bo & col", "i & bo", "bo | 1", "f & f", "f | 1", "f ^ True", "i & 1.5", "~f", "i.bitwise_not()",
    "f.bitwise_not()", "bo.bitwise_and(i)", "bo.bitwise_or(bo)", "i.bitwise_xor(3)",
    "bo.logical_not()", "f.logical_not()", "i.logical_not()", "f.logical_and(i)", "f.logical_or(0)",
    "bo.logical_xor(i)", "lib.logical_and(f, col)", "lib.logical_not(i)", "lib.logical_or(bo, bo)",
]


@pytest.mark.parametrize("expr", LOGICAL)
def test_logical_and_bitwise_match_pytorch(expr):
    _same_as_torch(expr)


IN_PLACE_LOGIC = [
    "f.eq_(0.5)", "f.lt_(d)", "bo.logical_not_()", "f.logical_and_(bo)", "i.bitwise_and_(6)", "bo.bitwise_or_(bo)",
    "i.eq_(1)", "bo.bitwise_and_(i)", "i.bitwise_not_()", "_iand(bo, col)",
]


@pytest.mark.parametrize("expr", IN_PLACE_LOGIC)
def test_in_place_logic_keeps_the_target_dtype(expr):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        env = _env(lib)

        def _iand(a, b):
            a &= b
            return a

        env["_iand"] = _iand
        target_name = expr.split(".")[0] if "_iand" not in expr else "bo"
        target = env[target_name]
        try:
            r = eval(expr, env)
            assert r is target
            results.append((str(r.dtype).split(".")[-1], r.tolist(), r._version))
        except Exception as e:  # noqa: BLE001
            results.append((type(e).__name__, str(e).replace("torch", "rustgrad")))
    assert results[0] == results[1]


# --- maximum / minimum ------------------------------------------------------------------------------

EXTREMA = [
    "lib.maximum(f, d)", "lib.minimum(f, col)", "lib.maximum(i, d)", "lib.maximum(i, i)", "lib.minimum(bo, i)",
    "lib.maximum(bo, bo)", "lib.maximum(nan, lib.ones(3))", "lib.minimum(lib.ones(3), nan)", "f.maximum(s)",
    "lib.maximum(f, 1.0)", "lib.maximum(lib.ones(3), lib.ones(2))",
]


@pytest.mark.parametrize("expr", EXTREMA)
def test_maximum_minimum_values_match_pytorch(expr):
    _same_as_torch(expr)


pairs = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3).flatmap(
    lambda shape: st.tuples(
        hnp.arrays(np.float64, shape, elements=st.sampled_from([-2.0, -0.5, 0.25, 1.0, 3.0])),
        hnp.arrays(np.float64, shape[-1:], elements=st.sampled_from([-1.5, 0.0, 0.75, 2.0])),
    )
)


@settings(max_examples=10, deadline=None)
@given(pairs)
def test_maximum_minimum_gradients(ab):
    a, b = ab  # b broadcasts over a; values never tie, so finite differences are exact
    check_grads(lambda x, y: rustgrad.maximum(x, y), a, b)
    check_grads(lambda x, y: rustgrad.minimum(x, y), a, b)


def test_maximum_ties_split_the_gradient_like_pytorch():
    for name in ("maximum", "minimum"):
        check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), [1.0, 2.0, 3.0], [1.0, 5.0, 0.0])
        check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), [[1.0, 2.0], [3.0, 4.0]], [2.0, 3.0])


def test_maximum_grad_fn_and_saved_tensors():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.maximum(a, lib.tensor([1.5, 1.5]))
        name = type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name()
        assert name == "MaximumBackward0" and len(y.grad_fn.next_functions) == 2
        y.sum().backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.sum().backward()


# --- where -----------------------------------------------------------------------------------------

WHERE = [
    "where(bo, i, d)", "where(bo, i, 2.5)", "where(bo, 1, 2.5)", "where(bo, 1, 2)", "where(bo, True, False)",
    "where(col, f, 0.0)", "where(col, 0, i)", "where(bo, d, 2)", "where(f > 0, f, -f)", "f.where(f > 0, 0.0)",
    "where(f, f, f)", "where(i, f, f)", "where(bo, lib.ones(2), 1.0)",
]


@pytest.mark.parametrize("expr", WHERE)
def test_where_values_and_errors_match_pytorch(expr):
    _same_as_torch(expr)


@settings(max_examples=10, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=3), elements=st.floats(-3, 3)))
def test_where_gradients(a):
    cond = rustgrad.tensor((a > 0).tolist())
    check_grads(lambda x: rustgrad.where(cond, x * 2, x * x), a)
    check_grads(lambda x: rustgrad.where(cond, x, 0.0), a)


def test_where_grad_fn_and_edges_match_pytorch():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor([1.0, 3.0], requires_grad=True)
        b = lib.tensor([5.0, 6.0], requires_grad=True)
        outs = [lib.where(a > 2, a, b), lib.where(a > 2, a, 0.0), lib.where(a > 2, 0.0, a)]
        names = [type(o.grad_fn).__name__ if lib is torch else o.grad_fn.name() for o in outs]
        edges = [[e is None or e[0] is None for e in o.grad_fn.next_functions] for o in outs]
        outs[0].sum().backward()
        results.append((names, edges, a.grad.tolist(), b.grad.tolist()))
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            outs[0].sum().backward()
    assert results[0] == results[1]
    check_against_torch(lambda lib, x, y: lib.where(x > 0, x, y), [[-1.0, 2.0], [3.0, -4.0]], [0.5, 1.5])


# --- masked_fill -----------------------------------------------------------------------------------

MASKED = [
    "f.masked_fill(f > 0, 0.0)", "f.masked_fill(col, 1)", "i.masked_fill(bo, 1.5)", "bo.masked_fill(bo, 2)",
    "f.masked_fill(bo, s)", "lib.zeros(3).masked_fill(lib.ones(2, 3, dtype=lib.bool), 1.0)",
    "f.masked_fill(f, 1.0)", "f.masked_fill(i > 0, 1.0)", "f.masked_fill(i, 1.0)", "d.masked_fill(d, 1.0)",
    "f.masked_fill(bo, lib.tensor([1.0]))", "f.masked_fill(lib.tensor([True, False]), 1.0)",
    "lib.masked_fill(f, bo, -1)", "f.masked_fill_(bo, 2.0)", "f.masked_fill_(col, s)",
    "lib.zeros(3).masked_fill_(lib.ones(2, 3, dtype=lib.bool), 1.0)",
]


@pytest.mark.parametrize("expr", MASKED)
def test_masked_fill_matches_pytorch(expr):
    _same_as_torch(expr)


@pytest.mark.parametrize("value", ["number", "tensor"])
def test_masked_fill_gradients_and_nodes(value):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor([[1.0, -2.0, 3.0], [-4.0, 5.0, 6.0]], requires_grad=True)
        v = lib.tensor(7.0, requires_grad=True)
        y = a.masked_fill(a > 2, 0.5 if value == "number" else v * 2)
        name = type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name()
        (y * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results.append((name, len(y.grad_fn.next_functions), a.grad.tolist(), None if v.grad is None else v.grad.tolist()))
        b = a * 1
        assert b.masked_fill_(a < 0, 0.0) is b
        results.append(type(b.grad_fn).__name__ if lib is torch else b.grad_fn.name())
    assert results[:2] == results[2:]
    check_grads(lambda x: x.masked_fill(rustgrad.tensor([True, False, True]), 3.0) * x, [1.0, 2.0, 3.0])


# --- copy_ -----------------------------------------------------------------------------------------

COPY = [
    "lib.zeros(3).copy_(d)", "lib.zeros(2, 3).copy_(d)", "lib.zeros(3, dtype=lib.int64).copy_(lib.tensor([1.7, 2.0, -3.9]))",
    "lib.zeros(3).copy_(bo)", "lib.zeros(3, dtype=lib.bool).copy_(lib.tensor([0.5, 0.0, 2.0]))",
    "lib.zeros(3).copy_(lib.zeros(2))", "lib.zeros(3).copy_(lib.zeros(2, 3))", "lib.zeros(2, 3).copy_(s)",
]


@pytest.mark.parametrize("expr", COPY)
def test_copy_values_and_errors_match_pytorch(expr):
    _same_as_torch(expr)


def test_copy_gradients_and_node():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        src = lib.tensor([4.0, 5.0, 6.0], dtype=lib.float64, requires_grad=True)
        b = a * 2
        assert b.copy_(src) is b
        name = type(b.grad_fn).__name__ if lib is torch else b.grad_fn.name()
        (b * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results.append((name, b.dtype == lib.float32, b.tolist(), a.grad.tolist(), src.grad.tolist(), str(src.grad.dtype)[-7:]))
        z = lib.zeros(2, 3)
        row = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        z.copy_(row)
        z.sum().backward()
        results.append((z.is_leaf, row.grad.tolist()))
        with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place operation.$"):
            a.copy_(src)
    assert results[:2] == results[2:]
