"""More rustgrad.distributions against torch.distributions: Exponential, Laplace, Cauchy, Gumbel,
HalfNormal, LogNormal, Geometric, Poisson, Binomial, OneHotCategorical (values, reprs, shapes,
constraints, errors), reparameterised gradients vs torch and finite differences, and sample
moments with a fixed seed."""

import math

import numpy as np
import pytest

import rustgrad
from _helpers import check_grads, error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _dists(lib):
    """Named builders of comparable distributions in ``lib`` (rustgrad or torch), float64."""
    D = lib.distributions
    T = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return {
        "exponential": lambda: D.Exponential(T([0.5, 1.0, 3.0])),
        "exponential_scalar": lambda: D.Exponential(2.0),
        "laplace": lambda: D.Laplace(T([0.0, -1.0, 2.0]), T([1.0, 0.5, 2.5])),
        "cauchy": lambda: D.Cauchy(T([0.0, 1.5]), T([1.0, 0.3])),
        "gumbel": lambda: D.Gumbel(T([0.0, 1.0, -2.0]), T([1.0, 2.0, 0.5])),
        "gumbel_scalar": lambda: D.Gumbel(0.5, 2.0),
        "half_normal": lambda: D.HalfNormal(T([1.0, 0.3, 2.0])),
        "log_normal": lambda: D.LogNormal(T([0.0, 0.5, -1.0]), T([1.0, 0.25, 2.0])),
        "geometric_probs": lambda: D.Geometric(T([0.2, 0.5, 1.0])),
        "geometric_logits": lambda: D.Geometric(logits=T([-1.0, 0.0, 2.0])),
        "poisson": lambda: D.Poisson(T([0.5, 4.0, 30.0])),
        "binomial_probs": lambda: D.Binomial(10, T([0.1, 0.5, 0.9])),
        "binomial_logits": lambda: D.Binomial(T([5.0, 5.0]), logits=T([-1.0, 2.0])),
        "one_hot_probs": lambda: D.OneHotCategorical(T([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])),
        "one_hot_logits": lambda: D.OneHotCategorical(logits=T([1.0, -0.5, 2.0, 0.1])),
    }


VALUES = {
    "exponential": [[0.0, 1.0, 0.2], [3.0, 0.5, 2.0]],
    "exponential_scalar": [0.0, 1.7, 4.0],
    "laplace": [[0.1, 0.2, -3.0], [1.0, -1.0, 2.0]],
    "cauchy": [[0.0, 1.0], [-5.0, 2.0]],
    "gumbel": [[0.0, 1.0, -2.0], [3.0, -1.0, 0.2]],
    "gumbel_scalar": [0.0, -1.0, 4.0],
    "half_normal": [[0.0, 1.0, 0.2], [3.0, 0.5, 2.0]],
    "log_normal": [[1.0, 0.5, 2.0], [0.1, 3.0, 1e-3]],
    "geometric_probs": [[0.0, 1.0, 0.0], [3.0, 2.0, 0.0]],
    "geometric_logits": [[0.0, 1.0, 5.0]],
    "poisson": [[0.0, 1.0, 30.0], [3.0, 7.0, 12.0]],
    "binomial_probs": [[0.0, 5.0, 10.0], [1.0, 3.0, 9.0]],
    "binomial_logits": [[0.0, 5.0], [2.0, 3.0]],
    "one_hot_probs": [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]], [[0.0, 1.0, 0.0]]],
    "one_hot_logits": [[0.0, 0.0, 0.0, 1.0], [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]],
}

CDF = {"exponential", "exponential_scalar", "laplace", "cauchy", "gumbel", "gumbel_scalar", "half_normal",
       "log_normal"}


def _close(ours, theirs, rtol=1e-12, atol=1e-12):
    np.testing.assert_allclose(_np(ours), theirs.detach().numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_values_reprs_and_shapes_match_torch(name):
    torch = torch_or_skip()
    ours, theirs = _dists(rustgrad)[name](), _dists(torch)[name]()
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert ours.has_enumerate_support == theirs.has_enumerate_support
    assert repr(ours.support) == repr(theirs.support).replace("torch.", "rustgrad.")
    assert {k: repr(v) for k, v in ours.arg_constraints.items()} == {
        k: repr(v) for k, v in theirs.arg_constraints.items()}
    for v in VALUES[name]:
        ov, tv = rustgrad.tensor(v, dtype=rustgrad.float64), torch.tensor(v, dtype=torch.float64)
        _close(ours.log_prob(ov), theirs.log_prob(tv))
        if name in CDF:
            _close(ours.cdf(ov), theirs.cdf(tv))
    if name in CDF:
        q = [[0.01, 0.3, 0.5], [0.7, 0.9, 0.999]]
        if ours.batch_shape == (2,):
            q = [[0.01, 0.3], [0.7, 0.999]]
        if ours.batch_shape == ():
            q = [0.01, 0.5, 0.999]
        _close(ours.icdf(rustgrad.tensor(q, dtype=rustgrad.float64)), theirs.icdf(torch.tensor(q, dtype=torch.float64)),
               rtol=1e-10)
    try:
        te = theirs.entropy()
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            ours.entropy()
    else:
        _close(ours.entropy(), te)
    for attr in ("mean", "variance", "stddev", "mode"):
        _close(getattr(ours, attr), getattr(theirs, attr))
    if ours.has_enumerate_support:
        for expand in (True, False):
            _close(ours.enumerate_support(expand), theirs.enumerate_support(expand))
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")  # lazily computed parameters now show


def test_expand_matches_torch():
    torch = torch_or_skip()
    for name in VALUES:
        ours, theirs = _dists(rustgrad)[name](), _dists(torch)[name]()
        shape = (4,) + tuple(ours.batch_shape)
        oe, te = ours.expand(shape), theirs.expand(shape)
        assert type(oe) is type(ours) and tuple(oe.batch_shape) == tuple(te.batch_shape)
        assert tuple(oe.event_shape) == tuple(te.event_shape)
        assert tuple(oe.sample().shape) == tuple(te.sample().shape)
        assert tuple(oe.sample((2,)).shape) == tuple(te.sample((2,)).shape)
        np.testing.assert_allclose(_np(oe.mean), te.mean.numpy(), rtol=1e-12)


ERRORS = [
    lambda lib: lib.distributions.Exponential(0.0),
    lambda lib: lib.distributions.Exponential(lib.tensor([1.0, -2.0])),
    lambda lib: lib.distributions.Exponential(1.0).log_prob(lib.tensor(-1.0)),
    lambda lib: lib.distributions.Laplace(0.0, 0.0),
    lambda lib: lib.distributions.Laplace(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda lib: lib.distributions.Cauchy(float("nan"), 1.0),
    lambda lib: lib.distributions.Gumbel(0.0, -1.0),
    lambda lib: lib.distributions.HalfNormal(-1.0),
    lambda lib: lib.distributions.HalfNormal(1.0).log_prob(lib.tensor(-1.0)),
    lambda lib: lib.distributions.LogNormal(0.0, -1.0),
    lambda lib: lib.distributions.LogNormal(0.0, 1.0).log_prob(lib.tensor(0.0)),
    lambda lib: lib.distributions.Geometric(lib.tensor([0.5, 0.0])),
    lambda lib: lib.distributions.Geometric(1.5),
    lambda lib: lib.distributions.Geometric(),
    lambda lib: lib.distributions.Geometric(0.5).log_prob(lib.tensor(1.5)),
    lambda lib: lib.distributions.Poisson(-1.0),
    lambda lib: lib.distributions.Poisson(2.0).log_prob(lib.tensor(-1.0)),
    lambda lib: lib.distributions.Binomial(10, lib.tensor(1.5)),
    lambda lib: lib.distributions.Binomial(lib.tensor(2.5), lib.tensor(0.5)),
    lambda lib: lib.distributions.Binomial(10),
    lambda lib: lib.distributions.Binomial(3, lib.tensor(0.5)).log_prob(lib.tensor(4.0)),
    lambda lib: lib.distributions.Binomial(lib.tensor([3.0, 4.0]), lib.tensor(0.5)).entropy(),
    lambda lib: lib.distributions.OneHotCategorical(lib.tensor([0.5, -0.5])),
    lambda lib: lib.distributions.OneHotCategorical(lib.tensor([0.5, 0.5])).log_prob(lib.tensor([1.0, 1.0])),
    lambda lib: lib.distributions.OneHotCategorical(lib.tensor([0.5, 0.5])).log_prob(lib.tensor([1.0, 0.0, 0.0])),
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

    def check(dist, mean, var, k=6):
        s = _np(dist.sample((N,)))
        assert s.shape == (N,) + tuple(dist.batch_shape) + tuple(dist.event_shape)
        sd = np.sqrt(np.asarray(var, dtype=np.float64))
        np.testing.assert_allclose(s.mean(0), mean, atol=k * se * sd.max() + 1e-12)
        np.testing.assert_allclose(s.var(0), var, rtol=k * se * 4, atol=1e-12)
        return s

    D = rustgrad.distributions
    T = lambda v: rustgrad.tensor(v, dtype=rustgrad.float64)  # noqa: E731
    s = check(D.Exponential(T([0.5, 2.0])), [2.0, 0.5], [4.0, 0.25])
    assert s.min() >= 0
    check(D.Laplace(T([1.0, -2.0]), T([0.5, 2.0])), [1.0, -2.0], [0.5, 8.0])
    euler = 0.5772156649015329
    check(D.Gumbel(T([0.0, 1.0]), T([1.0, 0.5])), [euler, 1 + 0.5 * euler],
          [math.pi ** 2 / 6, 0.25 * math.pi ** 2 / 6])
    s = check(D.HalfNormal(T([1.0, 3.0])), [math.sqrt(2 / math.pi), 3 * math.sqrt(2 / math.pi)],
              [1 - 2 / math.pi, 9 * (1 - 2 / math.pi)])
    assert s.min() >= 0
    ln = D.LogNormal(T([0.0, 0.5]), T([0.25, 0.1]))
    check(ln, _np(ln.mean), _np(ln.variance))
    s = check(D.Geometric(T([0.3, 0.9])), [0.7 / 0.3, 0.1 / 0.9], [0.7 / 0.09, 0.1 / 0.81])
    assert np.all(s == np.floor(s)) and s.min() >= 0
    rates = [0.0, 0.3, 4.0, 9.5, 10.0, 25.0, 400.0]
    s = check(D.Poisson(T(rates)), rates, rates)
    assert np.all(s == np.floor(s)) and np.all(s[:, 0] == 0)
    n = [0.0, 5.0, 20.0, 100.0, 100.0, 1000.0, 7.0, 7.0]
    p = [0.3, 0.5, 0.05, 0.3, 0.9, 0.5, 1.0, 0.0]
    s = check(D.Binomial(T(n), T(p)), np.multiply(n, p), np.multiply(n, p) * (1 - np.array(p)))
    assert np.all(s == np.floor(s)) and np.all(s <= n) and s.min() >= 0
    # Cauchy has no moments: compare quartiles, which are loc -/+ scale.
    c = _np(D.Cauchy(T([1.0]), T([2.0])).sample((N,)))[:, 0]
    np.testing.assert_allclose(np.percentile(c, [25, 50, 75]), [-1.0, 1.0, 3.0], atol=0.1)
    probs = [0.1, 0.0, 0.6, 0.3]
    oh = _np(D.OneHotCategorical(T(probs)).sample((N,)))
    assert oh.shape == (N, 4) and np.all(oh.sum(-1) == 1)
    np.testing.assert_allclose(oh.mean(0), probs, atol=6 * se)


def test_sample_dtypes_follow_parameters():
    D = rustgrad.distributions
    for d in (D.Exponential(rustgrad.ones(2)), D.Poisson(rustgrad.ones(2)), D.Geometric(0.5 * rustgrad.ones(2)),
              D.Binomial(3, 0.5 * rustgrad.ones(2)), D.Laplace(0.0, rustgrad.ones(2)), D.Gumbel(0.0, rustgrad.ones(2)),
              D.OneHotCategorical(rustgrad.ones(2))):
        assert d.sample().dtype == rustgrad.float32
        assert not d.sample().requires_grad
    assert D.Poisson(rustgrad.ones(2, dtype=rustgrad.float64)).sample().dtype == rustgrad.float64
    assert D.Exponential(rustgrad.ones(2, requires_grad=True)).rsample().requires_grad


def _fixed_noise(lib, name, shape):
    """The same standard noise for both libraries, so reparameterised samples are comparable."""
    rng = np.random.default_rng(1)
    u = rng.uniform(0.05, 0.95, size=shape).tolist()
    return lib.tensor(u, dtype=lib.float64)


RSAMPLE = {
    # name -> (build(lib, a, b), transform of a uniform u into the base noise via icdf)
    "exponential": lambda lib, a, b, u: lib.distributions.Exponential(a.exp()).icdf(u),
    "laplace": lambda lib, a, b, u: lib.distributions.Laplace(a, b.exp()).icdf(u),
    "cauchy": lambda lib, a, b, u: lib.distributions.Cauchy(a, b.exp()).icdf(u),
    "gumbel": lambda lib, a, b, u: lib.distributions.Gumbel(a, b.exp()).icdf(u),
    "half_normal": lambda lib, a, b, u: lib.distributions.HalfNormal(b.exp()).icdf(u),
    "log_normal": lambda lib, a, b, u: lib.distributions.LogNormal(a, b.exp()).icdf(u),
}


@pytest.mark.parametrize("name", sorted(RSAMPLE))
def test_icdf_reparameterisation_and_log_prob_gradients_match_torch(name):
    torch = torch_or_skip()
    res = []
    for lib in (rustgrad, torch):
        a = lib.tensor([0.2, -0.7], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.5, 0.1], dtype=lib.float64, requires_grad=True)
        u = _fixed_noise(lib, name, (3, 2))
        x = RSAMPLE[name](lib, a, b, u)
        dist_builder = {"exponential": lambda: lib.distributions.Exponential(a.exp()),
                        "laplace": lambda: lib.distributions.Laplace(a, b.exp()),
                        "cauchy": lambda: lib.distributions.Cauchy(a, b.exp()),
                        "gumbel": lambda: lib.distributions.Gumbel(a, b.exp()),
                        "half_normal": lambda: lib.distributions.HalfNormal(b.exp()),
                        "log_normal": lambda: lib.distributions.LogNormal(a, b.exp())}[name]
        lp = dist_builder().log_prob(x.detach() + 0.1)
        ent = dist_builder().entropy()
        (x.sum() + (lp * lib.tensor([[1.0, 2.0]], dtype=lib.float64)).sum() + ent.sum()).backward()
        res.append([np.array(x.tolist()), np.array(lp.tolist())] +
                   [np.zeros(2) if t.grad is None else np.array(t.grad.tolist()) for t in (a, b)])
    for x, y in zip(*res):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["exponential", "laplace", "cauchy", "gumbel", "half_normal", "log_normal"])
def test_rsample_gradients_by_finite_differences(name):
    D = rustgrad.distributions
    build = {"exponential": lambda a, b: D.Exponential(b.exp()),
             "laplace": lambda a, b: D.Laplace(a, b.exp()),
             "cauchy": lambda a, b: D.Cauchy(a, b.exp()),
             "gumbel": lambda a, b: D.Gumbel(a, b.exp()),
             "half_normal": lambda a, b: D.HalfNormal(b.exp()),
             "log_normal": lambda a, b: D.LogNormal(a, 0.5 * b.exp())}[name]

    def f(a, b):
        rustgrad.manual_seed(11)
        return build(a, b).rsample((4,))

    check_grads(f, [0.3, -0.4], [0.2, -0.5])


def test_discrete_log_prob_gradients_match_torch():
    torch = torch_or_skip()
    for builder in (
        lambda lib, a: lib.distributions.Geometric(logits=a).log_prob(lib.tensor([0.0, 3.0], dtype=lib.float64)),
        lambda lib, a: lib.distributions.Geometric(probs=a.sigmoid()).entropy(),
        lambda lib, a: lib.distributions.Poisson(a.exp()).log_prob(lib.tensor([0.0, 3.0], dtype=lib.float64)),
        lambda lib, a: lib.distributions.Binomial(6, logits=a).log_prob(lib.tensor([2.0, 6.0], dtype=lib.float64)),
        lambda lib, a: lib.distributions.Binomial(6, probs=a.sigmoid()).entropy(),
        lambda lib, a: lib.distributions.OneHotCategorical(logits=a).log_prob(
            lib.tensor([0.0, 1.0], dtype=lib.float64)),
        lambda lib, a: lib.distributions.Exponential(a.exp()).entropy(),
        lambda lib, a: lib.distributions.ExponentialFamily.entropy(lib.distributions.Exponential(a.exp())),
    ):
        res = []
        for lib in (rustgrad, torch):
            a = lib.tensor([0.2, -0.7], dtype=lib.float64, requires_grad=True)
            out = builder(lib, a)
            if out.requires_grad:
                out.sum().backward()
            res.append((np.array(out.tolist()), None if a.grad is None else np.array(a.grad.tolist())))
        np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12, atol=1e-14)
        assert (res[0][1] is None) == (res[1][1] is None)
        if res[0][1] is not None:
            np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12, atol=1e-14)


def test_straight_through_one_hot():
    torch = torch_or_skip()
    for lib in (rustgrad,):
        logits = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        d = lib.distributions.OneHotCategoricalStraightThrough(logits=logits)
        s = d.rsample((5,))
        assert tuple(s.shape) == (5, 3) and d.has_rsample
        assert np.all(_np(s).sum(-1) == 1)
        (s * lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)).sum().backward()
        # d/dlogits sum_n w . probs = 5 * J_softmax^T w
        p = torch.softmax(torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64), 0)
        w = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
        expected = 5 * (p * (w - (p * w).sum()))
        np.testing.assert_allclose(_np(logits.grad), expected.numpy(), rtol=1e-12)
