"""rustgrad.optim: the spec's reference trajectories, step-for-step parity with PyTorch for every
optimizer and option combination (float32 and float64, param groups, None grads), state layout,
state_dict round trips, printing and error messages."""

import re
import warnings

import numpy as np
import pytest

import rustgrad
from _helpers import torch_or_skip

optim = rustgrad.optim


def err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e)
    return None


# ----------------------------------------------------------------------------------------------
# Spec 10.2 reference trajectories: float32, w0 = [1, -2, 3], loss (w**2).sum() + w.sum(), 3 steps.

REFERENCE = [
    ("SGD", dict(lr=0.1), [0.26799998, -1.26800001, 1.29200006]),
    ("SGD", dict(lr=0.1, momentum=0.9), [-0.40700001, -0.59300005, -0.28299993]),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5), [-0.12199997, -0.87800008, 0.38199997]),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True), [-0.66252798, -0.33747211, -0.87923187]),
    ("SGD", dict(lr=0.1, weight_decay=0.1), [0.25162899, -1.22748792, 1.23770702]),
    ("SGD", dict(lr=0.1, maximize=True), [2.09200001, -3.09199977, 5.54799986]),
    ("Adam", dict(lr=0.1), [0.70090282, -1.70090294, 2.70031881]),
    ("Adam", dict(lr=0.1, weight_decay=0.1), [0.70092225, -1.70088422, 2.70032144]),
    ("Adam", dict(lr=0.1, amsgrad=True), [0.70090282, -1.70090294, 2.70031881]),
    ("AdamW", dict(lr=0.1), [0.69821709, -1.69523227, 2.69163871]),
    ("AdamW", dict(lr=0.1, weight_decay=0.1), [0.67430717, -1.64473486, 2.61431789]),
    ("RMSprop", dict(lr=0.01), [0.77685148, -1.77685142, 2.77347875]),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True), [0.54355544, -1.54355550, 2.53713727]),
    ("Adagrad", dict(lr=0.1), [0.77732450, -1.77732456, 2.77394915]),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1), [0.77988225, -1.77988231, 2.77589226]),
]


@pytest.mark.parametrize("name,kwargs,expected", REFERENCE, ids=[f"{n}-{k}" for n, k, _ in REFERENCE])
def test_spec_reference_trajectory(name, kwargs, expected):
    w = rustgrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    opt = getattr(optim, name)([w], **kwargs)
    for _ in range(3):
        opt.zero_grad()
        ((w**2).sum() + w.sum()).backward()
        opt.step()
    assert w.dtype == rustgrad.float32
    np.testing.assert_allclose(w.tolist(), expected, rtol=0, atol=1e-6)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None


# ----------------------------------------------------------------------------------------------
# Step-for-step parity with PyTorch.

COMBOS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, maximize=True)),
    ("SGD", dict(lr=0.1, momentum=0.5, nesterov=True, weight_decay=0.01, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, maximize=True)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.05, maximize=True)),
    ("Adam", dict(lr=0.01, betas=(0.3, 0.9), eps=1e-3)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01, maximize=True, betas=(0.8, 0.99))),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
]

SHAPES = [(3,), (2, 3), (5,)]
STEPS = 5


def _grads(seed):
    """Gradients for each step and param; param 1 has none at steps 0 and 2, param 2 none at step 3."""
    rng = np.random.default_rng(seed)
    seq = []
    for step in range(STEPS):
        gs = [rng.standard_normal(s) for s in SHAPES]
        if step in (0, 2):
            gs[1] = None
        if step == 3:
            gs[2] = None
        seq.append(gs)
    return seq


def _snapshot(lib, opt, params):
    sd = opt.state_dict()
    state = {
        i: {k: (np.array(v.tolist()), str(v.dtype).split(".")[-1], tuple(v.shape)) if isinstance(v, lib.Tensor) else v
            for k, v in s.items()}
        for i, s in sd["state"].items()
    }
    return [np.array(p.tolist()) for p in params], state, sd["param_groups"]


def _run(lib, name, kwargs, dtype, groups, seed=0, steps=STEPS):
    rng = np.random.default_rng(100 + seed)
    params = [lib.tensor(rng.standard_normal(s).tolist(), dtype=getattr(lib, dtype), requires_grad=True) for s in SHAPES]
    arg = [{"params": params[:2], "lr": 0.2}, {"params": params[2:]}] if groups else params
    opt = getattr(lib.optim, name)(arg, **kwargs)
    history = []
    for gs in _grads(seed)[:steps]:
        for p, g in zip(params, gs):
            p.grad = None if g is None else lib.tensor(g.tolist(), dtype=getattr(lib, dtype))
        opt.step()
        history.append(_snapshot(lib, opt, params))
    return history


def _assert_same(ours, theirs, dtype):
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    for step, ((p1, s1, g1), (p2, s2, g2)) in enumerate(zip(ours, theirs)):
        for a, b in zip(p1, p2):
            np.testing.assert_allclose(a, b, err_msg=f"params after step {step}", **tol)
        assert list(s1) == list(s2), f"state ids after step {step}"
        for i in s1:
            assert list(s1[i]) == list(s2[i]), f"state keys of param {i}"
            for k in s1[i]:
                (v1, d1, sh1), (v2, d2, sh2) = s1[i][k], s2[i][k]
                assert (d1, sh1) == (d2, sh2), f"dtype/shape of state {i}.{k}"
                np.testing.assert_allclose(v1, v2, err_msg=f"state {i}.{k} after step {step}", **tol)
        assert g1 == g2


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs", COMBOS, ids=[f"{n}-{k}" for n, k in COMBOS])
def test_parity_with_torch(name, kwargs, dtype):
    torch = torch_or_skip()
    _assert_same(_run(rustgrad, name, kwargs, dtype, groups=False), _run(torch, name, kwargs, dtype, groups=False), dtype)


@pytest.mark.parametrize("name,kwargs", COMBOS[::3], ids=[f"{n}-{k}" for n, k in COMBOS[::3]])
def test_parity_with_torch_param_groups(name, kwargs):
    torch = torch_or_skip()
    ours = _run(rustgrad, name, kwargs, "float32", groups=True, seed=1)
    _assert_same(ours, _run(torch, name, kwargs, "float32", groups=True, seed=1), "float32")
    assert [g["lr"] for g in ours[-1][2]] == [0.2, kwargs["lr"]]


def test_large_parameters_match_torch_across_the_parallel_path():
    torch = torch_or_skip()
    n = 100_003  # several rayon chunks and a ragged tail
    rng = np.random.default_rng(5)
    w0, g = rng.standard_normal(n), rng.standard_normal(n)
    results = []
    for lib in (rustgrad, torch):
        w = lib.tensor(w0.tolist(), requires_grad=True)
        opt = lib.optim.Adam([w], lr=0.01, amsgrad=True, weight_decay=0.01)
        for _ in range(3):
            w.grad = lib.tensor(g.tolist())
            opt.step()
        results.append(np.array(w.tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# state_dict

@pytest.mark.parametrize("name,kwargs", COMBOS[1::4], ids=[f"{n}-{k}" for n, k in COMBOS[1::4]])
def test_state_dict_round_trip_continues_the_same_trajectory(name, kwargs):
    seq = _grads(3)
    rng = np.random.default_rng(7)
    init = [rng.standard_normal(s).tolist() for s in SHAPES]

    def fresh(lr=None, values=init):
        params = [rustgrad.tensor(v, requires_grad=True) for v in values]
        kw = dict(kwargs, lr=lr) if lr is not None else kwargs
        return params, getattr(optim, name)(params, **kw)

    def steps(params, opt, gs_list):
        for gs in gs_list:
            for p, g in zip(params, gs):
                p.grad = None if g is None else rustgrad.tensor(g.tolist())
            opt.step()

    ref_params, ref_opt = fresh()
    steps(ref_params, ref_opt, seq)

    params_a, opt_a = fresh()
    steps(params_a, opt_a, seq[:3])
    sd = opt_a.state_dict()
    params_b, opt_b = fresh(lr=0.5, values=[p.tolist() for p in params_a])
    opt_b.load_state_dict(sd)
    assert opt_b.param_groups[0]["lr"] == kwargs["lr"], "hyperparameters are restored"
    assert opt_b.param_groups[0]["params"][0] is params_b[0]
    steps(params_b, opt_b, seq[3:])
    for a, b in zip(params_b, ref_params):
        np.testing.assert_allclose(a.tolist(), b.tolist(), rtol=0, atol=0)


def test_state_dict_format_matches_torch():
    torch = torch_or_skip()
    outs = []
    for lib in (rustgrad, torch):
        w1, w2 = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0], requires_grad=True)
        w3 = lib.tensor([4.0], requires_grad=True)
        opt = lib.optim.SGD([{"params": [w1, w2]}, {"params": [w3], "lr": 1.0}], lr=0.1, momentum=0.9)
        before = repr(opt.state_dict())
        w1.grad, w2.grad = lib.tensor([2.0, 2.0]), lib.tensor([1.0])
        opt.step()
        outs.append((before, repr(opt.state_dict()), repr(opt.state[w1])))
    assert outs[0] == outs[1]
    assert outs[0][0] == (
        "{'state': {}, 'param_groups': [{'lr': 0.1, 'momentum': 0.9, 'dampening': 0, 'weight_decay': 0, "
        "'nesterov': False, 'maximize': False, 'foreach': None, 'differentiable': False, 'fused': None, "
        "'params': [0, 1]}, {'lr': 1.0, 'momentum': 0.9, 'dampening': 0, 'weight_decay': 0, 'nesterov': False, "
        "'maximize': False, 'foreach': None, 'differentiable': False, 'fused': None, 'params': [2]}]}"
    )
    assert outs[0][2] == "{'momentum_buffer': tensor([2., 2.])}"


def test_adam_state_dict_after_one_step_is_the_spec_text():
    w = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    w.grad = rustgrad.tensor([2.0, 4.0])
    opt.step()
    assert repr(opt.state_dict()) == (
        "{'state': {0: {'step': tensor(1.), 'exp_avg': tensor([0.2000, 0.4000]), 'exp_avg_sq': tensor([0.0040, 0.0160])}}, "
        "'param_groups': [{'lr': 0.1, 'betas': (0.9, 0.999), 'eps': 1e-08, 'weight_decay': 0, 'amsgrad': False, "
        "'maximize': False, 'foreach': None, 'capturable': False, 'differentiable': False, 'fused': None, "
        "'decoupled_weight_decay': False, 'params': [0]}]}"
    )
    step = opt.state[w]["step"]
    assert step.dim() == 0 and step.dtype == rustgrad.float32


def test_load_state_dict_restores_hyperparameters_and_casts_state_to_the_param_dtype():
    w = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    src = optim.Adam([w], lr=0.1)
    w.grad = rustgrad.tensor([1.0, 1.0])
    src.step()
    w64 = rustgrad.tensor([1.0, 2.0], dtype=rustgrad.float64, requires_grad=True)
    dst = optim.Adam([w64], lr=0.5)
    dst.load_state_dict(src.state_dict())
    assert dst.param_groups[0]["lr"] == 0.1
    st = dst.state[w64]
    assert st["exp_avg"].dtype == rustgrad.float64 and st["step"].dtype == rustgrad.float32
    w64.grad = rustgrad.tensor([1.0, 1.0], dtype=rustgrad.float64)
    dst.step()
    assert float(st["step"]) == 2.0


def test_load_state_dict_errors():
    a, b = rustgrad.tensor([1.0], requires_grad=True), rustgrad.tensor([2.0], requires_grad=True)
    opt = optim.SGD([a, b], lr=0.1)
    two_groups = optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1)
    one = optim.SGD([a], lr=0.1)
    assert err(lambda: opt.load_state_dict(two_groups.state_dict())) == (
        "ValueError", "loaded state dict has a different number of parameter groups")
    assert err(lambda: opt.load_state_dict(one.state_dict())) == (
        "ValueError", "loaded state dict contains a parameter group that doesn't match the size of optimizer's group")


# ----------------------------------------------------------------------------------------------
# Structure: param groups, state layout, skipping, zero_grad, closure.

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_param_group_keys_and_repr_match_torch(name):
    torch = torch_or_skip()
    outs = []
    for lib in (rustgrad, torch):
        w1, w2 = lib.tensor([1.0], requires_grad=True), lib.tensor([2.0], requires_grad=True)
        opt = getattr(lib.optim, name)([{"params": [w1]}, {"params": [w2], "lr": 1.0}], lr=0.1)
        outs.append((list(opt.param_groups[0].keys()), repr(opt), str(opt)))
    assert outs[0] == outs[1]


def test_sgd_repr_is_the_spec_text():
    w = rustgrad.tensor([1.0], requires_grad=True)
    assert repr(optim.SGD([w], lr=0.1, momentum=0.9)) == (
        "SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
        "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0.9\n    nesterov: False\n"
        "    weight_decay: 0\n)"
    )
    w2 = rustgrad.tensor([1.0], requires_grad=True)
    two = repr(optim.SGD([{"params": [w]}, {"params": [w2]}], lr=0.1))
    assert "    weight_decay: 0\n\nParameter Group 1\n    dampening: 0" in two
    adam = repr(optim.Adam([w], lr=0.1))
    for line in ["amsgrad: False", "betas: (0.9, 0.999)", "capturable: False", "decoupled_weight_decay: False", "eps: 1e-08"]:
        assert f"    {line}\n" in adam
    assert "decoupled_weight_decay: True" in repr(optim.AdamW([w], lr=0.1))


@pytest.mark.parametrize(
    "name,kwargs,keys",
    [
        ("SGD", dict(momentum=0.9), ["momentum_buffer"]),
        ("Adam", dict(), ["step", "exp_avg", "exp_avg_sq"]),
        ("Adam", dict(amsgrad=True), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
        ("AdamW", dict(amsgrad=True), ["step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"]),
        ("RMSprop", dict(), ["step", "square_avg"]),
        ("RMSprop", dict(momentum=0.9, centered=True), ["step", "square_avg", "momentum_buffer", "grad_avg"]),
        ("Adagrad", dict(), ["step", "sum"]),
    ],
)
def test_state_keys(name, kwargs, keys):
    w = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(optim, name)([w], lr=0.1, **kwargs)
    w.grad = rustgrad.tensor([1.0, 1.0])
    opt.step()
    assert list(opt.state[w].keys()) == keys
    if "step" in keys:
        assert repr(opt.state[w]["step"]) == "tensor(1.)"


def test_sgd_without_momentum_has_no_state_and_adagrad_state_exists_at_construction():
    w = rustgrad.tensor([1.0], requires_grad=True)
    sgd = optim.SGD([w], lr=0.1)
    w.grad = rustgrad.tensor([1.0])
    sgd.step()
    assert sgd.state_dict()["state"] == {}
    ada = optim.Adagrad([w], lr=0.1)
    assert repr(ada.state_dict()["state"]) == "{0: {'step': tensor(0.), 'sum': tensor([0.])}}"


def test_params_without_grad_are_skipped_and_get_no_state():
    a, b = rustgrad.tensor([1.0], requires_grad=True), rustgrad.tensor([2.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = rustgrad.tensor([1.0])
    opt.step()
    assert list(opt.state_dict()["state"].keys()) == [0]
    assert b.tolist() == [2.0] and b._version == 0
    c = rustgrad.tensor([3.0])  # does not require grad: accepted, and skipped
    opt2 = optim.SGD([c], lr=0.1)
    opt2.step()
    assert c.tolist() == [3.0]


def test_step_runs_under_no_grad_keeps_leaves_and_bumps_the_version():
    w = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    w.grad = rustgrad.tensor([2.0, 2.0])
    seen = []

    def closure():
        seen.append(rustgrad.is_grad_enabled())
        return (w * 1.0).sum()

    with rustgrad.no_grad():
        loss = opt.step(closure)
    assert seen == [True], "the closure runs with grad enabled"
    assert repr(loss) == "tensor(3., grad_fn=<SumBackward0>)"
    assert opt.step() is None
    assert w.is_leaf and w.requires_grad and w._version == 2
    assert rustgrad.is_grad_enabled()
    np.testing.assert_allclose(w.tolist(), [0.6, 1.6], rtol=1e-6)


def test_zero_grad():
    w = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    g = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is g and repr(w.grad) == "tensor([0., 0.])"
    opt.zero_grad()
    assert w.grad is None


def test_param_groups_and_add_param_group():
    w, w2, w3 = (rustgrad.tensor([1.0], requires_grad=True) for _ in range(3))
    opt = optim.SGD([{"params": [w]}, {"params": [w2], "lr": 1.0}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 1.0]
    assert opt.param_groups[0]["params"] == [w]
    adam = optim.Adam([w], lr=0.1)
    adam.add_param_group({"params": w3, "lr": 0.01})
    assert adam.param_groups[1]["betas"] == (0.9, 0.999) and adam.param_groups[1]["params"] == [w3]
    assert err(lambda: adam.add_param_group({"params": [w]})) == (
        "ValueError", "some parameters appear in more than one parameter group")
    assert err(lambda: adam.add_param_group([w2])) == ("TypeError", "param_group must be a dict, but got <class 'list'>")


def test_a_failing_group_leaves_everything_unchanged():
    a, b = rustgrad.tensor([1.0, 2.0], requires_grad=True), rustgrad.tensor([3.0], requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad, b.grad = rustgrad.tensor([1.0, 1.0]), rustgrad.tensor([1.0])
    opt.step()
    opt.state[b]["exp_avg"] = rustgrad.zeros(2)  # corrupt the second parameter's state
    before = (a.tolist(), a._version, opt.state[a]["exp_avg"].tolist(), float(opt.state[a]["step"]))
    assert err(opt.step) == ("RuntimeError", "output with shape [1] doesn't match the broadcast shape [2]")
    assert (a.tolist(), a._version, opt.state[a]["exp_avg"].tolist(), float(opt.state[a]["step"])) == before


# ----------------------------------------------------------------------------------------------
# Errors and warnings, against PyTorch's.

def _error_cases(lib):
    w = lib.tensor([1.0], requires_grad=True)
    nonleaf = w * 2
    return {
        "empty": lambda: lib.optim.SGD([], lr=0.1),
        "bare tensor": lambda: lib.optim.SGD(w, lr=0.1),
        "negative lr": lambda: lib.optim.SGD([w], lr=-0.1),
        "momentum": lambda: lib.optim.SGD([w], lr=0.1, momentum=-1),
        "sgd weight_decay": lambda: lib.optim.SGD([w], lr=0.1, weight_decay=-1),
        "nesterov": lambda: lib.optim.SGD([w], lr=0.1, nesterov=True),
        "nesterov dampening": lambda: lib.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
        "beta0": lambda: lib.optim.Adam([w], betas=(1.0, 0.999)),
        "beta1": lambda: lib.optim.Adam([w], betas=(0.9, -0.5)),
        "betas kind": lambda: lib.optim.Adam([w], betas=(0.9, 1)),
        "adam eps": lambda: lib.optim.Adam([w], eps=-1e-8),
        "adamw lr": lambda: lib.optim.AdamW([w], lr=-1),
        "adam wd": lambda: lib.optim.Adam([w], weight_decay=-0.1),
        "rms alpha": lambda: lib.optim.RMSprop([w], alpha=-0.5),
        "rms momentum": lambda: lib.optim.RMSprop([w], momentum=-0.5),
        "ada lr_decay": lambda: lib.optim.Adagrad([w], lr_decay=-1),
        "ada init": lambda: lib.optim.Adagrad([w], initial_accumulator_value=-1),
        "ada eps": lambda: lib.optim.Adagrad([w], eps=-1.0),
        "non-leaf": lambda: lib.optim.SGD([nonleaf], lr=0.1),
        "not a tensor": lambda: lib.optim.SGD([w, 3], lr=0.1),
        "same param twice": lambda: lib.optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1),
        "set": lambda: lib.optim.SGD([{"params": {w}}], lr=0.1),
        "fused foreach": lambda: lib.optim.Adam([w], fused=True, foreach=True),
        "fused differentiable": lambda: lib.optim.SGD([w], fused=True, differentiable=True),
    }


def test_error_messages_match_torch():
    torch = torch_or_skip()
    ours, theirs = _error_cases(rustgrad), _error_cases(torch)
    for key in ours:
        got = err(ours[key])
        want = err(theirs[key])
        assert got is not None, key
        assert got == (want[0], want[1].replace("torch.", "rustgrad.")), key


def test_error_messages_spec_text():
    w = rustgrad.tensor([1.0], requires_grad=True)
    assert err(lambda: optim.SGD(w, lr=0.1)) == (
        "TypeError",
        "params argument given to the optimizer should be an iterable of Tensors or dicts, but got rustgrad.FloatTensor",
    )
    assert err(lambda: optim.SGD([w], lr=-0.1)) == ("ValueError", "Invalid learning rate: -0.1")
    assert err(lambda: optim.SGD([w], lr=0.1, momentum=-1)) == ("ValueError", "Invalid momentum value: -1")
    assert err(lambda: optim.Adam([w], betas=(1.0, 0.999))) == ("ValueError", "Invalid beta parameter at index 0: 1.0")
    assert err(lambda: optim.SGD([w * 2], lr=0.1)) == ("ValueError", "can't optimize a non-leaf Tensor")


def test_duplicate_parameter_warns():
    w = rustgrad.tensor([1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        opt = optim.SGD([w, w], lr=0.1)
    assert [str(c.message) for c in caught] == [
        "optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; "
        "see github.com/pytorch/pytorch/issues/40967 for more information"
    ]
    assert caught[0].category is UserWarning
    w.grad = rustgrad.tensor([1.0])
    opt.step()  # updated once per entry, as in PyTorch
    np.testing.assert_allclose(w.tolist(), [0.8], rtol=1e-6)


def test_differentiable_is_refused_at_step():
    w = rustgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, differentiable=True)
    w.grad = rustgrad.tensor([1.0])
    kind, message = err(opt.step)
    assert kind == "RuntimeError" and re.search("differentiable", message)
    assert w.tolist() == [1.0]
