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


# --- bit shifts ---------------------------------------------------------------------------------


def _shift_env(lib):
    return {
        "lib": lib,
        "i": lib.tensor([1, 2, 3]),
        "neg": lib.tensor([-8, 8, -1]),
        "big": lib.tensor([2 ** 62, -(2 ** 62), 2 ** 63 - 1]),
        "i32": lib.tensor([1, -5, 7], dtype=lib.int32),
        "u8": lib.tensor([1, 255, 128], dtype=lib.uint8),
        "bo": lib.tensor([True, False, True]),
        "f": lib.tensor([1.0, 2.0, 3.0]),
        "by": lib.tensor([64, -1, 200]),
        "m": lib.tensor([[1, 2], [3, 4], [5, 6]]),
    }


def _run_exact(expr, lib):
    """`expr`'s values (exact ints), dtype and shape, or its exception's type and message."""
    env = _shift_env(lib)
    try:
        r = eval(expr, env)
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return ("error", type(e).__name__, str(e).replace("torch", "rustgrad"))
    if isinstance(r, tuple):  # (target, result) of an in-place op: the same object, written
        target, r = r
        assert r is target
    return (str(r.dtype).split(".")[-1], tuple(r.shape), r.tolist())


SHIFTS = [
    # past the width: a left shift gives 0, a right shift the sign fill; negative amounts likewise
    "i << 62", "i << 63", "i << 64", "i << 65", "i << -1", "neg >> 70", "neg >> 63", "neg >> 64", "neg >> -1",
    "neg << 64", "big << 1", "big << 2", "big >> 62", "i << by", "neg >> by", "i >> i", "i << i",
    # int32 shifts in 32 bits; a number wraps into int32 first (2**40 shifts by 0)
    "i32 << 31", "i32 << 32", "i32 >> 40", "i32 << 2**40", "i32 << -2**63", "i32 << i", "i32 >> lib.tensor([31, 32, -1], dtype=lib.int32)",
    # uint8: 8 bits, no sign fill; promotion with int64 shifts in int64
    "u8 << 1", "u8 << 8", "u8 >> 1", "u8 >> 9", "u8 << lib.tensor([-1])", "u8 >> lib.tensor(200, dtype=lib.uint8)",
    # bool promotes with a number, not with a bool; floats are refused
    "bo << 1", "bo >> True", "bo << bo", "bo >> bo", "f << 1", "i << 1.5", "i << f", "1.5 << i", "f >> i",
    # reflected, numbers on either side, big ints, broadcasting, non-contiguous operands
    "2 << i", "2 >> i", "True << i", "2**62 << i", "2**63 << i", "i << 2**63", "i >> 2**63", "i << 2**64", "i << -2**63 - 1",
    "i << True", "m << lib.tensor([1, 2])", "m.t() << lib.tensor([[1], [2]])", "m.t()[:, ::2] >> 1", "i << lib.tensor([1, 2])",
    # methods and module functions
    "i.bitwise_left_shift(3)", "i.bitwise_right_shift(lib.tensor(1))", "lib.bitwise_left_shift(i, 2)", "lib.bitwise_left_shift(2, i)",
    "lib.bitwise_right_shift(neg, neg)", "lib.bitwise_right_shift(-16, i)", "lib.bitwise_left_shift(f, 1)",
    # in place: the target keeps its dtype; a result it cannot hold is refused before the kernel
    "(i.bitwise_left_shift_(2), i)", "(neg.bitwise_right_shift_(70), neg)", "(i32.bitwise_left_shift_(i), i32)",
    "(i.bitwise_right_shift_(1.5), i)", "(f.bitwise_left_shift_(1), f)", "(bo.bitwise_left_shift_(1), bo)",
    "(u8.bitwise_left_shift_(lib.tensor([1, 2, 3])), u8)",
]


@pytest.mark.parametrize("expr", SHIFTS)
def test_shifts_match_pytorch(expr):
    torch = torch_or_skip()
    assert _run_exact(expr, rustgrad) == _run_exact(expr, torch)


@pytest.mark.parametrize("op", ["<<=", ">>="])
def test_shift_assignment_operators_write_in_place(op):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        t = lib.tensor([1, -8, 3])
        alias, version = t, t._version
        exec(f"t {op} lib.tensor([2, 70, -1])", {"lib": lib, "t": t})
        exec(f"t {op} 1", {"lib": lib, "t": t})
        results.append((t.tolist(), alias.tolist(), t._version - version))
        with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output type Long$"):
            exec(f"t {op} 1.5", {"t": t})
    assert results[0] == results[1]


def test_shift_results():
    run = lambda expr: _run_exact(expr, rustgrad)  # noqa: E731
    assert run("i << 62") == ("int64", (3,), [2 ** 62, -(2 ** 63), -(2 ** 62)])
    assert run("i << 64")[2] == run("i << -1")[2] == [0, 0, 0]
    assert run("neg >> 70")[2] == [-1, 0, -1]
    assert run("neg >> -1")[2] == [-1, 0, -1]
    assert run("i32 << 2**40") == ("int32", (3,), [1, -5, 7])
    assert run("u8 >> 9")[2] == [0, 0, 0]
    assert run("bo << 1") == ("int64", (3,), [2, 0, 2])
    assert run("f << 1") == ("error", "NotImplementedError", "\"lshift_cpu\" not implemented for 'Float'")
    assert run("bo >> bo") == ("error", "NotImplementedError", "\"rshift_cpu\" not implemented for 'Bool'")
    assert run("lib.bitwise_left_shift(2, i)")[2] == [4, 8, 16]
    with pytest.raises(TypeError, match="unsupported operand type"):
        rustgrad.tensor([1]) << "x"


INT64 = st.integers(-(2 ** 63), 2 ** 63 - 1)


@settings(max_examples=25, deadline=None)
@given(st.lists(INT64, min_size=1, max_size=6), st.data())
def test_shifts_within_the_width_match_numpy(values, data):
    # numpy agrees with PyTorch for amounts inside the width (wrapping left shifts, sign-filling right shifts)
    amounts = data.draw(st.lists(st.integers(0, 63), min_size=len(values), max_size=len(values)))
    a, s = np.array(values, dtype=np.int64), np.array(amounts, dtype=np.int64)
    t, by = rustgrad.tensor(values), rustgrad.tensor(amounts)
    assert (t << by).tolist() == np.left_shift(a, s).tolist()
    assert (t >> by).tolist() == np.right_shift(a, s).tolist()
    a32, s32 = a.astype(np.int32), (s % 32).astype(np.int32)
    t32, by32 = rustgrad.tensor(a32.tolist(), dtype=rustgrad.int32), rustgrad.tensor(s32.tolist(), dtype=rustgrad.int32)
    assert (t32 << by32).tolist() == np.left_shift(a32, s32).tolist()
    assert (t32 >> by32).tolist() == np.right_shift(a32, s32).tolist()


@settings(max_examples=25, deadline=None)
@given(st.lists(INT64, min_size=1, max_size=6), st.data())
def test_shifts_by_any_amount_match_pytorch(values, data):
    torch = torch_or_skip()
    amounts = data.draw(st.lists(st.one_of(st.integers(-70, 200), INT64), min_size=len(values), max_size=len(values)))
    number = data.draw(st.integers(-(2 ** 63), 2 ** 64 - 1))
    results = []
    for lib in (rustgrad, torch):
        t, by = lib.tensor(values), lib.tensor(amounts)
        results.append([(t << by).tolist(), (t >> by).tolist(), (t << number).tolist(), (t >> number).tolist(),
                        (t.int() << by.int()).tolist(), (t.int() >> number).tolist()])
    assert results[0] == results[1]


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_every_comparison_operator_on_contiguous_and_broadcast_operands(op):
    # Each operator has its own vectorised closure: check all six against numpy.
    rng = np.random.default_rng(1)
    a = rng.integers(-2, 3, size=(70, 600)).astype(np.float32)
    b = rng.integers(-2, 3, size=(70, 600)).astype(np.float32)
    ref = getattr(np, {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal"}[op])
    x, y = rustgrad.tensor(a), rustgrad.tensor(b)
    np.testing.assert_array_equal(np.array(getattr(x, op)(y).tolist()), ref(a, b))
    np.testing.assert_array_equal(np.array(getattr(x, op)(y[0]).tolist()), ref(a, b[0]))
    np.testing.assert_array_equal(np.array(getattr(x.t(), op)(y.t()).tolist()), ref(a.T, b.T))
