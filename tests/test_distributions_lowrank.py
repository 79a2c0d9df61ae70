"""LowRankMultivariateNormal against torch (values, matrices, gradients, KL with MultivariateNormal,
errors) and sample moments with a fixed seed."""

import math

import numpy as np
import pytest

import rustgrad
from _helpers import check_grads, error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _build(lib, batched=False):
    T = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    W = [[1.0, 0.2], [-0.5, 0.7], [0.3, -1.1]]
    if batched:
        return lib.distributions.LowRankMultivariateNormal(T([[0.0, 1.0, -1.0], [0.5, 0.5, 0.5]]), T(W),
                                                           T([[0.5, 1.0, 2.0], [1.0, 0.1, 0.3]]))
    return lib.distributions.LowRankMultivariateNormal(T([0.0, 1.0, -1.0]), T(W), T([0.5, 1.0, 2.0]))


@pytest.mark.parametrize("batched", [False, True])
def test_values_and_matrices_match_torch(batched):
    torch = torch_or_skip()
    ours, theirs = _build(rustgrad, batched), _build(torch, batched)
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape) and tuple(ours.event_shape) == (3,)
    v = [[0.5, -0.2, 1.0], [2.0, 1.0, -3.0]]
    np.testing.assert_allclose(_np(ours.log_prob(rustgrad.tensor(v, dtype=rustgrad.float64).unsqueeze(-2))),
                               theirs.log_prob(torch.tensor(v, dtype=torch.float64).unsqueeze(-2)).numpy(), rtol=1e-11)
    for attr in ("mean", "variance", "scale_tril", "covariance_matrix", "precision_matrix", "mode"):
        np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-12)
    e = ours.expand((4,) + tuple(ours.batch_shape))
    assert tuple(e.sample((2,)).shape) == (2, 4) + tuple(ours.batch_shape) + (3,)
    np.testing.assert_allclose(_np(e.entropy()), theirs.expand((4,) + tuple(theirs.batch_shape)).entropy().numpy(),
                               rtol=1e-12)


def test_log_prob_and_kl_gradients_match_torch():
    torch = torch_or_skip()
    for builder in (
        lambda lib, w, d: lib.distributions.LowRankMultivariateNormal(w[:, 0], w, d.exp()).log_prob(
            lib.tensor([[0.1, 0.2, 0.3], [1.0, -1.0, 0.0]], dtype=lib.float64)),
        lambda lib, w, d: lib.distributions.kl_divergence(
            lib.distributions.LowRankMultivariateNormal(d, w, d.exp()),
            lib.distributions.LowRankMultivariateNormal(w[:, 1], w * 0.5, (d * 2).exp())),
        lambda lib, w, d: lib.distributions.kl_divergence(
            lib.distributions.LowRankMultivariateNormal(d, w, d.exp()),
            lib.distributions.MultivariateNormal(w[:, 1], scale_tril=lib.eye(3, dtype=lib.float64) * 2)),
        lambda lib, w, d: lib.distributions.kl_divergence(
            lib.distributions.MultivariateNormal(d, covariance_matrix=w @ w.mT + lib.eye(3, dtype=lib.float64)),
            lib.distributions.LowRankMultivariateNormal(w[:, 1], w, d.exp())),
    ):
        res = []
        for lib in (rustgrad, torch):
            w = lib.tensor([[1.0, 0.2], [-0.5, 0.7], [0.3, -1.1]], dtype=lib.float64, requires_grad=True)
            d = lib.tensor([0.1, -0.3, 0.5], dtype=lib.float64, requires_grad=True)
            out = builder(lib, w, d)
            out.sum().backward()
            res.append([np.array(out.tolist()), np.array(w.grad.tolist()), np.array(d.grad.tolist())])
        for x, y in zip(*res):
            np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


def test_rsample_gradients_and_moments():
    def f(loc, w):
        rustgrad.manual_seed(2)
        return rustgrad.distributions.LowRankMultivariateNormal(loc, w, loc.exp()).rsample((3,))

    check_grads(f, [0.1, -0.2, 0.3], [[1.0, 0.2], [-0.5, 0.7], [0.3, -1.1]])
    rustgrad.manual_seed(0)
    N = 40000
    d = _build(rustgrad)
    s = _np(d.sample((N,)))
    np.testing.assert_allclose(s.mean(0), _np(d.mean), atol=6 * math.sqrt(_np(d.variance).max() / N))
    np.testing.assert_allclose(np.cov(s.T), _np(d.covariance_matrix), atol=0.08)


ERRORS = [
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.tensor(0.0), lib.ones(1, 1), lib.ones(1)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2), lib.ones(2)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(2), lib.ones(3, 1), lib.ones(2)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2, 1), lib.ones(3)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(3, 2), lib.ones(4, 2, 1), lib.ones(2)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2, 1), -lib.ones(2)),
    lambda lib: lib.distributions.kl_divergence(
        lib.distributions.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2, 1), lib.ones(2)),
        lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3))),
    lambda lib: lib.distributions.kl_divergence(
        lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2)),
        lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3))),
    lambda lib: lib.distributions.kl_divergence(
        lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3)),
        lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2))),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, ERRORS[i])
    assert theirs is not None
    ours = error_of(rustgrad, ERRORS[i])
    assert (ours[0].__name__, ours[1]) == (theirs[0].__name__, theirs[1])  # the libraries' own LinAlgError
