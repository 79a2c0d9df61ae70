"""Extra activations (functional and module forms): PReLU, Mish, Hardswish, Hardsigmoid, Softsign,
GLU, SELU, CELU, LogSigmoid, Tanhshrink, Softshrink, Hardshrink. Values against math-module
references (hypothesis), gradients by finite differences in float64 and against PyTorch,
grad_fn names and saved attributes, in-place forms, module reprs and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn as nn
import rustgrad.nn.functional as F
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3)
SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def fn(lib):
    return F if lib is rustgrad else lib.nn.functional


def _values(shape, seed, lo=-4.0, hi=4.0):
    return np.random.default_rng(seed).uniform(lo, hi, size=shape)


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


REFS = [
    ("mish", {}, lambda v: v * math.tanh(math.log1p(math.exp(v)))),
    ("hardswish", {}, lambda v: v * min(max(v + 3, 0), 6) / 6),
    ("hardsigmoid", {}, lambda v: min(max(v + 3, 0), 6) / 6),
    ("softsign", {}, lambda v: v / (1 + abs(v))),
    ("selu", {}, lambda v: SELU_SCALE * (v if v > 0 else SELU_ALPHA * math.expm1(v))),
    ("celu", {"alpha": 1.7}, lambda v: v if v > 0 else 1.7 * math.expm1(v / 1.7)),
    ("logsigmoid", {}, lambda v: math.log(_sigmoid(v))),
    ("tanhshrink", {}, lambda v: v - math.tanh(v)),
    ("softshrink", {"lambd": 0.7}, lambda v: v - 0.7 if v > 0.7 else (v + 0.7 if v < -0.7 else 0.0)),
    ("hardshrink", {"lambd": 0.7}, lambda v: 0.0 if -0.7 <= v <= 0.7 else v),
]


@pytest.mark.parametrize("name,kwargs,ref", REFS, ids=[r[0] for r in REFS])
@settings(max_examples=10, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_values_against_math_references(name, kwargs, ref, shape, seed):
    x = _values(shape, seed)
    for dtype, rtol in ((rustgrad.float64, 1e-12), (rustgrad.float32, 2e-6)):
        out = getattr(F, name)(rustgrad.tensor(x, dtype=dtype), **kwargs)
        assert out.dtype == dtype and tuple(out.shape) == tuple(shape)
        np.testing.assert_allclose(np.array(out.tolist()), np.vectorize(ref)(x), rtol=rtol, atol=rtol)


def test_non_contiguous_inputs():
    x = rustgrad.tensor(_values((3, 4), 3))
    for name, kwargs, _ in REFS:
        f = getattr(F, name)
        assert f(x.t(), **kwargs).tolist() == f(x.t().contiguous(), **kwargs).tolist(), name


@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=3), half=st.integers(1, 3), seed=st.integers(0, 1000))
def test_glu_values(shape, half, seed):
    dim = seed % len(shape)
    shape = list(shape)
    shape[dim] = 2 * half
    x = _values(shape, seed)
    a, b = np.split(x, 2, axis=dim)
    out = F.glu(rustgrad.tensor(x, dtype=rustgrad.float64), dim)
    np.testing.assert_allclose(np.array(out.tolist()), a / (1 + np.exp(-b)), rtol=1e-12)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 3), c=st.integers(1, 4), length=st.integers(1, 3), shared=st.booleans(), seed=st.integers(0, 1000))
def test_prelu_values(n, c, length, shared, seed):
    x = _values((n, c, length), seed)
    w = _values((1 if shared else c,), seed + 1, -1, 1)
    out = F.prelu(rustgrad.tensor(x, dtype=rustgrad.float64), rustgrad.tensor(w, dtype=rustgrad.float64))
    wb = w.reshape(1, -1, 1)
    np.testing.assert_allclose(np.array(out.tolist()), np.where(x > 0, x, wb * x), rtol=1e-12)


# ----- gradients -----

GRADS = [
    ("mish", lambda lib, x: fn(lib).mish(x)),
    ("hardswish", lambda lib, x: fn(lib).hardswish(x)),
    ("hardsigmoid", lambda lib, x: fn(lib).hardsigmoid(x)),
    ("softsign", lambda lib, x: fn(lib).softsign(x)),
    ("selu", lambda lib, x: fn(lib).selu(x)),
    ("celu", lambda lib, x: fn(lib).celu(x, 0.6)),
    ("logsigmoid", lambda lib, x: fn(lib).logsigmoid(x)),
    ("tanhshrink", lambda lib, x: fn(lib).tanhshrink(x)),
    ("softshrink", lambda lib, x: fn(lib).softshrink(x, 0.4)),
    ("hardshrink", lambda lib, x: fn(lib).hardshrink(x, 0.4)),
    ("glu", lambda lib, x: fn(lib).glu(x, 0)),
]


def _away_from_kinks(shape, seed):
    # Keep inputs off the kinks (0, +-0.4, +-3) where finite differences straddle two pieces.
    x = _values(shape, seed)
    for k in (0.0, 0.4, -0.4, 3.0, -3.0):
        x = np.where(np.abs(x - k) < 0.05, x + 0.1, x)
    return x


@pytest.mark.parametrize("name,f", GRADS, ids=[g[0] for g in GRADS])
@settings(max_examples=4, deadline=None)
@given(shape=shapes, seed=st.integers(0, 10_000))
def test_gradients_by_finite_differences(name, f, shape, seed):
    if name == "glu":
        shape = [2 * shape[0]] + shape[1:]
    check_grads(lambda x: f(rustgrad, x), _away_from_kinks(shape, seed), atol=1e-5)


@pytest.mark.parametrize("name,f", GRADS, ids=[g[0] for g in GRADS])
def test_values_and_gradients_match_torch(name, f):
    # Includes the kinks themselves: PyTorch's one-sided choices there are matched exactly.
    x = np.concatenate([_values((4, 4), 5), [[-3.0, 3.0, 0.0, 0.4], [-0.4, 25.0, -25.0, 1.0]]])
    check_against_torch(f, x)
    check_against_torch(f, x, dtype="float32", atol=1e-5, rtol=1e-5)


@settings(max_examples=5, deadline=None)
@given(c=st.integers(1, 4), shared=st.booleans(), seed=st.integers(0, 1000))
def test_prelu_gradients(c, shared, seed):
    x = _away_from_kinks((2, c, 3), seed)
    w = _values((1 if shared else c,), seed + 1, -1, 1)
    check_grads(F.prelu, x, w, atol=1e-5)
    check_against_torch(lambda lib, a, b: fn(lib).prelu(a, b), x, w)


def test_prelu_on_a_1d_input_and_a_0d_weight_match_torch():
    check_against_torch(lambda lib, a, b: fn(lib).prelu(a, b), _values((5,), 1), [0.3])
    check_against_torch(lambda lib, a, b: fn(lib).prelu(a, b), _values((2, 3), 1), 0.3)


def test_double_backward_matches_torch():
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(_values((2, 4), 9).tolist(), dtype=lib.float64, requires_grad=True)
        f = fn(lib)
        y = f.mish(x) + f.selu(x) + f.celu(x, 0.5) + f.logsigmoid(x) + f.glu(x, 1).sum() + f.hardswish(x)
        (g,) = lib.autograd.grad(y.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append(gg.tolist())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-9)


# ----- nodes -----

NODES = [
    (lambda f, x: f.mish(x), "MishBackward0"),
    (lambda f, x: f.hardswish(x), "HardswishBackward0"),
    (lambda f, x: f.hardsigmoid(x), "HardsigmoidBackward0"),
    (lambda f, x: f.softsign(x), "DivBackward0"),
    (lambda f, x: f.glu(x, 1), "GluBackward0"),
    (lambda f, x: f.selu(x), "EluBackward0"),
    (lambda f, x: f.celu(x, 2.0), "CeluBackward0"),
    (lambda f, x: f.logsigmoid(x), "LogSigmoidBackward0"),
    (lambda f, x: f.tanhshrink(x), "SubBackward0"),
    (lambda f, x: f.softshrink(x, 0.3), "SoftshrinkBackward0"),
    (lambda f, x: f.hardshrink(x), "HardshrinkBackward0"),
]


def _saved(node, lib):
    out = {}
    for a in dir(node):
        if a.startswith("_saved"):
            v = getattr(node, a)
            out[a] = tuple(v.shape) if isinstance(v, lib.Tensor) else v
    return out


@pytest.mark.parametrize("f,name", NODES, ids=[n[1] for n in NODES])
def test_grad_fn_names_and_saved_attributes_match_torch(f, name):
    torch = torch_or_skip()
    seen = []
    for lib in (rustgrad, torch):
        x = lib.randn(3, 4, requires_grad=True)
        node = f(fn(lib), x).grad_fn
        assert type(node).__name__ == name
        seen.append(_saved(node, lib))
    assert seen[0] == seen[1]


def test_prelu_node_saves_the_reshaped_weight_like_torch():
    torch = torch_or_skip()
    seen = []
    for lib in (rustgrad, torch):
        x, w = lib.randn(2, 3, 4, requires_grad=True), lib.randn(3, requires_grad=True)
        node = fn(lib).prelu(x, w).grad_fn
        seen.append((type(node).__name__, _saved(node, lib), [type(n).__name__ for n, _ in node.next_functions]))
    assert seen[0] == seen[1]


@pytest.mark.parametrize("name,kwargs,node", [
    ("mish", {}, "MishBackward0"),
    ("hardswish", {}, "HardswishBackward0"),
    ("hardsigmoid", {}, "HardsigmoidBackward0"),
    ("selu", {}, "EluBackward1"),
    ("celu", {"alpha": 0.7}, "CeluBackward1"),
])
def test_in_place_forms_match_torch(name, kwargs, node):
    torch = torch_or_skip()
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(_values((3, 4), 4).tolist(), dtype=lib.float64, requires_grad=True)
        y = x * 1
        out = getattr(fn(lib), name)(y, inplace=True, **kwargs)
        assert out is y and type(y.grad_fn).__name__ == node
        saved = _saved(y.grad_fn, lib)
        y.sum().backward()
        results.append((y.tolist(), x.grad.tolist(), saved))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
    assert results[0][2] == results[1][2]


# ----- errors -----

@pytest.mark.parametrize("call", [
    lambda lib: lib.nn.functional.mish(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.hardswish(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.hardsigmoid(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.selu(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.celu(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.logsigmoid(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.softshrink(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.hardshrink(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.glu(lib.tensor([1, 2])),
    lambda lib: lib.nn.functional.prelu(lib.tensor([1, 2]), lib.tensor([1])),
    lambda lib: lib.nn.functional.softshrink(lib.ones(2), -0.5),
    lambda lib: lib.nn.functional.softshrink(lib.ones(2, dtype=lib.float64), -1e-7),
    lambda lib: lib.nn.functional.celu(lib.ones(2), 0.0),
    lambda lib: lib.nn.functional.glu(lib.ones(4, 5), 1),
    lambda lib: lib.nn.functional.glu(lib.ones(4, 6), 2),
    lambda lib: lib.nn.functional.glu(lib.tensor(1.0)),
    lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(3, 1)),
    lambda lib: lib.nn.functional.prelu(lib.ones(2, 3), lib.ones(4)),
    lambda lib: lib.nn.functional.prelu(lib.tensor(1.0), lib.ones(4)),
    lambda lib: lib.nn.functional.prelu(lib.ones(5), lib.ones(5)),
])
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


# ----- modules -----

MODULES = [
    lambda m: m.PReLU(),
    lambda m: m.PReLU(3, 0.1),
    lambda m: m.Mish(),
    lambda m: m.Mish(True),
    lambda m: m.Hardswish(),
    lambda m: m.Hardswish(inplace=True),
    lambda m: m.Hardsigmoid(),
    lambda m: m.Softsign(),
    lambda m: m.GLU(),
    lambda m: m.GLU(1),
    lambda m: m.SELU(),
    lambda m: m.SELU(True),
    lambda m: m.CELU(),
    lambda m: m.CELU(2.0, True),
    lambda m: m.LogSigmoid(),
    lambda m: m.Tanhshrink(),
    lambda m: m.Softshrink(),
    lambda m: m.Softshrink(0.3),
    lambda m: m.Hardshrink(),
    lambda m: m.Hardshrink(1),
]


@pytest.mark.parametrize("make", MODULES)
def test_module_reprs_and_parameters_match_torch(make):
    torch = torch_or_skip()
    ours, theirs = make(nn), make(torch.nn)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert p.tolist() == q.tolist()


def test_modules_compute_the_functional_forms():
    x = rustgrad.tensor(_values((2, 4), 2), dtype=rustgrad.float32)
    assert nn.PReLU(4, 0.2)(x).tolist() == F.prelu(x, rustgrad.full((4,), 0.2)).tolist()
    assert nn.GLU(1)(x).tolist() == F.glu(x, 1).tolist()
    assert nn.Softshrink(0.3)(x).tolist() == F.softshrink(x, 0.3).tolist()
    assert nn.CELU(0.5)(x).tolist() == F.celu(x, 0.5).tolist()
    m = nn.Sequential(nn.Linear(4, 4), nn.PReLU(), nn.Mish(), nn.Linear(4, 1))
    m(x).sum().backward()
    assert m[1].weight.grad is not None and m[1].weight.grad.shape == (1,)


def test_top_level_aliases_match_torch():
    torch = torch_or_skip()
    x = _values((2, 4), 21)
    for f in (
        lambda lib, t: lib.selu(t),
        lambda lib, t: lib.celu(t, 0.5),
        lambda lib, t: lib.prelu(t, lib.full((4,), 0.1, dtype=t.dtype)),
        lambda lib, t: lib.hardshrink(t, 0.3),
        lambda lib, t: lib.cosine_similarity(t, t * 2 + 1),
        lambda lib, t: lib.pairwise_distance(t, t * 0.5),
        lambda lib, t: lib.group_norm(t, 2),
    ):
        check_against_torch(f, x)
    for lib in (rustgrad, torch):
        t = lib.tensor(x.tolist()) * 1
        assert lib.selu_(t) is t
