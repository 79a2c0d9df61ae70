"""Function forms of common Tensor methods (``rustgrad.nonzero(x)`` is ``x.nonzero()``), re-exported
by ``rustgrad``: nonzero / argwhere / count_nonzero, isclose / allclose / equal, and the ops
composed here (diag, tensor_split, meshgrid, ...)."""

from . import _arg_errors, _core
from ._scalar_names import scalar_type_name

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


def _spread_args(dim=None, unbiased=None, keepdim=False, *, correction=None):
    return dim, unbiased, keepdim, correction


def _spread_mean(name, input, args, kwargs, root):
    # PyTorch's parser first: its three overloads refuse what they do not take
    _arg_errors.reraise_parser_error(name, (input, *args), kwargs)
    dim, unbiased, keepdim, correction = _spread_args(*args, **kwargs)
    if isinstance(dim, bool) and unbiased is None:
        dim, unbiased = None, dim  # var_mean(input, unbiased)
    if correction is None:
        correction = 1.0 if unbiased is None or unbiased else 0.0
    if isinstance(dim, int):
        dim = [dim]
    elif dim is not None:
        dim = list(dim)
    return _core._var_mean(input, dim, float(correction), bool(keepdim), root)


def var_mean(input, *args, **kwargs):
    """``(var, mean)`` over ``dim`` (``var_mean(input, dim=None, unbiased=True, keepdim=False, *,
    correction=None)`` or ``var_mean(input, unbiased)``)."""
    return _spread_mean("var_mean", input, args, kwargs, False)


def std_mean(input, *args, **kwargs):
    """``(std, mean)`` over ``dim``, with ``var_mean``'s arguments."""
    return _spread_mean("std_mean", input, args, kwargs, True)


# ----- tensor_split / meshgrid: views composed as PyTorch composes them -----
__all__ += ["tensor_split", "meshgrid"]

_TENSOR_SPLIT_SIGNATURES = (
    " * (Tensor input, tuple of ints indices, int dim = 0)\n"
    " * (Tensor input, Tensor tensor_indices_or_sections, int dim = 0)\n"
    " * (Tensor input, int sections, int dim = 0)\n")


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def tensor_split(input, indices_or_sections, dim=0):
    """Splits ``input`` along ``dim`` into ``n`` nearly equal parts (an int) or at the given
    indices (a sequence or a 1-D int64 tensor), as narrowed views (SliceBackward0)."""
    _tensor_input("tensor_split", input)
    spec = indices_or_sections
    if isinstance(spec, _core.Tensor):
        if spec.dtype != _core.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, "
                               f"but got {scalar_type_name(spec.dtype)}")
        if spec.dim() > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {spec.dim()} dims")
        spec = spec.item() if spec.dim() == 0 else spec.tolist()
    elif not _is_int(spec) and not (isinstance(spec, (list, tuple)) and all(_is_int(i) for i in spec)):
        got = ", ".join(["Tensor", type(spec).__name__] + ([type(dim).__name__] if dim != 0 else []))
        raise TypeError(f"tensor_split() received an invalid combination of arguments - got ({got}), "
                        f"but expected one of:\n{_TENSOR_SPLIT_SIGNATURES}")
    if input.dim() == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    size = input.size(dim)
    d = dim % input.dim()
    if _is_int(spec):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        base, extra = divmod(size, spec)
        bounds, start = [], 0
        for i in range(spec):
            length = base + (1 if i < extra else 0)
            bounds.append((start, start + length))
            start += length
    else:
        cuts = [0, *spec, size]
        bounds = list(zip(cuts[:-1], cuts[1:]))

    def clamp_index(i):
        i = i + size if i < 0 else i
        return 0 if i < 0 else size if i > size else i

    out = []
    for start, end in bounds:
        start, end = clamp_index(start), clamp_index(end)
        out.append(input.narrow(d, start, max(end - start, 0)))
    return tuple(out)



_meshgrid_warned = False


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 0-d/1-D tensors: each input viewed along its own dim and expanded
    (ViewBackward0 -> ExpandBackward0); ``indexing='xy'`` swaps the first two dims."""
    global _meshgrid_warned
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        if not _meshgrid_warned:  # PyTorch's TORCH_WARN_ONCE
            _meshgrid_warned = True
            import warnings

            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.".replace(
                "torch.", "rustgrad."), UserWarning, stacklevel=2)
        indexing = "ij"
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, _core.Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f'rustgrad.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"rustgrad.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors = (tensors[1], tensors[0], *tensors[2:])
    shape = [t.numel() for t in tensors]
    grids = []
    for i, t in enumerate(tensors):
        view_shape = [1] * len(tensors)
        view_shape[i] = -1
        grids.append(t.view(view_shape).expand(*shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


# Method forms PyTorch has, composed here.
_core.Tensor.tensor_split = lambda self, indices_or_sections, dim=0: tensor_split(self, indices_or_sections, dim)


# ----- searching and counting -----
__all__ += ["searchsorted", "bucketize", "bincount", "histc", "unique"]


def _as_values(v):
    return v if isinstance(v, _core.Tensor) else _core.tensor(v)


_MISSING = object()


def searchsorted(sorted_sequence, input=_MISSING, *args, out_int32=False, right=False, side=None, sorter=None):
    given = (sorted_sequence,) if input is _MISSING else (sorted_sequence, input, *args)
    if (args or input is _MISSING or not isinstance(sorted_sequence, _core.Tensor)
            or not (isinstance(input, (_core.Tensor, int, float)))
            or type(out_int32) is not bool or type(right) is not bool
            or not (side is None or isinstance(side, str)) or not (sorter is None or isinstance(sorter, _core.Tensor))):
        keywords = {k: v for k, v in (("out_int32", out_int32), ("right", right), ("side", side), ("sorter", sorter))
                    if v is not None and v is not False}
        _arg_errors.reraise_parser_error("searchsorted", given, keywords)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"rustgrad.searchsorted(): side can only be 'left' or 'right' but got {side}")
        if right and side == "left":
            raise RuntimeError("rustgrad.searchsorted(): side and right can't be set to opposites, got side of left while right was True")
        right = side == "right"
    if sorter is not None:
        sorted_sequence = sorted_sequence.gather(-1, sorter)
    return _core._searchsorted(sorted_sequence, _as_values(input), bool(right), bool(out_int32), False)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    return _core._searchsorted(boundaries, _as_values(input), bool(right), bool(out_int32), True)


def bincount(input, *args, **kwargs):
    """``bincount(input, weights=None, minlength=0)``: occurrences of each value of ``input``."""
    return _arg_errors.method_form("bincount", input, args, kwargs)


def histc(input, *args, **kwargs):
    """``histc(input, bins=100, min=0, max=0)``: ``bins`` equal bins over ``[min, max]``."""
    return _arg_errors.method_form("histc", input, args, kwargs)


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The sorted distinct elements of ``input`` (of its slices along ``dim``), with the index of each
    element's (slice's) unique value and the counts when asked."""
    # PyTorch's boolean_dispatch tests the flags' truth first (a tensor flag raises there), then
    # its native op's parser checks every argument
    want_inverse = not not return_inverse
    want_counts = not not return_counts
    flags = {"sorted": sorted, "return_inverse": return_inverse, "return_counts": return_counts}
    if dim is None:
        _arg_errors.reraise_parser_error("_unique2", (input,), flags)
    else:
        _arg_errors.reraise_parser_error("unique_dim", (input, dim), flags)
    values, inverse, counts = input._unique(dim)
    if want_inverse and want_counts:
        return values, inverse, counts
    if want_inverse:
        return values, inverse
    if want_counts:
        return values, counts
    return values


_core.Tensor.unique = lambda self, sorted=True, return_inverse=False, return_counts=False, dim=None: unique(
    self, sorted=sorted, return_inverse=return_inverse, return_counts=return_counts, dim=dim)


# ----- addmv / baddbmm / addbmm -----
__all__ += ["addmv", "baddbmm", "addbmm"]


def _tensor_args(name, **named):
    for position, (arg, value) in enumerate(named.items(), start=2):
        if not isinstance(value, _core.Tensor):
            raise TypeError(f"{name}(): argument '{arg}' (position {position}) must be Tensor, not {type(value).__name__}")


def addmv(input, mat, vec, *, beta=1, alpha=1):
    _tensor_input("addmv", input)
    _tensor_args("addmv", mat=mat, vec=vec)
    return input.addmv(mat, vec, beta=beta, alpha=alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _tensor_input("baddbmm", input)
    _tensor_args("baddbmm", batch1=batch1, batch2=batch2)
    return input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    _tensor_input("addbmm", input)
    _tensor_args("addbmm", batch1=batch1, batch2=batch2)
    return input.addbmm(batch1, batch2, beta=beta, alpha=alpha)
