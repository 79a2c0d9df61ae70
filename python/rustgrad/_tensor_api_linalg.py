"""Products, scans, scatters and windows composed in Python: inner, vdot, addr, chain_matmul,
matrix_power, logcumsumexp, diagflat, unique_consecutive, unravel_index, select/slice/diagonal_scatter,
pdist and the hann/hamming/blackman/bartlett/kaiser windows."""

import math
import numbers
import warnings

import numpy as np

from . import _core
from ._native_ops import node_function
from ._scalar_names import scalar_type_name
from ._tensor_api_more import _check_tensor, _is_int, _sum_to, _wrap

__all__ = ["inner", "vdot", "addr", "chain_matmul", "matrix_power", "logcumsumexp", "diagflat", "unique_consecutive",
           "unravel_index", "select_scatter", "slice_scatter", "diagonal_scatter", "pdist", "hann_window",
           "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]

Tensor = _core.Tensor
_FLOATS = (_core.float32, _core.float64)


# ----- products -----
def inner(input, other):
    """Sum over the last dims of ``input`` and ``other`` (a scalar operand multiplies)."""
    _check_tensor("inner", input)
    if input.dim() == 0 or other.dim() == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    from ._math_extra import tensordot

    return tensordot(input, other, ([-1], [-1]))


@node_function("VdotBackward0")
class _Vdot:
    @staticmethod
    def forward(ctx, self, other):
        ctx.save_for_backward(self, other)
        return self.dot(other)

    @staticmethod
    def backward(ctx, grad):
        self, other = ctx.saved_tensors
        # d<x, y> = y . dx + x . dy  (real tensors: conj is the identity)
        return (grad * other if ctx.needs_input_grad[0] else None, grad * self if ctx.needs_input_grad[1] else None)


def vdot(input, other):
    """The dot product of two 1-d tensors (VdotBackward0)."""
    _check_tensor("vdot", input)
    if input.dim() != 1 or other.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.dim()}D and {other.dim()}D tensors")
    return _Vdot.apply(input, other)


@node_function("AddrBackward0")
class _Addr:
    @staticmethod
    def forward(ctx, self, vec1, vec2, beta, alpha):
        ctx.save_for_backward(vec1, vec2)
        ctx.beta, ctx.alpha, ctx.shape = beta, alpha, list(self.shape)
        outer = vec1.outer(vec2)
        outer = outer if alpha == 1 else outer * alpha
        if beta == 0:  # beta = 0 ignores input (even nan/inf), as PyTorch
            return outer.clone() if outer.dtype == self.dtype else outer
        return outer + (self if beta == 1 else self * beta)

    @staticmethod
    def backward(ctx, grad):
        vec1, vec2 = ctx.saved_tensors
        n = ctx.needs_input_grad
        # out = beta * self + alpha * vec1 vec2^T
        g_self = _sum_to(grad * ctx.beta, ctx.shape) if n[0] else None
        g1 = grad.mv(vec2) * ctx.alpha if n[1] else None
        g2 = grad.t().mv(vec1) * ctx.alpha if n[2] else None
        return g_self, g1, g2, None, None


def _addr(self, vec1, vec2, *, beta=1, alpha=1):
    """``beta * self + alpha * outer(vec1, vec2)`` (AddrBackward0)."""
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.dim() != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.dim()}-D")
    target = [vec1.shape[0], vec2.shape[0]]
    if self.dim() > 2 or any(s != 1 and s != t for s, t in zip(list(self.shape)[::-1], target[::-1])):
        raise RuntimeError(f"The expanded size of the tensor ({target[-1] if self.dim() == 1 else target[0]}) must "
                           f"match the existing size ({self.shape[-1] if self.dim() == 1 else self.shape[0]}) at "
                           f"non-singleton dimension 0.  Target sizes: {target}.  Tensor sizes: {list(self.shape)}")
    return _Addr.apply(self, vec1, vec2, beta, alpha)


def addr(input, vec1, vec2, *, beta=1, alpha=1, out=None):
    _check_tensor("addr", input)
    result = _addr(input, vec1, vec2, beta=beta, alpha=alpha)
    return out.copy_(result) if out is not None else result


def chain_matmul(*matrices, out=None):
    """The product of the 2-d ``matrices`` (deprecated in PyTorch for linalg.multi_dot)."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul(): Expected one or more matrices")
    for i, m in enumerate(matrices):
        if m.dim() != 2:
            raise RuntimeError(f"Tensor dimension is {m.dim()}, expected 2 instead.")
    if len(matrices) == 1:
        result = matrices[0].clone()
    else:
        result = matrices[0]
        for m in matrices[1:]:
            result = result.mm(m)
        result = result.view(list(result.shape))  # PyTorch's multi_dot ends in a view
    return out.copy_(result) if out is not None else result


def _matrix_power(self, n):
    """``self`` multiplied by itself ``n`` times (batched; negative ``n`` inverts first)."""
    if not _is_int(n):
        raise TypeError(f"matrix_power(): argument 'n' (position 1) must be int, not {type(n).__name__}")
    if self.dim() < 2 or self.shape[-1] != self.shape[-2]:
        if self.dim() < 2:
            raise RuntimeError(f"linalg.matrix_power: The input tensor A must have at least 2 dimensions.")
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{self.shape[-2]} by {self.shape[-1]} matrices")
    if n == 0:
        eye = _core.eye(self.shape[-1], dtype=self.dtype).expand(*self.shape)
        return self.clone().copy_(eye)  # connected to self with a zero gradient (CopyBackwards), as PyTorch
    a = self
    if n < 0:
        from . import linalg

        a = linalg.inv(self)
        n = -n
    if n == 1:
        return a.clone() if a is self else a
    mul = (lambda x, y: x.mm(y)) if a.dim() == 2 else (lambda x, y: x.matmul(y))
    result = None
    z = a
    while n:  # repeated squaring, as PyTorch
        if n & 1:
            result = z if result is None else mul(result, z)
        n >>= 1
        if n:
            z = mul(z, z)
    return result


def matrix_power(input, n):
    _check_tensor("matrix_power", input)
    return _matrix_power(input, n)


# ----- scans -----
def _lcse_values(x, dim):
    """logcumsumexp by numpy's exact pairwise logaddexp scan (no overflow, no underflow of the head)."""
    a = np.asarray(x.detach().tolist(), dtype=np.float64 if x.dtype == _core.float64 else np.float32)
    if a.size:
        a = np.logaddexp.accumulate(a, axis=dim)
    return _core.tensor(a.tolist(), dtype=x.dtype) if a.ndim else _core.tensor(float(a), dtype=x.dtype)


def _reverse_lcse(x, dim):
    return logcumsumexp(x.flip(dim), dim).flip(dim)


@node_function("LogcumsumexpBackward0")
class _Logcumsumexp:
    @staticmethod
    def forward(ctx, self, dim):
        out = _lcse_values(self, dim)
        ctx.save_for_backward(self, out)
        ctx.dim = dim
        return out

    @staticmethod
    def backward(ctx, grad):
        self, result = ctx.saved_tensors
        d = ctx.dim
        if self.dim() == 0:
            return grad, None
        # d/dx_j = sum_{i >= j} g_i exp(x_j - out_i), summed in log space split by the sign of g
        lowest = float(np.finfo(np.float64 if grad.dtype == _core.float64 else np.float32).min)
        log_abs = grad.abs().log()
        pos = _core.where(grad > 0, log_abs, lowest)
        neg = _core.where(grad < 0, log_abs, lowest)
        out_pos = (_reverse_lcse(pos - result, d) + self).exp()
        out_neg = (_reverse_lcse(neg - result, d) + self).exp()
        return out_pos - out_neg, None


def logcumsumexp(input, dim):
    """``log(cumsum(exp(input), dim))`` computed without overflow (LogcumsumexpBackward0)."""
    _check_tensor("logcumsumexp", input)
    if input.dtype not in _FLOATS:
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for '{scalar_type_name(input.dtype)}'")
    d = _wrap(dim, input.dim())
    return _Logcumsumexp.apply(input, d)


def diagflat(input, offset=0):
    """A 2-d tensor with ``input`` flattened on diagonal ``offset`` (DiagEmbedBackward0)."""
    _check_tensor("diagflat", input)
    return input.contiguous().view(-1).diag_embed(offset)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """``input`` with runs of equal consecutive elements (or slices along ``dim``) collapsed to one."""
    _check_tensor("unique_consecutive", input)
    a = np.asarray(input.detach().tolist(), dtype=np.float64 if input.is_floating_point() else np.int64)
    if dim is None:
        flat = a.reshape(-1)
        starts = np.ones(flat.shape[0], dtype=bool)
        starts[1:] = flat[1:] != flat[:-1]
        values = flat[starts]
        inverse_shape = a.shape
    else:
        d = _wrap(dim, a.ndim)
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        starts = np.ones(moved.shape[0], dtype=bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values = np.moveaxis(np.moveaxis(a, d, 0)[starts], 0, d)
        inverse_shape = (a.shape[d],)
    group = np.cumsum(starts) - 1
    result = _core.tensor(values.tolist(), dtype=input.dtype) if values.size else \
        _core.zeros(list(values.shape), dtype=input.dtype)
    out = [result]
    if return_inverse:
        out.append(_core.tensor(group.reshape(inverse_shape).tolist(), dtype=_core.int64) if group.size
                   else _core.zeros(list(inverse_shape), dtype=_core.int64))
    if return_counts:
        counts = np.diff(np.append(np.flatnonzero(starts), starts.shape[0]))
        out.append(_core.tensor(counts.tolist(), dtype=_core.int64) if counts.size else
                   _core.zeros(0, dtype=_core.int64))
    return out[0] if len(out) == 1 else tuple(out)


def unravel_index(indices, shape):
    """The coordinates in ``shape`` of the flat ``indices`` (a tuple of int64 tensors), as PyTorch:
    ``indices // strides % shape``, so out-of-range indices wrap."""
    if not isinstance(indices, Tensor):
        raise AttributeError(f"'{type(indices).__name__}' object has no attribute 'is_complex'")
    if indices.is_floating_point() or indices.dtype == _core.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got "
                        f"{str(indices.dtype).replace('rustgrad', 'torch')}")
    if _is_int(shape):
        shape = (shape,)
    elif not isinstance(shape, (list, tuple)):
        raise TypeError(f"expected 'shape' to be int or sequence of ints, but got {type(shape)}")
    for s in shape:
        if not _is_int(s):
            raise TypeError(f"expected 'shape' sequence to only contain ints, but got {type(s)}")
    shape = tuple(shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    coefs = [int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape))]
    coords = indices.to(_core.int64).unsqueeze(-1).floor_divide(_core.tensor(coefs, dtype=_core.int64))
    return coords.remainder(_core.tensor(list(shape), dtype=_core.int64)).unbind(-1)


# ----- scatters -----
def _check_src(src, view):
    if list(src.shape) != list(view.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(view.shape)}")


def _scatter_node(name, view_of):
    @node_function(name)
    class _Scatter:
        @staticmethod
        def forward(ctx, self, src, *args):
            ctx.args = args
            ctx.src_shape = list(src.shape)
            out = self.clone()
            view_of(out, *args).copy_(src)
            return out

        @staticmethod
        def backward(ctx, grad):
            n = ctx.needs_input_grad
            # self's gradient is grad with the written region zeroed; src's is grad's region
            g_self = _SCATTERS[name](grad, grad.new_zeros(ctx.src_shape), *ctx.args) if n[0] else None
            g_src = view_of(grad, *ctx.args) if n[1] else None
            return (g_self, g_src) + (None,) * len(ctx.args)

    return _Scatter


def _slice_view(t, dim, start, end, step):
    return t.narrow(dim, 0, t.shape[dim])[start:end:step] if dim == 0 else \
        t.transpose(0, dim)[start:end:step].transpose(0, dim)


_SelectScatter = _scatter_node("SelectScatterBackward0", lambda t, d, i: t.select(d, i))
_SliceScatter = _scatter_node("SliceScatterBackward0", _slice_view)
_DiagonalScatter = _scatter_node("DiagonalScatterBackward0", lambda t, o, d1, d2: t.diagonal(o, d1, d2))
_SCATTERS = {"SelectScatterBackward0": lambda g, z, *a: _SelectScatter.apply(g, z, *a),
             "SliceScatterBackward0": lambda g, z, *a: _SliceScatter.apply(g, z, *a),
             "DiagonalScatterBackward0": lambda g, z, *a: _DiagonalScatter.apply(g, z, *a)}


def select_scatter(input, src, dim, index):
    """A copy of ``input`` with ``src`` written to ``input.select(dim, index)`` (SelectScatterBackward0)."""
    _check_tensor("select_scatter", input)
    d = _wrap(dim, input.dim())
    _check_src(src, input.select(d, index))
    return _SelectScatter.apply(input, src, d, index)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """A copy of ``input`` with ``src`` written to ``input[start:end:step]`` along ``dim``."""
    _check_tensor("slice_scatter", input)
    d = _wrap(dim, input.dim())
    _check_src(src, _slice_view(input, d, start, end, step))
    return _SliceScatter.apply(input, src, d, start, end, step)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of ``input`` with ``src`` written to its diagonal (DiagonalScatterBackward0)."""
    _check_tensor("diagonal_scatter", input)
    _check_src(src, input.diagonal(offset, dim1, dim2))
    return _DiagonalScatter.apply(input, src, offset, dim1, dim2)


# ----- pdist -----
def _pairs(n):
    i, j = np.triu_indices(n, 1)
    return _core.tensor(i.tolist(), dtype=_core.int64), _core.tensor(j.tolist(), dtype=_core.int64)


def _pdist_composite(x, p):
    i, j = _pairs(x.shape[0])
    if i.numel() == 0:
        return x.new_zeros(0)
    return (x.index_select(0, i) - x.index_select(0, j)).norm(p, dim=1)


@node_function("PdistBackward0")
class _Pdist:
    @staticmethod
    def forward(ctx, x, p):
        ctx.save_for_backward(x)
        ctx.p = p
        return _pdist_composite(x, p)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        # the vector-Jacobian product of the composition norm(x[i] - x[j], p) over pairs i < j
        from .autograd import grad as _grad
        from .autograd.grad_mode import enable_grad

        create = _core.is_grad_enabled()
        with enable_grad():
            xx = x if create else x.detach().requires_grad_()
            out = _pdist_composite(xx, ctx.p)
            if out.numel() == 0:
                return x.new_zeros(list(x.shape)), None
            (g,) = _grad(out, xx, grad, create_graph=create)
        return g, None


def pdist(input, p=2):
    """The ``p``-norm distances between all pairs of rows of the 2-d ``input`` (PdistBackward0)."""
    _check_tensor("pdist", input)
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    if input.dtype not in _FLOATS:
        raise RuntimeError(f"pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    return _Pdist.apply(input, float(p))


# ----- windows -----
_CPP = {"uint8": "unsigned char", "bool": "bool", "int32": "int", "int64": "long int"}


def _window(name, window_length, periodic, dtype, requires_grad, values):
    if not _is_int(window_length):
        raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                        f"{type(window_length).__name__}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dtype = dtype or _core.get_default_dtype()
    if dtype not in _FLOATS:
        cpp = _CPP[str(dtype).rsplit(".", 1)[-1]]
        raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype={cpp}, device=cpu, "
                           f"layout=Strided (default), requires_grad=false (default), pinned_memory=false, "
                           f"memory_format=(nullopt))")
    if window_length <= 1:
        w = [1.0] * window_length
    else:
        n = window_length + 1 if periodic else window_length
        w = values(np.arange(n, dtype=np.float64), n)[:window_length].tolist()
    out = _core.tensor(w, dtype=dtype) if w else _core.zeros(0, dtype=dtype)
    return out.requires_grad_() if requires_grad else out


def _cosine_sum(*coeffs):
    return lambda k, n: sum(((-1) ** i) * c * np.cos(2 * math.pi * i * k / (n - 1)) for i, c in enumerate(coeffs))


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    return _window("hann_window", window_length, periodic, dtype, requires_grad, _cosine_sum(0.5, 0.5))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   pin_memory=False, requires_grad=False):
    return _window("hamming_window", window_length, periodic, dtype, requires_grad, _cosine_sum(alpha, beta))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    return _window("blackman_window", window_length, periodic, dtype, requires_grad, _cosine_sum(0.42, 0.5, 0.08))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    return _window("bartlett_window", window_length, periodic, dtype, requires_grad,
                   lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  pin_memory=False, requires_grad=False):
    def values(k, n):
        alpha = (n - 1) / 2
        return np.i0(beta * np.sqrt(np.clip(1 - ((k - alpha) / alpha) ** 2, 0, None))) / np.i0(beta)

    return _window("kaiser_window", window_length, periodic, dtype, requires_grad, values)


# ----- Tensor methods -----
def _method(name, fn):
    fn.__name__ = fn.__qualname__ = name
    setattr(Tensor, name, fn)


_method("inner", lambda self, other: inner(self, other))
_method("vdot", lambda self, other: vdot(self, other))
_method("addr", _addr)
_method("matrix_power", _matrix_power)
_method("logcumsumexp", lambda self, dim: logcumsumexp(self, dim))
_method("diagflat", lambda self, offset=0: diagflat(self, offset))
_method("unique_consecutive", lambda self, return_inverse=False, return_counts=False, dim=None:
        unique_consecutive(self, return_inverse, return_counts, dim))
_method("select_scatter", lambda self, src, dim, index: select_scatter(self, src, dim, index))
_method("slice_scatter", lambda self, src, dim=0, start=None, end=None, step=1:
        slice_scatter(self, src, dim, start, end, step))
_method("diagonal_scatter", lambda self, src, offset=0, dim1=0, dim2=1: diagonal_scatter(self, src, offset, dim1, dim2))
