"""Views whose base (or a sibling view) was modified in place after they were made: their history
is regenerated as PyTorch's (an AsStridedBackward0 into the base's current history), or refused
for views that cannot be rebased; and views made under no_grad of a base that requires grad.
(Split from test_views.py, which is near the file-size limit.)"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip

VIEWS = {
    "select": lambda x: x[0],
    "slice_step": lambda x: x[:, ::2],
    "transpose": lambda x: x.t(),
    "unsqueeze": lambda x: x.unsqueeze(1),
    "flat_view": lambda x: x.view(-1),
    "narrow": lambda x: x.narrow(1, 1, x.shape[1] - 1),
    "view_of_view": lambda x: x.t()[::2],
}


def _cat(lib, *ts):
    return lib.cat([t.reshape(-1) for t in ts])


# Each chain gets (lib, leaf a, x = a * 1, view v of x) and returns one tensor; the in-place ops
# happen after v was made, so v's history is stale when it is used.
CHAINS = {
    # The base changes, then the view is used (its regenerated node leads to the base's new node).
    "base": lambda lib, a, x, v: (x.mul_(a.sin()), v * v)[1],
    # A sibling view changes (the base gets a CopySlices), then the view is used.
    "sibling": lambda lib, a, x, v: (x[-1].mul_(x[-1].clone()), x[:, 0].exp_(), v.sin())[2],
    # The base changes, then the stale view itself is modified in place, then both are used.
    "view_in_place": lambda lib, a, x, v: (x.add_(a * a), v.mul_(v.clone()), _cat(lib, x, v))[2],
    # Several rounds through base and sibling views, the view read in between.
    "rounds": lambda lib, a, x, v: (
        x.mul_(2), w := v * 3, x[0].add_(a[-1]), v.sin_(), x[:, -1].mul_(x[:, 0].clone()), _cat(lib, x, v, w)
    )[5],
}


def _run(lib, view, chain, a):
    x = a * 1
    return CHAINS[chain](lib, a, x, VIEWS[view](x))


@st.composite
def _matrix(draw):
    rows, cols = draw(st.integers(2, 3)), draw(st.integers(2, 4))
    values = st.floats(-1.5, 1.5, allow_nan=False, width=64)
    return np.array(draw(st.lists(values, min_size=rows * cols, max_size=rows * cols))).reshape(rows, cols)


@pytest.mark.parametrize("chain", sorted(CHAINS))
@pytest.mark.parametrize("view", sorted(VIEWS))
@settings(max_examples=3, deadline=None)
@given(a=_matrix())
def test_stale_view_gradients_by_finite_differences(view, chain, a):
    check_grads(lambda t: _run(rustgrad, view, chain, t), a)


@pytest.mark.parametrize("chain", sorted(CHAINS))
@pytest.mark.parametrize("view", sorted(VIEWS))
def test_stale_view_gradients_against_pytorch(view, chain):
    a = np.random.default_rng(len(view) * 7 + len(chain)).uniform(-1, 1, (3, 4))
    check_against_torch(lambda lib, t: _run(lib, view, chain, t), a)


def _names(lib, view, chain):
    """grad_fn names along the regenerated view's history, read after the chain ran."""
    a = lib.ones(3, 4, requires_grad=True)
    x = a * 1
    v = VIEWS[view](x)
    CHAINS[chain](lib, a, x, v)
    fn = v.grad_fn
    return [type(fn).__name__, [type(n).__name__ for n, _ in fn.next_functions]]


@pytest.mark.parametrize("chain", sorted(CHAINS))
@pytest.mark.parametrize("view", ["select", "view_of_view"])
def test_regenerated_node_names_match_pytorch(view, chain):
    torch = torch_or_skip()
    assert _names(rustgrad, view, chain) == _names(torch, view, chain)


def test_brief_example_by_hand():
    a = rustgrad.ones(2, 3, requires_grad=True)
    x = a * 1
    v = x[0]
    assert type(v.grad_fn).__name__ == "SelectBackward0"
    x.mul_(2)
    fn = v.grad_fn
    assert type(fn).__name__ == "AsStridedBackward0"
    assert fn.next_functions[0][0] is x.grad_fn and type(x.grad_fn).__name__ == "MulBackward0"
    assert v.grad_fn is fn  # regenerated once, then current
    assert (fn._saved_size, fn._saved_stride, fn._saved_storage_offset) == ((3,), (1,), 0)
    v.sum().backward()
    assert a.grad.tolist() == [[2.0, 2.0, 2.0], [0.0, 0.0, 0.0]]


def test_sibling_view_and_view_of_view_by_hand():
    a = rustgrad.ones(2, 3, requires_grad=True)
    x = a * 1
    v, w = x[0], x[:, 1]
    w.mul_(3)
    assert type(v.grad_fn.next_functions[0][0]).__name__ == "CopySlices"
    v.sum().backward()
    assert a.grad.tolist() == [[1.0, 3.0, 1.0], [0.0, 0.0, 0.0]]

    a = rustgrad.ones(2, 3, requires_grad=True)
    x = a * 1
    v = x[0]
    u = v[1:]
    v.mul_(3)
    assert v.grad_fn.next_functions[0][0] is u.grad_fn.next_functions[0][0] is x.grad_fn
    u.sum().backward()
    assert a.grad.tolist() == [[0.0, 3.0, 3.0], [0.0, 0.0, 0.0]]


def test_in_place_on_a_stale_view_by_hand():
    a = rustgrad.ones(2, 3, requires_grad=True)
    x = a * 1
    v = x[0]
    x.mul_(2)
    v.add_(1)  # x = [[2a+1], [2a]] ; d(sum x + sum v)/da = [[4], [2]]
    assert type(v.grad_fn).__name__ == "AsStridedBackward0" and type(x.grad_fn).__name__ == "CopySlices"
    (x.sum() + v.sum()).backward()
    assert a.grad.tolist() == [[4.0, 4.0, 4.0], [2.0, 2.0, 2.0]]


def test_view_of_a_leaf_modified_under_no_grad_by_hand():
    a = rustgrad.ones(2, 3, requires_grad=True)
    v = a[:, 0]
    with rustgrad.no_grad():
        a.mul_(5)
    assert type(v.grad_fn).__name__ == "AsStridedBackward0"
    assert type(v.grad_fn.next_functions[0][0]).__name__ == "AccumulateGrad"
    (v * v).sum().backward()  # v = 5 after the change: d(v^2) = 2v at column 0
    assert a.grad.tolist() == [[10.0, 0.0, 0.0], [10.0, 0.0, 0.0]]


def test_view_of_a_base_that_gains_a_history():
    b = rustgrad.ones(2, 3, requires_grad=True)
    x = rustgrad.zeros(2, 3)
    v = x[1]
    assert not v.requires_grad and v.grad_fn is None
    x.add_(b * 2)
    assert v.requires_grad and not v.is_leaf
    assert type(v.grad_fn.next_functions[0][0]).__name__ == "AddBackward0"
    v.sum().backward()
    assert b.grad.tolist() == [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]


def test_retain_grad_follows_the_regenerated_node():
    a = rustgrad.ones(2, 3, requires_grad=True)
    x = a * 1
    v = x[0]
    v.retain_grad()
    x.mul_(2)
    (v * 4).sum().backward()
    assert v.grad.tolist() == [4.0, 4.0, 4.0]
    assert a.grad.tolist() == [[8.0, 8.0, 8.0], [0.0, 0.0, 0.0]]


def _no_grad_view(lib, base_kind):
    a = lib.ones(2, 3, requires_grad=True)
    x = a if base_kind == "leaf" else a * 1
    with lib.no_grad():
        v = x[0]
    return a, x, v


@pytest.mark.parametrize("base_kind", ["leaf", "nonleaf"])
def test_no_grad_view_of_a_base_that_requires_grad(base_kind):
    a, x, v = _no_grad_view(rustgrad, base_kind)
    assert v.requires_grad and v.is_leaf and v.grad_fn is None and v.grad is None
    assert repr(v) == "tensor([1., 1., 1.], requires_grad=True)"
    y = v * 2  # recorded (v requires grad) but no gradient reaches the base
    assert y.requires_grad and [n for n, _ in y.grad_fn.next_functions] == [None, None]
    y.sum().backward()
    assert a.grad is None
    v.requires_grad_(False)  # no effect: the base decides
    assert v.requires_grad
    with pytest.raises(RuntimeError, match="^element 0 of tensors does not require grad and does not have a grad_fn$"):
        v.backward(rustgrad.ones(3))


def _error(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e)
    return None


def _restricted_cases(lib):
    """(name, action) pairs whose outcome (error type and text, or None) is compared with PyTorch."""

    def no_grad_direct():
        _, _, v = _no_grad_view(lib, "nonleaf")
        v.mul_(2)

    def no_grad_view_of_view_direct():
        _, _, v = _no_grad_view(lib, "nonleaf")
        w = v[1:]
        assert type(w.grad_fn).__name__ == "SliceBackward0"
        w.mul_(2)

    def no_grad_indirect():
        _, x, v = _no_grad_view(lib, "nonleaf")
        x.mul_(2)
        return v.grad_fn

    def no_grad_view_of_view_indirect():
        _, x, v = _no_grad_view(lib, "nonleaf")
        w = v[1:]
        x.mul_(2)
        return w.grad_fn

    def no_grad_leaf_changed_under_no_grad():
        a, _, v = _no_grad_view(lib, "leaf")
        with lib.no_grad():
            a.mul_(2)
            return v.grad_fn  # refused in no_grad mode too

    def no_grad_view_operand_brings_grad():
        x, b = lib.ones(3), lib.ones(3, requires_grad=True)
        with lib.no_grad():
            v = x[1:]
        v.add_(b[1:])

    def unbind_after_base(attr):
        def run():
            x = lib.ones(2, 3, requires_grad=True) * 1
            u0, _ = x.unbind(0)
            x.mul_(2)
            return attr(u0)
        return run

    def split_after_sibling():
        x = lib.ones(4, 3, requires_grad=True) * 1
        s = x.split(2)
        x[3].add_(1)
        return s[0] * 2

    def view_of_unbind_after_base():
        x = lib.ones(2, 3, requires_grad=True) * 1
        u0, _ = x.unbind(0)
        w = u0[1:]
        x.mul_(2)
        return w.grad_fn

    def custom_function_after_base():
        Id = type("Id", (lib.autograd.Function,), {
            "forward": staticmethod(lambda ctx, t: t.view_as(t)),
            "backward": staticmethod(lambda ctx, g: g),
        })
        x = lib.ones(2, 3, requires_grad=True) * 1
        y = Id.apply(x)
        x.mul_(2)
        return y.grad_fn

    return [
        ("no_grad_direct", no_grad_direct),
        ("no_grad_view_of_view_direct", no_grad_view_of_view_direct),
        ("no_grad_indirect", no_grad_indirect),
        ("no_grad_view_of_view_indirect", no_grad_view_of_view_indirect),
        ("no_grad_leaf_changed_under_no_grad", no_grad_leaf_changed_under_no_grad),
        ("no_grad_view_operand_brings_grad", no_grad_view_operand_brings_grad),
        ("unbind_grad_fn", unbind_after_base(lambda u: u.grad_fn)),
        ("unbind_is_leaf", unbind_after_base(lambda u: u.is_leaf)),
        ("unbind_op_input", unbind_after_base(lambda u: u * 2)),
        ("unbind_retain_grad", unbind_after_base(lambda u: u.retain_grad())),
        ("unbind_register_hook", unbind_after_base(lambda u: u.register_hook(lambda g: g))),
        ("unbind_in_place", unbind_after_base(lambda u: u.mul_(2))),
        ("unbind_requires_grad", unbind_after_base(lambda u: assert_(u.requires_grad))),
        ("split_after_sibling", split_after_sibling),
        ("view_of_unbind_after_base", view_of_unbind_after_base),
        ("custom_function_after_base", custom_function_after_base),
    ]


def assert_(cond):
    assert cond


def _normalise(outcome):
    return None if outcome is None else (outcome[0], outcome[1].replace("torch", "rustgrad"))


@pytest.mark.parametrize("index", range(len(_restricted_cases(rustgrad))))
def test_restricted_view_errors_match_pytorch(index):
    torch = torch_or_skip()
    name, ours = _restricted_cases(rustgrad)[index]
    _, theirs = _restricted_cases(torch)[index]
    assert _error(ours) == _normalise(_error(theirs)), name


def test_restricted_view_error_texts():
    indirect = "its base or another view of its base has been modified inplace"
    cases = dict(_restricted_cases(rustgrad))
    kind, text = _error(cases["no_grad_indirect"])
    assert kind == "RuntimeError" and text.startswith(f"A view was created in no_grad mode and {indirect} with grad mode enabled.")
    kind, text = _error(cases["no_grad_direct"])
    assert text.startswith("A view was created in no_grad mode and is being modified inplace with grad mode enabled.")
    _, text = _error(cases["no_grad_view_of_view_direct"])
    assert text.startswith("Output 0 of Slice is a view of a view which was created in no_grad mode and is being modified")
    _, text = _error(cases["unbind_grad_fn"])
    assert text.startswith(f"Output 0 of Unbind is a view and {indirect}. This view is the output of a function that")
    _, text = _error(cases["custom_function_after_base"])
    assert text.startswith(f"Output 0 of Id is a view and {indirect}. This view was created inside a custom Function")
    assert _error(cases["unbind_requires_grad"]) is None


def test_repr_of_a_view_that_refuses_its_history():
    x = rustgrad.ones(2, 3, requires_grad=True) * 1
    u0, _ = x.unbind(0)
    x.mul_(2)
    assert repr(u0) == "tensor([2., 2., 2.], grad_fn=<Invalid>)"
    torch = torch_or_skip()
    t = torch.ones(2, 3, requires_grad=True) * 1
    t0, _ = t.unbind(0)
    t.mul_(2)
    assert repr(t0) == repr(u0)


def _hook_trace(lib, case):
    """The gradients each tensor hook saw, then the leaf's and the retained gradients."""
    seen = []

    def hook(name, f=lambda g: g):
        return lambda g: (seen.append((name, g.tolist())), f(g))[1]

    a = lib.ones(2, 3, requires_grad=True)
    x = a * 1
    if case == "in_place_on_tensor":  # a hook stays with the node it was registered on
        x.register_hook(hook("before", lambda g: g * 10))
        x.retain_grad()
        x.mul_(2)
        x.register_hook(hook("after", lambda g: g + 1))
        (x * 3).sum().backward()
        return seen, a.grad.tolist(), x.grad.tolist()
    v = x[0]
    v.register_hook(hook("before", lambda g: g * 10))
    v.retain_grad()
    if case == "regenerated_view":  # the old SelectBackward0 is left out of the new graph
        x.mul_(2)
    else:  # in_place_on_view
        v.mul_(2)
    v.register_hook(hook("after", lambda g: g + 1))
    (v * 4).sum().backward()
    return seen, a.grad.tolist(), v.grad.tolist()


def test_hooks_stay_with_their_node_by_hand():
    seen, a_grad, x_grad = _hook_trace(rustgrad, "in_place_on_tensor")
    # x1 = a, x2 = 2 x1, loss = 3 sum x2: "after" sees 3 (-> 4, retained), "before" sees 8 (-> 80)
    assert seen == [("after", [[3.0] * 3] * 2), ("before", [[8.0] * 3] * 2)]
    assert a_grad == [[80.0] * 3] * 2 and x_grad == [[4.0] * 3] * 2
    # Both hooks sit on v's old SelectBackward0 (the second joins the first's hook set without
    # reading grad_fn, as PyTorch's _backward_hooks dict), which the regenerated graph skips:
    # v = 2 a[0], loss = 4 sum v.
    seen, a_grad, v_grad = _hook_trace(rustgrad, "regenerated_view")
    assert seen == [] and v_grad == [4.0] * 3
    assert a_grad == [[8.0] * 3, [0.0] * 3]
    seen, _, _ = _hook_trace(rustgrad, "in_place_on_view")
    assert seen == [("after", [4.0] * 3)]


@pytest.mark.parametrize("case", ["in_place_on_tensor", "regenerated_view", "in_place_on_view"])
def test_hooks_across_history_changes_match_pytorch(case):
    torch = torch_or_skip()
    assert _hook_trace(rustgrad, case) == _hook_trace(torch, case)
