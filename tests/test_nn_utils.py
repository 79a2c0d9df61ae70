"""rustgrad.nn.utils: clip_grad_norm_ / clip_grad_value_ (spec 9.2: every example, the always-applied
coefficient, non-finite norms, argument forms, warnings), parity with PyTorch, and
parameters_to_vector / vector_to_parameters."""

import math
import warnings

import numpy as np
import pytest

import rustgrad
import rustgrad.nn as nn
from rustgrad.nn.utils import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
from _helpers import torch_or_skip


def with_grads(*grads, lib=rustgrad):
    """Leaves whose .grad is each given list (None: no grad)."""
    out = []
    for g in grads:
        t = lib.zeros(1 if g is None else len(g), requires_grad=True)
        if g is not None:
            t.grad = lib.tensor(g)
        out.append(t)
    return out


def grad_repr(t):
    return repr(t.grad)


def test_reachable_like_torch():
    assert rustgrad.nn.utils.clip_grad_norm_ is clip_grad_norm_
    assert rustgrad.nn.utils.clip_grad.clip_grad_value_ is clip_grad_value_
    import inspect

    assert str(inspect.signature(clip_grad_norm_)) == "(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None)"
    assert str(inspect.signature(clip_grad_value_)) == "(parameters, clip_value, foreach=None)"


@pytest.mark.parametrize("max_norm,norm_type,total,a,b", [
    (1.0, 2.0, "tensor(13.)", "tensor([0.2308, 0.3077])", "tensor([0.9231])"),
    (100, 2.0, "tensor(13.)", "tensor([3., 4.])", "tensor([12.])"),
    (1.0, math.inf, "tensor(12.)", "tensor([0.2500, 0.3333])", "tensor([1.0000])"),
    (1.0, 1, "tensor(19.)", "tensor([0.1579, 0.2105])", "tensor([0.6316])"),
])
def test_spec_examples(max_norm, norm_type, total, a, b):
    pa, pb = with_grads([3.0, 4.0], [12.0])
    out = clip_grad_norm_([pa, pb], max_norm, norm_type=norm_type)
    assert (repr(out), grad_repr(pa), grad_repr(pb)) == (total, a, b)


def test_returned_norm_is_a_plain_0d_float32_tensor():
    (p,) = with_grads([3.0, 4.0])
    out = clip_grad_norm_(p, 1.0)
    assert out.shape == () and out.dtype == rustgrad.float32
    assert not out.requires_grad and out.grad_fn is None


def test_coefficient_is_always_applied():
    (p,) = with_grads([3.0, 4.0])
    assert repr(clip_grad_norm_(p, 5.0)) == "tensor(5.)"
    assert grad_repr(p) == "tensor([3.0000, 4.0000])"  # multiplied by 0.9999998
    assert p.grad.tolist() != [3.0, 4.0]
    (p,) = with_grads([3.0, 4.0])
    clip_grad_norm_(p, 4.999)
    assert grad_repr(p) == "tensor([2.9994, 3.9992])"


def test_none_grads_are_skipped():
    pa, pb = with_grads([3.0, 4.0], None)
    assert repr(clip_grad_norm_([pa, pb], 2.5)) == "tensor(5.)"
    assert grad_repr(pa) == "tensor([1.5000, 2.0000])" and pb.grad is None
    pa, pb = with_grads(None, None)
    assert repr(clip_grad_norm_([pa, pb], 1.0)) == "tensor(0.)"
    assert repr(clip_grad_norm_([], 1.0)) == "tensor(0.)"


def test_non_finite_norms():
    (p,) = with_grads([math.nan, 1.0])
    assert repr(clip_grad_norm_(p, 1.0)) == "tensor(nan)"
    assert grad_repr(p) == "tensor([nan, nan])"
    (p,) = with_grads([math.inf, 4.0])
    assert repr(clip_grad_norm_(p, 1.0)) == "tensor(inf)"
    assert grad_repr(p) == "tensor([nan, 0.])"
    message = (
        "The total norm of order 2.0 for gradients from `parameters` is non-finite, so it cannot be clipped. "
        "To disable this error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
    )
    for bad in (math.nan, math.inf, -math.inf):
        (p,) = with_grads([bad, 1.0])
        with pytest.raises(RuntimeError) as info:
            clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
        assert str(info.value) == message
        assert p.grad.tolist()[1] == 1.0  # untouched when raising
    (p,) = with_grads([3.0, 4.0])
    with pytest.raises(RuntimeError, match="The total norm of order inf for gradients"):
        p.grad = rustgrad.tensor([math.inf, 1.0])
        clip_grad_norm_(p, 1.0, norm_type="inf", error_if_nonfinite=True)


def test_argument_forms_and_empty_generator_warning():
    model = nn.Linear(3, 2)
    model(rustgrad.ones(4, 3)).sum().backward()
    expected = math.sqrt(sum((np.array(p.grad.tolist()) ** 2).sum() for p in model.parameters()))
    total = clip_grad_norm_(model.parameters(), 1.0)  # a generator
    assert abs(total.item() - expected) < 1e-4
    after = math.sqrt(sum((np.array(p.grad.tolist()) ** 2).sum() for p in model.parameters()))
    assert abs(after - 1.0) < 1e-5
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        assert repr(clip_grad_norm_((p for p in []), 1.0)) == "tensor(0.)"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clip_grad_norm_([], 1.0)  # an empty list does not warn


def test_clip_grad_value():
    pa, pb, pc = with_grads([-3.0, 0.5], [12.0], None)
    assert clip_grad_value_([pa, pb, pc], 1.0) is None
    assert grad_repr(pa) == "tensor([-1.0000,  0.5000])" and grad_repr(pb) == "tensor([1.])" and pc.grad is None
    (p,) = with_grads([-3.0, 0.5, 2.0])
    clip_grad_value_(p, 0.75)
    assert p.grad.tolist() == [-0.75, 0.5, 0.75]
    (p,) = with_grads([-3.0, 0.5])
    clip_grad_value_(p, -1.0)  # not validated: clamp(1, -1) gives -1 everywhere, as in PyTorch
    assert p.grad.tolist() == [-1.0, -1.0]
    model = nn.Linear(2, 2)
    model(rustgrad.ones(1, 2) * 10).sum().backward()
    clip_grad_value_(model.parameters(), 0.1)
    assert all(abs(v) <= np.float32(0.1) for p in model.parameters() for v in np.ravel(p.grad.tolist()))
    assert any(abs(v) == np.float32(0.1) for p in model.parameters() for v in np.ravel(p.grad.tolist()))


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, 0.5, math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 7.0, 1e3])
def test_clip_grad_norm_parity_with_torch(norm_type, max_norm):
    torch = torch_or_skip()
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (5,), (2, 2, 2)]
    values = [rng.standard_normal(s) * 2 for s in shapes]
    results = []
    for lib in (rustgrad, torch):
        ps = []
        for v in values:
            p = lib.zeros(*v.shape, requires_grad=True)
            p.grad = lib.tensor(v.tolist())
            ps.append(p)
        total = lib.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        results.append((total.item(), [np.array(p.grad.tolist()) for p in ps]))
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-6)
    for ours, theirs in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7)


def test_clip_grad_value_parity_with_torch():
    torch = torch_or_skip()
    v = np.random.default_rng(1).standard_normal((4, 5)) * 3
    outs = []
    for lib in (rustgrad, torch):
        p = lib.zeros(4, 5, dtype=lib.float64, requires_grad=True)
        p.grad = lib.tensor(v.tolist(), dtype=lib.float64)
        lib.nn.utils.clip_grad_value_(p, 1.5)
        outs.append(np.array(p.grad.tolist()))
    np.testing.assert_array_equal(outs[0], outs[1])


def test_float64_grads_keep_their_dtype():
    p = rustgrad.zeros(2, dtype=rustgrad.float64, requires_grad=True)
    p.grad = rustgrad.tensor([3.0, 4.0], dtype=rustgrad.float64)
    total = clip_grad_norm_(p, 1.0)
    assert total.dtype == rustgrad.float64 and p.grad.dtype == rustgrad.float64
    np.testing.assert_allclose(p.grad.tolist(), [0.6, 0.8], rtol=1e-6)


def test_clip_grad_norm_deprecated_alias():
    (p,) = with_grads([3.0, 4.0])
    with pytest.warns(FutureWarning, match="clip_grad_norm` is now deprecated in favor of"):
        assert repr(rustgrad.nn.utils.clip_grad_norm(p, 1.0)) == "tensor(5.)"


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,) and type(vec.grad_fn).__name__ == "CatBackward0"
    expected = np.concatenate([np.ravel(p.tolist()) for p in model.parameters()])
    np.testing.assert_array_equal(np.array(vec.tolist()), expected)
    params = list(model.parameters())
    vector_to_parameters(rustgrad.arange(11, dtype=rustgrad.float32), model.parameters())
    assert [p is q for p, q in zip(params, model.parameters())] == [True] * 4
    assert model[0].weight.tolist() == [[0, 1, 2], [3, 4, 5]] and model[1].bias.tolist() == [10]
    assert all(p.requires_grad and p.is_leaf for p in model.parameters())
    with pytest.raises(TypeError, match="expected rustgrad.Tensor, but got: list"):
        vector_to_parameters([1, 2], model.parameters())
