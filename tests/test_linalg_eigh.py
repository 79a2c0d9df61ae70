"""rustgrad.linalg.eigh / eigvalsh and linalg.solve_triangular: values against numpy on
hypothesis-drawn batches (eigenvectors compared sign-invariantly), gradients by finite
differences (gauge-invariant functions) and against PyTorch, grad_fn names, saved values and
PyTorch's errors (torch 2.13)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import linalg
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

EXAMPLES = settings(max_examples=15, deadline=None)
batch_shapes = st.sampled_from([(), (1,), (3,), (2, 2)])
sizes = st.integers(1, 6)
seeds = st.integers(0, 2**16)
dtypes = st.sampled_from(["float32", "float64"])
TOL = {"float32": dict(rtol=1e-4, atol=1e-4), "float64": dict(rtol=1e-10, atol=1e-10)}


def arr(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def tensor(a, dtype="float64", **kw):
    return rustgrad.tensor(np.asarray(a).tolist(), dtype=getattr(rustgrad, dtype), **kw)


def symmetric_distinct(seed, batch, n):
    rng = np.random.default_rng(seed)
    q = np.linalg.qr(rng.standard_normal(batch + (n, n)))[0]
    w = np.arange(n) * 1.5 - n / 2 + rng.uniform(0, 0.3, batch + (n,))
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


@EXAMPLES
@given(seeds, batch_shapes, sizes, dtypes, st.sampled_from(["L", "U"]))
def test_eigh_matches_numpy(seed, batch, n, dtype, uplo):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (n, n))  # not symmetric: only the UPLO triangle counts
    w, v = linalg.eigh(tensor(a, dtype), uplo)
    ref_w, ref_v = np.linalg.eigh(a, uplo)
    assert str(w.dtype) == str(v.dtype) == f"rustgrad.{dtype}"
    np.testing.assert_allclose(arr(w), ref_w, **TOL[dtype])
    sym = np.tril(a) + np.swapaxes(np.tril(a, -1), -1, -2) if uplo == "L" else np.triu(a) + np.swapaxes(np.triu(a, 1), -1, -2)
    vv = arr(v)
    np.testing.assert_allclose(vv @ (arr(w)[..., None] * np.swapaxes(vv, -1, -2)), sym, **TOL[dtype])
    np.testing.assert_allclose(np.swapaxes(vv, -1, -2) @ vv, np.broadcast_to(np.eye(n), vv.shape), **TOL[dtype])
    np.testing.assert_allclose(arr(linalg.eigvalsh(tensor(a, dtype), UPLO=uplo)), ref_w, **TOL[dtype])
    assert type(linalg.eigh(tensor(a))).__name__ == "linalg_eigh"


@EXAMPLES
@given(seeds, batch_shapes, sizes)
def test_eigenvectors_match_numpy_up_to_sign(seed, batch, n):
    a = symmetric_distinct(seed, batch, n)
    _, v = linalg.eigh(tensor(a))
    eye = np.broadcast_to(np.eye(n), batch + (n, n))
    np.testing.assert_allclose(np.abs(np.swapaxes(arr(v), -1, -2) @ np.linalg.eigh(a)[1]), eye, atol=1e-8)


def test_eigh_gradients():
    for shape in [(3, 3), (2, 4, 4), (1, 1)]:
        a = symmetric_distinct(sum(shape), shape[:-2], shape[-1])
        # Through a symmetric input: the finite differences then see PyTorch's symmetric gradient.
        sym = lambda t: (t + t.mT) / 2
        check_grads(lambda t: linalg.eigvalsh(sym(t)), a)
        check_grads(lambda t: linalg.eigh(sym(t)).eigenvectors.abs(), a, atol=1e-5)
        check_grads(lambda t: (lambda w, v: (v * w.unsqueeze(-2)) @ v.mT)(*linalg.eigh(sym(t))), a)
        check_against_torch(lambda lib, t: lib.linalg.eigvalsh(t), a)
        check_against_torch(lambda lib, t: lib.linalg.eigh(t, "U").eigenvectors.abs(), a)
        check_against_torch(lambda lib, t: lib.linalg.eigh(t).eigenvalues, a)
    # repeated eigenvalues: only the eigenvalues get a gradient, which stays finite
    check_against_torch(lambda lib, t: lib.linalg.eigvalsh(t), np.eye(3))


@EXAMPLES
@given(seeds, st.sampled_from([((), ()), ((2,), ()), ((), (3,)), ((2, 1), (3,))]), sizes, st.integers(1, 3), dtypes,
       st.booleans(), st.booleans(), st.booleans())
def test_solve_triangular_matches_numpy(seed, batches, n, k, dtype, upper, left, unit):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batches[0] + (n, n)) + 3 * np.eye(n)
    b = rng.standard_normal(batches[1] + ((n, k) if left else (k, n)))
    x = linalg.solve_triangular(tensor(a, dtype), tensor(b, dtype), upper=upper, left=left, unitriangular=unit)
    t = np.triu(a) if upper else np.tril(a)
    if unit:
        t = t * (1 - np.eye(n)) + np.eye(n)
    ref = np.linalg.solve(t, b) if left else np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)), -1, -2)
    np.testing.assert_allclose(arr(x), ref, rtol=1e-3 if dtype == "float32" else 1e-9, atol=1e-4 if dtype == "float32" else 1e-10)


@pytest.mark.parametrize("upper,left,unit", [(True, True, False), (False, True, True), (True, False, False), (False, False, True)])
def test_solve_triangular_gradients(upper, left, unit):
    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((1, 3, 2) if left else (1, 2, 3))
    f = lambda x, y: linalg.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit)
    check_grads(f, a, b)
    check_against_torch(lambda lib, x, y: lib.linalg.solve_triangular(x, y, upper=upper, left=left, unitriangular=unit), a, b)


def test_grad_fn_names_and_saved_values_as_torch():
    torch = torch_or_skip()

    def info(lib):
        a = lib.tensor(symmetric_distinct(0, (), 3).tolist(), dtype=lib.float64, requires_grad=True)
        b = lib.ones(3, 2, dtype=lib.float64, requires_grad=True)
        w, v = lib.linalg.eigh(a)
        x = lib.linalg.solve_triangular(a, b, upper=True, left=True)
        g = x.grad_fn
        return (w.grad_fn.name(), v.grad_fn.name(), lib.linalg.eigvalsh(a).grad_fn.name(), tuple(w.grad_fn._saved_eigenvectors.shape),
                g.name(), g._saved_upper, g._saved_left, g._saved_unitriangular, tuple(g._saved_self.shape))
    assert info(rustgrad) == info(torch)


def test_non_finite_input_raises_linalg_error_as_torch():
    torch = torch_or_skip()
    for shape in [(3, 3), (2, 3, 3)]:
        with pytest.raises(linalg.LinAlgError) as ours:
            linalg.eigh(rustgrad.full(shape, math.nan))
        with pytest.raises(torch.linalg.LinAlgError) as theirs:
            torch.linalg.eigh(torch.full(shape, math.nan))
        assert str(ours.value) == str(theirs.value)


def test_mixed_dtypes_and_singular_as_torch():
    torch = torch_or_skip()
    x = linalg.solve_triangular(rustgrad.ones(3, 3), rustgrad.ones(3, 2, dtype=rustgrad.float64), upper=True)
    assert x.dtype == rustgrad.float64
    ours = linalg.solve_triangular(rustgrad.zeros(2, 2), rustgrad.ones(2, 2), upper=True)
    theirs = torch.linalg.solve_triangular(torch.zeros(2, 2), torch.ones(2, 2), upper=True)
    np.testing.assert_array_equal(arr(ours), theirs.numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.eigh(lib.ones(3)),
        lambda lib: lib.linalg.eigh(lib.ones(3, 4)),
        lambda lib: lib.linalg.eigh(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.eigh(lib.ones(3, 3), UPLO="X"),
        lambda lib: lib.linalg.eigvalsh(lib.ones(3, 3, dtype=lib.int32)),
        lambda lib: lib.linalg.eigvalsh(lib.ones(3)),
        lambda lib: lib.linalg.solve_triangular(lib.ones(3), lib.ones(3, 2), upper=True),
        lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3), lib.ones(3), upper=True),
        lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3), lib.ones(2, 2), upper=True),
        lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3), lib.ones(2, 2), upper=True, left=False),
        lambda lib: lib.linalg.solve_triangular(lib.ones(3, 3, dtype=lib.int64), lib.ones(3, 2, dtype=lib.int64), upper=True),
        lambda lib: lib.linalg.solve_triangular(lib.ones(3, 4), lib.ones(3, 2), upper=True),
        lambda lib: lib.linalg.solve_triangular(lib.ones(2, 3, 3), lib.ones(4, 3, 2), upper=True),
    ],
)
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
