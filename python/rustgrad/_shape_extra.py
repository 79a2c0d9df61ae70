"""Shape functions composed from the core views and ops, as PyTorch composes them
(CompositeImplicitAutograd): movedim / unflatten / broadcast_to / sum_to_size, the
``*stack`` / ``*split`` / ``atleast_*d`` families, rot90, take_along_dim, block_diag,
cartesian_prod, combinations, tril/triu_indices and vander."""

import itertools

import numpy as np

from . import _arg_errors, _core
from ._common_ops import meshgrid, tensor_split
from ._scalar_names import scalar_type_name
from .autograd._native_node import composite_node

__all__ = ["movedim", "moveaxis", "swapdims", "unflatten", "broadcast_to", "hstack", "vstack", "dstack",
           "column_stack", "row_stack", "hsplit", "vsplit", "dsplit", "atleast_1d", "atleast_2d", "atleast_3d",
           "rot90", "take_along_dim", "block_diag", "cartesian_prod", "combinations", "tril_indices",
           "triu_indices", "vander", "as_strided"]

Tensor = _core.Tensor


def _wrap(dim, ndim):
    """PyTorch's maybe_wrap_dim: a dim in [-ndim, ndim) (0-d tensors take [-1, 0])."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


_scalar_name = scalar_type_name


def _check_tensor(name, input):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor(name, input)


# ----- dims -----
def movedim(input, source, destination):
    """``input`` with the dims ``source`` moved to ``destination`` (a permute: PermuteBackward0)."""
    _check_tensor("movedim", input)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) should contain "
                           f"the same number of dims as destination ({dst} dims)")
    n = input.dim()
    ws = [_wrap(d, n) for d in src]
    wd = [_wrap(d, n) for d in dst]
    if len(set(ws)) != len(ws):
        raise RuntimeError(f"movedim: repeated dim in `source` ({src})")
    if len(set(wd)) != len(wd):
        raise RuntimeError(f"movedim: repeated dim in `destination` ({dst})")
    order = [-1] * n
    for s, d in zip(ws, wd):
        order[d] = s
    rest = iter(d for d in range(n) if d not in set(ws))
    order = [o if o >= 0 else next(rest) for o in order]
    return input.permute(order) if n else input.permute([])


moveaxis = movedim


def swapdims(input, dim0, dim1):
    _check_tensor("swapdims", input)
    return input.transpose(dim0, dim1)


def unflatten(input, dim, sizes):
    """``input`` with ``dim`` split into ``sizes`` (one -1 inferred), as a view (ViewBackward0)."""
    _check_tensor("unflatten", input)
    d = _wrap(dim, input.dim())
    sizes = list(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    size = input.size(d) if input.dim() else 1
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten got an unexpected error:\nonly one dimension can be inferred")
    known = int(np.prod([s for s in sizes if s != -1], dtype=np.int64))
    if -1 in sizes:
        if known == 0 or size % known:
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
                               f"({size}) in the input tensor")
        sizes[sizes.index(-1)] = size // known
    elif known != size:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of dim {dim} "
                           f"({size}) in the input tensor")
    shape = list(input.shape)
    return input.view(shape[:d] + sizes + shape[d + 1:])


def broadcast_to(input, size):
    """``input`` expanded to ``size`` (ExpandBackward0)."""
    _check_tensor("broadcast_to", input)
    if not isinstance(size, (list, tuple)) or not all(isinstance(s, int) and not isinstance(s, bool) for s in size):
        raise TypeError(f"broadcast_to(): argument 'size' (position 2) must be tuple of ints, not {type(size).__name__}")
    return input.expand(*size)


def _sum_to_size(self, *size):
    """Sums ``self`` down to ``size``, which must broadcast to its shape (SumBackward1, then a view when
    leading dims go)."""
    if len(size) == 1 and not isinstance(size[0], int):
        size = tuple(size[0])
    shape = tuple(self.shape)
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != t for s, t in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if tuple(size) == shape:
        return self
    dims = list(range(lead)) + [lead + i for i, s in enumerate(size) if s == 1 and shape[lead + i] != 1]
    out = self.sum(dims, keepdim=True) if dims else self
    return out.view(list(size)) if lead > 0 else out


# ----- stacking -----
def _tensor_list(name, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                        f"not {type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    if not tensors:
        raise RuntimeError(f"{name} expects a non-empty TensorList")
    return list(tensors)


def _atleast(name, fn, tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        if not isinstance(tensors[0], Tensor):
            got = type(tensors[0]).__name__
            raise TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one of:\n"
                            f" * (Tensor input)\n      didn't match because some of the arguments have invalid types: (!{got}!)\n"
                            f" * (tuple of Tensors tensors)\n      didn't match because some of the arguments have invalid types: (!{got}!)\n")
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def _1d(t):
    return t.reshape([1]) if t.dim() == 0 else t


def _2d(t):
    return t.reshape([1, 1]) if t.dim() == 0 else t.unsqueeze(0) if t.dim() == 1 else t


def _3d(t):
    d = t.dim()
    if d == 0:
        return t.reshape([1, 1, 1])
    if d == 1:
        return t.unsqueeze(0).unsqueeze(-1)
    return t.unsqueeze(-1) if d == 2 else t


def atleast_1d(*tensors):
    return _atleast("atleast_1d", _1d, tensors)


def atleast_2d(*tensors):
    return _atleast("atleast_2d", _2d, tensors)


def atleast_3d(*tensors):
    return _atleast("atleast_3d", _3d, tensors)


def hstack(tensors):
    ts = [_1d(t) for t in _tensor_list("hstack", tensors)]
    return _core.cat(ts, 0 if ts[0].dim() == 1 else 1)


def vstack(tensors):
    return _core.cat([_2d(t) for t in _tensor_list("vstack", tensors)], 0)


def row_stack(tensors):
    return _core.cat([_2d(t) for t in _tensor_list("row_stack", tensors)], 0)


def dstack(tensors):
    return _core.cat([_3d(t) for t in _tensor_list("dstack", tensors)], 2)


def column_stack(tensors):
    ts = _tensor_list("column_stack", tensors)
    return _core.cat([t.reshape([t.numel(), 1]) if t.dim() <= 1 else t for t in ts], 1)


# ----- splitting -----
def _split_family(name, min_dim, dim_of):
    def split(input, indices_or_sections):
        _check_tensor(name, input)
        if input.dim() < min_dim:
            raise RuntimeError(f"rustgrad.{name} requires a tensor with at least {min_dim} dimension, but got a tensor "
                               f"with {input.dim()} dimensions!")
        dim = dim_of(input)
        if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
            n = indices_or_sections
            if n == 0 or input.size(dim) % n:
                raise RuntimeError(f"rustgrad.{name} attempted to split along dimension {dim}, but the size of the "
                                   f"dimension {input.size(dim)} is not divisible by the split_size {n}!")
        return tensor_split(input, indices_or_sections, dim)

    split.__name__ = split.__qualname__ = name
    return split


hsplit = _split_family("hsplit", 1, lambda t: 0 if t.dim() == 1 else 1)
vsplit = _split_family("vsplit", 2, lambda t: 0)
dsplit = _split_family("dsplit", 3, lambda t: 2)


# ----- rearranging -----
def rot90(input, k=1, dims=(0, 1)):
    """``input`` rotated by 90 degrees ``k`` times in the plane ``dims`` (from ``dims[0]`` towards
    ``dims[1]``): flips and a transpose, copied to a new tensor as PyTorch's result is."""
    _check_tensor("rot90", input)
    dims = list(dims)
    n = input.dim()
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == n:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    return _rot90(input, k % 4, _wrap(dims[0], n), _wrap(dims[1], n))


@composite_node("Rot90Backward0")
def _rot90(input, k, d0, d1):
    if k == 1:
        return input.flip([d1]).transpose(d0, d1)
    if k == 2:
        return input.flip([d0, d1])
    if k == 3:
        return input.flip([d0]).transpose(d0, d1)
    return input.clone()


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given sizes, strides and offset (AsStridedBackward0)."""
    _check_tensor("as_strided", input)
    return input.as_strided(size, stride, storage_offset)


def take_along_dim(input, indices, dim=None):
    """Values of ``input`` at ``indices`` along ``dim`` (broadcast against each other off ``dim``), or
    of the flattened input when ``dim`` is None (GatherBackward0)."""
    _check_tensor("take_along_dim", input)
    if not isinstance(indices, Tensor):
        raise TypeError(f"take_along_dim(): argument 'indices' (position 2) must be Tensor, not {type(indices).__name__}")
    if dim is None:
        if indices.dtype not in (_core.int64, _core.int32):
            raise RuntimeError("gather(): Expected dtype int32/int64 for index")
        return input.view(-1).gather(0, indices.view(-1).long())
    if input.dim() != indices.dim():
        raise RuntimeError("rustgrad.take_along_dim(): input and indices should have the same number of dimensions, "
                           f"but got {input.dim()} dimensions for input, and {indices.dim()} dimensions for indices")
    if indices.dtype != _core.int64:
        raise RuntimeError(f"rustgrad.take_along_dim(): dtype of indices should be Long but got {_scalar_name(indices.dtype)}")
    d = _wrap(dim, input.dim())
    self_sizes = list(input.shape)
    self_sizes[d] = indices.size(d)
    idx = indices.expand(*_broadcast_shape(self_sizes, list(indices.shape)))
    idx_sizes = list(indices.shape)
    idx_sizes[d] = input.size(d)
    src = input.expand(*_broadcast_shape(idx_sizes, list(input.shape)))
    return src.gather(d, idx)


def _cat(tensors, dim, stack=False):
    """cat / stack, except that a result with no elements is built directly: the core's cat panics on
    zero-size outer dims (reported to the lead); an empty result carries no gradient anyway."""
    shape = list(tensors[0].shape)
    if stack:
        shape.insert(dim, len(tensors))
    else:
        shape[dim] = sum(t.shape[dim] for t in tensors)
    if 0 in shape:
        return _core.zeros(*shape, dtype=tensors[0].dtype)
    return (_core.stack if stack else _core.cat)(tensors, dim)


def _broadcast_shape(a, b):
    out = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at non-singleton "
                               f"dimension {i}")
        out.append(y if x == 1 else x)
    return out


_core.Tensor.movedim = movedim
_core.Tensor.moveaxis = movedim
_core.Tensor.swapdims = swapdims
_core.Tensor.unflatten = unflatten
_core.Tensor.broadcast_to = lambda self, *size: broadcast_to(
    self, size[0] if len(size) == 1 and not isinstance(size[0], int) else size)
_core.Tensor.sum_to_size = _sum_to_size
_core.Tensor.hsplit = hsplit
_core.Tensor.vsplit = vsplit
_core.Tensor.dsplit = dsplit
_core.Tensor.rot90 = rot90
_core.Tensor.take_along_dim = take_along_dim


# ----- building matrices and index sets -----
def _promote(tensors):
    out = tensors[0].dtype
    for t in tensors[1:]:
        out = (_core.zeros(1, dtype=out) + _core.zeros(1, dtype=t.dtype)).dtype
    return out


def block_diag(*tensors):
    """The block-diagonal matrix of 0-, 1- and 2-D ``tensors`` (1-D ones are rows), zero elsewhere:
    each block padded with zeros to the full width, the rows concatenated."""
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
        if t.dim() > 2:
            raise RuntimeError(f"rustgrad.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.dim()} dimensions")
    if not tensors:
        return _core.empty(1, 0)
    return _block_diag(*tensors)


@composite_node("BlockDiagBackward0")
def _block_diag(*tensors):
    dtype = _promote(tensors)
    blocks = [t.reshape([1, 1]) if t.dim() == 0 else t.unsqueeze(0) if t.dim() == 1 else t for t in tensors]
    blocks = [b if b.dtype == dtype else b.to(dtype) for b in blocks]
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        r, c = b.shape
        rows.append(_cat([_core.zeros(r, left, dtype=dtype), b, _core.zeros(r, width - left - c, dtype=dtype)], 1))
        left += c
    return _cat(rows, 0)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, one per row (a flattened meshgrid
    stacked: StackBackward0)."""
    for t in tensors:
        if isinstance(t, Tensor) and t.dim() != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return _cat([g.flatten() for g in grids], 1, stack=True)


def combinations(input, r=2, with_replacement=False):
    """Length-``r`` combinations of the elements of a 1-D tensor (as itertools orders them), one per row."""
    _check_tensor("combinations", input)
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return _core.empty(0, dtype=input.dtype)
    combos = (itertools.combinations_with_replacement if with_replacement else itertools.combinations)(
        range(input.numel()), r)
    idx = np.array(list(combos), dtype=np.int64).reshape(-1, r)
    cols = [input.index_select(0, _core.tensor(idx[:, j].tolist(), dtype=_core.int64)) for j in range(r)]
    return _cat(cols, 1, stack=True)


def _tri_indices(name, row, col, offset, dtype, lower):
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    if dtype not in (_core.int64, _core.int32):
        raise NotImplementedError(f'"{name}" not implemented for \'{_scalar_name(dtype)}\'')
    rows, cols = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    return _core.tensor(np.stack([rows, cols]).reshape(2, -1).tolist(), dtype=dtype).reshape([2, len(rows)])


def tril_indices(row, col, offset=0, *, dtype=_core.int64, device=None, layout=None):
    """The (row, column) coordinates of the lower triangle of a ``row`` x ``col`` matrix, as a 2 x N tensor."""
    return _tri_indices("tril_indices", row, col, offset, dtype, True)


def triu_indices(row, col, offset=0, *, dtype=_core.int64, device=None, layout=None):
    """The (row, column) coordinates of the upper triangle of a ``row`` x ``col`` matrix, as a 2 x N tensor."""
    return _tri_indices("triu_indices", row, col, offset, dtype, False)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of a 1-D ``x`` (powers 0..N-1 as columns, highest first unless
    ``increasing``), built as PyTorch builds it: cumprod of the copied columns (CopySlices), then a flip."""
    _check_tensor("vander", x)
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.size(0)
    if N is not None:
        n = N
        if n < 0:
            raise RuntimeError("N must be non-negative.")
    dtype = x.dtype if x.is_floating_point() else _core.int64
    result = _core.empty(x.size(0), n, dtype=dtype)
    if n > 0:
        result.fill_(1)
        if n > 1:
            result[:, 1:].copy_(x.unsqueeze(1))
            result[:, 1:].copy_(result[:, 1:].cumprod(1))
    return result if increasing else result.flip([1])
