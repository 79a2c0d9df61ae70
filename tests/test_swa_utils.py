"""rustgrad.optim.swa_utils against torch.optim.swa_utils: averaged weights and buffers, SWALR's
learning rates, update_bn's recomputed statistics, errors."""

import warnings

import numpy as np
import pytest

import rustgrad
from rustgrad.optim.swa_utils import (SWALR, AveragedModel, get_ema_avg_fn, get_ema_multi_avg_fn, get_swa_avg_fn,
                                      update_bn)
from _helpers import error_of, torch_or_skip


@pytest.fixture(autouse=True)
def _torch_one_thread():
    # PyTorch's batch_norm with its default thread pool crawls on a busy two-core machine.
    try:
        import torch
    except ImportError:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _model(lib, seed=0):
    rng = np.random.default_rng(seed)
    m = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.ReLU(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for p in m.parameters():
            p.copy_(lib.tensor(rng.standard_normal(tuple(p.shape)).tolist(), dtype=p.dtype))
    return m


def _state(m):
    return {k: np.array(v.tolist(), dtype=np.float64) for k, v in m.state_dict().items()}


def _run(lib, make_avg, steps=6, use_sched=True, anneal_strategy="cos", anneal_epochs=3):
    model = _model(lib)
    avg = make_avg(lib, model)
    opt = lib.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
    sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=anneal_epochs,
                                      anneal_strategy=anneal_strategy) if use_sched else None
    rng = np.random.default_rng(1)
    lrs = []
    for _ in range(steps):
        x = lib.tensor(rng.standard_normal((8, 3)).tolist())
        loss = model(x).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        avg.update_parameters(model)
        if sched is not None:
            sched.step()
            lrs.append(sched.get_last_lr())
    return avg, model, lrs


AVERAGERS = {
    "swa": lambda lib, m: lib.optim.swa_utils.AveragedModel(m),
    "swa_buffers": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, use_buffers=True),
    "ema_multi": lambda lib, m: lib.optim.swa_utils.AveragedModel(
        m, multi_avg_fn=lib.optim.swa_utils.get_ema_multi_avg_fn(0.9)),
    "ema_fn": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, avg_fn=lib.optim.swa_utils.get_ema_avg_fn(0.8),
                                                               use_buffers=True),
    "swa_fn": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, avg_fn=lib.optim.swa_utils.get_swa_avg_fn()),
    "custom": lambda lib, m: lib.optim.swa_utils.AveragedModel(m, avg_fn=lambda a, p, n: 0.5 * a + 0.5 * p),
}


@pytest.mark.parametrize("name", sorted(AVERAGERS))
def test_averaged_model_matches_torch(name):
    torch = torch_or_skip()
    ours, our_model, _ = _run(rustgrad, AVERAGERS[name])
    theirs, their_model, _ = _run(torch, AVERAGERS[name])
    so, st = _state(ours), _state(theirs)
    assert sorted(so) == sorted(st)
    for k in so:
        np.testing.assert_allclose(so[k], st[k], rtol=1e-5, atol=1e-6, err_msg=k)
    assert ours.n_averaged.item() == 6 and ours.n_averaged.dtype == rustgrad.int64
    x = [[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]]
    ours.eval(), theirs.eval()
    np.testing.assert_allclose(np.array(ours(rustgrad.tensor(x)).tolist()),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_swa_is_the_plain_mean_of_the_snapshots():
    model = rustgrad.nn.Linear(2, 1)
    avg = AveragedModel(model)
    snapshots = []
    for i in range(4):
        with rustgrad.no_grad():
            model.weight.copy_(rustgrad.tensor([[float(i), 2.0 * i * i]]))
        snapshots.append([float(i), 2.0 * i * i])
        avg.update_parameters(model)
    np.testing.assert_allclose(np.array(avg.module.weight.tolist())[0], np.mean(snapshots, 0), rtol=1e-6)
    assert avg.module.weight is not model.weight and not avg.module.weight.grad_fn


@pytest.mark.parametrize("strategy,epochs", [("cos", 3), ("linear", 4), ("cos", 0), ("linear", 1)])
def test_swalr_matches_torch(strategy, epochs):
    torch = torch_or_skip()
    mk = AVERAGERS["swa"]
    _, _, ours = _run(rustgrad, mk, steps=8, anneal_strategy=strategy, anneal_epochs=epochs)
    _, _, theirs = _run(torch, mk, steps=8, anneal_strategy=strategy, anneal_epochs=epochs)
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12)
    assert ours[-1] == pytest.approx([0.05])


def test_swalr_state_dict_round_trip_and_per_group_lrs():
    p1, p2 = rustgrad.nn.Parameter(rustgrad.zeros(2)), rustgrad.nn.Parameter(rustgrad.zeros(2))
    opt = rustgrad.optim.SGD([{"params": [p1]}, {"params": [p2], "lr": 1.0}], lr=0.1)
    sched = SWALR(opt, swa_lr=[0.01, 0.2], anneal_epochs=2, anneal_strategy="linear")
    state = sched.state_dict()
    assert "anneal_func" not in state and "optimizer" not in state and state["_anneal_strategy"] == "linear"
    for _ in range(3):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == pytest.approx([0.01, 0.2])
    sched2 = SWALR(opt, swa_lr=0.5, anneal_strategy="cos")
    sched2.load_state_dict(state)
    assert sched2.anneal_func(0.5) == 0.5 and sched2.anneal_epochs == 2
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        sched.get_lr()
    assert "get_last_lr()" in str(w[0].message)


def test_update_bn_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    batches = [rng.standard_normal((5, 3)) * 2 + 1 for _ in range(4)]
    out = []
    for lib in (rustgrad, torch):
        model = _model(lib)
        model.eval()
        loader = [(lib.tensor(b.tolist()), lib.zeros(5)) for b in batches]
        lib.optim.swa_utils.update_bn(loader, model)
        assert not model.training
        assert model[1].momentum == 0.1
        out.append(_state(model))
    for k in out[0]:
        np.testing.assert_allclose(out[0][k], out[1][k], rtol=1e-5, atol=1e-6, err_msg=k)
    # momentum None during the pass: running_mean is the plain mean of the per-batch means
    bn = rustgrad.nn.BatchNorm1d(3)
    update_bn([rustgrad.tensor(b.tolist()) for b in batches], bn)
    np.testing.assert_allclose(np.array(bn.running_mean.tolist()), np.mean([b.mean(0) for b in batches], 0),
                               rtol=1e-5)
    assert bn.num_batches_tracked.item() == 4 and bn.momentum == 0.1


@pytest.mark.parametrize("call", [
    lambda lib: lib.optim.swa_utils.AveragedModel(lib.nn.Linear(1, 1), avg_fn=lambda *a: 0, multi_avg_fn=lambda *a: 0),
    lambda lib: lib.optim.swa_utils.get_ema_multi_avg_fn(1.5),
    lambda lib: lib.optim.swa_utils.get_ema_avg_fn(-0.1),
    lambda lib: lib.optim.swa_utils.SWALR(lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1), 0.1,
                                          anneal_strategy="exp"),
    lambda lib: lib.optim.swa_utils.SWALR(lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1), 0.1,
                                          anneal_epochs=-1),
    lambda lib: lib.optim.swa_utils.SWALR(lib.optim.SGD([lib.nn.Parameter(lib.zeros(1))], lr=0.1), [0.1, 0.2]),
])
def test_errors_match_torch(call):
    torch = torch_or_skip()
    theirs = error_of(torch, call)
    assert theirs is not None and error_of(rustgrad, call) == theirs


def test_avg_functions():
    a, b = rustgrad.tensor([1.0, 2.0]), rustgrad.tensor([3.0, 6.0])
    assert get_swa_avg_fn()(a, b, 1).tolist() == [2.0, 4.0]
    assert get_ema_avg_fn(0.75)(a, b, 5).tolist() == [1.5, 3.0]
    ints = [rustgrad.tensor([10, 20])]
    get_ema_multi_avg_fn(0.5)(ints, [rustgrad.tensor([20, 40])], 1)
    assert ints[0].tolist() == [15, 30]
