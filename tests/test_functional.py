"""rustgrad.autograd.functional (spec 9.4): jacobian, hessian, vjp, jvp, hvp, vhp: values, shapes,
tuple inputs/outputs, create_graph, strict mode and the error texts.

Tests run against rustgrad and, when installed, PyTorch (the ``lib`` fixture), so every expected
string is PyTorch's own.
"""

import inspect

import numpy as np
import pytest

import rustgrad


@pytest.fixture(params=["rustgrad", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return rustgrad


def F(lib):
    return lib.autograd.functional


def square(x):
    return x ** 2


def cube_sum(x):
    return (x ** 3).sum()


def error_of(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the type is part of what is compared
        return type(e).__name__, str(e)
    return None


def test_signatures():
    fn = rustgrad.autograd.functional
    assert str(inspect.signature(fn.jacobian)) == (
        "(func, inputs, create_graph=False, strict=False, vectorize=False, strategy='reverse-mode')"
    )
    assert str(inspect.signature(fn.hessian)) == (
        "(func, inputs, create_graph=False, strict=False, vectorize=False, outer_jacobian_strategy='reverse-mode')"
    )
    for name in ("vjp", "jvp", "hvp", "vhp"):
        assert str(inspect.signature(getattr(fn, name))) == "(func, inputs, v=None, create_graph=False, strict=False)"


def test_jacobian_diagonal(lib):
    J = F(lib).jacobian(square, lib.tensor([1.0, 2.0, 3.0]))
    assert repr(J) == "tensor([[2., 0., 0.],\n        [0., 4., 0.],\n        [0., 0., 6.]])"
    assert J.requires_grad is False


def test_jacobian_tuple_inputs(lib):
    res = F(lib).jacobian(lambda x, y: x * y, (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])))
    assert isinstance(res, tuple)
    assert repr(res) == "(tensor([[3., 0.],\n        [0., 4.]]), tensor([[1., 0.],\n        [0., 2.]]))"


def test_jacobian_shapes(lib):
    assert repr(F(lib).jacobian(lambda t: t.sum(), lib.tensor([1.0, 2.0, 3.0]))) == "tensor([1., 1., 1.])"
    assert repr(F(lib).jacobian(lambda t: t * 2, lib.tensor(1.0))) == "tensor(2.)"
    J = F(lib).jacobian(lambda m: m.sum(1), lib.ones(2, 3))
    assert tuple(J.shape) == (2, 2, 3)
    outs = F(lib).jacobian(lambda a: (a * 2, a.sum()), lib.tensor([1.0, 2.0, 3.0]))
    assert isinstance(outs, tuple) and [tuple(o.shape) for o in outs] == [(3, 3), (3,)]
    nested = F(lib).jacobian(lambda a, b: (a * b, a + b), (lib.ones(2), lib.ones(3, 1)))
    assert [[tuple(j.shape) for j in row] for row in nested] == [[(3, 2, 2), (3, 2, 3, 1)], [(3, 2, 2), (3, 2, 3, 1)]]


def test_jacobian_unused_input(lib):
    args = (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]))
    res = F(lib).jacobian(lambda a, b: a * 2, args)
    assert repr(res[1]) == "tensor([[0., 0.],\n        [0., 0.]])"
    assert error_of(lambda: F(lib).jacobian(lambda a, b: a * 2, args, strict=True)) == (
        "RuntimeError",
        "Output 0 of the user-provided function is independent of input 1. This is not allowed in strict mode.",
    )


def test_jacobian_create_graph(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    J = F(lib).jacobian(square, x, create_graph=True)
    assert J.requires_grad and J.grad_fn is not None
    J.sum().backward()
    assert repr(x.grad) == "tensor([2., 2., 2.])"
    assert error_of(lambda: F(lib).jacobian(lambda a: a * 2, x, create_graph=True, strict=True)) == (
        "RuntimeError",
        "The jacobian of the user-provided function is independent of input 0. This is not allowed in strict "
        "mode when create_graph=True.",
    )


def test_jacobian_does_not_touch_inputs(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    F(lib).jacobian(square, x)
    assert x.grad is None


def test_jacobian_strategy_errors(lib):
    x = lib.tensor([1.0, 2.0])
    kind, message = error_of(lambda: F(lib).jacobian(square, x, strategy="bad"))
    assert kind == "AssertionError" and message.startswith('Expected strategy to be either "forward-mode" or')
    assert error_of(lambda: F(lib).jacobian(square, x, strategy="forward-mode")) == (
        "NotImplementedError",
        "Computing Jacobian using forward-AD or forward-over-reverse Hessian isonly implemented for "
        "`vectorize=True`.",
    )
    assert repr(F(lib).jacobian(square, x, vectorize=True)) == "tensor([[2., 0.],\n        [0., 4.]])"
    assert repr(F(lib).jacobian(square, x, vectorize=True, strategy="forward-mode")) == (
        "tensor([[2., 0.],\n        [0., 4.]])"
    )


def test_hessian(lib):
    H = F(lib).hessian(cube_sum, lib.tensor([1.0, 2.0, 3.0]))
    assert repr(H) == "tensor([[ 6.,  0.,  0.],\n        [ 0., 12.,  0.],\n        [ 0.,  0., 18.]])"
    pair = F(lib).hessian(lambda a, b: (a * a * b).sum(), (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0])))
    assert repr(pair) == (
        "((tensor([[6., 0.],\n        [0., 8.]]), tensor([[2., 0.],\n        [0., 4.]])), "
        "(tensor([[2., 0.],\n        [0., 4.]]), tensor([[0., 0.],\n        [0., 0.]])))"
    )


def test_hessian_errors(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    assert error_of(lambda: F(lib).hessian(square, x)) == (
        "RuntimeError", "The Tensor returned by the function given to hessian should contain a single element")
    assert error_of(lambda: F(lib).hessian(lambda a: (a.sum(), a.sum()), x)) == (
        "RuntimeError", "The function given to hessian should return a single Tensor")
    assert error_of(lambda: F(lib).hessian(lambda a: (a * 2).sum(), x, strict=True)) == (
        "RuntimeError",
        "While computing the hessian, found that the jacobian of the user-provided function with respect to "
        "input 0 is independent of the input. This is not allowed in strict mode. You should ensure that your "
        "function is twice differentiable and that the jacobian depends on the inputs (this would be violated "
        "by a linear function for example).",
    )


def test_vjp_and_jvp(lib):
    x, ones = lib.tensor([1.0, 2.0, 3.0]), lib.ones(3)
    assert repr(F(lib).vjp(square, x, ones)) == "(tensor([1., 4., 9.]), tensor([2., 4., 6.]))"
    assert repr(F(lib).jvp(square, x, ones)) == "(tensor([1., 4., 9.]), tensor([2., 4., 6.]))"
    assert repr(F(lib).vjp(cube_sum, x)) == "(tensor(36.), tensor([ 3., 12., 27.]))"
    assert error_of(lambda: F(lib).vjp(square, x)) == (
        "RuntimeError",
        "The vector v can only be None if the user-provided function returns a single Tensor with a single element.",
    )
    assert repr(F(lib).jvp(lambda a: a * 3, lib.tensor(2.0))) == "(tensor(6.), tensor(3.))"
    assert error_of(lambda: F(lib).jvp(square, x)) == (
        "RuntimeError",
        "The vector v can only be None if the input to the user-provided function is a single Tensor with a "
        "single element.",
    )


def test_vjp_jvp_tuples(lib):
    args = (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]))
    fn = lambda a, b: (a * b, a + b)  # noqa: E731
    assert repr(F(lib).vjp(fn, args, (lib.ones(2), lib.ones(2)))) == (
        "((tensor([3., 8.]), tensor([4., 6.])), (tensor([4., 5.]), tensor([2., 3.])))"
    )
    assert repr(F(lib).jvp(fn, args, (lib.ones(2), lib.ones(2)))) == (
        "((tensor([3., 8.]), tensor([4., 6.])), (tensor([4., 6.]), tensor([2., 2.])))"
    )


def test_v_validation(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    args = (lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]))
    mod = lib.__name__
    assert error_of(lambda: F(lib).vjp(square, x, lib.ones(2))) == (
        "RuntimeError", f"v has invalid size: should be {mod}.Size([3]) but got {mod}.Size([2]).")
    assert error_of(lambda: F(lib).jvp(lambda a, b: a * b, args, (lib.ones(2),))) == (
        "RuntimeError", "v is a tuple of invalid length: should be 2 but got 1.")
    assert error_of(lambda: F(lib).jvp(lambda a, b: a * b, args, (lib.ones(2), lib.ones(3)))) == (
        "RuntimeError", f"Entry 1 in v has invalid size: should be {mod}.Size([2]) but got {mod}.Size([3]).")
    assert error_of(lambda: F(lib).vjp(square, x, (lib.ones(3), lib.ones(3)))) == (
        "RuntimeError", "The given v should contain a single Tensor.")
    assert error_of(lambda: F(lib).vjp(square, [x], lib.ones(3))) == (
        "TypeError",
        "The inputs given to vjp must be either a Tensor or a tuple of Tensors but the given inputs has type "
        "<class 'list'>.",
    )
    assert error_of(lambda: F(lib).vjp(lambda a, b: a, (x, 2.0), lib.ones(3))) == (
        "TypeError",
        "The inputs given to vjp must be either a Tensor or a tuple of Tensors but the value at index 1 has type "
        "<class 'float'>.",
    )


def test_hvp_and_vhp(lib):
    x, ones = lib.tensor([1.0, 2.0, 3.0]), lib.ones(3)
    assert repr(F(lib).hvp(cube_sum, x, ones)) == "(tensor(36.), tensor([ 6., 12., 18.]))"
    assert repr(F(lib).vhp(cube_sum, x, ones)) == "(tensor(36.), tensor([ 6., 12., 18.]))"
    assert error_of(lambda: F(lib).hvp(square, x, ones)) == (
        "RuntimeError", "The Tensor returned by the function given to hvp should contain a single element")
    assert error_of(lambda: F(lib).vhp(lambda a: (a.sum(),), x, ones)) == (
        "RuntimeError", "The function given to vhp should return a single Tensor")


def test_strict_mode_errors(lib):
    x, ones = lib.tensor([1.0, 2.0, 3.0]), lib.ones(3)
    assert error_of(lambda: F(lib).vjp(lambda a: a.detach(), x, ones, strict=True)) == (
        "RuntimeError",
        "Output 0 of the user-provided function does not require gradients. The outputs must be computed in a "
        "differentiable manner from the input when running in strict mode.",
    )
    assert error_of(lambda: F(lib).vjp(lambda a, b: a * 2, (x, x.clone()), ones, strict=True)) == (
        "RuntimeError", "The output of the user-provided function is independent of input 1. This is not allowed in "
        "strict mode.")
    independent = ("RuntimeError", "The output of the user-provided function is independent of input 1. This is "
                   "not allowed in strict mode.")
    assert error_of(lambda: F(lib).jvp(lambda a, b: a * 2, (x, x.clone()), (ones, ones), strict=True)) == independent
    assert error_of(lambda: F(lib).hvp(lambda a, b: (a ** 3).sum(), (x, x.clone()), (ones, ones), strict=True)) == (
        independent)
    hessian_linear = (
        "RuntimeError",
        "While computing the hessian, found that the jacobian of the user-provided function with respect to "
        "input 0 is independent of the input. This is not allowed in strict mode. You should ensure that your "
        "function is twice differentiable and that the jacobian depends on the inputs (this would be violated "
        "by a linear function for example).",
    )
    assert error_of(lambda: F(lib).hvp(lambda a: (a * 2).sum(), x, ones, strict=True)) == hessian_linear
    assert error_of(lambda: F(lib).vhp(lambda a: (a * 2).sum(), x, ones, strict=True)) == hessian_linear


def test_non_strict_unused_inputs_give_zeros(lib):
    x, y, ones = lib.tensor([1.0, 2.0]), lib.tensor([3.0, 4.0]), lib.ones(2)
    assert repr(F(lib).vjp(lambda a, b: a * 2, (x, y), ones)[1]) == "(tensor([2., 2.]), tensor([0., 0.]))"
    assert repr(F(lib).hvp(lambda a, b: (a ** 3).sum(), (x, y), (ones, ones))[1]) == (
        "(tensor([ 6., 12.]), tensor([0., 0.]))")
    assert repr(F(lib).jvp(lambda a: a.detach() * 2, x, ones)[1]) == "tensor([0., 0.])"


def test_create_graph_results(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out, g = F(lib).vjp(square, x, lib.ones(3), create_graph=True)
    assert repr(out) == "tensor([1., 4., 9.], grad_fn=<PowBackward0>)"
    assert repr(g) == "tensor([2., 4., 6.], grad_fn=<MulBackward0>)"
    out, g = F(lib).jvp(square, x, lib.ones(3), create_graph=True)
    assert g.requires_grad
    g.sum().backward()
    assert repr(x.grad) == "tensor([2., 2., 2.])"
    out, g = F(lib).vjp(square, x, lib.ones(3))
    assert not out.requires_grad and not g.requires_grad
    _, hv = F(lib).hvp(cube_sum, x, lib.ones(3), create_graph=True)
    (third,) = lib.autograd.grad(hv.sum(), x)
    assert repr(third) == "tensor([6., 6., 6.])"


def test_results_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal(3)
    va, vb = rng.standard_normal((2, 3)), rng.standard_normal(3)
    vo = rng.standard_normal(2)

    def fn(x, y):
        return (x * y).tanh().sum(1), (x.exp() * y).sum()

    def scalar(x, y):
        return ((x * y).sin() * y).sum()

    def run(lib):
        T = lambda v: lib.tensor(v.tolist(), dtype=lib.float64)  # noqa: E731
        fnl = lib.autograd.functional
        args = (T(a), T(b))
        out = [fnl.jacobian(fn, args), fnl.hessian(scalar, args), fnl.vjp(fn, args, (T(vo), T(np.array(1.0))))[1],
               fnl.jvp(fn, args, (T(va), T(vb)))[1], fnl.hvp(scalar, args, (T(va), T(vb)))[1],
               fnl.vhp(scalar, args, (T(va), T(vb)))[1]]

        def flat(obj):
            if isinstance(obj, tuple):
                return [v for o in obj for v in flat(o)]
            return [np.array(obj.tolist())]

        return flat(tuple(out))

    for ours, theirs in zip(run(rustgrad), run(torch)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
