"""Maths functions composed from core ops, following PyTorch's ATen compositions: diff, cross, kron,
tensordot, dist, renorm, cov / corrcoef, trapezoid / cumulative_trapezoid, nansum / nanmean."""

import warnings

import numpy as np

from . import _core
from ._shape_extra import _check_tensor, _scalar_name, _wrap
from .autograd._native_node import composite_node

__all__ = ["diff", "cross", "kron", "tensordot", "dist", "renorm", "cov", "corrcoef", "trapezoid", "trapz",
           "cumulative_trapezoid", "nansum", "nanmean"]

Tensor = _core.Tensor


def _float(t):
    return t.dtype in (_core.float32, _core.float64)


# ----- diff -----
def _diff_compatible(input, other, d):
    if other is None:
        return
    if other.dim() != input.dim():
        raise RuntimeError("diff expects prepend or append to be the same dimension as input")
    for i in range(other.dim()):
        if i != d and other.size(i) != input.size(i):
            raise RuntimeError("diff expects the shape of tensor to prepend or append to match that of input except "
                               f"along the differencing dimension; input.size({i}) = {input.size(i)}, but got "
                               f"tensor.size({i}) = {other.size(i)}")


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``prepend`` / ``append`` joined first): narrowed
    slices subtracted (SubBackward0), logical_xor for bool."""
    _check_tensor("diff", input)
    if input.dim() < 1:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = _wrap(dim, input.dim())
    _diff_compatible(input, prepend, d)
    _diff_compatible(input, append, d)
    if n == 0:
        return _core.zeros_like(input).copy_(input)
    if prepend is not None or append is not None:
        input = _core.cat([t for t in (prepend, input, append) if t is not None], d)
    size = input.size(d)
    out_len = size - 1
    n = min(n, size)
    result = input
    for _ in range(n):
        hi, lo = result.narrow(d, 1, out_len), result.narrow(d, 0, out_len)
        result = hi.logical_xor(lo) if input.dtype == _core.bool else hi - lo
        out_len -= 1
    return result


# ----- cross -----
_cross_warned = False


def cross(input, other, dim=None):
    """The 3-vector cross product along ``dim`` (the first dim of size 3 when ``dim`` is None, which
    warns once as PyTorch's deprecated default does), batch dims broadcast."""
    global _cross_warned
    _check_tensor("cross", input)
    if not isinstance(other, Tensor):
        raise TypeError(f"cross(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    if dim is None:
        if not _cross_warned:  # TORCH_WARN_ONCE
            _cross_warned = True
            warnings.warn("Using rustgrad.cross without specifying the dim arg is deprecated.\n"
                          "Please either pass the dim explicitly or simply use rustgrad.linalg.cross.\n"
                          "The default value of dim will change to agree with that of linalg.cross in a future release.",
                          UserWarning, stacklevel=2)
        dim = next((i for i, s in enumerate(input.shape) if s == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    if input.dim() != other.dim():
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap(dim, input.dim())
    if input.size(d) != 3 or other.size(d) != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got {input.size(d)} and {other.size(d)}")
    if input.dtype != other.dtype:
        raise RuntimeError(f"expected scalar type {_scalar_name(input.dtype)} but found {_scalar_name(other.dtype)}")

    return _cross(input, other, d)


@composite_node("LinalgCrossBackward0")
def _cross(input, other, d):
    def pick(t, order):
        return t.index_select(d, _core.tensor(order, dtype=_core.int64))

    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}
    return pick(input, [1, 2, 0]) * pick(other, [2, 0, 1]) - pick(input, [2, 0, 1]) * pick(other, [1, 2, 0])


# ----- products -----
def kron(input, other):
    """The Kronecker product: ``input`` viewed with a 1 after each dim, ``other`` with a 1 before each,
    multiplied and viewed back (as PyTorch's KronImpl)."""
    _check_tensor("kron", input)
    if not isinstance(other, Tensor):
        raise TypeError(f"kron(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    nd = max(input.dim(), other.dim())
    a = [1] * (nd - input.dim()) + list(input.shape)
    b = [1] * (nd - other.dim()) + list(other.shape)
    a_view = [s for x in a for s in (x, 1)]
    b_view = [s for x in b for s in (1, x)]
    return (input.reshape(a_view) * other.reshape(b_view)).reshape([x * y for x, y in zip(a, b)])


def tensordot(a, b, dims=2, out=None):
    """Sums the products of ``a`` and ``b`` over the dims ``dims`` names (an int n: the last n of ``a``
    with the first n of ``b``): both permuted and reshaped to matrices, one mm, reshaped back."""
    if not isinstance(dims, (tuple, list, Tensor, int)):
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or list[list[int]] "
                           f"containing two lists, but got dims={dims}")
    if isinstance(dims, Tensor):
        if dims.numel() > 1:
            dims_a, dims_b = dims[0].tolist(), dims[1].tolist()
        else:
            if int(dims.item()) < 0:
                raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
            dims = int(dims.item())
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims_a, dims_b = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (tuple, list)):
        dims_a, dims_b = dims
        dims_a = [dims_a] if isinstance(dims_a, int) else list(dims_a)
        dims_b = [dims_b] if isinstance(dims_b, int) else list(dims_b)
    if len(dims_a) != len(dims_b):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype != b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    ca, cb = [], []
    for da, db in zip(dims_a, dims_b):
        wa, wb = _wrap(da, a.dim()), _wrap(db, b.dim())
        if a.size(wa) != b.size(wb):
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.size(wa)} in dim {da} "
                               f"and second has size {b.size(wb)} in dim {db}")
        ca.append(wa)
        cb.append(wb)
    for name, ds in (("a", ca), ("b", cb)):
        for dd in ds:
            if ds.count(dd) > 1:
                raise RuntimeError(f"dim {dd} appears multiple times in the list of dims")
    free_a = [i for i in range(a.dim()) if i not in ca]
    free_b = [i for i in range(b.dim()) if i not in cb]
    k = int(np.prod([a.size(i) for i in ca], dtype=np.int64))
    m = int(np.prod([a.size(i) for i in free_a], dtype=np.int64))
    n = int(np.prod([b.size(i) for i in free_b], dtype=np.int64))
    am = a.permute(free_a + ca).reshape([m, k])
    bm = b.permute(cb + free_b).reshape([k, n])
    result = am.mm(bm).reshape([a.size(i) for i in free_a] + [b.size(i) for i in free_b])
    if out is not None:
        out.copy_(result)
        return out
    return result


# ----- norms -----
def dist(input, other, p=2):
    """The ``p``-norm of ``input - other`` (broadcast)."""
    _check_tensor("dist", input)
    if not isinstance(other, Tensor):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    return _dist(input, other, p)


@composite_node("DistBackward0")
def _dist(input, other, p):
    delta = input - other
    if not _float(delta):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{_scalar_name(delta.dtype)} instead.")
    return delta.norm(p)


def renorm(input, p, dim, maxnorm):
    """``input`` with each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to norm
    ``maxnorm`` (factor ``maxnorm / (norm + 1e-7)``, differentiated through the norm as PyTorch's)."""
    _check_tensor("renorm", input)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    d = _wrap(dim, input.dim())
    if not _float(input):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{_scalar_name(input.dtype)}")
    return _renorm(input, p, d, maxnorm)


@composite_node("RenormBackward0")
def _renorm(input, p, d, maxnorm):
    others = [i for i in range(input.dim()) if i != d]
    norm = input.norm(p, dim=others, keepdim=True) if others else input.abs()
    factor = _core.where(norm > maxnorm, maxnorm / (norm + 1e-7), _core.ones_like(norm))
    return input * factor


# ----- statistics -----
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the rows (variables) of ``input`` over its columns (observations), with optional
    frequency and observation weights, as PyTorch's Correlation.cpp."""
    _check_tensor("cov", input)
    if input.dim() > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    if input.dtype == _core.bool:
        raise RuntimeError("cov(): bool dtype is not supported for input")
    x = input.view([1, -1]) if input.dim() < 2 else input
    nobs = x.size(1)
    w = None
    if fweights is not None:
        w = fweights
        if w.dim() > 1:
            raise RuntimeError(f"cov(): expected fweights to have one or fewer dimensions but got fweights with "
                               f"{w.dim()} dimensions")
        if _float(w) or w.dtype == _core.bool:
            raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                               f"{_scalar_name(w.dtype)} dtype")
        if w.numel() != nobs:
            raise RuntimeError(f"cov(): expected fweights to have the same numel as there are observations in the "
                               f"input but got {w.numel()} != {nobs}")
        if nobs and bool(w.min() < 0):
            raise RuntimeError("cov(): fweights cannot be negative")
    if aweights is not None:
        aw = aweights
        if aw.dim() > 1:
            raise RuntimeError(f"cov(): expected aweights to have one or fewer dimensions but got aweights with "
                               f"{aw.dim()} dimensions")
        if not _float(aw):
            raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                               f"{_scalar_name(aw.dtype)} dtype")
        if aw.numel() != nobs:
            raise RuntimeError(f"cov(): expected aweights to have the same numel as there are observations in the "
                               f"input but got {aw.numel()} != {nobs}")
        if nobs and bool(aw.min() < 0):
            raise RuntimeError("cov(): aweights cannot be negative")
        w = aw if w is None else w * aw
    w_sum = w.sum() if w is not None else _core.tensor(nobs, dtype=_core.int64)
    if w is not None and not bool(w_sum != 0):
        raise RuntimeError("cov(): weights sum to zero, can't be normalized")
    avg = (x * w if w is not None else x).sum(1) / w_sum
    if w is not None and correction != 0 and aweights is not None:
        norm_factor = w_sum - correction * (w * aweights).sum() / w_sum
    else:
        norm_factor = w_sum - correction
    if bool(norm_factor <= 0):
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number of "
                      "observations.", UserWarning, stacklevel=2)
        norm_factor = _core.zeros_like(norm_factor)
    x = x - avg.unsqueeze(1)
    c = x.mm((x * w if w is not None else x).t())
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input``: cov scaled by the standard deviations,
    clipped to [-1, 1]."""
    _check_tensor("corrcoef", input)
    if input.dim() > 2:
        raise RuntimeError(f"corrcoef(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.dim()} dimensions")
    c = cov(input)
    if c.dim() == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.view([-1, 1])
    c = c / std.view([1, -1])
    return c.clip(-1, 1)


# ----- integration -----
def _x_viewed(name, y, x, d):
    if x.dim() == 1:
        if x.size(0) != y.size(d):
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.dim()
        shape[d] = x.size(0)
        return x.view(shape)
    if x.dim() < y.dim():
        return x.view([1] * (y.dim() - x.dim()) + list(x.shape))
    return x


def _zeros_except(y, d):
    shape = list(y.shape)
    del shape[d]
    return _core.zeros(*shape, dtype=y.dtype)


_UNSET = object()
_TRAPZ_SIGS = {
    "trapz": " * (Tensor y, *, float dx = 1, int dim = -1)\n * (Tensor y, Tensor x, *, int dim = -1)\n",
    "trapezoid": " * (Tensor y, Tensor x, *, int dim = -1)\n * (Tensor y, *, Number dx = 1, int dim = -1)\n",
}


def _check_dx(name, x, dx):
    """PyTorch's parser error when both ``x`` and ``dx`` (or ``dx=None``) are given."""
    if dx is _UNSET:
        return None
    if x is not None or dx is None:
        got = "Tensor, " + ("Tensor, " if x is not None else "") + f"dx={type(dx).__name__}"
        sigs = _TRAPZ_SIGS["trapz" if name == "trapz" else "trapezoid"]
        raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n{sigs}")
    return dx


def trapezoid(y, x=None, *, dx=_UNSET, dim=-1, _name="trapezoid"):
    """The trapezoidal rule along ``dim``: with sample points ``x`` (spacings broadcast against the
    averaged neighbours), or a constant spacing ``dx`` (default 1)."""
    _check_tensor(_name, y)
    dx = _check_dx(_name, x, dx)
    d = _wrap(dim, y.dim())
    if y.size(d) == 0:
        return _zeros_except(y, d)
    if x is not None:
        if y.dtype == _core.bool or x.dtype == _core.bool:
            raise RuntimeError("trapezoid: received a bool input for `x` or `y`, but bool is not supported")
        xv = _x_viewed("trapezoid", y, x, d)
        n = xv.size(d)
        step = xv.narrow(d, 1, n - 1) - xv.narrow(d, 0, n - 1)
        m = y.size(d)
        return (step * (y.narrow(d, 1, m - 1) + y.narrow(d, 0, m - 1))).sum(d) / 2.0
    if y.dtype == _core.bool:
        raise RuntimeError("trapezoid: received a bool input for `y`, but bool is not supported")
    dx = 1 if dx is None else dx
    if isinstance(dx, (bool, complex)):
        raise RuntimeError("trapezoid: Currently, we only support dx as a real number.")
    return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * float(dx)


def trapz(y, x=None, *, dx=_UNSET, dim=-1):
    """``trapezoid`` under its older name."""
    return trapezoid(y, x, dx=dx, dim=dim, _name="trapz")


def cumulative_trapezoid(y, x=None, *, dx=_UNSET, dim=-1):
    """The running trapezoidal integral along ``dim`` (one element shorter than ``y`` there)."""
    _check_tensor("cumulative_trapezoid", y)
    dx = _check_dx("cumulative_trapezoid", x, dx)
    d = _wrap(dim, y.dim())
    m = y.size(d)
    if x is not None:
        if y.dtype == _core.bool or x.dtype == _core.bool:
            raise RuntimeError("cumulative_trapezoid: received a bool input for `x` or `y`, but bool is not supported")
        xv = _x_viewed("cumulative_trapezoid", y, x, d)
        n = xv.size(d)
        step = (xv.narrow(d, 1, n - 1) - xv.narrow(d, 0, n - 1)) / 2.0
    else:
        if y.dtype == _core.bool:
            raise RuntimeError("cumulative_trapezoid: received a bool input for `y`, but bool is not supported")
        step = (1 if dx is None else float(dx)) / 2.0
    if m == 0:
        return y.narrow(d, 0, 0) * step
    return (step * (y.narrow(d, 0, m - 1) + y.narrow(d, 1, m - 1))).cumsum(d)


# ----- NaN-ignoring reductions -----
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum treating NaN as zero (no gradient flows to NaN elements)."""
    _check_tensor("nansum", input)
    return _nansum(input, dim, keepdim, dtype)


@composite_node("NansumBackward0")
def _nansum(input, dim, keepdim, dtype):
    x = input.masked_fill(input.isnan(), 0) if _float(input) else input
    if dim is None:
        dim = list(range(input.dim())) if keepdim else None
    if dim is None:
        return x.sum(dtype=dtype) if dtype is not None else x.sum()
    return x.sum(dim, keepdim=keepdim, dtype=dtype) if dtype is not None else x.sum(dim, keepdim=keepdim)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements (nansum divided by their count)."""
    _check_tensor("nanmean", input)
    if not _float(input):
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype but got "
                           f"{_scalar_name(input.dtype)}")
    count = input.isnan().logical_not()
    total = nansum(input, dim, keepdim, dtype=dtype)
    if dim is None and not keepdim:
        return total / count.sum()
    dims = list(range(input.dim())) if dim is None else dim
    return total / count.sum(dims, keepdim=keepdim)


_core.Tensor.diff = diff
_core.Tensor.kron = kron
_core.Tensor.dist = dist
_core.Tensor.renorm = renorm
_core.Tensor.cov = lambda self, *, correction=1, fweights=None, aweights=None: cov(
    self, correction=correction, fweights=fweights, aweights=aweights)
_core.Tensor.corrcoef = corrcoef
_core.Tensor.nansum = nansum
_core.Tensor.nanmean = nanmean
