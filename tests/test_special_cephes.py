"""The Cephes special functions of ``src/ops/special_more.rs`` and ``rustgrad.special``: i0/i0e/i1/
i1e, igamma/igammac (gammainc/gammaincc), mvlgamma (multigammaln), frexp, nextafter, ndtr/ndtri/
log_ndtr, erfcx, entr, xlog1py, zeta and the special aliases (psi, gammaln, round, ...).

Values against PyTorch to a few ULP over wide ranges (0, negatives, huge, inf, NaN) in float32 and
float64, and against closed forms without PyTorch; gradients by finite differences in float64
(hypothesis-drawn values) and against PyTorch; grad_fn names, dtypes, in-place forms and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

FEW = settings(max_examples=10, deadline=None)
INF, NAN = math.inf, math.nan

WIDE = [0.0, -0.0, 1e-30, 1e-8, 0.1, 0.5, 1.0, 2.5, 7.99, 8.0, 8.01, 15.0, 30.0, 87.0, 89.0, 100.0, 700.0, 710.0,
        1e4, INF, NAN]
WIDE = WIDE + [-v for v in WIDE if v == v]


def as_np(t):
    return np.array(t.tolist(), dtype=np.float64)


def assert_ulps(ours, theirs, dtype, ulps):
    """Equal NaN/inf pattern and finite values within ``ulps`` units in the last place."""
    a, b = as_np(ours), as_np(theirs)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    finite = np.isfinite(b)
    np.testing.assert_array_equal(a[~finite & ~np.isnan(b)], b[~finite & ~np.isnan(b)])
    spacing = np.abs(np.spacing(b[finite].astype(np.float32 if dtype == "float32" else np.float64)).astype(np.float64))
    tiny = np.finfo(np.float32 if dtype == "float32" else np.float64).tiny
    err = np.abs(a[finite] - b[finite])
    bad = err > ulps * np.maximum(spacing, tiny)
    assert not bad.any(), f"ours {a[finite][bad]} vs torch {b[finite][bad]}"


def both(torch, dtype, values):
    return rustgrad.tensor(values, dtype=getattr(rustgrad, dtype)), torch.tensor(values, dtype=getattr(torch, dtype))


# name -> (function path under rustgrad / torch, values, ULP bound)
UNARY = {
    "i0": ("i0", WIDE, 4),
    "special.i0e": ("special.i0e", WIDE, 4),
    "special.i1": ("special.i1", WIDE, 4),
    "special.i1e": ("special.i1e", WIDE, 4),
    "special.ndtri": ("special.ndtri", [0.0, 1e-300, 1e-40, 1e-10, 0.01, 0.1, 0.3, 0.5, 0.77, 0.9, 0.999999, 1.0, -1.0,
                                        2.0, INF, NAN], 4),
    "special.log_ndtr": ("special.log_ndtr", [-1e4, -40.0, -38.5, -10.0, -1.5, -1.0, -0.5, 0.0, 0.5, 3.0, 8.0, 40.0,
                                              INF, -INF, NAN], 4),
    "special.erfcx": ("special.erfcx", [-30.0, -26.0, -10.0, -6.0, -1.0, -0.1, 0.0, 1e-10, 0.3, 2.0, 12.0, 49.9, 50.1,
                                        1e3, 6e7, INF, -INF, NAN], 4),
    "special.entr": ("special.entr", [-1.0, 0.0, -0.0, 1e-30, 0.5, 1.0, 3.0, 1e30, INF, -INF, NAN], 2),
    "special.ndtr": ("special.ndtr", [-40.0, -5.0, -1.0, 0.0, 0.3, 2.0, 9.0, INF, -INF, NAN], 4),
}


def resolve(lib, path):
    obj = lib
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_unary_values_match_torch_to_a_few_ulps(name, dtype):
    torch = torch_or_skip()
    path, values, ulps = UNARY[name]
    ours, theirs = both(torch, dtype, values)
    out = resolve(rustgrad, path)(ours)
    assert out.dtype == getattr(rustgrad, dtype)
    assert_ulps(out, resolve(torch, path)(theirs), dtype, ulps)


def series_i(nu, x):
    """``I_nu(x)`` by its power series, a reference independent of PyTorch."""
    return sum((x / 2) ** (2 * k + nu) / (math.factorial(k) * math.factorial(k + nu)) for k in range(80))


@FEW
@given(st.lists(st.floats(-20, 20), min_size=1, max_size=6))
def test_bessel_functions_match_their_power_series(xs):
    t = rustgrad.tensor(xs, dtype=rustgrad.float64)
    i0 = [series_i(0, x) for x in xs]
    i1 = [series_i(1, x) for x in xs]
    np.testing.assert_allclose(as_np(rustgrad.i0(t)), i0, rtol=1e-13)
    np.testing.assert_allclose(as_np(rustgrad.special.i1(t)), i1, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(as_np(rustgrad.special.i0e(t)), np.array(i0) * np.exp(-np.abs(xs)), rtol=1e-13)
    np.testing.assert_allclose(as_np(rustgrad.special.i1e(t)), np.array(i1) * np.exp(-np.abs(xs)), rtol=1e-13,
                               atol=1e-300)


def test_closed_forms_without_torch():
    x = np.array([0.05, 0.7, 1.3, 4.0, 25.0, 60.0])
    t = rustgrad.tensor(x.tolist(), dtype=rustgrad.float64)
    one = rustgrad.ones(6, dtype=rustgrad.float64)
    half = rustgrad.full((6,), 0.5, dtype=rustgrad.float64)
    # P(1, x) = 1 - exp(-x); Q(1/2, x) = erfc(sqrt x)
    np.testing.assert_allclose(as_np(rustgrad.igamma(one, t)), -np.expm1(-x), rtol=1e-14)
    np.testing.assert_allclose(as_np(rustgrad.igammac(half, t)), [math.erfc(math.sqrt(v)) for v in x], rtol=1e-13)
    np.testing.assert_allclose(as_np(rustgrad.special.ndtr(t)), [0.5 * math.erfc(-v / math.sqrt(2)) for v in x],
                               rtol=1e-15)
    # exp(x^2) erfc(x) is only representable (and accurate in math) for small x
    np.testing.assert_allclose(as_np(rustgrad.special.erfcx(t))[:4], [math.exp(v * v) * math.erfc(v) for v in x[:4]],
                               rtol=1e-13)
    np.testing.assert_allclose(as_np(rustgrad.special.zeta(2.0, one)), np.full(6, math.pi ** 2 / 6), rtol=1e-15)
    np.testing.assert_allclose(as_np(rustgrad.special.xlog1py(t, t)), x * np.log1p(x), rtol=1e-15)
    np.testing.assert_allclose(as_np(rustgrad.mvlgamma(t + 1, 2)),
                               [math.lgamma(v + 1) + math.lgamma(v + 0.5) + math.log(math.pi) / 2 for v in x],
                               rtol=1e-14)


GAMMA_A = [0.0, 1e-20, 0.1, 0.5, 1.0, 2.5, 10.0, 21.0, 50.0, 150.0, 250.0, 1000.0, 1e6, INF, -1.0, NAN]
GAMMA_X = [0.0, 1e-20, 0.1, 0.45, 0.8, 1.05, 2.0, 9.0, 20.0, 48.0, 160.0, 240.0, 1010.0, 1e6, INF, -1.0, NAN]


@pytest.mark.parametrize("fn", ["igamma", "igammac"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_incomplete_gamma_matches_torch_on_a_grid(fn, dtype):
    torch = torch_or_skip()
    a, x = np.meshgrid(GAMMA_A, GAMMA_X)
    ra, ta = both(torch, dtype, a.ravel().tolist())
    rx, tx = both(torch, dtype, x.ravel().tolist())
    # The prefactor exp(a ln x - x - lgamma(a)) amplifies the last-bit difference between Rust's
    # libm lgamma and glibc's by |a ln x - x| (up to ~700 in the far tails): compare relatively.
    ours, theirs = as_np(getattr(rustgrad, fn)(ra, rx)), np.array(getattr(torch, fn)(ta, tx).tolist())
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(theirs))
    np.testing.assert_allclose(ours, theirs, rtol=2e-13 if dtype == "float64" else 3e-5, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_functions_match_torch(dtype):
    torch = torch_or_skip()
    xs = [-2.0, -1.0, 0.0, -0.0, 0.5, 1.0, 3.0, 1e10, INF, -INF, NAN]
    a, b = np.meshgrid(xs, xs)
    ra, ta = both(torch, dtype, a.ravel().tolist())
    rb, tb = both(torch, dtype, b.ravel().tolist())
    assert_ulps(rustgrad.special.xlog1py(ra, rb), torch.special.xlog1py(ta, tb), dtype, 2)
    # nextafter is exact
    np.testing.assert_array_equal(as_np(rustgrad.nextafter(ra, rb)), np.array(torch.nextafter(ta, tb).tolist()))
    qs = [-2.0, -1.5, 0.0, 0.5, 1.0, 3.5, 1e3, INF, NAN]
    ss = [-1.0, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0, 40.0, INF, NAN]
    s, q = np.meshgrid(ss, qs)
    rs, ts = both(torch, dtype, s.ravel().tolist())
    rq, tq = both(torch, dtype, q.ravel().tolist())
    assert_ulps(rustgrad.special.zeta(rs, rq), torch.special.zeta(ts, tq), dtype, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mvlgamma_and_frexp_match_torch(dtype):
    torch = torch_or_skip()
    xs = [-3.0, -0.5, 0.1, 0.5, 1.0, 1.7, 4.0, 30.0, 1e5, INF, NAN]
    ours, theirs = both(torch, dtype, xs)
    for p in (1, 2, 5):
        assert_ulps(rustgrad.mvlgamma(ours, p), torch.mvlgamma(theirs, p), dtype, 4)
        assert_ulps(rustgrad.special.multigammaln(ours, p), torch.special.multigammaln(theirs, p), dtype, 4)
    vals = [0.0, -0.0, 1.0, -3.0, 0.1, 1e-40, 1e-310, 6e37, 1e300, INF, -INF, NAN]
    ours, theirs = both(torch, dtype, vals)
    m, e = rustgrad.frexp(ours)
    tm, te = torch.frexp(theirs)
    assert e.dtype == rustgrad.int32 and m.dtype == ours.dtype
    np.testing.assert_array_equal(as_np(m), np.array(tm.tolist()))
    assert e.tolist() == te.tolist()
    assert type(ours.frexp()).__name__ == "frexp"
    np.testing.assert_array_equal(as_np(ours.frexp().mantissa), np.array(tm.tolist()))


def test_repr_and_integer_promotion_match_torch():
    torch = torch_or_skip()
    assert repr(rustgrad.frexp(rustgrad.tensor([3.0, 0.25]))) == repr(torch.frexp(torch.tensor([3.0, 0.25]))).replace(
        "torch", "rustgrad")
    for dtype in ("int64", "int32", "bool"):
        vals = [1, 0, 1] if dtype == "bool" else [3, 0, -2]
        ours, theirs = both(torch, dtype, vals)
        for path in ("i0", "special.i0e", "special.i1", "special.i1e", "special.ndtr", "special.ndtri",
                     "special.log_ndtr", "special.erfcx", "special.entr", "special.sinc"):
            got, want = resolve(rustgrad, path)(ours), resolve(torch, path)(theirs)
            assert str(got.dtype) == str(want.dtype).replace("torch", "rustgrad"), path
            assert_ulps(got, want, "float32", 4)
        if dtype != "bool":
            assert_ulps(rustgrad.special.zeta(ours, ours), torch.special.zeta(theirs, theirs), "float32", 4)
            assert_ulps(rustgrad.special.xlog1py(ours, ours), torch.special.xlog1py(theirs, theirs), "float32", 4)
            assert_ulps(rustgrad.mvlgamma(ours.abs() + 2, 2), torch.mvlgamma(theirs.abs() + 2, 2), "float32", 4)
    # a float tensor with an integer one promotes to the float type; a 0-d tensor does not outrank
    f64 = rustgrad.tensor([1.0, 2.0], dtype=rustgrad.float64)
    assert rustgrad.igamma(rustgrad.tensor([1, 2]), f64).dtype == rustgrad.float64
    assert rustgrad.igamma(rustgrad.tensor(1.0, dtype=rustgrad.float64), rustgrad.tensor([2.0])).dtype == rustgrad.float32
    assert rustgrad.special.xlog1py(2.0, rustgrad.tensor([1, 2])).dtype == rustgrad.float32


# name -> (function of rustgrad/torch tensors, values that keep finite differences valid, grad_fn)
GRADS = {
    "i0": (lambda lib, t: lib.i0(t), (-9.0, 9.0), "I0Backward0"),
    "i0e": (lambda lib, t: lib.special.i0e(t), (-9.0, 9.0), "SpecialI0EBackward0"),
    "i1": (lambda lib, t: lib.special.i1(t), (-9.0, 9.0), "SpecialI1Backward0"),
    "i1e": (lambda lib, t: lib.special.i1e(t), (-9.0, 9.0), "SpecialI1EBackward0"),
    "ndtri": (lambda lib, t: lib.special.ndtri(t), (0.05, 0.95), "SpecialNdtriBackward0"),
    "log_ndtr": (lambda lib, t: lib.special.log_ndtr(t), (-6.0, 4.0), "SpecialLogNdtrBackward0"),
    "erfcx": (lambda lib, t: lib.special.erfcx(t), (-2.0, 10.0), "SpecialErfcxBackward0"),
    "entr": (lambda lib, t: lib.special.entr(t), (0.1, 4.0), "SpecialEntrBackward0"),
    "ndtr": (lambda lib, t: lib.special.ndtr(t), (-4.0, 4.0), "MulBackward1"),
    "mvlgamma": (lambda lib, t: lib.mvlgamma(t, 3), (1.2, 6.0), "MvlgammaBackward0"),
    "multigammaln": (lambda lib, t: lib.special.multigammaln(t, 2), (0.7, 6.0), "MvlgammaBackward0"),
    "frexp": (lambda lib, t: lib.frexp(t).mantissa, (-9.0, 9.0), "FrexpBackward0"),
    "psi": (lambda lib, t: lib.special.psi(t), (0.3, 6.0), "DigammaBackward0"),
    "gammaln": (lambda lib, t: lib.special.gammaln(t), (0.3, 6.0), "LgammaBackward0"),
    "polygamma": (lambda lib, t: lib.special.polygamma(2, t), (0.3, 6.0), "PolygammaBackward0"),
    "round": (lambda lib, t: lib.special.round(t), (-3.0, 3.0), "RoundBackward1"),
    "sinc": (lambda lib, t: lib.special.sinc(t), (-3.0, 3.0), "SincBackward0"),
    "log1p": (lambda lib, t: lib.special.log1p(t), (0.0, 3.0), "Log1PBackward0"),
}


@pytest.mark.parametrize("name", sorted(GRADS))
@FEW
@given(shape=st.lists(st.integers(1, 3), min_size=1, max_size=2), seed=st.integers(0, 2 ** 16))
def test_unary_gradients_by_finite_differences(name, shape, seed):
    f, (lo, hi), _ = GRADS[name]
    a = np.random.default_rng(seed).uniform(lo, hi, size=shape)
    if name == "round":
        a = np.round(a) + 0.25  # away from the jumps
    if name == "frexp":
        a = np.where(np.abs(np.abs(a) - 2.0 ** np.round(np.log2(np.abs(a)))) < 1e-3, a + 0.01, a)
    check_grads(lambda t: f(rustgrad, t), a, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", sorted(GRADS))
def test_unary_gradients_and_grad_fn_match_torch(name):
    torch = torch_or_skip()
    f, (lo, hi), grad_fn = GRADS[name]
    a = np.random.default_rng(3).uniform(lo, hi, size=(2, 3))
    check_against_torch(f, a, atol=1e-9, rtol=1e-9)
    check_against_torch(f, a, dtype="float32", atol=1e-5, rtol=1e-5)
    x = rustgrad.tensor(a.tolist(), requires_grad=True)
    assert f(rustgrad, x).grad_fn.name() == f(torch, torch.tensor(a.tolist(), requires_grad=True)).grad_fn.name()
    assert f(rustgrad, x).grad_fn.name() == grad_fn


def test_i1_gradient_at_zero_is_one_half_as_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        x = lib.tensor([0.0, 1e-20, -0.0], dtype=lib.float64, requires_grad=True)
        (g1,) = lib.autograd.grad(lib.special.i1(x).sum(), x)
        (g2,) = lib.autograd.grad(lib.special.i1e(x).sum(), x)
        assert g1.tolist() == [0.5, 0.5, 0.5] and g2.tolist() == [0.5, 0.5, 0.5]


def test_double_backward_of_i0_matches_torch():
    torch = torch_or_skip()
    grads = []
    for lib in (rustgrad, torch):
        x = lib.tensor([-2.0, 0.5, 3.0], dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(lib.i0(x).sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        grads.append(gg.tolist())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-13)


@FEW
@given(seed=st.integers(0, 2 ** 16), upper=st.booleans())
def test_incomplete_gamma_gradient_in_other(seed, upper):
    rng = np.random.default_rng(seed)
    a, x = rng.uniform(0.3, 30.0, size=4), rng.uniform(0.2, 40.0, size=4)
    f = rustgrad.igammac if upper else rustgrad.igamma
    check_grads(lambda t: f(rustgrad.tensor(a.tolist(), dtype=rustgrad.float64), t), x, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("fn", ["igamma", "igammac", "special.gammainc", "special.gammaincc"])
def test_incomplete_gamma_backward_matches_torch(fn):
    torch = torch_or_skip()
    a = np.array([0.5, 2.0, 7.5])
    x = np.array([0.3, 2.5, 9.0])
    results = []
    for lib in (rustgrad, torch):
        ta = lib.tensor(a.tolist(), dtype=lib.float64)
        tx = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        out = resolve(lib, fn)(ta, tx)
        (g,) = lib.autograd.grad(out.sum(), tx)
        results.append((out.grad_fn.name(), g.tolist()))
    assert results[0][0] == results[1][0]
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


@pytest.mark.parametrize("fn", ["igamma", "igammac"])
def test_incomplete_gamma_refuses_the_derivative_in_self_at_backward(fn):
    def call(lib):
        a = lib.tensor([1.5, 2.0], requires_grad=True)
        out = getattr(lib, fn)(a, lib.tensor([1.0, 3.0]))
        out.sum().backward()

    assert_same_error_as_torch(call)


def test_zeta_xlog1py_nextafter_gradients_and_names_match_torch():
    torch = torch_or_skip()
    x, q = np.array([1.5, 2.0, 4.0]), np.array([0.7, 2.0, 5.0])
    check_against_torch(lambda lib, t: lib.special.zeta(lib.tensor(x.tolist(), dtype=lib.float64), t), q,
                        atol=1e-10, rtol=1e-10)
    check_against_torch(lambda lib, t: lib.special.zeta(3.0, t), q, atol=1e-10, rtol=1e-10)
    check_against_torch(lambda lib, a, b: lib.special.xlog1py(a, b), np.array([0.0, 1.5, -2.0]), q, atol=1e-10,
                        rtol=1e-10)
    check_against_torch(lambda lib, b: lib.special.xlog1py(2.0, b), q, atol=1e-10, rtol=1e-10)
    check_against_torch(lambda lib, a: lib.special.xlog1py(a, 3.0), q, atol=1e-10, rtol=1e-10)
    check_against_torch(lambda lib, a, b: lib.nextafter(a, b), x, q, atol=0, rtol=0)
    for call in (lambda lib, t: lib.special.zeta(t.detach(), t), lambda lib, t: lib.special.zeta(2.0, t),
                 lambda lib, t: lib.special.zeta(t, 2.0), lambda lib, t: lib.special.xlog1py(t, t),
                 lambda lib, t: lib.special.xlog1py(2.0, t), lambda lib, t: lib.special.xlog1py(t, 2.0),
                 lambda lib, t: lib.nextafter(t, t.detach()), lambda lib, t: lib.igamma(t.detach(), t)):
        names = [call(lib, lib.tensor([1.5, 2.5], requires_grad=True)).grad_fn.name() for lib in (rustgrad, torch)]
        assert names[0] == names[1]
    check_grads(lambda t: rustgrad.special.zeta(rustgrad.tensor(x.tolist(), dtype=rustgrad.float64), t), q)
    check_grads(lambda a, b: rustgrad.special.xlog1py(a, b), np.array([0.5, 1.5, -2.0]), q)


def test_zeta_refuses_the_derivative_in_self():
    def call(lib):
        s = lib.tensor([2.0, 3.0], requires_grad=True)
        lib.special.zeta(s, lib.tensor([1.0, 2.0])).sum().backward()

    assert_same_error_as_torch(call)


def test_in_place_forms_match_torch():
    torch = torch_or_skip()
    for lib_pair in [(rustgrad, torch)]:
        outs = []
        for lib in lib_pair:
            a = lib.tensor([0.5, 1.5, 3.0])
            b = lib.tensor([1.0, 2.0, 0.5], dtype=lib.float64)
            outs.append([a.clone().i0_().tolist(), a.clone().igamma_(b).tolist(), a.clone().igammac_(b).tolist(),
                         a.clone().nextafter_(b).tolist(), (a.clone() + 2).mvlgamma_(2).tolist(),
                         lib.i0_(a.clone()).tolist()])
        np.testing.assert_allclose(np.array(outs[0]), np.array(outs[1]), rtol=1e-6)


ERRORS = [
    lambda lib: lib.i0(1.0),
    lambda lib: lib.special.i0(1.0),
    lambda lib: lib.special.i1e([1.0]),
    lambda lib: lib.special.ndtri(2),
    lambda lib: lib.igamma(lib.tensor([1.0]), 2.0),
    lambda lib: lib.igammac(2.0, lib.tensor([1.0])),
    lambda lib: lib.special.gammainc(lib.tensor([1.0]), 2.0),
    lambda lib: lib.special.gammaincc(1.0, lib.tensor([1.0])),
    lambda lib: lib.igamma(lib.tensor([1, 2]), lib.tensor([1, 2])),
    lambda lib: lib.igammac(lib.tensor([True]), lib.tensor([False])),
    lambda lib: lib.nextafter(lib.tensor([1, 2]), lib.tensor([1, 2])),
    lambda lib: lib.nextafter(lib.tensor([1.0]), 2.0),
    lambda lib: lib.tensor([1, 2]).i0_(),
    lambda lib: lib.tensor([1, 2]).igamma_(lib.tensor([1.0, 2.0])),
    lambda lib: lib.mvlgamma(lib.tensor([1.0]), 0),
    lambda lib: lib.mvlgamma(lib.tensor([True]), 2),
    lambda lib: lib.mvlgamma(lib.tensor([2.0]), 1.5),
    lambda lib: lib.mvlgamma(lib.tensor([2.0]), p=1.5),
    lambda lib: lib.mvlgamma(lib.tensor([2.0])),
    lambda lib: lib.special.multigammaln(lib.tensor([2.0]), 1.5),
    lambda lib: lib.special.multigammaln(2.0, 2),
    lambda lib: lib.frexp(lib.tensor([1, 2])),
    lambda lib: lib.frexp(1.0),
    lambda lib: lib.special.xlog1py(2, 3),
    lambda lib: lib.special.zeta(2.0, 3.0),
    lambda lib: lib.special.round(lib.tensor([1, 2])),
    lambda lib: lib.special.round(lib.tensor([1, 2]), decimals=1),
    lambda lib: lib.special.psi(1.0),
    lambda lib: lib.special.gammaln(1.0),
    lambda lib: lib.special.polygamma(1, 1.0),
    lambda lib: lib.special.sinc(1.0),
    lambda lib: lib.special.log1p(1.0),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    assert_same_error_as_torch(ERRORS[i])


def test_special_namespace_covers_torch_special_functions():
    torch = torch_or_skip()
    theirs = {n for n in dir(torch.special) if not n.startswith("_") and callable(getattr(torch.special, n))}
    ours = set(rustgrad.special.__all__)
    done = {"i0", "i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "erfcx", "entr", "xlog1py", "zeta", "gammainc",
            "gammaincc", "multigammaln", "psi", "digamma", "gammaln", "polygamma", "round", "sinc", "log1p",
            "softmax", "log_softmax", "expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "logsumexp",
            "xlogy"}
    assert done <= ours <= theirs
    for name in ours:
        assert callable(getattr(rustgrad.special, name))
