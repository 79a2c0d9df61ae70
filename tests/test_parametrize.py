"""nn.utils.parametrize, parametrizations.weight_norm / spectral_norm and the older
nn.utils.weight_norm against PyTorch: values, gradients, state_dict keys, reprs and errors."""

import warnings

import numpy as np
import pytest

import rustgrad
from rustgrad.nn.utils import parametrize as P
from rustgrad.nn.utils.parametrizations import spectral_norm, weight_norm
from _helpers import check_grads, error_of, torch_or_skip

W = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [0.1, 0.2, 0.3]]


def _linear(lib, n=3, dtype="float64"):
    m = lib.nn.Linear(3, n).to(getattr(lib, dtype))
    with lib.no_grad():
        m.weight.copy_(lib.tensor(W[:n], dtype=getattr(lib, dtype)))
        m.bias.copy_(lib.tensor([0.1, -0.2, 0.3][:n], dtype=getattr(lib, dtype)))
    return m


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()

    return Symmetric


def _skew_pair(lib):
    class Split(lib.nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X * 0.25, X * 0.75

    return Split


def _np(t):
    return np.array(t.detach().tolist())


def _run(lib, build):
    m = build(lib)
    x = lib.tensor([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]], dtype=lib.float64)
    out = m(x)
    out.pow(2).sum().backward()
    grads = {k: _np(p.grad) for k, p in m.named_parameters()}
    return m, _np(out), grads


BUILDS = {
    "symmetric": lambda lib: P.register_parametrization(_linear(lib), "weight", _symmetric(lib)())
    if lib is rustgrad else lib.nn.utils.parametrize.register_parametrization(_linear(lib), "weight",
                                                                                 _symmetric(lib)()),
    "chained": lambda lib: _chain(lib),
    "pair": lambda lib: (P if lib is rustgrad else lib.nn.utils.parametrize).register_parametrization(
        _linear(lib), "weight", _skew_pair(lib)()),
    "weight_norm": lambda lib: lib.nn.utils.parametrizations.weight_norm(_linear(lib)),
    "weight_norm_dim1": lambda lib: lib.nn.utils.parametrizations.weight_norm(_linear(lib), dim=1),
    "weight_norm_none": lambda lib: lib.nn.utils.parametrizations.weight_norm(_linear(lib), dim=None),
    "old_weight_norm": lambda lib: _old_wn(lib, 0),
    "old_weight_norm_none": lambda lib: _old_wn(lib, None),
}


def _old_wn(lib, dim):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return lib.nn.utils.weight_norm(_linear(lib), dim=dim)


def _chain(lib):
    mod = P if lib is rustgrad else lib.nn.utils.parametrize
    m = mod.register_parametrization(_linear(lib), "weight", _symmetric(lib)())

    class Double(lib.nn.Module):
        def forward(self, X):
            return 2 * X

        def right_inverse(self, X):
            return X / 2

    return mod.register_parametrization(m, "weight", Double())


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_matches_torch(name):
    torch = torch_or_skip()
    m1, out1, g1 = _run(rustgrad, BUILDS[name])
    m2, out2, g2 = _run(torch, BUILDS[name])
    np.testing.assert_allclose(out1, out2, rtol=1e-12)
    assert sorted(g1) == sorted(g2)
    for k in g1:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-10, atol=1e-12, err_msg=k)
    assert sorted(m1.state_dict()) == sorted(m2.state_dict())
    assert repr(m1) == repr(m2)
    assert type(m1).__name__ == type(m2).__name__
    np.testing.assert_allclose(_np(m1.weight), _np(m2.weight), rtol=1e-12)


def test_gradients_by_finite_differences():
    # g * v / ||v|| over each dim choice (the parametrization's forward, on plain tensors)
    from rustgrad.nn.utils.parametrizations import _WeightNorm
    check_grads(lambda v, g: _WeightNorm(0)(g, v), W[:2], [[1.5], [0.5]])
    check_grads(lambda v, g: _WeightNorm(1)(g, v), W[:2], [[1.5, 0.5, -1.0]])
    check_grads(lambda v, g: _WeightNorm(None)(g, v), W, 2.0)
    # the parametrized Linear's output with respect to its input
    m = weight_norm(_linear(rustgrad, 2))
    check_grads(lambda x: m(x), [[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])


def test_right_inverse_assignment_keeps_the_original_tensor():
    m = P.register_parametrization(_linear(rustgrad), "weight", _symmetric(rustgrad)())
    original = m.parametrizations.weight.original
    target = rustgrad.tensor([[1.0, 2.0, 3.0], [2.0, 5.0, 6.0], [3.0, 6.0, 9.0]], dtype=rustgrad.float64)
    m.weight = target
    assert m.parametrizations.weight.original is original
    assert m.weight.tolist() == target.tolist()
    assert original.tolist() == target.triu().tolist()
    opt = rustgrad.optim.SGD(m.parameters(), lr=0.1)
    m(rustgrad.ones(1, 3, dtype=rustgrad.float64)).sum().backward()
    opt.step()
    assert (m.weight - m.weight.T).abs().max().item() == 0.0  # stays symmetric after the update


def test_cached_computes_once():
    calls = []

    class Counting(rustgrad.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 1.0

    m = P.register_parametrization(_linear(rustgrad), "weight", Counting())
    calls.clear()
    with P.cached():
        a, b = m.weight, m.weight
        with P.cached():
            c = m.weight
    assert len(calls) == 1 and a is b is c
    m.weight
    assert len(calls) == 2


def test_remove_parametrizations():
    torch = torch_or_skip()
    for leave in (True, False):
        res = []
        for lib, mod in ((rustgrad, P), (torch, torch.nn.utils.parametrize)):
            m = mod.register_parametrization(_linear(lib), "weight", _symmetric(lib)())
            original = m.parametrizations.weight.original
            mod.remove_parametrizations(m, "weight", leave_parametrized=leave)
            assert not mod.is_parametrized(m) and type(m) is lib.nn.Linear
            assert m.weight is original and isinstance(m.weight, lib.nn.Parameter)
            assert not hasattr(m, "parametrizations")
            res.append(_np(m.weight))
        np.testing.assert_allclose(res[0], res[1])
    m = P.register_parametrization(_linear(rustgrad), "weight", _skew_pair(rustgrad)())
    P.register_parametrization(m, "bias", rustgrad.nn.Identity())
    assert P.is_parametrized(m) and P.is_parametrized(m, "bias") and not P.is_parametrized(m, "foo")
    assert P.type_before_parametrizations(m) is rustgrad.nn.Linear
    P.remove_parametrizations(m, "weight")
    assert P.is_parametrized(m) and type(m).__name__ == "ParametrizedLinear"
    P.remove_parametrizations(m, "bias")
    assert type(m) is rustgrad.nn.Linear


def test_transfer_parametrizations_and_params():
    src = P.register_parametrization(_linear(rustgrad), "weight", _symmetric(rustgrad)())
    dst = rustgrad.nn.Linear(3, 3).double()
    P.transfer_parametrizations_and_params(src, dst)
    assert P.is_parametrized(dst, "weight")
    assert dst.parametrizations.weight.original is src.parametrizations.weight.original
    assert dst.weight.tolist() == src.weight.tolist()


def _errors():
    def mods(lib):
        return rustgrad.nn.utils.parametrize if lib is rustgrad else lib.nn.utils.parametrize

    class Bad(object):
        pass

    def shape_changer(lib):
        class S(lib.nn.Module):
            def forward(self, X):
                return X[0]
        return S()

    def dtype_changer(lib):
        class S(lib.nn.Module):
            def forward(self, X):
                return X.float()
        return S()

    def returns_int(lib):
        class S(lib.nn.Module):
            def forward(self, X):
                return 3
        return S()

    def no_inverse(lib):
        m = mods(lib).register_parametrization(_linear(lib), "weight", lib.nn.Identity())
        m.weight = lib.zeros(3, 3, dtype=lib.float64)

    return [
        lambda lib: mods(lib).register_parametrization(lib.nn.Linear(2, 2), "foo", lib.nn.Identity()),
        lambda lib: mods(lib).remove_parametrizations(lib.nn.Linear(2, 2), "weight"),
        lambda lib: mods(lib).register_parametrization(_linear(lib), "weight", shape_changer(lib)),
        lambda lib: mods(lib).register_parametrization(_linear(lib), "weight", dtype_changer(lib)),
        lambda lib: mods(lib).register_parametrization(_linear(lib), "weight", returns_int(lib)),
        lambda lib: mods(lib).register_parametrization(
            mods(lib).register_parametrization(_linear(lib), "weight", lib.nn.Identity()), "weight",
            shape_changer(lib)),
        no_inverse,
        lambda lib: mods(lib).remove_parametrizations(
            mods(lib).register_parametrization(_linear(lib), "weight", _skew_pair(lib)()), "weight", False),
        lambda lib: (lib.nn.utils.weight_norm(lib.nn.utils.weight_norm(lib.nn.Linear(2, 2)))),
        lambda lib: lib.nn.utils.remove_weight_norm(lib.nn.Linear(2, 2)),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), name="foo"),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0),
        lambda lib: lib.nn.utils.parametrizations.spectral_norm(lib.nn.Linear(2, 2), dim=2),
        lambda lib: __import__("pickle").dumps(lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2))),
    ]


@pytest.mark.parametrize("i", range(14))
def test_errors_match_torch(i):
    torch = torch_or_skip()
    call = _errors()[i]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        theirs = error_of(torch, call)
        ours = error_of(rustgrad, call)
    assert theirs is not None and ours == theirs


def test_old_weight_norm_round_trip_and_state_dict_compat():
    torch = torch_or_skip()
    with pytest.warns(FutureWarning, match="rustgrad.nn.utils.parametrizations.weight_norm"):
        old = rustgrad.nn.utils.weight_norm(_linear(rustgrad))
    assert sorted(n for n, _ in old.named_parameters()) == ["bias", "weight_g", "weight_v"]
    np.testing.assert_allclose(_np(old.weight), W, rtol=1e-12)
    # the parametrization version loads a state dict saved by the old API
    new = weight_norm(rustgrad.nn.Linear(3, 3).double())
    new.load_state_dict(old.state_dict())
    np.testing.assert_allclose(_np(new.weight), W, rtol=1e-12)
    rustgrad.nn.utils.remove_weight_norm(old)
    assert sorted(n for n, _ in old.named_parameters()) == ["bias", "weight"]
    np.testing.assert_allclose(_np(old.weight), W, rtol=1e-12)
    assert torch is not None


def test_spectral_norm():
    torch = torch_or_skip()
    rustgrad.manual_seed(0)
    m = spectral_norm(_linear(rustgrad, 2))
    t = torch.nn.utils.parametrizations.spectral_norm(_linear(torch, 2))
    # same power-iteration vectors: copy PyTorch's into ours, then both take one training step
    with rustgrad.no_grad():
        m.parametrizations.weight[0]._u.copy_(rustgrad.tensor(t.parametrizations.weight[0]._u.tolist(),
                                                              dtype=rustgrad.float64))
        m.parametrizations.weight[0]._v.copy_(rustgrad.tensor(t.parametrizations.weight[0]._v.tolist(),
                                                              dtype=rustgrad.float64))
    np.testing.assert_allclose(_np(m.weight), t.weight.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(_np(m.parametrizations.weight[0]._u), t.parametrizations.weight[0]._u.numpy(),
                               rtol=1e-10)
    # after convergence the largest singular value of the normalised weight is 1
    for _ in range(30):
        m.weight
    assert np.linalg.svd(_np(m.weight), compute_uv=False)[0] == pytest.approx(1.0, rel=1e-8)
    m.eval()
    u = _np(m.parametrizations.weight[0]._u)
    m.weight
    np.testing.assert_array_equal(_np(m.parametrizations.weight[0]._u), u)  # eval: no power iteration
    x = rustgrad.ones(1, 3, dtype=rustgrad.float64, requires_grad=True)
    m(x).sum().backward()
    assert m.parametrizations.weight.original.grad is not None
    v = spectral_norm(rustgrad.nn.Linear(1, 1))
    assert v.weight.shape == (1, 1)
