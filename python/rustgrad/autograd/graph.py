"""``rustgrad.autograd.graph``: the graph node type (PyTorch's ``torch.autograd.graph``)."""

from .._core import Node

__all__ = ["Node"]
