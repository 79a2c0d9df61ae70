"""Module backward hooks (register_full_backward_hook, register_full_backward_pre_hook, the
deprecated register_backward_hook, the global register_module_* hooks), against PyTorch."""

import warnings

import pytest

import rustgrad

from _helpers import torch_or_skip


def _grads(gs):
    return tuple(None if g is None else [round(v, 5) for v in g.flatten().tolist()] for g in gs)


def _linear(lib):
    lin = lib.nn.Linear(3, 2)
    with lib.no_grad():
        lin.weight.copy_(lib.tensor([[1.0, 2, 3], [4, 5, 6]]))
        lin.bias.copy_(lib.tensor([0.5, -0.5]))
    return lin


def _full_hooks_order_and_replacement(lib):
    log = []
    lin = _linear(lib)
    lin.register_full_backward_hook(lambda m, gi, go: log.append(("full", type(m).__name__, _grads(gi), _grads(go))))
    first = lin.register_full_backward_hook(lambda m, gi, go: log.append(("first", _grads(gi))), prepend=True)
    pre = lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", _grads(go))))
    lin.register_full_backward_pre_hook(lambda m, go: (go[0] * 2,))
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre0", _grads(go))), prepend=True)
    x = lib.tensor([[1.0, -1, 2]], requires_grad=True)
    y = lin(x)
    log.append(y.grad_fn.name())
    (y * lib.tensor([[1.0, 3]])).sum().backward()
    log.append((x.grad.tolist(), lin.weight.grad.tolist(), lin.bias.grad.tolist()))
    # removed hooks stop firing; a full hook's returned grad_input replaces the input's gradient
    first.remove()
    pre.remove()
    lin.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 7,))
    x.grad = None
    lin(x).sum().backward()
    log.append(x.grad.tolist())
    return log


def _non_tensor_args_and_tuple_outputs(lib):
    log = []

    class Mixed(lib.nn.Module):
        def forward(self, a, k, b):
            return a * k, "tag", b * a

    m = Mixed()
    m.register_full_backward_hook(lambda mod, gi, go: log.append((_grads(gi), _grads(go))))
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    b = lib.tensor([3.0, 4.0])  # does not require grad
    p, tag, q = m(a, 3.0, b)
    (p.sum() + (q * 2).sum()).backward()
    log.append((tag, a.grad.tolist()))
    return log


def _no_input_requires_grad(lib):
    log = []
    lin = _linear(lib)
    lin.register_full_backward_hook(lambda m, gi, go: log.append((gi, _grads(go))))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        lin(lib.ones(1, 3)).sum().backward()
    log.append([str(x.message) for x in w])
    lin2 = _linear(lib)
    lin2.register_full_backward_hook(lambda m, gi, go: (lib.ones(1, 3),))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            lin2(lib.ones(1, 3)).sum().backward()
        except RuntimeError as e:
            log.append(str(e))
    return log


def _errors(lib):
    log = []
    x = lib.ones(1, 3, requires_grad=True)
    for bad in (lambda m, gi, go: (None, None),):
        lin = _linear(lib)
        lin.register_full_backward_hook(bad)
        try:
            lin(x).sum().backward()
        except RuntimeError as e:
            log.append(str(e))
    lin = _linear(lib)
    lin.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
    try:
        lin(x).sum().backward()
    except RuntimeError as e:
        log.append(str(e))
    lin = _linear(lib)
    lin.register_backward_hook(lambda *a: None)
    try:
        lin.register_full_backward_hook(lambda *a: None)
    except RuntimeError as e:
        log.append(str(e))
    lin = _linear(lib)
    lin.register_full_backward_hook(lambda *a: None)
    try:
        lin.register_backward_hook(lambda *a: None)
    except RuntimeError as e:
        log.append(str(e))
    return log


def _deprecated_hook(lib):
    log = []
    x = lib.tensor([[1.0, -1, 2]], requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        tanh = lib.nn.Tanh()
        tanh.register_backward_hook(lambda m, gi, go: log.append(("tanh", _grads(gi), _grads(go))))
        tanh(x).sum().backward()
        seq = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.ReLU())
        seq.register_backward_hook(lambda *a: None)
        seq(x)
        lin = _linear(lib)
        lin.register_backward_hook(lambda m, gi, go: (gi[0], gi[1] * 0, gi[2]))
        x.grad = None
        lin(x).sum().backward()
        log.append(x.grad.tolist())
    log.append([(w_.category.__name__, str(w_.message)) for w_ in w])
    return log


def _global_hooks(lib):
    log = []
    mm = lib.nn.modules.module
    h = mm.register_module_full_backward_hook(lambda m, gi, go: log.append(("global", type(m).__name__)))
    hp = mm.register_module_full_backward_pre_hook(lambda m, go: log.append(("global pre", type(m).__name__)))
    try:
        seq = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.Tanh())
        seq[0].register_full_backward_hook(lambda m, gi, go: log.append(("own", type(m).__name__)))
        seq(lib.ones(1, 3, requires_grad=True)).sum().backward()
        try:
            mm.register_module_backward_hook(lambda *a: None)
        except RuntimeError as e:
            log.append(str(e))
    finally:
        h.remove()
        hp.remove()
    lib.nn.Linear(3, 2)(lib.ones(1, 3, requires_grad=True)).sum().backward()
    return log


def _deprecated_hook_grad_shapes(lib):
    """The deprecated hook sees the grad_input of the module's last node (AddmmBackward0 for a
    Linear with bias: bias, input, weight.t()), reduced to its inputs' shapes as the engine does
    before post-hooks run: the bias gradient is [out], not [batch, out]."""
    log = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for bias in (True, False):
            lin = lib.nn.Linear(3, 2, bias=bias)
            with lib.no_grad():
                lin.weight.copy_(lib.tensor([[1.0, 2, 3], [4, 5, 6]]))
            lin.register_backward_hook(
                lambda m, gi, go: log.append(([None if g is None else list(g.shape) for g in gi], _grads(gi), _grads(go)))
            )
            x = lib.tensor([[1.0, 2, 3], [4, 5, 6]], requires_grad=True)
            lin(x).backward(lib.tensor([[1.0, 2], [3, 4]]))
            lin(lib.ones(4, 3)).sum().backward()  # the input needs no grad: None in its slot
        conv = lib.nn.Conv2d(1, 2, 2)
        conv.register_backward_hook(lambda m, gi, go: log.append([None if g is None else list(g.shape) for g in gi]))
        conv(lib.ones(2, 1, 3, 3, requires_grad=True)).sum().backward()
    log.append([(w.category.__name__, str(w.message)) for w in caught])
    return log


def _hooked_output_in_place(lib):
    """A module output wrapped by full backward hooks is a view made by a custom Function
    (BackwardHookFunction): modifying it in place is refused."""
    log = []

    def attempt(f):
        try:
            out = f()
            log.append(None if out is None else type(out).__name__)
        except RuntimeError as e:
            log.append(str(e))

    def linear_output(pre_hook_only=False, requires_grad=True):
        lin = _linear(lib)
        if pre_hook_only:
            lin.register_full_backward_pre_hook(lambda *a: None)
        else:
            lin.register_full_backward_hook(lambda *a: None)
        return lin(lib.ones(1, 3, requires_grad=requires_grad))

    attempt(lambda: linear_output().add_(1))
    attempt(lambda: linear_output().__setitem__(0, 1.0))
    attempt(lambda: linear_output().__setitem__((slice(None), 1), 1.0))
    attempt(lambda: linear_output(pre_hook_only=True, requires_grad=False).mul_(2))
    attempt(lambda: lib.relu_(linear_output().clone()).grad_fn)  # a clone may be modified
    relu = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.ReLU(inplace=True))
    relu[0].register_full_backward_hook(lambda *a: None)
    attempt(lambda: relu(lib.ones(1, 3, requires_grad=True)))
    y = linear_output()
    log.append((y._is_view(), y._base is not None, y.grad_fn.name()))
    return log


SCENARIOS = [_full_hooks_order_and_replacement, _non_tensor_args_and_tuple_outputs, _no_input_requires_grad,
             _errors, _deprecated_hook, _global_hooks, _deprecated_hook_grad_shapes, _hooked_output_in_place]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda f: f.__name__)
def test_backward_hooks_match_torch(scenario):
    torch = torch_or_skip()
    assert scenario(rustgrad) == scenario(torch)


def test_full_hook_values():
    log = _full_hooks_order_and_replacement(rustgrad)
    # pre-hooks run first (prepend first), see the output's gradient, and doubling it reaches the hooks
    assert log[0] == "BackwardHookFunctionBackward"
    assert log[1] == ("pre0", ([1.0, 3.0],)) and log[2] == ("pre", ([1.0, 3.0],))
    assert log[3] == ("first", ([26.0, 34.0, 42.0],))
    assert log[4] == ("full", "Linear", ([26.0, 34.0, 42.0],), ([2.0, 6.0],))
    assert log[5] == ([[26.0, 34.0, 42.0]], [[2.0, -2.0, 4.0], [6.0, -6.0, 12.0]], [2.0, 6.0])
    assert log[-1] == [[7.0, 7.0, 7.0]]


def test_hooks_see_none_for_non_tensors():
    log = _non_tensor_args_and_tuple_outputs(rustgrad)
    # b does not require grad: its slot gets zeros, the string output's slot None
    assert log[0] == (([9.0, 11.0], None, [0.0, 0.0]), ([1.0, 1.0], None, [2.0, 2.0]))
    assert log[1] == ("tag", [9.0, 11.0])


def test_hook_errors_and_handles():
    assert _errors(rustgrad) == [
        "Backward hook returned an invalid number of grad_input, got 2, but expected 1",
        "Backward pre hook returned an invalid number of grad_output, got 2, but expected 1",
        "Cannot use both regular backward hooks and full backward hooks on a single Module. "
        "Please use only one of them.",
        "Cannot use both regular backward hooks and full backward hooks on a single Module. "
        "Please use only one of them.",
    ]
    # global hooks run before the module's own; inner modules' hooks fire as the gradient reaches them
    assert _global_hooks(rustgrad) == [
        ("global pre", "Sequential"), ("global pre", "Tanh"), ("global", "Tanh"), ("global pre", "Linear"),
        ("global", "Linear"), ("own", "Linear"), ("global", "Sequential"),
        "Cannot use both regular backward hooks and full backward hooks as a global Module hook. "
        "Please use only one of them.",
    ]


def test_deprecated_hook_warns_and_replaces():
    log = _deprecated_hook(rustgrad)
    assert log[0][0] == "tanh" and log[1] == [[0.0, 0.0, 0.0]]
    assert {c for c, _ in log[2]} == {"FutureWarning"} and len(log[2]) == 3


def test_no_hooks_means_plain_call():
    lin = rustgrad.nn.Linear(3, 2)
    y = lin(rustgrad.ones(1, 3, requires_grad=True))
    assert y.grad_fn.name() == "AddmmBackward0"
    h = lin.register_full_backward_hook(lambda *a: None)
    assert lin(rustgrad.ones(1, 3, requires_grad=True)).grad_fn.name() == "BackwardHookFunctionBackward"
    # without grad mode nothing is wrapped
    with rustgrad.no_grad():
        assert lin(rustgrad.ones(1, 3, requires_grad=True)).grad_fn is None
    h.remove()
    assert lin(rustgrad.ones(1, 3, requires_grad=True)).grad_fn.name() == "AddmmBackward0"


def test_deprecated_hook_gets_the_last_nodes_grads_reduced_to_input_shapes():
    log = _deprecated_hook_grad_shapes(rustgrad)
    shapes, grads, grad_out = log[0]
    assert shapes == [[2], [2, 3], [3, 2]]
    assert grads[0] == [4.0, 6.0]  # the bias gradient: grad_output summed over the batch
    assert grads[1] == [9.0, 12.0, 15.0, 19.0, 26.0, 33.0] and grad_out == ([1.0, 2.0, 3.0, 4.0],)
    assert log[1][0] == [[2], None, [3, 2]]
    assert log[2][0] == [[2, 3], [3, 2]] and log[3][0] == [None, [3, 2]]  # no bias: MmBackward0
    assert log[4] == [[2, 1, 3, 3], [2, 1, 2, 2], [2]]
    # Linear's node has TBackward0 (of the weight) among its next functions: PyTorch's warning
    assert log[5] == [(
        "FutureWarning",
        "Using a non-full backward hook when the forward contains multiple autograd Nodes is deprecated and will be "
        "removed in future versions. This hook will be missing some grad_input. Please use "
        "register_full_backward_hook to get the documented behavior.",
    )] * 5  # four Linear calls and the Conv2d


HOOKED_IN_PLACE = (
    "Output 0 of {} is a view and is being modified inplace. This view was created inside a custom Function "
    "(or because an input was returned as-is) and the autograd logic to handle view+inplace would override the "
    "custom backward associated with the custom Function, leading to incorrect gradients. This behavior is "
    "forbidden. You can fix this by cloning the output of the custom Function."
)


def test_hooked_module_output_cannot_be_modified_in_place():
    assert _hooked_output_in_place(rustgrad) == [
        HOOKED_IN_PLACE.format("BackwardHookFunction"),
        HOOKED_IN_PLACE.format("Select"),
        HOOKED_IN_PLACE.format("Select"),
        HOOKED_IN_PLACE.format("BackwardHookFunction"),
        "ReluBackward0",
        HOOKED_IN_PLACE.format("BackwardHookFunction"),
        (True, True, "BackwardHookFunctionBackward"),
    ]
