"""Order statistics composed from sort and gather, as PyTorch's Sorting.cpp computes them:
quantile / nanquantile (all interpolation modes), nanmedian and mode; histogram."""

import numpy as np

from . import _core, return_types
from ._scalar_names import scalar_type_name
from .autograd._native_node import composite_node
from ._shape_extra import _check_tensor, _wrap

__all__ = ["quantile", "nanquantile", "nanmedian", "mode", "histogram"]

Tensor = _core.Tensor
_MODES = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    _check_tensor(name, input)
    if interpolation not in _MODES:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    scalar_q = not isinstance(q, Tensor)
    q = float(q) if scalar_q else q
    if scalar_q:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q:g}")
    if input.numel() == 0:
        raise RuntimeError(f"quantile() input tensor must be non-empty")
    if not scalar_q and q.dim() > 1:
        raise RuntimeError(f"quantile() q must be a scalar or 1D tensor")
    if input.dtype not in (_core.float32, _core.float64):
        raise RuntimeError(f"quantile() input tensor must be either float or double dtype")
    if scalar_q:
        q = _core.tensor(float(q), dtype=input.dtype)
    elif q.dtype != input.dtype:
        raise RuntimeError(f"quantile() q tensor must be same dtype as the input tensor")
    elif not bool(((q >= 0) & (q <= 1)).all()):
        raise RuntimeError(f"quantile() q values must be in the range [0, 1]")
    squeeze_q = q.dim() == 0
    qv = q.reshape([-1]).detach()
    if dim is None:
        x = input.reshape([-1])
        out_shape = [1] * input.dim() if keepdim else []
    else:
        d = _wrap(dim, input.dim())
        x = input.unsqueeze(-1).transpose(d, -1).squeeze(d) if input.dim() else input.reshape([1])
        out_shape = list(input.shape)
        if keepdim and input.dim():
            out_shape[d] = 1
        elif input.dim():
            del out_shape[d]
    x = x.reshape([-1, x.size(-1)]) if x.dim() else x.reshape([1, 1])
    s = x.sort(-1).values  # NaN sort last
    n = s.size(-1)
    nan = s.detach().isnan()
    if ignore_nan:
        # rank within the non-NaN values; an all-NaN row reads its first (NaN) element
        ranks = (qv * (nan.logical_not().sum(-1, keepdim=True).to(input.dtype) - 1)).clamp_min(0)
    else:
        # a row holding a NaN reads its last element, a NaN
        ranks = _core.where(nan.any(-1, keepdim=True), _core.full_like(qv, n - 1), qv * (n - 1))
    ranks = ranks.expand(s.size(0), qv.numel())
    if interpolation == "lower":
        ranks = ranks.floor()
    elif interpolation == "higher":
        ranks = ranks.ceil()
    elif interpolation == "nearest":
        ranks = ranks.round()
    below = ranks.long()
    out = s.gather(-1, below)
    if interpolation in ("linear", "midpoint"):
        weights = _core.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below.to(ranks.dtype)
        above = s.gather(-1, ranks.ceil().long())
        out = out.lerp(above, weights)  # below + w * (above - below)
    # PyTorch's last step is an in-place squeeze of a trailing size-1 dim (SqueezeBackward4)
    shape = out_shape if squeeze_q else [qv.numel()] + out_shape
    return (out if squeeze_q else out.t()).reshape(shape + [1]).squeeze_(-1)


def _quantile_args(name, method, input, args, kwargs):
    """Binds ``(q, dim=None, keepdim=False, *, interpolation='linear')``, raising PyTorch's parser
    TypeError (its two overloads, Tensor q and float q) for arguments of the wrong types."""
    bound = dict(zip(("q", "dim", "keepdim"), args))
    extra = {k: v for k, v in kwargs.items() if method or k != "out"}
    ok = len(args) <= 3 and set(extra) <= {"q", "dim", "keepdim", "interpolation"} and not set(extra) & set(bound)
    bound.update(extra)
    q, dim = bound.get("q"), bound.get("dim")
    keepdim, interpolation = bound.get("keepdim", False), bound.get("interpolation", "linear")
    ok = ok and "q" in bound and (isinstance(q, Tensor) or (isinstance(q, (int, float)) and not isinstance(q, bool)
                                                          ) or q is True or q is False)
    ok = ok and (dim is None or (isinstance(dim, int) and not isinstance(dim, bool)))
    ok = ok and isinstance(keepdim, bool) and isinstance(interpolation, str) and isinstance(input, Tensor)
    if not ok:
        got = ([] if method else [type(input).__name__ if not isinstance(input, Tensor) else "Tensor"])
        got += ["Tensor" if isinstance(a, Tensor) else type(a).__name__ for a in args]
        got += [f"{k}={'Tensor' if isinstance(v, Tensor) else type(v).__name__}" for k, v in kwargs.items()]
        head = "" if method else "Tensor input, "
        tail = "" if method else ", Tensor out = None"
        sigs = "".join(f" * ({head}{t} q, int dim = None, bool keepdim = False, *, str interpolation = \"linear\"{tail})\n"
                       for t in ("Tensor", "float"))
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({', '.join(got)}), "
                        f"but expected one of:\n{sigs}")
    return q, dim, keepdim, interpolation


def quantile(input, *args, **kwargs):
    """quantile(input, q, dim=None, keepdim=False, *, interpolation='linear'): the ``q``-th quantiles of
    ``input`` (flattened, or along ``dim``); NaN when a row holds a NaN."""
    q, dim, keepdim, interpolation = _quantile_args("quantile", False, input, args, kwargs)
    return _into(kwargs.get("out"), _quantile("quantile", input, q, dim, keepdim, interpolation, False))


def nanquantile(input, *args, **kwargs):
    """nanquantile(input, q, dim=None, keepdim=False, *, interpolation='linear'): ``quantile`` of the
    non-NaN values (NaN only where a row is all NaN)."""
    q, dim, keepdim, interpolation = _quantile_args("nanquantile", False, input, args, kwargs)
    return _into(kwargs.get("out"), _quantile("nanquantile", input, q, dim, keepdim, interpolation, True))


def _into(out, result):
    """``out=``: the result copied into ``out`` (which must already have the result's shape)."""
    if out is None:
        return result
    if tuple(out.shape) != tuple(result.shape):
        raise RuntimeError(f"rustgrad cannot resize out= tensors: out has shape {list(out.shape)}, the result "
                           f"{list(result.shape)}")
    return out.copy_(result)


def _quantile_method(name, ignore_nan):
    def method(self, *args, **kwargs):
        q, dim, keepdim, interpolation = _quantile_args(name, True, self, args, kwargs)
        return _quantile(name, self, q, dim, keepdim, interpolation, ignore_nan)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"See rustgrad.{name}."
    return method


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN values: a scalar, or ``return_types.nanmedian(values, indices)``
    along ``dim``."""
    _check_tensor("nanmedian", input)
    if input.dtype not in (_core.float32, _core.float64):
        return input.median() if dim is None else return_types.nanmedian(input.median(dim, keepdim))
    if dim is None:
        if input.numel() == 0:
            return _core.full([], float("nan"), dtype=input.dtype)
        return _nanmedian_all(input)
    d = _wrap(dim, input.dim())
    if input.dim() == 0:
        return return_types.nanmedian((input.clone(), _core.zeros([], dtype=_core.int64)))
    if input.size(d) == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    return return_types.nanmedian(_nanmedian_dim(input, d, keepdim))


@composite_node("NanmedianBackward0")
def _nanmedian_all(input):
    s = input.reshape([-1]).sort().values
    k = max((int((~s.detach().isnan()).sum()) - 1) // 2, 0)
    return s.select(0, k)


@composite_node("NanmedianBackward1")
def _nanmedian_dim(input, d, keepdim):
    s = input.sort(d)
    valid = s.values.detach().isnan().logical_not().sum(d, keepdim=True)
    k = ((valid - 1).clamp_min(0)) // 2
    values, indices = s.values.gather(d, k), s.indices.gather(d, k)
    if not keepdim:
        values, indices = values.squeeze(d), indices.squeeze(d)
    return values, indices


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among ties) and the last index holding it,
    as ``return_types.mode``; the values are gathered from ``input`` so gradients flow to that index."""
    _check_tensor("mode", input)
    d = _wrap(dim, input.dim())
    if input.dim() == 0:
        return return_types.mode((input.clone(), _core.zeros([], dtype=_core.int64)))
    if input.size(d) == 0 and input.numel() == 0 and input.dim() == 1:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    return return_types.mode(_mode(input, d, keepdim))


@composite_node("ModeBackward0")
def _mode(input, d, keepdim):
    a = np.moveaxis(np.asarray(input.detach().tolist()), d, -1)
    rows = a.reshape(-1, a.shape[-1])
    idx = np.zeros(rows.shape[0], dtype=np.int64)
    for r, row in enumerate(rows):
        order = np.lexsort((np.arange(row.size), row))  # by value, ties by position
        sv = row[order]
        starts = np.flatnonzero(np.r_[True, sv[1:] != sv[:-1]])
        counts = np.diff(np.r_[starts, sv.size])
        best = int(np.argmax(counts))  # the first (smallest value) of the most frequent runs
        idx[r] = order[starts[best] + counts[best] - 1]
    index = _core.tensor(idx.reshape(a.shape[:-1] + (1,)).tolist(), dtype=_core.int64).reshape(
        list(a.shape[:-1]) + [1]).movedim(-1, d)
    if rows.shape[0] == 0:
        shape = list(input.shape)
        shape[d] = 1
        index = _core.zeros(*shape, dtype=_core.int64)
    values = input.gather(d, index) if index.numel() else _core.zeros(*index.shape, dtype=input.dtype)
    if not keepdim:
        values, index = values.squeeze(d), index.squeeze(d)
    return values, index


def histogram(input, bins, *, range=None, weight=None, density=False):
    """Counts (or summed ``weight``) of ``input`` in ``bins`` equal bins over ``range`` (default the data's
    min..max) or between the given bin edges, as ``return_types.histogram(hist, bin_edges)``."""
    _check_tensor("histogram", input)
    if input.dtype not in (_core.float32, _core.float64):
        raise NotImplementedError(f'"histogramdd" not implemented for \'{_dtype_name(input.dtype)}\'')
    np_dtype = np.float32 if input.dtype == _core.float32 else np.float64
    data = np.asarray(input.detach().tolist(), dtype=np_dtype).reshape(-1)
    w = None if weight is None else np.asarray(weight.detach().tolist(), dtype=np_dtype).reshape(-1)
    if isinstance(bins, Tensor):
        edges = np.asarray(bins.detach().tolist(), dtype=np_dtype)
    else:
        if bins <= 0:
            raise RuntimeError(f"rustgrad.histogram(): bins must be > 0, but got {bins} for dimension 0")
        if range is not None:
            lo, hi = float(range[0]), float(range[1])
        elif data.size:
            lo, hi = float(data.min()), float(data.max())
        else:
            lo, hi = 0.0, 0.0
        if lo > hi:
            raise RuntimeError(f"rustgrad.histogramdd: min should not exceed max, but got min {lo:g} max {hi:g} for "
                               "dimension 0")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges = _core.linspace(lo, hi, bins + 1, dtype=input.dtype)
        edges = np.asarray(edges.tolist(), dtype=np_dtype)
    hist, _ = np.histogram(data, edges, weights=w, density=density)
    return return_types.histogram((_core.tensor(hist.tolist(), dtype=input.dtype),
                                   _core.tensor(edges.tolist(), dtype=input.dtype)))


_dtype_name = scalar_type_name


_core.Tensor.quantile = _quantile_method("quantile", False)
_core.Tensor.nanquantile = _quantile_method("nanquantile", True)
_core.Tensor.nanmedian = nanmedian
_core.Tensor.mode = mode
_core.Tensor.histogram = histogram
