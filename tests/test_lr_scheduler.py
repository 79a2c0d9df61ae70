"""rustgrad.optim.lr_scheduler: the spec's sequences, epoch-for-epoch parity with PyTorch (the same
floats), state_dict, warnings and errors."""

import math
import warnings

import pytest

import rustgrad
from _helpers import torch_or_skip

sched = rustgrad.optim.lr_scheduler

BEFORE_OPTIMIZER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should "
    "call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will "
    "result in PyTorch skipping the first value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


def make_opt(lib, lr=0.1, name="SGD", groups=1, **kwargs):
    params = [lib.tensor([1.0, 2.0], requires_grad=True) for _ in range(groups)]
    arg = [{"params": [p], "lr": lr * (i + 1)} for i, p in enumerate(params)] if groups > 1 else params
    return params, getattr(lib.optim, name)(arg, lr=lr, **kwargs)


def epoch(params, opt):
    """One epoch of training: a gradient, an optimizer step."""
    for p in params:
        p.grad = p.detach() * 0 + 1.0
    opt.step()


# ----------------------------------------------------------------------------------------------
# Spec 10.3

def test_step_lr_sequence_and_state_dict():
    params, opt = make_opt(rustgrad)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    assert opt.param_groups[0]["initial_lr"] == 0.1
    seen = []
    for _ in range(6):
        seen.append((s.get_last_lr(), opt.param_groups[0]["lr"]))
        epoch(params, opt)
        s.step()
    assert seen == [([0.1], 0.1), ([0.1], 0.1), ([0.05], 0.05), ([0.05], 0.05), ([0.025], 0.025), ([0.025], 0.025)]
    assert s.state_dict() == {
        "step_size": 2, "gamma": 0.5, "base_lrs": [0.1], "last_epoch": 6, "_step_count": 7, "_is_initial": False,
        "_get_lr_called_within_step": False, "_last_lr": [0.0125],
    }
    assert list(s.state_dict()) == ["step_size", "gamma", "base_lrs", "last_epoch", "_step_count", "_is_initial",
                                    "_get_lr_called_within_step", "_last_lr"]


def test_cosine_annealing_sequence_is_periodic():
    params, opt = make_opt(rustgrad)
    s = sched.CosineAnnealingLR(opt, T_max=4)
    lrs = []
    for _ in range(10):
        lrs.append(round(opt.param_groups[0]["lr"], 8))
        epoch(params, opt)
        s.step()
    assert lrs == [0.1, 0.08535534, 0.05, 0.01464466, 0.0, 0.01464466, 0.05, 0.08535534, 0.1, 0.08535534]


def test_lambda_and_exponential():
    params, opt = make_opt(rustgrad)
    s = sched.LambdaLR(opt, lambda ep: 0.95**ep)
    lrs = []
    for _ in range(4):
        lrs.append(opt.param_groups[0]["lr"])
        epoch(params, opt)
        s.step()
    assert lrs == [0.1, 0.095, 0.09025, 0.0857375]
    assert s.last_epoch == 4
    params, opt = make_opt(rustgrad)
    e = sched.ExponentialLR(opt, gamma=0.9)
    for _ in range(3):
        epoch(params, opt)
        e.step()
    assert e.get_last_lr() == [0.07290000000000002]
    assert isinstance(e.get_last_lr(), list)


def test_warning_when_scheduler_steps_before_optimizer():
    params, opt = make_opt(rustgrad)
    s = sched.StepLR(opt, step_size=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.step()
    assert [(c.category, str(c.message)) for c in caught] == [(UserWarning, BEFORE_OPTIMIZER_WARNING)]
    assert caught[0].filename == __file__

    params, opt = make_opt(rustgrad)
    s = sched.StepLR(opt, step_size=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        epoch(params, opt)
        s.step()
    assert caught == []


def test_get_lr_outside_step_warns_and_epoch_argument_is_deprecated():
    params, opt = make_opt(rustgrad)
    s = sched.StepLR(opt, step_size=2, gamma=0.5)
    epoch(params, opt)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.get_lr()
        s.step(5)
    messages = [str(c.message) for c in caught]
    assert messages[0] == "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
    assert messages[1].startswith("The epoch parameter in `scheduler.step()` was not necessary")
    assert s.get_last_lr() == [0.1 * 0.5**2]


# ----------------------------------------------------------------------------------------------
# Parity with PyTorch, epoch for epoch (exact floats).

SCHEDULERS = [
    ("StepLR", dict(step_size=3, gamma=0.7), {}),
    ("MultiStepLR", dict(milestones=[2, 5, 5, 11], gamma=0.3), {}),
    ("ExponentialLR", dict(gamma=0.93), {}),
    ("CosineAnnealingLR", dict(T_max=7, eta_min=0.001), {}),
    ("CosineAnnealingLR", dict(T_max=5), dict(groups=2)),
    ("LambdaLR", dict(lr_lambda=lambda e: 1.0 / (1 + e)), dict(groups=2)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=30), dict(momentum=0.9)),
    ("OneCycleLR", dict(max_lr=[0.5, 1.0], total_steps=26, anneal_strategy="linear", three_phase=True), dict(groups=2, momentum=0.9)),
    ("OneCycleLR", dict(max_lr=0.01, epochs=5, steps_per_epoch=5, pct_start=0.25), dict(name="Adam")),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=25, cycle_momentum=False, div_factor=10.0, final_div_factor=100.0), {}),
]


def _run_schedule(lib, name, kwargs, opt_kwargs, epochs=25):
    params, opt = make_opt(lib, **opt_kwargs)
    s = getattr(lib.optim.lr_scheduler, name)(opt, **kwargs)
    record = []
    for _ in range(epochs):
        epoch(params, opt)
        s.step()
        group = opt.param_groups[-1]
        record.append((s.get_last_lr(), group["lr"], group.get("momentum"), group.get("betas"), s.last_epoch))
    return record, [p.tolist() for p in params], s.state_dict()


@pytest.mark.parametrize("name,kwargs,opt_kwargs", SCHEDULERS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(SCHEDULERS)])
def test_parity_with_torch(name, kwargs, opt_kwargs):
    torch = torch_or_skip()
    ours = _run_schedule(rustgrad, name, kwargs, opt_kwargs)
    theirs = _run_schedule(torch, name, kwargs, opt_kwargs)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1]):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)
    sd_ours = {k: v for k, v in ours[2].items() if k not in ("lr_lambdas", "anneal_func")}
    sd_theirs = {k: v for k, v in theirs[2].items() if k not in ("lr_lambdas", "anneal_func")}
    assert sd_ours == sd_theirs
    assert list(sd_ours) == list(sd_theirs)


def test_step_with_epoch_uses_the_closed_form_like_torch():
    torch = torch_or_skip()
    out = []
    for lib in (rustgrad, torch):
        params, opt = make_opt(lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lrs = []
            for name, kw in [("StepLR", dict(step_size=2)), ("MultiStepLR", dict(milestones=[1, 4])),
                             ("ExponentialLR", dict(gamma=0.9)), ("CosineAnnealingLR", dict(T_max=6))]:
                s = getattr(lib.optim.lr_scheduler, name)(opt, **kw)
                epoch(params, opt)
                for e in (3, 7, 5):
                    s.step(e)
                    lrs.append(s.get_last_lr())
        out.append(lrs)
    assert out[0] == out[1]


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2),
    dict(mode="min", threshold_mode="abs", threshold=0.05, patience=1, cooldown=2),
    dict(mode="max", threshold_mode="abs", threshold=0.1, patience=0, min_lr=0.02),
    dict(patience=1, min_lr=[0.001, 0.05], factor=0.2),
]


@pytest.mark.parametrize("kwargs", PLATEAU)
def test_reduce_lr_on_plateau_parity_with_torch(kwargs):
    torch = torch_or_skip()
    metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.89, 0.9, 0.9, 0.91, 0.92, 0.5, 0.6, 0.6, 0.6, 0.7, 0.2, 0.2, 0.2,
               0.21, 0.3, 0.3, 0.3, 0.1, 0.1, 0.1]
    out = []
    for lib in (rustgrad, torch):
        params, opt = make_opt(lib, groups=2)
        s = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, **kwargs)
        seen = []
        for m in metrics:
            epoch(params, opt)
            s.step(lib.tensor(m) if m == 0.5 else m)
            seen.append((s.get_last_lr(), s.num_bad_epochs, s.cooldown_counter, s.best, s.last_epoch))
        sd = s.state_dict()
        out.append((seen, sd, list(sd)))
    assert out[0] == out[1]


def test_scheduler_state_dict_round_trip():
    params, opt = make_opt(rustgrad)
    s = sched.CosineAnnealingLR(opt, T_max=5)
    for _ in range(3):
        epoch(params, opt)
        s.step()
    sd = s.state_dict()
    params2, opt2 = make_opt(rustgrad)
    opt2.load_state_dict(opt.state_dict())
    s2 = sched.CosineAnnealingLR(opt2, T_max=5)
    s2.load_state_dict(sd)
    for _ in range(4):
        epoch(params, opt)
        s.step()
        epoch(params2, opt2)
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()


def test_lambda_state_dict_keeps_callable_objects_only():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, e):
            return self.rate**e

    params, opt = make_opt(rustgrad, groups=2)
    s = sched.LambdaLR(opt, [Decay(), lambda e: 1.0])
    sd = s.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None]


# ----------------------------------------------------------------------------------------------
# Errors, against PyTorch's.

def _error_cases(lib):
    params, opt = make_opt(lib)
    _, adam = make_opt(lib, name="Adam")
    _, rms = make_opt(lib, name="RMSprop")
    L = lib.optim.lr_scheduler

    def overrun():
        s = L.OneCycleLR(opt, max_lr=0.1, total_steps=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                s.step()

    return {
        "not an optimizer": lambda: L.StepLR(object(), step_size=1),
        "plateau factor": lambda: L.ReduceLROnPlateau(opt, factor=1.0),
        "plateau mode": lambda: L.ReduceLROnPlateau(opt, mode="median"),
        "plateau threshold mode": lambda: L.ReduceLROnPlateau(opt, threshold_mode="pct"),
        "plateau min_lrs": lambda: L.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2]),
        "lambdas": lambda: L.LambdaLR(opt, [lambda e: 1.0, lambda e: 1.0]),
        "onecycle steps": lambda: L.OneCycleLR(opt, max_lr=0.1),
        "onecycle total": lambda: L.OneCycleLR(opt, max_lr=0.1, total_steps=0),
        "onecycle epochs": lambda: L.OneCycleLR(opt, max_lr=0.1, epochs=-1, steps_per_epoch=2),
        "onecycle pct": lambda: L.OneCycleLR(opt, max_lr=0.1, total_steps=10, pct_start=2.0),
        "onecycle anneal": lambda: L.OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy="exp"),
        "onecycle max_lr list": lambda: L.OneCycleLR(opt, max_lr=[0.1, 0.2], total_steps=10),
        "onecycle overrun": overrun,
        "resume without initial_lr": lambda: L.StepLR(rms, step_size=1, last_epoch=3),
        "onecycle adam ok then momentum-less": lambda: L.OneCycleLR(
            lib.optim.Adagrad([lib.tensor([1.0], requires_grad=True)]), max_lr=0.1, total_steps=5),
        "adam onecycle fine": lambda: L.OneCycleLR(adam, max_lr=0.1, total_steps=5) and None,
    }


def test_error_messages_match_torch():
    torch = torch_or_skip()

    def err(f):
        try:
            f()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e)
        return None

    ours, theirs = _error_cases(rustgrad), _error_cases(torch)
    for key in ours:
        assert err(ours[key]) == err(theirs[key]), key
    assert err(ours["plateau factor"]) == ("ValueError", "Factor should be < 1.0.")
    assert err(ours["adam onecycle fine"]) is None


def test_initial_lr_and_base_lrs():
    params, opt = make_opt(rustgrad, groups=2)
    s = sched.ExponentialLR(opt, gamma=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.2]
    assert s.base_lrs == [0.1, 0.2] and s.last_epoch == 0 and s.get_last_lr() == [0.1, 0.2]
    assert math.isclose(s.get_last_lr()[1], 0.2)


# ----------------------------------------------------------------------------------------------
# The remaining schedulers (optim/_lr_scheduler_more.py): the same floats as PyTorch's, epoch for epoch.

MORE = [
    ("MultiplicativeLR", lambda L, opt: L.MultiplicativeLR(opt, lr_lambda=lambda e: 0.95), {}),
    ("ConstantLR", lambda L, opt: L.ConstantLR(opt, factor=0.5, total_iters=4), {}),
    ("LinearLR", lambda L, opt: L.LinearLR(opt, start_factor=0.25, end_factor=0.9, total_iters=7), dict(groups=2)),
    ("PolynomialLR", lambda L, opt: L.PolynomialLR(opt, total_iters=9, power=2.0), {}),
    ("CosineAnnealingWarmRestarts", lambda L, opt: L.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01), {}),
    ("CyclicLR", lambda L, opt: L.CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=4), dict(momentum=0.9)),
    ("CyclicLR", lambda L, opt: L.CyclicLR(opt, base_lr=[0.01, 0.02], max_lr=0.1, step_size_up=3, step_size_down=5,
                                           mode="triangular2"), dict(groups=2, momentum=0.9)),
    ("CyclicLR", lambda L, opt: L.CyclicLR(opt, base_lr=0.001, max_lr=0.01, step_size_up=2, mode="exp_range",
                                           gamma=0.9), dict(name="Adam")),
    ("SequentialLR", lambda L, opt: L.SequentialLR(opt, [L.LinearLR(opt, start_factor=0.1, total_iters=5),
                                                         L.ExponentialLR(opt, gamma=0.9)], milestones=[5]), {}),
    ("ChainedScheduler", lambda L, opt: L.ChainedScheduler([L.ConstantLR(opt, factor=0.5, total_iters=3),
                                                            L.ExponentialLR(opt, gamma=0.9)]), {}),
]


def _run_more(lib, make, opt_kwargs, epochs=25):
    params, opt = make_opt(lib, **opt_kwargs)
    s = make(lib.optim.lr_scheduler, opt)
    record = [(s.get_last_lr(), opt.param_groups[-1]["lr"])]
    for _ in range(epochs):
        epoch(params, opt)
        s.step()
        group = opt.param_groups[-1]
        record.append((s.get_last_lr(), group["lr"], group.get("momentum"), group.get("betas"),
                       getattr(s, "last_epoch", None)))
    return record, [p.tolist() for p in params], s


@pytest.mark.parametrize("name,make,opt_kwargs", MORE, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(MORE)])
def test_more_schedulers_match_torch(name, make, opt_kwargs):
    torch = torch_or_skip()
    ours = _run_more(rustgrad, make, opt_kwargs)
    theirs = _run_more(torch, make, opt_kwargs)
    assert ours[0] == theirs[0]
    for a, b in zip(ours[1], theirs[1]):
        assert a == pytest.approx(b, rel=1e-5, abs=1e-6)
    assert repr(ours[2]).split(" object")[0] == repr(theirs[2]).split(" object")[0].replace("torch", "rustgrad")

    def plain(sd):  # callables and nested schedulers' dicts compared by their keys and numbers
        return {k: (v if not callable(v) else None) for k, v in sd.items()
                if k not in ("lr_lambdas", "_schedulers", "_scale_fn_ref", "optimizer")}

    assert plain(ours[2].state_dict()) == plain(theirs[2].state_dict())


def test_more_schedulers_without_torch():
    # LinearLR from 0.1 x to 1 x of lr 0.1 over 4 steps, then constant
    params, opt = make_opt(rustgrad)
    s = sched.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=4)
    lrs = [s.get_last_lr()[0]]
    for _ in range(6):
        epoch(params, opt)
        s.step()
        lrs.append(s.get_last_lr()[0])
    assert lrs == pytest.approx([0.01, 0.0325, 0.055, 0.0775, 0.1, 0.1, 0.1])
    # warm restarts: the rate returns to the base rate after T_0 epochs
    params, opt = make_opt(rustgrad)
    s = sched.CosineAnnealingWarmRestarts(opt, T_0=4)
    lrs = []
    for _ in range(9):
        lrs.append(s.get_last_lr()[0])
        epoch(params, opt)
        s.step()
    assert lrs[0] == lrs[4] == lrs[8] == 0.1 and lrs[2] == pytest.approx(0.05)
    # CyclicLR: up over step_size_up, down over as many, momentum moving the other way
    params, opt = make_opt(rustgrad, momentum=0.9)
    s = sched.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2)
    seen = []
    for _ in range(5):
        seen.extend((s.get_last_lr()[0], opt.param_groups[0]["momentum"]))
        epoch(params, opt)
        s.step()
    assert seen == pytest.approx([0.0, 0.9, 0.5, 0.85, 1.0, 0.8, 0.5, 0.85, 0.0, 0.9])


def test_more_scheduler_state_dict_round_trip():
    params, opt = make_opt(rustgrad)
    L = sched
    s = L.SequentialLR(opt, [L.ConstantLR(opt, factor=0.5, total_iters=2), L.ExponentialLR(opt, gamma=0.5)],
                       milestones=[3])
    for _ in range(4):
        epoch(params, opt)
        s.step()
    sd = s.state_dict()
    params2, opt2 = make_opt(rustgrad)
    opt2.load_state_dict(opt.state_dict())
    s2 = L.SequentialLR(opt2, [L.ConstantLR(opt2, factor=0.5, total_iters=2), L.ExponentialLR(opt2, gamma=0.5)],
                        milestones=[3])
    s2.load_state_dict(sd)
    for _ in range(3):
        epoch(params, opt)
        s.step()
        epoch(params2, opt2)
        s2.step()
        assert s.get_last_lr() == s2.get_last_lr()


def _more_error_cases(lib):
    params, opt = make_opt(lib)
    _, other = make_opt(lib)
    _, adagrad = make_opt(lib, name="Adagrad")
    L = lib.optim.lr_scheduler
    return {
        "constant factor": lambda: L.ConstantLR(opt, factor=1.5),
        "linear start": lambda: L.LinearLR(opt, start_factor=0),
        "linear end": lambda: L.LinearLR(opt, end_factor=2),
        "multiplicative count": lambda: L.MultiplicativeLR(opt, [lambda e: 1.0] * 2),
        "multiplicative callable": lambda: L.MultiplicativeLR(opt, 3),
        "warm T_0": lambda: L.CosineAnnealingWarmRestarts(opt, T_0=0),
        "warm T_mult": lambda: L.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0),
        "warm negative epoch": lambda: L.CosineAnnealingWarmRestarts(opt, T_0=2).step(-1),
        "cyclic mode": lambda: L.CyclicLR(opt, 0.01, 0.1, mode="sine"),
        "cyclic momentum": lambda: L.CyclicLR(adagrad, 0.01, 0.1),
        "sequential empty": lambda: L.SequentialLR(opt, [], milestones=[]),
        "sequential milestones": lambda: L.SequentialLR(opt, [L.ConstantLR(opt)], milestones=[2]),
        "sequential other optimizer": lambda: L.SequentialLR(opt, [L.ConstantLR(other)], milestones=[]),
        "sequential plateau": lambda: L.SequentialLR(opt, [L.ReduceLROnPlateau(opt)], milestones=[]),
        "chained empty": lambda: L.ChainedScheduler([]),
        "chained no optimizer": lambda: L.ChainedScheduler([object()]),
    }


def test_more_scheduler_errors_match_torch():
    torch = torch_or_skip()

    def err(f):
        try:
            f()
        except Exception as e:  # noqa: BLE001
            return type(e).__name__, str(e).replace("torch", "rustgrad")
        return None

    ours, theirs = _more_error_cases(rustgrad), _more_error_cases(torch)
    for key in ours:
        got = err(ours[key])
        assert got is not None, key
        assert got == err(theirs[key]), key
