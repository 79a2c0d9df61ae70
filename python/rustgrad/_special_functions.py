"""Function forms of the float-classification and special-function ``Tensor`` methods
(``rustgrad.isnan``, ``nan_to_num``, ``logit``, ``erfinv``, ``erfc``, ``exp2``, ``sinc``,
``xlogy``), with PyTorch's TypeError when ``input`` is not a tensor."""

from . import _core
from ._core import Tensor
from ._arg_errors import method_form, not_a_tensor

__all__ = [
    "isnan", "isinf", "isfinite", "isposinf", "isneginf", "nan_to_num", "nan_to_num_", "logit", "erfinv",
    "erfc", "exp2", "sinc", "xlogy",
]


def _method_form(name):
    def f(input):
        if not isinstance(input, Tensor):
            raise not_a_tensor(name, input)
        return getattr(input, name)()

    f.__name__ = f.__qualname__ = name
    f.__doc__ = f"rustgrad.{name}(input) is input.{name}()."
    return f


isnan = _method_form("isnan")
isinf = _method_form("isinf")
isfinite = _method_form("isfinite")
isposinf = _method_form("isposinf")
isneginf = _method_form("isneginf")
erfinv = _method_form("erfinv")
erfc = _method_form("erfc")
exp2 = _method_form("exp2")
sinc = _method_form("sinc")


def nan_to_num(input, *args, **kwargs):
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest value), -inf -> ``neginf``
    (``nan_to_num(input, nan=0.0, posinf=None, neginf=None)``)."""
    return method_form("nan_to_num", input, args, kwargs)


def nan_to_num_(input, *args, **kwargs):
    return method_form("nan_to_num_", input, args, kwargs)


def logit(input, *args, **kwargs):
    """``log(p / (1 - p))`` with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given
    (``logit(input, eps=None)``)."""
    return method_form("logit", input, args, kwargs)


def xlogy(input, other):
    """``input * log(other)``, 0 where ``input == 0`` (either side may be a number)."""
    if isinstance(input, Tensor):
        return input.xlogy(other)
    if isinstance(other, Tensor):
        return _core._xlogy_scalar_self(input, other)
    raise TypeError(
        f"xlogy() received an invalid combination of arguments - got ({type(input).__name__}, {type(other).__name__})"
    )
