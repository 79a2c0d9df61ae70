"""The optimizers composed of tensor ops (Adamax, NAdam, RAdam, Adadelta, Rprop, ASGD, LBFGS):
trajectories, state and state_dict against PyTorch's, a state_dict round trip, convergence without
PyTorch, a corrupted state refused before anything changes, and PyTorch's argument errors."""

import numpy as np
import pytest

import rustgrad
from rustgrad import optim
from _helpers import torch_or_skip
from test_optim import _assert_same, _grads, _run, err

COMBOS = [
    ("Adamax", dict(lr=0.1)),
    ("Adamax", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, maximize=True)),
    ("NAdam", dict(lr=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.1)),
    ("RAdam", dict(lr=0.1, betas=(0.9, 0.5), weight_decay=0.1)),  # rho_t > 5 from the first steps
    ("RAdam", dict(lr=0.1, betas=(0.9, 0.5), weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adadelta", dict(lr=1.0)),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.2, maximize=True)),
    ("Rprop", dict(lr=0.1)),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2), maximize=True)),
    ("ASGD", dict(lr=0.1)),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=2, weight_decay=0.1)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", COMBOS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(COMBOS)])
def test_parity_with_torch(name, kwargs, dtype):
    torch = torch_or_skip()
    _assert_same(_run(rustgrad, name, kwargs, dtype, groups=False), _run(torch, name, kwargs, dtype, groups=False), dtype)


@pytest.mark.parametrize("name,kwargs", COMBOS[::2], ids=[f"{n}-{i}" for i, (n, _) in enumerate(COMBOS[::2])])
def test_parity_with_torch_param_groups(name, kwargs):
    torch = torch_or_skip()
    ours = _run(rustgrad, name, kwargs, "float32", groups=True, seed=1)
    _assert_same(ours, _run(torch, name, kwargs, "float32", groups=True, seed=1), "float32")


@pytest.mark.parametrize("name,kwargs", COMBOS[::2], ids=[f"{n}-{i}" for i, (n, _) in enumerate(COMBOS[::2])])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    seq = _grads(3)
    init = [np.random.default_rng(7).standard_normal(s).tolist() for s in [(3,), (2, 3), (5,)]]

    def steps(params, opt, gs_list):
        for gs in gs_list:
            for p, g in zip(params, gs):
                p.grad = None if g is None else rustgrad.tensor(g.tolist())
            opt.step()

    ref = [rustgrad.tensor(v, requires_grad=True) for v in init]
    steps(ref, getattr(optim, name)(ref, **kwargs), seq)
    params_a = [rustgrad.tensor(v, requires_grad=True) for v in init]
    opt_a = getattr(optim, name)(params_a, **kwargs)
    steps(params_a, opt_a, seq[:3])
    params_b = [rustgrad.tensor(p.tolist(), requires_grad=True) for p in params_a]
    opt_b = getattr(optim, name)(params_b, **dict(kwargs, lr=0.5))
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.param_groups[0]["lr"] == kwargs["lr"]
    steps(params_b, opt_b, seq[3:])
    for a, b in zip(params_b, ref):
        np.testing.assert_allclose(a.tolist(), b.tolist(), rtol=0, atol=0)


QUADRATIC = [(n, k) for n, k in COMBOS if n not in ("ASGD", "Adadelta")] + [
    ("ASGD", dict(lr=0.1, t0=0)), ("Adadelta", dict(lr=1.0, eps=1e-2)),  # Adadelta's steps start at sqrt(eps)
]


@pytest.mark.parametrize("name,kwargs", QUADRATIC)
def test_minimizes_a_quadratic(name, kwargs):
    target = rustgrad.tensor([1.0, -2.0, 3.0])
    x = rustgrad.zeros(3, requires_grad=True)
    opt = getattr(optim, name)([x], **dict(kwargs, maximize=False))
    start = float(((x - target) ** 2).sum())
    for _ in range(300):
        opt.zero_grad()
        loss = ((x - target) ** 2).sum()
        loss.backward()
        opt.step()
    assert float(((x - target) ** 2).sum()) < start / 10


def test_a_corrupted_state_is_refused_before_anything_changes():
    a, b = rustgrad.tensor([1.0, 2.0], requires_grad=True), rustgrad.tensor([3.0], requires_grad=True)
    opt = optim.NAdam([a, b], lr=0.1)
    a.grad, b.grad = rustgrad.tensor([1.0, 1.0]), rustgrad.tensor([1.0])
    opt.step()
    opt.state[b]["exp_avg"] = rustgrad.zeros(2)
    before = (a.tolist(), a._version, opt.state[a]["exp_avg"].tolist(), float(opt.state[a]["step"]))
    assert err(opt.step) == ("RuntimeError", "output with shape [1] doesn't match the broadcast shape [2]")
    assert (a.tolist(), a._version, opt.state[a]["exp_avg"].tolist(), float(opt.state[a]["step"])) == before


def _lbfgs_run(lib, line_search_fn, history_size=5):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 4))
    b = rng.standard_normal(6)
    x = lib.zeros(4, dtype=lib.float64, requires_grad=True)
    At, bt = lib.tensor(A.tolist(), dtype=lib.float64), lib.tensor(b.tolist(), dtype=lib.float64)
    opt = lib.optim.LBFGS([x], lr=1, max_iter=20, history_size=history_size, line_search_fn=line_search_fn)

    def closure():
        opt.zero_grad()
        loss = ((At @ x - bt) ** 2).sum() + (x**4).sum() * 0.1
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(3)]
    state = opt.state[x]
    return losses, x.tolist(), state["func_evals"], state["n_iter"], A, b


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_matches_torch(line_search_fn):
    torch = torch_or_skip()
    ours, theirs = _lbfgs_run(rustgrad, line_search_fn), _lbfgs_run(torch, line_search_fn)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-9)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-9, atol=1e-12)
    assert ours[2:4] == theirs[2:4]


def test_lbfgs_solves_least_squares():
    losses, x, *_ , A, b = _lbfgs_run(rustgrad, "strong_wolfe")
    assert losses[-1] <= losses[0]
    # the gradient of the objective vanishes at the solution
    x = np.array(x)
    grad = 2 * A.T @ (A @ x - b) + 0.4 * x**3
    assert np.abs(grad).max() < 1e-3  # 3 outer steps of 20 iterations, as PyTorch stops them


def _lbfgs_armijo(lib):
    x = lib.zeros(2, requires_grad=True)
    opt = lib.optim.LBFGS([x], line_search_fn="armijo")

    def closure():
        opt.zero_grad()
        loss = ((x - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)


def _error_cases(lib):
    p = [lib.zeros(2, requires_grad=True)]
    O = lib.optim
    return {
        "adamax lr": lambda: O.Adamax(p, lr=-1),
        "adamax beta": lambda: O.Adamax(p, betas=(1.0, 0.9)),
        "nadam momentum_decay": lambda: O.NAdam(p, momentum_decay=-1),
        "nadam eps": lambda: O.NAdam(p, eps=-1),
        "radam beta2": lambda: O.RAdam(p, betas=(0.9, 1.5)),
        "radam wd": lambda: O.RAdam(p, weight_decay=-1),
        "adadelta rho": lambda: O.Adadelta(p, rho=1.5),
        "adadelta eps": lambda: O.Adadelta(p, eps=-1),
        "rprop etas": lambda: O.Rprop(p, etas=(1.5, 1.2)),
        "asgd wd": lambda: O.ASGD(p, weight_decay=-1),
        "lbfgs groups": lambda: O.LBFGS([{"params": p}, {"params": [lib.zeros(1, requires_grad=True)]}]),
        "lbfgs line search": lambda: _lbfgs_armijo(lib),
        "tensor lr": lambda: O.NAdam(p, lr=lib.ones(2)),
    }


def test_errors_match_torch():
    torch = torch_or_skip()
    ours, theirs = _error_cases(rustgrad), _error_cases(torch)
    for key in ours:
        got = err(ours[key])
        assert got is not None, key
        assert got == err(theirs[key]), key


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "Adadelta", "Rprop", "ASGD", "LBFGS"])
def test_repr_and_param_group_keys_match_torch(name):
    torch = torch_or_skip()
    reprs = [repr(getattr(lib.optim, name)([lib.zeros(2, requires_grad=True)])) for lib in (rustgrad, torch)]
    assert reprs[0] == reprs[1]
