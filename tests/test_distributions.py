"""rustgrad.distributions against torch.distributions (values, reprs, errors) and closed forms;
rsample gradients by finite differences; sample moments with a fixed seed."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
from rustgrad.distributions import (Bernoulli, Categorical, Independent, MultivariateNormal, Normal, Uniform,
                                    kl_divergence, register_kl, Distribution)
from _helpers import check_grads, error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _dists(lib, dtype="float64"):
    """Named builders of comparable distributions in ``lib`` (rustgrad or torch)."""
    D = lib.distributions
    T = lambda v: lib.tensor(v, dtype=getattr(lib, dtype))  # noqa: E731
    cov = [[2.0, 0.5, 0.1], [0.5, 1.0, -0.2], [0.1, -0.2, 0.7]]
    return {
        "normal": lambda: D.Normal(T([0.5, -1.0, 2.0]), T([1.5, 0.3, 2.0])),
        "normal_scalar": lambda: D.Normal(0.25, 2.0),
        "uniform": lambda: D.Uniform(T([0.0, -2.0]), T([1.0, 3.0])),
        "bernoulli_probs": lambda: D.Bernoulli(T([0.1, 0.5, 0.9])),
        "bernoulli_logits": lambda: D.Bernoulli(logits=T([-2.0, 0.0, 3.0])),
        "categorical_probs": lambda: D.Categorical(T([[0.2, 0.3, 0.5], [0.6, 0.2, 0.2]])),
        "categorical_logits": lambda: D.Categorical(logits=T([[1.0, -0.5, 2.0, 0.1]])),
        "independent": lambda: D.Independent(D.Normal(T([[0.0, 1.0], [2.0, 3.0]]), T([[1.0, 2.0], [0.5, 0.1]])), 1),
        "mvn_cov": lambda: D.MultivariateNormal(T([0.1, -0.3, 0.5]), covariance_matrix=T(cov)),
        "mvn_prec": lambda: D.MultivariateNormal(T([0.1, -0.3, 0.5]), precision_matrix=T(cov)),
        "mvn_tril": lambda: D.MultivariateNormal(T([[0.0, 1.0], [1.0, 0.0]]),
                                                 scale_tril=T([[1.5, 0.0], [-0.4, 0.7]])),
    }


VALUES = {
    "normal": [[0.1, 0.2, -3.0], [1.0, -1.0, 2.0]],
    "normal_scalar": [0.0, 1.7, -4.0],
    "uniform": [[0.5, 2.9], [0.0, -1.0]],
    "bernoulli_probs": [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]],
    "bernoulli_logits": [[0.0, 1.0, 1.0]],
    "categorical_probs": [[0, 2], [1, 1]],
    "categorical_logits": [[3], [0]],
    "independent": [[[0.0, 1.0], [1.0, 1.0]]],
    "mvn_cov": [[0.0, 0.0, 0.0], [1.0, -2.0, 0.3]],
    "mvn_prec": [[0.0, 0.0, 0.0], [1.0, -2.0, 0.3]],
    "mvn_tril": [[0.5, -0.5], [[1.0, 1.0], [0.0, 0.0]]],
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_log_prob_entropy_moments_and_repr_match_torch(name):
    torch = torch_or_skip()
    ours, theirs = _dists(rustgrad)[name](), _dists(torch)[name]()
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    for v in VALUES[name]:
        dt = "int64" if name.startswith("categorical") else "float64"
        ov, tv = rustgrad.tensor(v, dtype=getattr(rustgrad, dt)), torch.tensor(v, dtype=getattr(torch, dt))
        np.testing.assert_allclose(_np(ours.log_prob(ov)), theirs.log_prob(tv).detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    np.testing.assert_allclose(_np(ours.entropy()), theirs.entropy().detach().numpy(), rtol=1e-12, atol=1e-12)
    for attr in ("mean", "variance", "stddev"):
        np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).detach().numpy(), rtol=1e-12,
                                   atol=1e-12)
    if name.startswith("mvn"):
        for attr in ("scale_tril", "covariance_matrix", "precision_matrix"):
            np.testing.assert_allclose(_np(getattr(ours, attr)), getattr(theirs, attr).detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
    assert repr(ours) == repr(theirs).replace("torch.", "rustgrad.")  # lazily computed parameters now show


def test_closed_forms():
    loc, scale = 0.7, 1.9
    n = Normal(rustgrad.tensor(loc, dtype=rustgrad.float64), rustgrad.tensor(scale, dtype=rustgrad.float64))
    x = 2.3
    assert n.log_prob(rustgrad.tensor(x, dtype=rustgrad.float64)).item() == pytest.approx(
        -((x - loc) ** 2) / (2 * scale ** 2) - math.log(scale) - 0.5 * math.log(2 * math.pi), rel=1e-14)
    assert n.entropy().item() == pytest.approx(0.5 * math.log(2 * math.pi * math.e * scale ** 2), rel=1e-14)
    assert n.cdf(rustgrad.tensor(loc, dtype=rustgrad.float64)).item() == pytest.approx(0.5)
    assert n.icdf(rustgrad.tensor(0.975, dtype=rustgrad.float64)).item() == pytest.approx(loc + 1.959964 * scale,
                                                                                         rel=1e-6)
    u = Uniform(rustgrad.tensor(-1.0, dtype=rustgrad.float64), rustgrad.tensor(3.0, dtype=rustgrad.float64))
    assert u.log_prob(rustgrad.tensor(0.0, dtype=rustgrad.float64)).item() == pytest.approx(-math.log(4))
    assert u.variance.item() == pytest.approx(16 / 12) and u.entropy().item() == pytest.approx(math.log(4))
    b = Bernoulli(rustgrad.tensor(0.3, dtype=rustgrad.float64))
    assert b.log_prob(rustgrad.tensor(1.0, dtype=rustgrad.float64)).item() == pytest.approx(math.log(0.3))
    assert b.entropy().item() == pytest.approx(-(0.3 * math.log(0.3) + 0.7 * math.log(0.7)))
    c = Categorical(rustgrad.tensor([1.0, 3.0], dtype=rustgrad.float64))
    assert c.log_prob(rustgrad.tensor(1)).item() == pytest.approx(math.log(0.75))
    assert c.entropy().item() == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))
    # KL(N(m1, s1) || N(m2, s2)) = log(s2/s1) + (s1^2 + (m1-m2)^2) / (2 s2^2) - 1/2
    p, q = Normal(0.3, 1.2), Normal(-0.5, 0.8)
    expected = math.log(0.8 / 1.2) + (1.2 ** 2 + 0.8 ** 2) / (2 * 0.8 ** 2) - 0.5
    assert kl_divergence(p, q).item() == pytest.approx(expected, rel=1e-6)
    cov = np.array([[2.0, 0.3], [0.3, 0.5]])
    m = MultivariateNormal(rustgrad.zeros(2, dtype=rustgrad.float64), rustgrad.tensor(cov, dtype=rustgrad.float64))
    x = np.array([0.4, -0.7])
    expected = -0.5 * (x @ np.linalg.solve(cov, x)) - 0.5 * np.log(np.linalg.det(cov)) - np.log(2 * np.pi)
    assert m.log_prob(rustgrad.tensor(x, dtype=rustgrad.float64)).item() == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(_np(m.scale_tril), np.linalg.cholesky(cov), rtol=1e-12)


KL_PAIRS = [
    ("normal", "normal"), ("uniform", "uniform"), ("bernoulli_probs", "bernoulli_logits"),
    ("categorical_probs", "categorical_probs"), ("independent", "independent"), ("mvn_cov", "mvn_prec"),
    ("mvn_tril", "mvn_tril"),
]


@pytest.mark.parametrize("p,q", KL_PAIRS)
def test_kl_divergence_matches_torch(p, q):
    torch = torch_or_skip()
    ours_d, their_d = _dists(rustgrad), _dists(torch)
    alt = {"normal": lambda lib: lib.distributions.Normal(lib.tensor([0.0, 1.0, -1.0], dtype=lib.float64),
                                                          lib.tensor([1.0, 0.5, 3.0], dtype=lib.float64)),
           "uniform": lambda lib: lib.distributions.Uniform(lib.tensor([-1.0, -2.0], dtype=lib.float64),
                                                            lib.tensor([2.0, 2.0], dtype=lib.float64)),
           "categorical_probs": lambda lib: lib.distributions.Categorical(
               lib.tensor([[0.1, 0.1, 0.8], [0.0, 0.5, 0.5]], dtype=lib.float64)),
           "mvn_tril": lambda lib: lib.distributions.MultivariateNormal(
               lib.tensor([0.3, 0.2], dtype=lib.float64), scale_tril=lib.tensor([[0.9, 0.0], [0.2, 1.1]],
                                                                              dtype=lib.float64))}
    qo = alt[q](rustgrad) if q in alt and p == q else ours_d[q]()
    qt = alt[q](torch) if q in alt and p == q else their_d[q]()
    np.testing.assert_allclose(_np(kl_divergence(ours_d[p](), qo)),
                               torch.distributions.kl_divergence(their_d[p](), qt).numpy(), rtol=1e-10, atol=1e-12)
    # KL(p || p) = 0
    np.testing.assert_allclose(_np(kl_divergence(ours_d[p](), ours_d[p]())), 0.0, atol=1e-12)


def test_kl_mixed_pairs_and_unregistered():
    torch = torch_or_skip()
    u, n = Uniform(-1.0, 2.0), Normal(0.5, 1.5)
    tu, tn = torch.distributions.Uniform(-1.0, 2.0), torch.distributions.Normal(0.5, 1.5)
    assert kl_divergence(u, n).item() == pytest.approx(torch.distributions.kl_divergence(tu, tn).item(), rel=1e-6)
    assert kl_divergence(n, u).item() == math.inf
    cat = lambda lib: lib.distributions.Categorical(lib.tensor([0.5, 0.5]))  # noqa: E731
    assert error_of(rustgrad, lambda lib: kl_divergence(cat(lib), Normal(0.0, 1.0))) == error_of(
        torch, lambda lib: lib.distributions.kl_divergence(cat(lib), lib.distributions.Normal(0.0, 1.0)))
    # infinite where the support of p leaves q's
    assert kl_divergence(Uniform(0.0, 2.0), Uniform(0.5, 3.0)).item() == math.inf
    assert kl_divergence(Bernoulli(0.5), Bernoulli(0.0)).item() == math.inf


def test_register_kl_dispatches_to_subclass():
    class MyNormal(Normal):
        pass

    @register_kl(MyNormal, Normal)
    def _kl(p, q):
        return rustgrad.tensor(-7.0)

    assert kl_divergence(MyNormal(0.0, 1.0), Normal(0.0, 1.0)).item() == -7.0
    assert kl_divergence(Normal(0.0, 1.0), MyNormal(0.0, 2.0)).item() == pytest.approx(
        math.log(2) + 1 / 8 - 0.5, rel=1e-6)


ERRORS = [
    lambda lib: lib.distributions.Normal(0.0, -1.0),
    lambda lib: lib.distributions.Normal(lib.zeros(2), lib.tensor([1.0, 0.0])),
    lambda lib: lib.distributions.Normal(0.0, float("nan")),
    lambda lib: lib.distributions.Normal("a", 1.0),
    lambda lib: lib.distributions.Uniform(2.0, 1.0),
    lambda lib: lib.distributions.Bernoulli(1.5),
    lambda lib: lib.distributions.Bernoulli(),
    lambda lib: lib.distributions.Bernoulli(0.5, 0.5),
    lambda lib: lib.distributions.Categorical(lib.tensor([0.5, -0.1])),
    lambda lib: lib.distributions.Categorical(lib.tensor(1.0)),
    lambda lib: lib.distributions.Categorical(logits=lib.tensor(1.0)),
    lambda lib: lib.distributions.Normal(0.0, 1.0).log_prob(1.0),
    lambda lib: lib.distributions.Normal(lib.zeros(3), 1.0).log_prob(lib.zeros(2)),
    lambda lib: lib.distributions.Uniform(0.0, 1.0).log_prob(lib.tensor(2.0)),
    lambda lib: lib.distributions.Bernoulli(0.5).log_prob(lib.tensor(0.5)),
    lambda lib: lib.distributions.Categorical(lib.tensor([0.5, 0.5])).log_prob(lib.tensor(2)),
    lambda lib: lib.distributions.Independent(lib.distributions.Normal(lib.zeros(3), 1.0), 2),
    lambda lib: lib.distributions.Independent(lib.distributions.Normal(lib.zeros(3), 1.0), 1).log_prob(lib.zeros(3, 2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2), scale_tril=lib.eye(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.tensor(0.0), lib.eye(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.ones(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), -lib.eye(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [0.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 2.0], [0.0, 1.0]])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]]),
                                                     validate_args=False),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), lib.eye(2)).log_prob(lib.zeros(3)),
    lambda lib: lib.distributions.Distribution.set_default_validate_args(3),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, ERRORS[i])
    assert theirs is not None
    ours = error_of(rustgrad, ERRORS[i])
    if theirs[0].__name__ == "_LinAlgError":  # both raise their library's LinAlgError (a RuntimeError)
        assert ours[0] is rustgrad.linalg.LinAlgError and issubclass(ours[0], RuntimeError)
        ours, theirs = ours[1], theirs[1]
    assert ours == theirs


def test_validate_args_false_skips_checks():
    d = Normal(0.0, -1.0, validate_args=False)
    assert d.scale.item() == -1.0
    assert Uniform(0.0, 1.0, validate_args=False).log_prob(rustgrad.tensor(2.0)).item() == -math.inf


def test_sample_moments_with_fixed_seed():
    rustgrad.manual_seed(0)
    N = 20000
    tol = 4 / math.sqrt(N)  # about four standard errors for unit-scale moments
    n = Normal(rustgrad.tensor([1.0, -2.0]), rustgrad.tensor([0.5, 3.0]))
    s = _np(n.sample((N,)))
    assert s.shape == (N, 2)
    assert abs(s.mean(0)[0] - 1.0) < 0.5 * tol and abs(s.mean(0)[1] + 2.0) < 3 * tol
    np.testing.assert_allclose(s.std(0), [0.5, 3.0], rtol=2 * tol)
    u = _np(Uniform(rustgrad.tensor([-1.0]), rustgrad.tensor([3.0])).sample((N,)))
    assert u.min() >= -1 and u.max() < 3
    assert abs(u.mean() - 1.0) < 4 * tol and abs(u.var() - 16 / 12) < 8 * tol
    b = _np(Bernoulli(rustgrad.tensor([0.1, 0.7])).sample((N,)))
    assert set(np.unique(b)) <= {0.0, 1.0}
    np.testing.assert_allclose(b.mean(0), [0.1, 0.7], atol=tol)
    probs = [0.1, 0.0, 0.6, 0.3]
    c = np.array(Categorical(rustgrad.tensor([probs, probs[::-1]])).sample((N,)).tolist())
    assert c.shape == (N, 2) and c.dtype.kind == "i"
    freq = np.stack([np.bincount(c[:, j], minlength=4) / N for j in range(2)])
    np.testing.assert_allclose(freq, [probs, probs[::-1]], atol=tol)
    assert freq[0, 1] == 0 and freq[1, 2] == 0  # zero-probability categories never drawn
    cov = np.array([[2.0, 0.6], [0.6, 0.5]])
    m = _np(MultivariateNormal(rustgrad.tensor([1.0, -1.0]), rustgrad.tensor(cov, dtype=rustgrad.float32)).sample((N,)))
    np.testing.assert_allclose(m.mean(0), [1.0, -1.0], atol=2 * tol)
    np.testing.assert_allclose(np.cov(m.T), cov, atol=4 * tol)


def test_sample_shapes_dtypes_and_no_grad():
    loc = rustgrad.zeros(3, requires_grad=True)
    n = Normal(loc, 1.0)
    assert tuple(n.sample().shape) == (3,) and tuple(n.sample((4, 2)).shape) == (4, 2, 3)
    assert not n.sample().requires_grad and n.rsample().requires_grad
    assert n.sample().dtype == rustgrad.float32
    assert Bernoulli(rustgrad.tensor([0.5], dtype=rustgrad.float64)).sample((2,)).dtype == rustgrad.float64
    c = Categorical(logits=rustgrad.zeros(2, 5))
    assert tuple(c.sample((7,)).shape) == (7, 2) and c.sample().dtype == rustgrad.int64
    ind = Independent(Normal(rustgrad.zeros(2, 3), 1.0), 2)
    assert tuple(ind.batch_shape) == () and tuple(ind.event_shape) == (2, 3)
    assert tuple(ind.log_prob(rustgrad.zeros(5, 2, 3)).shape) == (5,)
    assert tuple(ind.sample((5,)).shape) == (5, 2, 3)
    assert MultivariateNormal(rustgrad.zeros(4, 2), rustgrad.eye(2)).sample((3,)).shape == (3, 4, 2)


def test_expand():
    torch = torch_or_skip()
    for name in ("normal_scalar", "bernoulli_logits", "categorical_logits", "mvn_cov", "uniform", "independent"):
        ours, theirs = _dists(rustgrad)[name](), _dists(torch)[name]()
        shape = (4,) + tuple(ours.batch_shape) if ours.batch_shape else (4,)
        oe, te = ours.expand(shape), theirs.expand(shape)
        assert type(oe) is type(ours) and tuple(oe.batch_shape) == tuple(te.batch_shape)
        assert tuple(oe.event_shape) == tuple(te.event_shape)
        np.testing.assert_allclose(_np(oe.entropy()), te.entropy().detach().numpy(), rtol=1e-12)
        assert tuple(oe.sample().shape) == tuple(te.sample().shape)

    class Custom(Normal):
        def __init__(self):
            super().__init__(0.0, 1.0)

    assert error_of(rustgrad, lambda lib: Custom().expand((2,))) == (
        NotImplementedError, "Subclass Custom of Normal that defines a custom __init__ method must also define a "
                             "custom .expand() method.")


@settings(max_examples=10, deadline=None)
@given(st.lists(st.floats(-2, 2), min_size=1, max_size=3), st.lists(st.floats(0.3, 2), min_size=3, max_size=3))
def test_rsample_gradients_normal_uniform(locs, scales):
    k = len(locs)
    scales = scales[:k]

    def normal(loc, scale):
        rustgrad.manual_seed(5)
        return Normal(loc, scale).rsample((4,))

    def uniform(low, width):
        rustgrad.manual_seed(6)
        return Uniform(low, low + width).rsample((4,))

    check_grads(normal, locs, scales)
    check_grads(uniform, locs, scales)


def test_rsample_gradients_mvn_and_log_prob_gradients():
    cov = [[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.8]]

    def mvn_sample(loc, a):
        rustgrad.manual_seed(7)
        return MultivariateNormal(loc, covariance_matrix=(a + a.mT) / 2).rsample((3,))

    check_grads(mvn_sample, [0.1, 0.2, -0.3], cov)
    check_grads(lambda loc, tril: MultivariateNormal(loc, scale_tril=tril.tril()).rsample((2,)) if
                rustgrad.manual_seed(3) else None, [0.0, 1.0], [[1.2, 0.0], [0.4, 0.9]])
    check_grads(lambda loc, a: MultivariateNormal(loc, precision_matrix=(a + a.mT) / 2).log_prob(
        rustgrad.tensor([[0.5, 0.1, 0.0], [1.0, -1.0, 2.0]], dtype=rustgrad.float64)), [0.1, 0.2, -0.3], cov)
    check_grads(lambda p, q: kl_divergence(MultivariateNormal(p, scale_tril=rustgrad.eye(2, dtype=rustgrad.float64)),
                                           MultivariateNormal(q, covariance_matrix=rustgrad.tensor(
                                               [[1.0, 0.2], [0.2, 2.0]], dtype=rustgrad.float64))), [0.1, 0.3],
                [-0.5, 0.2])


def test_log_prob_and_entropy_gradients_match_torch():
    torch = torch_or_skip()
    for builder in (
        lambda lib, a, b: lib.distributions.Normal(a, b.exp()).log_prob(lib.tensor([0.3, -1.0], dtype=lib.float64)),
        lambda lib, a, b: lib.distributions.Bernoulli(logits=a).log_prob(lib.tensor([1.0, 0.0], dtype=lib.float64)),
        lambda lib, a, b: lib.distributions.Bernoulli(probs=b.sigmoid()).entropy(),
        lambda lib, a, b: lib.distributions.Categorical(logits=lib.stack([a, b])).entropy(),
        lambda lib, a, b: lib.distributions.kl_divergence(lib.distributions.Normal(a, b.exp()),
                                                          lib.distributions.Normal(b, 1.0)),
        lambda lib, a, b: lib.distributions.kl_divergence(lib.distributions.Bernoulli(logits=a),
                                                          lib.distributions.Bernoulli(logits=b)),
    ):
        res = []
        for lib in (rustgrad, torch):
            a = lib.tensor([0.2, -0.7], dtype=lib.float64, requires_grad=True)
            b = lib.tensor([0.5, 0.1], dtype=lib.float64, requires_grad=True)
            out = builder(lib, a, b)
            out.sum().backward()
            res.append([np.array(out.tolist())] + [None if t.grad is None else np.array(t.grad.tolist()) for t in (a, b)])
        for x, y in zip(*res):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


def test_set_default_validate_args():
    Distribution.set_default_validate_args(False)
    try:
        assert Normal(0.0, -1.0).scale.item() == -1.0
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        Normal(0.0, -1.0)
