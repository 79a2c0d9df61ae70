"""Wishart and LKJCholesky against torch (values, matrices, reprs, errors, warnings), sample
moments with a fixed seed, and the Wishart rsample gradient in expectation."""

import math
import warnings

import numpy as np
import pytest

import rustgrad
from _helpers import error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


COV = [[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]]


def _dists(lib):
    D = lib.distributions
    T = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return {
        "wishart_cov": lambda: D.Wishart(T(5.0), covariance_matrix=T(COV)),
        "wishart_prec_batched": lambda: D.Wishart(T([4.0, 7.5]), precision_matrix=T(COV)),
        "wishart_tril_number": lambda: D.Wishart(6.0, scale_tril=T([[1.0, 0.0], [0.5, 2.0]])),
        "lkj": lambda: D.LKJCholesky(3, T([0.5, 1.0, 4.0])),
        "lkj_scalar": lambda: D.LKJCholesky(4, 2.0),
    }


VALUES = {
    "wishart_cov": [[[3.0, 0.5, 0.0], [0.5, 2.0, 0.2], [0.0, 0.2, 1.0]]],
    "wishart_prec_batched": [[[3.0, 0.5, 0.0], [0.5, 2.0, 0.2], [0.0, 0.2, 1.0]]],
    "wishart_tril_number": [[[2.0, 0.3], [0.3, 5.0]], [[[1.0, 0.0], [0.0, 1.0]], [[4.0, -1.0], [-1.0, 2.0]]]],
    "lkj": [[[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]],
    "lkj_scalar": [[[1.0, 0.0, 0.0, 0.0], [0.6, 0.8, 0.0, 0.0], [0.0, 0.6, 0.8, 0.0], [0.5, 0.5, 0.5, 0.5]]],
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_and_reprs_match_torch(name):
    torch = torch_or_skip()
    ours, theirs = _dists(rustgrad)[name](), _dists(torch)[name]()
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours.support) == repr(theirs.support) and ours.has_rsample == theirs.has_rsample
    for v in VALUES[name]:
        np.testing.assert_allclose(_np(ours.log_prob(rustgrad.tensor(v, dtype=rustgrad.float64))),
                                   theirs.log_prob(torch.tensor(v, dtype=torch.float64)).numpy(), rtol=1e-10)
    if name.startswith("wishart"):
        np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().numpy(), rtol=1e-10)
        np.testing.assert_allclose(_np(rustgrad.distributions.ExponentialFamily.entropy(ours)),
                                   torch.distributions.ExponentialFamily.entropy(theirs).detach().numpy(), rtol=1e-9)
        for attr in ("mean", "mode", "variance", "scale_tril", "covariance_matrix", "precision_matrix"):
            np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).numpy(), rtol=1e-10,
                                       atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e_o, e_t = ours.expand((2,) + tuple(ours.batch_shape)), theirs.expand((2,) + tuple(theirs.batch_shape))
        assert tuple(e_o.batch_shape) == tuple(e_t.batch_shape) and type(e_o) is type(ours)
        s = e_o.sample((3,))
        assert tuple(s.shape) == tuple(e_t.sample((3,)).shape)
    assert bool(ours.support.check(s).all())
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")


def test_log_prob_and_entropy_gradients_match_torch():
    torch = torch_or_skip()
    res = []
    for lib in (rustgrad, torch):
        df = lib.tensor([4.0, 6.5], dtype=lib.float64, requires_grad=True)
        a = lib.tensor(COV, dtype=lib.float64, requires_grad=True)
        eta = lib.tensor([0.7, 3.0], dtype=lib.float64, requires_grad=True)
        w = lib.distributions.Wishart(df, covariance_matrix=(a + a.mT) / 2)
        v = lib.tensor([[3.0, 0.5, 0.0], [0.5, 2.0, 0.2], [0.0, 0.2, 1.0]], dtype=lib.float64)
        lkj = lib.distributions.LKJCholesky(3, eta)
        lv = lib.tensor([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.6, 0.8]], dtype=lib.float64)
        out = w.log_prob(v).sum() + w.entropy().sum() + lkj.log_prob(lv).sum()
        out.backward()
        res.append([out.item()] + [np.array(t.grad.tolist()) for t in (df, a, eta)])
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


ERRORS = [
    lambda lib: lib.distributions.Wishart(5.0),
    lambda lib: lib.distributions.Wishart(5.0, lib.eye(2), scale_tril=lib.eye(2)),
    lambda lib: lib.distributions.Wishart(5.0, lib.ones(2)),
    lambda lib: lib.distributions.Wishart(1.0, lib.eye(3)),
    lambda lib: lib.distributions.Wishart(lib.tensor([5.0, 0.5]), lib.eye(2)),
    lambda lib: lib.distributions.Wishart(5.0, lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib: lib.distributions.Wishart(5.0, lib.eye(2)).log_prob(lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib: lib.distributions.LKJCholesky(1),
    lambda lib: lib.distributions.LKJCholesky(3, -1.0),
    lambda lib: lib.distributions.LKJCholesky(2).log_prob(lib.tensor([[1.0, 0.0], [0.6, 0.6]])),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, ERRORS[i])
    assert theirs is not None
    assert error_of(rustgrad, ERRORS[i]) == theirs


def test_warnings_match_torch():
    torch = torch_or_skip()
    for lib in (rustgrad, torch):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            d = lib.distributions.Wishart(lib.tensor(2.5), lib.eye(3))
            d.rsample()
        assert [str(w.message) for w in rec] == [
            "Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < ndim.",
            "Singular sample detected."]


def test_sample_moments_and_rsample_gradient_in_expectation():
    rustgrad.manual_seed(0)
    N = 20000
    D = rustgrad.distributions
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = rustgrad.tensor(6.0, dtype=rustgrad.float64, requires_grad=True)
        w = D.Wishart(df, covariance_matrix=rustgrad.tensor(COV, dtype=rustgrad.float64))
        s = w.rsample((N,))
    sn = _np(s)
    cov = np.array(COV)
    sd = np.sqrt(_np(w.variance))
    np.testing.assert_allclose(sn.mean(0), 6.0 * cov, atol=(6 * sd / math.sqrt(N)).max())
    np.testing.assert_allclose(sn.var(0), _np(w.variance), rtol=0.1)
    s.mean(0).sum().backward()  # d E[X] / d df = covariance
    np.testing.assert_allclose(df.grad.item(), cov.sum(), rtol=0.05)
    for eta, dim in ((0.5, 3), (2.0, 4)):
        L = _np(D.LKJCholesky(dim, eta).sample((N,)))
        C = L @ np.swapaxes(L, -1, -2)
        np.testing.assert_allclose(np.diagonal(C, axis1=-2, axis2=-1), 1.0, atol=1e-6)  # float32 draws
        off = C[:, np.tril_indices(dim, -1)[0], np.tril_indices(dim, -1)[1]]
        np.testing.assert_allclose(off.mean(0), 0.0, atol=0.03)
        # C_10 has the LKJ marginal: a symmetric Beta on (-1, 1) with variance 1 / (2 eta + D - 1).
        # (PyTorch's onion sampler draws later rows' radii from Beta(i - 1/2, .) rather than
        # Beta(i/2, .), so their marginals are wider; the same construction is kept here.)
        np.testing.assert_allclose(off[:, 0].var(), 1 / (2 * eta + dim - 1), rtol=0.06)


def test_lkj_samples_follow_torchs_construction():
    torch = torch_or_skip()
    rustgrad.manual_seed(1)
    torch.manual_seed(1)
    N = 20000
    ours = _np(rustgrad.distributions.LKJCholesky(4, 1.5).sample((N,)))
    theirs = torch.distributions.LKJCholesky(4, torch.tensor(1.5, dtype=torch.float64)).sample((N,)).numpy()
    for a in (ours, theirs):
        assert np.all(np.triu(a, 1) == 0)
    # the same law: per-entry second moments agree within sampling error
    np.testing.assert_allclose((ours ** 2).mean(0), (theirs ** 2).mean(0), atol=0.015)
