"""Creation and conversion helpers: ``as_tensor`` / ``asarray`` (sharing memory with numpy arrays and
tensors where PyTorch does), ``is_floating_point`` as a function, and the Tensor size properties
``element_size()``, ``itemsize`` and ``nbytes``."""

import warnings

import numpy as np

from . import _arg_errors, _core
from ._common_ops import _SCALAR_NAMES

__all__ = ["as_tensor", "asarray", "is_floating_point"]

Tensor = _core.Tensor
_NP_DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32", np.dtype(np.int64): "int64",
              np.dtype(np.int32): "int32", np.dtype(np.uint8): "uint8", np.dtype(np.bool_): "bool"}


def _scalar_name(dtype):
    return _SCALAR_NAMES.get(str(dtype), str(dtype))


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
        t.requires_grad_()
    return t


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
