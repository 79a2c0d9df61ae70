"""``rustgrad.autograd.graph``: the graph node type and saved-tensor hooks (PyTorch's
``torch.autograd.graph``)."""

from .._core import Node
from .. import _core


class saved_tensors_hooks:
    """Context manager: while active, every tensor an op saves for backward is passed to
    ``pack_hook`` (at the time the op runs) and the graph keeps only what it returns; during
    backward ``unpack_hook`` gets that object back and must return a tensor with the saved values.

    The hooks are thread-local and nest (the innermost pair applies). Pack hooks run with grad mode
    off and must not modify their input in place. A packed tensor is not checked for in-place
    modification (the hooks own it)."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        _core._push_saved_tensors_hooks(self.pack_hook, self.unpack_hook)

    def __exit__(self, *args):
        _core._pop_saved_tensors_hooks()


__all__ = ["Node", "saved_tensors_hooks"]
