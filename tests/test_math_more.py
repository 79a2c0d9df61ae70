"""The extra elementwise math of ``src/ops/unary_more.rs``: asin/acos/asinh/acosh/atanh/sinh/cosh,
log2/log10, lgamma/digamma/polygamma, deg2rad/rad2deg, trunc/frac/sgn/signbit, hypot/logaddexp/
logaddexp2/copysign/fmax/fmin, and the alias names (arcsin, multiply, fix, ...). Values against
numpy/scipy-free references (hypothesis), gradients by finite differences in float64 and against
PyTorch, grad_fn names, dtypes, in-place forms and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=12, deadline=None)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)

# name -> (numpy reference, domain of the gradient checks, grad_fn name)
UNARY = {
    "asin": (np.arcsin, (-0.9, 0.9), "AsinBackward0"),
    "acos": (np.arccos, (-0.9, 0.9), "AcosBackward0"),
    "asinh": (np.arcsinh, (-3.0, 3.0), "AsinhBackward0"),
    "acosh": (np.arccosh, (1.2, 4.0), "AcoshBackward0"),
    "atanh": (np.arctanh, (-0.9, 0.9), "AtanhBackward0"),
    "sinh": (np.sinh, (-3.0, 3.0), "SinhBackward0"),
    "cosh": (np.cosh, (-3.0, 3.0), "CoshBackward0"),
    "log2": (np.log2, (0.2, 5.0), "Log2Backward0"),
    "log10": (np.log10, (0.2, 5.0), "Log10Backward0"),
    "lgamma": (np.vectorize(math.lgamma), (0.3, 6.0), "LgammaBackward0"),
    "deg2rad": (np.deg2rad, (-400.0, 400.0), "Deg2RadBackward0"),
    "rad2deg": (np.rad2deg, (-7.0, 7.0), "Rad2DegBackward0"),
    "frac": (lambda a: a - np.trunc(a), (-5.0, 5.0), "FracBackward0"),
}


def _values(shape, seed, lo, hi):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


@pytest.mark.parametrize("name", sorted(UNARY))
@FEW
@given(shape=shapes, seed=st.integers(0, 2 ** 16))
def test_unary_values_and_gradients(name, shape, seed):
    ref, (lo, hi), _ = UNARY[name]
    a = _values(shape, seed, lo, hi)
    out = getattr(rustgrad, name)(rustgrad.tensor(a, dtype=rustgrad.float64))
    np.testing.assert_allclose(np.array(out.tolist()), ref(a), rtol=1e-12, atol=1e-12)
    # Keep finite differences away from frac's jumps.
    if name != "frac" or np.all(np.abs(a - np.round(a)) > 1e-3):
        check_grads(lambda t: getattr(t, name)(), a)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_matches_torch_in_float32_and_float64(name):
    _, (lo, hi), grad_fn = UNARY[name]
    a = _values((3, 4), 7, lo, hi)
    for dtype in ("float32", "float64"):
        tol = 1e-5 if dtype == "float32" else 1e-10
        check_against_torch(lambda lib, t: getattr(lib, name)(t), a, dtype=dtype, rtol=tol, atol=tol)
    x = rustgrad.tensor(a.tolist(), requires_grad=True)
    assert getattr(x, name)().grad_fn.name() == grad_fn
    # A non-contiguous input gives the same values as its contiguous copy.
    y = rustgrad.tensor(_values((4, 3), 8, lo, hi))
    assert getattr(y.t(), name)().tolist() == getattr(y.t().contiguous(), name)().tolist()


def test_integer_inputs_give_float32_and_match_torch():
    torch = torch_or_skip()
    ints = [1, 2, 3]
    for name in ["asinh", "sinh", "cosh", "log2", "log10", "lgamma", "digamma", "deg2rad", "rad2deg"]:
        ours = getattr(rustgrad, name)(rustgrad.tensor(ints))
        theirs = getattr(torch, name)(torch.tensor(ints))
        assert ours.dtype == rustgrad.float32, name
        np.testing.assert_allclose(ours.tolist(), theirs.tolist(), rtol=1e-6, err_msg=name)


def test_gamma_family_matches_torch_including_poles_and_negative_arguments():
    torch = torch_or_skip()
    xs = [0.0, -0.0, -1.0, -1.5, -2.25, 1e-8, 0.5, 1.0, 3.7, 10.0, 55.5, 1e6]
    for dtype in ("float32", "float64"):
        for name in ("lgamma", "digamma"):
            ours = getattr(rustgrad, name)(rustgrad.tensor(xs, dtype=getattr(rustgrad, dtype))).tolist()
            theirs = getattr(torch, name)(torch.tensor(xs, dtype=getattr(torch, dtype))).tolist()
            np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-12, err_msg=f"{name} {dtype}")
        for n in (1, 2, 3, 5):
            pos = [v for v in xs if v > 0]
            ours = rustgrad.polygamma(n, rustgrad.tensor(pos, dtype=getattr(rustgrad, dtype))).tolist()
            theirs = torch.polygamma(n, torch.tensor(pos, dtype=getattr(torch, dtype))).tolist()
            np.testing.assert_allclose(ours, theirs, rtol=1e-5 if dtype == "float32" else 1e-11, err_msg=f"polygamma {n}")


@FEW
@given(shape=shapes, seed=st.integers(0, 2 ** 16))
def test_digamma_and_polygamma_gradients(shape, seed):
    a = _values(shape, seed, 0.3, 5.0)
    check_grads(lambda t: t.digamma(), a, rtol=1e-4)
    check_grads(lambda t: rustgrad.polygamma(2, t), a, rtol=1e-4, atol=1e-5)
    x = rustgrad.tensor(a.tolist(), requires_grad=True)
    assert x.digamma().grad_fn.name() == "DigammaBackward0"
    assert rustgrad.polygamma(1, x).grad_fn.name() == "PolygammaBackward0"


def test_lgamma_second_derivative_through_create_graph_matches_torch():
    check_against_torch(
        lambda lib, t: lib.autograd.grad(lib.lgamma(t).sum(), t, create_graph=True)[0], [0.7, 2.5, 4.0]
    )


def test_polygamma_of_negative_order_is_refused_like_torch():
    assert_same_error_as_torch(lambda lib: lib.polygamma(-1, lib.tensor([1.0])))


# ----- trunc / frac / sgn / signbit -----

SIGNED = [-2.5, -1.0, -0.0, 0.0, 0.3, 1.75, float("inf"), -float("inf"), float("nan")]


@pytest.mark.parametrize("name", ["trunc", "fix", "sgn", "signbit", "frac"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
def test_rounding_and_sign_functions_match_torch_for_each_dtype(name, dtype):
    torch = torch_or_skip()
    values = {"bool": [True, False], "int64": [-3, 0, 4]}.get(dtype, SIGNED)

    def run(lib):
        return getattr(lib, name)(lib.tensor(values, dtype=getattr(lib, dtype)))

    from _helpers import error_of
    theirs = error_of(torch, run)
    if theirs is not None:
        assert error_of(rustgrad, run) == theirs
        return
    ours, ref = run(rustgrad), run(torch)
    assert str(ours.dtype).split(".")[1] == str(ref.dtype).split(".")[1]
    np.testing.assert_array_equal(np.array(ours.tolist(), dtype=float), np.array(ref.tolist(), dtype=float))
    if dtype.startswith("float") and name != "signbit":
        # the sign of zero survives trunc as in PyTorch
        assert [math.copysign(1, v) for v in ours.tolist() if v == 0] == [math.copysign(1, v) for v in ref.tolist() if v == 0]


def test_piecewise_constant_gradients_are_zero_with_pytorchs_names():
    x = rustgrad.tensor([-1.5, 0.5, 2.0], requires_grad=True)
    for name, grad_fn, expected in [("trunc", "TruncBackward0", 0.0), ("sgn", "SgnBackward0", 0.0), ("frac", "FracBackward0", 1.0)]:
        y = getattr(x, name)()
        assert y.grad_fn.name() == grad_fn
        (g,) = rustgrad.autograd.grad(y.sum(), x)
        assert g.tolist() == [expected] * 3
    assert rustgrad.signbit(x).grad_fn is None


# ----- binary -----

BINARY = {
    "hypot": (np.hypot, "HypotBackward0"),
    "logaddexp": (np.logaddexp, "LogaddexpBackward0"),
    "logaddexp2": (np.logaddexp2, "Logaddexp2Backward0"),
    "copysign": (np.copysign, "CopysignBackward0"),
    "fmax": (np.fmax, "FmaxBackward0"),
    "fmin": (np.fmin, "FminBackward0"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(shape=shapes, seed=st.integers(0, 2 ** 16), broadcast=st.booleans())
def test_binary_values_and_gradients(name, shape, seed, broadcast):
    ref, _ = BINARY[name]
    a = _values(shape, seed, -3.0, 3.0)
    b = _values(shape[-1:] if broadcast else shape, seed + 1, -3.0, 3.0)
    out = getattr(rustgrad, name)(rustgrad.tensor(a), rustgrad.tensor(b))
    np.testing.assert_allclose(np.array(out.tolist()), ref(a, b), rtol=1e-12, atol=1e-12)
    if name == "copysign":
        a = np.where(np.abs(a) < 1e-3, 0.5, a)  # away from the kink at 0
    check_grads(lambda x, y: getattr(rustgrad, name)(x, y), a, b)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_matches_torch_with_grad_fn_and_special_values(name):
    torch = torch_or_skip()
    _, grad_fn = BINARY[name]
    a, b = _values((2, 3), 3, -2.0, 2.0), _values((3,), 4, -2.0, 2.0)
    check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), a, b)
    check_against_torch(lambda lib, x, y: getattr(lib, name)(x, y), a, b, dtype="float32", rtol=1e-5, atol=1e-6)
    x = rustgrad.tensor(a.tolist(), requires_grad=True)
    assert getattr(x, name)(rustgrad.tensor(b.tolist())).grad_fn.name() == grad_fn
    inf, nan = float("inf"), float("nan")
    sa, sb = [inf, -inf, nan, 1.0, -0.0, 1000.0], [inf, -inf, 2.0, nan, 3.0, 1000.0]
    ours = getattr(rustgrad, name)(rustgrad.tensor(sa), rustgrad.tensor(sb)).tolist()
    theirs = getattr(torch, name)(torch.tensor(sa), torch.tensor(sb)).tolist()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # dtype promotion, or PyTorch's refusal of integer operands
    for pair in ([1, 2], [3, 4]), ([True, False], [False, False]):
        from _helpers import error_of

        def run(lib, pair=pair):
            return getattr(lib, name)(lib.tensor(pair[0]), lib.tensor(pair[1]))

        theirs = error_of(torch, run)
        if theirs is not None:
            assert error_of(rustgrad, run) == theirs
        else:
            assert str(run(rustgrad).dtype).split(".")[1] == str(run(torch).dtype).split(".")[1]
            assert run(rustgrad).tolist() == run(torch).tolist()


def test_copysign_with_a_number_and_in_place_forms_match_torch():
    check_against_torch(lambda lib, t: lib.copysign(t, -1.0), [1.5, -2.0, 0.0])
    x = rustgrad.tensor([1.0, -2.0], requires_grad=True)
    assert x.copysign(-1.0).grad_fn.name() == "CopysignBackward1"
    check_against_torch(lambda lib, t: (t * 1).hypot_(lib.tensor([3.0, 4.0], dtype=lib.float64)), [4.0, 3.0])
    check_against_torch(lambda lib, t: (t * 1).asin_(), [0.25, -0.5])
    y = rustgrad.tensor([0.5, -0.25])
    v = y._version
    assert y.atanh_() is y and y._version == v + 1


@pytest.mark.parametrize("call", [
    lambda lib: lib.hypot(lib.tensor([1.0]), 2.0),
    lambda lib: lib.tensor([1.0]).hypot(2.0),
    lambda lib: lib.tensor([1.0]).fmax("a"),
    lambda lib: lib.positive(lib.tensor([True])),
    lambda lib: lib.tensor([1.0]).float_power_(2),
    lambda lib: lib.frac(lib.tensor([1, 2])),
    lambda lib: lib.hypot(2.0, lib.tensor([1.0])),
    lambda lib: lib.fmax([1.0], lib.tensor([1.0])),
    lambda lib: lib.polygamma(1, 2.0),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- aliases and composites -----

@pytest.mark.parametrize("alias,target", [
    ("absolute", "abs"), ("arccos", "acos"), ("arcsin", "asin"), ("arctan", "atan"), ("arcsinh", "asinh"),
    ("arccosh", "acosh"), ("arctanh", "atanh"), ("negative", "neg"), ("fix", "trunc"),
])
def test_unary_aliases_are_the_same_function(alias, target):
    x = rustgrad.tensor([1.25, 1.5] if target == "acosh" else [0.25, -0.5], requires_grad=True)
    assert getattr(rustgrad, alias)(x).tolist() == getattr(rustgrad, target)(x).tolist()
    assert getattr(x, alias)().grad_fn.name() == getattr(x, target)().grad_fn.name()


@pytest.mark.parametrize("alias,target", [("multiply", "mul"), ("subtract", "sub"), ("true_divide", "div"), ("arctan2", "atan2")])
def test_binary_aliases_are_the_same_function(alias, target):
    a, b = rustgrad.tensor([1.0, -2.0]), rustgrad.tensor([3.0, 0.5])
    assert getattr(rustgrad, alias)(a, b).tolist() == getattr(rustgrad, target)(a, b).tolist()
    assert getattr(a, alias)(b).tolist() == getattr(a, target)(b).tolist()


def test_positive_and_float_power_match_torch():
    torch = torch_or_skip()
    x = rustgrad.tensor([1.0, 2.0])
    assert rustgrad.positive(x) is x and x.positive() is x
    check_against_torch(lambda lib, t: lib.float_power(t, 2), [1.5, -2.0], dtype="float32", rtol=1e-12)
    check_against_torch(lambda lib, t: lib.float_power(t, t), [1.5, 2.0], dtype="float32", rtol=1e-12)
    ours = rustgrad.float_power(rustgrad.tensor([2, 3]), 2)
    theirs = torch.float_power(torch.tensor([2, 3]), 2)
    assert (str(ours.dtype), ours.tolist()) == (str(theirs.dtype).replace("torch", "rustgrad"), theirs.tolist())
    assert rustgrad.float_power(2, rustgrad.tensor([1.0, 3.0])).tolist() == [2.0, 8.0]
    y = rustgrad.tensor([1.0, 2.0], dtype=rustgrad.float64)
    assert y.float_power_(2) is y and y.tolist() == [1.0, 4.0]


# ----- ldexp, heaviside, gcd, lcm -----

@FEW
@given(shape=shapes, seed=st.integers(0, 2 ** 16))
def test_ldexp_values_and_gradients(shape, seed):
    a = _values(shape, seed, -3.0, 3.0)
    e = _values(shape, seed + 1, -2.0, 2.0)
    out = rustgrad.ldexp(rustgrad.tensor(a), rustgrad.tensor(e))
    np.testing.assert_allclose(np.array(out.tolist()), a * 2.0 ** e, rtol=1e-12)
    check_grads(rustgrad.ldexp, a, e)


def test_ldexp_heaviside_gcd_lcm_match_torch():
    torch = torch_or_skip()
    check_against_torch(lambda lib, x, y: lib.ldexp(x, y), [1.5, -2.0, 0.25], [2.0, 3.0, -1.0])
    x = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    assert rustgrad.ldexp(x, rustgrad.tensor([1, 2])).grad_fn.name() == "LdexpBackward0"
    for lib_pair in [([1, 2], [1, 2]), ([1.0, 2.0], [1, 2])]:
        ours = rustgrad.ldexp(rustgrad.tensor(lib_pair[0]), rustgrad.tensor(lib_pair[1]))
        theirs = torch.ldexp(torch.tensor(lib_pair[0]), torch.tensor(lib_pair[1]))
        assert (str(ours.dtype)[9:], ours.tolist()) == (str(theirs.dtype)[6:], theirs.tolist())
    vals = [-1.0, 0.0, -0.0, 2.0, float("nan"), float("inf")]
    for dtype in ("float32", "float64"):
        ours = rustgrad.heaviside(rustgrad.tensor(vals, dtype=getattr(rustgrad, dtype)), rustgrad.tensor([0.5], dtype=getattr(rustgrad, dtype)))
        theirs = torch.heaviside(torch.tensor(vals, dtype=getattr(torch, dtype)), torch.tensor([0.5], dtype=getattr(torch, dtype)))
        assert ours.tolist() == theirs.tolist()
    assert rustgrad.heaviside(rustgrad.tensor([-3, 0, 4]), rustgrad.tensor([7])).tolist() == [0, 7, 1]
    a, b = [12, -18, 0, 7, -4], [8, 12, 0, 0, -6]
    for name in ("gcd", "lcm"):
        for dtype in ("int64", "int32", "uint8"):
            pa, pb = ([abs(v) for v in a], [abs(v) for v in b]) if dtype == "uint8" else (a, b)
            ours = getattr(rustgrad, name)(rustgrad.tensor(pa, dtype=getattr(rustgrad, dtype)), rustgrad.tensor(pb, dtype=getattr(rustgrad, dtype)))
            theirs = getattr(torch, name)(torch.tensor(pa, dtype=getattr(torch, dtype)), torch.tensor(pb, dtype=getattr(torch, dtype)))
            assert ours.tolist() == theirs.tolist(), (name, dtype)
    y = rustgrad.tensor([12, 18])
    assert y.gcd_(rustgrad.tensor([8, 12])) is y and y.tolist() == [4, 6]


def test_heaviside_records_a_node_whose_backward_raises_like_torch():
    x = rustgrad.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    out = rustgrad.heaviside(x, rustgrad.tensor([0.5]))
    assert out.grad_fn.name() == "torch::autograd::NotImplemented"  # PyTorch's name, verbatim
    assert_same_error_as_torch(lambda lib: lib.heaviside(lib.tensor([-1.0, 2.0], requires_grad=True), lib.tensor([0.5])).sum().backward())


@pytest.mark.parametrize("call", [
    lambda lib: lib.ldexp(lib.tensor([1.0]), 2),
    lambda lib: lib.tensor([1.0]).ldexp(2),
    lambda lib: lib.heaviside(lib.tensor([1.0]), 0.5),
    lambda lib: lib.tensor([1.0]).heaviside(0.5),
    lambda lib: lib.heaviside(lib.tensor([1.0]), lib.tensor([1])),
    lambda lib: lib.gcd(lib.tensor([1.0]), lib.tensor([2.0])),
    lambda lib: lib.lcm(lib.tensor([True]), lib.tensor([False])),
    lambda lib: lib.gcd(lib.tensor([1]), 2),
])
def test_ldexp_heaviside_gcd_lcm_errors_match_torch(call):
    assert_same_error_as_torch(call)
