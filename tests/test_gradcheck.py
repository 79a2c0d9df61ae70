"""rustgrad.autograd.gradcheck / gradgradcheck (spec 9.1): signatures, passing on a representative
op of every family of the core (and on custom Functions, Python and Rust), and PyTorch's failure
messages, warnings and errors.
"""

import inspect
import warnings

import numpy as np
import pytest

import rustgrad
from rustgrad.autograd import gradcheck, gradgradcheck

F = rustgrad._core  # activations not yet under rustgrad.nn.functional

FLOAT32_WARNING = (
    "Input #0 requires gradient and is not a double precision floating point or complex. This check will likely "
    "fail if all the inputs are not of double precision floating point or complex. "
)


@pytest.fixture(params=["rustgrad", "torch"])
def lib(request):
    if request.param == "torch":
        return pytest.importorskip("torch")
    return rustgrad


def leaf(lib, shape, seed=0, low=-1.0, high=1.0):
    values = np.random.default_rng(seed).uniform(low, high, shape)
    return lib.tensor(values.tolist(), dtype=lib.float64, requires_grad=True)


def wrong_square(lib):
    class WrongSquare(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x * g  # should be 2x

    return WrongSquare


# ----- API -----


def test_signatures():
    assert str(inspect.signature(rustgrad.autograd.gradcheck)) == (
        "(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True, nondet_tol=0.0, "
        "check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False, "
        "check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True, fast_mode=False, "
        "masked=None)"
    )
    assert str(inspect.signature(gradgradcheck)) == (
        "(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001, gen_non_contig_grad_outputs=False, "
        "raise_exception=True, nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False, "
        "check_batched_grad=False, check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False, masked=False)"
    )


def test_module_and_function():
    from rustgrad.autograd.gradcheck import GradcheckError
    from rustgrad.autograd.gradcheck import gradcheck as fn

    assert rustgrad.autograd.gradcheck.GradcheckError is GradcheckError
    assert rustgrad.autograd.GradcheckError is GradcheckError
    assert issubclass(GradcheckError, RuntimeError)
    assert repr(GradcheckError) == "<class 'rustgrad.autograd.gradcheck.GradcheckError'>"
    assert callable(rustgrad.autograd.gradcheck) and fn(lambda t: t * 2, leaf(rustgrad, 2)) is True


def test_passes_with_tensor_or_tuple(lib):
    x = leaf(lib, (2, 3))
    assert lib.autograd.gradcheck(lambda t: (t * t).sin(), x) is True
    assert lib.autograd.gradcheck(lambda t, k: t * k, (x, 3.0)) is True
    assert lib.autograd.gradcheck(lambda a, b: (a * b, a + b), [x, leaf(lib, (2, 3), 1)]) is True


def test_failure_message(lib):
    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(wrong_square(lib).apply, (x,))
    assert type(info.value).__name__ == "GradcheckError"
    assert type(info.value).__module__ == f"{lib.__name__}.autograd.gradcheck"
    assert str(info.value) == (
        "Jacobian mismatch for output 0 with respect to input 0,\n"
        "numerical:tensor([[2.0000, 0.0000],\n"
        f"        [0.0000, 4.0000]], dtype={lib.__name__}.float64)\n"
        "analytical:tensor([[3., 0.],\n"
        f"        [0., 6.]], dtype={lib.__name__}.float64)\n"
    )


def test_failure_names_output_and_input(lib):
    Wrong = wrong_square(lib)
    a, b = leaf(lib, 2), leaf(lib, 3, 1)
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(lambda p, q: (p * 2, q * 2 + Wrong.apply(q) * 0 + Wrong.apply(q)), (a, b))
    assert str(info.value).startswith("Jacobian mismatch for output 1 with respect to input 1,\nnumerical:tensor(")


def test_raise_exception_false(lib):
    x = leaf(lib, 2)
    assert lib.autograd.gradcheck(wrong_square(lib).apply, (x,), raise_exception=False) is False


def test_float32_warning(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lib.autograd.gradcheck(lambda t: t * 2, x, raise_exception=False)
    assert [(w.category, str(w.message)) for w in caught] == [(UserWarning, FLOAT32_WARNING)]


def test_no_input_requires_grad(lib):
    with pytest.raises(ValueError) as info:
        lib.autograd.gradcheck(lambda t: t * 2, lib.ones(2, dtype=lib.float64))
    assert str(info.value) == (
        "gradcheck expects at least one input tensor to require gradient, but none of them have requires_grad=True."
    )


def test_tolerances(lib):
    # f(x) = x² with a backward off by 1e-4 relative: fails the default rtol=1e-3 only when tightened.
    class Off(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g * (1 + 1e-4)

    x = leaf(lib, 3, low=1.0, high=2.0)
    assert lib.autograd.gradcheck(Off.apply, x) is True
    assert lib.autograd.gradcheck(Off.apply, x, rtol=1e-6, atol=1e-9, raise_exception=False) is False
    assert lib.autograd.gradcheck(Off.apply, x, eps=1e-4, rtol=1e-3) is True


def test_nondeterministic_backward(lib):
    calls = []

    class Noisy(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            calls.append(1)
            return g * 2 + len(calls) * 1e-9

    x = leaf(lib, 2)
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(Noisy.apply, x)
    assert str(info.value).startswith(
        "Backward is not reentrant, i.e., running backward with same input and grad_output multiple times gives "
        "different values, although analytical gradient matches numerical gradient.The tolerance for "
        "nondeterminism was 0.0.\n\nNOTE: If your op relies on non-deterministic operations"
    )
    # With a tolerance the noise passes; the zero-grad_output check then still sees it.
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(Noisy.apply, x, nondet_tol=1e-6)
    assert str(info.value) == "backward not multiplied by grad_output"


def test_backward_not_multiplied_by_grad_output(lib):
    class Ignores(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return lib.ones_like(x)

    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(Ignores.apply, leaf(lib, 3))
    assert str(info.value) == "backward not multiplied by grad_output"


def two_output_fn(lib, strict_about_none):
    class TwoOut(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            ctx.saved_x = x
            return x * 2, x.exp()

        @staticmethod
        def backward(ctx, g1, g2):
            if strict_about_none and g2 is None:
                raise RuntimeError("gradient of output 1 missing")
            total = 0
            if g1 is not None:
                total = total + g1 * 2
            if g2 is not None:
                total = total + g2 * ctx.saved_x.exp()
            return None if isinstance(total, int) else total

    return TwoOut


def test_undefined_output_grads(lib):
    # Outputs whose gradient is undefined (one at a time, then all): a backward that handles None
    # passes; one that cannot fails already while the Jacobian of output 0 is built.
    x = leaf(lib, 2)
    assert lib.autograd.gradcheck(two_output_fn(lib, False).apply, x) is True
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(two_output_fn(lib, True).apply, x, check_undefined_grad=False)
    assert str(info.value) == "gradient of output 1 missing"


def test_no_differentiable_outputs(lib):
    x = leaf(lib, 3)
    assert lib.autograd.gradcheck(lambda t: (t > 0).double(), x) is True
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradcheck(lambda t: (t * 2).detach(), x)
    assert str(info.value) == "Numerical gradient for function expected to be zero"


def test_unused_input_and_none_gradient(lib):
    a, b = leaf(lib, 2), leaf(lib, 2, 1)
    assert lib.autograd.gradcheck(lambda p, q: p * 3, (a, b)) is True


# ----- gradgradcheck -----


def test_gradgradcheck_passes(lib):
    x = leaf(lib, (2, 3))
    assert lib.autograd.gradgradcheck(lambda t: (t * t).sin(), x) is True
    assert lib.autograd.gradgradcheck(lambda t: (t * t).sin(), (x,), (leaf(lib, (2, 3), 5),)) is True
    assert lib.autograd.gradgradcheck(lambda t: t.exp().sum(), x, gen_non_contig_grad_outputs=True) is True
    # grad_outputs that do not require grad are not checked.
    assert lib.autograd.gradgradcheck(lambda t: t ** 3, x, lib.ones(2, 3, dtype=lib.float64)) is True


def test_gradgradcheck_fails_on_wrong_second_derivative(lib):
    class DetachedBackward(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x.detach() ** 2 * g  # right first derivative, no second derivative

    x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    go = lib.tensor([1.0, 1.0], dtype=lib.float64, requires_grad=True)
    assert lib.autograd.gradcheck(DetachedBackward.apply, x) is True
    with pytest.raises(RuntimeError) as info:
        lib.autograd.gradgradcheck(DetachedBackward.apply, x, go)
    assert str(info.value) == (
        "Jacobian mismatch for output 0 with respect to input 0,\n"
        "numerical:tensor([[ 6.0000,  0.0000],\n"
        f"        [ 0.0000, 12.0000]], dtype={lib.__name__}.float64)\n"
        "analytical:tensor([[0., 0.],\n"
        f"        [0., 0.]], dtype={lib.__name__}.float64)\n"
    )
    assert lib.autograd.gradgradcheck(DetachedBackward.apply, x, go, raise_exception=False) is False


# ----- every op family of the core -----

OPS = {
    # binary arithmetic (broadcasting)
    "add": (lambda a, b: a + b, [(2, 3), (3,)]),
    "sub_scaled": (lambda a, b: a.sub(b, alpha=2.5), [(2, 3), (2, 1)]),
    "mul": (lambda a, b: a * b, [(2, 3), (2, 3)]),
    "div": (lambda a, b: a / (b.abs() + 1), [(3,), (3,)]),
    "pow": (lambda a, b: (a.abs() + 0.5) ** b, [(4,), (4,)]),
    # unary math
    "exp": (lambda a: a.exp(), [(2, 2)]),
    "log": (lambda a: (a.abs() + 0.1).log(), [(5,)]),
    "sin_cos": (lambda a: a.sin() * a.cos(), [(5,)]),
    "tanh": (lambda a: a.tanh(), [(5,)]),
    "sqrt": (lambda a: (a * a + 1).sqrt(), [(5,)]),
    "rsqrt_reciprocal": (lambda a: (a * a + 1).rsqrt() + (a.abs() + 1).reciprocal(), [(5,)]),
    "erf_atan": (lambda a: a.erf() + a.atan(), [(5,)]),
    # activations
    "relu": (lambda a: a.relu(), [(6,)]),
    "sigmoid": (lambda a: a.sigmoid(), [(6,)]),
    "gelu": (lambda a: F.gelu(a), [(6,)]),
    "silu_softplus": (lambda a: F.silu(a) + F.softplus(a), [(6,)]),
    "elu_leaky": (lambda a: F.elu(a) + F.leaky_relu(a, 0.1), [(6,)]),
    "clamp": (lambda a: a.clamp(-0.5, 0.5), [(6,)]),
    # reductions
    "sum_dim": (lambda a: a.sum(1), [(3, 4)]),
    "mean_keepdim": (lambda a: a.mean(0, keepdim=True), [(3, 4)]),
    "prod": (lambda a: a.prod(1), [(2, 3)]),
    "amax": (lambda a: a.amax(1), [(3, 4)]),
    "max_dim": (lambda a: a.max(1)[0], [(3, 4)]),
    "var_std": (lambda a: a.var(1) + a.std(1, correction=0), [(3, 4)]),
    "norm_logsumexp": (lambda a: a.norm() + a.logsumexp(1), [(3, 4)]),
    "cumsum": (lambda a: a.cumsum(1), [(2, 4)]),
    # softmax
    "softmax": (lambda a: a.softmax(1), [(3, 4)]),
    "log_softmax": (lambda a: a.log_softmax(0), [(3, 4)]),
    # matmul family
    "matmul": (lambda a, b: a @ b, [(2, 3), (3, 4)]),
    "bmm": (lambda a, b: a.bmm(b), [(2, 2, 3), (2, 3, 2)]),
    "mv_dot": (lambda a, v: a.mv(v) * v[:2].dot(v[1:]), [(2, 3), (3,)]),
    "addmm": (lambda c, a, b: c.addmm(a, b, beta=0.5, alpha=2.0), [(2, 2), (2, 3), (3, 2)]),
    "einsum": (lambda a, b: rustgrad.einsum("ij,jk->ik", a, b), [(2, 3), (3, 2)]),
    # views, indexing, joining
    "transpose_reshape": (lambda a: a.t().reshape(-1) * 2, [(2, 3)]),
    "permute_expand": (lambda a: a.permute(1, 0).unsqueeze(0).expand(2, 3, 2), [(2, 3)]),
    "getitem": (lambda a: a[1:, ::2] + a[0, 1], [(3, 4)]),
    "advanced_index": (lambda a: a[rustgrad.tensor([2, 0, 2])], [(3, 2)]),
    "cat_stack": (lambda a, b: rustgrad.cat([a, b], 0) + rustgrad.stack([a, b], 0).sum(0).repeat(2, 1), [(2, 3), (2, 3)]),
    "gather": (lambda a: a.gather(1, rustgrad.tensor([[0, 2], [1, 1]])), [(2, 3)]),
    "split_flip": (lambda a: a.split(2, 1)[0].flip(0), [(3, 4)]),
    "setitem_clone": (lambda a: _setitem(a), [(3,)]),
    # where / masked_fill
    "where": (lambda a, b: rustgrad.where(a > 0, a, b * 2), [(5,), (5,)]),
    "masked_fill": (lambda a: a.masked_fill(rustgrad.tensor([True, False, True, False]), 3.0), [(4,)]),
}


def _setitem(a):
    b = a * 1
    b[1] = a[0] * 5
    return b


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradcheck_op_families(name):
    fn, shapes = OPS[name]
    inputs = tuple(leaf(rustgrad, s, seed=i + 7) for i, s in enumerate(shapes))
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("name", ["mul", "exp", "tanh", "sigmoid", "softmax", "matmul", "prod", "div", "gelu"])
def test_gradgradcheck_op_families(name):
    fn, shapes = OPS[name]
    inputs = tuple(leaf(rustgrad, s, seed=i + 11) for i, s in enumerate(shapes))
    assert gradgradcheck(fn, inputs)


def test_gradcheck_custom_functions():
    class Softsign(rustgrad.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x / (1 + x.abs())

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g / (1 + x.abs()) ** 2

    x = leaf(rustgrad, (2, 3))
    assert gradcheck(Softsign.apply, x) and gradgradcheck(Softsign.apply, x)


def test_gradcheck_rust_custom_op():
    cube = rustgrad._core._example_cube
    x = leaf(rustgrad, (2, 3))
    y = cube(x)
    assert repr(y.grad_fn.name()) == "'CubeBackward'"
    np.testing.assert_allclose(np.array(y.tolist()), np.array(x.tolist()) ** 3, rtol=1e-15)
    assert gradcheck(cube, x) and gradgradcheck(cube, x)
    # Its saved tensor is version-checked, as built-in ops' are.
    a = x * 1
    z = cube(a)
    a.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert "which is output 0 of Add, is at version 1; expected version 0 instead." in str(info.value)
