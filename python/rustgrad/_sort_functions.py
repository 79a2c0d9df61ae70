"""Function forms of the ordering methods (``rustgrad.sort(x)`` is ``x.sort()``), re-exported by
``rustgrad``, and ``rustgrad.rsub``."""

from . import _arg_errors
from ._core import Tensor, rsub


def sort(input, dim=-1, descending=False, **kwargs):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor("sort", input)
    # `stable` is keyword-only; passing it (even as False) selects PyTorch's sort.stable overload.
    return input.sort(dim, descending, **kwargs)


def argsort(input, *args, **kwargs):
    """``argsort(input, dim=-1, descending=False, *, stable=False)``: the indices that sort ``input``."""
    return _arg_errors.method_form("argsort", input, args, kwargs)


def msort(input):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor("msort", input)
    return input.msort()


def topk(input, k, dim=-1, largest=True, sorted=True):
    return input.topk(k, dim, largest, sorted)


def kthvalue(input, k, dim=-1, keepdim=False):
    return input.kthvalue(k, dim, keepdim)


def median(input, *args, **kwargs):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor("median", input)
    try:
        return input.median(*args, **kwargs)
    except TypeError:
        _arg_errors.reraise_parser_error("median", (input, *args), kwargs)
        raise


def cumprod(input, dim, *, dtype=None):
    return input.cumprod(dim, dtype=dtype)


def cummax(input, dim):
    return input.cummax(dim)


def cummin(input, dim):
    return input.cummin(dim)


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "cumprod", "cummax", "cummin", "rsub"]
