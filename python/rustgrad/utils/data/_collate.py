"""``default_collate`` / ``default_convert`` (PyTorch's ``torch.utils.data._utils.collate``):
how a list of samples becomes a batch."""

import collections.abc
import copy

from ... import _core

__all__ = ["default_collate", "default_convert"]

default_collate_err_msg_format = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _is_numpy(obj, kind):
    np = __import__("sys").modules.get("numpy")
    if np is None:
        return False
    return isinstance(obj, np.ndarray) if kind == "array" else isinstance(obj, (np.bool_, np.number))


def _as_tensor(obj):
    if isinstance(obj, _core.Tensor):
        return obj
    np = __import__("numpy")
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "SaUO":
            raise TypeError(default_collate_err_msg_format.format(obj.dtype))
        return _core.from_numpy(obj)
    return _core.tensor(obj)


def default_collate(batch):
    """Stacks tensors (and numpy arrays) along a new first dim, turns Python floats into a float64
    tensor and ints into an int64 tensor, keeps strings as a list, and recurses into dicts,
    namedtuples and sequences (tuples give lists)."""
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, _core.Tensor):
        return _core.stack(list(batch), 0)
    if _is_numpy(elem, "array"):
        return default_collate([_as_tensor(b) for b in batch])
    if _is_numpy(elem, "scalar"):
        import numpy as np

        return _core.from_numpy(np.asarray(batch))
    if isinstance(elem, float):
        return _core.tensor(batch, dtype=_core.float64)
    if isinstance(elem, int):
        return _core.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: default_collate([d[key] for d in batch]) for key in elem})
                return clone
            return elem_type({key: default_collate([d[key] for d in batch]) for key in elem})
        except TypeError:
            return {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(samples) for samples in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            return elem_type([default_collate(samples) for samples in transposed])
        except TypeError:
            return [default_collate(samples) for samples in transposed]
    raise TypeError(default_collate_err_msg_format.format(elem_type))


def default_convert(data):
    """What a DataLoader without batching (``batch_size=None``) applies to each sample: numpy
    arrays become tensors, containers are converted elementwise, everything else is kept."""
    elem_type = type(data)
    if isinstance(data, _core.Tensor):
        return data
    if _is_numpy(data, "array"):
        if data.dtype.kind in "SaUO":
            return data
        return _core.from_numpy(data)
    if _is_numpy(data, "scalar"):
        import numpy as np

        return _core.from_numpy(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: default_convert(data[key]) for key in data})
                return clone
            return elem_type({key: default_convert(data[key]) for key in data})
        except TypeError:
            return {key: default_convert(data[key]) for key in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return elem_type(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = default_convert(d)
                return clone
            return elem_type([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
