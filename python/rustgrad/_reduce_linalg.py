"""Function forms of the reduction and linear-algebra methods (``rustgrad.matmul(a, b)`` is
``a.matmul(b)``), re-exported by ``rustgrad``. A separate module so that ``max``/``min``/``all``/
``any`` do not shadow the builtins inside ``rustgrad/__init__.py``."""

from . import _arg_errors, _core



def matmul(input, other):
    try:
        return input.matmul(other)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("matmul", input) from None


def mm(input, mat2):
    try:
        return input.mm(mat2)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("mm", input) from None


def bmm(input, mat2):
    try:
        return input.bmm(mat2)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("bmm", input) from None


def mv(input, vec):
    try:
        return input.mv(vec)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("mv", input) from None


def dot(input, tensor):
    try:
        return input.dot(tensor)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("dot", input) from None


def outer(input, vec2):
    try:
        return input.outer(vec2)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("outer", input) from None


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    try:
        return input.addmm(mat1, mat2, beta=beta, alpha=alpha)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("addmm", input) from None


def prod(input, *args, **kwargs):
    try:
        return input.prod(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("prod", (input, *args), kwargs)
        raise


def max(input, *args, **kwargs):
    try:
        return input.max(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("max", (input, *args), kwargs)
        raise


def min(input, *args, **kwargs):
    try:
        return input.min(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("min", (input, *args), kwargs)
        raise


def amax(input, dim=(), keepdim=False):
    try:
        return input.amax(dim, keepdim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("amax", input) from None


def amin(input, dim=(), keepdim=False):
    try:
        return input.amin(dim, keepdim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("amin", input) from None


def argmax(input, dim=None, keepdim=False):
    try:
        return input.argmax(dim, keepdim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("argmax", input) from None


def argmin(input, dim=None, keepdim=False):
    try:
        return input.argmin(dim, keepdim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("argmin", input) from None


def var(input, *args, **kwargs):
    try:
        return input.var(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("var", (input, *args), kwargs)
        raise


def std(input, *args, **kwargs):
    try:
        return input.std(*args, **kwargs)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("std", (input, *args), kwargs)
        raise


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    try:
        return input.norm(p, dim, keepdim, dtype)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        # PyTorch's norm is Python code that reads input.layout first
        raise AttributeError(f"'{type(input).__name__}' object has no attribute 'layout'") from None


def logsumexp(input, dim, keepdim=False):
    try:
        return input.logsumexp(dim, keepdim)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("logsumexp", input) from None


def cumsum(input, dim, *, dtype=None):
    try:
        return input.cumsum(dim, dtype=dtype)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("cumsum", input) from None


def all(input, *args, **kwargs):
    """``all(input, dim=None, keepdim=False)``: True where every element (over ``dim``) is nonzero."""
    return _arg_errors.method_form("all", input, args, kwargs)


def any(input, *args, **kwargs):
    """``any(input, dim=None, keepdim=False)``: True where some element (over ``dim``) is nonzero."""
    return _arg_errors.method_form("any", input, args, kwargs)


def softmax(input, dim, dtype=None):
    try:
        return input.softmax(dim, dtype)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("softmax", input) from None


def log_softmax(input, dim, dtype=None):
    try:
        return input.log_softmax(dim, dtype)
    except AttributeError:
        if isinstance(input, _core.Tensor):
            raise
        raise _arg_errors.not_a_tensor("log_softmax", input) from None


__all__ = [
    "matmul", "mm", "bmm", "mv", "dot", "outer", "ger", "addmm", "einsum",
    "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "norm",
    "logsumexp", "cumsum", "all", "any", "softmax", "log_softmax",
]


def _subscript(n):
    if n == Ellipsis:
        return "..."
    if 0 <= n < 26:
        return chr(ord("A") + n)
    if 26 <= n < 52:
        return chr(ord("a") + n - 26)
    raise ValueError("einsum(): subscript in subscript list is not within the valid range [0, 52)")


def einsum(*args):
    """``einsum(equation, *operands)``, ``einsum(equation, [operands])`` or the sublist form
    ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` (PyTorch's Python wrapper, with its checks)."""
    if len(args) < 2:
        raise ValueError(
            "einsum(): must specify the equation string and at least one operand, "
            "or at least one operand and its subscripts list"
        )
    if isinstance(args[0], _core.Tensor):
        equation = ",".join("".join(_subscript(s) for s in sub) for sub in args[1::2])
        if len(args) % 2 == 1:
            equation += "->" + "".join(_subscript(s) for s in args[-1])
            operands = args[:-1:2]
        else:
            operands = args[::2]
    else:
        equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        return einsum(equation, *operands[0])
    try:
        return _core.einsum(equation, *operands)
    except TypeError:
        _arg_errors.reraise_parser_error("einsum", (equation, operands), {})
        raise

