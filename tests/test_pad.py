"""rustgrad.nn.functional.pad ('constant', 'reflect', 'replicate', 'circular') and Conv1d/Conv2d
``padding_mode``: values, gradients (finite differences and PyTorch), grad_fn names, saved
tensors and PyTorch's errors."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import rustgrad
import rustgrad.nn.functional as F

from _helpers import check_against_torch, check_grads, torch_or_skip

MODES = ["constant", "reflect", "replicate", "circular"]


@st.composite
def pad_cases(draw):
    mode = draw(st.sampled_from(MODES))
    n = draw(st.integers(1, 3))  # padded dims
    batched = draw(st.booleans())
    shape = [draw(st.integers(1, 2))] * (1 + batched) + [draw(st.integers(2, 4)) for _ in range(n)]
    pads = []
    for k in range(n):
        size = shape[-1 - k]
        low = -(size - 1) if mode != "reflect" else -(size - 1)
        high = size - 1 if mode == "reflect" else size
        pads += [draw(st.integers(low // 2, high)), draw(st.integers(low // 2, high))]
    if mode == "constant" and draw(st.booleans()):
        pads = pads[:2]
    for k in range(len(pads) // 2):
        # empty outputs are covered by test_allowed_edge_cases_match_torch
        assume(shape[-1 - k] + pads[2 * k] + pads[2 * k + 1] > 0)
    if mode == "circular":
        # beyond this PyTorch's circular padding reads its uninitialised output: not comparable
        for k in range(n):
            size, left, right = shape[-1 - k], pads[2 * k], pads[2 * k + 1]
            assume(left <= size + min(right, 0) and right <= size + min(left, 0))
    values = draw(st.lists(st.floats(-3, 3), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return mode, np.array(values).reshape(shape), pads


@settings(max_examples=40, deadline=None)
@given(pad_cases())
def test_pad_matches_torch(case):
    mode, x, pads = case
    torch = torch_or_skip()
    try:
        torch.nn.functional.pad(torch.tensor(x), pads, mode=mode)
    except RuntimeError as e:
        # circular copies between overlapping contiguous ranges: the same refusal
        with pytest.raises(RuntimeError) as ours:
            F.pad(rustgrad.tensor(x), pads, mode=mode)
        assert str(ours.value) == str(e)
        return
    check_against_torch(lambda lib, t: lib.nn.functional.pad(t, pads, mode=mode), x)


@settings(max_examples=12, deadline=None)
@given(pad_cases())
def test_pad_finite_differences(case):
    mode, x, pads = case
    try:
        F.pad(rustgrad.tensor(x), pads, mode=mode)
    except RuntimeError:
        return  # an overlapping circular copy, refused as PyTorch refuses it (test_pad_matches_torch)
    check_grads(lambda t: F.pad(t, pads, mode=mode), x)


def test_pad_values_by_hand():
    x = rustgrad.tensor([[[1.0, 2.0, 3.0]]])
    assert F.pad(x, (2, 1), mode="reflect").tolist() == [[[3.0, 2.0, 1.0, 2.0, 3.0, 2.0]]]
    assert F.pad(x, (2, 1), mode="replicate").tolist() == [[[1.0, 1.0, 1.0, 2.0, 3.0, 3.0]]]
    assert F.pad(x, (2, 1), mode="circular").tolist() == [[[2.0, 3.0, 1.0, 2.0, 3.0, 1.0]]]
    assert F.pad(x, (1, -1), value=9.0).tolist() == [[[9.0, 1.0, 2.0]]]
    assert F.pad(x, (0, 0, 1, 0)).tolist() == [[[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]]]
    ints = rustgrad.tensor([[1, 2]])
    assert F.pad(ints, (1, 1), value=7).tolist() == [[7, 1, 2, 7]] and F.pad(ints, (1, 1)).dtype == rustgrad.int64


def _names(lib):
    f = lib.nn.functional
    x1, x2, x3 = (lib.ones(*s, requires_grad=True) for s in ((1, 2, 4), (1, 2, 3, 4), (1, 1, 2, 3, 4)))
    out = []
    for mode in MODES:
        for x, pad in ((x1, (1, 1)), (x2, (1, 1, 1, 1)), (x3, (1, 1, 1, 1, 1, 1))):
            out.append(f.pad(x, pad, mode=mode).grad_fn.name())
    out.append(f.pad(x1, (1, 1, 1, 1, 1, 1)).grad_fn.name())
    return out


def test_grad_fn_names():
    names = _names(rustgrad)
    assert names[:3] == ["ConstantPadNdBackward0"] * 3
    assert names[3:6] == ["ReflectionPad1DBackward0", "ReflectionPad2DBackward0", "ReflectionPad3DBackward0"]
    assert names[6:9] == ["ReplicationPad1DBackward0", "ReplicationPad2DBackward0", "ReplicationPad3DBackward0"]
    assert names[9:12] == ["CopySlices"] * 3 and names[12] == "ConstantPadNdBackward0"


def test_grad_fn_names_match_torch():
    torch = torch_or_skip()
    ours = _names(rustgrad)
    theirs = [n.replace("torch::autograd::", "") for n in _names(torch)]
    assert ours == theirs


def _second_backward(lib, mode):
    x = lib.ones(1, 2, 4, requires_grad=True)
    y = lib.nn.functional.pad(x, (1, 1), mode=mode)  # SumBackward0 saves nothing
    y.sum().backward()
    try:
        y.sum().backward()
        return "ok", x.grad.tolist()
    except RuntimeError as e:
        return "error", str(e).split(".")[0]


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate"])
def test_saved_tensors_like_torch(mode):
    # constant padding saves nothing (a second backward works); reflection/replication save the input
    kind, _ = _second_backward(rustgrad, mode)
    assert kind == ("ok" if mode == "constant" else "error")
    torch = torch_or_skip()
    assert _second_backward(rustgrad, mode) == _second_backward(torch, mode)


def test_double_backward_matches_torch():
    x = np.arange(8.0).reshape(1, 2, 4) / 7
    for mode in ("reflect", "replicate", "constant", "circular"):
        check_against_torch(
            lambda lib, t: lib.autograd.grad((lib.nn.functional.pad(t, (2, 1), mode=mode) ** 3).sum(), t,
                                             create_graph=True)[0], x)


ERROR_CASES = [
    ((1, 2, 3), (1,), {}),
    ((1, 2, 3), (1, 2, 3, 4, 5, 6, 7, 8), {}),
    ((1, 2, 3), (3, 0), dict(mode="reflect")),
    ((1, 2, 3), (0, 3), dict(mode="reflect")),
    ((1, 2, 3, 4), (1, 1, 3, 0), dict(mode="reflect")),
    ((1, 2, 3, 4), (4, 1, 0, 0), dict(mode="reflect")),
    ((1, 1, 2, 3, 4), (1, 1, 1, 1, 2, 0), dict(mode="reflect")),
    ((3,), (1, 1), dict(mode="reflect")),
    ((3,), (1, 1), dict(mode="replicate")),
    ((2, 3, 4, 5), (1, 1), dict(mode="reflect")),
    ((2, 3), (1, 1, 1, 1), dict(mode="replicate")),
    ((1, 2, 3), (4, 0), dict(mode="circular")),
    ((1, 2, 3), (-4, 0), dict(mode="circular")),
    ((1, 2, 3), (1, 1), dict(mode="foo")),
    ((1, 2, 3), (-4, 0), {}),
    ((1, 2, 3), (1, 1), dict(mode="reflect", value=1.0)),
    ((1, 2, 3), (1, 1), dict(mode="circular", value=2.0)),
    ((1, 0, 3), (1, 1), dict(mode="reflect")),
    ((1, 2, 0), (1, 1), dict(mode="replicate")),
    ((1, 2, 0, 4), (1, 1, 1, 1), dict(mode="reflect")),
    ((1, 2, 3), (-2, -1), dict(mode="reflect")),
    ((1, 2, 3, 4), (-2, -2, -2, -1), dict(mode="replicate")),
    ((1, 2, 3), (1.5, 1), {}),
]


def _error(lib, shape, pad, kwargs):
    try:
        lib.nn.functional.pad(lib.ones(*shape), pad, **kwargs)
    except Exception as e:
        return type(e).__name__, str(e).split("\n")[0]
    return None


@pytest.mark.parametrize("shape,pad,kwargs", ERROR_CASES)
def test_errors(shape, pad, kwargs):
    ours = _error(rustgrad, shape, pad, kwargs)
    assert ours is not None
    torch = torch_or_skip()
    assert ours == _error(torch, shape, pad, kwargs)


def test_allowed_edge_cases_match_torch():
    torch = torch_or_skip()
    for shape, pad, kwargs in [((1, 2, 3), (-3, 0), {}), ((1, 2, 3), (-1, 0), dict(mode="reflect")),
                               ((1, 2, 3, 4), (-2, -2, 0, 0), dict(mode="reflect")), ((3, 0, 4), (1, 1), dict(mode="circular")),
                               ((0, 2, 3), (1, 1), dict(mode="reflect")), ((1, 3), (1, 1), dict(mode="circular")),
                               ((1, 2, 3), (1, 1), dict(mode="reflect", value=0.0)), ((1, 2, 3), (-2, -1), dict(mode="circular"))]:
        ours = F.pad(rustgrad.ones(*shape), pad, **kwargs)
        theirs = torch.nn.functional.pad(torch.ones(*shape), pad, **kwargs)
        assert list(ours.shape) == list(theirs.shape) and ours.tolist() == theirs.tolist()


# ----- Conv padding_mode -----

@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
@pytest.mark.parametrize("dims,padding", [(1, 2), (1, "same"), (2, (1, 2)), (2, "same"), (2, 1)])
def test_conv_padding_mode_matches_torch(mode, dims, padding):
    torch = torch_or_skip()
    rng = np.random.default_rng(dims)
    shape = (2, 3, 6) if dims == 1 else (2, 3, 5, 6)
    x = rng.standard_normal(shape)
    kernel = 3 if padding != "same" else 4
    results = []
    for lib in (rustgrad, torch):
        lib.manual_seed(0)
        conv = (lib.nn.Conv1d if dims == 1 else lib.nn.Conv2d)(3, 4, kernel, padding=padding, padding_mode=mode,
                                                               dtype=lib.float64)
        with lib.no_grad():
            conv.weight.copy_(lib.tensor(rng.standard_normal(tuple(conv.weight.shape)).tolist(), dtype=lib.float64))
        t = lib.tensor(x.tolist(), dtype=lib.float64, requires_grad=True)
        out = conv(t)
        (out * out).sum().backward()
        results.append((np.array(out.tolist()), np.array(t.grad.tolist()), np.array(conv.weight.grad.tolist()), repr(conv)))
        rng = np.random.default_rng(dims)
        rng.standard_normal(shape)
    (o1, g1, w1, r1), (o2, g2, w2, r2) = results
    np.testing.assert_allclose(o1, o2, atol=1e-9)
    np.testing.assert_allclose(g1, g2, atol=1e-9)
    np.testing.assert_allclose(w1, w2, atol=1e-9)
    assert r1 == r2


def test_conv_padding_mode_finite_differences():
    conv = rustgrad.nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect", dtype=rustgrad.float64)
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    check_grads(lambda t: conv(t), x)
    conv1 = rustgrad.nn.Conv1d(1, 1, 3, padding=2, padding_mode="circular", dtype=rustgrad.float64)
    check_grads(lambda t: conv1(t), x[0, :1, 0, :].reshape(1, 1, 4))


def test_conv_padding_mode_errors():
    with pytest.raises(ValueError) as e:
        rustgrad.nn.Conv2d(1, 1, 3, padding_mode="mirror")
    assert str(e.value).startswith("padding_mode must be one of")
    conv = rustgrad.nn.Conv1d(1, 1, 3, padding=3, padding_mode="reflect")
    with pytest.raises(RuntimeError) as e:
        conv(rustgrad.ones(1, 1, 3))
    assert str(e.value).startswith("Argument #4: Padding size should be less than the corresponding input dimension")
