"""Autograd semantics (spec sections 2, 3, 4, 6, 9.5): tensor autograd attributes, in-place ops and the
version counter, backward(), autograd.grad, graph structure, anomaly mode, deep graphs and memory.

Strings are PyTorch 2.13's, with ``torch`` spelt ``rustgrad`` (spec decision Q1).
"""

import contextlib
import gc
import io
import math
import os
import re
import queue
import sys
import threading
import warnings

import pytest

import rustgrad

from _helpers import torch_or_skip

ADDRESS = re.compile(r"0x[0-9a-f]+")

NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute "
    "won't be populated during autograd.backward(). If you indeed want the .grad field to be populated "
    "for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor "
    "by mistake, make sure you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 "
    "for more information."
)
CREATE_GRAPH = (
    "Using backward() with create_graph=True will create a reference cycle between the parameter and its "
    "gradient which can cause a memory leak. We recommend using autograd.grad when creating the graph to "
    "avoid this. If you have to use this function, make sure to reset the .grad fields of your parameters "
    "to None after use to break the cycle and avoid the leak."
)
SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they have "
    "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
    "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
    "if you need to access saved tensors after calling backward."
)
NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"
LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."
NON_LEAF_REQUIRES_GRAD = (
    "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a "
    "subgraph that doesn't require differentiation use var_no_grad = var.detach()."
)
HINT = ("Hint: enable anomaly detection to find the operation that failed to compute its gradient, with "
        "rustgrad.autograd.set_detect_anomaly(True, check_nan=False).")


def version_error(tensor_type, sizes, which, cur, saved):
    return ("one of the variables needed for gradient computation has been modified by an inplace operation: "
            f"[{tensor_type} {sizes}]{which} is at version {cur}; expected version {saved} instead. {HINT}")


def _raises(exc_type, message, fn):
    with pytest.raises(exc_type) as info:
        fn()
    assert type(info.value) is exc_type
    assert str(info.value) == message


def _is_message(actual, message):
    # PyTorch's C++ warnings may end with " (Triggered internally at ...)"; rustgrad leaves it out.
    return re.fullmatch(re.escape(message) + r"( \(Triggered internally at .*\))?", actual) is not None


@contextlib.contextmanager
def _all_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


def _x():
    return rustgrad.tensor([2., 3.], requires_grad=True)


def _line():
    return sys._getframe(1).f_lineno


# --- 3. requires_grad, leaves ---------------------------------------------------------------------------

def test_leaf_attributes():
    x = _x()
    assert x.requires_grad is True and x.is_leaf is True and x.grad is None and x.grad_fn is None
    y = x * 2
    assert y.requires_grad is True and y.is_leaf is False
    c = rustgrad.tensor([1., 2.])
    d = c * 2
    assert c.is_leaf and d.is_leaf and d.requires_grad is False
    assert rustgrad.randn(2).is_leaf


def test_requires_grad_propagation():
    x, y = rustgrad.tensor([1., 2.]), rustgrad.tensor([3., 4.])
    z = rustgrad.tensor([5., 6.], requires_grad=True)
    assert (x + y).requires_grad is False
    b = x + z
    assert b.requires_grad is True and type(b.grad_fn).__name__ == "AddBackward0"
    with rustgrad.no_grad():
        n = z * 2
    assert n.is_leaf and n.requires_grad is False and n.grad_fn is None
    assert repr(rustgrad.zeros_like(z)) == "tensor([0., 0.])"
    assert repr(rustgrad.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"


def test_integer_requires_grad_errors():
    _raises(RuntimeError, "Only Tensors of floating point and complex dtype can require gradients",
            lambda: rustgrad.tensor([1, 2], requires_grad=True))
    _raises(RuntimeError, "only Tensors of floating point dtype can require gradients",
            lambda: rustgrad.tensor([1, 2]).requires_grad_())


def test_requires_grad_on_integer_factories():
    _raises(RuntimeError, "Only Tensors of floating point and complex dtype can require gradients",
            lambda: rustgrad.zeros(2, dtype=rustgrad.int64, requires_grad=True))


def test_requires_grad_setter_on_integer_tensor():
    t = rustgrad.tensor([1, 2])

    def set_it():
        t.requires_grad = True
    # A third wording (observed with torch 2.13).
    _raises(RuntimeError, "only Tensors of floating point and complex dtype can require gradients", set_it)


def test_requires_grad_():
    a = rustgrad.tensor([1., 2.])
    r = a.requires_grad_()
    assert r is a and a.requires_grad
    assert a.requires_grad_(False) is a and not a.requires_grad
    a.requires_grad = True
    assert a.requires_grad
    a.requires_grad = False
    assert not a.requires_grad


def test_requires_grad_on_non_leaf():
    y = _x() * 2
    _raises(RuntimeError, NON_LEAF_REQUIRES_GRAD, lambda: y.requires_grad_(False))

    def set_false():
        y.requires_grad = False
    _raises(RuntimeError, NON_LEAF_REQUIRES_GRAD, set_false)
    assert y.requires_grad_(True) is y  # a no-op
    assert y.requires_grad and not y.is_leaf


def test_non_leaf_grad_warning_points_at_caller():
    y = _x() * 2
    with _all_warnings() as caught:
        g = y.grad; line = _line()  # noqa: E702 - same line on purpose
    assert g is None
    assert len(caught) == 1
    w = caught[0]
    assert w.category is UserWarning
    assert _is_message(str(w.message), NON_LEAF_GRAD), str(w.message)
    assert os.path.abspath(w.filename) == os.path.abspath(__file__)
    assert w.lineno == line


def test_non_leaf_grad_warning_once_per_line_with_default_filter():
    y = _x() * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for _ in range(3):
            y.grad  # noqa: B018
        y.grad  # noqa: B018 - another line
    assert len(caught) == 2


def test_no_grad_warning_for_leaves_plain_or_retained():
    x = _x()
    with _all_warnings() as caught:
        x.grad  # noqa: B018
        (rustgrad.tensor([1.]) * 2).grad  # noqa: B018
        y = x * 2
        y.retain_grad()
        y.grad  # noqa: B018
    assert caught == []


def test_retain_grad():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    y2 = x * 2
    assert y2.retain_grad() is None
    assert y2.retains_grad is True
    assert x.retains_grad is False
    x.retain_grad()
    assert x.retains_grad is False  # a no-op on leaves
    y2.sum().backward()
    assert repr(y2.grad) == "tensor([1., 1.])"
    assert repr(x.grad) == "tensor([2., 2.])"
    assert y2.retains_grad is True


def test_retain_grad_error():
    _raises(RuntimeError, "can't retain_grad on Tensor that has requires_grad=False",
            lambda: rustgrad.tensor([1., 2.]).retain_grad())


def test_detach_shares_data_and_version():
    x = _x()
    d = x.detach()
    assert d.is_leaf and d.requires_grad is False and d.grad_fn is None
    d.add_(1)
    assert repr(x) == "tensor([3., 4.], requires_grad=True)"
    assert x._version == 1 and d._version == 1
    d2 = (x * 2).detach()
    assert d2.is_leaf and not d2.requires_grad


def test_detach_in_place():
    x = _x()
    y = x * 2
    r = y.detach_()
    assert r is y
    assert y.is_leaf is True and y.requires_grad is False and y.grad_fn is None
    x.detach_()  # a leaf that requires grad: no error
    assert x.requires_grad is False


def test_data_property():
    x = _x()
    d = x.data
    assert repr(d) == "tensor([2., 3.])"
    assert d.requires_grad is False and d.is_leaf
    d.mul_(2)
    assert repr(x) == "tensor([4., 6.], requires_grad=True)"
    assert x._version == 0  # .data has its own version counter
    x.data = rustgrad.tensor([5., 6.])
    assert repr(x) == "tensor([5., 6.], requires_grad=True)"
    assert x.is_leaf and x.requires_grad


def test_data_in_place_is_invisible_to_autograd():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    b = a.log()  # saves a
    a.data.add_(1)
    b.sum().backward()  # no error
    assert repr(a.grad) == "tensor([0.5000, 0.3333])"  # computed from the new values


def test_grad_setter():
    x = _x()
    x.grad = rustgrad.tensor([1., 2.])
    assert repr(x.grad) == "tensor([1., 2.])"
    assert x.grad.requires_grad is False
    x.grad.zero_()
    assert repr(x.grad) == "tensor([0., 0.])"
    x.grad = None
    assert x.grad is None


def test_grad_setter_errors():
    x = _x()

    def assign(value):
        def f():
            x.grad = value
        return f
    _raises(RuntimeError, "attempting to assign a gradient of size '[3]' to a tensor of size '[2]'. Please ensure "
            "that the gradient and the tensor are the same size", assign(rustgrad.tensor([1., 2., 3.])))
    _raises(RuntimeError, "attempting to assign a gradient with dtype 'long int' to a tensor with grad_dtype "
            "'Float'. The gradient must match the tensor's grad_dtype (defaults to the tensor's dtype). You can set "
            "the tensor's grad_dtype attribute with a specific dtype, or None to allow any dtype. Set grad_dtype "
            "with caution. Diverging the dtypes of a tensor and its gradient may break downstream systems that "
            "assume they match.", assign(rustgrad.tensor([1, 2])))
    _raises(TypeError, "assigned grad expected to be a Tensor or None but got grad of type list", assign([1., 2.]))
    assert x.grad is None


def test_grad_setter_dtype_error_matches_pytorch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            x.grad = lib.tensor([1., 2.])
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# --- _version and in-place ops --------------------------------------------------------------------------

def test_version_counting():
    t = rustgrad.tensor([1., 2.])
    assert t._version == 0
    t.add_(1)
    assert t._version == 1
    t.mul_(2).add_(1)
    assert t._version == 3
    t.sub_(1)
    t.div_(2)
    t.zero_()
    t.fill_(3.)
    assert t._version == 7
    t += 1
    t -= 1
    t *= 2
    t /= 2
    assert t._version == 11
    assert repr(t) == "tensor([3., 3.])"
    assert (t * 2)._version == 0


@pytest.mark.parametrize("op, expected", [
    (lambda t: t.add_(2), "tensor([3., 4.])"),
    (lambda t: t.add_(rustgrad.tensor([1., 1.]), alpha=3), "tensor([4., 5.])"),
    (lambda t: t.sub_(0.5), "tensor([0.5000, 1.5000])"),
    (lambda t: t.sub_(rustgrad.tensor(1.), alpha=2), "tensor([-1.,  0.])"),
    (lambda t: t.mul_(rustgrad.tensor([3., 4.])), "tensor([3., 8.])"),
    (lambda t: t.div_(4), "tensor([0.2500, 0.5000])"),
    (lambda t: t.zero_(), "tensor([0., 0.])"),
    (lambda t: t.fill_(7), "tensor([7., 7.])"),
])
def test_in_place_ops_return_self(op, expected):
    t = rustgrad.tensor([1., 2.])
    assert op(t) is t
    assert repr(t) == expected


def test_augmented_assignment_keeps_identity():
    t = rustgrad.tensor([1., 2.])
    ref = t
    t += 1
    t *= 3
    t -= rustgrad.tensor([1., 1.])
    t /= 2
    assert t is ref
    assert repr(t) == "tensor([2.5000, 4.0000])"


@pytest.mark.parametrize("op", [
    lambda x: x.add_(1), lambda x: x.sub_(1), lambda x: x.mul_(2), lambda x: x.div_(2),
    lambda x: x.zero_(), lambda x: x.fill_(1),
])
def test_leaf_in_place_error(op):
    x = _x()
    _raises(RuntimeError, LEAF_INPLACE, lambda: op(x))
    assert x._version == 0
    assert repr(x) == "tensor([2., 3.], requires_grad=True)"


@pytest.mark.parametrize("kind", ["+=", "-=", "*=", "/="])
def test_leaf_augmented_assignment_error(kind):
    x = _x()
    with pytest.raises(RuntimeError) as info:
        exec(f"x {kind} 1", {}, {"x": x})
    assert str(info.value) == LEAF_INPLACE


def test_leaf_in_place_under_no_grad():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    (x * x).sum().backward()
    with rustgrad.no_grad():
        x -= 0.1 * x.grad
    assert repr(x) == "tensor([0.8000, 1.6000], requires_grad=True)"
    assert x.is_leaf and x.grad_fn is None and x._version == 1


def test_in_place_on_non_leaf_rewrites_grad_fn():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    b = a * 2
    assert b.add_(1) is b
    assert repr(b) == "tensor([3., 5.], grad_fn=<AddBackward0>)"
    b.sum().backward()
    assert repr(a.grad) == "tensor([2., 2.])"


def test_in_place_mul_on_non_leaf():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    b = a + 0
    b.mul_(3)
    assert repr(b) == "tensor([3., 6.], grad_fn=<MulBackward0>)"
    b.sum().backward()
    assert repr(a.grad) == "tensor([3., 3.])"


def test_in_place_chain_on_non_leaf_gradient():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    w = rustgrad.tensor([3., 5.], requires_grad=True)
    b = a * 1
    b.mul_(w).sub_(a, alpha=2).div_(2)  # b = (a*w - 2a) / 2
    assert type(b.grad_fn).__name__ == "DivBackward0"
    b.sum().backward()
    assert repr(a.grad) == "tensor([0.5000, 1.5000])"  # (w - 2) / 2
    assert repr(w.grad) == "tensor([0.5000, 1.0000])"  # a / 2


def test_in_place_on_plain_tensor_with_grad_operand():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    z = rustgrad.zeros(2)
    z.add_(a)
    assert repr(z) == "tensor([1., 2.], grad_fn=<AddBackward0>)"
    assert z.is_leaf is False and z.requires_grad is True
    (z * 3).sum().backward()
    assert repr(a.grad) == "tensor([3., 3.])"


def test_saved_tensor_modified_error():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    b = a * 2
    c = b ** 2
    b.add_(1)
    _raises(RuntimeError, version_error("rustgrad.FloatTensor", "[2]", ", which is output 0 of Add,", 1, 0),
            lambda: c.sum().backward())


def test_saved_tensor_modified_twice_and_by_mul():
    a = rustgrad.tensor([[1., 2.], [3., 4.]], requires_grad=True)
    b = a * 2
    c = b ** 2
    b.add_(1)
    b.mul_(3)
    _raises(RuntimeError, version_error("rustgrad.FloatTensor", "[2, 2]", ", which is output 0 of Mul,", 2, 0),
            lambda: c.sum().backward())


def test_saved_output_modified_error_exp():
    a = rustgrad.tensor([1., 2.], dtype=rustgrad.float64, requires_grad=True)
    b = a.exp()  # Exp saves its output
    b.mul_(2)
    _raises(RuntimeError, version_error("rustgrad.DoubleTensor", "[2]", ", which is output 0 of Exp,", 1, 0),
            lambda: b.sum().backward())


def test_unsaved_tensor_modified_is_fine():
    a = rustgrad.tensor([1., 2.], requires_grad=True)
    b = a * 1
    c = b.exp()  # saves its result, not b
    b.add_(1)
    b.add_(1)
    c.sum().backward()
    assert a.grad.tolist() == pytest.approx([math.e, math.e ** 2], rel=1e-6)


def test_leaf_modified_under_no_grad_after_use():
    w = rustgrad.tensor([1., 2.], requires_grad=True)
    out = (w * w).sum()
    with rustgrad.no_grad():
        w.add_(1)
    _raises(RuntimeError, version_error("rustgrad.FloatTensor", "[2]", "", 1, 0), out.backward)


def test_detach_in_place_bumps_shared_version():
    a = rustgrad.tensor(2., requires_grad=True)
    b = a.log()
    a.detach().add_(1)
    _raises(RuntimeError, version_error("rustgrad.FloatTensor", "[]", "", 1, 0), b.backward)


def test_version_error_matches_pytorch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        a = lib.tensor([1., 2.], requires_grad=True)
        b = a * 2
        c = b ** 2
        b.add_(1)
        with pytest.raises(RuntimeError) as info:
            c.sum().backward()
        messages.append(str(info.value))
    assert messages[0] == messages[1].replace("torch.", "rustgrad.")


# --- 4.2 / 4.3 backward() -------------------------------------------------------------------------------

def test_implicit_gradient_error():
    x = _x()
    _raises(RuntimeError, "grad can be implicitly created only for scalar outputs", lambda: (x * x).backward())


def test_one_element_output_needs_no_gradient():
    x = rustgrad.tensor([3.], requires_grad=True)
    (x * 2).backward()
    assert repr(x.grad) == "tensor([2.])"
    m = rustgrad.tensor([[3.]], requires_grad=True)
    (m * m).backward()
    assert repr(m.grad) == "tensor([[6.]])"


def test_gradient_argument():
    x = _x()
    (x * x).backward(rustgrad.tensor([1., 1.]))
    assert repr(x.grad) == "tensor([4., 6.])"
    x2 = _x()
    (x2 * x2).backward(gradient=rustgrad.tensor([1., 0.5]))
    assert repr(x2.grad) == "tensor([4., 3.])"


def test_gradient_shape_mismatch():
    x = _x()
    _raises(RuntimeError, "Mismatch in shape: grad_output[0] has a shape of rustgrad.Size([3]) and output[0] has a "
            "shape of rustgrad.Size([2]).", lambda: (x * x).backward(rustgrad.tensor([1., 1., 1.])))
    _raises(RuntimeError, "Mismatch in shape: grad_output[0] has a shape of rustgrad.Size([2]) and output[0] has a "
            "shape of rustgrad.Size([]).", lambda: (x * x).sum().backward(rustgrad.tensor([1., 1.])))
    assert x.grad is None


def test_int_gradient_accepted():
    x = _x()
    y = x * x
    y.backward(rustgrad.tensor([1, 1]))
    assert repr(x.grad) == "tensor([4., 6.])"
    assert x.grad.dtype == rustgrad.float32


def test_zero_dim_gradient_scales():
    x = _x()
    (x * x).sum().backward(rustgrad.tensor(2.))
    assert repr(x.grad) == "tensor([ 8., 12.])"


def test_backward_on_leaf():
    x = rustgrad.tensor(3., requires_grad=True)
    x.backward()
    assert repr(x.grad) == "tensor(1.)"


@pytest.mark.parametrize("make", [
    lambda: rustgrad.tensor([1., 2.]).sum(),
    lambda: rustgrad.tensor(1.),
])
def test_backward_without_grad_error(make):
    _raises(RuntimeError, NO_GRAD_FN, lambda: make().backward())


def test_backward_of_no_grad_output_error():
    x = _x()
    with rustgrad.no_grad():
        y = (x * 2).sum()
    _raises(RuntimeError, NO_GRAD_FN, y.backward)
    _raises(RuntimeError, NO_GRAD_FN, lambda: rustgrad.autograd.grad(rustgrad.tensor(1.), x))


def test_backward_inside_no_grad_works():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    y = (x * x).sum()
    with rustgrad.no_grad():
        y.backward()
    assert repr(x.grad) == "tensor([2., 4.])"


def test_blitz_tutorial():
    a = rustgrad.tensor([2., 3.], requires_grad=True)
    b = rustgrad.tensor([6., 4.], requires_grad=True)
    Q = 3 * a ** 3 - b ** 2
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print(Q)
        Q.backward(gradient=rustgrad.tensor([1., 1.]))
        print(9 * a ** 2 == a.grad)
        print(a.grad)
        print(b.grad)
    assert out.getvalue() == (
        "tensor([-12.,  65.], grad_fn=<SubBackward0>)\n"
        "tensor([True, True])\n"
        "tensor([36., 81.])\n"
        "tensor([-12.,  -8.])\n"
    )


def test_quickstart_eye_example():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        inp = rustgrad.eye(4, 5, requires_grad=True)
        out_t = (inp + 1).pow(2).t()
        out_t.backward(rustgrad.ones_like(out_t), retain_graph=True)
        print(f"First call\n{inp.grad}")
        out_t.backward(rustgrad.ones_like(out_t), retain_graph=True)
        print(f"\nSecond call\n{inp.grad}")
        inp.grad.zero_()
        out_t.backward(rustgrad.ones_like(out_t), retain_graph=True)
        print(f"\nCall after zeroing gradients\n{inp.grad}")
    assert out.getvalue() == (
        "First call\n"
        "tensor([[4., 2., 2., 2., 2.],\n"
        "        [2., 4., 2., 2., 2.],\n"
        "        [2., 2., 4., 2., 2.],\n"
        "        [2., 2., 2., 4., 2.]])\n"
        "\n"
        "Second call\n"
        "tensor([[8., 4., 4., 4., 4.],\n"
        "        [4., 8., 4., 4., 4.],\n"
        "        [4., 4., 8., 4., 4.],\n"
        "        [4., 4., 4., 8., 4.]])\n"
        "\n"
        "Call after zeroing gradients\n"
        "tensor([[4., 2., 2., 2., 2.],\n"
        "        [2., 4., 2., 2., 2.],\n"
        "        [2., 2., 4., 2., 2.],\n"
        "        [2., 2., 2., 4., 2.]])\n"
    )


# --- 4.4 freed graphs, retain_graph, accumulation -------------------------------------------------------

_SECOND_BACKWARD_FAILS = {
    "x*2": lambda x: x * 2,
    "x*x": lambda x: x * x,
    "2*x+1": lambda x: 2 * x + 1,
    "x/2": lambda x: x / 2,
    "x.exp()": lambda x: x.exp(),
    "x.sum()*3": lambda x: x.sum() * 3,
    "x**2": lambda x: x ** 2,
    "x.log()": lambda x: x.log(),
}
_SECOND_BACKWARD_WORKS = {
    "x+x": lambda x: x + x,
    "x.mean()": lambda x: x.mean(),
    "-x": lambda x: -x,
    "x.clone()": lambda x: x.clone(),
    "x+1": lambda x: x + 1,
    "x-1": lambda x: x - 1,
    "x.view(2,1)": lambda x: x.view(2, 1),
    "x.reshape(2,1)": lambda x: x.reshape(2, 1),
    "x.sum(0)": lambda x: x.sum(0),
}


@pytest.mark.parametrize("name", list(_SECOND_BACKWARD_FAILS))
def test_second_backward_fails_when_tensors_were_saved(name):
    x = _x()
    y = _SECOND_BACKWARD_FAILS[name](x).sum()
    y.backward()
    first = x.grad.tolist()
    _raises(RuntimeError, SECOND_BACKWARD, y.backward)
    assert x.grad.tolist() == first
    # The grad_fn stays attached.
    assert type(y.grad_fn).__name__ == "SumBackward0" and y.requires_grad


@pytest.mark.parametrize("name", list(_SECOND_BACKWARD_WORKS))
def test_second_backward_works_without_saved_tensors(name):
    x = _x()
    y = _SECOND_BACKWARD_WORKS[name](x).sum()
    y.backward()
    first = x.grad.tolist()
    y.backward()
    assert x.grad.tolist() == [2 * g for g in first]


@pytest.mark.parametrize("name", list(_SECOND_BACKWARD_FAILS) + list(_SECOND_BACKWARD_WORKS))
def test_second_backward_matches_pytorch(name):
    torch = torch_or_skip()
    f = {**_SECOND_BACKWARD_FAILS, **_SECOND_BACKWARD_WORKS}[name]
    outcomes = []
    for lib in (rustgrad, torch):
        x = lib.tensor([2., 3.], requires_grad=True)
        y = f(x).sum()
        y.backward()
        try:
            y.backward()
            outcomes.append(("ok", x.grad.tolist()))
        except RuntimeError as e:
            outcomes.append(("error", str(e)))
    assert outcomes[0] == outcomes[1]


def test_retain_graph_accumulates():
    x = _x()
    z = (x * x).sum()
    z.backward(retain_graph=True)
    assert repr(x.grad) == "tensor([4., 6.])"
    z.backward()
    assert repr(x.grad) == "tensor([ 8., 12.])"
    _raises(RuntimeError, SECOND_BACKWARD, z.backward)


def test_accumulation_is_in_place():
    x = rustgrad.tensor(2., requires_grad=True)
    (x ** 2).backward()
    g1 = x.grad
    (x ** 2).backward()
    assert g1 is x.grad
    assert repr(x.grad) == "tensor(8.)"


# --- 4.5 create_graph -----------------------------------------------------------------------------------

def test_backward_create_graph():
    x = rustgrad.tensor(3., requires_grad=True)
    y = x ** 3
    with _all_warnings() as caught:
        y.backward(create_graph=True)
    assert repr(x.grad) == "tensor(27., grad_fn=<CopyBackwards>)"
    assert [w.category for w in caught] == [UserWarning]
    assert _is_message(str(caught[0].message), CREATE_GRAPH), str(caught[0].message)
    g = x.grad
    x.grad = None
    g.backward()
    assert repr(x.grad) == "tensor(18.)"


def test_create_graph_accumulation_is_out_of_place():
    x = rustgrad.tensor(3., requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 3).backward(create_graph=True)
        g1 = x.grad
        (x ** 2).backward(create_graph=True)
    assert repr(x.grad) == "tensor(33., grad_fn=<AddBackward0>)"
    assert g1 is not x.grad
    assert repr(g1) == "tensor(27., grad_fn=<CopyBackwards>)"


def test_create_graph_vector_and_constant_grad():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    x2 = rustgrad.tensor([1., 2.], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (x ** 2).sum().backward(create_graph=True)
        (x2 * 3).sum().backward(create_graph=True)
    assert repr(x.grad) == "tensor([2., 4.], grad_fn=<CopyBackwards>)"
    assert repr(x2.grad) == "tensor([3., 3.])"
    assert x2.grad.grad_fn is None


def test_retain_grad_under_create_graph():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    h = x * 2
    h.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        (h ** 2).sum().backward(create_graph=True)
    assert repr(h.grad) == "tensor([4., 8.], grad_fn=<CloneBackward0>)"


def test_retain_graph_defaults_to_create_graph():
    x = _x()
    y = (x * x).sum()
    rustgrad.autograd.grad(y, x, create_graph=True)
    y.backward()  # the graph was kept
    assert repr(x.grad) == "tensor([4., 6.])"


# --- 4.6 inputs= ----------------------------------------------------------------------------------------

def test_backward_inputs():
    a = rustgrad.tensor(2., requires_grad=True)
    b = rustgrad.tensor(3., requires_grad=True)
    (a * b).backward(inputs=[a])
    assert repr(a.grad) == "tensor(3.)" and b.grad is None
    (a * b).backward(inputs=a)
    assert repr(a.grad) == "tensor(6.)" and b.grad is None


def test_backward_inputs_empty_error():
    a = rustgrad.tensor(2., requires_grad=True)
    _raises(RuntimeError, "`inputs` argument to `backward()` cannot be empty.", lambda: (a * 2).backward(inputs=[]))


def test_backward_inputs_unused():
    a = rustgrad.tensor(2., requires_grad=True)
    b = rustgrad.tensor(3., requires_grad=True)
    c = rustgrad.tensor(4., requires_grad=True)
    (a * b).backward(inputs=[c])
    assert a.grad is None and b.grad is None and c.grad is None


def test_backward_inputs_non_leaf():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    h = x * 2
    with _all_warnings() as caught:
        (h ** 2).sum().backward(inputs=[h])
        assert repr(h.grad) == "tensor([4., 8.])"
    assert x.grad is None
    assert h.retains_grad is True  # inputs= retains the non-leaf's grad
    assert caught == []


def test_backward_inputs_not_requiring_grad():
    x = _x()
    _raises(RuntimeError, "can't retain_grad on Tensor that has requires_grad=False",
            lambda: (x * 2).sum().backward(inputs=[rustgrad.ones(2)]))


# --- 4.7 autograd.grad ----------------------------------------------------------------------------------

def test_grad_returns_tuple_and_leaves_grad_untouched():
    x = _x()
    r = rustgrad.autograd.grad((x ** 2).sum(), x)
    assert type(r) is tuple
    assert repr(r) == "(tensor([4., 6.]),)"
    assert x.grad is None
    assert r[0].requires_grad is False


def test_grad_frees_the_graph():
    x = _x()
    y = (x ** 2).sum()
    rustgrad.autograd.grad(y, x)
    _raises(RuntimeError, SECOND_BACKWARD, lambda: rustgrad.autograd.grad(y, x))


def test_grad_outputs():
    x = _x()
    _raises(RuntimeError, "grad can be implicitly created only for scalar outputs",
            lambda: rustgrad.autograd.grad(x ** 2, x))
    y = x ** 2
    assert repr(rustgrad.autograd.grad(y, x, grad_outputs=rustgrad.ones(2))) == "(tensor([4., 6.]),)"


def test_grad_create_graph():
    x = _x()
    r = rustgrad.autograd.grad((x ** 2).sum(), x, create_graph=True)
    assert repr(r) == "(tensor([4., 6.], grad_fn=<MulBackward0>),)"


def test_grad_third_order():
    x = rustgrad.tensor(3., requires_grad=True)
    y = x ** 3
    g, = rustgrad.autograd.grad(y, x, create_graph=True)
    assert repr(g) == "tensor(27., grad_fn=<MulBackward0>)"
    g2, = rustgrad.autograd.grad(g, x, create_graph=True)
    assert repr(g2) == "tensor(18., grad_fn=<MulBackward0>)"
    g3, = rustgrad.autograd.grad(g2, x)
    assert repr(g3) == "tensor(6.)"


def test_grad_third_order_names_match_pytorch():
    torch = torch_or_skip()
    reprs = []
    for lib in (rustgrad, torch):
        x = lib.tensor(3., requires_grad=True)
        g, = lib.autograd.grad(x ** 3, x, create_graph=True)
        g2, = lib.autograd.grad(g, x, create_graph=True)
        g3, = lib.autograd.grad(g2, x)
        reprs.append((repr(g), repr(g2), repr(g3)))
    assert reprs[0] == reprs[1]


def test_grad_without_create_graph_is_constant():
    x = rustgrad.tensor(3., requires_grad=True)
    g, = rustgrad.autograd.grad(x ** 3, x)
    assert repr(g) == "tensor(27.)" and g.requires_grad is False
    _raises(RuntimeError, NO_GRAD_FN, lambda: rustgrad.autograd.grad(g, x))


def test_grad_unused_input():
    x = _x()
    z = rustgrad.tensor([1., 1.], requires_grad=True)
    _raises(RuntimeError, "The differentiated Tensor at index 1 appears to not have been used in the graph. "
            "Set allow_unused=True if this is the desired behavior.",
            lambda: rustgrad.autograd.grad((x ** 2).sum(), [x, z]))
    _raises(RuntimeError, "The differentiated Tensor at index 0 appears to not have been used in the graph. "
            "Set allow_unused=True if this is the desired behavior.",
            lambda: rustgrad.autograd.grad((x ** 2).sum(), [z, x]))
    assert repr(rustgrad.autograd.grad((x ** 2).sum(), [x, z], allow_unused=True)) == "(tensor([4., 6.]), None)"


def test_grad_materialize_grads():
    x = _x()
    z = rustgrad.tensor(1., requires_grad=True)
    assert repr(rustgrad.autograd.grad((x ** 2).sum(), [x, z], materialize_grads=True)) == \
        "(tensor([4., 6.]), tensor(0.))"
    assert repr(rustgrad.autograd.grad((x ** 2).sum(), [x, z], allow_unused=True, materialize_grads=True)) == \
        "(tensor([4., 6.]), tensor(0.))"
    _raises(ValueError, "Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
            "allow_unused=False.",
            lambda: rustgrad.autograd.grad((x ** 2).sum(), [x, z], allow_unused=False, materialize_grads=True))


def test_grad_input_not_requiring_grad():
    x = _x()
    _raises(RuntimeError, "One of the differentiated Tensors does not require grad",
            lambda: rustgrad.autograd.grad((x ** 2).sum(), [x, rustgrad.ones(2)]))


def test_grad_non_tensor_inputs():
    x = _x()
    _raises(TypeError, "'int' object is not iterable", lambda: rustgrad.autograd.grad((x ** 2).sum(), 3))


def test_grad_multiple_outputs_are_summed():
    x = _x()
    assert repr(rustgrad.autograd.grad([x.sum(), (x * x).sum()], x)) == "(tensor([5., 7.]),)"
    a = rustgrad.tensor(2., requires_grad=True)
    assert repr(rustgrad.autograd.grad([a * 3, a * a], a, grad_outputs=[rustgrad.tensor(1.), None])) == \
        "(tensor(7.),)"


def test_grad_wrt_intermediate_and_output():
    x = _x()
    h = x * 2
    assert repr(rustgrad.autograd.grad((h ** 2).sum(), h)) == "(tensor([ 8., 12.]),)"
    assert repr(rustgrad.autograd.grad(x, x, rustgrad.ones(2))) == "(tensor([1., 1.]),)"


def test_grad_dict_inputs():
    x = _x()
    w = rustgrad.tensor(3., requires_grad=True)
    y = (x * w).sum()
    r = rustgrad.autograd.grad(y, {"x": x, "w": w})
    assert type(r) is dict and list(r) == ["x", "w"]
    assert repr(r) == "{'x': tensor([3., 3.]), 'w': tensor(5.)}"


def test_autograd_backward_function():
    a2 = rustgrad.tensor(2., requires_grad=True)
    rustgrad.autograd.backward([a2 * 3, a2 * a2], [rustgrad.tensor(1.), rustgrad.tensor(1.)])
    assert repr(a2.grad) == "tensor(7.)"
    _raises(RuntimeError, "got 2 tensors and 1 gradients",
            lambda: rustgrad.autograd.backward([a2 * 3, a2 * a2], [rustgrad.tensor(1.)]))


# --- 2. graph structure ---------------------------------------------------------------------------------

def _names(next_functions):
    return tuple((None if n is None else type(n).__name__, i) for n, i in next_functions)


def test_next_functions_structure():
    a = rustgrad.ones(2, 3, requires_grad=True)
    c = rustgrad.ones(2, 3)
    assert _names((a + 1).grad_fn.next_functions) == (("AccumulateGrad", 0), (None, 0))
    assert _names((a * c).grad_fn.next_functions) == (("AccumulateGrad", 0), (None, 0))
    assert _names((c * a).grad_fn.next_functions) == ((None, 0), ("AccumulateGrad", 0))
    assert _names((a * 2).grad_fn.next_functions) == (("AccumulateGrad", 0), (None, 0))
    assert _names((2 / a).grad_fn.next_functions) == (("ReciprocalBackward0", 0), (None, 0))
    for r in (a.exp(), a.sum(), a ** 2, -a, a.mean(0)):
        assert _names(r.grad_fn.next_functions) == (("AccumulateGrad", 0),)
    sq = a * a
    n0, n1 = sq.grad_fn.next_functions
    assert n0[0] is n1[0]
    y = (a * 2 + 1).sum()
    assert _names(y.grad_fn.next_functions) == (("AddBackward0", 0),)
    assert _names(y.grad_fn.next_functions[0][0].next_functions) == (("MulBackward0", 0), (None, 0))


def test_next_functions_printing():
    x = _x()
    y = (x + 1).sum()
    assert ADDRESS.sub("0x...", repr(y.grad_fn.next_functions)) == "((<AddBackward0 object at 0x...>, 0),)"
    z = x * 2 + 1
    assert ADDRESS.sub("0x...", str(z.grad_fn.next_functions)) == "((<MulBackward0 object at 0x...>, 0), (None, 0))"


def test_accumulate_grad_node():
    x = _x()
    y1 = x * 2
    y2 = x.exp()
    acc = y1.grad_fn.next_functions[0][0]
    assert acc is y2.grad_fn.next_functions[0][0]  # the same node across graphs while the leaf lives
    assert type(acc).__name__ == "AccumulateGrad"
    assert acc.name() == "torch::autograd::AccumulateGrad"
    assert acc.variable is x
    assert acc.next_functions == ()
    assert ADDRESS.sub("0x...", repr(acc)) == "<AccumulateGrad object at 0x...>"


def test_grad_fn_node_type():
    x = _x()
    y = x ** 2
    assert ADDRESS.sub("0x...", str(y.grad_fn)) == "<PowBackward0 object at 0x...>"
    assert type(y.grad_fn).__name__ == "PowBackward0" and y.grad_fn.name() == "PowBackward0"
    s = y.sum()
    assert repr(type(s.grad_fn)) == "<class 'SumBackward0'>"
    assert type(s.grad_fn).__module__ == "builtins"
    assert isinstance(s.grad_fn, rustgrad.autograd.graph.Node)
    assert x.grad_fn is None
    assert f"Gradient function for z = {s.grad_fn}".startswith("Gradient function for z = <SumBackward0 object at 0x")


# --- 9.5 anomaly mode -----------------------------------------------------------------------------------

def test_anomaly_nan_check():
    x = rustgrad.tensor([-1., 1.], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the "Error detected in ..." traceback warning
        with rustgrad.autograd.detect_anomaly():
            y = x ** 0.5
            with pytest.raises(RuntimeError) as info:
                y.sum().backward()
    assert str(info.value) == "Function 'PowBackward0' returned nan values in its 0th output."
    assert not rustgrad.is_anomaly_enabled()


def test_no_nan_check_without_anomaly_mode():
    x = rustgrad.tensor([-1., 1.], requires_grad=True)
    (x ** 0.5).sum().backward()
    assert repr(x.grad) == "tensor([   nan, 0.5000])"
    x.grad = None
    with rustgrad.autograd.set_detect_anomaly(True, check_nan=False):
        (x ** 0.5).sum().backward()
    assert repr(x.grad) == "tensor([   nan, 0.5000])"


def test_anomaly_nan_check_matches_pytorch():
    torch = torch_or_skip()
    messages = []
    for lib in (rustgrad, torch):
        x = lib.tensor([-1., 1.], requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with lib.autograd.detect_anomaly():
                y = x ** 0.5
                with pytest.raises(RuntimeError) as info:
                    (y * 2).sum().backward()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# --- deep graphs and memory -----------------------------------------------------------------------------

N_DEEP = 10 ** 5


def test_deep_chain_backward_and_drop():
    x = rustgrad.tensor(1., dtype=rustgrad.float64, requires_grad=True)
    y = x
    for _ in range(N_DEEP):
        y = y * 1.0001
    assert y.item() == pytest.approx(1.0001 ** N_DEEP, rel=1e-9)
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001 ** N_DEEP, rel=1e-9)
    del y
    gc.collect()


def test_deep_chain_dropped_without_backward():
    x = rustgrad.tensor([1., 2.], requires_grad=True)
    y = x
    for _ in range(N_DEEP):
        y = y * 1.0001
    del y
    gc.collect()
    assert x.grad is None


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _rss_growth(step, warmup=10 ** 4, iterations=N_DEEP):
    for _ in range(warmup):
        step()
    gc.collect()
    before = _rss_bytes()
    for _ in range(iterations):
        step()
    gc.collect()
    return _rss_bytes() - before


def test_rss_flat_build_and_drop():
    w = rustgrad.randn(4, requires_grad=True)
    x = rustgrad.randn(4)

    def step():
        y = w * x  # noqa: F841 - built and dropped
    assert _rss_growth(step) < 4 * 2 ** 20


def test_rss_flat_build_backward_drop():
    w = rustgrad.randn(4, requires_grad=True)
    x = rustgrad.randn(4)

    def step():
        (w * x).sum().backward()
    assert _rss_growth(step) < 4 * 2 ** 20


def test_fill_node_names_and_tensor_value_gradient():
    # A number fills with FillBackward2; a 0-d tensor with FillBackward3, whose value gets the
    # summed gradient; a tensor with dims is refused with PyTorch's message.
    x = rustgrad.ones(3, requires_grad=True)
    y = x * 1
    y.fill_(2)
    assert type(y.grad_fn).__name__ == "FillBackward2"
    v = rustgrad.tensor(2., requires_grad=True)
    y = x * 1
    y.fill_(v)
    assert type(y.grad_fn).__name__ == "FillBackward3"
    (y * rustgrad.tensor([1., 2., 3.])).sum().backward()
    assert repr(v.grad) == "tensor(6.)"
    assert repr(x.grad) == "tensor([0., 0., 0.])"
    with pytest.raises(RuntimeError, match=r"^fill_ only supports 0-dimension value tensor but got tensor with 1 dimensions\.$"):
        rustgrad.ones(3).fill_(rustgrad.ones(2))
    n = rustgrad.ones(3, dtype=rustgrad.int64)
    assert repr(n.fill_(rustgrad.tensor(2.7))) == "tensor([2, 2, 2])"


def test_rss_flat_graphs_built_in_short_lived_threads():
    # Each thread keeps its own list of free node slots; an exiting thread must give it back, or
    # every new thread would grow the node arena.
    w = rustgrad.randn(4, requires_grad=True)

    def build():
        for _ in range(100):
            y = w
            for _ in range(20):
                y = y * 1.5
            del y

    def step():
        t = threading.Thread(target=build)
        t.start()
        t.join()
    assert _rss_growth(step, warmup=20, iterations=300) < 4 * 2 ** 20


def test_rss_flat_graphs_dropped_on_another_thread():
    # Nodes freed on the consumer thread go to its free list, which must flow back to the builder.
    w = rustgrad.randn(4, requires_grad=True)
    x = rustgrad.randn(4)
    handoff = queue.Queue(maxsize=16)

    def consume():
        while handoff.get() is not None:
            pass

    consumer = threading.Thread(target=consume)
    consumer.start()
    try:
        assert _rss_growth(lambda: handoff.put((w * x).exp()), warmup=5000, iterations=30000) < 4 * 2 ** 20
    finally:
        handoff.put(None)
        consumer.join()


def test_leaf_gets_a_fresh_accumulator_after_its_node_slot_is_reused():
    # A leaf refers to its AccumulateGrad node weakly. Once that node is freed its slot is reused by
    # the next node built; the stale reference must be recognised, not followed into the new node.
    x = rustgrad.ones(3, requires_grad=True)
    w = rustgrad.ones(3, requires_grad=True)
    for _ in range(20):
        y = x * 2
        del y  # frees MulBackward0 and x's AccumulateGrad
        z = (w * 3) * 4  # takes their slots
        (x * 5).sum().backward()
        z.sum().backward()
    assert x.grad.tolist() == [100.0] * 3
    assert w.grad.tolist() == [240.0] * 3
