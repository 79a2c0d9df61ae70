"""rustgrad.nn: Module behaviour (registration, iteration, modes, hooks, conversions), printed
forms and error texts against PyTorch's, state_dict round trips and errors, every layer's values
and gradients against PyTorch with copied weights, finite differences, init, and an end-to-end
training run."""

import copy
import math
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import rustgrad
import rustgrad.nn as nn
import rustgrad.nn.functional as F
from _helpers import check_against_torch, check_grads, torch_or_skip


def err(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e).replace("torch", "rustgrad")
    return None


def same_error(torch, f):
    """Runs ``f(lib)`` for both libraries; both must raise the same type and text."""
    ours, theirs = err(lambda: f(rustgrad)), err(lambda: f(torch))
    assert theirs is not None
    assert ours == theirs


def arr(t):
    return np.array(t.detach().tolist(), dtype=np.float64)


def copy_params(src, dst):
    """Copies the torch module ``src``'s state into the rustgrad module ``dst``."""
    state = OrderedDict((k, rustgrad.tensor(v.detach().numpy().copy())) for k, v in src.state_dict().items())
    dst.load_state_dict(state)


# ----------------------------------------------------------------------------------------------
# Module: registration and attribute access


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.scale = nn.Parameter(rustgrad.ones(1))
        self.register_buffer("steps", rustgrad.zeros(1))
        self.register_buffer("cache", rustgrad.zeros(2), persistent=False)
        self.note = "plain"

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale


def test_registration_and_iteration_order():
    net = Net()
    assert [n for n, _ in net.named_parameters()] == ["scale", "fc.weight", "fc.bias"]
    assert [n for n, _ in net.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in net.named_children()] == ["fc", "act"]
    assert [n for n, _ in net.named_modules()] == ["", "fc", "act"]
    assert [n for n, _ in net.named_modules(prefix="net")] == ["net", "net.fc", "net.act"]
    assert [n for n, _ in net.named_parameters(prefix="m", recurse=False)] == ["m.scale"]
    assert list(net.state_dict().keys()) == ["scale", "steps", "fc.weight", "fc.bias"]
    assert net.note == "plain" and "note" in net.__dict__
    assert net.fc.weight is net._modules["fc"]._parameters["weight"]
    assert isinstance(net.fc.weight, nn.Parameter) and net.fc.weight.requires_grad
    for name in ("scale", "fc", "steps", "cache", "forward"):
        assert name in dir(net)


def test_reassigning_and_deleting_members():
    net = Net()
    net.scale = None
    assert net.scale is None and "scale" not in dict(net.named_parameters())
    net.scale = nn.Parameter(rustgrad.ones(2))
    assert list(dict(net.named_parameters())) == ["scale", "fc.weight", "fc.bias"]
    net.steps = rustgrad.ones(3)
    assert net._buffers["steps"].tolist() == [1.0, 1.0, 1.0]
    del net.fc
    assert not hasattr(net, "fc") and [n for n, _ in net.named_children()] == ["act"]
    del net.cache
    assert "cache" not in net._buffers and "cache" not in net._non_persistent_buffers_set
    net.act = nn.Tanh()
    assert isinstance(net._modules["act"], nn.Tanh)
    # a Module replacing a plain attribute moves it into _modules
    net.note = nn.Identity()
    assert "note" not in net.__dict__ and "note" in net._modules


def test_duplicates_are_yielded_once():
    shared = nn.Linear(2, 2)
    seq = nn.Sequential(shared, shared)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in seq.named_modules()] == ["", "0"]
    assert [n for n, _ in seq.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    assert len(list(seq.children())) == 1


def test_module_errors_match_torch():
    torch = torch_or_skip()

    def lin(lib):
        return lib.nn.Linear(2, 2)

    same_error(torch, lambda lib: setattr(lin(lib), "weight", lib.ones(2, 2)))
    same_error(torch, lambda lib: setattr(lin(lib), "weight", 3))
    same_error(torch, lambda lib: lin(lib).register_parameter("w", lib.ones(2)))
    same_error(torch, lambda lib: lin(lib).register_parameter("a.b", None))
    same_error(torch, lambda lib: lin(lib).register_parameter("", None))
    same_error(torch, lambda lib: lin(lib).register_parameter("forward", None))
    same_error(torch, lambda lib: lin(lib).register_parameter(3, None))
    same_error(torch, lambda lib: lin(lib).register_buffer("b", 3))
    same_error(torch, lambda lib: lin(lib).register_buffer("a.b", None))
    same_error(torch, lambda lib: lin(lib).register_buffer("weight", lib.ones(1)))
    same_error(torch, lambda lib: lin(lib).add_module("m", 3))
    same_error(torch, lambda lib: lin(lib).add_module("a.b", lib.nn.ReLU()))
    same_error(torch, lambda lib: lin(lib).add_module("", lib.nn.ReLU()))
    same_error(torch, lambda lib: lin(lib).missing)
    same_error(torch, lambda lib: lin(lib).train("yes"))
    same_error(torch, lambda lib: lin(lib).to(lib.int64))
    same_error(torch, lambda lib: lib.nn.Module()(1))
    same_error(torch, lambda lib: lib.nn.Module(3))
    same_error(torch, lambda lib: lib.nn.Module(a=3))

    def non_leaf(lib):
        m = lib.nn.Module()
        p = lib.nn.Parameter(lib.ones(2))
        m.register_parameter("p", p * 2)

    same_error(torch, non_leaf)

    def buffer_type(lib):
        m = lib.nn.BatchNorm1d(2)
        m.running_mean = [1, 2]

    same_error(torch, buffer_type)

    def child_type(lib):
        m = lib.nn.Sequential(lib.nn.ReLU())
        setattr(m, "0", 3)

    same_error(torch, child_type)


def test_train_eval_requires_grad_zero_grad():
    net = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Dropout(), nn.ReLU()))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    net(rustgrad.ones(3, 2)).sum().backward()
    w = net[0].weight
    g = w.grad
    net.zero_grad(set_to_none=False)
    assert w.grad is g and w.grad.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    net.zero_grad()
    assert w.grad is None


def test_to_double_float_keep_parameter_objects():
    net = Net()
    w = net.fc.weight
    net(rustgrad.ones(2, 3)).sum().backward()
    assert net.double() is net
    assert net.fc.weight is w and w.dtype == rustgrad.float64 and w.grad.dtype == rustgrad.float64
    assert isinstance(w, nn.Parameter) and w.requires_grad and w.is_leaf
    assert net.steps.dtype == rustgrad.float64
    net.to(rustgrad.float32)
    assert w.dtype == rustgrad.float32 and net.steps.dtype == rustgrad.float32
    net.to(dtype=rustgrad.float64)
    assert w.dtype == rustgrad.float64
    net.float()
    assert w.dtype == rustgrad.float32
    net.to("cpu")
    net.to(rustgrad.ones(1, dtype=rustgrad.float64))
    assert w.dtype == rustgrad.float64
    bn = nn.BatchNorm1d(2).double()
    assert bn.num_batches_tracked.dtype == rustgrad.int64 and bn.running_mean.dtype == rustgrad.float64


def test_apply_order_and_return():
    seen = []
    net = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []

    def pre(mod, args):
        calls.append("pre")
        return args[0] * 0

    def post(mod, args, out):
        calls.append("post")
        return out + 1

    h1 = m.register_forward_pre_hook(pre)
    h2 = m.register_forward_hook(post)
    out = m(rustgrad.ones(1, 2))
    assert calls == ["pre", "post"]
    np.testing.assert_allclose(arr(out), arr(m.bias).reshape(1, 2) + 1, rtol=1e-6)
    h1.remove()
    h2.remove()
    assert not m._forward_hooks and not m._forward_pre_hooks
    out = m(rustgrad.ones(1, 2))
    assert calls == ["pre", "post"]

    order = []
    m.register_forward_hook(lambda *a: order.append(1))
    m.register_forward_hook(lambda *a: order.append(0), prepend=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: order.append(kwargs), with_kwargs=True)
    m(rustgrad.ones(2))
    assert order == [0, 1, {}]

    with m.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] + 1,), kwargs), with_kwargs=True) as h:
        assert h.id in m._forward_pre_hooks
    assert h.id not in m._forward_pre_hooks


def test_always_called_hook_runs_when_forward_fails():
    class Bad(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    seen = []
    m = Bad()
    m.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        m(1)
    assert seen == [None]


def test_deepcopy_and_shared_parameters_after_copy():
    net = Net()
    clone = copy.deepcopy(net)
    assert clone.fc.weight is not net.fc.weight
    np.testing.assert_array_equal(arr(clone.fc.weight), arr(net.fc.weight))
    assert isinstance(clone.fc.weight, nn.Parameter)


# ----------------------------------------------------------------------------------------------
# Printing


def build_zoo(lib):
    n = lib.nn

    class Block(n.Module):
        def __init__(self):
            super().__init__()
            self.lin = n.Linear(4, 4, bias=False)
            self.norm = n.BatchNorm1d(4, momentum=None, affine=False)

        def extra_repr(self):
            return "custom=1\nsecond line"

    class Zoo(n.Module):
        def __init__(self):
            super().__init__()
            self.features = n.Sequential(
                n.Linear(3, 4), n.ReLU(), n.ReLU(inplace=True), n.Tanh(), n.Sigmoid(), n.GELU(), n.GELU("tanh"),
                n.SiLU(), n.SiLU(True), n.LeakyReLU(), n.LeakyReLU(0.2, True), n.ELU(), n.ELU(0.5, inplace=True),
                n.Softplus(), n.Softplus(2, 10), n.Softmax(dim=1), n.Softmax(), n.LogSoftmax(1), n.Softmin(0),
                n.Hardtanh(), n.Hardtanh(-2, 2, True), n.ReLU6(), n.ReLU6(True), n.Dropout(), n.Dropout(0.3, True),
                n.Identity(), n.Flatten(), n.Flatten(0, 2), n.Unflatten(1, (2, 2)),
            )
            self.blocks = n.ModuleList([Block(), Block(), n.Linear(1, 1), n.Linear(1, 1), n.Linear(1, 2)])
            self.heads = n.ModuleDict({"a": n.Bilinear(2, 3, 4), "b": n.Embedding(10, 3, padding_idx=0, max_norm=1.0)})
            self.plist = n.ParameterList([n.Parameter(lib.ones(2, 3)), lib.zeros(1, dtype=lib.float64)])
            self.pdict = n.ParameterDict({"x": n.Parameter(lib.ones(2)), "y": lib.zeros(3, 1)})
            self.emb = n.Embedding(5, 2, norm_type=1.0, scale_grad_by_freq=True)
            self.bn = n.BatchNorm1d(3, eps=1e-3, track_running_stats=False)
            self.empty = n.ModuleList()
            self.seq = n.Sequential()

    return Zoo()


def test_repr_matches_torch():
    torch = torch_or_skip()
    ours, theirs = repr(build_zoo(rustgrad)), repr(build_zoo(torch)).replace("torch", "rustgrad")
    assert ours == theirs


def test_repr_examples():
    assert repr(nn.Linear(3, 1)) == "Linear(in_features=3, out_features=1, bias=True)"
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.Module()) == "Module()"
    assert repr(nn.Sequential(nn.Linear(2, 2), nn.ReLU())) == (
        "Sequential(\n  (0): Linear(in_features=2, out_features=2, bias=True)\n  (1): ReLU()\n)"
    )


# ----------------------------------------------------------------------------------------------
# Containers


def test_sequential_behaviour():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c and list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c] and list(sub._modules) == ["1", "2"]
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    x = rustgrad.randn(4, 2)
    np.testing.assert_allclose(arr(seq(x)), arr(c(b(a(x)))))
    d = nn.Tanh()
    seq.append(d)
    assert seq[3] is d
    del seq[1]
    assert list(seq._modules) == ["0", "1", "2"] and list(seq) == [a, c, d]
    seq[1] = b
    assert seq[1] is b
    assert seq.pop(0) is a and len(seq) == 2
    seq.insert(0, a)
    assert list(seq) == [a, b, d]
    seq.extend([c])
    assert list(seq) == [a, b, d, c]
    named = nn.Sequential(OrderedDict([("first", a), ("second", b)]))
    assert named.first is a and list(named._modules) == ["first", "second"]
    both = named + nn.Sequential(c)
    assert list(both) == [a, b, c]
    assert list(nn.Sequential(b) * 2) == [b, b]
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential class"):
        named + 1
    assert "0" not in dir(seq)


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(layers) == 3 and len(list(layers.parameters())) == 6
    layers.append(nn.ReLU())
    layers.extend([nn.Tanh()])
    assert isinstance(layers[-1], nn.Tanh) and isinstance(layers[3], nn.ReLU)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    del layers[0]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    layers.insert(1, nn.Identity())
    assert isinstance(layers[1], nn.Identity) and len(layers) == 5
    with pytest.raises(IndexError, match="index 9 is out of range"):
        layers[9]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, but got int"):
        layers.extend(3)

    d = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    assert list(d.keys()) == ["b", "a"] and "a" in d and len(d) == 2
    d["c"] = nn.Identity()
    d.update([("e", nn.ReLU())])
    assert list(d) == ["b", "a", "c", "e"]
    assert isinstance(d.pop("a"), nn.Tanh) and "a" not in d
    with pytest.raises(ValueError, match="ModuleDict update sequence element #0 has length 1; 2 is required"):
        d.update([("x",)])
    d.clear()
    assert len(d) == 0


def test_parameter_list_and_dict():
    pl = nn.ParameterList([nn.Parameter(rustgrad.ones(2)), rustgrad.zeros(3)])
    assert len(pl) == 2 and all(isinstance(p, nn.Parameter) for p in pl)
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"]
    pl.append(rustgrad.ones(1))
    assert len(list(pl.parameters())) == 3 and isinstance(pl[1:], nn.ParameterList)
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)

    pd = nn.ParameterDict({"b": rustgrad.ones(1), "a": rustgrad.ones(2)})
    assert list(pd.keys()) == ["a", "b"]  # a plain dict is sorted, as in PyTorch
    pd["c"] = rustgrad.zeros(2)
    assert isinstance(pd["c"], nn.Parameter) and "c" in pd and len(pd) == 3
    assert [n for n, _ in pd.named_parameters()] == ["a", "b", "c"]
    assert pd.get("zz") is None and pd.pop("a").shape == (2,)
    with pytest.raises(TypeError, match="Index given to ParameterDict cannot be used as a key"):
        pd[1]
    merged = pd | nn.ParameterDict({"d": rustgrad.ones(1)})
    assert list(merged.keys()) == ["b", "c", "d"]


# ----------------------------------------------------------------------------------------------
# state_dict


def test_state_dict_values_are_detached_views():
    net = Net()
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    w = sd["fc.weight"]
    assert not w.requires_grad and w.grad_fn is None and not isinstance(w, nn.Parameter)
    with rustgrad.no_grad():
        net.fc.weight.fill_(3.0)
    assert w.tolist()[0][0] == 3.0  # shares storage
    kept = net.state_dict(keep_vars=True)
    assert kept["fc.weight"] is net.fc.weight
    prefixed = net.state_dict(prefix="model.")
    assert list(prefixed) == ["model.scale", "model.steps", "model.fc.weight", "model.fc.bias"]
    assert sd._metadata[""] == {"version": 1} and sd._metadata["fc"] == {"version": 1}


def test_load_state_dict_round_trip_and_assign():
    src, dst = Net(), Net()
    with rustgrad.no_grad():
        src.steps.fill_(7.0)
    result = dst.load_state_dict(src.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (n1, a), (n2, b) in zip(src.state_dict().items(), dst.state_dict().items()):
        assert n1 == n2
        np.testing.assert_array_equal(arr(a), arr(b))
    w = dst.fc.weight
    dst.load_state_dict(src.state_dict())
    assert dst.fc.weight is w  # copied in place

    sd = src.state_dict()
    dst.load_state_dict(sd, assign=True)
    assert isinstance(dst.fc.weight, nn.Parameter) and dst.fc.weight.requires_grad
    with rustgrad.no_grad():
        sd["fc.bias"].fill_(5.0)
    assert dst.fc.bias.tolist() == [5.0] * 4  # assigned: shares the state dict's storage


def test_load_state_dict_errors_match_torch():
    torch = torch_or_skip()

    def missing(lib):
        m = lib.nn.Linear(3, 1)
        m.load_state_dict({"weight": lib.zeros(1, 3)})

    def unexpected(lib):
        m = lib.nn.Linear(3, 1)
        sd = m.state_dict()
        sd["extra"] = lib.zeros(1)
        sd["sub.x"] = lib.zeros(1)
        del sd["bias"]
        m.load_state_dict(sd)

    def size(lib):
        m = lib.nn.Sequential(lib.nn.Linear(3, 1), lib.nn.BatchNorm1d(2))
        sd = m.state_dict()
        sd["0.weight"] = lib.zeros(2, 3)
        sd["1.running_mean"] = lib.zeros(3)
        m.load_state_dict(sd)

    def not_tensor(lib):
        m = lib.nn.Linear(3, 1)
        m.load_state_dict({"weight": [1, 2, 3], "bias": lib.zeros(1)})

    def not_mapping(lib):
        lib.nn.Linear(3, 1).load_state_dict([1])

    for f in (missing, unexpected, size, not_tensor, not_mapping):
        same_error(torch, f)

    def lenient(lib):
        m = lib.nn.Linear(3, 1)
        return repr(m.load_state_dict({"weight": lib.zeros(1, 3), "other": lib.zeros(1)}, strict=False))

    assert lenient(rustgrad) == lenient(torch)


def test_load_torch_weights_and_compare_outputs():
    torch = torch_or_skip()
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.BatchNorm1d(5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    rnet = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2))
    tnet.train()(torch.randn(8, 3))  # non-trivial running stats
    copy_params(tnet, rnet)
    tnet.eval(), rnet.eval()
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(arr(rnet(rustgrad.tensor(x))), tnet(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Linear and Bilinear


@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_against_torch(shape, bias):
    rng = np.random.default_rng(1)
    x, w, b = rng.standard_normal(shape), rng.standard_normal((4, 3)), rng.standard_normal(4)
    if bias:
        check_against_torch(lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), x, w, b)
    else:
        check_against_torch(lambda lib, x, w: lib.nn.functional.linear(x, w), x, w)


def test_linear_nodes_and_errors():
    torch = torch_or_skip()
    lin = nn.Linear(3, 2)
    assert type(lin(rustgrad.ones(4, 3)).grad_fn).__name__ == "AddmmBackward0"
    assert type(lin(rustgrad.ones(3)).grad_fn).__name__ == "ViewBackward0"
    assert type(lin(rustgrad.ones(2, 4, 3)).grad_fn).__name__ == "ViewBackward0"
    assert type(F.linear(rustgrad.ones(4, 3), lin.weight).grad_fn).__name__ == "MmBackward0"
    same_error(torch, lambda lib: lib.nn.Linear(3, 4)(lib.ones(2, 5)))
    same_error(torch, lambda lib: lib.nn.Linear(3, 4)(lib.ones(2, 3, dtype=lib.float64)))


def test_linear_default_init_matches_torch_stream():
    torch = torch_or_skip()
    torch.manual_seed(3)
    rustgrad.manual_seed(3)
    t, r = torch.nn.Linear(5, 3), nn.Linear(5, 3)
    np.testing.assert_array_equal(arr(r.weight), t.weight.detach().numpy())
    np.testing.assert_array_equal(arr(r.bias), t.bias.detach().numpy())
    assert r.weight.dtype == rustgrad.float32
    assert nn.Linear(2, 2, dtype=rustgrad.float64).weight.dtype == rustgrad.float64


def test_linear_init_bounds():
    lin = nn.Linear(400, 50)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives the same bound as the bias
    w, b = arr(lin.weight), arr(lin.bias)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    assert np.abs(b).max() <= bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.05 * bound


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
def test_linear_finite_differences(n, i, o):
    rng = np.random.default_rng(n * 9 + i * 3 + o)
    check_grads(F.linear, rng.standard_normal((n, i)), rng.standard_normal((o, i)), rng.standard_normal(o))


def test_bilinear_against_torch_and_finite_differences():
    rng = np.random.default_rng(2)
    x1, x2, w, b = rng.standard_normal((4, 2)), rng.standard_normal((4, 3)), rng.standard_normal((5, 2, 3)), rng.standard_normal(5)
    check_against_torch(lambda lib, x1, x2, w, b: lib.nn.functional.bilinear(x1, x2, w, b), x1, x2, w, b)
    check_against_torch(lambda lib, x1, x2, w: lib.nn.functional.bilinear(x1, x2, w), x1, x2, w)
    check_grads(F.bilinear, x1[:2], x2[:2], w[:2], b[:2])
    torch = torch_or_skip()
    torch.manual_seed(0)
    rustgrad.manual_seed(0)
    t, r = torch.nn.Bilinear(2, 3, 4), nn.Bilinear(2, 3, 4)
    np.testing.assert_array_equal(arr(r.weight), t.weight.detach().numpy())
    x1 = rng.standard_normal((2, 6, 2)).astype(np.float32)
    x2 = rng.standard_normal((2, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(
        arr(r(rustgrad.tensor(x1), rustgrad.tensor(x2))), t(torch.tensor(x1), torch.tensor(x2)).detach().numpy(),
        rtol=1e-5, atol=1e-6,
    )


# ----------------------------------------------------------------------------------------------
# Activations


ACTIVATIONS = [
    ("ReLU", (), "ReluBackward0"),
    ("Tanh", (), "TanhBackward0"),
    ("Sigmoid", (), "SigmoidBackward0"),
    ("GELU", (), "GeluBackward0"),
    ("GELU", ("tanh",), "GeluBackward0"),
    ("SiLU", (), "SiluBackward0"),
    ("LeakyReLU", (0.2,), "LeakyReluBackward0"),
    ("ELU", (0.7,), "EluBackward0"),
    ("Softplus", (2.0, 1.0), "SoftplusBackward0"),
    ("Hardtanh", (-0.5, 0.8), "HardtanhBackward0"),
    ("ReLU6", (), "HardtanhBackward0"),
    ("Softmax", (1,), "SoftmaxBackward0"),
    ("LogSoftmax", (1,), "LogSoftmaxBackward0"),
    ("Identity", (), None),
]


@pytest.mark.parametrize("name,args,node", ACTIVATIONS)
def test_activation_modules_against_torch(name, args, node):
    x = np.random.default_rng(4).standard_normal((3, 4)) * 4
    check_against_torch(lambda lib, x: getattr(lib.nn, name)(*args)(x * 1), x)
    out = getattr(nn, name)(*args)(rustgrad.tensor(x, requires_grad=True) * 1)
    if node is not None:
        assert type(out.grad_fn).__name__ == node


@pytest.mark.parametrize("name,args", [("ReLU", ()), ("SiLU", ()), ("LeakyReLU", (0.1,)), ("ELU", (1.0,)),
                                       ("Hardtanh", (-1.0, 1.0)), ("ReLU6", ())])
def test_inplace_activations(name, args):
    torch = torch_or_skip()
    x = np.random.default_rng(5).standard_normal((2, 5)) * 4
    outs = []
    for lib in (rustgrad, torch):
        t = lib.tensor(x.tolist(), dtype=lib.float64)
        out = getattr(lib.nn, name)(*args, inplace=True)(t)
        assert out is t
        outs.append(np.array(t.tolist()))
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-12)


def test_functional_activations_and_softmax_default_dim():
    torch = torch_or_skip()
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    for fname, kwargs in [("relu", {}), ("tanh", {}), ("sigmoid", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
                          ("leaky_relu", {"negative_slope": 0.3}), ("elu", {"alpha": 2.0}),
                          ("softplus", {"beta": 0.5, "threshold": 3.0}), ("hardtanh", {"min_val": -2.0, "max_val": 0.5}),
                          ("relu6", {}), ("softmax", {"dim": -1}), ("log_softmax", {"dim": 0}), ("softmin", {"dim": 1})]:
        check_against_torch(lambda lib, x: getattr(lib.nn.functional, fname)(x, **kwargs), x)
    for lib in (rustgrad, torch):
        with pytest.warns(UserWarning, match="Implicit dimension choice for softmax has been deprecated"):
            lib.nn.functional.softmax(lib.ones(2, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for shape in [(4,), (2, 3), (2, 3, 4), (2, 2, 3, 4)]:
            x = np.random.default_rng(7).standard_normal(shape)
            check_against_torch(lambda lib, x: lib.nn.Softmax()(x), x)
            check_against_torch(lambda lib, x: lib.nn.LogSoftmax()(x), x)
    same_error(torch, lambda lib: lib.nn.Hardtanh(1.0, -1.0))
    same_error(torch, lambda lib: lib.nn.functional.hardtanh(lib.ones(2), 1.0, -1.0))


def test_flatten_unflatten():
    torch = torch_or_skip()
    x = np.random.default_rng(8).standard_normal((2, 3, 4))
    check_against_torch(lambda lib, x: lib.nn.Flatten()(x), x)
    check_against_torch(lambda lib, x: lib.nn.Flatten(0, 1)(x), x)
    check_against_torch(lambda lib, x: lib.nn.Unflatten(2, (2, 2))(x), x)
    check_against_torch(lambda lib, x: lib.nn.Unflatten(-1, (2, -1))(x), x)
    assert type(nn.Unflatten(1, (3, 1))(rustgrad.ones(2, 3, requires_grad=True)).grad_fn).__name__ == "ViewBackward0"
    same_error(torch, lambda lib: lib.nn.Unflatten(1, 3))
    same_error(torch, lambda lib: lib.nn.Unflatten(1, (2, 2.0)))


# ----------------------------------------------------------------------------------------------
# Dropout


def test_dropout_eval_and_p0_return_the_input():
    x = rustgrad.randn(5, requires_grad=True)
    d = nn.Dropout(0.5).eval()
    assert d(x) is x and x.is_leaf and x.grad_fn is None
    assert F.dropout(x, 0.0) is x
    assert F.dropout(x, 0.5, training=False) is x
    y = F.dropout(x, 1.0)
    assert y.tolist() == [0.0] * 5 and type(y.grad_fn).__name__ == "MulBackward0"


def test_dropout_statistics_and_gradient():
    rustgrad.manual_seed(0)
    p = 0.3
    x = rustgrad.ones(200, 500, requires_grad=True)
    y = nn.Dropout(p)(x)
    assert type(y.grad_fn).__name__ == "MulBackward0"
    v = arr(y)
    kept = v != 0
    np.testing.assert_allclose(v[kept], 1 / (1 - p), rtol=1e-6)
    n = v.size
    assert abs(kept.mean() - (1 - p)) < 4 * math.sqrt(p * (1 - p) / n)
    assert abs(v.mean() - 1.0) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(arr(x.grad), v)  # d(x*mask) = mask
    # successive calls draw fresh masks
    assert (arr(F.dropout(x, p)) != v).any()


def test_dropout_inplace_and_errors():
    torch = torch_or_skip()
    x = rustgrad.ones(1000)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x and 0 < (arr(x) == 0).mean() < 1
    same_error(torch, lambda lib: lib.nn.Dropout(1.5))
    same_error(torch, lambda lib: lib.nn.functional.dropout(lib.ones(2), -0.1))


# ----------------------------------------------------------------------------------------------
# Embedding


def test_embedding_against_torch():
    rng = np.random.default_rng(9)
    w = rng.standard_normal((6, 3))
    idx_np = [[0, 2, 2], [5, 0, 1]]
    for kwargs in [{}, {"padding_idx": 2}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
                   {"padding_idx": 0, "scale_grad_by_freq": True}]:
        check_against_torch(
            lambda lib, w: lib.nn.functional.embedding(lib.tensor(idx_np), w * 1, **kwargs), w
        )
    check_against_torch(lambda lib, w: lib.nn.functional.embedding(lib.tensor(3), w * 1), w)
    check_against_torch(lambda lib, w: lib.nn.functional.embedding(lib.tensor([1, 4], dtype=lib.int32), w * 1), w)


def test_embedding_module_node_padding_and_finite_differences():
    torch = torch_or_skip()
    e = nn.Embedding(5, 2, padding_idx=1)
    assert arr(e.weight)[1].tolist() == [0.0, 0.0]
    out = e(rustgrad.tensor([[1, 3], [3, 4]]))
    assert out.shape == (2, 2, 2) and type(out.grad_fn).__name__ == "EmbeddingBackward0"
    out.sum().backward()
    assert arr(e.weight.grad).tolist() == [[0, 0], [0, 0], [0, 0], [2, 2], [1, 1]]
    check_grads(lambda w: F.embedding(rustgrad.tensor([0, 2, 2, 1]), w), np.random.default_rng(0).standard_normal((3, 2)))
    torch.manual_seed(1)
    rustgrad.manual_seed(1)
    np.testing.assert_array_equal(arr(nn.Embedding(4, 3).weight), torch.nn.Embedding(4, 3).weight.detach().numpy())
    same_error(torch, lambda lib: lib.nn.Embedding(3, 2)(lib.tensor([3])))
    same_error(torch, lambda lib: lib.nn.Embedding(3, 2)(lib.tensor([-1])))
    same_error(torch, lambda lib: lib.nn.Embedding(3, 2)(lib.tensor([1.0])))
    same_error(torch, lambda lib: lib.nn.Embedding(3, 2, padding_idx=3))
    same_error(torch, lambda lib: lib.nn.functional.embedding(lib.tensor([1]), lib.ones(3, 2), padding_idx=-4))


def test_embedding_max_norm_and_from_pretrained():
    torch = torch_or_skip()
    w = np.random.default_rng(10).standard_normal((5, 3)) * 3
    results = []
    for lib in (rustgrad, torch):
        e = lib.nn.Embedding.from_pretrained(lib.tensor(w.tolist()), freeze=False, max_norm=1.5)
        out = e(lib.tensor([0, 3, 3]))
        results.append((np.array(out.tolist()), np.array(e.weight.tolist()), repr(e)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    assert results[0][2] == results[1][2]
    frozen = nn.Embedding.from_pretrained(rustgrad.ones(2, 2))
    assert not frozen.weight.requires_grad


# ----------------------------------------------------------------------------------------------
# BatchNorm


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5)])
@pytest.mark.parametrize("options", [{}, {"affine": False}, {"momentum": None}, {"track_running_stats": False},
                                     {"bias": False}, {"momentum": 0.5, "eps": 1e-3}])
def test_batchnorm1d_training_steps_against_torch(shape, options):
    torch = torch_or_skip()
    rng = np.random.default_rng(11)
    t = torch.nn.BatchNorm1d(3, **options).double()
    r = nn.BatchNorm1d(3, **options).double()
    if t.weight is not None:
        with torch.no_grad():
            t.weight.copy_(torch.tensor(rng.standard_normal(3)))
            if t.bias is not None:
                t.bias.copy_(torch.tensor(rng.standard_normal(3)))
    copy_params(t, r)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        g = rng.standard_normal(shape)
        tx = torch.tensor(x, requires_grad=True)
        rx = rustgrad.tensor(x, requires_grad=True)
        tout, rout = t(tx), r(rx)
        assert type(rout.grad_fn).__name__ == "NativeBatchNormBackward0"
        np.testing.assert_allclose(arr(rout), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
        (tout * torch.tensor(g)).sum().backward()
        (rout * rustgrad.tensor(g)).sum().backward()
        np.testing.assert_allclose(arr(rx.grad), tx.grad.numpy(), rtol=1e-9, atol=1e-11)
        for (name, tp), rp in zip(t.named_parameters(), r.parameters()):
            np.testing.assert_allclose(arr(rp.grad), tp.grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)
        for (name, tb), rb in zip(t.named_buffers(), r.buffers()):
            np.testing.assert_allclose(arr(rb), tb.numpy(), rtol=1e-12, err_msg=name)
    t.eval(), r.eval()
    x = rng.standard_normal(shape)
    tx, rx = torch.tensor(x, requires_grad=True), rustgrad.tensor(x, requires_grad=True)
    tout, rout = t(tx), r(rx)
    np.testing.assert_allclose(arr(rout), tout.detach().numpy(), rtol=1e-10, atol=1e-12)
    tout.sum().backward(), rout.sum().backward()
    np.testing.assert_allclose(arr(rx.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert list(r.state_dict()) == list(t.state_dict())


def test_batchnorm_float32_buffers_and_num_batches_tracked():
    bn = nn.BatchNorm1d(2)
    assert bn.num_batches_tracked.dtype == rustgrad.int64 and bn.num_batches_tracked.item() == 0
    bn(rustgrad.randn(4, 2))
    bn(rustgrad.randn(4, 2))
    assert bn.num_batches_tracked.item() == 2
    assert bn.running_mean.dtype == rustgrad.float32 and not bn.running_mean.requires_grad
    bn.eval()(rustgrad.randn(4, 2))
    assert bn.num_batches_tracked.item() == 2


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_finite_differences(training):
    rng = np.random.default_rng(12)
    rm, rv = rustgrad.tensor(rng.standard_normal(3)), rustgrad.tensor(rng.random(3) + 0.5)

    def f(x, w, b):
        return F.batch_norm(x, rm.clone(), rv.clone(), w, b, training=training, momentum=0.1, eps=1e-5)

    check_grads(f, rng.standard_normal((4, 3, 2)), rng.standard_normal(3), rng.standard_normal(3), atol=1e-5)


def test_batch_norm_double_backward_against_torch():
    rng = np.random.default_rng(13)
    x, w, b = rng.standard_normal((5, 3)), rng.standard_normal(3), rng.standard_normal(3)

    def f(lib, x, w, b):
        out = lib.nn.functional.batch_norm(x, None, None, w, b, training=True)
        gx, gw = lib.autograd.grad((out ** 3).sum(), (x, w), create_graph=True)
        return gx * 2 + gw

    check_against_torch(f, x, w, b, atol=1e-8)


def test_batchnorm_errors_match_torch():
    torch = torch_or_skip()
    same_error(torch, lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(1, 3)))
    same_error(torch, lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(3)))
    same_error(torch, lambda lib: lib.nn.BatchNorm1d(3)(lib.randn(2, 4)))
    same_error(torch, lambda lib: lib.nn.BatchNorm2d(3)(lib.randn(2, 3)))
    # eval with a batch of one is fine
    bn = nn.BatchNorm1d(3).eval()
    assert bn(rustgrad.randn(1, 3)).shape == (1, 3)


# ----------------------------------------------------------------------------------------------
# init


def test_init_functions_fill_leaves_requiring_grad():
    x = rustgrad.tensor([1.0, 2.0], requires_grad=True)
    out = nn.init.zeros_(x)
    assert out is x and repr(x) == "tensor([0., 0.], requires_grad=True)" and x.is_leaf
    assert nn.init.ones_(x).tolist() == [1.0, 1.0]
    assert nn.init.constant_(x, 0.5).tolist() == [0.5, 0.5]
    m = rustgrad.empty(2, 3, requires_grad=True)
    assert nn.init.eye_(m).tolist() == [[1, 0, 0], [0, 1, 0]]
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        nn.init.eye_(x)


def test_fans_and_gains():
    init = nn.init
    assert init._calculate_fan_in_and_fan_out(rustgrad.empty(5, 3)) == (3, 5)
    assert init._calculate_fan_in_and_fan_out(rustgrad.empty(4, 2, 3, 3)) == (18, 36)
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(rustgrad.empty(3))
    assert init.calculate_gain("relu") == math.sqrt(2) and init.calculate_gain("tanh") == 5 / 3
    assert init.calculate_gain("conv2d") == 1 and init.calculate_gain("selu") == 0.75
    assert init.calculate_gain("leaky_relu", 0.2) == math.sqrt(2 / 1.04)
    with pytest.raises(ValueError, match="Unsupported nonlinearity foo"):
        init.calculate_gain("foo")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match=r"Mode fan_avg not supported, please use one of \['fan_in', 'fan_out'\]"):
        init.kaiming_uniform_(rustgrad.empty(2, 2), mode="fan_avg")


@pytest.mark.parametrize("name,kwargs", [
    ("uniform_", {"a": -2.0, "b": 3.0}), ("normal_", {"mean": 1.0, "std": 0.5}), ("xavier_uniform_", {"gain": 2.0}),
    ("xavier_normal_", {}), ("kaiming_uniform_", {"a": 0.1}), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("trunc_normal_", {"std": 0.5, "a": -0.4, "b": 0.9}), ("trunc_normal_", {"mean": 0.0, "std": 1.0, "a": 0.5, "b": 0.7}),
])
def test_init_draws_match_torch(name, kwargs):
    torch = torch_or_skip()
    torch.manual_seed(5)
    rustgrad.manual_seed(5)
    ours = getattr(nn.init, name)(rustgrad.empty(30, 40), **kwargs)
    theirs = getattr(torch.nn.init, name)(torch.empty(30, 40), **kwargs)
    np.testing.assert_allclose(arr(ours), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_init_distributions():
    rustgrad.manual_seed(0)
    w = arr(nn.init.kaiming_normal_(rustgrad.empty(300, 200), nonlinearity="relu"))
    assert abs(w.std() - math.sqrt(2 / 200)) < 0.02 * math.sqrt(2 / 200) * 5
    w = arr(nn.init.xavier_uniform_(rustgrad.empty(300, 200)))
    bound = math.sqrt(6 / 500)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = arr(nn.init.trunc_normal_(rustgrad.empty(200, 200), std=2.0, a=-1.0, b=1.5))
    assert w.min() >= -1.0 and w.max() <= 1.5
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        w = arr(nn.init.trunc_normal_(rustgrad.empty(100, 100), a=3.0, b=3.5))
    assert w.min() >= 3.0 and w.max() <= 3.5
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        nn.init.trunc_normal_(rustgrad.empty(3), mean=10.0)
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        nn.init.kaiming_uniform_(rustgrad.empty(0, 3))


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 2)])
def test_orthogonal(shape):
    w = nn.init.orthogonal_(rustgrad.empty(*shape, requires_grad=True), gain=2.0)
    assert w.requires_grad and w.is_leaf
    m = arr(w).reshape(shape[0], -1)
    small = min(m.shape)
    gram = m @ m.T if m.shape[0] == small else m.T @ m
    np.testing.assert_allclose(gram, 4 * np.eye(small), atol=1e-5)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        nn.init.orthogonal_(rustgrad.empty(3))


# ----------------------------------------------------------------------------------------------
# End to end: an MLP learns two interleaved spirals


def spirals(n=100, seed=0):
    rng = np.random.default_rng(seed)
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], 1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(0, 0.02, (2 * n, 2))
    y = np.concatenate([np.zeros(n), np.ones(n)]).astype(np.int64)
    return rustgrad.tensor(x.astype(np.float32)), rustgrad.tensor(y)


def nll(logits, target):
    if hasattr(F, "cross_entropy"):
        return F.cross_entropy(logits, target)
    return -F.log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).mean()


@pytest.mark.parametrize("make_opt,steps", [
    (lambda ps: rustgrad.optim.SGD(ps, lr=0.3, momentum=0.9), 300),
    (lambda ps: rustgrad.optim.Adam(ps, lr=0.02), 200),
])
def test_mlp_learns_spirals(make_opt, steps):
    rustgrad.manual_seed(0)
    x, y = spirals(60)
    model = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
    opt = make_opt(model.parameters())
    for _ in range(steps):
        opt.zero_grad()
        loss = nll(model(x), y)
        loss.backward()
        opt.step()
    with rustgrad.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    assert accuracy > 0.95, (accuracy, loss.item())
