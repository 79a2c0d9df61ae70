"""Function forms of the reduction and linear-algebra methods (``rustgrad.matmul(a, b)`` is
``a.matmul(b)``), re-exported by ``rustgrad``. A separate module so that ``max``/``min``/``all``/
``any`` do not shadow the builtins inside ``rustgrad/__init__.py``."""

from ._core import einsum



def matmul(input, other):
    return input.matmul(other)


def mm(input, mat2):
    return input.mm(mat2)


def bmm(input, mat2):
    return input.bmm(mat2)


def mv(input, vec):
    return input.mv(vec)


def dot(input, tensor):
    return input.dot(tensor)


def outer(input, vec2):
    return input.outer(vec2)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    return input.prod(dim, keepdim, dtype=dtype)


def max(input, dim=None, keepdim=False):
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False):
    return input.min(dim, keepdim)


def amax(input, dim=(), keepdim=False):
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False):
    return input.amin(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return input.std(dim, unbiased, keepdim, correction=correction)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    return input.norm(p, dim, keepdim, dtype)


def logsumexp(input, dim, keepdim=False):
    return input.logsumexp(dim, keepdim)


def cumsum(input, dim, *, dtype=None):
    return input.cumsum(dim, dtype=dtype)


def all(input, dim=None, keepdim=False):
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False):
    return input.any(dim, keepdim)


def softmax(input, dim, dtype=None):
    return input.softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    return input.log_softmax(dim, dtype)


__all__ = [
    "matmul", "mm", "bmm", "mv", "dot", "outer", "ger", "addmm", "einsum",
    "prod", "max", "min", "amax", "amin", "argmax", "argmin", "var", "std", "norm",
    "logsumexp", "cumsum", "all", "any", "softmax", "log_softmax",
]
