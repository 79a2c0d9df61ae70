"""Hypothesis-drawn batch shapes and parameters: log_prob, entropy and their gradients agree with
torch.distributions for the continuous families, and log_prob gradients agree with central
differences in float64 (gradcheck)."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rustgrad
from _helpers import torch_or_skip

FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])

FAMILIES = {
    # name -> (builder from two unconstrained float64 tensors a, b; a value map from a uniform u in (0, 1))
    "Normal": (lambda D, a, b: D.Normal(a, b.exp()), lambda u: 4 * u - 2),
    "Laplace": (lambda D, a, b: D.Laplace(a, b.exp()), lambda u: 4 * u - 2),
    "Gumbel": (lambda D, a, b: D.Gumbel(a, b.exp()), lambda u: 4 * u - 2),
    "Cauchy": (lambda D, a, b: D.Cauchy(a, b.exp()), lambda u: 4 * u - 2),
    "StudentT": (lambda D, a, b: D.StudentT(a.exp() + 0.5, a, b.exp()), lambda u: 4 * u - 2),
    "Exponential": (lambda D, a, b: D.Exponential(a.exp()), lambda u: 3 * u),
    "Gamma": (lambda D, a, b: D.Gamma(a.exp(), b.exp()), lambda u: 3 * u + 0.01),
    "InverseGamma": (lambda D, a, b: D.InverseGamma(a.exp(), b.exp()), lambda u: 3 * u + 0.01),
    "LogNormal": (lambda D, a, b: D.LogNormal(a, b.exp()), lambda u: 3 * u + 0.01),
    "Weibull": (lambda D, a, b: D.Weibull(a.exp(), b.exp()), lambda u: 3 * u + 0.01),
    "Beta": (lambda D, a, b: D.Beta(a.exp(), b.exp()), lambda u: 0.98 * u + 0.01),
    "Kumaraswamy": (lambda D, a, b: D.Kumaraswamy(a.exp(), b.exp()), lambda u: 0.98 * u + 0.01),
    "ContinuousBernoulli": (lambda D, a, b: D.ContinuousBernoulli(logits=a), lambda u: u),
    "HalfNormal": (lambda D, a, b: D.HalfNormal(b.exp()), lambda u: 3 * u),
    "FisherSnedecor": (lambda D, a, b: D.FisherSnedecor(a.exp() + 0.5, b.exp() + 0.5), lambda u: 3 * u + 0.01),
}

_shapes = hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=3)
_params = st.floats(-1.5, 1.5, allow_nan=False, width=64)


@st.composite
def _case(draw):
    shape = draw(_shapes)
    a = draw(hnp.arrays(np.float64, shape, elements=_params))
    b = draw(hnp.arrays(np.float64, shape, elements=_params))
    u = draw(hnp.arrays(np.float64, shape, elements=st.floats(0.01, 0.99, width=64)))
    return a, b, u


@pytest.mark.parametrize("name", sorted(FAMILIES))
@FEW
@given(case=_case())
def test_log_prob_entropy_and_gradients_match_torch(name, case):
    torch = torch_or_skip()
    a0, b0, u = case
    build, value_of = FAMILIES[name]
    res = []
    for lib in (rustgrad, torch):
        a = lib.tensor(a0.tolist(), dtype=lib.float64, requires_grad=True)
        b = lib.tensor(b0.tolist(), dtype=lib.float64, requires_grad=True)
        d = build(lib.distributions, a, b)
        v = lib.tensor(value_of(u).tolist(), dtype=lib.float64)
        lp = d.log_prob(v)
        out = lp.sum() + (d.entropy().sum() if name != "FisherSnedecor" else 0.0)  # F has no entropy
        out.backward()
        res.append([np.array(lp.tolist()), out.item()] + [np.array(t.grad.tolist()) if t.grad is not None else
                                                          np.zeros(a0.shape) for t in (a, b)])
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "StudentT", "Weibull", "ContinuousBernoulli"])
@FEW
@given(case=_case())
def test_log_prob_gradcheck(name, case):
    a0, b0, u = case
    build, value_of = FAMILIES[name]
    v = rustgrad.tensor(value_of(u).tolist(), dtype=rustgrad.float64)
    a = rustgrad.tensor(a0.tolist(), dtype=rustgrad.float64, requires_grad=True)
    b = rustgrad.tensor(b0.tolist(), dtype=rustgrad.float64, requires_grad=True)
    assert rustgrad.autograd.gradcheck(lambda x, y: build(rustgrad.distributions, x, y).log_prob(v), (a, b),
                                       eps=1e-6, atol=1e-5, rtol=1e-4)
