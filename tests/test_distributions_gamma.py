"""Gamma, Chi2, Beta, Dirichlet and StudentT against torch.distributions (values, reprs, shapes,
errors), the Marsaglia-Tsang sampler's moments with a fixed seed, and the implicit
reparameterisation gradients against ATen's ``_standard_gamma_grad`` / ``_dirichlet_grad``, against
``-dF/dalpha / f`` computed with mpmath, and in expectation."""

import math

import numpy as np
import pytest

import rustgrad
from _helpers import error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _dists(lib):
    D = lib.distributions
    T = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return {
        "gamma": lambda: D.Gamma(T([0.5, 1.0, 3.0, 12.0]), T([1.0, 2.0, 0.5, 3.0])),
        "gamma_scalar": lambda: D.Gamma(2.0, 3.0),
        "chi2": lambda: D.Chi2(T([1.0, 3.0, 10.0])),
        "beta": lambda: D.Beta(T([0.5, 2.0, 5.0]), T([0.5, 3.0, 1.0])),
        "beta_scalar": lambda: D.Beta(2.0, 3.0),
        "dirichlet": lambda: D.Dirichlet(T([[0.5, 1.0, 2.0], [3.0, 0.7, 0.2]])),
        "dirichlet_small": lambda: D.Dirichlet(T([[0.5, 0.3, 0.2], [3.0, 2.0, 4.0]])),
        "student_t": lambda: D.StudentT(T([0.5, 1.5, 3.0, 10.0]), T([0.0, 1.0, -1.0, 2.0]), T([1.0, 0.5, 2.0, 3.0])),
        "student_t_scalar": lambda: D.StudentT(4.0),
    }


VALUES = {
    "gamma": [[0.1, 1.0, 2.0, 4.0], [3.0, 0.5, 10.0, 0.01]],
    "gamma_scalar": [0.5, 1.0, 3.0],
    "chi2": [[0.1, 1.0, 12.0], [3.0, 0.5, 5.0]],
    "beta": [[0.1, 0.5, 0.9], [0.3, 0.01, 0.99]],
    "beta_scalar": [0.25, 0.5],
    "dirichlet": [[0.2, 0.3, 0.5], [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]],
    "dirichlet_small": [[0.2, 0.3, 0.5]],
    "student_t": [[0.0, 1.0, -3.0, 2.0], [5.0, -1.0, 0.5, 10.0]],
    "student_t_scalar": [0.0, 1.5, -7.0],
}
CDF = {"gamma", "gamma_scalar", "chi2"}


def _close(ours, theirs, rtol=1e-12, atol=1e-12):
    if theirs.dtype != np.float64 and str(theirs.dtype) != "torch.float64":  # scalar parameters: float32
        rtol, atol = max(rtol, 1e-6), max(atol, 1e-6)
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_reprs_and_shapes_match_torch(name):
    torch = torch_or_skip()
    ours, theirs = _dists(rustgrad)[name](), _dists(torch)[name]()
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert repr(ours.support) == repr(theirs.support)
    assert {k: repr(v) for k, v in ours.arg_constraints.items()} == {
        k: repr(v) for k, v in theirs.arg_constraints.items()}
    for v in VALUES[name]:
        ov, tv = rustgrad.tensor(v, dtype=rustgrad.float64), torch.tensor(v, dtype=torch.float64)
        _close(ours.log_prob(ov), theirs.log_prob(tv), rtol=1e-11)
        if name in CDF:
            _close(ours.cdf(ov), theirs.cdf(tv), rtol=1e-9, atol=1e-13)
    _close(ours.entropy(), theirs.entropy(), rtol=1e-11)
    for attr in ("mean", "variance", "stddev", "mode"):
        _close(getattr(ours, attr), getattr(theirs, attr))
    if isinstance(theirs, torch.distributions.ExponentialFamily):
        # the entropy through autograd of the log normaliser agrees with torch's (or fails as it does)
        try:
            te = torch.distributions.ExponentialFamily.entropy(theirs)
        except NotImplementedError:
            with pytest.raises(NotImplementedError):
                rustgrad.distributions.ExponentialFamily.entropy(ours)
        else:
            _close(rustgrad.distributions.ExponentialFamily.entropy(ours), te, rtol=1e-10)
    oe, te = ours.expand((2,) + tuple(ours.batch_shape)), theirs.expand((2,) + tuple(theirs.batch_shape))
    assert type(oe) is type(ours) and tuple(oe.batch_shape) == tuple(te.batch_shape)
    assert tuple(oe.sample((3,)).shape) == tuple(te.sample((3,)).shape)
    _close(oe.mean, te.mean)


ERRORS = [
    lambda lib: lib.distributions.Gamma(0.0, 1.0),
    lambda lib: lib.distributions.Gamma(1.0, lib.tensor([1.0, -1.0])),
    lambda lib: lib.distributions.Gamma(1.0, 1.0).log_prob(lib.tensor(-1.0)),
    lambda lib: lib.distributions.Chi2(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Beta(0.0, 1.0),
    lambda lib: lib.distributions.Beta(1.0, 1.0).log_prob(lib.tensor(1.5)),
    lambda lib: lib.distributions.Dirichlet(lib.tensor(1.0)),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, -1.0])),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, 1.0])).log_prob(lib.tensor([0.5, 0.6])),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, 1.0])).log_prob(lib.tensor([0.5, 0.2, 0.3])),
    lambda lib: lib.distributions.StudentT(0.0),
    lambda lib: lib.distributions.StudentT(1.0, 0.0, -1.0),
    lambda lib: lib.distributions.Gamma(lib.tensor(2.0, requires_grad=True), 1.0).cdf(lib.tensor(1.0)).backward(),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, ERRORS[i])
    assert theirs is not None
    assert error_of(rustgrad, ERRORS[i]) == theirs


def test_sample_moments_with_fixed_seed():
    rustgrad.manual_seed(0)
    N = 40000
    se = 1 / math.sqrt(N)
    D = rustgrad.distributions
    T = lambda v: rustgrad.tensor(v, dtype=rustgrad.float64)  # noqa: E731

    def check(dist, k=6):
        s = _np(dist.sample((N,)))
        assert s.shape == (N,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
        var = _np(dist.variance)
        np.testing.assert_allclose(s.mean(0), _np(dist.mean), atol=k * se * np.sqrt(var).max())
        np.testing.assert_allclose(s.var(0), var, rtol=k * se * 5)
        return s

    s = check(D.Gamma(T([0.05, 0.5, 1.0, 3.0, 40.0]), T([1.0, 2.0, 1.0, 0.5, 4.0])))
    assert s.min() > 0
    check(D.Chi2(T([1.0, 7.0])))
    s = check(D.Beta(T([0.5, 2.0, 30.0]), T([0.5, 5.0, 10.0])))
    assert s.min() > 0 and s.max() < 1
    s = check(D.Dirichlet(T([[0.3, 1.0, 2.0], [5.0, 5.0, 0.5]])))
    np.testing.assert_allclose(s.sum(-1), 1.0, atol=1e-12)
    check(D.StudentT(T([6.0, 12.0]), T([1.0, -1.0]), T([2.0, 0.5])), k=10)
    assert D.Gamma(rustgrad.ones(3), 1.0).sample().dtype == rustgrad.float32
    assert D.Dirichlet(rustgrad.ones(2, 3)).sample((4,)).shape == (4, 2, 3)


def test_gamma_rsample_gradient_is_atens_implicit_gradient():
    torch = torch_or_skip()
    rustgrad.manual_seed(3)
    conc = rustgrad.tensor([0.3, 1.0, 2.5, 9.0, 30.0], dtype=rustgrad.float64, requires_grad=True)
    rate = rustgrad.tensor([1.0, 2.0, 0.5, 1.5, 3.0], dtype=rustgrad.float64, requires_grad=True)
    x = rustgrad.distributions.Gamma(conc, rate).rsample((50,))
    assert type(x.grad_fn).__name__ == "DivBackward0"
    x.sum().backward()
    xs = torch.tensor(x.tolist(), dtype=torch.float64)
    a = torch.tensor(conc.tolist(), dtype=torch.float64)
    r = torch.tensor(rate.tolist(), dtype=torch.float64)
    std = xs * r  # the standard-gamma draws
    # x = X / rate: dx/da = dX/da / rate, dx/drate = -X / rate^2
    expected_a = (torch._standard_gamma_grad(a.expand_as(std), std) / r).sum(0)
    expected_r = (-std / r ** 2).sum(0)
    np.testing.assert_allclose(_np(conc.grad), expected_a.numpy(), rtol=1e-12)
    np.testing.assert_allclose(_np(rate.grad), expected_r.numpy(), rtol=1e-12)


def test_standard_gamma_grad_regimes_match_aten_and_mpmath():
    torch = torch_or_skip()
    mpmath = pytest.importorskip("mpmath")
    from rustgrad.distributions._gamma_grad import standard_gamma_grad

    alpha = np.array([0.1, 0.5, 2.0, 5.0, 9.0, 20.0, 20.0, 20.0, 100.0, 3.0])
    x = np.array([0.05, 0.7, 0.3, 4.0, 9.5, 19.5, 10.0, 35.0, 80.0, 7.0])
    ours = _np(standard_gamma_grad(rustgrad.tensor(alpha, dtype=rustgrad.float64),
                                   rustgrad.tensor(x, dtype=rustgrad.float64)))
    aten = torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, aten, rtol=1e-12)
    # implicit differentiation: dx/da = -(dP/da)(a, x) / p(x; a)
    exact = []
    for a, xi in zip(alpha, x):
        dP = mpmath.diff(lambda t: mpmath.gammainc(t, 0, xi, regularized=True), a)
        pdf = mpmath.exp((a - 1) * mpmath.log(xi) - xi - mpmath.loggamma(a))
        exact.append(float(-dP / pdf))
    np.testing.assert_allclose(ours, exact, rtol=5e-3)


def test_dirichlet_and_beta_rsample_gradients_are_atens():
    torch = torch_or_skip()
    from rustgrad.distributions._gamma_grad import dirichlet_grad

    rustgrad.manual_seed(5)
    conc = rustgrad.tensor([[0.5, 1.0, 2.0], [8.0, 7.0, 0.3]], dtype=rustgrad.float64, requires_grad=True)
    x = rustgrad.distributions.Dirichlet(conc).rsample((20,))
    assert type(x.grad_fn).__name__ == "_DirichletBackward"
    w = rustgrad.tensor(np.linspace(-1, 2, 3).tolist(), dtype=rustgrad.float64)
    (x * w).sum().backward()
    xs = torch.tensor(x.tolist(), dtype=torch.float64)
    c = torch.tensor(conc.tolist(), dtype=torch.float64).expand_as(xs)
    total = c.sum(-1, True).expand_as(c)
    g = torch._dirichlet_grad(xs, c, total)
    tw = torch.tensor(w.tolist(), dtype=torch.float64).expand_as(xs)
    expected = (g * (tw - (xs * tw).sum(-1, True))).sum(0)
    np.testing.assert_allclose(_np(conc.grad), expected.numpy(), rtol=1e-10, atol=1e-12)
    # the elementwise regimes agree with ATen
    xx = torch.tensor([0.3, 0.5, 0.36, 0.9, 0.99, 0.1, 0.02, 0.7], dtype=torch.float64)
    al = torch.tensor([0.5, 2.0, 7.0, 10.0, 1.0, 3.0, 0.2, 4.0], dtype=torch.float64)
    tot = torch.tensor([1.0, 5.0, 20.0, 12.0, 1.5, 30.0, 0.9, 5.0], dtype=torch.float64)
    ours = dirichlet_grad(*(rustgrad.tensor(t.tolist(), dtype=rustgrad.float64) for t in (xx, al, tot)))
    np.testing.assert_allclose(_np(ours), torch._dirichlet_grad(xx, al, tot).numpy(), rtol=1e-12)


def test_reparameterised_gradients_match_mean_derivatives_in_expectation():
    rustgrad.manual_seed(9)
    N = 40000
    D = rustgrad.distributions
    a = rustgrad.tensor([0.4, 2.0, 15.0], dtype=rustgrad.float64, requires_grad=True)
    D.Gamma(a, 1.0).rsample((N,)).mean(0).sum().backward()
    np.testing.assert_allclose(_np(a.grad), 1.0, atol=0.05)  # d E[x] / da = 1 / rate
    a1 = rustgrad.tensor([0.5, 2.0, 6.0], dtype=rustgrad.float64, requires_grad=True)
    b1 = rustgrad.tensor([1.5, 2.0, 9.0], dtype=rustgrad.float64, requires_grad=True)
    D.Beta(a1, b1).rsample((N,)).mean(0).sum().backward()
    A, B = np.array([0.5, 2.0, 6.0]), np.array([1.5, 2.0, 9.0])
    np.testing.assert_allclose(_np(a1.grad), B / (A + B) ** 2, atol=0.02)  # d/da a/(a+b)
    np.testing.assert_allclose(_np(b1.grad), -A / (A + B) ** 2, atol=0.02)


def test_log_prob_entropy_and_cdf_gradients_match_torch():
    torch = torch_or_skip()
    for builder in (
        lambda lib, a, b: lib.distributions.Gamma(a.exp(), b.exp()).log_prob(lib.tensor([0.5, 3.0], dtype=lib.float64)),
        lambda lib, a, b: lib.distributions.Gamma(a.exp(), b.exp()).entropy(),
        lambda lib, a, b: lib.distributions.Gamma(2.0, b.exp()).cdf(lib.tensor([0.5, 3.0], dtype=lib.float64)),
        lambda lib, a, b: lib.distributions.Beta(a.exp(), b.exp()).log_prob(lib.tensor([0.25, 0.9], dtype=lib.float64)),
        lambda lib, a, b: lib.distributions.Beta(a.exp(), b.exp()).entropy(),
        lambda lib, a, b: lib.distributions.Dirichlet(lib.stack([a, b], -1).exp()).entropy(),
        lambda lib, a, b: lib.distributions.StudentT(a.exp(), b, 2.0).log_prob(lib.tensor([0.5, -3.0],
                                                                                           dtype=lib.float64)),
        lambda lib, a, b: lib.distributions.StudentT(a.exp(), b, b.exp()).entropy(),
        lambda lib, a, b: lib.distributions.Chi2(a.exp()).log_prob(lib.tensor([0.5, 3.0], dtype=lib.float64)),
    ):
        res = []
        for lib in (rustgrad, torch):
            a = lib.tensor([0.2, -0.7], dtype=lib.float64, requires_grad=True)
            b = lib.tensor([0.5, 0.1], dtype=lib.float64, requires_grad=True)
            out = builder(lib, a, b)
            out.sum().backward()
            res.append([np.array(out.tolist())] + [np.zeros(2) if t.grad is None else np.array(t.grad.tolist())
                                                   for t in (a, b)])
        for x, y in zip(*res):
            np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-12)


def test_log_prob_gradients_at_concentration_one_match_torch():
    # (concentration - 1) * log x at concentration == 1: d/dconcentration is log x, not 0
    torch = torch_or_skip()
    res = []
    for lib in (rustgrad, torch):
        c = lib.tensor([1.0, 1.0, 2.0], dtype=lib.float64, requires_grad=True)
        v = lib.tensor([0.25, 0.5, 0.25], dtype=lib.float64)
        out = (lib.distributions.Gamma(c, 2.0).log_prob(v * 4).sum() + lib.distributions.Dirichlet(c).log_prob(v)
               + lib.distributions.Beta(c[:2], c[1:]).log_prob(v[:2]).sum()
               + lib.distributions.Poisson(c).log_prob(lib.tensor([0.0, 1.0, 3.0], dtype=lib.float64)).sum())
        (g,) = lib.autograd.grad(out, c, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), c)
        res.append([out.item(), np.array(g.tolist()), np.array(gg.tolist())])
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
