"""``rustgrad.special``: PyTorch's ``torch.special`` aliases of the common special functions."""

from . import _core
from ._special_functions import erfc, erfinv, exp2, logit, sinc, xlogy

__all__ = [
    "expit", "logit", "erf", "erfc", "erfinv", "exp2", "expm1", "log1p", "logsumexp", "softmax", "log_softmax",
    "sinc", "xlogy",
]


def expit(input):
    """The logistic sigmoid (SigmoidBackward0)."""
    import rustgrad

    return rustgrad.sigmoid(input)


def erf(input):
    import rustgrad

    return rustgrad.erf(input)


def expm1(input):
    import rustgrad

    return rustgrad.expm1(input)


def log1p(input):
    import rustgrad

    return rustgrad.log1p(input)


def logsumexp(input, dim, keepdim=False):
    import rustgrad

    return rustgrad.logsumexp(input, dim, keepdim)


def softmax(input, dim, *, dtype=None):
    import rustgrad

    return rustgrad.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    import rustgrad

    return rustgrad.log_softmax(input, dim, dtype=dtype)
