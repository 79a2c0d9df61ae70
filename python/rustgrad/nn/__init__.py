"""``rustgrad.nn``: neural-network building blocks (PyTorch's ``torch.nn``)."""

from .parameter import Parameter

__all__ = ["Parameter"]
