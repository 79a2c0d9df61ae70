"""Creation and conversion helpers: ``as_tensor`` / ``asarray`` (sharing memory with numpy arrays and
tensors where PyTorch does), ``is_floating_point`` as a function, and the Tensor size properties
``element_size()``, ``itemsize`` and ``nbytes``."""

import warnings

import numpy as np

from . import _arg_errors, _core
from ._scalar_names import scalar_type_name

__all__ = ["as_tensor", "asarray", "is_floating_point", "empty_strided"]

Tensor = _core.Tensor
_NP_DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32", np.dtype(np.int64): "int64",
              np.dtype(np.int32): "int32", np.dtype(np.uint8): "uint8", np.dtype(np.bool_): "bool"}


_scalar_name = scalar_type_name


def _numpy_dtype(array):
    name = _NP_DTYPES.get(array.dtype)
    return None if name is None else getattr(_core, name)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor without copying when it already is one (or a numpy array) of ``dtype``:
    a tensor is returned itself (or converted, ToCopyBackward0), a numpy array shares its memory."""
    if isinstance(data, Tensor):
        return data if dtype is None or dtype == data.dtype else data.to(dtype)
    if isinstance(data, np.ndarray) and _numpy_dtype(data) is not None:
        t = _core.from_numpy(data)
        return t if dtype is None or dtype == t.dtype else t.to(dtype)
    return _core.tensor(data, dtype=dtype) if dtype is not None else _core.tensor(data)


_asarray_warned = False


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """``obj`` as a tensor, sharing memory with a tensor or numpy array whenever ``dtype`` allows and
    ``copy`` is not True; ``copy=False`` refuses to copy (ValueError). A tensor keeps its
    requires_grad unless told otherwise, as PyTorch 2.13 (which warns once about the new default)."""
    global _asarray_warned
    if isinstance(obj, Tensor):
        if requires_grad is None and obj.requires_grad and not _asarray_warned:
            _asarray_warned = True  # TORCH_WARN_ONCE
            warnings.warn("rustgrad.asarray: unspecified requires_grad now defaults to obj.requires_grad instead of "
                          "False. Pass requires_grad=False explicitly to get the old behavior and silence this warning.",
                          UserWarning, stacklevel=2)
        same = dtype is None or dtype == obj.dtype
        if copy is False and not same:
            raise ValueError(f"can't alias tensor with dtype '{_scalar_name(obj.dtype)}' into dtype "
                             f"'{_scalar_name(dtype)}'.")
        if copy:
            out = obj.clone() if same else obj.to(dtype)
        else:
            out = obj if same else obj.to(dtype)
        if requires_grad and not out.requires_grad:
            out.requires_grad_()
        return out
    if isinstance(obj, np.ndarray) and _numpy_dtype(obj) is not None:
        t = _core.from_numpy(obj)
        same = dtype is None or dtype == t.dtype
        if copy is False and not same:
            raise ValueError(f"can't alias tensor with dtype '{_scalar_name(t.dtype)}' into dtype "
                             f"'{_scalar_name(dtype)}'.")
        if copy or not same:
            t = t.to(dtype) if not same else t.clone()
    else:
        if copy is False and isinstance(obj, np.generic):
            raise RuntimeError("can't alias NumPy scalars. Either remove copy=False or transform it in a ndarray. ")
        if copy is False:
            raise ValueError("can't alias arbitrary sequence into a tensor.")
        t = _core.tensor(obj, dtype=dtype) if dtype is not None else _core.tensor(obj)
    if requires_grad:
        if not t.is_floating_point():
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_()
    return t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialised tensor of ``size`` laid out with ``stride``: a padded contiguous buffer sliced
    and permuted into place (stride-0 dims expanded). Layouts whose elements overlap other than by
    stride 0 cannot be built from views here and raise; size-1 dims report the stride their view gives."""
    size, stride = [int(s) for s in size], [int(t) for t in stride]
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if any(s < 0 for s in size):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(size)}: {size}")
    if any(t < 0 for t in stride):
        raise RuntimeError(f"as_strided: Negative strides are not supported at the moment, got strides: {stride}")
    kw = {} if dtype is None else {"dtype": dtype}
    real = sorted((i for i, s in enumerate(size) if s > 1 and stride[i] > 0), key=lambda i: (-stride[i], -i))
    if 0 in size or not real:
        if 0 in size:  # no elements: any layout reads the same, a contiguous one is built
            out = _core.empty(size, **kw)
        else:
            out = _core.empty([1] * len(size), **kw).expand(size)
        return out.requires_grad_() if requires_grad else out
    # outer-to-inner: each stride a multiple of the next one and covering its extent (no overlap)
    for a, b in zip(real, real[1:]):
        if stride[a] % stride[b] or stride[a] < stride[b] * size[b]:
            raise RuntimeError(f"empty_strided: rustgrad builds strided tensors from views of one buffer and cannot "
                               f"lay out size {size} with overlapping stride {stride}")
    shape = [size[real[0]]] + [stride[a] // stride[b] for a, b in zip(real, real[1:])] + [stride[real[-1]]]
    view = _core.empty(shape, **kw)
    for k, i in enumerate(real[1:], start=1):
        view = view.narrow(k, 0, size[i])
    view = view.select(-1, 0)
    order = sorted(range(len(real)), key=lambda k: real[k])  # back to the callers' dim order
    view = view.permute(order)
    kept = sorted(real)
    for i, s in enumerate(size):
        if i not in kept:
            view = view.unsqueeze(i)
    view = view.expand(size)
    return view.requires_grad_() if requires_grad else view


def is_floating_point(input):
    if not isinstance(input, Tensor):
        raise _arg_errors.not_a_tensor("is_floating_point", input)
    return input.is_floating_point()


def _element_size(self):
    """Bytes per element of this tensor's dtype."""
    return self.dtype.itemsize


_core.Tensor.element_size = _element_size
_core.Tensor.itemsize = property(_element_size, doc="Bytes per element (element_size()).")
_core.Tensor.nbytes = property(lambda self: self.numel() * self.dtype.itemsize,
                               doc="numel() * element_size(): the bytes the elements would take, as PyTorch counts.")
