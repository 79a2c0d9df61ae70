"""Pickling of tensors (what ``multiprocessing`` needs to move them between processes, and what
``copy`` falls back on): a tensor is rebuilt from a numpy copy of its data, its dtype and
``requires_grad``, as ``torch.Tensor.__reduce_ex__`` rebuilds from its storage. Like PyTorch's,
the result is a leaf that does not keep ``.grad``, hooks or history.

This is pickle, a Python-to-Python protocol; ``rustgrad.save``/``load`` keep their own safe file
format and never unpickle."""

import copyreg

from . import _core


def _rebuild_tensor(array, dtype, requires_grad):
    tensor = _core.from_numpy(array).to(dtype)
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


def _reduce_tensor(tensor):
    array = tensor.detach().contiguous().numpy().copy()
    return _rebuild_tensor, (array, tensor.dtype, tensor.requires_grad)


copyreg.pickle(_core.Tensor, _reduce_tensor)
