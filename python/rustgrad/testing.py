"""``rustgrad.testing``: ``assert_close`` and ``make_tensor`` as PyTorch's ``torch.testing`` has them,
with the same default tolerances, pair rules and error messages."""

import builtins
import cmath
import collections.abc
import contextlib
import functools
import math
import warnings

from . import _core
from ._dtype_info import finfo, iinfo, promote_types

__all__ = ["assert_close", "make_tensor"]

try:
    import numpy as _np
except ImportError:  # pragma: no cover - numpy is optional
    _np = None

# {dtype name: (rtol, atol)}; dtypes not listed (integers, bool) compare exactly.
_DTYPE_PRECISIONS = {"float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _ErrorMeta(Exception):
    """An error found while comparing, raised to the user through ``to_error``."""

    def __init__(self, type, msg, *, id=()):
        super().__init__(msg)
        self.type, self.msg, self.id = type, msg, id

    def to_error(self, msg=None):
        if not isinstance(msg, str):
            generated = self.msg
            if self.id:
                generated += f"\n\nThe failure occurred for item {''.join(str([item]) for item in self.id)}"
            msg = msg(generated) if callable(msg) else generated
        return self.type(msg)


class _Unsupported(Exception):
    pass


def _tolerances(*dtypes, rtol, atol, id):
    if (rtol is None) ^ (atol is None):
        raise _ErrorMeta(ValueError, "Both 'rtol' and 'atol' must be either specified or omitted, "
                                     f"but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None:
        return rtol, atol
    rtols, atols = zip(*[_DTYPE_PRECISIONS.get(d.name, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _mismatch_msg(*, identifier, extra, abs_diff, abs_idx=None, atol, rel_diff, rel_idx=None, rtol):
    equality = rtol == 0 and atol == 0

    def diff_msg(kind, diff, idx, tol):
        msg = f"{kind.title()} difference: {diff}" if idx is None else f"Greatest {kind} difference: {diff} at index {idx}"
        return msg + ("" if equality else f" (up to {tol} allowed)") + "\n"

    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += diff_msg("absolute", abs_diff, abs_idx, atol) + diff_msg("relative", rel_diff, rel_idx, rtol)
    return msg.strip()


def _scalar_mismatch_msg(actual, expected, *, rtol, atol):
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _mismatch_msg(identifier="Scalars", extra=f"Expected {expected} but got {actual}.", abs_diff=abs_diff,
                         atol=atol, rel_diff=rel_diff, rtol=rtol)


def _unravel(flat, shape):
    if not shape:
        return ()
    out = []
    for size in reversed(shape):
        flat, mod = divmod(flat, size)
        out.append(mod)
    return tuple(reversed(out))


def _tensor_mismatch_msg(actual, expected, matches, *, rtol, atol):
    n = matches.numel()
    mismatched = n - builtins.int(matches.sum().item())
    extra = f"Mismatched elements: {mismatched} / {n} ({mismatched / n:.1%})"
    a, e, m = actual.flatten(), expected.flatten(), matches.flatten()
    if not actual.dtype.is_floating_point:
        a, e = a.to(_core.int64), e.to(_core.int64)
    # Differences in the compared dtype (float32 relative differences print as PyTorch's do).
    abs_diff = (a - e).abs()
    abs_diff[m] = 0
    max_abs, abs_idx = abs_diff.max(0)
    rel_diff = abs_diff / e.abs()
    rel_diff[m] = 0
    max_rel, rel_idx = rel_diff.max(0)
    return _mismatch_msg(identifier="Tensor-likes", extra=extra, abs_diff=max_abs.item(),
                         abs_idx=_unravel(builtins.int(abs_idx.item()), tuple(matches.shape)), atol=atol,
                         rel_diff=max_rel.item(), rel_idx=_unravel(builtins.int(rel_idx.item()), tuple(matches.shape)),
                         rtol=rtol)


def _none_pair(actual, expected, id, **options):
    if not (actual is None or expected is None):
        raise _Unsupported
    if not (actual is None and expected is None):
        raise _ErrorMeta(AssertionError, f"None mismatch: {actual} is not {expected}", id=id)


def _bool_types():
    return (builtins.bool,) + ((_np.bool_,) if _np is not None else ())


def _boolean_pair(actual, expected, id, **options):
    if not all(isinstance(x, _bool_types()) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = builtins.bool(actual), builtins.bool(expected)
    if actual is not expected:
        raise _ErrorMeta(AssertionError, f"Booleans mismatch: {actual} is not {expected}", id=id)


_NUMBER_DTYPES = {builtins.int: "int64", builtins.float: "float64"}


def _number_pair(actual, expected, id, *, rtol, atol, equal_nan, check_dtype, **options):
    number_types = (builtins.int, builtins.float, complex) + ((_np.number,) if _np is not None else ())
    if not all(isinstance(x, number_types) for x in (actual, expected)):
        raise _Unsupported
    actual, expected = (x.item() if _np is not None and isinstance(x, _np.number) else x for x in (actual, expected))
    # int -> int64, float -> float64; complex -> complex128, whose tolerances are float64's.
    dtypes = [getattr(_core, _NUMBER_DTYPES.get(type(x), "float64")) for x in (actual, expected)]
    rt, at = _tolerances(*dtypes, rtol=rtol, atol=atol, id=id)
    if check_dtype and type(actual) is not type(expected):
        raise _ErrorMeta(AssertionError, f"The (d)types do not match: {type(actual)} != {type(expected)}.", id=id)
    if actual == expected:
        return
    if equal_nan and cmath.isnan(actual) and cmath.isnan(expected):
        return
    abs_diff = abs(actual - expected)
    if cmath.isfinite(abs_diff) and abs_diff <= at + rt * abs(expected):
        return
    raise _ErrorMeta(AssertionError, _scalar_mismatch_msg(actual, expected, rtol=rt, atol=at), id=id)


def _to_tensor(x):
    if isinstance(x, _core.Tensor):
        return x
    try:
        if _np is not None and isinstance(x, _np.ndarray):
            return _core.from_numpy(x)
        return _core.tensor(x)
    except Exception:
        raise _Unsupported from None


def _tensor_pair(actual, expected, id, *, allow_subclasses, rtol, atol, equal_nan, check_device, check_dtype,
                 check_stride, **options):
    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    actual, expected = _to_tensor(actual), _to_tensor(expected)
    rtol, atol = _tolerances(actual.dtype, expected.dtype, rtol=rtol, atol=atol, id=id)

    def mismatch(name, a, e):
        raise _ErrorMeta(AssertionError, f"The values for attribute '{name}' do not match: {a} != {e}.", id=id)

    if actual.shape != expected.shape:
        mismatch("shape", actual.shape, expected.shape)
    if check_stride and actual.stride() != expected.stride():
        mismatch("stride()", actual.stride(), expected.stride())
    if check_device and actual.device != expected.device:
        mismatch("device", actual.device, expected.device)
    if check_dtype and actual.dtype != expected.dtype:
        mismatch("dtype", actual.dtype, expected.dtype)
    actual, expected = actual.detach(), expected.detach()
    if actual.dtype != expected.dtype:
        dtype = promote_types(actual.dtype, expected.dtype)
        actual, expected = actual.to(dtype), expected.to(dtype)
    matches = actual.isclose(expected, rtol, atol, equal_nan)
    if builtins.bool(matches.all().item()):
        return
    if actual.dim() == 0:
        msg = _scalar_mismatch_msg(actual.item(), expected.item(), rtol=rtol, atol=atol)
    else:
        msg = _tensor_mismatch_msg(actual, expected, matches, rtol=rtol, atol=atol)
    raise _ErrorMeta(AssertionError, msg, id=id)


_PAIRS = (_none_pair, _boolean_pair, _number_pair, _tensor_pair)


def _children(actual, expected, id):
    """Recurses through sequences and mappings; returns the first failure of the leaves, in order."""
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and not isinstance(actual, str) and isinstance(expected, seq) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise _ErrorMeta(AssertionError, f"The length of the sequences mismatch: {len(actual)} != {len(expected)}",
                             id=id)
        return [(actual[i], expected[i], (*id, i)) for i in range(len(actual))]
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        akeys, ekeys = set(actual.keys()), set(expected.keys())
        if akeys != ekeys:
            raise _ErrorMeta(AssertionError, "The keys of the mappings do not match:\n"
                                             f"Missing keys in the actual mapping: {sorted(ekeys - akeys)}\n"
                                             f"Additional keys in the actual mapping: {sorted(akeys - ekeys)}", id=id)
        keys = akeys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        return [(actual[k], expected[k], (*id, k)) for k in keys]
    return None


def _leaves(actual, expected, id, options):
    children = _children(actual, expected, id)
    if children is None:
        return [(actual, expected, id)]
    out = []
    for a, e, i in children:
        out.extend(_leaves(a, e, i, options))
    return out


def _check_leaf(actual, expected, id, options):
    for pair in _PAIRS:
        try:
            pair(actual, expected, id, **options)
            return None
        except _Unsupported:
            continue
        except _ErrorMeta as e:
            return e
    raise _ErrorMeta(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                                f"{type(expected)}.", id=id)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False, check_device=True,
                 check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Asserts ``|actual - expected| <= atol + rtol * |expected|`` elementwise (after the shape, dtype,
    device and, if asked, stride match), with the loosest default tolerances of the two dtypes."""
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol, equal_nan=equal_nan,
                   check_device=check_device, check_dtype=check_dtype, check_stride=check_stride)
    try:
        leaves = _leaves(actual, expected, (), options)
        failure = None
        # PyTorch originates every pair (refusing unknown types and bad tolerances) before comparing.
        for a, e, i in leaves:
            _originate(a, e, i, options)
        for a, e, i in leaves:
            failure = _check_leaf(a, e, i, options)
            if failure is not None:
                break
    except _ErrorMeta as e:
        raise e.to_error() from None
    if failure is not None:
        raise failure.to_error(msg)


def _originate(actual, expected, id, options):
    """The checks PyTorch makes while building a pair: an input type some pair handles, and tolerances."""
    if actual is None or expected is None:
        return
    if all(isinstance(x, _bool_types()) for x in (actual, expected)):
        return
    number_types = (builtins.int, builtins.float, complex) + ((_np.number,) if _np is not None else ())
    if all(isinstance(x, number_types) for x in (actual, expected)):
        _tolerances(_core.float64, rtol=options["rtol"], atol=options["atol"], id=id)
        return
    if isinstance(actual, type(expected)) or isinstance(expected, type(actual)):
        if options["allow_subclasses"] or type(actual) is type(expected):
            try:
                _to_tensor(actual), _to_tensor(expected)
            except _Unsupported:
                pass
            else:
                _tolerances(_core.float64, rtol=options["rtol"], atol=options["atol"], id=id)
                return
    raise _ErrorMeta(TypeError, f"No comparison pair was able to handle inputs of type {type(actual)} and "
                                f"{type(expected)}.", id=id)


_INTEGRAL = ("uint8", "int32", "int64")
_FLOATING = ("float32", "float64")


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)`` (defaults per dtype:
    bool [0, 2), uint8 [0, 10), signed integers [-9, 10), floats [-9, 9))."""
    name = dtype.name if isinstance(dtype, _core.dtype) else None

    def modify_low_high(low, high, *, lowest_inclusive, highest_exclusive, default_low, default_high):
        low = low if low is not None else default_low
        high = high if high is not None else default_high
        if any(isinstance(v, builtins.float) and math.isnan(v) for v in (low, high)):
            raise ValueError(f"`low` and `high` cannot be NaN, but got low={low} and high={high}")
        elif low == high and name in _FLOATING:
            warnings.warn("Passing `low==high` to `rustgrad.testing.make_tensor` for floating or complex types is "
                          "deprecated since 2.1 and will be removed in 2.3. Use `rustgrad.full(...)` instead.",
                          FutureWarning, stacklevel=3)
        elif low >= high:
            raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
        elif high < lowest_inclusive or low >= highest_exclusive:
            raise ValueError(f"The value interval specified by `low` and `high` is [{low}, {high}), "
                             f"but {dtype} only supports [{lowest_inclusive}, {highest_exclusive})")
        low = min(max(low, lowest_inclusive), highest_exclusive)
        high = min(max(high, lowest_inclusive), highest_exclusive)
        if name == "bool" or name in _INTEGRAL:
            return math.ceil(low), math.ceil(high)
        return low, high

    if len(shape) == 1 and isinstance(shape[0], collections.abc.Sequence):
        shape = shape[0]
    shape = tuple(shape)
    if noncontiguous and memory_format is not None:
        raise ValueError("The parameters `noncontiguous` and `memory_format` are mutually exclusive, "
                         f"but got noncontiguous={noncontiguous} and memory_format={memory_format}")
    if memory_format is not None:
        raise ValueError(f"rustgrad tensors have one memory format (contiguous); got memory_format={memory_format}")
    if requires_grad and (name == "bool" or name in _INTEGRAL):
        raise ValueError(f"`requires_grad=True` is not supported for boolean and integral dtypes, but got dtype={dtype}")
    noncontiguous = noncontiguous and functools.reduce(lambda x, y: x * y, shape, 1) > 1
    if noncontiguous:
        shape = (*shape[:-1], 2 * shape[-1])
    if name == "bool":
        low, high = modify_low_high(low, high, lowest_inclusive=0, highest_exclusive=2, default_low=0, default_high=2)
        result = _core.randint(low, high, shape, device=device, dtype=dtype)
    elif name in _INTEGRAL:
        info = iinfo(dtype)
        low, high = modify_low_high(low, high, lowest_inclusive=info.min,
                                    highest_exclusive=info.max + (1 if name != "int64" else 0),
                                    default_low=-9, default_high=10)
        result = _core.randint(low, high, shape, device=device, dtype=dtype)
    elif name in _FLOATING:
        info = finfo(dtype)
        low, high = modify_low_high(low, high, lowest_inclusive=info.min, highest_exclusive=info.max, default_low=-9,
                                    default_high=9)
        result = _core.empty(shape, device=device, dtype=dtype)
        if high - low >= info.max:
            result.uniform_(low / 2, high / 2).mul_(2)
        else:
            result.uniform_(low, high)
    else:
        raise TypeError(f"The requested dtype '{dtype}' is not supported by rustgrad.testing.make_tensor()."
                        " To request support, file an issue at: https://github.com/pytorch/pytorch/issues")
    if noncontiguous:
        result = result[..., 1::2]
    if exclude_zero:
        result[result == 0] = 1 if name == "bool" or name in _INTEGRAL else finfo(dtype).tiny
    if name in _FLOATING:
        result.requires_grad = requires_grad
    return result
