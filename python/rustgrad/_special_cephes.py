"""Function forms of the Cephes special functions with top-level names in PyTorch (``i0``,
``igamma``, ``igammac``, ``mvlgamma``, ``frexp``, ``nextafter``), with PyTorch's TypeError when a
tensor argument is something else. ``rustgrad.special`` builds on these."""

from ._core import Tensor
from ._arg_errors import not_a_tensor

__all__ = ["i0", "i0_", "igamma", "igammac", "mvlgamma", "frexp", "nextafter"]


def _tensor(name, position, arg, value):
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}")


def i0(input):
    """The modified Bessel function of the first kind of order 0 (I0Backward0)."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("i0", input)
    return input.i0()


def i0_(input):
    if not isinstance(input, Tensor):
        raise not_a_tensor("i0_", input)
    return input.i0_()


def _incomplete_gamma(name, method, input, other):
    _tensor(name, 1, "input", input)
    _tensor(name, 2, "other", other)
    return getattr(input, method)(other)


def igamma(input, other):
    """The regularized lower incomplete gamma function ``P(input, other)`` (IgammaBackward0;
    differentiable in ``other`` only, as PyTorch)."""
    return _incomplete_gamma("igamma", "igamma", input, other)


def igammac(input, other):
    """The regularized upper incomplete gamma function ``Q(input, other)`` (IgammacBackward0)."""
    return _incomplete_gamma("igammac", "igammac", input, other)


def nextafter(input, other):
    """The next representable float after ``input`` toward ``other``."""
    _tensor("nextafter", 1, "input", input)
    _tensor("nextafter", 2, "other", other)
    return input.nextafter(other)


_MISSING = object()


def mvlgamma(input, *args, p=_MISSING):
    """``mvlgamma(input, p)``: the multivariate log-gamma function of dimension ``p``
    (MvlgammaBackward0)."""
    _tensor("mvlgamma", 1, "input", input)
    if args and p is _MISSING and len(args) == 1:
        p, where = args[0], " (position 2)"
    elif not args and p is not _MISSING:
        where = ""
    elif not args:
        raise TypeError('mvlgamma() missing 1 required positional arguments: "p"')
    else:
        raise TypeError(f"mvlgamma() takes 2 positional arguments but {1 + len(args)} were given")
    if isinstance(p, bool) or not isinstance(p, int):
        raise TypeError(f"mvlgamma(): argument 'p'{where} must be int, not {type(p).__name__}")
    return input.mvlgamma(p)


def frexp(input):
    """``return_types.frexp(mantissa, exponent)`` with ``input = mantissa * 2**exponent``."""
    if not isinstance(input, Tensor):
        raise not_a_tensor("frexp", input)
    return input.frexp()
