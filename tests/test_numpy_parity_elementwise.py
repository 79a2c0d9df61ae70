"""Elementwise ops against numpy: unary math and activations, binary arithmetic with broadcasting and
Python scalars on either side, comparisons, logical and bitwise ops, in-place variants.

Inputs are drawn by hypothesis over shapes, dtypes and layouts (contiguous, transposed, strided and
expanded views: see tests/_strategies.py). The expected result dtype is written from PyTorch's
promotion rules (`_strategies.result_dtype`), and those rules are checked against torch itself
when it is installed. Runs without torch.
"""

import math
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn.functional as F
from _helpers import torch_or_skip
from _strategies import (
    DTYPES, FEW, FLOATS, INTS, PARITY, assert_close, big_shapes, big_tensors, broadcastable, dtype_name, is_float, make,
    result_dtype, rg_dtype, shapes, tensors, to_float, to_numpy,
)

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# name -> (rustgrad function, numpy function, dtype rule, low, high, accepted input dtypes)
# dtype rule "float": floating result (ints and bool give float32, as PyTorch); "same": input dtype.
# numpy functions of "float" ops see float64 inputs; "same" ops see the input's own dtype.
NONBOOL = ["float32", "float64", "int64", "int32", "uint8"]
UNARY = {
    "neg": (lambda x: -x, lambda a: -a, "same", -10, 10, NONBOOL),
    "abs": (lambda x: x.abs(), np.abs, "same", -10, 10, NONBOOL),
    "sign": (lambda x: x.sign(), lambda a: a.copy() if a.dtype == bool else np.sign(a), "same", -10, 10, DTYPES),
    "exp": (lambda x: x.exp(), np.exp, "float", -10, 10, DTYPES),
    "log": (lambda x: x.log(), np.log, "float", 0.05, 10, DTYPES),
    "log1p": (lambda x: x.log1p(), np.log1p, "float", -0.9, 10, DTYPES),
    "expm1": (lambda x: x.expm1(), np.expm1, "float", -10, 10, DTYPES),
    "sqrt": (lambda x: x.sqrt(), np.sqrt, "float", 0, 10, DTYPES),
    "rsqrt": (lambda x: x.rsqrt(), lambda a: 1 / np.sqrt(a), "float", 0.05, 10, DTYPES),
    "sin": (lambda x: x.sin(), np.sin, "float", -10, 10, DTYPES),
    "cos": (lambda x: x.cos(), np.cos, "float", -10, 10, DTYPES),
    "tan": (lambda x: x.tan(), np.tan, "float", -1.4, 1.4, DTYPES),
    "tanh": (lambda x: x.tanh(), np.tanh, "float", -10, 10, DTYPES),
    "sigmoid": (lambda x: x.sigmoid(), _sigmoid, "float", -10, 10, DTYPES),
    "erf": (lambda x: x.erf(), _erf, "float", -3, 3, DTYPES),
    "atan": (lambda x: x.atan(), np.arctan, "float", -10, 10, DTYPES),
    "reciprocal": (lambda x: x.reciprocal(), lambda a: 1 / a, "float", 0.1, 10, DTYPES),
    "relu": (lambda x: x.relu(), lambda a: np.maximum(a, a.dtype.type(0)), "same", -10, 10, NONBOOL),
    "floor": (lambda x: x.floor(), np.floor, "same", -10, 10, NONBOOL),
    "ceil": (lambda x: x.ceil(), np.ceil, "same", -10, 10, NONBOOL),
    "round": (lambda x: x.round(), np.round, "same", -10, 10, NONBOOL),  # half to even, as PyTorch
    "square": (lambda x: x.square(), np.square, "same", -10, 10, NONBOOL),
    "clamp": (lambda x: x.clamp(-2, 3), lambda a: np.clip(a, -2, 3).astype(a.dtype), "same", -10, 10,
              ["float32", "float64", "int64", "int32"]),
    "clamp_min": (lambda x: x.clamp(min=0.5), lambda a: np.maximum(a, 0.5), "same", -10, 10, FLOATS),
    "clip_max": (lambda x: x.clip(max=-0.5), lambda a: np.minimum(a, -0.5), "same", -10, 10, FLOATS),
    "gelu": (F.gelu, lambda a: 0.5 * a * (1 + _erf(a / math.sqrt(2))), "same", -6, 6, FLOATS),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3))),
                  "same", -6, 6, FLOATS),
    "silu": (F.silu, lambda a: a * _sigmoid(a), "same", -10, 10, FLOATS),
    "softplus": (F.softplus, lambda a: np.where(a > 20, a, np.log1p(np.exp(a))), "same", -30, 30, FLOATS),
    "softplus_beta": (lambda x: F.softplus(x, beta=2.0, threshold=3.0),
                      lambda a: np.where(2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2), "same", -5, 5, FLOATS),
    "elu": (lambda x: F.elu(x, alpha=0.7), lambda a: np.where(a > 0, a, 0.7 * np.expm1(a)), "same", -10, 10, FLOATS),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda a: np.where(a > 0, a, 0.2 * a), "same", -10, 10, FLOATS),
}
UNARY_CASES = [(name, d) for name, spec in UNARY.items() for d in spec[5]]


@pytest.mark.parametrize("name,dtype", UNARY_CASES, ids=[f"{n}-{d}" for n, d in UNARY_CASES])
@FEW
@given(data=st.data())
def test_unary_matches_numpy(name, dtype, data):
    rg_fn, np_fn, rule, low, high, _ = UNARY[name]
    shape = data.draw(shapes(max_dims=3))
    a, t = data.draw(tensors(dtype, shape, low, high))
    out_dtype = to_float(dtype) if rule == "float" else dtype
    with np.errstate(all="ignore"):
        expected = np_fn(a.astype(np.float64)) if rule == "float" or is_float(dtype) else np_fn(a)
    assert_close(rg_fn(t), expected, out_dtype)
    assert_close(t, a, dtype)  # the input is left alone


@PARITY
@given(data=st.data(), decimals=st.integers(-1, 3), dtype=st.sampled_from(FLOATS))
def test_round_decimals_matches_the_scaled_rint(data, decimals, dtype):
    # PyTorch: nearbyint(x * 10^d) / 10^d (d > 0) or nearbyint(x / 10^-d) * 10^-d, in the input's dtype.
    a, t = data.draw(tensors(dtype, data.draw(shapes(max_dims=3)), -100, 100))
    scale = a.dtype.type(10.0 ** abs(decimals))
    expected = np.rint(a * scale) / scale if decimals >= 0 else np.rint(a / scale) * scale
    assert_close(t.round(decimals=decimals), expected, dtype)


# ----- binary ops -----

def _nonzero(a):
    return np.where(a == 0, a.dtype.type(1), a)


# name -> (rustgrad op, numpy op on inputs cast to the compute dtype, result kind, accepted dtypes,
#          (low, high) of the first operand, (low, high) of the second, fix-up of the second operand)
# kind "promote": result in the promoted dtype; "float": true division; "bool": comparisons.
ALL_NO_BOOL_PAIR = "no bool pair"
BINARY = {
    "add": (operator.add, np.add, "promote", DTYPES, (-10, 10), (-10, 10), None),
    "sub": (operator.sub, np.subtract, "promote", NONBOOL, (-10, 10), (-10, 10), None),
    "mul": (operator.mul, np.multiply, "promote", DTYPES, (-10, 10), (-10, 10), None),
    "div": (operator.truediv, np.divide, "float", DTYPES, (-10, 10), (-10, 10), _nonzero),
    "pow": (operator.pow, np.power, "promote", NONBOOL, (0.5, 3), (0, 3), None),
    "pow_float": (operator.pow, np.power, "promote", FLOATS, (0.5, 3), (-2, 2), None),
    "maximum": (rustgrad.maximum, np.maximum, "promote", DTYPES, (-10, 10), (-10, 10), None),
    "minimum": (rustgrad.minimum, np.minimum, "promote", DTYPES, (-10, 10), (-10, 10), None),
    "eq": (operator.eq, np.equal, "bool", DTYPES, (-3, 3), (-3, 3), None),
    "ne": (operator.ne, np.not_equal, "bool", DTYPES, (-3, 3), (-3, 3), None),
    "lt": (operator.lt, np.less, "bool", DTYPES, (-3, 3), (-3, 3), None),
    "le": (operator.le, np.less_equal, "bool", DTYPES, (-3, 3), (-3, 3), None),
    "gt": (operator.gt, np.greater, "bool", DTYPES, (-3, 3), (-3, 3), None),
    "ge": (operator.ge, np.greater_equal, "bool", DTYPES, (-3, 3), (-3, 3), None),
    "logical_and": (rustgrad.logical_and, np.logical_and, "logical", DTYPES, (-2, 2), (-2, 2), None),
    "logical_or": (rustgrad.logical_or, np.logical_or, "logical", DTYPES, (-2, 2), (-2, 2), None),
    "logical_xor": (rustgrad.logical_xor, np.logical_xor, "logical", DTYPES, (-2, 2), (-2, 2), None),
    "bitwise_and": (operator.and_, np.bitwise_and, "promote", ["int64", "int32", "uint8", "bool"], (-10, 10), (-10, 10), None),
    "bitwise_or": (operator.or_, np.bitwise_or, "promote", ["int64", "int32", "uint8", "bool"], (-10, 10), (-10, 10), None),
    "bitwise_xor": (operator.xor, np.bitwise_xor, "promote", ["int64", "int32", "uint8", "bool"], (-10, 10), (-10, 10), None),
}


def _dtype_pairs(accepted):
    if accepted == ALL_NO_BOOL_PAIR:
        return [(a, b) for a in DTYPES for b in DTYPES if not (a == "bool" and b == "bool")]
    return [(a, b) for a in accepted for b in accepted]


def _expected_binary(name, a, b, out):
    """numpy's result for `name` computed as PyTorch does: both operands cast to the common dtype first."""
    _, np_op, kind, *_ = BINARY[name]
    with np.errstate(all="ignore"):
        if kind == "logical":
            return np_op(a != 0, b != 0)
        if kind == "bool":  # comparisons: in the promoted dtype
            common = result_dtype((a.dtype.name, a.ndim), (b.dtype.name, b.ndim))
            return np_op(a.astype(common), b.astype(common))
        return np_op(a.astype(out), b.astype(out))


def _out_dtype(name, common):
    kind = BINARY[name][2]
    return {"promote": common, "float": to_float(common), "bool": "bool", "logical": "bool"}[kind]


@pytest.mark.parametrize("name", list(BINARY))
@PARITY
@given(data=st.data())
def test_binary_tensor_tensor_broadcasts_and_promotes(name, data):
    rg_op, _, _, accepted, (lo1, hi1), (lo2, hi2), fix = BINARY[name]
    da, db = data.draw(st.sampled_from(_dtype_pairs(accepted)))
    sa, sb = data.draw(broadcastable(2, max_dims=3))
    a, ta = data.draw(tensors(da, sa, lo1, hi1))
    b, tb = data.draw(tensors(db, sb, lo2, hi2))
    if fix is not None:
        b = fix(np.ascontiguousarray(b))
        tb = make(b, data.draw(st.sampled_from(["contiguous", "transposed", "strided"])))
    common = result_dtype((da, a.ndim), (db, b.ndim))
    out = _out_dtype(name, common)
    assert_close(rg_op(ta, tb), _expected_binary(name, a, b, out), out)


def _scalars(name, tensor_dtype):
    """Python scalars that `name` accepts against a tensor of `tensor_dtype` (either side)."""
    ints = st.integers(-3, 5)
    floats = st.floats(-4, 4, allow_nan=False).map(lambda v: round(v, 3))
    if name == "div":
        return st.one_of(ints.filter(bool), floats.filter(bool))
    if name.startswith("pow"):
        return st.one_of(st.integers(0, 3), st.floats(-2, 2).map(lambda v: round(v, 3)))
    if name == "sub":  # PyTorch refuses bool operands of `-`
        return st.one_of(ints, floats)
    return st.one_of(ints, floats, st.booleans())


SCALAR_OPS = ["add", "sub", "mul", "div", "pow", "eq", "ne", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("name", SCALAR_OPS)
@pytest.mark.parametrize("side", ["right", "left"])
@PARITY
@given(data=st.data())
def test_binary_with_python_scalar_on_either_side(name, side, data):
    rg_op, _, _, accepted, (lo1, hi1), _, _ = BINARY[name]
    dtypes = accepted
    if name == "pow":
        dtypes = [d for d in DTYPES if d != "bool"] if side == "right" else NONBOOL
    dtype = data.draw(st.sampled_from(dtypes))
    s = data.draw(_scalars(name, dtype))
    lo, hi = (lo1, hi1)
    if side == "left" and name == "div":
        lo, hi = 1, 10  # the tensor is the divisor: keep it away from 0
    if side == "left" and name == "pow":
        s = abs(s) + 1 if isinstance(s, int) else abs(s) + 0.5  # positive base
        lo, hi = (0, 3) if dtype in INTS else (-2, 2)
    a, t = data.draw(tensors(dtype, data.draw(shapes(max_dims=3)), lo, hi))
    common = result_dtype((dtype, a.ndim), s)
    out = _out_dtype(name, common)
    compute = out if BINARY[name][2] != "bool" else common
    np_op = BINARY[name][1]
    sv = np.array(s).astype(compute)
    with np.errstate(all="ignore"):
        expected = np_op(a.astype(compute), sv) if side == "right" else np_op(sv, a.astype(compute))
    got = rg_op(t, s) if side == "right" else rg_op(s, t)
    assert_close(got, expected, out)


@PARITY
@given(data=st.data(), name=st.sampled_from(["maximum", "minimum"]), dtype=st.sampled_from(FLOATS))
def test_maximum_minimum_propagate_nan(data, name, dtype):
    sa, sb = data.draw(broadcastable(2, min_dims=1, max_dims=3))
    a = data.draw(tensors(dtype, sa))[0].copy()
    b = data.draw(tensors(dtype, sb))[0].copy()
    a.reshape(-1)[data.draw(st.integers(0, a.size - 1))] = np.nan
    out = getattr(rustgrad, name)(make(a, "transposed"), make(b, "strided"))
    assert_close(out, getattr(np, name)(a, b), dtype)


@PARITY
@given(data=st.data(), dtype=st.sampled_from(FLOATS), op=st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]))
def test_comparisons_with_nan_are_false_except_ne(data, dtype, op):
    a = data.draw(tensors(dtype, data.draw(shapes(min_dims=1, max_dims=3))))[0].copy()
    a.reshape(-1)[0] = np.nan
    assert_close(BINARY[op][0](make(a), make(a)), BINARY[op][1](a, a), "bool")


@pytest.mark.parametrize("dtype", DTYPES)
@FEW
@given(data=st.data())
def test_logical_and_bitwise_not(dtype, data):
    a, t = data.draw(tensors(dtype, data.draw(shapes(max_dims=3)), -3, 3))
    assert_close(rustgrad.logical_not(t), np.logical_not(a), "bool")
    if not is_float(dtype):
        assert_close(~t, ~a, dtype)
        assert_close(rustgrad.bitwise_not(t), np.invert(a), dtype)


def test_promotion_rules_match_torch():
    """The expected dtypes above come from `result_dtype`; check those rules against torch itself."""
    torch = torch_or_skip()
    for da in DTYPES:
        for db in DTYPES:
            for na in (0, 1):
                for nb in (0, 1):
                    ta = torch.ones((2,) * na, dtype=getattr(torch, da))
                    tb = torch.ones((2,) * nb, dtype=getattr(torch, db))
                    assert dtype_name(torch.result_type(ta, tb)) == result_dtype((da, na), (db, nb)), (da, na, db, nb)
                    for name in ("mul", "div", "lt"):
                        got = dtype_name(BINARY[name][0](ta, tb).dtype)
                        assert got == _out_dtype(name, result_dtype((da, na), (db, nb))), (name, da, db)
            for s in (2, 1.5, True):
                ta = torch.ones((2,) * (da != "bool"), dtype=getattr(torch, da))
                assert dtype_name(torch.result_type(ta, s)) == result_dtype((da, ta.dim()), s), (da, s)
                assert dtype_name((ta / s).dtype) == to_float(result_dtype((da, ta.dim()), s))
    # The floating ops of UNARY give float32 on integer and bool inputs, the "same" ones keep the dtype.
    for name in ("exp", "sqrt", "sigmoid", "sign", "abs", "floor", "round", "relu"):
        for d in UNARY[name][5]:
            x = torch.ones(2, dtype=getattr(torch, d))
            expected = to_float(d) if UNARY[name][2] == "float" else d
            assert dtype_name(getattr(x, name)().dtype) == expected, (name, d)
    # Semantics where numpy and PyTorch could differ, checked once: round half to even.
    assert torch.tensor([0.5, 1.5, 2.5, -0.5]).round().tolist() == np.round([0.5, 1.5, 2.5, -0.5]).tolist()


# ----- in-place variants -----

INPLACE = {
    "add_": (lambda t, o: t.add_(o), operator.add),
    "sub_": (lambda t, o: t.sub_(o), operator.sub),
    "mul_": (lambda t, o: t.mul_(o), operator.mul),
    "div_": (lambda t, o: t.div_(o), operator.truediv),
    "iadd": (lambda t, o: operator.iadd(t, o), operator.add),
    "isub": (lambda t, o: operator.isub(t, o), operator.sub),
    "imul": (lambda t, o: operator.imul(t, o), operator.mul),
    "itruediv": (lambda t, o: operator.itruediv(t, o), operator.truediv),
    "clamp_": (lambda t, o: t.clamp_(-1, 2), lambda t, o: t.clamp(-1, 2)),
    "relu_": (lambda t, o: t.relu_(), lambda t, o: t.relu()),
    "sigmoid_": (lambda t, o: t.sigmoid_(), lambda t, o: t.sigmoid()),
    "exp_": (lambda t, o: t.exp_(), lambda t, o: t.exp()),
    "neg_": (lambda t, o: t.neg_(), lambda t, o: -t),
    "zero_": (lambda t, o: t.zero_(), lambda t, o: t * 0),
    "fill_": (lambda t, o: t.fill_(1.25), lambda t, o: t * 0 + 1.25),
    "copy_": (lambda t, o: t.copy_(o), lambda t, o: t * 0 + o),
}


@pytest.mark.parametrize("name", list(INPLACE))
@PARITY
@given(data=st.data(), dtype=st.sampled_from(FLOATS), layout=st.sampled_from(["contiguous", "transposed", "strided"]))
def test_inplace_matches_out_of_place_and_writes_through_views(name, data, dtype, layout):
    inplace, outofplace = INPLACE[name]
    shape, other_shape = data.draw(broadcastable(2, min_dims=1, max_dims=3).filter(
        lambda p: np.broadcast_shapes(*p) == p[0]))  # in place: the result keeps self's shape
    a = data.draw(tensors(dtype, shape, layouts=["contiguous"]))[0]
    other_dtypes = ["float32", "float64", "int64"] + ([] if "sub" in name else ["bool"])  # no bool in `-`
    other = data.draw(tensors(data.draw(st.sampled_from(other_dtypes)), other_shape, 0.5, 3))[1]
    # `base` holds a at every other element (strided) or transposed; `t` is the view of a inside it.
    t = make(a, layout)
    expected = outofplace(make(a), other)
    version = t._version
    result = inplace(t, other)
    assert result is t or name.startswith("i")
    assert t._version > version
    assert_close(t, to_numpy(expected), dtype)
    assert tuple(t.shape) == shape


@PARITY
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_inplace_through_a_view_is_seen_by_the_base(data, dtype):
    shape = data.draw(shapes(min_dims=2, max_dims=3))
    big = data.draw(tensors(dtype, tuple(2 * s for s in shape), layouts=["contiguous"]))[0]
    base = rustgrad.tensor(big)
    view = base[(slice(None, None, 2),) * len(shape)].transpose(0, -1)
    version = base._version
    view.mul_(2).add_(1)
    expected = big.copy()
    expected[(slice(None, None, 2),) * len(shape)] = expected[(slice(None, None, 2),) * len(shape)] * 2 + 1
    assert_close(base, expected, dtype)
    assert base._version == view._version == version + 2


@pytest.mark.parametrize("dtype", INTS)
@FEW
@given(data=st.data())
def test_integer_inplace_keeps_the_dtype_and_wraps_like_numpy(dtype, data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    a, t = data.draw(tensors(dtype, shape, 0, 100))
    b, tb = data.draw(tensors(dtype, shape, 0, 100))
    t = t.contiguous() if not t.is_contiguous() else t.clone()
    t.add_(tb).mul_(3).sub_(tb)
    expected = (a + b) * np.array(3).astype(dtype) - b
    assert_close(t, expected, dtype)


OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
           "location. Please clone() the tensor before performing the operation.")


@pytest.mark.parametrize("name", ["add_", "mul_", "relu_", "clamp_", "copy_", "iadd", "setitem_slice"])
def test_inplace_into_an_expanded_tensor_is_refused(name):
    t = rustgrad.zeros(1, 2).expand(3, 2)
    ops = {
        "add_": lambda: t.add_(1), "mul_": lambda: t.mul_(2), "relu_": lambda: t.relu_(),
        "clamp_": lambda: t.clamp_(0, 1), "copy_": lambda: t.copy_(rustgrad.ones(3, 2)),
        "iadd": lambda: t.__iadd__(1), "setitem_slice": lambda: t.__setitem__(slice(None), 1),
    }
    with pytest.raises(RuntimeError) as info:
        ops[name]()
    assert str(info.value) == OVERLAP


@pytest.mark.parametrize("name", ["fill_", "zero_"])
def test_fill_and_zero_into_an_expanded_tensor_write_the_shared_element(name):
    # PyTorch allows these two on expanded tensors: every view of the one element sees the value.
    base = rustgrad.zeros(1, 2) + 5
    t = base.expand(3, 2)
    t.fill_(1.5) if name == "fill_" else t.zero_()
    value = 1.5 if name == "fill_" else 0.0
    assert_close(t, np.full((3, 2), value, np.float32), "float32")
    assert_close(base, np.full((1, 2), value, np.float32), "float32")


def test_clamp_uint8_with_an_out_of_range_bound_is_refused():
    with pytest.raises(RuntimeError) as info:
        rustgrad.tensor([1, 2], dtype=rustgrad.uint8).clamp(0, 300)
    assert str(info.value) == "value cannot be converted to type uint8_t without overflow"


# PyTorch's integer-division family: `//` floors (as numpy's floor_divide), `%` takes the divisor's
# sign (as numpy's mod), div(rounding_mode="trunc") truncates (numpy's fix of the true quotient).
INT_DIVISION = {
    "floordiv": (lambda t, u: t // u, np.floor_divide),
    "remainder": (lambda t, u: t % u, np.mod),
    "div_floor": (lambda t, u: t.div(u, rounding_mode="floor"), np.floor_divide),
    "div_trunc": (lambda t, u: t.div(u, rounding_mode="trunc"), lambda a, b: np.trunc(a / b).astype(a.dtype)),
}


@pytest.mark.parametrize("name", list(INT_DIVISION))
@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_integer_division_family(name, dtype):
    rg_op, np_op = INT_DIVISION[name]
    a = np.array([[7, -7, 5], [-5, 0, 9]], dtype=dtype)
    b = np.array([2, 3, -4], dtype=dtype)
    assert_close(rg_op(make(a, "transposed"), rustgrad.tensor(b)), np_op(a, b), dtype)


def test_integer_division_semantics_match_torch():
    """The expectations of test_integer_division_family, checked against torch itself."""
    torch = torch_or_skip()
    a = np.array([[7, -7, 5], [-5, 0, 9]])
    b = np.array([2, 3, -4])
    for dtype in ("int64", "float32"):
        ta, tb = torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(torch, dtype))
        for name, (op, np_op) in INT_DIVISION.items():
            expected = np_op(a.astype(dtype), b.astype(dtype))
            assert op(ta, tb).numpy().tolist() == expected.tolist(), (name, dtype)
    assert torch.tensor([1, 2], dtype=torch.uint8).clamp(0, 255).dtype == torch.uint8
    with pytest.raises(RuntimeError, match="without overflow"):
        torch.tensor([1, 2], dtype=torch.uint8).clamp(0, 300)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        torch.zeros(1, 2).expand(3, 2).add_(1)


# ----- past the parallel grain: the rayon-split and SIMD paths on non-contiguous layouts -----

BIG_UNARY = ["exp", "tanh", "sigmoid", "log1p", "sqrt", "abs", "relu", "gelu", "silu"]


@pytest.mark.parametrize("name", BIG_UNARY)
@settings(max_examples=3, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOATS))
def test_unary_past_the_parallel_grain(name, data, dtype):
    rg_fn, np_fn, rule, low, high, _ = UNARY[name]
    a, t = data.draw(big_tensors(dtype, data.draw(big_shapes()), max(low, -20), min(high, 20)))
    with np.errstate(all="ignore"):
        expected = np_fn(a.astype(np.float64))
    assert_close(rg_fn(t), expected, dtype)


@pytest.mark.parametrize("name", ["add", "mul", "div", "maximum", "lt"])
@settings(max_examples=3, deadline=None)
@given(data=st.data(), dtypes=st.sampled_from([("float32", "float32"), ("float64", "float32"), ("int64", "float32"),
                                               ("int32", "int64"), ("float32", "bool")]))
def test_binary_past_the_parallel_grain(name, data, dtypes):
    shape = data.draw(big_shapes())
    a, ta = data.draw(big_tensors(dtypes[0], shape))
    drop = data.draw(st.integers(0, len(shape)))  # the other operand: full, or missing / size-1 along a dim
    other_shape = tuple(1 if i == drop else s for i, s in enumerate(shape))
    b, tb = data.draw(big_tensors(dtypes[1], other_shape, 0.5, 5))
    out = _out_dtype(name, result_dtype((dtypes[0], a.ndim), (dtypes[1], b.ndim)))
    assert_close(BINARY[name][0](ta, tb), _expected_binary(name, a, b, out), out)


@pytest.mark.parametrize("target", DTYPES)
@FEW
@given(data=st.data(), source=st.sampled_from(DTYPES))
def test_to_dtype_matches_numpy_astype(target, data, source):
    # Values inside every target's range (negative floats into uint8 are undefined in C and differ).
    low = 0 if target == "uint8" else -100
    a, t = data.draw(tensors(source, data.draw(shapes(max_dims=3)), low, 100))
    expected = a.astype(target)  # floats truncate toward zero, nonzero is True, as PyTorch
    assert_close(t.to(rg_dtype(target)), expected, target)
    method = {"float32": "float", "float64": "double", "int64": "long", "int32": "int", "bool": "bool"}.get(target)
    if method:
        assert_close(getattr(t, method)(), expected, target)
