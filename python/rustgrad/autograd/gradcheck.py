"""Gradient checks by finite differences (PyTorch's ``torch.autograd.gradcheck``).

``gradcheck(func, inputs)`` compares, for every input that requires grad and every
differentiable output, the Jacobian computed by backward (one ``autograd.grad`` call per output
element) with the one from central differences ``(f(x + eps) - f(x - eps)) / (2 eps)``
(one pair of ``func`` calls per input element), element-wise with ``|a - n| <= atol + rtol |n|``.

As in PyTorch, ``rustgrad.autograd.gradcheck`` is both this module (``rustgrad.autograd.gradcheck.
GradcheckError``) and the function: the module object is callable.
"""

import itertools
import sys
import types
import warnings

import rustgrad

from .. import _core
from .function import Function

_Tensor = _core.Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    r"""Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


FAILED_NONDET_MSG = """\n
NOTE: If your op relies on non-deterministic operations i.e., it is listed here:
https://pytorch.org/docs/stable/generated/torch.use_deterministic_algorithms.html
this failure might be expected.

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `nondet_tol=<tol>` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `gradcheck_nondet_tol=<tol>`.
- is a Module test (e.g., in common_nn.py), then modify the corresponding
  module_test entry to have `gradcheck_nondet_tol=<tol>`
"""


def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _is_tensor(x):
    return isinstance(x, _Tensor)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _diff_inputs(inputs):
    return [t for t in inputs if _is_tensor(t) and t.requires_grad]


def _check_inputs(tupled_inputs):
    any_input_requiring_grad = False
    for idx, inp in enumerate(tupled_inputs):
        if _is_tensor(inp) and inp.requires_grad:
            if inp.dtype != rustgrad.float64:
                warnings.warn(
                    f"Input #{idx} requires gradient and "
                    "is not a double precision floating point or complex. "
                    "This check will likely fail if all the inputs are "
                    "not of double precision floating point or complex. ",
                    stacklevel=4,
                )
            if not all(st > 0 or sz <= 1 for st, sz in zip(inp.stride(), inp.shape)):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only "
                    "supports inputs that are non-overlapping to be able to "
                    "compute the numerical gradients correctly. You should call "
                    ".contiguous on the input before passing it to gradcheck."
                )
            any_input_requiring_grad = True
    if not any_input_requiring_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, "
            "but none of them have requires_grad=True."
        )
    return True


def _promote(a, b):
    if a.dtype == b.dtype:
        return a, b
    dtype = (rustgrad.zeros((), dtype=a.dtype) + rustgrad.zeros((), dtype=b.dtype)).dtype
    return a.to(dtype), b.to(dtype)


def _allclose(a, b, rtol, atol):
    """``torch.allclose``: ``|a - b| <= atol + rtol * |b|`` element-wise; equal infinities are close,
    NaN never is."""
    a, b = _promote(a, b)
    for x, y in zip(a.reshape(-1).tolist(), b.reshape(-1).tolist()):
        if x == y:
            continue
        if not abs(x - y) <= atol + rtol * abs(y):
            return False
    return True


def _max_abs_diff_exceeds(j1, j2, tol):
    diff = (j1 - j2).abs()
    return diff.numel() != 0 and diff.max().item() > tol


# ----- numerical Jacobian -----


def _index_tuples(shape):
    return itertools.product(*[range(n) for n in shape])


def _numerical_jacobian_wrt_input(func, inputs, input_idx, outputs, eps):
    """One ``(numel(input), numel(output))`` Jacobian per output: column ``d`` of the transposed
    matrix is the central difference for the ``d``-th element of the input (in index order)."""
    x = inputs[input_idx].data  # shares storage; perturbing it does not bump the input's version
    float_outputs = [o for o in outputs if o.is_floating_point()]
    jacobians = [rustgrad.zeros((x.numel(), o.numel()), dtype=o.dtype) for o in float_outputs]
    for d_idx, idx in enumerate(_index_tuples(x.shape)):
        entry = x[idx]
        orig = entry.clone()
        entry.copy_(orig - eps)
        outa = tuple(o.clone() for o in _as_tuple(func(*inputs)))
        entry.copy_(orig + eps)
        outb = tuple(o.clone() for o in _as_tuple(func(*inputs)))
        entry.copy_(orig)
        cols = []
        for a, b in zip(outa, outb):
            _check_outputs_same_dtype_and_shape(a, b, eps, idx)
            cols.append(((b - a) / (2 * eps)).detach().reshape(-1))
        cols = [c for c in cols if c.is_floating_point()]
        for jacobian, col in zip(jacobians, cols):
            jacobian[d_idx] = col
    return jacobians


def _check_outputs_same_dtype_and_shape(output1, output2, eps, idx=None):
    on_index = f"on index {idx} " if idx is not None else ""
    if output1.shape != output2.shape:
        raise AssertionError(
            f"Expected `func` to return outputs with the same shape"
            f" when inputs are perturbed {on_index}by {eps}, but got:"
            f" shapes {output1.shape} and {output2.shape}."
        )
    if output1.dtype != output2.dtype:
        raise AssertionError(
            f"Expected `func` to return outputs with the same dtype"
            f" when inputs are perturbed {on_index}by {eps}, but got:"
            f" dtypes {output1.dtype} and {output2.dtype}."
        )


def _numerical_jacobians(func, inputs, outputs, eps):
    """``result[i][j]``: the numerical Jacobian of output ``j`` with respect to the ``i``-th input
    that requires grad."""
    return [
        _numerical_jacobian_wrt_input(func, inputs, i, outputs, eps)
        for i, a in enumerate(inputs)
        if _is_tensor(a) and a.requires_grad
    ]


# ----- analytical Jacobian -----


def _analytical_rows(output, diff_inputs):
    """Row ``j`` of each input's Jacobian is ``e_j^T J``: one backward per output element."""
    grad_out = rustgrad.zeros_like(output)
    flat = grad_out.view(-1)
    rows = [[] for _ in diff_inputs]
    for j in range(flat.numel()):
        flat.zero_()
        flat[j] = 1.0
        grads = rustgrad.autograd.grad(output, diff_inputs, grad_out, retain_graph=True, allow_unused=True)
        for i, g in enumerate(grads):
            rows[i].append(g.clone() if _is_tensor(g) else None)
    return rows


def _stack_rows(rows, diff_inputs, numel_output):
    jacobians = []
    sizes_ok = types_ok = True
    for inp, row_list in zip(diff_inputs, rows):
        jacobian = rustgrad.zeros((inp.numel(), numel_output), dtype=inp.dtype)
        for j, g in enumerate(row_list):
            if g is not None and g.shape != inp.shape:
                sizes_ok = False
            elif g is not None and g.dtype != inp.dtype:
                types_ok = False
            if g is None:
                jacobian[:, j] = 0.0
            else:
                if jacobian[:, j].numel() != g.numel():
                    raise AssertionError(
                        f"Expected out_jacobian column to have {g.numel()} elements, "
                        f"but got {jacobian[:, j].numel()}"
                    )
                jacobian[:, j] = g.reshape(-1)
        jacobians.append(jacobian)
    return jacobians, types_ok, sizes_ok


def _analytical_jacobians(inputs, output, nondet_tol, check_grad_dtypes):
    diff_inputs = _diff_inputs(inputs)
    # Computed twice: a backward must give the same values when run again (reentrancy).
    rows1 = _analytical_rows(output, diff_inputs)
    rows2 = _analytical_rows(output, diff_inputs)
    jacobians1, types_ok, sizes_ok = _stack_rows(rows1, diff_inputs, output.numel())
    jacobians2, _, _ = _stack_rows(rows2, diff_inputs, output.numel())
    reentrant = not any(_max_abs_diff_exceeds(j1, j2, nondet_tol) for j1, j2 in zip(jacobians1, jacobians2))
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    if not reentrant:
        raise GradcheckError(
            "Backward is not reentrant, i.e., running backward with "
            "same input and grad_output multiple times gives different values, "
            "although analytical gradient matches numerical gradient."
            f"The tolerance for nondeterminism was {nondet_tol}." + FAILED_NONDET_MSG
        )
    return jacobians1


def _notallclose_msg(analytical, numerical, output_idx, input_idx):
    return (
        f"Jacobian mismatch for output {output_idx:d} with respect to input {input_idx:d},\n"
        f"numerical:{numerical}\nanalytical:{analytical}\n"
    )


def _slow_gradcheck(func, func_out, inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol):
    func_out = _as_tuple(func_out)
    if not outputs:
        for per_input in _numerical_jacobians(func, inputs, func_out, eps):
            for jacobian in per_input:
                if jacobian.ne(0).sum().item() > 0:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return True
    numerical = list(zip(*_numerical_jacobians(func, inputs, func_out, eps)))
    numerical = [nj for o, nj in zip(func_out, numerical) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobians(inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, n) in enumerate(zip(analytical, numerical[i])):
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_notallclose_msg(a, n, i, j))
    return True


# ----- extra backward checks -----


def _test_backward_mul_by_grad_output(outputs, inputs):
    diff_inputs = _diff_inputs(inputs)
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")
    grads_input = rustgrad.autograd.grad(
        outputs, diff_inputs, [rustgrad.zeros_like(o) for o in outputs], allow_unused=True
    )
    for gi, di in zip(grads_input, diff_inputs):
        if gi is None:
            continue
        if not gi.eq(0).all():
            raise GradcheckError("backward not multiplied by grad_output")
        if gi.dtype != di.dtype:
            raise GradcheckError("grad is incorrect type")
        if gi.shape != di.shape:
            raise GradcheckError("grad is incorrect size")
    return True


class _UndefinedGrad(Function):
    """Identity whose backward sends no gradient (PyTorch's ``UndefinedGrad`` node): what is
    behind it receives an undefined output gradient."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, grad):
        return None


def _test_undefined_backward_mode(func, outputs, inputs):
    diff_inputs = _diff_inputs(inputs)
    if not diff_inputs:
        raise GradcheckError("no Tensors requiring grad found in input")

    def warn_bc_breaking():
        warnings.warn(
            "Backwards compatibility: New undefined gradient support checking "
            "feature is enabled by default, but it may break existing callers "
            "of this function. If this is true for you, you can call this "
            'function with "check_undefined_grad=False" to disable the feature',
            stacklevel=2,
        )

    def check_undefined_grad_support(output_to_check):
        grads_output = [rustgrad.zeros_like(o) for o in output_to_check]
        try:
            grads_input = rustgrad.autograd.grad(output_to_check, diff_inputs, grads_output, allow_unused=True)
        except RuntimeError as e:
            warn_bc_breaking()
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. "
                'Please look at "Notes about undefined output gradients" in '
                '"tools/autograd/derivatives.yaml"'
            ) from e
        for gi in grads_input:
            if gi is not None and not gi.eq(0).all():
                warn_bc_breaking()
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads are undefined "
                    'or zero. Please look at "Notes about undefined output gradients" in '
                    '"tools/autograd/derivatives.yaml"'
                )
        return True

    outputs_to_check = [[_UndefinedGrad.apply(o) for o in _differentiable_outputs(func(*inputs)) if _is_tensor(o)]]
    if len(outputs_to_check[0]) > 1:
        for undef_grad_idx in range(len(outputs)):
            output_to_check = _differentiable_outputs(func(*inputs))
            outputs_to_check.append(
                [_UndefinedGrad.apply(o) if idx == undef_grad_idx else o for idx, o in enumerate(output_to_check)]
            )
    return all(check_undefined_grad_support(output) for output in outputs_to_check)


# ----- public API -----


def gradcheck(
    func,
    inputs,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_batched_forward_grad=False,
    check_forward_ad=False,
    check_backward_ad=True,
    fast_mode=False,
    masked=None,
):
    r"""Checks the gradients computed by backward against small finite differences, for the
    inputs that are floating point tensors with ``requires_grad=True``. Returns ``True``, or
    raises :class:`GradcheckError` (returns ``False`` with ``raise_exception=False``).

    Forward-mode AD and vmap are not part of rustgrad: ``check_forward_ad``,
    ``check_batched_grad`` and ``check_batched_forward_grad`` raise ``NotImplementedError``;
    ``fast_mode`` runs the full (slow) check, which is stricter.
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError("Expected at least one of check_forward_ad or check_backward_ad to be True")
    if check_batched_grad and not check_backward_ad:
        raise AssertionError("Setting check_batched_grad=True requires check_backward_ad to be True")
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError("Setting check_batched_forward_grad=True requires check_forward_ad to be True")
    if check_forward_ad or check_batched_grad or check_batched_forward_grad:
        raise NotImplementedError("rustgrad has no forward-mode AD or vmap: only backward-mode checks are available")
    try:
        return _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def _gradcheck_helper(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad, check_grad_dtypes):
    tupled_inputs = _as_tuple(inputs)
    _check_inputs(tupled_inputs)
    func_out = func(*tupled_inputs)
    outputs = _differentiable_outputs(func_out)
    _slow_gradcheck(func, func_out, tupled_inputs, outputs, eps, rtol, atol, check_grad_dtypes, nondet_tol)
    _test_backward_mul_by_grad_output(outputs, tupled_inputs)
    if check_undefined_grad:
        _test_undefined_backward_mode(func, outputs, tupled_inputs)
    return True


def _random_grad_output(x, noncontiguous):
    dtype = x.dtype if x.is_floating_point() else rustgrad.float64
    shape = tuple(x.shape)
    if noncontiguous and len(shape) > 0 and x.numel() > 1:
        # Every other element along a last dimension twice as long (as make_tensor does).
        wide = rustgrad.rand(shape[:-1] + (2 * shape[-1],), dtype=dtype) * 2 - 1
        values = wide[..., ::2]
    else:
        values = rustgrad.rand(shape, dtype=dtype) * 2 - 1  # uniform in [-1, 1), as make_tensor
    return values.detach().requires_grad_()


def gradgradcheck(
    func,
    inputs,
    grad_outputs=None,
    *,
    eps=1e-6,
    atol=1e-5,
    rtol=1e-3,
    gen_non_contig_grad_outputs=False,
    raise_exception=True,
    nondet_tol=0.0,
    check_undefined_grad=True,
    check_grad_dtypes=False,
    check_batched_grad=False,
    check_fwd_over_rev=False,
    check_rev_over_rev=True,
    fast_mode=False,
    masked=False,
):
    r"""Checks second derivatives: runs :func:`gradcheck` on the function that maps
    ``(*inputs, *grad_outputs)`` to the gradients of ``func``'s outputs (contracted with
    ``grad_outputs``) with respect to ``inputs``, computed with ``create_graph=True``.
    Without ``grad_outputs``, random ones in ``[-1, 1)`` that require grad are used."""
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError("Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True")
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_undefined_grad=True requires check_rev_over_rev to be True")
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError("Setting check_batched_grad=True requires check_rev_over_rev to be True")
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(_random_grad_output(x, gen_non_contig_grad_outputs) for x in outputs)
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    num_outputs = len(tupled_grad_outputs)
    diff_input_args_indices = {i for i, x in enumerate(tupled_inputs) if _is_tensor(x) and x.requires_grad}
    diff_grad_output_indices = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def new_func(*args):
        input_args = tuple(
            x.requires_grad_() if i in diff_input_args_indices else x for i, x in enumerate(args[:-num_outputs])
        )
        outputs = _differentiable_outputs(func(*input_args))
        grad_outputs = tuple(
            x.requires_grad_() if i in diff_grad_output_indices else x for i, x in enumerate(args[-num_outputs:])
        )
        diff_input_args = tuple(x for i, x in enumerate(input_args) if i in diff_input_args_indices)
        grad_inputs = rustgrad.autograd.grad(outputs, diff_input_args, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in grad_inputs if g is not None)

    return gradcheck(
        new_func,
        tupled_inputs + tupled_grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev,
        check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


class _CallableModule(types.ModuleType):
    """This module, callable as :func:`gradcheck` (``rustgrad.autograd.gradcheck(f, x)``)."""

    def __call__(self, *args, **kwargs):
        return gradcheck(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
# `inspect.signature(rustgrad.autograd.gradcheck)` shows the function's signature.
__wrapped__ = gradcheck
