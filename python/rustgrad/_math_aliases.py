"""PyTorch's alias names of elementwise functions (``arcsin`` is ``asin``, ``multiply`` is ``mul``,
``fix`` is ``trunc``, ...), as ``rustgrad.X`` functions and ``Tensor.X`` methods, plus the
composite ``positive`` and ``float_power`` (PyTorch computes both from other ops too)."""

from . import _core
from ._core import Tensor
from ._scalar_names import scalar_type_name

__all__ = ["positive", "float_power"]

# alias -> the name it stands for; each also gets its in-place form when the target has one.
_ALIASES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
    "arctan": "atan", "arctanh": "atanh", "arctan2": "atan2", "negative": "neg", "multiply": "mul",
    "subtract": "sub", "true_divide": "div", "fix": "trunc",
}


def install_aliases(namespace):
    """Adds the alias functions to ``namespace`` (the ``rustgrad`` module's, once every target is
    defined) and the alias methods to ``Tensor``."""
    for alias, target in _ALIASES.items():
        for suffix in ("", "_"):
            method = getattr(Tensor, target + suffix, None)
            if method is not None and not hasattr(Tensor, alias + suffix):
                setattr(Tensor, alias + suffix, method)
            function = namespace.get(target + suffix)
            if function is not None and alias + suffix not in namespace:
                namespace[alias + suffix] = function


def positive(input):
    """``input`` itself (the unary ``+``); bool tensors are refused as PyTorch does."""
    if not isinstance(input, Tensor):
        raise TypeError(f"positive(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    if input.dtype == _core.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _as_double(x):
    return x.to(_core.float64) if isinstance(x, Tensor) else x


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (PyTorch converts both operands first)."""
    if not isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        raise TypeError(
            "float_power() received an invalid combination of arguments - got "
            f"({type(input).__name__}, {type(exponent).__name__}), but expected one of:\n"
            " * (Tensor input, Tensor exponent, *, Tensor out = None)\n"
            " * (Number self, Tensor exponent, *, Tensor out = None)\n"
            " * (Tensor input, Number exponent, *, Tensor out = None)\n"
        )
    if isinstance(input, Tensor):
        return _as_double(input).pow(_as_double(exponent))
    return _core.Tensor.__rpow__(_as_double(exponent), float(input))


def _float_power_(self, exponent):
    if self.dtype != _core.float64:
        raise RuntimeError(
            f"the base given to float_power_ has dtype {scalar_type_name(self.dtype)} "
            "but the operation's result requires dtype Double"
        )
    return self.pow_(_as_double(exponent))


Tensor.positive = positive
Tensor.float_power = float_power
Tensor.float_power_ = _float_power_
