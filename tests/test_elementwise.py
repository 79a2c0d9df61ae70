"""Elementwise functions of one tensor: math (abs ... expm1), rounding, activations, clamp.

Checked against finite differences (float64) and against PyTorch: values, dtypes, grad_fn names,
saved sets (second backward), double backward, in-place variants, and error messages (with
``torch`` spelt ``rustgrad``).
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip, assert_error, assert_same_error_as_torch

F = rustgrad._core  # gelu, silu, ... live here until rustgrad.nn.functional exists


def _fn(lib, name):
    """The activation `name` of `lib` (torch: torch.nn.functional; rustgrad: _core)."""
    if lib is rustgrad:
        return getattr(F, name)
    return getattr(lib.nn.functional, name)


# name -> (function of (lib, x), low, high, points to keep away from (kinks / domain edges))
SMOOTH = {
    "sqrt": (lambda lib, x: x.sqrt(), 0.2, 3.0, ()),
    "rsqrt": (lambda lib, x: x.rsqrt(), 0.2, 3.0, ()),
    "sin": (lambda lib, x: x.sin(), -3.0, 3.0, ()),
    "cos": (lambda lib, x: x.cos(), -3.0, 3.0, ()),
    "tan": (lambda lib, x: x.tan(), -1.2, 1.2, ()),
    "tanh": (lambda lib, x: x.tanh(), -4.0, 4.0, ()),
    "sigmoid": (lambda lib, x: x.sigmoid(), -6.0, 6.0, ()),
    "erf": (lambda lib, x: x.erf(), -2.5, 2.5, ()),
    "atan": (lambda lib, x: x.atan(), -3.0, 3.0, ()),
    "log1p": (lambda lib, x: x.log1p(), -0.8, 3.0, ()),
    "expm1": (lambda lib, x: x.expm1(), -3.0, 3.0, ()),
    "exp": (lambda lib, x: x.exp(), -3.0, 3.0, ()),
    "gelu": (lambda lib, x: _fn(lib, "gelu")(x), -4.0, 4.0, ()),
    "gelu_tanh": (lambda lib, x: _fn(lib, "gelu")(x, approximate="tanh"), -4.0, 4.0, ()),
    "silu": (lambda lib, x: _fn(lib, "silu")(x), -5.0, 5.0, ()),
    "softplus": (lambda lib, x: _fn(lib, "softplus")(x), -5.0, 5.0, ()),
    "softplus_beta": (lambda lib, x: _fn(lib, "softplus")(x, beta=2.0, threshold=3.0), -3.0, 3.0, (1.5,)),
    "elu": (lambda lib, x: _fn(lib, "elu")(x, alpha=0.7), -3.0, 3.0, (0.0,)),
}
PIECEWISE = {
    "abs": (lambda lib, x: x.abs(), -3.0, 3.0, (0.0,)),
    "relu": (lambda lib, x: x.relu(), -3.0, 3.0, (0.0,)),
    "leaky_relu": (lambda lib, x: _fn(lib, "leaky_relu")(x, 0.2), -3.0, 3.0, (0.0,)),
    "hardtanh": (lambda lib, x: _fn(lib, "hardtanh")(x, -0.5, 1.0), -3.0, 3.0, (-0.5, 1.0)),
    "relu6": (lambda lib, x: _fn(lib, "relu6")(x * 4), -3.0, 3.0, (0.0, 1.5)),
    "clamp": (lambda lib, x: x.clamp(-0.5, 1.0), -3.0, 3.0, (-0.5, 1.0)),
    "clamp_min": (lambda lib, x: x.clamp(min=0.2), -3.0, 3.0, (0.2,)),
    "clip_max": (lambda lib, x: x.clip(max=0.2), -3.0, 3.0, (0.2,)),
    "sign": (lambda lib, x: x.sign(), -3.0, 3.0, (0.0,)),
    "floor": (lambda lib, x: x.floor(), -3.0, 3.0, (-3, -2, -1, 0, 1, 2, 3)),
    "ceil": (lambda lib, x: x.ceil(), -3.0, 3.0, (-3, -2, -1, 0, 1, 2, 3)),
    "round": (lambda lib, x: x.round(), -3.0, 3.0, (-2.5, -1.5, -0.5, 0.5, 1.5, 2.5)),
    "round_decimals": (lambda lib, x: x.round(decimals=1), -3.0, 3.0, tuple(k / 10 + 0.05 for k in range(-31, 31))),
}
ALL = {**SMOOTH, **PIECEWISE}

GRAD_FN = {
    "sqrt": "SqrtBackward0", "rsqrt": "RsqrtBackward0", "sin": "SinBackward0", "cos": "CosBackward0",
    "tan": "TanBackward0", "tanh": "TanhBackward0", "sigmoid": "SigmoidBackward0", "erf": "ErfBackward0",
    "atan": "AtanBackward0", "log1p": "Log1PBackward0", "expm1": "Expm1Backward0", "exp": "ExpBackward0",
    "gelu": "GeluBackward0", "gelu_tanh": "GeluBackward0", "silu": "SiluBackward0",
    "softplus": "SoftplusBackward0", "softplus_beta": "SoftplusBackward0", "elu": "EluBackward0",
    "abs": "AbsBackward0", "relu": "ReluBackward0", "leaky_relu": "LeakyReluBackward0",
    "hardtanh": "HardtanhBackward0", "relu6": "HardtanhBackward0", "clamp": "ClampBackward1",
    "clamp_min": "ClampBackward1", "clip_max": "ClampBackward1", "sign": "SignBackward0",
    "floor": "FloorBackward0", "ceil": "CeilBackward0", "round": "RoundBackward0", "round_decimals": "RoundBackward1",
}


def _values(draw_shape, low, high, avoid):
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False, width=64)
    return hnp.arrays(np.float64, draw_shape, elements=elements)


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3)


def _far_from(a, points, margin=1e-3):
    return all(np.all(np.abs(a - p) > margin) for p in points)


@pytest.mark.parametrize("name", sorted(ALL))
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_gradient_matches_finite_differences(name, data):
    f, low, high, avoid = ALL[name]
    shape = data.draw(shapes)
    a = data.draw(_values(shape, low, high, avoid))
    assume(_far_from(a, avoid))
    check_grads(lambda x: f(rustgrad, x), a)


@pytest.mark.parametrize("name", sorted(ALL))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_values_and_gradients_match_pytorch(name, dtype):
    f, low, high, avoid = ALL[name]
    a = np.random.default_rng(1).uniform(low, high, size=(4, 5))
    a = a[:, :][np.ones_like(a, dtype=bool)].reshape(4, 5)
    if not _far_from(a, avoid):
        a = a + 1e-2
    tol = dict(atol=1e-6, rtol=1e-5) if dtype == "float32" else dict(atol=1e-12, rtol=1e-10)
    check_against_torch(f, a, dtype=dtype, **tol)


@pytest.mark.parametrize("name", sorted(ALL))
def test_grad_fn_name_and_second_backward_like_pytorch(name):
    torch = torch_or_skip()
    f = ALL[name][0]
    outcomes = []
    for lib in (rustgrad, torch):
        x = lib.tensor([0.3, 1.7, 2.2], requires_grad=True)
        y = f(lib, x * 1)
        names = (type(y.grad_fn).__name__ if lib is torch else y.grad_fn.name(), len(y.grad_fn.next_functions))
        y.sum().backward()
        try:
            y.sum().backward()
            second = None
        except RuntimeError as e:
            second = str(e).replace("torch", "rustgrad")
        outcomes.append((names, second))
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][0][0] == GRAD_FN[name]


@pytest.mark.parametrize("name", sorted(SMOOTH))
def test_double_backward_matches_pytorch(name):
    torch = torch_or_skip()
    f, low, high, _ = SMOOTH[name]
    a = np.linspace(low, high, 8)  # avoids x = 0, where elu has a kink
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(a.tolist(), dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(f(lib, x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append((np.array(g.tolist()), np.array(gg.tolist())))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-9, atol=1e-12)


# --- dtypes --------------------------------------------------------------------------------------

METHODS = "abs sign sqrt rsqrt sin cos tan tanh sigmoid relu erf atan log1p expm1 floor ceil round square exp".split()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("data", [[1, -2, 3, 0], [True, False, True, True]])
def test_integer_and_bool_inputs_follow_pytorch(method, data):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        try:
            r = getattr(lib.tensor(data), method)()
            results.append((str(r.dtype).split(".")[-1], r.tolist()))
        except Exception as e:  # noqa: BLE001 - compared below
            results.append((type(e).__name__, str(e)))
    ours, theirs = results
    assert ours[0] == theirs[0]
    if isinstance(ours[1], list):
        np.testing.assert_allclose(np.array(ours[1], dtype=float), np.array(theirs[1], dtype=float), rtol=1e-6)
    else:
        assert ours[1] == theirs[1]


@pytest.mark.parametrize("expr", [
    "x.clamp(0, 1)", "x.clamp(0.5)", "x.clamp(max=1.5)", "x.clamp(lib.tensor(0.5))", "x.clamp(f)",
    "x.clamp(min=f, max=f + 1)", "hardtanh(x)", "relu6(x)",
])
@pytest.mark.parametrize("data", [[1, -2, 3], [True, False, True], [1.5, -2.5, 0.5]])
def test_clamp_and_hardtanh_promotion(expr, data):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        env = {"lib": lib, "x": lib.tensor(data), "f": lib.tensor([1.5, -2.5, 0.5]),
               "hardtanh": _fn(lib, "hardtanh"), "relu6": _fn(lib, "relu6")}
        try:
            r = eval(expr, env)
            results.append((str(r.dtype).split(".")[-1], r.tolist()))
        except Exception as e:  # noqa: BLE001
            results.append((type(e).__name__, str(e).replace("torch", "rustgrad")))
    assert results[0] == results[1]


def test_nan_and_infinities_like_pytorch():
    torch = torch_or_skip()
    data = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 100.0, -100.0, 1e-30]
    for expr in ["x.tanh()", "x.sigmoid()", "x.exp()", "x.relu()", "x.clamp(-1, 1)", "x.abs()", "x.sign()",
                 "x.erf()", "x.expm1()", "x.log1p()", "x.sqrt()", "x.round()", "x.floor()"]:
        for dtype in ("float32", "float64"):
            out = [eval(expr, {"x": lib.tensor(data, dtype=getattr(lib, dtype))}).tolist() for lib in (rustgrad, torch)]
            # atol: PyTorch's float32 sigmoid(-100) flushes to 0, rustgrad keeps the subnormal 3.8e-44.
            np.testing.assert_allclose(np.array(out[0]), np.array(out[1]), rtol=1e-6, atol=1e-40, err_msg=f"{expr} {dtype}")
            zeros = [(math.copysign(1, u), math.copysign(1, v)) for u, v in zip(*out) if u == 0 and v == 0]
            assert all(u == v for u, v in zeros), f"signed zeros differ: {expr}"


# --- in place ------------------------------------------------------------------------------------

INPLACE = "abs_ sign_ sqrt_ rsqrt_ sin_ cos_ tan_ tanh_ sigmoid_ relu_ erf_ atan_ log1p_ expm1_ floor_ ceil_ round_ square_ exp_ log_ neg_ reciprocal_".split()


@pytest.mark.parametrize("method", INPLACE)
def test_in_place_methods_return_self_and_match_pytorch(method):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor([0.5, 1.2, 2.0], requires_grad=True)
        b = a * 1
        r = getattr(b, method)()
        assert r is b
        name = type(b.grad_fn).__name__ if lib is torch else b.grad_fn.name()
        (b * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results.append((name, b._version, b.tolist(), a.grad.tolist()))
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
            getattr(a, method)()
    assert results[0][:2] == results[1][:2]
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-6)
    np.testing.assert_allclose(results[0][3], results[1][3], rtol=1e-6)


@pytest.mark.parametrize("expr", [
    "b.clamp_(0, 1)", "b.clip_(min=0.7)", "b.clamp_(min=a)", "b.clamp_(a * 0.5, a)",
    "elu_(b, 0.5)", "leaky_relu_(b, 0.1)", "hardtanh_(b, -0.2, 0.4)", "silu_(b)",
])
def test_in_place_activations_and_clamp(expr):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor([0.5, -1.2, 2.0], requires_grad=True)
        b = a * 1
        env = {"a": a, "b": b}
        for n in ("elu_", "leaky_relu_", "hardtanh_", "silu_"):
            env[n] = getattr(F, n) if lib is rustgrad else (lambda n: lambda x, *args: getattr(torch.nn.functional, n[:-1])(x, *args, inplace=True))(n)
        r = eval(expr, env)
        assert r is b
        name = type(b.grad_fn).__name__ if lib is torch else b.grad_fn.name()
        (b * lib.tensor([1.0, 2.0, 3.0])).sum().backward()
        results.append((name, b.tolist(), a.grad.tolist()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-6)


def test_in_place_on_a_saved_result_is_detected():
    for make in (lambda a: a.sigmoid(), lambda a: a.tanh(), lambda a: a.relu(), lambda a: a.sqrt()):
        a = rustgrad.tensor([1.0, 2.0], requires_grad=True)
        b = make(a)
        b.mul_(2)
        with pytest.raises(RuntimeError, match=r"\[rustgrad.FloatTensor \[2\]\], which is output 0 of "):
            b.sum().backward()


def test_integer_in_place_float_function_fails_like_pytorch():
    x = rustgrad.tensor([1, 2])
    with pytest.raises(RuntimeError, match="^result type Float can't be cast to the desired output type Long$"):
        x.sqrt_()
    assert x.abs_().tolist() == [1, 2]


# --- errors --------------------------------------------------------------------------------------

ERRORS = [
    "-bo", "bo.abs()", "bo.floor()", "bo.round()", "bo.relu()", "gelu(i)", "gelu(bo)", "silu(i)", "softplus(i)",
    "elu(i)", "leaky_relu(i)", "hardtanh(bo)", "relu6(bo)", "f.clamp()", "f.clamp(None, None)",
    "gelu(f, approximate='foo')", "i.round(decimals=1)", "i.sqrt_()",
]


@pytest.mark.parametrize("expr", ERRORS)
def test_errors_match_pytorch(expr):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        env = {"i": lib.tensor([1, -2, 3]), "bo": lib.tensor([True, False]), "f": lib.tensor([1.5, -2.5])}
        for n in ("gelu", "silu", "softplus", "elu", "leaky_relu", "hardtanh", "relu6"):
            env[n] = _fn(lib, n)
        with pytest.raises(Exception) as info:
            eval(expr, env)
        results.append((type(info.value).__name__, str(info.value).replace("torch", "rustgrad")))
    assert results[0] == results[1]


def test_hardtanh_bounds_are_checked():
    with pytest.raises(ValueError, match="^min_val cannot be greater than max_val$"):
        F.hardtanh(rustgrad.tensor([1.0]), 1.0, 0.0)


# --- broadcasting, large tensors -----------------------------------------------------------------

def test_broadcast_inputs_and_gradients():
    # An expanded (stride-0) input and the stride-0 gradient of sum() go through the strided paths.
    check_against_torch(lambda lib, x: x.expand(3, 4).tanh() * x.expand(3, 4).sigmoid(), np.linspace(-2, 2, 4))
    check_against_torch(lambda lib, x: x.expand(2, 3).clamp(-0.5, 0.5).relu(), np.linspace(-1, 1, 3).reshape(1, 3) + 0.01)
    check_grads(lambda x: x.expand(2, 3).erf().log1p(), np.linspace(0.1, 1, 3))


@pytest.mark.parametrize("n", [32767, 32768, 100003])
def test_large_float32_tensors_match_pytorch_to_a_few_ulp(n):
    torch = torch_or_skip()
    a = np.random.default_rng(n).standard_normal(n).astype(np.float32) * 4
    # tanh / sigmoid / exp agree to a few ULP; silu and gelu cancel near their minimum, so they get an
    # absolute tolerance there.
    for expr, atol in (("x.tanh()", 1e-37), ("x.sigmoid()", 1e-37), ("x.exp()", 1e-37), ("silu(x)", 1e-6),
                       ("gelu(x, approximate='tanh')", 1e-6)):
        outs = []
        for lib in (rustgrad, torch):
            x = lib.tensor(a.tolist(), requires_grad=True)
            y = eval(expr, {"x": x, "silu": _fn(lib, "silu"), "gelu": _fn(lib, "gelu")})
            (y * y).sum().backward()
            outs.append((np.array(y.tolist(), dtype=np.float32), np.array(x.grad.tolist(), dtype=np.float32)))
        np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=4e-7, atol=atol, err_msg=expr)
        np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=3e-6, atol=1e-6, err_msg=expr)


# ----- numbers that do not fit the tensor's dtype (c10's checked_convert) -----

OVERFLOW_CASES = [
    # (dtype, call, PyTorch raises with this C++ type name, or None when it converts, wrapping)
    ("uint8", lambda lib, t: t.clamp(0, 300), "uint8_t"),
    ("uint8", lambda lib, t: t.clamp(min=300), "uint8_t"),
    ("uint8", lambda lib, t: t.clamp_(0, 256), "uint8_t"),
    ("uint8", lambda lib, t: t.clamp(-1, 3), None),
    ("uint8", lambda lib, t: t.clamp(0, 1.5), None),  # promotes to float: no conversion to uint8
    ("int32", lambda lib, t: t.clamp(0, 2 ** 40), "int"),
    ("float32", lambda lib, t: t.clamp(0, 1e300), "float"),
    ("int64", lambda lib, t: t.clamp(0, 1e30), None),
    ("uint8", lambda lib, t: t.fill_(300), "uint8_t"),
    ("uint8", lambda lib, t: t.fill_(-255), None),
    ("uint8", lambda lib, t: t.fill_(-256), "uint8_t"),
    ("uint8", lambda lib, t: t.fill_(-1.5), "uint8_t"),
    ("uint8", lambda lib, t: t.fill_(255.5), "uint8_t"),
    ("uint8", lambda lib, t: t.fill_(255.0), None),
    ("uint8", lambda lib, t: t.fill_(float("nan")), "uint8_t"),
    ("uint8", lambda lib, t: t.fill_(lib.tensor(300)), None),  # a tensor value wraps
    ("int64", lambda lib, t: t.fill_(float("inf")), "int64_t"),
    ("float32", lambda lib, t: t.fill_(float("inf")), None),
    ("float32", lambda lib, t: t.fill_(3.5e38), "float"),
    ("bool", lambda lib, t: t.fill_(5), None),
    ("uint8", lambda lib, t: t.masked_fill(lib.tensor([True, False]), 300), "uint8_t"),
    ("uint8", lambda lib, t: t.masked_fill(lib.tensor([True, False]), lib.tensor(300)), "uint8_t"),
    ("uint8", lambda lib, t: t.masked_fill_(lib.tensor([True, False]), -1), None),
    ("uint8", lambda lib, t: t.__setitem__(0, 300), "uint8_t"),
    ("int32", lambda lib, t: lib.full((2,), 2 ** 40, dtype=lib.int32), "int"),
    ("uint8", lambda lib, t: lib.full((2,), 300, dtype=lib.uint8), "uint8_t"),
    ("uint8", lambda lib, t: lib.full_like(t, 300), "uint8_t"),
    ("uint8", lambda lib, t: lib.full((2,), -1, dtype=lib.uint8), None),
    ("uint8", lambda lib, t: t + 300, None),  # arithmetic wraps, as C++
]


def _run_overflow_case(lib, dtype, call):
    t = lib.tensor([1, 2], dtype=getattr(lib, dtype))
    before = t.tolist()
    try:
        out = call(lib, t)
    except RuntimeError as e:
        assert t.tolist() == before  # refused before writing
        return str(e)
    return out.tolist() if out is not None else t.tolist()


@pytest.mark.parametrize("case", range(len(OVERFLOW_CASES)))
def test_numbers_out_of_the_dtype_range(case):
    dtype, call, raises = OVERFLOW_CASES[case]
    got = _run_overflow_case(rustgrad, dtype, call)
    if raises is None:
        assert not isinstance(got, str), got
    else:
        assert got == f"value cannot be converted to type {raises} without overflow"


@pytest.mark.parametrize("case", range(len(OVERFLOW_CASES)))
def test_numbers_out_of_the_dtype_range_match_torch(case):
    torch = torch_or_skip()
    dtype, call, _ = OVERFLOW_CASES[case]
    ours, theirs = _run_overflow_case(rustgrad, dtype, call), _run_overflow_case(torch, dtype, call)
    if isinstance(theirs, list):
        np.testing.assert_allclose(np.array(ours, dtype=float), np.array(theirs, dtype=float))
    else:
        assert ours == theirs


# --- function forms given something else than a tensor: PyTorch's TypeError (norm: its AttributeError) ---

FUNCTION_INPUT_ERRORS = [
    ("lib.exp('a')", lambda lib: lib.exp('a'), TypeError, "exp(): argument 'input' (position 1) must be Tensor, not str"),
    ('lib.sqrt(None)', lambda lib: lib.sqrt(None), TypeError, "sqrt(): argument 'input' (position 1) must be Tensor, not NoneType"),
    ('lib.relu_([1.0])', lambda lib: lib.relu_([1.0]), TypeError, "relu_(): argument 'input' (position 1) must be Tensor, not list"),
    ('lib.log(1.5)', lambda lib: lib.log(1.5), TypeError, "log(): argument 'input' (position 1) must be Tensor, not float"),
    ("lib.clone('a')", lambda lib: lib.clone('a'), TypeError, "clone(): argument 'input' (position 1) must be Tensor, not str"),
    ("lib.numel('a')", lambda lib: lib.numel('a'), TypeError, "numel(): argument 'input' (position 1) must be Tensor, not str"),
    ("lib.round('a')", lambda lib: lib.round('a'), TypeError, "round(): argument 'input' (position 1) must be Tensor, not str"),
    ("lib.argmax('a')", lambda lib: lib.argmax('a'), TypeError, "argmax(): argument 'input' (position 1) must be Tensor, not str"),
    ('lib.amax(None)', lambda lib: lib.amax(None), TypeError, "amax(): argument 'input' (position 1) must be Tensor, not NoneType"),
    ("lib.matmul('a', lib.ones(2))", lambda lib: lib.matmul('a', lib.ones(2)), TypeError, "matmul(): argument 'input' (position 1) must be Tensor, not str"),
    ("lib.t('a')", lambda lib: lib.t('a'), TypeError, "t(): argument 'input' (position 1) must be Tensor, not str"),
    ('lib.flatten([1])', lambda lib: lib.flatten([1]), TypeError, "flatten(): argument 'input' (position 1) must be Tensor, not list"),
    ("lib.norm('a')", lambda lib: lib.norm('a'), AttributeError, "'str' object has no attribute 'layout'"),
]


@pytest.mark.parametrize("name, call, exc_type, message", FUNCTION_INPUT_ERRORS, ids=[c[0] for c in FUNCTION_INPUT_ERRORS])
def test_function_input_errors(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", FUNCTION_INPUT_ERRORS, ids=[c[0] for c in FUNCTION_INPUT_ERRORS])
def test_function_input_errors_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)


# --- clamp's two overloads: both bounds numbers or both tensors ---

CLAMP_ARG_ERRORS = [
    ('lib.ones(2, 3).clamp(0, lib.ones(3))',
     lambda lib: lib.ones(2, 3).clamp(0, lib.ones(3)),
     TypeError, "clamp() received an invalid combination of arguments - got (int, Tensor), but expected one of:\n * (Tensor min = None, Tensor max = None)\n      didn't match because some of the arguments have invalid types: (!int!, !Tensor!)\n * (Number min = None, Number max = None)\n      didn't match because some of the arguments have invalid types: (!int!, !Tensor!)\n"),
    ("lib.ones(2, 3).clamp('a')",
     lambda lib: lib.ones(2, 3).clamp('a'),
     TypeError, 'clamp() received an invalid combination of arguments - got (str), but expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min = None, Number max = None)\n'),
    ("lib.ones(2, 3).clamp(max='a')",
     lambda lib: lib.ones(2, 3).clamp(max='a'),
     TypeError, 'clamp() received an invalid combination of arguments - got (max=str, ), but expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min = None, Number max = None)\n'),
    ("lib.ones(2, 3).clamp(0, 'a')",
     lambda lib: lib.ones(2, 3).clamp(0, 'a'),
     TypeError, "clamp() received an invalid combination of arguments - got (int, str), but expected one of:\n * (Tensor min = None, Tensor max = None)\n      didn't match because some of the arguments have invalid types: (!int!, !str!)\n * (Number min = None, Number max = None)\n      didn't match because some of the arguments have invalid types: (!int!, !str!)\n"),
    ('lib.ones(2, 3).clamp_(min=[1])',
     lambda lib: lib.ones(2, 3).clamp_(min=[1]),
     TypeError, 'clamp_() received an invalid combination of arguments - got (min=list, ), but expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min = None, Number max = None)\n'),
    ("lib.ones(2, 3).clip(max='a')",
     lambda lib: lib.ones(2, 3).clip(max='a'),
     TypeError, 'clip() received an invalid combination of arguments - got (max=str, ), but expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min = None, Number max = None)\n'),
    ('lib.ones(2, 3).clip_(lib.ones(3), 1)',
     lambda lib: lib.ones(2, 3).clip_(lib.ones(3), 1),
     TypeError, "clip_() received an invalid combination of arguments - got (Tensor, int), but expected one of:\n * (Tensor min = None, Tensor max = None)\n      didn't match because some of the arguments have invalid types: (!Tensor!, !int!)\n * (Number min = None, Number max = None)\n      didn't match because some of the arguments have invalid types: (!Tensor!, !int!)\n"),
    ('lib.ones(2, 3).clamp(1, 2, 3)',
     lambda lib: lib.ones(2, 3).clamp(1, 2, 3),
     TypeError, 'clamp() received an invalid combination of arguments - got (int, int, int), but expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min = None, Number max = None)\n'),
    ('lib.ones(2, 3).clamp(foo=1)',
     lambda lib: lib.ones(2, 3).clamp(foo=1),
     TypeError, 'clamp() received an invalid combination of arguments - got (foo=int, ), but expected one of:\n * (Tensor min = None, Tensor max = None)\n * (Number min = None, Number max = None)\n'),
]


@pytest.mark.parametrize("name, call, exc_type, message", CLAMP_ARG_ERRORS, ids=[c[0] for c in CLAMP_ARG_ERRORS])
def test_clamp_argument_errors(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", CLAMP_ARG_ERRORS, ids=[c[0] for c in CLAMP_ARG_ERRORS])
def test_clamp_argument_errors_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)



@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("lo,hi", [(-0.5, 0.5), (None, 0.25), (-0.25, None), (0.5, -0.5), (float("nan"), 1.0), (-1.0, float("nan"))])
def test_clamp_with_number_bounds_matches_torch_including_nan_and_crossed_bounds(dtype, lo, hi):
    torch = pytest.importorskip("torch")
    values = [-2.0, -0.5, -0.1, 0.0, 0.3, 0.5, 7.0, float("nan"), float("inf"), -float("inf")] * 5000
    ours = rustgrad.tensor(values, dtype=getattr(rustgrad, dtype)).clamp(lo, hi)
    theirs = torch.tensor(values, dtype=getattr(torch, dtype)).clamp(lo, hi)
    np.testing.assert_array_equal(np.array(ours.tolist()), np.array(theirs.tolist()))
