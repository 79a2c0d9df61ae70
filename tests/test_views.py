"""Views and shape ops: view / reshape / flatten, transpose / t / T / mT / permute, squeeze /
unsqueeze, narrow / select, contiguous; split / chunk / unbind, cat / stack, repeat; gather /
scatter / scatter_add / index_select / masked_select, flip / roll / tril / triu; and existing ops on
non-contiguous inputs.

Strings are PyTorch's (torch 2.13), with ``torch`` spelt ``rustgrad``.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rustgrad
from _helpers import check_against_torch, check_grads, torch_or_skip, assert_error, assert_same_error_as_torch

FEW = settings(max_examples=8, deadline=None)


def _a():
    return rustgrad.tensor([[0., 1., 2.], [3., 4., 5.]], requires_grad=True)


def _name(t):
    return None if t.grad_fn is None else type(t.grad_fn).__name__


# ----- parity table: node names, next functions, shapes, strides, values, errors -----

SETUP = (
    "a = torch.tensor([[0., 1., 2.], [3., 4., 5.]], requires_grad=True); "
    "v = torch.tensor([1., 2., 3.], requires_grad=True); s = torch.tensor(3., requires_grad=True); "
    "x4 = torch.zeros(1, 2, 1, 3, requires_grad=True); i = torch.tensor([[0, 1], [1, 0]])"
)

EXPRESSIONS = [
    "a.t()", "v.t()", "s.t()", "a.T", "v.T", "s.T", "x4.T", "a.mT", "x4.mT", "v.mT",
    "a.permute(1, 0)", "a.permute((1, 0))", "a.permute(0, 1)", "a.permute(0, 0)", "a.permute(0)",
    "a.transpose(0, 1)", "a.transpose(0, 0)", "a.transpose(0, 2)", "x4.transpose(1, 3)", "a.swapaxes(0, 1)",
    "a.view(3, 2)", "a.view(-1)", "a.view((3, 2))", "a.t().view(6)", "a.t().view(3, 2)", "a.t().view(3, 1, 2)",
    "a.view(4)", "a.view(-1, -1)", "a.view(-1, 4)", "a.view(0, -1)", "a.view(-2, 3)", "s.view(1, 1)",
    "a[:, 1:].view(4)", "a[:, 1:].view(2, 2, 1)", "a.view_as(torch.zeros(3, 2))",
    "a.reshape(3, 2)", "a.t().reshape(6)", "a.t().reshape(3, 2)", "a.reshape_as(torch.zeros(6))",
    "a.flatten()", "v.flatten()", "s.flatten()", "a.flatten(0, 0)", "x4.flatten(1, 2)", "a.flatten(1, 0)",
    "a.t().flatten()", "torch.flatten(x4, 1)",
    "x4.squeeze()", "x4.squeeze(0)", "x4.squeeze(1)", "x4.squeeze((0, 2))", "x4.squeeze(dim=(0, 2))",
    "s.squeeze()", "s.squeeze(0)", "a.squeeze()", "x4.squeeze(4)", "torch.squeeze(x4, 2)",
    "a.unsqueeze(0)", "a.unsqueeze(-1)", "a.unsqueeze(3)", "s.unsqueeze(0)", "torch.unsqueeze(v, 1)",
    "a.narrow(1, 0, 2)", "a.narrow(1, 2, 2)", "a.narrow(1, -1, 1)", "a.narrow(0, 0, 0)",
    "a.select(0, 1)", "a.select(1, -1)", "a.select(1, 3)", "a.t().contiguous()", "a.expand(2, 2, 3)",
    "a.split(1)", "a.split([1, 1])", "a.split([1, 2], 1)", "a.split(2, 1)", "a.split(0)", "a.split([1, 1, 1])",
    "a.chunk(2)", "a.chunk(2, 1)", "a.chunk(0)", "a.chunk(4, 1)", "a.unbind()", "a.unbind(1)",
    "torch.tensor(1.).unbind()", "torch.split(a, 1, 1)", "torch.chunk(a, 3, 1)", "torch.unbind(a, 1)",
    "torch.cat([a, a])", "torch.cat([a, a], 1)", "torch.cat([a, a], 2)", "torch.cat([a, torch.ones(2, 2)])",
    "torch.cat([a, torch.ones(3)])", "torch.cat([])", "torch.cat([a, torch.tensor([])])",
    "torch.cat([a, torch.ones(2, 3, dtype=torch.float64)])", "torch.cat([torch.tensor(1.), torch.tensor(2.)])",
    "torch.cat([a, torch.ones(2, 3, dtype=torch.long)])", "torch.cat(a)", "torch.cat([a], -1)",
    "torch.cat((a, v))", "torch.cat([a.t(), a.t()], 1)", "torch.concat([v, v])",
    "torch.stack([a, a])", "torch.stack([a, a], 2)", "torch.stack([a, a], 3)", "torch.stack([a, torch.ones(2, 2)])",
    "torch.stack([])", "torch.stack([a, a], -1)", "torch.stack([a.t(), a.t()], 1)",
    "v.repeat(2)", "v.repeat(2, 2)", "a.repeat(2)", "a.repeat(1, 2, 1)", "v.repeat(-1)", "a.t().repeat(2, 1)",
    "a.gather(1, i)", "a.gather(1, torch.tensor([[0], [5]]))", "a.gather(1, torch.tensor([0, 1]))",
    "a.gather(1, torch.tensor([[0.]]))", "a.gather(0, torch.tensor([[0, 1, 1, 0]]))",
    "a.gather(1, torch.tensor([[0, 1, 1, 0]]))", "a.t().gather(0, torch.tensor([[1, 0], [0, 1]]))",
    "torch.gather(a, 0, torch.tensor([[1, 0, 1]]))",
    "a.scatter(1, i, torch.ones(2, 2))", "a.scatter(1, i, 5.)", "a.scatter(1, i, value=5.)",
    "a.scatter_add(1, i, torch.ones(2, 2))", "torch.zeros(2, 3).scatter_(1, i, a)",
    "torch.zeros(2, 3).scatter_add_(1, i, a)", "torch.scatter(a, 0, i, torch.ones(2, 2))",
    "a.index_select(0, torch.tensor([1, 0, 1]))", "a.index_select(1, torch.tensor([3]))",
    "a.index_select(1, torch.tensor([[1]]))", "a.t().index_select(1, torch.tensor([1, 1]))",
    "a.flip(0)", "a.flip((0, 1))", "a.flip(0, 0)", "a.roll(1)", "a.roll(1, 1)", "a.roll((1, 1), (0, 1))",
    "a.roll(1, (0, 1))", "a.t().roll(1)", "a.roll(-4, 1)",
    "a.tril()", "a.triu(1)", "v.tril()", "a.t().tril(-1)", "torch.triu(a, -1)", "torch.tril(x4)",
    "a.masked_select(torch.tensor([[False, True, False], [True, True, False]]))",
    "a.masked_select(torch.tensor([True, False, True]))", "a.masked_select(torch.tensor([1, 0, 1]))",
    "a.t().sum(1)", "a.t().mean(0)", "(a.t() * 2).sum(0)", "a[:, ::2].exp()", "a[:, 1:] - a[:, :2]",
]


def _describe(lib, code):
    env = {"torch": lib}
    exec(SETUP, env)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = eval(code, env)
    except Exception as e:  # noqa: BLE001 - compared with PyTorch's
        return ("error", type(e).__name__, str(e).replace("torch.", "rustgrad."))

    def one(x):
        nexts = None if x.grad_fn is None else tuple(
            None if f is None else (type(f).__name__, n) for f, n in x.grad_fn.next_functions)
        return (_name(x), nexts, x.output_nr, tuple(x.shape), str(x.dtype).split(".")[-1], x.tolist(),
                x.requires_grad, x.is_leaf)

    if isinstance(result, tuple):
        return tuple(one(x) for x in result)
    return one(result)


@pytest.mark.parametrize("code", EXPRESSIONS)
def test_matches_pytorch(code):
    torch = torch_or_skip()
    assert _describe(rustgrad, code) == _describe(torch, code)


VIEW_STRIDES = [
    "a.t()", "a.T", "a.permute(1, 0)", "a.transpose(0, 1)", "a.view(3, 2)", "a.t().view(3, 1, 2)",
    "x4.squeeze()", "x4.squeeze(0)", "a.unsqueeze(1)", "a.narrow(1, 1, 2)", "a.select(1, 1)",
    "a.t().reshape(3, 2)", "a.expand(2, 2, 3)", "a[:, 1:].view(2, 2, 1)",
]


@pytest.mark.parametrize("code", VIEW_STRIDES)
def test_view_strides_match_pytorch(code):
    torch = torch_or_skip()
    got, want = [], []
    for lib, out in ((rustgrad, got), (torch, want)):
        env = {"torch": lib}
        exec(SETUP, env)
        t = eval(code, env)
        out.append((t.stride(), t.is_contiguous()))
    assert got == want


# ----- literal behaviour from the spec (no PyTorch needed) -----

def test_grad_fn_names_of_the_spec_table():
    a = _a()
    x = rustgrad.zeros(1, 2, 1, requires_grad=True)
    v = rustgrad.tensor([1., 2., 3.], requires_grad=True)
    assert _name(a.T) == "PermuteBackward0"
    assert _name(a.permute(1, 0)) == "PermuteBackward0"
    assert _name(a.t()) == "TBackward0"
    assert _name(a.transpose(0, 1)) == "TransposeBackward0"
    for t in (a.reshape(3, 2), a.reshape(-1), a.view(3, 2), a.view(-1), a.flatten()):
        assert _name(t) == "ViewBackward0"
    assert _name(a.T.contiguous()) == "CloneBackward0"
    assert _name(a.narrow(1, 0, 2)) == "SliceBackward0"
    assert _name(a.select(0, 1)) == "SelectBackward0"
    assert _name(a.unsqueeze(0)) == "UnsqueezeBackward0"
    assert _name(x.squeeze()) == "SqueezeBackward0"
    assert _name(x.squeeze(0)) == "SqueezeBackward1"
    assert _name(v.unsqueeze(0).expand(2, 3)) == "ExpandBackward0"
    assert _name(v.repeat(2)) == "RepeatBackward0"
    assert _name(a.split(1)[0]) == "SplitBackward0"
    assert _name(a.chunk(2)[1]) == "SplitBackward0"
    assert _name(a.unbind()[0]) == "UnbindBackward0"
    assert _name(rustgrad.cat([a, a])) == "CatBackward0"
    assert _name(rustgrad.cat([a, a], 1)) == "CatBackward0"
    assert _name(rustgrad.stack([a, a])) == "StackBackward0"
    assert _name(a.index_select(0, rustgrad.tensor([1]))) == "IndexSelectBackward0"
    assert _name(a.gather(1, rustgrad.tensor([[0], [1]]))) == "GatherBackward0"


def test_next_functions_of_cat_and_unbind():
    a, b = _a(), _a()
    c = rustgrad.tensor([[1., 1., 1.]])
    nexts = rustgrad.cat([a, b, c]).grad_fn.next_functions
    assert [(None if f is None else type(f).__name__, n) for f, n in nexts] == [
        ("AccumulateGrad", 0), ("AccumulateGrad", 0), (None, 0)]
    u = a.unbind()
    f, n = (u[1] * 1).grad_fn.next_functions[0]
    assert (type(f).__name__, n) == ("UnbindBackward0", 1)


def test_error_texts_of_the_spec():
    a = rustgrad.ones(2, 3)
    cases = [
        (lambda: a.t().view(6), RuntimeError,
         "view size is not compatible with input tensor's size and stride (at least one dimension spans across two "
         "contiguous subspaces). Use .reshape(...) instead."),
        (lambda: a.view(4), RuntimeError, "shape '[4]' is invalid for input of size 6"),
        (lambda: a.reshape(4), RuntimeError, "shape '[4]' is invalid for input of size 6"),
        (lambda: a.sum(2), IndexError, "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
        (lambda: rustgrad.cat([rustgrad.ones(2, 3), rustgrad.ones(2, 2)]), RuntimeError,
         "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 2 for tensor number 1 in the list."),
        (lambda: rustgrad.stack([rustgrad.ones(2, 3), rustgrad.ones(2, 2)]), RuntimeError,
         "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 2] at entry 1"),
        (lambda: a.expand(3, 3), RuntimeError,
         "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0.  "
         "Target sizes: [3, 3].  Tensor sizes: [2, 3]"),
    ]
    for fn, kind, message in cases:
        with pytest.raises(kind) as info:
            fn()
        assert str(info.value) == message


def test_T_warns_outside_two_dims():
    with pytest.warns(UserWarning, match="The use of `x.T` on tensors of dimension other than 2"):
        rustgrad.ones(3).T
    with pytest.warns(UserWarning, match="Tensor.T is deprecated on 0-D tensors"):
        rustgrad.tensor(1.).T
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rustgrad.ones(2, 3).T


def test_views_share_storage_both_ways_and_the_version_counter():
    base = rustgrad.zeros(2, 3)
    for make in (lambda t: t.t(), lambda t: t[1], lambda t: t.view(6), lambda t: t.narrow(1, 1, 2),
                 lambda t: t.unsqueeze(0), lambda t: t.permute(1, 0), lambda t: t.split(1)[1]):
        t = base.clone()
        v = make(t)
        before = t._version
        v.add_(1)
        assert t._version == v._version == before + 1
        assert t.sum().item() == v.numel()
        t.mul_(3)
        assert v._version == t._version
        assert v.sum().item() == 3 * v.numel()


def test_contiguous_returns_self_when_already_contiguous():
    a = _a()
    assert a.contiguous() is a
    t = a.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.tolist() == t.tolist()
    assert a.flatten(0, 0) is a


def test_second_backward_follows_the_saved_tensors():
    message = "Trying to backward through the graph a second time"
    for make, fails in ((lambda a: a[0], False), (lambda a: a.t(), False), (lambda a: rustgrad.cat([a, a]), False),
                        (lambda a: a.split(1)[0], False), (lambda a: a.repeat(2, 1), False),
                        (lambda a: a.flip(0), False), (lambda a: a.gather(1, rustgrad.tensor([[0], [1]])), True),
                        (lambda a: a.index_select(0, rustgrad.tensor([1])), True),
                        (lambda a: a.scatter(1, rustgrad.tensor([[0], [1]]), 1.), True),
                        (lambda a: a.masked_select(rustgrad.tensor([True, False, True])), True)):
        a = _a()
        out = make(a).sum()
        out.backward()
        if fails:
            with pytest.raises(RuntimeError, match=message):
                out.backward()
        else:
            out.backward()
            assert a.grad is not None


def test_double_backward_through_select_and_slice():
    x = rustgrad.tensor([1., 2., 3.], dtype=rustgrad.float64, requires_grad=True)
    y = (x[1:] ** 3).sum() + x[0] ** 2
    (g,) = rustgrad.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [2., 12., 27.]
    (gg,) = rustgrad.autograd.grad(g.sum(), x)
    assert gg.tolist() == [2., 12., 18.]


# ----- gradients: finite differences and PyTorch -----

def _matrix(min_side=1, max_side=4):
    return st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side)).flatmap(
        lambda s: st.lists(st.floats(-3, 3, allow_nan=False), min_size=s[0] * s[1], max_size=s[0] * s[1]).map(
            lambda v: np.array(v).reshape(s)))


UNARY = {
    "t": lambda lib, x: x.t(),
    "T": lambda lib, x: x.T,
    "mT": lambda lib, x: x.mT,
    "permute": lambda lib, x: x.permute(1, 0) * 2,
    "transpose_view": lambda lib, x: x.transpose(0, 1).reshape(-1),
    "view_of_transpose": lambda lib, x: x.t().unsqueeze(1).view(x.shape[1], x.shape[0]),
    "flatten": lambda lib, x: x.flatten(),
    "squeeze_unsqueeze": lambda lib, x: x.unsqueeze(0).unsqueeze(-1).squeeze(),
    "narrow": lambda lib, x: x.narrow(1, 0, 1),
    "select": lambda lib, x: x.select(0, -1) * x.select(1, 0)[0],
    "split": lambda lib, x: lib.cat([p * (k + 1) for k, p in enumerate(x.split(1, 1))], 1),
    "split_sizes": lambda lib, x: x.split([1, x.shape[0] - 1])[1] if x.shape[0] > 1 else x.split([1])[0],
    "chunk": lambda lib, x: x.chunk(2)[0] * 3,
    "unbind": lambda lib, x: lib.stack([r * (k + 1) for k, r in enumerate(x.unbind(1))]),
    "cat": lambda lib, x: lib.cat([x, x * x, x.t().t()], 1),
    "stack": lambda lib, x: lib.stack([x, x.exp()], 1),
    "repeat": lambda lib, x: x.repeat(2, 1, 3),
    "flip": lambda lib, x: x.flip(0, 1) * x,
    "roll": lambda lib, x: x.roll(1) + x.roll((1, -1), (0, 1)),
    "tril_triu": lambda lib, x: x.tril() + 2 * x.triu(1),
    "index_select": lambda lib, x: x.index_select(1, lib.tensor([0, 0])),
    "gather": lambda lib, x: x.gather(1, lib.tensor([[0, 0]] * x.shape[0])),
    "scatter_value": lambda lib, x: x.scatter(1, lib.tensor([[0]] * x.shape[0]), 2.),
    "masked_select": lambda lib, x: x.masked_select(lib.tensor([True] + [False] * (x.shape[1] - 1))),
    "contiguous": lambda lib, x: x.t().contiguous() * 2,
    "reshape_copy": lambda lib, x: x.t().reshape(-1) ** 2,
}


@pytest.mark.parametrize("name", sorted(UNARY))
@FEW
@given(x=_matrix())
def test_gradients_by_finite_differences(name, x):
    check_grads(lambda t: UNARY[name](rustgrad, t), x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_gradients_against_pytorch(name):
    x = np.random.default_rng(1).standard_normal((3, 4))
    check_against_torch(UNARY[name], x)


BINARY = {
    "cat": lambda lib, x, y: lib.cat([x, y]),
    "stack": lambda lib, x, y: lib.stack([x, y], -1),
    "scatter_src": lambda lib, x, y: x.scatter(0, lib.tensor([[1, 0, 1], [0, 1, 0]]), y),
    "scatter_add": lambda lib, x, y: x.scatter_add(1, lib.tensor([[2, 2, 0], [1, 0, 0]]), y),
    "transposed_mul": lambda lib, x, y: x.t() * y.t()[:, :1],
}


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(x=_matrix(2, 3).filter(lambda m: m.shape == (2, 3)), seed=st.integers(0, 100))
def test_two_input_gradients_by_finite_differences(name, x, seed):
    y = np.random.default_rng(seed).standard_normal((2, 3))
    check_grads(lambda p, q: BINARY[name](rustgrad, p, q), x, y)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_two_input_gradients_against_pytorch(name):
    rng = np.random.default_rng(2)
    check_against_torch(BINARY[name], rng.standard_normal((2, 3)), rng.standard_normal((2, 3)))


# ----- existing ops on non-contiguous inputs -----

NON_CONTIGUOUS = {
    "add": lambda lib, x: x.t() + x.t(),
    "add_broadcast": lambda lib, x: x.t() + x[:, 0],
    "sub_sliced": lambda lib, x: x[:, 1:] - x[:, :-1],
    "mul_strided": lambda lib, x: x[:, ::2] * x[:, ::2].exp(),
    "div": lambda lib, x: x.t() / (x.t() ** 2 + 1),
    "sum_dims": lambda lib, x: x.t().sum(0) + x[:, 1:].sum(1, keepdim=True).t().sum(0)[0],
    "sum_all": lambda lib, x: x[::2, 1:].sum() * x.t(),
    "mean": lambda lib, x: x.t().mean(1) + x.permute(1, 0).mean(),
    "log_exp": lambda lib, x: (x.t() ** 2 + 1).log() + x.narrow(1, 1, 2).t().exp().sum(),
    "pow_neg": lambda lib, x: -(x.select(1, 0) ** 3),
}


@pytest.mark.parametrize("name", sorted(NON_CONTIGUOUS))
def test_existing_ops_on_non_contiguous_inputs_against_pytorch(name):
    x = np.random.default_rng(3).standard_normal((4, 3))
    check_against_torch(NON_CONTIGUOUS[name], x)


@pytest.mark.parametrize("name", sorted(NON_CONTIGUOUS))
def test_existing_ops_on_non_contiguous_inputs_by_finite_differences(name):
    x = np.random.default_rng(4).standard_normal((4, 3))
    check_grads(lambda t: NON_CONTIGUOUS[name](rustgrad, t), x)


def test_non_contiguous_values_match_numpy():
    m = np.arange(12.).reshape(3, 4)
    x = rustgrad.tensor(m)
    np.testing.assert_allclose((x.t() * x.t()).tolist(), m.T * m.T)
    np.testing.assert_allclose(x[:, 1::2].sum(0).tolist(), m[:, 1::2].sum(0))
    np.testing.assert_allclose(x.t()[1:].mean(1).tolist(), m.T[1:].mean(1))
    np.testing.assert_allclose((x[::2] + x[1, :]).tolist(), m[::2] + m[1, :])
    big = np.arange(40000.).reshape(200, 200)
    y = rustgrad.tensor(big, dtype=rustgrad.float64)
    np.testing.assert_allclose((y.t() + y).tolist(), big.T + big)
    np.testing.assert_allclose(y.t()[::3].sum(1).tolist(), big.T[::3].sum(1))


# ----- second-order gradients (create_graph) against PyTorch -----

SECOND_ORDER = {
    "index": lambda L, x: (x[[0, 1, 1]] ** 3).sum(),
    "mask": lambda L, x: (x[L.tensor([True, False, True])] ** 3).sum(),
    "gather": lambda L, x: (x.gather(1, L.tensor([[0, 0], [1, 2], [2, 1]])) ** 3).sum(),
    "index_select": lambda L, x: (x.index_select(0, L.tensor([2, 2])) ** 3).sum(),
    "cat_split": lambda L, x: sum(((p * (k + 1)) ** 3).sum() for k, p in enumerate(L.cat([x, x], 1).split(2, 1))),
    "repeat": lambda L, x: (x.repeat(2, 1) ** 3).sum(),
    "scatter": lambda L, x: (x.scatter(1, L.tensor([[0], [1], [2]]), x[:, 1:2] ** 2) ** 3).sum(),
    "flip_roll": lambda L, x: ((x.flip(0).roll(1, 1)) ** 3 * L.tensor([1., 2., 3.])).sum(),
    "masked_select": lambda L, x: (x.masked_select(L.tensor([True, False, True])) ** 3).sum(),
    "unbind_stack": lambda L, x: (L.stack(x.unbind(1)[::-1]) ** 3 * L.tensor([[1.], [2.], [3.]])).sum(),
    "select_slice_t": lambda L, x: (x.t()[1:, 0] ** 3).sum() + (x[2] ** 3).sum(),
}


@pytest.mark.parametrize("name", sorted(SECOND_ORDER))
def test_second_order_gradients_against_pytorch(name):
    torch = torch_or_skip()
    values = np.random.default_rng(7).standard_normal((3, 3)).tolist()
    results = []
    for lib in (rustgrad, torch):
        x = lib.tensor(values, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(SECOND_ORDER[name](lib, x), x, create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), x)
        results.append(np.array(gg.tolist()))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10, atol=1e-12)


# ----- in-place writes into tensors whose elements share memory (expand) -----

OVERLAP = ("unsupported operation: more than one element of the written-to tensor refers to a single memory "
           "location. Please clone() the tensor before performing the operation.")

# name -> (write into t, refused by PyTorch). Refused: every op whose result at one element depends on
# that element (PyTorch's has_internal_overlap check); allowed: fills, masked fills, advanced-index
# puts, and basic-index writes whose own region does not overlap.
EXPANDED_WRITES = {
    "add_": (lambda lib, t: t.add_(1), True),
    "sub_": (lambda lib, t: t.sub_(lib.ones(2)), True),
    "mul_": (lambda lib, t: t.mul_(2), True),
    "div_": (lambda lib, t: t.div_(2), True),
    "iadd": (lambda lib, t: t.__iadd__(1), True),
    "imul": (lambda lib, t: t.__imul__(lib.ones(3, 2)), True),
    "ifloordiv": (lambda lib, t: t.__ifloordiv__(2), True),
    "relu_": (lambda lib, t: t.relu_(), True),
    "exp_": (lambda lib, t: t.exp_(), True),
    "neg_": (lambda lib, t: t.neg_(), True),
    "sigmoid_": (lambda lib, t: t.sigmoid_(), True),
    "clamp_": (lambda lib, t: t.clamp_(0, 1), True),
    "copy_": (lambda lib, t: t.copy_(lib.ones(3, 2)), True),
    "copy_row": (lambda lib, t: t.copy_(lib.ones(2)), True),
    "eq_": (lambda lib, t: t.eq_(0), True),
    "uniform_": (lambda lib, t: t.uniform_(), True),
    "scatter_": (lambda lib, t: t.scatter_(0, lib.zeros(1, 2, dtype=lib.int64), lib.ones(1, 2)), True),
    "setitem_all": (lambda lib, t: t.__setitem__(slice(None), 1.0), True),
    "setitem_ellipsis": (lambda lib, t: t.__setitem__(Ellipsis, lib.ones(2)), True),
    "setitem_column": (lambda lib, t: t.__setitem__((slice(None), 0), 1.0), True),
    "fill_": (lambda lib, t: t.fill_(1.5), False),
    "zero_": (lambda lib, t: t.zero_(), False),
    "masked_fill_": (lambda lib, t: t.masked_fill_(t > -1, 2.0), False),
    "masked_fill_one": (lambda lib, t: t.masked_fill_(lib.tensor([[False, False], [True, False], [False, False]]), 5.0), False),
    "setitem_row": (lambda lib, t: t.__setitem__(0, 2.0), False),
    "setitem_mask": (lambda lib, t: t.__setitem__(t > -1, 2.0), False),
    "setitem_index": (lambda lib, t: t.__setitem__(lib.tensor([0, 1]), 2.0), False),
}


@pytest.mark.parametrize("grad", [False, True])
@pytest.mark.parametrize("name", list(EXPANDED_WRITES))
@pytest.mark.filterwarnings("ignore:Use of .* on expanded tensors is deprecated")  # tested in test_indexing.py
def test_in_place_into_an_expanded_tensor(name, grad):
    write, refused = EXPANDED_WRITES[name]
    base = rustgrad.tensor([[1.0, 2.0]], requires_grad=grad) * 1  # a non-leaf when grad: history is rewritten
    t = base.expand(3, 2)
    version = t._version
    if refused:
        with pytest.raises(RuntimeError) as info:
            write(rustgrad, t)
        assert str(info.value) == OVERLAP
        assert base.tolist() == [[1.0, 2.0]] and t._version == version  # nothing written
    else:
        write(rustgrad, t)
        assert t._version > version
        # one write lands in the shared elements, seen by every row and by the base
        assert t.tolist() == [base.tolist()[0]] * 3 and base.tolist() != [[1.0, 2.0]]


def test_overlap_is_about_the_written_region_only():
    # A row of an expanded tensor, or an expanded tensor of size 1 along its stride-0 dim, has no
    # element written twice.
    t = rustgrad.zeros(1, 2).expand(3, 2)
    t[0].add_(1)
    assert t.tolist() == [[1.0, 1.0]] * 3
    one = rustgrad.zeros(1, 2).expand(1, 2)
    one.mul_(2).add_(3)
    assert one.tolist() == [[3.0, 3.0]]
    s = rustgrad.zeros(2, 3)[:, ::2]  # strided but not overlapping
    s.add_(1)
    assert s.tolist() == [[1.0, 1.0]] * 2


@pytest.mark.parametrize("name", list(EXPANDED_WRITES))
def test_in_place_into_an_expanded_tensor_matches_pytorch(name):
    torch = torch_or_skip()
    write, refused = EXPANDED_WRITES[name]
    t = torch.zeros(1, 2).expand(3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns on index_put_/masked_fill_ into expanded tensors
        try:
            write(torch, t)
            outcome = None
        except RuntimeError as e:
            outcome = str(e)
    assert outcome == (OVERLAP if refused else None)


# ----- outputs of custom Functions are views (PyTorch's CreationMeta::IN_CUSTOM_FUNCTION) -----

CUSTOM_FN_ERROR = (
    " This view was created inside a custom Function (or because an input was returned as-is) and the autograd "
    "logic to handle view+inplace would override the custom backward associated with the custom Function, leading "
    "to incorrect gradients. This behavior is forbidden. You can fix this by cloning the output of the custom "
    "Function."
)
MULTI_OUTPUT_ERROR = (
    " This view is the output of a function that returns multiple views. Such functions do not allow the output "
    "views to be modified inplace. You should replace the inplace operation by an out-of-place one."
)
NO_GRAD_ERROR = (
    " Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving "
    "both the view and the inplace either both inside the no_grad block (if you don't want the inplace to be "
    "tracked) or both outside (if you want the inplace to be tracked)."
)


def _custom_functions(lib):
    def fn(name, forward, backward=lambda ctx, *g: g if len(g) > 1 else g[0]):
        return type(name, (lib.autograd.Function,), {"forward": staticmethod(forward), "backward": staticmethod(backward)})

    def non_diff(ctx, x):
        ctx.mark_non_differentiable(x)
        return x

    def non_diff_view(ctx, x):
        v = x.view(-1)
        ctx.mark_non_differentiable(v)
        return v

    def dirty(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    return {
        "Ident": fn("Ident", lambda ctx, x: x),
        "ViewF": fn("ViewF", lambda ctx, x: x.view(-1), lambda ctx, g: g.view(2, 2)),
        "Row": fn("Row", lambda ctx, x: x[0], lambda ctx, g: None),
        "NonDiff": fn("NonDiff", non_diff),
        "NonDiffView": fn("NonDiffView", non_diff_view, lambda ctx, g: None),
        "Two": fn("Two", lambda ctx, x: (x, x * 2), lambda ctx, a, b: a + 2 * b),
        "Dirty": fn("Dirty", dirty, lambda ctx, g: 2 * g),
        "Fresh": fn("Fresh", lambda ctx, x: x * 2, lambda ctx, g: 2 * g),
    }


CUSTOM_FN_CASES = [
    # (function, input kind, what is done to the output)
    (f, kind, action)
    for f in ["Ident", "ViewF", "Row", "NonDiff", "NonDiffView", "Fresh"]
    for kind in ["leaf", "nonleaf", "plain"]
    for action in ["props", "add_", "setitem", "setitem_index", "setitem_slice", "view_add_", "clone_add_"]
] + [
    ("Two", kind, action) for kind in ["leaf", "nonleaf"] for action in ["add_", "second_add_"]
] + [("Dirty", "nonleaf", "add_"), ("Dirty", "leaf", "add_"), ("Ident", "nonleaf", "no_grad_apply_add_"),
     ("Ident", "plain", "no_grad_apply_add_")]


def _run_custom_fn_case(lib, name, kind, action):
    fns = _custom_functions(lib)
    if kind == "leaf":
        x = lib.ones(2, 2, requires_grad=True)
    elif kind == "nonleaf":
        x = lib.ones(2, 2, requires_grad=True) * 1
    else:
        x = lib.ones(2, 2)
    try:
        if action == "no_grad_apply_add_":
            with lib.no_grad():
                y = fns[name].apply(x)
            y.add_(1)
            return "ok"
        y = fns[name].apply(x)
        if isinstance(y, tuple):
            y = y[1] if action == "second_add_" else y[0]
        if action == "props":
            node = None if y.grad_fn is None else type(y.grad_fn).__name__
            return (y is x, y.requires_grad if name != "NonDiffView" else None, y.is_leaf, y._is_view(),
                    y._base is x if y._is_view() else None, node)
        if action in ("add_", "second_add_"):
            y.add_(1)
        elif action == "setitem":
            y[0] = 5.0
        elif action == "setitem_index":
            y[lib.tensor([0])] = 5.0
        elif action == "setitem_slice":
            y[1:] = 5.0
        elif action == "view_add_":
            y.view(-1).add_(1)
        elif action == "clone_add_":
            y.clone().add_(1)
        return (y.tolist(), None if y.grad_fn is None else type(y.grad_fn).__name__)
    except RuntimeError as e:
        return str(e)


@pytest.mark.parametrize("case", CUSTOM_FN_CASES, ids=lambda c: "-".join(c))
def test_custom_function_outputs_as_views_match_torch(case):
    torch = torch_or_skip()
    assert _run_custom_fn_case(rustgrad, *case) == _run_custom_fn_case(torch, *case)


def test_custom_function_output_modified_in_place_is_refused():
    run = lambda *c: _run_custom_fn_case(rustgrad, *c)  # noqa: E731
    # An input returned as is is a view of it, with the Function's node.
    assert run("Ident", "leaf", "props") == (False, True, False, True, True, "IdentBackward")
    assert run("Ident", "leaf", "add_") == "Output 0 of Ident is a view and is being modified inplace." + CUSTOM_FN_ERROR
    assert run("ViewF", "nonleaf", "add_") == "Output 0 of ViewF is a view and is being modified inplace." + CUSTOM_FN_ERROR
    # Through a view of the output, or t[i] = v (which writes through t.select(0, i)).
    assert run("Ident", "nonleaf", "view_add_") == "Output 0 of View is a view and is being modified inplace." + CUSTOM_FN_ERROR
    assert run("Row", "leaf", "setitem") == "Output 0 of Select is a view and is being modified inplace." + CUSTOM_FN_ERROR
    assert run("Ident", "leaf", "setitem_slice") == "Output 0 of Slice is a view and is being modified inplace." + CUSTOM_FN_ERROR
    assert run("Ident", "leaf", "setitem_index") == "Output 0 of Ident is a view and is being modified inplace." + CUSTOM_FN_ERROR
    # A non-differentiable view output has no node: PyTorch words it as a no_grad view.
    assert run("NonDiffView", "leaf", "add_") == (
        "A view was created in no_grad mode and is being modified inplace with grad mode enabled." + CUSTOM_FN_ERROR
    )
    # Several differentiable outputs: their views are multi-output views.
    assert run("Two", "leaf", "add_") == "Output 0 of Two is a view and is being modified inplace." + MULTI_OUTPUT_ERROR
    assert run("Two", "leaf", "second_add_")[1] == "AddBackward0"
    # Applied under no_grad (no node): an input that requires grad comes back detached, may be modified.
    assert run("Ident", "nonleaf", "no_grad_apply_add_") == "ok"
    # Allowed: a clone, a fresh output, an input that needs no grad, a dirty input.
    assert run("Ident", "leaf", "clone_add_")[1] == "IdentBackward"
    assert run("Fresh", "leaf", "add_")[1] == "AddBackward0"
    assert run("Ident", "plain", "add_") == ([[2.0, 2.0], [2.0, 2.0]], None)
    assert run("Dirty", "nonleaf", "add_")[1] == "AddBackward0"


def test_mark_non_differentiable_on_a_returned_input():
    run = lambda *c: _run_custom_fn_case(rustgrad, *c)  # noqa: E731
    # An input that requires grad comes back detached (not a view, no history, may be modified).
    assert run("NonDiff", "leaf", "props") == (False, False, True, False, None, None)
    assert run("NonDiff", "nonleaf", "add_") == ([[2.0, 2.0], [2.0, 2.0]], None)
    # One that does not: a view of it, as any returned input.
    assert run("NonDiff", "plain", "props") == (False, False, True, True, True, None)


def test_restricted_views_pass_their_restriction_to_their_views():
    x = rustgrad.ones(2, 3, requires_grad=True) * 1
    u = x.unbind()[0]
    with pytest.raises(RuntimeError) as info:
        u[0].add_(1)
    assert str(info.value) == "Output 0 of Select is a view and is being modified inplace." + MULTI_OUTPUT_ERROR
    with pytest.raises(RuntimeError) as info:
        u[None] = 2.0
    assert str(info.value) == "Output 0 of Unsqueeze is a view and is being modified inplace." + MULTI_OUTPUT_ERROR
    leaf = rustgrad.ones(2, 3, requires_grad=True)
    with rustgrad.no_grad():
        v = leaf[0]
    # The no_grad check comes before the leaf check, as PyTorch's.
    with pytest.raises(RuntimeError) as info:
        v.add_(1)
    assert str(info.value) == "A view was created in no_grad mode and is being modified inplace with grad mode enabled." + NO_GRAD_ERROR
    with pytest.raises(RuntimeError) as info:
        v[0] = 2.0
    assert str(info.value) == (
        "Output 0 of Select is a view of a view which was created in no_grad mode and is being modified inplace "
        "with grad mode enabled." + NO_GRAD_ERROR
    )


@pytest.mark.parametrize("name", ["Ident", "ViewF"])
def test_custom_function_view_outputs_still_get_gradients(name):
    check_against_torch(lambda lib, x: _custom_functions(lib)[name].apply(x.view(2, 2) * 1).reshape(4) * 3,
                        [1.0, 2.0, 3.0, 4.0])


# --- bad arguments: PyTorch's argument-parser errors (view, reshape, permute, expand and transpose) ---

VIEW_ARG_ERRORS = [
    ("lib.ones(2, 3).view('a')",
     lambda lib: lib.ones(2, 3).view('a'),
     TypeError, "view() received an invalid combination of arguments - got (str), but expected one of:\n * (rustgrad.dtype dtype)\n      didn't match because some of the arguments have invalid types: (!str!)\n * (tuple of ints size)\n      didn't match because some of the arguments have invalid types: (!str!)\n"),
    ('lib.ones(2, 3).view(None)',
     lambda lib: lib.ones(2, 3).view(None),
     TypeError, "view() received an invalid combination of arguments - got (NoneType), but expected one of:\n * (rustgrad.dtype dtype)\n      didn't match because some of the arguments have invalid types: (!NoneType!)\n * (tuple of ints size)\n      didn't match because some of the arguments have invalid types: (!NoneType!)\n"),
    ('lib.ones(2, 3).view(1.5)',
     lambda lib: lib.ones(2, 3).view(1.5),
     TypeError, "view() received an invalid combination of arguments - got (float), but expected one of:\n * (rustgrad.dtype dtype)\n      didn't match because some of the arguments have invalid types: (!float!)\n * (tuple of ints size)\n      didn't match because some of the arguments have invalid types: (!float!)\n"),
    ('lib.ones(2, 3).view(lib.ones(2))',
     lambda lib: lib.ones(2, 3).view(lib.ones(2)),
     TypeError, "view() received an invalid combination of arguments - got (Tensor), but expected one of:\n * (rustgrad.dtype dtype)\n      didn't match because some of the arguments have invalid types: (!Tensor!)\n * (tuple of ints size)\n      didn't match because some of the arguments have invalid types: (!Tensor!)\n"),
    ("lib.ones(2, 3).view(('a',))",
     lambda lib: lib.ones(2, 3).view(('a',)),
     TypeError, "view() received an invalid combination of arguments - got (tuple), but expected one of:\n * (rustgrad.dtype dtype)\n      didn't match because some of the arguments have invalid types: (!tuple of (str,)!)\n * (tuple of ints size)\n      didn't match because some of the arguments have invalid types: (!tuple of (str,)!)\n"),
    ("lib.ones(2, 3).view(6, 'a')",
     lambda lib: lib.ones(2, 3).view(6, 'a'),
     TypeError, 'view(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ('lib.ones(2, 3).view([2, None])',
     lambda lib: lib.ones(2, 3).view([2, None]),
     TypeError, 'view(): argument \'size\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got NoneType"'),
    ('lib.ones(2, 3).view()',
     lambda lib: lib.ones(2, 3).view(),
     TypeError, 'view() received an invalid combination of arguments - got (), but expected one of:\n * (rustgrad.dtype dtype)\n * (tuple of ints size)\n'),
    ('lib.ones(2, 3).view(2, 3, foo=1)',
     lambda lib: lib.ones(2, 3).view(2, 3, foo=1),
     TypeError, 'view() received an invalid combination of arguments - got (int, int, foo=int), but expected one of:\n * (rustgrad.dtype dtype)\n * (tuple of ints size)\n'),
    ("lib.ones(2, 3).reshape('a')",
     lambda lib: lib.ones(2, 3).reshape('a'),
     TypeError, "reshape(): argument 'shape' (position 1) must be tuple of ints, not str"),
    ("lib.ones(2, 3).reshape(('a', 2))",
     lambda lib: lib.ones(2, 3).reshape(('a', 2)),
     TypeError, "reshape(): argument 'shape' (position 1) must be tuple of ints, but found element of type str at pos 0"),
    ('lib.ones(2, 3).reshape(2, 3.0)',
     lambda lib: lib.ones(2, 3).reshape(2, 3.0),
     TypeError, 'reshape(): argument \'shape\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got float"'),
    ('lib.ones(2, 3).reshape()',
     lambda lib: lib.ones(2, 3).reshape(),
     TypeError, 'reshape() missing 1 required positional arguments: "shape"'),
    ("lib.ones(2, 3).permute('a')",
     lambda lib: lib.ones(2, 3).permute('a'),
     TypeError, "permute(): argument 'dims' (position 1) must be tuple of ints, not str"),
    ('lib.ones(2, 3).permute(1, None)',
     lambda lib: lib.ones(2, 3).permute(1, None),
     TypeError, 'permute(): argument \'dims\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got NoneType"'),
    ('lib.ones(2, 3).permute()',
     lambda lib: lib.ones(2, 3).permute(),
     TypeError, 'permute() missing 1 required positional arguments: "dims"'),
    ("lib.ones(2, 3).permute(dims=(1, 'a'))",
     lambda lib: lib.ones(2, 3).permute(dims=(1, 'a')),
     TypeError, 'permute(): argument \'dims\' failed to unpack the object at pos 2 with error "type must be tuple of ints,but got str"'),
    ("lib.ones(2, 3).expand('a')",
     lambda lib: lib.ones(2, 3).expand('a'),
     TypeError, "expand(): argument 'size' (position 1) must be tuple of ints, not str"),
    ('lib.ones(2, 3).expand(2, 3, None)',
     lambda lib: lib.ones(2, 3).expand(2, 3, None),
     TypeError, 'expand(): argument \'size\' failed to unpack the object at pos 3 with error "type must be tuple of ints,but got NoneType"'),
    ("lib.ones(2, 3).expand(2, 3, implicit='a')",
     lambda lib: lib.ones(2, 3).expand(2, 3, implicit='a'),
     TypeError, "expand(): argument 'implicit' must be bool, not str"),
    ("lib.ones(2, 3).transpose(0, 'a')",
     lambda lib: lib.ones(2, 3).transpose(0, 'a'),
     TypeError, "transpose(): argument 'dim1' (position 2) must be int, not str"),
    ('lib.ones(2, 3).transpose(None, 1)',
     lambda lib: lib.ones(2, 3).transpose(None, 1),
     TypeError, "transpose(): argument 'dim0' (position 1) must be int, not NoneType"),
    ('lib.ones(2, 3).transpose(0, 1.0)',
     lambda lib: lib.ones(2, 3).transpose(0, 1.0),
     TypeError, "transpose(): argument 'dim1' (position 2) must be int, not float"),
    ('lib.ones(2, 3).transpose(0)',
     lambda lib: lib.ones(2, 3).transpose(0),
     TypeError, 'transpose() missing 1 required positional arguments: "dim1"'),
    ('lib.ones(2, 3).transpose(0, 1, 2)',
     lambda lib: lib.ones(2, 3).transpose(0, 1, 2),
     TypeError, 'transpose() takes 2 positional arguments but 3 were given'),
    ('lib.ones(2, 3).transpose(dim0=0, dim2=1)',
     lambda lib: lib.ones(2, 3).transpose(dim0=0, dim2=1),
     TypeError, 'transpose() missing 1 required positional arguments: "dim1"'),
    ('lib.ones(2, 3).transpose(True, 0)',
     lambda lib: lib.ones(2, 3).transpose(True, 0),
     TypeError, "transpose(): argument 'dim0' (position 1) must be int, not bool"),
    ("lib.transpose(lib.ones(2, 3), 0, 'a')",
     lambda lib: lib.transpose(lib.ones(2, 3), 0, 'a'),
     TypeError, "transpose(): argument 'dim1' (position 3) must be int, not str"),
    ('lib.permute(lib.ones(2, 3), None)',
     lambda lib: lib.permute(lib.ones(2, 3), None),
     TypeError, "permute(): argument 'dims' (position 2) must be tuple of ints, not NoneType"),
    ("lib.reshape(lib.ones(2, 3), 'a')",
     lambda lib: lib.reshape(lib.ones(2, 3), 'a'),
     TypeError, "reshape(): argument 'shape' (position 2) must be tuple of ints, not str"),
    ("lib.reshape('a', (6,))",
     lambda lib: lib.reshape('a', (6,)),
     TypeError, "reshape(): argument 'input' (position 1) must be Tensor, not str"),
    ("lib.ones(2, 3).unsqueeze('a')",
     lambda lib: lib.ones(2, 3).unsqueeze('a'),
     TypeError, "unsqueeze(): argument 'dim' (position 1) must be int, not str"),
    ('lib.ones(2, 3).unsqueeze()',
     lambda lib: lib.ones(2, 3).unsqueeze(),
     TypeError, 'unsqueeze() missing 1 required positional arguments: "dim"'),
    ('lib.ones(2, 3).unsqueeze(0, 1)',
     lambda lib: lib.ones(2, 3).unsqueeze(0, 1),
     TypeError, 'unsqueeze() takes 1 positional argument but 2 were given'),
    ('lib.ones(2, 3).unsqueeze(dim=None)',
     lambda lib: lib.ones(2, 3).unsqueeze(dim=None),
     TypeError, "unsqueeze(): argument 'dim' must be int, not NoneType"),
    ('lib.ones(2, 3).unsqueeze(1.5)',
     lambda lib: lib.ones(2, 3).unsqueeze(1.5),
     TypeError, "unsqueeze(): argument 'dim' (position 1) must be int, not float"),
    ('lib.ones(2, 3).unsqueeze(True)',
     lambda lib: lib.ones(2, 3).unsqueeze(True),
     TypeError, "unsqueeze(): argument 'dim' (position 1) must be int, not bool"),
    ("lib.ones(2, 3).flatten('a')",
     lambda lib: lib.ones(2, 3).flatten('a'),
     TypeError, "flatten(): argument 'start_dim' (position 1) must be int, not str"),
    ('lib.ones(2, 3).flatten(0, None)',
     lambda lib: lib.ones(2, 3).flatten(0, None),
     TypeError, "flatten(): argument 'end_dim' (position 2) must be int, not NoneType"),
    ('lib.ones(2, 3).flatten(0, 1, 2)',
     lambda lib: lib.ones(2, 3).flatten(0, 1, 2),
     TypeError, 'flatten() takes from 0 to 2 positional arguments but 3 were given'),
    ('lib.ones(2, 3).flatten(start_dim=0, foo=1)',
     lambda lib: lib.ones(2, 3).flatten(start_dim=0, foo=1),
     TypeError, "flatten() got an unexpected keyword argument 'foo'"),
    ("lib.ones(2, 3).select(0, 'a')",
     lambda lib: lib.ones(2, 3).select(0, 'a'),
     TypeError, "select(): argument 'index' (position 2) must be int, not str"),
    ('lib.ones(2, 3).select(0)',
     lambda lib: lib.ones(2, 3).select(0),
     TypeError, 'select() missing 1 required positional arguments: "index"'),
    ("lib.ones(2, 3).chunk('a')",
     lambda lib: lib.ones(2, 3).chunk('a'),
     TypeError, "chunk(): argument 'chunks' (position 1) must be int, not str"),
    ('lib.ones(2, 3).chunk(2, dim=1.5)',
     lambda lib: lib.ones(2, 3).chunk(2, dim=1.5),
     TypeError, "chunk(): argument 'dim' must be int, not float"),
    ('lib.ones(2, 3).unbind(None)',
     lambda lib: lib.ones(2, 3).unbind(None),
     TypeError, "unbind(): argument 'dim' (position 1) must be int, not NoneType"),
    ('lib.ones(2, 3).unbind(0, 1)',
     lambda lib: lib.ones(2, 3).unbind(0, 1),
     TypeError, 'unbind() takes from 0 to 1 positional arguments but 2 were given'),
    ("lib.ones(2, 3).swapaxes(0, 'a')",
     lambda lib: lib.ones(2, 3).swapaxes(0, 'a'),
     TypeError, "swapaxes(): argument 'axis1' (position 2) must be int, not str"),
]


@pytest.mark.parametrize("name, call, exc_type, message", VIEW_ARG_ERRORS, ids=[c[0] for c in VIEW_ARG_ERRORS])
def test_view_argument_errors(name, call, exc_type, message):
    assert_error(call, exc_type, message)


@pytest.mark.parametrize("name, call, exc_type, message", VIEW_ARG_ERRORS, ids=[c[0] for c in VIEW_ARG_ERRORS])
def test_view_argument_errors_match_torch(name, call, exc_type, message):
    assert_same_error_as_torch(call)


@pytest.mark.parametrize("make", [
    lambda R: R.zeros(0, 3)[:, 2:],
    lambda R: R.zeros(0, 3).narrow(1, 2, 1),
    lambda R: R.zeros(0, 3).select(1, 2),
    lambda R: R.zeros(0, 3).unbind(1)[2],
    lambda R: R.zeros(0, 3).t()[2:],
])
@pytest.mark.parametrize("op", [
    lambda t: t.exp(), lambda t: t.sum(), lambda t: t.sum(0), lambda t: t.cumsum(0), lambda t: t + 1,
    lambda t: t.clone(), lambda t: t.softmax(0), lambda t: t.argsort(0), lambda t: t.tolist(), lambda t: t.relu_(),
])
def test_empty_views_past_the_end_of_an_empty_buffer_work_like_any_empty_tensor(make, op):
    # Their offset points past the end of the (empty) buffer; kernels must not slice there.
    out = op(make(rustgrad))
    torch = pytest.importorskip("torch")
    expected = op(make(torch))
    if isinstance(out, list):
        assert out == expected
    else:
        assert tuple(out.shape) == tuple(expected.shape)


def test_cat_and_stack_of_zero_size_pieces():
    assert rustgrad.cat([rustgrad.zeros(0, 2), rustgrad.zeros(0, 1)], 1).shape == (0, 3)
    assert rustgrad.stack([rustgrad.zeros(0), rustgrad.zeros(0)], 1).shape == (0, 2)
