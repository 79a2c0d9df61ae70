"""Function forms of the ordering methods (``rustgrad.sort(x)`` is ``x.sort()``), re-exported by
``rustgrad``, and ``rustgrad.rsub``."""

from ._core import rsub


def sort(input, dim=-1, descending=False, **kwargs):
    # `stable` is keyword-only; passing it (even as False) selects PyTorch's sort.stable overload.
    return input.sort(dim, descending, **kwargs)


def argsort(input, dim=-1, descending=False, *, stable=False):
    return input.argsort(dim, descending, stable=stable)


def msort(input):
    return input.msort()


def topk(input, k, dim=-1, largest=True, sorted=True):
    return input.topk(k, dim, largest, sorted)


def kthvalue(input, k, dim=-1, keepdim=False):
    return input.kthvalue(k, dim, keepdim)


def median(input, dim=None, keepdim=False):
    return input.median(dim, keepdim)


def cumprod(input, dim, *, dtype=None):
    return input.cumprod(dim, dtype=dtype)


def cummax(input, dim):
    return input.cummax(dim)


def cummin(input, dim):
    return input.cummin(dim)


__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "cumprod", "cummax", "cummin", "rsub"]
