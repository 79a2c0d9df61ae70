"""diff, cross, kron, tensordot, dist, renorm, cov / corrcoef, trapezoid / cumulative_trapezoid,
nansum / nanmean, quantile / nanquantile, nanmedian, mode and histogram: values against numpy,
gradients by finite differences (float64) and against PyTorch, dtypes, shapes and errors against
PyTorch (torch 2.13)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip
from _strategies import arrays, shapes, tensors, to_numpy

EXAMPLES = settings(max_examples=12, deadline=None)
FEW = settings(max_examples=4, deadline=None)


def _rt(a, dtype=rustgrad.float64):
    return rustgrad.tensor(np.asarray(a).tolist(), dtype=dtype)


def _rng(seed):
    return np.random.default_rng(seed)


# ----- diff -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=5), st.integers(0, 6), st.booleans(), st.data())
def test_diff_matches_numpy(shape, n, pad, data):
    a, t = data.draw(tensors("float64", shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    kw, np_kw = {}, {}
    if pad:
        side = list(shape)
        side[dim] = 2
        p = _rng(n).standard_normal(side)
        kw, np_kw = {"prepend": _rt(p), "append": _rt(p[..., :1] if dim in (-1, len(shape) - 1) else p)}, {}
        np_kw = {"prepend": p, "append": to_numpy(kw["append"])}
    np.testing.assert_allclose(to_numpy(rustgrad.diff(t, n, dim, **kw)), np.diff(a, n, dim, **np_kw), atol=1e-9)


def test_diff_grads_dtypes_and_errors():
    a, p = _rng(0).standard_normal((3, 5)), _rng(1).standard_normal((3, 2))
    check_grads(lambda x, y: x.diff(2, 1, prepend=y), a, p)
    check_against_torch(lambda lib, x, y: lib.diff(x, 3, dim=-1, prepend=y, append=y), a, p)
    check_against_torch(lambda lib, x, y: lib.diff(x, 1, 0), a, p)
    assert rustgrad.diff(_rt([True, False, False]).bool()).tolist() == [True, False]
    assert rustgrad.diff(rustgrad.tensor([1, 4, 9])).dtype == rustgrad.int64
    x = _rt(a).requires_grad_()
    assert type(rustgrad.diff(x).grad_fn).__name__ == "SubBackward0"
    for call in (lambda lib: lib.diff(lib.tensor(1.0)), lambda lib: lib.diff(lib.zeros(3), -1),
                 lambda lib: lib.diff(lib.zeros(2, 3), prepend=lib.zeros(3)),
                 lambda lib: lib.diff(lib.zeros(2, 3), dim=1, append=lib.zeros(1, 3)),
                 lambda lib: lib.diff(lib.zeros(2, 3), dim=2)):
        assert_same_error_as_torch(call)


# ----- cross / kron / tensordot -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=4), st.data())
def test_cross_matches_numpy(shape, data):
    shape = list(shape)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    shape[dim] = 3
    a, t = data.draw(tensors("float64", tuple(shape)))
    b, u = data.draw(tensors("float64", tuple(shape)))
    np.testing.assert_allclose(to_numpy(rustgrad.cross(t, u, dim=dim)), np.cross(a, b, axis=dim), atol=1e-9)


def test_cross_default_dim_warns_once_and_grads():
    a, b = _rng(2).standard_normal((4, 3)), _rng(3).standard_normal((1, 3))
    check_grads(lambda x, y: rustgrad.cross(x, y, dim=1), a, b)
    check_against_torch(lambda lib, x, y: lib.cross(x, y, dim=-1), a, b)
    import rustgrad._math_extra as m

    m._cross_warned = False
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = rustgrad.cross(_rt(a).t(), _rt(a).t() * 2)  # dim 0 is the first of size 3
        rustgrad.cross(_rt(a), _rt(a))
    assert [str(w.message).splitlines()[0] for w in caught] == [
        "Using rustgrad.cross without specifying the dim arg is deprecated."]
    np.testing.assert_allclose(to_numpy(first), np.cross(a.T, a.T * 2, axis=0), atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for call in (lambda lib: lib.cross(lib.zeros(2, 3), lib.zeros(2, 3), dim=0),
                     lambda lib: lib.cross(lib.zeros(2, 2), lib.zeros(2, 2)),
                     lambda lib: lib.cross(lib.zeros(3), lib.zeros(2, 3)),
                     lambda lib: lib.cross(lib.zeros(2, 3, dtype=lib.float64), lib.zeros(2, 3), dim=1),
                     lambda lib: lib.cross(lib.zeros(2, 3), lib.zeros(2, 3), dim=2)):
            assert_same_error_as_torch(call)


@EXAMPLES
@given(shapes(min_dims=0, max_dims=3, max_side=3), shapes(min_dims=0, max_dims=3, max_side=3), st.data())
def test_kron_matches_numpy(sa, sb, data):
    a, t = data.draw(tensors("float64", sa))
    b, u = data.draw(tensors("float64", sb))
    np.testing.assert_allclose(to_numpy(rustgrad.kron(t, u)), np.kron(a, b), atol=1e-9)
    assert rustgrad.kron(rustgrad.tensor([1, 2]), rustgrad.tensor([3.0])).dtype == rustgrad.float32


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=3), st.data())
def test_tensordot_matches_numpy(shape, data):
    n = data.draw(st.integers(0, len(shape)))
    a, t = data.draw(tensors("float64", shape))
    b, u = data.draw(tensors("float64", tuple(shape[len(shape) - n:]) + (2,)))
    np.testing.assert_allclose(to_numpy(rustgrad.tensordot(t, u, n)), np.tensordot(a, b, n), atol=1e-9)
    perm = data.draw(st.permutations(range(len(shape))))
    c, v = data.draw(tensors("float64", tuple(shape[i] for i in perm)))
    np.testing.assert_allclose(to_numpy(rustgrad.tensordot(t, v, (perm, list(range(len(shape)))))),
                               np.tensordot(a, c, (perm, list(range(len(shape))))), atol=1e-9)


def test_kron_tensordot_grads_and_errors():
    a, b = _rng(4).standard_normal((2, 3)), _rng(5).standard_normal((3, 2))
    check_grads(lambda x, y: rustgrad.kron(x, y), a, b)
    check_against_torch(lambda lib, x, y: x.kron(y), a, b)
    check_grads(lambda x, y: rustgrad.tensordot(x, y, ([1, 0], [0, 1])), a, b)
    check_against_torch(lambda lib, x, y: lib.tensordot(x, y, dims=1), a, b)
    check_against_torch(lambda lib, x, y: lib.tensordot(x, y, dims=lib.tensor([[0], [1]])), a, b)
    for call in (lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3), ([0], [1])),
                 lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3), ([0, 1], [0])),
                 lambda lib: lib.tensordot(lib.zeros(2, 2), lib.zeros(2, 2), ([0, 0], [0, 1])),
                 lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3, dtype=lib.int64), 1),
                 lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3), ([5], [0])),
                 lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3), -1),
                 lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3), 3),
                 lambda lib: lib.tensordot(lib.zeros(2, 3), lib.zeros(2, 3), "x")):
        assert_same_error_as_torch(call)


# ----- dist / renorm -----
@pytest.mark.parametrize("p", [0, 1, 2, 3.5, float("inf")])
def test_dist_matches_torch(p):
    a, b = _rng(6).standard_normal((3, 4)), _rng(7).standard_normal(4)
    want = np.linalg.norm((a - b).ravel(), ord=p)
    assert float(rustgrad.dist(_rt(a), _rt(b), p)) == pytest.approx(want)
    if p != 0:  # PyTorch's p=0 backward itself fails (an undefined gradient)
        check_grads(lambda x, y: x.dist(y, p), a, b)
        check_against_torch(lambda lib, x, y: lib.dist(x, y, p), a, b)


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3), st.sampled_from([1, 2, 3.0]), st.floats(0.0, 3.0), st.data())
def test_renorm_matches_numpy(shape, p, maxnorm, data):
    a, t = data.draw(tensors("float64", shape, low=-3, high=3))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    moved = np.moveaxis(a, dim, 0)
    norms = np.sum(np.abs(moved.reshape(moved.shape[0], -1)) ** p, axis=1) ** (1 / p)
    factor = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    want = np.moveaxis(moved * factor.reshape((-1,) + (1,) * (moved.ndim - 1)), 0, dim)
    np.testing.assert_allclose(to_numpy(rustgrad.renorm(t, p, dim, maxnorm)), want, rtol=1e-9, atol=1e-12)


def test_renorm_grads_and_errors():
    a = _rng(8).standard_normal((3, 4)) * 2
    check_grads(lambda x: x.renorm(2, 0, 1.5), a)
    check_against_torch(lambda lib, x: lib.renorm(x, 1, 1, 2.0), a)
    for call in (lambda lib: lib.zeros(2, 3).renorm(-1, 0, 1), lambda lib: lib.zeros(2, 3).renorm(0, 0, 1),
                 lambda lib: lib.zeros(2, 3).renorm(2, 0, -1), lambda lib: lib.zeros(2, 3).renorm(2, 5, 1),
                 lambda lib: lib.zeros(2, 3, dtype=lib.int64).renorm(2, 0, 1),
                 lambda lib: lib.dist(lib.zeros(2, dtype=lib.int64), lib.zeros(2, dtype=lib.int64))):
        assert_same_error_as_torch(call)


# ----- cov / corrcoef -----
@EXAMPLES
@given(st.integers(1, 4), st.integers(2, 6), st.integers(0, 2), st.booleans(), st.booleans(), st.data())
def test_cov_matches_numpy(nvars, nobs, correction, use_f, use_a, data):
    a, t = data.draw(tensors("float64", (nvars, nobs)))
    f = _rng(nobs).integers(1, 4, nobs)
    aw = _rng(nobs + 1).uniform(0.1, 2.0, nobs)
    kw = {"correction": correction}
    if use_f:
        kw["fweights"] = rustgrad.tensor(f.tolist())
    if use_a:
        kw["aweights"] = _rt(aw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = to_numpy(rustgrad.cov(t, **kw))
        want = np.cov(a, ddof=correction, fweights=f if use_f else None, aweights=aw if use_a else None)
    if np.all(np.isfinite(want)):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    if np.ptp(a, axis=1).min() > 1e-3:  # a constant row is 0/0 in numpy, rounding-dependent here and in PyTorch
        np.testing.assert_allclose(to_numpy(rustgrad.corrcoef(t)), np.clip(np.corrcoef(a), -1, 1), rtol=1e-9,
                                   atol=1e-9)


def test_cov_corrcoef_grads_dtypes_and_errors():
    a = _rng(9).standard_normal((3, 5))
    fw, aw = [1, 2, 0, 3, 1], _rng(10).uniform(0.5, 2, 5)
    check_grads(lambda x: rustgrad.cov(x), a)
    check_grads(lambda x, w: rustgrad.cov(x, fweights=rustgrad.tensor(fw), aweights=w), a, aw)
    check_against_torch(lambda lib, x, w: lib.cov(x, correction=2, fweights=lib.tensor(fw), aweights=w), a, aw)
    check_grads(lambda x: rustgrad.corrcoef(x), a)
    check_against_torch(lambda lib, x: x.corrcoef(), a)
    check_against_torch(lambda lib, x: x[0].cov(), a)
    x = _rt(a).requires_grad_()
    assert type(rustgrad.cov(x).grad_fn).__name__ == "SqueezeBackward0"
    assert rustgrad.cov(rustgrad.tensor([[1, 2, 4], [3, 1, 0]])).dtype == rustgrad.float32
    with pytest.warns(UserWarning, match=r"cov\(\): degrees of freedom is <= 0"):
        rustgrad.cov(rustgrad.tensor([1.0]))
    for call in (lambda lib: lib.cov(lib.zeros(2, 2, 2)), lambda lib: lib.cov(lib.zeros(3).bool()),
                 lambda lib: lib.cov(lib.zeros(4), fweights=lib.ones(4)),
                 lambda lib: lib.cov(lib.zeros(4), fweights=lib.tensor([1, 1, 1])),
                 lambda lib: lib.cov(lib.zeros(4), fweights=lib.tensor([1, -1, 1, 1])),
                 lambda lib: lib.cov(lib.zeros(4), aweights=lib.tensor([1, 1, 1, 1])),
                 lambda lib: lib.cov(lib.zeros(4), aweights=lib.zeros(4)),
                 lambda lib: lib.cov(lib.zeros(4), aweights=lib.ones(1, 4)),
                 lambda lib: lib.corrcoef(lib.zeros(2, 2, 2))):
        assert_same_error_as_torch(call)


# ----- trapezoid / cumulative_trapezoid -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=5), st.data())
def test_trapezoid_matches_numpy(shape, data):
    a, t = data.draw(tensors("float64", shape))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    xs = np.cumsum(_rng(len(shape)).uniform(0.1, 1, shape[dim]))
    dx = data.draw(st.floats(0.1, 3))
    np.testing.assert_allclose(to_numpy(rustgrad.trapezoid(t, dim=dim)), np.trapezoid(a, axis=dim), atol=1e-9)
    np.testing.assert_allclose(to_numpy(rustgrad.trapz(t, dx=dx, dim=dim)), np.trapezoid(a, dx=dx, axis=dim), atol=1e-9)
    np.testing.assert_allclose(to_numpy(rustgrad.trapezoid(t, _rt(xs), dim=dim)), np.trapezoid(a, xs, axis=dim),
                               atol=1e-9)
    full_x = np.cumsum(_rng(1).uniform(0.1, 1, shape), axis=dim)
    np.testing.assert_allclose(to_numpy(rustgrad.trapezoid(t, _rt(full_x), dim=dim)),
                               np.trapezoid(a, full_x, axis=dim), atol=1e-9)
    running = np.cumsum((np.take(a, range(1, shape[dim]), dim) + np.take(a, range(shape[dim] - 1), dim)) * dx / 2, dim)
    np.testing.assert_allclose(to_numpy(rustgrad.cumulative_trapezoid(t, dx=dx, dim=dim)), running, atol=1e-9)


def test_trapezoid_grads_and_errors():
    y, x = _rng(11).standard_normal((3, 4)), np.cumsum(_rng(12).uniform(0.1, 1, (3, 4)), 1)
    check_grads(lambda a, b: rustgrad.trapezoid(a, b), y, x)
    check_against_torch(lambda lib, a, b: lib.trapezoid(a, b[0], dim=1), y, x)
    check_against_torch(lambda lib, a, b: lib.trapz(a, dx=0.5, dim=0), y, x)
    check_grads(lambda a, b: rustgrad.cumulative_trapezoid(a, b, dim=1), y, x)
    check_against_torch(lambda lib, a, b: lib.cumulative_trapezoid(a, b), y, x)
    check_against_torch(lambda lib, a, b: lib.cumulative_trapezoid(a, dx=2, dim=0), y, x)
    assert tuple(rustgrad.trapezoid(rustgrad.zeros(3, 0)).shape) == (3,)
    assert rustgrad.trapezoid(rustgrad.tensor([1, 2, 4])).dtype == rustgrad.float32
    for call in (lambda lib: lib.trapezoid(lib.zeros(3), lib.zeros(3), dx=1),
                 lambda lib: lib.trapz(lib.zeros(3), lib.zeros(3), dx=1),
                 lambda lib: lib.cumulative_trapezoid(lib.zeros(3), lib.zeros(3), dx=1.5),
                 lambda lib: lib.trapezoid(lib.zeros(3), dx=None),
                 lambda lib: lib.trapezoid(lib.zeros(3), lib.zeros(3).bool()),
                 lambda lib: lib.trapezoid(lib.zeros(3).bool()),
                 lambda lib: lib.trapezoid(lib.zeros(3), dx=True),
                 lambda lib: lib.cumulative_trapezoid(lib.zeros(3).bool()),
                 lambda lib: lib.trapezoid(lib.zeros(3), lib.zeros(2))):
        assert_same_error_as_torch(call)


# ----- nansum / nanmean -----
def _with_nans(draw_data, shape):
    a = draw_data.draw(arrays("float64", shape))
    mask = np.asarray(draw_data.draw(st.lists(st.booleans(), min_size=a.size, max_size=a.size)), bool).reshape(shape)
    a = a.copy()
    a[mask] = np.nan
    return a


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3), st.booleans(), st.data())
def test_nansum_nanmean_match_numpy(shape, keepdim, data):
    a = _with_nans(data, shape)
    t = _rt(a)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    np.testing.assert_allclose(to_numpy(rustgrad.nansum(t, dim, keepdim)), np.nansum(a, dim, keepdims=keepdim))
    np.testing.assert_allclose(float(t.nansum()), np.nansum(a))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(to_numpy(t.nanmean(dim, keepdim)), np.nanmean(a, dim, keepdims=keepdim))
        np.testing.assert_allclose(float(rustgrad.nanmean(t)), np.nanmean(a))


def test_nansum_nanmean_grads_and_errors():
    a = _rng(13).standard_normal((3, 4))
    a[0, 1] = a[2, 3] = np.nan
    torch = torch_or_skip()
    for name in ("nansum", "nanmean"):
        for kw in ({}, {"dim": 1}, {"dim": (0, 1), "keepdim": True}):
            x, tx = _rt(a).requires_grad_(), torch.tensor(a, requires_grad=True)
            getattr(rustgrad, name)(x, **kw).sum().backward()
            getattr(torch, name)(tx, **kw).sum().backward()
            np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy())
    check_grads(lambda x: x.nansum(0), np.nan_to_num(a))
    assert rustgrad.nansum(rustgrad.tensor([1, 2])).dtype == rustgrad.int64
    assert_same_error_as_torch(lambda lib: lib.nanmean(lib.tensor([1, 2])))


# ----- quantile / nanquantile / nanmedian / mode / histogram -----
@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=5), st.sampled_from(["linear", "lower", "higher", "midpoint", "nearest"]),
       st.booleans(), st.data())
def test_quantile_matches_numpy(shape, method, keepdim, data):
    a, t = data.draw(tensors("float64", shape))
    qs = data.draw(st.lists(st.floats(0, 1), min_size=1, max_size=3))
    dim = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    got = rustgrad.quantile(t, _rt(qs), dim, keepdim, interpolation=method)
    np.testing.assert_allclose(to_numpy(got), np.quantile(a, qs, axis=dim, keepdims=keepdim, method=method), atol=1e-9)
    got1 = t.quantile(qs[0], dim, keepdim, interpolation=method)
    np.testing.assert_allclose(to_numpy(got1), np.quantile(a, qs[0], axis=dim, keepdims=keepdim, method=method),
                               atol=1e-9)
    n = _with_nans(data, shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        np.testing.assert_allclose(to_numpy(rustgrad.nanquantile(_rt(n), qs[0], dim, keepdim, interpolation=method)),
                                   np.nanquantile(n, qs[0], axis=dim, keepdims=keepdim, method=method), atol=1e-9)
        np.testing.assert_allclose(to_numpy(rustgrad.quantile(_rt(n), qs[0], dim, keepdim, interpolation=method)),
                                   np.quantile(n, qs[0], axis=dim, keepdims=keepdim, method=method), atol=1e-9)


def test_quantile_grads_and_errors():
    a = _rng(14).standard_normal((3, 5))
    for method in ("linear", "lower", "higher", "midpoint", "nearest"):
        check_grads(lambda x: rustgrad.quantile(x, rustgrad.tensor([0.1, 0.5, 0.8], dtype=rustgrad.float64), 1,
                                                interpolation=method), a)
        check_against_torch(lambda lib, x: x.quantile(lib.tensor([0.3, 1.0], dtype=lib.float64), 0, True,
                                                      interpolation=method), a)
    b = a.copy()
    b[1, 2] = np.nan
    check_against_torch(lambda lib, x: x.nanquantile(0.4, dim=1), b)
    for call in (lambda lib: lib.zeros(3).quantile(0.5, interpolation="foo"), lambda lib: lib.zeros(3).quantile(1.5),
                 lambda lib: lib.zeros(3).quantile(lib.tensor([0.5], dtype=lib.float64)),
                 lambda lib: lib.zeros(3).quantile(lib.tensor([[0.5]])),
                 lambda lib: lib.zeros(3).quantile(lib.tensor([2.0])),
                 lambda lib: lib.zeros(3, dtype=lib.int64).quantile(0.3), lambda lib: lib.zeros(0).nanquantile(0.3),
                 lambda lib: lib.zeros(3).quantile(0.3, 1), lambda lib: lib.zeros(3).quantile([0.1]),
                 lambda lib: lib.nanquantile(lib.zeros(3), "a"), lambda lib: lib.zeros(3).quantile(0.1, dim=(0,)),
                 lambda lib: lib.quantile(lib.zeros(3), 0.2, 0, 3),
                 lambda lib: lib.quantile(lib.zeros(3), 0.5, interpolation=1)):
        assert_same_error_as_torch(call)
    out = rustgrad.empty(3, dtype=rustgrad.float64)
    assert rustgrad.quantile(_rt(a), 0.5, 1, out=out) is out
    np.testing.assert_allclose(to_numpy(out), np.quantile(a, 0.5, axis=1))


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=5), st.booleans(), st.data())
def test_nanmedian_matches_numpy(shape, keepdim, data):
    a = _with_nans(data, shape)
    a = np.where(np.isnan(a), a, np.arange(a.size).reshape(shape) * 0.37 % 1.9)  # distinct values: unique indices
    t = _rt(a)
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values, indices = rustgrad.nanmedian(t, dim, keepdim)
    moved = np.moveaxis(a, dim, -1)
    want = np.full(moved.shape[:-1], np.nan)
    for idx in np.ndindex(moved.shape[:-1]):
        row = np.sort(moved[idx][~np.isnan(moved[idx])])
        if row.size:
            want[idx] = row[(row.size - 1) // 2]
    want = np.expand_dims(want, dim % len(shape)) if keepdim else want
    np.testing.assert_array_equal(to_numpy(values), want)
    ok = ~np.isnan(want)
    picked = np.take_along_axis(a, np.asarray(indices.tolist()).reshape(want.shape) if keepdim else np.expand_dims(
        np.asarray(indices.tolist()), dim % len(shape)), dim % len(shape))
    np.testing.assert_array_equal(picked[ok if keepdim else np.expand_dims(ok, dim % len(shape))],
                                  want[ok] if keepdim else want[ok])
    flat = np.sort(a[~np.isnan(a)])
    assert np.array_equal(float(t.nanmedian()), flat[(flat.size - 1) // 2] if flat.size else np.nan, equal_nan=True)


@EXAMPLES
@given(shapes(min_dims=1, max_dims=3, max_side=6), st.booleans(), st.data())
def test_mode_matches_reference(shape, keepdim, data):
    a, t = data.draw(tensors("int64", shape, low=0, high=3))
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    values, indices = rustgrad.mode(t, dim, keepdim)
    moved = np.moveaxis(a, dim, -1)
    want_v, want_i = np.zeros(moved.shape[:-1], np.int64), np.zeros(moved.shape[:-1], np.int64)
    for idx in np.ndindex(moved.shape[:-1]):
        vals, counts = np.unique(moved[idx], return_counts=True)
        want_v[idx] = vals[np.argmax(counts)]  # the smallest of the most frequent
        want_i[idx] = np.flatnonzero(moved[idx] == want_v[idx])[-1]  # its last position
    if keepdim:
        want_v, want_i = np.expand_dims(want_v, dim % len(shape)), np.expand_dims(want_i, dim % len(shape))
    np.testing.assert_array_equal(to_numpy(values), want_v)
    np.testing.assert_array_equal(to_numpy(indices), want_i)


def test_order_statistics_grads_names_and_errors():
    torch = torch_or_skip()
    a = _rng(15).standard_normal((3, 5))
    a[0, 2] = np.nan
    check_against_torch(lambda lib, x: x.nanmedian(1)[0], a)
    check_against_torch(lambda lib, x: x.nanmedian(), a)
    c = np.round(_rng(16).standard_normal((3, 5)))
    check_against_torch(lambda lib, x: lib.mode(x, 0, True)[0], c)
    # (no finite differences for mode: nudging one of tied values changes which value is the mode)
    r = rustgrad.mode(_rt(c), 1)
    assert type(r).__name__ == "mode" and repr(r).startswith("rustgrad.return_types.mode(\nvalues=")
    assert type(rustgrad.nanmedian(_rt(a), 0)).__name__ == "nanmedian"
    assert rustgrad.tensor(3.0).mode().indices.tolist() == torch.tensor(3.0).mode().indices.tolist()
    for call in (lambda lib: lib.zeros(2, 0).nanmedian(1), lambda lib: lib.zeros(0).mode(),
                 lambda lib: lib.zeros(2, 2).mode(3), lambda lib: lib.zeros(2, 2).nanmedian(-3)):
        assert_same_error_as_torch(call)


def test_histogram_matches_torch():
    torch = torch_or_skip()
    a, w = _rng(17).standard_normal((4, 5)), _rng(18).uniform(0, 2, (4, 5))
    for dtype in ("float32", "float64"):
        for args, kw in (((5,), {}), ((4,), {"range": (-1.0, 1.0), "density": True}), ((3,), {"weight": True}),
                         (("edges",), {"weight": True, "density": True})):
            outs = []
            for lib in (rustgrad, torch):
                x = lib.tensor(a.tolist(), dtype=getattr(lib, dtype))
                call_args = (lib.tensor([-1.0, 0.0, 0.5, 3.0], dtype=getattr(lib, dtype)),) if args[0] == "edges" else args
                call_kw = dict(kw, weight=lib.tensor(w.tolist(), dtype=getattr(lib, dtype))) if "weight" in kw else kw
                hist, edges = lib.histogram(x, *call_args, **call_kw)
                outs.append((np.array(hist.tolist()), np.array(edges.tolist()), str(hist.dtype)[-7:]))
            np.testing.assert_allclose(outs[0][0], outs[1][0], rtol=1e-5)
            np.testing.assert_allclose(outs[0][1], outs[1][1], rtol=1e-6)
            assert outs[0][2] == outs[1][2]
    h = rustgrad.zeros(3).histogram(2)
    assert type(h).__name__ == "histogram" and h.bin_edges.tolist() == [-0.5, 0.0, 0.5]
    for call in (lambda lib: lib.histogram(lib.zeros(3, dtype=lib.int32), 3), lambda lib: lib.histogram(lib.zeros(3), 0),
                 lambda lib: lib.histogram(lib.zeros(3), 3, range=(1.5, 0.0))):
        assert_same_error_as_torch(call)
