"""rustgrad.linalg.qr and the old rustgrad.qr / Tensor.qr: Q and R against PyTorch's (same
Householder sign convention as LAPACK) and numpy's, on hypothesis-drawn batches; gradients by finite
differences and against PyTorch; grad_fn names, saved mode and PyTorch's errors (torch 2.13)."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from rustgrad import linalg
from _helpers import assert_same_error_as_torch, check_against_torch, check_grads, torch_or_skip

EXAMPLES = settings(max_examples=15, deadline=None)
batch_shapes = st.sampled_from([(), (1,), (3,), (2, 2)])
dims = st.integers(1, 5)
seeds = st.integers(0, 2**16)
dtypes = st.sampled_from(["float32", "float64"])
modes = st.sampled_from(["reduced", "complete", "r"])
TOL = {"float32": dict(rtol=1e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-11)}


def arr(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


@EXAMPLES
@given(seeds, batch_shapes, dims, dims, dtypes, modes)
def test_qr_matches_torch_and_numpy(seed, batch, m, n, dtype, mode):
    torch = torch_or_skip()
    a = np.random.default_rng(seed).standard_normal(batch + (m, n))
    Q, R = linalg.qr(rustgrad.tensor(a.tolist(), dtype=getattr(rustgrad, dtype)), mode)
    tq, tr = torch.linalg.qr(torch.tensor(a, dtype=getattr(torch, dtype)), mode)
    assert tuple(Q.shape) == tuple(tq.shape) and tuple(R.shape) == tuple(tr.shape)
    assert str(R.dtype) == f"rustgrad.{dtype}"
    np.testing.assert_allclose(arr(R), tr.double().numpy(), **TOL[dtype])
    if mode != "r":
        np.testing.assert_allclose(arr(Q), tq.double().numpy(), **TOL[dtype])
        np.testing.assert_allclose(arr(Q) @ arr(R), a, **TOL[dtype])
    np.testing.assert_allclose(np.abs(arr(R)), np.abs(np.linalg.qr(a, "r") if mode == "r" else np.linalg.qr(a, mode)[1]), **TOL[dtype])


def test_return_types_empty_and_old_qr():
    torch = torch_or_skip()
    r = linalg.qr(rustgrad.eye(2))
    assert type(r).__name__ == "linalg_qr" and r.Q is r[0] and r.R is r[1]
    for shape, mode in [((0, 3), "reduced"), ((3, 0), "complete"), ((2, 0, 2), "r")]:
        ours, theirs = linalg.qr(rustgrad.zeros(*shape), mode), torch.linalg.qr(torch.zeros(*shape), mode)
        for o, t in zip(ours, theirs):
            assert tuple(o.shape) == tuple(t.shape)
            np.testing.assert_array_equal(o.numpy(), t.numpy())
    a = np.random.default_rng(1).standard_normal((4, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for some in (True, False):
            ours = rustgrad.qr(rustgrad.tensor(a.tolist(), dtype=rustgrad.float64), some)
            theirs = torch.qr(torch.tensor(a), some)
            assert type(ours).__name__ == "qr"
            np.testing.assert_allclose(arr(ours.Q), theirs.Q.numpy(), atol=1e-12)
            np.testing.assert_allclose(arr(rustgrad.tensor(a.tolist()).qr().R), torch.tensor(a).float().qr().R.numpy(), atol=1e-5)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 4), (2, 3, 2), (2, 2, 3)])
def test_gradients(shape):
    a = np.random.default_rng(sum(shape)).standard_normal(shape)
    check_grads(lambda t: linalg.qr(t).Q, a)
    check_grads(lambda t: linalg.qr(t).R, a)
    check_against_torch(lambda lib, t: lib.linalg.qr(t).Q, a)
    check_against_torch(lambda lib, t: lib.linalg.qr(t).R, a)
    if shape[-2] <= shape[-1]:
        check_against_torch(lambda lib, t: lib.linalg.qr(t, "complete").Q, a)


def test_grad_fn_and_backward_errors_as_torch():
    torch = torch_or_skip()

    def info(lib):
        a = lib.tensor([[1.0, 2.0, 0.5], [3.0, 4.0, 1.0]], dtype=lib.float64, requires_grad=True)
        q, r = lib.linalg.qr(a)
        return q.grad_fn.name(), r.grad_fn.name(), q.grad_fn._saved_mode, tuple(q.grad_fn._saved_Q.shape)
    assert info(rustgrad) == info(torch)
    assert_same_error_as_torch(lambda lib: lib.linalg.qr(lib.ones(2, 2, requires_grad=True), "r").R.sum().backward())
    assert_same_error_as_torch(lambda lib: lib.linalg.qr(lib.ones(3, 2, requires_grad=True), "complete").Q.sum().backward())


@pytest.mark.parametrize(
    "call",
    [
        lambda lib: lib.linalg.qr(lib.ones(3)),
        lambda lib: lib.linalg.qr(lib.ones(3, 3, dtype=lib.int64)),
        lambda lib: lib.linalg.qr(lib.ones(3, 3), mode="x"),
        lambda lib: lib.linalg.qr(lib.ones(3), mode="x"),
        lambda lib: lib.linalg.qr(lib.ones(3, 3, dtype=lib.int64), mode="x"),
        lambda lib: lib.linalg.qr([[1.0]]),
        lambda lib: lib.qr(lib.ones(3)),
    ],
)
def test_errors_match_torch(call):
    assert_same_error_as_torch(call)


def test_orthogonal_init_uses_linalg_qr():
    w = rustgrad.empty(5, 3)
    rustgrad.manual_seed(0)
    rustgrad.nn.init.orthogonal_(w, gain=2.0)
    np.testing.assert_allclose(arr(w).T @ arr(w), 4 * np.eye(3), atol=1e-5)
