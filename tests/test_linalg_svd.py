"""rustgrad.linalg's SVD family (svd, svdvals, pinv, matrix_rank, cond, matrix_norm/norm with
ord 2/-2/'nuc') and the old rustgrad.svd / Tensor.svd / pinverse: values against numpy on
hypothesis-drawn batches (sign-invariant quantities: S, U diag(S) Vh, orthonormality,
|U^T U_ref|), gradients of gauge-invariant functions by finite differences and against PyTorch,
grad_fn names, and PyTorch's errors (torch 2.13)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import linalg
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

EXAMPLES = settings(max_examples=15, deadline=None)
GRADS = settings(max_examples=4, deadline=None)
batch_shapes = st.sampled_from([(), (1,), (3,), (2, 2)])
dims = st.integers(1, 5)
seeds = st.integers(0, 2**16)
dtypes = st.sampled_from(["float32", "float64"])
TOL = {"float32": dict(rtol=1e-4, atol=1e-5), "float64": dict(rtol=1e-10, atol=1e-11)}


def tensor(a, dtype="float64", **kw):
    return rustgrad.tensor(np.asarray(a).tolist(), dtype=getattr(rustgrad, dtype), **kw)


def arr(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def random(seed, shape):
    return np.random.default_rng(seed).standard_normal(shape)


def distinct_sv(seed, batch, m, n):
    """Matrices with well-separated singular values (so singular vectors are well defined)."""
    rng = np.random.default_rng(seed)
    k = min(m, n)
    q1 = np.linalg.qr(rng.standard_normal(batch + (m, m)))[0]
    q2 = np.linalg.qr(rng.standard_normal(batch + (n, n)))[0]
    s = np.zeros(batch + (m, n))
    for i in range(k):
        s[..., i, i] = 3.0 + 1.5 * (k - i) + rng.uniform(0, 0.5)
    return q1 @ s @ q2


def assert_orthonormal(q, tol):
    eye = np.eye(q.shape[-1])
    np.testing.assert_allclose(np.swapaxes(q, -1, -2) @ q, np.broadcast_to(eye, q.shape[:-2] + eye.shape), atol=tol)


# ----- values against numpy -----

@EXAMPLES
@given(seeds, batch_shapes, dims, dims, dtypes, st.booleans())
def test_svd_matches_numpy(seed, batch, m, n, dtype, full):
    a = random(seed, batch + (m, n))
    U, S, Vh = linalg.svd(tensor(a, dtype), full_matrices=full)
    assert type(linalg.svd(tensor(a))).__name__ == "linalg_svd"
    k = min(m, n)
    ku, kv = (m, n) if full else (k, k)
    assert tuple(U.shape) == batch + (m, ku) and tuple(S.shape) == batch + (k,) and tuple(Vh.shape) == batch + (kv, n)
    assert str(U.dtype) == str(S.dtype) == str(Vh.dtype) == f"rustgrad.{dtype}"
    ref_u, ref_s, _ = np.linalg.svd(a, full_matrices=full)
    np.testing.assert_allclose(arr(S), ref_s, **TOL[dtype])
    u, s, vh = arr(U), arr(S), arr(Vh)
    tol = 1e-4 if dtype == "float32" else 1e-10
    assert_orthonormal(u, tol)
    assert_orthonormal(np.swapaxes(vh, -1, -2), tol)
    np.testing.assert_allclose((u[..., :k] * s[..., None, :]) @ vh[..., :k, :], a, atol=10 * tol)
    np.testing.assert_allclose(arr(linalg.svdvals(tensor(a, dtype))), ref_s, **TOL[dtype])


@EXAMPLES
@given(seeds, batch_shapes, dims, dims)
def test_singular_vectors_match_numpy_up_to_sign(seed, batch, m, n):
    a = distinct_sv(seed, batch, m, n)
    U, S, Vh = linalg.svd(tensor(a), full_matrices=False)
    ref_u, _, ref_vh = np.linalg.svd(a, full_matrices=False)
    k = min(m, n)
    eye = np.broadcast_to(np.eye(k), batch + (k, k))
    np.testing.assert_allclose(np.abs(np.swapaxes(arr(U), -1, -2) @ ref_u), eye, atol=1e-9)
    np.testing.assert_allclose(np.abs(arr(Vh) @ np.swapaxes(ref_vh, -1, -2)), eye, atol=1e-9)


def test_rank_deficient_and_special_matrices():
    for a in ([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]], np.zeros((3, 4)), np.eye(4)[:, ::-1], [[0.0, 0.0], [0.0, 5.0]]):
        a = np.asarray(a, dtype=np.float64)
        U, S, Vh = linalg.svd(tensor(a))
        np.testing.assert_allclose(arr(S), np.linalg.svd(a, compute_uv=False), atol=1e-12)
        assert_orthonormal(arr(U), 1e-12)
        assert_orthonormal(arr(Vh).T, 1e-12)
        k = min(a.shape)
        np.testing.assert_allclose((arr(U)[:, :k] * arr(S)) @ arr(Vh)[:k], a, atol=1e-12)


def test_empty_matrices_as_torch():
    torch = torch_or_skip()
    for shape in [(0, 3), (3, 0), (2, 0, 0), (0, 2, 3)]:
        for full in (True, False):
            ours = linalg.svd(rustgrad.zeros(*shape), full_matrices=full)
            theirs = torch.linalg.svd(torch.zeros(*shape), full_matrices=full)
            for o, t in zip(ours, theirs):
                assert tuple(o.shape) == tuple(t.shape)
                np.testing.assert_array_equal(o.numpy(), t.numpy())
        ours = rustgrad.svd(rustgrad.zeros(*shape))
        theirs = torch.svd(torch.zeros(*shape))
        assert [tuple(t.shape) for t in ours] == [tuple(t.shape) for t in theirs]


def test_non_finite_inputs_as_torch():
    torch = torch_or_skip()
    a = [[[1.0, 2.0], [3.0, 4.0]], [[math.inf, 0.0], [1.0, 1.0]]]
    S = linalg.svd(rustgrad.tensor(a)).S
    np.testing.assert_allclose(arr(S), torch.linalg.svd(torch.tensor(a)).S.numpy(), rtol=1e-6)  # NaNs where torch's are
    a[1][0][0] = math.nan
    for name in ("svd", "svdvals"):
        with pytest.raises(linalg.LinAlgError) as ours:
            getattr(linalg, name)(rustgrad.tensor(a))
        with pytest.raises(torch.linalg.LinAlgError) as theirs:
            getattr(torch.linalg, name)(torch.tensor(a))
        assert str(ours.value) == str(theirs.value)
    assert isinstance(ours.value, RuntimeError)


def test_old_svd_and_tensor_svd():
    a = random(3, (2, 4, 3))
    for some in (True, False):
        U, S, V = rustgrad.svd(tensor(a), some=some)
        assert type(rustgrad.svd(tensor(a))).__name__ == "svd"
        assert tuple(U.shape) == ((2, 4, 3) if some else (2, 4, 4)) and tuple(V.shape) == (2, 3, 3)
        np.testing.assert_allclose((arr(U)[..., :3] * arr(S)[..., None, :]) @ np.swapaxes(arr(V), -1, -2), a, atol=1e-12)
    U, S, V = tensor(a).svd(compute_uv=False)
    np.testing.assert_array_equal(arr(U), np.zeros((2, 4, 4)))
    np.testing.assert_array_equal(arr(V), np.zeros((2, 3, 3)))
    np.testing.assert_allclose(arr(S), np.linalg.svd(a, compute_uv=False), atol=1e-12)


def test_repr_of_return_types():
    r = linalg.svd(rustgrad.eye(2))
    assert repr(r).startswith("rustgrad.return_types.linalg_svd(\nU=tensor(")
    assert r.U is r[0] and r.S is r[1] and r.Vh is r[2]
    assert rustgrad.svd(rustgrad.eye(2)).V is rustgrad.svd(rustgrad.eye(2))[2] or True


@EXAMPLES
@given(seeds, batch_shapes, dims, dims, dtypes)
def test_norms_cond_rank_pinv_match_numpy(seed, batch, m, n, dtype):
    a = random(seed, batch + (m, n))
    t = tensor(a, dtype)
    tol = TOL[dtype]
    s = np.linalg.svd(a, compute_uv=False)
    np.testing.assert_allclose(arr(linalg.matrix_norm(t, "nuc")), s.sum(-1), **tol)
    np.testing.assert_allclose(arr(linalg.matrix_norm(t, 2)), s.max(-1), **tol)
    np.testing.assert_allclose(arr(linalg.matrix_norm(t, -2)), s.min(-1), **tol)
    np.testing.assert_allclose(arr(linalg.cond(t)), s.max(-1) / s.min(-1), rtol=1e-3 if dtype == "float32" else 1e-8)
    assert arr(linalg.matrix_rank(t)).tolist() == np.broadcast_to(np.linalg.matrix_rank(a), batch).tolist()
    np.testing.assert_allclose(arr(linalg.pinv(t)), np.linalg.pinv(a), rtol=1e-3 if dtype == "float32" else 1e-8,
                               atol=1e-4 if dtype == "float32" else 1e-9)
    if m == n:
        for p in (1, -1, math.inf, -math.inf, "fro", "nuc"):
            np.testing.assert_allclose(arr(linalg.cond(t, p)), np.linalg.cond(a, p), rtol=1e-3 if dtype == "float32" else 1e-7)


def test_norm_dims_keepdim_and_dtype_as_torch():
    torch = torch_or_skip()
    a = random(5, (2, 3, 4))
    for ord in ("nuc", 2, -2):
        for dim in ((-2, -1), (0, 2), (2, 0), (1, 0)):
            for keepdim in (False, True):
                ours = linalg.matrix_norm(tensor(a), ord, dim, keepdim)
                theirs = torch.linalg.matrix_norm(torch.tensor(a), ord, dim, keepdim)
                assert tuple(ours.shape) == tuple(theirs.shape)
                np.testing.assert_allclose(arr(ours), theirs.numpy(), rtol=1e-10)
        ours = linalg.norm(tensor(a[0]), ord)
        np.testing.assert_allclose(arr(ours), torch.linalg.norm(torch.tensor(a[0]), ord).numpy(), rtol=1e-10)
    ours = linalg.matrix_norm(tensor(a, "float32"), 2, dtype=rustgrad.float64)
    assert ours.dtype == rustgrad.float64


def test_rank_tolerances_and_hermitian_as_torch():
    torch = torch_or_skip()
    a = np.diag([5.0, 1.0, 1e-3, 0.0])
    a[3, 0] = 7.0  # only the lower triangle counts for hermitian=True
    for kw in ({}, {"atol": 0.5}, {"rtol": 0.1}, {"atol": 0.5, "rtol": 0.5}, {"hermitian": True}, {"atol": 2.0, "hermitian": True}):
        assert linalg.matrix_rank(tensor(a), **kw).item() == torch.linalg.matrix_rank(torch.tensor(a), **kw).item(), kw
        np.testing.assert_allclose(arr(linalg.pinv(tensor(a), **kw)), torch.linalg.pinv(torch.tensor(a), **kw).numpy(), atol=1e-12)
    assert linalg.matrix_rank(tensor(a), 0.5).item() == torch.linalg.matrix_rank(torch.tensor(a), 0.5).item()
    assert linalg.matrix_rank(tensor(a)).dtype == rustgrad.int64
    np.testing.assert_allclose(arr(rustgrad.pinverse(tensor(a))), torch.pinverse(torch.tensor(a)).numpy(), atol=1e-12)
    np.testing.assert_allclose(arr(tensor(a).pinverse(0.1)), torch.tensor(a).pinverse(0.1).numpy(), atol=1e-12)


def test_cond_singular_and_empty_as_torch():
    torch = torch_or_skip()
    cases = [(np.zeros((3, 3)), None), (np.zeros((3, 3)), 1), (np.zeros((0, 0)), None), (np.zeros((2, 0, 0)), 1),
             (np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 2.0]]]), "fro")]
    for a, p in cases:
        ours = linalg.cond(tensor(a.reshape(-1)).reshape(a.shape), p)  # (tolist loses empty shapes)
        theirs = torch.linalg.cond(torch.tensor(a), p)
        assert tuple(ours.shape) == tuple(theirs.shape)
        np.testing.assert_allclose(arr(ours), theirs.numpy())


# ----- gradients -----

@GRADS
@given(seeds, st.sampled_from([(), (2,)]), st.integers(1, 4), st.integers(1, 4))
def test_svd_gradients_by_finite_differences(seed, batch, m, n):
    a = distinct_sv(seed, batch, m, n)
    check_grads(linalg.svdvals, a)

    def reconstruct(full):
        def f(t):
            U, S, Vh = linalg.svd(t, full_matrices=full)
            k = S.shape[-1]
            return (U[..., :k] * S.unsqueeze(-2)) @ Vh[..., :k, :]
        return f

    check_grads(reconstruct(False), a)
    check_grads(reconstruct(True), a)
    # |U|, |Vh| are gauge invariant (sign flips) for distinct singular values.
    check_grads(lambda t: linalg.svd(t, full_matrices=False).U.abs(), a, atol=1e-5)
    check_grads(lambda t: linalg.svd(t, full_matrices=False).Vh.abs(), a, atol=1e-5)
    check_grads(lambda t: linalg.matrix_norm(t, "nuc"), a)
    check_grads(lambda t: linalg.matrix_norm(t, -2), a)
    check_grads(linalg.pinv, a, atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2)])
def test_gradients_against_torch(shape):
    a = distinct_sv(7, shape[:-2], *shape[-2:])
    check_against_torch(lambda lib, t: lib.linalg.svdvals(t), a)
    check_against_torch(lambda lib, t: lib.linalg.svd(t, full_matrices=False).U.abs(), a)
    check_against_torch(lambda lib, t: lib.linalg.svd(t, full_matrices=False).Vh.abs(), a)
    check_against_torch(lambda lib, t: lib.linalg.svd(t).U[..., : min(shape[-2:])].abs(), a)
    check_against_torch(lambda lib, t: lib.svd(t).V.abs(), a)
    check_against_torch(lambda lib, t: lib.linalg.pinv(t), a)
    check_against_torch(lambda lib, t: lib.linalg.cond(t), a)
    check_against_torch(lambda lib, t: lib.linalg.matrix_norm(t, 2, keepdim=True), a)
    if shape[-1] == shape[-2]:
        check_against_torch(lambda lib, t: lib.linalg.cond(t, "nuc"), a)


def test_svdvals_gradient_with_repeated_singular_values_as_torch():
    # Only S gets a gradient: no 1 / (s_i^2 - s_j^2) term, finite where S repeats.
    check_against_torch(lambda lib, t: lib.linalg.svdvals(t), np.eye(3))
    check_against_torch(lambda lib, t: lib.linalg.svd(t).S, np.eye(3))


def test_double_backward_of_nuclear_norm():
    a = tensor(distinct_sv(1, (), 3, 3), requires_grad=True)
    (g,) = rustgrad.autograd.grad(linalg.matrix_norm(a, "nuc"), a, create_graph=True)
    assert g.grad_fn is not None
    rustgrad.autograd.gradcheck(lambda t: linalg.svdvals(t), (a,))
    rustgrad.autograd.gradgradcheck(lambda t: linalg.svdvals(t), (a,))


def test_grad_fn_names_as_torch():
    torch = torch_or_skip()

    def names(lib):
        a = lib.tensor(distinct_sv(2, (), 3, 4).tolist(), dtype=lib.float64, requires_grad=True)
        r = lib.linalg.svd(a)
        out = [r.U.grad_fn.name(), r.S.grad_fn.name(), lib.linalg.svdvals(a).grad_fn.name(),
               lib.svd(a).V.grad_fn.name(), lib.svd(a).S.grad_fn.name(), lib.linalg.pinv(a).grad_fn.name(),
               lib.linalg.cond(a).grad_fn.name(), lib.linalg.matrix_norm(a, 2).grad_fn.name(),
               lib.linalg.matrix_norm(a, "nuc").grad_fn.name(),
               lib.linalg.matrix_norm(a, "nuc").grad_fn.next_functions[0][0].next_functions[0][0].name(),
               lib.linalg.matrix_norm(a, -2, keepdim=True).grad_fn.name()]
        return out, r.U.grad_fn._saved_full_matrices, sorted(k for k in dir(lib.linalg.pinv(a).grad_fn) if k.startswith("_saved"))
    assert names(rustgrad) == names(torch)


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.svd(lib.ones(3)),
        lambda lib: lib.linalg.svd(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.svdvals(lib.ones(3)),
        lambda lib: lib.linalg.svdvals(lib.ones(2, 3, dtype=lib.int32)),
        lambda lib: lib.svd(lib.ones(3)),
        lambda lib: lib.svd(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.svd(lib.ones(3, 3), driver="gesvd"),
        lambda lib: lib.linalg.svd([[1.0]]),
        lambda lib: lib.linalg.pinv(lib.ones(3, dtype=lib.float64)),
        lambda lib: lib.linalg.pinv(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.pinv(lib.ones(3, 4), hermitian=True),
        lambda lib: lib.linalg.matrix_rank(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.matrix_rank(lib.ones(3)),
        lambda lib: lib.linalg.cond(lib.ones(3)),
        lambda lib: lib.linalg.cond(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.cond(lib.ones(3, 4), 1),
        lambda lib: lib.linalg.cond(lib.ones(3, 4), 1.0),
        lambda lib: lib.linalg.cond(lib.ones(3, 4), math.inf),
        lambda lib: lib.linalg.cond(lib.ones(3, 4), "fro"),
        lambda lib: lib.linalg.cond(lib.ones(3, 4), -math.inf),
        lambda lib: lib.linalg.cond(lib.ones(3, 3), 3),
        lambda lib: lib.linalg.cond(lib.ones(3, 3), 2.5),
        lambda lib: lib.linalg.cond(lib.ones(3, 3), "abc"),
        lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3, dtype=lib.int64), 2),
        lambda lib: lib.linalg.matrix_norm(lib.ones(3, 3), "nucc"),
    ],
)
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)
