"""Structured transforms and constraints against torch: CatTransform, StackTransform,
CorrCholeskyTransform, the cat/stack/corr_cholesky/positive_semidefinite constraints, their
constraint-registry entries and tril_matrix_to_vec / vec_to_tril_matrix."""

import numpy as np
import pytest

import rustgrad
from _helpers import check_grads, error_of, torch_or_skip


def _np(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def _transforms(lib):
    T = lib.distributions.transforms
    return {
        "cat": (lambda: T.CatTransform([T.ExpTransform(), T.SigmoidTransform(), T.AffineTransform(1.0, 2.0)], dim=1,
                                       lengths=[1, 2, 1]), (3, 4)),
        "cat_dim0": (lambda: T.CatTransform([T.ExpTransform(), T.TanhTransform()], dim=0, lengths=[1, 2]), (3, 4)),
        "cat_event": (lambda: T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1), T.TanhTransform()], dim=-1,
                                             lengths=[2, 2]), (3, 4)),
        "cat_event_dim0": (lambda: T.CatTransform([T.IndependentTransform(T.ExpTransform(), 1), T.ExpTransform()],
                                                  dim=0, lengths=[1, 2]), (3, 4)),
        "stack": (lambda: T.StackTransform([T.ExpTransform(), T.SigmoidTransform(), T.TanhTransform()], dim=1),
                  (2, 3)),
        "stack_neg": (lambda: T.StackTransform([T.ExpTransform(), T.AffineTransform(0.0, -3.0)], dim=-1), (3, 2)),
        "corr_cholesky": (lambda: T.CorrCholeskyTransform(), (2, 6)),
        "corr_cholesky_2": (lambda: T.CorrCholeskyTransform(), (1,)),
    }


@pytest.mark.parametrize("name", sorted(_transforms(rustgrad)))
def test_structured_transforms_match_torch(name):
    torch = torch_or_skip()
    (build_o, shape), (build_t, _) = _transforms(rustgrad)[name], _transforms(torch)[name]
    to, tt = build_o(), build_t()
    assert to.bijective == tt.bijective
    assert repr(to.domain) == repr(tt.domain) and repr(to.codomain) == repr(tt.codomain)
    assert to.domain.event_dim == tt.domain.event_dim and to.codomain.event_dim == tt.codomain.event_dim
    x = np.random.default_rng(3).standard_normal(shape)
    res = []
    for lib, t in ((rustgrad, to), (torch, tt)):
        xi = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        y = t(xi)
        ladj = t.log_abs_det_jacobian(xi, y)
        back = t.inv(y)
        w = lib.tensor(np.linspace(0.5, 1.5, y.numel()).reshape(tuple(y.shape)).tolist(), dtype=lib.float64)
        ((y * w).sum() + ladj.sum() + back.sum()).backward()
        res.append([np.array(v.tolist()) for v in (y.detach(), ladj.detach(), back.detach(), xi.grad)])
        if not name.startswith("cat_event"):  # mixed event dims: torch's cat check cannot combine them either
            assert bool(t.codomain.check(y).all())
        assert tuple(t.forward_shape(xi.shape)) == tuple(y.shape)
        assert tuple(t.inverse_shape(y.shape)) == tuple(xi.shape)
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(res[0][2], x.reshape(res[0][2].shape), rtol=1e-8, atol=1e-10)


def test_corr_cholesky_log_det_by_finite_differences():
    # |det J| of the map from the 3 free entries to the strictly-lower entries of the factor
    T = rustgrad.distributions.transforms
    t = T.CorrCholeskyTransform()
    x0 = np.array([0.3, -0.7, 0.4])
    eps = 1e-6
    J = np.zeros((3, 3))
    for k in range(3):
        e = np.zeros(3)
        e[k] = eps
        yp = _np(t(rustgrad.tensor(x0 + e, dtype=rustgrad.float64)))
        ym = _np(t(rustgrad.tensor(x0 - e, dtype=rustgrad.float64)))
        J[:, k] = (yp[np.tril_indices(3, -1)] - ym[np.tril_indices(3, -1)]) / (2 * eps)
    x = rustgrad.tensor(x0, dtype=rustgrad.float64)
    np.testing.assert_allclose(_np(t.log_abs_det_jacobian(x, t(x))), np.log(abs(np.linalg.det(J))), rtol=1e-7)
    check_grads(lambda v: T.CorrCholeskyTransform()(v), [0.3, -0.7, 0.4])


def _constraints(lib):
    C = lib.distributions.constraints
    return {
        "cat": C.cat([C.positive, C.unit_interval, C.real], dim=1, lengths=[1, 2, 1]),
        "stack": C.stack([C.positive, C.unit_interval, C.real], dim=1),
        "corr_cholesky": C.corr_cholesky,
        "positive_semidefinite": C.positive_semidefinite,
    }


VALUES = {
    "cat": [[[1.0, 0.5, 0.2, -3.0], [-1.0, 0.5, 0.2, 3.0], [1.0, 1.5, 0.2, 0.0]]],
    "stack": [[[1.0, 0.5, -3.0], [0.0, 0.5, 3.0]]],
    "corr_cholesky": [[[1.0, 0.0], [0.6, 0.8]], [[1.0, 0.0], [0.6, 0.7]], [[1.0, 0.0], [-0.8, -0.6]]],
    "positive_semidefinite": [[[1.0, 1.0], [1.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.5], [0.4, 1.0]],
                              [[[2.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, -1e-3]]]],
}


@pytest.mark.parametrize("name", sorted(VALUES))
def test_constraint_checks_match_torch(name):
    torch = torch_or_skip()
    co, ct = _constraints(rustgrad)[name], _constraints(torch)[name]
    assert repr(co) == repr(ct) and co.event_dim == ct.event_dim and co.is_discrete == ct.is_discrete
    for v in VALUES[name]:
        np.testing.assert_array_equal(np.array(co.check(rustgrad.tensor(v, dtype=rustgrad.float64)).tolist()),
                                      ct.check(torch.tensor(v, dtype=torch.float64)).numpy())


@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
@pytest.mark.parametrize("name", ["cat", "stack", "corr_cholesky", "positive_semidefinite"])
def test_registry_entries_match_torch(registry, name):
    torch = torch_or_skip()
    co, ct = _constraints(rustgrad)[name], _constraints(torch)[name]
    reg_o, reg_t = getattr(rustgrad.distributions, registry), getattr(torch.distributions, registry)
    theirs = error_of(torch, lambda lib: reg_t(ct))
    if theirs is not None:
        assert error_of(rustgrad, lambda lib: reg_o(co)) == theirs
        return
    shape = {"cat": (3, 4), "stack": (2, 3), "corr_cholesky": (2, 3), "positive_semidefinite": (2, 2, 2)}[name]
    x = np.random.default_rng(5).standard_normal(shape).tolist()
    yo = reg_o(co)(rustgrad.tensor(x, dtype=rustgrad.float64))
    yt = reg_t(ct)(torch.tensor(x, dtype=torch.float64))
    np.testing.assert_allclose(_np(yo), yt.numpy(), rtol=1e-10, atol=1e-12)
    assert bool(co.check(yo).all())


def test_tril_vec_round_trip_and_errors():
    torch = torch_or_skip()
    from rustgrad.distributions.utils import tril_matrix_to_vec, vec_to_tril_matrix
    from torch.distributions.utils import tril_matrix_to_vec as t_tril, vec_to_tril_matrix as t_vec

    m = np.arange(2 * 4 * 4, dtype=np.float64).reshape(2, 4, 4)
    for diag in (-2, -1, 0, 1):
        ours = tril_matrix_to_vec(rustgrad.tensor(m, dtype=rustgrad.float64), diag)
        theirs = t_tril(torch.tensor(m), diag)
        np.testing.assert_array_equal(_np(ours), theirs.numpy())
        np.testing.assert_array_equal(_np(vec_to_tril_matrix(ours, diag)), t_vec(theirs, diag).numpy())
    for call in (lambda lib: (tril_matrix_to_vec if lib is rustgrad else t_tril)(lib.zeros(3, 3), 3),
                 lambda lib: (vec_to_tril_matrix if lib is rustgrad else t_vec)(lib.zeros(4))):
        assert error_of(rustgrad, call) == error_of(torch, call)


TRANSFORM_ERRORS = [
    lambda lib: lib.distributions.transforms.CatTransform([lib.distributions.transforms.ExpTransform()], dim=0,
                                                          lengths=[1, 2]),
    lambda lib: lib.distributions.transforms.CatTransform([lib.distributions.transforms.ExpTransform()],
                                                          lengths=[2])(lib.zeros(3)),
    lambda lib: lib.distributions.transforms.CatTransform([lib.distributions.transforms.ExpTransform()],
                                                          dim=2)(lib.zeros(3)),
    lambda lib: lib.distributions.transforms.StackTransform([lib.distributions.transforms.ExpTransform()])(
        lib.zeros(3)),
    lambda lib: lib.distributions.transforms.StackTransform([3]),
    lambda lib: lib.distributions.transforms.CorrCholeskyTransform().forward_shape((4,)),
    lambda lib: lib.distributions.transforms.CorrCholeskyTransform().inverse_shape((2, 3)),
    lambda lib: lib.distributions.constraints.cat([lib.distributions.constraints.real], lengths=[1, 2]),
    lambda lib: lib.distributions.constraints.stack([3]),
]


@pytest.mark.parametrize("i", range(len(TRANSFORM_ERRORS)))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    theirs = error_of(torch, TRANSFORM_ERRORS[i])
    assert theirs is not None
    assert error_of(rustgrad, TRANSFORM_ERRORS[i]) == theirs
