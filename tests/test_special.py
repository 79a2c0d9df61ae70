"""Float classification and special functions: isnan/isinf/isfinite/isposinf/isneginf,
nan_to_num, logit, erfinv, erfc, exp2, sinc, xlogy and the rustgrad.special namespace. Values
against math-module references (hypothesis), gradients by finite differences in float64 and
against PyTorch, grad_fn names, saved attributes and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=15, deadline=None)
shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)
SPECIALS = [float("nan"), float("inf"), -float("inf"), 0.0, -0.0, 1.5, -2.0]


def _values(shape, seed, lo=-3.0, hi=3.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


# ----- classification -----

@pytest.mark.parametrize("name,ref", [
    ("isnan", math.isnan),
    ("isinf", math.isinf),
    ("isfinite", math.isfinite),
    ("isposinf", lambda v: v == math.inf),
    ("isneginf", lambda v: v == -math.inf),
])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_classification_of_special_values(name, ref, dtype):
    t = rustgrad.tensor(SPECIALS, dtype=getattr(rustgrad, dtype))
    for out in (getattr(rustgrad, name)(t), getattr(t, name)()):
        assert out.dtype == rustgrad.bool
        assert out.tolist() == [ref(v) for v in SPECIALS]


@pytest.mark.parametrize("dtype,expected", [("int64", False), ("int32", False), ("uint8", False), ("bool", False)])
def test_integers_are_finite(dtype, expected):
    t = rustgrad.tensor([1, 0, 1], dtype=getattr(rustgrad, dtype))
    assert rustgrad.isnan(t).tolist() == [expected] * 3
    assert rustgrad.isinf(t).tolist() == [False] * 3
    assert rustgrad.isfinite(t).tolist() == [True] * 3
    assert rustgrad.isposinf(t).tolist() == [False] * 3


def test_classification_of_a_non_contiguous_view_and_no_grad_fn():
    base = rustgrad.tensor([[1.0, float("nan")], [float("inf"), 2.0]], requires_grad=True)
    out = rustgrad.isnan(base.t())
    assert out.tolist() == [[False, False], [True, False]]
    assert out.grad_fn is None and not out.requires_grad


def test_classification_rejects_non_tensors_like_torch():
    assert_same_error_as_torch(lambda lib: lib.isnan(3))


# ----- nan_to_num -----

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nan_to_num_defaults_are_the_dtype_extremes(dtype):
    t = rustgrad.tensor([float("nan"), float("inf"), -float("inf"), 1.0], dtype=getattr(rustgrad, dtype))
    big = np.finfo(dtype).max
    assert rustgrad.nan_to_num(t).tolist() == [0.0, float(big), -float(big), 1.0]
    assert t.nan_to_num(nan=2.0, posinf=1.0, neginf=-3).tolist() == [2.0, 1.0, -3.0, 1.0]


def test_nan_to_num_keeps_integers_and_works_in_place():
    ints = rustgrad.tensor([1, 2, 0])
    out = rustgrad.nan_to_num(ints)
    assert out.dtype == rustgrad.int64 and out.tolist() == [1, 2, 0]
    t = rustgrad.tensor([float("nan"), 3.0])
    assert t.nan_to_num_(nan=7.0) is t and t.tolist() == [7.0, 3.0]


def test_nan_to_num_gradient_is_zero_at_non_finite_inputs():
    x = rustgrad.tensor([float("nan"), float("inf"), 2.0], requires_grad=True)
    y = rustgrad.nan_to_num(x)
    assert type(y.grad_fn).__name__ == "NanToNumBackward0"
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]


# ----- logit / erfinv / erfc / exp2 / sinc: values -----

@FEW
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_logit_values(shape, seed):
    p = _values(shape, seed, 0.01, 0.99)
    got = np.array(rustgrad.logit(rustgrad.tensor(p, dtype=rustgrad.float64)).tolist())
    np.testing.assert_allclose(got, np.vectorize(lambda v: math.log(v / (1 - v)))(p), rtol=1e-12)


def test_logit_eps_clamps_and_nan_passes_through():
    t = rustgrad.tensor([float("nan"), 0.0, 1.0, -1.0, 2.0, 0.3], dtype=rustgrad.float64)
    got = rustgrad.logit(t, 0.1).tolist()
    lo, hi = math.log(0.1 / 0.9), math.log(0.9 / 0.1)
    assert math.isnan(got[0])
    np.testing.assert_allclose(got[1:], [lo, hi, lo, hi, math.log(0.3 / 0.7)], rtol=1e-12)
    plain = rustgrad.logit(t).tolist()
    assert plain[1] == -math.inf and plain[2] == math.inf and math.isnan(plain[3])
    assert rustgrad.logit(rustgrad.tensor([1, 2])).dtype == rustgrad.float32


@FEW
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_erfinv_inverts_erf(shape, seed):
    y = _values(shape, seed, -0.999, 0.999)
    got = np.array(rustgrad.erfinv(rustgrad.tensor(y, dtype=rustgrad.float64)).tolist())
    np.testing.assert_allclose(np.vectorize(math.erf)(got), y, rtol=1e-13, atol=1e-15)
    got32 = np.array(rustgrad.erfinv(rustgrad.tensor(y, dtype=rustgrad.float32)).tolist())
    np.testing.assert_allclose(got32, got, rtol=2e-6, atol=2e-6)


def test_erfinv_edges():
    got = rustgrad.erfinv(rustgrad.tensor([-1.0, 1.0, 1.5, 0.0, float("nan")])).tolist()
    assert got[:2] == [-math.inf, math.inf] and math.isnan(got[2]) and got[3] == 0.0 and math.isnan(got[4])


@pytest.mark.parametrize("name,ref", [
    ("erfc", math.erfc),
    ("exp2", lambda v: 2.0 ** v),
    ("sinc", lambda v: 1.0 if v == 0 else math.sin(math.pi * v) / (math.pi * v)),
])
@FEW
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_unary_special_values(name, ref, shape, seed):
    x = _values(shape, seed)
    t = rustgrad.tensor(x, dtype=rustgrad.float64)
    for out in (getattr(rustgrad, name)(t), getattr(rustgrad.special, name)(t), getattr(t, name)()):
        np.testing.assert_allclose(np.array(out.tolist()), np.vectorize(ref)(x), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["erfc", "exp2", "sinc", "erfinv", "logit"])
def test_integer_inputs_give_float32(name):
    assert getattr(rustgrad, name)(rustgrad.tensor([0, 1, 2])).dtype == rustgrad.float32


def test_sinc_at_zero_and_non_contiguous_input():
    base = rustgrad.tensor([[0.0, 0.5], [1.5, 2.0]], dtype=rustgrad.float64)
    got = rustgrad.sinc(base.t()).tolist()
    assert got[0][0] == 1.0
    np.testing.assert_allclose(got[1][0], math.sin(math.pi * 0.5) / (math.pi * 0.5))


# ----- xlogy -----

def test_xlogy_values_and_zero_rule():
    x = rustgrad.tensor([0.0, 0.0, 1.0, 0.0, 2.0], dtype=rustgrad.float64)
    y = rustgrad.tensor([0.0, float("nan"), 0.0, -1.0, 3.0], dtype=rustgrad.float64)
    got = rustgrad.xlogy(x, y).tolist()
    assert got[0] == 0.0 and math.isnan(got[1]) and got[2] == -math.inf and got[3] == 0.0
    assert got[4] == pytest.approx(2 * math.log(3))
    assert rustgrad.xlogy(rustgrad.tensor([1, 2]), rustgrad.tensor([2, 2])).dtype == rustgrad.float32
    assert rustgrad.xlogy(2, rustgrad.tensor([1.0, math.e], dtype=rustgrad.float64)).tolist() == [0.0, 2.0]
    assert rustgrad.special.xlogy(rustgrad.tensor([3.0]), 1.0).tolist() == [0.0]


@FEW
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_xlogy_broadcasts(shape, seed):
    x, y = _values(shape, seed), _values(shape[-1:], seed + 1, 0.1, 3.0)
    got = np.array(rustgrad.xlogy(rustgrad.tensor(x, dtype=rustgrad.float64), rustgrad.tensor(y, dtype=rustgrad.float64)).tolist())
    np.testing.assert_allclose(got, x * np.log(y), rtol=1e-12)


# ----- gradients: finite differences and PyTorch -----

GRADS = [
    ("logit", lambda lib, x: lib.logit(x), (0.05, 0.95)),
    ("logit_eps", lambda lib, x: lib.logit(x, 0.2), (0.05, 0.95)),
    ("erfinv", lambda lib, x: lib.erfinv(x), (-0.9, 0.9)),
    ("erfc", lambda lib, x: lib.special.erfc(x), (-2.0, 2.0)),
    ("exp2", lambda lib, x: lib.special.exp2(x), (-2.0, 2.0)),
    ("sinc", lambda lib, x: lib.special.sinc(x), (-2.0, 2.0)),
    ("nan_to_num", lambda lib, x: lib.nan_to_num(x), (-2.0, 2.0)),
    ("xlogy_scalar_self", lambda lib, x: lib.xlogy(2.5, x), (0.1, 3.0)),
    ("xlogy_scalar_other", lambda lib, x: lib.special.xlogy(x, 3.0), (-2.0, 2.0)),
    ("expit", lambda lib, x: lib.special.expit(x), (-3.0, 3.0)),
    ("logsumexp", lambda lib, x: lib.special.logsumexp(x, -1), (-3.0, 3.0)),
    ("softmax", lambda lib, x: lib.special.softmax(x, -1), (-3.0, 3.0)),
    ("log_softmax", lambda lib, x: lib.special.log_softmax(x, -1), (-3.0, 3.0)),
    ("log1p", lambda lib, x: lib.special.log1p(x), (-0.5, 3.0)),
    ("expm1", lambda lib, x: lib.special.expm1(x), (-2.0, 2.0)),
    ("erf", lambda lib, x: lib.special.erf(x), (-2.0, 2.0)),
]


@pytest.mark.parametrize("name,f,bounds", GRADS, ids=[g[0] for g in GRADS])
@settings(max_examples=4, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_gradients_by_finite_differences(name, f, bounds, shape, seed):
    check_grads(lambda x: f(rustgrad, x), _values(shape, seed, *bounds), atol=1e-5)


@pytest.mark.parametrize("name,f,bounds", GRADS, ids=[g[0] for g in GRADS])
def test_values_and_gradients_match_torch(name, f, bounds):
    check_against_torch(f, _values((3, 4), 7, *bounds))


@settings(max_examples=5, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_xlogy_gradients_by_finite_differences(shape, seed):
    check_grads(rustgrad.xlogy, _values(shape, seed), _values(shape, seed + 1, 0.2, 3.0), atol=1e-5)


def test_xlogy_gradients_match_torch_with_broadcasting():
    check_against_torch(lambda lib, x, y: lib.xlogy(x, y), _values((3, 4), 1), _values((4,), 2, 0.2, 3.0))


def test_xlogy_gradient_at_zero_x_is_log_y_as_torch():
    # PyTorch's d/dx xlogy(x, y) is log(y) even at x == 0 (zeroed only where also y <= 0): the
    # gradient of a Gamma(1, rate) log_prob depends on it
    torch = torch_or_skip()
    x, y = [0.0, 0.0, 0.0, 1.0], [2.0, 0.0, -1.0, 3.0]
    results = []
    for lib in (rustgrad, torch):
        a = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(y, dtype=lib.float64)
        lib.xlogy(a, b).sum().backward()
        c = lib.tensor(x, dtype=lib.float64, requires_grad=True)
        c.xlogy(2.0).sum().backward()
        results.append((a.grad.tolist(), c.grad.tolist()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])
    assert results[0][0][0] == math.log(2.0)
    check_against_torch(lambda lib, a, b: lib.xlogy(a * 0, b), [0.5, 1.0], [2.0, 3.0])


def test_logit_gradient_outside_the_range_matches_torch():
    values = [-0.5, 0.0, 0.05, 0.5, 0.95, 1.0, 1.5]
    check_against_torch(lambda lib, x: lib.logit(x, 0.1), values)
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor([-0.5, 1.5, 0.5], dtype=lib.float64, requires_grad=True)
        lib.logit(x).sum().backward()
        assert [math.isnan(v) for v in x.grad.tolist()] == [True, True, False]


def test_double_backward_of_logit_and_erfinv_matches_torch():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor([0.2, 0.4, 0.7], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad((lib.logit(x) + lib.erfinv(x) + lib.special.sinc(x)).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        results.append(gg.tolist())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


# ----- grad_fn names and saved attributes -----

NODES = [
    (lambda lib, x: lib.logit(x), "LogitBackward0", {"_saved_eps": None}),
    (lambda lib, x: lib.logit(x, 0.1), "LogitBackward0", {"_saved_eps": 0.1}),
    (lambda lib, x: lib.erfinv(x), "ErfinvBackward0", {}),
    (lambda lib, x: lib.nan_to_num(x), "NanToNumBackward0", {}),
    (lambda lib, x: lib.special.erfc(x), "ErfcBackward0", {}),
    (lambda lib, x: lib.special.exp2(x), "Exp2Backward0", {}),
    (lambda lib, x: lib.special.sinc(x), "SincBackward0", {}),
    (lambda lib, x: lib.special.xlogy(x, x), "XlogyBackward0", {}),
    (lambda lib, x: lib.special.xlogy(x, 2.0), "XlogyBackward2", {"_saved_other": 2.0}),
    (lambda lib, x: lib.special.xlogy(2.0, x), "XlogyBackward1", {"_saved_self": 2.0}),
    (lambda lib, x: lib.special.expit(x), "SigmoidBackward0", {}),
]


@pytest.mark.parametrize("f,name,values", NODES)
def test_grad_fn_names_and_saved_values_match_torch(f, name, values):
    torch = torch_or_skip()
    attrs = []
    for lib in (rustgrad, torch):
        x = lib.tensor([0.2, 0.6], requires_grad=True)
        node = f(lib, x).grad_fn
        assert type(node).__name__ == name
        for attr, v in values.items():
            assert getattr(node, attr) == v
        attrs.append(sorted(a for a in dir(node) if a.startswith("_saved")))
    assert attrs[0] == attrs[1]


def test_second_backward_fails_as_in_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor([0.2, 0.6], requires_grad=True)
        y = lib.erfinv(x).sum()
        y.backward()
        with pytest.raises(RuntimeError, match="Trying to backward through the graph a second time"):
            y.backward()


def test_special_namespace_has_the_common_aliases():
    for name in ["expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "logsumexp", "softmax",
                 "log_softmax", "sinc", "xlogy"]:
        assert callable(getattr(rustgrad.special, name)), name
    x = rustgrad.tensor([0.3, 0.6])
    assert rustgrad.special.logit(x, eps=0.4).tolist() == rustgrad.logit(x, 0.4).tolist()
