"""rustgrad.distributions.transforms and TransformedDistribution against torch: forward, inverse,
log|det J| and their gradients, caching, reprs, domains, errors; transformed log_prob/cdf/icdf."""

import numpy as np
import pytest

import rustgrad
from _helpers import check_grads, error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _transforms(lib):
    T = lib.distributions.transforms
    t = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return {
        "exp": (lambda: T.ExpTransform(), "real"),
        "affine_num": (lambda: T.AffineTransform(1.5, -2.0), "real"),
        "affine_tensor": (lambda: T.AffineTransform(t([0.0, 1.0, 2.0]), t([0.5, -1.0, 3.0])), "real"),
        "affine_event": (lambda: T.AffineTransform(t([0.0, 1.0, 2.0]), t([0.5, -1.0, 3.0]), event_dim=1), "real"),
        "sigmoid": (lambda: T.SigmoidTransform(), "real"),
        "tanh": (lambda: T.TanhTransform(), "real"),
        "softplus": (lambda: T.SoftplusTransform(), "real"),
        "power": (lambda: T.PowerTransform(t([2.0, 0.5, -1.5])), "positive"),
        "power_num": (lambda: T.PowerTransform(3.0), "positive"),
        "compose": (lambda: T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.SigmoidTransform(),
                                                 T.AffineTransform(-1.0, 2.0)]), "real"),
        "exp_inv": (lambda: T.ExpTransform().inv, "positive"),
        "stick_breaking": (lambda: T.StickBreakingTransform(), "real"),
        "independent": (lambda: T.IndependentTransform(T.TanhTransform(), 1), "real"),
    }


X = {"real": [[0.3, -1.2, 2.0], [-0.5, 0.0, 1.1]], "positive": [[0.3, 1.2, 2.0], [0.5, 4.0, 1.1]]}


@pytest.mark.parametrize("name", sorted(_transforms(rustgrad)))
def test_transform_values_gradients_and_attributes_match_torch(name):
    torch = torch_or_skip()
    (build_o, dom), (build_t, _) = _transforms(rustgrad)[name], _transforms(torch)[name]
    to, tt = build_o(), build_t()
    assert repr(to) == repr(tt)
    assert repr(to.domain) == repr(tt.domain) and repr(to.codomain) == repr(tt.codomain)
    assert to.domain.event_dim == tt.domain.event_dim and to.codomain.event_dim == tt.codomain.event_dim
    assert to.bijective == tt.bijective
    res = []
    for lib, t in ((rustgrad, to), (torch, tt)):
        x = lib.tensor(X[dom], dtype=lib.float64, requires_grad=True)
        y = t(x)
        ladj = t.log_abs_det_jacobian(x, y)
        back = t.inv(y)
        w = lib.tensor(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)).tolist(), dtype=lib.float64)
        ((y * w).sum() + ladj.sum() + back.sum()).backward()
        res.append([np.array(v.tolist()) for v in (y.detach(), ladj.detach(), back.detach(), x.grad)])
        assert tuple(t.forward_shape(x.shape)) == tuple(y.shape)
        assert tuple(t.inverse_shape(y.shape)) == tuple(x.shape)
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    try:
        ts = tt.sign
    except NotImplementedError:
        with pytest.raises(NotImplementedError):
            to.sign  # noqa: B018
    else:
        os_ = to.sign
        if isinstance(ts, int):
            assert os_ == ts
        else:
            np.testing.assert_array_equal(_np(os_), ts.numpy())


def test_log_abs_det_jacobian_by_finite_differences():
    T = rustgrad.distributions.transforms
    for t in (T.TanhTransform(), T.SigmoidTransform(), T.SoftplusTransform(), T.ExpTransform(),
              T.AffineTransform(0.3, -1.7)):
        x = rustgrad.tensor([-1.3, 0.2, 0.9], dtype=rustgrad.float64)
        eps = 1e-6
        slope = (_np(t(x + eps)) - _np(t(x - eps))) / (2 * eps)
        np.testing.assert_allclose(_np(t.log_abs_det_jacobian(x, t(x))), np.log(np.abs(slope)), rtol=1e-7)
    check_grads(lambda x: T.TanhTransform().log_abs_det_jacobian(x, x.tanh()), [-1.0, 0.5, 2.0])
    check_grads(lambda x: T.StickBreakingTransform()(x), [0.3, -0.2, 1.0])


def test_caching_and_inverse_identity():
    T = rustgrad.distributions.transforms
    x = rustgrad.tensor([0.5, -0.25])
    t = T.ExpTransform(cache_size=1)
    y = t(x)
    assert t.inv(y) is x and t(x) is y
    uncached = T.ExpTransform()
    assert uncached.inv(uncached(x)) is not x
    assert t.with_cache(1) is t and uncached.with_cache(1)._cache_size == 1
    assert uncached.inv.inv is uncached
    inv = uncached.inv.with_cache(1)
    assert inv._cache_size == 1 and repr(inv) == "_InverseTransform(ExpTransform())"
    c = T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)], cache_size=1)
    assert all(p._cache_size == 1 for p in c.parts)
    y = c(x)
    assert c.inv(y) is x and c.inv.inv is c
    assert T.identity_transform(x) is x and repr(T.identity_transform) == "ComposeTransform(\n    \n)"
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    assert T.AffineTransform(1.0, 2.0) != T.AffineTransform(1.0, 3.0)
    assert T.ExpTransform().inv == T.ExpTransform().inv


TRANSFORM_ERRORS = [
    lambda lib: lib.distributions.transforms.ExpTransform(cache_size=2),
    lambda lib: lib.distributions.transforms.Transform()(lib.zeros(1)),
    lambda lib: lib.distributions.transforms.StickBreakingTransform().forward_shape(()),
    lambda lib: lib.distributions.transforms.Transform().sign,
    lambda lib: lib.distributions.transforms.Transform(cache_size=1).inv(lib.zeros(1)),
    lambda lib: lib.distributions.transforms.ComposeTransform([lib.distributions.transforms.ExpTransform(),
                                                              lib.distributions.transforms.StickBreakingTransform()
                                                              ]).codomain.event_dim + 1 + None,
    lambda lib: lib.distributions.transforms.AbsTransform().inv.sign,
    lambda lib: lib.distributions.TransformedDistribution(lib.distributions.Normal(0.0, 1.0), 3),
    lambda lib: lib.distributions.TransformedDistribution(lib.distributions.Normal(0.0, 1.0), [3]),
    lambda lib: lib.distributions.TransformedDistribution(lib.distributions.Normal(0.0, 1.0),
                                                          lib.distributions.transforms.StickBreakingTransform()),
    lambda lib: lib.distributions.TransformedDistribution(
        lib.distributions.Normal(0.0, 1.0), lib.distributions.transforms.ExpTransform()).log_prob(lib.tensor(-1.0)),
]


@pytest.mark.parametrize("i", range(len(TRANSFORM_ERRORS)))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, TRANSFORM_ERRORS[i])
    assert theirs is not None
    assert error_of(rustgrad, TRANSFORM_ERRORS[i]) == theirs


def _tdists(lib):
    D, T = lib.distributions, lib.distributions.transforms
    t = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return {
        "logistic": lambda: D.TransformedDistribution(D.Uniform(t([0.0, 0.0]), t([1.0, 1.0])),
                                                      [T.SigmoidTransform().inv, T.AffineTransform(t([0.5, 1.0]),
                                                                                                   t([2.0, 0.3]))]),
        "tanh_normal": lambda: D.TransformedDistribution(D.Normal(t([0.0, 1.0, -1.0]), t([1.0, 0.5, 2.0])),
                                                         T.TanhTransform()),
        "neg_exp": lambda: D.TransformedDistribution(D.Exponential(t([1.0, 2.0])), [T.AffineTransform(0.0, -1.0)]),
        "logistic_normal": lambda: D.TransformedDistribution(D.Normal(t([0.0, 1.0]), t([1.0, 0.5])),
                                                             T.StickBreakingTransform()),
    }


TVALUES = {
    "logistic": [[0.3, 1.0], [-2.0, 4.0]],
    "tanh_normal": [[0.3, -0.9, 0.0], [0.99, 0.5, -0.2]],
    "neg_exp": [[-0.3, -1.0], [-2.0, -0.1]],
    "logistic_normal": [[0.2, 0.3, 0.5], [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]],
}


@pytest.mark.parametrize("name", sorted(TVALUES))
def test_transformed_distribution_matches_torch(name):
    torch = torch_or_skip()
    ours, theirs = _tdists(rustgrad)[name](), _tdists(torch)[name]()
    assert repr(ours) == repr(theirs)
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert repr(ours.support) == repr(theirs.support) and ours.has_rsample == theirs.has_rsample
    for v in TVALUES[name]:
        ov, tv = rustgrad.tensor(v, dtype=rustgrad.float64), torch.tensor(v, dtype=torch.float64)
        np.testing.assert_allclose(_np(ours.log_prob(ov)), theirs.log_prob(tv).numpy(), rtol=1e-10, atol=1e-12)
        if name != "logistic_normal":
            np.testing.assert_allclose(_np(ours.cdf(ov)), theirs.cdf(tv).numpy(), rtol=1e-10, atol=1e-12)
    if name != "logistic_normal":
        q = [0.1, 0.5] if ours.batch_shape == (2,) else [0.1, 0.5, 0.9]
        np.testing.assert_allclose(_np(ours.icdf(rustgrad.tensor(q, dtype=rustgrad.float64))),
                                   theirs.icdf(torch.tensor(q, dtype=torch.float64)).numpy(), rtol=1e-10)
    s = ours.sample((5,))
    assert tuple(s.shape) == tuple(theirs.sample((5,)).shape)
    assert bool(ours.support.check(s).all())
    e = ours.expand((3,) + tuple(ours.batch_shape))
    assert tuple(e.batch_shape) == tuple(theirs.expand((3,) + tuple(theirs.batch_shape)).batch_shape)


def test_transformed_rsample_gradients():
    D, T = rustgrad.distributions, rustgrad.distributions.transforms

    def f(loc, log_scale):
        rustgrad.manual_seed(4)
        base = D.Normal(loc, log_scale.exp())
        return D.TransformedDistribution(base, [T.TanhTransform(), T.AffineTransform(1.0, 3.0)]).rsample((3,))

    check_grads(f, [0.1, -0.3], [0.2, -0.1])


def _constraints(lib):
    C = lib.distributions.constraints
    t = lambda v: lib.tensor(v, dtype=lib.float64)  # noqa: E731
    return {
        "real": (C.real, (2, 3)), "positive": (C.positive, (2, 3)), "nonnegative": (C.nonnegative, (2, 3)),
        "greater_than": (C.greater_than(t([1.0, -2.0, 0.5])), (2, 3)), "greater_than_eq": (C.greater_than_eq(3.0),
                                                                                            (2, 3)),
        "less_than": (C.less_than(-1.5), (2, 3)), "unit_interval": (C.unit_interval, (2, 3)),
        "interval": (C.interval(-2.0, t([1.0, 0.0, 5.0])), (2, 3)),
        "half_open_interval": (C.half_open_interval(0.0, 4.0), (2, 3)),
        "simplex": (C.simplex, (2, 3)), "real_vector": (C.real_vector, (2, 3)),
        "independent_positive": (C.independent(C.positive, 1), (2, 3)),
        "lower_cholesky": (C.lower_cholesky, (2, 3, 3)), "positive_definite": (C.positive_definite, (2, 3, 3)),
    }


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", sorted(_constraints(rustgrad)))
def test_constraint_registry_matches_torch(registry, name):
    torch = torch_or_skip()
    (co, shape), (ct, _) = _constraints(rustgrad)[name], _constraints(torch)[name]
    reg_o, reg_t = getattr(rustgrad.distributions, registry), getattr(torch.distributions, registry)
    theirs = error_of(torch, lambda lib: reg_t(ct))
    if theirs is not None:
        assert error_of(rustgrad, lambda lib: reg_o(co)) == theirs
        return
    to, tt = reg_o(co), reg_t(ct)
    assert repr(to) == repr(tt)
    x = np.random.default_rng(0).standard_normal(shape)
    xo = rustgrad.tensor(x, dtype=rustgrad.float64, requires_grad=True)
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    yo, yt = to(xo), tt(xt)
    np.testing.assert_allclose(_np(yo), yt.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert bool(co.check(yo).all())
    np.testing.assert_allclose(_np(to.inv(yo)), tt.inv(yt).detach().numpy(), rtol=1e-8, atol=1e-10)
    if to.bijective and name not in ("positive_definite", "lower_cholesky"):
        lo, lt = to.log_abs_det_jacobian(xo, yo), tt.log_abs_det_jacobian(xt, yt)
        np.testing.assert_allclose(_np(lo), lt.detach().numpy(), rtol=1e-10, atol=1e-12)
        (yo.sum() + lo.sum()).backward()
        (yt.sum() + lt.sum()).backward()
    else:
        yo.sum().backward()
        yt.sum().backward()
    np.testing.assert_allclose(_np(xo.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_constraint_registry_errors_and_custom_registration():
    torch = torch_or_skip()
    for call in (lambda lib: lib.distributions.biject_to(lib.distributions.constraints.boolean),
                 lambda lib: lib.distributions.biject_to(lib.distributions.constraints.lower_cholesky),
                 lambda lib: lib.distributions.transform_to.register(3, lambda c: None)):
        assert error_of(rustgrad, call) == error_of(torch, call)
    registry = rustgrad.distributions.constraint_registry.ConstraintRegistry()
    C, T = rustgrad.distributions.constraints, rustgrad.distributions.transforms
    registry.register(C.positive, lambda c: T.ExpTransform())
    assert isinstance(registry(C.positive), T.ExpTransform)


def test_reshape_and_cdf_transforms_match_torch():
    torch = torch_or_skip()
    for lib_pair in ((rustgrad, torch),):
        res = []
        for lib in lib_pair:
            T = lib.distributions.transforms
            r = T.ReshapeTransform((2, 3), (3, 2))
            x = lib.arange(24, dtype=lib.float64).reshape(4, 2, 3)
            y = r(x)
            c = T.CumulativeDistributionTransform(lib.distributions.Normal(lib.tensor(0.5, dtype=lib.float64), 2.0))
            z = lib.tensor([-1.0, 0.3, 2.0], dtype=lib.float64)
            res.append([np.array(v.tolist()) for v in (y, r.inv(y), r.log_abs_det_jacobian(x, y), c(z), c.inv(c(z)),
                                                       c.log_abs_det_jacobian(z, c(z)))]
                       + [tuple(r.forward_shape((5, 2, 3))), tuple(r.inverse_shape((3, 2))), repr(c.domain)])
        for a, b in zip(*res):
            if isinstance(a, np.ndarray):
                np.testing.assert_allclose(a, b, rtol=1e-12)
            else:
                assert a == b
    for call in (lambda lib: lib.distributions.transforms.ReshapeTransform((2, 3), (5,)),
                 lambda lib: lib.distributions.transforms.ReshapeTransform((2, 3), (6,)).forward_shape((3, 2)),
                 lambda lib: lib.distributions.transforms.ReshapeTransform((2, 3), (6,)).inverse_shape(())):
        assert error_of(rustgrad, call) == error_of(torch, call)
