"""The rounding divisions: `//`, `%`, `floor_divide`, `remainder`, `fmod`, `div(rounding_mode=...)`
(and their reflected and in-place forms): values against numpy for every dtype, broadcasting and
non-contiguous layouts, PyTorch's promotion (no float promotion), errors, grad_fn names and saved
sets, gradients (finite differences in float64 and PyTorch parity).
"""

import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip
from _strategies import FEW, PARITY, arrays, assert_close, broadcastable, elements, result_dtype, rg_dtype, tensors

NUMERIC = ["float32", "float64", "int64", "int32", "uint8"]


def _trunc_div(a, b):
    if np.issubdtype(a.dtype, np.floating):
        return np.trunc(a / b).astype(a.dtype)
    q = np.abs(a.astype(np.int64)) // np.abs(b.astype(np.int64))
    return (np.sign(a.astype(np.int64)) * np.sign(b.astype(np.int64)) * q).astype(a.dtype)


# name -> (rustgrad op, numpy op of arrays already in the result dtype)
OPS = {
    "floordiv": (lambda t, u: t // u, np.floor_divide),
    "floor_divide": (lambda t, u: rustgrad.floor_divide(t, u), np.floor_divide),
    "div_floor": (lambda t, u: t.div(u, rounding_mode="floor"), np.floor_divide),
    "div_trunc": (lambda t, u: rustgrad.div(t, u, rounding_mode="trunc"), _trunc_div),
    "mod": (lambda t, u: t % u, np.mod),
    "remainder": (lambda t, u: rustgrad.remainder(t, u), np.mod),
    "fmod": (lambda t, u: rustgrad.fmod(t, u), np.fmod),
}


def _nonzero(dtype):
    if dtype == "uint8":
        return st.integers(1, 12)
    return elements(dtype, -12, 12).filter(lambda v: abs(v) >= (0.25 if dtype.startswith("float") else 1))


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("dtype", NUMERIC)
@FEW
@given(data=st.data())
def test_values_match_numpy_with_broadcasting_and_layouts(name, dtype, data):
    rg_op, np_op = OPS[name]
    sa, sb = data.draw(broadcastable(max_dims=3))
    a, ta = data.draw(tensors(dtype, sa, -30, 30))
    b = data.draw(hnp.arrays(np.dtype(dtype), sb, elements=_nonzero(dtype)))
    assert_close(rg_op(ta, rustgrad.tensor(b)), np_op(a, b), dtype)


@pytest.mark.parametrize("name", ["floordiv", "mod", "fmod", "div_floor", "div_trunc"])
@pytest.mark.parametrize("dtype", NUMERIC)
@FEW
@given(data=st.data())
def test_python_scalars_on_either_side(name, dtype, data):
    rg_op, np_op = OPS[name]
    a, ta = data.draw(tensors(dtype, data.draw(st.sampled_from([(), (3,), (2, 3)])), -30, 30))
    c = data.draw(st.sampled_from([3, 2, 5, 7]) if dtype == "uint8" else st.sampled_from([3, -2, 2.5, -0.75]))
    out_dtype = result_dtype((dtype, a.ndim), c)
    a_, c_ = a.astype(out_dtype), np.array(c).astype(out_dtype)
    assert_close(rg_op(ta, c), np_op(a_, c_), out_dtype)
    if name in ("floordiv", "mod"):  # reflected: c // t, c % t
        safe = np.where(a_ == 0, 1, a_).astype(out_dtype)
        reflected = {"floordiv": lambda t: c // t, "mod": lambda t: c % t}[name]
        assert_close(reflected(rustgrad.tensor(safe)), np_op(c_, safe), out_dtype)


def test_uint8_casts_a_negative_scalar_divisor_first_and_int_min_wraps():
    u = rustgrad.tensor([5, 7], dtype=rustgrad.uint8)
    assert (u // -2).tolist() == [0, 0] and (u // -2).dtype == rustgrad.uint8  # 5 // 254
    assert (u % -2).tolist() == [5, 7]
    big = rustgrad.tensor([-9223372036854775807 - 1])
    assert (big // -1).tolist() == [-9223372036854775807 - 1]
    assert (big % -1).tolist() == [0]


def test_float_special_values():
    x = rustgrad.tensor([5.0, -5.0, 0.0, 1.0])
    assert (x // 0).tolist()[:2] == [float("inf"), float("-inf")] and np.isnan((x // 0).tolist()[2])
    assert all(np.isnan(v) for v in (x % 0).tolist())
    assert (x // float("inf")).tolist() == [0.0, -1.0, 0.0, 0.0]
    assert (x % float("inf")).tolist() == [5.0, float("inf"), 0.0, 1.0]
    assert rustgrad.fmod(x, float("inf")).tolist() == [5.0, -5.0, 0.0, 1.0]
    assert (rustgrad.tensor([1.0], dtype=rustgrad.float64) // 0.1).tolist() == [9.0]  # exact, as Python's 1 // 0.1
    signs = np.signbit(np.array(rustgrad.tensor([-0.5, 0.5]).div(1, rounding_mode="trunc").tolist()))
    assert signs.tolist() == [True, False]


def test_special_values_match_torch():
    torch = torch_or_skip()
    vals = [5.0, -5.0, 0.0, -0.0, 1.0, 0.5, -7.25, float("inf"), float("-inf"), float("nan")]
    divs = [0.0, -0.0, 2.0, -2.0, 0.1, float("inf"), float("-inf"), float("nan"), 3.5]
    for dt in ("float32", "float64"):
        a = np.array([[v for _ in divs] for v in vals])
        b = np.array([divs for _ in vals])
        for name in ("floordiv", "div_trunc", "mod", "fmod"):
            op = OPS[name][0]
            torch_op = {"floordiv": lambda x, y: x // y, "div_trunc": lambda x, y: torch.div(x, y, rounding_mode="trunc"),
                        "mod": lambda x, y: x % y, "fmod": torch.fmod}[name]
            ours = np.array(op(rustgrad.tensor(a, dtype=rg_dtype(dt)), rustgrad.tensor(b, dtype=rg_dtype(dt))).tolist())
            theirs = np.array(torch_op(torch.tensor(a, dtype=getattr(torch, dt)), torch.tensor(b, dtype=getattr(torch, dt))).tolist())
            np.testing.assert_array_equal(ours, theirs, err_msg=f"{name} {dt}")
            signed = ~np.isnan(ours)  # signed zeros must agree; a nan's sign bit means nothing
            np.testing.assert_array_equal(np.signbit(ours[signed]), np.signbit(theirs[signed]), err_msg=f"{name} {dt} signs")


@PARITY
@given(a_dtype=st.sampled_from(NUMERIC + ["bool"]), b=st.sampled_from(["float32", "float64", "int64", "int32", "uint8", "bool", 2, -1.5, True]),
       name=st.sampled_from(["floordiv", "mod", "fmod", "div_trunc", "div_floor"]))
def test_promotion_and_bool_refusal_match_torch(a_dtype, b, name):
    torch = torch_or_skip()
    a = np.array([[7, 5, 1], [3, 1, 6]]).astype(a_dtype)
    b_val = np.array([2, 3, 1]).astype(b) if isinstance(b, str) else b
    results = []
    for lib in (rustgrad, torch):
        ta = lib.tensor(a.tolist(), dtype=getattr(lib, a_dtype))
        tb = lib.tensor(b_val.tolist(), dtype=getattr(lib, b)) if isinstance(b, str) else b
        op = {"floordiv": lambda x, y: x // y, "mod": lambda x, y: x % y, "fmod": lambda x, y: lib.fmod(x, y),
              "div_trunc": lambda x, y: x.div(y, rounding_mode="trunc"), "div_floor": lambda x, y: x.div(y, rounding_mode="floor")}[name]
        try:
            out = op(ta, tb)
            results.append((str(out.dtype).split(".")[1], out.tolist()))
        except Exception as e:  # noqa: BLE001 - the type and message are what is compared
            results.append((type(e).__name__, str(e)))
    assert results[0] == results[1]


@pytest.mark.parametrize("op", [
    lambda t: t // 0, lambda t: t % rustgrad.tensor([1, 0]), lambda t: rustgrad.fmod(t, 0),
    lambda t: t.div(0, rounding_mode="trunc"), lambda t: t.div(0, rounding_mode="floor"), lambda t: 3 // rustgrad.tensor([0, 1]),
])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_integer_division_by_zero_raises_like_pytorch(op, dtype):
    t = rustgrad.tensor([1, 2], dtype=rg_dtype(dtype))
    with pytest.raises(RuntimeError) as info:
        op(t)
    assert str(info.value) == "ZeroDivisionError"


def test_errors():
    b = rustgrad.tensor([True, False])
    for op, kernel in ((operator.floordiv, "div_floor_cpu"), (operator.mod, "remainder_cpu"), (rustgrad.fmod, "fmod_cpu")):
        with pytest.raises(NotImplementedError) as info:
            op(b, b)
        assert str(info.value) == f"\"{kernel}\" not implemented for 'Bool'"
    with pytest.raises(NotImplementedError, match="^\"div_trunc_cpu\" not implemented for 'Bool'$"):
        b.div(b, rounding_mode="trunc")
    with pytest.raises(RuntimeError) as info:
        rustgrad.tensor([1.0]).div(2, rounding_mode="round")
    assert str(info.value) == "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"
    with pytest.raises(TypeError) as info:
        rustgrad.tensor([1.0]) // "a"
    assert str(info.value).startswith("unsupported operand type(s) for //: ")
    with pytest.raises(TypeError):
        rustgrad.tensor([1.0]) % "a"
    with pytest.raises(TypeError):
        rustgrad.fmod(3, rustgrad.tensor([2]))
    with pytest.raises(RuntimeError) as info:
        rustgrad.tensor([1, 2]).div(rustgrad.tensor([3, 2]), rounding_mode="floor").add_(0.5)
    assert str(info.value) == "result type Float can't be cast to the desired output type Long"
    with pytest.raises(RuntimeError) as info:
        rustgrad.tensor([1, 2]).div_(2)
    assert str(info.value) == "result type Float can't be cast to the desired output type Long"
    with pytest.raises(RuntimeError) as info:
        rustgrad.zeros(2, 3).floor_divide_(rustgrad.ones(4, 2, 3))
    assert str(info.value) == "output with shape [2, 3] doesn't match the broadcast shape [4, 2, 3]"


# ----- in-place forms -----

@pytest.mark.parametrize("dtype", ["int64", "float32"])
def test_in_place_forms_write_self_and_bump_the_version(dtype):
    a = np.array([[7, -7, 5], [-5, 1, 9]], dtype=dtype)
    b = np.array([2, 3, -4], dtype=dtype)
    steps = [
        (lambda t: t.__ifloordiv__(rustgrad.tensor(b)), lambda x: np.floor_divide(x, b)),
        (lambda t: t.__imod__(3), lambda x: np.mod(x, np.array(3, dtype))),
        (lambda t: t.floor_divide_(-2), lambda x: np.floor_divide(x, np.array(-2, dtype))),
        (lambda t: t.remainder_(rustgrad.tensor(b)), lambda x: np.mod(x, b)),
        (lambda t: t.fmod_(-4), lambda x: np.fmod(x, np.array(-4, dtype))),
        (lambda t: t.div_(rustgrad.tensor(b), rounding_mode="trunc"), lambda x: _trunc_div(x, b)),
        (lambda t: t.div_(2, rounding_mode="floor"), lambda x: np.floor_divide(x, np.array(2, dtype))),
    ]
    for step, expected_of in steps:
        t = rustgrad.tensor(a)
        view = t[1]
        version = t._version
        out = step(t)
        assert out is None or out is t
        assert_close(t, expected_of(a), dtype)
        assert_close(view, expected_of(a)[1], dtype)
        assert t._version == version + 1
    t = rustgrad.tensor(a)
    t //= 2
    t %= 3
    assert_close(t, np.mod(np.floor_divide(a, np.array(2, dtype)), np.array(3, dtype)), dtype)


# ----- autograd -----

def test_grad_fn_names_and_saved_values():
    x = rustgrad.tensor([1.5, -2.5], requires_grad=True)
    y = rustgrad.tensor([2.0, 3.0], requires_grad=True)
    c = rustgrad.tensor([2.0, 3.0])
    assert type((x // 2).grad_fn).__name__ == "NotImplemented"
    assert (x // y).grad_fn.name() == "torch::autograd::NotImplemented"
    assert repr(2 // x).endswith("grad_fn=<NotImplemented>)")
    assert type((2 % x).grad_fn).__name__ == "NotImplemented"
    assert type((x % 2).grad_fn).__name__ == "RemainderBackward0"
    assert type(x.fmod(2).grad_fn).__name__ == "FmodBackward0"
    g = (x % c).grad_fn
    assert type(g).__name__ == "RemainderBackward1" and g._saved_self is None and g._saved_other is None
    g = rustgrad.fmod(c, x).grad_fn
    assert type(g).__name__ == "FmodBackward1" and g._saved_self.tolist() == [2.0, 3.0] and g._saved_other is x
    assert type(x.div(2).grad_fn).__name__ == "DivBackward0"
    for mode in (None, "trunc", "floor"):
        g = x.div(c, rounding_mode=mode).grad_fn
        assert type(g).__name__ == "DivBackward2"
        assert g._saved_rounding_mode == mode and g._saved_self is None and g._saved_other.tolist() == [2.0, 3.0]
    g = rustgrad.div(c, x, rounding_mode="floor").grad_fn
    assert g._saved_self.tolist() == [2.0, 3.0] and g._saved_other is x
    assert x.div(2, rounding_mode="floor").grad_fn._saved_other.tolist() == 2


@pytest.mark.parametrize("make, aten", [
    (lambda x, y: x // y, "aten::floor_divide"), (lambda x, y: rustgrad.floor_divide(x, 2), "aten::floor_divide"),
    (lambda x, y: 3 % x, "aten::remainder"), (lambda x, y: rustgrad.remainder(3, x), "aten::remainder"),
])
def test_non_differentiable_forms_raise_at_backward(make, aten):
    x = rustgrad.tensor([1.5, -2.5], requires_grad=True)
    y = rustgrad.tensor([2.0, 3.0], requires_grad=True)
    out = make(x, y)
    assert out.requires_grad
    with pytest.raises(RuntimeError) as info:
        out.sum().backward()
    assert str(info.value) == f"derivative for {aten} is not implemented"


def test_saved_sets_make_a_second_backward_fail_as_pytorch():
    x = rustgrad.tensor([1.5, -2.5], requires_grad=True)
    y = rustgrad.tensor([2.0, 3.0], requires_grad=True)
    out = (x % 2).sum() + rustgrad.fmod(x, rustgrad.tensor([2.0, 3.0])).sum()
    out.backward()
    out.backward()  # nothing saved: a second backward works
    out = x.div(y, rounding_mode="floor").sum()
    out.backward()
    with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
        out.backward()


@st.composite
def quotient_pair(draw):
    """(a, b) of one shape with a/b at least 0.1 away from an integer (the jumps of the rounding ops)."""
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=2).map(tuple))
    b = draw(arrays("float64", shape, 0.5, 2.0)) * draw(st.sampled_from([1.0, -1.0]))
    k = draw(arrays("int64", shape, -3, 3)).astype(np.float64)
    frac = draw(arrays("float64", shape, 0.1, 0.9))
    return (k + frac) * b, b


GRAD_OPS = {
    "remainder": lambda a, b: a % b,
    "fmod": lambda a, b: a.fmod(b),
    "remainder_scalar": lambda a, b: a.remainder(1.25) * b,
    "fmod_scalar": lambda a, b: a.fmod(-0.75) + b,
    "div_floor": lambda a, b: a.div(b, rounding_mode="floor") + a * b,
    "div_trunc": lambda a, b: a.div(b, rounding_mode="trunc") * b,
    "div_none": lambda a, b: a.div(b, rounding_mode=None),
}


@pytest.mark.parametrize("name", list(GRAD_OPS))
@FEW
@given(pair=quotient_pair())
def test_gradients_finite_differences(name, pair):
    a, b = pair
    f = GRAD_OPS[name]
    if name.endswith("_scalar"):
        # keep a / c off the integers as well for the scalar divisors
        a = np.where(np.abs(a / 1.25 - np.round(a / 1.25)) < 0.05, a + 0.1, a)
        a = np.where(np.abs(a / 0.75 - np.round(a / 0.75)) < 0.05, a + 0.1, a)
    check_grads(f, a, b)


@pytest.mark.parametrize("name", list(GRAD_OPS))
@FEW
@given(pair=quotient_pair())
def test_gradients_match_pytorch(name, pair):
    a, b = pair
    f = GRAD_OPS[name]
    check_against_torch(lambda lib, x, y: f(x, y), a, b)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("name", ["floordiv", "mod", "fmod", "div_trunc"])
def test_past_the_parallel_grain_on_non_contiguous_layouts(name, dtype):
    # 300 x 230 elements (past cpu::GRAIN), read transposed, against a broadcast divisor row.
    rg_op, np_op = OPS[name]
    rng = np.random.default_rng(3)
    a = rng.integers(-1000, 1000, size=(230, 300)).astype(dtype)
    b = rng.integers(1, 50, size=(230,)).astype(dtype) * np.where(np.arange(230) % 2, 1, -1).astype(dtype)
    ta = rustgrad.tensor(a).t()
    assert not ta.is_contiguous()
    assert_close(rg_op(ta, rustgrad.tensor(b)), np_op(a.T, b), dtype)


def test_create_graph_through_remainder_and_fmod():
    x = rustgrad.tensor([1.5, -2.5], dtype=rustgrad.float64, requires_grad=True)
    y = rustgrad.tensor([2.0, 3.0], dtype=rustgrad.float64, requires_grad=True)
    out = (x % y * y).sum() + rustgrad.fmod(x, y).sum()
    gx, gy = rustgrad.autograd.grad(out, (x, y), create_graph=True)
    # d/dx = y + 1; d/dy = (x % y) - y * floor(x / y) - trunc(x / y)
    assert gx.tolist() == [3.0, 4.0]
    assert gy.tolist() == [1.5 - 0.0 - 0.0, 0.5 + 3.0 - (-0.0)]
    (gxx,) = rustgrad.autograd.grad(gx.sum(), (y,))
    assert gxx.tolist() == [1.0, 1.0]
