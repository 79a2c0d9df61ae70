"""dtype utilities as PyTorch exposes them: ``finfo`` / ``iinfo``, ``promote_types``,
``result_type``, ``can_cast``, ``is_floating_point`` / ``is_complex`` and the deterministic-algorithms
switch."""

import builtins
import math
import numbers

from . import _core

__all__ = [
    "finfo", "iinfo", "promote_types", "result_type", "can_cast", "is_floating_point", "is_complex",
    "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
    "is_deterministic_algorithms_warn_only_enabled",
]

# (bits, eps, max, smallest_normal) of the floating dtypes rustgrad has.
_FLOAT_INFO = {
    "float32": (32, 2.0 ** -23, float.fromhex("0x1.fffffep+127"), 2.0 ** -126),
    "float64": (64, 2.0 ** -52, float.fromhex("0x1.fffffffffffffp+1023"), 2.0 ** -1022),
}
# (bits, min, max) of the integer dtypes (bool has none: PyTorch's iinfo refuses it).
_INT_INFO = {"uint8": (8, 0, 255), "int32": (32, -(2 ** 31), 2 ** 31 - 1), "int64": (64, -(2 ** 63), 2 ** 63 - 1)}


def _dtype_arg(fname, type):
    if not isinstance(type, _core.dtype):
        raise TypeError(f"{fname}(): argument 'type' (position 1) must be torch.dtype, not {builtins.type(type).__name__}"
                        .replace("torch.dtype", "rustgrad.dtype"))


_DEFAULT = object()


class finfo:
    """Machine limits of a floating dtype (the default dtype when none is given)."""

    __hash__ = None

    def __init__(self, type=_DEFAULT):
        if type is _DEFAULT:
            type = _core.get_default_dtype()
        _dtype_arg("finfo", type)
        if type.name not in _FLOAT_INFO:
            raise TypeError("rustgrad.finfo() requires a floating point input type. Use rustgrad.iinfo to handle "
                            "'rustgrad.finfo'")
        self.bits, self.eps, self.max, self.smallest_normal = _FLOAT_INFO[type.name]
        self.min = -self.max
        self.tiny = self.smallest_normal
        # 10 ** -floor(-log10(eps)): the decimal precision PyTorch reports.
        self.resolution = 10.0 ** -math.floor(-math.log10(self.eps))
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, finfo) and self.dtype == other.dtype

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")

    __str__ = __repr__


class iinfo:
    """Machine limits of an integer dtype."""

    __hash__ = None

    def __init__(self, type):
        _dtype_arg("iinfo", type)
        if type.name == "bool":
            raise TypeError("rustgrad.bool is not supported by rustgrad.iinfo")
        if type.name not in _INT_INFO:
            raise TypeError("rustgrad.iinfo() requires an integer input type. Use rustgrad.finfo to handle "
                            "'rustgrad.iinfo'")
        self.bits, self.min, self.max = _INT_INFO[type.name]
        self.dtype = type.name

    def __eq__(self, other):
        return isinstance(other, iinfo) and self.dtype == other.dtype

    def __repr__(self):
        # PyTorch prints the limits through a double with six significant digits.
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"

    __str__ = __repr__


# rustgrad's dtypes form a chain under PyTorch's promotion lattice (no int8/int16/half/complex).
_RANK = {"bool": 0, "uint8": 1, "int32": 2, "int64": 3, "float32": 4, "float64": 5}


def _promote(a, b):
    return a if _RANK[a.name] >= _RANK[b.name] else b


def _is_float(d):
    return d.name in _FLOAT_INFO


def _check_dtype_param(fname, pname, pos, value):
    if not isinstance(value, _core.dtype):
        raise TypeError(f"{fname}(): argument '{pname}' (position {pos}) must be rustgrad.dtype, "
                        f"not {type(value).__name__}")


def promote_types(type1, type2):
    """The smallest dtype both ``type1`` and ``type2`` convert to without losing their kind."""
    _check_dtype_param("promote_types", "type1", 1, type1)
    _check_dtype_param("promote_types", "type2", 2, type2)
    return _promote(type1, type2)


def can_cast(from_, to):
    """PyTorch's casting rule: no float -> integer, no non-bool -> bool."""
    _check_dtype_param("can_cast", "from_", 1, from_)
    _check_dtype_param("can_cast", "to", 2, to)
    if _is_float(from_) and not _is_float(to):
        return False
    if from_.name != "bool" and to.name == "bool":
        return False
    return True


def _combine_categories(higher, lower):
    # at::native::combine_categories: a float of a higher category wins; a bool or integer one
    # promotes only with a float of a lower category.
    if higher is None:
        return lower
    if lower is None or _is_float(higher):
        return higher
    if higher.name == "bool" or _is_float(lower):
        return _promote(higher, lower)
    return higher


def _result_type_error(tensor, other):
    # PyTorch's parser error: each signature marks the arguments that do not fit it as !type!.
    names = [type(tensor).__name__, type(other).__name__]

    # (Its messages never mark a Python number as fitting a Number slot: only tensors show unmarked.)
    def fits(x, kind):
        return kind == "Tensor" and isinstance(x, _core.Tensor)

    lines = [f"result_type() received an invalid combination of arguments - got ({names[0]}, {names[1]}), but "
             "expected one of:"]
    for k1, n1, k2, n2 in (("Tensor", "tensor", "Tensor", "other"), ("Number", "scalar", "Tensor", "tensor"),
                           ("Tensor", "tensor", "Number", "other"), ("Number", "scalar1", "Number", "scalar2")):
        marks = [n if fits(x, k) else f"!{n}!" for x, k, n in ((tensor, k1, names[0]), (other, k2, names[1]))]
        lines.append(f" * ({k1} {n1}, {k2} {n2})")
        lines.append(f"      didn't match because some of the arguments have invalid types: ({marks[0]}, {marks[1]})")
    return TypeError("\n".join(lines) + "\n")


def result_type(tensor, other):
    """The dtype an arithmetic op on ``tensor`` and ``other`` returns: dimensioned tensors outrank
    0-d tensors, which outrank Python numbers, unless a lower category brings a float."""
    dim_result = zero_result = wrapped_result = None
    for x in (tensor, other):
        if isinstance(x, _core.Tensor):
            if x.dim() > 0:
                dim_result = x.dtype if dim_result is None else _promote(dim_result, x.dtype)
            else:
                zero_result = x.dtype if zero_result is None else _promote(zero_result, x.dtype)
        elif isinstance(x, (builtins.bool, numbers.Integral, numbers.Real)) and not isinstance(x, complex):
            d = (_core.bool if isinstance(x, builtins.bool) else _core.int64 if isinstance(x, numbers.Integral)
                 else _core.get_default_dtype())
            wrapped_result = d if wrapped_result is None else _promote(wrapped_result, d)
        else:
            raise _result_type_error(tensor, other)
    return _combine_categories(dim_result, _combine_categories(zero_result, wrapped_result))


def is_floating_point(input):
    if not isinstance(input, _core.Tensor):
        raise TypeError(f"is_floating_point(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input.is_floating_point()


def is_complex(input):
    """Always False for a rustgrad tensor: rustgrad has no complex dtypes."""
    if not isinstance(input, _core.Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return False


_core.Tensor.is_complex = lambda self: False

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Records the switch; rustgrad's CPU kernels are deterministic either way."""
    if not isinstance(mode, builtins.bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'mode' (position 1) must be bool, "
                        f"not {type(mode).__name__}")
    if not isinstance(warn_only, builtins.bool):
        raise TypeError(f"_set_deterministic_algorithms(): argument 'warn_only' must be bool, "
                        f"not {type(warn_only).__name__}")
    _deterministic["mode"] = mode
    _deterministic["warn_only"] = warn_only


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic["warn_only"]
