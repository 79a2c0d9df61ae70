"""Function forms of common Tensor methods (``rustgrad.nonzero(x)`` is ``x.nonzero()``), re-exported
by ``rustgrad``: nonzero / argwhere / count_nonzero, isclose / allclose / equal, and the ops
composed here (diag, tensor_split, meshgrid, ...)."""

from . import _arg_errors, _core

__all__ = ["nonzero", "argwhere", "count_nonzero", "isclose", "allclose", "equal"]


def _tensor_input(name, input):
    if not isinstance(input, _core.Tensor):
        raise _arg_errors.not_a_tensor(name, input)


def nonzero(input, *, as_tuple=False):
    _tensor_input("nonzero", input)
    return input.nonzero(as_tuple=as_tuple)


def argwhere(input):
    _tensor_input("argwhere", input)
    return input.argwhere()


def count_nonzero(input, *args, **kwargs):
    _tensor_input("count_nonzero", input)
    try:
        return input.count_nonzero(*args, **kwargs)
    except TypeError:
        _arg_errors.reraise_parser_error("count_nonzero", (input, *args), kwargs)
        raise


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _tensor_input("isclose", input)
    if not isinstance(other, _core.Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return input.isclose(other, rtol, atol, equal_nan)


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    _tensor_input("allclose", input)
    if not isinstance(other, _core.Tensor):
        raise TypeError(f"allclose(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return input.allclose(other, rtol, atol, equal_nan)


def equal(input, other):
    _tensor_input("equal", input)
    if not isinstance(other, _core.Tensor):
        raise TypeError(f"equal(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return input.equal(other)


__all__ += ["atan2", "arctan2", "lerp"]


def atan2(input, other):
    _tensor_input("atan2", input)
    if not isinstance(other, _core.Tensor):
        raise TypeError(f"atan2(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return input.atan2(other)


arctan2 = atan2


def lerp(input, end, weight):
    try:
        return input.lerp(end, weight)
    except (TypeError, AttributeError):
        _arg_errors.reraise_parser_error("lerp", (input, end, weight), {})
        raise


__all__ += ["diagonal", "diag", "diag_embed", "trace"]


def diagonal(input, offset=0, dim1=0, dim2=1):
    _tensor_input("diagonal", input)
    return input.diagonal(offset, dim1, dim2)


def diag(input, diagonal=0):
    _tensor_input("diag", input)
    return input.diag(diagonal)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    _tensor_input("diag_embed", input)
    return input.diag_embed(offset, dim1, dim2)


def trace(input):
    _tensor_input("trace", input)
    return input.trace()


__all__ += ["var_mean", "std_mean"]


def _spread_mean(name, input, dim, unbiased, keepdim, correction, root):
    _tensor_input(name, input)
    if isinstance(dim, bool) and unbiased is None:
        dim, unbiased = None, dim  # var_mean(input, unbiased)
    if unbiased is not None and correction is not None:
        raise TypeError(
            f"{name}() received an invalid combination of arguments - got (Tensor, correction={type(correction).__name__}, "
            f"unbiased=bool), but expected one of:\n"
            " * (Tensor input, tuple of ints dim, bool unbiased = True, bool keepdim = False)\n"
            " * (Tensor input, tuple of ints dim = None, *, Number correction = None, bool keepdim = False)\n"
            " * (Tensor input, bool unbiased = True)\n")
    if correction is None:
        correction = 1.0 if unbiased is None or unbiased else 0.0
    if isinstance(dim, int):
        dim = [dim]
    elif dim is not None:
        dim = list(dim)
    return _core._var_mean(input, dim, float(correction), bool(keepdim), root)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread_mean("var_mean", input, dim, unbiased, keepdim, correction, False)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _spread_mean("std_mean", input, dim, unbiased, keepdim, correction, True)
