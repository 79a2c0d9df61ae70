"""The autograd nodes that distributions record (rsample, entropy, moments, log_prob, cdf) carry
PyTorch's grad_fn names, distribution by distribution."""

import warnings

import pytest

import rustgrad
from _helpers import torch_or_skip


def _builders(lib):
    D = lib.distributions
    p = lambda v: lib.tensor(v, dtype=lib.float64, requires_grad=True)  # noqa: E731
    return {
        "Normal": lambda: D.Normal(p([0.1, 0.2]), p([1.0, 2.0])),
        "Exponential": lambda: D.Exponential(p([1.0, 2.0])),
        "Laplace": lambda: D.Laplace(p([0.1, 0.2]), p([1.0, 2.0])),
        "Cauchy": lambda: D.Cauchy(p([0.1, 0.2]), p([1.0, 2.0])),
        "Gumbel": lambda: D.Gumbel(p([0.1, 0.2]), p([1.0, 2.0])),
        "HalfNormal": lambda: D.HalfNormal(p([1.0, 2.0])),
        "HalfCauchy": lambda: D.HalfCauchy(p([1.0, 2.0])),
        "LogNormal": lambda: D.LogNormal(p([0.1, 0.2]), p([1.0, 2.0])),
        "Gamma": lambda: D.Gamma(p([1.5, 2.0]), p([1.0, 2.0])),
        "Chi2": lambda: D.Chi2(p([1.5, 2.0])),
        "Beta": lambda: D.Beta(p([1.5, 2.0]), p([1.0, 2.0])),
        "Dirichlet": lambda: D.Dirichlet(p([1.5, 2.0])),
        "StudentT": lambda: D.StudentT(p([3.0, 4.0]), p([0.1, 0.2]), p([1.0, 2.0])),
        "Pareto": lambda: D.Pareto(p([1.0, 2.0]), p([3.0, 4.0])),
        "Weibull": lambda: D.Weibull(p([1.0, 2.0]), p([3.0, 4.0])),
        "Kumaraswamy": lambda: D.Kumaraswamy(p([1.0, 2.0]), p([3.0, 4.0])),
        "InverseGamma": lambda: D.InverseGamma(p([3.0, 4.0]), p([1.0, 2.0])),
        "FisherSnedecor": lambda: D.FisherSnedecor(p([3.0, 4.0]), p([5.0, 6.0])),
        "ContinuousBernoulli": lambda: D.ContinuousBernoulli(p([0.3, 0.7])),
        "RelaxedBernoulli": lambda: D.RelaxedBernoulli(p(0.5), p([0.3, 0.7])),
        "RelaxedOneHotCategorical": lambda: D.RelaxedOneHotCategorical(p(0.5), p([0.3, 0.7])),
        "LogisticNormal": lambda: D.LogisticNormal(p([0.1, 0.2]), p([1.0, 2.0])),
        "Uniform": lambda: D.Uniform(p([0.1, 0.2]), p([1.0, 2.0])),
        "LowRankMultivariateNormal": lambda: D.LowRankMultivariateNormal(p([0.1, 0.2]), p([[1.0], [2.0]]),
                                                                         p([1.0, 2.0])),
        "MultivariateNormal": lambda: D.MultivariateNormal(p([0.1, 0.2]), p([[1.0, 0.0], [0.0, 2.0]])),
        "Wishart": lambda: D.Wishart(p(4.0), p([[1.0, 0.0], [0.0, 2.0]])),
        "Poisson": lambda: D.Poisson(p([1.0, 2.0])),
        "Geometric": lambda: D.Geometric(p([0.3, 0.7])),
        "Binomial": lambda: D.Binomial(4, p([0.3, 0.7])),
        "NegativeBinomial": lambda: D.NegativeBinomial(4.0, p([0.3, 0.7])),
        "Bernoulli": lambda: D.Bernoulli(p([0.3, 0.7])),
        "Categorical": lambda: D.Categorical(p([0.3, 0.7])),
        "OneHotCategorical": lambda: D.OneHotCategorical(p([0.3, 0.7])),
        "Multinomial": lambda: D.Multinomial(3, p([0.3, 0.7])),
        "VonMises": lambda: D.VonMises(p([0.1, 0.2]), p([1.0, 2.0])),
    }


def _names(lib, name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lib.manual_seed(0)
        d = _builders(lib)[name]()
        with lib.no_grad():
            v = d.sample()
        row = []
        for meth in ("rsample", "entropy", "mean", "variance", "log_prob", "cdf"):
            try:
                if meth in ("log_prob", "cdf"):
                    out = getattr(d, meth)(v)
                elif meth in ("rsample", "entropy"):
                    out = getattr(d, meth)()
                else:
                    out = getattr(d, meth)
                row.append(type(out.grad_fn).__name__ if out.grad_fn is not None else None)
            except Exception as e:  # noqa: BLE001 - the exception type is compared
                row.append(type(e).__name__)
        return row


@pytest.mark.parametrize("name", sorted(_builders(rustgrad)))
def test_grad_fn_names_match_torch(name):
    torch = torch_or_skip()
    assert _names(rustgrad, name) == _names(torch, name)
