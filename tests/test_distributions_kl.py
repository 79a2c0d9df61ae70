"""kl_divergence for the newer distribution pairs against torch.distributions.kl_divergence
(values and gradients), the Bregman fallback for exponential families, and dispatch errors."""

import numpy as np
import pytest

import rustgrad
from _helpers import error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _builders(lib, a, b):
    """Distributions with parameters derived from the float64 tensors ``a``, ``b`` (shape (3,))."""
    D = lib.distributions
    T = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    pos_a, pos_b = a.exp(), b.exp()
    unit = a.sigmoid()
    return {
        "normal": lambda: D.Normal(a, pos_b),
        "normal2": lambda: D.Normal(b, pos_a),
        "exponential": lambda: D.Exponential(pos_a),
        "exponential2": lambda: D.Exponential(pos_b),
        "gamma": lambda: D.Gamma(pos_a, pos_b),
        "gamma2": lambda: D.Gamma(pos_b + 0.5, pos_a),
        "beta": lambda: D.Beta(pos_a, pos_b),
        "beta2": lambda: D.Beta(pos_b, pos_a + 1),
        "laplace": lambda: D.Laplace(a, pos_b),
        "laplace2": lambda: D.Laplace(b, pos_a),
        "gumbel": lambda: D.Gumbel(a, pos_b),
        "gumbel2": lambda: D.Gumbel(b, pos_a),
        "cauchy": lambda: D.Cauchy(a, pos_b),
        "cauchy2": lambda: D.Cauchy(b, pos_a),
        "half_normal": lambda: D.HalfNormal(pos_a),
        "half_normal2": lambda: D.HalfNormal(pos_b),
        "poisson": lambda: D.Poisson(pos_a),
        "poisson2": lambda: D.Poisson(pos_b),
        "geometric": lambda: D.Geometric(unit),
        "geometric2": lambda: D.Geometric(logits=b),
        "bernoulli": lambda: D.Bernoulli(unit),
        "bernoulli2": lambda: D.Bernoulli(logits=b),
        "binomial": lambda: D.Binomial(5, unit),
        "binomial2": lambda: D.Binomial(T([5.0, 5.0, 3.0]), logits=b),
        "dirichlet": lambda: D.Dirichlet(lib.stack([pos_a, pos_b], -1)),
        "dirichlet2": lambda: D.Dirichlet(lib.stack([pos_b, pos_a + 0.3], -1)),
        "one_hot": lambda: D.OneHotCategorical(logits=lib.stack([a, b], -1)),
        "one_hot2": lambda: D.OneHotCategorical(logits=lib.stack([b, a * 2], -1)),
        "uniform": lambda: D.Uniform(unit * 0.5, unit * 0.5 + 0.25),
        "uniform_wide": lambda: D.Uniform(a - 5, b + 5),
        "log_normal": lambda: D.LogNormal(a, pos_b),
        "log_normal2": lambda: D.LogNormal(b, pos_a),
        "continuous_bernoulli": lambda: D.ContinuousBernoulli(unit),
        "continuous_bernoulli2": lambda: D.ContinuousBernoulli(logits=b),
        "uniform_inner": lambda: D.Uniform(unit * 0.5 - 0.1, unit * 0.5 + 0.25),
        "pareto": lambda: D.Pareto(pos_a, pos_b * 3),
        "pareto2": lambda: D.Pareto(pos_b * 0.5, pos_a),
        "pareto_heavy": lambda: D.Pareto(pos_a, T([0.5, 1.5, 2.5])),
    }


PAIRS = [
    ("exponential", "exponential2"), ("gamma", "gamma2"), ("beta", "beta2"), ("laplace", "laplace2"),
    ("gumbel", "gumbel2"), ("cauchy", "cauchy2"), ("half_normal", "half_normal2"), ("poisson", "poisson2"),
    ("geometric", "geometric2"), ("binomial", "binomial2"), ("dirichlet", "dirichlet2"), ("one_hot", "one_hot2"),
    ("log_normal", "log_normal2"),
    ("bernoulli", "poisson"), ("beta", "exponential"), ("beta", "gamma"), ("beta", "normal"),
    ("beta", "uniform_wide"), ("exponential", "beta"), ("exponential", "uniform"), ("exponential", "gamma"),
    ("exponential", "gumbel"), ("exponential", "normal"), ("gamma", "beta"), ("gamma", "uniform"),
    ("gamma", "exponential"), ("gamma", "gumbel"), ("gamma", "normal"), ("gumbel", "beta"), ("gumbel", "exponential"),
    ("gumbel", "gamma"), ("gumbel", "uniform"), ("gumbel", "normal"), ("laplace", "beta"), ("laplace", "exponential"),
    ("laplace", "gamma"), ("laplace", "uniform"), ("laplace", "normal"), ("normal", "beta"),
    ("normal", "exponential"), ("normal", "gamma"), ("normal", "gumbel"), ("normal", "laplace"),
    ("poisson", "bernoulli"), ("poisson", "binomial"), ("uniform", "beta"), ("uniform", "exponential"),
    ("uniform", "gamma"), ("uniform", "gumbel"), ("uniform_wide", "beta"), ("uniform_wide", "gamma"),
    ("pareto", "pareto2"), ("pareto2", "pareto"), ("pareto", "beta"), ("pareto", "uniform"), ("pareto", "exponential"),
    ("pareto_heavy", "exponential"), ("pareto", "gamma"), ("pareto_heavy", "gamma"), ("pareto", "normal"),
    ("pareto_heavy", "normal"), ("uniform", "pareto"), ("uniform_wide", "pareto"), ("beta", "pareto"),
    ("exponential", "pareto"), ("gamma", "pareto"), ("gumbel", "pareto"), ("laplace", "pareto"), ("normal", "pareto"),
    ("continuous_bernoulli", "continuous_bernoulli2"), ("beta", "continuous_bernoulli"),
    ("continuous_bernoulli", "pareto"), ("continuous_bernoulli", "exponential"), ("continuous_bernoulli", "normal"),
    ("continuous_bernoulli", "uniform_wide"), ("continuous_bernoulli", "uniform"), ("uniform", "continuous_bernoulli"),
    ("uniform_inner", "continuous_bernoulli"), ("exponential", "continuous_bernoulli"),
    ("gamma", "continuous_bernoulli"), ("gumbel", "continuous_bernoulli"), ("laplace", "continuous_bernoulli"),
    ("normal", "continuous_bernoulli"), ("pareto", "continuous_bernoulli"),
]


@pytest.mark.parametrize("p,q", PAIRS)
def test_kl_values_and_gradients_match_torch(p, q):
    torch = torch_or_skip()
    res = []
    for lib in (rustgrad, torch):
        a = lib.tensor([0.3, -0.6, 1.1], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([-0.2, 0.4, 0.9], dtype=lib.float64, requires_grad=True)
        bs = _builders(lib, a, b)
        kl = lib.distributions.kl_divergence(bs[p](), bs[q]())
        finite = lib.isfinite(kl)
        if kl.requires_grad and bool(finite.any()):
            kl[finite].sum().backward()
        res.append([np.array(kl.detach().tolist())] + [np.zeros(3) if t.grad is None else np.array(t.grad.tolist())
                                                        for t in (a, b)])
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["exponential", "gamma", "beta", "poisson", "dirichlet", "normal", "bernoulli",
                                  "continuous_bernoulli"])
def test_bregman_kl_of_exponential_families_matches_closed_form_and_torch(name):
    torch = torch_or_skip()
    res = []
    for lib in (rustgrad, torch):
        a = lib.tensor([0.3, -0.6, 1.1], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([-0.2, 0.4, 0.9], dtype=lib.float64, requires_grad=True)
        bs = _builders(lib, a, b)
        p, q = bs[name](), bs[name + "2"]()
        bregman = lib.distributions.kl._kl_expfamily_expfamily(p, q)
        closed = lib.distributions.kl_divergence(p, q)
        bregman.sum().backward()
        res.append((np.array(bregman.tolist()), np.array(closed.tolist()), np.array(b.grad.tolist())))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-10)
    np.testing.assert_allclose(res[0][0], res[0][1], rtol=1e-9)
    np.testing.assert_allclose(res[0][2], res[1][2], rtol=1e-10)


KL_ERRORS = [
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Binomial(3, lib.tensor([0.5])),
                                                lib.distributions.Binomial(5, lib.tensor([0.5]))),
    lambda lib: lib.distributions.kl._kl_expfamily_expfamily(lib.distributions.Exponential(1.0),
                                                             lib.distributions.Gamma(1.0, 1.0)),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Cauchy(0.0, 1.0), lib.distributions.Normal(0.0, 1.0)),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Normal(0.0, 1.0), lib.distributions.Bernoulli(0.5)),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.Gamma(1.0, 1.0), lib.distributions.Dirichlet(
        lib.ones(2))),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.StudentT(2.0), lib.distributions.StudentT(3.0)),
    lambda lib: lib.distributions.kl_divergence(lib.distributions.LogNormal(0.0, 1.0),
                                                lib.distributions.TransformedDistribution(
                                                    lib.distributions.Normal(0.0, 1.0),
                                                    lib.distributions.transforms.SigmoidTransform())),
]


@pytest.mark.parametrize("i", range(len(KL_ERRORS)))
def test_kl_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, KL_ERRORS[i])
    assert theirs is not None
    assert error_of(rustgrad, KL_ERRORS[i]) == theirs


def test_infinite_kl_where_supports_differ():
    D = rustgrad.distributions
    assert _np(D.kl_divergence(D.Binomial(5, rustgrad.tensor([0.5])), D.Binomial(3, rustgrad.tensor([0.5]))))[0] == \
        np.inf
    assert _np(D.kl_divergence(D.Uniform(-1.0, 1.0), D.Exponential(1.0))) == np.inf
    assert _np(D.kl_divergence(D.Uniform(0.5, 1.5), D.Beta(2.0, 2.0))) == np.inf
    assert np.isfinite(_np(D.kl_divergence(D.Uniform(0.25, 0.75), D.Beta(2.0, 2.0))))
